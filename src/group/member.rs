//! The receiving member (seed 6.Z.4.4–6.Z.4.5), sans-IO, in both profiles (`prose` or `mcptt`,
//! as the KMS certificate's identifier format says): its provisioned key
//! sets for several periods, per group a GMK store (newest T current) and one SRTP receive
//! session, GSK offers accepted under its policy. A re-sent offer never rebuilds a session (its
//! ROCs only move streams forward); a new GSK is added beside the old one, selected by MKI, so
//! a rekey loses no packet. Every call reports what happened as an [`Event`].

use std::collections::{BTreeMap, BTreeSet};

use super::initiator::{Call, Initiator};
use super::GskReceiver;
use crate::group::GmkStore;
use crate::kms::{IdFormat, KeySet, KmsCertificate, ProvisionedKeys};
use crate::mikey::{
    self, data_type, prf_id, role, GmkPolicy, IdentityScheme, MemberContext, Message, PskPolicy,
    ReceivedGmk, SrtpKeying,
};
use crate::srtp::{MasterKey, Profile, Session};
use crate::{Error, Result};

/// What a member's call did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A GMK was accepted (new, or new parameters such as a revocation).
    GmkAccepted {
        /// Group URI.
        group: Vec<u8>,
        /// Its GMK-ID.
        gmk_id: u32,
    },
    /// The first GSK of a group: its receive session exists now.
    SessionStarted {
        /// Group URI.
        group: Vec<u8>,
        /// GSK-ID (the MKI).
        gsk_id: u32,
    },
    /// A new GSK was added beside the old ones (rekey).
    Rekeyed {
        /// Group URI.
        group: Vec<u8>,
        /// The new GSK-ID.
        gsk_id: u32,
    },
    /// An offer for a GSK the session already has (a re-send): nothing rebuilt; its ROCs only
    /// moved streams forward.
    Resent {
        /// Group URI.
        group: Vec<u8>,
        /// GSK-ID.
        gsk_id: u32,
    },
    /// A message was refused; nothing changed.
    Refused {
        /// The group the message names, when it could be read.
        group: Option<Vec<u8>>,
        /// Why.
        reason: Error,
    },
}

/// Signers' verifiers kept for reuse: a member verifies the same Group Manager and the same
/// initiators again and again (every GMK message, every re-sent offer), and a
/// [`crate::eccsi::Verifier`] for a (signer, PVT) halves the cost of a verification. Only a
/// verifier whose signature verified is kept; at most [`VERIFIER_CACHE`] of them, the oldest
/// dropped first.
struct VerifierCache {
    kpak: crate::eccsi::Kpak,
    entries: core::cell::RefCell<Vec<crate::eccsi::Verifier>>,
    /// Verifications answered by a kept verifier (public counts, for tests and statistics).
    hits: core::cell::Cell<u64>,
}

/// Signers whose verifiers a member keeps.
pub const VERIFIER_CACHE: usize = 64;

impl mikey::SignatureVerifier for VerifierCache {
    fn verify(&self, signer: &[u8], msg: &[u8], sig: &[u8]) -> Result<()> {
        const PVT_AT: usize = 64;
        if sig.len() != mikey::SIGNATURE_LEN {
            return Err(Error::InvalidSignature);
        }
        let pvt = &sig[PVT_AT..];
        let mut entries = self.entries.borrow_mut();
        if let Some(v) = entries
            .iter()
            .find(|v| v.id() == signer && v.pvt()[..] == *pvt)
        {
            self.hits.set(self.hits.get() + 1);
            return v.verify(msg, sig).map_err(|_| Error::InvalidSignature);
        }
        let v = crate::eccsi::Verifier::new(&self.kpak, signer, pvt)
            .map_err(|_| Error::InvalidSignature)?;
        v.verify(msg, sig).map_err(|_| Error::InvalidSignature)?;
        if entries.len() >= VERIFIER_CACHE {
            entries.remove(0);
        }
        entries.push(v);
        Ok(())
    }
}

#[derive(Default)]
struct GroupState {
    store: GmkStore,
    session: Option<Session>,
    gsk_ids: BTreeSet<u32>,
}

/// A member: URI, KMS certificate, provisioned keys by period, joined groups.
pub struct Member {
    uri: Vec<u8>,
    cert: KmsCertificate,
    keys: BTreeMap<u64, ProvisionedKeys>,
    groups: BTreeMap<Vec<u8>, GroupState>,
    receiver: GskReceiver,
    verifiers: VerifierCache,
}

impl core::fmt::Debug for Member {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Member")
            .field("uri", &String::from_utf8_lossy(&self.uri))
            .field("periods", &self.keys.keys().collect::<Vec<_>>())
            .field("groups", &self.groups.len())
            .finish()
    }
}

impl Member {
    /// A member `uri` of the KMS `cert`, accepting GSK offers under `policy`.
    /// The signer identifiers of offers follow the certificate's format (the policy's
    /// `identity_scheme` is set from it).
    pub fn new(uri: &[u8], cert: KmsCertificate, mut policy: PskPolicy) -> Self {
        policy.identity_scheme = match cert.periods.format() {
            IdFormat::Prose => IdentityScheme::Monthly,
            IdFormat::Mcptt {
                period_secs,
                offset_secs,
            } => IdentityScheme::Uid {
                kms_uri: cert.periods.kms_uri().to_vec(),
                key_period: *period_secs,
                key_period_offset: *offset_secs,
            },
        };
        let kpak = cert.kpak.clone();
        Member {
            uri: uri.to_vec(),
            cert,
            keys: BTreeMap::new(),
            groups: BTreeMap::new(),
            receiver: GskReceiver::new(policy),
            verifiers: VerifierCache {
                kpak,
                entries: Default::default(),
                hits: Default::default(),
            },
        }
    }

    /// Validates and keeps a key set (see [`KmsCertificate::accept`]); on error nothing changes.
    pub fn add_key_set(&mut self, ks: KeySet, now_ntp_secs: u64) -> Result<()> {
        let k = self.cert.accept(&self.uri, ks, now_ntp_secs)?;
        self.keys.insert(k.key_set.period_no, k);
        Ok(())
    }

    /// The provisioned keys of period `no`.
    pub fn keys(&self, no: u64) -> Option<&ProvisionedKeys> {
        self.keys.get(&no)
    }

    /// Joins a group (GMK messages and offers of other groups are refused).
    pub fn join(&mut self, group_uri: &[u8]) {
        self.groups.entry(group_uri.to_vec()).or_default();
    }

    /// The receive session of a group, once a GSK arrived.
    pub fn session(&mut self, group_uri: &[u8]) -> Option<&mut Session> {
        self.groups.get_mut(group_uri)?.session.as_mut()
    }

    /// The GMK store of a group.
    pub fn gmks(&self, group_uri: &[u8]) -> Option<&GmkStore> {
        self.groups.get(group_uri).map(|g| &g.store)
    }

    #[doc(hidden)]
    /// The verifier cache: (signers kept, verifications answered from a kept verifier).
    pub fn verifier_cache_stats(&self) -> (usize, u64) {
        (
            self.verifiers.entries.borrow().len(),
            self.verifiers.hits.get(),
        )
    }

    fn mcptt(&self) -> bool {
        matches!(self.cert.periods.format(), IdFormat::Mcptt { .. })
    }

    /// The IDR role naming the group in a GMK message (URI in `prose`, UID in `mcptt`).
    fn gmk_initiator_role(&self) -> u8 {
        if self.mcptt() {
            role::INITIATOR_UID
        } else {
            role::INITIATOR
        }
    }

    /// The member's URI.
    pub fn uri(&self) -> &[u8] {
        &self.uri
    }

    /// The KMS certificate.
    pub fn certificate(&self) -> &KmsCertificate {
        &self.cert
    }

    /// The joined groups.
    pub fn groups(&self) -> impl Iterator<Item = &[u8]> {
        self.groups.keys().map(Vec::as_slice)
    }

    /// The current GMK of a joined group at `now_ntp_secs` (newest T, usable).
    pub fn current_gmk(&self, group_uri: &[u8], now_ntp_secs: u64) -> Option<&ReceivedGmk> {
        self.groups.get(group_uri)?.store.current_any(now_ntp_secs)
    }

    /// Any message of the member's protocol: a GMK I_MESSAGE or a GSK offer, by its HDR data
    /// type. Never fails: a refusal is [`Event::Refused`] with the reason (and nothing changed).
    pub fn handle(&mut self, msg: &[u8], now_ntp_secs: u64) -> Event {
        let (result, group) = match Message::parse(msg) {
            Err(e) => (Err(e), None),
            Ok(m) => match m.hdr().data_type {
                data_type::SAKKE_INIT => (
                    self.handle_gmk_message(msg, now_ntp_secs),
                    self.gmk_group(&m, now_ntp_secs),
                ),
                data_type::PSK_INIT => (
                    self.handle_offer(msg, now_ntp_secs),
                    m.idr(role::RESPONDER).map(|i| i.data.to_vec()),
                ),
                _ => (Err(Error::Unsupported), None),
            },
        };
        result.unwrap_or_else(|reason| Event::Refused { group, reason })
    }

    /// The joined group a GMK message is from: IDRi is the group URI in `prose`, the group's
    /// UID for the period of T in `mcptt`.
    fn gmk_group(&self, m: &Message<'_>, now_ntp_secs: u64) -> Option<Vec<u8>> {
        let idri = m.idr(self.gmk_initiator_role())?.data;
        if !self.mcptt() {
            return Some(idri.to_vec());
        }
        let t = m.t()?.seconds_near(now_ntp_secs);
        let no = self.cert.periods.period_no(t).ok()?;
        self.groups
            .keys()
            .find(|g| self.cert.periods.identifier(g, no).ok().as_deref() == Some(idri))
            .cloned()
    }

    /// A GMK I_MESSAGE: the group from its IDRi (a joined one; in `mcptt` the group's UID for
    /// the period), the key set from the period of its T, then the checks of
    /// [`mikey::process_gmk_message`] (signature by the group identity, freshness,
    /// decapsulation; in `mcptt` the GUK-ID). On error nothing changes.
    pub fn handle_gmk_message(&mut self, msg: &[u8], now_ntp_secs: u64) -> Result<Event> {
        let m = Message::parse(msg)?;
        if m.hdr().data_type != data_type::SAKKE_INIT {
            return Err(Error::Unsupported);
        }
        let idri = m
            .idr(self.gmk_initiator_role())
            .ok_or(Error::Parse)?
            .data
            .to_vec();
        let t = m.t().ok_or(Error::Parse)?.seconds_near(now_ntp_secs);
        let no = self.cert.periods.period_no(t)?;
        let keys = self.keys.get(&no).ok_or(Error::UnknownKey)?;
        let group = self
            .gmk_group(&m, now_ntp_secs)
            .filter(|g| self.groups.contains_key(g))
            .ok_or(Error::InvalidParameter)?;
        let profile = if self.mcptt() {
            mikey::Profile::Mcptt
        } else {
            mikey::Profile::Prose
        };
        let mut policy = GmkPolicy::new(profile);
        policy.kms_uri = Some(self.cert.periods.kms_uri().to_vec());
        let me = MemberContext {
            uri: &self.uri,
            uid: &keys.key_set.user_id,
            key: &keys.decapsulation,
        };
        let in_group = |g: &[u8]| g == idri.as_slice();
        // The signature through the member's verifier cache (the same KPAK, the same checks):
        // a group's GMK messages come from one signer and PVT per period.
        let gmk = mikey::process_gmk_message(
            msg,
            &policy,
            &me,
            &in_group,
            &self.verifiers,
            now_ntp_secs,
        )?;
        let gmk_id = gmk.gmk_id();
        let state = self.groups.get_mut(&group).ok_or(Error::InvalidParameter)?;
        // One store per group: GMKs of another group never enter it, so a GSK offer naming
        // this group is opened only under this group's GMKs.
        state.store.insert(gmk, now_ntp_secs)?;
        Ok(Event::GmkAccepted { group, gmk_id })
    }

    /// Starts a call to a joined group at `now_ntp_secs` under its current GMK, as this
    /// member: the offers carry the PRF of the profile and, if `sign`, the member's ECCSI
    /// signature with its key set of the current period. `UnknownKey` without a usable GMK or
    /// (when signing) a key set for the period.
    pub fn start_call(
        &self,
        group_uri: &[u8],
        profile: Profile,
        ssrcs: &[u32],
        now_ntp_secs: u64,
        sign: bool,
    ) -> Result<Initiator> {
        let gmk = self
            .current_gmk(group_uri, now_ntp_secs)
            .ok_or(Error::UnknownKey)?;
        let signer = if sign {
            let no = self.cert.periods.period_no(now_ntp_secs)?;
            Some(&self.keys.get(&no).ok_or(Error::UnknownKey)?.signing)
        } else {
            None
        };
        let call = Call {
            prf: if self.mcptt() {
                prf_id::HMAC_SHA256
            } else {
                prf_id::MIKEY_1
            },
            group_uri,
            initiator_uri: &self.uri,
            profile,
            ssrcs,
        };
        Initiator::under(gmk, &call, now_ntp_secs, signer)
    }

    /// The signing key of the period holding `now_ntp_secs` (for an initiator's re-sends).
    pub fn signing_key(&self, now_ntp_secs: u64) -> Option<&crate::eccsi::SigningKey> {
        let no = self.cert.periods.period_no(now_ntp_secs).ok()?;
        self.keys.get(&no).map(|k| &k.signing)
    }

    /// A GSK offer: the group from its IDRr (a joined one), opened under that group's GMKs and
    /// the receiver's policy; then the group's session is started, given the new GSK beside the
    /// old ones, or — for a GSK it has — left as it is but for forward ROC moves. On error
    /// nothing changes.
    pub fn handle_offer(&mut self, msg: &[u8], now_ntp_secs: u64) -> Result<Event> {
        let m = Message::parse(msg)?;
        let group = m.idr(role::RESPONDER).ok_or(Error::Parse)?.data.to_vec();
        let state = self.groups.get(&group).ok_or(Error::InvalidParameter)?;
        let store = &state.store;
        let lookup = |g: &[u8], id: u32| {
            (g == group.as_slice())
                .then(|| store.get_id(id, now_ntp_secs))
                .flatten()
                .map(|e| &e.gmk()[..])
        };
        let keying = self
            .receiver
            .process(msg, now_ntp_secs, lookup, Some(&self.verifiers))?;
        let state = self.groups.get_mut(&group).ok_or(Error::InvalidParameter)?;
        let gsk_id = keying.gsk_id();
        let Some(session) = state.session.as_mut() else {
            state.session = Some(super::srtp_session(&keying)?);
            state.gsk_ids.insert(gsk_id);
            return Ok(Event::SessionStarted { group, gsk_id });
        };
        if state.gsk_ids.contains(&gsk_id) {
            move_rocs_forward(session, &keying);
            return Ok(Event::Resent { group, gsk_id });
        }
        if keying.profile() != session.profile() {
            return Err(Error::Unsupported);
        }
        let key =
            MasterKey::new(keying.master_key(), keying.master_salt())?.with_mki(keying.mki())?;
        session.add_key(key)?;
        move_rocs_forward(session, &keying);
        state.gsk_ids.insert(gsk_id);
        Ok(Event::Rekeyed { group, gsk_id })
    }
}

/// Applies an offer's ROCs where they move a stream forward (or start it); `set_roc` refuses
/// anything else and changes nothing then.
fn move_rocs_forward(session: &mut Session, keying: &SrtpKeying) {
    for id in keying.senders() {
        let _ = session.set_roc(id.ssrc, id.roc);
    }
}

/// One joined group of a [`MemberState`]: its URI and its GMKs.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct GroupStateOnDisk {
    uri: Vec<u8>,
    gmks: Vec<ReceivedGmk>,
}

/// A [`Member`] as it is persisted: URI, certificate, policy, key sets, joined groups with
/// their GMKs, and the replay cache of GSK offers. SRTP sessions are not persisted: after a
/// restart the next re-sent offer of each call (PROFILE §4) starts them again, at the ROCs it
/// carries. Secrets zeroize on drop; `Debug` shows none.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub struct MemberState {
    version: u32,
    uri: Vec<u8>,
    cert: crate::kms::CertificateState,
    policy: PskPolicy,
    key_sets: Vec<crate::kms::KeySetState>,
    groups: Vec<GroupStateOnDisk>,
    seen: Vec<mikey::OfferReplayId>,
}

impl core::fmt::Debug for MemberState {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("MemberState")
            .field("version", &self.version)
            .field("uri", &String::from_utf8_lossy(&self.uri))
            .field("key_sets", &self.key_sets.len())
            .field("groups", &self.groups.len())
            .finish_non_exhaustive()
    }
}

impl Member {
    /// The persisted form.
    pub fn state(&self) -> MemberState {
        MemberState {
            version: crate::kms::STATE_VERSION,
            uri: self.uri.clone(),
            cert: self.cert.state(),
            policy: self.receiver.policy().clone(),
            key_sets: self.keys.values().map(|k| k.key_set.state()).collect(),
            groups: self
                .groups
                .iter()
                .map(|(uri, g)| GroupStateOnDisk {
                    uri: uri.clone(),
                    gmks: g.store.entries().to_vec(),
                })
                .collect(),
            seen: self.receiver.seen().to_vec(),
        }
    }

    /// A member back from its persisted form at `now_ntp_secs`: the certificate and every key
    /// set checked again (key sets of past periods are dropped), the GMK stores refilled
    /// (expired GMKs dropped), the replay cache kept for its window. [`Error::Unsupported`]
    /// for another version; the checks' errors for bad contents.
    pub fn from_state(s: &MemberState, now_ntp_secs: u64) -> Result<Self> {
        if s.version != crate::kms::STATE_VERSION {
            return Err(Error::Unsupported);
        }
        let cert = KmsCertificate::from_state(&s.cert)?;
        let now_no = cert.periods.period_no(now_ntp_secs)?;
        let mut m = Member::new(&s.uri, cert, s.policy.clone());
        for ks in &s.key_sets {
            let ks = KeySet::from_state(ks)?;
            if ks.period_no < now_no {
                continue;
            }
            let k = m.cert.revalidate(&m.uri, ks)?;
            m.keys.insert(k.key_set.period_no, k);
        }
        for g in &s.groups {
            m.join(&g.uri);
            let state = m.groups.get_mut(&g.uri).ok_or(Error::InvalidParameter)?;
            for gmk in &g.gmks {
                state.store.insert(gmk.clone(), now_ntp_secs)?;
            }
            state.store.expire(now_ntp_secs);
        }
        m.receiver =
            GskReceiver::restore(m.receiver.policy().clone(), s.seen.clone(), now_ntp_secs)?;
        Ok(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::group::manager::Manager;
    use crate::kms::{KeyPeriods, Kms};
    use rand_core::OsRng;

    const KMS_URI: &[u8] = b"kms.example.org";
    const GROUP: &[u8] = b"sip:fire-brigade@example.org";
    const OTHER: &[u8] = b"sip:police@example.org";
    const BOB: &[u8] = b"sip:bob@example.org";
    const NOW: u64 = 3_900_000_000;

    fn manager(kms: &Kms, group: &[u8], no: u64) -> Manager {
        let cert = kms.certificate();
        let keys = cert
            .accept(group, kms.issue(group, no, &mut OsRng).unwrap(), NOW)
            .unwrap();
        let mut m = Manager::new(group, cert, keys).unwrap();
        m.add_member(BOB).unwrap();
        m
    }

    fn gmk_for_bob(m: &mut Manager) -> Vec<u8> {
        let id = m.create_gmk(0, 0, &mut OsRng).unwrap();
        m.notifications(id, NOW, &mut OsRng)
            .unwrap()
            .remove(0)
            .message
    }

    #[test]
    fn gmk_messages_use_the_verifier_cache() {
        let kms = Kms::generate(
            KeyPeriods::new(KMS_URI, IdFormat::Prose).unwrap(),
            &mut OsRng,
        )
        .unwrap();
        let no = kms.periods().period_no(NOW).unwrap();
        let mut bob = Member::new(BOB, kms.certificate(), PskPolicy::default());
        bob.add_key_set(kms.issue(BOB, no, &mut OsRng).unwrap(), NOW)
            .unwrap();
        bob.join(GROUP);
        bob.join(OTHER);
        let mut gm = manager(&kms, GROUP, no);

        // The first GMK builds and keeps the group's verifier; the second hits it.
        let first = gmk_for_bob(&mut gm);
        assert!(matches!(
            bob.handle_gmk_message(&first, NOW),
            Ok(Event::GmkAccepted { .. })
        ));
        assert_eq!(bob.verifier_cache_stats(), (1, 0));
        let second = gmk_for_bob(&mut gm);
        assert!(matches!(
            bob.handle_gmk_message(&second, NOW),
            Ok(Event::GmkAccepted { .. })
        ));
        assert_eq!(bob.verifier_cache_stats(), (1, 1));
        assert_eq!(bob.gmks(GROUP).unwrap().len(), 2);

        // A bad signature from the cached signer and PVT: refused, nothing changes.
        let mut bad = gmk_for_bob(&mut gm);
        let at = bad.len() - mikey::SIGNATURE_LEN + 40; // inside s
        bad[at] ^= 1;
        assert_eq!(
            bob.handle_gmk_message(&bad, NOW).unwrap_err(),
            Error::InvalidSignature
        );
        assert_eq!(bob.gmks(GROUP).unwrap().len(), 2);
        let (kept, hits) = bob.verifier_cache_stats();
        assert_eq!(kept, 1);
        assert!(hits >= 2);

        // The same group with another key set (a changed PVT): a miss, a second verifier.
        let mut gm2 = manager(&kms, GROUP, no);
        let msg = gmk_for_bob(&mut gm2);
        assert!(bob.handle_gmk_message(&msg, NOW).is_ok());
        assert_eq!(bob.verifier_cache_stats(), (2, hits));
        // Another signer (another group): a miss, a third verifier.
        let mut other = manager(&kms, OTHER, no);
        let msg = gmk_for_bob(&mut other);
        assert!(bob.handle_gmk_message(&msg, NOW).is_ok());
        assert_eq!(bob.verifier_cache_stats(), (3, hits));
        assert_eq!(bob.gmks(OTHER).unwrap().len(), 1);
    }
}
