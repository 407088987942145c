//! GSK distribution (PROFILE §4): the initiating member's PSK I_MESSAGE carrying the group
//! session key under the GMK, and the receiver's processor returning SRTP keying.
//!
//! Message: `HDR, T, RAND, IDRi, IDRr, IDRpsk, SP, KEMAC, [SIGN]`.

use sha2::{Digest, Sha256};
use zeroize::{Zeroize, ZeroizeOnDrop};

use super::builder::{Builder, MapSpec};
use super::crypto::{verify_message_signature, IdentityScheme, MessageSigner, SignatureVerifier};
use super::kemac;
use super::message::Message;
use super::payload::{
    data_type, encr_alg, id_type, key_type, kv_type, role, sig_type, sp_param, KeyData, Payload,
    Sp, SrtpId, Timestamp,
};
use super::prf::TransportKeys;
use crate::srtp::Profile;
use crate::{Error, Result};

/// The SP parameters (type, value) describing `p` (PROFILE §4). [`Error::Unsupported`] for
/// the NULL-cipher test profiles, which the wire profile never carries.
pub fn sp_params(p: Profile) -> Result<Vec<(u8, Vec<u8>)>> {
    let kl = p.key_len() as u8;
    let sl = p.salt_len() as u8;
    Ok(match p {
        Profile::AeadAes128Gcm | Profile::AeadAes256Gcm => vec![
            (sp_param::ENCR_ALG, vec![6]),
            (sp_param::ENCR_KEY_LEN, vec![kl]),
            (sp_param::SALT_LEN, vec![sl]),
            (sp_param::AEAD_TAG_LEN, vec![16]),
        ],
        Profile::Aes128CmHmacSha1_80
        | Profile::Aes128CmHmacSha1_32
        | Profile::Aes256CmHmacSha1_80
        | Profile::Aes256CmHmacSha1_32 => vec![
            (sp_param::ENCR_ALG, vec![1]),
            (sp_param::ENCR_KEY_LEN, vec![kl]),
            (sp_param::AUTH_ALG, vec![1]),
            (sp_param::AUTH_KEY_LEN, vec![20]),
            (sp_param::SALT_LEN, vec![sl]),
            (sp_param::AUTH_TAG_LEN, vec![p.rtp_tag_len() as u8]),
        ],
        _ => return Err(Error::Unsupported),
    })
}

/// Reads the profile from an SRTP SP payload. Absent parameters take RFC 3830 defaults
/// (AES-CM, 16-octet key, HMAC-SHA-1, 80-bit tag); inconsistent or unsupported ones are
/// [`Error::Unsupported`]. So are parameters a session of this library cannot honour,
/// wherever they appear in the payload: an SRTP PRF other than AES-CM (0), a key
/// derivation rate other than 0, SRTP or SRTCP encryption or SRTP authentication turned
/// off, and a keystream prefix — rather than a silent mismatch at media time.
pub fn profile_from_sp(sp: &Sp<'_>) -> Result<Profile> {
    if sp.prot_type != 0 {
        return Err(Error::Unsupported);
    }
    const HONOURED: [(u8, u32); 6] = [
        (sp_param::SRTP_PRF, 0),
        (sp_param::KDR, 0),
        (sp_param::SRTP_ENCR, 1),
        (sp_param::SRTCP_ENCR, 1),
        (sp_param::SRTP_AUTH, 1),
        (sp_param::PREFIX_LEN, 0),
    ];
    for (t, v) in sp.params() {
        if let Some(&(_, want)) = HONOURED.iter().find(|(p, _)| *p == t) {
            if v.is_empty() || v.len() > 4 {
                return Err(Error::Unsupported);
            }
            let got = v.iter().fold(0u32, |a, &b| (a << 8) | u32::from(b));
            if got != want {
                return Err(Error::Unsupported);
            }
        }
    }
    let encr = sp.get(sp_param::ENCR_ALG).unwrap_or(1);
    let kl = sp.get(sp_param::ENCR_KEY_LEN).unwrap_or(16);
    let p = match encr {
        1 => {
            if sp.get(sp_param::AUTH_ALG).unwrap_or(1) != 1 {
                return Err(Error::Unsupported);
            }
            if sp.get(sp_param::AUTH_KEY_LEN).unwrap_or(20) != 20 {
                return Err(Error::Unsupported);
            }
            let tag = sp.get(sp_param::AUTH_TAG_LEN).unwrap_or(10);
            match (kl, tag) {
                (16, 10) => Profile::Aes128CmHmacSha1_80,
                (16, 4) => Profile::Aes128CmHmacSha1_32,
                (32, 10) => Profile::Aes256CmHmacSha1_80,
                (32, 4) => Profile::Aes256CmHmacSha1_32,
                _ => return Err(Error::Unsupported),
            }
        }
        6 => {
            if sp.get(sp_param::AEAD_TAG_LEN).unwrap_or(16) != 16 {
                return Err(Error::Unsupported);
            }
            match kl {
                16 => Profile::AeadAes128Gcm,
                32 => Profile::AeadAes256Gcm,
                _ => return Err(Error::Unsupported),
            }
        }
        _ => return Err(Error::Unsupported),
    };
    if let Some(sl) = sp.get(sp_param::SALT_LEN) {
        if sl as usize != p.salt_len() {
            return Err(Error::Unsupported);
        }
    }
    Ok(p)
}

/// What the initiator puts into a GSK offer (everything but the keys).
#[derive(Clone, Debug)]
pub struct GskOffer<'a> {
    /// HDR PRF (0 `prose`, 1 `mcptt`); the transport keys follow it.
    pub prf: u8,
    /// GSK-ID (the CSB ID).
    pub gsk_id: u32,
    /// The initiator's sending SSRCs and their current ROCs.
    pub senders: &'a [SrtpId],
    /// Initiator URI.
    pub initiator_uri: &'a [u8],
    /// Group URI.
    pub group_uri: &'a [u8],
    /// The GMK-ID naming the GMK the GSK is protected under.
    pub gmk_id: u32,
    /// SRTP profile of the session.
    pub profile: Profile,
    /// NTP-UTC timestamp (64 bits).
    pub t: u64,
    /// RAND (16 octets, fresh per offer).
    pub rand: [u8; 16],
    /// MKI to carry as the key's SPI (empty → the 4-octet GSK-ID).
    pub mki: &'a [u8],
}

/// Builds the PSK I_MESSAGE: GSK + salt as TEK+SALT under transport keys from the GMK,
/// AES-CM-128 + HMAC-SHA-1-160, optionally signed after the MAC.
pub fn build_gsk_offer(
    offer: &GskOffer<'_>,
    gmk: &[u8],
    gsk: &[u8],
    salt: &[u8],
    signer: Option<&dyn MessageSigner>,
) -> Result<Vec<u8>> {
    if gsk.len() != offer.profile.key_len() || salt.len() != offer.profile.salt_len() {
        return Err(Error::InvalidParameter);
    }
    let gsk_id = offer.gsk_id.to_be_bytes();
    let mki = if offer.mki.is_empty() {
        &gsk_id[..]
    } else {
        offer.mki
    };
    if mki.len() > usize::from(u8::MAX) {
        return Err(Error::InvalidParameter);
    }
    let keys = TransportKeys::derive(offer.prf, gmk, offer.gsk_id, &offer.rand)?;
    // Key data: TEK+SALT, KV = SPI.
    let mut kd =
        zeroize::Zeroizing::new(Vec::with_capacity(8 + gsk.len() + salt.len() + mki.len()));
    kd.push(0);
    kd.push((key_type::TEK_SALT << 4) | kv_type::SPI);
    kd.extend_from_slice(&(gsk.len() as u16).to_be_bytes());
    kd.extend_from_slice(gsk);
    kd.extend_from_slice(&(salt.len() as u16).to_be_bytes());
    kd.extend_from_slice(salt);
    kd.push(mki.len() as u8);
    kd.extend_from_slice(mki);
    kemac::aes_cm_128(&keys.encr, &keys.salt, offer.gsk_id, offer.t, &mut kd);

    let mut b = Builder::new(
        data_type::PSK_INIT,
        offer.prf,
        offer.gsk_id,
        MapSpec::SrtpId(offer.senders),
    )?;
    b.t(Timestamp::ntp_utc(offer.t))?;
    b.rand(&offer.rand)?;
    b.idr(role::INITIATOR, id_type::URI, offer.initiator_uri)?;
    b.idr(role::RESPONDER, id_type::URI, offer.group_uri)?;
    b.idr(role::PSK, id_type::BYTES, &offer.gmk_id.to_be_bytes())?;
    let params = sp_params(offer.profile)?;
    let pr: Vec<(u8, &[u8])> = params.iter().map(|(t, v)| (*t, &v[..])).collect();
    b.sp(0, 0, &pr)?;
    b.kemac_hmac_sha1(encr_alg::AES_CM_128, &kd, &keys.auth)?;
    match signer {
        None => Ok(b.finish()),
        Some(s) => b.finish_signed(sig_type::ECCSI, super::crypto::SIGNATURE_LEN, |tbs| {
            Ok(s.sign(tbs)?.to_vec())
        }),
    }
}

/// What an SRTP session needs from a received GSK offer. Secrets zeroize on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SrtpKeying {
    master_key: [u8; 32],
    master_salt: [u8; 14],
    #[zeroize(skip)]
    profile: Profile,
    #[zeroize(skip)]
    mki: Vec<u8>,
    #[zeroize(skip)]
    gsk_id: u32,
    #[zeroize(skip)]
    gmk_id: u32,
    #[zeroize(skip)]
    senders: Vec<SrtpId>,
    #[zeroize(skip)]
    initiator: Vec<u8>,
    #[zeroize(skip)]
    t: u64,
    #[zeroize(skip)]
    signed: bool,
    #[zeroize(skip)]
    resent: bool,
}

impl core::fmt::Debug for SrtpKeying {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SrtpKeying")
            .field("master_key", &"<redacted>")
            .field("master_salt", &"<redacted>")
            .field("profile", &self.profile)
            .field("mki", &self.mki)
            .field("gsk_id", &self.gsk_id)
            .field("gmk_id", &self.gmk_id)
            .field("senders", &self.senders)
            .field("t", &self.t)
            .field("signed", &self.signed)
            .finish()
    }
}

impl SrtpKeying {
    /// SRTP master key (the GSK).
    pub fn master_key(&self) -> &[u8] {
        &self.master_key[..self.profile.key_len()]
    }
    /// SRTP master salt.
    pub fn master_salt(&self) -> &[u8] {
        &self.master_salt[..self.profile.salt_len()]
    }
    /// SRTP profile from the SP payload.
    pub fn profile(&self) -> Profile {
        self.profile
    }
    /// MKI (the Key data SPI: the GSK-ID, or GMK-ID ‖ GUK-ID in `mcptt`).
    pub fn mki(&self) -> &[u8] {
        &self.mki
    }
    /// GSK-ID (CSB ID).
    pub fn gsk_id(&self) -> u32 {
        self.gsk_id
    }
    /// GMK-ID the GSK was protected under.
    pub fn gmk_id(&self) -> u32 {
        self.gmk_id
    }
    /// The initiator's SSRCs and ROCs (for late joiners).
    pub fn senders(&self) -> &[SrtpId] {
        &self.senders
    }
    /// Initiator URI.
    pub fn initiator(&self) -> &[u8] {
        &self.initiator
    }
    /// The offer's NTP-UTC timestamp.
    pub fn timestamp(&self) -> u64 {
        self.t
    }
    /// Whether a signature was present and verified.
    pub fn signed(&self) -> bool {
        self.signed
    }

    /// Whether the receiver had already accepted this offer (a re-send for late entry, or a
    /// copy with different signature octets). A re-send must not rebuild the SRTP session of
    /// the first one: keep that session (and its replay state) and ignore this keying.
    pub fn is_resend(&self) -> bool {
        self.resent
    }

    pub(crate) fn mark_resend(&mut self) {
        self.resent = true;
    }
}

/// Receiver policy for GSK offers.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct PskPolicy {
    /// Largest accepted |now − T| in seconds.
    pub max_skew_secs: u64,
    /// Refuse offers without a SIGN payload.
    pub require_signature: bool,
    /// Also accept signatures computed without the SIGN type/length octets.
    pub accept_unheadered_signature: bool,
    /// How the initiator URI maps to its ECCSI identifier.
    pub identity_scheme: IdentityScheme,
    /// If set, IDRr must name this group.
    pub group_uri: Option<Vec<u8>>,
    /// Replay-cache capacity of a [`crate::group::GskReceiver`] (entries live for the
    /// freshness window).
    pub replay_capacity: usize,
    /// KEMAC encryption algorithms accepted (see [`super::encr_alg`]). PROFILE §4 fixes
    /// AES-CM-128, the default; a NULL KEMAC would carry the GSK in clear. Others are
    /// refused with [`Error::Unsupported`].
    pub allowed_encr_algs: Vec<u8>,
}

impl Default for PskPolicy {
    fn default() -> Self {
        PskPolicy {
            max_skew_secs: 30,
            require_signature: false,
            accept_unheadered_signature: false,
            identity_scheme: IdentityScheme::Monthly,
            group_uri: None,
            replay_capacity: 1024,
            allowed_encr_algs: vec![encr_alg::AES_CM_128],
        }
    }
}

/// What identifies a GSK offer for replay detection: the (CSB ID, T, RAND) it is bound to,
/// a digest of what its MAC covers, and its time. Two offers with the same binding but
/// different digests are a replay attempt; equal digests are a re-send (PROFILE §4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OfferReplayId {
    /// SHA-256 of CSB ID ‖ T ‖ RAND.
    pub binding: [u8; 32],
    /// SHA-256 of the MAC'd part (the signature after it is malleable, so it is left out).
    pub digest: [u8; 32],
    /// The offer's time, in NTP seconds.
    pub t_secs: u64,
}

/// Opens a GSK offer at `now_ntp_secs` under `policy`, without any state: the stateless
/// half of [`crate::group::GskReceiver::process`], which adds the replay cache. `gmk` looks a
/// GMK up by the offer's group (IDRr) and GMK-ID (IDRpsk), and must give only a GMK
/// distributed by that group (as [`crate::group::GmkStore::lookup`] does); `verifier`
/// checks signatures (required if the policy requires or the message carries one).
///
/// Errors, in check order: [`Error::Parse`]/[`Error::Unsupported`] (structure),
/// [`Error::UnknownKey`] (no GMK for IDRpsk), [`Error::AuthFailed`] (MAC),
/// [`Error::InvalidSignature`] (missing-but-required, bad, or unverifiable signature),
/// [`Error::InvalidParameter`] (wrong group), [`Error::Freshness`] (timestamp outside
/// the window), then the key data.
pub fn open_gsk_offer<'k>(
    msg: &[u8],
    now_ntp_secs: u64,
    policy: &PskPolicy,
    gmk: impl Fn(&[u8], u32) -> Option<&'k [u8]>,
    verifier: Option<&dyn SignatureVerifier>,
) -> Result<(SrtpKeying, OfferReplayId)> {
    let m = Message::parse(msg)?;
    let h = *m.hdr();
    if h.data_type != data_type::PSK_INIT {
        return Err(Error::Unsupported);
    }
    let t = m.t().ok_or(Error::Parse)?;
    if t.ts_type == super::payload::ts_type::COUNTER {
        return Err(Error::Unsupported);
    }
    let rand = m.rand().ok_or(Error::Parse)?;
    // One walk over the payloads for the three IDRs and the SP.
    let (mut psk_id, mut initiator, mut responder, mut sp) = (None, None, None, None);
    for p in m.payloads() {
        match p {
            Payload::Id(i) if i.role == Some(role::PSK) => psk_id = psk_id.or(Some(i)),
            Payload::Id(i) if i.role == Some(role::INITIATOR) => initiator = initiator.or(Some(i)),
            Payload::Id(i) if i.role == Some(role::RESPONDER) => responder = responder.or(Some(i)),
            Payload::Sp(x) => sp = sp.or(Some(x)),
            _ => {}
        }
    }
    let psk_id = psk_id.ok_or(Error::Parse)?;
    let gmk_id = <[u8; 4]>::try_from(psk_id.data).map_err(|_| Error::Parse)?;
    let gmk_id = u32::from_be_bytes(gmk_id);
    let initiator = initiator.ok_or(Error::Parse)?;
    let responder = responder.ok_or(Error::Parse)?;
    // The GMK of the group the offer names: a GMK of another group never opens it.
    let key = gmk(responder.data, gmk_id).ok_or(Error::UnknownKey)?;

    // MAC.
    let k = m.kemac().ok_or(Error::Parse)?;
    if !policy.allowed_encr_algs.contains(&k.encr_alg) {
        return Err(Error::Unsupported);
    }
    let keys = TransportKeys::derive(h.prf, key, h.csb_id, rand)?;
    let mac_input = m.mac_input().ok_or(Error::Parse)?;
    kemac::verify_mac(&k, &keys, mac_input, false)?;

    // Signature policy.
    let signed = match m.sign() {
        Some(_) => {
            let v = verifier.ok_or(Error::InvalidSignature)?;
            let signer = policy
                .identity_scheme
                .identifier(initiator.data, t.seconds_near(now_ntp_secs))
                .map_err(|_| Error::InvalidSignature)?;
            verify_message_signature(&m, v, &signer, policy.accept_unheadered_signature)?;
            true
        }
        None if policy.require_signature => return Err(Error::InvalidSignature),
        None => false,
    };
    if let Some(g) = &policy.group_uri {
        if g.as_slice() != responder.data {
            return Err(Error::InvalidParameter);
        }
    }

    // Freshness.
    let t_secs = t.seconds_near(now_ntp_secs);
    if now_ntp_secs.abs_diff(t_secs) > policy.max_skew_secs {
        return Err(Error::Freshness);
    }

    // What the replay cache of a receiver keys on.
    let mut hk = Sha256::new();
    hk.update(h.csb_id.to_be_bytes());
    hk.update(t.value.to_be_bytes());
    hk.update(rand);
    let binding: [u8; 32] = hk.finalize().into();
    // The digest covers what the MAC covers, not the signature after it: ECCSI signatures
    // are malleable ((r, q - s) verifies too), so a copy with another valid signature is
    // the same offer, a re-send, not a different message.
    let digest: [u8; 32] = Sha256::digest(mac_input).into();

    // Key data.
    let sp = sp.ok_or(Error::Parse)?;
    let profile = profile_from_sp(&sp)?;
    let plain = kemac::decrypt(&k, &keys, h.csb_id, t.value)?;
    let mut out = SrtpKeying {
        master_key: [0; 32],
        master_salt: [0; 14],
        profile,
        mki: Vec::new(),
        gsk_id: h.csb_id,
        gmk_id,
        senders: h.map.srtp_ids().collect(),
        initiator: initiator.data.to_vec(),
        t: t.value,
        signed,
        resent: false,
    };
    let mut count = 0;
    let max_pad = if k.encr_alg == encr_alg::AES_KW_128 {
        7
    } else {
        0
    };
    KeyData::parse_chain_padded(&plain, max_pad, |kd| {
        count += 1;
        if kd.key_type != key_type::TEK_SALT
            || kd.key.len() != profile.key_len()
            || kd.salt.map(<[u8]>::len) != Some(profile.salt_len())
        {
            return Err(Error::InvalidParameter);
        }
        out.master_key[..kd.key.len()].copy_from_slice(kd.key);
        if let Some(s) = kd.salt {
            out.master_salt[..s.len()].copy_from_slice(s);
        }
        if kd.kv == kv_type::SPI {
            out.mki = kd.spi.unwrap_or(&[]).to_vec();
        }
        Ok(())
    })?;
    if count != 1 {
        return Err(Error::InvalidParameter);
    }

    Ok((
        out,
        OfferReplayId {
            binding,
            digest,
            t_secs,
        },
    ))
}
