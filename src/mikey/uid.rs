//! TS 33.180 identifiers: the MIKEY-SAKKE UID (F.2.1), the key period number, and the
//! GUK-ID (GMK-ID XOR the user salt, TS 33.220 B.2 KDF).

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::{Error, Result};

fn len16(n: usize) -> Result<[u8; 2]> {
    u16::try_from(n)
        .map(u16::to_be_bytes)
        .map_err(|_| Error::InvalidParameter)
}

/// Minimal big-endian encoding of an integer (0 → one 0x00 octet).
fn minimal_be(v: u64) -> ([u8; 8], usize) {
    let b = v.to_be_bytes();
    let skip = (v.leading_zeros() / 8).min(7) as usize;
    (b, skip)
}

/// The 32-octet UID = SHA-256(0x00 ‖ "MIKEY-SAKKE-UID" ‖ L ‖ URI ‖ L ‖ KMS-URI ‖ L ‖
/// KeyPeriod ‖ L ‖ KeyPeriodOffset ‖ L ‖ KeyPeriodNo ‖ L), each L the 2-octet length of the
/// field before it and integers in minimal big-endian form.
pub fn uid(
    uri: &[u8],
    kms_uri: &[u8],
    key_period: u64,
    key_period_offset: u64,
    key_period_no: u64,
) -> Result<[u8; 32]> {
    let mut h = Sha256::new();
    h.update([0x00]);
    let mut field = |f: &[u8]| -> Result<()> {
        h.update(f);
        h.update(len16(f.len())?);
        Ok(())
    };
    field(b"MIKEY-SAKKE-UID")?;
    field(uri)?;
    field(kms_uri)?;
    for v in [key_period, key_period_offset, key_period_no] {
        let (b, skip) = minimal_be(v);
        field(&b[skip..])?;
    }
    Ok(h.finalize().into())
}

/// KeyPeriodNo = ⌊(NTP seconds − offset) / period⌋. A zero period or a time before the
/// offset is [`Error::InvalidParameter`].
pub fn key_period_no(ntp_seconds: u64, key_period: u64, key_period_offset: u64) -> Result<u64> {
    if key_period == 0 {
        return Err(Error::InvalidParameter);
    }
    let since = ntp_seconds
        .checked_sub(key_period_offset)
        .ok_or(Error::InvalidParameter)?;
    Ok(since / key_period)
}

/// The 28-bit user salt: the 28 least significant bits of
/// HMAC-SHA-256(GMK, 0x50 ‖ URI ‖ 2-octet length of URI).
pub fn user_salt(gmk: &[u8], uri: &[u8]) -> Result<u32> {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(gmk).map_err(|_| Error::InvalidParameter)?;
    m.update(&[0x50]);
    m.update(uri);
    m.update(&len16(uri.len())?);
    let out = m.finalize().into_bytes();
    let tail = u32::from_be_bytes([out[28], out[29], out[30], out[31]]);
    Ok(tail & 0x0fff_ffff)
}

/// GUK-ID = GMK-ID XOR user salt; the 4-bit purpose tag of the GMK-ID is kept.
pub fn guk_id(gmk: &[u8], gmk_id: u32, uri: &[u8]) -> Result<u32> {
    Ok(gmk_id ^ user_salt(gmk, uri)?)
}
