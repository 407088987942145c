//! 1024-bit Montgomery product modulo the SAKKE prime p (RFC 6509 parameter set 1) with
//! MULX/ADCX/ADOX. Reached only after run-time detection of BMI2 and ADX (`sakke/fp.rs`).
//!
//! Operand scanning (CIOS): for each limb b[i], one row `t += a·b[i]` and one row
//! `t = (t + m·p) / 2^64` with m = t[0]·(−p⁻¹) mod 2^64, each row running two independent carry
//! chains (ADOX for the accumulator, ADCX for the high halves). The accumulator (17 limbs) lives
//! in a stack buffer; the final conditional subtraction is a masked select. The instruction
//! sequence is fixed (no data-dependent branch or address): constant time.
//! The kernels themselves (the 16 unrolled row pairs of the product, the dedicated square)
//! are generated into `fp_mulx/kernels.rs` by `scripts/gen-fp-mulx.py`; change the
//! generator, not single lines (a test checks the file is the generator's output).
//!
//! On CPUs with AVX-512 IFMA and VBMI the field uses
//! [`Ifma52`](super::fp_ifma::Ifma52) instead (one product on the vector lanes, radix 2^52,
//! `fp_ifma/ifma52.rs`): measured here, the MULX/ADX schedules all
//! run at ≈ 1.4 cycles per 64×64 term, bound by the two flag chains rather than by where the
//! accumulator lives (register-resident 8×8 blocks, hybrid strips and a Karatsuba variant were
//! no faster than this kernel), so these kernels remain the path for CPUs without IFMA.

use crate::sakke::params::P;

mod kernels;
use kernels::{mont_mul, mont_sqr};

/// Number of limbs.
const N: usize = 16;

cpufeatures::new!(mulx_adx_cpuid, "bmi2", "adx");

/// Proof that the CPU has BMI2 (MULX) and ADX (ADCX/ADOX); the only way to reach the kernels
/// of this file, which would raise #UD on a CPU without them. The kernels themselves are
/// private:
///
/// ```compile_fail
/// let a = [0u64; 16];
/// let _ = prose_sec::backend::x86_64::fp_mulx::mont_mul(&a, &a);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct MulxAdx {
    _private: (),
}

impl MulxAdx {
    /// Detects the features at run time (cached by `cpufeatures`); `None` without them.
    #[inline]
    pub fn get() -> Option<Self> {
        mulx_adx_cpuid::get().then_some(MulxAdx { _private: () })
    }

    /// Montgomery product `a·b·2^-1024 mod p` for `a, b < p`, fully reduced.
    #[inline]
    pub fn mont_mul(self, a: &[u64; N], b: &[u64; N]) -> [u64; N] {
        mont_mul(a, b)
    }

    /// Montgomery square `a²·2^-1024 mod p` for `a < p`, fully reduced.
    #[inline]
    pub fn mont_sqr(self, a: &[u64; N]) -> [u64; N] {
        mont_sqr(a)
    }
}

/// `t + top·2^1024 − p` if that is non-negative, else `t` (masked select, constant time);
/// the input is below 2p.
#[inline(always)]
fn sub_p_if_ge(t: &[u64; N], top: u64) -> [u64; N] {
    let mut d = [0u64; N];
    let mut borrow = 0u64;
    for j in 0..N {
        let (x, b1) = t[j].overflowing_sub(P[j]);
        let (y, b2) = x.overflowing_sub(borrow);
        d[j] = y;
        borrow = (b1 | b2) as u64;
    }
    let keep_d = (top | (borrow ^ 1)).wrapping_neg();
    let mut out = [0u64; N];
    for j in 0..N {
        out[j] = t[j] ^ (keep_d & (t[j] ^ d[j]));
    }
    out
}

#[cfg(test)]
mod tests {
    //! Both kernels of this file against num-bigint, called directly (the dispatcher in
    //! `sakke/fp.rs` prefers the IFMA kernel, so the MULX/ADX one is only reached here on
    //! machines that have both).
    use super::*;
    use crate::backend::x86_64::fp_ifma::Ifma52;
    use num_bigint::BigUint;

    fn big(l: &[u64; N]) -> BigUint {
        let mut v = Vec::with_capacity(8 * N);
        for x in l {
            v.extend_from_slice(&x.to_le_bytes());
        }
        BigUint::from_bytes_le(&v)
    }

    /// Values below p: edge values, all-ones/all-zero limb patterns, limbs of p and p ± 1,
    /// and random limbs.
    fn sample(k: usize, rnd: &mut impl FnMut() -> u64) -> [u64; N] {
        let mut x = [0u64; N];
        match k % 8 {
            0 => {}
            1 => x[0] = 1,
            2 => {
                x = P;
                x[0] -= 1;
            }
            3 => {
                x = P;
                x[0] -= 2;
            }
            4 => {
                for l in x.iter_mut() {
                    *l = if rnd() & 1 == 1 { u64::MAX } else { 0 };
                }
            }
            5 => {
                x = [u64::MAX; N];
            }
            6 => {
                for (j, l) in x.iter_mut().enumerate() {
                    *l = match rnd() % 4 {
                        0 => P[j],
                        1 => P[j].wrapping_add(1),
                        2 => P[j].wrapping_sub(1),
                        _ => rnd(),
                    };
                }
            }
            _ => {
                for l in x.iter_mut() {
                    *l = rnd();
                }
            }
        }
        if x[N - 1] >= P[N - 1] {
            x[N - 1] = P[N - 1] - 1 - (x[N - 1] & 0xff);
        }
        x
    }

    #[test]
    fn kernels_match_bigint() {
        let p = big(&P);
        let r: BigUint = (BigUint::from(1u8) << 1024) % &p;
        let rinv = r.modpow(&(&p - 2u8), &p);
        let mut s = 0x0123_4567_89ab_cdefu64;
        let mut rnd = move || {
            s = s.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = s;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        let mulx = cpufeatures_mulx::get();
        let ifma = Ifma52::get();
        assert!(mulx || ifma.is_none(), "an IFMA CPU without BMI2/ADX");
        for n in 0..3000 {
            let a = sample(n, &mut rnd);
            let b = sample(n / 8 + 3 * n + 1, &mut rnd);
            let want = big(&a) * big(&b) * &rinv % &p;
            let want_sq = big(&a) * big(&a) * &rinv % &p;
            if mulx {
                assert_eq!(big(&mont_mul(&a, &b)), want, "mulx a = {a:x?} b = {b:x?}");
                assert_eq!(big(&mont_sqr(&a)), want_sq, "mulx sqr a = {a:x?}");
            }
            if let Some(k) = ifma {
                assert_eq!(big(&k.mont_mul(&a, &b)), want, "ifma a = {a:x?} b = {b:x?}");
                assert_eq!(big(&k.mont_sqr(&a)), want_sq, "ifma sqr a = {a:x?}");
            }
        }
    }

    cpufeatures::new!(cpufeatures_mulx, "bmi2", "adx");
}
