//! Plain-text vector reader shared by the MIKEY tests and benchmarks (`tests/vectors/*.txt`).
//! Every field of every block a test loads must be read, or the block panics when dropped
//! (consume-every-field harness).

use std::cell::RefCell;
use std::collections::BTreeSet;

pub struct Block {
    fields: Vec<(String, String)>,
    used: RefCell<BTreeSet<String>>,
}

impl Block {
    pub fn get(&self, key: &str) -> &str {
        self.used.borrow_mut().insert(key.to_string());
        self.fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("vector field {key} missing"))
    }
    pub fn hex(&self, key: &str) -> Vec<u8> {
        hex::decode(self.get(key)).expect("hex field")
    }
    pub fn u64(&self, key: &str) -> u64 {
        self.get(key).parse().expect("integer field")
    }
    pub fn u32_hex(&self, key: &str) -> u32 {
        let b = self.hex(key);
        u32::from_be_bytes(b.try_into().expect("4-octet field"))
    }
}

impl Drop for Block {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        let used = self.used.borrow();
        for (k, _) in &self.fields {
            assert!(used.contains(k), "vector field {k} was not consumed");
        }
    }
}

/// The core crate's `tests/vectors` directory.
pub fn dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors")
}

/// Loads the blocks of `kind` from tests/vectors/`file`.
pub fn load(file: &str, kind: &str) -> Vec<Block> {
    let path = dir().join(file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("vector file {}: {e}", path.display()));
    let mut out = Vec::new();
    for chunk in text.split("\n\n") {
        let fields: Vec<(String, String)> = chunk
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .map(|l| {
                let (k, v) = l.split_once(" = ").expect("key = value");
                (k.trim().to_string(), v.trim().to_string())
            })
            .collect();
        if fields.iter().any(|(k, v)| k == "kind" && v == kind) {
            let b = Block {
                fields,
                used: RefCell::new(BTreeSet::new()),
            };
            b.get("kind");
            out.push(b);
        }
    }
    assert!(!out.is_empty(), "no {kind} blocks in {file}");
    out
}
