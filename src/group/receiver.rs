//! The member's receiver of GSK offers: [`crate::mikey::open_gsk_offer`] plus the replay cache
//! that tells a re-send (the same offer again, for late entry) from a replay (a different
//! message bound to a (CSB ID, T, RAND) already seen).

use subtle::ConstantTimeEq;

use crate::mikey::{open_gsk_offer, OfferReplayId, PskPolicy, SignatureVerifier, SrtpKeying};
use crate::{Error, Result};

/// The receiver side of GSK offers: policy and replay cache.
#[derive(Clone, Debug)]
pub struct GskReceiver {
    policy: PskPolicy,
    seen: Vec<OfferReplayId>,
}

impl GskReceiver {
    /// A receiver with the given policy.
    pub fn new(policy: PskPolicy) -> Self {
        GskReceiver {
            policy,
            seen: Vec::new(),
        }
    }

    /// The policy.
    pub fn policy(&self) -> &PskPolicy {
        &self.policy
    }

    /// The offers remembered for replay detection (for persistence).
    pub fn seen(&self) -> &[OfferReplayId] {
        &self.seen
    }

    /// A receiver that continues with the replay cache `seen` (from [`GskReceiver::seen`]);
    /// entries past the freshness window at `now_ntp_secs` are dropped, and more live
    /// entries than the policy's capacity are [`Error::CapacityExceeded`].
    pub fn restore(policy: PskPolicy, seen: Vec<OfferReplayId>, now_ntp_secs: u64) -> Result<Self> {
        let skew = policy.max_skew_secs;
        let seen: Vec<_> = seen
            .into_iter()
            .filter(|e| now_ntp_secs.saturating_sub(e.t_secs) <= skew)
            .collect();
        if seen.len() > policy.replay_capacity {
            return Err(Error::CapacityExceeded);
        }
        Ok(GskReceiver { policy, seen })
    }

    /// Processes a GSK offer at `now_ntp_secs`: [`open_gsk_offer`] (see there for `gmk`,
    /// `verifier` and the errors of the message itself), then the replay cache:
    /// [`Error::Freshness`] for a different message re-using a seen (CSB ID, T, RAND),
    /// [`Error::CapacityExceeded`] when the cache is full of live entries. On error nothing
    /// changes.
    ///
    /// A re-sent offer (PROFILE §4: initiators repeat it for late entry), i.e. one whose
    /// MAC'd part equals an offer already accepted (whatever its signature octets), is
    /// accepted again, gives the same keying and is marked [`SrtpKeying::is_resend`]. A
    /// member that already runs a session for it must keep that session: rebuilding it would
    /// reset the replay windows (recorded packets would play again).
    pub fn process<'k>(
        &mut self,
        msg: &[u8],
        now_ntp_secs: u64,
        gmk: impl Fn(&[u8], u32) -> Option<&'k [u8]>,
        verifier: Option<&dyn SignatureVerifier>,
    ) -> Result<SrtpKeying> {
        let (mut keying, id) = open_gsk_offer(msg, now_ntp_secs, &self.policy, gmk, verifier)?;
        let mut known = false;
        for e in &self.seen {
            if e.binding == id.binding {
                if bool::from(e.digest.ct_eq(&id.digest)) {
                    known = true;
                } else {
                    return Err(Error::Freshness);
                }
            }
        }
        if known {
            keying.mark_resend();
            return Ok(keying);
        }
        let skew = self.policy.max_skew_secs;
        let live = |e: &OfferReplayId| now_ntp_secs.saturating_sub(e.t_secs) <= skew;
        // Refuse before dropping stale entries, so that an error changes nothing.
        if self.seen.iter().filter(|e| live(e)).count() >= self.policy.replay_capacity {
            return Err(Error::CapacityExceeded);
        }
        self.seen.retain(live);
        self.seen.push(id);
        Ok(keying)
    }
}
