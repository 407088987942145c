//! Safe wrapper over wolfSSL's ECCSI (RFC 6507): KMS keys, (SSK, PVT) issue and validation,
//! signing and verification. wolfSSL keeps process-wide ECC state (a point cache): hold
//! [`WOLF`] while using it from a test that may run beside others.
use std::os::raw::c_int;
use std::ptr;
use std::sync::Mutex;

use crate::sys as w;
use prose_sec::eccsi::{POINT_LEN, SIGNATURE_LEN};

/// wolfSSL's `INVALID_DEVID` (no crypto callback device).
const INVALID_DEVID: c_int = -2;
const SHA256: w::wc_HashType = w::wc_HashType_WC_HASH_TYPE_SHA256;

extern "C" {
    // `mp_init` is a macro for `sp_init` in the wolfSSL builds used here (WOLFSSL_SP_MATH_ALL);
    // exported by libwolfssl but outside the bindings' allowlist.
    fn sp_init(a: *mut w::mp_int) -> c_int;
}

/// wolfSSL keeps process-wide ECC state; call it from one thread at a time.
pub static WOLF: Mutex<()> = Mutex::new(());

/// wolfSSL's random generator.
pub struct Rng(Box<w::WC_RNG>);

impl Rng {
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        let mut r = Box::<w::WC_RNG>::default();
        // SAFETY: `r` is a valid, exclusively owned WC_RNG.
        assert_eq!(unsafe { w::wc_InitRng(&mut *r) }, 0);
        Rng(r)
    }
}

impl Drop for Rng {
    fn drop(&mut self) {
        // SAFETY: initialised by wc_InitRng, freed once.
        unsafe { w::wc_FreeRng(&mut *self.0) };
    }
}

/// An initialised `EccsiKey` (boxed: it must not move after initialisation).
pub struct Key(Box<w::EccsiKey>);

impl Key {
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        let mut k = Box::<w::EccsiKey>::default();
        // SAFETY: `k` is a valid, exclusively owned EccsiKey; no heap hint.
        assert_eq!(
            unsafe { w::wc_InitEccsiKey(&mut *k, ptr::null_mut(), INVALID_DEVID) },
            0
        );
        Key(k)
    }

    /// A key holding the KPAK (04 ‖ x ‖ y), checked by wolfSSL.
    pub fn with_kpak(kpak: &[u8]) -> Self {
        let mut k = Key::new();
        // SAFETY: the buffer is valid for its length; `trusted = 0` makes wolfSSL check the point.
        let rc = unsafe { w::wc_ImportEccsiPublicKey(k.p(), kpak.as_ptr(), kpak.len() as u32, 0) };
        assert_eq!(rc, 0, "wc_ImportEccsiPublicKey");
        k
    }

    /// A KMS key from KSAK (32 octets) and KPAK (04 ‖ x ‖ y).
    pub fn kms(ksak: &[u8; 32], kpak: &[u8; POINT_LEN]) -> Self {
        let mut k = Key::new();
        let mut kb = [0u8; 96];
        kb[..32].copy_from_slice(ksak);
        kb[32..].copy_from_slice(&kpak[1..]);
        // SAFETY: valid key; KSAK ‖ KPAK buffer of 3·32 octets.
        let rc = unsafe { w::wc_ImportEccsiKey(k.p(), kb.as_ptr(), 96) };
        assert_eq!(rc, 0, "wc_ImportEccsiKey");
        k
    }

    fn p(&mut self) -> *mut w::EccsiKey {
        &mut *self.0
    }

    /// Sets the signer's (SSK, PVT) for [`Key::sign`].
    pub fn set_pair(&mut self, ssk: &Mp, pvt: &Point) {
        // SAFETY: valid key, mp_int and point; wolfSSL copies both into the key.
        let rc = unsafe { w::wc_SetEccsiPair(self.p(), &*ssk.0, pvt.0) };
        assert_eq!(rc, 0, "wc_SetEccsiPair");
    }

    /// Sets HS from `id` and a PVT (for signing and verifying).
    pub fn set_hs(&mut self, id: &[u8], pvt: &Point) {
        let mut hs = [0u8; 64];
        let mut hs_len: u8 = 64;
        // SAFETY: valid key and point; `hs` holds up to 64 octets as declared.
        unsafe {
            let rc = w::wc_HashEccsiId(
                self.p(),
                SHA256,
                id.as_ptr(),
                id.len() as u32,
                pvt.0,
                hs.as_mut_ptr(),
                &mut hs_len,
            );
            assert_eq!(rc, 0, "wc_HashEccsiId");
            assert_eq!(w::wc_SetEccsiHash(self.p(), hs.as_ptr(), hs_len), 0);
        }
    }

    /// Signs `msg` with the pair and HS set.
    pub fn sign(&mut self, rng: &mut Rng, msg: &[u8]) -> [u8; SIGNATURE_LEN] {
        let mut sig = [0u8; SIGNATURE_LEN];
        let mut sz = SIGNATURE_LEN as u32;
        // SAFETY: valid key and RNG; `sig` holds SIGNATURE_LEN octets.
        let rc = unsafe {
            w::wc_SignEccsiHash(
                self.p(),
                &mut *rng.0,
                SHA256,
                msg.as_ptr(),
                msg.len() as u32,
                sig.as_mut_ptr(),
                &mut sz,
            )
        };
        assert_eq!(rc, 0, "wc_SignEccsiHash");
        assert_eq!(sz as usize, SIGNATURE_LEN);
        sig
    }

    /// Verifies `sig` on `msg` under the HS set (wolfSSL hashes the message itself).
    pub fn verify(&mut self, msg: &[u8], sig: &[u8]) -> bool {
        let mut ok: c_int = 0;
        // SAFETY: valid key; `msg` and `sig` valid for their lengths.
        let rc = unsafe {
            w::wc_VerifyEccsiHash(
                self.p(),
                SHA256,
                msg.as_ptr(),
                msg.len() as u32,
                sig.as_ptr(),
                sig.len() as u32,
                &mut ok,
            )
        };
        rc == 0 && ok == 1
    }

    /// The KMS issues (SSK, PVT) for `id` into `ssk` and `pvt`.
    pub fn make_pair(&mut self, rng: &mut Rng, id: &[u8], ssk: &mut Mp, pvt: &mut Point) {
        // SAFETY: valid key, RNG, mp_int and point; `id` valid for its length.
        let rc = unsafe {
            w::wc_MakeEccsiPair(
                self.p(),
                &mut *rng.0,
                SHA256,
                id.as_ptr(),
                id.len() as u32,
                &mut *ssk.0,
                pvt.0,
            )
        };
        assert_eq!(rc, 0, "wc_MakeEccsiPair");
    }

    /// The member's validation of (SSK, PVT) for `id` (RFC 6507 §5.1.2).
    pub fn validate_pair(&mut self, id: &[u8], ssk: &Mp, pvt: &mut Point) -> bool {
        let mut valid: c_int = 0;
        // SAFETY: valid key, mp_int and point; `id` valid for its length.
        let rc = unsafe {
            w::wc_ValidateEccsiPair(
                self.p(),
                SHA256,
                id.as_ptr(),
                id.len() as u32,
                &*ssk.0,
                pvt.0,
                &mut valid,
            )
        };
        assert_eq!(rc, 0, "wc_ValidateEccsiPair");
        valid == 1
    }
}

impl Drop for Key {
    fn drop(&mut self) {
        // SAFETY: initialised by wc_InitEccsiKey, freed once.
        unsafe { w::wc_FreeEccsiKey(&mut *self.0) };
    }
}

/// A wolfSSL multi-precision integer (an SSK).
pub struct Mp(Box<w::mp_int>);

impl Mp {
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        let mut m = Box::<w::mp_int>::default();
        // SAFETY: `m` is a valid, exclusively owned sp_int.
        assert_eq!(unsafe { sp_init(&mut *m) }, 0);
        Mp(m)
    }

    /// The integer, for the other wrappers of this crate.
    pub(crate) fn as_mut_ptr(&mut self) -> *mut w::mp_int {
        &mut *self.0
    }

    /// An SSK decoded by wolfSSL.
    pub fn from_bytes(key: &mut Key, b: &[u8]) -> Self {
        let mut m = Mp::new();
        // SAFETY: valid key and mp_int; the buffer is valid for its length.
        let rc = unsafe { w::wc_DecodeEccsiSsk(key.p(), b.as_ptr(), b.len() as u32, &mut *m.0) };
        assert_eq!(rc, 0, "wc_DecodeEccsiSsk");
        m
    }
}

/// A wolfSSL ECC point (a PVT).
pub struct Point(*mut w::ecc_point);

impl Point {
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        // SAFETY: allocates and initialises a point (null on allocation failure, checked).
        let p = unsafe { w::wc_ecc_new_point() };
        assert!(!p.is_null());
        Point(p)
    }

    /// A PVT (04 ‖ x ‖ y) decoded by wolfSSL.
    pub fn from_bytes(key: &mut Key, b: &[u8]) -> Self {
        let p = Point::new();
        // SAFETY: valid key and point; the buffer is valid for its length.
        let rc = unsafe { w::wc_DecodeEccsiPvt(key.p(), b.as_ptr(), b.len() as u32, p.0) };
        assert_eq!(rc, 0, "wc_DecodeEccsiPvt");
        p
    }

    /// The PVT carried in a signature.
    pub fn from_signature(key: &mut Key, sig: &[u8]) -> Self {
        let p = Point::new();
        // SAFETY: valid key and point; `sig` valid for its length.
        let rc =
            unsafe { w::wc_DecodeEccsiPvtFromSig(key.p(), sig.as_ptr(), sig.len() as u32, p.0) };
        assert_eq!(rc, 0, "wc_DecodeEccsiPvtFromSig");
        p
    }
}

impl Drop for Point {
    fn drop(&mut self) {
        // SAFETY: allocated by wc_ecc_new_point, freed once.
        unsafe { w::wc_ecc_del_point(self.0) };
    }
}

/// wolfSSL's KMS: (key, KSAK, KPAK).
pub fn wolf_kms(rng: &mut Rng) -> (Key, [u8; 32], [u8; POINT_LEN]) {
    let mut key = Key::new();
    let mut ksak = [0u8; 32];
    let mut kpak = [0u8; POINT_LEN];
    // SAFETY: valid key and RNG; output buffers valid for the sizes passed.
    unsafe {
        assert_eq!(w::wc_MakeEccsiKey(key.p(), &mut *rng.0), 0);
        let mut sz = 32u32;
        assert_eq!(
            w::wc_ExportEccsiPrivateKey(key.p(), ksak.as_mut_ptr(), &mut sz),
            0
        );
        assert_eq!(sz, 32);
        let mut sz = POINT_LEN as u32;
        assert_eq!(
            w::wc_ExportEccsiPublicKey(key.p(), kpak.as_mut_ptr(), &mut sz, 0),
            0
        );
        assert_eq!(sz as usize, POINT_LEN);
    }
    (key, ksak, kpak)
}

/// wolfSSL issues (SSK, PVT) for `id`, encoded.
pub fn wolf_issue(kms: &mut Key, rng: &mut Rng, id: &[u8]) -> ([u8; 32], [u8; POINT_LEN]) {
    let mut ssk = Mp::new();
    let mut pvt = Point::new();
    kms.make_pair(rng, id, &mut ssk, &mut pvt);
    let mut ssk_b = [0u8; 32];
    let mut pvt_b = [0u8; POINT_LEN];
    // SAFETY: valid key, mp_int and point; buffers valid for the sizes passed.
    unsafe {
        let mut sz = 32u32;
        assert_eq!(
            w::wc_EncodeEccsiSsk(kms.p(), &mut *ssk.0, ssk_b.as_mut_ptr(), &mut sz),
            0
        );
        assert_eq!(sz, 32);
        let mut sz = POINT_LEN as u32;
        assert_eq!(
            w::wc_EncodeEccsiPvt(kms.p(), pvt.0, pvt_b.as_mut_ptr(), &mut sz, 0),
            0
        );
        assert_eq!(sz as usize, POINT_LEN);
    }
    (ssk_b, pvt_b)
}

/// wolfSSL's member validation of (SSK, PVT) (RFC 6507 §5.1.2).
pub fn wolf_validate(kpak: &[u8], id: &[u8], ssk: &[u8], pvt: &[u8]) -> bool {
    let mut key = Key::with_kpak(kpak);
    let mp = Mp::from_bytes(&mut key, ssk);
    let mut point = Point::from_bytes(&mut key, pvt);
    key.validate_pair(id, &mp, &mut point)
}

/// wolfSSL signs `msg` as `id` with (SSK, PVT).
pub fn wolf_sign(
    kpak: &[u8],
    id: &[u8],
    ssk: &[u8],
    pvt: &[u8],
    msg: &[u8],
    rng: &mut Rng,
) -> [u8; SIGNATURE_LEN] {
    let mut key = Key::with_kpak(kpak);
    let mp = Mp::from_bytes(&mut key, ssk);
    let point = Point::from_bytes(&mut key, pvt);
    key.set_pair(&mp, &point);
    key.set_hs(id, &point);
    key.sign(rng, msg)
}

/// wolfSSL verifies `sig` on `msg` by `id` (HS from the signature's PVT).
pub fn wolf_verify(kpak: &[u8], id: &[u8], msg: &[u8], sig: &[u8]) -> bool {
    let mut key = Key::with_kpak(kpak);
    let point = Point::from_signature(&mut key, sig);
    key.set_hs(id, &point);
    key.verify(msg, sig)
}
