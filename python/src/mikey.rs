//! MIKEY for Python: the GMK I_MESSAGE (`prose` profile), the member's GmkStore, GSK offers and
//! their receiver, SRTP keying, SDP key-mgmt lines, text decoding. Mirrors the C ABI.

use crate::eccsi::{EccsiKpak, EccsiSigningKey};
use crate::sakke::{SakkeDecapsulationKey, SakkeKmsPublic};
use crate::srtp::SrtpSession;
use crate::to_py;
use prose_sec::group::GskReceiver as CoreReceiver;
use prose_sec::group::{self, GmkStore as CoreStore};
use prose_sec::mikey::{self, PskPolicy, SrtpKeying as CoreKeying};
use prose_sec::srtp::Profile as SrtpProfile;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

/// The GMKs a member holds, by GMK-ID; the newest message's GMK is current.
#[pyclass(module = "prose_sec._native")]
pub struct GmkStore {
    inner: CoreStore,
}

#[pymethods]
impl GmkStore {
    #[new]
    #[pyo3(signature = (capacity = 16))]
    fn new(capacity: usize) -> Self {
        GmkStore {
            inner: CoreStore::new(capacity),
        }
    }

    /// Verifies and decapsulates a GMK I_MESSAGE (`prose`) for `member_uri` from `group_uri`
    /// and stores the GMK; returns its GMK-ID. The store is unchanged on error.
    #[allow(clippy::too_many_arguments)]
    fn process(
        &mut self,
        py: Python<'_>,
        kpak: &EccsiKpak,
        key: &SakkeDecapsulationKey,
        member_uri: &[u8],
        group_uri: &[u8],
        now_ntp_seconds: u64,
        msg: &[u8],
    ) -> PyResult<u32> {
        let store = &mut self.inner;
        let r = py.detach(|| {
            store.process_prose_message(
                &kpak.inner,
                &key.inner,
                member_uri,
                group_uri,
                now_ntp_seconds,
                msg,
            )
        });
        let id = r.map_err(|e| to_py(py, e))?;
        Ok(id)
    }

    /// The current GMK of `group` (its URI) as (GMK-ID, 16 octets), or None.
    fn current<'py>(
        &self,
        py: Python<'py>,
        group: &[u8],
        now_ntp_seconds: u64,
    ) -> Option<(u32, Bound<'py, PyBytes>)> {
        self.inner
            .current(group, now_ntp_seconds)
            .map(|g| (g.gmk_id(), PyBytes::new(py, g.gmk())))
    }

    fn __len__(&self) -> usize {
        self.inner.len()
    }
}

/// What an SRTP session needs from an accepted GSK offer.
#[pyclass(module = "prose_sec._native", frozen)]
pub struct SrtpKeying {
    inner: CoreKeying,
}

#[pymethods]
impl SrtpKeying {
    /// SRTP profile id (as SrtpSession takes).
    #[getter]
    fn profile(&self) -> u16 {
        self.inner.profile().id()
    }
    /// The master key (the GSK).
    #[getter]
    fn master_key<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.inner.master_key())
    }
    /// The master salt.
    #[getter]
    fn master_salt<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.inner.master_salt())
    }
    /// The MKI (the GSK-ID).
    #[getter]
    fn mki<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.inner.mki())
    }
    /// The GSK-ID.
    #[getter]
    fn gsk_id(&self) -> u32 {
        self.inner.gsk_id()
    }
    /// The GMK-ID the GSK was protected under.
    #[getter]
    fn gmk_id(&self) -> u32 {
        self.inner.gmk_id()
    }
    /// Whether the offer was signed (and the signature verified).
    #[getter]
    fn signed(&self) -> bool {
        self.inner.signed()
    }
    /// The initiator's senders as [(ssrc, roc)].
    #[getter]
    fn senders(&self) -> Vec<(u32, u32)> {
        self.inner
            .senders()
            .iter()
            .map(|s| (s.ssrc, s.roc))
            .collect()
    }
    /// An SRTP session for this keying, with the initiator's ROCs set.
    fn session(&self, py: Python<'_>) -> PyResult<SrtpSession> {
        let s = group::srtp_session(&self.inner).map_err(|e| to_py(py, e))?;
        Ok(SrtpSession { inner: s })
    }
    fn __repr__(&self) -> String {
        format!("{:?}", self.inner)
    }
}

/// The receiver of GSK offers (policy and replay cache).
#[pyclass(module = "prose_sec._native")]
pub struct GskReceiver {
    inner: CoreReceiver,
}

#[pymethods]
impl GskReceiver {
    #[new]
    #[pyo3(signature = (group_uri = None, require_signature = false, max_skew_secs = 30))]
    fn new(group_uri: Option<Vec<u8>>, require_signature: bool, max_skew_secs: u64) -> Self {
        GskReceiver {
            inner: CoreReceiver::new(PskPolicy {
                group_uri,
                require_signature,
                max_skew_secs,
                ..PskPolicy::default()
            }),
        }
    }

    /// Processes a GSK offer with the GMKs of `store`; `kpak` verifies a signature.
    #[pyo3(signature = (store, msg, now_ntp_seconds, kpak = None))]
    fn process(
        &mut self,
        py: Python<'_>,
        store: &GmkStore,
        msg: &[u8],
        now_ntp_seconds: u64,
        kpak: Option<&EccsiKpak>,
    ) -> PyResult<SrtpKeying> {
        let verifier = kpak.map(|k| &k.inner as &dyn mikey::SignatureVerifier);
        let r = self.inner.process(
            msg,
            now_ntp_seconds,
            store.inner.lookup(now_ntp_seconds),
            verifier,
        );
        Ok(SrtpKeying {
            inner: r.map_err(|e| to_py(py, e))?,
        })
    }
}

/// Builds a GMK I_MESSAGE (`prose`) for one member, signed by the group identity's key.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn mikey_gmk_build<'py>(
    py: Python<'py>,
    kms: &SakkeKmsPublic,
    group_key: &EccsiSigningKey,
    group_uri: &[u8],
    member_uri: &[u8],
    kms_uri: &[u8],
    gmk_id: u32,
    ntp_seconds: u64,
    gmk: &[u8],
) -> PyResult<Bound<'py, PyBytes>> {
    let gmk: &[u8; 16] = gmk
        .try_into()
        .map_err(|_| to_py(py, prose_sec::Error::InvalidParameter))?;
    let r = py.detach(|| {
        group::build_prose_gmk_message(
            &kms.inner,
            &group_key.inner,
            group_uri,
            member_uri,
            kms_uri,
            gmk_id,
            ntp_seconds,
            gmk,
        )
    });
    Ok(PyBytes::new(py, &r.map_err(|e| to_py(py, e))?))
}

/// Builds a GSK offer (`prose`, PRF MIKEY-1) under the GMK `gmk_id` of `store`.
#[pyfunction]
#[pyo3(signature = (store, gmk_id, initiator_uri, group_uri, srtp_profile, gsk, salt, gsk_id, senders, ntp_seconds, signer = None))]
#[allow(clippy::too_many_arguments)]
fn mikey_gsk_offer_build<'py>(
    py: Python<'py>,
    store: &GmkStore,
    gmk_id: u32,
    initiator_uri: &[u8],
    group_uri: &[u8],
    srtp_profile: u16,
    gsk: &[u8],
    salt: &[u8],
    gsk_id: u32,
    senders: Vec<(u32, u32)>,
    ntp_seconds: u64,
    signer: Option<&EccsiSigningKey>,
) -> PyResult<Bound<'py, PyBytes>> {
    let err = |e| to_py(py, e);
    let msg = group::build_prose_gsk_offer(
        &store.inner,
        gmk_id,
        initiator_uri,
        group_uri,
        SrtpProfile::from_id(srtp_profile).map_err(err)?,
        gsk,
        salt,
        gsk_id,
        &senders,
        ntp_seconds,
        signer.map(|s| &s.inner),
    )
    .map_err(err)?;
    Ok(PyBytes::new(py, &msg))
}

/// `a=key-mgmt:mikey <base64>` for a MIKEY message.
#[pyfunction]
fn sdp_key_mgmt_format(msg: &[u8]) -> String {
    prose_sec::sdp::format_key_mgmt(msg)
}

/// The MIKEY message of the `a=key-mgmt:mikey` line in an SDP body.
#[pyfunction]
fn sdp_key_mgmt_parse<'py>(py: Python<'py>, sdp: &str) -> PyResult<Bound<'py, PyBytes>> {
    let m = prose_sec::sdp::parse_key_mgmt(sdp, false).map_err(|e| to_py(py, e))?;
    Ok(PyBytes::new(py, &m))
}

/// A MIKEY message decoded to text (no secret octets).
#[pyfunction]
fn mikey_decode(py: Python<'_>, msg: &[u8]) -> PyResult<String> {
    mikey::describe(msg).map_err(|e| to_py(py, e))
}

/// The `prose` identifier `"YYYY-MM\0URI\0"` of `uri` for the month of `ntp_seconds`.
#[pyfunction]
fn prose_identifier<'py>(
    py: Python<'py>,
    uri: &[u8],
    ntp_seconds: u64,
) -> PyResult<Bound<'py, PyBytes>> {
    let id = mikey::prose_identifier(uri, ntp_seconds).map_err(|e| to_py(py, e))?;
    Ok(PyBytes::new(py, &id))
}

/// A fresh 16-octet GMK from the OS random source.
#[pyfunction]
fn generate_gmk(py: Python<'_>) -> PyResult<Bound<'_, PyBytes>> {
    let k = group::generate_gmk().map_err(|e| to_py(py, e))?;
    Ok(PyBytes::new(py, &k[..]))
}

/// A fresh GMK-ID (purpose tag 0 in the top 4 bits, 28 random bits).
#[pyfunction]
fn generate_gmk_id(py: Python<'_>) -> PyResult<u32> {
    group::generate_gmk_id().map_err(|e| to_py(py, e))
}

/// A fresh (GSK, master salt) for the SRTP profile id `profile`.
#[pyfunction]
fn generate_gsk(
    py: Python<'_>,
    profile: u16,
) -> PyResult<(Bound<'_, PyBytes>, Bound<'_, PyBytes>)> {
    let p = SrtpProfile::from_id(profile).map_err(|e| to_py(py, e))?;
    let (k, s) = group::generate_gsk(p).map_err(|e| to_py(py, e))?;
    Ok((PyBytes::new(py, &k), PyBytes::new(py, &s)))
}

/// A fresh 32-bit GSK-ID.
#[pyfunction]
fn generate_gsk_id(py: Python<'_>) -> PyResult<u32> {
    group::generate_gsk_id().map_err(|e| to_py(py, e))
}

/// The current time in NTP seconds.
#[pyfunction]
fn ntp_now() -> u64 {
    mikey::ntp_now_secs().unwrap_or(0)
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<GmkStore>()?;
    m.add_class::<SrtpKeying>()?;
    m.add_class::<GskReceiver>()?;
    m.add_function(wrap_pyfunction!(mikey_gmk_build, m)?)?;
    m.add_function(wrap_pyfunction!(mikey_gsk_offer_build, m)?)?;
    m.add_function(wrap_pyfunction!(sdp_key_mgmt_format, m)?)?;
    m.add_function(wrap_pyfunction!(sdp_key_mgmt_parse, m)?)?;
    m.add_function(wrap_pyfunction!(mikey_decode, m)?)?;
    m.add_function(wrap_pyfunction!(prose_identifier, m)?)?;
    m.add_function(wrap_pyfunction!(ntp_now, m)?)?;
    m.add_function(wrap_pyfunction!(generate_gmk, m)?)?;
    m.add_function(wrap_pyfunction!(generate_gmk_id, m)?)?;
    m.add_function(wrap_pyfunction!(generate_gsk, m)?)?;
    m.add_function(wrap_pyfunction!(generate_gsk_id, m)?)?;
    Ok(())
}
