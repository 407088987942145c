//! Process-wide handlers (events, log) and the key-usage limit given to new streams.

use crate::types::*;
use core::ffi::{c_char, c_void};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

struct Handlers {
    event: srtp_event_handler_func_t,
    log: srtp_log_handler_func_t,
    /// The log handler's `data` argument, kept as an address.
    log_data: usize,
}

static HANDLERS: Mutex<Handlers> = Mutex::new(Handlers {
    event: None,
    log: None,
    log_data: 0,
});

/// SRTP packets a master key may protect or accept, for streams created from now on
/// (RFC 3711 §9.2's 2^48 by default).
static RTP_KEY_LIMIT: AtomicU64 = AtomicU64::new(1 << 48);

pub(crate) fn rtp_key_limit() -> u64 {
    RTP_KEY_LIMIT.load(Ordering::Relaxed)
}

pub(crate) fn set_rtp_key_limit(limit: u64) {
    RTP_KEY_LIMIT.store(limit, Ordering::Relaxed);
}

pub(crate) fn set_event_handler(f: srtp_event_handler_func_t) {
    if let Ok(mut h) = HANDLERS.lock() {
        h.event = f;
    }
}

pub(crate) fn set_log_handler(f: srtp_log_handler_func_t, data: *mut c_void) {
    if let Ok(mut h) = HANDLERS.lock() {
        h.log = f;
        h.log_data = data as usize;
    }
}

/// Calls the event handler, if one is installed. Events are rare (limits, collisions).
pub(crate) fn fire(session: *mut c_void, ssrc: u32, event: srtp_event_t) {
    let f = HANDLERS.lock().ok().and_then(|h| h.event);
    if let Some(f) = f {
        let mut data = srtp_event_data_t {
            session,
            ssrc,
            event,
        };
        // SAFETY: the application installed `f` as an srtp_event_handler_func_t; `data` lives
        // for the call.
        unsafe { f(&mut data) };
    }
}

/// Sends `msg` to the log handler, if one is installed (never secrets: fixed texts only).
pub(crate) fn log(level: srtp_log_level_t, msg: &'static str) {
    let (f, data) = match HANDLERS.lock() {
        Ok(h) => (h.log, h.log_data),
        Err(_) => return,
    };
    if let Some(f) = f {
        let mut text = [0u8; 128];
        let n = msg.len().min(text.len() - 1);
        text[..n].copy_from_slice(&msg.as_bytes()[..n]);
        // SAFETY: the application installed `f` as an srtp_log_handler_func_t; `text` is
        // NUL-terminated and lives for the call; `data` is the pointer it gave with `f`.
        unsafe { f(level, text.as_ptr() as *const c_char, data as *mut c_void) };
    }
}
