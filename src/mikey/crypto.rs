//! The identity-based operations the key-distribution messages need, as small traits, plus
//! the identifier forms of the two profiles.
//!
//! The traits keep the message logic independent of the SAKKE/ECCSI implementation: the
//! crate's own `sakke`/`eccsi` types implement them (or a caller's HSM does), and the tests
//! drive them with an independent peer.

use zeroize::Zeroizing;

use crate::{Error, Result};

/// Length of SAKKE encapsulated data for RFC 6509 parameter set 1: R (04‖x‖y) ‖ H.
pub const SED_LEN: usize = 273;
/// Length of an ECCSI signature on P-256: r ‖ s ‖ PVT.
pub const SIGNATURE_LEN: usize = 129;
/// Length of a SAKKE shared secret value (and of a GMK).
pub const SSV_LEN: usize = 16;

/// Encapsulates an SSV to an identity under the KMS public key (Group Manager side).
pub trait SakkeEncapsulator {
    /// Encapsulates `ssv` to the identifier `id`; returns R ‖ H.
    fn encapsulate(&self, id: &[u8], ssv: &[u8; SSV_LEN]) -> Result<[u8; SED_LEN]>;
}

/// Recovers an SSV with the member's own key (RSK); must check `[r]([b]P + Z) == R`.
pub trait SakkeDecapsulator {
    /// The identifier this key belongs to.
    fn identity(&self) -> &[u8];
    /// Decapsulates R ‖ H.
    fn decapsulate(&self, sed: &[u8]) -> Result<Zeroizing<[u8; SSV_LEN]>>;
}

/// Signs as one identity (ECCSI with the identity's SSK/PVT).
pub trait MessageSigner {
    /// The identifier the signature is made as.
    fn identity(&self) -> &[u8];
    /// Signs `msg`.
    fn sign(&self, msg: &[u8]) -> Result<[u8; SIGNATURE_LEN]>;
}

/// Verifies ECCSI signatures under the KMS's KPAK for a claimed signer identifier.
pub trait SignatureVerifier {
    /// Verifies `sig` over `msg` as made by `signer`; failure is [`Error::InvalidSignature`].
    fn verify(&self, signer: &[u8], msg: &[u8], sig: &[u8]) -> Result<()>;
}

/// Days since 1970-01-01 → (year, month) in the proleptic Gregorian calendar.
fn civil_year_month(days: i64) -> (i64, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m as u32)
}

/// Seconds between the NTP epoch (1900) and the Unix epoch (1970).
pub const NTP_UNIX_OFFSET: u64 = 2_208_988_800;

/// The latest time the library converts, in NTP seconds: the end of NTP era 1 (2^33 − 1, in
/// the year 2172).
///
/// Throughout the library "NTP seconds" count from 1900-01-01 without wrapping: NTP era 0 ends
/// on 2036-02-07 at 2^32 and era 1 continues from there. The T payload carries only the low 32
/// bits; [`ntp_timestamp`] drops the era when building and receivers restore it with
/// [`ntp_era_extend`], taking the value nearest their own clock.
pub const NTP_MAX_SECS: u64 = (1 << 33) - 1;

/// The current time in NTP seconds (era-extended, see [`NTP_MAX_SECS`]); `None` if the system
/// clock is before 1970 or past the end of era 1.
pub fn ntp_now_secs() -> Option<u64> {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?;
    let secs = d.as_secs().checked_add(NTP_UNIX_OFFSET)?;
    (secs <= NTP_MAX_SECS).then_some(secs)
}

/// The current time as a 64-bit NTP timestamp (seconds mod 2^32 ‖ 32-bit fraction), for the T
/// payload; `None` if the system clock is before 1970 or past the end of era 1.
pub fn ntp_now() -> Option<u64> {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?;
    let secs = d.as_secs().checked_add(NTP_UNIX_OFFSET)?;
    let frac = (u64::from(d.subsec_nanos()) << 32) / 1_000_000_000;
    Some(ntp_timestamp(secs).ok()? | frac)
}

/// The 64-bit NTP timestamp (fraction 0) of `ntp_seconds`: the seconds modulo 2^32, as NTP
/// carries them in every era. `InvalidParameter` past [`NTP_MAX_SECS`].
pub fn ntp_timestamp(ntp_seconds: u64) -> Result<u64> {
    if ntp_seconds > NTP_MAX_SECS {
        return Err(Error::InvalidParameter);
    }
    Ok((ntp_seconds & 0xffff_ffff) << 32)
}

/// The NTP seconds (era-extended) of the 32-bit seconds `wire_secs` of a timestamp: of the
/// values `wire_secs + k·2^32`, the one nearest `near_ntp_secs` (a receiver's clock), so that a
/// timestamp from just before 2036-02-07 read just after it (or the reverse) stays seconds away.
pub fn ntp_era_extend(wire_secs: u32, near_ntp_secs: u64) -> u64 {
    const ERA: u64 = 1 << 32;
    let here = (near_ntp_secs & !(ERA - 1)) | u64::from(wire_secs);
    [here.checked_sub(ERA), Some(here), here.checked_add(ERA)]
        .into_iter()
        .flatten()
        .min_by_key(|c| c.abs_diff(near_ntp_secs))
        .unwrap_or(here)
}

/// The RFC 6509 §3.2 identifier of the `prose` profile: `"YYYY-MM" 0x00 URI 0x00`, the month
/// being the one (UTC) of `ntp_seconds`.
pub fn prose_identifier(uri: &[u8], ntp_seconds: u64) -> Result<Vec<u8>> {
    if uri.contains(&0) {
        return Err(Error::InvalidParameter);
    }
    let days = (ntp_seconds / 86_400) as i64 - (NTP_UNIX_OFFSET / 86_400) as i64;
    let (y, m) = civil_year_month(days);
    let mut id = format!("{y:04}-{m:02}").into_bytes();
    id.push(0);
    id.extend_from_slice(uri);
    id.push(0);
    Ok(id)
}

/// How a URI in a message maps to the identifier used for SAKKE and ECCSI.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum IdentityScheme {
    /// `prose`: `"YYYY-MM\0URI\0"` for the month of the message's timestamp.
    Monthly,
    /// `mcptt`: the 32-octet UID of TS 33.180 F.2.1 for the key period of the timestamp.
    Uid {
        /// KMS URI.
        kms_uri: Vec<u8>,
        /// Key period in seconds.
        key_period: u64,
        /// Key period offset in seconds.
        key_period_offset: u64,
    },
}

impl IdentityScheme {
    /// The identifier of `uri` at the time `ntp_seconds`.
    pub fn identifier(&self, uri: &[u8], ntp_seconds: u64) -> Result<Vec<u8>> {
        match self {
            IdentityScheme::Monthly => prose_identifier(uri, ntp_seconds),
            IdentityScheme::Uid {
                kms_uri,
                key_period,
                key_period_offset,
            } => {
                let no = super::uid::key_period_no(ntp_seconds, *key_period, *key_period_offset)?;
                Ok(super::uid::uid(uri, kms_uri, *key_period, *key_period_offset, no)?.to_vec())
            }
        }
    }
}

/// Checks a signature over a parsed message: the RFC 6509 signed part (including the SIGN
/// type/length octets) first, then — only if `accept_unheadered` — the part without them.
pub(crate) fn verify_message_signature(
    m: &super::Message<'_>,
    verifier: &dyn SignatureVerifier,
    signer: &[u8],
    accept_unheadered: bool,
) -> Result<()> {
    let sign = m.sign().ok_or(Error::InvalidSignature)?;
    if sign.sig_type != super::sig_type::ECCSI || sign.signature.len() != SIGNATURE_LEN {
        return Err(Error::InvalidSignature);
    }
    let full = m.signed_part().ok_or(Error::InvalidSignature)?;
    match verifier.verify(signer, full, sign.signature) {
        Ok(()) => Ok(()),
        Err(_) if accept_unheadered => {
            let part = m
                .signed_part_without_sign_header()
                .ok_or(Error::InvalidSignature)?;
            verifier
                .verify(signer, part, sign.signature)
                .map_err(|_| Error::InvalidSignature)
        }
        Err(_) => Err(Error::InvalidSignature),
    }
}

/// The crate's ECCSI: a KPAK verifies signatures for any claimed signer.
impl SignatureVerifier for crate::eccsi::Kpak {
    fn verify(&self, signer: &[u8], msg: &[u8], sig: &[u8]) -> Result<()> {
        crate::eccsi::verify(self, signer, msg, sig).map_err(|_| Error::InvalidSignature)
    }
}

/// The crate's ECCSI: a signing key signs as its identity, with the operating system's RNG.
impl MessageSigner for crate::eccsi::SigningKey {
    fn identity(&self) -> &[u8] {
        self.id()
    }
    fn sign(&self, msg: &[u8]) -> Result<[u8; SIGNATURE_LEN]> {
        crate::eccsi::SigningKey::sign(self, msg, &mut rand_core::OsRng)
    }
}

/// The crate's SAKKE: the KMS public key encapsulates to any identity.
impl SakkeEncapsulator for crate::sakke::KmsPublic {
    fn encapsulate(&self, id: &[u8], ssv: &[u8; SSV_LEN]) -> Result<[u8; SED_LEN]> {
        crate::sakke::encapsulate(self, id, &crate::sakke::Ssv::new(*ssv))
    }
}

/// The crate's SAKKE: a member's validated RSK with its precomputation; decapsulation
/// checks `[r]([b]P + Z) == R`.
impl SakkeDecapsulator for crate::sakke::DecapsulationKey {
    fn identity(&self) -> &[u8] {
        self.id()
    }
    fn decapsulate(&self, sed: &[u8]) -> Result<Zeroizing<[u8; SSV_LEN]>> {
        let ssv = crate::sakke::DecapsulationKey::decapsulate(self, sed)?;
        Ok(Zeroizing::new(*ssv.as_bytes()))
    }
}
