//! Per-SSRC stream state and the fixed-capacity SSRC → stream map.
//!
//! Every stream slot (with its replay windows) is allocated when the session is built; creating
//! a stream on a packet only claims a slot. Lookup is open addressing with linear probing over a
//! power-of-two index table at most half full.

use super::replay::ReplayWindow;
use crate::{Error, Result};

/// RTP direction state: the replay window's top is the highest index `s_l` (RFC 3711 §3.3.1).
#[derive(Clone, Debug)]
pub(crate) struct RtpState {
    /// ROC to use for the first packet (0, or what `set_roc` gave).
    pub(crate) initial_roc: u32,
    pub(crate) window: ReplayWindow,
}

impl RtpState {
    fn new(window: usize) -> Self {
        RtpState {
            initial_roc: 0,
            window: ReplayWindow::new(window),
        }
    }

    /// The 48-bit packet index for sequence number `seq` (RFC 3711 §3.3.1 and Appendix A), or
    /// `ReplayTooOld` when the estimate would fall below index 0.
    #[inline]
    pub(crate) fn estimate(&self, seq: u16) -> Result<u64> {
        if !self.window.started() {
            return Ok(((self.initial_roc as u64) << 16) | seq as u64);
        }
        let top = self.window.top();
        let roc = top >> 16;
        let s_l = (top & 0xffff) as u32;
        let seq32 = seq as u32;
        let v = if s_l < 0x8000 {
            if seq32 > s_l + 0x8000 {
                // From the previous ROC.
                roc.checked_sub(1).ok_or(Error::ReplayTooOld)?
            } else {
                roc
            }
        } else if s_l - 0x8000 > seq32 {
            roc + 1
        } else {
            roc
        };
        if v > u32::MAX as u64 {
            return Err(Error::KeyExhausted);
        }
        Ok((v << 16) | seq as u64)
    }

    /// The current ROC (of the highest index, or the initial one before any packet).
    pub(crate) fn roc(&self) -> u32 {
        if self.window.started() {
            (self.window.top() >> 16) as u32
        } else {
            self.initial_roc
        }
    }
}

/// Everything the session keeps for one SSRC.
#[derive(Clone, Debug)]
pub(crate) struct Stream {
    pub(crate) ssrc: u32,
    /// Sending side of SRTP: refuses to protect the same index twice (keystream reuse).
    pub(crate) tx: RtpState,
    /// Receiving side of SRTP.
    pub(crate) rx: RtpState,
    /// Next SRTCP index to send (31 bits; reaching 2^31 exhausts the stream under this key).
    pub(crate) rtcp_tx_next: u32,
    /// Receiving side of SRTCP.
    pub(crate) rtcp_rx: ReplayWindow,
}

impl Stream {
    fn new(window: usize) -> Self {
        Stream {
            ssrc: 0,
            tx: RtpState::new(window),
            rx: RtpState::new(window),
            rtcp_tx_next: 0,
            rtcp_rx: ReplayWindow::new(window),
        }
    }

    fn reset(&mut self, ssrc: u32) {
        self.ssrc = ssrc;
        self.tx.initial_roc = 0;
        self.tx.window.reset();
        self.rx.initial_roc = 0;
        self.rx.window.reset();
        self.rtcp_tx_next = 0;
        self.rtcp_rx.reset();
    }
}

const EMPTY: u32 = u32::MAX;

/// Fixed-capacity SSRC → stream table.
#[derive(Debug)]
pub(crate) struct StreamTable {
    /// Dense stream slots; the first `len` are live.
    streams: Vec<Stream>,
    len: usize,
    /// Open-addressing index: slot number into `streams`, or `EMPTY`.
    index: Vec<u32>,
}

#[inline]
fn hash(ssrc: u32) -> usize {
    // Fibonacci hashing; SSRCs of streams only enter the table after authentication.
    (ssrc.wrapping_mul(0x9E37_79B9) >> 7) as usize
}

impl StreamTable {
    pub(crate) fn new(capacity: usize, window: usize) -> Self {
        let slots = (capacity * 2).next_power_of_two().max(4);
        StreamTable {
            streams: (0..capacity).map(|_| Stream::new(window)).collect(),
            len: 0,
            index: vec![EMPTY; slots],
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn is_full(&self) -> bool {
        self.len >= self.streams.len()
    }

    #[inline]
    fn mask(&self) -> usize {
        self.index.len() - 1
    }

    /// Position in `index` holding `ssrc`, or the empty position where it would go.
    #[inline]
    fn probe(&self, ssrc: u32) -> (usize, bool) {
        let mask = self.mask();
        let mut pos = hash(ssrc) & mask;
        loop {
            let slot = self.index[pos];
            if slot == EMPTY {
                return (pos, false);
            }
            if self.streams[slot as usize].ssrc == ssrc {
                return (pos, true);
            }
            pos = (pos + 1) & mask;
        }
    }

    /// The slot of `ssrc`, if present.
    #[inline]
    pub(crate) fn find(&self, ssrc: u32) -> Option<usize> {
        match self.probe(ssrc) {
            (pos, true) => Some(self.index[pos] as usize),
            _ => None,
        }
    }

    /// The slot of `ssrc`, creating a fresh stream if absent (`CapacityExceeded` when full).
    pub(crate) fn find_or_insert(&mut self, ssrc: u32) -> Result<usize> {
        let (pos, found) = self.probe(ssrc);
        if found {
            return Ok(self.index[pos] as usize);
        }
        if self.is_full() {
            return Err(Error::CapacityExceeded);
        }
        let slot = self.len;
        self.streams[slot].reset(ssrc);
        self.index[pos] = slot as u32;
        self.len += 1;
        Ok(slot)
    }

    /// Removes `ssrc` (backward-shift deletion), keeping the slot's allocation for reuse.
    pub(crate) fn remove(&mut self, ssrc: u32) -> bool {
        let (mut pos, found) = self.probe(ssrc);
        if !found {
            return false;
        }
        let slot = self.index[pos] as usize;
        let mask = self.mask();
        // Backward-shift the probe chain.
        let mut next = (pos + 1) & mask;
        while self.index[next] != EMPTY {
            let s = self.index[next] as usize;
            let home = hash(self.streams[s].ssrc) & mask;
            // Move `next` into `pos` if its home is not in (pos, next].
            let dist_next = next.wrapping_sub(home) & mask;
            let dist_pos = pos.wrapping_sub(home) & mask;
            if dist_pos < dist_next {
                self.index[pos] = self.index[next];
                pos = next;
            }
            next = (next + 1) & mask;
        }
        self.index[pos] = EMPTY;
        // Keep `streams` dense: move the last live stream into the freed slot.
        let last = self.len - 1;
        if slot != last {
            self.streams.swap(slot, last);
            let moved = self.streams[slot].ssrc;
            let (p, _) = self.probe(moved);
            self.index[p] = slot as u32;
        }
        self.len -= 1;
        true
    }

    #[inline]
    pub(crate) fn get(&self, slot: usize) -> &Stream {
        &self.streams[slot]
    }

    #[inline]
    pub(crate) fn get_mut(&mut self, slot: usize) -> &mut Stream {
        &mut self.streams[slot]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_find_remove() {
        let mut t = StreamTable::new(16, 64);
        for s in 0..16u32 {
            let slot = t.find_or_insert(s * 0x1000_0001).unwrap();
            assert_eq!(t.get(slot).ssrc, s * 0x1000_0001);
        }
        assert_eq!(t.find_or_insert(7), Err(Error::CapacityExceeded));
        for s in (0..16u32).step_by(3) {
            assert!(t.remove(s * 0x1000_0001));
        }
        for s in 0..16u32 {
            let present = t.find(s * 0x1000_0001).map(|i| t.get(i).ssrc);
            if s % 3 == 0 {
                assert_eq!(present, None);
            } else {
                assert_eq!(present, Some(s * 0x1000_0001));
            }
        }
        assert!(t.find_or_insert(7).is_ok());
        assert_eq!(t.find(7).map(|i| t.get(i).ssrc), Some(7));
    }

    #[test]
    fn roc_estimation() {
        let mut st = RtpState::new(128);
        st.window.update(65535);
        assert_eq!(st.estimate(0).unwrap(), 65536);
        assert_eq!(st.estimate(65534).unwrap(), 65534);
        st.window.update(65536 + 10);
        assert_eq!(st.estimate(65530).unwrap(), 65530);
        assert_eq!(st.estimate(20).unwrap(), 65536 + 20);
        let fresh = RtpState::new(128);
        assert_eq!(fresh.estimate(40000).unwrap(), 40000);
        let mut low = RtpState::new(128);
        low.window.update(5);
        assert_eq!(low.estimate(60000), Err(Error::ReplayTooOld));
    }

    proptest::proptest! {
        /// RFC 3711 §3.3.1's estimate is the index nearest the highest one seen (ties, at a
        /// distance of exactly 2^15, excluded).
        #[test]
        fn estimate_is_nearest_index(top in 0u64..(1u64 << 40), seq in proptest::prelude::any::<u16>()) {
            let mut st = RtpState::new(64);
            st.window.update(top);
            let roc = top >> 16;
            let reference = [roc.wrapping_sub(1), roc, roc + 1]
                .iter()
                .filter(|&&v| v <= u32::MAX as u64)
                .map(|&v| (v << 16) | seq as u64)
                .min_by_key(|&c| c.abs_diff(top))
                .unwrap();
            if reference.abs_diff(top) != 0x8000 {
                match st.estimate(seq) {
                    Ok(i) => proptest::prop_assert_eq!(i, reference),
                    // Only when the nearest index would be below zero.
                    Err(e) => {
                        proptest::prop_assert_eq!(e, Error::ReplayTooOld);
                        proptest::prop_assert!(roc == 0 && seq as u64 > top + 0x8000);
                    }
                }
            }
        }
    }
}
