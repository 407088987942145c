//! The aarch64 SRTP kernels (AESE/AESMC AES-CTR, AES/PMULL AES-GCM, SHA1-instruction
//! HMAC-SHA1) against published vectors and against the portable RustCrypto implementations,
//! and the detection the run-time choice rests on. Run under emulation by
//! `scripts/test-aarch64.sh`, on a CPU model with the Cryptographic Extension and on one whose
//! HWCAPs say it has none (`PROSE_ARM_CRYPTO=0`).
#![cfg(all(
    target_arch = "aarch64",
    target_endian = "little",
    not(prose_backend = "soft")
))]

use ::sha1::Sha1 as RefSha1;
use aes_gcm::aead::{AeadInPlace, KeyInit};
use ctr::cipher::{KeyIvInit, StreamCipher};
use hmac::{Hmac, Mac};
use proptest::prelude::*;
use prose_sec::backend::aarch64::{
    aes_ctr::AesCtrArm, gcm::GcmArm, sha1 as arm_sha1, AesPmull, Sha1Ext,
};

/// Property-test cases: `n`, or fewer when `PROPTEST_CASES` asks (emulation is slow).
fn cases(n: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse::<u32>().ok())
        .map_or(n, |c| c.min(n))
}

fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s).expect("test vector hex")
}

fn aes() -> Option<AesPmull> {
    AesPmull::get()
}

fn ref_ctr32(key: &[u8], iv: &[u8; 16], data: &mut [u8]) {
    match key.len() {
        16 => ctr::Ctr32BE::<aes::Aes128>::new_from_slices(key, iv)
            .expect("key")
            .apply_keystream(data),
        32 => ctr::Ctr32BE::<aes::Aes256>::new_from_slices(key, iv)
            .expect("key")
            .apply_keystream(data),
        _ => unreachable!(),
    }
}

fn ref_gcm_seal(key: &[u8], nonce: &[u8; 12], aad: &[u8], data: &mut [u8]) -> [u8; 16] {
    let n = aes_gcm::Nonce::from_slice(nonce);
    let tag = match key.len() {
        16 => aes_gcm::Aes128Gcm::new_from_slice(key)
            .expect("key")
            .encrypt_in_place_detached(n, aad, data),
        32 => aes_gcm::Aes256Gcm::new_from_slice(key)
            .expect("key")
            .encrypt_in_place_detached(n, aad, data),
        _ => unreachable!(),
    }
    .expect("seal");
    tag.into()
}

fn ref_hmac(key: &[u8], msg: &[u8]) -> [u8; 20] {
    let mut m = <Hmac<RefSha1> as Mac>::new_from_slice(key).expect("any key length");
    m.update(msg);
    m.finalize().into_bytes().into()
}

/// HMAC-SHA1 chaining states after the (key ^ ipad) and (key ^ opad) blocks, computed with a
/// plain SHA-1 compression written here from FIPS 180-4 (independent of the kernel).
fn hmac_states(key: &[u8]) -> ([u32; 5], [u32; 5]) {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        use ::sha1::Digest;
        let d = RefSha1::digest(key);
        k[..20].copy_from_slice(&d);
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let iv = [
        0x6745_2301,
        0xEFCD_AB89,
        0x98BA_DCFE,
        0x1032_5476,
        0xC3D2_E1F0,
    ];
    let mut ib = [0u8; 64];
    let mut ob = [0u8; 64];
    for i in 0..64 {
        ib[i] = k[i] ^ 0x36;
        ob[i] = k[i] ^ 0x5c;
    }
    (compress(iv, &ib), compress(iv, &ob))
}

fn compress(mut h: [u32; 5], block: &[u8; 64]) -> [u32; 5] {
    let mut w = [0u32; 80];
    for t in 0..16 {
        w[t] = u32::from_be_bytes([
            block[4 * t],
            block[4 * t + 1],
            block[4 * t + 2],
            block[4 * t + 3],
        ]);
    }
    for t in 16..80 {
        w[t] = (w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16]).rotate_left(1);
    }
    let [mut a, mut b, mut c, mut d, mut e] = h;
    for (t, wt) in w.iter().enumerate() {
        let (f, k) = match t {
            0..=19 => ((b & c) | (!b & d), 0x5A82_7999),
            20..=39 => (b ^ c ^ d, 0x6ED9_EBA1),
            40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1B_BCDC),
            _ => (b ^ c ^ d, 0xCA62_C1D6),
        };
        let tmp = a
            .rotate_left(5)
            .wrapping_add(f)
            .wrapping_add(e)
            .wrapping_add(k)
            .wrapping_add(*wt);
        e = d;
        d = c;
        c = b.rotate_left(30);
        b = a;
        a = tmp;
    }
    for (x, y) in h.iter_mut().zip([a, b, c, d, e]) {
        *x = x.wrapping_add(y);
    }
    h
}

// ---------------------------------------------------------------------------------------------
// Detection

/// The tokens exist exactly when the standard library's detection (AT_HWCAP) shows every
/// feature their kernels use, and the script's expectation for the CPU model agrees:
/// `PROSE_ARM_CRYPTO=1` on a model with the Cryptographic Extension, `0` where it is hidden.
#[test]
fn tokens_follow_detection() {
    use std::arch::is_aarch64_feature_detected as has;
    assert_eq!(aes().is_some(), has!("aes") && has!("pmull"));
    assert_eq!(Sha1Ext::get().is_some(), has!("sha2"));
    match std::env::var("PROSE_ARM_CRYPTO").as_deref() {
        Ok("1") => assert!(aes().is_some() && Sha1Ext::get().is_some()),
        Ok("0") => assert!(aes().is_none() && Sha1Ext::get().is_none()),
        _ => {}
    }
}

// ---------------------------------------------------------------------------------------------
// AES-CTR

#[test]
fn ctr_rfc3711_and_rfc6188_keystreams() {
    let Some(t) = aes() else {
        eprintln!("AES/PMULL not available: skipped");
        return;
    };
    let iv: [u8; 16] = unhex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000")
        .try_into()
        .unwrap();
    // RFC 3711 Appendix B.2 (AES-128), first three blocks and blocks 0xfeff..0xff01.
    let c = AesCtrArm::new(t, &unhex("2B7E151628AED2A6ABF7158809CF4F3C")).unwrap();
    let mut data = vec![0u8; 0xff02 * 16];
    c.apply_keystream(&iv, &mut data);
    assert_eq!(
        hex::encode_upper(&data[..48]),
        "E03EAD0935C95E80E166B16DD92B4EB4D23513162B02D0F72A43A2FE4A5F97AB41E95B3BB0A2E8DD477901E4FCA894C0"
    );
    assert_eq!(
        hex::encode_upper(&data[0xfeff * 16..0xff02 * 16]),
        "EC8CDF7398607CB0F2D21675EA9EA1E4362B7C3C6773516318A077D7FC5073AE6A2CC3787889374FBEB4C81B17BA6C44"
    );
    // RFC 6188 §7.1 (AES-256).
    let c = AesCtrArm::new(
        t,
        &unhex("57f82fe3613fd170a85ec93c40b1f0922ec4cb0dc025b58272147cc438944a98"),
    )
    .unwrap();
    let mut data = [0u8; 48];
    c.apply_keystream(&iv, &mut data);
    assert_eq!(
        hex::encode(data),
        "92bdd28a93c3f52511c677d08b5515a49da71b2378a854f67050756ded165bac63c4868b7096d88421b563b8c94c9a31"
    );
}

#[test]
fn ctr_key_lengths_and_debug() {
    let Some(t) = aes() else {
        return;
    };
    for n in [0usize, 15, 17, 24, 31, 33] {
        assert!(AesCtrArm::new(t, &vec![7u8; n]).is_none(), "length {n}");
        assert!(GcmArm::new(t, &vec![7u8; n]).is_none(), "length {n}");
    }
    let key = [0xa5u8; 16];
    let s = format!(
        "{:?} {:?}",
        AesCtrArm::new(t, &key).unwrap(),
        GcmArm::new(t, &key).unwrap()
    );
    assert!(
        s.contains("redacted") && !s.contains("165") && !s.contains("a5"),
        "{s}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(256)))]

    /// Every length (all tail shapes of the 8/4/1-block chunks), both key sizes, any IV
    /// (including counters that wrap their 32 bits), against RustCrypto's `Ctr32BE`.
    #[test]
    fn ctr_matches_rustcrypto(
        wide in any::<bool>(),
        key in prop::array::uniform32(any::<u8>()),
        iv in prop::array::uniform16(any::<u8>()),
        wrap in any::<bool>(),
        data in prop::collection::vec(any::<u8>(), 0..1500),
    ) {
        let Some(t) = aes() else { return Ok(()) };
        let key = if wide { &key[..] } else { &key[..16] };
        let mut iv = iv;
        if wrap {
            iv[12..].copy_from_slice(&[0xff, 0xff, 0xff, 0xfd]);
        }
        let c = AesCtrArm::new(t, key).unwrap();
        let mut a = data.clone();
        let mut b = data.clone();
        c.apply_keystream(&iv, &mut a);
        ref_ctr32(key, &iv, &mut b);
        prop_assert_eq!(&a, &b);
        let mut bufs = [data.clone(), data.clone()];
        let ivs = [iv, [0x11; 16]];
        let mut refs: Vec<&mut [u8]> = bufs.iter_mut().map(|b| b.as_mut_slice()).collect();
        c.apply_keystream_many(&ivs, &mut refs);
        let mut r1 = data.clone();
        ref_ctr32(key, &ivs[1], &mut r1);
        prop_assert_eq!(&bufs[0], &a);
        prop_assert_eq!(&bufs[1], &r1);
    }
}

// ---------------------------------------------------------------------------------------------
// AES-GCM

struct GcmVector {
    key: &'static str,
    iv: &'static str,
    aad: &'static str,
    pt: &'static str,
    ct: &'static str,
    tag: &'static str,
}

/// McGrew & Viega, "The Galois/Counter Mode of Operation", test cases 1-4 and 13-16.
const GCM_VECTORS: &[GcmVector] = &[
    GcmVector {
        key: "00000000000000000000000000000000",
        iv: "000000000000000000000000",
        aad: "",
        pt: "",
        ct: "",
        tag: "58e2fccefa7e3061367f1d57a4e7455a",
    },
    GcmVector {
        key: "00000000000000000000000000000000",
        iv: "000000000000000000000000",
        aad: "",
        pt: "00000000000000000000000000000000",
        ct: "0388dace60b6a392f328c2b971b2fe78",
        tag: "ab6e47d42cec13bdf53a67b21257bddf",
    },
    GcmVector {
        key: "feffe9928665731c6d6a8f9467308308",
        iv: "cafebabefacedbaddecaf888",
        aad: "",
        pt: "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255",
        ct: "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985",
        tag: "4d5c2af327cd64a62cf35abd2ba6fab4",
    },
    GcmVector {
        key: "feffe9928665731c6d6a8f9467308308",
        iv: "cafebabefacedbaddecaf888",
        aad: "feedfacedeadbeeffeedfacedeadbeefabaddad2",
        pt: "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
        ct: "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
        tag: "5bc94fbc3221a5db94fae95ae7121a47",
    },
    GcmVector {
        key: "0000000000000000000000000000000000000000000000000000000000000000",
        iv: "000000000000000000000000",
        aad: "",
        pt: "",
        ct: "",
        tag: "530f8afbc74536b9a963b4f1c4cb738b",
    },
    GcmVector {
        key: "0000000000000000000000000000000000000000000000000000000000000000",
        iv: "000000000000000000000000",
        aad: "",
        pt: "00000000000000000000000000000000",
        ct: "cea7403d4d606b6e074ec5d3baf39d18",
        tag: "d0d1c8a799996bf0265b98b5d48ab919",
    },
    GcmVector {
        key: "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
        iv: "cafebabefacedbaddecaf888",
        aad: "feedfacedeadbeeffeedfacedeadbeefabaddad2",
        pt: "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
        ct: "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
        tag: "76fc6ece0f4e1768cddf8853bb2d551b",
    },
];

#[test]
fn gcm_known_vectors() {
    let Some(t) = aes() else {
        eprintln!("AES/PMULL not available: skipped");
        return;
    };
    for (i, v) in GCM_VECTORS.iter().enumerate() {
        let g = GcmArm::new(t, &unhex(v.key)).unwrap();
        let nonce: [u8; 12] = unhex(v.iv).try_into().unwrap();
        let aad = unhex(v.aad);
        let mut data = unhex(v.pt);
        let tag = g.seal_in_place(&nonce, &aad, &mut data).unwrap();
        assert_eq!(hex::encode(&data), v.ct, "vector {i} ciphertext");
        assert_eq!(hex::encode(tag), v.tag, "vector {i} tag");
        assert!(
            g.open_in_place(&nonce, &aad, &mut data, &tag),
            "vector {i} open"
        );
        assert_eq!(hex::encode(&data), v.pt, "vector {i} plaintext");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(256)))]

    /// Seal equals RustCrypto `aes-gcm` for any key, nonce, AAD and data length; open restores
    /// the plaintext; any changed tag, ciphertext or AAD octet is refused with the data left as
    /// it was.
    #[test]
    fn gcm_matches_rustcrypto(
        wide in any::<bool>(),
        key in prop::array::uniform32(any::<u8>()),
        nonce in prop::array::uniform12(any::<u8>()),
        aad in prop::collection::vec(any::<u8>(), 0..200),
        data in prop::collection::vec(any::<u8>(), 0..1500),
        flip in any::<prop::sample::Index>(),
        what in 0u8..3,
    ) {
        let Some(t) = aes() else { return Ok(()) };
        let key = if wide { &key[..] } else { &key[..16] };
        let g = GcmArm::new(t, key).unwrap();
        let mut a = data.clone();
        let mut b = data.clone();
        let ta = g.seal_in_place(&nonce, &aad, &mut a).unwrap();
        let tb = ref_gcm_seal(key, &nonce, &aad, &mut b);
        prop_assert_eq!(&a, &b);
        prop_assert_eq!(ta, tb);
        let mut o = a.clone();
        prop_assert!(g.open_in_place(&nonce, &aad, &mut o, &ta));
        prop_assert_eq!(&o, &data);
        // One octet changed somewhere.
        let (mut ct, mut ad, mut tag) = (a.clone(), aad.clone(), ta);
        match what {
            0 => tag[flip.index(16)] ^= 1,
            1 if !ct.is_empty() => { let i = flip.index(ct.len()); ct[i] ^= 0x80 }
            _ if !ad.is_empty() => { let i = flip.index(ad.len()); ad[i] ^= 0x01 }
            _ => tag[0] ^= 0x40,
        }
        let before = ct.clone();
        prop_assert!(!g.open_in_place(&nonce, &ad, &mut ct, &tag));
        prop_assert_eq!(&ct, &before);
    }
}

// ---------------------------------------------------------------------------------------------
// SHA-1 / HMAC-SHA1

#[test]
fn hmac_rfc2202() {
    let Some(t) = Sha1Ext::get() else {
        eprintln!("SHA1 instructions not available: skipped");
        return;
    };
    // RFC 2202 test cases 1, 2, 3 (the keys are at most one block).
    let cases: [(Vec<u8>, Vec<u8>, &str); 3] = [
        (
            vec![0x0b; 20],
            b"Hi There".to_vec(),
            "b617318655057264e28bc0b6fb378c8ef146be00",
        ),
        (
            b"Jefe".to_vec(),
            b"what do ya want for nothing?".to_vec(),
            "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79",
        ),
        (
            vec![0xaa; 20],
            vec![0xdd; 50],
            "125d7342b9ac11cd91a39af48aa17b4f63f175d3",
        ),
    ];
    for (key, msg, mac) in cases.iter() {
        let (i, o) = hmac_states(key);
        for cut in 0..=msg.len() {
            let got = arm_sha1::hmac_sha1(t, &i, &o, &msg[..cut], &msg[cut..]);
            assert_eq!(hex::encode(got), *mac, "cut {cut}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(256)))]

    /// HMAC-SHA1 of `msg[..cut] || msg[cut..]` (any split, so every buffer fill and padding
    /// shape of both parts) equals the `hmac` crate, and the compression equals the FIPS 180-4
    /// reference written in this file.
    #[test]
    fn hmac_and_compress_match_reference(
        key in prop::collection::vec(any::<u8>(), 0..=64),
        msg in prop::collection::vec(any::<u8>(), 0..1500),
        cut in any::<prop::sample::Index>(),
        blocks in prop::collection::vec(any::<u8>(), 0..4),
    ) {
        let Some(t) = Sha1Ext::get() else { return Ok(()) };
        let (i, o) = hmac_states(&key);
        let c = cut.index(msg.len() + 1);
        prop_assert_eq!(arm_sha1::hmac_sha1(t, &i, &o, &msg[..c], &msg[c..]), ref_hmac(&key, &msg));
        let mut data = vec![0u8; 64 * blocks.len()];
        for (k, d) in data.iter_mut().enumerate() {
            *d = blocks[k / 64].wrapping_mul(k as u8 | 1);
        }
        let mut want = i;
        for b in data.chunks_exact(64) {
            want = compress(want, b.try_into().unwrap());
        }
        let mut got = i;
        arm_sha1::compress(t, &mut got, &data);
        prop_assert_eq!(got, want);
    }
}
