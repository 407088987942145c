//! Property tests: the batch forms equal the single-packet calls; the fast transforms equal
//! simple references (RustCrypto `ctr` for AES-CM, `hmac` for the precomputed-state HMAC);
//! protect/unprotect round-trips for every profile and header shape.
use aes::cipher::{KeyIvInit, StreamCipher};
use hmac::{Hmac, Mac};
use proptest::prelude::*;
use prose_sec::srtp::{self, kdf, MasterKey, Policy, Profile, Session};

fn profile_strategy() -> impl Strategy<Value = Profile> {
    prop::sample::select(Profile::ALL.to_vec())
}

fn session_pair(profile: Profile, seed: u8) -> (Session, Session) {
    let key: Vec<u8> = (0..profile.key_len() as u8)
        .map(|x| x.wrapping_mul(seed | 1))
        .collect();
    let salt: Vec<u8> = (0..profile.salt_len() as u8).map(|x| x ^ seed).collect();
    let pol = Policy::new(profile, MasterKey::new(&key, &salt).unwrap());
    (Session::new(&pol).unwrap(), Session::new(&pol).unwrap())
}

#[derive(Clone, Debug)]
struct Pkt {
    seq: u16,
    ssrc: u32,
    csrcs: u8,
    ext_words: Option<u8>,
    payload: Vec<u8>,
}

fn pkt_strategy() -> impl Strategy<Value = Pkt> {
    (
        any::<u16>(),
        prop::sample::select(vec![1u32, 2, 0xffff_ffff, 0x1234_5678]),
        0u8..4,
        prop::option::of(0u8..4),
        prop::collection::vec(any::<u8>(), 0..300),
    )
        .prop_map(|(seq, ssrc, csrcs, ext_words, payload)| Pkt {
            seq,
            ssrc,
            csrcs,
            ext_words,
            payload,
        })
}

fn encode(p: &Pkt) -> Vec<u8> {
    let mut v = vec![
        0x80 | p.csrcs | if p.ext_words.is_some() { 0x10 } else { 0 },
        96,
    ];
    v.extend_from_slice(&p.seq.to_be_bytes());
    v.extend_from_slice(&[0, 0, 0, 9]);
    v.extend_from_slice(&p.ssrc.to_be_bytes());
    for i in 0..p.csrcs {
        v.extend_from_slice(&[i; 4]);
    }
    if let Some(w) = p.ext_words {
        v.extend_from_slice(&[0xbe, 0xde, 0, w]);
        v.extend(std::iter::repeat_n(0x42, 4 * w as usize));
    }
    v.extend_from_slice(&p.payload);
    v
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn batch_equals_single(profile in profile_strategy(), pkts in prop::collection::vec(pkt_strategy(), 1..24)) {
        let (mut a, mut b) = session_pair(profile, 3);
        let (mut ra, mut rb) = session_pair(profile, 3);
        let plains: Vec<Vec<u8>> = pkts.iter().map(encode).collect();
        let cap = |p: &Vec<u8>| { let mut v = p.clone(); v.resize(p.len() + 64, 0); v };
        let mut singles: Vec<Vec<u8>> = plains.iter().map(cap).collect();
        let single_res: Vec<_> = singles.iter_mut().zip(&plains).map(|(b, p)| a.protect_rtp(b, p.len())).collect();
        let mut batch: Vec<Vec<u8>> = plains.iter().map(cap).collect();
        let mut items: Vec<(&mut [u8], usize)> = batch.iter_mut().zip(&plains).map(|(b, p)| (b.as_mut_slice(), p.len())).collect();
        let mut res = vec![Ok(0); items.len()];
        b.protect_rtp_batch(&mut items, &mut res).unwrap();
        prop_assert_eq!(&single_res, &res);
        prop_assert_eq!(&singles, &batch);

        // And back, both ways.
        let mut s_items: Vec<(usize, Vec<u8>)> = singles.iter().zip(&single_res).filter_map(|(b, r)| r.ok().map(|n| (n, b.clone()))).collect();
        let un_single: Vec<_> = s_items.iter_mut().map(|(n, b)| ra.unprotect_rtp(b, *n)).collect();
        let mut b_bufs: Vec<(usize, Vec<u8>)> = batch.iter().zip(&res).filter_map(|(b, r)| r.ok().map(|n| (n, b.clone()))).collect();
        let mut items: Vec<(&mut [u8], usize)> = b_bufs.iter_mut().map(|(n, b)| (b.as_mut_slice(), *n)).collect();
        let mut res2 = vec![Ok(0); items.len()];
        rb.unprotect_rtp_batch(&mut items, &mut res2).unwrap();
        prop_assert_eq!(&un_single, &res2);
        for ((r, (_, b)), p) in res2.iter().zip(&b_bufs).zip(plains.iter().zip(&single_res).filter(|(_, r)| r.is_ok()).map(|(p, _)| p)) {
            if let Ok(n) = r {
                prop_assert_eq!(&b[..*n], &p[..]);
            }
        }
    }

    #[test]
    fn rtcp_batch_equals_single(profile in profile_strategy(), sizes in prop::collection::vec(0usize..40, 1..16)) {
        let (mut a, mut b) = session_pair(profile, 9);
        let plains: Vec<Vec<u8>> = sizes.iter().enumerate().map(|(i, w)| {
            let mut v = vec![0x80, 201];
            v.extend_from_slice(&((1 + w) as u16).to_be_bytes());
            v.extend_from_slice(&(i as u32 % 3).to_be_bytes());
            v.extend(std::iter::repeat_n(i as u8, w * 4));
            v
        }).collect();
        let mut singles: Vec<Vec<u8>> = plains.iter().map(|p| { let mut v = p.clone(); v.resize(p.len() + 64, 0); v }).collect();
        let r1: Vec<_> = singles.iter_mut().zip(&plains).map(|(b, p)| a.protect_rtcp(b, p.len())).collect();
        let mut batch: Vec<Vec<u8>> = plains.iter().map(|p| { let mut v = p.clone(); v.resize(p.len() + 64, 0); v }).collect();
        let mut items: Vec<(&mut [u8], usize)> = batch.iter_mut().zip(&plains).map(|(b, p)| (b.as_mut_slice(), p.len())).collect();
        let mut r2 = vec![Ok(0); items.len()];
        b.protect_rtcp_batch(&mut items, &mut r2).unwrap();
        prop_assert_eq!(&r1, &r2);
        prop_assert_eq!(&singles, &batch);
        let (_, mut rx) = session_pair(profile, 9);
        let mut items: Vec<(&mut [u8], usize)> = batch.iter_mut().zip(&r2).map(|(b, r)| (b.as_mut_slice(), *r.as_ref().unwrap())).collect();
        let mut r3 = vec![Ok(0); items.len()];
        rx.unprotect_rtcp_batch(&mut items, &mut r3).unwrap();
        for ((r, b), p) in r3.iter().zip(&batch).zip(&plains) {
            prop_assert_eq!(&b[..*r.as_ref().unwrap()], &p[..]);
        }
    }

    #[test]
    fn aes_cm_equals_rustcrypto_ctr(key_len in prop::sample::select(vec![16usize, 32]), iv in any::<[u8; 14]>(), data in prop::collection::vec(any::<u8>(), 0..2000)) {
        let key: Vec<u8> = (0..key_len as u8).collect();
        let mut iv16 = [0u8; 16];
        iv16[..14].copy_from_slice(&iv); // low 16 bits zero, as SRTP's IVs
        let mut ours = data.clone();
        srtp::aes_cm_keystream(&key, &iv16, &mut ours).unwrap();
        let mut reference = data.clone();
        if key_len == 16 {
            ctr::Ctr128BE::<aes::Aes128>::new_from_slices(&key, &iv16).unwrap().apply_keystream(&mut reference);
        } else {
            ctr::Ctr128BE::<aes::Aes256>::new_from_slices(&key, &iv16).unwrap().apply_keystream(&mut reference);
        }
        prop_assert_eq!(ours, reference);
    }

    /// The NULL profile leaves the payload clear, so its tag can be recomputed with the `hmac`
    /// crate from the KDF's auth key: HMAC-SHA1(k_a, packet || ROC) truncated.
    #[test]
    fn hmac_tag_equals_reference(p in pkt_strategy(), roc in 0u32..3) {
        let profile = Profile::NullHmacSha1_80;
        let key = [7u8; 16];
        let salt = [9u8; 14];
        let pol = Policy::new(profile, MasterKey::new(&key, &salt).unwrap());
        let mut s = Session::new(&pol).unwrap();
        s.set_roc(p.ssrc, roc).unwrap();
        let plain = encode(&p);
        let mut buf = plain.clone();
        buf.resize(plain.len() + 10, 0);
        let n = s.protect_rtp(&mut buf, plain.len()).unwrap();
        prop_assert_eq!(&buf[..plain.len()], &plain[..]);
        let mut ka = [0u8; 20];
        kdf::derive(&key, &salt, kdf::Label::RtpAuth, &mut ka).unwrap();
        let mut m = Hmac::<sha1::Sha1>::new_from_slice(&ka).unwrap();
        m.update(&plain);
        m.update(&roc.to_be_bytes());
        let tag = m.finalize().into_bytes();
        prop_assert_eq!(&buf[plain.len()..n], &tag[..10]);
    }

    #[test]
    fn roundtrip_every_profile(profile in profile_strategy(), pkts in prop::collection::vec(pkt_strategy(), 1..8)) {
        let (mut tx, mut rx) = session_pair(profile, 5);
        for p in &pkts {
            let plain = encode(p);
            let mut buf = plain.clone();
            buf.resize(plain.len() + tx.max_overhead(), 0);
            match tx.protect_rtp(&mut buf, plain.len()) {
                Ok(n) => {
                    prop_assert_eq!(n, plain.len() + tx.rtp_overhead());
                    let m = rx.unprotect_rtp(&mut buf, n);
                    // The receiver may legitimately reject an index too far from the last one.
                    if let Ok(m) = m {
                        prop_assert_eq!(&buf[..m], &plain[..]);
                    } else {
                        prop_assert!(matches!(m, Err(prose_sec::Error::ReplayTooOld) | Err(prose_sec::Error::ReplayDuplicate) | Err(prose_sec::Error::AuthFailed)));
                    }
                }
                Err(e) => prop_assert!(matches!(e, prose_sec::Error::ReplayDuplicate | prose_sec::Error::ReplayTooOld)),
            }
        }
    }
}
