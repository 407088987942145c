//! Variable-time arithmetic on public points: the KMS public key Z.
//!
//! # Why variable time is allowed here
//! Z = [z]P is the KMS's *public* key: it is published, sent in clear in every key-set
//! download and in the group's configuration, and every member and sender holds it. Nothing
//! an attacker can learn from the timing of a computation on Z alone is secret, so the
//! functions of this module branch on its coordinates (the early exits on malformed points,
//! the final comparison) and return as soon as the verdict is known. They must only ever be
//! given public points: never an RSK, nor any point or scalar derived from a secret (RSKs are
//! checked by the constant-time `Affine::decode_in_subgroup`).
//!
//! # One Miller loop, two results
//! Importing Z used to cost a constant-time `[q]Z == O` check (complete formulas, ≈ 18 k
//! products) and, on the first RSK validation, building Z's line table (the Miller loop on
//! Z over q − 1, plus one batched inversion). The Miller loop on Z computes `[q − 1]Z` as a
//! by-product, and `[q]Z == O` is exactly `[q − 1]Z == −Z`: [`z_lines_checked_vartime`] runs
//! that loop once, keeps its final point and compares, so the subgroup check costs a single
//! comparison on top of the table.
//!
//! The loop uses the incomplete Jacobian doubling and mixed addition. Their exceptional
//! cases (doubling a point with y = 0, adding ±Z to ±Z) all produce Z3 = 0, and a zero Z
//! coordinate stays zero (Z3 = 2·Y·Z when doubling, Z3 = 2·Z1·H when adding): a chain that hit
//! one ends with Z = 0 and is refused by the final comparison, which requires Z ≠ 0. So an
//! accepted point really satisfies `[q − 1]Z = −Z`. Conversely no valid Z hits one: E(F_p)
//! is cyclic of order 4q, the points of order 1, 2 and 4 are refused before the loop, and for
//! a point of order q, 2q or 4q every running multiple `[m]Z` has 0 < m < q (the NAF prefixes
//! of q − 1 other than q − 1 itself are at most (q − 1)/2 + 1), so it is neither O nor of order
//! 2, and an addition `[2n]Z ± Z` could only be exceptional if the order divided 2n or 2n ± 2d,
//! all strictly between 0 and q + 2 and different from q (the last step is a doubling: q − 1
//! is even).

use subtle::ConstantTimeEq;

use super::curve::Affine;
use super::fp::{batch_invert, Fp};
use super::pairing::{naf_q_minus_1, Jac, Line, LineTable};

// The point type and the doubling/addition-with-line formulas are the constant-time loop's
// (`pairing.rs`): the same lines; here they run on public points only.
impl Jac {
    /// Whether this is the finite affine point `a` (Z ≠ 0, X = x·Z², Y = y·Z³). Variable
    /// time: public points only.
    fn is_vartime(&self, a: &Affine) -> bool {
        if bool::from(self.z.is_zero()) {
            return false;
        }
        let z2 = self.z.square();
        let z3 = z2.mul(&self.z);
        bool::from(self.x.ct_eq(&a.x.mul(&z2))) && bool::from(self.y.ct_eq(&a.y.mul(&z3)))
    }
}

/// Checks that the public point `z` (already on the curve) lies in the order-q subgroup and
/// builds its Miller-loop line table in the same pass (see the module documentation):
/// `None` when `z` is of small order or `[q]z ≠ O`. Variable time in `z`: public points only.
pub(crate) fn z_lines_checked_vartime(z: &Affine) -> Option<LineTable> {
    // Points of order 2 (y = 0) and 4 (x² = −3) would hit the exceptional cases at once.
    if bool::from(z.is_small_order()) {
        return None;
    }
    let digits = naf_q_minus_1();
    let neg_z = z.neg();
    let mut c = Jac {
        x: z.x,
        y: z.y,
        z: Fp::ONE,
    };
    let mut raw: Vec<(Line, bool)> = Vec::with_capacity(1400);
    for &d in digits.iter().skip(1) {
        raw.push((c.double_with_line(), true));
        if d == 1 {
            raw.push((c.add_with_line(z), false));
        } else if d == -1 {
            raw.push((c.add_with_line(&neg_z), false));
        }
    }
    // [q − 1]z == −z  ⟺  [q]z == O.
    if !c.is_vartime(&neg_z) {
        return None;
    }
    let mut cs: Vec<Fp> = raw.iter().map(|(l, _)| l.c).collect();
    batch_invert(&mut cs);
    let lines: Vec<(Fp, Fp, bool)> = raw
        .iter()
        .zip(cs.iter())
        .map(|((l, d), ci)| (l.a.mul(ci), l.b.mul(ci), *d))
        .collect();
    Some(LineTable::from_normalised(lines))
}

/// Parses a KMS public key 04 ‖ x ‖ y: on the curve and in the order-q subgroup, with its line
/// table built by the same Miller loop. `Parse` for a wrong length, `InvalidPoint` otherwise.
/// Variable time: Z is public.
pub(crate) fn decode_kms_public_vartime(bytes: &[u8]) -> crate::Result<(Affine, LineTable)> {
    let z = Affine::decode_on_curve(bytes)?;
    let lines = z_lines_checked_vartime(&z).ok_or(crate::Error::InvalidPoint)?;
    Ok((z, lines))
}
