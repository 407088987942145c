//! AES-GCM for the AEAD profiles (RFC 7714): 12-octet IV, 16-octet tag.
//!
//! The portable path is RustCrypto `aes-gcm` (AES-NI and PCLMULQDQ detected at run time by
//! those crates). It checks the tag before it decrypts, so a packet that fails is left as it
//! was.

use aes_gcm::aead::generic_array::GenericArray;
use aes_gcm::aead::{AeadInPlace, KeyInit};
use aes_gcm::{Aes128Gcm, Aes256Gcm};

use crate::{Error, Result};

/// An AES-GCM key, 128 or 256 bits.
pub(crate) enum Gcm {
    /// AES-128-GCM.
    A128(Box<Aes128Gcm>),
    /// AES-256-GCM.
    A256(Box<Aes256Gcm>),
    /// VAES/VPCLMULQDQ kernel, 128 or 256 bits.
    #[cfg(all(target_arch = "x86_64", not(prose_backend = "soft")))]
    Vaes(Box<crate::backend::x86_64::gcm::GcmVaes>),
}

impl core::fmt::Debug for Gcm {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Gcm(..)")
    }
}

impl Gcm {
    /// The fastest implementation this CPU supports (the VAES kernel where present), or the
    /// portable one if `portable`.
    pub(crate) fn new_best(key: &[u8], portable: bool) -> Result<Self> {
        #[cfg(all(target_arch = "x86_64", not(prose_backend = "soft")))]
        if !portable {
            if let Some(v) = crate::backend::x86_64::gcm::GcmVaes::new(key) {
                return Ok(Gcm::Vaes(Box::new(v)));
            }
        }
        let _ = portable;
        Gcm::new(key)
    }

    /// The portable (RustCrypto `aes-gcm`) implementation.
    pub(crate) fn new(key: &[u8]) -> Result<Self> {
        match key.len() {
            16 => Aes128Gcm::new_from_slice(key)
                .map(|g| Gcm::A128(Box::new(g)))
                .map_err(|_| Error::InvalidKey),
            32 => Aes256Gcm::new_from_slice(key)
                .map(|g| Gcm::A256(Box::new(g)))
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
        }
        .map_err(|_| Error::InvalidParameter)?;
        let mut out = [0u8; 16];
        out.copy_from_slice(&tag);
        Ok(out)
    }

    /// Verifies `tag` and decrypts `data` in place; on failure `data` is unchanged.
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
        }
    }
}
