//! `prose-sec node`: each role as its own process. The KMS provisions two receiving members,
//! an initiating member and the group by the CLI; the members and the Group Manager run as
//! processes and the GMK is delivered and confirmed over UDP; then the group controller runs as
//! a process, the initiating member calls through it, and both receivers decrypt the audio.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use prose_sec_net::media;

const BIN: &str = env!("CARGO_BIN_EXE_prose-sec");
const GROUP: &str = "sip:group-7@example.org";
const FRAMES: usize = 100;

/// A scratch directory, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Self {
        let mut n = [0u8; 8];
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut n);
        let p = std::env::temp_dir().join(format!("prose-node-{}", hex::encode(n)));
        std::fs::create_dir_all(&p).unwrap();
        Scratch(p)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A node process whose output lines arrive on a channel; killed on drop.
struct Node {
    name: String,
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Node {
    fn start(name: &str, args: &[&str]) -> Node {
        let mut child = Command::new(BIN)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let out = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for l in BufReader::new(out).lines() {
                let Ok(l) = l else { break };
                if tx.send(l).is_err() {
                    break;
                }
            }
        });
        Node {
            name: name.to_owned(),
            child,
            lines: rx,
            seen: Vec::new(),
        }
    }

    /// Waits for a line starting with `prefix`; the line.
    fn wait_for(&mut self, prefix: &str, timeout: Duration) -> String {
        let end = Instant::now() + timeout;
        if let Some(l) = self.seen.iter().find(|l| l.starts_with(prefix)) {
            return l.clone();
        }
        loop {
            let left = end.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(l) => {
                    println!("[{}] {l}", self.name);
                    self.seen.push(l.clone());
                    if l.starts_with(prefix) {
                        return l;
                    }
                }
                Err(_) => panic!(
                    "{}: no line `{prefix}…` within {timeout:?}; saw {:#?}",
                    self.name, self.seen
                ),
            }
        }
    }

    /// The rest of the output and the exit status, within `timeout`.
    fn finish(&mut self, timeout: Duration) -> bool {
        let end = Instant::now() + timeout;
        loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                while let Ok(l) = self.lines.recv_timeout(Duration::from_millis(200)) {
                    println!("[{}] {l}", self.name);
                    self.seen.push(l);
                }
                return st.success();
            }
            assert!(Instant::now() < end, "{} did not stop in time", self.name);
            while let Ok(l) = self.lines.try_recv() {
                println!("[{}] {l}", self.name);
                self.seen.push(l);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The first address after `key` on the first line.
    fn addr(line: &str, key: &str) -> String {
        let mut it = line.split_whitespace();
        it.find(|w| *w == key).unwrap();
        it.next().unwrap().to_owned()
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn cli(args: &[&str]) -> String {
    let out = Command::new(BIN).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "prose-sec {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The samples of the 16-bit PCM WAV file `path` (its `data` chunk), read exactly.
fn wav_samples(path: &Path) -> Vec<i16> {
    let b = std::fs::read(path).unwrap();
    assert_eq!(&b[..4], b"RIFF");
    assert_eq!(&b[8..12], b"WAVE");
    let mut at = 12;
    loop {
        let id = &b[at..at + 4];
        let len = u32::from_le_bytes(b[at + 4..at + 8].try_into().unwrap()) as usize;
        if id == b"data" {
            return b[at + 8..at + 8 + len]
                .chunks_exact(2)
                .map(|c| i16::from_le_bytes([c[0], c[1]]))
                .collect();
        }
        at += 8 + len + (len & 1);
    }
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn roles_as_processes_deliver_the_gmk_and_carry_a_connected_call() {
    let t0 = Instant::now();
    let dir = Scratch::new();
    let d = &dir.0;
    let docs = d.join("docs");
    std::fs::create_dir_all(&docs).unwrap();
    let kms = d.join("kms").join("kms");
    cli(&["kms", "init", "--state", s(&kms)]);
    let cert = docs.join("cert.xml");
    cli(&["kms", "export", "--state", s(&kms), "--out", s(&cert)]);
    let uris: Vec<String> = (0..3)
        .map(|i| format!("sip:unit-{i}@example.org"))
        .collect();
    let mut states = Vec::new();
    for (i, u) in uris.iter().enumerate() {
        let keys = docs.join(format!("keys-{i}.xml"));
        cli(&[
            "kms",
            "issue",
            "--state",
            s(&kms),
            "--user",
            u,
            "--out",
            s(&keys),
        ]);
        let st = d.join(format!("m{i}")).join("member");
        let out = cli(&[
            "member",
            "import",
            "--state",
            s(&st),
            "--cert",
            s(&cert),
            "--keys",
            s(&keys),
            "--join",
            GROUP,
        ]);
        assert!(out.starts_with("imported period"), "{out}");
        states.push(st);
    }
    let gkeys = docs.join("group.xml");
    cli(&[
        "kms",
        "issue",
        "--state",
        s(&kms),
        "--user",
        GROUP,
        "--out",
        s(&gkeys),
    ]);
    let kms_node = cli(&["node", "kms", "--state", s(&kms)]);
    assert!(kms_node.contains("kms serve"), "{kms_node}");
    let before: Vec<Vec<u8>> = states.iter().map(|p| std::fs::read(p).unwrap()).collect();

    // Round 1: the receivers and the controller start without a GMK; the Group Manager
    // delivers it to them, then (run again, from its state file) to the initiator, which
    // calls as soon as it holds it.
    let wavs: Vec<PathBuf> = (1..3).map(|i| d.join(format!("m{i}.wav"))).collect();
    let (mut rx, rx_sip) = receivers(&states, &wavs);
    let (mut ctl, ctl_sip) = controller(&uris, &rx_sip);
    let gm = d.join("gm").join("manager");
    let manager = |targets: &[String]| {
        let mut args = vec![
            "node",
            "manager",
            "--state",
            s(&gm),
            "--group",
            GROUP,
            "--cert",
            s(&cert),
            "--keys",
            s(&gkeys),
        ];
        for t in targets {
            args.push("--member");
            args.push(t);
        }
        let mut mgr = Node::start("manager", &args);
        let gmk = Node::addr(&mgr.wait_for("manager ", LONG), "gmk");
        assert!(mgr.finish(LONG), "the manager failed: {:#?}", mgr.seen);
        let n = targets.len();
        assert!(
            mgr.seen
                .iter()
                .any(|l| l.contains(&format!("confirmed {n} "))),
            "{:#?}",
            mgr.seen
        );
        assert!(std::fs::metadata(&gm).unwrap().len() > 0);
        (mgr, gmk)
    };
    let (mgr, gmk) = manager(&[
        format!("{}={}", uris[1], rx_sip[0]),
        format!("{}={}", uris[2], rx_sip[1]),
    ]);
    for u in &uris[1..] {
        let want = format!("confirmed {u} gmk {gmk}");
        assert!(mgr.seen.contains(&want), "{want} missing: {:#?}", mgr.seen);
    }
    for n in rx.iter_mut() {
        n.wait_for("gmk accepted", LONG);
        n.wait_for("state saved", LONG);
    }
    let (mut init, init_sip) = initiator(&states[0], &ctl_sip);
    let (mgr, again) = manager(&[format!("{}={init_sip}", uris[0])]);
    assert_eq!(again, gmk, "the manager's state kept the current GMK");
    assert!(mgr
        .seen
        .contains(&format!("confirmed {} gmk {gmk}", uris[0])));
    init.wait_for("gmk accepted", LONG);
    init.wait_for("state saved", LONG);
    call_done(&mut init, &mut ctl, &mut rx, &wavs);
    for (p, b) in states.iter().zip(&before) {
        // Compared without printing: the state files hold private keys.
        assert!(std::fs::read(p).unwrap() != *b, "{} unchanged", p.display());
    }
    drop(ctl);

    // Round 2: every member restarts from its state file, no Group Manager runs: the GMK
    // they saved carries a second call.
    let wavs: Vec<PathBuf> = (1..3).map(|i| d.join(format!("m{i}-again.wav"))).collect();
    let (mut rx, rx_sip) = receivers(&states, &wavs);
    let (mut ctl, ctl_sip) = controller(&uris, &rx_sip);
    let (mut init, _) = initiator(&states[0], &ctl_sip);
    call_done(&mut init, &mut ctl, &mut rx, &wavs);
    for n in rx.iter().chain([&init]) {
        assert!(
            !n.seen.iter().any(|l| l.starts_with("gmk accepted")),
            "{}: {:#?}",
            n.name,
            n.seen
        );
    }
    println!("done in {:?}", t0.elapsed());
}

const LONG: Duration = Duration::from_secs(20);

/// The two receiving members (states 1 and 2) and their SIP addresses.
fn receivers(states: &[PathBuf], wavs: &[PathBuf]) -> (Vec<Node>, Vec<String>) {
    let mut rx: Vec<Node> = (1..3)
        .map(|i| {
            Node::start(
                &format!("member {i}"),
                &[
                    "node",
                    "member",
                    "--state",
                    s(&states[i]),
                    "--group",
                    GROUP,
                    "--wav",
                    s(&wavs[i - 1]),
                    "--duration",
                    "40s",
                ],
            )
        })
        .collect();
    let sip = rx
        .iter_mut()
        .map(|n| Node::addr(&n.wait_for("member ", LONG), "sip"))
        .collect();
    (rx, sip)
}

/// The group controller calling the two receivers, and its SIP address.
fn controller(uris: &[String], rx_sip: &[String]) -> (Node, String) {
    let leg = |i: usize| format!("{}={}", uris[i + 1], rx_sip[i]);
    let (l1, l2) = (leg(0), leg(1));
    let mut ctl = Node::start(
        "controller",
        &[
            "node",
            "controller",
            "--member",
            &l1,
            "--member",
            &l2,
            "--duration",
            "40s",
        ],
    );
    let sip = Node::addr(&ctl.wait_for("controller ", LONG), "sip");
    (ctl, sip)
}

/// The initiating member (state 0), calling through the controller once it holds a GMK.
fn initiator(state: &Path, ctl_sip: &str) -> (Node, String) {
    let frames = FRAMES.to_string();
    let mut init = Node::start(
        "initiator",
        &[
            "node",
            "member",
            "--state",
            s(state),
            "--group",
            GROUP,
            "--call",
            ctl_sip,
            "--frames",
            &frames,
            "--duration",
            "40s",
        ],
    );
    let sip = Node::addr(&init.wait_for("member ", LONG), "sip");
    (init, sip)
}

/// The call goes through: INVITE fan-out, 200 OKs, SRTP relayed, BYE; both receivers
/// decrypted the audio — the frames they wrote are the signal's frames (µ-law coded), in
/// order, and nearly all of them arrived.
fn call_done(init: &mut Node, ctl: &mut Node, rx: &mut [Node], wavs: &[PathBuf]) {
    init.wait_for("call answered 200", LONG);
    ctl.wait_for("members answered ok 2", LONG);
    init.wait_for(&format!("sent {FRAMES} frames"), LONG);
    assert!(init.finish(LONG), "the initiator failed: {:#?}", init.seen);
    for n in rx.iter_mut() {
        n.wait_for("session started", LONG);
        n.wait_for("bye", LONG);
        assert!(n.finish(LONG), "{} failed: {:#?}", n.name, n.seen);
    }
    ctl.wait_for("relayed", LONG);
    let signal: Vec<i16> = media::default_signal(FRAMES as f64 * 0.02)
        .into_iter()
        .map(|x| media::ulaw_decode(media::ulaw_encode(x)))
        .collect();
    let sent: Vec<&[i16]> = signal.chunks(media::FRAME).take(FRAMES).collect();
    for (w, n) in wavs.iter().zip(rx.iter()) {
        let got = wav_samples(w);
        let frames: Vec<&[i16]> = got.chunks(media::FRAME).collect();
        assert!(
            frames.len() >= FRAMES * 95 / 100,
            "{}: {} frames",
            n.name,
            frames.len()
        );
        let mut k = 0;
        for f in &frames {
            while k < sent.len() && sent[k] != *f {
                k += 1;
            }
            assert!(
                k < sent.len(),
                "{}: a frame not sent, or out of order",
                n.name
            );
            k += 1;
        }
        // The signal is voiced about half of the time (syllables and pauses).
        let voiced = frames.iter().filter(|f| f.iter().any(|&x| x != 0)).count();
        assert!(
            voiced >= FRAMES * 2 / 5,
            "{}: {voiced} voiced frames",
            n.name
        );
        let line = n.seen.iter().find(|l| l.starts_with("wav ")).unwrap();
        assert!(
            line.ends_with(&format!("frames {}", frames.len())),
            "{line}"
        );
    }
}

/// A free UDP port on loopback (released for the node to take).
fn free_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `--listen ADDR`: the node binds there, says so, and answers there (a BYE outside any call
/// gets its 200 OK from the controller); on the unspecified address it is reachable on
/// loopback too; an address it cannot bind is an error that names it.
#[test]
fn nodes_listen_where_told() {
    for ip in ["127.0.0.1", "0.0.0.0"] {
        let port = free_port();
        let listen = format!("{ip}:{port}");
        let mut ctl = Node::start(
            "controller",
            &[
                "node",
                "controller",
                "--listen",
                &listen,
                "--member",
                "sip:unit-1@example.org=127.0.0.1:9",
                "--duration",
                "20s",
            ],
        );
        let line = ctl.wait_for("controller ", LONG);
        assert_eq!(Node::addr(&line, "sip"), listen, "{line}");
        let media = Node::addr(&line, "media");
        assert!(media.starts_with(&format!("{ip}:")), "{line}");
        let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let me = sock.local_addr().unwrap();
        let bye = format!(
            "BYE sip:group-7@example.org SIP/2.0\r\nVia: SIP/2.0/UDP {me};branch=z9hG4bKlisten1\r\n\
             Max-Forwards: 70\r\nFrom: <sip:unit-0@example.org>;tag=a1\r\nTo: <sip:group-7@example.org>\r\n\
             Call-ID: listen-{port}\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n"
        );
        sock.send_to(bye.as_bytes(), ("127.0.0.1", port)).unwrap();
        let mut buf = [0u8; 2048];
        let (n, from) = sock.recv_from(&mut buf).expect("the controller answers");
        assert_eq!(from.port(), port);
        let text = String::from_utf8_lossy(&buf[..n]);
        assert!(text.starts_with("SIP/2.0 200 OK\r\n"), "{text}");
        assert!(
            text.contains(&format!("Call-ID: listen-{port}\r\n")),
            "{text}"
        );
    }
    // A port in use: refused, naming the address.
    let held = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let taken = held.local_addr().unwrap().to_string();
    let out = Command::new(BIN)
        .args(["node", "controller", "--listen", &taken])
        .args(["--member", "sip:unit-1@example.org=127.0.0.1:9"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("binding {taken}")), "{err}");
    let out = Command::new(BIN)
        .args(["node", "controller", "--listen", "localhost:x"])
        .args(["--member", "sip:unit-1@example.org=127.0.0.1:9"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--listen"));
}
