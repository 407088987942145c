//! aarch64 kernels (ARMv8 Cryptographic Extension), each in a leaf module compiled with
//! `#[target_feature]` and reached only through a detection token of this file.
//!
//! Detection is `cpufeatures` (the project's detector) confirmed by the standard library's:
//! on Linux, `cpufeatures` 0.2 accepts `"aes"` when *either* HWCAP_AES or HWCAP_PMULL is set
//! and reads `"sha2"` from HWCAP_SHA2 alone, while the kernels need AES *and* PMULL, and SHA-1.
//! The standard library's `"aes"` is FEAT_AES ∧ FEAT_PMULL and its `"sha2"` is
//! FEAT_SHA1 ∧ FEAT_SHA256, so a token exists only when both detectors agree.
//!
//! The F_p kernels of SAKKE use only base AArch64 instructions (MUL/UMULH): their token,
//! [`Aarch64Base`], exists on every aarch64 CPU.

/// AES-CTR keystream with AESE/AESMC for SRTP AES-CM.
pub mod aes_ctr;
/// 1024-bit Montgomery arithmetic for SAKKE's F_p with MUL/UMULH.
pub mod fp_mont;
/// AES-GCM with AESE/AESMC and PMULL GHASH for the SRTP AEAD profiles.
pub mod gcm;
/// SHA-1 compression with the SHA1 instructions for HMAC-SHA1.
pub mod sha1;

cpufeatures::new!(cpu_aes, "aes");
cpufeatures::new!(cpu_sha2, "sha2");

/// Proof that the CPU has the AES instructions (AESE/AESMC) and the 64-bit polynomial
/// multiply (PMULL); the only way to reach the AES and GCM kernels.
#[derive(Clone, Copy, Debug)]
pub struct AesPmull {
    _private: (),
}

impl AesPmull {
    /// Detects the features at run time (cached); `None` without them.
    #[inline]
    pub fn get() -> Option<Self> {
        (cpu_aes::get() && std::arch::is_aarch64_feature_detected!("aes"))
            .then_some(AesPmull { _private: () })
    }
}

/// Proof that the CPU has the SHA-1 instructions (SHA1C/P/M/H, SHA1SU0/SU1); the only way to
/// reach the SHA-1 kernel.
#[derive(Clone, Copy, Debug)]
pub struct Sha1Ext {
    _private: (),
}

impl Sha1Ext {
    /// Detects the features at run time (cached); `None` without them.
    #[inline]
    pub fn get() -> Option<Self> {
        (cpu_sha2::get() && std::arch::is_aarch64_feature_detected!("sha2"))
            .then_some(Sha1Ext { _private: () })
    }
}

/// Proof of an AArch64 CPU for the kernels that need only the base instruction set (the
/// MUL/UMULH Montgomery products of [`fp_mont`]); the only way to reach them. The kernels
/// themselves are private functions of `fp_mont` (no doctest checks this: doctests are not
/// run for the cross target, and on the host this module does not exist).
#[derive(Clone, Copy, Debug)]
pub struct Aarch64Base {
    _private: (),
}

impl Aarch64Base {
    /// Always `Some` on aarch64 (MUL/UMULH, ADDS/ADCS and CSETM are base instructions); an
    /// `Option` like the other tokens so that callers choose engines the same way.
    #[inline]
    pub fn get() -> Option<Self> {
        Some(Aarch64Base { _private: () })
    }
}
