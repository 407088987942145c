//! Portable constant-time multi-precision helpers on 16 × 64-bit limbs (little-endian), and the
//! portable Montgomery product (CIOS) used for F_p (when MULX/ADX is absent) and for integers
//! modulo q. Every function here runs in time independent of the limb values.

use super::params::LIMBS;

pub(crate) type Limbs = [u64; LIMBS];

/// `a + b` with the carry out.
#[inline(always)]
pub(crate) fn add(a: &Limbs, b: &Limbs) -> (Limbs, u64) {
    let mut out = [0u64; LIMBS];
    let mut carry = 0u64;
    for i in 0..LIMBS {
        let s = a[i] as u128 + b[i] as u128 + carry as u128;
        out[i] = s as u64;
        carry = (s >> 64) as u64;
    }
    (out, carry)
}

/// `a - b` with the borrow out (0 or 1).
#[inline(always)]
pub(crate) fn sub(a: &Limbs, b: &Limbs) -> (Limbs, u64) {
    let mut out = [0u64; LIMBS];
    let mut borrow = 0u64;
    for i in 0..LIMBS {
        let d = (a[i] as u128)
            .wrapping_sub(b[i] as u128)
            .wrapping_sub(borrow as u128);
        out[i] = d as u64;
        borrow = ((d >> 64) as u64) & 1;
    }
    (out, borrow)
}

/// `mask ? b : a` for a mask of all ones or all zeros.
#[inline(always)]
pub(crate) fn select(a: &Limbs, b: &Limbs, mask: u64) -> Limbs {
    let mut out = [0u64; LIMBS];
    for i in 0..LIMBS {
        out[i] = a[i] ^ (mask & (a[i] ^ b[i]));
    }
    out
}

/// All-ones mask if `a == b`.
#[inline(always)]
pub(crate) fn eq_mask(a: &Limbs, b: &Limbs) -> u64 {
    let mut acc = 0u64;
    for i in 0..LIMBS {
        acc |= a[i] ^ b[i];
    }
    // acc == 0 -> all ones
    ((acc | acc.wrapping_neg()) >> 63).wrapping_sub(1)
}

/// All-ones mask if `a < b`.
#[inline(always)]
pub(crate) fn lt_mask(a: &Limbs, b: &Limbs) -> u64 {
    let (_, borrow) = sub(a, b);
    borrow.wrapping_neg()
}

/// `(a + b) mod m` for `a, b < m`.
#[inline(always)]
pub(crate) fn add_mod(a: &Limbs, b: &Limbs, m: &Limbs) -> Limbs {
    let (s, carry) = add(a, b);
    let (d, borrow) = sub(&s, m);
    // keep d when carry set or no borrow
    let keep_d = (carry | (borrow ^ 1)).wrapping_neg();
    select(&s, &d, keep_d)
}

/// `(a - b) mod m` for `a, b < m`.
#[inline(always)]
pub(crate) fn sub_mod(a: &Limbs, b: &Limbs, m: &Limbs) -> Limbs {
    let (d, borrow) = sub(a, b);
    let masked = select(&[0u64; LIMBS], m, borrow.wrapping_neg());
    add(&d, &masked).0
}

/// Montgomery product `a·b·2^-1024 mod m` (CIOS). Requires `a·b < m·2^1024` and an m of at
/// most 1024 bits; the output is fully reduced (< m) when additionally `a, b < m`.
#[inline(always)]
pub(crate) fn mont_mul(a: &Limbs, b: &Limbs, m: &Limbs, inv: u64) -> Limbs {
    let mut t = [0u64; LIMBS + 2];
    for &bi in b.iter() {
        let mut c = 0u64;
        for j in 0..LIMBS {
            let s = t[j] as u128 + (a[j] as u128) * (bi as u128) + c as u128;
            t[j] = s as u64;
            c = (s >> 64) as u64;
        }
        let s = t[LIMBS] as u128 + c as u128;
        t[LIMBS] = s as u64;
        t[LIMBS + 1] = (s >> 64) as u64;

        let k = t[0].wrapping_mul(inv);
        let s = t[0] as u128 + (k as u128) * (m[0] as u128);
        let mut c = (s >> 64) as u64;
        for j in 1..LIMBS {
            let s = t[j] as u128 + (k as u128) * (m[j] as u128) + c as u128;
            t[j - 1] = s as u64;
            c = (s >> 64) as u64;
        }
        let s = t[LIMBS] as u128 + c as u128;
        t[LIMBS - 1] = s as u64;
        t[LIMBS] = t[LIMBS + 1] + ((s >> 64) as u64);
    }
    let mut r = [0u64; LIMBS];
    r.copy_from_slice(&t[..LIMBS]);
    let (d, borrow) = sub(&r, m);
    let keep_d = (t[LIMBS] | (borrow ^ 1)).wrapping_neg();
    select(&r, &d, keep_d)
}

/// Big-endian octets (exactly 128) to limbs.
pub(crate) fn from_be128(bytes: &[u8; 128]) -> Limbs {
    let mut out = [0u64; LIMBS];
    for (i, limb) in out.iter_mut().enumerate() {
        let off = 128 - 8 * (i + 1);
        let mut w = [0u8; 8];
        w.copy_from_slice(&bytes[off..off + 8]);
        *limb = u64::from_be_bytes(w);
    }
    out
}

/// Limbs to 128 big-endian octets.
pub(crate) fn to_be128(a: &Limbs) -> [u8; 128] {
    let mut out = [0u8; 128];
    for (i, limb) in a.iter().enumerate() {
        let off = 128 - 8 * (i + 1);
        out[off..off + 8].copy_from_slice(&limb.to_be_bytes());
    }
    out
}

/// Bit `i` of a public exponent.
#[inline(always)]
pub(crate) fn bit(e: &Limbs, i: usize) -> u64 {
    (e[i / 64] >> (i % 64)) & 1
}

/// Number of significant bits of a public value.
pub(crate) fn bits_vartime(e: &Limbs) -> usize {
    for i in (0..LIMBS).rev() {
        if e[i] != 0 {
            return 64 * i + 64 - e[i].leading_zeros() as usize;
        }
    }
    0
}
