//! Python bindings of prose-sec (`prose_sec._native`, pyo3 abi3). Conversion only: all logic lives
//! in the core crate; errors become the exception classes defined in `prose_sec/exceptions.py`;
//! slow work runs without the GIL.

mod eccsi;
mod mikey;
mod roles;
mod sakke;
mod srtp;

use prose_sec::Error;
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// Turns a core error into an instance of its Python exception class (the value, not raised).
pub(crate) fn exception_instance(py: Python<'_>, e: Error) -> PyResult<Bound<'_, PyAny>> {
    py.import("prose_sec.exceptions")?
        .getattr("BY_CODE")?
        .get_item(e as u32)?
        .call1((e.as_str(),))
}

/// Turns a core error into a raisable Python exception of its class.
pub(crate) fn to_py(py: Python<'_>, e: Error) -> PyErr {
    match exception_instance(py, e) {
        Ok(inst) => PyErr::from_value(inst),
        Err(err) => err,
    }
}

/// The library's error codes and descriptions, so the Python side can check its classes.
#[pyfunction]
fn error_codes(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    let d = PyDict::new(py);
    for e in Error::ALL {
        d.set_item(e as u32, e.as_str())?;
    }
    Ok(d)
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(error_codes, m)?)?;
    srtp::register(m)?;
    sakke::register(m)?;
    eccsi::register(m)?;
    mikey::register(m)?;
    roles::register(m)?;
    Ok(())
}
