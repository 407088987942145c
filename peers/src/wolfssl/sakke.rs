//! Safe wrapper over wolfSSL's SAKKE (RFC 6508): KMS key import, RSK issue and validation,
//! encapsulation and decapsulation, with or without wolfSSL's RSK precomputation table.
use crate::sys as ffi;
use std::sync::{Mutex, MutexGuard};

/// wolfSSL's SAKKE code keeps process-wide state (point cache): serialise every use.
static LOCK: Mutex<()> = Mutex::new(());

/// Holds wolfSSL's SAKKE lock.
pub fn lock() -> MutexGuard<'static, ()> {
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

const INVALID_DEVID: i32 = -2;

/// wolfSSL's `LENGTH_ONLY_E`: the length of an output was returned, nothing written.
const LENGTH_ONLY_E: i32 = -202;

/// An initialised `SakkeKey` (boxed: it must not move after initialisation), with the RSK
/// point and precomputation table it refers to.
pub struct Key(Box<ffi::SakkeKey>, Option<Point>, Option<Vec<u8>>);

struct Point(*mut ffi::ecc_point);
impl Point {
    fn new() -> Point {
        // SAFETY: allocates a fresh point; checked for NULL below.
        let p = unsafe { ffi::wc_ecc_new_point() };
        assert!(!p.is_null());
        Point(p)
    }
}
impl Drop for Point {
    fn drop(&mut self) {
        // SAFETY: the point came from wc_ecc_new_point and is freed once.
        unsafe { ffi::wc_ecc_del_point(self.0) }
    }
}

fn rc(r: i32) -> Result<(), i32> {
    if r == 0 {
        Ok(())
    } else {
        Err(r)
    }
}

impl Key {
    fn init() -> Key {
        let mut k = Box::new(ffi::SakkeKey::default());
        // SAFETY: `k` is a valid, writable SakkeKey that stays at this address.
        let r = unsafe { ffi::wc_InitSakkeKey(&mut *k, core::ptr::null_mut(), INVALID_DEVID) };
        assert_eq!(r, 0, "wc_InitSakkeKey");
        Key(k, None, None)
    }

    /// KMS key pair: z (128 octets) and Z (04 ‖ x ‖ y).
    pub fn kms(z: &[u8; 128], zpub: &[u8; 257]) -> Result<Key, i32> {
        let mut k = Key::init();
        let mut data = Vec::with_capacity(384);
        data.extend_from_slice(z);
        data.extend_from_slice(&zpub[1..]);
        // SAFETY: data is a live buffer of the given length; key initialised.
        rc(unsafe { ffi::wc_ImportSakkeKey(&mut *k.0, data.as_ptr(), data.len() as u32) })?;
        Ok(k)
    }

    /// Client key with the KMS public key Z (04 ‖ x ‖ y), checked by wolfSSL.
    pub fn client(zpub: &[u8]) -> Result<Key, i32> {
        let mut k = Key::init();
        // SAFETY: zpub is a live buffer of the given length; key initialised.
        rc(unsafe {
            ffi::wc_ImportSakkePublicKey(&mut *k.0, zpub.as_ptr(), zpub.len() as u32, 0)
        })?;
        Ok(k)
    }

    /// RSK for `id` (KMS key), encoded 04 ‖ x ‖ y.
    pub fn make_rsk(&mut self, id: &[u8]) -> Result<[u8; 257], i32> {
        let p = Point::new();
        // SAFETY: id is live for idSz octets; p is a valid point.
        rc(unsafe { ffi::wc_MakeSakkeRsk(&mut *self.0, id.as_ptr(), id.len() as u16, p.0) })?;
        let mut out = [0u8; 257];
        let mut sz = 257u32;
        // SAFETY: out has room for sz octets.
        rc(unsafe { ffi::wc_EncodeSakkeRsk(&*self.0, p.0, out.as_mut_ptr(), &mut sz, 0) })?;
        assert_eq!(sz, 257);
        Ok(out)
    }

    /// wolfSSL's RSK validation (`wc_ValidateSakkeRsk`).
    pub fn validate_rsk(&mut self, id: &[u8], rsk: &[u8]) -> Result<bool, i32> {
        let p = Point::new();
        // SAFETY: rsk is live for its length; p is a valid point.
        rc(unsafe { ffi::wc_DecodeSakkeRsk(&*self.0, rsk.as_ptr(), rsk.len() as u32, p.0) })?;
        let mut valid = 0i32;
        // SAFETY: id live for idSz octets; valid is writable.
        rc(unsafe {
            ffi::wc_ValidateSakkeRsk(&mut *self.0, id.as_ptr(), id.len() as u16, p.0, &mut valid)
        })?;
        Ok(valid == 1)
    }

    /// Sets the member's RSK (04 ‖ x ‖ y) with `wc_SetSakkeRsk` (no table).
    pub fn import_rsk(&mut self, rsk: &[u8]) -> Result<(), i32> {
        let p = Point::new();
        // SAFETY: rsk is live for its length; p is a valid point.
        rc(unsafe { ffi::wc_DecodeSakkeRsk(&*self.0, rsk.as_ptr(), rsk.len() as u32, p.0) })?;
        // SAFETY: p stays alive in self (wolfSSL may keep a reference to it).
        rc(unsafe { ffi::wc_SetSakkeRsk(&mut *self.0, p.0, core::ptr::null_mut(), 0) })?;
        self.1 = Some(p);
        self.2 = None;
        Ok(())
    }

    /// Sets the member's RSK (04 ‖ x ‖ y) with wolfSSL's precomputation table
    /// (`wc_GenerateSakkeRskTable` + `wc_SetSakkeRsk`); returns the table's length, 0 when this
    /// build of wolfSSL has no table (then it is [`Key::import_rsk`]).
    pub fn import_rsk_with_table(&mut self, rsk: &[u8]) -> Result<usize, i32> {
        let p = Point::new();
        // SAFETY: rsk is live for its length; p is a valid point.
        rc(unsafe { ffi::wc_DecodeSakkeRsk(&*self.0, rsk.as_ptr(), rsk.len() as u32, p.0) })?;
        let mut len = 0u32;
        // SAFETY: a NULL table asks for the table's length only.
        let r = unsafe {
            ffi::wc_GenerateSakkeRskTable(&*self.0, p.0, core::ptr::null_mut(), &mut len)
        };
        if r != LENGTH_ONLY_E && r != 0 {
            return Err(r);
        }
        let mut table = vec![0u8; len as usize];
        if len > 0 {
            // SAFETY: table has room for len octets.
            rc(unsafe {
                ffi::wc_GenerateSakkeRskTable(&*self.0, p.0, table.as_mut_ptr(), &mut len)
            })?;
            table.truncate(len as usize);
        }
        let tp = if table.is_empty() {
            core::ptr::null_mut()
        } else {
            table.as_mut_ptr()
        };
        // SAFETY: p and the table stay alive (and unmoved: a Vec's heap buffer) in self for as
        // long as the key refers to them.
        rc(unsafe { ffi::wc_SetSakkeRsk(&mut *self.0, p.0, tp, table.len() as u32) })?;
        self.1 = Some(p);
        self.2 = Some(table);
        Ok(len as usize)
    }

    pub fn set_identity(&mut self, id: &[u8]) -> Result<(), i32> {
        // SAFETY: id is live for idSz octets.
        rc(unsafe { ffi::wc_SetSakkeIdentity(&mut *self.0, id.as_ptr(), id.len() as u16) })
    }

    /// Encapsulates `ssv` to the identity set: returns R ‖ H.
    pub fn encapsulate(&mut self, id: &[u8], ssv: &[u8; 16]) -> Result<[u8; 273], i32> {
        self.set_identity(id)?;
        let mut buf = *ssv;
        let mut out = [0u8; 273];
        let mut auth_sz = 257u16;
        // SAFETY: buf has 16 octets; out has room for 257 octets of R.
        rc(unsafe {
            ffi::wc_MakeSakkeEncapsulatedSSV(
                &mut *self.0,
                ffi::wc_HashType_WC_HASH_TYPE_SHA256,
                buf.as_mut_ptr(),
                16,
                out.as_mut_ptr(),
                &mut auth_sz,
            )
        })?;
        assert_eq!(auth_sz, 257);
        out[257..].copy_from_slice(&buf);
        Ok(out)
    }

    /// Derives the SSV from R ‖ H for the identity (the RSK must be imported).
    pub fn derive(&mut self, id: &[u8], sed: &[u8; 273]) -> Result<[u8; 16], i32> {
        self.set_identity(id)?;
        let mut buf = [0u8; 16];
        buf.copy_from_slice(&sed[257..]);
        // SAFETY: buf has 16 octets; sed has 257 octets of R.
        rc(unsafe {
            ffi::wc_DeriveSakkeSSV(
                &mut *self.0,
                ffi::wc_HashType_WC_HASH_TYPE_SHA256,
                buf.as_mut_ptr(),
                16,
                sed.as_ptr(),
                257,
            )
        })?;
        Ok(buf)
    }
}

impl Drop for Key {
    fn drop(&mut self) {
        // SAFETY: initialised by wc_InitSakkeKey; freed once (before the RSK point and table).
        unsafe { ffi::wc_FreeSakkeKey(&mut *self.0) }
        self.1 = None;
        self.2 = None;
    }
}
