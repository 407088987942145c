//! SAKKE RSK validation: a member's first validation (importing Z, then validating), the
//! variable-time import beside the constant-time check it replaced, and batched validations on
//! the IFMA lanes beside single ones; the system wolfSSL beside ours in the same run.
//!
//! Run: `cargo bench -p prose-sec --bench sakke_validate -- --warm-up-time 1 --measurement-time 4`
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use prose_sec::sakke::{self, __internal as t, KmsPublic, KmsSecret};
use rand_core::{OsRng, RngCore};

use prose_sec_peers::wolfssl::sakke as wolf;

fn rand_id() -> Vec<u8> {
    let mut id = vec![0u8; 32];
    OsRng.fill_bytes(&mut id);
    id
}

fn first_validation(c: &mut Criterion) {
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

fn batched(c: &mut Criterion) {
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
    let many = make(32);
    let (r8, r32) = (as_refs(&eight), as_refs(&many));
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
    g.bench_function("32/ours-lanes-all-cores", |bn| {
        bn.iter(|| sakke::validate_rsks(&kms, core::hint::black_box(&r32)))
    });
    g.finish();
}

criterion_group!(benches, first_validation, batched);
criterion_main!(benches);
