//! The Group Manager role in both profiles: members provisioned by the KMS role receive and
//! store the GMK, confirmations are tracked, a removed member is rekeyed out, a revoked GMK is
//! refused by the members, and a member added mid-life gets only its own message.
use prose_sec::group::manager::Manager;
use prose_sec::group::GmkStore;
use prose_sec::kms::{IdFormat, KeyPeriods, Kms, KmsCertificate, ProvisionedKeys};
use prose_sec::mikey::{self, GmkPolicy, MemberContext, Profile};
use prose_sec::Error;
use rand_core::OsRng;

const KMS_URI: &[u8] = b"kms.example.org";
const GROUP: &[u8] = b"sip:fire-brigade@example.org";
const NOW: u64 = 3_900_000_000;

struct Setup {
    kms: Kms,
    cert: KmsCertificate,
    format: IdFormat,
}

impl Setup {
    fn new(format: IdFormat) -> Self {
        let kms = Kms::generate(
            KeyPeriods::new(KMS_URI, format.clone()).unwrap(),
            &mut OsRng,
        )
        .unwrap();
        let cert = kms.certificate();
        Setup { kms, cert, format }
    }
    fn keys(&self, uri: &[u8]) -> ProvisionedKeys {
        let no = self.kms.periods().period_no(NOW).unwrap();
        let ks = self.kms.issue(uri, no, &mut OsRng).unwrap();
        self.cert.accept(uri, ks, NOW).unwrap()
    }
    /// A member processes `msg` into its store; returns the GMK-ID.
    fn receive(
        &self,
        member: &[u8],
        keys: &ProvisionedKeys,
        store: &mut GmkStore,
        msg: &[u8],
        now: u64,
    ) -> Result<u32, Error> {
        match self.format {
            IdFormat::Prose => store.process_prose_message(
                &self.cert.kpak,
                &keys.decapsulation,
                member,
                GROUP,
                now,
                msg,
            ),
            IdFormat::Mcptt { .. } => {
                let no = self.kms.periods().period_no(now).unwrap();
                let group_id = self.kms.periods().identifier(GROUP, no).unwrap();
                let me = MemberContext {
                    uri: member,
                    uid: &keys.key_set.user_id,
                    key: &keys.decapsulation,
                };
                let in_group = |g: &[u8]| g == group_id.as_slice();
                let g = mikey::process_gmk_message(
                    msg,
                    &GmkPolicy::new(Profile::Mcptt),
                    &me,
                    &in_group,
                    &self.cert.kpak,
                    now,
                )?;
                let id = g.gmk_id();
                store.insert(g, now)?;
                Ok(id)
            }
        }
    }
    fn group_id(&self) -> Vec<u8> {
        match self.format {
            IdFormat::Prose => GROUP.to_vec(),
            IdFormat::Mcptt { .. } => {
                let no = self.kms.periods().period_no(NOW).unwrap();
                self.kms.periods().identifier(GROUP, no).unwrap()
            }
        }
    }
}

#[test]
fn manager_lifecycle_both_profiles() {
    for format in [
        IdFormat::Prose,
        IdFormat::Mcptt {
            period_secs: 2_592_000,
            offset_secs: 0,
        },
    ] {
        let s = Setup::new(format);
        let names: Vec<Vec<u8>> = ["alice", "bob", "carol"]
            .iter()
            .map(|n| format!("sip:{n}@example.org").into_bytes())
            .collect();
        let keys: Vec<ProvisionedKeys> = names.iter().map(|n| s.keys(n)).collect();
        let mut stores: Vec<GmkStore> = names.iter().map(|_| GmkStore::default()).collect();

        // A manager needs the group's own key set.
        assert_eq!(
            Manager::new(GROUP, s.cert.clone(), s.keys(b"sip:other@example.org")).unwrap_err(),
            Error::InvalidParameter
        );
        let mut m = Manager::new(GROUP, s.cert.clone(), s.keys(GROUP)).unwrap();
        for n in &names {
            assert!(m.add_member(n).unwrap());
        }
        assert!(!m.add_member(&names[0]).unwrap());

        let g1 = m.create_gmk(0, 0, &mut OsRng).unwrap();
        assert_eq!(g1 & mikey::PURPOSE_TAG_MASK, 0);
        assert_eq!(m.current(), Some(g1));
        let sent = m.notifications(g1, NOW, &mut OsRng).unwrap();
        assert_eq!(sent.len(), 3);
        for (i, n) in sent.iter().enumerate() {
            assert_eq!(n.member, names[i]);
            assert_eq!(
                s.receive(&names[i], &keys[i], &mut stores[i], &n.message, NOW),
                Ok(g1)
            );
            // One member's message does not open for another.
            let j = (i + 1) % 3;
            assert!(s
                .receive(&names[j], &keys[j], &mut stores[j].clone(), &n.message, NOW)
                .is_err());
        }
        let gid = s.group_id();
        let k1 = stores[0].current(&gid, NOW).unwrap().gmk().to_vec();
        assert!(stores
            .iter()
            .all(|st| st.current(&gid, NOW).unwrap().gmk()[..] == k1[..]));

        // Confirmations: Carol has not confirmed; a re-send goes to her only.
        m.confirm(&names[0], g1).unwrap();
        m.confirm(&names[1], g1).unwrap();
        assert_eq!(
            m.confirm(b"sip:mallory@example.org", g1),
            Err(Error::InvalidParameter)
        );
        assert_eq!(m.unconfirmed(g1).unwrap(), vec![names[2].clone()]);
        let again = m
            .notify_some(g1, std::slice::from_ref(&names[2]), NOW + 1, &mut OsRng)
            .unwrap();
        assert_eq!(again.len(), 1);

        // Carol leaves: rekey to Alice and Bob only.
        assert!(m.remove_member(&names[2]));
        let (g2, sent) = m.rekey(NOW + 10, 0, &mut OsRng).unwrap();
        assert_eq!(
            sent.iter().map(|n| n.member.clone()).collect::<Vec<_>>(),
            names[..2].to_vec()
        );
        for (i, n) in sent.iter().enumerate() {
            assert_eq!(
                s.receive(&names[i], &keys[i], &mut stores[i], &n.message, NOW + 10),
                Ok(g2)
            );
            assert_eq!(stores[i].current(&gid, NOW + 10).unwrap().gmk_id(), g2);
        }
        assert_eq!(m.current(), Some(g2));

        // Revoking GMK 1: members keep it but refuse to use it.
        let rev = m.revoke(g1, NOW + 20, &mut OsRng).unwrap();
        for (i, n) in rev.iter().enumerate() {
            assert_eq!(
                s.receive(&names[i], &keys[i], &mut stores[i], &n.message, NOW + 20),
                Ok(g1)
            );
            assert!(
                stores[i].get(&gid, g1, NOW + 20).is_none(),
                "revoked GMK is not usable"
            );
            assert!(stores[i].get(&gid, g2, NOW + 20).is_some());
        }
        assert_eq!(
            m.revoke(g1, NOW + 20, &mut OsRng).unwrap_err(),
            Error::Freshness
        );

        // Dave joins mid-life: only his message.
        let dave = b"sip:dave@example.org".to_vec();
        let dave_keys = s.keys(&dave);
        m.add_member(&dave).unwrap();
        let only = m
            .notify_some(g2, std::slice::from_ref(&dave), NOW + 30, &mut OsRng)
            .unwrap();
        let mut dave_store = GmkStore::default();
        assert_eq!(
            s.receive(
                &dave,
                &dave_keys,
                &mut dave_store,
                &only[0].message,
                NOW + 30
            ),
            Ok(g2)
        );
        assert_eq!(
            m.notify_some(g2, std::slice::from_ref(&names[2]), NOW + 31, &mut OsRng)
                .unwrap_err(),
            Error::InvalidParameter,
            "not a member"
        );

        // Outside the period of the group's key set the manager cannot sign.
        assert_eq!(
            m.notifications(g2, NOW + 400 * 86_400, &mut OsRng)
                .unwrap_err(),
            Error::KeyExpired
        );
    }
}
