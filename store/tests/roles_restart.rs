//! The roles' state through the store, with kill and restart: a child process runs a KMS, a
//! Group Manager and a member, saving after every step (new GMK, notification, acceptance,
//! confirmation) as fast as it can, and is killed with SIGKILL at random moments. After each
//! kill the three states load, are consistent (the member holds no GMK the manager lost, and
//! every confirmation recorded is backed by the member's GMK), the restored manager re-sends
//! to the member what it has not confirmed, the restored member accepts, and the restored KMS
//! still issues key sets the member's certificate accepts. The next child continues from there.
//!
//! The child is this test binary re-executed with `ROLES_DIR_ENV` set, running only
//! `roles_child`.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use prose_sec::group::manager::{Manager, ManagerState};
use prose_sec::group::member::{Event, Member, MemberState};
use prose_sec::kms::{IdFormat, KeyPeriods, Kms, KmsState};
use prose_sec::mikey::PskPolicy;
use prose_sec_store::Store;
use rand_core::OsRng;

const ROLES_DIR_ENV: &str = "PROSE_SEC_STORE_ROLES_DIR";
const KILLS: usize = 12;
const GROUP: &[u8] = b"sip:fire-brigade@example.org";
const BOB: &[u8] = b"sip:bob@example.org";
const NOW: u64 = 3_900_000_000;

struct Roles {
    kms: Kms,
    manager: Manager,
    bob: Member,
}

/// The time of the next step: one second per GMK the manager has made, so that every
/// message is newer than the last one for its GMK.
fn now(m: &Manager) -> u64 {
    NOW + 2 * m.confirmations().len() as u64 + 2
}

fn load(store: &Store) -> Option<Roles> {
    let kms = store
        .load_json::<KmsState>("kms", "prose.kms", 1)
        .unwrap()?;
    let kms = Kms::from_state(&kms.value).unwrap();
    let manager = store
        .load_json::<ManagerState>("manager", "prose.manager", 1)
        .unwrap()
        .expect("the manager is saved right after the KMS");
    let manager = Manager::from_state(&manager.value).unwrap();
    let bob = store
        .load_json::<MemberState>("bob", "prose.member", 1)
        .unwrap()
        .expect("the member is saved right after the manager");
    let bob = Member::from_state(&bob.value, now(&manager)).unwrap();
    Some(Roles { kms, manager, bob })
}

fn create(store: &Store) -> Roles {
    let kms = Kms::generate(
        KeyPeriods::new(b"kms.example.org", IdFormat::Prose).unwrap(),
        &mut OsRng,
    )
    .unwrap();
    let cert = kms.certificate();
    let no = kms.periods().period_no(NOW).unwrap();
    let keys = cert
        .accept(GROUP, kms.issue(GROUP, no, &mut OsRng).unwrap(), NOW)
        .unwrap();
    let mut manager = Manager::new(GROUP, cert.clone(), keys).unwrap();
    manager.add_member(BOB).unwrap();
    let mut bob = Member::new(BOB, cert, PskPolicy::default());
    bob.add_key_set(kms.issue(BOB, no, &mut OsRng).unwrap(), NOW)
        .unwrap();
    bob.join(GROUP);
    store
        .save_json("kms", "prose.kms", 1, &kms.state())
        .unwrap();
    let r = Roles { kms, manager, bob };
    save(store, &r);
    r
}

fn save(store: &Store, r: &Roles) {
    store
        .save_json("manager", "prose.manager", 1, &r.manager.state())
        .unwrap();
    store
        .save_json("bob", "prose.member", 1, &r.bob.state())
        .unwrap();
}

/// Re-sends what Bob has not confirmed of the current GMK; Bob accepts and confirms.
fn catch_up(r: &mut Roles) {
    let Some(g) = r.manager.current() else { return };
    if r.manager.unconfirmed(g).unwrap().is_empty() {
        return;
    }
    // A second past the first message (a member that got the first and was killed before
    // the confirmation takes the newer one).
    let t = now(&r.manager) + 1;
    let notes = r
        .manager
        .notify_some(g, &[BOB.to_vec()], t, &mut OsRng)
        .unwrap();
    match r.bob.handle(&notes[0].message, t) {
        Event::GmkAccepted { gmk_id, .. } => assert_eq!(gmk_id, g),
        e => panic!("{e:?}"),
    }
    r.manager.confirm(BOB, g).unwrap();
}

/// The child. Does nothing unless started by `roles_kill_and_restart`.
#[test]
fn roles_child() {
    let Some(dir) = std::env::var_os(ROLES_DIR_ENV) else {
        return;
    };
    let store = Store::open(&dir).unwrap();
    let mut r = load(&store).unwrap_or_else(|| create(&store));
    let mut out = std::io::stdout().lock();
    writeln!(out, "ready").unwrap();
    out.flush().unwrap();
    loop {
        let g = r.manager.create_gmk(0, 0, &mut OsRng).unwrap();
        let t = now(&r.manager);
        let note = r.manager.notifications(g, t, &mut OsRng).unwrap().remove(0);
        save(&store, &r);
        assert!(matches!(
            r.bob.handle(&note.message, t),
            Event::GmkAccepted { .. }
        ));
        save(&store, &r);
        r.manager.confirm(BOB, g).unwrap();
        save(&store, &r);
        writeln!(out, "round {g:#x}").unwrap();
        out.flush().unwrap();
    }
}

fn check(dir: &Path) -> usize {
    let store = Store::open(dir).unwrap();
    let mut r = load(&store).expect("a state exists after the first child started");
    let t = now(&r.manager);
    let made: Vec<u32> = r.manager.confirmations().keys().copied().collect();
    let held: Vec<u32> = r
        .bob
        .gmks(GROUP)
        .unwrap()
        .entries()
        .iter()
        .map(|e| e.gmk_id())
        .collect();
    for id in &held {
        assert!(made.contains(id), "member holds {id:#x} the manager lost");
    }
    // The member keeps its newest GMKs (older ones give way); the current one, once
    // confirmed, must be among them.
    if let Some(g) = r.manager.current() {
        if r.manager.confirmations()[&g] > 0 {
            assert!(held.contains(&g), "confirmed {g:#x} the member lacks");
        }
    }
    catch_up(&mut r);
    if let Some(g) = r.manager.current() {
        assert_eq!(r.bob.current_gmk(GROUP, t).unwrap().gmk_id(), g);
    }
    // The restored KMS still issues what the member's certificate accepts.
    let no = r.kms.periods().period_no(t).unwrap();
    let ks = r.kms.issue(BOB, no, &mut OsRng).unwrap();
    r.bob.add_key_set(ks, t).unwrap();
    save(&store, &r);
    made.len()
}

#[test]
fn roles_kill_and_restart() {
    let base = std::env::temp_dir().join(format!("prose-roles-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64
        | 1;
    let mut x = seed;
    let exe = std::env::current_exe().unwrap();
    let mut gmks = 0;
    for round in 0..KILLS {
        let mut child = Command::new(&exe)
            .args(["roles_child", "--exact", "--nocapture", "--test-threads=1"])
            .env(ROLES_DIR_ENV, &base)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        // Wait until it runs, let it work for a random while, then kill it.
        for l in lines.by_ref() {
            if l.unwrap().contains("ready") {
                break;
            }
        }
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        std::thread::sleep(Duration::from_millis(20 + x % 200));
        child.kill().unwrap();
        let status = child.wait().unwrap();
        assert!(
            !status.success(),
            "round {round}: the child stopped by itself"
        );
        gmks = check(&base);
    }
    eprintln!("roles_kill_and_restart seed {seed:#x}: {KILLS} kills, {gmks} GMKs made");
    assert!(
        gmks >= KILLS,
        "the children made too little progress: {gmks}"
    );
    let _ = std::fs::remove_dir_all(&base);
}
