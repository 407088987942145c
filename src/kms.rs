//! The KMS role (seed 6.Z.4.3; TS 33.180 Annex D), sans-IO: key periods and the identifiers
//! they give, the KMS's own keys, **key sets** issued per identity and period, and the
//! member side of provisioning, which validates every key of a key set before accepting it.
//!
//! # Key periods and identifiers
//! - `prose` (RFC 6509 §3.2): one calendar month (UTC) per period; KeyPeriodNo counts months
//!   from January 1900 (`12·year + month − 1`, so 2011-02 is 24133), the identifier is
//!   `"YYYY-MM" 0x00 URI 0x00`.
//! - `mcptt` (TS 33.180 F.2.1, PROFILE §1): KeyPeriodNo = ⌊(NTP seconds − offset) / period⌋,
//!   the identifier is the 32-octet UID of the URI, the KMS URI, the period, the offset and the
//!   KeyPeriodNo.
//!
//! Times are NTP seconds (since 1900-01-01, era-extended; see [`crate::mikey::NTP_MAX_SECS`]).
//! Nothing here reads a clock, a file or a socket: the caller passes the time in and stores
//! what comes out.

pub mod provision;

use rand_core::CryptoRngCore;

use crate::eccsi::{Kpak, Ksak, SigningKey, Ssk};
use crate::mikey::{self, NTP_MAX_SECS};
use crate::sakke::{DecapsulationKey, KmsPublic, KmsSecret, Rsk};
use crate::{Error, Result};

/// How identities map to identifiers, and how long a key period lasts.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum IdFormat {
    /// RFC 6509 `"YYYY-MM\0URI\0"`: calendar months.
    Prose,
    /// TS 33.180 UID: periods of `period_secs` from `offset_secs`.
    Mcptt {
        /// UserKeyPeriod in seconds (≥ 1).
        period_secs: u64,
        /// UserKeyOffset in seconds.
        offset_secs: u64,
    },
}

/// The KMS's public parameters a member needs to derive and check identifiers: its URI and
/// the identifier format with its key period.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KeyPeriods {
    kms_uri: Vec<u8>,
    format: IdFormat,
}

/// Days since 1970-01-01 of the first day of `month` (1..=12) of `year` (proleptic Gregorian).
fn days_from_civil(year: i64, month: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// NTP seconds of 00:00 UTC on the first day of month `no` (months since January 1900).
fn month_start(no: u64) -> Result<u64> {
    // Past the end of NTP era 1 (year 2172) nothing is valid; refusing early also keeps the
    // calendar arithmetic below far from overflow for any KeyPeriodNo read from outside.
    if no > 12 * 300 {
        return Err(Error::InvalidParameter);
    }
    let year = 1900 + (no / 12) as i64;
    let month = (no % 12) as u32 + 1;
    let days = days_from_civil(year, month) + (mikey::NTP_UNIX_OFFSET / 86_400) as i64;
    let secs = u64::try_from(days)
        .ok()
        .and_then(|d| d.checked_mul(86_400))
        .ok_or(Error::InvalidParameter)?;
    if secs > NTP_MAX_SECS {
        return Err(Error::InvalidParameter);
    }
    Ok(secs)
}

impl KeyPeriods {
    /// Key periods of the KMS `kms_uri` in `format` (`InvalidParameter` for a zero period or
    /// an empty URI).
    pub fn new(kms_uri: &[u8], format: IdFormat) -> Result<Self> {
        if kms_uri.is_empty() {
            return Err(Error::InvalidParameter);
        }
        if let IdFormat::Mcptt { period_secs, .. } = format {
            if period_secs == 0 {
                return Err(Error::InvalidParameter);
            }
        }
        Ok(KeyPeriods {
            kms_uri: kms_uri.to_vec(),
            format,
        })
    }

    /// The KMS URI.
    pub fn kms_uri(&self) -> &[u8] {
        &self.kms_uri
    }

    /// The identifier format.
    pub fn format(&self) -> &IdFormat {
        &self.format
    }

    /// The KeyPeriodNo of the period holding `ntp_secs`.
    pub fn period_no(&self, ntp_secs: u64) -> Result<u64> {
        if ntp_secs > NTP_MAX_SECS {
            return Err(Error::InvalidParameter);
        }
        match self.format {
            IdFormat::Prose => {
                // The month of `ntp_secs`, read back from the identifier's calendar rules.
                let id = mikey::prose_identifier(b"x", ntp_secs)?;
                let text = core::str::from_utf8(&id[..7]).map_err(|_| Error::InvalidParameter)?;
                let year: u64 = text[..4].parse().map_err(|_| Error::InvalidParameter)?;
                let month: u64 = text[5..7].parse().map_err(|_| Error::InvalidParameter)?;
                Ok((year - 1900) * 12 + month - 1)
            }
            IdFormat::Mcptt {
                period_secs,
                offset_secs,
            } => mikey::uid::key_period_no(ntp_secs, period_secs, offset_secs),
        }
    }

    /// The validity of period `no`: `[valid_from, valid_to)` in NTP seconds.
    pub fn validity(&self, no: u64) -> Result<(u64, u64)> {
        match self.format {
            IdFormat::Prose => Ok((
                month_start(no)?,
                month_start(no.checked_add(1).ok_or(Error::InvalidParameter)?)?,
            )),
            IdFormat::Mcptt {
                period_secs,
                offset_secs,
            } => {
                let from = no
                    .checked_mul(period_secs)
                    .and_then(|s| s.checked_add(offset_secs))
                    .ok_or(Error::InvalidParameter)?;
                let to = from
                    .checked_add(period_secs)
                    .ok_or(Error::InvalidParameter)?;
                Ok((from, to))
            }
        }
    }

    /// The identifier of `uri` for period `no` (what SAKKE encrypts to and ECCSI signs as).
    pub fn identifier(&self, uri: &[u8], no: u64) -> Result<Vec<u8>> {
        if uri.is_empty() {
            return Err(Error::InvalidParameter);
        }
        match self.format {
            IdFormat::Prose => mikey::prose_identifier(uri, self.validity(no)?.0),
            IdFormat::Mcptt {
                period_secs,
                offset_secs,
            } => Ok(mikey::uid::uid(uri, &self.kms_uri, period_secs, offset_secs, no)?.to_vec()),
        }
    }
}

/// The key material the KMS issues to one identity for one key period: UserUri, UserID (the
/// identifier), KeyPeriodNo, validity, and the secret keys RSK (SAKKE) and SSK with its PVT
/// (ECCSI). Secrets zeroize on drop; `Debug` shows only the public parts.
#[derive(Clone)]
pub struct KeySet {
    /// UserUri.
    pub user_uri: Vec<u8>,
    /// UserID: the identifier for this period.
    pub user_id: Vec<u8>,
    /// KeyPeriodNo.
    pub period_no: u64,
    /// ValidFrom (NTP seconds, inclusive).
    pub valid_from: u64,
    /// ValidTo (NTP seconds, exclusive).
    pub valid_to: u64,
    /// The SAKKE receiver secret key.
    pub rsk: Rsk,
    /// The ECCSI secret signing key.
    pub ssk: Ssk,
    /// The ECCSI public validation token (SEC1 uncompressed).
    pub pvt: [u8; 65],
}

impl core::fmt::Debug for KeySet {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("KeySet")
            .field("user_uri", &String::from_utf8_lossy(&self.user_uri))
            .field("period_no", &self.period_no)
            .field("valid_from", &self.valid_from)
            .field("valid_to", &self.valid_to)
            .field("rsk", &"<redacted>")
            .field("ssk", &"<redacted>")
            .finish()
    }
}

/// A KMS: the SAKKE master secret z (and Z = [z]P), the ECCSI KSAK (and KPAK), and its key
/// periods. `Debug` is redacted.
#[derive(Clone)]
pub struct Kms {
    z: KmsSecret,
    z_pub: KmsPublic,
    ksak: Ksak,
    periods: KeyPeriods,
}

impl core::fmt::Debug for Kms {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Kms")
            .field("periods", &self.periods)
            .finish_non_exhaustive()
    }
}

impl Kms {
    /// A KMS with fresh master secrets from `rng` ([`Error::Rng`] if it fails).
    pub fn generate(periods: KeyPeriods, rng: &mut impl CryptoRngCore) -> Result<Self> {
        Ok(Self::from_secrets(
            KmsSecret::try_generate(rng)?,
            Ksak::try_generate(rng)?,
            periods,
        ))
    }

    /// A KMS from existing master secrets.
    pub fn from_secrets(z: KmsSecret, ksak: Ksak, periods: KeyPeriods) -> Self {
        Kms {
            z_pub: z.public(),
            z,
            ksak,
            periods,
        }
    }

    /// The key periods.
    pub fn periods(&self) -> &KeyPeriods {
        &self.periods
    }

    /// The public parameters a member needs (the `KmsCertificate` contents).
    pub fn certificate(&self) -> KmsCertificate {
        KmsCertificate {
            periods: self.periods.clone(),
            z: self.z_pub.clone(),
            kpak: self.ksak.kpak(),
        }
    }

    /// The SAKKE master secret.
    pub fn sakke_secret(&self) -> &KmsSecret {
        &self.z
    }

    /// The ECCSI KSAK.
    pub fn ksak(&self) -> &Ksak {
        &self.ksak
    }

    /// The key set of `uri` for period `no`.
    pub fn issue(&self, uri: &[u8], no: u64, rng: &mut impl CryptoRngCore) -> Result<KeySet> {
        let id = self.periods.identifier(uri, no)?;
        let (valid_from, valid_to) = self.periods.validity(no)?;
        let rsk = self.z.issue_rsk(&id)?;
        let (ssk, pvt) = self.ksak.issue(&id, rng)?;
        Ok(KeySet {
            user_uri: uri.to_vec(),
            user_id: id,
            period_no: no,
            valid_from,
            valid_to,
            rsk,
            ssk,
            pvt,
        })
    }

    /// The key sets of `uri` for the period holding `now_ntp_secs` and the next one, so that a
    /// member rolls over without a gap.
    pub fn issue_current_and_next(
        &self,
        uri: &[u8],
        now_ntp_secs: u64,
        rng: &mut impl CryptoRngCore,
    ) -> Result<[KeySet; 2]> {
        let no = self.periods.period_no(now_ntp_secs)?;
        Ok([self.issue(uri, no, rng)?, self.issue(uri, no + 1, rng)?])
    }

    /// Key sets for many identities and one period, on every core: the batched RSK issue and
    /// the batched SSK/PVT issue. One result per URI, in order.
    pub fn issue_many(
        &self,
        uris: &[&[u8]],
        no: u64,
        rng: &mut impl CryptoRngCore,
    ) -> Result<Vec<Result<KeySet>>> {
        let (valid_from, valid_to) = self.periods.validity(no)?;
        let ids: Vec<Result<Vec<u8>>> = uris
            .iter()
            .map(|u| self.periods.identifier(u, no))
            .collect();
        let good: Vec<&[u8]> = ids
            .iter()
            .filter_map(|r| r.as_ref().ok().map(Vec::as_slice))
            .collect();
        let mut rsks = self.z.issue_rsks(&good).into_iter();
        let mut ssks = self.ksak.issue_many(&good, rng).into_iter();
        Ok(ids
            .into_iter()
            .zip(uris)
            .map(|(id, uri)| {
                let id = id?;
                let rsk = rsks.next().ok_or(Error::InvalidParameter)??;
                let (ssk, pvt) = ssks.next().ok_or(Error::InvalidParameter)??;
                Ok(KeySet {
                    user_uri: uri.to_vec(),
                    user_id: id,
                    period_no: no,
                    valid_from,
                    valid_to,
                    rsk,
                    ssk,
                    pvt,
                })
            })
            .collect())
    }
}

/// What a member knows of its KMS (the `KmsCertificate`): key periods, Z and KPAK.
#[derive(Clone)]
pub struct KmsCertificate {
    /// Key periods and the KMS URI.
    pub periods: KeyPeriods,
    /// SAKKE public key Z (PubEncKey).
    pub z: KmsPublic,
    /// ECCSI public authentication key (PubAuthKey).
    pub kpak: Kpak,
}

impl core::fmt::Debug for KmsCertificate {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("KmsCertificate")
            .field("periods", &self.periods)
            .finish_non_exhaustive()
    }
}

/// A key set that passed every check, with the keys a member uses built from it.
pub struct ProvisionedKeys {
    /// The key set as issued.
    pub key_set: KeySet,
    /// SAKKE decapsulation key of the RSK (with its precomputation).
    pub decapsulation: DecapsulationKey,
    /// ECCSI signing key of the SSK and PVT.
    pub signing: SigningKey,
}

impl core::fmt::Debug for ProvisionedKeys {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ProvisionedKeys")
            .field("key_set", &self.key_set)
            .finish_non_exhaustive()
    }
}

impl KmsCertificate {
    /// The member side of provisioning: accepts `ks` for `uri` at `now_ntp_secs` only if every
    /// part checks out — the UserUri is ours, the UserID is the identifier of that URI for the
    /// KeyPeriodNo, the validity is that period's, the period is the current one or the next,
    /// the RSK passes the pairing check (RFC 6508 §6.1.2) and SSK/PVT pass RFC 6507 §5.1.2.
    /// Errors: [`Error::InvalidParameter`] (URI, identifier, period or validity),
    /// [`Error::KeyExpired`] (a past period or one beyond the next), [`Error::InvalidKey`]
    /// (RSK or SSK/PVT). Nothing is kept on error.
    pub fn accept(&self, uri: &[u8], ks: KeySet, now_ntp_secs: u64) -> Result<ProvisionedKeys> {
        self.check(uri, &ks)?;
        let now_no = self.periods.period_no(now_ntp_secs)?;
        if ks.period_no < now_no || ks.period_no > now_no + 1 {
            return Err(Error::KeyExpired);
        }
        self.build(ks)
    }
}

/// Version of the serialized role states ([`KmsState`], the Group Manager's and the member's).
/// A state of another version is refused with [`Error::Unsupported`].
pub const STATE_VERSION: u32 = 1;

/// A [`KeySet`] as it is persisted: URIs, identifiers, period and the keys as octets. Secret
/// octets zeroize on drop; `Debug` shows none.
#[derive(Clone, serde::Serialize, serde::Deserialize, zeroize::Zeroize, zeroize::ZeroizeOnDrop)]
pub struct KeySetState {
    #[zeroize(skip)]
    user_uri: Vec<u8>,
    #[zeroize(skip)]
    user_id: Vec<u8>,
    #[zeroize(skip)]
    period_no: u64,
    #[zeroize(skip)]
    valid_from: u64,
    #[zeroize(skip)]
    valid_to: u64,
    rsk: Vec<u8>,
    ssk: Vec<u8>,
    #[zeroize(skip)]
    pvt: Vec<u8>,
}

impl core::fmt::Debug for KeySetState {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("KeySetState")
            .field("user_uri", &String::from_utf8_lossy(&self.user_uri))
            .field("period_no", &self.period_no)
            .finish_non_exhaustive()
    }
}

impl KeySet {
    /// The persisted form.
    pub fn state(&self) -> KeySetState {
        KeySetState {
            user_uri: self.user_uri.clone(),
            user_id: self.user_id.clone(),
            period_no: self.period_no,
            valid_from: self.valid_from,
            valid_to: self.valid_to,
            rsk: self.rsk.to_bytes().to_vec(),
            ssk: self.ssk.to_bytes().to_vec(),
            pvt: self.pvt.to_vec(),
        }
    }

    /// A key set back from its persisted form (the keys parsed; validate it again with
    /// [`KmsCertificate::accept`] or [`KmsCertificate::revalidate`]).
    pub fn from_state(s: &KeySetState) -> Result<Self> {
        Ok(KeySet {
            user_uri: s.user_uri.clone(),
            user_id: s.user_id.clone(),
            period_no: s.period_no,
            valid_from: s.valid_from,
            valid_to: s.valid_to,
            rsk: Rsk::from_bytes(&s.rsk)?,
            ssk: Ssk::from_bytes(&s.ssk)?,
            pvt: s.pvt.as_slice().try_into().map_err(|_| Error::Parse)?,
        })
    }
}

/// A [`KmsCertificate`] as it is persisted.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CertificateState {
    periods: KeyPeriods,
    z: Vec<u8>,
    kpak: Vec<u8>,
}

impl KmsCertificate {
    /// The persisted form.
    pub fn state(&self) -> CertificateState {
        CertificateState {
            periods: self.periods.clone(),
            z: self.z.to_bytes().to_vec(),
            kpak: self.kpak.to_sec1().to_vec(),
        }
    }

    /// A certificate back from its persisted form: the periods re-checked, Z and KPAK parsed
    /// as points.
    pub fn from_state(s: &CertificateState) -> Result<Self> {
        Ok(KmsCertificate {
            periods: KeyPeriods::new(s.periods.kms_uri(), s.periods.format().clone())?,
            z: KmsPublic::from_bytes(&s.z)?,
            kpak: Kpak::from_sec1(&s.kpak)?,
        })
    }

    /// [`KmsCertificate::accept`] without the clock: every key check, for a key set read back
    /// from storage (its period may have passed; a caller drops it when it has).
    pub fn revalidate(&self, uri: &[u8], ks: KeySet) -> Result<ProvisionedKeys> {
        self.check(uri, &ks)?;
        self.build(ks)
    }

    fn check(&self, uri: &[u8], ks: &KeySet) -> Result<()> {
        if ks.user_uri != uri {
            return Err(Error::InvalidParameter);
        }
        if ks.user_id != self.periods.identifier(uri, ks.period_no)? {
            return Err(Error::InvalidParameter);
        }
        if (ks.valid_from, ks.valid_to) != self.periods.validity(ks.period_no)? {
            return Err(Error::InvalidParameter);
        }
        Ok(())
    }

    fn build(&self, ks: KeySet) -> Result<ProvisionedKeys> {
        crate::sakke::validate_rsk(&self.z, &ks.user_id, &ks.rsk).map_err(|_| Error::InvalidKey)?;
        let signing = SigningKey::new(&self.kpak, &ks.user_id, &ks.ssk, &ks.pvt)
            .map_err(|_| Error::InvalidKey)?;
        let decapsulation = DecapsulationKey::new(&self.z, &ks.user_id, &ks.rsk)?;
        Ok(ProvisionedKeys {
            key_set: ks,
            decapsulation,
            signing,
        })
    }
}

/// A [`Kms`] as it is persisted: its master secrets and periods. Secret octets zeroize on
/// drop; `Debug` shows none.
#[derive(Clone, serde::Serialize, serde::Deserialize, zeroize::Zeroize, zeroize::ZeroizeOnDrop)]
pub struct KmsState {
    #[zeroize(skip)]
    version: u32,
    #[zeroize(skip)]
    periods: KeyPeriods,
    z: Vec<u8>,
    ksak: Vec<u8>,
}

impl core::fmt::Debug for KmsState {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("KmsState")
            .field("version", &self.version)
            .field("periods", &self.periods)
            .finish_non_exhaustive()
    }
}

impl Kms {
    /// The persisted form.
    pub fn state(&self) -> KmsState {
        KmsState {
            version: STATE_VERSION,
            periods: self.periods.clone(),
            z: self.z.to_bytes().to_vec(),
            ksak: self.ksak.to_bytes().to_vec(),
        }
    }

    /// A KMS back from its persisted form ([`Error::Unsupported`] for another version).
    pub fn from_state(s: &KmsState) -> Result<Self> {
        if s.version != STATE_VERSION {
            return Err(Error::Unsupported);
        }
        let periods = KeyPeriods::new(s.periods.kms_uri(), s.periods.format().clone())?;
        Ok(Self::from_secrets(
            KmsSecret::from_bytes(&s.z)?,
            Ksak::from_bytes(&s.ksak)?,
            periods,
        ))
    }
}
