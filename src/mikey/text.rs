//! A human-readable decoding of a MIKEY message (for `prose-sec mikey decode`, the C ABI and
//! Python). Every field is shown with its number and its name (data type, PRF, roles and ID
//! types, SP parameters, algorithms, times as UTC dates, the key parameters of a plain GEN EXT
//! and the header of a protected one). Public fields only: encrypted key data, SEDs and MACs
//! are shown as lengths, never as octets, so the text is safe to log.

use super::payload::{
    data_type, encr_alg, id_type, mac_alg, prf, role, sig_type, sp_param, ts_type,
};
use super::{genext, CsMap, Message, Payload};
use crate::Result;
use core::fmt::Write;

fn hex(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        let _ = write!(s, "{x:02x}");
    }
    s
}

fn printable(b: &[u8]) -> String {
    if !b.is_empty() && b.iter().all(|&c| (0x20..0x7f).contains(&c) || c == 0) {
        let text: String = b
            .iter()
            .map(|&c| {
                if c == 0 {
                    "\\0".to_string()
                } else {
                    (c as char).to_string()
                }
            })
            .collect();
        format!("\"{text}\"")
    } else {
        hex(b)
    }
}

fn data_type_name(t: u8) -> &'static str {
    match t {
        data_type::PSK_INIT => "pre-shared key I_MESSAGE",
        data_type::PSK_RESP => "pre-shared key verification",
        data_type::ERROR => "error",
        data_type::SAKKE_INIT => "SAKKE I_MESSAGE",
        _ => "unknown",
    }
}

fn prf_name(p: u8) -> &'static str {
    match p {
        prf::MIKEY_1 => "MIKEY-1",
        prf::HMAC_SHA256 => "PRF-HMAC-SHA-256",
        _ => "unknown",
    }
}

fn role_name(r: u8) -> &'static str {
    match r {
        role::INITIATOR => "IDRi initiator",
        role::RESPONDER => "IDRr responder",
        role::KMS => "IDRkms KMS",
        role::PSK => "IDRpsk pre-shared key",
        role::APP => "IDRapp application",
        role::INITIATOR_KMS => "IDRkmsi initiator's KMS",
        role::RESPONDER_KMS => "IDRkmsr responder's KMS",
        role::INITIATOR_UID => "IDRi UID",
        role::RESPONDER_UID => "IDRr UID",
        _ => "unknown",
    }
}

fn id_type_name(t: u8) -> &'static str {
    match t {
        id_type::NAI => "NAI",
        id_type::URI => "URI",
        id_type::BYTES => "octets",
        _ => "unknown",
    }
}

fn encr_alg_name(a: u8) -> &'static str {
    match a {
        encr_alg::NULL => "NULL",
        encr_alg::AES_CM_128 => "AES-CM-128",
        encr_alg::AES_KW_128 => "AES-KW-128",
        _ => "unknown",
    }
}

fn mac_alg_name(a: u8) -> &'static str {
    match a {
        mac_alg::NULL => "NULL",
        mac_alg::HMAC_SHA1_160 => "HMAC-SHA-1-160",
        _ => "unknown",
    }
}

fn sig_type_name(t: u8) -> &'static str {
    match t {
        sig_type::RSA_PKCS1 => "RSA/PKCS#1",
        sig_type::RSA_PSS => "RSA/PSS",
        sig_type::ECCSI => "ECCSI",
        _ => "unknown",
    }
}

/// Name and value of an SRTP policy parameter (RFC 3830 §6.10.1, RFC 7714 §14.2).
fn sp_param_text(t: u8, v: &[u8]) -> String {
    let n = if v.len() == 1 { Some(v[0]) } else { None };
    let onoff = |n: Option<u8>| match n {
        Some(0) => "off".to_string(),
        Some(1) => "on".to_string(),
        _ => hex(v),
    };
    let num = |n: Option<u8>| n.map_or_else(|| hex(v), |n| n.to_string());
    match t {
        sp_param::ENCR_ALG => format!(
            "encryption={}",
            match n {
                Some(0) => "NULL".to_string(),
                Some(1) => "AES-CM".to_string(),
                Some(2) => "AES-F8".to_string(),
                Some(6) => "AES-GCM".to_string(),
                _ => format!("unknown({})", hex(v)),
            }
        ),
        sp_param::ENCR_KEY_LEN => format!("encryption-key-len={}", num(n)),
        sp_param::AUTH_ALG => format!(
            "authentication={}",
            match n {
                Some(0) => "NULL".to_string(),
                Some(1) => "HMAC-SHA-1".to_string(),
                _ => format!("unknown({})", hex(v)),
            }
        ),
        sp_param::AUTH_KEY_LEN => format!("auth-key-len={}", num(n)),
        sp_param::SALT_LEN => format!("salt-len={}", num(n)),
        sp_param::SRTP_PRF => format!(
            "srtp-prf={}",
            match n {
                Some(0) => "AES-CM".to_string(),
                _ => format!("unknown({})", hex(v)),
            }
        ),
        sp_param::KDR => format!("key-derivation-rate={}", num(n)),
        sp_param::SRTP_ENCR => format!("srtp-encryption={}", onoff(n)),
        sp_param::SRTCP_ENCR => format!("srtcp-encryption={}", onoff(n)),
        sp_param::FEC_ORDER => format!("fec-order={}", num(n)),
        sp_param::SRTP_AUTH => format!("srtp-authentication={}", onoff(n)),
        sp_param::AUTH_TAG_LEN => format!("auth-tag-len={}", num(n)),
        sp_param::PREFIX_LEN => format!("prefix-len={}", num(n)),
        sp_param::AEAD_TAG_LEN => format!("aead-tag-len={}", num(n)),
        _ => format!("param{t}={}", hex(v)),
    }
}

/// `YYYY-MM-DD HH:MM:SS UTC` of `secs` seconds since 1900-01-01 (NTP).
pub(crate) fn ntp_date(secs: u64) -> String {
    // Days since 1970-01-01 → civil date (proleptic Gregorian, H. Hinnant's algorithm).
    let unix = secs as i64 - super::NTP_UNIX_OFFSET as i64;
    let days = unix.div_euclid(86_400);
    let rem = unix.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// The seconds of a 64-bit NTP timestamp, era-extended the RFC 5905 way: a value with the
/// top bit clear is in era 1 (from 2036-02-07).
fn ntp64_secs(v: u64) -> u64 {
    let hi = v >> 32;
    if hi < 0x8000_0000 {
        hi + (1 << 32)
    } else {
        hi
    }
}

fn key_params_text(p: &genext::KeyParams) -> String {
    let when = |t: u64, zero: &str| {
        if t == 0 {
            zero.to_string()
        } else {
            ntp_date(t)
        }
    };
    let mut s = format!(
        "key-type={}{} status=0x{:08x} activation={} expiry={}",
        p.key_type,
        if p.key_type == genext::key_kind::GMK {
            " [GMK]"
        } else {
            ""
        },
        p.status,
        when(p.activation, "immediately"),
        when(p.expiry, "none"),
    );
    if !p.text.is_empty() {
        let _ = write!(s, " text={}", printable(&p.text));
    }
    if let Some(g) = &p.group_ids {
        let _ = write!(s, " group-ids={}", printable(g.get(2..).unwrap_or(&[])));
    }
    s
}

/// Parses `msg` and describes it, one payload per line (nested details indented).
pub fn describe(msg: &[u8]) -> Result<String> {
    let m = Message::parse(msg)?;
    let h = m.hdr();
    let mut s = String::new();
    let map = match h.map {
        CsMap::SrtpId(_) => "SRTP-ID",
        CsMap::Empty => "empty",
        CsMap::GenericId(_) => "GENERIC-ID",
    };
    let _ = writeln!(
        s,
        "HDR data_type={} [{}] v={} prf={} [{}] csb_id=0x{:08x} cs_count={} map={}",
        h.data_type,
        data_type_name(h.data_type),
        h.v as u8,
        h.prf,
        prf_name(h.prf),
        h.csb_id,
        h.cs_count,
        map
    );
    for id in h.map.srtp_ids() {
        let _ = writeln!(
            s,
            "  SRTP-ID policy={} ssrc=0x{:08x} roc={}",
            id.policy_no, id.ssrc, id.roc
        );
    }
    for g in h.map.generic_ids() {
        let _ = writeln!(s, "  GENERIC-ID cs_id={} spi={}", g.cs_id, hex(g.spi));
    }
    for p in m.payloads() {
        let _ = match p {
            Payload::T(t) => match t.ts_type {
                ts_type::NTP_UTC | ts_type::NTP => writeln!(
                    s,
                    "T type={} [{}] value=0x{:016x} [{}]",
                    t.ts_type,
                    if t.ts_type == ts_type::NTP_UTC {
                        "NTP-UTC"
                    } else {
                        "NTP"
                    },
                    t.value,
                    ntp_date(ntp64_secs(t.value))
                ),
                ts_type::COUNTER => writeln!(s, "T type=2 [counter] value={}", t.value),
                _ => writeln!(s, "T type={} value=0x{:016x}", t.ts_type, t.value),
            },
            Payload::Rand(r) => writeln!(s, "RAND len={} {}", r.len(), hex(r)),
            Payload::Id(i) => match i.role {
                Some(r) => writeln!(
                    s,
                    "IDR role={r} [{}] type={} [{}] data={}",
                    role_name(r),
                    i.id_type,
                    id_type_name(i.id_type),
                    printable(i.data)
                ),
                None => writeln!(
                    s,
                    "ID type={} [{}] data={}",
                    i.id_type,
                    id_type_name(i.id_type),
                    printable(i.data)
                ),
            },
            Payload::Sp(sp) => {
                let params: Vec<String> = sp
                    .params()
                    .map(|(t, v)| {
                        if sp.prot_type == 0 {
                            sp_param_text(t, v)
                        } else {
                            format!("param{t}={}", hex(v))
                        }
                    })
                    .collect();
                writeln!(
                    s,
                    "SP policy={} prot={}{} {}",
                    sp.policy_no,
                    sp.prot_type,
                    if sp.prot_type == 0 { " [SRTP]" } else { "" },
                    params.join(" ")
                )
            }
            Payload::Kemac(k) => writeln!(
                s,
                "KEMAC encr_alg={} [{}] encr_len={} mac_alg={} [{}] mac_len={}",
                k.encr_alg,
                encr_alg_name(k.encr_alg),
                k.encr_data.len(),
                k.mac_alg,
                mac_alg_name(k.mac_alg),
                k.mac.len()
            ),
            Payload::Sakke(k) => writeln!(
                s,
                "SAKKE params={}{} id_scheme={}{} sed_len={}",
                k.params,
                if k.params == 1 {
                    " [RFC 6509 set 1]"
                } else {
                    ""
                },
                k.id_scheme,
                match k.id_scheme {
                    1 => " [tel URI, monthly keys]",
                    2 => " [UID]",
                    _ => "",
                },
                k.sed.len()
            ),
            Payload::GenExt(g) if g.ext_type == genext::GEN_EXT_KEY_PARAMS => {
                if g.data.len() == genext::LEGACY_PLAIN_LEN {
                    match genext::KeyParams::decode(g.data) {
                        Ok(p) => writeln!(
                            s,
                            "GEN-EXT type=7 [key parameters, plain] {}",
                            key_params_text(&p)
                        ),
                        Err(_) => writeln!(
                            s,
                            "GEN-EXT type=7 [key parameters, unreadable] len={}",
                            g.data.len()
                        ),
                    }
                } else {
                    match genext::parse_protected(g.data) {
                        Ok((ph, ct)) => writeln!(
                            s,
                            "GEN-EXT type=7 [key parameters, protected] msg_type={} payload_id=0x{:08x} \
                             sequence={} algorithm={}{} dppk_id=0x{:08x} payload_type={} encrypted_len={}",
                            ph.msg_type,
                            ph.payload_id,
                            ph.sequence,
                            ph.algorithm,
                            if ph.algorithm == genext::ALG_AES_128_GCM {
                                " [AES-128-GCM]"
                            } else {
                                ""
                            },
                            ph.dppk_id,
                            ph.payload_type,
                            ct.len()
                        ),
                        Err(_) => writeln!(
                            s,
                            "GEN-EXT type=7 [key parameters, unreadable] len={}",
                            g.data.len()
                        ),
                    }
                }
            }
            Payload::GenExt(g) => {
                writeln!(s, "GEN-EXT type={} len={}", g.ext_type, g.data.len())
            }
            Payload::V(v) => writeln!(
                s,
                "V mac_alg={} [{}] mac_len={}",
                v.mac_alg,
                mac_alg_name(v.mac_alg),
                v.mac.len()
            ),
            Payload::Err(e) => writeln!(s, "ERR err_no={}", e.err_no),
            Payload::Sign(g) => writeln!(
                s,
                "SIGN type={} [{}] len={}",
                g.sig_type,
                sig_type_name(g.sig_type),
                g.signature.len()
            ),
        };
    }
    Ok(s)
}

/// What the key parameters say, in the words [`describe`] uses (for a decrypted GEN EXT).
pub fn describe_key_params(p: &genext::KeyParams) -> String {
    key_params_text(p)
}

/// `YYYY-MM-DD HH:MM:SS UTC` of NTP seconds (for callers that show times next to
/// [`describe`]'s output).
pub fn ntp_secs_to_utc(secs: u64) -> String {
    ntp_date(secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_utc_calendar_dates() {
        let off = crate::mikey::NTP_UNIX_OFFSET;
        assert_eq!(ntp_date(off), "1970-01-01 00:00:00 UTC");
        assert_eq!(ntp_date(1_704_067_200 + off), "2024-01-01 00:00:00 UTC");
        assert_eq!(
            ntp_date(951_782_400 + off + 3_723),
            "2000-02-29 01:02:03 UTC"
        );
        assert_eq!(ntp_date(0), "1900-01-01 00:00:00 UTC");
        // Era 1 of a 64-bit timestamp: 2036-02-07 06:28:16 is 2^32 NTP seconds.
        assert_eq!(ntp64_secs(0), 1 << 32);
        assert_eq!(ntp_date(1 << 32), "2036-02-07 06:28:16 UTC");
    }
}
