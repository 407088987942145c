//! HashToIntegerRange (RFC 6508 §5.1) with SHA-256.

use sha2::{Digest, Sha256};
use zeroize::Zeroize;

use super::scalar::Scalar;

/// v' = v_1 ‖ … ‖ v_l with h_0 = 0^256, h_i = H(h_{i−1}), v_i = H(h_i ‖ A), A = H(s).
fn expand(s: &[&[u8]], l: usize, out: &mut [u8]) {
    let mut hasher = Sha256::new();
    for part in s {
        hasher.update(part);
    }
    let mut a: [u8; 32] = hasher.finalize().into();
    let mut h = [0u8; 32];
    for i in 0..l {
        h = Sha256::digest(h).into();
        let mut v = Sha256::new();
        v.update(h);
        v.update(a);
        out[32 * i..32 * i + 32].copy_from_slice(&v.finalize());
    }
    a.zeroize();
    h.zeroize();
}

/// HashToIntegerRange(s, q): l = ⌈lg q / 256⌉ = 4, then v' mod q.
pub(crate) fn to_scalar(s: &[&[u8]]) -> Scalar {
    let mut buf = [0u8; 128];
    expand(s, 4, &mut buf);
    let r = Scalar::reduce_be(&buf);
    buf.zeroize();
    r
}

/// HashToIntegerRange(s, 2^128): l = 1, the low 128 bits of v_1 (16 octets).
pub(crate) fn to_mask(s: &[u8]) -> [u8; 16] {
    let mut buf = [0u8; 32];
    expand(&[s], 1, &mut buf);
    let mut out = [0u8; 16];
    out.copy_from_slice(&buf[16..]);
    buf.zeroize();
    out
}
