//! A Group Manager's distributions build the lane combs of the KMS's Z once: the second
//! `notifications` (and a rekey) reuse the combs held by the manager's certificate. One test
//! only in this binary: it reads a process-wide build counter.

use prose_sec::group::manager::Manager;
use prose_sec::kms::{IdFormat, KeyPeriods, Kms};
use prose_sec::sakke::__internal as t;
use rand_core::OsRng;

const NOW: u64 = 3_900_000_000;
const GROUP: &[u8] = b"sip:fire-brigade@example.org";

#[test]
fn second_distribution_does_not_rebuild_z_combs() {
    let kms = Kms::generate(
        KeyPeriods::new(b"kms.example.org", IdFormat::Prose).unwrap(),
        &mut OsRng,
    )
    .unwrap();
    let cert = kms.certificate();
    let no = kms.periods().period_no(NOW).unwrap();
    let ks = kms.issue(GROUP, no, &mut OsRng).unwrap();
    let keys = cert.accept(GROUP, ks, NOW).unwrap();
    let mut m = Manager::new(GROUP, cert, keys).unwrap();
    // 9 members: one full lane group and a tail of one (the batch comb and the split comb).
    for i in 0..9 {
        m.add_member(format!("sip:member{i}@example.org").as_bytes())
            .unwrap();
    }
    let g = m.create_gmk(0, 0, &mut OsRng).unwrap();
    let first = m.notifications(g, NOW, &mut OsRng).unwrap();
    assert_eq!(first.len(), 9);
    let built = t::kms_comb_builds();
    let tables = t::kms_precomputation(&m.certificate().z);
    if t::encapsulate_many_uses_lanes() {
        assert!(built >= 1, "the first distribution builds Z's lane combs");
        assert!(tables.0 > 0, "batch comb of Z held by the manager");
    }
    let second = m.notifications(g, NOW + 1, &mut OsRng).unwrap();
    assert_eq!(second.len(), 9);
    let (_, third) = m.rekey(NOW + 2, 0, &mut OsRng).unwrap();
    assert_eq!(third.len(), 9);
    assert_eq!(
        t::kms_comb_builds(),
        built,
        "later distributions rebuilt a comb of Z"
    );
    assert_eq!(t::kms_precomputation(&m.certificate().z), tables);
}
