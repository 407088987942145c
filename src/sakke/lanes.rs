//! Single SAKKE scalar multiplications on the eight-lane AVX-512 IFMA backend: one fixed-base
//! comb evaluation split over the lanes ([`SplitCombX8`]: signed 4-bit digits, each lane sums
//! its own range of 32 of the 256 windows, the lanes are merged with complete additions). Used
//! by `encapsulate` (`R = [r·b]P + [r]Z`), `issue_rsk` (`[1/(z+b)]P`) and the free
//! `decapsulate`'s check; every function returns `None` when the lanes cannot be used (a
//! comb failed to build; the token proves the CPU has IFMA) and the caller keeps the scalar engine.
//!
//! P's split comb is process-wide, Z's is cached in [`KmsPublic`] (655 KB each). Batches of
//! eight scalars (`issue_rsks`) use the batch path's [`CombX8`] of P instead. The results are the same points as [`super::table::PointTable::mul`] / `mul2` (the property test
//! `sakke_lanes` compares them); the scalars are secret and the kernels constant time (full
//! table scans with lane masks; the exceptional-case argument is on [`CombX8`]).

use subtle::ConditionallySelectable;
use zeroize::Zeroize;

use std::sync::{Arc, OnceLock};

use crate::backend::x86_64::fp_ifma::{
    mul2 as ifma_mul2, Fp2H, FpH, FpX8, Ifma, PfpSplitX8, PointX8, SplitCombX8, LANES,
};

use super::curve::Proj;
use super::fp::Fp;
use super::fp2::Fp2;
use super::params::LIMBS;
use super::scalar::Scalar;
use super::{batch, KmsPublic};

/// `[a]P + [b]Z` for the KMS's Z on the lanes, as the projective point `PointTable::mul2`
/// returns (same point; the representative may differ). `None`: lanes unavailable.
pub(super) fn mul2(t: Ifma, kms: &KmsPublic, a: &Scalar, b: &Scalar) -> Option<Proj> {
    let p = p_split(t)?;
    let z = kms.combs.split(t, &kms.z)?;
    let pt = SplitCombX8::mul2(p, &a.0, &z, &b.0).ok()?;
    Some(to_proj(&pt))
}

/// `[a]B` for a base with its own split comb (a member's I = [b]P + Z).
pub(super) fn mul_with(comb: &SplitCombX8, a: &Scalar) -> Option<Proj> {
    let pt = comb.mul(&a.0).ok()?;
    Some(to_proj(&pt))
}

/// `[a]P` on the lanes. `None`: lanes unavailable.
pub(super) fn mul_p(t: Ifma, a: &Scalar) -> Option<Proj> {
    let pt = p_split(t)?.mul(&a.0).ok()?;
    Some(to_proj(&pt))
}

/// `g^r` in PF_p on the lanes (an F_p² value of the class, as `PfTable::pow` returns; the
/// representative may differ). `None`: lanes unavailable.
pub(super) fn g_pow(t: Ifma, r: &Scalar) -> Option<Fp2> {
    static C: OnceLock<Option<PfpSplitX8>> = OnceLock::new();
    let c = C
        .get_or_init(|| PfpSplitX8::new(t, &super::params::G).ok())
        .as_ref()?;
    let v = c.pow(&r.0).ok()?;
    let mut re = v.re.to_u64x16x8();
    let mut im = v.im.to_u64x16x8();
    let out = Fp2 {
        a: Fp::from_canonical(&re[0]),
        b: Fp::from_canonical(&im[0]),
    };
    re.zeroize();
    im.zeroize();
    Some(out)
}

/// The split comb of P (built on first use, shared by every KMS); `None` if the build failed.
fn p_split(t: Ifma) -> Option<&'static SplitCombX8> {
    static C: OnceLock<Option<SplitCombX8>> = OnceLock::new();
    C.get_or_init(|| {
        let g = super::curve::Affine::generator();
        SplitCombX8::new(t, &g.x.to_canonical(), &g.y.to_canonical()).ok()
    })
    .as_ref()
}

/// The split comb of a point of order q (a KMS's Z, a member's I).
pub(super) fn z_split(t: Ifma, z: &super::curve::Affine) -> Option<Arc<SplitCombX8>> {
    SplitCombX8::new(t, &z.x.to_canonical(), &z.y.to_canonical())
        .ok()
        .map(Arc::new)
}

/// Lane 0 of a Jacobian eight-lane point as a homogeneous projective point:
/// (X, Y, Z) ↦ (X·Z, Y, Z³), and the identity (0 : 1 : 0) when Z = 0.
fn to_proj(pt: &PointX8) -> Proj {
    let (x, y, z) = pt.jacobian();
    let mut xs = x.to_u64x16x8();
    let mut ys = y.to_u64x16x8();
    let mut zs = z.to_u64x16x8();
    let out = jacobian_to_proj(
        Fp::from_canonical(&xs[0]),
        Fp::from_canonical(&ys[0]),
        Fp::from_canonical(&zs[0]),
    );
    xs.zeroize();
    ys.zeroize();
    zs.zeroize();
    out
}

/// `[s_i]P` for many scalars: groups of eight on the lanes with one scalar per lane
/// (the batch path's `CombX8::mul_x8`), or split evaluations for fewer than [`MANY_MIN`] scalars.
/// `None`: lanes unavailable.
pub(super) fn mul_p_many(t: Ifma, s: &[Scalar]) -> Option<Vec<Proj>> {
    let mut out = Vec::with_capacity(s.len());
    if s.len() < MANY_MIN {
        let p = p_split(t)?;
        for k in s {
            out.push(to_proj(&p.mul(&k.0).ok()?));
        }
        return Some(out);
    }
    let p = batch::p_comb(t)?;
    for chunk in s.chunks(8) {
        let mut ks = [[0u64; 16]; 8];
        for (d, k) in ks.iter_mut().zip(chunk) {
            *d = k.0;
        }
        let pt = p.mul_x8(&ks);
        ks.zeroize();
        let pt = pt.ok()?;
        out.extend(lanes_to_proj(&pt).into_iter().take(chunk.len()));
    }
    Some(out)
}

/// Below this many scalars a run of split evaluations beats one partly filled lane group.
const MANY_MIN: usize = 3;

/// Every lane of a Jacobian eight-lane point as a homogeneous projective point (as
/// [`to_proj`]).
fn lanes_to_proj(pt: &PointX8) -> [Proj; 8] {
    let (x, y, z) = pt.jacobian();
    let mut xs = x.to_u64x16x8();
    let mut ys = y.to_u64x16x8();
    let mut zs = z.to_u64x16x8();
    let out = core::array::from_fn(|l| {
        jacobian_to_proj(
            Fp::from_canonical(&xs[l]),
            Fp::from_canonical(&ys[l]),
            Fp::from_canonical(&zs[l]),
        )
    });
    xs.zeroize();
    ys.zeroize();
    zs.zeroize();
    out
}

fn jacobian_to_proj(jx: Fp, jy: Fp, jz: Fp) -> Proj {
    let out = Proj {
        x: jx.mul(&jz),
        y: jy,
        z: jz.square().mul(&jz),
    };
    Proj::conditional_select(&out, &Proj::IDENTITY, jz.is_zero())
}

/// The lines as lane vectors (eight lines per pair, canonical values of a and b).
pub(super) fn lane_groups(t: Ifma, lines: &[(Fp, Fp, bool)]) -> Option<Vec<(FpX8, FpX8)>> {
    let mut out = Vec::with_capacity(lines.len().div_ceil(LANES));
    // The Montgomery limbs x·2^1024 (fully reduced) load as residues; one lane product by
    // 2^-1024 then gives x, cheaper than a scalar conversion to canonical form per value.
    let mut one_raw = [0u64; LIMBS];
    one_raw[0] = 1;
    let inv_r = FpX8::splat(t, &Fp(one_raw).to_canonical()).ok()?;
    for chunk in lines.chunks(LANES) {
        let mut a = [[0u64; LIMBS]; LANES];
        let mut b = [[0u64; LIMBS]; LANES];
        for (l, (la, lb, _)) in chunk.iter().enumerate() {
            a[l] = la.0;
            b[l] = lb.0;
        }
        let va = FpX8::from_u64x16x8(t, &a).ok();
        let vb = FpX8::from_u64x16x8(t, &b).ok();
        a.zeroize();
        b.zeroize();
        out.push((va?.mul(&inv_r), vb?.mul(&inv_r)));
    }
    Some(out)
}

/// The Miller loop on the IFMA backend: the line values `s = a·u + b·v`, eight at a time in
/// the lanes (one reduction for both products), then the chain `f ← f²·(s + i)` with both products of each step in one
/// two-product call ([`mul2`]), f kept in the lanes' Montgomery domain (R = 2^1040) and its
/// parts lazily reduced (below 16p) until the end.
pub(super) fn miller_lanes(
    groups: &[(FpX8, FpX8)],
    lines: &[(Fp, Fp, bool)],
    u: &Fp,
    v: &Fp,
) -> Option<Fp2> {
    let t = groups.first()?.0.token();
    let mut uc = u.to_canonical();
    let mut vc = v.to_canonical();
    let uu = FpX8::splat(t, &uc).ok();
    let vv = FpX8::splat(t, &vc).ok();
    uc.zeroize();
    vc.zeroize();
    let (uu, vv) = (uu?, vv?);
    let one = FpX8::one(t);
    let mut f = Fp2H {
        re: FpH::from_lane(&one, 0),
        im: FpH::ZERO,
    };
    for (g, (a, b)) in groups.iter().enumerate() {
        let s = a.mul_add_mul(&uu, b, &vv);
        for (l, (_, _, d)) in lines.iter().skip(g * LANES).take(LANES).enumerate() {
            let mut sh = FpH::from_lane(&s, l);
            // The step kinds are public (they follow q). A tangent's product follows a square
            // and can skip the reduction; a chord's reduces its input first.
            if *d {
                f.square_assign(t);
                f.mul_by_s_plus_i_assign(t, &sh);
            } else {
                f.mul_by_s_plus_i_assign_reduced(t, &sh);
            }
            sh.zeroize();
        }
    }
    // Out of the lanes' domain into F_p's: x·2^1040 ↦ x·2^1024 (a product by 2^1024 mod p).
    let r64 = FpH::from_u64x16(&Fp::ONE.0);
    let (mut re, mut im) = ifma_mul2(t, &f.re, &r64, &f.im, &r64);
    let out = Fp2 {
        a: Fp(re.to_u64x16_mod_p()),
        b: Fp(im.to_u64x16_mod_p()),
    };
    f.zeroize();
    re.zeroize();
    im.zeroize();
    Some(out)
}
