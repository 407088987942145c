//! AES-GCM for the AEAD profiles (RFC 7714): 12-octet IV, 16-octet tag.
//!
//! The portable path is RustCrypto `aes-gcm` (AES-NI and PCLMULQDQ detected at run time by
//! those crates). It checks the tag before it decrypts.
//!
//! The VAES kernel instead decrypts and hashes in one fused pass (each block is loaded once,
//! AES and carry-less multiplies interleaved), then compares the tag; on a mismatch it runs
//! the CTR keystream over the data once more, which restores the ciphertext. Either way a
//! packet that fails is left as it was when `open` returns. The unauthenticated plaintext
//! exists only inside the caller's buffer, which `open` borrows exclusively, so nothing can
//! read it before it is restored; both passes are constant-time in the data and the tag.

use aes_gcm::aead::generic_array::GenericArray;
use aes_gcm::aead::{AeadInPlace, KeyInit};
use aes_gcm::{Aes128Gcm, Aes256Gcm};

use crate::backend::wipe::WipedBox;
use crate::{Error, Result};

/// An AES-GCM key, 128 or 256 bits.
pub(crate) enum Gcm {
    /// AES-128-GCM (wiped on drop: `aes-gcm` does not wipe its GHASH key H).
    A128(WipedBox<Aes128Gcm>),
    /// AES-256-GCM.
    A256(WipedBox<Aes256Gcm>),
    /// VAES/VPCLMULQDQ kernel, 128 or 256 bits.
    #[cfg(all(target_arch = "x86_64", not(prose_backend = "soft")))]
    Vaes(Box<crate::backend::x86_64::gcm::GcmVaes>),
    /// ARMv8 AESE/AESMC and PMULL kernel, 128 or 256 bits.
    #[cfg(all(
        target_arch = "aarch64",
        target_endian = "little",
        not(prose_backend = "soft")
    ))]
    Arm(Box<crate::backend::aarch64::gcm::GcmArm>),
}

impl core::fmt::Debug for Gcm {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Gcm(..)")
    }
}

impl Gcm {
    /// The fastest implementation this CPU supports (the VAES kernel on x86-64, the ARMv8
    /// AES/PMULL kernel on aarch64, where present), or the portable one if `portable`. The CPU
    /// is detected here, once per key.
    pub(crate) fn new_best(key: &[u8], portable: bool) -> Result<Self> {
        #[cfg(all(target_arch = "x86_64", not(prose_backend = "soft")))]
        if !portable {
            if let Some(v) = crate::backend::x86_64::gcm::GcmVaes::new(key) {
                return Ok(Gcm::Vaes(Box::new(v)));
            }
        }
        #[cfg(all(
            target_arch = "aarch64",
            target_endian = "little",
            not(prose_backend = "soft")
        ))]
        if !portable {
            use crate::backend::aarch64::{gcm::GcmArm, AesPmull};
            if let Some(v) = AesPmull::get().and_then(|t| GcmArm::new(t, key)) {
                return Ok(Gcm::Arm(Box::new(v)));
            }
        }
        let _ = portable;
        Gcm::new(key)
    }

    /// The portable (RustCrypto `aes-gcm`) implementation.
    pub(crate) fn new(key: &[u8]) -> Result<Self> {
        match key.len() {
            16 => Aes128Gcm::new_from_slice(key)
                .map(|g| Gcm::A128(WipedBox::new(g)))
                .map_err(|_| Error::InvalidKey),
            32 => Aes256Gcm::new_from_slice(key)
                .map(|g| Gcm::A256(WipedBox::new(g)))
                .map_err(|_| Error::InvalidKey),
            _ => Err(Error::InvalidKey),
        }
    }

    /// Encrypts `data` in place and returns the tag.
    #[inline]
    pub(crate) fn seal(&self, nonce: &[u8; 12], aad: &[u8], data: &mut [u8]) -> Result<[u8; 16]> {
        let n = GenericArray::from_slice(nonce);
        let tag = match self {
            Gcm::A128(g) => g.encrypt_in_place_detached(n, aad, data),
            Gcm::A256(g) => g.encrypt_in_place_detached(n, aad, data),
            #[cfg(all(target_arch = "x86_64", not(prose_backend = "soft")))]
            Gcm::Vaes(v) => return Ok(v.seal_in_place(nonce, aad, data)),
            #[cfg(all(
                target_arch = "aarch64",
                target_endian = "little",
                not(prose_backend = "soft")
            ))]
            Gcm::Arm(v) => {
                return v
                    .seal_in_place(nonce, aad, data)
                    .ok_or(Error::InvalidParameter)
            }
        }
        .map_err(|_| Error::InvalidParameter)?;
        let mut out = [0u8; 16];
        out.copy_from_slice(&tag);
        Ok(out)
    }

    /// Verifies `tag` and decrypts `data` in place; on failure `data` is as it was when this
    /// returns (the portable path never decrypts it, the VAES and ARMv8 kernels decrypt and restore it;
    /// see the module notes).
    #[inline]
    pub(crate) fn open(
        &self,
        nonce: &[u8; 12],
        aad: &[u8],
        data: &mut [u8],
        tag: &[u8; 16],
    ) -> bool {
        let n = GenericArray::from_slice(nonce);
        let t = GenericArray::from_slice(tag);
        match self {
            Gcm::A128(g) => g.decrypt_in_place_detached(n, aad, data, t).is_ok(),
            Gcm::A256(g) => g.decrypt_in_place_detached(n, aad, data, t).is_ok(),
            #[cfg(all(target_arch = "x86_64", not(prose_backend = "soft")))]
            Gcm::Vaes(v) => v.open_in_place(nonce, aad, data, tag),
            #[cfg(all(
                target_arch = "aarch64",
                target_endian = "little",
                not(prose_backend = "soft")
            ))]
            Gcm::Arm(v) => v.open_in_place(nonce, aad, data, tag),
        }
    }
}
