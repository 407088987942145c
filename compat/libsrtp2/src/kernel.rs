//! The cipher- and authentication-type objects libsrtp exports (some stacks link them), and
//! its test helpers for random numbers. The engine's ciphers are internal: these objects carry
//! libsrtp's layout, identifiers and descriptions, and every function in them answers
//! `srtp_err_status_no_such_op`.

#![allow(non_upper_case_globals)]

use crate::types::*;
use core::ffi::{c_int, c_uint, c_void};
use rand_core::{OsRng, RngCore};

unsafe extern "C" fn c_alloc(_: *mut *mut c_void, _: c_int, _: c_int) -> srtp_err_status_t {
    srtp_err_status_no_such_op
}
unsafe extern "C" fn c_dealloc(_: *mut c_void) -> srtp_err_status_t {
    srtp_err_status_no_such_op
}
unsafe extern "C" fn c_init(_: *mut c_void, _: *const u8) -> srtp_err_status_t {
    srtp_err_status_no_such_op
}
unsafe extern "C" fn c_set_aad(_: *mut c_void, _: *const u8, _: u32) -> srtp_err_status_t {
    srtp_err_status_no_such_op
}
unsafe extern "C" fn c_crypt(_: *mut c_void, _: *mut u8, _: *mut c_uint) -> srtp_err_status_t {
    srtp_err_status_no_such_op
}
unsafe extern "C" fn c_set_iv(_: *mut c_void, _: *mut u8, _: c_int) -> srtp_err_status_t {
    srtp_err_status_no_such_op
}
unsafe extern "C" fn c_get_tag(_: *mut c_void, _: *mut u8, _: *mut u32) -> srtp_err_status_t {
    srtp_err_status_no_such_op
}
unsafe extern "C" fn a_init(_: *mut c_void, _: *const u8, _: c_int) -> srtp_err_status_t {
    srtp_err_status_no_such_op
}
unsafe extern "C" fn a_compute(
    _: *mut c_void,
    _: *const u8,
    _: c_int,
    _: c_int,
    _: *mut u8,
) -> srtp_err_status_t {
    srtp_err_status_no_such_op
}
unsafe extern "C" fn a_update(_: *mut c_void, _: *const u8, _: c_int) -> srtp_err_status_t {
    srtp_err_status_no_such_op
}
unsafe extern "C" fn a_start(_: *mut c_void) -> srtp_err_status_t {
    srtp_err_status_no_such_op
}

/// A cipher type object as exported (its pointers are to static data and functions only).
#[repr(transparent)]
pub struct CipherType(pub srtp_cipher_type_t);
// SAFETY: immutable after construction; the pointers are to 'static strings and functions.
unsafe impl Sync for CipherType {}

/// An authentication type object as exported.
#[repr(transparent)]
pub struct AuthType(pub srtp_auth_type_t);
// SAFETY: as for CipherType.
unsafe impl Sync for AuthType {}

const fn cipher(description: &'static core::ffi::CStr, id: u32) -> CipherType {
    CipherType(srtp_cipher_type_t {
        alloc: Some(c_alloc),
        dealloc: Some(c_dealloc),
        init: Some(c_init),
        set_aad: Some(c_set_aad),
        encrypt: Some(c_crypt),
        decrypt: Some(c_crypt),
        set_iv: Some(c_set_iv),
        get_tag: Some(c_get_tag),
        description: description.as_ptr(),
        test_data: core::ptr::null(),
        id,
    })
}

const fn auth(description: &'static core::ffi::CStr, id: u32) -> AuthType {
    AuthType(srtp_auth_type_t {
        alloc: Some(c_alloc),
        dealloc: Some(c_dealloc),
        init: Some(a_init),
        compute: Some(a_compute),
        update: Some(a_update),
        start: Some(a_start),
        description: description.as_ptr(),
        test_data: core::ptr::null(),
        id,
    })
}

#[no_mangle]
pub static srtp_null_cipher: CipherType = cipher(c"null cipher", SRTP_NULL_CIPHER);
#[no_mangle]
pub static srtp_aes_icm_128: CipherType = cipher(c"AES-128 integer counter mode", SRTP_AES_ICM_128);
#[no_mangle]
pub static srtp_aes_icm_192: CipherType = cipher(c"AES-192 integer counter mode", SRTP_AES_ICM_192);
#[no_mangle]
pub static srtp_aes_icm_256: CipherType = cipher(c"AES-256 integer counter mode", SRTP_AES_ICM_256);
#[no_mangle]
pub static srtp_aes_gcm_128: CipherType = cipher(c"AES-128 GCM", SRTP_AES_GCM_128);
#[no_mangle]
pub static srtp_aes_gcm_256: CipherType = cipher(c"AES-256 GCM", SRTP_AES_GCM_256);
#[no_mangle]
pub static srtp_aes_gcm_128_openssl: CipherType = cipher(c"AES-128 GCM", SRTP_AES_GCM_128);
#[no_mangle]
pub static srtp_aes_gcm_256_openssl: CipherType = cipher(c"AES-256 GCM", SRTP_AES_GCM_256);
#[no_mangle]
pub static srtp_hmac: AuthType = auth(c"hmac sha-1 authentication function", SRTP_HMAC_SHA1);
#[no_mangle]
pub static srtp_null_auth: AuthType = auth(c"null authentication function", SRTP_NULL_AUTH);

/// # Safety
/// Any pointer.
#[no_mangle]
pub unsafe extern "C" fn srtp_cipher_type_self_test(
    _ct: *const srtp_cipher_type_t,
) -> srtp_err_status_t {
    srtp_err_status_no_such_op
}

/// # Safety
/// Any pointers.
#[no_mangle]
pub unsafe extern "C" fn srtp_cipher_type_alloc(
    _ct: *const srtp_cipher_type_t,
    _c: *mut *mut c_void,
    _key_len: c_int,
    _tlen: c_int,
) -> srtp_err_status_t {
    srtp_err_status_no_such_op
}

/// # Safety
/// Any pointer.
#[no_mangle]
pub unsafe extern "C" fn srtp_replace_cipher_type(
    _ct: *const srtp_cipher_type_t,
    _id: u32,
) -> srtp_err_status_t {
    srtp_err_status_no_such_op
}

/// # Safety
/// Any pointer.
#[no_mangle]
pub unsafe extern "C" fn srtp_auth_type_self_test(
    _at: *const srtp_auth_type_t,
) -> srtp_err_status_t {
    srtp_err_status_no_such_op
}

/// # Safety
/// Any pointer.
#[no_mangle]
pub unsafe extern "C" fn srtp_replace_auth_type(
    _at: *const srtp_auth_type_t,
    _id: u32,
) -> srtp_err_status_t {
    srtp_err_status_no_such_op
}

/// The `key_len` field of a cipher (`srtp_cipher_t`: type, state, key_len, algorithm).
///
/// # Safety
/// `c` NULL or an `srtp_cipher_t`.
#[no_mangle]
pub unsafe extern "C" fn srtp_cipher_get_key_length(c: *const c_void) -> c_int {
    if c.is_null() {
        return 0;
    }
    // SAFETY: an srtp_cipher_t starts with two pointers, then the `int key_len`.
    unsafe {
        *(c.cast::<u8>()
            .add(2 * size_of::<*const c_void>())
            .cast::<c_int>())
    }
}

/// libsrtp's random helper for its test programs (`rtpw` draws its first sequence number with
/// it): the operating system's generator.
#[no_mangle]
pub extern "C" fn srtp_cipher_rand_u32_for_tests() -> u32 {
    std::panic::catch_unwind(|| OsRng.next_u32()).unwrap_or(0)
}

/// # Safety
/// `dest` valid for `len` octets of writing.
#[no_mangle]
pub unsafe extern "C" fn srtp_cipher_rand_for_tests(dest: *mut c_void, len: u32) {
    if dest.is_null() {
        return;
    }
    // SAFETY: the caller's buffer is valid for `len` octets.
    let d = unsafe { core::slice::from_raw_parts_mut(dest.cast::<u8>(), len as usize) };
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| OsRng.fill_bytes(d)));
}
