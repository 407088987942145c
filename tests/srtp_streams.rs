//! The SSRC table and per-SSRC state under churn: removal and re-creation of streams, ROCs set
//! again from re-sent or stale offers, and the packet-length bound.
use std::sync::mpsc;
use std::time::Duration;

use prose_sec::srtp::{MasterKey, Policy, Profile, Session, MAX_PACKET_LEN};
use prose_sec::Error;

fn policy(profile: Profile) -> Policy {
    let key: Vec<u8> = (0..profile.key_len() as u8).map(|x| x ^ 0x3c).collect();
    let salt: Vec<u8> = (0..profile.salt_len() as u8).map(|x| x ^ 0xa5).collect();
    Policy::new(profile, MasterKey::new(&key, &salt).unwrap())
}

fn rtp(seq: u16, ssrc: u32, payload: usize) -> Vec<u8> {
    let mut p = vec![0x80, 0x60];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&0x1122_3344u32.to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend((0..payload).map(|i| i as u8));
    p
}

fn rtcp(ssrc: u32) -> Vec<u8> {
    let mut p = vec![0x80, 200, 0, 6];
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend([7u8; 20]);
    p
}

fn protect(s: &mut Session, plain: &[u8]) -> Result<Vec<u8>, Error> {
    let mut buf = plain.to_vec();
    buf.resize(plain.len() + s.max_overhead(), 0);
    let n = s.protect_rtp(&mut buf, plain.len())?;
    buf.truncate(n);
    Ok(buf)
}

fn protect_rtcp(s: &mut Session, plain: &[u8]) -> Result<Vec<u8>, Error> {
    let mut buf = plain.to_vec();
    buf.resize(plain.len() + s.max_overhead(), 0);
    let n = s.protect_rtcp(&mut buf, plain.len())?;
    buf.truncate(n);
    Ok(buf)
}

fn unprotect(s: &mut Session, pkt: &[u8]) -> Result<Vec<u8>, Error> {
    let mut buf = pkt.to_vec();
    let n = s.unprotect_rtp(&mut buf, pkt.len())?;
    buf.truncate(n);
    Ok(buf)
}

fn unprotect_rtcp(s: &mut Session, pkt: &[u8]) -> Result<Vec<u8>, Error> {
    let mut buf = pkt.to_vec();
    let n = s.unprotect_rtcp(&mut buf, pkt.len())?;
    buf.truncate(n);
    Ok(buf)
}

/// Ten thousand stream additions and removals, then a forged packet from an unknown SSRC: the
/// lookup must return (a typed error) instead of probing a full index forever.
#[test]
fn churn_then_unknown_ssrc_returns_promptly() {
    let (done, wait) = mpsc::channel();
    std::thread::spawn(move || {
        let mut s = Session::new(&policy(Profile::Aes128CmHmacSha1_80)).unwrap();
        for i in 0..31u32 {
            s.set_roc(1000 + i, 0).unwrap();
        }
        for round in 0..10_000u32 {
            let fresh = round % 16;
            s.set_roc(fresh, 0).unwrap();
            let victim = 1000 + round % 31;
            assert_eq!(s.remove_stream(victim), Ok(true));
            s.set_roc(victim, 0).unwrap();
            assert_eq!(s.remove_stream(fresh), Ok(true));
        }
        assert_eq!(s.stream_count(), 31);
        let mut forged = rtp(1, 0xdead_beef, 100);
        forged.extend([0u8; 10]);
        let n = forged.len();
        let r = s.unprotect_rtp(&mut forged, n);
        done.send(r).unwrap();
    });
    let r = wait
        .recv_timeout(Duration::from_secs(60))
        .expect("the lookup of an unknown SSRC hung");
    assert_eq!(r, Err(Error::AuthFailed));
}

#[test]
fn removed_sender_does_not_restart_its_indexes() {
    for profile in [Profile::Aes128CmHmacSha1_80, Profile::AeadAes128Gcm] {
        let mut tx = Session::new(&policy(profile)).unwrap();
        let mut rx = Session::new(&policy(profile)).unwrap();
        let mut sent = Vec::new();
        for seq in 1..=10u16 {
            sent.push(protect(&mut tx, &rtp(seq, 5, 50)).unwrap());
        }
        let c1 = protect_rtcp(&mut tx, &rtcp(5)).unwrap();
        let c2 = protect_rtcp(&mut tx, &rtcp(5)).unwrap();
        assert_eq!(tx.remove_stream(5), Ok(true));
        // The same index again would reuse keystream (and the GCM nonce).
        assert_eq!(
            protect(&mut tx, &rtp(3, 5, 50)),
            Err(Error::ReplayDuplicate)
        );
        let again = protect(&mut tx, &rtp(11, 5, 50)).unwrap();
        let c3 = protect_rtcp(&mut tx, &rtcp(5)).unwrap();
        let word = |c: &[u8]| {
            let at = if profile.is_aead() { 28 + 16 } else { 28 };
            u32::from_be_bytes(c[at..at + 4].try_into().unwrap()) & 0x7fff_ffff
        };
        assert_eq!((word(&c1), word(&c2), word(&c3)), (0, 1, 2), "{profile}");

        // Receiving: a removed SSRC does not reopen its old packets to replay.
        for p in &sent {
            unprotect(&mut rx, p).unwrap();
        }
        unprotect_rtcp(&mut rx, &c1).unwrap();
        assert_eq!(rx.remove_stream(5), Ok(true));
        assert_eq!(rx.stream_count(), 0);
        for p in &sent {
            assert_eq!(
                unprotect(&mut rx, p),
                Err(Error::ReplayDuplicate),
                "{profile}"
            );
        }
        assert_eq!(unprotect_rtcp(&mut rx, &c1), Err(Error::ReplayDuplicate));
        assert_eq!(rx.stream_count(), 0, "refusals change nothing");
        unprotect(&mut rx, &again).unwrap();
        unprotect_rtcp(&mut rx, &c2).unwrap();
        assert_eq!(rx.stream_count(), 1);
    }
}

#[test]
fn resent_offer_does_not_reopen_the_replay_window() {
    let p = policy(Profile::Aes128CmHmacSha1_80);
    let mut tx = Session::new(&p).unwrap();
    let mut rx = Session::new(&p).unwrap();
    rx.set_roc(9, 0).unwrap();
    let pkts: Vec<_> = (1..=5u16)
        .map(|s| protect(&mut tx, &rtp(s, 9, 30)).unwrap())
        .collect();
    for pk in &pkts {
        unprotect(&mut rx, pk).unwrap();
    }
    // The initiator re-sends the same offer for late entry; applying its ROC again is a no-op.
    rx.set_roc(9, 0).unwrap();
    assert_eq!(unprotect(&mut rx, &pkts[2]), Err(Error::ReplayDuplicate));
    assert_eq!(unprotect(&mut rx, &pkts[4]), Err(Error::ReplayDuplicate));
}

#[test]
fn stale_offer_after_rollover_does_not_break_the_stream() {
    let p = policy(Profile::Aes128CmHmacSha1_80);
    let mut tx = Session::new(&p).unwrap();
    let mut rx = Session::new(&p).unwrap();
    for seq in [65_530u16, 65_535, 0, 1] {
        let pk = protect(&mut tx, &rtp(seq, 9, 30)).unwrap();
        unprotect(&mut rx, &pk).unwrap();
    }
    assert_eq!(rx.roc(9), Some(1));
    // An older offer still carries ROC 0: refused, and the stream goes on.
    assert_eq!(rx.set_roc(9, 0), Err(Error::InvalidParameter));
    assert_eq!(rx.roc(9), Some(1));
    let pk = protect(&mut tx, &rtp(2, 9, 30)).unwrap();
    unprotect(&mut rx, &pk).unwrap();
    // A forward move still restarts the receiver at the new ROC.
    rx.set_roc(9, 4).unwrap();
    assert_eq!(rx.roc(9), Some(4));
    // A fresh stream takes any ROC.
    rx.set_roc(10, 7).unwrap();
    assert_eq!(rx.roc(10), Some(7));
}

#[test]
fn packets_longer_than_the_bound_are_refused() {
    for profile in [Profile::Aes128CmHmacSha1_80, Profile::AeadAes128Gcm] {
        let mut tx = Session::new(&policy(profile)).unwrap();
        let mut rx = Session::new(&policy(profile)).unwrap();
        let over = MAX_PACKET_LEN - 12 - tx.rtp_overhead() + 1;
        let plain = rtp(1, 3, over);
        assert_eq!(protect(&mut tx, &plain), Err(Error::InvalidParameter));
        let fits = protect(&mut tx, &rtp(2, 3, over - 1)).unwrap();
        assert_eq!(fits.len(), MAX_PACKET_LEN);
        unprotect(&mut rx, &fits).unwrap();
        let mut long = rtp(3, 3, 70_000);
        let n = long.len();
        assert_eq!(rx.unprotect_rtp(&mut long, n), Err(Error::InvalidParameter));
        let mut big_rtcp = rtcp(3);
        big_rtcp.resize(MAX_PACKET_LEN, 0);
        assert_eq!(
            protect_rtcp(&mut tx, &big_rtcp),
            Err(Error::InvalidParameter)
        );
        let n = big_rtcp.len() + 1;
        big_rtcp.resize(n, 0);
        assert_eq!(
            rx.unprotect_rtcp(&mut big_rtcp, n),
            Err(Error::InvalidParameter)
        );
        assert_eq!(rx.stream_count(), 1);
    }
}

/// Found by the `session_ops` fuzz target: a forward ROC move restarted the window, and a
/// packet of the previous epoch just below the new start was accepted again (receiving) or
/// protected again under the same index (sending).
#[test]
fn forward_roc_move_keeps_the_old_epoch_spent() {
    let p = policy(Profile::AeadAes256Gcm);
    let mut tx = Session::new(&p).unwrap();
    let mut rx = Session::new(&p).unwrap();
    let old = protect(&mut tx, &rtp(65_520, 1, 40)).unwrap();
    unprotect(&mut rx, &old).unwrap();
    rx.set_roc(1, 1).unwrap();
    tx.set_roc(1, 1).unwrap();
    let new = protect(&mut tx, &rtp(0, 1, 40)).unwrap();
    unprotect(&mut rx, &new).unwrap();
    assert_eq!(unprotect(&mut rx, &old), Err(Error::ReplayTooOld));
    assert_eq!(
        protect(&mut tx, &rtp(65_520, 1, 40)),
        Err(Error::ReplayTooOld),
        "index 65520 was sent before the move"
    );
    // Below the old highest index everything is spent; above it nothing was sent yet.
    assert_eq!(
        protect(&mut tx, &rtp(65_500, 1, 40)),
        Err(Error::ReplayTooOld)
    );
    protect(&mut tx, &rtp(65_530, 1, 40)).unwrap();
    // Removing and re-creating the stream keeps the floor.
    assert_eq!(rx.remove_stream(1), Ok(true));
    assert_eq!(unprotect(&mut rx, &old), Err(Error::ReplayTooOld));
    assert_eq!(unprotect(&mut rx, &new), Err(Error::ReplayDuplicate));
}
