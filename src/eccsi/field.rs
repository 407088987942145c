//! The P-256 base field F_p, p = 2^256 − 2^224 + 2^192 + 2^96 − 1, in Montgomery form
//! (R = 2^256) on four 64-bit limbs.
//!
//! `p256` 0.13 keeps its field private (and calls it out of line), so ECCSI carries its own:
//! every operation is branch-free and index-free (constant time), small enough to inline into
//! the point formulas. num-bigint is the reference of the property tests, never the engine.

use subtle::{Choice, ConditionallySelectable, ConstantTimeEq};

/// p, little-endian limbs.
const P: [u64; 4] = [
    0xFFFF_FFFF_FFFF_FFFF,
    0x0000_0000_FFFF_FFFF,
    0x0000_0000_0000_0000,
    0xFFFF_FFFF_0000_0001,
];
/// R^2 mod p (R = 2^256), to enter Montgomery form.
const R2: [u64; 4] = [
    0x0000_0000_0000_0003,
    0xFFFF_FFFB_FFFF_FFFF,
    0xFFFF_FFFF_FFFF_FFFE,
    0x0000_0004_FFFF_FFFD,
];

use crate::arith::limbs::{adc, mac, sbb};
use crate::arith::safegcd::Modulus62;

/// An element of F_p in Montgomery form, fully reduced (< p).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Fe(pub(crate) [u64; 4]);

impl Fe {
    pub(crate) const ZERO: Fe = Fe([0; 4]);
    /// R mod p (one in Montgomery form).
    pub(crate) const ONE: Fe = Fe([
        0x0000_0000_0000_0001,
        0xFFFF_FFFF_0000_0000,
        0xFFFF_FFFF_FFFF_FFFF,
        0x0000_0000_FFFF_FFFE,
    ]);

    /// Subtracts p from `(hi ‖ t)` if the value is >= p (the value must be < 2p).
    #[inline(always)]
    fn sub_p_if_ge(t: [u64; 4], hi: u64) -> Fe {
        let (r0, b) = sbb(t[0], P[0], 0);
        let (r1, b) = sbb(t[1], P[1], b);
        let (r2, b) = sbb(t[2], P[2], b);
        let (r3, b) = sbb(t[3], P[3], b);
        let (_, b) = sbb(hi, 0, b);
        // b = all-ones: the value was < p, keep it.
        Fe([
            (t[0] & b) | (r0 & !b),
            (t[1] & b) | (r1 & !b),
            (t[2] & b) | (r2 & !b),
            (t[3] & b) | (r3 & !b),
        ])
    }

    #[inline(always)]
    pub(crate) fn add(&self, o: &Fe) -> Fe {
        let (t0, c) = adc(self.0[0], o.0[0], 0);
        let (t1, c) = adc(self.0[1], o.0[1], c);
        let (t2, c) = adc(self.0[2], o.0[2], c);
        let (t3, c) = adc(self.0[3], o.0[3], c);
        Fe::sub_p_if_ge([t0, t1, t2, t3], c)
    }

    #[inline(always)]
    pub(crate) fn sub(&self, o: &Fe) -> Fe {
        let (t0, b) = sbb(self.0[0], o.0[0], 0);
        let (t1, b) = sbb(self.0[1], o.0[1], b);
        let (t2, b) = sbb(self.0[2], o.0[2], b);
        let (t3, b) = sbb(self.0[3], o.0[3], b);
        // Add p back if it went negative (b = all-ones).
        let (r0, c) = adc(t0, P[0] & b, 0);
        let (r1, c) = adc(t1, P[1] & b, c);
        let (r2, c) = adc(t2, P[2] & b, c);
        let (r3, _) = adc(t3, P[3] & b, c);
        Fe([r0, r1, r2, r3])
    }

    #[inline(always)]
    pub(crate) fn double(&self) -> Fe {
        self.add(self)
    }

    #[inline(always)]
    pub(crate) fn neg(&self) -> Fe {
        Fe::ZERO.sub(self)
    }

    /// Montgomery product `a·b·R^-1 mod p`.
    #[inline(always)]
    pub(crate) fn mul(&self, o: &Fe) -> Fe {
        let a = &self.0;
        let b = &o.0;
        let mut t = [0u64; 8];
        for i in 0..4 {
            let mut carry = 0;
            for j in 0..4 {
                let (lo, hi) = mac(t[i + j], a[i], b[j], carry);
                t[i + j] = lo;
                carry = hi;
            }
            t[i + 4] = carry;
        }
        Fe::reduce(t)
    }

    #[inline(always)]
    pub(crate) fn square(&self) -> Fe {
        let a = &self.0;
        // Off-diagonal products once, doubled, plus the squares.
        let mut t = [0u64; 8];
        for i in 0..3 {
            let mut carry = 0;
            for j in (i + 1)..4 {
                let (lo, hi) = mac(t[i + j], a[i], a[j], carry);
                t[i + j] = lo;
                carry = hi;
            }
            t[i + 4] = carry;
        }
        let mut carry = 0;
        for limb in t.iter_mut() {
            let v = *limb;
            *limb = (v << 1) | carry;
            carry = v >> 63;
        }
        let mut c = 0;
        for i in 0..4 {
            let (lo, hi) = mac(t[2 * i], a[i], a[i], c);
            t[2 * i] = lo;
            let (lo2, hi2) = adc(t[2 * i + 1], hi, 0);
            t[2 * i + 1] = lo2;
            c = hi2;
        }
        Fe::reduce(t)
    }

    /// Montgomery reduction of a 512-bit value < p·R, using the shape of p: −p^-1 mod 2^64 = 1,
    /// so each round's multiplier is the low limb m itself; m·p0 = m·2^64 − m clears the limb
    /// and carries m; p2 = 0. Two products per round instead of four.
    #[inline(always)]
    fn reduce(mut t: [u64; 8]) -> Fe {
        let mut carry2 = 0;
        for i in 0..4 {
            let m = t[i];
            let (lo, hi) = mac(t[i + 1], m, P[1], m);
            t[i + 1] = lo;
            let (lo, c) = adc(t[i + 2], hi, 0);
            t[i + 2] = lo;
            let (lo, hi) = mac(t[i + 3], m, P[3], c);
            t[i + 3] = lo;
            let (lo, c) = adc(t[i + 4], hi, carry2);
            t[i + 4] = lo;
            carry2 = c;
        }
        Fe::sub_p_if_ge([t[4], t[5], t[6], t[7]], carry2)
    }

    #[inline(always)]
    fn sqn(&self, n: usize) -> Fe {
        let mut r = *self;
        for _ in 0..n {
            r = r.square();
        }
        r
    }

    /// The inverse (0 for 0), constant time: safegcd (4 limbs) on the Montgomery
    /// representative (x·R)⁻¹ = x⁻¹·R⁻¹, then two products by R² give x⁻¹·R.
    pub(crate) fn invert(&self) -> Fe {
        static M: Modulus62<4, 5> = Modulus62::new(&P);
        let mut inv = M.invert(&self.0);
        let out = Fe(inv).mul(&Fe(R2)).mul(&Fe(R2));
        // the input may be secret (a signature's J): wipe the copy
        zeroize::Zeroize::zeroize(&mut inv);
        out
    }

    /// `self^(p-2)` (the inverse, 0 for 0), constant time: 255 squarings, 12 products
    /// (reference for [`Fe::invert`] in tests).
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn invert_fermat(&self) -> Fe {
        let x1 = *self;
        let x2 = x1.square().mul(&x1);
        let x3 = x2.square().mul(&x1);
        let x6 = x3.sqn(3).mul(&x3);
        let x12 = x6.sqn(6).mul(&x6);
        let x15 = x12.sqn(3).mul(&x3);
        let x30 = x15.sqn(15).mul(&x15);
        let x32 = x30.sqn(2).mul(&x2);
        // p − 2 = ffffffff 00000001 00000000×3 ffffffff ffffffff fffffffd (32-bit words).
        let mut t = x32.sqn(32).mul(&x1);
        t = t.sqn(96);
        t = t.sqn(32).mul(&x32);
        t = t.sqn(32).mul(&x32);
        t = t.sqn(30).mul(&x30);
        t.sqn(2).mul(&x1)
    }

    /// From 32 big-endian octets; `None` unless canonical (< p).
    pub(crate) fn from_bytes(b: &[u8; 32]) -> Option<Fe> {
        let mut l = [0u64; 4];
        for (i, limb) in l.iter_mut().enumerate() {
            let mut w = [0u8; 8];
            w.copy_from_slice(&b[24 - 8 * i..32 - 8 * i]);
            *limb = u64::from_be_bytes(w);
        }
        let (_, bo) = sbb(l[0], P[0], 0);
        let (_, bo) = sbb(l[1], P[1], bo);
        let (_, bo) = sbb(l[2], P[2], bo);
        let (_, bo) = sbb(l[3], P[3], bo);
        if bo == 0 {
            return None;
        }
        Some(Fe(l).mul(&Fe(R2)))
    }

    /// To 32 big-endian octets (canonical).
    pub(crate) fn to_bytes(self) -> [u8; 32] {
        let n = self.mul(&Fe([1, 0, 0, 0]));
        let mut out = [0u8; 32];
        for i in 0..4 {
            out[24 - 8 * i..32 - 8 * i].copy_from_slice(&n.0[i].to_be_bytes());
        }
        out
    }

    pub(crate) fn is_zero(&self) -> Choice {
        self.ct_eq(&Fe::ZERO)
    }

    /// Variable-time zero test (public values only).
    #[inline(always)]
    pub(crate) fn is_zero_vartime(&self) -> bool {
        (self.0[0] | self.0[1] | self.0[2] | self.0[3]) == 0
    }
}

impl ConstantTimeEq for Fe {
    fn ct_eq(&self, o: &Fe) -> Choice {
        self.0[0].ct_eq(&o.0[0])
            & self.0[1].ct_eq(&o.0[1])
            & self.0[2].ct_eq(&o.0[2])
            & self.0[3].ct_eq(&o.0[3])
    }
}

impl ConditionallySelectable for Fe {
    #[inline(always)]
    fn conditional_select(a: &Fe, b: &Fe, c: Choice) -> Fe {
        Fe([
            u64::conditional_select(&a.0[0], &b.0[0], c),
            u64::conditional_select(&a.0[1], &b.0[1], c),
            u64::conditional_select(&a.0[2], &b.0[2], c),
            u64::conditional_select(&a.0[3], &b.0[3], c),
        ])
    }
}

/// Inverts every element of `v` in place with one field inversion (Montgomery's trick);
/// zeros stay zero. Constant time in the values.
pub(crate) fn batch_invert(v: &mut [Fe]) {
    let mut prefix = Vec::with_capacity(v.len());
    let mut acc = Fe::ONE;
    for x in v.iter() {
        // Skip zeros (treated as one) so one zero does not spoil the batch.
        let z = x.is_zero();
        let xx = Fe::conditional_select(x, &Fe::ONE, z);
        prefix.push(acc);
        acc = acc.mul(&xx);
    }
    let mut inv = acc.invert();
    for (x, pre) in v.iter_mut().zip(prefix.iter()).rev() {
        let z = x.is_zero();
        let xx = Fe::conditional_select(x, &Fe::ONE, z);
        let xi = inv.mul(pre);
        inv = inv.mul(&xx);
        *x = Fe::conditional_select(&xi, &Fe::ZERO, z);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use num_bigint::BigUint;
    use proptest::prelude::*;

    fn p() -> BigUint {
        BigUint::from_bytes_be(
            &hex::decode("FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF")
                .unwrap(),
        )
    }

    fn big(fe: &Fe) -> BigUint {
        BigUint::from_bytes_be(&fe.to_bytes())
    }

    fn fe(b: &[u8; 32]) -> (Fe, BigUint) {
        let n = BigUint::from_bytes_be(b) % p();
        let mut bytes = [0u8; 32];
        let nb = n.to_bytes_be();
        bytes[32 - nb.len()..].copy_from_slice(&nb);
        (Fe::from_bytes(&bytes).unwrap(), n)
    }

    #[test]
    fn constants() {
        let r: BigUint = BigUint::from(1u8) << 256usize;
        assert_eq!(BigUint::from_slice(&[1]), big(&Fe::ONE));
        let mut r2 = [0u8; 32];
        let v = ((&r * &r) % p()).to_bytes_be();
        r2[32 - v.len()..].copy_from_slice(&v);
        let limbs: Vec<u64> = (0..4)
            .map(|i| u64::from_be_bytes(r2[24 - 8 * i..32 - 8 * i].try_into().unwrap()))
            .collect();
        assert_eq!(limbs, R2.to_vec());
        // p itself and above are rejected, p − 1 accepted.
        let pb: [u8; 32] = p().to_bytes_be().try_into().unwrap();
        assert!(Fe::from_bytes(&pb).is_none());
        assert!(Fe::from_bytes(&[0xFF; 32]).is_none());
        let mut pm1 = pb;
        pm1[31] -= 1;
        assert_eq!(big(&Fe::from_bytes(&pm1).unwrap()), p() - 1u8);
        assert!(bool::from(Fe::ZERO.invert().is_zero()));
        // safegcd against Fermat on 1, p − 1 and values with all-ones / all-zero limbs
        for l in [
            [1u64, 0, 0, 0],
            [u64::MAX, 0, 0, 0],
            [0, 0, 0, 1],
            [u64::MAX, 1, 0, 0],
        ] {
            let x = Fe(l).mul(&Fe(R2));
            assert_eq!(big(&x.invert()), big(&x.invert_fermat()));
        }
        let pm1f = Fe::from_bytes(&pm1).unwrap();
        assert_eq!(big(&pm1f.invert()), big(&pm1f.invert_fermat()));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        #[test]
        fn ops_match_num_bigint(a in any::<[u8; 32]>(), b in any::<[u8; 32]>()) {
            let (fa, na) = fe(&a);
            let (fb, nb) = fe(&b);
            let p = p();
            prop_assert_eq!(big(&fa.add(&fb)), (&na + &nb) % &p);
            prop_assert_eq!(big(&fa.sub(&fb)), (&na + &p - &nb) % &p);
            prop_assert_eq!(big(&fa.neg()), (&p - &na) % &p);
            prop_assert_eq!(big(&fa.double()), (&na * 2u8) % &p);
            prop_assert_eq!(big(&fa.mul(&fb)), (&na * &nb) % &p);
            prop_assert_eq!(big(&fa.square()), (&na * &na) % &p);
            if na != BigUint::from(0u8) {
                prop_assert_eq!(big(&fa.invert().mul(&fa)), BigUint::from(1u8));
            }
            prop_assert_eq!(big(&fa.invert()), big(&fa.invert_fermat()));
        }

        #[test]
        fn batch_invert_matches(v in proptest::collection::vec(any::<[u8; 32]>(), 0..12), zero_at in any::<usize>()) {
            let mut xs: Vec<Fe> = v.iter().map(|b| fe(b).0).collect();
            if !xs.is_empty() {
                let n = xs.len();
                xs[zero_at % n] = Fe::ZERO;
            }
            let mut inv = xs.clone();
            batch_invert(&mut inv);
            for (x, i) in xs.iter().zip(&inv) {
                prop_assert_eq!(big(&x.invert()), big(i));
            }
        }
    }

    #[test]
    fn edge_values() {
        let p = p();
        let pm1: [u8; 32] = (&p - 1u8).to_bytes_be().try_into().unwrap();
        let m1 = Fe::from_bytes(&pm1).unwrap();
        assert_eq!(big(&m1.square()), BigUint::from(1u8));
        assert_eq!(big(&m1.mul(&m1.double())), BigUint::from(2u8));
        assert_eq!(big(&m1.add(&Fe::ONE)), BigUint::from(0u8));
        assert_eq!(big(&Fe::ZERO.sub(&Fe::ONE)), &p - 1u8);
        let all = [0xFFu8; 32];
        let (x, n) = fe(&all);
        assert_eq!(big(&x.square()), (&n * &n) % &p);
    }
}
