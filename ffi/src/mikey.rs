//! MIKEY: the GMK I_MESSAGE (Group Manager → member), the member's GMK store, the GSK offer
//! (initiator → group) and its receiver, SDP `a=key-mgmt` lines, and a text decoding. The
//! `prose` wire profile (RFC 6509 identities) is built; received GMK messages are checked in full
//! (signature under the KPAK for the group identity, SAKKE decapsulation with the R check,
//! freshness, period).

use crate::bytes::put;
use crate::eccsi::{prose_eccsi_kpak, prose_eccsi_signing_key};
use crate::error::prose_result;
use crate::panic::{guard, guard_or};
use crate::ptr;
use crate::sakke::{prose_sakke_decapsulation_key, prose_sakke_kms_public};
use crate::srtp::prose_srtp_session;
use prose_sec::group::GskReceiver;
use prose_sec::group::{self, GmkStore};
use prose_sec::mikey::{self, PskPolicy, SrtpKeying};
use prose_sec::srtp::Profile as SrtpProfile;

/// The GMKs a member holds (newest message's GMK is current).
pub struct prose_gmk_store {
    inner: GmkStore,
}
/// The receiver side of GSK offers: policy and replay cache.
pub struct prose_gsk_receiver {
    inner: GskReceiver,
}
/// What an SRTP session needs from an accepted GSK offer. Zeroized when freed.
pub struct prose_srtp_keying {
    inner: SrtpKeying,
}

fn output(out: &mut [u8], len_out: &mut usize, bytes: &[u8]) -> Result<(), prose_result> {
    put(out, bytes)?;
    *len_out = bytes.len();
    Ok(())
}

/// Text followed by a NUL; `*len_out` excludes the NUL.
fn output_text(out: &mut [u8], len_out: &mut usize, text: &str) -> Result<(), prose_result> {
    if out.len() <= text.len() {
        return Err(prose_result::PROSE_ERR_BUFFER_TOO_SMALL);
    }
    out[text.len()] = 0;
    output(out, len_out, text.as_bytes())
}

/// Builds the GMK I_MESSAGE (`prose` profile) for one member: the 16-octet `gmk` encapsulated
/// to the member's identifier for the month of `ntp_seconds`, signed by the group identity's
/// key `group_key`. Writes the message to `out` and its length to `*out_len`.
///
/// # Safety
/// Objects live; buffers valid for their lengths; `out_len` valid for writing.
#[no_mangle]
pub unsafe extern "C" fn prose_mikey_gmk_build(
    kms: *const prose_sakke_kms_public,
    group_key: *const prose_eccsi_signing_key,
    group_uri: *const u8,
    group_uri_len: usize,
    member_uri: *const u8,
    member_uri_len: usize,
    kms_uri: *const u8,
    kms_uri_len: usize,
    gmk_id: u32,
    ntp_seconds: u64,
    gmk: *const u8,
    gmk_len: usize,
    out: *mut u8,
    out_cap: usize,
    out_len: *mut usize,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees live objects and valid buffers.
        let (kms, key, group, member, kms_uri, gmk, out, len_out) = unsafe {
            (
                ptr::obj(kms)?,
                ptr::obj(group_key)?,
                ptr::slice(group_uri, group_uri_len)?,
                ptr::slice(member_uri, member_uri_len)?,
                ptr::slice(kms_uri, kms_uri_len)?,
                ptr::slice(gmk, gmk_len)?,
                ptr::slice_mut_apart(
                    out,
                    out_cap,
                    &[
                        (group_uri, group_uri_len),
                        (member_uri, member_uri_len),
                        (kms_uri, kms_uri_len),
                        (gmk, gmk_len),
                    ],
                )?,
                ptr::out(out_len)?,
            )
        };
        let gmk: &[u8; 16] = gmk
            .try_into()
            .map_err(|_| prose_result::PROSE_ERR_INVALID_PARAMETER)?;
        let msg = group::build_prose_gmk_message(
            &kms.inner,
            &key.inner,
            group,
            member,
            kms_uri,
            gmk_id,
            ntp_seconds,
            gmk,
        )?;
        output(out, len_out, &msg)
    })
}

/// A new, empty GMK store holding at most `capacity` GMKs (0 for the default, 16).
///
/// # Safety
/// `store_out` valid for writing.
#[no_mangle]
pub unsafe extern "C" fn prose_gmk_store_new(
    capacity: usize,
    store_out: *mut *mut prose_gmk_store,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees a writable output.
        let out = unsafe { ptr::out(store_out)? };
        let inner = if capacity == 0 {
            GmkStore::default()
        } else {
            GmkStore::new(capacity)
        };
        *out = ptr::into_raw(prose_gmk_store { inner });
        Ok(())
    })
}

/// Releases a GMK store (zeroizing its GMKs). NULL is ignored.
///
/// # Safety
/// `store` NULL or a live object, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn prose_gmk_store_free(store: *mut prose_gmk_store) {
    // SAFETY: the caller guarantees NULL or a live object.
    guard_or((), || unsafe { ptr::free(store) })
}

/// Processes a GMK I_MESSAGE (`prose` profile) addressed to `member_uri` from the group
/// `group_uri`: verifies the group's signature under `kpak`, decapsulates with the member's
/// `key`, checks freshness (±300 s around `now_ntp_seconds`) and stores the GMK. On success
/// `*gmk_id_out` receives its GMK-ID. On any error the store is unchanged.
///
/// # Safety
/// Objects live; buffers valid for their lengths; `gmk_id_out` valid for writing.
#[no_mangle]
pub unsafe extern "C" fn prose_gmk_store_process(
    store: *mut prose_gmk_store,
    kpak: *const prose_eccsi_kpak,
    key: *const prose_sakke_decapsulation_key,
    member_uri: *const u8,
    member_uri_len: usize,
    group_uri: *const u8,
    group_uri_len: usize,
    now_ntp_seconds: u64,
    msg: *const u8,
    msg_len: usize,
    gmk_id_out: *mut u32,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees live objects and valid buffers.
        let (store, kpak, key, member, group, msg, id_out) = unsafe {
            (
                ptr::obj_mut(store)?,
                ptr::obj(kpak)?,
                ptr::obj(key)?,
                ptr::slice(member_uri, member_uri_len)?,
                ptr::slice(group_uri, group_uri_len)?,
                ptr::slice(msg, msg_len)?,
                ptr::out(gmk_id_out)?,
            )
        };
        let id = store.inner.process_prose_message(
            &kpak.inner,
            &key.inner,
            member,
            group,
            now_ntp_seconds,
            msg,
        )?;
        *id_out = id;
        Ok(())
    })
}

/// The current GMK of the group `group` (its URI, `group_len` octets): the one from that
/// group's newest message, usable at `now_ntp_seconds`; its GMK-ID and its 16 octets.
/// `PROSE_ERR_UNKNOWN_KEY` if there is none.
///
/// # Safety
/// `store` live; `group` valid for `group_len` octets; `gmk_id_out` writable; `gmk_out` valid
/// for `gmk_out_len` octets.
#[no_mangle]
pub unsafe extern "C" fn prose_gmk_store_current(
    store: *const prose_gmk_store,
    group: *const u8,
    group_len: usize,
    now_ntp_seconds: u64,
    gmk_id_out: *mut u32,
    gmk_out: *mut u8,
    gmk_out_len: usize,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees a live object and valid inputs and outputs.
        let (store, group, id_out, out) = unsafe {
            (
                ptr::obj(store)?,
                ptr::slice(group, group_len)?,
                ptr::out(gmk_id_out)?,
                ptr::slice_mut(gmk_out, gmk_out_len)?,
            )
        };
        let cur = store
            .inner
            .current(group, now_ntp_seconds)
            .ok_or(prose_result::PROSE_ERR_UNKNOWN_KEY)?;
        put(out, cur.gmk())?;
        *id_out = cur.gmk_id();
        Ok(())
    })
}

/// Builds a GSK offer (MIKEY PSK I_MESSAGE, `prose` profile, PRF MIKEY-1): the GSK `gsk` and
/// master salt `salt` under the GMK named `gmk_id` (taken from `store`), GSK-ID `gsk_id` as the
/// MKI, the initiator's `n_senders` SSRCs and ROCs, SRTP profile `srtp_profile` (a
/// `prose_srtp_session_new` profile id), time `ntp_seconds`; signed with `signer` unless it is
/// NULL. Writes the message to `out` and its length to `*out_len`.
///
/// # Safety
/// Objects live (`signer` may be NULL); arrays valid for `n_senders` elements; buffers valid.
#[no_mangle]
pub unsafe extern "C" fn prose_mikey_gsk_offer_build(
    store: *const prose_gmk_store,
    gmk_id: u32,
    initiator_uri: *const u8,
    initiator_uri_len: usize,
    group_uri: *const u8,
    group_uri_len: usize,
    srtp_profile: u16,
    gsk: *const u8,
    gsk_len: usize,
    salt: *const u8,
    salt_len: usize,
    gsk_id: u32,
    ssrcs: *const u32,
    rocs: *const u32,
    n_senders: usize,
    ntp_seconds: u64,
    signer: *const prose_eccsi_signing_key,
    out: *mut u8,
    out_cap: usize,
    out_len: *mut usize,
) -> prose_result {
    guard(|| {
        if n_senders > 255 {
            return Err(prose_result::PROSE_ERR_INVALID_PARAMETER);
        }
        if n_senders > 0 && (ssrcs.is_null() || rocs.is_null()) {
            return Err(prose_result::PROSE_ERR_NULL_POINTER);
        }
        // SAFETY: the caller guarantees live objects, valid buffers and `n_senders` elements
        // in each array (checked non-NULL above when non-empty).
        let (store, initiator, group, gsk, salt, out, len_out, ssrcs, rocs, signer) = unsafe {
            (
                ptr::obj(store)?,
                ptr::slice(initiator_uri, initiator_uri_len)?,
                ptr::slice(group_uri, group_uri_len)?,
                ptr::slice(gsk, gsk_len)?,
                ptr::slice(salt, salt_len)?,
                ptr::slice_mut_apart(
                    out,
                    out_cap,
                    &[
                        (initiator_uri, initiator_uri_len),
                        (group_uri, group_uri_len),
                        (gsk, gsk_len),
                        (salt, salt_len),
                    ],
                )?,
                ptr::out(out_len)?,
                ptr::slice_u32(ssrcs, n_senders)?,
                ptr::slice_u32(rocs, n_senders)?,
                signer.as_ref(),
            )
        };
        let senders: Vec<(u32, u32)> = ssrcs.iter().copied().zip(rocs.iter().copied()).collect();
        let msg = group::build_prose_gsk_offer(
            &store.inner,
            gmk_id,
            initiator,
            group,
            SrtpProfile::from_id(srtp_profile)?,
            gsk,
            salt,
            gsk_id,
            &senders,
            ntp_seconds,
            signer.map(|s| &s.inner),
        )?;
        output(out, len_out, &msg)
    })
}

/// A GSK-offer receiver: offers older or newer than `max_skew_secs` (0: 30 s) are refused,
/// unsigned offers are refused if `require_signature`, and if `group_uri` is not NULL the offer
/// must name that group.
///
/// # Safety
/// `group_uri` NULL or valid for `group_uri_len` octets; `receiver_out` valid for writing.
#[no_mangle]
pub unsafe extern "C" fn prose_gsk_receiver_new(
    max_skew_secs: u64,
    require_signature: bool,
    group_uri: *const u8,
    group_uri_len: usize,
    receiver_out: *mut *mut prose_gsk_receiver,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees valid pointers.
        let (group, out) = unsafe {
            (
                ptr::slice(group_uri, group_uri_len)?,
                ptr::out(receiver_out)?,
            )
        };
        let mut policy = PskPolicy {
            require_signature,
            group_uri: (!group_uri.is_null()).then(|| group.to_vec()),
            ..PskPolicy::default()
        };
        if max_skew_secs != 0 {
            policy.max_skew_secs = max_skew_secs;
        }
        *out = ptr::into_raw(prose_gsk_receiver {
            inner: GskReceiver::new(policy),
        });
        Ok(())
    })
}

/// Releases a GSK-offer receiver. NULL is ignored.
///
/// # Safety
/// `receiver` NULL or a live object, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn prose_gsk_receiver_free(receiver: *mut prose_gsk_receiver) {
    // SAFETY: the caller guarantees NULL or a live object.
    guard_or((), || unsafe { ptr::free(receiver) })
}

/// Processes a GSK offer: finds its GMK in `store`, checks the MAC, the signature (with `kpak`;
/// may be NULL only if the offer is unsigned and signatures are not required), the group and
/// freshness, and the replay cache (an identical re-send is accepted again). On success
/// `*keying_out` receives a new keying object the caller owns.
///
/// # Safety
/// Objects live (`kpak` may be NULL); `msg` valid for `msg_len` octets; `keying_out` writable.
#[no_mangle]
pub unsafe extern "C" fn prose_gsk_receiver_process(
    receiver: *mut prose_gsk_receiver,
    store: *const prose_gmk_store,
    kpak: *const prose_eccsi_kpak,
    now_ntp_seconds: u64,
    msg: *const u8,
    msg_len: usize,
    keying_out: *mut *mut prose_srtp_keying,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees live objects and valid buffers.
        let (r, store, kpak, msg, out) = unsafe {
            (
                ptr::obj_mut(receiver)?,
                ptr::obj(store)?,
                kpak.as_ref(),
                ptr::slice(msg, msg_len)?,
                ptr::out(keying_out)?,
            )
        };
        let verifier = kpak.map(|k| &k.inner as &dyn mikey::SignatureVerifier);
        let keying = r.inner.process(
            msg,
            now_ntp_seconds,
            store.inner.lookup(now_ntp_seconds),
            verifier,
        )?;
        *out = ptr::into_raw(prose_srtp_keying { inner: keying });
        Ok(())
    })
}

/// Releases (and zeroizes) a keying object. NULL is ignored.
///
/// # Safety
/// `keying` NULL or a live object, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn prose_srtp_keying_free(keying: *mut prose_srtp_keying) {
    // SAFETY: the caller guarantees NULL or a live object.
    guard_or((), || unsafe { ptr::free(keying) })
}

/// The keying's SRTP profile id (as `prose_srtp_session_new` takes), 0 if `keying` is NULL.
///
/// # Safety
/// `keying` NULL or live.
#[no_mangle]
pub unsafe extern "C" fn prose_srtp_keying_profile(keying: *const prose_srtp_keying) -> u16 {
    guard_or(0, || {
        // SAFETY: the caller guarantees NULL or a live object.
        unsafe { ptr::obj(keying) }.map_or(0, |k| k.inner.profile().id())
    })
}

/// Copies the master key (the GSK), the master salt and the MKI (the GSK-ID) out, each with its
/// length. Any output pointer may be NULL to skip it.
///
/// # Safety
/// `keying` live; each non-NULL buffer valid for its capacity and its length pointer writable.
#[no_mangle]
pub unsafe extern "C" fn prose_srtp_keying_get(
    keying: *const prose_srtp_keying,
    key_out: *mut u8,
    key_cap: usize,
    key_len: *mut usize,
    salt_out: *mut u8,
    salt_cap: usize,
    salt_len: *mut usize,
    mki_out: *mut u8,
    mki_cap: usize,
    mki_len: *mut usize,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees a live object.
        let k = unsafe { ptr::obj(keying)? };
        let parts = [
            (key_out, key_cap, key_len, k.inner.master_key()),
            (salt_out, salt_cap, salt_len, k.inner.master_salt()),
            (mki_out, mki_cap, mki_len, k.inner.mki()),
        ];
        // Check every output first, so nothing is written unless all fit.
        for (p, cap, l, v) in parts {
            if !p.is_null() && (l.is_null() || cap < v.len()) {
                return Err(if l.is_null() {
                    prose_result::PROSE_ERR_NULL_POINTER
                } else {
                    prose_result::PROSE_ERR_BUFFER_TOO_SMALL
                });
            }
        }
        for (p, cap, l, v) in parts {
            if !p.is_null() {
                // SAFETY: checked above: non-NULL, `cap` octets, writable length.
                let (out, len) = unsafe { (ptr::slice_mut(p, cap)?, ptr::out(l)?) };
                output(out, len, v)?;
            }
        }
        Ok(())
    })
}

/// An SRTP session for an accepted offer: its profile, the GSK and salt named by the MKI, and
/// the initiator's ROCs already set (late entry).
///
/// # Safety
/// `keying` live; `session_out` writable.
#[no_mangle]
pub unsafe extern "C" fn prose_srtp_session_from_keying(
    keying: *const prose_srtp_keying,
    session_out: *mut *mut prose_srtp_session,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees valid pointers.
        let (k, out) = unsafe { (ptr::obj(keying)?, ptr::out(session_out)?) };
        *out = ptr::into_raw(prose_srtp_session::from_session(group::srtp_session(
            &k.inner,
        )?));
        Ok(())
    })
}

/// Formats a MIKEY message as an SDP attribute line `a=key-mgmt:mikey <base64>` (no line end),
/// NUL-terminated in `out`; `*out_len` receives its length without the NUL.
///
/// # Safety
/// Buffers valid for their lengths; `out_len` writable.
#[no_mangle]
pub unsafe extern "C" fn prose_sdp_key_mgmt_format(
    msg: *const u8,
    msg_len: usize,
    out: *mut u8,
    out_cap: usize,
    out_len: *mut usize,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees valid buffers.
        let (msg, out, len_out) = unsafe {
            (
                ptr::slice(msg, msg_len)?,
                ptr::slice_mut_apart(out, out_cap, &[(msg, msg_len)])?,
                ptr::out(out_len)?,
            )
        };
        output_text(out, len_out, &prose_sec::sdp::format_key_mgmt(msg))
    })
}

/// Finds the `a=key-mgmt:mikey` attribute in an SDP body (`sdp_len` octets, UTF-8) and writes the
/// decoded MIKEY message to `out`.
///
/// # Safety
/// Buffers valid for their lengths; `out_len` writable.
#[no_mangle]
pub unsafe extern "C" fn prose_sdp_key_mgmt_parse(
    sdp: *const u8,
    sdp_len: usize,
    out: *mut u8,
    out_cap: usize,
    out_len: *mut usize,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees valid buffers.
        let (sdp, out, len_out) = unsafe {
            (
                ptr::slice(sdp, sdp_len)?,
                ptr::slice_mut_apart(out, out_cap, &[(sdp, sdp_len)])?,
                ptr::out(out_len)?,
            )
        };
        let sdp = core::str::from_utf8(sdp).map_err(|_| prose_result::PROSE_ERR_PARSE)?;
        let msg = prose_sec::sdp::parse_key_mgmt(sdp, false)?;
        output(out, len_out, &msg)
    })
}

/// Decodes a MIKEY message to text (one payload per line; no secret octets), NUL-terminated in
/// `out`; `*out_len` receives its length without the NUL.
///
/// # Safety
/// Buffers valid for their lengths; `out_len` writable.
#[no_mangle]
pub unsafe extern "C" fn prose_mikey_decode_text(
    msg: *const u8,
    msg_len: usize,
    out: *mut u8,
    out_cap: usize,
    out_len: *mut usize,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees valid buffers.
        let (msg, out, len_out) = unsafe {
            (
                ptr::slice(msg, msg_len)?,
                ptr::slice_mut_apart(out, out_cap, &[(msg, msg_len)])?,
                ptr::out(out_len)?,
            )
        };
        output_text(out, len_out, &mikey::describe(msg)?)
    })
}

/// A fresh GMK from the OS random source: writes 16 octets to `gmk_out` (`gmk_out_len` ≥ 16)
/// and, unless `gmk_id_out` is NULL, a fresh GMK-ID (purpose tag 0 in the top 4 bits, 28
/// random bits). `PROSE_ERR_RNG` if the random source fails.
///
/// # Safety
/// `gmk_out` valid for `gmk_out_len` octets; `gmk_id_out` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn prose_generate_gmk(
    gmk_out: *mut u8,
    gmk_out_len: usize,
    gmk_id_out: *mut u32,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees a valid output buffer.
        let out = unsafe { ptr::slice_mut(gmk_out, gmk_out_len)? };
        let id_out = if gmk_id_out.is_null() {
            None
        } else {
            // SAFETY: non-NULL, and the caller guarantees it is writable.
            Some(unsafe { ptr::out(gmk_id_out)? })
        };
        let k = group::generate_gmk()?;
        let id = group::generate_gmk_id()?;
        put(out, &k[..])?;
        if let Some(o) = id_out {
            *o = id;
        }
        Ok(())
    })
}

/// A fresh GSK and master salt for SRTP profile `srtp_profile` (a `prose_srtp_session_new`
/// profile id) from the OS random source: the key to `key_out` (capacity `key_cap`) and the
/// salt to `salt_out` (capacity `salt_cap`), their lengths to `*key_len` and `*salt_len`;
/// unless `gsk_id_out` is NULL, a fresh 32-bit GSK-ID.
///
/// # Safety
/// Buffers valid for their capacities; `key_len`, `salt_len` writable; `gsk_id_out` NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn prose_generate_gsk(
    srtp_profile: u16,
    key_out: *mut u8,
    key_cap: usize,
    key_len: *mut usize,
    salt_out: *mut u8,
    salt_cap: usize,
    salt_len: *mut usize,
    gsk_id_out: *mut u32,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees valid, non-overlapping outputs.
        let (k_out, k_len, s_out, s_len) = unsafe {
            (
                ptr::slice_mut(key_out, key_cap)?,
                ptr::out(key_len)?,
                ptr::slice_mut(salt_out, salt_cap)?,
                ptr::out(salt_len)?,
            )
        };
        let id_out = if gsk_id_out.is_null() {
            None
        } else {
            // SAFETY: non-NULL, and the caller guarantees it is writable.
            Some(unsafe { ptr::out(gsk_id_out)? })
        };
        let p = SrtpProfile::from_id(srtp_profile)?;
        let (k, s) = group::generate_gsk(p)?;
        let id = group::generate_gsk_id()?;
        if k_out.len() < k.len() || s_out.len() < s.len() {
            return Err(prose_result::PROSE_ERR_BUFFER_TOO_SMALL);
        }
        put(k_out, &k)?;
        put(s_out, &s)?;
        *k_len = k.len();
        *s_len = s.len();
        if let Some(o) = id_out {
            *o = id;
        }
        Ok(())
    })
}

/// The current time as NTP seconds (for the `ntp_seconds` / `now_ntp_seconds` arguments).
#[no_mangle]
pub extern "C" fn prose_ntp_now() -> u64 {
    guard_or(0, || mikey::ntp_now_secs().unwrap_or(0))
}

/// The `prose` identifier of `uri` for the month of `ntp_seconds` (RFC 6509 §3.2:
/// `"YYYY-MM" 0x00 URI 0x00`), the identifier SAKKE encrypts to and ECCSI signs as. Writes it to
/// `out` and its length to `*out_len`.
///
/// # Safety
/// Buffers valid for their lengths; `out_len` writable.
#[no_mangle]
pub unsafe extern "C" fn prose_mikey_prose_identifier(
    uri: *const u8,
    uri_len: usize,
    ntp_seconds: u64,
    out: *mut u8,
    out_cap: usize,
    out_len: *mut usize,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees valid buffers.
        let (uri, out, len_out) = unsafe {
            (
                ptr::slice(uri, uri_len)?,
                ptr::slice_mut_apart(out, out_cap, &[(uri, uri_len)])?,
                ptr::out(out_len)?,
            )
        };
        output(out, len_out, &mikey::prose_identifier(uri, ntp_seconds)?)
    })
}
