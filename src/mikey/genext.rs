//! The key-parameters general extension (GEN EXT type 7, TS 33.180 E.6): an MCData-style
//! protected payload carrying the key type, status, activation and expiry times, text and
//! (for a GMK) group ids, AES-128-GCM encrypted under the DPCK derived from the SSV.
//!
//! Accepted variants:
//! - **protected** (current TS 33.180, vendor Tests 1–3): message type ‖ date-time(5) ‖
//!   payload id(4) ‖ sequence(1) ‖ algorithm(1) ‖ IV(16) ‖ DPPK-ID(4) ‖ payload type(1) ‖
//!   length(2) ‖ GCM ciphertext ‖ tag(16); associated data = the 32 octets before the payload
//!   type; DPPK-ID must equal the CSB ID;
//! - **legacy plain** (a deployed IWF format): exactly the 17 octets of key parameters with
//!   no text and no group ids, unencrypted and so protected only by the message signature.

use aes_gcm::aead::consts::U16;
use aes_gcm::aead::{AeadInPlace, KeyInit};
use aes_gcm::aes::Aes128;
use aes_gcm::AesGcm;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::{Zeroize, Zeroizing};

use super::payload::Reader;
use crate::{Error, Result};

/// GEN EXT type of the key parameters.
pub const GEN_EXT_KEY_PARAMS: u8 = 7;
/// Length of the legacy plain key parameters.
pub const LEGACY_PLAIN_LEN: usize = 17;
/// Length of the protected-payload header before the payload type (the GCM AD).
const AD_LEN: usize = 32;
/// Algorithm number of AES-128-GCM in the protected payload.
pub const ALG_AES_128_GCM: u8 = 1;

type Gcm16 = AesGcm<Aes128, U16>;

/// Key types of the key parameters (TS 33.180 E.6).
pub mod key_kind {
    /// Group master key.
    pub const GMK: u8 = 0;
}

/// Decoded key parameters.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KeyParams {
    /// Key type.
    pub key_type: u8,
    /// Status word, as carried (the vendor's valid keys carry 1; the processor does not
    /// interpret it, the key store does).
    pub status: u32,
    /// Activation time (40-bit NTP seconds; 0 = immediately).
    pub activation: u64,
    /// Expiry time (40-bit NTP seconds; 0 = no expiry given).
    pub expiry: u64,
    /// Free text.
    pub text: Vec<u8>,
    /// The raw group-ids field after the text (GMK only): 2-octet length ‖ contents.
    pub group_ids: Option<Vec<u8>>,
}

/// Header fields of the protected payload (not secret).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProtectedHeader {
    /// Message type octet.
    pub msg_type: u8,
    /// Date-time (5 octets).
    pub date_time: [u8; 5],
    /// Payload id.
    pub payload_id: u32,
    /// Sequence number.
    pub sequence: u8,
    /// Algorithm (1 = AES-128-GCM).
    pub algorithm: u8,
    /// GCM IV.
    pub iv: [u8; 16],
    /// DPPK-ID (= CSB ID).
    pub dppk_id: u32,
    /// Payload type octet.
    pub payload_type: u8,
}

fn be40(b: &[u8]) -> u64 {
    b.iter().fold(0u64, |a, &x| (a << 8) | u64::from(x))
}

impl KeyParams {
    /// Encodes key type ‖ status ‖ activation(5) ‖ expiry(5) ‖ text len(2) ‖ text ‖ group ids.
    pub fn encode(&self) -> Result<Vec<u8>> {
        if self.activation >> 40 != 0 || self.expiry >> 40 != 0 {
            return Err(Error::InvalidParameter);
        }
        let tl = u16::try_from(self.text.len()).map_err(|_| Error::InvalidParameter)?;
        let mut v = Vec::with_capacity(17 + self.text.len());
        v.push(self.key_type);
        v.extend_from_slice(&self.status.to_be_bytes());
        v.extend_from_slice(&self.activation.to_be_bytes()[3..]);
        v.extend_from_slice(&self.expiry.to_be_bytes()[3..]);
        v.extend_from_slice(&tl.to_be_bytes());
        v.extend_from_slice(&self.text);
        if let Some(g) = &self.group_ids {
            v.extend_from_slice(g);
        }
        Ok(v)
    }

    /// Decodes the key parameters; octets after the text are the group-ids field.
    pub fn decode(b: &[u8]) -> Result<Self> {
        let mut r = Reader::new(b);
        let key_type = r.u8()?;
        let status = r.u32()?;
        let activation = be40(r.take(5)?);
        let expiry = be40(r.take(5)?);
        let tl = usize::from(r.u16()?);
        let text = r.take(tl)?.to_vec();
        let rest = r.take(r.remaining())?;
        // Group-ids field (GMK only): 2-octet length ‖ that many octets (the vendor's GMK
        // has length 1 holding a zero id count). Kept raw, but it must fill the rest exactly.
        let group_ids = if rest.is_empty() {
            None
        } else {
            let mut g = Reader::new(rest);
            let gl = usize::from(g.u16()?);
            g.take(gl)?;
            if !g.is_empty() {
                return Err(Error::Parse);
            }
            Some(rest.to_vec())
        };
        Ok(KeyParams {
            key_type,
            status,
            activation,
            expiry,
            text,
            group_ids,
        })
    }
}

/// DPCK = the 16 least significant octets of HMAC-SHA-256(SSV, 0x53 ‖ DPPK-ID ‖ 0x0004).
pub fn dpck(ssv: &[u8], dppk_id: u32) -> Result<Zeroizing<[u8; 16]>> {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(ssv).map_err(|_| Error::InvalidParameter)?;
    m.update(&[0x53]);
    m.update(&dppk_id.to_be_bytes());
    m.update(&[0x00, 0x04]);
    let mut out = m.finalize().into_bytes();
    let mut k = Zeroizing::new([0u8; 16]);
    k.copy_from_slice(&out[16..]);
    out.zeroize();
    Ok(k)
}

/// Encrypts key parameters into a protected GEN EXT type 7 body.
pub fn protect(h: &ProtectedHeader, params: &KeyParams, ssv: &[u8]) -> Result<Vec<u8>> {
    if h.algorithm != ALG_AES_128_GCM {
        return Err(Error::Unsupported);
    }
    let mut plain = Zeroizing::new(params.encode()?);
    let ct_len = u16::try_from(plain.len() + 16).map_err(|_| Error::InvalidParameter)?;
    let mut out = Vec::with_capacity(AD_LEN + 3 + plain.len() + 16);
    out.push(h.msg_type);
    out.extend_from_slice(&h.date_time);
    out.extend_from_slice(&h.payload_id.to_be_bytes());
    out.push(h.sequence);
    out.push(h.algorithm);
    out.extend_from_slice(&h.iv);
    out.extend_from_slice(&h.dppk_id.to_be_bytes());
    let key = dpck(ssv, h.dppk_id)?;
    let gcm = Gcm16::new((&*key).into());
    let tag = gcm
        .encrypt_in_place_detached((&h.iv).into(), &out[..AD_LEN], &mut plain)
        .map_err(|_| Error::InvalidParameter)?;
    out.push(h.payload_type);
    out.extend_from_slice(&ct_len.to_be_bytes());
    out.extend_from_slice(&plain);
    out.extend_from_slice(&tag);
    Ok(out)
}

/// Parses the protected-payload header of a GEN EXT type 7 body; returns it and the
/// ciphertext ‖ tag.
pub fn parse_protected(data: &[u8]) -> Result<(ProtectedHeader, &[u8])> {
    let mut r = Reader::new(data);
    let msg_type = r.u8()?;
    let mut date_time = [0u8; 5];
    date_time.copy_from_slice(r.take(5)?);
    let payload_id = r.u32()?;
    let sequence = r.u8()?;
    let algorithm = r.u8()?;
    let mut iv = [0u8; 16];
    iv.copy_from_slice(r.take(16)?);
    let dppk_id = r.u32()?;
    let payload_type = r.u8()?;
    let l = usize::from(r.u16()?);
    let ct = r.take(l)?;
    if !r.is_empty() || l < 16 {
        return Err(Error::Parse);
    }
    Ok((
        ProtectedHeader {
            msg_type,
            date_time,
            payload_id,
            sequence,
            algorithm,
            iv,
            dppk_id,
            payload_type,
        },
        ct,
    ))
}

/// Opens a GEN EXT type 7 body: the protected form (DPPK-ID must equal `csb_id`, GCM tag
/// verified → otherwise [`Error::AuthFailed`]) or the 17-octet legacy plain form.
pub fn open(data: &[u8], ssv: &[u8], csb_id: u32) -> Result<KeyParams> {
    if data.len() == LEGACY_PLAIN_LEN {
        return KeyParams::decode(data);
    }
    let (h, ct) = parse_protected(data)?;
    if h.algorithm != ALG_AES_128_GCM {
        return Err(Error::Unsupported);
    }
    if h.dppk_id != csb_id {
        return Err(Error::InvalidParameter);
    }
    let key = dpck(ssv, h.dppk_id)?;
    let gcm = Gcm16::new((&*key).into());
    let split = ct.len() - 16;
    let mut plain = Zeroizing::new(ct[..split].to_vec());
    gcm.decrypt_in_place_detached(
        (&h.iv).into(),
        &data[..AD_LEN],
        &mut plain,
        ct[split..].into(),
    )
    .map_err(|_| Error::AuthFailed)?;
    KeyParams::decode(&plain)
}
