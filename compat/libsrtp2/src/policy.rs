//! From libsrtp policies to the engine's: profiles, master keys and MKIs, window, flags.
//! Everything here runs when a stream is created or updated, never per packet.

use crate::types::*;
use prose_sec::srtp::{MasterKey, Policy, Profile, MAX_MKI_LEN, MAX_REPLAY_WINDOW};

/// Why a policy cannot be used: libsrtp's status and a message for the log handler.
pub(crate) type Refusal = (srtp_err_status_t, &'static str);

const UNSUPPORTED: srtp_err_status_t = srtp_err_status_bad_param;

/// The engine profile whose SRTP (`rtcp == false`) or SRTCP side is the crypto policy `p`.
pub(crate) fn profile_of(p: &srtp_crypto_policy_t, rtcp: bool) -> Result<Profile, Refusal> {
    let conf = p.sec_serv & sec_serv_conf != 0;
    let auth = p.sec_serv & sec_serv_auth != 0;
    if p.sec_serv & !sec_serv_conf_and_auth != 0 {
        return Err((srtp_err_status_bad_param, "unknown security services"));
    }
    if !conf && !auth {
        return Err((
            UNSUPPORTED,
            "policies without protection (sec_serv_none) are not supported",
        ));
    }
    let gcm = matches!(p.cipher_type, SRTP_AES_GCM_128 | SRTP_AES_GCM_256);
    if gcm {
        if p.cipher_type == SRTP_AES_GCM_128 && p.cipher_key_len != 28
            || p.cipher_type == SRTP_AES_GCM_256 && p.cipher_key_len != 44
        {
            return Err((srtp_err_status_bad_param, "AES-GCM key length"));
        }
        if p.auth_tag_len != 16 {
            return Err((UNSUPPORTED, "AES-GCM with an 8-octet tag is not supported"));
        }
        if !conf {
            return Err((UNSUPPORTED, "AES-GCM authentication only is not supported"));
        }
        return Ok(if p.cipher_type == SRTP_AES_GCM_128 {
            Profile::AeadAes128Gcm
        } else {
            Profile::AeadAes256Gcm
        });
    }
    if !auth || p.auth_type != SRTP_HMAC_SHA1 {
        return Err((
            UNSUPPORTED,
            "encryption without authentication is not supported",
        ));
    }
    let tag80 = match p.auth_tag_len {
        10 => true,
        4 if !rtcp => false,
        4 => return Err((UNSUPPORTED, "a 32-bit SRTCP tag is not supported")),
        _ => return Err((srtp_err_status_bad_param, "HMAC-SHA1 tag length")),
    };
    let pick = |p80, p32| if tag80 { p80 } else { p32 };
    match p.cipher_type {
        SRTP_NULL_CIPHER if matches!(p.cipher_key_len, 0 | 30) => {
            Ok(pick(Profile::NullHmacSha1_80, Profile::NullHmacSha1_32))
        }
        SRTP_AES_ICM_128 if p.cipher_key_len == 30 => Ok(if conf {
            pick(Profile::Aes128CmHmacSha1_80, Profile::Aes128CmHmacSha1_32)
        } else {
            pick(Profile::NullHmacSha1_80, Profile::NullHmacSha1_32)
        }),
        SRTP_AES_ICM_256 if p.cipher_key_len == 46 => {
            if !conf {
                return Err((UNSUPPORTED, "AES-256 authentication only is not supported"));
            }
            Ok(pick(
                Profile::Aes256CmHmacSha1_80,
                Profile::Aes256CmHmacSha1_32,
            ))
        }
        SRTP_AES_ICM_192 => Err((UNSUPPORTED, "AES-192 counter mode is not supported")),
        SRTP_NULL_CIPHER | SRTP_AES_ICM_128 | SRTP_AES_ICM_256 => {
            Err((srtp_err_status_bad_param, "cipher key length"))
        }
        _ => Err((srtp_err_status_bad_param, "unknown cipher type")),
    }
}

/// The master keys of a policy: `key` (no MKI), or `keys[..num_master_keys]`.
pub(crate) struct Keys {
    /// Concatenated key || salt of each master key (at most 46 octets), and its MKI.
    pub(crate) list: Vec<(MasterKey, [u8; MAX_MKI_LEN], usize)>,
}

fn master(profile: Profile, key_and_salt: &[u8], mki: &[u8]) -> Result<MasterKey, Refusal> {
    let k = MasterKey::from_concatenated(profile, key_and_salt)
        .map_err(|_| (srtp_err_status_bad_param, "master key"))?;
    if mki.is_empty() {
        Ok(k)
    } else {
        k.with_mki(mki)
            .map_err(|_| (srtp_err_status_bad_param, "MKI"))
    }
}

/// Reads the keys of `p` for `profile` (whose master key length gives how much to read).
///
/// # Safety
/// `p.key`, or `p.keys` and each entry with its key and MKI, must be valid as libsrtp
/// documents them.
pub(crate) unsafe fn keys_of(p: &srtp_policy_t, profile: Profile) -> Result<Keys, Refusal> {
    let need = profile.key_len() + profile.salt_len();
    let mut list = Vec::new();
    if !p.key.is_null() {
        // SAFETY: the caller's key buffer holds the master key and salt of its cipher.
        let ks = unsafe { core::slice::from_raw_parts(p.key, need) };
        list.push((master(profile, ks, &[])?, [0u8; MAX_MKI_LEN], 0));
        return Ok(Keys { list });
    }
    let n = p.num_master_keys as usize;
    if p.keys.is_null() || n == 0 || n > SRTP_MAX_NUM_MASTER_KEYS {
        return Err((srtp_err_status_bad_param, "no master key"));
    }
    let mut mki_len = None;
    for i in 0..n {
        // SAFETY: `keys` holds `num_master_keys` entries.
        let mk = unsafe { *p.keys.add(i) };
        if mk.is_null() {
            return Err((srtp_err_status_bad_param, "null master key"));
        }
        // SAFETY: a non-null entry points to a master key structure.
        let mk = unsafe { &*mk };
        if mk.key.is_null() {
            return Err((srtp_err_status_bad_param, "null master key"));
        }
        let size = mk.mki_size as usize;
        if size > SRTP_MAX_MKI_LEN {
            return Err((
                srtp_err_status_bad_param,
                "MKI longer than SRTP_MAX_MKI_LEN",
            ));
        }
        if size > MAX_MKI_LEN {
            return Err((UNSUPPORTED, "MKIs longer than 4 octets are not supported"));
        }
        if *mki_len.get_or_insert(size) != size {
            return Err((UNSUPPORTED, "MKIs of different lengths are not supported"));
        }
        if size == 0 && n > 1 {
            return Err((srtp_err_status_bad_param, "several master keys without MKI"));
        }
        let mki: &[u8] = if size == 0 {
            &[]
        } else if mk.mki_id.is_null() {
            return Err((srtp_err_status_bad_param, "null MKI"));
        } else {
            // SAFETY: the MKI buffer holds `mki_size` octets.
            unsafe { core::slice::from_raw_parts(mk.mki_id, size) }
        };
        // SAFETY: the key buffer holds the master key and salt of its cipher.
        let ks = unsafe { core::slice::from_raw_parts(mk.key, need) };
        let mut m = [0u8; MAX_MKI_LEN];
        m[..size].copy_from_slice(mki);
        list.push((master(profile, ks, mki)?, m, size));
    }
    Ok(Keys { list })
}

/// libsrtp's window: 0 means 128; otherwise 64..=0x7fff (the engine keeps at most 4096).
pub(crate) fn window_of(p: &srtp_policy_t) -> Result<usize, Refusal> {
    match p.window_size {
        0 => Ok(128),
        w if !(64..0x8000).contains(&w) => Err((srtp_err_status_bad_param, "replay window size")),
        w if w as usize > MAX_REPLAY_WINDOW => Err((
            UNSUPPORTED,
            "replay windows above 4096 packets are not supported",
        )),
        w => Ok(w as usize),
    }
}

/// The engine policy for one direction family (SRTP or SRTCP) of a stream.
pub(crate) fn engine_policy(
    profile: Profile,
    keys: &Keys,
    window: usize,
    max_streams: usize,
    max_rtp_packets: u64,
) -> Result<Policy, Refusal> {
    let (first, rest) = keys
        .list
        .split_first()
        .ok_or((srtp_err_status_bad_param, "no master key"))?;
    let mut policy = Policy::new(profile, first.0.clone());
    for k in rest {
        policy = policy.with_key(k.0.clone());
    }
    policy.max_keys = SRTP_MAX_NUM_MASTER_KEYS;
    policy.max_rtp_packets_per_key = max_rtp_packets;
    Ok(policy
        .with_replay_window(window)
        .with_max_streams(max_streams))
}
