//! A throwaway KMS service on loopback (what `prose-sec demo --kms-service` starts): a fresh
//! KMS whose master secrets go to a `0600` state file in a private temporary directory, a
//! SQLite database beside it, a self-signed CA and a server certificate for
//! `localhost`/127.0.0.1 made with rcgen, and an HS256 key for the access tokens it mints for
//! its callers. Everything is removed when the service is dropped.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use jsonwebtoken::{EncodingKey, Header};
use prose_sec::kms::{IdFormat, KeyPeriods, Kms, STATE_VERSION};
use rand_core::{OsRng, RngCore};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use zeroize::Zeroizing;

use crate::client::ClientOptions;
use crate::config::{Config, JwtConfig, JwtKey};
use crate::server::{self, now_ntp, App, Running, KMS_KIND};
use crate::store::{Identity, Kind};

const ISSUER: &str = "https://idms.localhost";
const IDENTITY_CLAIM: &str = "mcptt_id";
/// Lifetime of the tokens [`LocalService::token`] mints (seconds).
pub const TOKEN_SECS: u64 = 3600;

/// What to start.
#[derive(Clone, Debug)]
pub struct LocalOptions {
    /// The KMS URI.
    pub kms_uri: String,
    /// Its identifier format.
    pub format: IdFormat,
    /// The user identities registered (each may fetch its own key sets).
    pub users: Vec<String>,
    /// Group identities and their Group Manager (a server identity, which may fetch them).
    pub groups: Vec<(String, String)>,
    /// Where to listen (`127.0.0.1:0`: a free port).
    pub listen: String,
}

/// A running service on loopback.
pub struct LocalService {
    dir: tempfile::TempDir,
    /// The service's state (its database: issuance records, audit log).
    pub app: Arc<App>,
    running: Option<Running>,
    /// The address it listens on.
    pub addr: SocketAddr,
    /// The CA certificate (PEM) its server certificate chains to.
    pub ca_pem: Vec<u8>,
    hs_secret: Zeroizing<Vec<u8>>,
    kms_uri: String,
}

impl core::fmt::Debug for LocalService {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("LocalService")
            .field("addr", &self.addr)
            .field("kms_uri", &self.kms_uri)
            .finish_non_exhaustive()
    }
}

fn write_private(dir: &Path, name: &str, data: &[u8]) -> anyhow::Result<PathBuf> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let p = dir.join(name);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&p)
        .with_context(|| format!("creating {}", p.display()))?;
    f.write_all(data)
        .with_context(|| format!("writing {}", p.display()))?;
    Ok(p)
}

impl LocalService {
    /// Generates the KMS and the certificates, opens the database, registers the identities
    /// and starts serving.
    pub async fn start(o: &LocalOptions) -> anyhow::Result<LocalService> {
        let dir = tempfile::Builder::new()
            .prefix("prose-kms-service-")
            .tempdir()
            .context("a temporary directory")?;
        let d = dir.path();
        let periods = KeyPeriods::new(o.kms_uri.as_bytes(), o.format.clone())
            .map_err(|e| anyhow::anyhow!("the key periods: {}", e.as_str()))?;
        let kms = Kms::generate(periods, &mut OsRng)
            .map_err(|e| anyhow::anyhow!("generating the KMS: {}", e.as_str()))?;
        let store = prose_sec_store::Store::open(d.join("kms")).context("the KMS state store")?;
        store
            .save_json("kms.json", KMS_KIND, STATE_VERSION, &kms.state())
            .context("writing the KMS state")?;
        drop(store);

        let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "prose-sec local KMS CA");
        let ca_key = KeyPair::generate()?;
        let ca = ca_params.self_signed(&ca_key)?;
        let leaf_params =
            CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])?;
        let leaf_key = KeyPair::generate()?;
        let leaf = leaf_params.signed_by(&leaf_key, &ca, &ca_key)?;

        let mut secret = Zeroizing::new(vec![0u8; 32]);
        OsRng.fill_bytes(&mut secret);
        let hs_secret = Zeroizing::new(hex::encode(&secret[..]).into_bytes());

        let config = Config {
            listen: o.listen.clone(),
            kms_state: d.join("kms").join("kms.json"),
            database: format!("sqlite:{}", d.join("kms.db").display()),
            tls_cert: write_private(d, "server.pem", leaf.pem().as_bytes())?,
            tls_key: write_private(d, "server.key", leaf_key.serialize_pem().as_bytes())?,
            client_ca: None,
            jwt: Some(JwtConfig {
                issuer: Some(ISSUER.into()),
                audience: Some(o.kms_uri.clone()),
                identity_claim: Some(IDENTITY_CLAIM.into()),
                keys: vec![JwtKey {
                    alg: "HS256".into(),
                    kid: Some("local".into()),
                    pem: None,
                    secret: Some(write_private(d, "hs.secret", &hs_secret)?),
                }],
            }),
            server_identities: o.groups.iter().map(|(_, m)| m.clone()).collect(),
            next_period_window_secs: 0,
            time_skew_secs: 30,
            cache_size: 0,
            sqlite_busy_timeout_ms: Some(5_000),
            sqlite_max_pages: None,
        };
        let app = Arc::new(App::open(&config).await?);
        let now = now_ntp();
        let mut ids: Vec<Identity> = o
            .users
            .iter()
            .map(|u| Identity {
                uri: u.clone(),
                kind: Kind::User,
                manager: None,
            })
            .collect();
        for (g, m) in &o.groups {
            ids.push(Identity {
                uri: g.clone(),
                kind: Kind::Group,
                manager: Some(m.clone()),
            });
        }
        for id in &ids {
            app.db
                .register(id, now)
                .await
                .with_context(|| format!("registering {}", id.uri))?;
        }
        let tls = server::tls_config(&config)?;
        let listener = tokio::net::TcpListener::bind(&config.listen)
            .await
            .with_context(|| format!("listening on {}", config.listen))?;
        let running = server::start(app.clone(), tls, listener)?;
        Ok(LocalService {
            dir,
            app,
            addr: running.addr,
            running: Some(running),
            ca_pem: ca.pem().into_bytes(),
            hs_secret,
            kms_uri: o.kms_uri.clone(),
        })
    }

    /// `https://localhost:<port>`.
    pub fn base_url(&self) -> String {
        format!("https://localhost:{}", self.addr.port())
    }

    /// The private directory holding the state, the database and the certificates.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// An access token for `who` (HS256, valid for [`TOKEN_SECS`]).
    pub fn token(&self, who: &str) -> anyhow::Result<String> {
        let unix = now_ntp().saturating_sub(prose_sec::mikey::NTP_UNIX_OFFSET);
        let claims = serde_json::json!({
            IDENTITY_CLAIM: who,
            "sub": who,
            "iss": ISSUER,
            "aud": self.kms_uri,
            "iat": unix,
            "exp": unix + TOKEN_SECS,
        });
        let mut h = Header::new(jsonwebtoken::Algorithm::HS256);
        h.kid = Some("local".into());
        Ok(jsonwebtoken::encode(
            &h,
            &claims,
            &EncodingKey::from_secret(&self.hs_secret),
        )?)
    }

    /// Client options for `who` fetching the key sets of `user` (its own when `None`).
    pub fn client_options(&self, who: &str, user: Option<&str>) -> anyhow::Result<ClientOptions> {
        Ok(ClientOptions {
            kms: self.base_url(),
            token: Some(self.token(who)?),
            ca_pem: Some(self.ca_pem.clone()),
            identity_pem: None,
            user: user.map(str::to_owned),
            request_body: false,
        })
    }

    /// Stops serving (the directory goes when the service is dropped).
    pub async fn stop(mut self) {
        if let Some(r) = self.running.take() {
            r.stop().await;
        }
    }
}
