//! The Tate–Lichtenbaum pairing of RFC 6508 §3.2 with the distortion map ψ(x, y) = (−x, i·y).
//!
//! `<R, Q>` = f_{R}(ψ(Q))^((p+1)/q) in PF_p = F_p²*/F_p*, written as b/a for the class of
//! a + i·b. The Miller loop runs over the bits of q − 1 (the last, vertical, line of the loop
//! over q lies in F_p and vanishes in PF_p), with R in Jacobian coordinates (a = −3) and every
//! line multiplied by an F_p factor so no inversion is needed; the final exponentiation is
//! f ↦ f⁴ (two squarings) and one inversion for b/a. The control flow depends only on q.
//!
//! [`RskLines`] runs the Miller loop once on a fixed point K and stores, per step, the line
//! normalised to `a·x + b + i·y` (one batched inversion), so that `<K, R>` (= `<R, K>`, the
//! pairing is symmetric on the order-q subgroup) costs only the evaluations at R.

use zeroize::Zeroize;

use super::curve::Affine;
use super::engine::{Engine, LineLanes};
use super::fp::{batch_invert, Fp};
use super::fp2::Fp2;
use super::params::{LIMBS, Q};

/// q − 1 and its bit length.
fn q_minus_1() -> [u64; LIMBS] {
    let mut e = Q;
    e[0] -= 1; // q is odd
    e
}

/// A point in Jacobian coordinates (x = X/Z², y = Y/Z³); also the variable-time loop's
/// (`vartime.rs`) point, so both loops share the formulas and give the same lines.
#[derive(Clone, Copy, Zeroize)]
pub(super) struct Jac {
    pub(super) x: Fp,
    pub(super) y: Fp,
    pub(super) z: Fp,
}

/// One line: real part = A·x_Q + B, imaginary part = C·y_Q.
#[derive(Zeroize)]
pub(super) struct Line {
    pub(super) a: Fp,
    pub(super) b: Fp,
    pub(super) c: Fp,
}

impl Jac {
    /// Doubling (dbl-2001-b, a = −3) and the tangent line at the old point.
    #[inline(always)]
    pub(super) fn double_with_line(&mut self) -> Line {
        let delta = self.z.square();
        let gamma = self.y.square();
        let beta = self.x.mul(&gamma);
        let alpha = self.x.sub(&delta).mul(&self.x.add(&delta)).triple();
        let z3 = self.y.add(&self.z).square().sub(&gamma).sub(&delta);
        // tangent · Z3·Z²: alpha·(x_Q·delta + X) − 2·gamma + i·Z3·delta·y_Q
        let line = Line {
            a: alpha.mul(&delta),
            b: alpha.mul(&self.x).sub(&gamma.double()),
            c: z3.mul(&delta),
        };
        let beta4 = beta.double().double();
        let x3 = alpha.square().sub(&beta4.double());
        let gamma2 = gamma.square();
        let y3 = alpha
            .mul(&beta4.sub(&x3))
            .sub(&gamma2.double().double().double());
        self.x = x3;
        self.y = y3;
        self.z = z3;
        line
    }

    /// Mixed addition of the affine `r` (madd-2007-bl) and the line through both points.
    #[inline(always)]
    pub(super) fn add_with_line(&mut self, r: &Affine) -> Line {
        let z1z1 = self.z.square();
        let u2 = r.x.mul(&z1z1);
        let s2 = r.y.mul(&self.z).mul(&z1z1);
        let h = u2.sub(&self.x);
        let hh = h.square();
        let i = hh.double().double();
        let j = h.mul(&i);
        let rr = s2.sub(&self.y).double();
        let v = self.x.mul(&i);
        let x3 = rr.square().sub(&j).sub(&v.double());
        let y3 = rr.mul(&v.sub(&x3)).sub(&self.y.mul(&j).double());
        let z3 = self.z.add(&h).square().sub(&z1z1).sub(&hh);
        // line · Z3: rr·(x_Q + x_R) − y_R·Z3 + i·Z3·y_Q
        let line = Line {
            a: rr,
            b: rr.mul(&r.x).sub(&r.y.mul(&z3)),
            c: z3,
        };
        self.x = x3;
        self.y = y3;
        self.z = z3;
        line
    }
}

/// Signed binary (NAF) digits of q − 1, most significant first (public; 353 non-zero digits
/// instead of 513 ones in binary).
pub(crate) fn naf_q_minus_1() -> &'static [i8] {
    static NAF: std::sync::OnceLock<Vec<i8>> = std::sync::OnceLock::new();
    NAF.get_or_init(|| {
        let mut e = q_minus_1();
        let mut out = Vec::with_capacity(1030);
        while e.iter().any(|&l| l != 0) {
            let d: i8 = if e[0] & 1 == 1 {
                2 - (e[0] & 3) as i8
            } else {
                0
            };
            // e -= d
            if d == 1 {
                e = super::mont::sub(&e, &one()).0;
            } else if d == -1 {
                e = super::mont::add(&e, &one()).0;
            }
            out.push(d);
            // e >>= 1
            for i in 0..LIMBS {
                let hi = if i + 1 < LIMBS { e[i + 1] << 63 } else { 0 };
                e[i] = (e[i] >> 1) | hi;
            }
        }
        out.reverse();
        out
    })
}

fn one() -> [u64; LIMBS] {
    let mut o = [0u64; LIMBS];
    o[0] = 1;
    o
}

/// Runs the Miller loop on `r` over the NAF of q − 1, calling `sink` with each line (in order:
/// for every digit after the first, the tangent, then the chord through ±r when the digit is
/// non-zero). The vertical lines (at r, and for the final step) lie in F_p and vanish in PF_p.
/// The digit pattern is public, so the control flow depends on q only.
#[inline(always)]
fn miller_lines(r: &Affine, mut sink: impl FnMut(Line, bool)) {
    let digits = naf_q_minus_1();
    let neg_r = r.neg();
    let mut c = Jac {
        x: r.x,
        y: r.y,
        z: Fp::ONE,
    };
    for &d in digits.iter().skip(1) {
        let l = c.double_with_line();
        sink(l, true);
        if d == 1 {
            let l = c.add_with_line(r);
            sink(l, false);
        } else if d == -1 {
            let l = c.add_with_line(&neg_r);
            sink(l, false);
        }
    }
    // For an RSK, the running multiple of K and its negation are secret.
    c.zeroize();
    let mut neg_r = neg_r;
    neg_r.zeroize();
}

/// Final step: f ↦ f⁴ and the representative b/a.
fn finish(f: &Fp2) -> Fp {
    f.square().square().pf_representative()
}

/// `<r, q>` per RFC 6508 §3.2 (Miller loop on `r`, evaluated at ψ(q)).
pub(crate) fn pairing(r: &Affine, q: &Affine) -> Fp {
    let mut f = Fp2::ONE;
    miller_lines(r, |l, is_double| {
        let re = l.a.mul(&q.x).add(&l.b);
        let im = l.c.mul(&q.y);
        if is_double {
            f = f.square();
        }
        f = f.mul(&Fp2 { a: re, b: im });
    });
    finish(&f)
}

/// Binary-digit Miller loop (reference for the NAF loop in tests).
pub(crate) fn pairing_binary(r: &Affine, q: &Affine) -> Fp {
    let e = q_minus_1();
    let n = super::mont::bits_vartime(&e);
    let mut c = Jac {
        x: r.x,
        y: r.y,
        z: Fp::ONE,
    };
    let mut f = Fp2::ONE;
    let apply = |l: Line, f: &mut Fp2| {
        let re = l.a.mul(&q.x).add(&l.b);
        let im = l.c.mul(&q.y);
        *f = f.mul(&Fp2 { a: re, b: im });
    };
    for i in (0..n - 1).rev() {
        f = f.square();
        let l = c.double_with_line();
        apply(l, &mut f);
        if super::mont::bit(&e, i) == 1 {
            let l = c.add_with_line(r);
            apply(l, &mut f);
        }
    }
    finish(&f)
}

/// Miller-loop line coefficients of a fixed point K, each line normalised to `a·x + b + i·y`.
///
/// Evaluated at a point (x, y) with y ≠ 0 (every point of odd order), a line is divided by y,
/// an F_p factor that vanishes in PF_p: it becomes `s + i` with `s = a·(x/y) + b·(1/y)`. The
/// values `s` of all steps are independent of one another (two products each, computed eight
/// at a time on the IFMA lanes when the CPU has them), and the Miller loop itself is left with
/// one F_p² squaring (2 products) and one product by `s + i` (2 products) per step.
#[derive(Clone)]
pub(crate) struct LineTable {
    /// (a, b, is_doubling_step) for every line, in loop order.
    lines: Vec<(Fp, Fp, bool)>,
    /// The same (a, b), eight lines per vector pair, for the lane evaluation (when the
    /// detected engine has lanes).
    lanes: LineLanes,
}

impl core::fmt::Debug for LineTable {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("LineTable(..)")
    }
}

impl Drop for LineTable {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        for (a, b, _) in self.lines.iter_mut() {
            a.zeroize();
            b.zeroize();
        }
        // the lane copies zeroize themselves (FpX8's Drop)
    }
}

impl LineTable {
    /// Precomputes the lines of K (one batched inversion for all steps).
    pub(crate) fn new(k: &Affine) -> LineTable {
        let mut raw: Vec<Line> = Vec::with_capacity(1540);
        let mut kinds: Vec<bool> = Vec::with_capacity(1540);
        miller_lines(k, |l, d| {
            raw.push(l);
            kinds.push(d);
        });
        let mut cs: Vec<Fp> = raw.iter().map(|l| l.c).collect();
        batch_invert(&mut cs);
        let lines: Vec<(Fp, Fp, bool)> = raw
            .iter()
            .zip(cs.iter())
            .zip(kinds.iter())
            .map(|((l, ci), &d)| (l.a.mul(ci), l.b.mul(ci), d))
            .collect();
        // The raw lines of a secret K give K away (the first tangent's coefficients are
        // functions of K alone), and so do their C inverses: wipe both.
        raw.zeroize();
        cs.zeroize();
        LineTable::from_normalised(lines)
    }

    /// The table of already normalised lines `(a, b, is_doubling_step)` in loop order.
    pub(crate) fn from_normalised(lines: Vec<(Fp, Fp, bool)>) -> LineTable {
        let lanes = Engine::detect().line_lanes(&lines);
        LineTable { lines, lanes }
    }

    /// The Miller value f_K(ψ(r)) up to an F_p factor (not yet raised to the 4th power).
    /// `r` must have y ≠ 0 (true of every point of odd order; R is checked for small order
    /// before it gets here, and an RSK is checked to be in the subgroup).
    /// Runs on the given engine: the lanes when it has them and the table was built with
    /// lane copies, else the scalar loop.
    pub(crate) fn miller_on(&self, engine: Engine, r: &Affine) -> Fp2 {
        let v = r.y.invert();
        let u = r.x.mul(&v);
        if let Some(f) = engine.miller(&self.lanes, &self.lines, &u, &v) {
            return f;
        }
        let mut f = Fp2::ONE;
        for (a, b, d) in self.lines.iter() {
            let mut s = a.mul(&u).add(&b.mul(&v));
            if *d {
                f = f.square();
            }
            f = f.mul_by_s_plus_i(&s);
            s.zeroize();
        }
        f
    }

    /// The lines as lane vectors (line `8g + l` in lane `l` of pair `g`), when built.
    #[cfg(all(target_arch = "x86_64", not(prose_backend = "soft")))]
    pub(crate) fn lanes_view(
        &self,
    ) -> Option<
        &[(
            crate::backend::x86_64::fp_ifma::FpX8,
            crate::backend::x86_64::fp_ifma::FpX8,
        )],
    > {
        self.lanes.0.as_deref()
    }

    /// Number of stored lines.
    #[cfg_attr(
        not(all(target_arch = "x86_64", not(prose_backend = "soft"))),
        allow(dead_code)
    )]
    pub(crate) fn len(&self) -> usize {
        self.lines.len()
    }

    /// `<K, r>` (= `<r, K>`) for the stored K.
    pub(crate) fn pairing_with(&self, r: &Affine) -> Fp {
        self.pairing_on(Engine::detect(), r)
    }

    /// [`LineTable::pairing_with`] on the given engine.
    pub(crate) fn pairing_on(&self, engine: Engine, r: &Affine) -> Fp {
        finish(&self.miller_on(engine, r))
    }
}

/// `<P, k>^b · <Z, k>` (= `<[b]P + Z, k>`) from the lines of P and of Z, with `b` public.
pub(crate) fn pairing_two(
    engine: Engine,
    p_lines: &LineTable,
    b: &[u64; LIMBS],
    z_lines: &LineTable,
    k: &Affine,
) -> Fp {
    let fp = p_lines.miller_on(engine, k).pow_vartime(b);
    let fz = z_lines.miller_on(engine, k);
    finish(&fp.mul(&fz))
}
