//! MIKEY message builder: writes HDR and then payloads in call order, chaining the
//! next-payload octets; KEMAC MACs and signatures are computed over the octets written so far.

use super::message::Message;
use super::payload::{
    data_type, kind, mac_alg, mac_len, map_type, GenericId, Hdr, Payload, SrtpId, Timestamp,
};
use crate::{Error, Result};
use hmac::{Hmac, Mac};
use sha1::Sha1;

/// CS ID map to write into HDR.
#[derive(Clone, Copy, Debug)]
pub enum MapSpec<'b> {
    /// SRTP-ID map.
    SrtpId(&'b [SrtpId]),
    /// Empty map.
    Empty,
    /// GENERIC-ID map.
    GenericId(&'b [GenericId<'b>]),
}

/// Writes a MIKEY message.
#[derive(Clone)]
pub struct Builder {
    buf: Vec<u8>,
    /// Position of the next-payload octet to patch when the next payload is appended.
    next_pos: usize,
    /// A KEMAC MAC still to be written: its position and the keyed HMAC. The MAC covers the
    /// KEMAC's own next-payload octet, so it is computed once the next payload is known.
    pending_mac: Option<(usize, Hmac<Sha1>)>,
}

impl core::fmt::Debug for Builder {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Builder")
            .field("len", &self.buf.len())
            .field("pending_mac", &self.pending_mac.is_some())
            .finish()
    }
}

fn u16_len(n: usize) -> Result<[u8; 2]> {
    u16::try_from(n)
        .map(u16::to_be_bytes)
        .map_err(|_| Error::InvalidParameter)
}

fn u8_len(n: usize) -> Result<u8> {
    u8::try_from(n).map_err(|_| Error::InvalidParameter)
}

impl Builder {
    /// Starts a message with its HDR.
    pub fn new(data_type: u8, prf: u8, csb_id: u32, map: MapSpec<'_>) -> Result<Self> {
        let mut raw = Vec::new();
        let (count, mt) = match map {
            MapSpec::SrtpId(ids) => {
                for id in ids {
                    raw.push(id.policy_no);
                    raw.extend_from_slice(&id.ssrc.to_be_bytes());
                    raw.extend_from_slice(&id.roc.to_be_bytes());
                }
                (ids.len(), map_type::SRTP_ID)
            }
            MapSpec::Empty => (0, map_type::EMPTY),
            MapSpec::GenericId(ids) => {
                for g in ids {
                    raw.push(g.cs_id);
                    raw.push(g.prot_type);
                    let np = u8_len(g.policies.len())?;
                    if np > 0x7f {
                        return Err(Error::InvalidParameter);
                    }
                    raw.push(np | if g.s { 0x80 } else { 0 });
                    raw.extend_from_slice(g.policies);
                    raw.extend_from_slice(&u16_len(g.session_data.len())?);
                    raw.extend_from_slice(g.session_data);
                    raw.push(u8_len(g.spi.len())?);
                    raw.extend_from_slice(g.spi);
                }
                (ids.len(), map_type::GENERIC_ID)
            }
        };
        Self::with_raw_map(data_type, false, prf, csb_id, u8_len(count)?, mt, &raw)
    }

    /// Starts a message with the HDR of a parsed message (for re-building).
    pub fn from_hdr(h: &Hdr<'_>) -> Result<Self> {
        Self::with_raw_map(
            h.data_type,
            h.v,
            h.prf,
            h.csb_id,
            h.cs_count,
            h.map.map_type(),
            h.map.raw(),
        )
    }

    fn with_raw_map(
        dt: u8,
        v: bool,
        prf: u8,
        csb_id: u32,
        cs_count: u8,
        mt: u8,
        raw: &[u8],
    ) -> Result<Self> {
        if prf > 0x7f {
            return Err(Error::InvalidParameter);
        }
        let mut buf = Vec::with_capacity(512);
        buf.push(1);
        buf.push(dt);
        buf.push(kind::LAST);
        buf.push(prf | if v { 0x80 } else { 0 });
        buf.extend_from_slice(&csb_id.to_be_bytes());
        buf.push(cs_count);
        buf.push(mt);
        buf.extend_from_slice(raw);
        Ok(Builder {
            buf,
            next_pos: 2,
            pending_mac: None,
        })
    }

    fn start(&mut self, k: u8) {
        self.buf[self.next_pos] = k;
        self.flush_mac();
        if k != kind::SIGN {
            self.next_pos = self.buf.len();
            self.buf.push(kind::LAST);
        }
    }

    fn flush_mac(&mut self) {
        if let Some((pos, mut h)) = self.pending_mac.take() {
            h.update(&self.buf[..pos]);
            let tag = h.finalize().into_bytes();
            self.buf[pos..pos + tag.len()].copy_from_slice(&tag);
        }
    }

    /// The octets written so far.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    /// Appends a T payload.
    pub fn t(&mut self, t: Timestamp) -> Result<&mut Self> {
        let n = Timestamp::value_len(t.ts_type).map_err(|_| Error::InvalidParameter)?;
        if n == 4 && t.value > u64::from(u32::MAX) {
            return Err(Error::InvalidParameter);
        }
        self.start(kind::T);
        self.buf.push(t.ts_type);
        self.buf.extend_from_slice(&t.value.to_be_bytes()[8 - n..]);
        Ok(self)
    }

    /// Appends a RAND payload (16 to 255 octets).
    pub fn rand(&mut self, rand: &[u8]) -> Result<&mut Self> {
        let l = u8_len(rand.len())?;
        if l < 16 {
            return Err(Error::InvalidParameter);
        }
        self.start(kind::RAND);
        self.buf.push(l);
        self.buf.extend_from_slice(rand);
        Ok(self)
    }

    /// Appends an IDR payload.
    pub fn idr(&mut self, role: u8, id_type: u8, data: &[u8]) -> Result<&mut Self> {
        let l = u16_len(data.len())?;
        self.start(kind::IDR);
        self.buf.push(role);
        self.buf.push(id_type);
        self.buf.extend_from_slice(&l);
        self.buf.extend_from_slice(data);
        Ok(self)
    }

    /// Appends an ID payload (RFC 3830).
    pub fn id(&mut self, id_type: u8, data: &[u8]) -> Result<&mut Self> {
        let l = u16_len(data.len())?;
        self.start(kind::ID);
        self.buf.push(id_type);
        self.buf.extend_from_slice(&l);
        self.buf.extend_from_slice(data);
        Ok(self)
    }

    /// Appends an SP payload from (type, value) parameters.
    pub fn sp(
        &mut self,
        policy_no: u8,
        prot_type: u8,
        params: &[(u8, &[u8])],
    ) -> Result<&mut Self> {
        let mut raw = Vec::new();
        for (t, v) in params {
            raw.push(*t);
            raw.push(u8_len(v.len())?);
            raw.extend_from_slice(v);
        }
        self.sp_raw(policy_no, prot_type, &raw)
    }

    /// Appends an SP payload from raw parameter TLVs.
    pub fn sp_raw(&mut self, policy_no: u8, prot_type: u8, raw: &[u8]) -> Result<&mut Self> {
        super::payload::Sp::validate_params(raw).map_err(|_| Error::InvalidParameter)?;
        let l = u16_len(raw.len())?;
        self.start(kind::SP);
        self.buf.push(policy_no);
        self.buf.push(prot_type);
        self.buf.extend_from_slice(&l);
        self.buf.extend_from_slice(raw);
        Ok(self)
    }

    /// Appends a SAKKE payload.
    pub fn sakke(&mut self, params: u8, id_scheme: u8, sed: &[u8]) -> Result<&mut Self> {
        let l = u16_len(sed.len())?;
        self.start(kind::SAKKE);
        self.buf.push(params);
        self.buf.push(id_scheme);
        self.buf.extend_from_slice(&l);
        self.buf.extend_from_slice(sed);
        Ok(self)
    }

    /// Appends a GEN EXT payload.
    pub fn gen_ext(&mut self, ext_type: u8, data: &[u8]) -> Result<&mut Self> {
        let l = u16_len(data.len())?;
        self.start(kind::GEN_EXT);
        self.buf.push(ext_type);
        self.buf.extend_from_slice(&l);
        self.buf.extend_from_slice(data);
        Ok(self)
    }

    /// Appends an ERR payload.
    pub fn err(&mut self, err_no: u8) -> Result<&mut Self> {
        self.start(kind::ERR);
        self.buf.push(err_no);
        self.buf.extend_from_slice(&[0, 0]);
        Ok(self)
    }

    /// Appends a V payload with a given MAC.
    pub fn v(&mut self, mac_alg: u8, mac: &[u8]) -> Result<&mut Self> {
        if mac_len(mac_alg).map_err(|_| Error::InvalidParameter)? != mac.len() {
            return Err(Error::InvalidParameter);
        }
        self.start(kind::V);
        self.buf.push(mac_alg);
        self.buf.extend_from_slice(mac);
        Ok(self)
    }

    /// Appends a KEMAC payload with a given MAC value (used to re-build parsed messages).
    pub fn kemac_with_mac(
        &mut self,
        encr_alg: u8,
        encr_data: &[u8],
        mac_alg: u8,
        mac: &[u8],
    ) -> Result<&mut Self> {
        if mac_len(mac_alg).map_err(|_| Error::InvalidParameter)? != mac.len() {
            return Err(Error::InvalidParameter);
        }
        let l = u16_len(encr_data.len())?;
        self.start(kind::KEMAC);
        self.buf.push(encr_alg);
        self.buf.extend_from_slice(&l);
        self.buf.extend_from_slice(encr_data);
        self.buf.push(mac_alg);
        self.buf.extend_from_slice(mac);
        Ok(self)
    }

    /// Appends a KEMAC payload with an HMAC-SHA-1-160 MAC under `auth_key`, computed over
    /// every octet before the MAC field once the next payload (or the end) is known.
    pub fn kemac_hmac_sha1(
        &mut self,
        encr_alg: u8,
        encr_data: &[u8],
        auth_key: &[u8],
    ) -> Result<&mut Self> {
        let h =
            <Hmac<Sha1> as Mac>::new_from_slice(auth_key).map_err(|_| Error::InvalidParameter)?;
        self.kemac_with_mac(encr_alg, encr_data, mac_alg::HMAC_SHA1_160, &[0; 20])?;
        self.pending_mac = Some((self.buf.len() - 20, h));
        Ok(self)
    }

    /// Appends any non-SIGN payload view (used to re-build parsed messages).
    pub fn payload(&mut self, p: &Payload<'_>) -> Result<&mut Self> {
        match *p {
            Payload::T(t) => self.t(t),
            Payload::Rand(r) => self.rand(r),
            Payload::Id(i) => match i.role {
                Some(role) => self.idr(role, i.id_type, i.data),
                None => self.id(i.id_type, i.data),
            },
            Payload::Sp(s) => self.sp_raw(s.policy_no, s.prot_type, s.params),
            Payload::Kemac(k) => self.kemac_with_mac(k.encr_alg, k.encr_data, k.mac_alg, k.mac),
            Payload::Sakke(s) => self.sakke(s.params, s.id_scheme, s.sed),
            Payload::GenExt(g) => self.gen_ext(g.ext_type, g.data),
            Payload::V(v) => self.v(v.mac_alg, v.mac),
            Payload::Err(e) => {
                self.err(e.err_no)?;
                let n = self.buf.len();
                self.buf[n - 2..].copy_from_slice(&e.reserved.to_be_bytes());
                Ok(self)
            }
            Payload::Sign(_) => Err(Error::InvalidParameter),
        }
    }

    /// Finishes an unsigned message.
    pub fn finish(mut self) -> Vec<u8> {
        self.flush_mac();
        self.buf
    }

    /// Finishes with a SIGN payload of `sig_len` octets produced by `sign` over every octet
    /// before the signature, including the SIGN type/length octets (RFC 6509).
    pub fn finish_signed(
        mut self,
        sig_type: u8,
        sig_len: usize,
        sign: impl FnOnce(&[u8]) -> Result<Vec<u8>>,
    ) -> Result<Vec<u8>> {
        if sig_type > 0x0f || sig_len > 0x0fff {
            return Err(Error::InvalidParameter);
        }
        self.start(kind::SIGN);
        let tl = (u16::from(sig_type) << 12) | sig_len as u16;
        self.buf.extend_from_slice(&tl.to_be_bytes());
        let sig = sign(&self.buf)?;
        if sig.len() != sig_len {
            return Err(Error::InvalidParameter);
        }
        self.buf.extend_from_slice(&sig);
        Ok(self.buf)
    }

    /// Finishes with a given signature (used to re-build parsed messages).
    pub fn finish_with_signature(self, sig_type: u8, sig: &[u8]) -> Result<Vec<u8>> {
        let s = sig.to_vec();
        self.finish_signed(sig_type, sig.len(), |_| Ok(s))
    }
}

/// Builds a MIKEY Error message (data type 6): HDR (empty map), T, one ERR per error number
/// (RFC 3830 §6.12: 0 auth failure, 1 invalid TS, 2 invalid PRF, 3 invalid MAC, 4 invalid EA,
/// 5 invalid HA, 6 invalid DH, 7 invalid ID, 8 invalid cert, 9 invalid SP, 10 invalid SPpar,
/// 11 invalid DT, 12 unspecified).
pub fn build_error(csb_id: u32, t: Timestamp, errors: &[u8]) -> Result<Vec<u8>> {
    if errors.is_empty() {
        return Err(Error::InvalidParameter);
    }
    let mut b = Builder::new(data_type::ERROR, 0, csb_id, MapSpec::Empty)?;
    b.t(t)?;
    for &e in errors {
        b.err(e)?;
    }
    Ok(b.finish())
}

/// Re-builds a parsed message from its fields, payload by payload.
pub fn rebuild(m: &Message<'_>) -> Result<Vec<u8>> {
    let mut b = Builder::from_hdr(m.hdr())?;
    let mut sign = None;
    for p in m.payloads() {
        match p {
            Payload::Sign(s) => sign = Some(s),
            other => {
                b.payload(&other)?;
            }
        }
    }
    match sign {
        Some(s) => b.finish_with_signature(s.sig_type, s.signature),
        None => Ok(b.finish()),
    }
}
