//! MIKEY (RFC 3830, RFC 6043, RFC 6509) codec and the key-distribution messages.
//!
//! - [`Message`] parses without copying; [`Builder`] writes.
//! - [`prf`]: MIKEY-1 and PRF-HMAC-SHA-256 key derivation.
//! - [`kemac`]: KEMAC encryption (AES-CM-128, NULL, AES-KW-128 on receive) and MAC.

mod builder;
mod message;
mod payload;

pub use builder::{build_error, rebuild, Builder, MapSpec};
pub use message::{Message, Payloads};
pub use payload::{
    data_type, encr_alg, id_type, key_type, kind, kv_type, mac_alg, map_type, prf as prf_id, role,
    sig_type, sp_param, ts_type, CsMap, ErrPayload, GenExt, GenericId, Hdr, Identity, Kemac,
    KeyData, Payload, Sakke, Sign, Sp, SrtpId, Timestamp, V,
};
mod sdp;
pub use sdp::{base64_decode, base64_encode, format_key_mgmt, parse_key_mgmt};
pub mod kemac;
pub mod prf;
pub use prf::TransportKeys;
mod crypto;
pub mod genext;
pub mod uid;
pub use crypto::{
    prose_identifier, IdentityScheme, MessageSigner, SakkeDecapsulator, SakkeEncapsulator,
    SignatureVerifier, NTP_UNIX_OFFSET, SED_LEN, SIGNATURE_LEN, SSV_LEN,
};
mod psk;
pub use psk::{build_gsk_offer, GskOffer, GskReceiver, PskPolicy, SrtpKeying, SrtpProfile};
mod sakke_msg;
pub use sakke_msg::{
    build_gmk_message, key_params_header, open_sakke_message, process_gmk_message, GmkMessageSpec,
    GmkPolicy, MemberContext, Profile, ReceivedGmk, ID_SCHEME_MONTHLY, ID_SCHEME_UID, MCPTT_CS_ID,
    PURPOSE_TAG_MASK, SAKKE_PARAMS_1,
};
