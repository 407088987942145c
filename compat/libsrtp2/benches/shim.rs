//! What the libsrtp2 API adds over the engine: `srtp_protect` through this library against
//! `Session::protect_rtp` on the same profile, key and packets, in one run. One warm buffer, a
//! new sequence number per call (as the engine's own SRTP bench).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use prose_sec::srtp::{MasterKey, Policy, Profile, Session};
use srtp2::types::*;
use srtp2::*;

type Preset = unsafe extern "C" fn(*mut srtp_crypto_policy_t);

fn bench(c: &mut Criterion) {
    let cases: [(&str, Profile, Preset); 2] = [
        (
            "aes128cm80",
            Profile::Aes128CmHmacSha1_80,
            srtp_crypto_policy_set_rtp_default,
        ),
        (
            "aes128gcm",
            Profile::AeadAes128Gcm,
            srtp_crypto_policy_set_aes_gcm_128_16_auth,
        ),
    ];
    for (name, profile, preset) in cases {
        let mut key: Vec<u8> = (0..(profile.key_len() + profile.salt_len()) as u8).collect();
        for size in [160usize, 1200] {
            let len = 12 + size;
            let mut buf = vec![0x5au8; len + SRTP_MAX_TRAILER_LEN];
            buf[0] = 0x80;
            buf[1] = 0x60;
            buf[8..12].copy_from_slice(&0x1234_5678u32.to_be_bytes());
            let mut g = c.benchmark_group(format!("protect/{name}"));
            g.throughput(Throughput::Elements(1));
            let mk = MasterKey::from_concatenated(profile, &key).unwrap();
            let mut s = Session::new(&Policy::new(profile, mk)).unwrap();
            let mut seq = 0u16;
            g.bench_function(BenchmarkId::new(size.to_string(), "session"), |b| {
                b.iter(|| {
                    seq = seq.wrapping_add(1);
                    buf[2..4].copy_from_slice(&seq.to_be_bytes());
                    s.protect_rtp(&mut buf, len).unwrap()
                })
            });
            let mut p = srtp_policy_t {
                ssrc: srtp_ssrc_t {
                    type_: ssrc_any_outbound,
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
            let mut ctx: srtp2::srtp_t = core::ptr::null_mut();
            // SAFETY: valid policy (key buffer holds key and salt) and output pointer.
            unsafe {
                preset(&mut p.rtp);
                preset(&mut p.rtcp);
                assert_eq!(srtp_create(&mut ctx, &p), 0);
            }
            let mut seq = 0u16;
            g.bench_function(BenchmarkId::new(size.to_string(), "libsrtp2-api"), |b| {
                b.iter(|| {
                    seq = seq.wrapping_add(1);
                    buf[2..4].copy_from_slice(&seq.to_be_bytes());
                    let mut n = len as i32;
                    // SAFETY: the buffer has SRTP_MAX_TRAILER_LEN spare octets.
                    unsafe { srtp_protect(ctx, buf.as_mut_ptr().cast(), &mut n) }
                })
            });
            // SAFETY: from srtp_create, not used afterwards.
            unsafe { srtp_dealloc(ctx) };
            g.finish();
        }
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
