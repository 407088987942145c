//! Constant-time modular inversion by Bernstein–Yang "safegcd" divsteps (2019), in the signed
//! 62-bit-limb formulation (batches of 62 branch-free divsteps giving a 2×2 transition matrix,
//! applied to (f, g) exactly and to (d, e) modulo M), for odd moduli of `N` × 64-bit limbs.
//! The number of rounds is fixed by the Bernstein–Yang bound for 64N-bit inputs
//! (⌊(49·64N + 57)/17⌋ divsteps: 2954 ≤ 48·62 for SAKKE's 1024 bits, 741 ≤ 12·62 for ECCSI's
//! 256), so the running time does not depend on the value. Written from the paper's
//! description.
//!
//! `S` is the number of signed 62-bit limbs, N + 1 (checked when the modulus is built): it
//! holds the values of (−2M, 2M) with their sign for N ≤ 30.

const M62: u64 = u64::MAX >> 2;

/// A modulus of `N` limbs prepared for inversion (`S` = N + 1 signed 62-bit limbs).
pub(crate) struct Modulus62<const N: usize, const S: usize> {
    m: [i64; S],
    /// m⁻¹ mod 2^62
    inv62: u64,
    limbs: [u64; N],
    /// Rounds of 62 divsteps for a modulus of 64N bits.
    rounds: usize,
}

const fn to_s62<const N: usize, const S: usize>(x: &[u64; N]) -> [i64; S] {
    let mut out = [0i64; S];
    let mut i = 0;
    while i < S {
        let bit = 62 * i;
        let limb = bit / 64;
        let off = bit % 64;
        let mut v = if limb < N { x[limb] >> off } else { 0 };
        if off > 2 && limb + 1 < N {
            v |= x[limb + 1] << (64 - off);
        }
        out[i] = (v & M62) as i64;
        i += 1;
    }
    out
}

impl<const N: usize, const S: usize> Modulus62<N, S> {
    /// Prepares the odd modulus `m` (at most 64N bits).
    pub(crate) const fn new(m: &[u64; N]) -> Self {
        assert!(S == N + 1 && N <= 30, "S must be N + 1 signed 62-bit limbs");
        assert!(m[0] & 1 == 1, "the modulus must be odd");
        // m⁻¹ mod 2^64 by Newton, then truncated
        let m0 = m[0];
        let mut x: u64 = 1;
        let mut i = 0;
        while i < 7 {
            x = x.wrapping_mul(2u64.wrapping_sub(m0.wrapping_mul(x)));
            i += 1;
        }
        Modulus62 {
            m: to_s62(m),
            inv62: x & M62,
            limbs: *m,
            rounds: ((49 * 64 * N + 57) / 17).div_ceil(62),
        }
    }

    /// x⁻¹ mod M for 0 ≤ x < M (0 maps to 0), constant time.
    pub(crate) fn invert(&self, x: &[u64; N]) -> [u64; N] {
        invert_rounds(x, self, self.rounds)
    }
}

/// 62 divsteps on the low bits of f and g; returns the new delta and the matrix (u, v, q, r)
/// with 2^62·[f'; g'] = [[u, v], [q, r]]·[f; g]. Branch-free.
#[inline(always)]
fn divsteps_62(mut delta: i64, f0: u64, g0: u64) -> (i64, [i64; 4]) {
    let (mut u, mut v, mut q, mut r) = (1u64, 0u64, 0u64, 1u64);
    let (mut f, mut g) = (f0, g0);
    for _ in 0..62 {
        let c1 = (delta.wrapping_neg() >> 63) as u64; // delta > 0
        let c2 = (g & 1).wrapping_neg(); // g odd
        let c = c1 & c2;
        // if c: (f, g, u, v, q, r, delta) <- (g, −f, q, r, −u, −v, −delta)
        let x = (f ^ g) & c;
        f ^= x;
        g ^= x;
        g = (g ^ c).wrapping_sub(c);
        let x = (u ^ q) & c;
        u ^= x;
        q ^= x;
        q = (q ^ c).wrapping_sub(c);
        let x = (v ^ r) & c;
        v ^= x;
        r ^= x;
        r = (r ^ c).wrapping_sub(c);
        delta = (delta ^ c as i64).wrapping_sub(c as i64);
        // if g odd: g += f, q += u, r += v
        g = g.wrapping_add(f & c2);
        q = q.wrapping_add(u & c2);
        r = r.wrapping_add(v & c2);
        // g /= 2, (u, v) *= 2
        g >>= 1;
        u <<= 1;
        v <<= 1;
        delta = delta.wrapping_add(1);
    }
    (delta, [u as i64, v as i64, q as i64, r as i64])
}

/// [f; g] <- t·[f; g] / 2^62 (exact).
#[inline(always)]
fn update_fg<const S: usize>(f: &mut [i64; S], g: &mut [i64; S], t: &[i64; 4]) {
    let (u, v, q, r) = (t[0] as i128, t[1] as i128, t[2] as i128, t[3] as i128);
    let mut cf = u * f[0] as i128 + v * g[0] as i128;
    let mut cg = q * f[0] as i128 + r * g[0] as i128;
    cf >>= 62;
    cg >>= 62;
    for i in 1..S {
        cf += u * f[i] as i128 + v * g[i] as i128;
        cg += q * f[i] as i128 + r * g[i] as i128;
        f[i - 1] = (cf as u64 & M62) as i64;
        g[i - 1] = (cg as u64 & M62) as i64;
        cf >>= 62;
        cg >>= 62;
    }
    f[S - 1] = cf as i64;
    g[S - 1] = cg as i64;
}

/// [d; e] <- t·[d; e] / 2^62 mod M, keeping both in (−2M, M).
#[inline(always)]
fn update_de<const N: usize, const S: usize>(
    d: &mut [i64; S],
    e: &mut [i64; S],
    t: &[i64; 4],
    m: &Modulus62<N, S>,
) {
    let (u, v, q, r) = (t[0], t[1], t[2], t[3]);
    let sd = d[S - 1] >> 63;
    let se = e[S - 1] >> 63;
    let mut md = (u & sd).wrapping_add(v & se);
    let mut me = (q & sd).wrapping_add(r & se);
    let (u, v, q, r) = (u as i128, v as i128, q as i128, r as i128);
    let mut cd = u * d[0] as i128 + v * e[0] as i128;
    let mut ce = q * d[0] as i128 + r * e[0] as i128;
    md = md.wrapping_sub((m.inv62.wrapping_mul(cd as u64).wrapping_add(md as u64) & M62) as i64);
    me = me.wrapping_sub((m.inv62.wrapping_mul(ce as u64).wrapping_add(me as u64) & M62) as i64);
    let (mdw, mew) = (md as i128, me as i128);
    cd += m.m[0] as i128 * mdw;
    ce += m.m[0] as i128 * mew;
    cd >>= 62;
    ce >>= 62;
    for i in 1..S {
        cd += u * d[i] as i128 + v * e[i] as i128 + m.m[i] as i128 * mdw;
        ce += q * d[i] as i128 + r * e[i] as i128 + m.m[i] as i128 * mew;
        d[i - 1] = (cd as u64 & M62) as i64;
        e[i - 1] = (ce as u64 & M62) as i64;
        cd >>= 62;
        ce >>= 62;
    }
    d[S - 1] = cd as i64;
    e[S - 1] = ce as i64;
}

/// Two's-complement packing of a signed-62 value into S = N + 1 u64 limbs.
fn pack<const S: usize>(x: &[i64; S]) -> [u64; S] {
    let mut out = [0u64; S];
    let mut acc: i128 = 0;
    let mut acc_bits = 0usize;
    let mut o = 0usize;
    for (i, &l) in x.iter().enumerate() {
        // lower limbs are in [0, 2^62); the top one carries the sign
        let l = if i + 1 < S { l & M62 as i64 } else { l };
        acc |= (l as i128) << acc_bits;
        acc_bits += 62;
        while acc_bits >= 64 && o < S {
            out[o] = acc as u64;
            acc >>= 64; // arithmetic: keeps the sign for the top limb
            acc_bits -= 64;
            o += 1;
        }
    }
    while o < S {
        out[o] = acc as u64;
        acc >>= 64;
        o += 1;
    }
    out
}

fn add_s<const S: usize>(a: &[u64; S], b: &[u64; S]) -> [u64; S] {
    let mut out = [0u64; S];
    let mut c = 0u64;
    for i in 0..S {
        let s = a[i] as u128 + b[i] as u128 + c as u128;
        out[i] = s as u64;
        c = (s >> 64) as u64;
    }
    out
}

/// a − b if that is not negative, else a (masked; a, b non-negative, 64·S-bit).
fn csub_s<const S: usize>(a: &[u64; S], b: &[u64; S]) -> [u64; S] {
    let mut d = [0u64; S];
    let mut borrow = 0u64;
    for i in 0..S {
        let t = (a[i] as u128)
            .wrapping_sub(b[i] as u128)
            .wrapping_sub(borrow as u128);
        d[i] = t as u64;
        borrow = ((t >> 64) as u64) & 1;
    }
    let keep_a = borrow.wrapping_neg();
    let mut out = [0u64; S];
    for i in 0..S {
        out[i] = d[i] ^ (keep_a & (d[i] ^ a[i]));
    }
    out
}

fn invert_rounds<const N: usize, const S: usize>(
    x: &[u64; N],
    m: &Modulus62<N, S>,
    rounds: usize,
) -> [u64; N] {
    let mut f = m.m;
    let mut g: [i64; S] = to_s62(x);
    let mut d = [0i64; S];
    let mut e = [0i64; S];
    e[0] = 1;
    let mut delta = 1i64;
    for _ in 0..rounds {
        let (nd, t) = divsteps_62(delta, f[0] as u64, g[0] as u64);
        delta = nd;
        update_de(&mut d, &mut e, &t, m);
        update_fg(&mut f, &mut g, &t);
    }
    // f = ±1 (for x ≠ 0): x⁻¹ = sign(f)·d, d ∈ (−2M, M)
    let sf = (f[S - 1] >> 63) as u64; // all ones if f < 0
    let dp = pack(&d);
    // conditional negation: (dp ^ s) − s
    let mut neg = [0u64; S];
    let mut c = 1u64 & sf;
    for i in 0..S {
        let s = (dp[i] ^ sf) as u128 + c as u128;
        neg[i] = s as u64;
        c = (s >> 64) as u64;
    }
    // v ∈ (−2M, 2M): add 2M, then reduce from [0, 4M) with two masked subtractions
    let mut m1 = [0u64; S];
    m1[..N].copy_from_slice(&m.limbs);
    let m2 = add_s(&m1, &m1);
    let v = add_s(&neg, &m2);
    let v = csub_s(&v, &m2);
    let v = csub_s(&v, &m1);
    let mut out = [0u64; N];
    out.copy_from_slice(&v[..N]);
    out
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

    /// Both instances (4 and 16 limbs) against Fermat in num-bigint, 0 ↦ 0.
    fn check<const N: usize, const S: usize>(m: [u64; N]) {
        let md: Modulus62<N, S> = Modulus62::new(&m);
        let bm = big(&m);
        let mut s = 0x0123_4567_89ab_cdefu64;
        let mut rnd = move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        let mut pm1 = m;
        pm1[0] -= 1;
        let mut ones = [u64::MAX; N];
        ones[N - 1] = m[N - 1] - 1;
        let mut vals = vec![[0u64; N], pm1, ones];
        vals.push({
            let mut one = [0u64; N];
            one[0] = 1;
            one
        });
        for _ in 0..40 {
            let mut v = [0u64; N];
            for l in v.iter_mut() {
                *l = rnd();
            }
            v[N - 1] %= m[N - 1];
            vals.push(v);
        }
        for x in vals {
            let want = big(&x).modpow(&(&bm - 2u8), &bm);
            assert_eq!(big(&md.invert(&x)), want, "x = {x:x?}");
        }
    }

    #[test]
    fn four_and_sixteen_limbs_match_fermat() {
        check::<4, 5>(crate::eccsi::N_LIMBS);
        check::<16, 17>(crate::sakke::params::P);
        check::<16, 17>(crate::sakke::params::Q);
    }
}
