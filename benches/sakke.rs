//! SAKKE benchmarks: ours beside the system wolfSSL in the same run.
//!
//! Every row uses fresh inputs where wolfSSL would otherwise profit from its process-wide point
//! cache (see /work/shared/PEERS.md): encapsulation to a new random identifier each iteration,
//! decapsulation of a fresh SED each iteration (inputs built outside the timed region).
//!
//! Run: `cargo bench --bench sakke -- --warm-up-time 1 --measurement-time 3`
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use prose_sec::sakke::{self, __internal as t, DecapsulationKey, KmsSecret, Ssv};
use rand_core::{OsRng, RngCore};
use t::Engine;

use prose_sec_peers::cputime::CpuTime;
use prose_sec_peers::wolfssl::sakke as wolf;

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

fn field(c: &mut Criterion) {
    let mut g = c.benchmark_group("sakke/fp");
    let a = t::fp_mont_mul_portable(&[0x1234_5678_9abc_def1; 16], &[0x0fed_cba9_8765_4321; 16]);
    let b = t::fp_mont_mul_portable(&a, &a);
    // The kernel the library selects (AVX-512 IFMA, else MULX/ADX, else portable), then the
    // MULX/ADX engine's kernel passed explicitly.
    g.bench_function("mont_mul/ours-selected", |bn| {
        bn.iter(|| t::fp_mont_mul(core::hint::black_box(&a), core::hint::black_box(&b)))
    });
    g.bench_function("mont_sqr/ours-selected", |bn| {
        bn.iter(|| t::fp_mont_sqr(core::hint::black_box(&a)))
    });
    if let Some(e) = Engine::mulx_adx() {
        g.bench_function("mont_mul/ours-mulx-adx", |bn| {
            bn.iter(|| t::fp_mont_mul_on(e, core::hint::black_box(&a), core::hint::black_box(&b)))
        });
        g.bench_function("mont_sqr/ours-mulx-adx", |bn| {
            bn.iter(|| t::fp_mont_sqr_on(e, core::hint::black_box(&a)))
        });
    }
    g.bench_function("mont_mul/ours-portable", |bn| {
        bn.iter(|| t::fp_mont_mul_portable(core::hint::black_box(&a), core::hint::black_box(&b)))
    });
    g.finish();
}

fn ops(c: &mut Criterion) {
    let z = KmsSecret::generate(&mut OsRng);
    let kms = z.public();
    kms.precompute();
    let id = rand_id();
    let rsk = z.issue_rsk(&id).unwrap();
    let dk = DecapsulationKey::new(&kms, &id, &rsk).unwrap();
    // warm the global tables
    let _ = sakke::encapsulate(&kms, &id, &Ssv::new(rand_ssv())).unwrap();

    let guard = wolf::lock();
    let mut wkms = wolf::Key::kms(&z.to_bytes(), &kms.to_bytes()).unwrap();
    let mut wclient = wolf::Key::client(&kms.to_bytes()).unwrap();
    wclient.import_rsk(&rsk.to_bytes()).unwrap();

    let mut g = c.benchmark_group("sakke");
    g.sample_size(10);

    g.bench_function("encapsulate_new_recipient/ours", |bn| {
        bn.iter_batched(
            || (rand_id(), Ssv::new(rand_ssv())),
            |(id, ssv)| sakke::encapsulate(&kms, &id, &ssv).unwrap(),
            BatchSize::SmallInput,
        )
    });
    // The scalar engine (no IFMA lanes: MULX/ADX engine, else portable), in the same run.
    let scalar = Engine::scalar();
    g.bench_function("encapsulate_new_recipient/ours-scalar-engine", |bn| {
        bn.iter_batched(
            || (rand_id(), Ssv::new(rand_ssv())),
            |(id, ssv)| t::encapsulate_on(scalar, &kms, &id, &ssv).unwrap(),
            BatchSize::SmallInput,
        )
    });
    g.bench_function("encapsulate_new_recipient/wolfssl", |bn| {
        bn.iter_batched(
            || (rand_id(), rand_ssv()),
            |(id, ssv)| wclient.encapsulate(&id, &ssv).unwrap(),
            BatchSize::SmallInput,
        )
    });
    g.bench_function("decapsulate_precomputed/ours", |bn| {
        bn.iter_batched(
            || sakke::encapsulate(&kms, &id, &Ssv::new(rand_ssv())).unwrap(),
            |sed| dk.decapsulate(&sed).unwrap(),
            BatchSize::SmallInput,
        )
    });
    g.bench_function("decapsulate_no_precomputation/ours", |bn| {
        bn.iter_batched(
            || sakke::encapsulate(&kms, &id, &Ssv::new(rand_ssv())).unwrap(),
            |sed| sakke::decapsulate(&kms, &id, &rsk, &sed).unwrap(),
            BatchSize::SmallInput,
        )
    });
    g.bench_function("decapsulate/wolfssl", |bn| {
        bn.iter_batched(
            || sakke::encapsulate(&kms, &id, &Ssv::new(rand_ssv())).unwrap(),
            |sed| wclient.derive(&id, &sed).unwrap(),
            BatchSize::SmallInput,
        )
    });
    g.bench_function("validate_rsk/ours", |bn| {
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
    g.bench_function("validate_rsk/wolfssl", |bn| {
        bn.iter_batched(
            || {
                let id = rand_id();
                let rsk = z.issue_rsk(&id).unwrap().to_bytes();
                (id, rsk)
            },
            |(id, rsk)| assert!(wkms.validate_rsk(&id, &rsk).unwrap()),
            BatchSize::SmallInput,
        )
    });
    g.bench_function("issue_rsk/ours", |bn| {
        bn.iter_batched(
            rand_id,
            |id| z.issue_rsk(&id).unwrap(),
            BatchSize::SmallInput,
        )
    });
    g.bench_function("issue_rsk/ours-scalar-engine", |bn| {
        bn.iter_batched(
            rand_id,
            |id| t::issue_rsk_on(scalar, &z, &id).unwrap(),
            BatchSize::SmallInput,
        )
    });
    g.bench_function("issue_rsk/wolfssl", |bn| {
        bn.iter_batched(
            rand_id,
            |id| wkms.make_rsk(&id).unwrap(),
            BatchSize::SmallInput,
        )
    });
    g.bench_function("decapsulation_key_new/ours", |bn| {
        bn.iter(|| DecapsulationKey::new(&kms, &id, &rsk).unwrap())
    });
    g.finish();

    let mut g = c.benchmark_group("sakke/batch");
    g.sample_size(10);
    let items: Vec<(Vec<u8>, Ssv)> = (0..32).map(|_| (rand_id(), Ssv::new(rand_ssv()))).collect();
    let refs: Vec<(&[u8], &Ssv)> = items.iter().map(|(i, s)| (i.as_slice(), s)).collect();
    g.bench_function("encapsulate_many_32/ours-all-cores", |bn| {
        bn.iter(|| sakke::encapsulate_many(&kms, &refs))
    });
    g.bench_function("encapsulate_many_32/ours-one-core", |bn| {
        bn.iter(|| sakke::__internal::encapsulate_many_one_core(&kms, &refs))
    });
    g.bench_function("encapsulate_many_32/ours-scalar-path-all-cores", |bn| {
        bn.iter(|| sakke::__internal::encapsulate_many_scalar(&kms, &refs))
    });
    g.bench_function("encapsulate_many_32/wolfssl-one-core", |bn| {
        bn.iter(|| {
            for (id, ssv) in refs.iter() {
                core::hint::black_box(wclient.encapsulate(id, ssv.as_bytes()).unwrap());
            }
        })
    });
    let ids: Vec<&[u8]> = items.iter().map(|(i, _)| i.as_slice()).collect();
    g.bench_function("issue_rsks_32/ours-one-core", |bn| {
        bn.iter(|| {
            for id in ids.iter() {
                core::hint::black_box(z.issue_rsk(id).unwrap());
            }
        })
    });
    g.bench_function("issue_rsks_32/ours-all-cores", |bn| {
        bn.iter(|| z.issue_rsks(&ids))
    });
    g.finish();

    // The fixed-base products alone (each followed by one inversion, to affine or to the PF_p
    // representative, and encoding):
    // split over the IFMA lanes against the scalar tables.
    let mut g = c.benchmark_group("sakke/comb");
    g.sample_size(10);
    let a = rand_id().repeat(4);
    let b = rand_id().repeat(4);
    if t::p_mul_lanes(&a).is_some() {
        g.bench_function("pz_mul2/ours-lanes", |bn| {
            bn.iter(|| t::pz_mul2_lanes(&kms, &a, &b))
        });
        g.bench_function("p_mul/ours-lanes", |bn| bn.iter(|| t::p_mul_lanes(&a)));
        g.bench_function("g_pow/ours-lanes", |bn| bn.iter(|| t::g_pow_lanes(&a)));
    }
    g.bench_function("pz_mul2/ours-scalar", |bn| {
        bn.iter(|| t::pz_mul2_scalar(&kms, &a, &b))
    });
    g.bench_function("p_mul/ours-scalar", |bn| bn.iter(|| t::p_mul_scalar(&a)));
    g.bench_function("g_pow/ours-scalar", |bn| bn.iter(|| t::g_pow(&a)));
    g.finish();
    drop(guard);
}

/// The pairing with stored lines (a member's decapsulation, RSK validation) as the library
/// runs it (IFMA paths when the CPU has them) and on the scalar engine passed explicitly.
fn pairing(c: &mut Criterion) {
    let z = KmsSecret::generate(&mut OsRng);
    let kms = z.public();
    let id = rand_id();
    let rsk = z.issue_rsk(&id).unwrap().to_bytes();
    let lines = sakke::__internal::PairingLines::new(&rsk).unwrap();
    let sed = sakke::encapsulate(&kms, &id, &Ssv::new(rand_ssv())).unwrap();
    let r = &sed[..sakke::POINT_LEN];
    let mut g = c.benchmark_group("sakke/pairing");
    g.sample_size(20);
    g.bench_function("stored_lines/ours", |bn| {
        bn.iter(|| lines.pairing_with(core::hint::black_box(r)).unwrap())
    });
    let scalar = Engine::scalar();
    g.bench_function("stored_lines/ours-scalar-engine", |bn| {
        bn.iter(|| lines.pairing_on(scalar, core::hint::black_box(r)).unwrap())
    });
    g.bench_function("decapsulate_precomputed/ours-scalar-engine", |bn| {
        let dk = DecapsulationKey::new(&kms, &id, &sakke::Rsk::from_bytes(&rsk).unwrap()).unwrap();
        bn.iter(|| t::decapsulate_on(scalar, &dk, core::hint::black_box(&sed)).unwrap())
    });
    g.bench_function("validate_rsk/ours-scalar-engine", |bn| {
        let k = sakke::Rsk::from_bytes(&rsk).unwrap();
        bn.iter(|| t::validate_rsk_on(scalar, &kms, &id, &k).unwrap())
    });
    g.finish();
}

/// The one-core batch encapsulation measured in on-CPU time of the thread (schedstat), so that
/// other load on the machine does not inflate it; the single encapsulation beside it.
fn batch_cpu(c: &mut Criterion<CpuTime>) {
    let z = KmsSecret::generate(&mut OsRng);
    let kms = z.public();
    let items: Vec<(Vec<u8>, Ssv)> = (0..32).map(|_| (rand_id(), Ssv::new(rand_ssv()))).collect();
    let refs: Vec<(&[u8], &Ssv)> = items.iter().map(|(i, s)| (i.as_slice(), s)).collect();
    let mut g = c.benchmark_group("sakke/batch-cpu");
    g.sample_size(10);
    g.bench_function("encapsulate_many_32/ours-one-core", |bn| {
        bn.iter(|| sakke::__internal::encapsulate_many_one_core(&kms, &refs))
    });
    g.bench_function("encapsulate/ours", |bn| {
        bn.iter(|| sakke::encapsulate(&kms, refs[0].0, refs[0].1).unwrap())
    });
    g.finish();
}

/// A member's decapsulation on the calling thread's CPU time (schedstat), for figures that
/// hold on a loaded machine: the precomputed key on the detected engine and on the scalar one.
fn decap_on_cpu(c: &mut Criterion<CpuTime>) {
    let z = KmsSecret::generate(&mut OsRng);
    let kms = z.public();
    let id = rand_id();
    let rsk = z.issue_rsk(&id).unwrap();
    let dk = DecapsulationKey::new(&kms, &id, &rsk).unwrap();
    let mut g = c.benchmark_group("sakke/decap_on_cpu");
    // Few, long samples: the schedstat clock is coarse, 100 short samples can read zero.
    g.sample_size(10);
    g.bench_function("decapsulate_precomputed/ours", |bn| {
        bn.iter_batched(
            || sakke::encapsulate(&kms, &id, &Ssv::new(rand_ssv())).unwrap(),
            |sed| dk.decapsulate(&sed).unwrap(),
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

criterion_group!(benches, field, ops, pairing);
criterion_group! {
    name = cpu;
    config = Criterion::default().with_measurement(CpuTime::new());
    targets = batch_cpu, decap_on_cpu
}
criterion_main!(benches, cpu);
