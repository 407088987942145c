//! `prose-sec kms serve` (the KMS as an HTTPS service, TS 33.180 Annex D, with its
//! administration: identities, bulk pre-issuance, revocation) and `prose-sec member
//! provision` (a member fetching its keys from such a service into its state file).

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use prose_sec::kms::STATE_VERSION;
use prose_sec_kms_server::client::{Client, ClientOptions};
use prose_sec_kms_server::config::Config;
use prose_sec_kms_server::server::{self, App};
use prose_sec_kms_server::store::{Identity, Kind};
use prose_sec_kms_server::{admin, store::ALL_PERIODS};

use crate::state_cmd::{load_member, open_state, parse_time, MEMBER_KIND};

#[derive(clap::Args)]
pub struct ServeArgs {
    /// The service's configuration file (TOML; see the kms-server crate's `config` module).
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
    /// Also serve GBA clients (seed 6.Z.4.3.3: TLS 1.2 PSK from Ks_NAF, TS 33.222) on this
    /// address, beside the HTTPS listener; needs --gba-bsf.
    #[cfg(feature = "gba")]
    #[arg(long, value_name = "ADDR", requires = "gba_bsf")]
    gba_listen: Option<String>,
    /// The bootstrappings the BSF handed over (TOML, 0600; see the kms-server crate's
    /// `gba::FileBsf`).
    #[cfg(feature = "gba")]
    #[arg(long, value_name = "FILE", requires = "gba_listen")]
    gba_bsf: Option<PathBuf>,
    /// The NAF's FQDN in NAF_Id: the name GBA clients reach this KMS by.
    #[cfg(feature = "gba")]
    #[arg(long, default_value = "localhost")]
    gba_naf: String,
    /// The Ua security protocol identifier in NAF_Id, ten hex digits (TS 33.220 Annex H).
    #[cfg(feature = "gba")]
    #[arg(long, default_value = "0100000002")]
    gba_ua_protocol: String,
    /// An administrative action instead of serving.
    #[command(subcommand)]
    action: Option<ServeAction>,
}

#[derive(clap::Subcommand)]
enum ServeAction {
    /// Register a user identity (it may then fetch its own key sets).
    AddUser {
        /// The user URI.
        uri: String,
    },
    /// Register a group identity whose key sets its Group Manager may fetch.
    AddGroup {
        /// The group URI.
        uri: String,
        /// The Group Manager's identity (also listed in `server_identities`).
        #[arg(long)]
        manager: String,
    },
    /// Pre-issue the next key period for every registered identity, on every core.
    PreIssue {
        /// The time whose next period to issue: `now`, RFC 3339 or NTP seconds.
        #[arg(long, default_value = "now")]
        at: String,
    },
    /// Revoke key sets of an identity: never served again.
    Revoke {
        /// The identity.
        uri: String,
        /// One KeyPeriodNo (default: every period).
        #[arg(long)]
        period: Option<u64>,
        /// Why (kept in the audit log).
        #[arg(long, default_value = "revoked by the administrator")]
        reason: String,
    },
}

#[derive(clap::Args)]
pub struct ProvisionArgs {
    /// The KMS service, `https://host[:port]`.
    #[arg(long, value_name = "URL")]
    kms: String,
    /// An OAuth 2.0 access token for the KMS.
    #[arg(long)]
    token: Option<String>,
    /// A file holding the access token.
    #[arg(long, value_name = "FILE", conflicts_with = "token")]
    token_file: Option<PathBuf>,
    /// The member state file (created if new).
    #[arg(long, value_name = "FILE")]
    state: PathBuf,
    /// CA certificates (PEM) trusted for the KMS (default: the system's).
    #[arg(long, value_name = "FILE")]
    ca: Option<PathBuf>,
    /// A client certificate (PEM) for mutual TLS, with --key.
    #[arg(long, value_name = "FILE", requires = "key")]
    cert: Option<PathBuf>,
    /// The client certificate's private key (PEM).
    #[arg(long, value_name = "FILE", requires = "cert")]
    key: Option<PathBuf>,
    /// The user URI (default: the identity the KMS names).
    #[arg(long)]
    user: Option<String>,
    /// The time at which keys are checked: `now`, RFC 3339 or NTP seconds.
    #[arg(long, default_value = "now")]
    at: String,
    /// Send a KmsRequest body with each request (needs --user).
    #[arg(long, requires = "user")]
    request_body: bool,
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")
}

pub fn serve(a: ServeArgs) -> anyhow::Result<()> {
    let config = Config::load(&a.config)?;
    runtime()?.block_on(async move {
        let app = Arc::new(App::open(&config).await?);
        let now = server::now_ntp();
        match a.action {
            None => {
                let tls = server::tls_config(&config)?;
                let listener = tokio::net::TcpListener::bind(&config.listen)
                    .await
                    .with_context(|| format!("listening on {}", config.listen))?;
                #[cfg(feature = "gba")]
                let gba = match (&a.gba_listen, &a.gba_bsf) {
                    (Some(addr), Some(bsf)) => {
                        use prose_sec_kms_server::gba;
                        let bsf = gba::FileBsf::load(bsf)?;
                        let n = bsf.len();
                        let ua = gba::parse_ua_protocol(&a.gba_ua_protocol)
                            .context("--gba-ua-protocol")?;
                        let (acceptor, index) =
                            gba::tls_psk_acceptor(&a.gba_naf, ua, Arc::new(bsf))?;
                        let l = tokio::net::TcpListener::bind(addr)
                            .await
                            .with_context(|| format!("--gba-listen {addr}"))?;
                        let r = gba::start(app.clone(), acceptor, index, l)?;
                        println!(
                            "gba listening on {} (TLS-PSK, {n} bootstrappings, NAF {})",
                            r.addr, a.gba_naf
                        );
                        Some(r)
                    }
                    _ => None,
                };
                let running = server::start(app, tls, listener)?;
                println!("listening on https://{}", running.addr);
                std::io::stdout().flush().ok();
                let mut term =
                    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                        .context("SIGTERM handler")?;
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
                running.stop().await;
                #[cfg(feature = "gba")]
                if let Some(g) = gba {
                    g.stop().await;
                }
            }
            Some(ServeAction::AddUser { uri }) => {
                let id = Identity {
                    uri: uri.clone(),
                    kind: Kind::User,
                    manager: None,
                };
                admin::register(&app, &id, now).await?;
                println!("registered user {uri}");
            }
            Some(ServeAction::AddGroup { uri, manager }) => {
                if !config.server_identities.contains(&manager) {
                    eprintln!(
                        "note: {manager} is not in server_identities; it cannot fetch the group's keys until it is"
                    );
                }
                let id = Identity {
                    uri: uri.clone(),
                    kind: Kind::Group,
                    manager: Some(manager.clone()),
                };
                admin::register(&app, &id, now).await?;
                println!("registered group {uri} managed by {manager}");
            }
            Some(ServeAction::PreIssue { at }) => {
                let at = parse_time(&at)?;
                let started = std::time::Instant::now();
                let r = admin::pre_issue_next(&app, at, |done, total| {
                    eprintln!("pre-issue: {done}/{total}");
                })
                .await?;
                println!(
                    "period {}: {} identities, {} already issued, {} revoked, {} issued now in {:.1} s",
                    r.period_no,
                    r.total,
                    r.already,
                    r.revoked,
                    r.issued,
                    started.elapsed().as_secs_f64()
                );
            }
            Some(ServeAction::Revoke {
                uri,
                period,
                reason,
            }) => {
                admin::revoke(&app, &uri, period, &reason, now).await?;
                match period {
                    Some(p) => println!("revoked {uri} period {p}"),
                    None => println!("revoked {uri} (every period, {ALL_PERIODS})"),
                }
            }
        }
        Ok(())
    })
}

pub fn provision(a: ProvisionArgs) -> anyhow::Result<()> {
    let now = parse_time(&a.at)?;
    let read = |p: &PathBuf| std::fs::read(p).with_context(|| format!("reading {}", p.display()));
    let token = match (&a.token, &a.token_file) {
        (Some(t), _) => Some(t.clone()),
        (None, Some(f)) => Some(String::from_utf8(read(f)?)?.trim().to_owned()),
        (None, None) => None,
    };
    let identity_pem = match (&a.cert, &a.key) {
        (Some(c), Some(k)) => {
            let mut pem = read(c)?;
            pem.push(b'\n');
            pem.extend(read(k)?);
            Some(pem)
        }
        _ => None,
    };
    let opts = ClientOptions {
        kms: a.kms.clone(),
        token,
        ca_pem: a.ca.as_ref().map(read).transpose()?,
        identity_pem,
        user: a.user.clone(),
        request_body: a.request_body,
    };
    let fetched = runtime()?.block_on(async { Client::new(opts)?.fetch(now).await })?;
    let (store, name) = open_state(&a.state)?;
    let existing = load_member(&store, &name, &a.state, now)?;
    let periods: Vec<u64> = fetched.key_sets.iter().map(|k| k.period_no).collect();
    let user = fetched.user_uri.clone();
    let member = fetched.into_member(existing, now)?;
    store
        .save_json(&name, MEMBER_KIND, STATE_VERSION, &member.state())
        .with_context(|| format!("writing {}", a.state.display()))?;
    for p in periods {
        println!("provisioned period {p} for {user} from {}", a.kms);
    }
    Ok(())
}
