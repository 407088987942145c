//! `srtp_crypto_policy_set_*`, the DTLS-SRTP profile helpers and `srtp_append_salt_to_key`,
//! with libsrtp 2.x's values.

use crate::types::*;
use core::ffi::c_uint;

fn set(
    p: *mut srtp_crypto_policy_t,
    cipher_type: u32,
    cipher_key_len: i32,
    auth_type: u32,
    auth_key_len: i32,
    auth_tag_len: i32,
    sec_serv: srtp_sec_serv_t,
) {
    // SAFETY: the caller passes a crypto policy to fill (or NULL: nothing happens).
    if let Some(p) = unsafe { p.as_mut() } {
        *p = srtp_crypto_policy_t {
            cipher_type,
            cipher_key_len,
            auth_type,
            auth_key_len,
            auth_tag_len,
            sec_serv,
        };
    }
}

macro_rules! preset {
    ($($name:ident => ($c:expr, $ck:expr, $a:expr, $ak:expr, $t:expr, $s:expr);)*) => {$(
        /// # Safety
        /// `p` NULL or valid for writing.
        #[no_mangle]
        pub unsafe extern "C" fn $name(p: *mut srtp_crypto_policy_t) {
            set(p, $c, $ck, $a, $ak, $t, $s)
        }
    )*};
}

preset! {
    srtp_crypto_policy_set_rtp_default => (SRTP_AES_ICM_128, 30, SRTP_HMAC_SHA1, 20, 10, sec_serv_conf_and_auth);
    srtp_crypto_policy_set_rtcp_default => (SRTP_AES_ICM_128, 30, SRTP_HMAC_SHA1, 20, 10, sec_serv_conf_and_auth);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 => (SRTP_AES_ICM_128, 30, SRTP_HMAC_SHA1, 20, 10, sec_serv_conf_and_auth);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32 => (SRTP_AES_ICM_128, 30, SRTP_HMAC_SHA1, 20, 4, sec_serv_conf_and_auth);
    srtp_crypto_policy_set_aes_cm_128_null_auth => (SRTP_AES_ICM_128, 30, SRTP_NULL_AUTH, 0, 0, sec_serv_conf);
    srtp_crypto_policy_set_null_cipher_hmac_sha1_80 => (SRTP_NULL_CIPHER, 30, SRTP_HMAC_SHA1, 20, 10, sec_serv_auth);
    srtp_crypto_policy_set_null_cipher_hmac_null => (SRTP_NULL_CIPHER, 30, SRTP_NULL_AUTH, 0, 0, sec_serv_none);
    srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80 => (SRTP_AES_ICM_256, 46, SRTP_HMAC_SHA1, 20, 10, sec_serv_conf_and_auth);
    srtp_crypto_policy_set_aes_cm_256_hmac_sha1_32 => (SRTP_AES_ICM_256, 46, SRTP_HMAC_SHA1, 20, 4, sec_serv_conf_and_auth);
    srtp_crypto_policy_set_aes_cm_256_null_auth => (SRTP_AES_ICM_256, 46, SRTP_NULL_AUTH, 0, 0, sec_serv_conf);
    srtp_crypto_policy_set_aes_cm_192_hmac_sha1_80 => (SRTP_AES_ICM_192, 38, SRTP_HMAC_SHA1, 20, 10, sec_serv_conf_and_auth);
    srtp_crypto_policy_set_aes_cm_192_hmac_sha1_32 => (SRTP_AES_ICM_192, 38, SRTP_HMAC_SHA1, 20, 4, sec_serv_conf_and_auth);
    srtp_crypto_policy_set_aes_cm_192_null_auth => (SRTP_AES_ICM_192, 38, SRTP_NULL_AUTH, 0, 0, sec_serv_conf);
    srtp_crypto_policy_set_aes_gcm_128_8_auth => (SRTP_AES_GCM_128, 28, SRTP_NULL_AUTH, 0, 8, sec_serv_conf_and_auth);
    srtp_crypto_policy_set_aes_gcm_256_8_auth => (SRTP_AES_GCM_256, 44, SRTP_NULL_AUTH, 0, 8, sec_serv_conf_and_auth);
    srtp_crypto_policy_set_aes_gcm_128_8_only_auth => (SRTP_AES_GCM_128, 28, SRTP_NULL_AUTH, 0, 8, sec_serv_auth);
    srtp_crypto_policy_set_aes_gcm_256_8_only_auth => (SRTP_AES_GCM_256, 44, SRTP_NULL_AUTH, 0, 8, sec_serv_auth);
    srtp_crypto_policy_set_aes_gcm_128_16_auth => (SRTP_AES_GCM_128, 28, SRTP_NULL_AUTH, 0, 16, sec_serv_conf_and_auth);
    srtp_crypto_policy_set_aes_gcm_256_16_auth => (SRTP_AES_GCM_256, 44, SRTP_NULL_AUTH, 0, 16, sec_serv_conf_and_auth);
}

/// # Safety
/// `policy` NULL or valid for writing.
#[no_mangle]
pub unsafe extern "C" fn srtp_crypto_policy_set_from_profile_for_rtp(
    policy: *mut srtp_crypto_policy_t,
    profile: srtp_profile_t,
) -> srtp_err_status_t {
    // SAFETY: forwarded.
    unsafe { from_profile(policy, profile, false) }
}

/// # Safety
/// `policy` NULL or valid for writing.
#[no_mangle]
pub unsafe extern "C" fn srtp_crypto_policy_set_from_profile_for_rtcp(
    policy: *mut srtp_crypto_policy_t,
    profile: srtp_profile_t,
) -> srtp_err_status_t {
    // SAFETY: forwarded.
    unsafe { from_profile(policy, profile, true) }
}

/// # Safety
/// `policy` NULL or valid for writing.
unsafe fn from_profile(
    policy: *mut srtp_crypto_policy_t,
    profile: srtp_profile_t,
    rtcp: bool,
) -> srtp_err_status_t {
    // SAFETY (all calls below): `policy` is NULL or valid for writing.
    unsafe {
        match profile {
            srtp_profile_aes128_cm_sha1_80 => {
                srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(policy)
            }
            // SRTCP keeps the 80-bit tag.
            srtp_profile_aes128_cm_sha1_32 if rtcp => {
                srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(policy)
            }
            srtp_profile_aes128_cm_sha1_32 => {
                srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(policy)
            }
            srtp_profile_null_sha1_80 => srtp_crypto_policy_set_null_cipher_hmac_sha1_80(policy),
            srtp_profile_aead_aes_128_gcm => srtp_crypto_policy_set_aes_gcm_128_16_auth(policy),
            srtp_profile_aead_aes_256_gcm => srtp_crypto_policy_set_aes_gcm_256_16_auth(policy),
            _ => return srtp_err_status_bad_param,
        }
    }
    srtp_err_status_ok
}

#[no_mangle]
pub extern "C" fn srtp_profile_get_master_key_length(profile: srtp_profile_t) -> c_uint {
    match profile {
        srtp_profile_aes128_cm_sha1_80
        | srtp_profile_aes128_cm_sha1_32
        | srtp_profile_null_sha1_80
        | srtp_profile_aead_aes_128_gcm => 16,
        srtp_profile_aead_aes_256_gcm => 32,
        _ => 0,
    }
}

#[no_mangle]
pub extern "C" fn srtp_profile_get_master_salt_length(profile: srtp_profile_t) -> c_uint {
    match profile {
        srtp_profile_aes128_cm_sha1_80
        | srtp_profile_aes128_cm_sha1_32
        | srtp_profile_null_sha1_80 => 14,
        srtp_profile_aead_aes_128_gcm | srtp_profile_aead_aes_256_gcm => 12,
        _ => 0,
    }
}

/// Copies the salt after the key (the key buffer must have room for both).
///
/// # Safety
/// `key` valid for `bytes_in_key + bytes_in_salt` octets, `salt` for `bytes_in_salt`.
#[no_mangle]
pub unsafe extern "C" fn srtp_append_salt_to_key(
    key: *mut u8,
    bytes_in_key: c_uint,
    salt: *mut u8,
    bytes_in_salt: c_uint,
) {
    if key.is_null() || salt.is_null() {
        return;
    }
    // SAFETY: the caller's buffers are valid for these lengths; `copy` allows overlap.
    unsafe { core::ptr::copy(salt, key.add(bytes_in_key as usize), bytes_in_salt as usize) };
}
