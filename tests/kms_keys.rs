//! The KMS role: key periods and identifiers in both formats, key sets issued one by one and
//! in bulk, and the member's validation of every key before it accepts a key set.
use prose_sec::eccsi;
use prose_sec::kms::{IdFormat, KeyPeriods, Kms};
use prose_sec::mikey::{self, uid};
use prose_sec::sakke::{self, Ssv};
use prose_sec::Error;
use rand_core::OsRng;

const KMS_URI: &[u8] = b"kms.example.org";
const ALICE: &[u8] = b"sip:alice@example.org";
/// 2011-02-01 00:00 UTC in NTP seconds.
const FEB_2011: u64 = 1_296_518_400 + mikey::NTP_UNIX_OFFSET;

fn mcptt() -> IdFormat {
    IdFormat::Mcptt {
        period_secs: 2_592_000,
        offset_secs: 0,
    }
}

#[test]
fn prose_periods_are_calendar_months() {
    let p = KeyPeriods::new(KMS_URI, IdFormat::Prose).unwrap();
    let no = p.period_no(FEB_2011 + 86_400 * 10).unwrap();
    assert_eq!(no, 111 * 12 + 1);
    assert_eq!(p.validity(no).unwrap(), (FEB_2011, FEB_2011 + 28 * 86_400));
    assert_eq!(p.period_no(FEB_2011 - 1).unwrap(), no - 1);
    assert_eq!(p.period_no(FEB_2011 + 28 * 86_400).unwrap(), no + 1);
    // The RFC 6507/6508 test identity.
    assert_eq!(
        p.identifier(b"tel:+447700900123", no).unwrap(),
        b"2011-02\0tel:+447700900123\0"
    );
    // A leap February and a December rolling into the next year.
    let feb_2012 = p.period_no(FEB_2011 + 365 * 86_400).unwrap();
    let (from, to) = p.validity(feb_2012).unwrap();
    assert_eq!(to - from, 29 * 86_400);
    let dec = p.period_no(FEB_2011 + 310 * 86_400).unwrap();
    assert!(p.identifier(ALICE, dec).unwrap().starts_with(b"2011-12\0"));
    assert!(p
        .identifier(ALICE, dec + 1)
        .unwrap()
        .starts_with(b"2012-01\0"));
}

#[test]
fn mcptt_periods_follow_the_uid_rules() {
    let p = KeyPeriods::new(KMS_URI, mcptt()).unwrap();
    let t = 3_900_000_000u64;
    let no = p.period_no(t).unwrap();
    assert_eq!(no, uid::key_period_no(t, 2_592_000, 0).unwrap());
    let (from, to) = p.validity(no).unwrap();
    assert!(from <= t && t < to && to - from == 2_592_000);
    assert_eq!(
        p.identifier(ALICE, no).unwrap(),
        uid::uid(ALICE, KMS_URI, 2_592_000, 0, no).unwrap().to_vec()
    );
    assert_eq!(
        KeyPeriods::new(
            KMS_URI,
            IdFormat::Mcptt {
                period_secs: 0,
                offset_secs: 0
            }
        )
        .unwrap_err(),
        Error::InvalidParameter
    );
}

#[test]
fn issued_key_sets_are_accepted_and_work() {
    for format in [IdFormat::Prose, mcptt()] {
        let kms = Kms::generate(KeyPeriods::new(KMS_URI, format).unwrap(), &mut OsRng).unwrap();
        let cert = kms.certificate();
        let now = 3_900_000_000u64;
        let [cur, next] = kms.issue_current_and_next(ALICE, now, &mut OsRng).unwrap();
        assert_eq!(next.period_no, cur.period_no + 1);
        assert_eq!(cur.valid_to, next.valid_from);
        assert!(!format!("{cur:?}").contains("rsk: ["), "Debug is redacted");
        let keys = cert.accept(ALICE, cur, now).unwrap();
        cert.accept(ALICE, next, now).unwrap();
        // The keys work: SAKKE to the identifier, ECCSI as it.
        let id = keys.key_set.user_id.clone();
        let ssv = Ssv::new([7; 16]);
        let sed = sakke::encapsulate(&cert.z, &id, &ssv).unwrap();
        assert_eq!(
            keys.decapsulation.decapsulate(&sed).unwrap().as_bytes(),
            ssv.as_bytes()
        );
        let sig = keys.signing.sign(b"hello", &mut OsRng).unwrap();
        eccsi::verify(&cert.kpak, &id, b"hello", &sig).unwrap();
    }
}

#[test]
fn member_refuses_bad_key_sets() {
    let kms = Kms::generate(KeyPeriods::new(KMS_URI, mcptt()).unwrap(), &mut OsRng).unwrap();
    let other = Kms::generate(KeyPeriods::new(KMS_URI, mcptt()).unwrap(), &mut OsRng).unwrap();
    let cert = kms.certificate();
    let now = 3_900_000_000u64;
    let no = kms.periods().period_no(now).unwrap();
    let good = kms.issue(ALICE, no, &mut OsRng).unwrap();
    // Someone else's key set.
    assert_eq!(
        cert.accept(b"sip:bob@example.org", good.clone(), now)
            .unwrap_err(),
        Error::InvalidParameter
    );
    // A UserID that is not the identifier of the period.
    let mut bad = good.clone();
    bad.period_no += 1;
    assert_eq!(
        cert.accept(ALICE, bad, now).unwrap_err(),
        Error::InvalidParameter
    );
    // A validity that is not the period's.
    let mut bad = good.clone();
    bad.valid_to += 1;
    assert_eq!(
        cert.accept(ALICE, bad, now).unwrap_err(),
        Error::InvalidParameter
    );
    // Past and far-future periods.
    let old = kms.issue(ALICE, no - 1, &mut OsRng).unwrap();
    assert_eq!(cert.accept(ALICE, old, now).unwrap_err(), Error::KeyExpired);
    let far = kms.issue(ALICE, no + 2, &mut OsRng).unwrap();
    assert_eq!(cert.accept(ALICE, far, now).unwrap_err(), Error::KeyExpired);
    // Keys from another KMS: the RSK fails the pairing check, SSK/PVT fail RFC 6507 §5.1.2.
    let theirs = other.issue(ALICE, no, &mut OsRng).unwrap();
    let mut bad = good.clone();
    bad.rsk = theirs.rsk.clone();
    assert_eq!(cert.accept(ALICE, bad, now).unwrap_err(), Error::InvalidKey);
    let mut bad = good.clone();
    bad.ssk = theirs.ssk.clone();
    bad.pvt = theirs.pvt;
    assert_eq!(cert.accept(ALICE, bad, now).unwrap_err(), Error::InvalidKey);
    let mut bad = good.clone();
    bad.pvt = theirs.pvt;
    assert_eq!(cert.accept(ALICE, bad, now).unwrap_err(), Error::InvalidKey);
    cert.accept(ALICE, good, now).unwrap();
}

#[test]
fn bulk_issue_matches_single_issue_rules() {
    let kms = Kms::generate(
        KeyPeriods::new(KMS_URI, IdFormat::Prose).unwrap(),
        &mut OsRng,
    )
    .unwrap();
    let cert = kms.certificate();
    let now = 3_900_000_000u64;
    let no = kms.periods().period_no(now).unwrap();
    let uris: Vec<Vec<u8>> = (0..40)
        .map(|i| format!("sip:user{i}@example.org").into_bytes())
        .collect();
    let mut refs: Vec<&[u8]> = uris.iter().map(Vec::as_slice).collect();
    refs.insert(7, b"");
    let sets = kms.issue_many(&refs, no, &mut OsRng).unwrap();
    assert_eq!(sets.len(), 41);
    assert_eq!(sets[7].as_ref().unwrap_err(), &Error::InvalidParameter);
    for (uri, ks) in refs.iter().zip(sets) {
        if uri.is_empty() {
            continue;
        }
        let ks = ks.unwrap();
        assert_eq!(ks.user_uri, *uri);
        cert.accept(uri, ks, now).unwrap();
    }
}

/// KeyPeriodNo values read from outside cannot overflow the calendar arithmetic.
#[test]
fn absurd_period_numbers_are_refused() {
    let p = KeyPeriods::new(KMS_URI, IdFormat::Prose).unwrap();
    for no in [12 * 300 + 1, u64::MAX / 12, u64::MAX - 1, u64::MAX] {
        assert_eq!(p.validity(no).unwrap_err(), Error::InvalidParameter);
        assert_eq!(
            p.identifier(ALICE, no).unwrap_err(),
            Error::InvalidParameter
        );
    }
    let m = KeyPeriods::new(KMS_URI, mcptt()).unwrap();
    assert_eq!(m.validity(u64::MAX).unwrap_err(), Error::InvalidParameter);
    assert!(
        m.identifier(ALICE, u64::MAX).is_ok(),
        "a UID exists for any number"
    );
}
