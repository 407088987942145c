//! `prose-sec demo`: the whole story on loopback sockets (see `prose_sec_net::scenario`), with
//! progress bars on a terminal, a table at the end, `--json` and `--pcap`.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use anyhow::{bail, Context};
use prose_sec::kms::IdFormat;
use prose_sec::srtp::Profile;
use prose_sec_net::scenario::{self, Impair, Mode, Options, Progress};

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
    let report = rt.block_on(scenario::run(&opts, &bars))?;
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
