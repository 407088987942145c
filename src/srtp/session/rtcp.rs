//! SRTCP: protect and unprotect one RTCP (or compound) packet.

use subtle::ConstantTimeEq;

use super::{be32, Session, E_FLAG, MAX_SRTCP_INDEX, SRTCP_INDEX_LEN};
use crate::srtp::aes_cm::srtp_iv;
use crate::srtp::keys::{CipherState, SessionKeys};
use crate::{Error, Result};

/// Checks the fixed part of an RTCP header: at least 8 octets (header and SSRC), version 2.
#[inline]
fn rtcp_header(pkt: &[u8]) -> Result<()> {
    match pkt.first() {
        Some(b0) if pkt.len() >= 8 && b0 >> 6 == 2 => Ok(()),
        _ => Err(Error::Parse),
    }
}

/// The RTCP GCM IV (RFC 7714 §9.1): `salt XOR (00 00 || SSRC || 00 00 || 0 || index)`.
#[inline]
fn gcm_rtcp_iv(salt: &[u8; 14], ssrc: u32, index: u32) -> [u8; 12] {
    let mut iv = [0u8; 12];
    iv[2..6].copy_from_slice(&ssrc.to_be_bytes());
    iv[8..12].copy_from_slice(&index.to_be_bytes());
    for (d, s) in iv.iter_mut().zip(salt.iter()) {
        *d ^= *s;
    }
    iv
}

impl Session {
    /// Protects the RTCP packet (or compound packet) in `buf[..len]` in place and returns the
    /// SRTCP length. `buf` must have room for [`Session::rtcp_overhead`] more octets.
    pub fn protect_rtcp(&mut self, buf: &mut [u8], len: usize) -> Result<usize> {
        let c = self.protect_rtcp_claim(buf, len)?;
        let key = self.keys.get(self.send_key).ok_or(Error::UnknownKey)?;
        let keys = &key.rtcp;
        let (tag_len, mki_len) = (self.profile.rtcp_tag_len(), self.mki_len);
        let word = c.word.to_be_bytes();
        match &keys.cipher {
            CipherState::Gcm(g) => {
                // header | ciphertext | tag | E||index | [MKI]
                let iv = gcm_rtcp_iv(&keys.salt, c.ssrc, c.index);
                let mut aad = [0u8; 12];
                aad[..8].copy_from_slice(&buf[..8]);
                aad[8..].copy_from_slice(&word);
                let tag = g.seal(&iv, &aad, &mut buf[8..len])?;
                buf[len..len + tag_len].copy_from_slice(&tag[..tag_len]);
                let w = len + tag_len;
                buf[w..w + 4].copy_from_slice(&word);
                buf[w + 4..w + 4 + mki_len].copy_from_slice(&key.mki[..mki_len]);
            }
            _ => {
                // header | encrypted | E||index | [MKI] | tag
                encrypt_rtcp_cm(keys, buf, &c);
                buf[len..len + 4].copy_from_slice(&word);
                let auth = keys.auth.as_ref().ok_or(Error::InvalidParameter)?;
                let tag = auth.mac(&buf[..len + 4], &[]);
                self.write_rtcp_trailer(buf, &c, &tag);
            }
        }
        Ok(c.out_len)
    }

    /// Checks an RTCP packet for sending and claims its SRTCP index (stream, key counter).
    #[inline]
    pub(super) fn protect_rtcp_claim(&mut self, buf: &[u8], len: usize) -> Result<RtcpClaim> {
        let (pkt, out_len, ()) = self.outgoing(buf, len, self.rtcp_overhead(), rtcp_header)?;
        let ssrc = be32(pkt, 4)?;
        self.key_budget(self.send_key, true)?;
        let slot = self.streams.find(ssrc);
        let index = match slot {
            Some(s) => self.streams.get(s).rtcp_tx_next,
            None => {
                if self.streams.is_full() {
                    return Err(Error::CapacityExceeded);
                }
                self.streams.retired(ssrc).map_or(0, |r| r.rtcp_tx_next)
            }
        };
        if index > MAX_SRTCP_INDEX {
            return Err(Error::KeyExhausted);
        }
        let slot = match slot {
            Some(s) => s,
            None => self.streams.find_or_insert(ssrc)?,
        };
        self.streams.get_mut(slot).rtcp_tx_next = index + 1;
        if let Some(k) = self.keys.get_mut(self.send_key) {
            k.rtcp_packets += 1;
        }
        let word = if self.profile.encrypts() {
            index | E_FLAG
        } else {
            index
        };
        Ok(RtcpClaim {
            len,
            out_len,
            ssrc,
            index,
            word,
        })
    }

    /// Writes the MKI and tag of an SRTCP packet of a HMAC profile after its index word.
    #[inline]
    pub(super) fn write_rtcp_trailer(&self, buf: &mut [u8], c: &RtcpClaim, tag: &[u8; 20]) {
        let mki_len = self.mki_len;
        let tag_len = self.profile.rtcp_tag_len();
        let m = c.len + 4;
        if let Some(k) = self.keys.get(self.send_key) {
            buf[m..m + mki_len].copy_from_slice(&k.mki[..mki_len]);
        }
        buf[m + mki_len..c.out_len].copy_from_slice(&tag[..tag_len]);
    }

    /// Verifies and decrypts the SRTCP packet in `buf[..len]` in place and returns the RTCP
    /// length. On any error the session is unchanged.
    pub fn unprotect_rtcp(&mut self, buf: &mut [u8], len: usize) -> Result<usize> {
        let c = self.unprotect_rtcp_check(buf, len)?;
        let key = self.keys.get(c.ki).ok_or(Error::UnknownKey)?;
        let keys = &key.rtcp;
        let tag_len = self.profile.rtcp_tag_len();
        match &keys.cipher {
            CipherState::Gcm(g) => {
                let iv = gcm_rtcp_iv(&keys.salt, c.ssrc, c.index);
                let mut tag = [0u8; 16];
                tag.copy_from_slice(&buf[c.tag_at..c.tag_at + 16]);
                if !c.encrypted() {
                    // RFC 7714 §9.3 (libsrtp's auth-only RTCP): nothing is encrypted and the
                    // AAD is the whole packet followed by the E||index word, which the wire
                    // format puts after the tag. Move the word next to the packet for the
                    // check and put the tag back after it, so the buffer ends as it began.
                    let b = c.body_len;
                    buf[b..b + 4].copy_from_slice(&c.word.to_be_bytes());
                    let ok = g.open(&iv, &buf[..b + 4], &mut [], &tag);
                    buf[b..b + 16].copy_from_slice(&tag);
                    if !ok {
                        return Err(Error::AuthFailed);
                    }
                    return self.unprotect_rtcp_commit(&c);
                }
                let mut aad = [0u8; 12];
                aad[..8].copy_from_slice(&buf[..8]);
                aad[8..].copy_from_slice(&c.word.to_be_bytes());
                if !g.open(&iv, &aad, &mut buf[8..c.body_len], &tag) {
                    return Err(Error::AuthFailed);
                }
            }
            _ => {
                let auth = keys.auth.as_ref().ok_or(Error::InvalidParameter)?;
                let tag = auth.mac(&buf[..c.body_len + 4], &[]);
                if !bool::from(tag[..tag_len].ct_eq(&buf[c.tag_at..c.tag_at + tag_len])) {
                    return Err(Error::AuthFailed);
                }
                decrypt_rtcp_cm(keys, buf, &c);
            }
        }
        self.unprotect_rtcp_commit(&c)
    }

    /// Everything about an incoming SRTCP packet that can be checked before authentication.
    /// No state changes.
    #[inline]
    pub(super) fn unprotect_rtcp_check(&self, buf: &[u8], len: usize) -> Result<RtcpCheck> {
        let tag_len = self.profile.rtcp_tag_len();
        let mki_len = self.mki_len;
        let (pkt, body_len) = self.incoming(buf, len, SRTCP_INDEX_LEN + tag_len + mki_len)?;
        rtcp_header(&pkt[..body_len])?;
        let (word_at, mki_at, tag_at) = if self.profile.is_aead() {
            // header | ciphertext | tag | E||index | [MKI]
            (body_len + tag_len, body_len + tag_len + 4, body_len)
        } else {
            // header | encrypted | E||index | [MKI] | tag
            (body_len, body_len + 4, body_len + 4 + mki_len)
        };
        let ki = self.receiving_key(pkt, mki_at, true)?;
        let ssrc = be32(pkt, 4)?;
        let word = be32(pkt, word_at)?;
        let index = word & MAX_SRTCP_INDEX;
        if self.require_encrypted_srtcp && word & E_FLAG == 0 {
            return Err(Error::Unsupported);
        }
        match self.streams.find(ssrc) {
            Some(s) => self.streams.get(s).rtcp_rx.check(index as u64)?,
            None => {
                if self.streams.is_full() {
                    return Err(Error::CapacityExceeded);
                }
                if let Some(r) = self.streams.retired(ssrc) {
                    r.check_rtcp_rx(index as u64, self.streams.window())?;
                }
            }
        }
        Ok(RtcpCheck {
            ki,
            body_len,
            tag_at,
            ssrc,
            index,
            word,
        })
    }

    /// Records an authenticated SRTCP packet.
    #[inline]
    pub(super) fn unprotect_rtcp_commit(&mut self, c: &RtcpCheck) -> Result<usize> {
        let slot = self.streams.find_or_insert(c.ssrc)?;
        self.streams.get_mut(slot).rtcp_rx.update(c.index as u64);
        if let Some(k) = self.keys.get_mut(c.ki) {
            k.rtcp_packets += 1;
        }
        Ok(c.body_len)
    }
}

/// A claimed SRTCP index.
#[derive(Clone, Copy, Debug)]
pub(super) struct RtcpClaim {
    /// RTCP length.
    pub(super) len: usize,
    /// SRTCP length.
    pub(super) out_len: usize,
    pub(super) ssrc: u32,
    pub(super) index: u32,
    /// The `E || index` word.
    pub(super) word: u32,
}

impl RtcpClaim {
    pub(super) const EMPTY: RtcpClaim = RtcpClaim {
        len: 0,
        out_len: 0,
        ssrc: 0,
        index: 0,
        word: 0,
    };
}

/// What [`Session::unprotect_rtcp_check`] found out about a packet.
#[derive(Clone, Copy, Debug)]
pub(super) struct RtcpCheck {
    pub(super) ki: usize,
    /// RTCP length after unprotecting.
    pub(super) body_len: usize,
    pub(super) tag_at: usize,
    pub(super) ssrc: u32,
    pub(super) index: u32,
    /// The `E || index` word as received.
    pub(super) word: u32,
}

impl RtcpCheck {
    pub(super) const EMPTY: RtcpCheck = RtcpCheck {
        ki: 0,
        body_len: 0,
        tag_at: 0,
        ssrc: 0,
        index: 0,
        word: 0,
    };

    pub(super) fn encrypted(&self) -> bool {
        self.word & E_FLAG != 0
    }
}

/// Encrypts the body of a claimed SRTCP packet (after its 8-octet header) in place; no-op
/// for the NULL cipher.
#[inline]
pub(super) fn encrypt_rtcp_cm(keys: &SessionKeys, buf: &mut [u8], c: &RtcpClaim) {
    if let CipherState::AesCm(a) = &keys.cipher {
        let iv = srtp_iv(&keys.salt, c.ssrc, c.index as u64);
        a.apply_keystream(&iv, &mut buf[8..c.len]);
    }
}

/// Decrypts an authenticated SRTCP packet whose E flag is set; no-op otherwise.
#[inline]
pub(super) fn decrypt_rtcp_cm(keys: &SessionKeys, buf: &mut [u8], c: &RtcpCheck) {
    if c.encrypted() {
        if let CipherState::AesCm(a) = &keys.cipher {
            let iv = srtp_iv(&keys.salt, c.ssrc, c.index as u64);
            a.apply_keystream(&iv, &mut buf[8..c.body_len]);
        }
    }
}
