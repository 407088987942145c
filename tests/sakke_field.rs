//! Property tests of the SAKKE arithmetic against num-bigint: F_p (both kernels), integers mod q,
//! the curve's complete formulas against the affine chord-and-tangent rule, fixed-base tables
//! against double-and-add, the PF_p table against plain exponentiation, and pairing bilinearity.
use num_bigint::BigUint;
use num_traits::{One, Zero};
use proptest::prelude::*;
use prose_sec::sakke::__internal as t;

const P_HEX: &str = "997ABB1F0A563FDA65C61198DAD0657A416C0CE19CB48261BE9AE358B3E01A2EF40AAB27E2FC0F1B228730D531A59CB0E791B39FF7C88A19356D27F4A666A6D0E26C6487326B4CD4512AC5CD65681CE1B6AFF4A831852A82A7CF3C521C3C09AA9F94D6AF56971F1FFCE3E82389857DB080C5DF10AC7ACE87666D807AFEA85FEB";
const G_HEX: &str = "66FC2A432B6EA392148F15867D623068C6A87BD1FB94C41E27FABE658E015A87371E94744C96FEDA449AE9563F8BC446CBFDA85D5D00EF577072DA8F541721BEEE0FAED1828EAB90B99DFB0138C7843355DF0460B4A9FD74B4F1A32BCAFA1FFAD682C033A7942BCCE3720F20B9B7B0403C8CAE87B7A0042ACDE0FAB36461EA46";

fn p() -> BigUint {
    BigUint::parse_bytes(P_HEX.as_bytes(), 16).unwrap()
}
fn q() -> BigUint {
    (p() + 1u32) >> 2
}
fn limbs(x: &BigUint) -> [u64; 16] {
    let mut o = [0u64; 16];
    for (i, d) in x.to_u64_digits().iter().enumerate() {
        o[i] = *d;
    }
    o
}
fn big(l: &[u64; 16]) -> BigUint {
    let mut b = Vec::new();
    for x in l.iter().rev() {
        b.extend_from_slice(&x.to_be_bytes());
    }
    BigUint::from_bytes_be(&b)
}
fn r_mod_p() -> BigUint {
    (BigUint::one() << 1024) % p()
}

/// Strategy: an element of [0, m) (uniform-ish from 136 random octets), plus edge values.
fn elem(m: fn() -> BigUint) -> impl Strategy<Value = BigUint> {
    prop_oneof![
        8 => proptest::collection::vec(any::<u8>(), 136).prop_map(move |v| BigUint::from_bytes_be(&v) % m()),
        1 => Just(BigUint::zero()),
        1 => Just(BigUint::one()),
        1 => Just(m() - 1u32),
        1 => Just(m() - 2u32),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn fp_mul_add_sub(a in elem(p), b in elem(p)) {
        let (la, lb) = (limbs(&a), limbs(&b));
        prop_assert_eq!(big(&t::fp_mul_canonical(&la, &lb)), (&a * &b) % p());
        let (s, d) = t::fp_add_sub_canonical(&la, &lb);
        prop_assert_eq!(big(&s), (&a + &b) % p());
        prop_assert_eq!(big(&d), (&a + p() - &b) % p());
    }

    #[test]
    fn fp_raw_montgomery_kernels_agree(a in elem(p), b in elem(p)) {
        let (la, lb) = (limbs(&a), limbs(&b));
        let rinv = r_mod_p().modpow(&(p() - 2u32), &p());
        let want = (&a * &b * &rinv) % p();
        prop_assert_eq!(big(&t::fp_mont_mul_portable(&la, &lb)), want.clone());
        // the selected kernel (MULX/ADX when available) gives the same
        prop_assert_eq!(big(&t::fp_mont_mul(&la, &lb)), want);
        prop_assert_eq!(big(&t::fp_mont_sqr(&la)), (&a * &a * &rinv) % p());
    }

    #[test]
    fn fp_invert_and_sqrt(a in elem(p)) {
        let la = limbs(&a);
        let inv = big(&t::fp_invert_canonical(&la));
        if a.is_zero() {
            prop_assert!(inv.is_zero());
        } else {
            prop_assert_eq!((&a * &inv) % p(), BigUint::one());
        }
        // safegcd (the engine's path) against Fermat
        let (fermat_p, _) = t::invert_fermat_canonical(&la);
        prop_assert_eq!(big(&fermat_p), inv.clone());
        let is_sq = a.is_zero() || a.modpow(&((p() - 1u32) >> 1), &p()).is_one();
        match t::fp_sqrt_canonical(&la) {
            Some(r) => { prop_assert!(is_sq); prop_assert_eq!((big(&r) * big(&r)) % p(), a); }
            None => prop_assert!(!is_sq),
        }
    }

    #[test]
    fn scalar_mul_inv_reduce(a in elem(q), b in elem(q), raw in proptest::collection::vec(any::<u8>(), 0..300)) {
        let (m, inv) = t::scalar_mul_inv(&limbs(&a), &limbs(&b));
        prop_assert_eq!(big(&m), (&a * &b) % q());
        if a.is_zero() { prop_assert!(big(&inv).is_zero()); }
        else { prop_assert_eq!((&a * big(&inv)) % q(), BigUint::one()); }
        let (_, fermat_q) = t::invert_fermat_canonical(&limbs(&a));
        prop_assert_eq!(fermat_q, inv);
        let red = t::scalar_reduce(&raw);
        prop_assert_eq!(BigUint::from_bytes_be(&red), BigUint::from_bytes_be(&raw) % q());
    }
}

// ---- curve reference (affine, num-bigint) ----
type Pt = Option<(BigUint, BigUint)>;

fn dec(b: &[u8]) -> Pt {
    Some((
        BigUint::from_bytes_be(&b[1..129]),
        BigUint::from_bytes_be(&b[129..]),
    ))
}
fn enc(pt: &Pt) -> Option<Vec<u8>> {
    pt.as_ref().map(|(x, y)| {
        let mut o = vec![4u8];
        let mut xb = x.to_bytes_be();
        while xb.len() < 128 {
            xb.insert(0, 0);
        }
        let mut yb = y.to_bytes_be();
        while yb.len() < 128 {
            yb.insert(0, 0);
        }
        o.extend(xb);
        o.extend(yb);
        o
    })
}
fn inv(a: &BigUint) -> BigUint {
    a.modpow(&(p() - 2u32), &p())
}
fn ref_add(a: &Pt, b: &Pt) -> Pt {
    let p = p();
    match (a, b) {
        (None, _) => b.clone(),
        (_, None) => a.clone(),
        (Some((x1, y1)), Some((x2, y2))) => {
            let lam = if x1 == x2 {
                if (y1 + y2) % &p == BigUint::zero() {
                    return None;
                }
                // (3x² − 3) / 2y
                ((BigUint::from(3u32) * x1 * x1 + &p - 3u32) % &p) * inv(&((y1 * 2u32) % &p)) % &p
            } else {
                ((y2 + &p - y1) % &p) * inv(&((x2 + &p - x1) % &p)) % &p
            };
            let x3 = (&lam * &lam + &p * 2u32 - x1 - x2) % &p;
            let y3 = (&lam * ((x1 + &p - &x3) % &p) + &p - y1) % &p;
            Some((x3, y3))
        }
    }
}
fn ref_mul(k: &BigUint, b: &Pt) -> Pt {
    let mut acc: Pt = None;
    for i in (0..k.bits()).rev() {
        acc = ref_add(&acc, &acc);
        if k.bit(i) {
            acc = ref_add(&acc, b);
        }
    }
    acc
}

fn scalar_bytes(k: &BigUint) -> Vec<u8> {
    k.to_bytes_be()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    #[test]
    fn complete_addition_matches_affine_rule(a in elem(q), b in elem(q)) {
        let gen = t::generator().to_vec();
        // points from the table path (checked against the reference in the next test)
        let ka = (&a % (q() - 1u32)) + 1u32;
        let kb = (&b % (q() - 1u32)) + 1u32;
        let ea = t::point_mul(&gen, &scalar_bytes(&ka), true).unwrap().to_vec();
        let eb = t::point_mul(&gen, &scalar_bytes(&kb), true).unwrap().to_vec();
        let (pa, pb) = (dec(&ea), dec(&eb));
        // P + Q, P + P, P + (−P)
        let got = t::point_add(&ea, &eb).unwrap().map(|v| v.to_vec());
        prop_assert_eq!(got, enc(&ref_add(&pa, &pb)));
        let got = t::point_add(&ea, &ea).unwrap().map(|v| v.to_vec());
        prop_assert_eq!(got, enc(&ref_add(&pa, &pa)));
        let (x, y) = pa.clone().unwrap();
        let neg = enc(&Some((x, (p() - y) % p()))).unwrap();
        prop_assert_eq!(t::point_add(&ea, &neg).unwrap(), None);
    }

    #[test]
    fn fixed_base_table_matches_double_and_add(k in elem(q)) {
        let gen = t::generator().to_vec();
        let kb = scalar_bytes(&k);
        let want = enc(&ref_mul(&k, &dec(&gen)));
        let table = t::point_mul(&gen, &kb, true).ok().map(|v| v.to_vec());
        prop_assert_eq!(table, want.clone());
        let plain = t::point_mul(&gen, &kb, false).ok().map(|v| v.to_vec());
        prop_assert_eq!(plain, want);
    }

    #[test]
    fn g_pow_table_matches_plain_exponentiation(k in elem(q)) {
        // (1 + i g)^k in F_p², representative b/a
        let p = p();
        let g = BigUint::parse_bytes(G_HEX.as_bytes(), 16).unwrap();
        let (mut a, mut b) = (BigUint::one(), BigUint::zero());
        for i in (0..k.bits()).rev() {
            let (a2, b2) = ((&a * &a + &p * &p - &b * &b) % &p, (&a * &b * 2u32) % &p);
            a = a2; b = b2;
            if k.bit(i) {
                let (a2, b2) = ((&a + &p * &p - (&b * &g) % &p) % &p, (&b + &a * &g) % &p);
                a = a2; b = b2;
            }
        }
        let want = (&b * inv(&a)) % &p;
        prop_assert_eq!(BigUint::from_bytes_be(&t::g_pow(&scalar_bytes(&k))), want);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3))]

    /// e([a]P, [b]P) = g^(ab), both pairing paths.
    #[test]
    fn pairing_is_bilinear(a in elem(q), b in elem(q)) {
        prop_assume!(!a.is_zero() && !b.is_zero());
        let gen = t::generator().to_vec();
        let pa = t::point_mul(&gen, &scalar_bytes(&a), true).unwrap();
        let pb = t::point_mul(&gen, &scalar_bytes(&b), true).unwrap();
        let want = t::g_pow(&scalar_bytes(&((&a * &b) % q())));
        prop_assert_eq!(t::pairing(&pa, &pb).unwrap(), want);
        prop_assert_eq!(t::pairing_precomputed(&pa, &pb).unwrap(), want);
        prop_assert_eq!(t::pairing(&pb, &pa).unwrap(), want);
        prop_assert_eq!(t::pairing_binary(&pa, &pb).unwrap(), want);
    }

    /// The stored-lines pairing gives the same value on the IFMA lanes (when the CPU has them)
    /// and on the scalar engine, and both equal g^(ab).
    #[test]
    fn stored_lines_lanes_match_scalar_engine(a in elem(q), b in elem(q)) {
        prop_assume!(!a.is_zero() && !b.is_zero());
        let gen = t::generator().to_vec();
        let pa = t::point_mul(&gen, &scalar_bytes(&a), true).unwrap();
        let pb = t::point_mul(&gen, &scalar_bytes(&b), true).unwrap();
        let want = t::g_pow(&scalar_bytes(&((&a * &b) % q())));
        let lines = t::PairingLines::new(&pa).unwrap();
        prop_assert_eq!(lines.pairing_with(&pb).unwrap(), want);
        for e in t::Engine::available() {
            prop_assert_eq!(lines.pairing_on(e, &pb).unwrap(), want, "engine {}", e.name());
        }
    }
}

#[test]
fn subgroup_check() {
    let gen = t::generator().to_vec();
    assert!(t::in_subgroup(&gen).unwrap());
    // (0, 0) has order 2
    let mut z = vec![4u8];
    z.extend([0u8; 256]);
    assert!(!t::in_subgroup(&z).unwrap());
    // a point of order 4q: find some x with x³ − 3x a square and the point outside the subgroup
    let p = p();
    let mut x = BigUint::from(5u32);
    let mut found = 0;
    while found < 3 {
        let rhs = (&x * &x * &x + &p * 3u32 - &x * 3u32) % &p;
        if rhs.modpow(&((&p - 1u32) >> 1), &p).is_one() {
            let y = rhs.modpow(&q(), &p);
            let pt = enc(&Some((x.clone(), y))).unwrap();
            let want = ref_mul(&q(), &dec(&pt)).is_none();
            assert_eq!(t::in_subgroup(&pt).unwrap(), want);
            // [4]pt is always in the subgroup
            let four = enc(&ref_mul(&BigUint::from(4u32), &dec(&pt))).unwrap();
            assert!(t::in_subgroup(&four).unwrap());
            found += 1;
        }
        x += 1u32;
    }
}

/// R outside the order-q subgroup: of order 2 or 4 (rejected as `InvalidPoint`), or R + T with T
/// of order 2 or 4 (on the curve, passes the cheap checks, then fails the `[r]I == R` check).
#[test]
fn sed_points_outside_the_subgroup_are_rejected() {
    use prose_sec::sakke::{self, DecapsulationKey, KmsSecret, Ssv};
    use prose_sec::Error;
    let p = p();
    let z = KmsSecret::from_bytes(&[7]).unwrap();
    let kms = z.public();
    let id = b"2026-11\0tel:+15550100\0";
    let rsk = z.issue_rsk(id).unwrap();
    let dk = DecapsulationKey::new(&kms, id, &rsk).unwrap();
    let sed = sakke::encapsulate(&kms, id, &Ssv::new([9; 16])).unwrap();
    assert_eq!(dk.decapsulate(&sed).unwrap().as_bytes(), &[9; 16]);
    let with_r = |pt: &Pt| {
        let mut s = enc(pt).unwrap();
        s.extend_from_slice(&sed[257..]);
        s
    };
    // T2 = (0, 0); a point T4 of order 4: x² = −3, y² = x³ − 3x
    let t2: Pt = Some((BigUint::zero(), BigUint::zero()));
    let minus3 = &p - 3u32;
    let mut x4 = minus3.modpow(&q(), &p);
    assert_eq!((&x4 * &x4) % &p, minus3);
    let rhs = |x: &BigUint| (x * x * x + &p * 3u32 - (x * 3u32) % &p) % &p;
    if !rhs(&x4).modpow(&((&p - 1u32) >> 1), &p).is_one() {
        x4 = &p - &x4;
    }
    let y4 = rhs(&x4).modpow(&q(), &p);
    let t4: Pt = Some((x4, y4));
    assert_eq!(ref_add(&ref_add(&t4, &t4), &ref_add(&t4, &t4)), None);
    for bad in [&t2, &t4] {
        let s = with_r(bad);
        assert_eq!(dk.decapsulate(&s).err(), Some(Error::InvalidPoint));
        assert_eq!(
            sakke::decapsulate(&kms, id, &rsk, &s).err(),
            Some(Error::InvalidPoint)
        );
    }
    let r = dec(&sed[..257]);
    for t in [&t2, &t4] {
        let s = with_r(&ref_add(&r, t));
        let got = dk.decapsulate(&s).err();
        assert!(
            got == Some(Error::AuthFailed) || got == Some(Error::InvalidPoint),
            "{got:?}"
        );
        let got = sakke::decapsulate(&kms, id, &rsk, &s).err();
        assert!(
            got == Some(Error::AuthFailed) || got == Some(Error::InvalidPoint),
            "{got:?}"
        );
    }
    // an RSK with a 2-torsion component is refused at import
    let k = dec(&rsk.to_bytes());
    let bad_k = enc(&ref_add(&k, &t2)).unwrap();
    assert_eq!(
        prose_sec::sakke::Rsk::from_bytes(&bad_k).err(),
        Some(Error::InvalidPoint)
    );
}

/// The dedicated squaring kernel against the portable product `a·a` on many values, dense in
/// all-ones limbs (long carry chains) as well as random ones.
#[test]
fn fp_mont_sqr_matches_portable_product() {
    let mut s = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        s = s.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = s;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    for k in 0..4000 {
        let mut a = [0u64; 16];
        for l in a.iter_mut() {
            let r = next();
            *l = match (k + (r as usize)) % 4 {
                0 => u64::MAX,
                1 => 0,
                _ => r,
            };
        }
        a[15] &= 0x7fff_ffff_ffff_ffff; // below p (p's top limb is 0x997a…)
        assert_eq!(
            t::fp_mont_sqr(&a),
            t::fp_mont_mul_portable(&a, &a),
            "a = {a:x?}"
        );
    }
}
