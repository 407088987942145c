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

/// Case counts for the property tests: full in release builds, a quarter in debug builds (where
/// the num-bigint reference with its modular inversions is slow).
fn cases(release: u32) -> u32 {
    if cfg!(debug_assertions) {
        release.div_ceil(4)
    } else {
        release
    }
}

fn p() -> BigUint {
    BigUint::parse_bytes(P_HEX.as_bytes(), 16).unwrap()
}

/// p as read from the shared vector file, so the kernel's constant is checked against it.
fn p_from_vectors() -> BigUint {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/vectors/rfc6507_6508.json"
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
    #![proptest_config(ProptestConfig::with_cases(cases(256)))]

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

// ------------------------------------------------------------------------------------------
// F_p², curve points and the fixed-base comb, against num-bigint references and RFC 6508.
// ------------------------------------------------------------------------------------------

use prose_sec::backend::x86_64::fp_ifma::{CombX8, Fp2X8, PointX8};

fn vectors() -> serde_json::Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/vectors/rfc6507_6508.json"
    );
    let text = std::fs::read_to_string(path)
        .or_else(|_| std::fs::read_to_string("/work/shared/vectors/rfc6507_6508.json"))
        .expect("vector file");
    serde_json::from_str(&text).unwrap()
}

fn hexnum(v: &serde_json::Value, sec: &str, key: &str) -> BigUint {
    let s = v[sec][key].as_str().unwrap();
    BigUint::parse_bytes(s.as_bytes(), 16).unwrap()
}

/// An uncompressed point 04 || x || y (128-octet coordinates).
fn hexpoint(v: &serde_json::Value, sec: &str, key: &str) -> (BigUint, BigUint) {
    let s = v[sec][key].as_str().unwrap();
    assert!(s.starts_with("04") && s.len() == 2 + 512);
    (
        BigUint::parse_bytes(&s.as_bytes()[2..258], 16).unwrap(),
        BigUint::parse_bytes(&s.as_bytes()[258..], 16).unwrap(),
    )
}

fn q() -> BigUint {
    (p() + 1u8) >> 2
}

type Fp2 = (BigUint, BigUint);

fn fp2_mul_ref(a: &Fp2, b: &Fp2) -> Fp2 {
    let p = p();
    let re = (&a.0 * &b.0 + &p - (&a.1 * &b.1) % &p) % &p;
    let im = (&a.0 * &b.1 + &a.1 * &b.0) % &p;
    (re, im)
}

fn fp2_pow_ref(a: &Fp2, e: &BigUint) -> Fp2 {
    let mut r = (BigUint::one(), BigUint::zero());
    for i in (0..e.bits()).rev() {
        r = fp2_mul_ref(&r, &r);
        if e.bit(i) {
            r = fp2_mul_ref(&r, a);
        }
    }
    r
}

fn load2(t: Ifma, v: &[Fp2; LANES]) -> Fp2X8 {
    let re: [BigUint; LANES] = core::array::from_fn(|l| v[l].0.clone());
    let im: [BigUint; LANES] = core::array::from_fn(|l| v[l].1.clone());
    Fp2X8::new(load(t, &re), load(t, &im))
}

fn store2(x: &Fp2X8) -> [Fp2; LANES] {
    let re = store(&x.re);
    let im = store(&x.im);
    core::array::from_fn(|l| (re[l].clone(), im[l].clone()))
}

fn arb_fp2_lanes() -> impl Strategy<Value = [Fp2; LANES]> {
    (arb_lanes(), arb_lanes())
        .prop_map(|(a, b)| core::array::from_fn(|l| (a[l].clone(), b[l].clone())))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(64)))]

    #[test]
    fn fp2_ops_match_bigint(a in arb_fp2_lanes(), b in arb_fp2_lanes()) {
        let Some(t) = token() else { return Ok(()) };
        let p = p();
        let (xa, xb) = (load2(t, &a), load2(t, &b));
        let m = store2(&xa.mul(&xb));
        let s = store2(&xa.square());
        let add = store2(&xa.add(&xb));
        let sub = store2(&xa.sub(&xb));
        let cj = store2(&xa.conj());
        for l in 0..LANES {
            prop_assert_eq!(&m[l], &fp2_mul_ref(&a[l], &b[l]));
            prop_assert_eq!(&s[l], &fp2_mul_ref(&a[l], &a[l]));
            prop_assert_eq!(&add[l], &((&a[l].0 + &b[l].0) % &p, (&a[l].1 + &b[l].1) % &p));
            prop_assert_eq!(&sub[l], &((&a[l].0 + &p - &b[l].0) % &p, (&a[l].1 + &p - &b[l].1) % &p));
            prop_assert_eq!(&cj[l], &(a[l].0.clone(), (&p - &a[l].1) % &p));
        }
        prop_assert_eq!(xa.ct_eq(&xa), 0xff);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4))]

    #[test]
    fn fp2_pow_x8_matches_bigint(a in arb_fp2_lanes(), e in proptest::collection::vec(arb_exp(), LANES)) {
        let Some(t) = token() else { return Ok(()) };
        let exps: [[u64; 16]; LANES] = core::array::from_fn(|l| to_words(&e[l]));
        let r = store2(&load2(t, &a).pow_x8(&exps));
        for l in 0..LANES {
            prop_assert_eq!(&r[l], &fp2_pow_ref(&a[l], &e[l]), "lane {}", l);
        }
    }
}

/// RFC 6508 Appendix A: g^r in PF_p. g is given by its representative x = b/a, i.e. the element
/// 1 + g·i; (1 + g·i)^r, written as im/re, is the listed g^r. Lanes mix r with other exponents.
#[test]
fn fp2_pow_rfc6508_g_r() {
    let Some(t) = token() else { return };
    let v = vectors();
    let p = p();
    let g = hexnum(&v, "rfc6509_parameter_set_1", "g");
    let r = hexnum(&v, "rfc6508_sakke", "r");
    let g_r = hexnum(&v, "rfc6508_sakke", "g_r");
    let exps_big: [BigUint; LANES] = core::array::from_fn(|l| {
        if l % 3 == 0 {
            BigUint::from(l as u64 + 2)
        } else {
            r.clone()
        }
    });
    let exps: [[u64; 16]; LANES] = core::array::from_fn(|l| to_words(&exps_big[l]));
    let base = load2(t, &core::array::from_fn(|_| (BigUint::one(), g.clone())));
    let pw = base.pow_x8(&exps);
    let ratio = store(&pw.im_over_re());
    for l in 0..LANES {
        let want = if l % 3 == 0 {
            let (re, im) = fp2_pow_ref(&(BigUint::one(), g.clone()), &exps_big[l]);
            im * re.modpow(&(&p - 2u8), &p) % &p
        } else {
            g_r.clone()
        };
        assert_eq!(ratio[l], want, "lane {l}");
    }
    // The same ratio through the batched inversion path.
    let mut re = vec![pw.re.clone()];
    FpX8::batch_invert(&mut re);
    assert_eq!(re[0].mul(&pw.im).ct_eq(&pw.im_over_re()), 0xff);
}

// ---- points ----

type Aff = Option<(BigUint, BigUint)>;

fn inv(x: &BigUint) -> BigUint {
    let p = p();
    x.modpow(&(&p - 2u8), &p)
}

fn aff_add(a: &Aff, b: &Aff) -> Aff {
    let p = p();
    let (Some((x1, y1)), Some((x2, y2))) = (a, b) else {
        return if a.is_none() { b.clone() } else { a.clone() };
    };
    let lambda = if x1 == x2 {
        if (y1 + y2) % &p == BigUint::zero() {
            return None;
        }
        (BigUint::from(3u8) * x1 * x1 + &p * 3u8 - 3u8) % &p * inv(&(y1 * 2u8 % &p)) % &p
    } else {
        (y2 + &p - y1) % &p * inv(&((x2 + &p - x1) % &p)) % &p
    };
    let x3 = (&lambda * &lambda + &p * 2u8 - x1 - x2) % &p;
    let y3 = (&lambda * ((x1 + &p - &x3) % &p) + &p - y1) % &p;
    Some((x3, y3))
}

fn aff_mul(k: u64, a: &Aff) -> Aff {
    let mut r: Aff = None;
    for i in (0..64).rev() {
        r = aff_add(&r, &r);
        if (k >> i) & 1 == 1 {
            r = aff_add(&r, a);
        }
    }
    r
}

/// A point on E from an x coordinate, if x³ − 3x is a square (p ≡ 3 mod 4 square root).
fn lift_x(x: &BigUint) -> Aff {
    let p = p();
    let rhs = (x * x * x + &p * 3u8 - x * 3u8 % &p) % &p;
    let y = rhs.modpow(&((&p + 1u8) >> 2), &p);
    (&y * &y % &p == rhs).then(|| (x.clone(), y))
}

fn base_point() -> (BigUint, BigUint) {
    let v = vectors();
    (
        hexnum(&v, "rfc6509_parameter_set_1", "Px"),
        hexnum(&v, "rfc6509_parameter_set_1", "Py"),
    )
}

fn load_points(t: Ifma, pts: &[Aff; LANES]) -> PointX8 {
    let xs: [BigUint; LANES] =
        core::array::from_fn(|l| pts[l].clone().map(|p| p.0).unwrap_or_default());
    let ys: [BigUint; LANES] =
        core::array::from_fn(|l| pts[l].clone().map(|p| p.1).unwrap_or_default());
    let mut inf = 0u8;
    for (l, pt) in pts.iter().enumerate() {
        if pt.is_none() {
            inf |= 1 << l;
        }
    }
    // Infinite lanes are loaded as (0, 0), a point of order 2 on E, then replaced by infinity.
    let fin = PointX8::from_affine(&load(t, &xs), &load(t, &ys)).unwrap();
    PointX8::select(&fin, &PointX8::infinity(t), inf)
}

fn store_points(x: &PointX8) -> [Aff; LANES] {
    let (ax, ay, inf) = x.to_affine();
    let (xs, ys) = (store(&ax), store(&ay));
    core::array::from_fn(|l| ((inf >> l) & 1 == 0).then(|| (xs[l].clone(), ys[l].clone())))
}

fn arb_point() -> impl Strategy<Value = Aff> {
    prop_oneof![
        8 => arb_elem().prop_filter_map("x³ − 3x not a square", |x| lift_x(&x).map(Some)),
        1 => Just(None),
        1 => Just(Some(base_point())),
    ]
}

fn arb_points() -> impl Strategy<Value = [Aff; LANES]> {
    proptest::collection::vec(arb_point(), LANES)
        .prop_map(|v| core::array::from_fn(|i| v[i].clone()))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(16)))]

    /// Addition (generic, doubling, inverse and infinity cases in mixed lanes) and doubling
    /// against affine formulas.
    #[test]
    fn point_add_double_match_affine(a in arb_points(), b in arb_points(), pick in any::<u8>(), negs in any::<u8>()) {
        let Some(t) = token() else { return Ok(()) };
        let p = p();
        // Lanes in `pick` use b = a (doubling case) or, in `negs`, b = −a (sum at infinity).
        let b: [Aff; LANES] = core::array::from_fn(|l| {
            if (pick >> l) & 1 == 1 {
                if (negs >> l) & 1 == 1 {
                    a[l].clone().map(|(x, y)| (x, (&p - y) % &p))
                } else {
                    a[l].clone()
                }
            } else {
                b[l].clone()
            }
        });
        let (pa, pb) = (load_points(t, &a), load_points(t, &b));
        let sum = store_points(&pa.add(&pb));
        let dbl = store_points(&pa.double());
        let neg = store_points(&pa.neg());
        for l in 0..LANES {
            prop_assert_eq!(&sum[l], &aff_add(&a[l], &b[l]), "add lane {}", l);
            prop_assert_eq!(&dbl[l], &aff_add(&a[l], &a[l]), "double lane {}", l);
            prop_assert_eq!(&neg[l], &a[l].clone().map(|(x, y)| (x, (&p - y) % &p)));
        }
        prop_assert_eq!(pa.add(&pb).ct_eq(&pb.add(&pa)), 0xff);
        // batch_to_affine agrees with to_affine.
        let batch = PointX8::batch_to_affine(&[pa.clone(), pb.clone()]);
        prop_assert_eq!(store(&batch[0].0), store(&pa.to_affine().0));
        prop_assert_eq!(batch[1].2, pb.to_affine().2);
    }

    /// Small scalars against repeated affine addition; lanes mix bases.
    #[test]
    fn point_mul_small_scalars(a in arb_points(), k in proptest::collection::vec(0u64..5000, LANES)) {
        let Some(t) = token() else { return Ok(()) };
        let scalars: [[u64; 16]; LANES] = core::array::from_fn(|l| { let mut s = [0u64; 16]; s[0] = k[l]; s });
        let r = store_points(&load_points(t, &a).mul_x8(&scalars));
        for l in 0..LANES {
            prop_assert_eq!(&r[l], &aff_mul(k[l], &a[l]), "lane {}", l);
        }
    }
}

/// RFC 6508 Appendix A: Z = [z]P and R_(b,S) = [r]([b]P + Z), through the variable-base
/// multiplication, the comb of P and the comb of Z ([r·b mod q]P + [r]Z).
#[test]
fn point_mul_and_comb_rfc6508() {
    let Some(t) = token() else { return };
    let v = vectors();
    let q = q();
    let (px, py) = base_point();
    let z = hexnum(&v, "rfc6508_sakke", "z");
    let b = hexnum(&v, "rfc6508_sakke", "b");
    let r = hexnum(&v, "rfc6508_sakke", "r");
    let (zx, zy) = hexpoint(&v, "rfc6508_sakke", "Z");
    let (rx, ry) = hexpoint(&v, "rfc6508_sakke", "R_bS");
    let p_aff = Some((px.clone(), py.clone()));
    let z_aff = Some((zx.clone(), zy.clone()));
    let r_aff = Some((rx.clone(), ry.clone()));

    let pp = load_points(t, &core::array::from_fn(|_| p_aff.clone()));
    // Variable base: lanes alternate z (→ Z) and q (→ infinity).
    let sc: [[u64; 16]; LANES] =
        core::array::from_fn(|l| to_words(if l % 2 == 0 { &z } else { &q }));
    let out = store_points(&pp.mul_x8(&sc));
    for (l, o) in out.iter().enumerate() {
        assert_eq!(o, if l % 2 == 0 { &z_aff } else { &None }, "lane {l}");
    }
    // [r]([b]P + Z) in every lane.
    let bp = pp.mul_x8(&[to_words(&b); LANES]);
    let zz = load_points(t, &core::array::from_fn(|_| z_aff.clone()));
    let out = store_points(&bp.add(&zz).mul_x8(&[to_words(&r); LANES]));
    assert!(out.iter().all(|o| o == &r_aff));

    // Combs of P and Z.
    let comb_p = CombX8::new(t, &to_words(&px), &to_words(&py)).unwrap();
    let comb_z = CombX8::new(t, &to_words(&zx), &to_words(&zy)).unwrap();
    let rb = (&r * &b) % &q;
    let mut s1 = [to_words(&rb); LANES];
    let mut s2 = [to_words(&r); LANES];
    // Lanes 6 and 7: zero scalars and small ones.
    s1[6] = [0; 16];
    s2[6] = [0; 16];
    s1[7] = to_words(&BigUint::from(7u8));
    s2[7] = to_words(&BigUint::one());
    let enc = comb_p
        .mul_x8(&s1)
        .unwrap()
        .add(&comb_z.mul_x8(&s2).unwrap());
    let out = store_points(&enc);
    for (l, o) in out.iter().enumerate().take(6) {
        assert_eq!(o, &r_aff, "lane {l}");
    }
    assert_eq!(out[6], None);
    assert_eq!(out[7], aff_add(&aff_mul(7, &p_aff), &z_aff));
    // [z]P through the comb.
    let out = store_points(&comb_p.mul_x8(&[to_words(&z); LANES]).unwrap());
    assert!(out.iter().all(|o| o == &z_aff));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4))]

    /// The comb agrees with the variable-base multiplication for random scalars below q.
    #[test]
    fn comb_matches_variable_base(ks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 128), LANES)) {
        let Some(t) = token() else { return Ok(()) };
        static COMB: std::sync::OnceLock<Option<CombX8>> = std::sync::OnceLock::new();
        let (px, py) = base_point();
        let comb = COMB.get_or_init(|| Ifma::new().map(|t| CombX8::new(t, &to_words(&px), &to_words(&py)).unwrap()));
        let comb = comb.as_ref().unwrap();
        let q = q();
        let scalars: [[u64; 16]; LANES] = core::array::from_fn(|l| to_words(&(BigUint::from_bytes_le(&ks[l]) % &q)));
        let pp = load_points(t, &core::array::from_fn(|_| Some((px.clone(), py.clone()))));
        let want = pp.mul_x8(&scalars);
        prop_assert_eq!(comb.mul_x8(&scalars).unwrap().ct_eq(&want), 0xff);
    }
}

#[test]
fn comb_rejects_bad_input() {
    let Some(t) = token() else { return };
    let (px, py) = base_point();
    let p = p();
    // Off the curve.
    assert_eq!(
        CombX8::new(t, &to_words(&px), &to_words(&((&py + 1u8) % &p))).unwrap_err(),
        Error::InvalidPoint
    );
    // Coordinate not below p.
    assert_eq!(
        CombX8::new(t, &to_words(&p), &to_words(&py)).unwrap_err(),
        Error::InvalidPoint
    );
    // On the curve but outside the order-q subgroup: a lifted x whose point has order 4q or 2q.
    let mut x = BigUint::from(5u8);
    let outside = loop {
        if let Some((x0, y0)) = lift_x(&x) {
            let pt = load_points(t, &core::array::from_fn(|_| Some((x0.clone(), y0.clone()))));
            if pt.mul_x8(&[to_words(&q()); LANES]).is_infinity() == 0 {
                break (x0, y0);
            }
        }
        x += 1u8;
    };
    assert_eq!(
        CombX8::new(t, &to_words(&outside.0), &to_words(&outside.1)).unwrap_err(),
        Error::InvalidPoint
    );
    // Scalars not below q.
    let comb = CombX8::new(t, &to_words(&px), &to_words(&py)).unwrap();
    let mut s = [[0u64; 16]; LANES];
    s[3] = to_words(&q());
    assert_eq!(comb.mul_x8(&s).unwrap_err(), Error::InvalidParameter);
    // Off-curve affine input to PointX8.
    let one = FpX8::one(t);
    assert_eq!(
        PointX8::from_affine(&one, &one).unwrap_err(),
        Error::InvalidPoint
    );
}

/// The PF_p comb of g gives the RFC 6508 g^r, and agrees (as PF_p values) with the generic
/// F_p² exponentiation for random exponents, including 0 and 2^1024 − 1.
#[test]
fn pfp_comb_matches_rfc6508_and_pow() {
    use prose_sec::backend::x86_64::fp_ifma::PfpCombX8;
    let Some(t) = token() else { return };
    let v = vectors();
    let g = hexnum(&v, "rfc6509_parameter_set_1", "g");
    let r = hexnum(&v, "rfc6508_sakke", "r");
    let g_r = hexnum(&v, "rfc6508_sakke", "g_r");
    let comb = PfpCombX8::new(t, &to_words(&g)).unwrap();
    let out = store(&comb.pow_x8(&[to_words(&r); LANES]).im_over_re());
    assert!(out.iter().all(|o| o == &g_r));

    let base = load2(t, &core::array::from_fn(|_| (BigUint::one(), g.clone())));
    let mut seed = 0x1234_5678_9abc_def1u64;
    for round in 0..3 {
        let exps: [[u64; 16]; LANES] = core::array::from_fn(|l| {
            core::array::from_fn(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                match (round, l) {
                    (0, 0) => 0,
                    (0, 1) => u64::MAX,
                    _ => seed,
                }
            })
        });
        let a = comb.pow_x8(&exps);
        let b = base.pow_x8(&exps);
        // Equal in PF_p: re_a·im_b == re_b·im_a, with non-zero real parts.
        assert_eq!(a.re.mul(&b.im).ct_eq(&b.re.mul(&a.im)), 0xff);
        assert_eq!(a.re.is_zero() | b.re.is_zero(), 0);
    }
    // g >= p is rejected.
    assert_eq!(
        PfpCombX8::new(t, &to_words(&p())).unwrap_err(),
        Error::InvalidParameter
    );
}

// ------------------------------------------------------------------------------------------
// Multi-lane results equal the scalar engine's (prose_sec::sakke), lane by lane.
// ------------------------------------------------------------------------------------------

fn be128(x: &BigUint) -> [u8; 128] {
    let b = x.to_bytes_be();
    let mut out = [0u8; 128];
    out[128 - b.len()..].copy_from_slice(&b);
    out
}

fn encode_point(pt: &Aff) -> Option<[u8; 257]> {
    pt.as_ref().map(|(x, y)| {
        let mut out = [0u8; 257];
        out[0] = 4;
        out[1..129].copy_from_slice(&be128(x));
        out[129..].copy_from_slice(&be128(y));
        out
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(8)))]

    /// F_p products, fixed-base point multiplication of P, point addition and g^k all agree
    /// with the scalar engine for random operands.
    #[test]
    fn multi_lane_equals_scalar_engine(
        a in arb_lanes(),
        b in arb_lanes(),
        ks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 128), LANES),
    ) {
        use prose_sec::sakke::__internal as scalar;
        let Some(t) = token() else { return Ok(()) };
        static COMBS: std::sync::OnceLock<Option<(CombX8, prose_sec::backend::x86_64::fp_ifma::PfpCombX8)>> =
            std::sync::OnceLock::new();
        let combs = COMBS.get_or_init(|| {
            let t = Ifma::new()?;
            let (px, py) = base_point();
            let g = hexnum(&vectors(), "rfc6509_parameter_set_1", "g");
            Some((
                CombX8::new(t, &to_words(&px), &to_words(&py)).unwrap(),
                prose_sec::backend::x86_64::fp_ifma::PfpCombX8::new(t, &to_words(&g)).unwrap(),
            ))
        });
        let (comb, pf) = combs.as_ref().unwrap();
        let q = q();

        let prod = store(&load(t, &a).mul(&load(t, &b)));
        for l in 0..LANES {
            let s = scalar::fp_mul_canonical(&to_words(&a[l]), &to_words(&b[l]));
            prop_assert_eq!(&prod[l], &from_words(&s));
        }

        let k: [BigUint; LANES] = core::array::from_fn(|l| BigUint::from_bytes_be(&ks[l]) % &q);
        let kw: [[u64; 16]; LANES] = core::array::from_fn(|l| to_words(&k[l]));
        let kp = store_points(&comb.mul_x8(&kw).unwrap());
        let gk = store(&pf.pow_x8(&kw).im_over_re());
        let gen = scalar::generator();
        for l in 0..LANES {
            let want = scalar::point_mul(&gen, &be128(&k[l]), true).ok();
            prop_assert_eq!(encode_point(&kp[l]), want, "lane {}", l);
            prop_assert_eq!(be128(&gk[l]), scalar::g_pow(&be128(&k[l])), "lane {}", l);
        }

        // Addition of two multi-lane results against the scalar complete addition.
        let sum = store_points(&comb.mul_x8(&kw).unwrap().add(&comb.mul_x8(&[kw[0]; LANES]).unwrap()));
        for l in 0..LANES {
            let (Some(x), Some(y)) = (encode_point(&kp[l]), encode_point(&kp[0])) else { continue };
            let want = scalar::point_add(&x, &y).unwrap();
            prop_assert_eq!(encode_point(&sum[l]), want, "lane {}", l);
        }
    }
}
