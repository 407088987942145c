//! The whole chain in one process with the crate alone: KMS provisioning (SAKKE RSK, ECCSI
//! SSK/PVT) → Group Manager's GMK I_MESSAGE → member's GmkStore → initiator's signed GSK offer
//! in SDP → receiver's SRTP keying → SRTP both ways, including a late joiner's ROC.
use prose_sec::eccsi::{Ksak, SigningKey};
use prose_sec::group::GskReceiver;
use prose_sec::group::{self, GmkStore};
use prose_sec::mikey::{
    self, build_gmk_message, build_gsk_offer, key_params_header, process_gmk_message,
    GmkMessageSpec, GmkPolicy, GskOffer, MemberContext, Profile, PskPolicy, SrtpId,
};
use prose_sec::sakke::{DecapsulationKey, KmsSecret};
use prose_sec::srtp::Profile as SrtpProfile;
use prose_sec::srtp::{MasterKey, Policy, Session};
use prose_sec::Error;
use rand_core::{OsRng, RngCore};

const NOW: u64 = 0xEC00_0000; // NTP seconds (2025)
const KMS: &[u8] = b"kms.example.org";
const GROUP: &[u8] = b"sip:group1@example.org";
const ALICE: &[u8] = b"sip:alice@example.org";
const BOB: &[u8] = b"sip:bob@example.org";

struct World {
    z: KmsSecret,
    ksak: Ksak,
}

impl World {
    fn id(&self, uri: &[u8]) -> Vec<u8> {
        mikey::prose_identifier(uri, NOW).unwrap()
    }
    fn signer(&self, uri: &[u8]) -> SigningKey {
        let id = self.id(uri);
        let (ssk, pvt) = self.ksak.issue(&id, &mut OsRng).unwrap();
        SigningKey::new(&self.ksak.kpak(), &id, &ssk, &pvt).unwrap()
    }
    fn member_key(&self, uri: &[u8]) -> DecapsulationKey {
        let id = self.id(uri);
        let rsk = self.z.issue_rsk(&id).unwrap();
        DecapsulationKey::new(&self.z.public(), &id, &rsk).unwrap()
    }
}

fn gmk_message(w: &World, member: &[u8], gmk: &[u8; 16], gmk_id: u32, t_secs: u64) -> Vec<u8> {
    let mut rand = [0u8; 16];
    OsRng.fill_bytes(&mut rand);
    let member_id = w.id(member);
    let spec = GmkMessageSpec {
        profile: Profile::Prose,
        gmk_id,
        t: t_secs << 32,
        rand,
        initiator: GROUP,
        responder: member,
        member_uri: member,
        member_id: &member_id,
        kms_uri: KMS,
        sp: None,
        key_params: None,
        key_params_header: key_params_header(rand, 1),
    };
    build_gmk_message(&spec, gmk, &w.z.public(), &w.signer(GROUP)).unwrap()
}

#[test]
fn gmk_then_gsk_then_srtp() {
    let w = World {
        z: KmsSecret::generate(&mut OsRng),
        ksak: Ksak::generate(&mut OsRng),
    };
    let kpak = w.ksak.kpak();

    // Group Manager → Bob: GMK.
    let mut gmk = [0u8; 16];
    OsRng.fill_bytes(&mut gmk);
    let gmk_id = OsRng.next_u32() & 0x0fff_ffff;
    let msg = gmk_message(&w, BOB, &gmk, gmk_id, NOW);
    let bob_key = w.member_key(BOB);
    let me = MemberContext {
        uri: BOB,
        uid: &[],
        key: &bob_key,
    };
    let policy = GmkPolicy::new(Profile::Prose);
    let in_group = |g: &[u8]| g == GROUP;
    let received = process_gmk_message(&msg, &policy, &me, &in_group, &kpak, NOW).unwrap();
    assert_eq!(received.gmk(), &gmk);
    assert_eq!(received.gmk_id(), gmk_id);
    let mut store = GmkStore::default();
    store.insert(received.clone(), NOW).unwrap();
    // The same message again is not newer: refused, store unchanged.
    assert_eq!(store.insert(received, NOW), Err(Error::Freshness));
    assert_eq!(store.len(), 1);
    assert_eq!(store.current(GROUP, NOW).unwrap().gmk_id(), gmk_id);

    // A newer GMK becomes current; the older stays available by id.
    let mut gmk2 = [0u8; 16];
    OsRng.fill_bytes(&mut gmk2);
    let gmk2_id = gmk_id ^ 1;
    let msg2 = gmk_message(&w, BOB, &gmk2, gmk2_id, NOW + 1);
    let r2 = process_gmk_message(&msg2, &policy, &me, &in_group, &kpak, NOW).unwrap();
    store.insert(r2, NOW).unwrap();
    assert_eq!(store.current(GROUP, NOW).unwrap().gmk_id(), gmk2_id);
    assert_eq!(store.get(GROUP, gmk_id, NOW).unwrap().gmk(), &gmk);

    // Alice (initiator, who holds the same current GMK) offers a GSK, signed.
    let mut gsk = [0u8; 16];
    let mut salt = [0u8; 14];
    OsRng.fill_bytes(&mut gsk);
    OsRng.fill_bytes(&mut salt);
    let gsk_id = OsRng.next_u32();
    let ssrc = 0x0a0b_0c0d;
    let senders = [SrtpId {
        policy_no: 0,
        ssrc,
        roc: 3,
    }];
    let mut rand = [0u8; 16];
    OsRng.fill_bytes(&mut rand);
    let offer = GskOffer {
        prf: 0,
        gsk_id,
        senders: &senders,
        initiator_uri: ALICE,
        group_uri: GROUP,
        gmk_id: gmk2_id,
        profile: SrtpProfile::Aes128CmHmacSha1_80,
        t: NOW << 32,
        rand,
        mki: &[],
    };
    let alice = w.signer(ALICE);
    let bytes = build_gsk_offer(&offer, &gmk2, &gsk, &salt, Some(&alice)).unwrap();
    let sdp = format!(
        "v=0\r\n{}\r\nm=audio 5004 RTP/SAVP 96\r\n",
        prose_sec::sdp::format_key_mgmt(&bytes)
    );

    // Bob: SDP → keying → SRTP session with Alice's ROC.
    let wire = prose_sec::sdp::parse_key_mgmt(&sdp, false).unwrap();
    let mut rx = GskReceiver::new(PskPolicy {
        require_signature: true,
        group_uri: Some(GROUP.to_vec()),
        ..PskPolicy::default()
    });
    let keying = rx
        .process(&wire, NOW, store.lookup(NOW), Some(&kpak))
        .unwrap();
    assert_eq!(keying.master_key(), &gsk);
    assert_eq!(keying.master_salt(), &salt);
    assert_eq!(keying.mki(), &gsk_id.to_be_bytes());
    assert!(keying.signed());
    assert!(!keying.is_resend());
    let mut bob = group::srtp_session(&keying).unwrap();
    assert_eq!(bob.roc(ssrc), Some(3));

    // Alice's own session from her GSK: ROC 3, MKI = GSK-ID.
    let key = MasterKey::new(&gsk, &salt)
        .unwrap()
        .with_mki(&gsk_id.to_be_bytes())
        .unwrap();
    let mut alice_tx = Session::new(&Policy::new(offer.profile, key)).unwrap();
    alice_tx.set_roc(ssrc, 3).unwrap();
    for seq in [65534u16, 65535, 0, 1] {
        let mut buf = vec![0u8; 12 + 160 + alice_tx.max_overhead()];
        buf[0] = 0x80;
        buf[1] = 96;
        buf[2..4].copy_from_slice(&seq.to_be_bytes());
        buf[8..12].copy_from_slice(&ssrc.to_be_bytes());
        buf[12..172].fill(seq as u8);
        let plain = buf[..172].to_vec();
        let n = alice_tx.protect_rtp(&mut buf, 172).unwrap();
        let m = bob.unprotect_rtp(&mut buf, n).unwrap();
        assert_eq!(&buf[..m], &plain[..]);
    }
    assert_eq!(bob.roc(ssrc), Some(4));

    // A re-sent identical offer is accepted again (late entry); a GSK under an unknown GMK is not.
    let again = rx
        .process(&wire, NOW, store.lookup(NOW), Some(&kpak))
        .unwrap();
    assert!(again.is_resend(), "the receiver reports the re-send");
    assert_eq!(again.master_key(), &gsk);
    let unknown = GskOffer {
        gmk_id: 0x0123_4567,
        ..offer.clone()
    };
    let bytes = build_gsk_offer(&unknown, &gmk2, &gsk, &salt, None).unwrap();
    assert_eq!(
        rx.process(&bytes, NOW, store.lookup(NOW), Some(&kpak))
            .unwrap_err(),
        Error::UnknownKey
    );
}
