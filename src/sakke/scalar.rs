//! Integers modulo the subgroup order q, constant time (portable Montgomery arithmetic).
//! Values are kept canonical (< q); products go through the Montgomery domain.
#![allow(clippy::wrong_self_convention)]

use subtle::{Choice, ConditionallySelectable, ConstantTimeEq};
use zeroize::Zeroize;

use super::mont::{self, Limbs};
use super::params::{LIMBS, Q, Q_INV, Q_MINUS_2, Q_R2};
use crate::arith::safegcd::Modulus62;

/// An integer modulo q, canonical.
#[derive(Clone, Copy, Default, Zeroize)]
pub(crate) struct Scalar(pub(crate) Limbs);

impl core::fmt::Debug for Scalar {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Scalar(..)")
    }
}

fn one_limbs() -> Limbs {
    let mut o = [0u64; LIMBS];
    o[0] = 1;
    o
}

impl Scalar {
    pub(crate) const ZERO: Scalar = Scalar([0; LIMBS]);

    /// Reduces a big-endian octet string of any length modulo q (constant time in the value,
    /// variable only in the public length).
    pub(crate) fn reduce_be(bytes: &[u8]) -> Scalar {
        let mut acc = [0u64; LIMBS];
        let first = bytes.len() % 128;
        let mut chunks: Vec<[u8; 128]> = Vec::new();
        if first != 0 {
            let mut c = [0u8; 128];
            c[128 - first..].copy_from_slice(&bytes[..first]);
            chunks.push(c);
        }
        for ch in bytes[first..].chunks_exact(128) {
            let mut c = [0u8; 128];
            c.copy_from_slice(ch);
            chunks.push(c);
        }
        for c in chunks.iter_mut() {
            let l = mont::from_be128(c);
            // l mod q = mont(mont(l, R2), 1)
            let lm = mont::mont_mul(&l, &Q_R2, &Q, Q_INV);
            let lr = mont::mont_mul(&lm, &one_limbs(), &Q, Q_INV);
            // acc · 2^1024 mod q = mont(acc, R2)
            let shifted = mont::mont_mul(&acc, &Q_R2, &Q, Q_INV);
            acc = mont::add_mod(&shifted, &lr, &Q);
            c.zeroize();
        }
        Scalar(acc)
    }

    /// From big-endian octets when the value is in [1, q); `None` otherwise. Constant time in
    /// the value for inputs of up to 128 octets.
    pub(crate) fn from_be_nonzero_canonical(bytes: &[u8]) -> Option<Scalar> {
        if bytes.is_empty() || bytes.len() > 128 {
            return None;
        }
        let mut buf = [0u8; 128];
        buf[128 - bytes.len()..].copy_from_slice(bytes);
        let l = mont::from_be128(&buf);
        buf.zeroize();
        let ok = (mont::lt_mask(&l, &Q) & !mont::eq_mask(&l, &[0u64; LIMBS])) & 1;
        let s = Scalar(l);
        if ok == 1 {
            Some(s)
        } else {
            None
        }
    }

    pub(crate) fn add(&self, o: &Scalar) -> Scalar {
        Scalar(mont::add_mod(&self.0, &o.0, &Q))
    }

    pub(crate) fn mul(&self, o: &Scalar) -> Scalar {
        let t = mont::mont_mul(&self.0, &o.0, &Q, Q_INV);
        Scalar(mont::mont_mul(&t, &Q_R2, &Q, Q_INV))
    }

    /// Inverse modulo q (safegcd, constant time); 0 maps to 0.
    pub(crate) fn invert(&self) -> Scalar {
        static M: Modulus62<LIMBS, { LIMBS + 1 }> = Modulus62::new(&Q);
        Scalar(M.invert(&self.0))
    }

    /// Inverse modulo q by Fermat's little theorem (reference for tests).
    pub(crate) fn invert_fermat(&self) -> Scalar {
        // work in the Montgomery domain: x_m = x·R
        let xm = mont::mont_mul(&self.0, &Q_R2, &Q, Q_INV);
        let mut table = [[0u64; LIMBS]; 16];
        table[0] = mont::mont_mul(&one_limbs(), &Q_R2, &Q, Q_INV);
        for i in 1..16 {
            table[i] = mont::mont_mul(&table[i - 1], &xm, &Q, Q_INV);
        }
        let e = &Q_MINUS_2;
        let nwin = mont::bits_vartime(e).div_ceil(4);
        let mut acc = table[0];
        for w in (0..nwin).rev() {
            for _ in 0..4 {
                acc = mont::mont_mul(&acc, &acc, &Q, Q_INV);
            }
            // public exponent digit
            let d = ((e[(4 * w) / 64] >> ((4 * w) % 64)) & 0xf) as usize;
            if d != 0 {
                acc = mont::mont_mul(&acc, &table[d], &Q, Q_INV);
            }
        }
        table.zeroize();
        Scalar(mont::mont_mul(&acc, &one_limbs(), &Q, Q_INV))
    }

    pub(crate) fn is_zero(&self) -> Choice {
        self.ct_eq(&Scalar::ZERO)
    }

    pub(crate) fn to_be_bytes(&self) -> [u8; 128] {
        mont::to_be128(&self.0)
    }
}

/// Inverts every element of `v` in place with one inversion (Montgomery's trick); zeros stay
/// zero. Constant time in the values.
pub(crate) fn batch_invert(v: &mut [Scalar]) {
    if v.is_empty() {
        return;
    }
    let mut one = Scalar::ZERO;
    one.0[0] = 1;
    let mut prefix = Vec::with_capacity(v.len());
    let mut acc = one;
    for x in v.iter() {
        prefix.push(acc);
        let next = acc.mul(x);
        acc = Scalar::conditional_select(&next, &acc, x.is_zero());
    }
    let mut inv = acc.invert();
    for (x, pre) in v.iter_mut().zip(prefix.iter()).rev() {
        let z = x.is_zero();
        let xi = inv.mul(pre);
        let next_inv = inv.mul(x);
        inv = Scalar::conditional_select(&next_inv, &inv, z);
        *x = Scalar::conditional_select(&xi, &Scalar::ZERO, z);
    }
    prefix.zeroize();
    acc.zeroize();
    inv.zeroize();
}

impl ConstantTimeEq for Scalar {
    fn ct_eq(&self, o: &Scalar) -> Choice {
        Choice::from((mont::eq_mask(&self.0, &o.0) & 1) as u8)
    }
}

impl ConditionallySelectable for Scalar {
    fn conditional_select(a: &Scalar, b: &Scalar, c: Choice) -> Scalar {
        let mask = (c.unwrap_u8() as u64).wrapping_neg();
        Scalar(mont::select(&a.0, &b.0, mask))
    }
}
