//! MIKEY key derivation (RFC 3830 §4.1, RFC 6043 §6.1): the PRF with HMAC-SHA-1 (MIKEY-1)
//! or HMAC-SHA-256 (PRF-HMAC-SHA-256), TEK/salt from a TGK and transport keys from a
//! pre-shared key.

use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop};

use super::payload::prf as prf_id;
use crate::{Error, Result};

/// Label constant for a TEK derived from a TGK.
pub const LABEL_TEK: u32 = 0x2AD0_1C64;
/// Label constant for a salt derived from a TGK.
pub const LABEL_SALT: u32 = 0x39A2_C14B;
/// Label constant for the KEMAC encryption key derived from a pre-shared key.
pub const LABEL_ENCR: u32 = 0x1505_33E1;
/// Label constant for the KEMAC authentication key derived from a pre-shared key.
pub const LABEL_AUTH: u32 = 0x2D22_AC75;
/// Label constant for the KEMAC salt derived from a pre-shared key.
pub const LABEL_TSALT: u32 = 0x29B8_8916;

/// Length of one inkey chunk (256 bits) for both PRFs.
const CHUNK: usize = 32;

/// Largest output a caller may ask for (far above any MIKEY key).
const MAX_OUT: usize = 1024;

/// P(s, label, m) for one chunk, XORed into `out`, for each (label, out) job; the keyed
/// HMAC state is set up once per chunk and shared by the jobs.
fn p_xor<M: Mac + hmac::digest::KeyInit + Clone>(s: &[u8], jobs: &mut [(&[u8], &mut [u8])]) {
    // HMAC accepts keys of any length.
    let Ok(base) = <M as hmac::digest::KeyInit>::new_from_slice(s) else {
        return;
    };
    for (label, out) in jobs.iter_mut() {
        let mut a = {
            let mut h = base.clone();
            h.update(label);
            h.finalize().into_bytes()
        };
        let hl = a.len();
        let nblocks = out.len().div_ceil(hl);
        for (i, block) in out.chunks_mut(hl).enumerate() {
            let mut h = base.clone();
            h.update(&a);
            h.update(label);
            let mut o = h.finalize().into_bytes();
            for (d, x) in block.iter_mut().zip(o.iter()) {
                *d ^= *x;
            }
            o.zeroize();
            if i + 1 < nblocks {
                let mut h = base.clone();
                h.update(&a);
                let mut next = h.finalize().into_bytes();
                a.copy_from_slice(&next);
                next.zeroize();
            }
        }
        a.zeroize();
    }
}

/// The MIKEY PRF: splits `inkey` into 256-bit chunks (the last one possibly shorter, never
/// empty unless `inkey` is), XORs P(chunk, label, m) over the chunks and truncates to
/// `out.len()`. `prf` is the HDR PRF number (0 MIKEY-1, 1 PRF-HMAC-SHA-256).
pub fn prf(prf: u8, inkey: &[u8], label: &[u8], out: &mut [u8]) -> Result<()> {
    prf_many(prf, inkey, &mut [(label, out)])
}

/// The PRF for several (label, output) pairs under one inkey.
fn prf_many(prf: u8, inkey: &[u8], jobs: &mut [(&[u8], &mut [u8])]) -> Result<()> {
    if prf > prf_id::HMAC_SHA256 {
        return Err(Error::Unsupported);
    }
    for (_, out) in jobs.iter_mut() {
        if out.len() > MAX_OUT {
            return Err(Error::InvalidParameter);
        }
        out.fill(0);
    }
    // n = ceil(len / 256 bits): a key of exactly 32 octets is ONE chunk, not one plus an
    // empty one. An empty inkey is one empty chunk.
    let n = inkey.len().div_ceil(CHUNK).max(1);
    for j in 0..n {
        let s = inkey
            .get(j * CHUNK..((j + 1) * CHUNK).min(inkey.len()))
            .unwrap_or(&[]);
        if prf == prf_id::MIKEY_1 {
            p_xor::<Hmac<Sha1>>(s, jobs);
        } else {
            p_xor::<Hmac<Sha256>>(s, jobs);
        }
    }
    Ok(())
}

fn label(constant: u32, cs_id: u8, csb_id: u32, rand: &[u8]) -> Vec<u8> {
    let mut l = Vec::with_capacity(9 + rand.len());
    l.extend_from_slice(&constant.to_be_bytes());
    l.push(cs_id);
    l.extend_from_slice(&csb_id.to_be_bytes());
    l.extend_from_slice(rand);
    l
}

/// TEK for crypto session `cs_id` from a TGK (RFC 3830 §4.1.3).
pub fn derive_tek(
    prf_no: u8,
    tgk: &[u8],
    cs_id: u8,
    csb_id: u32,
    rand: &[u8],
    out: &mut [u8],
) -> Result<()> {
    prf(prf_no, tgk, &label(LABEL_TEK, cs_id, csb_id, rand), out)
}

/// Salt for crypto session `cs_id` from a TGK (RFC 3830 §4.1.3).
pub fn derive_salt(
    prf_no: u8,
    tgk: &[u8],
    cs_id: u8,
    csb_id: u32,
    rand: &[u8],
    out: &mut [u8],
) -> Result<()> {
    prf(prf_no, tgk, &label(LABEL_SALT, cs_id, csb_id, rand), out)
}

/// KEMAC transport keys derived from a pre-shared key (RFC 3830 §4.1.4).
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct TransportKeys {
    /// AES-CM-128 / AES-KW-128 key.
    pub encr: [u8; 16],
    /// HMAC-SHA-1-160 key.
    pub auth: [u8; 20],
    /// AES-CM salt.
    pub salt: [u8; 14],
}

impl core::fmt::Debug for TransportKeys {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("TransportKeys { <redacted> }")
    }
}

impl TransportKeys {
    /// Derives the three transport keys: label = const ‖ 0xFF ‖ CSB ID ‖ RAND.
    pub fn derive(prf_no: u8, psk: &[u8], csb_id: u32, rand: &[u8]) -> Result<Self> {
        let mut k = TransportKeys {
            encr: [0; 16],
            auth: [0; 20],
            salt: [0; 14],
        };
        prf(
            prf_no,
            psk,
            &label(LABEL_ENCR, 0xff, csb_id, rand),
            &mut k.encr,
        )?;
        prf(
            prf_no,
            psk,
            &label(LABEL_AUTH, 0xff, csb_id, rand),
            &mut k.auth,
        )?;
        prf(
            prf_no,
            psk,
            &label(LABEL_TSALT, 0xff, csb_id, rand),
            &mut k.salt,
        )?;
        Ok(k)
    }
}
