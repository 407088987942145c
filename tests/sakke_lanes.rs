//! Single SAKKE scalar multiplications split over the eight IFMA lanes (`lanes::mul2`,
//! `lanes::mul_p`, `lanes::g_pow`, the many-scalar path of `issue_rsks`) against the scalar engine
//! (`PointTable::mul` / `mul2`) for edge and random scalars, for P and for a KMS's Z; and the
//! public operations that use them (`encapsulate`, `issue_rsk`, `issue_rsks`, `decapsulate`)
//! against the scalar points. Skipped (with a note) on CPUs without AVX-512 IFMA and in the
//! `prose_backend="soft"` build, where the lane hooks report `None`.

use num_bigint::BigUint;
use num_traits::{One, Zero};
use proptest::prelude::*;
use prose_sec::sakke::{self, __internal as t, KmsSecret, Ssv};

const P_HEX: &str = "997ABB1F0A563FDA65C61198DAD0657A416C0CE19CB48261BE9AE358B3E01A2EF40AAB27E2FC0F1B228730D531A59CB0E791B39FF7C88A19356D27F4A666A6D0E26C6487326B4CD4512AC5CD65681CE1B6AFF4A831852A82A7CF3C521C3C09AA9F94D6AF56971F1FFCE3E82389857DB080C5DF10AC7ACE87666D807AFEA85FEB";

fn q() -> BigUint {
    (BigUint::parse_bytes(P_HEX.as_bytes(), 16).unwrap() + 1u32) / 4u32
}

fn be(x: &BigUint) -> Vec<u8> {
    let mut v = x.to_bytes_be();
    if v.len() < 128 {
        let mut p = vec![0u8; 128 - v.len()];
        p.extend_from_slice(&v);
        v = p;
    }
    v
}

fn kms_from(seed: u64) -> (KmsSecret, sakke::KmsPublic) {
    let mut z = [0u8; 128];
    z[1] = 0x5c;
    z[90..98].copy_from_slice(&seed.to_be_bytes());
    z[127] |= 3;
    let s = KmsSecret::from_bytes(&z).unwrap();
    let p = s.public();
    (s, p)
}

fn lanes_available() -> bool {
    let on = t::p_mul_lanes(&[1]).is_some();
    if cfg!(prose_backend = "soft") {
        assert!(!on, "the soft build must not reach the lanes");
    }
    if !on {
        eprintln!("note: IFMA lanes unavailable (CPU or soft build); lane comparisons skipped");
    }
    on
}

/// A 5-bit window position (the batch comb's windows).
fn window_pow(w: u32) -> BigUint {
    BigUint::one() << (5 * w)
}

/// Scalars chosen to hit the evaluation's corners (all reduced below q).
fn edge_scalars() -> Vec<BigUint> {
    let q = q();
    let one = BigUint::one();
    let mut v = vec![
        BigUint::zero(),
        one.clone(),
        BigUint::from(2u8),
        BigUint::from(31u8),
        BigUint::from(32u8),
        &q - 1u8,
        &q - 2u8,
        &q - 31u8,
        // every window digit the maximum (31), windows 0..203
        (BigUint::one() << 1020) - 1u8,
        // all digits equal: 1, then 17
        ((BigUint::one() << 1020) - 1u8) / 31u8,
        ((BigUint::one() << 1020) - 1u8) / 31u8 * 17u8,
        // the top bits
        BigUint::one() << 1020,
        BigUint::one() << 1021,
        (BigUint::one() << 1021) + (BigUint::one() << 1020) - 1u8,
    ];
    for k in [
        1u32, 4, 5, 63, 64, 129, 130, 131, 259, 260, 519, 520, 910, 1000, 1019,
    ] {
        v.push(&one << k);
    }
    // a single nonzero digit in one lane only: first, middle and last window of each lane
    for l in 0..8u32 {
        for k in [0u32, 13, 25] {
            let w = 26 * l + k;
            if w < 204 {
                v.push(window_pow(w) * 31u8);
                v.push(window_pow(w) * 7u8);
            }
        }
    }
    // the split comb's windows: 4 bits, lane l sums bits 128·l .. 128·l + 127; single digits
    // in one lane (including 9 and 15, recoded as −7 and −1 with a carry into the next window,
    // across a lane boundary for the last window of a lane), and the top window
    for l in 0..8u32 {
        for w in [0u32, 1, 16, 31] {
            let bit = 128 * l + 4 * w;
            for d in [1u32, 8, 9, 15] {
                if bit + 4 <= 1021 {
                    v.push(BigUint::from(d) << bit);
                }
            }
        }
    }
    // all signed digits −1 (0xf…f recodes as −1 with carries), all 8, all 0x8 then carries
    v.push((BigUint::one() << 1016) - 1u8);
    v.push(((BigUint::one() << 1016) - 1u8) / 15u8 * 8u8);
    v.push(((BigUint::one() << 1016) - 1u8) / 15u8 * 9u8);
    // the top window at 2 and 1 over a full or empty rest; 2^1022 − q (a multiple of q away
    // from 2^1022)
    v.push(BigUint::from(2u8) << 1020);
    v.push((BigUint::from(3u8) << 1020) - 1u8);
    v.push((BigUint::one() << 1022) - &q);
    v.push((BigUint::one() << 1022) - &q - 1u8);
    v.push((BigUint::one() << 1022) - &q + (BigUint::one() << 896));
    // the batch comb's signed 6-bit windows: all digits 32 (no carry), all 33 (−31 and a
    // carry), all 63 (−1 and carries), single digits at the top windows
    let ones6 = ((BigUint::one() << 1020) - 1u8) / 63u8;
    v.push(&ones6 * 32u8);
    v.push(&ones6 * 33u8);
    v.push(&ones6 * 63u8);
    for w in [0u32, 1, 168, 169] {
        v.push(BigUint::from(33u8) << (6 * w));
        v.push(BigUint::from(32u8) << (6 * w));
    }
    v.push(BigUint::from(3u8) << 1020);
    // every lane's range full (all digits 31) but one lane empty
    let full = (BigUint::one() << 1020) - 1u8;
    for l in [0u32, 3, 7] {
        let lo = 130 * l;
        let hi = (130 * (l + 1)).min(1020);
        let mask = (BigUint::one() << hi) - (BigUint::one() << lo);
        v.push(&full - (&full & &mask));
    }
    v.into_iter().map(|x| x % &q).collect()
}

#[test]
fn mul_p_edge_scalars_match_the_scalar_table() {
    if !lanes_available() {
        return;
    }
    for (i, k) in edge_scalars().iter().enumerate() {
        let kb = be(k);
        let got = t::p_mul_lanes(&kb).unwrap();
        assert_eq!(got, t::p_mul_scalar(&kb), "edge scalar {i}");
        assert_eq!(got.is_none(), k.is_zero(), "edge scalar {i}");
        assert_eq!(t::g_pow_lanes(&kb).unwrap(), t::g_pow(&kb), "g^edge {i}");
    }
}

#[test]
fn mul2_edge_scalars_match_the_scalar_tables() {
    if !lanes_available() {
        return;
    }
    let (z, kms) = kms_from(0x1234_5678);
    let e = edge_scalars();
    // every edge scalar on each side with a fixed partner, and both sides equal
    let partner = be(&(BigUint::from(0xdead_beefu32) << 500));
    for (i, k) in e.iter().enumerate() {
        let kb = be(k);
        assert_eq!(
            t::pz_mul2_lanes(&kms, &kb, &partner).unwrap(),
            t::pz_mul2_scalar(&kms, &kb, &partner),
            "a = edge {i}"
        );
        assert_eq!(
            t::pz_mul2_lanes(&kms, &partner, &kb).unwrap(),
            t::pz_mul2_scalar(&kms, &partner, &kb),
            "b = edge {i}"
        );
        assert_eq!(
            t::pz_mul2_lanes(&kms, &kb, &kb).unwrap(),
            t::pz_mul2_scalar(&kms, &kb, &kb),
            "a = b = edge {i}"
        );
    }
    // results at infinity and doublings in the merge: [a]P + [b]Z with a ≡ −b·z, and with
    // a ≡ b·z (the two halves equal: the merge doubles)
    let q = q();
    let zv = BigUint::from_bytes_be(&z.to_bytes());
    for b in [BigUint::one(), BigUint::from(12345u32), &q - 1u8] {
        let bz = (&b * &zv) % &q;
        let neg = (&q - &bz) % &q;
        assert_eq!(t::pz_mul2_lanes(&kms, &be(&neg), &be(&b)).unwrap(), None);
        assert_eq!(t::pz_mul2_scalar(&kms, &be(&neg), &be(&b)), None);
        assert_eq!(
            t::pz_mul2_lanes(&kms, &be(&bz), &be(&b)).unwrap(),
            t::pz_mul2_scalar(&kms, &be(&bz), &be(&b)),
        );
        assert_eq!(
            t::pz_mul2_lanes(&kms, &be(&bz), &be(&b)).unwrap(),
            t::p_mul_scalar(&be(&((&bz * 2u8) % &q))),
        );
    }
    // both zero
    assert_eq!(t::pz_mul2_lanes(&kms, &[0], &[0]).unwrap(), None);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    #[test]
    fn split_evaluations_match_the_scalar_engine(
        seed in any::<u64>(),
        a in proptest::collection::vec(any::<u8>(), 0..136),
        b in proptest::collection::vec(any::<u8>(), 0..136),
    ) {
        if !lanes_available() {
            return Ok(());
        }
        let (_z, kms) = kms_from(seed % 4);
        prop_assert_eq!(t::p_mul_lanes(&a).unwrap(), t::p_mul_scalar(&a));
        prop_assert_eq!(t::g_pow_lanes(&b).unwrap(), t::g_pow(&b));
        prop_assert_eq!(
            t::pz_mul2_lanes(&kms, &a, &b).unwrap(),
            t::pz_mul2_scalar(&kms, &a, &b)
        );
    }

    #[test]
    fn many_scalar_path_matches_the_scalar_table(
        ks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..130), 0..19),
    ) {
        let refs: Vec<&[u8]> = ks.iter().map(|k| k.as_slice()).collect();
        let got = t::p_mul_many(&refs);
        prop_assert_eq!(got.len(), ks.len());
        for (k, g) in ks.iter().zip(got.iter()) {
            prop_assert_eq!(g, &t::p_mul_scalar(k));
        }
    }
}

/// The eight-scalar path (batch comb of P, signed 6-bit windows) on the edge scalars, eight
/// at a time.
#[test]
fn many_scalar_path_edge_scalars() {
    let e = edge_scalars();
    let bytes: Vec<Vec<u8>> = e.iter().map(be).collect();
    for (c, chunk) in bytes.chunks(8).enumerate() {
        let refs: Vec<&[u8]> = chunk.iter().map(|k| k.as_slice()).collect();
        let got = t::p_mul_many(&refs);
        for (i, (k, g)) in chunk.iter().zip(got.iter()).enumerate() {
            assert_eq!(
                g,
                &t::p_mul_scalar(k),
                "edge scalar {} = {:x}",
                8 * c + i,
                e[8 * c + i]
            );
        }
    }
}

/// `encapsulate`'s R is `[r·b]P + [r]Z` of the scalar engine, and the SED decapsulates.
#[test]
fn encapsulate_matches_the_scalar_point() {
    let (z, kms) = kms_from(99);
    let q = q();
    for i in 0..6u8 {
        let id: Vec<u8> = (0..(i as usize * 7))
            .map(|j| (j as u8).wrapping_mul(i + 3))
            .collect();
        let ssv = Ssv::new([i.wrapping_mul(37); 16]);
        let sed = sakke::encapsulate(&kms, &id, &ssv).unwrap();
        let mut s = ssv.as_bytes().to_vec();
        s.extend_from_slice(&id);
        let r = BigUint::from_bytes_be(&t::hash_to_q(&s));
        let b = BigUint::from_bytes_be(&id) % &q;
        let rb = (&r * &b) % &q;
        let want = t::pz_mul2_scalar(&kms, &be(&rb), &be(&r)).unwrap();
        assert_eq!(&sed[..257], &want[..], "identifier {i}");
        let rsk = z.issue_rsk(&id).unwrap();
        assert_eq!(sakke::decapsulate(&kms, &id, &rsk, &sed).unwrap(), ssv);
        // a corrupted R (another curve point) fails the [r·b]P + [r]Z check
        let mut bad = sed;
        let other = t::p_mul_scalar(&be(&(r + 1u8))).unwrap();
        bad[..257].copy_from_slice(&other);
        assert!(sakke::decapsulate(&kms, &id, &rsk, &bad).is_err());
    }
}

/// `issue_rsk` and `issue_rsks` give `[1/(b + z)]P` of the scalar engine, and the KMS's
/// precomputation is the lane comb when the lanes are available.
#[test]
fn issue_rsk_matches_the_scalar_point() {
    let (z, kms) = kms_from(5);
    let q = q();
    let zv = BigUint::from_bytes_be(&z.to_bytes());
    let ids: Vec<Vec<u8>> = (0..11u8).map(|i| vec![b'm', i, i ^ 0x33]).collect();
    let refs: Vec<&[u8]> = ids.iter().map(|v| v.as_slice()).collect();
    let many = z.issue_rsks(&refs);
    for (id, m) in ids.iter().zip(many.iter()) {
        let b = BigUint::from_bytes_be(id) % &q;
        let inv = ((&b + &zv) % &q).modpow(&(&q - 2u8), &q);
        let want = t::p_mul_scalar(&be(&inv)).unwrap();
        let one = z.issue_rsk(id).unwrap();
        assert_eq!(one.to_bytes(), want);
        assert_eq!(m.as_ref().unwrap().to_bytes(), want);
    }
    // b + z ≡ 0: no RSK, on both paths
    let bad = be(&(&q - &zv));
    assert_eq!(
        z.issue_rsk(&bad).unwrap_err(),
        prose_sec::Error::InvalidParameter
    );
    let mixed = z.issue_rsks(&[&bad[..], b"x", b"y", b"z"]);
    assert_eq!(
        mixed[0].as_ref().unwrap_err(),
        &prose_sec::Error::InvalidParameter
    );
    assert!(mixed[1..].iter().all(|r| r.is_ok()));

    kms.precompute();
    let (batch_bytes, split_bytes, scalar_built) = t::kms_precomputation(&kms);
    assert_eq!(
        batch_bytes, 0,
        "the batch comb is built by the first batch only"
    );
    if lanes_available() {
        eprintln!("split comb per KMS: {split_bytes} bytes; scalar table built: {scalar_built}");
        assert!(split_bytes > 0);
        assert!(
            !scalar_built,
            "with the lanes the scalar table of Z is not needed"
        );
        let ssv = Ssv::new([1; 16]);
        let items = [(&b"a"[..], &ssv); 8];
        let _ = sakke::encapsulate_many(&kms, &items);
        let (batch_bytes, _, _) = t::kms_precomputation(&kms);
        eprintln!("batch comb per KMS: {batch_bytes} bytes");
        assert!(batch_bytes > 0);
    } else {
        assert_eq!(split_bytes, 0);
        assert!(scalar_built);
    }
}
