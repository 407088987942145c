//! SAKKE (RFC 6508) with parameter set 1 of RFC 6509: a 1024-bit prime p = 4q − 1, the
//! supersingular curve y² = x³ − 3x, and the Tate–Lichtenbaum pairing of embedding degree 2.
//!
//! Roles:
//! - the KMS holds a [`KmsSecret`] z, publishes [`KmsPublic`] Z = [z]P and issues to each
//!   identifier b the receiver secret key [`Rsk`] K_(b,S) = [(b + z)⁻¹]P;
//! - a member validates its RSK ([`validate_rsk`]: `<[b]P + Z, K> == g`) and keeps a
//!   [`DecapsulationKey`] (the RSK's Miller-loop lines and a fixed-base table of its own
//!   I = [b]P + Z) to decapsulate quickly;
//! - a sender [`encapsulate`]s a 16-octet [`Ssv`] to an identifier: r = HashToIntegerRange(SSV ‖
//!   b, q), R = [r]([b]P + Z) computed as `[r·b]P + [r]Z` with two fixed-base tables, H = SSV ⊕
//!   HashToIntegerRange(g^r, 2^128); the encapsulated data is R ‖ H ([`SED_LEN`] octets).
//!
//! Identifiers are the raw identifier octets; b is those octets read as a big-endian integer
//! (reduced modulo q). Every secret (z, RSK, r, r·b, SSV, mask) is handled in constant time:
//! scalar multiplications by secrets use complete formulas and full-table scans; secrets
//! zeroize on drop and never appear in `Debug`.

use std::sync::{Arc, OnceLock};

use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::{Error, Result};

#[cfg(all(target_arch = "x86_64", not(prose_backend = "soft")))]
mod batch;
mod curve;
mod engine;
mod fp;
mod fp2;
mod hash;
#[cfg(all(target_arch = "x86_64", not(prose_backend = "soft")))]
mod lanes;
mod mont;
mod pairing;
pub(crate) mod params;
mod scalar;
mod table;
mod validate_batch;
mod vartime;

use curve::{Affine, Proj, POINT_BYTES};
use engine::Engine;
use fp::Fp;
use pairing::LineTable;
use scalar::Scalar;
use table::{PfTable, PointTable};

pub use validate_batch::validate_rsks;

/// Length of the SAKKE encapsulated data: R (04 ‖ x ‖ y, 257 octets) ‖ H (16 octets).
pub const SED_LEN: usize = 273;
/// Length of an encoded point (04 ‖ x ‖ y).
pub const POINT_LEN: usize = POINT_BYTES;
/// Length of the SSV (n = 128 bits for parameter set 1).
pub const SSV_LEN: usize = 16;

fn p_table() -> &'static PointTable {
    static T: OnceLock<PointTable> = OnceLock::new();
    T.get_or_init(|| PointTable::new(&Affine::generator()))
}

/// The Miller-loop lines of P (built on first use).
fn p_lines() -> &'static LineTable {
    static L: OnceLock<LineTable> = OnceLock::new();
    L.get_or_init(|| LineTable::new(&Affine::generator()))
}

fn g_table() -> &'static PfTable {
    static T: OnceLock<PfTable> = OnceLock::new();
    T.get_or_init(|| PfTable::new(&g_value()))
}

fn g_value() -> Fp {
    Fp::from_canonical(&params::G)
}

/// b: the identifier octets as a big-endian integer modulo q.
fn identity_scalar(id: &[u8]) -> Scalar {
    Scalar::reduce_be(id)
}

/// The shared secret value: 16 octets, zeroized on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Ssv([u8; SSV_LEN]);

impl Ssv {
    /// Wraps 16 octets.
    pub fn new(bytes: [u8; SSV_LEN]) -> Self {
        Ssv(bytes)
    }
    /// From a slice of exactly 16 octets (`Parse` otherwise).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let arr: [u8; SSV_LEN] = bytes.try_into().map_err(|_| Error::Parse)?;
        Ok(Ssv(arr))
    }
    /// A fresh random SSV.
    ///
    /// # Panics
    /// If the random source fails (as `RngCore::fill_bytes` does); use [`Ssv::try_generate`]
    /// to get [`Error::Rng`] instead.
    pub fn generate(rng: &mut impl rand_core::CryptoRngCore) -> Self {
        match Self::try_generate(rng) {
            Ok(s) => s,
            Err(_) => panic!("random number generator failure"),
        }
    }

    /// A fresh random SSV, reporting a failing random source as [`Error::Rng`].
    pub fn try_generate(rng: &mut impl rand_core::CryptoRngCore) -> Result<Self> {
        let mut b = [0u8; SSV_LEN];
        rng.try_fill_bytes(&mut b).map_err(|_| Error::Rng)?;
        Ok(Ssv(b))
    }
    /// The 16 octets.
    pub fn as_bytes(&self) -> &[u8; SSV_LEN] {
        &self.0
    }
}

impl PartialEq for Ssv {
    fn eq(&self, o: &Ssv) -> bool {
        self.0.ct_eq(&o.0).into()
    }
}
impl Eq for Ssv {}

impl core::fmt::Debug for Ssv {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Ssv(<redacted>)")
    }
}

/// The KMS master secret z (1 ≤ z < q). Zeroized on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct KmsSecret {
    z: Scalar,
}

impl core::fmt::Debug for KmsSecret {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("KmsSecret(<redacted>)")
    }
}

impl KmsSecret {
    /// A fresh random z, uniform in [1, q) up to a 2^-64 bias.
    ///
    /// # Panics
    /// If the random source fails (as `RngCore::fill_bytes` does); use
    /// [`KmsSecret::try_generate`] to get [`Error::Rng`] instead.
    pub fn generate(rng: &mut impl rand_core::CryptoRngCore) -> Self {
        match Self::try_generate(rng) {
            Ok(k) => k,
            Err(_) => panic!("random number generator failure"),
        }
    }

    /// A fresh random z, reporting a failing random source (or one that keeps giving zero)
    /// as [`Error::Rng`].
    pub fn try_generate(rng: &mut impl rand_core::CryptoRngCore) -> Result<Self> {
        for _ in 0..8 {
            let mut buf = Zeroizing::new([0u8; 136]);
            rng.try_fill_bytes(&mut buf[..]).map_err(|_| Error::Rng)?;
            let z = Scalar::reduce_be(&buf[..]);
            if !bool::from(z.is_zero()) {
                return Ok(KmsSecret { z });
            }
        }
        Err(Error::Rng)
    }

    /// From big-endian octets (at most 128) with 1 ≤ z < q; `InvalidKey` otherwise.
    pub fn from_bytes(z: &[u8]) -> Result<Self> {
        Scalar::from_be_nonzero_canonical(z)
            .map(|z| KmsSecret { z })
            .ok_or(Error::InvalidKey)
    }

    /// z as 128 big-endian octets.
    pub fn to_bytes(&self) -> [u8; 128] {
        self.z.to_be_bytes()
    }

    /// Z = [z]P.
    pub fn public(&self) -> KmsPublic {
        let zp = p_table().mul(&self.z);
        // z ≠ 0 mod q, so Z is finite
        let z = Option::from(zp.to_affine()).unwrap_or_default();
        KmsPublic::from_point(z)
    }

    /// K_(b,S) = [(b + z)⁻¹ mod q]P for the identifier `id` (RFC 6508 §6.1.1).
    /// `InvalidParameter` in the negligible case b + z ≡ 0 (mod q).
    pub fn issue_rsk(&self, id: &[u8]) -> Result<Rsk> {
        self.issue_rsk_on(id, Engine::detect())
    }

    /// [`KmsSecret::issue_rsk`] on the given engine.
    fn issue_rsk_on(&self, id: &[u8], engine: Engine) -> Result<Rsk> {
        // s = b + z reveals z to whoever knows b (public): wipe it and every value after it.
        let mut s = identity_scalar(id).add(&self.z);
        let zero = bool::from(s.is_zero());
        let mut inv = s.invert();
        s.zeroize();
        if zero {
            inv.zeroize();
            return Err(Error::InvalidParameter);
        }
        let mut kp = mul_p(&inv, engine);
        inv.zeroize();
        let k = Option::<Affine>::from(kp.to_affine());
        kp.zeroize();
        let k = k.ok_or(Error::InvalidParameter)?;
        Ok(Rsk { k })
    }

    /// RSKs for many identifiers, spread over every core; within each core's share the
    /// inversions modulo q and the conversions to affine are batched (one inversion each).
    pub fn issue_rsks(&self, ids: &[&[u8]]) -> Vec<Result<Rsk>> {
        parallel_chunks(ids, |chunk| self.issue_rsk_batch(chunk))
    }

    fn issue_rsk_batch(&self, ids: &[&[u8]]) -> Vec<Result<Rsk>> {
        let mut s: Vec<Scalar> = ids
            .iter()
            .map(|id| identity_scalar(id).add(&self.z))
            .collect();
        let zero: Vec<bool> = s.iter().map(|x| bool::from(x.is_zero())).collect();
        scalar::batch_invert(&mut s);
        let mut pts = mul_p_many(&s, Engine::detect());
        s.zeroize();
        let aff = curve::batch_to_affine(&pts);
        // The projective RSKs (batch_to_affine wipes its inverted Z coordinates itself).
        pts.zeroize();
        aff.into_iter()
            .zip(zero)
            .map(|(k, z)| {
                if z {
                    Err(Error::InvalidParameter)
                } else {
                    Ok(Rsk { k })
                }
            })
            .collect()
    }
}

/// The KMS public key Z = [z]P, with its fixed-base table built on first use (or by
/// [`KmsPublic::precompute`]).
#[derive(Clone)]
pub struct KmsPublic {
    z: Affine,
    table: OnceLock<Arc<PointTable>>,
    /// The Miller-loop lines of Z (RSK validation), built on first use.
    lines: OnceLock<Arc<LineTable>>,
    /// The lane combs of Z (batch and single operations), built on first use.
    combs: engine::KmsCombs,
}

impl core::fmt::Debug for KmsPublic {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("KmsPublic")
            .field("precomputed", &self.table.get().is_some())
            .finish_non_exhaustive()
    }
}

impl PartialEq for KmsPublic {
    fn eq(&self, o: &KmsPublic) -> bool {
        self.z.ct_eq(&o.z).into()
    }
}
impl Eq for KmsPublic {}

impl KmsPublic {
    fn from_point(z: Affine) -> Self {
        KmsPublic {
            z,
            table: OnceLock::new(),
            lines: OnceLock::new(),
            combs: engine::KmsCombs::default(),
        }
    }

    /// From 257 octets 04 ‖ x ‖ y; the point must be on the curve and in the order-q subgroup.
    /// `Parse` for a wrong length, `InvalidPoint` otherwise.
    ///
    /// Z is public, so the check runs in variable time: one Miller loop on Z yields both
    /// `[q − 1]Z` (compared with −Z) and Z's line table for RSK validation, which is kept.
    pub fn from_bytes(z_point: &[u8]) -> Result<Self> {
        let (z, lines) = vartime::decode_kms_public_vartime(z_point)?;
        let kms = KmsPublic::from_point(z);
        let _ = kms.lines.set(Arc::new(lines));
        Ok(kms)
    }

    /// 04 ‖ x ‖ y.
    pub fn to_bytes(&self) -> [u8; POINT_LEN] {
        self.z.encode()
    }

    /// Builds the fixed-base table of Z now (otherwise built by the first encapsulation):
    /// the split lane comb when the CPU has AVX-512 IFMA (the batch comb is built by the
    /// first [`encapsulate_many`]), else the scalar table.
    pub fn precompute(&self) {
        if !Engine::detect().precompute(self) {
            let _ = self.z_table();
        }
    }

    fn z_table(&self) -> &PointTable {
        self.table
            .get_or_init(|| Arc::new(PointTable::new(&self.z)))
    }

    /// The Miller-loop lines of Z.
    fn z_lines(&self) -> &LineTable {
        self.lines.get_or_init(|| Arc::new(LineTable::new(&self.z)))
    }

    /// I = [b]P + Z, the identifier's public point (None if it is the identity).
    fn point_i(&self, b: &Scalar) -> Option<Affine> {
        let bp = p_table().mul(b);
        Option::from(bp.add_affine(&self.z).to_affine())
    }
}

/// A receiver secret key K_(b,S) (a point of the order-q subgroup). Zeroized on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Rsk {
    k: Affine,
}

impl core::fmt::Debug for Rsk {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Rsk(<redacted>)")
    }
}

impl Rsk {
    /// From 257 octets 04 ‖ x ‖ y, checked on the curve and in the order-q subgroup (constant
    /// time). `Parse` for a wrong length, `InvalidPoint` otherwise.
    pub fn from_bytes(b: &[u8]) -> Result<Self> {
        Affine::decode_in_subgroup(b).map(|k| Rsk { k })
    }
    /// 04 ‖ x ‖ y.
    pub fn to_bytes(&self) -> [u8; POINT_LEN] {
        self.k.encode()
    }
}

/// RFC 6508 §6.1.2: checks `<[b]P + Z, K_(b,S)> == g`. `InvalidKey` when it does not hold.
///
/// Computed as `<P, K>^b · <Z, K>` from the stored Miller-loop lines of P (process-wide) and
/// of Z (kept by the [`KmsPublic`], built on its first validation), evaluated at K.
/// If b + z ≡ 0 (mod q) the value is 1 ≠ g and the key is refused.
pub fn validate_rsk(kms: &KmsPublic, id: &[u8], rsk: &Rsk) -> Result<()> {
    validate_rsk_on(kms, id, rsk, Engine::detect())
}

/// [`validate_rsk`] on the given engine.
fn validate_rsk_on(kms: &KmsPublic, id: &[u8], rsk: &Rsk, engine: Engine) -> Result<()> {
    let b = identity_scalar(id);
    let w = pairing::pairing_two(engine, p_lines(), &b.0, kms.z_lines(), &rsk.k);
    if bool::from(w.ct_eq(&g_value())) {
        Ok(())
    } else {
        Err(Error::InvalidKey)
    }
}

/// `[a]P + [b]Z`: split over the lanes when the engine has them, else the scalar tables.
fn mul2_pz(kms: &KmsPublic, a: &Scalar, b: &Scalar, engine: Engine) -> Proj {
    engine
        .mul2_pz(kms, a, b)
        .unwrap_or_else(|| PointTable::mul2(p_table(), a, kms.z_table(), b))
}

/// `g^r` in PF_p: split over the lanes when the engine has them, else the scalar table.
fn g_pow(r: &Scalar, engine: Engine) -> fp2::Fp2 {
    engine.g_pow(r).unwrap_or_else(|| g_table().pow(r))
}

/// `[a]P`: split over the lanes when the engine has them, else the scalar table.
fn mul_p(a: &Scalar, engine: Engine) -> Proj {
    engine.mul_p(a).unwrap_or_else(|| p_table().mul(a))
}

/// `[s_i]P` for many scalars: eight per lane group when the engine has lanes, else one by
/// one.
fn mul_p_many(s: &[Scalar], engine: Engine) -> Vec<Proj> {
    engine
        .mul_p_many(s)
        .unwrap_or_else(|| s.iter().map(|x| p_table().mul(x)).collect())
}

/// r = HashToIntegerRange(SSV ‖ b, q) with b the identifier octets.
fn derive_r(ssv: &Ssv, id: &[u8]) -> Scalar {
    hash::to_scalar(&[ssv.as_bytes(), id])
}

/// RFC 6508 §6.2.1: the encapsulated data R ‖ H of `ssv` for the identifier `id`.
pub fn encapsulate(kms: &KmsPublic, id: &[u8], ssv: &Ssv) -> Result<[u8; SED_LEN]> {
    encapsulate_on(kms, id, ssv, Engine::detect())
}

/// [`encapsulate`] on the given engine.
fn encapsulate_on(kms: &KmsPublic, id: &[u8], ssv: &Ssv, engine: Engine) -> Result<[u8; SED_LEN]> {
    let b = identity_scalar(id);
    let mut r = derive_r(ssv, id);
    if bool::from(r.is_zero()) {
        return Err(Error::InvalidParameter);
    }
    let mut rb = r.mul(&b);
    // R = [r·b]P + [r]Z
    let rp = mul2_pz(kms, &rb, &r, engine);
    let mut gr = g_pow(&r, engine);
    r.zeroize();
    rb.zeroize();
    // one inversion for both R's Z and g^r's a
    let mut inv = [rp.z, gr.a];
    fp::batch_invert(&mut inv);
    if bool::from(rp.z.is_zero()) {
        // b + z ≡ 0 mod q: no valid encapsulation exists for this identifier
        return Err(Error::InvalidParameter);
    }
    let big_r = Affine {
        x: rp.x.mul(&inv[0]),
        y: rp.y.mul(&inv[0]),
    };
    let mut w = gr.b.mul(&inv[1]);
    let mut wb = w.to_be_bytes();
    let mut mask = hash::to_mask(&wb);
    let mut out = [0u8; SED_LEN];
    out[..POINT_LEN].copy_from_slice(&big_r.encode());
    for i in 0..SSV_LEN {
        out[POINT_LEN + i] = ssv.as_bytes()[i] ^ mask[i];
    }
    gr.zeroize();
    w.zeroize();
    wb.zeroize();
    mask.zeroize();
    inv.zeroize();
    Ok(out)
}

/// Encapsulations of many (identifier, SSV) pairs, spread over every core. With AVX-512 IFMA
/// the recipients are processed eight at a time on the lane backend (fixed-base combs of P, Z
/// and g, one shared inversion per core), a short tail and batches of fewer than five one by
/// one (each split over the lanes); otherwise (or in the soft build) one by one.
/// The results are those of [`encapsulate`] for each pair.
pub fn encapsulate_many(kms: &KmsPublic, items: &[(&[u8], &Ssv)]) -> Vec<Result<[u8; SED_LEN]>> {
    encapsulate_many_on(kms, items, Engine::detect())
}

/// [`encapsulate_many`] on the given engine: lane groups when it has lanes (and the batch is
/// large enough: below `batch::GROUP_MIN` recipients single encapsulations, split over the
/// lanes on every core, are faster than one partly filled lane group), else one recipient
/// at a time on every core.
fn encapsulate_many_on(
    kms: &KmsPublic,
    items: &[(&[u8], &Ssv)],
    engine: Engine,
) -> Vec<Result<[u8; SED_LEN]>> {
    if let Some(v) = engine.encapsulate_many(kms, items, true) {
        return v;
    }
    if !engine.precompute(kms) {
        let _ = kms.z_table();
        let _ = p_table();
    }
    let _ = g_table();
    parallel_map(items, |(id, ssv)| encapsulate_on(kms, id, ssv, engine))
}

/// Parses R from the SED: on the curve and not of small order (`InvalidPoint`); a point outside
/// the order-q subgroup that passes this is rejected by the final `[r]I == R` check.
fn parse_sed(sed: &[u8]) -> Result<(Affine, [u8; SSV_LEN])> {
    if sed.len() != SED_LEN {
        return Err(Error::Parse);
    }
    let r = Affine::decode_on_curve(&sed[..POINT_LEN])?;
    if bool::from(r.is_small_order()) {
        return Err(Error::InvalidPoint);
    }
    let mut h = [0u8; SSV_LEN];
    h.copy_from_slice(&sed[POINT_LEN..]);
    Ok((r, h))
}

/// SSV = H ⊕ HashToIntegerRange(w, 2^128).
fn unmask(w: &Fp, h: &[u8; SSV_LEN]) -> Ssv {
    let mut wb = w.to_be_bytes();
    let mut mask = hash::to_mask(&wb);
    let mut s = [0u8; SSV_LEN];
    for i in 0..SSV_LEN {
        s[i] = h[i] ^ mask[i];
    }
    wb.zeroize();
    mask.zeroize();
    let ssv = Ssv(s);
    s.zeroize();
    ssv
}

/// RFC 6508 §6.2.2 without precomputation. `Parse` (length), `InvalidPoint` (R malformed, off
/// the curve or of small order), `AuthFailed` (the check `[r]([b]P + Z) == R` fails).
pub fn decapsulate(kms: &KmsPublic, id: &[u8], rsk: &Rsk, sed: &[u8]) -> Result<Ssv> {
    let (r_pt, h) = parse_sed(sed)?;
    let mut w = pairing::pairing(&r_pt, &rsk.k);
    let ssv = unmask(&w, &h);
    w.zeroize();
    let b = identity_scalar(id);
    let mut r = derive_r(&ssv, id);
    let mut rb = r.mul(&b);
    let test = mul2_pz(kms, &rb, &r, Engine::detect());
    r.zeroize();
    rb.zeroize();
    if bool::from(test.eq_affine(&r_pt)) {
        Ok(ssv)
    } else {
        Err(Error::AuthFailed)
    }
}

/// A member's decapsulation key: the validated RSK and its Miller-loop line coefficients, with
/// a fixed-base comb of I = [b]P + Z for the final check `[r]I == R` (split over the IFMA lanes
/// when the CPU has them; on the scalar engine a table built on first use). Secret parts
/// zeroize on drop.
pub struct DecapsulationKey {
    id: Vec<u8>,
    i: Affine,
    lines: LineTable,
    /// The split lane comb of I (655 KB) when the detected engine has lanes.
    i_split: engine::BaseComb,
    /// The scalar table of I, built on first use by the scalar engine.
    i_table: OnceLock<PointTable>,
}

impl core::fmt::Debug for DecapsulationKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("DecapsulationKey")
            .field("id_len", &self.id.len())
            .finish_non_exhaustive()
    }
}

impl DecapsulationKey {
    /// Validates the RSK for `id` under `kms` (`InvalidKey` when `<I, K> != g`) and builds the
    /// precomputation.
    pub fn new(kms: &KmsPublic, id: &[u8], rsk: &Rsk) -> Result<Self> {
        let b = identity_scalar(id);
        let i = kms.point_i(&b).ok_or(Error::InvalidKey)?;
        let lines = LineTable::new(&rsk.k);
        let w = lines.pairing_with(&i);
        if !bool::from(w.ct_eq(&g_value())) {
            return Err(Error::InvalidKey);
        }
        Ok(DecapsulationKey {
            id: id.to_vec(),
            i,
            lines,
            i_split: Engine::detect().base_comb(&i),
            i_table: OnceLock::new(),
        })
    }

    /// The identifier this key belongs to.
    pub fn id(&self) -> &[u8] {
        &self.id
    }

    /// `[r]I`: with the split lane comb of I when the CPU has AVX-512 IFMA, else with the scalar
    /// table of I.
    fn times_i(&self, r: &Scalar, engine: Engine) -> Proj {
        if let Some(p) = engine.mul_with(&self.i_split, r) {
            return p;
        }
        self.i_table.get_or_init(|| PointTable::new(&self.i)).mul(r)
    }

    /// RFC 6508 §6.2.2 with the precomputation. Errors as [`decapsulate`].
    pub fn decapsulate(&self, sed: &[u8]) -> Result<Ssv> {
        self.decapsulate_on(sed, Engine::detect())
    }

    /// [`DecapsulationKey::decapsulate`] on the given engine.
    fn decapsulate_on(&self, sed: &[u8], engine: Engine) -> Result<Ssv> {
        let (r_pt, h) = parse_sed(sed)?;
        let mut w = self.lines.pairing_on(engine, &r_pt);
        let ssv = unmask(&w, &h);
        w.zeroize();
        let mut r = derive_r(&ssv, &self.id);
        let test = self.times_i(&r, engine);
        r.zeroize();
        if bool::from(test.eq_affine(&r_pt)) {
            Ok(ssv)
        } else {
            Err(Error::AuthFailed)
        }
    }
}

/// Maps `f` over `items` on every available core (order preserved).
pub(crate) fn parallel_map<T: Sync, U: Send>(items: &[T], f: impl Fn(&T) -> U + Sync) -> Vec<U> {
    parallel_chunks(items, |c| c.iter().map(&f).collect())
}

/// Applies `f` to one contiguous share of `items` per available core (order preserved).
fn parallel_chunks<T: Sync, U: Send>(items: &[T], f: impl Fn(&[T]) -> Vec<U> + Sync) -> Vec<U> {
    parallel_groups(items, 1, f)
}

/// As [`parallel_chunks`], with every share but the last a multiple of `group` items.
fn parallel_groups<T: Sync, U: Send>(
    items: &[T],
    group: usize,
    f: impl Fn(&[T]) -> Vec<U> + Sync,
) -> Vec<U> {
    let group = group.max(1);
    let groups = items.len().div_ceil(group);
    let n = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(groups.max(1));
    if n <= 1 {
        return f(items);
    }
    let chunk = groups.div_ceil(n) * group;
    let f = &f;
    std::thread::scope(|s| {
        let handles: Vec<_> = items.chunks(chunk).map(|c| s.spawn(move || f(c))).collect();
        let mut out = Vec::with_capacity(items.len());
        for h in handles {
            match h.join() {
                Ok(v) => out.extend(v),
                Err(e) => std::panic::resume_unwind(e),
            }
        }
        out
    })
}

#[doc(hidden)]
/// Internals exposed for tests and benchmarks only; not part of the API.
pub mod __internal {
    pub use super::testing::*;
}

mod testing {
    //! Hooks for property tests and benchmarks (hidden).
    use super::*;

    pub use super::engine::Engine;

    /// [`super::encapsulate`] on the given engine.
    pub fn encapsulate_on(
        engine: Engine,
        kms: &KmsPublic,
        id: &[u8],
        ssv: &Ssv,
    ) -> crate::Result<[u8; SED_LEN]> {
        super::encapsulate_on(kms, id, ssv, engine)
    }
    /// [`KmsSecret::issue_rsk`] on the given engine.
    pub fn issue_rsk_on(engine: Engine, z: &KmsSecret, id: &[u8]) -> crate::Result<Rsk> {
        z.issue_rsk_on(id, engine)
    }
    /// [`super::validate_rsk`] on the given engine.
    pub fn validate_rsk_on(
        engine: Engine,
        kms: &KmsPublic,
        id: &[u8],
        rsk: &Rsk,
    ) -> crate::Result<()> {
        super::validate_rsk_on(kms, id, rsk, engine)
    }
    /// [`DecapsulationKey::decapsulate`] on the given engine.
    pub fn decapsulate_on(
        engine: Engine,
        key: &DecapsulationKey,
        sed: &[u8],
    ) -> crate::Result<Ssv> {
        key.decapsulate_on(sed, engine)
    }
    /// [`super::encapsulate_many`] on the given engine.
    pub fn encapsulate_many_on(
        engine: Engine,
        kms: &KmsPublic,
        items: &[(&[u8], &Ssv)],
    ) -> Vec<crate::Result<[u8; SED_LEN]>> {
        super::encapsulate_many_on(kms, items, engine)
    }

    /// The stored Miller-loop lines of a point (257 octets, on the curve), for benchmarks.
    #[derive(Debug)]
    pub struct PairingLines(LineTable);
    impl PairingLines {
        pub fn new(k: &[u8]) -> crate::Result<Self> {
            Ok(PairingLines(LineTable::new(&Affine::decode_on_curve(k)?)))
        }
        /// `<K, R>` as 128 octets.
        pub fn pairing_with(&self, r: &[u8]) -> crate::Result<[u8; 128]> {
            self.pairing_on(Engine::detect(), r)
        }
        /// `<K, R>` on the given engine.
        pub fn pairing_on(&self, engine: Engine, r: &[u8]) -> crate::Result<[u8; 128]> {
            let r = Affine::decode_on_curve(r)?;
            Ok(self.0.pairing_on(engine, &r).to_be_bytes())
        }
    }

    /// Montgomery product modulo p through the selected kernel, on canonical limbs in and out
    /// (converts to and from the Montgomery domain).
    pub fn fp_mul_canonical(a: &[u64; 16], b: &[u64; 16]) -> [u64; 16] {
        Fp::from_canonical(a)
            .mul(&Fp::from_canonical(b))
            .to_canonical()
    }
    /// Raw Montgomery product (a·b·2^-1024 mod p) through the selected kernel.
    pub fn fp_mont_mul(a: &[u64; 16], b: &[u64; 16]) -> [u64; 16] {
        fp::mont_mul_p(a, b)
    }
    /// Raw Montgomery square through the selected kernel.
    pub fn fp_mont_sqr(a: &[u64; 16]) -> [u64; 16] {
        fp::mont_sqr_p(a)
    }
    /// Raw Montgomery product (a·b·2^-1024 mod p, operands below p) on the given engine's
    /// kernel.
    pub fn fp_mont_mul_on(engine: Engine, a: &[u64; 16], b: &[u64; 16]) -> [u64; 16] {
        engine.mont_mul(a, b)
    }
    /// Raw Montgomery square (operand below p) on the given engine's kernel.
    pub fn fp_mont_sqr_on(engine: Engine, a: &[u64; 16]) -> [u64; 16] {
        engine.mont_sqr(a)
    }
    /// [`super::encapsulate_many`] forced onto the scalar engine (reference for the lane path).
    pub fn encapsulate_many_scalar(
        kms: &KmsPublic,
        items: &[(&[u8], &Ssv)],
    ) -> Vec<crate::Result<[u8; SED_LEN]>> {
        super::encapsulate_many_on(kms, items, Engine::scalar())
    }
    /// [`super::encapsulate_many`] on the calling thread only (per-core figures); the lane
    /// path when the detected engine has lanes, else the scalar engine.
    pub fn encapsulate_many_one_core(
        kms: &KmsPublic,
        items: &[(&[u8], &Ssv)],
    ) -> Vec<crate::Result<[u8; SED_LEN]>> {
        let engine = Engine::detect();
        if let Some(v) = engine.encapsulate_many(kms, items, false) {
            return v;
        }
        items
            .iter()
            .map(|(id, ssv)| super::encapsulate_on(kms, id, ssv, engine))
            .collect()
    }
    /// Whether [`super::encapsulate_many`] takes the eight-lane IFMA path on this machine.
    pub fn encapsulate_many_uses_lanes() -> bool {
        Engine::detect().has_lanes()
    }
    /// `[a]P + [b]Z` (scalars as big-endian octets reduced mod q) on the IFMA lanes, encoded
    /// (inner `None`: the identity); outer `None` when the lanes are unavailable.
    pub fn pz_mul2_lanes(kms: &KmsPublic, a: &[u8], b: &[u8]) -> Option<Option<[u8; 257]>> {
        let (a, b) = (Scalar::reduce_be(a), Scalar::reduce_be(b));
        Engine::detect().mul2_pz(kms, &a, &b).map(encode_proj)
    }
    /// `[a]P + [b]Z` by the scalar tables (`PointTable::mul2`), encoded (`None`: identity).
    pub fn pz_mul2_scalar(kms: &KmsPublic, a: &[u8], b: &[u8]) -> Option<[u8; 257]> {
        let (a, b) = (Scalar::reduce_be(a), Scalar::reduce_be(b));
        encode_proj(PointTable::mul2(p_table(), &a, kms.z_table(), &b))
    }
    /// `[a]P` on the IFMA lanes (split evaluation), encoded; outer `None`: lanes unavailable.
    pub fn p_mul_lanes(a: &[u8]) -> Option<Option<[u8; 257]>> {
        Engine::detect()
            .mul_p(&Scalar::reduce_be(a))
            .map(encode_proj)
    }
    /// `[a_i]P` through the many-scalar path (lane groups of eight when available), encoded.
    pub fn p_mul_many(a: &[&[u8]]) -> Vec<Option<[u8; 257]>> {
        let s: Vec<Scalar> = a.iter().map(|x| Scalar::reduce_be(x)).collect();
        super::mul_p_many(&s, Engine::detect())
            .into_iter()
            .map(encode_proj)
            .collect()
    }
    /// `[a]P` by the scalar table (`PointTable::mul`), encoded.
    pub fn p_mul_scalar(a: &[u8]) -> Option<[u8; 257]> {
        encode_proj(p_table().mul(&Scalar::reduce_be(a)))
    }
    /// Precomputation a KMS public key holds so far: (bytes of its batch comb, bytes of its
    /// split comb, whether its scalar table is built).
    pub fn kms_precomputation(kms: &KmsPublic) -> (usize, usize, bool) {
        let lanes = kms.combs.table_bytes();
        (lanes.0, lanes.1, kms.table.get().is_some())
    }
    /// Lane combs of a KMS's Z (batch or split) built so far by this process.
    pub fn kms_comb_builds() -> usize {
        engine::COMB_BUILDS.load(core::sync::atomic::Ordering::Relaxed)
    }
    fn encode_proj(p: Proj) -> Option<[u8; 257]> {
        Option::<Affine>::from(p.to_affine()).map(|a| a.encode())
    }
    /// [`super::encapsulate`] on the scalar engine only (reference and benchmark row).
    pub fn encapsulate_scalar(
        kms: &KmsPublic,
        id: &[u8],
        ssv: &Ssv,
    ) -> crate::Result<[u8; SED_LEN]> {
        super::encapsulate_on(kms, id, ssv, Engine::scalar())
    }
    /// [`KmsSecret::issue_rsk`] on the scalar engine only (reference and benchmark row).
    pub fn issue_rsk_scalar(z: &KmsSecret, id: &[u8]) -> crate::Result<Rsk> {
        z.issue_rsk_on(id, Engine::scalar())
    }
    /// Raw portable Montgomery product.
    pub fn fp_mont_mul_portable(a: &[u64; 16], b: &[u64; 16]) -> [u64; 16] {
        mont::mont_mul(a, b, &params::P, params::P_INV)
    }
    /// Whether a kernel (AVX-512 IFMA or MULX/ADX on x86-64, MUL/UMULH on aarch64) rather than
    /// the portable loop serves the product on this CPU.
    pub fn mulx_available() -> bool {
        !matches!(Engine::detect(), Engine::Portable)
    }
    /// a^-1 mod p on canonical limbs.
    pub fn fp_invert_canonical(a: &[u64; 16]) -> [u64; 16] {
        Fp::from_canonical(a).invert().to_canonical()
    }
    /// Inverses mod p and mod q by Fermat (reference for the safegcd path), canonical limbs.
    pub fn invert_fermat_canonical(a: &[u64; 16]) -> ([u64; 16], [u64; 16]) {
        (
            Fp::from_canonical(a).invert_fermat().to_canonical(),
            Scalar(*a).invert_fermat().0,
        )
    }
    /// sqrt mod p on canonical limbs (None if not a square).
    pub fn fp_sqrt_canonical(a: &[u64; 16]) -> Option<[u64; 16]> {
        Option::<Fp>::from(Fp::from_canonical(a).sqrt()).map(|r| r.to_canonical())
    }
    /// (a + b, a − b) mod p on canonical limbs.
    pub fn fp_add_sub_canonical(a: &[u64; 16], b: &[u64; 16]) -> ([u64; 16], [u64; 16]) {
        let (x, y) = (Fp::from_canonical(a), Fp::from_canonical(b));
        (x.add(&y).to_canonical(), x.sub(&y).to_canonical())
    }
    /// Product and inverse modulo q on canonical limbs.
    pub fn scalar_mul_inv(a: &[u64; 16], b: &[u64; 16]) -> ([u64; 16], [u64; 16]) {
        let (x, y) = (Scalar(*a), Scalar(*b));
        (x.mul(&y).0, x.invert().0)
    }
    /// Big-endian octets reduced mod q.
    pub fn scalar_reduce(bytes: &[u8]) -> [u8; 128] {
        Scalar::reduce_be(bytes).to_be_bytes()
    }
    /// HashToIntegerRange(s, q) as 128 octets.
    pub fn hash_to_q(s: &[u8]) -> [u8; 128] {
        hash::to_scalar(&[s]).to_be_bytes()
    }
    /// HashToIntegerRange(s, 2^128).
    pub fn hash_to_mask(s: &[u8]) -> [u8; 16] {
        hash::to_mask(s)
    }
    /// `<R, Q>` per RFC 6508 §3.2 (points as 257 octets, checked on the curve) as 128 octets.
    pub fn pairing(r: &[u8], q: &[u8]) -> crate::Result<[u8; 128]> {
        let r = Affine::decode_on_curve(r)?;
        let q = Affine::decode_on_curve(q)?;
        Ok(pairing::pairing(&r, &q).to_be_bytes())
    }
    /// `<R, Q>` by the binary-digit Miller loop (reference for the NAF loop).
    pub fn pairing_binary(r: &[u8], q: &[u8]) -> crate::Result<[u8; 128]> {
        let r = Affine::decode_on_curve(r)?;
        let q = Affine::decode_on_curve(q)?;
        Ok(pairing::pairing_binary(&r, &q).to_be_bytes())
    }
    /// `<K, R>` through the precomputed lines of K.
    pub fn pairing_precomputed(k: &[u8], r: &[u8]) -> crate::Result<[u8; 128]> {
        let k = Affine::decode_on_curve(k)?;
        let r = Affine::decode_on_curve(r)?;
        Ok(LineTable::new(&k).pairing_with(&r).to_be_bytes())
    }
    /// [k]Q for a point Q (constant-time table when `fixed`, else public double-and-add).
    pub fn point_mul(q: &[u8], k: &[u8], fixed: bool) -> crate::Result<[u8; 257]> {
        let q = Affine::decode_on_curve(q)?;
        let s = Scalar::reduce_be(k);
        let r = if fixed {
            PointTable::new(&q).mul(&s)
        } else {
            Proj::mul_public_scalar(&Proj::from_affine(&q), &s.0)
        };
        Option::<Affine>::from(r.to_affine())
            .map(|a| a.encode())
            .ok_or(crate::Error::InvalidPoint)
    }
    /// Q1 + Q2 with the complete formulas (None: identity).
    pub fn point_add(a: &[u8], b: &[u8]) -> crate::Result<Option<[u8; 257]>> {
        let a = Affine::decode_on_curve(a)?;
        let b = Affine::decode_on_curve(b)?;
        let s = Proj::from_affine(&a).add(&Proj::from_affine(&b));
        let m = Proj::from_affine(&a).add_affine(&b);
        let sa = Option::<Affine>::from(s.to_affine()).map(|x| x.encode());
        let ma = Option::<Affine>::from(m.to_affine()).map(|x| x.encode());
        if sa != ma {
            return Err(crate::Error::InvalidParameter);
        }
        Ok(sa)
    }
    /// g^k in PF_p by the fixed-base table, as 128 octets.
    pub fn g_pow(k: &[u8]) -> [u8; 128] {
        let s = Scalar::reduce_be(k);
        g_table().pow(&s).pf_representative().to_be_bytes()
    }
    /// g^k in PF_p on the IFMA lanes (split evaluation), as 128 octets; `None` when the lanes
    /// are unavailable.
    pub fn g_pow_lanes(k: &[u8]) -> Option<[u8; 128]> {
        let s = Scalar::reduce_be(k);
        Engine::detect()
            .g_pow(&s)
            .map(|v| v.pf_representative().to_be_bytes())
    }
    /// The base point P encoded.
    pub fn generator() -> [u8; 257] {
        Affine::generator().encode()
    }
    /// Whether the encoded on-curve point is in the order-q subgroup.
    pub fn in_subgroup(q: &[u8]) -> crate::Result<bool> {
        Ok(Affine::decode_on_curve(q)?.is_in_subgroup().into())
    }
    /// [`KmsPublic::from_bytes`] with the constant-time subgroup check and no line table (the
    /// import before the variable-time check; reference for tests and benchmarks).
    pub fn kms_public_from_bytes_ct(z: &[u8]) -> crate::Result<KmsPublic> {
        Affine::decode_in_subgroup(z).map(KmsPublic::from_point)
    }
    /// The variable-time subgroup check of a KMS public key (with its line table built and
    /// dropped): `Ok(true)` when in the subgroup.
    pub fn in_subgroup_vartime(q: &[u8]) -> crate::Result<bool> {
        let z = Affine::decode_on_curve(q)?;
        Ok(super::vartime::z_lines_checked_vartime(&z).is_some())
    }
    /// [`super::validate_rsks`] on the calling thread only (per-core figures).
    pub fn validate_rsks_one_core(
        kms: &KmsPublic,
        items: &[(&[u8], &Rsk)],
    ) -> Vec<crate::Result<()>> {
        super::validate_batch::validate_share(kms, items, Engine::detect())
    }
    /// [`super::validate_rsks`] on the given engine (lane groups only when it has lanes).
    pub fn validate_rsks_on(
        engine: Engine,
        kms: &KmsPublic,
        items: &[(&[u8], &Rsk)],
    ) -> Vec<crate::Result<()>> {
        super::validate_batch::validate_rsks_on(kms, items, engine)
    }
    /// Whether [`super::validate_rsks`] takes the IFMA lanes on this machine.
    pub fn validate_rsks_uses_lanes() -> bool {
        super::validate_batch::uses_lanes()
    }
    /// Whether the KMS public key holds its line table.
    pub fn kms_has_lines(kms: &KmsPublic) -> bool {
        kms.lines.get().is_some()
    }
    /// `<Z, R>` through the line table the KMS public key holds (built now if absent).
    pub fn kms_lines_pairing(kms: &KmsPublic, r: &[u8]) -> crate::Result<[u8; 128]> {
        let r = Affine::decode_on_curve(r)?;
        Ok(kms.z_lines().pairing_with(&r).to_be_bytes())
    }
}
