//! Batched RSK validation (RFC 6508 §6.1.2 for many keys): the stored lines of P and of Z
//! evaluated at eight RSKs at once, one per IFMA lane.
//!
//! Each key's check is the one of [`super::validate_rsk`], `<P, K>^b · <Z, K> == g`, computed
//! lane by lane: per lane the evaluation point K (secret), `u = x/y` and `v = 1/y` (one batched
//! constant-time inversion for the group), the two Miller values from the shared line tables
//! ([`miller_lines_x8`]), the power by the lane's public b, the final f ↦ f⁴, and the
//! comparison `im == g·re` (the PF_p representative `im/re` equals g) without an inversion.
//! Nothing branches on or indexes by an RSK's value; the per-lane verdict is the output.
//! A key that fails is reported in its own slot; the others of its group are unaffected.
//!
//! Without AVX-512 IFMA (and in the `prose_backend = "soft"` build, and on other
//! architectures) the keys are validated one by one with [`super::validate_rsk`].

use crate::Result;

use super::engine::Engine;
use super::{validate_rsk_on, KmsPublic, Rsk};

#[cfg(all(target_arch = "x86_64", not(prose_backend = "soft")))]
mod lanes {
    use std::sync::OnceLock;

    use zeroize::Zeroize;

    use super::super::engine::Engine;
    use super::super::fp::{batch_invert, Fp};
    use super::super::pairing::naf_q_minus_1;
    use super::super::params::LIMBS;
    use super::super::{g_value, identity_scalar, p_lines, KmsPublic, Rsk};
    use crate::backend::x86_64::fp_ifma::{miller_lines_x8, FpX8, Ifma, LANES};
    use crate::{Error, Result};

    /// The kind of every stored line (true: a doubling step), in loop order: the same for the
    /// lines of every point (they follow the NAF of q − 1).
    fn kinds() -> &'static [bool] {
        static K: OnceLock<Vec<bool>> = OnceLock::new();
        K.get_or_init(|| {
            let mut v = Vec::with_capacity(1400);
            for &d in naf_q_minus_1().iter().skip(1) {
                v.push(true);
                if d != 0 {
                    v.push(false);
                }
            }
            v
        })
    }

    /// Validates up to eight keys on the lanes; `None` when the lanes are unusable (the caller
    /// then takes the single path).
    pub(super) fn group(
        engine: Engine,
        kms: &KmsPublic,
        items: &[(&[u8], &Rsk)],
    ) -> Option<Vec<Result<()>>> {
        if items.is_empty() || items.len() > LANES {
            return None;
        }
        let t: Ifma = engine.lanes()?;
        let (p_tab, z_tab) = (p_lines(), kms.z_lines());
        let kinds = kinds();
        let (pg, zg) = (p_tab.lanes_view()?, z_tab.lanes_view()?);
        if p_tab.len() != kinds.len() || z_tab.len() != kinds.len() {
            return None;
        }
        // Lane l holds item l; spare lanes repeat item 0 (their verdicts are dropped).
        let item = |l: usize| items.get(l).unwrap_or(&items[0]);
        // u = x/y, v = 1/y per lane: one constant-time inversion for the group.
        let mut vs: Vec<Fp> = (0..LANES).map(|l| item(l).1.k.y).collect();
        batch_invert(&mut vs);
        let mut uc = [[0u64; LIMBS]; LANES];
        let mut vc = [[0u64; LIMBS]; LANES];
        for l in 0..LANES {
            let mut u = item(l).1.k.x.mul(&vs[l]);
            uc[l] = u.to_canonical();
            vc[l] = vs[l].to_canonical();
            u.zeroize();
        }
        vs.zeroize();
        let uu = FpX8::from_u64x16x8(t, &uc);
        let vv = FpX8::from_u64x16x8(t, &vc);
        uc.zeroize();
        vc.zeroize();
        let (uu, vv) = (uu.ok()?, vv.ok()?);
        // b per lane: public (the identifiers).
        let bs: [[u64; LIMBS]; LANES] = core::array::from_fn(|l| identity_scalar(item(l).0).0);
        let fp = miller_lines_x8(pg, kinds, &uu, &vv);
        let fz = miller_lines_x8(zg, kinds, &uu, &vv);
        let w = fp.pow_public_x8(&bs).mul(&fz).square().square();
        let g = FpX8::splat(t, &g_value().to_canonical()).ok()?;
        let ok = w.im.ct_eq(&w.re.mul(&g));
        Some(
            (0..items.len())
                .map(|l| {
                    if (ok >> l) & 1 == 1 {
                        Ok(())
                    } else {
                        Err(Error::InvalidKey)
                    }
                })
                .collect(),
        )
    }
}

/// Below this many keys, single validations are faster than one partly filled lane group.
#[cfg(all(target_arch = "x86_64", not(prose_backend = "soft")))]
const LANES_MIN: usize = 3;

/// Validates many RSKs of one KMS (RFC 6508 §6.1.2: `<[b]P + Z, K_(b,S)> == g` for each
/// identifier b): slot `i` of the result is what [`validate_rsk`] returns for `items[i]`
/// (`Ok(())`, or `InvalidKey` for that key alone). With AVX-512 IFMA the keys are taken eight
/// at a time, one per lane, and the groups are spread over every core; otherwise one by one.
/// Used by a KMS to check every key set before it serves it, and by a member importing
/// several periods.
pub fn validate_rsks(kms: &KmsPublic, items: &[(&[u8], &Rsk)]) -> Vec<Result<()>> {
    validate_rsks_on(kms, items, Engine::detect())
}

/// [`validate_rsks`] on the given engine.
pub(crate) fn validate_rsks_on(
    kms: &KmsPublic,
    items: &[(&[u8], &Rsk)],
    engine: Engine,
) -> Vec<Result<()>> {
    #[cfg(all(target_arch = "x86_64", not(prose_backend = "soft")))]
    if items.len() >= LANES_MIN && engine.has_lanes() {
        // build the shared tables once, before the threads
        let _ = (super::p_lines(), kms.z_lines());
        return super::parallel_groups(items, 8, |share| validate_share(kms, share, engine));
    }
    items
        .iter()
        .map(|(id, rsk)| validate_rsk_on(kms, id, rsk, engine))
        .collect()
}

/// One core's share: lane groups of eight (the last one possibly short), each falling back to
/// single validations if the lanes are unusable.
pub(crate) fn validate_share(
    kms: &KmsPublic,
    items: &[(&[u8], &Rsk)],
    engine: Engine,
) -> Vec<Result<()>> {
    let mut out = Vec::with_capacity(items.len());
    for chunk in items.chunks(8) {
        #[cfg(all(target_arch = "x86_64", not(prose_backend = "soft")))]
        if chunk.len() >= LANES_MIN {
            if let Some(v) = lanes::group(engine, kms, chunk) {
                out.extend(v);
                continue;
            }
        }
        out.extend(
            chunk
                .iter()
                .map(|(id, rsk)| validate_rsk_on(kms, id, rsk, engine)),
        );
    }
    out
}

/// Whether [`validate_rsks`] uses the IFMA lanes on this machine.
pub(crate) fn uses_lanes() -> bool {
    Engine::detect().has_lanes()
}
