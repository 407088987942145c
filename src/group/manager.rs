//! The Group Manager role (seed 6.Z.4.4), sans-IO: a group's members, its GMKs with their
//! activation, expiry and status, the GMK I_MESSAGEs for its members (both profiles, each
//! signed with the group identity's key), rekey, member removal, revocation, and the members'
//! confirmations (6.Z.4.4.2 steps 6–8).
//!
//! The caller passes the time in and sends what comes out; [`Manager::confirm`] records the
//! answer a transport reports (the 200 OK of a SIP MESSAGE, in the next issue's I/O layer).

use std::collections::{BTreeMap, BTreeSet};

use rand_core::CryptoRngCore;
use zeroize::Zeroizing;

use crate::kms::{IdFormat, KmsCertificate, ProvisionedKeys};
use crate::mikey::{self, genext, GmkMessageSpec, Profile};
use crate::{Error, Result};

/// Key status carried in the key parameters: valid (as the vendor messages carry it).
pub const STATUS_VALID: u32 = 1;
/// Key status carried in the key parameters: revoked (members refuse offers under it).
pub const STATUS_REVOKED: u32 = 0;

/// One GMK of the group.
struct GmkRecord {
    id: u32,
    key: Zeroizing<[u8; 16]>,
    activation: u64,
    expiry: u64,
    status: u32,
    /// NTP seconds of the newest message sent for it (T; a re-issue needs a newer one).
    t: u64,
    /// Members whose confirmation arrived.
    confirmed: BTreeSet<Vec<u8>>,
}

/// One member's part of a batch of notifications.
struct Work<'a> {
    member: &'a Vec<u8>,
    member_id: Vec<u8>,
    rand: [u8; 16],
    iv: [u8; 16],
    sed: Result<[u8; mikey::SED_LEN]>,
}

/// The encapsulation already made for one identifier (by the batch).
struct Encapsulated<'a> {
    id: &'a [u8],
    sed: &'a [u8; mikey::SED_LEN],
}

impl mikey::SakkeEncapsulator for Encapsulated<'_> {
    fn encapsulate(&self, id: &[u8], _ssv: &[u8; mikey::SSV_LEN]) -> Result<[u8; mikey::SED_LEN]> {
        if id != self.id {
            return Err(Error::InvalidParameter);
        }
        Ok(*self.sed)
    }
}

/// A GMK I_MESSAGE for one member.
#[derive(Clone, Debug)]
pub struct Notification {
    /// The member's URI.
    pub member: Vec<u8>,
    /// The GMK-ID the message carries.
    pub gmk_id: u32,
    /// The I_MESSAGE.
    pub message: Vec<u8>,
}

/// A group's manager: its URI, its key set from the KMS (it signs as the group identity), its
/// members and its GMKs. `Debug` shows no key.
pub struct Manager {
    group_uri: Vec<u8>,
    cert: KmsCertificate,
    keys: ProvisionedKeys,
    members: BTreeSet<Vec<u8>>,
    gmks: Vec<GmkRecord>,
}

impl core::fmt::Debug for Manager {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Manager")
            .field("group", &String::from_utf8_lossy(&self.group_uri))
            .field("members", &self.members.len())
            .field(
                "gmks",
                &self
                    .gmks
                    .iter()
                    .map(|g| (g.id, g.status))
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl Manager {
    /// A manager for `group_uri` signing with `keys`, the group identity's provisioned key
    /// set (`InvalidParameter` if it is not the group's).
    pub fn new(group_uri: &[u8], cert: KmsCertificate, keys: ProvisionedKeys) -> Result<Self> {
        if keys.key_set.user_uri != group_uri {
            return Err(Error::InvalidParameter);
        }
        Ok(Manager {
            group_uri: group_uri.to_vec(),
            cert,
            keys,
            members: BTreeSet::new(),
            gmks: Vec::new(),
        })
    }

    /// The KMS certificate the manager encapsulates under. Its SAKKE key (`z`) keeps the lane
    /// combs of Z built by the first distribution, so later distributions reuse them.
    pub fn certificate(&self) -> &KmsCertificate {
        &self.cert
    }

    /// The group URI.
    pub fn group_uri(&self) -> &[u8] {
        &self.group_uri
    }

    /// The members' URIs.
    pub fn members(&self) -> impl Iterator<Item = &[u8]> {
        self.members.iter().map(Vec::as_slice)
    }

    /// Adds a member; `false` if already one.
    pub fn add_member(&mut self, uri: &[u8]) -> Result<bool> {
        if uri.is_empty() || uri.contains(&0) {
            return Err(Error::InvalidParameter);
        }
        Ok(self.members.insert(uri.to_vec()))
    }

    /// Removes a member (it keeps the GMKs it had: follow with [`Manager::rekey`]).
    pub fn remove_member(&mut self, uri: &[u8]) -> bool {
        self.members.remove(uri)
    }

    /// Creates a GMK (fresh key, GMK-ID with purpose tag 0) valid from `activation` to
    /// `expiry` (NTP seconds; 0 for none) and makes it current. Returns its GMK-ID.
    pub fn create_gmk(
        &mut self,
        activation: u64,
        expiry: u64,
        rng: &mut impl CryptoRngCore,
    ) -> Result<u32> {
        if expiry != 0 && expiry <= activation {
            return Err(Error::InvalidParameter);
        }
        let mut key = Zeroizing::new([0u8; 16]);
        rng.try_fill_bytes(&mut key[..]).map_err(|_| Error::Rng)?;
        let id = loop {
            let id = rng.next_u32() & !mikey::PURPOSE_TAG_MASK;
            if !self.gmks.iter().any(|g| g.id == id) {
                break id;
            }
        };
        self.gmks.push(GmkRecord {
            id,
            key,
            activation,
            expiry,
            status: STATUS_VALID,
            t: 0,
            confirmed: BTreeSet::new(),
        });
        Ok(id)
    }

    /// The current GMK-ID (the newest created and not revoked).
    pub fn current(&self) -> Option<u32> {
        self.gmks
            .iter()
            .rev()
            .find(|g| g.status != STATUS_REVOKED)
            .map(|g| g.id)
    }

    fn record(&mut self, gmk_id: u32) -> Result<&mut GmkRecord> {
        self.gmks
            .iter_mut()
            .find(|g| g.id == gmk_id)
            .ok_or(Error::UnknownKey)
    }

    /// The I_MESSAGE carrying GMK `g` to `member` at `now_ntp_secs`, with its SAKKE
    /// encapsulation `sed` already made (for the member's identifier `member_id`) and fresh
    /// `rand` and `iv`.
    fn message(&self, g: &GmkRecord, w: &Work<'_>, now_ntp_secs: u64) -> Result<Vec<u8>> {
        let periods = &self.cert.periods;
        let (profile, initiator, responder) = match periods.format() {
            IdFormat::Prose => (
                Profile::Prose,
                self.group_uri.as_slice(),
                w.member.as_slice(),
            ),
            IdFormat::Mcptt { .. } => (
                Profile::Mcptt,
                self.keys.key_set.user_id.as_slice(),
                w.member_id.as_slice(),
            ),
        };
        let params = genext::KeyParams {
            key_type: genext::key_kind::GMK,
            status: g.status,
            activation: g.activation,
            expiry: g.expiry,
            text: Vec::new(),
            group_ids: None,
        };
        let spec = GmkMessageSpec {
            profile,
            gmk_id: g.id,
            t: mikey::ntp_timestamp(now_ntp_secs)?,
            rand: w.rand,
            initiator,
            responder,
            member_uri: w.member,
            member_id: &w.member_id,
            kms_uri: periods.kms_uri(),
            sp: None,
            key_params: Some(&params),
            key_params_header: mikey::key_params_header(w.iv, 1),
        };
        let sed = w.sed.as_ref().map_err(|e| *e)?;
        let done = Encapsulated {
            id: &w.member_id,
            sed,
        };
        mikey::build_gmk_message(&spec, &g.key, &done, &self.keys.signing)
    }

    /// One I_MESSAGE per member for GMK `gmk_id` at `now_ntp_secs` (T must be newer than the
    /// last message for that GMK: members keep only a newer one).
    pub fn notifications(
        &mut self,
        gmk_id: u32,
        now_ntp_secs: u64,
        rng: &mut impl CryptoRngCore,
    ) -> Result<Vec<Notification>> {
        let members: Vec<Vec<u8>> = self.members.iter().cloned().collect();
        self.notify_some(gmk_id, &members, now_ntp_secs, rng)
    }

    /// The I_MESSAGEs of GMK `gmk_id` for the given members only (a member added mid-life, or
    /// a re-send to those who have not confirmed).
    pub fn notify_some(
        &mut self,
        gmk_id: u32,
        members: &[Vec<u8>],
        now_ntp_secs: u64,
        rng: &mut impl CryptoRngCore,
    ) -> Result<Vec<Notification>> {
        if members.iter().any(|m| !self.members.contains(m)) {
            return Err(Error::InvalidParameter);
        }
        let g = self
            .gmks
            .iter()
            .find(|g| g.id == gmk_id)
            .ok_or(Error::UnknownKey)?;
        if now_ntp_secs < g.t {
            return Err(Error::Freshness);
        }
        let periods = &self.cert.periods;
        let no = periods.period_no(now_ntp_secs)?;
        if no != self.keys.key_set.period_no {
            // The group's key set is for another period: the KMS must provision this one.
            return Err(Error::KeyExpired);
        }
        // The members' identifiers, then every encapsulation in one batch (IFMA lanes, every
        // core), then the messages built and signed on every core. RAND and IV come from
        // `rng` first, in member order.
        let mut work = Vec::with_capacity(members.len());
        for m in members {
            let mut rand = [0u8; 16];
            rng.try_fill_bytes(&mut rand).map_err(|_| Error::Rng)?;
            let mut iv = [0u8; 16];
            rng.try_fill_bytes(&mut iv).map_err(|_| Error::Rng)?;
            work.push(Work {
                member: m,
                member_id: periods.identifier(m, no)?,
                rand,
                iv,
                sed: Err(Error::InvalidParameter),
            });
        }
        let ssv = crate::sakke::Ssv::new(*g.key);
        let items: Vec<(&[u8], &crate::sakke::Ssv)> = work
            .iter()
            .map(|w| (w.member_id.as_slice(), &ssv))
            .collect();
        let seds = crate::sakke::encapsulate_many(&self.cert.z, &items);
        drop(items);
        for (w, sed) in work.iter_mut().zip(seds) {
            w.sed = sed;
        }
        let messages = crate::sakke::parallel_map(&work, |w| self.message(g, w, now_ntp_secs));
        let mut out = Vec::with_capacity(members.len());
        for (w, msg) in work.iter().zip(messages) {
            out.push(Notification {
                member: w.member.clone(),
                gmk_id,
                message: msg?,
            });
        }
        self.record(gmk_id)?.t = now_ntp_secs;
        Ok(out)
    }

    /// A new GMK for every current member (after a removal, or on schedule): creates it and
    /// returns the members' messages.
    pub fn rekey(
        &mut self,
        now_ntp_secs: u64,
        expiry: u64,
        rng: &mut impl CryptoRngCore,
    ) -> Result<(u32, Vec<Notification>)> {
        let id = self.create_gmk(0, expiry, rng)?;
        match self.notifications(id, now_ntp_secs, rng) {
            Ok(n) => Ok((id, n)),
            Err(e) => {
                // Nothing was sent: the GMK does not exist.
                self.gmks.retain(|g| g.id != id);
                Err(e)
            }
        }
    }

    /// Revokes GMK `gmk_id`: its status becomes revoked and every member gets a message saying
    /// so (members then refuse offers under it). T must be newer than the GMK's last message.
    pub fn revoke(
        &mut self,
        gmk_id: u32,
        now_ntp_secs: u64,
        rng: &mut impl CryptoRngCore,
    ) -> Result<Vec<Notification>> {
        let g = self.record(gmk_id)?;
        if now_ntp_secs <= g.t {
            return Err(Error::Freshness);
        }
        let before = g.status;
        g.status = STATUS_REVOKED;
        match self.notifications(gmk_id, now_ntp_secs, rng) {
            Ok(n) => Ok(n),
            Err(e) => {
                self.record(gmk_id)?.status = before;
                Err(e)
            }
        }
    }

    /// Records that `member` confirmed GMK `gmk_id` (6.Z.4.4.2 step 6).
    pub fn confirm(&mut self, member: &[u8], gmk_id: u32) -> Result<()> {
        if !self.members.contains(member) {
            return Err(Error::InvalidParameter);
        }
        self.record(gmk_id)?.confirmed.insert(member.to_vec());
        Ok(())
    }

    /// The members that have not confirmed GMK `gmk_id` (to re-send to).
    pub fn unconfirmed(&self, gmk_id: u32) -> Result<Vec<Vec<u8>>> {
        let g = self
            .gmks
            .iter()
            .find(|g| g.id == gmk_id)
            .ok_or(Error::UnknownKey)?;
        Ok(self
            .members
            .iter()
            .filter(|m| !g.confirmed.contains(*m))
            .cloned()
            .collect())
    }

    /// The members per GMK that confirmed it.
    pub fn confirmations(&self) -> BTreeMap<u32, usize> {
        self.gmks
            .iter()
            .map(|g| (g.id, g.confirmed.len()))
            .collect()
    }
}

/// One GMK of a [`ManagerState`].
#[derive(Clone, serde::Serialize, serde::Deserialize, zeroize::Zeroize, zeroize::ZeroizeOnDrop)]
struct GmkRecordState {
    #[zeroize(skip)]
    id: u32,
    key: [u8; 16],
    #[zeroize(skip)]
    activation: u64,
    #[zeroize(skip)]
    expiry: u64,
    #[zeroize(skip)]
    status: u32,
    #[zeroize(skip)]
    t: u64,
    #[zeroize(skip)]
    confirmed: Vec<Vec<u8>>,
}

/// A [`Manager`] as it is persisted: group, certificate, the group's key set, members and
/// GMKs with their confirmations. Secrets zeroize on drop; `Debug` shows none.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub struct ManagerState {
    version: u32,
    group_uri: Vec<u8>,
    cert: crate::kms::CertificateState,
    key_set: crate::kms::KeySetState,
    members: Vec<Vec<u8>>,
    gmks: Vec<GmkRecordState>,
}

impl core::fmt::Debug for ManagerState {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ManagerState")
            .field("version", &self.version)
            .field("group", &String::from_utf8_lossy(&self.group_uri))
            .field("members", &self.members.len())
            .field("gmks", &self.gmks.len())
            .finish_non_exhaustive()
    }
}

impl Manager {
    /// The persisted form.
    pub fn state(&self) -> ManagerState {
        ManagerState {
            version: crate::kms::STATE_VERSION,
            group_uri: self.group_uri.clone(),
            cert: self.cert.state(),
            key_set: self.keys.key_set.state(),
            members: self.members.iter().cloned().collect(),
            gmks: self
                .gmks
                .iter()
                .map(|g| GmkRecordState {
                    id: g.id,
                    key: *g.key,
                    activation: g.activation,
                    expiry: g.expiry,
                    status: g.status,
                    t: g.t,
                    confirmed: g.confirmed.iter().cloned().collect(),
                })
                .collect(),
        }
    }

    /// A manager back from its persisted form: the certificate and the group's key set are
    /// checked again (every key; not the clock — a key set of a past period makes
    /// notifications fail with [`Error::KeyExpired`] until the KMS provisions the current
    /// one). [`Error::Unsupported`] for another version; [`Error::InvalidParameter`] for
    /// inconsistent contents.
    pub fn from_state(s: &ManagerState) -> Result<Self> {
        if s.version != crate::kms::STATE_VERSION {
            return Err(Error::Unsupported);
        }
        let cert = KmsCertificate::from_state(&s.cert)?;
        let ks = crate::kms::KeySet::from_state(&s.key_set)?;
        let keys = cert.revalidate(&s.group_uri, ks)?;
        let mut m = Manager::new(&s.group_uri, cert, keys)?;
        for u in &s.members {
            if !m.add_member(u)? {
                return Err(Error::InvalidParameter);
            }
        }
        for g in &s.gmks {
            if m.gmks.iter().any(|x| x.id == g.id) {
                return Err(Error::InvalidParameter);
            }
            m.gmks.push(GmkRecord {
                id: g.id,
                key: Zeroizing::new(g.key),
                activation: g.activation,
                expiry: g.expiry,
                status: g.status,
                t: g.t,
                confirmed: g.confirmed.iter().cloned().collect(),
            });
        }
        Ok(m)
    }
}
