//! prose-sec: identity-based group media security for ProSe one-to-many communication.
//!
//! - [`srtp`]: SRTP/SRTCP (RFC 3711, RFC 6188, RFC 7714), in place on caller buffers.
//! - [`sakke`]: SAKKE (RFC 6508) with RFC 6509 parameter set 1.
//! - [`eccsi`]: ECCSI signatures (RFC 6507) on P-256.
//! - [`mikey`]: the MIKEY codec and the GMK / GSK key-distribution messages.
//!
//! All fallible operations return [`Result`] with the single [`Error`] enum.
#![deny(unsafe_code)]
#![warn(missing_debug_implementations)]

pub mod backend;
pub mod eccsi;
mod error;
pub mod group;
pub mod kms;
pub mod mikey;
pub mod sakke;
pub mod sdp;
pub mod srtp;

pub use error::{Error, Result};
