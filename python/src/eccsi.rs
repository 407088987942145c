//! `prose_sec.EccsiKsak`, `EccsiKpak`, `EccsiSigningKey`, `EccsiVerifier` and `eccsi_verify`.
//! Scalar multiplications run without the GIL.

use crate::to_py;
use prose_sec::eccsi::{self, Kpak, Ksak, SigningKey, Ssk, Verifier};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use rand_core::OsRng;

/// The KMS secret authentication key (KSAK).
#[pyclass(module = "prose_sec._native", frozen)]
pub struct EccsiKsak {
    pub(crate) inner: Ksak,
}

/// The KMS public authentication key (KPAK).
#[pyclass(module = "prose_sec._native", frozen)]
pub struct EccsiKpak {
    pub(crate) inner: Kpak,
}

/// A signer's validated key (identifier, SSK, PVT).
#[pyclass(module = "prose_sec._native", frozen)]
pub struct EccsiSigningKey {
    pub(crate) inner: SigningKey,
}

/// A verifier for one signer, caching the signer's point.
#[pyclass(module = "prose_sec._native", frozen)]
pub struct EccsiVerifier {
    pub(crate) inner: Verifier,
}

#[pymethods]
impl EccsiKsak {
    /// A new random KSAK.
    #[staticmethod]
    fn generate(py: Python<'_>) -> PyResult<Self> {
        let inner = Ksak::try_generate(&mut OsRng).map_err(|e| to_py(py, e))?;
        Ok(EccsiKsak { inner })
    }

    /// From 32 big-endian octets.
    #[staticmethod]
    fn from_bytes(py: Python<'_>, ksak: &[u8]) -> PyResult<Self> {
        let inner = Ksak::from_bytes(ksak).map_err(|e| to_py(py, e))?;
        Ok(EccsiKsak { inner })
    }

    /// The KPAK.
    fn kpak(&self) -> EccsiKpak {
        EccsiKpak {
            inner: self.inner.kpak(),
        }
    }

    /// Issues (SSK, PVT) for identifier `id`: 32 and 65 octets.
    fn issue<'py>(
        &self,
        py: Python<'py>,
        id: &[u8],
    ) -> PyResult<(Bound<'py, PyBytes>, Bound<'py, PyBytes>)> {
        let r = py.detach(|| self.inner.issue(id, &mut OsRng));
        let (ssk, pvt) = r.map_err(|e| to_py(py, e))?;
        Ok((PyBytes::new(py, &ssk.to_bytes()), PyBytes::new(py, &pvt)))
    }

    fn __repr__(&self) -> &'static str {
        "EccsiKsak(<redacted>)"
    }
}

#[pymethods]
impl EccsiKpak {
    /// From 65 octets 04 || x || y.
    #[staticmethod]
    fn from_bytes(py: Python<'_>, kpak: &[u8]) -> PyResult<Self> {
        let inner = Kpak::from_sec1(kpak).map_err(|e| to_py(py, e))?;
        Ok(EccsiKpak { inner })
    }

    /// The KPAK as 65 octets.
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.inner.to_sec1())
    }
}

#[pymethods]
impl EccsiSigningKey {
    /// Validates (SSK, PVT) for `id` under `kpak` (RFC 6507 §5.1.2).
    #[new]
    fn new(py: Python<'_>, kpak: &EccsiKpak, id: &[u8], ssk: &[u8], pvt: &[u8]) -> PyResult<Self> {
        let ssk = Ssk::from_bytes(ssk).map_err(|e| to_py(py, e))?;
        let r = py.detach(|| SigningKey::new(&kpak.inner, id, &ssk, pvt));
        Ok(EccsiSigningKey {
            inner: r.map_err(|e| to_py(py, e))?,
        })
    }

    /// Signs `msg`; returns r || s || PVT (129 octets).
    fn sign<'py>(&self, py: Python<'py>, msg: &[u8]) -> PyResult<Bound<'py, PyBytes>> {
        let r = py.detach(|| self.inner.sign(msg, &mut OsRng));
        Ok(PyBytes::new(py, &r.map_err(|e| to_py(py, e))?))
    }

    fn __repr__(&self) -> &'static str {
        "EccsiSigningKey(<redacted>)"
    }
}

#[pymethods]
impl EccsiVerifier {
    /// A verifier for signer `id` with public validation token `pvt`.
    #[new]
    fn new(py: Python<'_>, kpak: &EccsiKpak, id: &[u8], pvt: &[u8]) -> PyResult<Self> {
        let r = py.detach(|| Verifier::new(&kpak.inner, id, pvt));
        Ok(EccsiVerifier {
            inner: r.map_err(|e| to_py(py, e))?,
        })
    }

    /// Verifies `sig` of `msg`; raises InvalidSignature if it does not verify.
    fn verify(&self, py: Python<'_>, msg: &[u8], sig: &[u8]) -> PyResult<()> {
        py.detach(|| self.inner.verify(msg, sig))
            .map_err(|e| to_py(py, e))
    }
}

/// Verifies `sig` (129 octets) of `msg` by identifier `id` under `kpak`.
#[pyfunction]
fn eccsi_verify(
    py: Python<'_>,
    kpak: &EccsiKpak,
    id: &[u8],
    msg: &[u8],
    sig: &[u8],
) -> PyResult<()> {
    py.detach(|| eccsi::verify(&kpak.inner, id, msg, sig))
        .map_err(|e| to_py(py, e))
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<EccsiKsak>()?;
    m.add_class::<EccsiKpak>()?;
    m.add_class::<EccsiSigningKey>()?;
    m.add_class::<EccsiVerifier>()?;
    m.add_function(wrap_pyfunction!(eccsi_verify, m)?)?;
    Ok(())
}
