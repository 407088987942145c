//! Interop with the system wolfSSL (through `prose_sec_peers`), both directions: wolfSSL
//! accepts our RSKs and decapsulates our SEDs; we accept its RSKs and decapsulate its SEDs. For
//! the RFC 6508 identity and for random identifiers and KMS keys. The thin safe wrapper below
//! (module `wolf`) is also used by `benches/sakke.rs`.

/// Safe wrapper over the raw wolfSSL SAKKE bindings (tests and benchmarks only).
#[allow(dead_code)]
pub mod wolf {
    use prose_sec_peers as ffi;
    use std::sync::{Mutex, MutexGuard};

    /// wolfSSL's SAKKE code keeps process-wide state (point cache): serialise every use.
    static LOCK: Mutex<()> = Mutex::new(());

    pub fn lock() -> MutexGuard<'static, ()> {
        LOCK.lock().unwrap_or_else(|e| e.into_inner())
    }

    const INVALID_DEVID: i32 = -2;

    /// An initialised `SakkeKey` (boxed: it must not move after initialisation).
    pub struct Key(Box<ffi::SakkeKey>, Option<Point>);

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
            Key(k, None)
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
                ffi::wc_ValidateSakkeRsk(
                    &mut *self.0,
                    id.as_ptr(),
                    id.len() as u16,
                    p.0,
                    &mut valid,
                )
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
            Ok(())
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
            // SAFETY: initialised by wc_InitSakkeKey; freed once (before the RSK point).
            unsafe { ffi::wc_FreeSakkeKey(&mut *self.0) }
            self.1 = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::wolf;
    use prose_sec::sakke::{self, DecapsulationKey, KmsPublic, KmsSecret, Ssv};
    use prose_sec::Error;
    use rand_core::{OsRng, RngCore};

    const RFC_Z: &str = "AFF429D35F84B110D094803B3595A6E2998BC99F";
    const RFC_ID: &[u8] = b"2011-02\0tel:+447700900123\0";

    fn random_id() -> Vec<u8> {
        let mut n = [0u8; 1];
        OsRng.fill_bytes(&mut n);
        let mut id = vec![0u8; 1 + (n[0] as usize % 64)];
        OsRng.fill_bytes(&mut id);
        id
    }

    fn kms_pair(z: &KmsSecret) -> wolf::Key {
        wolf::Key::kms(&z.to_bytes(), &z.public().to_bytes()).expect("wolf imports our KMS key")
    }

    fn check_identity(z: &KmsSecret, id: &[u8]) {
        let kms = z.public();
        let _g = wolf::lock();
        let mut wk = kms_pair(z);
        // RSK: same value from both; each validates the other's
        let ours = z.issue_rsk(id).unwrap();
        let theirs = wk.make_rsk(id).unwrap();
        assert_eq!(ours.to_bytes(), theirs);
        assert_eq!(wk.validate_rsk(id, &ours.to_bytes()), Ok(true));
        let theirs = sakke::Rsk::from_bytes(&theirs).unwrap();
        sakke::validate_rsk(&kms, id, &theirs).unwrap();
        // wolfSSL rejects an RSK for another identity too (sanity of the harness)
        let other = z.issue_rsk(b"someone else").unwrap();
        assert_eq!(wk.validate_rsk(id, &other.to_bytes()), Ok(false));

        // our SED -> wolfSSL; wolfSSL's SED -> us; both deterministic, so equal
        let mut s = [0u8; 16];
        OsRng.fill_bytes(&mut s);
        let ssv = Ssv::new(s);
        let sed = sakke::encapsulate(&kms, id, &ssv).unwrap();
        let mut client = wolf::Key::client(&kms.to_bytes()).unwrap();
        client.import_rsk(&ours.to_bytes()).unwrap();
        assert_eq!(client.derive(id, &sed).unwrap(), s);
        let wsed = client.encapsulate(id, &s).unwrap();
        assert_eq!(wsed, sed);
        let mut s2 = [0u8; 16];
        OsRng.fill_bytes(&mut s2);
        let wsed2 = client.encapsulate(id, &s2).unwrap();
        assert_eq!(
            sakke::decapsulate(&kms, id, &ours, &wsed2)
                .unwrap()
                .as_bytes(),
            &s2
        );
        let dk = DecapsulationKey::new(&kms, id, &ours).unwrap();
        assert_eq!(dk.decapsulate(&wsed2).unwrap().as_bytes(), &s2);
        // a tampered SED is refused by both
        let mut bad = wsed2;
        bad[260] ^= 4;
        assert_eq!(dk.decapsulate(&bad).err(), Some(Error::AuthFailed));
        assert!(client.derive(id, &bad).map(|v| v != s2).unwrap_or(true));
    }

    #[test]
    fn rfc_identity_with_rfc_kms() {
        let z = KmsSecret::from_bytes(&hex::decode(RFC_Z).unwrap()).unwrap();
        check_identity(&z, RFC_ID);
    }

    #[test]
    fn random_identities_with_rfc_kms() {
        let z = KmsSecret::from_bytes(&hex::decode(RFC_Z).unwrap()).unwrap();
        for _ in 0..3 {
            check_identity(&z, &random_id());
        }
    }

    #[test]
    fn random_kms_keys_and_identities() {
        for _ in 0..2 {
            let z = KmsSecret::generate(&mut OsRng);
            check_identity(&z, &random_id());
            check_identity(&z, RFC_ID);
        }
    }

    #[test]
    fn wolfssl_kms_public_key_matches_ours() {
        let z = KmsSecret::from_bytes(&hex::decode(RFC_Z).unwrap()).unwrap();
        let kms = z.public();
        let _g = wolf::lock();
        // wolfSSL accepts our Z with its own validation (trusted = 0)
        assert!(wolf::Key::client(&kms.to_bytes()).is_ok());
        // and refuses a Z off the curve, as we do
        let mut off = kms.to_bytes();
        off[100] ^= 1;
        assert!(wolf::Key::client(&off).is_err());
        assert_eq!(KmsPublic::from_bytes(&off).err(), Some(Error::InvalidPoint));
    }
}
