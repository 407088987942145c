//! `prose-sec kms init|issue|export` and `prose-sec member import`: the roles' state files.
//!
//! A state file is a file of a [`prose_sec_store::Store`]: its directory is the store
//! (created `0700`, locked while in use), the file name is the state's name, and every file is
//! `0600`, written atomically and checked on load. Documents that carry private keys (the key
//! provisioning documents `kms issue` writes) are written the same way: `0600`, atomically.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use prose_sec::group::member::{Member, MemberState};
use prose_sec::kms::provision::{
    self, KmsCertificateDoc, KmsInit, KmsKeyProv, KmsKeySetDoc, KmsMessage, KmsResponse,
    ResponseBody,
};
use prose_sec::kms::{IdFormat, KeyPeriods, Kms, KmsState, STATE_VERSION};
use prose_sec::mikey::{PskPolicy, NTP_UNIX_OFFSET};
use prose_sec_store::Store;
use rand_core::OsRng;

/// Store kind of the KMS state.
pub const KMS_KIND: &str = "prose.kms";
/// Store kind of a member's state.
pub const MEMBER_KIND: &str = "prose.member";

/// The identifier format of a KMS.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Format {
    /// RFC 6509: `"YYYY-MM\0URI\0"`, calendar months.
    Prose,
    /// TS 33.180: UIDs, periods of `--period` seconds from `--offset`.
    Mcptt,
}

#[derive(clap::Args)]
pub struct KmsInitArgs {
    /// The KMS state file to create (its directory becomes a private store).
    #[arg(long, value_name = "FILE")]
    state: PathBuf,
    /// The KMS URI.
    #[arg(long, default_value = "kms.example.org")]
    uri: String,
    /// The identifier format.
    #[arg(long, value_enum, default_value_t = Format::Prose)]
    format: Format,
    /// UserKeyPeriod in seconds (mcptt format).
    #[arg(long, default_value_t = 2_592_000)]
    period: u64,
    /// UserKeyOffset in seconds (mcptt format).
    #[arg(long, default_value_t = 0)]
    offset: u64,
}

#[derive(clap::Args)]
pub struct KmsIssueArgs {
    /// The KMS state file.
    #[arg(long, value_name = "FILE")]
    state: PathBuf,
    /// The identity (user or group URI) to issue for.
    #[arg(long)]
    user: String,
    /// The time whose key period to issue for: `now`, an RFC 3339 date
    /// (`2024-01-01T00:00:00Z`) or NTP seconds.
    #[arg(long, default_value = "now")]
    at: String,
    /// Also issue the next period's key set.
    #[arg(long)]
    next: bool,
    /// Where to write the KMS key-provisioning document (written 0600, atomically).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

#[derive(clap::Args)]
pub struct KmsExportArgs {
    /// The KMS state file.
    #[arg(long, value_name = "FILE")]
    state: PathBuf,
    /// The user the KmsInit document is addressed to.
    #[arg(long, default_value = "")]
    user: String,
    /// Where to write the KMS certificate document; standard output when absent.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

#[derive(clap::Args)]
pub struct MemberImportArgs {
    /// The member state file (created when absent).
    #[arg(long, value_name = "FILE")]
    state: PathBuf,
    /// The KMS certificate document (a KmsInit or KmsCertCache response); needed when the
    /// state file is created.
    #[arg(long, value_name = "FILE")]
    cert: Option<PathBuf>,
    /// A key-provisioning document (KmsKeyProv) for the member.
    #[arg(long, value_name = "FILE")]
    keys: PathBuf,
    /// The time against which keys are checked: `now`, RFC 3339 or NTP seconds.
    #[arg(long, default_value = "now")]
    at: String,
    /// Groups (URIs) the member joins: it accepts GMKs and calls of these only.
    #[arg(long = "join", value_name = "GROUP")]
    groups: Vec<String>,
}

/// NTP seconds of `text`: `now`, an RFC 3339 date, or a number of NTP seconds.
pub fn parse_time(text: &str) -> anyhow::Result<u64> {
    let unix = if text == "now" {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .context("the system clock is before 1970")?
            .as_secs()
    } else if let Ok(n) = text.parse::<u64>() {
        return Ok(n);
    } else {
        humantime::parse_rfc3339_weak(text)
            .with_context(|| format!("`{text}` is not `now`, an RFC 3339 date or NTP seconds"))?
            .duration_since(std::time::UNIX_EPOCH)
            .with_context(|| format!("`{text}` is before 1970"))?
            .as_secs()
    };
    Ok(unix + NTP_UNIX_OFFSET)
}

/// The store holding `file` and the state's name in it.
pub fn open_state(file: &Path) -> anyhow::Result<(Store, String)> {
    let name = file
        .file_name()
        .and_then(|n| n.to_str())
        .with_context(|| format!("{} does not name a state file", file.display()))?
        .to_owned();
    let dir = match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let store =
        Store::open(&dir).with_context(|| format!("opening the store {}", dir.display()))?;
    Ok((store, name))
}

fn load_kms(file: &Path) -> anyhow::Result<Kms> {
    let (store, name) = open_state(file)?;
    let state = store
        .load_json::<KmsState>(&name, KMS_KIND, STATE_VERSION)
        .with_context(|| format!("reading {}", file.display()))?
        .with_context(|| {
            format!(
                "{} does not exist (run `prose-sec kms init`)",
                file.display()
            )
        })?;
    Kms::from_state(&state.value)
        .with_context(|| format!("checking the KMS state in {}", file.display()))
}

/// Loads the member state `name` of `store` (the file `file`) at `now`.
pub fn load_member(
    store: &Store,
    name: &str,
    file: &Path,
    now: u64,
) -> anyhow::Result<Option<Member>> {
    let Some(state) = store
        .load_json::<MemberState>(name, MEMBER_KIND, STATE_VERSION)
        .with_context(|| format!("reading {}", file.display()))?
    else {
        return Ok(None);
    };
    let m = Member::from_state(&state.value, now)
        .with_context(|| format!("checking the member state in {}", file.display()))?;
    Ok(Some(m))
}

/// Writes `bytes` to `path` as a private file: created `0600` beside the target, synced,
/// renamed over it, and the directory synced, so a crash leaves the old file or the new one.
pub fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .with_context(|| format!("{} does not name a file", path.display()))?;
    let tmp = dir.join(format!(
        ".tmp-{}-{}",
        std::process::id(),
        name.to_string_lossy()
    ));
    let result = (|| -> std::io::Result<()> {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        std::fs::File::open(&dir)?.sync_all()
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("writing {}", path.display()));
    }
    Ok(())
}

fn response(kms: &Kms, user: &str, now: u64, path: &str, body: KmsMessage) -> KmsResponse {
    let kms_uri = String::from_utf8_lossy(kms.periods().kms_uri()).into_owned();
    KmsResponse {
        user_uri: user.to_owned(),
        client_req_url: format!("https://{kms_uri}/keymanagement/identity/v1/{path}"),
        kms_uri,
        time: now,
        kms_id: None,
        body: ResponseBody::Message(body),
    }
}

pub fn kms_init(a: KmsInitArgs) -> anyhow::Result<()> {
    let (store, name) = open_state(&a.state)?;
    if store
        .load(&name, KMS_KIND, STATE_VERSION)
        .with_context(|| format!("checking {}", a.state.display()))?
        .is_some()
    {
        bail!(
            "{} already holds a KMS; refusing to replace its master secrets",
            a.state.display()
        );
    }
    let format = match a.format {
        Format::Prose => IdFormat::Prose,
        Format::Mcptt => IdFormat::Mcptt {
            period_secs: a.period,
            offset_secs: a.offset,
        },
    };
    let periods = KeyPeriods::new(a.uri.as_bytes(), format).context("the KMS URI or key period")?;
    let kms = Kms::generate(periods, &mut OsRng).context("generating the KMS master secrets")?;
    store
        .save_json(&name, KMS_KIND, STATE_VERSION, &kms.state())
        .with_context(|| format!("writing {}", a.state.display()))?;
    println!("KMS {} created in {}", a.uri, a.state.display());
    Ok(())
}

pub fn kms_issue(a: KmsIssueArgs) -> anyhow::Result<()> {
    let kms = load_kms(&a.state)?;
    let now = parse_time(&a.at)?;
    let no = kms.periods().period_no(now).context("the time given")?;
    let mut sets = vec![kms
        .issue(a.user.as_bytes(), no, &mut OsRng)
        .context("issuing")?];
    if a.next {
        sets.push(
            kms.issue(a.user.as_bytes(), no + 1, &mut OsRng)
                .context("issuing the next period")?,
        );
    }
    let docs = sets
        .iter()
        .map(|ks| KmsKeySetDoc::from_key_set(kms.periods().kms_uri(), ks))
        .collect::<prose_sec::Result<Vec<_>>>()
        .context("writing the key sets")?;
    let doc = response(
        &kms,
        &a.user,
        now,
        "keyprov",
        KmsMessage::KeyProv(KmsKeyProv { key_sets: docs }),
    );
    let xml = doc.to_xml().context("writing the document")?;
    write_private(&a.out, &xml)?;
    for ks in &sets {
        println!(
            "issued {} period {} ({} .. {}) -> {}",
            a.user,
            ks.period_no,
            prose_sec::mikey::ntp_secs_to_utc(ks.valid_from),
            prose_sec::mikey::ntp_secs_to_utc(ks.valid_to),
            a.out.display()
        );
    }
    Ok(())
}

pub fn kms_export(a: KmsExportArgs) -> anyhow::Result<()> {
    let kms = load_kms(&a.state)?;
    let now = parse_time("now")?;
    let cert =
        KmsCertificateDoc::from_certificate(&kms.certificate()).context("the certificate")?;
    let doc = response(
        &kms,
        &a.user,
        now,
        "init",
        KmsMessage::Init(KmsInit {
            certificate: Box::new(cert),
        }),
    );
    let xml = doc.to_xml().context("writing the document")?;
    match a.out {
        Some(path) => {
            std::fs::write(&path, &xml[..]).with_context(|| format!("writing {}", path.display()))
        }
        None => {
            std::io::stdout()
                .write_all(&xml)
                .context("writing to standard output")?;
            Ok(())
        }
    }
}

fn read_doc(path: &Path) -> anyhow::Result<KmsResponse> {
    let bytes = zeroize::Zeroizing::new(
        std::fs::read(path).with_context(|| format!("reading {}", path.display()))?,
    );
    let doc = provision::parse(&bytes).with_context(|| format!("parsing {}", path.display()))?;
    if let ResponseBody::Error(e) = &doc.body {
        bail!("{} is a KmsError {}: {}", path.display(), e.code, e.message);
    }
    Ok(doc)
}

pub fn member_import(a: MemberImportArgs) -> anyhow::Result<()> {
    let now = parse_time(&a.at)?;
    let keys = read_doc(&a.keys)?;
    let (store, name) = open_state(&a.state)?;
    let mut member = match load_member(&store, &name, &a.state, now)? {
        Some(m) => m,
        None => {
            let cert_path = a
                .cert
                .as_ref()
                .context("the state file is new: give the KMS certificate with --cert")?;
            let cert_doc = read_doc(cert_path)?;
            let cert = cert_doc
                .certificate()
                .with_context(|| format!("{} holds no KMS certificate", cert_path.display()))?
                .to_certificate()
                .with_context(|| format!("checking the certificate in {}", cert_path.display()))?;
            Member::new(keys.user_uri.as_bytes(), cert, PskPolicy::default())
        }
    };
    if keys.user_uri.as_bytes() != member.uri() {
        bail!(
            "{} is for {}, the state file for {}",
            a.keys.display(),
            keys.user_uri,
            String::from_utf8_lossy(member.uri())
        );
    }
    let periods = member.certificate().periods.clone();
    if keys.key_sets().is_empty() {
        bail!("{} holds no key sets", a.keys.display());
    }
    for doc in keys.key_sets() {
        let ks = doc
            .to_key_set(&periods)
            .with_context(|| format!("reading key period {}", doc.key_period_no))?;
        let no = ks.period_no;
        member
            .add_key_set(ks, now)
            .with_context(|| format!("checking the keys of period {no}"))?;
        println!("imported period {no} for {}", keys.user_uri);
    }
    for g in &a.groups {
        member.join(g.as_bytes());
    }
    store
        .save_json(&name, MEMBER_KIND, STATE_VERSION, &member.state())
        .with_context(|| format!("writing {}", a.state.display()))?;
    Ok(())
}
