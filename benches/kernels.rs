//! Criterion benchmarks of the x86-64 SRTP kernels, each beside its RustCrypto equivalent in the
//! same run: AES-GCM seal/open, AES-CTR keystream, and batched HMAC-SHA1.
//!
//! Run: `cargo bench --bench kernels -- --warm-up-time 1 --measurement-time 3`

use criterion::{criterion_group, criterion_main, Criterion};

#[cfg(all(target_arch = "x86_64", not(prose_backend = "soft")))]
mod x86 {
    use super::*;
    use aes_gcm::aead::{AeadInPlace, KeyInit};
    use criterion::{black_box, BenchmarkId, Throughput};
    use ctr::cipher::{KeyIvInit, StreamCipher};
    use hmac::{Hmac, Mac};
    use prose_sec::backend::x86_64::{aes_ctr::AesCtrVaes, gcm::GcmVaes, sha1ni, sha1x16};
    use sha1::Sha1;

    const SIZES: [usize; 4] = [20, 160, 480, 1200];

    pub fn gcm(c: &mut Criterion) {
        let mut g = c.benchmark_group("gcm128");
        let key = [0x11u8; 16];
        let nonce = [0x22u8; 12];
        let aad = [0x80u8; 12];
        let Some(ours) = GcmVaes::new(&key) else {
            eprintln!("GcmVaes unavailable on this CPU");
            return;
        };
        let rc = aes_gcm::Aes128Gcm::new_from_slice(&key).expect("key");
        let n = aes_gcm::Nonce::from_slice(&nonce);
        for size in SIZES {
            g.throughput(Throughput::Bytes(size as u64));
            let mut buf = vec![0x5au8; size];
            g.bench_with_input(BenchmarkId::new("seal/vaes", size), &size, |b, _| {
                b.iter(|| black_box(ours.seal_in_place(&nonce, &aad, black_box(&mut buf))))
            });
            g.bench_with_input(BenchmarkId::new("seal/rustcrypto", size), &size, |b, _| {
                b.iter(|| {
                    black_box(
                        rc.encrypt_in_place_detached(n, &aad, black_box(&mut buf))
                            .expect("seal"),
                    )
                })
            });
            let mut ct = vec![0x5au8; size];
            let tag = ours.seal_in_place(&nonce, &aad, &mut ct);
            g.bench_with_input(BenchmarkId::new("open/vaes", size), &size, |b, _| {
                b.iter(|| {
                    // Decrypt and re-encrypt so every iteration opens a valid packet.
                    let ok = ours.open_in_place(&nonce, &aad, black_box(&mut ct), &tag);
                    assert!(ok);
                    ours.seal_in_place(&nonce, &aad, &mut ct)
                })
            });
            g.bench_with_input(BenchmarkId::new("open/rustcrypto", size), &size, |b, _| {
                let t = aes_gcm::Tag::from(tag);
                b.iter(|| {
                    rc.decrypt_in_place_detached(n, &aad, black_box(&mut ct), &t)
                        .expect("open");
                    rc.encrypt_in_place_detached(n, &aad, &mut ct)
                        .expect("seal")
                })
            });
            g.bench_with_input(BenchmarkId::new("seal2x/vaes", size), &size, |b, _| {
                // Reference for the open figures above: two seals.
                b.iter(|| {
                    ours.seal_in_place(&nonce, &aad, black_box(&mut buf));
                    ours.seal_in_place(&nonce, &aad, black_box(&mut buf))
                })
            });
        }
        g.finish();
    }

    pub fn gcm256(c: &mut Criterion) {
        let mut g = c.benchmark_group("gcm256");
        let key = [0x12u8; 32];
        let nonce = [0x22u8; 12];
        let aad = [0x80u8; 12];
        let Some(ours) = GcmVaes::new(&key) else {
            return;
        };
        let rc = aes_gcm::Aes256Gcm::new_from_slice(&key).expect("key");
        let n = aes_gcm::Nonce::from_slice(&nonce);
        for size in [160usize, 1200] {
            g.throughput(Throughput::Bytes(size as u64));
            let mut buf = vec![0x5au8; size];
            g.bench_with_input(BenchmarkId::new("seal/vaes", size), &size, |b, _| {
                b.iter(|| black_box(ours.seal_in_place(&nonce, &aad, black_box(&mut buf))))
            });
            g.bench_with_input(BenchmarkId::new("seal/rustcrypto", size), &size, |b, _| {
                b.iter(|| {
                    black_box(
                        rc.encrypt_in_place_detached(n, &aad, black_box(&mut buf))
                            .expect("seal"),
                    )
                })
            });
        }
        g.finish();
    }

    pub fn ctr(c: &mut Criterion) {
        let mut g = c.benchmark_group("ctr128");
        let key = [0x33u8; 16];
        let iv = [0x44u8; 16];
        let Some(ours) = AesCtrVaes::new(&key) else {
            eprintln!("AesCtrVaes unavailable on this CPU");
            return;
        };
        for size in SIZES {
            g.throughput(Throughput::Bytes(size as u64));
            let mut buf = vec![0u8; size];
            g.bench_with_input(BenchmarkId::new("vaes", size), &size, |b, _| {
                b.iter(|| ours.apply_keystream(&iv, black_box(&mut buf)))
            });
            g.bench_with_input(BenchmarkId::new("rustcrypto", size), &size, |b, _| {
                // Key schedule kept (cloned cipher), as an SRTP session would hold it.
                let base = ctr::Ctr128BE::<aes::Aes128>::new(&key.into(), &iv.into());
                b.iter(|| {
                    let mut c = base.clone();
                    c.apply_keystream(black_box(&mut buf))
                })
            });
        }
        // Many packets in one call against one call per packet.
        for count in [16usize, 64] {
            let size = 160usize;
            g.throughput(Throughput::Elements(count as u64));
            let ivs: Vec<[u8; 16]> = (0..count).map(|i| [i as u8; 16]).collect();
            let mut bufs: Vec<Vec<u8>> = vec![vec![0u8; size]; count];
            g.bench_with_input(BenchmarkId::new("many_160/vaes", count), &count, |b, _| {
                b.iter(|| {
                    let mut refs: Vec<&mut [u8]> =
                        bufs.iter_mut().map(|x| x.as_mut_slice()).collect();
                    ours.apply_keystream_many(&ivs, black_box(&mut refs))
                })
            });
            g.bench_with_input(BenchmarkId::new("loop_160/vaes", count), &count, |b, _| {
                b.iter(|| {
                    for (iv, buf) in ivs.iter().zip(bufs.iter_mut()) {
                        ours.apply_keystream(iv, black_box(buf));
                    }
                })
            });
        }
        g.finish();
    }

    pub fn hmac(c: &mut Criterion) {
        let mut g = c.benchmark_group("hmac_sha1_172");
        let key = [0x55u8; 20];
        let (inner, outer) = states(&key);
        let keyed = <Hmac<Sha1> as Mac>::new_from_slice(&key).expect("key");
        for batch in [16usize, 64] {
            let msgs: Vec<Vec<u8>> = (0..batch).map(|i| vec![i as u8; 172]).collect();
            let views: Vec<&[u8]> = msgs.iter().map(|m| m.as_slice()).collect();
            let mut out = vec![[0u8; 20]; batch];
            g.throughput(Throughput::Elements(batch as u64));
            if sha1x16::available() {
                g.bench_with_input(BenchmarkId::new("x16", batch), &batch, |b, _| {
                    b.iter(|| sha1x16::hmac_sha1_batch(&inner, &outer, black_box(&views), &mut out))
                });
            }
            if let Some(t) = sha1ni::ShaNi::get() {
                g.bench_with_input(BenchmarkId::new("shani", batch), &batch, |b, _| {
                    b.iter(|| {
                        for (m, o) in views.iter().zip(out.iter_mut()) {
                            *o = sha1ni::hmac_sha1(t, &inner, &outer, black_box(m), &[])
                                .expect("suffix");
                        }
                    })
                });
                g.bench_with_input(BenchmarkId::new("shani_x2", batch), &batch, |b, _| {
                    b.iter(|| shani_lanes::<2>(t, &inner, &outer, black_box(&views), &mut out))
                });
                g.bench_with_input(BenchmarkId::new("shani_x3", batch), &batch, |b, _| {
                    b.iter(|| shani_lanes::<3>(t, &inner, &outer, black_box(&views), &mut out))
                });
                g.bench_with_input(BenchmarkId::new("shani_x4", batch), &batch, |b, _| {
                    b.iter(|| shani_lanes::<4>(t, &inner, &outer, black_box(&views), &mut out))
                });
            }
            g.bench_with_input(BenchmarkId::new("rustcrypto", batch), &batch, |b, _| {
                b.iter(|| {
                    for (m, o) in views.iter().zip(out.iter_mut()) {
                        let mut h = keyed.clone();
                        h.update(black_box(m));
                        o.copy_from_slice(&h.finalize().into_bytes());
                    }
                })
            });
        }
        g.finish();
        // One message at a time from the keyed state, by length: the slope between two
        // lengths is the cost of one SHA-NI compression in a dependent chain.
        let mut g = c.benchmark_group("hmac_sha1_single");
        if let Some(t) = sha1ni::ShaNi::get() {
            for len in [20usize, 176, 1216, 4096] {
                let msg = vec![0x5au8; len];
                g.bench_with_input(BenchmarkId::new("shani", len), &len, |b, _| {
                    b.iter(|| sha1ni::hmac_sha1(t, &inner, &outer, black_box(&msg), &[]))
                });
                g.bench_with_input(BenchmarkId::new("rustcrypto", len), &len, |b, _| {
                    b.iter(|| {
                        let mut h = keyed.clone();
                        h.update(black_box(&msg));
                        h.finalize().into_bytes()
                    })
                });
            }
        }
        g.finish();
    }

    /// `N` messages per kernel call, the rest one by one.
    fn shani_lanes<const N: usize>(
        t: sha1ni::ShaNi,
        inner: &[u32; 5],
        outer: &[u32; 5],
        msgs: &[&[u8]],
        out: &mut [[u8; 20]],
    ) {
        let mut chunks = msgs.chunks_exact(N);
        let mut outs = out.chunks_exact_mut(N);
        for (m, o) in (&mut chunks).zip(&mut outs) {
            let lanes: [(&[u8], &[u8]); N] = core::array::from_fn(|k| (m[k], &[][..]));
            let tags = sha1ni::hmac_sha1_n::<N>(t, inner, outer, lanes).expect("lanes");
            o.copy_from_slice(&tags);
        }
        for (m, o) in chunks.remainder().iter().zip(outs.into_remainder()) {
            *o = sha1ni::hmac_sha1(t, inner, outer, m, &[]).expect("suffix");
        }
    }

    /// Chaining values after the (key ^ ipad) and (key ^ opad) blocks (plain FIPS 180-4
    /// compression; key setup is not what is measured).
    fn states(key: &[u8; 20]) -> ([u32; 5], [u32; 5]) {
        let mut ib = [0x36u8; 64];
        let mut ob = [0x5cu8; 64];
        for (i, k) in key.iter().enumerate() {
            ib[i] ^= k;
            ob[i] ^= k;
        }
        let iv = [
            0x6745_2301,
            0xEFCD_AB89,
            0x98BA_DCFE,
            0x1032_5476,
            0xC3D2_E1F0,
        ];
        (compress(iv, &ib), compress(iv, &ob))
    }

    fn compress(mut h: [u32; 5], block: &[u8; 64]) -> [u32; 5] {
        let mut w = [0u32; 80];
        for (t, c) in block.chunks_exact(4).enumerate() {
            w[t] = u32::from_be_bytes([c[0], c[1], c[2], c[3]]);
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
}

#[cfg(all(target_arch = "x86_64", not(prose_backend = "soft")))]
criterion_group!(benches, x86::gcm, x86::gcm256, x86::ctr, x86::hmac);

#[cfg(not(all(target_arch = "x86_64", not(prose_backend = "soft"))))]
fn nothing(_c: &mut Criterion) {}
#[cfg(not(all(target_arch = "x86_64", not(prose_backend = "soft"))))]
criterion_group!(benches, nothing);

criterion_main!(benches);
