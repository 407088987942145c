//! One 1024-bit Montgomery product modulo p on the AVX-512 IFMA units, radix 2^52: the digits
//! of one operand spread over the lanes of three zmm registers (20 digits, 24 lanes).
//!
//! Measured on this machine (see the report of branch `mulx2`), every MULX/ADCX/ADOX schedule
//! (operand scanning with the accumulator in memory, register-resident 8×8 blocks, hybrid
//! strips, Karatsuba) runs at ≈ 1.4 cycles per 64×64 product term: the two carry chains issue
//! at most ≈ 1.4 ADX per cycle, so 512 terms cost ≈ 730 cycles whatever the data layout. One
//! `vpmadd52luq`/`vpmadd52huq` does eight multiply-adds without carries, which takes the
//! product under that bound.
//!
//! # Method
//! Almost-Montgomery multiplication with R' = 2^1040 (20 digits of 52 bits) on `a` and
//! `b' = b·2^16`: `a·b'·2^-1040 = a·b·2^-1024`, the Montgomery product the rest of the field
//! code expects, with no extra correction. For `a < p` and `b' < 2^1040` the result
//! `(a·b' + m·p)/2^1040` is below `a·b'/2^1040 + p < 2p`; one conditional subtraction makes
//! it canonical.
//!
//! Digit `i` of `b'` (i = 0..20) is one iteration on the accumulator `x` (a frame in which lane
//! j holds digit j, carries not propagated, each lane below 2^60):
//! `m = x_0·(−p⁻¹) mod 2^52` (one `madd52lo` on the broadcast lane 0), then the next frame is
//! `x` shifted down one lane, plus lo(p_{j+1}·m), hi(p_j·m), hi(a_j·b_i), lo(a_j·b_{i+1}) and
//! the carry out of digit 0, which is `(x_0 + 2^52 − 1) >> 52` because `x_0 + lo(p_0·m)` is
//! 0 or 2^52. The products with `a` do not depend on `m` and leave the critical path; per
//! iteration 13 IFMA, 3 `valignq`, 1 broadcast.
//!
//! Digits in: `vpermi2b` gathers the eight bytes under each digit from the 128-byte operand,
//! `vpsrlvq` and a mask finish it (`b'` is the same gather two bytes earlier). Digits out: two
//! vector carry rounds, then the carries that ripple through digits equal to 2^52 − 1 with
//! integer arithmetic on the lane masks (`inc = ((g << 1) + p) ^ p`), the conditional
//! subtraction of p on the digits (borrows by the same mask arithmetic, then a mask blend), and
//! a scalar repack into 16 limbs.
//!
//! # Constant time
//! Fixed instruction sequence: no branch or memory index depends on the operands (lane masks
//! only select lanes of fixed vector operations; the index tables are constants).
#![allow(clippy::incompatible_msrv)]

use core::arch::x86_64::{
    __m512i, _mm512_add_epi64, _mm512_alignr_epi64, _mm512_and_si512, _mm512_broadcastq_epi64,
    _mm512_castsi512_si128, _mm512_cmpeq_epi64_mask, _mm512_cmplt_epi64_mask, _mm512_load_si512,
    _mm512_loadu_si512, _mm512_madd52hi_epu64, _mm512_madd52lo_epu64, _mm512_mask_blend_epi64,
    _mm512_mask_sub_epi64, _mm512_maskz_permutex2var_epi8, _mm512_maskz_srli_epi64,
    _mm512_set1_epi64, _mm512_setzero_si512, _mm512_srlv_epi64, _mm512_store_si512,
    _mm512_sub_epi64,
};

use super::radix52::{self, normalize};
use crate::sakke::params::{P, P_INV};

/// Number of 64-bit limbs.
const N: usize = 16;
/// Number of 52-bit digits (1040 bits).
const D: usize = 20;
/// Lanes in three vectors.
const LANES: usize = 24;
const MASK: u64 = (1 << 52) - 1;
/// −p⁻¹ mod 2^52.
const K0: u64 = P_INV & MASK;

cpufeatures::new!(
    ifma52_cpuid,
    "avx512f",
    "avx512bw",
    "avx512ifma",
    "avx512vbmi"
);

/// Proof that the CPU (and OS) support AVX-512F/BW/IFMA/VBMI; the only way to reach the kernel.
#[derive(Clone, Copy, Debug)]
pub struct Ifma52 {
    _private: (),
}

impl Ifma52 {
    /// The token when the CPU has the features (cached detection: one relaxed load).
    #[inline(always)]
    pub fn get() -> Option<Self> {
        if ifma52_cpuid::get() {
            Some(Ifma52 { _private: () })
        } else {
            None
        }
    }

    /// Montgomery product `a·b·2^-1024 mod p` for `a, b < p`, fully reduced.
    #[inline(always)]
    pub fn mont_mul(self, a: &[u64; N], b: &[u64; N]) -> [u64; N] {
        // SAFETY: the token exists only after run-time detection of every feature the kernel
        // is compiled for (`get`).
        unsafe { mont_mul_kernel(a, b) }
    }

    /// Montgomery square `a²·2^-1024 mod p` for `a < p`, fully reduced.
    #[inline(always)]
    pub fn mont_sqr(self, a: &[u64; N]) -> [u64; N] {
        self.mont_mul(a, a)
    }
}

/// 64-byte aligned limbs, so that the tables load with aligned vector loads.
#[repr(C, align(64))]
struct Aligned([u64; LANES]);

/// Digits `down..20` of x in lanes `0..20-down` (compile time).
const fn digits_from(x: &[u64; N], down: usize) -> [u64; LANES] {
    let mut o = [0u64; LANES];
    let mut j = 0;
    while j + down < D {
        o[j] = radix52::digit(x, j + down);
        j += 1;
    }
    o
}

/// p in digits, and p shifted down one digit (lane j holds p_{j+1}).
static P_DIGITS: Aligned = Aligned(digits_from(&P, 0));
static P_DIGITS_NEXT: Aligned = Aligned(digits_from(&P, 1));

/// `vpermi2b` byte indices and byte masks that gather, for each lane j < 20, the eight bytes
/// starting at byte ⌊52j/8⌋ − `pre` of a 128-byte operand (bytes outside 0..128 read as zero).
const fn gather(pre: usize) -> ([[u8; 64]; 3], [u64; 3]) {
    let mut idx = [[0u8; 64]; 3];
    let mut msk = [0u64; 3];
    let mut j = 0;
    while j < D {
        let o = (52 * j) / 8;
        let mut t = 0;
        while t < 8 {
            let b = o as isize + t as isize - pre as isize;
            if b >= 0 && b < 128 {
                idx[j / 8][(j % 8) * 8 + t] = b as u8;
                msk[j / 8] |= 1u64 << ((j % 8) * 8 + t);
            }
            t += 1;
        }
        j += 1;
    }
    (idx, msk)
}

#[repr(C, align(64))]
struct Gather([[u8; 64]; 3], [u64; 3]);

/// Digits of `a`, and of `b·2^16` (the same gather two bytes earlier: 16 bits = 2 bytes).
static GATHER_A: Gather = {
    let (i, m) = gather(0);
    Gather(i, m)
};
static GATHER_B: Gather = {
    let (i, m) = gather(2);
    Gather(i, m)
};

/// Right shift of lane j after the byte gather: 52j mod 8 (0 or 4).
static NIBBLE_SHIFT: Aligned = {
    let mut s = [0u64; LANES];
    let mut j = 0;
    while j < LANES {
        s[j] = ((52 * j) % 8) as u64;
        j += 1;
    }
    Aligned(s)
};

/// The 20 digits of a 16-limb operand (times 2^(8·pre)) in three vectors; lanes 20..24 zero.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
fn to_digits(x: &[u64; N], g: &Gather) -> [__m512i; 3] {
    // SAFETY: `x` is 16 limbs = 128 bytes: two unaligned 64-byte loads stay inside it; the
    // tables are 64-byte aligned statics of 3×64 bytes (`Gather`, `Aligned`).
    unsafe {
        let lo = _mm512_loadu_si512(x.as_ptr().cast());
        let hi = _mm512_loadu_si512(x.as_ptr().add(8).cast());
        let m = _mm512_set1_epi64(MASK as i64);
        let mut o = [_mm512_setzero_si512(); 3];
        for (k, ok) in o.iter_mut().enumerate() {
            let ix = _mm512_load_si512(g.0[k].as_ptr().cast());
            let v = _mm512_maskz_permutex2var_epi8(g.1[k], lo, ix, hi);
            let sh = _mm512_load_si512(NIBBLE_SHIFT.0.as_ptr().add(8 * k).cast());
            *ok = _mm512_and_si512(_mm512_srlv_epi64(v, sh), m);
        }
        o
    }
}

/// `x mod p` for normalized digits of `x < 2p`: `s = x − p` lane by lane, then the borrows:
/// lanes below zero take one from the next lane, lanes equal to zero pass a borrow on (the same
/// carry-lookahead on the lane masks as in [`normalize`]); `x` is kept when a borrow leaves
/// digit 19 (x < p). Constant time: the choice is a mask blend.
#[inline]
#[target_feature(enable = "avx512f")]
fn reduce_once(x: [__m512i; 3], pv: &[__m512i; 3]) -> [__m512i; 3] {
    let zero = _mm512_setzero_si512();
    let mv = _mm512_set1_epi64(MASK as i64);
    let one = _mm512_set1_epi64(1);
    let s = [
        _mm512_sub_epi64(x[0], pv[0]),
        _mm512_sub_epi64(x[1], pv[1]),
        _mm512_sub_epi64(x[2], pv[2]),
    ];
    let g = (_mm512_cmplt_epi64_mask(s[0], zero) as u32)
        | ((_mm512_cmplt_epi64_mask(s[1], zero) as u32) << 8)
        | ((_mm512_cmplt_epi64_mask(s[2], zero) as u32) << 16);
    let z = (_mm512_cmpeq_epi64_mask(s[0], zero) as u32)
        | ((_mm512_cmpeq_epi64_mask(s[1], zero) as u32) << 8)
        | ((_mm512_cmpeq_epi64_mask(s[2], zero) as u32) << 16);
    let dec = ((g << 1).wrapping_add(z)) ^ z;
    // a borrow into lane 20 (lanes 20..24 of s are zero and pass it on): x < p
    let keep_x = (((dec >> D) & 1) as u8).wrapping_neg();
    let s = [
        _mm512_and_si512(_mm512_mask_sub_epi64(s[0], dec as u8, s[0], one), mv),
        _mm512_and_si512(_mm512_mask_sub_epi64(s[1], (dec >> 8) as u8, s[1], one), mv),
        _mm512_and_si512(
            _mm512_mask_sub_epi64(s[2], (dec >> 16) as u8, s[2], one),
            mv,
        ),
    ];
    [
        _mm512_mask_blend_epi64(keep_x, s[0], x[0]),
        _mm512_mask_blend_epi64(keep_x, s[1], x[1]),
        _mm512_mask_blend_epi64(keep_x, s[2], x[2]),
    ]
}

/// 20 normalized digits of a value below 2^1024 to 16 limbs.
#[inline]
#[target_feature(enable = "avx512f")]
fn from_digits(x: &[__m512i; 3]) -> [u64; N] {
    let mut d = Aligned([0u64; LANES]);
    // SAFETY: three aligned 64-byte stores into the 192-byte, 64-byte aligned `d`.
    unsafe {
        _mm512_store_si512(d.0.as_mut_ptr().cast(), x[0]);
        _mm512_store_si512(d.0.as_mut_ptr().add(8).cast(), x[1]);
        _mm512_store_si512(d.0.as_mut_ptr().add(16).cast(), x[2]);
    }
    let mut digits = [0u64; D];
    digits.copy_from_slice(&d.0[..D]);
    radix52::from_digits(&digits)
}

/// The product kernel; requires the features of [`Ifma52`].
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512ifma,avx512vbmi")]
fn mont_mul_kernel(a: &[u64; N], b: &[u64; N]) -> [u64; N] {
    let av = to_digits(a, &GATHER_A);
    let bv = to_digits(b, &GATHER_B);
    let mut bd = Aligned([0u64; LANES]);
    // SAFETY: aligned loads of the 64-byte aligned 192-byte tables, aligned stores into the
    // local `bd` of the same layout.
    let (pv, p1v) = unsafe {
        _mm512_store_si512(bd.0.as_mut_ptr().cast(), bv[0]);
        _mm512_store_si512(bd.0.as_mut_ptr().add(8).cast(), bv[1]);
        _mm512_store_si512(bd.0.as_mut_ptr().add(16).cast(), bv[2]);
        let t = &P_DIGITS.0;
        let t1 = &P_DIGITS_NEXT.0;
        (
            [
                _mm512_load_si512(t.as_ptr().cast()),
                _mm512_load_si512(t.as_ptr().add(8).cast()),
                _mm512_load_si512(t.as_ptr().add(16).cast()),
            ],
            [
                _mm512_load_si512(t1.as_ptr().cast()),
                _mm512_load_si512(t1.as_ptr().add(8).cast()),
                _mm512_load_si512(t1.as_ptr().add(16).cast()),
            ],
        )
    };
    let bd = &bd.0;
    let k0 = _mm512_set1_epi64(K0 as i64);
    let mv = _mm512_set1_epi64(MASK as i64);
    let zero = _mm512_setzero_si512();
    // frame 0: lo(a_j·b_0)
    let mut bi = _mm512_set1_epi64(bd[0] as i64);
    let mut x = [
        _mm512_madd52lo_epu64(zero, av[0], bi),
        _mm512_madd52lo_epu64(zero, av[1], bi),
        _mm512_madd52lo_epu64(zero, av[2], bi),
    ];
    for i in 0..D {
        // b_20 is lane 20 of `bd`: zero
        let bn = _mm512_set1_epi64(bd[i + 1] as i64);
        // carry out of digit 0 once m·p_0 is added, into lane 0 of the next frame
        let c = _mm512_maskz_srli_epi64::<52>(1, _mm512_add_epi64(x[0], mv));
        // hi(a_j·b_i) + lo(a_j·b_{i+1}) (+ c): independent of m
        let u = [
            _mm512_add_epi64(
                _mm512_madd52lo_epu64(_mm512_madd52hi_epu64(zero, av[0], bi), av[0], bn),
                c,
            ),
            _mm512_madd52lo_epu64(_mm512_madd52hi_epu64(zero, av[1], bi), av[1], bn),
            _mm512_madd52lo_epu64(_mm512_madd52hi_epu64(zero, av[2], bi), av[2], bn),
        ];
        // m = x_0·(−p⁻¹) mod 2^52 in every lane
        let m = _mm512_madd52lo_epu64(
            zero,
            _mm512_broadcastq_epi64(_mm512_castsi512_si128(x[0])),
            k0,
        );
        // next frame: x shifted down one digit + lo(p_{j+1}·m) + hi(p_j·m) + u
        let t0 = _mm512_madd52lo_epu64(_mm512_alignr_epi64::<1>(x[1], x[0]), p1v[0], m);
        let t1 = _mm512_madd52lo_epu64(_mm512_alignr_epi64::<1>(x[2], x[1]), p1v[1], m);
        let t2 = _mm512_madd52lo_epu64(_mm512_alignr_epi64::<1>(zero, x[2]), p1v[2], m);
        let h0 = _mm512_madd52hi_epu64(u[0], pv[0], m);
        let h1 = _mm512_madd52hi_epu64(u[1], pv[1], m);
        let h2 = _mm512_madd52hi_epu64(u[2], pv[2], m);
        x = [
            _mm512_add_epi64(t0, h0),
            _mm512_add_epi64(t1, h1),
            _mm512_add_epi64(t2, h2),
        ];
        bi = bn;
    }
    from_digits(&reduce_once(normalize(x), &pv))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The carry normalization against a scalar one, on digit patterns that ripple.
    #[test]
    fn normalize_ripples() {
        let Some(_) = Ifma52::get() else {
            eprintln!("no AVX-512 IFMA/VBMI on this CPU: the IFMA kernel is not exercised");
            return;
        };
        let cases: [[u64; D]; 3] = [
            // a carry into lane 0 that ripples through every all-ones digit
            {
                let mut d = [MASK; D];
                d[0] = MASK + 1;
                d[D - 1] = 5;
                d
            },
            // digits at exactly 2^52 and runs of 2^52 − 1 after them
            {
                let mut d = [0u64; D];
                for (j, x) in d.iter_mut().enumerate() {
                    *x = if j % 5 == 0 { 1 << 52 } else { MASK };
                }
                d[D - 1] = 0;
                d
            },
            // large digits (up to 2^59) whose first-round carries create all-ones digits
            {
                let mut d = [MASK - 3; D];
                d[3] = (1 << 59) + MASK;
                d[10] = (7 << 52) + MASK - 6;
                d[D - 1] = 1;
                d
            },
        ];
        for (n, case) in cases.iter().enumerate() {
            let mut buf = Aligned([0u64; LANES]);
            buf.0[..D].copy_from_slice(case);
            // the value is below 2^1040 in every case: the top digit is small
            let mut want = [0u64; D];
            let mut carry = 0u64;
            for j in 0..D {
                let v = case[j] + carry;
                want[j] = v & MASK;
                carry = v >> 52;
            }
            assert_eq!(carry, 0);
            // SAFETY: the features were detected above; aligned loads/stores of `buf`.
            let got = unsafe { normalize_for_test(&mut buf) };
            assert_eq!(&got[..D], &want[..], "case {n}");
            assert_eq!(&got[D..], &[0u64; LANES - D][..], "case {n}");
        }
    }

    /// The conditional subtraction on digits against num-bigint, on values that make the
    /// borrows ripple (x − p = 2^(52j) − 1, 2^(52j)) and on both sides of p.
    #[test]
    fn reduce_once_ripples() {
        use num_bigint::BigUint;
        let Some(_) = Ifma52::get() else {
            eprintln!("no AVX-512 IFMA/VBMI on this CPU: the IFMA kernel is not exercised");
            return;
        };
        let p = {
            let mut v = Vec::new();
            for x in P {
                v.extend_from_slice(&x.to_le_bytes());
            }
            BigUint::from_bytes_le(&v)
        };
        let one = BigUint::from(1u8);
        let mut xs = vec![BigUint::from(0u8), &p - 1u8, p.clone() + 1u8, &p + &p - 1u8];
        for j in 1..D {
            let w = &one << (52 * j);
            xs.push(&p + &w - 1u8);
            xs.push(&p + &w);
            xs.push(&p - &w);
            xs.push(&p - &w + 1u8);
        }
        for x in xs {
            assert!(x < &p + &p);
            let mut buf = Aligned([0u64; LANES]);
            for (j, d) in buf.0.iter_mut().take(D).enumerate() {
                let v = (&x >> (52 * j)) & BigUint::from(MASK);
                *d = v.to_u64_digits().first().copied().unwrap_or(0);
            }
            // SAFETY: the features were detected above.
            let got = unsafe { reduce_once_for_test(&buf) };
            let mut want = [0u64; N];
            for (k, d) in (&x % &p).to_u64_digits().iter().enumerate() {
                want[k] = *d;
            }
            assert_eq!(got, want, "x = {x:x}");
        }
    }

    #[target_feature(enable = "avx512f")]
    unsafe fn reduce_once_for_test(buf: &Aligned) -> [u64; N] {
        let x = [
            _mm512_load_si512(buf.0.as_ptr().cast()),
            _mm512_load_si512(buf.0.as_ptr().add(8).cast()),
            _mm512_load_si512(buf.0.as_ptr().add(16).cast()),
        ];
        let t = &P_DIGITS.0;
        let pv = [
            _mm512_load_si512(t.as_ptr().cast()),
            _mm512_load_si512(t.as_ptr().add(8).cast()),
            _mm512_load_si512(t.as_ptr().add(16).cast()),
        ];
        from_digits(&reduce_once(x, &pv))
    }

    #[target_feature(enable = "avx512f")]
    unsafe fn normalize_for_test(buf: &mut Aligned) -> [u64; LANES] {
        let x = [
            _mm512_load_si512(buf.0.as_ptr().cast()),
            _mm512_load_si512(buf.0.as_ptr().add(8).cast()),
            _mm512_load_si512(buf.0.as_ptr().add(16).cast()),
        ];
        let y = normalize(x);
        let mut out = Aligned([0u64; LANES]);
        _mm512_store_si512(out.0.as_mut_ptr().cast(), y[0]);
        _mm512_store_si512(out.0.as_mut_ptr().add(8).cast(), y[1]);
        _mm512_store_si512(out.0.as_mut_ptr().add(16).cast(), y[2]);
        out.0
    }
}
