//! The member role end to end with the KMS, Group Manager and initiator roles: GMKs from the
//! manager, a session from the first offer, re-sent offers that rebuild nothing, a rekey with
//! old and new GSK side by side, and refusals (another group, a revoked GMK, no key set).
use prose_sec::group::initiator::Initiator;
use prose_sec::group::manager::Manager;
use prose_sec::group::member::{Event, Member};
use prose_sec::kms::{IdFormat, KeyPeriods, Kms};
use prose_sec::mikey::PskPolicy;
use prose_sec::srtp::Profile;
use prose_sec::Error;
use rand_core::OsRng;

const KMS_URI: &[u8] = b"kms.example.org";
const GROUP: &[u8] = b"sip:fire-brigade@example.org";
const OTHER: &[u8] = b"sip:police@example.org";
const ALICE: &[u8] = b"sip:alice@example.org";
const BOB: &[u8] = b"sip:bob@example.org";
const NOW: u64 = 3_900_000_000;

fn rtp(seq: u16, ssrc: u32) -> Vec<u8> {
    let mut p = vec![0x80, 0];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&[0, 0, 0, 0]);
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend((0..160).map(|i| i as u8 ^ seq as u8));
    p
}

fn send(call: &mut Initiator, seq: u16, ssrc: u32) -> (Vec<u8>, Vec<u8>) {
    let plain = rtp(seq, ssrc);
    let mut buf = plain.clone();
    buf.resize(plain.len() + 64, 0);
    let n = call.session().protect_rtp(&mut buf, plain.len()).unwrap();
    buf.truncate(n);
    (plain, buf)
}

fn recv(bob: &mut Member, pkt: &[u8]) -> Result<Vec<u8>, Error> {
    let mut buf = pkt.to_vec();
    let n = bob
        .session(GROUP)
        .unwrap()
        .unprotect_rtp(&mut buf, pkt.len())?;
    buf.truncate(n);
    Ok(buf)
}

#[test]
fn member_through_the_roles() {
    let kms = Kms::generate(
        KeyPeriods::new(KMS_URI, IdFormat::Prose).unwrap(),
        &mut OsRng,
    )
    .unwrap();
    let cert = kms.certificate();
    let no = kms.periods().period_no(NOW).unwrap();
    let policy = PskPolicy {
        require_signature: true,
        ..PskPolicy::default()
    };
    let member = |uri: &[u8]| {
        let mut m = Member::new(uri, cert.clone(), policy.clone());
        let [cur, next] = kms.issue_current_and_next(uri, NOW, &mut OsRng).unwrap();
        m.add_key_set(cur, NOW).unwrap();
        m.add_key_set(next, NOW).unwrap();
        m.join(GROUP);
        m
    };
    let (mut alice, mut bob) = (member(ALICE), member(BOB));
    assert!(bob.keys(no).is_some() && bob.keys(no + 1).is_some());
    // A key set of someone else is refused and changes nothing.
    let eve = kms.issue(b"sip:eve@example.org", no, &mut OsRng).unwrap();
    assert_eq!(
        bob.add_key_set(eve, NOW).unwrap_err(),
        Error::InvalidParameter
    );

    let group_keys = cert
        .accept(GROUP, kms.issue(GROUP, no, &mut OsRng).unwrap(), NOW)
        .unwrap();
    let mut manager = Manager::new(GROUP, cert.clone(), group_keys).unwrap();
    manager.add_member(ALICE).unwrap();
    manager.add_member(BOB).unwrap();
    let g1 = manager.create_gmk(0, 0, &mut OsRng).unwrap();
    for n in manager.notifications(g1, NOW, &mut OsRng).unwrap() {
        let m = if n.member == ALICE {
            &mut alice
        } else {
            &mut bob
        };
        assert_eq!(
            m.handle_gmk_message(&n.message, NOW).unwrap(),
            Event::GmkAccepted {
                group: GROUP.to_vec(),
                gmk_id: g1
            }
        );
    }
    // Another group's manager cannot reach Bob: he has not joined it.
    let other_keys = cert
        .accept(OTHER, kms.issue(OTHER, no, &mut OsRng).unwrap(), NOW)
        .unwrap();
    let mut other = Manager::new(OTHER, cert.clone(), other_keys).unwrap();
    other.add_member(BOB).unwrap();
    let og = other.create_gmk(0, 0, &mut OsRng).unwrap();
    let msg = &other.notifications(og, NOW, &mut OsRng).unwrap()[0].message;
    assert_eq!(
        bob.handle_gmk_message(msg, NOW).unwrap_err(),
        Error::InvalidParameter
    );

    // Alice calls; Bob's session starts from the first offer.
    let ssrc = 0xa11ce;
    let signer = alice.keys(no).unwrap().signing.clone();
    let mut call = Initiator::start(
        alice.gmks(GROUP).unwrap(),
        GROUP,
        ALICE,
        Profile::Aes128CmHmacSha1_80,
        &[ssrc],
        NOW,
        Some(&signer),
    )
    .unwrap();
    let e = bob.handle_offer(call.first_offer(), NOW).unwrap();
    assert_eq!(
        e,
        Event::SessionStarted {
            group: GROUP.to_vec(),
            gsk_id: call.gsk_id()
        }
    );
    let (p1, c1) = send(&mut call, 10, ssrc);
    assert_eq!(recv(&mut bob, &c1).unwrap(), p1);

    // Re-sends (the identical first offer, and a fresh one) rebuild nothing: replay still refused.
    assert_eq!(
        bob.handle_offer(call.first_offer(), NOW + 1).unwrap(),
        Event::Resent {
            group: GROUP.to_vec(),
            gsk_id: call.gsk_id()
        }
    );
    let again = call.resend_due(NOW + 5, Some(&signer)).unwrap().unwrap();
    assert_eq!(
        bob.handle_offer(&again, NOW + 5).unwrap(),
        Event::Resent {
            group: GROUP.to_vec(),
            gsk_id: call.gsk_id()
        }
    );
    assert_eq!(recv(&mut bob, &c1).unwrap_err(), Error::ReplayDuplicate);

    // A second call (new GSK) is added beside the first; both decrypt.
    let ssrc2 = 0xa11cf;
    let mut call2 = Initiator::start(
        alice.gmks(GROUP).unwrap(),
        GROUP,
        ALICE,
        Profile::Aes128CmHmacSha1_80,
        &[ssrc2],
        NOW + 6,
        Some(&signer),
    )
    .unwrap();
    assert_eq!(
        bob.handle_offer(call2.first_offer(), NOW + 6).unwrap(),
        Event::Rekeyed {
            group: GROUP.to_vec(),
            gsk_id: call2.gsk_id()
        }
    );
    let (p2, c2) = send(&mut call2, 1, ssrc2);
    let (p3, c3) = send(&mut call, 11, ssrc);
    assert_eq!(recv(&mut bob, &c2).unwrap(), p2);
    assert_eq!(recv(&mut bob, &c3).unwrap(), p3);

    // The GMK is revoked: offers under it are refused.
    for n in manager.revoke(g1, NOW + 10, &mut OsRng).unwrap() {
        if n.member == BOB {
            bob.handle_gmk_message(&n.message, NOW + 10).unwrap();
        }
    }
    let late = call.resend_due(NOW + 12, Some(&signer)).unwrap().unwrap();
    assert_eq!(
        bob.handle_offer(&late, NOW + 12).unwrap_err(),
        Error::UnknownKey
    );
    // Without a key set for the message's period, a GMK message is refused.
    let mut carol = Member::new(b"sip:carol@example.org", cert.clone(), policy.clone());
    carol.join(GROUP);
    manager.add_member(b"sip:carol@example.org").unwrap();
    let g2 = manager.create_gmk(0, 0, &mut OsRng).unwrap();
    let n = manager
        .notify_some(
            g2,
            &[b"sip:carol@example.org".to_vec()],
            NOW + 20,
            &mut OsRng,
        )
        .unwrap();
    assert_eq!(
        carol
            .handle_gmk_message(&n[0].message, NOW + 20)
            .unwrap_err(),
        Error::UnknownKey
    );
}
