//! Eight-lane arithmetic modulo the 1024-bit prime p of RFC 6509 parameter set 1, with
//! AVX-512 IFMA (`vpmadd52luq` / `vpmadd52huq`).
//!
//! # Representation
//! An element is held in radix 2^52 with 20 limbs (1040 bits). `FpX8` stores eight independent
//! elements ("lanes") limb-major: limb `i` of all eight lanes forms one 512-bit vector, so every
//! instruction works on the same limb of eight operands at once and lanes never interact.
//!
//! Elements are kept in Montgomery form `x·R mod p` with `R = 2^1040`. Inside the type a lane
//! holds a representative in `[0, 2p)` (lazy reduction: the Montgomery product of two values below
//! `2p` is again below `2p` because `4p < R`); every public output — `FpX8::to_u64x16x8`,
//! `FpX8::ct_eq`, `FpX8::is_zero` — is computed from the fully reduced value in `[0, p)`.
//!
//! # Contents
//! - `FpX8`: F_p in eight lanes — Montgomery product and dedicated squaring (the hot kernels),
//!   add, sub, negation, conditional negation and selection by lane mask, equality and zero
//!   masks, conversions from/to canonical `[u64; 16]`, `FpX8::pow_x8` (secret per-lane
//!   exponents), Fermat inversion and `FpX8::batch_invert` (Montgomery's trick).
//! - `Fp2X8`: F_p² = F_p(i) (Karatsuba product, squaring, `pow_x8`, the PF_p representative
//!   `im/re`); `PfpCombX8`: fixed-base exponentiation of a shared PF_p base (SAKKE's g).
//! - `PointX8`: Jacobian points of y² = x³ − 3x (complete addition, doubling, constant-time
//!   variable-base `mul_x8`, affine conversion, batched); `CombX8`: fixed-base `mul_x8` for a
//!   shared base of order q (SAKKE's P, a KMS's Z).
//!
//! Together these are the multi-lane part of a batch of SAKKE encapsulations to new recipients:
//! `R = [r·b]P + [r]Z` (two `CombX8` evaluations and one addition), `g^r` (`PfpCombX8`), and
//! the affine/PF_p conversions with one batched inversion.
//!
//! # Safety model
//! An `FpX8` can only be built from an `Ifma` token, and an `Ifma` token only exists after
//! run-time detection (cpufeatures: `avx512f` + `avx512ifma`, including OS support for the zmm
//! state). All methods are therefore safe: the kernels they call are `#[target_feature]`
//! functions whose precondition (the CPU has those features) the token proves.
//!
//! # Constant time
//! Lanes carry secrets. No function branches or indexes memory on element values, exponents or
//! lane masks: carries are propagated with shifts, choices are made with per-lane mask blends,
//! and window tables are scanned in full. The only data-dependent branch is in
//! `FpX8::from_u64x16x8`, which rejects out-of-range input after a constant-time comparison of
//! all lanes (the verdict is public: an error is returned).

// AVX-512 intrinsics and `target_feature(enable = "avx512f,avx512ifma")` are stable since Rust
// 1.89; the crate's declared MSRV (1.85) must be raised for this module (see the report).
#![allow(clippy::incompatible_msrv)]

use core::arch::x86_64::{
    __m512i, _mm512_add_epi64, _mm512_and_si512, _mm512_cmpeq_epi64_mask, _mm512_cmplt_epi64_mask,
    _mm512_madd52hi_epu64, _mm512_madd52lo_epu64, _mm512_mask_blend_epi64, _mm512_set1_epi64,
    _mm512_setzero_si512, _mm512_srai_epi64, _mm512_srli_epi64, _mm512_sub_epi64,
};
use core::fmt;

use zeroize::Zeroize;

use crate::{Error, Result};

mod amm;
mod fp2;
mod ifma52;
mod lines_x8;
mod point;
mod radix52;

pub use amm::{mul2, Fp2H, FpH};
pub use fp2::{Fp2X8, PfpCombX8, PfpSplitX8};
pub use ifma52::Ifma52;
pub use lines_x8::{miller_lines_x8, F2X8};
pub use point::{CombX8, PointX8, SplitCombX8};

/// Limbs per element (radix 2^52).
pub const LIMBS: usize = 20;
/// Elements (lanes) per [`FpX8`].
pub const LANES: usize = 8;

const N: usize = LIMBS;
use radix52::MASK52;

/// p in radix 2^52.
const P: [u64; N] = [
    0xd807afea85feb,
    0x10ac7ace87666,
    0x9857db080c5df,
    0x1f1ffce3e8238,
    0xa9f94d6af5697,
    0xcf3c521c3c09a,
    0x4a831852a82a7,
    0x65681ce1b6aff,
    0xb4cd4512ac5cd,
    0xd0e26c6487326,
    0x56d27f4a666a6,
    0xb39ff7c88a193,
    0x531a59cb0e791,
    0xfc0f1b228730d,
    0xa2ef40aab27e2,
    0xbe9ae358b3e01,
    0xc0ce19cb48261,
    0x98dad0657a416,
    0xa563fda65c611,
    0x0000997abb1f0,
];

/// 2p in radix 2^52.
const P2: [u64; N] = [
    0xb00f5fd50bfd6,
    0x2158f59d0eccd,
    0x30afb61018bbe,
    0x3e3ff9c7d0471,
    0x53f29ad5ead2e,
    0x9e78a43878135,
    0x950630a55054f,
    0xcad039c36d5fe,
    0x699a8a2558b9a,
    0xa1c4d8c90e64d,
    0xada4fe94ccd4d,
    0x673fef9114326,
    0xa634b3961cf23,
    0xf81e36450e61a,
    0x45de815564fc5,
    0x7d35c6b167c03,
    0x819c3396904c3,
    0x31b5a0caf482d,
    0x4ac7fb4cb8c23,
    0x000132f5763e1,
];

/// R mod p (the Montgomery form of 1), R = 2^1040.
const R_MOD_P: [u64; N] = [
    0x2d93d28030700,
    0x4f298428275ab,
    0x75a9935f4ef30,
    0xa52fdbccb99e5,
    0x2bde98a91ef15,
    0x630ae7dbe067d,
    0x566e218121956,
    0x57d3844882eb7,
    0x9dc9da81267db,
    0x5534527ee706d,
    0xe5aee72c7c196,
    0x2db481a7f3e2e,
    0x0c3a4edbff964,
    0xcdbd68818c663,
    0xef23484786592,
    0xa6cb0bf93453a,
    0x3af9eea86f713,
    0x0666bd14e0c68,
    0x37eb83ea0a60b,
    0x000049e339c22,
];

/// R^2 mod p, to enter Montgomery form.
const R2_MOD_P: [u64; N] = [
    0xa2918db1012bd,
    0xebb9c05946419,
    0x220d349042348,
    0x2548785b7ab27,
    0x6e7a961ee919d,
    0x9faede0f0827b,
    0x8eac0d34b3ddf,
    0xc350909942157,
    0x9f5a01f865308,
    0xaa6737f3746f2,
    0xeef0b6e3257d7,
    0x5ebcf480a956c,
    0x416e990f27cfc,
    0x4e9db00581776,
    0xcf49762d99eed,
    0x5fda2d53abd3d,
    0xb5917f75793c6,
    0xb847f26d31e9f,
    0x036fc9d4ef6d9,
    0x000006aebca15,
];

/// -p^-1 mod 2^52.
const K0: u64 = 0x420077c8f2f3d;

cpufeatures::new!(ifma_cpuid, "avx512f", "avx512ifma");

/// Whether this CPU (and OS) supports the eight-lane IFMA kernel.
pub fn available() -> bool {
    ifma_cpuid::get()
}

/// Proof that the CPU supports AVX-512F and AVX-512 IFMA; required to build an [`FpX8`].
#[derive(Clone, Copy, Debug)]
pub struct Ifma {
    _private: (),
}

impl Ifma {
    /// Detects the features at run time; `None` when the CPU lacks them.
    pub fn new() -> Option<Self> {
        if available() {
            Some(Self { _private: () })
        } else {
            None
        }
    }
}

/// Limb-major storage: limb `i` of lane `l` at index `8 * i + l`.
#[derive(Clone, Zeroize)]
#[repr(C, align(64))]
struct Limbs([u64; N * LANES]);

/// Eight elements of F_p in Montgomery form, processed together.
///
/// Build one with [`FpX8::from_u64x16x8`], [`FpX8::zero`], [`FpX8::one`] or [`FpX8::splat`]; every
/// constructor needs an [`Ifma`] token. Lane masks (`u8`) have bit `l` for lane `l`.
#[derive(Clone)]
pub struct FpX8 {
    v: Limbs,
}

impl Drop for FpX8 {
    fn drop(&mut self) {
        // SAFETY: an `FpX8` exists only after avx512f + avx512ifma were detected.
        unsafe { wipe_kernel(&mut self.v) };
    }
}

impl fmt::Debug for FpX8 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FpX8 { .. }")
    }
}

type V = [__m512i; N];

// ---------------------------------------------------------------------------------------------
// Kernels. Every function below requires avx512f + avx512ifma; they are only reached through
// an `FpX8`, whose existence proves run-time detection succeeded.
// ---------------------------------------------------------------------------------------------

#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
fn splat_const(c: &[u64; N]) -> V {
    let mut r = [_mm512_setzero_si512(); N];
    for i in 0..N {
        r[i] = _mm512_set1_epi64(c[i] as i64);
    }
    r
}

/// Views the storage as 20 vectors (no copy).
#[inline(always)]
fn vref(x: &Limbs) -> &V {
    // SAFETY: `Limbs` is `repr(C, align(64))` over 160 u64 = 1280 bytes, the size of `V`
    // (20 × 64 bytes), and its 64-byte alignment satisfies `__m512i`'s; every bit pattern is a
    // valid `__m512i`.
    unsafe { &*(x as *const Limbs as *const V) }
}

/// Mutable view of the storage as 20 vectors (no copy).
#[inline(always)]
fn vmut(x: &mut Limbs) -> &mut V {
    // SAFETY: as in `vref`; every `__m512i` bit pattern is a valid group of eight u64.
    unsafe { &mut *(x as *mut Limbs as *mut V) }
}

/// Hides a pointer's provenance from the optimiser so that loads through it are neither merged
/// with earlier loads of the same address nor hoisted: the kernels then read `b` and `p` as
/// memory operands instead of pinning 20 registers (which would spill the accumulators).
#[inline(always)]
#[allow(clippy::pointers_in_nomem_asm_block)] // the asm neither reads nor writes memory
fn launder<T>(p: *const T) -> *const T {
    let mut q = p;
    // SAFETY: an empty instruction sequence; it only makes `q` opaque to the compiler.
    unsafe {
        core::arch::asm!("/* {0} */", inout(reg) q, options(nomem, nostack, preserves_flags))
    };
    q
}

/// Repeats `$body` with `$i` bound to each listed literal as a constant.
macro_rules! unroll_list {
    ($i:ident in [$($n:literal),* $(,)?] => $body:block) => {{
        $( { const $i: usize = $n; $body } )*
    }};
}

/// Repeats `$body` for `$i` = 0..20 as literal constants (full unrolling independent of the
/// optimiser's heuristics, so accumulator indexes are compile-time constants).
macro_rules! unroll20 {
    ($i:ident => $body:block) => {{
        {
            const $i: usize = 0;
            $body
        }
        {
            const $i: usize = 1;
            $body
        }
        {
            const $i: usize = 2;
            $body
        }
        {
            const $i: usize = 3;
            $body
        }
        {
            const $i: usize = 4;
            $body
        }
        {
            const $i: usize = 5;
            $body
        }
        {
            const $i: usize = 6;
            $body
        }
        {
            const $i: usize = 7;
            $body
        }
        {
            const $i: usize = 8;
            $body
        }
        {
            const $i: usize = 9;
            $body
        }
        {
            const $i: usize = 10;
            $body
        }
        {
            const $i: usize = 11;
            $body
        }
        {
            const $i: usize = 12;
            $body
        }
        {
            const $i: usize = 13;
            $body
        }
        {
            const $i: usize = 14;
            $body
        }
        {
            const $i: usize = 15;
            $body
        }
        {
            const $i: usize = 16;
            $body
        }
        {
            const $i: usize = 17;
            $body
        }
        {
            const $i: usize = 18;
            $body
        }
        {
            const $i: usize = 19;
            $body
        }
    }};
}

/// Montgomery product `a·b·R^-1 mod p` for inputs below 2p with normalised limbs; the output is
/// below 2p with normalised limbs. Coarsely integrated operand scanning (CIOS), fully unrolled:
/// the running sum lives in `acc[i..=i + 20]` (register resident), each 64-bit column receives at
/// most 4·20 terms below 2^52 plus carries, so it cannot overflow.
///
/// # Safety
/// avx512f + avx512ifma; `a`, `b` valid for reads and `out` for writes of a `V`. `out` may alias
/// `a` or `b`: it is written only after the last read of the inputs.
#[inline(never)]
#[target_feature(enable = "avx512f,avx512ifma")]
unsafe fn mont_mul(out: *mut V, a: *const V, b: *const V) {
    let zero = _mm512_setzero_si512();
    let k0 = _mm512_set1_epi64(K0 as i64);
    let mut acc = [zero; 2 * N + 1];
    unroll20!(I => {
        let bp = launder(b.cast::<__m512i>());
        let pp = launder(P.as_ptr());
        // SAFETY: I < N, within `a`.
        let ai = unsafe { *a.cast::<__m512i>().add(I) };
        for j in 0..N {
            // SAFETY: j < N, within `b`.
            let bj = unsafe { *bp.add(j) };
            acc[I + j] = _mm512_madd52lo_epu64(acc[I + j], ai, bj);
            acc[I + j + 1] = _mm512_madd52hi_epu64(acc[I + j + 1], ai, bj);
        }
        let m = _mm512_madd52lo_epu64(zero, acc[I], k0);
        for j in 0..N {
            // SAFETY: j < N, within `P`.
            let pj = _mm512_set1_epi64(unsafe { *pp.add(j) } as i64);
            acc[I + j] = _mm512_madd52lo_epu64(acc[I + j], m, pj);
            acc[I + j + 1] = _mm512_madd52hi_epu64(acc[I + j + 1], m, pj);
        }
        // acc[I] is now divisible by 2^52: carry its top into the next column.
        acc[I + 1] = _mm512_add_epi64(acc[I + 1], _mm512_srli_epi64(acc[I], 52));
    });
    let mut r = [zero; N];
    r.copy_from_slice(&acc[N..2 * N]);
    normalize(&mut r);
    // SAFETY: `out` is valid for writes (caller); all reads of `a` and `b` happened above.
    unsafe { out.write(r) };
}

/// Sum of two Montgomery products `(a·b + c·d)·R^-1 mod p` with one reduction, for inputs below
/// 2p with normalised limbs; the output is below 2p (`a·b + c·d < 8p² < p·R` since `8p < R`)
/// with normalised limbs. The CIOS loop of [`mont_mul`] with both products' terms entering the
/// same columns: each column receives at most 6·20 terms below 2^52 plus carries (below 2^59).
///
/// # Safety
/// avx512f + avx512ifma; `a`, `b`, `c`, `d` valid for reads and `out` for writes of a `V`.
/// `out` may alias any input: it is written only after the last read.
#[inline(never)]
#[target_feature(enable = "avx512f,avx512ifma")]
unsafe fn mont_mul_sum(out: *mut V, a: *const V, b: *const V, c: *const V, d: *const V) {
    let zero = _mm512_setzero_si512();
    let k0 = _mm512_set1_epi64(K0 as i64);
    let mut acc = [zero; 2 * N + 1];
    unroll20!(I => {
        let bp = launder(b.cast::<__m512i>());
        let dp = launder(d.cast::<__m512i>());
        let pp = launder(P.as_ptr());
        // SAFETY: I < N, within `a` and `c`.
        let (ai, ci) = unsafe { (*a.cast::<__m512i>().add(I), *c.cast::<__m512i>().add(I)) };
        for j in 0..N {
            // SAFETY: j < N, within `b` and `d`.
            let (bj, dj) = unsafe { (*bp.add(j), *dp.add(j)) };
            acc[I + j] = _mm512_madd52lo_epu64(acc[I + j], ai, bj);
            acc[I + j + 1] = _mm512_madd52hi_epu64(acc[I + j + 1], ai, bj);
            acc[I + j] = _mm512_madd52lo_epu64(acc[I + j], ci, dj);
            acc[I + j + 1] = _mm512_madd52hi_epu64(acc[I + j + 1], ci, dj);
        }
        let m = _mm512_madd52lo_epu64(zero, acc[I], k0);
        for j in 0..N {
            // SAFETY: j < N, within `P`.
            let pj = _mm512_set1_epi64(unsafe { *pp.add(j) } as i64);
            acc[I + j] = _mm512_madd52lo_epu64(acc[I + j], m, pj);
            acc[I + j + 1] = _mm512_madd52hi_epu64(acc[I + j + 1], m, pj);
        }
        // acc[I] is now divisible by 2^52: carry its top into the next column.
        acc[I + 1] = _mm512_add_epi64(acc[I + 1], _mm512_srli_epi64(acc[I], 52));
    });
    let mut r = [zero; N];
    r.copy_from_slice(&acc[N..2 * N]);
    normalize(&mut r);
    // SAFETY: `out` is valid for writes (caller); all reads of the inputs happened above.
    unsafe { out.write(r) };
}

/// Montgomery square `a²·R^-1 mod p` (same bounds as [`mont_mul`]), in two phases: the 40-column
/// product with each cross product `a_i·a_j` (i < j) computed once and doubled per column
/// (420 multiply-adds instead of 800) into a stack buffer, then the word-by-word Montgomery
/// reduction with a register-resident window of 21 columns that reads the product columns back
/// as they enter the window.
///
/// # Safety
/// As [`mont_mul`]; `out` may alias `a`.
#[inline(never)]
#[target_feature(enable = "avx512f,avx512ifma")]
unsafe fn mont_sqr(out: *mut V, a: *const V) {
    let zero = _mm512_setzero_si512();
    let k0 = _mm512_set1_epi64(K0 as i64);
    // SAFETY: `a` is valid for reads (caller).
    let x: V = unsafe { a.read() };
    let mut buf = core::mem::MaybeUninit::<[__m512i; 2 * N]>::uninit();
    let tp = buf.as_mut_ptr().cast::<__m512i>();
    // Phase 1. Column K sums lo(a_i·a_j) for i + j = K and hi(a_i·a_j) for i + j = K - 1, i < j:
    // at most 10 + 10 terms below 2^52; doubled plus the diagonal term it stays below 2^58.
    unroll_list!(K in [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
        21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39] => {
        let mut lo = zero;
        let mut hi = zero;
        // Constant trip counts (no conditions in the loop body) so that they unroll fully.
        for i in K.saturating_sub(N - 1)..K.div_ceil(2) {
            lo = _mm512_madd52lo_epu64(lo, x[i], x[K - i]);
        }
        for i in K.saturating_sub(N)..K / 2 {
            hi = _mm512_madd52hi_epu64(hi, x[i], x[K - (i + 1)]);
        }
        let s = _mm512_add_epi64(lo, hi);
        let mut c = _mm512_add_epi64(s, s);
        if K.is_multiple_of(2) {
            c = _mm512_madd52lo_epu64(c, x[K / 2], x[K / 2]);
        } else {
            c = _mm512_madd52hi_epu64(c, x[K / 2], x[K / 2]);
        }
        // SAFETY: K < 2N, within `buf`.
        unsafe { tp.add(K).write(c) };
    });
    // Phase 2: reduction. acc[I..=I + 20] is the live window at step I.
    let mut acc = [zero; 2 * N + 1];
    for (k, ak) in acc.iter_mut().enumerate().take(N) {
        // SAFETY: k < N, initialised above.
        *ak = unsafe { *tp.add(k) };
    }
    unroll20!(I => {
        let pp = launder(P.as_ptr());
        let tq = launder(tp as *const __m512i);
        // SAFETY: I + N < 2N, initialised in phase 1.
        acc[I + N] = unsafe { *tq.add(I + N) };
        let m = _mm512_madd52lo_epu64(zero, acc[I], k0);
        for j in 0..N {
            // SAFETY: j < N, within `P`.
            let pj = _mm512_set1_epi64(unsafe { *pp.add(j) } as i64);
            acc[I + j] = _mm512_madd52lo_epu64(acc[I + j], m, pj);
            acc[I + j + 1] = _mm512_madd52hi_epu64(acc[I + j + 1], m, pj);
        }
        acc[I + 1] = _mm512_add_epi64(acc[I + 1], _mm512_srli_epi64(acc[I], 52));
    });
    let mut r = [zero; N];
    r.copy_from_slice(&acc[N..2 * N]);
    normalize(&mut r);
    // SAFETY: `out` is valid for writes (caller); all reads of `a` happened above.
    unsafe { out.write(r) };
}

/// `a·b` on values (for the small helpers).
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
fn mul_v(a: &V, b: &V) -> V {
    let mut r = core::mem::MaybeUninit::<V>::uninit();
    // SAFETY: features enabled here; `r` is writable, `a`/`b` readable; `mont_mul` writes all
    // of `r` before it is read.
    unsafe {
        mont_mul(r.as_mut_ptr(), a, b);
        r.assume_init()
    }
}

/// `a·b` into `acc` in place.
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
fn mul_assign_v(acc: &mut V, b: &V) {
    let p: *mut V = acc;
    // SAFETY: features enabled here; `mont_mul` allows `out` to alias `a`.
    unsafe { mont_mul(p, p, b) };
}

/// `acc²` into `acc` in place.
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
fn sqr_assign_v(acc: &mut V) {
    let p: *mut V = acc;
    // SAFETY: features enabled here; `mont_sqr` allows `out` to alias `a`.
    unsafe { mont_sqr(p, p) };
}

/// Propagates carries so every limb is below 2^52 (unsigned limbs, value below 2^1040).
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
fn normalize(r: &mut V) {
    let mask = _mm512_set1_epi64(MASK52 as i64);
    for j in 0..N - 1 {
        let c = _mm512_srli_epi64(r[j], 52);
        r[j] = _mm512_and_si512(r[j], mask);
        r[j + 1] = _mm512_add_epi64(r[j + 1], c);
    }
}

/// For `s` with (possibly negative, |limb| < 2^62) signed limbs, returns the normalised limbs and
/// the per-lane mask of lanes whose value is negative.
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
fn normalize_signed(r: &mut V) -> u8 {
    let mask = _mm512_set1_epi64(MASK52 as i64);
    for j in 0..N - 1 {
        let c = _mm512_srai_epi64(r[j], 52);
        r[j] = _mm512_and_si512(r[j], mask);
        r[j + 1] = _mm512_add_epi64(r[j + 1], c);
    }
    let neg = _mm512_cmplt_epi64_mask(r[N - 1], _mm512_setzero_si512());
    r[N - 1] = _mm512_and_si512(r[N - 1], mask);
    neg
}

/// Lane-wise `mask ? b : a`.
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
fn blend(mask: u8, a: &V, b: &V) -> V {
    let mut r = *a;
    for j in 0..N {
        r[j] = _mm512_mask_blend_epi64(mask, a[j], b[j]);
    }
    r
}

/// `x - c` if that is non-negative, else `x` (per lane), for normalised `x` and constant `c`.
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
fn sub_const_if_ge(x: &V, c: &[u64; N]) -> V {
    let mut t = [_mm512_setzero_si512(); N];
    for j in 0..N {
        t[j] = _mm512_sub_epi64(x[j], _mm512_set1_epi64(c[j] as i64));
    }
    let neg = normalize_signed(&mut t);
    blend(neg, &t, x)
}

/// `a + b` for inputs below 2p; output below 2p.
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
fn add_k(a: &V, b: &V) -> V {
    // s = a + b and t = a + b − 2p, carried as two independent chains; t's sign picks.
    let mut s = *a;
    let mut t = *a;
    for j in 0..N {
        s[j] = _mm512_add_epi64(a[j], b[j]);
        t[j] = _mm512_sub_epi64(s[j], _mm512_set1_epi64(P2[j] as i64));
    }
    normalize(&mut s);
    let neg = normalize_signed(&mut t);
    blend(neg, &t, &s)
}

/// `a - b` for inputs below 2p; output below 2p.
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
fn sub_k(a: &V, b: &V) -> V {
    let mut d = *a;
    let mut e = *a;
    for j in 0..N {
        d[j] = _mm512_sub_epi64(a[j], b[j]);
        e[j] = _mm512_add_epi64(d[j], _mm512_set1_epi64(P2[j] as i64));
    }
    let neg = normalize_signed(&mut d);
    normalize_signed(&mut e);
    blend(neg, &d, &e)
}

/// Fully reduces a value below 2p into `[0, p)`.
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
fn canonical(x: &V) -> V {
    sub_const_if_ge(x, &P)
}

/// Montgomery form to canonical residue in `[0, p)`.
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
fn from_mont(x: &V) -> V {
    let mut one = [_mm512_setzero_si512(); N];
    one[0] = _mm512_set1_epi64(1);
    canonical(&mul_v(x, &one))
}

/// Per-lane mask of lanes equal to zero (mod p).
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
fn is_zero_k(x: &V) -> u8 {
    let c = canonical(x);
    let mut or = c[0];
    for cj in c.iter().skip(1) {
        or = core::arch::x86_64::_mm512_or_si512(or, *cj);
    }
    _mm512_cmpeq_epi64_mask(or, _mm512_setzero_si512())
}

/// Constant-time table lookup: lane `l` of the result is `table[idx[l]]`; every entry is read.
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
fn select_from(table: &[V], idx: __m512i) -> V {
    let mut r = [_mm512_setzero_si512(); N];
    for (k, t) in table.iter().enumerate() {
        let m = _mm512_cmpeq_epi64_mask(idx, _mm512_set1_epi64(k as i64));
        for j in 0..N {
            r[j] = _mm512_mask_blend_epi64(m, r[j], t[j]);
        }
    }
    r
}

/// The `w`-th 4-bit digit of each lane's exponent (public position, secret value; no branches).
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
fn digit_vec(exps: &[[u64; 16]; LANES], w: usize) -> __m512i {
    let word = (WIN * w) / 64;
    let shift = (WIN * w) % 64;
    let mut d = [0i64; LANES];
    for (dl, e) in d.iter_mut().zip(exps.iter()) {
        *dl = ((e[word] >> shift) & ((1 << WIN) - 1)) as i64;
    }
    core::arch::x86_64::_mm512_set_epi64(d[7], d[6], d[5], d[4], d[3], d[2], d[1], d[0])
}

/// Window width of [`FpX8::pow_x8`].
const WIN: usize = 4;

/// `base^e` per lane, e given as 16 little-endian words per lane (1024 bits), fixed 4-bit
/// windows, full-table masked selection.
#[target_feature(enable = "avx512f,avx512ifma")]
fn pow_k(out: &mut V, base: &V, exps: &[[u64; 16]; LANES]) {
    let mut table = [[_mm512_setzero_si512(); N]; 1 << WIN];
    table[0] = splat_const(&R_MOD_P);
    table[1] = *base;
    for k in 2..(1 << WIN) {
        table[k] = if k % 2 == 0 {
            let mut t = table[k / 2];
            sqr_assign_v(&mut t);
            t
        } else {
            mul_v(&table[k - 1], base)
        };
    }
    let windows = 1024 / WIN;
    let mut acc = select_from(&table, digit_vec(exps, windows - 1));
    for w in (0..windows - 1).rev() {
        for _ in 0..WIN {
            sqr_assign_v(&mut acc);
        }
        let t = select_from(&table, digit_vec(exps, w));
        mul_assign_v(&mut acc, &t);
    }
    *out = acc;
    for t in table.iter_mut() {
        *t = [_mm512_setzero_si512(); N];
    }
    core::hint::black_box(&table);
}

/// `base^e` for a public exponent shared by all lanes (used for Fermat inversion); variable time
/// in the exponent only.
#[target_feature(enable = "avx512f,avx512ifma")]
fn pow_public_k(out: &mut V, base: &V, e: &[u64; 16]) {
    let mut table = [[_mm512_setzero_si512(); N]; 1 << WIN];
    table[0] = splat_const(&R_MOD_P);
    table[1] = *base;
    for k in 2..(1 << WIN) {
        table[k] = mul_v(&table[k - 1], base);
    }
    let mut acc = splat_const(&R_MOD_P);
    let mut started = false;
    for w in (0..1024 / WIN).rev() {
        let d = ((e[(WIN * w) / 64] >> ((WIN * w) % 64)) & ((1 << WIN) - 1)) as usize;
        if started {
            for _ in 0..WIN {
                sqr_assign_v(&mut acc);
            }
        }
        if d != 0 {
            if started {
                mul_assign_v(&mut acc, &table[d]);
            } else {
                acc = table[d];
            }
            started = true;
        }
    }
    *out = acc;
    for t in table.iter_mut() {
        *t = [_mm512_setzero_si512(); N];
    }
    core::hint::black_box(&table);
}

#[target_feature(enable = "avx512f,avx512ifma")]
fn mul_kernel(out: &mut Limbs, a: &Limbs, b: &Limbs) {
    // SAFETY: features enabled here; the views are valid for a `V` each.
    unsafe { mont_mul(vmut(out), vref(a), vref(b)) };
}

#[target_feature(enable = "avx512f,avx512ifma")]
fn mul_sum_kernel(out: &mut Limbs, a: &Limbs, b: &Limbs, c: &Limbs, d: &Limbs) {
    // SAFETY: features enabled here; the views are valid for a `V` each.
    unsafe { mont_mul_sum(vmut(out), vref(a), vref(b), vref(c), vref(d)) };
}

#[target_feature(enable = "avx512f,avx512ifma")]
fn sqr_kernel(out: &mut Limbs, a: &Limbs) {
    // SAFETY: features enabled here; the views are valid for a `V` each.
    unsafe { mont_sqr(vmut(out), vref(a)) };
}

#[target_feature(enable = "avx512f,avx512ifma")]
fn add_kernel(out: &mut Limbs, a: &Limbs, b: &Limbs) {
    *vmut(out) = add_k(vref(a), vref(b));
}

#[target_feature(enable = "avx512f,avx512ifma")]
fn sub_kernel(out: &mut Limbs, a: &Limbs, b: &Limbs) {
    *vmut(out) = sub_k(vref(a), vref(b));
}

#[target_feature(enable = "avx512f,avx512ifma")]
fn blend_kernel(out: &mut Limbs, mask: u8, a: &Limbs, b: &Limbs) {
    *vmut(out) = blend(mask, vref(a), vref(b));
}

#[target_feature(enable = "avx512f,avx512ifma")]
fn cond_neg_kernel(out: &mut Limbs, mask: u8, a: &Limbs) {
    let x = vref(a);
    let n = sub_k(&[_mm512_setzero_si512(); N], x);
    *vmut(out) = blend(mask, x, &n);
}

#[target_feature(enable = "avx512f,avx512ifma")]
fn canonical_kernel(out: &mut Limbs, a: &Limbs) {
    *vmut(out) = from_mont(vref(a));
}

#[target_feature(enable = "avx512f,avx512ifma")]
fn to_mont_kernel(out: &mut Limbs, a: &Limbs) {
    *vmut(out) = mul_v(vref(a), &splat_const(&R2_MOD_P));
}

#[target_feature(enable = "avx512f,avx512ifma")]
fn is_zero_kernel(a: &Limbs) -> u8 {
    is_zero_k(vref(a))
}

#[target_feature(enable = "avx512f,avx512ifma")]
fn eq_kernel(a: &Limbs, b: &Limbs) -> u8 {
    is_zero_k(&sub_k(vref(a), vref(b)))
}

#[target_feature(enable = "avx512f,avx512ifma")]
fn pow_kernel(out: &mut Limbs, base: &Limbs, exps: &[[u64; 16]; LANES]) {
    pow_k(vmut(out), vref(base), exps);
}

#[target_feature(enable = "avx512f,avx512ifma")]
fn pow_public_kernel(out: &mut Limbs, base: &Limbs, e: &[u64; 16]) {
    pow_public_k(vmut(out), vref(base), e);
}

/// Zeroes the storage with 20 volatile 512-bit stores.
#[target_feature(enable = "avx512f,avx512ifma")]
fn wipe_kernel(x: &mut Limbs) {
    let p = vmut(x).as_mut_ptr();
    for i in 0..N {
        // SAFETY: i < N, in bounds of the aligned `V` view.
        unsafe { core::ptr::write_volatile(p.add(i), _mm512_setzero_si512()) };
    }
    core::sync::atomic::compiler_fence(core::sync::atomic::Ordering::SeqCst);
}

/// Lane `l` of an element as 20 radix-2^52 limbs (internal representation).
fn lane_limbs(x: &FpX8, l: usize) -> [u64; N] {
    core::array::from_fn(|i| x.v.0[8 * i + l])
}

/// Overwrites lane `l` of an element with 20 radix-2^52 limbs (internal representation).
fn set_lane_limbs(x: &mut FpX8, l: usize, limbs: &[u64; N]) {
    for (i, &v) in limbs.iter().enumerate() {
        x.v.0[8 * i + l] = v;
    }
}

/// Constant-time `x < p` over canonical 64-bit words, as 0/1.
fn lt_p(x: &[u64; 16]) -> u64 {
    let p = p_words();
    let mut borrow = 0u64;
    for (xi, pi) in x.iter().zip(p.iter()) {
        let (d1, b1) = xi.overflowing_sub(*pi);
        let (_, b2) = d1.overflowing_sub(borrow);
        borrow = (b1 | b2) as u64;
    }
    borrow
}

/// p as 16 little-endian 64-bit words.
pub fn p_words() -> [u64; 16] {
    radix52::from_digits(&P)
}

impl FpX8 {
    fn empty() -> Self {
        Self {
            v: Limbs([0; N * LANES]),
        }
    }

    fn from_l52_lanes(lanes: &[[u64; N]; LANES]) -> Self {
        let mut r = Self::empty();
        for (l, lane) in lanes.iter().enumerate() {
            for (i, &limb) in lane.iter().enumerate() {
                r.v.0[8 * i + l] = limb;
            }
        }
        r
    }

    fn splat_l52(c: &[u64; N]) -> Self {
        Self::from_l52_lanes(&[*c; LANES])
    }

    /// Zero in every lane.
    pub fn zero(_t: Ifma) -> Self {
        Self::empty()
    }

    /// One in every lane.
    pub fn one(_t: Ifma) -> Self {
        Self::splat_l52(&R_MOD_P)
    }

    /// The detection token this value was built with.
    pub fn token(&self) -> Ifma {
        Ifma { _private: () }
    }

    /// Loads eight canonical residues (little-endian 64-bit words, each value `< p`).
    ///
    /// Returns [`Error::InvalidParameter`] if any lane is `>= p`.
    pub fn from_u64x16x8(t: Ifma, x: &[[u64; 16]; LANES]) -> Result<Self> {
        let mut ok = 1u64;
        for lane in x.iter() {
            ok &= lt_p(lane);
        }
        if ok != 1 {
            return Err(Error::InvalidParameter);
        }
        Ok(Self::from_u64x16x8_reduced(t, x))
    }

    /// Loads eight arbitrary 1024-bit integers, reducing each modulo p.
    pub fn from_u64x16x8_reduced(_t: Ifma, x: &[[u64; 16]; LANES]) -> Self {
        let mut lanes = [[0u64; N]; LANES];
        for (l, xl) in lanes.iter_mut().zip(x.iter()) {
            *l = radix52::to_digits(xl);
        }
        let raw = Self::from_l52_lanes(&lanes);
        lanes.zeroize();
        let mut r = Self::empty();
        // SAFETY: `_t` proves avx512f + avx512ifma are available. Any 1024-bit value is below
        // 2p, so the Montgomery product with R^2 is a valid (below 2p) representative.
        unsafe { to_mont_kernel(&mut r.v, &raw.v) };
        r
    }

    /// The same residue (little-endian 64-bit words) in all eight lanes.
    pub fn splat(t: Ifma, x: &[u64; 16]) -> Result<Self> {
        Self::from_u64x16x8(t, &[*x; LANES])
    }

    /// Stores the eight lanes as canonical residues in `[0, p)`.
    pub fn to_u64x16x8(&self) -> [[u64; 16]; LANES] {
        let mut c = Self::empty();
        // SAFETY: `self` exists, so the features were detected.
        unsafe { canonical_kernel(&mut c.v, &self.v) };
        let mut out = [[0u64; 16]; LANES];
        for (l, o) in out.iter_mut().enumerate() {
            let mut lane = [0u64; N];
            for (i, limb) in lane.iter_mut().enumerate() {
                *limb = c.v.0[8 * i + l];
            }
            *o = radix52::from_digits(&lane);
            lane.zeroize();
        }
        out
    }

    /// Lane-wise Montgomery product.
    pub fn mul(&self, rhs: &Self) -> Self {
        let mut r = Self::empty();
        // SAFETY: `self` exists, so the features were detected.
        unsafe { mul_kernel(&mut r.v, &self.v, &rhs.v) };
        r
    }

    /// Lane-wise `self·b + c·d` with one Montgomery reduction (the sum of two products for
    /// the price of about 1.5).
    pub fn mul_add_mul(&self, b: &Self, c: &Self, d: &Self) -> Self {
        let mut r = Self::empty();
        // SAFETY: `self` exists, so the features were detected.
        unsafe { mul_sum_kernel(&mut r.v, &self.v, &b.v, &c.v, &d.v) };
        r
    }

    /// Lane-wise square.
    pub fn square(&self) -> Self {
        let mut r = Self::empty();
        // SAFETY: `self` exists, so the features were detected.
        unsafe { sqr_kernel(&mut r.v, &self.v) };
        r
    }

    /// Lane-wise sum.
    pub fn add(&self, rhs: &Self) -> Self {
        let mut r = Self::empty();
        // SAFETY: `self` exists, so the features were detected.
        unsafe { add_kernel(&mut r.v, &self.v, &rhs.v) };
        r
    }

    /// Lane-wise difference.
    pub fn sub(&self, rhs: &Self) -> Self {
        let mut r = Self::empty();
        // SAFETY: `self` exists, so the features were detected.
        unsafe { sub_kernel(&mut r.v, &self.v, &rhs.v) };
        r
    }

    /// Lane-wise negation.
    pub fn neg(&self) -> Self {
        self.cond_neg(0xff)
    }

    /// Negates the lanes whose bit is set in `mask`, in constant time.
    pub fn cond_neg(&self, mask: u8) -> Self {
        let mut r = Self::empty();
        // SAFETY: `self` exists, so the features were detected.
        unsafe { cond_neg_kernel(&mut r.v, mask, &self.v) };
        r
    }

    /// Lane `l` is taken from `b` if bit `l` of `mask` is set, else from `a` (constant time).
    pub fn select(a: &Self, b: &Self, mask: u8) -> Self {
        let mut r = Self::empty();
        // SAFETY: `a` exists, so the features were detected.
        unsafe { blend_kernel(&mut r.v, mask, &a.v, &b.v) };
        r
    }

    /// Per-lane equality mask (bit `l` set when lane `l` of both values are equal mod p).
    pub fn ct_eq(&self, rhs: &Self) -> u8 {
        // SAFETY: `self` exists, so the features were detected.
        unsafe { eq_kernel(&self.v, &rhs.v) }
    }

    /// Per-lane mask of lanes equal to zero.
    pub fn is_zero(&self) -> u8 {
        // SAFETY: `self` exists, so the features were detected.
        unsafe { is_zero_kernel(&self.v) }
    }

    /// `self^e` per lane with a secret 1024-bit exponent per lane (16 little-endian words), in
    /// constant time: fixed 4-bit windows, each window's table entry chosen by scanning the whole
    /// table with masked blends. `0^0 = 1`.
    pub fn pow_x8(&self, exps: &[[u64; 16]; LANES]) -> Self {
        let mut r = Self::empty();
        // SAFETY: `self` exists, so the features were detected.
        unsafe { pow_kernel(&mut r.v, &self.v, exps) };
        r
    }

    /// `self^e` per lane for one exponent shared by all lanes; variable time in `e` (which must
    /// be public), constant time in the lane values.
    pub fn pow_public_vartime(&self, e: &[u64; 16]) -> Self {
        let mut r = Self::empty();
        // SAFETY: `self` exists, so the features were detected.
        unsafe { pow_public_kernel(&mut r.v, &self.v, e) };
        r
    }

    /// Lane-wise inverse by Fermat (`x^(p-2)`), constant time in the values; zero maps to zero.
    pub fn invert(&self) -> Self {
        let mut e = p_words();
        e[0] -= 2;
        self.pow_public_vartime(&e)
    }

    /// Inverts every lane of every element with a single lane-wise inversion (Montgomery's
    /// trick): `3(n-1)` products plus one [`FpX8::invert`]. Lanes equal to zero stay zero and do
    /// not disturb the others; which lanes are zero is not revealed by timing.
    pub fn batch_invert(xs: &mut [FpX8]) {
        let Some(first) = xs.first() else {
            return;
        };
        let t = first.token();
        let one = Self::one(t);
        // Replace zero lanes by one so the running product stays invertible.
        let zmasks: Vec<u8> = xs.iter().map(|x| x.is_zero()).collect();
        let mut prefix: Vec<FpX8> = Vec::with_capacity(xs.len());
        let mut acc = one.clone();
        for (x, &zm) in xs.iter().zip(zmasks.iter()) {
            prefix.push(acc.clone());
            acc = acc.mul(&Self::select(x, &one, zm));
        }
        let mut inv = acc.invert();
        for ((x, &zm), pre) in xs.iter_mut().zip(zmasks.iter()).zip(prefix.iter()).rev() {
            let xi = Self::select(x, &one, zm);
            let out = inv.mul(pre);
            inv = inv.mul(&xi);
            *x = Self::select(&out, &Self::zero(t), zm);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limb_conversions_roundtrip() {
        let p = p_words();
        assert_eq!(radix52::to_digits(&p), P);
        let mut p2 = [0u64; N];
        let mut c = 0u64;
        for i in 0..N {
            let s = 2 * P[i] + c;
            p2[i] = s & MASK52;
            c = s >> 52;
        }
        assert_eq!(p2, P2);
        // K0 * p == -1 mod 2^52
        assert_eq!(K0.wrapping_mul(P[0]) & MASK52, MASK52);
    }

    #[test]
    fn mul_add_mul_matches_two_products_and_a_sum() {
        if Ifma::new().is_none() {
            return;
        }
        // 2p − 1 in radix 2^52: the largest lane input.
        let mut top = [0u64; N];
        let mut c = 0u64;
        for (i, o) in top.iter_mut().enumerate() {
            let s = 2 * P[i] + c;
            *o = s & MASK52;
            c = s >> 52;
        }
        let mut i0 = 0;
        while top[i0] == 0 {
            top[i0] = MASK52;
            i0 += 1;
        }
        top[i0] -= 1;
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for round in 0..20 {
            let vals: [[[u64; N]; LANES]; 4] = core::array::from_fn(|k| {
                core::array::from_fn(|l| {
                    if (round + k + l) % 3 == 0 {
                        top
                    } else {
                        let mut w = [0u64; 16];
                        for x in w.iter_mut() {
                            *x = next();
                        }
                        w[15] &= (1 << 62) - 1;
                        radix52::to_digits(&w)
                    }
                })
            });
            let [a, b, c, d] = vals.map(|v| FpX8::from_l52_lanes(&v));
            let want = a.mul(&b).add(&c.mul(&d)).to_u64x16x8();
            assert_eq!(a.mul_add_mul(&b, &c, &d).to_u64x16x8(), want);
        }
    }
}
