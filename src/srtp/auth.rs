//! HMAC-SHA1 (RFC 2104) with the inner and outer chaining states computed once per session key,
//! so a packet costs only the compression calls over its own octets (RFC 3711 §4.2.1).
//!
//! SHA-1 compression is RustCrypto `sha1`, which uses SHA-NI when the CPU has it (detected at
//! run time by that crate); on aarch64 (where that crate has no hardware path) it is the
//! SHA1-instruction kernel of `backend/aarch64/sha1.rs` when the CPU has it, detected once per
//! key.

use sha1::digest::core_api::{Block, BlockSizeUser, Buffer, FixedOutputCore, UpdateCore};
use sha1::digest::generic_array::GenericArray;
use sha1::digest::Output;
use sha1::Sha1Core;
use zeroize::Zeroize;

/// A keyed HMAC-SHA1: SHA-1 states after absorbing `key ^ ipad` and `key ^ opad`.
#[derive(Clone)]
pub(crate) struct HmacSha1 {
    inner: Sha1Core,
    outer: Sha1Core,
    /// Raw chaining values of the two states, for multi-buffer kernels.
    pub(crate) raw_inner: [u32; 5],
    pub(crate) raw_outer: [u32; 5],
    /// Whether [`HmacSha1::mac_many`] may use the multi-buffer kernel (read only where the
    /// x86-64 kernels are compiled in).
    #[cfg_attr(
        any(not(target_arch = "x86_64"), prose_backend = "soft"),
        allow(dead_code)
    )]
    multibuffer: bool,
    /// The SHA-NI kernel's token, when the CPU has it and the portable path is not asked.
    #[cfg(all(target_arch = "x86_64", not(prose_backend = "soft")))]
    ni: Option<crate::backend::x86_64::sha1ni::ShaNi>,
    /// The ARMv8 SHA-1 kernel's token, when the CPU has it and the portable path is not asked.
    #[cfg(all(
        target_arch = "aarch64",
        target_endian = "little",
        not(prose_backend = "soft")
    ))]
    arm: Option<crate::backend::aarch64::Sha1Ext>,
}

impl core::fmt::Debug for HmacSha1 {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("HmacSha1(..)")
    }
}

impl Drop for HmacSha1 {
    fn drop(&mut self) {
        // Sha1Core offers no zeroize; overwrite it with a fresh state by volatile writes (a
        // plain assignment before the free is a dead store the optimiser may remove).
        crate::backend::wipe::overwrite(&mut self.inner, Sha1Core::default());
        crate::backend::wipe::overwrite(&mut self.outer, Sha1Core::default());
        self.raw_inner.zeroize();
        self.raw_outer.zeroize();
    }
}

impl HmacSha1 {
    /// Precomputes the states for `key` (at most 64 octets; SRTP uses 20).
    pub(crate) fn new(key: &[u8]) -> Self {
        Self::with_backend(key, false)
    }

    /// Like [`HmacSha1::new`]; `portable` keeps [`HmacSha1::mac_many`] off the SIMD kernel.
    pub(crate) fn with_backend(key: &[u8], portable: bool) -> Self {
        debug_assert!(key.len() <= 64);
        let mut ipad = [0x36u8; 64];
        let mut opad = [0x5cu8; 64];
        for (i, k) in key.iter().take(64).enumerate() {
            ipad[i] ^= k;
            opad[i] ^= k;
        }
        let mut inner = Sha1Core::default();
        inner.update_blocks(core::slice::from_ref(GenericArray::from_slice(&ipad)));
        let mut outer = Sha1Core::default();
        outer.update_blocks(core::slice::from_ref(GenericArray::from_slice(&opad)));
        let raw_inner = raw_state(&ipad);
        let raw_outer = raw_state(&opad);
        ipad.zeroize();
        opad.zeroize();
        HmacSha1 {
            inner,
            outer,
            raw_inner,
            raw_outer,
            multibuffer: !portable,
            #[cfg(all(target_arch = "x86_64", not(prose_backend = "soft")))]
            ni: if portable {
                None
            } else {
                crate::backend::x86_64::sha1ni::ShaNi::get()
            },
            #[cfg(all(
                target_arch = "aarch64",
                target_endian = "little",
                not(prose_backend = "soft")
            ))]
            arm: if portable {
                None
            } else {
                crate::backend::aarch64::Sha1Ext::get()
            },
        }
    }

    /// HMAC-SHA1 of each of `msgs` into `out`: groups of sixteen in the AVX-512 kernel where
    /// the CPU has it (its cost is that of sixteen messages however many the group holds), the
    /// small groups four or two at a time in the SHA-NI kernel with their chains interleaved,
    /// else one by one.
    #[inline]
    pub(crate) fn mac_many(&self, msgs: &[&[u8]], out: &mut [[u8; 20]]) {
        #[cfg(all(target_arch = "x86_64", not(prose_backend = "soft")))]
        {
            use crate::backend::x86_64::{sha1ni, sha1x16};
            /// Below this many messages a group costs less in the SHA-NI lanes than in the
            /// sixteen AVX-512 lanes (measured on the AMD Zen 4 development VM).
            const X16_FROM: usize = 6;
            let mut done = 0;
            for (m, o) in msgs.chunks(16).zip(out.chunks_mut(16)) {
                if self.multibuffer
                    && m.len() >= X16_FROM
                    && sha1x16::hmac_sha1_batch(&self.raw_inner, &self.raw_outer, m, o)
                {
                    done += m.len();
                    continue;
                }
                let Some(t) = self.ni else { break };
                let (ri, ro) = (&self.raw_inner, &self.raw_outer);
                let mut q = m.chunks_exact(4);
                let mut qo = o.chunks_exact_mut(4);
                for (mm, oo) in (&mut q).zip(&mut qo) {
                    let lanes = [(mm[0], &[][..]), (mm[1], &[]), (mm[2], &[]), (mm[3], &[])];
                    match sha1ni::hmac_sha1_n::<4>(t, ri, ro, lanes) {
                        Some(tags) => oo.copy_from_slice(&tags),
                        None => oo
                            .iter_mut()
                            .zip(mm)
                            .for_each(|(x, y)| *x = self.mac(y, &[])),
                    }
                }
                let mut p = q.remainder().chunks_exact(2);
                let mut po = qo.into_remainder().chunks_exact_mut(2);
                for (mm, oo) in (&mut p).zip(&mut po) {
                    match sha1ni::hmac_sha1_n::<2>(t, ri, ro, [(mm[0], &[]), (mm[1], &[])]) {
                        Some(tags) => oo.copy_from_slice(&tags),
                        None => oo
                            .iter_mut()
                            .zip(mm)
                            .for_each(|(x, y)| *x = self.mac(y, &[])),
                    }
                }
                for (x, y) in po.into_remainder().iter_mut().zip(p.remainder()) {
                    *x = self.mac(y, &[]);
                }
                done += m.len();
            }
            if done == msgs.len().min(out.len()) {
                return;
            }
        }
        for (m, o) in msgs.iter().zip(out.iter_mut()) {
            *o = self.mac(m, &[]);
        }
    }

    /// HMAC-SHA1 of `msg || suffix`, without copying `msg`.
    #[inline]
    pub(crate) fn mac(&self, msg: &[u8], suffix: &[u8]) -> [u8; 20] {
        #[cfg(all(
            target_arch = "aarch64",
            target_endian = "little",
            not(prose_backend = "soft")
        ))]
        if let Some(t) = self.arm {
            return crate::backend::aarch64::sha1::hmac_sha1(
                t,
                &self.raw_inner,
                &self.raw_outer,
                msg,
                suffix,
            );
        }
        #[cfg(all(target_arch = "x86_64", not(prose_backend = "soft")))]
        if let Some(t) = self.ni {
            if let Some(tag) = crate::backend::x86_64::sha1ni::hmac_sha1(
                t,
                &self.raw_inner,
                &self.raw_outer,
                msg,
                suffix,
            ) {
                return tag;
            }
        }
        self.mac_portable(msg, suffix)
    }

    /// [`HmacSha1::mac`] with RustCrypto's SHA-1 (which picks SHA-NI itself where present).
    #[inline]
    pub(crate) fn mac_portable(&self, msg: &[u8], suffix: &[u8]) -> [u8; 20] {
        let mut core = self.inner.clone();
        let mut blocks = msg.chunks_exact(64);
        for b in &mut blocks {
            core.update_blocks(core::slice::from_ref(Block::<Sha1Core>::from_slice(b)));
        }
        let mut buf: Buffer<Sha1Core> = Default::default();
        let tail = blocks.remainder();
        buf.digest_blocks(tail, |b| core.update_blocks(b));
        buf.digest_blocks(suffix, |b| core.update_blocks(b));
        let mut inner_out: Output<Sha1Core> = Default::default();
        core.finalize_fixed_core(&mut buf, &mut inner_out);

        let mut outer = self.outer.clone();
        let mut obuf: Buffer<Sha1Core> = Default::default();
        obuf.digest_blocks(&inner_out, |b| outer.update_blocks(b));
        let mut out: Output<Sha1Core> = Default::default();
        outer.finalize_fixed_core(&mut obuf, &mut out);
        let mut tag = [0u8; 20];
        tag.copy_from_slice(&out);
        tag
    }
}

/// Block size check at compile time: SHA-1 works on 64-octet blocks.
const _: () = assert!(<Sha1Core as BlockSizeUser>::BlockSize::USIZE == 64);
use sha1::digest::typenum::Unsigned;

/// SHA-1 chaining value after one compression of `block` from the standard IV (portable; used
/// once per key to hand the raw ipad/opad states to multi-buffer kernels).
fn raw_state(block: &[u8; 64]) -> [u32; 5] {
    let mut h: [u32; 5] = [
        0x6745_2301,
        0xEFCD_AB89,
        0x98BA_DCFE,
        0x1032_5476,
        0xC3D2_E1F0,
    ];
    let mut w = [0u32; 80];
    for (i, c) in block.chunks_exact(4).enumerate() {
        w[i] = u32::from_be_bytes([c[0], c[1], c[2], c[3]]);
    }
    for i in 16..80 {
        w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
    }
    let [mut a, mut b, mut c, mut d, mut e] = h;
    for (i, wi) in w.iter().enumerate() {
        let (f, k) = match i {
            0..=19 => ((b & c) | (!b & d), 0x5A82_7999),
            20..=39 => (b ^ c ^ d, 0x6ED9_EBA1),
            40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1B_BCDC),
            _ => (b ^ c ^ d, 0xCA62_C1D6),
        };
        let t = a
            .rotate_left(5)
            .wrapping_add(f)
            .wrapping_add(e)
            .wrapping_add(k)
            .wrapping_add(*wi);
        e = d;
        d = c;
        c = b.rotate_left(30);
        b = a;
        a = t;
    }
    for (x, y) in h.iter_mut().zip([a, b, c, d, e]) {
        *x = x.wrapping_add(y);
    }
    w.zeroize();
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_state_is_sha1_compression() {
        // SHA-1("abc") is one padded block compressed from the IV (FIPS 180 example).
        let mut block = [0u8; 64];
        block[..3].copy_from_slice(b"abc");
        block[3] = 0x80;
        block[63] = 24;
        assert_eq!(
            raw_state(&block),
            [
                0xA999_3E36,
                0x4706_816A,
                0xBA3E_2571,
                0x7850_C26C,
                0x9CD0_D89D
            ]
        );
    }

    #[test]
    fn mac_matches_rfc2202() {
        // RFC 2202 test case 2: key "Jefe".
        let h = HmacSha1::new(b"Jefe");
        let msg = b"what do ya want for nothing?";
        let t = h.mac(&msg[..10], &msg[10..]);
        assert_eq!(
            t,
            [
                0xef, 0xfc, 0xdf, 0x6a, 0xe5, 0xeb, 0x2f, 0xa2, 0xd2, 0x74, 0x16, 0xd5, 0xf1, 0x84,
                0xdf, 0x9c, 0x25, 0x9a, 0x7c, 0x79
            ]
        );
        // Messages longer than a block, split anywhere.
        let long = [0xddu8; 50];
        let key = [0xaau8; 20];
        let h = HmacSha1::new(&key);
        let whole = h.mac(&long, &[]);
        for cut in 0..=50 {
            assert_eq!(h.mac(&long[..cut], &long[cut..]), whole);
        }
        assert_eq!(
            whole,
            [
                0x12, 0x5d, 0x73, 0x42, 0xb9, 0xac, 0x11, 0xcd, 0x91, 0xa3, 0x9a, 0xf4, 0x8a, 0xa1,
                0x7b, 0x4f, 0x63, 0xf1, 0x75, 0xd3
            ]
        );
    }
}
