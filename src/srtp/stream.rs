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
    /// Every index below this one is spent: what the stream had before a ROC moved it forward.
    pub(crate) floor: u64,
    pub(crate) window: ReplayWindow,
}

impl RtpState {
    fn new(window: usize) -> Self {
        RtpState {
            initial_roc: 0,
            floor: 0,
            window: ReplayWindow::new(window),
        }
    }

    /// The 48-bit packet index for sequence number `seq` (RFC 3711 §3.3.1 and Appendix A).
    #[inline]
    pub(crate) fn estimate(&self, seq: u16) -> Result<u64> {
        estimate_index(self.initial_roc, self.window.top_if_started(), seq)
    }

    /// The index of `seq`, refused if it was spent: recorded in the window, older than it, or
    /// below the floor left by a forward ROC move.
    #[inline]
    pub(crate) fn check(&self, seq: u16) -> Result<u64> {
        let i = self.estimate(seq)?;
        if i < self.floor {
            return Err(Error::ReplayTooOld);
        }
        self.window.check(i)?;
        Ok(i)
    }

    /// Starts again at `roc` (a forward move, or a stream with nothing recorded): the next
    /// index is `roc * 2^16 + seq`, and everything the stream had recorded stays spent.
    pub(crate) fn restart(&mut self, roc: u32) {
        if let Some(top) = self.window.top_if_started() {
            self.floor = self.floor.max(top + 1);
        }
        self.window.reset();
        self.initial_roc = roc;
    }

    /// What a removed stream keeps of this direction.
    fn mark(&self) -> Mark {
        Mark {
            initial_roc: self.initial_roc,
            floor: self.floor,
            top: self.window.top_if_started(),
        }
    }

    fn restore(&mut self, m: &Mark) {
        self.initial_roc = m.initial_roc;
        self.floor = m.floor;
        self.window.restore(m.top);
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

/// The 48-bit packet index for sequence number `seq`, given the ROC to start from and the
/// highest index seen so far (RFC 3711 §3.3.1 and Appendix A). At ROC 0 there is no previous
/// epoch: a sequence number more than 2^15 above the highest one is a forward jump in ROC 0,
/// as libsrtp and other deployed implementations take it. `KeyExhausted` past ROC 2^32 − 1.
#[inline]
pub(crate) fn estimate_index(initial_roc: u32, top: Option<u64>, seq: u16) -> Result<u64> {
    let Some(top) = top else {
        return Ok(((initial_roc as u64) << 16) | seq as u64);
    };
    let roc = top >> 16;
    let s_l = (top & 0xffff) as u32;
    let seq32 = seq as u32;
    let v = if s_l < 0x8000 {
        if seq32 > s_l + 0x8000 {
            // From the previous ROC, if there is one.
            roc.saturating_sub(1)
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

/// One direction of a removed stream: the ROC it would start from and its highest index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Mark {
    pub(crate) initial_roc: u32,
    pub(crate) floor: u64,
    pub(crate) top: Option<u64>,
}

impl Mark {
    /// The index `seq` would get on this direction once restored, refused if it would repeat
    /// (or be older than) anything the stream had before it was removed.
    pub(crate) fn check(&self, seq: u16, window: usize) -> Result<u64> {
        let i = estimate_index(self.initial_roc, self.top, seq)?;
        if i < self.floor {
            return Err(Error::ReplayTooOld);
        }
        ReplayWindow::check_restored(self.top, window, i)?;
        Ok(i)
    }
}

/// What a session keeps of a removed SSRC for its whole life, so that the SSRC cannot come
/// back with its counters at zero: that would reuse keystream (and GCM nonces) when sending,
/// and reopen every old packet to replay when receiving.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Retired {
    pub(crate) ssrc: u32,
    pub(crate) tx: Mark,
    pub(crate) rx: Mark,
    pub(crate) rtcp_tx_next: u32,
    pub(crate) rtcp_rx_top: Option<u64>,
}

impl Retired {
    /// Checks an incoming SRTCP index against what the stream received before removal.
    pub(crate) fn check_rtcp_rx(&self, index: u64, window: usize) -> Result<()> {
        ReplayWindow::check_restored(self.rtcp_rx_top, window, index)
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

    fn retire(&self) -> Retired {
        Retired {
            ssrc: self.ssrc,
            tx: self.tx.mark(),
            rx: self.rx.mark(),
            rtcp_tx_next: self.rtcp_tx_next,
            rtcp_rx_top: self.rtcp_rx.top_if_started(),
        }
    }

    fn restore(&mut self, r: &Retired) {
        self.tx.restore(&r.tx);
        self.rx.restore(&r.rx);
        self.rtcp_tx_next = r.rtcp_tx_next;
        self.rtcp_rx.restore(r.rtcp_rx_top);
    }

    fn reset(&mut self, ssrc: u32) {
        self.ssrc = ssrc;
        self.tx.initial_roc = 0;
        self.tx.floor = 0;
        self.tx.window.reset();
        self.rx.initial_roc = 0;
        self.rx.floor = 0;
        self.rx.window.reset();
        self.rtcp_tx_next = 0;
        self.rtcp_rx.reset();
    }
}

const EMPTY: u32 = u32::MAX;

/// Removed SSRCs a session remembers, per stream slot.
pub const RETIRED_PER_STREAM: usize = 4;

/// Where an SSRC is, or would go, in the index.
enum Probe {
    Found(usize),
    Vacant(usize),
    /// No EMPTY position left (cannot happen while the index is at most half full; the probe
    /// is bounded anyway, so a corrupt index can never hang a lookup).
    Full,
}

/// Fixed-capacity SSRC → stream table, and the removed SSRCs.
#[derive(Debug)]
pub(crate) struct StreamTable {
    /// Dense stream slots; the first `len` are live.
    streams: Vec<Stream>,
    len: usize,
    /// Open-addressing index: slot number into `streams`, or `EMPTY`.
    index: Vec<u32>,
    /// Removed SSRCs, sorted by SSRC, at most `RETIRED_PER_STREAM` per stream slot.
    retired: Vec<Retired>,
    retired_cap: usize,
    window: usize,
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
            retired: Vec::with_capacity(capacity * RETIRED_PER_STREAM),
            retired_cap: capacity * RETIRED_PER_STREAM,
            window,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn is_full(&self) -> bool {
        self.len >= self.streams.len()
    }

    /// The replay window size of every stream.
    pub(crate) fn window(&self) -> usize {
        self.window
    }

    #[inline]
    fn mask(&self) -> usize {
        self.index.len() - 1
    }

    /// Position in `index` holding `ssrc`, or the empty position where it would go; at most
    /// one pass over the index.
    #[inline]
    fn probe(&self, ssrc: u32) -> Probe {
        let mask = self.mask();
        let mut pos = hash(ssrc) & mask;
        for _ in 0..self.index.len() {
            let slot = self.index[pos];
            if slot == EMPTY {
                return Probe::Vacant(pos);
            }
            if self
                .streams
                .get(slot as usize)
                .is_some_and(|s| s.ssrc == ssrc)
            {
                return Probe::Found(pos);
            }
            pos = (pos + 1) & mask;
        }
        Probe::Full
    }

    /// The slot of `ssrc`, if present.
    #[inline]
    pub(crate) fn find(&self, ssrc: u32) -> Option<usize> {
        match self.probe(ssrc) {
            Probe::Found(pos) => Some(self.index[pos] as usize),
            _ => None,
        }
    }

    /// What the session kept of `ssrc` when it was removed, if it was and has not come back.
    #[inline]
    pub(crate) fn retired(&self, ssrc: u32) -> Option<&Retired> {
        if self.retired.is_empty() {
            return None;
        }
        self.retired
            .binary_search_by_key(&ssrc, |r| r.ssrc)
            .ok()
            .map(|i| &self.retired[i])
    }

    /// The slot of `ssrc`, creating a stream if absent (`CapacityExceeded` when full). A
    /// removed SSRC comes back with what it had: nothing it sent or received can repeat.
    pub(crate) fn find_or_insert(&mut self, ssrc: u32) -> Result<usize> {
        let pos = match self.probe(ssrc) {
            Probe::Found(pos) => return Ok(self.index[pos] as usize),
            Probe::Vacant(pos) => pos,
            Probe::Full => return Err(Error::CapacityExceeded),
        };
        if self.is_full() {
            return Err(Error::CapacityExceeded);
        }
        let slot = self.len;
        self.streams[slot].reset(ssrc);
        if let Ok(k) = self.retired.binary_search_by_key(&ssrc, |r| r.ssrc) {
            let r = self.retired.remove(k);
            self.streams[slot].restore(&r);
        }
        self.index[pos] = slot as u32;
        self.len += 1;
        Ok(slot)
    }

    /// Removes `ssrc` (backward-shift deletion), keeping the slot's allocation for reuse and
    /// the stream's counters among the retired SSRCs. `Ok(false)` if it was not live;
    /// `CapacityExceeded` (and nothing changed) when the session remembers as many removed
    /// SSRCs as it can.
    pub(crate) fn remove(&mut self, ssrc: u32) -> Result<bool> {
        let Probe::Found(mut pos) = self.probe(ssrc) else {
            return Ok(false);
        };
        let k = match self.retired.binary_search_by_key(&ssrc, |r| r.ssrc) {
            // A live SSRC is never also retired; keep the table consistent regardless.
            Ok(_) => return Err(Error::InvalidParameter),
            Err(k) => k,
        };
        if self.retired.len() >= self.retired_cap {
            return Err(Error::CapacityExceeded);
        }
        let slot = self.index[pos] as usize;
        self.retired.insert(k, self.streams[slot].retire());
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
        // Keep `streams` dense: move the last live stream into the freed slot. Its index entry
        // is found while `streams` still holds it where the entry points, then repointed.
        let last = self.len - 1;
        if slot != last {
            if let Probe::Found(p) = self.probe(self.streams[last].ssrc) {
                self.index[p] = slot as u32;
            }
            self.streams.swap(slot, last);
        }
        self.len -= 1;
        Ok(true)
    }

    /// The SSRCs of the live streams, in slot order.
    pub(crate) fn ssrcs(&self) -> impl Iterator<Item = u32> + '_ {
        self.streams[..self.len].iter().map(|s| s.ssrc)
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
            assert_eq!(t.remove(s * 0x1000_0001), Ok(true));
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
        // At ROC 0 a jump of more than 2^15 is forward, as libsrtp takes it (no ROC -1).
        let mut low = RtpState::new(128);
        low.window.update(100);
        assert_eq!(low.estimate(65000).unwrap(), 65000);
        low.window.update(5);
        assert_eq!(low.estimate(60000).unwrap(), 60000);
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
                proptest::prop_assert_eq!(st.estimate(seq), Ok(reference));
            }
        }
    }

    /// The table's own invariants: `len` live slots, each reachable through exactly one index
    /// entry, no entry pointing past `len`, and the rest of the index EMPTY.
    fn check_invariants(t: &StreamTable) -> std::result::Result<(), String> {
        let live: Vec<u32> = t.index.iter().copied().filter(|&e| e != EMPTY).collect();
        if live.len() != t.len {
            return Err(format!(
                "{} index entries for {} streams",
                live.len(),
                t.len
            ));
        }
        let mut seen = vec![false; t.len];
        for &e in &live {
            let e = e as usize;
            if e >= t.len || seen[e] {
                return Err(format!("index entry {e} dead or repeated"));
            }
            seen[e] = true;
        }
        for slot in 0..t.len {
            if t.find(t.streams[slot].ssrc) != Some(slot) {
                return Err(format!("slot {slot} not found by its SSRC"));
            }
        }
        Ok(())
    }

    #[derive(Clone, Debug)]
    enum Op {
        Insert(u32),
        Remove(u32),
        Find(u32),
    }

    fn op() -> impl proptest::strategy::Strategy<Value = Op> {
        use proptest::prelude::*;
        // A small SSRC space, so removals, re-insertions and probe collisions are common.
        let ssrc = prop_oneof![0u32..24, (0u32..8).prop_map(|k| k << 25)];
        prop_oneof![
            ssrc.clone().prop_map(Op::Insert),
            ssrc.clone().prop_map(Op::Remove),
            ssrc.prop_map(Op::Find),
        ]
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]
        /// Random insert/remove/find sequences agree with a `HashMap` model: length, lookups,
        /// the number of EMPTY index positions and the slot ↔ SSRC mapping.
        #[test]
        fn table_matches_model(ops in proptest::collection::vec(op(), 1..400)) {
            let cap = 8;
            let mut t = StreamTable::new(cap, 64);
            let mut model = std::collections::HashMap::new();
            for o in ops {
                match o {
                    Op::Insert(s) => {
                        let r = t.find_or_insert(s);
                        if model.contains_key(&s) || model.len() < cap {
                            let slot = r.map_err(|e| proptest::test_runner::TestCaseError::fail(format!("{e:?}")))?;
                            proptest::prop_assert_eq!(t.get(slot).ssrc, s);
                            model.insert(s, ());
                        } else {
                            proptest::prop_assert_eq!(r, Err(Error::CapacityExceeded));
                        }
                    }
                    Op::Remove(s) => {
                        proptest::prop_assert_eq!(t.remove(s), Ok(model.remove(&s).is_some()));
                    }
                    Op::Find(s) => {
                        let got = t.find(s).map(|i| t.get(i).ssrc);
                        proptest::prop_assert_eq!(got, model.contains_key(&s).then_some(s));
                    }
                }
                proptest::prop_assert_eq!(t.len(), model.len());
                let empty = t.index.iter().filter(|&&e| e == EMPTY).count();
                proptest::prop_assert_eq!(empty, t.index.len() - model.len());
                check_invariants(&t).map_err(proptest::test_runner::TestCaseError::fail)?;
            }
        }
    }

    /// Many removals of streams that are not the last slot used to leak index positions until
    /// a lookup of an unknown SSRC never returned.
    #[test]
    fn churn_keeps_index_and_lookup_bounded() {
        let mut t = StreamTable::new(32, 64);
        for s in 0..31u32 {
            t.find_or_insert(1000 + s).unwrap();
        }
        for round in 0..10_000u32 {
            let s = round % 16;
            t.find_or_insert(s).unwrap();
            // Remove a stream below the last slot, so that the last one moves.
            let victim = 1000 + (round % 31);
            assert_eq!(t.remove(victim), Ok(true));
            t.find_or_insert(victim).unwrap();
            assert_eq!(t.remove(s), Ok(true));
            check_invariants(&t).unwrap();
        }
        assert_eq!(t.find(0xdead_beef), None);
        assert_eq!(
            t.index.iter().filter(|&&e| e == EMPTY).count(),
            t.index.len() - 31
        );
    }

    #[test]
    fn removed_ssrc_returns_with_its_counters() {
        let mut t = StreamTable::new(4, 64);
        let slot = t.find_or_insert(7).unwrap();
        t.get_mut(slot).tx.window.update(70_000);
        t.get_mut(slot).rx.window.update(5);
        t.get_mut(slot).rtcp_tx_next = 9;
        assert_eq!(t.remove(7), Ok(true));
        assert_eq!(t.remove(7), Ok(false));
        let r = *t.retired(7).unwrap();
        assert_eq!(
            r.tx.check(70_000u32 as u16, 64),
            Err(Error::ReplayDuplicate)
        );
        assert_eq!(r.rx.check(6, 64), Ok(6));
        let slot = t.find_or_insert(7).unwrap();
        assert!(t.retired(7).is_none());
        let st = t.get(slot);
        assert_eq!(st.rtcp_tx_next, 9);
        assert_eq!(st.tx.window.check(70_000), Err(Error::ReplayDuplicate));
        assert_eq!(st.rx.window.check(5), Err(Error::ReplayDuplicate));
        assert_eq!(st.rx.window.check(6), Ok(()));
    }

    #[test]
    fn retired_capacity_is_bounded_and_refusal_changes_nothing() {
        let mut t = StreamTable::new(1, 64);
        for s in 0..RETIRED_PER_STREAM as u32 {
            t.find_or_insert(s).unwrap();
            assert_eq!(t.remove(s), Ok(true));
        }
        t.find_or_insert(99).unwrap();
        assert_eq!(t.remove(99), Err(Error::CapacityExceeded));
        assert_eq!(t.find(99), Some(0));
        assert!(t.retired(99).is_none());
        check_invariants(&t).unwrap();
    }
}
