//! Zero-copy MIKEY message parser.
//!
//! [`Message::parse`] walks the whole payload chain once, validates every length and the
//! presence of the payloads the data type requires, and remembers where the singular payloads
//! are. Views borrow the input buffer; nothing is copied or allocated.

use super::payload::{
    data_type, kind, map_type, read_payload, CsMap, GenExt, Hdr, Identity, Kemac, Payload, Reader,
    Sakke, Sign, Sp, Timestamp, V,
};
use crate::{Error, Result};

/// Length of the fixed part of HDR (before the CS ID map).
const HDR_FIXED: usize = 10;

/// A parsed MIKEY message. `Debug` shows its length, header fields and which payloads it has,
/// never the octets (a NULL-encrypted KEMAC carries keys in clear).
#[derive(Clone, Copy)]
pub struct Message<'a> {
    bytes: &'a [u8],
    hdr: Hdr<'a>,
    first: u8,
    body: usize,
    t: Option<Timestamp>,
    rand: Option<&'a [u8]>,
    kemac: Option<Kemac<'a>>,
    sakke: Option<Sakke<'a>>,
    sign: Option<Sign<'a>>,
    v: Option<V<'a>>,
    err_count: usize,
}

impl core::fmt::Debug for Message<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Message")
            .field("len", &self.bytes.len())
            .field("data_type", &self.hdr.data_type)
            .field("prf", &self.hdr.prf)
            .field("csb_id", &self.hdr.csb_id)
            .field("cs_count", &self.hdr.cs_count)
            .field("t", &self.t)
            .field("rand_len", &self.rand.map(<[u8]>::len))
            .field("kemac", &self.kemac)
            .field("sakke", &self.sakke.is_some())
            .field("sign", &self.sign.is_some())
            .field("verification", &self.v.is_some())
            .finish()
    }
}

fn parse_hdr<'a>(r: &mut Reader<'a>) -> Result<(Hdr<'a>, u8)> {
    let version = r.u8()?;
    if version != 1 {
        return Err(Error::Parse);
    }
    let dt = r.u8()?;
    match dt {
        data_type::PSK_INIT | data_type::PSK_RESP | data_type::ERROR | data_type::SAKKE_INIT => {}
        _ => return Err(Error::Unsupported),
    }
    let next = r.u8()?;
    let vp = r.u8()?;
    let prf = vp & 0x7f;
    if prf > super::payload::prf::HMAC_SHA256 {
        return Err(Error::Unsupported);
    }
    let csb_id = r.u32()?;
    let cs_count = r.u8()?;
    let mt = r.u8()?;
    let map = match mt {
        map_type::SRTP_ID => CsMap::SrtpId(r.take(usize::from(cs_count) * 9)?),
        map_type::EMPTY => {
            if cs_count != 0 {
                return Err(Error::Parse);
            }
            CsMap::Empty
        }
        map_type::GENERIC_ID => {
            let start = r.pos();
            let mut probe = *r;
            for _ in 0..cs_count {
                super::payload::GenericId::read(&mut probe)?;
            }
            let len = probe.pos() - start;
            CsMap::GenericId(r.take(len)?)
        }
        _ => return Err(Error::Unsupported),
    };
    Ok((
        Hdr {
            data_type: dt,
            v: vp & 0x80 != 0,
            prf,
            csb_id,
            cs_count,
            map,
        },
        next,
    ))
}

impl<'a> Message<'a> {
    /// Parses and validates a complete message. The last payload must end exactly at the end
    /// of `bytes`; SIGN, when present, must be the last payload.
    ///
    /// Errors: [`Error::Parse`] for bad structure (overrunning lengths, trailing octets, missing
    /// mandatory or duplicated singular payloads, a Key data payload outside KEMAC),
    /// [`Error::Unsupported`] for unknown payload types, data types or algorithm numbers.
    pub fn parse(bytes: &'a [u8]) -> Result<Self> {
        let (m, used) = Self::parse_prefix(bytes)?;
        if used != bytes.len() {
            return Err(Error::Parse);
        }
        Ok(m)
    }

    /// Parses a complete message at the start of `bytes`, which may be followed by other
    /// octets; returns the message (whose [`Message::bytes`] are only its own octets) and
    /// its length.
    pub fn parse_prefix(bytes: &'a [u8]) -> Result<(Self, usize)> {
        let mut r = Reader::new(bytes);
        let (hdr, first) = parse_hdr(&mut r)?;
        debug_assert!(r.pos() >= HDR_FIXED);
        let body = r.pos();
        let mut m = Message {
            bytes,
            hdr,
            first,
            body,
            t: None,
            rand: None,
            kemac: None,
            sakke: None,
            sign: None,
            v: None,
            err_count: 0,
        };
        let mut next = first;
        while next != kind::LAST {
            if next == kind::KEY_DATA {
                return Err(Error::Parse);
            }
            let (p, n) = read_payload(next, &mut r)?;
            match p {
                Payload::T(t) => set_once(&mut m.t, t)?,
                Payload::Rand(x) => set_once(&mut m.rand, x)?,
                Payload::Kemac(k) => set_once(&mut m.kemac, k)?,
                Payload::Sakke(s) => set_once(&mut m.sakke, s)?,
                Payload::V(v) => set_once(&mut m.v, v)?,
                Payload::Sign(s) => m.sign = Some(s),
                Payload::Err(_) => m.err_count += 1,
                _ => {}
            }
            next = n;
        }
        let used = r.pos();
        m.bytes = bytes.get(..used).ok_or(Error::Parse)?;
        // Mandatory payloads per data type.
        let ok = match hdr.data_type {
            data_type::PSK_INIT => m.t.is_some() && m.rand.is_some() && m.kemac.is_some(),
            data_type::PSK_RESP => m.t.is_some() && m.v.is_some(),
            data_type::ERROR => m.t.is_some() && m.err_count > 0,
            data_type::SAKKE_INIT => {
                m.t.is_some() && m.rand.is_some() && m.sakke.is_some() && m.sign.is_some()
            }
            _ => false,
        };
        if !ok {
            return Err(Error::Parse);
        }
        Ok((m, used))
    }

    /// The whole message.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }
    /// The header.
    pub fn hdr(&self) -> &Hdr<'a> {
        &self.hdr
    }
    /// The timestamp payload.
    pub fn t(&self) -> Option<Timestamp> {
        self.t
    }
    /// The RAND value.
    pub fn rand(&self) -> Option<&'a [u8]> {
        self.rand
    }
    /// The KEMAC payload.
    pub fn kemac(&self) -> Option<Kemac<'a>> {
        self.kemac
    }
    /// The SAKKE payload.
    pub fn sakke(&self) -> Option<Sakke<'a>> {
        self.sakke
    }
    /// The SIGN payload.
    pub fn sign(&self) -> Option<Sign<'a>> {
        self.sign
    }
    /// The V payload.
    pub fn v(&self) -> Option<V<'a>> {
        self.v
    }
    /// The octets a KEMAC MAC covers (everything before the MAC field).
    pub fn mac_input(&self) -> Option<&'a [u8]> {
        self.kemac.and_then(|k| self.bytes.get(..k.mac_offset))
    }
    /// The octets the signature covers: every octet before the signature, including the SIGN
    /// payload's own type/length octets (RFC 6509).
    pub fn signed_part(&self) -> Option<&'a [u8]> {
        self.sign.and_then(|s| self.bytes.get(..s.offset + 2))
    }
    /// The octets some deployed systems sign: everything before the SIGN payload.
    pub fn signed_part_without_sign_header(&self) -> Option<&'a [u8]> {
        self.sign.and_then(|s| self.bytes.get(..s.offset))
    }
    /// All payloads after HDR, in order.
    pub fn payloads(&self) -> Payloads<'a> {
        Payloads {
            r: Reader::at(self.bytes, self.body),
            next: self.first,
        }
    }
    /// The first IDR payload with the given role.
    pub fn idr(&self, role: u8) -> Option<Identity<'a>> {
        self.payloads().find_map(|p| match p {
            Payload::Id(i) if i.role == Some(role) => Some(i),
            _ => None,
        })
    }
    /// Security policy payloads.
    pub fn sps(&self) -> impl Iterator<Item = Sp<'a>> + 'a {
        self.payloads().filter_map(|p| match p {
            Payload::Sp(s) => Some(s),
            _ => None,
        })
    }
    /// General extension payloads.
    pub fn gen_exts(&self) -> impl Iterator<Item = GenExt<'a>> + 'a {
        self.payloads().filter_map(|p| match p {
            Payload::GenExt(g) => Some(g),
            _ => None,
        })
    }
    /// Error numbers of the ERR payloads.
    pub fn errors(&self) -> impl Iterator<Item = u8> + 'a {
        self.payloads().filter_map(|p| match p {
            Payload::Err(e) => Some(e.err_no),
            _ => None,
        })
    }
}

fn set_once<T>(slot: &mut Option<T>, v: T) -> Result<()> {
    if slot.is_some() {
        return Err(Error::Parse);
    }
    *slot = Some(v);
    Ok(())
}

/// Iterator over the payloads of a validated message. `Debug` shows no octets.
#[derive(Clone)]
pub struct Payloads<'a> {
    r: Reader<'a>,
    next: u8,
}

impl core::fmt::Debug for Payloads<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Payloads")
            .field("next_kind", &self.next)
            .finish_non_exhaustive()
    }
}

impl<'a> Iterator for Payloads<'a> {
    type Item = Payload<'a>;
    fn next(&mut self) -> Option<Payload<'a>> {
        if self.next == kind::LAST {
            return None;
        }
        // The message was validated by `Message::parse`, so this cannot fail; stop if it does.
        match read_payload(self.next, &mut self.r) {
            Ok((p, n)) => {
                self.next = n;
                Some(p)
            }
            Err(_) => {
                self.next = kind::LAST;
                None
            }
        }
    }
}
