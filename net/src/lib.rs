//! prose-sec-net: the I/O of the prose-sec roles. The core crate stays sans-IO; this crate puts
//! the KMS, the Group Manager, the group controller and the members on real UDP sockets
//! (tokio), with SIP signalling ([`sip`]), SDP offers carrying `a=key-mgmt:mikey`, RTP/RTCP
//! media of G.711 µ-law through SRTP/SRTCP ([`media`]), IP multicast on loopback for the
//! network-independent mode, and a pcap capture of every datagram ([`wire`]).
//!
//! - [`node`]: the member node, the group controller, the Group Manager's distribution.
//! - [`scenario`]: the whole story of `prose-sec demo`, phase by phase, with its report.
#![deny(unsafe_code)]
#![warn(missing_debug_implementations)]

pub mod media;
pub mod node;
pub mod scenario;
pub mod sip;
pub mod wire;
