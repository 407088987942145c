//! Interop with the system libsrtp2, both directions: every profile libsrtp supports, payloads
//! 0..=1400, with and without MKI (and a rekey between two MKIs), across the ROC rollover
//! (sequence 65535 -> 0), several SSRCs, SRTP and SRTCP.
#[path = "srtp_common/libsrtp.rs"]
mod libsrtp;

use libsrtp::{LibSrtp, PeerKeys, MAX_TRAILER};
use prose_sec::srtp::{MasterKey, Policy, Profile, Session};

fn key_material(profile: Profile, seed: u8) -> (Vec<u8>, Vec<u8>) {
    let key: Vec<u8> = (0..profile.key_len())
        .map(|i| (i as u8).wrapping_mul(7) ^ seed)
        .collect();
    let salt: Vec<u8> = (0..profile.salt_len())
        .map(|i| (i as u8).wrapping_mul(13) ^ seed ^ 0x5a)
        .collect();
    (key, salt)
}

/// Our policy and the peer's key list for the same keys; `mkis` empty means no MKI.
fn setup(profile: Profile, mkis: &[&[u8]]) -> (Policy, PeerKeys) {
    let n = mkis.len().max(1);
    let mut ours: Option<Policy> = None;
    let mut peer = Vec::new();
    for i in 0..n {
        let (k, s) = key_material(profile, 0x10 * i as u8 + 1);
        let mut mk = MasterKey::new(&k, &s).unwrap();
        let mki = mkis.get(i).map(|m| m.to_vec()).unwrap_or_default();
        if !mki.is_empty() {
            mk = mk.with_mki(&mki).unwrap();
        }
        ours = Some(match ours {
            None => Policy::new(profile, mk),
            Some(p) => p.with_key(mk),
        });
        let mut ks = k.clone();
        ks.extend_from_slice(&s);
        peer.push((ks, mki));
    }
    (ours.unwrap(), peer)
}

fn rtp_packet(seq: u16, ssrc: u32, payload_len: usize, variant: usize) -> Vec<u8> {
    let mut p = Vec::new();
    let cc = (variant % 3) as u8; // 0..2 CSRCs
    let ext = variant % 2 == 1;
    p.push(0x80 | cc | if ext { 0x10 } else { 0 });
    p.push(0x60 | ((variant as u8) & 1) << 7);
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&(seq as u32).wrapping_mul(160).to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    for c in 0..cc {
        p.extend_from_slice(&(0xc5c0_0000 | c as u32).to_be_bytes());
    }
    if ext {
        p.extend_from_slice(&[0xbe, 0xde, 0x00, 0x01, 0x10, 0xaa, 0x00, 0x00]);
    }
    p.extend((0..payload_len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seq as u8)));
    p
}

fn rtcp_packet(ssrc: u32, body_len: usize, n: u32) -> Vec<u8> {
    // A sender report header followed by opaque words (length field consistent).
    let words = body_len.div_ceil(4);
    let mut p = vec![0x80, 200];
    p.extend_from_slice(&((1 + words) as u16).to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend((0..words * 4).map(|i| (i as u8) ^ (n as u8)));
    p
}

fn profiles() -> Vec<Profile> {
    Profile::ALL.to_vec()
}

const SIZES: &[usize] = &[
    0, 1, 15, 16, 17, 20, 100, 160, 333, 480, 777, 1024, 1200, 1399, 1400,
];

fn rtp_both_directions(profile: Profile, mkis: &[&[u8]], send_key: usize) {
    let (policy, peer_keys) = setup(profile, mkis);
    let use_mki = !mkis.is_empty();
    let mki_index = use_mki.then_some(send_key as u32);

    // ours -> libsrtp
    let mut ours_tx = Session::new(&policy).unwrap();
    if use_mki {
        ours_tx.set_send_mki(mkis[send_key]).unwrap();
    }
    let mut peer_rx = LibSrtp::new(profile, &peer_keys, false, 128);
    // libsrtp -> ours
    let mut peer_tx = LibSrtp::new(profile, &peer_keys, true, 128);
    let mut ours_rx = Session::new(&policy).unwrap();

    let ssrcs = [0x1234_5678u32, 0xdead_beef, 7];
    // Start near the wrap so every stream crosses 65535 -> 0.
    let mut seq: u16 = 65535 - (SIZES.len() as u16) / 2;
    for (v, &size) in SIZES.iter().enumerate() {
        for (k, &ssrc) in ssrcs.iter().enumerate() {
            let plain = rtp_packet(seq, ssrc, size, v + k);
            let mut buf = plain.clone();
            buf.resize(plain.len() + MAX_TRAILER, 0);
            let n = ours_tx.protect_rtp(&mut buf, plain.len()).unwrap();
            assert_eq!(n, plain.len() + ours_tx.rtp_overhead());
            let m = peer_rx.unprotect(&mut buf, n, use_mki).unwrap_or_else(|e| {
                panic!("{profile} size {size} seq {seq}: libsrtp unprotect error {e}")
            });
            assert_eq!(
                &buf[..m],
                &plain[..],
                "{profile} size {size}: ours -> libsrtp"
            );

            let mut buf = plain.clone();
            buf.resize(plain.len() + MAX_TRAILER, 0);
            let n = peer_tx.protect(&mut buf, plain.len(), mki_index).unwrap();
            assert_eq!(
                n,
                plain.len() + ours_tx.rtp_overhead(),
                "{profile}: same overhead"
            );
            let m = ours_rx.unprotect_rtp(&mut buf, n).unwrap_or_else(|e| {
                panic!("{profile} size {size} seq {seq}: our unprotect: {e:?}")
            });
            assert_eq!(
                &buf[..m],
                &plain[..],
                "{profile} size {size}: libsrtp -> ours"
            );
        }
        seq = seq.wrapping_add(1);
    }
    for ssrc in ssrcs {
        assert_eq!(ours_rx.roc(ssrc), Some(1), "{profile}: ROC after the wrap");
    }
    assert_eq!(ours_rx.stream_count(), ssrcs.len());
}

fn rtcp_both_directions(profile: Profile, mkis: &[&[u8]], send_key: usize) {
    let (policy, peer_keys) = setup(profile, mkis);
    let use_mki = !mkis.is_empty();
    let mki_index = use_mki.then_some(send_key as u32);
    let mut ours_tx = Session::new(&policy).unwrap();
    if use_mki {
        ours_tx.set_send_mki(mkis[send_key]).unwrap();
    }
    let mut peer_rx = LibSrtp::new(profile, &peer_keys, false, 128);
    let mut peer_tx = LibSrtp::new(profile, &peer_keys, true, 128);
    let mut ours_rx = Session::new(&policy).unwrap();
    // libsrtp 2.5 looks for the SRTCP MKI using the *SRTP* tag length, so with a `_32` profile
    // and an MKI it cannot read even its own SRTCP packets. Detect that here (libsrtp against
    // itself) and then check only the direction it can do: libsrtp -> ours.
    let peer_reads_rtcp_mki = {
        let mut t = LibSrtp::new(profile, &peer_keys, true, 128);
        let mut r = LibSrtp::new(profile, &peer_keys, false, 128);
        let plain = rtcp_packet(5, 8, 0);
        let mut buf = plain.clone();
        buf.resize(plain.len() + MAX_TRAILER, 0);
        let n = t.protect_rtcp(&mut buf, plain.len(), mki_index).unwrap();
        r.unprotect_rtcp(&mut buf, n, use_mki).is_ok()
    };
    if !peer_reads_rtcp_mki {
        assert!(
            use_mki && profile.rtp_tag_len() != profile.rtcp_tag_len(),
            "{profile}"
        );
    }
    for (i, &size) in SIZES.iter().enumerate() {
        for ssrc in [0x0bad_cafe_u32, 99] {
            let plain = rtcp_packet(ssrc, size, i as u32);
            let mut buf = plain.clone();
            buf.resize(plain.len() + MAX_TRAILER, 0);
            let n = ours_tx.protect_rtcp(&mut buf, plain.len()).unwrap();
            assert_eq!(n, plain.len() + ours_tx.rtcp_overhead());
            if peer_reads_rtcp_mki {
                let m = peer_rx
                    .unprotect_rtcp(&mut buf, n, use_mki)
                    .unwrap_or_else(|e| panic!("{profile} rtcp size {size}: libsrtp error {e}"));
                assert_eq!(&buf[..m], &plain[..], "{profile} rtcp ours -> libsrtp");
            }

            let mut buf = plain.clone();
            buf.resize(plain.len() + MAX_TRAILER, 0);
            let n = peer_tx
                .protect_rtcp(&mut buf, plain.len(), mki_index)
                .unwrap();
            assert_eq!(n, plain.len() + ours_tx.rtcp_overhead());
            let m = ours_rx
                .unprotect_rtcp(&mut buf, n)
                .unwrap_or_else(|e| panic!("{profile} rtcp size {size}: our unprotect: {e:?}"));
            assert_eq!(&buf[..m], &plain[..], "{profile} rtcp libsrtp -> ours");
        }
    }
}

#[test]
fn srtp_interop_no_mki() {
    for p in profiles() {
        rtp_both_directions(p, &[], 0);
    }
}

#[test]
fn srtp_interop_mki() {
    for p in profiles() {
        rtp_both_directions(p, &[&[0xa1, 0xb2, 0xc3, 0xd4]], 0);
        // Two keys, sending with the second: the receiver must select by MKI.
        rtp_both_directions(p, &[&[1], &[2]], 1);
    }
}

#[test]
fn srtcp_interop_no_mki() {
    for p in profiles() {
        rtcp_both_directions(p, &[], 0);
    }
}

#[test]
fn srtcp_interop_mki() {
    for p in profiles() {
        rtcp_both_directions(p, &[&[0xa1, 0xb2, 0xc3, 0xd4]], 0);
        rtcp_both_directions(p, &[&[0x01, 0x02], &[0x03, 0x04]], 1);
    }
}

#[test]
fn late_joiner_roc_matches_libsrtp() {
    // A libsrtp sender already at ROC 5; our receiver learns the ROC out of band.
    let p = Profile::Aes128CmHmacSha1_80;
    let (policy, peer_keys) = setup(p, &[]);
    let mut peer_tx = LibSrtp::new(p, &peer_keys, true, 128);
    let ssrc = 0x4242_4242;
    // Prime the peer's stream, then move its ROC.
    let plain = rtp_packet(1, ssrc, 20, 0);
    let mut buf = plain.clone();
    buf.resize(plain.len() + MAX_TRAILER, 0);
    peer_tx.protect(&mut buf, plain.len(), None).unwrap();
    peer_tx.set_roc(ssrc, 5).unwrap();
    let mut ours_rx = Session::new(&policy).unwrap();
    ours_rx.set_roc(ssrc, 5).unwrap();
    for seq in [100u16, 101, 103, 102] {
        let plain = rtp_packet(seq, ssrc, 160, 0);
        let mut buf = plain.clone();
        buf.resize(plain.len() + MAX_TRAILER, 0);
        let n = peer_tx.protect(&mut buf, plain.len(), None).unwrap();
        let m = ours_rx
            .unprotect_rtp(&mut buf, n)
            .expect("late joiner with the right ROC");
        assert_eq!(&buf[..m], &plain[..]);
    }
    assert_eq!(ours_rx.roc(ssrc), Some(5));
    // Without the ROC, the same packet does not authenticate.
    let mut cold = Session::new(&policy).unwrap();
    let plain = rtp_packet(104, ssrc, 160, 0);
    let mut buf = plain.clone();
    buf.resize(plain.len() + MAX_TRAILER, 0);
    let n = peer_tx.protect(&mut buf, plain.len(), None).unwrap();
    assert_eq!(
        cold.unprotect_rtp(&mut buf, n),
        Err(prose_sec::Error::AuthFailed)
    );
}
