//! SRTP: protect and unprotect one RTP packet.

use subtle::ConstantTimeEq;

use super::{be32, Session, GCM_MKI_AFTER_TAG};
use crate::srtp::aes_cm::srtp_iv;
use crate::srtp::keys::{CipherState, SessionKeys};
use crate::{Error, Result};

/// Length of the RTP header at the start of `pkt` (fixed header, CSRCs, extension), checked
/// against `pkt.len()`.
#[inline]
pub(crate) fn rtp_header_len(pkt: &[u8]) -> Result<usize> {
    let b0 = *pkt.first().ok_or(Error::Parse)?;
    if pkt.len() < 12 || b0 >> 6 != 2 {
        return Err(Error::Parse);
    }
    let mut h = 12 + 4 * (b0 & 0x0f) as usize;
    if b0 & 0x10 != 0 {
        let ext = pkt.get(h + 2..h + 4).ok_or(Error::Parse)?;
        h += 4 + 4 * u16::from_be_bytes([ext[0], ext[1]]) as usize;
    }
    if h > pkt.len() {
        return Err(Error::Parse);
    }
    Ok(h)
}

/// The RTP GCM IV (RFC 7714 §8.1): `salt XOR (00 00 || SSRC || ROC || SEQ)`.
#[inline]
fn gcm_rtp_iv(salt: &[u8; 14], ssrc: u32, index: u64) -> [u8; 12] {
    let mut iv = [0u8; 12];
    iv[2..6].copy_from_slice(&ssrc.to_be_bytes());
    iv[6..12].copy_from_slice(&index.to_be_bytes()[2..8]);
    for (d, s) in iv.iter_mut().zip(salt.iter()) {
        *d ^= *s;
    }
    iv
}

impl Session {
    /// Protects the RTP packet in `buf[..len]` in place and returns the SRTP length. `buf`
    /// must have room for [`Session::rtp_overhead`] more octets.
    pub fn protect_rtp(&mut self, buf: &mut [u8], len: usize) -> Result<usize> {
        let c = self.protect_rtp_claim(buf, len)?;
        let keys = &self.keys.get(self.send_key).ok_or(Error::UnknownKey)?.rtp;
        if let Some(auth) = &keys.auth {
            encrypt_rtp_cm(keys, buf, &c);
            let roc = c.roc_bytes();
            let tag = auth.mac(&buf[..c.len], &roc);
            self.write_rtp_trailer(buf, &c, &tag);
            Ok(c.out_len)
        } else {
            self.seal_rtp_gcm(buf, &c)
        }
    }

    /// Checks a packet for sending and claims its index (replay window, stream, key counter).
    /// After this succeeds the index is spent whatever happens next, so keystream is never
    /// reused.
    #[inline]
    pub(super) fn protect_rtp_claim(&mut self, buf: &[u8], len: usize) -> Result<Claim> {
        let (pkt, out_len, h) = self.outgoing(buf, len, self.rtp_overhead(), rtp_header_len)?;
        let seq = u16::from_be_bytes([pkt[2], pkt[3]]);
        let ssrc = be32(pkt, 8)?;
        self.key_budget(self.send_key, false)?;
        let slot = self.streams.find(ssrc);
        let index = match slot {
            Some(s) => {
                let st = &self.streams.get(s).tx;
                match st.check(seq) {
                    Err(Error::ReplayDuplicate) if self.allow_repeat_tx => st.estimate(seq)?,
                    r => r?,
                }
            }
            None => {
                if self.streams.is_full() {
                    return Err(Error::CapacityExceeded);
                }
                match self.streams.retired(ssrc) {
                    Some(r) => r.tx.check(seq, self.streams.window())?,
                    None => seq as u64,
                }
            }
        };
        let slot = match slot {
            Some(s) => s,
            None => self.streams.find_or_insert(ssrc)?,
        };
        self.streams.get_mut(slot).tx.window.update(index);
        if let Some(k) = self.keys.get_mut(self.send_key) {
            k.rtp_packets += 1;
        }
        Ok(Claim {
            h,
            len,
            out_len,
            ssrc,
            index,
        })
    }

    /// Writes the MKI and the (truncated) tag of a HMAC profile after the packet.
    #[inline]
    pub(super) fn write_rtp_trailer(&self, buf: &mut [u8], c: &Claim, tag: &[u8; 20]) {
        let mki_len = self.mki_len;
        let tag_len = self.profile.rtp_tag_len();
        if let Some(k) = self.keys.get(self.send_key) {
            buf[c.len..c.len + mki_len].copy_from_slice(&k.mki[..mki_len]);
        }
        buf[c.len + mki_len..c.out_len].copy_from_slice(&tag[..tag_len]);
    }

    fn seal_rtp_gcm(&self, buf: &mut [u8], c: &Claim) -> Result<usize> {
        let key = self.keys.get(self.send_key).ok_or(Error::UnknownKey)?;
        let keys = &key.rtp;
        let CipherState::Gcm(g) = &keys.cipher else {
            return Err(Error::InvalidParameter);
        };
        let (len, tag_len, mki_len) = (c.len, self.profile.rtp_tag_len(), self.mki_len);
        let iv = gcm_rtp_iv(&keys.salt, c.ssrc, c.index);
        let (head, rest) = buf.split_at_mut(c.h);
        let tag = g.seal(&iv, head, &mut rest[..len - c.h])?;
        let (t_at, m_at) = if GCM_MKI_AFTER_TAG {
            (len, len + tag_len)
        } else {
            (len + mki_len, len)
        };
        buf[t_at..t_at + tag_len].copy_from_slice(&tag[..tag_len]);
        buf[m_at..m_at + mki_len].copy_from_slice(&key.mki[..mki_len]);
        Ok(c.out_len)
    }

    /// Verifies and decrypts the SRTP packet in `buf[..len]` in place and returns the RTP
    /// length. On any error the session is unchanged.
    pub fn unprotect_rtp(&mut self, buf: &mut [u8], len: usize) -> Result<usize> {
        let c = self.unprotect_rtp_check(buf, len)?;
        let key = self.keys.get(c.ki).ok_or(Error::UnknownKey)?;
        verify_decrypt_rtp(
            &key.rtp,
            buf,
            c.h,
            c.body_len,
            c.tag_at,
            self.profile.rtp_tag_len(),
            c.ssrc,
            c.index,
        )?;
        self.unprotect_rtp_commit(&c)
    }

    /// Everything about an incoming SRTP packet that can be checked before authentication:
    /// lengths, header, MKI, key budget, index and replay window, stream capacity. No state
    /// changes.
    #[inline]
    pub(super) fn unprotect_rtp_check(&self, buf: &[u8], len: usize) -> Result<Check> {
        let tag_len = self.profile.rtp_tag_len();
        let mki_len = self.mki_len;
        let (pkt, body_len) = self.incoming(buf, len, tag_len + mki_len)?;
        let h = rtp_header_len(&pkt[..body_len])?;
        let (tag_at, mki_at) = if self.profile.is_aead() && GCM_MKI_AFTER_TAG {
            (body_len, body_len + tag_len)
        } else {
            (body_len + mki_len, body_len)
        };
        let ki = self.receiving_key(pkt, mki_at, false)?;
        let seq = u16::from_be_bytes([pkt[2], pkt[3]]);
        let ssrc = be32(pkt, 8)?;
        let (index, known) = self.rx_index(ssrc, seq)?;
        Ok(Check {
            ki,
            h,
            body_len,
            tag_at,
            ssrc,
            index,
            known,
        })
    }

    /// The index of received sequence number `seq` of stream `ssrc` against the replay window
    /// and ROC (or the retired stream's, or a new stream's if the table has room), and whether
    /// the stream exists. No state changes.
    #[inline]
    pub(super) fn rx_index(&self, ssrc: u32, seq: u16) -> Result<(u64, bool)> {
        let slot = self.streams.find(ssrc);
        let index = match slot {
            Some(s) => {
                let st = &self.streams.get(s).rx;
                st.check(seq)?
            }
            None => {
                if self.streams.is_full() {
                    return Err(Error::CapacityExceeded);
                }
                match self.streams.retired(ssrc) {
                    Some(r) => r.rx.check(seq, self.streams.window())?,
                    None => seq as u64,
                }
            }
        };
        Ok((index, slot.is_some()))
    }

    /// Records an authenticated SRTP packet.
    #[inline]
    pub(super) fn unprotect_rtp_commit(&mut self, c: &Check) -> Result<usize> {
        let slot = self.streams.find_or_insert(c.ssrc)?;
        self.streams.get_mut(slot).rx.window.update(c.index);
        if let Some(k) = self.keys.get_mut(c.ki) {
            k.rtp_packets += 1;
        }
        Ok(c.body_len)
    }
}

/// A claimed SRTP index and where the packet's parts are.
#[derive(Clone, Copy, Debug)]
pub(super) struct Claim {
    /// Header length.
    pub(super) h: usize,
    /// RTP length.
    pub(super) len: usize,
    /// SRTP length.
    pub(super) out_len: usize,
    pub(super) ssrc: u32,
    pub(super) index: u64,
}

impl Claim {
    pub(super) const EMPTY: Claim = Claim {
        h: 0,
        len: 0,
        out_len: 0,
        ssrc: 0,
        index: 0,
    };

    #[inline]
    pub(super) fn roc_bytes(&self) -> [u8; 4] {
        ((self.index >> 16) as u32).to_be_bytes()
    }
}

/// What [`Session::unprotect_rtp_check`] found out about a packet.
#[derive(Clone, Copy, Debug)]
pub(super) struct Check {
    /// Index of the master key in the session.
    pub(super) ki: usize,
    pub(super) h: usize,
    /// Length of header and encrypted portion (the RTP length after unprotecting).
    pub(super) body_len: usize,
    pub(super) tag_at: usize,
    pub(super) ssrc: u32,
    pub(super) index: u64,
    /// Whether the stream existed when checked.
    pub(super) known: bool,
}

impl Check {
    pub(super) const EMPTY: Check = Check {
        ki: 0,
        h: 0,
        body_len: 0,
        tag_at: 0,
        ssrc: 0,
        index: 0,
        known: false,
    };
}

/// Encrypts the payload of a claimed packet in place (no-op for the NULL cipher).
#[inline]
fn encrypt_rtp_cm(keys: &SessionKeys, buf: &mut [u8], c: &Claim) {
    if let CipherState::AesCm(a) = &keys.cipher {
        let iv = srtp_iv(&keys.salt, c.ssrc, c.index);
        a.apply_keystream(&iv, &mut buf[c.h..c.len]);
    }
}

/// Authenticates and decrypts one SRTP packet whose header is `buf[..h]`, encrypted portion
/// `buf[h..body_len]`, tag at `tag_at`. Leaves `buf` unchanged on failure.
#[allow(clippy::too_many_arguments)]
#[inline]
fn verify_decrypt_rtp(
    keys: &SessionKeys,
    buf: &mut [u8],
    h: usize,
    body_len: usize,
    tag_at: usize,
    tag_len: usize,
    ssrc: u32,
    index: u64,
) -> Result<()> {
    match &keys.cipher {
        CipherState::Gcm(g) => {
            let iv = gcm_rtp_iv(&keys.salt, ssrc, index);
            let mut tag = [0u8; 16];
            tag.copy_from_slice(&buf[tag_at..tag_at + 16]);
            let (head, rest) = buf.split_at_mut(h);
            if !g.open(&iv, head, &mut rest[..body_len - h], &tag) {
                return Err(Error::AuthFailed);
            }
        }
        other => {
            let auth = keys.auth.as_ref().ok_or(Error::InvalidParameter)?;
            let roc = ((index >> 16) as u32).to_be_bytes();
            let tag = auth.mac(&buf[..body_len], &roc);
            if !bool::from(tag[..tag_len].ct_eq(&buf[tag_at..tag_at + tag_len])) {
                return Err(Error::AuthFailed);
            }
            if let CipherState::AesCm(c) = other {
                let iv = srtp_iv(&keys.salt, ssrc, index);
                c.apply_keystream(&iv, &mut buf[h..body_len]);
            }
        }
    }
    Ok(())
}
