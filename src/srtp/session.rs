//! The SRTP/SRTCP session: keys, per-SSRC streams, and the in-place packet transforms.

use subtle::ConstantTimeEq;

use super::aes_cm::srtp_iv;
use super::keys::{check_key, CipherState, KeySet, MasterKey, Policy, SessionKeys};
use super::profile::Profile;
use super::stream::StreamTable;
use crate::{Error, Result};

/// Length of the SRTCP `E || index` word.
const SRTCP_INDEX_LEN: usize = 4;
/// The E (encrypted) flag of the SRTCP index word.
const E_FLAG: u32 = 0x8000_0000;
/// Largest SRTCP index (31 bits).
const MAX_SRTCP_INDEX: u32 = 0x7fff_ffff;

/// Where a GCM packet carries its MKI. libsrtp 2 writes it after the AEAD tag; RFC 3711's
/// layout (MKI before the tag) applies to the HMAC profiles.
const GCM_MKI_AFTER_TAG: bool = true;

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

#[inline]
fn be32(b: &[u8], at: usize) -> Result<u32> {
    let s = b.get(at..at + 4).ok_or(Error::Parse)?;
    Ok(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
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

/// An SRTP/SRTCP session: one profile, one or more master keys (selected by MKI), and up to
/// `max_streams` SSRCs, each with its own ROC and replay state for both directions.
///
/// # Sending
/// The sender derives each packet's 48-bit index from its sequence number exactly as a receiver
/// does (RFC 3711 §3.3.1), so a wrap of the sequence number advances the ROC. Like libsrtp, it
/// refuses to protect an index it already protected (`ReplayDuplicate`) or one older than the
/// replay window (`ReplayTooOld`): reusing an index would reuse keystream.
///
/// # Receiving
/// A packet is authenticated before anything is recorded; the replay window, the stream table
/// and the key counters change only for packets that authenticate. A new SSRC gets a stream on
/// its first authentic packet, with ROC 0 (or the value given to [`Session::set_roc`]).
///
/// # Key usage
/// Each master key counts the SRTP and the SRTCP packets it protected or accepted, over all
/// streams and both directions (RFC 3711 §9.2 bounds the packets "secured" by one master key);
/// at the policy's limit (2^48 and 2^31 by default) the key returns `KeyExhausted`.
#[derive(Debug)]
pub struct Session {
    profile: Profile,
    keys: Vec<KeySet>,
    max_keys: usize,
    mki_len: usize,
    send_key: usize,
    streams: StreamTable,
    max_rtp_packets: u64,
    max_rtcp_packets: u64,
}

impl Session {
    /// Builds a session: derives every session key and allocates every stream slot now, so
    /// no packet allocates.
    pub fn new(policy: &Policy) -> Result<Session> {
        policy.validate()?;
        let mut keys = Vec::with_capacity(policy.max_keys);
        for mk in &policy.keys {
            keys.push(KeySet::new(policy.profile, mk)?);
        }
        Ok(Session {
            profile: policy.profile,
            mki_len: policy.keys[0].mki().len(),
            keys,
            max_keys: policy.max_keys,
            send_key: 0,
            streams: StreamTable::new(policy.max_streams, policy.replay_window),
            max_rtp_packets: policy.max_rtp_packets_per_key,
            max_rtcp_packets: policy.max_rtcp_packets_per_key,
        })
    }

    /// A session keyed with *session* keys given directly, the same for SRTP and SRTCP, and no
    /// MKI. Only for test vectors that publish session keys (RFC 7714 §16–17); real sessions
    /// derive their keys with [`Session::new`].
    #[doc(hidden)]
    pub fn with_session_keys_for_vectors(
        profile: Profile,
        key: &[u8],
        salt: &[u8],
        auth_key: &[u8],
    ) -> Result<Session> {
        Ok(Session {
            profile,
            mki_len: 0,
            keys: vec![KeySet::from_raw(profile, key, salt, auth_key)?],
            max_keys: 1,
            send_key: 0,
            streams: StreamTable::new(4, super::DEFAULT_REPLAY_WINDOW),
            max_rtp_packets: super::MAX_RTP_PACKETS_PER_KEY,
            max_rtcp_packets: super::MAX_RTCP_PACKETS_PER_KEY,
        })
    }

    /// The session's profile.
    pub fn profile(&self) -> Profile {
        self.profile
    }

    /// Octets that protecting may add to a packet: the largest of the SRTP trailer (MKI and tag)
    /// and the SRTCP trailer (index word, MKI and tag). Give every buffer this much spare room.
    pub fn max_overhead(&self) -> usize {
        let rtp = self.mki_len + self.profile.rtp_tag_len();
        let rtcp = SRTCP_INDEX_LEN + self.mki_len + self.profile.rtcp_tag_len();
        rtp.max(rtcp)
    }

    /// Octets that protecting adds to an RTP packet.
    pub fn rtp_overhead(&self) -> usize {
        self.mki_len + self.profile.rtp_tag_len()
    }

    /// Octets that protecting adds to an RTCP packet.
    pub fn rtcp_overhead(&self) -> usize {
        SRTCP_INDEX_LEN + self.mki_len + self.profile.rtcp_tag_len()
    }

    /// Number of SSRCs currently tracked.
    pub fn stream_count(&self) -> usize {
        self.streams.len()
    }

    /// Forgets an SSRC (e.g. on RTCP BYE). Returns whether it was known.
    pub fn remove_stream(&mut self, ssrc: u32) -> bool {
        self.streams.remove(ssrc)
    }

    /// The ROC of `ssrc`: of the highest received index if packets were received, else of the
    /// highest sent index, else the one set with [`Session::set_roc`]. `None` for an unknown SSRC.
    pub fn roc(&self, ssrc: u32) -> Option<u32> {
        let st = self.streams.get(self.streams.find(ssrc)?);
        Some(if st.rx.window.started() || !st.tx.window.started() {
            st.rx.roc()
        } else {
            st.tx.roc()
        })
    }

    /// Sets the ROC of `ssrc` for a late joiner (RFC 3711 §3.3.1; e.g. from the MIKEY CS map),
    /// creating the stream if absent. The receive state restarts: the next packet's index is
    /// `roc * 2^16 + seq`. The send state takes the ROC if it has sent nothing yet or if the ROC
    /// moves forward; moving a sender backwards would reuse keystream and is refused
    /// (`InvalidParameter`).
    pub fn set_roc(&mut self, ssrc: u32, roc: u32) -> Result<()> {
        if let Some(slot) = self.streams.find(ssrc) {
            let st = self.streams.get(slot);
            if st.tx.window.started() && roc < st.tx.roc() {
                return Err(Error::InvalidParameter);
            }
        }
        let slot = self.streams.find_or_insert(ssrc)?;
        let st = self.streams.get_mut(slot);
        st.rx.window.reset();
        st.rx.initial_roc = roc;
        if !st.tx.window.started() || roc > st.tx.roc() {
            st.tx.window.reset();
            st.tx.initial_roc = roc;
        }
        Ok(())
    }

    /// Sets the next SRTCP index `ssrc` will send (31 bits), creating the stream if absent — for
    /// a sender that resumes under a key it used before. Moving backwards is refused
    /// (`InvalidParameter`): it would reuse keystream.
    pub fn set_srtcp_index(&mut self, ssrc: u32, next_index: u32) -> Result<()> {
        if next_index > MAX_SRTCP_INDEX {
            return Err(Error::InvalidParameter);
        }
        if let Some(slot) = self.streams.find(ssrc) {
            if next_index < self.streams.get(slot).rtcp_tx_next {
                return Err(Error::InvalidParameter);
            }
        }
        let slot = self.streams.find_or_insert(ssrc)?;
        self.streams.get_mut(slot).rtcp_tx_next = next_index;
        Ok(())
    }

    /// Adds a master key (it must carry an MKI of the session's MKI length).
    pub fn add_key(&mut self, key: MasterKey) -> Result<()> {
        if self.mki_len == 0 {
            return Err(Error::InvalidParameter);
        }
        check_key(self.profile, &key, self.mki_len)?;
        if self.find_key(key.mki()).is_some() {
            return Err(Error::InvalidParameter);
        }
        if self.keys.len() >= self.max_keys {
            return Err(Error::CapacityExceeded);
        }
        self.keys.push(KeySet::new(self.profile, &key)?);
        Ok(())
    }

    /// Removes the master key named `mki` (`UnknownKey` if none; `InvalidParameter` for the
    /// current sending key: choose another first).
    pub fn remove_key(&mut self, mki: &[u8]) -> Result<()> {
        let i = self.find_key(mki).ok_or(Error::UnknownKey)?;
        if i == self.send_key {
            return Err(Error::InvalidParameter);
        }
        self.keys.remove(i);
        if self.send_key > i {
            self.send_key -= 1;
        }
        Ok(())
    }

    /// Chooses the master key used for sending, by MKI (`UnknownKey` if none).
    pub fn set_send_mki(&mut self, mki: &[u8]) -> Result<()> {
        self.send_key = self.find_key(mki).ok_or(Error::UnknownKey)?;
        Ok(())
    }

    /// The MKI of the current sending key (empty without MKI).
    pub fn send_mki(&self) -> &[u8] {
        self.keys
            .get(self.send_key)
            .map_or(&[][..], |k| &k.mki[..self.mki_len])
    }

    fn find_key(&self, mki: &[u8]) -> Option<usize> {
        if mki.len() != self.mki_len {
            return None;
        }
        self.keys.iter().position(|k| &k.mki[..self.mki_len] == mki)
    }

    /// Protects the RTP packet in `buf[..len]` in place and returns the SRTP length. `buf`
    /// must have room for [`Session::rtp_overhead`] more octets.
    pub fn protect_rtp(&mut self, buf: &mut [u8], len: usize) -> Result<usize> {
        let pkt = buf.get(..len).ok_or(Error::InvalidParameter)?;
        let h = rtp_header_len(pkt)?;
        let out_len = len + self.rtp_overhead();
        if buf.len() < out_len {
            return Err(Error::BufferTooSmall);
        }
        let seq = u16::from_be_bytes([buf[2], buf[3]]);
        let ssrc = be32(buf, 8)?;
        let key = self.keys.get(self.send_key).ok_or(Error::UnknownKey)?;
        if key.rtp_packets >= self.max_rtp_packets {
            return Err(Error::KeyExhausted);
        }
        let slot = self.streams.find(ssrc);
        let index = match slot {
            Some(s) => {
                let st = &self.streams.get(s).tx;
                let i = st.estimate(seq)?;
                st.window.check(i)?;
                i
            }
            None => {
                if self.streams.is_full() {
                    return Err(Error::CapacityExceeded);
                }
                seq as u64
            }
        };
        let tag_len = self.profile.rtp_tag_len();
        let mki_len = self.mki_len;
        let mki = key.mki;
        let keys = &key.rtp;
        match &keys.cipher {
            CipherState::Gcm(g) => {
                let iv = gcm_rtp_iv(&keys.salt, ssrc, index);
                let (head, rest) = buf.split_at_mut(h);
                let tag = g.seal(&iv, head, &mut rest[..len - h])?;
                let (t_at, m_at) = if GCM_MKI_AFTER_TAG {
                    (len, len + tag_len)
                } else {
                    (len + mki_len, len)
                };
                buf[t_at..t_at + tag_len].copy_from_slice(&tag[..tag_len]);
                buf[m_at..m_at + mki_len].copy_from_slice(&mki[..mki_len]);
            }
            other => {
                if let CipherState::AesCm(c) = other {
                    let iv = srtp_iv(&keys.salt, ssrc, index);
                    c.apply_keystream(&iv, &mut buf[h..len]);
                }
                let auth = keys.auth.as_ref().ok_or(Error::InvalidParameter)?;
                let roc = ((index >> 16) as u32).to_be_bytes();
                let tag = auth.mac(&buf[..len], &roc);
                buf[len..len + mki_len].copy_from_slice(&mki[..mki_len]);
                buf[len + mki_len..out_len].copy_from_slice(&tag[..tag_len]);
            }
        }
        let slot = match slot {
            Some(s) => s,
            None => self.streams.find_or_insert(ssrc)?,
        };
        self.streams.get_mut(slot).tx.window.update(index);
        if let Some(k) = self.keys.get_mut(self.send_key) {
            k.rtp_packets += 1;
        }
        Ok(out_len)
    }

    /// Verifies and decrypts the SRTP packet in `buf[..len]` in place and returns the RTP
    /// length. On any error the session is unchanged.
    pub fn unprotect_rtp(&mut self, buf: &mut [u8], len: usize) -> Result<usize> {
        let pkt = buf.get(..len).ok_or(Error::InvalidParameter)?;
        let tag_len = self.profile.rtp_tag_len();
        let mki_len = self.mki_len;
        let body_len = len.checked_sub(tag_len + mki_len).ok_or(Error::Parse)?;
        let h = rtp_header_len(&pkt[..body_len])?;
        let (tag_at, mki_at) = if self.profile.is_aead() && GCM_MKI_AFTER_TAG {
            (body_len, body_len + tag_len)
        } else {
            (body_len + mki_len, body_len)
        };
        let ki = if mki_len == 0 {
            self.send_key
        } else {
            self.find_key(&pkt[mki_at..mki_at + mki_len])
                .ok_or(Error::UnknownKey)?
        };
        let key = self.keys.get(ki).ok_or(Error::UnknownKey)?;
        if key.rtp_packets >= self.max_rtp_packets {
            return Err(Error::KeyExhausted);
        }
        let seq = u16::from_be_bytes([pkt[2], pkt[3]]);
        let ssrc = be32(pkt, 8)?;
        let slot = self.streams.find(ssrc);
        let index = match slot {
            Some(s) => {
                let st = &self.streams.get(s).rx;
                let i = st.estimate(seq)?;
                st.window.check(i)?;
                i
            }
            None => {
                if self.streams.is_full() {
                    return Err(Error::CapacityExceeded);
                }
                seq as u64
            }
        };
        verify_decrypt_rtp(&key.rtp, buf, h, body_len, tag_at, tag_len, ssrc, index)?;
        let slot = match slot {
            Some(s) => s,
            None => self.streams.find_or_insert(ssrc)?,
        };
        self.streams.get_mut(slot).rx.window.update(index);
        if let Some(k) = self.keys.get_mut(ki) {
            k.rtp_packets += 1;
        }
        Ok(body_len)
    }

    /// Protects the RTCP packet (or compound packet) in `buf[..len]` in place and returns the
    /// SRTCP length. `buf` must have room for [`Session::rtcp_overhead`] more octets.
    pub fn protect_rtcp(&mut self, buf: &mut [u8], len: usize) -> Result<usize> {
        let pkt = buf.get(..len).ok_or(Error::InvalidParameter)?;
        if len < 8 || pkt[0] >> 6 != 2 {
            return Err(Error::Parse);
        }
        let out_len = len + self.rtcp_overhead();
        if buf.len() < out_len {
            return Err(Error::BufferTooSmall);
        }
        let ssrc = be32(buf, 4)?;
        let key = self.keys.get(self.send_key).ok_or(Error::UnknownKey)?;
        if key.rtcp_packets >= self.max_rtcp_packets {
            return Err(Error::KeyExhausted);
        }
        let slot = self.streams.find(ssrc);
        let index = match slot {
            Some(s) => self.streams.get(s).rtcp_tx_next,
            None => {
                if self.streams.is_full() {
                    return Err(Error::CapacityExceeded);
                }
                0
            }
        };
        if index > MAX_SRTCP_INDEX {
            return Err(Error::KeyExhausted);
        }
        let tag_len = self.profile.rtcp_tag_len();
        let mki_len = self.mki_len;
        let mki = key.mki;
        let keys = &key.rtcp;
        let encrypt = self.profile.encrypts();
        let word = if encrypt { index | E_FLAG } else { index };
        match &keys.cipher {
            CipherState::Gcm(g) => {
                // header | ciphertext | tag | E||index | [MKI]
                let iv = gcm_rtcp_iv(&keys.salt, ssrc, index);
                let mut aad = [0u8; 12];
                aad[..8].copy_from_slice(&buf[..8]);
                aad[8..].copy_from_slice(&word.to_be_bytes());
                let tag = g.seal(&iv, &aad, &mut buf[8..len])?;
                buf[len..len + tag_len].copy_from_slice(&tag[..tag_len]);
                let w = len + tag_len;
                buf[w..w + 4].copy_from_slice(&word.to_be_bytes());
                buf[w + 4..w + 4 + mki_len].copy_from_slice(&mki[..mki_len]);
            }
            other => {
                // header | encrypted | E||index | [MKI] | tag
                if let CipherState::AesCm(c) = other {
                    let iv = srtp_iv(&keys.salt, ssrc, index as u64);
                    c.apply_keystream(&iv, &mut buf[8..len]);
                }
                buf[len..len + 4].copy_from_slice(&word.to_be_bytes());
                let auth = keys.auth.as_ref().ok_or(Error::InvalidParameter)?;
                let tag = auth.mac(&buf[..len + 4], &[]);
                let m = len + 4;
                buf[m..m + mki_len].copy_from_slice(&mki[..mki_len]);
                buf[m + mki_len..out_len].copy_from_slice(&tag[..tag_len]);
            }
        }
        let slot = match slot {
            Some(s) => s,
            None => self.streams.find_or_insert(ssrc)?,
        };
        self.streams.get_mut(slot).rtcp_tx_next = index + 1;
        if let Some(k) = self.keys.get_mut(self.send_key) {
            k.rtcp_packets += 1;
        }
        Ok(out_len)
    }

    /// Verifies and decrypts the SRTCP packet in `buf[..len]` in place and returns the RTCP
    /// length. On any error the session is unchanged.
    pub fn unprotect_rtcp(&mut self, buf: &mut [u8], len: usize) -> Result<usize> {
        let pkt = buf.get(..len).ok_or(Error::InvalidParameter)?;
        let tag_len = self.profile.rtcp_tag_len();
        let mki_len = self.mki_len;
        let body_len = len
            .checked_sub(SRTCP_INDEX_LEN + tag_len + mki_len)
            .ok_or(Error::Parse)?;
        if body_len < 8 || pkt[0] >> 6 != 2 {
            return Err(Error::Parse);
        }
        let aead = self.profile.is_aead();
        let (word_at, mki_at, tag_at) = if aead {
            // header | ciphertext | tag | E||index | [MKI]
            (body_len + tag_len, body_len + tag_len + 4, body_len)
        } else {
            // header | encrypted | E||index | [MKI] | tag
            (body_len, body_len + 4, body_len + 4 + mki_len)
        };
        let ki = if mki_len == 0 {
            self.send_key
        } else {
            self.find_key(&pkt[mki_at..mki_at + mki_len])
                .ok_or(Error::UnknownKey)?
        };
        let key = self.keys.get(ki).ok_or(Error::UnknownKey)?;
        if key.rtcp_packets >= self.max_rtcp_packets {
            return Err(Error::KeyExhausted);
        }
        let ssrc = be32(pkt, 4)?;
        let word = be32(pkt, word_at)?;
        let encrypted = word & E_FLAG != 0;
        let index = word & MAX_SRTCP_INDEX;
        let slot = self.streams.find(ssrc);
        match slot {
            Some(s) => self.streams.get(s).rtcp_rx.check(index as u64)?,
            None => {
                if self.streams.is_full() {
                    return Err(Error::CapacityExceeded);
                }
            }
        }
        let keys = &key.rtcp;
        match &keys.cipher {
            CipherState::Gcm(g) => {
                let iv = gcm_rtcp_iv(&keys.salt, ssrc, index);
                let mut tag = [0u8; 16];
                tag.copy_from_slice(&buf[tag_at..tag_at + 16]);
                if !encrypted {
                    // RFC 7714 §9.3 lets a sender leave SRTCP unencrypted under GCM; this
                    // library never does, and does not accept it.
                    return Err(Error::Unsupported);
                }
                let mut aad = [0u8; 12];
                aad[..8].copy_from_slice(&buf[..8]);
                aad[8..].copy_from_slice(&word.to_be_bytes());
                let ok = g.open(&iv, &aad, &mut buf[8..body_len], &tag);
                if !ok {
                    return Err(Error::AuthFailed);
                }
            }
            other => {
                let auth = keys.auth.as_ref().ok_or(Error::InvalidParameter)?;
                let tag = auth.mac(&buf[..body_len + 4], &[]);
                if !bool::from(tag[..tag_len].ct_eq(&buf[tag_at..tag_at + tag_len])) {
                    return Err(Error::AuthFailed);
                }
                if encrypted {
                    if let CipherState::AesCm(c) = other {
                        let iv = srtp_iv(&keys.salt, ssrc, index as u64);
                        c.apply_keystream(&iv, &mut buf[8..body_len]);
                    }
                }
            }
        }
        let slot = match slot {
            Some(s) => s,
            None => self.streams.find_or_insert(ssrc)?,
        };
        self.streams.get_mut(slot).rtcp_rx.update(index as u64);
        if let Some(k) = self.keys.get_mut(ki) {
            k.rtcp_packets += 1;
        }
        Ok(body_len)
    }

    /// Protects many RTP packets in one call: `packets[i] = (buffer, length)`, and
    /// `results[i]` receives the SRTP length or the packet's error (the others go on).
    /// `InvalidParameter` if `results` is shorter than `packets`. No allocation.
    pub fn protect_rtp_batch(
        &mut self,
        packets: &mut [(&mut [u8], usize)],
        results: &mut [Result<usize>],
    ) -> Result<()> {
        if results.len() < packets.len() {
            return Err(Error::InvalidParameter);
        }
        for ((buf, len), r) in packets.iter_mut().zip(results.iter_mut()) {
            *r = self.protect_rtp(buf, *len);
        }
        Ok(())
    }

    /// Unprotects many SRTP packets in one call; see [`Session::protect_rtp_batch`].
    pub fn unprotect_rtp_batch(
        &mut self,
        packets: &mut [(&mut [u8], usize)],
        results: &mut [Result<usize>],
    ) -> Result<()> {
        if results.len() < packets.len() {
            return Err(Error::InvalidParameter);
        }
        for ((buf, len), r) in packets.iter_mut().zip(results.iter_mut()) {
            *r = self.unprotect_rtp(buf, *len);
        }
        Ok(())
    }

    /// Protects many RTCP packets in one call; see [`Session::protect_rtp_batch`].
    pub fn protect_rtcp_batch(
        &mut self,
        packets: &mut [(&mut [u8], usize)],
        results: &mut [Result<usize>],
    ) -> Result<()> {
        if results.len() < packets.len() {
            return Err(Error::InvalidParameter);
        }
        for ((buf, len), r) in packets.iter_mut().zip(results.iter_mut()) {
            *r = self.protect_rtcp(buf, *len);
        }
        Ok(())
    }

    /// Unprotects many SRTCP packets in one call; see [`Session::protect_rtp_batch`].
    pub fn unprotect_rtcp_batch(
        &mut self,
        packets: &mut [(&mut [u8], usize)],
        results: &mut [Result<usize>],
    ) -> Result<()> {
        if results.len() < packets.len() {
            return Err(Error::InvalidParameter);
        }
        for ((buf, len), r) in packets.iter_mut().zip(results.iter_mut()) {
            *r = self.unprotect_rtcp(buf, *len);
        }
        Ok(())
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
