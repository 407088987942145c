//! Criterion benchmarks for ECCSI (RFC 6507, P-256), ours and the system wolfSSL's side by side
//! in the same run: sign, verify (uncached), verify with a cached signer, SSK/PVT issue, and the
//! member's SSK/PVT validation.
//!
//! wolfSSL keeps a process-wide cache that builds a table for any point used twice, so the
//! uncached rows rotate through many signers (identities, PVTs) and signatures for both sides.
//!
//! Default measurement: wall time. With `PROSE_BENCH_CPU_TIME=1` the same benchmarks measure the
//! thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`), which keeps the figures usable on a machine
//! shared with other jobs (time spent descheduled is not counted; cache pollution still is).

use std::time::Duration;

use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::Criterion;
use prose_sec::eccsi::{self, Kpak, Ksak, SigningKey, Ssk, Verifier, POINT_LEN, SIGNATURE_LEN};
use prose_sec_peers::cputime::thread_cpu_time;
use prose_sec_peers::wolfssl::eccsi::{Key, Mp, Point, Rng};
use rand_core::OsRng;

/// Distinct signers rotated through in the uncached rows.
const SIGNERS: usize = 64;

/// Criterion measurement: CPU time of the benchmarking thread.
struct ThreadCpuTime(WallTime);

fn thread_cpu_now() -> Duration {
    thread_cpu_time()
}

impl Measurement for ThreadCpuTime {
    type Intermediate = Duration;
    type Value = Duration;
    fn start(&self) -> Duration {
        thread_cpu_now()
    }
    fn end(&self, i: Duration) -> Duration {
        thread_cpu_now().saturating_sub(i)
    }
    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }
    fn zero(&self) -> Duration {
        Duration::ZERO
    }
    fn to_f64(&self, v: &Duration) -> f64 {
        v.as_nanos() as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        self.0.formatter()
    }
}

struct Fixture {
    ksak: Ksak,
    kpak: Kpak,
    ids: Vec<Vec<u8>>,
    pairs: Vec<(Ssk, [u8; POINT_LEN])>,
    keys: Vec<SigningKey>,
    msgs: Vec<Vec<u8>>,
    sigs: Vec<[u8; SIGNATURE_LEN]>,
}

fn fixture() -> Fixture {
    let ksak = Ksak::generate(&mut OsRng);
    let kpak = ksak.kpak();
    let ids: Vec<Vec<u8>> = (0..SIGNERS)
        .map(|i| format!("2026-11\0sip:user{i}@example.org\0").into_bytes())
        .collect();
    let pairs: Vec<_> = ids
        .iter()
        .map(|id| ksak.issue(id, &mut OsRng).unwrap())
        .collect();
    let keys: Vec<_> = ids
        .iter()
        .zip(&pairs)
        .map(|(id, (ssk, pvt))| SigningKey::new(&kpak, id, ssk, pvt).unwrap())
        .collect();
    // A MIKEY I_MESSAGE is a few hundred octets.
    let msgs: Vec<Vec<u8>> = (0..SIGNERS).map(|i| vec![i as u8; 400]).collect();
    let sigs = keys
        .iter()
        .zip(&msgs)
        .map(|(k, m)| k.sign(m, &mut OsRng).unwrap())
        .collect();
    Fixture {
        ksak,
        kpak,
        ids,
        pairs,
        keys,
        msgs,
        sigs,
    }
}

fn bench_eccsi<M: Measurement>(c: &mut Criterion<M>) {
    let f = fixture();
    let kpak_b = f.kpak.to_sec1();
    let mut wrng = Rng::new();
    let mut g = c.benchmark_group("eccsi");

    // --- sign (one signer, fresh j each time) ---
    g.bench_function("sign/prose-sec", |b| {
        b.iter(|| f.keys[0].sign(&f.msgs[0], &mut OsRng).unwrap())
    });
    {
        let mut key = Key::with_kpak(&kpak_b);
        let ssk_b = f.pairs[0].0.to_bytes();
        let ssk = Mp::from_bytes(&mut key, &ssk_b);
        let pvt = Point::from_bytes(&mut key, &f.pairs[0].1);
        key.set_pair(&ssk, &pvt);
        key.set_hs(&f.ids[0], &pvt);
        let msg = &f.msgs[0];
        g.bench_function("sign/wolfssl", |b| b.iter(|| key.sign(&mut wrng, msg)));
    }

    // --- verify, uncached: rotate through SIGNERS signers and signatures ---
    let mut i = 0usize;
    g.bench_function("verify/prose-sec", |b| {
        b.iter(|| {
            i = (i + 1) % SIGNERS;
            eccsi::verify(&f.kpak, &f.ids[i], &f.msgs[i], &f.sigs[i]).unwrap()
        })
    });
    {
        let mut key = Key::with_kpak(&kpak_b);
        let pvts: Vec<Point> = f
            .pairs
            .iter()
            .map(|(_, p)| Point::from_bytes(&mut key, p))
            .collect();
        let mut i = 0usize;
        g.bench_function("verify/wolfssl", |b| {
            b.iter(|| {
                i = (i + 1) % SIGNERS;
                // HS from the signer's identifier and PVT, then the verification proper.
                key.set_hs(&f.ids[i], &pvts[i]);
                assert!(key.verify(&f.msgs[i], &f.sigs[i]));
            })
        });
    }

    // --- verify, cached signer: one signer, rotating signatures ---
    let cached_sigs: Vec<_> = f
        .msgs
        .iter()
        .map(|m| f.keys[0].sign(m, &mut OsRng).unwrap())
        .collect();
    let verifier = Verifier::new(&f.kpak, &f.ids[0], &f.pairs[0].1).unwrap();
    let mut i = 0usize;
    g.bench_function("verify_cached/prose-sec", |b| {
        b.iter(|| {
            i = (i + 1) % SIGNERS;
            verifier.verify(&f.msgs[i], &cached_sigs[i]).unwrap()
        })
    });
    {
        // wolfSSL's closest equivalent: HS set once, the same PVT every time (its point cache
        // builds a table for it).
        let mut key = Key::with_kpak(&kpak_b);
        let pvt = Point::from_bytes(&mut key, &f.pairs[0].1);
        key.set_hs(&f.ids[0], &pvt);
        let mut i = 0usize;
        g.bench_function("verify_cached/wolfssl", |b| {
            b.iter(|| {
                i = (i + 1) % SIGNERS;
                assert!(key.verify(&f.msgs[i], &cached_sigs[i]));
            })
        });
    }
    g.bench_function("verifier_new/prose-sec", |b| {
        let mut i = 0usize;
        b.iter(|| {
            i = (i + 1) % SIGNERS;
            Verifier::new(&f.kpak, &f.ids[i], &f.pairs[i].1).unwrap()
        })
    });

    // --- SSK/PVT issue (KMS) ---
    let mut i = 0usize;
    g.bench_function("issue/prose-sec", |b| {
        b.iter(|| {
            i = (i + 1) % SIGNERS;
            f.ksak.issue(&f.ids[i], &mut OsRng).unwrap()
        })
    });
    {
        let mut kms = Key::kms(&f.ksak.to_bytes(), &kpak_b);
        let mut i = 0usize;
        let mut ssk = Mp::new();
        let mut pvt = Point::new();
        g.bench_function("issue/wolfssl", |b| {
            b.iter(|| {
                i = (i + 1) % SIGNERS;
                kms.make_pair(&mut wrng, &f.ids[i], &mut ssk, &mut pvt);
            })
        });
    }

    {
        let refs: Vec<&[u8]> = f.ids.iter().map(|v| v.as_slice()).collect();
        g.bench_function("issue_many_64/prose-sec", |b| {
            b.iter(|| f.ksak.issue_many(&refs, &mut OsRng))
        });
    }

    // --- member validation of SSK/PVT (rotating pairs) ---
    let mut i = 0usize;
    g.bench_function("validate/prose-sec", |b| {
        b.iter(|| {
            i = (i + 1) % SIGNERS;
            SigningKey::new(&f.kpak, &f.ids[i], &f.pairs[i].0, &f.pairs[i].1).unwrap()
        })
    });
    {
        let mut key = Key::with_kpak(&kpak_b);
        let mut wpairs: Vec<(Mp, Point)> = f
            .pairs
            .iter()
            .map(|(ssk, pvt)| {
                let b = ssk.to_bytes();
                (
                    Mp::from_bytes(&mut key, &b),
                    Point::from_bytes(&mut key, pvt),
                )
            })
            .collect();
        let mut i = 0usize;
        g.bench_function("validate/wolfssl", |b| {
            b.iter(|| {
                i = (i + 1) % SIGNERS;
                let (ssk, pvt) = &mut wpairs[i];
                assert!(key.validate_pair(&f.ids[i], ssk, pvt));
            })
        });
    }
    g.finish();
}

fn main() {
    if std::env::var_os("PROSE_BENCH_CPU_TIME").is_some() {
        let mut c = Criterion::default()
            .with_measurement(ThreadCpuTime(WallTime))
            .sample_size(30)
            .configure_from_args();
        bench_eccsi(&mut c);
        c.final_summary();
    } else {
        let mut c = Criterion::default().sample_size(30).configure_from_args();
        bench_eccsi(&mut c);
        c.final_summary();
    }
}
