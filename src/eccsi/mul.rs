//! Scalar multiplication on P-256 for ECCSI (on the crate's own field and point code).
//!
//! - [`Comb`]: a table of `k·2^(W·i)·B` (k = 1..2^(W-1)) for a fixed base `B`, read with signed
//!   radix-2^W digits and no doublings. `mul_ct` scans every entry of every window and uses the
//!   complete formulas (constant time, for secret scalars: KSAK, v, SSK, j); `mul_vartime`
//!   indexes directly and uses Jacobian formulas (public scalars only).
//! - [`OddMultiples`] + [`lincomb_vartime`]: interleaved width-w NAF (Straus) for a sum of
//!   products with variable bases, sharing one chain of doublings (public data only).
//!
//! The generator has two process-wide tables built on first use: its comb and the odd
//! multiples used when `G` joins a wNAF chain.

use std::sync::OnceLock;

use p256::elliptic_curve::PrimeField;
use p256::Scalar;
use subtle::{Choice, ConditionallySelectable, ConstantTimeEq};
use zeroize::Zeroize;

use super::field::Fe;
use super::point::{normalize_batch, Aff, Jac, JacCached, Proj};

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
pub(crate) fn wnaf_vartime<const W: usize>(k: &Scalar) -> [i16; SCALAR_BITS] {
    debug_assert!((2..=14).contains(&W));
    let l = limbs(k);
    let mut n = [l[0], l[1], l[2], l[3], 0u64];
    let mut out = [0i16; SCALAR_BITS];
    for o in out.iter_mut() {
        if (n[0] | n[1] | n[2] | n[3] | n[4]) == 0 {
            break;
        }
        if n[0] & 1 == 1 {
            let mut d = (n[0] & ((1u64 << W) - 1)) as i64;
            if d >= 1 << (W - 1) {
                d -= 1 << W;
            }
            *o = d as i16;
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

/// Fixed-base table ("comb"): window `i` holds `k·2^(W·i)·B` for k = 1..=E (E = 2^(W-1)), in
/// affine form, N windows.
#[derive(Clone)]
pub(crate) struct Comb<const W: usize, const N: usize, const E: usize> {
    win: Vec<[Aff; E]>,
}

impl<const W: usize, const N: usize, const E: usize> Comb<W, N, E> {
    /// Builds the table of a public `base` (the identity included): N·E additions and one
    /// inversion.
    pub(crate) fn new(base: &Aff) -> Self {
        debug_assert!(E == 1 << (W - 1) && N * W >= SCALAR_BITS);
        let mut jac = Vec::with_capacity(N * E);
        let mut b = Jac::from_aff(base);
        for _ in 0..N {
            let mut p = b;
            jac.push(p);
            for _ in 1..E {
                p = p.add_vartime(&b);
                jac.push(p);
            }
            // p = E·b = 2^(W-1)·b, so the next window's base is 2^W·b = 2p.
            b = p.double();
        }
        let aff = normalize_batch(&jac);
        let win = aff
            .chunks_exact(E)
            .map(|c| {
                let mut w = [Aff::IDENTITY; E];
                w.copy_from_slice(c);
                w
            })
            .collect();
        Self { win }
    }

    /// `[k]B` in constant time, for a base whose table holds no identity (the generator):
    /// every window reads all E entries with masked selection and the complete mixed addition
    /// runs for every window (its result is discarded by a masked select for digit 0).
    pub(crate) fn mul_ct(&self, k: &Scalar) -> Proj {
        let mut d = signed_digits::<W, N>(k);
        let mut acc = Proj::IDENTITY;
        for (w, &di) in self.win.iter().zip(d.iter()) {
            let neg = Choice::from((di as u8) >> 7);
            let m = di >> 7; // 0 or -1
            let abs = (di ^ m).wrapping_sub(m) as u8;
            // Full-table scan with arithmetic masks: all-ones for the entry abs − 1, zero for
            // every other (no branch, no secret index). The digit passes an optimization
            // barrier once per window so that the masks stay data-flow, not control flow.
            let key = core::hint::black_box(u64::from(abs));
            let mut x = [0u64; 4];
            let mut y = [0u64; 4];
            for (j, e) in w.iter().enumerate() {
                let diff = key ^ (j as u64 + 1);
                let hit = (diff.wrapping_sub(1) >> 63).wrapping_neg();
                for l in 0..4 {
                    x[l] |= e.x.0[l] & hit;
                    y[l] |= e.y.0[l] & hit;
                }
            }
            let (x, mut y) = (Fe(x), Fe(y));
            let yn = y.neg();
            y.conditional_assign(&yn, neg);
            let sum = acc.add_mixed(&Aff { x, y, inf: false });
            acc = Proj::conditional_select(&sum, &acc, abs.ct_eq(&0));
        }
        d.zeroize();
        acc
    }

    /// `acc + [k]B` in variable time (public scalars only).
    pub(crate) fn mul_vartime(&self, k: &Scalar, mut acc: Jac) -> Jac {
        let d = signed_digits::<W, N>(k);
        for (w, &di) in self.win.iter().zip(d.iter()) {
            let idx = (di.unsigned_abs() as usize).wrapping_sub(1);
            if let Some(p) = w.get(idx) {
                acc = if di > 0 {
                    acc.add_aff_vartime(p)
                } else {
                    acc.add_aff_vartime(&p.neg())
                };
            }
        }
        acc
    }
}

/// The odd multiples `P, 3P, …, (2E-1)P` of a point, affine, for a wNAF of width log2(E)+2.
#[derive(Clone)]
pub(crate) struct OddMultiples<const E: usize>(pub(crate) [Aff; E]);

impl<const E: usize> OddMultiples<E> {
    /// E additions and one inversion.
    pub(crate) fn new(p: &Aff) -> Self {
        let p1 = Jac::from_aff(p);
        let p2 = p1.double();
        let mut jac = [Jac::IDENTITY; E];
        let mut acc = p1;
        for slot in jac.iter_mut() {
            *slot = acc;
            acc = acc.add_vartime(&p2);
        }
        let aff = normalize_batch(&jac);
        let mut out = [Aff::IDENTITY; E];
        out.copy_from_slice(&aff);
        Self(out)
    }
}

/// The odd multiples `P, 3P, …, (2E-1)P` of a point in Jacobian form with cached Z powers:
/// no inversion to build, two more products per addition than affine entries. Pays off for a
/// table used once (a signature's PVT).
#[derive(Clone)]
pub(crate) struct OddMultiplesJac<const E: usize>(pub(crate) [JacCached; E]);

impl<const E: usize> OddMultiplesJac<E> {
    pub(crate) fn new(p: &Aff) -> Self {
        let p1 = Jac::from_aff(p);
        let p2 = JacCached::new(&p1.double());
        let mut out = [JacCached::new(&Jac::IDENTITY); E];
        let mut acc = p1;
        for slot in out.iter_mut() {
            *slot = JacCached::new(&acc);
            acc = acc.add_cached_vartime(&p2);
        }
        Self(out)
    }
}

/// `Σ [k_i]P_i` in variable time from wNAF digits and odd-multiple tables, affine
/// ([`OddMultiples`]) or Jacobian ([`OddMultiplesJac`]) (Straus: one chain of doublings shared
/// by every term). Public data only.
pub(crate) fn lincomb_vartime(
    terms: &[(&[i16; SCALAR_BITS], &[Aff])],
    jterms: &[(&[i16; SCALAR_BITS], &[JacCached])],
) -> Jac {
    let top = terms
        .iter()
        .filter_map(|(d, _)| d.iter().rposition(|&x| x != 0))
        .chain(
            jterms
                .iter()
                .filter_map(|(d, _)| d.iter().rposition(|&x| x != 0)),
        )
        .max();
    let Some(top) = top else {
        return Jac::IDENTITY;
    };
    let mut acc = Jac::IDENTITY;
    for i in (0..=top).rev() {
        acc = acc.double();
        for (d, tab) in terms {
            let di = d[i];
            if di != 0 {
                if let Some(p) = tab.get(di.unsigned_abs() as usize / 2) {
                    acc = if di > 0 {
                        acc.add_aff_vartime(p)
                    } else {
                        acc.add_aff_vartime(&p.neg())
                    };
                }
            }
        }
        for (d, tab) in jterms {
            let di = d[i];
            if di != 0 {
                if let Some(p) = tab.get(di.unsigned_abs() as usize / 2) {
                    acc = if di > 0 {
                        acc.add_cached_vartime(p)
                    } else {
                        acc.add_cached_vartime(&p.neg())
                    };
                }
            }
        }
    }
    acc
}

/// The generator's comb (constant-time signing path and cached verification).
pub(crate) type GeneratorComb = Comb<6, 43, 32>;
/// wNAF width used for the generator inside a Straus chain, and its table.
pub(crate) const G_WNAF: usize = 10;
pub(crate) type GeneratorOdd = OddMultiples<256>;

static G_COMB: OnceLock<GeneratorComb> = OnceLock::new();
static G_ODD: OnceLock<GeneratorOdd> = OnceLock::new();

/// The generator's comb, built on first use.
pub(crate) fn g_comb() -> &'static GeneratorComb {
    G_COMB.get_or_init(|| Comb::new(&Aff::generator()))
}

/// The generator's odd multiples `G, 3G, …, 511G`, built on first use.
pub(crate) fn g_odd() -> &'static GeneratorOdd {
    G_ODD.get_or_init(|| OddMultiples::new(&Aff::generator()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::elliptic_curve::group::Group;
    use p256::elliptic_curve::sec1::ToEncodedPoint;
    use p256::elliptic_curve::Field;
    use p256::ProjectivePoint;
    use proptest::prelude::*;

    fn scalar_from(bytes: [u8; 32]) -> Scalar {
        use p256::elliptic_curve::ops::Reduce;
        <Scalar as Reduce<p256::U256>>::reduce_bytes(&bytes.into())
    }

    /// The reference: `p256`'s own arithmetic, as SEC1 (None for the identity).
    fn reference(p: &ProjectivePoint) -> Option<[u8; 65]> {
        let e = p.to_affine().to_encoded_point(false);
        e.as_bytes().try_into().ok()
    }

    fn proj_sec1(p: &Proj) -> Option<[u8; 65]> {
        p.to_affine().to_sec1()
    }

    fn jac_sec1(p: &Jac) -> Option<[u8; 65]> {
        normalize_batch(&[*p])[0].to_sec1()
    }

    fn aff_of(p: &ProjectivePoint) -> Aff {
        match reference(p) {
            Some(b) => Aff::from_sec1(&b).unwrap(),
            None => Aff::IDENTITY,
        }
    }

    fn edge_scalars() -> Vec<Scalar> {
        let mut v = vec![Scalar::ZERO, Scalar::ONE, -Scalar::ONE, Scalar::from(2u64)];
        v.push(-Scalar::from(2u64));
        v.push(Scalar::from(u64::MAX));
        v.push(scalar_from([0xFF; 32]));
        v.push(scalar_from([0x80; 32]));
        v.push(scalar_from([0x88; 32]));
        v.push(scalar_from([0x77; 32]));
        v.push(Scalar::from(16u64));
        v.push(-Scalar::from(16u64));
        v
    }

    #[test]
    fn generator_tables_match_reference_on_edges() {
        let g = ProjectivePoint::GENERATOR;
        for k in edge_scalars() {
            let want = reference(&(g * k));
            assert_eq!(proj_sec1(&g_comb().mul_ct(&k)), want);
            assert_eq!(jac_sec1(&g_comb().mul_vartime(&k, Jac::IDENTITY)), want);
            let d = wnaf_vartime::<G_WNAF>(&k);
            assert_eq!(jac_sec1(&lincomb_vartime(&[(&d, &g_odd().0)], &[])), want);
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

    #[test]
    fn exceptional_cases() {
        let g = ProjectivePoint::GENERATOR;
        let ga = aff_of(&g);
        let gj = Jac::from_aff(&ga);
        // P + P, P + (−P), O + P, P + O, through every formula.
        assert_eq!(jac_sec1(&gj.add_aff_vartime(&ga)), reference(&g.double()));
        assert_eq!(jac_sec1(&gj.add_vartime(&gj)), reference(&g.double()));
        assert!(gj.add_aff_vartime(&ga.neg()).is_identity());
        assert!(gj.add_vartime(&Jac::from_aff(&ga.neg())).is_identity());
        assert_eq!(jac_sec1(&Jac::IDENTITY.add_aff_vartime(&ga)), reference(&g));
        assert_eq!(jac_sec1(&gj.add_aff_vartime(&Aff::IDENTITY)), reference(&g));
        assert!(Jac::IDENTITY.double().is_identity());
        let gc = JacCached::new(&gj.double());
        let g2 = gj.double();
        assert_eq!(
            jac_sec1(&g2.add_cached_vartime(&gc)),
            reference(&g.double().double())
        );
        assert!(g2.add_cached_vartime(&gc.neg()).is_identity());
        assert_eq!(
            jac_sec1(&Jac::IDENTITY.add_cached_vartime(&gc)),
            reference(&g.double())
        );
        assert_eq!(
            jac_sec1(&g2.add_cached_vartime(&JacCached::new(&Jac::IDENTITY))),
            reference(&g.double())
        );
        assert_eq!(
            jac_sec1(&gj.add_cached_vartime(&gc)),
            reference(&(g.double() + g))
        );
        let gp = Proj::IDENTITY.add_mixed(&ga);
        assert_eq!(proj_sec1(&gp), reference(&g));
        assert_eq!(proj_sec1(&gp.add_mixed(&ga)), reference(&g.double()));
        assert!(bool::from(gp.add_mixed(&ga.neg()).is_identity()));
        assert!(gp.eq_jac(&gj));
        assert!(!gp.eq_jac(&gj.double()));
        assert!(!gp.eq_jac(&Jac::IDENTITY));
        assert!(Proj::IDENTITY.eq_jac(&Jac::IDENTITY));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn combs_match_p256(kb in any::<[u8; 32]>(), bb in any::<[u8; 32]>()) {
            let k = scalar_from(kb);
            let base = ProjectivePoint::GENERATOR * scalar_from(bb);
            let want = reference(&(base * k));
            let t = Comb::<5, 52, 16>::new(&aff_of(&base));
            prop_assert_eq!(jac_sec1(&t.mul_vartime(&k, Jac::IDENTITY)), want);
            if !bool::from(scalar_from(bb).is_zero()) {
                prop_assert_eq!(proj_sec1(&t.mul_ct(&k)), want);
            }
            let t4 = Comb::<4, 65, 8>::new(&aff_of(&base));
            prop_assert_eq!(jac_sec1(&t4.mul_vartime(&k, Jac::IDENTITY)), want);
            prop_assert_eq!(proj_sec1(&g_comb().mul_ct(&k)), reference(&(ProjectivePoint::GENERATOR * k)));
        }

        #[test]
        fn lincomb_matches_p256(a in any::<[u8; 32]>(), b in any::<[u8; 32]>(), c in any::<[u8; 32]>(), pb in any::<[u8; 32]>()) {
            let (a, b, c) = (scalar_from(a), scalar_from(b), scalar_from(c));
            let p = ProjectivePoint::GENERATOR * scalar_from(pb);
            let q = p.double() + ProjectivePoint::GENERATOR;
            let want = reference(&(ProjectivePoint::GENERATOR * a + p * b + q * c));
            let (da, db, dc) = (wnaf_vartime::<G_WNAF>(&a), wnaf_vartime::<5>(&b), wnaf_vartime::<6>(&c));
            let tp = OddMultiples::<8>::new(&aff_of(&p));
            let tq = OddMultiples::<16>::new(&aff_of(&q));
            let got = lincomb_vartime(&[(&da, &g_odd().0), (&db, &tp.0), (&dc, &tq.0)], &[]);
            prop_assert_eq!(jac_sec1(&got), want);
            let tpj = OddMultiplesJac::<8>::new(&aff_of(&p));
            let got = lincomb_vartime(&[(&da, &g_odd().0), (&dc, &tq.0)], &[(&db, &tpj.0)]);
            prop_assert_eq!(jac_sec1(&got), want);
            let got = lincomb_vartime(&[], &[(&db, &tpj.0)]);
            prop_assert_eq!(jac_sec1(&got), reference(&(p * b)));
        }

        #[test]
        fn complete_formulas_match_p256(a in any::<[u8; 32]>(), b in any::<[u8; 32]>()) {
            let p = ProjectivePoint::GENERATOR * scalar_from(a);
            let q = ProjectivePoint::GENERATOR * scalar_from(b);
            let (pa, qa) = (aff_of(&p), aff_of(&q));
            let pp = Proj::IDENTITY.add_mixed(&pa);
            prop_assert_eq!(proj_sec1(&pp.add_mixed(&qa)), reference(&(p + q)));
            prop_assert_eq!(jac_sec1(&Jac::from_aff(&pa).add_aff_vartime(&qa)), reference(&(p + q)));
            prop_assert_eq!(jac_sec1(&Jac::from_aff(&pa).double().add_vartime(&Jac::from_aff(&qa))), reference(&(p.double() + q)));
        }
    }

    #[test]
    fn identity_base_is_handled() {
        let t = Comb::<5, 52, 16>::new(&Aff::IDENTITY);
        let k = Scalar::random(&mut rand_core::OsRng);
        assert!(t.mul_vartime(&k, Jac::IDENTITY).is_identity());
    }
}
