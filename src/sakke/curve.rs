//! The curve E: y² = x³ − 3x over F_p (RFC 6509 parameter set 1; #E(F_p) = p + 1 = 4q, cyclic).
//!
//! - [`Affine`]: finite points, encoding 04 ‖ x ‖ y (257 octets).
//! - [`Proj`]: homogeneous projective points with the complete addition law of Renes, Costello
//!   and Batina (2016, Algorithm 1 with a = −3, b = 0). It has no exceptional case for points of
//!   odd order, so it is used for every scalar multiplication involving secrets.
//! - Jacobian doubling / mixed addition with line evaluation live in `pairing.rs`.
#![allow(clippy::wrong_self_convention)]

use subtle::{Choice, ConditionallySelectable, ConstantTimeEq};
use zeroize::Zeroize;

use super::fp::Fp;
use super::params::{LIMBS, PX, PY, Q};

/// Length of an encoded point: 0x04 ‖ x ‖ y.
pub(crate) const POINT_BYTES: usize = 257;

/// A finite point (x, y) of E(F_p).
#[derive(Clone, Copy, Default, Zeroize)]
pub(crate) struct Affine {
    pub(crate) x: Fp,
    pub(crate) y: Fp,
}

impl core::fmt::Debug for Affine {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Affine(..)")
    }
}

impl Affine {
    /// The base point P of parameter set 1.
    pub(crate) fn generator() -> Affine {
        Affine {
            x: Fp::from_canonical(&PX),
            y: Fp::from_canonical(&PY),
        }
    }

    /// y² == x³ − 3x.
    pub(crate) fn is_on_curve(&self) -> Choice {
        let lhs = self.y.square();
        let rhs = self.x.square().sub(&Fp::from_u64(3)).mul(&self.x);
        lhs.ct_eq(&rhs)
    }

    /// Parses 04 ‖ x ‖ y with x, y < p and the point on the curve (no subgroup check).
    /// Errors: wrong length → `Parse`; anything else → `InvalidPoint`.
    pub(crate) fn decode_on_curve(bytes: &[u8]) -> crate::Result<Affine> {
        if bytes.len() != POINT_BYTES {
            return Err(crate::Error::Parse);
        }
        if bytes[0] != 0x04 {
            return Err(crate::Error::InvalidPoint);
        }
        let x = Fp::from_slice(&bytes[1..129]).ok_or(crate::Error::InvalidPoint)?;
        let y = Fp::from_slice(&bytes[129..257]).ok_or(crate::Error::InvalidPoint)?;
        let pt = Affine { x, y };
        if bool::from(pt.is_on_curve()) {
            Ok(pt)
        } else {
            Err(crate::Error::InvalidPoint)
        }
    }

    /// Parses and checks membership of the order-q subgroup (`[q]Q == O`, constant time in the
    /// point).
    pub(crate) fn decode_in_subgroup(bytes: &[u8]) -> crate::Result<Affine> {
        let pt = Affine::decode_on_curve(bytes)?;
        if bool::from(pt.is_in_subgroup()) {
            Ok(pt)
        } else {
            Err(crate::Error::InvalidPoint)
        }
    }

    /// `[q]self == O`, by a double-and-add over the public bits of q with complete formulas.
    pub(crate) fn is_in_subgroup(&self) -> Choice {
        if bool::from(self.is_small_order()) {
            return Choice::from(0);
        }
        let base = Proj::from_affine(self);
        Proj::mul_public_scalar(&base, &Q).is_identity()
    }

    /// Cheap rejection of the points of order 2 and 4: y = 0, or x² = −3.
    pub(crate) fn is_small_order(&self) -> Choice {
        let minus3 = Fp::from_u64(3).neg();
        self.y.is_zero() | self.x.square().ct_eq(&minus3)
    }

    pub(crate) fn encode(&self) -> [u8; POINT_BYTES] {
        let mut out = [0u8; POINT_BYTES];
        out[0] = 0x04;
        out[1..129].copy_from_slice(&self.x.to_be_bytes());
        out[129..257].copy_from_slice(&self.y.to_be_bytes());
        out
    }

    pub(crate) fn neg(&self) -> Affine {
        Affine {
            x: self.x,
            y: self.y.neg(),
        }
    }
}

impl ConditionallySelectable for Affine {
    fn conditional_select(a: &Affine, b: &Affine, c: Choice) -> Affine {
        Affine {
            x: Fp::conditional_select(&a.x, &b.x, c),
            y: Fp::conditional_select(&a.y, &b.y, c),
        }
    }
}

impl ConstantTimeEq for Affine {
    fn ct_eq(&self, o: &Affine) -> Choice {
        self.x.ct_eq(&o.x) & self.y.ct_eq(&o.y)
    }
}

/// Homogeneous projective point (X : Y : Z); the identity is (0 : 1 : 0).
#[derive(Clone, Copy, Zeroize)]
pub(crate) struct Proj {
    pub(crate) x: Fp,
    pub(crate) y: Fp,
    pub(crate) z: Fp,
}

impl core::fmt::Debug for Proj {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Proj(..)")
    }
}

/// −3·a
#[inline(always)]
fn mul_a(v: &Fp) -> Fp {
    v.triple().neg()
}

impl Proj {
    pub(crate) const IDENTITY: Proj = Proj {
        x: Fp::ZERO,
        y: Fp::ONE,
        z: Fp::ZERO,
    };

    pub(crate) fn from_affine(p: &Affine) -> Proj {
        Proj {
            x: p.x,
            y: p.y,
            z: Fp::ONE,
        }
    }

    /// Z = 0 and Y ≠ 0. (The complete formulas are complete on the odd-order subgroup; for
    /// inputs with a 2-torsion part they may produce the invalid (0 : 0 : 0), which is not the
    /// identity and propagates, so subgroup checks stay sound.)
    pub(crate) fn is_identity(&self) -> Choice {
        self.z.is_zero() & !self.y.is_zero()
    }

    /// Complete addition (RCB 2016, Algorithm 1, a = −3, b = 0): 12 products.
    pub(crate) fn add(&self, o: &Proj) -> Proj {
        let t0 = self.x.mul(&o.x);
        let t1 = self.y.mul(&o.y);
        let t2 = self.z.mul(&o.z);
        let t3 = self.x.add(&self.y).mul(&o.x.add(&o.y)).sub(&t0).sub(&t1);
        let t4 = self.x.add(&self.z).mul(&o.x.add(&o.z)).sub(&t0).sub(&t2);
        let t5 = self.y.add(&self.z).mul(&o.y.add(&o.z)).sub(&t1).sub(&t2);
        Proj::finish_add(t0, t1, t2, t3, t4, t5)
    }

    /// Complete addition of an affine point (Z2 = 1): 11 products.
    pub(crate) fn add_affine(&self, o: &Affine) -> Proj {
        let t0 = self.x.mul(&o.x);
        let t1 = self.y.mul(&o.y);
        let t2 = self.z;
        let t3 = self.x.add(&self.y).mul(&o.x.add(&o.y)).sub(&t0).sub(&t1);
        let t4 = o.x.mul(&self.z).add(&self.x);
        let t5 = o.y.mul(&self.z).add(&self.y);
        Proj::finish_add(t0, t1, t2, t3, t4, t5)
    }

    #[inline(always)]
    fn finish_add(t0: Fp, t1: Fp, t2: Fp, t3: Fp, t4: Fp, t5: Fp) -> Proj {
        // t3 = X1Y2 + X2Y1, t4 = X1Z2 + X2Z1, t5 = Y1Z2 + Y2Z1
        let at4 = mul_a(&t4);
        let x3 = t1.sub(&at4);
        let z3 = t1.add(&at4);
        let mut y3 = x3.mul(&z3);
        let at2 = mul_a(&t2);
        let t1b = t0.triple().add(&at2);
        let t4b = mul_a(&t0.sub(&at2));
        y3 = y3.add(&t1b.mul(&t4b));
        let x3 = t3.mul(&x3).sub(&t5.mul(&t4b));
        let z3 = t5.mul(&z3).add(&t3.mul(&t1b));
        Proj {
            x: x3,
            y: y3,
            z: z3,
        }
    }

    pub(crate) fn double(&self) -> Proj {
        self.add(self)
    }

    /// `[e]base` for a public scalar `e` (double-and-add over its bits; constant time in the
    /// point because the formulas are complete and the bit pattern is public).
    pub(crate) fn mul_public_scalar(base: &Proj, e: &[u64; LIMBS]) -> Proj {
        let n = super::mont::bits_vartime(e);
        let mut acc = Proj::IDENTITY;
        for i in (0..n).rev() {
            acc = acc.double();
            if super::mont::bit(e, i) == 1 {
                acc = acc.add(base);
            }
        }
        acc
    }

    /// To affine (one inversion); `None` for the identity.
    pub(crate) fn to_affine(&self) -> subtle::CtOption<Affine> {
        let mut zi = self.z.invert();
        let a = Affine {
            x: self.x.mul(&zi),
            y: self.y.mul(&zi),
        };
        zi.zeroize();
        subtle::CtOption::new(a, !self.z.is_zero())
    }

    /// Whether `self` represents the finite point `a`: X = x·Z, Y = y·Z, Z ≠ 0. No inversion.
    pub(crate) fn eq_affine(&self, a: &Affine) -> Choice {
        !self.z.is_zero() & self.x.ct_eq(&a.x.mul(&self.z)) & self.y.ct_eq(&a.y.mul(&self.z))
    }
}

impl ConditionallySelectable for Proj {
    fn conditional_select(a: &Proj, b: &Proj, c: Choice) -> Proj {
        Proj {
            x: Fp::conditional_select(&a.x, &b.x, c),
            y: Fp::conditional_select(&a.y, &b.y, c),
            z: Fp::conditional_select(&a.z, &b.z, c),
        }
    }
}

/// Converts many projective points to affine with one inversion. Identity points give (0, 0).
pub(crate) fn batch_to_affine(pts: &[Proj]) -> Vec<Affine> {
    let mut zs: Vec<Fp> = pts.iter().map(|p| p.z).collect();
    super::fp::batch_invert(&mut zs);
    let out = pts
        .iter()
        .zip(zs.iter())
        .map(|(p, zi)| Affine {
            x: p.x.mul(zi),
            y: p.y.mul(zi),
        })
        .collect();
    // The points may be secret (RSKs): so are the inverses of their Z coordinates.
    zs.zeroize();
    out
}
