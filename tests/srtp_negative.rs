//! Bad input: every error is typed, and a rejected packet changes nothing (the next valid
//! packet still passes, and a failed packet's bytes are left as they were).
use prose_sec::srtp::{MasterKey, Policy, Profile, Session};
use prose_sec::Error;

fn policy(profile: Profile, mki: Option<&[u8]>) -> Policy {
    let key: Vec<u8> = (0..profile.key_len() as u8).collect();
    let salt: Vec<u8> = (0..profile.salt_len() as u8).map(|x| x ^ 0xa5).collect();
    let mut mk = MasterKey::new(&key, &salt).unwrap();
    if let Some(m) = mki {
        mk = mk.with_mki(m).unwrap();
    }
    Policy::new(profile, mk)
}

fn rtp(seq: u16, ssrc: u32, payload: usize) -> Vec<u8> {
    let mut p = vec![0x80, 0x60];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&0x1122_3344u32.to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend((0..payload).map(|i| i as u8));
    p
}

fn rtcp(ssrc: u32, words: usize) -> Vec<u8> {
    let mut p = vec![0x80, 200];
    p.extend_from_slice(&((1 + words) as u16).to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend((0..words * 4).map(|i| i as u8));
    p
}

fn protect(s: &mut Session, plain: &[u8]) -> Vec<u8> {
    let mut buf = plain.to_vec();
    buf.resize(plain.len() + s.max_overhead(), 0);
    let n = s.protect_rtp(&mut buf, plain.len()).unwrap();
    buf.truncate(n);
    buf
}

fn protect_rtcp(s: &mut Session, plain: &[u8]) -> Vec<u8> {
    let mut buf = plain.to_vec();
    buf.resize(plain.len() + s.max_overhead(), 0);
    let n = s.protect_rtcp(&mut buf, plain.len()).unwrap();
    buf.truncate(n);
    buf
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

const MKI: &[u8] = &[0x0a, 0x0b, 0x0c];

#[test]
fn every_byte_tampered_fails_and_changes_nothing() {
    for profile in Profile::ALL {
        for mki in [None, Some(MKI)] {
            let pol = policy(profile, mki);
            let mut tx = Session::new(&pol).unwrap();
            let mut rx = Session::new(&pol).unwrap();
            let ssrc = 0x5555_0001;
            // A first packet starts the stream, so the window is live.
            let first = protect(&mut tx, &rtp(1000, ssrc, 40));
            unprotect(&mut rx, &first).unwrap();
            let plain = rtp(1001, ssrc, 57);
            let pkt = protect(&mut tx, &plain);
            let tag_len = profile.rtp_tag_len();
            let mki_len = mki.map_or(0, <[u8]>::len);
            let mki_at = if profile.is_aead() {
                pkt.len() - mki_len
            } else {
                pkt.len() - tag_len - mki_len
            };
            for i in 0..pkt.len() {
                for bit in [0x01u8, 0x80] {
                    let mut bad = pkt.clone();
                    bad[i] ^= bit;
                    let mut buf = bad.clone();
                    let e = rx.unprotect_rtp(&mut buf, bad.len()).unwrap_err();
                    assert_eq!(
                        buf, bad,
                        "{profile} byte {i}: a rejected packet is left as it was"
                    );
                    let expected: &[Error] = if (mki_at..mki_at + mki_len).contains(&i) {
                        &[Error::UnknownKey]
                    } else if i == 0 {
                        &[Error::Parse, Error::AuthFailed]
                    } else if i == 2 || i == 3 {
                        &[
                            Error::AuthFailed,
                            Error::ReplayTooOld,
                            Error::ReplayDuplicate,
                        ]
                    } else {
                        &[Error::AuthFailed]
                    };
                    assert!(
                        expected.contains(&e),
                        "{profile} mki {mki:?} byte {i} bit {bit:#x}: {e:?}"
                    );
                }
            }
            // State unchanged: the genuine packet still passes, once.
            assert_eq!(unprotect(&mut rx, &pkt).unwrap(), plain, "{profile}");
            assert_eq!(unprotect(&mut rx, &pkt), Err(Error::ReplayDuplicate));
            assert_eq!(rx.stream_count(), 1);
        }
    }
}

#[test]
fn every_byte_tampered_rtcp() {
    for profile in Profile::ALL {
        let pol = policy(profile, Some(MKI));
        let mut tx = Session::new(&pol).unwrap();
        let mut rx = Session::new(&pol).unwrap();
        let plain = rtcp(0x77, 6);
        let pkt = protect_rtcp(&mut tx, &plain);
        for i in 0..pkt.len() {
            let mut bad = pkt.clone();
            bad[i] ^= 0x04;
            let e = unprotect_rtcp(&mut rx, &bad).unwrap_err();
            assert!(
                matches!(
                    e,
                    Error::AuthFailed | Error::UnknownKey | Error::Parse | Error::Unsupported
                ),
                "{profile} byte {i}: {e:?}"
            );
        }
        assert_eq!(
            rx.stream_count(),
            0,
            "no stream for unauthenticated packets"
        );
        assert_eq!(unprotect_rtcp(&mut rx, &pkt).unwrap(), plain);
        assert_eq!(unprotect_rtcp(&mut rx, &pkt), Err(Error::ReplayDuplicate));
    }
}

#[test]
fn replays_duplicate_and_too_old() {
    for window in [64usize, 128, 1024, 4096] {
        let pol = policy(Profile::Aes128CmHmacSha1_80, None).with_replay_window(window);
        let mut tx = Session::new(&pol).unwrap();
        let mut rx = Session::new(&pol).unwrap();
        let pkts: Vec<Vec<u8>> = (0..window as u16 + 10)
            .map(|s| protect(&mut tx, &rtp(s, 9, 20)))
            .collect();
        // Deliver all but #5, out of order at the start.
        unprotect(&mut rx, &pkts[1]).unwrap();
        unprotect(&mut rx, &pkts[0]).unwrap();
        for p in &pkts[2..] {
            if p[3] != 5 || p[2] != 0 {
                unprotect(&mut rx, p).unwrap();
            }
        }
        assert_eq!(
            unprotect(&mut rx, &pkts[window]),
            Err(Error::ReplayDuplicate)
        );
        assert_eq!(
            unprotect(&mut rx, &pkts[0]),
            Err(Error::ReplayTooOld),
            "window {window}"
        );
        // The last `window` indices are inside the window: #10 still acceptable if missing.
        let top = window + 9;
        assert_eq!(
            unprotect(&mut rx, &pkts[top - window]),
            Err(Error::ReplayTooOld)
        );
        assert_eq!(
            unprotect(&mut rx, &pkts[top - window + 1]),
            Err(Error::ReplayDuplicate)
        );
    }
    // SRTCP replays.
    let pol = policy(Profile::AeadAes128Gcm, None);
    let mut tx = Session::new(&pol).unwrap();
    let mut rx = Session::new(&pol).unwrap();
    let pkts: Vec<Vec<u8>> = (0..300)
        .map(|_| protect_rtcp(&mut tx, &rtcp(3, 2)))
        .collect();
    unprotect_rtcp(&mut rx, &pkts[299]).unwrap();
    assert_eq!(
        unprotect_rtcp(&mut rx, &pkts[299]),
        Err(Error::ReplayDuplicate)
    );
    assert_eq!(unprotect_rtcp(&mut rx, &pkts[10]), Err(Error::ReplayTooOld));
    unprotect_rtcp(&mut rx, &pkts[200]).unwrap();
}

#[test]
fn sender_refuses_to_reuse_an_index() {
    let mut tx = Session::new(&policy(Profile::Aes128CmHmacSha1_80, None)).unwrap();
    protect(&mut tx, &rtp(500, 1, 10));
    let mut buf = rtp(500, 1, 10);
    buf.resize(100, 0);
    assert_eq!(tx.protect_rtp(&mut buf, 22), Err(Error::ReplayDuplicate));
    protect(&mut tx, &rtp(499, 1, 10)); // late but new: allowed
    for s in 501..800 {
        protect(&mut tx, &rtp(s, 1, 10));
    }
    let mut buf = rtp(400, 1, 10);
    buf.resize(100, 0);
    assert_eq!(tx.protect_rtp(&mut buf, 22), Err(Error::ReplayTooOld));
    // ROC cannot be moved backwards on a sender.
    assert_eq!(tx.set_roc(1, 0), Ok(()));
    assert_eq!(tx.roc(1), Some(0));
}

#[test]
fn truncated_and_malformed_packets() {
    for profile in [
        Profile::Aes128CmHmacSha1_80,
        Profile::AeadAes256Gcm,
        Profile::NullHmacSha1_32,
    ] {
        let pol = policy(profile, Some(MKI));
        let mut tx = Session::new(&pol).unwrap();
        let mut rx = Session::new(&pol).unwrap();
        let plain = rtp(7, 0xabc, 30);
        let pkt = protect(&mut tx, &plain);
        for n in 0..pkt.len() {
            let e = unprotect(&mut rx, &pkt[..n]).unwrap_err();
            assert!(
                matches!(e, Error::Parse | Error::AuthFailed | Error::UnknownKey),
                "{profile} len {n}: {e:?}"
            );
        }
        // len beyond the buffer
        let mut buf = pkt.clone();
        assert_eq!(
            rx.unprotect_rtp(&mut buf, pkt.len() + 1),
            Err(Error::InvalidParameter)
        );
        assert_eq!(unprotect(&mut rx, &pkt).unwrap(), plain);

        let rpkt = protect_rtcp(&mut tx, &rtcp(0xabc, 3));
        for n in 0..rpkt.len() {
            assert!(unprotect_rtcp(&mut rx, &rpkt[..n]).is_err());
        }
        unprotect_rtcp(&mut rx, &rpkt).unwrap();
    }

    let pol = policy(Profile::Aes128CmHmacSha1_80, None);
    let mut tx = Session::new(&pol).unwrap();
    let mut rx = Session::new(&pol).unwrap();
    // Bad version, on both sides.
    let mut v1 = rtp(1, 2, 10);
    v1[0] = 0x40;
    v1.resize(60, 0);
    assert_eq!(tx.protect_rtp(&mut v1, 22), Err(Error::Parse));
    assert_eq!(tx.protect_rtcp(&mut v1, 22), Err(Error::Parse));
    let mut good = protect(&mut tx, &rtp(1, 2, 10));
    good[0] = 0x40;
    assert_eq!(unprotect(&mut rx, &good), Err(Error::Parse));
    // CSRC count beyond the packet.
    let mut cc = rtp(2, 2, 8);
    cc[0] = 0x8f;
    cc.resize(80, 0);
    assert_eq!(tx.protect_rtp(&mut cc, 20), Err(Error::Parse));
    let mut ccp = protect(&mut tx, &rtp(2, 2, 8));
    ccp[0] = 0x8f;
    assert_eq!(unprotect(&mut rx, &ccp), Err(Error::Parse));
    // Header extension longer than the packet.
    let mut x = rtp(3, 2, 0);
    x[0] |= 0x10;
    x.extend_from_slice(&[0xbe, 0xde, 0x00, 0x09, 1, 2, 3, 4]);
    let xl = x.len();
    x.resize(200, 0);
    assert_eq!(tx.protect_rtp(&mut x, xl), Err(Error::Parse));
    // Extension header cut off.
    let mut x2 = rtp(3, 2, 0);
    x2[0] |= 0x10;
    x2.extend_from_slice(&[0xbe, 0xde]);
    let l2 = x2.len();
    x2.resize(200, 0);
    assert_eq!(tx.protect_rtp(&mut x2, l2), Err(Error::Parse));
    // No spare room.
    let mut tight = rtp(4, 2, 10);
    let tl = tight.len();
    assert_eq!(tx.protect_rtp(&mut tight, tl), Err(Error::BufferTooSmall));
    let mut tight = rtcp(2, 1);
    let tl = tight.len();
    assert_eq!(tx.protect_rtcp(&mut tight, tl), Err(Error::BufferTooSmall));
    // After all that, both sides still work.
    let plain = rtp(5, 2, 10);
    let p = protect(&mut tx, &plain);
    assert_eq!(unprotect(&mut rx, &p).unwrap(), plain);
}

#[test]
fn unknown_mki_and_key_management() {
    let prof = Profile::Aes128CmHmacSha1_80;
    let pol = policy(prof, Some(&[1, 1, 1, 1]));
    let mut tx = Session::new(&pol).unwrap();
    let mut rx = Session::new(&pol).unwrap();
    let k2 = MasterKey::new(&[9u8; 16], &[8u8; 14])
        .unwrap()
        .with_mki(&[2, 2, 2, 2])
        .unwrap();
    tx.add_key(k2.clone()).unwrap();
    tx.set_send_mki(&[2, 2, 2, 2]).unwrap();
    assert_eq!(tx.send_mki(), &[2, 2, 2, 2]);
    let plain = rtp(10, 3, 20);
    let p = protect(&mut tx, &plain);
    assert_eq!(unprotect(&mut rx, &p), Err(Error::UnknownKey));
    assert_eq!(rx.stream_count(), 0);
    rx.add_key(k2.clone()).unwrap();
    assert_eq!(unprotect(&mut rx, &p).unwrap(), plain);
    // Old key still accepted during the rekey, then removed.
    tx.set_send_mki(&[1, 1, 1, 1]).unwrap();
    let p_old = protect(&mut tx, &rtp(11, 3, 20));
    unprotect(&mut rx, &p_old).unwrap();
    rx.remove_key(&[1, 1, 1, 1]).unwrap_err(); // it is rx's sending key
    rx.set_send_mki(&[2, 2, 2, 2]).unwrap();
    rx.remove_key(&[1, 1, 1, 1]).unwrap();
    let p_old = protect(&mut tx, &rtp(12, 3, 20));
    assert_eq!(unprotect(&mut rx, &p_old), Err(Error::UnknownKey));
    // Errors of key management.
    assert_eq!(rx.remove_key(&[7, 7, 7, 7]), Err(Error::UnknownKey));
    assert_eq!(rx.set_send_mki(&[7, 7, 7, 7]), Err(Error::UnknownKey));
    assert_eq!(
        rx.add_key(k2.clone()),
        Err(Error::InvalidParameter),
        "duplicate MKI"
    );
    let short = MasterKey::new(&[9u8; 16], &[8u8; 14])
        .unwrap()
        .with_mki(&[3])
        .unwrap();
    assert_eq!(
        rx.add_key(short),
        Err(Error::InvalidParameter),
        "MKI length differs"
    );
    let wrong_len = MasterKey::new(&[9u8; 32], &[8u8; 14])
        .unwrap()
        .with_mki(&[3, 3, 3, 3])
        .unwrap();
    assert_eq!(rx.add_key(wrong_len), Err(Error::InvalidKey));
    assert!(MasterKey::new(&[0u8; 16], &[0u8; 14])
        .unwrap()
        .with_mki(&[1, 2, 3, 4, 5])
        .is_err());
    assert!(MasterKey::new(&[0u8; 15], &[0u8; 14]).is_err());
    // A session without MKI cannot take more keys.
    let mut plain_sess = Session::new(&policy(prof, None)).unwrap();
    assert_eq!(plain_sess.add_key(k2), Err(Error::InvalidParameter));
}

#[test]
fn stream_capacity() {
    let pol = policy(Profile::AeadAes128Gcm, None).with_max_streams(2);
    let mut tx = Session::new(&pol).unwrap();
    let mut rx = Session::new(&pol).unwrap();
    let a = protect(&mut tx, &rtp(1, 1, 10));
    let b = protect(&mut tx, &rtp(1, 2, 10));
    let mut c = rtp(1, 3, 10);
    c.resize(100, 0);
    assert_eq!(tx.protect_rtp(&mut c, 22), Err(Error::CapacityExceeded));
    let mut c = rtcp(3, 1);
    c.resize(100, 0);
    assert_eq!(tx.protect_rtcp(&mut c, 12), Err(Error::CapacityExceeded));
    assert_eq!(tx.set_roc(3, 1), Err(Error::CapacityExceeded));
    // The receiver: a third SSRC is refused without touching anything.
    let mut tx3 = Session::new(&pol).unwrap();
    let c3 = protect(&mut tx3, &rtp(1, 3, 10));
    unprotect(&mut rx, &a).unwrap();
    unprotect(&mut rx, &b).unwrap();
    let mut buf = c3.clone();
    assert_eq!(
        rx.unprotect_rtp(&mut buf, c3.len()),
        Err(Error::CapacityExceeded)
    );
    assert_eq!(buf, c3);
    assert_eq!(rx.remove_stream(1), Ok(true));
    unprotect(&mut rx, &c3).unwrap();
    assert_eq!(rx.stream_count(), 2);
}

#[test]
fn key_usage_limits() {
    let mut pol = policy(Profile::Aes128CmHmacSha1_80, Some(&[1]));
    pol.max_rtp_packets_per_key = 3;
    pol.max_rtcp_packets_per_key = 2;
    let pol = pol.with_key(
        MasterKey::new(&[5u8; 16], &[6u8; 14])
            .unwrap()
            .with_mki(&[2])
            .unwrap(),
    );
    let mut tx = Session::new(&pol).unwrap();
    let mut rx = Session::new(&pol).unwrap();
    // Streams of different SSRCs share the key's budget.
    let p: Vec<Vec<u8>> = (0..3)
        .map(|i| protect(&mut tx, &rtp(i, 100 + i as u32, 5)))
        .collect();
    let mut buf = rtp(3, 200, 5);
    buf.resize(100, 0);
    assert_eq!(tx.protect_rtp(&mut buf, 17), Err(Error::KeyExhausted));
    for q in &p {
        unprotect(&mut rx, q).unwrap();
    }
    // The receiver's budget for key 1 is spent too.
    let mut tx_b = Session::new(&pol).unwrap();
    let extra = protect(&mut tx_b, &rtp(9, 300, 5));
    assert_eq!(unprotect(&mut rx, &extra), Err(Error::KeyExhausted));
    // Rekey: the second key has its own budget.
    tx.set_send_mki(&[2]).unwrap();
    let q = protect(&mut tx, &rtp(3, 200, 5));
    unprotect(&mut rx, &q).unwrap();
    // SRTCP.
    protect_rtcp(&mut tx, &rtcp(1, 1));
    protect_rtcp(&mut tx, &rtcp(2, 1));
    let mut buf = rtcp(3, 1);
    buf.resize(100, 0);
    assert_eq!(tx.protect_rtcp(&mut buf, 12), Err(Error::KeyExhausted));
    // A per-stream SRTCP index at 2^31 - 1 is the last one.
    let mut tx2 = Session::new(&policy(Profile::Aes128CmHmacSha1_80, None)).unwrap();
    tx2.set_srtcp_index(5, 0x7fff_ffff).unwrap();
    protect_rtcp(&mut tx2, &rtcp(5, 1));
    let mut buf = rtcp(5, 1);
    buf.resize(100, 0);
    assert_eq!(tx2.protect_rtcp(&mut buf, 12), Err(Error::KeyExhausted));
    assert_eq!(tx2.set_srtcp_index(5, 3), Err(Error::InvalidParameter));
    // Limits above the RFC's are refused.
    let mut bad = policy(Profile::Aes128CmHmacSha1_80, None);
    bad.max_rtp_packets_per_key = (1 << 48) + 1;
    assert_eq!(Session::new(&bad).unwrap_err(), Error::InvalidParameter);
}

#[test]
fn policy_validation_and_redaction() {
    let p = policy(Profile::Aes128CmHmacSha1_80, None);
    assert_eq!(
        Session::new(&p.clone().with_replay_window(63)).unwrap_err(),
        Error::InvalidParameter
    );
    assert_eq!(
        Session::new(&p.clone().with_replay_window(4097)).unwrap_err(),
        Error::InvalidParameter
    );
    assert_eq!(
        Session::new(&p.clone().with_max_streams(0)).unwrap_err(),
        Error::InvalidParameter
    );
    // Two keys without MKI cannot be told apart.
    let two = p
        .clone()
        .with_key(MasterKey::new(&[1u8; 16], &[1u8; 14]).unwrap());
    assert_eq!(Session::new(&two).unwrap_err(), Error::InvalidParameter);
    // Key length must match the profile.
    let k = MasterKey::new(&[1u8; 16], &[1u8; 14]).unwrap();
    assert_eq!(
        Session::new(&Policy::new(Profile::AeadAes256Gcm, k)).unwrap_err(),
        Error::InvalidKey
    );
    // Debug never shows key bytes.
    let k = MasterKey::new(&[0xabu8; 16], &[0xcdu8; 14]).unwrap();
    let d = format!(
        "{k:?} {:?}",
        Policy::new(Profile::Aes128CmHmacSha1_80, k.clone())
    );
    assert!(
        !d.to_lowercase().contains("ab, ") && !d.contains("171") && !d.contains("205"),
        "{d}"
    );
    let s = Session::new(&Policy::new(Profile::Aes128CmHmacSha1_80, k.clone())).unwrap();
    let d = format!("{s:?}");
    assert!(!d.contains("171") && !d.contains("205"), "{d}");
    // Nor any derived session key or salt byte sequence.
    for label in [
        prose_sec::srtp::kdf::Label::RtpSalt,
        prose_sec::srtp::kdf::Label::RtcpSalt,
        prose_sec::srtp::kdf::Label::RtpEncryption,
    ] {
        let mut out = [0u8; 14];
        prose_sec::srtp::kdf::derive(k.key(), k.salt(), label, &mut out).unwrap();
        let as_debug = format!("{:?}", &out[..4]);
        let inner = as_debug.trim_matches(|c| c == '[' || c == ']');
        assert!(!d.contains(inner), "{label:?} visible in {d}");
    }
}

#[test]
fn roc_rollover_and_set_roc() {
    let pol = policy(Profile::Aes128CmHmacSha1_32, None);
    let mut tx = Session::new(&pol).unwrap();
    let mut rx = Session::new(&pol).unwrap();
    let ssrc = 0x10;
    let mut seq = 65000u16;
    let mut pkts = Vec::new();
    for _ in 0..1000 {
        pkts.push(protect(&mut tx, &rtp(seq, ssrc, 12)));
        seq = seq.wrapping_add(1);
    }
    assert_eq!(tx.roc(ssrc), Some(1));
    // Reordered around the wrap: a few from before it arrive after it.
    let wrap = 65536 - 65000;
    for p in &pkts[..wrap - 20] {
        unprotect(&mut rx, p).unwrap();
    }
    for i in (wrap - 20..wrap + 20).rev() {
        unprotect(&mut rx, &pkts[i]).unwrap();
    }
    assert_eq!(rx.roc(ssrc), Some(1));
    for p in &pkts[wrap + 20..] {
        unprotect(&mut rx, p).unwrap();
    }
    // A late joiner with the right ROC decrypts; with ROC 0 it fails to authenticate.
    let next = protect(&mut tx, &rtp(seq, ssrc, 12));
    let mut late = Session::new(&pol).unwrap();
    assert_eq!(unprotect(&mut late, &next), Err(Error::AuthFailed));
    late.set_roc(ssrc, 1).unwrap();
    unprotect(&mut late, &next).unwrap();
    assert_eq!(late.roc(ssrc), Some(1));
    assert_eq!(late.roc(0x999), None);
}

#[test]
fn index_space_exhausted_at_2_pow_48() {
    // The 48-bit SRTP index of one stream ends at ROC 2^32 - 1, sequence 65535.
    let pol = policy(Profile::Aes128CmHmacSha1_80, None);
    let mut tx = Session::new(&pol).unwrap();
    let mut rx = Session::new(&pol).unwrap();
    tx.set_roc(8, u32::MAX).unwrap();
    rx.set_roc(8, u32::MAX).unwrap();
    let last = protect(&mut tx, &rtp(65535, 8, 4));
    unprotect(&mut rx, &last).unwrap();
    let mut next = rtp(0, 8, 4);
    next.resize(100, 0);
    assert_eq!(tx.protect_rtp(&mut next, 16), Err(Error::KeyExhausted));
    assert_eq!(tx.roc(8), Some(u32::MAX));
}
