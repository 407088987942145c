//! The aarch64 MUL/UMULH Montgomery kernels of SAKKE's F_p (`backend::aarch64::fp_mont`)
//! against the portable CIOS loop and against num-bigint, on random values below p, on edge
//! values (0, 1, p−1, R mod p, R−1 mod p), on limb patterns that make the carry chains ripple
//! (all-ones and all-zero limbs, p's limbs and one off) and on operands up to 2^1024 − 1 (all
//! ones, values near R), where the kernel must give the portable loop's result bit for bit.
//! Run under emulation by `scripts/test-aarch64.sh`; the check that the committed kernels are
//! what their generator gives runs on every target.

/// The committed asm files are what `fp_mont/gen.py` generates (python3 is a test
/// prerequisite of the repository, see scripts/setup.sh).
#[test]
fn generated_kernels_match_generator() {
    let root = env!("CARGO_MANIFEST_DIR");
    let out = std::process::Command::new("python3")
        .arg(format!("{root}/src/backend/aarch64/fp_mont/gen.py"))
        .arg("--check")
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[cfg(all(
    target_arch = "aarch64",
    target_endian = "little",
    not(prose_backend = "soft")
))]
mod kernel {
    use num_bigint::BigUint;
    use num_traits::{One, Zero};
    use proptest::prelude::*;
    use prose_sec::backend::aarch64::Aarch64Base;
    use prose_sec::sakke::__internal as t;

    const P_HEX: &str = "997ABB1F0A563FDA65C61198DAD0657A416C0CE19CB48261BE9AE358B3E01A2EF40AAB27E2FC0F1B228730D531A59CB0E791B39FF7C88A19356D27F4A666A6D0E26C6487326B4CD4512AC5CD65681CE1B6AFF4A831852A82A7CF3C521C3C09AA9F94D6AF56971F1FFCE3E82389857DB080C5DF10AC7ACE87666D807AFEA85FEB";

    /// Property-test cases: `n`, or fewer when `PROPTEST_CASES` asks (emulation is slow).
    fn cases(n: u32) -> u32 {
        std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse::<u32>().ok())
            .map_or(n, |c| c.min(n))
    }

    fn k() -> Aarch64Base {
        Aarch64Base::get().expect("every aarch64 CPU has MUL/UMULH")
    }

    fn p() -> BigUint {
        BigUint::parse_bytes(P_HEX.as_bytes(), 16).unwrap()
    }
    fn r() -> BigUint {
        BigUint::one() << 1024
    }
    fn limbs(x: &BigUint) -> [u64; 16] {
        let mut o = [0u64; 16];
        for (i, d) in x.to_u64_digits().iter().enumerate() {
            o[i] = *d;
        }
        o
    }
    fn big(l: &[u64; 16]) -> BigUint {
        l.iter()
            .rev()
            .fold(BigUint::zero(), |acc, &x| (acc << 64) + BigUint::from(x))
    }

    /// The portable loop's result as a formula, for any `a, b < 2^1024`: CIOS computes
    /// `t = (a·b + m·p) / 2^1024` with `m = −a·b·p⁻¹ mod 2^1024`, then subtracts p once when
    /// `t >= p` (modulo 2^1024). For `a, b < p` this is `a·b·2^-1024 mod p`.
    fn model(a: &[u64; 16], b: &[u64; 16]) -> [u64; 16] {
        let (p, r) = (p(), r());
        let ab = big(a) * big(b);
        // p⁻¹ mod 2^1024 (p is odd): p^(2^1023 − 1), p's inverse in the unit group of order
        // 2^1023.
        static PINV: std::sync::OnceLock<BigUint> = std::sync::OnceLock::new();
        let pinv = PINV.get_or_init(|| p.modpow(&((BigUint::one() << 1023u32) - 1u32), &r));
        let m = (&r - (&ab * pinv) % &r) % &r;
        let t = (ab + m * &p) >> 1024u32;
        limbs(&(if t >= p { (t + &r - &p) % &r } else { t }))
    }

    /// The portable CIOS loop, on the forced portable engine.
    fn portable_mul(a: &[u64; 16], b: &[u64; 16]) -> [u64; 16] {
        t::fp_mont_mul_on(t::Engine::portable(), a, b)
    }
    fn portable_sqr(a: &[u64; 16]) -> [u64; 16] {
        t::fp_mont_sqr_on(t::Engine::portable(), a)
    }

    /// SAKKE selects this kernel on aarch64: the detected engine is the MUL/UMULH one, and the
    /// field's own product (`fp_mont_mul`, through the detected engine) is the kernel's.
    #[test]
    fn the_engine_selects_the_kernel() {
        assert_eq!(t::Engine::detect().name(), "aarch64");
        assert_eq!(t::Engine::scalar().name(), "aarch64");
        let names: Vec<_> = t::Engine::available().iter().map(|e| e.name()).collect();
        assert_eq!(names, ["aarch64", "portable"]);
        let a = limbs(&(p() - 5u32));
        let b = limbs(&(p() >> 3u32));
        assert_eq!(t::fp_mont_mul(&a, &b), k().mont_mul(&a, &b));
        assert_eq!(t::fp_mont_sqr(&a), k().mont_sqr(&a));
        let e = t::Engine::aarch64().expect("aarch64 engine");
        assert_eq!(t::fp_mont_mul_on(e, &a, &b), portable_mul(&a, &b));
        assert_eq!(t::fp_mont_sqr_on(e, &a), portable_sqr(&a));
    }

    /// Limbs from a per-limb pattern (0 = zero, 1 = all ones, 2 = p's limb, 3 = p's limb plus
    /// one, 4 = p's limb minus one, other = the random limb); `below_p` forces the value below
    /// p through the top limb (p's top limb is 0x997a…).
    fn patterned(kinds: &[u8; 16], rnd: &[u64; 16], below_p: bool) -> [u64; 16] {
        let pl = limbs(&p());
        let mut a = [0u64; 16];
        for i in 0..16 {
            a[i] = match kinds[i] % 6 {
                0 => 0,
                1 => u64::MAX,
                2 => pl[i],
                3 => pl[i].wrapping_add(1),
                4 => pl[i].wrapping_sub(1),
                _ => rnd[i],
            };
        }
        if below_p && a[15] >= pl[15] {
            a[15] = pl[15] - 1 - (a[15] & 0xff);
        }
        a
    }

    /// Edge values below p.
    fn edges() -> Vec<[u64; 16]> {
        let (p, r) = (p(), r());
        let mut one = [0u64; 16];
        one[0] = 1;
        vec![
            [0u64; 16],
            one,
            limbs(&(&p - 1u32)),
            limbs(&(&p - 2u32)),
            limbs(&(&r % &p)),
            limbs(&((&r - 1u32) % &p)),
            limbs(&(&p >> 1u32)),
            limbs(&((&r * &r) % &p)),
        ]
    }

    /// Operands below 2^1024 but not below p: all-ones limbs, values near R, p itself.
    fn wide_edges() -> Vec<[u64; 16]> {
        let (p, r) = (p(), r());
        vec![
            [u64::MAX; 16],
            limbs(&(&r - 2u32)),
            limbs(&(&r - &p)),
            limbs(&p),
            limbs(&(&p + 1u32)),
            limbs(&(&r >> 1u32)),
            {
                let mut a = [u64::MAX; 16];
                a[0] = 0;
                a
            },
        ]
    }

    /// Values below p: random, edge values, or ripple patterns.
    fn elem() -> impl Strategy<Value = [u64; 16]> {
        prop_oneof![
            4 => proptest::collection::vec(any::<u8>(), 136)
                .prop_map(|v| limbs(&(BigUint::from_bytes_be(&v) % p()))),
            2 => proptest::sample::select(edges()),
            4 => (any::<[u8; 16]>(), any::<[u64; 16]>()).prop_map(|(k, r)| patterned(&k, &r, true)),
        ]
    }

    /// Any 1024-bit operand (not reduced).
    fn wide() -> impl Strategy<Value = [u64; 16]> {
        prop_oneof![
            2 => any::<[u64; 16]>(),
            1 => proptest::sample::select(wide_edges()),
            2 => (any::<[u8; 16]>(), any::<[u64; 16]>()).prop_map(|(k, r)| patterned(&k, &r, false)),
        ]
    }

    #[test]
    fn edge_products_equal_portable_and_bigint() {
        let (p, ri) = (p(), r().modpow(&(p() - 2u32), &p()));
        let k = k();
        for a in edges() {
            assert_eq!(k.mont_sqr(&a), portable_sqr(&a));
            assert_eq!(big(&k.mont_sqr(&a)), big(&a) * big(&a) * &ri % &p, "square");
            for b in edges() {
                let got = k.mont_mul(&a, &b);
                assert_eq!(got, portable_mul(&a, &b));
                assert_eq!(big(&got), big(&a) * big(&b) * &ri % &p);
            }
        }
        // Operands not below p: the kernel is bit-for-bit the portable loop.
        for a in wide_edges().into_iter().chain(edges()) {
            assert_eq!(k.mont_sqr(&a), model(&a, &a));
            for b in wide_edges() {
                assert_eq!(k.mont_mul(&a, &b), portable_mul(&a, &b));
                assert_eq!(k.mont_mul(&a, &b), model(&a, &b));
                assert_eq!(k.mont_mul(&b, &a), model(&b, &a));
            }
        }
    }

    /// The Montgomery domain round trip: enter with R² mod p, leave with 1.
    #[test]
    fn domain_round_trip() {
        let (p, r) = (p(), r());
        let r2 = limbs(&((&r * &r) % &p));
        let mut one = [0u64; 16];
        one[0] = 1;
        let k = k();
        for x in edges() {
            let m = k.mont_mul(&x, &r2);
            assert_eq!(big(&m), big(&x) * &r % &p);
            assert_eq!(k.mont_mul(&m, &one), x);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(cases(512)))]

        #[test]
        fn mul_equals_portable(a in elem(), b in elem()) {
            let got = k().mont_mul(&a, &b);
            prop_assert_eq!(got, portable_mul(&a, &b));
            prop_assert_eq!(got, model(&a, &b));
            prop_assert!(big(&got) < p());
        }

        #[test]
        fn sqr_equals_portable(a in elem()) {
            let got = k().mont_sqr(&a);
            prop_assert_eq!(got, portable_sqr(&a));
            prop_assert_eq!(got, k().mont_mul(&a, &a));
            prop_assert_eq!(got, model(&a, &a));
        }

        /// Unreduced operands (any 1024-bit values): the kernel's result is the portable
        /// loop's, bit for bit.
        #[test]
        fn wide_operands_equal_portable(a in wide(), b in wide()) {
            prop_assert_eq!(k().mont_mul(&a, &b), portable_mul(&a, &b));
            prop_assert_eq!(k().mont_mul(&a, &b), model(&a, &b));
            prop_assert_eq!(k().mont_sqr(&a), model(&a, &a));
        }
    }
}
