//! CPU-specific code. These files are the only ones allowed `unsafe` and intrinsics; every
//! `unsafe` block carries a `// SAFETY:` line. Features are detected at run time with
//! `cpufeatures`; a `--cfg prose_backend="soft"` build forces the portable paths everywhere.
//!
//! Layout: one leaf module per algorithm family and architecture, so that the SRTP and the
//! SAKKE kernels can evolve independently:
//! - `x86_64/…`: AES-NI/VAES/PCLMULQDQ/SHA-NI paths for SRTP, MULX/ADX and AVX-512 IFMA
//!   paths for the 1024-bit field.
//! - `aarch64/…`: ARMv8 Cryptographic Extension paths for SRTP (AESE/AESMC, PMULL, SHA1*).
//! - `soft`: portable code shared by every architecture.
//! - `wipe`: zeroing other crates' values that hold keys but do not wipe themselves.

pub mod soft;
pub(crate) mod wipe;

#[cfg(all(target_arch = "x86_64", not(prose_backend = "soft")))]
#[allow(unsafe_code)]
pub mod x86_64;

#[cfg(all(
    target_arch = "aarch64",
    target_endian = "little",
    not(prose_backend = "soft")
))]
#[allow(unsafe_code)]
pub mod aarch64;

/// Whether the portable backend is forced at build time.
pub const FORCED_SOFT: bool = cfg!(prose_backend = "soft");
