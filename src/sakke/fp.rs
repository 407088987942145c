//! F_p for RFC 6509 parameter set 1: constant-time Montgomery arithmetic (R = 2^1024) on
//! 16 × 64-bit limbs, always fully reduced. The product and square use the kernel of the
//! engine detected once in `engine.rs` (AVX-512 IFMA single product, else MULX/ADX, else the
//! portable CIOS loop).
#![allow(clippy::wrong_self_convention)]

use subtle::{Choice, ConditionallySelectable, ConstantTimeEq};
use zeroize::Zeroize;

use super::engine;
use super::mont::{self, Limbs};
use super::params::{FP_BYTES, LIMBS, P, P_MINUS_2, P_R, P_R2, P_R3, Q};
use crate::arith::safegcd::Modulus62;

/// An element of F_p in Montgomery form (value · 2^1024 mod p), fully reduced.
#[derive(Clone, Copy, Default, Zeroize)]
pub(crate) struct Fp(pub(crate) Limbs);

impl core::fmt::Debug for Fp {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Fp(..)")
    }
}

/// Montgomery product modulo p through the detected engine's kernel (`engine.rs`: AVX-512
/// IFMA, else MULX/ADX, else the portable CIOS loop).
#[inline(always)]
pub(crate) fn mont_mul_p(a: &Limbs, b: &Limbs) -> Limbs {
    engine::mont_mul(a, b)
}

/// Montgomery square modulo p through the detected engine's kernel (as [`mont_mul_p`]).
#[inline(always)]
pub(crate) fn mont_sqr_p(a: &Limbs) -> Limbs {
    engine::mont_sqr(a)
}

impl Fp {
    pub(crate) const ZERO: Fp = Fp([0; LIMBS]);
    pub(crate) const ONE: Fp = Fp(P_R);

    /// From a canonical integer (< p) given as limbs; the caller guarantees the range.
    pub(crate) fn from_canonical(a: &Limbs) -> Fp {
        Fp(mont_mul_p(a, &P_R2))
    }

    /// Compile-time-known small constant.
    pub(crate) fn from_u64(v: u64) -> Fp {
        let mut l = [0u64; LIMBS];
        l[0] = v;
        Fp::from_canonical(&l)
    }

    /// The canonical integer (< p) as limbs.
    pub(crate) fn to_canonical(&self) -> Limbs {
        let mut one = [0u64; LIMBS];
        one[0] = 1;
        mont_mul_p(&self.0, &one)
    }

    /// From 128 big-endian octets; `None` (in constant time) when the value is not below p.
    pub(crate) fn from_be_bytes(bytes: &[u8; FP_BYTES]) -> subtle::CtOption<Fp> {
        let l = mont::from_be128(bytes);
        let ok = Choice::from((mont::lt_mask(&l, &P) & 1) as u8);
        subtle::CtOption::new(Fp::from_canonical(&l), ok)
    }

    /// From a big-endian slice of exactly 128 octets.
    pub(crate) fn from_slice(bytes: &[u8]) -> Option<Fp> {
        let arr: &[u8; FP_BYTES] = bytes.try_into().ok()?;
        Option::from(Fp::from_be_bytes(arr))
    }

    /// 128 big-endian octets of the canonical value.
    pub(crate) fn to_be_bytes(&self) -> [u8; FP_BYTES] {
        mont::to_be128(&self.to_canonical())
    }

    #[inline(always)]
    pub(crate) fn add(&self, o: &Fp) -> Fp {
        Fp(mont::add_mod(&self.0, &o.0, &P))
    }
    #[inline(always)]
    pub(crate) fn sub(&self, o: &Fp) -> Fp {
        Fp(mont::sub_mod(&self.0, &o.0, &P))
    }
    #[inline(always)]
    pub(crate) fn double(&self) -> Fp {
        self.add(self)
    }
    #[inline(always)]
    pub(crate) fn neg(&self) -> Fp {
        Fp::ZERO.sub(self)
    }
    #[inline(always)]
    pub(crate) fn mul(&self, o: &Fp) -> Fp {
        Fp(mont_mul_p(&self.0, &o.0))
    }
    #[inline(always)]
    pub(crate) fn square(&self) -> Fp {
        Fp(mont_sqr_p(&self.0))
    }
    /// 3·a.
    #[inline(always)]
    pub(crate) fn triple(&self) -> Fp {
        self.double().add(self)
    }

    pub(crate) fn is_zero(&self) -> Choice {
        self.ct_eq(&Fp::ZERO)
    }

    /// `self^e` for a public exponent (the exponent's bits are not secret; `self` may be).
    /// Fixed 4-bit window over the exponent, no secret-dependent branch or index.
    pub(crate) fn pow_public(&self, e: &Limbs) -> Fp {
        let mut table = [Fp::ONE; 16];
        table[1] = *self;
        for i in 2..16 {
            table[i] = table[i - 1].mul(self);
        }
        let nbits = mont::bits_vartime(e);
        let nwin = nbits.div_ceil(4);
        let mut acc = Fp::ONE;
        for w in (0..nwin).rev() {
            for _ in 0..4 {
                acc = acc.square();
            }
            let d = ((e[(4 * w) / 64] >> ((4 * w) % 64)) & 0xf) as usize;
            // the exponent is public: direct index is fine
            if d != 0 {
                acc = acc.mul(&table[d]);
            }
        }
        acc
    }

    /// Multiplicative inverse (safegcd, constant time); 0 maps to 0.
    /// (x·R)⁻¹ = x⁻¹·R⁻¹; one Montgomery product by R³ gives x⁻¹·R.
    pub(crate) fn invert(&self) -> Fp {
        static M: Modulus62<LIMBS, { LIMBS + 1 }> = Modulus62::new(&P);
        let inv = M.invert(&self.0);
        Fp(mont_mul_p(&inv, &P_R3))
    }

    /// Multiplicative inverse by Fermat's little theorem (reference for tests).
    pub(crate) fn invert_fermat(&self) -> Fp {
        self.pow_public(&P_MINUS_2)
    }

    /// Square root `a^((p+1)/4)` (p = 3 mod 4); `None` when `a` is not a square.
    pub(crate) fn sqrt(&self) -> subtle::CtOption<Fp> {
        // (p + 1) / 4 = q
        let r = self.pow_public(&Q);
        let ok = r.square().ct_eq(self);
        subtle::CtOption::new(r, ok)
    }
}

impl ConstantTimeEq for Fp {
    fn ct_eq(&self, o: &Fp) -> Choice {
        Choice::from((mont::eq_mask(&self.0, &o.0) & 1) as u8)
    }
}

impl ConditionallySelectable for Fp {
    fn conditional_select(a: &Fp, b: &Fp, choice: Choice) -> Fp {
        let mask = (choice.unwrap_u8() as u64).wrapping_neg();
        Fp(mont::select(&a.0, &b.0, mask))
    }
}

/// Inverts every non-zero element of `v` in place with one inversion (Montgomery's trick).
/// Zero elements stay zero. Constant time in the values.
pub(crate) fn batch_invert(v: &mut [Fp]) {
    if v.is_empty() {
        return;
    }
    let mut prefix = Vec::with_capacity(v.len());
    let mut acc = Fp::ONE;
    for x in v.iter() {
        let z = x.is_zero();
        prefix.push(acc);
        let next = acc.mul(x);
        acc = Fp::conditional_select(&next, &acc, z);
    }
    let mut inv = acc.invert();
    for (x, pre) in v.iter_mut().zip(prefix.iter()).rev() {
        let z = x.is_zero();
        let xi = inv.mul(pre);
        let next_inv = inv.mul(x);
        inv = Fp::conditional_select(&next_inv, &inv, z);
        *x = Fp::conditional_select(&xi, &Fp::ZERO, z);
    }
}
