//! A KMS service on loopback for the tests: a fresh KMS (master secrets in a 0600 state
//! file), a TLS server certificate and a client CA made with rcgen, token keys (HS256 and
//! ES256), and the database: SQLite in the test's directory, or — when `PROSE_PG_URL` is
//! set — a fresh PostgreSQL database too.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use jsonwebtoken::{EncodingKey, Header};
use prose_sec::kms::{IdFormat, KeyPeriods, Kms, STATE_VERSION};
use prose_sec_kms_server::config::{Config, JwtConfig, JwtKey};
use prose_sec_kms_server::server::{self, now_ntp, App, Running, KMS_KIND};
use prose_sec_kms_server::store::{Identity, Kind};
use rand_core::OsRng;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, SanType};

pub const KMS_URI: &str = "kms.example.org";
pub const ALICE: &str = "sip:alice@example.org";
pub const BOB: &str = "sip:bob@example.org";
pub const GM: &str = "sip:gm@example.org";
pub const GROUP: &str = "sip:group-1@example.org";
pub const OTHER_GROUP: &str = "sip:group-2@example.org";
pub const ISSUER: &str = "https://idms.example.org";
pub const AUDIENCE: &str = "kms.example.org";
pub const PERIOD: u64 = 86_400;

/// Which database.
#[derive(Clone, Debug)]
pub enum Backend {
    Sqlite,
    Postgres(String),
}

/// The backends to run on: SQLite always, PostgreSQL when `PROSE_PG_URL` is set.
pub fn backends() -> Vec<Backend> {
    let mut v = vec![Backend::Sqlite];
    if let Ok(u) = std::env::var("PROSE_PG_URL") {
        if !u.is_empty() {
            v.push(Backend::Postgres(u));
        }
    }
    v
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A fresh PostgreSQL database on the server of `base`; its URL.
pub async fn fresh_pg(base: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let name = format!("kms_t_{}_{}_{}", std::process::id(), n, now_ntp() % 100_000);
    let (client, conn) = tokio_postgres::connect(base, tokio_postgres::NoTls)
        .await
        .expect("PROSE_PG_URL reachable");
    tokio::spawn(conn);
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create database");
    // Replace the database name (the URL's path).
    let (head, _) = match base.rsplit_once('/') {
        Some((h, t)) if !h.ends_with('/') && !t.contains('@') => (h.to_owned(), t),
        _ => (base.trim_end_matches('/').to_owned(), ""),
    };
    let q = base
        .find('?')
        .map(|i| base[i..].to_owned())
        .unwrap_or_default();
    let head = head.split('?').next().unwrap_or(&head).to_owned();
    format!("{head}/{name}{q}")
}

pub struct Pki {
    pub ca_pem: String,
    ca: rcgen::Certificate,
    ca_key: KeyPair,
}

impl Pki {
    pub fn new(name: &str) -> Pki {
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.distinguished_name.push(DnType::CommonName, name);
        let ca_key = KeyPair::generate().unwrap();
        let ca = p.self_signed(&ca_key).unwrap();
        Pki {
            ca_pem: ca.pem(),
            ca,
            ca_key,
        }
    }

    /// A server certificate for `localhost`/127.0.0.1: (cert PEM, key PEM).
    pub fn server(&self) -> (String, String) {
        let p =
            CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
        let k = KeyPair::generate().unwrap();
        let c = p.signed_by(&k, &self.ca, &self.ca_key).unwrap();
        (c.pem(), k.serialize_pem())
    }

    /// A client certificate whose SAN URI is `uri`: cert PEM + key PEM concatenated.
    pub fn client(&self, uri: &str) -> Vec<u8> {
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        p.subject_alt_names = vec![SanType::URI(uri.try_into().unwrap())];
        p.distinguished_name.push(DnType::CommonName, uri);
        let k = KeyPair::generate().unwrap();
        let c = p.signed_by(&k, &self.ca, &self.ca_key).unwrap();
        format!("{}\n{}", c.pem(), k.serialize_pem()).into_bytes()
    }
}

pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub config: Config,
    pub app: Arc<App>,
    pub running: Option<Running>,
    pub addr: std::net::SocketAddr,
    pub pki: Pki,
    pub client_pki: Pki,
    pub hs_secret: Vec<u8>,
    pub es_key: KeyPair,
    pub kms: Kms,
}

pub fn write(dir: &Path, name: &str, data: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, data).unwrap();
    p
}

/// Writes a fresh KMS (MCPTT periods of a day) to `dir/kms/kms.json`.
pub fn make_kms(dir: &Path) -> (Kms, PathBuf) {
    let periods = KeyPeriods::new(
        KMS_URI.as_bytes(),
        IdFormat::Mcptt {
            period_secs: PERIOD,
            offset_secs: 0,
        },
    )
    .unwrap();
    let kms = Kms::generate(periods, &mut OsRng).unwrap();
    let store = prose_sec_store::Store::open(dir.join("kms")).unwrap();
    store
        .save_json("kms.json", KMS_KIND, STATE_VERSION, &kms.state())
        .unwrap();
    (kms, dir.join("kms").join("kms.json"))
}

impl Fixture {
    pub async fn new(backend: &Backend) -> Fixture {
        Self::with(backend, |_| {}).await
    }

    pub async fn with(backend: &Backend, tweak: impl FnOnce(&mut Config)) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let (kms, state) = make_kms(dir.path());
        let pki = Pki::new("kms test server CA");
        let client_pki = Pki::new("kms test client CA");
        let (cert, key) = pki.server();
        let hs_secret: Vec<u8> = (0..48u8).map(|i| b'a' + i % 26).collect();
        let es_key = KeyPair::generate().unwrap();
        let database = match backend {
            Backend::Sqlite => format!("sqlite:{}", dir.path().join("kms.db").display()),
            Backend::Postgres(base) => fresh_pg(base).await,
        };
        let mut config = Config {
            listen: "127.0.0.1:0".into(),
            kms_state: state,
            database,
            tls_cert: write(dir.path(), "server.pem", cert.as_bytes()),
            tls_key: write(dir.path(), "server.key", key.as_bytes()),
            client_ca: Some(write(
                dir.path(),
                "clients.pem",
                client_pki.ca_pem.as_bytes(),
            )),
            jwt: Some(JwtConfig {
                issuer: Some(ISSUER.into()),
                audience: Some(AUDIENCE.into()),
                identity_claim: Some("mcptt_id".into()),
                keys: vec![
                    JwtKey {
                        alg: "HS256".into(),
                        kid: Some("hs".into()),
                        pem: None,
                        secret: Some(write(dir.path(), "hs.secret", &hs_secret)),
                    },
                    JwtKey {
                        alg: "ES256".into(),
                        kid: Some("es".into()),
                        pem: Some(write(
                            dir.path(),
                            "es.pub",
                            es_key.public_key_pem().as_bytes(),
                        )),
                        secret: None,
                    },
                ],
            }),
            server_identities: vec![GM.into()],
            next_period_window_secs: 3600,
            time_skew_secs: 30,
            cache_size: 1024,
            sqlite_busy_timeout_ms: Some(300),
            sqlite_max_pages: None,
        };
        tweak(&mut config);
        let app = Arc::new(App::open(&config).await.expect("the app opens"));
        let now = now_ntp();
        for (uri, kind, manager) in [
            (ALICE, Kind::User, None),
            (BOB, Kind::User, None),
            (GM, Kind::User, None),
            (GROUP, Kind::Group, Some(GM)),
            (OTHER_GROUP, Kind::Group, Some("sip:other-gm@example.org")),
        ] {
            app.db
                .register(
                    &Identity {
                        uri: uri.into(),
                        kind,
                        manager: manager.map(str::to_owned),
                    },
                    now,
                )
                .await
                .unwrap();
        }
        let tls = server::tls_config(&config).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let running = server::start(app.clone(), tls, listener).unwrap();
        let addr = running.addr;
        Fixture {
            dir,
            config,
            app,
            running: Some(running),
            addr,
            pki,
            client_pki,
            hs_secret,
            es_key,
            kms,
        }
    }

    pub fn base(&self) -> String {
        format!("https://localhost:{}", self.addr.port())
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base(), path)
    }

    /// An HS256 token for `who`, expiring `exp_in` seconds from now (negative: expired).
    pub fn token(&self, who: &str, exp_in: i64) -> String {
        self.token_with(who, exp_in, ISSUER, AUDIENCE)
    }

    pub fn token_with(&self, who: &str, exp_in: i64, iss: &str, aud: &str) -> String {
        let unix = (now_ntp() - prose_sec::mikey::NTP_UNIX_OFFSET) as i64;
        let claims = serde_json::json!({
            "mcptt_id": who, "sub": "x", "iss": iss, "aud": aud, "exp": unix + exp_in, "iat": unix,
        });
        let mut h = Header::new(jsonwebtoken::Algorithm::HS256);
        h.kid = Some("hs".into());
        jsonwebtoken::encode(&h, &claims, &EncodingKey::from_secret(&self.hs_secret)).unwrap()
    }

    pub fn es_token(&self, who: &str) -> String {
        let unix = (now_ntp() - prose_sec::mikey::NTP_UNIX_OFFSET) as i64;
        let claims = serde_json::json!({
            "mcptt_id": who, "iss": ISSUER, "aud": AUDIENCE, "exp": unix + 600,
        });
        let mut h = Header::new(jsonwebtoken::Algorithm::ES256);
        h.kid = Some("es".into());
        let key = EncodingKey::from_ec_pem(self.es_key.serialize_pem().as_bytes()).unwrap();
        jsonwebtoken::encode(&h, &claims, &key).unwrap()
    }

    /// An HTTPS client trusting the test CA, with a client certificate when given.
    pub fn http(&self, identity: Option<&[u8]>) -> reqwest::Client {
        let mut b = reqwest::Client::builder()
            .use_rustls_tls()
            .tls_built_in_root_certs(false)
            .add_root_certificate(
                reqwest::Certificate::from_pem(self.pki.ca_pem.as_bytes()).unwrap(),
            );
        if let Some(id) = identity {
            b = b.identity(reqwest::Identity::from_pem(id).unwrap());
        }
        b.build().unwrap()
    }

    pub async fn stop(&mut self) {
        if let Some(r) = self.running.take() {
            r.stop().await;
        }
    }

    /// A fresh App on the same database and master secrets (a restarted process).
    pub async fn reopen(&self) -> App {
        App::open(&self.config).await.unwrap()
    }
}

/// POSTs and returns (status, body, headers).
pub async fn post(
    http: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    body: Option<String>,
) -> (u16, Vec<u8>, reqwest::header::HeaderMap) {
    let mut rq = http.post(url);
    if let Some(t) = token {
        rq = rq.bearer_auth(t);
    }
    if let Some(b) = body {
        rq = rq.body(b);
    }
    let r = rq.send().await.expect("request sent");
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    (status, r.bytes().await.unwrap().to_vec(), headers)
}

/// The ErrorCode of a KmsError body.
pub fn error_code(body: &[u8]) -> Option<i64> {
    match prose_sec::kms::provision::parse(body).ok()?.body {
        prose_sec::kms::provision::ResponseBody::Error(e) => Some(e.code),
        _ => None,
    }
}
