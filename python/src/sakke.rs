//! `prose_sec.SakkeKmsSecret`, `SakkeKmsPublic`, `SakkeRsk`, `SakkeDecapsulationKey` and the
//! module functions `sakke_encapsulate`, `sakke_encapsulate_many`, `sakke_validate_rsk`.
//! Every pairing or scalar multiplication runs without the GIL.

use crate::to_py;
use prose_sec::sakke::{self, DecapsulationKey, KmsPublic, KmsSecret, Rsk, Ssv};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use rand_core::OsRng;

/// The KMS master secret z.
#[pyclass(module = "prose_sec._native", frozen)]
pub struct SakkeKmsSecret {
    pub(crate) inner: KmsSecret,
}

/// The KMS public key Z.
#[pyclass(module = "prose_sec._native", frozen)]
pub struct SakkeKmsPublic {
    pub(crate) inner: KmsPublic,
}

/// A receiver secret key (RSK).
#[pyclass(module = "prose_sec._native", frozen)]
pub struct SakkeRsk {
    pub(crate) inner: Rsk,
}

/// A member's decapsulation key: a validated RSK with its pairing precomputation.
#[pyclass(module = "prose_sec._native", frozen)]
pub struct SakkeDecapsulationKey {
    pub(crate) inner: DecapsulationKey,
}

#[pymethods]
impl SakkeKmsSecret {
    /// A new random master secret.
    #[staticmethod]
    fn generate(py: Python<'_>) -> PyResult<Self> {
        Ok(SakkeKmsSecret {
            inner: KmsSecret::try_generate(&mut OsRng).map_err(|e| to_py(py, e))?,
        })
    }

    /// From big-endian octets (1 <= z < q).
    #[staticmethod]
    fn from_bytes(py: Python<'_>, z: &[u8]) -> PyResult<Self> {
        let inner = KmsSecret::from_bytes(z).map_err(|e| to_py(py, e))?;
        Ok(SakkeKmsSecret { inner })
    }

    /// z as 128 big-endian octets.
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.inner.to_bytes())
    }

    /// The public key Z = [z]P.
    fn public(&self, py: Python<'_>) -> SakkeKmsPublic {
        let inner = py.detach(|| self.inner.public());
        SakkeKmsPublic { inner }
    }

    /// The RSK of identifier `id`.
    fn issue_rsk(&self, py: Python<'_>, id: &[u8]) -> PyResult<SakkeRsk> {
        let r = py.detach(|| self.inner.issue_rsk(id));
        Ok(SakkeRsk {
            inner: r.map_err(|e| to_py(py, e))?,
        })
    }

    /// RSKs for many identifiers (on every core); raises on the first failure.
    fn issue_rsks(&self, py: Python<'_>, ids: Vec<Vec<u8>>) -> PyResult<Vec<SakkeRsk>> {
        let refs: Vec<&[u8]> = ids.iter().map(Vec::as_slice).collect();
        let rs = py.detach(|| self.inner.issue_rsks(&refs));
        rs.into_iter()
            .map(|r| r.map(|inner| SakkeRsk { inner }).map_err(|e| to_py(py, e)))
            .collect()
    }

    fn __repr__(&self) -> &'static str {
        "SakkeKmsSecret(<redacted>)"
    }
}

#[pymethods]
impl SakkeKmsPublic {
    /// From 257 octets 04 || x || y (checked on the curve and in the subgroup).
    #[staticmethod]
    fn from_bytes(py: Python<'_>, z: &[u8]) -> PyResult<Self> {
        let r = py.detach(|| KmsPublic::from_bytes(z));
        Ok(SakkeKmsPublic {
            inner: r.map_err(|e| to_py(py, e))?,
        })
    }

    /// Z as 257 octets.
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.inner.to_bytes())
    }

    /// Builds Z's fixed-base tables now.
    fn precompute(&self, py: Python<'_>) {
        py.detach(|| self.inner.precompute());
    }
}

#[pymethods]
impl SakkeRsk {
    /// From 257 octets 04 || x || y.
    #[staticmethod]
    fn from_bytes(py: Python<'_>, rsk: &[u8]) -> PyResult<Self> {
        let r = py.detach(|| Rsk::from_bytes(rsk));
        Ok(SakkeRsk {
            inner: r.map_err(|e| to_py(py, e))?,
        })
    }

    /// The RSK as 257 octets.
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.inner.to_bytes())
    }

    fn __repr__(&self) -> &'static str {
        "SakkeRsk(<redacted>)"
    }
}

#[pymethods]
impl SakkeDecapsulationKey {
    /// Validates `rsk` for `id` under `kms` and precomputes the pairing.
    #[new]
    fn new(py: Python<'_>, kms: &SakkeKmsPublic, id: &[u8], rsk: &SakkeRsk) -> PyResult<Self> {
        let r = py.detach(|| DecapsulationKey::new(&kms.inner, id, &rsk.inner));
        Ok(SakkeDecapsulationKey {
            inner: r.map_err(|e| to_py(py, e))?,
        })
    }

    /// Decapsulates R || H (273 octets); returns the 16-octet SSV.
    fn decapsulate<'py>(&self, py: Python<'py>, sed: &[u8]) -> PyResult<Bound<'py, PyBytes>> {
        let r = py.detach(|| self.inner.decapsulate(sed));
        let ssv = r.map_err(|e| to_py(py, e))?;
        Ok(PyBytes::new(py, ssv.as_bytes()))
    }
}

/// Checks `rsk` for identifier `id` under `kms`; raises InvalidKey if it is wrong.
#[pyfunction]
fn sakke_validate_rsk(
    py: Python<'_>,
    kms: &SakkeKmsPublic,
    id: &[u8],
    rsk: &SakkeRsk,
) -> PyResult<()> {
    py.detach(|| sakke::validate_rsk(&kms.inner, id, &rsk.inner))
        .map_err(|e| to_py(py, e))
}

/// Encapsulates the 16-octet `ssv` to identifier `id`; returns R || H (273 octets).
#[pyfunction]
fn sakke_encapsulate<'py>(
    py: Python<'py>,
    kms: &SakkeKmsPublic,
    id: &[u8],
    ssv: &[u8],
) -> PyResult<Bound<'py, PyBytes>> {
    let ssv = Ssv::from_bytes(ssv).map_err(|e| to_py(py, e))?;
    let r = py.detach(|| sakke::encapsulate(&kms.inner, id, &ssv));
    Ok(PyBytes::new(py, &r.map_err(|e| to_py(py, e))?))
}

/// Encapsulates one SSV per (identifier, ssv) pair on every core; raises on the first failure.
#[pyfunction]
fn sakke_encapsulate_many<'py>(
    py: Python<'py>,
    kms: &SakkeKmsPublic,
    items: Vec<(Vec<u8>, Vec<u8>)>,
) -> PyResult<Vec<Bound<'py, PyBytes>>> {
    let ssvs = items
        .iter()
        .map(|(_, s)| Ssv::from_bytes(s).map_err(|e| to_py(py, e)))
        .collect::<PyResult<Vec<Ssv>>>()?;
    let pairs: Vec<(&[u8], &Ssv)> = items
        .iter()
        .map(|(id, _)| id.as_slice())
        .zip(ssvs.iter())
        .collect();
    let rs = py.detach(|| sakke::encapsulate_many(&kms.inner, &pairs));
    rs.into_iter()
        .map(|r| {
            r.map(|sed| PyBytes::new(py, &sed))
                .map_err(|e| to_py(py, e))
        })
        .collect()
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<SakkeKmsSecret>()?;
    m.add_class::<SakkeKmsPublic>()?;
    m.add_class::<SakkeRsk>()?;
    m.add_class::<SakkeDecapsulationKey>()?;
    m.add_function(wrap_pyfunction!(sakke_validate_rsk, m)?)?;
    m.add_function(wrap_pyfunction!(sakke_encapsulate, m)?)?;
    m.add_function(wrap_pyfunction!(sakke_encapsulate_many, m)?)?;
    Ok(())
}
