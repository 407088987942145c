//! The roles for Python, sans-IO: `Kms`, `KmsCertificate`, `KeySet` (with the TS 33.180
//! Annex D provisioning documents), `GroupManager`, `Member` (every received message reported as
//! a `MemberEvent`), `Initiator`. Both identifier profiles. Mirrors the C ABI.

use crate::srtp::{copy_op, Op};
use crate::{exception_instance, to_py};
use prose_sec::group::initiator::Initiator as CoreInitiator;
use prose_sec::group::manager::{Manager, Notification};
use prose_sec::group::member::{Event, Member as CoreMember};
use prose_sec::kms::provision::{
    self, KmsCertificateDoc, KmsInit, KmsKeyProv, KmsKeySetDoc, KmsMessage, KmsResponse,
    ResponseBody,
};
use prose_sec::kms::{
    IdFormat, KeyPeriods, KeySet as CoreKeySet, Kms as CoreKms, KmsCertificate as CoreCert,
};
use prose_sec::mikey::PskPolicy;
use prose_sec::srtp::{Profile as SrtpProfile, Session};
use prose_sec::Error;
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use rand_core::OsRng;
use std::sync::{Mutex, MutexGuard};

type R<T> = Result<T, Error>;
/// A notification as Python sees it: (member URI, GMK-ID, I_MESSAGE).
type PyNote = (Py<PyBytes>, u32, Py<PyBytes>);

fn err(py: Python<'_>) -> impl Fn(Error) -> PyErr + '_ {
    move |e| to_py(py, e)
}

fn utf8(b: &[u8]) -> R<String> {
    String::from_utf8(b.to_vec()).map_err(|_| Error::InvalidParameter)
}

fn response_xml(
    user_uri: &[u8],
    kms_uri: &[u8],
    now: u64,
    path: &str,
    message: KmsMessage,
) -> R<Vec<u8>> {
    let kms_uri = utf8(kms_uri)?;
    let doc = KmsResponse {
        user_uri: utf8(user_uri)?,
        client_req_url: format!("https://{kms_uri}/keymanagement/identity/v1/{path}"),
        kms_uri,
        time: now,
        kms_id: None,
        body: ResponseBody::Message(message),
    };
    Ok(doc.to_xml()?.to_vec())
}

/// A key set: one identity's RSK, SSK and PVT for one key period.
#[pyclass(module = "prose_sec._native", frozen)]
pub struct KeySet {
    inner: CoreKeySet,
}

#[pymethods]
impl KeySet {
    /// UserUri.
    #[getter]
    fn user_uri<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.inner.user_uri)
    }
    /// UserID: the identifier for the period.
    #[getter]
    fn user_id<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.inner.user_id)
    }
    /// KeyPeriodNo.
    #[getter]
    fn period_no(&self) -> u64 {
        self.inner.period_no
    }
    /// ValidFrom (NTP seconds, inclusive).
    #[getter]
    fn valid_from(&self) -> u64 {
        self.inner.valid_from
    }
    /// ValidTo (NTP seconds, exclusive).
    #[getter]
    fn valid_to(&self) -> u64 {
        self.inner.valid_to
    }
    fn __repr__(&self) -> String {
        format!(
            "KeySet(user_uri={:?}, period_no={})",
            String::from_utf8_lossy(&self.inner.user_uri),
            self.inner.period_no
        )
    }
}

/// A KMS: SAKKE and ECCSI master secrets and its key periods.
#[pyclass(module = "prose_sec._native")]
pub struct Kms {
    inner: CoreKms,
}

#[pymethods]
impl Kms {
    /// A KMS with fresh master secrets for `kms_uri`; `id_format` is "prose" (calendar months)
    /// or "mcptt" (periods of `period_secs` from `offset_secs`).
    #[new]
    #[pyo3(signature = (kms_uri, id_format = "prose", period_secs = 0, offset_secs = 0))]
    fn new(
        py: Python<'_>,
        kms_uri: &[u8],
        id_format: &str,
        period_secs: u64,
        offset_secs: u64,
    ) -> PyResult<Self> {
        let format = match id_format {
            "prose" => IdFormat::Prose,
            "mcptt" => IdFormat::Mcptt {
                period_secs,
                offset_secs,
            },
            _ => return Err(to_py(py, Error::InvalidParameter)),
        };
        let periods = KeyPeriods::new(kms_uri, format).map_err(err(py))?;
        let inner = py
            .detach(|| CoreKms::generate(periods, &mut OsRng))
            .map_err(err(py))?;
        Ok(Kms { inner })
    }

    /// The KMS certificate (its public parameters).
    fn certificate(&self) -> KmsCertificate {
        KmsCertificate {
            inner: self.inner.certificate(),
        }
    }

    /// The KeyPeriodNo of the period holding `now_ntp_seconds`.
    fn period_no(&self, py: Python<'_>, now_ntp_seconds: u64) -> PyResult<u64> {
        self.inner
            .periods()
            .period_no(now_ntp_seconds)
            .map_err(err(py))
    }

    /// The key set of `uri` for key period `period_no`.
    fn issue(&self, py: Python<'_>, uri: &[u8], period_no: u64) -> PyResult<KeySet> {
        let kms = &self.inner;
        let inner = py
            .detach(|| kms.issue(uri, period_no, &mut OsRng))
            .map_err(err(py))?;
        Ok(KeySet { inner })
    }

    /// The key sets of `uri` for the period holding `now_ntp_seconds` and the next one.
    fn issue_current_and_next(
        &self,
        py: Python<'_>,
        uri: &[u8],
        now_ntp_seconds: u64,
    ) -> PyResult<(KeySet, KeySet)> {
        let kms = &self.inner;
        let [a, b] = py
            .detach(|| kms.issue_current_and_next(uri, now_ntp_seconds, &mut OsRng))
            .map_err(err(py))?;
        Ok((KeySet { inner: a }, KeySet { inner: b }))
    }

    /// Key sets for many identities and one period, on every core: one entry per URI, the key
    /// set or that URI's error as an exception instance (not raised).
    fn issue_many<'py>(
        &self,
        py: Python<'py>,
        uris: Vec<Vec<u8>>,
        period_no: u64,
    ) -> PyResult<Vec<Bound<'py, PyAny>>> {
        let kms = &self.inner;
        let refs: Vec<&[u8]> = uris.iter().map(Vec::as_slice).collect();
        let sets = py
            .detach(|| kms.issue_many(&refs, period_no, &mut OsRng))
            .map_err(err(py))?;
        sets.into_iter()
            .map(|r| match r {
                Ok(inner) => Ok(Bound::new(py, KeySet { inner })?.into_any()),
                Err(e) => exception_instance(py, e),
            })
            .collect()
    }

    /// The `KmsKeyProv` response (UTF-8 XML) of this KMS to `user_uri` at `now_ntp_seconds`
    /// carrying `key_sets`. It holds secret keys.
    fn key_prov_xml<'py>(
        &self,
        py: Python<'py>,
        user_uri: &[u8],
        key_sets: Vec<PyRef<'py, KeySet>>,
        now_ntp_seconds: u64,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let kms_uri = self.inner.periods().kms_uri();
        let docs = key_sets
            .iter()
            .map(|k| KmsKeySetDoc::from_key_set(kms_uri, &k.inner))
            .collect::<R<Vec<_>>>()
            .map_err(err(py))?;
        let msg = KmsMessage::KeyProv(KmsKeyProv { key_sets: docs });
        let xml =
            response_xml(user_uri, kms_uri, now_ntp_seconds, "keyprov", msg).map_err(err(py))?;
        Ok(PyBytes::new(py, &xml))
    }
}

/// The KMS certificate a member holds: key periods, KMS URI, SAKKE Z and ECCSI KPAK.
#[pyclass(module = "prose_sec._native", frozen)]
pub struct KmsCertificate {
    inner: CoreCert,
}

#[pymethods]
impl KmsCertificate {
    /// The certificate of a `KmsInit` response (XML); `ParseError` if it carries none.
    #[staticmethod]
    fn from_xml(py: Python<'_>, xml: &[u8]) -> PyResult<Self> {
        let doc = provision::parse(xml).map_err(err(py))?;
        let inner = doc
            .certificate()
            .ok_or(Error::Parse)
            .and_then(KmsCertificateDoc::to_certificate)
            .map_err(err(py))?;
        Ok(KmsCertificate { inner })
    }

    /// The `KmsInit` response (UTF-8 XML) carrying this certificate to `user_uri`.
    fn to_xml<'py>(
        &self,
        py: Python<'py>,
        user_uri: &[u8],
        now_ntp_seconds: u64,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let doc = KmsCertificateDoc::from_certificate(&self.inner).map_err(err(py))?;
        let msg = KmsMessage::Init(KmsInit {
            certificate: Box::new(doc),
        });
        let kms_uri = self.inner.periods.kms_uri();
        let xml = response_xml(user_uri, kms_uri, now_ntp_seconds, "init", msg).map_err(err(py))?;
        Ok(PyBytes::new(py, &xml))
    }

    /// The key sets of a `KmsKeyProv` response (XML) from this KMS, decoded (checked as a whole
    /// when a member adds one).
    fn key_sets_from_xml(&self, py: Python<'_>, xml: &[u8]) -> PyResult<Vec<KeySet>> {
        let doc = provision::parse(xml).map_err(err(py))?;
        doc.key_sets()
            .iter()
            .map(|d| d.to_key_set(&self.inner.periods))
            .map(|r| r.map(|inner| KeySet { inner }).map_err(err(py)))
            .collect()
    }

    /// "prose" or "mcptt".
    #[getter]
    fn id_format(&self) -> &'static str {
        match self.inner.periods.format() {
            IdFormat::Prose => "prose",
            _ => "mcptt",
        }
    }

    /// The KMS URI.
    #[getter]
    fn kms_uri<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.inner.periods.kms_uri())
    }

    /// The KeyPeriodNo of the period holding `now_ntp_seconds`.
    fn period_no(&self, py: Python<'_>, now_ntp_seconds: u64) -> PyResult<u64> {
        self.inner
            .periods
            .period_no(now_ntp_seconds)
            .map_err(err(py))
    }

    /// The validity of period `period_no` as (valid_from, valid_to), NTP seconds.
    fn validity(&self, py: Python<'_>, period_no: u64) -> PyResult<(u64, u64)> {
        self.inner.periods.validity(period_no).map_err(err(py))
    }

    /// The identifier of `uri` for period `period_no`.
    fn identifier<'py>(
        &self,
        py: Python<'py>,
        uri: &[u8],
        period_no: u64,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let id = self
            .inner
            .periods
            .identifier(uri, period_no)
            .map_err(err(py))?;
        Ok(PyBytes::new(py, &id))
    }

    /// Checks `key_set` for `uri` at `now_ntp_seconds` as a member does; raises the reason it
    /// is refused.
    fn accept(
        &self,
        py: Python<'_>,
        uri: &[u8],
        key_set: &KeySet,
        now_ntp_seconds: u64,
    ) -> PyResult<()> {
        let cert = &self.inner;
        let ks = key_set.inner.clone();
        py.detach(|| cert.accept(uri, ks, now_ntp_seconds).map(drop))
            .map_err(err(py))
    }
}

fn notes(py: Python<'_>, list: Vec<Notification>) -> Vec<PyNote> {
    list.into_iter()
        .map(|n| {
            (
                PyBytes::new(py, &n.member).unbind(),
                n.gmk_id,
                PyBytes::new(py, &n.message).unbind(),
            )
        })
        .collect()
}

/// A Group Manager: the group, its key set (it signs as the group identity), members and GMKs.
#[pyclass(module = "prose_sec._native")]
pub struct GroupManager {
    inner: Manager,
}

#[pymethods]
impl GroupManager {
    /// A manager for `group_uri` signing with the group's `key_set` (checked against `cert` at
    /// `now_ntp_seconds`).
    #[new]
    fn new(
        py: Python<'_>,
        group_uri: &[u8],
        cert: &KmsCertificate,
        key_set: &KeySet,
        now_ntp_seconds: u64,
    ) -> PyResult<Self> {
        let c = &cert.inner;
        let ks = key_set.inner.clone();
        let inner = py
            .detach(|| {
                let keys = c.accept(group_uri, ks, now_ntp_seconds)?;
                Manager::new(group_uri, c.clone(), keys)
            })
            .map_err(err(py))?;
        Ok(GroupManager { inner })
    }

    /// The group URI.
    #[getter]
    fn group_uri<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.inner.group_uri())
    }

    /// The members' URIs.
    fn members<'py>(&self, py: Python<'py>) -> Vec<Bound<'py, PyBytes>> {
        self.inner.members().map(|m| PyBytes::new(py, m)).collect()
    }

    /// Adds a member; False if already one.
    fn add_member(&mut self, py: Python<'_>, uri: &[u8]) -> PyResult<bool> {
        self.inner.add_member(uri).map_err(err(py))
    }

    /// Removes a member (follow with `rekey`); False if it was none.
    fn remove_member(&mut self, uri: &[u8]) -> bool {
        self.inner.remove_member(uri)
    }

    /// Creates a GMK valid from `activation` to `expiry` (NTP seconds, 0 for none), now
    /// current; returns its GMK-ID.
    #[pyo3(signature = (activation = 0, expiry = 0))]
    fn create_gmk(&mut self, py: Python<'_>, activation: u64, expiry: u64) -> PyResult<u32> {
        self.inner
            .create_gmk(activation, expiry, &mut OsRng)
            .map_err(err(py))
    }

    /// The current GMK-ID, or None.
    fn current(&self) -> Option<u32> {
        self.inner.current()
    }

    /// One GMK I_MESSAGE per member for GMK `gmk_id`: [(member_uri, gmk_id, message)].
    fn notifications(
        &mut self,
        py: Python<'_>,
        gmk_id: u32,
        now_ntp_seconds: u64,
    ) -> PyResult<Vec<PyNote>> {
        let m = &mut self.inner;
        let list = py
            .detach(|| m.notifications(gmk_id, now_ntp_seconds, &mut OsRng))
            .map_err(err(py))?;
        Ok(notes(py, list))
    }

    /// The I_MESSAGEs of GMK `gmk_id` for the given members only.
    fn notify_some(
        &mut self,
        py: Python<'_>,
        gmk_id: u32,
        members: Vec<Vec<u8>>,
        now_ntp_seconds: u64,
    ) -> PyResult<Vec<PyNote>> {
        let m = &mut self.inner;
        let list = py
            .detach(|| m.notify_some(gmk_id, &members, now_ntp_seconds, &mut OsRng))
            .map_err(err(py))?;
        Ok(notes(py, list))
    }

    /// A new GMK for every current member: (gmk_id, notifications).
    #[pyo3(signature = (now_ntp_seconds, expiry = 0))]
    fn rekey(
        &mut self,
        py: Python<'_>,
        now_ntp_seconds: u64,
        expiry: u64,
    ) -> PyResult<(u32, Vec<PyNote>)> {
        let m = &mut self.inner;
        let (id, list) = py
            .detach(|| m.rekey(now_ntp_seconds, expiry, &mut OsRng))
            .map_err(err(py))?;
        Ok((id, notes(py, list)))
    }

    /// Revokes GMK `gmk_id`; returns the messages telling every member.
    fn revoke(
        &mut self,
        py: Python<'_>,
        gmk_id: u32,
        now_ntp_seconds: u64,
    ) -> PyResult<Vec<PyNote>> {
        let m = &mut self.inner;
        let list = py
            .detach(|| m.revoke(gmk_id, now_ntp_seconds, &mut OsRng))
            .map_err(err(py))?;
        Ok(notes(py, list))
    }

    /// Records that `member` confirmed GMK `gmk_id`.
    fn confirm(&mut self, py: Python<'_>, member: &[u8], gmk_id: u32) -> PyResult<()> {
        self.inner.confirm(member, gmk_id).map_err(err(py))
    }

    /// The members that have not confirmed GMK `gmk_id`.
    fn unconfirmed<'py>(&self, py: Python<'py>, gmk_id: u32) -> PyResult<Vec<Bound<'py, PyBytes>>> {
        let list = self.inner.unconfirmed(gmk_id).map_err(err(py))?;
        Ok(list.iter().map(|m| PyBytes::new(py, m)).collect())
    }
}

/// What a `Member.handle` call did: `kind` is "gmk_accepted", "session_started", "rekeyed",
/// "resent" or "refused"; `group` the group URI (None if a refused message named none);
/// `gmk_id` / `gsk_id` where they apply; `reason` the refusal's exception instance (a
/// `ProseError` subclass, not raised), else None.
#[pyclass(module = "prose_sec._native", frozen, get_all)]
pub struct MemberEvent {
    kind: &'static str,
    group: Option<Py<PyBytes>>,
    gmk_id: Option<u32>,
    gsk_id: Option<u32>,
    reason: Option<Py<PyAny>>,
}

#[pymethods]
impl MemberEvent {
    fn __repr__(&self, py: Python<'_>) -> String {
        let group = self
            .group
            .as_ref()
            .map(|g| String::from_utf8_lossy(g.as_bytes(py)).into_owned());
        let reason = self
            .reason
            .as_ref()
            .and_then(|r| r.bind(py).get_type().name().ok().map(|n| n.to_string()));
        format!(
            "MemberEvent(kind={:?}, group={:?}, gmk_id={:?}, gsk_id={:?}, reason={:?})",
            self.kind, group, self.gmk_id, self.gsk_id, reason
        )
    }
}

fn member_event(py: Python<'_>, e: Event) -> PyResult<MemberEvent> {
    let g = |g: &[u8]| Some(PyBytes::new(py, g).unbind());
    Ok(match e {
        Event::GmkAccepted { group, gmk_id } => MemberEvent {
            kind: "gmk_accepted",
            group: g(&group),
            gmk_id: Some(gmk_id),
            gsk_id: None,
            reason: None,
        },
        Event::SessionStarted { group, gsk_id } => MemberEvent {
            kind: "session_started",
            group: g(&group),
            gmk_id: None,
            gsk_id: Some(gsk_id),
            reason: None,
        },
        Event::Rekeyed { group, gsk_id } => MemberEvent {
            kind: "rekeyed",
            group: g(&group),
            gmk_id: None,
            gsk_id: Some(gsk_id),
            reason: None,
        },
        Event::Resent { group, gsk_id } => MemberEvent {
            kind: "resent",
            group: g(&group),
            gmk_id: None,
            gsk_id: Some(gsk_id),
            reason: None,
        },
        Event::Refused { group, reason } => MemberEvent {
            kind: "refused",
            group: group.as_deref().and_then(g),
            gmk_id: None,
            gsk_id: None,
            reason: Some(exception_instance(py, reason)?.unbind()),
        },
        #[allow(unreachable_patterns)]
        _ => MemberEvent {
            kind: "refused",
            group: None,
            gmk_id: None,
            gsk_id: None,
            reason: Some(exception_instance(py, Error::Unsupported)?.unbind()),
        },
    })
}

/// A member: URI, KMS certificate, key sets by period, joined groups with their GMKs and SRTP
/// receive sessions.
#[pyclass(module = "prose_sec._native")]
pub struct Member {
    /// Behind a mutex: the core member keeps caches that are not `Sync`.
    inner: Mutex<CoreMember>,
}

impl Member {
    fn lock(&self) -> MutexGuard<'_, CoreMember> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn group_op<'py>(
        &mut self,
        py: Python<'py>,
        group_uri: &[u8],
        packet: &[u8],
        op: Op,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let mut m = self.lock();
        let session = m
            .session(group_uri)
            .ok_or_else(|| to_py(py, Error::UnknownKey))?;
        copy_op(py, session, packet, op)
    }
}

#[pymethods]
impl Member {
    /// A member `uri` of the KMS `cert`; GSK offers older or newer than `max_skew_secs` (0: 30)
    /// are refused, and unsigned ones if `require_signature`.
    #[new]
    #[pyo3(signature = (uri, cert, require_signature = true, max_skew_secs = 0))]
    fn new(uri: &[u8], cert: &KmsCertificate, require_signature: bool, max_skew_secs: u64) -> Self {
        let mut policy = PskPolicy {
            require_signature,
            ..PskPolicy::default()
        };
        if max_skew_secs != 0 {
            policy.max_skew_secs = max_skew_secs;
        }
        Member {
            inner: Mutex::new(CoreMember::new(uri, cert.inner.clone(), policy)),
        }
    }

    /// The member's URI.
    #[getter]
    fn uri<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.lock().uri())
    }

    /// Validates and keeps (a copy of) a key set; raises the reason it is refused.
    fn add_key_set(
        &mut self,
        py: Python<'_>,
        key_set: &KeySet,
        now_ntp_seconds: u64,
    ) -> PyResult<()> {
        let mut guard = self.lock();
        let m: &mut CoreMember = &mut guard;
        let ks = key_set.inner.clone();
        py.detach(|| m.add_key_set(ks, now_ntp_seconds))
            .map_err(err(py))
    }

    /// Joins a group (GMK messages and offers of other groups are refused).
    fn join(&mut self, group_uri: &[u8]) {
        self.lock().join(group_uri);
    }

    /// Handles any message of the member's protocol (GMK I_MESSAGE or GSK offer); never raises
    /// for the message: a refusal is a `MemberEvent` of kind "refused" with its reason.
    fn handle(
        &mut self,
        py: Python<'_>,
        msg: &[u8],
        now_ntp_seconds: u64,
    ) -> PyResult<MemberEvent> {
        let mut guard = self.lock();
        let m: &mut CoreMember = &mut guard;
        let e = py.detach(|| m.handle(msg, now_ntp_seconds));
        drop(guard);
        member_event(py, e)
    }

    /// The current GMK-ID of a joined group, or None.
    fn current_gmk(&self, group_uri: &[u8], now_ntp_seconds: u64) -> Option<u32> {
        self.lock()
            .current_gmk(group_uri, now_ntp_seconds)
            .map(|g| g.gmk_id())
    }

    /// Whether the group has a receive session (a GSK arrived).
    fn has_session(&mut self, group_uri: &[u8]) -> bool {
        self.lock().session(group_uri).is_some()
    }

    /// Verifies and decrypts an SRTP packet with the group's receive session (`UnknownKey`
    /// without one); returns the RTP packet.
    fn unprotect_rtp<'py>(
        &mut self,
        py: Python<'py>,
        group_uri: &[u8],
        packet: &[u8],
    ) -> PyResult<Bound<'py, PyBytes>> {
        self.group_op(py, group_uri, packet, Session::unprotect_rtp)
    }

    /// Verifies and decrypts an SRTCP packet with the group's receive session.
    fn unprotect_rtcp<'py>(
        &mut self,
        py: Python<'py>,
        group_uri: &[u8],
        packet: &[u8],
    ) -> PyResult<Bound<'py, PyBytes>> {
        self.group_op(py, group_uri, packet, Session::unprotect_rtcp)
    }

    /// Starts a call to a joined group under its current GMK: SRTP `profile` (a `PROFILE_*`
    /// id), sending from `ssrcs`, offers signed with the member's key set if `sign`.
    #[pyo3(signature = (group_uri, profile, ssrcs, now_ntp_seconds, sign = true))]
    fn start_call(
        &self,
        py: Python<'_>,
        group_uri: &[u8],
        profile: u16,
        ssrcs: Vec<u32>,
        now_ntp_seconds: u64,
        sign: bool,
    ) -> PyResult<Initiator> {
        let profile = SrtpProfile::from_id(profile).map_err(err(py))?;
        let mut guard = self.lock();
        let m: &mut CoreMember = &mut guard;
        let inner = py
            .detach(move || m.start_call(group_uri, profile, &ssrcs, now_ntp_seconds, sign))
            .map_err(err(py))?;
        Ok(Initiator { inner })
    }
}

/// A call a member started: its GSK offers and its SRTP send session.
#[pyclass(module = "prose_sec._native")]
pub struct Initiator {
    inner: CoreInitiator,
}

#[pymethods]
impl Initiator {
    /// The GSK-ID (also the SRTP MKI).
    #[getter]
    fn gsk_id(&self) -> u32 {
        self.inner.gsk_id()
    }

    /// The GMK-ID the offers are made under.
    #[getter]
    fn gmk_id(&self) -> u32 {
        self.inner.gmk_id()
    }

    /// The offer made at start (to send with the call set-up).
    fn first_offer<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.inner.first_offer())
    }

    /// The SDP offer of the first offer (`a=key-mgmt:mikey`, one audio stream on `port`).
    fn sdp_offer(&self, origin_addr: &str, port: u16) -> String {
        self.inner.sdp_offer(origin_addr, port)
    }

    /// Sets the re-send interval (at least one second; 5 by default).
    fn set_resend_secs(&mut self, py: Python<'_>, secs: u64) -> PyResult<()> {
        self.inner.set_resend_secs(secs).map_err(err(py))
    }

    /// The offer to re-send for late entry if one is due at `now_ntp_seconds`, else None;
    /// signed with the key set of `signer` (the member that started the call), or unsigned if
    /// None.
    #[pyo3(signature = (now_ntp_seconds, signer = None))]
    fn resend_due<'py>(
        &mut self,
        py: Python<'py>,
        now_ntp_seconds: u64,
        signer: Option<PyRef<'py, Member>>,
    ) -> PyResult<Option<Bound<'py, PyBytes>>> {
        let guard = signer.as_ref().map(|m| m.lock());
        let key = match &guard {
            Some(m) => Some(
                m.signing_key(now_ntp_seconds)
                    .ok_or_else(|| to_py(py, Error::UnknownKey))?,
            ),
            None => None,
        };
        let offer = self
            .inner
            .resend_due(now_ntp_seconds, key)
            .map_err(err(py))?;
        Ok(offer.map(|o| PyBytes::new(py, &o)))
    }

    /// The most octets protecting adds to a packet.
    #[getter]
    fn max_overhead(&mut self) -> usize {
        self.inner.session().max_overhead()
    }

    /// Protects an RTP packet with the call's send session; returns the SRTP packet.
    fn protect_rtp<'py>(
        &mut self,
        py: Python<'py>,
        packet: &[u8],
    ) -> PyResult<Bound<'py, PyBytes>> {
        copy_op(py, self.inner.session(), packet, Session::protect_rtp)
    }

    /// Protects an RTCP compound packet with the call's send session.
    fn protect_rtcp<'py>(
        &mut self,
        py: Python<'py>,
        packet: &[u8],
    ) -> PyResult<Bound<'py, PyBytes>> {
        copy_op(py, self.inner.session(), packet, Session::protect_rtcp)
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Kms>()?;
    m.add_class::<KmsCertificate>()?;
    m.add_class::<KeySet>()?;
    m.add_class::<GroupManager>()?;
    m.add_class::<Member>()?;
    m.add_class::<MemberEvent>()?;
    m.add_class::<Initiator>()?;
    Ok(())
}
