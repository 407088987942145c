//! ECCSI (RFC 6507): KMS keys, SSK/PVT issue and validation, signing and verification (with a
//! per-signer cached verifier).

use crate::bytes::put;
use crate::error::prose_result;
use crate::panic::{guard, guard_or};
use crate::ptr;
use prose_sec::eccsi::{self, Kpak, Ksak, SigningKey, Ssk, Verifier};
use rand_core::OsRng;

/// Octets of an ECCSI signature (r ‖ s ‖ PVT).
pub const PROSE_ECCSI_SIGNATURE_LEN: usize = 129;
/// Octets of an encoded P-256 point (04 ‖ x ‖ y): KPAK, PVT.
pub const PROSE_ECCSI_POINT_LEN: usize = 65;
/// Octets of a scalar: KSAK, SSK.
pub const PROSE_ECCSI_SCALAR_LEN: usize = 32;

/// The KMS secret authentication key (KSAK). Zeroized when freed.
pub struct prose_eccsi_ksak {
    pub(crate) inner: Ksak,
}
/// The KMS public authentication key (KPAK).
pub struct prose_eccsi_kpak {
    pub(crate) inner: Kpak,
}
/// A signer's validated key (identifier, SSK, PVT). Zeroized when freed.
pub struct prose_eccsi_signing_key {
    pub(crate) inner: SigningKey,
}
/// A verifier for one signer (identifier, PVT), caching the signer's point.
pub struct prose_eccsi_verifier {
    pub(crate) inner: Verifier,
}

/// Generates a KSAK from the operating system's RNG.
///
/// # Safety
/// `ksak_out` valid for writing.
#[no_mangle]
pub unsafe extern "C" fn prose_eccsi_ksak_generate(
    ksak_out: *mut *mut prose_eccsi_ksak,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees a writable output.
        let out = unsafe { ptr::out(ksak_out)? };
        *out = ptr::into_raw(prose_eccsi_ksak {
            inner: Ksak::try_generate(&mut OsRng)?,
        });
        Ok(())
    })
}

/// A KSAK from 32 big-endian octets (1 ≤ KSAK < q).
///
/// # Safety
/// `ksak` valid for `ksak_len` octets; `ksak_out` valid for writing.
#[no_mangle]
pub unsafe extern "C" fn prose_eccsi_ksak_from_bytes(
    ksak: *const u8,
    ksak_len: usize,
    ksak_out: *mut *mut prose_eccsi_ksak,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees valid buffers.
        let (b, out) = unsafe { (ptr::slice(ksak, ksak_len)?, ptr::out(ksak_out)?) };
        *out = ptr::into_raw(prose_eccsi_ksak {
            inner: Ksak::from_bytes(b)?,
        });
        Ok(())
    })
}

/// Releases (and zeroizes) a KSAK. NULL is ignored.
///
/// # Safety
/// `ksak` NULL or a live object, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn prose_eccsi_ksak_free(ksak: *mut prose_eccsi_ksak) {
    // SAFETY: the caller guarantees NULL or a live object.
    guard_or((), || unsafe { ptr::free(ksak) })
}

/// The KPAK of a KSAK.
///
/// # Safety
/// `ksak` a live object; `kpak_out` valid for writing.
#[no_mangle]
pub unsafe extern "C" fn prose_eccsi_ksak_kpak(
    ksak: *const prose_eccsi_ksak,
    kpak_out: *mut *mut prose_eccsi_kpak,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees valid pointers.
        let (k, out) = unsafe { (ptr::obj(ksak)?, ptr::out(kpak_out)?) };
        *out = ptr::into_raw(prose_eccsi_kpak {
            inner: k.inner.kpak(),
        });
        Ok(())
    })
}

/// Issues the SSK (32 octets) and PVT (65 octets) of identifier `id`.
///
/// # Safety
/// `ksak` a live object; buffers valid for their lengths.
#[no_mangle]
pub unsafe extern "C" fn prose_eccsi_ksak_issue(
    ksak: *const prose_eccsi_ksak,
    id: *const u8,
    id_len: usize,
    ssk_out: *mut u8,
    ssk_out_len: usize,
    pvt_out: *mut u8,
    pvt_out_len: usize,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees valid pointers.
        let (k, id, ssk_out, pvt_out) = unsafe {
            (
                ptr::obj(ksak)?,
                ptr::slice(id, id_len)?,
                ptr::slice_mut_apart(ssk_out, ssk_out_len, &[(id, id_len)])?,
                ptr::slice_mut_apart(
                    pvt_out,
                    pvt_out_len,
                    &[(id, id_len), (ssk_out as *const u8, ssk_out_len)],
                )?,
            )
        };
        if ssk_out.len() < PROSE_ECCSI_SCALAR_LEN || pvt_out.len() < PROSE_ECCSI_POINT_LEN {
            return Err(prose_result::PROSE_ERR_BUFFER_TOO_SMALL);
        }
        let (ssk, pvt) = k.inner.issue(id, &mut OsRng)?;
        put(ssk_out, &ssk.to_bytes())?;
        put(pvt_out, &pvt)
    })
}

/// A KPAK from 65 octets 04 ‖ x ‖ y (checked on the curve).
///
/// # Safety
/// `kpak` valid for `kpak_len` octets; `kpak_out` valid for writing.
#[no_mangle]
pub unsafe extern "C" fn prose_eccsi_kpak_from_bytes(
    kpak: *const u8,
    kpak_len: usize,
    kpak_out: *mut *mut prose_eccsi_kpak,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees valid buffers.
        let (b, out) = unsafe { (ptr::slice(kpak, kpak_len)?, ptr::out(kpak_out)?) };
        *out = ptr::into_raw(prose_eccsi_kpak {
            inner: Kpak::from_sec1(b)?,
        });
        Ok(())
    })
}

/// Writes the KPAK as 65 octets into `out` (`out_len` ≥ 65).
///
/// # Safety
/// `kpak` a live object; `out` valid for `out_len` octets.
#[no_mangle]
pub unsafe extern "C" fn prose_eccsi_kpak_to_bytes(
    kpak: *const prose_eccsi_kpak,
    out: *mut u8,
    out_len: usize,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees a live object and a valid buffer.
        let (k, out) = unsafe { (ptr::obj(kpak)?, ptr::slice_mut(out, out_len)?) };
        put(out, &k.inner.to_sec1())
    })
}

/// Releases a KPAK. NULL is ignored.
///
/// # Safety
/// `kpak` NULL or a live object, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn prose_eccsi_kpak_free(kpak: *mut prose_eccsi_kpak) {
    // SAFETY: the caller guarantees NULL or a live object.
    guard_or((), || unsafe { ptr::free(kpak) })
}

/// A signing key for identifier `id` from its SSK (32 octets) and PVT (65 octets), validated
/// against the KPAK (RFC 6507 §5.1.2; `PROSE_ERR_INVALID_KEY` if it does not hold).
///
/// # Safety
/// `kpak` a live object; buffers valid for their lengths; `key_out` valid for writing.
#[no_mangle]
pub unsafe extern "C" fn prose_eccsi_signing_key_new(
    kpak: *const prose_eccsi_kpak,
    id: *const u8,
    id_len: usize,
    ssk: *const u8,
    ssk_len: usize,
    pvt: *const u8,
    pvt_len: usize,
    key_out: *mut *mut prose_eccsi_signing_key,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees valid pointers.
        let (kpak, id, ssk, pvt, out) = unsafe {
            (
                ptr::obj(kpak)?,
                ptr::slice(id, id_len)?,
                ptr::slice(ssk, ssk_len)?,
                ptr::slice(pvt, pvt_len)?,
                ptr::out(key_out)?,
            )
        };
        let ssk = Ssk::from_bytes(ssk)?;
        *out = ptr::into_raw(prose_eccsi_signing_key {
            inner: SigningKey::new(&kpak.inner, id, &ssk, pvt)?,
        });
        Ok(())
    })
}

/// Signs `msg`: writes r ‖ s ‖ PVT (129 octets) into `sig_out`.
///
/// # Safety
/// `key` a live object; buffers valid for their lengths.
#[no_mangle]
pub unsafe extern "C" fn prose_eccsi_signing_key_sign(
    key: *const prose_eccsi_signing_key,
    msg: *const u8,
    msg_len: usize,
    sig_out: *mut u8,
    sig_out_len: usize,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees valid pointers.
        let (k, msg, out) = unsafe {
            (
                ptr::obj(key)?,
                ptr::slice(msg, msg_len)?,
                ptr::slice_mut_apart(sig_out, sig_out_len, &[(msg, msg_len)])?,
            )
        };
        if out.len() < PROSE_ECCSI_SIGNATURE_LEN {
            return Err(prose_result::PROSE_ERR_BUFFER_TOO_SMALL);
        }
        put(out, &k.inner.sign(msg, &mut OsRng)?)
    })
}

/// Releases (and zeroizes) a signing key. NULL is ignored.
///
/// # Safety
/// `key` NULL or a live object, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn prose_eccsi_signing_key_free(key: *mut prose_eccsi_signing_key) {
    // SAFETY: the caller guarantees NULL or a live object.
    guard_or((), || unsafe { ptr::free(key) })
}

/// Verifies signature `sig` (129 octets) of `msg` by identifier `id` under the KPAK
/// (`PROSE_ERR_INVALID_SIGNATURE` if it does not verify).
///
/// # Safety
/// `kpak` a live object; buffers valid for their lengths.
#[no_mangle]
pub unsafe extern "C" fn prose_eccsi_verify(
    kpak: *const prose_eccsi_kpak,
    id: *const u8,
    id_len: usize,
    msg: *const u8,
    msg_len: usize,
    sig: *const u8,
    sig_len: usize,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees valid pointers.
        let (kpak, id, msg, sig) = unsafe {
            (
                ptr::obj(kpak)?,
                ptr::slice(id, id_len)?,
                ptr::slice(msg, msg_len)?,
                ptr::slice(sig, sig_len)?,
            )
        };
        eccsi::verify(&kpak.inner, id, msg, sig)?;
        Ok(())
    })
}

/// A verifier for one signer (identifier and PVT): repeated verifications are cheaper.
///
/// # Safety
/// `kpak` a live object; buffers valid for their lengths; `verifier_out` valid for writing.
#[no_mangle]
pub unsafe extern "C" fn prose_eccsi_verifier_new(
    kpak: *const prose_eccsi_kpak,
    id: *const u8,
    id_len: usize,
    pvt: *const u8,
    pvt_len: usize,
    verifier_out: *mut *mut prose_eccsi_verifier,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees valid pointers.
        let (kpak, id, pvt, out) = unsafe {
            (
                ptr::obj(kpak)?,
                ptr::slice(id, id_len)?,
                ptr::slice(pvt, pvt_len)?,
                ptr::out(verifier_out)?,
            )
        };
        *out = ptr::into_raw(prose_eccsi_verifier {
            inner: Verifier::new(&kpak.inner, id, pvt)?,
        });
        Ok(())
    })
}

/// Verifies `sig` of `msg` with a cached verifier.
///
/// # Safety
/// `verifier` a live object; buffers valid for their lengths.
#[no_mangle]
pub unsafe extern "C" fn prose_eccsi_verifier_verify(
    verifier: *const prose_eccsi_verifier,
    msg: *const u8,
    msg_len: usize,
    sig: *const u8,
    sig_len: usize,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees valid pointers.
        let (v, msg, sig) = unsafe {
            (
                ptr::obj(verifier)?,
                ptr::slice(msg, msg_len)?,
                ptr::slice(sig, sig_len)?,
            )
        };
        v.inner.verify(msg, sig)?;
        Ok(())
    })
}

/// Releases a verifier. NULL is ignored.
///
/// # Safety
/// `verifier` NULL or a live object, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn prose_eccsi_verifier_free(verifier: *mut prose_eccsi_verifier) {
    // SAFETY: the caller guarantees NULL or a live object.
    guard_or((), || unsafe { ptr::free(verifier) })
}
