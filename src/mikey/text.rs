//! A human-readable decoding of a MIKEY message (for `prose-sec mikey decode`, the C ABI and
//! Python). Public fields only: encrypted key data and MACs are shown as lengths, never as
//! octets, so the text is safe to log.

use super::{CsMap, Message, Payload};
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
        b.iter()
            .map(|&c| {
                if c == 0 {
                    "\\0".to_string()
                } else {
                    (c as char).to_string()
                }
            })
            .collect()
    } else {
        hex(b)
    }
}

/// Parses `msg` and describes it, one payload per line.
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
        "HDR data_type={} v={} prf={} csb_id=0x{:08x} cs_count={} map={}",
        h.data_type, h.v as u8, h.prf, h.csb_id, h.cs_count, map
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
            Payload::T(t) => writeln!(s, "T type={} value=0x{:016x}", t.ts_type, t.value),
            Payload::Rand(r) => writeln!(s, "RAND {}", hex(r)),
            Payload::Id(i) => match i.role {
                Some(role) => writeln!(
                    s,
                    "IDR role={role} type={} data={}",
                    i.id_type,
                    printable(i.data)
                ),
                None => writeln!(s, "ID type={} data={}", i.id_type, printable(i.data)),
            },
            Payload::Sp(sp) => {
                let params: Vec<String> = sp
                    .params()
                    .map(|(t, v)| format!("{t}:{}", hex(v)))
                    .collect();
                writeln!(
                    s,
                    "SP policy={} prot={} params={}",
                    sp.policy_no,
                    sp.prot_type,
                    params.join(",")
                )
            }
            Payload::Kemac(k) => writeln!(
                s,
                "KEMAC encr_alg={} encr_len={} mac_alg={} mac_len={}",
                k.encr_alg,
                k.encr_data.len(),
                k.mac_alg,
                k.mac.len()
            ),
            Payload::Sakke(k) => writeln!(
                s,
                "SAKKE params={} id_scheme={} sed_len={}",
                k.params,
                k.id_scheme,
                k.sed.len()
            ),
            Payload::GenExt(g) => {
                writeln!(s, "GEN-EXT type={} len={}", g.ext_type, g.data.len())
            }
            Payload::V(v) => writeln!(s, "V mac_alg={} mac_len={}", v.mac_alg, v.mac.len()),
            Payload::Err(e) => writeln!(s, "ERR err_no={}", e.err_no),
            Payload::Sign(g) => writeln!(s, "SIGN type={} len={}", g.sig_type, g.signature.len()),
        };
    }
    Ok(s)
}
