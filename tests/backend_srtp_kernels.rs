//! The x86-64 SRTP kernels (VAES AES-CTR, VAES/VPCLMULQDQ AES-GCM, 16-lane HMAC-SHA1) checked
//! against published vectors and against the RustCrypto implementations.
#![cfg(all(target_arch = "x86_64", not(prose_backend = "soft")))]

use aes_gcm::aead::{AeadInPlace, KeyInit};
use ctr::cipher::{KeyIvInit, StreamCipher};
use hmac::{Hmac, Mac};
use proptest::prelude::*;
use prose_sec::backend::x86_64::{aes_ctr::AesCtrVaes, gcm::GcmVaes, sha1ni, sha1x16};
use sha1::Sha1;

fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s).expect("test vector hex")
}

fn ref_ctr(key: &[u8], iv: &[u8; 16], data: &mut [u8]) {
    match key.len() {
        16 => ctr::Ctr128BE::<aes::Aes128>::new_from_slices(key, iv)
            .expect("key")
            .apply_keystream(data),
        32 => ctr::Ctr128BE::<aes::Aes256>::new_from_slices(key, iv)
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

/// HMAC-SHA1 chaining states after the (key ^ ipad) and (key ^ opad) blocks, computed with a
/// plain SHA-1 compression written here from FIPS 180-4 (independent of the kernel).
fn hmac_states(key: &[u8]) -> ([u32; 5], [u32; 5]) {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        use sha1::Digest;
        let d = Sha1::digest(key);
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

fn ref_hmac(key: &[u8], msg: &[u8]) -> [u8; 20] {
    let mut m = <Hmac<Sha1> as Mac>::new_from_slice(key).expect("any key length");
    m.update(msg);
    m.finalize().into_bytes().into()
}

// ---------------------------------------------------------------------------------------------
// AES-CTR

#[test]
fn ctr_rfc3711_keystream() {
    // RFC 3711 Appendix B.2: AES-CM keystream segment.
    let key = unhex("2B7E151628AED2A6ABF7158809CF4F3C");
    let iv: [u8; 16] = unhex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000")
        .try_into()
        .unwrap();
    let Some(c) = AesCtrVaes::new(&key) else {
        eprintln!("VAES not available: skipped");
        return;
    };
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
}

#[test]
fn ctr_full_128_bit_carry() {
    let key = [7u8; 16];
    let Some(c) = AesCtrVaes::new(&key) else {
        return;
    };
    // Counters that wrap the low 64 bits, and the whole 128 bits, inside one call.
    for iv_hex in [
        "0102030405060708FFFFFFFFFFFFFFF8",
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFB",
        "00000000FFFFFFFFFFFFFFFFFFFFFFF0",
    ] {
        let iv: [u8; 16] = unhex(iv_hex).try_into().unwrap();
        let mut a: Vec<u8> = (0..700u32).map(|i| i as u8).collect();
        let mut b = a.clone();
        c.apply_keystream(&iv, &mut a);
        ref_ctr(&key, &iv, &mut b);
        assert_eq!(a, b, "iv {iv_hex}");
    }
}

#[test]
fn bad_key_lengths_rejected() {
    for len in [0usize, 1, 15, 17, 24, 31, 33, 64] {
        assert!(AesCtrVaes::new(&vec![0u8; len]).is_none(), "{len}");
        assert!(GcmVaes::new(&vec![0u8; len]).is_none(), "{len}");
    }
}

#[test]
fn debug_is_redacted() {
    let key = [0xA5u8; 16];
    if let Some(c) = AesCtrVaes::new(&key) {
        let s = format!("{c:?}");
        assert!(
            !s.contains("165") && !s.to_lowercase().contains("a5a5"),
            "{s}"
        );
        assert!(s.contains("redacted"));
    }
    if let Some(g) = GcmVaes::new(&key) {
        let s = format!("{g:?}");
        assert!(s.contains("redacted") && !s.contains("165"), "{s}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn ctr_matches_rustcrypto(
        wide in any::<bool>(),
        key in prop::array::uniform32(any::<u8>()),
        iv in prop::array::uniform16(any::<u8>()),
        data in prop::collection::vec(any::<u8>(), 0..2000),
    ) {
        let key = if wide { &key[..] } else { &key[..16] };
        if let Some(c) = AesCtrVaes::new(key) {
            let mut a = data.clone();
            let mut b = data.clone();
            c.apply_keystream(&iv, &mut a);
            ref_ctr(key, &iv, &mut b);
            prop_assert_eq!(a, b);
        }
    }

    #[test]
    fn ctr_many_matches_single(
        key in prop::array::uniform16(any::<u8>()),
        packets in prop::collection::vec(
            (prop::array::uniform16(any::<u8>()), prop::collection::vec(any::<u8>(), 0..1300)),
            0..24,
        ),
    ) {
        if let Some(c) = AesCtrVaes::new(&key) {
            let ivs: Vec<[u8; 16]> = packets.iter().map(|p| p.0).collect();
            let mut bufs: Vec<Vec<u8>> = packets.iter().map(|p| p.1.clone()).collect();
            let mut refs: Vec<&mut [u8]> = bufs.iter_mut().map(|b| b.as_mut_slice()).collect();
            prop_assert!(c.apply_keystream_many(&ivs, &mut refs));
            for (p, b) in packets.iter().zip(bufs.iter()) {
                let mut r = p.1.clone();
                ref_ctr(&key, &p.0, &mut r);
                prop_assert_eq!(&r, b);
            }
        }
    }
}

#[test]
fn ctr_many_rejects_mismatched_lengths() {
    let Some(c) = AesCtrVaes::new(&[1u8; 16]) else {
        return;
    };
    let mut a = [5u8; 30];
    let mut refs: Vec<&mut [u8]> = vec![&mut a];
    assert!(!c.apply_keystream_many(&[[0u8; 16], [1u8; 16]], &mut refs));
    assert_eq!(a, [5u8; 30]);
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
    for (i, v) in GCM_VECTORS.iter().enumerate() {
        let Some(g) = GcmVaes::new(&unhex(v.key)) else {
            eprintln!("VAES/VPCLMULQDQ not available: skipped");
            return;
        };
        let nonce: [u8; 12] = unhex(v.iv).try_into().unwrap();
        let aad = unhex(v.aad);
        let mut data = unhex(v.pt);
        let tag = g.seal_in_place(&nonce, &aad, &mut data);
        assert_eq!(hex::encode(&data), v.ct, "vector {i} ciphertext");
        assert_eq!(hex::encode(tag), v.tag, "vector {i} tag");
        assert!(
            g.open_in_place(&nonce, &aad, &mut data, &tag),
            "vector {i} open"
        );
        assert_eq!(hex::encode(&data), v.pt, "vector {i} plaintext");
    }
}

#[test]
fn gcm_tamper_rejected_data_unchanged() {
    let key = unhex("feffe9928665731c6d6a8f9467308308");
    let Some(g) = GcmVaes::new(&key) else {
        return;
    };
    let nonce = [0x42u8; 12];
    let aad = unhex("800f1234decafbadcafebabe");
    for len in [0usize, 1, 15, 16, 17, 63, 64, 65, 160, 255, 256, 257, 1200] {
        let pt: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
        let mut ct = pt.clone();
        let tag = g.seal_in_place(&nonce, &aad, &mut ct);
        // Every tag byte, every bit of it once.
        for pos in 0..16 {
            for bit in 0..8 {
                let mut t = tag;
                t[pos] ^= 1 << bit;
                let mut d = ct.clone();
                assert!(!g.open_in_place(&nonce, &aad, &mut d, &t));
                assert_eq!(d, ct, "data changed after a failed open (tag {pos}/{bit})");
            }
        }
        // Ciphertext bytes (first, middle, last and a stride).
        let mut positions: Vec<usize> = (0..len).step_by(37).collect();
        positions.extend([len / 2, len.saturating_sub(1)]);
        for &pos in positions.iter().filter(|&&p| p < len) {
            let mut d = ct.clone();
            d[pos] ^= 0x01;
            let tampered = d.clone();
            assert!(!g.open_in_place(&nonce, &aad, &mut d, &tag));
            assert_eq!(d, tampered, "data changed after a failed open (ct {pos})");
        }
        // AAD and nonce.
        for pos in 0..aad.len() {
            let mut a = aad.clone();
            a[pos] ^= 0x80;
            let mut d = ct.clone();
            assert!(!g.open_in_place(&nonce, &a, &mut d, &tag));
            assert_eq!(d, ct);
        }
        let mut n2 = nonce;
        n2[11] ^= 1;
        let mut d = ct.clone();
        assert!(!g.open_in_place(&n2, &aad, &mut d, &tag));
        assert_eq!(d, ct);
        // Truncated ciphertext.
        if len > 0 {
            let mut d = ct[..len - 1].to_vec();
            assert!(!g.open_in_place(&nonce, &aad, &mut d, &tag));
            assert_eq!(d, ct[..len - 1]);
        }
        // And the genuine one still opens.
        let mut d = ct.clone();
        assert!(g.open_in_place(&nonce, &aad, &mut d, &tag));
        assert_eq!(d, pt);
    }
}

#[test]
fn gcm_every_length_around_chunk_boundaries() {
    // Every data length 0..=600 (all tails, the single-chunk short path and its limit, one and
    // two full 256-octet chunks) with AAD lengths on both sides of the short-path limits.
    for key_len in [16usize, 32] {
        let key: Vec<u8> = (0..key_len as u8)
            .map(|i| i.wrapping_mul(29) ^ 0x5c)
            .collect();
        let Some(g) = GcmVaes::new(&key) else {
            return;
        };
        let nonce = [0x0fu8; 12];
        let src: Vec<u8> = (0..600u32).map(|i| (i * 13 + 1) as u8).collect();
        for aad_len in [0usize, 1, 12, 16, 17, 48, 64, 65, 100] {
            let aad = &src[..aad_len];
            for len in 0..=600 {
                let mut a = src[..len].to_vec();
                let mut b = a.clone();
                let ta = g.seal_in_place(&nonce, aad, &mut a);
                let tb = ref_gcm_seal(&key, &nonce, aad, &mut b);
                assert_eq!(a, b, "key {key_len} aad {aad_len} len {len}");
                assert_eq!(ta, tb, "key {key_len} aad {aad_len} len {len}");
                assert!(g.open_in_place(&nonce, aad, &mut a, &ta));
                assert_eq!(a, src[..len]);
            }
        }
    }
}

#[test]
fn gcm_long_data_both_counter_forms() {
    // Up to 4000 octets the counters are built in memory order; beyond, byte-reversed. Lengths
    // on both sides of that limit, and long enough for the counter's low octet to carry.
    let key = [0x3cu8; 16];
    let Some(g) = GcmVaes::new(&key) else {
        return;
    };
    let nonce = [0xa5u8; 12];
    let aad = [0x11u8; 20];
    let src: Vec<u8> = (0..9000u32).map(|i| (i * 7 + 5) as u8).collect();
    for len in [
        3983usize, 3984, 3999, 4000, 4001, 4016, 4017, 4095, 4096, 4097, 5000, 8191, 9000,
    ] {
        let mut a = src[..len].to_vec();
        let mut b = a.clone();
        let ta = g.seal_in_place(&nonce, &aad, &mut a);
        let tb = ref_gcm_seal(&key, &nonce, &aad, &mut b);
        assert_eq!(a, b, "len {len}");
        assert_eq!(ta, tb, "len {len}");
        let mut t = ta;
        t[0] ^= 1;
        assert!(!g.open_in_place(&nonce, &aad, &mut a, &t));
        assert_eq!(a, b, "len {len}: data changed by a failed open");
        assert!(g.open_in_place(&nonce, &aad, &mut a, &ta));
        assert_eq!(a, src[..len], "len {len}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(384))]

    #[test]
    fn gcm_matches_rustcrypto(
        wide in any::<bool>(),
        key in prop::array::uniform32(any::<u8>()),
        nonce in prop::array::uniform12(any::<u8>()),
        aad in prop::collection::vec(any::<u8>(), 0..64),
        data in prop::collection::vec(any::<u8>(), 0..2000),
    ) {
        let key = if wide { &key[..] } else { &key[..16] };
        if let Some(g) = GcmVaes::new(key) {
            let mut a = data.clone();
            let mut b = data.clone();
            let ta = g.seal_in_place(&nonce, &aad, &mut a);
            let tb = ref_gcm_seal(key, &nonce, &aad, &mut b);
            prop_assert_eq!(&a, &b);
            prop_assert_eq!(ta, tb);
            prop_assert!(g.open_in_place(&nonce, &aad, &mut a, &ta));
            prop_assert_eq!(&a, &data);
        }
    }

    #[test]
    fn gcm_long_aad_matches_rustcrypto(
        key in prop::array::uniform16(any::<u8>()),
        nonce in prop::array::uniform12(any::<u8>()),
        aad in prop::collection::vec(any::<u8>(), 0..700),
        data in prop::collection::vec(any::<u8>(), 0..300),
    ) {
        if let Some(g) = GcmVaes::new(&key) {
            let mut a = data.clone();
            let mut b = data.clone();
            let ta = g.seal_in_place(&nonce, &aad, &mut a);
            let tb = ref_gcm_seal(&key, &nonce, &aad, &mut b);
            prop_assert_eq!(&a, &b);
            prop_assert_eq!(ta, tb);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// HMAC-SHA1, sixteen lanes

#[test]
fn kernels_present_when_the_cpu_has_the_features() {
    let vaes = std::arch::is_x86_feature_detected!("aes")
        && std::arch::is_x86_feature_detected!("vaes")
        && std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("avx512bw")
        && std::arch::is_x86_feature_detected!("avx512vl");
    let clmul = std::arch::is_x86_feature_detected!("pclmulqdq")
        && std::arch::is_x86_feature_detected!("vpclmulqdq");
    assert_eq!(AesCtrVaes::new(&[0u8; 16]).is_some(), vaes);
    assert_eq!(GcmVaes::new(&[0u8; 16]).is_some(), vaes && clmul);
    assert_eq!(
        sha1x16::available(),
        std::arch::is_x86_feature_detected!("avx512f")
    );
}

#[test]
fn hmac_rfc2202_vectors() {
    if !sha1x16::available() {
        eprintln!("AVX-512F not available: skipped");
        return;
    }
    // RFC 2202 test cases 1, 2, 3 and 6 (key longer than a block).
    let cases: [(Vec<u8>, Vec<u8>, &str); 4] = [
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
        (
            vec![0xaa; 80],
            b"Test Using Larger Than Block-Size Key - Hash Key First".to_vec(),
            "aa4ae5e15272d00e95705637ce8a3b55ed402112",
        ),
    ];
    for (key, msg, mac) in cases.iter() {
        let (i, o) = hmac_states(key);
        let mut out = [[0u8; 20]; 1];
        assert!(sha1x16::hmac_sha1_batch(
            &i,
            &o,
            &[msg.as_slice()],
            &mut out
        ));
        assert_eq!(hex::encode(out[0]), *mac);
    }
}

#[test]
fn hmac_every_length_0_to_300() {
    if !sha1x16::available() {
        return;
    }
    let key = b"prose-sec srtp auth key 20B";
    let (i, o) = hmac_states(key);
    let data: Vec<u8> = (0..300u32).map(|x| (x * 31 + 7) as u8).collect();
    // 301 messages of every length in one batch: groups of 16 with lanes finishing at different
    // blocks, and a last group of 13.
    let msgs: Vec<&[u8]> = (0..=300).map(|n| &data[..n]).collect();
    let mut out = vec![[0u8; 20]; msgs.len()];
    assert!(sha1x16::hmac_sha1_batch(&i, &o, &msgs, &mut out));
    for (m, mac) in msgs.iter().zip(out.iter()) {
        assert_eq!(*mac, ref_hmac(key, m), "length {}", m.len());
    }
}

#[test]
fn hmac_short_output_rejected_untouched() {
    if !sha1x16::available() {
        return;
    }
    let (i, o) = hmac_states(b"k");
    let msgs: [&[u8]; 3] = [b"a", b"bb", b"ccc"];
    let mut out = [[0x77u8; 20]; 2];
    assert!(!sha1x16::hmac_sha1_batch(&i, &o, &msgs, &mut out));
    assert_eq!(out, [[0x77u8; 20]; 2]);
    // An empty batch succeeds and writes nothing.
    let mut out = [[0x77u8; 20]; 2];
    assert!(sha1x16::hmac_sha1_batch(&i, &o, &[], &mut out));
    assert_eq!(out, [[0x77u8; 20]; 2]);
    // A longer output than needed: only the first entries are written.
    let mut out = [[0x77u8; 20]; 5];
    assert!(sha1x16::hmac_sha1_batch(&i, &o, &msgs, &mut out));
    assert_eq!(out[2], ref_hmac(b"k", b"ccc"));
    assert_eq!(out[3..], [[0x77u8; 20]; 2]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn hmac_batch_matches_rustcrypto(
        key in prop::collection::vec(any::<u8>(), 0..100),
        msgs in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..2000), 0..40),
    ) {
        if sha1x16::available() {
            let (i, o) = hmac_states(&key);
            let views: Vec<&[u8]> = msgs.iter().map(|m| m.as_slice()).collect();
            let mut out = vec![[0u8; 20]; views.len()];
            prop_assert!(sha1x16::hmac_sha1_batch(&i, &o, &views, &mut out));
            for (m, mac) in views.iter().zip(out.iter()) {
                prop_assert_eq!(*mac, ref_hmac(&key, m));
            }
        }
    }

    #[test]
    fn hmac_batch_srtp_sized(
        key in prop::array::uniform20(any::<u8>()),
        msgs in prop::collection::vec(prop::collection::vec(any::<u8>(), 12..220), 0..40),
    ) {
        if sha1x16::available() {
            let (i, o) = hmac_states(&key);
            let views: Vec<&[u8]> = msgs.iter().map(|m| m.as_slice()).collect();
            let mut out = vec![[0u8; 20]; views.len()];
            prop_assert!(sha1x16::hmac_sha1_batch(&i, &o, &views, &mut out));
            for (m, mac) in views.iter().zip(out.iter()) {
                prop_assert_eq!(*mac, ref_hmac(&key, m));
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// HMAC-SHA1 with SHA-NI, one to four messages per call

/// The SHA-NI kernel on `msgs` split at `cut[k]` into message and suffix, `N` at a time.
fn shani_n<const N: usize>(
    t: sha1ni::ShaNi,
    i: &[u32; 5],
    o: &[u32; 5],
    msgs: &[Vec<u8>],
    cut: &[usize],
) -> Vec<[u8; 20]> {
    let parts: Vec<(&[u8], &[u8])> = msgs
        .iter()
        .zip(cut)
        .map(|(m, c)| {
            let at = m.len().saturating_sub(c % (sha1ni::MAX_SUFFIX + 1));
            m.split_at(at)
        })
        .collect();
    let mut out = Vec::new();
    for ch in parts.chunks(N) {
        if ch.len() == N {
            let lanes: [(&[u8], &[u8]); N] = core::array::from_fn(|k| ch[k]);
            out.extend(sha1ni::hmac_sha1_n::<N>(t, i, o, lanes).expect("lanes"));
        } else {
            for (m, s) in ch {
                out.push(sha1ni::hmac_sha1(t, i, o, m, s).expect("suffix"));
            }
        }
    }
    out
}

#[test]
fn shani_every_length_0_to_300_and_suffixes() {
    let Some(t) = sha1ni::ShaNi::get() else {
        return;
    };
    let key = [0x0bu8; 20];
    let (i, o) = hmac_states(&key);
    let msgs: Vec<Vec<u8>> = (0..=300)
        .map(|n| (0..n).map(|x| x as u8).collect())
        .collect();
    let cuts: Vec<usize> = (0..msgs.len()).map(|n| n * 7).collect();
    for out in [
        shani_n::<1>(t, &i, &o, &msgs, &cuts),
        shani_n::<2>(t, &i, &o, &msgs, &cuts),
        shani_n::<3>(t, &i, &o, &msgs, &cuts),
        shani_n::<4>(t, &i, &o, &msgs, &cuts),
    ] {
        for (m, mac) in msgs.iter().zip(out.iter()) {
            assert_eq!(*mac, ref_hmac(&key, m), "length {}", m.len());
        }
    }
    // A suffix longer than the kernel takes is refused, not truncated.
    assert!(sha1ni::hmac_sha1(t, &i, &o, &[], &[0u8; sha1ni::MAX_SUFFIX + 1]).is_none());
    assert!(sha1ni::hmac_sha1_n::<5>(t, &i, &o, [(&[][..], &[][..]); 5]).is_none());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn shani_matches_rustcrypto(
        key in prop::collection::vec(any::<u8>(), 0..100),
        msgs in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..1500), 0..12),
        cuts in prop::collection::vec(any::<usize>(), 12),
    ) {
        if let Some(t) = sha1ni::ShaNi::get() {
            let (i, o) = hmac_states(&key);
            for out in [
                shani_n::<1>(t, &i, &o, &msgs, &cuts),
                shani_n::<2>(t, &i, &o, &msgs, &cuts),
                shani_n::<4>(t, &i, &o, &msgs, &cuts),
            ] {
                for (m, mac) in msgs.iter().zip(out.iter()) {
                    prop_assert_eq!(*mac, ref_hmac(&key, m));
                }
            }
        }
    }
}
