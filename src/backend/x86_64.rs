//! x86-64 kernels, each in a leaf module compiled with `#[target_feature]` and reached only after
//! run-time detection.

/// AES-CTR keystream with VAES (512-bit) for SRTP AES-CM.
pub mod aes_ctr;
/// 1024-bit Montgomery arithmetic with AVX-512 IFMA (radix 2^52): eight lanes, and one product
/// on the vector lanes (`Ifma52`).
pub mod fp_ifma;
/// 1024-bit Montgomery arithmetic for SAKKE's F_p with MULX/ADCX/ADOX.
pub mod fp_mulx;
/// AES-GCM with VAES and VPCLMULQDQ for SRTP AEAD profiles.
pub mod gcm;
/// HMAC-SHA1 with the SHA extensions, one or two messages per call, for SRTP authentication.
pub mod sha1ni;
/// Sixteen-lane SHA-1 / HMAC-SHA1 with AVX-512 for batched SRTP authentication.
pub mod sha1x16;
