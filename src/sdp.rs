//! SDP `a=key-mgmt:mikey` (RFC 4567): the MIKEY message of an offer, and the strict base64
//! codec (RFC 4648 §4) it is carried in. The one public path for these functions.

use crate::mikey::Message;
use crate::{Error, Result};

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Base64 encoding with padding.
pub fn base64_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for c in data.chunks(3) {
        let b = [c[0], *c.get(1).unwrap_or(&0), *c.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let chars = [
            ALPHABET[(n >> 18) as usize & 63],
            ALPHABET[(n >> 12) as usize & 63],
            ALPHABET[(n >> 6) as usize & 63],
            ALPHABET[n as usize & 63],
        ];
        let keep = c.len() + 1;
        for (i, ch) in chars.iter().enumerate() {
            out.push(if i < keep { char::from(*ch) } else { '=' });
        }
    }
    out
}

fn decode_char(c: u8) -> Option<u32> {
    let v = match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    };
    Some(u32::from(v))
}

/// Strict base64 decoding: standard alphabet, padding required, no whitespace, canonical
/// trailing bits. Any deviation is [`Error::Parse`].
pub fn base64_decode(s: &str) -> Result<Vec<u8>> {
    let s = s.as_bytes();
    if !s.len().is_multiple_of(4) {
        return Err(Error::Parse);
    }
    let mut out = Vec::with_capacity(s.len() / 4 * 3);
    let groups = s.len() / 4;
    for (gi, g) in s.chunks_exact(4).enumerate() {
        let last = gi + 1 == groups;
        let pad = g.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && !last) {
            return Err(Error::Parse);
        }
        let mut n = 0u32;
        for &c in &g[..4 - pad] {
            n = (n << 6) | decode_char(c).ok_or(Error::Parse)?;
        }
        n <<= 6 * pad as u32;
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        let keep = 3 - pad;
        // Canonical: the bits dropped by padding must be zero.
        if bytes[keep..].iter().any(|&b| b != 0) {
            return Err(Error::Parse);
        }
        out.extend_from_slice(&bytes[..keep]);
    }
    Ok(out)
}

const PREFIX: &str = "a=key-mgmt:mikey ";

/// Formats the session-level attribute line (without line terminator).
pub fn format_key_mgmt(message: &[u8]) -> String {
    let mut s = String::from(PREFIX);
    s.push_str(&base64_encode(message));
    s
}

/// Extracts the MIKEY message of the first `a=key-mgmt:mikey` line of an SDP body (session or
/// media level; lines end in CRLF or LF). The decoded octets must be one complete, valid MIKEY
/// message; trailing octets after it are an error unless `lenient`, in which case they are
/// dropped. No attribute → [`Error::Parse`].
pub fn parse_key_mgmt(sdp: &str, lenient: bool) -> Result<Vec<u8>> {
    for line in sdp.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if let Some(rest) = line.strip_prefix("a=key-mgmt:") {
            let (proto, data) = rest.split_once(' ').ok_or(Error::Parse)?;
            if proto != "mikey" {
                continue;
            }
            return decode_attr_value(data, lenient);
        }
    }
    Err(Error::Parse)
}

fn decode_attr_value(data: &str, lenient: bool) -> Result<Vec<u8>> {
    let mut bytes = base64_decode(data)?;
    let used = Message::parse_prefix(&bytes)?.1;
    if used != bytes.len() {
        if !lenient {
            return Err(Error::Parse);
        }
        bytes.truncate(used);
    }
    Ok(bytes)
}
