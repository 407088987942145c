//! Sliding replay window over packet indices (RFC 3711 §3.3.2), kept as a ring of bits so that
//! moving the window forward clears only the bits it passes.

use crate::{Error, Result};

/// Smallest and largest window sizes accepted by [`super::Policy`].
pub const MIN_WINDOW: usize = 64;
/// The largest replay window, in packets.
pub const MAX_WINDOW: usize = 4096;

/// A replay window: the highest index seen and which of the `size` indices below it were seen.
#[derive(Clone, Debug)]
pub(crate) struct ReplayWindow {
    started: bool,
    top: u64,
    size: u64,
    /// Ring of `bits.len() * 64` bits (a power of two ≥ `size`), bit `i mod N` for index `i`.
    bits: Box<[u64]>,
}

impl ReplayWindow {
    pub(crate) fn new(size: usize) -> Self {
        let words = size.div_ceil(64).next_power_of_two().max(1);
        ReplayWindow {
            started: false,
            top: 0,
            size: size as u64,
            bits: vec![0u64; words].into_boxed_slice(),
        }
    }

    /// Forgets every index (the allocation is kept).
    pub(crate) fn reset(&mut self) {
        self.started = false;
        self.top = 0;
        self.bits.fill(0);
    }

    /// Restarts the window as if every index up to `top` had been recorded (`None`: empty).
    /// Used when a removed stream comes back: nothing it sent or received before may repeat.
    pub(crate) fn restore(&mut self, top: Option<u64>) {
        match top {
            Some(t) => {
                self.started = true;
                self.top = t;
                self.bits.fill(u64::MAX);
            }
            None => self.reset(),
        }
    }

    /// The highest index recorded, if any.
    pub(crate) fn top_if_started(&self) -> Option<u64> {
        self.started.then_some(self.top)
    }

    /// Checks `index` against a window that was restored with [`Self::restore`] from `top`,
    /// without building one: everything up to `top` counts as recorded.
    pub(crate) fn check_restored(top: Option<u64>, size: usize, index: u64) -> Result<()> {
        match top {
            Some(t) if index <= t => Err(if t - index >= size as u64 {
                Error::ReplayTooOld
            } else {
                Error::ReplayDuplicate
            }),
            _ => Ok(()),
        }
    }

    /// Whether any index was recorded.
    pub(crate) fn started(&self) -> bool {
        self.started
    }

    /// The highest index recorded (meaningful when [`Self::started`]).
    pub(crate) fn top(&self) -> u64 {
        self.top
    }

    #[inline]
    fn ring_bits(&self) -> u64 {
        (self.bits.len() as u64) * 64
    }

    #[inline]
    fn bit(&self, index: u64) -> bool {
        let pos = index & (self.ring_bits() - 1);
        self.bits
            .get((pos / 64) as usize)
            .is_some_and(|w| (w >> (pos % 64)) & 1 == 1)
    }

    #[inline]
    fn set(&mut self, index: u64, value: bool) {
        let pos = index & (self.ring_bits() - 1);
        if let Some(w) = self.bits.get_mut((pos / 64) as usize) {
            let m = 1u64 << (pos % 64);
            if value {
                *w |= m;
            } else {
                *w &= !m;
            }
        }
    }

    /// Checks `index` without recording it.
    #[inline]
    pub(crate) fn check(&self, index: u64) -> Result<()> {
        if !self.started || index > self.top {
            return Ok(());
        }
        if self.top - index >= self.size {
            return Err(Error::ReplayTooOld);
        }
        if self.bit(index) {
            return Err(Error::ReplayDuplicate);
        }
        Ok(())
    }

    /// Records `index` (call only after [`Self::check`] passed and the packet authenticated).
    #[inline]
    pub(crate) fn update(&mut self, index: u64) {
        if !self.started {
            self.started = true;
            self.bits.fill(0);
            self.top = index;
        } else if index > self.top {
            let advance = index - self.top;
            if advance >= self.ring_bits() {
                self.bits.fill(0);
            } else {
                for i in self.top + 1..=index {
                    self.set(i, false);
                }
            }
            self.top = index;
        }
        self.set(index, true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_semantics() {
        let mut w = ReplayWindow::new(128);
        assert!(w.check(1000).is_ok());
        w.update(1000);
        assert_eq!(w.check(1000), Err(Error::ReplayDuplicate));
        assert!(w.check(999).is_ok());
        assert!(w.check(1000 - 127).is_ok());
        assert_eq!(w.check(1000 - 128), Err(Error::ReplayTooOld));
        w.update(999);
        assert_eq!(w.check(999), Err(Error::ReplayDuplicate));
        w.update(1001);
        assert_eq!(w.check(999), Err(Error::ReplayDuplicate));
        assert!(w.check(998).is_ok());
        // A long jump clears the ring.
        w.update(1001 + 10_000);
        assert_eq!(w.check(1001), Err(Error::ReplayTooOld));
        assert!(w.check(1001 + 10_000 - 5).is_ok());
        assert_eq!(w.check(1001 + 10_000), Err(Error::ReplayDuplicate));
    }

    #[test]
    fn ring_reuse_does_not_leak_old_bits() {
        let mut w = ReplayWindow::new(64);
        for i in 0..64 {
            w.update(i);
        }
        // Advance by exactly the ring size minus one: old bits must be cleared as we pass.
        w.update(64 + 63);
        for i in 64..64 + 63 {
            assert!(w.check(i).is_ok(), "{i}");
        }
    }
}
