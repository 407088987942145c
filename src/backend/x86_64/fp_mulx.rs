//! 1024-bit Montgomery product and square modulo the SAKKE prime p (RFC 6509 parameter set 1)
//! with MULX/ADCX/ADOX. Reached only after run-time detection of BMI2 and ADX.

use crate::sakke::params::{P, P_INV};

/// Number of limbs.
const N: usize = 16;

/// Montgomery product `a·b·2^-1024 mod p` for `a, b < p`, fully reduced.
/// Callers must have checked BMI2 and ADX with `cpufeatures`.
#[inline]
pub fn mont_mul(a: &[u64; N], b: &[u64; N]) -> [u64; N] {
    // SAFETY: the caller detected bmi2 and adx at run time (see sakke/fp.rs).
    unsafe { mont_mul_adx(a, b) }
}

/// Montgomery square `a²·2^-1024 mod p` for `a < p`, fully reduced.
#[inline]
pub fn mont_sqr(a: &[u64; N]) -> [u64; N] {
    // SAFETY: the caller detected bmi2 and adx at run time (see sakke/fp.rs).
    unsafe { mont_mul_adx(a, a) }
}

#[target_feature(enable = "bmi2,adx")]
unsafe fn mont_mul_adx(a: &[u64; N], b: &[u64; N]) -> [u64; N] {
    use core::arch::x86_64::{_addcarryx_u64, _mulx_u64};
    let mut t = [0u64; N + 2];
    for &bi in b.iter() {
        // t += a * bi
        let mut lo_carry = 0u8;
        let mut hi_carry = 0u8;
        let mut his = [0u64; N];
        let mut los = [0u64; N];
        for j in 0..N {
            let mut hi = 0u64;
            los[j] = _mulx_u64(a[j], bi, &mut hi);
            his[j] = hi;
        }
        for j in 0..N {
            let mut s = 0u64;
            lo_carry = _addcarryx_u64(lo_carry, t[j], los[j], &mut s);
            t[j] = s;
        }
        let mut s = 0u64;
        lo_carry = _addcarryx_u64(lo_carry, t[N], 0, &mut s);
        t[N] = s;
        t[N + 1] = lo_carry as u64;
        for j in 0..N {
            let mut s = 0u64;
            hi_carry = _addcarryx_u64(hi_carry, t[j + 1], his[j], &mut s);
            t[j + 1] = s;
        }
        let mut s = 0u64;
        _addcarryx_u64(hi_carry, t[N + 1], 0, &mut s);
        t[N + 1] = s;

        // reduce: t += k * p, shift one limb
        let k = t[0].wrapping_mul(P_INV);
        let mut c1 = 0u8;
        let mut c2 = 0u8;
        for j in 0..N {
            let mut hi = 0u64;
            los[j] = _mulx_u64(k, P[j], &mut hi);
            his[j] = hi;
        }
        for j in 0..N {
            let mut s = 0u64;
            c1 = _addcarryx_u64(c1, t[j], los[j], &mut s);
            t[j] = s;
        }
        let mut s = 0u64;
        c1 = _addcarryx_u64(c1, t[N], 0, &mut s);
        t[N] = s;
        let mut s2 = 0u64;
        _addcarryx_u64(c1, t[N + 1], 0, &mut s2);
        t[N + 1] = s2;
        for j in 0..N {
            let mut s = 0u64;
            c2 = _addcarryx_u64(c2, t[j + 1], his[j], &mut s);
            t[j + 1] = s;
        }
        let mut s = 0u64;
        _addcarryx_u64(c2, t[N + 1], 0, &mut s);
        t[N + 1] = s;
        // t[0] is now zero: shift
        for j in 0..N + 1 {
            t[j] = t[j + 1];
        }
        t[N + 1] = 0;
    }
    // conditional subtraction of p
    let mut d = [0u64; N];
    let mut borrow = 0u8;
    for j in 0..N {
        let (x, b1) = t[j].overflowing_sub(P[j]);
        let (y, b2) = x.overflowing_sub(borrow as u64);
        d[j] = y;
        borrow = (b1 | b2) as u8;
    }
    let keep_d = (t[N] | ((borrow as u64) ^ 1)).wrapping_neg();
    let mut out = [0u64; N];
    for j in 0..N {
        out[j] = t[j] ^ (keep_d & (t[j] ^ d[j]));
    }
    out
}
