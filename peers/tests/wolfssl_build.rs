//! The wolfSSL linked is the one asked for (`PROSE_WOLFSSL_SP_DIR` at build time: the SP
//! assembly build), and its per-member precomputation (the RSK table, SP build only) decapsulates
//! our SEDs.
use prose_sec::sakke::{self, KmsSecret, Ssv};
use prose_sec_peers::wolfssl::{sakke as wolf, BUILD};
use rand_core::{OsRng, RngCore};

fn sp_asked() -> bool {
    option_env!("PROSE_WOLFSSL_SP_DIR").is_some_and(|v| !v.is_empty())
}

#[test]
fn linked_wolfssl_is_the_one_asked_for() {
    assert_eq!(BUILD, if sp_asked() { "sp" } else { "debian" });
}

#[test]
fn rsk_table_decapsulates_our_seds() {
    let z = KmsSecret::generate(&mut OsRng);
    let kms = z.public();
    let _g = wolf::lock();
    for n in 0..3u8 {
        let id = format!("2026-12\0tel:+4477009001{n:02}\0").into_bytes();
        let rsk = z.issue_rsk(&id).unwrap();
        let mut member = wolf::Key::client(&kms.to_bytes()).unwrap();
        let table = member.import_rsk_with_table(&rsk.to_bytes()).unwrap();
        // Debian's 5.5.4 has no table (length 0); the SP build has one.
        assert_eq!(table > 0, BUILD == "sp", "table of {table} octets");
        for _ in 0..2 {
            let mut s = [0u8; 16];
            OsRng.fill_bytes(&mut s);
            let sed = sakke::encapsulate(&kms, &id, &Ssv::new(s)).unwrap();
            assert_eq!(member.derive(&id, &sed).unwrap(), s);
            let mut bad = sed;
            bad[270] ^= 1;
            assert_ne!(member.derive(&id, &bad).ok(), Some(s));
        }
    }
}
