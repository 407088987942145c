//! SDP `a=key-mgmt:mikey` (RFC 4567): the MIKEY message of an offer, base64 with a strict
//! decoder. The implementation lives with the MIKEY codec; this is the flat path DESIGN names.

pub use crate::mikey::{base64_decode, base64_encode, format_key_mgmt, parse_key_mgmt};
