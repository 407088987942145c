//! The libsrtp 2.x C types, with libsrtp's layouts (checked against libsrtp 2.5's headers by
//! the layout test), and its constants.

#![allow(non_camel_case_types, non_upper_case_globals)]

use core::ffi::{c_char, c_int, c_uint, c_ulong, c_void};

/// `srtp_err_status_t` (a C enum: `int` sized).
pub type srtp_err_status_t = c_int;
pub const srtp_err_status_ok: srtp_err_status_t = 0;
pub const srtp_err_status_fail: srtp_err_status_t = 1;
pub const srtp_err_status_bad_param: srtp_err_status_t = 2;
pub const srtp_err_status_alloc_fail: srtp_err_status_t = 3;
pub const srtp_err_status_init_fail: srtp_err_status_t = 5;
pub const srtp_err_status_auth_fail: srtp_err_status_t = 7;
pub const srtp_err_status_cipher_fail: srtp_err_status_t = 8;
pub const srtp_err_status_replay_fail: srtp_err_status_t = 9;
pub const srtp_err_status_replay_old: srtp_err_status_t = 10;
pub const srtp_err_status_no_such_op: srtp_err_status_t = 12;
pub const srtp_err_status_no_ctx: srtp_err_status_t = 13;
pub const srtp_err_status_key_expired: srtp_err_status_t = 15;
pub const srtp_err_status_bad_mki: srtp_err_status_t = 25;

pub const SRTP_MAX_TAG_LEN: usize = 16;
pub const SRTP_MAX_MKI_LEN: usize = 128;
pub const SRTP_MAX_TRAILER_LEN: usize = SRTP_MAX_TAG_LEN + SRTP_MAX_MKI_LEN;
pub const SRTP_MAX_NUM_MASTER_KEYS: usize = 16;

pub type srtp_cipher_type_id_t = u32;
pub type srtp_auth_type_id_t = u32;
pub const SRTP_NULL_CIPHER: u32 = 0;
pub const SRTP_AES_ICM_128: u32 = 1;
pub const SRTP_AES_ICM_192: u32 = 4;
pub const SRTP_AES_ICM_256: u32 = 5;
pub const SRTP_AES_GCM_128: u32 = 6;
pub const SRTP_AES_GCM_256: u32 = 7;
pub const SRTP_NULL_AUTH: u32 = 0;
pub const SRTP_HMAC_SHA1: u32 = 3;

/// `srtp_sec_serv_t`.
pub type srtp_sec_serv_t = c_int;
pub const sec_serv_none: srtp_sec_serv_t = 0;
pub const sec_serv_conf: srtp_sec_serv_t = 1;
pub const sec_serv_auth: srtp_sec_serv_t = 2;
pub const sec_serv_conf_and_auth: srtp_sec_serv_t = 3;

/// `srtp_ssrc_type_t`.
pub type srtp_ssrc_type_t = c_int;
pub const ssrc_undefined: srtp_ssrc_type_t = 0;
pub const ssrc_specific: srtp_ssrc_type_t = 1;
pub const ssrc_any_inbound: srtp_ssrc_type_t = 2;
pub const ssrc_any_outbound: srtp_ssrc_type_t = 3;

/// `srtp_profile_t`.
pub type srtp_profile_t = c_int;
pub const srtp_profile_aes128_cm_sha1_80: srtp_profile_t = 1;
pub const srtp_profile_aes128_cm_sha1_32: srtp_profile_t = 2;
pub const srtp_profile_null_sha1_80: srtp_profile_t = 5;
pub const srtp_profile_null_sha1_32: srtp_profile_t = 6;
pub const srtp_profile_aead_aes_128_gcm: srtp_profile_t = 7;
pub const srtp_profile_aead_aes_256_gcm: srtp_profile_t = 8;

/// `srtp_event_t`.
pub type srtp_event_t = c_int;
pub const event_ssrc_collision: srtp_event_t = 0;
pub const event_key_soft_limit: srtp_event_t = 1;
pub const event_key_hard_limit: srtp_event_t = 2;
pub const event_packet_index_limit: srtp_event_t = 3;

/// `srtp_log_level_t`.
pub type srtp_log_level_t = c_int;
pub const srtp_log_level_error: srtp_log_level_t = 0;
pub const srtp_log_level_warning: srtp_log_level_t = 1;
pub const srtp_log_level_info: srtp_log_level_t = 2;
pub const srtp_log_level_debug: srtp_log_level_t = 3;

#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct srtp_crypto_policy_t {
    pub cipher_type: srtp_cipher_type_id_t,
    pub cipher_key_len: c_int,
    pub auth_type: srtp_auth_type_id_t,
    pub auth_key_len: c_int,
    pub auth_tag_len: c_int,
    pub sec_serv: srtp_sec_serv_t,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct srtp_ssrc_t {
    pub type_: srtp_ssrc_type_t,
    pub value: c_uint,
}

#[repr(C)]
#[derive(Debug)]
pub struct srtp_master_key_t {
    pub key: *mut u8,
    pub mki_id: *mut u8,
    pub mki_size: c_uint,
}

#[repr(C)]
#[derive(Debug)]
pub struct srtp_policy_t {
    pub ssrc: srtp_ssrc_t,
    pub rtp: srtp_crypto_policy_t,
    pub rtcp: srtp_crypto_policy_t,
    pub key: *mut u8,
    pub keys: *mut *mut srtp_master_key_t,
    pub num_master_keys: c_ulong,
    pub deprecated_ekt: *mut c_void,
    pub window_size: c_ulong,
    pub allow_repeat_tx: c_int,
    pub enc_xtn_hdr: *mut c_int,
    pub enc_xtn_hdr_count: c_int,
    pub next: *mut srtp_policy_t,
}

#[repr(C)]
#[derive(Debug)]
pub struct srtp_event_data_t {
    pub session: *mut c_void,
    pub ssrc: u32,
    pub event: srtp_event_t,
}

pub type srtp_event_handler_func_t = Option<unsafe extern "C" fn(data: *mut srtp_event_data_t)>;
pub type srtp_log_handler_func_t =
    Option<unsafe extern "C" fn(level: srtp_log_level_t, msg: *const c_char, data: *mut c_void)>;

/// `srtp_cipher_type_t`: the function table of a cipher type.
#[repr(C)]
#[derive(Debug)]
pub struct srtp_cipher_type_t {
    pub alloc: Option<unsafe extern "C" fn(*mut *mut c_void, c_int, c_int) -> srtp_err_status_t>,
    pub dealloc: Option<unsafe extern "C" fn(*mut c_void) -> srtp_err_status_t>,
    pub init: Option<unsafe extern "C" fn(*mut c_void, *const u8) -> srtp_err_status_t>,
    pub set_aad: Option<unsafe extern "C" fn(*mut c_void, *const u8, u32) -> srtp_err_status_t>,
    pub encrypt:
        Option<unsafe extern "C" fn(*mut c_void, *mut u8, *mut c_uint) -> srtp_err_status_t>,
    pub decrypt:
        Option<unsafe extern "C" fn(*mut c_void, *mut u8, *mut c_uint) -> srtp_err_status_t>,
    pub set_iv: Option<unsafe extern "C" fn(*mut c_void, *mut u8, c_int) -> srtp_err_status_t>,
    pub get_tag: Option<unsafe extern "C" fn(*mut c_void, *mut u8, *mut u32) -> srtp_err_status_t>,
    pub description: *const c_char,
    pub test_data: *const c_void,
    pub id: srtp_cipher_type_id_t,
}

/// `srtp_auth_type_t`: the function table of an authentication type.
#[repr(C)]
#[derive(Debug)]
pub struct srtp_auth_type_t {
    pub alloc: Option<unsafe extern "C" fn(*mut *mut c_void, c_int, c_int) -> srtp_err_status_t>,
    pub dealloc: Option<unsafe extern "C" fn(*mut c_void) -> srtp_err_status_t>,
    pub init: Option<unsafe extern "C" fn(*mut c_void, *const u8, c_int) -> srtp_err_status_t>,
    pub compute: Option<
        unsafe extern "C" fn(*mut c_void, *const u8, c_int, c_int, *mut u8) -> srtp_err_status_t,
    >,
    pub update: Option<unsafe extern "C" fn(*mut c_void, *const u8, c_int) -> srtp_err_status_t>,
    pub start: Option<unsafe extern "C" fn(*mut c_void) -> srtp_err_status_t>,
    pub description: *const c_char,
    pub test_data: *const c_void,
    pub id: srtp_auth_type_id_t,
}
