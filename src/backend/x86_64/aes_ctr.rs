//! AES-CTR with 512-bit VAES: four counter blocks per zmm register, sixteen blocks in flight.
//!
//! The counter block is a 128-bit big-endian integer starting at the caller's IV and incremented
//! as a full 128-bit integer (carries propagate from the low 64 bits into the high 64 bits), which
//! is what RFC 3711 AES-CM needs (it only ever uses the low 16 bits) and what `ctr::Ctr128BE`
//! computes.
//!
//! This module also holds the AES-128/AES-256 key expansion (AES-NI `aeskeygenassist`) and the
//! VAES round helpers shared with [`super::gcm`].

// The AVX-512, VAES and VPCLMULQDQ intrinsics are stable since Rust 1.89; the crate's declared
// rust-version is older, so clippy's MSRV check is silenced for this kernel file only.
#![allow(clippy::incompatible_msrv)]

use core::arch::x86_64::*;
use core::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop};

cpufeatures::new!(cpu_vaes, "aes", "vaes", "avx512f", "avx512bw", "avx512vl");
cpufeatures::new!(cpu_aesni, "aes");

/// Target features every function of this module is compiled for.
macro_rules! vaes_fn {
    ($($item:item)*) => {
        $(
            #[target_feature(enable = "aes,vaes,avx512f,avx512bw,avx512vl,avx2,sse4.1,ssse3")]
            $item
        )*
    };
}

/// Whether this CPU can run the VAES kernels of this module (AES-NI, VAES, AVX-512F/BW/VL).
pub fn available() -> bool {
    cpu_vaes::get()
}

/// Expanded AES round keys (AES-128: 11, AES-256: 15), stored as octets and zeroized on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub(crate) struct RoundKeys {
    keys: [[u8; 16]; 15],
    /// Number of rounds: 10 or 14.
    rounds: usize,
}

impl RoundKeys {
    /// Expands a 16- or 32-octet key with AES-NI. `None` for any other length, or without
    /// AES-NI.
    pub(crate) fn expand(key: &[u8]) -> Option<Self> {
        if !cpu_aesni::get() {
            return None;
        }
        let mut out = RoundKeys {
            keys: [[0u8; 16]; 15],
            rounds: 0,
        };
        match key.len() {
            16 => {
                // SAFETY: AES-NI was detected just above.
                unsafe { expand128(key, &mut out.keys) };
                out.rounds = 10;
            }
            32 => {
                // SAFETY: AES-NI was detected just above.
                unsafe { expand256(key, &mut out.keys) };
                out.rounds = 14;
            }
            _ => return None,
        }
        Some(out)
    }
}

#[target_feature(enable = "aes,sse2")]
fn assist(prev: __m128i, t: __m128i) -> __m128i {
    let mut k = prev;
    k = _mm_xor_si128(k, _mm_slli_si128::<4>(k));
    k = _mm_xor_si128(k, _mm_slli_si128::<4>(k));
    k = _mm_xor_si128(k, _mm_slli_si128::<4>(k));
    _mm_xor_si128(k, t)
}

#[target_feature(enable = "aes,sse2")]
fn load128(b: &[u8]) -> __m128i {
    let mut tmp = [0u8; 16];
    let n = b.len().min(16);
    tmp[..n].copy_from_slice(&b[..n]);
    // SAFETY: `tmp` is 16 readable octets; the load is unaligned.
    let v = unsafe { _mm_loadu_si128(tmp.as_ptr().cast()) };
    tmp.zeroize();
    v
}

#[target_feature(enable = "aes,sse2")]
fn store128(v: __m128i, out: &mut [u8; 16]) {
    // SAFETY: `out` is 16 writable octets; the store is unaligned.
    unsafe { _mm_storeu_si128(out.as_mut_ptr().cast(), v) }
}

#[target_feature(enable = "aes,sse2")]
fn expand128(key: &[u8], out: &mut [[u8; 16]; 15]) {
    macro_rules! step {
        ($k:ident, $rcon:literal) => {{
            let t = _mm_aeskeygenassist_si128::<$rcon>($k);
            assist($k, _mm_shuffle_epi32::<0xff>(t))
        }};
    }
    let mut k = load128(key);
    store128(k, &mut out[0]);
    k = step!(k, 0x01);
    store128(k, &mut out[1]);
    k = step!(k, 0x02);
    store128(k, &mut out[2]);
    k = step!(k, 0x04);
    store128(k, &mut out[3]);
    k = step!(k, 0x08);
    store128(k, &mut out[4]);
    k = step!(k, 0x10);
    store128(k, &mut out[5]);
    k = step!(k, 0x20);
    store128(k, &mut out[6]);
    k = step!(k, 0x40);
    store128(k, &mut out[7]);
    k = step!(k, 0x80);
    store128(k, &mut out[8]);
    k = step!(k, 0x1b);
    store128(k, &mut out[9]);
    k = step!(k, 0x36);
    store128(k, &mut out[10]);
}

#[target_feature(enable = "aes,sse2")]
fn expand256(key: &[u8], out: &mut [[u8; 16]; 15]) {
    let mut a = load128(&key[..16]);
    let mut b = load128(&key[16..]);
    store128(a, &mut out[0]);
    store128(b, &mut out[1]);
    macro_rules! pair {
        ($i:literal, $rcon:literal) => {{
            let t = _mm_aeskeygenassist_si128::<$rcon>(b);
            a = assist(a, _mm_shuffle_epi32::<0xff>(t));
            store128(a, &mut out[2 * $i]);
        }};
    }
    macro_rules! odd {
        ($i:literal) => {{
            let t = _mm_aeskeygenassist_si128::<0x00>(a);
            b = assist(b, _mm_shuffle_epi32::<0xaa>(t));
            store128(b, &mut out[2 * $i + 1]);
        }};
    }
    pair!(1, 0x01);
    odd!(1);
    pair!(2, 0x02);
    odd!(2);
    pair!(3, 0x04);
    odd!(3);
    pair!(4, 0x08);
    odd!(4);
    pair!(5, 0x10);
    odd!(5);
    pair!(6, 0x20);
    odd!(6);
    pair!(7, 0x40);
}

/// Round keys broadcast to all four 128-bit lanes of zmm registers; wiped when dropped (they
/// live on the stack of one call).
pub(crate) struct Zkeys {
    k: [__m512i; 14],
    last: __m512i,
    rounds: usize,
}

/// Loads 64 octets.
#[target_feature(enable = "avx512f")]
pub(crate) fn load512(b: &[u8; 64]) -> __m512i {
    // SAFETY: `b` is 64 readable octets; the load is unaligned.
    unsafe { _mm512_loadu_si512(b.as_ptr().cast()) }
}

/// Stores 64 octets.
#[target_feature(enable = "avx512f")]
pub(crate) fn store512(v: __m512i, b: &mut [u8; 64]) {
    // SAFETY: `b` is 64 writable octets; the store is unaligned.
    unsafe { _mm512_storeu_si512(b.as_mut_ptr().cast(), v) }
}

/// Octet mask selecting the first `len.min(64)` octets.
#[inline]
pub(crate) fn byte_mask(len: usize) -> u64 {
    if len >= 64 {
        u64::MAX
    } else {
        (1u64 << len) - 1
    }
}

/// Loads `b.len()` (at most 64) octets; the remaining octets of the register are zero.
#[target_feature(enable = "avx512f,avx512bw")]
pub(crate) fn load_partial(b: &[u8]) -> __m512i {
    let m = byte_mask(b.len());
    // SAFETY: the mask selects only the first `b.len()` octets, all inside `b`; masked-off octets
    // are neither read nor able to fault.
    unsafe { _mm512_maskz_loadu_epi8(m, b.as_ptr().cast()) }
}

/// Stores the first `b.len()` (at most 64) octets of `v` into `b`.
#[target_feature(enable = "avx512f,avx512bw")]
pub(crate) fn store_partial(v: __m512i, b: &mut [u8]) {
    let m = byte_mask(b.len());
    // SAFETY: the mask selects only the first `b.len()` octets, all inside `b`; masked-off octets
    // are not written and cannot fault.
    unsafe { _mm512_mask_storeu_epi8(b.as_mut_ptr().cast(), m, v) }
}

/// `pshufb` mask reversing the 16 octets of every 128-bit lane.
#[target_feature(enable = "avx512f")]
pub(crate) fn rev_mask() -> __m512i {
    _mm512_broadcast_i32x4(_mm_set_epi8(
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
    ))
}

impl Drop for Zkeys {
    fn drop(&mut self) {
        // SAFETY: a `Zkeys` is only ever built by `zkeys`, which is compiled for (and only
        // called after detection of) AVX-512F, so `wipe_zkeys` may run here.
        unsafe { wipe_zkeys(self) }
    }
}

/// Volatile zeroing of the broadcast round keys, one 512-bit store each.
#[target_feature(enable = "avx512f")]
fn wipe_zkeys(z: &mut Zkeys) {
    z.k.zeroize();
    z.last.zeroize();
}

vaes_fn! {
    /// Broadcasts the round keys into zmm registers.
    #[inline]
    pub(crate) fn zkeys(rk: &RoundKeys) -> Zkeys {
        let mut k = [_mm512_setzero_si512(); 14];
        for (dst, src) in k.iter_mut().zip(rk.keys.iter()) {
            // SAFETY: `src` is 16 readable octets; the load is unaligned.
            let x = unsafe { _mm_loadu_si128(src.as_ptr().cast()) };
            *dst = _mm512_broadcast_i32x4(x);
        }
        let last_src = &rk.keys[rk.rounds.min(14)];
        // SAFETY: `last_src` is 16 readable octets; the load is unaligned.
        let last = _mm512_broadcast_i32x4(unsafe { _mm_loadu_si128(last_src.as_ptr().cast()) });
        Zkeys { k, last, rounds: rk.rounds }
    }

    /// Encrypts the 4·N blocks held in `x` in place.
    #[inline]
    pub(crate) fn encrypt_n<const N: usize>(zk: &Zkeys, x: &mut [__m512i; N]) {
        for v in x.iter_mut() {
            *v = _mm512_xor_si512(*v, zk.k[0]);
        }
        for r in 1..10 {
            for v in x.iter_mut() {
                *v = _mm512_aesenc_epi128(*v, zk.k[r]);
            }
        }
        if zk.rounds == 14 {
            for r in 10..14 {
                for v in x.iter_mut() {
                    *v = _mm512_aesenc_epi128(*v, zk.k[r]);
                }
            }
        }
        for v in x.iter_mut() {
            *v = _mm512_aesenclast_epi128(*v, zk.last);
        }
    }

    /// Adds the per-lane 64-bit values `inc` (only in the low qword of each lane) to the
    /// little-endian 128-bit integers of `c`, carrying into the high qword.
    #[inline]
    fn add128(c: __m512i, inc: __m512i) -> __m512i {
        let lo = _mm512_add_epi64(c, inc);
        let carry = _mm512_cmplt_epu64_mask(lo, inc) & 0x55;
        _mm512_mask_add_epi64(lo, carry << 1, lo, _mm512_set1_epi64(1))
    }

    fn ctr_impl(rk: &RoundKeys, iv: &[u8; 16], data: &mut [u8]) {
        let zk = zkeys(rk);
        ctr_xor(&zk, iv, data);
    }

    /// Keystream for many packets with the round keys broadcast once. (Queuing the segments
    /// of several packets into shared eight-register AES batches was measured slower than this
    /// loop: out-of-order execution already overlaps consecutive packets.)
    fn ctr_many_impl(rk: &RoundKeys, ivs: &[[u8; 16]], datas: &mut [&mut [u8]]) {
        let zk = zkeys(rk);
        for (iv, data) in ivs.iter().zip(datas.iter_mut()) {
            ctr_xor(&zk, iv, data);
        }
    }

    /// XORs the CTR keystream starting at `iv` into `data`.
    #[inline]
    fn ctr_xor(zk: &Zkeys, iv: &[u8; 16], data: &mut [u8]) {
        let rev = rev_mask();
        // SAFETY: `iv` is 16 readable octets; the load is unaligned.
        let ivx = unsafe { _mm_loadu_si128(iv.as_ptr().cast()) };
        // Lanes hold the counter as little-endian 128-bit integers.
        let base = _mm512_shuffle_epi8(_mm512_broadcast_i32x4(ivx), rev);
        let mut c0 = add128(base, _mm512_set_epi64(0, 3, 0, 2, 0, 1, 0, 0));
        let mut c1 = add128(base, _mm512_set_epi64(0, 7, 0, 6, 0, 5, 0, 4));
        let mut c2 = add128(base, _mm512_set_epi64(0, 11, 0, 10, 0, 9, 0, 8));
        let mut c3 = add128(base, _mm512_set_epi64(0, 15, 0, 14, 0, 13, 0, 12));
        let step = _mm512_set_epi64(0, 16, 0, 16, 0, 16, 0, 16);
        // When the low 64 bits of the counter cannot wrap within this call (public: IV and
        // length), the per-chunk increments need no carry handling.
        let lo = u64::from_be_bytes([iv[8], iv[9], iv[10], iv[11], iv[12], iv[13], iv[14], iv[15]]);
        let no_carry = lo.checked_add(data.len() as u64 / 16 + 16).is_some();

        let mut chunks = data.chunks_exact_mut(256);
        for chunk in &mut chunks {
            let mut ks = [
                _mm512_shuffle_epi8(c0, rev),
                _mm512_shuffle_epi8(c1, rev),
                _mm512_shuffle_epi8(c2, rev),
                _mm512_shuffle_epi8(c3, rev),
            ];
            if no_carry {
                c0 = _mm512_add_epi64(c0, step);
                c1 = _mm512_add_epi64(c1, step);
                c2 = _mm512_add_epi64(c2, step);
                c3 = _mm512_add_epi64(c3, step);
            } else {
                c0 = add128(c0, step);
                c1 = add128(c1, step);
                c2 = add128(c2, step);
                c3 = add128(c3, step);
            }
            encrypt_n(zk, &mut ks);
            for (blk, k) in chunk.chunks_exact_mut(64).zip(ks.iter()) {
                if let Ok(b) = <&mut [u8; 64]>::try_from(blk) {
                    let v = _mm512_xor_si512(load512(b), *k);
                    store512(v, b);
                }
            }
        }
        let tail = chunks.into_remainder();
        if tail.is_empty() {
            return;
        }
        let ctrs = [c0, c1, c2, c3];
        match tail.len().div_ceil(64) {
            1 => tail_xor::<1>(zk, &ctrs, rev, tail),
            2 => tail_xor::<2>(zk, &ctrs, rev, tail),
            3 => tail_xor::<3>(zk, &ctrs, rev, tail),
            _ => tail_xor::<4>(zk, &ctrs, rev, tail),
        }
    }

    #[inline]
    fn tail_xor<const N: usize>(zk: &Zkeys, ctrs: &[__m512i; 4], rev: __m512i, tail: &mut [u8]) {
        let mut ks = [_mm512_setzero_si512(); N];
        for (k, c) in ks.iter_mut().zip(ctrs.iter()) {
            *k = _mm512_shuffle_epi8(*c, rev);
        }
        encrypt_n(zk, &mut ks);
        for (seg, k) in tail.chunks_mut(64).zip(ks.iter()) {
            let v = _mm512_xor_si512(load_partial(seg), *k);
            store_partial(v, seg);
        }
    }
}

/// AES-CTR (128-bit big-endian counter) with VAES.
#[derive(Clone)]
pub struct AesCtrVaes {
    rk: RoundKeys,
}

impl fmt::Debug for AesCtrVaes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AesCtrVaes")
            .field("rounds", &self.rk.rounds)
            .field("round_keys", &"<redacted>")
            .finish()
    }
}

impl AesCtrVaes {
    /// Expands an AES-128 (16 octets) or AES-256 (32 octets) key. `None` if the CPU lacks
    /// AES-NI, VAES or AVX-512F/BW/VL, or if the key length is neither 16 nor 32.
    pub fn new(key: &[u8]) -> Option<Self> {
        if !available() {
            return None;
        }
        Some(AesCtrVaes {
            rk: RoundKeys::expand(key)?,
        })
    }

    /// XORs the keystream AES(iv), AES(iv + 1), … into `data` (encryption and decryption alike).
    ///
    /// The counter is the whole 16-octet block read as a big-endian integer and incremented
    /// modulo 2^128, exactly like `ctr::Ctr128BE`.
    pub fn apply_keystream(&self, iv: &[u8; 16], data: &mut [u8]) {
        // SAFETY: `self` exists only if `available()` returned true in `new`, so every target
        // feature `ctr_impl` is compiled for is present.
        unsafe { ctr_impl(&self.rk, iv, data) }
    }

    /// Applies the keystream of `ivs[i]` to `datas[i]` for every packet, broadcasting the round
    /// keys once for the whole batch. Returns false, touching nothing, if the two slices differ
    /// in length.
    pub fn apply_keystream_many(&self, ivs: &[[u8; 16]], datas: &mut [&mut [u8]]) -> bool {
        if ivs.len() != datas.len() {
            return false;
        }
        // SAFETY: as in `apply_keystream`, the features were detected in `new`.
        unsafe { ctr_many_impl(&self.rk, ivs, datas) };
        true
    }
}
