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

/// A read-only array of `u32` (SSRCs, ROCs). NULL is accepted only with length 0; a pointer
/// not aligned for `u32` is refused (reading through it would be undefined behaviour).
///
/// # Safety
/// If non-NULL, `ptr` must point to `len` readable `u32`s that stay valid and unmodified for `'a`.
pub(crate) unsafe fn slice_u32<'a>(ptr: *const u32, len: usize) -> R<&'a [u32]> {
    if ptr.is_null() {
        return if len == 0 {
            Ok(&[])
        } else {
            Err(prose_result::PROSE_ERR_NULL_POINTER)
        };
    }
    if !ptr.is_aligned() || len > isize::MAX as usize / 4 {
        return Err(prose_result::PROSE_ERR_INVALID_PARAMETER);
    }
    // SAFETY: non-NULL and aligned, and the caller guarantees `len` readable values for 'a.
    Ok(unsafe { core::slice::from_raw_parts(ptr, len) })
}

/// A read-only array of `T` (pointers, lengths). NULL is accepted only with length 0; a pointer
/// not aligned for `T` is refused.
///
/// # Safety
/// If non-NULL, `ptr` must point to `len` readable, initialised `T`s valid and unmodified for `'a`.
pub(crate) unsafe fn array<'a, T>(ptr: *const T, len: usize) -> R<&'a [T]> {
    if ptr.is_null() {
        return if len == 0 {
            Ok(&[])
        } else {
            Err(prose_result::PROSE_ERR_NULL_POINTER)
        };
    }
    let size = core::mem::size_of::<T>().max(1);
    if !ptr.is_aligned() || len > isize::MAX as usize / size {
        return Err(prose_result::PROSE_ERR_INVALID_PARAMETER);
    }
    // SAFETY: non-NULL and aligned, and the caller guarantees `len` readable values for 'a.
    Ok(unsafe { core::slice::from_raw_parts(ptr, len) })
}

/// An output array of `len` slots, checked (NULL only with length 0, aligned) but not borrowed:
/// the slots may hold anything before the call, so they are only written, with [`write_at`].
///
/// # Safety
/// If non-NULL, `ptr` must be valid for writing `len` values of `T`.
pub(crate) unsafe fn out_array<T>(ptr: *mut T, len: usize) -> R<*mut T> {
    if ptr.is_null() {
        return if len == 0 {
            Ok(ptr)
        } else {
            Err(prose_result::PROSE_ERR_NULL_POINTER)
        };
    }
    let size = core::mem::size_of::<T>().max(1);
    if !ptr.is_aligned() || len > isize::MAX as usize / size {
        return Err(prose_result::PROSE_ERR_INVALID_PARAMETER);
    }
    Ok(ptr)
}

/// Writes `value` to slot `i` of an array checked by [`out_array`], without reading the slot.
///
/// # Safety
/// `ptr` from [`out_array`] with a length greater than `i`.
pub(crate) unsafe fn write_at<T>(ptr: *mut T, i: usize, value: T) {
    // SAFETY: the caller guarantees slot `i` is inside the checked, writable array.
    unsafe { ptr.add(i).write(value) }
}

/// Writes a whole value to an output slot without reading or borrowing what it held (a
/// struct the caller left uninitialised may hold invalid enum values): NULL and misaligned
/// pointers are refused.
///
/// # Safety
/// If non-NULL, `ptr` must be valid for writing one `T`.
pub(crate) unsafe fn write<T>(ptr: *mut T, value: T) -> R<()> {
    // SAFETY: forwarded from this function's contract (a single slot).
    let p = unsafe { out_array(ptr, 1)? };
    // SAFETY: checked non-NULL and aligned, and the caller guarantees it is writable.
    unsafe { write_at(p, 0, value) };
    Ok(())
}

/// A writable output buffer that must not overlap any of `inputs` (pointer, length): an output
/// aliasing an input would be undefined behaviour once both are borrowed, so it is refused with
/// `PROSE_ERR_INVALID_PARAMETER` before any reference is made. NULL as [`slice_mut`].
///
/// # Safety
/// As [`slice_mut`].
pub(crate) unsafe fn slice_mut_apart<'a>(
    ptr: *mut u8,
    len: usize,
    inputs: &[(*const u8, usize)],
) -> R<&'a mut [u8]> {
    let start = ptr as usize;
    for &(p, n) in inputs {
        let other = p as usize;
        if n != 0 && len != 0 && !p.is_null() && !ptr.is_null() {
            let apart = start.checked_add(len).is_some_and(|end| end <= other)
                || other.checked_add(n).is_some_and(|end| end <= start);
            if !apart {
                return Err(prose_result::PROSE_ERR_INVALID_PARAMETER);
            }
        }
    }
    // SAFETY: forwarded from this function's contract.
    unsafe { slice_mut(ptr, len) }
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
/// A pointer not aligned for `T` is refused (writing through it would be undefined behaviour).
pub(crate) unsafe fn out<'a, T>(ptr: *mut T) -> R<&'a mut T> {
    if !ptr.is_null() && !ptr.is_aligned() {
        return Err(prose_result::PROSE_ERR_INVALID_PARAMETER);
    }
    // SAFETY: the caller guarantees `ptr` is NULL or valid for writes; checked aligned above.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_output_is_refused() {
        let mut buf = [0u8; 64];
        let base = buf.as_mut_ptr();
        // SAFETY: every pointer below points into `buf` with a length inside it.
        unsafe {
            let input = (base.add(16) as *const u8, 16);
            for (start, len) in [(0, 17), (16, 1), (31, 4), (20, 2), (0, 64)] {
                assert_eq!(
                    slice_mut_apart(base.add(start), len, &[input]).err(),
                    Some(prose_result::PROSE_ERR_INVALID_PARAMETER),
                    "{start}+{len}"
                );
            }
            for (start, len) in [(0, 16), (32, 32), (16, 0)] {
                assert!(slice_mut_apart(base.add(start), len, &[input]).is_ok());
            }
            // An empty input overlaps nothing.
            assert!(slice_mut_apart(base, 64, &[(base.add(8) as *const u8, 0)]).is_ok());
        }
    }

    #[test]
    fn misaligned_u32_pointers_are_refused() {
        let words = [0u32; 4];
        let p = words.as_ptr() as *const u8;
        // SAFETY: the pointers stay inside `words`; the misaligned ones are refused before use.
        unsafe {
            let odd = p.add(1) as *const u32;
            assert_eq!(
                slice_u32(odd, 2).err(),
                Some(prose_result::PROSE_ERR_INVALID_PARAMETER)
            );
            assert_eq!(slice_u32(words.as_ptr(), 4).map(|s| s.len()), Ok(4));
            assert_eq!(
                slice_u32(core::ptr::null(), 1).err(),
                Some(prose_result::PROSE_ERR_NULL_POINTER)
            );
            let mut out_words = [0u32; 2];
            let odd_out = (out_words.as_mut_ptr() as *mut u8).add(2) as *mut u32;
            assert_eq!(
                out(odd_out).err(),
                Some(prose_result::PROSE_ERR_INVALID_PARAMETER)
            );
        }
    }

    #[test]
    fn null_is_empty_only() {
        // SAFETY: NULL pointers are never dereferenced; the non-NULL ones point into `buf`.
        unsafe {
            assert_eq!(slice(core::ptr::null(), 0), Ok(&[][..]));
            assert_eq!(
                slice(core::ptr::null(), 1).err(),
                Some(prose_result::PROSE_ERR_NULL_POINTER)
            );
            assert_eq!(slice_mut(core::ptr::null_mut(), 0).map(|s| s.len()), Ok(0));
            assert_eq!(
                slice_mut(core::ptr::null_mut(), 3).err(),
                Some(prose_result::PROSE_ERR_NULL_POINTER)
            );
            assert_eq!(array::<u64>(core::ptr::null(), 0).map(|s| s.len()), Ok(0));
            assert_eq!(
                array::<u64>(core::ptr::null(), 2).err(),
                Some(prose_result::PROSE_ERR_NULL_POINTER)
            );
            assert_eq!(
                out_array::<u32>(core::ptr::null_mut(), 1).err(),
                Some(prose_result::PROSE_ERR_NULL_POINTER)
            );
            assert!(out_array::<u32>(core::ptr::null_mut(), 0).is_ok());
            assert_eq!(
                write::<u32>(core::ptr::null_mut(), 1).err(),
                Some(prose_result::PROSE_ERR_NULL_POINTER)
            );
            assert_eq!(
                obj::<u32>(core::ptr::null()).err(),
                Some(prose_result::PROSE_ERR_NULL_POINTER)
            );
            assert_eq!(
                obj_mut::<u32>(core::ptr::null_mut()).err(),
                Some(prose_result::PROSE_ERR_NULL_POINTER)
            );
            assert_eq!(
                out::<u32>(core::ptr::null_mut()).err(),
                Some(prose_result::PROSE_ERR_NULL_POINTER)
            );
            free::<u32>(core::ptr::null_mut());
            // A non-NULL pointer with length 0 gives an empty slice without reading.
            let buf = [1u8; 4];
            assert_eq!(slice(buf.as_ptr(), 0), Ok(&[][..]));
        }
    }

    #[test]
    fn lengths_past_isize_max_are_refused_before_any_slice() {
        let mut buf = [0u64; 2];
        let p = buf.as_mut_ptr();
        // SAFETY: every call refuses its length before making a slice of it.
        unsafe {
            let too_long = isize::MAX as usize + 1;
            assert_eq!(
                slice(p as *const u8, too_long).err(),
                Some(prose_result::PROSE_ERR_INVALID_PARAMETER)
            );
            assert_eq!(
                slice_mut(p as *mut u8, usize::MAX).err(),
                Some(prose_result::PROSE_ERR_INVALID_PARAMETER)
            );
            assert_eq!(
                slice_u32(p as *const u32, isize::MAX as usize / 4 + 1).err(),
                Some(prose_result::PROSE_ERR_INVALID_PARAMETER)
            );
            assert_eq!(
                array(p as *const u64, isize::MAX as usize / 8 + 1).err(),
                Some(prose_result::PROSE_ERR_INVALID_PARAMETER)
            );
            assert_eq!(
                out_array(p, isize::MAX as usize / 8 + 1).err(),
                Some(prose_result::PROSE_ERR_INVALID_PARAMETER)
            );
        }
    }

    #[test]
    fn borrowed_buffers_read_and_write_the_callers_memory() {
        let mut buf = [0u8; 8];
        let words = [7u64, 8, 9];
        // SAFETY: the pointers and lengths describe `buf` and `words`, each borrowed once.
        unsafe {
            let w = slice_mut(buf.as_mut_ptr(), 8).unwrap();
            w[7] = 0xee;
            assert_eq!(slice(buf.as_ptr(), 8).unwrap()[7], 0xee);
            assert_eq!(array(words.as_ptr(), 3), Ok(&words[..]));
            let misaligned = (words.as_ptr() as *const u8).add(4) as *const u64;
            assert_eq!(
                array(misaligned, 1).err(),
                Some(prose_result::PROSE_ERR_INVALID_PARAMETER)
            );
        }
        assert_eq!(buf[7], 0xee);
    }

    #[test]
    fn output_slots_are_written_without_being_read() {
        // Uninitialised slots, as a C caller may pass them: only written, never read first.
        let mut slots = [const { core::mem::MaybeUninit::<String>::uninit() }; 3];
        let p = slots.as_mut_ptr() as *mut String;
        // SAFETY: `p` points to three writable slots; each is written once, then read back.
        unsafe {
            let q = out_array(p, 3).unwrap();
            for i in 0..3 {
                write_at(q, i, format!("slot {i}"));
            }
            assert_eq!(*p.add(1), "slot 1");
            for s in &mut slots {
                s.assume_init_drop();
            }
            let mut single = core::mem::MaybeUninit::<u32>::uninit();
            write(single.as_mut_ptr(), 5).unwrap();
            assert_eq!(single.assume_init(), 5);
            let misaligned = (slots.as_mut_ptr() as *mut u8).add(1) as *mut u64;
            assert_eq!(
                write(misaligned, 1).err(),
                Some(prose_result::PROSE_ERR_INVALID_PARAMETER)
            );
        }
    }

    #[test]
    fn objects_round_trip_through_raw_pointers() {
        let p = into_raw(vec![1u32, 2, 3]);
        // SAFETY: `p` comes from `into_raw`, is used while live and freed once.
        unsafe {
            obj_mut(p).unwrap().push(4);
            assert_eq!(obj(p as *const Vec<u32>).unwrap(), &[1, 2, 3, 4]);
            let mut n = 0u64;
            *out(&mut n as *mut u64).unwrap() = 11;
            assert_eq!(n, 11);
            free(p);
        }
    }
}
