//! The HTTPS service: rustls (TLS 1.3 and 1.2, no plain HTTP), hyper, and one axum handler
//! for every route under [`PREFIX`].

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::Response;
use axum::Router;
use http_body_util::BodyExt;
use prose_sec::kms::provision::{
    KmsCertCache, KmsCertificateDoc, KmsError, KmsInit, KmsKeyProv, KmsKeySetDoc, KmsMessage,
    KmsResponse, ResponseBody,
};
use prose_sec::kms::Kms;
use rustls::server::WebPkiClientVerifier;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::ServiceExt;

use crate::auth::{cert_uri, Authenticator};
use crate::config::Config;
use crate::error::{Refusal, StoreError};
use crate::keys::Issuer;
use crate::request::{self, parse_kms_request, parse_path, Route, MAX_BODY, PREFIX};
use crate::store::{Audit, Db, Issuance, Kind, Served, SqliteOptions};

/// Store kind of the KMS master-secret file (as `prose-sec kms init` writes it).
pub const KMS_KIND: &str = "prose.kms";

/// NTP seconds now.
pub fn now_ntp() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
        + prose_sec::mikey::NTP_UNIX_OFFSET
}

/// The identity a connection's client certificate carries (mutual TLS).
#[derive(Clone, Debug, Default)]
pub struct ConnInfo {
    /// The first SAN URI of the verified client certificate.
    pub client_uri: Option<String>,
}

/// Everything a request needs.
pub struct App {
    /// Key derivation.
    pub issuer: Issuer,
    /// The database.
    pub db: Db,
    auth: Authenticator,
    server_ids: HashSet<String>,
    cert_doc: KmsCertificateDoc,
    kms_uri: String,
    window: u64,
    skew: u64,
}

impl core::fmt::Debug for App {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("App")
            .field("kms_uri", &self.kms_uri)
            .finish_non_exhaustive()
    }
}

/// Loads the KMS master secrets from their `0600` state file.
pub fn load_kms(path: &std::path::Path) -> anyhow::Result<Kms> {
    use anyhow::Context;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .context("the KMS state path names no file")?;
    let store = prose_sec_store::Store::open(&dir)
        .with_context(|| format!("opening the store {}", dir.display()))?;
    let state = store
        .load_json::<prose_sec::kms::KmsState>(name, KMS_KIND, prose_sec::kms::STATE_VERSION)
        .with_context(|| format!("reading {}", path.display()))?
        .with_context(|| {
            format!(
                "{} does not exist (run `prose-sec kms init`)",
                path.display()
            )
        })?;
    Kms::from_state(&state.value).with_context(|| format!("checking {}", path.display()))
}

fn fingerprint(kms: &Kms) -> String {
    use sha2::Digest;
    let c = kms.certificate();
    let mut h = sha2::Sha256::new();
    h.update(c.z.to_bytes());
    h.update(c.kpak.to_sec1());
    hex::encode(h.finalize())
}

impl App {
    /// From the configuration: the master secrets read, the database opened (and bound to
    /// this KMS: a database of another KMS is refused), the token keys read.
    pub async fn open(c: &Config) -> anyhow::Result<App> {
        use anyhow::{bail, Context};
        let kms = load_kms(&c.kms_state)?;
        let db = Db::open(
            &c.database,
            SqliteOptions {
                busy_timeout: c.sqlite_busy_timeout_ms.map(Duration::from_millis),
                max_pages: c.sqlite_max_pages,
            },
        )
        .await
        .context("opening the database")?;
        let fp = fingerprint(&kms);
        let bound = db
            .meta_bind("kms_public", &fp)
            .await
            .context("binding the database")?;
        if bound != fp {
            bail!("the database belongs to another KMS (its public keys differ)");
        }
        let auth = match &c.jwt {
            Some(j) => Authenticator::from_config(j)?,
            None => Authenticator::none(),
        };
        Self::new(kms, db, auth, c)
    }

    /// From parts.
    pub fn new(kms: Kms, db: Db, auth: Authenticator, c: &Config) -> anyhow::Result<App> {
        use anyhow::Context;
        let cert_doc = KmsCertificateDoc::from_certificate(&kms.certificate())
            .context("the KMS certificate")?;
        let kms_uri = String::from_utf8(kms.periods().kms_uri().to_vec())
            .context("the KMS URI is not UTF-8")?;
        Ok(App {
            issuer: Issuer::new(kms, c.cache_size),
            db,
            auth,
            server_ids: c.server_identities.iter().cloned().collect(),
            cert_doc,
            kms_uri,
            window: c.next_period_window_secs,
            skew: c.time_skew_secs,
        })
    }

    /// The KMS URI.
    pub fn kms_uri(&self) -> &str {
        &self.kms_uri
    }
}

/// The rustls server configuration: TLS 1.3 and 1.2, h2 and http/1.1, client certificates
/// from `client_ca` verified when presented (optional, so token clients connect too).
pub fn tls_config(c: &Config) -> anyhow::Result<Arc<rustls::ServerConfig>> {
    use anyhow::Context;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&c.tls_cert)
        .with_context(|| format!("reading {}", c.tls_cert.display()))?
        .collect::<Result<_, _>>()
        .with_context(|| format!("reading {}", c.tls_cert.display()))?;
    let key = PrivateKeyDer::from_pem_file(&c.tls_key)
        .with_context(|| format!("reading {}", c.tls_key.display()))?;
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .context("TLS versions")?;
    let builder = match &c.client_ca {
        Some(ca) => {
            let mut roots = rustls::RootCertStore::empty();
            for cert in CertificateDer::pem_file_iter(ca)
                .with_context(|| format!("reading {}", ca.display()))?
            {
                roots
                    .add(cert.with_context(|| format!("reading {}", ca.display()))?)
                    .context("a client CA certificate")?;
            }
            let v = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .allow_unauthenticated()
                .build()
                .context("the client certificate verifier")?;
            builder.with_client_cert_verifier(v)
        }
        None => builder.with_no_client_auth(),
    };
    let mut cfg = builder
        .with_single_cert(certs, key)
        .context("the server certificate and key")?;
    cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(cfg))
}

/// A running server.
pub struct Running {
    /// The address it listens on.
    pub addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    /// Stops accepting and waits for the accept loop to end.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// Serves `app` over TLS on `listener` until stopped.
pub fn start(
    app: Arc<App>,
    tls: Arc<rustls::ServerConfig>,
    listener: TcpListener,
) -> std::io::Result<Running> {
    let addr = listener.local_addr()?;
    let (stop, mut stopped) = watch::channel(false);
    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    let router = router(app);
    let task = tokio::spawn(async move {
        loop {
            let (tcp, _) = tokio::select! {
                r = listener.accept() => match r {
                    Ok(x) => x,
                    Err(_) => {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        continue;
                    }
                },
                _ = stopped.changed() => break,
            };
            let _ = tcp.set_nodelay(true);
            let acceptor = acceptor.clone();
            let router = router.clone();
            let stop_conn = stopped.clone();
            tokio::spawn(async move {
                let Ok(Ok(tls)) =
                    tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await
                else {
                    return;
                };
                let info = ConnInfo {
                    client_uri: tls
                        .get_ref()
                        .1
                        .peer_certificates()
                        .and_then(|c| c.first())
                        .and_then(|c| cert_uri(c)),
                };
                serve_conn(router, tls, info, stop_conn).await;
            });
        }
    });
    Ok(Running { addr, stop, task })
}

/// Serves HTTP/1.1 and HTTP/2 on one established TLS stream, the caller's TLS identity in
/// every request's extensions, until the stream ends or the server stops.
pub(crate) async fn serve_conn<S>(
    router: Router,
    stream: S,
    info: ConnInfo,
    mut stop: watch::Receiver<bool>,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let svc = router.map_request(move |mut r: hyper::Request<hyper::body::Incoming>| {
        r.extensions_mut().insert(info.clone());
        r
    });
    let svc = hyper_util::service::TowerToHyperService::new(svc);
    let builder =
        hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
    let conn = builder.serve_connection(hyper_util::rt::TokioIo::new(stream), svc);
    tokio::select! {
        _ = conn => {}
        _ = stop.changed() => {}
    }
}

/// The router of every route (one handler).
pub(crate) fn router(app: Arc<App>) -> Router {
    Router::new().fallback(handle).with_state(app)
}

/// A running server from its parts.
#[cfg_attr(not(feature = "gba"), allow(dead_code))]
pub(crate) fn running(
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
) -> Running {
    Running { addr, stop, task }
}

fn reply(
    app: &App,
    user: &str,
    path: &str,
    host: &str,
    body: ResponseBody,
    status: u16,
) -> Response {
    let doc = KmsResponse {
        user_uri: if user.is_empty() {
            "-".into()
        } else {
            user.to_owned()
        },
        kms_uri: app.kms_uri.clone(),
        time: now_ntp(),
        kms_id: None,
        client_req_url: format!("https://{host}{path}"),
        body,
    };
    let (status, bytes) = match doc.to_xml() {
        Ok(x) => (status, x.to_vec()),
        Err(_) => (500, Vec::new()),
    };
    let mut r = Response::new(Body::from(bytes));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/xml; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    r
}

fn refusal(app: &App, user: &str, path: &str, host: &str, e: &Refusal) -> Response {
    let mut r = reply(
        app,
        user,
        path,
        host,
        ResponseBody::Error(KmsError {
            code: i64::from(e.status()),
            message: e.to_string(),
        }),
        e.status(),
    );
    let h = r.headers_mut();
    match e {
        Refusal::MethodNotAllowed => {
            h.insert(header::ALLOW, HeaderValue::from_static("POST"));
        }
        Refusal::Unauthenticated(_) => {
            h.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        Refusal::Unavailable => {
            h.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        _ => {}
    }
    r
}

async fn handle(State(app): State<Arc<App>>, req: Request) -> Response {
    let path = req.uri().path().to_owned();
    let host = req
        .uri()
        .authority()
        .map(|a| a.as_str().to_owned())
        .or_else(|| {
            req.headers()
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .map(str::to_owned)
        })
        .unwrap_or_else(|| app.kms_uri.clone());
    let mut caller = String::new();
    let result = serve_one(&app, req, &path, &mut caller).await;
    let action = path.strip_prefix(PREFIX).unwrap_or("-");
    let action = action.split('/').next().unwrap_or("-").to_owned();
    let (outcome, target) = match &result {
        Ok((_, t)) => ("ok".to_owned(), t.clone()),
        Err(e) => (e.status().to_string(), path.clone()),
    };
    // Key provisioning that succeeded is audited in the transaction of its issuance
    // records; everything else is audited here.
    if result.is_err() || action != "keyprov" {
        let _ = app
            .db
            .audit(Audit {
                at: now_ntp(),
                caller: if caller.is_empty() {
                    "-".into()
                } else {
                    caller.clone()
                },
                action,
                target,
                outcome,
            })
            .await;
    }
    match result {
        Ok((body, _)) => reply(&app, &caller, &path, &host, body, 200),
        Err(e) => refusal(&app, &caller, &path, &host, &e),
    }
}

fn identify(app: &App, req: &Request) -> Result<String, Refusal> {
    let cert = req
        .extensions()
        .get::<ConnInfo>()
        .and_then(|c| c.client_uri.clone());
    let token = match req.headers().get(header::AUTHORIZATION) {
        Some(v) => Some(app.auth.verify(request::bearer_token(v.as_bytes())?)?),
        None => None,
    };
    match (token, cert) {
        (Some(t), Some(c)) if t != c => Err(Refusal::Forbidden(
            "the token and the client certificate name different identities",
        )),
        (Some(t), _) => Ok(t),
        (None, Some(c)) => Ok(c),
        (None, None) => Err(Refusal::Unauthenticated("no credentials")),
    }
}

/// The path part of a ClientReqUrl (`https://host/path` or `/path`).
fn url_path(u: &str) -> &str {
    let rest = u
        .strip_prefix("https://")
        .or_else(|| u.strip_prefix("http://"))
        .map(|r| r.find('/').map_or("", |i| &r[i..]))
        .unwrap_or(u);
    rest.split(['?', '#']).next().unwrap_or(rest)
}

async fn serve_one(
    app: &App,
    req: Request,
    path: &str,
    caller: &mut String,
) -> Result<(ResponseBody, String), Refusal> {
    if req.method() != Method::POST {
        return Err(Refusal::MethodNotAllowed);
    }
    let route = parse_path(path)?;
    if let Some(len) = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
    {
        if len > MAX_BODY as u64 {
            return Err(Refusal::TooLarge);
        }
    }
    let id = identify(app, &req)?;
    *caller = id.clone();
    let body = http_body_util::Limited::new(req.into_body(), MAX_BODY)
        .collect()
        .await
        .map_err(|e| {
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some()
            {
                Refusal::TooLarge
            } else {
                Refusal::BadRequest("request body unreadable")
            }
        })?
        .to_bytes();
    let now = now_ntp();
    if !body.iter().all(u8::is_ascii_whitespace) {
        let kr = parse_kms_request(&body)?;
        if kr.kms_uri != app.kms_uri {
            return Err(Refusal::BadRequest("KmsUri is not this KMS"));
        }
        let want = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
        let got = url_path(&kr.client_req_url);
        let got_dec = percent_encoding::percent_decode_str(got).decode_utf8_lossy();
        if got != path && got_dec != want {
            return Err(Refusal::BadRequest(
                "ClientReqUrl does not match the request",
            ));
        }
        if kr.time.abs_diff(now) > app.skew {
            return Err(Refusal::BadRequest("Time too far from the KMS's clock"));
        }
        if kr.user_uri != id {
            return Err(Refusal::Forbidden(
                "UserUri is not the authenticated caller",
            ));
        }
        let fresh = app
            .db
            .request_time(
                &id,
                kr.time,
                path,
                now,
                now.saturating_sub(4 * app.skew + 60),
            )
            .await?;
        if !fresh {
            return Err(Refusal::Replayed);
        }
    }
    match route {
        Route::Init => Ok((
            ResponseBody::Message(KmsMessage::Init(KmsInit {
                certificate: Box::new(app.cert_doc.clone()),
            })),
            id,
        )),
        Route::CertCache { cache_num: _ } => Ok((
            // This KMS holds no certificates of other KMSs: an empty cache, number 1.
            ResponseBody::Message(KmsMessage::CertCache(KmsCertCache {
                cache_num: Some(1),
                certificates: Vec::new(),
            })),
            id,
        )),
        Route::Cert { kms_uri } => {
            if kms_uri != app.kms_uri {
                return Err(Refusal::NotFound("no certificate for that KMS"));
            }
            Ok((
                ResponseBody::Message(KmsMessage::CertCache(KmsCertCache {
                    cache_num: Some(1),
                    certificates: vec![app.cert_doc.clone()],
                })),
                kms_uri,
            ))
        }
        Route::KeyProv { uri, ntp_secs } => {
            let target = uri.unwrap_or_else(|| id.clone());
            let sets = keyprov(app, &id, &target, ntp_secs, now).await?;
            Ok((ResponseBody::Message(KmsMessage::KeyProv(sets)), target))
        }
    }
}

/// The periods `keyprov` serves at `now`: the one holding `at` (current or next only), or
/// the current one and, within the window before its end, the next.
pub fn periods_for(app: &App, at: Option<u64>, now: u64) -> Result<Vec<u64>, Refusal> {
    let p = app.issuer.kms().periods();
    let cur = p.period_no(now).map_err(|_| Refusal::Internal)?;
    match at {
        Some(t) => {
            let n = p
                .period_no(t)
                .map_err(|_| Refusal::BadRequest("time out of range"))?;
            if n != cur && n != cur + 1 {
                return Err(Refusal::Forbidden(
                    "only the current and the next period are served",
                ));
            }
            Ok(vec![n])
        }
        None => {
            let (_, end) = p.validity(cur).map_err(|_| Refusal::Internal)?;
            if end.saturating_sub(now) <= app.window {
                Ok(vec![cur, cur + 1])
            } else {
                Ok(vec![cur])
            }
        }
    }
}

async fn keyprov(
    app: &App,
    caller: &str,
    target: &str,
    at: Option<u64>,
    now: u64,
) -> Result<KmsKeyProv, Refusal> {
    let periods = periods_for(app, at, now)?;
    let first = periods[0];
    let last = *periods.last().unwrap_or(&first);
    let (ident, rev_a, rev_b) = app.db.lookup(target, first, last).await?;
    let ident = ident.ok_or(Refusal::Forbidden("identity not registered"))?;
    let allowed = match ident.kind {
        Kind::User => target == caller,
        Kind::Group => app.server_ids.contains(caller) && ident.manager.as_deref() == Some(caller),
    };
    if !allowed {
        return Err(Refusal::Forbidden("not the caller's key sets"));
    }
    let wanted: Vec<u64> = periods
        .into_iter()
        .filter(|&n| !((n == first && rev_a) || (n == last && rev_b)))
        .collect();
    if wanted.is_empty() {
        return Err(Refusal::Revoked);
    }
    let mut docs = Vec::with_capacity(wanted.len());
    let mut issued = Vec::with_capacity(wanted.len());
    for n in wanted {
        let ks = app
            .issuer
            .key_set(target.as_bytes(), n)
            .map_err(|_| Refusal::BadRequest("no key set for that identity"))?;
        issued.push(Issuance {
            uri: target.to_owned(),
            period_no: n,
            pvt: hex::encode(ks.pvt),
        });
        docs.push(
            KmsKeySetDoc::from_key_set(app.kms_uri.as_bytes(), &ks)
                .map_err(|_| Refusal::Internal)?,
        );
    }
    app.db
        .served(Served {
            issued,
            audit: Audit {
                at: now,
                caller: caller.to_owned(),
                action: "keyprov".into(),
                target: target.to_owned(),
                outcome: "ok".into(),
            },
            origin: "request",
        })
        .await
        .map_err(|e| match e {
            StoreError::Inconsistent(_) => Refusal::Internal,
            e => e.into(),
        })?;
    Ok(KmsKeyProv { key_sets: docs })
}

/// Parses a request path (the fuzz target's entry to the routes).
pub fn route_of(path: &str) -> Result<Route, Refusal> {
    request::parse_path(path)
}
