//! Sixteen-lane SHA-1 with AVX-512F/BW, for HMAC-SHA1 over many messages under one key.
//!
//! Each of the sixteen 32-bit lanes of a zmm register carries one message. Per block round, the
//! sixteen 64-octet blocks are loaded straight from the messages (the last, partial block by a
//! masked load, the padding and length merged in registers: no copy of any message) and transposed into the sixteen schedule
//! words; the compression then runs on all lanes at once (`vpternlogd` for the round functions,
//! `vprold` for the rotations). Lanes whose message has fewer blocks keep their state through a
//! masked merge. The inner digests stay transposed in registers and form the outer block directly.

// The AVX-512, VAES and VPCLMULQDQ intrinsics are stable since Rust 1.89; the crate's declared
// rust-version is older, so clippy's MSRV check is silenced for this kernel file only.
#![allow(clippy::incompatible_msrv)]

use core::arch::x86_64::*;

use super::aes_ctr::{load512, load_partial};

cpufeatures::new!(cpu_avx512f, "avx512f", "avx512bw");

/// Lanes per group.
const LANES: usize = 16;

/// Whether this CPU can run [`hmac_sha1_batch`] (AVX-512F and AVX-512BW).
pub fn available() -> bool {
    cpu_avx512f::get()
}

/// HMAC-SHA1 of every message of `msgs` under one key, written to `out[i]`.
///
/// `inner` and `outer` are the SHA-1 chaining values after compressing the one-block
/// (key ⊕ ipad) and (key ⊕ opad) prefixes; each message is hashed as if preceded by that block
/// (total length for padding: 64 + `msg.len()` octets). Returns false, leaving `out` untouched,
/// if AVX-512F/BW is not available or `out` is shorter than `msgs`.
pub fn hmac_sha1_batch(
    inner: &[u32; 5],
    outer: &[u32; 5],
    msgs: &[&[u8]],
    out: &mut [[u8; 20]],
) -> bool {
    if !available() || out.len() < msgs.len() {
        return false;
    }
    for (group, dst) in msgs.chunks(LANES).zip(out.chunks_mut(LANES)) {
        // SAFETY: AVX-512F and AVX-512BW were detected just above.
        unsafe { hmac_group(inner, outer, group, dst) };
    }
    true
}

/// Block `b` of lane message `msg` (hashed after the 64-octet ipad block) as sixteen
/// big-endian words: message octets by a masked load (nothing past the message is read), the
/// 0x80 pad octet where the message ends, and the bit length in the last block. `None` once the
/// message has no block `b`. Lengths are public; the octets are never branched on.
#[target_feature(enable = "avx512f,avx512bw")]
#[inline]
fn lane_block(msg: &[u8], b: usize, swap: __m512i) -> Option<__m512i> {
    let len = msg.len();
    let blocks = (len + 9).div_ceil(64);
    if b >= blocks {
        return None;
    }
    let s = b * 64;
    let avail = len.saturating_sub(s).min(64);
    let mut v = match msg.get(s..s + avail) {
        Some(x) => match x.first_chunk::<64>() {
            Some(full) => load512(full),
            None => load_partial(x),
        },
        None => _mm512_setzero_si512(),
    };
    if len >= s && len - s < 64 {
        let pad = _mm512_maskz_set1_epi8(1u64 << (len - s), 0x80u8 as i8);
        v = _mm512_or_si512(v, pad);
    }
    v = _mm512_shuffle_epi8(v, swap);
    if b + 1 == blocks {
        let bits = (len as u64).wrapping_add(64).wrapping_mul(8);
        let (hi, lo) = ((bits >> 32) as u32 as i32, bits as u32 as i32);
        let lv = _mm512_set_epi32(lo, hi, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
        v = _mm512_mask_mov_epi32(v, 0xC000, lv);
    }
    Some(v)
}

#[target_feature(enable = "avx512f,avx512bw")]
fn hmac_group(inner: &[u32; 5], outer: &[u32; 5], msgs: &[&[u8]], out: &mut [[u8; 20]]) {
    let msgs = &msgs[..msgs.len().min(LANES)];
    let max_blocks = msgs
        .iter()
        .map(|m| (m.len() + 9).div_ceil(64))
        .max()
        .unwrap_or(0);
    // Reverses the octets of each 32-bit word.
    let swap = _mm512_broadcast_i32x4(_mm_set_epi8(
        12, 13, 14, 15, 8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3,
    ));

    let mut st = [_mm512_setzero_si512(); 5];
    for (s, v) in st.iter_mut().zip(inner.iter()) {
        *s = _mm512_set1_epi32(*v as i32);
    }

    let mut rows = [_mm512_setzero_si512(); LANES];
    let mut w = [_mm512_setzero_si512(); LANES];
    for b in 0..max_blocks {
        let mut active: u16 = 0;
        for (l, row) in rows.iter_mut().enumerate() {
            *row = match msgs.get(l).and_then(|m| lane_block(m, b, swap)) {
                Some(v) => {
                    active |= 1 << l;
                    v
                }
                None => _mm512_setzero_si512(),
            };
        }
        transpose16(&rows, &mut w);
        let mut new = st;
        compress(&mut new, &mut w);
        for (s, n) in st.iter_mut().zip(new.iter()) {
            *s = _mm512_mask_mov_epi32(*s, active, *n);
        }
    }

    // Outer block: the inner digest (five words), 0x80, zeros, bit length of 64 + 20 octets.
    let mut w = [_mm512_setzero_si512(); 16];
    w[..5].copy_from_slice(&st);
    w[5] = _mm512_set1_epi32(0x8000_0000u32 as i32);
    w[15] = _mm512_set1_epi32((64 + 20) * 8);
    let mut dig = [_mm512_setzero_si512(); 5];
    for (s, v) in dig.iter_mut().zip(outer.iter()) {
        *s = _mm512_set1_epi32(*v as i32);
    }
    compress(&mut dig, &mut w);

    let mut words = [[0u32; LANES]; 5];
    for (dst, v) in words.iter_mut().zip(dig.iter()) {
        // SAFETY: `dst` is 16 writable u32 (64 octets); the store is unaligned.
        unsafe { _mm512_storeu_si512(dst.as_mut_ptr().cast(), *v) };
    }
    for (l, o) in out.iter_mut().enumerate().take(msgs.len()) {
        for (i, wd) in words.iter().enumerate() {
            o[4 * i..4 * i + 4].copy_from_slice(&wd[l].to_be_bytes());
        }
    }
}

/// Transposes sixteen rows of sixteen 32-bit words: row `l` = the block of lane `l`; result
/// `w[t]` lane `l` = word `t` of lane `l`'s block.
#[target_feature(enable = "avx512f,avx512bw")]
#[inline]
fn transpose16(r: &[__m512i; 16], c: &mut [__m512i; 16]) {
    // Stage 1: interleave 32-bit words of row pairs.
    let mut a = [_mm512_setzero_si512(); 16];
    for i in 0..8 {
        a[2 * i] = _mm512_unpacklo_epi32(r[2 * i], r[2 * i + 1]);
        a[2 * i + 1] = _mm512_unpackhi_epi32(r[2 * i], r[2 * i + 1]);
    }
    // Stage 2: interleave 64-bit pairs.
    let mut b = [_mm512_setzero_si512(); 16];
    for i in 0..4 {
        let (p, q) = (4 * i, 4 * i + 2);
        b[4 * i] = _mm512_unpacklo_epi64(a[p], a[q]);
        b[4 * i + 1] = _mm512_unpackhi_epi64(a[p], a[q]);
        b[4 * i + 2] = _mm512_unpacklo_epi64(a[p + 1], a[q + 1]);
        b[4 * i + 3] = _mm512_unpackhi_epi64(a[p + 1], a[q + 1]);
    }
    // After stage 2, b[4i + j] holds, in 128-bit lane k, word (4k + j) of rows 4i..4i+3.
    // Stage 3/4: gather 128-bit lanes across the four row groups.
    for j in 0..4 {
        // Lanes (k0,k1) of groups 0,1 and of groups 2,3.
        let g01_lo = _mm512_shuffle_i32x4::<0x44>(b[j], b[4 + j]); // g0.k0 g0.k1 g1.k0 g1.k1
        let g01_hi = _mm512_shuffle_i32x4::<0xEE>(b[j], b[4 + j]); // g0.k2 g0.k3 g1.k2 g1.k3
        let g23_lo = _mm512_shuffle_i32x4::<0x44>(b[8 + j], b[12 + j]);
        let g23_hi = _mm512_shuffle_i32x4::<0xEE>(b[8 + j], b[12 + j]);
        // word 4k + j for k = 0..3: take lane k of every group in group order.
        c[j] = _mm512_shuffle_i32x4::<0x88>(g01_lo, g23_lo); // g0.k0 g1.k0 g2.k0 g3.k0
        c[4 + j] = _mm512_shuffle_i32x4::<0xDD>(g01_lo, g23_lo); // k1
        c[8 + j] = _mm512_shuffle_i32x4::<0x88>(g01_hi, g23_hi); // k2
        c[12 + j] = _mm512_shuffle_i32x4::<0xDD>(g01_hi, g23_hi); // k3
    }
}

/// One SHA-1 compression on sixteen lanes: `state += compress(state, w)`; `w` holds the message
/// schedule and is overwritten.
// The schedule words written in rounds 77..80 are never read again.
#[allow(unused_assignments)]
#[target_feature(enable = "avx512f,avx512bw")]
#[inline]
fn compress(state: &mut [__m512i; 5], w: &mut [__m512i; 16]) {
    let [mut a, mut b, mut c, mut d, mut e] = *state;
    macro_rules! round {
        ($t:expr, $f:literal, $k:expr) => {{
            let t: usize = $t;
            let wt = if t < 16 {
                w[t]
            } else {
                let x = _mm512_ternarylogic_epi32::<0x96>(
                    w[(t + 13) & 15],
                    w[(t + 8) & 15],
                    w[(t + 2) & 15],
                );
                let x = _mm512_rol_epi32::<1>(_mm512_xor_si512(x, w[t & 15]));
                w[t & 15] = x;
                x
            };
            let f = _mm512_ternarylogic_epi32::<$f>(b, c, d);
            let tmp = _mm512_add_epi32(
                _mm512_add_epi32(_mm512_rol_epi32::<5>(a), f),
                _mm512_add_epi32(_mm512_add_epi32(e, _mm512_set1_epi32($k as i32)), wt),
            );
            e = d;
            d = c;
            c = _mm512_rol_epi32::<30>(b);
            b = a;
            a = tmp;
        }};
    }
    macro_rules! round5 {
        ($t:expr, $f:literal, $k:expr) => {
            round!($t, $f, $k);
            round!($t + 1, $f, $k);
            round!($t + 2, $f, $k);
            round!($t + 3, $f, $k);
            round!($t + 4, $f, $k);
        };
    }
    macro_rules! round20 {
        ($t:expr, $f:literal, $k:expr) => {
            round5!($t, $f, $k);
            round5!($t + 5, $f, $k);
            round5!($t + 10, $f, $k);
            round5!($t + 15, $f, $k);
        };
    }
    round20!(0, 0xCA, 0x5A82_7999u32);
    round20!(20, 0x96, 0x6ED9_EBA1u32);
    round20!(40, 0xE8, 0x8F1B_BCDCu32);
    round20!(60, 0x96, 0xCA62_C1D6u32);
    *state = [
        _mm512_add_epi32(state[0], a),
        _mm512_add_epi32(state[1], b),
        _mm512_add_epi32(state[2], c),
        _mm512_add_epi32(state[3], d),
        _mm512_add_epi32(state[4], e),
    ];
}
