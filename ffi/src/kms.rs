//! The KMS role and provisioning: `prose_kms` (master secrets, key periods, key sets issued per
//! identity and period), `prose_kms_certificate` (what a member knows of its KMS) and
//! `prose_key_set`, and the TS 33.180 Annex D documents that carry them (`KmsInit` with the
//! certificate, `KmsKeyProv` with key sets). Both identifier formats: `PROSE_ID_FORMAT_PROSE`
//! (RFC 6509, calendar months) and `PROSE_ID_FORMAT_MCPTT` (TS 33.180 UID).

use crate::error::prose_result;
use crate::panic::{guard, guard_or};
use crate::ptr;
use prose_sec::kms::provision::{
    self, KmsCertificateDoc, KmsInit, KmsKeyProv, KmsKeySetDoc, KmsMessage, KmsResponse,
    ResponseBody,
};
use prose_sec::kms::{IdFormat, KeyPeriods, KeySet, Kms, KmsCertificate};
use rand_core::OsRng;

/// Identifier format `prose`: RFC 6509 `"YYYY-MM\0URI\0"`, one calendar month per period.
pub const PROSE_ID_FORMAT_PROSE: u32 = 0;
/// Identifier format `mcptt`: the TS 33.180 UID, periods of `period_secs` from `offset_secs`.
pub const PROSE_ID_FORMAT_MCPTT: u32 = 1;

/// A KMS: SAKKE and ECCSI master secrets and its key periods. Zeroized when freed.
pub struct prose_kms {
    inner: Kms,
}
/// The KMS certificate a member holds: key periods, KMS URI, SAKKE Z and ECCSI KPAK.
pub struct prose_kms_certificate {
    pub(crate) inner: KmsCertificate,
}
/// A key set: one identity's RSK, SSK and PVT for one key period. Zeroized when freed.
pub struct prose_key_set {
    pub(crate) inner: KeySet,
}

fn id_format(format: u32, period_secs: u64, offset_secs: u64) -> Result<IdFormat, prose_result> {
    match format {
        PROSE_ID_FORMAT_PROSE => Ok(IdFormat::Prose),
        PROSE_ID_FORMAT_MCPTT => Ok(IdFormat::Mcptt {
            period_secs,
            offset_secs,
        }),
        _ => Err(prose_result::PROSE_ERR_INVALID_PARAMETER),
    }
}

fn utf8(b: &[u8]) -> Result<String, prose_result> {
    String::from_utf8(b.to_vec()).map_err(|_| prose_result::PROSE_ERR_INVALID_PARAMETER)
}

/// A document of unknown length: copied to `out` if it fits; otherwise
/// `PROSE_ERR_BUFFER_TOO_SMALL` with `*len_out` set to the length needed.
pub(crate) fn output_sized(
    out: &mut [u8],
    len_out: &mut usize,
    bytes: &[u8],
) -> Result<(), prose_result> {
    *len_out = bytes.len();
    out.get_mut(..bytes.len())
        .ok_or(prose_result::PROSE_ERR_BUFFER_TOO_SMALL)?
        .copy_from_slice(bytes);
    Ok(())
}

fn response_xml(
    user_uri: &[u8],
    kms_uri: &[u8],
    now_ntp_seconds: u64,
    path: &str,
    message: KmsMessage,
    out: &mut [u8],
    len_out: &mut usize,
) -> Result<(), prose_result> {
    let kms_uri = utf8(kms_uri)?;
    let doc = KmsResponse {
        user_uri: utf8(user_uri)?,
        client_req_url: format!("https://{kms_uri}/keymanagement/identity/v1/{path}"),
        kms_uri,
        time: now_ntp_seconds,
        kms_id: None,
        body: ResponseBody::Message(message),
    };
    // The document (a zeroizing buffer) is wiped when dropped here.
    output_sized(out, len_out, &doc.to_xml()?)
}

/// A KMS with fresh master secrets (from the OS random source) for the KMS URI `kms_uri` and
/// identifier format `id_format` (`PROSE_ID_FORMAT_PROSE`, whose periods are calendar months and
/// ignore `period_secs`/`offset_secs`, or `PROSE_ID_FORMAT_MCPTT`). On success `*kms_out`
/// receives a new KMS the caller owns.
///
/// # Safety
/// `kms_uri` valid for `kms_uri_len` octets; `kms_out` writable.
#[no_mangle]
pub unsafe extern "C" fn prose_kms_new(
    kms_uri: *const u8,
    kms_uri_len: usize,
    id_format: u32,
    period_secs: u64,
    offset_secs: u64,
    kms_out: *mut *mut prose_kms,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees valid pointers.
        let (uri, out) = unsafe { (ptr::slice(kms_uri, kms_uri_len)?, ptr::out(kms_out)?) };
        let periods = KeyPeriods::new(uri, self::id_format(id_format, period_secs, offset_secs)?)?;
        let inner = Kms::generate(periods, &mut OsRng)?;
        *out = ptr::into_raw(prose_kms { inner });
        Ok(())
    })
}

/// Releases a KMS (zeroizing its master secrets). NULL is ignored.
///
/// # Safety
/// `kms` NULL or a live object, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn prose_kms_free(kms: *mut prose_kms) {
    // SAFETY: the caller guarantees NULL or a live object.
    guard_or((), || unsafe { ptr::free(kms) })
}

/// The KMS's certificate (its public parameters). `*cert_out` receives a new object.
///
/// # Safety
/// `kms` live; `cert_out` writable.
#[no_mangle]
pub unsafe extern "C" fn prose_kms_get_certificate(
    kms: *const prose_kms,
    cert_out: *mut *mut prose_kms_certificate,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees a live object and a writable output.
        let (kms, out) = unsafe { (ptr::obj(kms)?, ptr::out(cert_out)?) };
        *out = ptr::into_raw(prose_kms_certificate {
            inner: kms.inner.certificate(),
        });
        Ok(())
    })
}

/// The KeyPeriodNo of the period holding `now_ntp_seconds`.
///
/// # Safety
/// `kms` live; `no_out` writable.
#[no_mangle]
pub unsafe extern "C" fn prose_kms_period_no(
    kms: *const prose_kms,
    now_ntp_seconds: u64,
    no_out: *mut u64,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees a live object and a writable output.
        let (kms, out) = unsafe { (ptr::obj(kms)?, ptr::out(no_out)?) };
        *out = kms.inner.periods().period_no(now_ntp_seconds)?;
        Ok(())
    })
}

/// The key set of `uri` for key period `period_no`. `*key_set_out` receives a new object.
///
/// # Safety
/// `kms` live; `uri` valid for `uri_len` octets; `key_set_out` writable.
#[no_mangle]
pub unsafe extern "C" fn prose_kms_issue(
    kms: *const prose_kms,
    uri: *const u8,
    uri_len: usize,
    period_no: u64,
    key_set_out: *mut *mut prose_key_set,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees a live object and valid pointers.
        let (kms, uri, out) = unsafe {
            (
                ptr::obj(kms)?,
                ptr::slice(uri, uri_len)?,
                ptr::out(key_set_out)?,
            )
        };
        let inner = kms.inner.issue(uri, period_no, &mut OsRng)?;
        *out = ptr::into_raw(prose_key_set { inner });
        Ok(())
    })
}

/// The key sets of `uri` for the period holding `now_ntp_seconds` and the next one (a member
/// rolls over without a gap). Both outputs receive new objects, or neither on error.
///
/// # Safety
/// `kms` live; `uri` valid for `uri_len` octets; both outputs writable.
#[no_mangle]
pub unsafe extern "C" fn prose_kms_issue_current_and_next(
    kms: *const prose_kms,
    uri: *const u8,
    uri_len: usize,
    now_ntp_seconds: u64,
    current_out: *mut *mut prose_key_set,
    next_out: *mut *mut prose_key_set,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees a live object and valid pointers.
        let (kms, uri, cur, next) = unsafe {
            (
                ptr::obj(kms)?,
                ptr::slice(uri, uri_len)?,
                ptr::out(current_out)?,
                ptr::out(next_out)?,
            )
        };
        let [a, b] = kms
            .inner
            .issue_current_and_next(uri, now_ntp_seconds, &mut OsRng)?;
        *cur = ptr::into_raw(prose_key_set { inner: a });
        *next = ptr::into_raw(prose_key_set { inner: b });
        Ok(())
    })
}

/// Key sets for `n` identities and one period, batched on every core. `uris[i]` holds
/// `uri_lens[i]` octets. For each `i`, `results_out[i]` receives that identity's result and
/// `key_sets_out[i]` a new key set (or NULL when `results_out[i]` is not `PROSE_OK`). Returns an
/// error, writing nothing, only when the call as a whole fails (arguments, period).
///
/// # Safety
/// `kms` live; `uris` and `uri_lens` arrays of `n` elements, each URI valid for its length;
/// `key_sets_out` and `results_out` writable for `n` elements.
#[no_mangle]
pub unsafe extern "C" fn prose_kms_issue_many(
    kms: *const prose_kms,
    uris: *const *const u8,
    uri_lens: *const usize,
    n: usize,
    period_no: u64,
    key_sets_out: *mut *mut prose_key_set,
    results_out: *mut prose_result,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees a live object and arrays of `n` elements.
        let (kms, ptrs, lens, sets_out, res_out) = unsafe {
            (
                ptr::obj(kms)?,
                ptr::array(uris, n)?,
                ptr::array(uri_lens, n)?,
                ptr::out_array(key_sets_out, n)?,
                ptr::out_array(results_out, n)?,
            )
        };
        let mut refs = Vec::with_capacity(n);
        for (&p, &l) in ptrs.iter().zip(lens) {
            // SAFETY: the caller guarantees each URI is valid for its length.
            refs.push(unsafe { ptr::slice(p, l)? });
        }
        let sets = kms.inner.issue_many(&refs, period_no, &mut OsRng)?;
        if sets.len() != n {
            return Err(prose_result::PROSE_ERR_PANIC);
        }
        for (i, r) in sets.into_iter().enumerate() {
            let (set, code) = match r {
                Ok(inner) => (
                    ptr::into_raw(prose_key_set { inner }),
                    prose_result::PROSE_OK,
                ),
                Err(e) => (core::ptr::null_mut(), e.into()),
            };
            // SAFETY: `i < n`, both arrays checked writable for `n` elements.
            unsafe {
                ptr::write_at(sets_out, i, set);
                ptr::write_at(res_out, i, code);
            }
        }
        Ok(())
    })
}

/// The `KmsKeyProv` response (TS 33.180 Annex D, UTF-8 XML) of this KMS to `user_uri` at
/// `now_ntp_seconds`, carrying the `n` key sets `key_sets`. The document holds secret keys:
/// the caller should wipe `out` after use. If it does not fit in `out_cap` octets the result
/// is `PROSE_ERR_BUFFER_TOO_SMALL` and `*out_len` receives the length needed.
///
/// # Safety
/// `kms` and every key set live; `user_uri` valid; `key_sets` an array of `n` pointers; `out`
/// valid for `out_cap` octets; `out_len` writable.
#[no_mangle]
pub unsafe extern "C" fn prose_kms_key_prov_xml(
    kms: *const prose_kms,
    user_uri: *const u8,
    user_uri_len: usize,
    key_sets: *const *const prose_key_set,
    n: usize,
    now_ntp_seconds: u64,
    out: *mut u8,
    out_cap: usize,
    out_len: *mut usize,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees live objects and valid buffers.
        let (kms, user, sets, out, len_out) = unsafe {
            (
                ptr::obj(kms)?,
                ptr::slice(user_uri, user_uri_len)?,
                ptr::array(key_sets, n)?,
                ptr::slice_mut_apart(out, out_cap, &[(user_uri, user_uri_len)])?,
                ptr::out(out_len)?,
            )
        };
        let kms_uri = kms.inner.periods().kms_uri();
        let mut docs = Vec::with_capacity(n);
        for &s in sets {
            // SAFETY: the caller guarantees every key set is live.
            let ks = unsafe { ptr::obj(s)? };
            docs.push(KmsKeySetDoc::from_key_set(kms_uri, &ks.inner)?);
        }
        let msg = KmsMessage::KeyProv(KmsKeyProv { key_sets: docs });
        response_xml(user, kms_uri, now_ntp_seconds, "keyprov", msg, out, len_out)
    })
}

/// Releases a KMS certificate. NULL is ignored.
///
/// # Safety
/// `cert` NULL or a live object, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn prose_kms_certificate_free(cert: *mut prose_kms_certificate) {
    // SAFETY: the caller guarantees NULL or a live object.
    guard_or((), || unsafe { ptr::free(cert) })
}

/// The `KmsInit` response (TS 33.180 Annex D, UTF-8 XML) carrying `cert` to `user_uri` at
/// `now_ntp_seconds`. If it does not fit in `out_cap` octets the result is
/// `PROSE_ERR_BUFFER_TOO_SMALL` and `*out_len` receives the length needed.
///
/// # Safety
/// `cert` live; `user_uri` valid; `out` valid for `out_cap` octets; `out_len` writable.
#[no_mangle]
pub unsafe extern "C" fn prose_kms_certificate_to_xml(
    cert: *const prose_kms_certificate,
    user_uri: *const u8,
    user_uri_len: usize,
    now_ntp_seconds: u64,
    out: *mut u8,
    out_cap: usize,
    out_len: *mut usize,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees a live object and valid buffers.
        let (cert, user, out, len_out) = unsafe {
            (
                ptr::obj(cert)?,
                ptr::slice(user_uri, user_uri_len)?,
                ptr::slice_mut_apart(out, out_cap, &[(user_uri, user_uri_len)])?,
                ptr::out(out_len)?,
            )
        };
        let doc = KmsCertificateDoc::from_certificate(&cert.inner)?;
        let msg = KmsMessage::Init(KmsInit {
            certificate: Box::new(doc),
        });
        let kms_uri = cert.inner.periods.kms_uri();
        response_xml(user, kms_uri, now_ntp_seconds, "init", msg, out, len_out)
    })
}

/// The KMS certificate of a `KmsInit` response (`xml`, `xml_len` octets): the document is read
/// and the certificate checked (identifier format, Z and KPAK on their curves). Errors as the
/// reader's; `PROSE_ERR_PARSE` for a well-formed response that carries no certificate.
/// `*cert_out` receives a new object.
///
/// # Safety
/// `xml` valid for `xml_len` octets; `cert_out` writable.
#[no_mangle]
pub unsafe extern "C" fn prose_kms_certificate_from_xml(
    xml: *const u8,
    xml_len: usize,
    cert_out: *mut *mut prose_kms_certificate,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees valid pointers.
        let (xml, out) = unsafe { (ptr::slice(xml, xml_len)?, ptr::out(cert_out)?) };
        let doc = provision::parse(xml)?;
        let cert = doc
            .certificate()
            .ok_or(prose_result::PROSE_ERR_PARSE)?
            .to_certificate()?;
        *out = ptr::into_raw(prose_kms_certificate { inner: cert });
        Ok(())
    })
}

/// The KeyPeriodNo of the period holding `now_ntp_seconds`.
///
/// # Safety
/// `cert` live; `no_out` writable.
#[no_mangle]
pub unsafe extern "C" fn prose_kms_certificate_period_no(
    cert: *const prose_kms_certificate,
    now_ntp_seconds: u64,
    no_out: *mut u64,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees a live object and a writable output.
        let (cert, out) = unsafe { (ptr::obj(cert)?, ptr::out(no_out)?) };
        *out = cert.inner.periods.period_no(now_ntp_seconds)?;
        Ok(())
    })
}

/// The validity of key period `period_no`: `[*valid_from_out, *valid_to_out)` in NTP seconds.
///
/// # Safety
/// `cert` live; both outputs writable.
#[no_mangle]
pub unsafe extern "C" fn prose_kms_certificate_validity(
    cert: *const prose_kms_certificate,
    period_no: u64,
    valid_from_out: *mut u64,
    valid_to_out: *mut u64,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees a live object and writable outputs.
        let (cert, from, to) = unsafe {
            (
                ptr::obj(cert)?,
                ptr::out(valid_from_out)?,
                ptr::out(valid_to_out)?,
            )
        };
        let (f, t) = cert.inner.periods.validity(period_no)?;
        *from = f;
        *to = t;
        Ok(())
    })
}

/// The identifier of `uri` for key period `period_no` in the certificate's format (what SAKKE
/// encrypts to and ECCSI signs as). Writes it to `out` and its length to `*out_len`.
///
/// # Safety
/// `cert` live; buffers valid for their lengths; `out_len` writable.
#[no_mangle]
pub unsafe extern "C" fn prose_kms_certificate_identifier(
    cert: *const prose_kms_certificate,
    uri: *const u8,
    uri_len: usize,
    period_no: u64,
    out: *mut u8,
    out_cap: usize,
    out_len: *mut usize,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees a live object and valid buffers.
        let (cert, uri, out, len_out) = unsafe {
            (
                ptr::obj(cert)?,
                ptr::slice(uri, uri_len)?,
                ptr::slice_mut_apart(out, out_cap, &[(uri, uri_len)])?,
                ptr::out(out_len)?,
            )
        };
        let id = cert.inner.periods.identifier(uri, period_no)?;
        crate::bytes::put(out, &id)?;
        *len_out = id.len();
        Ok(())
    })
}

/// Checks `key_set` for `uri` at `now_ntp_seconds` as a member does before using it (UserUri,
/// UserID, period and validity, RSK and SSK/PVT): `PROSE_OK` or the reason it is refused.
///
/// # Safety
/// Objects live; `uri` valid for `uri_len` octets.
#[no_mangle]
pub unsafe extern "C" fn prose_kms_certificate_accept(
    cert: *const prose_kms_certificate,
    uri: *const u8,
    uri_len: usize,
    key_set: *const prose_key_set,
    now_ntp_seconds: u64,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees live objects and a valid buffer.
        let (cert, uri, ks) = unsafe {
            (
                ptr::obj(cert)?,
                ptr::slice(uri, uri_len)?,
                ptr::obj(key_set)?,
            )
        };
        cert.inner.accept(uri, ks.inner.clone(), now_ntp_seconds)?;
        Ok(())
    })
}

/// The key sets of a `KmsKeyProv` response (`xml`, `xml_len` octets) from the KMS of `cert`,
/// decoded (each is checked as a whole when a member adds it). `key_sets_out` has room for
/// `cap` pointers; `*n_out` receives the number of key sets, each a new object the caller owns.
/// `PROSE_ERR_BUFFER_TOO_SMALL` (with `*n_out` set to the number needed, nothing allocated) if
/// they do not fit; any other error leaves the outputs untouched.
///
/// # Safety
/// `cert` live; `xml` valid for `xml_len` octets; `key_sets_out` writable for `cap` elements;
/// `n_out` writable.
#[no_mangle]
pub unsafe extern "C" fn prose_key_set_from_xml(
    cert: *const prose_kms_certificate,
    xml: *const u8,
    xml_len: usize,
    key_sets_out: *mut *mut prose_key_set,
    cap: usize,
    n_out: *mut usize,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees a live object and valid buffers.
        let (cert, xml, sets_out, n) = unsafe {
            (
                ptr::obj(cert)?,
                ptr::slice(xml, xml_len)?,
                ptr::out_array(key_sets_out, cap)?,
                ptr::out(n_out)?,
            )
        };
        let doc = provision::parse(xml)?;
        let sets = doc
            .key_sets()
            .iter()
            .map(|d| d.to_key_set(&cert.inner.periods))
            .collect::<prose_sec::Result<Vec<KeySet>>>()?;
        if sets.len() > cap {
            *n = sets.len();
            return Err(prose_result::PROSE_ERR_BUFFER_TOO_SMALL);
        }
        *n = sets.len();
        for (i, inner) in sets.into_iter().enumerate() {
            // SAFETY: `i < cap`, the array checked writable for `cap` elements.
            unsafe { ptr::write_at(sets_out, i, ptr::into_raw(prose_key_set { inner })) };
        }
        Ok(())
    })
}

/// Releases (and zeroizes) a key set. NULL is ignored.
///
/// # Safety
/// `key_set` NULL or a live object, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn prose_key_set_free(key_set: *mut prose_key_set) {
    // SAFETY: the caller guarantees NULL or a live object.
    guard_or((), || unsafe { ptr::free(key_set) })
}

/// The key set's KeyPeriodNo, its validity `[*valid_from_out, *valid_to_out)` (NTP seconds), and
/// its UserUri copied to `uri_out` with its length in `*uri_len`. Any output may be NULL to skip
/// it (the URI with its capacity 0).
///
/// # Safety
/// `key_set` live; each non-NULL output writable (`uri_out` for `uri_cap` octets).
#[no_mangle]
pub unsafe extern "C" fn prose_key_set_get(
    key_set: *const prose_key_set,
    period_no_out: *mut u64,
    valid_from_out: *mut u64,
    valid_to_out: *mut u64,
    uri_out: *mut u8,
    uri_cap: usize,
    uri_len: *mut usize,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees a live object and NULL or writable outputs.
        let (ks, uri_buf) = unsafe { (ptr::obj(key_set)?, ptr::slice_mut(uri_out, uri_cap)?) };
        let ks = &ks.inner;
        if !uri_out.is_null() {
            if uri_len.is_null() {
                return Err(prose_result::PROSE_ERR_NULL_POINTER);
            }
            if uri_cap < ks.user_uri.len() {
                return Err(prose_result::PROSE_ERR_BUFFER_TOO_SMALL);
            }
        }
        let opt = |p: *mut u64, v: u64| -> Result<(), prose_result> {
            if !p.is_null() {
                // SAFETY: non-NULL, and the caller guarantees it is writable.
                unsafe { ptr::write(p, v)? };
            }
            Ok(())
        };
        opt(period_no_out, ks.period_no)?;
        opt(valid_from_out, ks.valid_from)?;
        opt(valid_to_out, ks.valid_to)?;
        if !uri_out.is_null() {
            crate::bytes::put(uri_buf, &ks.user_uri)?;
            // SAFETY: checked non-NULL above; the caller guarantees it is writable.
            unsafe { ptr::write(uri_len, ks.user_uri.len())? };
        }
        Ok(())
    })
}
