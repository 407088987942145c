//! Kill and restart: a child process saves a growing sequence number as fast
//! as it can; it is killed with SIGKILL at random moments, and after each kill
//! a fresh open + load must give a complete, valid state, never older than the
//! last save the child had seen return.
//!
//! The child is this test binary re-executed with `WRITER_DIR_ENV` set, running
//! only `writer_child`.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use prose_sec_store::Store;
use serde::{Deserialize, Serialize};

const WRITER_DIR_ENV: &str = "PROSE_SEC_STORE_WRITER_DIR";
const NAME: &str = "counter";
const KIND: &str = "test.counter";
const KILLS: usize = 50;

#[derive(Serialize, Deserialize)]
struct State {
    seq: u64,
    /// Filler derived from `seq`, so a mix of two states would show.
    blob: Vec<u8>,
}

impl State {
    fn new(seq: u64) -> State {
        State {
            seq,
            blob: blob(seq),
        }
    }
}

fn blob(seq: u64) -> Vec<u8> {
    let mut x = seq.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..4096)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// The writer. Does nothing unless started by `kill_and_restart`.
#[test]
fn writer_child() {
    let Some(dir) = std::env::var_os(WRITER_DIR_ENV) else {
        return;
    };
    let store = Store::open(&dir).expect("child: open");
    let mut seq = store
        .load_json::<State>(NAME, KIND, 1)
        .expect("child: load")
        .map(|v| v.value.seq)
        .unwrap_or(0);
    let mut out = std::io::stdout().lock();
    writeln!(out, "ready {seq}").unwrap();
    out.flush().unwrap();
    loop {
        seq += 1;
        store
            .save_json(NAME, KIND, 1, &State::new(seq))
            .expect("child: save");
        // Acknowledge only after save returned.
        writeln!(out, "saved {seq}").unwrap();
        out.flush().unwrap();
    }
}

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn temporaries(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0; // killed before it created the directory
    };
    entries
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with(".tmp-")
        })
        .count()
}

#[test]
fn kill_and_restart() {
    if std::env::var_os(WRITER_DIR_ENV).is_some() {
        return; // in the child
    }
    let dir: PathBuf = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("store-tests")
        .join(format!("kill-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.parent().unwrap()).unwrap();

    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    eprintln!("kill_and_restart seed {seed:#x}");
    let mut rng = Rng(seed);
    let exe = std::env::current_exe().unwrap();

    let start = Instant::now();
    let mut last_seen = 0u64;
    let mut temporaries_left = 0;
    let mut kills_while_writing = 0;
    for round in 0..KILLS {
        let mut child = Command::new(&exe)
            .args(["writer_child", "--exact", "--nocapture", "--test-threads=1"])
            .env(WRITER_DIR_ENV, &dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        // Reads the child's lines: "ready N", then "saved N" per completed save.
        let reader = std::thread::spawn(move || {
            let mut acked = None;
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(n) = line.strip_prefix("saved ") {
                    acked = Some(n.parse::<u64>().unwrap());
                }
                if line.starts_with("ready ") || line.starts_with("saved ") {
                    let _ = tx.send(line);
                }
            }
            acked
        });
        // Every third round kills at a random moment from the start (during
        // process start-up, open, or the first saves); the others wait until
        // the child is writing, then kill within a few milliseconds.
        if round % 3 == 0 {
            std::thread::sleep(Duration::from_micros(rng.below(20_000)));
        } else {
            rx.recv_timeout(Duration::from_secs(20))
                .expect("child never got ready");
            std::thread::sleep(Duration::from_micros(rng.below(8_000)));
            kills_while_writing += 1;
        }
        child.kill().unwrap();
        let status = child.wait().unwrap();
        let acked = reader.join().unwrap();
        assert_eq!(
            status.signal(),
            Some(libc::SIGKILL),
            "round {round}: writer ended by itself: {status}"
        );

        temporaries_left += temporaries(&dir).min(1);
        // Fresh open + load, like a restarted role.
        let store = Store::open(&dir).unwrap_or_else(|e| panic!("round {round}: {e}"));
        assert_eq!(
            temporaries(&dir),
            0,
            "round {round}: temporaries left after open"
        );
        let loaded = store
            .load_json::<State>(NAME, KIND, 1)
            .unwrap_or_else(|e| panic!("round {round}: {e}"));
        let seq = match loaded {
            Some(v) => {
                assert!(
                    v.value.blob == blob(v.value.seq),
                    "round {round}: state not complete"
                );
                v.value.seq
            }
            None => 0,
        };
        assert!(
            seq >= last_seen,
            "round {round}: went back from {last_seen} to {seq}"
        );
        if let Some(acked) = acked {
            // The save in flight may or may not have landed; nothing older may show.
            assert!(
                seq == acked || seq == acked + 1,
                "round {round}: acked {acked}, loaded {seq}"
            );
        }
        last_seen = seq;
    }
    eprintln!(
        "kill_and_restart: {KILLS} kills ({kills_while_writing} while writing), final seq {last_seen}, \
         {temporaries_left} kills left a temporary file, {:?}",
        start.elapsed()
    );
    assert!(last_seen > 0, "the writer never completed a save");
    let _ = std::fs::remove_dir_all(&dir);
}
