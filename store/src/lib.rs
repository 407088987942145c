//! File store for the state of the prose-sec roles (KMS, Group Manager,
//! member devices): secret keys and the bookkeeping around them.
//!
//! The core crate is sans-IO; this crate saves a role's serialized state to a
//! file and loads it back, with these guarantees:
//!
//! * **Private.** The store directory is created `0700`; every file is created
//!   `0600`. An existing directory or file that is accessible by its group or by
//!   others, or owned by another user, is refused with a typed error naming it.
//! * **Atomic.** A save writes a temporary file in the same directory
//!   (`O_CREAT|O_EXCL`, mode `0600`), writes everything, `fsync`s it, renames it
//!   over the target and `fsync`s the directory. A process killed at any point
//!   leaves either the old complete state or the new complete state. Temporary
//!   files left by a crash are never read and are removed by the next
//!   [`Store::open`].
//! * **Verified.** Every file carries a SHA-256 over its whole content, so
//!   truncation and bit flips are detected ([`StoreError::Corrupt`]).
//! * **Never destroys evidence.** A file that fails verification is never
//!   overwritten or deleted by the store: [`Store::save`] and [`Store::remove`]
//!   return the verification error. An operator inspects it, then either fixes
//!   it or calls [`Store::quarantine`], which renames it aside to
//!   `<name>.corrupt-<unix seconds>` in the same directory.
//! * **No leaks.** Loaded payloads live in [`Zeroizing`] buffers; the JSON
//!   helpers serialize into a zeroizing buffer sized by a first counting pass,
//!   so it never reallocates. Errors and `Debug` output never show payload bytes.
//! * **One owner.** An open [`Store`] holds an exclusive advisory lock
//!   (`flock`) on its directory; a second `open` of the same directory, in this
//!   or another process, fails with [`StoreError::Locked`]. Share one `Store`
//!   (it is `Send + Sync`, all methods take `&self`) between the roles of one
//!   process. The lock goes with the process, so a killed process never leaves
//!   the store locked.
//!
//! # Names and kinds
//!
//! A state *name* is the file name: 1 to [`MAX_NAME_LEN`] octets of
//! `[A-Za-z0-9._-]`, starting with a letter or digit (so no `.`/`..`, no hidden
//! files, no leading `-`), and not containing `.corrupt-` (reserved for
//! quarantined files). Temporary files start with `.tmp-` and so can never
//! collide with a name.
//!
//! A *kind* says what the state is (for example `kms`, `gms.group`,
//! `member.keys`): 1 to 64 octets of `[A-Za-z0-9._:-]`. Loading with another
//! kind than the one saved is refused ([`StoreError::WrongKind`]), so one role
//! never reads another's state by mistake. The caller's *state version*
//! (a `u32`) is recorded too; loading refuses a version above the caller's
//! `max_version` ([`StoreError::TooNew`]), and saving refuses to overwrite a
//! file whose version is above the one being saved (no silent downgrade).
//!
//! # File format (format 1)
//!
//! All integers are big-endian.
//!
//! | offset        | size | field                                                   |
//! |---------------|------|---------------------------------------------------------|
//! | 0             | 8    | magic `PSECSTOR`                                        |
//! | 8             | 2    | envelope format version, `1`                            |
//! | 10            | 1    | kind length `k`, 1..=64                                 |
//! | 11            | k    | kind, `[A-Za-z0-9._:-]`                                  |
//! | 11+k          | 4    | caller's state version                                  |
//! | 15+k          | 8    | payload length `n`                                      |
//! | 23+k          | n    | payload                                                 |
//! | 23+k+n        | 32   | SHA-256 over every octet before it (offset 0 to 23+k+n) |
//!
//! The file is exactly `55 + k + n` octets; anything else is corrupt. Files
//! are bounded by [`MAX_FILE_SIZE`] (64 MiB). Every future format keeps the
//! magic first, the format version at offset 8 and a SHA-256 of everything
//! before it as the last 32 octets, so the checksum is verified before the
//! format is interpreted: a damaged file is always reported as
//! [`StoreError::Corrupt`], and an intact file of an unknown format as
//! [`StoreError::UnsupportedFormat`].
//!
//! The checksum detects accidents (torn writes, truncation, bit rot), not
//! tampering: anyone who can write the file can recompute it. The directory's
//! `0700` mode is what keeps others out.
//!
//! # Example
//!
//! ```
//! # let dir = std::env::temp_dir().join(format!("prose-sec-store-doc-{}", std::process::id()));
//! use prose_sec_store::Store;
//!
//! let store = Store::open(&dir)?;
//! store.save("kms", "kms", 1, b"secret state")?;
//! let loaded = store.load("kms", "kms", 1)?.expect("saved above");
//! assert_eq!(loaded.version, 1);
//! assert_eq!(&loaded.payload[..], b"secret state");
//! # drop(store); std::fs::remove_dir_all(&dir).unwrap();
//! # Ok::<(), prose_sec_store::StoreError>(())
//! ```
//!
//! # Limits
//!
//! Unix only (modes, owners, `O_NOFOLLOW`, `flock`).
//!
//! The directory path is used by name for each operation; the store relies on
//! the directory being owned by the user and `0700` (checked at open and before
//! every save and load) so that nobody else can swap entries in it. A symbolic
//! link as the directory path itself is followed (the target is what gets
//! checked); symbolic links inside the directory are refused.
//!
//! [`Store::load_json`] decodes with `serde_json::from_slice`; the payload
//! buffer is zeroized, but serde_json's internal scratch buffer for strings
//! with escapes is not, and zeroizing the decoded value is up to its type.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod envelope;
mod error;

pub use error::{Result, StoreError};

use std::fmt;
use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, FileTypeExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::de::DeserializeOwned;
use serde::Serialize;
use zeroize::Zeroizing;

use error::shown;

/// Upper bound on a store file's size, envelope included (64 MiB).
pub const MAX_FILE_SIZE: u64 = 64 * 1024 * 1024;

/// Longest state name, in octets.
pub const MAX_NAME_LEN: usize = 128;

/// Prefix of temporary files (never a valid name: names cannot start with `.`).
const TMP_PREFIX: &str = ".tmp-";

/// Marker of quarantined files, reserved in names.
const QUARANTINE_MARK: &str = ".corrupt-";

/// A loaded state: the caller's version and the payload.
///
/// `Debug` shows the version and the payload's length, never its bytes.
pub struct Loaded {
    /// The state version recorded at save.
    pub version: u32,
    /// The payload, zeroized when dropped.
    pub payload: Zeroizing<Vec<u8>>,
}

impl fmt::Debug for Loaded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Loaded")
            .field("version", &self.version)
            .field("payload_len", &self.payload.len())
            .finish()
    }
}

/// A value loaded by [`Store::load_json`] with its state version.
///
/// `Debug` shows the version only.
pub struct Versioned<T> {
    /// The state version recorded at save.
    pub version: u32,
    /// The decoded value.
    pub value: T,
}

impl<T> fmt::Debug for Versioned<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Versioned")
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

/// A directory of state files, locked for this instance. See the crate docs.
pub struct Store {
    dir: PathBuf,
    /// The directory, open: locked for the store's life, and `fsync`ed after renames.
    dir_file: File,
    /// The user the store runs as (learned from a file it created).
    uid: u32,
    /// Makes temporary file names unique within the process.
    counter: AtomicU64,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("dir", &self.dir)
            .field("uid", &self.uid)
            .finish()
    }
}

impl Store {
    /// Opens (creating it `0700`, with any missing parents, if needed) the store
    /// directory `dir`.
    ///
    /// Refuses a directory that is group- or world-accessible
    /// ([`StoreError::Permissions`]), owned by another user
    /// ([`StoreError::NotOwner`]), not a directory, or held by another `Store`
    /// ([`StoreError::Locked`]). Removes temporary files left by a crashed save.
    pub fn open(dir: impl AsRef<Path>) -> Result<Store> {
        let dir = std::path::absolute(dir.as_ref())
            .map_err(|e| StoreError::io("resolve", dir.as_ref(), e))?;

        let created = match fs::metadata(&dir) {
            Ok(_) => false,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                match fs::DirBuilder::new()
                    .recursive(true)
                    .mode(0o700)
                    .create(&dir)
                {
                    Ok(()) => true,
                    Err(e) => return Err(StoreError::io("create directory", &dir, e)),
                }
            }
            Err(e) => return Err(StoreError::io("stat", &dir, e)),
        };

        let dir_file = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_DIRECTORY)
            .open(&dir)
            .map_err(|e| match e.raw_os_error() {
                Some(libc::ENOTDIR) => StoreError::WrongFileType {
                    path: dir.clone(),
                    expected: "directory",
                    found: "non-directory",
                },
                _ => StoreError::io("open directory", &dir, e),
            })?;
        if created {
            // The umask may have taken bits away; make it exactly 0700.
            dir_file
                .set_permissions(fs::Permissions::from_mode(0o700))
                .map_err(|e| StoreError::io("chmod", &dir, e))?;
            if let Some(parent) = dir.parent() {
                sync_dir(parent)?;
            }
        }
        let meta = dir_file
            .metadata()
            .map_err(|e| StoreError::io("stat", &dir, e))?;
        if !meta.is_dir() {
            return Err(StoreError::WrongFileType {
                path: dir,
                expected: "directory",
                found: file_type_name(&meta),
            });
        }
        check_private(&dir, &meta)?;

        match dir_file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => return Err(StoreError::Locked { path: dir }),
            Err(TryLockError::Error(e)) => return Err(StoreError::io("lock", &dir, e)),
        }

        let mut store = Store {
            dir,
            dir_file,
            uid: 0,
            counter: AtomicU64::new(0),
        };
        store.uid = store.learn_uid()?;
        if meta.uid() != store.uid {
            return Err(StoreError::NotOwner {
                path: store.dir.clone(),
                owner: meta.uid(),
                uid: store.uid,
            });
        }
        store.clean_temporaries()?;
        Ok(store)
    }

    /// The store directory (absolute).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The path of the file for `name`.
    pub fn path_of(&self, name: &str) -> Result<PathBuf> {
        check_name(name)?;
        Ok(self.dir.join(name))
    }

    /// Saves `payload` as the state `name` of `kind` at state `version`,
    /// atomically and durably (see the crate docs).
    ///
    /// If a file already exists under `name` it is verified first, and the save
    /// is refused, leaving it untouched, if it fails verification (the error
    /// says why: [`StoreError::Corrupt`], [`StoreError::Permissions`], ...),
    /// holds another kind ([`StoreError::WrongKind`]) or a higher version
    /// ([`StoreError::TooNew`]).
    ///
    /// If the final directory `fsync` fails the new state is in place but may
    /// not survive a power loss; the error is returned.
    pub fn save(&self, name: &str, kind: &str, version: u32, payload: &[u8]) -> Result<()> {
        check_name(name)?;
        check_kind(kind)?;
        let target = self.dir.join(name);
        let size = envelope::file_len(kind, payload.len() as u64);
        if size > MAX_FILE_SIZE {
            return Err(StoreError::TooLarge {
                path: target,
                size,
                max: MAX_FILE_SIZE,
            });
        }
        self.check_dir()?;
        // Verify what is there now; never replace a file that fails.
        if let Some(bytes) = self.read_file(&target)? {
            verify(&target, &bytes, kind, version)?;
        }

        let header = envelope::header(kind, version, payload.len() as u64);
        let mut hasher = <sha2::Sha256 as sha2::Digest>::new();
        sha2::Digest::update(&mut hasher, &header);
        sha2::Digest::update(&mut hasher, payload);
        let sum = sha2::Digest::finalize(hasher);

        let (tmp_path, mut tmp) = self.create_temporary(name)?;
        let written = (|| {
            tmp.write_all(&header)
                .map_err(|e| StoreError::io("write", &tmp_path, e))?;
            tmp.write_all(payload)
                .map_err(|e| StoreError::io("write", &tmp_path, e))?;
            tmp.write_all(&sum)
                .map_err(|e| StoreError::io("write", &tmp_path, e))?;
            tmp.sync_all()
                .map_err(|e| StoreError::io("fsync", &tmp_path, e))?;
            drop(tmp);
            fs::rename(&tmp_path, &target).map_err(|e| StoreError::io("rename", &target, e))
        })();
        if let Err(e) = written {
            let _ = fs::remove_file(&tmp_path);
            return Err(e);
        }
        self.sync()
    }

    /// Loads the state `name`, which must be of `kind` with a version at most
    /// `max_version`. `Ok(None)` if there is no file under `name`.
    ///
    /// Refuses, with an error naming the file: a symbolic link or other
    /// non-regular file, a file not owned by the store's user, a group- or
    /// world-accessible file, a file that fails verification (bad magic,
    /// checksum, truncation, over [`MAX_FILE_SIZE`]), another kind, a version
    /// above `max_version`. The file is never modified.
    pub fn load(&self, name: &str, kind: &str, max_version: u32) -> Result<Option<Loaded>> {
        check_name(name)?;
        check_kind(kind)?;
        let path = self.dir.join(name);
        self.check_dir()?;
        let Some(bytes) = self.read_file(&path)? else {
            return Ok(None);
        };
        let d = verify(&path, &bytes, kind, max_version)?;
        let mut payload = Zeroizing::new(Vec::with_capacity(d.payload.len()));
        payload.extend_from_slice(d.payload);
        Ok(Some(Loaded {
            version: d.version,
            payload,
        }))
    }

    /// Serializes `value` as JSON and [`save`](Store::save)s it.
    ///
    /// The JSON lives only in a zeroizing buffer sized exactly by a first
    /// counting pass (so it never reallocates and leaves no copies). A
    /// `Serialize` failure is [`StoreError::Serde`], without the message of
    /// the value's implementation (which could quote the value).
    pub fn save_json<T: Serialize + ?Sized>(
        &self,
        name: &str,
        kind: &str,
        version: u32,
        value: &T,
    ) -> Result<()> {
        check_name(name)?;
        check_kind(kind)?;
        let path = self.dir.join(name);
        let serde_err = |detail: &str| StoreError::Serde {
            path: path.clone(),
            op: "serialize",
            detail: detail.to_owned(),
        };
        let limit = MAX_FILE_SIZE - envelope::file_len(kind, 0);

        let mut counter = Counter { count: 0, limit };
        if let Err(e) = serde_json::to_writer(&mut counter, value) {
            if counter.count > limit {
                let size = envelope::file_len(kind, counter.count);
                return Err(StoreError::TooLarge {
                    path,
                    size,
                    max: MAX_FILE_SIZE,
                });
            }
            return Err(serde_err(serialize_detail(&e)));
        }
        let len = usize::try_from(counter.count).expect("bounded by MAX_FILE_SIZE");
        let mut buf = Zeroizing::new(Vec::with_capacity(len));
        let mut writer = Bounded { buf: &mut buf };
        if let Err(e) = serde_json::to_writer(&mut writer, value) {
            return Err(match e.classify() {
                serde_json::error::Category::Io => {
                    serde_err("the value serialized longer on the second pass than on the first")
                }
                _ => serde_err(serialize_detail(&e)),
            });
        }
        self.save(name, kind, version, &buf)
    }

    /// [`load`](Store::load)s `name` and decodes it as JSON into `T`.
    ///
    /// A decoding failure is [`StoreError::Serde`] with a category, line and
    /// column only (serde_json's messages can quote the input).
    pub fn load_json<T: DeserializeOwned>(
        &self,
        name: &str,
        kind: &str,
        max_version: u32,
    ) -> Result<Option<Versioned<T>>> {
        let Some(loaded) = self.load(name, kind, max_version)? else {
            return Ok(None);
        };
        match serde_json::from_slice::<T>(&loaded.payload) {
            Ok(value) => Ok(Some(Versioned {
                version: loaded.version,
                value,
            })),
            Err(e) => {
                let what = match e.classify() {
                    serde_json::error::Category::Syntax => "malformed JSON",
                    serde_json::error::Category::Data => "JSON does not match the expected type",
                    serde_json::error::Category::Eof => "JSON ends early",
                    serde_json::error::Category::Io => "read error",
                };
                Err(StoreError::Serde {
                    path: self.dir.join(name),
                    op: "deserialize",
                    detail: format!("{what} at line {}, column {}", e.line(), e.column()),
                })
            }
        }
    }

    /// Removes the state `name` of `kind`. `Ok(false)` if there was none.
    ///
    /// Like [`save`](Store::save), refuses (leaving it in place) a file that
    /// fails verification or holds another kind: use
    /// [`quarantine`](Store::quarantine) for those.
    pub fn remove(&self, name: &str, kind: &str) -> Result<bool> {
        check_name(name)?;
        check_kind(kind)?;
        let path = self.dir.join(name);
        self.check_dir()?;
        let Some(bytes) = self.read_file(&path)? else {
            return Ok(false);
        };
        verify(&path, &bytes, kind, u32::MAX)?;
        fs::remove_file(&path).map_err(|e| StoreError::io("remove", &path, e))?;
        self.sync()?;
        Ok(true)
    }

    /// Moves whatever is under `name` (valid or not, of any file type) aside to
    /// `<name>.corrupt-<unix seconds>` (with `.<n>` appended if that exists) in
    /// the store directory, for an operator to inspect; its content, mode and
    /// owner are kept. Returns the new path, or `None` if nothing was there.
    /// Afterwards `name` can be saved again.
    pub fn quarantine(&self, name: &str) -> Result<Option<PathBuf>> {
        check_name(name)?;
        let path = self.dir.join(name);
        self.check_dir()?;
        match fs::symlink_metadata(&path) {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(StoreError::io("stat", &path, e)),
        }
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let base = format!("{name}{QUARANTINE_MARK}{secs}");
        for n in 0u32..10_000 {
            let aside = self.dir.join(if n == 0 {
                base.clone()
            } else {
                format!("{base}.{n}")
            });
            // The directory is ours (0700) and locked, so nothing appears
            // between this check and the rename.
            match fs::symlink_metadata(&aside) {
                Ok(_) => continue,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(StoreError::io("stat", &aside, e)),
            }
            fs::rename(&path, &aside).map_err(|e| StoreError::io("rename", &path, e))?;
            self.sync()?;
            return Ok(Some(aside));
        }
        Err(StoreError::io(
            "quarantine",
            &path,
            io::Error::new(io::ErrorKind::AlreadyExists, "too many quarantined copies"),
        ))
    }

    /// The names of the states in the store, sorted (temporary and quarantined
    /// files excluded). Listing does not verify them.
    pub fn names(&self) -> Result<Vec<String>> {
        let entries = fs::read_dir(&self.dir).map_err(|e| StoreError::io("list", &self.dir, e))?;
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| StoreError::io("list", &self.dir, e))?;
            if let Some(name) = entry.file_name().to_str() {
                if check_name(name).is_ok() {
                    names.push(name.to_owned());
                }
            }
        }
        names.sort();
        Ok(names)
    }

    /// `fsync`s the directory.
    fn sync(&self) -> Result<()> {
        self.dir_file
            .sync_all()
            .map_err(|e| StoreError::io("fsync", &self.dir, e))
    }

    /// Re-checks the directory's mode and owner (it could have been changed
    /// since open).
    fn check_dir(&self) -> Result<()> {
        let meta = self
            .dir_file
            .metadata()
            .map_err(|e| StoreError::io("stat", &self.dir, e))?;
        check_private(&self.dir, &meta)?;
        if meta.uid() != self.uid {
            return Err(StoreError::NotOwner {
                path: self.dir.clone(),
                owner: meta.uid(),
                uid: self.uid,
            });
        }
        Ok(())
    }

    /// Creates a fresh temporary file, `O_CREAT|O_EXCL`, mode exactly 0600.
    fn create_temporary(&self, name: &str) -> Result<(PathBuf, File)> {
        loop {
            let n = self.counter.fetch_add(1, Ordering::Relaxed);
            let path = self
                .dir
                .join(format!("{TMP_PREFIX}{name}.{}.{n}", std::process::id()));
            match OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .custom_flags(libc::O_NOFOLLOW)
                .open(&path)
            {
                Ok(file) => {
                    // The umask can only take bits away; set exactly 0600.
                    if let Err(e) = file.set_permissions(fs::Permissions::from_mode(0o600)) {
                        let _ = fs::remove_file(&path);
                        return Err(StoreError::io("chmod", &path, e));
                    }
                    return Ok((path, file));
                }
                // A leftover of an earlier process with the same pid.
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(StoreError::io("create", &path, e)),
            }
        }
    }

    /// Learns the user the store runs as from the owner of a file it creates.
    fn learn_uid(&self) -> Result<u32> {
        let (path, file) = self.create_temporary("probe")?;
        let meta = file
            .metadata()
            .map_err(|e| StoreError::io("stat", &path, e));
        drop(file);
        fs::remove_file(&path).map_err(|e| StoreError::io("remove", &path, e))?;
        Ok(meta?.uid())
    }

    /// Removes temporary files left by saves that never reached their rename.
    fn clean_temporaries(&self) -> Result<()> {
        let entries = fs::read_dir(&self.dir).map_err(|e| StoreError::io("list", &self.dir, e))?;
        let mut removed = false;
        for entry in entries {
            let entry = entry.map_err(|e| StoreError::io("list", &self.dir, e))?;
            if !entry
                .file_name()
                .as_encoded_bytes()
                .starts_with(TMP_PREFIX.as_bytes())
            {
                continue;
            }
            let path = entry.path();
            let ft = entry
                .file_type()
                .map_err(|e| StoreError::io("stat", &path, e))?;
            if ft.is_dir() {
                continue; // not ours; leave it
            }
            fs::remove_file(&path).map_err(|e| StoreError::io("remove", &path, e))?;
            removed = true;
        }
        if removed {
            self.sync()?;
        }
        Ok(())
    }

    /// Reads a whole store file after checking its type, owner, mode and size.
    /// `Ok(None)` if it does not exist.
    fn read_file(&self, path: &Path) -> Result<Option<Zeroizing<Vec<u8>>>> {
        let mut file = match OpenOptions::new()
            .read(true)
            // No following links; no blocking on a FIFO; no controlling tty.
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY)
            .open(path)
        {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
                return Err(StoreError::WrongFileType {
                    path: path.to_path_buf(),
                    expected: "regular file",
                    found: "symbolic link",
                })
            }
            Err(e) => return Err(StoreError::io("open", path, e)),
        };
        let meta = file
            .metadata()
            .map_err(|e| StoreError::io("stat", path, e))?;
        if !meta.is_file() {
            return Err(StoreError::WrongFileType {
                path: path.to_path_buf(),
                expected: "regular file",
                found: file_type_name(&meta),
            });
        }
        if meta.uid() != self.uid {
            return Err(StoreError::NotOwner {
                path: path.to_path_buf(),
                owner: meta.uid(),
                uid: self.uid,
            });
        }
        check_private(path, &meta)?;
        let size = meta.len();
        if size > MAX_FILE_SIZE {
            return Err(StoreError::corrupt(
                path,
                format!("file is {size} bytes, above the bound of {MAX_FILE_SIZE}"),
            ));
        }
        let mut buf = Zeroizing::new(vec![0u8; size as usize]);
        match file.read_exact(&mut buf) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                return Err(StoreError::corrupt(path, "file shrank while being read"))
            }
            Err(e) => return Err(StoreError::io("read", path, e)),
        }
        let mut extra = [0u8; 1];
        match file.read(&mut extra) {
            Ok(0) => Ok(Some(buf)),
            Ok(_) => Err(StoreError::corrupt(path, "file grew while being read")),
            Err(e) => Err(StoreError::io("read", path, e)),
        }
    }
}

/// Verifies a file's octets, its kind and its version against `max_version`.
fn verify<'a>(
    path: &Path,
    bytes: &'a [u8],
    kind: &str,
    max_version: u32,
) -> Result<envelope::Decoded<'a>> {
    let d = envelope::decode(bytes).map_err(|e| match e {
        envelope::DecodeError::Corrupt(reason) => StoreError::corrupt(path, reason),
        envelope::DecodeError::UnsupportedFormat(found) => StoreError::UnsupportedFormat {
            path: path.to_path_buf(),
            found,
        },
    })?;
    if d.kind != kind {
        return Err(StoreError::WrongKind {
            path: path.to_path_buf(),
            expected: kind.to_owned(),
            found: d.kind.to_owned(),
        });
    }
    if d.version > max_version {
        return Err(StoreError::TooNew {
            path: path.to_path_buf(),
            found: d.version,
            max: max_version,
        });
    }
    Ok(d)
}

/// Refuses group or world permission bits.
fn check_private(path: &Path, meta: &fs::Metadata) -> Result<()> {
    let mode = meta.mode() & 0o7777;
    if mode & 0o077 != 0 {
        return Err(StoreError::Permissions {
            path: path.to_path_buf(),
            mode,
        });
    }
    Ok(())
}

/// `fsync`s a directory given by path.
fn sync_dir(dir: &Path) -> Result<()> {
    let f = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECTORY)
        .open(dir)
        .map_err(|e| StoreError::io("open directory", dir, e))?;
    f.sync_all().map_err(|e| StoreError::io("fsync", dir, e))
}

fn file_type_name(meta: &fs::Metadata) -> &'static str {
    let ft = meta.file_type();
    if ft.is_symlink() {
        "symbolic link"
    } else if ft.is_dir() {
        "directory"
    } else if ft.is_file() {
        "regular file"
    } else if ft.is_fifo() {
        "FIFO"
    } else if ft.is_socket() {
        "socket"
    } else if ft.is_block_device() {
        "block device"
    } else if ft.is_char_device() {
        "character device"
    } else {
        "special file"
    }
}

/// Why `name` is not a valid state name, if it is not.
fn name_problem(name: &str) -> Option<&'static str> {
    let first = *name.as_bytes().first()?;
    if name.len() > MAX_NAME_LEN {
        return Some("longer than 128 octets");
    }
    if !first.is_ascii_alphanumeric() {
        return Some("must start with a letter or digit");
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    {
        return Some("only letters, digits, '.', '_' and '-' are allowed");
    }
    if name.contains(QUARANTINE_MARK) {
        return Some("'.corrupt-' is reserved for quarantined files");
    }
    None
}

fn check_name(name: &str) -> Result<()> {
    if name.is_empty() {
        return Err(StoreError::InvalidName {
            name: shown(name),
            reason: "empty",
        });
    }
    match name_problem(name) {
        None => Ok(()),
        Some(reason) => Err(StoreError::InvalidName {
            name: shown(name),
            reason,
        }),
    }
}

/// Why `kind` is not a valid kind, if it is not.
pub(crate) fn kind_problem(kind: &str) -> Option<&'static str> {
    if kind.is_empty() {
        return Some("empty");
    }
    if kind.len() > envelope::MAX_KIND_LEN {
        return Some("longer than 64 octets");
    }
    if !kind
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
    {
        return Some("only letters, digits, '.', '_', ':' and '-' are allowed");
    }
    None
}

fn check_kind(kind: &str) -> Result<()> {
    match kind_problem(kind) {
        None => Ok(()),
        Some(reason) => Err(StoreError::InvalidKind {
            kind: shown(kind),
            reason,
        }),
    }
}

fn serialize_detail(e: &serde_json::Error) -> &'static str {
    match e.classify() {
        serde_json::error::Category::Io => "write error while serializing",
        _ => "the value cannot be represented as JSON (its Serialize implementation failed)",
    }
}

/// Counts serialized octets, failing past `limit`.
struct Counter {
    count: u64,
    limit: u64,
}

impl Write for Counter {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        self.count = self.count.saturating_add(b.len() as u64);
        if self.count > self.limit {
            return Err(io::Error::other("too large"));
        }
        Ok(b.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Appends to a vector without ever growing it past its capacity.
struct Bounded<'a> {
    buf: &'a mut Vec<u8>,
}

impl Write for Bounded<'_> {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        if self.buf.capacity() - self.buf.len() < b.len() {
            return Err(io::Error::other("capacity exceeded"));
        }
        self.buf.extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for ok in ["kms", "gms-1", "member_7.keys", "A", "0", &"a".repeat(128)] {
            assert!(check_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            ".",
            "..",
            ".hidden",
            "-x",
            "a/b",
            "/abs",
            "a b",
            "é",
            "a\0b",
            "x.corrupt-1",
            &"a".repeat(129),
        ] {
            assert!(
                matches!(check_name(bad), Err(StoreError::InvalidName { .. })),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn kinds() {
        assert!(check_kind("gms.group:v1").is_ok());
        assert!(check_kind("").is_err());
        assert!(check_kind("a b").is_err());
        assert!(check_kind(&"k".repeat(65)).is_err());
    }

    #[test]
    fn envelope_layout() {
        let h = envelope::header("kms", 7, 5);
        assert_eq!(&h[..8], b"PSECSTOR");
        assert_eq!(&h[8..10], &[0, 1]);
        assert_eq!(h[10], 3);
        assert_eq!(&h[11..14], b"kms");
        assert_eq!(&h[14..18], &7u32.to_be_bytes());
        assert_eq!(&h[18..26], &5u64.to_be_bytes());
        assert_eq!(envelope::file_len("kms", 5), 55 + 3 + 5);
    }
}
