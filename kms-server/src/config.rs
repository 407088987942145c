//! The service's configuration file (TOML). Relative paths are taken from the file's
//! directory.
//!
//! ```toml
//! listen = "127.0.0.1:8443"
//! kms_state = "kms/kms.json"        # the 0600 master-secret file (`prose-sec kms init`)
//! database = "sqlite:kms.db"        # or "postgresql://user@host:5432/kms"
//! tls_cert = "server.pem"           # certificate chain (PEM)
//! tls_key = "server.key"            # private key (PEM)
//! client_ca = "clients-ca.pem"      # optional: accept client certificates from this CA
//! server_identities = ["sip:gm@example.org"]   # may fetch the groups they manage
//! next_period_window_secs = 259200  # serve the next period too this close to a boundary
//!
//! [jwt]
//! issuer = "https://idms.example.org"
//! audience = "kms.example.org"
//! identity_claim = "mcptt_id"       # default "sub"
//! [[jwt.keys]]
//! alg = "ES256"                     # ES256, ES384, RS256, RS384, RS512, PS256, EdDSA, HS256
//! pem = "idms-public.pem"           # a public key (or `secret = "file"` for HS256)
//! kid = "k1"                        # optional
//! ```

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// One key that verifies access tokens.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JwtKey {
    /// The JWS algorithm.
    pub alg: String,
    /// The key id it answers to (any token when absent).
    pub kid: Option<String>,
    /// A PEM public key file.
    pub pem: Option<PathBuf>,
    /// A file holding an HMAC secret (HS256/384/512).
    pub secret: Option<PathBuf>,
}

/// Access-token verification.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JwtConfig {
    /// Required `iss`.
    pub issuer: Option<String>,
    /// Required `aud`.
    pub audience: Option<String>,
    /// The claim holding the caller's identity (default `sub`).
    pub identity_claim: Option<String>,
    /// The verification keys.
    #[serde(default)]
    pub keys: Vec<JwtKey>,
}

/// The configuration.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address to listen on.
    #[serde(default = "default_listen")]
    pub listen: String,
    /// The KMS master-secret state file.
    pub kms_state: PathBuf,
    /// `sqlite:PATH` or a PostgreSQL URL.
    pub database: String,
    /// TLS certificate chain (PEM).
    pub tls_cert: PathBuf,
    /// TLS private key (PEM).
    pub tls_key: PathBuf,
    /// CA of client certificates (mutual TLS); none: no client certificates are asked for.
    pub client_ca: Option<PathBuf>,
    /// Access-token verification; none: no bearer tokens are accepted.
    pub jwt: Option<JwtConfig>,
    /// Server identities (Group Managers) that may fetch key sets of the groups they manage.
    #[serde(default)]
    pub server_identities: Vec<String>,
    /// How close to the end of a period `keyprov` also serves the next one (seconds).
    #[serde(default = "default_window")]
    pub next_period_window_secs: u64,
    /// Allowed difference between a KmsRequest's Time and ours (seconds).
    #[serde(default = "default_skew")]
    pub time_skew_secs: u64,
    /// Key sets kept in memory (0: none).
    #[serde(default = "default_cache")]
    pub cache_size: usize,
    /// SQLite: lock wait before the store counts as unavailable (ms).
    pub sqlite_busy_timeout_ms: Option<u64>,
    /// SQLite: `PRAGMA max_page_count` (a bound on the file's size).
    pub sqlite_max_pages: Option<u64>,
}

fn default_listen() -> String {
    "127.0.0.1:8443".into()
}
fn default_window() -> u64 {
    3 * 86_400
}
fn default_skew() -> u64 {
    30
}
fn default_cache() -> usize {
    65_536
}

impl Config {
    /// Reads `path`, resolving relative paths against its directory.
    pub fn load(path: &Path) -> anyhow::Result<Config> {
        use anyhow::Context;
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let mut c: Config =
            toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        let base = path.parent().unwrap_or(Path::new(".")).to_path_buf();
        c.resolve(&base);
        Ok(c)
    }

    /// Makes relative paths relative to `base`.
    pub fn resolve(&mut self, base: &Path) {
        let fix = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        fix(&mut self.kms_state);
        fix(&mut self.tls_cert);
        fix(&mut self.tls_key);
        if let Some(p) = self.client_ca.as_mut() {
            fix(p);
        }
        if let Some(j) = self.jwt.as_mut() {
            for k in &mut j.keys {
                if let Some(p) = k.pem.as_mut() {
                    fix(p);
                }
                if let Some(p) = k.secret.as_mut() {
                    fix(p);
                }
            }
        }
        if !self.database.starts_with("postgres") {
            let path = self
                .database
                .strip_prefix("sqlite:")
                .unwrap_or(&self.database);
            let p = Path::new(path);
            if p.is_relative() {
                self.database = format!("sqlite:{}", base.join(p).display());
            }
        }
    }
}
