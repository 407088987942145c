//! The role nodes on UDP sockets: the member (GMK notifications by SIP MESSAGE answered with
//! 200 OK, GSK offers by multicast MESSAGE or by INVITE, SRTP/SRTCP media, RTCP receiver
//! reports, the decrypted audio), the group controller of the network-connected mode (100
//! Trying, the INVITE fan-out with the offer's SDP byte for byte, the 200 OKs collected, SRTP
//! relayed to every member — it holds no group key), and the Group Manager's GMK distribution
//! with the members' confirmations.

use std::collections::{BTreeMap, HashMap};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use prose_sec::eccsi::SigningKey;
use prose_sec::group::initiator::Initiator;
use prose_sec::group::manager::{Manager, Notification};
use prose_sec::group::member::{Event, Member};
use prose_sec::srtp::Profile;
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::media;
use crate::sip::{self, Method, SipMessage};
use crate::wire::{self, count, Reasons, Wire};

/// Content type of a MIKEY message in a SIP body (RFC 3830 §10).
pub const CT_MIKEY: &str = "application/mikey";
/// Content type of SDP.
pub const CT_SDP: &str = "application/sdp";
/// Reason of a media packet that arrives before any offer was accepted.
pub const NO_SESSION: &str = "no session (no offer accepted)";

/// The current NTP seconds, shifted by `offset`.
pub fn ntp_now(offset: i64) -> u64 {
    let now = prose_sec::mikey::ntp_now_secs().unwrap_or(0);
    now.saturating_add_signed(offset)
}

/// The SDP answer of a receiving member: one audio stream on `media`.
pub fn sdp_answer(media: SocketAddr, id: u64) -> String {
    let ip = media.ip();
    format!(
        "v=0\r\no=- {id} 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\nm=audio {} RTP/SAVP 0\r\na=recvonly\r\n",
        media.port()
    )
}

/// The media address of an SDP body (c= and the first m= port); `None` if absent.
pub fn sdp_media_addr(sdp: &str) -> Option<SocketAddr> {
    let mut ip = None;
    let mut port = None;
    for l in sdp.lines() {
        if let Some(c) = l.strip_prefix("c=IN IP4 ") {
            ip = c
                .split('/')
                .next()
                .and_then(|a| a.trim().parse::<Ipv4Addr>().ok());
        }
        if let Some(m) = l.strip_prefix("m=audio ") {
            port = port.or_else(|| m.split(' ').next().and_then(|p| p.parse::<u16>().ok()));
        }
    }
    Some(SocketAddr::from((ip?, port?)))
}

/// What a member counted.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct MemberStats {
    /// GMK messages accepted (new GMKs and status changes such as a revocation).
    pub gmk_accepted: u64,
    /// GMK messages refused, by reason.
    pub gmk_refused: Reasons,
    /// Offers that started the session.
    pub sessions_started: u64,
    /// Offers accepted as re-sends.
    pub offers_resent: u64,
    /// Offers that added a new GSK (rekey).
    pub rekeys: u64,
    /// Offers refused, by reason.
    pub offers_refused: Reasons,
    /// SRTP packets accepted.
    pub rtp_accepted: u64,
    /// SRTCP packets accepted.
    pub rtcp_accepted: u64,
    /// Media refused, by reason.
    pub media_refused: Reasons,
    /// SRTP octets accepted.
    pub media_octets: u64,
    /// SIP messages refused by the parser, by reason.
    pub sip_refused: Reasons,
    /// BYEs received.
    pub byes: u64,
    /// RTCP receiver reports sent.
    pub rr_sent: u64,
    /// The decrypted frames by RTP timestamp (kept when audio is kept).
    #[serde(skip)]
    pub frames: BTreeMap<u32, Vec<u8>>,
    /// Time spent on the member's cryptographic work (GMK messages, offers, media).
    #[serde(skip)]
    pub busy: Duration,
    /// The SDP body of the last offer it received (MESSAGE or INVITE), as received.
    #[serde(skip)]
    pub last_sdp: Vec<u8>,
}

/// How a member node is set up.
#[derive(Clone, Debug)]
pub struct MemberConfig {
    /// The group URI.
    pub group: Vec<u8>,
    /// Keep the decrypted frames.
    pub keep_audio: bool,
    /// The multicast group and its SIP and media ports (network-independent mode).
    pub multicast: Option<(Ipv4Addr, u16, u16)>,
}

enum Cmd {
    StartCall {
        profile: Profile,
        ssrc: u32,
        reply: oneshot::Sender<prose_sec::Result<(Initiator, Option<SigningKey>)>>,
    },
    State(oneshot::Sender<prose_sec::group::member::MemberState>),
}

/// A running member node.
pub struct MemberHandle {
    /// The member's URI.
    pub uri: Vec<u8>,
    /// Its SIP address.
    pub sip: SocketAddr,
    /// Its unicast media address.
    pub media: SocketAddr,
    /// What it counted.
    pub stats: Arc<Mutex<MemberStats>>,
    clock: Arc<AtomicI64>,
    cmd: mpsc::Sender<Cmd>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Member>,
}

impl core::fmt::Debug for MemberHandle {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("MemberHandle")
            .field("uri", &String::from_utf8_lossy(&self.uri))
            .field("sip", &self.sip)
            .finish_non_exhaustive()
    }
}

const CMD_TIMEOUT: Duration = Duration::from_secs(10);

impl MemberHandle {
    /// Shifts the member's clock by `secs` (for the replay phase: an offer played back later).
    pub fn set_clock_offset(&self, secs: i64) {
        self.clock.store(secs, Ordering::Relaxed);
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> MemberStats {
        self.stats.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Starts a call as this member (it is the initiator): the initiator and its signing key.
    pub async fn start_call(
        &self,
        profile: Profile,
        ssrc: u32,
    ) -> anyhow::Result<(Initiator, Option<SigningKey>)> {
        let (tx, rx) = oneshot::channel();
        self.cmd
            .send(Cmd::StartCall {
                profile,
                ssrc,
                reply: tx,
            })
            .await
            .map_err(|_| anyhow::anyhow!("member stopped"))?;
        let r = tokio::time::timeout(CMD_TIMEOUT, rx).await??;
        r.map_err(|e| anyhow::anyhow!("starting the call: {e}"))
    }

    /// The member's persistent state now.
    pub async fn state(&self) -> anyhow::Result<prose_sec::group::member::MemberState> {
        let (tx, rx) = oneshot::channel();
        self.cmd
            .send(Cmd::State(tx))
            .await
            .map_err(|_| anyhow::anyhow!("member stopped"))?;
        Ok(tokio::time::timeout(CMD_TIMEOUT, rx).await??)
    }

    /// Stops the node and gives its member back.
    pub async fn stop(mut self) -> anyhow::Result<(Member, MemberStats)> {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        let m = tokio::time::timeout(CMD_TIMEOUT, self.task).await??;
        let st = self.stats.lock().map(|s| s.clone()).unwrap_or_default();
        Ok((m, st))
    }

    /// Kills the node (as a crash would: nothing saved).
    pub fn kill(self) {
        self.task.abort();
    }
}

async fn recv_opt(s: &Option<UdpSocket>, buf: &mut [u8]) -> std::io::Result<(usize, SocketAddr)> {
    match s {
        Some(s) => s.recv_from(buf).await,
        None => std::future::pending().await,
    }
}

/// Starts a member node for `member` (which joined `cfg.group`) on 127.0.0.1, ports from the
/// system.
pub async fn spawn_member(
    member: Member,
    cfg: MemberConfig,
    wire: Arc<Wire>,
) -> anyhow::Result<MemberHandle> {
    spawn_member_on(member, cfg, wire, SocketAddr::from(([127, 0, 0, 1], 0))).await
}

/// Starts a member node whose SIP socket is bound to `listen` (its media socket on the same
/// address, a port from the system).
pub async fn spawn_member_on(
    member: Member,
    cfg: MemberConfig,
    wire: Arc<Wire>,
    listen: SocketAddr,
) -> anyhow::Result<MemberHandle> {
    let sip_sock = wire::unicast_on(listen)?;
    let media_sock = wire::unicast_on(SocketAddr::new(listen.ip(), 0))?;
    let (mc_sip, mc_media) = match cfg.multicast {
        Some((g, sp, mp)) => (
            Some(wire::multicast_receiver(g, sp)?),
            Some(wire::multicast_receiver(g, mp)?),
        ),
        None => (None, None),
    };
    let stats = Arc::new(Mutex::new(MemberStats::default()));
    let clock = Arc::new(AtomicI64::new(0));
    let (cmd_tx, cmd_rx) = mpsc::channel(4);
    let (stop_tx, stop_rx) = oneshot::channel();
    let uri = member.uri().to_vec();
    let sip = sip_sock.local_addr()?;
    let media = media_sock.local_addr()?;
    let node = MemberNode {
        member,
        cfg,
        wire,
        stats: stats.clone(),
        clock: clock.clone(),
        sip: sip_sock,
        media: media_sock,
        rr_ssrc: {
            use rand_core::RngCore;
            rand_core::OsRng.next_u32()
        },
        last_source: None,
        highest: 0,
        answered: Default::default(),
    };
    let task = tokio::spawn(node.run(mc_sip, mc_media, cmd_rx, stop_rx));
    Ok(MemberHandle {
        uri,
        sip,
        media,
        stats,
        clock,
        cmd: cmd_tx,
        stop: Some(stop_tx),
        task,
    })
}

struct MemberNode {
    member: Member,
    cfg: MemberConfig,
    wire: Arc<Wire>,
    stats: Arc<Mutex<MemberStats>>,
    clock: Arc<AtomicI64>,
    sip: UdpSocket,
    media: UdpSocket,
    rr_ssrc: u32,
    last_source: Option<(SocketAddr, u32)>,
    highest: u32,
    /// Server transactions: the last response per (Call-ID, CSeq), so that a retransmitted
    /// request gets the same answer again instead of being processed twice (RFC 3261 §17.2).
    answered: std::collections::VecDeque<(String, String, Vec<u8>)>,
}

/// Server transactions a member remembers.
const TRANSACTIONS: usize = 64;

impl MemberNode {
    fn now(&self) -> u64 {
        ntp_now(self.clock.load(Ordering::Relaxed))
    }

    async fn run(
        mut self,
        mc_sip: Option<UdpSocket>,
        mc_media: Option<UdpSocket>,
        mut cmd: mpsc::Receiver<Cmd>,
        mut stop: oneshot::Receiver<()>,
    ) -> Member {
        let mut b1 = vec![0u8; 65_536];
        let mut b2 = vec![0u8; 65_536];
        let mut b3 = vec![0u8; 65_536];
        let mut b4 = vec![0u8; 65_536];
        let mut rr = tokio::time::interval(Duration::from_secs(2));
        rr.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = &mut stop => break,
                c = cmd.recv() => match c {
                    Some(c) => self.command(c),
                    None => break,
                },
                r = self.sip.recv_from(&mut b1) => if let Ok((n, from)) = r {
                    let data = b1[..n].to_vec();
                    self.on_sip(&data, from, true).await;
                },
                r = recv_opt(&mc_sip, &mut b2) => if let Ok((n, from)) = r {
                    let data = b2[..n].to_vec();
                    self.on_sip(&data, from, false).await;
                },
                r = self.media.recv_from(&mut b3) => if let Ok((n, from)) = r {
                    self.on_media(&mut b3, n, from);
                },
                r = recv_opt(&mc_media, &mut b4) => if let Ok((n, from)) = r {
                    self.on_media(&mut b4, n, from);
                },
                _ = rr.tick() => self.send_rr().await,
            }
        }
        self.member
    }

    fn command(&mut self, c: Cmd) {
        match c {
            Cmd::StartCall {
                profile,
                ssrc,
                reply,
            } => {
                let now = self.now();
                let group = self.cfg.group.clone();
                let r = self
                    .member
                    .start_call(&group, profile, &[ssrc], now, true)
                    .map(|i| (i, self.member.signing_key(now).cloned()));
                let _ = reply.send(r);
            }
            Cmd::State(reply) => {
                let _ = reply.send(self.member.state());
            }
        }
    }

    fn with_stats(&self, f: impl FnOnce(&mut MemberStats)) {
        if let Ok(mut s) = self.stats.lock() {
            f(&mut s);
        }
    }

    async fn reply(
        &mut self,
        req: &SipMessage,
        to: SocketAddr,
        code: u16,
        reason: &str,
        body: Option<String>,
    ) {
        let mut r = SipMessage::response_to(req, code, reason, Some(&sip::fresh_token()));
        if let Some(b) = body {
            r = r
                .with(
                    "Contact",
                    format!(
                        "<sip:member@{}>",
                        self.sip
                            .local_addr()
                            .map(|a| wire::advertised(a, to).to_string())
                            .unwrap_or_default()
                    ),
                )
                .with_body(CT_SDP, b.into_bytes());
        }
        let bytes = r.to_bytes();
        let _ = self.wire.send(&self.sip, &bytes, to).await;
        if let (Some(cid), Some(cseq)) = (req.call_id(), req.header("CSeq")) {
            if self.answered.len() >= TRANSACTIONS {
                self.answered.pop_front();
            }
            self.answered
                .push_back((cid.to_owned(), cseq.to_owned(), bytes));
        }
    }

    async fn on_sip(&mut self, data: &[u8], from: SocketAddr, unicast: bool) {
        let msg = match SipMessage::parse(data) {
            Ok(m) => m,
            Err(e) => {
                self.with_stats(|s| count(&mut s.sip_refused, &e.to_string()));
                return;
            }
        };
        let Some(method) = (match msg.start {
            sip::StartLine::Request { method, .. } => Some(method),
            sip::StartLine::Response { .. } => None,
        }) else {
            return;
        };
        if unicast {
            let key = (
                msg.call_id().unwrap_or(""),
                msg.header("CSeq").unwrap_or(""),
            );
            let again = self
                .answered
                .iter()
                .find(|(c, q, _)| (c.as_str(), q.as_str()) == key)
                .map(|(_, _, b)| b.clone());
            if let Some(b) = again {
                let _ = self.wire.send(&self.sip, &b, from).await;
                return;
            }
        }
        let ct = msg.header("Content-Type").unwrap_or("");
        match method {
            Method::Message if ct.eq_ignore_ascii_case(CT_MIKEY) => {
                let t0 = Instant::now();
                let now = self.now();
                let ev = self.member.handle(&msg.body, now);
                let busy = t0.elapsed();
                let ok = matches!(ev, Event::GmkAccepted { .. });
                self.with_stats(|s| {
                    s.busy += busy;
                    match &ev {
                        Event::GmkAccepted { .. } => s.gmk_accepted += 1,
                        Event::Refused { reason, .. } => count(&mut s.gmk_refused, reason.as_str()),
                        _ => count(&mut s.gmk_refused, "not a GMK message"),
                    }
                });
                if unicast {
                    if ok {
                        self.reply(&msg, from, 200, "OK", None).await;
                    } else {
                        self.reply(&msg, from, 403, "Forbidden", None).await;
                    }
                }
            }
            Method::Message | Method::Invite if ct.eq_ignore_ascii_case(CT_SDP) => {
                self.with_stats(|s| s.last_sdp = msg.body.clone());
                let ok = self.on_offer(&msg.body);
                if method == Method::Invite && unicast {
                    if ok {
                        let media = self.media.local_addr().unwrap_or(from);
                        let body = sdp_answer(wire::advertised(media, from), 1);
                        self.reply(&msg, from, 200, "OK", Some(body)).await;
                    } else {
                        self.reply(&msg, from, 488, "Not Acceptable Here", None)
                            .await;
                    }
                }
            }
            Method::Bye => {
                self.with_stats(|s| s.byes += 1);
                if unicast {
                    self.reply(&msg, from, 200, "OK", None).await;
                }
            }
            Method::Ack => {}
            _ => {
                if unicast {
                    self.reply(&msg, from, 415, "Unsupported Media Type", None)
                        .await;
                }
            }
        }
    }

    /// A GSK offer in an SDP body; whether it was accepted.
    fn on_offer(&mut self, body: &[u8]) -> bool {
        let t0 = Instant::now();
        let ev = match core::str::from_utf8(body)
            .map_err(|_| prose_sec::Error::Parse)
            .and_then(|s| prose_sec::sdp::parse_key_mgmt(s, false))
        {
            Ok(offer) => {
                let now = self.now();
                self.member.handle(&offer, now)
            }
            Err(reason) => Event::Refused {
                group: None,
                reason,
            },
        };
        if let Event::SessionStarted { gsk_id, .. } | Event::Rekeyed { gsk_id, .. } = &ev {
            // The member's own SRTCP (receiver reports) goes under the newest GSK.
            let group = self.cfg.group.clone();
            if let Some(s) = self.member.session(&group) {
                let _ = s.set_send_mki(&gsk_id.to_be_bytes());
            }
        }
        let busy = t0.elapsed();
        let ok = matches!(
            ev,
            Event::SessionStarted { .. } | Event::Resent { .. } | Event::Rekeyed { .. }
        );
        self.with_stats(|s| {
            s.busy += busy;
            match &ev {
                Event::SessionStarted { .. } => s.sessions_started += 1,
                Event::Resent { .. } => s.offers_resent += 1,
                Event::Rekeyed { .. } => s.rekeys += 1,
                Event::Refused { reason, .. } => count(&mut s.offers_refused, reason.as_str()),
                Event::GmkAccepted { .. } => count(&mut s.offers_refused, "not an offer"),
            }
        });
        ok
    }

    fn on_media(&mut self, buf: &mut [u8], n: usize, from: SocketAddr) {
        let t0 = Instant::now();
        let group = self.cfg.group.clone();
        let rtcp = media::is_rtcp(&buf[..n]);
        let Some(session) = self.member.session(&group) else {
            self.with_stats(|s| count(&mut s.media_refused, NO_SESSION));
            return;
        };
        let r = if rtcp {
            session.unprotect_rtcp(buf, n)
        } else {
            session.unprotect_rtp(buf, n)
        };
        let busy = t0.elapsed();
        let keep = self.cfg.keep_audio;
        let mut source = None;
        self.with_stats(|s| {
            s.busy += busy;
            match r {
                Err(e) => count(&mut s.media_refused, e.as_str()),
                Ok(_) if rtcp => s.rtcp_accepted += 1,
                Ok(len) => {
                    s.rtp_accepted += 1;
                    s.media_octets += n as u64;
                    if let Some(h) = media::parse_rtp(&buf[..len]) {
                        source = Some((from, h.ssrc, h.seq));
                        if keep {
                            s.frames.insert(h.ts, buf[h.payload_at..len].to_vec());
                        }
                    }
                }
            }
        });
        if let Some((from, ssrc, seq)) = source {
            self.last_source = Some((from, ssrc));
            self.highest = self.highest.max(u32::from(seq));
        }
    }

    async fn send_rr(&mut self) {
        let Some((to, ssrc)) = self.last_source else {
            return;
        };
        let block = media::ReportBlock {
            ssrc,
            highest: self.highest,
            ..Default::default()
        };
        let cname = String::from_utf8_lossy(self.member.uri()).into_owned();
        let mut p = media::rtcp_rr(self.rr_ssrc, &block, &cname);
        let len = p.len();
        let group = self.cfg.group.clone();
        let Some(session) = self.member.session(&group) else {
            return;
        };
        p.resize(len + session.rtcp_overhead(), 0);
        if let Ok(n) = session.protect_rtcp(&mut p, len) {
            p.truncate(n);
            if self.wire.send(&self.media, &p, to).await.is_ok() {
                self.with_stats(|s| s.rr_sent += 1);
            }
        }
    }
}

/// What the group controller counted.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct ControllerStats {
    /// INVITEs from initiators.
    pub invites_in: u64,
    /// 100 Trying sent.
    pub trying_sent: u64,
    /// INVITEs sent to members (with retransmissions).
    pub invites_out: u64,
    /// Members' 200 OKs.
    pub oks_in: u64,
    /// Members' refusals (4xx–6xx).
    pub refusals_in: u64,
    /// Media datagrams from the initiator.
    pub media_in: u64,
    /// Media datagrams relayed to members.
    pub relayed: u64,
    /// Octets relayed.
    pub relayed_octets: u64,
    /// Relay send errors.
    pub relay_errors: u64,
    /// Pauses of the relay's pacing ([`wire::Pacer`]).
    pub relay_pauses: u64,
    /// Receiver reports relayed back to the initiator.
    pub reports_back: u64,
    /// Every SDP body the controller sent to members (to check they equal the offer's).
    #[serde(skip)]
    pub sdp_out: Vec<Vec<u8>>,
    /// The SDP body of the initiator's INVITE.
    #[serde(skip)]
    pub sdp_in: Vec<u8>,
    /// The first media datagrams it relayed, as it saw them.
    #[serde(skip)]
    pub seen_media: Vec<Vec<u8>>,
    /// Time from the INVITE to the 200 OK sent to the initiator.
    #[serde(skip)]
    pub setup_time: Option<Duration>,
}

/// A member the controller calls: URI and SIP address.
#[derive(Clone, Debug)]
pub struct Leg {
    /// The member's URI.
    pub uri: String,
    /// Its SIP address.
    pub sip: SocketAddr,
}

/// A running group controller.
pub struct ControllerHandle {
    /// SIP address.
    pub sip: SocketAddr,
    /// Media relay address.
    pub media: SocketAddr,
    /// Counters.
    pub stats: Arc<Mutex<ControllerStats>>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl core::fmt::Debug for ControllerHandle {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ControllerHandle")
            .field("sip", &self.sip)
            .field("media", &self.media)
            .finish_non_exhaustive()
    }
}

impl ControllerHandle {
    /// A snapshot of the counters.
    pub fn stats(&self) -> ControllerStats {
        self.stats.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Stops the controller.
    pub async fn stop(mut self) -> ControllerStats {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        let _ = tokio::time::timeout(CMD_TIMEOUT, self.task).await;
        self.stats.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

struct OutLeg {
    leg: Leg,
    call_id: String,
    invite: Vec<u8>,
    sent: Instant,
    tries: u32,
    answered: bool,
    media: Option<SocketAddr>,
}

struct CallState {
    call_id: String,
    invite: SipMessage,
    initiator: SocketAddr,
    initiator_media: Option<SocketAddr>,
    started: Instant,
    answered: bool,
    legs: HashMap<String, OutLeg>,
}

/// How long the controller waits for members' answers before answering the initiator.
pub const FANOUT_WAIT: Duration = Duration::from_secs(3);

/// Starts a group controller calling `legs` on an INVITE, on 127.0.0.1 (ports from the
/// system).
pub async fn spawn_controller(legs: Vec<Leg>, wire: Arc<Wire>) -> anyhow::Result<ControllerHandle> {
    spawn_controller_on(legs, wire, SocketAddr::from(([127, 0, 0, 1], 0))).await
}

/// Starts a group controller whose SIP socket is bound to `listen` (its media relay on the
/// same address, a port from the system).
pub async fn spawn_controller_on(
    legs: Vec<Leg>,
    wire: Arc<Wire>,
    listen: SocketAddr,
) -> anyhow::Result<ControllerHandle> {
    let sip = wire::unicast_on(listen)?;
    let media = wire::unicast_on(SocketAddr::new(listen.ip(), 0))?;
    let stats = Arc::new(Mutex::new(ControllerStats::default()));
    let (stop_tx, stop_rx) = oneshot::channel();
    let c = Controller {
        legs,
        wire,
        stats: stats.clone(),
        sip,
        media,
        call: None,
        targets: Vec::new(),
    };
    let sip_addr = c.sip.local_addr()?;
    let media_addr = c.media.local_addr()?;
    let task = tokio::spawn(c.run(stop_rx));
    Ok(ControllerHandle {
        sip: sip_addr,
        media: media_addr,
        stats,
        stop: Some(stop_tx),
        task,
    })
}

struct Controller {
    legs: Vec<Leg>,
    wire: Arc<Wire>,
    stats: Arc<Mutex<ControllerStats>>,
    sip: UdpSocket,
    media: UdpSocket,
    call: Option<CallState>,
    targets: Vec<SocketAddr>,
}

impl Controller {
    fn with_stats(&self, f: impl FnOnce(&mut ControllerStats)) {
        if let Ok(mut s) = self.stats.lock() {
            f(&mut s);
        }
    }

    async fn run(mut self, mut stop: oneshot::Receiver<()>) {
        let mut b1 = vec![0u8; 65_536];
        let mut b2 = vec![0u8; 65_536];
        let mut tick = tokio::time::interval(Duration::from_millis(100));
        loop {
            tokio::select! {
                _ = &mut stop => break,
                r = self.sip.recv_from(&mut b1) => if let Ok((n, from)) = r {
                    let data = b1[..n].to_vec();
                    self.on_sip(&data, from).await;
                },
                r = self.media.recv_from(&mut b2) => if let Ok((n, from)) = r {
                    let data = b2[..n].to_vec();
                    self.on_media(&data, from).await;
                },
                _ = tick.tick() => self.on_tick().await,
            }
        }
    }

    async fn send(&self, m: &SipMessage, to: SocketAddr) {
        let _ = self.wire.send(&self.sip, &m.to_bytes(), to).await;
    }

    async fn on_sip(&mut self, data: &[u8], from: SocketAddr) {
        let Ok(msg) = SipMessage::parse(data) else {
            return;
        };
        let me = self.sip.local_addr().ok();
        match (&msg.start, msg.method()) {
            (sip::StartLine::Request { .. }, Some(Method::Invite)) => {
                self.with_stats(|s| s.invites_in += 1);
                let trying = SipMessage::response_to(&msg, 100, "Trying", None);
                self.send(&trying, from).await;
                self.with_stats(|s| s.trying_sent += 1);
                let cid = msg.call_id().unwrap_or("").to_owned();
                if self.call.as_ref().is_some_and(|c| c.call_id == cid) {
                    return; // a retransmission
                }
                let Some(me) = me else { return };
                let sdp = String::from_utf8_lossy(&msg.body).into_owned();
                let mut legs = HashMap::new();
                for l in &self.legs {
                    let me = wire::advertised(me, l.sip);
                    let call_id = format!("{}@{me}", sip::fresh_token());
                    let inv = SipMessage::request(Method::Invite, &l.uri)
                        .with("Via", sip::via(me))
                        .with("Max-Forwards", "70")
                        .with(
                            "From",
                            format!("<sip:controller@{me}>;tag={}", sip::fresh_token()),
                        )
                        .with("To", format!("<{}>", l.uri))
                        .with("Call-ID", call_id.clone())
                        .with("CSeq", "1 INVITE")
                        .with("Contact", format!("<sip:controller@{me}>"))
                        .with_body(CT_SDP, msg.body.clone());
                    legs.insert(
                        call_id.clone(),
                        OutLeg {
                            leg: l.clone(),
                            call_id,
                            invite: inv.to_bytes(),
                            sent: Instant::now(),
                            tries: 1,
                            answered: false,
                            media: None,
                        },
                    );
                }
                self.with_stats(|s| s.sdp_in = msg.body.clone());
                self.call = Some(CallState {
                    call_id: cid,
                    initiator: from,
                    initiator_media: sdp_media_addr(&sdp),
                    invite: msg,
                    started: Instant::now(),
                    answered: false,
                    legs,
                });
                self.targets.clear();
                if let Some(c) = &self.call {
                    let mut pace = wire::Pacer::default();
                    for l in c.legs.values() {
                        let _ = self.wire.send(&self.sip, &l.invite, l.leg.sip).await;
                        pace.sent().await;
                        if let Ok(m) = SipMessage::parse(&l.invite) {
                            let body = m.body;
                            self.with_stats(|s| {
                                s.invites_out += 1;
                                s.sdp_out.push(body);
                            });
                        }
                    }
                }
            }
            (sip::StartLine::Request { .. }, Some(Method::Bye)) => {
                self.send(&SipMessage::response_to(&msg, 200, "OK", None), from)
                    .await;
                let Some(c) = self.call.take() else { return };
                let Some(me) = me else { return };
                for l in c.legs.values().filter(|l| l.answered) {
                    let me = wire::advertised(me, l.leg.sip);
                    let bye = SipMessage::request(Method::Bye, &l.leg.uri)
                        .with("Via", sip::via(me))
                        .with("Max-Forwards", "70")
                        .with("From", format!("<sip:controller@{me}>;tag=c"))
                        .with("To", format!("<{}>", l.leg.uri))
                        .with("Call-ID", l.call_id.clone())
                        .with("CSeq", "2 BYE");
                    self.send(&bye, l.leg.sip).await;
                }
                self.targets.clear();
            }
            (sip::StartLine::Request { .. }, _) => {}
            (sip::StartLine::Response { code, .. }, Some(Method::Invite)) => {
                let code = *code;
                if code < 200 {
                    return;
                }
                let cid = msg.call_id().unwrap_or("").to_owned();
                let Some(me) = me else { return };
                let Some(c) = self.call.as_mut() else { return };
                let Some(l) = c.legs.get_mut(&cid) else {
                    return;
                };
                let first = !l.answered;
                l.answered = true;
                let me = wire::advertised(me, l.leg.sip);
                let mut ack = SipMessage::request(Method::Ack, &l.leg.uri)
                    .with("Via", sip::via(me))
                    .with("Max-Forwards", "70");
                for h in ["From", "To", "Call-ID"] {
                    if let Some(v) = msg.header(h) {
                        ack = ack.with(h, v.to_owned());
                    }
                }
                ack = ack.with("CSeq", "1 ACK");
                let ok = code == 200;
                if ok && first {
                    l.media = sdp_media_addr(&String::from_utf8_lossy(&msg.body));
                    if let Some(m) = l.media {
                        self.targets.push(m);
                    }
                }
                let to = l.leg.sip;
                self.send(&ack, to).await;
                if first {
                    self.with_stats(|s| {
                        if ok {
                            s.oks_in += 1
                        } else {
                            s.refusals_in += 1
                        }
                    });
                }
                self.maybe_answer().await;
            }
            _ => {}
        }
    }

    async fn maybe_answer(&mut self) {
        let Some(c) = self.call.as_mut() else { return };
        if c.answered {
            return;
        }
        let all = c.legs.values().all(|l| l.answered);
        if !all && c.started.elapsed() < FANOUT_WAIT {
            return;
        }
        c.answered = true;
        let setup = c.started.elapsed();
        let media = self.media.local_addr().ok();
        let mut ok = SipMessage::response_to(&c.invite, 200, "OK", Some(&sip::fresh_token()));
        let to = c.initiator;
        if let (Some(m), Ok(me)) = (media, self.sip.local_addr()) {
            let me = wire::advertised(me, to);
            ok = ok
                .with("Contact", format!("<sip:controller@{me}>"))
                .with_body(CT_SDP, sdp_answer(wire::advertised(m, to), 2).into_bytes());
        }
        self.send(&ok, to).await;
        self.with_stats(|s| s.setup_time = Some(setup));
    }

    async fn on_tick(&mut self) {
        let Some(c) = self.call.as_mut() else { return };
        let mut again = Vec::new();
        for l in c.legs.values_mut() {
            if !l.answered
                && l.tries < 6
                && l.sent.elapsed() >= Duration::from_millis(500 << (l.tries - 1).min(3))
            {
                l.tries += 1;
                l.sent = Instant::now();
                again.push((l.invite.clone(), l.leg.sip));
            }
        }
        for (inv, to) in again {
            let _ = self.wire.send(&self.sip, &inv, to).await;
            self.with_stats(|s| s.invites_out += 1);
        }
        self.maybe_answer().await;
    }

    async fn on_media(&mut self, data: &[u8], from: SocketAddr) {
        let initiator = self.call.as_ref().and_then(|c| c.initiator_media);
        // Media from a member (its receiver reports) goes back to the initiator; anything else
        // is the initiator's media (from its SDP address, or through a relay) and goes to all.
        if !self.targets.contains(&from) {
            let mut ok = 0;
            let mut err = 0;
            let mut pace = wire::Pacer::default();
            for t in &self.targets {
                match self.wire.send(&self.media, data, *t).await {
                    Ok(()) => ok += 1,
                    Err(_) => err += 1,
                }
                pace.sent().await;
            }
            let n = data.len() as u64;
            self.with_stats(|s| {
                s.media_in += 1;
                s.relayed += ok;
                s.relayed_octets += ok * n;
                s.relay_errors += err;
                s.relay_pauses += pace.pauses;
                if s.seen_media.len() < 64 {
                    s.seen_media.push(data.to_vec());
                }
            });
        } else if let Some(i) = initiator {
            if self.wire.send(&self.media, data, i).await.is_ok() {
                self.with_stats(|s| s.reports_back += 1);
            }
        }
    }
}

/// What a GMK distribution did.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Distribution {
    /// MESSAGEs sent (first copies).
    pub sent: u64,
    /// Retransmissions.
    pub retransmits: u64,
    /// 200 OKs recorded as confirmations.
    pub confirmed: u64,
    /// Refusals by status code.
    pub refused: Reasons,
    /// Octets of the MESSAGEs.
    pub octets: u64,
    /// Time until every member confirmed (or the timeout).
    pub elapsed: Duration,
}

/// RFC 3261 T1 (timer A's first interval).
pub const T1: Duration = Duration::from_millis(250);
/// How often the Group Manager looks for MESSAGEs to retransmit.
const SCAN: Duration = Duration::from_millis(10);

/// The Group Manager sends each member its GMK I_MESSAGE in a SIP MESSAGE and records every
/// 200 OK as the member's confirmation ([`Manager::confirm`]); unconfirmed members get the
/// MESSAGE again (RFC 3261 timer A doubling from [`T1`], counted from the last answer of any
/// member while answers are still arriving) until `timeout`.
pub async fn distribute(
    manager: &mut Manager,
    notes: &[Notification],
    addrs: &HashMap<Vec<u8>, SocketAddr>,
    wire: &Wire,
    timeout: Duration,
) -> anyhow::Result<Distribution> {
    let lo = SocketAddr::from(([127, 0, 0, 1], 0));
    distribute_on(manager, notes, addrs, wire, timeout, lo).await
}

/// [`distribute`] from a socket bound to `listen`.
pub async fn distribute_on(
    manager: &mut Manager,
    notes: &[Notification],
    addrs: &HashMap<Vec<u8>, SocketAddr>,
    wire: &Wire,
    timeout: Duration,
    listen: SocketAddr,
) -> anyhow::Result<Distribution> {
    let t0 = Instant::now();
    let sock = wire::unicast_on(listen)?;
    let bound = sock.local_addr()?;
    let group = String::from_utf8_lossy(manager.group_uri()).into_owned();
    struct Pending<'a> {
        note: &'a Notification,
        to: SocketAddr,
        bytes: Vec<u8>,
        sent: Instant,
        tries: u32,
        done: bool,
    }
    let mut pending: HashMap<String, Pending<'_>> = HashMap::new();
    let mut d = Distribution::default();
    for n in notes {
        let to = *addrs.get(&n.member).ok_or_else(|| {
            anyhow::anyhow!("no address for {}", String::from_utf8_lossy(&n.member))
        })?;
        let uri = String::from_utf8_lossy(&n.member).into_owned();
        let me = wire::advertised(bound, to);
        let call_id = format!("{}@{me}", sip::fresh_token());
        let m = SipMessage::request(Method::Message, &uri)
            .with("Via", sip::via(me))
            .with("Max-Forwards", "70")
            .with("From", format!("<{group}>;tag={}", sip::fresh_token()))
            .with("To", format!("<{uri}>"))
            .with("Call-ID", call_id.clone())
            .with("CSeq", "1 MESSAGE")
            .with_body(CT_MIKEY, n.message.clone());
        let bytes = m.to_bytes();
        wire.send(&sock, &bytes, to).await?;
        d.sent += 1;
        d.octets += bytes.len() as u64;
        pending.insert(
            call_id,
            Pending {
                note: n,
                to,
                bytes,
                sent: Instant::now(),
                tries: 1,
                done: false,
            },
        );
    }
    let mut left = pending.len();
    let mut buf = vec![0u8; 65_536];
    let deadline = t0 + timeout;
    // The last final response: while answers keep coming the members are working through
    // their queues (each MESSAGE costs a member a SAKKE decapsulation and an ECCSI check), and
    // a retransmission would only add to the queue it waits in. Timer A (RFC 3261 §17.1.2.1,
    // T1 = 250 ms, doubling) therefore runs from the later of the message's last copy and the
    // last answer from anyone: T1 "larger on a known-slow path", the path being known slow
    // exactly while its responses are still arriving. A lost message is sent again T1 after
    // the answers stall.
    let mut last_answer = Instant::now();
    let mut next_scan = Instant::now() + T1;
    while left > 0 && Instant::now() < deadline {
        match tokio::time::timeout(Duration::from_millis(50), sock.recv_from(&mut buf)).await {
            Ok(Ok((n, _))) => {
                let Ok(r) = SipMessage::parse(&buf[..n]) else {
                    continue;
                };
                let (Some(code), Some(cid)) = (r.code(), r.call_id()) else {
                    continue;
                };
                let Some(p) = pending.get_mut(cid) else {
                    continue;
                };
                if p.done || code < 200 {
                    continue;
                }
                p.done = true;
                left -= 1;
                last_answer = Instant::now();
                if code == 200 {
                    manager
                        .confirm(&p.note.member, p.note.gmk_id)
                        .map_err(|e| anyhow::anyhow!("confirm: {e}"))?;
                    d.confirmed += 1;
                } else {
                    count(&mut d.refused, &code.to_string());
                }
            }
            Ok(Err(e)) => return Err(e.into()),
            Err(_) => {}
        }
        let now = Instant::now();
        if now < next_scan {
            continue;
        }
        next_scan = now + SCAN;
        for p in pending.values_mut() {
            let wait = T1 * (1 << (p.tries - 1).min(4));
            let since = now.saturating_duration_since(p.sent.max(last_answer));
            if !p.done && since >= wait {
                p.tries += 1;
                p.sent = now;
                wire.send(&sock, &p.bytes, p.to).await?;
                d.retransmits += 1;
            }
        }
    }
    d.elapsed = t0.elapsed();
    Ok(d)
}
