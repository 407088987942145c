//! The group roles, sans-IO: `prose_group_manager` (members, GMKs, the GMK I_MESSAGEs for the
//! members, rekey, revocation, confirmations), `prose_member` (key sets, joined groups, every
//! received message reported as a `prose_member_event`, one SRTP receive session per group) and
//! `prose_initiator` (a call: its GSK offers and its SRTP send session). Both identifier
//! profiles, as the KMS certificate says. The caller passes the time in and sends what comes out.

use crate::error::prose_result;
use crate::kms::{output_sized, prose_key_set, prose_kms_certificate};
use crate::panic::{guard, guard_or};
use crate::ptr;
use prose_sec::group::initiator::Initiator;
use prose_sec::group::manager::{Manager, Notification};
use prose_sec::group::member::{Event, Member};
use prose_sec::mikey::PskPolicy;
use prose_sec::srtp::{Profile as SrtpProfile, Session};
use rand_core::OsRng;

/// A Group Manager: the group URI, its key set (it signs as the group identity), its members
/// and GMKs. Zeroized when freed.
pub struct prose_group_manager {
    inner: Manager,
}
/// GMK I_MESSAGEs made by a Group Manager, one per member (read with
/// `prose_notifications_get`).
pub struct prose_notifications {
    inner: Vec<Notification>,
}
/// A member: URI, KMS certificate, key sets by period, joined groups with their GMKs and SRTP
/// receive sessions. Zeroized when freed.
pub struct prose_member {
    inner: Member,
}
/// A call a member started: GSK, offers (first and re-sent) and the SRTP send session.
/// Zeroized when freed.
pub struct prose_initiator {
    inner: Initiator,
    /// A re-sent offer that did not fit the caller's buffer, handed out by the next call.
    pending: Option<Vec<u8>>,
}

/// What a `prose_member_handle` call did.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum prose_member_event_kind {
    /// A GMK was accepted (new, or new parameters such as a revocation): `gmk_id`.
    PROSE_EVENT_GMK_ACCEPTED = 1,
    /// The group's first GSK: its receive session exists now. `gsk_id`.
    PROSE_EVENT_SESSION_STARTED = 2,
    /// A new GSK was added beside the old ones (rekey): `gsk_id`.
    PROSE_EVENT_REKEYED = 3,
    /// An offer for a GSK the session already has (a re-send): `gsk_id`.
    PROSE_EVENT_RESENT = 4,
    /// The message was refused, nothing changed: `reason`; `has_group` if it named a group.
    PROSE_EVENT_REFUSED = 5,
}

/// An event, written whole by `prose_member_handle`. The group URI goes to the caller's buffer;
/// `group_len` is its full length (if larger than the buffer, the buffer holds its first
/// octets). Fields that do not apply to the kind are 0 (`reason` is `PROSE_OK` but for
/// `PROSE_EVENT_REFUSED`).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct prose_member_event {
    pub kind: prose_member_event_kind,
    pub has_group: bool,
    pub group_len: usize,
    pub gmk_id: u32,
    pub gsk_id: u32,
    pub reason: prose_result,
}

fn member_event(e: Event, group_out: &mut [u8]) -> prose_member_event {
    use prose_member_event_kind::*;
    let (kind, group, gmk_id, gsk_id, reason) = match e {
        Event::GmkAccepted { group, gmk_id } => {
            (PROSE_EVENT_GMK_ACCEPTED, Some(group), gmk_id, 0, None)
        }
        Event::SessionStarted { group, gsk_id } => {
            (PROSE_EVENT_SESSION_STARTED, Some(group), 0, gsk_id, None)
        }
        Event::Rekeyed { group, gsk_id } => (PROSE_EVENT_REKEYED, Some(group), 0, gsk_id, None),
        Event::Resent { group, gsk_id } => (PROSE_EVENT_RESENT, Some(group), 0, gsk_id, None),
        Event::Refused { group, reason } => (PROSE_EVENT_REFUSED, group, 0, 0, Some(reason)),
        // `Event` may grow; an unknown event is reported as a refusal without a reason code.
        #[allow(unreachable_patterns)]
        _ => (PROSE_EVENT_REFUSED, None, 0, 0, None),
    };
    let group_len = group.as_ref().map_or(0, Vec::len);
    if let Some(g) = &group {
        let n = g.len().min(group_out.len());
        group_out[..n].copy_from_slice(&g[..n]);
    }
    prose_member_event {
        kind,
        has_group: group.is_some(),
        group_len,
        gmk_id,
        gsk_id,
        reason: match (kind, reason) {
            (_, Some(r)) => r.into(),
            (PROSE_EVENT_REFUSED, None) => prose_result::PROSE_ERR_UNSUPPORTED,
            _ => prose_result::PROSE_OK,
        },
    }
}

fn give_list(
    out: &mut *mut prose_notifications,
    inner: Vec<Notification>,
) -> Result<(), prose_result> {
    *out = ptr::into_raw(prose_notifications { inner });
    Ok(())
}

/// A Group Manager for `group_uri`, signing as the group identity with `key_set` (the group's
/// key set, checked against `cert` at `now_ntp_seconds` as a member checks its own; copied).
/// `*manager_out` receives a new object.
///
/// # Safety
/// Objects live; `group_uri` valid for `group_uri_len` octets; `manager_out` writable.
#[no_mangle]
pub unsafe extern "C" fn prose_group_manager_new(
    group_uri: *const u8,
    group_uri_len: usize,
    cert: *const prose_kms_certificate,
    key_set: *const prose_key_set,
    now_ntp_seconds: u64,
    manager_out: *mut *mut prose_group_manager,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees live objects and valid pointers.
        let (group, cert, ks, out) = unsafe {
            (
                ptr::slice(group_uri, group_uri_len)?,
                ptr::obj(cert)?,
                ptr::obj(key_set)?,
                ptr::out(manager_out)?,
            )
        };
        let keys = cert
            .inner
            .accept(group, ks.inner.clone(), now_ntp_seconds)?;
        let inner = Manager::new(group, cert.inner.clone(), keys)?;
        *out = ptr::into_raw(prose_group_manager { inner });
        Ok(())
    })
}

/// Releases a Group Manager (zeroizing its GMKs and keys). NULL is ignored.
///
/// # Safety
/// `manager` NULL or a live object, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn prose_group_manager_free(manager: *mut prose_group_manager) {
    // SAFETY: the caller guarantees NULL or a live object.
    guard_or((), || unsafe { ptr::free(manager) })
}

/// Adds a member; `*added_out` (may be NULL) receives false if it already was one.
///
/// # Safety
/// `manager` live; `uri` valid for `uri_len` octets; `added_out` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn prose_group_manager_add_member(
    manager: *mut prose_group_manager,
    uri: *const u8,
    uri_len: usize,
    added_out: *mut bool,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees a live object and a valid buffer.
        let (m, uri) = unsafe { (ptr::obj_mut(manager)?, ptr::slice(uri, uri_len)?) };
        let added = m.inner.add_member(uri)?;
        if !added_out.is_null() {
            // SAFETY: non-NULL, and the caller guarantees it is writable.
            unsafe { ptr::write(added_out, added)? };
        }
        Ok(())
    })
}

/// Removes a member (it keeps the GMKs it had: follow with `prose_group_manager_rekey`);
/// `*removed_out` (may be NULL) receives false if it was none.
///
/// # Safety
/// `manager` live; `uri` valid for `uri_len` octets; `removed_out` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn prose_group_manager_remove_member(
    manager: *mut prose_group_manager,
    uri: *const u8,
    uri_len: usize,
    removed_out: *mut bool,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees a live object and a valid buffer.
        let (m, uri) = unsafe { (ptr::obj_mut(manager)?, ptr::slice(uri, uri_len)?) };
        let removed = m.inner.remove_member(uri);
        if !removed_out.is_null() {
            // SAFETY: non-NULL, and the caller guarantees it is writable.
            unsafe { ptr::write(removed_out, removed)? };
        }
        Ok(())
    })
}

/// Creates a GMK valid from `activation` to `expiry` (NTP seconds; 0 for none) and makes it
/// current; `*gmk_id_out` receives its GMK-ID.
///
/// # Safety
/// `manager` live; `gmk_id_out` writable.
#[no_mangle]
pub unsafe extern "C" fn prose_group_manager_create_gmk(
    manager: *mut prose_group_manager,
    activation: u64,
    expiry: u64,
    gmk_id_out: *mut u32,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees a live object and a writable output.
        let (m, out) = unsafe { (ptr::obj_mut(manager)?, ptr::out(gmk_id_out)?) };
        *out = m.inner.create_gmk(activation, expiry, &mut OsRng)?;
        Ok(())
    })
}

/// The current GMK-ID (the newest not revoked); `PROSE_ERR_UNKNOWN_KEY` if there is none.
///
/// # Safety
/// `manager` live; `gmk_id_out` writable.
#[no_mangle]
pub unsafe extern "C" fn prose_group_manager_current(
    manager: *const prose_group_manager,
    gmk_id_out: *mut u32,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees a live object and a writable output.
        let (m, out) = unsafe { (ptr::obj(manager)?, ptr::out(gmk_id_out)?) };
        *out = m
            .inner
            .current()
            .ok_or(prose_result::PROSE_ERR_UNKNOWN_KEY)?;
        Ok(())
    })
}

/// One GMK I_MESSAGE per member for GMK `gmk_id` at `now_ntp_seconds` (T must not be older
/// than the GMK's last message). `*notifications_out` receives a new list the caller owns.
///
/// # Safety
/// `manager` live; `notifications_out` writable.
#[no_mangle]
pub unsafe extern "C" fn prose_group_manager_notifications(
    manager: *mut prose_group_manager,
    gmk_id: u32,
    now_ntp_seconds: u64,
    notifications_out: *mut *mut prose_notifications,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees a live object and a writable output.
        let (m, out) = unsafe { (ptr::obj_mut(manager)?, ptr::out(notifications_out)?) };
        let n = m.inner.notifications(gmk_id, now_ntp_seconds, &mut OsRng)?;
        give_list(out, n)
    })
}

/// The GMK I_MESSAGEs of GMK `gmk_id` for the `n` members `uris` only (`uris[i]` holding
/// `uri_lens[i]` octets): a member added mid-life, or a re-send to those who have not confirmed.
///
/// # Safety
/// `manager` live; `uris`/`uri_lens` arrays of `n` elements, each URI valid for its length;
/// `notifications_out` writable.
#[no_mangle]
pub unsafe extern "C" fn prose_group_manager_notify_some(
    manager: *mut prose_group_manager,
    gmk_id: u32,
    uris: *const *const u8,
    uri_lens: *const usize,
    n: usize,
    now_ntp_seconds: u64,
    notifications_out: *mut *mut prose_notifications,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees a live object, arrays of `n` elements and a writable
        // output.
        let (m, ptrs, lens, out) = unsafe {
            (
                ptr::obj_mut(manager)?,
                ptr::array(uris, n)?,
                ptr::array(uri_lens, n)?,
                ptr::out(notifications_out)?,
            )
        };
        let mut members = Vec::with_capacity(n);
        for (&p, &l) in ptrs.iter().zip(lens) {
            // SAFETY: the caller guarantees each URI is valid for its length.
            members.push(unsafe { ptr::slice(p, l)? }.to_vec());
        }
        let list = m
            .inner
            .notify_some(gmk_id, &members, now_ntp_seconds, &mut OsRng)?;
        give_list(out, list)
    })
}

/// A new GMK (expiring at `expiry`, 0 for none) for every current member: `*gmk_id_out`
/// receives its GMK-ID and `*notifications_out` the members' messages. Nothing changes on error.
///
/// # Safety
/// `manager` live; both outputs writable.
#[no_mangle]
pub unsafe extern "C" fn prose_group_manager_rekey(
    manager: *mut prose_group_manager,
    now_ntp_seconds: u64,
    expiry: u64,
    gmk_id_out: *mut u32,
    notifications_out: *mut *mut prose_notifications,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees a live object and writable outputs.
        let (m, id_out, out) = unsafe {
            (
                ptr::obj_mut(manager)?,
                ptr::out(gmk_id_out)?,
                ptr::out(notifications_out)?,
            )
        };
        let (id, list) = m.inner.rekey(now_ntp_seconds, expiry, &mut OsRng)?;
        *id_out = id;
        give_list(out, list)
    })
}

/// Revokes GMK `gmk_id`; `*notifications_out` receives the messages telling every member
/// (members then refuse offers under it). T must be newer than the GMK's last message.
///
/// # Safety
/// `manager` live; `notifications_out` writable.
#[no_mangle]
pub unsafe extern "C" fn prose_group_manager_revoke(
    manager: *mut prose_group_manager,
    gmk_id: u32,
    now_ntp_seconds: u64,
    notifications_out: *mut *mut prose_notifications,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees a live object and a writable output.
        let (m, out) = unsafe { (ptr::obj_mut(manager)?, ptr::out(notifications_out)?) };
        let list = m.inner.revoke(gmk_id, now_ntp_seconds, &mut OsRng)?;
        give_list(out, list)
    })
}

/// Records that the member `uri` confirmed GMK `gmk_id`.
///
/// # Safety
/// `manager` live; `uri` valid for `uri_len` octets.
#[no_mangle]
pub unsafe extern "C" fn prose_group_manager_confirm(
    manager: *mut prose_group_manager,
    uri: *const u8,
    uri_len: usize,
    gmk_id: u32,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees a live object and a valid buffer.
        let (m, uri) = unsafe { (ptr::obj_mut(manager)?, ptr::slice(uri, uri_len)?) };
        m.inner.confirm(uri, gmk_id)?;
        Ok(())
    })
}

/// The number of members that have not confirmed GMK `gmk_id`.
///
/// # Safety
/// `manager` live; `count_out` writable.
#[no_mangle]
pub unsafe extern "C" fn prose_group_manager_unconfirmed_count(
    manager: *const prose_group_manager,
    gmk_id: u32,
    count_out: *mut usize,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees a live object and a writable output.
        let (m, out) = unsafe { (ptr::obj(manager)?, ptr::out(count_out)?) };
        *out = m.inner.unconfirmed(gmk_id)?.len();
        Ok(())
    })
}

/// The URI of the `index`-th member (in URI order) that has not confirmed GMK `gmk_id`, copied
/// to `out` with its length in `*out_len`; `PROSE_ERR_INVALID_PARAMETER` past the last one.
///
/// # Safety
/// `manager` live; `out` valid for `out_cap` octets; `out_len` writable.
#[no_mangle]
pub unsafe extern "C" fn prose_group_manager_unconfirmed_get(
    manager: *const prose_group_manager,
    gmk_id: u32,
    index: usize,
    out: *mut u8,
    out_cap: usize,
    out_len: *mut usize,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees a live object and valid outputs.
        let (m, out, len_out) = unsafe {
            (
                ptr::obj(manager)?,
                ptr::slice_mut(out, out_cap)?,
                ptr::out(out_len)?,
            )
        };
        let list = m.inner.unconfirmed(gmk_id)?;
        let uri = list
            .get(index)
            .ok_or(prose_result::PROSE_ERR_INVALID_PARAMETER)?;
        crate::bytes::put(out, uri)?;
        *len_out = uri.len();
        Ok(())
    })
}

/// The number of messages in a list (0 if `list` is NULL).
///
/// # Safety
/// `list` NULL or live.
#[no_mangle]
pub unsafe extern "C" fn prose_notifications_count(list: *const prose_notifications) -> usize {
    guard_or(0, || {
        // SAFETY: the caller guarantees NULL or a live object.
        unsafe { ptr::obj(list) }.map_or(0, |l| l.inner.len())
    })
}

/// Message `index` of a list: the member's URI, the GMK-ID and the I_MESSAGE, as pointers into
/// the list (valid until it is freed) with their lengths. `PROSE_ERR_INVALID_PARAMETER` past the
/// end.
///
/// # Safety
/// `list` live; every output writable.
#[no_mangle]
pub unsafe extern "C" fn prose_notifications_get(
    list: *const prose_notifications,
    index: usize,
    member_out: *mut *const u8,
    member_len_out: *mut usize,
    gmk_id_out: *mut u32,
    message_out: *mut *const u8,
    message_len_out: *mut usize,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees a live object and writable outputs.
        let (l, m, ml, id, msg, msgl) = unsafe {
            (
                ptr::obj(list)?,
                ptr::out(member_out)?,
                ptr::out(member_len_out)?,
                ptr::out(gmk_id_out)?,
                ptr::out(message_out)?,
                ptr::out(message_len_out)?,
            )
        };
        let n = l
            .inner
            .get(index)
            .ok_or(prose_result::PROSE_ERR_INVALID_PARAMETER)?;
        *m = n.member.as_ptr();
        *ml = n.member.len();
        *id = n.gmk_id;
        *msg = n.message.as_ptr();
        *msgl = n.message.len();
        Ok(())
    })
}

/// Releases a list of messages. NULL is ignored.
///
/// # Safety
/// `list` NULL or a live object, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn prose_notifications_free(list: *mut prose_notifications) {
    // SAFETY: the caller guarantees NULL or a live object.
    guard_or((), || unsafe { ptr::free(list) })
}

/// A member `uri` of the KMS `cert` (copied). GSK offers older or newer than `max_skew_secs`
/// (0: 30 s) are refused, and unsigned ones if `require_signature`. `*member_out` receives a new
/// object.
///
/// # Safety
/// `cert` live; `uri` valid for `uri_len` octets; `member_out` writable.
#[no_mangle]
pub unsafe extern "C" fn prose_member_new(
    uri: *const u8,
    uri_len: usize,
    cert: *const prose_kms_certificate,
    require_signature: bool,
    max_skew_secs: u64,
    member_out: *mut *mut prose_member,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees a live object and valid pointers.
        let (uri, cert, out) = unsafe {
            (
                ptr::slice(uri, uri_len)?,
                ptr::obj(cert)?,
                ptr::out(member_out)?,
            )
        };
        let mut policy = PskPolicy {
            require_signature,
            ..PskPolicy::default()
        };
        if max_skew_secs != 0 {
            policy.max_skew_secs = max_skew_secs;
        }
        *out = ptr::into_raw(prose_member {
            inner: Member::new(uri, cert.inner.clone(), policy),
        });
        Ok(())
    })
}

/// Releases a member (zeroizing its keys, GMKs and sessions). NULL is ignored.
///
/// # Safety
/// `member` NULL or a live object, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn prose_member_free(member: *mut prose_member) {
    // SAFETY: the caller guarantees NULL or a live object.
    guard_or((), || unsafe { ptr::free(member) })
}

/// Validates a key set at `now_ntp_seconds` (see `prose_kms_certificate_accept`) and keeps a copy
/// of it; on error nothing changes.
///
/// # Safety
/// Objects live.
#[no_mangle]
pub unsafe extern "C" fn prose_member_add_key_set(
    member: *mut prose_member,
    key_set: *const prose_key_set,
    now_ntp_seconds: u64,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees live objects.
        let (m, ks) = unsafe { (ptr::obj_mut(member)?, ptr::obj(key_set)?) };
        m.inner.add_key_set(ks.inner.clone(), now_ntp_seconds)?;
        Ok(())
    })
}

/// Joins the group `group_uri` (GMK messages and offers of other groups are refused).
///
/// # Safety
/// `member` live; `group_uri` valid for `group_uri_len` octets.
#[no_mangle]
pub unsafe extern "C" fn prose_member_join(
    member: *mut prose_member,
    group_uri: *const u8,
    group_uri_len: usize,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees a live object and a valid buffer.
        let (m, group) = unsafe { (ptr::obj_mut(member)?, ptr::slice(group_uri, group_uri_len)?) };
        m.inner.join(group);
        Ok(())
    })
}

/// Handles any message of the member's protocol (a GMK I_MESSAGE or a GSK offer) received at
/// `now_ntp_seconds` and writes what happened to `*event_out`; a refused message is
/// `PROSE_EVENT_REFUSED` with its reason, and changes nothing. The group the event names is
/// copied to `group_out` (see `prose_member_event`). Returns `PROSE_OK` whenever the event was
/// written; an error only for invalid arguments (then the message was not handled).
///
/// # Safety
/// `member` live; `msg` valid for `msg_len` octets; `group_out` writable for `group_cap`
/// octets; `event_out` writable.
#[no_mangle]
pub unsafe extern "C" fn prose_member_handle(
    member: *mut prose_member,
    msg: *const u8,
    msg_len: usize,
    now_ntp_seconds: u64,
    group_out: *mut u8,
    group_cap: usize,
    event_out: *mut prose_member_event,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees a live object and valid buffers; the event slot is
        // checked here (NULL, alignment) so that it can be written after the message is handled.
        let (m, msg, group, ev) = unsafe {
            (
                ptr::obj_mut(member)?,
                ptr::slice(msg, msg_len)?,
                ptr::slice_mut_apart(group_out, group_cap, &[(msg, msg_len)])?,
                ptr::out_array(event_out, 1)?,
            )
        };
        let event = member_event(m.inner.handle(msg, now_ntp_seconds), group);
        // SAFETY: checked above for one writable element.
        unsafe { ptr::write_at(ev, 0, event) };
        Ok(())
    })
}

/// The current GMK-ID of the joined group `group_uri` at `now_ntp_seconds`;
/// `PROSE_ERR_UNKNOWN_KEY` if it has none usable.
///
/// # Safety
/// `member` live; `group_uri` valid; `gmk_id_out` writable.
#[no_mangle]
pub unsafe extern "C" fn prose_member_current_gmk(
    member: *const prose_member,
    group_uri: *const u8,
    group_uri_len: usize,
    now_ntp_seconds: u64,
    gmk_id_out: *mut u32,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees a live object and valid pointers.
        let (m, group, out) = unsafe {
            (
                ptr::obj(member)?,
                ptr::slice(group_uri, group_uri_len)?,
                ptr::out(gmk_id_out)?,
            )
        };
        *out = m
            .inner
            .current_gmk(group, now_ntp_seconds)
            .ok_or(prose_result::PROSE_ERR_UNKNOWN_KEY)?
            .gmk_id();
        Ok(())
    })
}

/// Whether the group `group_uri` has a receive session (a GSK arrived). False for NULL.
///
/// # Safety
/// `member` NULL or live; `group_uri` valid for `group_uri_len` octets.
#[no_mangle]
pub unsafe extern "C" fn prose_member_has_session(
    member: *mut prose_member,
    group_uri: *const u8,
    group_uri_len: usize,
) -> bool {
    guard_or(false, || {
        // SAFETY: the caller guarantees NULL or a live object and a valid buffer.
        match unsafe { (ptr::obj_mut(member), ptr::slice(group_uri, group_uri_len)) } {
            (Ok(m), Ok(g)) => m.inner.session(g).is_some(),
            _ => false,
        }
    })
}

type Op = fn(&mut Session, &mut [u8], usize) -> prose_sec::Result<usize>;

/// In place on `buf[0..len]` (room for `capacity`) with `session`, as the `prose_srtp_session`
/// functions do.
///
/// # Safety
/// `buf` valid for reading and writing `capacity` octets, `len_out` writable.
unsafe fn in_place(
    session: &mut Session,
    buf: *mut u8,
    len: usize,
    capacity: usize,
    len_out: *mut usize,
    op: Op,
) -> Result<(), prose_result> {
    if len > capacity {
        return Err(prose_result::PROSE_ERR_INVALID_PARAMETER);
    }
    // SAFETY: forwarded from this function's contract.
    let (buf, out) = unsafe { (ptr::slice_mut(buf, capacity)?, ptr::out(len_out)?) };
    *out = op(session, buf, len)?;
    Ok(())
}

/// # Safety
/// As the exported member functions below.
#[allow(clippy::too_many_arguments)]
unsafe fn member_op(
    member: *mut prose_member,
    group_uri: *const u8,
    group_uri_len: usize,
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
        // SAFETY: the caller guarantees a live object, valid buffers and a writable output;
        // a packet buffer overlapping the group URI is refused before either is borrowed.
        let (m, group, buf, out) = unsafe {
            (
                ptr::obj_mut(member)?,
                ptr::slice(group_uri, group_uri_len)?,
                ptr::slice_mut_apart(buf, capacity, &[(group_uri, group_uri_len)])?,
                ptr::out(len_out)?,
            )
        };
        let session = m
            .inner
            .session(group)
            .ok_or(prose_result::PROSE_ERR_UNKNOWN_KEY)?;
        *out = op(session, buf, len)?;
        Ok(())
    })
}

/// Verifies and decrypts the SRTP packet `buf[0..len]` in place with the receive session of the
/// group `group_uri`; `*len_out` receives the RTP length. `PROSE_ERR_UNKNOWN_KEY` if the group
/// has no session yet. On any error the buffer and the session are unchanged.
///
/// # Safety
/// `member` live; `group_uri` valid and apart from `buf`; `buf` valid for reading and writing
/// `capacity` octets; `len_out` writable.
#[no_mangle]
pub unsafe extern "C" fn prose_member_unprotect_rtp(
    member: *mut prose_member,
    group_uri: *const u8,
    group_uri_len: usize,
    buf: *mut u8,
    len: usize,
    capacity: usize,
    len_out: *mut usize,
) -> prose_result {
    // SAFETY: forwarded from this function's contract.
    unsafe {
        member_op(
            member,
            group_uri,
            group_uri_len,
            buf,
            len,
            capacity,
            len_out,
            Session::unprotect_rtp,
        )
    }
}

/// Verifies and decrypts the SRTCP packet `buf[0..len]` in place with the group's receive
/// session; as `prose_member_unprotect_rtp`.
///
/// # Safety
/// As `prose_member_unprotect_rtp`.
#[no_mangle]
pub unsafe extern "C" fn prose_member_unprotect_rtcp(
    member: *mut prose_member,
    group_uri: *const u8,
    group_uri_len: usize,
    buf: *mut u8,
    len: usize,
    capacity: usize,
    len_out: *mut usize,
) -> prose_result {
    // SAFETY: forwarded from this function's contract.
    unsafe {
        member_op(
            member,
            group_uri,
            group_uri_len,
            buf,
            len,
            capacity,
            len_out,
            Session::unprotect_rtcp,
        )
    }
}

/// Starts a call of the member to the joined group `group_uri` at `now_ntp_seconds` under its
/// current GMK: SRTP profile `srtp_profile` (a `prose_srtp_session_new` profile id), sending from
/// the `n_ssrcs` SSRCs `ssrcs` (1 to 255), offers signed with the member's key set of the
/// period if `sign`. `*initiator_out` receives a new object holding the first offer and the send
/// session. `PROSE_ERR_UNKNOWN_KEY` without a usable GMK or (when signing) key set.
///
/// # Safety
/// `member` live; `group_uri` valid; `ssrcs` an array of `n_ssrcs` values; `initiator_out`
/// writable.
#[no_mangle]
pub unsafe extern "C" fn prose_member_start_call(
    member: *const prose_member,
    group_uri: *const u8,
    group_uri_len: usize,
    srtp_profile: u16,
    ssrcs: *const u32,
    n_ssrcs: usize,
    now_ntp_seconds: u64,
    sign: bool,
    initiator_out: *mut *mut prose_initiator,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees a live object and valid pointers.
        let (m, group, ssrcs, out) = unsafe {
            (
                ptr::obj(member)?,
                ptr::slice(group_uri, group_uri_len)?,
                ptr::slice_u32(ssrcs, n_ssrcs)?,
                ptr::out(initiator_out)?,
            )
        };
        let profile = SrtpProfile::from_id(srtp_profile)?;
        let inner = m
            .inner
            .start_call(group, profile, ssrcs, now_ntp_seconds, sign)?;
        *out = ptr::into_raw(prose_initiator {
            inner,
            pending: None,
        });
        Ok(())
    })
}

/// Releases a call (zeroizing its GSK and session). NULL is ignored.
///
/// # Safety
/// `initiator` NULL or a live object, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn prose_initiator_free(initiator: *mut prose_initiator) {
    // SAFETY: the caller guarantees NULL or a live object.
    guard_or((), || unsafe { ptr::free(initiator) })
}

/// The GSK-ID of the call (also its SRTP MKI); 0 if `initiator` is NULL.
///
/// # Safety
/// `initiator` NULL or live.
#[no_mangle]
pub unsafe extern "C" fn prose_initiator_gsk_id(initiator: *const prose_initiator) -> u32 {
    guard_or(0, || {
        // SAFETY: the caller guarantees NULL or a live object.
        unsafe { ptr::obj(initiator) }.map_or(0, |i| i.inner.gsk_id())
    })
}

/// The GMK-ID the call's offers are made under; 0 if `initiator` is NULL.
///
/// # Safety
/// `initiator` NULL or live.
#[no_mangle]
pub unsafe extern "C" fn prose_initiator_gmk_id(initiator: *const prose_initiator) -> u32 {
    guard_or(0, || {
        // SAFETY: the caller guarantees NULL or a live object.
        unsafe { ptr::obj(initiator) }.map_or(0, |i| i.inner.gmk_id())
    })
}

/// The offer made at the start of the call (to send with the call set-up), copied to `out`
/// with its length in `*out_len`.
///
/// # Safety
/// `initiator` live; `out` valid for `out_cap` octets; `out_len` writable.
#[no_mangle]
pub unsafe extern "C" fn prose_initiator_first_offer(
    initiator: *const prose_initiator,
    out: *mut u8,
    out_cap: usize,
    out_len: *mut usize,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees a live object and valid outputs.
        let (i, out, len_out) = unsafe {
            (
                ptr::obj(initiator)?,
                ptr::slice_mut(out, out_cap)?,
                ptr::out(out_len)?,
            )
        };
        let offer = i.inner.first_offer();
        crate::bytes::put(out, offer)?;
        *len_out = offer.len();
        Ok(())
    })
}

/// The SDP offer of the first offer (`a=key-mgmt:mikey` and one audio stream on `port`, origin
/// and connection address `origin_addr`, which must be UTF-8), NUL-terminated in `out`;
/// `*out_len` excludes the NUL.
///
/// # Safety
/// `initiator` live; `origin_addr` valid for `origin_addr_len` octets; `out` valid for
/// `out_cap` octets; `out_len` writable.
#[no_mangle]
pub unsafe extern "C" fn prose_initiator_sdp_offer(
    initiator: *const prose_initiator,
    origin_addr: *const u8,
    origin_addr_len: usize,
    port: u16,
    out: *mut u8,
    out_cap: usize,
    out_len: *mut usize,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees a live object and valid buffers.
        let (i, addr, out, len_out) = unsafe {
            (
                ptr::obj(initiator)?,
                ptr::slice(origin_addr, origin_addr_len)?,
                ptr::slice_mut_apart(out, out_cap, &[(origin_addr, origin_addr_len)])?,
                ptr::out(out_len)?,
            )
        };
        let addr =
            core::str::from_utf8(addr).map_err(|_| prose_result::PROSE_ERR_INVALID_PARAMETER)?;
        let sdp = i.inner.sdp_offer(addr, port);
        if out.len() <= sdp.len() {
            return Err(prose_result::PROSE_ERR_BUFFER_TOO_SMALL);
        }
        out[..sdp.len()].copy_from_slice(sdp.as_bytes());
        out[sdp.len()] = 0;
        *len_out = sdp.len();
        Ok(())
    })
}

/// Sets the interval of re-sent offers (at least one second; 5 by default).
///
/// # Safety
/// `initiator` live.
#[no_mangle]
pub unsafe extern "C" fn prose_initiator_set_resend_secs(
    initiator: *mut prose_initiator,
    secs: u64,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees a live object.
        let i = unsafe { ptr::obj_mut(initiator)? };
        i.inner.set_resend_secs(secs)?;
        Ok(())
    })
}

/// The offer to re-send for late entry, if one is due at `now_ntp_seconds` (fresh T and RAND,
/// current ROCs): `*due_out` says whether one was, and the offer goes to `out` with its length
/// in `*out_len`. Signed with the key set of `signer` (the member that started the call) for the
/// period, or unsigned if `signer` is NULL. If the offer does not fit, the result is
/// `PROSE_ERR_BUFFER_TOO_SMALL` with `*out_len` set to the length needed, and the offer is kept
/// for the next call.
///
/// # Safety
/// `initiator` live; `signer` NULL or live; `out` valid for `out_cap` octets; `out_len` and
/// `due_out` writable.
#[no_mangle]
pub unsafe extern "C" fn prose_initiator_resend_due(
    initiator: *mut prose_initiator,
    signer: *const prose_member,
    now_ntp_seconds: u64,
    out: *mut u8,
    out_cap: usize,
    out_len: *mut usize,
    due_out: *mut bool,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees live objects (or a NULL signer) and valid outputs.
        let (i, signer, out, len_out, due) = unsafe {
            (
                ptr::obj_mut(initiator)?,
                signer.as_ref(),
                ptr::slice_mut(out, out_cap)?,
                ptr::out(out_len)?,
                ptr::out_array(due_out, 1)?,
            )
        };
        let offer = match i.pending.take() {
            Some(o) => Some(o),
            None => {
                let key = match signer {
                    Some(m) => Some(
                        m.inner
                            .signing_key(now_ntp_seconds)
                            .ok_or(prose_result::PROSE_ERR_UNKNOWN_KEY)?,
                    ),
                    None => None,
                };
                i.inner.resend_due(now_ntp_seconds, key)?
            }
        };
        let Some(offer) = offer else {
            // SAFETY: checked above for one writable element.
            unsafe { ptr::write_at(due, 0, false) };
            return Ok(());
        };
        if let Err(e) = output_sized(out, len_out, &offer) {
            i.pending = Some(offer);
            return Err(e);
        }
        // SAFETY: checked above for one writable element.
        unsafe { ptr::write_at(due, 0, true) };
        Ok(())
    })
}

/// The most octets protecting adds to a packet (0 if `initiator` is NULL).
///
/// # Safety
/// `initiator` NULL or live.
#[no_mangle]
pub unsafe extern "C" fn prose_initiator_max_overhead(initiator: *mut prose_initiator) -> usize {
    guard_or(0, || {
        // SAFETY: the caller guarantees NULL or a live object.
        unsafe { ptr::obj_mut(initiator) }.map_or(0, |i| i.inner.session().max_overhead())
    })
}

/// Protects the RTP packet `buf[0..len]` in place with the call's send session (the GSK, its
/// GSK-ID as MKI); `*len_out` receives the SRTP length. `buf` needs
/// `prose_initiator_max_overhead` spare octets.
///
/// # Safety
/// `initiator` live; `buf` valid for reading and writing `capacity` octets; `len_out` writable.
#[no_mangle]
pub unsafe extern "C" fn prose_initiator_protect_rtp(
    initiator: *mut prose_initiator,
    buf: *mut u8,
    len: usize,
    capacity: usize,
    len_out: *mut usize,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees a live object.
        let i = unsafe { ptr::obj_mut(initiator)? };
        // SAFETY: forwarded from this function's contract.
        unsafe {
            in_place(
                i.inner.session(),
                buf,
                len,
                capacity,
                len_out,
                Session::protect_rtp,
            )
        }
    })
}

/// Protects the RTCP compound packet `buf[0..len]` in place with the call's send session; as
/// `prose_initiator_protect_rtp`.
///
/// # Safety
/// As `prose_initiator_protect_rtp`.
#[no_mangle]
pub unsafe extern "C" fn prose_initiator_protect_rtcp(
    initiator: *mut prose_initiator,
    buf: *mut u8,
    len: usize,
    capacity: usize,
    len_out: *mut usize,
) -> prose_result {
    guard(|| {
        // SAFETY: the caller guarantees a live object.
        let i = unsafe { ptr::obj_mut(initiator)? };
        // SAFETY: forwarded from this function's contract.
        unsafe {
            in_place(
                i.inner.session(),
                buf,
                len,
                capacity,
                len_out,
                Session::protect_rtcp,
            )
        }
    })
}
