//! ECCSI interop with the system wolfSSL (through `prose_sec_peers`), both directions:
//! key pairs made by each side validated by the other, signatures made by each side verified by
//! the other, for random identifiers and for the RFC 6507 one.
#![allow(unsafe_code)]

use prose_sec::eccsi::{self, Kpak, Ksak, SigningKey, Ssk, Verifier};
use prose_sec::Error;
use rand_core::{OsRng, RngCore};

/// Safe wrappers over the raw wolfSSL ECCSI bindings (tests and `benches/eccsi.rs`).
#[allow(dead_code, clippy::new_without_default)]
pub mod wolf {
    use std::os::raw::c_int;
    use std::ptr;
    use std::sync::Mutex;

    use prose_sec::eccsi::{POINT_LEN, SIGNATURE_LEN};
    use prose_sec_peers as w;

    /// wolfSSL's `INVALID_DEVID` (no crypto callback device).
    pub const INVALID_DEVID: c_int = -2;
    pub const SHA256: w::wc_HashType = w::wc_HashType_WC_HASH_TYPE_SHA256;

    extern "C" {
        // `mp_init` is a macro for `sp_init` in this build (WOLFSSL_SP_MATH_ALL); exported by
        // libwolfssl but outside the peers crate's allowlist.
        fn sp_init(a: *mut w::mp_int) -> c_int;
    }

    /// wolfSSL keeps process-wide ECC state; call it from one thread at a time.
    pub static WOLF: Mutex<()> = Mutex::new(());

    pub struct Rng(pub Box<w::WC_RNG>);
    impl Rng {
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

    pub struct Key(pub Box<w::EccsiKey>);
    impl Key {
        pub fn new() -> Self {
            let mut k = Box::<w::EccsiKey>::default();
            // SAFETY: `k` is a valid, exclusively owned EccsiKey; no heap hint.
            assert_eq!(
                unsafe { w::wc_InitEccsiKey(&mut *k, ptr::null_mut(), INVALID_DEVID) },
                0
            );
            Key(k)
        }
        pub fn with_kpak(kpak: &[u8]) -> Self {
            let mut k = Key::new();
            // SAFETY: the buffer is valid for its length; `trusted = 0` makes wolfSSL check the point.
            let rc =
                unsafe { w::wc_ImportEccsiPublicKey(k.p(), kpak.as_ptr(), kpak.len() as u32, 0) };
            assert_eq!(rc, 0, "wc_ImportEccsiPublicKey");
            k
        }
        pub fn p(&mut self) -> *mut w::EccsiKey {
            &mut *self.0
        }
    }
    impl Drop for Key {
        fn drop(&mut self) {
            // SAFETY: initialised by wc_InitEccsiKey, freed once.
            unsafe { w::wc_FreeEccsiKey(&mut *self.0) };
        }
    }

    pub struct Mp(pub Box<w::mp_int>);
    impl Mp {
        pub fn new() -> Self {
            let mut m = Box::<w::mp_int>::default();
            // SAFETY: `m` is a valid, exclusively owned sp_int.
            assert_eq!(unsafe { sp_init(&mut *m) }, 0);
            Mp(m)
        }
        pub fn p(&mut self) -> *mut w::mp_int {
            &mut *self.0
        }
        /// An SSK decoded by wolfSSL.
        pub fn from_bytes(key: &mut Key, b: &[u8]) -> Self {
            let mut m = Mp::new();
            // SAFETY: valid key and mp_int; the buffer is valid for its length.
            let rc = unsafe { w::wc_DecodeEccsiSsk(key.p(), b.as_ptr(), b.len() as u32, m.p()) };
            assert_eq!(rc, 0, "wc_DecodeEccsiSsk");
            m
        }
    }

    pub struct Point(pub *mut w::ecc_point);
    impl Point {
        pub fn new() -> Self {
            // SAFETY: allocates and initialises a point (null on allocation failure, checked).
            let p = unsafe { w::wc_ecc_new_point() };
            assert!(!p.is_null());
            Point(p)
        }
        /// A PVT decoded by wolfSSL.
        pub fn from_bytes(key: &mut Key, b: &[u8]) -> Self {
            let p = Point::new();
            // SAFETY: valid key and point; the buffer is valid for its length.
            let rc = unsafe { w::wc_DecodeEccsiPvt(key.p(), b.as_ptr(), b.len() as u32, p.0) };
            assert_eq!(rc, 0, "wc_DecodeEccsiPvt");
            p
        }
    }
    impl Drop for Point {
        fn drop(&mut self) {
            // SAFETY: allocated by wc_ecc_new_point, freed once.
            unsafe { w::wc_ecc_del_point(self.0) };
        }
    }

    /// wolfSSL's KMS: (KSAK, KPAK).
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

    /// wolfSSL issues (SSK, PVT) for `id`.
    pub fn wolf_issue(kms: &mut Key, rng: &mut Rng, id: &[u8]) -> ([u8; 32], [u8; POINT_LEN]) {
        let mut ssk = Mp::new();
        let pvt = Point::new();
        let mut ssk_b = [0u8; 32];
        let mut pvt_b = [0u8; POINT_LEN];
        // SAFETY: valid key, RNG, mp_int and point; buffers valid for the sizes passed.
        unsafe {
            let rc = w::wc_MakeEccsiPair(
                kms.p(),
                &mut *rng.0,
                SHA256,
                id.as_ptr(),
                id.len() as u32,
                ssk.p(),
                pvt.0,
            );
            assert_eq!(rc, 0, "wc_MakeEccsiPair");
            let mut sz = 32u32;
            assert_eq!(
                w::wc_EncodeEccsiSsk(kms.p(), ssk.p(), ssk_b.as_mut_ptr(), &mut sz),
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
        let mut mp = Mp::new();
        let point = Point::new();
        let mut valid: c_int = 0;
        // SAFETY: valid key, mp_int and point; input buffers valid for their lengths.
        unsafe {
            assert_eq!(
                w::wc_DecodeEccsiSsk(key.p(), ssk.as_ptr(), ssk.len() as u32, mp.p()),
                0
            );
            assert_eq!(
                w::wc_DecodeEccsiPvt(key.p(), pvt.as_ptr(), pvt.len() as u32, point.0),
                0
            );
            let rc = w::wc_ValidateEccsiPair(
                key.p(),
                SHA256,
                id.as_ptr(),
                id.len() as u32,
                mp.p(),
                point.0,
                &mut valid,
            );
            assert_eq!(rc, 0, "wc_ValidateEccsiPair");
        }
        valid == 1
    }

    /// Sets HS in `key` from `id` and a PVT point.
    pub fn wolf_set_hs(key: &mut Key, id: &[u8], pvt: &Point) {
        let mut hs = [0u8; 64];
        let mut hs_len: u8 = 64;
        // SAFETY: valid key and point; `hs` holds up to 64 octets as declared.
        unsafe {
            let rc = w::wc_HashEccsiId(
                key.p(),
                SHA256,
                id.as_ptr(),
                id.len() as u32,
                pvt.0,
                hs.as_mut_ptr(),
                &mut hs_len,
            );
            assert_eq!(rc, 0, "wc_HashEccsiId");
            assert_eq!(w::wc_SetEccsiHash(key.p(), hs.as_ptr(), hs_len), 0);
        }
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
        let mut mp = Mp::new();
        let point = Point::new();
        let mut sig = [0u8; SIGNATURE_LEN];
        // SAFETY: valid key, mp_int, point and RNG; buffers valid for the sizes passed.
        unsafe {
            assert_eq!(
                w::wc_DecodeEccsiSsk(key.p(), ssk.as_ptr(), ssk.len() as u32, mp.p()),
                0
            );
            assert_eq!(
                w::wc_DecodeEccsiPvt(key.p(), pvt.as_ptr(), pvt.len() as u32, point.0),
                0
            );
            assert_eq!(w::wc_SetEccsiPair(key.p(), mp.p(), point.0), 0);
        }
        wolf_set_hs(&mut key, id, &point);
        let mut sz = SIGNATURE_LEN as u32;
        // SAFETY: as above; `sig` holds SIGNATURE_LEN octets.
        let rc = unsafe {
            w::wc_SignEccsiHash(
                key.p(),
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

    /// wolfSSL verifies `sig` on `msg` by `id` (HS from the signature's PVT).
    pub fn wolf_verify(kpak: &[u8], id: &[u8], msg: &[u8], sig: &[u8]) -> bool {
        let mut key = Key::with_kpak(kpak);
        let point = Point::new();
        // SAFETY: valid key and point; `sig` valid for its length.
        let rc = unsafe {
            w::wc_DecodeEccsiPvtFromSig(key.p(), sig.as_ptr(), sig.len() as u32, point.0)
        };
        assert_eq!(rc, 0, "wc_DecodeEccsiPvtFromSig");
        wolf_set_hs(&mut key, id, &point);
        let mut verified: c_int = 0;
        // SAFETY: valid key; `msg` and `sig` valid for their lengths.
        let rc = unsafe {
            w::wc_VerifyEccsiHash(
                key.p(),
                SHA256,
                msg.as_ptr(),
                msg.len() as u32,
                sig.as_ptr(),
                sig.len() as u32,
                &mut verified,
            )
        };
        rc == 0 && verified == 1
    }
}

use wolf::*;

fn random_id() -> Vec<u8> {
    let mut len = [0u8; 1];
    OsRng.fill_bytes(&mut len);
    let mut id = vec![0u8; 1 + len[0] as usize % 64];
    OsRng.fill_bytes(&mut id);
    id
}

fn random_msg() -> Vec<u8> {
    let mut len = [0u8; 2];
    OsRng.fill_bytes(&mut len);
    let mut m = vec![0u8; u16::from_le_bytes(len) as usize % 700];
    OsRng.fill_bytes(&mut m);
    m
}

const RFC_KPAK: &str = "0450D4670BDE75244F28D2838A0D25558A7A72686D4522D4C8273FB6442AEBFA93DBDD37551AFD263B5DFD617F3960C65A8C298850FF99F20366DCE7D4367217F4";
const RFC_ID: &str = "323031312D30320074656C3A2B34343737303039303031323300";
const RFC_SSK: &str = "23F374AE1F4033F3E9DBDDAAEF20F4CF0B86BBD5A138A5AE9E7E006B34489A0D";
const RFC_PVT: &str = "04758A142779BE89E829E71984CB40EF758CC4AD775FC5B9A3E1C8ED52F6FA36D9A79D247692F4EDA3A6BDAB77D6AA6474A464AE4934663C5265BA7018BA091F79";
const RFC_SIG: &str = "269D4C8FDEB66A74E4EF8C0D5DCC597DDFE6029C2AFFC4936008CD2CC1045D81E09B528D0EF8D6DF1AA3ECBF80110CFCEC9FC68252CEBB679F4134846940CCFD04758A142779BE89E829E71984CB40EF758CC4AD775FC5B9A3E1C8ED52F6FA36D9A79D247692F4EDA3A6BDAB77D6AA6474A464AE4934663C5265BA7018BA091F79";

fn h(s: &str) -> Vec<u8> {
    hex::decode(s).expect("hex")
}

#[test]
fn our_kms_pairs_validate_in_wolfssl() {
    let _g = WOLF.lock().unwrap_or_else(|e| e.into_inner());
    let ksak = Ksak::generate(&mut OsRng);
    let kpak = ksak.kpak().to_sec1();
    for i in 0..6 {
        let id = if i == 0 { h(RFC_ID) } else { random_id() };
        let (ssk, pvt) = ksak.issue(&id, &mut OsRng).unwrap();
        assert!(wolf_validate(&kpak, &id, &ssk.to_bytes(), &pvt));
        // Control: the same pair under another identifier is refused by wolfSSL too.
        let mut other = id.clone();
        other[0] ^= 1;
        assert!(!wolf_validate(&kpak, &other, &ssk.to_bytes(), &pvt));
    }
}

#[test]
fn wolfssl_kms_pairs_validate_here() {
    let _g = WOLF.lock().unwrap_or_else(|e| e.into_inner());
    let mut rng = Rng::new();
    let (mut kms, ksak, kpak_b) = wolf_kms(&mut rng);
    // Same KPAK from the exported KSAK.
    assert_eq!(Ksak::from_bytes(&ksak).unwrap().kpak().to_sec1(), kpak_b);
    let kpak = Kpak::from_sec1(&kpak_b).unwrap();
    for i in 0..6 {
        let id = if i == 0 { h(RFC_ID) } else { random_id() };
        let (ssk, pvt) = wolf_issue(&mut kms, &mut rng, &id);
        let ssk = Ssk::from_bytes(&ssk).unwrap();
        SigningKey::new(&kpak, &id, &ssk, &pvt).unwrap();
        let mut other = id.clone();
        other[0] ^= 1;
        assert_eq!(
            SigningKey::new(&kpak, &other, &ssk, &pvt).map(|_| ()),
            Err(Error::InvalidKey)
        );
    }
}

#[test]
fn our_signatures_verify_in_wolfssl() {
    let _g = WOLF.lock().unwrap_or_else(|e| e.into_inner());
    let ksak = Ksak::generate(&mut OsRng);
    let kpak = ksak.kpak();
    for i in 0..8 {
        let id = if i == 0 { h(RFC_ID) } else { random_id() };
        let (ssk, pvt) = ksak.issue(&id, &mut OsRng).unwrap();
        let key = SigningKey::new(&kpak, &id, &ssk, &pvt).unwrap();
        let msg = random_msg();
        let sig = key.sign(&msg, &mut OsRng).unwrap();
        assert!(wolf_verify(&kpak.to_sec1(), &id, &msg, &sig));
        let mut bad = msg.clone();
        bad.push(0);
        assert!(!wolf_verify(&kpak.to_sec1(), &id, &bad, &sig));
    }
    // The RFC key pair, random j.
    let kpak = Kpak::from_sec1(&h(RFC_KPAK)).unwrap();
    let key = SigningKey::new(
        &kpak,
        &h(RFC_ID),
        &Ssk::from_bytes(&h(RFC_SSK)).unwrap(),
        &h(RFC_PVT),
    )
    .unwrap();
    let sig = key.sign(b"message\0", &mut OsRng).unwrap();
    assert!(wolf_verify(&h(RFC_KPAK), &h(RFC_ID), b"message\0", &sig));
    // And the RFC's own signature.
    assert!(wolf_verify(
        &h(RFC_KPAK),
        &h(RFC_ID),
        b"message\0",
        &h(RFC_SIG)
    ));
}

#[test]
fn wolfssl_signatures_verify_here() {
    let _g = WOLF.lock().unwrap_or_else(|e| e.into_inner());
    let mut rng = Rng::new();
    let (mut kms, _, kpak_b) = wolf_kms(&mut rng);
    let kpak = Kpak::from_sec1(&kpak_b).unwrap();
    for i in 0..8 {
        let id = if i == 0 { h(RFC_ID) } else { random_id() };
        let (ssk, pvt) = wolf_issue(&mut kms, &mut rng, &id);
        let msg = random_msg();
        let sig = wolf_sign(&kpak_b, &id, &ssk, &pvt, &msg, &mut rng);
        eccsi::verify(&kpak, &id, &msg, &sig).unwrap();
        Verifier::new(&kpak, &id, &pvt)
            .unwrap()
            .verify(&msg, &sig)
            .unwrap();
        let mut bad = sig;
        bad[40] ^= 0x10;
        assert_eq!(
            eccsi::verify(&kpak, &id, &msg, &bad),
            Err(Error::InvalidSignature)
        );
    }
    // wolfSSL signing with the RFC key pair.
    let msg = b"message\0";
    let sig = wolf_sign(
        &h(RFC_KPAK),
        &h(RFC_ID),
        &h(RFC_SSK),
        &h(RFC_PVT),
        msg,
        &mut rng,
    );
    let kpak = Kpak::from_sec1(&h(RFC_KPAK)).unwrap();
    eccsi::verify(&kpak, &h(RFC_ID), msg, &sig).unwrap();
}
