//! Portable multi-precision arithmetic shared by SAKKE (16 × 64-bit limbs) and ECCSI (4 limbs):
//! constant-time limb operations and the CIOS Montgomery product ([`limbs`]), and the
//! safegcd modular inversion ([`safegcd`]), each generic over the limb count.

pub(crate) mod limbs;
pub(crate) mod safegcd;
