//! C ABI of prose-sec: opaque types and `prose_<type>_<verb>` functions (see `include/prose_sec.h`).
//!
//! Conventions (after rustls-ffi): every buffer is followed by its `size_t` length; outputs come
//! last and are written only on success; every entry point runs inside a panic guard and returns
//! a `prose_result`; objects are created by `prose_<type>_new` and released by
//! `prose_<type>_free` (NULL is accepted and ignored); the library does no locking, so one object
//! must not be used from two threads at once. Conversion only: all logic lives in the core crate.

#![allow(non_camel_case_types)]

mod bytes;
mod eccsi;
mod error;
mod group;
mod kms;
mod mikey;
mod panic;
mod ptr;
mod sakke;
mod srtp;

pub use eccsi::*;
pub use error::{prose_result, prose_result_str};
pub use group::*;
pub use kms::*;
pub use mikey::*;
pub use sakke::*;
pub use srtp::*;

/// The library version as a static NUL-terminated string (e.g. "0.1.0").
#[no_mangle]
pub extern "C" fn prose_version() -> *const core::ffi::c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}
