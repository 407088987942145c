//! Python bindings of prose-sec (`prose_sec._native`, pyo3 abi3). Conversion only: all logic lives
//! in the core crate; errors become the exception classes defined in `prose_sec/exceptions.py`;
//! slow work runs without the GIL.

mod eccsi;
mod mikey;
mod sakke;
mod srtp;

use prose_sec::Error;
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// Turns a core error into an instance of its Python exception class.
pub(crate) fn to_py(py: Python<'_>, e: Error) -> PyErr {
    let exc = py
        .import("prose_sec.exceptions")
        .and_then(|m| m.getattr("BY_CODE"))
        .and_then(|by_code| by_code.get_item(e as u32));
    match exc {
        Ok(cls) => match cls.call1((e.as_str(),)) {
            Ok(inst) => PyErr::from_value(inst),
            Err(err) => err,
        },
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
    Ok(())
}
