//! Batch encapsulation (`encapsulate_many`, eight-lane IFMA path when the CPU has it) against
//! one-by-one `encapsulate`, and against the scalar batch path, for random recipients.

use num_bigint::BigUint;
use proptest::prelude::*;
use prose_sec::sakke::{self, __internal as t, KmsSecret, Ssv};
use prose_sec::Error;

fn kms_from(seed: u64) -> (KmsSecret, sakke::KmsPublic) {
    let mut z = [0u8; 128];
    z[0] = 0x12;
    z[100..108].copy_from_slice(&seed.to_be_bytes());
    z[127] |= 1;
    let s = KmsSecret::from_bytes(&z).unwrap();
    let p = s.public();
    (s, p)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 8, .. ProptestConfig::default() })]

    #[test]
    fn encapsulate_many_equals_encapsulate(
        seed in any::<u64>(),
        recips in proptest::collection::vec(
            (proptest::collection::vec(any::<u8>(), 0..40), any::<[u8; 16]>()),
            0..20,
        ),
    ) {
        let (_z, kms) = kms_from(seed);
        let ssvs: Vec<Ssv> = recips.iter().map(|(_, s)| Ssv::new(*s)).collect();
        let items: Vec<(&[u8], &Ssv)> =
            recips.iter().map(|(i, _)| i.as_slice()).zip(ssvs.iter()).collect();
        let fast = sakke::encapsulate_many(&kms, &items);
        let slow = t::encapsulate_many_scalar(&kms, &items);
        prop_assert_eq!(fast.len(), items.len());
        prop_assert_eq!(slow.len(), items.len());
        for (((id, ssv), f), s) in items.iter().zip(fast.iter()).zip(slow.iter()) {
            let one = sakke::encapsulate(&kms, id, ssv);
            prop_assert_eq!(f, &one);
            prop_assert_eq!(s, &one);
        }
    }
}

/// An identifier with b ≡ −z (mod q) has no encapsulation: every path reports it, in place,
/// without disturbing the other lanes of its group.
#[test]
fn degenerate_recipient_in_a_lane_group() {
    let (z, kms) = kms_from(7);
    let p = BigUint::parse_bytes(P_HEX.as_bytes(), 16).unwrap();
    let q = (p + 1u32) / 4u32;
    let zv = BigUint::from_bytes_be(&z.to_bytes());
    let bad_id = (&q - zv).to_bytes_be();
    let mut ids: Vec<Vec<u8>> = (0..10u8).map(|i| vec![b'u', i]).collect();
    ids[5] = bad_id.clone();
    let ssvs: Vec<Ssv> = (0..10u8).map(|i| Ssv::new([i; 16])).collect();
    let items: Vec<(&[u8], &Ssv)> = ids.iter().map(|v| v.as_slice()).zip(ssvs.iter()).collect();
    let fast = sakke::encapsulate_many(&kms, &items);
    let slow = t::encapsulate_many_scalar(&kms, &items);
    assert_eq!(
        sakke::encapsulate(&kms, &bad_id, &ssvs[5]),
        Err(Error::InvalidParameter)
    );
    assert_eq!(fast[5], Err(Error::InvalidParameter));
    assert_eq!(slow[5], Err(Error::InvalidParameter));
    for (i, ((id, ssv), f)) in items.iter().zip(fast.iter()).enumerate() {
        if i != 5 {
            let one = sakke::encapsulate(&kms, id, ssv);
            assert!(one.is_ok());
            assert_eq!(f, &one, "recipient {i}");
        }
    }
    assert!(sakke::encapsulate_many(&kms, &[]).is_empty());
}

#[test]
fn lane_path_is_taken_when_the_cpu_has_ifma() {
    // Documents which path the property test exercised on this machine.
    let lanes = t::encapsulate_many_uses_lanes();
    if cfg!(prose_backend = "soft") {
        assert!(!lanes);
    }
    eprintln!("encapsulate_many uses the IFMA lanes: {lanes}");
}

const P_HEX: &str = "997ABB1F0A563FDA65C61198DAD0657A416C0CE19CB48261BE9AE358B3E01A2EF40AAB27E2FC0F1B228730D531A59CB0E791B39FF7C88A19356D27F4A666A6D0E26C6487326B4CD4512AC5CD65681CE1B6AFF4A831852A82A7CF3C521C3C09AA9F94D6AF56971F1FFCE3E82389857DB080C5DF10AC7ACE87666D807AFEA85FEB";

#[test]
fn one_core_hook_matches_encapsulate() {
    let (_z, kms) = kms_from(11);
    let ids: Vec<Vec<u8>> = (0..11u8).map(|i| vec![b'v', i, i]).collect();
    let ssvs: Vec<Ssv> = (0..11u8).map(|i| Ssv::new([i ^ 0x5a; 16])).collect();
    let items: Vec<(&[u8], &Ssv)> = ids.iter().map(|v| v.as_slice()).zip(ssvs.iter()).collect();
    let got = t::encapsulate_many_one_core(&kms, &items);
    assert_eq!(got.len(), items.len());
    for ((id, ssv), g) in items.iter().zip(got.iter()) {
        assert_eq!(g, &sakke::encapsulate(&kms, id, ssv));
    }
}
