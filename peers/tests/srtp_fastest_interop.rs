//! The fastest SRTP peers (feature `fastest`) interoperate with prose-sec, both directions, for
//! AES_CM_128_HMAC_SHA1_80 and AEAD_AES_128_GCM: our packets are accepted by the peer and give
//! back the plaintext, the peer's packets are accepted by us, and both sides make the same
//! octets (SRTP is deterministic), across the ROC rollover (sequence 65535 -> 0). A flipped
//! octet is refused by the peer. So the benchmarks compare like with like.
use prose_sec::srtp::{MasterKey, Policy, Profile, Session};
use prose_sec_peers::libsrtp::{Build, LibSrtp, MAX_TRAILER};
use prose_sec_peers::str0m::{Str0mProfile, Str0mSrtp};
use webrtc_srtp::context::Context as WebrtcContext;
use webrtc_srtp::option::srtp_replay_protection;
use webrtc_srtp::protection_profile::ProtectionProfile;

const SSRC: u32 = 0x0bad_cafe;
const HLEN: usize = 12;
const PROFILES: [Profile; 2] = [Profile::Aes128CmHmacSha1_80, Profile::AeadAes128Gcm];
/// Payload sizes, cycled through.
const SIZES: [usize; 8] = [0, 1, 15, 16, 20, 160, 1017, 1200];
/// Packets per direction and peer: sequence numbers from 65500, through the rollover.
const PACKETS: u64 = 100;
const FIRST_SEQ: u64 = 65_500;

fn keys(p: Profile, seed: u8) -> ([u8; 16], Vec<u8>) {
    let mut key = [0u8; 16];
    for (i, k) in key.iter_mut().enumerate() {
        *k = (i as u8).wrapping_mul(29) ^ seed;
    }
    let salt = (0..p.salt_len() as u8)
        .map(|x| x.wrapping_mul(13) ^ seed ^ 0x5a)
        .collect();
    (key, salt)
}

fn ours(p: Profile, key: &[u8; 16], salt: &[u8]) -> Session {
    Session::new(&Policy::new(p, MasterKey::new(key, salt).unwrap())).unwrap()
}

fn rtp(seq: u16, payload: usize) -> Vec<u8> {
    let mut v = vec![0x80, 0x60];
    v.extend_from_slice(&seq.to_be_bytes());
    v.extend_from_slice(&(u32::from(seq) * 160).to_be_bytes());
    v.extend_from_slice(&SSRC.to_be_bytes());
    v.extend((0..payload).map(|i| (i as u8) ^ (seq as u8)));
    v
}

/// The packets of one direction: (plain, index).
fn packets() -> impl Iterator<Item = (Vec<u8>, u64)> {
    (0..PACKETS).map(|i| {
        let idx = FIRST_SEQ + i;
        (rtp(idx as u16, SIZES[i as usize % SIZES.len()]), idx)
    })
}

/// A peer under test: protect (plain -> SRTP) and unprotect (SRTP -> plain or None).
trait Peer {
    fn protect(&mut self, plain: &[u8], idx: u64) -> Vec<u8>;
    fn unprotect(&mut self, srtp: &[u8], idx: u64) -> Option<Vec<u8>>;
}

struct Lib(LibSrtp);
impl Peer for Lib {
    fn protect(&mut self, plain: &[u8], _: u64) -> Vec<u8> {
        let mut b = plain.to_vec();
        b.resize(plain.len() + MAX_TRAILER, 0);
        let n = self.0.protect(&mut b, plain.len(), None).unwrap();
        b.truncate(n);
        b
    }
    fn unprotect(&mut self, srtp: &[u8], _: u64) -> Option<Vec<u8>> {
        let mut b = srtp.to_vec();
        let n = self.0.unprotect(&mut b, srtp.len(), false).ok()?;
        b.truncate(n);
        Some(b)
    }
}

struct Web(WebrtcContext);
impl Peer for Web {
    fn protect(&mut self, plain: &[u8], _: u64) -> Vec<u8> {
        self.0.encrypt_rtp(plain).unwrap().to_vec()
    }
    fn unprotect(&mut self, srtp: &[u8], _: u64) -> Option<Vec<u8>> {
        self.0.decrypt_rtp(srtp).ok().map(|b| b.to_vec())
    }
}

struct S0(Str0mSrtp);
impl Peer for S0 {
    fn protect(&mut self, plain: &[u8], idx: u64) -> Vec<u8> {
        self.0.protect_rtp(plain, HLEN, SSRC, idx as u16, idx)
    }
    fn unprotect(&mut self, srtp: &[u8], idx: u64) -> Option<Vec<u8>> {
        let body = self.0.unprotect_rtp(srtp, HLEN, SSRC, idx as u16, idx)?;
        let mut v = srtp[..HLEN].to_vec();
        v.extend_from_slice(body);
        Some(v)
    }
}

/// One peer against us: `tx_peer` protects, `rx_peer` unprotects; the packets start near the
/// end of ROC 0 and cross into ROC 1.
fn check(p: Profile, seed: u8, mut tx_peer: impl Peer, mut rx_peer: impl Peer) {
    let (key, salt) = keys(p, seed);
    // ours -> peer, and the same octets from both
    let mut tx = ours(p, &key, &salt);
    let mut reference = ours(p, &key, &salt);
    for (plain, idx) in packets() {
        let mut b = plain.clone();
        b.resize(plain.len() + 64, 0);
        let n = tx.protect_rtp(&mut b, plain.len()).unwrap();
        let srtp = b[..n].to_vec();
        let mut bad = srtp.clone();
        let last = bad.len() - 1;
        bad[last] ^= 0x20;
        assert_eq!(
            rx_peer.unprotect(&bad, idx),
            None,
            "{p}: peer took a tampered packet"
        );
        let back = rx_peer.unprotect(&srtp, idx);
        assert_eq!(
            back.as_deref(),
            Some(&plain[..]),
            "{p}: peer unprotect at {idx}"
        );
        let theirs = tx_peer.protect(&plain, idx);
        assert_eq!(
            theirs, srtp,
            "{p}: peer's SRTP octets differ at index {idx}"
        );
        // peer -> ours
        let mut b = theirs.clone();
        let n = reference.unprotect_rtp(&mut b, theirs.len()).unwrap();
        assert_eq!(
            &b[..n],
            &plain[..],
            "{p}: our unprotect of the peer's packet at {idx}"
        );
    }
}

fn webrtc(p: Profile, seed: u8) -> Web {
    let (key, salt) = keys(p, seed);
    let profile = match p {
        Profile::Aes128CmHmacSha1_80 => ProtectionProfile::Aes128CmHmacSha1_80,
        _ => ProtectionProfile::AeadAes128Gcm,
    };
    Web(WebrtcContext::new(&key, &salt, profile, Some(srtp_replay_protection(64)), None).unwrap())
}

fn str0m(p: Profile, seed: u8) -> S0 {
    let (key, salt) = keys(p, seed);
    let profile = match p {
        Profile::Aes128CmHmacSha1_80 => Str0mProfile::Aes128CmSha1_80,
        _ => Str0mProfile::AeadAes128Gcm,
    };
    S0(Str0mSrtp::new(profile, &key, &salt))
}

fn libsrtp(build: Build, p: Profile, seed: u8, outbound: bool) -> Lib {
    let (key, salt) = keys(p, seed);
    let mut ks = key.to_vec();
    ks.extend_from_slice(&salt);
    Lib(LibSrtp::on(build, p, &[(ks, Vec::new())], outbound, 128))
}

#[test]
fn webrtc_srtp_interoperates() {
    for p in PROFILES {
        check(p, 1, webrtc(p, 1), webrtc(p, 1));
    }
}

#[test]
fn str0m_aws_lc_rs_interoperates() {
    for p in PROFILES {
        check(p, 2, str0m(p, 2), str0m(p, 2));
    }
}

#[test]
fn libsrtp_openssl_interoperates() {
    for p in PROFILES {
        check(
            p,
            3,
            libsrtp(Build::OpenSsl, p, 3, true),
            libsrtp(Build::OpenSsl, p, 3, false),
        );
    }
}

#[test]
fn libsrtp_debian_interoperates_beside_the_openssl_build() {
    // Both builds in one process: each session runs on its own library.
    for p in PROFILES {
        let _other = libsrtp(Build::OpenSsl, p, 4, true);
        check(
            p,
            4,
            libsrtp(Build::Debian, p, 4, true),
            libsrtp(Build::Debian, p, 4, false),
        );
    }
}

#[test]
fn each_build_is_the_library_it_names() {
    assert!(
        prose_sec_peers::libsrtp::version(Build::Debian).starts_with("libsrtp2 2.5"),
        "{}",
        prose_sec_peers::libsrtp::version(Build::Debian)
    );
    assert!(
        prose_sec_peers::libsrtp::version(Build::OpenSsl).starts_with("libsrtp2 2.3"),
        "{}",
        prose_sec_peers::libsrtp::version(Build::OpenSsl)
    );
}
