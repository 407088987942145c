//! The Group Manager's retransmissions (timer A from the last answer): a MESSAGE lost on the
//! way is sent again once the answers stall, and the member's 200 OK is then recorded.
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use prose_sec::kms::IdFormat;
use prose_sec_net::node::{self, MemberConfig, T1};
use prose_sec_net::scenario::{provision, GROUP};
use prose_sec_net::sip::SipMessage;
use prose_sec_net::wire::{self, Wire};
use rand_core::OsRng;

#[test]
fn a_lost_message_is_sent_again_after_the_answers_stall() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let now = node::ntp_now(0);
        let mut w = provision(3, IdFormat::Prose, now).unwrap();
        let wire = Arc::new(Wire::new());
        let cfg = MemberConfig {
            group: GROUP.as_bytes().to_vec(),
            keep_audio: false,
            multicast: None,
        };
        let mut members = std::mem::take(&mut w.members);
        let lossy = members.pop().unwrap();
        let mut addrs: HashMap<Vec<u8>, SocketAddr> = HashMap::new();
        let mut hs = Vec::new();
        for m in members {
            let h = node::spawn_member(m, cfg.clone(), wire.clone())
                .await
                .unwrap();
            addrs.insert(h.uri.clone(), h.sip);
            hs.push(h);
        }
        // The third member's path loses the first copy: a socket that drops it and hands the
        // next copies to the member node.
        let h = node::spawn_member(lossy, cfg, wire.clone()).await.unwrap();
        let front = wire::unicast().unwrap();
        addrs.insert(h.uri.clone(), front.local_addr().unwrap());
        let member_at = h.sip;
        let fwd = tokio::spawn(async move {
            let back = wire::unicast().unwrap();
            let mut buf = vec![0u8; 65_536];
            let mut buf2 = vec![0u8; 65_536];
            let (n, manager) = front.recv_from(&mut buf).await.unwrap();
            let first = SipMessage::parse(&buf[..n]).unwrap();
            let mut copies = 1;
            loop {
                tokio::select! {
                    r = front.recv_from(&mut buf) => {
                        let (n, _) = r.unwrap();
                        copies += 1;
                        back.send_to(&buf[..n], member_at).await.unwrap();
                    }
                    r = back.recv_from(&mut buf2) => {
                        let (n, _) = r.unwrap();
                        front.send_to(&buf2[..n], manager).await.unwrap();
                        return (first.call_id().map(str::to_owned), copies);
                    }
                }
            }
        });
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
        assert!(w.manager.unconfirmed(g).unwrap().is_empty());
        // Only the lost one was sent again, not before T1 after the last other answer.
        assert_eq!(d.retransmits, 1);
        assert!(d.elapsed >= T1, "{:?}", d.elapsed);
        let (cid, copies) = fwd.await.unwrap();
        assert!(cid.is_some());
        assert_eq!(copies, 2);
        assert_eq!(h.stats().gmk_accepted, 1);
        for h in &hs {
            assert_eq!(h.stats().gmk_accepted, 1);
        }
    });
}
