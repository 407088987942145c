//! The library's packets against the engine's own sessions: under the same master key a
//! stream of the C API and a `prose_sec::srtp::Session` write the same octets, and each takes
//! the other's packets, for every profile both support.

use prose_sec::srtp::{MasterKey, Policy, Profile, Session};
use srtp2::types::*;
use srtp2::*;

type Preset = unsafe extern "C" fn(*mut srtp_crypto_policy_t);

fn cases() -> Vec<(Profile, Preset, Preset)> {
    vec![
        (
            Profile::Aes128CmHmacSha1_80,
            srtp_crypto_policy_set_rtp_default,
            srtp_crypto_policy_set_rtcp_default,
        ),
        (
            Profile::Aes128CmHmacSha1_32,
            srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32,
            srtp_crypto_policy_set_rtcp_default,
        ),
        (
            Profile::Aes256CmHmacSha1_80,
            srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80,
            srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80,
        ),
        (
            Profile::Aes256CmHmacSha1_32,
            srtp_crypto_policy_set_aes_cm_256_hmac_sha1_32,
            srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80,
        ),
        (
            Profile::NullHmacSha1_80,
            srtp_crypto_policy_set_null_cipher_hmac_sha1_80,
            srtp_crypto_policy_set_null_cipher_hmac_sha1_80,
        ),
        (
            Profile::AeadAes128Gcm,
            srtp_crypto_policy_set_aes_gcm_128_16_auth,
            srtp_crypto_policy_set_aes_gcm_128_16_auth,
        ),
        (
            Profile::AeadAes256Gcm,
            srtp_crypto_policy_set_aes_gcm_256_16_auth,
            srtp_crypto_policy_set_aes_gcm_256_16_auth,
        ),
    ]
}

fn c_session(key: &mut [u8], rtp: Preset, rtcp: Preset, ty: srtp_ssrc_type_t) -> srtp2::srtp_t {
    let mut p = srtp_policy_t {
        ssrc: srtp_ssrc_t {
            type_: ty,
            value: 0,
        },
        rtp: Default::default(),
        rtcp: Default::default(),
        key: key.as_mut_ptr(),
        keys: core::ptr::null_mut(),
        num_master_keys: 0,
        deprecated_ekt: core::ptr::null_mut(),
        window_size: 0,
        allow_repeat_tx: 0,
        enc_xtn_hdr: core::ptr::null_mut(),
        enc_xtn_hdr_count: 0,
        next: core::ptr::null_mut(),
    };
    let mut s: srtp2::srtp_t = core::ptr::null_mut();
    // SAFETY: valid policy and output pointer; the key buffer holds key and salt.
    unsafe {
        rtp(&mut p.rtp);
        rtcp(&mut p.rtcp);
        assert_eq!(srtp_create(&mut s, &p), srtp_err_status_ok);
    }
    s
}

fn rtp_packet(seq: u16, ssrc: u32, len: usize) -> Vec<u8> {
    let mut b = vec![0u8; len + SRTP_MAX_TRAILER_LEN];
    b[0] = 0x80;
    b[1] = 0x00;
    b[2..4].copy_from_slice(&seq.to_be_bytes());
    b[4..8].copy_from_slice(&(seq as u32 * 160).to_be_bytes());
    b[8..12].copy_from_slice(&ssrc.to_be_bytes());
    for (i, x) in b[12..len].iter_mut().enumerate() {
        *x = (i as u8).wrapping_mul(31) ^ seq as u8;
    }
    b
}

fn rtcp_packet(ssrc: u32) -> Vec<u8> {
    let mut b = vec![0u8; 28 + SRTP_MAX_TRAILER_LEN];
    b[..4].copy_from_slice(&[0x80, 200, 0, 6]);
    b[4..8].copy_from_slice(&ssrc.to_be_bytes());
    for (i, x) in b[8..28].iter_mut().enumerate() {
        *x = i as u8;
    }
    b
}

#[test]
fn same_master_key_same_packets_both_ways() {
    for (profile, rtp, rtcp) in cases() {
        let mut key: Vec<u8> = (0..profile.key_len() + profile.salt_len())
            .map(|i| (i * 13 + 5) as u8)
            .collect();
        let mk = MasterKey::from_concatenated(profile, &key).unwrap();
        let mut engine_tx = Session::new(&Policy::new(profile, mk.clone())).unwrap();
        let mut engine_rx = Session::new(&Policy::new(profile, mk)).unwrap();
        let c_tx = c_session(&mut key, rtp, rtcp, ssrc_any_outbound);
        let c_rx = c_session(&mut key, rtp, rtcp, ssrc_any_inbound);
        let ssrc = 0x0102_0304;
        // Across a sequence-number wrap, 160- and 1200-octet packets.
        for (i, seq) in (65_530u16..=65_535).chain(0..6).enumerate() {
            let len = if i % 2 == 0 { 172 } else { 1212 };
            let plain = rtp_packet(seq, ssrc, len);
            let mut a = plain.clone();
            let mut b = plain.clone();
            let mut n = len as i32;
            // SAFETY: the buffer has SRTP_MAX_TRAILER_LEN spare octets.
            assert_eq!(
                unsafe { srtp_protect(c_tx, a.as_mut_ptr().cast(), &mut n) },
                srtp_err_status_ok
            );
            let m = engine_tx.protect_rtp(&mut b, len).unwrap();
            assert_eq!(n as usize, m, "{profile}");
            assert_eq!(a[..m], b[..m], "{profile} seq {seq}");
            // Engine receives the library's packet, the library the engine's.
            assert_eq!(engine_rx.unprotect_rtp(&mut a, m), Ok(len));
            assert_eq!(a[..len], plain[..len]);
            let mut k = m as i32;
            // SAFETY: valid buffer of `m` octets.
            assert_eq!(
                unsafe { srtp_unprotect(c_rx, b.as_mut_ptr().cast(), &mut k) },
                srtp_err_status_ok
            );
            assert_eq!(b[..len], plain[..len]);
        }
        // SRTCP: the engine starts its SRTCP index at 0 and libsrtp at 1, so compare the
        // library's packet with the engine set to start at 1, and check both receive.
        engine_tx.set_srtcp_index(ssrc, 1).unwrap();
        for _ in 0..3 {
            let plain = rtcp_packet(ssrc);
            let mut a = plain.clone();
            let mut b = plain.clone();
            let mut n = 28;
            // SAFETY: the buffer has SRTP_MAX_TRAILER_LEN spare octets.
            assert_eq!(
                unsafe { srtp_protect_rtcp(c_tx, a.as_mut_ptr().cast(), &mut n) },
                srtp_err_status_ok
            );
            let m = engine_tx.protect_rtcp(&mut b, 28).unwrap();
            assert_eq!(a[..m], b[..m], "{profile} srtcp");
            assert_eq!(engine_rx.unprotect_rtcp(&mut a, m), Ok(28));
            let mut k = m as i32;
            // SAFETY: valid buffer.
            assert_eq!(
                unsafe { srtp_unprotect_rtcp(c_rx, b.as_mut_ptr().cast(), &mut k) },
                srtp_err_status_ok
            );
            assert_eq!(b[..28], plain[..28]);
        }
        // SAFETY: sessions from srtp_create, not used afterwards.
        unsafe {
            srtp_dealloc(c_tx);
            srtp_dealloc(c_rx);
        }
    }
}

#[test]
fn refusals_are_libsrtp_codes_and_change_nothing() {
    let profile = Profile::Aes128CmHmacSha1_80;
    let mut key: Vec<u8> = (0..30).collect();
    let tx = c_session(
        &mut key,
        srtp_crypto_policy_set_rtp_default,
        srtp_crypto_policy_set_rtcp_default,
        ssrc_any_outbound,
    );
    let rx = c_session(
        &mut key,
        srtp_crypto_policy_set_rtp_default,
        srtp_crypto_policy_set_rtcp_default,
        ssrc_any_inbound,
    );
    let mut p = rtp_packet(9, 77, 100);
    let mut n = 100;
    // SAFETY: buffers valid for their lengths.
    unsafe {
        assert_eq!(srtp_protect(tx, p.as_mut_ptr().cast(), &mut n), 0);
        let good = p.clone();
        for at in [0usize, 5, 20, n as usize - 1] {
            let mut t = good.clone();
            t[at] ^= 0x40;
            let mut k = n;
            let r = srtp_unprotect(rx, t.as_mut_ptr().cast(), &mut k);
            assert!(
                r == srtp_err_status_auth_fail || r == srtp_err_status_bad_param,
                "{r}"
            );
            assert_eq!(
                t[..n as usize],
                {
                    let mut g = good.clone();
                    g[at] ^= 0x40;
                    g
                }[..n as usize]
            );
        }
        let mut short = 5;
        assert_eq!(
            srtp_unprotect(rx, p.as_mut_ptr().cast(), &mut short),
            srtp_err_status_bad_param
        );
        let mut neg = -1;
        assert_eq!(
            srtp_unprotect(rx, p.as_mut_ptr().cast(), &mut neg),
            srtp_err_status_bad_param
        );
        let mut k = n;
        assert_eq!(srtp_unprotect(rx, p.as_mut_ptr().cast(), &mut k), 0);
        assert_eq!(k, 100);
        let _ = profile;
        srtp_dealloc(tx);
        srtp_dealloc(rx);
    }
}
