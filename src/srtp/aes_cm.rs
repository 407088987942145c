//! AES in counter mode as SRTP uses it (RFC 3711 §4.1.1 "AES-CM", RFC 6188 for AES-256): the
//! 128-bit IV is the first counter block, and the low 16 bits count blocks inside one packet.
//!
//! The portable path is RustCrypto `aes` (AES-NI detected at run time by the crate itself),
//! eight counter blocks encrypted per call so the hardware pipeline stays full.

use aes::cipher::{BlockEncrypt, KeyInit};
use aes::{Aes128Enc, Aes256Enc, Block};

use crate::{Error, Result};

/// Counter blocks encrypted per `encrypt_blocks` call.
const PAR: usize = 8;

/// An AES key schedule for counter mode, 128 or 256 bits.
// Held inline in the session (built once), so the size difference costs nothing per packet.
#[allow(clippy::large_enum_variant)]
#[derive(Clone)]
pub(crate) enum AesCm {
    /// AES-128 (RustCrypto, AES-NI when present).
    Aes128(Aes128Enc),
    /// AES-256 (RustCrypto, AES-NI when present).
    Aes256(Aes256Enc),
    /// 512-bit VAES kernel, 128 or 256 bits.
    #[cfg(all(target_arch = "x86_64", not(prose_backend = "soft")))]
    Vaes(Box<crate::backend::x86_64::aes_ctr::AesCtrVaes>),
    /// ARMv8 AESE/AESMC kernel, 128 or 256 bits.
    #[cfg(all(
        target_arch = "aarch64",
        target_endian = "little",
        not(prose_backend = "soft")
    ))]
    Arm(crate::backend::aarch64::aes_ctr::AesCtrArm),
}

impl core::fmt::Debug for AesCm {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            AesCm::Aes128(_) => f.write_str("AesCm::Aes128(..)"),
            AesCm::Aes256(_) => f.write_str("AesCm::Aes256(..)"),
            #[cfg(all(target_arch = "x86_64", not(prose_backend = "soft")))]
            AesCm::Vaes(_) => f.write_str("AesCm::Vaes(..)"),
            #[cfg(all(
                target_arch = "aarch64",
                target_endian = "little",
                not(prose_backend = "soft")
            ))]
            AesCm::Arm(_) => f.write_str("AesCm::Arm(..)"),
        }
    }
}

impl AesCm {
    /// The fastest key schedule this CPU supports for a 16- or 32-octet key (the VAES kernel on
    /// x86-64, the AESE/AESMC kernel on aarch64, where present), or the portable one if
    /// `portable`. The CPU is detected here, once per key.
    pub(crate) fn new_best(key: &[u8], portable: bool) -> Result<Self> {
        #[cfg(all(target_arch = "x86_64", not(prose_backend = "soft")))]
        if !portable {
            if let Some(v) = crate::backend::x86_64::aes_ctr::AesCtrVaes::new(key) {
                return Ok(AesCm::Vaes(Box::new(v)));
            }
        }
        #[cfg(all(
            target_arch = "aarch64",
            target_endian = "little",
            not(prose_backend = "soft")
        ))]
        if !portable {
            use crate::backend::aarch64::{aes_ctr::AesCtrArm, AesPmull};
            if let Some(v) = AesPmull::get().and_then(|t| AesCtrArm::new(t, key)) {
                return Ok(AesCm::Arm(v));
            }
        }
        let _ = portable;
        AesCm::new(key)
    }

    /// The portable (RustCrypto) key schedule for a 16- or 32-octet key.
    pub(crate) fn new(key: &[u8]) -> Result<Self> {
        match key.len() {
            16 => Aes128Enc::new_from_slice(key)
                .map(AesCm::Aes128)
                .map_err(|_| Error::InvalidKey),
            32 => Aes256Enc::new_from_slice(key)
                .map(AesCm::Aes256)
                .map_err(|_| Error::InvalidKey),
            _ => Err(Error::InvalidKey),
        }
    }

    #[inline]
    fn encrypt_blocks(
        c: &impl BlockEncrypt<BlockSize = aes::cipher::consts::U16>,
        blocks: &mut [Block],
    ) {
        c.encrypt_blocks(blocks)
    }

    /// XORs `data` with the keystream that starts at counter block `iv`. The counter is
    /// incremented as a 32-bit big-endian integer in the last four octets; SRTP's IVs have their
    /// low 16 bits zero and a packet is far below 2^16 blocks, so this equals RFC 3711's
    /// `IV + i mod 2^128`.
    pub(crate) fn apply_keystream(&self, iv: &[u8; 16], data: &mut [u8]) {
        match self {
            AesCm::Aes128(c) => Self::ctr_portable(c, iv, data),
            AesCm::Aes256(c) => Self::ctr_portable(c, iv, data),
            #[cfg(all(target_arch = "x86_64", not(prose_backend = "soft")))]
            AesCm::Vaes(v) => v.apply_keystream(iv, data),
            #[cfg(all(
                target_arch = "aarch64",
                target_endian = "little",
                not(prose_backend = "soft")
            ))]
            AesCm::Arm(v) => v.apply_keystream(iv, data),
        }
    }

    /// [`AesCm::apply_keystream`] for several packets at once (the VAES kernel loads its round
    /// keys once for all of them).
    pub(crate) fn apply_keystream_many(&self, ivs: &[[u8; 16]], datas: &mut [&mut [u8]]) {
        #[cfg(all(target_arch = "x86_64", not(prose_backend = "soft")))]
        if let AesCm::Vaes(v) = self {
            if v.apply_keystream_many(ivs, datas) {
                return;
            }
        }
        #[cfg(all(
            target_arch = "aarch64",
            target_endian = "little",
            not(prose_backend = "soft")
        ))]
        if let AesCm::Arm(v) = self {
            v.apply_keystream_many(ivs, datas);
            return;
        }
        for (iv, d) in ivs.iter().zip(datas.iter_mut()) {
            self.apply_keystream(iv, d);
        }
    }

    #[inline]
    fn ctr_portable(
        c: &impl BlockEncrypt<BlockSize = aes::cipher::consts::U16>,
        iv: &[u8; 16],
        data: &mut [u8],
    ) {
        let mut ctr = u32::from_be_bytes([iv[12], iv[13], iv[14], iv[15]]);
        let template = Block::clone_from_slice(iv);
        let mut blocks = [template; PAR];
        for chunk in data.chunks_mut(PAR * 16) {
            let n = chunk.len().div_ceil(16);
            for b in blocks.iter_mut().take(n) {
                *b = template;
                b[12..].copy_from_slice(&ctr.to_be_bytes());
                ctr = ctr.wrapping_add(1);
            }
            Self::encrypt_blocks(c, &mut blocks[..n]);
            xor_blocks(chunk, &blocks[..n]);
        }
    }
}

/// `data ^= keystream`, sixteen octets at a time where it can.
#[inline(always)]
fn xor_blocks(data: &mut [u8], ks: &[Block]) {
    let (full, tail) = data.split_at_mut(data.len() & !15);
    for (d, k) in full.chunks_exact_mut(16).zip(ks.iter()) {
        for i in 0..16 {
            d[i] ^= k[i];
        }
    }
    if let Some(k) = ks.get(full.len() / 16) {
        for (x, y) in tail.iter_mut().zip(k.iter()) {
            *x ^= *y;
        }
    }
}

/// The SRTP / SRTCP counter-mode IV (RFC 3711 §4.1.1):
/// `IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16)`, with `i` the 48-bit SRTP index or the
/// 31-bit SRTCP index.
#[inline]
pub(crate) fn srtp_iv(salt: &[u8; 14], ssrc: u32, index: u64) -> [u8; 16] {
    let mut iv = [0u8; 16];
    iv[..14].copy_from_slice(salt);
    let s = ssrc.to_be_bytes();
    for k in 0..4 {
        iv[4 + k] ^= s[k];
    }
    let i = index.to_be_bytes(); // 8 octets, the top two are zero for a 48-bit index
    for k in 0..6 {
        iv[8 + k] ^= i[2 + k];
    }
    iv
}
