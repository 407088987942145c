//! A small safe wrapper over libsrtp 2.x (the independent SRTP peer), shared by the interop
//! tests and the benchmarks. Every `unsafe` call below carries its justification.
//!
//! Two builds can sit in one process:
//! - [`Build::Debian`]: the system `libsrtp2.so.1` (Debian 2.5, on NSS), the correctness peer.
//!   It is opened with `dlopen(RTLD_LOCAL | RTLD_DEEPBIND)`, so that its symbols neither
//!   resolve to nor are resolved by another libsrtp linked into the same binary.
//! - [`Build::OpenSsl`] (feature `fastest`): libsrtp 2.3 built from the source the crates.io
//!   crate `srtp2-sys` bundles, with its `build` and `enable-openssl` features (OpenSSL 3),
//!   linked statically: the fast libsrtp.
//!
//! Both take the same bindings (`srtp.h` of 2.3 and 2.5 declare the same structures).

use std::os::raw::{c_int, c_uint, c_void};
use std::sync::OnceLock;

use crate::sys as ffi;
use prose_sec::srtp::Profile;

/// Master keys for the peer: `(key || salt, mki)` each (an empty MKI for no MKI).
pub type PeerKeys = Vec<(Vec<u8>, Vec<u8>)>;

/// Octets libsrtp may append (it writes up to this many past the packet).
pub const MAX_TRAILER: usize = ffi::SRTP_MAX_TRAILER_LEN as usize + 4;

/// Which libsrtp a session runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Build {
    /// Debian's `libsrtp2.so.1` (2.5, built on NSS).
    Debian,
    /// libsrtp 2.3 with OpenSSL, from `srtp2-sys` (feature `fastest`).
    #[cfg(feature = "fastest")]
    OpenSsl,
}

type Status = ffi::srtp_err_status_t;
type PacketFn =
    unsafe extern "C" fn(ffi::srtp_t, *mut c_void, *mut c_int, c_uint, c_uint) -> Status;
type UnprotectFn = unsafe extern "C" fn(ffi::srtp_t, *mut c_void, *mut c_int, c_uint) -> Status;
type SetterFn = unsafe extern "C" fn(*mut ffi::srtp_crypto_policy_t);
type FromProfileFn =
    unsafe extern "C" fn(*mut ffi::srtp_crypto_policy_t, ffi::srtp_profile_t) -> Status;

/// The libsrtp entry points used here, from one build.
struct Api {
    init: unsafe extern "C" fn() -> Status,
    version: unsafe extern "C" fn() -> *const std::os::raw::c_char,
    create: unsafe extern "C" fn(*mut ffi::srtp_t, *const ffi::srtp_policy_t) -> Status,
    dealloc: unsafe extern "C" fn(ffi::srtp_t) -> Status,
    protect_mki: PacketFn,
    protect_rtcp_mki: PacketFn,
    unprotect_mki: UnprotectFn,
    unprotect_rtcp_mki: UnprotectFn,
    set_stream_roc: unsafe extern "C" fn(ffi::srtp_t, u32, u32) -> Status,
    aes_cm_256_hmac_sha1_80: SetterFn,
    aes_cm_256_hmac_sha1_32: SetterFn,
    null_cipher_hmac_sha1_80: SetterFn,
    from_profile_for_rtp: FromProfileFn,
    from_profile_for_rtcp: FromProfileFn,
}

/// `RTLD_DEEPBIND` (glibc): the library's own symbols first when it resolves its references.
const RTLD_DEEPBIND: c_int = 0x0008;

fn debian() -> &'static Api {
    static API: OnceLock<Api> = OnceLock::new();
    API.get_or_init(|| {
        use libloading::os::unix::{Library, RTLD_LOCAL, RTLD_NOW};
        let path = env!("PROSE_LIBSRTP2_SO");
        // SAFETY: loading libsrtp2 runs no initialisers beyond its libraries' own (NSS).
        let lib = unsafe { Library::open(Some(path), RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND) }
            .unwrap_or_else(|e| panic!("{path}: {e} (apt-get install libsrtp2-dev)"));
        // The library stays loaded for the life of the process: the API's pointers point into it.
        let lib: &'static Library = Box::leak(Box::new(lib));
        macro_rules! sym {
            ($name:literal) => {
                // SAFETY: the symbol is the libsrtp 2.x function of that name; its type is the
                // field's, written from srtp.h (and checked against the bindings for the
                // linked build in `linked()`).
                *unsafe { lib.get(concat!($name, "\0").as_bytes()) }
                    .unwrap_or_else(|e| panic!("{}: {e}", $name))
            };
        }
        let api = Api {
            init: sym!("srtp_init"),
            version: sym!("srtp_get_version_string"),
            create: sym!("srtp_create"),
            dealloc: sym!("srtp_dealloc"),
            protect_mki: sym!("srtp_protect_mki"),
            protect_rtcp_mki: sym!("srtp_protect_rtcp_mki"),
            unprotect_mki: sym!("srtp_unprotect_mki"),
            unprotect_rtcp_mki: sym!("srtp_unprotect_rtcp_mki"),
            set_stream_roc: sym!("srtp_set_stream_roc"),
            aes_cm_256_hmac_sha1_80: sym!("srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80"),
            aes_cm_256_hmac_sha1_32: sym!("srtp_crypto_policy_set_aes_cm_256_hmac_sha1_32"),
            null_cipher_hmac_sha1_80: sym!("srtp_crypto_policy_set_null_cipher_hmac_sha1_80"),
            from_profile_for_rtp: sym!("srtp_crypto_policy_set_from_profile_for_rtp"),
            from_profile_for_rtcp: sym!("srtp_crypto_policy_set_from_profile_for_rtcp"),
        };
        // SAFETY: srtp_init takes no arguments; called once for this library.
        assert_eq!(unsafe { (api.init)() }, 0, "srtp_init (Debian)");
        api
    })
}

#[cfg(feature = "fastest")]
fn linked() -> &'static Api {
    // The static libsrtp of srtp2-sys provides the `sys` declarations' symbols.
    use srtp2_sys as _;
    static API: OnceLock<Api> = OnceLock::new();
    API.get_or_init(|| {
        let api = Api {
            init: ffi::srtp_init,
            version: ffi::srtp_get_version_string,
            create: ffi::srtp_create,
            dealloc: ffi::srtp_dealloc,
            protect_mki: ffi::srtp_protect_mki,
            protect_rtcp_mki: ffi::srtp_protect_rtcp_mki,
            unprotect_mki: ffi::srtp_unprotect_mki,
            unprotect_rtcp_mki: ffi::srtp_unprotect_rtcp_mki,
            set_stream_roc: ffi::srtp_set_stream_roc,
            aes_cm_256_hmac_sha1_80: ffi::srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80,
            aes_cm_256_hmac_sha1_32: ffi::srtp_crypto_policy_set_aes_cm_256_hmac_sha1_32,
            null_cipher_hmac_sha1_80: ffi::srtp_crypto_policy_set_null_cipher_hmac_sha1_80,
            from_profile_for_rtp: ffi::srtp_crypto_policy_set_from_profile_for_rtp,
            from_profile_for_rtcp: ffi::srtp_crypto_policy_set_from_profile_for_rtcp,
        };
        // SAFETY: srtp_init takes no arguments; called once for this library.
        assert_eq!(unsafe { (api.init)() }, 0, "srtp_init (OpenSSL)");
        api
    })
}

fn api(build: Build) -> &'static Api {
    match build {
        Build::Debian => debian(),
        #[cfg(feature = "fastest")]
        Build::OpenSsl => linked(),
    }
}

/// The build's version string (`srtp_get_version_string`), e.g. "libsrtp2 2.5.0".
pub fn version(build: Build) -> String {
    let api = api(build);
    // SAFETY: libsrtp returns a pointer to a static NUL-terminated string.
    unsafe { std::ffi::CStr::from_ptr((api.version)()) }
        .to_string_lossy()
        .into_owned()
}

fn crypto_policy(api: &Api, profile: Profile, rtcp: bool) -> ffi::srtp_crypto_policy_t {
    let mut p = ffi::srtp_crypto_policy_t::default();
    // SAFETY: each setter only writes the fields of the policy struct we own.
    unsafe {
        match profile {
            Profile::Aes256CmHmacSha1_80 => (api.aes_cm_256_hmac_sha1_80)(&mut p),
            Profile::Aes256CmHmacSha1_32 if !rtcp => (api.aes_cm_256_hmac_sha1_32)(&mut p),
            Profile::Aes256CmHmacSha1_32 => (api.aes_cm_256_hmac_sha1_80)(&mut p),
            // libsrtp's profile API has no NULL_HMAC_SHA1_32; it is the _80 policy with a
            // 4-octet SRTP tag (SRTCP keeps 10).
            Profile::NullHmacSha1_32 => {
                (api.null_cipher_hmac_sha1_80)(&mut p);
                if !rtcp {
                    p.auth_tag_len = 4;
                }
            }
            other => {
                let r = if rtcp {
                    (api.from_profile_for_rtcp)(&mut p, other.id() as _)
                } else {
                    (api.from_profile_for_rtp)(&mut p, other.id() as _)
                };
                assert_eq!(r, 0, "libsrtp has no policy for {other}");
            }
        }
    }
    p
}

/// One libsrtp session (sender: any outbound SSRC; receiver: any inbound SSRC).
pub struct LibSrtp {
    api: &'static Api,
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

    /// As [`LibSrtp::new`], on the given build of libsrtp.
    pub fn on(
        build: Build,
        profile: Profile,
        keys: &[(Vec<u8>, Vec<u8>)],
        outbound: bool,
        window: usize,
    ) -> Self {
        Self::build(build, profile, keys, outbound, window, false)
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
        Self::build(
            Build::Debian,
            profile,
            keys,
            outbound,
            window,
            rtcp_auth_only,
        )
    }

    fn build(
        build: Build,
        profile: Profile,
        keys: &[(Vec<u8>, Vec<u8>)],
        outbound: bool,
        window: usize,
        rtcp_auth_only: bool,
    ) -> Self {
        let api = api(build);
        let mut policy = ffi::srtp_policy_t::default();
        policy.ssrc.type_ = if outbound {
            ffi::srtp_ssrc_type_t_ssrc_any_outbound
        } else {
            ffi::srtp_ssrc_type_t_ssrc_any_inbound
        };
        policy.rtp = crypto_policy(api, profile, false);
        policy.rtcp = crypto_policy(api, profile, true);
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
        let r = unsafe { (api.create)(&mut ctx, &policy) };
        assert_eq!(r, 0, "srtp_create({profile})");
        LibSrtp { api, ctx }
    }

    fn call(
        &mut self,
        f: PacketFn,
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
        self.call(self.api.protect_mki, buf, len, mki_index)
    }

    pub fn protect_rtcp(
        &mut self,
        buf: &mut [u8],
        len: usize,
        mki_index: Option<u32>,
    ) -> Result<usize, u32> {
        self.call(self.api.protect_rtcp_mki, buf, len, mki_index)
    }

    pub fn unprotect(&mut self, buf: &mut [u8], len: usize, use_mki: bool) -> Result<usize, u32> {
        assert!(len <= buf.len(), "packet longer than its buffer");
        let mut l = len as i32;
        // SAFETY: buf holds len octets; unprotect only shrinks the packet.
        let r = unsafe {
            (self.api.unprotect_mki)(self.ctx, buf.as_mut_ptr().cast(), &mut l, use_mki as u32)
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
            (self.api.unprotect_rtcp_mki)(self.ctx, buf.as_mut_ptr().cast(), &mut l, use_mki as u32)
        };
        if r == 0 {
            Ok(l as usize)
        } else {
            Err(r)
        }
    }

    pub fn set_roc(&mut self, ssrc: u32, roc: u32) -> Result<(), u32> {
        // SAFETY: plain call on our session.
        let r = unsafe { (self.api.set_stream_roc)(self.ctx, ssrc, roc) };
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
            (self.api.dealloc)(self.ctx);
        }
    }
}
