//! Payload type numbers, field constants and the typed views of single payloads.
//!
//! Every view borrows from the message buffer; nothing is copied.

use crate::{Error, Result};

/// Payload type numbers (RFC 3830 §6, RFC 6509).
pub mod kind {
    /// End of the payload chain.
    pub const LAST: u8 = 0;
    /// Key data transport (KEMAC).
    pub const KEMAC: u8 = 1;
    /// Signature.
    pub const SIGN: u8 = 4;
    /// Timestamp.
    pub const T: u8 = 5;
    /// Identity (RFC 3830).
    pub const ID: u8 = 6;
    /// Verification message.
    pub const V: u8 = 9;
    /// Security policy.
    pub const SP: u8 = 10;
    /// Random.
    pub const RAND: u8 = 11;
    /// Error.
    pub const ERR: u8 = 12;
    /// Identity with role (RFC 6043).
    pub const IDR: u8 = 14;
    /// Key data sub-payload (inside KEMAC only).
    pub const KEY_DATA: u8 = 20;
    /// General extension.
    pub const GEN_EXT: u8 = 21;
    /// SAKKE encapsulated data (RFC 6509).
    pub const SAKKE: u8 = 26;
}

/// MIKEY data types (HDR octet 1).
pub mod data_type {
    /// Pre-shared-key I_MESSAGE.
    pub const PSK_INIT: u8 = 0;
    /// Pre-shared-key verification message.
    pub const PSK_RESP: u8 = 1;
    /// Error message.
    pub const ERROR: u8 = 6;
    /// SAKKE I_MESSAGE (RFC 6509).
    pub const SAKKE_INIT: u8 = 26;
}

/// CS ID map types (HDR).
pub mod map_type {
    /// SRTP-ID: policy no ‖ SSRC ‖ ROC per crypto session.
    pub const SRTP_ID: u8 = 0;
    /// Empty map (#CS = 0).
    pub const EMPTY: u8 = 1;
    /// GENERIC-ID (RFC 6043 §6.1.1, used by TS 33.180).
    pub const GENERIC_ID: u8 = 2;
}

/// PRF numbers (HDR).
pub mod prf {
    /// MIKEY-1 (HMAC-SHA-1).
    pub const MIKEY_1: u8 = 0;
    /// PRF-HMAC-SHA-256 (RFC 6043).
    pub const HMAC_SHA256: u8 = 1;
}

/// Timestamp types.
pub mod ts_type {
    /// NTP-UTC, 64 bits.
    pub const NTP_UTC: u8 = 0;
    /// NTP, 64 bits.
    pub const NTP: u8 = 1;
    /// Counter, 32 bits.
    pub const COUNTER: u8 = 2;
}

/// IDR roles (RFC 6043, RFC 6509, TS 33.180).
pub mod role {
    /// Initiator.
    pub const INITIATOR: u8 = 1;
    /// Responder.
    pub const RESPONDER: u8 = 2;
    /// KMS.
    pub const KMS: u8 = 3;
    /// Pre-shared key identifier.
    pub const PSK: u8 = 4;
    /// Application.
    pub const APP: u8 = 5;
    /// Initiator's KMS.
    pub const INITIATOR_KMS: u8 = 6;
    /// Responder's KMS.
    pub const RESPONDER_KMS: u8 = 7;
    /// Initiator's UID (TS 33.180).
    pub const INITIATOR_UID: u8 = 8;
    /// Responder's UID (TS 33.180).
    pub const RESPONDER_UID: u8 = 9;
}

/// ID types of ID/IDR payloads.
pub mod id_type {
    /// Network access identifier.
    pub const NAI: u8 = 0;
    /// URI.
    pub const URI: u8 = 1;
    /// Octet string.
    pub const BYTES: u8 = 2;
}

/// KEMAC encryption algorithms.
pub mod encr_alg {
    /// No encryption.
    pub const NULL: u8 = 0;
    /// AES-CM with a 128-bit key.
    pub const AES_CM_128: u8 = 1;
    /// AES key wrap (RFC 3394) with a 128-bit key.
    pub const AES_KW_128: u8 = 2;
}

/// KEMAC / V MAC algorithms.
pub mod mac_alg {
    /// No MAC.
    pub const NULL: u8 = 0;
    /// HMAC-SHA-1, 160-bit output.
    pub const HMAC_SHA1_160: u8 = 1;
}

/// Key data types (4 bits).
pub mod key_type {
    /// TEK generation key.
    pub const TGK: u8 = 0;
    /// TGK with salt.
    pub const TGK_SALT: u8 = 1;
    /// Traffic-encrypting key.
    pub const TEK: u8 = 2;
    /// TEK with salt.
    pub const TEK_SALT: u8 = 3;
}

/// Key validity types (4 bits).
pub mod kv_type {
    /// No validity data.
    pub const NULL: u8 = 0;
    /// SPI / MKI.
    pub const SPI: u8 = 1;
    /// Validity interval.
    pub const INTERVAL: u8 = 2;
}

/// SRTP security-policy parameter types (RFC 3830 §6.10.1, RFC 7714 usage).
pub mod sp_param {
    /// Encryption algorithm (0 NULL, 1 AES-CM, 2 AES-F8, 6 AES-GCM).
    pub const ENCR_ALG: u8 = 0;
    /// Session encryption key length.
    pub const ENCR_KEY_LEN: u8 = 1;
    /// Authentication algorithm (0 NULL, 1 HMAC-SHA-1).
    pub const AUTH_ALG: u8 = 2;
    /// Session authentication key length.
    pub const AUTH_KEY_LEN: u8 = 3;
    /// Session salt key length.
    pub const SALT_LEN: u8 = 4;
    /// SRTP pseudo-random function.
    pub const SRTP_PRF: u8 = 5;
    /// Key derivation rate.
    pub const KDR: u8 = 6;
    /// SRTP encryption off/on.
    pub const SRTP_ENCR: u8 = 7;
    /// SRTCP encryption off/on.
    pub const SRTCP_ENCR: u8 = 8;
    /// Sender's FEC order.
    pub const FEC_ORDER: u8 = 9;
    /// SRTP authentication off/on.
    pub const SRTP_AUTH: u8 = 10;
    /// Authentication tag length.
    pub const AUTH_TAG_LEN: u8 = 11;
    /// SRTP prefix length.
    pub const PREFIX_LEN: u8 = 12;
    /// AEAD authentication tag length.
    pub const AEAD_TAG_LEN: u8 = 20;
}

/// MAC length in octets for a KEMAC / V MAC algorithm.
pub(crate) fn mac_len(alg: u8) -> Result<usize> {
    match alg {
        mac_alg::NULL => Ok(0),
        mac_alg::HMAC_SHA1_160 => Ok(20),
        _ => Err(Error::Unsupported),
    }
}

/// Bounds-checked big-endian reader over a borrowed buffer. Every read that would overrun
/// returns [`Error::Parse`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }
    pub(crate) fn at(buf: &'a [u8], pos: usize) -> Self {
        Reader { buf, pos }
    }
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }
    pub(crate) fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }
    pub(crate) fn is_empty(&self) -> bool {
        self.remaining() == 0
    }
    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n).ok_or(Error::Parse)?;
        let s = self.buf.get(self.pos..end).ok_or(Error::Parse)?;
        self.pos = end;
        Ok(s)
    }
    pub(crate) fn u8(&mut self) -> Result<u8> {
        let s = self.take(1)?;
        Ok(s[0])
    }
    pub(crate) fn u16(&mut self) -> Result<u16> {
        let s = self.take(2)?;
        Ok(u16::from_be_bytes([s[0], s[1]]))
    }
    pub(crate) fn u32(&mut self) -> Result<u32> {
        let s = self.take(4)?;
        Ok(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
    }
}

/// One SRTP-ID map entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SrtpId {
    /// Security policy number (refers to an SP payload).
    pub policy_no: u8,
    /// SSRC of the sender.
    pub ssrc: u32,
    /// Current rollover counter.
    pub roc: u32,
}

/// One GENERIC-ID map entry (RFC 6043 §6.1.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GenericId<'a> {
    /// Crypto session ID.
    pub cs_id: u8,
    /// Protocol type (0 = SRTP).
    pub prot_type: u8,
    /// The S flag (session data present is signalled by it in RFC 6043).
    pub s: bool,
    /// Security policy numbers.
    pub policies: &'a [u8],
    /// Session data.
    pub session_data: &'a [u8],
    /// SPI (TS 33.180: GMK-ID ‖ GUK-ID).
    pub spi: &'a [u8],
}

impl<'a> GenericId<'a> {
    pub(crate) fn read(r: &mut Reader<'a>) -> Result<Self> {
        let cs_id = r.u8()?;
        let prot_type = r.u8()?;
        let sp = r.u8()?;
        let policies = r.take(usize::from(sp & 0x7f))?;
        let sdl = usize::from(r.u16()?);
        let session_data = r.take(sdl)?;
        let spil = usize::from(r.u8()?);
        let spi = r.take(spil)?;
        Ok(GenericId {
            cs_id,
            prot_type,
            s: sp & 0x80 != 0,
            policies,
            session_data,
            spi,
        })
    }
}

/// The CS ID map of a HDR.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CsMap<'a> {
    /// SRTP-ID map: `#CS` entries of 9 octets (raw bytes, see [`CsMap::srtp_ids`]).
    SrtpId(&'a [u8]),
    /// Empty map.
    Empty,
    /// GENERIC-ID map (raw bytes, see [`CsMap::generic_ids`]).
    GenericId(&'a [u8]),
}

impl<'a> CsMap<'a> {
    /// The SRTP-ID entries (none for other map types).
    pub fn srtp_ids(&self) -> impl Iterator<Item = SrtpId> + 'a {
        let raw: &'a [u8] = match *self {
            CsMap::SrtpId(b) => b,
            _ => &[],
        };
        raw.chunks_exact(9).map(|c| SrtpId {
            policy_no: c[0],
            ssrc: u32::from_be_bytes([c[1], c[2], c[3], c[4]]),
            roc: u32::from_be_bytes([c[5], c[6], c[7], c[8]]),
        })
    }
    /// The GENERIC-ID entries (none for other map types).
    pub fn generic_ids(&self) -> impl Iterator<Item = GenericId<'a>> + 'a {
        let raw: &'a [u8] = match *self {
            CsMap::GenericId(b) => b,
            _ => &[],
        };
        let mut r = Reader::new(raw);
        core::iter::from_fn(move || {
            if r.is_empty() {
                None
            } else {
                GenericId::read(&mut r).ok()
            }
        })
    }
    /// The map type number.
    pub fn map_type(&self) -> u8 {
        match self {
            CsMap::SrtpId(_) => map_type::SRTP_ID,
            CsMap::Empty => map_type::EMPTY,
            CsMap::GenericId(_) => map_type::GENERIC_ID,
        }
    }
    /// The raw map octets.
    pub fn raw(&self) -> &'a [u8] {
        match *self {
            CsMap::SrtpId(b) | CsMap::GenericId(b) => b,
            CsMap::Empty => &[],
        }
    }
}

/// The common header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hdr<'a> {
    /// Data type (see [`data_type`]).
    pub data_type: u8,
    /// V flag (a response is expected).
    pub v: bool,
    /// PRF function (see [`prf`]).
    pub prf: u8,
    /// Crypto session bundle ID.
    pub csb_id: u32,
    /// Number of crypto sessions.
    pub cs_count: u8,
    /// The CS ID map.
    pub map: CsMap<'a>,
}

/// Timestamp payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timestamp {
    /// Timestamp type (see [`ts_type`]).
    pub ts_type: u8,
    /// Value (64-bit NTP, or a 32-bit counter).
    pub value: u64,
}

impl Timestamp {
    /// An NTP-UTC timestamp.
    pub fn ntp_utc(value: u64) -> Self {
        Timestamp {
            ts_type: ts_type::NTP_UTC,
            value,
        }
    }
    /// Whole NTP seconds (for NTP types) or the counter.
    pub fn seconds(&self) -> u64 {
        match self.ts_type {
            ts_type::COUNTER => self.value,
            _ => self.value >> 32,
        }
    }

    /// Whole NTP seconds, era-extended to the value nearest `now_ntp_secs` (see
    /// [`super::ntp_era_extend`]), or the counter. Use this, not [`Timestamp::seconds`], to
    /// compare with a clock or to derive an identifier's key period.
    pub fn seconds_near(&self, now_ntp_secs: u64) -> u64 {
        match self.ts_type {
            ts_type::COUNTER => self.value,
            _ => super::crypto::ntp_era_extend((self.value >> 32) as u32, now_ntp_secs),
        }
    }
    pub(crate) fn value_len(ts_type: u8) -> Result<usize> {
        match ts_type {
            ts_type::NTP_UTC | ts_type::NTP => Ok(8),
            ts_type::COUNTER => Ok(4),
            _ => Err(Error::Unsupported),
        }
    }
}

/// ID payload (RFC 3830 §6.7) or IDR payload (RFC 6043 §6.6; `role` is `None` for ID).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Identity<'a> {
    /// Role (IDR only).
    pub role: Option<u8>,
    /// ID type (see [`id_type`]).
    pub id_type: u8,
    /// The identifier octets.
    pub data: &'a [u8],
}

/// Security policy payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sp<'a> {
    /// Policy number.
    pub policy_no: u8,
    /// Protocol type (0 = SRTP).
    pub prot_type: u8,
    /// Raw parameter TLVs (validated).
    pub params: &'a [u8],
}

impl<'a> Sp<'a> {
    /// Parameter (type, value) pairs.
    pub fn params(&self) -> impl Iterator<Item = (u8, &'a [u8])> + 'a {
        let mut r = Reader::new(self.params);
        core::iter::from_fn(move || {
            if r.is_empty() {
                return None;
            }
            let t = r.u8().ok()?;
            let l = r.u8().ok()?;
            let v = r.take(usize::from(l)).ok()?;
            Some((t, v))
        })
    }
    /// The first value of a parameter, as an integer (values of 1 to 4 octets).
    pub fn get(&self, param: u8) -> Option<u32> {
        self.params().find(|(t, _)| *t == param).and_then(|(_, v)| {
            if v.is_empty() || v.len() > 4 {
                None
            } else {
                Some(v.iter().fold(0u32, |a, &b| (a << 8) | u32::from(b)))
            }
        })
    }
    pub(crate) fn validate_params(params: &[u8]) -> Result<()> {
        let mut r = Reader::new(params);
        while !r.is_empty() {
            let _t = r.u8()?;
            let l = r.u8()?;
            r.take(usize::from(l))?;
        }
        Ok(())
    }
}

/// KEMAC payload. `Debug` shows lengths only (a NULL-encrypted KEMAC carries keys in clear).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Kemac<'a> {
    /// Encryption algorithm (see [`encr_alg`]).
    pub encr_alg: u8,
    /// The encrypted Key data chain.
    pub encr_data: &'a [u8],
    /// MAC algorithm (see [`mac_alg`]).
    pub mac_alg: u8,
    /// MAC value.
    pub mac: &'a [u8],
    /// Offset of the MAC field within the message (the MAC covers every octet before it).
    pub mac_offset: usize,
}

impl core::fmt::Debug for Kemac<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Kemac")
            .field("encr_alg", &self.encr_alg)
            .field("encr_data_len", &self.encr_data.len())
            .field("mac_alg", &self.mac_alg)
            .field("mac_offset", &self.mac_offset)
            .finish_non_exhaustive()
    }
}

/// SAKKE payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sakke<'a> {
    /// SAKKE parameter set (1 = RFC 6509 set 1).
    pub params: u8,
    /// ID scheme (1 = tel URI with monthly keys, 2 = hashed UID).
    pub id_scheme: u8,
    /// Encapsulated data (R ‖ H).
    pub sed: &'a [u8],
}

/// General extension payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GenExt<'a> {
    /// Extension type.
    pub ext_type: u8,
    /// Extension data.
    pub data: &'a [u8],
}

/// Signature payload (always last).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sign<'a> {
    /// Signature type (2 = ECCSI).
    pub sig_type: u8,
    /// Signature octets.
    pub signature: &'a [u8],
    /// Offset of the SIGN payload (its 2-octet type/length) within the message.
    pub offset: usize,
}

/// Signature types.
pub mod sig_type {
    /// RSA PKCS#1 v1.5.
    pub const RSA_PKCS1: u8 = 0;
    /// RSA PSS.
    pub const RSA_PSS: u8 = 1;
    /// ECCSI (RFC 6509).
    pub const ECCSI: u8 = 2;
}

/// Verification payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct V<'a> {
    /// MAC algorithm.
    pub mac_alg: u8,
    /// MAC value.
    pub mac: &'a [u8],
}

/// Error payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ErrPayload {
    /// Error number (RFC 3830 §6.12).
    pub err_no: u8,
    /// Reserved octets.
    pub reserved: u16,
}

/// Key data sub-payload (inside a decrypted KEMAC).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct KeyData<'a> {
    /// Key type (see [`key_type`]).
    pub key_type: u8,
    /// Key validity type (see [`kv_type`]).
    pub kv: u8,
    /// Key octets.
    pub key: &'a [u8],
    /// Salt octets (TGK+SALT / TEK+SALT).
    pub salt: Option<&'a [u8]>,
    /// SPI/MKI (KV = SPI).
    pub spi: Option<&'a [u8]>,
    /// Validity interval (from, to) (KV = interval).
    pub interval: Option<(&'a [u8], &'a [u8])>,
}

impl core::fmt::Debug for KeyData<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("KeyData")
            .field("key_type", &self.key_type)
            .field("kv", &self.kv)
            .field("key", &"<redacted>")
            .field("salt", &self.salt.map(|_| "<redacted>"))
            .field("spi", &self.spi)
            .field("interval", &self.interval)
            .finish()
    }
}

impl<'a> KeyData<'a> {
    /// Parses one Key data sub-payload; returns it and its next-payload octet.
    pub(crate) fn read(r: &mut Reader<'a>) -> Result<(Self, u8)> {
        let next = r.u8()?;
        let tk = r.u8()?;
        let key_type = tk >> 4;
        let kv = tk & 0x0f;
        if key_type > key_type::TEK_SALT {
            return Err(Error::Unsupported);
        }
        let kl = usize::from(r.u16()?);
        let key = r.take(kl)?;
        let salt = if key_type == key_type::TGK_SALT || key_type == key_type::TEK_SALT {
            let sl = usize::from(r.u16()?);
            Some(r.take(sl)?)
        } else {
            None
        };
        let (spi, interval) = match kv {
            kv_type::NULL => (None, None),
            kv_type::SPI => {
                let l = usize::from(r.u8()?);
                (Some(r.take(l)?), None)
            }
            kv_type::INTERVAL => {
                let l = usize::from(r.u8()?);
                let from = r.take(l)?;
                let l = usize::from(r.u8()?);
                let to = r.take(l)?;
                (None, Some((from, to)))
            }
            _ => return Err(Error::Unsupported),
        };
        Ok((
            KeyData {
                key_type,
                kv,
                key,
                salt,
                spi,
                interval,
            },
            next,
        ))
    }

    /// Parses a whole Key data chain (a decrypted KEMAC) and calls `f` on each entry.
    /// The chain must end exactly at the end of `buf`.
    pub fn parse_chain(buf: &'a [u8], f: impl FnMut(KeyData<'a>) -> Result<()>) -> Result<()> {
        Self::parse_chain_padded(buf, 0, f)
    }

    /// As [`KeyData::parse_chain`], but up to `max_pad` zero octets may follow the chain
    /// (AES-KW-128 pads the chain to a multiple of 8 octets).
    pub fn parse_chain_padded(
        buf: &'a [u8],
        max_pad: usize,
        mut f: impl FnMut(KeyData<'a>) -> Result<()>,
    ) -> Result<()> {
        let mut r = Reader::new(buf);
        loop {
            let (kd, next) = KeyData::read(&mut r)?;
            f(kd)?;
            match next {
                kind::LAST => break,
                kind::KEY_DATA => {}
                _ => return Err(Error::Parse),
            }
        }
        let pad = r.take(r.remaining())?;
        if pad.len() > max_pad || pad.iter().any(|&b| b != 0) {
            return Err(Error::Parse);
        }
        Ok(())
    }
}

/// One payload of a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Payload<'a> {
    /// Timestamp.
    T(Timestamp),
    /// Random value.
    Rand(&'a [u8]),
    /// ID (RFC 3830) or IDR (RFC 6043).
    Id(Identity<'a>),
    /// Security policy.
    Sp(Sp<'a>),
    /// KEMAC.
    Kemac(Kemac<'a>),
    /// SAKKE.
    Sakke(Sakke<'a>),
    /// General extension.
    GenExt(GenExt<'a>),
    /// Verification.
    V(V<'a>),
    /// Error.
    Err(ErrPayload),
    /// Signature (always last).
    Sign(Sign<'a>),
}

impl Payload<'_> {
    /// The payload type number.
    pub fn kind(&self) -> u8 {
        match self {
            Payload::T(_) => kind::T,
            Payload::Rand(_) => kind::RAND,
            Payload::Id(i) => {
                if i.role.is_some() {
                    kind::IDR
                } else {
                    kind::ID
                }
            }
            Payload::Sp(_) => kind::SP,
            Payload::Kemac(_) => kind::KEMAC,
            Payload::Sakke(_) => kind::SAKKE,
            Payload::GenExt(_) => kind::GEN_EXT,
            Payload::V(_) => kind::V,
            Payload::Err(_) => kind::ERR,
            Payload::Sign(_) => kind::SIGN,
        }
    }
}

/// Reads one payload of type `k` starting at `r` (positioned on its next-payload octet, or
/// on the SIGN type octet). Returns the payload and the next payload type (0 after SIGN).
pub(crate) fn read_payload<'a>(k: u8, r: &mut Reader<'a>) -> Result<(Payload<'a>, u8)> {
    if k == kind::SIGN {
        let offset = r.pos();
        let tl = r.u16()?;
        let sig_type = (tl >> 12) as u8;
        let sig = r.take(usize::from(tl & 0x0fff))?;
        return Ok((
            Payload::Sign(Sign {
                sig_type,
                signature: sig,
                offset,
            }),
            kind::LAST,
        ));
    }
    let next = r.u8()?;
    let p = match k {
        kind::T => {
            let t = r.u8()?;
            let n = Timestamp::value_len(t)?;
            let v = r.take(n)?;
            let value = v.iter().fold(0u64, |a, &b| (a << 8) | u64::from(b));
            Payload::T(Timestamp { ts_type: t, value })
        }
        kind::RAND => {
            let l = usize::from(r.u8()?);
            if l < 16 {
                // RFC 3830 §6.11: at least 128 bits.
                return Err(Error::Parse);
            }
            Payload::Rand(r.take(l)?)
        }
        kind::ID | kind::IDR => {
            let role = if k == kind::IDR {
                let role = r.u8()?;
                if !(role::INITIATOR..=role::RESPONDER_UID).contains(&role) {
                    return Err(Error::Unsupported);
                }
                Some(role)
            } else {
                None
            };
            let id_type = r.u8()?;
            if id_type > id_type::BYTES {
                return Err(Error::Unsupported);
            }
            let l = usize::from(r.u16()?);
            Payload::Id(Identity {
                role,
                id_type,
                data: r.take(l)?,
            })
        }
        kind::SP => {
            let policy_no = r.u8()?;
            let prot_type = r.u8()?;
            let l = usize::from(r.u16()?);
            let params = r.take(l)?;
            Sp::validate_params(params)?;
            Payload::Sp(Sp {
                policy_no,
                prot_type,
                params,
            })
        }
        kind::KEMAC => {
            let encr_alg = r.u8()?;
            if encr_alg > encr_alg::AES_KW_128 {
                return Err(Error::Unsupported);
            }
            let l = usize::from(r.u16()?);
            let encr_data = r.take(l)?;
            let mac_alg = r.u8()?;
            let ml = mac_len(mac_alg)?;
            let mac_offset = r.pos();
            let mac = r.take(ml)?;
            Payload::Kemac(Kemac {
                encr_alg,
                encr_data,
                mac_alg,
                mac,
                mac_offset,
            })
        }
        kind::SAKKE => {
            let params = r.u8()?;
            let id_scheme = r.u8()?;
            let l = usize::from(r.u16()?);
            Payload::Sakke(Sakke {
                params,
                id_scheme,
                sed: r.take(l)?,
            })
        }
        kind::GEN_EXT => {
            let ext_type = r.u8()?;
            let l = usize::from(r.u16()?);
            Payload::GenExt(GenExt {
                ext_type,
                data: r.take(l)?,
            })
        }
        kind::V => {
            let mac_alg = r.u8()?;
            let ml = mac_len(mac_alg)?;
            Payload::V(V {
                mac_alg,
                mac: r.take(ml)?,
            })
        }
        kind::ERR => {
            let err_no = r.u8()?;
            let reserved = r.u16()?;
            Payload::Err(ErrPayload { err_no, reserved })
        }
        _ => return Err(Error::Unsupported),
    };
    Ok((p, next))
}
