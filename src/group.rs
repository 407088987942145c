//! Group key life cycle for each role. For now: the member's [`GmkStore`], which keeps every
//! valid GMK by (group identity, GMK-ID) until it expires and names as *current*, per group,
//! the one carried by the newest message (largest MIKEY timestamp T), as PROFILE §3 requires.

pub mod initiator;
pub mod manager;
pub mod member;
mod receiver;

pub use receiver::GskReceiver;

use crate::mikey::ReceivedGmk;
use crate::{Error, Result};

/// Default number of GMKs a member keeps at once.
pub const DEFAULT_GMK_CAPACITY: usize = 16;

/// The GMKs a member holds, by (group identity, GMK-ID): the group is the identity that signed
/// the GMK message ([`ReceivedGmk::group`]). GMK-IDs are public (every GSK offer names one),
/// so a GMK only ever stands for the group that sent it: a message signed by one group cannot
/// replace or shadow another group's GMK, and a GSK offer for a group is only opened with that
/// group's GMKs. GMKs zeroize when dropped or replaced.
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
                &self
                    .entries
                    .iter()
                    .map(|e| (String::from_utf8_lossy(e.group()), e.gmk_id()))
                    .collect::<Vec<_>>(),
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

    /// Every GMK held (for persistence).
    pub fn entries(&self) -> &[ReceivedGmk] {
        &self.entries
    }

    /// Number of GMKs held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Adds a GMK accepted by [`crate::mikey::process_gmk_message`]. A message for a
    /// (group, GMK-ID) already held replaces it only if its timestamp is newer (new
    /// parameters, e.g. revoked); an older or equal one is refused with [`Error::Freshness`].
    /// A GMK-ID that another group's GMK already holds is refused with
    /// [`Error::InvalidParameter`] (GMK-IDs are public: a group must not be able to plant a
    /// key under another group's ID). When full, expired entries (at `now_ntp_secs`) make
    /// room; if none has expired, the group's GMK from the oldest message gives way to a newer
    /// one, and otherwise it is [`Error::CapacityExceeded`]. On error nothing changes.
    pub fn insert(&mut self, gmk: ReceivedGmk, now_ntp_secs: u64) -> Result<()> {
        if let Some(old) = self.entries.iter_mut().find(|e| e.gmk_id() == gmk.gmk_id()) {
            if old.group() != gmk.group() {
                return Err(Error::InvalidParameter);
            }
            if gmk.timestamp() <= old.timestamp() {
                return Err(Error::Freshness);
            }
            *old = gmk;
            return Ok(());
        }
        if self.entries.len() >= self.capacity {
            let live = self
                .entries
                .iter()
                .filter(|e| !Self::expired(e, now_ntp_secs))
                .count();
            if live >= self.capacity {
                // A newer GMK of a group supersedes its oldest one (rekeys go on for the
                // life of a group); only a store full of other, newer keys refuses.
                let oldest = self
                    .entries
                    .iter_mut()
                    .filter(|e| e.group() == gmk.group())
                    .min_by_key(|e| e.timestamp());
                return match oldest {
                    Some(o) if o.timestamp() < gmk.timestamp() => {
                        *o = gmk;
                        Ok(())
                    }
                    _ => Err(Error::CapacityExceeded),
                };
            }
            self.expire(now_ntp_secs);
        }
        self.entries.push(gmk);
        Ok(())
    }

    fn expired(e: &ReceivedGmk, now_ntp_secs: u64) -> bool {
        let (_, expiry) = e.period();
        expiry != 0 && expiry < now_ntp_secs
    }

    /// Drops every GMK whose expiry time has passed at `now_ntp_secs`.
    pub fn expire(&mut self, now_ntp_secs: u64) {
        self.entries.retain(|e| !Self::expired(e, now_ntp_secs));
    }

    /// Whether a GMK may be used at `now_ntp_secs`: not revoked (status 0), active, unexpired.
    fn usable(e: &ReceivedGmk, now_ntp_secs: u64) -> bool {
        let (activation, expiry) = e.period();
        e.status() != 0
            && (activation == 0 || activation <= now_ntp_secs)
            && (expiry == 0 || expiry >= now_ntp_secs)
    }

    /// The GMK of `group` with this GMK-ID, if held and usable at `now_ntp_secs`.
    pub fn get(&self, group: &[u8], gmk_id: u32, now_ntp_secs: u64) -> Option<&ReceivedGmk> {
        self.entries
            .iter()
            .find(|e| e.gmk_id() == gmk_id && e.group() == group && Self::usable(e, now_ntp_secs))
    }

    /// The current GMK of `group`: its usable one from the newest message (largest T).
    pub fn current(&self, group: &[u8], now_ntp_secs: u64) -> Option<&ReceivedGmk> {
        self.entries
            .iter()
            .filter(|e| e.group() == group && Self::usable(e, now_ntp_secs))
            .max_by_key(|e| e.timestamp())
    }

    /// The usable GMK with this GMK-ID whatever group name it is stored under (for a store
    /// that holds one group's GMKs only, as each group of a [`member::Member`] has; in
    /// `mcptt` that name is the group's UID of the message's period).
    pub(crate) fn get_id(&self, gmk_id: u32, now_ntp_secs: u64) -> Option<&ReceivedGmk> {
        self.entries
            .iter()
            .find(|e| e.gmk_id() == gmk_id && Self::usable(e, now_ntp_secs))
    }

    /// The current GMK of a store that holds one group's GMKs only (see `get_id`).
    pub(crate) fn current_any(&self, now_ntp_secs: u64) -> Option<&ReceivedGmk> {
        self.entries
            .iter()
            .filter(|e| Self::usable(e, now_ntp_secs))
            .max_by_key(|e| e.timestamp())
    }

    /// A lookup for [`crate::group::GskReceiver::process`]: GMK octets by (group, GMK-ID).
    pub fn lookup<'a>(&'a self, now_ntp_secs: u64) -> impl Fn(&[u8], u32) -> Option<&'a [u8]> + 'a {
        move |group, id| self.get(group, id, now_ntp_secs).map(|e| &e.gmk()[..])
    }
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
    Ok(crate::srtp::Policy::new(keying.profile(), key))
}

/// An SRTP session for a received GSK offer, with the initiator's ROCs set (late entry).
///
/// Build it once per offer: for an offer the receiver reports as a re-send
/// ([`crate::mikey::SrtpKeying::is_resend`]) keep the session built from the first copy. A
/// new session starts with empty replay windows, so packets recorded under the old one
/// would be accepted again.
pub fn srtp_session(keying: &crate::mikey::SrtpKeying) -> Result<crate::srtp::Session> {
    let mut s = crate::srtp::Session::new(&srtp_policy(keying)?)?;
    for id in keying.senders() {
        s.set_roc(id.ssrc, id.roc)?;
    }
    Ok(s)
}

/// The Group Manager's GMK I_MESSAGE for one member in the `prose` profile: `gmk` encapsulated
/// to the member's identifier for the month of `ntp_seconds`, signed by the group identity's
/// key, a fresh RAND from the OS.
#[allow(clippy::too_many_arguments)]
pub fn build_prose_gmk_message(
    kms: &crate::sakke::KmsPublic,
    group_key: &crate::eccsi::SigningKey,
    group_uri: &[u8],
    member_uri: &[u8],
    kms_uri: &[u8],
    gmk_id: u32,
    ntp_seconds: u64,
    gmk: &[u8; 16],
) -> Result<Vec<u8>> {
    use crate::mikey::{self, GmkMessageSpec, Profile};
    let member_id = mikey::prose_identifier(member_uri, ntp_seconds)?;
    let rand = fresh_rand()?;
    let spec = GmkMessageSpec {
        profile: Profile::Prose,
        gmk_id,
        t: mikey::ntp_timestamp(ntp_seconds)?,
        rand,
        initiator: group_uri,
        responder: member_uri,
        member_uri,
        member_id: &member_id,
        kms_uri,
        sp: None,
        key_params: None,
        key_params_header: mikey::key_params_header(rand, 0),
    };
    mikey::build_gmk_message(&spec, gmk, kms, group_key)
}

/// The initiator's GSK offer in the `prose` profile (PRF MIKEY-1): `gsk` and `salt` under the
/// GMK `gmk_id` of `store`, the GSK-ID as MKI, the initiator's `(ssrc, roc)` senders, a fresh
/// RAND; signed with `signer` if given.
#[allow(clippy::too_many_arguments)]
pub fn build_prose_gsk_offer(
    store: &GmkStore,
    gmk_id: u32,
    initiator_uri: &[u8],
    group_uri: &[u8],
    profile: crate::srtp::Profile,
    gsk: &[u8],
    salt: &[u8],
    gsk_id: u32,
    senders: &[(u32, u32)],
    ntp_seconds: u64,
    signer: Option<&crate::eccsi::SigningKey>,
) -> Result<Vec<u8>> {
    let gmk = store
        .get(group_uri, gmk_id, ntp_seconds)
        .ok_or(Error::UnknownKey)?;
    let keys = GskKeys {
        prf: crate::mikey::prf_id::MIKEY_1,
        gmk: gmk.gmk(),
        gmk_id,
        profile,
        gsk,
        salt,
        gsk_id,
    };
    build_gsk_offer_under(
        &keys,
        initiator_uri,
        group_uri,
        senders,
        ntp_seconds,
        signer,
    )
}

impl core::fmt::Debug for GskKeys<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("GskKeys")
            .field("prf", &self.prf)
            .field("gmk_id", &self.gmk_id)
            .field("profile", &self.profile)
            .field("gsk_id", &self.gsk_id)
            .finish_non_exhaustive()
    }
}

/// The keys of a GSK offer: the PRF of the profile (`prose` MIKEY-1, `mcptt`
/// PRF-HMAC-SHA-256), the GMK and its ID, and the GSK, salt and GSK-ID it carries.
pub struct GskKeys<'a> {
    /// HDR PRF ([`crate::mikey::prf_id`]).
    pub prf: u8,
    /// The GMK the transport keys come from.
    pub gmk: &'a [u8],
    /// Its GMK-ID (IDRpsk).
    pub gmk_id: u32,
    /// SRTP profile.
    pub profile: crate::srtp::Profile,
    /// The GSK (SRTP master key).
    pub gsk: &'a [u8],
    /// The SRTP master salt.
    pub salt: &'a [u8],
    /// GSK-ID (CSB ID, and the MKI).
    pub gsk_id: u32,
}

/// The initiator's GSK offer under `keys`, in either profile: the GSK-ID as MKI, the
/// initiator's `(ssrc, roc)` senders, a fresh RAND; signed with `signer` if given.
pub fn build_gsk_offer_under(
    keys: &GskKeys<'_>,
    initiator_uri: &[u8],
    group_uri: &[u8],
    senders: &[(u32, u32)],
    ntp_seconds: u64,
    signer: Option<&crate::eccsi::SigningKey>,
) -> Result<Vec<u8>> {
    use crate::mikey::{self, GskOffer, SrtpId};
    if senders.len() > 255 {
        return Err(Error::InvalidParameter);
    }
    let senders: Vec<SrtpId> = senders
        .iter()
        .map(|&(ssrc, roc)| SrtpId {
            policy_no: 0,
            ssrc,
            roc,
        })
        .collect();
    let offer = GskOffer {
        prf: keys.prf,
        gsk_id: keys.gsk_id,
        senders: &senders,
        initiator_uri,
        group_uri,
        gmk_id: keys.gmk_id,
        profile: keys.profile,
        t: mikey::ntp_timestamp(ntp_seconds)?,
        rand: fresh_rand()?,
        mki: &[],
    };
    let signer = signer.map(|s| s as &dyn mikey::MessageSigner);
    mikey::build_gsk_offer(&offer, keys.gmk, keys.gsk, keys.salt, signer)
}

impl GmkStore {
    /// The member's processing of a `prose` GMK I_MESSAGE from the group `group_uri`: the
    /// group's signature under `kpak`, decapsulation with the member's key (and the R check),
    /// freshness (±300 s of `now_ntp_secs`); the GMK is stored. Returns its GMK-ID. On any
    /// error the store is unchanged.
    pub fn process_prose_message(
        &mut self,
        kpak: &crate::eccsi::Kpak,
        key: &crate::sakke::DecapsulationKey,
        member_uri: &[u8],
        group_uri: &[u8],
        now_ntp_secs: u64,
        msg: &[u8],
    ) -> Result<u32> {
        use crate::mikey::{self, GmkPolicy, MemberContext, Profile};
        let me = MemberContext {
            uri: member_uri,
            uid: &[],
            key,
        };
        let in_group = |g: &[u8]| g == group_uri;
        let gmk = mikey::process_gmk_message(
            msg,
            &GmkPolicy::new(Profile::Prose),
            &me,
            &in_group,
            kpak,
            now_ntp_secs,
        )?;
        let id = gmk.gmk_id();
        self.insert(gmk, now_ntp_secs)?;
        Ok(id)
    }
}

/// Fills `out` from the OS random source ([`Error::Rng`] if it fails).
fn os_random(out: &mut [u8]) -> Result<()> {
    use rand_core::RngCore;
    rand_core::OsRng.try_fill_bytes(out).map_err(|_| Error::Rng)
}

/// A fresh GMK (16 octets, PROFILE §3) from the OS random source.
pub fn generate_gmk() -> Result<zeroize::Zeroizing<[u8; 16]>> {
    let mut k = zeroize::Zeroizing::new([0u8; 16]);
    os_random(&mut k[..])?;
    Ok(k)
}

/// A fresh GMK-ID: 28 random bits under the purpose tag 0 (GMK) in the 4 most significant bits
/// (PROFILE §3).
pub fn generate_gmk_id() -> Result<u32> {
    let mut b = [0u8; 4];
    os_random(&mut b)?;
    Ok(u32::from_be_bytes(b) & !crate::mikey::PURPOSE_TAG_MASK)
}

/// Secret octets that are wiped when dropped.
pub type SecretBytes = zeroize::Zeroizing<Vec<u8>>;

/// A fresh GSK and SRTP master salt for `profile` (its key and salt lengths) from the OS random
/// source.
pub fn generate_gsk(profile: crate::srtp::Profile) -> Result<(SecretBytes, SecretBytes)> {
    let mut key = zeroize::Zeroizing::new(vec![0u8; profile.key_len()]);
    let mut salt = zeroize::Zeroizing::new(vec![0u8; profile.salt_len()]);
    os_random(&mut key)?;
    os_random(&mut salt)?;
    Ok((key, salt))
}

/// A fresh GSK-ID (32 random bits, PROFILE §4; also the SRTP MKI).
pub fn generate_gsk_id() -> Result<u32> {
    let mut b = [0u8; 4];
    os_random(&mut b)?;
    Ok(u32::from_be_bytes(b))
}

fn fresh_rand() -> Result<[u8; 16]> {
    use rand_core::RngCore;
    let mut rand = [0u8; 16];
    rand_core::OsRng
        .try_fill_bytes(&mut rand)
        .map_err(|_| Error::Rng)?;
    Ok(rand)
}
