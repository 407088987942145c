//! The initiator role: GSK offer at start (pre-generated) in SDP, media through its send
//! session, re-sent offers on schedule with the current ROCs, and a late joiner that enters
//! from a re-send after the sender's ROC moved.
use prose_sec::group::initiator::Initiator;
use prose_sec::group::manager::Manager;
use prose_sec::group::GskReceiver;
use prose_sec::group::{self, GmkStore};
use prose_sec::kms::{IdFormat, KeyPeriods, Kms, ProvisionedKeys};
use prose_sec::mikey::PskPolicy;
use prose_sec::srtp::Profile;
use rand_core::OsRng;

const KMS_URI: &[u8] = b"kms.example.org";
const GROUP: &[u8] = b"sip:fire-brigade@example.org";
const ALICE: &[u8] = b"sip:alice@example.org";
const BOB: &[u8] = b"sip:bob@example.org";
const CAROL: &[u8] = b"sip:carol@example.org";
const NOW: u64 = 3_900_000_000;
const SSRC: u32 = 0x1234_5678;

fn rtp(seq: u16, len: usize) -> Vec<u8> {
    let mut p = vec![0x80, 0];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&(seq as u32 * 160).to_be_bytes());
    p.extend_from_slice(&SSRC.to_be_bytes());
    p.extend((0..len).map(|i| (i as u8) ^ (seq as u8)));
    p
}

#[test]
fn offer_media_resend_and_late_entry() {
    let kms = Kms::generate(
        KeyPeriods::new(KMS_URI, IdFormat::Prose).unwrap(),
        &mut OsRng,
    )
    .unwrap();
    let cert = kms.certificate();
    let no = kms.periods().period_no(NOW).unwrap();
    let keys = |uri: &[u8]| -> ProvisionedKeys {
        cert.accept(uri, kms.issue(uri, no, &mut OsRng).unwrap(), NOW)
            .unwrap()
    };
    let (alice, bob, carol) = (keys(ALICE), keys(BOB), keys(CAROL));
    let mut m = Manager::new(GROUP, cert.clone(), keys(GROUP)).unwrap();
    let mut stores = [
        GmkStore::default(),
        GmkStore::default(),
        GmkStore::default(),
    ];
    let members = [(ALICE, &alice), (BOB, &bob), (CAROL, &carol)];
    for (uri, _) in members {
        m.add_member(uri).unwrap();
    }
    let gmk_id = m.create_gmk(0, 0, &mut OsRng).unwrap();
    for (n, ((uri, k), store)) in m
        .notifications(gmk_id, NOW, &mut OsRng)
        .unwrap()
        .iter()
        .zip(members.iter().zip(stores.iter_mut()))
    {
        store
            .process_prose_message(&cert.kpak, &k.decapsulation, uri, GROUP, NOW, &n.message)
            .unwrap();
    }

    // Alice starts a call: the first offer goes out in the SDP.
    let mut call = Initiator::start(
        &stores[0],
        GROUP,
        ALICE,
        Profile::Aes128CmHmacSha1_80,
        &[SSRC],
        NOW,
        Some(&alice.signing),
    )
    .unwrap();
    assert_eq!(call.gmk_id(), gmk_id);
    let sdp = call.sdp_offer("192.0.2.1", 5004);
    let wire = prose_sec::sdp::parse_key_mgmt(&sdp, false).unwrap();
    assert_eq!(wire, call.first_offer());
    let policy = PskPolicy {
        require_signature: true,
        group_uri: Some(GROUP.to_vec()),
        ..PskPolicy::default()
    };
    let mut bob_rx = GskReceiver::new(policy.clone());
    let keying = bob_rx
        .process(&wire, NOW, stores[1].lookup(NOW), Some(&cert.kpak))
        .unwrap();
    assert_eq!(keying.gsk_id(), call.gsk_id());
    let mut bob_srtp = group::srtp_session(&keying).unwrap();

    // Media across the sequence-number wrap.
    for seq in [65_530u16, 65_533, 65_535, 0, 1, 2] {
        let plain = rtp(seq, 160);
        let mut buf = plain.clone();
        buf.resize(plain.len() + 64, 0);
        let n = call.session().protect_rtp(&mut buf, plain.len()).unwrap();
        let got = bob_srtp.unprotect_rtp(&mut buf, n).unwrap();
        assert_eq!(&buf[..got], &plain[..]);
    }
    assert_eq!(bob_srtp.roc(SSRC), Some(1));

    // Re-sends: none before the interval, then one with the current ROC.
    assert!(call
        .resend_due(NOW + 4, Some(&alice.signing))
        .unwrap()
        .is_none());
    let again = call
        .resend_due(NOW + 5, Some(&alice.signing))
        .unwrap()
        .unwrap();
    assert!(call
        .resend_due(NOW + 6, Some(&alice.signing))
        .unwrap()
        .is_none());
    let k2 = bob_rx
        .process(&again, NOW + 5, stores[1].lookup(NOW + 5), Some(&cert.kpak))
        .unwrap();
    assert_eq!(
        (k2.gsk_id(), k2.master_key()),
        (keying.gsk_id(), keying.master_key())
    );
    assert_eq!(k2.senders()[0].roc, 1);

    // Carol joins late from the re-send: ROC 1 from its CS map, and the next packet decrypts.
    let mut carol_rx = GskReceiver::new(policy);
    let kc = carol_rx
        .process(&again, NOW + 6, stores[2].lookup(NOW + 6), Some(&cert.kpak))
        .unwrap();
    let mut carol_srtp = group::srtp_session(&kc).unwrap();
    let plain = rtp(3, 160);
    let mut buf = plain.clone();
    buf.resize(plain.len() + 64, 0);
    let n = call.session().protect_rtp(&mut buf, plain.len()).unwrap();
    let mut copy = buf.clone();
    let got = carol_srtp.unprotect_rtp(&mut buf, n).unwrap();
    assert_eq!(&buf[..got], &plain[..]);
    bob_srtp.unprotect_rtp(&mut copy, n).unwrap();
}
