//! The receiving member (seed 6.Z.4.4–6.Z.4.5), sans-IO, `prose` profile: its provisioned key
//! sets for several periods, per group a GMK store (newest T current) and one SRTP receive
//! session, GSK offers accepted under its policy. A re-sent offer never rebuilds a session (its
//! ROCs only move streams forward); a new GSK is added beside the old one, selected by MKI, so
//! a rekey loses no packet. Every call reports what happened as an [`Event`].

use std::collections::{BTreeMap, BTreeSet};

use super::GskReceiver;
use crate::group::GmkStore;
use crate::kms::{KeySet, KmsCertificate, ProvisionedKeys};
use crate::mikey::{role, Message, PskPolicy, SrtpKeying};
use crate::srtp::{MasterKey, Session};
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
    pub fn new(uri: &[u8], cert: KmsCertificate, policy: PskPolicy) -> Self {
        Member {
            uri: uri.to_vec(),
            cert,
            keys: BTreeMap::new(),
            groups: BTreeMap::new(),
            receiver: GskReceiver::new(policy),
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

    /// A GMK I_MESSAGE: the group from its IDRi (a joined one), the key set from the period of
    /// its T, then the checks of [`GmkStore::process_prose_message`]. On error nothing changes.
    pub fn handle_gmk_message(&mut self, msg: &[u8], now_ntp_secs: u64) -> Result<Event> {
        let m = Message::parse(msg)?;
        let group = m.idr(role::INITIATOR).ok_or(Error::Parse)?.data.to_vec();
        let t = m.t().ok_or(Error::Parse)?.seconds_near(now_ntp_secs);
        let no = self.cert.periods.period_no(t)?;
        let keys = self.keys.get(&no).ok_or(Error::UnknownKey)?;
        let state = self.groups.get_mut(&group).ok_or(Error::InvalidParameter)?;
        let gmk_id = state.store.process_prose_message(
            &self.cert.kpak,
            &keys.decapsulation,
            &self.uri,
            &group,
            now_ntp_secs,
            msg,
        )?;
        Ok(Event::GmkAccepted { group, gmk_id })
    }

    /// A GSK offer: the group from its IDRr (a joined one), opened under that group's GMKs and
    /// the receiver's policy; then the group's session is started, given the new GSK beside the
    /// old ones, or — for a GSK it has — left as it is but for forward ROC moves. On error
    /// nothing changes.
    pub fn handle_offer(&mut self, msg: &[u8], now_ntp_secs: u64) -> Result<Event> {
        let m = Message::parse(msg)?;
        let group = m.idr(role::RESPONDER).ok_or(Error::Parse)?.data.to_vec();
        let state = self.groups.get(&group).ok_or(Error::InvalidParameter)?;
        let keying = self.receiver.process(
            msg,
            now_ntp_secs,
            state.store.lookup(now_ntp_secs),
            Some(&self.cert.kpak),
        )?;
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
