//! Times every operation of prose-sec on secrets with fixed-vs-random inputs and reports
//! Welch's |t| per operation (see the library docs for the method).
//!
//!   prose-sec-ct [--quick | --long] [--secs S] [--only NAME[,NAME…]] [--md FILE] [--list]
//!                [--blind-controls]
//!
//! `--quick` gives every operation 4 s (preparation included), `--long` 60 s, `--secs` any.
//! Exit status: 0 when both controls are flagged and no operation is flagged twice (a flagged
//! operation is measured again, and reported only if the second run flags it too); 1 when a
//! control is not flagged (the harness is blind on this machine: nothing it says counts);
//! 2 when an operation is flagged in both runs. `--blind-controls` makes the controls compare
//! in constant time, to check that the run then fails.
use std::fmt::Write as _;
use std::hint::black_box;
use std::time::Duration;

use prose_sec::ct_probe;
use prose_sec::eccsi::{Ksak, SigningKey};
use prose_sec::mikey::kemac;
use prose_sec::mikey::{encr_alg, mac_alg, Kemac, TransportKeys};
use prose_sec::sakke::{self, __internal as sk, DecapsulationKey, KmsPublic, KmsSecret, Rsk, Ssv};
use prose_sec::srtp::{MasterKey, Policy, Profile, Session};
use prose_sec_ct::{analyse, leaky_eq, measure, Plan, Samples, Verdict, T_CERTAIN, T_SUSPECT};
use rand_core::{OsRng, RngCore};

/// `--blind-controls`: the controls compare in constant time, so that they must fail (a check
/// of the harness's own exit status).
static BLIND: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// The controls' comparison: early-exit, or constant time under `--blind-controls`.
fn control_eq(a: &[u8], b: &[u8]) -> bool {
    if BLIND.load(std::sync::atomic::Ordering::Relaxed) {
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
    } else {
        leaky_eq(a, b)
    }
}

/// Objects drawn per class (the fixed class holds copies of one value, so that both classes
/// touch the same number of distinct objects and caches favour neither).
const POOL: usize = 16;

struct Target {
    name: &'static str,
    secret: &'static str,
    classes: &'static str,
    control: bool,
    /// Share of the per-operation budget (heavy preparation gets more).
    weight: f64,
    run: fn(Plan) -> Samples,
}

fn rand_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    OsRng.fill_bytes(&mut b);
    b
}

fn pick() -> usize {
    OsRng.next_u32() as usize % POOL
}

fn one_be<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    b[N - 1] = 1;
    b
}

fn id_of(i: usize) -> Vec<u8> {
    format!("2026-12\0tel:+4477009{i:05}\0").into_bytes()
}

/// The engines of the SAKKE rows: the IFMA lanes (where the CPU has them) or the scalar
/// (MULX/ADX or portable) engine.
fn with_engine<T>(scalar: bool, f: impl FnOnce(sk::Engine) -> T) -> T {
    f(if scalar {
        sk::Engine::scalar()
    } else {
        sk::Engine::detect()
    })
}

// ------------------------------------------------------------------------------------------
// Controls

fn control_early_exit(plan: Plan) -> Samples {
    let secret = [0x5au8; 4096];
    measure(
        plan,
        || secret,
        rand_bytes::<4096>,
        |x| {
            black_box(control_eq(x, &secret));
        },
    )
}

/// SRTP packets of one receiver, with the tag altered in its first octet (class 0) or its last
/// (class 1).
struct Packets {
    rx: Session,
    pkt: Vec<u8>,
    tag_at: usize,
    tag_len: usize,
}

fn packets(profile: Profile, rtcp: bool) -> Packets {
    let key = rand_bytes::<32>();
    let salt = rand_bytes::<14>();
    let mk = || MasterKey::new(&key[..profile.key_len()], &salt[..profile.salt_len()]).unwrap();
    let mut tx = Session::new(&Policy::new(profile, mk())).unwrap();
    let rx = Session::new(&Policy::new(profile, mk())).unwrap();
    let mut plain = if rtcp {
        let mut p = vec![0x80, 200, 0, 40];
        p.extend_from_slice(&0x1234_5678u32.to_be_bytes());
        p
    } else {
        let mut p = vec![0x80, 0x60, 0x12, 0x34];
        p.extend_from_slice(&0x1122_3344u32.to_be_bytes());
        p.extend_from_slice(&0x1234_5678u32.to_be_bytes());
        p
    };
    let body = if rtcp { 160 } else { 160 + 12 - plain.len() };
    plain.extend((0..body).map(|i| i as u8));
    let len = plain.len();
    let mut buf = plain;
    buf.resize(len + tx.max_overhead(), 0);
    let n = if rtcp {
        tx.protect_rtcp(&mut buf, len).unwrap()
    } else {
        tx.protect_rtp(&mut buf, len).unwrap()
    };
    buf.truncate(n);
    let tag_len = if profile.is_aead() { 16 } else { 10 };
    Packets {
        rx,
        tag_at: n - tag_len,
        pkt: buf,
        tag_len,
    }
}

impl Packets {
    fn altered(&self, last: bool) -> Vec<u8> {
        let mut p = self.pkt.clone();
        let at = self.tag_at + if last { self.tag_len - 1 } else { 0 };
        p[at] ^= 0x01;
        p
    }

    fn run(mut self, plan: Plan, rtcp: bool, leak: bool) -> Samples {
        let tag = self.pkt[self.tag_at..].to_vec();
        let (tag_at, len) = (self.tag_at, self.pkt.len());
        let fixed = self.altered(false);
        let random = self.altered(true);
        let rx = &mut self.rx;
        measure(
            plan,
            || fixed.clone(),
            || random.clone(),
            |p| {
                let r = if rtcp {
                    rx.unprotect_rtcp(p, len)
                } else {
                    rx.unprotect_rtp(p, len)
                };
                assert!(r.is_err());
                if leak {
                    black_box(control_eq(&p[tag_at..], &tag));
                }
            },
        )
    }
}

/// The SRTP measurement with an early-exit comparison of the tag added: the leak a broken tag
/// check would have, inside the same workload and noise.
fn control_tag_compare(plan: Plan) -> Samples {
    packets(Profile::Aes128CmHmacSha1_80, false).run(plan, false, true)
}

// ------------------------------------------------------------------------------------------
// Tag checks

fn srtp_tag(plan: Plan) -> Samples {
    packets(Profile::Aes128CmHmacSha1_80, false).run(plan, false, false)
}

/// Sixteen altered packets per call through the batch path (multi-buffer HMAC, then one tag
/// comparison per packet).
fn srtp_tag_batch(plan: Plan) -> Samples {
    let mut p = packets(Profile::Aes128CmHmacSha1_80, false);
    let len = p.pkt.len();
    let fixed = p.altered(false);
    let random = p.altered(true);
    let rx = &mut p.rx;
    let mut results: Vec<prose_sec::Result<usize>> = vec![Ok(0); 16];
    measure(
        plan,
        || vec![fixed.clone(); 16],
        || vec![random.clone(); 16],
        |pkts| {
            let mut batch: Vec<(&mut [u8], usize)> =
                pkts.iter_mut().map(|b| (&mut b[..], len)).collect();
            rx.unprotect_rtp_batch(&mut batch, &mut results).unwrap();
            assert!(results.iter().all(|r| r.is_err()));
        },
    )
}

fn srtcp_tag(plan: Plan) -> Samples {
    packets(Profile::Aes128CmHmacSha1_80, true).run(plan, true, false)
}

fn gcm_tag(plan: Plan) -> Samples {
    packets(Profile::AeadAes128Gcm, false).run(plan, false, false)
}

fn kemac_mac(plan: Plan) -> Samples {
    let keys = TransportKeys {
        encr: rand_bytes(),
        auth: rand_bytes(),
        salt: rand_bytes(),
    };
    let input = rand_bytes::<300>();
    let mac = kemac::hmac_sha1_160(&keys.auth, &input).unwrap();
    let alter = |at: usize| {
        let mut m = mac;
        m[at] ^= 1;
        m
    };
    let (first, last) = (alter(0), alter(19));
    measure(
        plan,
        || first,
        || last,
        |m| {
            let k = Kemac {
                encr_alg: encr_alg::NULL,
                encr_data: &[],
                mac_alg: mac_alg::HMAC_SHA1_160,
                mac: &m[..],
                mac_offset: input.len(),
            };
            assert!(kemac::verify_mac(&k, &keys, &input, false).is_err());
        },
    )
}

// ------------------------------------------------------------------------------------------
// SAKKE

const SAKKE_ID: &[u8] = b"2026-12\0tel:+447700900123\0";

fn issue_rsk(plan: Plan, scalar: bool) -> Samples {
    let one = KmsSecret::from_bytes(&one_be::<128>()).unwrap();
    let fixed: Vec<KmsSecret> = (0..POOL).map(|_| one.clone()).collect();
    let random: Vec<KmsSecret> = (0..POOL).map(|_| KmsSecret::generate(&mut OsRng)).collect();
    with_engine(scalar, |e| {
        measure(
            plan,
            || &fixed[pick()],
            || &random[pick()],
            |z| {
                black_box(sk::issue_rsk_on(e, z, SAKKE_ID).unwrap());
            },
        )
    })
}

fn kms() -> (KmsSecret, KmsPublic) {
    let z = KmsSecret::generate(&mut OsRng);
    let kms = z.public();
    kms.precompute();
    (z, kms)
}

fn encapsulate(plan: Plan, scalar: bool) -> Samples {
    let (_, kms) = kms();
    with_engine(scalar, |e| {
        measure(
            plan,
            || Ssv::new([0; 16]),
            || Ssv::new(rand_bytes()),
            |ssv| {
                black_box(sk::encapsulate_on(e, &kms, SAKKE_ID, ssv).unwrap());
            },
        )
    })
}

/// Key pools for decapsulation and the RSK check: POOL copies of one member's key (class 0)
/// and POOL members' keys (class 1).
struct Members {
    kms: KmsPublic,
    ids: [Vec<Vec<u8>>; 2],
    rsks: [Vec<Rsk>; 2],
}

fn members() -> Members {
    let (z, kms) = kms();
    let fixed_id = id_of(0);
    let fixed_rsk = z.issue_rsk(&fixed_id).unwrap();
    let ids1: Vec<Vec<u8>> = (1..=POOL).map(id_of).collect();
    let rsks1 = ids1.iter().map(|id| z.issue_rsk(id).unwrap()).collect();
    Members {
        kms,
        ids: [vec![fixed_id; POOL], ids1],
        rsks: [vec![fixed_rsk; POOL], rsks1],
    }
}

fn decapsulate(plan: Plan, scalar: bool) -> Samples {
    let m = members();
    let keys: Vec<Vec<DecapsulationKey>> = (0..2)
        .map(|c| {
            (0..POOL)
                .map(|i| DecapsulationKey::new(&m.kms, &m.ids[c][i], &m.rsks[c][i]).unwrap())
                .collect()
        })
        .collect();
    let sed = |c: usize| {
        let i = pick();
        let s = sakke::encapsulate(&m.kms, &m.ids[c][i], &Ssv::new(rand_bytes())).unwrap();
        (&keys[c][i], s)
    };
    with_engine(scalar, |e| {
        measure(
            Plan { batch: 200, ..plan },
            || sed(0),
            || sed(1),
            |(k, s)| {
                black_box(sk::decapsulate_on(e, k, &s[..]).unwrap());
            },
        )
    })
}

fn validate_rsk(plan: Plan, scalar: bool) -> Samples {
    let m = members();
    let draw = |c: usize| {
        let i = pick();
        (&m.ids[c][i], &m.rsks[c][i])
    };
    with_engine(scalar, |e| {
        measure(
            Plan { batch: 200, ..plan },
            || draw(0),
            || draw(1),
            |(id, rsk)| {
                sk::validate_rsk_on(e, &m.kms, id, rsk).unwrap();
            },
        )
    })
}

fn comb_ifma(plan: Plan) -> Samples {
    if sk::p_mul_lanes(&one_be::<128>()).is_none() {
        return Samples::default();
    }
    measure(plan, one_be::<128>, rand_bytes::<128>, |a| {
        black_box(sk::p_mul_lanes(&a[..]));
    })
}

/// The split comb with a fixed class that is not sparse: one random k drawn once (a leak
/// through the sparse digits of k = 1, rather than through the value, shows as a difference
/// between this row and `comb_ifma_split`).
fn comb_ifma_split_dense(plan: Plan) -> Samples {
    if sk::p_mul_lanes(&one_be::<128>()).is_none() {
        return Samples::default();
    }
    let mut k = rand_bytes::<128>();
    k[0] &= 0x1f; // below q
    measure(
        plan,
        || k,
        rand_bytes::<128>,
        |a| {
            black_box(sk::p_mul_lanes(&a[..]));
        },
    )
}

fn comb_ifma_x8(plan: Plan) -> Samples {
    if !sk::encapsulate_many_uses_lanes() {
        return Samples::default();
    }
    measure(
        plan,
        || [one_be::<128>(); 8],
        || core::array::from_fn::<[u8; 128], 8, _>(|_| rand_bytes()),
        |a| {
            let refs: Vec<&[u8]> = a.iter().map(|x| &x[..]).collect();
            black_box(sk::p_mul_many(&refs));
        },
    )
}

fn comb_scalar(plan: Plan) -> Samples {
    measure(plan, one_be::<128>, rand_bytes::<128>, |a| {
        black_box(sk::p_mul_scalar(&a[..]));
    })
}

/// Random words below a modulus whose top word is `top` at index `hi`.
fn below(hi: usize) -> [u64; 16] {
    let mut x = [0u64; 16];
    for w in x.iter_mut().take(hi + 1) {
        *w = OsRng.next_u64();
    }
    x[hi] >>= 4; // below every modulus used here (top words ≥ 0x1000…)
    x
}

fn one_words() -> [u64; 16] {
    let mut x = [0u64; 16];
    x[0] = 1;
    x
}

fn safegcd(plan: Plan, f: fn(&[u64; 16]) -> [u64; 16], hi: usize) -> Samples {
    measure(
        plan,
        one_words,
        || below(hi),
        |x| {
            black_box(f(x));
        },
    )
}

// ------------------------------------------------------------------------------------------
// ECCSI

const ECCSI_MSG: &[u8] = b"a GMK I_MESSAGE of a typical length, to be signed by its sender..";

fn signing_keys(ksak: &Ksak, ids: impl Iterator<Item = Vec<u8>>) -> Vec<SigningKey> {
    let kpak = ksak.kpak();
    ids.map(|id| {
        let (ssk, pvt) = ksak.issue(&id, &mut OsRng).unwrap();
        SigningKey::new(&kpak, &id, &ssk, &pvt).unwrap()
    })
    .collect()
}

fn random_j() -> [u8; 32] {
    let mut j = rand_bytes::<32>();
    j[0] &= 0x7f; // below n
    j[31] |= 1; // nonzero
    j
}

fn sign_j(plan: Plan) -> Samples {
    let ksak = Ksak::generate(&mut OsRng);
    let key = signing_keys(&ksak, std::iter::once(id_of(0))).remove(0);
    let keys: Vec<SigningKey> = (0..POOL).map(|_| key.clone()).collect();
    measure(
        plan,
        || (&keys[pick()], one_be::<32>()),
        || (&keys[pick()], random_j()),
        |(k, j)| {
            black_box(k.sign_with_j(ECCSI_MSG, &j[..]).unwrap());
        },
    )
}

fn sign_ssk(plan: Plan) -> Samples {
    let ksak = Ksak::generate(&mut OsRng);
    let key = signing_keys(&ksak, std::iter::once(id_of(0))).remove(0);
    let fixed: Vec<SigningKey> = (0..POOL).map(|_| key.clone()).collect();
    let random = signing_keys(&ksak, (1..=POOL).map(id_of));
    measure(
        plan,
        || (&fixed[pick()], random_j()),
        || (&random[pick()], random_j()),
        |(k, j)| {
            black_box(k.sign_with_j(ECCSI_MSG, &j[..]).unwrap());
        },
    )
}

fn issue_ksak(plan: Plan) -> Samples {
    let one = Ksak::from_bytes(&one_be::<32>()).unwrap();
    let fixed: Vec<Ksak> = (0..POOL).map(|_| one.clone()).collect();
    let random: Vec<Ksak> = (0..POOL).map(|_| Ksak::generate(&mut OsRng)).collect();
    let id = id_of(0);
    measure(
        plan,
        || (&fixed[pick()], random_j()),
        || (&random[pick()], random_j()),
        |(k, v)| {
            black_box(k.issue_with_fixed_v(&id, &v[..]).unwrap());
        },
    )
}

fn issue_v(plan: Plan) -> Samples {
    let ksak = Ksak::generate(&mut OsRng);
    let keys: Vec<Ksak> = (0..POOL).map(|_| ksak.clone()).collect();
    let id = id_of(0);
    measure(
        plan,
        || (&keys[pick()], one_be::<32>()),
        || (&keys[pick()], random_j()),
        |(k, v)| {
            black_box(k.issue_with_fixed_v(&id, &v[..]).unwrap());
        },
    )
}

// ------------------------------------------------------------------------------------------

fn targets() -> Vec<Target> {
    macro_rules! t {
        ($name:expr, $secret:expr, $classes:expr, $w:expr, $f:expr) => {
            Target {
                name: $name,
                secret: $secret,
                classes: $classes,
                control: false,
                weight: $w,
                run: $f,
            }
        };
    }
    vec![
        Target {
            control: true,
            ..t!(
                "control_early_exit",
                "(control) 4096-octet value",
                "equal vs random input, early-exit compare",
                0.5,
                control_early_exit
            )
        },
        Target {
            control: true,
            ..t!(
                "control_tag_compare",
                "(control) SRTP tag",
                "SRTP unprotect + early-exit tag compare; first vs last tag octet altered",
                1.0,
                control_tag_compare
            )
        },
        t!(
            "srtp_tag",
            "SRTP tag (HMAC-SHA1-80)",
            "first vs last tag octet altered",
            1.0,
            srtp_tag
        ),
        t!(
            "srtp_tag_batch",
            "SRTP tags, 16 per call (batch path)",
            "first vs last tag octet altered",
            1.0,
            srtp_tag_batch
        ),
        t!(
            "srtcp_tag",
            "SRTCP tag (HMAC-SHA1-80)",
            "first vs last tag octet altered",
            1.0,
            srtcp_tag
        ),
        t!(
            "gcm_tag",
            "GCM tag (AEAD_AES_128_GCM)",
            "first vs last tag octet altered",
            1.0,
            gcm_tag
        ),
        t!(
            "kemac_mac",
            "KEMAC MAC (HMAC-SHA-1-160)",
            "first vs last MAC octet altered",
            1.0,
            kemac_mac
        ),
        t!(
            "sakke_issue_rsk_ifma",
            "z (KMS master secret)",
            "z = 1 vs random z",
            1.0,
            |p| issue_rsk(p, false)
        ),
        t!(
            "sakke_issue_rsk_scalar",
            "z (KMS master secret)",
            "z = 1 vs random z",
            1.0,
            |p| issue_rsk(p, true)
        ),
        t!(
            "sakke_encapsulate_ifma",
            "SSV and r",
            "SSV = 0 vs random SSV",
            1.0,
            |p| encapsulate(p, false)
        ),
        t!(
            "sakke_encapsulate_scalar",
            "SSV and r",
            "SSV = 0 vs random SSV",
            1.0,
            |p| encapsulate(p, true)
        ),
        t!(
            "sakke_decapsulate_ifma",
            "RSK (and SSV, r)",
            "one member's key vs 16 members' keys",
            2.0,
            |p| decapsulate(p, false)
        ),
        t!(
            "sakke_decapsulate_scalar",
            "RSK (and SSV, r)",
            "one member's key vs 16 members' keys",
            2.0,
            |p| decapsulate(p, true)
        ),
        t!(
            "sakke_validate_rsk_ifma",
            "RSK",
            "one member's RSK vs 16 members' RSKs",
            1.5,
            |p| validate_rsk(p, false)
        ),
        t!(
            "sakke_validate_rsk_scalar",
            "RSK",
            "one member's RSK vs 16 members' RSKs",
            1.5,
            |p| validate_rsk(p, true)
        ),
        t!(
            "comb_ifma_split",
            "scalar k of [k]P",
            "k = 1 vs random k, IFMA split comb",
            1.0,
            comb_ifma
        ),
        t!(
            "comb_ifma_split_dense",
            "scalar k of [k]P",
            "one fixed random k vs random k, IFMA split comb",
            1.0,
            comb_ifma_split_dense
        ),
        t!(
            "comb_ifma_x8",
            "8 scalars of [k_i]P",
            "k_i = 1 vs random, IFMA 8-lane comb",
            1.0,
            comb_ifma_x8
        ),
        t!(
            "comb_scalar",
            "scalar k of [k]P",
            "k = 1 vs random k, scalar-engine comb",
            1.0,
            comb_scalar
        ),
        t!(
            "safegcd_q",
            "x of x^-1 mod q (1022 bits)",
            "x = 1 vs random x",
            1.0,
            |p| safegcd(p, ct_probe::safegcd_invert_q, 15)
        ),
        t!(
            "safegcd_p",
            "x of x^-1 mod p (1024 bits)",
            "x = 1 vs random x",
            1.0,
            |p| safegcd(p, ct_probe::safegcd_invert_p, 15)
        ),
        t!(
            "safegcd_n256",
            "x of x^-1 mod n (P-256)",
            "x = 1 vs random x",
            1.0,
            |p| safegcd(p, ct_probe::safegcd_invert_n256, 3)
        ),
        t!(
            "eccsi_sign_j",
            "j (ephemeral)",
            "j = 1 vs random j, one SSK",
            1.0,
            sign_j
        ),
        t!(
            "eccsi_sign_ssk",
            "SSK",
            "one SSK vs 16 SSKs, random j",
            1.0,
            sign_ssk
        ),
        t!(
            "eccsi_issue_ksak",
            "KSAK",
            "KSAK = 1 vs random KSAK, random v",
            1.0,
            issue_ksak
        ),
        t!(
            "eccsi_issue_v",
            "v (ephemeral)",
            "v = 1 vs random v, one KSAK",
            1.0,
            issue_v
        ),
    ]
}

struct Row {
    name: &'static str,
    secret: &'static str,
    classes: &'static str,
    control: bool,
    runs: Vec<Verdict>,
}

impl Row {
    fn flagged(&self) -> bool {
        !self.runs.is_empty() && self.runs.iter().all(|v| v.max_t > T_SUSPECT)
    }
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpu
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|l| l.trim_start_matches([' ', '\t', ':']).to_string())
        .unwrap_or_else(|| std::env::consts::ARCH.to_string());
    let ifma = cpu.contains("avx512ifma");
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load: Vec<&str> = load.split_whitespace().take(3).collect();
    format!(
        "{model}, {} logical CPUs, AVX-512 IFMA {}, load average {} at start",
        cpu.lines().filter(|l| l.starts_with("processor")).count(),
        if ifma { "yes" } else { "no" },
        load.join(" ")
    )
}

fn main() {
    let mut secs = 4.0f64;
    let mut only: Option<Vec<String>> = None;
    let mut md: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--quick" => secs = 4.0,
            "--long" => secs = 60.0,
            "--secs" => secs = args.next().and_then(|s| s.parse().ok()).unwrap_or(secs),
            "--only" => {
                only = args
                    .next()
                    .map(|s| s.split(',').map(String::from).collect())
            }
            "--md" => md = args.next(),
            "--blind-controls" => BLIND.store(true, std::sync::atomic::Ordering::Relaxed),
            "--list" => {
                for t in targets() {
                    println!("{}", t.name);
                }
                return;
            }
            other => {
                eprintln!("unknown argument {other}; see the source header for usage");
                std::process::exit(64);
            }
        }
    }
    let machine = machine();
    println!("machine: {machine}");
    println!("budget: {secs} s per operation (weighted), |t| > {T_SUSPECT} suspect, > {T_CERTAIN} certain");
    let mut rows = Vec::new();
    for t in targets() {
        if let Some(o) = &only {
            if !t.control && !o.iter().any(|n| n == t.name) {
                continue;
            }
        }
        let plan = Plan {
            budget: Duration::from_secs_f64(secs * t.weight),
            max: 5_000_000,
            batch: 2000,
        };
        let mut row = Row {
            name: t.name,
            secret: t.secret,
            classes: t.classes,
            control: t.control,
            runs: Vec::new(),
        };
        for attempt in 0..2 {
            let s = (t.run)(plan);
            if s.ns.len() < 200 {
                println!("{:<26} skipped (not available on this CPU)", t.name);
                break;
            }
            let v = analyse(&s);
            println!(
                "{:<26} n = {:>9}  max |t| = {:>8.2} ({}, n = {})  t raw = {:>7.2}  median {:.0} / {:.0} ns{}",
                t.name,
                v.n,
                v.max_t,
                v.test,
                v.n_test,
                v.t_raw,
                v.median[0],
                v.median[1],
                if attempt == 1 { "  (second run)" } else { "" }
            );
            let again = !t.control && v.max_t > T_SUSPECT;
            row.runs.push(v);
            if !again {
                break;
            }
        }
        rows.push(row);
    }

    let mut status = 0;
    for r in &rows {
        if r.control && !r.runs.first().is_some_and(|v| v.max_t > T_CERTAIN) {
            println!(
                "FAIL: control {} not flagged: the harness is blind here",
                r.name
            );
            status = 1;
        }
    }
    for r in rows.iter().filter(|r| !r.control && r.flagged()) {
        println!("FLAGGED: {} (|t| > {T_SUSPECT} in both runs)", r.name);
        if status == 0 {
            status = 2;
        }
    }
    if let Some(path) = md {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "Machine: {machine}; {secs} s per operation (weighted).\n"
        );
        let _ = writeln!(
            s,
            "| operation | secret | classes | measurements | max \\|t\\| (test) | median fixed / random | verdict |"
        );
        let _ = writeln!(s, "|---|---|---|---:|---:|---:|---|");
        for r in &rows {
            let Some(v) = r.runs.last() else { continue };
            let t = r
                .runs
                .iter()
                .map(|v| format!("{:.2}", v.max_t))
                .collect::<Vec<_>>()
                .join(", then ");
            let verdict = match (r.control, r.flagged()) {
                (true, _) if v.max_t > T_CERTAIN => "flagged (control: must be)",
                (true, _) => "NOT flagged (control failed)",
                (false, true) => "flagged in both runs",
                (false, false) if r.runs.len() > 1 => "not flagged on the second run",
                (false, false) => "not flagged",
            };
            let _ = writeln!(
                s,
                "| `{}` | {} | {} | {} | {} ({}) | {:.0} / {:.0} ns | {} |",
                r.name, r.secret, r.classes, v.n, t, v.test, v.median[0], v.median[1], verdict
            );
        }
        if let Err(e) = std::fs::write(&path, s) {
            eprintln!("cannot write {path}: {e}");
        }
    }
    std::process::exit(status);
}
