//! MIKEY (RFC 3830, RFC 6043, RFC 6509, TS 33.180) codec and the two key-distribution
//! messages of the wire profile.
//!
//! - Codec: [`Message`] parses and validates a whole message without copying (typed payload
//!   views, [`Message::payloads`]); [`Builder`] writes one; [`rebuild`] turns a parsed message
//!   back into the same octets. SDP `a=key-mgmt:mikey` with strict
//!   base64 is in [`crate::sdp`].
//! - Key derivation: [`prf`] (MIKEY-1 and PRF-HMAC-SHA-256, TEK/salt from a TGK,
//!   [`TransportKeys`] from a pre-shared key), [`kemac`] (AES-CM-128, NULL, AES-KW-128 unwrap,
//!   HMAC-SHA-1-160), [`uid`] (TS 33.180 UID, GUK-ID), [`genext`] (key-parameters GEN EXT).
//! - GMK distribution (PROFILE §3): [`build_gmk_message`] (Group Manager) and
//!   [`process_gmk_message`] (member) for the `prose` and `mcptt` [`Profile`]s.
//! - GSK distribution (PROFILE §4): [`build_gsk_offer`] (initiator) and [`GskReceiver`]
//!   (receivers), returning [`SrtpKeying`] for the SRTP session.
//!
//! SAKKE and ECCSI enter through four small traits ([`SakkeEncapsulator`],
//! [`SakkeDecapsulator`], [`MessageSigner`], [`SignatureVerifier`]); the crate's
//! `eccsi::Kpak` / `eccsi::SigningKey` implement the ECCSI ones.
//!
//! Every parser and processor is total: bad input gives a typed [`crate::Error`] and changes
//! no state.

mod builder;
mod crypto;
pub mod genext;
mod gmk;
mod gsk;
pub mod kemac;
mod message;
mod payload;
pub mod prf;
mod text;
pub mod uid;

pub use builder::{build_error, rebuild, Builder, MapSpec};
pub use crypto::{
    ntp_era_extend, ntp_now, ntp_now_secs, ntp_timestamp, prose_identifier, IdentityScheme,
    MessageSigner, SakkeDecapsulator, SakkeEncapsulator, SignatureVerifier, NTP_MAX_SECS,
    NTP_UNIX_OFFSET, SED_LEN, SIGNATURE_LEN, SSV_LEN,
};
pub use gmk::{
    build_gmk_message, key_params_header, open_sakke_message, process_gmk_message, GmkMessageSpec,
    GmkPolicy, MemberContext, Profile, ReceivedGmk, ID_SCHEME_MONTHLY, ID_SCHEME_UID, MCPTT_CS_ID,
    PURPOSE_TAG_MASK, SAKKE_PARAMS_1,
};
pub use gsk::{
    build_gsk_offer, open_gsk_offer, profile_from_sp, sp_params, GskOffer, OfferReplayId,
    PskPolicy, SrtpKeying,
};
pub use message::{Message, Payloads};
pub use payload::{
    data_type, encr_alg, id_type, key_type, kind, kv_type, mac_alg, map_type, prf as prf_id, role,
    sig_type, sp_param, ts_type, CsMap, ErrPayload, GenExt, GenericId, Hdr, Identity, Kemac,
    KeyData, Payload, Sakke, Sign, Sp, SrtpId, Timestamp, V,
};
pub use prf::TransportKeys;
pub use text::{describe, describe_key_params, ntp_secs_to_utc};
