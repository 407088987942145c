//! SAKKE (RFC 6508) and ECCSI (RFC 6507): ours (the public prose-sec API) beside wolfSSL in one
//! criterion run. Which wolfSSL is the build's: with `PROSE_WOLFSSL_SP_DIR` set to the prefix of
//! `scripts/build-wolfssl-sp.sh`, wolfSSL 5.9 with its SP 1024-bit assembly (`wolfssl-sp`, the
//! fastest wolfSSL); without it Debian's libwolfssl 5.5.4 (`wolfssl-debian`). The row names
//! carry it.
//!
//! Each side's per-member precomputation is used: ours `DecapsulationKey`, wolfSSL its RSK
//! precomputation table (`wc_GenerateSakkeRskTable` + `wc_SetSakkeRsk`; Debian's build has none).
//! wolfSSL keeps a process-wide point cache that builds a table for any point used twice, so
//! identities, RSKs and signers rotate on both sides (fresh for SAKKE, 64 for ECCSI).
//!
//! Default measurement: wall time. With `PROSE_BENCH_CPU_TIME=1` the thread's CPU time
//! (`CLOCK_THREAD_CPUTIME_ID`), which keeps the figures usable on a machine shared with other
//! jobs (time spent descheduled is not counted; cache pollution still is).
//!
//! Run: `cargo bench -p prose-sec-peers --bench ibc_fastest -- --warm-up-time 1 --measurement-time 3`.
use std::time::Duration;

use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::{BatchSize, Criterion};
use prose_sec::eccsi::{self, Ksak, SigningKey};
use prose_sec::sakke::{self, DecapsulationKey, KmsPublic, KmsSecret, Ssv};
use prose_sec_peers::wolfssl::{eccsi as weccsi, sakke as wsakke, BUILD};
use rand_core::{OsRng, RngCore};

const SIGNERS: usize = 64;

fn rand_id() -> Vec<u8> {
    let mut id = vec![0u8; 32];
    OsRng.fill_bytes(&mut id);
    id
}

fn rand_ssv() -> [u8; 16] {
    let mut s = [0u8; 16];
    OsRng.fill_bytes(&mut s);
    s
}

fn wolf() -> String {
    format!("wolfssl-{BUILD}")
}

fn sakke_rows<M: Measurement>(c: &mut Criterion<M>) {
    let z = KmsSecret::generate(&mut OsRng);
    let kms = z.public();
    kms.precompute();
    let z_bytes = kms.to_bytes();
    let id = rand_id();
    let rsk = z.issue_rsk(&id).unwrap();
    let dk = DecapsulationKey::new(&kms, &id, &rsk).unwrap();
    let _ = sakke::encapsulate(&kms, &id, &Ssv::new(rand_ssv())).unwrap();

    let _guard = wsakke::lock();
    let mut wkms = wsakke::Key::kms(&z.to_bytes(), &z_bytes).unwrap();
    let mut wclient = wsakke::Key::client(&z_bytes).unwrap();
    let mut wmember = wsakke::Key::client(&z_bytes).unwrap();
    let table = wmember.import_rsk_with_table(&rsk.to_bytes()).unwrap();
    eprintln!("{}: RSK table of {table} octets", wolf());
    let w = wolf();

    let mut g = c.benchmark_group("sakke");
    g.sample_size(10);
    g.bench_function("encapsulate_new_recipient/prose", |bn| {
        bn.iter_batched(
            || (rand_id(), Ssv::new(rand_ssv())),
            |(id, ssv)| sakke::encapsulate(&kms, &id, &ssv).unwrap(),
            BatchSize::SmallInput,
        )
    });
    g.bench_function(format!("encapsulate_new_recipient/{w}"), |bn| {
        bn.iter_batched(
            || (rand_id(), rand_ssv()),
            |(id, ssv)| wclient.encapsulate(&id, &ssv).unwrap(),
            BatchSize::SmallInput,
        )
    });
    g.bench_function("decapsulate_precomputed/prose", |bn| {
        bn.iter_batched(
            || sakke::encapsulate(&kms, &id, &Ssv::new(rand_ssv())).unwrap(),
            |sed| dk.decapsulate(&sed).unwrap(),
            BatchSize::SmallInput,
        )
    });
    g.bench_function(format!("decapsulate_precomputed/{w}"), |bn| {
        bn.iter_batched(
            || {
                let s = rand_ssv();
                (sakke::encapsulate(&kms, &id, &Ssv::new(s)).unwrap(), s)
            },
            |(sed, s)| assert_eq!(wmember.derive(&id, &sed).unwrap(), s),
            BatchSize::SmallInput,
        )
    });
    g.bench_function("validate_rsk/prose", |bn| {
        bn.iter_batched(
            || {
                let id = rand_id();
                let rsk = z.issue_rsk(&id).unwrap();
                (id, rsk)
            },
            |(id, rsk)| sakke::validate_rsk(&kms, &id, &rsk).unwrap(),
            BatchSize::SmallInput,
        )
    });
    g.bench_function(format!("validate_rsk/{w}"), |bn| {
        bn.iter_batched(
            || {
                let id = rand_id();
                (id.clone(), z.issue_rsk(&id).unwrap().to_bytes())
            },
            |(id, rsk)| assert!(wclient.validate_rsk(&id, &rsk).unwrap()),
            BatchSize::SmallInput,
        )
    });
    // A member's first validation: import Z (with its checks), then validate.
    g.bench_function("validate_rsk_importing_z/prose", |bn| {
        bn.iter_batched(
            || {
                let id = rand_id();
                let rsk = z.issue_rsk(&id).unwrap();
                (id, rsk)
            },
            |(id, rsk)| {
                let k = KmsPublic::from_bytes(&z_bytes).unwrap();
                sakke::validate_rsk(&k, &id, &rsk).unwrap()
            },
            BatchSize::SmallInput,
        )
    });
    g.bench_function(format!("validate_rsk_importing_z/{w}"), |bn| {
        bn.iter_batched(
            || {
                let id = rand_id();
                (id.clone(), z.issue_rsk(&id).unwrap().to_bytes())
            },
            |(id, rsk)| {
                let mut k = wsakke::Key::client(&z_bytes).unwrap();
                assert!(k.validate_rsk(&id, &rsk).unwrap())
            },
            BatchSize::SmallInput,
        )
    });
    g.bench_function("issue_rsk/prose", |bn| {
        bn.iter_batched(
            rand_id,
            |id| z.issue_rsk(&id).unwrap(),
            BatchSize::SmallInput,
        )
    });
    g.bench_function(format!("issue_rsk/{w}"), |bn| {
        bn.iter_batched(
            rand_id,
            |id| wkms.make_rsk(&id).unwrap(),
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

fn eccsi_rows<M: Measurement>(c: &mut Criterion<M>) {
    let ksak = Ksak::generate(&mut OsRng);
    let kpak = ksak.kpak();
    let kpak_b = kpak.to_sec1();
    let ids: Vec<Vec<u8>> = (0..SIGNERS)
        .map(|i| format!("2026-12\0sip:user{i}@example.org\0").into_bytes())
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
    let sigs: Vec<_> = keys
        .iter()
        .zip(&msgs)
        .map(|(k, m)| k.sign(m, &mut OsRng).unwrap())
        .collect();

    let _guard = weccsi::WOLF.lock().unwrap_or_else(|e| e.into_inner());
    let mut wrng = weccsi::Rng::new();
    let w = wolf();
    let mut g = c.benchmark_group("eccsi");
    g.sample_size(30);

    g.bench_function("sign/prose", |b| {
        b.iter(|| keys[0].sign(&msgs[0], &mut OsRng).unwrap())
    });
    {
        let mut key = weccsi::Key::with_kpak(&kpak_b);
        let ssk = weccsi::Mp::from_bytes(&mut key, &pairs[0].0.to_bytes());
        let pvt = weccsi::Point::from_bytes(&mut key, &pairs[0].1);
        key.set_pair(&ssk, &pvt);
        key.set_hs(&ids[0], &pvt);
        g.bench_function(format!("sign/{w}"), |b| {
            b.iter(|| key.sign(&mut wrng, &msgs[0]))
        });
    }
    let mut i = 0usize;
    g.bench_function("verify/prose", |b| {
        b.iter(|| {
            i = (i + 1) % SIGNERS;
            eccsi::verify(&kpak, &ids[i], &msgs[i], &sigs[i]).unwrap()
        })
    });
    {
        let mut key = weccsi::Key::with_kpak(&kpak_b);
        let pvts: Vec<_> = pairs
            .iter()
            .map(|(_, p)| weccsi::Point::from_bytes(&mut key, p))
            .collect();
        let mut i = 0usize;
        g.bench_function(format!("verify/{w}"), |b| {
            b.iter(|| {
                i = (i + 1) % SIGNERS;
                key.set_hs(&ids[i], &pvts[i]);
                assert!(key.verify(&msgs[i], &sigs[i]));
            })
        });
    }
    g.finish();
}

/// Criterion measurement: CPU time of the benchmarking thread.
struct ThreadCpuTime(WallTime);

impl Measurement for ThreadCpuTime {
    type Intermediate = Duration;
    type Value = Duration;
    fn start(&self) -> Duration {
        prose_sec_peers::cputime::thread_cpu_time()
    }
    fn end(&self, i: Duration) -> Duration {
        prose_sec_peers::cputime::thread_cpu_time().saturating_sub(i)
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

fn run<M: Measurement>(mut c: Criterion<M>) {
    sakke_rows(&mut c);
    eccsi_rows(&mut c);
    c.final_summary();
}

fn main() {
    if std::env::var_os("PROSE_BENCH_CPU_TIME").is_some() {
        run(Criterion::default()
            .with_measurement(ThreadCpuTime(WallTime))
            .configure_from_args());
    } else {
        run(Criterion::default().configure_from_args());
    }
}
