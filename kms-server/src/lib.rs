//! The KMS as a service (TS 33.180 Annex D over HTTPS) and the member's provisioning
//! client.
//!
//! - [`server`]: HTTPS on rustls (TLS 1.3 and 1.2 only; plain HTTP is never spoken), POST
//!   routes under `/keymanagement/identity/v1/` answering `KmsResponse` documents, refusals
//!   as `KmsError` with the HTTP status as ErrorCode;
//! - [`auth`]: OAuth 2.0 bearer JWTs and client certificates (mutual TLS);
//! - [`store`]: SQLite (default) or PostgreSQL — identities, authorisation, issuance records,
//!   revocations, request times, audit; no key material;
//! - [`keys`]: key sets re-derived from the master secrets on demand (nothing secret at rest);
//! - [`admin`]: registration, bulk pre-issuance, revocation;
//! - [`client`]: the member's side;
//! - [`local`]: a throwaway service on loopback (the demo's);
//! - [`request`]: the path and KmsRequest parsers (fuzzed).

pub mod admin;
pub mod auth;
pub mod client;
pub mod config;
pub mod error;
#[cfg(feature = "gba")]
pub mod gba;
pub mod keys;
pub mod local;
pub mod request;
pub mod server;
pub mod store;

pub use error::{Refusal, StoreError};
