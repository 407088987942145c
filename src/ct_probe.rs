//! Entry points to internal constant-time operations for the timing harness in `ct/`: thin
//! wrappers, no logic. Hidden; not part of the API.
#![doc(hidden)]

use crate::sakke::{params, safegcd};

/// The order n of P-256 as 16 little-endian words, the modulus of ECCSI's signing inversion.
const N_P256: [u64; 16] = {
    let mut l = [0u64; 16];
    l[0] = 0xF3B9_CAC2_FC63_2551;
    l[1] = 0xBCE6_FAAD_A717_9E84;
    l[2] = 0xFFFF_FFFF_FFFF_FFFF;
    l[3] = 0xFFFF_FFFF_0000_0000;
    l
};

/// x⁻¹ mod q (SAKKE's subgroup order, 1022 bits) by safegcd, as RSK issue inverts b + z.
pub fn safegcd_invert_q(x: &[u64; 16]) -> [u64; 16] {
    static M: safegcd::Modulus62 = safegcd::Modulus62::new(&params::Q);
    safegcd::invert(x, &M)
}

/// x⁻¹ mod p (SAKKE's field prime, 1024 bits) by safegcd, as the affine conversions invert Z.
pub fn safegcd_invert_p(x: &[u64; 16]) -> [u64; 16] {
    static M: safegcd::Modulus62 = safegcd::Modulus62::new(&params::P);
    safegcd::invert(x, &M)
}

/// x⁻¹ mod n (P-256's order) by safegcd with the 256-bit round count, as ECCSI signing inverts
/// HE + r·SSK.
pub fn safegcd_invert_n256(x: &[u64; 16]) -> [u64; 16] {
    static M: safegcd::Modulus62 = safegcd::Modulus62::new(&N_P256);
    safegcd::invert_bits(x, &M, 256)
}

/// SAKKE's q and p as 16 little-endian words (to draw inputs below them).
pub fn sakke_q_p() -> ([u64; 16], [u64; 16]) {
    (params::Q, params::P)
}
