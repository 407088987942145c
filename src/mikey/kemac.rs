//! KEMAC protection: AES-CM-128 and NULL encryption of the Key data chain, AES-KW-128
//! (RFC 3394) unwrap on receive, and the HMAC-SHA-1-160 MAC.

use aes::cipher::{BlockDecrypt, KeyInit, KeyIvInit, StreamCipher};
use aes::Aes128;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

use super::payload::{encr_alg, mac_alg, Kemac};
use super::prf::TransportKeys;
use crate::{Error, Result};

type Aes128Ctr = ctr::Ctr128BE<Aes128>;

/// The AES-CM IV of RFC 3830 §4.2.3: (salt XOR (0x0000 ‖ CSB ID ‖ T)) ‖ 0x0000.
pub fn aes_cm_iv(salt: &[u8; 14], csb_id: u32, t: u64) -> [u8; 16] {
    let mut iv = [0u8; 16];
    iv[..14].copy_from_slice(salt);
    for (d, s) in iv[2..6].iter_mut().zip(csb_id.to_be_bytes()) {
        *d ^= s;
    }
    for (d, s) in iv[6..14].iter_mut().zip(t.to_be_bytes()) {
        *d ^= s;
    }
    iv
}

/// AES-CM-128 in place (encrypt and decrypt are the same operation).
pub fn aes_cm_128(key: &[u8; 16], salt: &[u8; 14], csb_id: u32, t: u64, data: &mut [u8]) {
    let iv = aes_cm_iv(salt, csb_id, t);
    let mut c = Aes128Ctr::new(key.into(), (&iv).into());
    c.apply_keystream(data);
}

/// HMAC-SHA-1-160.
pub fn hmac_sha1_160(key: &[u8], data: &[u8]) -> Result<[u8; 20]> {
    // HMAC accepts keys of every length; the error arm is not reachable.
    let mut m = <Hmac<Sha1> as Mac>::new_from_slice(key).map_err(|_| Error::InvalidParameter)?;
    m.update(data);
    Ok(m.finalize().into_bytes().into())
}

/// Checks a KEMAC MAC over `mac_input` in constant time. A NULL MAC is refused
/// ([`Error::AuthFailed`]) unless `allow_null`.
pub fn verify_mac(
    kemac: &Kemac<'_>,
    keys: &TransportKeys,
    mac_input: &[u8],
    allow_null: bool,
) -> Result<()> {
    match kemac.mac_alg {
        mac_alg::HMAC_SHA1_160 => {
            let m = hmac_sha1_160(&keys.auth, mac_input)?;
            if bool::from(m.ct_eq(kemac.mac)) {
                Ok(())
            } else {
                Err(Error::AuthFailed)
            }
        }
        mac_alg::NULL if allow_null => Ok(()),
        _ => Err(Error::AuthFailed),
    }
}

/// AES key unwrap (RFC 3394, default IV) with a 128-bit KEK. Wrong integrity check value
/// → [`Error::AuthFailed`]; bad length → [`Error::Parse`].
pub fn aes_kw_unwrap(kek: &[u8; 16], wrapped: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    if !wrapped.len().is_multiple_of(8) || wrapped.len() < 24 {
        return Err(Error::Parse);
    }
    let n = wrapped.len() / 8 - 1;
    let cipher = Aes128::new(kek.into());
    let mut a = [0u8; 8];
    a.copy_from_slice(&wrapped[..8]);
    let mut r = Zeroizing::new(wrapped[8..].to_vec());
    let mut block = [0u8; 16];
    for j in (0..6u64).rev() {
        for i in (1..=n).rev() {
            let t = (n as u64) * j + i as u64;
            let tb = t.to_be_bytes();
            for k in 0..8 {
                block[k] = a[k] ^ tb[k];
            }
            block[8..].copy_from_slice(&r[(i - 1) * 8..i * 8]);
            cipher.decrypt_block((&mut block).into());
            a.copy_from_slice(&block[..8]);
            r[(i - 1) * 8..i * 8].copy_from_slice(&block[8..]);
        }
    }
    block.zeroize();
    if bool::from(a.ct_eq(&[0xA6; 8])) {
        Ok(r)
    } else {
        Err(Error::AuthFailed)
    }
}

/// Decrypts a KEMAC's Key data chain with the transport keys. NULL → a copy; AES-CM-128 →
/// in place with the IV from CSB ID and T; AES-KW-128 → unwrap (trailing zero padding of
/// fewer than 8 octets is left for the chain parser to reject or accept).
pub fn decrypt(
    kemac: &Kemac<'_>,
    keys: &TransportKeys,
    csb_id: u32,
    t: u64,
) -> Result<Zeroizing<Vec<u8>>> {
    match kemac.encr_alg {
        encr_alg::NULL => Ok(Zeroizing::new(kemac.encr_data.to_vec())),
        encr_alg::AES_CM_128 => {
            let mut d = Zeroizing::new(kemac.encr_data.to_vec());
            aes_cm_128(&keys.encr, &keys.salt, csb_id, t, &mut d);
            Ok(d)
        }
        encr_alg::AES_KW_128 => aes_kw_unwrap(&keys.encr, kemac.encr_data),
        _ => Err(Error::Unsupported),
    }
}
