//! Eight-lane IFMA field kernel against num-bigint (the reference).
//!
//! Skipped, with a printed note, on CPUs without AVX-512 IFMA; compiled out of soft builds.
#![cfg(all(target_arch = "x86_64", not(prose_backend = "soft")))]

use num_bigint::BigUint;
use num_traits::{One, Zero};
use proptest::prelude::*;
use prose_sec::backend::x86_64::fp_ifma::{self, FpX8, Ifma, LANES};
use prose_sec::Error;

const P_HEX: &str = "997ABB1F0A563FDA65C61198DAD0657A416C0CE19CB48261BE9AE358B3E01A2EF40AAB27E2FC0F1B228730D531A59CB0E791B39FF7C88A19356D27F4A666A6D0E26C6487326B4CD4512AC5CD65681CE1B6AFF4A831852A82A7CF3C521C3C09AA9F94D6AF56971F1FFCE3E82389857DB080C5DF10AC7ACE87666D807AFEA85FEB";

fn p() -> BigUint {
    BigUint::parse_bytes(P_HEX.as_bytes(), 16).unwrap()
}

/// p as read from the shared vector file, so the kernel's constant is checked against it.
fn p_from_vectors() -> BigUint {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/vectors/rfc6507_6508.json"
    );
    let text = std::fs::read_to_string(path)
        .or_else(|_| std::fs::read_to_string("/work/shared/vectors/rfc6507_6508.json"))
        .expect("vector file");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let hex = v["rfc6509_parameter_set_1"]["p"].as_str().unwrap();
    BigUint::parse_bytes(hex.as_bytes(), 16).unwrap()
}

fn token() -> Option<Ifma> {
    let t = Ifma::new();
    if t.is_none() {
        eprintln!("note: CPU lacks AVX-512 IFMA; fp_ifma tests skipped");
    }
    t
}

fn to_words(x: &BigUint) -> [u64; 16] {
    let mut out = [0u64; 16];
    for (o, d) in out.iter_mut().zip(x.iter_u64_digits()) {
        *o = d;
    }
    out
}

fn from_words(w: &[u64; 16]) -> BigUint {
    let mut bytes = Vec::with_capacity(128);
    for d in w {
        bytes.extend_from_slice(&d.to_le_bytes());
    }
    BigUint::from_bytes_le(&bytes)
}

fn load(t: Ifma, xs: &[BigUint; LANES]) -> FpX8 {
    let mut w = [[0u64; 16]; LANES];
    for (wl, x) in w.iter_mut().zip(xs.iter()) {
        *wl = to_words(x);
    }
    FpX8::from_u64x16x8(t, &w).unwrap()
}

fn store(x: &FpX8) -> [BigUint; LANES] {
    let w = x.to_u64x16x8();
    core::array::from_fn(|l| from_words(&w[l]))
}

/// Edge values: 0, 1, 2, p-1, p-2, (p-1)/2, 2^1023, values with every 52-bit limb (or every
/// 64-bit word) at its maximum below p, R mod p, R^-1 related values.
fn edge_values() -> Vec<BigUint> {
    let p = p();
    let one = BigUint::one();
    let mut v = vec![
        BigUint::zero(),
        one.clone(),
        BigUint::from(2u8),
        &p - &one,
        &p - BigUint::from(2u8),
        (&p - &one) >> 1,
        (&p + &one) >> 1,
        one.clone() << 1023,
        (one.clone() << 1023) - &one,
        (one.clone() << 1040) % &p,
        (one.clone() << 2080) % &p,
    ];
    // All 52-bit limbs maximal below p's top limb: 2^988 - 1 plus top limb of p minus one.
    let low = (one.clone() << 988) - &one;
    let top = (&p >> 988) - &one;
    v.push((top << 988) + &low);
    // All 64-bit words maximal below p's top word.
    let loww = (one.clone() << 960) - &one;
    let topw = (&p >> 960) - &one;
    v.push((topw << 960) + loww);
    v
}

fn arb_elem() -> impl Strategy<Value = BigUint> {
    let edges = edge_values();
    let n = edges.len();
    prop_oneof![
        3 => proptest::collection::vec(any::<u8>(), 128)
            .prop_map(|b| BigUint::from_bytes_le(&b) % p()),
        1 => (0..n).prop_map(move |i| edges[i].clone()),
        // Sparse values: few set bits, long runs of zero/one limbs.
        1 => (any::<u64>(), 0usize..1024).prop_map(|(w, s)| (BigUint::from(w) << s) % p()),
    ]
}

fn arb_lanes() -> impl Strategy<Value = [BigUint; LANES]> {
    proptest::collection::vec(arb_elem(), LANES)
        .prop_map(|v| core::array::from_fn(|i| v[i].clone()))
}

#[test]
fn modulus_matches_vector_file() {
    assert_eq!(p(), p_from_vectors());
    assert_eq!(from_words(&fp_ifma::p_words()), p());
}

#[test]
fn edge_values_all_pairs() {
    let Some(t) = token() else { return };
    let p = p();
    let e = edge_values();
    // Every ordered pair of edge values, eight at a time.
    let pairs: Vec<(BigUint, BigUint)> = e
        .iter()
        .flat_map(|a| e.iter().map(move |b| (a.clone(), b.clone())))
        .collect();
    for chunk in pairs.chunks(LANES) {
        let a: [BigUint; LANES] = core::array::from_fn(|i| chunk[i % chunk.len()].0.clone());
        let b: [BigUint; LANES] = core::array::from_fn(|i| chunk[i % chunk.len()].1.clone());
        let (xa, xb) = (load(t, &a), load(t, &b));
        let prod = store(&xa.mul(&xb));
        let sum = store(&xa.add(&xb));
        let diff = store(&xa.sub(&xb));
        let sq = store(&xa.square());
        for l in 0..LANES {
            assert_eq!(prod[l], (&a[l] * &b[l]) % &p, "mul lane {l}");
            assert_eq!(sum[l], (&a[l] + &b[l]) % &p, "add lane {l}");
            assert_eq!(diff[l], (&a[l] + &p - &b[l]) % &p, "sub lane {l}");
            assert_eq!(sq[l], (&a[l] * &a[l]) % &p, "square lane {l}");
        }
    }
}

#[test]
fn rejects_values_not_below_p() {
    let Some(t) = token() else { return };
    let p = p();
    for bad in [
        p.clone(),
        &p + BigUint::one(),
        (BigUint::one() << 1024) - BigUint::one(),
    ] {
        for lane in 0..LANES {
            let mut w = [[0u64; 16]; LANES];
            w[lane] = to_words(&bad);
            assert_eq!(
                FpX8::from_u64x16x8(t, &w).unwrap_err(),
                Error::InvalidParameter
            );
            // The reducing loader accepts it and reduces.
            let r = FpX8::from_u64x16x8_reduced(t, &w).to_u64x16x8();
            assert_eq!(from_words(&r[lane]), &bad % &p);
        }
    }
}

#[test]
fn constants_and_identities() {
    let Some(t) = token() else { return };
    assert_eq!(
        store(&FpX8::zero(t)),
        core::array::from_fn(|_| BigUint::zero())
    );
    assert_eq!(
        store(&FpX8::one(t)),
        core::array::from_fn(|_| BigUint::one())
    );
    assert_eq!(FpX8::zero(t).is_zero(), 0xff);
    assert_eq!(FpX8::one(t).is_zero(), 0);
    assert_eq!(FpX8::one(t).ct_eq(&FpX8::one(t)), 0xff);
    assert_eq!(FpX8::one(t).ct_eq(&FpX8::zero(t)), 0);
    // p - 1 squared is 1; (p-1) + 1 is 0; 0 - 1 is p - 1.
    let pm1 = FpX8::splat(t, &to_words(&(p() - 1u8))).unwrap();
    assert_eq!(pm1.square().ct_eq(&FpX8::one(t)), 0xff);
    assert_eq!(pm1.add(&FpX8::one(t)).is_zero(), 0xff);
    assert_eq!(FpX8::zero(t).sub(&FpX8::one(t)).ct_eq(&pm1), 0xff);
    assert_eq!(FpX8::zero(t).neg().is_zero(), 0xff);
    assert_eq!(format!("{:?}", pm1), "FpX8 { .. }");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn conversions_roundtrip(a in arb_lanes()) {
        let Some(t) = token() else { return Ok(()) };
        prop_assert_eq!(store(&load(t, &a)), a);
    }

    #[test]
    fn mul_square_add_sub_match_bigint(a in arb_lanes(), b in arb_lanes()) {
        let Some(t) = token() else { return Ok(()) };
        let p = p();
        let (xa, xb) = (load(t, &a), load(t, &b));
        let prod = store(&xa.mul(&xb));
        let sq = store(&xa.square());
        let sum = store(&xa.add(&xb));
        let diff = store(&xa.sub(&xb));
        let neg = store(&xa.neg());
        for l in 0..LANES {
            prop_assert_eq!(&prod[l], &((&a[l] * &b[l]) % &p));
            prop_assert_eq!(&sq[l], &((&a[l] * &a[l]) % &p));
            prop_assert_eq!(&sum[l], &((&a[l] + &b[l]) % &p));
            prop_assert_eq!(&diff[l], &((&a[l] + &p - &b[l]) % &p));
            prop_assert_eq!(&neg[l], &((&p - &a[l]) % &p));
        }
    }

    /// Long chains keep lazy (below 2p) intermediates consistent.
    #[test]
    fn chained_operations_match_bigint(a in arb_lanes(), b in arb_lanes(), ops in proptest::collection::vec(0u8..5, 1..40)) {
        let Some(t) = token() else { return Ok(()) };
        let p = p();
        let mut x = load(t, &a);
        let y = load(t, &b);
        let mut r = a.clone();
        for op in ops {
            x = match op {
                0 => x.mul(&y),
                1 => x.square(),
                2 => x.add(&y),
                3 => x.sub(&y),
                _ => x.neg(),
            };
            for l in 0..LANES {
                r[l] = match op {
                    0 => (&r[l] * &b[l]) % &p,
                    1 => (&r[l] * &r[l]) % &p,
                    2 => (&r[l] + &b[l]) % &p,
                    3 => (&r[l] + &p - &b[l]) % &p,
                    _ => (&p - &r[l]) % &p,
                };
            }
        }
        prop_assert_eq!(store(&x), r);
    }

    #[test]
    fn select_cond_neg_eq(a in arb_lanes(), b in arb_lanes(), mask in any::<u8>()) {
        let Some(t) = token() else { return Ok(()) };
        let p = p();
        let (xa, xb) = (load(t, &a), load(t, &b));
        let sel = store(&FpX8::select(&xa, &xb, mask));
        let cn = store(&xa.cond_neg(mask));
        let eq = xa.ct_eq(&xb);
        let z = xa.is_zero();
        for l in 0..LANES {
            let bit = (mask >> l) & 1 == 1;
            prop_assert_eq!(&sel[l], if bit { &b[l] } else { &a[l] });
            let want = if bit { (&p - &a[l]) % &p } else { a[l].clone() };
            prop_assert_eq!(&cn[l], &want);
            prop_assert_eq!((eq >> l) & 1 == 1, a[l] == b[l]);
            prop_assert_eq!((z >> l) & 1 == 1, a[l].is_zero());
        }
        prop_assert_eq!(xa.ct_eq(&xa), 0xff);
    }
}

fn arb_exp() -> impl Strategy<Value = BigUint> {
    let one = BigUint::one();
    let edges = vec![
        BigUint::zero(),
        one.clone(),
        BigUint::from(2u8),
        BigUint::from(15u8),
        BigUint::from(16u8),
        (one.clone() << 1024) - &one,
        one.clone() << 1023,
        p() - 2u8,
        (p() + 1u8) >> 2,
    ];
    let n = edges.len();
    prop_oneof![
        3 => proptest::collection::vec(any::<u8>(), 128).prop_map(|b| BigUint::from_bytes_le(&b)),
        1 => (0..n).prop_map(move |i| edges[i].clone()),
        1 => any::<u64>().prop_map(BigUint::from),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn pow_x8_matches_bigint(a in arb_lanes(), e in proptest::collection::vec(arb_exp(), LANES)) {
        let Some(t) = token() else { return Ok(()) };
        let p = p();
        let exps: [[u64; 16]; LANES] = core::array::from_fn(|l| to_words(&e[l]));
        let r = store(&load(t, &a).pow_x8(&exps));
        for l in 0..LANES {
            prop_assert_eq!(&r[l], &a[l].modpow(&e[l], &p), "lane {}", l);
        }
    }

    #[test]
    fn invert_matches_bigint(a in arb_lanes()) {
        let Some(t) = token() else { return Ok(()) };
        let p = p();
        let r = store(&load(t, &a).invert());
        for l in 0..LANES {
            let want = a[l].modpow(&(&p - 2u8), &p);
            prop_assert_eq!(&r[l], &want);
            if !a[l].is_zero() {
                prop_assert_eq!((&r[l] * &a[l]) % &p, BigUint::one());
            }
        }
    }

    #[test]
    fn batch_invert_matches_bigint(v in proptest::collection::vec(arb_lanes(), 0..6)) {
        let Some(t) = token() else { return Ok(()) };
        let p = p();
        let mut xs: Vec<FpX8> = v.iter().map(|a| load(t, a)).collect();
        FpX8::batch_invert(&mut xs);
        for (x, a) in xs.iter().zip(v.iter()) {
            let r = store(x);
            for l in 0..LANES {
                prop_assert_eq!(&r[l], &a[l].modpow(&(&p - 2u8), &p));
            }
        }
    }
}

#[test]
fn pow_x8_mixed_lanes_fixed_cases() {
    let Some(t) = token() else { return };
    let p = p();
    let edges = edge_values();
    let bases: [BigUint; LANES] = core::array::from_fn(|l| edges[l % edges.len()].clone());
    let exps_big: [BigUint; LANES] = core::array::from_fn(|l| match l {
        0 => BigUint::zero(),
        1 => BigUint::one(),
        2 => &p - 1u8,
        3 => (BigUint::one() << 1024) - 1u8,
        4 => (&p - 1u8) >> 1,
        _ => BigUint::from(0x1234_5678_9abc_def0u64 + l as u64) << (100 * l),
    });
    let exps: [[u64; 16]; LANES] = core::array::from_fn(|l| to_words(&exps_big[l]));
    let r = store(&load(t, &bases).pow_x8(&exps));
    for l in 0..LANES {
        assert_eq!(r[l], bases[l].modpow(&exps_big[l], &p), "lane {l}");
    }
    // Euler's criterion on a square gives 1, on p - 1 (a non-residue as p = 3 mod 4) gives -1.
    let sq = &bases[5] * &bases[5] % &p;
    let half = to_words(&((&p - 1u8) >> 1));
    let x = load(
        t,
        &core::array::from_fn(|l| if l % 2 == 0 { sq.clone() } else { &p - 1u8 }),
    );
    let r = store(&x.pow_x8(&[half; LANES]));
    for (l, rl) in r.iter().enumerate() {
        let want = if l % 2 == 0 { BigUint::one() } else { &p - 1u8 };
        assert_eq!(rl, &want);
    }
}
