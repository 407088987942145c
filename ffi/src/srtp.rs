//! `prose_srtp_session`: SRTP/SRTCP protect and unprotect in place on caller buffers.

use crate::error::prose_result;
use crate::panic::{guard, guard_or};
use crate::ptr;
use core::ffi::c_uint;
use prose_sec::srtp::{MasterKey, Policy, Profile, Session};

/// An SRTP/SRTCP session: one profile, one or more master keys (named by MKIs), per-SSRC
/// rollover counters and replay windows. Create with `prose_srtp_session_new`, release with
/// `prose_srtp_session_free`. Not thread-safe: use one session from one thread at a time.
pub struct prose_srtp_session {
    inner: Session,
}

/// One packet of a batch call. `buf` holds `len` octets and has room for `capacity`
/// (`capacity >= len + prose_srtp_session_max_overhead()` to protect); on return `len` is the new
/// length if `result` is `PROSE_OK`, and unchanged otherwise. The caller owns `buf`.
///
/// `result` is a `prose_result` value written by the library; it is declared as an unsigned
/// integer because the caller fills the struct, and a field of enum type holding any other value
/// would be undefined behaviour on the library's side. Its value on input is ignored.
#[repr(C)]
pub struct prose_srtp_packet {
    pub buf: *mut u8,
    pub len: usize,
    pub capacity: usize,
    pub result: c_uint,
}

fn master_key(key: &[u8], salt: &[u8], mki: &[u8]) -> Result<MasterKey, prose_result> {
    let k = MasterKey::new(key, salt)?;
    Ok(if mki.is_empty() { k } else { k.with_mki(mki)? })
}

/// Creates a session. `profile` is a profile identifier (1 AES_CM_128_HMAC_SHA1_80,
/// 2 AES_CM_128_HMAC_SHA1_32, 3 AES_256_CM_HMAC_SHA1_80, 4 AES_256_CM_HMAC_SHA1_32,
/// 5 NULL_HMAC_SHA1_80, 6 NULL_HMAC_SHA1_32, 7 AEAD_AES_128_GCM, 8 AEAD_AES_256_GCM).
/// `key`/`salt` is the master key and salt; `mki` (1–4 octets) names the key on the wire, or is
/// NULL with `mki_len` 0 for no MKI. `replay_window` (64–4096) and `max_streams` (1–65536) may
/// be 0 for the defaults (128 and 64). The key material is copied. On success `*session_out`
/// receives a new session the caller owns.
///
/// # Safety
/// Buffers must be valid for their lengths; `session_out` must be valid for writing.
#[no_mangle]
pub unsafe extern "C" fn prose_srtp_session_new(
    profile: u16,
    key: *const u8,
    key_len: usize,
    salt: *const u8,
    salt_len: usize,
    mki: *const u8,
    mki_len: usize,
    replay_window: usize,
    max_streams: usize,
    session_out: *mut *mut prose_srtp_session,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees each pointer is valid for its length (or NULL).
        let (key, salt, mki, out) = unsafe {
            (
                ptr::slice(key, key_len)?,
                ptr::slice(salt, salt_len)?,
                ptr::slice(mki, mki_len)?,
                ptr::out(session_out)?,
            )
        };
        let profile = Profile::from_id(profile)?;
        let mut policy = Policy::new(profile, master_key(key, salt, mki)?);
        if replay_window != 0 {
            policy = policy.with_replay_window(replay_window);
        }
        if max_streams != 0 {
            policy = policy.with_max_streams(max_streams);
        }
        let inner = Session::new(&policy)?;
        *out = ptr::into_raw(prose_srtp_session { inner });
        Ok(())
    })
}

/// Releases a session and zeroizes its keys. NULL is ignored.
///
/// # Safety
/// `session` must be NULL or come from `prose_srtp_session_new`, and not be used afterwards.
#[no_mangle]
pub unsafe extern "C" fn prose_srtp_session_free(session: *mut prose_srtp_session) {
    // SAFETY: the caller guarantees the pointer came from prose_srtp_session_new.
    guard_or((), || unsafe { ptr::free(session) })
}

/// The most octets protecting can add to a packet (trailer: MKI, tag, SRTCP index). Every buffer
/// given to a protect function needs this much room after the packet. 0 if `session` is NULL.
///
/// # Safety
/// `session` must be NULL or a live session.
#[no_mangle]
pub unsafe extern "C" fn prose_srtp_session_max_overhead(
    session: *const prose_srtp_session,
) -> usize {
    guard_or(0, || {
        // SAFETY: the caller guarantees the pointer is NULL or a live session.
        unsafe { ptr::obj(session) }
            .map(|s| s.inner.max_overhead())
            .unwrap_or(0)
    })
}

/// Adds another master key, named by `mki` (required, same length as the session's MKIs).
///
/// # Safety
/// `session` must be a live session; buffers valid for their lengths.
#[no_mangle]
pub unsafe extern "C" fn prose_srtp_session_add_key(
    session: *mut prose_srtp_session,
    key: *const u8,
    key_len: usize,
    salt: *const u8,
    salt_len: usize,
    mki: *const u8,
    mki_len: usize,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees a live session and valid buffers.
        let (s, key, salt, mki) = unsafe {
            (
                ptr::obj_mut(session)?,
                ptr::slice(key, key_len)?,
                ptr::slice(salt, salt_len)?,
                ptr::slice(mki, mki_len)?,
            )
        };
        s.inner.add_key(master_key(key, salt, mki)?)?;
        Ok(())
    })
}

/// Removes (and zeroizes) the master key named by `mki`.
///
/// # Safety
/// `session` must be a live session; `mki` valid for `mki_len` octets.
#[no_mangle]
pub unsafe extern "C" fn prose_srtp_session_remove_key(
    session: *mut prose_srtp_session,
    mki: *const u8,
    mki_len: usize,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees a live session and a valid buffer.
        let (s, mki) = unsafe { (ptr::obj_mut(session)?, ptr::slice(mki, mki_len)?) };
        s.inner.remove_key(mki)?;
        Ok(())
    })
}

/// Chooses the master key (by MKI) used to protect from now on.
///
/// # Safety
/// `session` must be a live session; `mki` valid for `mki_len` octets.
#[no_mangle]
pub unsafe extern "C" fn prose_srtp_session_set_send_mki(
    session: *mut prose_srtp_session,
    mki: *const u8,
    mki_len: usize,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees a live session and a valid buffer.
        let (s, mki) = unsafe { (ptr::obj_mut(session)?, ptr::slice(mki, mki_len)?) };
        s.inner.set_send_mki(mki)?;
        Ok(())
    })
}

/// The rollover counter of `ssrc`. `PROSE_ERR_UNKNOWN_KEY` if the SSRC is not known.
///
/// # Safety
/// `session` must be a live session; `roc_out` valid for writing.
#[no_mangle]
pub unsafe extern "C" fn prose_srtp_session_get_roc(
    session: *const prose_srtp_session,
    ssrc: u32,
    roc_out: *mut u32,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees a live session and a writable output.
        let (s, out) = unsafe { (ptr::obj(session)?, ptr::out(roc_out)?) };
        *out = s
            .inner
            .roc(ssrc)
            .ok_or(prose_result::PROSE_ERR_UNKNOWN_KEY)?;
        Ok(())
    })
}

/// Sets the rollover counter of `ssrc` (a late joiner learns it from the key-management
/// message), creating the stream if absent.
///
/// # Safety
/// `session` must be a live session.
#[no_mangle]
pub unsafe extern "C" fn prose_srtp_session_set_roc(
    session: *mut prose_srtp_session,
    ssrc: u32,
    roc: u32,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees a live session.
        let s = unsafe { ptr::obj_mut(session)? };
        s.inner.set_roc(ssrc, roc)?;
        Ok(())
    })
}

impl prose_srtp_session {
    pub(crate) fn from_session(inner: Session) -> Self {
        prose_srtp_session { inner }
    }
}

type Op = fn(&mut Session, &mut [u8], usize) -> prose_sec::Result<usize>;

/// # Safety
/// As the exported in-place functions below.
unsafe fn in_place(
    session: *mut prose_srtp_session,
    buf: *mut u8,
    len: usize,
    capacity: usize,
    len_out: *mut usize,
    op: Op,
) -> prose_result {
    guard(|| {
        if len > capacity {
            return Err(prose_result::PROSE_ERR_INVALID_PARAMETER);
        }
        // SAFETY: the caller guarantees a live session, `capacity` writable octets at `buf`,
        // and a writable `len_out`.
        let (s, buf, out) = unsafe {
            (
                ptr::obj_mut(session)?,
                ptr::slice_mut(buf, capacity)?,
                ptr::out(len_out)?,
            )
        };
        *out = op(&mut s.inner, buf, len)?;
        Ok(())
    })
}

/// Protects the RTP packet `buf[0..len]` in place; `*len_out` receives the SRTP length.
///
/// # Safety
/// `session` must be a live session, `buf` valid for reading and writing `capacity` octets,
/// `len_out` valid for writing.
#[no_mangle]
pub unsafe extern "C" fn prose_srtp_session_protect_rtp(
    session: *mut prose_srtp_session,
    buf: *mut u8,
    len: usize,
    capacity: usize,
    len_out: *mut usize,
) -> prose_result {
    // SAFETY: forwarded from this function's contract.
    unsafe { in_place(session, buf, len, capacity, len_out, Session::protect_rtp) }
}

/// Verifies and decrypts the SRTP packet `buf[0..len]` in place; `*len_out` receives the RTP
/// length. On any error the buffer and the session are unchanged.
///
/// # Safety
/// `session` must be a live session, `buf` valid for reading and writing `capacity` octets,
/// `len_out` valid for writing.
#[no_mangle]
pub unsafe extern "C" fn prose_srtp_session_unprotect_rtp(
    session: *mut prose_srtp_session,
    buf: *mut u8,
    len: usize,
    capacity: usize,
    len_out: *mut usize,
) -> prose_result {
    // SAFETY: forwarded from this function's contract.
    unsafe { in_place(session, buf, len, capacity, len_out, Session::unprotect_rtp) }
}

/// Protects the RTCP compound packet `buf[0..len]` in place; `*len_out` receives the SRTCP
/// length.
///
/// # Safety
/// `session` must be a live session, `buf` valid for reading and writing `capacity` octets,
/// `len_out` valid for writing.
#[no_mangle]
pub unsafe extern "C" fn prose_srtp_session_protect_rtcp(
    session: *mut prose_srtp_session,
    buf: *mut u8,
    len: usize,
    capacity: usize,
    len_out: *mut usize,
) -> prose_result {
    // SAFETY: forwarded from this function's contract.
    unsafe { in_place(session, buf, len, capacity, len_out, Session::protect_rtcp) }
}

/// Verifies and decrypts the SRTCP packet `buf[0..len]` in place; `*len_out` receives the
/// RTCP length. On any error the buffer and the session are unchanged.
///
/// # Safety
/// `session` must be a live session, `buf` valid for reading and writing `capacity` octets,
/// `len_out` valid for writing.
#[no_mangle]
pub unsafe extern "C" fn prose_srtp_session_unprotect_rtcp(
    session: *mut prose_srtp_session,
    buf: *mut u8,
    len: usize,
    capacity: usize,
    len_out: *mut usize,
) -> prose_result {
    // SAFETY: forwarded from this function's contract.
    unsafe {
        in_place(
            session,
            buf,
            len,
            capacity,
            len_out,
            Session::unprotect_rtcp,
        )
    }
}

type BatchOp = fn(
    &mut Session,
    &mut [(&mut [u8], usize)],
    &mut [prose_sec::Result<usize>],
) -> prose_sec::Result<()>;

const CHUNK: usize = 32;

/// # Safety
/// As the exported batch functions below.
unsafe fn batch(
    session: *mut prose_srtp_session,
    packets: *mut prose_srtp_packet,
    count: usize,
    op: BatchOp,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees a live session.
        let s = unsafe { ptr::obj_mut(session)? };
        if count == 0 {
            return Ok(());
        }
        if packets.is_null() {
            return Err(prose_result::PROSE_ERR_NULL_POINTER);
        }
        // SAFETY: non-NULL, and the caller guarantees `count` valid, unaliased elements.
        let packets = unsafe { core::slice::from_raw_parts_mut(packets, count) };
        for chunk in packets.chunks_mut(CHUNK) {
            let mut bufs: [(&mut [u8], usize); CHUNK] = core::array::from_fn(|_| (&mut [][..], 0));
            let mut results: [prose_sec::Result<usize>; CHUNK] = [Ok(0); CHUNK];
            let mut valid = [false; CHUNK];
            for (i, p) in chunk.iter().enumerate() {
                if p.len > p.capacity {
                    continue;
                }
                // SAFETY: the caller guarantees each packet's buffer is valid for `capacity`
                // octets and distinct from every other packet's.
                if let Ok(b) = unsafe { ptr::slice_mut(p.buf, p.capacity) } {
                    bufs[i] = (b, p.len);
                    valid[i] = true;
                }
            }
            let n = chunk.len();
            op(&mut s.inner, &mut bufs[..n], &mut results[..n])?;
            for (i, p) in chunk.iter_mut().enumerate() {
                let result = if !valid[i] {
                    if p.buf.is_null() {
                        prose_result::PROSE_ERR_NULL_POINTER
                    } else {
                        prose_result::PROSE_ERR_INVALID_PARAMETER
                    }
                } else {
                    match results[i] {
                        Ok(len) => {
                            p.len = len;
                            prose_result::PROSE_OK
                        }
                        Err(e) => e.into(),
                    }
                };
                p.result = result as c_uint;
            }
        }
        Ok(())
    })
}

/// Protects `count` RTP packets. Each packet's `result` tells its outcome; the function itself fails
/// only for a NULL session or array.
///
/// # Safety
/// `session` must be a live session; `packets` valid for `count` elements whose buffers are valid
/// for `capacity` octets each and do not overlap.
#[no_mangle]
pub unsafe extern "C" fn prose_srtp_session_protect_rtp_batch(
    session: *mut prose_srtp_session,
    packets: *mut prose_srtp_packet,
    count: usize,
) -> prose_result {
    // SAFETY: forwarded from this function's contract.
    unsafe { batch(session, packets, count, Session::protect_rtp_batch) }
}

/// Unprotects `count` SRTP packets. Each packet's `result` tells its outcome; the function itself fails
/// only for a NULL session or array.
///
/// # Safety
/// `session` must be a live session; `packets` valid for `count` elements whose buffers are valid
/// for `capacity` octets each and do not overlap.
#[no_mangle]
pub unsafe extern "C" fn prose_srtp_session_unprotect_rtp_batch(
    session: *mut prose_srtp_session,
    packets: *mut prose_srtp_packet,
    count: usize,
) -> prose_result {
    // SAFETY: forwarded from this function's contract.
    unsafe { batch(session, packets, count, Session::unprotect_rtp_batch) }
}

/// Protects `count` RTCP packets. Each packet's `result` tells its outcome; the function itself fails
/// only for a NULL session or array.
///
/// # Safety
/// `session` must be a live session; `packets` valid for `count` elements whose buffers are valid
/// for `capacity` octets each and do not overlap.
#[no_mangle]
pub unsafe extern "C" fn prose_srtp_session_protect_rtcp_batch(
    session: *mut prose_srtp_session,
    packets: *mut prose_srtp_packet,
    count: usize,
) -> prose_result {
    // SAFETY: forwarded from this function's contract.
    unsafe { batch(session, packets, count, Session::protect_rtcp_batch) }
}

/// Unprotects `count` SRTCP packets. Each packet's `result` tells its outcome; the function itself fails
/// only for a NULL session or array.
///
/// # Safety
/// `session` must be a live session; `packets` valid for `count` elements whose buffers are valid
/// for `capacity` octets each and do not overlap.
#[no_mangle]
pub unsafe extern "C" fn prose_srtp_session_unprotect_rtcp_batch(
    session: *mut prose_srtp_session,
    packets: *mut prose_srtp_packet,
    count: usize,
) -> prose_result {
    // SAFETY: forwarded from this function's contract.
    unsafe { batch(session, packets, count, Session::unprotect_rtcp_batch) }
}
