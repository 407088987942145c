//! AES-GCM (96-bit nonce) with the ARMv8 AES instructions and PMULL GHASH.
//!
//! - GHASH in the bit-reflected domain: `rbit` on each octet turns a GCM block into a
//!   polynomial whose coefficient of x^k is bit k of the little-endian 128-bit integer, so a
//!   GHASH multiply is a plain carry-less product reduced modulo x^128 + x^7 + x^2 + x + 1.
//! - Aggregated reduction: the key holds H, H², …, H⁸ (and the XOR of each power's halves for
//!   Karatsuba); a chunk of up to eight blocks is multiplied by the matching powers with three
//!   PMULLs per block, the 256-bit products are summed unreduced, and one reduction (two
//!   PMULLs) finishes the chunk.
//! - Fused with CTR: each chunk of eight blocks is encrypted (AESE/AESMC, eight blocks in flight)
//!   and hashed in the same loop iteration, so each block is loaded and stored once. On open, the
//!   ciphertext is hashed and decrypted in the same pass; if the tag does not match, the keystream
//!   is applied a second time, which restores the ciphertext, so `data` is unchanged when
//!   `open_in_place` returns false (as the x86-64 kernel does; see `srtp/gcm.rs`).

use core::arch::aarch64::*;
use core::fmt;

use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

use super::aes_ctr::{
    counters, ctr_xor, encrypt, load16, load_keys, load_partial, store16, store_partial, RoundKeys,
};
use super::AesPmull;

/// Blocks aggregated per reduction.
const CHUNK: usize = 8;

/// Longest plaintext GCM allows (2^39 − 256 bits).
const MAX_DATA: u64 = (1 << 36) - 32;

/// An AES-GCM key for the ARMv8 kernel: round keys and the GHASH powers, zeroized on drop. It
/// exists only on a CPU with AES and PMULL (built from an [`AesPmull`] token).
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct GcmArm {
    rk: RoundKeys,
    /// Entry `k` is H^(k+1) in the reflected domain (two little-endian 64-bit halves).
    pow: [[u64; 2]; CHUNK],
    /// Entry `k` is the XOR of the two halves of `pow[k]` (in both halves).
    kar: [[u64; 2]; CHUNK],
}

impl fmt::Debug for GcmArm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GcmArm")
            .field("key", &"<redacted>")
            .finish()
    }
}

/// GHASH key material in registers.
#[derive(Clone, Copy)]
struct Powers {
    pow: [uint64x2_t; CHUNK],
    kar: [uint64x2_t; CHUNK],
}

#[target_feature(enable = "aes")]
#[inline]
fn clmul_lo(a: uint64x2_t, b: uint64x2_t) -> uint64x2_t {
    vreinterpretq_u64_p128(vmull_p64(vgetq_lane_u64::<0>(a), vgetq_lane_u64::<0>(b)))
}

#[target_feature(enable = "aes")]
#[inline]
fn clmul_hi(a: uint64x2_t, b: uint64x2_t) -> uint64x2_t {
    vreinterpretq_u64_p128(vmull_high_p64(
        vreinterpretq_p64_u64(a),
        vreinterpretq_p64_u64(b),
    ))
}

/// Reduces the Karatsuba parts `lo + mid·x^64 + hi·x^128` (mid already holding
/// `(a0+a1)(b0+b1)`) modulo x^128 + x^7 + x^2 + x + 1.
#[target_feature(enable = "aes")]
#[inline]
fn reduce(lo: uint64x2_t, mid: uint64x2_t, hi: uint64x2_t) -> uint64x2_t {
    let zero = vdupq_n_u64(0);
    let mid = veorq_u64(mid, veorq_u64(lo, hi));
    // 256-bit product p3:p2:p1:p0.
    let mut l = veorq_u64(lo, vextq_u64::<1>(zero, mid)); // p1:p0
    let mut h = veorq_u64(hi, vextq_u64::<1>(mid, zero)); // p3:p2
    let poly = vdupq_n_u64(0x87);
    // p3·x^192 = p3·x^64·(x^7+x^2+x+1): a 71-bit a1:a0 added at x^64.
    let a = clmul_hi(h, poly);
    l = veorq_u64(l, vextq_u64::<1>(zero, a));
    h = veorq_u64(h, vextq_u64::<1>(a, zero));
    // p2·x^128 = p2·(x^7+x^2+x+1).
    veorq_u64(l, clmul_lo(h, poly))
}

/// `a · b` in the reflected domain.
#[target_feature(enable = "aes")]
fn mul(a: uint64x2_t, b: uint64x2_t) -> uint64x2_t {
    let lo = clmul_lo(a, b);
    let hi = clmul_hi(a, b);
    let mid = clmul_lo(
        veorq_u64(a, vextq_u64::<1>(a, a)),
        veorq_u64(b, vextq_u64::<1>(b, b)),
    );
    reduce(lo, mid, hi)
}

/// A GCM block (octets in GCM order) into the reflected domain.
#[target_feature(enable = "neon")]
#[inline]
fn to_poly(x: uint8x16_t) -> uint64x2_t {
    vreinterpretq_u64_u8(vrbitq_u8(x))
}

/// GHASH state update over the first `n` (1..=8) blocks of `x`: block j is multiplied by
/// H^(n−j), the state (which belongs to block 0) by H^n.
#[target_feature(enable = "aes")]
#[inline]
fn ghash_chunk(p: &Powers, y: uint64x2_t, x: &[uint8x16_t; CHUNK], n: usize) -> uint64x2_t {
    let zero = vdupq_n_u64(0);
    let (mut lo, mut mid, mut hi) = (zero, zero, zero);
    for (j, xb) in x.iter().enumerate().take(n) {
        let mut v = to_poly(*xb);
        if j == 0 {
            v = veorq_u64(v, y);
        }
        let (h, k) = (p.pow[n - 1 - j], p.kar[n - 1 - j]);
        lo = veorq_u64(lo, clmul_lo(v, h));
        hi = veorq_u64(hi, clmul_hi(v, h));
        mid = veorq_u64(mid, clmul_lo(veorq_u64(v, vextq_u64::<1>(v, v)), k));
    }
    reduce(lo, mid, hi)
}

/// GHASH of `data` (zero-padded to whole blocks) into `y`.
#[target_feature(enable = "aes")]
fn ghash_bytes(p: &Powers, mut y: uint64x2_t, data: &[u8]) -> uint64x2_t {
    for c in data.chunks(16 * CHUNK) {
        let mut x = [vdupq_n_u8(0); CHUNK];
        for (xb, b) in x.iter_mut().zip(c.chunks(16)) {
            *xb = load_partial(b);
        }
        y = ghash_chunk(p, y, &x, c.len().div_ceil(16));
    }
    y
}

/// One chunk of at most `16·B` octets: keystream from `*ctr`, XOR into `d`, GHASH of the
/// ciphertext (after the XOR when sealing, before it when opening).
#[target_feature(enable = "aes")]
#[inline]
fn chunk<const NR: usize, const B: usize, const SEAL: bool>(
    k: &[uint8x16_t; 15],
    p: &Powers,
    base: uint32x4_t,
    ctr: &mut u32,
    y: uint64x2_t,
    d: &mut [u8],
) -> uint64x2_t {
    let mut ks = counters::<B>(base, ctr);
    encrypt::<NR, B>(k, &mut ks);
    let mut ct = [vdupq_n_u8(0); CHUNK];
    for ((b, c), s) in d.chunks_mut(16).zip(ct.iter_mut()).zip(ks.iter()) {
        let full = b.len() == 16;
        let x = load_partial(b);
        let o = veorq_u8(x, *s);
        match b.first_chunk_mut::<16>() {
            Some(f) => store16(o, f),
            None => store_partial(o, b),
        }
        let cx = if SEAL { o } else { x };
        // The partial last block is hashed zero-padded.
        *c = if full {
            cx
        } else {
            load_partial_of(cx, b.len())
        };
    }
    ghash_chunk(p, y, &ct, d.len().div_ceil(16))
}

/// The first `n` (< 16) octets of `v`, zero beyond.
#[target_feature(enable = "neon")]
#[inline]
fn load_partial_of(v: uint8x16_t, n: usize) -> uint8x16_t {
    let mut tmp = [0u8; 16];
    store16(v, &mut tmp);
    tmp[n..].fill(0);
    load16(&tmp)
}

#[target_feature(enable = "aes")]
fn powers(rk: &RoundKeys) -> Powers {
    let k = load_keys(rk);
    let mut h = [vdupq_n_u8(0); 1];
    if rk.rounds == 14 {
        encrypt::<14, 1>(&k, &mut h);
    } else {
        encrypt::<10, 1>(&k, &mut h);
    }
    let h1 = to_poly(h[0]);
    let mut pow = [h1; CHUNK];
    for i in 1..CHUNK {
        pow[i] = mul(pow[i - 1], h1);
    }
    let mut kar = [vdupq_n_u64(0); CHUNK];
    for (kk, pw) in kar.iter_mut().zip(pow.iter()) {
        *kk = veorq_u64(*pw, vextq_u64::<1>(*pw, *pw));
    }
    Powers { pow, kar }
}

#[target_feature(enable = "neon")]
fn to_words(v: uint64x2_t) -> [u64; 2] {
    [vgetq_lane_u64::<0>(v), vgetq_lane_u64::<1>(v)]
}

#[target_feature(enable = "neon")]
fn from_words(w: &[u64; 2]) -> uint64x2_t {
    vcombine_u64(vcreate_u64(w[0]), vcreate_u64(w[1]))
}

/// Seals (`seal`) or opens `data` in place and returns the computed tag.
#[target_feature(enable = "aes")]
fn run<const NR: usize, const SEAL: bool>(
    g: &GcmArm,
    nonce: &[u8; 12],
    aad: &[u8],
    data: &mut [u8],
) -> [u8; 16] {
    let k = load_keys(&g.rk);
    let mut p = Powers {
        pow: [vdupq_n_u64(0); CHUNK],
        kar: [vdupq_n_u64(0); CHUNK],
    };
    for i in 0..CHUNK {
        p.pow[i] = from_words(&g.pow[i]);
        p.kar[i] = from_words(&g.kar[i]);
    }
    let mut j0 = [0u8; 16];
    j0[..12].copy_from_slice(nonce);
    j0[15] = 1;
    let base = vreinterpretq_u32_u8(load16(&j0));
    let mut y = ghash_bytes(&p, vdupq_n_u64(0), aad);
    let mut ctr = 2u32;
    let mut chunks = data.chunks_exact_mut(16 * CHUNK);
    for c in &mut chunks {
        y = chunk::<NR, 8, SEAL>(&k, &p, base, &mut ctr, y, c);
    }
    let rest = chunks.into_remainder();
    y = match rest.len() {
        0 => y,
        1..=16 => chunk::<NR, 1, SEAL>(&k, &p, base, &mut ctr, y, rest),
        17..=64 => chunk::<NR, 4, SEAL>(&k, &p, base, &mut ctr, y, rest),
        _ => chunk::<NR, 8, SEAL>(&k, &p, base, &mut ctr, y, rest),
    };
    let mut len = [0u8; 16];
    len[..8].copy_from_slice(&(aad.len() as u64 * 8).to_be_bytes());
    len[8..].copy_from_slice(&(data.len() as u64 * 8).to_be_bytes());
    let mut lx = [vdupq_n_u8(0); CHUNK];
    lx[0] = load16(&len);
    y = ghash_chunk(&p, y, &lx, 1);
    let mut e = [vreinterpretq_u8_u32(base)];
    encrypt::<NR, 1>(&k, &mut e);
    let mut tag = [0u8; 16];
    store16(veorq_u8(vrbitq_u8(vreinterpretq_u8_u64(y)), e[0]), &mut tag);
    tag
}

/// The CTR pass alone (counters from 2), used to restore a packet whose tag failed.
#[target_feature(enable = "aes")]
fn ctr_only(rk: &RoundKeys, nonce: &[u8; 12], data: &mut [u8]) {
    let k = load_keys(rk);
    let mut iv = [0u8; 16];
    iv[..12].copy_from_slice(nonce);
    iv[15] = 2;
    if rk.rounds == 14 {
        ctr_xor::<14>(&k, &iv, data)
    } else {
        ctr_xor::<10>(&k, &iv, data)
    }
}

#[target_feature(enable = "aes")]
fn dispatch(g: &GcmArm, nonce: &[u8; 12], aad: &[u8], data: &mut [u8], seal: bool) -> [u8; 16] {
    match (g.rk.rounds == 14, seal) {
        (true, true) => run::<14, true>(g, nonce, aad, data),
        (true, false) => run::<14, false>(g, nonce, aad, data),
        (false, true) => run::<10, true>(g, nonce, aad, data),
        (false, false) => run::<10, false>(g, nonce, aad, data),
    }
}

impl GcmArm {
    /// Builds the key object for a 16- or 32-octet key; `None` for any other length.
    pub fn new(t: AesPmull, key: &[u8]) -> Option<GcmArm> {
        let rk = RoundKeys::expand(t, key)?;
        // SAFETY: the token proves the CPU has AES and PMULL.
        let p = unsafe { powers(&rk) };
        let mut g = GcmArm {
            rk,
            pow: [[0; 2]; CHUNK],
            kar: [[0; 2]; CHUNK],
        };
        for i in 0..CHUNK {
            // SAFETY: NEON is part of every aarch64 CPU.
            unsafe {
                g.pow[i] = to_words(p.pow[i]);
                g.kar[i] = to_words(p.kar[i]);
            }
        }
        Some(g)
    }

    /// Encrypts `data` in place and returns the tag; `None` (and `data` untouched) when `data`
    /// is longer than GCM allows.
    pub fn seal_in_place(&self, nonce: &[u8; 12], aad: &[u8], data: &mut [u8]) -> Option<[u8; 16]> {
        if data.len() as u64 > MAX_DATA {
            return None;
        }
        // SAFETY: a `GcmArm` is only built from an `AesPmull` token.
        Some(unsafe { dispatch(self, nonce, aad, data, true) })
    }

    /// Decrypts `data` in place if `tag` is right; otherwise returns false with `data` as it was
    /// (see the module notes). The tag is compared in constant time.
    pub fn open_in_place(
        &self,
        nonce: &[u8; 12],
        aad: &[u8],
        data: &mut [u8],
        tag: &[u8; 16],
    ) -> bool {
        if data.len() as u64 > MAX_DATA {
            return false;
        }
        // SAFETY: a `GcmArm` is only built from an `AesPmull` token.
        let mut want = unsafe { dispatch(self, nonce, aad, data, false) };
        let ok: bool = want.ct_eq(tag).into();
        want.zeroize();
        if !ok {
            // SAFETY: as above.
            unsafe { ctr_only(&self.rk, nonce, data) };
        }
        ok
    }
}
