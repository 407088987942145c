//! Behaviour of the file store: round trips, permissions, refusals, corruption
//! detection that never touches the file, quarantine, temporary files.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use prose_sec_store::{Store, StoreError, MAX_FILE_SIZE};
use serde::{Deserialize, Serialize};

/// A fresh, not yet existing directory path under the target's temporary area.
fn fresh_dir(tag: &str) -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    let base = Path::new(env!("CARGO_TARGET_TMPDIR")).join("store-tests");
    fs::create_dir_all(&base).unwrap();
    let dir = base.join(format!(
        "{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = fs::remove_dir_all(&dir);
    dir
}

fn mode(path: &Path) -> u32 {
    fs::symlink_metadata(path).unwrap().permissions().mode() & 0o7777
}

fn chmod(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

/// Writes raw bytes to a file with mode 0600 (as the store would).
fn write_private(path: &Path, bytes: &[u8]) {
    let _ = fs::remove_file(path);
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .unwrap();
    f.write_all(bytes).unwrap();
}

fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    v.sort();
    v
}

#[test]
fn round_trip_and_overwrite() {
    let dir = fresh_dir("round");
    let store = Store::open(&dir).unwrap();
    assert!(store.load("kms", "kms", 1).unwrap().is_none());

    store.save("kms", "kms", 1, b"first").unwrap();
    let l = store.load("kms", "kms", 1).unwrap().unwrap();
    assert_eq!((l.version, &l.payload[..]), (1, &b"first"[..]));

    store
        .save("kms", "kms", 2, b"second, longer state")
        .unwrap();
    let l = store.load("kms", "kms", 5).unwrap().unwrap();
    assert_eq!(
        (l.version, &l.payload[..]),
        (2, &b"second, longer state"[..])
    );

    store.save("empty", "k", 0, b"").unwrap();
    let l = store.load("empty", "k", 0).unwrap().unwrap();
    assert!(l.payload.is_empty());

    let big: Vec<u8> = (0..1_000_000u32).map(|i| (i * 7 + 3) as u8).collect();
    store.save("big", "k", 1, &big).unwrap();
    assert_eq!(
        &store.load("big", "k", 1).unwrap().unwrap().payload[..],
        &big[..]
    );

    assert_eq!(store.names().unwrap(), ["big", "empty", "kms"]);
    assert_eq!(entries(&dir), ["big", "empty", "kms"]);

    // Survives reopening.
    drop(store);
    let store = Store::open(&dir).unwrap();
    assert_eq!(
        &store.load("kms", "kms", 2).unwrap().unwrap().payload[..],
        b"second, longer state"
    );
}

#[test]
fn debug_and_errors_never_show_payload() {
    let dir = fresh_dir("debug");
    let store = Store::open(&dir).unwrap();
    store.save("s", "k", 1, b"TOPSECRET").unwrap();
    let l = store.load("s", "k", 1).unwrap().unwrap();
    let dbg = format!("{l:?}");
    assert!(
        !dbg.contains("TOPSECRET") && !dbg.contains("84, 79"),
        "{dbg}"
    );
    assert!(dbg.contains("payload_len: 9"), "{dbg}");
    let e = store.load("s", "other", 1).unwrap_err();
    assert!(!format!("{e} {e:?}").contains("TOPSECRET"));
}

#[test]
fn modes_are_0600_and_0700() {
    let dir = fresh_dir("modes");
    let store = Store::open(dir.join("nested")).unwrap();
    assert_eq!(mode(&dir.join("nested")), 0o700);
    store.save("a", "k", 1, b"x").unwrap();
    assert_eq!(mode(&dir.join("nested/a")), 0o600);
    // Still 0600 after an overwrite.
    store.save("a", "k", 1, b"y").unwrap();
    assert_eq!(mode(&dir.join("nested/a")), 0o600);
}

#[test]
fn refuses_accessible_directory() {
    for bad in [0o755, 0o750, 0o701, 0o707, 0o770] {
        let dir = fresh_dir("dirmode");
        fs::create_dir(&dir).unwrap();
        chmod(&dir, bad);
        match Store::open(&dir) {
            Err(StoreError::Permissions { path, mode }) => {
                assert_eq!(path, dir);
                assert_eq!(mode, bad);
            }
            other => panic!("{bad:o}: {other:?}"),
        }
        let msg = Store::open(&dir).unwrap_err().to_string();
        assert!(
            msg.contains(&dir.display().to_string()) && msg.contains(&format!("{bad:04o}")),
            "{msg}"
        );
    }
    // A directory made accessible after open is refused on the next operation.
    let dir = fresh_dir("dirmode-later");
    let store = Store::open(&dir).unwrap();
    store.save("a", "k", 1, b"x").unwrap();
    chmod(&dir, 0o755);
    assert!(matches!(
        store.load("a", "k", 1),
        Err(StoreError::Permissions { .. })
    ));
    assert!(matches!(
        store.save("a", "k", 1, b"y"),
        Err(StoreError::Permissions { .. })
    ));
    chmod(&dir, 0o700);
    assert!(store.load("a", "k", 1).unwrap().is_some());
}

#[test]
fn refuses_a_file_as_directory() {
    let dir = fresh_dir("notdir");
    write_private(&dir, b"x");
    assert!(matches!(
        Store::open(&dir),
        Err(StoreError::WrongFileType { .. })
    ));
}

#[test]
fn refuses_accessible_files() {
    let dir = fresh_dir("filemode");
    let store = Store::open(&dir).unwrap();
    store.save("a", "k", 1, b"secret").unwrap();
    let path = dir.join("a");
    for bad in [0o644, 0o640, 0o604, 0o660, 0o606, 0o666] {
        chmod(&path, bad);
        let before = fs::read(&path).unwrap();
        match store.load("a", "k", 1) {
            Err(StoreError::Permissions { path: p, mode }) => {
                assert_eq!(p, path);
                assert_eq!(mode, bad);
            }
            other => panic!("{bad:o}: {other:?}"),
        }
        // Not overwritten or removed either.
        assert!(matches!(
            store.save("a", "k", 1, b"new"),
            Err(StoreError::Permissions { .. })
        ));
        assert!(matches!(
            store.remove("a", "k"),
            Err(StoreError::Permissions { .. })
        ));
        assert_eq!(fs::read(&path).unwrap(), before);
        assert_eq!(mode(&path), bad);
    }
    // Owner-only modes other than 0600 are fine.
    chmod(&path, 0o400);
    assert!(store.load("a", "k", 1).unwrap().is_some());
    chmod(&path, 0o600);
    assert!(store.load("a", "k", 1).unwrap().is_some());
}

#[test]
fn refuses_symlinks_and_other_file_types() {
    let dir = fresh_dir("symlink");
    let store = Store::open(&dir).unwrap();
    store.save("real", "k", 1, b"secret").unwrap();
    std::os::unix::fs::symlink(dir.join("real"), dir.join("link")).unwrap();
    match store.load("link", "k", 1) {
        Err(StoreError::WrongFileType { path, found, .. }) => {
            assert_eq!(path, dir.join("link"));
            assert_eq!(found, "symbolic link");
        }
        other => panic!("{other:?}"),
    }
    // Saving over a link is refused too, and the link stays.
    assert!(matches!(
        store.save("link", "k", 1, b"x"),
        Err(StoreError::WrongFileType { .. })
    ));
    assert!(fs::symlink_metadata(dir.join("link"))
        .unwrap()
        .file_type()
        .is_symlink());
    // A dangling link as well.
    std::os::unix::fs::symlink(dir.join("nowhere"), dir.join("dangling")).unwrap();
    assert!(matches!(
        store.load("dangling", "k", 1),
        Err(StoreError::WrongFileType { .. })
    ));

    fs::create_dir(dir.join("sub")).unwrap();
    match store.load("sub", "k", 1) {
        Err(StoreError::WrongFileType { found, .. }) => assert_eq!(found, "directory"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn refuses_files_of_another_owner() {
    let dir = fresh_dir("owner");
    let store = Store::open(&dir).unwrap();
    store.save("a", "k", 1, b"secret").unwrap();
    // Only possible when the tests run as root.
    if std::os::unix::fs::chown(dir.join("a"), Some(54321), None).is_err() {
        eprintln!("not root: owner check not exercised");
        return;
    }
    match store.load("a", "k", 1) {
        Err(StoreError::NotOwner { owner, .. }) => assert_eq!(owner, 54321),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        store.save("a", "k", 1, b"x"),
        Err(StoreError::NotOwner { .. })
    ));
    drop(store);
    std::os::unix::fs::chown(&dir, Some(54321), None).unwrap();
    assert!(matches!(
        Store::open(&dir),
        Err(StoreError::NotOwner { .. })
    ));
}

#[test]
fn truncation_at_every_length_is_corrupt_and_untouched() {
    let dir = fresh_dir("trunc");
    let store = Store::open(&dir).unwrap();
    store
        .save(
            "s",
            "member.keys",
            3,
            b"0123456789abcdefghijklmnopqrstuvwxyz",
        )
        .unwrap();
    let good = fs::read(dir.join("s")).unwrap();
    let path = dir.join("t");
    for len in 0..good.len() {
        write_private(&path, &good[..len]);
        match store.load("t", "member.keys", 3) {
            Err(StoreError::Corrupt { path: p, reason }) => {
                assert_eq!(p, path);
                assert!(!reason.is_empty());
            }
            other => panic!("length {len}: {other:?}"),
        }
        // A save over it is refused; the file stays byte-identical.
        assert!(matches!(
            store.save("t", "member.keys", 3, b"new"),
            Err(StoreError::Corrupt { .. })
        ));
        assert_eq!(fs::read(&path).unwrap(), &good[..len], "length {len}");
    }
    // A byte appended is caught too.
    let mut longer = good.clone();
    longer.push(0);
    write_private(&path, &longer);
    assert!(matches!(
        store.load("t", "member.keys", 3),
        Err(StoreError::Corrupt { .. })
    ));
}

#[test]
fn every_bit_flip_is_corrupt_and_untouched() {
    let dir = fresh_dir("flip");
    let store = Store::open(&dir).unwrap();
    store
        .save("s", "gms.group", 2, b"group state with keys")
        .unwrap();
    let good = fs::read(dir.join("s")).unwrap();
    let path = dir.join("s");
    for pos in 0..good.len() {
        for bit in 0..8 {
            let mut bad = good.clone();
            bad[pos] ^= 1 << bit;
            write_private(&path, &bad);
            match store.load("s", "gms.group", u32::MAX) {
                Err(StoreError::Corrupt { .. }) => {}
                other => panic!("byte {pos} bit {bit}: {other:?}"),
            }
            assert!(matches!(
                store.save("s", "gms.group", 2, b"x"),
                Err(StoreError::Corrupt { .. })
            ));
            assert!(matches!(
                store.remove("s", "gms.group"),
                Err(StoreError::Corrupt { .. })
            ));
            assert_eq!(fs::read(&path).unwrap(), bad);
        }
    }
    write_private(&path, &good);
    assert!(store.load("s", "gms.group", 2).unwrap().is_some());
}

#[test]
fn corrupt_message_names_the_file() {
    let dir = fresh_dir("msg");
    let store = Store::open(&dir).unwrap();
    write_private(
        &dir.join("kms"),
        b"garbage garbage garbage garbage garbage garbage garbage garbage",
    );
    let e = store.load("kms", "kms", 1).unwrap_err();
    assert!(e.needs_operator());
    assert_eq!(e.path(), Some(dir.join("kms").as_path()));
    let msg = e.to_string();
    assert!(
        msg.contains(&dir.join("kms").display().to_string()) && msg.contains("corrupt"),
        "{msg}"
    );
}

#[test]
fn oversized_file_is_refused() {
    let dir = fresh_dir("big");
    let store = Store::open(&dir).unwrap();
    let f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(dir.join("huge"))
        .unwrap();
    f.set_len(MAX_FILE_SIZE + 1).unwrap(); // sparse
    drop(f);
    match store.load("huge", "k", 1) {
        Err(StoreError::Corrupt { reason, .. }) => {
            assert!(reason.contains("above the bound"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        fs::metadata(dir.join("huge")).unwrap().len(),
        MAX_FILE_SIZE + 1
    );
    // A payload that would not fit is refused at save, before any file exists.
    let payload = vec![0u8; MAX_FILE_SIZE as usize];
    assert!(matches!(
        store.save("p", "k", 1, &payload),
        Err(StoreError::TooLarge { .. })
    ));
    assert!(store.load("p", "k", 1).unwrap().is_none());
}

#[test]
fn quarantine_moves_aside_then_save_works() {
    let dir = fresh_dir("quar");
    let store = Store::open(&dir).unwrap();
    assert!(store.quarantine("kms").unwrap().is_none());
    store.save("kms", "kms", 1, b"state").unwrap();
    let mut bytes = fs::read(dir.join("kms")).unwrap();
    bytes[30] ^= 0x40;
    write_private(&dir.join("kms"), &bytes);
    assert!(matches!(
        store.save("kms", "kms", 1, b"new"),
        Err(StoreError::Corrupt { .. })
    ));

    let aside = store.quarantine("kms").unwrap().unwrap();
    assert_eq!(aside.parent(), Some(dir.as_path()));
    let aside_name = aside.file_name().unwrap().to_str().unwrap().to_owned();
    assert!(aside_name.starts_with("kms.corrupt-"), "{aside_name}");
    assert_eq!(fs::read(&aside).unwrap(), bytes, "kept for inspection");
    assert_eq!(mode(&aside), 0o600);
    assert!(store.load("kms", "kms", 1).unwrap().is_none());

    store.save("kms", "kms", 1, b"new").unwrap();
    assert_eq!(
        &store.load("kms", "kms", 1).unwrap().unwrap().payload[..],
        b"new"
    );
    // Quarantined files are not state names and cannot be addressed as such.
    assert_eq!(store.names().unwrap(), ["kms"]);
    assert!(matches!(
        store.load(&aside_name, "kms", 1),
        Err(StoreError::InvalidName { .. })
    ));

    // A second quarantine in the same second does not clobber the first.
    let second = store.quarantine("kms").unwrap().unwrap();
    assert_ne!(second, aside);
    assert!(aside.exists() && second.exists());
    // Reopening does not clean quarantined files.
    drop(store);
    let _store = Store::open(&dir).unwrap();
    assert!(aside.exists() && second.exists());
}

#[test]
fn wrong_kind_and_too_new() {
    let dir = fresh_dir("kind");
    let store = Store::open(&dir).unwrap();
    store.save("s", "kms", 4, b"x").unwrap();
    match store.load("s", "gms", 9) {
        Err(StoreError::WrongKind {
            expected, found, ..
        }) => {
            assert_eq!((expected.as_str(), found.as_str()), ("gms", "kms"));
        }
        other => panic!("{other:?}"),
    }
    match store.load("s", "kms", 3) {
        Err(StoreError::TooNew { found, max, .. }) => assert_eq!((found, max), (4, 3)),
        other => panic!("{other:?}"),
    }
    assert_eq!(store.load("s", "kms", 4).unwrap().unwrap().version, 4);
    // No overwrite with another kind or an older version.
    let before = fs::read(dir.join("s")).unwrap();
    assert!(matches!(
        store.save("s", "gms", 4, b"y"),
        Err(StoreError::WrongKind { .. })
    ));
    assert!(matches!(
        store.save("s", "kms", 3, b"y"),
        Err(StoreError::TooNew { .. })
    ));
    assert!(matches!(
        store.remove("s", "gms"),
        Err(StoreError::WrongKind { .. })
    ));
    assert_eq!(fs::read(dir.join("s")).unwrap(), before);
    // Same or newer version is fine.
    store.save("s", "kms", 5, b"z").unwrap();
    assert!(store.remove("s", "kms").unwrap());
    assert!(!store.remove("s", "kms").unwrap());
    assert!(store.load("s", "kms", 5).unwrap().is_none());
}

#[test]
fn invalid_names_and_kinds() {
    let dir = fresh_dir("names");
    let store = Store::open(&dir).unwrap();
    for bad in [
        "",
        ".",
        "..",
        "../x",
        "a/b",
        ".tmp-a",
        "-a",
        "a b",
        "a\nb",
        "x.corrupt-1",
    ] {
        assert!(
            matches!(
                store.save(bad, "k", 1, b"x"),
                Err(StoreError::InvalidName { .. })
            ),
            "{bad:?}"
        );
        assert!(
            matches!(store.load(bad, "k", 1), Err(StoreError::InvalidName { .. })),
            "{bad:?}"
        );
        assert!(
            matches!(store.quarantine(bad), Err(StoreError::InvalidName { .. })),
            "{bad:?}"
        );
    }
    assert!(matches!(
        store.save("a", "a b", 1, b"x"),
        Err(StoreError::InvalidKind { .. })
    ));
    assert!(matches!(
        store.load("a", "", 1),
        Err(StoreError::InvalidKind { .. })
    ));
    assert!(entries(&dir).is_empty());
    store.save(&"n".repeat(128), "k", 1, b"x").unwrap();
}

#[test]
fn unknown_format_with_valid_checksum() {
    use sha2::{Digest, Sha256};
    let dir = fresh_dir("format");
    let store = Store::open(&dir).unwrap();
    store.save("s", "k", 1, b"x").unwrap();
    let mut bytes = fs::read(dir.join("s")).unwrap();
    bytes[9] = 2; // format 2
    let n = bytes.len() - 32;
    let sum = Sha256::digest(&bytes[..n]);
    bytes[n..].copy_from_slice(&sum);
    write_private(&dir.join("s"), &bytes);
    match store.load("s", "k", 1) {
        Err(StoreError::UnsupportedFormat { found, .. }) => assert_eq!(found, 2),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        store.save("s", "k", 1, b"y"),
        Err(StoreError::UnsupportedFormat { .. })
    ));
}

#[test]
fn leftover_temporaries_ignored_and_cleaned() {
    let dir = fresh_dir("tmp");
    let store = Store::open(&dir).unwrap();
    store.save("kms", "kms", 1, b"complete").unwrap();
    // What a save killed before its rename leaves: a partial temporary file.
    let good = fs::read(dir.join("kms")).unwrap();
    write_private(&dir.join(".tmp-kms.99999.0"), &good[..good.len() / 2]);
    write_private(&dir.join(".tmp-kms.99999.1"), b"");
    assert_eq!(
        &store.load("kms", "kms", 1).unwrap().unwrap().payload[..],
        b"complete"
    );
    assert_eq!(store.names().unwrap(), ["kms"]);
    drop(store);

    let store = Store::open(&dir).unwrap();
    assert_eq!(entries(&dir), ["kms"]);
    assert_eq!(
        &store.load("kms", "kms", 1).unwrap().unwrap().payload[..],
        b"complete"
    );
}

#[test]
fn second_open_is_locked() {
    let dir = fresh_dir("lock");
    let store = Store::open(&dir).unwrap();
    assert!(matches!(Store::open(&dir), Err(StoreError::Locked { .. })));
    drop(store);
    let _again = Store::open(&dir).unwrap();
}

#[test]
fn shared_between_threads() {
    let dir = fresh_dir("threads");
    let store = Store::open(&dir).unwrap();
    std::thread::scope(|s| {
        for t in 0..4u32 {
            let store = &store;
            s.spawn(move || {
                for i in 0..50u32 {
                    store
                        .save(&format!("t{t}"), "k", i, &i.to_be_bytes())
                        .unwrap();
                    store.save("shared", "k", 1, &[t as u8; 100]).unwrap();
                }
            });
        }
    });
    for t in 0..4u32 {
        let l = store.load(&format!("t{t}"), "k", 49).unwrap().unwrap();
        assert_eq!(&l.payload[..], &49u32.to_be_bytes());
    }
    let shared = store.load("shared", "k", 1).unwrap().unwrap();
    assert!(shared.payload.iter().all(|&b| b == shared.payload[0]));
    assert_eq!(entries(&dir).len(), 5);
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct GroupState {
    group_id: String,
    key_period: u64,
    gmk: Vec<u8>,
    members: Vec<String>,
    note: Option<String>,
}

#[test]
fn json_round_trip() {
    let dir = fresh_dir("json");
    let store = Store::open(&dir).unwrap();
    let state = GroupState {
        group_id: "sip:group-7@example.org".into(),
        key_period: 1234,
        gmk: (0..32).collect(),
        members: vec!["alice".into(), "bob \"b\" \u{e9}".into()],
        note: None,
    };
    store.save_json("group-7", "gms.group", 1, &state).unwrap();
    let back = store
        .load_json::<GroupState>("group-7", "gms.group", 1)
        .unwrap()
        .unwrap();
    assert_eq!(back.version, 1);
    assert_eq!(back.value, state);
    assert!(!format!("{back:?}").contains("alice"));
    assert!(store
        .load_json::<GroupState>("absent", "gms.group", 1)
        .unwrap()
        .is_none());
}

struct Unserializable;

impl Serialize for Unserializable {
    fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        Err(serde::ser::Error::custom("SECRET-IN-MESSAGE"))
    }
}

#[test]
fn serialize_error_maps_to_serde() {
    let dir = fresh_dir("serr");
    let store = Store::open(&dir).unwrap();
    match store.save_json("x", "k", 1, &Unserializable) {
        Err(e @ StoreError::Serde { .. }) => {
            let text = format!("{e} {e:?}");
            assert!(!text.contains("SECRET-IN-MESSAGE"), "{text}");
            assert!(text.contains("serialize"), "{text}");
        }
        other => panic!("{other:?}"),
    }
    // Non-string map keys are a serde_json error too.
    let mut m = std::collections::BTreeMap::new();
    m.insert(vec![1u8], 2u8);
    assert!(matches!(
        store.save_json("x", "k", 1, &m),
        Err(StoreError::Serde { .. })
    ));
    assert!(entries(&dir).is_empty(), "nothing written");
}

#[test]
fn deserialize_error_maps_to_serde_without_content() {
    let dir = fresh_dir("derr");
    let store = Store::open(&dir).unwrap();
    store
        .save(
            "g",
            "gms.group",
            1,
            br#"{"group_id": 5, "key_period": "SECRETVALUE"}"#,
        )
        .unwrap();
    match store.load_json::<GroupState>("g", "gms.group", 1) {
        Err(e @ StoreError::Serde { .. }) => {
            let text = format!("{e} {e:?}");
            assert!(!text.contains("SECRETVALUE"), "{text}");
            assert!(text.contains("line 1"), "{text}");
        }
        other => panic!("{other:?}"),
    }
    store
        .save("h", "gms.group", 1, b"{\"group_id\": \"SECRETVALUE")
        .unwrap();
    let e = store
        .load_json::<GroupState>("h", "gms.group", 1)
        .unwrap_err();
    assert!(matches!(e, StoreError::Serde { .. }) && !e.to_string().contains("SECRETVALUE"));
}

/// Serializes to a different length each time: the second pass must not grow
/// the pre-sized buffer.
struct Growing(std::cell::Cell<usize>);

impl Serialize for Growing {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let n = self.0.get();
        self.0.set(n + 10);
        s.serialize_str(&"a".repeat(n))
    }
}

#[test]
fn serialization_that_changes_length_is_refused() {
    let dir = fresh_dir("grow");
    let store = Store::open(&dir).unwrap();
    let v = Growing(std::cell::Cell::new(5));
    assert!(matches!(
        store.save_json("g", "k", 1, &v),
        Err(StoreError::Serde { .. })
    ));
    assert!(store.load("g", "k", 1).unwrap().is_none());
}

#[test]
fn json_too_large_is_refused_without_buffering() {
    let dir = fresh_dir("jsonbig");
    let store = Store::open(&dir).unwrap();
    let big = "a".repeat(MAX_FILE_SIZE as usize);
    match store.save_json("j", "k", 1, &big) {
        Err(StoreError::TooLarge { size, max, .. }) => assert!(size > max),
        other => panic!("{other:?}"),
    }
    assert!(entries(&dir).is_empty());
}
