//! The selected F_p Montgomery kernels (MULX/ADCX/ADOX when the CPU has BMI2 and ADX, the
//! portable CIOS loop otherwise) against num-bigint: `a·b·2^-1024 mod p` and `a²·2^-1024 mod p`
//! on random values, on edge values (0, 1, p−1, p−2) and on limb patterns that make the carry
//! chains ripple (all-ones and all-zero limbs, limbs equal to p's or one off).
use num_bigint::BigUint;
use num_traits::One;
use proptest::prelude::*;
use prose_sec::sakke::__internal as t;

const P_HEX: &str = "997ABB1F0A563FDA65C61198DAD0657A416C0CE19CB48261BE9AE358B3E01A2EF40AAB27E2FC0F1B228730D531A59CB0E791B39FF7C88A19356D27F4A666A6D0E26C6487326B4CD4512AC5CD65681CE1B6AFF4A831852A82A7CF3C521C3C09AA9F94D6AF56971F1FFCE3E82389857DB080C5DF10AC7ACE87666D807AFEA85FEB";

fn p() -> BigUint {
    BigUint::parse_bytes(P_HEX.as_bytes(), 16).unwrap()
}
fn p_limbs() -> [u64; 16] {
    limbs(&p())
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
/// 2^-1024 mod p.
fn rinv() -> BigUint {
    let r: BigUint = (BigUint::one() << 1024) % p();
    r.modpow(&(p() - 2u32), &p())
}

/// Limbs built from a per-limb pattern (0 = zero, 1 = all ones, 2 = p's limb, 3 = p's limb
/// plus one, 4 = p's limb minus one, other = the random limb), forced below p through the top
/// limb (p's top limb is 0x997a…, so a top limb below it keeps the value below p).
fn patterned(kinds: &[u8; 16], rnd: &[u64; 16]) -> [u64; 16] {
    let pl = p_limbs();
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
    if a[15] >= pl[15] {
        a[15] = pl[15] - 1 - (a[15] & 0xff);
    }
    a
}

/// Values below p: random, edge values, or ripple patterns.
fn elem() -> impl Strategy<Value = [u64; 16]> {
    prop_oneof![
        4 => proptest::collection::vec(any::<u8>(), 136)
            .prop_map(|v| limbs(&(BigUint::from_bytes_be(&v) % p()))),
        1 => Just([0u64; 16]),
        1 => Just({
            let mut o = [0u64; 16];
            o[0] = 1;
            o
        }),
        1 => Just(limbs(&(p() - 1u32))),
        1 => Just(limbs(&(p() - 2u32))),
        4 => (any::<[u8; 16]>(), any::<[u64; 16]>()).prop_map(|(k, r)| patterned(&k, &r)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn mont_mul_matches_bigint(a in elem(), b in elem()) {
        let want = big(&a) * big(&b) * rinv() % p();
        let got = t::fp_mont_mul(&a, &b);
        prop_assert_eq!(big(&got), want);
        // canonical limbs (fully reduced)
        prop_assert!(big(&got) < p());
    }

    #[test]
    fn mont_sqr_matches_bigint(a in elem()) {
        let want = big(&a) * big(&a) * rinv() % p();
        let got = t::fp_mont_sqr(&a);
        prop_assert_eq!(big(&got), want);
        prop_assert_eq!(got, t::fp_mont_mul(&a, &a));
    }

    /// Every engine this CPU supports, passed explicitly, gives the same product and square.
    #[test]
    fn every_engine_matches_bigint(a in elem(), b in elem()) {
        let want = big(&a) * big(&b) * rinv() % p();
        let want_sq = big(&a) * big(&a) * rinv() % p();
        for e in t::Engine::available() {
            prop_assert_eq!(big(&t::fp_mont_mul_on(e, &a, &b)), want.clone(), "engine {}", e.name());
            prop_assert_eq!(big(&t::fp_mont_sqr_on(e, &a)), want_sq.clone(), "engine {}", e.name());
        }
    }
}

/// The detected engine is the best one available and the same on every call.
#[test]
fn detected_engine_is_the_best_available() {
    let e = t::Engine::detect();
    assert_eq!(e.name(), t::Engine::available()[0].name());
    assert_eq!(t::Engine::detect().name(), e.name());
    assert!(!t::Engine::scalar().has_lanes());
    assert_eq!(t::Engine::portable().name(), "portable");
    println!("engine: {}", e.name());
}

/// Every pair of a fixed set of adversarial values: edge values, all-ones limbs below p,
/// values one below a limb boundary, and values whose product leaves the largest possible
/// intermediate sums (both operands close to p).
#[test]
fn mont_kernels_on_adversarial_pairs() {
    let pl = p_limbs();
    let mut vals: Vec<[u64; 16]> = Vec::new();
    let pm = |k: u32| limbs(&(p() - k));
    for k in 1..4 {
        vals.push(pm(k));
    }
    vals.push([0u64; 16]);
    let mut one = [0u64; 16];
    one[0] = 1;
    vals.push(one);
    let mut ones = [u64::MAX; 16];
    ones[15] = pl[15] - 1;
    vals.push(ones);
    for w in [1usize, 7, 8, 9, 15] {
        // 2^(64w) − 1: all ones below limb w
        let mut v = [0u64; 16];
        for l in v.iter_mut().take(w) {
            *l = u64::MAX;
        }
        vals.push(v);
        // 2^(64w)
        let mut v = [0u64; 16];
        v[w] = 1;
        vals.push(v);
    }
    // p − 2^(64w) for a few w (all limbs of p but one decremented)
    for w in [0usize, 7, 8, 15] {
        let mut v = pl;
        v[w] = v[w].wrapping_sub(1);
        if big(&v) < p() {
            vals.push(v);
        }
    }
    // R mod p, R² mod p (Montgomery forms of 1 and of R)
    vals.push(limbs(&((BigUint::one() << 1024) % p())));
    vals.push(limbs(&((BigUint::one() << 2048) % p())));
    let ri = rinv();
    for a in &vals {
        assert!(big(a) < p());
        let ba = big(a);
        assert_eq!(
            big(&t::fp_mont_sqr(a)),
            &ba * &ba * &ri % p(),
            "sqr a = {a:x?}"
        );
        for b in &vals {
            assert_eq!(
                big(&t::fp_mont_mul(a, b)),
                &ba * big(b) * &ri % p(),
                "a = {a:x?}, b = {b:x?}"
            );
        }
    }
}

/// Which kernel these tests exercised (printed with `--nocapture`).
#[test]
fn reports_selected_kernel() {
    println!("MULX/ADX kernel selected: {}", t::mulx_available());
    // the selected kernel and the portable product agree on a fixed value either way
    let a = limbs(&(p() - 5u32));
    assert_eq!(t::fp_mont_mul(&a, &a), t::fp_mont_mul_portable(&a, &a));
}

/// The MULX/ADX kernels, reached through their detection token (the only way to call them),
/// equal the portable loop even on CPUs where the IFMA kernel is the one selected.
#[cfg(all(target_arch = "x86_64", not(prose_backend = "soft")))]
#[test]
fn mulx_kernels_through_their_token() {
    use prose_sec::backend::x86_64::fp_mulx::MulxAdx;
    let Some(k) = MulxAdx::get() else {
        eprintln!("no BMI2/ADX on this CPU: nothing to check");
        return;
    };
    let pl = p_limbs();
    let mut a = pl;
    a[0] -= 1; // p - 1
    let mut b = pl;
    b[15] >>= 1;
    let mut x = 0x243f_6a88_85a3_08d3u64;
    for _ in 0..64 {
        let mut r = [0u64; 16];
        for l in r.iter_mut() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *l = x;
        }
        r[15] %= pl[15];
        for (u, v) in [(a, b), (r, a), (r, r), (b, r)] {
            assert_eq!(k.mont_mul(&u, &v), t::fp_mont_mul_portable(&u, &v));
            assert_eq!(k.mont_sqr(&u), t::fp_mont_mul_portable(&u, &u));
        }
    }
}

/// `src/backend/x86_64/fp_mulx/kernels.rs` is exactly the output of its generator
/// (`python3 scripts/gen-fp-mulx.py --stdout`): an edit of the generated file, or a generator
/// change without regenerating, fails here.
#[test]
fn generated_kernels_match_their_generator() {
    let root = env!("CARGO_MANIFEST_DIR");
    let out = std::process::Command::new("python3")
        .arg(format!("{root}/scripts/gen-fp-mulx.py"))
        .arg("--stdout")
        .output()
        .expect("python3 runs the generator");
    assert!(
        out.status.success(),
        "generator failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let committed = std::fs::read(format!("{root}/src/backend/x86_64/fp_mulx/kernels.rs")).unwrap();
    assert!(
        out.stdout == committed,
        "src/backend/x86_64/fp_mulx/kernels.rs differs from `python3 scripts/gen-fp-mulx.py --stdout`"
    );
}
