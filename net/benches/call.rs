//! Benchmark of the 1000-member group on loopback UDP: (a) one GMK distribution by the Group
//! Manager with every member's 200 OK recorded, a new GMK each round (the MESSAGEs go out at
//! once; an unconfirmed one is re-sent by RFC 3261 timer A, T1 = 250 ms doubling, counted from
//! the later of its last copy and the last answer of any member, see `node::distribute`); the
//! distribution's wall time starts once the Group Manager has built the notifications, whose
//! building time is its own row; (b) a one-second network-connected call (50 SRTP packets)
//! relayed by the group controller to every member.
//!
//! `NET_BENCH_MEMBERS` (default 1000) and `NET_BENCH_ROUNDS` (default 5) set the size; the
//! key sets are provisioned once, outside the timed regions. Prints a Markdown table.
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context};
use prose_sec::kms::IdFormat;
use prose_sec::srtp::Profile;
use prose_sec_net::media;
use prose_sec_net::node::{self, Leg, MemberConfig, MemberHandle, CT_SDP};
use prose_sec_net::scenario::{member_uri, provision, GROUP};
use prose_sec_net::sip::{self, Method, SipMessage};
use prose_sec_net::wire::{self, Wire};
use rand_core::{OsRng, RngCore};
use tokio::net::UdpSocket;

const FRAMES: usize = 50;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&v| v > 0)
        .unwrap_or(default)
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    }
}

fn min_max(v: &[f64]) -> (f64, f64) {
    let min = v.iter().copied().fold(f64::INFINITY, f64::min);
    let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (min, max)
}

/// Waits for the final response of `call_id`, skipping provisional ones.
async fn await_final(
    sock: &UdpSocket,
    call_id: &str,
    limit: Duration,
) -> anyhow::Result<SipMessage> {
    let mut buf = vec![0u8; 65_536];
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
        if let Some(200..) = m.code() {
            return Ok(m);
        }
    }
}

struct Dist {
    wall: f64,
    confirmed: u64,
    retransmits: u64,
    cpu_us_per_msg: f64,
    /// CPU time of the whole process (every thread: members, Group Manager) in the round.
    process_cpu: f64,
    /// The Group Manager building the round's notifications (one SAKKE encapsulation and
    /// one ECCSI signature per member), before the distribution's timer starts.
    notifications: f64,
}

/// User + system CPU seconds of this process so far (from /proc/self/stat; 0 elsewhere).
fn process_cpu_secs() -> f64 {
    let Ok(s) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // The fields after the command name (which is in parentheses and may hold spaces).
    let Some(rest) = s.rsplit_once(')').map(|(_, r)| r) else {
        return 0.0;
    };
    let f: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name and state.
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

struct Call {
    relayed: u64,
    media_in: u64,
    received: u64,
    missing: u64,
    wrong: u64,
    wall: f64,
    setup: f64,
}

async fn distribution_round(
    manager: &mut prose_sec::group::manager::Manager,
    handles: &[MemberHandle],
    addrs: &HashMap<Vec<u8>, SocketAddr>,
    wire: &Wire,
) -> anyhow::Result<Dist> {
    let now = node::ntp_now(0);
    let busy0: Duration = handles.iter().map(|h| h.stats().busy).sum();
    let acc0: u64 = handles.iter().map(|h| h.stats().gmk_accepted).sum();
    let gmk = manager
        .create_gmk(0, 0, &mut OsRng)
        .map_err(|e| anyhow!("{}", e.as_str()))?;
    let t_notes = Instant::now();
    let notes = manager
        .notifications(gmk, now, &mut OsRng)
        .map_err(|e| anyhow!("{}", e.as_str()))?;
    let notifications = t_notes.elapsed().as_secs_f64();
    let cpu0 = process_cpu_secs();
    let t0 = Instant::now();
    let d = node::distribute(manager, &notes, addrs, wire, Duration::from_secs(30)).await?;
    let wall = t0.elapsed().as_secs_f64();
    let process_cpu = process_cpu_secs() - cpu0;
    let busy1: Duration = handles.iter().map(|h| h.stats().busy).sum();
    let acc1: u64 = handles.iter().map(|h| h.stats().gmk_accepted).sum();
    let msgs = (acc1 - acc0).max(1);
    Ok(Dist {
        wall,
        confirmed: d.confirmed,
        retransmits: d.retransmits,
        cpu_us_per_msg: (busy1 - busy0).as_secs_f64() * 1e6 / msgs as f64,
        process_cpu,
        notifications,
    })
}

async fn call_round(handles: &[MemberHandle], wire: &Arc<Wire>) -> anyhow::Result<Call> {
    let legs: Vec<Leg> = handles[1..]
        .iter()
        .map(|h| Leg {
            uri: String::from_utf8_lossy(&h.uri).into_owned(),
            sip: h.sip,
        })
        .collect();
    let ctl = node::spawn_controller(legs, wire.clone()).await?;
    let ssrc = OsRng.next_u32();
    let (mut init, _signer) = handles[0]
        .start_call(Profile::Aes128CmHmacSha1_80, ssrc)
        .await?;
    let sip_sock = wire::unicast()?;
    let me = sip_sock.local_addr()?;
    let media_sock = wire::unicast()?;
    let sdp = init.sdp_offer("127.0.0.1", media_sock.local_addr()?.port());
    let call_id = format!("{}@{me}", sip::fresh_token());
    let from = format!("<{}>;tag={}", member_uri(0), sip::fresh_token());
    let invite = SipMessage::request(Method::Invite, GROUP)
        .with("Via", sip::via(me))
        .with("Max-Forwards", "70")
        .with("From", from.clone())
        .with("To", format!("<{GROUP}>"))
        .with("Call-ID", call_id.clone())
        .with("CSeq", "1 INVITE")
        .with("Contact", format!("<sip:unit-0@{me}>"))
        .with_body(CT_SDP, sdp.into_bytes());
    let t_setup = Instant::now();
    wire.send(&sip_sock, &invite.to_bytes(), ctl.sip).await?;
    let ok = await_final(&sip_sock, &call_id, Duration::from_secs(20)).await?;
    let setup = t_setup.elapsed().as_secs_f64();
    if ok.code() != Some(200) {
        bail!("the controller answered {:?}", ok.code());
    }
    let answer = String::from_utf8_lossy(&ok.body).into_owned();
    let relay = node::sdp_media_addr(&answer).context("no media address in the answer")?;
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

    let frames = media::frames(&media::default_signal(1.0));
    let seq0 = (OsRng.next_u32() % 30_000) as u16;
    let ts0 = OsRng.next_u32();
    let ts = |i: usize| ts0.wrapping_add((i * media::FRAME) as u32);
    let relayed0 = ctl.stats().relayed;
    let media_in0 = ctl.stats().media_in;
    // Members' counters go on from call to call.
    let accepted0: u64 = handles[1..].iter().map(|h| h.stats().rtp_accepted).sum();
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    let t0 = Instant::now();
    for i in 0..FRAMES {
        tick.tick().await;
        let mut p = media::rtp_packet(
            media::PT_PCMU,
            i == 0,
            seq0.wrapping_add(i as u16),
            ts(i),
            ssrc,
            &frames[i % frames.len()],
            0,
        );
        let len = p.len();
        let s = init.session();
        p.resize(len + s.rtp_overhead(), 0);
        let n = s
            .protect_rtp(&mut p, len)
            .map_err(|e| anyhow!("{}", e.as_str()))?;
        p.truncate(n);
        wire.send(&media_sock, &p, relay).await?;
    }
    // Until every member has every packet (or 2 s after the last one).
    let legs = &handles[1..];
    let want = accepted0 + (legs.len() * FRAMES) as u64;
    let end = Instant::now() + Duration::from_secs(2);
    while Instant::now() < end {
        let got: u64 = legs.iter().map(|h| h.stats().rtp_accepted).sum();
        if got >= want {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let wall = t0.elapsed().as_secs_f64();
    let relayed = ctl.stats().relayed - relayed0;
    let media_in = ctl.stats().media_in - media_in0;
    let mut missing = 0;
    let mut wrong = 0;
    let mut received = 0;
    for h in legs {
        let f = h
            .stats
            .lock()
            .map(|mut s| std::mem::take(&mut s.frames))
            .unwrap_or_default();
        for i in 0..FRAMES {
            match f.get(&ts(i)) {
                Some(g) if g[..] == frames[i % frames.len()][..] => received += 1,
                Some(_) => wrong += 1,
                None => missing += 1,
            }
        }
    }
    let bye = SipMessage::request(Method::Bye, GROUP)
        .with("Via", sip::via(me))
        .with("Max-Forwards", "70")
        .with("From", from)
        .with("To", ok.header("To").unwrap_or("").to_owned())
        .with("Call-ID", call_id.clone())
        .with("CSeq", "2 BYE");
    wire.send(&sip_sock, &bye.to_bytes(), ctl.sip).await?;
    let _ = await_final(&sip_sock, &call_id, Duration::from_secs(5)).await;
    ctl.stop().await;
    Ok(Call {
        relayed,
        media_in,
        received,
        missing,
        wrong,
        wall,
        setup,
    })
}

async fn bench(n: usize, rounds: usize) -> anyhow::Result<()> {
    if n < 2 {
        bail!("at least two members are needed");
    }
    let now = node::ntp_now(0);
    let t = Instant::now();
    let world = tokio::task::spawn_blocking(move || provision(n, IdFormat::Prose, now)).await??;
    eprintln!(
        "provisioned {n} members in {:.1} s (not timed)",
        t.elapsed().as_secs_f64()
    );
    let wire = Arc::new(Wire::new());
    let mut manager = world.manager;
    let mut handles = Vec::with_capacity(n);
    for m in world.members {
        let cfg = MemberConfig {
            group: GROUP.as_bytes().to_vec(),
            keep_audio: true,
            multicast: None,
        };
        handles.push(node::spawn_member(m, cfg, wire.clone()).await?);
    }
    let addrs: HashMap<Vec<u8>, SocketAddr> =
        handles.iter().map(|h| (h.uri.clone(), h.sip)).collect();

    let mut dists = Vec::with_capacity(rounds);
    for r in 0..rounds {
        let d = distribution_round(&mut manager, &handles, &addrs, &wire).await?;
        eprintln!(
            "distribution {r}: notifications built in {:.3} s, then {:.3} s, {} confirmed, {} retransmits, process CPU {:.3} s",
            d.notifications, d.wall, d.confirmed, d.retransmits, d.process_cpu
        );
        dists.push(d);
    }
    let mut calls = Vec::with_capacity(rounds);
    for r in 0..rounds {
        let c = call_round(&handles, &wire).await?;
        eprintln!(
            "call {r}: controller got {}/{FRAMES}, relayed {}, received {}, missing {}, wrong {}, {:.3} s",
            c.media_in, c.relayed, c.received, c.missing, c.wrong, c.wall
        );
        calls.push(c);
    }
    for h in handles {
        h.stop().await?;
    }

    let legs = (n - 1) as u64;
    let dw: Vec<f64> = dists.iter().map(|d| d.wall).collect();
    let (dmin, dmax) = min_max(&dw);
    let cpu: Vec<f64> = dists.iter().map(|d| d.cpu_us_per_msg).collect();
    let confirmed_all = dists.iter().all(|d| d.confirmed == n as u64);
    let retx: u64 = dists.iter().map(|d| d.retransmits).sum();
    let cw: Vec<f64> = calls.iter().map(|c| c.wall).collect();
    let (cmin, cmax) = min_max(&cw);
    let sw: Vec<f64> = calls.iter().map(|c| c.setup).collect();
    let (smin, smax) = min_max(&sw);
    let missing: u64 = calls.iter().map(|c| c.missing).sum();
    let wrong: u64 = calls.iter().map(|c| c.wrong).sum();
    let received: u64 = calls.iter().map(|c| c.received).sum();
    let relayed: u64 = calls.iter().map(|c| c.relayed).sum();
    let media_in: u64 = calls.iter().map(|c| c.media_in).sum();
    let expected = legs * FRAMES as u64 * rounds as u64;
    println!("\n{n} members, {rounds} rounds (median [min, max])\n");
    println!("| measurement | result |");
    println!("|---|---|");
    println!(
        "| (a) GMK distribution, all 200 OKs recorded | {:.3} s [{dmin:.3}, {dmax:.3}]; confirmed {}/{n} every round: {}; retransmits {retx} |",
        median(&dw),
        dists.iter().map(|d| d.confirmed).min().unwrap_or(0),
        if confirmed_all { "yes" } else { "no" },
    );
    let nw: Vec<f64> = dists.iter().map(|d| d.notifications).collect();
    let (nmin, nmax) = min_max(&nw);
    println!(
        "| (a) Group Manager building the {n} notifications (`Manager::notifications`, before (a)'s timer) | {:.3} s [{nmin:.3}, {nmax:.3}], {:.0} µs per member |",
        median(&nw),
        median(&nw) * 1e6 / n as f64
    );
    println!(
        "| (a) member time per GMK message (wall time in its handler) | {:.0} µs |",
        median(&cpu)
    );
    let pcpu: Vec<f64> = dists.iter().map(|d| d.process_cpu).collect();
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    println!(
        "| (a) process CPU per round (all threads), per member | {:.3} s, {:.0} µs |",
        median(&pcpu),
        median(&pcpu) * 1e6 / n as f64
    );
    println!(
        "| (a) floor: process CPU / {cores} cores | {:.3} s |",
        median(&pcpu) / cores as f64
    );
    println!(
        "| (b) connected call set-up (INVITE fan-out, {legs} 200 OKs) | {:.3} s [{smin:.3}, {smax:.3}] |",
        median(&sw)
    );
    println!(
        "| (b) call of {FRAMES} packets relayed to {legs} members (wall, to last delivery) | {:.3} s [{cmin:.3}, {cmax:.3}] |",
        median(&cw)
    );
    println!(
        "| (b) packets reaching the controller / sent | {media_in} / {} |",
        FRAMES * rounds
    );
    println!("| (b) copies relayed by the controller / expected | {relayed} / {expected} |");
    println!(
        "| (b) frames received exact / missing / wrong | {received} / {missing} / {wrong} (loss {:.3} %) |",
        missing as f64 * 100.0 / expected.max(1) as f64
    );
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let n = env_usize("NET_BENCH_MEMBERS", 1000);
    let rounds = env_usize("NET_BENCH_ROUNDS", 5);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(bench(n, rounds))
}
