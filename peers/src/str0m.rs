//! str0m's SRTP on its aws-lc-rs backend (crates `str0m-aws-lc-rs` 0.7 and `str0m-proto` 0.8,
//! the backend and the crypto traits of `str0m` 0.25).
//!
//! str0m's SRTP context is not public API: `SrtpContext` lives in the private module
//! `str0m::rtp_` and is re-exported `pub(crate)` only (the test-only feature
//! `_internal_test_exports` wraps it in a protect-only `TestSrtp` marked "UNSTABLE: not public
//! API"). What is public is its crypto provider: `str0m_aws_lc_rs::default_provider()` with the
//! `srtp_provider`'s cipher factories `aes_128_cm_sha1_80()` / `aead_aes_128_gcm()`, its
//! AES-ECB round for the key derivation, the SHA-1 HMAC provider, and the profile helpers of
//! `str0m_proto::crypto` (`rtp_iv`, `rtp_hmac`, `rtp_verify`). [`Str0mSrtp`] is str0m 0.25's
//! `SrtpContext::new` (key derivation), `protect_rtp` and `unprotect_rtp` over those objects,
//! step for step (a new output vector per protected packet, a reused scratch buffer for
//! unprotect), so its figures are str0m's own. Like str0m's context it keeps no replay window
//! and takes the packet index from the caller (str0m tracks both in its stream layer).

use str0m_proto::crypto::{
    AeadAes128Gcm, AeadAes128GcmCipher, Aes128CmSha1_80, Aes128CmSha1_80Cipher, CryptoProvider,
    Sha1HmacProvider, SrtpProvider,
};

/// The two profiles of the benchmarks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Str0mProfile {
    Aes128CmSha1_80,
    AeadAes128Gcm,
}

const LABEL_RTP_AES: u8 = 0;
const LABEL_RTP_AUTHENTICATION_KEY: u8 = 1;
const LABEL_RTP_SALT: u8 = 2;
const SRTP_BLOCK_SIZE: usize = 16;
const CTR_BUFFER_PADDING: usize = SRTP_BLOCK_SIZE - 1;

enum Derived {
    Aes128CmSha1_80 {
        key: [u8; 20],
        salt: [u8; 14],
        enc: Box<dyn Aes128CmSha1_80Cipher>,
        dec: Box<dyn Aes128CmSha1_80Cipher>,
    },
    AeadAes128Gcm {
        salt: [u8; 12],
        enc: Box<dyn AeadAes128GcmCipher>,
        dec: Box<dyn AeadAes128GcmCipher>,
    },
}

/// One direction pair of str0m's SRTP (RTP only) for one master key and salt.
pub struct Str0mSrtp {
    rtp: Derived,
    sha1_hmac_provider: &'static dyn Sha1HmacProvider,
    rx_scratch: Vec<u8>,
}

/// str0m's `SrtpKey::derive` (RFC 3711 §4.3 with AES-128 in counter mode).
fn derive(crypto: &dyn SrtpProvider, master: &[u8; 16], salt: &[u8], label: u8, out: &mut [u8]) {
    let mut i = 0;
    let mut input = [0u8; 16];
    input[..salt.len()].copy_from_slice(salt);
    input[7] ^= label;
    let mut buf = [0u8; 32];
    let mut round: u16 = 0;
    while i < out.len() {
        input[14..].copy_from_slice(&round.to_be_bytes());
        crypto.srtp_aes_128_ecb_round(master, &input, &mut buf);
        for j in buf.iter().take(16) {
            if i == out.len() {
                break;
            }
            out[i] = *j;
            i += 1;
        }
        round += 1;
    }
}

fn provider() -> &'static CryptoProvider {
    static P: std::sync::OnceLock<CryptoProvider> = std::sync::OnceLock::new();
    P.get_or_init(str0m_aws_lc_rs::default_provider)
}

impl Str0mSrtp {
    /// `master_key` of 16 octets; `master_salt` of 14 (AES-CM) or 12 (GCM) octets.
    pub fn new(profile: Str0mProfile, master_key: &[u8; 16], master_salt: &[u8]) -> Self {
        let crypto = provider();
        let sp = crypto.srtp_provider;
        let rtp = match profile {
            Str0mProfile::Aes128CmSha1_80 => {
                assert_eq!(master_salt.len(), Aes128CmSha1_80::SALT_LEN);
                let mut aes = [0u8; 16];
                derive(sp, master_key, master_salt, LABEL_RTP_AES, &mut aes);
                let mut key = [0u8; 20];
                derive(
                    sp,
                    master_key,
                    master_salt,
                    LABEL_RTP_AUTHENTICATION_KEY,
                    &mut key,
                );
                let mut salt = [0u8; 14];
                derive(sp, master_key, master_salt, LABEL_RTP_SALT, &mut salt);
                Derived::Aes128CmSha1_80 {
                    key,
                    salt,
                    enc: sp.aes_128_cm_sha1_80().create_cipher(aes, true),
                    dec: sp.aes_128_cm_sha1_80().create_cipher(aes, false),
                }
            }
            Str0mProfile::AeadAes128Gcm => {
                assert_eq!(master_salt.len(), AeadAes128Gcm::SALT_LEN);
                let mut aes = [0u8; 16];
                derive(sp, master_key, master_salt, LABEL_RTP_AES, &mut aes);
                let mut salt = [0u8; 12];
                derive(sp, master_key, master_salt, LABEL_RTP_SALT, &mut salt);
                Derived::AeadAes128Gcm {
                    salt,
                    enc: sp.aead_aes_128_gcm().create_cipher(aes, true),
                    dec: sp.aead_aes_128_gcm().create_cipher(aes, false),
                }
            }
        };
        Str0mSrtp {
            rtp,
            sha1_hmac_provider: crypto.sha1_hmac_provider,
            rx_scratch: Vec::with_capacity(1500 + CTR_BUFFER_PADDING),
        }
    }

    /// Protects the RTP packet `buf` (header of `hlen` octets, SSRC `ssrc`, sequence number
    /// `seq`) at packet index `srtp_index` (ROC · 2^16 + SEQ): a new vector, as str0m returns.
    pub fn protect_rtp(
        &mut self,
        buf: &[u8],
        hlen: usize,
        ssrc: u32,
        seq: u16,
        srtp_index: u64,
    ) -> Vec<u8> {
        let input = &buf[hlen..];
        match &mut self.rtp {
            Derived::Aes128CmSha1_80 { key, salt, enc, .. } => {
                let iv = Aes128CmSha1_80::rtp_iv(*salt, ssrc, srtp_index);
                let padding_needed =
                    CTR_BUFFER_PADDING.saturating_sub(Aes128CmSha1_80::HMAC_TAG_LEN);
                let mut output =
                    vec![0_u8; buf.len() + Aes128CmSha1_80::HMAC_TAG_LEN + padding_needed];
                enc.encrypt(&iv, input, &mut output[hlen..])
                    .expect("rtp encrypt");
                output[..hlen].copy_from_slice(&buf[..hlen]);
                let hmac_start = buf.len();
                let p = self.sha1_hmac_provider;
                let sha1_hmac = |k: &[u8], d: &[&[u8]]| p.sha1_hmac(k, d);
                Aes128CmSha1_80::rtp_hmac(sha1_hmac, key, &mut output, srtp_index, hmac_start);
                output.truncate(buf.len() + Aes128CmSha1_80::HMAC_TAG_LEN);
                output
            }
            Derived::AeadAes128Gcm { salt, enc, .. } => {
                let roc = (srtp_index >> 16) as u32;
                let iv = AeadAes128Gcm::rtp_iv(*salt, ssrc, roc, seq);
                let aad = &buf[..hlen];
                let mut output = vec![0_u8; buf.len() + AeadAes128Gcm::TAG_LEN];
                enc.encrypt(&iv, aad, input, &mut output[hlen..])
                    .expect("rtp encrypt");
                output[..hlen].copy_from_slice(aad);
                output
            }
        }
    }

    /// Unprotects the SRTP packet `buf`: the plaintext payload (header not included), or
    /// `None` when authentication fails.
    pub fn unprotect_rtp(
        &mut self,
        buf: &[u8],
        hlen: usize,
        ssrc: u32,
        seq: u16,
        srtp_index: u64,
    ) -> Option<&[u8]> {
        match &mut self.rtp {
            Derived::Aes128CmSha1_80 { key, salt, dec, .. } => {
                if buf.len() < hlen + Aes128CmSha1_80::HMAC_TAG_LEN {
                    return None;
                }
                let hmac_start = buf.len() - Aes128CmSha1_80::HMAC_TAG_LEN;
                let p = self.sha1_hmac_provider;
                let sha1_hmac = |k: &[u8], d: &[&[u8]]| p.sha1_hmac(k, d);
                if !Aes128CmSha1_80::rtp_verify(
                    sha1_hmac,
                    key,
                    &buf[..hmac_start],
                    srtp_index,
                    &buf[hmac_start..],
                ) {
                    return None;
                }
                let iv = Aes128CmSha1_80::rtp_iv(*salt, ssrc, srtp_index);
                let input = &buf[hlen..hmac_start];
                self.rx_scratch.resize(input.len() + CTR_BUFFER_PADDING, 0);
                dec.decrypt(&iv, input, &mut self.rx_scratch).ok()?;
                Some(&self.rx_scratch[..input.len()])
            }
            Derived::AeadAes128Gcm { salt, dec, .. } => {
                if buf.len() < hlen + AeadAes128Gcm::TAG_LEN {
                    return None;
                }
                let roc = (srtp_index >> 16) as u32;
                let iv = AeadAes128Gcm::rtp_iv(*salt, ssrc, roc, seq);
                let (aad, input) = buf.split_at(hlen);
                let out_len = input.len() - AeadAes128Gcm::TAG_LEN;
                self.rx_scratch.resize(out_len, 0);
                dec.decrypt(&iv, &[aad], input, &mut self.rx_scratch).ok()?;
                Some(&self.rx_scratch[..out_len])
            }
        }
    }
}
