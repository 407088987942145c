//! The one place where SAKKE chooses its engine, and the only file of the SAKKE arithmetic
//! with `cfg` switches on the target (the x86-64-only lane modules `lanes` and `batch` are
//! declared under the same condition in `sakke.rs`, and reached only from here).
//!
//! An [`Engine`] is a value: [`Engine::detect`] returns the best engine of this CPU (detected
//! once per process), and the forced constructors ([`Engine::mulx_adx`], [`Engine::portable`],
//! …) let benchmarks and tests run an operation on another engine by passing the value in.
//! The variants carry the backend's detection tokens, so holding an engine proves that its
//! kernels may run.
//!
//! What an engine decides:
//! - the F_p Montgomery product of an explicit call ([`Engine::mont_mul`], [`Engine::mont_sqr`]);
//!   the `Fp` type's own products use the detected engine's kernel ([`mont_mul`], [`mont_sqr`]);
//! - whether single operations and batches run on the eight-lane IFMA backend (fixed-base
//!   combs, stored-line Miller loops) or on the scalar tables: every lane entry point here
//!   returns `None` for an engine without lanes, and the caller then takes the scalar path.
//!
//! Adding a backend: one cfg-gated variant holding its token, one arm in each `match` of
//! [`Engine`]'s methods, and the detection order in [`Engine::detect_uncached`].

use std::sync::OnceLock;

use super::curve::{Affine, Proj};
use super::fp::Fp;
use super::fp2::Fp2;
use super::mont::{self, Limbs};
use super::params::{P, P_INV};
use super::scalar::Scalar;
use super::{KmsPublic, Ssv, SED_LEN};

#[cfg(all(target_arch = "x86_64", not(prose_backend = "soft")))]
use std::sync::Arc;

#[cfg(all(
    target_arch = "aarch64",
    target_endian = "little",
    not(prose_backend = "soft")
))]
use crate::backend::aarch64::Aarch64Base;
#[cfg(all(target_arch = "x86_64", not(prose_backend = "soft")))]
use crate::backend::x86_64::{
    fp_ifma::{CombX8, FpX8, Ifma, Ifma52, SplitCombX8},
    fp_mulx::MulxAdx,
};

/// A SAKKE engine: the kernels an operation runs on. Obtained by detection
/// ([`Engine::detect`]) or forced to one the CPU supports (the other constructors).
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum Engine {
    /// AVX-512 IFMA: the eight-lane backend for single operations and batches, and the F_p
    /// product on the vector lanes (radix 2^52).
    #[cfg(all(target_arch = "x86_64", not(prose_backend = "soft")))]
    Ifma {
        /// Token of the eight-lane kernels (AVX-512F, IFMA).
        lanes: Ifma,
        /// Token of the single-product kernel (AVX-512F/BW/IFMA/VBMI).
        product: Ifma52,
    },
    /// MULX/ADCX/ADOX: the scalar tables with the 64-bit Montgomery kernels.
    #[cfg(all(target_arch = "x86_64", not(prose_backend = "soft")))]
    MulxAdx(MulxAdx),
    /// AArch64 MUL/UMULH: the scalar tables with the 64-bit Montgomery kernels.
    #[cfg(all(
        target_arch = "aarch64",
        target_endian = "little",
        not(prose_backend = "soft")
    ))]
    Aarch64(Aarch64Base),
    /// Portable code: the scalar tables with the CIOS Montgomery loop.
    Portable,
}

impl Engine {
    /// The best engine of this CPU: IFMA, else MULX/ADX, else (on aarch64) MUL/UMULH, else
    /// portable. Detected on the first call; every later call returns the same value.
    #[inline(always)]
    pub fn detect() -> Engine {
        static E: OnceLock<Engine> = OnceLock::new();
        *E.get_or_init(Engine::detect_uncached)
    }

    fn detect_uncached() -> Engine {
        #[cfg(all(target_arch = "x86_64", not(prose_backend = "soft")))]
        {
            if let Some(e) = Engine::ifma() {
                return e;
            }
            if let Some(e) = Engine::mulx_adx() {
                return e;
            }
        }
        if let Some(e) = Engine::aarch64() {
            return e;
        }
        Engine::Portable
    }

    /// The IFMA engine when the CPU has AVX-512F/BW/IFMA/VBMI.
    pub fn ifma() -> Option<Engine> {
        #[cfg(all(target_arch = "x86_64", not(prose_backend = "soft")))]
        {
            Some(Engine::Ifma {
                lanes: Ifma::new()?,
                product: Ifma52::get()?,
            })
        }
        #[cfg(not(all(target_arch = "x86_64", not(prose_backend = "soft"))))]
        {
            None
        }
    }

    /// The MULX/ADX engine when the CPU has BMI2 and ADX.
    pub fn mulx_adx() -> Option<Engine> {
        #[cfg(all(target_arch = "x86_64", not(prose_backend = "soft")))]
        {
            MulxAdx::get().map(Engine::MulxAdx)
        }
        #[cfg(not(all(target_arch = "x86_64", not(prose_backend = "soft"))))]
        {
            None
        }
    }

    /// The AArch64 MUL/UMULH engine (every aarch64 CPU).
    pub fn aarch64() -> Option<Engine> {
        #[cfg(all(
            target_arch = "aarch64",
            target_endian = "little",
            not(prose_backend = "soft")
        ))]
        {
            Aarch64Base::get().map(Engine::Aarch64)
        }
        #[cfg(not(all(
            target_arch = "aarch64",
            target_endian = "little",
            not(prose_backend = "soft")
        )))]
        {
            None
        }
    }

    /// The portable engine (every CPU).
    pub const fn portable() -> Engine {
        Engine::Portable
    }

    /// The fastest engine without the eight-lane backend (MULX/ADX or AArch64 MUL/UMULH, else
    /// portable): the engine of a CPU without AVX-512 IFMA, for benchmarks beside
    /// [`Engine::detect`].
    pub fn scalar() -> Engine {
        Engine::mulx_adx()
            .or_else(Engine::aarch64)
            .unwrap_or(Engine::Portable)
    }

    /// Every engine this CPU supports, best first.
    pub fn available() -> Vec<Engine> {
        [
            Engine::ifma(),
            Engine::mulx_adx(),
            Engine::aarch64(),
            Some(Engine::Portable),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    /// A short name for reports ("ifma", "mulx-adx", "aarch64", "portable").
    pub fn name(self) -> &'static str {
        match self {
            #[cfg(all(target_arch = "x86_64", not(prose_backend = "soft")))]
            Engine::Ifma { .. } => "ifma",
            #[cfg(all(target_arch = "x86_64", not(prose_backend = "soft")))]
            Engine::MulxAdx(_) => "mulx-adx",
            #[cfg(all(
                target_arch = "aarch64",
                target_endian = "little",
                not(prose_backend = "soft")
            ))]
            Engine::Aarch64(_) => "aarch64",
            Engine::Portable => "portable",
        }
    }

    /// Whether the engine runs operations on the eight-lane backend.
    pub fn has_lanes(self) -> bool {
        self.lanes().is_some()
    }

    /// Montgomery product `a·b·2^-1024 mod p` for `a, b < p`, fully reduced, on this engine's
    /// kernel.
    #[inline(always)]
    pub(crate) fn mont_mul(self, a: &Limbs, b: &Limbs) -> Limbs {
        match self {
            #[cfg(all(target_arch = "x86_64", not(prose_backend = "soft")))]
            Engine::Ifma { product, .. } => product.mont_mul(a, b),
            #[cfg(all(target_arch = "x86_64", not(prose_backend = "soft")))]
            Engine::MulxAdx(k) => k.mont_mul(a, b),
            #[cfg(all(
                target_arch = "aarch64",
                target_endian = "little",
                not(prose_backend = "soft")
            ))]
            Engine::Aarch64(k) => k.mont_mul(a, b),
            Engine::Portable => mont::mont_mul(a, b, &P, P_INV),
        }
    }

    /// Montgomery square `a²·2^-1024 mod p` for `a < p`, fully reduced.
    #[inline(always)]
    pub(crate) fn mont_sqr(self, a: &Limbs) -> Limbs {
        match self {
            #[cfg(all(target_arch = "x86_64", not(prose_backend = "soft")))]
            Engine::Ifma { product, .. } => product.mont_sqr(a),
            #[cfg(all(target_arch = "x86_64", not(prose_backend = "soft")))]
            Engine::MulxAdx(k) => k.mont_sqr(a),
            #[cfg(all(
                target_arch = "aarch64",
                target_endian = "little",
                not(prose_backend = "soft")
            ))]
            Engine::Aarch64(k) => k.mont_sqr(a),
            Engine::Portable => mont::mont_mul(a, a, &P, P_INV),
        }
    }

    /// The eight-lane token of an engine that has the lanes.
    #[cfg(all(target_arch = "x86_64", not(prose_backend = "soft")))]
    #[inline(always)]
    pub(crate) fn lanes(self) -> Option<Ifma> {
        match self {
            Engine::Ifma { lanes, .. } => Some(lanes),
            _ => None,
        }
    }

    #[cfg(not(all(target_arch = "x86_64", not(prose_backend = "soft"))))]
    #[inline(always)]
    pub(crate) fn lanes(self) -> Option<core::convert::Infallible> {
        None
    }

    // ---- single operations on the lanes (None: no lanes, or a comb failed to build) ----

    /// `[a]P + [b]Z` for the KMS's Z.
    pub(crate) fn mul2_pz(self, kms: &KmsPublic, a: &Scalar, b: &Scalar) -> Option<Proj> {
        #[cfg(all(target_arch = "x86_64", not(prose_backend = "soft")))]
        {
            super::lanes::mul2(self.lanes()?, kms, a, b)
        }
        #[cfg(not(all(target_arch = "x86_64", not(prose_backend = "soft"))))]
        {
            let _ = (self.lanes()?, kms, a, b);
            None
        }
    }

    /// `[a]P`.
    pub(crate) fn mul_p(self, a: &Scalar) -> Option<Proj> {
        #[cfg(all(target_arch = "x86_64", not(prose_backend = "soft")))]
        {
            super::lanes::mul_p(self.lanes()?, a)
        }
        #[cfg(not(all(target_arch = "x86_64", not(prose_backend = "soft"))))]
        {
            let _ = (self.lanes()?, a);
            None
        }
    }

    /// `[s_i]P` for many scalars (groups of eight, one scalar per lane).
    pub(crate) fn mul_p_many(self, s: &[Scalar]) -> Option<Vec<Proj>> {
        #[cfg(all(target_arch = "x86_64", not(prose_backend = "soft")))]
        {
            super::lanes::mul_p_many(self.lanes()?, s)
        }
        #[cfg(not(all(target_arch = "x86_64", not(prose_backend = "soft"))))]
        {
            let _ = (self.lanes()?, s);
            None
        }
    }

    /// `g^r` in PF_p (an F_p² value of the class).
    pub(crate) fn g_pow(self, r: &Scalar) -> Option<Fp2> {
        #[cfg(all(target_arch = "x86_64", not(prose_backend = "soft")))]
        {
            super::lanes::g_pow(self.lanes()?, r)
        }
        #[cfg(not(all(target_arch = "x86_64", not(prose_backend = "soft"))))]
        {
            let _ = (self.lanes()?, r);
            None
        }
    }

    /// `[a]I` with a member's split comb of I.
    pub(crate) fn mul_with(self, comb: &BaseComb, a: &Scalar) -> Option<Proj> {
        #[cfg(all(target_arch = "x86_64", not(prose_backend = "soft")))]
        {
            self.lanes()?;
            super::lanes::mul_with(comb.0.as_ref()?, a)
        }
        #[cfg(not(all(target_arch = "x86_64", not(prose_backend = "soft"))))]
        {
            let _ = (self.lanes()?, comb, a);
            None
        }
    }

    /// The Miller value of a line table on the lanes (see `LineTable::miller`).
    pub(crate) fn miller(
        self,
        groups: &LineLanes,
        lines: &[(Fp, Fp, bool)],
        u: &Fp,
        v: &Fp,
    ) -> Option<Fp2> {
        #[cfg(all(target_arch = "x86_64", not(prose_backend = "soft")))]
        {
            self.lanes()?;
            super::lanes::miller_lanes(groups.0.as_ref()?, lines, u, v)
        }
        #[cfg(not(all(target_arch = "x86_64", not(prose_backend = "soft"))))]
        {
            let _ = (self.lanes()?, groups, lines, u, v);
            None
        }
    }

    /// Batch encapsulation on the lanes (`None`: no lanes, or fewer items than a lane batch
    /// is worth, or a comb failed to build).
    #[allow(clippy::type_complexity)]
    pub(crate) fn encapsulate_many(
        self,
        kms: &KmsPublic,
        items: &[(&[u8], &Ssv)],
        all_cores: bool,
    ) -> Option<Vec<crate::Result<[u8; SED_LEN]>>> {
        #[cfg(all(target_arch = "x86_64", not(prose_backend = "soft")))]
        {
            let t = self.lanes()?;
            if all_cores && items.len() < super::batch::GROUP_MIN {
                return None;
            }
            let c = super::batch::Combs::get(self, t, kms)?;
            if all_cores {
                Some(super::parallel_groups(items, 8, |share| {
                    super::batch::encapsulate_share(&c, share)
                }))
            } else {
                Some(super::batch::encapsulate_share(&c, items))
            }
        }
        #[cfg(not(all(target_arch = "x86_64", not(prose_backend = "soft"))))]
        {
            let _ = (self.lanes()?, kms, items, all_cores);
            None
        }
    }

    /// Builds a KMS's split comb of Z now; `false` without lanes.
    pub(crate) fn precompute(self, kms: &KmsPublic) -> bool {
        #[cfg(all(target_arch = "x86_64", not(prose_backend = "soft")))]
        if let Some(t) = self.lanes() {
            return kms.combs.split(t, &kms.z).is_some();
        }
        let _ = kms;
        false
    }

    /// The split comb of a point of order q for single operations (empty without lanes).
    pub(crate) fn base_comb(self, b: &Affine) -> BaseComb {
        #[cfg(all(target_arch = "x86_64", not(prose_backend = "soft")))]
        {
            BaseComb(self.lanes().and_then(|t| super::lanes::z_split(t, b)))
        }
        #[cfg(not(all(target_arch = "x86_64", not(prose_backend = "soft"))))]
        {
            let _ = b;
            BaseComb(())
        }
    }

    /// The lane copies of a line table (empty without lanes).
    pub(crate) fn line_lanes(self, lines: &[(Fp, Fp, bool)]) -> LineLanes {
        #[cfg(all(target_arch = "x86_64", not(prose_backend = "soft")))]
        {
            LineLanes(
                self.lanes()
                    .and_then(|t| super::lanes::lane_groups(t, lines)),
            )
        }
        #[cfg(not(all(target_arch = "x86_64", not(prose_backend = "soft"))))]
        {
            let _ = lines;
            LineLanes(())
        }
    }
}

/// Montgomery product modulo p through the detected engine's kernel (the `Fp` type's product).
#[inline(always)]
pub(crate) fn mont_mul(a: &Limbs, b: &Limbs) -> Limbs {
    Engine::detect().mont_mul(a, b)
}

/// Montgomery square modulo p through the detected engine's kernel.
#[inline(always)]
pub(crate) fn mont_sqr(a: &Limbs) -> Limbs {
    Engine::detect().mont_sqr(a)
}

/// A point's split lane comb for single operations (655 KB), when the engine had lanes.
#[derive(Clone)]
pub(crate) struct BaseComb(
    #[cfg(all(target_arch = "x86_64", not(prose_backend = "soft")))] Option<Arc<SplitCombX8>>,
    #[cfg(not(all(target_arch = "x86_64", not(prose_backend = "soft"))))] (),
);

/// The lane copies of a line table (eight lines per vector pair), when the engine had lanes.
#[derive(Clone)]
pub(crate) struct LineLanes(
    #[cfg(all(target_arch = "x86_64", not(prose_backend = "soft")))]
    pub(crate)  Option<Vec<(FpX8, FpX8)>>,
    #[cfg(not(all(target_arch = "x86_64", not(prose_backend = "soft"))))] (),
);

/// Lane combs of a KMS's Z built so far in this process (batch and split; a test hook).
pub(crate) static COMB_BUILDS: core::sync::atomic::AtomicUsize =
    core::sync::atomic::AtomicUsize::new(0);

/// A KMS public key's lane combs of Z, built on first use: the eight-lane batch comb and the
/// split comb of single operations (`None` inside: the build failed).
#[derive(Clone, Default)]
pub(crate) struct KmsCombs {
    #[cfg(all(target_arch = "x86_64", not(prose_backend = "soft")))]
    batch: OnceLock<Option<Arc<CombX8>>>,
    #[cfg(all(target_arch = "x86_64", not(prose_backend = "soft")))]
    split: OnceLock<Option<Arc<SplitCombX8>>>,
}

impl KmsCombs {
    /// The batch comb of `z` (the KMS's Z).
    #[cfg(all(target_arch = "x86_64", not(prose_backend = "soft")))]
    pub(crate) fn batch(&self, t: Ifma, z: &Affine) -> Option<Arc<CombX8>> {
        self.batch
            .get_or_init(|| {
                COMB_BUILDS.fetch_add(1, core::sync::atomic::Ordering::Relaxed);
                super::batch::z_comb(t, z)
            })
            .clone()
    }

    /// The split comb of `z` (the KMS's Z).
    #[cfg(all(target_arch = "x86_64", not(prose_backend = "soft")))]
    pub(crate) fn split(&self, t: Ifma, z: &Affine) -> Option<Arc<SplitCombX8>> {
        self.split
            .get_or_init(|| {
                COMB_BUILDS.fetch_add(1, core::sync::atomic::Ordering::Relaxed);
                super::lanes::z_split(t, z)
            })
            .clone()
    }

    /// Bytes of the batch comb and of the split comb built so far.
    pub(crate) fn table_bytes(&self) -> (usize, usize) {
        #[cfg(all(target_arch = "x86_64", not(prose_backend = "soft")))]
        {
            (
                self.batch
                    .get()
                    .and_then(|c| c.as_ref().map(|c| c.table_bytes()))
                    .unwrap_or(0),
                self.split
                    .get()
                    .and_then(|c| c.as_ref().map(|c| c.table_bytes()))
                    .unwrap_or(0),
            )
        }
        #[cfg(not(all(target_arch = "x86_64", not(prose_backend = "soft"))))]
        {
            (0, 0)
        }
    }
}
