//! Eight-lane points of SAKKE's curve E: y² = x³ − 3x over F_p (RFC 6509 parameter set 1), in
//! Jacobian coordinates (x = X/Z², y = Y/Z³; Z = 0 is the point at infinity), on top of the
//! [`FpX8`] kernel.
//!
//! - [`PointX8`]: addition (complete: the doubling and infinity cases are resolved with
//!   constant-time lane masks), doubling, constant-time variable-base scalar multiplication with
//!   per-lane scalars, conversion to affine coordinates (single or batched inversion).
//! - [`CombX8`]: fixed-base scalar multiplication for a base shared by all lanes (such as SAKKE's
//!   P or a KMS's Z): 171 precomputed signed 6-bit windows of 32 affine multiples; an evaluation
//!   is 170 mixed additions, one complete addition and no doubling, with every table entry read
//!   for every window (masked broadcasts).
//! - [`SplitCombX8`]: fixed-base scalar multiplication of ONE scalar with its windows spread over
//!   the lanes (signed 4-bit digits, a transposed 655 KB table: 32 eight-lane mixed additions
//!   and a merge by complete additions), for single SAKKE operations.

use core::arch::x86_64::{
    __m512i, _mm512_cmpeq_epi64_mask, _mm512_mask_mov_epi64, _mm512_permutexvar_epi64,
    _mm512_set1_epi64, _mm512_set_epi64, _mm512_setzero_si512,
};
use core::fmt;

use super::{
    add_k, blend, digit_vec, is_zero_k, mul_v, p_words, select_from, splat_const, sqr_assign_v,
    sub_k, vmut, vref, FpX8, Ifma, Limbs, LANES, N, R_MOD_P, V, WIN,
};
use zeroize::Zeroize;

use crate::{Error, Result};

/// Eight points of E(F_p) in Jacobian coordinates.
#[derive(Clone, Debug)]
pub struct PointX8 {
    x: FpX8,
    y: FpX8,
    z: FpX8,
}

#[derive(Clone, Copy)]
struct VP {
    x: V,
    y: V,
    z: V,
}

#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
fn sqr_v(a: &V) -> V {
    let mut r = *a;
    sqr_assign_v(&mut r);
    r
}

#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
fn dbl_v(a: &V) -> V {
    add_k(a, a)
}

#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
fn blend_p(mask: u8, a: &VP, b: &VP) -> VP {
    VP {
        x: blend(mask, &a.x, &b.x),
        y: blend(mask, &a.y, &b.y),
        z: blend(mask, &a.z, &b.z),
    }
}

#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
fn infinity_v() -> VP {
    VP {
        x: splat_const(&R_MOD_P),
        y: splat_const(&R_MOD_P),
        z: [_mm512_setzero_si512(); N],
    }
}

/// Doubling for a = −3 (dbl-2001-b): 3M + 5S. Infinity and 2-torsion points give Z = 0.
#[target_feature(enable = "avx512f,avx512ifma")]
fn point_dbl(p: &VP) -> VP {
    let delta = sqr_v(&p.z);
    let gamma = sqr_v(&p.y);
    let beta = mul_v(&p.x, &gamma);
    let t = mul_v(&sub_k(&p.x, &delta), &add_k(&p.x, &delta));
    let alpha = add_k(&dbl_v(&t), &t);
    let b4 = dbl_v(&dbl_v(&beta));
    let x3 = sub_k(&sqr_v(&alpha), &dbl_v(&b4));
    let z3 = sub_k(&sub_k(&sqr_v(&add_k(&p.y, &p.z)), &gamma), &delta);
    let g8 = dbl_v(&dbl_v(&dbl_v(&sqr_v(&gamma))));
    let y3 = sub_k(&mul_v(&alpha, &sub_k(&b4, &x3)), &g8);
    VP {
        x: x3,
        y: y3,
        z: z3,
    }
}

/// Addition (add-2007-bl, 11M + 5S), made complete with lane masks: equal inputs take the
/// doubling, infinite inputs return the other operand; P + (−P) gives Z = 0 by itself.
#[target_feature(enable = "avx512f,avx512ifma")]
fn point_add(p: &VP, q: &VP) -> VP {
    let z1z1 = sqr_v(&p.z);
    let z2z2 = sqr_v(&q.z);
    let u1 = mul_v(&p.x, &z2z2);
    let u2 = mul_v(&q.x, &z1z1);
    let s1 = mul_v(&mul_v(&p.y, &q.z), &z2z2);
    let s2 = mul_v(&mul_v(&q.y, &p.z), &z1z1);
    let h = sub_k(&u2, &u1);
    let i = sqr_v(&dbl_v(&h));
    let j = mul_v(&h, &i);
    let r = dbl_v(&sub_k(&s2, &s1));
    let vv = mul_v(&u1, &i);
    let x3 = sub_k(&sub_k(&sqr_v(&r), &j), &dbl_v(&vv));
    let s1j = mul_v(&s1, &j);
    let y3 = sub_k(&mul_v(&r, &sub_k(&vv, &x3)), &dbl_v(&s1j));
    let z3 = mul_v(&sub_k(&sub_k(&sqr_v(&add_k(&p.z, &q.z)), &z1z1), &z2z2), &h);
    let p_inf = is_zero_k(&p.z);
    let q_inf = is_zero_k(&q.z);
    let same = is_zero_k(&h) & is_zero_k(&r) & !p_inf & !q_inf;
    let mut out = VP {
        x: x3,
        y: y3,
        z: z3,
    };
    out = blend_p(same, &out, &point_dbl(p));
    out = blend_p(q_inf, &out, p);
    blend_p(p_inf, &out, q)
}

/// Mixed addition of a Jacobian point and an affine point (madd-2007-bl, 7M + 4S). Not complete:
/// the caller excludes infinity on either side and equal or opposite inputs.
#[target_feature(enable = "avx512f,avx512ifma")]
fn point_madd(p: &VP, x2: &V, y2: &V) -> VP {
    let z1z1 = sqr_v(&p.z);
    let u2 = mul_v(x2, &z1z1);
    let s2 = mul_v(&mul_v(y2, &p.z), &z1z1);
    let h = sub_k(&u2, &p.x);
    let hh = sqr_v(&h);
    let i = dbl_v(&dbl_v(&hh));
    let j = mul_v(&h, &i);
    let r = dbl_v(&sub_k(&s2, &p.y));
    let vv = mul_v(&p.x, &i);
    let x3 = sub_k(&sub_k(&sqr_v(&r), &j), &dbl_v(&vv));
    let y1j = mul_v(&p.y, &j);
    let y3 = sub_k(&mul_v(&r, &sub_k(&vv, &x3)), &dbl_v(&y1j));
    let z3 = sub_k(&sub_k(&sqr_v(&add_k(&p.z, &h)), &z1z1), &hh);
    VP {
        x: x3,
        y: y3,
        z: z3,
    }
}

#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
fn load_p(p: &PointX8) -> VP {
    VP {
        x: *vref(&p.x.v),
        y: *vref(&p.y.v),
        z: *vref(&p.z.v),
    }
}

#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
fn store_p(o: &mut PointX8, p: &VP) {
    *vmut(&mut o.x.v) = p.x;
    *vmut(&mut o.y.v) = p.y;
    *vmut(&mut o.z.v) = p.z;
}

#[target_feature(enable = "avx512f,avx512ifma")]
fn add_kernel(o: &mut PointX8, a: &PointX8, b: &PointX8) {
    let r = point_add(&load_p(a), &load_p(b));
    store_p(o, &r);
}

#[target_feature(enable = "avx512f,avx512ifma")]
fn dbl_kernel(o: &mut PointX8, a: &PointX8) {
    let r = point_dbl(&load_p(a));
    store_p(o, &r);
}

/// Variable-base scalar multiplication, fixed 4-bit windows over 1024-bit scalars, complete
/// additions, full-table masked selection.
#[target_feature(enable = "avx512f,avx512ifma")]
fn mul_kernel(o: &mut PointX8, a: &PointX8, scalars: &[[u64; 16]; LANES]) {
    let base = load_p(a);
    let mut table = [infinity_v(); 1 << WIN];
    table[1] = base;
    for k in 2..(1 << WIN) {
        table[k] = if k % 2 == 0 {
            point_dbl(&table[k / 2])
        } else {
            point_add(&table[k - 1], &base)
        };
    }
    let xs: [V; 1 << WIN] = core::array::from_fn(|k| table[k].x);
    let ys: [V; 1 << WIN] = core::array::from_fn(|k| table[k].y);
    let zs: [V; 1 << WIN] = core::array::from_fn(|k| table[k].z);
    let pick = |d: __m512i| VP {
        x: select_from(&xs, d),
        y: select_from(&ys, d),
        z: select_from(&zs, d),
    };
    let windows = 1024 / WIN;
    let mut acc = pick(digit_vec(scalars, windows - 1));
    for w in (0..windows - 1).rev() {
        for _ in 0..WIN {
            acc = point_dbl(&acc);
        }
        acc = point_add(&acc, &pick(digit_vec(scalars, w)));
    }
    store_p(o, &acc);
}

/// Affine coordinates (canonical Montgomery form; zero for infinite lanes) given `zinv` = 1/Z.
#[target_feature(enable = "avx512f,avx512ifma")]
fn affine_kernel(ox: &mut Limbs, oy: &mut Limbs, p: &PointX8, zinv: &Limbs) -> u8 {
    let zi = *vref(zinv);
    let zi2 = sqr_v(&zi);
    let zi3 = mul_v(&zi2, &zi);
    *vmut(ox) = mul_v(vref(&p.x.v), &zi2);
    *vmut(oy) = mul_v(vref(&p.y.v), &zi3);
    is_zero_k(vref(&p.z.v))
}

/// Per-lane mask of affine (x, y) on the curve: y² = x³ − 3x.
#[target_feature(enable = "avx512f,avx512ifma")]
fn on_curve_kernel(x: &Limbs, y: &Limbs) -> u8 {
    let (x, y) = (vref(x), vref(y));
    let x2 = sqr_v(x);
    let x3 = mul_v(&x2, x);
    let three_x = add_k(&dbl_v(x), x);
    let rhs = sub_k(&x3, &three_x);
    is_zero_k(&sub_k(&sqr_v(y), &rhs))
}

/// Per-lane equality of Jacobian points (both infinite, or equal affine coordinates).
#[target_feature(enable = "avx512f,avx512ifma")]
fn eq_kernel(a: &PointX8, b: &PointX8) -> u8 {
    let (p, q) = (load_p(a), load_p(b));
    let z1z1 = sqr_v(&p.z);
    let z2z2 = sqr_v(&q.z);
    let ex = is_zero_k(&sub_k(&mul_v(&p.x, &z2z2), &mul_v(&q.x, &z1z1)));
    let ey = is_zero_k(&sub_k(
        &mul_v(&p.y, &mul_v(&z2z2, &q.z)),
        &mul_v(&q.y, &mul_v(&z1z1, &p.z)),
    ));
    let pi = is_zero_k(&p.z);
    let qi = is_zero_k(&q.z);
    (pi & qi) | (!pi & !qi & ex & ey)
}

/// Constant-time `x < q` (q = (p + 1) / 4) over canonical 64-bit words, as 0/1.
pub(super) fn lt_q(x: &[u64; 16]) -> u64 {
    let q = q_words();
    let mut borrow = 0u64;
    for (xi, qi) in x.iter().zip(q.iter()) {
        let (d1, b1) = xi.overflowing_sub(*qi);
        let (_, b2) = d1.overflowing_sub(borrow);
        borrow = (b1 | b2) as u64;
    }
    borrow
}

/// q = (p + 1) / 4, the prime order of the SAKKE subgroup, as 16 little-endian words.
pub fn q_words() -> [u64; 16] {
    let p = p_words();
    // p + 1 (p is odd, so no carry out of word 0 beyond what the loop handles).
    let mut s = [0u64; 16];
    let mut c = 1u64;
    for (si, pi) in s.iter_mut().zip(p.iter()) {
        let (v, o) = pi.overflowing_add(c);
        *si = v;
        c = o as u64;
    }
    let mut q = [0u64; 16];
    for i in 0..16 {
        let hi = if i + 1 < 16 { s[i + 1] << 62 } else { 0 };
        q[i] = (s[i] >> 2) | hi;
    }
    q
}

impl PointX8 {
    /// The point at infinity in every lane.
    pub fn infinity(t: Ifma) -> Self {
        Self {
            x: FpX8::one(t),
            y: FpX8::one(t),
            z: FpX8::zero(t),
        }
    }

    /// Points from affine coordinates; [`Error::InvalidPoint`] unless every lane is on the
    /// curve. (Subgroup membership is the caller's check, e.g. `[q]P` is infinity.)
    pub fn from_affine(x: &FpX8, y: &FpX8) -> Result<Self> {
        if Self::on_curve_affine(x, y) != 0xff {
            return Err(Error::InvalidPoint);
        }
        Ok(Self {
            x: x.clone(),
            y: y.clone(),
            z: FpX8::one(x.token()),
        })
    }

    /// Per-lane mask of affine coordinates satisfying y² = x³ − 3x.
    pub fn on_curve_affine(x: &FpX8, y: &FpX8) -> u8 {
        // SAFETY: `x` exists, so avx512f + avx512ifma were detected.
        unsafe { on_curve_kernel(&x.v, &y.v) }
    }

    /// Per-lane mask of lanes at infinity.
    pub fn is_infinity(&self) -> u8 {
        self.z.is_zero()
    }

    /// Lane-wise sum (complete).
    pub fn add(&self, rhs: &Self) -> Self {
        let mut r = Self::infinity(self.x.token());
        // SAFETY: `self` exists, so avx512f + avx512ifma were detected.
        unsafe { add_kernel(&mut r, self, rhs) };
        r
    }

    /// Lane-wise doubling.
    pub fn double(&self) -> Self {
        let mut r = Self::infinity(self.x.token());
        // SAFETY: `self` exists, so avx512f + avx512ifma were detected.
        unsafe { dbl_kernel(&mut r, self) };
        r
    }

    /// Lane-wise negation.
    pub fn neg(&self) -> Self {
        Self {
            x: self.x.clone(),
            y: self.y.neg(),
            z: self.z.clone(),
        }
    }

    /// Lane `l` from `b` where bit `l` of `mask` is set, else from `a` (constant time).
    pub fn select(a: &Self, b: &Self, mask: u8) -> Self {
        Self {
            x: FpX8::select(&a.x, &b.x, mask),
            y: FpX8::select(&a.y, &b.y, mask),
            z: FpX8::select(&a.z, &b.z, mask),
        }
    }

    /// Per-lane equality mask (as points, whatever the Jacobian representatives).
    pub fn ct_eq(&self, rhs: &Self) -> u8 {
        // SAFETY: `self` exists, so avx512f + avx512ifma were detected.
        unsafe { eq_kernel(self, rhs) }
    }

    /// `[k_l]P_l` per lane for secret 1024-bit scalars (16 little-endian words), constant time:
    /// fixed 4-bit windows, complete additions, full-table masked selection.
    pub fn mul_x8(&self, scalars: &[[u64; 16]; LANES]) -> Self {
        let mut r = Self::infinity(self.x.token());
        // SAFETY: `self` exists, so avx512f + avx512ifma were detected.
        unsafe { mul_kernel(&mut r, self, scalars) };
        r
    }

    /// Affine coordinates `(x, y, infinity_mask)` with one lane-wise Fermat inversion; infinite
    /// lanes give (0, 0).
    pub fn to_affine(&self) -> (FpX8, FpX8, u8) {
        let zinv = self.z.invert();
        self.affine_with(&zinv)
    }

    /// The Jacobian coordinates (X, Y, Z): x = X/Z², y = Y/Z³, Z = 0 at infinity.
    pub fn jacobian(&self) -> (&FpX8, &FpX8, &FpX8) {
        (&self.x, &self.y, &self.z)
    }

    /// Affine coordinates given `zinv` = 1/Z per lane (e.g. from one [`FpX8::batch_invert`]
    /// shared with other values): `(x, y, infinity_mask)`, infinite lanes give (0, 0).
    pub fn to_affine_with_zinv(&self, zinv: &FpX8) -> (FpX8, FpX8, u8) {
        self.affine_with(zinv)
    }

    fn affine_with(&self, zinv: &FpX8) -> (FpX8, FpX8, u8) {
        let t = self.x.token();
        let (mut x, mut y) = (FpX8::zero(t), FpX8::zero(t));
        // SAFETY: `self` exists, so avx512f + avx512ifma were detected.
        let inf = unsafe { affine_kernel(&mut x.v, &mut y.v, self, &zinv.v) };
        (x, y, inf)
    }

    /// [`PointX8::to_affine`] for many points with a single inversion (Montgomery's trick).
    pub fn batch_to_affine(points: &[PointX8]) -> Vec<(FpX8, FpX8, u8)> {
        let mut zs: Vec<FpX8> = points.iter().map(|p| p.z.clone()).collect();
        FpX8::batch_invert(&mut zs);
        points
            .iter()
            .zip(zs.iter())
            .map(|(p, zi)| p.affine_with(zi))
            .collect()
    }
}

/// Window width of a comb: signed 6-bit digits (|d| ≤ 32) keep the 32-entry rows of unsigned
/// 5-bit windows but need 171 windows instead of 205 (17 % fewer mixed additions).
const COMB_WIN: usize = 6;
/// Windows evaluated: 171 × 6 bits cover the scalars below q < 2^1022 (the top digit is in
/// [0, 3], so no carry leaves it).
const COMB_WINDOWS: usize = 1024_usize.div_ceil(COMB_WIN);
/// Windows built: a multiple of the lane count (the extra ones are never read).
const COMB_BUILT: usize = COMB_WINDOWS.div_ceil(LANES) * LANES;
/// Stored entries per window: the multiples |d| = 1..=32.
const COMB_ENTRIES: usize = 1 << (COMB_WIN - 1);
/// Vectors of an entry gathered per pass of a window scan (they stay in registers).
const SCAN_CHUNK: usize = 10;
const _: () = assert!((2 * N).is_multiple_of(SCAN_CHUNK));

/// Fixed-base scalar multiplication for one base point shared by all lanes: window `w` holds the
/// affine points `[d·64^w]B`, d = 1..32 (Montgomery form, canonical), 1.8 MB in all; the
/// scalars are recoded to signed digits in [−32, 32] and a negative digit negates y (masked).
/// The base and the table are public; the scalars are secret.
///
/// # Exceptional cases of the mixed addition
/// Zero digits keep the accumulator and a lane at infinity takes the entry (masks). Otherwise,
/// adding window v < 170 to the accumulator `[a]B`, a = Σ_{w<v} d_w·64^w (nonzero, as its
/// highest nonzero term dominates), gives t = a ± d_v·64^v with
/// 0 < 64^v·(1 − 32/63) ≤ |t| ≤ 64^v·(32 + 32/63) < 33·2^1014 < q, so acc ≠ ±entry (B has
/// prime order q). The top window v = 170 escapes that bound (a − d_170·64^170 can be −q for
/// some scalars near 2^1022 − q), so its entry is added with the complete addition.
#[derive(Clone)]
pub struct CombX8 {
    token: Ifma,
    /// `table[w * 32 + (|d| − 1)]` = (x limbs, y limbs) of `[|d|·64^w]B`.
    table: Vec<[u64; 2 * N]>,
}

impl fmt::Debug for CombX8 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CombX8 { .. }")
    }
}

#[target_feature(enable = "avx512f,avx512ifma")]
fn canonical_kernel(o: &mut Limbs, a: &Limbs) {
    // The canonical (below p) Montgomery representative.
    *vmut(o) = super::canonical(vref(a));
}

/// Bits `[bit, bit + width)` of a 1024-bit scalar (zero beyond bit 1023); public position,
/// secret value, no branch on the value.
#[inline(always)]
fn scalar_bits(e: &[u64; 16], bit: usize, width: usize) -> u64 {
    let word = bit / 64;
    let shift = bit % 64;
    let mut v = if word < 16 { e[word] >> shift } else { 0 };
    if shift + width > 64 && word + 1 < 16 {
        v |= e[word + 1] << (64 - shift);
    }
    v & ((1 << width) - 1)
}

/// Signed base-64 digits in [−32, 32] of k < 2^1022, constant time.
fn recode_comb(k: &[u64; 16]) -> [i8; COMB_WINDOWS] {
    let mut out = [0i8; COMB_WINDOWS];
    let mut carry = 0u64;
    for (j, o) in out.iter_mut().enumerate() {
        let w = scalar_bits(k, j * COMB_WIN, COMB_WIN) + carry; // 0..=2^W
        carry = (COMB_ENTRIES as u64).wrapping_sub(w) >> 63; // w > 2^(W−1)
        *o = (w as i64 - (1i64 << COMB_WIN) * carry as i64) as i8;
    }
    out
}

/// Lane-wise selection of window `w`'s entry for the signed digits of the eight scalars: full
/// scan with masked broadcasts, then the masked negation of y. Returns (x, y, nonzero mask).
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
fn comb_select(
    table: &[[u64; 2 * N]],
    digits: &[[i8; COMB_WINDOWS]; LANES],
    w: usize,
) -> (V, V, u8) {
    let zero = _mm512_setzero_si512();
    let mut abs = [0i64; LANES];
    let mut neg = 0u8;
    for (l, a) in abs.iter_mut().enumerate() {
        let v = digits[l][w];
        let s = (v >> 7) as u8; // 0xff if negative
        *a = ((v as u8 ^ s).wrapping_sub(s)) as i64;
        neg |= (s & 1) << l;
    }
    let idx = _mm512_set_epi64(
        abs[7], abs[6], abs[5], abs[4], abs[3], abs[2], abs[1], abs[0],
    );
    // The 2N words of the selected entries are gathered in chunks of SCAN_CHUNK vectors that
    // stay in registers across the scan of the window's entries (all 2N at once would spill).
    let entries = &table[w * COMB_ENTRIES..(w + 1) * COMB_ENTRIES];
    let mut x2 = [zero; N];
    let mut y2 = [zero; N];
    for c in (0..2 * N).step_by(SCAN_CHUNK) {
        let mut acc = [zero; SCAN_CHUNK];
        for (i, e) in entries.iter().enumerate() {
            let m = _mm512_cmpeq_epi64_mask(idx, _mm512_set1_epi64(i as i64 + 1));
            for (u, a) in acc.iter_mut().enumerate() {
                *a = _mm512_mask_mov_epi64(*a, m, _mm512_set1_epi64(e[c + u] as i64));
            }
        }
        for (u, a) in acc.iter().enumerate() {
            let j = c + u;
            if j < N {
                x2[j] = *a;
            } else {
                y2[j - N] = *a;
            }
        }
    }
    let y2 = blend(neg, &y2, &sub_k(&[zero; N], &y2));
    let nz = !_mm512_cmpeq_epi64_mask(idx, zero);
    (x2, y2, nz)
}

/// The comb evaluation: windows 0..169 by masked mixed additions, the top window by the
/// complete addition (see [`CombX8`]).
#[target_feature(enable = "avx512f,avx512ifma")]
fn comb_kernel(o: &mut PointX8, table: &[[u64; 2 * N]], digits: &[[i8; COMB_WINDOWS]; LANES]) {
    // Idle lanes start at a dense finite point, flagged infinite (see `idle_start`).
    let mut acc = match table.first() {
        Some(e) => VP {
            x: core::array::from_fn(|j| _mm512_set1_epi64(e[j] as i64)),
            y: core::array::from_fn(|j| _mm512_set1_epi64(e[N + j] as i64)),
            z: splat_const(&R_MOD_P),
        },
        None => infinity_v(),
    };
    let mut acc_inf: u8 = 0xff;
    for w in 0..COMB_WINDOWS - 1 {
        let (x2, y2, nz) = comb_select(table, digits, w);
        comb_step(&mut acc, &mut acc_inf, nz, &x2, &y2);
    }
    let acc = blend_p(acc_inf, &acc, &infinity_v());
    let (x2, y2, nz) = comb_select(table, digits, COMB_WINDOWS - 1);
    let top = VP {
        x: x2,
        y: y2,
        z: splat_const(&R_MOD_P),
    };
    let top = blend_p(nz, &infinity_v(), &top);
    store_p(o, &point_add(&acc, &top));
}

impl CombX8 {
    /// Precomputes the comb of the affine base `(x, y)` (canonical little-endian words).
    /// Fails with [`Error::InvalidPoint`] unless the point is on the curve and has order q
    /// (a property the evaluation relies on: no exceptional case in its mixed additions).
    /// Cost: about 1000 doublings and 700 eight-lane additions, plus one batched inversion.
    pub fn new(t: Ifma, x: &[u64; 16], y: &[u64; 16]) -> Result<Self> {
        let bx = FpX8::splat(t, x).map_err(|_| Error::InvalidPoint)?;
        let by = FpX8::splat(t, y).map_err(|_| Error::InvalidPoint)?;
        let b = PointX8::from_affine(&bx, &by)?;
        if b.mul_x8(&[q_words(); LANES]).is_infinity() != 0xff {
            return Err(Error::InvalidPoint);
        }
        // B_w = [64^w]B for every window, Jacobian, from lane 0.
        let mut bw: Vec<([u64; N], [u64; N], [u64; N])> = Vec::with_capacity(COMB_BUILT);
        let mut cur = b;
        for w in 0..COMB_BUILT {
            bw.push((
                super::lane_limbs(&cur.x, 0),
                super::lane_limbs(&cur.y, 0),
                super::lane_limbs(&cur.z, 0),
            ));
            if w + 1 < COMB_BUILT {
                for _ in 0..COMB_WIN {
                    cur = cur.double();
                }
            }
        }
        // Eight windows per batch, one per lane: multiples 1..32 by repeated (complete) addition.
        let mut mults: Vec<PointX8> = Vec::with_capacity(COMB_BUILT / LANES * COMB_ENTRIES);
        for g in 0..COMB_BUILT / LANES {
            let mut base = PointX8::infinity(t);
            for l in 0..LANES {
                let (x, y, z) = &bw[g * LANES + l];
                super::set_lane_limbs(&mut base.x, l, x);
                super::set_lane_limbs(&mut base.y, l, y);
                super::set_lane_limbs(&mut base.z, l, z);
            }
            let mut m = base.clone();
            for _ in 0..COMB_ENTRIES {
                mults.push(m.clone());
                m = m.add(&base);
            }
        }
        let affine = PointX8::batch_to_affine(&mults);
        let mut table = vec![[0u64; 2 * N]; COMB_BUILT * COMB_ENTRIES];
        for g in 0..COMB_BUILT / LANES {
            for i in 0..COMB_ENTRIES {
                let (ax, ay, inf) = &affine[g * COMB_ENTRIES + i];
                if *inf != 0 {
                    return Err(Error::InvalidPoint);
                }
                let (mut cx, mut cy) = (FpX8::zero(t), FpX8::zero(t));
                // SAFETY: `t` proves avx512f + avx512ifma are available.
                unsafe {
                    canonical_kernel(&mut cx.v, &ax.v);
                    canonical_kernel(&mut cy.v, &ay.v);
                }
                for l in 0..LANES {
                    let e = &mut table[(g * LANES + l) * COMB_ENTRIES + i];
                    e[..N].copy_from_slice(&super::lane_limbs(&cx, l));
                    e[N..].copy_from_slice(&super::lane_limbs(&cy, l));
                }
            }
        }
        Ok(Self { token: t, table })
    }

    /// Bytes of precomputed table held by this comb.
    pub fn table_bytes(&self) -> usize {
        self.table.len() * core::mem::size_of::<[u64; 2 * N]>()
    }

    /// `[k_l]B` per lane for secret scalars below q (16 little-endian words each), constant
    /// time; [`Error::InvalidParameter`] if any scalar is `>= q`.
    pub fn mul_x8(&self, scalars: &[[u64; 16]; LANES]) -> Result<PointX8> {
        let mut ok = 1u64;
        for s in scalars.iter() {
            ok &= lt_q(s);
        }
        if ok != 1 {
            return Err(Error::InvalidParameter);
        }
        let mut digits: [[i8; COMB_WINDOWS]; LANES] =
            core::array::from_fn(|l| recode_comb(&scalars[l]));
        let mut r = PointX8::infinity(self.token);
        // SAFETY: `self.token` proves avx512f + avx512ifma are available.
        unsafe { comb_kernel(&mut r, &self.table, &digits) };
        for d in digits.iter_mut() {
            d.zeroize();
        }
        Ok(r)
    }
}

// ---------------------------------------------------------------------------------------------
// Single-scalar evaluation split over the lanes.
// ---------------------------------------------------------------------------------------------

/// Window width of the split comb (signed digits in [−8, 8]).
pub(super) const SPLIT_WIN: usize = 4;
/// Windows: 256 × 4 bits cover the 1024-bit scalars (below q < 2^1022: the top digit is in
/// [0, 3] and nothing carries beyond it).
pub(super) const SPLIT_WINDOWS: usize = 1024 / SPLIT_WIN;
/// Steps: lane `l` sums the windows `32·l .. 32·l + 31`.
pub(super) const SPLIT_STEPS: usize = SPLIT_WINDOWS / LANES;
/// Stored entries per window: the multiples |d| = 1..=8.
pub(super) const SPLIT_STORED: usize = 1 << (SPLIT_WIN - 1);

/// One stored entry of a [`SplitCombX8`]: eight affine points (lane `l` for window
/// `32·l + k`), limb-major like [`FpX8`]: x limb `i` of lane `l` at `8·i + l`, y limbs after.
#[derive(Clone)]
#[repr(C, align(64))]
struct SplitEntry([u64; 2 * N * LANES]);

/// The entry as 2N vectors (x limbs, then y limbs).
#[inline(always)]
fn split_entry_v(e: &SplitEntry) -> &[__m512i; 2 * N] {
    // SAFETY: `SplitEntry` is `repr(C, align(64))` over 2·20·8 u64 = 2560 bytes, the size of
    // 40 `__m512i`, with the 64-byte alignment they need; every bit pattern is valid.
    unsafe { &*(e as *const SplitEntry as *const [__m512i; 2 * N]) }
}

/// Fixed-base scalar multiplication of ONE secret scalar with the work spread over the eight
/// lanes: signed 4-bit digits (256 windows, `[d·16^w]B` for |d| = 1..8 stored), the table
/// stored transposed (the entry for step `k` and |d| is one eight-lane vector whose lane `l`
/// holds the point of window `32·l + k`), so that lane `l` sums its own 32 windows with one
/// eight-lane mixed addition per step (a full scan of the step's 8 entries with lane masks and
/// a masked negation for negative digits; no gathers), and the eight partial sums are merged
/// with complete additions (three levels of lane swaps). 655 KB per base (a third of
/// [`CombX8`]): the evaluation reads every entry once, so its cost tracks the table size.
///
/// # Exceptional cases of the mixed addition
/// Let k < q have signed digits d_w ∈ [−8, 8] (k = Σ d_w·16^w; the top digit d_255 ∈ [0, 3]).
/// A zero digit keeps the accumulator (mask) and a lane whose accumulator is still infinity
/// takes the entry (mask), so only acc = ±entry with both finite remains. When lane `l` adds
/// window v (32·l ≤ v < 32·l + 32) with d_v ≠ 0, its accumulator is `[a]B` with
/// a = Σ_{32·l ≤ w < v} d_w·16^w, so |a| ≤ 8·(16^v − 1)/15 < 16^v·8/15, and a ≠ 0 (else the
/// lane would still be at infinity: the highest nonzero term of such a sum dominates the rest,
/// so a partial sum is zero only when all its digits are). Then t = a ± d_v·16^v satisfies
/// 0 < 16^v·(1 − 8/15) ≤ |t| ≤ 16^v·(8 + 8/15) < 9·16^v ≤ 9·2^1020. B has prime order q, so
/// acc = ∓entry only if q divides t. Lane 0: v ≤ 31 and |t| < 9·2^124 < q. Lane l ≥ 1: every
/// term of t is a multiple of 16^(32·l), so t is a nonzero multiple of 2^128; q is odd, so q | t
/// would make t a nonzero multiple of q·2^128 > 2^1149 > |t|. Hence no exceptional case, the
/// top window included. (Lanes never mix bases: [`SplitCombX8::mul2`] keeps one accumulator
/// per comb and joins them with the complete addition, as the lane merge does.)
#[derive(Clone)]
pub struct SplitCombX8 {
    token: Ifma,
    /// `table[k * 8 + (|d| − 1)]`.
    table: Vec<SplitEntry>,
}

impl fmt::Debug for SplitCombX8 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SplitCombX8 { .. }")
    }
}

/// Signed base-16 digits of k < 2^1022, constant time (carries by shifts, no branches).
pub(super) fn recode_split(k: &[u64; 16]) -> [i8; SPLIT_WINDOWS] {
    let mut out = [0i8; SPLIT_WINDOWS];
    let mut carry = 0u64;
    for (j, o) in out.iter_mut().enumerate() {
        let bit = j * SPLIT_WIN;
        let w = ((k[bit / 64] >> (bit % 64)) & 0xf) + carry; // 0..=16
        carry = 8u64.wrapping_sub(w) >> 63; // w > 8
        *o = (w as i64 - 16 * carry as i64) as i8;
    }
    out
}

/// Lane vectors of (|d|, sign mask) for step `k` from the digits.
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
pub(super) fn split_digits(d: &[i8; SPLIT_WINDOWS], k: usize) -> (__m512i, u8) {
    let mut abs = [0i64; LANES];
    let mut neg = 0u8;
    for (l, a) in abs.iter_mut().enumerate() {
        let v = d[l * SPLIT_STEPS + k];
        let s = (v >> 7) as u8; // 0xff if negative
        *a = ((v as u8 ^ s).wrapping_sub(s)) as i64;
        neg |= (s & 1) << l;
    }
    (
        _mm512_set_epi64(
            abs[7], abs[6], abs[5], abs[4], abs[3], abs[2], abs[1], abs[0],
        ),
        neg,
    )
}

/// The eight partial sums of one scalar (lane `l`: windows 32·l .. 32·l + 31).
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
fn split4_acc(table: &[SplitEntry], d: &[i8; SPLIT_WINDOWS]) -> VP {
    let zero = _mm512_setzero_si512();
    let mut acc = idle_start(table.first().map(split_entry_v));
    let mut acc_inf: u8 = 0xff;
    for (k, block) in table
        .chunks_exact(SPLIT_STORED)
        .enumerate()
        .take(SPLIT_STEPS)
    {
        let (idx, neg) = split_digits(d, k);
        let mut x2 = [zero; N];
        let mut y2 = [zero; N];
        for (i, e) in block.iter().enumerate() {
            let m = _mm512_cmpeq_epi64_mask(idx, _mm512_set1_epi64(i as i64 + 1));
            let ev = split_entry_v(e);
            for j in 0..N {
                x2[j] = _mm512_mask_mov_epi64(x2[j], m, ev[j]);
                y2[j] = _mm512_mask_mov_epi64(y2[j], m, ev[N + j]);
            }
        }
        let y2 = blend(neg, &y2, &sub_k(&[zero; N], &y2));
        let nz = !_mm512_cmpeq_epi64_mask(idx, zero);
        comb_step(&mut acc, &mut acc_inf, nz, &x2, &y2);
    }
    blend_p(acc_inf, &acc, &infinity_v())
}

/// The value an accumulator holds until its lane's first nonzero digit: a finite point with
/// dense coordinates (the first table entry, lane by lane), not the infinity (1, 1, 0). The
/// lane is flagged as infinite meanwhile, so what the discarded mixed additions compute
/// from it never reaches the result; but they run on full-width operands instead of
/// mostly-zero ones, so a lane idle for a sparse secret does the same work, on data of the
/// same kind, as a busy one. The caller turns still-idle lanes into infinity at the end.
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
fn idle_start(entry: Option<&[__m512i; 2 * N]>) -> VP {
    match entry {
        Some(e) => VP {
            x: core::array::from_fn(|j| e[j]),
            y: core::array::from_fn(|j| e[N + j]),
            z: splat_const(&R_MOD_P),
        },
        None => infinity_v(),
    }
}

#[target_feature(enable = "avx512f,avx512ifma")]
fn split4_kernel(o: &mut PointX8, table: &[SplitEntry], d: &[i8; SPLIT_WINDOWS]) {
    store_p(o, &lane_sum(&split4_acc(table, d)));
}

#[target_feature(enable = "avx512f,avx512ifma")]
fn split4_2_kernel(
    o: &mut PointX8,
    t1: &[SplitEntry],
    d1: &[i8; SPLIT_WINDOWS],
    t2: &[SplitEntry],
    d2: &[i8; SPLIT_WINDOWS],
) {
    let a = split4_acc(t1, d1);
    let b = split4_acc(t2, d2);
    store_p(o, &lane_sum(&point_add(&a, &b)));
}

/// One window's addition: `acc += (x2, y2)` in the lanes whose digit is nonzero (mask `nz`);
/// lanes still at infinity take the entry.
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
fn comb_step(acc: &mut VP, acc_inf: &mut u8, nz: u8, x2: &V, y2: &V) {
    let sum = point_madd(acc, x2, y2);
    // In place, lane masks only: busy lanes with a nonzero digit take the sum, idle lanes
    // with a nonzero digit take the entry (Z = 1), the rest keep the accumulator.
    let take_sum = nz & !*acc_inf;
    let take_fresh = nz & *acc_inf;
    let one = splat_const(&R_MOD_P);
    for j in 0..N {
        acc.x[j] = _mm512_mask_mov_epi64(
            _mm512_mask_mov_epi64(acc.x[j], take_sum, sum.x[j]),
            take_fresh,
            x2[j],
        );
        acc.y[j] = _mm512_mask_mov_epi64(
            _mm512_mask_mov_epi64(acc.y[j], take_sum, sum.y[j]),
            take_fresh,
            y2[j],
        );
        acc.z[j] = _mm512_mask_mov_epi64(
            _mm512_mask_mov_epi64(acc.z[j], take_sum, sum.z[j]),
            take_fresh,
            one[j],
        );
    }
    *acc_inf &= !nz;
}

/// Lane `l` of the result is lane `l ^ sh` of `p`.
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
fn swap_lanes(p: &VP, sh: i64) -> VP {
    let idx = _mm512_set_epi64(7 ^ sh, 6 ^ sh, 5 ^ sh, 4 ^ sh, 3 ^ sh, 2 ^ sh, 1 ^ sh, sh);
    let perm = |v: &V| -> V { core::array::from_fn(|j| _mm512_permutexvar_epi64(idx, v[j])) };
    VP {
        x: perm(&p.x),
        y: perm(&p.y),
        z: perm(&p.z),
    }
}

/// The sum of the eight lanes, in every lane (three levels of complete additions).
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
fn lane_sum(p: &VP) -> VP {
    let mut s = *p;
    for sh in [4, 2, 1] {
        s = point_add(&s, &swap_lanes(&s, sh));
    }
    s
}

impl SplitCombX8 {
    /// Precomputes the split comb of the affine base `(x, y)` (canonical little-endian words).
    /// Fails with [`Error::InvalidPoint`] unless the point is on the curve and has order q
    /// (the evaluation's exceptional-case argument relies on it).
    pub fn new(t: Ifma, x: &[u64; 16], y: &[u64; 16]) -> Result<Self> {
        let bx = FpX8::splat(t, x).map_err(|_| Error::InvalidPoint)?;
        let by = FpX8::splat(t, y).map_err(|_| Error::InvalidPoint)?;
        let b = PointX8::from_affine(&bx, &by)?;
        if b.mul_x8(&[q_words(); LANES]).is_infinity() != 0xff {
            return Err(Error::InvalidPoint);
        }
        // Lane l starts at [16^(32·l)]B: lane 0 of `cur` walks up, each start copied in.
        let mut starts = b.clone();
        let mut cur = b;
        for l in 1..LANES {
            for _ in 0..SPLIT_STEPS * SPLIT_WIN {
                cur = cur.double();
            }
            super::set_lane_limbs(&mut starts.x, l, &super::lane_limbs(&cur.x, 0));
            super::set_lane_limbs(&mut starts.y, l, &super::lane_limbs(&cur.y, 0));
            super::set_lane_limbs(&mut starts.z, l, &super::lane_limbs(&cur.z, 0));
        }
        // Step k, lane l: the multiples 1..8 of [16^(32·l + k)]B.
        let mut mults: Vec<PointX8> = Vec::with_capacity(SPLIT_STEPS * SPLIT_STORED);
        let mut base = starts;
        for k in 0..SPLIT_STEPS {
            let mut m = base.clone();
            for _ in 0..SPLIT_STORED {
                mults.push(m.clone());
                m = m.add(&base);
            }
            if k + 1 < SPLIT_STEPS {
                for _ in 0..SPLIT_WIN {
                    base = base.double();
                }
            }
        }
        let affine = PointX8::batch_to_affine(&mults);
        let mut table = Vec::with_capacity(SPLIT_STEPS * SPLIT_STORED);
        for (ax, ay, inf) in affine.iter() {
            if *inf != 0 {
                return Err(Error::InvalidPoint);
            }
            let (mut cx, mut cy) = (FpX8::zero(t), FpX8::zero(t));
            // SAFETY: `t` proves avx512f + avx512ifma are available.
            unsafe {
                canonical_kernel(&mut cx.v, &ax.v);
                canonical_kernel(&mut cy.v, &ay.v);
            }
            let mut e = SplitEntry([0u64; 2 * N * LANES]);
            e.0[..N * LANES].copy_from_slice(&cx.v.0);
            e.0[N * LANES..].copy_from_slice(&cy.v.0);
            table.push(e);
        }
        Ok(Self { token: t, table })
    }

    /// Bytes of precomputed table held by this comb.
    pub fn table_bytes(&self) -> usize {
        self.table.len() * core::mem::size_of::<SplitEntry>()
    }

    /// `[k]B` for one secret scalar below q (16 little-endian words); every lane of the result
    /// holds it. Constant time: 32 eight-lane mixed additions (full scans of 8 entries) and
    /// three complete additions. [`Error::InvalidParameter`] if `k >= q`.
    pub fn mul(&self, k: &[u64; 16]) -> Result<PointX8> {
        if lt_q(k) != 1 {
            return Err(Error::InvalidParameter);
        }
        let mut d = recode_split(k);
        let mut r = PointX8::infinity(self.token);
        // SAFETY: `self.token` proves avx512f + avx512ifma are available.
        unsafe { split4_kernel(&mut r, &self.table, &d) };
        d.zeroize();
        Ok(r)
    }

    /// `[k1]B1 + [k2]B2` for two split combs and two secret scalars below q (one accumulator
    /// per comb, joined by complete additions); every lane of the result holds the sum.
    /// Constant time; [`Error::InvalidParameter`] if a scalar is `>= q`.
    pub fn mul2(
        c1: &SplitCombX8,
        k1: &[u64; 16],
        c2: &SplitCombX8,
        k2: &[u64; 16],
    ) -> Result<PointX8> {
        if lt_q(k1) & lt_q(k2) != 1 {
            return Err(Error::InvalidParameter);
        }
        let mut d1 = recode_split(k1);
        let mut d2 = recode_split(k2);
        let mut r = PointX8::infinity(c1.token);
        // SAFETY: `c1.token` proves avx512f + avx512ifma are available.
        unsafe { split4_2_kernel(&mut r, &c1.table, &d1, &c2.table, &d2) };
        d1.zeroize();
        d2.zeroize();
        Ok(r)
    }
}
