//! F_p² = F_p(i), i² = −1, and the quotient PF_p = F_p²* / F_p* in which RFC 6508 states pairing
//! values: an element a + i·b of PF_p is written as the F_p value b/a.

use subtle::{Choice, ConditionallySelectable};
use zeroize::Zeroize;

use super::fp::Fp;

/// a + i·b.
#[derive(Clone, Copy, Default, Zeroize)]
pub(crate) struct Fp2 {
    pub(crate) a: Fp,
    pub(crate) b: Fp,
}

impl core::fmt::Debug for Fp2 {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Fp2(..)")
    }
}

impl Fp2 {
    pub(crate) const ONE: Fp2 = Fp2 {
        a: Fp::ONE,
        b: Fp::ZERO,
    };

    /// Karatsuba product (3 F_p products).
    #[inline]
    pub(crate) fn mul(&self, o: &Fp2) -> Fp2 {
        let t0 = self.a.mul(&o.a);
        let t1 = self.b.mul(&o.b);
        let t2 = self.a.add(&self.b).mul(&o.a.add(&o.b));
        Fp2 {
            a: t0.sub(&t1),
            b: t2.sub(&t0).sub(&t1),
        }
    }

    /// Square (2 F_p products): (a+b)(a−b) + i·2ab.
    #[inline]
    pub(crate) fn square(&self) -> Fp2 {
        let re = self.a.add(&self.b).mul(&self.a.sub(&self.b));
        let im = self.a.mul(&self.b).double();
        Fp2 { a: re, b: im }
    }

    /// Product with an element `1 + i·t` (2 F_p products): (a − b·t) + i·(b + a·t).
    #[inline]
    pub(crate) fn mul_by_one_plus_it(&self, t: &Fp) -> Fp2 {
        let bt = self.b.mul(t);
        let at = self.a.mul(t);
        Fp2 {
            a: self.a.sub(&bt),
            b: self.b.add(&at),
        }
    }

    /// Product with an element `s + i` (2 F_p products): (a·s − b) + i·(a + b·s).
    #[inline]
    pub(crate) fn mul_by_s_plus_i(&self, s: &Fp) -> Fp2 {
        let as_ = self.a.mul(s);
        let bs = self.b.mul(s);
        Fp2 {
            a: as_.sub(&self.b),
            b: self.a.add(&bs),
        }
    }

    /// `self^e` for a public exponent (little-endian words): fixed 4-bit windows, variable
    /// time in `e` only.
    pub(crate) fn pow_vartime(&self, e: &[u64; super::params::LIMBS]) -> Fp2 {
        let mut table = [Fp2::ONE; 16];
        table[1] = *self;
        for i in 2..16 {
            table[i] = table[i - 1].mul(self);
        }
        let nbits = super::mont::bits_vartime(e);
        let mut acc = Fp2::ONE;
        for w in (0..nbits.div_ceil(4)).rev() {
            for _ in 0..4 {
                acc = acc.square();
            }
            let d = ((e[(4 * w) / 64] >> ((4 * w) % 64)) & 0xf) as usize;
            if d != 0 {
                acc = acc.mul(&table[d]);
            }
        }
        table.zeroize();
        acc
    }

    /// The RFC 6508 representative b/a of the PF_p class of `self` (one inversion).
    pub(crate) fn pf_representative(&self) -> Fp {
        self.b.mul(&self.a.invert())
    }
}

impl ConditionallySelectable for Fp2 {
    fn conditional_select(x: &Fp2, y: &Fp2, c: Choice) -> Fp2 {
        Fp2 {
            a: Fp::conditional_select(&x.a, &y.a, c),
            b: Fp::conditional_select(&x.b, &y.b, c),
        }
    }
}
