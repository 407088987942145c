//! Master keys, policies, and the session keys derived from them.

use zeroize::{Zeroize, ZeroizeOnDrop};

use super::aes_cm::AesCm;
use super::auth::HmacSha1;
use super::gcm::Gcm;
use super::kdf::{derive_with, Label};
use super::profile::{CipherKind, Profile};
use super::replay::{MAX_WINDOW, MIN_WINDOW};
use crate::{Error, Result};

/// Largest MKI length, in octets.
pub const MAX_MKI_LEN: usize = 4;

/// An SRTP master key and master salt, with an optional MKI (1–4 octets) naming it on the wire.
/// Zeroized on drop; `Debug` shows only the lengths and the MKI.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct MasterKey {
    key: [u8; 32],
    key_len: u8,
    salt: [u8; 14],
    salt_len: u8,
    mki: [u8; MAX_MKI_LEN],
    mki_len: u8,
}

impl core::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("MasterKey")
            .field("key", &"<redacted>")
            .field("key_len", &self.key_len)
            .field("salt", &"<redacted>")
            .field("salt_len", &self.salt_len)
            .field("mki", &self.mki())
            .finish()
    }
}

impl MasterKey {
    /// A master key (16 or 32 octets) and master salt (14 octets, or 12 for GCM). The lengths
    /// are checked against the profile when the session is built.
    pub fn new(key: &[u8], salt: &[u8]) -> Result<Self> {
        if !(key.len() == 16 || key.len() == 32) || !(salt.len() == 12 || salt.len() == 14) {
            return Err(Error::InvalidParameter);
        }
        let mut k = MasterKey {
            key: [0; 32],
            key_len: key.len() as u8,
            salt: [0; 14],
            salt_len: salt.len() as u8,
            mki: [0; MAX_MKI_LEN],
            mki_len: 0,
        };
        k.key[..key.len()].copy_from_slice(key);
        k.salt[..salt.len()].copy_from_slice(salt);
        Ok(k)
    }

    /// The same key named by `mki` (1–4 octets).
    pub fn with_mki(mut self, mki: &[u8]) -> Result<Self> {
        if mki.is_empty() || mki.len() > MAX_MKI_LEN {
            return Err(Error::InvalidParameter);
        }
        self.mki = [0; MAX_MKI_LEN];
        self.mki[..mki.len()].copy_from_slice(mki);
        self.mki_len = mki.len() as u8;
        Ok(self)
    }

    /// A master key from `key || salt` concatenated, as SDES and DTLS-SRTP export it.
    pub fn from_concatenated(profile: Profile, key_and_salt: &[u8]) -> Result<Self> {
        let (k, s) = key_and_salt
            .split_at_checked(profile.key_len())
            .ok_or(Error::InvalidParameter)?;
        if s.len() != profile.salt_len() {
            return Err(Error::InvalidParameter);
        }
        MasterKey::new(k, s)
    }

    /// The master key octets.
    pub fn key(&self) -> &[u8] {
        &self.key[..self.key_len as usize]
    }

    /// The master salt octets.
    pub fn salt(&self) -> &[u8] {
        &self.salt[..self.salt_len as usize]
    }

    /// The MKI (empty when none).
    pub fn mki(&self) -> &[u8] {
        &self.mki[..self.mki_len as usize]
    }
}

/// Session parameters.
#[non_exhaustive]
#[derive(Clone, Debug)]
pub struct Policy {
    /// The protection profile.
    pub profile: Profile,
    /// Master keys: one without MKI, or several, each with an MKI of the same length.
    /// The first is the sending key until [`super::Session::set_send_mki`] picks another.
    pub keys: Vec<MasterKey>,
    /// Replay window size in packets, for SRTP and SRTCP (64..=4096; default 128).
    pub replay_window: usize,
    /// Most SSRCs the session tracks at once (1..=65536; default 64).
    pub max_streams: usize,
    /// Most master keys held at once when MKIs are used (default 8, at most 256).
    pub max_keys: usize,
    /// SRTP packets one master key may protect or accept (default and maximum 2^48,
    /// RFC 3711 §9.2); lower it to force earlier rekeying.
    pub max_rtp_packets_per_key: u64,
    /// SRTCP packets one master key may protect or accept (default and maximum 2^31).
    pub max_rtcp_packets_per_key: u64,
    /// Use only the portable (RustCrypto) code even where the CPU has the VAES, VPCLMULQDQ or
    /// AVX-512 kernels (default false). For tests and side-by-side comparisons; the output is
    /// the same either way.
    pub force_portable: bool,
    /// Refuse SRTCP packets sent without encryption (E = 0), for every profile (default false:
    /// RFC 3711 §3.4 and RFC 7714 §9.3 let a sender leave SRTCP authenticated only, and libsrtp
    /// does so when RTCP is auth-only). Refused packets give `Unsupported` and change nothing.
    /// This library always encrypts the SRTCP it sends under an encrypting profile.
    pub require_encrypted_srtcp: bool,
}

/// Default replay window (RFC 3711 recommends at least 64; libsrtp uses 128).
pub const DEFAULT_REPLAY_WINDOW: usize = 128;
/// Default stream capacity.
pub const DEFAULT_MAX_STREAMS: usize = 64;
/// Key-usage limit for SRTP (RFC 3711 §9.2).
pub const MAX_RTP_PACKETS_PER_KEY: u64 = 1 << 48;
/// Key-usage limit for SRTCP (RFC 3711 §9.2).
pub const MAX_RTCP_PACKETS_PER_KEY: u64 = 1 << 31;

impl Policy {
    /// A policy with one master key and the defaults.
    pub fn new(profile: Profile, key: MasterKey) -> Self {
        Policy {
            profile,
            keys: vec![key],
            replay_window: DEFAULT_REPLAY_WINDOW,
            max_streams: DEFAULT_MAX_STREAMS,
            max_keys: 8,
            max_rtp_packets_per_key: MAX_RTP_PACKETS_PER_KEY,
            max_rtcp_packets_per_key: MAX_RTCP_PACKETS_PER_KEY,
            force_portable: false,
            require_encrypted_srtcp: false,
        }
    }

    /// Adds another master key (builder style).
    pub fn with_key(mut self, key: MasterKey) -> Self {
        self.keys.push(key);
        self
    }

    /// Sets the replay window (builder style).
    pub fn with_replay_window(mut self, packets: usize) -> Self {
        self.replay_window = packets;
        self
    }

    /// Requires every received SRTCP packet to be encrypted (builder style); see
    /// [`Policy::require_encrypted_srtcp`].
    pub fn with_require_encrypted_srtcp(mut self, required: bool) -> Self {
        self.require_encrypted_srtcp = required;
        self
    }

    /// Sets the stream capacity (builder style).
    pub fn with_max_streams(mut self, streams: usize) -> Self {
        self.max_streams = streams;
        self
    }

    pub(crate) fn validate(&self) -> Result<()> {
        if !(MIN_WINDOW..=MAX_WINDOW).contains(&self.replay_window)
            || !(1..=65536).contains(&self.max_streams)
            || !(1..=256).contains(&self.max_keys)
            || self.keys.is_empty()
            || self.keys.len() > self.max_keys
            || self.max_rtp_packets_per_key > MAX_RTP_PACKETS_PER_KEY
            || self.max_rtcp_packets_per_key > MAX_RTCP_PACKETS_PER_KEY
        {
            return Err(Error::InvalidParameter);
        }
        let mki_len = self.keys[0].mki().len();
        if mki_len == 0 && self.keys.len() > 1 {
            return Err(Error::InvalidParameter);
        }
        for (i, k) in self.keys.iter().enumerate() {
            check_key(self.profile, k, mki_len)?;
            if self.keys[..i].iter().any(|o| o.mki() == k.mki()) {
                return Err(Error::InvalidParameter);
            }
        }
        Ok(())
    }
}

pub(crate) fn check_key(profile: Profile, k: &MasterKey, mki_len: usize) -> Result<()> {
    if k.key().len() != profile.key_len() || k.salt().len() != profile.salt_len() {
        return Err(Error::InvalidKey);
    }
    if k.mki().len() != mki_len {
        return Err(Error::InvalidParameter);
    }
    Ok(())
}

/// The cipher state of one direction (SRTP or SRTCP) under one master key. The variant is
/// chosen once, when the session is built.
// Held inline in the session (built once), so the size difference costs nothing per packet.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub(crate) enum CipherState {
    Null,
    AesCm(AesCm),
    Gcm(Gcm),
}

/// Session keys for SRTP or SRTCP. `Debug` shows the variant only.
pub(crate) struct SessionKeys {
    pub(crate) cipher: CipherState,
    pub(crate) auth: Option<HmacSha1>,
    /// Session salt (14 octets for AES-CM, 12 used for GCM).
    pub(crate) salt: [u8; 14],
}

impl core::fmt::Debug for SessionKeys {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SessionKeys")
            .field("cipher", &self.cipher)
            .field("auth", &self.auth)
            .field("salt", &"<redacted>")
            .finish()
    }
}

impl Drop for SessionKeys {
    fn drop(&mut self) {
        self.salt.zeroize();
    }
}

impl SessionKeys {
    fn derive(
        profile: Profile,
        prf: &AesCm,
        master_salt: &[u8],
        rtcp: bool,
        portable: bool,
    ) -> Result<Self> {
        let (le, la, ls) = if rtcp {
            (Label::RtcpEncryption, Label::RtcpAuth, Label::RtcpSalt)
        } else {
            (Label::RtpEncryption, Label::RtpAuth, Label::RtpSalt)
        };
        let mut key = [0u8; 32];
        let key = &mut key[..profile.key_len()];
        derive_with(prf, master_salt, le, key);
        let mut salt = [0u8; 14];
        derive_with(prf, master_salt, ls, &mut salt[..profile.salt_len()]);
        let cipher = match profile.cipher() {
            CipherKind::Null => Ok(CipherState::Null),
            CipherKind::AesCm => AesCm::new_best(key, portable).map(CipherState::AesCm),
            CipherKind::AesGcm => Gcm::new_best(key, portable).map(CipherState::Gcm),
        };
        // Wiped on every path, before an error returns.
        key.zeroize();
        let cipher = cipher?;
        let auth = if profile.auth_key_len() > 0 {
            let mut ak = [0u8; 20];
            derive_with(prf, master_salt, la, &mut ak);
            let h = HmacSha1::with_backend(&ak, portable);
            ak.zeroize();
            Some(h)
        } else {
            None
        };
        Ok(SessionKeys { cipher, auth, salt })
    }
}

impl SessionKeys {
    /// Session keys given directly (test vectors that publish session keys, e.g. RFC 7714).
    pub(crate) fn from_raw(
        profile: Profile,
        key: &[u8],
        salt: &[u8],
        auth_key: &[u8],
    ) -> Result<Self> {
        if key.len() != profile.key_len()
            || salt.len() != profile.salt_len()
            || auth_key.len() != profile.auth_key_len()
        {
            return Err(Error::InvalidKey);
        }
        let cipher = match profile.cipher() {
            CipherKind::Null => CipherState::Null,
            CipherKind::AesCm => CipherState::AesCm(AesCm::new_best(key, false)?),
            CipherKind::AesGcm => CipherState::Gcm(Gcm::new_best(key, false)?),
        };
        let mut s = [0u8; 14];
        s[..salt.len()].copy_from_slice(salt);
        let auth = (!auth_key.is_empty()).then(|| HmacSha1::new(auth_key));
        Ok(SessionKeys {
            cipher,
            auth,
            salt: s,
        })
    }
}

/// Everything derived from one master key, and its usage counters.
#[derive(Debug)]
pub(crate) struct KeySet {
    pub(crate) mki: [u8; MAX_MKI_LEN],
    pub(crate) rtp: SessionKeys,
    pub(crate) rtcp: SessionKeys,
    /// SRTP packets protected or accepted under this key (all streams).
    pub(crate) rtp_packets: u64,
    /// SRTCP packets protected or accepted under this key (all streams).
    pub(crate) rtcp_packets: u64,
}

impl KeySet {
    pub(crate) fn from_raw(
        profile: Profile,
        key: &[u8],
        salt: &[u8],
        auth_key: &[u8],
    ) -> Result<Self> {
        Ok(KeySet {
            mki: [0; MAX_MKI_LEN],
            rtp: SessionKeys::from_raw(profile, key, salt, auth_key)?,
            rtcp: SessionKeys::from_raw(profile, key, salt, auth_key)?,
            rtp_packets: 0,
            rtcp_packets: 0,
        })
    }

    pub(crate) fn new(profile: Profile, mk: &MasterKey, portable: bool) -> Result<Self> {
        // The kernel's key schedule is zeroized on drop; the portable one is only if the `aes`
        // crate's `zeroize` feature is on.
        let prf = AesCm::new_best(mk.key(), portable)?;
        let rtp = SessionKeys::derive(profile, &prf, mk.salt(), false, portable)?;
        let rtcp = SessionKeys::derive(profile, &prf, mk.salt(), true, portable)?;
        let mut mki = [0u8; MAX_MKI_LEN];
        mki[..mk.mki().len()].copy_from_slice(mk.mki());
        Ok(KeySet {
            mki,
            rtp,
            rtcp,
            rtp_packets: 0,
            rtcp_packets: 0,
        })
    }
}
