//! Importing a KMS public key with the variable-time subgroup check (one Miller loop on Z
//! that also builds Z's line table) against the constant-time check it replaces, and the
//! pairings of that table against the constant-time line table and the plain pairing; and
//! `validate_rsks` (eight keys per IFMA lane group) against one `validate_rsk` per key,
//! corrupted keys included (each must be reported in its own slot).

use num_bigint::BigUint;
use proptest::prelude::*;
use prose_sec::sakke::{self, __internal as t, KmsPublic, KmsSecret, Rsk};
use prose_sec::Error;

const P_HEX: &str = "997ABB1F0A563FDA65C61198DAD0657A416C0CE19CB48261BE9AE358B3E01A2EF40AAB27E2FC0F1B228730D531A59CB0E791B39FF7C88A19356D27F4A666A6D0E26C6487326B4CD4512AC5CD65681CE1B6AFF4A831852A82A7CF3C521C3C09AA9F94D6AF56971F1FFCE3E82389857DB080C5DF10AC7ACE87666D807AFEA85FEB";

fn p() -> BigUint {
    BigUint::parse_bytes(P_HEX.as_bytes(), 16).unwrap()
}

fn be128(x: &BigUint) -> Vec<u8> {
    let v = x.to_bytes_be();
    let mut out = vec![0u8; 128 - v.len()];
    out.extend_from_slice(&v);
    out
}

fn limbs(x: &BigUint) -> [u64; 16] {
    let mut out = [0u64; 16];
    for (i, d) in x.to_u64_digits().iter().enumerate() {
        out[i] = *d;
    }
    out
}

fn from_limbs(l: &[u64; 16]) -> BigUint {
    let mut v = Vec::with_capacity(128);
    for w in l.iter().rev() {
        v.extend_from_slice(&w.to_be_bytes());
    }
    BigUint::from_bytes_be(&v)
}

fn encode(x: &BigUint, y: &BigUint) -> Vec<u8> {
    let mut e = vec![0x04];
    e.extend_from_slice(&be128(x));
    e.extend_from_slice(&be128(y));
    e
}

/// The point with abscissa x (one of its two ordinates), if there is one.
fn lift_x(x: &BigUint) -> Option<Vec<u8>> {
    let p = p();
    let x = x % &p;
    let rhs = (&x * &x * &x + &p * 3u32 - (&x * 3u32) % &p) % &p;
    let y = t::fp_sqrt_canonical(&limbs(&rhs))?;
    Some(encode(&x, &from_limbs(&y)))
}

/// The import verdicts of the constant-time and the variable-time paths, which must agree
/// (`Ok(())` or the same error).
fn verdicts(z: &[u8]) -> (Result<(), Error>, Result<(), Error>) {
    let ct = t::kms_public_from_bytes_ct(z).map(|_| ());
    let vt = KmsPublic::from_bytes(z).map(|_| ());
    (ct, vt)
}

#[test]
fn valid_kms_keys_import_with_their_lines() {
    for seed in 1..4u8 {
        let mut zb = [0u8; 128];
        zb[3] = seed;
        zb[127] = 7;
        let z = KmsSecret::from_bytes(&zb).unwrap();
        let zp = z.public().to_bytes();
        let kms = KmsPublic::from_bytes(&zp).unwrap();
        assert!(t::kms_has_lines(&kms));
        assert_eq!(kms, t::kms_public_from_bytes_ct(&zp).unwrap());
        assert_eq!(kms.to_bytes(), zp);
        assert!(t::in_subgroup_vartime(&zp).unwrap());
        // The kept lines give the pairing of the constant-time table and of the plain loop.
        let r = t::point_mul(&t::generator(), &[seed, 0x33, 0x91], false).unwrap();
        let want = t::pairing(&zp, &r).unwrap();
        assert_eq!(t::kms_lines_pairing(&kms, &r).unwrap(), want);
        assert_eq!(t::pairing_precomputed(&zp, &r).unwrap(), want);
        // And the imported key validates what the KMS issues, and refuses a wrong identifier.
        let rsk = z.issue_rsk(b"alice@example.org").unwrap();
        sakke::validate_rsk(&kms, b"alice@example.org", &rsk).unwrap();
        assert_eq!(
            sakke::validate_rsk(&kms, b"bob@example.org", &rsk),
            Err(Error::InvalidKey)
        );
    }
}

#[test]
fn malformed_and_small_order_points_are_refused_alike() {
    let p = p();
    // wrong lengths (the identity has no 257-octet encoding: a lone 00 octet is `Parse`)
    for bad in [vec![], vec![0x00], vec![0x04; 256], vec![0x04; 258]] {
        assert_eq!(verdicts(&bad), (Err(Error::Parse), Err(Error::Parse)));
    }
    let g = t::generator();
    let mut wrong_prefix = g.to_vec();
    wrong_prefix[0] = 0x02;
    let zeros = vec![0u8; 257];
    let mut off_curve = g.to_vec();
    off_curve[256] ^= 1;
    // x = p (not reduced)
    let mut unreduced = encode(&BigUint::from(0u32), &BigUint::from(0u32));
    unreduced[1..129].copy_from_slice(&be128(&p));
    // the point of order 2, (0, 0)
    let two_torsion = encode(&BigUint::from(0u32), &BigUint::from(0u32));
    let mut cases = vec![wrong_prefix, zeros, off_curve, unreduced, two_torsion];
    // the points of order 4: x² = −3
    let m3 = &p - 3u32;
    let s = from_limbs(&t::fp_sqrt_canonical(&limbs(&m3)).expect("−3 is a square mod p"));
    for x in [s.clone(), &p - &s] {
        if let Some(e) = lift_x(&x) {
            cases.push(e);
        }
    }
    assert!(cases.len() >= 6, "an order-4 point exists");
    for c in cases {
        assert_eq!(
            verdicts(&c),
            (Err(Error::InvalidPoint), Err(Error::InvalidPoint))
        );
    }
}

#[test]
fn points_outside_the_subgroup_are_refused() {
    // A point of order 4q: 2-torsion part non-trivial; and Z + (0, 0) of order 2q.
    let mut found = 0;
    for x in 2u32..200 {
        let Some(e) = lift_x(&BigUint::from(x)) else {
            continue;
        };
        let inside = t::in_subgroup(&e).unwrap();
        assert_eq!(t::in_subgroup_vartime(&e).unwrap(), inside, "x = {x}");
        let (ct, vt) = verdicts(&e);
        assert_eq!(ct, vt, "x = {x}");
        assert_eq!(ct.is_ok(), inside);
        if !inside {
            found += 1;
        }
    }
    assert!(found > 10, "enough points outside the subgroup were tried");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    /// Random abscissas: the variable-time check accepts exactly what the constant-time one
    /// accepts, with the same error otherwise.
    #[test]
    fn vartime_check_agrees_with_constant_time(x in proptest::collection::vec(any::<u8>(), 128)) {
        let x = BigUint::from_bytes_be(&x) % p();
        if let Some(e) = lift_x(&x) {
            let inside = t::in_subgroup(&e).unwrap();
            prop_assert_eq!(t::in_subgroup_vartime(&e).unwrap(), inside);
            let (ct, vt) = verdicts(&e);
            prop_assert_eq!(ct, vt);
            // [4]W is in the subgroup for every W: accepted by both (unless it is O)
            if let Ok(w4) = t::point_mul(&e, &[4], false) {
                prop_assert!(t::in_subgroup_vartime(&w4).unwrap());
                prop_assert_eq!(verdicts(&w4), (Ok(()), Ok(())));
            }
        } else {
            // no point with this abscissa: any ordinate is off the curve
            let e = encode(&x, &BigUint::from(5u32));
            prop_assert_eq!(verdicts(&e), (Err(Error::InvalidPoint), Err(Error::InvalidPoint)));
        }
    }

    /// Random subgroup points: accepted, and the kept line table gives the pairings of the
    /// constant-time table.
    #[test]
    fn imported_lines_give_the_same_pairings(k in proptest::collection::vec(any::<u8>(), 1..128),
                                             r in proptest::collection::vec(any::<u8>(), 1..128)) {
        let Ok(zp) = t::point_mul(&t::generator(), &k, false) else { return Ok(()) };
        let Ok(rp) = t::point_mul(&t::generator(), &r, false) else { return Ok(()) };
        let kms = KmsPublic::from_bytes(&zp).unwrap();
        prop_assert_eq!(
            t::kms_lines_pairing(&kms, &rp).unwrap(),
            t::pairing_precomputed(&zp, &rp).unwrap()
        );
    }
}

fn kms_from(seed: u64) -> (KmsSecret, KmsPublic) {
    let mut z = [0u8; 128];
    z[1] = 0x5c;
    z[90..98].copy_from_slice(&seed.to_be_bytes());
    z[127] |= 3;
    let s = KmsSecret::from_bytes(&z).unwrap();
    let p = s.public();
    (s, p)
}

/// `validate_rsks` (all cores and one core) against single validations.
fn check_batch(kms: &KmsPublic, items: &[(Vec<u8>, Rsk)]) -> Vec<Result<(), Error>> {
    let refs: Vec<(&[u8], &Rsk)> = items.iter().map(|(i, k)| (i.as_slice(), k)).collect();
    let single: Vec<_> = refs
        .iter()
        .map(|(id, k)| sakke::validate_rsk(kms, id, k))
        .collect();
    assert_eq!(sakke::validate_rsks(kms, &refs), single);
    assert_eq!(t::validate_rsks_one_core(kms, &refs), single);
    // every engine the CPU has (the scalar ones take the single path)
    for e in t::Engine::available() {
        assert_eq!(t::validate_rsks_on(e, kms, &refs), single, "{}", e.name());
        let one: Vec<_> = refs
            .iter()
            .map(|(id, k)| t::validate_rsk_on(e, kms, id, k))
            .collect();
        assert_eq!(one, single, "{}", e.name());
    }
    single
}

#[test]
fn one_corrupted_key_in_a_lane_group_is_singled_out() {
    if !t::validate_rsks_uses_lanes() {
        eprintln!("note: IFMA lanes unavailable; validate_rsks takes the single path here");
    }
    let (z, kms) = kms_from(11);
    let (z2, _) = kms_from(12);
    let ids: Vec<Vec<u8>> = (0..8u8).map(|i| vec![b'm', i, 0x42, i ^ 0x5a]).collect();
    let good: Vec<(Vec<u8>, Rsk)> = ids
        .iter()
        .map(|id| (id.clone(), z.issue_rsk(id).unwrap()))
        .collect();
    assert_eq!(check_batch(&kms, &good), vec![Ok(()); 8]);
    for bad in 0..8 {
        let mut items = good.clone();
        match bad % 3 {
            // another identifier's key
            0 => items[bad].1 = items[(bad + 1) % 8].1.clone(),
            // another KMS's key for the same identifier
            1 => items[bad].1 = z2.issue_rsk(&items[bad].0).unwrap(),
            // the right key under a changed identifier
            _ => items[bad].0.push(0),
        }
        let mut want = vec![Ok(()); 8];
        want[bad] = Err(Error::InvalidKey);
        assert_eq!(check_batch(&kms, &items), want, "corrupted slot {bad}");
    }
    // every key of the group wrong
    let wrong: Vec<(Vec<u8>, Rsk)> = ids
        .iter()
        .map(|id| (id.clone(), z2.issue_rsk(id).unwrap()))
        .collect();
    assert_eq!(check_batch(&kms, &wrong), vec![Err(Error::InvalidKey); 8]);
}

#[test]
fn batches_on_an_imported_kms_key() {
    let (z, kms) = kms_from(21);
    let imported = KmsPublic::from_bytes(&kms.to_bytes()).unwrap();
    let items: Vec<(Vec<u8>, Rsk)> = (0..11u8)
        .map(|i| {
            let id = format!("member-{i}@example.org?P-Year=2026&P-Month={i}").into_bytes();
            let k = z.issue_rsk(&id).unwrap();
            (id, k)
        })
        .collect();
    assert_eq!(check_batch(&imported, &items), vec![Ok(()); 11]);
    assert_eq!(check_batch(&kms, &items), vec![Ok(()); 11]);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, .. ProptestConfig::default() })]

    /// Random batches of 0..20 keys with random corruptions: the same accept/reject vector as
    /// one `validate_rsk` per key.
    #[test]
    fn validate_rsks_equals_single_validations(
        seed in 1u64..1000,
        ids in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..40), 0..20),
        corrupt in proptest::collection::vec(0u8..6, 20),
    ) {
        let (z, kms) = kms_from(seed);
        let (z2, _) = kms_from(seed + 1);
        let mut items: Vec<(Vec<u8>, Rsk)> = Vec::new();
        for (i, id) in ids.iter().enumerate() {
            let Ok(k) = z.issue_rsk(id) else { continue };
            let item = match corrupt[i] {
                0 => (id.clone(), z2.issue_rsk(id).unwrap()),
                1 => {
                    let mut other = id.clone();
                    other.push(1);
                    (other, k)
                }
                _ => (id.clone(), k),
            };
            items.push(item);
        }
        let got = check_batch(&kms, &items);
        for ((_, _), (r, c)) in items.iter().zip(got.iter().zip(corrupt.iter())) {
            prop_assert_eq!(r.is_ok(), *c >= 2);
        }
    }
}
