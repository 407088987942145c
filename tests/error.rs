//! The error enum's discriminants are a stable ABI (C `prose_result`, Python exceptions).
use prose_sec::Error;

#[test]
fn discriminants_are_dense_and_stable() {
    for (i, e) in Error::ALL.iter().enumerate() {
        assert_eq!(*e as u32, i as u32 + 1, "{e:?}");
        assert!(!e.as_str().is_empty());
    }
    assert_eq!(Error::AuthFailed as u32, 1);
    assert_eq!(Error::Rng as u32, 16);
}
