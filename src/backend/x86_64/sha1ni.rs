//! HMAC-SHA1 with the SHA extensions (SHA-NI: `sha1rnds4`, `sha1nexte`, `sha1msg1/2`), for
//! SRTP authentication.
//!
//! One call hashes a whole message from the keyed inner state to the tag inside one
//! `#[target_feature]` function: the chaining value stays in two xmm registers from the first
//! block to the outer block, the last partial block and the padding are built once on the stack,
//! and the outer block is formed from the inner digest in registers.
//!
//! A SHA-1 compression is a chain of twenty dependent `sha1rnds4`, so one message runs at the
//! instruction's latency while the unit could start a new one every cycle or two. The
//! multi-lane form [`hmac_sha1_n`] interleaves independent messages' compressions so that their chains
//! overlap: the batch forms of the SRTP session use it for every pair of packets.

use core::arch::x86_64::*;

cpufeatures::new!(cpu_shani, "sha", "sse2", "ssse3", "sse4.1");

/// Proof that the CPU has the SHA extensions and SSSE3/SSE4.1: the only way to reach the kernels
/// of this module.
#[derive(Clone, Copy, Debug)]
pub struct ShaNi {
    _private: (),
}

impl ShaNi {
    /// Detects the features at run time (cached); `None` without them.
    #[inline]
    pub fn get() -> Option<Self> {
        cpu_shani::get().then_some(ShaNi { _private: () })
    }
}

/// Longest `suffix` the kernels take (the callers pass the 4-octet SRTP ROC or nothing).
pub const MAX_SUFFIX: usize = 64;

/// HMAC-SHA1 of `msg || suffix` from the chaining values `inner` and `outer` after the one-block
/// (key ⊕ ipad) and (key ⊕ opad) prefixes. `None` if `suffix` is longer than [`MAX_SUFFIX`].
#[inline]
pub fn hmac_sha1(
    _t: ShaNi,
    inner: &[u32; 5],
    outer: &[u32; 5],
    msg: &[u8],
    suffix: &[u8],
) -> Option<[u8; 20]> {
    if suffix.len() > MAX_SUFFIX {
        return None;
    }
    let mut out = [[0u8; 20]; 1];
    // SAFETY: the token proves SHA-NI, SSSE3 and SSE4.1; the slices are bounds-checked inside.
    unsafe { hmac_lanes::<1>(inner, outer, [(msg, suffix)], &mut out) };
    Some(out[0])
}

/// [`hmac_sha1`] of `N` messages `m[k].0 || m[k].1` at once (`N` from 1 to 4), their
/// compressions interleaved. `None` if a suffix is longer than [`MAX_SUFFIX`] or `N` is out of
/// range.
#[inline]
pub fn hmac_sha1_n<const N: usize>(
    _t: ShaNi,
    inner: &[u32; 5],
    outer: &[u32; 5],
    m: [(&[u8], &[u8]); N],
) -> Option<[[u8; 20]; N]> {
    if !(1..=4).contains(&N) || m.iter().any(|(_, s)| s.len() > MAX_SUFFIX) {
        return None;
    }
    let mut out = [[0u8; 20]; N];
    // SAFETY: the token proves SHA-NI, SSSE3 and SSE4.1; the slices are bounds-checked inside.
    unsafe { hmac_lanes::<N>(inner, outer, m, &mut out) };
    Some(out)
}

/// The end of one message: its last partial block, the suffix, 0x80, zeros and the bit length
/// (of the ipad block and the message), one or two blocks (at most 63 + 64 + 9 octets).
struct Tail {
    buf: [u8; 192],
    /// Full blocks read from the message itself.
    full: usize,
    /// All blocks: `full` and the tail's.
    blocks: usize,
}

impl Tail {
    #[inline(always)]
    fn new(msg: &[u8], suffix: &[u8]) -> Tail {
        let full = msg.len() / 64;
        let rest = &msg[full * 64..];
        let mut buf = [0u8; 192];
        let n = rest.len() + suffix.len();
        buf[..rest.len()].copy_from_slice(rest);
        buf[rest.len()..n].copy_from_slice(suffix);
        buf[n] = 0x80;
        let tail_blocks = (n + 9).div_ceil(64);
        let end = tail_blocks * 64;
        let bits = (64 + msg.len() as u64 + suffix.len() as u64) * 8;
        buf[end - 8..end].copy_from_slice(&bits.to_be_bytes());
        Tail {
            buf,
            full,
            blocks: full + tail_blocks,
        }
    }

    /// Block `j` of the message `msg` this tail ends.
    #[inline(always)]
    fn block<'a>(&'a self, msg: &'a [u8], j: usize) -> &'a [u8; 64] {
        let src = if j < self.full {
            &msg[j * 64..]
        } else {
            &self.buf[(j - self.full) * 64..]
        };
        src.first_chunk::<64>().unwrap_or(&[0u8; 64])
    }
}

/// The chaining value as the SHA-NI instructions hold it: `abcd` with A in the high lane, E in
/// the high lane of `e`.
#[derive(Clone, Copy)]
struct State {
    abcd: __m128i,
    e: __m128i,
}

#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
#[inline]
fn load_state(h: &[u32; 5]) -> State {
    State {
        abcd: _mm_set_epi32(h[0] as i32, h[1] as i32, h[2] as i32, h[3] as i32),
        e: _mm_set_epi32(h[4] as i32, 0, 0, 0),
    }
}

/// Byte mask turning sixteen message octets into four big-endian words, word 0 in the high lane.
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
#[inline]
fn bswap_mask() -> __m128i {
    _mm_set_epi64x(0x0001_0203_0405_0607, 0x0809_0a0b_0c0d_0e0f)
}

#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
#[inline]
fn load_block(b: &[u8; 64], mask: __m128i) -> [__m128i; 4] {
    let mut w = [_mm_setzero_si128(); 4];
    for (k, wk) in w.iter_mut().enumerate() {
        // SAFETY: `b` has 64 octets, so 16 at offset 16k are in bounds; the load is unaligned.
        let v = unsafe { _mm_loadu_si128(b.as_ptr().add(16 * k).cast()) };
        *wk = _mm_shuffle_epi8(v, mask);
    }
    w
}

/// One SHA-1 compression on each of `N` independent states, the instructions of the `N` chains
/// interleaved group by group. `msg[k]` is lane `k`'s block as four schedule registers.
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
#[inline]
fn compress<const N: usize>(st: &mut [State; N], msg: [[__m128i; 4]; N]) {
    let save = *st;
    let mut m = msg;
    let mut abcd = [_mm_setzero_si128(); N];
    // e[k][0] / e[k][1]: the E0/E1 registers of the reference sequence.
    let mut e = [[_mm_setzero_si128(); 2]; N];
    for k in 0..N {
        abcd[k] = st[k].abcd;
        e[k][0] = st[k].e;
    }
    // Rounds 4g..4g+3 with round function `F`.
    macro_rules! group {
        ($g:literal, $f:literal) => {{
            const G: usize = $g;
            const CUR: usize = G & 1;
            for k in 0..N {
                let w = m[k][G % 4];
                let ein = if G == 0 {
                    _mm_add_epi32(e[k][0], w)
                } else {
                    _mm_sha1nexte_epu32(e[k][CUR], w)
                };
                e[k][1 - CUR] = abcd[k];
                abcd[k] = _mm_sha1rnds4_epu32::<$f>(abcd[k], ein);
                if (1..=16).contains(&G) {
                    m[k][(G + 3) % 4] = _mm_sha1msg1_epu32(m[k][(G + 3) % 4], w);
                }
                if (2..=17).contains(&G) {
                    m[k][(G + 2) % 4] = _mm_xor_si128(m[k][(G + 2) % 4], w);
                }
                if (3..=18).contains(&G) {
                    m[k][(G + 1) % 4] = _mm_sha1msg2_epu32(m[k][(G + 1) % 4], w);
                }
            }
        }};
    }
    group!(0, 0);
    group!(1, 0);
    group!(2, 0);
    group!(3, 0);
    group!(4, 0);
    group!(5, 1);
    group!(6, 1);
    group!(7, 1);
    group!(8, 1);
    group!(9, 1);
    group!(10, 2);
    group!(11, 2);
    group!(12, 2);
    group!(13, 2);
    group!(14, 2);
    group!(15, 3);
    group!(16, 3);
    group!(17, 3);
    group!(18, 3);
    group!(19, 3);
    for k in 0..N {
        // After group 19 (odd), E0 holds the ABCD from before it: its rotated A is the new E.
        st[k].e = _mm_sha1nexte_epu32(e[k][0], save[k].e);
        st[k].abcd = _mm_add_epi32(abcd[k], save[k].abcd);
    }
}

/// HMAC-SHA1 of `N` messages, each `m[k].0 || m[k].1`, into `out[k]`.
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
fn hmac_lanes<const N: usize>(
    inner: &[u32; 5],
    outer: &[u32; 5],
    m: [(&[u8], &[u8]); N],
    out: &mut [[u8; 20]; N],
) {
    let mask = bswap_mask();
    let tails: [Tail; N] = core::array::from_fn(|k| Tail::new(m[k].0, m[k].1));
    let start = load_state(inner);
    let mut st = [start; N];
    // The blocks all lanes have, interleaved; then each lane's remaining blocks alone.
    let common = tails.iter().map(|t| t.blocks).min().unwrap_or(0);
    for j in 0..common {
        let blocks: [[__m128i; 4]; N] =
            core::array::from_fn(|k| load_block(tails[k].block(m[k].0, j), mask));
        compress::<N>(&mut st, blocks);
    }
    for k in 0..N {
        let mut one = [st[k]];
        for j in common..tails[k].blocks {
            compress::<1>(&mut one, [load_block(tails[k].block(m[k].0, j), mask)]);
        }
        st[k] = one[0];
    }
    // Outer block: the inner digest A..E as words 0..4, then 0x80, zeros, and the bit length of
    // 64 + 20 octets. ABCD is already in schedule order; E is the high lane of `e`.
    let ostart = load_state(outer);
    let mut ost = [ostart; N];
    let blocks: [[__m128i; 4]; N] = core::array::from_fn(|k| {
        let w4 = _mm_blend_epi16::<0x3F>(st[k].e, _mm_set_epi32(0, 0x8000_0000u32 as i32, 0, 0));
        [
            st[k].abcd,
            w4,
            _mm_setzero_si128(),
            _mm_set_epi32(0, 0, 0, (64 + 20) * 8),
        ]
    });
    compress::<N>(&mut ost, blocks);
    for k in 0..N {
        let mut d = [0u8; 16];
        let v = _mm_shuffle_epi8(ost[k].abcd, mask);
        // SAFETY: `d` has 16 writable octets; the store is unaligned.
        unsafe { _mm_storeu_si128(d.as_mut_ptr().cast(), v) };
        out[k][..16].copy_from_slice(&d);
        let e = _mm_extract_epi32::<3>(ost[k].e) as u32;
        out[k][16..].copy_from_slice(&e.to_be_bytes());
    }
}
