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

/// `--kms-service` alone: the demo starts a KMS service on loopback and every member, the
/// outsider and the Group Manager fetch their key sets from it over HTTPS; the service's
/// issuance records and audit log account for each of them, and the call runs on those keys.
#[test]
fn demo_provisions_through_a_local_kms_service() {
    let dir = std::env::temp_dir().join(format!("prose-demo-kms-{}", std::process::id()));
    let out = bin()
        .args([
            "demo",
            "--kms-service",
            "--members",
            "3",
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
    let k = &v["checks"]["kms_service"];
    // 3 members, the outsider, the Group Manager (the group's key set).
    assert_eq!(k["identities"], 5, "{k}");
    assert_eq!(k["audit_init_ok"], 5, "{k}");
    // keyprov of the current period and of the next, for each.
    assert_eq!(k["audit_keyprov_ok"], 10, "{k}");
    assert_eq!(k["audit_refused"], 0, "{k}");
    assert_eq!(k["issuance_records"], 10, "{k}");
    // Each member's (and the outsider's) current key set is the one the service recorded.
    assert_eq!(k["members_matching_issuance"], 4, "{k}");
    let first = &v["phases"][0]["name"];
    assert!(first
        .as_str()
        .unwrap()
        .starts_with("KMS service provisioning (HTTPS"));
    // The call on those keys: the audio bit-exact at every receiver of both modes.
    assert_eq!(v["checks"]["confirmations"], 6);
    assert_eq!(v["checks"]["audio_exact"]["connected"], 2);
    assert_eq!(v["checks"]["audio_exact"]["independent"], 1);
    assert_eq!(v["checks"]["outsider_accepted"], 0);
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 3);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--kms-service https://…` with tokens: an external service (started here), and the
/// records in its database.
#[test]
fn demo_provisions_through_an_external_kms_service() {
    use prose_sec::kms::IdFormat;
    use prose_sec_kms_server::local::{LocalOptions, LocalService};
    use prose_sec_net::scenario;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let n = 3;
    let mut users: Vec<String> = (0..n).map(scenario::member_uri).collect();
    users.push(scenario::OUTSIDER.into());
    users.push(scenario::MANAGER.into());
    let svc = rt
        .block_on(LocalService::start(&LocalOptions {
            kms_uri: "kms.example.org".into(),
            format: IdFormat::Mcptt {
                period_secs: 86_400,
                offset_secs: 0,
            },
            users: users.clone(),
            groups: vec![(scenario::GROUP.into(), scenario::MANAGER.into())],
            listen: "127.0.0.1:0".into(),
        }))
        .unwrap();
    let dir = tempfile_dir("prose-demo-ext");
    let tokens = dir.join("tokens");
    let mut t = String::from("# URI TOKEN\n");
    for u in &users {
        t += &format!("{u} {}\n", svc.token(u).unwrap());
    }
    std::fs::write(&tokens, t).unwrap();
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, &svc.ca_pem).unwrap();
    let out = bin()
        .args(["demo", "--kms-service", &svc.base_url(), "--kms-tokens"])
        .arg(&tokens)
        .arg("--kms-ca")
        .arg(&ca)
        .args([
            "--members",
            "3",
            "--mode",
            "connected",
            "--duration",
            "1s",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["checks"]["kms_service"]["identities"], 5);
    assert_eq!(v["checks"]["audio_exact"]["connected"], 2);
    let (issued, audit) = rt.block_on(async {
        (
            svc.app.db.issued(None).await.unwrap(),
            svc.app.db.audit_log().await.unwrap(),
        )
    });
    for u in users.iter().chain([&scenario::GROUP.to_owned()]) {
        if u == scenario::MANAGER {
            continue;
        }
        assert_eq!(issued.iter().filter(|r| &r.uri == u).count(), 2, "{u}");
    }
    assert!(audit.iter().all(|a| a.outcome == "ok"), "{audit:?}");
    // A token missing for a member: the demo says which.
    std::fs::write(&tokens, "sip:unit-0@example.org x\n").unwrap();
    let out = bin()
        .args(["demo", "--kms-service", &svc.base_url(), "--kms-tokens"])
        .arg(&tokens)
        .args(["--members", "3"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no token for sip:group-manager@example.org"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    rt.block_on(svc.stop());
    let _ = std::fs::remove_dir_all(&dir);
}

fn tempfile_dir(prefix: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("{prefix}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}
