//! SRTP: ours beside the fastest peers, in one criterion run (feature `fastest`):
//! - `libsrtp-openssl`: libsrtp 2.3 built with OpenSSL 3 from `srtp2-sys`'s bundled source;
//! - `libsrtp-debian`: Debian's libsrtp2 2.5 (NSS), the correctness peer;
//! - `webrtc-srtp`: the crates.io crate (RustCrypto backend), its `Context` with a 64-packet
//!   replay window;
//! - `str0m-aws-lc-rs`: str0m 0.25's SRTP on its aws-lc-rs backend (its packet layer over the
//!   public crypto provider, see `prose_sec_peers::str0m`: no replay window, index given).
//!
//! IDs: `{protect,unprotect}/<profile>/<payload>/<impl>` and
//! `{protect,unprotect}_batch/<profile>/<payload>/<impl>` (16 packets a call, throughput in
//! packets). Only prose-sec has a batch call: every peer's batch row is the same 16 packets,
//! one call each. Every packet has a new index: protect reuses one warm buffer with a new
//! sequence number; unprotect consumes packets of ours made outside the timing, 256 at a time
//! (the batch rows: 16 batches of 16).
//! The packets of every peer are checked against ours by `tests/srtp_fastest_interop.rs`.
//!
//! Run: `cargo bench -p prose-sec-peers --bench srtp_fastest -- --warm-up-time 1 --measurement-time 3`.
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use prose_sec::srtp::{MasterKey, Policy, Profile, Session};
use prose_sec_peers::libsrtp::{Build, LibSrtp, MAX_TRAILER};
use prose_sec_peers::str0m::{Str0mProfile, Str0mSrtp};
use webrtc_srtp::context::Context as WebrtcContext;
use webrtc_srtp::option::srtp_replay_protection;
use webrtc_srtp::protection_profile::ProtectionProfile;

const SIZES: [usize; 3] = [20, 160, 1200];
const BATCH_SIZES: [usize; 2] = [160, 1200];
const BATCH: usize = 16;
const SSRC: u32 = 0x1234_5678;
const HLEN: usize = 12;

fn short(p: Profile) -> &'static str {
    match p {
        Profile::Aes128CmHmacSha1_80 => "aes128cm80",
        Profile::AeadAes128Gcm => "aes128gcm",
        _ => unreachable!(),
    }
}

struct Keys {
    key: [u8; 16],
    salt: Vec<u8>,
}

impl Keys {
    fn new(p: Profile) -> Keys {
        let mut key = [0u8; 16];
        for (i, k) in key.iter_mut().enumerate() {
            *k = i as u8;
        }
        let salt = (0..p.salt_len() as u8).map(|x| x ^ 0x3c).collect();
        Keys { key, salt }
    }
    fn policy(&self, p: Profile) -> Policy {
        Policy::new(p, MasterKey::new(&self.key, &self.salt).unwrap())
    }
    fn libsrtp(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut ks = self.key.to_vec();
        ks.extend_from_slice(&self.salt);
        vec![(ks, Vec::new())]
    }
    fn webrtc(&self, p: Profile) -> WebrtcContext {
        let profile = match p {
            Profile::Aes128CmHmacSha1_80 => ProtectionProfile::Aes128CmHmacSha1_80,
            _ => ProtectionProfile::AeadAes128Gcm,
        };
        WebrtcContext::new(
            &self.key,
            &self.salt,
            profile,
            Some(srtp_replay_protection(64)),
            None,
        )
        .unwrap()
    }
    fn str0m(&self, p: Profile) -> Str0mSrtp {
        let profile = match p {
            Profile::Aes128CmHmacSha1_80 => Str0mProfile::Aes128CmSha1_80,
            _ => Str0mProfile::AeadAes128Gcm,
        };
        Str0mSrtp::new(profile, &self.key, &self.salt)
    }
}

/// An RTP packet (12-octet header, `payload` octets) in a buffer with libsrtp's trailer room.
fn rtp(seq: u16, payload: usize) -> Vec<u8> {
    let mut v = vec![0x80, 0x60];
    v.extend_from_slice(&seq.to_be_bytes());
    v.extend_from_slice(&[0, 0, 0x10, 0]);
    v.extend_from_slice(&SSRC.to_be_bytes());
    v.extend((0..payload).map(|i| i as u8));
    v.resize(HLEN + payload + MAX_TRAILER, 0);
    v
}

/// Packets prepared per untimed round: 256 (330 kB at 1200 octets), so that every row runs
/// from the caches as the protect rows do; the batch rows take 256 / 16 batches a round.
const RING_PACKETS: u64 = 256;

/// Runs `op` on `iters` packets that `make` prepares (untimed) in rounds of [`RING_PACKETS`].
fn timed_ring<P>(iters: u64, make: impl FnMut() -> P, op: impl FnMut(&mut P)) -> Duration {
    timed_ring_of(RING_PACKETS, iters, make, op)
}

/// Runs `op` on `iters` batches that `make` prepares (untimed), [`RING_PACKETS`] packets a round.
fn timed_batches<P>(iters: u64, make: impl FnMut() -> P, op: impl FnMut(&mut P)) -> Duration {
    timed_ring_of(RING_PACKETS / BATCH as u64, iters, make, op)
}

/// Runs `op` on `iters` items that `make` prepares (untimed) in rounds of `ring_cap`.
fn timed_ring_of<P>(
    ring_cap: u64,
    iters: u64,
    mut make: impl FnMut() -> P,
    mut op: impl FnMut(&mut P),
) -> Duration {
    let mut total = Duration::ZERO;
    let mut done = 0;
    let mut ring: Vec<P> = Vec::with_capacity(ring_cap as usize);
    while done < iters {
        let n = (iters - done).min(ring_cap);
        ring.clear();
        ring.extend((0..n).map(|_| make()));
        let start = Instant::now();
        for p in ring.iter_mut() {
            op(p);
        }
        total += start.elapsed();
        done += n;
    }
    total
}

/// The next sequence number and its packet index (ROC · 2^16 + SEQ) of a sender.
struct Counter(u64);
impl Counter {
    fn next(&mut self) -> (u16, u64) {
        self.0 += 1;
        (self.0 as u16, self.0)
    }
}

/// A maker of packets protected by us, with their index.
fn sender(policy: &Policy, size: usize) -> impl FnMut() -> (Vec<u8>, usize, u16, u64) {
    let mut tx = Session::new(policy).unwrap();
    let mut c = Counter(0);
    move || {
        let (seq, idx) = c.next();
        let mut v = rtp(seq, size);
        let n = tx.protect_rtp(&mut v, HLEN + size).unwrap();
        (v, n, seq, idx)
    }
}

fn bench_single(c: &mut Criterion, p: Profile) {
    let k = Keys::new(p);
    let policy = k.policy(p);
    for size in SIZES {
        let len = HLEN + size;
        let id = |name: &str| BenchmarkId::new(size.to_string(), name);

        let mut g = c.benchmark_group(format!("protect/{}", short(p)));
        g.throughput(Throughput::Elements(1));
        let mut buf = rtp(0, size);
        let mut ours = Session::new(&policy).unwrap();
        let mut n = Counter(0);
        g.bench_function(id("prose"), |b| {
            b.iter(|| {
                let (seq, _) = n.next();
                buf[2..4].copy_from_slice(&seq.to_be_bytes());
                ours.protect_rtp(&mut buf, len).unwrap()
            })
        });
        for (name, build) in [
            ("libsrtp-openssl", Build::OpenSsl),
            ("libsrtp-debian", Build::Debian),
        ] {
            let mut peer = LibSrtp::on(build, p, &k.libsrtp(), true, 128);
            let mut n = Counter(0);
            g.bench_function(id(name), |b| {
                b.iter(|| {
                    let (seq, _) = n.next();
                    buf[2..4].copy_from_slice(&seq.to_be_bytes());
                    peer.protect(&mut buf, len, None).unwrap()
                })
            });
        }
        let mut web = k.webrtc(p);
        let mut n = Counter(0);
        g.bench_function(id("webrtc-srtp"), |b| {
            b.iter(|| {
                let (seq, _) = n.next();
                buf[2..4].copy_from_slice(&seq.to_be_bytes());
                web.encrypt_rtp(&buf[..len]).unwrap()
            })
        });
        let mut s0 = k.str0m(p);
        let mut n = Counter(0);
        g.bench_function(id("str0m-aws-lc-rs"), |b| {
            b.iter(|| {
                let (seq, idx) = n.next();
                buf[2..4].copy_from_slice(&seq.to_be_bytes());
                s0.protect_rtp(&buf[..len], HLEN, SSRC, seq, idx)
            })
        });
        g.finish();

        let mut g = c.benchmark_group(format!("unprotect/{}", short(p)));
        g.throughput(Throughput::Elements(1));
        let mut make = sender(&policy, size);
        let mut rx = Session::new(&policy).unwrap();
        g.bench_function(id("prose"), |b| {
            b.iter_custom(|iters| {
                timed_ring(iters, &mut make, |(buf, n, _, _)| {
                    rx.unprotect_rtp(buf, *n).unwrap();
                })
            })
        });
        for (name, build) in [
            ("libsrtp-openssl", Build::OpenSsl),
            ("libsrtp-debian", Build::Debian),
        ] {
            let mut make = sender(&policy, size);
            let mut peer = LibSrtp::on(build, p, &k.libsrtp(), false, 128);
            g.bench_function(id(name), |b| {
                b.iter_custom(|iters| {
                    timed_ring(iters, &mut make, |(buf, n, _, _)| {
                        peer.unprotect(buf, *n, false).unwrap();
                    })
                })
            });
        }
        let mut make = sender(&policy, size);
        let mut web = k.webrtc(p);
        g.bench_function(id("webrtc-srtp"), |b| {
            b.iter_custom(|iters| {
                timed_ring(iters, &mut make, |(buf, n, _, _)| {
                    black_box(web.decrypt_rtp(&buf[..*n]).unwrap());
                })
            })
        });
        let mut make = sender(&policy, size);
        let mut s0 = k.str0m(p);
        g.bench_function(id("str0m-aws-lc-rs"), |b| {
            b.iter_custom(|iters| {
                timed_ring(iters, &mut make, |(buf, n, seq, idx)| {
                    black_box(
                        s0.unprotect_rtp(&buf[..*n], HLEN, SSRC, *seq, *idx)
                            .unwrap(),
                    );
                })
            })
        });
        g.finish();
    }
}

fn bench_batch(c: &mut Criterion, p: Profile) {
    let k = Keys::new(p);
    let policy = k.policy(p);
    for size in BATCH_SIZES {
        let len = HLEN + size;
        let id = |name: &str| BenchmarkId::new(size.to_string(), name);

        let mut g = c.benchmark_group(format!("protect_batch/{}", short(p)));
        g.throughput(Throughput::Elements(BATCH as u64));
        let mut bufs: Vec<Vec<u8>> = (0..BATCH).map(|_| rtp(0, size)).collect();
        let mut ours = Session::new(&policy).unwrap();
        let mut n = Counter(0);
        let mut results = [Ok(0usize); BATCH];
        g.bench_function(id("prose"), |b| {
            b.iter(|| {
                let mut it = bufs.iter_mut();
                let mut items: [(&mut [u8], usize); BATCH] = std::array::from_fn(|_| {
                    let buf = it.next().unwrap();
                    let (seq, _) = n.next();
                    buf[2..4].copy_from_slice(&seq.to_be_bytes());
                    (buf.as_mut_slice(), len)
                });
                ours.protect_rtp_batch(&mut items, &mut results).unwrap();
            })
        });
        // The peers have no batch call: the same 16 packets, one call each.
        for (name, build) in [
            ("libsrtp-openssl", Build::OpenSsl),
            ("libsrtp-debian", Build::Debian),
        ] {
            let mut peer = LibSrtp::on(build, p, &k.libsrtp(), true, 128);
            let mut n = Counter(0);
            g.bench_function(id(name), |b| {
                b.iter(|| {
                    for buf in bufs.iter_mut() {
                        let (seq, _) = n.next();
                        buf[2..4].copy_from_slice(&seq.to_be_bytes());
                        peer.protect(buf, len, None).unwrap();
                    }
                })
            });
        }
        let mut web = k.webrtc(p);
        let mut n = Counter(0);
        g.bench_function(id("webrtc-srtp"), |b| {
            b.iter(|| {
                for buf in bufs.iter_mut() {
                    let (seq, _) = n.next();
                    buf[2..4].copy_from_slice(&seq.to_be_bytes());
                    black_box(web.encrypt_rtp(&buf[..len]).unwrap());
                }
            })
        });
        let mut s0 = k.str0m(p);
        let mut n = Counter(0);
        g.bench_function(id("str0m-aws-lc-rs"), |b| {
            b.iter(|| {
                for buf in bufs.iter_mut() {
                    let (seq, idx) = n.next();
                    buf[2..4].copy_from_slice(&seq.to_be_bytes());
                    black_box(s0.protect_rtp(&buf[..len], HLEN, SSRC, seq, idx));
                }
            })
        });
        g.finish();

        let mut g = c.benchmark_group(format!("unprotect_batch/{}", short(p)));
        g.throughput(Throughput::Elements(BATCH as u64));
        let batch_of = |policy: &Policy| {
            let mut one = sender(policy, size);
            move || (0..BATCH).map(|_| one()).collect::<Vec<_>>()
        };
        let mut make = batch_of(&policy);
        let mut rx = Session::new(&policy).unwrap();
        let mut results = [Ok(0usize); BATCH];
        g.bench_function(id("prose"), |b| {
            b.iter_custom(|iters| {
                timed_batches(iters, &mut make, |pkts| {
                    let mut it = pkts.iter_mut();
                    let mut items: [(&mut [u8], usize); BATCH] = std::array::from_fn(|_| {
                        let (buf, n, _, _) = it.next().unwrap();
                        (buf.as_mut_slice(), *n)
                    });
                    rx.unprotect_rtp_batch(&mut items, &mut results).unwrap();
                })
            })
        });
        for (name, build) in [
            ("libsrtp-openssl", Build::OpenSsl),
            ("libsrtp-debian", Build::Debian),
        ] {
            let mut make = batch_of(&policy);
            let mut peer = LibSrtp::on(build, p, &k.libsrtp(), false, 128);
            g.bench_function(id(name), |b| {
                b.iter_custom(|iters| {
                    timed_batches(iters, &mut make, |pkts| {
                        for (buf, n, _, _) in pkts.iter_mut() {
                            peer.unprotect(buf, *n, false).unwrap();
                        }
                    })
                })
            });
        }
        let mut make = batch_of(&policy);
        let mut web = k.webrtc(p);
        g.bench_function(id("webrtc-srtp"), |b| {
            b.iter_custom(|iters| {
                timed_batches(iters, &mut make, |pkts| {
                    for (buf, n, _, _) in pkts.iter_mut() {
                        black_box(web.decrypt_rtp(&buf[..*n]).unwrap());
                    }
                })
            })
        });
        let mut make = batch_of(&policy);
        let mut s0 = k.str0m(p);
        g.bench_function(id("str0m-aws-lc-rs"), |b| {
            b.iter_custom(|iters| {
                timed_batches(iters, &mut make, |pkts| {
                    for (buf, n, seq, idx) in pkts.iter_mut() {
                        black_box(
                            s0.unprotect_rtp(&buf[..*n], HLEN, SSRC, *seq, *idx)
                                .unwrap(),
                        );
                    }
                })
            })
        });
        g.finish();
    }
}

fn all(c: &mut Criterion) {
    for p in [Profile::Aes128CmHmacSha1_80, Profile::AeadAes128Gcm] {
        bench_single(c, p);
        bench_batch(c, p);
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(20);
    targets = all
}
criterion_main!(benches);
