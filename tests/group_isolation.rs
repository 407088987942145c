//! Groups cannot reach each other's keys, and signature octets do not make an offer new:
//! - a GMK message validly signed by one group that carries another group's GMK-ID (public:
//!   it is in every GSK offer) and a newer T neither replaces nor shadows that GMK;
//! - a GSK offer naming a group opens only under that group's GMKs;
//! - a copy of a signed offer with the ECCSI signature's s negated (it verifies too) is the same
//!   offer: it does not lock the genuine offer and its re-sends out.
use prose_sec::eccsi::{Ksak, SigningKey};
use prose_sec::group::GskReceiver;
use prose_sec::group::{self, GmkStore};
use prose_sec::mikey::{self, build_gsk_offer, GskOffer, PskPolicy, SrtpId};
use prose_sec::sakke::{DecapsulationKey, KmsSecret};
use prose_sec::srtp::Profile as SrtpProfile;
use prose_sec::srtp::Profile;
use prose_sec::Error;
use rand_core::OsRng;

const NOW: u64 = 0xEC00_0000; // NTP seconds (2025)
const KMS: &[u8] = b"kms.example.org";
const GROUP_A: &[u8] = b"sip:group-a@example.org";
const GROUP_B: &[u8] = b"sip:group-b@example.org";
const ALICE: &[u8] = b"sip:alice@example.org";
const BOB: &[u8] = b"sip:bob@example.org";

struct World {
    z: KmsSecret,
    ksak: Ksak,
}

impl World {
    fn new() -> Self {
        World {
            z: KmsSecret::generate(&mut OsRng),
            ksak: Ksak::generate(&mut OsRng),
        }
    }
    fn signer(&self, uri: &[u8]) -> SigningKey {
        let id = mikey::prose_identifier(uri, NOW).unwrap();
        let (ssk, pvt) = self.ksak.issue(&id, &mut OsRng).unwrap();
        SigningKey::new(&self.ksak.kpak(), &id, &ssk, &pvt).unwrap()
    }
    fn member_key(&self, uri: &[u8]) -> DecapsulationKey {
        let id = mikey::prose_identifier(uri, NOW).unwrap();
        let rsk = self.z.issue_rsk(&id).unwrap();
        DecapsulationKey::new(&self.z.public(), &id, &rsk).unwrap()
    }
    /// `group`'s manager sends `member` the GMK `gmk` under `gmk_id` at time `t`.
    fn gmk_message(
        &self,
        group: &[u8],
        member: &[u8],
        gmk_id: u32,
        t: u64,
        gmk: &[u8; 16],
    ) -> Vec<u8> {
        group::build_prose_gmk_message(
            &self.z.public(),
            &self.signer(group),
            group,
            member,
            KMS,
            gmk_id,
            t,
            gmk,
        )
        .unwrap()
    }
}

fn offer<'a>(group: &'a [u8], gmk_id: u32, senders: &'a [SrtpId]) -> GskOffer<'a> {
    GskOffer {
        prf: mikey::prf_id::MIKEY_1,
        gsk_id: 0x5150_0001,
        senders,
        initiator_uri: ALICE,
        group_uri: group,
        gmk_id,
        profile: SrtpProfile::Aes128CmHmacSha1_80,
        t: NOW << 32,
        rand: [9; 16],
        mki: &[],
    }
}

fn receiver(group: &[u8]) -> GskReceiver {
    GskReceiver::new(PskPolicy {
        require_signature: true,
        group_uri: Some(group.to_vec()),
        ..PskPolicy::default()
    })
}

#[test]
fn one_group_cannot_plant_a_gmk_for_another() {
    let w = World::new();
    let kpak = w.ksak.kpak();
    let bob = w.member_key(BOB);
    let mut store = GmkStore::default();
    let (gmk_b, gmk_a) = ([0xb0u8; 16], [0xa0u8; 16]);
    let id_b = 0x0100_00b0;
    // Group B's manager distributes B's GMK; Bob is in both groups.
    let msg_b = w.gmk_message(GROUP_B, BOB, id_b, NOW, &gmk_b);
    assert_eq!(
        store.process_prose_message(&kpak, &bob, BOB, GROUP_B, NOW, &msg_b),
        Ok(id_b)
    );
    // Group A's manager signs, with A's own key, a newer message carrying B's GMK-ID.
    let planted = w.gmk_message(GROUP_A, BOB, id_b, NOW + 10, &gmk_a);
    assert_eq!(
        store.process_prose_message(&kpak, &bob, BOB, GROUP_A, NOW + 10, &planted),
        Err(Error::InvalidParameter)
    );
    // Nothing changed: B's GMK is still there and current, A has none.
    assert_eq!(store.len(), 1);
    assert_eq!(store.current(GROUP_B, NOW + 10).unwrap().gmk(), &gmk_b);
    assert!(store.current(GROUP_A, NOW + 10).is_none());
    assert!(store.get(GROUP_A, id_b, NOW + 10).is_none());

    // A's manager's GSK offer naming B under its own key and B's GMK-ID does not open.
    let senders = [SrtpId {
        policy_no: 0,
        ssrc: 7,
        roc: 0,
    }];
    let alice = w.signer(ALICE);
    let forged = build_gsk_offer(
        &offer(GROUP_B, id_b, &senders),
        &gmk_a,
        &[1; 16],
        &[2; 14],
        Some(&alice),
    )
    .unwrap();
    let mut rx = receiver(GROUP_B);
    assert_eq!(
        rx.process(&forged, NOW, store.lookup(NOW), Some(&kpak))
            .unwrap_err(),
        Error::AuthFailed
    );

    // A legitimately has a GMK of its own (another ID); an offer naming B under it is refused
    // as having no GMK: a group's GMK never opens another group's offer.
    let id_a = 0x0100_00a0;
    let msg_a = w.gmk_message(GROUP_A, BOB, id_a, NOW + 20, &gmk_a);
    assert_eq!(
        store.process_prose_message(&kpak, &bob, BOB, GROUP_A, NOW + 20, &msg_a),
        Ok(id_a)
    );
    assert_eq!(
        store.current(GROUP_B, NOW + 20).unwrap().gmk(),
        &gmk_b,
        "per-group current"
    );
    let cross = build_gsk_offer(
        &offer(GROUP_B, id_a, &senders),
        &gmk_a,
        &[1; 16],
        &[2; 14],
        Some(&alice),
    )
    .unwrap();
    let mut open = GskReceiver::new(PskPolicy::default());
    assert_eq!(
        open.process(&cross, NOW, store.lookup(NOW + 20), Some(&kpak))
            .unwrap_err(),
        Error::UnknownKey
    );
    // The building side refuses too: the store has no GMK of B under A's ID.
    assert_eq!(
        group::build_prose_gsk_offer(
            &store,
            id_a,
            ALICE,
            GROUP_B,
            Profile::Aes128CmHmacSha1_80,
            &[1; 16],
            &[2; 14],
            1,
            &[(7, 0)],
            NOW + 20,
            None
        )
        .unwrap_err(),
        Error::UnknownKey
    );
    // B's own offers still work.
    let good = group::build_prose_gsk_offer(
        &store,
        id_b,
        ALICE,
        GROUP_B,
        Profile::Aes128CmHmacSha1_80,
        &[1; 16],
        &[2; 14],
        1,
        &[(7, 0)],
        NOW + 20,
        Some(&alice),
    )
    .unwrap();
    let k = receiver(GROUP_B)
        .process(&good, NOW + 20, store.lookup(NOW + 20), Some(&kpak))
        .unwrap();
    assert_eq!(k.master_key(), &[1; 16]);
}

/// P-256 group order q, big-endian.
const Q: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
];

/// q − s, big-endian.
fn negate(s: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; 32];
    let mut borrow = 0i16;
    for i in (0..32).rev() {
        let mut d = Q[i] as i16 - s[i] as i16 - borrow;
        borrow = (d < 0) as i16;
        if d < 0 {
            d += 256;
        }
        out[i] = d as u8;
    }
    out
}

#[test]
fn malleated_signature_copy_does_not_lock_out_the_offer() {
    let w = World::new();
    let kpak = w.ksak.kpak();
    let bob = w.member_key(BOB);
    let mut store = GmkStore::default();
    let gmk = [0x77u8; 16];
    let id = 0x0100_0077;
    let msg = w.gmk_message(GROUP_A, BOB, id, NOW, &gmk);
    store
        .process_prose_message(&kpak, &bob, BOB, GROUP_A, NOW, &msg)
        .unwrap();
    let alice = w.signer(ALICE);
    let genuine = group::build_prose_gsk_offer(
        &store,
        id,
        ALICE,
        GROUP_A,
        Profile::Aes128CmHmacSha1_80,
        &[5; 16],
        &[6; 14],
        2,
        &[(9, 0)],
        NOW,
        Some(&alice),
    )
    .unwrap();
    // The ECCSI signature (r ‖ s ‖ PVT, 129 octets) ends the message.
    let n = genuine.len();
    let s_at = n - 129 + 32;
    let mut copy = genuine.clone();
    let neg = negate(&genuine[s_at..s_at + 32]);
    copy[s_at..s_at + 32].copy_from_slice(&neg);
    assert_ne!(copy, genuine);

    let mut rx = receiver(GROUP_A);
    // An eavesdropper re-broadcasts the copy first; its signature verifies too.
    let first = rx
        .process(&copy, NOW, store.lookup(NOW), Some(&kpak))
        .unwrap();
    assert!(!first.is_resend());
    // The genuine offer and its periodic re-sends are accepted as re-sends of the same offer.
    for dt in [0, 5, 10] {
        let k = rx
            .process(&genuine, NOW + dt, store.lookup(NOW + dt), Some(&kpak))
            .unwrap_or_else(|e| panic!("genuine offer at +{dt}s refused: {e:?}"));
        assert!(k.is_resend());
        assert_eq!(k.master_key(), first.master_key());
    }
}

#[test]
fn generated_keys_and_ids() {
    let a = group::generate_gmk().unwrap();
    let b = group::generate_gmk().unwrap();
    assert_ne!(*a, *b);
    for _ in 0..64 {
        assert_eq!(
            group::generate_gmk_id().unwrap() & mikey::PURPOSE_TAG_MASK,
            0
        );
    }
    let ids: std::collections::HashSet<u32> =
        (0..64).map(|_| group::generate_gsk_id().unwrap()).collect();
    assert!(ids.len() > 60);
    for p in Profile::ALL {
        let (k, s) = group::generate_gsk(p).unwrap();
        assert_eq!((k.len(), s.len()), (p.key_len(), p.salt_len()));
        assert!(k.iter().any(|&x| x != 0));
    }
}
