//! `libsrtp2.so.1`: the libsrtp 2.x C API and ABI on the prose-sec SRTP engine.
//!
//! Media stacks built against libsrtp 2 (GStreamer's `srtpenc`/`srtpdec`, pjsip, Janus) load
//! this library in its place unchanged: the same functions, struct layouts, enumeration values
//! and SONAME (headers in `include/srtp2/`, written from the documented API). Sessions, streams
//! and keys live in engine [`prose_sec::srtp::Session`]s; the packet paths look the stream up
//! and call the engine in place, with no allocation.
//!
//! libsrtp semantics kept: policies are lists; `ssrc_any_inbound`/`ssrc_any_outbound`
//! templates and specific SSRCs; window size 0 means 128; `allow_repeat_tx`; the key-usage
//! soft-limit (2^16 packets before the hard limit) and hard-limit events with
//! `srtp_err_status_key_expired`; `srtp_remove_stream` takes the SSRC in network byte order as
//! libsrtp 2.x compares it, `srtp_set_stream_roc`/`srtp_get_stream_roc` in host order.
//! Authentication and replay failures are reported as libsrtp reports them: by the status codes
//! `srtp_err_status_auth_fail`, `srtp_err_status_replay_fail` and `srtp_err_status_replay_old`.
//! What the engine does not do is refused with `srtp_err_status_bad_param` (see `srtp.h`).
//!
//! Every exported function catches panics (`srtp_err_status_fail`); nothing unwinds into C.

#![allow(non_camel_case_types, non_upper_case_globals)]

mod ctx;
mod events;
mod policy;
pub mod types;

use core::ffi::{c_char, c_int, c_uint, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};

pub use ctx::{Ctx, TEMPLATE_STREAMS};
use types::*;

/// The opaque `srtp_ctx_t`.
pub type srtp_t = *mut Ctx;

fn guard<F: FnOnce() -> Result<(), srtp_err_status_t>>(f: F) -> srtp_err_status_t {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => srtp_err_status_ok,
        Ok(Err(code)) => code,
        Err(_) => srtp_err_status_fail,
    }
}

/// # Safety
/// `ctx` must be NULL or a session from `srtp_create` not yet deallocated.
unsafe fn ctx_mut<'a>(ctx: srtp_t) -> Result<&'a mut Ctx, srtp_err_status_t> {
    // SAFETY: the caller passes a live session or NULL.
    unsafe { ctx.as_mut() }.ok_or(srtp_err_status_bad_param)
}

#[no_mangle]
pub extern "C" fn srtp_init() -> srtp_err_status_t {
    srtp_err_status_ok
}

#[no_mangle]
pub extern "C" fn srtp_shutdown() -> srtp_err_status_t {
    srtp_err_status_ok
}

/// # Safety
/// `session` must be valid for writing; `policy` NULL or a valid policy list.
#[no_mangle]
pub unsafe extern "C" fn srtp_create(
    session: *mut srtp_t,
    policy: *const srtp_policy_t,
) -> srtp_err_status_t {
    guard(|| {
        if session.is_null() {
            return Err(srtp_err_status_bad_param);
        }
        let mut ctx = Box::new(Ctx::new());
        let mut p = policy;
        // SAFETY: the caller's list is valid and NULL-terminated.
        while let Some(pol) = unsafe { p.as_ref() } {
            // SAFETY: as above.
            unsafe { ctx.add(pol)? };
            p = pol.next;
        }
        // SAFETY: `session` is valid for writing.
        unsafe { *session = Box::into_raw(ctx) };
        Ok(())
    })
}

/// # Safety
/// `session` must be a session from `srtp_create`, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn srtp_dealloc(session: srtp_t) -> srtp_err_status_t {
    guard(|| {
        if session.is_null() {
            return Err(srtp_err_status_bad_param);
        }
        // SAFETY: created by Box::into_raw in srtp_create; ownership returns here.
        drop(unsafe { Box::from_raw(session) });
        Ok(())
    })
}

/// # Safety
/// A live session and a valid policy (only this entry is read, not `next`).
#[no_mangle]
pub unsafe extern "C" fn srtp_add_stream(
    session: srtp_t,
    policy: *const srtp_policy_t,
) -> srtp_err_status_t {
    guard(|| {
        // SAFETY: caller's contract.
        let ctx = unsafe { ctx_mut(session)? };
        // SAFETY: caller's contract.
        let p = unsafe { policy.as_ref() }.ok_or(srtp_err_status_bad_param)?;
        // SAFETY: caller's contract.
        unsafe { ctx.add(p) }
    })
}

/// # Safety
/// A live session.
#[no_mangle]
pub unsafe extern "C" fn srtp_remove_stream(session: srtp_t, ssrc: c_uint) -> srtp_err_status_t {
    guard(|| {
        // SAFETY: caller's contract.
        unsafe { ctx_mut(session)? }.remove(ssrc)
    })
}

/// # Safety
/// A live session and a valid policy list.
#[no_mangle]
pub unsafe extern "C" fn srtp_update(
    session: srtp_t,
    policy: *const srtp_policy_t,
) -> srtp_err_status_t {
    guard(|| {
        // SAFETY: caller's contract.
        let ctx = unsafe { ctx_mut(session)? };
        if policy.is_null() {
            return Err(srtp_err_status_bad_param);
        }
        let mut p = policy;
        // SAFETY: the caller's list is valid and NULL-terminated.
        while let Some(pol) = unsafe { p.as_ref() } {
            // SAFETY: as above.
            unsafe { ctx.update(pol)? };
            p = pol.next;
        }
        Ok(())
    })
}

/// # Safety
/// A live session and a valid policy.
#[no_mangle]
pub unsafe extern "C" fn srtp_update_stream(
    session: srtp_t,
    policy: *const srtp_policy_t,
) -> srtp_err_status_t {
    guard(|| {
        // SAFETY: caller's contract.
        let ctx = unsafe { ctx_mut(session)? };
        // SAFETY: caller's contract.
        let p = unsafe { policy.as_ref() }.ok_or(srtp_err_status_bad_param)?;
        // SAFETY: caller's contract.
        unsafe { ctx.update(p) }
    })
}

/// # Safety
/// `hdr` valid for `*len + SRTP_MAX_TRAILER_LEN` octets, `len` for reading and writing.
unsafe fn protect_any(
    session: srtp_t,
    hdr: *mut c_void,
    len: *mut c_int,
    rtcp: bool,
    use_mki: c_uint,
    mki_index: c_uint,
) -> srtp_err_status_t {
    guard(|| {
        // SAFETY: caller's contract.
        let ctx = unsafe { ctx_mut(session)? };
        if hdr.is_null() || len.is_null() {
            return Err(srtp_err_status_bad_param);
        }
        // SAFETY: `len` is valid.
        let n = usize::try_from(unsafe { *len }).map_err(|_| srtp_err_status_bad_param)?;
        let mut pending = ctx::Pending::default();
        // SAFETY: caller's contract (libsrtp's: room for the trailer after the packet).
        let r = unsafe {
            ctx.protect(
                &mut pending,
                hdr.cast(),
                n,
                rtcp,
                use_mki != 0,
                mki_index as usize,
            )
        };
        // The session is no longer borrowed: handlers may call back into it.
        pending.fire(session.cast());
        let out = r?;
        // SAFETY: `len` is valid; the output is at most 65,535 octets.
        unsafe { *len = out as c_int };
        Ok(())
    })
}

/// # Safety
/// `hdr` valid for `*len` octets, `len` for reading and writing.
unsafe fn unprotect_any(
    session: srtp_t,
    hdr: *mut c_void,
    len: *mut c_int,
    rtcp: bool,
    use_mki: c_uint,
) -> srtp_err_status_t {
    guard(|| {
        // SAFETY: caller's contract.
        let ctx = unsafe { ctx_mut(session)? };
        if hdr.is_null() || len.is_null() {
            return Err(srtp_err_status_bad_param);
        }
        // SAFETY: `len` is valid.
        let n = usize::try_from(unsafe { *len }).map_err(|_| srtp_err_status_bad_param)?;
        let mut pending = ctx::Pending::default();
        // SAFETY: caller's contract.
        let r = unsafe { ctx.unprotect(&mut pending, hdr.cast(), n, rtcp, use_mki != 0) };
        // The session is no longer borrowed: handlers may call back into it.
        pending.fire(session.cast());
        let out = r?;
        // SAFETY: `len` is valid.
        unsafe { *len = out as c_int };
        Ok(())
    })
}

/// # Safety
/// See `srtp.h`: `rtp_hdr` has `SRTP_MAX_TRAILER_LEN` octets of room after the packet.
#[no_mangle]
pub unsafe extern "C" fn srtp_protect(
    ctx: srtp_t,
    rtp_hdr: *mut c_void,
    len_ptr: *mut c_int,
) -> srtp_err_status_t {
    // SAFETY: forwarded.
    unsafe { protect_any(ctx, rtp_hdr, len_ptr, false, 0, 0) }
}

/// # Safety
/// As `srtp_protect`.
#[no_mangle]
pub unsafe extern "C" fn srtp_protect_mki(
    ctx: srtp_t,
    rtp_hdr: *mut c_void,
    len_ptr: *mut c_int,
    use_mki: c_uint,
    mki_index: c_uint,
) -> srtp_err_status_t {
    // SAFETY: forwarded.
    unsafe { protect_any(ctx, rtp_hdr, len_ptr, false, use_mki, mki_index) }
}

/// # Safety
/// `srtp_hdr` valid for `*len_ptr` octets.
#[no_mangle]
pub unsafe extern "C" fn srtp_unprotect(
    ctx: srtp_t,
    srtp_hdr: *mut c_void,
    len_ptr: *mut c_int,
) -> srtp_err_status_t {
    // SAFETY: forwarded.
    unsafe { unprotect_any(ctx, srtp_hdr, len_ptr, false, 0) }
}

/// # Safety
/// As `srtp_unprotect`.
#[no_mangle]
pub unsafe extern "C" fn srtp_unprotect_mki(
    ctx: srtp_t,
    srtp_hdr: *mut c_void,
    len_ptr: *mut c_int,
    use_mki: c_uint,
) -> srtp_err_status_t {
    // SAFETY: forwarded.
    unsafe { unprotect_any(ctx, srtp_hdr, len_ptr, false, use_mki) }
}

/// # Safety
/// As `srtp_protect`.
#[no_mangle]
pub unsafe extern "C" fn srtp_protect_rtcp(
    ctx: srtp_t,
    rtcp_hdr: *mut c_void,
    len_ptr: *mut c_int,
) -> srtp_err_status_t {
    // SAFETY: forwarded.
    unsafe { protect_any(ctx, rtcp_hdr, len_ptr, true, 0, 0) }
}

/// # Safety
/// As `srtp_protect`.
#[no_mangle]
pub unsafe extern "C" fn srtp_protect_rtcp_mki(
    ctx: srtp_t,
    rtcp_hdr: *mut c_void,
    len_ptr: *mut c_int,
    use_mki: c_uint,
    mki_index: c_uint,
) -> srtp_err_status_t {
    // SAFETY: forwarded.
    unsafe { protect_any(ctx, rtcp_hdr, len_ptr, true, use_mki, mki_index) }
}

/// # Safety
/// As `srtp_unprotect`.
#[no_mangle]
pub unsafe extern "C" fn srtp_unprotect_rtcp(
    ctx: srtp_t,
    srtcp_hdr: *mut c_void,
    len_ptr: *mut c_int,
) -> srtp_err_status_t {
    // SAFETY: forwarded.
    unsafe { unprotect_any(ctx, srtcp_hdr, len_ptr, true, 0) }
}

/// # Safety
/// As `srtp_unprotect`.
#[no_mangle]
pub unsafe extern "C" fn srtp_unprotect_rtcp_mki(
    ctx: srtp_t,
    srtcp_hdr: *mut c_void,
    len_ptr: *mut c_int,
    use_mki: c_uint,
) -> srtp_err_status_t {
    // SAFETY: forwarded.
    unsafe { unprotect_any(ctx, srtcp_hdr, len_ptr, true, use_mki) }
}

/// # Safety
/// A live session; `length` valid for writing.
unsafe fn trailer_any(
    session: srtp_t,
    rtcp: bool,
    use_mki: u32,
    mki_index: u32,
    length: *mut u32,
) -> srtp_err_status_t {
    guard(|| {
        // SAFETY: caller's contract.
        let ctx = unsafe { ctx_mut(session)? };
        if length.is_null() {
            return Err(srtp_err_status_bad_param);
        }
        let n = ctx.trailer(rtcp, use_mki != 0, mki_index as usize)?;
        // SAFETY: `length` is valid for writing.
        unsafe { *length = n };
        Ok(())
    })
}

/// # Safety
/// A live session; `length` valid for writing.
#[no_mangle]
pub unsafe extern "C" fn srtp_get_protect_trailer_length(
    session: srtp_t,
    use_mki: u32,
    mki_index: u32,
    length: *mut u32,
) -> srtp_err_status_t {
    // SAFETY: forwarded.
    unsafe { trailer_any(session, false, use_mki, mki_index, length) }
}

/// # Safety
/// A live session; `length` valid for writing.
#[no_mangle]
pub unsafe extern "C" fn srtp_get_protect_rtcp_trailer_length(
    session: srtp_t,
    use_mki: u32,
    mki_index: u32,
    length: *mut u32,
) -> srtp_err_status_t {
    // SAFETY: forwarded.
    unsafe { trailer_any(session, true, use_mki, mki_index, length) }
}

/// # Safety
/// A live session.
#[no_mangle]
pub unsafe extern "C" fn srtp_set_stream_roc(
    session: srtp_t,
    ssrc: u32,
    roc: u32,
) -> srtp_err_status_t {
    guard(|| {
        // SAFETY: caller's contract.
        unsafe { ctx_mut(session)? }.set_roc(ssrc, roc)
    })
}

/// # Safety
/// A live session; `roc` valid for writing.
#[no_mangle]
pub unsafe extern "C" fn srtp_get_stream_roc(
    session: srtp_t,
    ssrc: u32,
    roc: *mut u32,
) -> srtp_err_status_t {
    guard(|| {
        // SAFETY: caller's contract.
        let ctx = unsafe { ctx_mut(session)? };
        if roc.is_null() {
            return Err(srtp_err_status_bad_param);
        }
        let r = ctx.get_roc(ssrc)?;
        // SAFETY: `roc` is valid for writing.
        unsafe { *roc = r };
        Ok(())
    })
}

/// # Safety
/// A live session (or NULL: ignored).
#[no_mangle]
pub unsafe extern "C" fn srtp_set_user_data(ctx: srtp_t, data: *mut c_void) {
    // SAFETY: caller's contract.
    if let Ok(c) = unsafe { ctx_mut(ctx) } {
        c.user_data = data;
    }
}

/// # Safety
/// A live session (or NULL: NULL).
#[no_mangle]
pub unsafe extern "C" fn srtp_get_user_data(ctx: srtp_t) -> *mut c_void {
    // SAFETY: caller's contract.
    unsafe { ctx_mut(ctx) }.map_or(core::ptr::null_mut(), |c| c.user_data)
}

#[no_mangle]
pub extern "C" fn srtp_install_event_handler(func: srtp_event_handler_func_t) -> srtp_err_status_t {
    events::set_event_handler(func);
    srtp_err_status_ok
}

#[no_mangle]
pub extern "C" fn srtp_install_log_handler(
    func: srtp_log_handler_func_t,
    data: *mut c_void,
) -> srtp_err_status_t {
    events::set_log_handler(func, data);
    srtp_err_status_ok
}

/// Not part of libsrtp: the SRTP packets one master key may protect or accept, for streams
/// created afterwards (0: RFC 3711's 2^48, the default). The soft-limit event comes 2^16
/// packets before it (half-way for limits up to 2^17). For tests of the limit events.
#[no_mangle]
pub extern "C" fn prose_srtp2_set_rtp_key_limit(packets: u64) -> srtp_err_status_t {
    if packets > 1 << 48 {
        return srtp_err_status_bad_param;
    }
    events::set_rtp_key_limit(if packets == 0 { 1 << 48 } else { packets });
    srtp_err_status_ok
}

/// The libsrtp release whose API and behaviour this library follows: 2.5.0.
pub const VERSION: u32 = (2 << 24) | (5 << 16);

#[no_mangle]
pub extern "C" fn srtp_get_version() -> c_uint {
    VERSION
}

#[no_mangle]
pub extern "C" fn srtp_get_version_string() -> *const c_char {
    c"libsrtp2 2.5.0 (prose-sec engine)".as_ptr()
}

/// # Safety
/// `mod_name` NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn srtp_set_debug_module(
    mod_name: *const c_char,
    _v: c_int,
) -> srtp_err_status_t {
    if mod_name.is_null() {
        return srtp_err_status_bad_param;
    }
    // There are no debug modules: libsrtp answers an unknown name so.
    srtp_err_status_fail
}

#[no_mangle]
pub extern "C" fn srtp_list_debug_modules() -> srtp_err_status_t {
    srtp_err_status_ok
}

mod presets;
pub use presets::*;

mod kernel;
pub use kernel::*;
