//! The SRTP key-derivation function (RFC 3711 §4.3, AES-CM PRF; RFC 6188 §3 for AES-256;
//! RFC 7714 §11 for GCM), with key-derivation rate 0: every session key is derived once, at
//! index 0.

use zeroize::Zeroize;

use super::aes_cm::AesCm;
use crate::Result;

/// Key-derivation labels (RFC 3711 §4.3.1 and §4.3.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Label {
    /// SRTP encryption key.
    RtpEncryption = 0x00,
    /// SRTP authentication key.
    RtpAuth = 0x01,
    /// SRTP salting key.
    RtpSalt = 0x02,
    /// SRTCP encryption key.
    RtcpEncryption = 0x03,
    /// SRTCP authentication key.
    RtcpAuth = 0x04,
    /// SRTCP salting key.
    RtcpSalt = 0x05,
}

/// Derives `out.len()` octets of session keying material for `label` from a master key
/// (16 or 32 octets) and master salt (14 octets; a 12-octet GCM salt is zero-padded on the right,
/// as RFC 7714 §11 and libsrtp do), with key-derivation rate 0 (r = 0):
/// `x = (label || 0^48) XOR master_salt`, output = AES-CM keystream at `IV = x * 2^16`.
pub fn derive(master_key: &[u8], master_salt: &[u8], label: Label, out: &mut [u8]) -> Result<()> {
    let prf = AesCm::new(master_key)?;
    derive_with(&prf, master_salt, label, out);
    Ok(())
}

pub(crate) fn derive_with(prf: &AesCm, master_salt: &[u8], label: Label, out: &mut [u8]) {
    let mut iv = [0u8; 16];
    for (d, s) in iv.iter_mut().zip(master_salt.iter().take(14)) {
        *d = *s;
    }
    iv[7] ^= label as u8;
    out.fill(0);
    prf.apply_keystream(&iv, out);
    iv.zeroize();
}
