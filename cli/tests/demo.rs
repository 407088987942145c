//! `prose-sec demo` as a user runs it: the JSON report of a short run, the WAVs the members
//! write, and errors that say what is wrong.
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_prose-sec"))
}

#[test]
fn short_demo_reports_json_and_writes_wavs() {
    let dir = std::env::temp_dir().join(format!("prose-demo-{}", std::process::id()));
    let out = bin()
        .args([
            "demo",
            "--members",
            "4",
            "--duration",
            "2s",
            "--json",
            "--wav-dir",
        ])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["members"], 4);
    assert_eq!(v["checks"]["audio_exact"]["connected"], 3);
    assert_eq!(v["checks"]["audio_exact"]["independent"], 2);
    assert_eq!(v["checks"]["controller_saw_plaintext"], false);
    assert!(v["phases"].as_array().unwrap().len() >= 10);
    let wavs = std::fs::read_dir(&dir).unwrap().count();
    assert_eq!(wavs, 5);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_options_say_what_is_wrong() {
    let out = bin()
        .args(["demo", "--impair", "jitter=5%"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("expected loss, reorder or dup"));
    let out = bin()
        .args(["demo", "--srtp-profile", "ROT13"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("AEAD_AES_128_GCM"));
    let out = bin().args(["demo", "--help"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("--members"));
}
