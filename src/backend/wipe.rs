//! Wiping values of other crates whose types do not wipe themselves (RustCrypto's run-time
//! detected `polyval`, inside `aes-gcm`, keeps the GHASH key H with no `Drop`; `sha1`'s
//! `Sha1Core` offers no `Zeroize`). Portable code; the one place outside the arch leaves that
//! needs `unsafe`, kept to a few lines.
#![allow(unsafe_code)]

use core::mem::MaybeUninit;
use core::ops::{Deref, DerefMut};
use core::sync::atomic::{compiler_fence, Ordering};

use zeroize::Zeroize;

/// A heap value whose memory is overwritten with zeros after its own `Drop` ran, before the
/// allocation is freed.
pub(crate) struct WipedBox<T>(Box<MaybeUninit<T>>);

impl<T> WipedBox<T> {
    pub(crate) fn new(value: T) -> Self {
        WipedBox(Box::new(MaybeUninit::new(value)))
    }
}

impl<T> Deref for WipedBox<T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the slot is initialised in `new` and only dropped in `Drop`.
        unsafe { self.0.assume_init_ref() }
    }
}

impl<T> DerefMut for WipedBox<T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as for `deref`.
        unsafe { self.0.assume_init_mut() }
    }
}

impl<T> Drop for WipedBox<T> {
    fn drop(&mut self) {
        // SAFETY: the slot is initialised (see `deref`) and is not used again after this.
        unsafe { drop_and_wipe(&mut self.0) };
    }
}

/// Drops the value in `slot` and overwrites its bytes with zeros (volatile writes the
/// optimiser keeps).
///
/// # Safety
/// `slot` must hold an initialised value, which the caller must not use again.
unsafe fn drop_and_wipe<T>(slot: &mut MaybeUninit<T>) {
    // SAFETY: the caller guarantees the value is initialised and not used again.
    unsafe { slot.assume_init_drop() };
    // After the drop the slot is plain memory; zeroize writes it with volatile stores.
    slot.zeroize();
    compiler_fence(Ordering::SeqCst);
}

/// Replaces `*dst` with `value` through a volatile write, so that overwriting a secret state
/// with a fresh one is not removed as a dead store when `dst` is about to be freed.
/// Only for types without drop glue (checked at compile time), whose old value needs no drop.
pub(crate) fn overwrite<T>(dst: &mut T, value: T) {
    const { assert!(!core::mem::needs_drop::<T>()) };
    // SAFETY: `dst` is a valid, aligned, exclusive reference; `T` has no drop glue, so
    // writing over the old value without dropping it leaks nothing.
    unsafe { core::ptr::write_volatile(dst, value) };
    compiler_fence(Ordering::SeqCst);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    struct Secret<'a> {
        bytes: [u8; 48],
        dropped: &'a Cell<bool>,
    }

    impl Drop for Secret<'_> {
        fn drop(&mut self) {
            self.dropped.set(true);
        }
    }

    #[test]
    fn drop_runs_then_every_byte_is_zero() {
        let dropped = Cell::new(false);
        let mut slot = MaybeUninit::new(Secret {
            bytes: [0xa5; 48],
            dropped: &dropped,
        });
        // SAFETY: initialised just above.
        assert_eq!(unsafe { slot.assume_init_ref() }.bytes[47], 0xa5);
        // SAFETY: initialised just above and not used as a `Secret` again.
        unsafe { drop_and_wipe(&mut slot) };
        assert!(dropped.get());
        // SAFETY: every byte of the slot was written (with zeros) by `drop_and_wipe`.
        let bytes: [u8; core::mem::size_of::<Secret<'static>>()] =
            unsafe { core::mem::transmute_copy(&slot) };
        assert!(bytes.iter().all(|&b| b == 0));
    }

    #[test]
    fn wiped_box_derefs_to_its_value() {
        let mut b = WipedBox::new([7u32; 4]);
        b[1] = 9;
        assert_eq!(*b, [7, 9, 7, 7]);
    }

    #[test]
    fn overwrite_replaces() {
        let mut x = [1u32; 5];
        overwrite(&mut x, [0; 5]);
        assert_eq!(x, [0; 5]);
    }
}
