//! Turning C pointers into Rust references and slices, with the NULL and length checks every
//! entry point needs. The only `unsafe` of the C ABI lives here.
#![allow(unsafe_code)]

use crate::error::prose_result;

type R<T> = Result<T, prose_result>;

/// A read-only buffer. NULL is accepted only with length 0.
///
/// # Safety
/// If non-NULL, `ptr` must point to `len` readable octets that stay valid and unmodified for `'a`.
pub(crate) unsafe fn slice<'a>(ptr: *const u8, len: usize) -> R<&'a [u8]> {
    if ptr.is_null() {
        return if len == 0 {
            Ok(&[])
        } else {
            Err(prose_result::PROSE_ERR_NULL_POINTER)
        };
    }
    if len > isize::MAX as usize {
        return Err(prose_result::PROSE_ERR_INVALID_PARAMETER);
    }
    // SAFETY: non-NULL, and the caller guarantees `len` readable octets valid for 'a.
    Ok(unsafe { core::slice::from_raw_parts(ptr, len) })
}

/// A writable buffer. NULL is accepted only with length 0.
///
/// # Safety
/// If non-NULL, `ptr` must point to `len` writable octets, not aliased elsewhere, valid for `'a`.
pub(crate) unsafe fn slice_mut<'a>(ptr: *mut u8, len: usize) -> R<&'a mut [u8]> {
    if ptr.is_null() {
        return if len == 0 {
            Ok(&mut [])
        } else {
            Err(prose_result::PROSE_ERR_NULL_POINTER)
        };
    }
    if len > isize::MAX as usize {
        return Err(prose_result::PROSE_ERR_INVALID_PARAMETER);
    }
    // SAFETY: non-NULL, and the caller guarantees `len` writable, unaliased octets valid for 'a.
    Ok(unsafe { core::slice::from_raw_parts_mut(ptr, len) })
}

/// A shared reference to an opaque object created by this library.
///
/// # Safety
/// If non-NULL, `ptr` must come from this library's `_new` and not yet be freed.
pub(crate) unsafe fn obj<'a, T>(ptr: *const T) -> R<&'a T> {
    // SAFETY: the caller guarantees the pointer came from Box::into_raw and is live.
    unsafe { ptr.as_ref() }.ok_or(prose_result::PROSE_ERR_NULL_POINTER)
}

/// An exclusive reference to an opaque object created by this library.
///
/// # Safety
/// As [`obj`], and no other reference to the object may be live during the call.
pub(crate) unsafe fn obj_mut<'a, T>(ptr: *mut T) -> R<&'a mut T> {
    // SAFETY: the caller guarantees the pointer came from Box::into_raw, is live and unaliased.
    unsafe { ptr.as_mut() }.ok_or(prose_result::PROSE_ERR_NULL_POINTER)
}

/// An output slot; checked for NULL before any work is done, written only on success.
///
/// # Safety
/// If non-NULL, `ptr` must be valid for writing one `T`.
pub(crate) unsafe fn out<'a, T>(ptr: *mut T) -> R<&'a mut T> {
    // SAFETY: the caller guarantees `ptr` is NULL or valid for writes.
    unsafe { ptr.as_mut() }.ok_or(prose_result::PROSE_ERR_NULL_POINTER)
}

/// Moves a new object to the heap and hands its ownership to C.
pub(crate) fn into_raw<T>(v: T) -> *mut T {
    Box::into_raw(Box::new(v))
}

/// Takes back ownership of an object from C and drops it; NULL is a no-op.
///
/// # Safety
/// `ptr` must be NULL or come from [`into_raw`] for the same `T`, and not be used afterwards.
pub(crate) unsafe fn free<T>(ptr: *mut T) {
    if !ptr.is_null() {
        // SAFETY: the caller guarantees the pointer came from Box::into_raw and is not reused.
        drop(unsafe { Box::from_raw(ptr) });
    }
}
