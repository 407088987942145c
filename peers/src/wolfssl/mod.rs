//! wolfSSL's SAKKE and ECCSI: the raw operations ([`sakke`], [`eccsi`]) and the same behind
//! prose-sec's MIKEY crypto traits ([`mikey`]).
//!
//! Linked against Debian's `libwolfssl`, or against the build `scripts/build-wolfssl-sp.sh`
//! makes when `PROSE_WOLFSSL_SP_DIR` names its install prefix at build time ([`BUILD`]).

pub mod eccsi;
pub mod mikey;
pub mod sakke;

/// Which wolfSSL this crate was linked against: `"debian"` or `"sp"`.
pub const BUILD: &str = env!("PROSE_WOLFSSL_BUILD");
