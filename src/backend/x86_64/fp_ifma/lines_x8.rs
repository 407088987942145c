//! Stored Miller-loop lines evaluated at eight points at once, one per lane: the batched RSK
//! validation of SAKKE (the lines of P and of a KMS's Z, fixed, at eight RSKs).
//!
//! A stored line `j` is `a_j·x + b_j + i·y`, normalised by y at the evaluation point (an F_p
//! factor, invisible in PF_p) to `s + i` with `s = a_j·u + b_j·v`, `u = x/y`, `v = 1/y`. The
//! table keeps lines `8g .. 8g + 7` in the lanes of its `g`-th vector pair; every lane here
//! needs the same line, so line `j` is broadcast from lane `j mod 8` of its vector to all
//! eight lanes (a public index: the line number), then each lane computes its own `s` and
//! its own chain `f ← f²·(s + i)`. Constant time in the lane values (the evaluation points).

use core::arch::x86_64::{__m512i, _mm512_set1_epi64, _mm512_store_si512};

use super::{FpX8, Ifma, LANES, N};

/// Lane `lane` of `x` in all eight lanes.
fn broadcast_lane(x: &FpX8, lane: usize) -> FpX8 {
    let mut r = FpX8::empty();
    // SAFETY: `x` exists, so avx512f + avx512ifma were detected (the `Ifma` token rule).
    unsafe { broadcast_kernel(&mut r, x, lane % LANES) };
    r
}

#[target_feature(enable = "avx512f")]
fn broadcast_kernel(r: &mut FpX8, x: &FpX8, lane: usize) {
    let dst = r.v.0.as_mut_ptr() as *mut __m512i;
    for i in 0..N {
        let v = _mm512_set1_epi64(x.v.0[8 * i + lane] as i64);
        // SAFETY: `Limbs` is 64-byte aligned and holds N vectors of eight words; i < N.
        unsafe { _mm512_store_si512(dst.add(i), v) };
    }
}

/// An F_p² value per lane: `re + i·im`.
#[derive(Debug)]
pub struct F2X8 {
    /// Real parts.
    pub re: FpX8,
    /// Imaginary parts.
    pub im: FpX8,
}

impl F2X8 {
    /// One in every lane.
    pub fn one(t: Ifma) -> Self {
        F2X8 {
            re: FpX8::one(t),
            im: FpX8::zero(t),
        }
    }

    /// `(re + im)(re − im) + i·2·re·im`.
    pub fn square(&self) -> Self {
        let s = self.re.add(&self.im);
        let d = self.re.sub(&self.im);
        let ri = self.re.mul(&self.im);
        F2X8 {
            re: s.mul(&d),
            im: ri.add(&ri),
        }
    }

    /// Karatsuba product (three F_p products per lane).
    pub fn mul(&self, o: &Self) -> Self {
        let aa = self.re.mul(&o.re);
        let bb = self.im.mul(&o.im);
        let cross = self.re.add(&self.im).mul(&o.re.add(&o.im));
        F2X8 {
            re: aa.sub(&bb),
            im: cross.sub(&aa).sub(&bb),
        }
    }

    /// `self·(s + i)` = `(re·s − im) + i·(re + im·s)`.
    fn mul_by_s_plus_i(&self, s: &FpX8) -> Self {
        let rs = self.re.mul(s);
        let is = self.im.mul(s);
        F2X8 {
            re: rs.sub(&self.im),
            im: is.add(&self.re),
        }
    }

    /// Lane `l` from `b` where bit `l` of `mask` is set, else from `a`.
    pub fn select(a: &Self, b: &Self, mask: u8) -> Self {
        F2X8 {
            re: FpX8::select(&a.re, &b.re, mask),
            im: FpX8::select(&a.im, &b.im, mask),
        }
    }

    /// `self^e_l` in lane `l`, with one public exponent per lane (16 little-endian words
    /// each), by fixed 4-bit windows over the longest exponent; every window's entry is chosen
    /// by masked blends over the whole table, so the time depends only on that length and not
    /// on the lane values. `x^0 = 1`.
    pub fn pow_public_x8(&self, exps: &[[u64; 16]; LANES]) -> Self {
        let t = self.re.token();
        let bits = exps
            .iter()
            .map(|e| {
                (0..16)
                    .rev()
                    .find(|&w| e[w] != 0)
                    .map_or(0, |w| 64 * w + 64 - e[w].leading_zeros() as usize)
            })
            .max()
            .unwrap_or(0);
        let mut table: Vec<F2X8> = Vec::with_capacity(16);
        table.push(F2X8::one(t));
        table.push(self.clone_f2());
        for d in 2..16 {
            let next = table[d - 1].mul(self);
            table.push(next);
        }
        let mut acc = F2X8::one(t);
        for w in (0..bits.div_ceil(4)).rev() {
            for _ in 0..4 {
                acc = acc.square();
            }
            let digits: [usize; LANES] = core::array::from_fn(|l| {
                ((exps[l][(4 * w) / 64] >> ((4 * w) % 64)) & 0xf) as usize
            });
            let mut sel = table[0].clone_f2();
            for (d, e) in table.iter().enumerate().skip(1) {
                let mut mask = 0u8;
                for (l, &dl) in digits.iter().enumerate() {
                    mask |= u8::from(dl == d) << l;
                }
                sel = F2X8::select(&sel, e, mask);
            }
            acc = acc.mul(&sel);
        }
        acc
    }

    fn clone_f2(&self) -> Self {
        F2X8 {
            re: self.re.clone(),
            im: self.im.clone(),
        }
    }
}

/// The Miller value `f` (up to an F_p factor, before the final powering) of the stored lines
/// `groups` (lines `8g + l` in lane `l` of pair `g`: a, b) with kinds `doubling[j]` (a doubling
/// step squares `f` first), at the eight points given by `u = x/y` and `v = 1/y` per lane.
pub fn miller_lines_x8(groups: &[(FpX8, FpX8)], doubling: &[bool], u: &FpX8, v: &FpX8) -> F2X8 {
    let t = u.token();
    let mut f = F2X8::one(t);
    for (j, &d) in doubling.iter().enumerate() {
        let Some((ga, gb)) = groups.get(j / LANES) else {
            break;
        };
        let a = broadcast_lane(ga, j);
        let b = broadcast_lane(gb, j);
        let s = a.mul_add_mul(u, &b, v);
        if d {
            f = f.square();
        }
        f = f.mul_by_s_plus_i(&s);
    }
    f
}
