//! Constant-time multi-precision helpers on `N` × 64-bit limbs (little-endian) and the
//! portable Montgomery product (CIOS). Every function here runs in time independent of the
//! limb values; `N` is a public parameter (16 for SAKKE, 4 for ECCSI).

/// `acc + a·b + carry` as (low word, high word).
#[inline(always)]
pub(crate) fn mac(acc: u64, a: u64, b: u64, carry: u64) -> (u64, u64) {
    let t = (acc as u128) + (a as u128) * (b as u128) + (carry as u128);
    (t as u64, (t >> 64) as u64)
}

/// `a + b + carry` as (sum, carry out).
#[inline(always)]
pub(crate) fn adc(a: u64, b: u64, carry: u64) -> (u64, u64) {
    let t = (a as u128) + (b as u128) + (carry as u128);
    (t as u64, (t >> 64) as u64)
}

/// `a − b − borrow`, with `borrow` given and returned as 0 or all-ones.
#[inline(always)]
pub(crate) fn sbb(a: u64, b: u64, borrow: u64) -> (u64, u64) {
    let t = (a as u128).wrapping_sub((b as u128) + ((borrow >> 63) as u128));
    (t as u64, (t >> 64) as u64)
}

/// `a + b` with the carry out.
#[inline(always)]
pub(crate) fn add<const N: usize>(a: &[u64; N], b: &[u64; N]) -> ([u64; N], u64) {
    let mut out = [0u64; N];
    let mut carry = 0u64;
    for i in 0..N {
        let s = a[i] as u128 + b[i] as u128 + carry as u128;
        out[i] = s as u64;
        carry = (s >> 64) as u64;
    }
    (out, carry)
}

/// `a - b` with the borrow out (0 or 1).
#[inline(always)]
pub(crate) fn sub<const N: usize>(a: &[u64; N], b: &[u64; N]) -> ([u64; N], u64) {
    let mut out = [0u64; N];
    let mut borrow = 0u64;
    for i in 0..N {
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
pub(crate) fn select<const N: usize>(a: &[u64; N], b: &[u64; N], mask: u64) -> [u64; N] {
    let mut out = [0u64; N];
    for i in 0..N {
        out[i] = a[i] ^ (mask & (a[i] ^ b[i]));
    }
    out
}

/// All-ones mask if `a == b`.
#[inline(always)]
pub(crate) fn eq_mask<const N: usize>(a: &[u64; N], b: &[u64; N]) -> u64 {
    let mut acc = 0u64;
    for i in 0..N {
        acc |= a[i] ^ b[i];
    }
    // acc == 0 -> all ones
    ((acc | acc.wrapping_neg()) >> 63).wrapping_sub(1)
}

/// All-ones mask if `a < b`.
#[inline(always)]
pub(crate) fn lt_mask<const N: usize>(a: &[u64; N], b: &[u64; N]) -> u64 {
    let (_, borrow) = sub(a, b);
    borrow.wrapping_neg()
}

/// `(a + b) mod m` for `a, b < m`.
#[inline(always)]
pub(crate) fn add_mod<const N: usize>(a: &[u64; N], b: &[u64; N], m: &[u64; N]) -> [u64; N] {
    let (s, carry) = add(a, b);
    let (d, borrow) = sub(&s, m);
    // keep d when carry set or no borrow
    let keep_d = (carry | (borrow ^ 1)).wrapping_neg();
    select(&s, &d, keep_d)
}

/// `(a - b) mod m` for `a, b < m`.
#[inline(always)]
pub(crate) fn sub_mod<const N: usize>(a: &[u64; N], b: &[u64; N], m: &[u64; N]) -> [u64; N] {
    let (d, borrow) = sub(a, b);
    let masked = select(&[0u64; N], m, borrow.wrapping_neg());
    add(&d, &masked).0
}

/// Montgomery product `a·b·2^(−64N) mod m` (CIOS). Requires `a·b < m·2^(64N)` and an m of at
/// most 64N bits; the output is fully reduced (< m) when additionally `a, b < m`. `inv` is
/// −m⁻¹ mod 2^64.
#[inline(always)]
pub(crate) fn mont_mul<const N: usize>(
    a: &[u64; N],
    b: &[u64; N],
    m: &[u64; N],
    inv: u64,
) -> [u64; N] {
    // t[0..N] with t[N], t[N + 1] as two extra words
    let mut t = [0u64; N];
    let mut t_n = 0u64;
    for &bi in b.iter() {
        let mut c = 0u64;
        for j in 0..N {
            let s = t[j] as u128 + (a[j] as u128) * (bi as u128) + c as u128;
            t[j] = s as u64;
            c = (s >> 64) as u64;
        }
        let s = t_n as u128 + c as u128;
        t_n = s as u64;
        let t_n1 = (s >> 64) as u64;

        let k = t[0].wrapping_mul(inv);
        let s = t[0] as u128 + (k as u128) * (m[0] as u128);
        let mut c = (s >> 64) as u64;
        for j in 1..N {
            let s = t[j] as u128 + (k as u128) * (m[j] as u128) + c as u128;
            t[j - 1] = s as u64;
            c = (s >> 64) as u64;
        }
        let s = t_n as u128 + c as u128;
        t[N - 1] = s as u64;
        t_n = t_n1 + ((s >> 64) as u64);
    }
    let (d, borrow) = sub(&t, m);
    let keep_d = (t_n | (borrow ^ 1)).wrapping_neg();
    select(&t, &d, keep_d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use num_bigint::BigUint;

    fn big<const N: usize>(l: &[u64; N]) -> BigUint {
        let mut v = Vec::with_capacity(8 * N);
        for x in l {
            v.extend_from_slice(&x.to_le_bytes());
        }
        BigUint::from_bytes_le(&v)
    }

    /// The 4-limb instance (P-256's p) against num-bigint, with edge values.
    #[test]
    fn four_limb_ops_match_bigint() {
        let m = [
            0xFFFF_FFFF_FFFF_FFFFu64,
            0x0000_0000_FFFF_FFFF,
            0,
            0xFFFF_FFFF_0000_0001,
        ];
        // -m^-1 mod 2^64
        let mut x: u64 = 1;
        for _ in 0..7 {
            x = x.wrapping_mul(2u64.wrapping_sub(m[0].wrapping_mul(x)));
        }
        let inv = x.wrapping_neg();
        let bm = big(&m);
        let r: BigUint = (BigUint::from(1u8) << 256u32) % &bm;
        let rinv = r.modpow(&(&bm - 2u8), &bm);
        let mut s = 0x0123_4567_89ab_cdefu64;
        let mut rnd = move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        let mut pm1 = m;
        pm1[0] -= 1;
        let mut vals = vec![[0u64; 4], [1, 0, 0, 0], pm1];
        for _ in 0..200 {
            let mut v = [rnd(), rnd(), rnd(), rnd()];
            v[3] %= m[3];
            vals.push(v);
        }
        for a in &vals {
            for b in vals.iter().take(20) {
                let (ba, bb) = (big(a), big(b));
                assert_eq!(big(&add_mod(a, b, &m)), (&ba + &bb) % &bm);
                assert_eq!(big(&sub_mod(a, b, &m)), (&ba + &bm - &bb) % &bm);
                assert_eq!(big(&mont_mul(a, b, &m, inv)), &ba * &bb * &rinv % &bm);
                assert_eq!(lt_mask(a, b) == u64::MAX, ba < bb);
                assert_eq!(eq_mask(a, b) == u64::MAX, ba == bb);
            }
        }
    }
}
