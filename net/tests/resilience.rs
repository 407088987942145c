//! A member killed mid-call and restarted from its state file rejoins from the next re-sent
//! offer; and the 1000-member GMK distribution and call (time-boxed).
use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use prose_sec::group::member::{Member, MemberState};
use prose_sec::kms::{IdFormat, STATE_VERSION};
use prose_sec::srtp::Profile;
use prose_sec_net::media;
use prose_sec_net::node::{self, MemberConfig, CT_SDP};
use prose_sec_net::scenario::{provision, run, Mode, Options, Quiet, GROUP};
use prose_sec_net::sip::{self, Method, SipMessage};
use prose_sec_net::wire::{self, Wire};
use rand_core::OsRng;

const KIND: &str = "prose.member";

#[test]
fn killed_member_restarts_from_its_state_file_and_rejoins() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        tokio::time::timeout(Duration::from_secs(60), kill_and_restart())
            .await
            .expect("done in time")
    });
}

#[allow(clippy::needless_range_loop)]
async fn kill_and_restart() {
    let now = node::ntp_now(0);
    let mut w = provision(3, IdFormat::Prose, now).unwrap();
    let wire = Arc::new(Wire::new());
    let group = Ipv4Addr::new(239, 255, 77, 9);
    let (_h1, sp) = wire::multicast_port().unwrap();
    let (_h2, mp) = wire::multicast_port().unwrap();
    let cfg = MemberConfig {
        group: GROUP.as_bytes().to_vec(),
        keep_audio: true,
        multicast: Some((group, sp, mp)),
    };
    let mut hs = Vec::new();
    for m in std::mem::take(&mut w.members) {
        hs.push(
            node::spawn_member(m, cfg.clone(), wire.clone())
                .await
                .unwrap(),
        );
    }
    let addrs: HashMap<Vec<u8>, SocketAddr> = hs.iter().map(|h| (h.uri.clone(), h.sip)).collect();
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
    assert_eq!(d.confirmed, 3);
    // Member 2's state file, after it got the GMK.
    let dir = tempfile::tempdir().unwrap();
    let store = prose_sec_store::Store::open(dir.path().join("m2")).unwrap();
    store
        .save_json("member", KIND, STATE_VERSION, &hs[2].state().await.unwrap())
        .unwrap();

    let ssrc = 0x1234_5678;
    let (mut call, signer) = hs[0]
        .start_call(Profile::Aes128CmHmacSha1_80, ssrc)
        .await
        .unwrap();
    call.set_resend_secs(1).unwrap();
    let out = wire::multicast_sender().unwrap();
    let me = out.local_addr().unwrap();
    let sip_dst = SocketAddr::from((group, sp));
    let media_dst = SocketAddr::from((group, mp));
    let message = |sdp: String| {
        SipMessage::request(Method::Message, GROUP)
            .with("Via", sip::via(me))
            .with("Max-Forwards", "1")
            .with("From", "<sip:unit-0@example.org>;tag=1")
            .with("To", format!("<{GROUP}>"))
            .with("Call-ID", sip::fresh_token())
            .with("CSeq", "1 MESSAGE")
            .with_body(CT_SDP, sdp.into_bytes())
            .to_bytes()
    };
    let first = call.sdp_offer(&group.to_string(), mp);
    wire.send(&out, &message(first.clone()), sip_dst)
        .await
        .unwrap();
    let frames = media::frames(&media::default_signal(4.0));
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    let mut killed = None;
    let mut restarted = None;
    let mut restart_frame = 0;
    for i in 0..200usize {
        tick.tick().await;
        if i == 50 {
            // Not a clean stop: the task is aborted with whatever it had.
            let h = hs.pop().unwrap();
            killed = Some(h.uri.clone());
            h.kill();
        }
        if i == 75 {
            let loaded = store
                .load_json::<MemberState>("member", KIND, STATE_VERSION)
                .unwrap()
                .unwrap();
            let m = Member::from_state(&loaded.value, node::ntp_now(0)).unwrap();
            assert_eq!(Some(m.uri().to_vec()), killed);
            restarted = Some(
                node::spawn_member(m, cfg.clone(), wire.clone())
                    .await
                    .unwrap(),
            );
            restart_frame = i;
        }
        let mut p = media::rtp_packet(
            0,
            i == 0,
            100 + i as u16,
            160 * i as u32,
            ssrc,
            &frames[i],
            0,
        );
        let len = p.len();
        p.resize(len + call.session().rtp_overhead(), 0);
        let n = call.session().protect_rtp(&mut p, len).unwrap();
        p.truncate(n);
        wire.send(&out, &p, media_dst).await.unwrap();
        if let Some(o) = call.resend_due(node::ntp_now(0), signer.as_ref()).unwrap() {
            let km = prose_sec::sdp::format_key_mgmt(&o);
            let sdp = first.replace(&prose_sec::sdp::format_key_mgmt(call.first_offer()), &km);
            wire.send(&out, &message(sdp), sip_dst).await.unwrap();
        }
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let r = restarted.unwrap();
    let s = r.stats();
    // It started its session again from a re-sent offer and decrypted the rest of the call.
    assert_eq!(s.sessions_started, 1, "{s:?}");
    // Every frame after the restart was either heard before the next re-sent offer (no
    // session yet; offers are re-sent each NTP second, so at most about 1.5 s of them) or
    // decrypted.
    let before_offer = s.media_refused.get(node::NO_SESSION).copied().unwrap_or(0);
    assert_eq!(
        s.rtp_accepted + before_offer,
        (200 - restart_frame) as u64,
        "{s:?}"
    );
    assert!(before_offer <= 80, "{before_offer}");
    assert!(s.rtp_accepted >= 40, "{}", s.rtp_accepted);
    for (ts, f) in &s.frames {
        let i = (*ts / 160) as usize;
        assert!(i > restart_frame);
        assert_eq!(&f[..], &frames[i][..]);
    }
    // The member that stayed decrypted everything.
    assert_eq!(hs[1].stats().rtp_accepted, 200);
}

#[test]
fn thousand_members_distribution_and_connected_call() {
    let opts = Options {
        members: 1000,
        mode: Mode::Connected,
        duration: Duration::from_secs(1),
        attacks: false,
        ..Options::default()
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let r = rt.block_on(async {
        tokio::time::timeout(Duration::from_secs(240), run(&opts, &Quiet))
            .await
            .expect("done in time")
            .unwrap()
    });
    eprintln!("{}", r.table());
    assert_eq!(r.checks.confirmations, 1000);
    assert_eq!(r.checks.controller_oks, 999);
    assert_eq!(r.checks.audio_checked["connected"], 999);
    // The decrypted audio is never wrong; the controller relayed every copy; the sockets' buffers
    // were set.
    assert_eq!(r.checks.frames_wrong["connected"], 0);
    assert_eq!(r.checks.relay["send errors"], 0, "{}", r.table());
    let b = r.checks.buffers;
    assert!(b.rcv_granted > 0 && b.snd_granted > 0, "{b:?}");
    // Nothing is lost unless the kernel says it dropped it: every missing frame is a datagram
    // the kernel counted as dropped (a full receive buffer or the input backlog of loopback).
    let missing = r.checks.frames_missing["connected"];
    let k = r.checks.kernel_drops["connected"];
    assert!(
        missing <= k.rcvbuf_errors + k.backlog_drops,
        "{missing} frames missing, not counted by the kernel: {}",
        r.table()
    );
}
