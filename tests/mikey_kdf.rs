//! MIKEY key derivation against vectors and an independent reference: PRF (both hashes, the
//! 256-bit chunking), TS 33.180 UID / GUK-ID / SRTP master key and salt, the key-parameters
//! GEN EXT of the vendor messages, AES-KW (RFC 3394), AES-CM IV.

use prose_sec_peers::vectors;

use proptest::prelude::*;
use prose_sec::mikey::{genext, kemac, prf, uid, Message, TransportKeys};
use prose_sec::Error;
use sha1::Digest;

const FILE: &str = "mikey_ts33180.txt";

#[test]
fn uid_vectors() {
    for b in vectors::load(FILE, "uid") {
        let got = uid::uid(
            b.get("uri").as_bytes(),
            b.get("kms_uri").as_bytes(),
            b.u64("key_period"),
            b.u64("key_period_offset"),
            b.u64("key_period_no"),
        )
        .unwrap();
        assert_eq!(got.to_vec(), b.hex("uid"));
    }
}

#[test]
fn vendor_user_uids() {
    let kms = vectors::load(FILE, "kms").pop().unwrap();
    let kms_uri = kms.get("kms_uri").to_string();
    let period = kms.u64("key_period");
    let offset = kms.u64("key_period_offset");
    let _ = (kms.get("z"), kms.get("kpak"));
    for u in vectors::load(FILE, "user") {
        let name = u.get("name").to_string();
        let no = u.u64("key_period_no");
        let got = uid::uid(
            u.get("uri").as_bytes(),
            kms_uri.as_bytes(),
            period,
            offset,
            no,
        )
        .unwrap();
        assert_eq!(got.to_vec(), u.hex("uid"), "{name}");
        // The key period number of the vendor messages' timestamp.
        let _ = (u.get("rsk"), u.get("ssk"), u.get("pvt"));
    }
    // T of the vendor messages is 0xec898da8 NTP seconds: period number 236.
    assert_eq!(uid::key_period_no(0xec898da8, period, offset).unwrap(), 236);
    assert_eq!(uid::key_period_no(5, 0, 0), Err(Error::InvalidParameter));
    assert_eq!(uid::key_period_no(5, 10, 6), Err(Error::InvalidParameter));
}

#[test]
fn guk_id_vectors() {
    for b in vectors::load(FILE, "guk_id") {
        let got = uid::guk_id(&b.hex("gmk"), b.u32_hex("gmk_id"), b.get("uri").as_bytes()).unwrap();
        assert_eq!(got, b.u32_hex("guk_id"), "{}", b.get("uri"));
    }
}

#[test]
fn srtp_master_vectors() {
    for b in vectors::load(FILE, "srtp_master") {
        let prf_no = b.u64("prf") as u8;
        let cs_id = b.u64("cs_id") as u8;
        let tgk = b.hex("tgk");
        let csb = b.u32_hex("csb_id");
        let rand = b.hex("rand");
        let mk = b.hex("master_key");
        let ms = b.hex("master_salt");
        let mut k = vec![0u8; mk.len()];
        let mut s = vec![0u8; ms.len()];
        prf::derive_tek(prf_no, &tgk, cs_id, csb, &rand, &mut k).unwrap();
        prf::derive_salt(prf_no, &tgk, cs_id, csb, &rand, &mut s).unwrap();
        assert_eq!(k, mk);
        assert_eq!(s, ms);
    }
}

#[test]
fn vendor_key_parameters_decrypt() {
    for b in vectors::load(FILE, "i_message") {
        let name = b.get("name").to_string();
        let bytes = b.hex("message");
        let ssv = b.hex("ssv");
        let m = Message::parse(&bytes).unwrap();
        let g = m.gen_exts().next().unwrap();
        assert_eq!(g.ext_type, genext::GEN_EXT_KEY_PARAMS);
        let kp = genext::open(g.data, &ssv, m.hdr().csb_id).unwrap();
        match name.as_str() {
            "gmk" => {
                assert_eq!(kp.key_type, genext::key_kind::GMK);
                // Group-ids field: length 1, zero ids.
                assert_eq!(kp.group_ids.as_deref(), Some(&[0u8, 1, 0][..]));
                assert_eq!((kp.status, kp.activation, kp.expiry), (1, 0, 0));
                // Tampered ciphertext or wrong SSV: the GCM tag refuses it.
                let mut bad = g.data.to_vec();
                let n = bad.len();
                bad[n - 1] ^= 1;
                assert_eq!(
                    genext::open(&bad, &ssv, m.hdr().csb_id),
                    Err(Error::AuthFailed)
                );
                let mut wrong = ssv.clone();
                wrong[0] ^= 1;
                assert_eq!(
                    genext::open(g.data, &wrong, m.hdr().csb_id),
                    Err(Error::AuthFailed)
                );
                // Tampered associated data (payload id).
                let mut bad = g.data.to_vec();
                bad[7] ^= 1;
                assert_eq!(
                    genext::open(&bad, &ssv, m.hdr().csb_id),
                    Err(Error::AuthFailed)
                );
                // Re-protecting with the same header gives the same octets.
                let (h, _) = genext::parse_protected(g.data).unwrap();
                assert_eq!(genext::protect(&h, &kp, &ssv).unwrap(), g.data);
            }
            "csk" | "pck" => {
                assert!(kp.group_ids.is_none());
                assert_eq!(kp.key_type, if name == "csk" { 2 } else { 1 });
                let (h, _) = genext::parse_protected(g.data).unwrap();
                assert_eq!(h.dppk_id, m.hdr().csb_id);
                assert_eq!(genext::protect(&h, &kp, &ssv).unwrap(), g.data);
            }
            "gmk_legacy" => {
                assert_eq!(g.data.len(), genext::LEGACY_PLAIN_LEN);
                assert_eq!(kp.key_type, 1);
                assert_eq!(kp.status, 1);
            }
            _ => unreachable!(),
        }
        let _ = (b.get("key_id"), b.get("rand"), b.get("guk_id"));
        let _ = (b.get("initiator_uri"), b.get("responder_uri"));
    }
}

#[test]
fn aes_kw_rfc3394_vector() {
    // RFC 3394 §4.1: 128-bit key data with a 128-bit KEK.
    let kek: [u8; 16] = hex::decode("000102030405060708090A0B0C0D0E0F")
        .unwrap()
        .try_into()
        .unwrap();
    let wrapped = hex::decode("1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5").unwrap();
    let k = kemac::aes_kw_unwrap(&kek, &wrapped).unwrap();
    assert_eq!(
        &k[..],
        &hex::decode("00112233445566778899AABBCCDDEEFF").unwrap()[..]
    );
    let mut bad = wrapped.clone();
    bad[5] ^= 0x10;
    assert_eq!(
        kemac::aes_kw_unwrap(&kek, &bad).unwrap_err(),
        Error::AuthFailed
    );
    assert_eq!(
        kemac::aes_kw_unwrap(&kek, &wrapped[..23]).unwrap_err(),
        Error::Parse
    );
    assert_eq!(
        kemac::aes_kw_unwrap(&kek, &wrapped[..16]).unwrap_err(),
        Error::Parse
    );
}

#[test]
fn aes_cm_iv_layout() {
    let salt = [0xffu8; 14];
    let iv = kemac::aes_cm_iv(&salt, 0x01020304, 0x1122334455667788);
    let mut want = [0xffu8; 16];
    for (i, b) in [1u8, 2, 3, 4, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88]
        .iter()
        .enumerate()
    {
        want[2 + i] ^= b;
    }
    want[14] = 0;
    want[15] = 0;
    assert_eq!(iv, want);
}

// ---- independent PRF reference, written from RFC 3830 §4.1.2 with a hand-made HMAC ----

fn ref_hmac(sha256: bool, key: &[u8], msg: &[u8]) -> Vec<u8> {
    let hash = |d: &[u8]| -> Vec<u8> {
        if sha256 {
            sha2::Sha256::digest(d).to_vec()
        } else {
            sha1::Sha1::digest(d).to_vec()
        }
    };
    let mut k = if key.len() > 64 {
        hash(key)
    } else {
        key.to_vec()
    };
    k.resize(64, 0);
    let mut inner: Vec<u8> = k.iter().map(|b| b ^ 0x36).collect();
    inner.extend_from_slice(msg);
    let mut outer: Vec<u8> = k.iter().map(|b| b ^ 0x5c).collect();
    outer.extend_from_slice(&hash(&inner));
    hash(&outer)
}

fn ref_prf(sha256: bool, inkey: &[u8], label: &[u8], out_len: usize) -> Vec<u8> {
    let hl = if sha256 { 32 } else { 20 };
    let m = out_len.div_ceil(hl);
    let n = inkey.len().div_ceil(32).max(1);
    let mut acc = vec![0u8; m * hl];
    for j in 0..n {
        let s = &inkey[j * 32..((j + 1) * 32).min(inkey.len())];
        let mut a = label.to_vec();
        let mut p = Vec::new();
        for _ in 0..m {
            a = ref_hmac(sha256, s, &a);
            let mut x = a.clone();
            x.extend_from_slice(label);
            p.extend_from_slice(&ref_hmac(sha256, s, &x));
        }
        for (d, v) in acc.iter_mut().zip(p) {
            *d ^= v;
        }
    }
    acc.truncate(out_len);
    acc
}

proptest! {
    #[test]
    fn prf_matches_reference(
        sha256 in any::<bool>(),
        inkey in proptest::collection::vec(any::<u8>(), 0..100),
        label in proptest::collection::vec(any::<u8>(), 0..40),
        out_len in 0usize..90,
    ) {
        let mut out = vec![0u8; out_len];
        prf::prf(u8::from(sha256), &inkey, &label, &mut out).unwrap();
        prop_assert_eq!(out, ref_prf(sha256, &inkey, &label, out_len));
    }
}

#[test]
fn prf_chunk_boundaries() {
    // Keys of exactly 32 and 64 octets are one and two chunks (no trailing empty chunk).
    for len in [31usize, 32, 33, 64] {
        let key: Vec<u8> = (0..len as u8).collect();
        for sha256 in [false, true] {
            let mut out = [0u8; 46];
            prf::prf(u8::from(sha256), &key, b"label", &mut out).unwrap();
            assert_eq!(out.to_vec(), ref_prf(sha256, &key, b"label", 46));
        }
    }
    // A 32-octet key gives P(key) alone, which differs from P(key) XOR P(empty).
    let key = [7u8; 32];
    let mut out = [0u8; 20];
    prf::prf(0, &key, b"x", &mut out).unwrap();
    let mut x = ref_prf(false, &key, b"x", 20);
    for (d, v) in x.iter_mut().zip(ref_prf(false, &[], b"x", 20)) {
        *d ^= v;
    }
    assert_ne!(out.to_vec(), x);
    assert_eq!(prf::prf(2, &key, b"x", &mut out), Err(Error::Unsupported));
}

#[test]
fn transport_keys_follow_the_labels() {
    let psk = [0x42u8; 16];
    let rand = [9u8; 16];
    for p in [0u8, 1] {
        let k = TransportKeys::derive(p, &psk, 0x01020304, &rand).unwrap();
        let mut label = 0x150533E1u32.to_be_bytes().to_vec();
        label.push(0xff);
        label.extend_from_slice(&0x01020304u32.to_be_bytes());
        label.extend_from_slice(&rand);
        assert_eq!(k.encr.to_vec(), ref_prf(p == 1, &psk, &label, 16));
        label[..4].copy_from_slice(&0x2D22AC75u32.to_be_bytes());
        assert_eq!(k.auth.to_vec(), ref_prf(p == 1, &psk, &label, 20));
        label[..4].copy_from_slice(&0x29B88916u32.to_be_bytes());
        assert_eq!(k.salt.to_vec(), ref_prf(p == 1, &psk, &label, 14));
        assert!(!format!("{k:?}").contains("42"));
    }
}
