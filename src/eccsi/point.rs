//! P-256 points on [`Fe`](super::field::Fe): y² = x³ − 3x + b.
//!
//! - [`Aff`]: affine coordinates with an explicit identity flag (tables, decoded points).
//! - [`Proj`]: homogeneous projective coordinates with the complete formulas of Renes,
//!   Costello and Batina (2016, mixed addition for a = −3): no exceptional cases, so they serve
//!   the constant-time paths (secret scalars).
//! - [`Jac`]: Jacobian coordinates with the cheaper `dbl-2001-b` / `madd-2007-bl` /
//!   `add-2007-bl` formulas, whose exceptional cases are dispatched by branches: variable time,
//!   public data only (verification).

use subtle::{Choice, ConditionallySelectable, ConstantTimeEq};

use super::field::{batch_invert, Fe};

/// The curve coefficient b, big-endian.
#[cfg(test)]
const B_BYTES: [u8; 32] = [
    0x5A, 0xC6, 0x35, 0xD8, 0xAA, 0x3A, 0x93, 0xE7, 0xB3, 0xEB, 0xBD, 0x55, 0x76, 0x98, 0x86, 0xBC,
    0x65, 0x1D, 0x06, 0xB0, 0xCC, 0x53, 0xB0, 0xF6, 0x3B, 0xCE, 0x3C, 0x3E, 0x27, 0xD2, 0x60, 0x4B,
];
/// b in Montgomery form (checked against `B_BYTES` by a test).
pub(crate) const B: Fe = Fe([
    0xD89C_DF62_29C4_BDDF,
    0xACF0_05CD_7884_3090,
    0xE5A2_20AB_F721_2ED6,
    0xDC30_061D_0487_4834,
]);
const GX: [u8; 32] = [
    0x6B, 0x17, 0xD1, 0xF2, 0xE1, 0x2C, 0x42, 0x47, 0xF8, 0xBC, 0xE6, 0xE5, 0x63, 0xA4, 0x40, 0xF2,
    0x77, 0x03, 0x7D, 0x81, 0x2D, 0xEB, 0x33, 0xA0, 0xF4, 0xA1, 0x39, 0x45, 0xD8, 0x98, 0xC2, 0x96,
];
const GY: [u8; 32] = [
    0x4F, 0xE3, 0x42, 0xE2, 0xFE, 0x1A, 0x7F, 0x9B, 0x8E, 0xE7, 0xEB, 0x4A, 0x7C, 0x0F, 0x9E, 0x16,
    0x2B, 0xCE, 0x33, 0x57, 0x6B, 0x31, 0x5E, 0xCE, 0xCB, 0xB6, 0x40, 0x68, 0x37, 0xBF, 0x51, 0xF5,
];

/// An affine point, or the identity (`inf`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Aff {
    pub(crate) x: Fe,
    pub(crate) y: Fe,
    pub(crate) inf: bool,
}

impl Aff {
    pub(crate) const IDENTITY: Aff = Aff {
        x: Fe::ZERO,
        y: Fe::ZERO,
        inf: true,
    };

    /// The base point G.
    pub(crate) fn generator() -> Aff {
        match (Fe::from_bytes(&GX), Fe::from_bytes(&GY)) {
            (Some(x), Some(y)) => Aff { x, y, inf: false },
            _ => Aff::IDENTITY, // unreachable: constants are canonical (tested)
        }
    }

    /// Decodes `04‖x‖y` (65 octets): coordinates canonical and on the curve.
    pub(crate) fn from_sec1(b: &[u8]) -> Option<Aff> {
        if b.len() != 65 || b[0] != 0x04 {
            return None;
        }
        let mut xb = [0u8; 32];
        let mut yb = [0u8; 32];
        xb.copy_from_slice(&b[1..33]);
        yb.copy_from_slice(&b[33..65]);
        let x = Fe::from_bytes(&xb)?;
        let y = Fe::from_bytes(&yb)?;
        let rhs = x.square().mul(&x).sub(&x.double().add(&x)).add(&B);
        if bool::from(y.square().ct_eq(&rhs)) {
            Some(Aff { x, y, inf: false })
        } else {
            None
        }
    }

    /// `04‖x‖y`, or `None` for the identity.
    pub(crate) fn to_sec1(self) -> Option<[u8; 65]> {
        if self.inf {
            return None;
        }
        let mut out = [0u8; 65];
        out[0] = 0x04;
        out[1..33].copy_from_slice(&self.x.to_bytes());
        out[33..].copy_from_slice(&self.y.to_bytes());
        Some(out)
    }

    pub(crate) fn neg(&self) -> Aff {
        Aff {
            x: self.x,
            y: self.y.neg(),
            inf: self.inf,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Constant time: homogeneous projective coordinates, complete formulas (a = −3).

/// A point in homogeneous projective coordinates (x = X/Z, y = Y/Z; identity: Z = 0).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Proj {
    pub(crate) x: Fe,
    pub(crate) y: Fe,
    pub(crate) z: Fe,
}

impl Proj {
    pub(crate) const IDENTITY: Proj = Proj {
        x: Fe::ZERO,
        y: Fe::ONE,
        z: Fe::ZERO,
    };

    /// `self + q` for an affine `q` that is not the identity (RCB mixed addition, complete for
    /// every `self`).
    #[inline(always)]
    pub(crate) fn add_mixed(&self, q: &Aff) -> Proj {
        let (x1, y1, z1) = (&self.x, &self.y, &self.z);
        let (x2, y2) = (&q.x, &q.y);
        let mut t0 = x1.mul(x2);
        let mut t1 = y1.mul(y2);
        let mut t3 = x2.add(y2).mul(&x1.add(y1));
        let mut t4 = t0.add(&t1);
        t3 = t3.sub(&t4); // X1·Y2 + X2·Y1
        t4 = y2.mul(z1).add(y1); // Y1 + Y2·Z1
        let mut y3 = x2.mul(z1).add(x1); // X1 + X2·Z1
        let mut z3 = B.mul(z1);
        let mut x3 = y3.sub(&z3);
        z3 = x3.double();
        x3 = x3.add(&z3);
        z3 = t1.sub(&x3);
        x3 = t1.add(&x3);
        y3 = B.mul(&y3);
        t1 = z1.double();
        let t2 = t1.add(z1);
        y3 = y3.sub(&t2);
        y3 = y3.sub(&t0);
        t1 = y3.double();
        y3 = t1.add(&y3);
        t1 = t0.double();
        t0 = t1.add(&t0);
        t0 = t0.sub(&t2);
        t1 = t4.mul(&y3);
        let t2 = t0.mul(&y3);
        y3 = x3.mul(&z3);
        y3 = y3.add(&t2);
        x3 = t3.mul(&x3);
        x3 = x3.sub(&t1);
        z3 = t4.mul(&z3);
        t1 = t3.mul(&t0);
        z3 = z3.add(&t1);
        Proj {
            x: x3,
            y: y3,
            z: z3,
        }
    }

    pub(crate) fn is_identity(&self) -> Choice {
        self.z.is_zero()
    }

    /// Affine form (one constant-time inversion).
    pub(crate) fn to_affine(self) -> Aff {
        let zi = self.z.invert();
        Aff {
            x: self.x.mul(&zi),
            y: self.y.mul(&zi),
            inf: bool::from(self.is_identity()),
        }
    }

    /// Equality with a Jacobian point, by cross-multiplication (no inversion).
    pub(crate) fn eq_jac(&self, j: &Jac) -> bool {
        let pi = bool::from(self.is_identity());
        let ji = j.is_identity();
        if pi || ji {
            return pi == ji;
        }
        // X/Z == Xj/Zj² and Y/Z == Yj/Zj³.
        let zj2 = j.z.square();
        let zj3 = zj2.mul(&j.z);
        bool::from(
            self.x.mul(&zj2).ct_eq(&j.x.mul(&self.z)) & self.y.mul(&zj3).ct_eq(&j.y.mul(&self.z)),
        )
    }
}

impl ConditionallySelectable for Proj {
    fn conditional_select(a: &Proj, b: &Proj, c: Choice) -> Proj {
        Proj {
            x: Fe::conditional_select(&a.x, &b.x, c),
            y: Fe::conditional_select(&a.y, &b.y, c),
            z: Fe::conditional_select(&a.z, &b.z, c),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Variable time: Jacobian coordinates.

/// A point in Jacobian coordinates (x = X/Z², y = Y/Z³; identity: Z = 0).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Jac {
    pub(crate) x: Fe,
    pub(crate) y: Fe,
    pub(crate) z: Fe,
}

impl Jac {
    pub(crate) const IDENTITY: Jac = Jac {
        x: Fe::ONE,
        y: Fe::ONE,
        z: Fe::ZERO,
    };

    pub(crate) fn from_aff(a: &Aff) -> Jac {
        if a.inf {
            Jac::IDENTITY
        } else {
            Jac {
                x: a.x,
                y: a.y,
                z: Fe::ONE,
            }
        }
    }

    #[inline(always)]
    pub(crate) fn is_identity(&self) -> bool {
        self.z.is_zero_vartime()
    }

    /// `2·self` (dbl-2001-b, a = −3). Correct for the identity (Z stays 0); P-256 has no point
    /// of order 2.
    #[inline(always)]
    pub(crate) fn double(&self) -> Jac {
        let delta = self.z.square();
        let gamma = self.y.square();
        let beta = self.x.mul(&gamma);
        let t = self.x.sub(&delta).mul(&self.x.add(&delta));
        let alpha = t.double().add(&t);
        let beta4 = beta.double().double();
        let x3 = alpha.square().sub(&beta4.double());
        let z3 = self.y.add(&self.z).square().sub(&gamma).sub(&delta);
        let g2 = gamma.square();
        let y3 = alpha
            .mul(&beta4.sub(&x3))
            .sub(&g2.double().double().double());
        Jac {
            x: x3,
            y: y3,
            z: z3,
        }
    }

    /// `self + q` for affine `q` (madd-2007-bl), exceptional cases by branches (public data).
    #[inline(always)]
    pub(crate) fn add_aff_vartime(&self, q: &Aff) -> Jac {
        if q.inf {
            return *self;
        }
        if self.is_identity() {
            return Jac::from_aff(q);
        }
        let z1z1 = self.z.square();
        let u2 = q.x.mul(&z1z1);
        let s2 = q.y.mul(&self.z).mul(&z1z1);
        let h = u2.sub(&self.x);
        let r = s2.sub(&self.y).double();
        if h.is_zero_vartime() {
            return if r.is_zero_vartime() {
                self.double()
            } else {
                Jac::IDENTITY
            };
        }
        let hh = h.square();
        let i = hh.double().double();
        let j = h.mul(&i);
        let v = self.x.mul(&i);
        let x3 = r.square().sub(&j).sub(&v.double());
        let y3 = r.mul(&v.sub(&x3)).sub(&self.y.mul(&j).double());
        let z3 = self.z.add(&h).square().sub(&z1z1).sub(&hh);
        Jac {
            x: x3,
            y: y3,
            z: z3,
        }
    }

    /// `self + q` (add-2007-bl), exceptional cases by branches (public data).
    pub(crate) fn add_vartime(&self, q: &Jac) -> Jac {
        if q.is_identity() {
            return *self;
        }
        if self.is_identity() {
            return *q;
        }
        let z1z1 = self.z.square();
        let z2z2 = q.z.square();
        let u1 = self.x.mul(&z2z2);
        let u2 = q.x.mul(&z1z1);
        let s1 = self.y.mul(&q.z).mul(&z2z2);
        let s2 = q.y.mul(&self.z).mul(&z1z1);
        let h = u2.sub(&u1);
        let r = s2.sub(&s1).double();
        if h.is_zero_vartime() {
            return if r.is_zero_vartime() {
                self.double()
            } else {
                Jac::IDENTITY
            };
        }
        let i = h.double().square();
        let j = h.mul(&i);
        let v = u1.mul(&i);
        let x3 = r.square().sub(&j).sub(&v.double());
        let y3 = r.mul(&v.sub(&x3)).sub(&s1.mul(&j).double());
        let z3 = self.z.add(&q.z).square().sub(&z1z1).sub(&z2z2).mul(&h);
        Jac {
            x: x3,
            y: y3,
            z: z3,
        }
    }

    /// `self + q` for a Jacobian `q` with cached `Z²`, `Z³` (add-2007-bl with the second
    /// operand's powers precomputed: 9M + 4S), exceptional cases by branches (public data).
    #[inline(always)]
    pub(crate) fn add_cached_vartime(&self, q: &JacCached) -> Jac {
        if q.p.is_identity() {
            return *self;
        }
        if self.is_identity() {
            return q.p;
        }
        let z1z1 = self.z.square();
        let u1 = self.x.mul(&q.z2);
        let u2 = q.p.x.mul(&z1z1);
        let s1 = self.y.mul(&q.z3);
        let s2 = q.p.y.mul(&self.z).mul(&z1z1);
        let h = u2.sub(&u1);
        let r = s2.sub(&s1).double();
        if h.is_zero_vartime() {
            return if r.is_zero_vartime() {
                self.double()
            } else {
                Jac::IDENTITY
            };
        }
        let i = h.double().square();
        let j = h.mul(&i);
        let v = u1.mul(&i);
        let x3 = r.square().sub(&j).sub(&v.double());
        let y3 = r.mul(&v.sub(&x3)).sub(&s1.mul(&j).double());
        let z3 = self.z.mul(&q.p.z).mul(&h).double();
        Jac {
            x: x3,
            y: y3,
            z: z3,
        }
    }

    /// Affine x-coordinate equals the field element `r` (no inversion); false for the identity.
    pub(crate) fn x_equals_vartime(&self, r: &Fe) -> bool {
        if self.is_identity() {
            return false;
        }
        let z2 = self.z.square();
        bool::from(self.x.ct_eq(&r.mul(&z2)))
    }
}

/// A Jacobian point with its `Z²` and `Z³`, for repeated additions without normalisation.
#[derive(Clone, Copy, Debug)]
pub(crate) struct JacCached {
    pub(crate) p: Jac,
    pub(crate) z2: Fe,
    pub(crate) z3: Fe,
}

impl JacCached {
    pub(crate) fn new(p: &Jac) -> JacCached {
        let z2 = p.z.square();
        JacCached {
            p: *p,
            z2,
            z3: z2.mul(&p.z),
        }
    }

    pub(crate) fn neg(&self) -> JacCached {
        JacCached {
            p: Jac {
                x: self.p.x,
                y: self.p.y.neg(),
                z: self.p.z,
            },
            z2: self.z2,
            z3: self.z3,
        }
    }
}

/// Affine forms of many Jacobian points with one inversion.
pub(crate) fn normalize_batch(pts: &[Jac]) -> Vec<Aff> {
    let mut zs: Vec<Fe> = pts.iter().map(|p| p.z).collect();
    batch_invert(&mut zs);
    pts.iter()
        .zip(zs.iter())
        .map(|(p, zi)| {
            if p.is_identity() {
                Aff::IDENTITY
            } else {
                let zi2 = zi.square();
                Aff {
                    x: p.x.mul(&zi2),
                    y: p.y.mul(&zi2).mul(zi),
                    inf: false,
                }
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants() {
        assert_eq!(Fe::from_bytes(&B_BYTES).map(|b| b.0), Some(B.0));
        let g = Aff::generator();
        assert!(!g.inf);
        let mut enc = [0u8; 65];
        enc[0] = 4;
        enc[1..33].copy_from_slice(&GX);
        enc[33..].copy_from_slice(&GY);
        assert!(Aff::from_sec1(&enc).is_some());
        assert_eq!(g.to_sec1(), Some(enc));
        enc[64] ^= 1;
        assert!(Aff::from_sec1(&enc).is_none());
    }
}
