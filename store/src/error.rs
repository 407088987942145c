//! The one error type of the store.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// Everything that can go wrong in the store.
///
/// No variant carries payload bytes: errors name files, modes, owners,
/// kinds, versions and fixed reasons only, so they can be logged freely.
#[derive(Debug)]
#[non_exhaustive]
pub enum StoreError {
    /// An operating-system call failed.
    Io {
        /// What the store was doing ("open", "rename", "fsync", ...).
        op: &'static str,
        /// The file or directory concerned.
        path: PathBuf,
        /// The underlying error (its `kind()` is the `io::ErrorKind`).
        source: io::Error,
    },
    /// A file or the store directory is accessible by its group or by others.
    Permissions {
        /// The file or directory.
        path: PathBuf,
        /// Its permission bits (`mode & 0o7777`).
        mode: u32,
    },
    /// A file or the store directory is not owned by the user running the store.
    NotOwner {
        /// The file or directory.
        path: PathBuf,
        /// The owner found.
        owner: u32,
        /// The user the store runs as.
        uid: u32,
    },
    /// Something other than the expected type of file is at a path
    /// (for example a symbolic link where a regular file should be).
    WrongFileType {
        /// The path.
        path: PathBuf,
        /// What the store needs there.
        expected: &'static str,
        /// What it found.
        found: &'static str,
    },
    /// Another `Store` (in this or another process) holds the directory.
    Locked {
        /// The store directory.
        path: PathBuf,
    },
    /// A state name is not acceptable (see [`crate::Store`] for the rules).
    InvalidName {
        /// The name, escaped and shortened for display.
        name: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// A kind string is not acceptable.
    InvalidKind {
        /// The kind, escaped and shortened for display.
        kind: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// The file fails verification: truncated, bit-flipped, not a store file,
    /// inconsistent or oversized. The store leaves it as it is.
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The file has a valid checksum but an envelope format this code does not know.
    UnsupportedFormat {
        /// The file.
        path: PathBuf,
        /// The format version found.
        found: u16,
    },
    /// The file holds another kind of state than the caller asked for.
    WrongKind {
        /// The file.
        path: PathBuf,
        /// The kind the caller asked for.
        expected: String,
        /// The kind recorded in the file.
        found: String,
    },
    /// The file's state version is above what the caller can read (on load)
    /// or above the version being saved (on save: no downgrade overwrite).
    TooNew {
        /// The file.
        path: PathBuf,
        /// The version recorded in the file.
        found: u32,
        /// The highest version the caller accepts.
        max: u32,
    },
    /// The payload to save would make a file above the size bound.
    TooLarge {
        /// The target file.
        path: PathBuf,
        /// The envelope size the payload would need (for JSON, a lower
        /// bound: counting stops at the bound).
        size: u64,
        /// The bound ([`crate::MAX_FILE_SIZE`]).
        max: u64,
    },
    /// JSON (de)serialization failed. The detail names a category and, for
    /// decoding, a line and column; never any content of the value or file.
    Serde {
        /// The file.
        path: PathBuf,
        /// "serialize" or "deserialize".
        op: &'static str,
        /// What went wrong, without content.
        detail: String,
    },
}

/// The store's result type.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

impl StoreError {
    pub(crate) fn io(op: &'static str, path: &Path, source: io::Error) -> Self {
        StoreError::Io {
            op,
            path: path.to_path_buf(),
            source,
        }
    }

    pub(crate) fn corrupt(path: &Path, reason: impl Into<String>) -> Self {
        StoreError::Corrupt {
            path: path.to_path_buf(),
            reason: reason.into(),
        }
    }

    /// The file or directory the error is about, if any.
    pub fn path(&self) -> Option<&Path> {
        match self {
            StoreError::Io { path, .. }
            | StoreError::Permissions { path, .. }
            | StoreError::NotOwner { path, .. }
            | StoreError::WrongFileType { path, .. }
            | StoreError::Locked { path }
            | StoreError::Corrupt { path, .. }
            | StoreError::UnsupportedFormat { path, .. }
            | StoreError::WrongKind { path, .. }
            | StoreError::TooNew { path, .. }
            | StoreError::TooLarge { path, .. }
            | StoreError::Serde { path, .. } => Some(path),
            StoreError::InvalidName { .. } | StoreError::InvalidKind { .. } => None,
        }
    }

    /// True when the file at a name fails verification in a way that needs an
    /// operator (inspect, then [`crate::Store::quarantine`] or fix it):
    /// corrupt, wrong permissions, wrong owner, wrong file type, unknown format.
    pub fn needs_operator(&self) -> bool {
        matches!(
            self,
            StoreError::Corrupt { .. }
                | StoreError::Permissions { .. }
                | StoreError::NotOwner { .. }
                | StoreError::WrongFileType { .. }
                | StoreError::UnsupportedFormat { .. }
        )
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Io { op, path, source } => {
                write!(f, "store: {op} {}: {source}", path.display())
            }
            StoreError::Permissions { path, mode } => write!(
                f,
                "store: {} is accessible by group or others (mode {mode:04o}); \
                 store files must be 0600 and the store directory 0700 \
                 (check who may have read it, then chmod)",
                path.display()
            ),
            StoreError::NotOwner { path, owner, uid } => write!(
                f,
                "store: {} is owned by uid {owner}, not by uid {uid} that runs the store",
                path.display()
            ),
            StoreError::WrongFileType {
                path,
                expected,
                found,
            } => {
                write!(
                    f,
                    "store: {} is a {found}, expected a {expected}",
                    path.display()
                )
            }
            StoreError::Locked { path } => write!(
                f,
                "store: {} is in use by another store instance (locked)",
                path.display()
            ),
            StoreError::InvalidName { name, reason } => {
                write!(f, "store: invalid state name {name}: {reason}")
            }
            StoreError::InvalidKind { kind, reason } => {
                write!(f, "store: invalid state kind {kind}: {reason}")
            }
            StoreError::Corrupt { path, reason } => write!(
                f,
                "store: {} is corrupt: {reason}; it was left untouched \
                 (inspect it, then quarantine it to save under this name again)",
                path.display()
            ),
            StoreError::UnsupportedFormat { path, found } => write!(
                f,
                "store: {} uses store format {found}, which this program does not know \
                 (written by a newer version?)",
                path.display()
            ),
            StoreError::WrongKind {
                path,
                expected,
                found,
            } => write!(
                f,
                "store: {} holds state of kind {found:?}, expected {expected:?}",
                path.display()
            ),
            StoreError::TooNew { path, found, max } => write!(
                f,
                "store: {} holds state version {found}, above the highest accepted version {max}",
                path.display()
            ),
            StoreError::TooLarge { path, size, max } => write!(
                f,
                "store: state for {} would take {size} bytes, above the bound of {max}",
                path.display()
            ),
            StoreError::Serde { path, op, detail } => {
                write!(
                    f,
                    "store: cannot {op} JSON state for {}: {detail}",
                    path.display()
                )
            }
        }
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StoreError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Escapes and shortens a caller-supplied string for an error message.
pub(crate) fn shown(s: &str) -> String {
    const MAX: usize = 64;
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i == MAX {
            out.push('…');
            break;
        }
        out.extend(c.escape_debug());
    }
    format!("\"{out}\"")
}
