//! The file envelope (format 1). See the crate documentation for the layout.

use sha2::{Digest, Sha256};

/// Magic octets at the start of every store file.
pub(crate) const MAGIC: [u8; 8] = *b"PSECSTOR";
/// The envelope format written by this code.
pub(crate) const FORMAT: u16 = 1;
/// Length of the SHA-256 trailer.
pub(crate) const CHECKSUM_LEN: usize = 32;
/// magic + format + kind length + state version + payload length.
pub(crate) const FIXED_HEADER_LEN: usize = 8 + 2 + 1 + 4 + 8;
/// The smallest possible file: one-octet kind, empty payload.
pub(crate) const MIN_FILE_LEN: usize = FIXED_HEADER_LEN + 1 + CHECKSUM_LEN;
/// Longest kind string.
pub(crate) const MAX_KIND_LEN: usize = 64;

/// The header (everything before the payload) for a kind, version and payload length.
pub(crate) fn header(kind: &str, version: u32, payload_len: u64) -> Vec<u8> {
    debug_assert!(!kind.is_empty() && kind.len() <= MAX_KIND_LEN);
    let mut h = Vec::with_capacity(FIXED_HEADER_LEN + kind.len());
    h.extend_from_slice(&MAGIC);
    h.extend_from_slice(&FORMAT.to_be_bytes());
    h.push(kind.len() as u8);
    h.extend_from_slice(kind.as_bytes());
    h.extend_from_slice(&version.to_be_bytes());
    h.extend_from_slice(&payload_len.to_be_bytes());
    h
}

/// The total file length for a kind and payload length.
pub(crate) fn file_len(kind: &str, payload_len: u64) -> u64 {
    (FIXED_HEADER_LEN + kind.len() + CHECKSUM_LEN) as u64 + payload_len
}

/// A verified envelope, borrowing from the file's octets.
pub(crate) struct Decoded<'a> {
    pub kind: &'a str,
    pub version: u32,
    pub payload: &'a [u8],
}

/// Why an envelope was refused.
pub(crate) enum DecodeError {
    /// Damaged: the reason is a fixed text with numbers, never content.
    Corrupt(String),
    /// Checksum fine but the format is unknown.
    UnsupportedFormat(u16),
}

/// Verifies a whole file's octets: magic, checksum over everything before the
/// trailer, format, kind, lengths.
pub(crate) fn decode(bytes: &[u8]) -> Result<Decoded<'_>, DecodeError> {
    let corrupt = |r: String| Err(DecodeError::Corrupt(r));
    if bytes.len() < MIN_FILE_LEN {
        return corrupt(format!(
            "file is {} bytes, shorter than the smallest store file ({MIN_FILE_LEN} bytes)",
            bytes.len()
        ));
    }
    if bytes[..8] != MAGIC {
        return corrupt("bad magic: not a prose-sec store file".into());
    }
    let (body, trailer) = bytes.split_at(bytes.len() - CHECKSUM_LEN);
    let sum = Sha256::digest(body);
    if sum.as_slice() != trailer {
        return corrupt("checksum mismatch (file truncated or damaged)".into());
    }
    let format = u16::from_be_bytes([body[8], body[9]]);
    if format != FORMAT {
        return Err(DecodeError::UnsupportedFormat(format));
    }
    let kind_len = body[10] as usize;
    if kind_len == 0 || kind_len > MAX_KIND_LEN {
        return corrupt(format!("kind length {kind_len} out of range"));
    }
    let header_len = FIXED_HEADER_LEN + kind_len;
    if body.len() < header_len {
        return corrupt("header runs past the end of the file".into());
    }
    let kind = match std::str::from_utf8(&body[11..11 + kind_len]) {
        Ok(k) if crate::kind_problem(k).is_none() => k,
        _ => return corrupt("kind field is not a valid kind string".into()),
    };
    let v = 11 + kind_len;
    let version = u32::from_be_bytes(body[v..v + 4].try_into().expect("4 octets"));
    let payload_len = u64::from_be_bytes(body[v + 4..v + 12].try_into().expect("8 octets"));
    let actual = (body.len() - header_len) as u64;
    if payload_len != actual {
        return corrupt(format!(
            "payload length field says {payload_len} bytes but the file holds {actual}"
        ));
    }
    Ok(Decoded {
        kind,
        version,
        payload: &body[header_len..],
    })
}
