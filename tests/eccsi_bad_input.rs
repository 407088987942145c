//! ECCSI bad input: every malformed or wrong value gives a typed error and nothing else.
use proptest::prelude::*;
use prose_sec::eccsi::{self, Kpak, Ksak, SigningKey, Ssk, Verifier, SIGNATURE_LEN};
use prose_sec::Error;
use rand_core::{CryptoRng, OsRng, RngCore};

/// The P-256 group order q.
const Q: &str = "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551";
/// The P-256 field prime p.
const P: &str = "FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF";

fn h(s: &str) -> Vec<u8> {
    hex::decode(s).expect("hex")
}

struct Signer {
    kpak: Kpak,
    id: Vec<u8>,
    key: SigningKey,
    ssk: Ssk,
    pvt: [u8; 65],
}

fn signer(id: &[u8]) -> (Ksak, Signer) {
    let ksak = Ksak::generate(&mut OsRng);
    let kpak = ksak.kpak();
    let (ssk, pvt) = ksak.issue(id, &mut OsRng).unwrap();
    let key = SigningKey::new(&kpak, id, &ssk, &pvt).unwrap();
    (
        ksak,
        Signer {
            kpak,
            id: id.to_vec(),
            key,
            ssk,
            pvt,
        },
    )
}

/// Both verification paths give the same answer; returns it.
fn both(s: &Signer, msg: &[u8], sig: &[u8]) -> Result<(), Error> {
    let a = eccsi::verify(&s.kpak, &s.id, msg, sig);
    let b = Verifier::new(&s.kpak, &s.id, &s.pvt)
        .unwrap()
        .verify(msg, sig);
    assert_eq!(a, b, "cached and uncached verification disagree");
    a
}

/// Big-endian 256-bit addition (wrapping), for building out-of-range scalars.
fn add_be(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; 32];
    let mut carry = 0u16;
    for i in (0..32).rev() {
        let v = a[i] as u16 + b[i] as u16 + carry;
        out[i] = v as u8;
        carry = v >> 8;
    }
    out
}

/// q − x mod 2^256 (big-endian).
fn q_minus(x: &[u8]) -> Vec<u8> {
    let q = h(Q);
    let mut out = vec![0u8; 32];
    let mut borrow = 0i16;
    for i in (0..32).rev() {
        let v = q[i] as i16 - x[i] as i16 - borrow;
        out[i] = v.rem_euclid(256) as u8;
        borrow = i16::from(v < 0);
    }
    out
}

#[test]
fn signature_lengths() {
    let (_, s) = signer(b"2026-11\0sip:alice@example.org\0");
    let sig = s.key.sign(b"m", &mut OsRng).unwrap();
    both(&s, b"m", &sig).unwrap();
    for len in [0, 1, 64, 128, 130, 258] {
        let mut v = sig.to_vec();
        v.resize(len, 0);
        assert_eq!(both(&s, b"m", &v), Err(Error::Parse), "len {len}");
    }
}

#[test]
fn r_and_s_out_of_range() {
    let (_, s) = signer(b"2026-11\0sip:alice@example.org\0");
    let sig = s.key.sign(b"m", &mut OsRng).unwrap();
    let q = h(Q);
    let cases: Vec<(usize, Vec<u8>)> = vec![
        (0, vec![0u8; 32]),
        (0, q.clone()),
        (0, vec![0xFF; 32]),
        (0, h(P)),
        (32, vec![0u8; 32]),
        (32, q.clone()),
        (32, vec![0xFF; 32]),
        // r + q: same value mod q, must not be accepted (Jx = r exactly).
        (0, add_be(&sig[..32], &q)),
        // s + q likewise (when it fits in 32 octets; it wraps otherwise and is another value).
        (32, add_be(&sig[32..64], &q)),
    ];
    for (off, val) in cases {
        let mut bad = sig;
        bad[off..off + 32].copy_from_slice(&val);
        assert_eq!(
            both(&s, b"m", &bad),
            Err(Error::InvalidSignature),
            "offset {off}"
        );
    }
}

#[test]
fn s_negated_is_the_rfcs_own_malleability() {
    // J' = [−s·HE]G + [−s·r]Y = −J has the same x: RFC 6507 verification accepts (r, q − s).
    // Not a defect of this implementation (wolfSSL accepts it too); protocols must not use
    // signature octets as a replay key.
    let (_, s) = signer(b"id");
    let sig = s.key.sign(b"m", &mut OsRng).unwrap();
    let mut neg = sig;
    neg[32..64].copy_from_slice(&q_minus(&sig[32..64]));
    assert_eq!(both(&s, b"m", &neg), Ok(()));
}

#[test]
fn pvt_in_signature_malformed() {
    let (_, s) = signer(b"id");
    let sig = s.key.sign(b"m", &mut OsRng).unwrap();
    // Off the curve.
    let mut bad = sig;
    bad[SIGNATURE_LEN - 1] ^= 1;
    assert_eq!(
        eccsi::verify(&s.kpak, &s.id, b"m", &bad),
        Err(Error::InvalidPoint)
    );
    // Cached verifier: a different PVT is verified the uncached way, with the same result.
    let v = Verifier::new(&s.kpak, &s.id, &s.pvt).unwrap();
    assert_eq!(v.verify(b"m", &bad), Err(Error::InvalidPoint));
    // Compressed / hybrid / identity tags.
    for tag in [0x00, 0x02, 0x03, 0x06, 0x07] {
        let mut bad = sig;
        bad[64] = tag;
        assert_eq!(
            eccsi::verify(&s.kpak, &s.id, b"m", &bad),
            Err(Error::InvalidPoint)
        );
    }
    // x = p (non-canonical coordinate).
    let mut bad = sig;
    bad[65..97].copy_from_slice(&h(P));
    assert_eq!(
        eccsi::verify(&s.kpak, &s.id, b"m", &bad),
        Err(Error::InvalidPoint)
    );
    // Another valid point (another user's PVT) in place of the signer's.
    let (_, other) = signer(b"other");
    let mut bad = sig;
    bad[64..].copy_from_slice(&other.pvt);
    assert_eq!(both(&s, b"m", &bad), Err(Error::InvalidSignature));
}

#[test]
fn tampering_and_wrong_parties() {
    let (_, s) = signer(b"2026-11\0tel:+447700900123\0");
    let msg = b"a MIKEY message, every octet of it".to_vec();
    let sig = s.key.sign(&msg, &mut OsRng).unwrap();
    both(&s, &msg, &sig).unwrap();
    for i in 0..msg.len() {
        let mut m = msg.clone();
        m[i] ^= 0x80;
        assert_eq!(both(&s, &m, &sig), Err(Error::InvalidSignature));
    }
    assert_eq!(
        both(&s, &msg[..msg.len() - 1], &sig),
        Err(Error::InvalidSignature)
    );
    for i in 0..64 {
        let mut bad = sig;
        bad[i] ^= 0x01;
        assert_eq!(
            both(&s, &msg, &bad),
            Err(Error::InvalidSignature),
            "octet {i}"
        );
    }
    // Wrong identity.
    let mut id = s.id.clone();
    id.push(0);
    assert_eq!(
        eccsi::verify(&s.kpak, &id, &msg, &sig),
        Err(Error::InvalidSignature)
    );
    assert_eq!(
        Verifier::new(&s.kpak, &id, &s.pvt)
            .unwrap()
            .verify(&msg, &sig),
        Err(Error::InvalidSignature)
    );
    // Wrong KMS.
    let other_kpak = Ksak::generate(&mut OsRng).kpak();
    assert_eq!(
        eccsi::verify(&other_kpak, &s.id, &msg, &sig),
        Err(Error::InvalidSignature)
    );
}

#[test]
fn key_encodings() {
    let q = h(Q);
    for bad in [vec![0u8; 32], q.clone(), vec![0xFF; 32]] {
        assert_eq!(Ksak::from_bytes(&bad).map(|_| ()), Err(Error::InvalidKey));
        assert_eq!(Ssk::from_bytes(&bad).map(|_| ()), Err(Error::InvalidKey));
    }
    for len in [0, 31, 33] {
        assert_eq!(
            Ksak::from_bytes(&vec![1u8; len]).map(|_| ()),
            Err(Error::Parse)
        );
        assert_eq!(
            Ssk::from_bytes(&vec![1u8; len]).map(|_| ()),
            Err(Error::Parse)
        );
    }
    // q − 1 is the largest valid scalar.
    let mut qm1 = q.clone();
    qm1[31] -= 1;
    assert!(Ksak::from_bytes(&qm1).is_ok());

    let kpak = Ksak::generate(&mut OsRng).kpak().to_sec1();
    assert!(Kpak::from_sec1(&kpak).is_ok());
    assert_eq!(Kpak::from_sec1(&kpak[..33]).map(|_| ()), Err(Error::Parse));
    assert_eq!(Kpak::from_sec1(&[]).map(|_| ()), Err(Error::Parse));
    let mut off = kpak;
    off[64] ^= 1;
    assert_eq!(Kpak::from_sec1(&off).map(|_| ()), Err(Error::InvalidPoint));
    let mut tag = kpak;
    tag[0] = 0x05;
    assert_eq!(Kpak::from_sec1(&tag).map(|_| ()), Err(Error::InvalidPoint));
}

#[test]
fn key_pair_validation() {
    let (ksak, s) = signer(b"user-a");
    // SSK issued for another identity.
    let (ssk_b, pvt_b) = ksak.issue(b"user-b", &mut OsRng).unwrap();
    assert_eq!(
        SigningKey::new(&s.kpak, b"user-a", &ssk_b, &pvt_b).map(|_| ()),
        Err(Error::InvalidKey)
    );
    assert_eq!(
        SigningKey::new(&s.kpak, b"user-a", &ssk_b, &s.pvt).map(|_| ()),
        Err(Error::InvalidKey)
    );
    assert_eq!(
        SigningKey::new(&s.kpak, b"user-a", &s.ssk, &pvt_b).map(|_| ()),
        Err(Error::InvalidKey)
    );
    assert!(SigningKey::new(&s.kpak, b"user-b", &ssk_b, &pvt_b).is_ok());
    // SSK off by one.
    let mut b = s.ssk.to_bytes();
    b[31] ^= 1;
    let ssk1 = Ssk::from_bytes(&b).unwrap();
    assert_eq!(
        SigningKey::new(&s.kpak, b"user-a", &ssk1, &s.pvt).map(|_| ()),
        Err(Error::InvalidKey)
    );
    // Another KMS.
    let other = Ksak::generate(&mut OsRng).kpak();
    assert_eq!(
        SigningKey::new(&other, b"user-a", &s.ssk, &s.pvt).map(|_| ()),
        Err(Error::InvalidKey)
    );
    // Malformed PVT.
    let mut pvt = s.pvt;
    pvt[10] ^= 4;
    assert_eq!(
        SigningKey::new(&s.kpak, b"user-a", &s.ssk, &pvt).map(|_| ()),
        Err(Error::InvalidPoint)
    );
    assert_eq!(
        SigningKey::new(&s.kpak, b"user-a", &s.ssk, &s.pvt[..64]).map(|_| ()),
        Err(Error::Parse)
    );
    assert_eq!(
        Verifier::new(&s.kpak, b"user-a", &pvt).map(|_| ()),
        Err(Error::InvalidPoint)
    );
    assert_eq!(
        Verifier::new(&s.kpak, b"user-a", &[]).map(|_| ()),
        Err(Error::Parse)
    );
}

/// A random source that fails.
struct FailingRng;
impl RngCore for FailingRng {
    fn next_u32(&mut self) -> u32 {
        0
    }
    fn next_u64(&mut self) -> u64 {
        0
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        dest.fill(0)
    }
    fn try_fill_bytes(&mut self, _dest: &mut [u8]) -> Result<(), rand_core::Error> {
        Err(rand_core::Error::new("broken"))
    }
}
impl CryptoRng for FailingRng {}

/// A random source stuck at zero (never yields a usable scalar).
struct ZeroRng;
impl RngCore for ZeroRng {
    fn next_u32(&mut self) -> u32 {
        0
    }
    fn next_u64(&mut self) -> u64 {
        0
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        dest.fill(0)
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        dest.fill(0);
        Ok(())
    }
}
impl CryptoRng for ZeroRng {}

#[test]
fn failing_random_source() {
    let (ksak, s) = signer(b"id");
    assert_eq!(
        s.key.sign(b"m", &mut FailingRng).map(|_| ()),
        Err(Error::Rng)
    );
    assert_eq!(s.key.sign(b"m", &mut ZeroRng).map(|_| ()), Err(Error::Rng));
    assert_eq!(
        ksak.issue(b"id", &mut FailingRng).map(|_| ()),
        Err(Error::Rng)
    );
    assert_eq!(ksak.issue(b"id", &mut ZeroRng).map(|_| ()), Err(Error::Rng));
    assert_eq!(
        Ksak::try_generate(&mut ZeroRng).map(|_| ()),
        Err(Error::Rng)
    );
    let ids: [&[u8]; 3] = [b"a", b"b", b"c"];
    for r in ksak.issue_many(&ids, &mut FailingRng) {
        assert_eq!(r.map(|_| ()), Err(Error::Rng));
    }
    for r in ksak.issue_many(&ids, &mut ZeroRng) {
        assert_eq!(r.map(|_| ()), Err(Error::Rng));
    }
    assert!(ksak.issue_many(&[], &mut OsRng).is_empty());
    // Fixed-j / fixed-v hidden entries reject zero and out-of-range values.
    assert_eq!(
        s.key.sign_with_j(b"m", &[0u8; 32]).map(|_| ()),
        Err(Error::InvalidParameter)
    );
    assert_eq!(
        s.key.sign_with_j(b"m", &h(Q)).map(|_| ()),
        Err(Error::InvalidParameter)
    );
    assert_eq!(
        s.key.sign_with_j(b"m", &[1u8; 31]).map(|_| ()),
        Err(Error::Parse)
    );
    assert_eq!(
        ksak.issue_with_fixed_v(b"id", &[0u8; 32]).map(|_| ()),
        Err(Error::InvalidParameter)
    );
}

#[test]
fn issue_many_matches_single_issue_semantics() {
    let ksak = Ksak::generate(&mut OsRng);
    let kpak = ksak.kpak();
    let ids: Vec<Vec<u8>> = (0..5u8).map(|i| vec![i; 1 + i as usize]).collect();
    let refs: Vec<&[u8]> = ids.iter().map(|v| v.as_slice()).collect();
    let out = ksak.issue_many(&refs, &mut OsRng);
    assert_eq!(out.len(), ids.len());
    let mut pvts = std::collections::HashSet::new();
    for (id, res) in ids.iter().zip(out) {
        let (ssk, pvt) = res.unwrap();
        assert!(pvts.insert(pvt), "fresh v per identifier");
        SigningKey::new(&kpak, id, &ssk, &pvt).unwrap();
        // Each pair belongs to its own identifier only.
        let mut other = id.clone();
        other.push(0xAA);
        assert_eq!(
            SigningKey::new(&kpak, &other, &ssk, &pvt).map(|_| ()),
            Err(Error::InvalidKey)
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    /// Random identifiers and messages: signatures verify both ways; a random single-bit flip
    /// anywhere in the signature or message is refused identically by both paths.
    #[test]
    fn sign_verify_and_flip(id in proptest::collection::vec(any::<u8>(), 0..80),
                            msg in proptest::collection::vec(any::<u8>(), 0..300),
                            flip in any::<u16>()) {
        let (_, s) = signer(&id);
        let sig = s.key.sign(&msg, &mut OsRng).unwrap();
        prop_assert_eq!(both(&s, &msg, &sig), Ok(()));
        let total = (SIGNATURE_LEN + msg.len()) * 8;
        let bit = flip as usize % total;
        let (mut m2, mut s2) = (msg.clone(), sig);
        if bit < SIGNATURE_LEN * 8 {
            s2[bit / 8] ^= 1 << (bit % 8);
        } else {
            let b = bit - SIGNATURE_LEN * 8;
            m2[b / 8] ^= 1 << (b % 8);
        }
        prop_assert!(both(&s, &m2, &s2).is_err());
    }
}
