//! Group key life cycle for each role. For now: the member's [`GmkStore`], which keeps every
//! valid GMK by GMK-ID until it expires and names as *current* the one carried by the newest
//! message (largest MIKEY timestamp T), as PROFILE §3 requires.

use crate::mikey::ReceivedGmk;
use crate::{Error, Result};

/// Default number of GMKs a member keeps at once.
pub const DEFAULT_GMK_CAPACITY: usize = 16;

/// The GMKs a member holds, by GMK-ID. GMKs zeroize when dropped or replaced.
#[derive(Clone)]
pub struct GmkStore {
    entries: Vec<ReceivedGmk>,
    capacity: usize,
}

impl core::fmt::Debug for GmkStore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("GmkStore")
            .field(
                "gmk_ids",
                &self.entries.iter().map(|e| e.gmk_id()).collect::<Vec<_>>(),
            )
            .field("capacity", &self.capacity)
            .finish()
    }
}

impl Default for GmkStore {
    fn default() -> Self {
        GmkStore::new(DEFAULT_GMK_CAPACITY)
    }
}

impl GmkStore {
    /// An empty store holding at most `capacity` GMKs (at least 1).
    pub fn new(capacity: usize) -> Self {
        GmkStore {
            entries: Vec::new(),
            capacity: capacity.max(1),
        }
    }

    /// Number of GMKs held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Adds a GMK accepted by [`crate::mikey::process_gmk_message`]. A message for a GMK-ID
    /// already held replaces it only if its timestamp is newer (new parameters, e.g. revoked);
    /// an older or equal one is refused with [`Error::Freshness`]. When full, expired entries
    /// (at `now_ntp_secs`) are dropped first, then [`Error::CapacityExceeded`].
    pub fn insert(&mut self, gmk: ReceivedGmk, now_ntp_secs: u64) -> Result<()> {
        if let Some(old) = self.entries.iter_mut().find(|e| e.gmk_id() == gmk.gmk_id()) {
            if gmk.timestamp() <= old.timestamp() {
                return Err(Error::Freshness);
            }
            *old = gmk;
            return Ok(());
        }
        if self.entries.len() >= self.capacity {
            self.expire(now_ntp_secs);
        }
        if self.entries.len() >= self.capacity {
            return Err(Error::CapacityExceeded);
        }
        self.entries.push(gmk);
        Ok(())
    }

    /// Drops every GMK whose expiry time has passed at `now_ntp_secs`.
    pub fn expire(&mut self, now_ntp_secs: u64) {
        self.entries.retain(|e| {
            let (_, expiry) = e.period();
            expiry == 0 || expiry >= now_ntp_secs
        });
    }

    /// Whether a GMK may be used at `now_ntp_secs`: not revoked (status 0), active, unexpired.
    fn usable(e: &ReceivedGmk, now_ntp_secs: u64) -> bool {
        let (activation, expiry) = e.period();
        e.status() != 0
            && (activation == 0 || activation <= now_ntp_secs)
            && (expiry == 0 || expiry >= now_ntp_secs)
    }

    /// The GMK with this GMK-ID, if held and usable at `now_ntp_secs`.
    pub fn get(&self, gmk_id: u32, now_ntp_secs: u64) -> Option<&ReceivedGmk> {
        self.entries
            .iter()
            .find(|e| e.gmk_id() == gmk_id && Self::usable(e, now_ntp_secs))
    }

    /// The current GMK: the usable one from the newest message (largest T).
    pub fn current(&self, now_ntp_secs: u64) -> Option<&ReceivedGmk> {
        self.entries
            .iter()
            .filter(|e| Self::usable(e, now_ntp_secs))
            .max_by_key(|e| e.timestamp())
    }

    /// A lookup for [`crate::mikey::GskReceiver::process`]: GMK octets by GMK-ID.
    pub fn lookup<'a>(&'a self, now_ntp_secs: u64) -> impl Fn(u32) -> Option<&'a [u8]> + 'a {
        move |id| self.get(id, now_ntp_secs).map(|e| &e.gmk()[..])
    }
}

/// The SRTP profile named by a MIKEY SP payload.
pub fn srtp_profile(p: crate::mikey::SrtpProfile) -> crate::srtp::Profile {
    use crate::mikey::SrtpProfile as M;
    use crate::srtp::Profile as S;
    match p {
        M::Aes128CmHmacSha1_80 => S::Aes128CmHmacSha1_80,
        M::Aes128CmHmacSha1_32 => S::Aes128CmHmacSha1_32,
        M::Aes256CmHmacSha1_80 => S::Aes256CmHmacSha1_80,
        M::Aes256CmHmacSha1_32 => S::Aes256CmHmacSha1_32,
        M::AeadAes128Gcm => S::AeadAes128Gcm,
        M::AeadAes256Gcm => S::AeadAes256Gcm,
    }
}

/// The MIKEY SP profile of an SRTP profile (`Unsupported` for the NULL-cipher test profiles,
/// which the wire profile never carries).
pub fn mikey_profile(p: crate::srtp::Profile) -> Result<crate::mikey::SrtpProfile> {
    use crate::mikey::SrtpProfile as M;
    use crate::srtp::Profile as S;
    Ok(match p {
        S::Aes128CmHmacSha1_80 => M::Aes128CmHmacSha1_80,
        S::Aes128CmHmacSha1_32 => M::Aes128CmHmacSha1_32,
        S::Aes256CmHmacSha1_80 => M::Aes256CmHmacSha1_80,
        S::Aes256CmHmacSha1_32 => M::Aes256CmHmacSha1_32,
        S::AeadAes128Gcm => M::AeadAes128Gcm,
        S::AeadAes256Gcm => M::AeadAes256Gcm,
        _ => return Err(Error::Unsupported),
    })
}

/// The SRTP policy a received GSK offer gives: its profile, the GSK and salt as the master
/// key named by the offer's MKI. The initiator's SSRCs and ROCs are in
/// [`crate::mikey::SrtpKeying::senders`] (set them with `Session::set_roc` for late entry).
pub fn srtp_policy(keying: &crate::mikey::SrtpKeying) -> Result<crate::srtp::Policy> {
    let key = crate::srtp::MasterKey::new(keying.master_key(), keying.master_salt())?;
    let key = if keying.mki().is_empty() {
        key
    } else {
        key.with_mki(keying.mki())?
    };
    Ok(crate::srtp::Policy::new(
        srtp_profile(keying.profile()),
        key,
    ))
}

/// An SRTP session for a received GSK offer, with the initiator's ROCs set (late entry).
pub fn srtp_session(keying: &crate::mikey::SrtpKeying) -> Result<crate::srtp::Session> {
    let mut s = crate::srtp::Session::new(&srtp_policy(keying)?)?;
    for id in keying.senders() {
        s.set_roc(id.ssrc, id.roc)?;
    }
    Ok(s)
}
