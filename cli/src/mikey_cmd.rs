//! `prose-sec mikey decode [FILE]`: a MIKEY message (raw octets, hex, base64, or an SDP body
//! with `a=key-mgmt:mikey`) as text.

use std::io::Read;

use anyhow::Context;

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
    /// Show a MIKEY message's fields (FILE or stdin: raw octets, hex, base64 or an SDP body).
    Decode {
        /// The message; `-` or nothing reads standard input.
        file: Option<String>,
    },
}

pub fn run(cmd: MikeyCmd) -> anyhow::Result<()> {
    match cmd {
        MikeyCmd::Decode { file } => {
            let data = input(file.as_deref())
                .with_context(|| format!("reading {}", file.as_deref().unwrap_or("stdin")))?;
            let text = message(&data)
                .and_then(|m| prose_sec::mikey::describe(&m))
                .context("decoding the MIKEY message")?;
            print!("{text}");
            Ok(())
        }
    }
}
