//! The libsrtp session (`srtp_ctx_t`): streams for specific SSRCs, at most one template stream
//! (`ssrc_any_inbound` or `ssrc_any_outbound`), and the per-packet paths.
//!
//! Each stream is an engine [`Session`] (two when SRTCP's crypto policy is not the SRTCP side
//! of the SRTP profile). A specific stream's session holds its one SSRC; the template's holds
//! every SSRC that came in or went out through it (up to [`TEMPLATE_STREAMS`]), as libsrtp's
//! streams cloned from the template. Everything is allocated when a stream is added; the
//! packet paths only look the stream up and call the engine.

use crate::events::{self, log};
use crate::policy::{engine_policy, keys_of, profile_of, window_of, Keys, Refusal};
use crate::types::*;
use core::ffi::c_void;
use prose_sec::srtp::{Profile, Session, MAX_MKI_LEN};
use prose_sec::Error;

/// SSRCs a template stream tracks at once (libsrtp has no bound; a new SSRC past this one gets
/// `srtp_err_status_alloc_fail`).
pub const TEMPLATE_STREAMS: usize = 256;

/// Events raised while a packet is handled, fired once the session is no longer borrowed (an
/// event handler may call back into the library with the same session, as GStreamer's calls
/// `srtp_get_user_data`). At most two per packet: a collision and a key limit.
#[derive(Default)]
pub(crate) struct Pending {
    ev: [(u32, srtp_event_t); 2],
    n: usize,
}

impl Pending {
    fn push(&mut self, ssrc: u32, event: srtp_event_t) {
        if let Some(slot) = self.ev.get_mut(self.n) {
            *slot = (ssrc, event);
            self.n += 1;
        }
    }

    /// Calls the event handler for each event, in order.
    pub(crate) fn fire(&self, session: *mut c_void) {
        for &(ssrc, event) in &self.ev[..self.n] {
            events::fire(session, ssrc, event);
        }
    }
}

/// libsrtp's stream direction, learnt from the first use (templates: from their type).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Direction {
    Unknown,
    Sender,
    Receiver,
}

/// The engine status mapped to libsrtp's.
pub(crate) fn status(e: Error) -> srtp_err_status_t {
    match e {
        Error::AuthFailed => srtp_err_status_auth_fail,
        Error::ReplayDuplicate => srtp_err_status_replay_fail,
        Error::ReplayTooOld => srtp_err_status_replay_old,
        Error::UnknownKey => srtp_err_status_bad_mki,
        Error::KeyExhausted | Error::KeyExpired => srtp_err_status_key_expired,
        Error::CapacityExceeded => srtp_err_status_alloc_fail,
        Error::BufferTooSmall
        | Error::InvalidParameter
        | Error::Parse
        | Error::InvalidKey
        | Error::Unsupported => srtp_err_status_bad_param,
        _ => srtp_err_status_fail,
    }
}

/// One libsrtp stream.
pub(crate) struct Stream {
    /// Host byte order (specific streams).
    pub(crate) ssrc: u32,
    template: bool,
    direction: Direction,
    rtp: Session,
    /// SRTCP's own session, when its policy differs from the SRTCP side of the SRTP profile.
    rtcp: Option<Session>,
    /// Why SRTCP cannot be protected under this stream's policy, if it cannot.
    rtcp_refused: Option<Refusal>,
    /// MKI of each master key, by libsrtp's key index.
    mkis: Vec<([u8; MAX_MKI_LEN], usize)>,
    mki_len: usize,
    rtp_send: usize,
    rtcp_send: usize,
    soft_limit: u64,
    soft_fired: [bool; SRTP_MAX_NUM_MASTER_KEYS],
    keys: Keys,
    rtp_profile: Profile,
}

/// Whether two key lists are the same keys, MKIs and order (compared in constant time).
fn same_keys(a: &Keys, b: &Keys) -> bool {
    use subtle::ConstantTimeEq;
    let mut same = subtle::Choice::from(u8::from(a.list.len() == b.list.len()));
    for (x, y) in a.list.iter().zip(&b.list) {
        same &= x.0.key().ct_eq(y.0.key()) & x.0.salt().ct_eq(y.0.salt());
        same &= x.1[..x.2].ct_eq(&y.1[..y.2]);
    }
    bool::from(same)
}

impl Stream {
    /// A stream for `p`.
    ///
    /// # Safety
    /// `p`'s key pointers must be valid as libsrtp documents them.
    pub(crate) unsafe fn new(p: &srtp_policy_t) -> Result<Stream, Refusal> {
        if p.enc_xtn_hdr_count > 0 {
            return Err((
                srtp_err_status_bad_param,
                "header-extension encryption is not supported",
            ));
        }
        if p.allow_repeat_tx != 0 && p.allow_repeat_tx != 1 {
            return Err((srtp_err_status_bad_param, "allow_repeat_tx must be 0 or 1"));
        }
        let template = match p.ssrc.type_ {
            x if x == ssrc_specific => false,
            x if x == ssrc_any_inbound || x == ssrc_any_outbound => true,
            _ => return Err((srtp_err_status_bad_param, "SSRC type")),
        };
        let rtp_profile = profile_of(&p.rtp, false)?;
        let window = window_of(p)?;
        // SAFETY: forwarded from the caller.
        let keys = unsafe { keys_of(p, rtp_profile)? };
        let limit = events::rtp_key_limit();
        let max_streams = if template { TEMPLATE_STREAMS } else { 1 };
        let mut rtp = Session::new(&engine_policy(
            rtp_profile,
            &keys,
            window,
            max_streams,
            limit,
        )?)
        .map_err(|e| (status(e), "SRTP session"))?;
        rtp.set_allow_repeat_tx(p.allow_repeat_tx == 1);
        let (rtcp, rtcp_refused) = match profile_of(&p.rtcp, true) {
            Ok(pr) if pr == rtp_profile => (None, None),
            Ok(pr)
                if pr.key_len() + pr.salt_len()
                    == rtp_profile.key_len() + rtp_profile.salt_len() =>
            {
                // SAFETY: forwarded from the caller; the same key buffers, the same length.
                let k = unsafe { keys_of(p, pr)? };
                let s = Session::new(&engine_policy(pr, &k, window, max_streams, limit)?)
                    .map_err(|e| (status(e), "SRTCP session"))?;
                (Some(s), None)
            }
            Ok(_) => (
                None,
                Some((
                    srtp_err_status_bad_param,
                    "SRTP and SRTCP ciphers with different master key lengths are not supported",
                )),
            ),
            Err(r) => (None, Some(r)),
        };
        if let Some((_, why)) = rtcp_refused {
            log(srtp_log_level_warning, why);
        }
        let mkis = keys.list.iter().map(|k| (k.1, k.2)).collect::<Vec<_>>();
        let mki_len = mkis.first().map_or(0, |m| m.1);
        let soft_limit = if limit > 1 << 17 {
            limit - (1 << 16)
        } else {
            limit / 2
        };
        Ok(Stream {
            ssrc: p.ssrc.value,
            template,
            direction: if p.ssrc.type_ == ssrc_any_inbound {
                Direction::Receiver
            } else if p.ssrc.type_ == ssrc_any_outbound {
                Direction::Sender
            } else {
                Direction::Unknown
            },
            rtp,
            rtcp,
            rtcp_refused,
            mkis,
            mki_len,
            rtp_send: 0,
            rtcp_send: 0,
            soft_limit,
            soft_fired: [false; SRTP_MAX_NUM_MASTER_KEYS],
            keys,
            rtp_profile,
        })
    }

    fn rtcp_session(&mut self) -> Result<&mut Session, srtp_err_status_t> {
        if let Some((code, _)) = self.rtcp_refused {
            return Err(code);
        }
        Ok(self.rtcp.as_mut().unwrap_or(&mut self.rtp))
    }

    /// libsrtp's key choice for sending: with MKIs, `use_mki` must be set and `mki_index` name
    /// a key; without, only key 0 exists (an MKI of length 0).
    fn select_send(
        &mut self,
        rtcp: bool,
        use_mki: bool,
        idx: usize,
    ) -> Result<(), srtp_err_status_t> {
        if self.mki_len == 0 {
            return if use_mki && idx != 0 {
                Err(srtp_err_status_bad_mki)
            } else {
                Ok(())
            };
        }
        // A packet without MKI from an MKI stream would need libsrtp's key 0 without its MKI,
        // which the engine does not send.
        if !use_mki || idx >= self.mkis.len() {
            return Err(srtp_err_status_bad_mki);
        }
        let current = if rtcp { self.rtcp_send } else { self.rtp_send };
        if current != idx {
            let (m, n) = self.mkis[idx];
            let sess = if rtcp {
                self.rtcp_session()?
            } else {
                &mut self.rtp
            };
            sess.set_send_mki(&m[..n]).map_err(status)?;
            if rtcp {
                self.rtcp_send = idx;
            } else {
                self.rtp_send = idx;
            }
        }
        Ok(())
    }

    /// After an SRTP packet under key `idx`: the soft-limit event, once per key.
    fn after_rtp(&mut self, pending: &mut Pending, ssrc: u32, idx: usize) {
        let (m, n) = self.mkis.get(idx).copied().unwrap_or(([0; MAX_MKI_LEN], 0));
        if let Some((used, _)) = self.rtp.key_packets(&m[..n]) {
            if used >= self.soft_limit {
                if let Some(f) = self.soft_fired.get_mut(idx) {
                    if !*f {
                        *f = true;
                        log(srtp_log_level_warning, "key usage soft limit reached");
                        pending.push(ssrc, event_key_soft_limit);
                    }
                }
            }
        }
    }

    fn mki_index(&self, mki: &[u8]) -> usize {
        self.mkis
            .iter()
            .position(|(m, n)| &m[..*n] == mki)
            .unwrap_or(0)
    }

    fn roc(&self, ssrc: u32) -> Option<u32> {
        self.rtp.roc(ssrc)
    }
}

/// The session behind an `srtp_t`.
pub struct Ctx {
    /// Specific streams, the most recently added first (libsrtp's list order).
    streams: Vec<Stream>,
    template: Option<Stream>,
    pub(crate) user_data: *mut c_void,
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at + 4)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

impl Ctx {
    pub(crate) fn new() -> Ctx {
        Ctx {
            streams: Vec::new(),
            template: None,
            user_data: core::ptr::null_mut(),
        }
    }

    /// `srtp_add_stream`.
    ///
    /// # Safety
    /// As [`Stream::new`].
    pub(crate) unsafe fn add(&mut self, p: &srtp_policy_t) -> Result<(), srtp_err_status_t> {
        // SAFETY: forwarded from the caller.
        let s = unsafe { Stream::new(p) }.map_err(|(code, why)| {
            log(srtp_log_level_error, why);
            code
        })?;
        if s.template {
            if self.template.is_some() {
                return Err(srtp_err_status_bad_param);
            }
            self.template = Some(s);
        } else {
            self.streams.insert(0, s);
        }
        Ok(())
    }

    /// `srtp_remove_stream`: `ssrc_net` in network byte order, as libsrtp 2.x compares it.
    pub(crate) fn remove(&mut self, ssrc_net: u32) -> Result<(), srtp_err_status_t> {
        let ssrc = u32::from_be(ssrc_net);
        if let Some(i) = self.streams.iter().position(|s| s.ssrc == ssrc) {
            self.streams.remove(i);
            return Ok(());
        }
        if let Some(t) = self.template.as_mut() {
            if t.rtp.roc(ssrc).is_some() {
                t.rtp.remove_stream(ssrc).map_err(status)?;
                if let Some(r) = t.rtcp.as_mut() {
                    r.remove_stream(ssrc).map_err(status)?;
                }
                return Ok(());
            }
        }
        Err(srtp_err_status_no_ctx)
    }

    /// `srtp_update_stream`: new keys for an existing stream (specific or template). The ROC
    /// carries over; with the same keys, the stream keeps all its state.
    ///
    /// # Safety
    /// As [`Stream::new`].
    pub(crate) unsafe fn update(&mut self, p: &srtp_policy_t) -> Result<(), srtp_err_status_t> {
        // SAFETY: forwarded from the caller.
        let mut new = unsafe { Stream::new(p) }.map_err(|(code, why)| {
            log(srtp_log_level_error, why);
            code
        })?;
        if !new.template && !self.streams.iter().any(|s| s.ssrc == new.ssrc) {
            // An SSRC that came through the template: in libsrtp a stream cloned from the
            // template, which the update turns into a stream of its own (ROC kept).
            let t = self.template.as_mut().ok_or(srtp_err_status_bad_param)?;
            let roc = t.roc(new.ssrc).ok_or(srtp_err_status_bad_param)?;
            new.rtp.set_roc(new.ssrc, roc).map_err(status)?;
            new.direction = t.direction;
            t.rtp.remove_stream(new.ssrc).map_err(status)?;
            if let Some(r) = t.rtcp.as_mut() {
                r.remove_stream(new.ssrc).map_err(status)?;
            }
            self.streams.insert(0, new);
            return Ok(());
        }
        let old = if new.template {
            self.template.as_mut()
        } else {
            self.streams.iter_mut().find(|s| s.ssrc == new.ssrc)
        }
        .ok_or(srtp_err_status_bad_param)?;
        if same_keys(&old.keys, &new.keys) && old.rtp_profile == new.rtp_profile {
            old.rtp.set_allow_repeat_tx(p.allow_repeat_tx == 1);
            return Ok(());
        }
        if new.template {
            // Every SSRC the template tracks keeps its ROC, as libsrtp's streams cloned from
            // the template do.
            for ssrc in old.rtp.ssrcs() {
                if let Some(roc) = old.rtp.roc(ssrc) {
                    new.rtp.set_roc(ssrc, roc).map_err(status)?;
                }
            }
        } else if let Some(roc) = old.roc(old.ssrc) {
            new.rtp.set_roc(new.ssrc, roc).map_err(status)?;
        }
        new.direction = old.direction;
        *old = new;
        Ok(())
    }

    fn lookup(&mut self, ssrc: u32) -> Option<&mut Stream> {
        match self.streams.iter().position(|s| s.ssrc == ssrc) {
            Some(i) => self.streams.get_mut(i),
            None => self.template.as_mut(),
        }
    }

    /// Protects the packet at `hdr` (`*len` octets, room for the trailer after it).
    ///
    /// # Safety
    /// `hdr` must be valid for `len + SRTP_MAX_TRAILER_LEN` octets of writing.
    pub(crate) unsafe fn protect(
        &mut self,
        pending: &mut Pending,
        hdr: *mut u8,
        len: usize,
        rtcp: bool,
        use_mki: bool,
        mki_index: usize,
    ) -> Result<usize, srtp_err_status_t> {
        // SAFETY: `hdr` is valid for `len` octets.
        let head = unsafe { core::slice::from_raw_parts(hdr, len.min(12)) };
        let ssrc = be32(head, if rtcp { 4 } else { 8 }).ok_or(srtp_err_status_bad_param)?;
        if (head[0] >> 6) != 2 {
            return Err(srtp_err_status_bad_param);
        }
        let stream = self.lookup(ssrc).ok_or(srtp_err_status_no_ctx)?;
        match stream.direction {
            Direction::Unknown => stream.direction = Direction::Sender,
            Direction::Receiver => pending.push(ssrc, event_ssrc_collision),
            Direction::Sender => {}
        }
        stream.select_send(rtcp, use_mki, mki_index)?;
        let sess = if rtcp {
            let s = stream.rtcp_session()?;
            // libsrtp's first SRTCP index is 1: an SSRC that has sent no SRTCP starts there,
            // so the packets are the same octets as libsrtp's. Refused (and nothing changes)
            // once the SSRC's next index is past 1; a full table is reported by the protect.
            let _ = s.set_srtcp_index(ssrc, 1);
            s
        } else {
            &mut stream.rtp
        };
        let room = if rtcp {
            sess.rtcp_overhead()
        } else {
            sess.rtp_overhead()
        };
        debug_assert!(room <= SRTP_MAX_TRAILER_LEN);
        // SAFETY: libsrtp's contract: the buffer has SRTP_MAX_TRAILER_LEN octets of room after
        // the packet, and the trailer is never longer.
        let buf = unsafe { core::slice::from_raw_parts_mut(hdr, len + room) };
        let r = if rtcp {
            sess.protect_rtcp(buf, len)
        } else {
            sess.protect_rtp(buf, len)
        };
        match r {
            Ok(n) => {
                if !rtcp {
                    let idx = stream.rtp_send;
                    stream.after_rtp(pending, ssrc, idx);
                }
                Ok(n)
            }
            Err(e) => Err(hard_limit(pending, ssrc, e)),
        }
    }

    /// Unprotects the packet at `hdr` (`len` octets).
    ///
    /// # Safety
    /// `hdr` must be valid for `len` octets of reading and writing.
    pub(crate) unsafe fn unprotect(
        &mut self,
        pending: &mut Pending,
        hdr: *mut u8,
        len: usize,
        rtcp: bool,
        use_mki: bool,
    ) -> Result<usize, srtp_err_status_t> {
        // SAFETY: `hdr` is valid for `len` octets.
        let buf = unsafe { core::slice::from_raw_parts_mut(hdr, len) };
        let ssrc = be32(buf, if rtcp { 4 } else { 8 }).ok_or(srtp_err_status_bad_param)?;
        let stream = self.lookup(ssrc).ok_or(srtp_err_status_no_ctx)?;
        match stream.direction {
            Direction::Unknown => stream.direction = Direction::Receiver,
            Direction::Sender => pending.push(ssrc, event_ssrc_collision),
            Direction::Receiver => {}
        }
        if stream.mki_len > 0 && !use_mki {
            return Err(srtp_err_status_bad_mki);
        }
        // Which key the packet names (for the soft limit), read before the buffer changes.
        let mut idx = 0;
        if !rtcp && stream.mki_len > 0 {
            let p = stream.rtp_profile;
            let tag = p.rtp_tag_len();
            let at = if p.is_aead() {
                len.checked_sub(stream.mki_len)
            } else {
                len.checked_sub(stream.mki_len + tag)
            };
            if let Some(m) = at.and_then(|a| buf.get(a..a + stream.mki_len)) {
                idx = stream.mki_index(m);
            }
        }
        let r = if rtcp {
            stream.rtcp_session()?.unprotect_rtcp(buf, len)
        } else {
            stream.rtp.unprotect_rtp(buf, len)
        };
        match r {
            Ok(n) => {
                if !rtcp {
                    stream.after_rtp(pending, ssrc, idx);
                }
                Ok(n)
            }
            Err(e) => Err(hard_limit(pending, ssrc, e)),
        }
    }

    /// `srtp_set_stream_roc` (host-order SSRC): specific streams, and SSRCs the template
    /// tracks.
    pub(crate) fn set_roc(&mut self, ssrc: u32, roc: u32) -> Result<(), srtp_err_status_t> {
        let s = match self.streams.iter_mut().find(|s| s.ssrc == ssrc) {
            Some(s) => s,
            None => match self.template.as_mut() {
                Some(t) if t.roc(ssrc).is_some() => t,
                _ => return Err(srtp_err_status_bad_param),
            },
        };
        let r = s.rtp.set_roc(ssrc, roc);
        r.map_err(|e| match e {
            Error::InvalidParameter => srtp_err_status_replay_old,
            e => status(e),
        })
    }

    /// `srtp_get_stream_roc` (host-order SSRC).
    pub(crate) fn get_roc(&self, ssrc: u32) -> Result<u32, srtp_err_status_t> {
        if let Some(s) = self.streams.iter().find(|s| s.ssrc == ssrc) {
            return Ok(s.roc(ssrc).unwrap_or(0));
        }
        self.template
            .as_ref()
            .and_then(|t| t.roc(ssrc))
            .ok_or(srtp_err_status_bad_param)
    }

    /// `srtp_get_protect_trailer_length` and its SRTCP form: the longest trailer any stream
    /// adds.
    pub(crate) fn trailer(
        &mut self,
        rtcp: bool,
        use_mki: bool,
        idx: usize,
    ) -> Result<u32, srtp_err_status_t> {
        let mut best: Option<usize> = None;
        for s in self.streams.iter_mut().chain(self.template.as_mut()) {
            if use_mki && s.mki_len > 0 && idx >= s.mkis.len() {
                return Err(srtp_err_status_bad_mki);
            }
            let n = if rtcp {
                match s.rtcp_session() {
                    Ok(x) => x.rtcp_overhead(),
                    Err(_) => continue,
                }
            } else {
                s.rtp.rtp_overhead()
            };
            best = Some(best.map_or(n, |b: usize| b.max(n)));
        }
        best.map(|b| b as u32).ok_or(srtp_err_status_bad_param)
    }
}

/// The hard key limit: event and `srtp_err_status_key_expired`; other errors map as they are.
fn hard_limit(pending: &mut Pending, ssrc: u32, e: Error) -> srtp_err_status_t {
    if e == Error::KeyExhausted {
        log(srtp_log_level_warning, "key usage hard limit reached");
        pending.push(ssrc, event_key_hard_limit);
    }
    status(e)
}
