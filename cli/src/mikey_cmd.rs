//! `prose-sec mikey decode [FILE]`: a MIKEY message (raw octets, hex, base64, or an SDP body
//! with `a=key-mgmt:mikey`) as text.

use std::io::Read;

use anyhow::Context;
use prose_sec::group::member::{Event, Member};

fn input(path: Option<&str>) -> std::io::Result<Vec<u8>> {
    match path {
        None | Some("-") => {
            let mut v = Vec::new();
            std::io::stdin().read_to_end(&mut v)?;
            Ok(v)
        }
        Some(p) => std::fs::read(p),
    }
}

fn hex(s: &str) -> Option<Vec<u8>> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    if s.is_empty() || !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The MIKEY octets in `data`, whichever of the accepted forms it is in.
fn message(data: &[u8]) -> prose_sec::Result<Vec<u8>> {
    if let Ok(text) = core::str::from_utf8(data) {
        if text.contains("a=key-mgmt:") {
            return prose_sec::sdp::parse_key_mgmt(text, true);
        }
        if let Some(v) = hex(text) {
            return Ok(v);
        }
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        if let Ok(v) = prose_sec::sdp::base64_decode(&compact) {
            return Ok(v);
        }
    }
    Ok(data.to_vec())
}

#[derive(clap::Subcommand)]
pub enum MikeyCmd {
    /// Show a MIKEY message's fields (FILE or stdin: raw octets, hex, base64 or an SDP body);
    /// with `--member-state`, also decrypt and verify it with that member's keys.
    Decode {
        /// The message; `-` or nothing reads standard input.
        file: Option<String>,
        /// A member's state file: the message is decrypted and verified with its keys (the
        /// state file is not changed).
        #[arg(long, value_name = "FILE")]
        member_state: Option<std::path::PathBuf>,
        /// The time to check the message at: `now`, RFC 3339 or NTP seconds.
        #[arg(long, default_value = "now")]
        at: String,
    },
}

pub fn run(cmd: MikeyCmd) -> anyhow::Result<()> {
    match cmd {
        MikeyCmd::Decode {
            file,
            member_state,
            at,
        } => {
            let data = input(file.as_deref())
                .with_context(|| format!("reading {}", file.as_deref().unwrap_or("stdin")))?;
            let msg = message(&data).context("reading the MIKEY message")?;
            let text = prose_sec::mikey::describe(&msg).context("decoding the MIKEY message")?;
            print!("{text}");
            if let Some(path) = member_state {
                let now = crate::state_cmd::parse_time(&at)?;
                let (store, name) = crate::state_cmd::open_state(&path)?;
                let mut member = crate::state_cmd::load_member(&store, &name, &path, now)?
                    .with_context(|| format!("{} does not exist", path.display()))?;
                print!("{}", opened(&mut member, &msg, now));
            }
            Ok(())
        }
    }
}

/// What `member` finds in `msg` at `now`: the event of its processing, and for a GMK the key
/// parameters it carried (never a key).
fn opened(member: &mut Member, msg: &[u8], now: u64) -> String {
    let who = String::from_utf8_lossy(member.uri()).into_owned();
    match member.handle(msg, now) {
        Event::GmkAccepted { group, gmk_id } => {
            let mut s = format!(
                "DECRYPTED for {who}: GMK 0x{gmk_id:08x} of group {}, signature verified\n",
                String::from_utf8_lossy(&group)
            );
            let gmk = member
                .gmks(&group)
                .and_then(|st| st.entries().iter().find(|g| g.gmk_id() == gmk_id));
            if let Some(g) = gmk {
                if let Some(id) = g.guk_id() {
                    s += &format!("  GUK-ID 0x{id:08x}\n");
                }
                if let Some(p) = g.params() {
                    s += &format!(
                        "  key parameters: {}\n",
                        prose_sec::mikey::describe_key_params(p)
                    );
                }
                if let Some(p) = g.srtp_profile() {
                    s += &format!("  SRTP profile {p:?}\n");
                }
            }
            s
        }
        Event::SessionStarted { group, gsk_id } | Event::Rekeyed { group, gsk_id } => format!(
            "DECRYPTED for {who}: GSK 0x{gsk_id:08x} of group {} under its GMK, accepted\n",
            String::from_utf8_lossy(&group)
        ),
        Event::Resent { group, gsk_id } => format!(
            "DECRYPTED for {who}: GSK 0x{gsk_id:08x} of group {} (already held)\n",
            String::from_utf8_lossy(&group)
        ),
        Event::Refused { group, reason } => format!(
            "REFUSED for {who}{}: {reason} ({reason:?})\n",
            group
                .map(|g| format!(" (group {})", String::from_utf8_lossy(&g)))
                .unwrap_or_default()
        ),
    }
}
