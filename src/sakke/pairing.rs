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
use super::fp::{batch_invert, Fp};
use super::fp2::Fp2;
use super::params::{LIMBS, Q};

/// Benchmark switch: when set, single operations stay on the MULX/ADX (or portable) engine —
/// no IFMA lanes, no IFMA product — so that both engines can be measured on one machine.
static SCALAR_ONLY: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether single operations may use the IFMA lanes (see [`set_scalar_only`]).
#[cfg_attr(
    not(all(target_arch = "x86_64", not(prose_backend = "soft"))),
    allow(dead_code)
)]
pub(crate) fn lanes_allowed() -> bool {
    !SCALAR_ONLY.load(std::sync::atomic::Ordering::Relaxed)
}

/// Keeps single operations on the scalar engine (benchmarks and tests only).
pub(crate) fn set_scalar_only(on: bool) {
    SCALAR_ONLY.store(on, std::sync::atomic::Ordering::Relaxed);
}

/// q − 1 and its bit length.
fn q_minus_1() -> [u64; LIMBS] {
    let mut e = Q;
    e[0] -= 1; // q is odd
    e
}

#[derive(Clone, Copy, Zeroize)]
struct Jac {
    x: Fp,
    y: Fp,
    z: Fp,
}

/// One line: real part = A·x_Q + B, imaginary part = C·y_Q.
#[derive(Zeroize)]
struct Line {
    a: Fp,
    b: Fp,
    c: Fp,
}

impl Jac {
    /// Doubling (dbl-2001-b, a = −3) and the tangent line at the old point.
    #[inline(always)]
    fn double_with_line(&mut self) -> Line {
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
    fn add_with_line(&mut self, r: &Affine) -> Line {
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
    /// The same (a, b), eight lines per vector pair, for the lane evaluation.
    #[cfg(all(target_arch = "x86_64", not(prose_backend = "soft")))]
    lanes: Option<Vec<(FpX8, FpX8)>>,
}

#[cfg(all(target_arch = "x86_64", not(prose_backend = "soft")))]
use crate::backend::x86_64::fp_ifma::{mul2, Fp2H, FpH, FpX8, Ifma, LANES};

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
        #[cfg(all(target_arch = "x86_64", not(prose_backend = "soft")))]
        let lanes = Ifma::new().and_then(|t| lane_groups(t, &lines));
        LineTable {
            lines,
            #[cfg(all(target_arch = "x86_64", not(prose_backend = "soft")))]
            lanes,
        }
    }

    /// The Miller value f_K(ψ(r)) up to an F_p factor (not yet raised to the 4th power).
    /// `r` must have y ≠ 0 (true of every point of odd order; R is checked for small order
    /// before it gets here, and an RSK is checked to be in the subgroup).
    pub(crate) fn miller(&self, r: &Affine) -> Fp2 {
        let v = r.y.invert();
        let u = r.x.mul(&v);
        #[cfg(all(target_arch = "x86_64", not(prose_backend = "soft")))]
        if let (Some(groups), true) = (&self.lanes, lanes_allowed()) {
            if let Some(f) = miller_lanes(groups, &self.lines, &u, &v) {
                return f;
            }
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
    pub(crate) fn lanes_view(&self) -> Option<&[(FpX8, FpX8)]> {
        self.lanes.as_deref()
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
        finish(&self.miller(r))
    }
}

/// `<P, k>^b · <Z, k>` (= `<[b]P + Z, k>`) from the lines of P and of Z, with `b` public.
pub(crate) fn pairing_two(
    p_lines: &LineTable,
    b: &[u64; LIMBS],
    z_lines: &LineTable,
    k: &Affine,
) -> Fp {
    let fp = p_lines.miller(k).pow_vartime(b);
    let fz = z_lines.miller(k);
    finish(&fp.mul(&fz))
}

/// The lines as lane vectors (eight lines per pair, canonical values of a and b).
#[cfg(all(target_arch = "x86_64", not(prose_backend = "soft")))]
fn lane_groups(t: Ifma, lines: &[(Fp, Fp, bool)]) -> Option<Vec<(FpX8, FpX8)>> {
    let mut out = Vec::with_capacity(lines.len().div_ceil(LANES));
    for chunk in lines.chunks(LANES) {
        let mut a = [[0u64; LIMBS]; LANES];
        let mut b = [[0u64; LIMBS]; LANES];
        for (l, (la, lb, _)) in chunk.iter().enumerate() {
            a[l] = la.to_canonical();
            b[l] = lb.to_canonical();
        }
        let va = FpX8::from_u64x16x8(t, &a).ok();
        let vb = FpX8::from_u64x16x8(t, &b).ok();
        a.zeroize();
        b.zeroize();
        out.push((va?, vb?));
    }
    Some(out)
}

/// The Miller loop on the IFMA backend: the line values `s = a·u + b·v`, eight at a time in
/// the lanes, then the chain `f ← f²·(s + i)` with both products of each step in one
/// two-product call ([`mul2`]), f kept in the lanes' Montgomery domain (R = 2^1040) until the
/// end.
#[cfg(all(target_arch = "x86_64", not(prose_backend = "soft")))]
fn miller_lanes(groups: &[(FpX8, FpX8)], lines: &[(Fp, Fp, bool)], u: &Fp, v: &Fp) -> Option<Fp2> {
    let t = groups.first()?.0.token();
    let mut uc = u.to_canonical();
    let mut vc = v.to_canonical();
    let uu = FpX8::splat(t, &uc).ok();
    let vv = FpX8::splat(t, &vc).ok();
    uc.zeroize();
    vc.zeroize();
    let (uu, vv) = (uu?, vv?);
    let one = FpX8::one(t);
    let mut f = Fp2H {
        re: FpH::from_lanes(&one)[0],
        im: FpH::ZERO,
    };
    for (g, (a, b)) in groups.iter().enumerate() {
        let s = a.mul(&uu).add(&b.mul(&vv));
        let mut sh = FpH::from_lanes(&s);
        for (l, (_, _, d)) in lines.iter().skip(g * LANES).take(LANES).enumerate() {
            if *d {
                f = f.square(t);
            }
            f = f.mul_by_s_plus_i(t, &sh[l]);
        }
        sh.zeroize();
    }
    // Out of the lanes' domain into F_p's: x·2^1040 ↦ x·2^1024 (a product by 2^1024 mod p).
    let r64 = FpH::from_u64x16(&Fp::ONE.0);
    let (mut re, mut im) = mul2(t, &f.re, &r64, &f.im, &r64);
    let out = Fp2 {
        a: Fp(re.to_u64x16_mod_p()),
        b: Fp(im.to_u64x16_mod_p()),
    };
    f.zeroize();
    re.zeroize();
    im.zeroize();
    Some(out)
}
