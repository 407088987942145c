//! SAKKE's 16-limb integers: the shared constant-time limb helpers and the portable CIOS
//! product of `crate::arith::limbs` (used for F_p on the portable engine and for integers
//! modulo q), and the octet conversions and public-exponent bit access of 1024-bit values.

use super::params::LIMBS;

pub(crate) type Limbs = [u64; LIMBS];

pub(crate) use crate::arith::limbs::{
    add, add_mod, eq_mask, lt_mask, mont_mul, select, sub, sub_mod,
};

/// Big-endian octets (exactly 128) to limbs.
pub(crate) fn from_be128(bytes: &[u8; 128]) -> Limbs {
    let mut out = [0u64; LIMBS];
    for (i, limb) in out.iter_mut().enumerate() {
        let off = 128 - 8 * (i + 1);
        let mut w = [0u8; 8];
        w.copy_from_slice(&bytes[off..off + 8]);
        *limb = u64::from_be_bytes(w);
    }
    out
}

/// Limbs to 128 big-endian octets.
pub(crate) fn to_be128(a: &Limbs) -> [u8; 128] {
    let mut out = [0u8; 128];
    for (i, limb) in a.iter().enumerate() {
        let off = 128 - 8 * (i + 1);
        out[off..off + 8].copy_from_slice(&limb.to_be_bytes());
    }
    out
}

/// Bit `i` of a public exponent.
#[inline(always)]
pub(crate) fn bit(e: &Limbs, i: usize) -> u64 {
    (e[i / 64] >> (i % 64)) & 1
}

/// Number of significant bits of a public value.
pub(crate) fn bits_vartime(e: &Limbs) -> usize {
    for i in (0..LIMBS).rev() {
        if e[i] != 0 {
            return 64 * i + 64 - e[i].leading_zeros() as usize;
        }
    }
    0
}
