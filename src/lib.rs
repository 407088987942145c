//! prose-sec: identity-based group media security for ProSe one-to-many communication.
//!
//! - [`srtp`]: SRTP/SRTCP (RFC 3711, RFC 6188, RFC 7714), in place on caller buffers.
//! - [`sakke`]: SAKKE (RFC 6508) with RFC 6509 parameter set 1.
//! - [`eccsi`]: ECCSI signatures (RFC 6507) on P-256.
//! - [`mikey`]: the MIKEY codec and the stateless build/open functions of the GMK
//!   ([`mikey::build_gmk_message`], [`mikey::process_gmk_message`]) and GSK
//!   ([`mikey::build_gsk_offer`], [`mikey::open_gsk_offer`]) messages.
//! - [`sdp`]: `a=key-mgmt:mikey` (RFC 4567) and its strict base64.
//! - [`kms`]: the KMS role — key periods and identifiers of both profiles, key sets, bulk
//!   issuance, the member side of provisioning, and the TS 33.180 Annex D documents
//!   ([`kms::provision`]).
//! - [`group`]: the stateful roles — [`group::manager::Manager`] (Group Manager),
//!   [`group::member::Member`] (GMK stores, the [`group::GskReceiver`] with its replay cache,
//!   receive sessions, events), [`group::initiator::Initiator`] (GSK, send session, offers
//!   and their re-sends).
//!
//! # Design notes
//! - The core is sans-IO: roles take bytes and the time in and give bytes and events out.
//!   Their state is persisted through versioned serde types ([`kms::KmsState`],
//!   [`group::manager::ManagerState`], [`group::member::MemberState`]); the files live in the
//!   `prose-sec-store` crate (0600, atomic writes, refused when readable by others).
//! - One SRTP profile type, [`srtp::Profile`]: MIKEY's SP payload encoding is a conversion in
//!   [`mikey`] ([`mikey::sp_params`], [`mikey::profile_from_sp`]), so a GSK offer, a session
//!   and the bindings cannot disagree on what a profile is.
//! - The GSK receiver is state (a replay cache) and lives with the roles in [`group`]; what
//!   opens an offer is a stateless function in [`mikey`], so it can be used and fuzzed alone.
//!
//! All fallible operations return [`Result`] with the single [`Error`] enum.
#![deny(unsafe_code)]
#![warn(missing_debug_implementations)]

mod arith;
pub mod backend;
pub mod ct_probe;
pub mod eccsi;
mod error;
pub mod group;
pub mod kms;
pub mod mikey;
pub mod sakke;
pub mod sdp;
pub mod srtp;

pub use error::{Error, Result};
