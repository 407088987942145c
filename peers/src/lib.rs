//! Raw bindgen bindings to the system libsrtp2 and wolfSSL, for tests and benchmarks only.
//! Safe wrappers live next to the tests that use them.
#![allow(
    non_upper_case_globals,
    non_camel_case_types,
    non_snake_case,
    dead_code,
    clippy::all,
    unsafe_op_in_unsafe_fn
)]

include!(concat!(env!("OUT_DIR"), "/bindings.rs"));
