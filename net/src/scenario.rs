//! The whole story of `prose-sec demo` on loopback sockets, phase by phase: a KMS provisions the
//! Group Manager and the members, the GMK goes to every member by SIP MESSAGE (200 OK as the
//! confirmation), then a call in the network-independent mode (offer by multicast MESSAGE,
//! re-sent for late entry, multicast SRTP; a late joiner, a rekey mid-call, a revoked GMK, an
//! outsider, a forged, a replayed offer and tampered packets) and one in the network-connected
//! mode (INVITE to the group controller, its fan-out, relayed SRTP). Every figure of the report
//! is counted or measured during the run.

use std::collections::{BTreeMap, HashMap};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context};
use prose_sec::group::initiator::Initiator;
use prose_sec::group::manager::Manager;
use prose_sec::group::member::Member;
use prose_sec::kms::{IdFormat, KeyPeriods, Kms, KmsCertificate};
use prose_sec::mikey::PskPolicy;
use prose_sec::srtp::Profile;
use rand_core::{OsRng, RngCore};
use tokio::net::UdpSocket;

use crate::media;
use crate::node::{self, MemberConfig, MemberHandle, MemberStats, CT_SDP};
use crate::sip::{self, Method, SipMessage};
use crate::wire::{self, Reasons, Wire};

/// The KMS URI of the demo.
pub const KMS_URI: &[u8] = b"kms.example.org";
/// The group URI of the demo.
pub const GROUP: &str = "sip:fire-brigade@example.org";

/// Which call modes to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Mode {
    /// Network-independent (multicast) only.
    Independent,
    /// Network-connected (group controller) only.
    Connected,
    /// Both, independent first.
    Both,
}

/// Packet impairment on the media path (a loopback relay), in percent.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct Impair {
    /// Dropped.
    pub loss: f64,
    /// Held back and sent after the next packet.
    pub reorder: f64,
    /// Sent twice.
    pub dup: f64,
}

impl core::str::FromStr for Impair {
    type Err = anyhow::Error;
    /// `loss=5%,reorder=2%,dup=1%` (any subset, `%` optional).
    fn from_str(s: &str) -> anyhow::Result<Self> {
        let mut i = Impair::default();
        for part in s.split(',').filter(|p| !p.is_empty()) {
            let (k, v) = part
                .split_once('=')
                .ok_or_else(|| anyhow!("impairment `{part}`: expected name=percent"))?;
            let v: f64 = v
                .trim_end_matches('%')
                .parse()
                .map_err(|_| anyhow!("impairment `{part}`: `{v}` is not a percentage"))?;
            if !(0.0..=100.0).contains(&v) {
                bail!("impairment `{part}`: {v} is not between 0 and 100");
            }
            match k {
                "loss" => i.loss = v,
                "reorder" => i.reorder = v,
                "dup" => i.dup = v,
                _ => bail!("impairment `{k}`: expected loss, reorder or dup"),
            }
        }
        Ok(i)
    }
}

/// What to run.
#[derive(Clone, Debug)]
pub struct Options {
    /// Group members (receivers; the initiator is the first of them).
    pub members: usize,
    /// Modes.
    pub mode: Mode,
    /// Length of each call.
    pub duration: Duration,
    /// Identifier format (`prose` or `mcptt`).
    pub format: IdFormat,
    /// SRTP profile of the calls.
    pub srtp: Profile,
    /// The audio (8 kHz mono samples); `None` for the default signal.
    pub audio: Option<Vec<i16>>,
    /// Media impairment.
    pub impair: Option<Impair>,
    /// Capture file.
    pub pcap: Option<PathBuf>,
    /// Where members write the WAV of what they decrypted.
    pub wav_dir: Option<PathBuf>,
    /// Seconds between re-sent offers.
    pub resend_secs: u64,
    /// Run the late joiner, rekey and attack phases.
    pub attacks: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            members: 8,
            mode: Mode::Both,
            duration: Duration::from_secs(4),
            format: IdFormat::Prose,
            srtp: Profile::Aes128CmHmacSha1_80,
            audio: None,
            impair: None,
            pcap: None,
            wav_dir: None,
            resend_secs: 1,
            attacks: true,
        }
    }
}

/// One row of the report.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Phase {
    /// Name.
    pub name: String,
    /// Messages or packets sent.
    pub sent: u64,
    /// Accepted by the receivers (summed over them).
    pub accepted: u64,
    /// Refused by the receivers, by reason (summed over them).
    pub refused: Reasons,
    /// Octets sent on the wire during the phase.
    pub bytes: u64,
    /// Wall time.
    pub wall_ms: f64,
    /// Wall time per member.
    pub per_member_us: f64,
    /// Receivers' processing time per accepted message or packet.
    pub per_packet_us: f64,
}

/// Checks made on the run's data.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Checks {
    /// Members whose decrypted audio equals the sent µ-law frames, per call mode.
    pub audio_exact: BTreeMap<String, usize>,
    /// Members checked per call mode.
    pub audio_checked: BTreeMap<String, usize>,
    /// Frames sent per call mode.
    pub frames_sent: BTreeMap<String, u64>,
    /// Frames missing at members (summed), per call mode.
    pub frames_missing: BTreeMap<String, u64>,
    /// Frames that differ from what was sent (summed; must be 0), per call mode.
    pub frames_wrong: BTreeMap<String, u64>,
    /// GMK confirmations recorded by the Group Manager.
    pub confirmations: u64,
    /// The late joiner: frames decrypted and whether its session started from a re-sent offer.
    pub late_joiner_frames: u64,
    /// The late joiner's session started after it joined.
    pub late_joiner_started: bool,
    /// Members that added the new GSK at the rekey.
    pub rekeyed_members: usize,
    /// The outsider's accepted packets (must be 0) and refusals.
    pub outsider_accepted: u64,
    /// Refusals the outsider counted.
    pub outsider_refused: u64,
    /// Every SDP body the controller sent equals the initiator's byte for byte.
    pub controller_sdp_identical: bool,
    /// The controller saw a plaintext frame (must be false).
    pub controller_saw_plaintext: bool,
    /// The controller's INVITE fan-out legs answered 200 OK.
    pub controller_oks: u64,
    /// The relay's impairment: dropped, duplicated, reordered.
    pub impaired: BTreeMap<String, u64>,
    /// RTCP: SRs sent, RRs received by the initiator (and accepted).
    pub rtcp: BTreeMap<String, u64>,
    /// Provisioning through a KMS service (`--kms-service`): requests, issuance records,
    /// audit entries, members whose key sets match the service's issuance records.
    pub kms_service: BTreeMap<String, u64>,
    /// Datagram drops the kernel counted during each call, per call mode (counted for the
    /// whole network namespace: other traffic of the machine counts too).
    pub kernel_drops: BTreeMap<String, wire::KernelDrops>,
    /// The socket buffers asked for and granted.
    pub buffers: wire::Buffers,
    /// The controller's relay: datagrams it could not send, and pauses of its pacing.
    pub relay: BTreeMap<String, u64>,
}

/// The report of a run.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Report {
    /// Members.
    pub members: usize,
    /// Modes run.
    pub mode: String,
    /// Identifier format.
    pub format: String,
    /// SRTP profile.
    pub srtp: String,
    /// Phases in order.
    pub phases: Vec<Phase>,
    /// Checks.
    pub checks: Checks,
    /// Datagrams on the wire.
    pub datagrams: u64,
    /// Octets on the wire.
    pub octets: u64,
}

impl Report {
    /// The report as a text table.
    pub fn table(&self) -> String {
        let mut s = format!(
            "{} members, mode {}, {} identifiers, {}\n",
            self.members, self.mode, self.format, self.srtp
        );
        s.push_str(&format!(
            "{:<34} {:>8} {:>9} {:>9} {:>11} {:>10} {:>10} {:>10}  refused by reason\n",
            "phase", "sent", "accepted", "refused", "bytes", "wall ms", "us/member", "us/packet"
        ));
        for p in &self.phases {
            let refused: u64 = p.refused.values().sum();
            let reasons: Vec<String> = p.refused.iter().map(|(k, v)| format!("{k}: {v}")).collect();
            s.push_str(&format!(
                "{:<34} {:>8} {:>9} {:>9} {:>11} {:>10.1} {:>10.1} {:>10.1}  {}\n",
                p.name,
                p.sent,
                p.accepted,
                refused,
                p.bytes,
                p.wall_ms,
                p.per_member_us,
                p.per_packet_us,
                reasons.join("; ")
            ));
        }
        let c = &self.checks;
        for (mode, n) in &c.audio_checked {
            s.push_str(&format!(
                "audio ({mode}): {} of {n} members bit-exact; {} frames sent, {} missing, {} wrong\n",
                c.audio_exact.get(mode).copied().unwrap_or(0),
                c.frames_sent.get(mode).copied().unwrap_or(0),
                c.frames_missing.get(mode).copied().unwrap_or(0),
                c.frames_wrong.get(mode).copied().unwrap_or(0),
            ));
        }
        for (mode, d) in &c.kernel_drops {
            s.push_str(&format!(
                "kernel drops during the {mode} call: {} receive buffer full, {} send buffer full, {} backlog\n",
                d.rcvbuf_errors, d.sndbuf_errors, d.backlog_drops
            ));
        }
        if !c.relay.is_empty() {
            s.push_str(&format!("controller relay: {:?}\n", c.relay));
        }
        if c.buffers.asked > 0 {
            s.push_str(&format!(
                "socket buffers: {} asked, {} receive and {} send granted (smallest)\n",
                c.buffers.asked, c.buffers.rcv_granted, c.buffers.snd_granted
            ));
        }
        if !c.impaired.is_empty() {
            s.push_str(&format!("impairment relay: {:?}\n", c.impaired));
        }
        s.push_str(&format!(
            "{} datagrams, {} octets on the wire\n",
            self.datagrams, self.octets
        ));
        s
    }
}

/// Progress of the long phases (the CLI draws bars with it).
pub trait Progress: Send + Sync {
    /// A phase starts with `total` steps.
    fn start(&self, phase: &str, total: u64);
    /// `done` steps of it are done.
    fn set(&self, done: u64);
    /// It ended.
    fn finish(&self);
}

/// No progress output.
#[derive(Debug)]
pub struct Quiet;

impl Progress for Quiet {
    fn start(&self, _: &str, _: u64) {}
    fn set(&self, _: u64) {}
    fn finish(&self) {}
}

/// The provisioned roles: KMS, the Group Manager, the members (and an outsider: provisioned
/// by the same KMS, not a group member).
pub struct World {
    /// The KMS, when in process (`None` when the key sets came from a KMS service).
    pub kms: Option<Kms>,
    /// Its certificate.
    pub cert: KmsCertificate,
    /// The Group Manager.
    pub manager: Manager,
    /// The members (joined the group).
    pub members: Vec<Member>,
    /// The outsider.
    pub outsider: Member,
}

impl core::fmt::Debug for World {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("World")
            .field("members", &self.members.len())
            .finish_non_exhaustive()
    }
}

/// A member's URI.
pub fn member_uri(i: usize) -> String {
    format!("sip:unit-{i}@example.org")
}

fn e(x: prose_sec::Error) -> anyhow::Error {
    anyhow!("{}", x.as_str())
}

/// The policy of the demo's members: every GMK and GSK offer must be signed.
pub fn member_policy() -> PskPolicy {
    PskPolicy {
        require_signature: true,
        ..PskPolicy::default()
    }
}

/// A member of the demo, with no key set yet (to be provisioned, e.g. by a KMS service).
pub fn new_member(uri: &[u8], cert: KmsCertificate) -> Member {
    Member::new(uri, cert, member_policy())
}

fn same_kms(a: &KmsCertificate, b: &KmsCertificate) -> bool {
    a.periods.kms_uri() == b.periods.kms_uri()
        && a.z.to_bytes()[..] == b.z.to_bytes()[..]
        && a.kpak.to_sec1()[..] == b.kpak.to_sec1()[..]
}

/// The Group Manager's identity (a server identity of the KMS, which may fetch the group's
/// key sets).
pub const MANAGER: &str = "sip:group-manager@example.org";

/// The outsider's URI (provisioned by the same KMS, not a group member).
pub const OUTSIDER: &str = "sip:outsider@example.org";

/// The certificate with Z's tables built once, so that every copy of it (one per member, one
/// for the Group Manager) shares them (they are behind `Arc`s) instead of building its own
/// on first use: Z's Miller-loop lines (each member's key-set validation) and its fixed-base
/// table (the Group Manager's encapsulations).
pub fn shared_certificate(mut cert: KmsCertificate) -> anyhow::Result<KmsCertificate> {
    // Decoding Z builds and keeps its line table (the public key's own check).
    cert.z = prose_sec::sakke::KmsPublic::from_bytes(&cert.z.to_bytes()).map_err(e)?;
    cert.z.precompute();
    Ok(cert)
}

/// Provisions a KMS, the Group Manager and `n` members at `now` (key sets for its period).
pub fn provision(n: usize, format: IdFormat, now: u64) -> anyhow::Result<World> {
    if n == 0 {
        bail!("at least one member is needed");
    }
    let kms = Kms::generate(KeyPeriods::new(KMS_URI, format).map_err(e)?, &mut OsRng).map_err(e)?;
    let cert = shared_certificate(kms.certificate())?;
    let no = kms.periods().period_no(now).map_err(e)?;
    let mut uris: Vec<Vec<u8>> = (0..n).map(|i| member_uri(i).into_bytes()).collect();
    uris.push(OUTSIDER.as_bytes().to_vec());
    // Each member is independent work (the KMS's issuance of its key set; the member's
    // validation of it and the precomputation of its keys): one batch per core.
    let workers = std::thread::available_parallelism()
        .map(|p| p.get())
        .unwrap_or(1)
        .clamp(1, 16);
    let chunk = uris.len().div_ceil(workers).max(1);
    let batches: Vec<anyhow::Result<Vec<Member>>> = std::thread::scope(|s| {
        let tasks: Vec<_> = uris
            .chunks(chunk)
            .map(|part| {
                let (kms, cert) = (&kms, &cert);
                s.spawn(move || -> anyhow::Result<Vec<Member>> {
                    let refs: Vec<&[u8]> = part.iter().map(Vec::as_slice).collect();
                    let sets = kms.issue_many(&refs, no, &mut OsRng).map_err(e)?;
                    let mut out = Vec::with_capacity(part.len());
                    for (ks, u) in sets.into_iter().zip(part) {
                        let mut m = new_member(u, cert.clone());
                        m.add_key_set(ks.map_err(e)?, now).map_err(e)?;
                        out.push(m);
                    }
                    Ok(out)
                })
            })
            .collect();
        tasks
            .into_iter()
            .map(|t| {
                t.join()
                    .unwrap_or_else(|_| Err(anyhow!("a provisioning thread panicked")))
            })
            .collect()
    });
    let mut members = Vec::with_capacity(n + 1);
    for b in batches {
        members.extend(b?);
    }
    let outsider = members.pop().context("outsider")?;
    let group_keys = kms.issue(GROUP.as_bytes(), no, &mut OsRng).map_err(e)?;
    let mut w = World::from_provisioned(cert, group_keys, members, outsider, now)?;
    w.kms = Some(kms);
    Ok(w)
}

impl World {
    /// The roles from key sets provisioned elsewhere (a KMS service): `members` and
    /// `outsider` already hold their key sets (checked by [`Member::add_key_set`]);
    /// `group_keys` is the group identity's key set, which the Group Manager fetched. The
    /// members (and the outsider) join the group; the Group Manager gets every member (not
    /// the outsider).
    pub fn from_provisioned(
        cert: KmsCertificate,
        group_keys: prose_sec::kms::KeySet,
        mut members: Vec<Member>,
        mut outsider: Member,
        now: u64,
    ) -> anyhow::Result<World> {
        if members.is_empty() {
            bail!("at least one member is needed");
        }
        for m in members.iter().chain([&outsider]) {
            if !same_kms(m.certificate(), &cert) {
                bail!(
                    "{} holds keys of another KMS",
                    String::from_utf8_lossy(m.uri())
                );
            }
        }
        let gk = cert.accept(GROUP.as_bytes(), group_keys, now).map_err(e)?;
        let mut manager = Manager::new(GROUP.as_bytes(), cert.clone(), gk).map_err(e)?;
        for m in &mut members {
            m.join(GROUP.as_bytes());
            manager.add_member(m.uri()).map_err(e)?;
        }
        // The outsider listens to the group too, but the Group Manager never gives it a GMK.
        outsider.join(GROUP.as_bytes());
        Ok(World {
            kms: None,
            cert,
            manager,
            members,
            outsider,
        })
    }
}

fn merge(into: &mut Reasons, r: &Reasons) {
    for (k, v) in r {
        *into.entry(k.clone()).or_default() += v;
    }
}

fn diff(after: &Reasons, before: &Reasons) -> Reasons {
    after
        .iter()
        .filter_map(|(k, v)| {
            let d = v - before.get(k).copied().unwrap_or(0);
            (d > 0).then(|| (k.clone(), d))
        })
        .collect()
}

struct Snap {
    stats: Vec<MemberStats>,
    at: Instant,
    octets: u64,
}

fn snap(hs: &[&MemberHandle], wire: &Wire) -> Snap {
    Snap {
        stats: hs.iter().map(|h| h.stats()).collect(),
        at: Instant::now(),
        octets: wire.octets.load(std::sync::atomic::Ordering::Relaxed),
    }
}

/// Offers a node has handled (accepted or refused).
fn offers_handled(s: &MemberStats) -> u64 {
    s.sessions_started + s.offers_resent + s.rekeys + s.offers_refused.values().sum::<u64>()
}

/// Waits at least [`OFFER_WINDOW`] for every node of `hs` to handle one more offer than at
/// `before`, then until each has (a loaded machine), at most [`OFFER_LIMIT`].
async fn settle_offers(hs: &[&MemberHandle], before: &Snap) {
    let t0 = Instant::now();
    tokio::time::sleep(OFFER_WINDOW).await;
    while t0.elapsed() < OFFER_LIMIT {
        let all = hs
            .iter()
            .zip(&before.stats)
            .all(|(h, b)| offers_handled(&h.stats()) > offers_handled(b));
        if all {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The least time an attack phase waits for the members' verdicts.
const OFFER_WINDOW: Duration = Duration::from_millis(300);
/// The most.
const OFFER_LIMIT: Duration = Duration::from_secs(5);

/// Which counters a phase reports.
#[derive(Clone, Copy)]
enum Kind {
    Gmk,
    Offers,
    Media,
}

fn phase(name: &str, kind: Kind, sent: u64, before: &Snap, after: &Snap) -> Phase {
    let mut accepted = 0;
    let mut refused = Reasons::new();
    let mut busy = Duration::ZERO;
    for (a, b) in after.stats.iter().zip(&before.stats) {
        busy += a.busy.saturating_sub(b.busy);
        match kind {
            Kind::Gmk => {
                accepted += a.gmk_accepted - b.gmk_accepted;
                merge(&mut refused, &diff(&a.gmk_refused, &b.gmk_refused));
            }
            Kind::Offers => {
                accepted += (a.sessions_started + a.offers_resent + a.rekeys)
                    - (b.sessions_started + b.offers_resent + b.rekeys);
                merge(&mut refused, &diff(&a.offers_refused, &b.offers_refused));
            }
            Kind::Media => {
                accepted += (a.rtp_accepted + a.rtcp_accepted) - (b.rtp_accepted + b.rtcp_accepted);
                merge(&mut refused, &diff(&a.media_refused, &b.media_refused));
                merge(&mut refused, &diff(&a.offers_refused, &b.offers_refused));
            }
        }
    }
    let wall = after.at - before.at;
    let n = after.stats.len().max(1) as f64;
    Phase {
        name: name.to_owned(),
        sent,
        accepted,
        refused,
        bytes: after.octets - before.octets,
        wall_ms: wall.as_secs_f64() * 1e3,
        per_member_us: wall.as_secs_f64() * 1e6 / n,
        per_packet_us: if accepted > 0 {
            busy.as_secs_f64() * 1e6 / accepted as f64
        } else {
            0.0
        },
    }
}

/// The loopback relay of `--impair`: forwards datagrams to `dst`, dropping, duplicating and
/// reordering by a seeded generator (the same run every time).
struct Relay {
    addr: SocketAddr,
    counts: Arc<std::sync::Mutex<BTreeMap<String, u64>>>,
    task: tokio::task::JoinHandle<()>,
}

async fn spawn_relay(dst: SocketAddr, imp: Impair, wire: Arc<Wire>) -> anyhow::Result<Relay> {
    let inp = wire::unicast()?;
    let out = wire::multicast_sender()?;
    let addr = inp.local_addr()?;
    let counts = Arc::new(std::sync::Mutex::new(BTreeMap::new()));
    let c2 = counts.clone();
    let task = tokio::spawn(async move {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut roll = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % 10_000) as f64 / 100.0
        };
        let mut held: Option<Vec<u8>> = None;
        let mut buf = vec![0u8; 65_536];
        let bump = |k: &str| {
            if let Ok(mut c) = c2.lock() {
                *c.entry(k.to_owned()).or_default() += 1;
            }
        };
        while let Ok((n, _)) = inp.recv_from(&mut buf).await {
            let d = buf[..n].to_vec();
            if roll() < imp.loss {
                bump("dropped");
                continue;
            }
            if held.is_none() && roll() < imp.reorder {
                bump("reordered");
                held = Some(d);
                continue;
            }
            let _ = wire.send(&out, &d, dst).await;
            if roll() < imp.dup {
                bump("duplicated");
                let _ = wire.send(&out, &d, dst).await;
            }
            if let Some(h) = held.take() {
                let _ = wire.send(&out, &h, dst).await;
            }
        }
    });
    Ok(Relay { addr, counts, task })
}

/// The initiator's media: the frames, SSRC, sequence and timestamp, RTCP SRs every 2 s.
struct Sender {
    frames: Vec<[u8; media::FRAME]>,
    ssrc: u32,
    seq: u16,
    ts0: u32,
    sock: UdpSocket,
    dst: SocketAddr,
    sent: u64,
    octets: u64,
    srs: u64,
}

impl Sender {
    fn ts(&self, i: usize) -> u32 {
        self.ts0.wrapping_add((i * media::FRAME) as u32)
    }

    fn packet(&self, i: usize, init: &mut Initiator) -> anyhow::Result<Vec<u8>> {
        let f = &self.frames[i % self.frames.len()];
        let mut p = media::rtp_packet(
            media::PT_PCMU,
            i == 0,
            self.seq.wrapping_add(i as u16),
            self.ts(i),
            self.ssrc,
            f,
            0,
        );
        let len = p.len();
        let s = init.session();
        p.resize(len + s.rtp_overhead(), 0);
        let n = s.protect_rtp(&mut p, len).map_err(e)?;
        p.truncate(n);
        Ok(p)
    }

    fn sr(&mut self, i: usize, init: &mut Initiator) -> anyhow::Result<Vec<u8>> {
        let mut p = media::rtcp_sr(
            self.ssrc,
            self.ts(i),
            self.sent as u32,
            self.octets as u32,
            "initiator",
        );
        let len = p.len();
        let s = init.session();
        p.resize(len + s.rtcp_overhead(), 0);
        let n = s.protect_rtcp(&mut p, len).map_err(e)?;
        p.truncate(n);
        self.srs += 1;
        Ok(p)
    }
}

/// An SDP offer in a SIP MESSAGE to the group (network-independent mode: no answer expected).
fn offer_message(sdp: &str, from: SocketAddr, cseq: u32) -> Vec<u8> {
    SipMessage::request(Method::Message, GROUP)
        .with("Via", sip::via(from))
        .with("Max-Forwards", "1")
        .with(
            "From",
            format!("<{}>;tag={}", member_uri(0), sip::fresh_token()),
        )
        .with("To", format!("<{GROUP}>"))
        .with("Call-ID", format!("{}@{from}", sip::fresh_token()))
        .with("CSeq", format!("{cseq} MESSAGE"))
        .with_body(CT_SDP, sdp.as_bytes().to_vec())
        .to_bytes()
}

/// The audio comparison of one call: members' frames against the sent ones.
fn check_audio(
    checks: &mut Checks,
    mode: &str,
    sender: &Sender,
    frames: usize,
    got: &[(String, BTreeMap<u32, Vec<u8>>)],
    wav_dir: Option<&PathBuf>,
) -> anyhow::Result<()> {
    let mut exact = 0;
    let mut missing = 0;
    let mut wrong = 0;
    for (uri, f) in got {
        let mut ok = true;
        let mut samples = Vec::with_capacity(frames * media::FRAME);
        for i in 0..frames {
            let want = &sender.frames[i % sender.frames.len()];
            match f.get(&sender.ts(i)) {
                Some(g) if g[..] == want[..] => {
                    samples.extend(g.iter().map(|&u| media::ulaw_decode(u)))
                }
                Some(_) => {
                    wrong += 1;
                    ok = false;
                }
                None => {
                    missing += 1;
                    ok = false;
                    samples.extend(std::iter::repeat_n(0i16, media::FRAME));
                }
            }
        }
        if f.len() > frames {
            wrong += (f.len() - frames) as u64;
            ok = false;
        }
        if ok {
            exact += 1;
        }
        if let Some(d) = wav_dir {
            let name = uri.trim_start_matches("sip:").replace(['@', '.'], "_");
            media::write_wav(&d.join(format!("{mode}-{name}.wav")), &samples)?;
        }
    }
    checks.audio_exact.insert(mode.into(), exact);
    checks.audio_checked.insert(mode.into(), got.len());
    checks.frames_sent.insert(mode.into(), frames as u64);
    checks.frames_missing.insert(mode.into(), missing);
    checks.frames_wrong.insert(mode.into(), wrong);
    Ok(())
}

fn take_frames(hs: &[&MemberHandle]) -> Vec<(String, BTreeMap<u32, Vec<u8>>)> {
    hs.iter()
        .map(|h| {
            let f = h
                .stats
                .lock()
                .map(|mut s| std::mem::take(&mut s.frames))
                .unwrap_or_default();
            (String::from_utf8_lossy(&h.uri).into_owned(), f)
        })
        .collect()
}

const STEP: Duration = Duration::from_millis(20);
/// Longest time a phase may take to distribute a GMK.
pub const DIST_TIMEOUT: Duration = Duration::from_secs(30);

/// Runs the story and reports it (the KMS in process).
pub async fn run(opts: &Options, progress: &dyn Progress) -> anyhow::Result<Report> {
    run_with(opts, progress, None).await
}

/// Runs the story with `provisioned`: the roles and the row of their provisioning (from a
/// KMS service), or `None` to provision them with a KMS in process.
pub async fn run_with(
    opts: &Options,
    progress: &dyn Progress,
    provisioned: Option<(World, Phase)>,
) -> anyhow::Result<Report> {
    let wire = Arc::new(match &opts.pcap {
        Some(p) => Wire::with_pcap(p)?,
        None => Wire::new(),
    });
    let r = run_on(opts, progress, wire.clone(), provisioned).await;
    wire.finish()?;
    r
}

async fn run_on(
    opts: &Options,
    progress: &dyn Progress,
    wire: Arc<Wire>,
    provisioned: Option<(World, Phase)>,
) -> anyhow::Result<Report> {
    let n = match &provisioned {
        Some((w, _)) => w.members.len(),
        None => opts.members.max(1),
    };
    let mut report = Report {
        members: n,
        mode: format!("{:?}", opts.mode).to_lowercase(),
        format: match opts.format {
            IdFormat::Prose => "prose".into(),
            IdFormat::Mcptt { .. } => "mcptt".into(),
        },
        srtp: format!("{:?}", opts.srtp),
        ..Report::default()
    };
    let now = node::ntp_now(0);

    let world = match provisioned {
        Some((w, p)) => {
            report.phases.push(p);
            w
        }
        None => {
            // Provisioning (KMS, in process).
            progress.start("KMS provisioning", n as u64);
            let t0 = Instant::now();
            let fmt = opts.format.clone();
            let world = tokio::task::spawn_blocking(move || provision(n, fmt, now)).await??;
            let wall = t0.elapsed();
            progress.finish();
            report.phases.push(Phase {
                name: "KMS provisioning (key sets)".into(),
                sent: n as u64 + 2,
                accepted: n as u64 + 2,
                wall_ms: wall.as_secs_f64() * 1e3,
                per_member_us: wall.as_secs_f64() * 1e6 / n as f64,
                ..Phase::default()
            });
            world
        }
    };

    // The multicast group of this run and its ports.
    let mut rb = [0u8; 2];
    OsRng.fill_bytes(&mut rb);
    let group_ip = Ipv4Addr::new(239, 255, rb[0], rb[1].max(1));
    let (_hold_sip, mc_sip) = wire::multicast_port()?;
    let (_hold_media, mc_media) = wire::multicast_port()?;
    let multicast = Some((group_ip, mc_sip, mc_media));
    let independent = opts.mode != Mode::Connected;
    let connected = opts.mode != Mode::Independent;
    let late = opts.attacks && independent && n >= 3;

    // Member nodes: the last one is the late joiner (no multicast until it joins).
    let mut handles = Vec::with_capacity(n);
    let World {
        cert: _,
        kms: _kms,
        manager,
        members,
        outsider,
    } = world;
    let mut manager = Some(manager);
    for (i, m) in members.into_iter().enumerate() {
        let cfg = MemberConfig {
            group: GROUP.as_bytes().to_vec(),
            keep_audio: true,
            multicast: if late && i == n - 1 { None } else { multicast },
        };
        handles.push(node::spawn_member(m, cfg, wire.clone()).await?);
    }
    let outsider = node::spawn_member(
        outsider,
        MemberConfig {
            group: GROUP.as_bytes().to_vec(),
            keep_audio: true,
            multicast,
        },
        wire.clone(),
    )
    .await?;
    let mut addrs: HashMap<Vec<u8>, SocketAddr> =
        handles.iter().map(|h| (h.uri.clone(), h.sip)).collect();

    // GMK distribution with confirmations.
    let gmk1 = manager
        .as_mut()
        .context("manager")?
        .create_gmk(0, 0, &mut OsRng)
        .map_err(e)?;
    let refs: Vec<&MemberHandle> = handles.iter().collect();
    let before = snap(&refs, &wire);
    progress.start("GMK distribution", n as u64);
    let notes = manager
        .as_mut()
        .context("manager")?
        .notifications(gmk1, now, &mut OsRng)
        .map_err(e)?;
    let dist = node::distribute(
        manager.as_mut().context("manager")?,
        &notes,
        &addrs,
        &wire,
        DIST_TIMEOUT,
    )
    .await?;
    progress.finish();
    let after = snap(&refs, &wire);
    let mut p = phase(
        "GMK distribution (MESSAGE/200)",
        Kind::Gmk,
        dist.sent,
        &before,
        &after,
    );
    p.name = format!("GMK distribution ({} confirmed)", dist.confirmed);
    report.checks.confirmations = dist.confirmed;
    if dist.confirmed != n as u64 {
        bail!(
            "GMK distribution: {} of {n} members confirmed within {:?}",
            dist.confirmed,
            DIST_TIMEOUT
        );
    }
    report.phases.push(p);

    let ssrc = OsRng.next_u32();
    let audio = match &opts.audio {
        Some(a) => a.clone(),
        None => media::default_signal(opts.duration.as_secs_f64()),
    };
    let frames_all = media::frames(&audio);
    let nframes = ((opts.duration.as_millis() / 20) as usize).max(10);

    if independent {
        let initiator_node = &handles[0];
        let (mut init1, signer) = initiator_node.start_call(opts.srtp, ssrc).await?;
        init1.set_resend_secs(opts.resend_secs).map_err(e)?;
        let sip_out = wire::multicast_sender()?;
        let sip_dst = SocketAddr::from((group_ip, mc_sip));
        let media_dst = SocketAddr::from((group_ip, mc_media));
        let relay = match opts.impair {
            Some(i) => Some(spawn_relay(media_dst, i, wire.clone()).await?),
            None => None,
        };
        let mut sender = Sender {
            frames: frames_all.clone(),
            ssrc,
            seq: (OsRng.next_u32() % 30_000) as u16,
            ts0: OsRng.next_u32(),
            sock: wire::multicast_sender()?,
            dst: relay.as_ref().map(|r| r.addr).unwrap_or(media_dst),
            sent: 0,
            octets: 0,
            srs: 0,
        };
        let me = sip_out.local_addr()?;
        let sdp = init1.sdp_offer(&group_ip.to_string(), mc_media);
        let mut cseq = 1;
        let refs: Vec<&MemberHandle> = handles.iter().collect();
        let b_offer = snap(&refs, &wire);
        wire.send(&sip_out, &offer_message(&sdp, me, cseq), sip_dst)
            .await?;
        let mut offers_sent = 1u64;
        let mut cur: Initiator = init1;
        let mut old: Option<Initiator> = None;
        let mut rekey_task: Option<
            tokio::task::JoinHandle<anyhow::Result<(Manager, node::Distribution)>>,
        > = None;
        let mut switch_at: Option<usize> = None;
        let mut rekey_signer = signer.clone();
        let mut late_joined_at = None;
        let mut late_handle: Option<MemberHandle> = None;
        let mut tampered = 0u64;
        progress.start("network-independent call", nframes as u64);
        let mut tick = tokio::time::interval(STEP);
        let b_media = b_offer.stats.clone();
        let t_call = Instant::now();
        let drops0 = wire::KernelDrops::now();
        // The call goes on until the rekey is done (its distribution to every member first).
        let mut i = 0;
        let limit = nframes * 20;
        while i < nframes || (opts.attacks && switch_at.is_none_or(|s| i < s + 5) && i < limit) {
            i += 1;
            let i = i - 1;
            tick.tick().await;
            progress.set(i as u64);
            // The late joiner joins a third into the call.
            if late && i == nframes / 3 {
                if let Some(h) = handles.pop() {
                    let (m, _) = h.stop().await?;
                    let h = node::spawn_member(
                        m,
                        MemberConfig {
                            group: GROUP.as_bytes().to_vec(),
                            keep_audio: true,
                            multicast,
                        },
                        wire.clone(),
                    )
                    .await?;
                    addrs.insert(h.uri.clone(), h.sip);
                    late_joined_at = Some(i);
                    late_handle = Some(h);
                }
            }
            // The rekey starts half way: a new GMK to every member (with confirmations).
            if opts.attacks && i == nframes / 2 && rekey_task.is_none() {
                let mut mgr = manager.take().context("manager")?;
                let addrs = addrs.clone();
                let w = wire.clone();
                let t = node::ntp_now(0).max(now + 1);
                rekey_task = Some(tokio::spawn(async move {
                    let (_, notes) = mgr.rekey(t, 0, &mut OsRng).map_err(e)?;
                    let d = node::distribute(&mut mgr, &notes, &addrs, &w, DIST_TIMEOUT).await?;
                    Ok((mgr, d))
                }));
            }
            if let Some(t) = &rekey_task {
                if t.is_finished() && old.is_none() && switch_at.is_none() {
                    let t = rekey_task.take().context("rekey")?;
                    let (mgr, d) = t.await??;
                    manager = Some(mgr);
                    report.checks.confirmations += d.confirmed;
                    report.phases.push(Phase {
                        name: format!("rekey: new GMK ({} confirmed)", d.confirmed),
                        sent: d.sent,
                        accepted: d.confirmed,
                        refused: d.refused.clone(),
                        bytes: d.octets,
                        wall_ms: d.elapsed.as_secs_f64() * 1e3,
                        per_member_us: d.elapsed.as_secs_f64() * 1e6 / n as f64,
                        ..Phase::default()
                    });
                    let (mut init2, s2) = handles[0].start_call(opts.srtp, ssrc).await?;
                    init2.set_resend_secs(opts.resend_secs).map_err(e)?;
                    // The SRTCP index of the SSRC goes on under the new key (one replay
                    // window per SSRC at the receivers, whatever the key).
                    init2
                        .session()
                        .set_srtcp_index(ssrc, sender.srs as u32)
                        .map_err(e)?;
                    rekey_signer = s2;
                    let sdp = init2.sdp_offer(&group_ip.to_string(), mc_media);
                    cseq += 1;
                    wire.send(&sip_out, &offer_message(&sdp, me, cseq), sip_dst)
                        .await?;
                    offers_sent += 1;
                    // Old key for 10 more frames while the new offer spreads, then the new one.
                    old = Some(std::mem::replace(&mut cur, init2));
                    switch_at = Some(i + 10);
                }
            }
            let use_old = matches!(switch_at, Some(s) if i < s);
            let tx = if use_old {
                old.as_mut().context("old initiator")?
            } else {
                &mut cur
            };
            let pkt = sender.packet(i, tx)?;
            if opts.attacks && i % 40 == 7 {
                // A tampered copy goes first: refused, and the genuine one still plays.
                let mut bad = pkt.clone();
                bad[media::RTP_HEADER + 3] ^= 0x20;
                wire.send(&sender.sock, &bad, sender.dst).await?;
                tampered += 1;
            }
            wire.send(&sender.sock, &pkt, sender.dst).await?;
            sender.sent += 1;
            sender.octets += media::FRAME as u64;
            if i % 100 == 50 {
                let sr = sender.sr(i, tx)?;
                wire.send(&sender.sock, &sr, sender.dst).await?;
            }
            // The offer is re-sent (MESSAGE to the group) from the current initiator.
            if !use_old {
                if let Some(o) = cur
                    .resend_due(node::ntp_now(0), rekey_signer.as_ref())
                    .map_err(e)?
                {
                    let sdp = sdp_with(&cur, &o, &group_ip.to_string(), mc_media);
                    cseq += 1;
                    wire.send(&sip_out, &offer_message(&sdp, me, cseq), sip_dst)
                        .await?;
                    offers_sent += 1;
                }
            }
        }
        progress.finish();
        if opts.attacks && switch_at.is_none() {
            bail!("the rekey did not complete within the call");
        }
        let ind_frames = sender.sent as usize;
        tokio::time::sleep(Duration::from_millis(200)).await;
        if let Some(h) = late_handle.take() {
            handles.push(h);
        }
        let refs: Vec<&MemberHandle> = handles.iter().collect();
        let a = snap(&refs, &wire);
        let wall_call = t_call.elapsed();
        report.checks.kernel_drops.insert(
            "independent".into(),
            wire::KernelDrops::now().since(&drops0),
        );
        let mut p_off = phase(
            "independent: offers (MESSAGE)",
            Kind::Offers,
            offers_sent,
            &b_offer,
            &a,
        );
        p_off.name = "independent: offers, re-sends".into();
        report.phases.push(p_off);
        let b_snap = Snap {
            stats: b_media,
            at: a.at - wall_call,
            octets: b_offer.octets,
        };
        let p_media = phase(
            "independent: SRTP/SRTCP (multicast)",
            Kind::Media,
            sender.sent + sender.srs + tampered,
            &b_snap,
            &a,
        );
        report.phases.push(p_media);
        report
            .checks
            .rtcp
            .insert("sr_sent_independent".into(), sender.srs);
        report.checks.rekeyed_members = a.stats.iter().filter(|s| s.rekeys > 0).count();
        if let Some(r) = &relay {
            report.checks.impaired = r.counts.lock().map(|c| c.clone()).unwrap_or_default();
            r.task.abort();
        }
        if late {
            let s = &a.stats[n - 1];
            report.checks.late_joiner_started = s.sessions_started > 0 && late_joined_at.is_some();
        }
        // Audio: every member but the late joiner from the start; the late joiner separately.
        let mut got = take_frames(&refs);
        if late {
            if let Some((_, f)) = got.pop() {
                report.checks.late_joiner_frames = f.len() as u64;
                let bad = f.iter().filter(|(ts, fr)| {
                    let i = ts.wrapping_sub(sender.ts0) as usize / media::FRAME;
                    i >= ind_frames || fr[..] != sender.frames[i % sender.frames.len()][..]
                });
                report
                    .checks
                    .frames_wrong
                    .insert("late joiner".into(), bad.count() as u64);
            }
        }
        // The initiator's own node hears the multicast too: the comparison is over receivers.
        got.retain(|(u, _)| *u != member_uri(0));
        check_audio(
            &mut report.checks,
            "independent",
            &sender,
            ind_frames,
            &got,
            opts.wav_dir.as_ref(),
        )?;
        let _ = take_frames(&[&outsider]);

        if opts.attacks {
            let refs: Vec<&MemberHandle> = handles.iter().chain([&outsider]).collect();
            // Revocation of the first GMK, then an offer under it.
            let b = snap(&refs, &wire);
            let t = node::ntp_now(0).max(now + 2);
            let mgr = manager.as_mut().context("manager")?;
            let notes = mgr.revoke(gmk1, t, &mut OsRng).map_err(e)?;
            let d = node::distribute(mgr, &notes, &addrs, &wire, DIST_TIMEOUT).await?;
            let a = snap(&refs, &wire);
            report.phases.push(phase(
                "revocation of the first GMK",
                Kind::Gmk,
                d.sent,
                &b,
                &a,
            ));
            let mut under_revoked = old.take().context("old initiator")?;
            let offer = loop {
                if let Some(o) = under_revoked
                    .resend_due(node::ntp_now(0), signer.as_ref())
                    .map_err(e)?
                {
                    break o;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            };
            let b = snap(&refs, &wire);
            let sdp = sdp_with(&under_revoked, &offer, &group_ip.to_string(), mc_media);
            wire.send(&sip_out, &offer_message(&sdp, me, 90), sip_dst)
                .await?;
            settle_offers(&refs, &b).await;
            let a = snap(&refs, &wire);
            report.phases.push(phase(
                "offer under the revoked GMK",
                Kind::Offers,
                1,
                &b,
                &a,
            ));

            // A forged offer: the current offer with its signature altered.
            let b = snap(&refs, &wire);
            let mut forged = cur.first_offer().to_vec();
            let k = forged.len() - 1;
            forged[k] ^= 0x01;
            let sdp = sdp_with(&cur, &forged, &group_ip.to_string(), mc_media);
            wire.send(&sip_out, &offer_message(&sdp, me, 91), sip_dst)
                .await?;
            settle_offers(&refs, &b).await;
            let a = snap(&refs, &wire);
            report.phases.push(phase(
                "forged offer (signature altered)",
                Kind::Offers,
                1,
                &b,
                &a,
            ));

            // A replayed offer: the call's first offer, recorded and played back once it is
            // older than the members' freshness window. Within the window the profile makes a
            // byte-identical copy a re-send (late entry: the same session again, nothing new
            // for whoever sent it), which a receiver cannot tell from the initiator's own; only
            // a different message re-using a seen (CSB ID, T, RAND) is a replay there, and
            // only the initiator can make one that verifies. So the refusal needs the offer to
            // be stale: the members' clocks are moved forward past the window (by its length
            // and a second) for this phase, instead of waiting that long.
            let late_by = member_policy().max_skew_secs + 1;
            for h in &refs {
                h.set_clock_offset(late_by as i64);
            }
            let b = snap(&refs, &wire);
            let replayed = cur.sdp_offer(&group_ip.to_string(), mc_media);
            wire.send(&sip_out, &offer_message(&replayed, me, 92), sip_dst)
                .await?;
            settle_offers(&refs, &b).await;
            let a = snap(&refs, &wire);
            for h in &refs {
                h.set_clock_offset(0);
            }
            let mut p = phase("replayed offer", Kind::Offers, 1, &b, &a);
            p.name = format!("replayed offer ({late_by} s later)");
            report.phases.push(p);
            let os = outsider.stats();
            report.checks.outsider_accepted =
                os.rtp_accepted + os.rtcp_accepted + os.sessions_started + os.gmk_accepted;
            report.checks.outsider_refused =
                os.media_refused.values().sum::<u64>() + os.offers_refused.values().sum::<u64>();
            report.phases.push(Phase {
                name: "outsider (not a group member)".into(),
                sent: 0,
                accepted: report.checks.outsider_accepted,
                refused: {
                    let mut r = os.media_refused.clone();
                    merge(&mut r, &os.offers_refused);
                    r
                },
                ..Phase::default()
            });
        }
    }

    if connected {
        let legs: Vec<node::Leg> = handles[1..]
            .iter()
            .map(|h| node::Leg {
                uri: String::from_utf8_lossy(&h.uri).into_owned(),
                sip: h.sip,
            })
            .collect();
        let ctl = node::spawn_controller(legs, wire.clone()).await?;
        let ssrc = ssrc.wrapping_add(1);
        let (mut init, _signer) = handles[0].start_call(opts.srtp, ssrc).await?;
        let sip_sock = wire::unicast()?;
        let me = sip_sock.local_addr()?;
        let media_sock = wire::unicast()?;
        let sdp = init.sdp_offer("127.0.0.1", media_sock.local_addr()?.port());
        let refs: Vec<&MemberHandle> = handles[1..].iter().collect();
        let b = snap(&refs, &wire);
        let call_id = format!("{}@{me}", sip::fresh_token());
        let invite = SipMessage::request(Method::Invite, GROUP)
            .with("Via", sip::via(me))
            .with("Max-Forwards", "70")
            .with(
                "From",
                format!("<{}>;tag={}", member_uri(0), sip::fresh_token()),
            )
            .with("To", format!("<{GROUP}>"))
            .with("Call-ID", call_id.clone())
            .with("CSeq", "1 INVITE")
            .with("Contact", format!("<sip:unit-0@{me}>"))
            .with_body(CT_SDP, sdp.clone().into_bytes());
        progress.start("network-connected set-up", (n - 1) as u64);
        wire.send(&sip_sock, &invite.to_bytes(), ctl.sip).await?;
        let (ok, trying) = await_final(&sip_sock, &call_id, Duration::from_secs(20)).await?;
        progress.finish();
        if ok.code() != Some(200) {
            bail!("the controller answered {:?}", ok.code());
        }
        let answer = String::from_utf8_lossy(&ok.body).into_owned();
        let relay_addr = node::sdp_media_addr(&answer)
            .context("controller's SDP answer has no media address")?;
        let mut ack = SipMessage::request(Method::Ack, GROUP)
            .with("Via", sip::via(me))
            .with("Max-Forwards", "70");
        for h in ["From", "To", "Call-ID"] {
            if let Some(v) = ok.header(h) {
                ack = ack.with(h, v.to_owned());
            }
        }
        wire.send(&sip_sock, &ack.with("CSeq", "1 ACK").to_bytes(), ctl.sip)
            .await?;
        let a = snap(&refs, &wire);
        let cs = ctl.stats();
        let mut p = phase(
            "connected: INVITE fan-out (200 OKs)",
            Kind::Offers,
            cs.invites_out + 1 + u64::from(trying),
            &b,
            &a,
        );
        p.name = format!(
            "connected: INVITE, 100 Trying: {}",
            if trying { "yes" } else { "no" }
        );
        report.phases.push(p);

        let dst = match opts.impair {
            Some(i) => Some(spawn_relay(relay_addr, i, wire.clone()).await?),
            None => None,
        };
        let mut sender = Sender {
            frames: frames_all.clone(),
            ssrc,
            seq: (OsRng.next_u32() % 30_000) as u16,
            ts0: OsRng.next_u32(),
            sock: media_sock,
            dst: dst.as_ref().map(|r| r.addr).unwrap_or(relay_addr),
            sent: 0,
            octets: 0,
            srs: 0,
        };
        let b = snap(&refs, &wire);
        let drops0 = wire::KernelDrops::now();
        progress.start("network-connected call", nframes as u64);
        let mut tick = tokio::time::interval(STEP);
        let mut rr_in = 0u64;
        let mut rr_ok = 0u64;
        let mut rbuf = vec![0u8; 2048];
        for i in 0..nframes {
            tick.tick().await;
            progress.set(i as u64);
            let pkt = sender.packet(i, &mut init)?;
            wire.send(&sender.sock, &pkt, sender.dst).await?;
            sender.sent += 1;
            sender.octets += media::FRAME as u64;
            if i % 100 == 50 {
                let sr = sender.sr(i, &mut init)?;
                wire.send(&sender.sock, &sr, sender.dst).await?;
            }
            // Receiver reports relayed back by the controller.
            while let Ok((len, _)) = sender.sock.try_recv_from(&mut rbuf) {
                rr_in += 1;
                if init.session().unprotect_rtcp(&mut rbuf, len).is_ok() {
                    rr_ok += 1;
                }
            }
        }
        progress.finish();
        // Until every member has every packet: on a loaded machine the relay and the members
        // may be behind the media clock; a packet still on its way is not a lost one. Waits
        // while deliveries go on, at most DRAIN_LIMIT.
        drain(&refs, &b, sender.sent).await;
        let a = snap(&refs, &wire);
        report
            .checks
            .kernel_drops
            .insert("connected".into(), wire::KernelDrops::now().since(&drops0));
        report.phases.push(phase(
            "connected: SRTP/SRTCP (relayed)",
            Kind::Media,
            sender.sent + sender.srs,
            &b,
            &a,
        ));
        report
            .checks
            .rtcp
            .insert("sr_sent_connected".into(), sender.srs);
        report
            .checks
            .rtcp
            .insert("rr_received_connected".into(), rr_in);
        report
            .checks
            .rtcp
            .insert("rr_accepted_connected".into(), rr_ok);
        if let Some(r) = &dst {
            let c = r.counts.lock().map(|c| c.clone()).unwrap_or_default();
            for (k, v) in c {
                *report.checks.impaired.entry(k).or_default() += v;
            }
            r.task.abort();
        }
        // BYE.
        let bye = SipMessage::request(Method::Bye, GROUP)
            .with("Via", sip::via(me))
            .with("Max-Forwards", "70")
            .with("From", invite.header("From").unwrap_or("").to_owned())
            .with("To", ok.header("To").unwrap_or("").to_owned())
            .with("Call-ID", call_id.clone())
            .with("CSeq", "2 BYE");
        wire.send(&sip_sock, &bye.to_bytes(), ctl.sip).await?;
        let _ = await_final(&sip_sock, &call_id, Duration::from_secs(5)).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        let cs = ctl.stop().await;
        report.checks.controller_oks = cs.oks_in;
        report
            .checks
            .relay
            .insert("send errors".into(), cs.relay_errors);
        report
            .checks
            .relay
            .insert("pacing pauses".into(), cs.relay_pauses);
        report.checks.controller_sdp_identical = !cs.sdp_out.is_empty()
            && cs.sdp_in == sdp.as_bytes()
            && cs.sdp_out.iter().all(|b| *b == cs.sdp_in);
        report.checks.controller_saw_plaintext = cs.seen_media.iter().any(|d| {
            sender
                .frames
                .iter()
                .any(|f| d.windows(32).any(|w| w == &f[..32]))
        });
        let got = take_frames(&refs);
        check_audio(
            &mut report.checks,
            "connected",
            &sender,
            nframes,
            &got,
            opts.wav_dir.as_ref(),
        )?;
    }

    for h in handles {
        h.stop().await?;
    }
    outsider.stop().await?;
    report.checks.buffers = wire::buffers();
    report.datagrams = wire.datagrams.load(std::sync::atomic::Ordering::Relaxed);
    report.octets = wire.octets.load(std::sync::atomic::Ordering::Relaxed);
    Ok(report)
}

/// Waits until each of `hs` accepted `sent` more RTP packets than at `before`: at least
/// 200 ms, then while the count still rises (a stall of [`DRAIN_STALL`] ends it), at most
/// [`DRAIN_LIMIT`].
async fn drain(hs: &[&MemberHandle], before: &Snap, sent: u64) {
    let want: u64 = before.stats.iter().map(|s| s.rtp_accepted + sent).sum();
    let got = || hs.iter().map(|h| h.stats().rtp_accepted).sum::<u64>();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let t0 = Instant::now();
    let mut last = got();
    let mut moved = Instant::now();
    while last < want && t0.elapsed() < DRAIN_LIMIT && moved.elapsed() < DRAIN_STALL {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let g = got();
        if g > last {
            last = g;
            moved = Instant::now();
        }
    }
}

/// The longest wait for the media still on its way after a call.
const DRAIN_LIMIT: Duration = Duration::from_secs(20);
/// Deliveries stopped: what is missing then is lost.
const DRAIN_STALL: Duration = Duration::from_secs(1);

/// The SDP of an offer message `offer` made by `init` (same media description as its first).
fn sdp_with(init: &Initiator, offer: &[u8], addr: &str, port: u16) -> String {
    let first = init.sdp_offer(addr, port);
    let old = prose_sec::sdp::format_key_mgmt(init.first_offer());
    first.replace(&old, &prose_sec::sdp::format_key_mgmt(offer))
}

/// Waits for the final response of `call_id` (skipping provisional ones; whether a 100 came).
async fn await_final(
    sock: &UdpSocket,
    call_id: &str,
    limit: Duration,
) -> anyhow::Result<(SipMessage, bool)> {
    let mut buf = vec![0u8; 65_536];
    let mut trying = false;
    let end = Instant::now() + limit;
    loop {
        let left = end.saturating_duration_since(Instant::now());
        let (n, _) = tokio::time::timeout(left, sock.recv_from(&mut buf))
            .await
            .map_err(|_| anyhow!("no final response within {limit:?}"))??;
        let Ok(m) = SipMessage::parse(&buf[..n]) else {
            continue;
        };
        if m.call_id() != Some(call_id) {
            continue;
        }
        match m.code() {
            Some(100..=199) => trying = true,
            Some(_) => return Ok((m, trying)),
            None => {}
        }
    }
}
