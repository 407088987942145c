//! The session methods the libsrtp2-ABI library needs: repeated sending (`allow_repeat_tx`)
//! and the per-key usage counters.

use prose_sec::srtp::{MasterKey, Policy, Profile, Session};
use prose_sec::Error;

fn rtp(seq: u16, ssrc: u32, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![0x80, 0x60];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&1234u32.to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend_from_slice(payload);
    p.resize(p.len() + 64, 0);
    p
}

fn session(profile: Profile, mki: Option<&[u8]>) -> Session {
    let mut k = MasterKey::new(
        &vec![7u8; profile.key_len()],
        &vec![9u8; profile.salt_len()],
    )
    .expect("key");
    if let Some(m) = mki {
        k = k.with_mki(m).expect("mki");
    }
    Session::new(&Policy::new(profile, k)).expect("session")
}

#[test]
fn repeat_tx_is_refused_by_default_and_allowed_when_set() {
    for profile in [Profile::Aes128CmHmacSha1_80, Profile::AeadAes128Gcm] {
        let mut s = session(profile, None);
        assert!(!s.allow_repeat_tx());
        let payload = [0x55u8; 40];
        let mut a = rtp(10, 0x1111, &payload);
        let n = s.protect_rtp(&mut a, 52).unwrap();
        let mut b = rtp(10, 0x1111, &payload);
        assert_eq!(s.protect_rtp(&mut b, 52), Err(Error::ReplayDuplicate));

        s.set_allow_repeat_tx(true);
        assert!(s.allow_repeat_tx());
        let mut c = rtp(10, 0x1111, &payload);
        assert_eq!(s.protect_rtp(&mut c, 52), Ok(n));
        // Same index, same payload: the retransmission is the same packet.
        assert_eq!(a[..n], c[..n]);
        // Indexes older than the window stay refused.
        let mut d = rtp(500, 0x1111, &payload);
        s.protect_rtp(&mut d, 52).unwrap();
        let mut e = rtp(10, 0x1111, &payload);
        assert_eq!(s.protect_rtp(&mut e, 52), Err(Error::ReplayTooOld));

        s.set_allow_repeat_tx(false);
        let mut f = rtp(500, 0x1111, &payload);
        assert_eq!(s.protect_rtp(&mut f, 52), Err(Error::ReplayDuplicate));

        // A receiver still takes the first copy only.
        let mut r = session(profile, None);
        assert_eq!(r.unprotect_rtp(&mut a, n), Ok(52));
        assert_eq!(r.unprotect_rtp(&mut c, n), Err(Error::ReplayDuplicate));
    }
}

#[test]
fn key_packets_counts_per_key_and_direction() {
    let mut s = session(Profile::Aes128CmHmacSha1_80, Some(&[1]));
    s.add_key(
        MasterKey::new(&[3u8; 16], &[4u8; 14])
            .unwrap()
            .with_mki(&[2])
            .unwrap(),
    )
    .unwrap();
    assert_eq!(s.key_packets(&[1]), Some((0, 0)));
    assert_eq!(s.key_packets(&[2]), Some((0, 0)));
    assert_eq!(s.key_packets(&[3]), None);
    assert_eq!(s.key_packets(&[]), None);
    for seq in 0..5u16 {
        let mut p = rtp(seq, 7, &[0u8; 20]);
        s.protect_rtp(&mut p, 32).unwrap();
    }
    s.set_send_mki(&[2]).unwrap();
    let mut p = rtp(5, 7, &[0u8; 20]);
    s.protect_rtp(&mut p, 32).unwrap();
    let mut rtcp = vec![0x80, 200, 0, 1, 0, 0, 0, 7];
    rtcp.resize(64, 0);
    s.protect_rtcp(&mut rtcp, 8).unwrap();
    assert_eq!(s.key_packets(&[1]), Some((5, 0)));
    assert_eq!(s.key_packets(&[2]), Some((1, 1)));
    // A refused packet counts nothing.
    let mut again = rtp(5, 7, &[0u8; 20]);
    assert!(s.protect_rtp(&mut again, 32).is_err());
    assert_eq!(s.key_packets(&[2]), Some((1, 1)));

    let mut plain = session(Profile::AeadAes256Gcm, None);
    let mut p = rtp(1, 9, &[1u8; 10]);
    let n = plain.protect_rtp(&mut p, 22).unwrap();
    assert_eq!(plain.key_packets(&[]), Some((1, 0)));
    let mut rx = session(Profile::AeadAes256Gcm, None);
    rx.unprotect_rtp(&mut p, n).unwrap();
    assert_eq!(rx.key_packets(&[]), Some((1, 0)));
}

#[test]
fn ssrcs_lists_the_live_streams() {
    let mut s = session(Profile::Aes128CmHmacSha1_80, None);
    assert_eq!(s.ssrcs().count(), 0);
    for ssrc in [5u32, 9, 0xffff_fffe] {
        let mut p = rtp(1, ssrc, &[0u8; 8]);
        s.protect_rtp(&mut p, 20).unwrap();
    }
    let mut got: Vec<u32> = s.ssrcs().collect();
    got.sort_unstable();
    assert_eq!(got, vec![5, 9, 0xffff_fffe]);
    assert_eq!(s.remove_stream(9), Ok(true));
    let mut got: Vec<u32> = s.ssrcs().collect();
    got.sort_unstable();
    assert_eq!(got, vec![5, 0xffff_fffe]);
    assert_eq!(got.len(), s.stream_count());
}
