//! `prose-sec mikey decode` on a vendor message in hex, and on garbage.
use std::io::Write;
use std::process::{Command, Stdio};

fn run(input: &[u8]) -> (bool, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_prose-sec"))
        .args(["mikey", "decode"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input)
        .expect("write");
    let out = child.wait_with_output().expect("wait");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn decodes_a_vendor_gmk_message() {
    let vectors = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/vectors/mikey_ts33180.txt"
    ))
    .expect("vectors");
    // The first hex value long enough to be a whole I_MESSAGE.
    let msg = vectors
        .lines()
        .filter_map(|l| l.split_once('=').map(|(_, v)| v.trim()))
        .find(|v| v.len() > 1000 && v.starts_with("011a"))
        .expect("an I_MESSAGE in the vectors");
    let (ok, text) = run(msg.as_bytes());
    assert!(ok, "{text}");
    assert!(text.starts_with("HDR data_type=26"), "{text}");
    assert!(text.contains("SAKKE params=1"), "{text}");
    assert!(text.contains("SIGN type=2 [ECCSI] len=129"), "{text}");
    assert!(text.contains("[2025-10-02 23:47:52 UTC]"), "{text}");
    assert!(
        text.contains("[IDRkmsi initiator's KMS] type=1 [URI] data=\"kms.mydev.streamwide.com\""),
        "{text}"
    );
}

#[test]
fn refuses_garbage() {
    let (ok, _) = run(b"\x01\x1a\x05");
    assert!(!ok);
}
