//! Radix 2^52 shared by the IFMA kernels: the conversions between 16 × 64-bit limbs and the
//! 20 digits of 52 bits (1040 bits), and the one carry normaliser of the horizontal layout
//! (an element's 20 digits in lanes 0..20 of three vectors, lanes 20..24 zero) that both the
//! single product (`ifma52.rs`) and the two-product kernel (`amm.rs`) end with. The eight-lane
//! layout (`FpX8`: one vector per digit, one element per lane) propagates its carries digit
//! by digit across vectors in `fp_ifma.rs`.

use core::arch::x86_64::{
    __m512i, _mm512_add_epi64, _mm512_alignr_epi64, _mm512_and_si512, _mm512_cmpeq_epi64_mask,
    _mm512_mask_add_epi64, _mm512_set1_epi64, _mm512_setzero_si512, _mm512_srli_epi64,
};

/// Number of 52-bit digits.
pub(super) const DIGITS: usize = 20;
/// The low 52 bits.
pub(super) const MASK52: u64 = (1 << 52) - 1;

/// Digit `j` (bits 52j .. 52j+51) of a 16-limb integer (public bit positions only).
pub(super) const fn digit(x: &[u64; 16], j: usize) -> u64 {
    let lo = 52 * j;
    let (k, s) = (lo / 64, lo % 64);
    let mut v = if k < 16 { x[k] >> s } else { 0 };
    if s > 12 && k + 1 < 16 {
        v |= x[k + 1] << (64 - s);
    }
    v & MASK52
}

/// The 20 digits of a 16-limb integer.
pub(super) const fn to_digits(x: &[u64; 16]) -> [u64; DIGITS] {
    let mut out = [0u64; DIGITS];
    let mut j = 0;
    while j < DIGITS {
        out[j] = digit(x, j);
        j += 1;
    }
    out
}

/// 20 normalised digits (each below 2^52) of a value below 2^1024 as 16 limbs.
pub(super) fn from_digits(d: &[u64; DIGITS]) -> [u64; 16] {
    let mut out = [0u64; 16];
    for (i, &limb) in d.iter().enumerate() {
        let bit = 52 * i;
        let w = bit / 64;
        let off = bit % 64;
        if w < 16 {
            out[w] |= limb << off;
        }
        if off > 12 && w + 1 < 16 {
            out[w + 1] |= limb >> (64 - off);
        }
    }
    out
}

/// Propagates the carries of 20 digits in the horizontal layout (each below 2^60, lanes
/// 20..24 zero): every digit ends below 2^52. The value must be below 2^1040.
///
/// Two vector carry rounds leave every digit at most 2^52; the carries that still ripple
/// (out of digits equal to 2^52, through digits equal to 2^52 − 1) are found at once by a
/// carry-lookahead on the lane masks. No branch or index on the values.
#[inline]
#[target_feature(enable = "avx512f")]
pub(super) fn normalize(mut x: [__m512i; 3]) -> [__m512i; 3] {
    let zero = _mm512_setzero_si512();
    let mv = _mm512_set1_epi64(MASK52 as i64);
    // two rounds: after them every digit is at most 2^52
    for _ in 0..2 {
        let c = [
            _mm512_srli_epi64::<52>(x[0]),
            _mm512_srli_epi64::<52>(x[1]),
            _mm512_srli_epi64::<52>(x[2]),
        ];
        x[0] = _mm512_add_epi64(
            _mm512_and_si512(x[0], mv),
            _mm512_alignr_epi64::<7>(c[0], zero),
        );
        x[1] = _mm512_add_epi64(
            _mm512_and_si512(x[1], mv),
            _mm512_alignr_epi64::<7>(c[1], c[0]),
        );
        x[2] = _mm512_add_epi64(
            _mm512_and_si512(x[2], mv),
            _mm512_alignr_epi64::<7>(c[2], c[1]),
        );
    }
    // g: digits equal to 2^52 (carry out); p: digits equal to 2^52 − 1 (pass a carry on).
    // The lanes that receive a carry are ((g << 1) + p) ^ p (carry-lookahead on the masks).
    let two52 = _mm512_set1_epi64(1 << 52);
    let g = (_mm512_cmpeq_epi64_mask(x[0], two52) as u32)
        | ((_mm512_cmpeq_epi64_mask(x[1], two52) as u32) << 8)
        | ((_mm512_cmpeq_epi64_mask(x[2], two52) as u32) << 16);
    let p = (_mm512_cmpeq_epi64_mask(x[0], mv) as u32)
        | ((_mm512_cmpeq_epi64_mask(x[1], mv) as u32) << 8)
        | ((_mm512_cmpeq_epi64_mask(x[2], mv) as u32) << 16);
    let inc = ((g << 1).wrapping_add(p)) ^ p;
    let one = _mm512_set1_epi64(1);
    x[0] = _mm512_and_si512(_mm512_mask_add_epi64(x[0], inc as u8, x[0], one), mv);
    x[1] = _mm512_and_si512(_mm512_mask_add_epi64(x[1], (inc >> 8) as u8, x[1], one), mv);
    x[2] = _mm512_and_si512(
        _mm512_mask_add_epi64(x[2], (inc >> 16) as u8, x[2], one),
        mv,
    );
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The conversions are inverse to each other on values below 2^1024.
    #[test]
    fn digits_round_trip() {
        let mut s = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..200 {
            let mut x = [0u64; 16];
            for l in x.iter_mut() {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                *l = s;
            }
            let d = to_digits(&x);
            assert!(d.iter().all(|&v| v <= MASK52));
            assert_eq!(from_digits(&d), x);
        }
    }
}
