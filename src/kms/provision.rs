//! TS 33.180 Annex D provisioning documents: the `KmsResponse` of the KMS interface
//! (namespace [`NAMESPACE`]) with its three messages — `KmsInit` (the KMS certificate),
//! `KmsKeyProv` (key sets) and `KmsCertCache` (certificates) — or a `KmsError`; a writer and a
//! reader, sans-IO (bytes in, bytes out).
//!
//! # Writing
//! [`KmsResponse::to_xml`] writes the schema's sequences in order with quick-xml's writer: a
//! default namespace of [`NAMESPACE`], `xmlns:xsi` declared on the root, key material of a key
//! set as upper-case hexBinary with `xsi:type="KeyContentType"`, PubEncKey/PubAuthKey as plain
//! hexBinary, UserID as hex, times as `YYYY-MM-DDThh:mm:ssZ`. The output buffer is a
//! [`Zeroizing`] vector sized exactly before any secret is written, so no copy of a key is left
//! behind by reallocation.
//!
//! # Reading
//! [`parse`] reads what deployed KMSs write:
//! - the root `KmsResponse`, or a `SignedKmsResponse` wrapper (in the namespace or in none)
//!   holding one `KmsResponse` beside elements of other namespaces (`ds:Signature`). **The XML
//!   signature is not checked**: the response is taken as the transport (HTTPS) delivered it;
//! - namespace prefixes or a default namespace, as long as every element resolves to
//!   [`NAMESPACE`] (elements of other namespaces are skipped only where the schema's
//!   `xsd:any namespace="##other"` allows them: after the last element of `KmsResponse` and of
//!   `KmsCertificate`, and anywhere inside `SignedKmsResponse`);
//! - `KmsUri` or `KMSUri` in a key set;
//! - key elements with or without `xsi:type="KeyContentType"` (or `hexBinary`), upper- or
//!   lower-case hex, whitespace around the value and between its digits (wrapped lines);
//! - UserID in hex or base64: the text (whitespace removed) is read as hex when it is an even
//!   number of hex digits, else as standard base64. A 32-octet MCPTT UID in base64 always ends
//!   in `=`, so the two never collide for that format;
//! - `xsd:dateTime` with or without a zone (`Z`, `±hh:mm`; none is taken as UTC) and with
//!   fractional seconds (truncated), converted to NTP seconds.
//!
//! It refuses, with a typed error and without panicking on any input:
//! - [`Error::Unsupported`]: a key carried as `xsi:type="EncKeyContentType"` (the encrypted-key
//!   security extension; any other `xsi:type` too) or as an `EncryptedKey` child — never read
//!   as a key; a `<!DOCTYPE …>` (no DTD is processed, so no entity is ever declared or
//!   expanded);
//! - [`Error::Parse`]: input that is not UTF-8 or not well-formed XML, a reference to any entity
//!   other than the five predefined ones and character references, elements in no namespace or
//!   in another namespace where the schema does not allow it, missing, duplicated, unknown or
//!   out-of-order elements, text where the schema has elements and elements where it has
//!   text, bad hex/base64/integer/boolean/dateTime values, an unknown `Role`, and anything past
//!   the limits: [`MAX_DOCUMENT_LEN`] octets, [`MAX_DEPTH`] levels of elements,
//!   [`MAX_ELEMENTS`] elements, [`MAX_ATTRIBUTES`] attributes on one element, [`MAX_KEY_SETS`]
//!   key sets, [`MAX_CERTIFICATES`] certificates, [`MAX_DOMAINS`] domains.
//!
//! # UserIdFormat
//! The certificate's `UserIdFormat` maps to [`IdFormat`] as follows (see
//! [`KmsCertificateDoc::to_certificate`]):
//! - `"2"` ↔ [`IdFormat::Mcptt`]: the TS 33.180 F.2.1 UID, with `period_secs` = UserKeyPeriod
//!   and `offset_secs` = UserKeyOffset. This is the value deployed MCPTT KMSs write;
//! - `"0"` ↔ [`IdFormat::Prose`]: the RFC 6509 `"YYYY-MM\0URI\0"` identifier with calendar-month
//!   periods. UserKeyPeriod and UserKeyOffset do not define a calendar month; the writer puts a
//!   nominal 2592000 (30 days) and 0, the reader ignores them for this format;
//! - any other value: [`Error::Unsupported`] on conversion (the document itself still parses).
//!
//! # Secrets
//! RSK and SSK are held in [`Zeroizing`] buffers in [`KmsKeySetDoc`], the text nodes of a parsed
//! document are zeroized when the reader is done with them, and `Debug` shows no key material.

use std::io;

use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::name::ResolveResult;
use quick_xml::{NsReader, Writer, XmlVersion};
use zeroize::{Zeroize, Zeroizing};

use super::{IdFormat, KeyPeriods, KeySet, KmsCertificate};
use crate::eccsi::{Kpak, Ssk};
use crate::mikey::NTP_MAX_SECS;
use crate::sakke::{KmsPublic, Rsk};
use crate::{Error, Result};

/// The namespace of the KMS interface documents.
pub const NAMESPACE: &str = "urn:3gpp:ns:mcsecKMSInterface:1.0";
/// The XML Schema instance namespace (`xsi:type`).
pub const XSI_NAMESPACE: &str = "http://www.w3.org/2001/XMLSchema-instance";
/// The largest document [`parse`] reads (1 MiB).
pub const MAX_DOCUMENT_LEN: usize = 1 << 20;
/// The deepest nesting of elements [`parse`] reads.
pub const MAX_DEPTH: usize = 16;
/// The most elements one document may hold.
pub const MAX_ELEMENTS: usize = 4096;
/// The most attributes (namespace declarations included) one element may carry.
pub const MAX_ATTRIBUTES: usize = 32;
/// The most `KmsKeySet`s in one `KmsKeyProv`.
pub const MAX_KEY_SETS: usize = 64;
/// The most `KmsCertificate`s in one `KmsCertCache`.
pub const MAX_CERTIFICATES: usize = 64;
/// The most `KmsDomain`s in one `KmsDomainList`.
pub const MAX_DOMAINS: usize = 64;
/// The most namespace bindings in scope at once.
const MAX_NS_BINDINGS: usize = 32;

/// `UserIdFormat` of the TS 33.180 F.2.1 UID ([`IdFormat::Mcptt`]).
pub const USER_ID_FORMAT_MCPTT: &str = "2";
/// `UserIdFormat` this crate uses for the RFC 6509 identifier ([`IdFormat::Prose`]).
pub const USER_ID_FORMAT_PROSE: &str = "0";
/// The nominal UserKeyPeriod written for [`IdFormat::Prose`] (30 days; periods are months).
pub const PROSE_NOMINAL_PERIOD_SECS: u64 = 2_592_000;

/// Days from 1900-01-01 to 1970-01-01.
const NTP_UNIX_DAYS: i64 = 25_567;

// ---------------------------------------------------------------------------------------------
// Documents

/// A `KmsResponse` (TS 33.180 table D.3.1-1).
#[derive(Clone, Debug)]
pub struct KmsResponse {
    /// UserUri: the user the response is for.
    pub user_uri: String,
    /// KmsUri: the KMS that answered.
    pub kms_uri: String,
    /// Time of the response (NTP seconds).
    pub time: u64,
    /// KmsId (optional).
    pub kms_id: Option<String>,
    /// ClientReqUrl: the URL the request was sent to.
    pub client_req_url: String,
    /// KmsMessage or KmsError.
    pub body: ResponseBody,
}

/// The choice at the end of a `KmsResponse`.
#[derive(Clone, Debug)]
pub enum ResponseBody {
    /// `KmsMessage`.
    Message(KmsMessage),
    /// `KmsError`.
    Error(KmsError),
}

/// The content of a `KmsMessage` (an `xsd:choice`).
#[derive(Clone, Debug)]
pub enum KmsMessage {
    /// `KmsInit`: the KMS certificate.
    Init(KmsInit),
    /// `KmsKeyProv`: key sets.
    KeyProv(KmsKeyProv),
    /// `KmsCertCache`: certificates.
    CertCache(KmsCertCache),
}

/// `KmsInit`: the response to an initialize request.
#[derive(Clone, Debug)]
pub struct KmsInit {
    /// The `KmsCertificate` (boxed: it is by far the largest message).
    pub certificate: Box<KmsCertificateDoc>,
}

/// `KmsKeyProv`: zero or more key sets (at most [`MAX_KEY_SETS`]).
#[derive(Clone, Debug, Default)]
pub struct KmsKeyProv {
    /// The `KmsKeySet`s, in document order.
    pub key_sets: Vec<KmsKeySetDoc>,
}

/// `KmsCertCache`: the certificates the KMS holds (at most [`MAX_CERTIFICATES`]).
#[derive(Clone, Debug, Default)]
pub struct KmsCertCache {
    /// The `CacheNum` attribute.
    pub cache_num: Option<u64>,
    /// The `KmsCertificate`s, in document order.
    pub certificates: Vec<KmsCertificateDoc>,
}

/// `KmsError`: ErrorCode and ErrorMsg.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KmsError {
    /// ErrorCode.
    pub code: i64,
    /// ErrorMsg.
    pub message: String,
}

/// The `Role` attribute of a certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KmsRole {
    /// `Root`: the KMS's own certificate.
    Root,
    /// `External`: a certificate of another KMS.
    External,
}

/// A `KmsCertificate` (TS 33.180 table D.3.2.2-1), in schema order.
#[derive(Clone, Debug)]
pub struct KmsCertificateDoc {
    /// The `Role` attribute.
    pub role: Option<KmsRole>,
    /// CertUri.
    pub cert_uri: Option<String>,
    /// KmsUri.
    pub kms_uri: String,
    /// Issuer.
    pub issuer: Option<String>,
    /// ValidFrom (NTP seconds).
    pub valid_from: Option<u64>,
    /// ValidTo (NTP seconds).
    pub valid_to: Option<u64>,
    /// Revoked.
    pub revoked: Option<bool>,
    /// UserIdFormat as written (see the module documentation for the mapping).
    pub user_id_format: String,
    /// UserKeyPeriod (seconds).
    pub user_key_period: u64,
    /// UserKeyOffset (seconds).
    pub user_key_offset: u64,
    /// PubEncKey: the SAKKE public key Z (04 ‖ x ‖ y).
    pub pub_enc_key: Vec<u8>,
    /// PubAuthKey: the ECCSI KPAK (04 ‖ x ‖ y).
    pub pub_auth_key: Vec<u8>,
    /// ParameterSet.
    pub parameter_set: Option<u64>,
    /// KmsDomainList (one or more KmsDomain when present).
    pub domains: Option<Vec<String>>,
}

/// A `KmsKeySet` (TS 33.180 table D.3.3.2-1), in schema order. RSK and SSK are zeroized on
/// drop; `Debug` shows neither.
#[derive(Clone)]
pub struct KmsKeySetDoc {
    /// KmsUri (also read as `KMSUri`).
    pub kms_uri: String,
    /// CertUri.
    pub cert_uri: Option<String>,
    /// Issuer.
    pub issuer: Option<String>,
    /// UserUri.
    pub user_uri: String,
    /// UserID: the identifier octets (read from hex or base64, written as hex).
    pub user_id: Vec<u8>,
    /// ValidFrom (NTP seconds).
    pub valid_from: Option<u64>,
    /// ValidTo (NTP seconds).
    pub valid_to: Option<u64>,
    /// KeyPeriodNo.
    pub key_period_no: u64,
    /// Revoked.
    pub revoked: Option<bool>,
    /// UserDecryptKey: the SAKKE RSK (04 ‖ x ‖ y), secret.
    pub user_decrypt_key: Zeroizing<Vec<u8>>,
    /// UserSigningKeySSK: the ECCSI SSK (32 octets), secret.
    pub user_signing_key: Zeroizing<Vec<u8>>,
    /// UserPubTokenPVT: the ECCSI PVT (04 ‖ x ‖ y).
    pub user_pub_token: Vec<u8>,
}

impl core::fmt::Debug for KmsKeySetDoc {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("KmsKeySetDoc")
            .field("kms_uri", &self.kms_uri)
            .field("cert_uri", &self.cert_uri)
            .field("issuer", &self.issuer)
            .field("user_uri", &self.user_uri)
            .field("valid_from", &self.valid_from)
            .field("valid_to", &self.valid_to)
            .field("key_period_no", &self.key_period_no)
            .field("revoked", &self.revoked)
            .field("user_decrypt_key", &"<redacted>")
            .field("user_signing_key", &"<redacted>")
            .finish_non_exhaustive()
    }
}

// ---------------------------------------------------------------------------------------------
// Conversions

fn utf8(b: &[u8]) -> Result<String> {
    String::from_utf8(b.to_vec()).map_err(|_| Error::InvalidParameter)
}

impl KmsCertificateDoc {
    /// The `KmsCertificate` document of `cert` (Role `Root`, no optional element). The
    /// UserIdFormat follows the module's mapping. `InvalidParameter` if the KMS URI is not
    /// UTF-8.
    pub fn from_certificate(cert: &KmsCertificate) -> Result<Self> {
        let (format, period, offset) = match *cert.periods.format() {
            IdFormat::Prose => (USER_ID_FORMAT_PROSE, PROSE_NOMINAL_PERIOD_SECS, 0),
            IdFormat::Mcptt {
                period_secs,
                offset_secs,
            } => (USER_ID_FORMAT_MCPTT, period_secs, offset_secs),
        };
        Ok(KmsCertificateDoc {
            role: Some(KmsRole::Root),
            cert_uri: None,
            kms_uri: utf8(cert.periods.kms_uri())?,
            issuer: None,
            valid_from: None,
            valid_to: None,
            revoked: None,
            user_id_format: format.to_owned(),
            user_key_period: period,
            user_key_offset: offset,
            pub_enc_key: cert.z.to_bytes().to_vec(),
            pub_auth_key: cert.kpak.to_sec1().to_vec(),
            parameter_set: None,
            domains: None,
        })
    }

    /// The crate's [`KmsCertificate`] of this document: the UserIdFormat mapped to an
    /// [`IdFormat`] (`Unsupported` for a value outside the mapping), Z checked on the curve
    /// and in the subgroup ([`KmsPublic::from_bytes`]) and KPAK on P-256
    /// ([`Kpak::from_sec1`]): `Parse` for a wrong length, `InvalidPoint` otherwise.
    /// `Unsupported` for a ParameterSet other than 1 (RFC 6509 Appendix A), `InvalidKey` for
    /// a revoked certificate, `InvalidParameter` for a zero period or an empty KMS URI.
    pub fn to_certificate(&self) -> Result<KmsCertificate> {
        if self.revoked == Some(true) {
            return Err(Error::InvalidKey);
        }
        if self.parameter_set.is_some_and(|p| p != 1) {
            return Err(Error::Unsupported);
        }
        let format = match self.user_id_format.as_str() {
            USER_ID_FORMAT_MCPTT => IdFormat::Mcptt {
                period_secs: self.user_key_period,
                offset_secs: self.user_key_offset,
            },
            USER_ID_FORMAT_PROSE => IdFormat::Prose,
            _ => return Err(Error::Unsupported),
        };
        let periods = KeyPeriods::new(self.kms_uri.as_bytes(), format)?;
        let z = KmsPublic::from_bytes(&self.pub_enc_key)?;
        let kpak = Kpak::from_sec1(&self.pub_auth_key)?;
        Ok(KmsCertificate { periods, z, kpak })
    }
}

impl KmsKeySetDoc {
    /// The `KmsKeySet` document of `ks` issued by the KMS `kms_uri`, with its validity.
    /// `InvalidParameter` if a URI is not UTF-8.
    pub fn from_key_set(kms_uri: &[u8], ks: &KeySet) -> Result<Self> {
        let mut ssk = ks.ssk.to_bytes();
        let user_signing_key = Zeroizing::new(ssk.to_vec());
        ssk.zeroize();
        let mut rsk = ks.rsk.to_bytes();
        let user_decrypt_key = Zeroizing::new(rsk.to_vec());
        rsk.zeroize();
        Ok(KmsKeySetDoc {
            kms_uri: utf8(kms_uri)?,
            cert_uri: None,
            issuer: None,
            user_uri: utf8(&ks.user_uri)?,
            user_id: ks.user_id.clone(),
            valid_from: Some(ks.valid_from),
            valid_to: Some(ks.valid_to),
            key_period_no: ks.period_no,
            revoked: None,
            user_decrypt_key,
            user_signing_key,
            user_pub_token: ks.pvt.to_vec(),
        })
    }

    /// The crate's [`KeySet`] of this document, for a KMS with key `periods`: ValidFrom and
    /// ValidTo when present, else the validity of the KeyPeriodNo. The keys are decoded but
    /// only checked in form here — [`KmsCertificate::accept`] checks the set as a whole.
    /// Errors: `InvalidParameter` (KmsUri not the KMS's), `InvalidKey` (a revoked set or an
    /// SSK out of range), `Parse` (a key of the wrong length), `InvalidPoint` (an RSK not in
    /// the subgroup).
    pub fn to_key_set(&self, periods: &KeyPeriods) -> Result<KeySet> {
        if self.kms_uri.as_bytes() != periods.kms_uri() {
            return Err(Error::InvalidParameter);
        }
        if self.revoked == Some(true) {
            return Err(Error::InvalidKey);
        }
        let (valid_from, valid_to) = match (self.valid_from, self.valid_to) {
            (Some(f), Some(t)) => (f, t),
            (f, t) => {
                let (pf, pt) = periods.validity(self.key_period_no)?;
                (f.unwrap_or(pf), t.unwrap_or(pt))
            }
        };
        let rsk = Rsk::from_bytes(&self.user_decrypt_key)?;
        let ssk = Ssk::from_bytes(&self.user_signing_key)?;
        let pvt: [u8; 65] = self
            .user_pub_token
            .as_slice()
            .try_into()
            .map_err(|_| Error::Parse)?;
        Ok(KeySet {
            user_uri: self.user_uri.as_bytes().to_vec(),
            user_id: self.user_id.clone(),
            period_no: self.key_period_no,
            valid_from,
            valid_to,
            rsk,
            ssk,
            pvt,
        })
    }
}

impl KmsResponse {
    /// The certificate of a `KmsInit` response.
    pub fn certificate(&self) -> Option<&KmsCertificateDoc> {
        match &self.body {
            ResponseBody::Message(KmsMessage::Init(i)) => Some(&i.certificate),
            _ => None,
        }
    }

    /// The key sets of a `KmsKeyProv` response (empty for any other response).
    pub fn key_sets(&self) -> &[KmsKeySetDoc] {
        match &self.body {
            ResponseBody::Message(KmsMessage::KeyProv(k)) => &k.key_sets,
            _ => &[],
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Writer

/// Counts the octets a document will take, so the real buffer is allocated once.
struct Counter(usize);

impl io::Write for Counter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 = self.0.saturating_add(buf.len());
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A character XML 1.0 can carry (§2.2 Char).
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}')
        || c >= '\u{10000}'
}

/// A string the writer can carry verbatim: XML 1.0 characters, without `\r` (which a reader
/// turns into `\n`).
fn check_str(s: &str) -> Result<()> {
    if s.chars().all(|c| xml_char(c) && c != '\r') {
        Ok(())
    } else {
        Err(Error::InvalidParameter)
    }
}

fn check_opt(s: &Option<String>) -> Result<()> {
    s.as_deref().map_or(Ok(()), check_str)
}

/// Formats NTP seconds as `YYYY-MM-DDThh:mm:ssZ` (`InvalidParameter` past NTP era 1).
fn format_datetime(ntp: u64) -> Result<String> {
    if ntp > NTP_MAX_SECS {
        return Err(Error::InvalidParameter);
    }
    let days = (ntp / 86_400) as i64;
    let rem = ntp % 86_400;
    let (y, m, d) = civil_from_days(days - NTP_UNIX_DAYS);
    Ok(format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    ))
}

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

/// Upper-case hex of `b` in a zeroizing string of exactly the right capacity.
fn hex_upper(b: &[u8]) -> Zeroizing<String> {
    let mut s = Zeroizing::new(String::with_capacity(b.len() * 2));
    for &x in b {
        s.push(HEX_UPPER[usize::from(x >> 4)] as char);
        s.push(HEX_UPPER[usize::from(x & 15)] as char);
    }
    s
}

struct Out<W: io::Write> {
    w: Writer<W>,
}

impl<W: io::Write> Out<W> {
    fn start(&mut self, name: &str, attrs: &[(&str, &str)]) -> io::Result<()> {
        let mut e = BytesStart::new(name);
        for a in attrs {
            e.push_attribute(*a);
        }
        self.w.write_event(Event::Start(e))
    }

    fn end(&mut self, name: &str) -> io::Result<()> {
        self.w.write_event(Event::End(BytesEnd::new(name)))
    }

    fn leaf_attrs(&mut self, name: &str, attrs: &[(&str, &str)], text: &str) -> io::Result<()> {
        self.start(name, attrs)?;
        self.w.write_event(Event::Text(BytesText::new(text)))?;
        self.end(name)
    }

    fn leaf(&mut self, name: &str, text: &str) -> io::Result<()> {
        self.leaf_attrs(name, &[], text)
    }

    fn opt(&mut self, name: &str, text: &Option<String>) -> io::Result<()> {
        match text {
            Some(t) => self.leaf(name, t),
            None => Ok(()),
        }
    }

    fn num(&mut self, name: &str, v: u64) -> io::Result<()> {
        self.leaf(name, &v.to_string())
    }

    fn hex(&mut self, name: &str, b: &[u8], typed: bool) -> io::Result<()> {
        let h = hex_upper(b);
        let attrs: &[(&str, &str)] = if typed {
            &[("xsi:type", "KeyContentType")]
        } else {
            &[]
        };
        self.leaf_attrs(name, attrs, &h)
    }
}

/// The text of every dateTime of a response, formatted before writing (so that the writing
/// itself cannot fail on a value).
struct Times {
    time: String,
    certs: Vec<(Option<String>, Option<String>)>,
    sets: Vec<(Option<String>, Option<String>)>,
}

fn fmt_opt(t: Option<u64>) -> Result<Option<String>> {
    t.map(format_datetime).transpose()
}

impl KmsCertificateDoc {
    fn check(&self) -> Result<()> {
        check_opt(&self.cert_uri)?;
        check_str(&self.kms_uri)?;
        check_opt(&self.issuer)?;
        check_str(&self.user_id_format)?;
        if let Some(d) = &self.domains {
            if d.is_empty() || d.len() > MAX_DOMAINS {
                return Err(Error::InvalidParameter);
            }
            d.iter().try_for_each(|s| check_str(s))?;
        }
        Ok(())
    }

    fn write<W: io::Write>(
        &self,
        o: &mut Out<W>,
        times: &(Option<String>, Option<String>),
    ) -> io::Result<()> {
        let mut attrs = vec![("Version", "1.1.0")];
        match self.role {
            Some(KmsRole::Root) => attrs.push(("Role", "Root")),
            Some(KmsRole::External) => attrs.push(("Role", "External")),
            None => {}
        }
        o.start("KmsCertificate", &attrs)?;
        o.opt("CertUri", &self.cert_uri)?;
        o.leaf("KmsUri", &self.kms_uri)?;
        o.opt("Issuer", &self.issuer)?;
        o.opt("ValidFrom", &times.0)?;
        o.opt("ValidTo", &times.1)?;
        if let Some(r) = self.revoked {
            o.leaf("Revoked", if r { "true" } else { "false" })?;
        }
        o.leaf("UserIdFormat", &self.user_id_format)?;
        o.num("UserKeyPeriod", self.user_key_period)?;
        o.num("UserKeyOffset", self.user_key_offset)?;
        o.hex("PubEncKey", &self.pub_enc_key, false)?;
        o.hex("PubAuthKey", &self.pub_auth_key, false)?;
        if let Some(p) = self.parameter_set {
            o.num("ParameterSet", p)?;
        }
        if let Some(d) = &self.domains {
            o.start("KmsDomainList", &[])?;
            for s in d {
                o.leaf("KmsDomain", s)?;
            }
            o.end("KmsDomainList")?;
        }
        o.end("KmsCertificate")
    }
}

impl KmsKeySetDoc {
    fn check(&self) -> Result<()> {
        check_str(&self.kms_uri)?;
        check_opt(&self.cert_uri)?;
        check_opt(&self.issuer)?;
        check_str(&self.user_uri)?;
        if self.user_id.is_empty() {
            return Err(Error::InvalidParameter);
        }
        Ok(())
    }

    fn write<W: io::Write>(
        &self,
        o: &mut Out<W>,
        times: &(Option<String>, Option<String>),
    ) -> io::Result<()> {
        o.start("KmsKeySet", &[("Version", "1.1.0")])?;
        o.leaf("KmsUri", &self.kms_uri)?;
        o.opt("CertUri", &self.cert_uri)?;
        o.opt("Issuer", &self.issuer)?;
        o.leaf("UserUri", &self.user_uri)?;
        o.hex("UserID", &self.user_id, false)?;
        o.opt("ValidFrom", &times.0)?;
        o.opt("ValidTo", &times.1)?;
        o.num("KeyPeriodNo", self.key_period_no)?;
        if let Some(r) = self.revoked {
            o.leaf("Revoked", if r { "true" } else { "false" })?;
        }
        o.hex("UserDecryptKey", &self.user_decrypt_key, true)?;
        o.hex("UserSigningKeySSK", &self.user_signing_key, true)?;
        o.hex("UserPubTokenPVT", &self.user_pub_token, true)?;
        o.end("KmsKeySet")
    }
}

impl KmsResponse {
    fn check(&self) -> Result<Times> {
        check_str(&self.user_uri)?;
        check_str(&self.kms_uri)?;
        check_opt(&self.kms_id)?;
        check_str(&self.client_req_url)?;
        let mut times = Times {
            time: format_datetime(self.time)?,
            certs: Vec::new(),
            sets: Vec::new(),
        };
        let mut cert = |c: &KmsCertificateDoc| -> Result<()> {
            c.check()?;
            times
                .certs
                .push((fmt_opt(c.valid_from)?, fmt_opt(c.valid_to)?));
            Ok(())
        };
        match &self.body {
            ResponseBody::Error(e) => check_str(&e.message)?,
            ResponseBody::Message(KmsMessage::Init(i)) => cert(&i.certificate)?,
            ResponseBody::Message(KmsMessage::CertCache(c)) => {
                if c.certificates.len() > MAX_CERTIFICATES {
                    return Err(Error::InvalidParameter);
                }
                c.certificates.iter().try_for_each(cert)?;
            }
            ResponseBody::Message(KmsMessage::KeyProv(k)) => {
                if k.key_sets.len() > MAX_KEY_SETS {
                    return Err(Error::InvalidParameter);
                }
                for s in &k.key_sets {
                    s.check()?;
                    times
                        .sets
                        .push((fmt_opt(s.valid_from)?, fmt_opt(s.valid_to)?));
                }
            }
        }
        Ok(times)
    }

    fn write<W: io::Write>(&self, o: &mut Out<W>, t: &Times) -> io::Result<()> {
        o.w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
        o.start(
            "KmsResponse",
            &[
                ("xmlns", NAMESPACE),
                ("xmlns:xsi", XSI_NAMESPACE),
                ("Version", "1.0.0"),
            ],
        )?;
        o.leaf("UserUri", &self.user_uri)?;
        o.leaf("KmsUri", &self.kms_uri)?;
        o.leaf("Time", &t.time)?;
        o.opt("KmsId", &self.kms_id)?;
        o.leaf("ClientReqUrl", &self.client_req_url)?;
        let none = (None, None);
        match &self.body {
            ResponseBody::Error(e) => {
                o.start("KmsError", &[])?;
                o.leaf("ErrorCode", &e.code.to_string())?;
                o.leaf("ErrorMsg", &e.message)?;
                o.end("KmsError")?;
            }
            ResponseBody::Message(m) => {
                o.start("KmsMessage", &[])?;
                match m {
                    KmsMessage::Init(i) => {
                        o.start("KmsInit", &[("Version", "1.0.0")])?;
                        i.certificate.write(o, t.certs.first().unwrap_or(&none))?;
                        o.end("KmsInit")?;
                    }
                    KmsMessage::KeyProv(k) => {
                        o.start("KmsKeyProv", &[("Version", "1.0.0")])?;
                        for (i, s) in k.key_sets.iter().enumerate() {
                            s.write(o, t.sets.get(i).unwrap_or(&none))?;
                        }
                        o.end("KmsKeyProv")?;
                    }
                    KmsMessage::CertCache(c) => {
                        let num = c.cache_num.map(|n| n.to_string());
                        let mut attrs = vec![("Version", "1.0.0")];
                        if let Some(n) = &num {
                            attrs.push(("CacheNum", n));
                        }
                        o.start("KmsCertCache", &attrs)?;
                        for (i, cert) in c.certificates.iter().enumerate() {
                            cert.write(o, t.certs.get(i).unwrap_or(&none))?;
                        }
                        o.end("KmsCertCache")?;
                    }
                }
                o.end("KmsMessage")?;
            }
        }
        o.end("KmsResponse")
    }

    /// The document as UTF-8 XML, in schema order (see the module documentation). The buffer
    /// zeroizes on drop (a key set's RSK and SSK are in it). `InvalidParameter` for a string
    /// holding a character XML 1.0 cannot carry (or a carriage return), a time past NTP era 1, an empty UserID or
    /// KmsDomainList, or more than [`MAX_KEY_SETS`] / [`MAX_CERTIFICATES`] /
    /// [`MAX_DOMAINS`] entries.
    pub fn to_xml(&self) -> Result<Zeroizing<Vec<u8>>> {
        let times = self.check()?;
        let mut count = Out {
            w: Writer::new_with_indent(Counter(0), b' ', 2),
        };
        self.write(&mut count, &times)
            .map_err(|_| Error::InvalidParameter)?;
        let len = count.w.into_inner().0;
        let mut buf = Zeroizing::new(Vec::with_capacity(len));
        let mut out = Out {
            w: Writer::new_with_indent(&mut *buf, b' ', 2),
        };
        self.write(&mut out, &times)
            .map_err(|_| Error::InvalidParameter)?;
        Ok(buf)
    }
}

// ---------------------------------------------------------------------------------------------
// Values

/// Days since 1970-01-01 of `y-m-d` (proleptic Gregorian).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `(year, month, day)` of `z` days since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Fixed-width decimal digits of `b` (all ASCII digits, else `Parse`).
fn digits(b: &[u8]) -> Result<i64> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return Err(Error::Parse);
    }
    Ok(b.iter().fold(0, |a, &c| a * 10 + i64::from(c - b'0')))
}

/// An `xsd:dateTime` (`YYYY-MM-DDThh:mm:ss[.f][Z|±hh:mm]`, no zone read as UTC) in NTP
/// seconds; `Parse` if malformed or outside 1900 .. NTP era 1.
fn parse_datetime(s: &str) -> Result<u64> {
    let b = s.as_bytes();
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || (b[10] != b'T' && b[10] != b't')
        || b[13] != b':'
        || b[16] != b':'
    {
        return Err(Error::Parse);
    }
    let (y, mo, d) = (digits(&b[0..4])?, digits(&b[5..7])?, digits(&b[8..10])?);
    let (h, mi, se) = (
        digits(&b[11..13])?,
        digits(&b[14..16])?,
        digits(&b[17..19])?,
    );
    if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || se > 59
    {
        return Err(Error::Parse);
    }
    let mut rest = &b[19..];
    if let Some(frac) = rest.strip_prefix(b".") {
        let n = frac.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return Err(Error::Parse);
        }
        rest = &frac[n..];
    }
    let offset = match rest {
        [] | [b'Z'] | [b'z'] => 0,
        [sign @ (b'+' | b'-'), hh @ .., b':', m1, m2] if hh.len() == 2 => {
            let (oh, om) = (digits(hh)?, digits(&[*m1, *m2])?);
            if oh > 14 || om > 59 {
                return Err(Error::Parse);
            }
            let o = oh * 3600 + om * 60;
            if *sign == b'+' {
                o
            } else {
                -o
            }
        }
        _ => return Err(Error::Parse),
    };
    let days = days_from_civil(y, mo, d) + NTP_UNIX_DAYS;
    let secs = days * 86_400 + h * 3600 + mi * 60 + se - offset;
    u64::try_from(secs)
        .ok()
        .filter(|&s| s <= NTP_MAX_SECS)
        .ok_or(Error::Parse)
}

/// An `xsd:integer` that fits a `u64` (optional `+`, decimal digits).
fn parse_u64(s: &str) -> Result<u64> {
    let d = s.strip_prefix('+').unwrap_or(s);
    if d.is_empty() || d.len() > 20 || !d.bytes().all(|c| c.is_ascii_digit()) {
        return Err(Error::Parse);
    }
    d.parse().map_err(|_| Error::Parse)
}

/// An `xsd:integer` that fits an `i64`.
fn parse_i64(s: &str) -> Result<i64> {
    let (neg, d) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if d.is_empty() || d.len() > 19 || !d.bytes().all(|c| c.is_ascii_digit()) {
        return Err(Error::Parse);
    }
    let v: i64 = d.parse().map_err(|_| Error::Parse)?;
    Ok(if neg { -v } else { v })
}

fn parse_bool(s: &str) -> Result<bool> {
    match s {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(Error::Parse),
    }
}

fn is_xml_ws(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r')
}

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Hex digits spread over `parts` (XML whitespace anywhere is skipped), decoded into a
/// zeroizing buffer of exactly the right size. `Parse` for an empty value, an odd count or a
/// non-hex character.
fn decode_hex<'a>(parts: impl Iterator<Item = &'a str> + Clone) -> Result<Zeroizing<Vec<u8>>> {
    let mut n = 0usize;
    for p in parts.clone() {
        for &c in p.as_bytes() {
            if is_xml_ws(c) {
                continue;
            }
            hex_val(c).ok_or(Error::Parse)?;
            n += 1;
        }
    }
    if n == 0 || !n.is_multiple_of(2) {
        return Err(Error::Parse);
    }
    let mut out = Zeroizing::new(Vec::with_capacity(n / 2));
    let mut hi: Option<u8> = None;
    for p in parts {
        for &c in p.as_bytes() {
            if let Some(v) = hex_val(c) {
                match hi.take() {
                    Some(h) => out.push(h << 4 | v),
                    None => hi = Some(v),
                }
            }
        }
    }
    Ok(out)
}

fn b64_val(c: u8) -> Option<u32> {
    match c {
        b'A'..=b'Z' => Some(u32::from(c - b'A')),
        b'a'..=b'z' => Some(u32::from(c - b'a') + 26),
        b'0'..=b'9' => Some(u32::from(c - b'0') + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// Standard base64 (padding optional, XML whitespace skipped); `Parse` if malformed.
fn decode_base64(s: &str) -> Result<Vec<u8>> {
    let chars: Vec<u8> = s.bytes().filter(|c| !is_xml_ws(*c)).collect();
    let body_len = chars.iter().rposition(|&c| c != b'=').map_or(0, |p| p + 1);
    let (body, pad) = chars.split_at(body_len);
    if body.is_empty()
        || pad.len() > 2
        || body.len() % 4 == 1
        || (!pad.is_empty() && !(body.len() + pad.len()).is_multiple_of(4))
    {
        return Err(Error::Parse);
    }
    let mut out = Vec::with_capacity(body.len() * 3 / 4);
    for chunk in body.chunks(4) {
        let mut acc = 0u32;
        for &c in chunk {
            acc = acc << 6 | b64_val(c).ok_or(Error::Parse)?;
        }
        match chunk.len() {
            4 => out.extend_from_slice(&acc.to_be_bytes()[1..]),
            3 => out.extend_from_slice(&(acc << 6).to_be_bytes()[1..3]),
            _ => out.push((acc >> 4) as u8),
        }
    }
    Ok(out)
}

/// UserID: hex when the text is an even number of hex digits, else base64.
fn decode_user_id(s: &str) -> Result<Vec<u8>> {
    let compact = s.bytes().filter(|c| !is_xml_ws(*c));
    let hexlike =
        compact.clone().all(|c| hex_val(c).is_some()) && compact.count().is_multiple_of(2);
    if hexlike {
        Ok(decode_hex(core::iter::once(s))?.to_vec())
    } else {
        decode_base64(s)
    }
}

// ---------------------------------------------------------------------------------------------
// Reader: a small element tree first, then the schema walk

#[derive(Clone, Copy, PartialEq, Eq)]
enum Ns {
    /// [`NAMESPACE`].
    Ours,
    /// Bound to another namespace.
    Foreign,
    /// No namespace (unprefixed, no default namespace in scope).
    Unbound,
}

struct Elem {
    ns: Ns,
    local: String,
    /// Attributes in no namespace: (local name, value).
    attrs: Vec<(String, String)>,
    /// The local part of an `xsi:type` value.
    xsi_type: Option<String>,
    children: Vec<Node>,
}

enum Node {
    Elem(Elem),
    Text(Zeroizing<String>),
}

impl Elem {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn is(&self, names: &[&str]) -> bool {
        self.ns == Ns::Ours && names.contains(&self.local.as_str())
    }

    /// The element children; `Parse` for non-whitespace text between them.
    fn elements(&self) -> Result<Seq<'_>> {
        let mut items = Vec::new();
        for c in &self.children {
            match c {
                Node::Elem(e) => items.push(e),
                Node::Text(t) => {
                    if !t.bytes().all(is_xml_ws) {
                        return Err(Error::Parse);
                    }
                }
            }
        }
        Ok(Seq { items, pos: 0 })
    }

    /// The text pieces of a leaf; `Parse` if it has element children.
    fn texts(&self) -> Result<impl Iterator<Item = &str> + Clone> {
        if self.children.iter().any(|c| matches!(c, Node::Elem(_))) {
            return Err(Error::Parse);
        }
        Ok(self.children.iter().filter_map(|c| match c {
            Node::Text(t) => Some(t.as_str()),
            Node::Elem(_) => None,
        }))
    }

    /// The trimmed text of a leaf.
    fn text(&self) -> Result<String> {
        let mut s = String::new();
        for t in self.texts()? {
            s.push_str(t);
        }
        Ok(s.trim_matches(|c: char| c.is_ascii() && is_xml_ws(c as u8))
            .to_owned())
    }

    /// Key material (KeyContentType hexBinary). `Unsupported` for the encrypted forms.
    fn key(&self) -> Result<Zeroizing<Vec<u8>>> {
        match self.xsi_type.as_deref() {
            None | Some("KeyContentType") | Some("hexBinary") => {}
            Some(_) => return Err(Error::Unsupported),
        }
        for c in &self.children {
            if let Node::Elem(e) = c {
                return Err(if e.local == "EncryptedKey" {
                    Error::Unsupported
                } else {
                    Error::Parse
                });
            }
        }
        decode_hex(self.texts()?)
    }
}

/// A cursor over the element children of one element, in schema order.
struct Seq<'a> {
    items: Vec<&'a Elem>,
    pos: usize,
}

impl<'a> Seq<'a> {
    fn opt(&mut self, names: &[&str]) -> Option<&'a Elem> {
        let e = *self.items.get(self.pos)?;
        if e.is(names) {
            self.pos += 1;
            Some(e)
        } else {
            None
        }
    }

    fn req(&mut self, names: &[&str]) -> Result<&'a Elem> {
        self.opt(names).ok_or(Error::Parse)
    }

    fn many(&mut self, names: &[&str], max: usize) -> Result<Vec<&'a Elem>> {
        let mut v = Vec::new();
        while let Some(e) = self.opt(names) {
            if v.len() == max {
                return Err(Error::Parse);
            }
            v.push(e);
        }
        Ok(v)
    }

    /// Nothing may remain, except elements of other namespaces when `extension` is set.
    fn finish(self, extension: bool) -> Result<()> {
        if self.items[self.pos..]
            .iter()
            .all(|e| extension && e.ns == Ns::Foreign)
        {
            Ok(())
        } else {
            Err(Error::Parse)
        }
    }
}

/// Appends `s` to the text of the innermost open element without leaving an unzeroized copy
/// behind (each growth moves into a fresh buffer of the exact size and wipes the old one).
/// `eol` applies the XML 1.0 end-of-line normalisation (`\r\n` and `\r` to `\n`) to raw text
/// while copying it, so that no intermediate copy of key text is made; text from character
/// references is taken as it is.
fn push_text(stack: &mut [Elem], s: &str, eol: bool) -> Result<()> {
    let Some(top) = stack.last_mut() else {
        // Outside the root only whitespace may appear.
        return if s.bytes().all(is_xml_ws) {
            Ok(())
        } else {
            Err(Error::Parse)
        };
    };
    if s.is_empty() {
        return Ok(());
    }
    let add = if eol {
        s.len() - s.matches("\r\n").count()
    } else {
        s.len()
    };
    let old = match top.children.last() {
        Some(Node::Text(t)) => t.as_str(),
        _ => "",
    };
    let mut grown = Zeroizing::new(String::with_capacity(old.len() + add));
    grown.push_str(old);
    if eol {
        let mut chars = s.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '\r' {
                chars.next_if_eq(&'\n');
                grown.push('\n');
            } else {
                grown.push(c);
            }
        }
    } else {
        grown.push_str(s);
    }
    match top.children.last_mut() {
        Some(Node::Text(t)) => *t = grown,
        _ => top.children.push(Node::Text(grown)),
    }
    Ok(())
}

fn classify(r: &ResolveResult<'_>) -> Result<Ns> {
    match r {
        ResolveResult::Bound(ns) if ns.as_ref() == NAMESPACE => Ok(Ns::Ours),
        ResolveResult::Bound(_) => Ok(Ns::Foreign),
        ResolveResult::Unbound => Ok(Ns::Unbound),
        ResolveResult::Unknown(_) => Err(Error::Parse),
    }
}

fn open(reader: &NsReader<&[u8]>, ns: Ns, e: &BytesStart<'_>) -> Result<Elem> {
    let local = e.local_name().into_inner().to_owned();
    let mut attrs = Vec::new();
    let mut xsi_type = None;
    for (i, a) in e.attributes().enumerate() {
        if i >= MAX_ATTRIBUTES {
            return Err(Error::Parse);
        }
        let a = a.map_err(|_| Error::Parse)?;
        if a.key.as_namespace_binding().is_some() {
            continue;
        }
        let value = a
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|_| Error::Parse)?;
        let (ans, alocal) = reader.resolver().resolve_attribute(a.key);
        let alocal = alocal.into_inner();
        let is_xsi = match &ans {
            ResolveResult::Bound(n) => n.as_ref() == XSI_NAMESPACE,
            // A writer that forgot to declare the xsi prefix.
            ResolveResult::Unknown(p) => p == "xsi",
            ResolveResult::Unbound => false,
        };
        if is_xsi && alocal == "type" {
            let v = value.trim();
            let local_part = v.rsplit(':').next().unwrap_or(v);
            xsi_type = Some(local_part.to_owned());
        } else if matches!(ans, ResolveResult::Unbound) {
            attrs.push((alocal.to_owned(), value.into_owned()));
        }
    }
    Ok(Elem {
        ns,
        local,
        attrs,
        xsi_type,
        children: Vec::new(),
    })
}

/// Reads `bytes` into an element tree (the root element), with every limit applied.
fn tree(bytes: &[u8]) -> Result<Elem> {
    if bytes.len() > MAX_DOCUMENT_LEN {
        return Err(Error::Parse);
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    core::str::from_utf8(bytes).map_err(|_| Error::Parse)?;
    let mut reader = NsReader::from_reader(bytes);
    reader.config_mut().expand_empty_elements = true;
    reader
        .resolver_mut()
        .set_max_namespace_bindings(MAX_NS_BINDINGS);
    let mut stack: Vec<Elem> = Vec::new();
    let mut root: Option<Elem> = None;
    let mut elements = 0usize;
    let mut first = true;
    loop {
        let (res, ev) = reader.read_resolved_event().map_err(|_| Error::Parse)?;
        let first = core::mem::replace(&mut first, false);
        let ns = classify(&res);
        match ev {
            Event::Start(e) => {
                elements += 1;
                if root.is_some() || stack.len() >= MAX_DEPTH || elements > MAX_ELEMENTS {
                    return Err(Error::Parse);
                }
                let elem = open(&reader, ns?, &e)?;
                stack.push(elem);
            }
            Event::End(_) => {
                let e = stack.pop().ok_or(Error::Parse)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(Node::Elem(e)),
                    None => root = Some(e),
                }
            }
            Event::Empty(_) => return Err(Error::Parse),
            Event::Text(t) => push_text(&mut stack, &t.into_inner(), true)?,
            Event::CData(t) => push_text(&mut stack, &t.into_inner(), true)?,
            Event::GeneralRef(r) => {
                let mut buf = [0u8; 4];
                let s: &str = match r.resolve_char_ref().map_err(|_| Error::Parse)? {
                    Some(c) if xml_char(c) => c.encode_utf8(&mut buf),
                    Some(_) => return Err(Error::Parse),
                    None => {
                        // Only the predefined entities: no DTD is read, so nothing else is
                        // declared, and nothing is ever expanded.
                        let name = r.into_inner();
                        quick_xml::escape::resolve_xml_entity(&name).ok_or(Error::Parse)?
                    }
                };
                if stack.is_empty() {
                    return Err(Error::Parse);
                }
                push_text(&mut stack, s, false)?;
                buf.zeroize();
            }
            Event::DocType(_) => return Err(Error::Unsupported),
            // The XML declaration only as the very first thing.
            Event::Decl(_) if !first => return Err(Error::Parse),
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(Error::Parse);
    }
    root.ok_or(Error::Parse)
}

fn opt_text(seq: &mut Seq<'_>, name: &str) -> Result<Option<String>> {
    seq.opt(&[name]).map(Elem::text).transpose()
}

fn opt_time(seq: &mut Seq<'_>, name: &str) -> Result<Option<u64>> {
    seq.opt(&[name])
        .map(|e| parse_datetime(&e.text()?))
        .transpose()
}

fn opt_bool(seq: &mut Seq<'_>, name: &str) -> Result<Option<bool>> {
    seq.opt(&[name]).map(|e| parse_bool(&e.text()?)).transpose()
}

fn req_u64(seq: &mut Seq<'_>, name: &str) -> Result<u64> {
    parse_u64(&seq.req(&[name])?.text()?)
}

fn read_certificate(e: &Elem) -> Result<KmsCertificateDoc> {
    let role = match e.attr("Role").map(str::trim) {
        None => None,
        Some("Root") => Some(KmsRole::Root),
        Some("External") => Some(KmsRole::External),
        Some(_) => return Err(Error::Parse),
    };
    let mut s = e.elements()?;
    let cert_uri = opt_text(&mut s, "CertUri")?;
    let kms_uri = s.req(&["KmsUri"])?.text()?;
    let issuer = opt_text(&mut s, "Issuer")?;
    let valid_from = opt_time(&mut s, "ValidFrom")?;
    let valid_to = opt_time(&mut s, "ValidTo")?;
    let revoked = opt_bool(&mut s, "Revoked")?;
    let user_id_format = s.req(&["UserIdFormat"])?.text()?;
    let user_key_period = req_u64(&mut s, "UserKeyPeriod")?;
    let user_key_offset = req_u64(&mut s, "UserKeyOffset")?;
    let pub_enc_key = s.req(&["PubEncKey"])?.key()?.to_vec();
    let pub_auth_key = s.req(&["PubAuthKey"])?.key()?.to_vec();
    let parameter_set = s
        .opt(&["ParameterSet"])
        .map(|e| parse_u64(&e.text()?))
        .transpose()?;
    let domains = match s.opt(&["KmsDomainList"]) {
        None => None,
        Some(list) => {
            let mut ds = list.elements()?;
            let d = ds
                .many(&["KmsDomain"], MAX_DOMAINS)?
                .into_iter()
                .map(Elem::text)
                .collect::<Result<Vec<_>>>()?;
            ds.finish(false)?;
            if d.is_empty() {
                return Err(Error::Parse);
            }
            Some(d)
        }
    };
    s.finish(true)?;
    Ok(KmsCertificateDoc {
        role,
        cert_uri,
        kms_uri,
        issuer,
        valid_from,
        valid_to,
        revoked,
        user_id_format,
        user_key_period,
        user_key_offset,
        pub_enc_key,
        pub_auth_key,
        parameter_set,
        domains,
    })
}

fn read_key_set(e: &Elem) -> Result<KmsKeySetDoc> {
    let mut s = e.elements()?;
    let kms_uri = s.req(&["KmsUri", "KMSUri"])?.text()?;
    let cert_uri = opt_text(&mut s, "CertUri")?;
    let issuer = opt_text(&mut s, "Issuer")?;
    let user_uri = s.req(&["UserUri"])?.text()?;
    let user_id = decode_user_id(&s.req(&["UserID"])?.text()?)?;
    let valid_from = opt_time(&mut s, "ValidFrom")?;
    let valid_to = opt_time(&mut s, "ValidTo")?;
    let key_period_no = req_u64(&mut s, "KeyPeriodNo")?;
    let revoked = opt_bool(&mut s, "Revoked")?;
    let user_decrypt_key = s.req(&["UserDecryptKey"])?.key()?;
    let user_signing_key = s.req(&["UserSigningKeySSK"])?.key()?;
    let user_pub_token = s.req(&["UserPubTokenPVT"])?.key()?.to_vec();
    s.finish(false)?;
    Ok(KmsKeySetDoc {
        kms_uri,
        cert_uri,
        issuer,
        user_uri,
        user_id,
        valid_from,
        valid_to,
        key_period_no,
        revoked,
        user_decrypt_key,
        user_signing_key,
        user_pub_token,
    })
}

fn read_message(e: &Elem) -> Result<KmsMessage> {
    let mut s = e.elements()?;
    let m = if let Some(init) = s.opt(&["KmsInit"]) {
        let mut c = init.elements()?;
        let certificate = Box::new(read_certificate(c.req(&["KmsCertificate"])?)?);
        c.finish(false)?;
        KmsMessage::Init(KmsInit { certificate })
    } else if let Some(prov) = s.opt(&["KmsKeyProv"]) {
        let mut c = prov.elements()?;
        let key_sets = c
            .many(&["KmsKeySet"], MAX_KEY_SETS)?
            .into_iter()
            .map(read_key_set)
            .collect::<Result<Vec<_>>>()?;
        c.finish(false)?;
        KmsMessage::KeyProv(KmsKeyProv { key_sets })
    } else if let Some(cache) = s.opt(&["KmsCertCache"]) {
        let cache_num = cache
            .attr("CacheNum")
            .map(|v| parse_u64(v.trim()))
            .transpose()?;
        let mut c = cache.elements()?;
        let certificates = c
            .many(&["KmsCertificate"], MAX_CERTIFICATES)?
            .into_iter()
            .map(read_certificate)
            .collect::<Result<Vec<_>>>()?;
        c.finish(false)?;
        KmsMessage::CertCache(KmsCertCache {
            cache_num,
            certificates,
        })
    } else {
        return Err(Error::Parse);
    };
    s.finish(false)?;
    Ok(m)
}

fn read_response(e: &Elem) -> Result<KmsResponse> {
    let mut s = e.elements()?;
    let user_uri = s.req(&["UserUri"])?.text()?;
    let kms_uri = s.req(&["KmsUri"])?.text()?;
    let time = parse_datetime(&s.req(&["Time"])?.text()?)?;
    let kms_id = opt_text(&mut s, "KmsId")?;
    let client_req_url = s.req(&["ClientReqUrl"])?.text()?;
    let body = if let Some(m) = s.opt(&["KmsMessage"]) {
        ResponseBody::Message(read_message(m)?)
    } else if let Some(err) = s.opt(&["KmsError"]) {
        let mut c = err.elements()?;
        let code = parse_i64(&c.req(&["ErrorCode"])?.text()?)?;
        let message = c.req(&["ErrorMsg"])?.text()?;
        c.finish(false)?;
        ResponseBody::Error(KmsError { code, message })
    } else {
        return Err(Error::Parse);
    };
    s.finish(true)?;
    Ok(KmsResponse {
        user_uri,
        kms_uri,
        time,
        kms_id,
        client_req_url,
        body,
    })
}

/// Reads a `KmsResponse` (or the one inside a `SignedKmsResponse`, whose XML signature is
/// **not** verified) from `bytes`. What is accepted and what is refused with which error is
/// listed in the module documentation; no input makes it panic.
pub fn parse(bytes: &[u8]) -> Result<KmsResponse> {
    let root = tree(bytes)?;
    if root.is(&["KmsResponse"]) {
        return read_response(&root);
    }
    if root.local == "SignedKmsResponse" && root.ns != Ns::Foreign {
        let mut inner = None;
        for c in root.elements()?.items {
            if c.is(&["KmsResponse"]) && inner.is_none() {
                inner = Some(c);
            } else if c.ns != Ns::Foreign {
                return Err(Error::Parse);
            }
        }
        return read_response(inner.ok_or(Error::Parse)?);
    }
    Err(Error::Parse)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetime_round_trip_and_forms() {
        for s in [0u64, 86_399, 3_913_056_000, NTP_MAX_SECS] {
            let t = format_datetime(s).unwrap();
            assert_eq!(parse_datetime(&t), Ok(s), "{t}");
        }
        assert_eq!(format_datetime(0).unwrap(), "1900-01-01T00:00:00Z");
        let z = parse_datetime("2024-02-29T12:00:00Z").unwrap();
        assert_eq!(parse_datetime("2024-02-29T12:00:00"), Ok(z));
        assert_eq!(parse_datetime("2024-02-29T12:00:00.123456"), Ok(z));
        assert_eq!(parse_datetime("2024-02-29T14:30:00+02:30"), Ok(z));
        assert_eq!(parse_datetime("2024-02-29T09:00:00-03:00"), Ok(z));
        for bad in [
            "2023-02-29T00:00:00Z",
            "2024-13-01T00:00:00Z",
            "2024-01-01T24:00:00Z",
            "2024-01-01 00:00:00Z",
            "2024-01-01T00:00:00.Z",
            "2024-01-01T00:00:00+2:00",
            "1899-12-31T23:59:59Z",
            "2200-01-01T00:00:00Z",
            "+024-01-01T00:00:00Z",
            "",
        ] {
            assert_eq!(parse_datetime(bad), Err(Error::Parse), "{bad}");
        }
    }

    #[test]
    fn hex_and_base64() {
        assert_eq!(
            &*decode_hex(["0aF", "9 \n"].into_iter()).unwrap(),
            &[0x0a, 0xf9]
        );
        assert_eq!(decode_hex(["abc"].into_iter()), Err(Error::Parse));
        assert_eq!(decode_hex(["zz"].into_iter()), Err(Error::Parse));
        assert_eq!(decode_hex([" "].into_iter()), Err(Error::Parse));
        assert_eq!(decode_base64("aGVsbG8=").unwrap(), b"hello");
        assert_eq!(decode_base64("aGVsbG8").unwrap(), b"hello");
        assert_eq!(decode_base64("aGVs bG8h").unwrap(), b"hello!");
        assert_eq!(decode_base64("aGVsbG8==="), Err(Error::Parse));
        assert_eq!(decode_base64("a"), Err(Error::Parse));
        assert_eq!(decode_base64("a*=="), Err(Error::Parse));
        assert_eq!(decode_user_id("00ff").unwrap(), vec![0, 255]);
        assert_eq!(decode_user_id("AP8=").unwrap(), vec![0, 255]);
    }

    #[test]
    fn integers() {
        assert_eq!(parse_u64("+007"), Ok(7));
        assert_eq!(parse_u64("18446744073709551616"), Err(Error::Parse));
        assert_eq!(parse_u64("-1"), Err(Error::Parse));
        assert_eq!(parse_i64("-42"), Ok(-42));
        assert_eq!(parse_i64("-"), Err(Error::Parse));
    }
}
