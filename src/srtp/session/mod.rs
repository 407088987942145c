//! The SRTP/SRTCP session: keys, per-SSRC streams, and the in-place packet transforms.
//!
//! - `mod.rs`: the session, its master keys and streams, and the checks every packet passes
//!   whether RTP or RTCP (lengths, MKI, key budget);
//! - `rtp.rs`: SRTP protect and unprotect;
//! - `rtcp.rs`: SRTCP protect and unprotect;
//! - `batch.rs`: the batch forms, many packets per multi-buffer call.

mod batch;
mod rtcp;
mod rtp;

use super::keys::{check_key, KeySet, MasterKey, Policy};
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

#[inline]
fn be32(b: &[u8], at: usize) -> Result<u32> {
    let s = b.get(at..at + 4).ok_or(Error::Parse)?;
    Ok(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
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

    /// The checks an outgoing packet passes first, RTP or RTCP: `buf[..len]` is there, and the
    /// protected packet (`overhead` more octets) fits both the protocol's limit and `buf`.
    /// Returns the packet and its protected length. `header` checks the packet's own header
    /// (and returns what it measured) between the two.
    #[inline]
    fn outgoing<'b, H>(
        &self,
        buf: &'b [u8],
        len: usize,
        overhead: usize,
        header: impl FnOnce(&[u8]) -> Result<H>,
    ) -> Result<(&'b [u8], usize, H)> {
        let pkt = buf.get(..len).ok_or(Error::InvalidParameter)?;
        let h = header(pkt)?;
        let out_len = len + overhead;
        if out_len > super::MAX_PACKET_LEN {
            return Err(Error::InvalidParameter);
        }
        if buf.len() < out_len {
            return Err(Error::BufferTooSmall);
        }
        Ok((pkt, out_len, h))
    }

    /// The checks an incoming packet passes first, RTP or RTCP: `buf[..len]` is there, within
    /// the protocol's limit, and longer than its `trailer` (tag, MKI and, for SRTCP, the index
    /// word). Returns the packet and the length before the trailer.
    #[inline]
    fn incoming<'b>(&self, buf: &'b [u8], len: usize, trailer: usize) -> Result<(&'b [u8], usize)> {
        let pkt = buf.get(..len).ok_or(Error::InvalidParameter)?;
        if len > super::MAX_PACKET_LEN {
            return Err(Error::InvalidParameter);
        }
        let body_len = len.checked_sub(trailer).ok_or(Error::Parse)?;
        Ok((pkt, body_len))
    }

    /// The master key an incoming packet names with the MKI at `pkt[mki_at..]` (the sending
    /// key in a session without MKI), checked against its budget of `rtcp` or RTP packets.
    #[inline]
    fn receiving_key(&self, pkt: &[u8], mki_at: usize, rtcp: bool) -> Result<usize> {
        let mki_len = self.mki_len;
        let ki = if mki_len == 0 {
            self.send_key
        } else {
            self.find_key(&pkt[mki_at..mki_at + mki_len])
                .ok_or(Error::UnknownKey)?
        };
        self.key_budget(ki, rtcp)?;
        Ok(ki)
    }

    /// `KeyExhausted` once key `ki` has secured its limit of `rtcp` or RTP packets.
    #[inline]
    fn key_budget(&self, ki: usize, rtcp: bool) -> Result<()> {
        let key = self.keys.get(ki).ok_or(Error::UnknownKey)?;
        let (used, max) = if rtcp {
            (key.rtcp_packets, self.max_rtcp_packets)
        } else {
            (key.rtp_packets, self.max_rtp_packets)
        };
        if used >= max {
            return Err(Error::KeyExhausted);
        }
        Ok(())
    }
}
