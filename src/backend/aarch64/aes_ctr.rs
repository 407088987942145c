//! AES-CTR with the ARMv8 AES instructions (AESE/AESMC): eight counter blocks in flight, the
//! round keys held in vector registers for a whole packet.
//!
//! The counter is the last four octets of the IV, incremented as a 32-bit big-endian integer
//! (the same keystream as the portable path in `srtp/aes_cm.rs`; SRTP's IVs have their low 16
//! bits zero and a packet is far below 2^16 blocks, so this equals RFC 3711's
//! `IV + i mod 2^128`).
//!
//! This module also holds the key expansion (S-box through AESE, no table) and the round helpers
//! shared with [`super::gcm`].

use core::arch::aarch64::*;
use core::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop};

use super::AesPmull;

/// Round constants of the key expansion (public).
const RCON: [u32; 10] = [0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0x1b, 0x36];

/// Expanded AES round keys (AES-128: 11, AES-256: 15), stored as octets, zeroized on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub(crate) struct RoundKeys {
    keys: [[u8; 16]; 15],
    /// Number of rounds: 10 or 14.
    pub(crate) rounds: usize,
}

impl RoundKeys {
    /// Expands a 16- or 32-octet key; `None` for any other length.
    pub(crate) fn expand(_t: AesPmull, key: &[u8]) -> Option<Self> {
        let nk = match key.len() {
            16 => 4,
            32 => 8,
            _ => return None,
        };
        let mut out = RoundKeys {
            keys: [[0u8; 16]; 15],
            rounds: nk + 6,
        };
        // SAFETY: the token proves the CPU has the AES instructions.
        unsafe { expand(key, nk, &mut out.keys) };
        Some(out)
    }
}

/// SubWord of the key expansion: AESE with a zero round key on four copies of `w` (ShiftRows
/// is the identity when all four columns are equal), so no table is indexed by key octets.
#[target_feature(enable = "aes")]
#[inline]
fn sub_word(w: u32) -> u32 {
    let s = vaeseq_u8(vreinterpretq_u8_u32(vdupq_n_u32(w)), vdupq_n_u8(0));
    vgetq_lane_u32::<0>(vreinterpretq_u32_u8(s))
}

/// FIPS 197 §5.2 key expansion on little-endian words (octet 0 of a word is its low octet,
/// so RotWord is a rotation right by 8 and Rcon lands in the low octet).
#[target_feature(enable = "aes")]
fn expand(key: &[u8], nk: usize, out: &mut [[u8; 16]; 15]) {
    let total = 4 * (nk + 7);
    let mut w = [0u32; 60];
    for (wi, c) in w.iter_mut().zip(key.chunks_exact(4)) {
        *wi = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
    }
    for i in nk..total {
        let mut t = w[i - 1];
        if i % nk == 0 {
            t = sub_word(t.rotate_right(8)) ^ RCON[i / nk - 1];
        } else if nk == 8 && i % 8 == 4 {
            t = sub_word(t);
        }
        w[i] = w[i - nk] ^ t;
    }
    for (r, k) in out.iter_mut().enumerate().take(total / 4) {
        for j in 0..4 {
            k[4 * j..4 * j + 4].copy_from_slice(&w[4 * r + j].to_le_bytes());
        }
    }
    w.zeroize();
}

/// The round keys in vector registers (entries past `rounds` are zero).
#[target_feature(enable = "aes")]
#[inline]
pub(crate) fn load_keys(rk: &RoundKeys) -> [uint8x16_t; 15] {
    let mut k = [vdupq_n_u8(0); 15];
    for (v, b) in k.iter_mut().zip(rk.keys.iter()) {
        *v = load16(b);
    }
    k
}

/// Loads 16 octets.
#[target_feature(enable = "neon")]
#[inline]
pub(crate) fn load16(b: &[u8; 16]) -> uint8x16_t {
    // SAFETY: `b` is 16 readable octets; `ld1` has no alignment requirement.
    unsafe { vld1q_u8(b.as_ptr()) }
}

/// Stores 16 octets.
#[target_feature(enable = "neon")]
#[inline]
pub(crate) fn store16(v: uint8x16_t, b: &mut [u8; 16]) {
    // SAFETY: `b` is 16 writable octets; `st1` has no alignment requirement.
    unsafe { vst1q_u8(b.as_mut_ptr(), v) }
}

/// Loads up to 16 octets, zero beyond `b.len()`.
#[target_feature(enable = "neon")]
#[inline]
pub(crate) fn load_partial(b: &[u8]) -> uint8x16_t {
    if let Some(full) = b.first_chunk::<16>() {
        return load16(full);
    }
    let mut tmp = [0u8; 16];
    tmp[..b.len()].copy_from_slice(b);
    load16(&tmp)
}

/// Stores the first `b.len()` (at most 16) octets of `v`.
#[target_feature(enable = "neon")]
#[inline]
pub(crate) fn store_partial(v: uint8x16_t, b: &mut [u8]) {
    if let Some(full) = b.first_chunk_mut::<16>() {
        return store16(v, full);
    }
    let mut tmp = [0u8; 16];
    store16(v, &mut tmp);
    let n = b.len();
    b.copy_from_slice(&tmp[..n]);
}

/// Encrypts the `B` blocks of `b` with `NR` rounds, round by round across the blocks so that
/// the AESE/AESMC pairs of different blocks overlap in the pipeline.
#[target_feature(enable = "aes")]
#[inline]
pub(crate) fn encrypt<const NR: usize, const B: usize>(
    k: &[uint8x16_t; 15],
    b: &mut [uint8x16_t; B],
) {
    for kr in k.iter().take(NR - 1) {
        for x in b.iter_mut() {
            *x = vaesmcq_u8(vaeseq_u8(*x, *kr));
        }
    }
    for x in b.iter_mut() {
        *x = veorq_u8(vaeseq_u8(*x, k[NR - 1]), k[NR]);
    }
}

/// `B` consecutive counter blocks from `base` (the IV) with the 32-bit big-endian counter
/// `*ctr` in the last four octets; advances `*ctr`.
#[target_feature(enable = "neon")]
#[inline]
pub(crate) fn counters<const B: usize>(base: uint32x4_t, ctr: &mut u32) -> [uint8x16_t; B] {
    let mut b = [vdupq_n_u8(0); B];
    for x in b.iter_mut() {
        *x = vreinterpretq_u8_u32(vsetq_lane_u32::<3>(ctr.to_be(), base));
        *ctr = ctr.wrapping_add(1);
    }
    b
}

/// XORs the keystream of `B` blocks (counters from `*ctr`) into `data` (at most `16·B`
/// octets).
#[target_feature(enable = "aes")]
#[inline]
fn xor_chunk<const NR: usize, const B: usize>(
    k: &[uint8x16_t; 15],
    base: uint32x4_t,
    ctr: &mut u32,
    data: &mut [u8],
) {
    let mut b = counters::<B>(base, ctr);
    encrypt::<NR, B>(k, &mut b);
    for (d, ks) in data.chunks_mut(16).zip(b.iter()) {
        match d.first_chunk_mut::<16>() {
            Some(full) => store16(veorq_u8(load16(full), *ks), full),
            None => store_partial(veorq_u8(load_partial(d), *ks), d),
        }
    }
}

/// `data ^= keystream` for the counter blocks starting at `iv`.
#[target_feature(enable = "aes")]
pub(crate) fn ctr_xor<const NR: usize>(k: &[uint8x16_t; 15], iv: &[u8; 16], data: &mut [u8]) {
    let base = vreinterpretq_u32_u8(load16(iv));
    let mut ctr = u32::from_be_bytes([iv[12], iv[13], iv[14], iv[15]]);
    let mut chunks = data.chunks_exact_mut(128);
    for c in &mut chunks {
        xor_chunk::<NR, 8>(k, base, &mut ctr, c);
    }
    let rest = chunks.into_remainder();
    match rest.len() {
        0 => {}
        1..=16 => xor_chunk::<NR, 1>(k, base, &mut ctr, rest),
        17..=64 => xor_chunk::<NR, 4>(k, base, &mut ctr, rest),
        _ => xor_chunk::<NR, 8>(k, base, &mut ctr, rest),
    }
}

#[target_feature(enable = "aes")]
fn apply(rk: &RoundKeys, iv: &[u8; 16], data: &mut [u8]) {
    let k = load_keys(rk);
    if rk.rounds == 14 {
        ctr_xor::<14>(&k, iv, data)
    } else {
        ctr_xor::<10>(&k, iv, data)
    }
}

#[target_feature(enable = "aes")]
fn apply_many(rk: &RoundKeys, ivs: &[[u8; 16]], datas: &mut [&mut [u8]]) {
    let k = load_keys(rk);
    for (iv, d) in ivs.iter().zip(datas.iter_mut()) {
        if rk.rounds == 14 {
            ctr_xor::<14>(&k, iv, d)
        } else {
            ctr_xor::<10>(&k, iv, d)
        }
    }
}

/// An AES-128/AES-256 counter-mode key for the ARMv8 AES instructions. It exists only on a CPU
/// that has them (built from an [`AesPmull`] token).
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct AesCtrArm {
    rk: RoundKeys,
}

impl fmt::Debug for AesCtrArm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AesCtrArm")
            .field("key", &"<redacted>")
            .finish()
    }
}

impl AesCtrArm {
    /// Expands a 16- or 32-octet key; `None` for any other length.
    pub fn new(t: AesPmull, key: &[u8]) -> Option<Self> {
        RoundKeys::expand(t, key).map(|rk| AesCtrArm { rk })
    }

    /// XORs `data` with the keystream whose first counter block is `iv` (32-bit big-endian
    /// counter in the last four octets).
    pub fn apply_keystream(&self, iv: &[u8; 16], data: &mut [u8]) {
        // SAFETY: an `AesCtrArm` is only built from an `AesPmull` token, so the CPU has AES.
        unsafe { apply(&self.rk, iv, data) }
    }

    /// [`AesCtrArm::apply_keystream`] for several packets, loading the round keys once.
    pub fn apply_keystream_many(&self, ivs: &[[u8; 16]], datas: &mut [&mut [u8]]) {
        // SAFETY: as in `apply_keystream`.
        unsafe { apply_many(&self.rk, ivs, datas) }
    }
}
