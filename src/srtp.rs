//! SRTP and SRTCP (RFC 3711, RFC 6188, RFC 7714), in place on caller buffers.
//!
//! - [`Profile`]: the protection profiles (AES-CM-128/256 with HMAC-SHA1-80/32, AEAD AES-GCM
//!   128/256, NULL cipher with HMAC-SHA1).
//! - [`MasterKey`], [`Policy`]: keys (each optionally named by a 1–4 octet MKI) and limits.
//! - [`Session`]: `protect_rtp(buf, len) -> new len` and its three siblings, batch forms, many
//!   SSRCs with per-SSRC ROC and replay state, MKI key selection, key-usage limits.
//!
//! Wire layout (RFC 3711 §3.1, RFC 7714 §8–9, as libsrtp 2 writes it; checked against it in
//! `tests/srtp_interop.rs`):
//! - SRTP, HMAC profiles: `header | encrypted payload | [MKI] | tag`; the tag covers
//!   `header | encrypted payload | ROC`.
//! - SRTP, GCM: `header | ciphertext | tag(16) | [MKI]`; AAD = header, IV = salt XOR
//!   `(0 0 | SSRC | ROC | SEQ)`.
//! - SRTCP, HMAC profiles: `header(8) | encrypted | E+index(4) | [MKI] | tag(10)`.
//! - SRTCP, GCM: `header(8) | ciphertext | tag(16) | E+index(4) | [MKI]`; AAD = header and the
//!   E+index word.
//!
//! Design notes: every session key (AES key schedules, HMAC inner/outer SHA-1 states) is
//! derived when the session is built (key-derivation rate 0), and the cipher variant is chosen
//! then too; the per-packet path does no allocation and no formatting. Stream slots and replay
//! windows are allocated up front, `max_streams` of them. Authentication tags are compared in
//! constant time, and nothing is recorded (replay window, stream, counters) for a packet that
//! does not authenticate.

mod aes_cm;
mod auth;
mod gcm;
pub mod kdf;
mod keys;
mod profile;
mod replay;
mod session;
mod stream;

pub use keys::{
    MasterKey, Policy, DEFAULT_MAX_STREAMS, DEFAULT_REPLAY_WINDOW, MAX_MKI_LEN,
    MAX_RTCP_PACKETS_PER_KEY, MAX_RTP_PACKETS_PER_KEY,
};
pub use profile::Profile;
pub use replay::{MAX_WINDOW as MAX_REPLAY_WINDOW, MIN_WINDOW as MIN_REPLAY_WINDOW};
pub use session::Session;
pub use stream::RETIRED_PER_STREAM as RETIRED_STREAMS_PER_SLOT;

/// The longest SRTP or SRTCP packet a session protects or accepts, trailer included: 65,535
/// octets, the most a UDP datagram or an RFC 4571 frame can carry. Longer input is refused
/// with `InvalidParameter` (past 2^16 AES blocks the AES-CM keystream of one index would run
/// into the counter space of the next).
pub const MAX_PACKET_LEN: usize = 65_535;

/// The raw AES-CM transform of RFC 3711 §4.1.1: XORs `data` with the AES counter-mode
/// keystream under `key` (16 or 32 octets) starting at counter block `iv`. For test vectors and
/// tools; sessions keep their key schedules and never call this.
pub fn aes_cm_keystream(key: &[u8], iv: &[u8; 16], data: &mut [u8]) -> crate::Result<()> {
    aes_cm::AesCm::new(key)?.apply_keystream(iv, data);
    Ok(())
}
