//! A small safe wrapper over the system libsrtp2 (the independent SRTP peer), shared by the
//! interop tests and the benchmarks. Every `unsafe` call below carries its justification.

use std::sync::Once;

use crate::sys as ffi;
use prose_sec::srtp::Profile;

static INIT: Once = Once::new();

/// Master keys for the peer: `(key || salt, mki)` each (an empty MKI for no MKI).
pub type PeerKeys = Vec<(Vec<u8>, Vec<u8>)>;

/// Octets libsrtp may append (it writes up to this many past the packet).
pub const MAX_TRAILER: usize = ffi::SRTP_MAX_TRAILER_LEN as usize + 4;

fn init() {
    INIT.call_once(|| {
        // SAFETY: srtp_init takes no arguments and is called exactly once per process.
        let r = unsafe { ffi::srtp_init() };
        assert_eq!(r, 0, "srtp_init");
    });
}

fn crypto_policy(profile: Profile, rtcp: bool) -> ffi::srtp_crypto_policy_t {
    let mut p = ffi::srtp_crypto_policy_t::default();
    // SAFETY: each setter only writes the fields of the policy struct we own.
    unsafe {
        match profile {
            Profile::Aes256CmHmacSha1_80 => {
                ffi::srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&mut p)
            }
            Profile::Aes256CmHmacSha1_32 if !rtcp => {
                ffi::srtp_crypto_policy_set_aes_cm_256_hmac_sha1_32(&mut p)
            }
            Profile::Aes256CmHmacSha1_32 => {
                ffi::srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&mut p)
            }
            // libsrtp's profile API has no NULL_HMAC_SHA1_32; it is the _80 policy with a
            // 4-octet SRTP tag (SRTCP keeps 10).
            Profile::NullHmacSha1_32 => {
                ffi::srtp_crypto_policy_set_null_cipher_hmac_sha1_80(&mut p);
                if !rtcp {
                    p.auth_tag_len = 4;
                }
            }
            other => {
                let r = if rtcp {
                    ffi::srtp_crypto_policy_set_from_profile_for_rtcp(&mut p, other.id() as _)
                } else {
                    ffi::srtp_crypto_policy_set_from_profile_for_rtp(&mut p, other.id() as _)
                };
                assert_eq!(r, 0, "libsrtp has no policy for {other}");
            }
        }
    }
    p
}

/// One libsrtp session (sender: any outbound SSRC; receiver: any inbound SSRC).
pub struct LibSrtp {
    ctx: ffi::srtp_t,
}

impl LibSrtp {
    /// `keys[i] = (key || salt, mki)`; an empty MKI for every key means no MKI.
    pub fn new(
        profile: Profile,
        keys: &[(Vec<u8>, Vec<u8>)],
        outbound: bool,
        window: usize,
    ) -> Self {
        Self::with_rtcp_auth_only(profile, keys, outbound, window, false)
    }

    /// As [`LibSrtp::new`]; with `rtcp_auth_only` SRTCP is authenticated but not encrypted
    /// (E = 0), as libsrtp's `sec_serv_auth` gives.
    pub fn with_rtcp_auth_only(
        profile: Profile,
        keys: &[(Vec<u8>, Vec<u8>)],
        outbound: bool,
        window: usize,
        rtcp_auth_only: bool,
    ) -> Self {
        init();
        let mut policy = ffi::srtp_policy_t::default();
        policy.ssrc.type_ = if outbound {
            ffi::srtp_ssrc_type_t_ssrc_any_outbound
        } else {
            ffi::srtp_ssrc_type_t_ssrc_any_inbound
        };
        policy.rtp = crypto_policy(profile, false);
        policy.rtcp = crypto_policy(profile, true);
        if rtcp_auth_only {
            policy.rtcp.sec_serv = ffi::srtp_sec_serv_t_sec_serv_auth;
        }
        policy.window_size = window as _;
        policy.allow_repeat_tx = 0;
        // libsrtp reads the key buffers during srtp_create only; keep them alive until then.
        let mut key_bufs: Vec<Vec<u8>> = keys
            .iter()
            .map(|(k, _)| {
                let mut b = k.clone();
                b.resize(64, 0);
                b
            })
            .collect();
        let mut mki_bufs: Vec<Vec<u8>> = keys.iter().map(|(_, m)| m.clone()).collect();
        let use_mki = keys.iter().any(|(_, m)| !m.is_empty());
        let mut mks: Vec<ffi::srtp_master_key_t> = key_bufs
            .iter_mut()
            .zip(mki_bufs.iter_mut())
            .map(|(k, m)| ffi::srtp_master_key_t {
                key: k.as_mut_ptr(),
                mki_id: m.as_mut_ptr(),
                mki_size: m.len() as _,
            })
            .collect();
        let mut mk_ptrs: Vec<*mut ffi::srtp_master_key_t> =
            mks.iter_mut().map(|m| m as *mut _).collect();
        if use_mki {
            policy.keys = mk_ptrs.as_mut_ptr();
            policy.num_master_keys = mk_ptrs.len() as _;
        } else {
            policy.key = key_bufs[0].as_mut_ptr();
        }
        let mut ctx: ffi::srtp_t = std::ptr::null_mut();
        // SAFETY: policy and every buffer it points to are alive for the call; libsrtp copies
        // the keys into the new session.
        let r = unsafe { ffi::srtp_create(&mut ctx, &policy) };
        assert_eq!(r, 0, "srtp_create({profile})");
        LibSrtp { ctx }
    }

    fn call(
        &mut self,
        f: unsafe extern "C" fn(ffi::srtp_t, *mut std::ffi::c_void, *mut i32, u32, u32) -> u32,
        buf: &mut [u8],
        len: usize,
        mki_index: Option<u32>,
    ) -> Result<usize, u32> {
        assert!(buf.len() >= len + MAX_TRAILER, "libsrtp needs trailer room");
        let mut l = len as i32;
        // SAFETY: buf holds len octets plus SRTP_MAX_TRAILER_LEN spare for libsrtp to write.
        let r = unsafe {
            f(
                self.ctx,
                buf.as_mut_ptr().cast(),
                &mut l,
                mki_index.is_some() as u32,
                mki_index.unwrap_or(0),
            )
        };
        if r == 0 {
            Ok(l as usize)
        } else {
            Err(r)
        }
    }

    pub fn protect(
        &mut self,
        buf: &mut [u8],
        len: usize,
        mki_index: Option<u32>,
    ) -> Result<usize, u32> {
        self.call(ffi::srtp_protect_mki, buf, len, mki_index)
    }

    pub fn protect_rtcp(
        &mut self,
        buf: &mut [u8],
        len: usize,
        mki_index: Option<u32>,
    ) -> Result<usize, u32> {
        self.call(ffi::srtp_protect_rtcp_mki, buf, len, mki_index)
    }

    pub fn unprotect(&mut self, buf: &mut [u8], len: usize, use_mki: bool) -> Result<usize, u32> {
        assert!(len <= buf.len(), "packet longer than its buffer");
        let mut l = len as i32;
        // SAFETY: buf holds len octets; unprotect only shrinks the packet.
        let r = unsafe {
            ffi::srtp_unprotect_mki(self.ctx, buf.as_mut_ptr().cast(), &mut l, use_mki as u32)
        };
        if r == 0 {
            Ok(l as usize)
        } else {
            Err(r)
        }
    }

    pub fn unprotect_rtcp(
        &mut self,
        buf: &mut [u8],
        len: usize,
        use_mki: bool,
    ) -> Result<usize, u32> {
        assert!(len <= buf.len(), "packet longer than its buffer");
        let mut l = len as i32;
        // SAFETY: as for unprotect.
        let r = unsafe {
            ffi::srtp_unprotect_rtcp_mki(self.ctx, buf.as_mut_ptr().cast(), &mut l, use_mki as u32)
        };
        if r == 0 {
            Ok(l as usize)
        } else {
            Err(r)
        }
    }

    pub fn set_roc(&mut self, ssrc: u32, roc: u32) -> Result<(), u32> {
        // SAFETY: plain call on our session.
        let r = unsafe { ffi::srtp_set_stream_roc(self.ctx, ssrc, roc) };
        if r == 0 {
            Ok(())
        } else {
            Err(r)
        }
    }
}

impl Drop for LibSrtp {
    fn drop(&mut self) {
        // SAFETY: ctx came from srtp_create and is freed once.
        unsafe {
            ffi::srtp_dealloc(self.ctx);
        }
    }
}
