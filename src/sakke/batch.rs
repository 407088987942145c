//! Batch encapsulation on the eight-lane AVX-512 IFMA backend: per group of eight recipients,
//! `R = [r·b]P + [r]Z` with two shared fixed-base combs ([`CombX8`]), `g^r` with the PF_p comb
//! ([`PfpCombX8`]), then one lane-wise inversion (Montgomery's trick) shared by every group of
//! the share for R's Z coordinates and the real parts of g^r. Hashing (r, the mask) is scalar.
//!
//! Same results as [`super::encapsulate`] for every input, errors included (the property test
//! `sakke_batch` compares both paths). Secrets (r, r·b, g^r, the mask) are handled by
//! constant-time lane kernels and wiped after use.

use std::sync::{Arc, OnceLock};

use zeroize::Zeroize;

use crate::backend::x86_64::fp_ifma::{CombX8, Fp2X8, FpX8, Ifma, PfpCombX8, PointX8, LANES};
use crate::{Error, Result};

use super::curve::Affine;
use super::engine::Engine;
use super::fp::Fp;
use super::{derive_r, hash, identity_scalar, params, KmsPublic, Ssv, POINT_LEN, SED_LEN, SSV_LEN};

/// The comb of P (built on first use, shared by every KMS); `None` if the build failed.
pub(super) fn p_comb(t: Ifma) -> Option<&'static CombX8> {
    static C: OnceLock<Option<CombX8>> = OnceLock::new();
    C.get_or_init(|| {
        let g = Affine::generator();
        CombX8::new(t, &g.x.to_canonical(), &g.y.to_canonical()).ok()
    })
    .as_ref()
}

/// The PF_p comb of g (built on first use).
fn g_comb(t: Ifma) -> Option<&'static PfpCombX8> {
    static C: OnceLock<Option<PfpCombX8>> = OnceLock::new();
    C.get_or_init(|| PfpCombX8::new(t, &params::G).ok())
        .as_ref()
}

/// The comb of a KMS's Z (its canonical coordinates).
pub(super) fn z_comb(t: Ifma, z: &Affine) -> Option<Arc<CombX8>> {
    CombX8::new(t, &z.x.to_canonical(), &z.y.to_canonical())
        .ok()
        .map(Arc::new)
}

/// The three combs a batch needs, or `None` when the lanes cannot be used (no IFMA, or a
/// comb failed to build) and the caller should take the scalar path.
pub(super) struct Combs<'a> {
    /// The engine the batch runs on (its single encapsulations too).
    engine: Engine,
    kms: &'a KmsPublic,
    p: &'static CombX8,
    z: Arc<CombX8>,
    g: &'static PfpCombX8,
}

impl<'a> Combs<'a> {
    pub(super) fn get(engine: Engine, t: Ifma, kms: &'a KmsPublic) -> Option<Combs<'a>> {
        let p = p_comb(t)?;
        let g = g_comb(t)?;
        let z = kms.combs.batch(t, &kms.z)?;
        Some(Combs {
            engine,
            kms,
            p,
            z,
            g,
        })
    }
}

/// One group's lane results before the shared inversion.
struct Group {
    r_pt: PointX8,
    gr: Fp2X8,
    /// Lanes whose r is zero (no encapsulation exists for them).
    r_zero: u8,
    /// Lanes actually used (the tail group may be partial).
    used: usize,
}

/// A tail group of fewer recipients than this goes through single encapsulations (each split
/// over the lanes, ≈ 1/5 of a full group's time) instead of a partly filled lane group.
pub(super) const GROUP_MIN: usize = 5;

/// Encapsulations of one share of items (any length): groups of eight on the lanes, a short
/// tail (fewer than [`GROUP_MIN`]) one by one.
pub(super) fn encapsulate_share(c: &Combs, items: &[(&[u8], &Ssv)]) -> Vec<Result<[u8; SED_LEN]>> {
    let tail = items.len() % LANES;
    if tail == 0 || tail >= GROUP_MIN {
        return encapsulate_groups(c, items);
    }
    let (full, rest) = items.split_at(items.len() - tail);
    let mut out = encapsulate_groups(c, full);
    out.extend(
        rest.iter()
            .map(|(id, ssv)| super::encapsulate_on(c.kms, id, ssv, c.engine)),
    );
    out
}

/// Encapsulations of items in groups of eight on the lanes (the last group may be partial).
fn encapsulate_groups(c: &Combs, items: &[(&[u8], &Ssv)]) -> Vec<Result<[u8; SED_LEN]>> {
    if items.is_empty() {
        return Vec::new();
    }
    let mut groups: Vec<Group> = Vec::with_capacity(items.len().div_ceil(LANES));
    for chunk in items.chunks(LANES) {
        match group_lanes(c, chunk) {
            Some(g) => groups.push(g),
            // a scalar out of range: cannot happen for canonical scalars below q
            None => return items.iter().map(|_| Err(Error::InvalidParameter)).collect(),
        }
    }
    // one inversion for every Z and every real part of g^r of the share
    let mut inv: Vec<FpX8> = Vec::with_capacity(2 * groups.len());
    for g in groups.iter() {
        inv.push(g.r_pt.jacobian().2.clone());
        inv.push(g.gr.re.clone());
    }
    FpX8::batch_invert(&mut inv);
    let mut out = Vec::with_capacity(items.len());
    for ((g, pair), chunk) in groups.iter().zip(inv.chunks(2)).zip(items.chunks(LANES)) {
        let (zinv, re_inv) = match pair {
            [a, b] => (a, b),
            _ => return items.iter().map(|_| Err(Error::InvalidParameter)).collect(),
        };
        let (x, y, inf) = g.r_pt.to_affine_with_zinv(zinv);
        let w = g.gr.im.mul(re_inv);
        let xs = x.to_u64x16x8();
        let ys = y.to_u64x16x8();
        let mut ws = w.to_u64x16x8();
        for (l, (id_ssv, ((xl, yl), wl))) in chunk
            .iter()
            .zip(xs.iter().zip(ys.iter()).zip(ws.iter()))
            .enumerate()
            .take(g.used)
        {
            let bad = ((inf | g.r_zero) >> l) & 1 == 1;
            if bad {
                // r = 0, or b + z ≡ 0 mod q: no valid encapsulation (as the scalar path)
                out.push(Err(Error::InvalidParameter));
                continue;
            }
            let big_r = Affine {
                x: Fp::from_canonical(xl),
                y: Fp::from_canonical(yl),
            };
            let mut wf = Fp::from_canonical(wl);
            let mut wb = wf.to_be_bytes();
            let mut mask = hash::to_mask(&wb);
            let mut sed = [0u8; SED_LEN];
            sed[..POINT_LEN].copy_from_slice(&big_r.encode());
            let ssv = id_ssv.1.as_bytes();
            for i in 0..SSV_LEN {
                sed[POINT_LEN + i] = ssv[i] ^ mask[i];
            }
            wf.zeroize();
            wb.zeroize();
            mask.zeroize();
            out.push(Ok(sed));
        }
        ws.zeroize();
    }
    inv.clear();
    out
}

/// The lane part of one group (1..=8 items): R in Jacobian form and g^r in F_p².
fn group_lanes(c: &Combs, chunk: &[(&[u8], &Ssv)]) -> Option<Group> {
    let mut rs = [[0u64; 16]; LANES];
    let mut rbs = [[0u64; 16]; LANES];
    let mut r_zero = 0u8;
    for (l, (id, ssv)) in chunk.iter().enumerate().take(LANES) {
        let b = identity_scalar(id);
        let mut r = derive_r(ssv, id);
        r_zero |= (bool::from(r.is_zero()) as u8) << l;
        let mut rb = r.mul(&b);
        rs[l] = r.0;
        rbs[l] = rb.0;
        r.zeroize();
        rb.zeroize();
    }
    // unused lanes keep r = 0 (R at infinity, g^0 = 1) and are dropped
    let res = (|| {
        let a = c.p.mul_x8(&rbs).ok()?;
        let b = c.z.mul_x8(&rs).ok()?;
        let gr = c.g.pow_x8(&rs);
        Some(Group {
            r_pt: a.add(&b),
            gr,
            r_zero,
            used: chunk.len().min(LANES),
        })
    })();
    rs.zeroize();
    rbs.zeroize();
    res
}
