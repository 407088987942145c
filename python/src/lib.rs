//! Python bindings of prose-sec (pyo3). Conversion only; all logic lives in the core crate.
