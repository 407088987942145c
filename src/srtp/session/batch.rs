//! The batch forms: many packets per call, HMAC profiles `LANES` at a time through the
//! multi-buffer HMAC-SHA1 path, with exactly the results the single calls would give.

use subtle::ConstantTimeEq;

use super::rtcp::{decrypt_rtcp_cm, encrypt_rtcp_cm, RtcpCheck, RtcpClaim};
use super::rtp::{Check, Claim};
use super::{be32, Session};
use crate::srtp::aes_cm::srtp_iv;
use crate::srtp::keys::CipherState;
use crate::{Error, Result};

/// Packets handled together by the batch forms (the width of the multi-buffer HMAC kernel).
const LANES: usize = 16;

type Single = fn(&mut Session, &mut [u8], usize) -> Result<usize>;
type Lanes = fn(&mut Session, &mut [(&mut [u8], usize)], &mut [Result<usize>]);

impl Session {
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

    /// Up to `LANES` packets of an HMAC profile: claim every index in order (exactly as the
    /// single calls would), encrypt, then authenticate them all in one multi-buffer call.
    fn protect_rtp_lanes(&mut self, pk: &mut [(&mut [u8], usize)], rs: &mut [Result<usize>]) {
        let (claims, ok) =
            self.lanes_checked(pk, rs, Claim::EMPTY, |s, b, l| s.protect_rtp_claim(b, l));
        let Some(keys) = self.keys.get(self.send_key).map(|k| &k.rtp) else {
            return;
        };
        if keys.auth.is_none() {
            return;
        }
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
        let send_key = self.send_key;
        let (tags, done) = self.macs_by_key(pk, &ok, false, |i| (send_key, claims[i].len + 4));
        for (i, (buf, _)) in pk.iter_mut().enumerate() {
            if done[i] {
                self.write_rtp_trailer(buf, &claims[i], &tags[i]);
                rs[i] = Ok(claims[i].out_len);
            }
        }
    }

    /// Up to `LANES` packets of an HMAC profile: check each, authenticate them all in one
    /// multi-buffer call, then accept them in order, re-checking each against the state the
    /// earlier ones left (so a batch gives exactly what the single calls give).
    fn unprotect_rtp_lanes(&mut self, pk: &mut [(&mut [u8], usize)], rs: &mut [Result<usize>]) {
        let (mut checks, ok) =
            self.lanes_checked(pk, rs, Check::EMPTY, |s, b, l| s.unprotect_rtp_check(b, l));
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
        // One multi-buffer call per master key present in the batch (usually one).
        let (tags, done) =
            self.macs_by_key(pk, &ok, false, |i| (checks[i].ki, checks[i].body_len + 4));
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
            // Only the stream's part of the check can have changed (header, MKI and key are
            // the packet's own and the key table is not touched by a batch): re-derive the index
            // from the current stream state.
            let first = checks[i];
            let stale =
                committed[..n_committed].contains(&first.ssrc) || (inserted && !first.known);
            match self.keys.get(first.ki) {
                Some(k) if k.rtp_packets < self.max_rtp_packets => {}
                Some(_) => {
                    rs[i] = Err(Error::KeyExhausted);
                    continue;
                }
                None => {
                    rs[i] = Err(Error::UnknownKey);
                    continue;
                }
            }
            let c = if stale {
                let seq = u16::from_be_bytes([buf[2], buf[3]]);
                match self.rx_index(first.ssrc, seq) {
                    Ok((index, known)) => Check {
                        index,
                        known,
                        ..first
                    },
                    Err(e) => {
                        rs[i] = Err(e);
                        continue;
                    }
                }
            } else {
                first
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

    /// Up to `LANES` SRTCP packets of an HMAC profile, as [`Session::protect_rtp_lanes`].
    fn protect_rtcp_lanes(&mut self, pk: &mut [(&mut [u8], usize)], rs: &mut [Result<usize>]) {
        let (claims, ok) = self.lanes_checked(pk, rs, RtcpClaim::EMPTY, |s, b, l| {
            s.protect_rtcp_claim(b, l)
        });
        let Some(keys) = self.keys.get(self.send_key).map(|k| &k.rtcp) else {
            return;
        };
        if keys.auth.is_none() {
            return;
        }
        for (i, (buf, _)) in pk.iter_mut().enumerate() {
            if ok[i] {
                let c = &claims[i];
                encrypt_rtcp_cm(keys, buf, c);
                buf[c.len..c.len + 4].copy_from_slice(&c.word.to_be_bytes());
            }
        }
        let send_key = self.send_key;
        let (tags, done) = self.macs_by_key(pk, &ok, true, |i| (send_key, claims[i].len + 4));
        for (i, (buf, _)) in pk.iter_mut().enumerate() {
            if done[i] {
                self.write_rtcp_trailer(buf, &claims[i], &tags[i]);
                rs[i] = Ok(claims[i].out_len);
            }
        }
    }

    /// Up to `LANES` SRTCP packets of an HMAC profile, as [`Session::unprotect_rtp_lanes`].
    fn unprotect_rtcp_lanes(&mut self, pk: &mut [(&mut [u8], usize)], rs: &mut [Result<usize>]) {
        let (checks, ok) = self.lanes_checked(pk, rs, RtcpCheck::EMPTY, |s, b, l| {
            s.unprotect_rtcp_check(b, l)
        });
        let (tags, done) =
            self.macs_by_key(pk, &ok, true, |i| (checks[i].ki, checks[i].body_len + 4));
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

    /// Runs `check` (a claim or a pre-authentication check) on each packet in order: its
    /// result and `ok[i]` for those that pass, the error in `rs[i]` for the others.
    #[inline]
    fn lanes_checked<C: Copy>(
        &mut self,
        pk: &[(&mut [u8], usize)],
        rs: &mut [Result<usize>],
        empty: C,
        mut check: impl FnMut(&mut Session, &[u8], usize) -> Result<C>,
    ) -> ([C; LANES], [bool; LANES]) {
        let mut out = [empty; LANES];
        let mut ok = [false; LANES];
        for (i, (buf, len)) in pk.iter().enumerate() {
            match check(self, buf, *len) {
                Ok(c) => {
                    out[i] = c;
                    ok[i] = true;
                }
                Err(e) => rs[i] = Err(e),
            }
        }
        (out, ok)
    }

    /// HMAC-SHA1 of `pk[i].0[..m]` for every lane with `ok[i]`, where `lane(i) = (ki, m)`
    /// names the master key whose SRTCP (`rtcp`) or SRTP authentication key applies: one
    /// multi-buffer call per master key present (usually one). Returns the tags by lane, and
    /// which lanes got one.
    #[inline]
    fn macs_by_key(
        &self,
        pk: &[(&mut [u8], usize)],
        ok: &[bool; LANES],
        rtcp: bool,
        lane: impl Fn(usize) -> (usize, usize),
    ) -> ([[u8; 20]; LANES], [bool; LANES]) {
        let mut tags = [[0u8; 20]; LANES];
        let mut done = [false; LANES];
        for first in 0..pk.len() {
            if !ok[first] || done[first] {
                continue;
            }
            let ki = lane(first).0;
            let Some(auth) = self
                .keys
                .get(ki)
                .and_then(|k| if rtcp { &k.rtcp } else { &k.rtp }.auth.as_ref())
            else {
                continue;
            };
            let mut msgs: [&[u8]; LANES] = [&[]; LANES];
            let mut at = [0usize; LANES];
            let mut n = 0;
            for (i, (buf, _)) in pk.iter().enumerate().skip(first) {
                let (k, m) = lane(i);
                if ok[i] && !done[i] && k == ki {
                    msgs[n] = &buf[..m];
                    at[n] = i;
                    done[i] = true;
                    n += 1;
                }
            }
            let mut out = [[0u8; 20]; LANES];
            auth.mac_many(&msgs[..n], &mut out[..n]);
            for j in 0..n {
                tags[at[j]] = out[j];
            }
        }
        (tags, done)
    }
}
