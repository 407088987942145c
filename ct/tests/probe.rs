//! The harness's entry points compute what the library computes: the safegcd inversions of
//! `ct_probe` against the library's own inversions (mod q and mod p) and against p256 (mod n).
use p256::elliptic_curve::ff::{Field, PrimeField};
use prose_sec::ct_probe;
use prose_sec::sakke::__internal as sk;
use rand_core::{OsRng, RngCore};

fn random_words(hi: usize) -> [u64; 16] {
    let mut x = [0u64; 16];
    for w in x.iter_mut().take(hi + 1) {
        *w = OsRng.next_u64();
    }
    x[hi] >>= 4;
    x
}

#[test]
fn inversions_mod_q_and_p_match_the_library() {
    let mut one = [0u64; 16];
    one[0] = 1;
    for _ in 0..8 {
        let x = random_words(15);
        assert_eq!(
            ct_probe::safegcd_invert_q(&x),
            sk::scalar_mul_inv(&x, &one).1
        );
        assert_eq!(ct_probe::safegcd_invert_p(&x), sk::fp_invert_canonical(&x));
    }
    assert_eq!(ct_probe::safegcd_invert_q(&one), one);
    assert_eq!(ct_probe::safegcd_invert_q(&[0; 16]), [0; 16]);
}

#[test]
fn inversion_mod_n_matches_p256() {
    for _ in 0..8 {
        let s = p256::Scalar::random(&mut OsRng);
        let be = s.to_repr();
        let mut x = [0u64; 16];
        for (i, w) in x.iter_mut().take(4).enumerate() {
            *w = u64::from_be_bytes(be[24 - 8 * i..32 - 8 * i].try_into().unwrap());
        }
        let inv = ct_probe::safegcd_invert_n256(&x);
        assert!(inv[4..].iter().all(|&w| w == 0));
        let mut out = p256::FieldBytes::default();
        for i in 0..4 {
            out[24 - 8 * i..32 - 8 * i].copy_from_slice(&inv[i].to_be_bytes());
        }
        let got = p256::Scalar::from_repr(out).unwrap();
        assert_eq!(got, s.invert().unwrap());
    }
}
