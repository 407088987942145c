//! `prose-sec demo`: the whole story on loopback sockets (see `prose_sec_net::scenario`), with
//! progress bars on a terminal, a table at the end, `--json` and `--pcap`.

use std::collections::{BTreeMap, HashMap};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use prose_sec::group::member::Member;
use prose_sec::kms::IdFormat;
use prose_sec::srtp::Profile;
use prose_sec_kms_server::client::{Client, ClientOptions, Fetched};
use prose_sec_kms_server::local::{LocalOptions, LocalService};
use prose_sec_net::scenario::{self, Impair, Mode, Options, Phase, Progress, World};

/// Which call modes to run.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum ModeArg {
    /// Network-independent: offer and media by IP multicast on loopback.
    Independent,
    /// Network-connected: INVITE to the group controller, media relayed by it.
    Connected,
    /// Both, the independent call first.
    Both,
}

/// The identifier format of the KMS.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum ProfileArg {
    /// RFC 6509 monthly identifiers, MIKEY-1 PRF.
    Prose,
    /// TS 33.180 UIDs and key periods.
    Mcptt,
}

#[derive(clap::Args)]
pub struct DemoArgs {
    /// Group members (the first one initiates the calls).
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u64).range(3..=5000))]
    members: u64,
    /// Call modes.
    #[arg(long, value_enum, default_value_t = ModeArg::Both)]
    mode: ModeArg,
    /// Length of each call (e.g. `4s`, `1500ms`).
    #[arg(long, default_value = "4s", value_parser = humantime::parse_duration)]
    duration: Duration,
    /// Identifier profile.
    #[arg(long, value_enum, default_value_t = ProfileArg::Prose)]
    profile: ProfileArg,
    /// SRTP protection profile, by name (e.g. AES_CM_128_HMAC_SHA1_80, AEAD_AES_128_GCM).
    #[arg(long, default_value = "AES_CM_128_HMAC_SHA1_80")]
    srtp_profile: String,
    /// A WAV file to send (any rate and channel count; converted to 8 kHz mono).
    #[arg(long, value_name = "FILE.wav")]
    audio: Option<PathBuf>,
    /// Impairment of the media path, e.g. `loss=5%,reorder=2%,dup=1%`.
    #[arg(long)]
    impair: Option<Impair>,
    /// Write every datagram of the run to this pcap file.
    #[arg(long, value_name = "FILE")]
    pcap: Option<PathBuf>,
    /// Directory where each member writes the WAV of what it decrypted.
    #[arg(long, value_name = "DIR")]
    wav_dir: Option<PathBuf>,
    /// Seconds between re-sent offers (late entry).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=60))]
    resend: u64,
    /// Print the report as JSON instead of the table.
    #[arg(long)]
    json: bool,
    /// Provision the members through a KMS service over HTTPS (TS 33.180 Annex D) instead of
    /// an in-process KMS: alone, a service started on 127.0.0.1 for the run (SQLite in a
    /// temporary directory, a self-signed CA); with `https://host:port`, that service (give
    /// --kms-tokens and --kms-ca).
    #[arg(long, value_name = "URL", num_args = 0..=1, default_missing_value = "local")]
    kms_service: Option<String>,
    /// With `--kms-service URL`: a file of `URI TOKEN` lines, an access token for every
    /// member (`sip:unit-<i>@example.org`), the outsider and the Group Manager.
    #[arg(long, value_name = "FILE", requires = "kms_service")]
    kms_tokens: Option<PathBuf>,
    /// With `--kms-service URL`: the CA certificates (PEM) trusted for it (default: the
    /// system's).
    #[arg(long, value_name = "FILE", requires = "kms_service")]
    kms_ca: Option<PathBuf>,
}

/// indicatif bars on a terminal, plain lines otherwise.
struct Bars {
    tty: bool,
    bar: Mutex<Option<indicatif::ProgressBar>>,
}

impl Progress for Bars {
    fn start(&self, phase: &str, total: u64) {
        if !self.tty {
            eprintln!("{phase} ...");
            return;
        }
        let b = indicatif::ProgressBar::new(total);
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{msg:32} [{bar:40}] {pos}/{len}")
        {
            b.set_style(style.progress_chars("=> "));
        }
        b.set_message(phase.to_owned());
        if let Ok(mut g) = self.bar.lock() {
            *g = Some(b);
        }
    }
    fn set(&self, done: u64) {
        if let Ok(g) = self.bar.lock() {
            if let Some(b) = g.as_ref() {
                b.set_position(done);
            }
        }
    }
    fn finish(&self) {
        if let Ok(mut g) = self.bar.lock() {
            if let Some(b) = g.take() {
                b.finish_and_clear();
            }
        }
    }
}

fn srtp_profile(name: &str) -> anyhow::Result<Profile> {
    let all = Profile::ALL;
    all.iter()
        .copied()
        .find(|p| p.name().eq_ignore_ascii_case(name))
        .with_context(|| {
            let names: Vec<&str> = all.iter().map(|p| p.name()).collect();
            format!(
                "--srtp-profile {name}: expected one of {}",
                names.join(", ")
            )
        })
}

pub fn run(a: DemoArgs) -> anyhow::Result<()> {
    let audio = match &a.audio {
        Some(p) => Some(prose_sec_net::media::read_wav(p)?),
        None => None,
    };
    if let Some(d) = &a.wav_dir {
        std::fs::create_dir_all(d).with_context(|| format!("--wav-dir {}", d.display()))?;
    }
    if a.duration < Duration::from_millis(500) || a.duration > Duration::from_secs(600) {
        bail!("--duration: between 500ms and 10min");
    }
    let opts = Options {
        members: a.members as usize,
        mode: match a.mode {
            ModeArg::Independent => Mode::Independent,
            ModeArg::Connected => Mode::Connected,
            ModeArg::Both => Mode::Both,
        },
        duration: a.duration,
        format: match a.profile {
            ProfileArg::Prose => IdFormat::Prose,
            ProfileArg::Mcptt => IdFormat::Mcptt {
                period_secs: 30 * 86_400,
                offset_secs: 0,
            },
        },
        srtp: srtp_profile(&a.srtp_profile)?,
        audio,
        impair: a.impair,
        pcap: a.pcap.clone(),
        wav_dir: a.wav_dir.clone(),
        resend_secs: a.resend,
        attacks: true,
    };
    let bars = Bars {
        tty: std::io::stderr().is_terminal() && !a.json,
        bar: Mutex::new(None),
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let report = rt.block_on(async {
        match &a.kms_service {
            None => scenario::run(&opts, &bars).await,
            Some(svc) => {
                let via =
                    Service::open(svc, a.kms_tokens.as_deref(), a.kms_ca.as_deref(), &opts).await?;
                let (world, phase, checks) = via.provision(&opts, &bars).await?;
                let mut r = scenario::run_with(&opts, &bars, Some((world, phase))).await;
                if let Ok(r) = &mut r {
                    r.checks.kms_service = checks;
                }
                via.stop().await;
                r
            }
        }
    })?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.table());
        if let Some(p) = &a.pcap {
            println!("capture: {}", p.display());
        }
    }
    Ok(())
}

/// Where the members' key sets come from with `--kms-service`.
enum Service {
    /// A service started for the run.
    Local(LocalService),
    /// An external one: its URL, the trust anchors, a token per identity.
    External {
        url: String,
        ca_pem: Option<Vec<u8>>,
        tokens: HashMap<String, String>,
    },
}

/// Concurrent provisioning clients.
const CLIENTS: usize = 16;

impl Service {
    async fn open(
        svc: &str,
        tokens: Option<&Path>,
        ca: Option<&Path>,
        opts: &Options,
    ) -> anyhow::Result<Service> {
        if svc == "local" {
            if tokens.is_some() || ca.is_some() {
                bail!("--kms-tokens and --kms-ca go with --kms-service https://…");
            }
            let mut users: Vec<String> = (0..opts.members).map(scenario::member_uri).collect();
            users.push(scenario::OUTSIDER.into());
            users.push(scenario::MANAGER.into());
            let s = LocalService::start(&LocalOptions {
                kms_uri: String::from_utf8_lossy(scenario::KMS_URI).into_owned(),
                format: opts.format.clone(),
                users,
                groups: vec![(scenario::GROUP.into(), scenario::MANAGER.into())],
                listen: "127.0.0.1:0".into(),
            })
            .await
            .context("starting the KMS service")?;
            return Ok(Service::Local(s));
        }
        if !svc.starts_with("https://") {
            bail!(
                "--kms-service {svc}: expected https://host[:port] (or no value: a local service)"
            );
        }
        let tokens = tokens.context("--kms-service URL needs --kms-tokens FILE")?;
        let text = std::fs::read_to_string(tokens)
            .with_context(|| format!("--kms-tokens {}", tokens.display()))?;
        let mut map = HashMap::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((uri, token)) = line.split_once(char::is_whitespace) else {
                bail!(
                    "--kms-tokens {} line {}: expected `URI TOKEN`",
                    tokens.display(),
                    i + 1
                );
            };
            map.insert(uri.to_owned(), token.trim().to_owned());
        }
        let ca_pem = match ca {
            Some(p) => Some(std::fs::read(p).with_context(|| format!("--kms-ca {}", p.display()))?),
            None => None,
        };
        Ok(Service::External {
            url: svc.trim_end_matches('/').to_owned(),
            ca_pem,
            tokens: map,
        })
    }

    fn url(&self) -> String {
        match self {
            Service::Local(s) => s.base_url(),
            Service::External { url, .. } => url.clone(),
        }
    }

    /// Client options for `who` fetching `user`'s key sets (its own when `None`).
    fn client(&self, who: &str, user: Option<&str>) -> anyhow::Result<ClientOptions> {
        match self {
            Service::Local(s) => s.client_options(who, user),
            Service::External {
                url,
                ca_pem,
                tokens,
            } => Ok(ClientOptions {
                kms: url.clone(),
                token: Some(
                    tokens
                        .get(who)
                        .with_context(|| format!("--kms-tokens has no token for {who}"))?
                        .clone(),
                ),
                ca_pem: ca_pem.clone(),
                identity_pem: None,
                user: user.map(str::to_owned),
                request_body: false,
            }),
        }
    }

    /// Every member, the outsider and the Group Manager (the group's key set) fetch their keys
    /// over HTTPS; each member validates its key sets.
    async fn provision(
        &self,
        opts: &Options,
        progress: &dyn Progress,
    ) -> anyhow::Result<(World, Phase, BTreeMap<String, u64>)> {
        let now = prose_sec_net::node::ntp_now(0);
        let n = opts.members;
        let mut uris: Vec<String> = (0..n).map(scenario::member_uri).collect();
        uris.push(scenario::OUTSIDER.into());
        progress.start("KMS service provisioning", uris.len() as u64 + 1);
        let t0 = Instant::now();
        let gm = Client::new(self.client(scenario::MANAGER, Some(scenario::GROUP))?)?
            .fetch(now)
            .await
            .context("the Group Manager fetching the group's key set")?;
        let cert = scenario::shared_certificate(gm.certificate.clone())?;
        let cur = cert
            .periods
            .period_no(now)
            .map_err(|e| anyhow::anyhow!("the clock: {}", e.as_str()))?;
        let Fetched { key_sets, .. } = gm;
        let group_keys = key_sets
            .into_iter()
            .find(|k| k.period_no == cur)
            .context("no group key set for the current period")?;
        let sem = Arc::new(tokio::sync::Semaphore::new(CLIENTS));
        let mut set = tokio::task::JoinSet::new();
        for (i, uri) in uris.iter().enumerate() {
            let o = self.client(uri, None)?;
            let sem = sem.clone();
            let uri = uri.clone();
            let cert = cert.clone();
            set.spawn(async move {
                let _permit = sem.acquire_owned().await?;
                let fetched = Client::new(o)?
                    .fetch(now)
                    .await
                    .with_context(|| format!("{uri} fetching its key sets"))?;
                if fetched.user_uri != uri {
                    bail!("{uri} was served the key sets of {}", fetched.user_uri);
                }
                let m = tokio::task::spawn_blocking(move || {
                    fetched.into_member(Some(scenario::new_member(uri.as_bytes(), cert)), now)
                })
                .await??;
                anyhow::Ok((i, m))
            });
        }
        let mut members: Vec<Option<Member>> = (0..uris.len()).map(|_| None).collect();
        let mut done = 1;
        while let Some(r) = set.join_next().await {
            let (i, m) = r??;
            members[i] = Some(m);
            done += 1;
            progress.set(done);
        }
        progress.finish();
        let wall = t0.elapsed();
        let mut members: Vec<Member> = members
            .into_iter()
            .map(|m| m.context("a member"))
            .collect::<anyhow::Result<_>>()?;
        let outsider = members.pop().context("the outsider")?;
        let identities = uris.len() as u64 + 1;
        let mut checks = BTreeMap::new();
        checks.insert("identities".into(), identities);
        checks.insert("requests".into(), identities * 3);
        if let Service::Local(s) = self {
            let issued = s.app.db.issued(None).await?;
            let audit = s.app.db.audit_log().await?;
            checks.insert("issuance_records".into(), issued.len() as u64);
            checks.insert(
                "audit_keyprov_ok".into(),
                audit
                    .iter()
                    .filter(|a| a.action == "keyprov" && a.outcome == "ok")
                    .count() as u64,
            );
            checks.insert(
                "audit_init_ok".into(),
                audit
                    .iter()
                    .filter(|a| a.action == "init" && a.outcome == "ok")
                    .count() as u64,
            );
            checks.insert(
                "audit_refused".into(),
                audit.iter().filter(|a| a.outcome != "ok").count() as u64,
            );
            let matching = members
                .iter()
                .chain([&outsider])
                .filter(|m| {
                    let Some(k) = m.keys(cur) else { return false };
                    let uri = String::from_utf8_lossy(m.uri());
                    let pvt = hex_lower(&k.key_set.pvt);
                    issued
                        .iter()
                        .any(|r| r.uri == uri && r.period_no == cur && r.pvt == pvt)
                })
                .count();
            checks.insert("members_matching_issuance".into(), matching as u64);
        }
        let world = World::from_provisioned(cert, group_keys, members, outsider, now)?;
        let phase = Phase {
            name: format!("KMS service provisioning (HTTPS, {identities} identities)"),
            sent: identities * 3,
            accepted: identities,
            wall_ms: wall.as_secs_f64() * 1e3,
            per_member_us: wall.as_secs_f64() * 1e6 / n as f64,
            ..Phase::default()
        };
        eprintln!("provisioned {identities} identities from {}", self.url());
        Ok((world, phase, checks))
    }

    async fn stop(self) {
        if let Service::Local(s) = self {
            s.stop().await;
        }
    }
}

fn hex_lower(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
