//! SHA-1 compression (FIPS 180-4 §6.1.2) with the ARMv8 SHA1 instructions, and HMAC-SHA1 from
//! precomputed ipad/opad chaining states (the states `srtp/auth.rs` keeps per session key).
//!
//! Each group of four rounds is one SHA1C/SHA1P/SHA1M (choose, parity, majority), with SHA1H
//! giving the next group's `e`; the message schedule advances four words at a time with
//! SHA1SU0/SHA1SU1. The five state words stay in registers across the blocks of a message.

use core::arch::aarch64::*;

use zeroize::Zeroize;

use super::Sha1Ext;

/// Round constants, one per 20 rounds.
const K: [u32; 4] = [0x5A82_7999, 0x6ED9_EBA1, 0x8F1B_BCDC, 0xCA62_C1D6];

/// One 64-octet block into `(abcd, e)`: twenty groups of four rounds, unrolled, the message
/// schedule four words ahead.
#[target_feature(enable = "sha2")]
#[inline]
fn block(abcd: &mut uint32x4_t, e: &mut u32, b: &[u8; 64]) {
    let load = |k: usize| -> uint32x4_t {
        // SAFETY: `b` has 64 readable octets and k < 4; `ld1` has no alignment requirement.
        let v = unsafe { vld1q_u8(b.as_ptr().add(16 * k)) };
        vreinterpretq_u32_u8(vrev32q_u8(v))
    };
    let (mut w0, mut w1, mut w2, mut w3) = (load(0), load(1), load(2), load(3));
    let (abcd0, e0) = (*abcd, *e);
    let mut a = *abcd;
    let mut ee = *e;
    macro_rules! quad {
        ($f:ident, $k:expr, $w:expr) => {{
            let wk = vaddq_u32($w, vdupq_n_u32($k));
            let e_next = vsha1h_u32(vgetq_lane_u32::<0>(a));
            a = $f(a, ee, wk);
            ee = e_next;
        }};
    }
    quad!(vsha1cq_u32, K[0], w0);
    w0 = vsha1su1q_u32(vsha1su0q_u32(w0, w1, w2), w3);
    quad!(vsha1cq_u32, K[0], w1);
    w1 = vsha1su1q_u32(vsha1su0q_u32(w1, w2, w3), w0);
    quad!(vsha1cq_u32, K[0], w2);
    w2 = vsha1su1q_u32(vsha1su0q_u32(w2, w3, w0), w1);
    quad!(vsha1cq_u32, K[0], w3);
    w3 = vsha1su1q_u32(vsha1su0q_u32(w3, w0, w1), w2);
    quad!(vsha1cq_u32, K[0], w0);
    w0 = vsha1su1q_u32(vsha1su0q_u32(w0, w1, w2), w3);
    quad!(vsha1pq_u32, K[1], w1);
    w1 = vsha1su1q_u32(vsha1su0q_u32(w1, w2, w3), w0);
    quad!(vsha1pq_u32, K[1], w2);
    w2 = vsha1su1q_u32(vsha1su0q_u32(w2, w3, w0), w1);
    quad!(vsha1pq_u32, K[1], w3);
    w3 = vsha1su1q_u32(vsha1su0q_u32(w3, w0, w1), w2);
    quad!(vsha1pq_u32, K[1], w0);
    w0 = vsha1su1q_u32(vsha1su0q_u32(w0, w1, w2), w3);
    quad!(vsha1pq_u32, K[1], w1);
    w1 = vsha1su1q_u32(vsha1su0q_u32(w1, w2, w3), w0);
    quad!(vsha1mq_u32, K[2], w2);
    w2 = vsha1su1q_u32(vsha1su0q_u32(w2, w3, w0), w1);
    quad!(vsha1mq_u32, K[2], w3);
    w3 = vsha1su1q_u32(vsha1su0q_u32(w3, w0, w1), w2);
    quad!(vsha1mq_u32, K[2], w0);
    w0 = vsha1su1q_u32(vsha1su0q_u32(w0, w1, w2), w3);
    quad!(vsha1mq_u32, K[2], w1);
    w1 = vsha1su1q_u32(vsha1su0q_u32(w1, w2, w3), w0);
    quad!(vsha1mq_u32, K[2], w2);
    w2 = vsha1su1q_u32(vsha1su0q_u32(w2, w3, w0), w1);
    quad!(vsha1pq_u32, K[3], w3);
    w3 = vsha1su1q_u32(vsha1su0q_u32(w3, w0, w1), w2);
    quad!(vsha1pq_u32, K[3], w0);
    quad!(vsha1pq_u32, K[3], w1);
    quad!(vsha1pq_u32, K[3], w2);
    quad!(vsha1pq_u32, K[3], w3);
    *abcd = vaddq_u32(a, abcd0);
    *e = ee.wrapping_add(e0);
}

#[target_feature(enable = "neon")]
#[inline]
fn load_state(s: &[u32; 5]) -> (uint32x4_t, u32) {
    // SAFETY: `s` has at least four readable words.
    (unsafe { vld1q_u32(s.as_ptr()) }, s[4])
}

#[target_feature(enable = "neon")]
#[inline]
fn store_digest(abcd: uint32x4_t, e: u32) -> [u8; 20] {
    let mut w = [0u32; 4];
    // SAFETY: `w` is four writable words.
    unsafe { vst1q_u32(w.as_mut_ptr(), abcd) };
    let mut out = [0u8; 20];
    for (o, x) in out
        .chunks_exact_mut(4)
        .zip(w.iter().chain(core::iter::once(&e)))
    {
        o.copy_from_slice(&x.to_be_bytes());
    }
    w.zeroize();
    out
}

/// Absorbs `parts` (concatenated) after `prefix_len` octets already compressed into `state`,
/// with the final padding, and returns the digest.
#[target_feature(enable = "sha2")]
fn finish(state: &[u32; 5], prefix_len: u64, parts: [&[u8]; 2]) -> [u8; 20] {
    let (mut abcd, mut e) = load_state(state);
    let total = prefix_len + parts[0].len() as u64 + parts[1].len() as u64;
    let mut buf = [0u8; 128];
    let mut fill = 0usize;
    for part in parts {
        let mut p = part;
        if fill == 0 {
            let mut whole = p.chunks_exact(64);
            for b in &mut whole {
                if let Some(b) = b.first_chunk::<64>() {
                    block(&mut abcd, &mut e, b);
                }
            }
            p = whole.remainder();
        }
        while !p.is_empty() {
            let n = p.len().min(64 - fill);
            buf[fill..fill + n].copy_from_slice(&p[..n]);
            fill += n;
            p = &p[n..];
            if fill == 64 {
                if let Some(b) = buf.first_chunk::<64>() {
                    block(&mut abcd, &mut e, b);
                }
                fill = 0;
            }
        }
    }
    buf[fill] = 0x80;
    buf[fill + 1..].fill(0);
    let end = if fill < 56 { 64 } else { 128 };
    buf[end - 8..end].copy_from_slice(&(total * 8).to_be_bytes());
    for b in buf[..end].chunks_exact(64) {
        if let Some(b) = b.first_chunk::<64>() {
            block(&mut abcd, &mut e, b);
        }
    }
    buf.zeroize();
    store_digest(abcd, e)
}

/// SHA-1 chaining value after compressing the 64-octet blocks of `blocks` (whose length must
/// be a multiple of 64; a trailing partial block is ignored) into `state`.
pub fn compress(_t: Sha1Ext, state: &mut [u32; 5], blocks: &[u8]) {
    #[target_feature(enable = "sha2")]
    fn run(state: &mut [u32; 5], blocks: &[u8]) {
        let (mut abcd, mut e) = load_state(state);
        for b in blocks.chunks_exact(64) {
            if let Some(b) = b.first_chunk::<64>() {
                block(&mut abcd, &mut e, b);
            }
        }
        // SAFETY: `state` has at least four writable words.
        unsafe { vst1q_u32(state.as_mut_ptr(), abcd) };
        state[4] = e;
    }
    // SAFETY: the token proves the CPU has the SHA1 instructions.
    unsafe { run(state, blocks) }
}

/// HMAC-SHA1 of `msg || suffix` from the chaining states after the `key ^ ipad` and
/// `key ^ opad` blocks.
pub fn hmac_sha1(
    _t: Sha1Ext,
    inner: &[u32; 5],
    outer: &[u32; 5],
    msg: &[u8],
    suffix: &[u8],
) -> [u8; 20] {
    // SAFETY: the token proves the CPU has the SHA1 instructions.
    unsafe {
        let mut ih = finish(inner, 64, [msg, suffix]);
        let out = finish(outer, 64, [&ih, &[]]);
        ih.zeroize();
        out
    }
}
