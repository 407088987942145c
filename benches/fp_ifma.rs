//! Criterion benchmarks for the eight-lane AVX-512 IFMA field kernel (RFC 6509 p, 1024 bits),
//! with num-bigint's modular product beside it in the same run as the reference point.
//!
//! Figures are per call; a call on `FpX8` does eight independent products, so divide by 8 for
//! the per-lane cost (the groups report that directly with `Throughput::Elements(8)`).
//!
//! Time is the benchmark thread's on-CPU time (`/proc/thread-self/schedstat`, nanoseconds), so
//! that figures taken on a shared, oversubscribed machine are not inflated by time spent waiting
//! for a core; where that file is missing it falls back to wall-clock time. The kernel updates that
//! counter at scheduler ticks, so samples are flat and long (tens of ms) and the per-read error
//! (at most one tick, unbiased between start and end) averages out. Both our kernel and
//! the num-bigint reference are measured the same way in the same run.
use std::time::Duration;

use criterion::{black_box, criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use num_bigint::BigUint;

use prose_sec_peers::cputime::CpuTime;

type C = Criterion<CpuTime>;

const P_HEX: &str = "997ABB1F0A563FDA65C61198DAD0657A416C0CE19CB48261BE9AE358B3E01A2EF40AAB27E2FC0F1B228730D531A59CB0E791B39FF7C88A19356D27F4A666A6D0E26C6487326B4CD4512AC5CD65681CE1B6AFF4A831852A82A7CF3C521C3C09AA9F94D6AF56971F1FFCE3E82389857DB080C5DF10AC7ACE87666D807AFEA85FEB";

/// Deterministic pseudo-random 1024-bit values (xorshift), reduced mod p.
fn values(p: &BigUint, seed: u64) -> [BigUint; 8] {
    let mut s = seed;
    core::array::from_fn(|_| {
        let mut bytes = [0u8; 128];
        for b in bytes.iter_mut() {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            *b = s as u8;
        }
        BigUint::from_bytes_le(&bytes) % p
    })
}

fn bigint_mul(c: &mut C, p: &BigUint) {
    let a = values(p, 1);
    let b = values(p, 2);
    let mut g = c.benchmark_group("fp_1024_reference");
    g.sampling_mode(SamplingMode::Flat);
    g.throughput(Throughput::Elements(1));
    g.bench_function("num_bigint_mul_mod", |bch| {
        bch.iter(|| (black_box(&a[0]) * black_box(&b[0])) % p)
    });
    let e = BigUint::from(2u8);
    g.bench_function("num_bigint_modpow_square", |bch| {
        bch.iter(|| black_box(&a[0]).modpow(&e, p))
    });
    g.finish();
}

#[cfg(all(target_arch = "x86_64", not(prose_backend = "soft")))]
fn ifma(c: &mut C, p: &BigUint) {
    use prose_sec::backend::x86_64::fp_ifma::{FpX8, Ifma};
    let Some(t) = Ifma::new() else {
        eprintln!("note: CPU lacks AVX-512 IFMA; fp_ifma benchmarks skipped");
        return;
    };
    let words = |v: &[BigUint; 8]| -> [[u64; 16]; 8] {
        core::array::from_fn(|l| {
            let mut w = [0u64; 16];
            for (o, d) in w.iter_mut().zip(v[l].iter_u64_digits()) {
                *o = d;
            }
            w
        })
    };
    let a = FpX8::from_u64x16x8(t, &words(&values(p, 1))).unwrap();
    let b = FpX8::from_u64x16x8(t, &words(&values(p, 2))).unwrap();
    let exps = words(&values(p, 3));

    // Per lane: Throughput::Elements(8) makes criterion report the per-product rate.
    let mut g = c.benchmark_group("fp_ifma_x8");
    g.sampling_mode(SamplingMode::Flat);
    g.throughput(Throughput::Elements(8));
    g.bench_function("mul", |bch| bch.iter(|| black_box(&a).mul(black_box(&b))));
    g.bench_function("square", |bch| bch.iter(|| black_box(&a).square()));
    g.bench_function("add", |bch| bch.iter(|| black_box(&a).add(black_box(&b))));
    g.bench_function("sub", |bch| bch.iter(|| black_box(&a).sub(black_box(&b))));
    // A dependent chain of 64 squarings: latency-bound, as inside an exponentiation.
    g.bench_function("square_chain_64", |bch| {
        bch.iter(|| {
            let mut x = black_box(&a).clone();
            for _ in 0..64 {
                x = x.square();
            }
            x
        })
    });
    g.bench_function("to_from_u64x16x8", |bch| {
        bch.iter(|| FpX8::from_u64x16x8(t, &black_box(&a).to_u64x16x8()))
    });
    g.finish();

    let mut g = c.benchmark_group("fp_ifma_x8_exp");
    g.sampling_mode(SamplingMode::Flat);
    g.throughput(Throughput::Elements(8));
    g.bench_function("pow_x8_1024bit_secret", |bch| {
        bch.iter(|| black_box(&a).pow_x8(black_box(&exps)))
    });
    g.bench_function("invert_fermat", |bch| bch.iter(|| black_box(&a).invert()));
    g.finish();

    // F_p², points and combs: the pieces of a batched SAKKE encapsulation.
    use prose_sec::backend::x86_64::fp_ifma::{CombX8, Fp2X8, PfpCombX8};
    let q = (p + 1u8) >> 2;
    let scalars = words(&core::array::from_fn(|l| &values(p, 3)[l] % &q));
    let a2 = Fp2X8::new(a.clone(), b.clone());
    let b2 = Fp2X8::new(b.clone(), a.clone());
    let px = "53FC09EE332C29AD0A7990053ED9B52A2B1A2FD60AEC69C698B2F204B6FF7CBFB5EDB6C0F6CE2308AB10DB9030B09E1043D5F22CDB9DFA55718BD9E7406CE8909760AF765DD5BCCB337C86548B72F2E1A702C3397A60DE74A7C1514DBA66910DD5CFB4CC80728D87EE9163A5B63F73EC80EC46C4967E0979880DC8ABEAE63895";
    let py = "0A8249063F6009F1F9F1F0533634A135D3E82016029906963D778D821E141178F5EA69F4654EC2B9E7F7F5E5F0DE55F66B598CCF9A140B2E416CFF0CA9E032B970DAE117AD547C6CCAD696B5B7652FE0AC6F1E80164AA989492D979FC5A4D5F213515AD7E9CB99A980BDAD5AD5BB4636ADB9B5706A67DCDE75573FD71BEF16D7";
    let to_w = |h: &str| -> [u64; 16] {
        let v = BigUint::parse_bytes(h.as_bytes(), 16).unwrap();
        let mut w = [0u64; 16];
        for (o, d) in w.iter_mut().zip(v.iter_u64_digits()) {
            *o = d;
        }
        w
    };
    let comb = CombX8::new(t, &to_w(px), &to_w(py)).unwrap();
    let base = comb.mul_x8(&[to_w("1"); 8]).unwrap();
    let other = base.double();

    let mut g = c.benchmark_group("fp2_ifma_x8");
    g.sampling_mode(SamplingMode::Flat);
    g.throughput(Throughput::Elements(8));
    g.bench_function("mul", |bch| bch.iter(|| black_box(&a2).mul(black_box(&b2))));
    g.bench_function("square", |bch| bch.iter(|| black_box(&a2).square()));
    g.bench_function("pow_x8_1022bit_secret", |bch| {
        bch.iter(|| black_box(&a2).pow_x8(black_box(&scalars)))
    });
    let g_rfc = "66FC2A432B6EA392148F15867D623068C6A87BD1FB94C41E27FABE658E015A87371E94744C96FEDA449AE9563F8BC446CBFDA85D5D00EF577072DA8F541721BEEE0FAED1828EAB90B99DFB0138C7843355DF0460B4A9FD74B4F1A32BCAFA1FFAD682C033A7942BCCE3720F20B9B7B0403C8CAE87B7A0042ACDE0FAB36461EA46";
    let pf_comb = PfpCombX8::new(t, &to_w(g_rfc)).unwrap();
    g.bench_function("pfp_comb_pow_x8_fixed_base", |bch| {
        bch.iter(|| pf_comb.pow_x8(black_box(&scalars)))
    });
    g.bench_function("im_over_re", |bch| bch.iter(|| black_box(&a2).im_over_re()));
    g.finish();

    let mut g = c.benchmark_group("point_ifma_x8");
    g.sampling_mode(SamplingMode::Flat);
    g.throughput(Throughput::Elements(8));
    g.bench_function("add_complete", |bch| {
        bch.iter(|| black_box(&base).add(black_box(&other)))
    });
    g.bench_function("double", |bch| bch.iter(|| black_box(&base).double()));
    g.bench_function("mul_x8_variable_base", |bch| {
        bch.iter(|| black_box(&base).mul_x8(black_box(&scalars)))
    });
    g.bench_function("comb_mul_x8_fixed_base", |bch| {
        bch.iter(|| comb.mul_x8(black_box(&scalars)))
    });
    g.bench_function("to_affine", |bch| {
        bch.iter(|| black_box(&other).to_affine())
    });
    g.finish();

    let mut g = c.benchmark_group("point_ifma_precompute");
    g.sampling_mode(SamplingMode::Flat);
    g.sample_size(10);
    g.bench_function("comb_new", |bch| {
        bch.iter(|| CombX8::new(t, &to_w(px), &to_w(py)))
    });
    g.bench_function("pfp_comb_new", |bch| {
        bch.iter(|| PfpCombX8::new(t, &to_w(g_rfc)))
    });
    g.finish();

    // The multi-lane part of eight SAKKE encapsulations to eight new recipients (RFC 6508
    // §6.2.1 with R = [r·b]P + [r]Z): two point combs, one addition, affine conversion of R,
    // g^r with the PF_p comb and its representative; the hashing is scalar and not included.
    let zpt = comb.mul_x8(&[to_w("2A"); 8]).unwrap().to_affine();
    let zx = zpt.0.to_u64x16x8()[0];
    let zy = zpt.1.to_u64x16x8()[0];
    let comb_z = CombX8::new(t, &zx, &zy).unwrap();
    let scalars2 = words(&core::array::from_fn(|l| &values(p, 4)[l] % &q));
    let mut g = c.benchmark_group("sakke_shaped_x8");
    g.sampling_mode(SamplingMode::Flat);
    g.throughput(Throughput::Elements(8));
    // 32 recipients (four groups of eight lanes) with one inversion shared by the four R
    // conversions and the four g^r representatives (Montgomery's trick).
    type Scalars = [[u64; 16]; 8];
    let groups: Vec<(Scalars, Scalars)> = (0..4u64)
        .map(|k| {
            (
                words(&core::array::from_fn(|l| &values(p, 10 + k)[l] % &q)),
                words(&core::array::from_fn(|l| &values(p, 20 + k)[l] % &q)),
            )
        })
        .collect();
    g.throughput(Throughput::Elements(32));
    g.bench_function("encapsulate_32_shared_inversion", |bch| {
        bch.iter(|| {
            let rs: Vec<_> = groups
                .iter()
                .map(|(rb, r)| {
                    comb.mul_x8(black_box(rb))
                        .unwrap()
                        .add(&comb_z.mul_x8(black_box(r)).unwrap())
                })
                .collect();
            let grs: Vec<Fp2X8> = groups.iter().map(|(_, r)| pf_comb.pow_x8(r)).collect();
            let mut dens: Vec<FpX8> = rs.iter().map(|r| r.jacobian().2.clone()).collect();
            dens.extend(grs.iter().map(|g| g.re.clone()));
            FpX8::batch_invert(&mut dens);
            let aff: Vec<_> = rs
                .iter()
                .zip(dens.iter())
                .map(|(r, zi)| r.to_affine_with_zinv(zi))
                .collect();
            let reps: Vec<FpX8> = grs
                .iter()
                .zip(dens[4..].iter())
                .map(|(g, ri)| g.im.mul(ri))
                .collect();
            (aff, reps)
        })
    });
    // The scalar engine's complete encapsulation (hashing included) of one SSV to one new
    // recipient, for comparison in the same run.
    {
        use prose_sec::sakke::{encapsulate, KmsPublic, Ssv};
        let mut zenc = [0u8; 257];
        zenc[0] = 4;
        for (i, w) in zx.iter().rev().enumerate() {
            zenc[1 + 8 * i..9 + 8 * i].copy_from_slice(&w.to_be_bytes());
        }
        for (i, w) in zy.iter().rev().enumerate() {
            zenc[129 + 8 * i..137 + 8 * i].copy_from_slice(&w.to_be_bytes());
        }
        let kms = KmsPublic::from_bytes(&zenc).unwrap();
        kms.precompute();
        let ssv = Ssv::new([7u8; 16]);
        let mut n = 0u32;
        g.throughput(Throughput::Elements(1));
        g.bench_function("scalar_engine_encapsulate_new_recipient", |bch| {
            bch.iter(|| {
                n = n.wrapping_add(1);
                let id = format!("2011-02\0tel:+4477009{n:05}\0");
                encapsulate(&kms, id.as_bytes(), &ssv).unwrap()
            })
        });
    }
    g.throughput(Throughput::Elements(8));
    g.bench_function("encapsulate_x8_field_and_curve_part", |bch| {
        bch.iter(|| {
            let r = comb
                .mul_x8(black_box(&scalars2))
                .unwrap()
                .add(&comb_z.mul_x8(black_box(&scalars)).unwrap());
            let (rx, ry, _) = r.to_affine();
            let gr = pf_comb.pow_x8(black_box(&scalars)).im_over_re();
            (rx, ry, gr)
        })
    });
    g.finish();

    let mut g = c.benchmark_group("fp_1024_reference");
    g.sampling_mode(SamplingMode::Flat);
    g.throughput(Throughput::Elements(1));
    let pb = values(p, 1);
    let e = BigUint::from_bytes_le(
        &exps[0]
            .iter()
            .flat_map(|w| w.to_le_bytes())
            .collect::<Vec<u8>>(),
    );
    g.bench_function("num_bigint_modpow_1024bit", |bch| {
        bch.iter(|| black_box(&pb[0]).modpow(&e, p))
    });
    g.finish();
}

#[cfg(not(all(target_arch = "x86_64", not(prose_backend = "soft"))))]
fn ifma(_c: &mut C, _p: &BigUint) {}

fn benches(c: &mut C) {
    let p = BigUint::parse_bytes(P_HEX.as_bytes(), 16).unwrap();
    bigint_mul(c, &p);
    ifma(c, &p);
}

criterion_group! {
    name = fp;
    config = Criterion::default()
        .with_measurement(CpuTime::new())
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = benches
}
criterion_main!(fp);
