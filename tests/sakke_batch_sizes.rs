//! Batch encapsulation for every group size 1..=17 (one full lane group, two, and every tail
//! length: tails below the lane threshold go one by one, the others fill a partial group),
//! on one core and on every core, against one-by-one `encapsulate`: same inputs (so the same
//! r) give the same bytes.

use proptest::prelude::*;
use prose_sec::sakke::{self, __internal as t, KmsSecret, Ssv};

fn kms_from(seed: u64) -> sakke::KmsPublic {
    let mut z = [0u8; 128];
    z[0] = 0x12;
    z[64..72].copy_from_slice(&seed.to_be_bytes());
    z[127] |= 1;
    KmsSecret::from_bytes(&z).unwrap().public()
}

#[test]
fn every_group_size_matches_encapsulate() {
    let kms = kms_from(3);
    for n in 1..=17usize {
        let ids: Vec<Vec<u8>> = (0..n)
            .map(|i| format!("user{n}-{i}@example.org").into_bytes())
            .collect();
        let ssvs: Vec<Ssv> = (0..n).map(|i| Ssv::new([(n * 31 + i) as u8; 16])).collect();
        let items: Vec<(&[u8], &Ssv)> = ids.iter().map(|v| v.as_slice()).zip(ssvs.iter()).collect();
        let one_core = t::encapsulate_many_one_core(&kms, &items);
        let all = sakke::encapsulate_many(&kms, &items);
        assert_eq!(one_core.len(), n);
        assert_eq!(all.len(), n);
        for (i, ((id, ssv), (a, b))) in items
            .iter()
            .zip(one_core.iter().zip(all.iter()))
            .enumerate()
        {
            let single = sakke::encapsulate(&kms, id, ssv);
            assert!(single.is_ok(), "size {n}, recipient {i}");
            assert_eq!(a, &single, "one core, size {n}, recipient {i}");
            assert_eq!(b, &single, "every core, size {n}, recipient {i}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, .. ProptestConfig::default() })]

    /// Random KMS, identifiers and SSVs for a random size 1..=17.
    #[test]
    fn random_sizes_match_encapsulate(
        seed in any::<u64>(),
        recips in proptest::collection::vec(
            (proptest::collection::vec(any::<u8>(), 1..48), any::<[u8; 16]>()),
            1..=17,
        ),
    ) {
        let kms = kms_from(seed);
        let ssvs: Vec<Ssv> = recips.iter().map(|(_, s)| Ssv::new(*s)).collect();
        let items: Vec<(&[u8], &Ssv)> =
            recips.iter().map(|(i, _)| i.as_slice()).zip(ssvs.iter()).collect();
        let got = t::encapsulate_many_one_core(&kms, &items);
        prop_assert_eq!(got.len(), items.len());
        for ((id, ssv), g) in items.iter().zip(got.iter()) {
            prop_assert_eq!(g, &sakke::encapsulate(&kms, id, ssv));
        }
    }
}
