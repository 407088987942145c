//! Fixed-base precomputation for secret scalars: signed W-bit windows (W = 5), one table row per
//! window (`T[j][m] = [(m+1)·32^j]B`, m = 0..15), so a product is 206 complete mixed additions
//! and no doubling. Every lookup scans its whole row with masked selects; the sign is applied with a
//! masked negation; a zero digit keeps the accumulator by a masked select. The same layout serves
//! the PF_p exponentiation g^r (entries normalised to 1 + i·t; inversion = conjugation).

use subtle::{Choice, ConditionallySelectable, ConstantTimeEq};
use zeroize::Zeroize;

use super::curve::{batch_to_affine, Affine, Proj};
use super::fp::{batch_invert, Fp};
use super::fp2::Fp2;
use super::params::LIMBS;
use super::scalar::Scalar;

/// Window width in bits.
const W: usize = 5;
/// Entries per row: the multiples 1..=2^(W−1).
const ROW: usize = 1 << (W - 1);
/// Number of signed digits for scalars below 2^1022 (one spare row for the final carry).
pub(crate) const DIGITS: usize = 1022usize.div_ceil(W) + 1;

/// Bits [pos, pos + W) of k (zero beyond 1024 bits). Public positions only.
#[inline(always)]
fn window(k: &[u64; LIMBS], pos: usize) -> u64 {
    let limb = pos / 64;
    let off = pos % 64;
    let mut v = if limb < LIMBS { k[limb] >> off } else { 0 };
    if off + W > 64 && limb + 1 < LIMBS {
        v |= k[limb + 1] << (64 - off);
    }
    v & ((1 << W) - 1)
}

/// Signed base-2^W recoding, digits in [−2^(W−1), 2^(W−1)], constant time. Input < 2^1022.
pub(crate) fn recode(k: &[u64; LIMBS]) -> [i8; DIGITS] {
    let mut out = [0i8; DIGITS];
    let mut carry = 0u64;
    for (j, o) in out.iter_mut().enumerate().take(DIGITS - 1) {
        let w = window(k, W * j) + carry; // 0..=2^W
        carry = (ROW as u64).wrapping_sub(w) >> 63; // w > 2^(W−1)
        *o = (w as i64 - ((1i64 << W) * carry as i64)) as i8;
    }
    out[DIGITS - 1] = carry as i8;
    out
}

/// (|d|, sign) of a secret digit without branches.
#[inline(always)]
fn split_digit(d: i8) -> (u8, Choice) {
    let s = (d >> 7) as u8; // 0xff if negative
    let abs = ((d as u8) ^ s).wrapping_sub(s);
    (abs, Choice::from(s & 1))
}

/// Table of a fixed base point.
#[derive(Clone)]
pub(crate) struct PointTable {
    rows: Vec<[Affine; ROW]>,
}

impl core::fmt::Debug for PointTable {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("PointTable(..)")
    }
}

impl PointTable {
    /// Builds the table for a point of the order-q subgroup (one batched inversion).
    pub(crate) fn new(base: &Affine) -> PointTable {
        let mut proj = Vec::with_capacity(DIGITS * ROW);
        let mut b = Proj::from_affine(base);
        for _ in 0..DIGITS {
            let mut cur = b;
            proj.push(cur);
            for _ in 1..ROW {
                cur = cur.add(&b);
                proj.push(cur);
            }
            b = cur.double(); // 2^W·b
        }
        let aff = batch_to_affine(&proj);
        let rows = aff
            .chunks_exact(ROW)
            .map(|c| {
                let mut r = [Affine::default(); ROW];
                r.copy_from_slice(c);
                r
            })
            .collect();
        PointTable { rows }
    }

    /// `[k]B` in constant time.
    pub(crate) fn mul(&self, k: &Scalar) -> Proj {
        let mut digits = recode(&k.0);
        let mut acc = Proj::IDENTITY;
        for (row, &d) in self.rows.iter().zip(digits.iter()) {
            let (abs, neg) = split_digit(d);
            let mut sel = Affine::default();
            for (m, e) in row.iter().enumerate() {
                let hit = (m as u8 + 1).ct_eq(&abs);
                sel.conditional_assign(e, hit);
            }
            let nsel = sel.neg();
            sel.conditional_assign(&nsel, neg);
            let sum = acc.add_affine(&sel);
            acc.conditional_assign(&sum, !abs.ct_eq(&0));
        }
        digits.zeroize();
        acc
    }

    /// `[k1]B1 + [k2]B2` for two tables (shares nothing but the final addition).
    pub(crate) fn mul2(t1: &PointTable, k1: &Scalar, t2: &PointTable, k2: &Scalar) -> Proj {
        t1.mul(k1).add(&t2.mul(k2))
    }
}

/// Table of a fixed element of PF_p (given by its representative t: the class of 1 + i·t).
#[derive(Clone)]
pub(crate) struct PfTable {
    rows: Vec<[Fp; ROW]>,
}

impl core::fmt::Debug for PfTable {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("PfTable(..)")
    }
}

impl PfTable {
    pub(crate) fn new(t: &Fp) -> PfTable {
        let base = Fp2 { a: Fp::ONE, b: *t };
        let mut vals = Vec::with_capacity(DIGITS * ROW);
        let mut b = base;
        for _ in 0..DIGITS {
            let mut cur = b;
            vals.push(cur);
            for _ in 1..ROW {
                cur = cur.mul(&b);
                vals.push(cur);
            }
            b = cur.square();
        }
        let mut inv: Vec<Fp> = vals.iter().map(|v| v.a).collect();
        batch_invert(&mut inv);
        let flat: Vec<Fp> = vals
            .iter()
            .zip(inv.iter())
            .map(|(v, ai)| v.b.mul(ai))
            .collect();
        let rows = flat
            .chunks_exact(ROW)
            .map(|c| {
                let mut r = [Fp::ZERO; ROW];
                r.copy_from_slice(c);
                r
            })
            .collect();
        PfTable { rows }
    }

    /// `base^k` in PF_p, returned as an F_p² value of the class (constant time).
    pub(crate) fn pow(&self, k: &Scalar) -> Fp2 {
        let mut digits = recode(&k.0);
        let mut acc = Fp2::ONE;
        for (row, &d) in self.rows.iter().zip(digits.iter()) {
            let (abs, neg) = split_digit(d);
            let mut sel = Fp::ZERO;
            for (m, e) in row.iter().enumerate() {
                let hit = (m as u8 + 1).ct_eq(&abs);
                sel.conditional_assign(e, hit);
            }
            let nsel = sel.neg();
            sel.conditional_assign(&nsel, neg);
            // abs == 0 -> sel = 0 -> multiply by 1: no select needed
            acc = acc.mul_by_one_plus_it(&sel);
        }
        digits.zeroize();
        acc
    }
}
