//! A plain SIP user agent against the group controller: sipp (Debian's `sip-tester`) as the
//! initiator runs `tests/sipp/uac_gsk_offer.xml` — an INVITE whose SDP carries a real GSK offer
//! of the initiator code in `a=key-mgmt:mikey` (injected with `-inf`) — and gets 100 Trying,
//! the fan-out to every member, 200 OK, ACK, BYE/200; and sipp's built-in `uas` scenario as
//! one of the controller's members receiving the fan-out INVITE.
//!
//! Without sipp on the PATH these tests say so and pass, unless `PROSE_REQUIRE_SIPP` is set
//! (`scripts/test-net.sh` installs sipp and sets it).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use prose_sec::kms::IdFormat;
use prose_sec::srtp::Profile;
use prose_sec_net::node::{self, ControllerHandle, Leg, MemberConfig, MemberHandle};
use prose_sec_net::scenario::{provision, GROUP};
use prose_sec_net::wire::Wire;
use rand_core::OsRng;

const SCENARIO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/sipp/uac_gsk_offer.xml");
const KEY_MGMT: &str = "a=key-mgmt:mikey ";

fn sipp_available() -> bool {
    let found = Command::new("sipp")
        .arg("-v")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !found {
        assert!(
            std::env::var_os("PROSE_REQUIRE_SIPP").is_none(),
            "PROSE_REQUIRE_SIPP is set and sipp is not on the PATH"
        );
        eprintln!("sipp is not installed (Debian: sip-tester): skipped");
    }
    found
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// A provisioned group of `n` member nodes (unicast only) holding the GMK; the first one's
/// GSK offer as SDP, and the GSK-ID and base64 MIKEY in it.
struct Group {
    handles: Vec<MemberHandle>,
    wire: Arc<Wire>,
    sdp: String,
    gsk_id: String,
    mikey_b64: String,
}

impl Group {
    /// The CSV fields: GSK-ID and base64 MIKEY.
    fn offer(&self) -> (String, String) {
        (self.gsk_id.clone(), self.mikey_b64.clone())
    }
}

async fn group(n: usize) -> Group {
    let now = node::ntp_now(0);
    let mut w = provision(n, IdFormat::Prose, now).unwrap();
    let wire = Arc::new(Wire::new());
    let cfg = MemberConfig {
        group: GROUP.as_bytes().to_vec(),
        keep_audio: false,
        multicast: None,
    };
    let mut handles = Vec::new();
    for m in std::mem::take(&mut w.members) {
        handles.push(
            node::spawn_member(m, cfg.clone(), wire.clone())
                .await
                .unwrap(),
        );
    }
    let addrs: HashMap<Vec<u8>, SocketAddr> =
        handles.iter().map(|h| (h.uri.clone(), h.sip)).collect();
    let g = w.manager.create_gmk(0, 0, &mut OsRng).unwrap();
    let notes = w.manager.notifications(g, now, &mut OsRng).unwrap();
    let d = node::distribute(
        &mut w.manager,
        &notes,
        &addrs,
        &wire,
        Duration::from_secs(10),
    )
    .await
    .unwrap();
    assert_eq!(d.confirmed, n as u64);
    let (init, _signer) = handles[0]
        .start_call(Profile::Aes128CmHmacSha1_80, 0x5151_0001)
        .await
        .unwrap();
    let sdp = init.sdp_offer("127.0.0.1", 6000);
    let mikey_b64 = sdp
        .split("\r\n")
        .find_map(|l| l.strip_prefix(KEY_MGMT))
        .expect("the offer has a=key-mgmt:mikey")
        .to_owned();
    Group {
        handles,
        wire,
        sdp,
        gsk_id: init.gsk_id().to_string(),
        mikey_b64,
    }
}

/// Runs sipp's UAC scenario against the controller at `to` with the offer injected; waits at
/// most `limit`.
fn run_uac(dir: &Path, offer: &(String, String), to: SocketAddr, limit: Duration) -> Output {
    let xml = dir.join("uac_gsk_offer.xml");
    std::fs::copy(SCENARIO, &xml).unwrap();
    let csv = dir.join("offer.csv");
    std::fs::write(&csv, format!("SEQUENTIAL\n{};{};\n", offer.0, offer.1)).unwrap();
    let child = Command::new("sipp")
        .current_dir(dir)
        .arg(to.to_string())
        .args(["-sf", "uac_gsk_offer.xml", "-inf", "offer.csv"])
        .args(["-s", "fire-brigade", "-i", "127.0.0.1", "-mi", "127.0.0.1"])
        .args(["-m", "1", "-l", "1", "-nostdin", "-trace_err"])
        .args(["-timeout", "30s", "-timeout_error"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sipp starts");
    wait_limited(child, limit)
}

fn wait_limited(mut child: std::process::Child, limit: Duration) -> Output {
    let t0 = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if t0.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "sipp did not finish within {limit:?}: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn explain(dir: &Path, out: &Output) -> String {
    let mut s = format!(
        "status {:?}\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            if e.file_name().to_string_lossy().ends_with("errors.log") {
                s += &std::fs::read_to_string(e.path()).unwrap_or_default();
            }
        }
    }
    s
}

fn legs(hs: &[MemberHandle]) -> Vec<Leg> {
    hs.iter()
        .map(|h| Leg {
            uri: String::from_utf8_lossy(&h.uri).into_owned(),
            sip: h.sip,
        })
        .collect()
}

/// The controller relayed the initiator's SDP to every leg byte for byte, the MIKEY being
/// the one injected.
fn check_fanout(c: &ControllerHandle, g: &Group, legs: usize) {
    let st = c.stats();
    assert_eq!(st.invites_in, 1, "one INVITE (no retransmission needed)");
    assert_eq!(st.trying_sent, 1);
    let sdp_in = String::from_utf8(st.sdp_in.clone()).unwrap();
    assert!(
        sdp_in.contains(&format!("{KEY_MGMT}{}\r\n", g.mikey_b64)),
        "{sdp_in}"
    );
    // The SDP of sipp is the initiator's but for the addresses it fills in.
    assert_eq!(
        sdp_in.lines().filter(|l| !l.is_empty()).count(),
        g.sdp.lines().count()
    );
    assert_eq!(st.sdp_out.len(), legs);
    assert!(st.sdp_out.iter().all(|b| b == &st.sdp_in));
    assert_eq!(st.oks_in, legs as u64);
    assert_eq!(st.refusals_in, 0);
}

#[test]
fn sipp_uac_invites_the_controller_and_gets_the_fanout() {
    if !sipp_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    rt().block_on(async {
        let n = 4;
        let g = group(n).await;
        // The initiator is sipp; the controller calls the other members.
        let receivers = &g.handles[1..];
        let c = node::spawn_controller(legs(receivers), g.wire.clone())
            .await
            .unwrap();
        let to = c.sip;
        let d = dir.path().to_path_buf();
        let offer = g.offer();
        let out =
            tokio::task::spawn_blocking(move || run_uac(&d, &offer, to, Duration::from_secs(40)))
                .await
                .unwrap();
        assert!(out.status.success(), "{}", explain(dir.path(), &out));
        check_fanout(&c, &g, n - 1);
        // Every member got the INVITE with the MIKEY byte for byte, accepted the GSK (its
        // signature and freshness checked) and answered 200 OK; then the BYE.
        let sdp_in = c.stats().sdp_in;
        tokio::time::sleep(Duration::from_millis(200)).await;
        for h in receivers {
            let s = h.stats();
            assert_eq!(s.last_sdp, sdp_in);
            assert_eq!(s.sessions_started, 1, "{:?}", s.offers_refused);
            assert!(s.offers_refused.is_empty(), "{:?}", s.offers_refused);
            assert_eq!(s.byes, 1);
        }
        c.stop().await;
    });
}

#[test]
fn sipp_uas_is_a_member_of_the_fanout() {
    if !sipp_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    rt().block_on(async {
        let n = 3;
        let g = group(n).await;
        // A free UDP port for sipp's UAS.
        let port = std::net::UdpSocket::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let uas = Command::new("sipp")
            .current_dir(dir.path())
            .args(["-sn", "uas", "-i", "127.0.0.1", "-mi", "127.0.0.1"])
            .args(["-p", &port.to_string()])
            .args(["-m", "1", "-nostdin", "-trace_err"])
            .args(["-timeout", "30s", "-timeout_error"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("sipp starts");
        // Wait until the UAS has bound its port.
        let t0 = Instant::now();
        while std::net::UdpSocket::bind(("127.0.0.1", port)).is_ok() {
            assert!(t0.elapsed() < Duration::from_secs(10), "sipp -sn uas binds");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let mut ls = legs(&g.handles[1..]);
        ls.push(Leg {
            uri: "sip:sipp-uas@example.org".into(),
            sip: SocketAddr::from(([127, 0, 0, 1], port)),
        });
        let c = node::spawn_controller(ls, g.wire.clone()).await.unwrap();
        let to = c.sip;
        let d = dir.path().to_path_buf();
        let offer = g.offer();
        let uac =
            tokio::task::spawn_blocking(move || run_uac(&d, &offer, to, Duration::from_secs(40)))
                .await
                .unwrap();
        assert!(uac.status.success(), "UAC: {}", explain(dir.path(), &uac));
        let uas = tokio::task::spawn_blocking(move || wait_limited(uas, Duration::from_secs(20)))
            .await
            .unwrap();
        assert!(uas.status.success(), "UAS: {}", explain(dir.path(), &uas));
        check_fanout(&c, &g, n);
        for h in &g.handles[1..] {
            assert_eq!(h.stats().sessions_started, 1);
        }
        c.stop().await;
    });
}
