//! Interop with the system wolfSSL (through `prose_sec_peers`), both directions: wolfSSL
//! accepts our RSKs and decapsulates our SEDs; we accept its RSKs and decapsulate its SEDs. For
//! the RFC 6508 identity and for random identifiers and KMS keys. The safe wrapper is
//! `prose_sec_peers::wolfssl::sakke`, also used by the benchmarks.

#[cfg(test)]
mod tests {
    use prose_sec::sakke::{self, DecapsulationKey, KmsPublic, KmsSecret, Ssv};
    use prose_sec::Error;
    use prose_sec_peers::wolfssl::sakke as wolf;
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
