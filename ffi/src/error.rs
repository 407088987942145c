//! `prose_result`: the C view of `prose_sec::Error`, one code per variant with the same numbers,
//! plus the two failures only the C boundary has (a NULL pointer, a caught panic).

use core::ffi::{c_char, c_uint};
use prose_sec::Error;

/// Result code of every fallible `prose_` function. `PROSE_OK` is 0; the codes 1..=16 are the
/// core error kinds, in the same order as the Rust `Error` enum and the Python exceptions.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum prose_result {
    PROSE_OK = 0,
    PROSE_ERR_AUTH_FAILED = 1,
    PROSE_ERR_REPLAY_DUPLICATE = 2,
    PROSE_ERR_REPLAY_TOO_OLD = 3,
    PROSE_ERR_BUFFER_TOO_SMALL = 4,
    PROSE_ERR_INVALID_PARAMETER = 5,
    PROSE_ERR_PARSE = 6,
    PROSE_ERR_INVALID_SIGNATURE = 7,
    PROSE_ERR_INVALID_POINT = 8,
    PROSE_ERR_UNKNOWN_KEY = 9,
    PROSE_ERR_KEY_EXPIRED = 10,
    PROSE_ERR_KEY_EXHAUSTED = 11,
    PROSE_ERR_CAPACITY_EXCEEDED = 12,
    PROSE_ERR_INVALID_KEY = 13,
    PROSE_ERR_FRESHNESS = 14,
    PROSE_ERR_UNSUPPORTED = 15,
    PROSE_ERR_RNG = 16,
    /// A required pointer argument was NULL (or NULL with a non-zero length).
    PROSE_ERR_NULL_POINTER = 100,
    /// The library panicked; the call had no effect the caller can rely on.
    PROSE_ERR_PANIC = 101,
}

impl From<Error> for prose_result {
    fn from(e: Error) -> Self {
        use prose_result::*;
        match e {
            Error::AuthFailed => PROSE_ERR_AUTH_FAILED,
            Error::ReplayDuplicate => PROSE_ERR_REPLAY_DUPLICATE,
            Error::ReplayTooOld => PROSE_ERR_REPLAY_TOO_OLD,
            Error::BufferTooSmall => PROSE_ERR_BUFFER_TOO_SMALL,
            Error::InvalidParameter => PROSE_ERR_INVALID_PARAMETER,
            Error::Parse => PROSE_ERR_PARSE,
            Error::InvalidSignature => PROSE_ERR_INVALID_SIGNATURE,
            Error::InvalidPoint => PROSE_ERR_INVALID_POINT,
            Error::UnknownKey => PROSE_ERR_UNKNOWN_KEY,
            Error::KeyExpired => PROSE_ERR_KEY_EXPIRED,
            Error::KeyExhausted => PROSE_ERR_KEY_EXHAUSTED,
            Error::CapacityExceeded => PROSE_ERR_CAPACITY_EXCEEDED,
            Error::InvalidKey => PROSE_ERR_INVALID_KEY,
            Error::Freshness => PROSE_ERR_FRESHNESS,
            Error::Unsupported => PROSE_ERR_UNSUPPORTED,
            Error::Rng => PROSE_ERR_RNG,
            // `Error` is #[non_exhaustive]; the test below fails if a variant is added without
            // its own code.
            _ => PROSE_ERR_PANIC,
        }
    }
}

const fn message(code: c_uint) -> &'static [u8] {
    match code {
        0 => b"ok\0",
        1 => b"authentication failed\0",
        2 => b"replayed packet (duplicate index)\0",
        3 => b"replayed packet (index older than the window)\0",
        4 => b"buffer too small\0",
        5 => b"invalid parameter\0",
        6 => b"malformed input\0",
        7 => b"invalid signature\0",
        8 => b"invalid point\0",
        9 => b"unknown key\0",
        10 => b"key expired\0",
        11 => b"key usage limit reached\0",
        12 => b"capacity exceeded\0",
        13 => b"invalid key\0",
        14 => b"message not fresh\0",
        15 => b"unsupported\0",
        16 => b"random number generator failure\0",
        100 => b"NULL pointer argument\0",
        101 => b"internal panic\0",
        _ => b"unknown result code\0",
    }
}

/// A static, NUL-terminated English description of a result code. Never NULL; the string is
/// owned by the library and lives for the whole process.
#[no_mangle]
pub extern "C" fn prose_result_str(result: c_uint) -> *const c_char {
    message(result).as_ptr().cast()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_code_per_error_with_the_same_number_and_text() {
        for e in Error::ALL {
            let code = prose_result::from(e);
            assert_ne!(code, prose_result::PROSE_ERR_PANIC, "{e:?} has no code");
            assert_eq!(code as u32, e as u32, "{e:?}");
            let text = message(code as u32);
            assert_eq!(&text[..text.len() - 1], e.as_str().as_bytes());
        }
    }
}
