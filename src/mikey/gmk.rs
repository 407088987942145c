//! GMK distribution (PROFILE §3): the Group Manager's SAKKE I_MESSAGE to one member, and the
//! member's processor.
//!
//! `HDR, T, RAND, IDRi, IDRr, IDRkmsi, IDRkmsr, [SP], SAKKE, [GEN EXT], SIGN`, in the `prose`
//! profile (RFC 6509 identities, CSB ID = GMK-ID, empty map) or the `mcptt` profile (TS 33.180:
//! UIDs, CSB ID = GUK-ID, GENERIC-ID map with SPI = GMK-ID ‖ GUK-ID).

use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::builder::{Builder, MapSpec};
use super::crypto::{
    verify_message_signature, IdentityScheme, MessageSigner, SakkeDecapsulator, SakkeEncapsulator,
    SignatureVerifier, SIGNATURE_LEN, SSV_LEN,
};
use super::genext::{self, KeyParams, ProtectedHeader, GEN_EXT_KEY_PARAMS};
use super::gsk::profile_from_sp;
use super::message::Message;
use super::payload::{data_type, id_type, prf, role, sig_type, GenericId};
use super::uid;
use crate::srtp::Profile as SrtpProfile;
use crate::{Error, Result};

/// SAKKE parameter set 1 of RFC 6509.
pub const SAKKE_PARAMS_1: u8 = 1;
/// SAKKE ID scheme: tel URI with monthly keys (RFC 6509).
pub const ID_SCHEME_MONTHLY: u8 = 1;
/// SAKKE ID scheme: hashed UID (TS 33.180).
pub const ID_SCHEME_UID: u8 = 2;
/// CS ID of the GMK crypto session in the GENERIC-ID map (TS 33.180).
pub const MCPTT_CS_ID: u8 = 4;
/// Purpose tag mask of a GMK-ID (4 MSBs; 0 = GMK).
pub const PURPOSE_TAG_MASK: u32 = 0xf000_0000;

/// The two wire profiles.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Profile {
    /// The seed's own profile.
    Prose,
    /// 3GPP TS 33.180.
    Mcptt,
}

/// Everything the Group Manager puts into one member's GMK message, but the keys.
#[derive(Clone, Debug)]
pub struct GmkMessageSpec<'a> {
    /// Profile.
    pub profile: Profile,
    /// GMK-ID (4 MSBs = purpose tag 0).
    pub gmk_id: u32,
    /// NTP-UTC timestamp (64 bits).
    pub t: u64,
    /// RAND (fresh per message).
    pub rand: [u8; 16],
    /// IDRi data: group URI (`prose`) or GMS UID (`mcptt`).
    pub initiator: &'a [u8],
    /// IDRr data: member URI (`prose`) or member UID (`mcptt`).
    pub responder: &'a [u8],
    /// Member URI (for the GUK-ID in `mcptt`; equal to `responder` in `prose`).
    pub member_uri: &'a [u8],
    /// Identifier SAKKE encrypts to (`prose`: `"YYYY-MM\0URI\0"`; `mcptt`: the member UID).
    pub member_id: &'a [u8],
    /// KMS URI (IDRkmsi and IDRkmsr).
    pub kms_uri: &'a [u8],
    /// Optional SRTP policy.
    pub sp: Option<SrtpProfile>,
    /// Key parameters for the GEN EXT (type 7); `None` omits the extension.
    pub key_params: Option<&'a KeyParams>,
    /// GEN EXT protected-payload header fields (IV fresh per message; DPPK-ID is set to the
    /// CSB ID by the builder).
    pub key_params_header: ProtectedHeader,
}

/// Defaults for the protected-payload header (as the vendor's messages use), with a
/// caller-supplied random IV and payload id.
pub fn key_params_header(iv: [u8; 16], payload_id: u32) -> ProtectedHeader {
    ProtectedHeader {
        msg_type: 0x43,
        date_time: [0, 0, 0, 0, 1],
        payload_id,
        sequence: 0,
        algorithm: genext::ALG_AES_128_GCM,
        iv,
        dppk_id: 0,
        payload_type: 0,
    }
}

/// Builds the GMK I_MESSAGE: encapsulates the GMK to the member, protects the key parameters
/// under the DPCK, and signs with the signer (the group identity / GMS).
pub fn build_gmk_message(
    spec: &GmkMessageSpec<'_>,
    gmk: &[u8; SSV_LEN],
    kms: &dyn SakkeEncapsulator,
    signer: &dyn MessageSigner,
) -> Result<Vec<u8>> {
    if spec.gmk_id & PURPOSE_TAG_MASK != 0 {
        return Err(Error::InvalidParameter);
    }
    let sed = kms.encapsulate(spec.member_id, gmk)?;
    let (csb_id, prf_no, role_i, role_r, scheme) = match spec.profile {
        Profile::Prose => (
            spec.gmk_id,
            prf::MIKEY_1,
            role::INITIATOR,
            role::RESPONDER,
            ID_SCHEME_MONTHLY,
        ),
        Profile::Mcptt => (
            uid::guk_id(gmk, spec.gmk_id, spec.member_uri)?,
            prf::HMAC_SHA256,
            role::INITIATOR_UID,
            role::RESPONDER_UID,
            ID_SCHEME_UID,
        ),
    };
    let mut spi = [0u8; 8];
    spi[..4].copy_from_slice(&spec.gmk_id.to_be_bytes());
    spi[4..].copy_from_slice(&csb_id.to_be_bytes());
    let gids = [GenericId {
        cs_id: MCPTT_CS_ID,
        prot_type: 0,
        s: false,
        policies: &[0],
        session_data: &[],
        spi: &spi,
    }];
    let map = match spec.profile {
        Profile::Prose => MapSpec::Empty,
        Profile::Mcptt => MapSpec::GenericId(&gids),
    };
    let mut b = Builder::new(data_type::SAKKE_INIT, prf_no, csb_id, map)?;
    b.t(super::payload::Timestamp::ntp_utc(spec.t))?;
    b.rand(&spec.rand)?;
    b.idr(role_i, id_type::URI, spec.initiator)?;
    b.idr(role_r, id_type::URI, spec.responder)?;
    b.idr(role::INITIATOR_KMS, id_type::URI, spec.kms_uri)?;
    b.idr(role::RESPONDER_KMS, id_type::URI, spec.kms_uri)?;
    if let Some(p) = spec.sp {
        let params = super::gsk::sp_params(p)?;
        let pr: Vec<(u8, &[u8])> = params.iter().map(|(t, v)| (*t, &v[..])).collect();
        b.sp(0, 0, &pr)?;
    }
    b.sakke(SAKKE_PARAMS_1, scheme, &sed)?;
    if let Some(kp) = spec.key_params {
        let mut h = spec.key_params_header;
        h.dppk_id = csb_id;
        let body = genext::protect(&h, kp, gmk)?;
        b.gen_ext(GEN_EXT_KEY_PARAMS, &body)?;
    }
    b.finish_signed(sig_type::ECCSI, SIGNATURE_LEN, |tbs| {
        Ok(signer.sign(tbs)?.to_vec())
    })
}

/// The member's policy for GMK messages.
#[derive(Clone, Debug)]
pub struct GmkPolicy {
    /// Profile expected.
    pub profile: Profile,
    /// Largest accepted |now − T| in seconds.
    pub max_skew_secs: u64,
    /// Also accept signatures computed without the SIGN type/length octets.
    pub accept_unheadered_signature: bool,
    /// How the initiator (group / GMS) URI maps to its ECCSI identifier in `prose`
    /// (in `mcptt` IDRi already carries the UID).
    pub identity_scheme: IdentityScheme,
    /// Accept the 17-octet legacy plain key parameters (TS 33.180 IWF legacy format).
    pub accept_legacy_key_params: bool,
    /// If set, IDRkmsi and IDRkmsr (when present) must name this KMS.
    pub kms_uri: Option<Vec<u8>>,
}

impl GmkPolicy {
    /// Defaults for a profile: ±5 min, strict signature form, no legacy parameters.
    pub fn new(profile: Profile) -> Self {
        GmkPolicy {
            profile,
            max_skew_secs: 300,
            accept_unheadered_signature: false,
            identity_scheme: IdentityScheme::Monthly,
            accept_legacy_key_params: false,
            kms_uri: None,
        }
    }
}

/// The member's own identity for GMK messages.
#[derive(Clone, Copy)]
pub struct MemberContext<'a> {
    /// Member URI (`prose`: IDRr must equal it; `mcptt`: used for the GUK-ID).
    pub uri: &'a [u8],
    /// Member UID (`mcptt`: IDRr must equal it); ignored in `prose`.
    pub uid: &'a [u8],
    /// The member's SAKKE key (its identity must be the one the message is encrypted to).
    pub key: &'a dyn SakkeDecapsulator,
}

impl core::fmt::Debug for MemberContext<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("MemberContext")
            .field("uri", &self.uri)
            .field("uid", &self.uid)
            .finish_non_exhaustive()
    }
}

/// A GMK accepted from a Group Manager. The GMK zeroizes on drop and is not in `Debug`.
/// Serializable for the member's persistent state (the GMK is secret: keep it in a file only
/// the member can read).
#[derive(Clone, Zeroize, ZeroizeOnDrop, serde::Serialize, serde::Deserialize)]
pub struct ReceivedGmk {
    gmk: [u8; SSV_LEN],
    #[zeroize(skip)]
    gmk_id: u32,
    #[zeroize(skip)]
    guk_id: Option<u32>,
    #[zeroize(skip)]
    group: Vec<u8>,
    #[zeroize(skip)]
    t: u64,
    #[zeroize(skip)]
    rand: Vec<u8>,
    #[zeroize(skip)]
    params: Option<KeyParams>,
    #[zeroize(skip)]
    legacy: bool,
    #[zeroize(skip)]
    srtp_profile: Option<SrtpProfile>,
}

impl core::fmt::Debug for ReceivedGmk {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ReceivedGmk")
            .field("gmk", &"<redacted>")
            .field("gmk_id", &self.gmk_id)
            .field("guk_id", &self.guk_id)
            .field("group", &self.group)
            .field("t", &self.t)
            .field("params", &self.params)
            .field("legacy", &self.legacy)
            .field("srtp_profile", &self.srtp_profile)
            .finish()
    }
}

impl ReceivedGmk {
    /// The GMK.
    pub fn gmk(&self) -> &[u8; SSV_LEN] {
        &self.gmk
    }
    /// GMK-ID.
    pub fn gmk_id(&self) -> u32 {
        self.gmk_id
    }
    /// GUK-ID (`mcptt`).
    pub fn guk_id(&self) -> Option<u32> {
        self.guk_id
    }
    /// IDRi data: the group URI (`prose`) or GMS UID (`mcptt`).
    pub fn group(&self) -> &[u8] {
        &self.group
    }
    /// The message's NTP-UTC timestamp (the newest one is the current GMK).
    pub fn timestamp(&self) -> u64 {
        self.t
    }
    /// The key parameters, when the message carried them.
    pub fn params(&self) -> Option<&KeyParams> {
        self.params.as_ref()
    }
    /// Status word of the key parameters (1, what the vendor's valid keys carry, when the
    /// message has none).
    pub fn status(&self) -> u32 {
        self.params.as_ref().map_or(1, |p| p.status)
    }
    /// Activation and expiry (NTP seconds, 0 = not given).
    pub fn period(&self) -> (u64, u64) {
        self.params
            .as_ref()
            .map_or((0, 0), |p| (p.activation, p.expiry))
    }
    /// The SRTP profile of the SP payload, when present and supported.
    pub fn srtp_profile(&self) -> Option<SrtpProfile> {
        self.srtp_profile
    }
    /// Whether the key parameters were in the legacy plain form.
    pub fn legacy(&self) -> bool {
        self.legacy
    }
    /// MKI for SRTP: GMK-ID ‖ GUK-ID (`mcptt`) or GMK-ID (`prose`).
    pub fn mki(&self) -> Vec<u8> {
        let mut v = self.gmk_id.to_be_bytes().to_vec();
        if let Some(g) = self.guk_id {
            v.extend_from_slice(&g.to_be_bytes());
        }
        v
    }
    /// TS 33.180 SRTP master key and salt from the GMK: TEK/salt derivation with
    /// PRF-HMAC-SHA-256, CS ID `cs_id`, CSB ID = GUK-ID and the message's RAND.
    pub fn srtp_master(
        &self,
        cs_id: u8,
        profile: SrtpProfile,
    ) -> Result<(Zeroizing<Vec<u8>>, Vec<u8>)> {
        let csb = self.guk_id.unwrap_or(self.gmk_id);
        let mut k = Zeroizing::new(vec![0u8; profile.key_len()]);
        let mut s = vec![0u8; profile.salt_len()];
        super::prf::derive_tek(prf::HMAC_SHA256, &self.gmk, cs_id, csb, &self.rand, &mut k)?;
        super::prf::derive_salt(prf::HMAC_SHA256, &self.gmk, cs_id, csb, &self.rand, &mut s)?;
        Ok((k, s))
    }
}

/// Processes a GMK I_MESSAGE addressed to `me`.
///
/// `is_my_group` receives the IDRi data (group URI in `prose`, GMS UID in `mcptt`) and says
/// whether that signer may distribute GMKs to this member; in `mcptt` the UID embeds the key
/// period, so the caller compares with the UID of the current period.
///
/// Checks, in order: structure ([`Error::Parse`]/[`Error::Unsupported`]); profile shape
/// ([`Error::Unsupported`]); the message is for this member ([`Error::InvalidParameter`]);
/// the signer is one of the member's groups (`is_my_group(IDRi)`, else
/// [`Error::InvalidSignature`]); the signature under the KMS's KPAK for that identity
/// ([`Error::InvalidSignature`]); freshness ([`Error::Freshness`]); SAKKE decapsulation and
/// its R check (the decapsulator's error); the GUK-ID ([`Error::AuthFailed`]); the key
/// parameters' GCM tag ([`Error::AuthFailed`]), key type ([`Error::InvalidParameter`]) and
/// period ([`Error::KeyExpired`]). The status word is returned, not judged (e.g. a revocation), so that the
/// caller can replace the stored parameters.
pub fn process_gmk_message(
    msg: &[u8],
    policy: &GmkPolicy,
    me: &MemberContext<'_>,
    is_my_group: &dyn Fn(&[u8]) -> bool,
    verifier: &dyn SignatureVerifier,
    now_ntp_secs: u64,
) -> Result<ReceivedGmk> {
    let m = Message::parse(msg)?;
    let h = *m.hdr();
    if h.data_type != data_type::SAKKE_INIT {
        return Err(Error::Unsupported);
    }
    let t = m.t().ok_or(Error::Parse)?;
    if t.ts_type == super::payload::ts_type::COUNTER {
        return Err(Error::Unsupported);
    }
    let rand = m.rand().ok_or(Error::Parse)?;
    let sakke = m.sakke().ok_or(Error::Parse)?;
    if sakke.params != SAKKE_PARAMS_1 {
        return Err(Error::Unsupported);
    }
    let (role_i, role_r, scheme) = match policy.profile {
        Profile::Prose => (role::INITIATOR, role::RESPONDER, ID_SCHEME_MONTHLY),
        Profile::Mcptt => (role::INITIATOR_UID, role::RESPONDER_UID, ID_SCHEME_UID),
    };
    if sakke.id_scheme != scheme {
        return Err(Error::Unsupported);
    }
    let idri = m.idr(role_i).ok_or(Error::Parse)?;
    let idrr = m.idr(role_r).ok_or(Error::Parse)?;
    let expected_r = match policy.profile {
        Profile::Prose => me.uri,
        Profile::Mcptt => me.uid,
    };
    if idrr.data != expected_r {
        return Err(Error::InvalidParameter);
    }
    if let Some(k) = &policy.kms_uri {
        for r in [role::INITIATOR_KMS, role::RESPONDER_KMS] {
            if m.idr(r).is_some_and(|i| i.data != k.as_slice()) {
                return Err(Error::InvalidParameter);
            }
        }
    }
    if !is_my_group(idri.data) {
        return Err(Error::InvalidSignature);
    }
    let signer = match policy.profile {
        Profile::Prose => policy
            .identity_scheme
            .identifier(idri.data, t.seconds_near(now_ntp_secs))
            .map_err(|_| Error::InvalidSignature)?,
        Profile::Mcptt => idri.data.to_vec(),
    };
    verify_message_signature(&m, verifier, &signer, policy.accept_unheadered_signature)?;
    if now_ntp_secs.abs_diff(t.seconds_near(now_ntp_secs)) > policy.max_skew_secs {
        return Err(Error::Freshness);
    }
    // In `prose` the member's SAKKE identity depends on the month of T: the caller's key must
    // be the one for that identity.
    if policy.profile == Profile::Prose {
        let want = super::crypto::prose_identifier(me.uri, t.seconds_near(now_ntp_secs))?;
        if me.key.identity() != want.as_slice() {
            return Err(Error::UnknownKey);
        }
    }
    let ssv = me.key.decapsulate(sakke.sed)?;

    // GMK-ID and GUK-ID.
    let (gmk_id, guk_id) = match policy.profile {
        Profile::Prose => (h.csb_id, None),
        Profile::Mcptt => {
            let salt = uid::user_salt(&ssv[..], me.uri)?;
            let spi_gmk = h
                .map
                .generic_ids()
                .find(|g| g.cs_id == MCPTT_CS_ID)
                .and_then(|g| {
                    let a: [u8; 4] = g.spi.get(..4)?.try_into().ok()?;
                    let b: [u8; 4] = g.spi.get(4..8)?.try_into().ok()?;
                    (g.spi.len() == 8 && u32::from_be_bytes(b) == h.csb_id)
                        .then_some(u32::from_be_bytes(a))
                });
            let gmk_id = match spi_gmk {
                Some(id) => id,
                // Legacy: no GMK-ID in the message; recover it from the GUK-ID.
                None if policy.accept_legacy_key_params => h.csb_id ^ salt,
                None => return Err(Error::Parse),
            };
            if gmk_id ^ salt != h.csb_id {
                return Err(Error::AuthFailed);
            }
            (gmk_id, Some(h.csb_id))
        }
    };
    if gmk_id & PURPOSE_TAG_MASK != 0 {
        return Err(Error::InvalidParameter);
    }

    // Key parameters.
    let mut params = None;
    let mut legacy = false;
    if let Some(g) = key_params_ext(&m)? {
        let is_legacy = g.data.len() == genext::LEGACY_PLAIN_LEN;
        if is_legacy && !policy.accept_legacy_key_params {
            return Err(Error::Unsupported);
        }
        let kp = genext::open(g.data, &ssv[..], h.csb_id)?;
        if !is_legacy && kp.key_type != genext::key_kind::GMK {
            return Err(Error::InvalidParameter);
        }
        legacy = is_legacy;
        params = Some(kp);
    }
    if let Some(kp) = &params {
        if kp.expiry != 0 && now_ntp_secs > kp.expiry {
            return Err(Error::KeyExpired);
        }
        if kp.activation != 0 && kp.expiry != 0 && kp.activation > kp.expiry {
            return Err(Error::InvalidParameter);
        }
    }
    let mut gmk = [0u8; SSV_LEN];
    gmk.copy_from_slice(&ssv[..]);
    Ok(ReceivedGmk {
        gmk,
        gmk_id,
        guk_id,
        group: idri.data.to_vec(),
        t: t.value,
        rand: rand.to_vec(),
        params,
        legacy,
        srtp_profile: m.sps().find_map(|sp| profile_from_sp(&sp).ok()),
    })
}

/// Opens any SAKKE I_MESSAGE (GMK, CSK, PCK …) without the GMK-specific checks: verifies the
/// signature as the IDRi identity (`signer` maps IDRi data to the ECCSI identifier) and
/// decapsulates with `key`. Returns the SSV and the key parameters, if any.
pub fn open_sakke_message(
    msg: &[u8],
    key: &dyn SakkeDecapsulator,
    verifier: &dyn SignatureVerifier,
    signer: &[u8],
    accept_unheadered_signature: bool,
) -> Result<(Zeroizing<[u8; SSV_LEN]>, Option<KeyParams>)> {
    let m = Message::parse(msg)?;
    if m.hdr().data_type != data_type::SAKKE_INIT {
        return Err(Error::Unsupported);
    }
    verify_message_signature(&m, verifier, signer, accept_unheadered_signature)?;
    let sakke = m.sakke().ok_or(Error::Parse)?;
    let ssv = key.decapsulate(sakke.sed)?;
    let params = match key_params_ext(&m)? {
        Some(g) => Some(genext::open(g.data, &ssv[..], m.hdr().csb_id)?),
        None => None,
    };
    Ok((ssv, params))
}

/// The message's key-parameters GEN EXT, if any; more than one is refused ([`Error::Parse`])
/// by every reader of GMK messages alike, so none of them can be made to pick another one.
fn key_params_ext<'a>(m: &Message<'a>) -> Result<Option<super::payload::GenExt<'a>>> {
    let mut it = m.gen_exts().filter(|g| g.ext_type == GEN_EXT_KEY_PARAMS);
    let first = it.next();
    if it.next().is_some() {
        return Err(Error::Parse);
    }
    Ok(first)
}
