//! SRTP protection profiles and their parameters.

use crate::{Error, Result};

/// The cipher family of a profile.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum CipherKind {
    /// No encryption (authentication only).
    Null,
    /// AES in counter mode (RFC 3711 §4.1.1, RFC 6188), 16- or 32-octet keys.
    AesCm,
    /// AES-GCM AEAD (RFC 7714), 16- or 32-octet keys.
    AesGcm,
}

/// An SRTP protection profile.
///
/// The discriminants are the IANA "DTLS-SRTP Protection Profiles" values (RFC 5764, RFC 7714)
/// where one exists. The two AES-256 counter-mode profiles of RFC 6188 have no IANA value; this
/// crate gives them `0x0003` and `0x0004`, the values the drafts of RFC 5764 used for
/// AES-256-CM before they were dropped (both are unassigned in the registry). They identify the
/// profiles inside this library and its bindings only: never send them in a DTLS `use_srtp`
/// extension.
///
/// Tag lengths follow libsrtp: the `_32` profiles carry a 32-bit tag on SRTP but an 80-bit tag on
/// SRTCP (RFC 3711 §5.2 and RFC 4568 §6.2 leave SRTCP at 80 bits).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[repr(u16)]
pub enum Profile {
    /// AES_CM_128_HMAC_SHA1_80 (RFC 3711, RFC 4568), the default of the wire profile.
    Aes128CmHmacSha1_80 = 0x0001,
    /// AES_CM_128_HMAC_SHA1_32 (32-bit SRTP tag, 80-bit SRTCP tag).
    Aes128CmHmacSha1_32 = 0x0002,
    /// AES_256_CM_HMAC_SHA1_80 (RFC 6188). Not an IANA value; see the type's documentation.
    Aes256CmHmacSha1_80 = 0x0003,
    /// AES_256_CM_HMAC_SHA1_32 (RFC 6188). Not an IANA value; see the type's documentation.
    Aes256CmHmacSha1_32 = 0x0004,
    /// NULL cipher with HMAC-SHA1-80: authentication only (for tests of auth-only policies).
    NullHmacSha1_80 = 0x0005,
    /// NULL cipher with HMAC-SHA1-32 (SRTCP keeps the 80-bit tag).
    NullHmacSha1_32 = 0x0006,
    /// AEAD_AES_128_GCM (RFC 7714), 16-octet tag.
    AeadAes128Gcm = 0x0007,
    /// AEAD_AES_256_GCM (RFC 7714), 16-octet tag.
    AeadAes256Gcm = 0x0008,
}

impl Profile {
    /// Every profile, in discriminant order.
    pub const ALL: [Profile; 8] = [
        Profile::Aes128CmHmacSha1_80,
        Profile::Aes128CmHmacSha1_32,
        Profile::Aes256CmHmacSha1_80,
        Profile::Aes256CmHmacSha1_32,
        Profile::NullHmacSha1_80,
        Profile::NullHmacSha1_32,
        Profile::AeadAes128Gcm,
        Profile::AeadAes256Gcm,
    ];

    /// The profile with the given identifier (the discriminant), if any.
    pub fn from_id(id: u16) -> Result<Profile> {
        Profile::ALL
            .iter()
            .copied()
            .find(|p| p.id() == id)
            .ok_or(Error::Unsupported)
    }

    /// The identifier (the discriminant; the IANA DTLS-SRTP value where one exists).
    pub const fn id(self) -> u16 {
        self as u16
    }

    /// A short name, as in SDP `a=crypto` / DTLS-SRTP.
    pub const fn name(self) -> &'static str {
        match self {
            Profile::Aes128CmHmacSha1_80 => "AES_CM_128_HMAC_SHA1_80",
            Profile::Aes128CmHmacSha1_32 => "AES_CM_128_HMAC_SHA1_32",
            Profile::Aes256CmHmacSha1_80 => "AES_256_CM_HMAC_SHA1_80",
            Profile::Aes256CmHmacSha1_32 => "AES_256_CM_HMAC_SHA1_32",
            Profile::NullHmacSha1_80 => "NULL_HMAC_SHA1_80",
            Profile::NullHmacSha1_32 => "NULL_HMAC_SHA1_32",
            Profile::AeadAes128Gcm => "AEAD_AES_128_GCM",
            Profile::AeadAes256Gcm => "AEAD_AES_256_GCM",
        }
    }

    pub(crate) const fn cipher(self) -> CipherKind {
        match self {
            Profile::Aes128CmHmacSha1_80
            | Profile::Aes128CmHmacSha1_32
            | Profile::Aes256CmHmacSha1_80
            | Profile::Aes256CmHmacSha1_32 => CipherKind::AesCm,
            Profile::NullHmacSha1_80 | Profile::NullHmacSha1_32 => CipherKind::Null,
            Profile::AeadAes128Gcm | Profile::AeadAes256Gcm => CipherKind::AesGcm,
        }
    }

    /// Whether this is an AEAD (GCM) profile.
    pub const fn is_aead(self) -> bool {
        matches!(self.cipher(), CipherKind::AesGcm)
    }

    /// Whether the profile encrypts (false for the NULL-cipher profiles).
    pub const fn encrypts(self) -> bool {
        !matches!(self.cipher(), CipherKind::Null)
    }

    /// Master (and session) key length in octets. The NULL profiles take a 16-octet master key,
    /// as libsrtp does: it keys the AES-CM key-derivation function.
    pub const fn key_len(self) -> usize {
        match self {
            Profile::Aes256CmHmacSha1_80
            | Profile::Aes256CmHmacSha1_32
            | Profile::AeadAes256Gcm => 32,
            _ => 16,
        }
    }

    /// Master (and session) salt length in octets: 14 for counter mode, 12 for GCM.
    pub const fn salt_len(self) -> usize {
        if self.is_aead() {
            12
        } else {
            14
        }
    }

    /// Session authentication key length (HMAC-SHA1: 20 octets; 0 for AEAD).
    pub const fn auth_key_len(self) -> usize {
        if self.is_aead() {
            0
        } else {
            20
        }
    }

    /// Authentication tag length on SRTP packets, in octets.
    pub const fn rtp_tag_len(self) -> usize {
        match self {
            Profile::Aes128CmHmacSha1_32
            | Profile::Aes256CmHmacSha1_32
            | Profile::NullHmacSha1_32 => 4,
            Profile::AeadAes128Gcm | Profile::AeadAes256Gcm => 16,
            _ => 10,
        }
    }

    /// Authentication tag length on SRTCP packets, in octets (80 bits even for `_32`).
    pub const fn rtcp_tag_len(self) -> usize {
        if self.is_aead() {
            16
        } else {
            10
        }
    }
}

impl core::fmt::Display for Profile {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}
