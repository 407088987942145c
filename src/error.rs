//! The one error type of the crate. Mapped 1:1 to the C `prose_result` enum and the Python
//! exceptions; keep the discriminants stable.

use core::fmt;

/// Every failure the library reports. Variants carry no secret data.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum Error {
    /// Authentication tag or MAC did not verify.
    AuthFailed = 1,
    /// Packet index already seen inside the replay window.
    ReplayDuplicate = 2,
    /// Packet index is older than the replay window.
    ReplayTooOld = 3,
    /// The caller's buffer is too small for the output.
    BufferTooSmall = 4,
    /// A parameter given by the caller is out of range or inconsistent.
    InvalidParameter = 5,
    /// Input bytes are malformed (bad length, version, structure).
    Parse = 6,
    /// A signature did not verify or is out of range.
    InvalidSignature = 7,
    /// A point is not on the curve, not in the subgroup, or badly encoded.
    InvalidPoint = 8,
    /// No key is known under the given identifier (MKI, key id).
    UnknownKey = 9,
    /// The key is outside its period of validity.
    KeyExpired = 10,
    /// The key has protected the maximum number of packets allowed.
    KeyExhausted = 11,
    /// A bounded table (streams, keys) is full.
    CapacityExceeded = 12,
    /// A key or key pair failed validation (RSK, SSK/PVT).
    InvalidKey = 13,
    /// A message is stale, from the future, or replayed.
    Freshness = 14,
    /// The operation or message variant is not supported.
    Unsupported = 15,
    /// The random number generator failed.
    Rng = 16,
}

/// Result alias used throughout the crate.
pub type Result<T> = core::result::Result<T, Error>;

impl Error {
    /// A short static description.
    pub const fn as_str(self) -> &'static str {
        match self {
            Error::AuthFailed => "authentication failed",
            Error::ReplayDuplicate => "replayed packet (duplicate index)",
            Error::ReplayTooOld => "replayed packet (index older than the window)",
            Error::BufferTooSmall => "buffer too small",
            Error::InvalidParameter => "invalid parameter",
            Error::Parse => "malformed input",
            Error::InvalidSignature => "invalid signature",
            Error::InvalidPoint => "invalid point",
            Error::UnknownKey => "unknown key",
            Error::KeyExpired => "key expired",
            Error::KeyExhausted => "key usage limit reached",
            Error::CapacityExceeded => "capacity exceeded",
            Error::InvalidKey => "invalid key",
            Error::Freshness => "message not fresh",
            Error::Unsupported => "unsupported",
            Error::Rng => "random number generator failure",
        }
    }

    /// All variants, in discriminant order (for the bindings' 1:1 mapping tests).
    pub const ALL: [Error; 16] = [
        Error::AuthFailed,
        Error::ReplayDuplicate,
        Error::ReplayTooOld,
        Error::BufferTooSmall,
        Error::InvalidParameter,
        Error::Parse,
        Error::InvalidSignature,
        Error::InvalidPoint,
        Error::UnknownKey,
        Error::KeyExpired,
        Error::KeyExhausted,
        Error::CapacityExceeded,
        Error::InvalidKey,
        Error::Freshness,
        Error::Unsupported,
        Error::Rng,
    ];
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::error::Error for Error {}
