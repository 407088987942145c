//! `prose-sec kms serve` and `prose-sec member provision` as processes: end to end over
//! HTTPS with client certificates (made by the openssl tool), and kill -9 of the service
//! during bulk pre-issuance and during requests, then a restart: every issuance record is
//! there once, none lost, none duplicated, nothing half-written.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use prose_sec_kms_server::client::{keyprov_path, Client, ClientOptions};
use prose_sec_kms_server::config::Config;
use prose_sec_kms_server::server::{now_ntp, App};
use prose_sec_kms_server::store::{Identity, Kind};

const BIN: &str = env!("CARGO_BIN_EXE_prose-sec");
const KMS_URI: &str = "kms.example.org";

fn run(args: &[&str]) -> String {
    let out = Command::new(BIN).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "prose-sec {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("the openssl tool");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A private temporary directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        let p = std::env::temp_dir().join(format!(
            "prose-kms-serve-{}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst),
            now_ntp()
        ));
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

struct Setup {
    dir: TempDir,
    config: PathBuf,
}

impl Setup {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    fn s(&self, name: &str) -> String {
        self.path(name).display().to_string()
    }

    /// A CA, a server certificate for localhost, a KMS state and a configuration.
    fn new() -> Setup {
        let dir = TempDir::new();
        let d = dir.path();
        openssl(
            d,
            &[
                "ecparam",
                "-name",
                "prime256v1",
                "-genkey",
                "-noout",
                "-out",
                "ca.key",
            ],
        );
        openssl(
            d,
            &[
                "req",
                "-x509",
                "-new",
                "-key",
                "ca.key",
                "-subj",
                "/CN=test CA",
                "-days",
                "2",
                "-out",
                "ca.pem",
            ],
        );
        let s = Setup {
            dir,
            config: PathBuf::new(),
        };
        s.cert("server", "subjectAltName=DNS:localhost,IP:127.0.0.1");
        run(&[
            "kms",
            "init",
            "--state",
            &s.s("kms/kms.json"),
            "--uri",
            KMS_URI,
            "--format",
            "mcptt",
            "--period",
            "86400",
        ]);
        let config = s.path("kms.toml");
        std::fs::write(
            &config,
            "listen = \"127.0.0.1:0\"\nkms_state = \"kms/kms.json\"\ndatabase = \"sqlite:kms.db\"\n\
                 tls_cert = \"server.pem\"\ntls_key = \"server.key\"\nclient_ca = \"ca.pem\"\n\
                 next_period_window_secs = 0\n"
        )
        .unwrap();
        Setup { config, ..s }
    }

    /// A certificate signed by the CA with `ext` (`name.pem`, `name.key`).
    fn cert(&self, name: &str, ext: &str) {
        let d = self.dir.path();
        let key = format!("{name}.key");
        let csr = format!("{name}.csr");
        let pem = format!("{name}.pem");
        let extf = format!("{name}.ext");
        std::fs::write(d.join(&extf), format!("{ext}\n")).unwrap();
        openssl(
            d,
            &[
                "ecparam",
                "-name",
                "prime256v1",
                "-genkey",
                "-noout",
                "-out",
                &key,
            ],
        );
        openssl(
            d,
            &[
                "pkcs8",
                "-topk8",
                "-nocrypt",
                "-in",
                &key,
                "-out",
                &format!("{name}.p8"),
            ],
        );
        std::fs::rename(d.join(format!("{name}.p8")), d.join(&key)).unwrap();
        openssl(
            d,
            &[
                "req",
                "-new",
                "-key",
                &key,
                "-subj",
                &format!("/CN={name}"),
                "-out",
                &csr,
            ],
        );
        openssl(
            d,
            &[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "2",
                "-extfile",
                &extf,
                "-out",
                &pem,
            ],
        );
    }

    fn client_cert(&self, name: &str, uri: &str) -> Vec<u8> {
        self.cert(name, &format!("subjectAltName=URI:{uri}"));
        let mut pem = std::fs::read(self.path(&format!("{name}.pem"))).unwrap();
        pem.extend(std::fs::read(self.path(&format!("{name}.key"))).unwrap());
        pem
    }

    fn serve(&self) -> (Child, String) {
        let mut child = Command::new(BIN)
            .args([
                "kms",
                "serve",
                "--config",
                &self.config.display().to_string(),
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line
            .trim()
            .strip_prefix("listening on https://")
            .unwrap_or_else(|| panic!("{line}"))
            .to_owned();
        let port = addr.rsplit(':').next().unwrap().to_owned();
        (child, format!("https://localhost:{port}"))
    }

    fn config(&self) -> Config {
        Config::load(&self.config).unwrap()
    }
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn integrity(rt: &tokio::runtime::Runtime, config: &Config) {
    rt.block_on(async {
        let app = App::open(config).await.unwrap();
        assert_eq!(app.db.integrity_check().await.unwrap(), "ok");
    });
}

#[test]
fn serve_and_provision_end_to_end_with_client_certificates() {
    let s = Setup::new();
    let cfg = s.config.display().to_string();
    assert!(run(&[
        "kms",
        "serve",
        "--config",
        &cfg,
        "add-user",
        "sip:alice@example.org"
    ])
    .contains("registered"));
    s.cert("alice", "subjectAltName=URI:sip:alice@example.org");
    s.cert("bob", "subjectAltName=URI:sip:bob@example.org");
    let (mut child, base) = s.serve();
    let state = s.s("member/alice.json");
    let out = run(&[
        "member",
        "provision",
        "--kms",
        &base,
        "--ca",
        &s.s("ca.pem"),
        "--cert",
        &s.s("alice.pem"),
        "--key",
        &s.s("alice.key"),
        "--state",
        &state,
    ]);
    assert_eq!(out.matches("provisioned period").count(), 2, "{out}");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&state).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    // Again, into the existing state, with KmsRequest bodies.
    run(&[
        "member",
        "provision",
        "--kms",
        &base,
        "--ca",
        &s.s("ca.pem"),
        "--cert",
        &s.s("alice.pem"),
        "--key",
        &s.s("alice.key"),
        "--state",
        &state,
        "--user",
        "sip:alice@example.org",
        "--request-body",
    ]);
    // Bob is not registered: refused, no state written.
    let out = Command::new(BIN)
        .args([
            "member",
            "provision",
            "--kms",
            &base,
            "--ca",
            &s.s("ca.pem"),
            "--cert",
            &s.s("bob.pem"),
            "--key",
            &s.s("bob.key"),
            "--state",
            &s.s("member/bob.json"),
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("KmsError 403"));
    assert!(!s.path("member/bob.json").exists());
    // Revoked: never served again.
    run(&[
        "kms",
        "serve",
        "--config",
        &cfg,
        "revoke",
        "sip:alice@example.org",
    ]);
    let out = Command::new(BIN)
        .args([
            "member",
            "provision",
            "--kms",
            &base,
            "--ca",
            &s.s("ca.pem"),
            "--cert",
            &s.s("alice.pem"),
            "--key",
            &s.s("alice.key"),
            "--state",
            &s.s("member/alice2.json"),
        ])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("KmsError 410"));
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn kill_during_bulk_issuance_then_restart_loses_and_duplicates_nothing() {
    let s = Setup::new();
    let config = s.config();
    let n = 6000;
    let rt = rt();
    rt.block_on(async {
        let app = App::open(&config).await.unwrap();
        let now = now_ntp();
        for i in 0..n {
            let id = Identity {
                uri: format!("sip:bulk{i}@example.org"),
                kind: Kind::User,
                manager: None,
            };
            app.db.register(&id, now).await.unwrap();
        }
    });
    let mut child = Command::new(BIN)
        .args([
            "kms",
            "serve",
            "--config",
            &s.config.display().to_string(),
            "pre-issue",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    loop {
        line.clear();
        assert!(
            err.read_line(&mut line).unwrap() > 0,
            "pre-issue ended early"
        );
        let done: usize = line
            .trim()
            .strip_prefix("pre-issue: ")
            .and_then(|r| r.split('/').next())
            .and_then(|d| d.parse().ok())
            .unwrap_or(0);
        if done >= 128 {
            break;
        }
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    integrity(&rt, &config);
    let (partial, next) = rt.block_on(async {
        let app = App::open(&config).await.unwrap();
        let next = app.issuer.kms().periods().period_no(now_ntp()).unwrap() + 1;
        (app.db.issued(Some(next)).await.unwrap().len(), next)
    });
    assert!(
        partial >= 128 && partial < n,
        "killed mid-run: {partial} of {n}"
    );
    assert_eq!(partial % 64, 0, "whole chunks only: {partial}");
    let out = run(&[
        "kms",
        "serve",
        "--config",
        &s.config.display().to_string(),
        "pre-issue",
    ]);
    assert!(
        out.contains(&format!(
            "{n} identities, {partial} already issued, 0 revoked, {} issued now",
            n - partial
        )),
        "{out}"
    );
    rt.block_on(async {
        let app = App::open(&config).await.unwrap();
        let recs = app.db.issued(Some(next)).await.unwrap();
        assert_eq!(recs.len(), n);
        let uris: std::collections::BTreeSet<&str> = recs.iter().map(|r| r.uri.as_str()).collect();
        assert_eq!(uris.len(), n, "no identity twice");
        for r in recs.iter().step_by(251) {
            let ks = app.issuer.key_set(r.uri.as_bytes(), next).unwrap();
            assert_eq!(hex::encode(ks.pvt), r.pvt, "{}", r.uri);
        }
    });
}

#[test]
fn kill_during_requests_then_restart_keeps_every_answered_issuance() {
    let s = Setup::new();
    let config = s.config();
    let users: Vec<String> = (0..6).map(|i| format!("sip:u{i}@example.org")).collect();
    let certs: Vec<Vec<u8>> = users
        .iter()
        .enumerate()
        .map(|(i, u)| s.client_cert(&format!("u{i}"), u))
        .collect();
    let rt = rt();
    rt.block_on(async {
        let app = App::open(&config).await.unwrap();
        for u in &users {
            let id = Identity {
                uri: u.clone(),
                kind: Kind::User,
                manager: None,
            };
            app.db.register(&id, now_ntp()).await.unwrap();
        }
    });
    let (mut child, base) = s.serve();
    let ca = std::fs::read(s.path("ca.pem")).unwrap();
    let answered = rt.block_on(async {
        let mut tasks = Vec::new();
        let now = now_ntp();
        for (u, pem) in users.iter().zip(&certs) {
            let client = Client::new(ClientOptions {
                kms: base.clone(),
                ca_pem: Some(ca.clone()),
                identity_pem: Some(pem.clone()),
                ..ClientOptions::default()
            })
            .unwrap();
            let u = u.clone();
            tasks.push(tokio::spawn(async move {
                let mut got = Vec::new();
                let started = Instant::now();
                // Ask for the current and the next period in turn until the server dies.
                for k in 0..10_000u64 {
                    let at = if k % 2 == 0 { None } else { Some(now + 86_400) };
                    match client.post(&keyprov_path(&u, at), None, now).await {
                        Ok(doc) => {
                            for d in doc.key_sets() {
                                got.push((
                                    u.clone(),
                                    d.key_period_no,
                                    hex::encode(&d.user_pub_token),
                                ));
                            }
                        }
                        Err(_) => break,
                    }
                    if started.elapsed() > Duration::from_secs(20) {
                        break;
                    }
                }
                got
            }));
        }
        tokio::time::sleep(Duration::from_millis(400)).await;
        child.kill().unwrap(); // SIGKILL while requests are in flight
        child.wait().unwrap();
        let mut all = Vec::new();
        for t in tasks {
            all.extend(t.await.unwrap());
        }
        all
    });
    assert!(
        !answered.is_empty(),
        "some requests were answered before the kill"
    );
    integrity(&rt, &config);
    // Restart: every answered key set has its one record, with the PVT that was served.
    let (mut child, base) = s.serve();
    rt.block_on(async {
        let app = App::open(&config).await.unwrap();
        let recs = app.db.issued(None).await.unwrap();
        let keys: std::collections::BTreeSet<(String, u64)> =
            recs.iter().map(|r| (r.uri.clone(), r.period_no)).collect();
        assert_eq!(keys.len(), recs.len(), "no duplicate records");
        for (u, p, pvt) in &answered {
            let r = recs
                .iter()
                .find(|r| &r.uri == u && r.period_no == *p)
                .unwrap_or_else(|| panic!("answered but not recorded: {u} {p}"));
            assert_eq!(&r.pvt, pvt);
        }
        // The restarted service serves the same key sets.
        let client = Client::new(ClientOptions {
            kms: base.clone(),
            ca_pem: Some(ca.clone()),
            identity_pem: Some(certs[0].clone()),
            ..ClientOptions::default()
        })
        .unwrap();
        let doc = client
            .post(&keyprov_path(&users[0], None), None, now_ntp())
            .await
            .unwrap();
        let d = &doc.key_sets()[0];
        let r = recs
            .iter()
            .find(|r| r.uri == users[0] && r.period_no == d.key_period_no)
            .unwrap();
        assert_eq!(hex::encode(&d.user_pub_token), r.pvt);
    });
    child.kill().unwrap();
    child.wait().unwrap();
}

/// `kms serve --gba-listen ADDR --gba-bsf FILE` (feature `gba`): the GBA TLS-PSK listener
/// beside the HTTPS one. OpenSSL's own `s_client` connects with the B-TID as PSK identity and
/// Ks_NAF as the key (derived here by the TS 33.220 KDF built octet by octet) and gets Alice's
/// key sets; a wrong Ks gets no TLS session; a BSF file readable by others is refused.
#[cfg(feature = "gba")]
#[test]
fn serve_with_a_gba_listener_beside_https() {
    use std::io::Write;
    use std::os::unix::fs::PermissionsExt;
    let s = Setup::new();
    let cfg = s.config.display().to_string();
    run(&[
        "kms",
        "serve",
        "--config",
        &cfg,
        "add-user",
        "sip:alice@example.org",
    ]);
    let b_tid = "dGVzdGJ0aWQ=@bsf.example.org";
    let impi = "001010000000001@ims.mnc001.mcc001.3gppnetwork.org";
    let ks: Vec<u8> = (0..32u8).map(|i| i.wrapping_mul(11)).collect();
    let rand = [0x3cu8; 16];
    let bsf = s.path("bsf.toml");
    std::fs::write(
        &bsf,
        format!(
            "[[bootstrap]]\nb_tid = \"{b_tid}\"\nks = \"{}\"\nrand = \"{}\"\nimpi = \"{impi}\"\n\
             user_uri = \"sip:alice@example.org\"\n",
            hex::encode(&ks),
            hex::encode(rand)
        ),
    )
    .unwrap();
    std::fs::set_permissions(&bsf, std::fs::Permissions::from_mode(0o644)).unwrap();
    let serve = |bsf: &Path| {
        Command::new(BIN)
            .args([
                "kms",
                "serve",
                "--config",
                &cfg,
                "--gba-listen",
                "127.0.0.1:0",
            ])
            .arg("--gba-bsf")
            .arg(bsf)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    // Readable by others: refused.
    let out = serve(&bsf).wait_with_output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("chmod 600"));
    std::fs::set_permissions(&bsf, std::fs::Permissions::from_mode(0o600)).unwrap();
    let mut child = serve(&bsf);
    let mut rd = BufReader::new(child.stdout.take().unwrap());
    let mut l1 = String::new();
    rd.read_line(&mut l1).unwrap();
    let mut l2 = String::new();
    rd.read_line(&mut l2).unwrap();
    assert!(l2.starts_with("listening on https://"), "{l2}");
    let gba = l1
        .strip_prefix("gba listening on ")
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_else(|| panic!("{l1}"))
        .to_owned();
    // Ks_NAF = HMAC-SHA-256(Ks, 0x01 ‖ P0 ‖ L0 ‖ … ) with P = "gba-me", RAND, IMPI, NAF_Id.
    let mut naf_id = b"localhost".to_vec();
    naf_id.extend_from_slice(&[1, 0, 0, 0, 2]);
    let mut msg = vec![0x01];
    for p in [&b"gba-me"[..], &rand, impi.as_bytes(), &naf_id] {
        msg.extend_from_slice(p);
        msg.extend_from_slice(&(p.len() as u16).to_be_bytes());
    }
    let mac = Command::new("openssl")
        .args(["dgst", "-sha256", "-mac", "HMAC", "-macopt"])
        .arg(format!("hexkey:{}", hex::encode(&ks)))
        .arg("-binary")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            c.stdin.take().unwrap().write_all(&msg)?;
            c.wait_with_output()
        })
        .unwrap();
    assert_eq!(mac.stdout.len(), 32);
    let ks_naf = hex::encode(&mac.stdout);
    let request = |psk: &str| {
        let mut c = Command::new("openssl")
            .args([
                "s_client", "-connect", &gba, "-tls1_2", "-quiet", "-ign_eof",
            ])
            .args(["-psk_identity", b_tid, "-psk", psk])
            .args(["-cipher", "PSK-AES128-GCM-SHA256"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        c.stdin
            .take()
            .unwrap()
            .write_all(
                b"POST /keymanagement/identity/v1/keyprov HTTP/1.1\r\nHost: localhost\r\n\
                  Content-Length: 0\r\nConnection: close\r\n\r\n",
            )
            .unwrap();
        c.wait_with_output().unwrap()
    };
    let out = request(&ks_naf);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("HTTP/1.1 200"),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let body = &out.stdout[text.find("\r\n\r\n").unwrap() + 4..];
    let doc = prose_sec::kms::provision::parse(body).unwrap();
    assert_eq!(doc.user_uri, "sip:alice@example.org");
    assert!(!doc.key_sets().is_empty());
    // Another Ks: the handshake fails, nothing served.
    let mut wrong = mac.stdout.clone();
    wrong[0] ^= 1;
    let out = request(&hex::encode(wrong));
    assert!(!String::from_utf8_lossy(&out.stdout).contains("HTTP/1.1"));
    let _ = child.kill();
    let _ = child.wait();
}
