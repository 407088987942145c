//! Workloads for the per-operation instruction counts of the aarch64 kernels against the
//! portable code (`scripts/test-aarch64.sh --counts`, which runs this ignored test under qemu
//! with an instruction-counting plugin, once with `PROSE_COUNT_N=0` and once with N
//! operations, and divides the difference by N). Not a timing: emulation has none to give.
//!
//! `PROSE_COUNT_OP` is `protect:<profile>:<payload>:<hw|portable>` (SRTP protect of one RTP
//! packet with that payload size, a new sequence number each time) or
//! `hmac:<octets>:<hw|portable>` (one HMAC-SHA1 with a precomputed key state), or
//! `montmul:<hw|portable>` / `montsqr:<hw|portable>` (one F_p Montgomery product or square of
//! SAKKE: the MUL/UMULH kernel called with its token, or the portable CIOS loop).
#![cfg(target_arch = "aarch64")]

use hmac::{Hmac, Mac};
use prose_sec::srtp::{MasterKey, Policy, Profile, Session};

/// Room for the SRTP tag and MKI after the packet.
const MAX_TRAILER: usize = 64;

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_default()
}

fn profile(name: &str) -> Profile {
    match name {
        "aes128cm80" => Profile::Aes128CmHmacSha1_80,
        "aes256cm80" => Profile::Aes256CmHmacSha1_80,
        "aes128gcm" => Profile::AeadAes128Gcm,
        "aes256gcm" => Profile::AeadAes256Gcm,
        other => panic!("unknown profile {other}"),
    }
}

#[test]
#[ignore = "a workload for scripts/test-aarch64.sh --counts"]
fn count_workload() {
    let op = env("PROSE_COUNT_OP");
    let n: usize = env("PROSE_COUNT_N").parse().unwrap_or(0);
    let parts: Vec<&str> = op.split(':').collect();
    let mut sink = 0u8;
    match parts.as_slice() {
        ["protect", p, size, backend] => {
            let p = profile(p);
            let size: usize = size.parse().expect("payload size");
            let k: Vec<u8> = (0..p.key_len() as u8).collect();
            let s: Vec<u8> = (0..p.salt_len() as u8).map(|x| x ^ 0x3c).collect();
            let mut pol = Policy::new(p, MasterKey::new(&k, &s).expect("key"));
            pol.force_portable = *backend == "portable";
            let mut sess = Session::new(&pol).expect("session");
            let mut buf = vec![0x80, 0x60, 0, 0, 0, 0, 0x10, 0, 0x12, 0x34, 0x56, 0x78];
            buf.extend((0..size).map(|i| i as u8));
            buf.resize(12 + size + MAX_TRAILER, 0);
            for seq in 0..n {
                buf[2..4].copy_from_slice(&(seq as u16).to_be_bytes());
                let out = sess.protect_rtp(&mut buf, 12 + size).expect("protect");
                sink ^= buf[out - 1];
            }
        }
        ["hmac", size, backend] => {
            let size: usize = size.parse().expect("size");
            let msg: Vec<u8> = (0..size).map(|i| i as u8).collect();
            let key = [0x42u8; 20];
            if *backend == "portable" {
                let keyed = <Hmac<sha1::Sha1> as Mac>::new_from_slice(&key).expect("key");
                for _ in 0..n {
                    let mut m = keyed.clone();
                    m.update(&msg);
                    m.update(&[0, 0, 0, 1]);
                    sink ^= m.finalize().into_bytes()[0];
                }
            } else {
                hw_hmac(&key, &msg, n, &mut sink);
            }
        }
        ["montmul" | "montsqr", backend] => {
            // SAKKE's F_p Montgomery product (1024-bit, 16 limbs), operands below p.
            let mut a: [u64; 16] =
                core::array::from_fn(|i| 0x0123_4567_89ab_cdef ^ ((i as u64) << 7));
            a[15] = 0x1234;
            let b: [u64; 16] = core::array::from_fn(|i| 0xfedc_ba98_7654_3210 ^ i as u64);
            let sqr = parts[0] == "montsqr";
            let (mul, square) = fp_product(backend);
            for _ in 0..n {
                a = if sqr { square(&a) } else { mul(&a, &b) };
            }
            sink ^= a[0] as u8;
        }
        _ => panic!("PROSE_COUNT_OP not understood: {op:?}"),
    }
    std::hint::black_box(sink);
}

type Mul = fn(&[u64; 16], &[u64; 16]) -> [u64; 16];
type Sqr = fn(&[u64; 16]) -> [u64; 16];

/// The F_p product and square of a backend: `hw` the MUL/UMULH kernel, `portable` the CIOS
/// loop.
fn fp_product(backend: &str) -> (Mul, Sqr) {
    use prose_sec::sakke::__internal as t;
    match backend {
        "portable" => (t::fp_mont_mul, t::fp_mont_sqr),
        "hw" => hw_fp_product(),
        other => panic!("unknown backend {other}"),
    }
}

#[cfg(all(target_endian = "little", not(prose_backend = "soft")))]
fn hw_fp_product() -> (Mul, Sqr) {
    use prose_sec::backend::aarch64::Aarch64Base;
    Aarch64Base::get().expect("aarch64");
    (
        |a, b| Aarch64Base::get().expect("aarch64").mont_mul(a, b),
        |a| Aarch64Base::get().expect("aarch64").mont_sqr(a),
    )
}

#[cfg(not(all(target_endian = "little", not(prose_backend = "soft"))))]
fn hw_fp_product() -> (Mul, Sqr) {
    panic!("no aarch64 kernels in this build");
}

#[cfg(all(target_endian = "little", not(prose_backend = "soft")))]
fn hw_hmac(key: &[u8; 20], msg: &[u8], n: usize, sink: &mut u8) {
    use prose_sec::backend::aarch64::{sha1, Sha1Ext};
    let t = Sha1Ext::get().expect("SHA1 instructions");
    let mut ib = [0x36u8; 64];
    let mut ob = [0x5cu8; 64];
    for i in 0..20 {
        ib[i] ^= key[i];
        ob[i] ^= key[i];
    }
    let mut inner = [
        0x6745_2301,
        0xEFCD_AB89,
        0x98BA_DCFE,
        0x1032_5476,
        0xC3D2_E1F0,
    ];
    let mut outer = inner;
    sha1::compress(t, &mut inner, &ib);
    sha1::compress(t, &mut outer, &ob);
    for _ in 0..n {
        *sink ^= sha1::hmac_sha1(t, &inner, &outer, msg, &[0, 0, 0, 1])[0];
    }
}

#[cfg(not(all(target_endian = "little", not(prose_backend = "soft"))))]
fn hw_hmac(_: &[u8; 20], _: &[u8], _: usize, _: &mut u8) {
    panic!("no aarch64 kernels in this build");
}
