//! AES-GCM (96-bit nonce) with 512-bit VAES and VPCLMULQDQ.
//!
//! - AES-CTR: four counter blocks per zmm register, sixteen blocks in flight per iteration.
//! - GHASH: computed as POLYVAL on byte-reversed blocks (RFC 8452, Appendix A:
//!   `GHASH(H, X) = rev(POLYVAL(mulX(rev(H)), rev(X)))`), so that no bit reflection is needed.
//!   The key object holds `H, H², …, H¹⁶` (POLYVAL "dot" powers); a chunk of up to sixteen blocks
//!   is multiplied by the matching powers with 512-bit carry-less multiplies, the 256-bit
//!   products are summed unreduced, and one Montgomery reduction per chunk finishes it.
//! - Counter blocks: for data up to 4000 octets (every SRTP packet) they are built directly in
//!   memory order (J0's last octet is 1 and cannot carry); longer data uses byte-reversed
//!   counters with a 32-bit add, which wraps exactly like GCM's inc32.
//! - Encryption and GHASH run in one pass over the data. On open, the ciphertext is hashed and
//!   decrypted in the same pass; if the tag does not match, the keystream is applied a second time,
//!   which restores the ciphertext, so `data` is unchanged when `open_in_place` returns false.

// The AVX-512, VAES and VPCLMULQDQ intrinsics are stable since Rust 1.89; the crate's declared
// rust-version is older, so clippy's MSRV check is silenced for this kernel file only.
#![allow(clippy::incompatible_msrv)]

use core::arch::x86_64::*;
use core::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop};

use super::aes_ctr::{
    encrypt_n, load512, load_partial, rev_mask, store512, store_partial, zkeys, RoundKeys, Zkeys,
};

cpufeatures::new!(
    cpu_gcm,
    "aes",
    "pclmulqdq",
    "vaes",
    "vpclmulqdq",
    "avx512f",
    "avx512bw",
    "avx512vl"
);

/// Whether this CPU can run [`GcmVaes`].
pub fn available() -> bool {
    cpu_gcm::get()
}

/// Number of blocks aggregated per reduction.
const CHUNK_BLOCKS: usize = 16;
/// Power table entries: H^16 … H^1, then four zero entries so that 512-bit loads at any chunk
/// offset stay inside the table.
const TABLE_ENTRIES: usize = CHUNK_BLOCKS + 4;

macro_rules! gcm_fn {
    ($($item:item)*) => {
        $(
            #[target_feature(enable = "aes,pclmulqdq,vaes,vpclmulqdq,avx512f,avx512bw,avx512vl,avx2,sse4.1,ssse3")]
            $item
        )*
    };
}

/// AES-GCM key object: round keys and the POLYVAL powers of H, zeroized on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct GcmVaes {
    rk: RoundKeys,
    /// Entry `i` (16 octets, little-endian POLYVAL element) is H^(16 - i) for i < 16; entries
    /// 16..20 are zero.
    htable: [u8; TABLE_ENTRIES * 16],
}

impl fmt::Debug for GcmVaes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GcmVaes")
            .field("key", &"<redacted>")
            .finish()
    }
}

/// POLYVAL multiplication by x (RFC 8452, Appendix A `mulX_POLYVAL`).
fn mulx(h: u128) -> u128 {
    let carry = h >> 127;
    (h << 1) ^ (carry.wrapping_neg() & 0xC200_0000_0000_0000_0000_0000_0000_0001)
}

gcm_fn! {
    fn load_xmm(b: &[u8; 16]) -> __m128i {
        // SAFETY: `b` is 16 readable octets; the load is unaligned.
        unsafe { _mm_loadu_si128(b.as_ptr().cast()) }
    }

    fn store_xmm(v: __m128i, b: &mut [u8; 16]) {
        // SAFETY: `b` is 16 writable octets; the store is unaligned.
        unsafe { _mm_storeu_si128(b.as_mut_ptr().cast(), v) }
    }

    /// Montgomery reduction of the 256-bit product `hi:lo`: returns `hi:lo · x^-128` mod the
    /// POLYVAL polynomial.
    #[inline]
    fn reduce(lo: __m128i, hi: __m128i) -> __m128i {
        let poly = _mm_set_epi64x(0xC200_0000_0000_0000u64 as i64, 1);
        let t = _mm_clmulepi64_si128::<0x10>(lo, poly);
        let lo = _mm_xor_si128(_mm_shuffle_epi32::<0x4e>(lo), t);
        let t = _mm_clmulepi64_si128::<0x10>(lo, poly);
        let lo = _mm_xor_si128(_mm_shuffle_epi32::<0x4e>(lo), t);
        _mm_xor_si128(lo, hi)
    }

    /// POLYVAL "dot": a · b · x^-128.
    fn dot(a: __m128i, b: __m128i) -> __m128i {
        let lo = _mm_clmulepi64_si128::<0x00>(a, b);
        let hi = _mm_clmulepi64_si128::<0x11>(a, b);
        let mid = _mm_xor_si128(
            _mm_clmulepi64_si128::<0x01>(a, b),
            _mm_clmulepi64_si128::<0x10>(a, b),
        );
        let lo = _mm_xor_si128(lo, _mm_slli_si128::<8>(mid));
        let hi = _mm_xor_si128(hi, _mm_srli_si128::<8>(mid));
        reduce(lo, hi)
    }

    /// XOR of the four 128-bit lanes.
    #[inline]
    fn hxor(v: __m512i) -> __m128i {
        let a = _mm256_xor_si256(
            _mm512_castsi512_si256(v),
            _mm512_extracti64x4_epi64::<1>(v),
        );
        _mm_xor_si128(_mm256_castsi256_si128(a), _mm256_extracti128_si256::<1>(a))
    }

    /// Loads four consecutive table entries starting at entry `idx` (idx <= 16).
    #[inline]
    fn powers4(htable: &[u8; TABLE_ENTRIES * 16], idx: usize) -> __m512i {
        match htable.get(idx * 16..).and_then(|t| t.first_chunk::<64>()) {
            Some(pw) => load512(pw),
            None => _mm512_setzero_si512(),
        }
    }

    /// Unreduced products of four blocks with four powers, accumulated into `acc`
    /// (lo, hi, mid).
    #[inline]
    fn mul_acc(acc: &mut [__m512i; 3], v: __m512i, p: __m512i) {
        acc[0] = _mm512_xor_si512(acc[0], _mm512_clmulepi64_epi128::<0x00>(v, p));
        acc[1] = _mm512_xor_si512(acc[1], _mm512_clmulepi64_epi128::<0x11>(v, p));
        acc[2] = _mm512_ternarylogic_epi64::<0x96>(
            acc[2],
            _mm512_clmulepi64_epi128::<0x01>(v, p),
            _mm512_clmulepi64_epi128::<0x10>(v, p),
        );
    }

    /// Unreduced 128x128 product `a * b`, as (lo, hi).
    #[inline]
    fn mul128(a: __m128i, b: __m128i) -> (__m128i, __m128i) {
        let m = _mm_xor_si128(
            _mm_clmulepi64_si128::<0x01>(a, b),
            _mm_clmulepi64_si128::<0x10>(a, b),
        );
        (
            _mm_xor_si128(_mm_clmulepi64_si128::<0x00>(a, b), _mm_slli_si128::<8>(m)),
            _mm_xor_si128(_mm_clmulepi64_si128::<0x11>(a, b), _mm_srli_si128::<8>(m)),
        )
    }

    /// GHASH (as POLYVAL on reversed blocks) of up to sixteen blocks.
    ///
    /// The blocks are, in order: the `pre_n` (0..=4) blocks of `pre`, the `n` blocks of `x`
    /// (raw octets, zero beyond them), and the optional `len` block (already in the reversed
    /// domain); `pre_n + n + len` must be at most 16. `s` is the running state. Block j of the
    /// chunk is multiplied by H^(total - j); the state, which belongs to block 0, is multiplied
    /// separately by H^total so that its dependency chain is one multiply and one reduction.
    #[inline]
    fn ghash_chunk(
        htable: &[u8; TABLE_ENTRIES * 16],
        s: __m128i,
        pre: __m512i,
        pre_n: usize,
        x: &[__m512i; 4],
        n: usize,
        len: Option<__m128i>,
    ) -> __m128i {
        let rev = rev_mask();
        let total = pre_n + n + usize::from(len.is_some());
        if total == 0 || total > CHUNK_BLOCKS {
            return s;
        }
        // Table entry 16 - total + j holds H^(total - j).
        let base = CHUNK_BLOCKS - total;
        let mut acc = [_mm512_setzero_si512(); 3];
        if pre_n > 0 {
            mul_acc(&mut acc, _mm512_shuffle_epi8(pre, rev), powers4(htable, base));
        }
        for (k, xr) in x.iter().enumerate().take(n.div_ceil(4)) {
            let v = _mm512_shuffle_epi8(*xr, rev);
            mul_acc(&mut acc, v, powers4(htable, base + pre_n + 4 * k));
        }
        let mut lo = hxor(_mm512_xor_si512(acc[0], _mm512_bslli_epi128::<8>(acc[2])));
        let mut hi = hxor(_mm512_xor_si512(acc[1], _mm512_bsrli_epi128::<8>(acc[2])));
        let p_first = _mm512_castsi512_si128(powers4(htable, base));
        if let Some(l) = len {
            let p1 = _mm512_castsi512_si128(powers4(htable, CHUNK_BLOCKS - 1));
            let (a, b) = mul128(l, p1);
            lo = _mm_xor_si128(lo, a);
            hi = _mm_xor_si128(hi, b);
        }
        let (a, b) = mul128(s, p_first);
        reduce(_mm_xor_si128(lo, a), _mm_xor_si128(hi, b))
    }

    /// GHASH of `aad`, zero-padded to whole blocks.
    fn ghash_aad(htable: &[u8; TABLE_ENTRIES * 16], mut s: __m128i, aad: &[u8]) -> __m128i {
        let zero = _mm512_setzero_si512();
        let mut chunks = aad.chunks_exact(256);
        for chunk in &mut chunks {
            let mut x = [_mm512_setzero_si512(); 4];
            for (xr, blk) in x.iter_mut().zip(chunk.chunks_exact(64)) {
                *xr = load_partial(blk);
            }
            s = ghash_chunk(htable, s, zero, 0, &x, CHUNK_BLOCKS, None);
        }
        let tail = chunks.remainder();
        if !tail.is_empty() {
            let mut x = [_mm512_setzero_si512(); 4];
            for (xr, seg) in x.iter_mut().zip(tail.chunks(64)) {
                *xr = load_partial(seg);
            }
            s = ghash_chunk(htable, s, zero, 0, &x, tail.len().div_ceil(16), None);
        }
        s
    }

    /// Computes the power table for the hash key `h` (GHASH's H as 16 octets).
    fn init_table(h: &[u8; 16], table: &mut [u8; TABLE_ENTRIES * 16]) {
        let hp = mulx(u128::from_be_bytes(*h));
        let mut hb = hp.to_le_bytes();
        let hx = load_xmm(&hb);
        hb.zeroize();
        let mut p = hx;
        for k in 1..=CHUNK_BLOCKS {
            let idx = CHUNK_BLOCKS - k;
            let mut e = [0u8; 16];
            store_xmm(p, &mut e);
            table[idx * 16..idx * 16 + 16].copy_from_slice(&e);
            e.zeroize();
            p = dot(p, hx);
        }
    }

    /// Encrypts one block (in lane 0 of a zmm register) with the round keys.
    fn encrypt_block(zk: &Zkeys, block: &[u8; 16]) -> [u8; 16] {
        let mut x = [_mm512_zextsi128_si512(load_xmm(block))];
        encrypt_n(zk, &mut x);
        let mut out = [0u8; 16];
        store_xmm(_mm512_castsi512_si128(x[0]), &mut out);
        out
    }

    /// One pass of CTR (32-bit counter from J0 + 1) and GHASH over the ciphertext. Returns the
    /// raw GHASH state (reversed domain) including the lengths block, and E(J0) (encrypted
    /// beside the last keystream blocks so that it adds no latency).
    #[inline]
    fn ctr_ghash(
        zk: &Zkeys,
        htable: &[u8; TABLE_ENTRIES * 16],
        j0: &[u8; 16],
        aad: &[u8],
        data: &mut [u8],
        encrypt: bool,
    ) -> (__m128i, __m128i) {
        let rev = rev_mask();
        let zero = _mm512_setzero_si512();
        // A packet whose AAD fits one register and whose AAD, data and lengths blocks fit one
        // chunk is hashed with a single reduction (the usual SRTP voice packet).
        let short = aad.len() <= 64
            && aad.len().div_ceil(16) + data.len().div_ceil(16) < CHUNK_BLOCKS;
        let (mut s, aad_reg) = if short {
            (_mm_setzero_si128(), load_partial(aad))
        } else {
            (ghash_aad(htable, _mm_setzero_si128(), aad), zero)
        };
        let aad_bits = (aad.len() as u64).wrapping_mul(8);
        let data_bits = (data.len() as u64).wrapping_mul(8);
        let len_block = _mm_set_epi64x(aad_bits as i64, data_bits as i64);

        // Counter blocks. Fast form, when the call needs at most 254 counters after J0 (data up
        // to 4000 octets: every SRTP packet): J0's last octet is 1 and never carries, so the
        // counters are J0 plus (offset << 24) in the last dword, already in memory order.
        // Otherwise they are held byte-reversed (the 32-bit block counter is dword 0 of each
        // lane, so a 32-bit add wraps exactly like inc32) and reversed before encryption.
        let fast = data.len() <= 250 * 16;
        let j0b = _mm512_broadcast_i32x4(load_xmm(j0));
        let (base, shuf) = if fast {
            let identity =
                _mm_set_epi8(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
            (j0b, _mm512_broadcast_i32x4(identity))
        } else {
            (_mm512_shuffle_epi8(j0b, rev), rev)
        };
        let inc = |a: i32, b: i32, c: i32, d: i32| {
            if fast {
                let (a, b, c, d) = (a << 24, b << 24, c << 24, d << 24);
                _mm512_set_epi32(d, 0, 0, 0, c, 0, 0, 0, b, 0, 0, 0, a, 0, 0, 0)
            } else {
                _mm512_set_epi32(0, 0, 0, d, 0, 0, 0, c, 0, 0, 0, b, 0, 0, 0, a)
            }
        };
        let mut c0 = _mm512_add_epi32(base, inc(1, 2, 3, 4));
        let mut c1 = _mm512_add_epi32(base, inc(5, 6, 7, 8));
        let mut c2 = _mm512_add_epi32(base, inc(9, 10, 11, 12));
        let mut c3 = _mm512_add_epi32(base, inc(13, 14, 15, 16));
        let step = inc(16, 16, 16, 16);

        // Software pipeline: the GHASH of chunk i is issued after the AES of chunk i + 1, so
        // that the carry-less multiplies of one chunk overlap the AES rounds of the next.
        let mut pending: Option<[__m512i; 4]> = None;
        let mut chunks = data.chunks_exact_mut(256);
        for chunk in &mut chunks {
            let mut ks = if fast {
                [c0, c1, c2, c3]
            } else {
                [
                    _mm512_shuffle_epi8(c0, rev),
                    _mm512_shuffle_epi8(c1, rev),
                    _mm512_shuffle_epi8(c2, rev),
                    _mm512_shuffle_epi8(c3, rev),
                ]
            };
            c0 = _mm512_add_epi32(c0, step);
            c1 = _mm512_add_epi32(c1, step);
            c2 = _mm512_add_epi32(c2, step);
            c3 = _mm512_add_epi32(c3, step);
            encrypt_n(zk, &mut ks);
            if let Some(prev) = pending.take() {
                s = ghash_chunk(htable, s, zero, 0, &prev, CHUNK_BLOCKS, None);
            }
            let mut ct = [_mm512_setzero_si512(); 4];
            for ((blk, k), c) in chunk.chunks_exact_mut(64).zip(ks.iter()).zip(ct.iter_mut()) {
                if let Ok(b) = <&mut [u8; 64]>::try_from(blk) {
                    let d = load512(b);
                    let o = _mm512_xor_si512(d, *k);
                    store512(o, b);
                    *c = if encrypt { o } else { d };
                }
            }
            pending = Some(ct);
        }
        let tail = chunks.into_remainder();
        let ctrs = [c0, c1, c2, c3];
        let j0x = _mm512_zextsi128_si512(load_xmm(j0));
        let mut ct = [_mm512_setzero_si512(); 4];
        let ek = match tail.len().div_ceil(64) {
            0 => tail_ctr::<0, 1>(zk, &ctrs, j0x, shuf, tail, &mut ct, encrypt),
            1 => tail_ctr::<1, 2>(zk, &ctrs, j0x, shuf, tail, &mut ct, encrypt),
            2 => tail_ctr::<2, 3>(zk, &ctrs, j0x, shuf, tail, &mut ct, encrypt),
            3 => tail_ctr::<3, 4>(zk, &ctrs, j0x, shuf, tail, &mut ct, encrypt),
            _ => tail_ctr::<4, 5>(zk, &ctrs, j0x, shuf, tail, &mut ct, encrypt),
        };
        if let Some(prev) = pending.take() {
            s = ghash_chunk(htable, s, zero, 0, &prev, CHUNK_BLOCKS, None);
        }
        let m = tail.len().div_ceil(16);
        if short {
            // AAD, data and lengths in one chunk: a single reduction for the whole packet.
            s = ghash_chunk(htable, s, aad_reg, aad.len().div_ceil(16), &ct, m, Some(len_block));
        } else if m == CHUNK_BLOCKS {
            s = ghash_chunk(htable, s, zero, 0, &ct, m, None);
            s = ghash_chunk(htable, s, zero, 0, &ct, 0, Some(len_block));
        } else {
            s = ghash_chunk(htable, s, zero, 0, &ct, m, Some(len_block));
        }
        (s, ek)
    }

    /// CTR on a tail shorter than 256 octets (N registers, M = N + 1); `ct` receives the
    /// ciphertext, zero-padded. Register N carries J0 in lane 0; returns E(J0).
    #[inline]
    fn tail_ctr<const N: usize, const M: usize>(
        zk: &Zkeys,
        ctrs: &[__m512i; 4],
        j0: __m512i,
        shuf: __m512i,
        tail: &mut [u8],
        ct: &mut [__m512i; 4],
        encrypt: bool,
    ) -> __m128i {
        let mut ks = [j0; M];
        for (k, c) in ks.iter_mut().zip(ctrs.iter()).take(N) {
            *k = _mm512_shuffle_epi8(*c, shuf);
        }
        encrypt_n(zk, &mut ks);
        for ((seg, k), c) in tail.chunks_mut(64).zip(ks.iter()).zip(ct.iter_mut()) {
            let d = load_partial(seg);
            let o = _mm512_xor_si512(d, *k);
            store_partial(o, seg);
            *c = if encrypt {
                _mm512_maskz_mov_epi8(super::aes_ctr::byte_mask(seg.len()), o)
            } else {
                d
            };
        }
        _mm512_castsi512_si128(ks[N])
    }

    /// CTR only (used to undo a decryption whose tag did not verify).
    fn ctr_only(zk: &Zkeys, j0: &[u8; 16], data: &mut [u8]) {
        let rev = rev_mask();
        let base = _mm512_shuffle_epi8(_mm512_broadcast_i32x4(load_xmm(j0)), rev);
        let mut c = _mm512_add_epi32(base, _mm512_set_epi32(0, 0, 0, 4, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 1));
        let step = _mm512_set_epi32(0, 0, 0, 4, 0, 0, 0, 4, 0, 0, 0, 4, 0, 0, 0, 4);
        for seg in data.chunks_mut(64) {
            let mut ks = [_mm512_shuffle_epi8(c, rev)];
            c = _mm512_add_epi32(c, step);
            encrypt_n(zk, &mut ks);
            let v = _mm512_xor_si512(load_partial(seg), ks[0]);
            store_partial(v, seg);
        }
    }

    /// Tag = E(J0) xor GHASH, with GHASH taken out of the reversed domain.
    #[inline]
    fn finish_tag(ek: __m128i, s: __m128i) -> [u8; 16] {
        let g = _mm_shuffle_epi8(s, _mm512_castsi512_si128(rev_mask()));
        let t = _mm_xor_si128(g, ek);
        let mut out = [0u8; 16];
        store_xmm(t, &mut out);
        out
    }
}

fn j0_of(nonce: &[u8; 12]) -> [u8; 16] {
    let mut j0 = [0u8; 16];
    j0[..12].copy_from_slice(nonce);
    j0[15] = 1;
    j0
}

impl GcmVaes {
    /// Expands a 16- or 32-octet AES key and precomputes H^1..H^16. `None` if the CPU lacks
    /// AES-NI, PCLMULQDQ, VAES, VPCLMULQDQ or AVX-512F/BW/VL, or if the key length is wrong.
    pub fn new(key: &[u8]) -> Option<GcmVaes> {
        if !available() {
            return None;
        }
        let rk = RoundKeys::expand(key)?;
        let mut g = GcmVaes {
            rk,
            htable: [0u8; TABLE_ENTRIES * 16],
        };
        // SAFETY: the features these functions are compiled for were detected above.
        unsafe {
            let zk = zkeys(&g.rk);
            let mut h = encrypt_block(&zk, &[0u8; 16]);
            init_table(&h, &mut g.htable);
            h.zeroize();
        }
        Some(g)
    }

    /// Encrypts `data` in place and returns the 16-octet tag over `aad` and the ciphertext.
    ///
    /// Standard AES-GCM with a 96-bit nonce (NIST SP 800-38D; RFC 7714 uses it as is). GCM
    /// itself is defined for data up to 2^36 - 32 octets; SRTP packets are far below that.
    pub fn seal_in_place(&self, nonce: &[u8; 12], aad: &[u8], data: &mut [u8]) -> [u8; 16] {
        // SAFETY: `self` exists only if `available()` returned true in `new`, so every target
        // feature `seal_impl` is compiled for is present.
        unsafe { seal_impl(&self.rk, &self.htable, nonce, aad, data) }
    }

    /// Verifies `tag` over `aad` and the ciphertext `data` and decrypts it in place. Returns
    /// false if the tag does not match (compared in constant time); `data` then holds the
    /// ciphertext again: the fused pass decrypts while it hashes, and a failed check runs the
    /// keystream over it once more.
    pub fn open_in_place(
        &self,
        nonce: &[u8; 12],
        aad: &[u8],
        data: &mut [u8],
        tag: &[u8; 16],
    ) -> bool {
        // SAFETY: as in `seal_in_place`, the features were detected in `new`.
        unsafe { open_impl(&self.rk, &self.htable, nonce, aad, data, tag) }
    }
}

gcm_fn! {
    fn seal_impl(
        rk: &RoundKeys,
        htable: &[u8; TABLE_ENTRIES * 16],
        nonce: &[u8; 12],
        aad: &[u8],
        data: &mut [u8],
    ) -> [u8; 16] {
        let j0 = j0_of(nonce);
        let zk = zkeys(rk);
        let (s, ek) = ctr_ghash(&zk, htable, &j0, aad, data, true);
        finish_tag(ek, s)
    }

    fn open_impl(
        rk: &RoundKeys,
        htable: &[u8; TABLE_ENTRIES * 16],
        nonce: &[u8; 12],
        aad: &[u8],
        data: &mut [u8],
        tag: &[u8; 16],
    ) -> bool {
        let j0 = j0_of(nonce);
        let zk = zkeys(rk);
        let (s, ek) = ctr_ghash(&zk, htable, &j0, aad, data, false);
        // Constant-time comparison: one XOR and one test of the whole 128-bit difference, no
        // branch or early exit on any octet.
        let g = _mm_shuffle_epi8(s, _mm512_castsi512_si128(rev_mask()));
        let diff = _mm_xor_si128(_mm_xor_si128(g, ek), load_xmm(tag));
        let ok = _mm_testz_si128(diff, diff) == 1;
        if !ok {
            // CTR is its own inverse: restore the ciphertext.
            ctr_only(&zk, &j0, data);
        }
        ok
    }
}
