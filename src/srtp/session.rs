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
    /// Portable code only (see [`Policy::force_portable`]).
    portable: bool,
    /// See [`Policy::require_encrypted_srtcp`].
    require_encrypted_srtcp: bool,
    /// See [`Session::set_allow_repeat_tx`].
    allow_repeat_tx: bool,
}

impl Session {
    /// Builds a session: derives every session key and allocates every stream slot now, so
    /// no packet allocates.
    pub fn new(policy: &Policy) -> Result<Session> {
        policy.validate()?;
        let mut keys = Vec::with_capacity(policy.max_keys);
        for mk in &policy.keys {
            keys.push(KeySet::new(policy.profile, mk, policy.force_portable)?);
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
            portable: policy.force_portable,
            require_encrypted_srtcp: policy.require_encrypted_srtcp,
            allow_repeat_tx: false,
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
            portable: false,
            require_encrypted_srtcp: false,
            allow_repeat_tx: false,
        })
    }

    /// Lets the sender protect again an RTP packet whose index it already protected (a
    /// retransmission), as libsrtp's `allow_repeat_tx` does; default false. Indexes older than
    /// the replay window stay refused. The repeated packet reuses the keystream (and, under
    /// AEAD profiles, the nonce) of the first: it must carry exactly the same payload, or
    /// confidentiality is lost. Only for stacks that need libsrtp's behaviour.
    pub fn set_allow_repeat_tx(&mut self, allow: bool) {
        self.allow_repeat_tx = allow;
    }

    /// Whether repeated sending of an index is allowed (see [`Session::set_allow_repeat_tx`]).
    pub fn allow_repeat_tx(&self) -> bool {
        self.allow_repeat_tx
    }

    /// The SRTP and SRTCP packets protected or accepted so far under the master key named
    /// `mki` (empty for a session without MKI), over all streams: what the key-usage limits
    /// count. `None` if no key has that MKI.
    pub fn key_packets(&self, mki: &[u8]) -> Option<(u64, u64)> {
        let k = self.keys.get(self.find_key(mki)?)?;
        Some((k.rtp_packets, k.rtcp_packets))
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

    /// The SSRCs currently tracked (their order is unspecified). With [`Session::roc`] this
    /// lets a caller carry each stream's ROC into a session under new keys.
    pub fn ssrcs(&self) -> impl Iterator<Item = u32> + '_ {
        self.streams.ssrcs()
    }

    /// Frees the stream slot of an SSRC (e.g. on RTCP BYE). Returns whether it was live.
    ///
    /// The session keeps the SSRC's highest sent and received indexes and its next SRTCP index
    /// for the rest of its life (under these keys an SSRC must never start again from zero: a
    /// sender would reuse keystream and GCM nonces, a receiver would accept old packets again),
    /// so an SSRC that comes back resumes where it was. It remembers up to
    /// [`super::RETIRED_STREAMS_PER_SLOT`] removed SSRCs per stream slot; past that
    /// `CapacityExceeded`, and the stream stays: a group that churns through more members than
    /// that needs a new key, which starts a new session.
    pub fn remove_stream(&mut self, ssrc: u32) -> Result<bool> {
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
    /// creating the stream if absent.
    ///
    /// Receiving: a stream that has received nothing takes the ROC (its first packet's index is
    /// `roc * 2^16 + seq`); a started one is left alone when the ROC equals its own (a re-sent
    /// offer must not reopen the replay window), restarts on a forward move, and refuses a
    /// smaller ROC (`InvalidParameter`: a stale offer must not move a wrapped stream back).
    /// Sending: the state takes the ROC if it has sent nothing yet or if the ROC moves forward;
    /// moving a sender backwards would reuse keystream and is refused (`InvalidParameter`).
    /// On error nothing changes.
    pub fn set_roc(&mut self, ssrc: u32, roc: u32) -> Result<()> {
        let (tx, rx) = match self.streams.find(ssrc) {
            Some(slot) => {
                let st = self.streams.get(slot);
                (
                    st.tx.window.started().then(|| st.tx.roc()),
                    st.rx.window.started().then(|| st.rx.roc()),
                )
            }
            None => match self.streams.retired(ssrc) {
                Some(r) => (
                    r.tx.top.map(|t| (t >> 16) as u32),
                    r.rx.top.map(|t| (t >> 16) as u32),
                ),
                None => (None, None),
            },
        };
        if tx.is_some_and(|t| roc < t) || rx.is_some_and(|r| roc < r) {
            return Err(Error::InvalidParameter);
        }
        let slot = self.streams.find_or_insert(ssrc)?;
        let st = self.streams.get_mut(slot);
        if rx.is_none_or(|r| roc > r) {
            st.rx.restart(roc);
        }
        if tx.is_none_or(|t| roc > t) {
            st.tx.restart(roc);
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
        } else if let Some(r) = self.streams.retired(ssrc) {
            if next_index < r.rtcp_tx_next {
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
        self.keys
            .push(KeySet::new(self.profile, &key, self.portable)?);
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
    fn protect_rtp_claim(&mut self, buf: &[u8], len: usize) -> Result<Claim> {
        let pkt = buf.get(..len).ok_or(Error::InvalidParameter)?;
        let h = rtp_header_len(pkt)?;
        let out_len = len + self.rtp_overhead();
        if out_len > super::MAX_PACKET_LEN {
            return Err(Error::InvalidParameter);
        }
        if buf.len() < out_len {
            return Err(Error::BufferTooSmall);
        }
        let seq = u16::from_be_bytes([pkt[2], pkt[3]]);
        let ssrc = be32(pkt, 8)?;
        let key = self.keys.get(self.send_key).ok_or(Error::UnknownKey)?;
        if key.rtp_packets >= self.max_rtp_packets {
            return Err(Error::KeyExhausted);
        }
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
    fn write_rtp_trailer(&self, buf: &mut [u8], c: &Claim, tag: &[u8; 20]) {
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
    fn unprotect_rtp_check(&self, buf: &[u8], len: usize) -> Result<Check> {
        let pkt = buf.get(..len).ok_or(Error::InvalidParameter)?;
        if len > super::MAX_PACKET_LEN {
            return Err(Error::InvalidParameter);
        }
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
        Ok(Check {
            ki,
            h,
            body_len,
            tag_at,
            ssrc,
            index,
            known: slot.is_some(),
        })
    }

    /// Records an authenticated SRTP packet.
    #[inline]
    fn unprotect_rtp_commit(&mut self, c: &Check) -> Result<usize> {
        let slot = self.streams.find_or_insert(c.ssrc)?;
        self.streams.get_mut(slot).rx.window.update(c.index);
        if let Some(k) = self.keys.get_mut(c.ki) {
            k.rtp_packets += 1;
        }
        Ok(c.body_len)
    }

    /// Up to `LANES` packets of an HMAC profile: check each, authenticate them all in one
    /// multi-buffer call, then accept them in order, re-checking each against the state the
    /// earlier ones left (so a batch gives exactly what the single calls give).
    fn unprotect_rtp_lanes(&mut self, pk: &mut [(&mut [u8], usize)], rs: &mut [Result<usize>]) {
        let mut checks = [Check::EMPTY; LANES];
        let mut ok = [false; LANES];
        for (i, (buf, len)) in pk.iter().enumerate() {
            match self.unprotect_rtp_check(buf, *len) {
                Ok(c) => {
                    checks[i] = c;
                    ok[i] = true;
                }
                Err(e) => rs[i] = Err(e),
            }
        }
        // The ROC goes right after the authenticated octets (over the trailer, saved first and
        // restored after hashing) so each message is contiguous.
        let mut saved = [[0u8; 4]; LANES];
        for (i, (buf, _)) in pk.iter_mut().enumerate() {
            if ok[i] {
                let at = checks[i].body_len;
                saved[i].copy_from_slice(&buf[at..at + 4]);
                buf[at..at + 4].copy_from_slice(&((checks[i].index >> 16) as u32).to_be_bytes());
            }
        }
        let mut tags = [[0u8; 20]; LANES];
        let mut done = [false; LANES];
        // One multi-buffer call per master key present in the batch (usually one).
        for first in 0..pk.len() {
            if !ok[first] || done[first] {
                continue;
            }
            let ki = checks[first].ki;
            let Some(auth) = self.keys.get(ki).and_then(|k| k.rtp.auth.as_ref()) else {
                continue;
            };
            let mut msgs: [&[u8]; LANES] = [&[]; LANES];
            let mut lane = [0usize; LANES];
            let mut n = 0;
            for (i, (buf, _)) in pk.iter().enumerate().skip(first) {
                if ok[i] && !done[i] && checks[i].ki == ki {
                    msgs[n] = &buf[..checks[i].body_len + 4];
                    lane[n] = i;
                    done[i] = true;
                    n += 1;
                }
            }
            let mut out = [[0u8; 20]; LANES];
            hmac_many(auth, &msgs[..n], &mut out[..n]);
            for j in 0..n {
                tags[lane[j]] = out[j];
            }
        }
        for (i, (buf, _)) in pk.iter_mut().enumerate() {
            if ok[i] {
                let at = checks[i].body_len;
                buf[at..at + 4].copy_from_slice(&saved[i]);
            }
        }
        let tag_len = self.profile.rtp_tag_len();
        // Packets accepted here and still to be decrypted.
        let mut accepted = [false; LANES];
        // SSRCs whose state this batch changed, and whether it added a stream.
        let mut committed = [0u32; LANES];
        let mut n_committed = 0;
        let mut inserted = false;
        for (i, (buf, len)) in pk.iter_mut().enumerate() {
            if !ok[i] {
                // Refused against the state from before the batch: if an earlier packet of the
                // batch changed that state (e.g. moved its stream into the next ROC), the
                // refusal may be stale; decide it again the long way, as one by one would.
                if n_committed > 0 {
                    let r = self.unprotect_rtp(buf, *len);
                    if r.is_ok() {
                        if let Ok(ssrc) = be32(buf, 8) {
                            if n_committed < LANES {
                                committed[n_committed] = ssrc;
                                n_committed += 1;
                            }
                        }
                        // It may have added a stream: later packets re-check the table.
                        inserted = true;
                    }
                    rs[i] = r;
                }
                continue;
            }
            // Re-check against the state the earlier packets of this batch left, where they
            // could have changed it: the same stream, or the table when this one is new. The
            // key budget is always re-read.
            let first = checks[i];
            let stale =
                committed[..n_committed].contains(&first.ssrc) || (inserted && !first.known);
            let c = if stale {
                match self.unprotect_rtp_check(buf, *len) {
                    Ok(c) => c,
                    Err(e) => {
                        rs[i] = Err(e);
                        continue;
                    }
                }
            } else {
                match self.keys.get(first.ki) {
                    Some(k) if k.rtp_packets < self.max_rtp_packets => first,
                    Some(_) => {
                        rs[i] = Err(Error::KeyExhausted);
                        continue;
                    }
                    None => {
                        rs[i] = Err(Error::UnknownKey);
                        continue;
                    }
                }
            };
            let r = if c.index != first.index || c.ki != first.ki || !done[i] {
                // The index estimate moved (a wrap inside the batch): do it the long way.
                self.unprotect_rtp(buf, *len)
            } else if !bool::from(tags[i][..tag_len].ct_eq(&buf[c.tag_at..c.tag_at + tag_len])) {
                Err(Error::AuthFailed)
            } else {
                let r = self.unprotect_rtp_commit(&c);
                if r.is_ok() {
                    accepted[i] = true;
                    checks[i] = c;
                }
                r
            };
            if r.is_ok() {
                committed[n_committed] = c.ssrc;
                n_committed += 1;
                inserted |= !c.known;
            }
            rs[i] = r;
        }
        // Decrypt the accepted packets, one keystream call per master key.
        for first in 0..pk.len() {
            if !accepted[first] {
                continue;
            }
            let ki = checks[first].ki;
            let Some(keys) = self.keys.get(ki).map(|k| &k.rtp) else {
                continue;
            };
            let CipherState::AesCm(a) = &keys.cipher else {
                // NULL cipher: nothing to decrypt.
                for i in first..pk.len() {
                    if checks[i].ki == ki {
                        accepted[i] = false;
                    }
                }
                continue;
            };
            let mut ivs = [[0u8; 16]; LANES];
            let mut datas: [&mut [u8]; LANES] = Default::default();
            let mut n = 0;
            for (i, (buf, _)) in pk.iter_mut().enumerate().skip(first) {
                if accepted[i] && checks[i].ki == ki {
                    let c = &checks[i];
                    ivs[n] = srtp_iv(&keys.salt, c.ssrc, c.index);
                    datas[n] = &mut buf[c.h..c.body_len];
                    accepted[i] = false;
                    n += 1;
                }
            }
            a.apply_keystream_many(&ivs[..n], &mut datas[..n]);
        }
    }

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
    fn protect_rtcp_claim(&mut self, buf: &[u8], len: usize) -> Result<RtcpClaim> {
        let pkt = buf.get(..len).ok_or(Error::InvalidParameter)?;
        if len < 8 || pkt[0] >> 6 != 2 {
            return Err(Error::Parse);
        }
        let out_len = len + self.rtcp_overhead();
        if out_len > super::MAX_PACKET_LEN {
            return Err(Error::InvalidParameter);
        }
        if buf.len() < out_len {
            return Err(Error::BufferTooSmall);
        }
        let ssrc = be32(pkt, 4)?;
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
    fn write_rtcp_trailer(&self, buf: &mut [u8], c: &RtcpClaim, tag: &[u8; 20]) {
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
    fn unprotect_rtcp_check(&self, buf: &[u8], len: usize) -> Result<RtcpCheck> {
        let pkt = buf.get(..len).ok_or(Error::InvalidParameter)?;
        if len > super::MAX_PACKET_LEN {
            return Err(Error::InvalidParameter);
        }
        let tag_len = self.profile.rtcp_tag_len();
        let mki_len = self.mki_len;
        let body_len = len
            .checked_sub(SRTCP_INDEX_LEN + tag_len + mki_len)
            .ok_or(Error::Parse)?;
        if body_len < 8 || pkt[0] >> 6 != 2 {
            return Err(Error::Parse);
        }
        let (word_at, mki_at, tag_at) = if self.profile.is_aead() {
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
    fn unprotect_rtcp_commit(&mut self, c: &RtcpCheck) -> Result<usize> {
        let slot = self.streams.find_or_insert(c.ssrc)?;
        self.streams.get_mut(slot).rtcp_rx.update(c.index as u64);
        if let Some(k) = self.keys.get_mut(c.ki) {
            k.rtcp_packets += 1;
        }
        Ok(c.body_len)
    }

    /// Up to `LANES` SRTCP packets of an HMAC profile, as [`Session::protect_rtp_lanes`].
    fn protect_rtcp_lanes(&mut self, pk: &mut [(&mut [u8], usize)], rs: &mut [Result<usize>]) {
        let mut claims = [RtcpClaim::EMPTY; LANES];
        let mut ok = [false; LANES];
        for (i, (buf, len)) in pk.iter().enumerate() {
            match self.protect_rtcp_claim(buf, *len) {
                Ok(c) => {
                    claims[i] = c;
                    ok[i] = true;
                }
                Err(e) => rs[i] = Err(e),
            }
        }
        let Some(keys) = self.keys.get(self.send_key).map(|k| &k.rtcp) else {
            return;
        };
        let Some(auth) = &keys.auth else {
            return;
        };
        for (i, (buf, _)) in pk.iter_mut().enumerate() {
            if ok[i] {
                let c = &claims[i];
                encrypt_rtcp_cm(keys, buf, c);
                buf[c.len..c.len + 4].copy_from_slice(&c.word.to_be_bytes());
            }
        }
        let mut tags = [[0u8; 20]; LANES];
        {
            let mut msgs: [&[u8]; LANES] = [&[]; LANES];
            let mut n = 0;
            for (i, (buf, _)) in pk.iter().enumerate() {
                if ok[i] {
                    msgs[n] = &buf[..claims[i].len + 4];
                    n += 1;
                }
            }
            hmac_many(auth, &msgs[..n], &mut tags[..n]);
        }
        let mut n = 0;
        for (i, (buf, _)) in pk.iter_mut().enumerate() {
            if ok[i] {
                self.write_rtcp_trailer(buf, &claims[i], &tags[n]);
                rs[i] = Ok(claims[i].out_len);
                n += 1;
            }
        }
    }

    /// Up to `LANES` SRTCP packets of an HMAC profile, as [`Session::unprotect_rtp_lanes`].
    fn unprotect_rtcp_lanes(&mut self, pk: &mut [(&mut [u8], usize)], rs: &mut [Result<usize>]) {
        let mut checks = [RtcpCheck::EMPTY; LANES];
        let mut ok = [false; LANES];
        for (i, (buf, len)) in pk.iter().enumerate() {
            match self.unprotect_rtcp_check(buf, *len) {
                Ok(c) => {
                    checks[i] = c;
                    ok[i] = true;
                }
                Err(e) => rs[i] = Err(e),
            }
        }
        let mut tags = [[0u8; 20]; LANES];
        let mut done = [false; LANES];
        for first in 0..pk.len() {
            if !ok[first] || done[first] {
                continue;
            }
            let ki = checks[first].ki;
            let Some(auth) = self.keys.get(ki).and_then(|k| k.rtcp.auth.as_ref()) else {
                continue;
            };
            let mut msgs: [&[u8]; LANES] = [&[]; LANES];
            let mut lane = [0usize; LANES];
            let mut n = 0;
            for (i, (buf, _)) in pk.iter().enumerate().skip(first) {
                if ok[i] && !done[i] && checks[i].ki == ki {
                    msgs[n] = &buf[..checks[i].body_len + 4];
                    lane[n] = i;
                    done[i] = true;
                    n += 1;
                }
            }
            let mut out = [[0u8; 20]; LANES];
            hmac_many(auth, &msgs[..n], &mut out[..n]);
            for j in 0..n {
                tags[lane[j]] = out[j];
            }
        }
        let tag_len = self.profile.rtcp_tag_len();
        for (i, (buf, len)) in pk.iter_mut().enumerate() {
            if !ok[i] {
                continue;
            }
            // Re-check against the state the earlier packets of this batch left.
            let c = match self.unprotect_rtcp_check(buf, *len) {
                Ok(c) => c,
                Err(e) => {
                    rs[i] = Err(e);
                    continue;
                }
            };
            if c.ki != checks[i].ki || !done[i] {
                rs[i] = self.unprotect_rtcp(buf, *len);
                continue;
            }
            let Some(keys) = self.keys.get(c.ki).map(|k| &k.rtcp) else {
                rs[i] = Err(Error::UnknownKey);
                continue;
            };
            if !bool::from(tags[i][..tag_len].ct_eq(&buf[c.tag_at..c.tag_at + tag_len])) {
                rs[i] = Err(Error::AuthFailed);
                continue;
            }
            decrypt_rtcp_cm(keys, buf, &c);
            rs[i] = self.unprotect_rtcp_commit(&c);
        }
    }

    /// Protects many RTP packets in one call: `packets[i] = (buffer, length)`, and
    /// `results[i]` receives the SRTP length or the packet's error (the others go on).
    /// `InvalidParameter` if `results` is shorter than `packets`. No allocation.
    pub fn protect_rtp_batch(
        &mut self,
        packets: &mut [(&mut [u8], usize)],
        results: &mut [Result<usize>],
    ) -> Result<()> {
        self.batch(
            packets,
            results,
            Session::protect_rtp,
            Session::protect_rtp_lanes,
        )
    }

    /// Up to `LANES` packets of an HMAC profile: claim every index in order (exactly as the
    /// single calls would), encrypt, then authenticate them all in one multi-buffer call.
    fn protect_rtp_lanes(&mut self, pk: &mut [(&mut [u8], usize)], rs: &mut [Result<usize>]) {
        let mut claims = [Claim::EMPTY; LANES];
        let mut ok = [false; LANES];
        for (i, (buf, len)) in pk.iter().enumerate() {
            match self.protect_rtp_claim(buf, *len) {
                Ok(c) => {
                    claims[i] = c;
                    ok[i] = true;
                }
                Err(e) => rs[i] = Err(e),
            }
        }
        let Some(keys) = self.keys.get(self.send_key).map(|k| &k.rtp) else {
            return;
        };
        let Some(auth) = &keys.auth else {
            return;
        };
        // Encrypt, and put the ROC after each packet so the authenticated octets are contiguous
        // (the trailer overwrites it afterwards).
        {
            let mut ivs = [[0u8; 16]; LANES];
            let mut datas: [&mut [u8]; LANES] = Default::default();
            let mut n = 0;
            for (i, (buf, _)) in pk.iter_mut().enumerate() {
                if ok[i] {
                    let c = &claims[i];
                    let (pkt, spare) = buf.split_at_mut(c.len);
                    spare[..4].copy_from_slice(&c.roc_bytes());
                    ivs[n] = srtp_iv(&keys.salt, c.ssrc, c.index);
                    datas[n] = &mut pkt[c.h..];
                    n += 1;
                }
            }
            if let CipherState::AesCm(a) = &keys.cipher {
                a.apply_keystream_many(&ivs[..n], &mut datas[..n]);
            }
        }
        let mut tags = [[0u8; 20]; LANES];
        {
            let mut msgs: [&[u8]; LANES] = [&[]; LANES];
            let mut n = 0;
            for (i, (buf, _)) in pk.iter().enumerate() {
                if ok[i] {
                    msgs[n] = &buf[..claims[i].len + 4];
                    n += 1;
                }
            }
            hmac_many(auth, &msgs[..n], &mut tags[..n]);
        }
        let mut n = 0;
        for (i, (buf, _)) in pk.iter_mut().enumerate() {
            if ok[i] {
                self.write_rtp_trailer(buf, &claims[i], &tags[n]);
                rs[i] = Ok(claims[i].out_len);
                n += 1;
            }
        }
    }

    /// Unprotects many SRTP packets in one call; see [`Session::protect_rtp_batch`].
    pub fn unprotect_rtp_batch(
        &mut self,
        packets: &mut [(&mut [u8], usize)],
        results: &mut [Result<usize>],
    ) -> Result<()> {
        self.batch(
            packets,
            results,
            Session::unprotect_rtp,
            Session::unprotect_rtp_lanes,
        )
    }

    /// Protects many RTCP packets in one call; see [`Session::protect_rtp_batch`].
    pub fn protect_rtcp_batch(
        &mut self,
        packets: &mut [(&mut [u8], usize)],
        results: &mut [Result<usize>],
    ) -> Result<()> {
        self.batch(
            packets,
            results,
            Session::protect_rtcp,
            Session::protect_rtcp_lanes,
        )
    }

    /// Unprotects many SRTCP packets in one call; see [`Session::protect_rtp_batch`].
    pub fn unprotect_rtcp_batch(
        &mut self,
        packets: &mut [(&mut [u8], usize)],
        results: &mut [Result<usize>],
    ) -> Result<()> {
        self.batch(
            packets,
            results,
            Session::unprotect_rtcp,
            Session::unprotect_rtcp_lanes,
        )
    }
}

/// Packets handled together by the batch forms (the width of the multi-buffer HMAC kernel).
const LANES: usize = 16;

type Single = fn(&mut Session, &mut [u8], usize) -> Result<usize>;
type Lanes = fn(&mut Session, &mut [(&mut [u8], usize)], &mut [Result<usize>]);

impl Session {
    /// The batch forms: AEAD profiles packet by packet (there is no multi-packet GCM kernel),
    /// HMAC profiles `LANES` packets at a time through the multi-buffer path.
    fn batch(
        &mut self,
        packets: &mut [(&mut [u8], usize)],
        results: &mut [Result<usize>],
        single: Single,
        lanes: Lanes,
    ) -> Result<()> {
        if results.len() < packets.len() {
            return Err(Error::InvalidParameter);
        }
        if self.profile.is_aead() {
            for ((buf, len), r) in packets.iter_mut().zip(results.iter_mut()) {
                *r = single(self, buf, *len);
            }
            return Ok(());
        }
        for (pk, rs) in packets.chunks_mut(LANES).zip(results.chunks_mut(LANES)) {
            lanes(self, pk, rs);
        }
        Ok(())
    }
}

/// A claimed SRTP index and where the packet's parts are.
#[derive(Clone, Copy, Debug)]
struct Claim {
    /// Header length.
    h: usize,
    /// RTP length.
    len: usize,
    /// SRTP length.
    out_len: usize,
    ssrc: u32,
    index: u64,
}

impl Claim {
    const EMPTY: Claim = Claim {
        h: 0,
        len: 0,
        out_len: 0,
        ssrc: 0,
        index: 0,
    };

    #[inline]
    fn roc_bytes(&self) -> [u8; 4] {
        ((self.index >> 16) as u32).to_be_bytes()
    }
}

/// A claimed SRTCP index.
#[derive(Clone, Copy, Debug)]
struct RtcpClaim {
    /// RTCP length.
    len: usize,
    /// SRTCP length.
    out_len: usize,
    ssrc: u32,
    index: u32,
    /// The `E || index` word.
    word: u32,
}

impl RtcpClaim {
    const EMPTY: RtcpClaim = RtcpClaim {
        len: 0,
        out_len: 0,
        ssrc: 0,
        index: 0,
        word: 0,
    };
}

/// What [`Session::unprotect_rtcp_check`] found out about a packet.
#[derive(Clone, Copy, Debug)]
struct RtcpCheck {
    ki: usize,
    /// RTCP length after unprotecting.
    body_len: usize,
    tag_at: usize,
    ssrc: u32,
    index: u32,
    /// The `E || index` word as received.
    word: u32,
}

impl RtcpCheck {
    const EMPTY: RtcpCheck = RtcpCheck {
        ki: 0,
        body_len: 0,
        tag_at: 0,
        ssrc: 0,
        index: 0,
        word: 0,
    };

    fn encrypted(&self) -> bool {
        self.word & E_FLAG != 0
    }
}

/// Encrypts the body of a claimed SRTCP packet (after its 8-octet header) in place; no-op
/// for the NULL cipher.
#[inline]
fn encrypt_rtcp_cm(keys: &SessionKeys, buf: &mut [u8], c: &RtcpClaim) {
    if let CipherState::AesCm(a) = &keys.cipher {
        let iv = srtp_iv(&keys.salt, c.ssrc, c.index as u64);
        a.apply_keystream(&iv, &mut buf[8..c.len]);
    }
}

/// Decrypts an authenticated SRTCP packet whose E flag is set; no-op otherwise.
#[inline]
fn decrypt_rtcp_cm(keys: &SessionKeys, buf: &mut [u8], c: &RtcpCheck) {
    if c.encrypted() {
        if let CipherState::AesCm(a) = &keys.cipher {
            let iv = srtp_iv(&keys.salt, c.ssrc, c.index as u64);
            a.apply_keystream(&iv, &mut buf[8..c.body_len]);
        }
    }
}

/// What [`Session::unprotect_rtp_check`] found out about a packet.
#[derive(Clone, Copy, Debug)]
struct Check {
    /// Index of the master key in the session.
    ki: usize,
    h: usize,
    /// Length of header and encrypted portion (the RTP length after unprotecting).
    body_len: usize,
    tag_at: usize,
    ssrc: u32,
    index: u64,
    /// Whether the stream existed when checked.
    known: bool,
}

impl Check {
    const EMPTY: Check = Check {
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

/// HMAC-SHA1 of many messages under one key: the multi-buffer kernel where the CPU has one,
/// else one message at a time.
#[inline]
fn hmac_many(auth: &super::auth::HmacSha1, msgs: &[&[u8]], out: &mut [[u8; 20]]) {
    auth.mac_many(msgs, out);
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
