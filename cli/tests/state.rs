//! `prose-sec kms init|issue|export`, `member import` and `mikey decode --member-state` on real
//! state files: a KMS is created, Alice's keys issued and imported into her state file, a Group
//! Manager built on the same KMS (read back from its state file) sends her a GMK, and the CLI
//! decrypts and verifies it with her state — and refuses Bob's, a tampered one, a second
//! `kms init`, a key document for another user and a tampered key document, changing nothing.
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use prose_sec::group::manager::Manager;
use prose_sec::kms::{Kms, KmsState};
use prose_sec_store::Store;
use rand_core::OsRng;

const ALICE: &str = "sip:alice@example.org";
const BOB: &str = "sip:bob@example.org";
const GROUP: &str = "sip:group-7@example.org";
/// 2025-06-15 12:00 UTC.
const AT: &str = "2025-06-15T12:00:00Z";
const AT_NTP: u64 = 1_749_988_800 + prose_sec::mikey::NTP_UNIX_OFFSET;

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("prose-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn cli(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_prose-sec"))
        .args(args)
        .output()
        .expect("run prose-sec");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn ok(args: &[&str]) -> String {
    let (ok, out, err) = cli(args);
    assert!(ok, "prose-sec {args:?} failed: {err}");
    out
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn kms_from(file: &Path) -> Kms {
    let store = Store::open(file.parent().unwrap()).unwrap();
    let s = store
        .load_json::<KmsState>("kms", "prose.kms", 1)
        .unwrap()
        .unwrap();
    Kms::from_state(&s.value).unwrap()
}

#[test]
fn issue_import_and_decrypt_a_gmk_with_a_member_state() {
    let d = dir("chain");
    let kms_state = d.join("kms-store").join("kms");
    let alice_state = d.join("alice-store").join("alice");
    let cert = d.join("cert.xml");
    let alice_keys = d.join("alice-keys.xml");
    let bob_keys = d.join("bob-keys.xml");

    ok(&[
        "kms",
        "init",
        "--state",
        p(&kms_state),
        "--uri",
        "kms.example.org",
    ]);
    let (again, _, err) = cli(&["kms", "init", "--state", p(&kms_state)]);
    assert!(!again && err.contains("already holds a KMS"), "{err}");

    let out = ok(&[
        "kms",
        "issue",
        "--state",
        p(&kms_state),
        "--user",
        ALICE,
        "--at",
        AT,
        "--next",
        "--out",
        p(&alice_keys),
    ]);
    assert!(
        out.contains("period 1505") && out.contains("period 1506"),
        "{out}"
    );
    assert!(
        out.contains("2025-06-01 00:00:00 UTC .. 2025-07-01 00:00:00 UTC"),
        "{out}"
    );
    let mode = std::fs::metadata(&alice_keys).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "a document with private keys must be 0600");
    ok(&[
        "kms",
        "issue",
        "--state",
        p(&kms_state),
        "--user",
        BOB,
        "--at",
        AT,
        "--out",
        p(&bob_keys),
    ]);
    ok(&["kms", "export", "--state", p(&kms_state), "--out", p(&cert)]);
    assert!(std::fs::read_to_string(&cert)
        .unwrap()
        .contains("KmsCertificate"));

    // A new member state needs the certificate.
    let (no_cert, _, err) = cli(&[
        "member",
        "import",
        "--state",
        p(&alice_state),
        "--keys",
        p(&alice_keys),
        "--at",
        AT,
    ]);
    assert!(!no_cert && err.contains("--cert"), "{err}");
    let out = ok(&[
        "member",
        "import",
        "--state",
        p(&alice_state),
        "--cert",
        p(&cert),
        "--keys",
        p(&alice_keys),
        "--at",
        AT,
        "--join",
        GROUP,
    ]);
    assert!(
        out.contains("imported period 1505") && out.contains("imported period 1506"),
        "{out}"
    );
    let before = std::fs::read(&alice_state).unwrap();
    // Bob's keys into Alice's state: refused, nothing written.
    let (foreign, _, err) = cli(&[
        "member",
        "import",
        "--state",
        p(&alice_state),
        "--keys",
        p(&bob_keys),
        "--at",
        AT,
    ]);
    assert!(!foreign && err.contains(BOB), "{err}");
    // A key document whose SSK was altered: refused by the key check, nothing written.
    let xml = std::fs::read_to_string(&alice_keys).unwrap();
    let at = xml.find("<UserSigningKeySSK").unwrap();
    let at = at + xml[at..].find('>').unwrap() + 1;
    let mut bad = xml.clone().into_bytes();
    bad[at + 8] = if bad[at + 8] == b'0' { b'1' } else { b'0' };
    let bad_keys = d.join("bad-keys.xml");
    std::fs::write(&bad_keys, bad).unwrap();
    let (tampered, _, err) = cli(&[
        "member",
        "import",
        "--state",
        p(&alice_state),
        "--keys",
        p(&bad_keys),
        "--at",
        AT,
    ]);
    assert!(!tampered, "a tampered key set was imported");
    assert!(
        err.contains("checking the keys") || err.contains("reading key period"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(&alice_state).unwrap(),
        before,
        "a refusal changed the state"
    );

    // A Group Manager on the same KMS sends GMKs to Alice and Bob.
    let kms = kms_from(&kms_state);
    let no = kms.periods().period_no(AT_NTP).unwrap();
    let cert_obj = kms.certificate();
    let group_keys = cert_obj
        .accept(
            GROUP.as_bytes(),
            kms.issue(GROUP.as_bytes(), no, &mut OsRng).unwrap(),
            AT_NTP,
        )
        .unwrap();
    let mut manager = Manager::new(GROUP.as_bytes(), cert_obj, group_keys).unwrap();
    manager.add_member(ALICE.as_bytes()).unwrap();
    manager.add_member(BOB.as_bytes()).unwrap();
    let gmk = manager.create_gmk(0, 0, &mut OsRng).unwrap();
    let notes = manager.notifications(gmk, AT_NTP, &mut OsRng).unwrap();
    let for_alice = &notes
        .iter()
        .find(|n| n.member == ALICE.as_bytes())
        .unwrap()
        .message;
    let for_bob = &notes
        .iter()
        .find(|n| n.member == BOB.as_bytes())
        .unwrap()
        .message;
    let msg = d.join("gmk.hex");
    std::fs::write(&msg, hex::encode(for_alice)).unwrap();

    // Without keys: the fields by name.
    let text = ok(&["mikey", "decode", p(&msg)]);
    assert!(
        text.starts_with("HDR data_type=26 [SAKKE I_MESSAGE]"),
        "{text}"
    );
    assert!(
        text.contains("[IDRi initiator] type=1 [URI] data=\"sip:group-7@example.org\""),
        "{text}"
    );
    assert!(
        text.contains("[IDRr responder] type=1 [URI] data=\"sip:alice@example.org\""),
        "{text}"
    );
    assert!(
        text.contains("T type=0 [NTP-UTC]") && text.contains("[2025-06-15 12:00:00 UTC]"),
        "{text}"
    );
    assert!(text.contains("SAKKE params=1 [RFC 6509 set 1]"), "{text}");
    assert!(
        text.contains("GEN-EXT type=7 [key parameters, protected]"),
        "{text}"
    );
    assert!(text.contains("SIGN type=2 [ECCSI] len=129"), "{text}");
    assert!(!text.contains("DECRYPTED"), "{text}");

    // With Alice's state: decrypted and verified; the state file is not changed.
    let text = ok(&[
        "mikey",
        "decode",
        p(&msg),
        "--member-state",
        p(&alice_state),
        "--at",
        AT,
    ]);
    let want =
        format!("DECRYPTED for {ALICE}: GMK 0x{gmk:08x} of group {GROUP}, signature verified");
    assert!(text.contains(&want), "{text}");
    assert!(text.contains("key parameters: key-type=0 [GMK]"), "{text}");
    assert_eq!(std::fs::read(&alice_state).unwrap(), before);

    // Bob's message with Alice's keys, and Alice's with one signature octet flipped: refused.
    std::fs::write(&msg, hex::encode(for_bob)).unwrap();
    let text = ok(&[
        "mikey",
        "decode",
        p(&msg),
        "--member-state",
        p(&alice_state),
        "--at",
        AT,
    ]);
    assert!(text.contains(&format!("REFUSED for {ALICE}")), "{text}");
    let mut forged = for_alice.clone();
    let last = forged.len() - 70;
    forged[last] ^= 1;
    std::fs::write(&msg, hex::encode(&forged)).unwrap();
    let text = ok(&[
        "mikey",
        "decode",
        p(&msg),
        "--member-state",
        p(&alice_state),
        "--at",
        AT,
    ]);
    assert!(text.contains(&format!("REFUSED for {ALICE}")), "{text}");
    assert!(text.contains("InvalidSignature"), "{text}");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn times_and_bad_arguments_say_what_is_wrong() {
    let d = dir("args");
    let (bad, _, err) = cli(&[
        "kms",
        "issue",
        "--state",
        p(&d.join("none").join("kms")),
        "--user",
        ALICE,
        "--out",
        p(&d.join("x")),
    ]);
    assert!(!bad && err.contains("does not exist"), "{err}");
    let kms_state = d.join("k").join("kms");
    ok(&[
        "kms",
        "init",
        "--state",
        p(&kms_state),
        "--format",
        "mcptt",
        "--period",
        "86400",
    ]);
    let (bad, _, err) = cli(&[
        "kms",
        "issue",
        "--state",
        p(&kms_state),
        "--user",
        ALICE,
        "--at",
        "yesterday",
        "--out",
        p(&d.join("x")),
    ]);
    assert!(!bad && err.contains("`yesterday` is not"), "{err}");
    let out = ok(&[
        "kms",
        "issue",
        "--state",
        p(&kms_state),
        "--user",
        ALICE,
        "--at",
        "2025-06-15T12:00:00Z",
        "--out",
        p(&d.join("x")),
    ]);
    // 86400-second periods from offset 0: the period is the day number since 1900.
    assert!(
        out.contains(&format!("period {}", AT_NTP / 86_400)),
        "{out}"
    );
    let (bad, _, err) = cli(&[
        "mikey",
        "decode",
        "--member-state",
        p(&d.join("nobody").join("m")),
        p(&d.join("x")),
    ]);
    assert!(!bad, "{err}");
    let _ = std::fs::remove_dir_all(&d);
}
