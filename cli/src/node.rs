//! `prose-sec node kms|manager|controller|member`: one role per process, on real UDP sockets
//! of the net crate, with the roles' state files in prose-sec-store stores.
//!
//! Every node prints one line per event on standard output; its first line gives the
//! addresses it bound (by default `127.0.0.1` with ports chosen by the system; `--listen
//! ADDR` for a given address and port), so that whoever starts it learns where to reach it
//! without a port race.

use std::collections::HashMap;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use prose_sec::group::manager::{Manager, ManagerState};
use prose_sec::kms::provision::{self, KmsResponse, ResponseBody};
use prose_sec::kms::STATE_VERSION;
use prose_sec::srtp::Profile;
use prose_sec_net::media;
use prose_sec_net::node::{self, MemberConfig, MemberStats, CT_SDP};
use prose_sec_net::sip::{self, Method, SipMessage};
use prose_sec_net::wire::{self, Wire};
use rand_core::{OsRng, RngCore};

use crate::state_cmd::{load_member, open_state, parse_time, MEMBER_KIND};

/// Store kind of the Group Manager's state.
pub const MANAGER_KIND: &str = "prose.manager";

#[derive(clap::Args)]
pub struct NodeArgs {
    #[command(subcommand)]
    role: Role,
}

#[derive(clap::Subcommand)]
enum Role {
    /// The KMS: `prose-sec kms init|issue|export` manage its state file and `prose-sec kms
    /// serve` is its network service; this prints where its state is and what it is.
    Kms(KmsNodeArgs),
    /// The Group Manager: sends the current GMK to each member in a SIP MESSAGE and records
    /// every 200 OK as the member's confirmation.
    Manager(ManagerArgs),
    /// The keyless group controller of the network-connected mode: INVITE fan-out, SRTP relay.
    Controller(ControllerArgs),
    /// A member: GMK MESSAGEs, offers (INVITE or MESSAGE), SRTP/SRTCP, decrypted audio.
    Member(MemberArgs),
}

#[derive(clap::Args)]
struct KmsNodeArgs {
    /// The KMS state file (made by `prose-sec kms init`).
    #[arg(long, value_name = "FILE")]
    state: PathBuf,
}

#[derive(clap::Args)]
struct ManagerArgs {
    /// The Group Manager's state file (created when absent, from --cert and --keys).
    #[arg(long, value_name = "FILE")]
    state: PathBuf,
    /// The group URI.
    #[arg(long)]
    group: String,
    /// The KMS certificate document (needed when the state file is created).
    #[arg(long, value_name = "FILE")]
    cert: Option<PathBuf>,
    /// The group's key-provisioning document, `kms issue --user <group>` (needed when the
    /// state file is created).
    #[arg(long, value_name = "FILE")]
    keys: Option<PathBuf>,
    /// A member and its SIP address, `URI=ADDR`; repeated.
    #[arg(long = "member", value_name = "URI=ADDR", required = true)]
    members: Vec<String>,
    /// Create a new GMK even if the state holds a current one.
    #[arg(long)]
    new_gmk: bool,
    /// How long to wait for the members' 200 OKs.
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration)]
    timeout: Duration,
    /// The address to send the MESSAGEs from (e.g. `0.0.0.0:5070`).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0")]
    listen: SocketAddr,
}

#[derive(clap::Args)]
struct ControllerArgs {
    /// A member it calls, `URI=ADDR` (its SIP address); repeated.
    #[arg(long = "member", value_name = "URI=ADDR", required = true)]
    members: Vec<String>,
    /// The address to bind the SIP socket to (e.g. `0.0.0.0:5060`); the media socket takes
    /// the same IP with a port from the system.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// How long the node runs.
    #[arg(long, default_value = "60s", value_parser = humantime::parse_duration)]
    duration: Duration,
}

#[derive(clap::Args)]
struct MemberArgs {
    /// The member's state file (`prose-sec member import`).
    #[arg(long, value_name = "FILE")]
    state: PathBuf,
    /// The group URI (the member must have joined it).
    #[arg(long)]
    group: String,
    /// Where to write the decrypted audio (WAV, 8 kHz mono) when the node stops.
    #[arg(long, value_name = "FILE")]
    wav: Option<PathBuf>,
    /// How long the node runs at most (it also stops on a BYE).
    #[arg(long, default_value = "60s", value_parser = humantime::parse_duration)]
    duration: Duration,
    /// Start a network-connected call through the group controller at this SIP address as
    /// soon as the member holds a usable GMK (from its state file or a Group Manager), send `--frames` frames of audio, then BYE and stop.
    #[arg(long, value_name = "ADDR")]
    call: Option<SocketAddr>,
    /// Frames (20 ms each) of the call.
    #[arg(long, default_value_t = 100)]
    frames: usize,
    /// The address to bind the SIP socket to (e.g. `0.0.0.0:5060`); the media socket takes
    /// the same IP with a port from the system.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0")]
    listen: SocketAddr,
}

pub fn run(a: NodeArgs) -> anyhow::Result<()> {
    match a.role {
        Role::Kms(k) => kms(k),
        role => {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .context("starting the runtime")?;
            rt.block_on(async move {
                match role {
                    Role::Manager(m) => manager(m).await,
                    Role::Controller(c) => controller(c).await,
                    Role::Member(m) => member(m).await,
                    Role::Kms(_) => Ok(()),
                }
            })
        }
    }
}

fn say(line: impl std::fmt::Display) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

fn kms(a: KmsNodeArgs) -> anyhow::Result<()> {
    let (store, name) = open_state(&a.state)?;
    let present = store
        .load(&name, crate::state_cmd::KMS_KIND, STATE_VERSION)
        .with_context(|| format!("reading {}", a.state.display()))?
        .is_some();
    if !present {
        bail!(
            "{} holds no KMS (run `prose-sec kms init`)",
            a.state.display()
        );
    }
    say(format!(
        "kms state {}: issue key sets with `prose-sec kms issue`, serve them with `prose-sec kms serve`",
        a.state.display()
    ));
    Ok(())
}

fn parse_peer(s: &str) -> anyhow::Result<(String, SocketAddr)> {
    let (uri, addr) = s
        .rsplit_once('=')
        .with_context(|| format!("`{s}` is not URI=ADDR"))?;
    let addr = addr
        .parse()
        .with_context(|| format!("`{addr}` is not a socket address"))?;
    Ok((uri.to_owned(), addr))
}

fn read_doc(path: &Path) -> anyhow::Result<KmsResponse> {
    let bytes = zeroize::Zeroizing::new(
        std::fs::read(path).with_context(|| format!("reading {}", path.display()))?,
    );
    let doc = provision::parse(&bytes).with_context(|| format!("parsing {}", path.display()))?;
    if let ResponseBody::Error(e) = &doc.body {
        bail!("{} is a KmsError {}: {}", path.display(), e.code, e.message);
    }
    Ok(doc)
}

fn new_manager(a: &ManagerArgs, now: u64) -> anyhow::Result<Manager> {
    let cert_path = a
        .cert
        .as_ref()
        .context("the state file is new: give the KMS certificate with --cert")?;
    let keys_path = a
        .keys
        .as_ref()
        .context("the state file is new: give the group's key set with --keys")?;
    let cert = read_doc(cert_path)?
        .certificate()
        .with_context(|| format!("{} holds no KMS certificate", cert_path.display()))?
        .to_certificate()
        .with_context(|| format!("checking the certificate in {}", cert_path.display()))?;
    let keys = read_doc(keys_path)?;
    if keys.user_uri != a.group {
        bail!(
            "{} is for {}, not the group {}",
            keys_path.display(),
            keys.user_uri,
            a.group
        );
    }
    let no = cert.periods.period_no(now).context("the key period now")?;
    let doc = keys
        .key_sets()
        .iter()
        .find(|d| d.key_period_no == no)
        .with_context(|| format!("{} has no key set for period {no}", keys_path.display()))?;
    let ks = doc
        .to_key_set(&cert.periods)
        .with_context(|| format!("reading key period {no}"))?;
    let pk = cert
        .accept(a.group.as_bytes(), ks, now)
        .context("checking the group's key set")?;
    Manager::new(a.group.as_bytes(), cert, pk).context("the Group Manager")
}

async fn manager(a: ManagerArgs) -> anyhow::Result<()> {
    let now = parse_time("now")?;
    let (store, name) = open_state(&a.state)?;
    let mut m = match store
        .load_json::<ManagerState>(&name, MANAGER_KIND, STATE_VERSION)
        .with_context(|| format!("reading {}", a.state.display()))?
    {
        Some(s) => Manager::from_state(&s.value)
            .with_context(|| format!("checking the manager state in {}", a.state.display()))?,
        None => new_manager(&a, now)?,
    };
    if m.group_uri() != a.group.as_bytes() {
        bail!("{} is the manager of another group", a.state.display());
    }
    let mut addrs = HashMap::new();
    for s in &a.members {
        let (uri, addr) = parse_peer(s)?;
        m.add_member(uri.as_bytes()).context("a member URI")?;
        addrs.insert(uri.into_bytes(), addr);
    }
    let gmk = match m.current() {
        Some(g) if !a.new_gmk => g,
        _ => m.create_gmk(0, 0, &mut OsRng).context("creating a GMK")?,
    };
    // Saved before sending: a GMK that went out is never lost with a crash.
    store
        .save_json(&name, MANAGER_KIND, STATE_VERSION, &m.state())
        .with_context(|| format!("writing {}", a.state.display()))?;
    say(format!("manager {} gmk {gmk:08x}", a.group));
    let notes: Vec<_> = m
        .notifications(gmk, now, &mut OsRng)
        .context("the GMK notifications")?
        .into_iter()
        .filter(|n| addrs.contains_key(&n.member))
        .collect();
    let wire = Wire::new();
    let d = node::distribute_on(&mut m, &notes, &addrs, &wire, a.timeout, a.listen).await?;
    store
        .save_json(&name, MANAGER_KIND, STATE_VERSION, &m.state())
        .with_context(|| format!("writing {}", a.state.display()))?;
    let missing = m.unconfirmed(gmk).context("the confirmations")?;
    for n in &notes {
        let uri = String::from_utf8_lossy(&n.member);
        if missing.contains(&n.member) {
            say(format!("unconfirmed {uri}"));
        } else {
            say(format!("confirmed {uri} gmk {gmk:08x}"));
        }
    }
    say(format!(
        "distribution sent {} retransmits {} confirmed {} refused {:?} in {:?}",
        d.sent, d.retransmits, d.confirmed, d.refused, d.elapsed
    ));
    if d.confirmed as usize != notes.len() {
        bail!("{} of {} members confirmed", d.confirmed, notes.len());
    }
    Ok(())
}

async fn controller(a: ControllerArgs) -> anyhow::Result<()> {
    let mut legs = Vec::new();
    for s in &a.members {
        let (uri, sip) = parse_peer(s)?;
        legs.push(node::Leg { uri, sip });
    }
    let ctl = node::spawn_controller_on(legs, Arc::new(Wire::new()), a.listen).await?;
    say(format!("controller sip {} media {}", ctl.sip, ctl.media));
    let end = Instant::now() + a.duration;
    let mut last = (0, 0, 0, 0);
    while Instant::now() < end {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let s = ctl.stats();
        let now = (s.invites_in, s.oks_in, s.refusals_in, s.relayed / 50);
        if now.0 > last.0 {
            say(format!("invite from initiator ({})", s.invites_in));
        }
        if now.1 > last.1 || now.2 > last.2 {
            say(format!(
                "members answered ok {} refused {}",
                s.oks_in, s.refusals_in
            ));
        }
        if now.3 > last.3 {
            say(format!("relayed {}", s.relayed));
        }
        last = now;
    }
    let s = ctl.stop().await;
    say(format!(
        "controller done invites {} oks {} relayed {} reports back {}",
        s.invites_in, s.oks_in, s.relayed, s.reports_back
    ));
    Ok(())
}

fn report(a: &MemberStats, b: &MemberStats) {
    if a.gmk_accepted > b.gmk_accepted {
        say(format!("gmk accepted ({})", a.gmk_accepted));
    }
    for (k, v) in &a.gmk_refused {
        if b.gmk_refused.get(k) != Some(v) {
            say(format!("gmk refused: {k}"));
        }
    }
    if a.sessions_started > b.sessions_started {
        say("session started");
    }
    if a.rekeys > b.rekeys {
        say("rekeyed");
    }
    for (k, v) in &a.offers_refused {
        if b.offers_refused.get(k) != Some(v) {
            say(format!("offer refused: {k}"));
        }
    }
    if a.rtp_accepted / 50 > b.rtp_accepted / 50 {
        say(format!("rtp accepted {}", a.rtp_accepted));
    }
    if a.byes > b.byes {
        say("bye");
    }
}

async fn member(a: MemberArgs) -> anyhow::Result<()> {
    let now = parse_time("now")?;
    let (store, name) = open_state(&a.state)?;
    let m = load_member(&store, &name, &a.state, now)?.with_context(|| {
        format!(
            "{} holds no member (run `prose-sec member import`)",
            a.state.display()
        )
    })?;
    let uri = String::from_utf8_lossy(m.uri()).into_owned();
    let cfg = MemberConfig {
        group: a.group.clone().into_bytes(),
        keep_audio: a.wav.is_some(),
        multicast: None,
    };
    let wire = Arc::new(Wire::new());
    let h = node::spawn_member_on(m, cfg, wire.clone(), a.listen).await?;
    say(format!("member {uri} sip {} media {}", h.sip, h.media));
    let end = Instant::now() + a.duration;
    let mut last = MemberStats::default();
    let mut call_done = a.call.is_none();
    while Instant::now() < end {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let s = h.stats();
        report(&s, &last);
        if s.gmk_accepted > last.gmk_accepted {
            let st = h.state().await?;
            store
                .save_json(&name, MEMBER_KIND, STATE_VERSION, &st)
                .with_context(|| format!("writing {}", a.state.display()))?;
            say("state saved");
        }
        let bye = s.byes > 0;
        last = s;
        if bye {
            break;
        }
        if let (false, Some(ctl)) = (call_done, a.call) {
            // Refused (no usable GMK) until one arrives or was in the state file.
            let ssrc = OsRng.next_u32();
            if let Ok((init, _signer)) = h.start_call(Profile::Aes128CmHmacSha1_80, ssrc).await {
                call_done = true;
                call(init, ssrc, &uri, &a.group, ctl, a.frames, &wire, a.listen).await?;
                break;
            }
        }
    }
    let (_m, s) = h.stop().await?;
    if let Some(path) = &a.wav {
        let samples: Vec<i16> = s
            .frames
            .values()
            .flatten()
            .map(|&u| media::ulaw_decode(u))
            .collect();
        media::write_wav(path, &samples)?;
        say(format!("wav {} frames {}", path.display(), s.frames.len()));
    }
    say(format!(
        "member done gmk {} sessions {} rtp {} refused {:?}",
        s.gmk_accepted, s.sessions_started, s.rtp_accepted, s.media_refused
    ));
    if !call_done {
        bail!("no GMK arrived before the end: no call was made");
    }
    Ok(())
}

/// The initiator's side of a network-connected call: INVITE to the controller, ACK, SRTP
/// frames to its relay, BYE.
#[allow(clippy::too_many_arguments)]
async fn call(
    mut init: prose_sec::group::initiator::Initiator,
    ssrc: u32,
    uri: &str,
    group: &str,
    ctl: SocketAddr,
    frames: usize,
    wire: &Wire,
    listen: SocketAddr,
) -> anyhow::Result<()> {
    let any_port = SocketAddr::new(listen.ip(), 0);
    let sip_sock = wire::unicast_on(any_port)?;
    let me = wire::advertised(sip_sock.local_addr()?, ctl);
    let media_sock = wire::unicast_on(any_port)?;
    let media_at = wire::advertised(media_sock.local_addr()?, ctl);
    let sdp = init.sdp_offer(&media_at.ip().to_string(), media_at.port());
    let call_id = format!("{}@{me}", sip::fresh_token());
    let invite = SipMessage::request(Method::Invite, group)
        .with("Via", sip::via(me))
        .with("Max-Forwards", "70")
        .with("From", format!("<{uri}>;tag={}", sip::fresh_token()))
        .with("To", format!("<{group}>"))
        .with("Call-ID", call_id.clone())
        .with("CSeq", "1 INVITE")
        .with("Contact", format!("<{uri}>"))
        .with_body(CT_SDP, sdp.into_bytes());
    let bytes = invite.to_bytes();
    wire.send(&sip_sock, &bytes, ctl).await?;
    say("invite sent");
    let mut buf = vec![0u8; 65_536];
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut resend = Instant::now() + Duration::from_millis(500);
    let ok = loop {
        if Instant::now() > deadline {
            bail!("no final answer from the controller");
        }
        if Instant::now() > resend {
            wire.send(&sip_sock, &bytes, ctl).await?;
            resend = Instant::now() + Duration::from_secs(2);
        }
        let Ok(r) =
            tokio::time::timeout(Duration::from_millis(100), sip_sock.recv_from(&mut buf)).await
        else {
            continue;
        };
        let (n, _) = r?;
        let Ok(m) = SipMessage::parse(&buf[..n]) else {
            continue;
        };
        match m.code() {
            Some(c) if c >= 200 && m.call_id() == Some(call_id.as_str()) => break m,
            Some(100) => resend = deadline,
            _ => {}
        }
    };
    if ok.code() != Some(200) {
        bail!("the controller answered {:?}", ok.code());
    }
    say("call answered 200");
    let relay = node::sdp_media_addr(&String::from_utf8_lossy(&ok.body))
        .context("the controller's answer has no media address")?;
    let mut ack = SipMessage::request(Method::Ack, group)
        .with("Via", sip::via(me))
        .with("Max-Forwards", "70");
    for name in ["From", "To", "Call-ID"] {
        if let Some(v) = ok.header(name) {
            ack = ack.with(name, v.to_owned());
        }
    }
    wire.send(&sip_sock, &ack.with("CSeq", "1 ACK").to_bytes(), ctl)
        .await?;
    let audio = media::frames(&media::default_signal(frames as f64 * 0.02));
    let seq0 = (OsRng.next_u32() % 30_000) as u16;
    // In the lower half: the call's timestamps do not wrap (receivers order frames by them).
    let ts0 = OsRng.next_u32() >> 1;
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    let mut sent = 0usize;
    for (i, f) in audio.iter().enumerate().take(frames) {
        tick.tick().await;
        let mut p = media::rtp_packet(
            media::PT_PCMU,
            i == 0,
            seq0.wrapping_add(i as u16),
            ts0.wrapping_add((i * media::FRAME) as u32),
            ssrc,
            f,
            0,
        );
        let len = p.len();
        let s = init.session();
        p.resize(len + s.rtp_overhead(), 0);
        let n = s
            .protect_rtp(&mut p, len)
            .map_err(|e| anyhow::anyhow!("protecting a frame: {}", e.as_str()))?;
        p.truncate(n);
        wire.send(&media_sock, &p, relay).await?;
        sent += 1;
    }
    say(format!("sent {sent} frames"));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let bye = SipMessage::request(Method::Bye, group)
        .with("Via", sip::via(me))
        .with("Max-Forwards", "70")
        .with("From", ok.header("From").unwrap_or("").to_owned())
        .with("To", ok.header("To").unwrap_or("").to_owned())
        .with("Call-ID", call_id)
        .with("CSeq", "2 BYE");
    wire.send(&sip_sock, &bye.to_bytes(), ctl).await?;
    say("bye sent");
    Ok(())
}
