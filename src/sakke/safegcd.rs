//! Constant-time modular inversion by Bernstein–Yang "safegcd" divsteps (2019), in the signed
//! 62-bit-limb formulation (batches of 62 branch-free divsteps giving a 2×2 transition matrix,
//! applied to (f, g) exactly and to (d, e) modulo M). The number of rounds is fixed by the
//! Bernstein–Yang bound for 1024-bit inputs (⌊(49·1024 + 57)/17⌋ = 2955 divsteps ≤ 48·62), so the
//! running time does not depend on the value. Written from the paper's description.

use super::mont::Limbs;
use super::params::LIMBS;

/// Signed 62-bit limbs (little-endian, top limb signed): 17 × 62 = 1054 bits.
const N62: usize = 17;
const M62: u64 = u64::MAX >> 2;
/// Rounds of 62 divsteps (2976 ≥ 2955).
const ROUNDS: usize = 48;

type S62 = [i64; N62];

/// A modulus prepared for inversion.
pub(crate) struct Modulus62 {
    m: S62,
    /// m⁻¹ mod 2^62
    inv62: u64,
    limbs: Limbs,
}

const fn to_s62(x: &Limbs) -> S62 {
    let mut out = [0i64; N62];
    let mut i = 0;
    while i < N62 {
        let bit = 62 * i;
        let limb = bit / 64;
        let off = bit % 64;
        let mut v = if limb < LIMBS { x[limb] >> off } else { 0 };
        if off > 2 && limb + 1 < LIMBS {
            v |= x[limb + 1] << (64 - off);
        }
        out[i] = (v & M62) as i64;
        i += 1;
    }
    out
}

impl Modulus62 {
    pub(crate) const fn new(m: &Limbs) -> Modulus62 {
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
        }
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
fn update_fg(f: &mut S62, g: &mut S62, t: &[i64; 4]) {
    let (u, v, q, r) = (t[0] as i128, t[1] as i128, t[2] as i128, t[3] as i128);
    let mut cf = u * f[0] as i128 + v * g[0] as i128;
    let mut cg = q * f[0] as i128 + r * g[0] as i128;
    cf >>= 62;
    cg >>= 62;
    for i in 1..N62 {
        cf += u * f[i] as i128 + v * g[i] as i128;
        cg += q * f[i] as i128 + r * g[i] as i128;
        f[i - 1] = (cf as u64 & M62) as i64;
        g[i - 1] = (cg as u64 & M62) as i64;
        cf >>= 62;
        cg >>= 62;
    }
    f[N62 - 1] = cf as i64;
    g[N62 - 1] = cg as i64;
}

/// [d; e] <- t·[d; e] / 2^62 mod M, keeping both in (−2M, M).
#[inline(always)]
fn update_de(d: &mut S62, e: &mut S62, t: &[i64; 4], m: &Modulus62) {
    let (u, v, q, r) = (t[0], t[1], t[2], t[3]);
    let sd = d[N62 - 1] >> 63;
    let se = e[N62 - 1] >> 63;
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
    for i in 1..N62 {
        cd += u * d[i] as i128 + v * e[i] as i128 + m.m[i] as i128 * mdw;
        ce += q * d[i] as i128 + r * e[i] as i128 + m.m[i] as i128 * mew;
        d[i - 1] = (cd as u64 & M62) as i64;
        e[i - 1] = (ce as u64 & M62) as i64;
        cd >>= 62;
        ce >>= 62;
    }
    d[N62 - 1] = cd as i64;
    e[N62 - 1] = ce as i64;
}

/// Two's-complement packing of a signed-62 value into 17 u64 limbs (1088 bits).
fn pack(x: &S62) -> [u64; LIMBS + 1] {
    let mut out = [0u64; LIMBS + 1];
    let mut acc: i128 = 0;
    let mut acc_bits = 0usize;
    let mut o = 0usize;
    for (i, &l) in x.iter().enumerate() {
        // lower limbs are in [0, 2^62); the top one carries the sign
        let l = if i + 1 < N62 { l & M62 as i64 } else { l };
        acc |= (l as i128) << acc_bits;
        acc_bits += 62;
        while acc_bits >= 64 && o < LIMBS + 1 {
            out[o] = acc as u64;
            acc >>= 64; // arithmetic: keeps the sign for the top limb
            acc_bits -= 64;
            o += 1;
        }
    }
    while o < LIMBS + 1 {
        out[o] = acc as u64;
        acc >>= 64;
        o += 1;
    }
    out
}

fn add17(a: &[u64; LIMBS + 1], b: &[u64; LIMBS + 1]) -> [u64; LIMBS + 1] {
    let mut out = [0u64; LIMBS + 1];
    let mut c = 0u64;
    for i in 0..LIMBS + 1 {
        let s = a[i] as u128 + b[i] as u128 + c as u128;
        out[i] = s as u64;
        c = (s >> 64) as u64;
    }
    out
}

/// a − b if that is not negative, else a (masked; a, b non-negative, 1088-bit).
fn csub17(a: &[u64; LIMBS + 1], b: &[u64; LIMBS + 1]) -> [u64; LIMBS + 1] {
    let mut d = [0u64; LIMBS + 1];
    let mut borrow = 0u64;
    for i in 0..LIMBS + 1 {
        let t = (a[i] as u128)
            .wrapping_sub(b[i] as u128)
            .wrapping_sub(borrow as u128);
        d[i] = t as u64;
        borrow = ((t >> 64) as u64) & 1;
    }
    let keep_a = borrow.wrapping_neg();
    let mut out = [0u64; LIMBS + 1];
    for i in 0..LIMBS + 1 {
        out[i] = d[i] ^ (keep_a & (d[i] ^ a[i]));
    }
    out
}

/// x⁻¹ mod M for 0 ≤ x < M (0 maps to 0), constant time.
pub(crate) fn invert(x: &Limbs, m: &Modulus62) -> Limbs {
    invert_rounds(x, m, ROUNDS)
}

/// x⁻¹ mod M for a modulus of at most `bits` bits (a public parameter: it fixes the number of
/// rounds, ⌈⌊(49·bits + 57)/17⌋ / 62⌉), 0 ≤ x < M, constant time in x. Used for the 256-bit
/// moduli of ECCSI (12 rounds instead of 48).
pub(crate) fn invert_bits(x: &Limbs, m: &Modulus62, bits: usize) -> Limbs {
    let rounds = ((49 * bits + 57) / 17).div_ceil(62).min(ROUNDS);
    invert_rounds(x, m, rounds)
}

fn invert_rounds(x: &Limbs, m: &Modulus62, rounds: usize) -> Limbs {
    let mut f = m.m;
    let mut g = to_s62(x);
    let mut d = [0i64; N62];
    let mut e = [0i64; N62];
    e[0] = 1;
    let mut delta = 1i64;
    for _ in 0..rounds {
        let (nd, t) = divsteps_62(delta, f[0] as u64, g[0] as u64);
        delta = nd;
        update_de(&mut d, &mut e, &t, m);
        update_fg(&mut f, &mut g, &t);
    }
    // f = ±1 (for x ≠ 0): x⁻¹ = sign(f)·d, d ∈ (−2M, M)
    let sf = (f[N62 - 1] >> 63) as u64; // all ones if f < 0
    let dp = pack(&d);
    // conditional negation: (dp ^ s) − s
    let mut neg = [0u64; LIMBS + 1];
    let mut c = 1u64 & sf;
    for i in 0..LIMBS + 1 {
        let s = (dp[i] ^ sf) as u128 + c as u128;
        neg[i] = s as u64;
        c = (s >> 64) as u64;
    }
    // v ∈ (−2M, 2M): add 2M, then reduce from [0, 4M) with two masked subtractions
    let mut m1 = [0u64; LIMBS + 1];
    m1[..LIMBS].copy_from_slice(&m.limbs);
    let m2 = add17(&m1, &m1);
    let v = add17(&neg, &m2);
    let v = csub17(&v, &m2);
    let v = csub17(&v, &m1);
    let mut out = [0u64; LIMBS];
    out.copy_from_slice(&v[..LIMBS]);
    out
}
