//! Mutations of valid messages of each kind: every single-octet change, every truncation,
//! inserted and appended octets give a typed error — never a panic, never an accepted
//! message with altered content. Arbitrary input never panics the parser, the SDP reader or
//! the extension decoder, and whatever parses re-builds to the same octets.

use prose_sec_peers::vectors;
use prose_sec_peers::wolfssl::mikey as wolf;

use proptest::prelude::*;
use prose_sec::group::GskReceiver;
use prose_sec::mikey::{
    self, build_gsk_offer, genext, process_gmk_message, GmkPolicy, GskOffer, MemberContext,
    Message, Profile, PskPolicy, SrtpId,
};
use prose_sec::srtp::Profile as SrtpProfile;

const FILE: &str = "mikey_ts33180.txt";
const FEB_2011: u64 = 1_297_728_000 + mikey::NTP_UNIX_OFFSET;
const VENDOR_NOW: u64 = 0xec898da8;
const GMK: [u8; 16] = [0x33; 16];
const GMK_ID: u32 = 0x0765_4321;

fn lookup(_group: &[u8], id: u32) -> Option<&'static [u8]> {
    (id == GMK_ID).then_some(&GMK[..])
}

/// Every variant of `good` we test: single-octet XORs at every position, truncations,
/// an inserted octet at every position, appended junk.
fn variants(good: &[u8], xors: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for i in 0..good.len() {
        for &x in xors {
            let mut v = good.to_vec();
            v[i] ^= x;
            out.push(v);
        }
        out.push(good[..i].to_vec());
        let mut v = good.to_vec();
        v.insert(i, 0);
        out.push(v);
    }
    let mut v = good.to_vec();
    v.push(0);
    out.push(v);
    let mut v = good.to_vec();
    v.extend_from_slice(&[4, 0, 0, 0]);
    out.push(v);
    out
}

fn signer() -> (wolf::WolfSigner, Vec<u8>) {
    let b = vectors::load(FILE, "rfc_identity").pop().unwrap();
    let _ = (b.get("z"), b.get("rsk"));
    let kpak = b.hex("kpak");
    (
        wolf::WolfSigner {
            kpak: kpak.clone(),
            id: b.hex("id"),
            ssk: b.hex("ssk"),
            pvt: b.hex("pvt"),
        },
        kpak,
    )
}

fn gsk_offer(signed: Option<&wolf::WolfSigner>) -> Vec<u8> {
    const S: [SrtpId; 1] = [SrtpId {
        policy_no: 0,
        ssrc: 7,
        roc: 1,
    }];
    let o = GskOffer {
        prf: 0,
        gsk_id: 0x0102_0304,
        senders: &S,
        initiator_uri: b"tel:+447700900123",
        group_uri: b"sip:g@example.org",
        gmk_id: GMK_ID,
        profile: SrtpProfile::Aes128CmHmacSha1_80,
        t: FEB_2011 << 32,
        rand: [9; 16],
        mki: &[],
    };
    build_gsk_offer(
        &o,
        &GMK,
        &[1; 16],
        &[2; 14],
        signed.map(|s| s as &dyn mikey::MessageSigner),
    )
    .unwrap()
}

#[test]
fn psk_offer_mutations_are_refused() {
    let (s, kpak) = signer();
    let ver = wolf::WolfVerifier { kpak };
    for signed in [false, true] {
        let good = gsk_offer(signed.then_some(&s));
        let policy = PskPolicy {
            require_signature: signed,
            ..PskPolicy::default()
        };
        let mut rx = GskReceiver::new(policy.clone());
        let k = rx.process(&good, FEB_2011, lookup, Some(&ver)).unwrap();
        assert_eq!(k.master_key(), &[1; 16]);
        // Signed offers: one XOR per octet (each costs a signature check); unsigned: three.
        let xors: &[u8] = if signed { &[0x01] } else { &[0x01, 0x80, 0xff] };
        let mut n = 0;
        for v in variants(&good, xors) {
            let mut fresh = GskReceiver::new(policy.clone());
            let r = fresh.process(&v, FEB_2011, lookup, Some(&ver));
            assert!(
                r.is_err(),
                "accepted a mutated offer (signed = {signed}): {}",
                hex::encode(&v)
            );
            n += 1;
        }
        assert!(n > good.len() * 3);
        // Nothing changed the receiver's state: the good offer is still accepted.
        rx.process(&good, FEB_2011, lookup, Some(&ver)).unwrap();
    }
}

#[test]
fn vendor_gmk_mutations_are_refused() {
    let k = vectors::load(FILE, "kms").pop().unwrap();
    let _ = (
        k.get("kms_uri"),
        k.get("key_period"),
        k.get("key_period_offset"),
    );
    let (z, kpak) = (k.hex("z"), k.hex("kpak"));
    let users = vectors::load(FILE, "user");
    let find = |n: &str| users.iter().find(|u| u.get("name") == n).unwrap();
    let alice = find("alice");
    let gms_uid = find("gms").hex("uid");
    for u in &users {
        let _ = (
            u.get("name"),
            u.get("key_period_no"),
            u.get("rsk"),
            u.get("ssk"),
            u.get("pvt"),
            u.get("uri"),
            u.get("uid"),
        );
    }
    let msgs = vectors::load(FILE, "i_message");
    let m = msgs.iter().find(|b| b.get("name") == "gmk").unwrap();
    for b in &msgs {
        let _ = (
            b.get("name"),
            b.get("ssv"),
            b.get("key_id"),
            b.get("rand"),
            b.get("guk_id"),
            b.get("initiator_uri"),
            b.get("responder_uri"),
            b.get("message"),
        );
    }
    let good = m.hex("message");
    let member = wolf::WolfMember {
        z,
        id: alice.hex("uid"),
        rsk: alice.hex("rsk"),
    };
    let auid = alice.hex("uid");
    let me = MemberContext {
        uri: alice.get("uri").as_bytes(),
        uid: &auid,
        key: &member,
    };
    let ver = wolf::WolfVerifier { kpak };
    let is_group = |id: &[u8]| id == gms_uid.as_slice();
    for policy in [
        GmkPolicy::new(Profile::Mcptt),
        GmkPolicy {
            accept_unheadered_signature: true,
            accept_legacy_key_params: true,
            ..GmkPolicy::new(Profile::Mcptt)
        },
    ] {
        let g = process_gmk_message(&good, &policy, &me, &is_group, &ver, VENDOR_NOW).unwrap();
        assert_eq!(g.gmk_id(), 0x0df9_bc39);
        for v in variants(&good, &[0x01]) {
            let r = process_gmk_message(&v, &policy, &me, &is_group, &ver, VENDOR_NOW);
            assert!(
                r.is_err(),
                "accepted a mutated GMK message: {}",
                hex::encode(&v)
            );
        }
    }
}

fn corpus() -> Vec<Vec<u8>> {
    let mut c: Vec<Vec<u8>> = vectors::load(FILE, "i_message")
        .into_iter()
        .map(|b| {
            let _ = (
                b.get("name"),
                b.get("ssv"),
                b.get("key_id"),
                b.get("rand"),
                b.get("guk_id"),
                b.get("initiator_uri"),
                b.get("responder_uri"),
            );
            b.hex("message")
        })
        .collect();
    c.push(gsk_offer(None));
    c
}

#[test]
fn every_octet_value_at_every_position_parses_or_fails_cleanly() {
    for good in corpus() {
        for i in 0..good.len() {
            for x in 1..=255u8 {
                let mut v = good.clone();
                v[i] ^= x;
                if let Ok(m) = Message::parse(&v) {
                    assert_eq!(mikey::rebuild(&m).unwrap(), v);
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..600)) {
        if let Ok(m) = Message::parse(&data) {
            prop_assert_eq!(mikey::rebuild(&m).unwrap(), data.clone());
            let _ = m.payloads().count();
        }
        let _ = Message::parse_prefix(&data);
        let _ = genext::open(&data, &[1; 16], 0);
        let _ = genext::KeyParams::decode(&data);
        let _ = mikey::KeyData::parse_chain(&data, |_| Ok(()));
        let mut rx = GskReceiver::new(PskPolicy::default());
        let _ = rx.process(&data, FEB_2011, lookup, None);
    }

    #[test]
    fn arbitrary_headers_on_valid_bodies_never_panic(
        idx in 0usize..4,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in any::<prop::sample::Index>(),
    ) {
        let c = corpus();
        let mut v = c[idx % c.len()].clone();
        for (i, b) in edits {
            let n = v.len();
            v[i.index(n)] = b;
        }
        let n = v.len();
        v.truncate(cut.index(n + 1).max(1));
        if let Ok(m) = Message::parse(&v) {
            prop_assert_eq!(mikey::rebuild(&m).unwrap(), v.clone());
        }
        let mut rx = GskReceiver::new(PskPolicy::default());
        let _ = rx.process(&v, FEB_2011, lookup, None);
    }

    #[test]
    fn arbitrary_sdp_never_panics(s in "\\PC{0,200}", b in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = prose_sec::sdp::parse_key_mgmt(&s, false);
        let _ = prose_sec::sdp::parse_key_mgmt(&format!("a=key-mgmt:mikey {s}\r\n"), true);
        let enc = prose_sec::sdp::base64_encode(&b);
        prop_assert_eq!(prose_sec::sdp::base64_decode(&enc).unwrap(), b);
        let _ = prose_sec::sdp::base64_decode(&s);
    }
}

#[test]
fn prose_gmk_mutations_are_refused_with_crate_crypto() {
    use prose_sec::eccsi::{Kpak, SigningKey, Ssk};
    use prose_sec::sakke::{DecapsulationKey, KmsPublic, Rsk};
    let b = vectors::load(FILE, "rfc_identity").pop().unwrap();
    let (id, z) = (b.hex("id"), b.hex("z"));
    let kpak = Kpak::from_sec1(&b.hex("kpak")).unwrap();
    let sk = SigningKey::new(
        &kpak,
        &id,
        &Ssk::from_bytes(&b.hex("ssk")).unwrap(),
        &b.hex("pvt"),
    )
    .unwrap();
    let kms = KmsPublic::from_bytes(&z).unwrap();
    let dk = DecapsulationKey::new(&kms, &id, &Rsk::from_bytes(&b.hex("rsk")).unwrap()).unwrap();
    let uri: &[u8] = b"tel:+447700900123";
    let params = genext::KeyParams {
        key_type: 0,
        status: 1,
        activation: 0,
        expiry: 0,
        text: b"t".to_vec(),
        group_ids: None,
    };
    let spec = mikey::GmkMessageSpec {
        profile: Profile::Prose,
        gmk_id: 0x0000_0777,
        t: FEB_2011 << 32,
        rand: [6; 16],
        initiator: uri,
        responder: uri,
        member_uri: uri,
        member_id: &id,
        kms_uri: b"kms.example.org",
        sp: Some(SrtpProfile::Aes128CmHmacSha1_80),
        key_params: Some(&params),
        key_params_header: mikey::key_params_header([1; 16], 1),
    };
    let good = mikey::build_gmk_message(&spec, &[0x10; 16], &kms, &sk).unwrap();
    let me = MemberContext {
        uri,
        uid: &[],
        key: &dk,
    };
    let is_group = |x: &[u8]| x == uri;
    let policy = GmkPolicy::new(Profile::Prose);
    assert_eq!(
        process_gmk_message(&good, &policy, &me, &is_group, &kpak, FEB_2011)
            .unwrap()
            .gmk(),
        &[0x10; 16]
    );
    for v in variants(&good, &[0x01]) {
        assert!(
            process_gmk_message(&v, &policy, &me, &is_group, &kpak, FEB_2011).is_err(),
            "accepted a mutated prose GMK message: {}",
            hex::encode(&v)
        );
    }
}
