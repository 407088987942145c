//! SRTP/SRTCP benchmarks: ours and the system libsrtp2 side by side in one run.
//!
//! IDs: `protect/<profile>/<payload>/{prose,libsrtp}`, `unprotect/...`,
//! `protect_batch/<profile>/<payload>/prose` (16 packets a call; throughput in packets),
//! `unprotect_batch/...`, `protect_rtcp/...`. Every packet has a new index (both libraries
//! refuse to protect or accept one twice): protect reuses one warm buffer with a new sequence
//! number; unprotect consumes packets made outside the timing, 256 at a time.
//!
//! The batch unprotect rows consume 16 batches (256 packets) per ring, as many packets as the
//! single rows: with 256 batches (4096 packets, 5 MB at 1200 octets) the ring made outside the
//! timing no longer fits in L2 and the row measured the memory, not the code.
//!
//! `PROSE_BENCH_CPU_TIME=1` times the rows (all but `protect_cores`) in the benchmarking
//! thread's CPU time instead of wall time, for a machine shared with other jobs.
//!
//! Run: `cargo bench --bench srtp -- --warm-up-time 1 --measurement-time 3 [filter]`.
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use prose_sec::srtp::{MasterKey, Policy, Profile, Session};
use prose_sec_peers::libsrtp::{LibSrtp, PeerKeys, MAX_TRAILER};

const SIZES: [usize; 4] = [20, 160, 480, 1200];
const BATCH: usize = 16;
const SSRC: u32 = 0x1234_5678;

fn short(p: Profile) -> &'static str {
    match p {
        Profile::Aes128CmHmacSha1_80 => "aes128cm80",
        Profile::Aes128CmHmacSha1_32 => "aes128cm32",
        Profile::Aes256CmHmacSha1_80 => "aes256cm80",
        Profile::Aes256CmHmacSha1_32 => "aes256cm32",
        Profile::NullHmacSha1_80 => "null80",
        Profile::NullHmacSha1_32 => "null32",
        Profile::AeadAes128Gcm => "aes128gcm",
        Profile::AeadAes256Gcm => "aes256gcm",
        _ => "other",
    }
}

fn keys(p: Profile) -> (Policy, PeerKeys) {
    let k: Vec<u8> = (0..p.key_len() as u8).collect();
    let s: Vec<u8> = (0..p.salt_len() as u8).map(|x| x ^ 0x3c).collect();
    let mut ks = k.clone();
    ks.extend_from_slice(&s);
    (
        Policy::new(p, MasterKey::new(&k, &s).unwrap()),
        vec![(ks, Vec::new())],
    )
}

fn rtp(seq: u16, payload: usize) -> Vec<u8> {
    let mut v = vec![0x80, 0x60];
    v.extend_from_slice(&seq.to_be_bytes());
    v.extend_from_slice(&[0, 0, 0x10, 0]);
    v.extend_from_slice(&SSRC.to_be_bytes());
    v.extend((0..payload).map(|i| i as u8));
    v.resize(12 + payload + MAX_TRAILER, 0);
    v
}

/// The bench clock: wall time, or this thread's CPU time with `PROSE_BENCH_CPU_TIME=1`.
fn now() -> Duration {
    static CPU: OnceLock<bool> = OnceLock::new();
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    if *CPU.get_or_init(|| std::env::var_os("PROSE_BENCH_CPU_TIME").is_some_and(|v| v == "1")) {
        prose_sec_peers::cputime::thread_cpu_time()
    } else {
        EPOCH.get_or_init(Instant::now).elapsed()
    }
}

/// Times `iters` runs of `op` with [`now`].
fn timed(iters: u64, mut op: impl FnMut()) -> Duration {
    let start = now();
    for _ in 0..iters {
        op();
    }
    now().saturating_sub(start)
}

/// Runs `op` on `iters` items that `make` prepares (untimed) in rounds of `ring`.
fn timed_ring<P>(
    iters: u64,
    ring_len: u64,
    mut make: impl FnMut() -> P,
    mut op: impl FnMut(&mut P),
) -> Duration {
    let mut total = Duration::ZERO;
    let mut done = 0;
    let mut ring: Vec<P> = Vec::with_capacity(ring_len as usize);
    while done < iters {
        let n = (iters - done).min(ring_len);
        ring.clear();
        ring.extend((0..n).map(|_| make()));
        let start = now();
        for p in ring.iter_mut() {
            op(p);
        }
        total += now().saturating_sub(start);
        done += n;
    }
    total
}

/// Packets per ring of the unprotect rows (batch rows: this many packets in batches).
const RING: u64 = 256;

/// Batches per ring of the batch unprotect rows: `RING / BATCH` (as many packets as the single
/// rows), or `PROSE_BENCH_BATCH_RING` (256 reproduces the earlier, cache-cold rows).
fn batch_ring() -> u64 {
    std::env::var("PROSE_BENCH_BATCH_RING")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(RING / BATCH as u64)
}

fn bench_profile(c: &mut Criterion, p: Profile) {
    let (policy, peer_keys) = keys(p);
    for size in SIZES {
        let len = 12 + size;

        // Protect: one warm buffer, a new sequence number each time (protect does not care
        // that the payload is already ciphertext).
        let mut g = c.benchmark_group(format!("protect/{}", short(p)));
        g.throughput(Throughput::Elements(1));
        let mut ours = Session::new(&policy).unwrap();
        let mut buf = rtp(0, size);
        let mut seq = 0u16;
        g.bench_function(BenchmarkId::new(size.to_string(), "prose"), |b| {
            b.iter_custom(|iters| {
                timed(iters, || {
                    seq = seq.wrapping_add(1);
                    buf[2..4].copy_from_slice(&seq.to_be_bytes());
                    criterion::black_box(ours.protect_rtp(&mut buf, len).unwrap());
                })
            })
        });
        let mut peer = LibSrtp::new(p, &peer_keys, true, 128);
        let mut seq = 0u16;
        g.bench_function(BenchmarkId::new(size.to_string(), "libsrtp"), |b| {
            b.iter_custom(|iters| {
                timed(iters, || {
                    seq = seq.wrapping_add(1);
                    buf[2..4].copy_from_slice(&seq.to_be_bytes());
                    criterion::black_box(peer.protect(&mut buf, len, None).unwrap());
                })
            })
        });
        g.finish();

        // Unprotect: fresh packets from a sender of ours, made outside the timing, 256 at a
        // time (interop itself is covered by the tests).
        let mut g = c.benchmark_group(format!("unprotect/{}", short(p)));
        g.throughput(Throughput::Elements(1));
        let mut tx = Session::new(&policy).unwrap();
        let mut seq = 0u16;
        let mut make = move || {
            seq = seq.wrapping_add(1);
            let mut v = rtp(seq, size);
            let n = tx.protect_rtp(&mut v, len).unwrap();
            (v, n)
        };
        let mut rx = Session::new(&policy).unwrap();
        g.bench_function(BenchmarkId::new(size.to_string(), "prose"), |b| {
            b.iter_custom(|iters| {
                timed_ring(iters, RING, &mut make, |(buf, n)| {
                    rx.unprotect_rtp(buf, *n).unwrap();
                })
            })
        });
        let mut tx = Session::new(&policy).unwrap();
        let mut seq = 0u16;
        let mut make = move || {
            seq = seq.wrapping_add(1);
            let mut v = rtp(seq, size);
            let n = tx.protect_rtp(&mut v, len).unwrap();
            (v, n)
        };
        let mut peer_rx = LibSrtp::new(p, &peer_keys, false, 128);
        g.bench_function(BenchmarkId::new(size.to_string(), "libsrtp"), |b| {
            b.iter_custom(|iters| {
                timed_ring(iters, RING, &mut make, |(buf, n)| {
                    peer_rx.unprotect(buf, *n, false).unwrap();
                })
            })
        });
        g.finish();
    }
}

fn bench_batch(c: &mut Criterion, p: Profile) {
    let (policy, peer_keys) = keys(p);
    for size in SIZES {
        let len = 12 + size;
        let mut g = c.benchmark_group(format!("protect_batch/{}", short(p)));
        g.throughput(Throughput::Elements(BATCH as u64));
        let mut ours = Session::new(&policy).unwrap();
        let mut bufs: Vec<Vec<u8>> = (0..BATCH).map(|_| rtp(0, size)).collect();
        let mut seq = 0u16;
        let mut results = [Ok(0usize); BATCH];
        g.bench_function(BenchmarkId::new(size.to_string(), "prose"), |b| {
            b.iter_custom(|iters| {
                timed(iters, || {
                    let mut it = bufs.iter_mut();
                    let mut items: [(&mut [u8], usize); BATCH] = std::array::from_fn(|_| {
                        let buf = it.next().unwrap();
                        seq = seq.wrapping_add(1);
                        buf[2..4].copy_from_slice(&seq.to_be_bytes());
                        (buf.as_mut_slice(), len)
                    });
                    ours.protect_rtp_batch(&mut items, &mut results).unwrap();
                })
            })
        });
        // The peer has no batch call: the same 16 packets, one call each.
        let mut peer = LibSrtp::new(p, &peer_keys, true, 128);
        let mut seq = 0u16;
        g.bench_function(BenchmarkId::new(size.to_string(), "libsrtp"), |b| {
            b.iter_custom(|iters| {
                timed(iters, || {
                    for buf in bufs.iter_mut() {
                        seq = seq.wrapping_add(1);
                        buf[2..4].copy_from_slice(&seq.to_be_bytes());
                        peer.protect(buf, len, None).unwrap();
                    }
                })
            })
        });
        g.finish();

        let mut g = c.benchmark_group(format!("unprotect_batch/{}", short(p)));
        g.throughput(Throughput::Elements(BATCH as u64));
        let mut tx = Session::new(&policy).unwrap();
        let mut seq = 0u16;
        let mut make = move || {
            let mut v: Vec<(Vec<u8>, usize)> = Vec::with_capacity(BATCH);
            for _ in 0..BATCH {
                seq = seq.wrapping_add(1);
                let mut b = rtp(seq, size);
                let n = tx.protect_rtp(&mut b, len).unwrap();
                v.push((b, n));
            }
            v
        };
        let mut rx = Session::new(&policy).unwrap();
        let mut results = [Ok(0usize); BATCH];
        g.bench_function(BenchmarkId::new(size.to_string(), "prose"), |b| {
            b.iter_custom(|iters| {
                timed_ring(iters, batch_ring(), &mut make, |pkts| {
                    let mut it = pkts.iter_mut();
                    let mut items: [(&mut [u8], usize); BATCH] = std::array::from_fn(|_| {
                        let (buf, n) = it.next().unwrap();
                        (buf.as_mut_slice(), *n)
                    });
                    rx.unprotect_rtp_batch(&mut items, &mut results).unwrap();
                })
            })
        });
        g.finish();
    }
}

fn bench_rtcp(c: &mut Criterion, p: Profile) {
    let (policy, peer_keys) = keys(p);
    let size = 160;
    let mut plain = vec![0x80, 200];
    plain.extend_from_slice(&((1 + size / 4) as u16).to_be_bytes());
    plain.extend_from_slice(&SSRC.to_be_bytes());
    plain.extend((0..size).map(|i| i as u8));
    let len = plain.len();
    plain.resize(len + MAX_TRAILER, 0);
    let mut g = c.benchmark_group(format!("protect_rtcp/{}", short(p)));
    g.throughput(Throughput::Elements(1));
    let mut ours = Session::new(&policy).unwrap();
    let mut buf = plain.clone();
    g.bench_function(BenchmarkId::new(size.to_string(), "prose"), |b| {
        b.iter(|| ours.protect_rtcp(&mut buf, len).unwrap())
    });
    let mut peer = LibSrtp::new(p, &peer_keys, true, 128);
    g.bench_function(BenchmarkId::new(size.to_string(), "libsrtp"), |b| {
        b.iter(|| peer.protect_rtcp(&mut buf, len, None).unwrap())
    });
    g.finish();
}

/// Protect on one thread and on two threads (one session each, both running at once), in the
/// same run: `protect_cores/<profile>/<payload>/{1,2}`. The time is wall time per packet over
/// all threads (throughput in packets), so the ratio of the two rows is the speed-up on two
/// cores.
fn bench_cores(c: &mut Criterion, p: Profile) {
    let (policy, _) = keys(p);
    let size = 160;
    let len = 12 + size;
    let mut g = c.benchmark_group(format!("protect_cores/{}", short(p)));
    for threads in [1usize, 2] {
        g.throughput(Throughput::Elements(threads as u64));
        g.bench_function(BenchmarkId::new(size.to_string(), threads), |b| {
            b.iter_custom(|iters| {
                let barrier = std::sync::Barrier::new(threads);
                let start = std::thread::scope(|sc| {
                    let hs: Vec<_> = (0..threads)
                        .map(|t| {
                            let barrier = &barrier;
                            let policy = &policy;
                            sc.spawn(move || {
                                let mut s = Session::new(policy).unwrap();
                                let mut buf = rtp(0, size);
                                buf[8..12].copy_from_slice(&(SSRC + t as u32).to_be_bytes());
                                let mut seq = 0u16;
                                barrier.wait();
                                let start = Instant::now();
                                for _ in 0..iters {
                                    seq = seq.wrapping_add(1);
                                    buf[2..4].copy_from_slice(&seq.to_be_bytes());
                                    criterion::black_box(s.protect_rtp(&mut buf, len).unwrap());
                                }
                                (start, start.elapsed())
                            })
                        })
                        .collect();
                    hs.into_iter()
                        .map(|h| h.join().unwrap())
                        .collect::<Vec<_>>()
                });
                // From the first start to the last end.
                let first = start.iter().map(|(s, _)| *s).min().unwrap();
                let end = start.iter().map(|(s, d)| *s + *d).max().unwrap();
                end - first
            })
        });
    }
    g.finish();
}

fn all(c: &mut Criterion) {
    bench_cores(c, Profile::Aes128CmHmacSha1_80);
    for p in Profile::ALL {
        bench_profile(c, p);
    }
    for p in [Profile::Aes128CmHmacSha1_80, Profile::AeadAes128Gcm] {
        bench_batch(c, p);
        bench_rtcp(c, p);
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(2))
        .sample_size(20);
    targets = all
}
criterion_main!(benches);
