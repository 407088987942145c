//! wolfSSL's SAKKE and ECCSI behind the MIKEY crypto traits of prose-sec: the independent peer
//! of the MIKEY tests and benchmarks for the identity-based parts.

use crate::sys as w;
use prose_sec::mikey::{
    MessageSigner, SakkeDecapsulator, SakkeEncapsulator, SignatureVerifier, SED_LEN, SIGNATURE_LEN,
    SSV_LEN,
};
use prose_sec::{Error, Result};
use zeroize::Zeroizing;

const DEVID: i32 = -2; // INVALID_DEVID
const SHA256: w::wc_HashType = w::wc_HashType_WC_HASH_TYPE_SHA256;

/// A zero-filled heap value of a C struct (the state wolfSSL's init functions expect).
///
/// # Safety
/// `T` must be a plain C struct for which all-zero bytes are a valid value.
unsafe fn zeroed_box<T>() -> Box<T> {
    let layout = std::alloc::Layout::new::<T>();
    // SAFETY: the layout is non-zero-sized for the wolfSSL structs used here; the
    // allocation is checked and handed to Box with the same layout.
    let p = unsafe { std::alloc::alloc_zeroed(layout) } as *mut T;
    assert!(!p.is_null(), "allocation failed");
    // SAFETY: p is a live, zeroed allocation of T's layout; zeroes are a valid T (caller).
    unsafe { Box::from_raw(p) }
}

struct Sakke(Box<w::SakkeKey>);
impl Sakke {
    fn new(z: &[u8]) -> Result<Self> {
        // SAFETY: a zeroed SakkeKey is the state wc_InitSakkeKey expects to initialise.
        let mut k: Box<w::SakkeKey> = unsafe { zeroed_box() };
        // SAFETY: k is a valid, exclusively owned SakkeKey.
        if unsafe { w::wc_InitSakkeKey(&mut *k, core::ptr::null_mut(), DEVID) } != 0 {
            return Err(Error::InvalidKey);
        }
        let mut s = Sakke(k);
        let raw = z.strip_prefix(&[4]).unwrap_or(z);
        // SAFETY: raw is a live slice of the given length.
        if unsafe { w::wc_ImportSakkePublicKey(&mut *s.0, raw.as_ptr(), raw.len() as u32, 1) } != 0
        {
            return Err(Error::InvalidPoint);
        }
        Ok(s)
    }
}
impl Drop for Sakke {
    fn drop(&mut self) {
        // SAFETY: the key was initialised by wc_InitSakkeKey.
        unsafe { w::wc_FreeSakkeKey(&mut *self.0) };
    }
}

/// KMS public key Z: encapsulates to any identity.
pub struct WolfKms {
    pub z: Vec<u8>,
}

impl SakkeEncapsulator for WolfKms {
    fn encapsulate(&self, id: &[u8], ssv: &[u8; SSV_LEN]) -> Result<[u8; SED_LEN]> {
        let mut k = Sakke::new(&self.z)?;
        let mut h = *ssv;
        let mut auth = [0u8; 257];
        let mut auth_len = auth.len() as u16;
        // SAFETY: id/h/auth are live buffers of the lengths passed.
        unsafe {
            if w::wc_SetSakkeIdentity(&mut *k.0, id.as_ptr(), id.len() as u16) != 0 {
                return Err(Error::InvalidParameter);
            }
            if w::wc_MakeSakkeEncapsulatedSSV(
                &mut *k.0,
                SHA256,
                h.as_mut_ptr(),
                h.len() as u16,
                auth.as_mut_ptr(),
                &mut auth_len,
            ) != 0
            {
                return Err(Error::InvalidParameter);
            }
        }
        let mut sed = [0u8; SED_LEN];
        sed[..257].copy_from_slice(&auth);
        sed[257..].copy_from_slice(&h);
        Ok(sed)
    }
}

/// A member's RSK for one identity.
pub struct WolfMember {
    pub z: Vec<u8>,
    pub id: Vec<u8>,
    pub rsk: Vec<u8>,
}

impl SakkeDecapsulator for WolfMember {
    fn identity(&self) -> &[u8] {
        &self.id
    }
    fn decapsulate(&self, sed: &[u8]) -> Result<Zeroizing<[u8; SSV_LEN]>> {
        if sed.len() != SED_LEN {
            return Err(Error::Parse);
        }
        let mut k = Sakke::new(&self.z)?;
        let mut ssv = Zeroizing::new([0u8; SSV_LEN]);
        ssv.copy_from_slice(&sed[257..]);
        // SAFETY: all buffers live and of the lengths passed.
        unsafe {
            let point = Point::new();
            let rsk = &self.rsk[..];
            if w::wc_DecodeSakkeRsk(&*k.0, rsk.as_ptr(), rsk.len() as u32, point.0) != 0 {
                let raw = &rsk[1..];
                if w::wc_DecodeSakkeRsk(&*k.0, raw.as_ptr(), raw.len() as u32, point.0) != 0 {
                    return Err(Error::InvalidKey);
                }
            }
            if w::wc_SetSakkeRsk(&mut *k.0, point.0, core::ptr::null_mut(), 0) != 0 {
                return Err(Error::InvalidKey);
            }
            if w::wc_SetSakkeIdentity(&mut *k.0, self.id.as_ptr(), self.id.len() as u16) != 0 {
                return Err(Error::InvalidParameter);
            }
            if w::wc_DeriveSakkeSSV(
                &mut *k.0,
                SHA256,
                ssv.as_mut_ptr(),
                SSV_LEN as u16,
                sed.as_ptr(),
                257,
            ) != 0
            {
                return Err(Error::AuthFailed);
            }
        }
        Ok(ssv)
    }
}

struct Eccsi(Box<w::EccsiKey>);
impl Eccsi {
    fn new(kpak: &[u8]) -> Result<Self> {
        // SAFETY: a zeroed EccsiKey is the state wc_InitEccsiKey expects to initialise.
        let mut k: Box<w::EccsiKey> = unsafe { zeroed_box() };
        // SAFETY: k is valid and exclusively owned.
        if unsafe { w::wc_InitEccsiKey(&mut *k, core::ptr::null_mut(), DEVID) } != 0 {
            return Err(Error::InvalidKey);
        }
        let mut e = Eccsi(k);
        let raw = kpak.strip_prefix(&[4]).unwrap_or(kpak);
        // SAFETY: raw is live.
        if unsafe { w::wc_ImportEccsiPublicKey(&mut *e.0, raw.as_ptr(), raw.len() as u32, 1) } != 0
        {
            return Err(Error::InvalidPoint);
        }
        Ok(e)
    }
    /// Sets HS for (id, pvt point).
    ///
    /// # Safety
    /// `pvt` must be a live point from `wc_ecc_new_point`.
    unsafe fn set_hash(&mut self, id: &[u8], pvt: *mut w::ecc_point) -> Result<()> {
        let mut hash = [0u8; 32];
        let mut hl = 32u8;
        // SAFETY: the key is initialised, pvt is live (caller), the buffers are live for the
        // lengths passed.
        if unsafe {
            w::wc_HashEccsiId(
                &mut *self.0,
                SHA256,
                id.as_ptr(),
                id.len() as u32,
                pvt,
                hash.as_mut_ptr(),
                &mut hl,
            )
        } != 0
        {
            return Err(Error::InvalidSignature);
        }
        // SAFETY: the key is initialised; hash holds hl octets.
        if unsafe { w::wc_SetEccsiHash(&mut *self.0, hash.as_ptr(), hl) } != 0 {
            return Err(Error::InvalidSignature);
        }
        Ok(())
    }
}
impl Drop for Eccsi {
    fn drop(&mut self) {
        // SAFETY: initialised by wc_InitEccsiKey.
        unsafe { w::wc_FreeEccsiKey(&mut *self.0) };
    }
}

struct Point(*mut w::ecc_point);
impl Point {
    fn new() -> Self {
        // SAFETY: allocation only.
        Point(unsafe { w::wc_ecc_new_point() })
    }
}
impl Drop for Point {
    fn drop(&mut self) {
        // SAFETY: allocated by wc_ecc_new_point.
        unsafe { w::wc_ecc_del_point(self.0) };
    }
}

/// Verifies under a KPAK.
pub struct WolfVerifier {
    pub kpak: Vec<u8>,
}

impl SignatureVerifier for WolfVerifier {
    fn verify(&self, signer: &[u8], msg: &[u8], sig: &[u8]) -> Result<()> {
        if sig.len() != SIGNATURE_LEN {
            return Err(Error::InvalidSignature);
        }
        let mut k = Eccsi::new(&self.kpak)?;
        let pvt = Point::new();
        let mut ok = 0i32;
        // SAFETY: buffers live; pvt allocated.
        unsafe {
            if w::wc_DecodeEccsiPvtFromSig(&*k.0, sig.as_ptr(), sig.len() as u32, pvt.0) != 0 {
                return Err(Error::InvalidSignature);
            }
            k.set_hash(signer, pvt.0)?;
            if w::wc_VerifyEccsiHash(
                &mut *k.0,
                SHA256,
                msg.as_ptr(),
                msg.len() as u32,
                sig.as_ptr(),
                sig.len() as u32,
                &mut ok,
            ) != 0
            {
                return Err(Error::InvalidSignature);
            }
        }
        if ok == 1 {
            Ok(())
        } else {
            Err(Error::InvalidSignature)
        }
    }
}

/// Signs as one identity (SSK, PVT).
pub struct WolfSigner {
    pub kpak: Vec<u8>,
    pub id: Vec<u8>,
    pub ssk: Vec<u8>,
    pub pvt: Vec<u8>,
}

impl MessageSigner for WolfSigner {
    fn identity(&self) -> &[u8] {
        &self.id
    }
    fn sign(&self, msg: &[u8]) -> Result<[u8; SIGNATURE_LEN]> {
        let mut k = Eccsi::new(&self.kpak)?;
        let pvt = Point::new();
        let mut ssk = super::eccsi::Mp::new();
        let mut sig = [0u8; SIGNATURE_LEN];
        let mut sl = SIGNATURE_LEN as u32;
        // SAFETY: buffers live; the RNG is initialised and freed here.
        unsafe {
            if w::wc_DecodeEccsiSsk(
                &*k.0,
                self.ssk.as_ptr(),
                self.ssk.len() as u32,
                ssk.as_mut_ptr(),
            ) != 0
            {
                return Err(Error::InvalidKey);
            }
            let p = self.pvt.strip_prefix(&[4]).unwrap_or(&self.pvt);
            if w::wc_DecodeEccsiPvt(&*k.0, p.as_ptr(), p.len() as u32, pvt.0) != 0 {
                return Err(Error::InvalidKey);
            }
            if w::wc_SetEccsiPair(&mut *k.0, ssk.as_mut_ptr(), pvt.0) != 0 {
                return Err(Error::InvalidKey);
            }
            k.set_hash(&self.id, pvt.0)?;
            let mut rng: Box<w::WC_RNG> = zeroed_box();
            if w::wc_InitRng(&mut *rng) != 0 {
                return Err(Error::Rng);
            }
            let rc = w::wc_SignEccsiHash(
                &mut *k.0,
                &mut *rng,
                SHA256,
                msg.as_ptr(),
                msg.len() as u32,
                sig.as_mut_ptr(),
                &mut sl,
            );
            w::wc_FreeRng(&mut *rng);
            if rc != 0 || sl as usize != SIGNATURE_LEN {
                return Err(Error::InvalidKey);
            }
        }
        Ok(sig)
    }
}
