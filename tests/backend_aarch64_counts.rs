//! Workloads for the per-operation instruction counts of the aarch64 kernels against the
//! portable code (`scripts/test-aarch64.sh --counts`, which runs this ignored test under qemu
//! with an instruction-counting plugin, once with `PROSE_COUNT_N=0` and once with N
//! operations, and divides the difference by N). Not a timing: emulation has none to give.
//!
//! `PROSE_COUNT_OP` is `protect:<profile>:<payload>:<hw|portable>` (SRTP protect of one RTP
//! packet with that payload size, a new sequence number each time) or
//! `hmac:<octets>:<hw|portable>` (one HMAC-SHA1 with a precomputed key state), or
//! `montmul:<hw|portable>` / `montsqr:<hw|portable>` (one F_p Montgomery product or square of
//! SAKKE: the MUL/UMULH kernel called with its token, or the portable CIOS loop), or
//! `p256mul` / `p256sqr` (one product or square of ECCSI's P-256 field, `src/eccsi/field.rs`,
//! through the hidden `eccsi::__internal` hooks: the count includes that call), or `sakke:<encap|decap>` (one SAKKE
//! encapsulation or decapsulation of RFC 6508 Appendix A on the engine the library selects:
//! the F_p products of every SAKKE operation run on the detected engine, so the portable
//! figures come from a build with `--cfg prose_backend="soft"`).
#![cfg(target_arch = "aarch64")]

use hmac::{Hmac, Mac};
use prose_sec::srtp::{MasterKey, Policy, Profile, Session};

/// RFC 6508 Appendix A: the KMS public key Z, the identifier b, the RSK K_(b,S) and the SSV.
const RFC6508_Z: &str = "045958EF1B1679BF099B3A030DF255AA6A23C1D8F143D4D23F753E69BD27A832F38CB4AD53DDEF4260B0FE8BB45C4C1FF510EFFE300367A37B61F701D914AEF09724825FA0707D61A6DFF4FBD7273566CDDE352A0B04B7C16A78309BE640697DE747613A5FC195E8B9F328852A579DB8F99B1D0034479EA9C5595F47C4B2F54FF21508D37514DCF7A8E143A6058C09A6BF2C9858CA37C258065AE6BF7532BC8B5B63383866E0753C5AC0E72709F8445F2E6178E065857E0EDA10F68206B63505ED87E534FB2831FF957FB7DC619DAE61301EEACC2FDA3680EA4999258A833CEA8FC67C6D19487FB449059F26CC8AAB655AB58B7CC796E24E9A394095754F5F8BAE";
const RFC6508_ID: &str = "323031312D30320074656C3A2B34343737303039303031323300";
const RFC6508_RSK: &str = "0493AF67E5007BA6E6A80DA793DA300FA4B52D0A74E25E6E7B2B3D6EE9D18A9B5C5023597BD82D8062D34019563BA1D25C0DC56B7B979D74AA50F29FBF11CC2C93F5DFCA615E609279F6175CEADB00B58C6BEE1E7A2A47C4F0C456F05259A6FA94A634A40DAE1DF593D4FECF688D5FC678BE7EFC6DF3D6835325B83B2C6E69036B155F0A27241094B04BFB0BDFAC6C670A65C325D39A069F03659D44CA27D3BE8DF311172B554160181CBE94A2A783320CED590BC42644702CF371271E496BF20F588B78A1BC01ECBB6559934BDD2FB65D2884318A33D1A42ADF5E33CC5800280B28356497F87135BAB9612A17260424409AC15FEE996B744C332151235DECB0F5";
const RFC6508_SSV: &str = "123456789ABCDEF0123456789ABCDEF0";

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
        ["p256mul" | "p256sqr"] => {
            use prose_sec::eccsi::__internal::{p256_mul, p256_square};
            let mut a = [0x0123_4567_89ab_cdef, 0x1111, 0x2222, 0x0fed_cba9_8765_4321];
            let b = [0xfedc_ba98_7654_3210, 3, 0x7777_7777, 0x0123_4567];
            let sqr = parts[0] == "p256sqr";
            for _ in 0..n {
                a = std::hint::black_box(if sqr {
                    p256_square(&a)
                } else {
                    p256_mul(&a, &b)
                });
            }
            sink ^= a[0] as u8;
        }
        ["sakke", what] => {
            use prose_sec::sakke::{self, DecapsulationKey, KmsPublic, Rsk, Ssv};
            let unhex = |s: &str| hex::decode(s).expect("hex");
            let kms = KmsPublic::from_bytes(&unhex(RFC6508_Z)).expect("Z");
            let id = unhex(RFC6508_ID);
            let ssv = Ssv::from_bytes(&unhex(RFC6508_SSV)).expect("SSV");
            // (one of each before the counted ones, in every run: the tables built on first
            // use are not counted)
            let sed = sakke::encapsulate(&kms, &id, &ssv).expect("encapsulate");
            let rsk = Rsk::from_bytes(&unhex(RFC6508_RSK)).expect("RSK");
            let key = DecapsulationKey::new(&kms, &id, &rsk).expect("key");
            key.decapsulate(&sed).expect("decapsulate");
            match *what {
                "encap" => {
                    for _ in 0..n {
                        sink ^= sakke::encapsulate(&kms, &id, &ssv).expect("encapsulate")[1];
                    }
                }
                "decap" => {
                    for _ in 0..n {
                        let out = key.decapsulate(&sed).expect("decapsulate");
                        assert_eq!(out.as_bytes()[..], unhex(RFC6508_SSV)[..]);
                        sink ^= out.as_bytes()[0];
                    }
                }
                other => panic!("unknown SAKKE operation {other}"),
            }
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
        "portable" => (
            |a, b| t::fp_mont_mul_on(t::Engine::portable(), a, b),
            |a| t::fp_mont_sqr_on(t::Engine::portable(), a),
        ),
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
