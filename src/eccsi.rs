//! ECCSI signatures (RFC 6507) on P-256 with SHA-256 (N = 32).
//!
//! - KMS: [`Ksak`] (secret) and [`Kpak`] (`[KSAK]G`); [`Ksak::issue`] makes a user's
//!   `(SSK, PVT)` for an identifier (RFC 6507 §5.1.1).
//! - Signer: [`SigningKey::new`] validates `(SSK, PVT)` (§5.1.2) and keeps `HS`;
//!   [`SigningKey::sign`] (§5.2.1) outputs `r ‖ s ‖ PVT` ([`SIGNATURE_LEN`] octets).
//! - Verifier: [`verify`] (§5.2.2), or a [`Verifier`] that caches `Y = [HS]PVT + KPAK` and a
//!   fixed-base table of `Y` for a signer whose signatures are verified repeatedly.
//!
//! Identifiers are the raw identifier octets (ProSe: `"YYYY-MM\0URI\0"`; MCPTT: the 32-octet UID).
//!
//! # Design notes
//! - Scalars (mod q) are `p256::Scalar`. Field and point arithmetic are this module's own
//!   (`field`, `point`): `p256` 0.13 keeps its field private and out of line, and has no batch
//!   normalisation; owning them gives inlined Montgomery products, batch inversion and Jacobian
//!   formulas. `p256` remains the reference the property tests compare against.
//! - Secret scalars (KSAK, v, SSK, j) go through a process-wide comb of `G` (52 windows of signed
//!   radix-32 digits, recoded without branches), each window read by a masked scan of all its
//!   16 entries and added with the complete formulas of Renes–Costello–Batina, so `[k]G` costs 52
//!   mixed additions, no doublings and no secret-dependent branch or index. Affine results use
//!   a constant-time Fermat inversion.
//! - Verification handles public data only and is variable time (`_vartime` functions): one
//!   interleaved wNAF chain for `[s·HE]G + [s·r]KPAK + [s·r·HS]PVT` (256 shared doublings; the
//!   affine odd multiples of G (static, w = 10) and of KPAK (w = 8, built by [`Kpak::from_sec1`],
//!   about 25 µs: keep the `Kpak`) are precomputed; the PVT's are built per signature in
//!   Jacobian form with cached `Z²`, `Z³`, so no inversion at all), and `Jx = r` is checked as
//!   `X = r·Z²`. A [`Verifier`] replaces the chain by
//!   two comb walks (G's and one built for its signer's `Y`).
//! - The signing inversion `(HE + r·SSK)^-1` is constant time: Bernstein–Yang safegcd divsteps
//!   with a fixed iteration count for 256-bit moduli (`arith::safegcd` on 4 limbs), no branch or index on
//!   the value; its copies of the input are wiped.
//! - `r` is the affine x-coordinate of `J` as an integer. RFC 6507 lets `Jx` lie in `[q, p)`;
//!   some verifiers (wolfSSL) require `r < q`, so the signer draws a fresh `j` in that case
//!   (probability about 2^-32) and the verifier requires `1 <= r, s < q` and `Jx == r`.
//! - Errors: malformed lengths give [`Error::Parse`]; points that are not on the curve or badly
//!   encoded give [`Error::InvalidPoint`]; a key pair that fails §5.1.2 or a scalar out of range
//!   gives [`Error::InvalidKey`]; any signature that does not verify gives
//!   [`Error::InvalidSignature`]; a failing or degenerate random source gives [`Error::Rng`].

mod field;
mod mul;
mod point;

use core::fmt;

use p256::elliptic_curve::ops::Reduce;
use p256::elliptic_curve::{Field, PrimeField};
use p256::{FieldBytes, Scalar, U256};
use rand_core::CryptoRngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroize;

use crate::arith::safegcd::Modulus62;
use crate::{Error, Result};
use field::{batch_invert, Fe};
use mul::{
    g_comb, g_odd, lincomb_vartime, wnaf_vartime, Comb, OddMultiples, OddMultiplesJac, G_WNAF,
};
use point::{normalize_batch, Aff, Jac, Proj};

/// Length of an ECCSI signature: `r` (32) ‖ `s` (32) ‖ `PVT` (65, `04‖x‖y`).
pub const SIGNATURE_LEN: usize = 129;
/// Length of an uncompressed SEC1 P-256 point (`04‖x‖y`).
pub const POINT_LEN: usize = 65;
/// Length of a P-256 scalar (KSAK, SSK, r, s).
pub const SCALAR_LEN: usize = 32;

/// Attempts at drawing a usable random scalar before reporting [`Error::Rng`].
const MAX_TRIES: usize = 64;

/// The SEC1 uncompressed encoding of the P-256 base point G.
const G_SEC1: [u8; POINT_LEN] = [
    0x04, 0x6B, 0x17, 0xD1, 0xF2, 0xE1, 0x2C, 0x42, 0x47, 0xF8, 0xBC, 0xE6, 0xE5, 0x63, 0xA4, 0x40,
    0xF2, 0x77, 0x03, 0x7D, 0x81, 0x2D, 0xEB, 0x33, 0xA0, 0xF4, 0xA1, 0x39, 0x45, 0xD8, 0x98, 0xC2,
    0x96, 0x4F, 0xE3, 0x42, 0xE2, 0xFE, 0x1A, 0x7F, 0x9B, 0x8E, 0xE7, 0xEB, 0x4A, 0x7C, 0x0F, 0x9E,
    0x16, 0x2B, 0xCE, 0x33, 0x57, 0x6B, 0x31, 0x5E, 0xCE, 0xCB, 0xB6, 0x40, 0x68, 0x37, 0xBF, 0x51,
    0xF5,
];

/// wNAF width for KPAK and PVT inside a verification chain (tables of 2^(w-2) odd multiples).
const KPAK_WNAF: usize = 8;
const PVT_WNAF: usize = 5;
type KpakOdd = OddMultiples<64>;
type PvtOddJac = OddMultiplesJac<8>;
/// Fixed-base table of a cached signer's `Y`.
type YTable = Comb<5, 52, 16>;

// ---------------------------------------------------------------------------------------------
// Small helpers

/// Draws a uniformly random scalar in [1, q-1] by rejection.
fn random_scalar(rng: &mut impl CryptoRngCore) -> Result<Scalar> {
    for _ in 0..MAX_TRIES {
        let mut b = FieldBytes::default();
        rng.try_fill_bytes(&mut b).map_err(|_| Error::Rng)?;
        let s = Scalar::from_repr(b);
        b.as_mut_slice().zeroize();
        // Branching on a rejected candidate reveals nothing about the accepted one.
        if let Some(mut s) = Option::<Scalar>::from(s) {
            if !bool::from(s.is_zero()) {
                return Ok(s);
            }
            s.zeroize();
        }
    }
    Err(Error::Rng)
}

/// Parses a canonical big-endian scalar in [1, q-1].
fn scalar_nonzero(bytes: &[u8; SCALAR_LEN]) -> Option<Scalar> {
    let s = Option::<Scalar>::from(Scalar::from_repr(FieldBytes::from(*bytes)))?;
    if bool::from(s.is_zero()) {
        None
    } else {
        Some(s)
    }
}

/// A 32-octet hash reduced modulo q.
fn reduce(h: &[u8; 32]) -> Scalar {
    <Scalar as Reduce<U256>>::reduce_bytes(&FieldBytes::from(*h))
}

/// Parses an uncompressed SEC1 point `04‖x‖y` on P-256 (coordinates canonical, on the curve).
fn parse_point(bytes: &[u8]) -> Result<Aff> {
    if bytes.len() != POINT_LEN {
        return Err(Error::Parse);
    }
    Aff::from_sec1(bytes).ok_or(Error::InvalidPoint)
}

/// `HS = SHA-256(G ‖ KPAK ‖ ID ‖ PVT)` (RFC 6507 §5.1.1 step 3).
fn hash_hs(kpak: &[u8; POINT_LEN], id: &[u8], pvt: &[u8; POINT_LEN]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(G_SEC1);
    h.update(kpak);
    h.update(id);
    h.update(pvt);
    h.finalize().into()
}

/// `HE = SHA-256(HS ‖ r ‖ M)` (RFC 6507 §5.2.1 step 3).
fn hash_he(hs: &[u8; 32], r: &[u8; SCALAR_LEN], msg: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(hs);
    h.update(r);
    h.update(msg);
    h.finalize().into()
}

fn hex_fmt(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    for b in bytes {
        write!(f, "{b:02x}")?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// KMS

/// The KMS Secret Authentication Key (KSAK). Zeroized on drop; `Debug` is redacted.
#[derive(Clone)]
pub struct Ksak(Scalar, Kpak);

impl Drop for Ksak {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for Ksak {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Ksak(<redacted>)")
    }
}

impl Ksak {
    /// A fresh random KSAK in [1, q-1].
    ///
    /// # Panics
    /// If the random source fails (as `RngCore::fill_bytes` does); use [`Ksak::try_generate`]
    /// to get [`Error::Rng`] instead.
    pub fn generate(rng: &mut impl CryptoRngCore) -> Self {
        match random_scalar(rng) {
            Ok(s) => Self::from_scalar(s),
            Err(_) => panic!("random number generator failure"),
        }
    }

    /// A fresh random KSAK, reporting a failing random source as [`Error::Rng`].
    pub fn try_generate(rng: &mut impl CryptoRngCore) -> Result<Self> {
        random_scalar(rng).map(Self::from_scalar)
    }

    fn from_scalar(s: Scalar) -> Self {
        let kpak = Kpak::from_aff(&g_comb().mul_ct(&s).to_affine());
        Self(s, kpak)
    }

    /// KSAK from 32 big-endian octets, `1 <= KSAK < q` ([`Error::Parse`] for another length,
    /// [`Error::InvalidKey`] out of range).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let mut arr: [u8; SCALAR_LEN] = bytes.try_into().map_err(|_| Error::Parse)?;
        let s = scalar_nonzero(&arr);
        arr.zeroize();
        s.map(Self::from_scalar).ok_or(Error::InvalidKey)
    }

    /// The 32 big-endian octets of KSAK (secret: zeroize after use).
    pub fn to_bytes(&self) -> [u8; SCALAR_LEN] {
        self.0.to_repr().into()
    }

    /// The KMS Public Authentication Key `KPAK = [KSAK]G`.
    pub fn kpak(&self) -> Kpak {
        self.1.clone()
    }

    /// Issues `(SSK, PVT)` for `id` (RFC 6507 §5.1.1): `v` random, `PVT = [v]G`,
    /// `HS = hash(G ‖ KPAK ‖ ID ‖ PVT)`, `SSK = KSAK + HS·v mod q`; restarts with a fresh `v` if
    /// HS or SSK is 0 mod q or SSK = KSAK.
    pub fn issue(&self, id: &[u8], rng: &mut impl CryptoRngCore) -> Result<(Ssk, [u8; POINT_LEN])> {
        self.issue_with_kpak(&self.1, id, rng)
    }

    /// [`Ksak::issue`] for many identifiers: the PVTs' affine conversions share one field
    /// inversion (Montgomery's trick, constant time). An identifier whose draw must restart
    /// (probability about 2^-256) is issued on its own.
    pub fn issue_many(
        &self,
        ids: &[&[u8]],
        rng: &mut impl CryptoRngCore,
    ) -> Vec<Result<(Ssk, [u8; POINT_LEN])>> {
        let mut vs: Vec<Result<Scalar>> = ids.iter().map(|_| random_scalar(rng)).collect();
        let pts: Vec<Proj> = vs
            .iter()
            .map(|v| match v {
                Ok(v) => g_comb().mul_ct(v),
                Err(_) => Proj::IDENTITY,
            })
            .collect();
        let mut zinv: Vec<Fe> = pts.iter().map(|p| p.z).collect();
        batch_invert(&mut zinv);
        let mut out = Vec::with_capacity(ids.len());
        for ((id, v), (p, zi)) in ids.iter().zip(vs.iter()).zip(pts.iter().zip(zinv.iter())) {
            let res = match v {
                Err(e) => Err(*e),
                Ok(v) => {
                    let pvt = Aff {
                        x: p.x.mul(zi),
                        y: p.y.mul(zi),
                        inf: false,
                    }
                    .to_sec1();
                    match pvt.and_then(|pvt| self.finish_issue(&self.1, id, v, pvt)) {
                        Some(pair) => Ok(pair),
                        None => self.issue_with_kpak(&self.1, id, rng),
                    }
                }
            };
            out.push(res);
        }
        for v in vs.iter_mut().flatten() {
            v.zeroize();
        }
        out
    }

    fn issue_with_kpak(
        &self,
        kpak: &Kpak,
        id: &[u8],
        rng: &mut impl CryptoRngCore,
    ) -> Result<(Ssk, [u8; POINT_LEN])> {
        for _ in 0..MAX_TRIES {
            let mut v = random_scalar(rng)?;
            let res = self.issue_with_v(kpak, id, &v);
            v.zeroize();
            if let Some(pair) = res {
                return Ok(pair);
            }
        }
        Err(Error::Rng)
    }

    /// One attempt of §5.1.1 with a given `v`; `None` when the RFC says to restart.
    fn issue_with_v(&self, kpak: &Kpak, id: &[u8], v: &Scalar) -> Option<(Ssk, [u8; POINT_LEN])> {
        let pvt = g_comb().mul_ct(v).to_affine().to_sec1()?;
        self.finish_issue(kpak, id, v, pvt)
    }

    /// §5.1.1 steps 3-5 once `PVT = [v]G` is known; `None` when the RFC says to restart.
    fn finish_issue(
        &self,
        kpak: &Kpak,
        id: &[u8],
        v: &Scalar,
        pvt: [u8; POINT_LEN],
    ) -> Option<(Ssk, [u8; POINT_LEN])> {
        let hs = reduce(&hash_hs(&kpak.sec1, id, &pvt));
        if bool::from(hs.is_zero()) {
            return None;
        }
        let mut ssk = self.0 + hs * v;
        // SSK = 0, or HS·v = 0 (SSK = KSAK): restart. The branch reveals only that a discarded
        // v was degenerate.
        let bad = ssk.is_zero() | ssk.ct_eq(&self.0);
        if bool::from(bad) {
            ssk.zeroize();
            return None;
        }
        Some((Ssk(ssk), pvt))
    }

    #[doc(hidden)]
    /// §5.1.1 with a caller-chosen `v` (32 octets), to reproduce RFC 6507 Appendix A.
    pub fn issue_with_fixed_v(&self, id: &[u8], v: &[u8]) -> Result<(Ssk, [u8; POINT_LEN])> {
        let mut arr: [u8; SCALAR_LEN] = v.try_into().map_err(|_| Error::Parse)?;
        let v = scalar_nonzero(&arr);
        arr.zeroize();
        let mut v = v.ok_or(Error::InvalidParameter)?;
        let res = self.issue_with_v(&self.1, id, &v);
        v.zeroize();
        res.ok_or(Error::InvalidParameter)
    }
}

/// The KMS Public Authentication Key (KPAK), a P-256 point, with the small precomputation a
/// verification chain needs (its odd multiples).
#[derive(Clone)]
pub struct Kpak {
    point: Aff,
    sec1: [u8; POINT_LEN],
    odd: KpakOdd,
}

impl fmt::Debug for Kpak {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Kpak(")?;
        hex_fmt(f, &self.sec1)?;
        f.write_str(")")
    }
}

impl PartialEq for Kpak {
    fn eq(&self, other: &Self) -> bool {
        self.sec1 == other.sec1
    }
}
impl Eq for Kpak {}

impl Kpak {
    /// KPAK from its 65-octet uncompressed encoding `04‖x‖y` ([`Error::Parse`] for another
    /// length, [`Error::InvalidPoint`] if not a point of P-256).
    pub fn from_sec1(bytes: &[u8]) -> Result<Self> {
        let point = parse_point(bytes)?;
        Ok(Self::from_aff(&point))
    }

    fn from_aff(point: &Aff) -> Self {
        // A KPAK is never the identity: from_sec1 cannot encode it and KSAK is in [1, q-1].
        let sec1 = point.to_sec1().unwrap_or([0u8; POINT_LEN]);
        Self {
            point: *point,
            sec1,
            odd: OddMultiples::new(point),
        }
    }

    /// The 65-octet uncompressed encoding `04‖x‖y`.
    pub fn to_sec1(&self) -> [u8; POINT_LEN] {
        self.sec1
    }
}

// ---------------------------------------------------------------------------------------------
// User keys and signing

/// A Secret Signing Key (SSK). Zeroized on drop; `Debug` is redacted.
#[derive(Clone)]
pub struct Ssk(Scalar);

impl Drop for Ssk {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for Ssk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Ssk(<redacted>)")
    }
}

impl Ssk {
    /// SSK from 32 big-endian octets, `1 <= SSK < q` ([`Error::Parse`] for another length,
    /// [`Error::InvalidKey`] out of range).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let mut arr: [u8; SCALAR_LEN] = bytes.try_into().map_err(|_| Error::Parse)?;
        let s = scalar_nonzero(&arr);
        arr.zeroize();
        s.map(Self).ok_or(Error::InvalidKey)
    }

    /// The 32 big-endian octets of SSK (secret: zeroize after use).
    pub fn to_bytes(&self) -> [u8; SCALAR_LEN] {
        self.0.to_repr().into()
    }
}

/// A signer's validated key: identifier, SSK, PVT and `HS`. Zeroized on drop; `Debug` shows
/// only public parts.
#[derive(Clone)]
pub struct SigningKey {
    id: Vec<u8>,
    ssk: Scalar,
    pvt: [u8; POINT_LEN],
    hs: [u8; 32],
}

impl Drop for SigningKey {
    fn drop(&mut self) {
        self.ssk.zeroize();
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningKey { id: ")?;
        hex_fmt(f, &self.id)?;
        f.write_str(", pvt: ")?;
        hex_fmt(f, &self.pvt)?;
        f.write_str(", ssk: <redacted> }")
    }
}

impl SigningKey {
    /// Validates `(SSK, PVT)` for `id` under `kpak` (RFC 6507 §5.1.2): PVT a point of the
    /// curve ([`Error::Parse`] / [`Error::InvalidPoint`] otherwise) and
    /// `KPAK = [SSK]G − [HS]PVT` ([`Error::InvalidKey`] otherwise).
    pub fn new(kpak: &Kpak, id: &[u8], ssk: &Ssk, pvt: &[u8]) -> Result<Self> {
        let pvt_point = parse_point(pvt)?;
        let mut pvt_arr = [0u8; POINT_LEN];
        pvt_arr.copy_from_slice(pvt);
        let hs_bytes = hash_hs(&kpak.sec1, id, &pvt_arr);
        let hs = reduce(&hs_bytes);
        if bool::from(hs.is_zero()) {
            return Err(Error::InvalidKey);
        }
        // [SSK]G in constant time (secret) against KPAK + [HS]PVT in variable time (public).
        let ssk_g = g_comb().mul_ct(&ssk.0);
        let pvt_odd = PvtOddJac::new(&pvt_point);
        let rhs = lincomb_vartime(&[], &[(&wnaf_vartime::<PVT_WNAF>(&hs), &pvt_odd.0)])
            .add_aff_vartime(&kpak.point);
        if !ssk_g.eq_jac(&rhs) {
            return Err(Error::InvalidKey);
        }
        Ok(Self {
            id: id.to_vec(),
            ssk: ssk.0,
            pvt: pvt_arr,
            hs: hs_bytes,
        })
    }

    /// The signer's identifier.
    pub fn id(&self) -> &[u8] {
        &self.id
    }

    /// The signer's PVT (`04‖x‖y`).
    pub fn pvt(&self) -> [u8; POINT_LEN] {
        self.pvt
    }

    /// Signs `msg` (RFC 6507 §5.2.1) with a fresh random `j`: `r ‖ s ‖ PVT`.
    pub fn sign(&self, msg: &[u8], rng: &mut impl CryptoRngCore) -> Result<[u8; SIGNATURE_LEN]> {
        for _ in 0..MAX_TRIES {
            let mut j = random_scalar(rng)?;
            let res = self.sign_core(msg, &j);
            j.zeroize();
            if let Some((sig, _, _)) = res {
                return Ok(sig);
            }
        }
        Err(Error::Rng)
    }

    #[doc(hidden)]
    /// §5.2.1 with a caller-chosen ephemeral `j` (32 octets), to reproduce RFC 6507 Appendix A.
    /// Never use outside tests: a repeated `j` reveals the SSK.
    pub fn sign_with_j(&self, msg: &[u8], j: &[u8]) -> Result<[u8; SIGNATURE_LEN]> {
        let mut arr: [u8; SCALAR_LEN] = j.try_into().map_err(|_| Error::Parse)?;
        let j = scalar_nonzero(&arr);
        arr.zeroize();
        let mut j = j.ok_or(Error::InvalidParameter)?;
        let res = self.sign_core(msg, &j);
        j.zeroize();
        res.map(|(sig, _, _)| sig).ok_or(Error::InvalidParameter)
    }

    #[doc(hidden)]
    /// [`SigningKey::sign_with_j`] that also returns the intermediate values `J` (`04‖x‖y`) and
    /// `HE` (the hash, before reduction), for step-by-step checks against RFC 6507 Appendix A.
    pub fn sign_with_j_trace(
        &self,
        msg: &[u8],
        j: &[u8],
    ) -> Result<([u8; SIGNATURE_LEN], [u8; POINT_LEN], [u8; 32])> {
        let mut arr: [u8; SCALAR_LEN] = j.try_into().map_err(|_| Error::Parse)?;
        let j = scalar_nonzero(&arr);
        arr.zeroize();
        let mut j = j.ok_or(Error::InvalidParameter)?;
        let res = self.sign_core(msg, &j);
        j.zeroize();
        let (sig, jpt, he) = res.ok_or(Error::InvalidParameter)?;
        let jpt = jpt.to_sec1().ok_or(Error::InvalidParameter)?;
        Ok((sig, jpt, he))
    }

    #[doc(hidden)]
    /// `HS = hash(G ‖ KPAK ‖ ID ‖ PVT)` of this key (public).
    pub fn hs(&self) -> [u8; 32] {
        self.hs
    }

    /// One attempt of §5.2.1 with ephemeral `j`; `None` when the RFC says to restart.
    fn sign_core(&self, msg: &[u8], j: &Scalar) -> Option<([u8; SIGNATURE_LEN], Aff, [u8; 32])> {
        // Steps 1-2: J = [j]G (constant time), r = Jx. Jx is about to be published as r, so
        // branching on it is fine; a discarded j reveals nothing about the next.
        let jpt = g_comb().mul_ct(j).to_affine();
        if jpt.inf {
            return None; // unreachable for j in [1, q-1]
        }
        let r_bytes = jpt.x.to_bytes();
        let r = scalar_nonzero(&r_bytes)?; // r = 0 or Jx >= q: fresh j
                                           // Step 3: HE = hash(HS ‖ r ‖ M).
        let he_bytes = hash_he(&self.hs, &r_bytes, msg);
        let he = reduce(&he_bytes);
        // Step 4: HE + r·SSK != 0 mod q.
        let mut t = he + r * self.ssk;
        if bool::from(t.is_zero()) {
            t.zeroize();
            return None;
        }
        // Step 5: s' = (HE + r·SSK)^-1 · j (constant-time inversion).
        let mut inv = invert_scalar(&t);
        let mut s = inv * j;
        inv.zeroize();
        t.zeroize();
        // Step 6: q < 2^256, so s' always fits in 32 octets: s = s'.
        let mut sig = [0u8; SIGNATURE_LEN];
        sig[..32].copy_from_slice(&r_bytes);
        sig[32..64].copy_from_slice(&s.to_repr());
        sig[64..].copy_from_slice(&self.pvt);
        s.zeroize();
        Some((sig, jpt, he_bytes))
    }
}

/// The order n of P-256 as 4 little-endian words (for the safegcd inversion).
pub(crate) const N_LIMBS: [u64; 4] = [
    0xF3B9_CAC2_FC63_2551,
    0xBCE6_FAAD_A717_9E84,
    0xFFFF_FFFF_FFFF_FFFF,
    0xFFFF_FFFF_0000_0000,
];

/// `t^-1 mod n` (0 for 0), constant time: safegcd divsteps bounded for 256-bit moduli.
fn invert_scalar(t: &Scalar) -> Scalar {
    static M: Modulus62<4, 5> = Modulus62::new(&N_LIMBS);
    let mut b = t.to_repr();
    let mut x = [0u64; 4];
    for (i, w) in x.iter_mut().enumerate() {
        let mut v = [0u8; 8];
        v.copy_from_slice(&b[24 - 8 * i..32 - 8 * i]);
        *w = u64::from_be_bytes(v);
    }
    let mut inv = M.invert(&x);
    let mut out = FieldBytes::default();
    for i in 0..4 {
        out[24 - 8 * i..32 - 8 * i].copy_from_slice(&inv[i].to_be_bytes());
    }
    // the safegcd output is canonical (< n), so from_repr accepts it
    let r = Option::<Scalar>::from(Scalar::from_repr(out)).unwrap_or(Scalar::ZERO);
    b.zeroize();
    x.zeroize();
    inv.zeroize();
    out.zeroize();
    r
}

// ---------------------------------------------------------------------------------------------
// Verification

/// The parts of a signature, range-checked.
struct ParsedSig {
    r_bytes: [u8; SCALAR_LEN],
    r: Scalar,
    s: Scalar,
    pvt: [u8; POINT_LEN],
}

fn parse_sig(sig: &[u8]) -> Result<ParsedSig> {
    if sig.len() != SIGNATURE_LEN {
        return Err(Error::Parse);
    }
    let mut r_bytes = [0u8; SCALAR_LEN];
    r_bytes.copy_from_slice(&sig[..32]);
    let mut s_bytes = [0u8; SCALAR_LEN];
    s_bytes.copy_from_slice(&sig[32..64]);
    let mut pvt = [0u8; POINT_LEN];
    pvt.copy_from_slice(&sig[64..]);
    let r = scalar_nonzero(&r_bytes).ok_or(Error::InvalidSignature)?;
    let s = scalar_nonzero(&s_bytes).ok_or(Error::InvalidSignature)?;
    Ok(ParsedSig { r_bytes, r, s, pvt })
}

/// Accepts `J` iff it is not the identity and its affine x-coordinate equals `r` (§5.2.2 step 6).
fn check_j(j: &Jac, r_bytes: &[u8; SCALAR_LEN]) -> Result<()> {
    // r < q < p, so it is a canonical field element and Jx = r as integers iff equal in F_p.
    let r = Fe::from_bytes(r_bytes).ok_or(Error::InvalidSignature)?;
    if j.x_equals_vartime(&r) {
        Ok(())
    } else {
        Err(Error::InvalidSignature)
    }
}

/// Verifies an ECCSI signature `r ‖ s ‖ PVT` on `msg` by `id` under `kpak` (RFC 6507 §5.2.2).
/// Variable time: every input of a verification is public.
///
/// Errors: [`Error::Parse`] if `sig` is not [`SIGNATURE_LEN`] octets, [`Error::InvalidPoint`] if
/// its PVT is not a point of P-256, [`Error::InvalidSignature`] otherwise (r or s out of
/// [1, q-1], or the check fails).
pub fn verify(kpak: &Kpak, id: &[u8], msg: &[u8], sig: &[u8]) -> Result<()> {
    let p = parse_sig(sig)?;
    let pvt_point = parse_point(&p.pvt)?;
    let hs_bytes = hash_hs(&kpak.sec1, id, &p.pvt);
    let hs = reduce(&hs_bytes);
    let he = reduce(&hash_he(&hs_bytes, &p.r_bytes, msg));
    // J = [s·HE]G + [s·r]Y with Y = [HS]PVT + KPAK, as one chain:
    // [s·HE]G + [s·r]KPAK + [s·r·HS]PVT.
    let a = p.s * he;
    let b = p.s * p.r;
    let c = b * hs;
    let pvt_odd = PvtOddJac::new(&pvt_point);
    let j = lincomb_vartime(
        &[
            (&wnaf_vartime::<G_WNAF>(&a), &g_odd().0),
            (&wnaf_vartime::<KPAK_WNAF>(&b), &kpak.odd.0),
        ],
        &[(&wnaf_vartime::<PVT_WNAF>(&c), &pvt_odd.0)],
    );
    check_j(&j, &p.r_bytes)
}

/// A verifier for one signer `(id, PVT)`: caches `HS`, `Y = [HS]PVT + KPAK` and a fixed-base
/// table of `Y`, so each verification costs two table walks and no doublings. Signatures that
/// carry another PVT are verified the uncached way.
#[derive(Clone)]
pub struct Verifier {
    kpak: Kpak,
    id: Vec<u8>,
    pvt: [u8; POINT_LEN],
    hs: [u8; 32],
    y: YTable,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Verifier { id: ")?;
        hex_fmt(f, &self.id)?;
        f.write_str(", pvt: ")?;
        hex_fmt(f, &self.pvt)?;
        f.write_str(" }")
    }
}

impl Verifier {
    /// Precomputes verification for signer `id` with `pvt` under `kpak`
    /// ([`Error::Parse`] / [`Error::InvalidPoint`] for a bad PVT).
    pub fn new(kpak: &Kpak, id: &[u8], pvt: &[u8]) -> Result<Self> {
        let pvt_point = parse_point(pvt)?;
        let mut pvt_arr = [0u8; POINT_LEN];
        pvt_arr.copy_from_slice(pvt);
        let hs = hash_hs(&kpak.sec1, id, &pvt_arr);
        let pvt_odd = PvtOddJac::new(&pvt_point);
        let y = lincomb_vartime(
            &[],
            &[(&wnaf_vartime::<PVT_WNAF>(&reduce(&hs)), &pvt_odd.0)],
        )
        .add_aff_vartime(&kpak.point);
        let y = normalize_batch(&[y])[0];
        Ok(Self {
            kpak: kpak.clone(),
            id: id.to_vec(),
            pvt: pvt_arr,
            hs,
            y: YTable::new(&y),
        })
    }

    /// The signer's identifier.
    pub fn id(&self) -> &[u8] {
        &self.id
    }

    /// The signer's PVT (SEC1 uncompressed).
    pub fn pvt(&self) -> &[u8; POINT_LEN] {
        &self.pvt
    }

    /// Verifies `sig` on `msg` (same errors as [`verify`]).
    pub fn verify(&self, msg: &[u8], sig: &[u8]) -> Result<()> {
        let p = parse_sig(sig)?;
        if p.pvt != self.pvt {
            return verify(&self.kpak, &self.id, msg, sig);
        }
        let he = reduce(&hash_he(&self.hs, &p.r_bytes, msg));
        let j = g_comb().mul_vartime(&(p.s * he), Jac::IDENTITY);
        let j = self.y.mul_vartime(&(p.s * p.r), j);
        check_j(&j, &p.r_bytes)
    }
}

#[doc(hidden)]
/// Internals exposed for tests and instruction counts only; not part of the API.
pub mod __internal {
    /// One product of ECCSI's P-256 field (`field::Fe::mul`) on raw limbs.
    pub fn p256_mul(a: &[u64; 4], b: &[u64; 4]) -> [u64; 4] {
        super::field::Fe(*a).mul(&super::field::Fe(*b)).0
    }

    /// One square of ECCSI's P-256 field (`field::Fe::square`) on raw limbs.
    pub fn p256_square(a: &[u64; 4]) -> [u64; 4] {
        super::field::Fe(*a).square().0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn g_sec1_is_the_generator() {
        assert_eq!(Aff::generator().to_sec1(), Some(G_SEC1));
    }

    #[test]
    fn debug_is_redacted() {
        let k = Ksak::from_bytes(&[0x11; 32]).unwrap();
        assert!(!format!("{k:?}").contains("11"));
        let s = Ssk::from_bytes(&[0x22; 32]).unwrap();
        assert!(!format!("{s:?}").contains("22"));
    }
}

#[cfg(test)]
mod invert_tests {
    use super::*;

    #[test]
    fn safegcd_scalar_inverse_matches_p256() {
        let mut cases = vec![
            Scalar::ONE,
            -Scalar::ONE,
            Scalar::from(2u64),
            -Scalar::from(2u64),
        ];
        let mut x = Scalar::from(0x1234_5678_9abc_def1u64);
        for _ in 0..200 {
            x = x.square() + Scalar::from(7u64);
            cases.push(x);
        }
        for c in cases {
            let want = Option::<Scalar>::from(c.invert()).unwrap();
            assert_eq!(invert_scalar(&c), want);
        }
        assert_eq!(invert_scalar(&Scalar::ZERO), Scalar::ZERO);
    }
}
