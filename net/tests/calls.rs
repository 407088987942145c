//! The story over loopback sockets: both modes end to end with the audio compared sample for
//! sample, the late joiner, the rekey without loss, the revoked GMK, the outsider, forged,
//! replayed and tampered input refused and counted, an impaired run, and the pcap read by
//! tshark.
use std::time::Duration;

use prose_sec::kms::IdFormat;
use prose_sec_net::scenario::{run, Impair, Mode, Options, Quiet, Report};

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn go(opts: Options) -> Report {
    rt().block_on(async {
        tokio::time::timeout(Duration::from_secs(120), run(&opts, &Quiet))
            .await
            .expect("the run takes less than 2 minutes")
            .expect("the run completes")
    })
}

fn refused(r: &Report, phase: &str, reason: &str) -> u64 {
    r.phases
        .iter()
        .filter(|p| p.name.starts_with(phase))
        .map(|p| p.refused.get(reason).copied().unwrap_or(0))
        .sum()
}

#[test]
fn both_modes_with_every_phase() {
    let n = 6;
    let r = go(Options {
        members: n,
        duration: Duration::from_secs(3),
        ..Options::default()
    });
    let c = &r.checks;
    // GMK to every member with confirmations, then again at the rekey.
    assert_eq!(c.confirmations, 2 * n as u64);
    // Audio sample for sample: every receiver of each mode (the late joiner apart).
    assert_eq!(c.audio_checked["independent"], n - 2);
    assert_eq!(c.audio_exact["independent"], n - 2, "{}", r.table());
    assert_eq!(c.audio_checked["connected"], n - 1);
    assert_eq!(c.audio_exact["connected"], n - 1, "{}", r.table());
    assert_eq!(c.frames_missing["independent"], 0);
    assert_eq!(c.frames_wrong["independent"], 0);
    // The late joiner decrypts after a re-sent offer, and only right frames.
    assert!(c.late_joiner_started);
    assert!(c.late_joiner_frames > 20, "{}", c.late_joiner_frames);
    assert_eq!(c.frames_wrong["late joiner"], 0);
    // The rekey: every receiver added the new GSK, no frame lost (checked above).
    assert!(c.rekeyed_members >= n - 1, "{}", c.rekeyed_members);
    // Revoked GMK, forged and replayed offers refused by every group member (and the outsider).
    assert_eq!(
        refused(&r, "offer under the revoked", "unknown key"),
        n as u64 + 1
    );
    assert_eq!(refused(&r, "forged offer", "invalid signature"), n as u64);
    assert_eq!(refused(&r, "replayed offer", "message not fresh"), n as u64);
    // Tampered packets refused by each receiver that had a session.
    assert!(refused(&r, "independent: SRTP", "authentication failed") >= 4 * (n as u64 - 1));
    // The outsider gets nothing.
    assert_eq!(c.outsider_accepted, 0);
    assert!(c.outsider_refused > 100);
    // The controller: the offer's SDP byte for byte to every member, 200 OKs, ciphertext only.
    assert!(c.controller_sdp_identical);
    assert_eq!(c.controller_oks, n as u64 - 1);
    assert!(!c.controller_saw_plaintext);
    // RTCP both ways.
    assert!(c.rtcp["sr_sent_connected"] >= 1);
    assert!(c.rtcp["rr_accepted_connected"] >= 1, "{:?}", c.rtcp);
}

#[test]
fn impaired_run_completes_and_counts_the_effects() {
    let r = go(Options {
        members: 4,
        mode: Mode::Both,
        duration: Duration::from_secs(3),
        impair: Some("loss=5%,reorder=2%,dup=3%".parse().unwrap()),
        attacks: false,
        ..Options::default()
    });
    let c = &r.checks;
    let dropped = c.impaired.get("dropped").copied().unwrap_or(0);
    let dup = c.impaired.get("duplicated").copied().unwrap_or(0);
    assert!(dropped > 0 && dup > 0, "{:?}", c.impaired);
    // What was dropped is missing and nothing else; duplicates hit the replay window.
    assert!(c.frames_missing["connected"] > 0);
    assert_eq!(c.frames_wrong["connected"], 0);
    assert_eq!(c.frames_wrong["independent"], 0);
    assert!(
        refused(&r, "connected: SRTP", "replayed packet (duplicate index)") > 0,
        "{}",
        r.table()
    );
    assert!(Impair::default() == "".parse().unwrap());
    assert!("loss=101%".parse::<Impair>().is_err());
}

#[test]
fn mcptt_profile_and_gcm() {
    let r = go(Options {
        members: 3,
        mode: Mode::Connected,
        duration: Duration::from_secs(1),
        format: IdFormat::Mcptt {
            period_secs: 30 * 86_400,
            offset_secs: 0,
        },
        srtp: prose_sec::srtp::Profile::AeadAes128Gcm,
        ..Options::default()
    });
    assert_eq!(r.checks.audio_exact["connected"], 2, "{}", r.table());
}

#[test]
fn pcap_is_read_by_tshark() {
    if std::process::Command::new("tshark")
        .arg("-v")
        .output()
        .is_err()
    {
        eprintln!("tshark is not installed (scripts/test-net.sh installs it)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let pcap = dir.path().join("run.pcap");
    let r = go(Options {
        members: 3,
        duration: Duration::from_secs(2),
        pcap: Some(pcap.clone()),
        attacks: false,
        ..Options::default()
    });
    let tshark = |args: &[&str]| {
        let out = std::process::Command::new("tshark")
            .arg("-r")
            .arg(&pcap)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let count = tshark(&[]).lines().count() as u64;
    assert_eq!(count, r.datagrams);
    let sip = tshark(&[
        "-Y",
        "sip",
        "-T",
        "fields",
        "-e",
        "sip.Method",
        "-e",
        "sip.Status-Code",
    ]);
    for m in ["MESSAGE", "INVITE", "ACK", "BYE", "100", "200"] {
        assert!(sip.contains(m), "no {m} in\n{sip}");
    }
    // MIKEY decoded in the GMK MESSAGEs and in the SDP of the offers.
    let mikey = tshark(&["-Y", "mikey", "-T", "fields", "-e", "mikey.type"]);
    assert!(mikey.lines().count() >= 3, "{mikey}");
    let v = tshark(&["-Y", "sdp.key_mgmt.kmpid == \"mikey\"", "-V"]);
    assert!(
        v.contains("Multimedia Internet KEYing: Pre-shared"),
        "no MIKEY in SDP"
    );
    assert!(v.contains("PRF func: MIKEY-1"), "no MIKEY HDR fields");
    let g = tshark(&["-Y", "sip.Method == \"MESSAGE\" && mikey", "-V"]);
    assert!(g.contains("SAKKE"), "no SAKKE payload in the GMK MESSAGEs");
    // RTP streams by SSRC (the heuristic finds them on every port).
    let rtp = tshark(&[
        "-o",
        "rtp.heuristic_rtp:TRUE",
        "-Y",
        "rtp",
        "-T",
        "fields",
        "-e",
        "rtp.ssrc",
    ]);
    let ssrcs: std::collections::BTreeSet<&str> = rtp.lines().collect();
    assert!(ssrcs.len() >= 2, "{ssrcs:?}");
}
