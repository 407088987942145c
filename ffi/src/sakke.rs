//! SAKKE (RFC 6508, RFC 6509 parameter set 1): KMS keys, RSK issue and validation,
//! encapsulation and decapsulation, with the member's precomputation object.

use crate::bytes::put;
use crate::error::prose_result;
use crate::panic::{guard, guard_or};
use crate::ptr;
use prose_sec::sakke::{self, DecapsulationKey, KmsPublic, KmsSecret, Rsk, Ssv};
use rand_core::OsRng;

/// Octets of an encapsulated SSV (R ‖ H).
pub const PROSE_SAKKE_SED_LEN: usize = 273;
/// Octets of an encoded point (04 ‖ x ‖ y): KMS public key Z, RSK.
pub const PROSE_SAKKE_POINT_LEN: usize = 257;
/// Octets of the KMS master secret z.
pub const PROSE_SAKKE_SECRET_LEN: usize = 128;
/// Octets of a shared secret value (SSV).
pub const PROSE_SAKKE_SSV_LEN: usize = 16;

/// The KMS master secret z. Zeroized when freed.
pub struct prose_sakke_kms_secret {
    pub(crate) inner: KmsSecret,
}
/// The KMS public key Z, with its fixed-base tables once built.
pub struct prose_sakke_kms_public {
    pub(crate) inner: KmsPublic,
}
/// A receiver secret key (RSK). Zeroized when freed.
pub struct prose_sakke_rsk {
    pub(crate) inner: Rsk,
}
/// A member's decapsulation key: a validated RSK and its pairing precomputation.
pub struct prose_sakke_decapsulation_key {
    pub(crate) inner: DecapsulationKey,
}

/// Generates a KMS master secret from the operating system's RNG.
///
/// # Safety
/// `secret_out` must be valid for writing.
#[no_mangle]
pub unsafe extern "C" fn prose_sakke_kms_secret_generate(
    secret_out: *mut *mut prose_sakke_kms_secret,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees a writable output.
        let out = unsafe { ptr::out(secret_out)? };
        *out = ptr::into_raw(prose_sakke_kms_secret {
            inner: KmsSecret::try_generate(&mut OsRng)?,
        });
        Ok(())
    })
}

/// A KMS master secret from big-endian octets (1 ≤ z < q).
///
/// # Safety
/// `z` valid for `z_len` octets; `secret_out` valid for writing.
#[no_mangle]
pub unsafe extern "C" fn prose_sakke_kms_secret_from_bytes(
    z: *const u8,
    z_len: usize,
    secret_out: *mut *mut prose_sakke_kms_secret,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees valid buffers.
        let (z, out) = unsafe { (ptr::slice(z, z_len)?, ptr::out(secret_out)?) };
        *out = ptr::into_raw(prose_sakke_kms_secret {
            inner: KmsSecret::from_bytes(z)?,
        });
        Ok(())
    })
}

/// Writes z as 128 big-endian octets into `out` (`out_len` ≥ 128).
///
/// # Safety
/// `secret` a live object; `out` valid for `out_len` octets.
#[no_mangle]
pub unsafe extern "C" fn prose_sakke_kms_secret_to_bytes(
    secret: *const prose_sakke_kms_secret,
    out: *mut u8,
    out_len: usize,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees a live object and a valid buffer.
        let (s, out) = unsafe { (ptr::obj(secret)?, ptr::slice_mut(out, out_len)?) };
        put(out, &s.inner.to_bytes())
    })
}

/// Releases (and zeroizes) a KMS master secret. NULL is ignored.
///
/// # Safety
/// `secret` NULL or a live object, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn prose_sakke_kms_secret_free(secret: *mut prose_sakke_kms_secret) {
    // SAFETY: the caller guarantees NULL or a live object.
    guard_or((), || unsafe { ptr::free(secret) })
}

/// The KMS public key Z = [z]P of a master secret.
///
/// # Safety
/// `secret` a live object; `public_out` valid for writing.
#[no_mangle]
pub unsafe extern "C" fn prose_sakke_kms_secret_public(
    secret: *const prose_sakke_kms_secret,
    public_out: *mut *mut prose_sakke_kms_public,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees a live object and a writable output.
        let (s, out) = unsafe { (ptr::obj(secret)?, ptr::out(public_out)?) };
        *out = ptr::into_raw(prose_sakke_kms_public {
            inner: s.inner.public(),
        });
        Ok(())
    })
}

/// Issues the RSK of identifier `id`.
///
/// # Safety
/// `secret` a live object; `id` valid for `id_len` octets; `rsk_out` valid for writing.
#[no_mangle]
pub unsafe extern "C" fn prose_sakke_kms_secret_issue_rsk(
    secret: *const prose_sakke_kms_secret,
    id: *const u8,
    id_len: usize,
    rsk_out: *mut *mut prose_sakke_rsk,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees valid pointers.
        let (s, id, out) = unsafe {
            (
                ptr::obj(secret)?,
                ptr::slice(id, id_len)?,
                ptr::out(rsk_out)?,
            )
        };
        *out = ptr::into_raw(prose_sakke_rsk {
            inner: s.inner.issue_rsk(id)?,
        });
        Ok(())
    })
}

/// A KMS public key from 257 octets 04 ‖ x ‖ y (checked on the curve and in the subgroup).
///
/// # Safety
/// `z` valid for `z_len` octets; `public_out` valid for writing.
#[no_mangle]
pub unsafe extern "C" fn prose_sakke_kms_public_from_bytes(
    z: *const u8,
    z_len: usize,
    public_out: *mut *mut prose_sakke_kms_public,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees valid buffers.
        let (z, out) = unsafe { (ptr::slice(z, z_len)?, ptr::out(public_out)?) };
        *out = ptr::into_raw(prose_sakke_kms_public {
            inner: KmsPublic::from_bytes(z)?,
        });
        Ok(())
    })
}

/// Writes Z as 257 octets into `out` (`out_len` ≥ 257).
///
/// # Safety
/// `public` a live object; `out` valid for `out_len` octets.
#[no_mangle]
pub unsafe extern "C" fn prose_sakke_kms_public_to_bytes(
    public: *const prose_sakke_kms_public,
    out: *mut u8,
    out_len: usize,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees a live object and a valid buffer.
        let (p, out) = unsafe { (ptr::obj(public)?, ptr::slice_mut(out, out_len)?) };
        put(out, &p.inner.to_bytes())
    })
}

/// Builds Z's fixed-base tables now (otherwise the first encapsulation builds them).
///
/// # Safety
/// `public` a live object.
#[no_mangle]
pub unsafe extern "C" fn prose_sakke_kms_public_precompute(
    public: *const prose_sakke_kms_public,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees a live object.
        unsafe { ptr::obj(public)? }.inner.precompute();
        Ok(())
    })
}

/// Releases a KMS public key. NULL is ignored.
///
/// # Safety
/// `public` NULL or a live object, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn prose_sakke_kms_public_free(public: *mut prose_sakke_kms_public) {
    // SAFETY: the caller guarantees NULL or a live object.
    guard_or((), || unsafe { ptr::free(public) })
}

/// An RSK from 257 octets 04 ‖ x ‖ y.
///
/// # Safety
/// `rsk` valid for `rsk_len` octets; `rsk_out` valid for writing.
#[no_mangle]
pub unsafe extern "C" fn prose_sakke_rsk_from_bytes(
    rsk: *const u8,
    rsk_len: usize,
    rsk_out: *mut *mut prose_sakke_rsk,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees valid buffers.
        let (b, out) = unsafe { (ptr::slice(rsk, rsk_len)?, ptr::out(rsk_out)?) };
        *out = ptr::into_raw(prose_sakke_rsk {
            inner: Rsk::from_bytes(b)?,
        });
        Ok(())
    })
}

/// Writes the RSK as 257 octets into `out` (`out_len` ≥ 257).
///
/// # Safety
/// `rsk` a live object; `out` valid for `out_len` octets.
#[no_mangle]
pub unsafe extern "C" fn prose_sakke_rsk_to_bytes(
    rsk: *const prose_sakke_rsk,
    out: *mut u8,
    out_len: usize,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees a live object and a valid buffer.
        let (k, out) = unsafe { (ptr::obj(rsk)?, ptr::slice_mut(out, out_len)?) };
        put(out, &k.inner.to_bytes())
    })
}

/// Releases (and zeroizes) an RSK. NULL is ignored.
///
/// # Safety
/// `rsk` NULL or a live object, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn prose_sakke_rsk_free(rsk: *mut prose_sakke_rsk) {
    // SAFETY: the caller guarantees NULL or a live object.
    guard_or((), || unsafe { ptr::free(rsk) })
}

/// Checks an RSK against the KMS public key and identifier (`PROSE_ERR_INVALID_KEY` if wrong).
///
/// # Safety
/// `kms` and `rsk` live objects; `id` valid for `id_len` octets.
#[no_mangle]
pub unsafe extern "C" fn prose_sakke_rsk_validate(
    kms: *const prose_sakke_kms_public,
    id: *const u8,
    id_len: usize,
    rsk: *const prose_sakke_rsk,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees valid pointers.
        let (kms, id, rsk) = unsafe { (ptr::obj(kms)?, ptr::slice(id, id_len)?, ptr::obj(rsk)?) };
        sakke::validate_rsk(&kms.inner, id, &rsk.inner)?;
        Ok(())
    })
}

/// Encapsulates the 16-octet `ssv` to identifier `id`: writes R ‖ H (273 octets) to `sed_out`.
///
/// # Safety
/// `kms` a live object; buffers valid for their lengths.
#[no_mangle]
pub unsafe extern "C" fn prose_sakke_encapsulate(
    kms: *const prose_sakke_kms_public,
    id: *const u8,
    id_len: usize,
    ssv: *const u8,
    ssv_len: usize,
    sed_out: *mut u8,
    sed_out_len: usize,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees valid pointers.
        let (kms, id, ssv, out) = unsafe {
            (
                ptr::obj(kms)?,
                ptr::slice(id, id_len)?,
                ptr::slice(ssv, ssv_len)?,
                ptr::slice_mut_apart(sed_out, sed_out_len, &[(id, id_len), (ssv, ssv_len)])?,
            )
        };
        if out.len() < PROSE_SAKKE_SED_LEN {
            return Err(prose_result::PROSE_ERR_BUFFER_TOO_SMALL);
        }
        let ssv = Ssv::from_bytes(ssv)?;
        put(out, &sakke::encapsulate(&kms.inner, id, &ssv)?)
    })
}

/// Builds a member's decapsulation key (validates the RSK, precomputes the pairing).
///
/// # Safety
/// `kms` and `rsk` live objects; `id` valid for `id_len` octets; `key_out` valid for writing.
#[no_mangle]
pub unsafe extern "C" fn prose_sakke_decapsulation_key_new(
    kms: *const prose_sakke_kms_public,
    id: *const u8,
    id_len: usize,
    rsk: *const prose_sakke_rsk,
    key_out: *mut *mut prose_sakke_decapsulation_key,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees valid pointers.
        let (kms, id, rsk, out) = unsafe {
            (
                ptr::obj(kms)?,
                ptr::slice(id, id_len)?,
                ptr::obj(rsk)?,
                ptr::out(key_out)?,
            )
        };
        *out = ptr::into_raw(prose_sakke_decapsulation_key {
            inner: DecapsulationKey::new(&kms.inner, id, &rsk.inner)?,
        });
        Ok(())
    })
}

/// Decapsulates R ‖ H (273 octets): writes the 16-octet SSV to `ssv_out`.
///
/// # Safety
/// `key` a live object; buffers valid for their lengths.
#[no_mangle]
pub unsafe extern "C" fn prose_sakke_decapsulation_key_decapsulate(
    key: *const prose_sakke_decapsulation_key,
    sed: *const u8,
    sed_len: usize,
    ssv_out: *mut u8,
    ssv_out_len: usize,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees valid pointers.
        let (k, sed, out) = unsafe {
            (
                ptr::obj(key)?,
                ptr::slice(sed, sed_len)?,
                ptr::slice_mut_apart(ssv_out, ssv_out_len, &[(sed, sed_len)])?,
            )
        };
        if out.len() < PROSE_SAKKE_SSV_LEN {
            return Err(prose_result::PROSE_ERR_BUFFER_TOO_SMALL);
        }
        put(out, k.inner.decapsulate(sed)?.as_bytes())
    })
}

/// Releases a decapsulation key. NULL is ignored.
///
/// # Safety
/// `key` NULL or a live object, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn prose_sakke_decapsulation_key_free(
    key: *mut prose_sakke_decapsulation_key,
) {
    // SAFETY: the caller guarantees NULL or a live object.
    guard_or((), || unsafe { ptr::free(key) })
}
