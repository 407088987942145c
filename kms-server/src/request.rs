//! The request side of TS 33.180 Annex D: the routes under [`PREFIX`] and the optional
//! `KmsRequest` body. Pure functions (bytes in, a typed value or a [`Refusal`] out), so the
//! fuzz target reaches all of it.
//!
//! # Paths
//! - `init`
//! - `keyprov`, `keyprov/<user URI>`, `keyprov/<user URI>/<NTP-64 time in hex>`
//! - `certcache`, `certcache/<CacheNum>`
//! - `cert/<KMS URI>`
//!
//! A URI in the path is accepted percent-escaped (`sip%3Aalice%40example.org`) or raw
//! (`sip:alice@example.org`), as deployed clients send either; a raw URI may hold `/`. The
//! time is 16 hex digits in either case (the NTP-64 timestamp: seconds in the upper half).
//!
//! # KmsRequest
//! `KmsRequest` in the namespace [`NAMESPACE`] with, in order, UserUri, KmsUri, Time,
//! ClientId?, DeviceId?, ClientReqUrl, ClientError?, and then only elements of other
//! namespaces (skipped). A `<!DOCTYPE …>` is refused (no DTD is read, so no entity is ever
//! declared or expanded), and so is a reference to any entity but the five predefined ones.

use percent_encoding::percent_decode_str;
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

use crate::error::Refusal;
pub use prose_sec::kms::provision::NAMESPACE;

/// The path prefix of every route.
pub const PREFIX: &str = "/keymanagement/identity/v1/";
/// The largest request body read (64 KiB).
pub const MAX_BODY: usize = 64 * 1024;
/// The longest URI accepted in a path or a body.
pub const MAX_URI: usize = 2048;
/// How deep elements of other namespaces may nest inside a KmsRequest.
const MAX_DEPTH: usize = 16;
/// How many elements a KmsRequest may hold.
const MAX_ELEMENTS: usize = 256;

/// A route of the KMS interface.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    /// `init`: the KMS certificate.
    Init,
    /// `keyprov[/<uri>[/<time>]]`: key sets of `uri` (the caller's own when absent) for the
    /// period holding `ntp_secs` (the current one when absent).
    KeyProv {
        /// The identity asked for.
        uri: Option<String>,
        /// NTP seconds (the upper half of the NTP-64 timestamp).
        ntp_secs: Option<u64>,
    },
    /// `certcache[/<CacheNum>]`.
    CertCache {
        /// The CacheNum the client holds.
        cache_num: Option<u64>,
    },
    /// `cert/<KMS URI>`.
    Cert {
        /// The KMS whose certificate is asked for.
        kms_uri: String,
    },
}

fn decode_uri(raw: &str) -> Result<String, Refusal> {
    let s = percent_decode_str(raw)
        .decode_utf8()
        .map_err(|_| Refusal::BadRequest("URI is not UTF-8"))?;
    if s.is_empty() || s.len() > MAX_URI {
        return Err(Refusal::BadRequest("URI empty or too long"));
    }
    if s.chars().any(|c| c.is_control()) {
        return Err(Refusal::BadRequest("control character in URI"));
    }
    Ok(s.into_owned())
}

/// The NTP seconds of a 16-digit hex NTP-64 timestamp (either case), or `None` when `s` is
/// not one.
pub fn parse_ntp64_hex(s: &str) -> Option<u64> {
    if s.len() != 16 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u64::from_str_radix(s, 16).ok().map(|v| v >> 32)
}

/// The route of a request path (the path only, still percent-escaped, no query).
pub fn parse_path(path: &str) -> Result<Route, Refusal> {
    let rest = path
        .strip_prefix(PREFIX)
        .ok_or(Refusal::NotFound("no such route"))?;
    if rest.len() > 2 * MAX_URI + 64 {
        return Err(Refusal::BadRequest("path too long"));
    }
    let (head, tail) = match rest.split_once('/') {
        Some((h, t)) => (h, Some(t)),
        None => (rest, None),
    };
    match (head, tail) {
        ("init", None) => Ok(Route::Init),
        ("keyprov", None) => Ok(Route::KeyProv {
            uri: None,
            ntp_secs: None,
        }),
        ("keyprov", Some(t)) => {
            // A last segment of 16 hex digits is the time; everything before it the URI
            // (a raw URI may itself hold '/').
            if let Some((u, last)) = t.rsplit_once('/') {
                if let Some(secs) = parse_ntp64_hex(last) {
                    return Ok(Route::KeyProv {
                        uri: Some(decode_uri(u)?),
                        ntp_secs: Some(secs),
                    });
                }
            }
            Ok(Route::KeyProv {
                uri: Some(decode_uri(t)?),
                ntp_secs: None,
            })
        }
        ("certcache", None) => Ok(Route::CertCache { cache_num: None }),
        ("certcache", Some(n)) => {
            if n.is_empty() || n.len() > 20 || !n.bytes().all(|b| b.is_ascii_digit()) {
                return Err(Refusal::BadRequest("CacheNum is not a number"));
            }
            let cache_num = n
                .parse()
                .map_err(|_| Refusal::BadRequest("CacheNum out of range"))?;
            Ok(Route::CertCache {
                cache_num: Some(cache_num),
            })
        }
        ("cert", Some(u)) => Ok(Route::Cert {
            kms_uri: decode_uri(u)?,
        }),
        _ => Err(Refusal::NotFound("no such route")),
    }
}

/// The token of an `Authorization: Bearer <token>` header value (scheme in any case);
/// anything else is [`Refusal::Unauthenticated`].
pub fn bearer_token(value: &[u8]) -> Result<&str, Refusal> {
    const BAD_AUTH: Refusal = Refusal::Unauthenticated("malformed Authorization");
    let v = std::str::from_utf8(value).map_err(|_| BAD_AUTH)?;
    let (scheme, t) = v.trim().split_once(' ').ok_or(BAD_AUTH)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(Refusal::Unauthenticated("only Bearer authorization"));
    }
    let t = t.trim();
    // RFC 6750 b64token characters.
    if t.is_empty()
        || !t
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/=".contains(&b))
    {
        return Err(BAD_AUTH);
    }
    Ok(t)
}

/// A `KmsRequest` body (TS 33.180 D.2).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KmsRequest {
    /// UserUri: who asks.
    pub user_uri: String,
    /// KmsUri: the KMS asked.
    pub kms_uri: String,
    /// Time (NTP seconds).
    pub time: u64,
    /// ClientId.
    pub client_id: Option<String>,
    /// DeviceId.
    pub device_id: Option<String>,
    /// ClientReqUrl: the URL the request was sent to.
    pub client_req_url: String,
    /// ClientError.
    pub client_error: Option<String>,
}

const FIELDS: [&str; 7] = [
    "UserUri",
    "KmsUri",
    "Time",
    "ClientId",
    "DeviceId",
    "ClientReqUrl",
    "ClientError",
];
const REQUIRED: [bool; 7] = [true, true, true, false, false, true, false];

const BAD: Refusal = Refusal::BadRequest("malformed KmsRequest");

/// Reads a `KmsRequest` body. Every malformed, oversized or DTD-bearing input is a
/// [`Refusal::BadRequest`] (or [`Refusal::TooLarge`]); nothing panics.
pub fn parse_kms_request(body: &[u8]) -> Result<KmsRequest, Refusal> {
    if body.len() > MAX_BODY {
        return Err(Refusal::TooLarge);
    }
    let text = std::str::from_utf8(body).map_err(|_| BAD)?;
    let mut r = NsReader::from_str(text);
    let cfg = r.config_mut();
    // Text is not trimmed by the reader: a value's text arrives in pieces split at entity and
    // character references, and trimming each piece would drop the spaces next to them (the
    // values are trimmed once, whole, below). Whitespace between elements is skipped.
    cfg.trim_text(false);
    cfg.check_end_names = true;
    cfg.expand_empty_elements = true;

    let mut values: [Option<String>; 7] = Default::default();
    let mut next_field = 0usize; // schema order: a field may only follow earlier ones
    let mut depth = 0usize; // 0 outside the root, 1 inside KmsRequest
    let mut foreign_depth = 0usize; // > 0 while inside an element of another namespace
    let mut current: Option<usize> = None; // the field whose text is being read
    let mut seen_root = false;
    let mut done = false;
    let mut elements = 0usize;
    let mut other_after = false; // a foreign element was seen: no more of ours may follow
    loop {
        let (res, ev) = r.read_resolved_event().map_err(|_| BAD)?;
        match ev {
            Event::DocType(_) => {
                return Err(Refusal::BadRequest("DOCTYPE refused in KmsRequest"));
            }
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) => {}
            Event::Start(e) => {
                if done {
                    return Err(BAD);
                }
                elements += 1;
                if elements > MAX_ELEMENTS {
                    return Err(BAD);
                }
                let ours = matches!(res, ResolveResult::Bound(ns) if ns.as_ref() == NAMESPACE);
                let local = e.local_name().into_inner().to_owned();
                let local: &str = &local;
                if foreign_depth > 0 {
                    foreign_depth += 1;
                    if foreign_depth > MAX_DEPTH {
                        return Err(BAD);
                    }
                    continue;
                }
                match depth {
                    0 => {
                        if !ours || local != "KmsRequest" || seen_root {
                            return Err(BAD);
                        }
                        seen_root = true;
                        depth = 1;
                    }
                    1 => {
                        if current.is_some() {
                            return Err(BAD);
                        }
                        if !ours {
                            foreign_depth = 1;
                            other_after = true;
                            continue;
                        }
                        if other_after {
                            return Err(BAD);
                        }
                        let i = FIELDS.iter().position(|f| *f == local).ok_or(BAD)?;
                        if i < next_field {
                            return Err(BAD);
                        }
                        if REQUIRED[next_field..i].iter().any(|r| *r) {
                            return Err(BAD);
                        }
                        next_field = i + 1;
                        values[i] = Some(String::new());
                        current = Some(i);
                    }
                    _ => return Err(BAD),
                }
            }
            Event::End(_) => {
                if foreign_depth > 0 {
                    foreign_depth -= 1;
                } else if current.is_some() {
                    current = None;
                } else if depth == 1 {
                    depth = 0;
                    done = true;
                } else {
                    return Err(BAD);
                }
            }
            Event::Text(t) => {
                if foreign_depth > 0 {
                    continue;
                }
                let t = t.into_inner();
                let Some(i) = current else {
                    if t.bytes().all(|b| b.is_ascii_whitespace()) {
                        continue;
                    }
                    return Err(BAD);
                };
                push_text(&mut values[i], &t)?;
            }
            Event::GeneralRef(g) => {
                if foreign_depth > 0 {
                    continue;
                }
                let i = current.ok_or(BAD)?;
                let mut buf = [0u8; 4];
                let s: &str = match g.resolve_char_ref().map_err(|_| BAD)? {
                    Some(c) => c.encode_utf8(&mut buf),
                    None => {
                        // Only the predefined entities: no DTD is read, so nothing else is
                        // declared, and nothing is ever expanded.
                        let name = g.into_inner();
                        quick_xml::escape::resolve_xml_entity(&name)
                            .ok_or(Refusal::BadRequest("entity refused"))?
                    }
                };
                push_text(&mut values[i], s)?;
            }
            Event::CData(c) => {
                if foreign_depth > 0 {
                    continue;
                }
                let i = current.ok_or(BAD)?;
                push_text(&mut values[i], &c.into_inner())?;
            }
            Event::Empty(_) => return Err(BAD),
            Event::Eof => break,
        }
    }
    if !done || REQUIRED.iter().zip(&values).any(|(r, v)| *r && v.is_none()) {
        return Err(BAD);
    }
    let [user_uri, kms_uri, time, client_id, device_id, client_req_url, client_error] = values;
    let time = parse_datetime(time.as_deref().ok_or(BAD)?.trim()).ok_or(BAD)?;
    let req = |v: Option<String>| -> Result<String, Refusal> {
        let v = v.ok_or(BAD)?.trim().to_owned();
        if v.is_empty() || v.len() > MAX_URI {
            return Err(BAD);
        }
        Ok(v)
    };
    Ok(KmsRequest {
        user_uri: req(user_uri)?,
        kms_uri: req(kms_uri)?,
        time,
        client_id: client_id.map(|s| s.trim().to_owned()),
        device_id: device_id.map(|s| s.trim().to_owned()),
        client_req_url: req(client_req_url)?,
        client_error: client_error.map(|s| s.trim().to_owned()),
    })
}

fn push_text(slot: &mut Option<String>, s: &str) -> Result<(), Refusal> {
    let v = slot.as_mut().ok_or(BAD)?;
    if v.len() + s.len() > MAX_URI * 2 {
        return Err(BAD);
    }
    v.push_str(s);
    Ok(())
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn digits(s: &[u8]) -> Option<i64> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(s.iter().fold(0i64, |a, &c| a * 10 + i64::from(c - b'0')))
}

/// NTP seconds of an `xsd:dateTime` (`YYYY-MM-DDThh:mm:ss[.frac][Z|±hh:mm]`; no zone is
/// UTC), or `None`. Years 1900..=2199 only.
pub fn parse_datetime(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let y = digits(&b[0..4])?;
    let mo = digits(&b[5..7])?;
    let d = digits(&b[8..10])?;
    let h = digits(&b[11..13])?;
    let mi = digits(&b[14..16])?;
    let se = digits(&b[17..19])?;
    let mut rest = &b[19..];
    if let Some(r) = rest.strip_prefix(b".") {
        let n = r.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        rest = &r[n..];
    }
    let offset = match rest {
        [] | [b'Z'] => 0,
        [sign @ (b'+' | b'-'), hh @ .., b':', m1, m2] if hh.len() == 2 => {
            let oh = digits(hh)?;
            let om = digits(&[*m1, *m2])?;
            if oh > 14 || om > 59 {
                return None;
            }
            let o = oh * 3600 + om * 60;
            if *sign == b'+' {
                o
            } else {
                -o
            }
        }
        _ => return None,
    };
    if !(1900..=2199).contains(&y) || !(1..=12).contains(&mo) || h > 23 || mi > 59 || se > 59 {
        return None;
    }
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let mdays = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if d < 1 || d > mdays[(mo - 1) as usize] {
        return None;
    }
    let unix = days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + se - offset;
    u64::try_from(unix + 2_208_988_800).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetime() {
        assert_eq!(parse_datetime("1900-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_datetime("1970-01-01T00:00:00Z"), Some(2_208_988_800));
        assert_eq!(
            parse_datetime("1970-01-01T02:00:00+02:00"),
            Some(2_208_988_800)
        );
        assert_eq!(parse_datetime("1970-01-01T00:00:00.5"), Some(2_208_988_800));
        for bad in [
            "1970-02-30T00:00:00Z",
            "1970-01-01T24:00:00Z",
            "1970-01-01",
            "x",
        ] {
            assert_eq!(parse_datetime(bad), None, "{bad}");
        }
    }

    #[test]
    fn bearer() {
        assert_eq!(bearer_token(b"Bearer a.b-c_~+/="), Ok("a.b-c_~+/="));
        assert_eq!(bearer_token(b"bearer  x "), Ok("x"));
        for bad in [
            &b"Basic eA=="[..],
            b"Bearer",
            b"Bearer a b",
            b"Bearer \xff",
            b"Bearer a,b",
        ] {
            assert!(bearer_token(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn paths() {
        let k = |u: &str, t: Option<u64>| Route::KeyProv {
            uri: Some(u.to_owned()),
            ntp_secs: t,
        };
        let p = |s: &str| parse_path(&format!("{PREFIX}{s}"));
        assert_eq!(p("init"), Ok(Route::Init));
        assert_eq!(p("keyprov/sip%3Aa%40b"), Ok(k("sip:a@b", None)));
        assert_eq!(p("keyprov/sip:a@b"), Ok(k("sip:a@b", None)));
        assert_eq!(
            p("keyprov/sip:a@b/00000001FFFFFFFF"),
            Ok(k("sip:a@b", Some(1)))
        );
        assert_eq!(
            p("keyprov/https://x/y/00000002ffffffff"),
            Ok(k("https://x/y", Some(2)))
        );
        // Not 16 hex digits: part of the URI.
        assert_eq!(p("keyprov/sip:a@b/123"), Ok(k("sip:a@b/123", None)));
        assert_eq!(
            p("certcache/12"),
            Ok(Route::CertCache {
                cache_num: Some(12)
            })
        );
        assert!(p("certcache/99999999999999999999999").is_err());
        assert!(p("keyprov/%ff").is_err());
        assert!(p("keyprov/a%0Ab").is_err());
        assert!(p("keyprov/").is_err());
        assert!(p("init/x").is_err());
        assert!(parse_path("/init").is_err());
    }

    #[test]
    fn kms_request_bodies() {
        let ok = format!(
            "<KmsRequest xmlns=\"{NAMESPACE}\"><UserUri>sip:a@b</UserUri><KmsUri>k</KmsUri>\
             <Time>2024-01-01T00:00:00Z</Time><ClientReqUrl>https://k/x</ClientReqUrl>\
             <x:Ext xmlns:x=\"urn:other\"><x:y/></x:Ext></KmsRequest>"
        );
        let r = parse_kms_request(ok.as_bytes()).unwrap();
        assert_eq!((r.user_uri.as_str(), r.kms_uri.as_str()), ("sip:a@b", "k"));
        assert_eq!(r.time, parse_datetime("2024-01-01T00:00:00Z").unwrap());
        for bad in [
            ok.replace("<KmsUri>k</KmsUri>", ""),
            ok.replace("<KmsUri>k</KmsUri><Time>", "<Time>")
                .replace("</Time>", "</Time><KmsUri>k</KmsUri>"),
            ok.replace("<UserUri>", "<UserUri><b>")
                .replace("</UserUri>", "</b></UserUri>"),
            ok.replace(NAMESPACE, "urn:wrong"),
            ok.replace("sip:a@b", "&lol;"),
            format!("<!DOCTYPE x>{ok}"),
            format!("{ok}<KmsRequest/>"),
            ok.replace("2024-01-01T00:00:00Z", "yesterday"),
        ] {
            assert!(parse_kms_request(bad.as_bytes()).is_err(), "{bad}");
        }
    }

    #[test]
    fn spaces_next_to_references_are_kept() {
        // Found by the kms_request fuzz target: the reader trimmed each piece of text between
        // references, so "a &gt; b" read as "a>b" and a written request did not read back.
        let body = format!(
            "<KmsRequest xmlns=\"{NAMESPACE}\">\n  <UserUri> sip:a@b </UserUri>\n  \
             <KmsUri>k &gt; &amp; &#x41; x</KmsUri>\n  <Time>2024-01-01T00:00:00Z</Time>\n  \
             <ClientReqUrl>https://k/a b</ClientReqUrl>\n</KmsRequest>\n"
        );
        let r = parse_kms_request(body.as_bytes()).unwrap();
        assert_eq!(r.user_uri, "sip:a@b");
        assert_eq!(r.kms_uri, "k > & A x");
        assert_eq!(r.client_req_url, "https://k/a b");
        let text_outside = body.replace("</UserUri>\n", "</UserUri>x\n");
        assert!(parse_kms_request(text_outside.as_bytes()).is_err());
    }

    #[test]
    fn ntp64() {
        assert_eq!(parse_ntp64_hex("E9A4B2C000000000"), Some(0xE9A4_B2C0));
        assert_eq!(parse_ntp64_hex("e9a4b2c0ffffffff"), Some(0xE9A4_B2C0));
        assert_eq!(parse_ntp64_hex("e9a4b2c0fffffff"), None);
        assert_eq!(parse_ntp64_hex("g9a4b2c0ffffffff"), None);
    }
}
