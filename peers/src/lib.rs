//! The independent peers of prose-sec's test suite and benchmarks, behind safe wrappers (dev
//! only, never a dependency of the library): libsrtp ([`libsrtp`]: Debian's, and with the
//! feature `fastest` the OpenSSL build of `srtp2-sys`), wolfSSL's SAKKE and ECCSI
//! ([`wolfssl`]: Debian's, or its SP assembly build), str0m's SRTP on aws-lc-rs ([`str0m`],
//! feature `fastest`), plus the shared plain-text vector reader of the MIKEY tests
//! ([`vectors`]) and the thread CPU clock of the benchmarks ([`cputime`]).
//!
//! Every `unsafe` block of the test suite lives in this crate, each with a `// SAFETY:` line;
//! tests and benchmarks call only the safe functions below.
#![deny(unsafe_op_in_unsafe_fn)]

pub mod cputime;
pub mod libsrtp;
#[cfg(feature = "fastest")]
pub mod str0m;
pub mod vectors;
pub mod wolfssl;

/// Raw bindgen bindings to the system libsrtp2 and wolfSSL.
#[allow(
    non_upper_case_globals,
    non_camel_case_types,
    non_snake_case,
    dead_code,
    unsafe_op_in_unsafe_fn,
    clippy::all
)]
pub(crate) mod sys {
    include!(concat!(env!("OUT_DIR"), "/bindings.rs"));
}
