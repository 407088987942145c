//! The whole chain through the roles, in both profiles: KMS (bulk key sets) → Group Manager
//! (GMK notifications, confirmations) → 1000 members (provisioning checks, GMK accepted) →
//! one of them initiating a signed call → SRTP to every other member; and the refusals a
//! member reports as events, each with its reason and no state change.
use prose_sec::group::manager::Manager;
use prose_sec::group::member::{Event, Member};
use prose_sec::kms::{IdFormat, KeyPeriods, Kms, KmsCertificate};
use prose_sec::mikey::PskPolicy;
use prose_sec::srtp::Profile;
use prose_sec::Error;
use rand_core::OsRng;

const KMS_URI: &[u8] = b"kms.example.org";
const GROUP: &[u8] = b"sip:fire-brigade@example.org";
const OTHER: &[u8] = b"sip:police@example.org";
const NOW: u64 = 3_900_000_000;

fn formats() -> [IdFormat; 2] {
    [
        IdFormat::Prose,
        IdFormat::Mcptt {
            period_secs: 30 * 86_400,
            offset_secs: 0,
        },
    ]
}

fn rtp(seq: u16, ssrc: u32) -> Vec<u8> {
    let mut p = vec![0x80, 0];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&[0, 0, 0, 0]);
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend((0..160).map(|i| i as u8 ^ seq as u8));
    p
}

struct World {
    kms: Kms,
    cert: KmsCertificate,
    manager: Manager,
    members: Vec<Member>,
}

fn uri(i: usize) -> Vec<u8> {
    format!("sip:unit-{i}@example.org").into_bytes()
}

/// A KMS, a Group Manager for GROUP and `n` provisioned members who joined it.
fn world(format: IdFormat, n: usize) -> World {
    let t0 = std::time::Instant::now();
    let kms = Kms::generate(KeyPeriods::new(KMS_URI, format).unwrap(), &mut OsRng).unwrap();
    let cert = kms.certificate();
    let no = kms.periods().period_no(NOW).unwrap();
    let uris: Vec<Vec<u8>> = (0..n).map(uri).collect();
    let refs: Vec<&[u8]> = uris.iter().map(Vec::as_slice).collect();
    let sets = kms.issue_many(&refs, no, &mut OsRng).unwrap();
    let policy = PskPolicy {
        require_signature: true,
        ..PskPolicy::default()
    };
    let members: Vec<Member> = sets
        .into_iter()
        .zip(&uris)
        .map(|(ks, u)| {
            let mut m = Member::new(u, cert.clone(), policy.clone());
            m.add_key_set(ks.unwrap(), NOW).unwrap();
            m.join(GROUP);
            m
        })
        .collect();
    eprintln!("{n} members provisioned in {:?}", t0.elapsed());
    let group_keys = cert
        .accept(GROUP, kms.issue(GROUP, no, &mut OsRng).unwrap(), NOW)
        .unwrap();
    let mut manager = Manager::new(GROUP, cert.clone(), group_keys).unwrap();
    for u in &uris {
        assert!(manager.add_member(u).unwrap());
    }
    World {
        kms,
        cert,
        manager,
        members,
    }
}

/// The GMK to everyone; every member accepts and confirms.
fn distribute(w: &mut World, now: u64) -> u32 {
    let g = w.manager.create_gmk(0, 0, &mut OsRng).unwrap();
    let t0 = std::time::Instant::now();
    let notes = w.manager.notifications(g, now, &mut OsRng).unwrap();
    eprintln!("notifications in {:?}", t0.elapsed());
    assert_eq!(notes.len(), w.members.len());
    assert_eq!(w.manager.unconfirmed(g).unwrap().len(), w.members.len());
    let index: std::collections::HashMap<Vec<u8>, usize> = w
        .members
        .iter()
        .enumerate()
        .map(|(i, m)| (m.uri().to_vec(), i))
        .collect();
    for n in &notes {
        let m = &mut w.members[index[&n.member]];
        assert_eq!(
            m.handle(&n.message, now),
            Event::GmkAccepted {
                group: GROUP.to_vec(),
                gmk_id: g
            }
        );
        w.manager.confirm(&n.member, g).unwrap();
    }
    assert!(w.manager.unconfirmed(g).unwrap().is_empty());
    g
}

fn chain(format: IdFormat, n: usize) {
    let mut w = world(format, n);
    let gmk = distribute(&mut w, NOW);
    let ssrc = 0x5eed_0001;
    let mut call = w.members[0]
        .start_call(GROUP, Profile::Aes128CmHmacSha1_80, &[ssrc], NOW + 1, true)
        .unwrap();
    assert_eq!(call.gmk_id(), gmk);
    let offer = call.first_offer().to_vec();
    let plain = rtp(7, ssrc);
    let mut pkt = plain.clone();
    pkt.resize(plain.len() + 32, 0);
    let len = call.session().protect_rtp(&mut pkt, plain.len()).unwrap();
    pkt.truncate(len);
    for m in &mut w.members[1..] {
        assert_eq!(
            m.handle(&offer, NOW + 2),
            Event::SessionStarted {
                group: GROUP.to_vec(),
                gsk_id: call.gsk_id()
            }
        );
        let mut buf = pkt.clone();
        let got = m
            .session(GROUP)
            .unwrap()
            .unprotect_rtp(&mut buf, len)
            .unwrap();
        assert_eq!(&buf[..got], &plain[..]);
    }
}

#[test]
fn thousand_members_prose() {
    chain(IdFormat::Prose, 1000);
}

#[test]
fn thousand_members_mcptt() {
    chain(formats()[1].clone(), 1000);
}

#[test]
fn refusals_are_events_and_change_nothing() {
    for format in formats() {
        let mut w = world(format.clone(), 3);
        let gmk = distribute(&mut w, NOW);
        let call = w.members[0]
            .start_call(GROUP, Profile::AeadAes128Gcm, &[1], NOW, true)
            .unwrap();
        let offer = call.first_offer().to_vec();
        let unsigned = w.members[0]
            .start_call(GROUP, Profile::AeadAes128Gcm, &[1], NOW, false)
            .unwrap();
        let bob = &mut w.members[1];
        // Garbage, a tampered offer, an unsigned offer under a signature-requiring policy.
        assert_eq!(
            bob.handle(&offer[..10], NOW),
            Event::Refused {
                group: None,
                reason: Error::Parse
            }
        );
        let mut bad = offer.clone();
        let k = bad.len() - 70;
        bad[k] ^= 1;
        match bob.handle(&bad, NOW) {
            Event::Refused { reason, .. } => {
                assert!(
                    matches!(reason, Error::AuthFailed | Error::InvalidSignature),
                    "{reason:?}"
                )
            }
            e => panic!("{e:?}"),
        }
        assert_eq!(
            bob.handle(unsigned.first_offer(), NOW),
            Event::Refused {
                group: Some(GROUP.to_vec()),
                reason: Error::InvalidSignature
            }
        );
        // Too old.
        assert_eq!(
            bob.handle(&offer, NOW + 3600),
            Event::Refused {
                group: Some(GROUP.to_vec()),
                reason: Error::Freshness
            }
        );
        assert!(bob.session(GROUP).is_none(), "{format:?}");
        // The genuine offer still works after all of that.
        assert!(matches!(
            bob.handle(&offer, NOW),
            Event::SessionStarted { .. }
        ));
        // Bob now keeps a verifier for Alice: a copy with a broken signature (its MAC'd part
        // that of the accepted offer) is still refused, and so is one with another PVT.
        for at in [offer.len() - 1, offer.len() - 80] {
            let mut forged = offer.clone();
            forged[at] ^= 0x40;
            match bob.handle(&forged, NOW) {
                Event::Refused { reason, .. } => {
                    assert_eq!(reason, Error::InvalidSignature, "{format:?} at {at}")
                }
                e => panic!("{e:?}"),
            }
        }
        assert!(matches!(bob.handle(&offer, NOW), Event::Resent { .. }));

        // A GMK from a group Bob has not joined: refused, his stores unchanged.
        let no = w.kms.periods().period_no(NOW).unwrap();
        let keys = w
            .cert
            .accept(OTHER, w.kms.issue(OTHER, no, &mut OsRng).unwrap(), NOW)
            .unwrap();
        let mut other = Manager::new(OTHER, w.cert.clone(), keys).unwrap();
        other.add_member(bob.uri()).unwrap();
        let og = other.create_gmk(0, 0, &mut OsRng).unwrap();
        let msg = other.notifications(og, NOW, &mut OsRng).unwrap().remove(0);
        assert!(matches!(
            bob.handle(&msg.message, NOW),
            Event::Refused {
                reason: Error::InvalidParameter,
                ..
            }
        ));
        assert_eq!(bob.gmks(GROUP).unwrap().len(), 1);

        // A revoked GMK: the revocation is accepted, then offers under it are refused.
        let carol = &mut w.members[2];
        let rev = w.manager.revoke(gmk, NOW + 10, &mut OsRng).unwrap();
        let mine = rev.iter().find(|n| n.member == carol.uri()).unwrap();
        assert!(matches!(
            carol.handle(&mine.message, NOW + 10),
            Event::GmkAccepted { .. }
        ));
        assert_eq!(
            carol.handle(&offer, NOW + 10),
            Event::Refused {
                group: Some(GROUP.to_vec()),
                reason: Error::UnknownKey
            }
        );
        assert!(carol.session(GROUP).is_none());
        assert!(carol.current_gmk(GROUP, NOW + 10).is_none());
    }
}

/// Regression: a member's GMK store used to refuse every GMK after its sixteenth (no expiry
/// given), so a group stopped working after sixteen rekeys. A newer GMK now replaces the
/// group's oldest one.
#[test]
fn rekeys_go_on_past_the_store_capacity() {
    let mut w = world(IdFormat::Prose, 2);
    let mut last = 0;
    for round in 0..(prose_sec::group::DEFAULT_GMK_CAPACITY as u64 + 4) {
        let now = NOW + 2 * round;
        let g = w.manager.create_gmk(0, 0, &mut OsRng).unwrap();
        for n in w.manager.notifications(g, now, &mut OsRng).unwrap() {
            let m = w.members.iter_mut().find(|m| m.uri() == n.member).unwrap();
            assert_eq!(
                m.handle(&n.message, now),
                Event::GmkAccepted {
                    group: GROUP.to_vec(),
                    gmk_id: g
                },
                "round {round}"
            );
        }
        last = g;
    }
    let now = NOW + 2 * (prose_sec::group::DEFAULT_GMK_CAPACITY as u64 + 4);
    for m in &w.members {
        let store = m.gmks(GROUP).unwrap();
        assert_eq!(store.len(), prose_sec::group::DEFAULT_GMK_CAPACITY);
        assert_eq!(m.current_gmk(GROUP, now).unwrap().gmk_id(), last);
    }
}
