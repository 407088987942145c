//! SAKKE RSK validation: a member's first validation (importing Z, then validating), the
//! variable-time import beside the constant-time check it replaced, and batched validations on
//! the IFMA lanes beside single ones; the system wolfSSL beside ours in the same run.
//!
//! Time is the benchmark thread's on-CPU time (`/proc/thread-self/schedstat`, as in
//! `benches/fp_ifma.rs`), so that figures taken on a shared, oversubscribed machine are not
//! inflated by waiting for a core (wall-clock time where that file is missing); the row on
//! every core is wall-clock time.
//!
//! Run: `cargo bench -p prose-sec --bench sakke_validate -- --warm-up-time 1 --measurement-time 4`

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, SamplingMode};
use prose_sec::sakke::{self, __internal as t, KmsPublic, KmsSecret};
use rand_core::{OsRng, RngCore};

use prose_sec_peers::wolfssl::sakke as wolf;

use prose_sec_peers::cputime::CpuTime;

type C = Criterion<CpuTime>;

fn rand_id() -> Vec<u8> {
    let mut id = vec![0u8; 32];
    OsRng.fill_bytes(&mut id);
    id
}

fn first_validation(c: &mut C) {
    let z = KmsSecret::generate(&mut OsRng);
    let zp = z.public().to_bytes();
    let warm = KmsPublic::from_bytes(&zp).unwrap();
    let id0 = rand_id();
    let rsk0 = z.issue_rsk(&id0).unwrap();
    // the process-wide lines of P
    sakke::validate_rsk(&warm, &id0, &rsk0).unwrap();
    let fresh = || {
        let id = rand_id();
        let rsk = z.issue_rsk(&id).unwrap();
        (id, rsk)
    };

    let mut g = c.benchmark_group("sakke/first_validation");
    g.sample_size(10);
    g.bench_function("import_and_validate/ours", |bn| {
        bn.iter_batched(
            fresh,
            |(id, rsk)| {
                let kms = KmsPublic::from_bytes(&zp).unwrap();
                sakke::validate_rsk(&kms, &id, &rsk).unwrap();
                kms
            },
            BatchSize::SmallInput,
        )
    });
    g.bench_function("import_and_validate/ours-constant-time-import", |bn| {
        bn.iter_batched(
            fresh,
            |(id, rsk)| {
                let kms = t::kms_public_from_bytes_ct(&zp).unwrap();
                sakke::validate_rsk(&kms, &id, &rsk).unwrap();
                kms
            },
            BatchSize::SmallInput,
        )
    });
    {
        let _guard = wolf::lock();
        let mut wkms = wolf::Key::kms(&z.to_bytes(), &zp).unwrap();
        g.bench_function("import_and_validate/wolfssl", |bn| {
            bn.iter_batched(
                || {
                    let id = rand_id();
                    let rsk = wkms.make_rsk(&id).unwrap();
                    (id, rsk)
                },
                |(id, rsk)| {
                    let mut client = wolf::Key::client(&zp).unwrap();
                    assert!(client.validate_rsk(&id, &rsk).unwrap());
                    client
                },
                BatchSize::SmallInput,
            )
        });
    }
    g.bench_function("import/ours", |bn| {
        bn.iter(|| KmsPublic::from_bytes(core::hint::black_box(&zp)).unwrap())
    });
    g.bench_function("import/ours-constant-time-check", |bn| {
        bn.iter(|| t::kms_public_from_bytes_ct(core::hint::black_box(&zp)).unwrap())
    });
    g.bench_function("validate_rsk_lines_present/ours", |bn| {
        bn.iter_batched(
            fresh,
            |(id, rsk)| sakke::validate_rsk(&warm, &id, &rsk).unwrap(),
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

fn as_refs(v: &[(Vec<u8>, sakke::Rsk)]) -> Vec<(&[u8], &sakke::Rsk)> {
    v.iter().map(|(i, k)| (i.as_slice(), k)).collect()
}

fn batched(c: &mut C) {
    let z = KmsSecret::generate(&mut OsRng);
    let kms = KmsPublic::from_bytes(&z.public().to_bytes()).unwrap();
    let make = |n: usize| -> Vec<(Vec<u8>, sakke::Rsk)> {
        (0..n)
            .map(|_| {
                let id = rand_id();
                let k = z.issue_rsk(&id).unwrap();
                (id, k)
            })
            .collect()
    };
    let eight = make(8);
    let r8 = as_refs(&eight);
    assert!(sakke::validate_rsks(&kms, &r8).iter().all(|r| r.is_ok()));
    let mut g = c.benchmark_group("sakke/validate_rsks");
    g.sample_size(10);
    g.bench_function("8/ours-lanes-one-core", |bn| {
        bn.iter(|| t::validate_rsks_one_core(&kms, core::hint::black_box(&r8)))
    });
    g.bench_function("8/ours-single-validations-one-core", |bn| {
        bn.iter(|| {
            r8.iter()
                .map(|(id, k)| sakke::validate_rsk(&kms, id, k))
                .collect::<Vec<_>>()
        })
    });
    g.finish();
    // the floor: one product, one stored-line pairing (one Miller loop and the final step)
    let mut g = c.benchmark_group("sakke/validate_floor");
    g.sampling_mode(SamplingMode::Flat);
    let a = [0x1234_5678_9abc_def1u64; 16];
    let mut b = [0x0fed_cba9_8765_4321u64; 16];
    b[15] = 0x1111;
    g.bench_function("mont_mul/ours-selected", |bn| {
        bn.iter(|| t::fp_mont_mul(core::hint::black_box(&a), core::hint::black_box(&b)))
    });
    let rsk = z.issue_rsk(b"floor").unwrap().to_bytes();
    let lines = t::PairingLines::new(&rsk).unwrap();
    let pt = z.public().to_bytes();
    g.bench_function("stored_line_pairing/ours", |bn| {
        bn.iter(|| lines.pairing_with(core::hint::black_box(&pt)).unwrap())
    });
    #[cfg(target_arch = "x86_64")]
    if let Some(tk) = prose_sec::backend::x86_64::fp_ifma::Ifma::new() {
        use prose_sec::backend::x86_64::fp_ifma::FpX8;
        let mut w = [[0u64; 16]; 8];
        for (l, x) in w.iter_mut().enumerate() {
            x[0] = l as u64 + 3;
            x[9] = 0x5555_0000_1234_9876;
        }
        let va = FpX8::from_u64x16x8(tk, &w).unwrap();
        let vb = va.square();
        g.throughput(criterion::Throughput::Elements(8));
        g.bench_function("fp_ifma_x8_mul_per_lane", |bn| {
            bn.iter(|| core::hint::black_box(&va).mul(core::hint::black_box(&vb)))
        });
    }
    g.finish();
}

/// The batch on every core (wall-clock time).
fn batched_all_cores(c: &mut Criterion) {
    let z = KmsSecret::generate(&mut OsRng);
    let kms = KmsPublic::from_bytes(&z.public().to_bytes()).unwrap();
    let many: Vec<(Vec<u8>, sakke::Rsk)> = (0..32)
        .map(|_| {
            let id = rand_id();
            let k = z.issue_rsk(&id).unwrap();
            (id, k)
        })
        .collect();
    let r32 = as_refs(&many);
    let mut g = c.benchmark_group("sakke/validate_rsks_wall");
    g.sample_size(10);
    g.bench_function("32/ours-lanes-all-cores", |bn| {
        bn.iter(|| sakke::validate_rsks(&kms, core::hint::black_box(&r32)))
    });
    g.bench_function("32/ours-single-validations-all-cores", |bn| {
        bn.iter(|| {
            std::thread::scope(|s| {
                let h: Vec<_> = r32
                    .chunks(16)
                    .map(|part| {
                        let kms = &kms;
                        s.spawn(move || {
                            part.iter()
                                .map(|(id, k)| sakke::validate_rsk(kms, id, k))
                                .collect::<Vec<_>>()
                        })
                    })
                    .collect();
                h.into_iter().map(|h| h.join().unwrap()).collect::<Vec<_>>()
            })
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().with_measurement(CpuTime::new());
    targets = first_validation, batched
}
criterion_group!(wall, batched_all_cores);
criterion_main!(benches, wall);
