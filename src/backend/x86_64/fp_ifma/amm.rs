//! Arithmetic modulo p with one element spread across the lanes ("horizontal" layout), for
//! chains of dependent products such as the Miller loop, where the eight-lane `FpX8` (eight
//! independent elements) cannot help.
//!
//! # Representation
//! [`FpH`]: the 20 radix-2^52 limbs of one element in three 512-bit vectors (24 words, the last
//! four zero), Montgomery form with R = 2^1040 — the same domain as `FpX8`, so a lane of an
//! `FpX8` becomes an `FpH` by a transposition ([`FpH::from_lanes`]). Limbs are always
//! normalised (below 2^52); the value is only bounded (each function states its bound), not
//! reduced.
//!
//! # The product
//! [`mul2`] computes two independent almost-Montgomery products `a·b·2^-1040 mod p` at once,
//! word-serially over b: each of the 20 rounds adds `a·b_i` and `m·p` (low and high halves
//! with `vpmadd52luq`/`vpmadd52huq`), where m is taken from the lowest limb, and shifts the
//! accumulator down one limb (`valignq`). The two products are interleaved so that one
//! product's dependency chain (lowest limb → m → `m·p`) overlaps the other's work. For inputs
//! with `A·B < p·2^1040` (in particular both below 64p) the result is below 2p.
//!
//! # Constant time
//! No branch or memory index depends on values; limbs are normalised with carry chains over
//! all 20 limbs; conditional subtractions use masks.

use core::arch::x86_64::{
    __m512i, _mm512_alignr_epi64, _mm512_extracti32x4_epi32, _mm512_load_si512,
    _mm512_madd52hi_epu64, _mm512_madd52lo_epu64, _mm512_mask_set1_epi64, _mm512_set1_epi64,
    _mm512_setzero_si512, _mm512_store_si512, _mm_cvtsi128_si64,
};
use core::fmt;

use zeroize::Zeroize;

use super::radix52;
use super::{FpX8, Ifma, K0, LANES, MASK52, N, P};

/// Words of an [`FpH`]: 20 limbs and four zero words (three vectors).
const W: usize = 24;

/// One element of F_p, horizontal layout (see the module documentation).
#[derive(Clone, Copy, Zeroize)]
#[repr(C, align(64))]
pub struct FpH([u64; W]);

impl fmt::Debug for FpH {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FpH(..)")
    }
}

/// k·p in radix 2^52 (normalised), for small public k.
const fn p_times(k: u64) -> [u64; W] {
    let mut out = [0u64; W];
    let mut carry = 0u64;
    let mut i = 0;
    while i < N {
        let v = P[i] * k + carry;
        out[i] = v & MASK52;
        carry = v >> 52;
        i += 1;
    }
    out
}

const P1: [u64; W] = p_times(1);
const P2: [u64; W] = p_times(2);
const P4: [u64; W] = p_times(4);
const P8: [u64; W] = p_times(8);
const P16: [u64; W] = p_times(16);

/// `a + b` (limbs normalised); the caller keeps the sum below 2^1040.
#[inline(always)]
fn add_l(a: &[u64; W], b: &[u64; W]) -> [u64; W] {
    let mut out = [0u64; W];
    let mut carry = 0u64;
    for i in 0..N {
        let v = a[i] + b[i] + carry;
        out[i] = v & MASK52;
        carry = v >> 52;
    }
    out
}

/// `(a + b, e + k − c)` with both carry chains in one pass (limbs normalised); the caller
/// guarantees `c ≤ e + k` and sums below 2^1040.
#[inline(always)]
fn sum_and_diff_l(
    a: &[u64; W],
    b: &[u64; W],
    e: &[u64; W],
    k: &[u64; W],
    c: &[u64; W],
) -> ([u64; W], [u64; W]) {
    let mut s = [0u64; W];
    let mut d = [0u64; W];
    let mut cs = 0u64;
    let mut cd = 0i64;
    for i in 0..N {
        let v = a[i] + b[i] + cs;
        s[i] = v & MASK52;
        cs = v >> 52;
        let w = e[i] as i64 + k[i] as i64 - c[i] as i64 + cd;
        d[i] = (w as u64) & MASK52;
        cd = w >> 52;
    }
    (s, d)
}

/// `(t − k if t ≥ k else t, u − k if u ≥ k else u)` in one pass (constant time).
#[inline(always)]
fn csub2_l(t: &[u64; W], u: &[u64; W], k: &[u64; W]) -> ([u64; W], [u64; W]) {
    let mut dt = [0u64; W];
    let mut du = [0u64; W];
    let mut ct = 0i64;
    let mut cu = 0i64;
    for i in 0..N {
        let v = t[i] as i64 - k[i] as i64 + ct;
        dt[i] = (v as u64) & MASK52;
        ct = v >> 52;
        let w = u[i] as i64 - k[i] as i64 + cu;
        du[i] = (w as u64) & MASK52;
        cu = w >> 52;
    }
    // a carry of −1 means "below k": keep the input
    let (kt, ku) = (ct as u64, cu as u64);
    let mut ot = [0u64; W];
    let mut ou = [0u64; W];
    for i in 0..N {
        ot[i] = (t[i] & kt) | (dt[i] & !kt);
        ou[i] = (u[i] & ku) | (du[i] & !ku);
    }
    (ot, ou)
}

/// `t − k` if `t ≥ k`, else `t` (constant time).
#[inline(always)]
fn csub_l(t: &[u64; W], k: &[u64; W]) -> [u64; W] {
    let mut d = [0u64; W];
    let mut carry = 0i64;
    for i in 0..N {
        let v = t[i] as i64 - k[i] as i64 + carry;
        d[i] = (v as u64) & MASK52;
        carry = v >> 52;
    }
    // carry is 0 (t ≥ k) or −1 (t < k): keep t in the second case.
    let keep_t = carry as u64; // all ones when t < k
    let mut out = [0u64; W];
    for i in 0..N {
        out[i] = (t[i] & keep_t) | (d[i] & !keep_t);
    }
    out
}

impl FpH {
    /// Zero.
    pub const ZERO: FpH = FpH([0; W]);

    /// An integer below 2^1024 given as 16 little-endian words, re-chunked into limbs (no
    /// change of value or domain).
    pub fn from_u64x16(x: &[u64; 16]) -> FpH {
        let l = radix52::to_digits(x);
        let mut out = [0u64; W];
        out[..N].copy_from_slice(&l);
        FpH(out)
    }

    /// The integer value reduced modulo p (canonical, 16 little-endian words), for values below
    /// 16p.
    pub fn to_u64x16_mod_p(&self) -> [u64; 16] {
        let mut t = csub_l(&self.0, &P8);
        t = csub_l(&t, &P4);
        t = csub_l(&t, &P2);
        t = csub_l(&t, &P1);
        let mut l = [0u64; N];
        l.copy_from_slice(&t[..N]);
        let out = radix52::from_digits(&l);
        t.zeroize();
        l.zeroize();
        out
    }

    /// The eight lanes of an `FpX8` (below 2p, normalised) as horizontal elements, in the same
    /// Montgomery domain.
    pub fn from_lanes(x: &FpX8) -> [FpH; LANES] {
        let mut out = [FpH::ZERO; LANES];
        for (l, o) in out.iter_mut().enumerate() {
            for i in 0..N {
                o.0[i] = x.v.0[8 * i + l];
            }
        }
        out
    }

    /// Lane `l` of an `FpX8` (below 2p, normalised) as a horizontal element, in the same
    /// Montgomery domain (one column of [`FpH::from_lanes`]).
    #[inline]
    pub fn from_lane(x: &FpX8, l: usize) -> FpH {
        let mut o = FpH::ZERO;
        for i in 0..N {
            o.0[i] = x.v.0[8 * i + l];
        }
        o
    }

    /// `self + o` for a sum below 2^1040 (no reduction).
    pub fn add(&self, o: &FpH) -> FpH {
        FpH(add_l(&self.0, &o.0))
    }
}

#[inline(always)]
fn load3(x: &FpH) -> [__m512i; 3] {
    let p = x.0.as_ptr() as *const __m512i;
    // SAFETY: `FpH` is 64-byte aligned and holds 24 words (three vectors); callers run only
    // with avx512f (they are `#[target_feature]` functions reached through an `Ifma` token).
    unsafe {
        [
            _mm512_load_si512(p),
            _mm512_load_si512(p.add(1)),
            _mm512_load_si512(p.add(2)),
        ]
    }
}

/// Lowest 52 bits and the next 52 bits of a 104-bit product of two limbs.
#[inline(always)]
fn mul52(a: u64, b: u64) -> (u64, u64) {
    let w = a as u128 * b as u128;
    ((w as u64) & MASK52, (w >> 52) as u64)
}

/// Two independent almost-Montgomery products, interleaved round by round. (Written out for
/// two: a version generic over the number of products, with arrays of vectors, measured 1.5×
/// slower; four interleaved products take twice the time of two, the unit is already busy.)
///
/// The dependency chain of a round (lowest limb → m → next lowest limb) runs on the scalar
/// side: the values of limbs 0 and 1 are tracked in general-purpose registers (`t`, `l1`) from
/// scalar products of the two lowest limbs of a and p, and limb 2 is read from the vector
/// accumulator one round ahead of its use. The vectors do all the other work (every limb's
/// products, the shift) off the chain; their limbs 0 and 1 are superseded by the scalar
/// values (they never receive the carries).
#[target_feature(enable = "avx512f,avx512ifma")]
fn mul2_kernel(a0: &FpH, b0: &FpH, a1: &FpH, b1: &FpH, r0: &mut FpH, r1: &mut FpH) {
    let pv = load3(&FpH(P1));
    let av0 = load3(a0);
    let av1 = load3(a1);
    let zero = _mm512_setzero_si512();
    let mut x = [zero; 3];
    let mut y = [zero; 3];
    let (p0, p1) = (P[0], P[1]);
    let (xa0, xa1, ya0, ya1) = (a0.0[0], a0.0[1], a1.0[0], a1.0[1]);
    let (mut tx, mut l1x, mut ty, mut l1y) = (0u64, 0u64, 0u64, 0u64);
    for i in 0..N {
        let (bi0, bi1) = (b0.0[i], b1.0[i]);
        let bx = _mm512_set1_epi64(bi0 as i64);
        let by = _mm512_set1_epi64(bi1 as i64);
        for k in 0..3 {
            x[k] = _mm512_madd52lo_epu64(x[k], av0[k], bx);
            y[k] = _mm512_madd52lo_epu64(y[k], av1[k], by);
        }
        // Scalar side: limb 0 gets a0·b_i, m makes it a multiple of 2^52, and limb 1 (with
        // the high halves and the carry) becomes the next limb 0.
        let (x00l, x00h) = mul52(xa0, bi0);
        let (x10l, x10h) = mul52(xa1, bi0);
        let (y00l, y00h) = mul52(ya0, bi1);
        let (y10l, y10h) = mul52(ya1, bi1);
        tx += x00l;
        ty += y00l;
        let mx = tx.wrapping_mul(K0) & MASK52;
        let my = ty.wrapping_mul(K0) & MASK52;
        let vmx = _mm512_set1_epi64(mx as i64);
        let vmy = _mm512_set1_epi64(my as i64);
        let (xp0l, xp0h) = mul52(p0, mx);
        let (xp1l, xp1h) = mul52(p1, mx);
        let (yp0l, yp0h) = mul52(p0, my);
        let (yp1l, yp1h) = mul52(p1, my);
        let cx = (tx + xp0l) >> 52;
        let cy = (ty + yp0l) >> 52;
        tx = l1x + x10l + xp1l + x00h + xp0h + cx;
        ty = l1y + y10l + yp1l + y00h + yp0h + cy;
        for k in 0..3 {
            x[k] = _mm512_madd52lo_epu64(x[k], pv[k], vmx);
            y[k] = _mm512_madd52lo_epu64(y[k], pv[k], vmy);
        }
        // Limb 2 (all its low halves of this round are in) becomes limb 1 after the shift.
        l1x = _mm_cvtsi128_si64(_mm512_extracti32x4_epi32(x[0], 1)) as u64 + x10h + xp1h;
        l1y = _mm_cvtsi128_si64(_mm512_extracti32x4_epi32(y[0], 1)) as u64 + y10h + yp1h;
        // Shift down one limb.
        x = [
            _mm512_alignr_epi64(x[1], x[0], 1),
            _mm512_alignr_epi64(x[2], x[1], 1),
            _mm512_alignr_epi64(zero, x[2], 1),
        ];
        y = [
            _mm512_alignr_epi64(y[1], y[0], 1),
            _mm512_alignr_epi64(y[2], y[1], 1),
            _mm512_alignr_epi64(zero, y[2], 1),
        ];
        // High halves land one limb up, i.e. at the same index after the shift.
        for k in 0..3 {
            x[k] = _mm512_madd52hi_epu64(x[k], av0[k], bx);
            y[k] = _mm512_madd52hi_epu64(y[k], av1[k], by);
            x[k] = _mm512_madd52hi_epu64(x[k], pv[k], vmx);
            y[k] = _mm512_madd52hi_epu64(y[k], pv[k], vmy);
        }
    }
    // Limbs 0 and 1 are the scalar ones (the vector's never received the carries).
    x[0] = _mm512_mask_set1_epi64(_mm512_mask_set1_epi64(x[0], 1, tx as i64), 2, l1x as i64);
    y[0] = _mm512_mask_set1_epi64(_mm512_mask_set1_epi64(y[0], 1, ty as i64), 2, l1y as i64);
    // Each word received at most 4·21 terms below 2^52 plus carries: below 2^59.
    let x = radix52::normalize(x);
    let y = radix52::normalize(y);
    let px = r0.0.as_mut_ptr() as *mut __m512i;
    let py = r1.0.as_mut_ptr() as *mut __m512i;
    // SAFETY: `FpH` is 64-byte aligned with room for three vectors.
    unsafe {
        for k in 0..3 {
            _mm512_store_si512(px.add(k), x[k]);
            _mm512_store_si512(py.add(k), y[k]);
        }
    }
}

/// Two independent products `a0·b0·2^-1040` and `a1·b1·2^-1040` modulo p. Inputs: limbs
/// normalised, values with `a·b < p·2^1040` (true when both are below 64p). Outputs below 2p.
pub fn mul2(_t: Ifma, a0: &FpH, b0: &FpH, a1: &FpH, b1: &FpH) -> (FpH, FpH) {
    let mut r0 = FpH::ZERO;
    let mut r1 = FpH::ZERO;
    // SAFETY: the `Ifma` token proves avx512f + avx512ifma were detected at run time.
    unsafe { mul2_kernel(a0, b0, a1, b1, &mut r0, &mut r1) };
    (r0, r1)
}

/// An element a + i·b of F_p² in horizontal layout, with lazily reduced parts: each method
/// states the bounds it needs and gives (the Miller loop's order of operations keeps them).
#[derive(Clone, Copy, Zeroize)]
pub struct Fp2H {
    /// Real part.
    pub re: FpH,
    /// Imaginary part.
    pub im: FpH,
}

impl fmt::Debug for Fp2H {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Fp2H(..)")
    }
}

impl Fp2H {
    /// In place, `(a + b)(a − b) + i·2ab`: two products in one [`mul2`]. Input parts with
    /// `a + b < 64p` and `b ≤ 16p` (then `a + 16p − b < 64p` too); output `a < 2p`, `b < 4p`.
    #[inline]
    pub fn square_assign(&mut self, t: Ifma) {
        let (s, d) = sum_and_diff_l(&self.re.0, &self.im.0, &self.re.0, &P16, &self.im.0);
        let (re, ab) = mul2(t, &FpH(s), &FpH(d), &self.re, &self.im);
        self.re = re;
        self.im = FpH(add_l(&ab.0, &ab.0));
    }

    /// `(a + b)(a − b) + i·2ab` (see [`Fp2H::square_assign`] for the bounds).
    pub fn square(&self, t: Ifma) -> Fp2H {
        let mut r = *self;
        r.square_assign(t);
        r
    }

    /// In place, `self·(s + i)` = `(a·s − b) + i·(a + b·s)` for `s` below 4p, without a
    /// reduction: input parts `a < 14p`, `b ≤ 8p`; output `a·s + 8p − b < 10p` and
    /// `a + b·s < a_in + 2p`. After a square (2p, 4p) this gives (10p, 4p).
    #[inline]
    pub fn mul_by_s_plus_i_assign(&mut self, t: Ifma, s: &FpH) {
        let (as_, bs) = mul2(t, &self.re, s, &self.im, s);
        let (im, re) = sum_and_diff_l(&self.re.0, &bs.0, &as_.0, &P8, &self.im.0);
        self.re = FpH(re);
        self.im = FpH(im);
    }

    /// As [`Fp2H::mul_by_s_plus_i_assign`] for any input parts below 16p: the inputs are first
    /// reduced below 8p (one conditional subtraction of 8p each); output parts below 10p, so
    /// any sequence of these and squares keeps the bounds.
    #[inline]
    pub fn mul_by_s_plus_i_assign_reduced(&mut self, t: Ifma, s: &FpH) {
        let (re, im) = csub2_l(&self.re.0, &self.im.0, &P8);
        self.re = FpH(re);
        self.im = FpH(im);
        self.mul_by_s_plus_i_assign(t, s);
    }

    /// `self·(s + i)` for `s` below 4p and parts below 16p; output parts below 10p.
    pub fn mul_by_s_plus_i(&self, t: Ifma, s: &FpH) -> Fp2H {
        let mut r = *self;
        r.mul_by_s_plus_i_assign_reduced(t, s);
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rand_words(seed: &mut u64) -> [u64; 16] {
        let mut out = [0u64; 16];
        for w in out.iter_mut() {
            *seed ^= *seed << 13;
            *seed ^= *seed >> 7;
            *seed ^= *seed << 17;
            *w = *seed;
        }
        out[15] &= (1 << 62) - 1; // below p's top word
        out
    }

    #[test]
    fn mul2_matches_eight_lane_product() {
        let Some(t) = Ifma::new() else { return };
        let mut seed = 0x1234_5678_9abc_def1u64;
        for _ in 0..50 {
            let xs: [[u64; 16]; LANES] = core::array::from_fn(|_| rand_words(&mut seed));
            let ys: [[u64; 16]; LANES] = core::array::from_fn(|_| rand_words(&mut seed));
            let mut xs = xs;
            let mut ys = ys;
            // edge values: 0, 1, p − 1
            let pm1 = {
                let mut p = super::super::p_words();
                p[0] -= 1;
                p
            };
            xs[0] = [0; 16];
            ys[1] = pm1;
            xs[2] = pm1;
            ys[2] = pm1;
            xs[3] = [0; 16];
            xs[3][0] = 1;
            let a = FpX8::from_u64x16x8(t, &xs).unwrap();
            let b = FpX8::from_u64x16x8(t, &ys).unwrap();
            let want = a.mul(&b).to_u64x16x8();
            let ah = FpH::from_lanes(&a);
            let bh = FpH::from_lanes(&b);
            for l in (0..LANES).step_by(2) {
                let (r0, r1) = mul2(t, &ah[l], &bh[l], &ah[l + 1], &bh[l + 1]);
                // back out of the Montgomery domain: multiply by 1
                let mut one = [0u64; 16];
                one[0] = 1;
                let one = FpH::from_u64x16(&one);
                let (c0, c1) = mul2(t, &r0, &one, &r1, &one);
                assert_eq!(c0.to_u64x16_mod_p(), want[l]);
                assert_eq!(c1.to_u64x16_mod_p(), want[l + 1]);
            }
        }
    }

    #[test]
    fn lazy_bounds_hold_for_large_inputs() {
        // Inputs just below 64p still give products below 2p.
        let Some(t) = Ifma::new() else { return };
        let mut big = p_times(64);
        // 64p − 1
        let mut i = 0;
        while big[i] == 0 {
            big[i] = MASK52;
            i += 1;
        }
        big[i] -= 1;
        let x = FpH(big);
        let (r0, r1) = mul2(t, &x, &x, &x, &FpH(P1));
        let lt2p = |r: &FpH| csub_l(&r.0, &P2) == r.0;
        assert!(lt2p(&r0));
        assert!(lt2p(&r1));
        assert_eq!(r1.to_u64x16_mod_p(), [0u64; 16]);
    }
}
