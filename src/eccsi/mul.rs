//! Point multiplication on P-256 for ECCSI, on top of `p256`'s complete projective formulas.
//!
//! `p256` 0.13 exposes no field arithmetic and no batch normalisation, so tables hold projective
//! points (its mixed addition saves almost nothing over the full one).
//!
//! - [`FixedBase`]: a table of `k·2^(W·i)·B` (k = 1..2^(W-1)) for a fixed base `B`, read with
//!   signed radix-2^W digits. `mul` scans every entry of every window (constant time, for secret
//!   scalars: KSAK, v, SSK, j); `mul_vartime` indexes directly (public scalars only). No doublings.
//! - [`OddMultiples`] + [`lincomb_vartime`]: interleaved width-w NAF (Straus) for a sum of
//!   products with variable bases, sharing one chain of doublings (public data only).
//!
//! The generator has two process-wide tables built on first use: a comb for fixed-base
//! multiplication and the odd multiples used when `G` joins a wNAF chain.

use std::sync::OnceLock;

use p256::elliptic_curve::group::Group;
use p256::elliptic_curve::PrimeField;
use p256::{ProjectivePoint, Scalar};
use subtle::{Choice, ConditionallySelectable, ConstantTimeEq};
use zeroize::Zeroize;

/// Number of bits of a scalar we ever process (q < 2^256, plus a carry position).
const SCALAR_BITS: usize = 257;

/// The canonical value of a scalar as little-endian 64-bit limbs.
fn limbs(k: &Scalar) -> [u64; 4] {
    let mut be = k.to_repr();
    let mut out = [0u64; 4];
    for (i, chunk) in be.chunks_exact(8).enumerate() {
        let mut w = [0u8; 8];
        w.copy_from_slice(chunk);
        out[3 - i] = u64::from_be_bytes(w);
        w.zeroize();
    }
    be.as_mut_slice().zeroize();
    out
}

/// Signed radix-2^W digits of `k`, least significant first, each in [-2^(W-1), 2^(W-1)].
/// Branch-free and index-free on the value of `k` (the bit positions read depend on `i` only).
fn signed_digits<const W: usize, const N: usize>(k: &Scalar) -> [i8; N] {
    debug_assert!((2..=8).contains(&W) && N * W >= SCALAR_BITS);
    let mut l = limbs(k);
    let mut d = [0i8; N];
    let mask = (1u64 << W) - 1;
    let mut carry = 0u64;
    for (i, di) in d.iter_mut().enumerate() {
        let bit = i * W;
        let li = bit / 64;
        let off = bit % 64;
        let mut v = if li < 4 { l[li] >> off } else { 0 };
        if off + W > 64 && li + 1 < 4 {
            v |= l[li + 1] << (64 - off);
        }
        v &= mask;
        v += carry;
        carry = (v + (1 << (W - 1))) >> W;
        *di = (v as i64 - ((carry << W) as i64)) as i8;
    }
    debug_assert_eq!(carry, 0);
    l.zeroize();
    d
}

/// Width-W non-adjacent form of `k` (variable time: for public scalars only), least significant
/// digit first; non-zero digits are odd and in (-2^(W-1), 2^(W-1)).
pub(crate) fn wnaf_vartime<const W: usize>(k: &Scalar) -> [i8; SCALAR_BITS] {
    debug_assert!((2..=8).contains(&W));
    let l = limbs(k);
    let mut n = [l[0], l[1], l[2], l[3], 0u64];
    let mut out = [0i8; SCALAR_BITS];
    for o in out.iter_mut() {
        if n == [0; 5] {
            break;
        }
        if n[0] & 1 == 1 {
            let mut d = (n[0] & ((1u64 << W) - 1)) as i64;
            if d >= 1 << (W - 1) {
                d -= 1 << W;
            }
            *o = d as i8;
            if d > 0 {
                // n -= d (n >= d since n mod 2^W = d).
                let mut borrow = d as u64;
                for limb in n.iter_mut() {
                    let (v, b) = limb.overflowing_sub(borrow);
                    *limb = v;
                    borrow = u64::from(b);
                }
            } else {
                let mut c = (-d) as u64;
                for limb in n.iter_mut() {
                    let (v, b) = limb.overflowing_add(c);
                    *limb = v;
                    c = u64::from(b);
                }
            }
        }
        for i in 0..4 {
            n[i] = (n[i] >> 1) | (n[i + 1] << 63);
        }
        n[4] >>= 1;
    }
    out
}

/// Fixed-base table: window `i` holds `k·2^(W·i)·B` for k = 1..=E (E = 2^(W-1)), N windows.
#[derive(Clone)]
pub(crate) struct FixedBase<const W: usize, const N: usize, const E: usize> {
    win: Vec<[ProjectivePoint; E]>,
}

impl<const W: usize, const N: usize, const E: usize> FixedBase<W, N, E> {
    /// Builds the table of `base` (any point, the identity included).
    pub(crate) fn new(base: &ProjectivePoint) -> Self {
        debug_assert!(E == 1 << (W - 1) && N * W >= SCALAR_BITS);
        let mut proj = Vec::with_capacity(N * E);
        let mut b = *base;
        for _ in 0..N {
            let mut p = b;
            proj.push(p);
            for _ in 1..E {
                p += &b;
                proj.push(p);
            }
            // p = E·b = 2^(W-1)·b, so the next window's base is 2^W·b = 2p.
            b = p.double();
        }
        let win = proj
            .chunks_exact(E)
            .map(|c| {
                let mut w = [ProjectivePoint::IDENTITY; E];
                w.copy_from_slice(c);
                w
            })
            .collect();
        Self { win }
    }

    /// `[k]B` in constant time: every window reads all E entries with masked selection.
    pub(crate) fn mul(&self, k: &Scalar) -> ProjectivePoint {
        let mut d = signed_digits::<W, N>(k);
        let mut acc = ProjectivePoint::IDENTITY;
        for (w, &di) in self.win.iter().zip(d.iter()) {
            let neg = Choice::from((di as u8) >> 7);
            let m = di >> 7; // 0 or -1
            let abs = (di ^ m).wrapping_sub(m) as u8;
            let mut t = ProjectivePoint::IDENTITY;
            for (j, e) in w.iter().enumerate() {
                t.conditional_assign(e, abs.ct_eq(&((j + 1) as u8)));
            }
            let tn = -t;
            t.conditional_assign(&tn, neg);
            // The addition formulas are complete, the identity included (digit 0).
            acc += &t;
        }
        d.zeroize();
        acc
    }

    /// `[k]B` in variable time (public scalars only).
    pub(crate) fn mul_vartime(&self, k: &Scalar) -> ProjectivePoint {
        let d = signed_digits::<W, N>(k);
        let mut acc = ProjectivePoint::IDENTITY;
        for (w, &di) in self.win.iter().zip(d.iter()) {
            let idx = (di.unsigned_abs() as usize).wrapping_sub(1);
            if let Some(p) = w.get(idx) {
                if di > 0 {
                    acc += p;
                } else {
                    acc -= p;
                }
            }
        }
        acc
    }
}

/// The odd multiples `P, 3P, …, (2E-1)P` of a point, for a wNAF of width log2(E)+2.
#[derive(Clone)]
pub(crate) struct OddMultiples<const E: usize>(pub(crate) [ProjectivePoint; E]);

impl<const E: usize> OddMultiples<E> {
    pub(crate) fn new(p: &ProjectivePoint) -> Self {
        let mut proj = [ProjectivePoint::IDENTITY; E];
        let p2 = p.double();
        let mut acc = *p;
        for slot in proj.iter_mut() {
            *slot = acc;
            acc += &p2;
        }
        Self(proj)
    }
}

/// `Σ [k_i]P_i` in variable time from wNAF digits and odd-multiple tables (Straus: one chain of
/// doublings shared by every term). Public data only.
pub(crate) fn lincomb_vartime(
    terms: &[(&[i8; SCALAR_BITS], &[ProjectivePoint])],
) -> ProjectivePoint {
    let top = terms
        .iter()
        .filter_map(|(d, _)| d.iter().rposition(|&x| x != 0))
        .max();
    let Some(top) = top else {
        return ProjectivePoint::IDENTITY;
    };
    let mut acc = ProjectivePoint::IDENTITY;
    for i in (0..=top).rev() {
        acc = acc.double();
        for (d, tab) in terms {
            let di = d[i];
            if di != 0 {
                if let Some(p) = tab.get(di.unsigned_abs() as usize / 2) {
                    if di > 0 {
                        acc += p;
                    } else {
                        acc -= p;
                    }
                }
            }
        }
    }
    acc
}

/// Window width of the generator's comb (constant-time signing path and cached verification).
pub(crate) type GeneratorComb = FixedBase<5, 52, 16>;
/// wNAF width used for the generator inside a Straus chain, and its table size.
pub(crate) const G_WNAF: usize = 8;
pub(crate) type GeneratorOdd = OddMultiples<64>;

static G_COMB: OnceLock<GeneratorComb> = OnceLock::new();
static G_ODD: OnceLock<GeneratorOdd> = OnceLock::new();

/// The generator's comb, built on first use.
pub(crate) fn g_comb() -> &'static GeneratorComb {
    G_COMB.get_or_init(|| FixedBase::new(&ProjectivePoint::GENERATOR))
}

/// The generator's odd multiples `G, 3G, …, 127G`, built on first use.
pub(crate) fn g_odd() -> &'static GeneratorOdd {
    G_ODD.get_or_init(|| OddMultiples::new(&ProjectivePoint::GENERATOR))
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::elliptic_curve::Field;
    use proptest::prelude::*;

    fn scalar_from(bytes: [u8; 32]) -> Scalar {
        use p256::elliptic_curve::ops::Reduce;
        <Scalar as Reduce<p256::U256>>::reduce_bytes(&bytes.into())
    }

    fn edge_scalars() -> Vec<Scalar> {
        let mut v = vec![Scalar::ZERO, Scalar::ONE, -Scalar::ONE, Scalar::from(2u64)];
        v.push(-Scalar::from(2u64));
        v.push(Scalar::from(u64::MAX));
        v.push(scalar_from([0xFF; 32]));
        v.push(scalar_from([0x80; 32]));
        v.push(scalar_from([0x88; 32]));
        v.push(scalar_from([0x77; 32]));
        v
    }

    #[test]
    fn generator_tables_match_reference_on_edges() {
        let g = ProjectivePoint::GENERATOR;
        for k in edge_scalars() {
            let want = g * k;
            assert_eq!(g_comb().mul(&k), want);
            assert_eq!(g_comb().mul_vartime(&k), want);
            let d = wnaf_vartime::<G_WNAF>(&k);
            assert_eq!(lincomb_vartime(&[(&d, &g_odd().0)]), want);
        }
    }

    #[test]
    fn digits_reconstruct() {
        for k in edge_scalars() {
            // Σ d_i 2^(W i) == k, checked in the scalar field.
            let d = signed_digits::<4, 65>(&k);
            let mut acc = Scalar::ZERO;
            for &di in d.iter().rev() {
                for _ in 0..4 {
                    acc = acc.double();
                }
                let m = Scalar::from(di.unsigned_abs() as u64);
                acc += if di < 0 { -m } else { m };
            }
            assert_eq!(acc, k);
            let n = wnaf_vartime::<5>(&k);
            let mut acc = Scalar::ZERO;
            for &di in n.iter().rev() {
                acc = acc.double();
                let m = Scalar::from(di.unsigned_abs() as u64);
                acc += if di < 0 { -m } else { m };
            }
            assert_eq!(acc, k);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn fixed_base_matches_p256_mul(kb in any::<[u8; 32]>(), bb in any::<[u8; 32]>()) {
            let k = scalar_from(kb);
            let base = ProjectivePoint::GENERATOR * scalar_from(bb);
            let want = base * k;
            let t = FixedBase::<5, 52, 16>::new(&base);
            prop_assert_eq!(t.mul(&k), want);
            prop_assert_eq!(t.mul_vartime(&k), want);
            let t4 = FixedBase::<4, 65, 8>::new(&base);
            prop_assert_eq!(t4.mul(&k), want);
            prop_assert_eq!(g_comb().mul(&k), ProjectivePoint::GENERATOR * k);
        }

        #[test]
        fn lincomb_matches_p256_mul(a in any::<[u8; 32]>(), b in any::<[u8; 32]>(), c in any::<[u8; 32]>(), pb in any::<[u8; 32]>()) {
            let (a, b, c) = (scalar_from(a), scalar_from(b), scalar_from(c));
            let p = ProjectivePoint::GENERATOR * scalar_from(pb);
            let q = p.double() + ProjectivePoint::GENERATOR;
            let want = ProjectivePoint::GENERATOR * a + p * b + q * c;
            let (da, db, dc) = (wnaf_vartime::<G_WNAF>(&a), wnaf_vartime::<5>(&b), wnaf_vartime::<6>(&c));
            let tp = OddMultiples::<8>::new(&p);
            let tq = OddMultiples::<16>::new(&q);
            let got = lincomb_vartime(&[(&da, &g_odd().0), (&db, &tp.0), (&dc, &tq.0)]);
            prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn identity_base_is_handled() {
        let t = FixedBase::<5, 52, 16>::new(&ProjectivePoint::IDENTITY);
        let k = Scalar::random(&mut rand_core::OsRng);
        assert_eq!(t.mul(&k), ProjectivePoint::IDENTITY);
        assert_eq!(t.mul_vartime(&k), ProjectivePoint::IDENTITY);
    }
}
