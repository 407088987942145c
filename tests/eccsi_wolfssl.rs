//! ECCSI interop with the system wolfSSL (through `prose_sec_peers`), both directions:
//! key pairs made by each side validated by the other, signatures made by each side verified by
//! the other, for random identifiers and for the RFC 6507 one. The safe wrapper is
//! `prose_sec_peers::wolfssl::eccsi`, also used by the benchmarks.

use prose_sec::eccsi::{self, Kpak, Ksak, SigningKey, Ssk, Verifier};
use prose_sec::Error;
use rand_core::{OsRng, RngCore};

use prose_sec_peers::wolfssl::eccsi::*;

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
