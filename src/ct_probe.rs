//! Entry points to internal constant-time operations for the timing harness in `ct/`: thin
//! wrappers, no logic. Hidden; not part of the API.
#![doc(hidden)]

use crate::arith::safegcd::Modulus62;
use crate::sakke::params;

/// x⁻¹ mod q (SAKKE's subgroup order, 1022 bits) by safegcd, as RSK issue inverts b + z.
pub fn safegcd_invert_q(x: &[u64; 16]) -> [u64; 16] {
    static M: Modulus62<16, 17> = Modulus62::new(&params::Q);
    M.invert(x)
}

/// x⁻¹ mod p (SAKKE's field prime, 1024 bits) by safegcd, as the affine conversions invert Z.
pub fn safegcd_invert_p(x: &[u64; 16]) -> [u64; 16] {
    static M: Modulus62<16, 17> = Modulus62::new(&params::P);
    M.invert(x)
}

/// x⁻¹ mod n (P-256's order) by the 4-limb safegcd, as ECCSI signing inverts HE + r·SSK; the
/// input's words 4..16 are ignored (zero for values below n) and the output's are zero.
pub fn safegcd_invert_n256(x: &[u64; 16]) -> [u64; 16] {
    static M: Modulus62<4, 5> = Modulus62::new(&crate::eccsi::N_LIMBS);
    let mut x4 = [0u64; 4];
    x4.copy_from_slice(&x[..4]);
    let inv = M.invert(&x4);
    let mut out = [0u64; 16];
    out[..4].copy_from_slice(&inv);
    out
}

/// SAKKE's q and p as 16 little-endian words (to draw inputs below them).
pub fn sakke_q_p() -> ([u64; 16], [u64; 16]) {
    (params::Q, params::P)
}
