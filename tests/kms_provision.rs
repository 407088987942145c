//! The TS 33.180 Annex D provisioning documents: round trips of every response with keys from a
//! real KMS in both identifier formats (and the member accepting the parsed key set), the
//! shapes deployed KMSs write (fixtures in `tests/fixtures/kms/`), every refusal with its exact
//! error, and parse never panicking on mutated documents.
use std::sync::OnceLock;

use proptest::prelude::*;
use prose_sec::kms::provision::{
    self, KmsCertCache, KmsCertificateDoc, KmsError, KmsInit, KmsKeyProv, KmsKeySetDoc, KmsMessage,
    KmsResponse, KmsRole, ResponseBody, MAX_DOCUMENT_LEN, MAX_KEY_SETS, NAMESPACE,
};
use prose_sec::kms::{IdFormat, KeyPeriods, KeySet, Kms, KmsCertificate};
use prose_sec::mikey;
use prose_sec::Error;
use rand_core::OsRng;

const KMS_URI: &str = "kms.example.org";
const ALICE: &str = "sip:alice@example.org";
/// 2024-01-01 00:00 UTC in NTP seconds.
const NOW: u64 = 1_704_067_200 + mikey::NTP_UNIX_OFFSET;
/// The MCPTT period holding `NOW` with 28-day periods from offset 0: 2023-12-18 .. 2024-01-15.
const MCPTT_NO: u64 = 1617;
/// January 2024 in months since January 1900.
const PROSE_NO: u64 = 124 * 12;

fn mcptt() -> IdFormat {
    IdFormat::Mcptt {
        period_secs: 2_419_200,
        offset_secs: 0,
    }
}

/// A KMS, its certificate, and Alice's key set for the period holding `NOW`.
struct Fx {
    kms: Kms,
    cert: KmsCertificate,
    ks: KeySet,
}

fn fx(format: IdFormat) -> Fx {
    let periods = KeyPeriods::new(KMS_URI.as_bytes(), format).unwrap();
    let kms = Kms::generate(periods, &mut OsRng).unwrap();
    let no = kms.periods().period_no(NOW).unwrap();
    let ks = kms.issue(ALICE.as_bytes(), no, &mut OsRng).unwrap();
    Fx {
        cert: kms.certificate(),
        kms,
        ks,
    }
}

fn mcptt_fx() -> &'static Fx {
    static F: OnceLock<Fx> = OnceLock::new();
    F.get_or_init(|| fx(mcptt()))
}

fn prose_fx() -> &'static Fx {
    static F: OnceLock<Fx> = OnceLock::new();
    F.get_or_init(|| fx(IdFormat::Prose))
}

fn response(body: ResponseBody) -> KmsResponse {
    KmsResponse {
        user_uri: ALICE.into(),
        kms_uri: KMS_URI.into(),
        time: NOW,
        kms_id: Some("kms-01".into()),
        client_req_url: format!("https://{KMS_URI}/keymanagement/identity/v1/keyprov"),
        body,
    }
}

fn keyprov(f: &Fx) -> KmsResponse {
    let set = KmsKeySetDoc::from_key_set(KMS_URI.as_bytes(), &f.ks).unwrap();
    response(ResponseBody::Message(KmsMessage::KeyProv(KmsKeyProv {
        key_sets: vec![set],
    })))
}

fn init(f: &Fx) -> KmsResponse {
    let certificate = KmsCertificateDoc::from_certificate(&f.cert).unwrap();
    response(ResponseBody::Message(KmsMessage::Init(KmsInit {
        certificate: Box::new(certificate),
    })))
}

fn xml(r: &KmsResponse) -> String {
    String::from_utf8(r.to_xml().unwrap().to_vec()).unwrap()
}

fn hex_upper(b: &[u8]) -> String {
    hex::encode_upper(b)
}

fn base64(b: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::new();
    for c in b.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                s.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
    s
}

fn wrapped(h: &str) -> String {
    h.as_bytes()
        .chunks(64)
        .map(|c| core::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join("\n          ")
}

/// A fixture with its placeholders filled from `f` (and `other` for a second KMS).
fn fixture(name: &str, f: &Fx, other: Option<&Fx>) -> String {
    let path = format!("{}/tests/fixtures/kms/{name}", env!("CARGO_MANIFEST_DIR"));
    let mut s = std::fs::read_to_string(path).unwrap();
    let z = f.cert.z.to_bytes();
    let kpak = f.cert.kpak.to_sec1();
    let rsk = f.ks.rsk.to_bytes();
    let ssk = f.ks.ssk.to_bytes();
    let mut vals = vec![
        ("{Z_HEX}", hex_upper(&z)),
        ("{Z_hex_wrapped}", wrapped(&hex::encode(z))),
        ("{KPAK_HEX}", hex_upper(&kpak)),
        ("{KPAK_hex}", hex::encode(kpak)),
        ("{RSK_HEX}", hex_upper(&rsk)),
        ("{RSK_hex}", hex::encode(rsk)),
        ("{RSK_hex_wrapped}", wrapped(&hex::encode(rsk))),
        ("{SSK_HEX}", hex_upper(&ssk)),
        ("{SSK_hex}", hex::encode(ssk)),
        ("{PVT_HEX}", hex_upper(&f.ks.pvt)),
        ("{PVT_hex}", hex::encode(f.ks.pvt)),
        ("{UID_HEX}", hex_upper(&f.ks.user_id)),
        ("{UID_hex}", hex::encode(&f.ks.user_id)),
        ("{UID_B64}", base64(&f.ks.user_id)),
    ];
    if let Some(o) = other {
        vals.push(("{Z2_HEX}", hex_upper(&o.cert.z.to_bytes())));
        vals.push(("{KPAK2_HEX}", hex_upper(&o.cert.kpak.to_sec1())));
    }
    for (k, v) in vals {
        s = s.replace(k, &v);
    }
    assert!(!s.contains("{"), "{name}: a placeholder is left");
    s
}

fn partner() -> &'static Fx {
    static F: OnceLock<Fx> = OnceLock::new();
    F.get_or_init(|| {
        let periods = KeyPeriods::new(
            b"kms.partner.example",
            IdFormat::Mcptt {
                period_secs: 86_400,
                offset_secs: 3600,
            },
        )
        .unwrap();
        let kms = Kms::generate(periods, &mut OsRng).unwrap();
        let ks = kms.issue(ALICE.as_bytes(), 1, &mut OsRng).unwrap();
        Fx {
            cert: kms.certificate(),
            kms,
            ks,
        }
    })
}

/// The member side of a parsed key set: convert, then accept at `NOW`.
fn accept_first(doc: &KmsResponse, cert: &KmsCertificate) {
    let sets = doc.key_sets();
    assert_eq!(sets.len(), 1);
    let ks = sets[0].to_key_set(&cert.periods).unwrap();
    let keys = cert.accept(ALICE.as_bytes(), ks, NOW).unwrap();
    assert_eq!(keys.key_set.user_uri, ALICE.as_bytes());
}

// ---------------------------------------------------------------------------------------------
// Round trips

fn round_trip_keyprov(f: &Fx, no: u64) {
    assert_eq!(f.ks.period_no, no);
    let doc = keyprov(f);
    let bytes = doc.to_xml().unwrap();
    let back = provision::parse(&bytes).unwrap();
    assert_eq!(back.to_xml().unwrap().as_slice(), bytes.as_slice());
    assert_eq!(back.user_uri, ALICE);
    assert_eq!(back.time, NOW);
    let set = &back.key_sets()[0];
    assert_eq!(set.user_id, f.ks.user_id);
    assert_eq!(set.key_period_no, no);
    assert_eq!(set.valid_from, Some(f.ks.valid_from));
    assert_eq!(set.valid_to, Some(f.ks.valid_to));
    assert_eq!(set.user_decrypt_key.as_slice(), f.ks.rsk.to_bytes());
    assert_eq!(set.user_signing_key.as_slice(), f.ks.ssk.to_bytes());
    assert_eq!(set.user_pub_token, f.ks.pvt);
    accept_first(&back, &f.cert);
}

#[test]
fn keyprov_round_trip_mcptt() {
    round_trip_keyprov(mcptt_fx(), MCPTT_NO);
}

#[test]
fn keyprov_round_trip_prose() {
    round_trip_keyprov(prose_fx(), PROSE_NO);
}

#[test]
fn keyprov_round_trip_current_and_next() {
    let f = mcptt_fx();
    let sets = f
        .kms
        .issue_current_and_next(ALICE.as_bytes(), NOW, &mut OsRng)
        .unwrap();
    let key_sets = sets
        .iter()
        .map(|ks| KmsKeySetDoc::from_key_set(KMS_URI.as_bytes(), ks).unwrap())
        .collect();
    let doc = response(ResponseBody::Message(KmsMessage::KeyProv(KmsKeyProv {
        key_sets,
    })));
    let back = provision::parse(&doc.to_xml().unwrap()).unwrap();
    assert_eq!(back.key_sets().len(), 2);
    for (i, set) in back.key_sets().iter().enumerate() {
        let ks = set.to_key_set(&f.cert.periods).unwrap();
        assert_eq!(ks.period_no, MCPTT_NO + i as u64);
        f.cert.accept(ALICE.as_bytes(), ks, NOW).unwrap();
    }
}

fn round_trip_init(f: &Fx, format: &str) {
    let doc = init(f);
    let bytes = doc.to_xml().unwrap();
    let back = provision::parse(&bytes).unwrap();
    assert_eq!(back.to_xml().unwrap().as_slice(), bytes.as_slice());
    let c = back.certificate().unwrap();
    assert_eq!(c.user_id_format, format);
    assert_eq!(c.role, Some(KmsRole::Root));
    let cert = c.to_certificate().unwrap();
    assert_eq!(cert.periods, f.cert.periods);
    assert!(cert.z == f.cert.z);
    assert_eq!(cert.kpak.to_sec1(), f.cert.kpak.to_sec1());
    // The certificate read back accepts the key set the KMS issued.
    let ks = f
        .kms
        .issue(ALICE.as_bytes(), f.ks.period_no, &mut OsRng)
        .unwrap();
    cert.accept(ALICE.as_bytes(), ks, NOW).unwrap();
}

#[test]
fn init_round_trip_mcptt() {
    round_trip_init(mcptt_fx(), "2");
    let c = provision::parse(&init(mcptt_fx()).to_xml().unwrap()).unwrap();
    let c = c.certificate().unwrap();
    assert_eq!((c.user_key_period, c.user_key_offset), (2_419_200, 0));
}

#[test]
fn init_round_trip_prose() {
    round_trip_init(prose_fx(), "0");
    let c = provision::parse(&init(prose_fx()).to_xml().unwrap()).unwrap();
    let c = c.certificate().unwrap();
    assert_eq!(c.user_key_period, provision::PROSE_NOMINAL_PERIOD_SECS);
}

#[test]
fn init_round_trip_with_every_optional_element() {
    let f = mcptt_fx();
    let mut c = KmsCertificateDoc::from_certificate(&f.cert).unwrap();
    c.role = Some(KmsRole::External);
    c.cert_uri = Some(format!("{KMS_URI}/cert/root"));
    c.issuer = Some("Issuer <operator> & co".into());
    c.valid_from = Some(NOW);
    c.valid_to = Some(NOW + 365 * 86_400);
    c.revoked = Some(false);
    c.parameter_set = Some(1);
    c.domains = Some(vec!["example.org".into(), "ops.example.org".into()]);
    let doc = response(ResponseBody::Message(KmsMessage::Init(KmsInit {
        certificate: Box::new(c),
    })));
    let bytes = doc.to_xml().unwrap();
    let back = provision::parse(&bytes).unwrap();
    assert_eq!(back.to_xml().unwrap().as_slice(), bytes.as_slice());
    let c = back.certificate().unwrap();
    assert_eq!(c.role, Some(KmsRole::External));
    assert_eq!(c.issuer.as_deref(), Some("Issuer <operator> & co"));
    assert_eq!(c.valid_to, Some(NOW + 365 * 86_400));
    assert_eq!(c.domains.as_ref().unwrap().len(), 2);
    c.to_certificate().unwrap();
}

#[test]
fn certcache_round_trip() {
    let certificates = vec![
        KmsCertificateDoc::from_certificate(&mcptt_fx().cert).unwrap(),
        KmsCertificateDoc::from_certificate(&prose_fx().cert).unwrap(),
    ];
    let doc = response(ResponseBody::Message(KmsMessage::CertCache(KmsCertCache {
        cache_num: Some(42),
        certificates,
    })));
    let bytes = doc.to_xml().unwrap();
    let back = provision::parse(&bytes).unwrap();
    assert_eq!(back.to_xml().unwrap().as_slice(), bytes.as_slice());
    let ResponseBody::Message(KmsMessage::CertCache(c)) = &back.body else {
        panic!("not a cert cache");
    };
    assert_eq!(c.cache_num, Some(42));
    assert_eq!(c.certificates[0].user_id_format, "2");
    assert_eq!(c.certificates[1].user_id_format, "0");
    let a = c.certificates[0].to_certificate().unwrap();
    let b = c.certificates[1].to_certificate().unwrap();
    assert_eq!(a.periods, mcptt_fx().cert.periods);
    assert_eq!(b.periods, prose_fx().cert.periods);
    // An empty cache without a CacheNum.
    let empty = response(ResponseBody::Message(KmsMessage::CertCache(
        KmsCertCache::default(),
    )));
    let back = provision::parse(&empty.to_xml().unwrap()).unwrap();
    assert!(matches!(
        back.body,
        ResponseBody::Message(KmsMessage::CertCache(KmsCertCache {
            cache_num: None,
            ref certificates
        })) if certificates.is_empty()
    ));
}

#[test]
fn error_round_trip() {
    let doc = KmsResponse {
        kms_id: None,
        ..response(ResponseBody::Error(KmsError {
            code: 403,
            message: "not authorised for \"sip:bob\" & co".into(),
        }))
    };
    let bytes = doc.to_xml().unwrap();
    let back = provision::parse(&bytes).unwrap();
    assert_eq!(back.to_xml().unwrap().as_slice(), bytes.as_slice());
    assert!(back.kms_id.is_none());
    let ResponseBody::Error(e) = back.body else {
        panic!("not an error");
    };
    assert_eq!(e.code, 403);
    assert_eq!(e.message, "not authorised for \"sip:bob\" & co");
}

#[test]
fn empty_keyprov_round_trip() {
    let doc = response(ResponseBody::Message(KmsMessage::KeyProv(
        KmsKeyProv::default(),
    )));
    let back = provision::parse(&doc.to_xml().unwrap()).unwrap();
    assert!(back.key_sets().is_empty());
    assert!(back.certificate().is_none());
}

#[test]
fn writer_shape() {
    let s = xml(&keyprov(mcptt_fx()));
    assert!(s.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
    assert!(s.contains(&format!("<KmsResponse xmlns=\"{NAMESPACE}\"")));
    assert!(s.contains("xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\""));
    let rsk = hex_upper(&mcptt_fx().ks.rsk.to_bytes());
    assert!(s.contains(&format!(
        "<UserDecryptKey xsi:type=\"KeyContentType\">{rsk}</UserDecryptKey>"
    )));
    assert!(s.contains("<UserSigningKeySSK xsi:type=\"KeyContentType\">"));
    assert!(s.contains("<UserPubTokenPVT xsi:type=\"KeyContentType\">"));
    assert!(s.contains("<ValidFrom>2023-12-18T00:00:00Z</ValidFrom>"));
    assert!(s.contains("<ValidTo>2024-01-15T00:00:00Z</ValidTo>"));
    assert!(s.contains("<Time>2024-01-01T00:00:00Z</Time>"));
    // Schema order of the response and of the key set.
    let order = |names: &[&str]| {
        let at: Vec<usize> = names
            .iter()
            .map(|n| s.find(&format!("<{n}")).unwrap_or_else(|| panic!("{n}")))
            .collect();
        assert!(at.windows(2).all(|w| w[0] < w[1]), "{names:?}");
    };
    order(&[
        "KmsResponse",
        "UserUri",
        "KmsUri",
        "Time",
        "KmsId",
        "ClientReqUrl",
        "KmsMessage",
        "KmsKeyProv",
        "KmsKeySet",
    ]);
    let set = &s[s.find("<KmsKeySet").unwrap()..];
    let order_in = |names: &[&str]| {
        let at: Vec<usize> = names
            .iter()
            .map(|n| set.find(&format!("<{n}")).unwrap_or_else(|| panic!("{n}")))
            .collect();
        assert!(at.windows(2).all(|w| w[0] < w[1]), "{names:?}");
    };
    order_in(&[
        "KmsUri",
        "UserUri",
        "UserID",
        "ValidFrom",
        "ValidTo",
        "KeyPeriodNo",
        "UserDecryptKey",
        "UserSigningKeySSK",
        "UserPubTokenPVT",
    ]);
    let c = xml(&init(mcptt_fx()));
    let c = &c[c.find("<KmsCertificate").unwrap()..];
    let at: Vec<usize> = [
        "<KmsCertificate Version=\"1.1.0\" Role=\"Root\">",
        "<KmsUri>",
        "<UserIdFormat>2</UserIdFormat>",
        "<UserKeyPeriod>2419200</UserKeyPeriod>",
        "<UserKeyOffset>0</UserKeyOffset>",
        "<PubEncKey>04",
        "<PubAuthKey>04",
    ]
    .iter()
    .map(|n| c.find(n).unwrap_or_else(|| panic!("{n}")))
    .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn writer_refuses_what_xml_cannot_carry() {
    let mut doc = keyprov(mcptt_fx());
    doc.user_uri = "sip:alice\u{0}@example.org".into();
    assert_eq!(doc.to_xml().unwrap_err(), Error::InvalidParameter);
    let mut doc = keyprov(mcptt_fx());
    doc.time = mikey::NTP_MAX_SECS + 1;
    assert_eq!(doc.to_xml().unwrap_err(), Error::InvalidParameter);
    let mut c = KmsCertificateDoc::from_certificate(&mcptt_fx().cert).unwrap();
    c.domains = Some(vec![]);
    let doc = response(ResponseBody::Message(KmsMessage::Init(KmsInit {
        certificate: Box::new(c),
    })));
    assert_eq!(doc.to_xml().unwrap_err(), Error::InvalidParameter);
}

#[test]
fn debug_shows_no_secret() {
    let f = mcptt_fx();
    let doc = provision::parse(&keyprov(f).to_xml().unwrap()).unwrap();
    let text = format!("{doc:?}");
    let rsk = f.ks.rsk.to_bytes();
    let ssk = f.ks.ssk.to_bytes();
    for secret in [&rsk[..], &ssk[..]] {
        assert!(!text.contains(&hex::encode(secret)));
        assert!(!text.contains(&hex_upper(secret)));
        // Nor as a list of decimal octets.
        let dec = format!("{:?}", &secret[..8]);
        assert!(!text.contains(&dec[1..dec.len() - 1]));
    }
    assert!(text.contains("<redacted>"));
}

// ---------------------------------------------------------------------------------------------
// What deployed KMSs write

#[test]
fn reads_prefixed_init_with_wrapped_lowercase_keys() {
    let f = mcptt_fx();
    let doc = provision::parse(fixture("init_mcptt_prefixed.xml", f, None).as_bytes()).unwrap();
    assert_eq!(doc.kms_id.as_deref(), Some("kms-01"));
    assert_eq!(doc.time, NOW);
    let c = doc.certificate().unwrap();
    assert_eq!(c.role, Some(KmsRole::Root));
    assert_eq!(c.cert_uri.as_deref(), Some("kms.example.org/cert/root"));
    assert_eq!(c.revoked, Some(false));
    assert_eq!(c.parameter_set, Some(1));
    assert_eq!(
        c.domains.as_deref(),
        Some(&["example.org".to_string(), "ops.example.org".to_string()][..])
    );
    assert_eq!(
        c.valid_from,
        Some(f.cert.periods.validity(MCPTT_NO).unwrap().0)
    );
    let cert = c.to_certificate().unwrap();
    assert_eq!(cert.periods, f.cert.periods);
    assert!(cert.z == f.cert.z);
    let ks = f.kms.issue(ALICE.as_bytes(), MCPTT_NO, &mut OsRng).unwrap();
    cert.accept(ALICE.as_bytes(), ks, NOW).unwrap();
}

#[test]
fn reads_base64_user_id_kmsuri_spelling_and_zoned_times() {
    let f = mcptt_fx();
    let doc = provision::parse(fixture("keyprov_mcptt_base64.xml", f, None).as_bytes()).unwrap();
    assert_eq!(doc.time, NOW);
    assert!(doc.kms_id.is_none());
    let set = &doc.key_sets()[0];
    assert_eq!(set.user_id, f.ks.user_id);
    assert_eq!(set.issuer.as_deref(), Some(KMS_URI));
    assert_eq!(set.valid_from, Some(f.ks.valid_from));
    assert_eq!(set.valid_to, Some(f.ks.valid_to));
    assert_eq!(set.revoked, Some(false));
    accept_first(&doc, &f.cert);
}

#[test]
fn reads_prose_set_without_xsi_type_or_validity() {
    let f = prose_fx();
    let doc = provision::parse(fixture("keyprov_prose_plain.xml", f, None).as_bytes()).unwrap();
    assert_eq!(doc.user_uri, ALICE);
    assert_eq!(
        doc.client_req_url,
        "https://kms.example.org/keymanagement/identity/v1/keyprov?a=1&b=2"
    );
    let set = &doc.key_sets()[0];
    assert_eq!(set.kms_uri, KMS_URI);
    assert_eq!(set.user_uri, ALICE);
    assert_eq!(set.user_id, f.ks.user_id);
    assert_eq!(set.key_period_no, PROSE_NO);
    assert_eq!((set.valid_from, set.valid_to), (None, None));
    // The validity comes from the period: January 2024.
    let ks = set.to_key_set(&f.cert.periods).unwrap();
    assert_eq!((ks.valid_from, ks.valid_to), (NOW, NOW + 31 * 86_400));
    accept_first(&doc, &f.cert);
}

#[test]
fn reads_signed_wrapper_without_checking_the_signature() {
    let f = mcptt_fx();
    let doc = provision::parse(fixture("signed_keyprov.xml", f, None).as_bytes()).unwrap();
    assert_eq!(doc.kms_id.as_deref(), Some("kms-01"));
    accept_first(&doc, &f.cert);
}

#[test]
fn reads_certcache_with_two_roles() {
    let (f, p) = (mcptt_fx(), partner());
    let doc = provision::parse(fixture("certcache.xml", f, Some(p)).as_bytes()).unwrap();
    let ResponseBody::Message(KmsMessage::CertCache(c)) = &doc.body else {
        panic!("not a cert cache");
    };
    assert_eq!(c.cache_num, Some(7));
    assert_eq!(c.certificates.len(), 2);
    assert_eq!(c.certificates[0].role, Some(KmsRole::Root));
    assert_eq!(c.certificates[1].role, Some(KmsRole::External));
    let a = c.certificates[0].to_certificate().unwrap();
    let b = c.certificates[1].to_certificate().unwrap();
    assert_eq!(a.periods, f.cert.periods);
    assert_eq!(b.periods, p.cert.periods);
    assert!(b.z == p.cert.z);
    // The partner's key set is accepted against the partner's certificate.
    let uri = ALICE.as_bytes();
    let now = p.cert.periods.validity(1).unwrap().0;
    let ks = p.kms.issue(uri, 1, &mut OsRng).unwrap();
    b.accept(uri, ks, now).unwrap();
    assert_eq!(p.ks.period_no, 1);
}

#[test]
fn reads_error() {
    let doc = provision::parse(fixture("error.xml", mcptt_fx(), None).as_bytes()).unwrap();
    let ResponseBody::Error(e) = doc.body else {
        panic!("not an error");
    };
    assert_eq!(e.code, 404);
    assert_eq!(
        e.message,
        "no certificate for kms.unknown.example <not held>"
    );
}

#[test]
fn normalises_line_ends_of_raw_text_only() {
    let s = fixture("error.xml", mcptt_fx(), None);
    let raw = s.replace(
        "no certificate for",
        "line one\r\nline two\rthree&#13;&#10;four",
    );
    let doc = provision::parse(raw.as_bytes()).unwrap();
    let ResponseBody::Error(e) = &doc.body else {
        panic!("not an error");
    };
    assert!(e
        .message
        .starts_with("line one\nline two\nthree\r\nfour kms.unknown.example"));
    // A carriage return cannot be written back verbatim.
    assert_eq!(doc.to_xml().unwrap_err(), Error::InvalidParameter);
    // Keys wrapped over CRLF lines read as well.
    let f = mcptt_fx();
    let x = xml(&keyprov(f));
    let rsk = hex_upper(&f.ks.rsk.to_bytes());
    let crlf = rsk
        .as_bytes()
        .chunks(64)
        .map(|c| core::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join("\r\n");
    let x = x.replace(&rsk, &crlf);
    accept_first(&provision::parse(x.as_bytes()).unwrap(), &f.cert);
}

#[test]
fn reads_bom_comments_and_processing_instructions() {
    let s = xml(&keyprov(mcptt_fx()));
    let s = s.replacen("?>", "?>\n<!-- before -->\n<?note x?>", 1);
    let s = s.replace("<KmsKeySet", "<!-- a key set --><KmsKeySet") + "\n<!-- after -->\n";
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(s.as_bytes());
    accept_first(&provision::parse(&bytes).unwrap(), &mcptt_fx().cert);
}

#[test]
fn reads_lowercase_hex_and_extra_attributes() {
    let f = mcptt_fx();
    let s = xml(&keyprov(f));
    let rsk = hex_upper(&f.ks.rsk.to_bytes());
    let s = s.replace(&rsk, &rsk.to_lowercase()).replace(
        "<KmsKeySet Version=\"1.1.0\">",
        "<KmsKeySet Version=\"1.1.0\" Id=\"ks-1\" xmlns:v=\"urn:example:vendor\" v:note=\"x\">",
    );
    accept_first(&provision::parse(s.as_bytes()).unwrap(), &f.cert);
}

// ---------------------------------------------------------------------------------------------
// Refusals

fn refuse(doc: &str) -> Error {
    provision::parse(doc.as_bytes()).unwrap_err()
}

#[test]
fn refuses_encrypted_keys() {
    let f = mcptt_fx();
    assert_eq!(
        refuse(&fixture("refuse_enc_key.xml", f, None)),
        Error::Unsupported
    );
    assert_eq!(
        refuse(&fixture("refuse_enc_key_untyped.xml", f, None)),
        Error::Unsupported
    );
    // The type alone decides, even over hex that would decode.
    let s = xml(&keyprov(f)).replace(
        "<UserSigningKeySSK xsi:type=\"KeyContentType\">",
        "<UserSigningKeySSK xsi:type=\"EncKeyContentType\">",
    );
    assert_eq!(refuse(&s), Error::Unsupported);
    let s = xml(&keyprov(f)).replace(
        "<UserPubTokenPVT xsi:type=\"KeyContentType\">",
        "<UserPubTokenPVT xsi:type=\"mcsec:EncKeyContentType\" xmlns:mcsec=\"urn:3gpp:ns:mcsecKMSInterface:1.0\">",
    );
    assert_eq!(refuse(&s), Error::Unsupported);
    // A type we do not know is not read as a key either.
    let s = xml(&keyprov(f)).replacen("xsi:type=\"KeyContentType\"", "xsi:type=\"Base64Key\"", 1);
    assert_eq!(refuse(&s), Error::Unsupported);
}

#[test]
fn refuses_dtds_and_entities() {
    let f = mcptt_fx();
    for name in [
        "refuse_doctype_external.xml",
        "refuse_doctype_expansion.xml",
        "refuse_doctype_public.xml",
    ] {
        assert_eq!(
            refuse(&fixture(name, f, None)),
            Error::Unsupported,
            "{name}"
        );
    }
    assert_eq!(
        refuse(&fixture("refuse_undeclared_entity.xml", f, None)),
        Error::Parse
    );
    // A character reference to a character XML does not allow.
    let s = xml(&keyprov(f)).replace(ALICE, "sip:alice&#0;");
    assert_eq!(refuse(&s), Error::Parse);
    let s = xml(&keyprov(f)).replace(ALICE, "sip:alice&#x1;");
    assert_eq!(refuse(&s), Error::Parse);
}

#[test]
fn refuses_wrong_namespaces() {
    let f = mcptt_fx();
    for name in [
        "refuse_wrong_namespace.xml",
        "refuse_no_namespace.xml",
        "refuse_mixed_namespace.xml",
    ] {
        assert_eq!(refuse(&fixture(name, f, None)), Error::Parse, "{name}");
    }
    // An undeclared prefix.
    let s = xml(&keyprov(f))
        .replace("<KeyPeriodNo>", "<q:KeyPeriodNo>")
        .replace("</KeyPeriodNo>", "</q:KeyPeriodNo>");
    assert_eq!(refuse(&s), Error::Parse);
    // A foreign element where the schema allows none (inside a key set).
    let s = xml(&keyprov(f)).replace(
        "</KmsKeySet>",
        "<x:Extra xmlns:x=\"urn:example\">1</x:Extra></KmsKeySet>",
    );
    assert_eq!(refuse(&s), Error::Parse);
    // A foreign root, and a signed wrapper of another namespace.
    let s = xml(&keyprov(f)).replace(NAMESPACE, "urn:example:other");
    assert_eq!(refuse(&s), Error::Parse);
    let inner = xml(&keyprov(f));
    let inner = inner.split_once("?>").unwrap().1;
    let s = format!("<w:SignedKmsResponse xmlns:w=\"urn:example\">{inner}</w:SignedKmsResponse>");
    assert_eq!(refuse(&s), Error::Parse);
    // Two responses in one wrapper, and none.
    let s = format!("<SignedKmsResponse>{inner}{inner}</SignedKmsResponse>");
    assert_eq!(refuse(&s), Error::Parse);
    assert_eq!(refuse("<SignedKmsResponse/>"), Error::Parse);
    // The unwrapped form of the same passes.
    let s = format!("<SignedKmsResponse>{inner}</SignedKmsResponse>");
    accept_first(&provision::parse(s.as_bytes()).unwrap(), &f.cert);
}

/// The written key-set document with one edit, which must be refused as `Parse`.
fn refuse_edit(from: &str, to: &str) {
    let s = xml(&keyprov(mcptt_fx()));
    assert!(s.contains(from), "{from}");
    let edited = s.replacen(from, to, 1);
    assert_eq!(refuse(&edited), Error::Parse, "{from} -> {to}");
}

#[test]
fn refuses_missing_duplicated_and_misordered_elements() {
    let f = mcptt_fx();
    let uid = hex_upper(&f.ks.user_id);
    let s = xml(&keyprov(f));
    // Missing.
    refuse_edit(&format!("<UserID>{uid}</UserID>"), "");
    refuse_edit("<KeyPeriodNo>1617</KeyPeriodNo>", "");
    refuse_edit(
        &format!(
            "<ClientReqUrl>https://{KMS_URI}/keymanagement/identity/v1/keyprov</ClientReqUrl>"
        ),
        "",
    );
    let start = s.find("<UserPubTokenPVT").unwrap();
    let end = s.find("</UserPubTokenPVT>").unwrap() + "</UserPubTokenPVT>".len();
    refuse_edit(&s[start..end], "");
    let start = s.find("<KmsMessage>").unwrap();
    let end = s.find("</KmsMessage>").unwrap() + "</KmsMessage>".len();
    refuse_edit(&s[start..end], "");
    // Duplicated.
    refuse_edit(
        "<KeyPeriodNo>1617</KeyPeriodNo>",
        "<KeyPeriodNo>1617</KeyPeriodNo><KeyPeriodNo>1617</KeyPeriodNo>",
    );
    refuse_edit(
        "<Time>2024-01-01T00:00:00Z</Time>",
        "<Time>2024-01-01T00:00:00Z</Time><Time>2024-01-01T00:00:00Z</Time>",
    );
    refuse_edit(
        "<KmsId>kms-01</KmsId>",
        "<KmsId>kms-01</KmsId><KmsId>kms-02</KmsId>",
    );
    // Out of order: UserID before UserUri, Time before KmsUri.
    refuse_edit(
        &format!("<UserUri>{ALICE}</UserUri>\n        <UserID>{uid}</UserID>"),
        &format!("<UserID>{uid}</UserID><UserUri>{ALICE}</UserUri>"),
    );
    refuse_edit(
        &format!("<KmsUri>{KMS_URI}</KmsUri>\n  <Time>2024-01-01T00:00:00Z</Time>"),
        &format!("<Time>2024-01-01T00:00:00Z</Time><KmsUri>{KMS_URI}</KmsUri>"),
    );
    // Unknown element of our namespace, message and error together, two messages.
    refuse_edit("<KmsId>", "<Unknown>1</Unknown><KmsId>");
    refuse_edit(
        "</KmsMessage>",
        "</KmsMessage><KmsError><ErrorCode>1</ErrorCode><ErrorMsg>x</ErrorMsg></KmsError>",
    );
    refuse_edit(
        "<KmsKeyProv Version=\"1.0.0\">",
        "<KmsKeyProv><KmsKeySet/></KmsKeyProv><KmsKeyProv>",
    );
}

#[test]
fn refuses_bad_values() {
    let f = mcptt_fx();
    let rsk = hex_upper(&f.ks.rsk.to_bytes());
    let uid = hex_upper(&f.ks.user_id);
    // Hex: a non-hex digit, an odd count, empty.
    refuse_edit(&rsk, &format!("G{}", &rsk[1..]));
    refuse_edit(&rsk, &rsk[1..]);
    refuse_edit(&format!(">{rsk}<"), "><");
    // UserID neither hex nor base64.
    refuse_edit(&uid, "not*base64");
    refuse_edit(&format!("<UserID>{uid}</UserID>"), "<UserID/>");
    // Integers, booleans, dates, roles.
    refuse_edit("<KeyPeriodNo>1617", "<KeyPeriodNo>-1617");
    refuse_edit("<KeyPeriodNo>1617", "<KeyPeriodNo>16x17");
    refuse_edit("<KeyPeriodNo>1617", "<KeyPeriodNo>99999999999999999999999");
    refuse_edit("<ValidFrom>2023-12-18", "<ValidFrom>2023-12-32");
    refuse_edit("<Time>2024-01-01T00:00:00Z", "<Time>yesterday");
    refuse_edit("</KeyPeriodNo>", "</KeyPeriodNo><Revoked>maybe</Revoked>");
    let c = xml(&init(f)).replace("Role=\"Root\"", "Role=\"Admin\"");
    assert_eq!(refuse(&c), Error::Parse);
    // Text where the schema has elements, elements where it has text.
    refuse_edit("<KmsMessage>", "<KmsMessage>stray text");
    refuse_edit(
        &format!("<UserUri>{ALICE}"),
        &format!("<UserUri><b>{ALICE}</b>"),
    );
}

#[test]
fn refuses_malformed_xml() {
    let s = xml(&keyprov(mcptt_fx()));
    for bad in [
        s.replacen("</KmsKeySet>", "", 1),
        s.replacen("</KmsUri>", "</KmsURI>", 1),
        s.replacen("<UserUri>", "<UserUri a=\"1\" a=\"2\">", 1),
        s.replacen("<UserUri>", "<UserUri a=1>", 1),
        s.replacen(ALICE, "sip:alice&example.org", 1),
        s.clone() + "<KmsResponse/>",
        s.clone() + "trailing text",
        s[..s.len() / 2].to_string(),
        "leading text".to_string() + &s,
        String::new(),
        "<".to_string(),
        s.replacen("<KmsMessage>", "<?xml version=\"1.0\"?><KmsMessage>", 1),
    ] {
        assert_eq!(refuse(&bad), Error::Parse);
    }
    // Not UTF-8.
    let mut bytes = s.into_bytes();
    let at = bytes.len() / 3;
    bytes[at] = 0xFF;
    assert_eq!(provision::parse(&bytes).unwrap_err(), Error::Parse);
}

#[test]
fn refuses_oversized_documents() {
    let s = xml(&keyprov(mcptt_fx()));
    let pad = "<!--".to_string() + &" ".repeat(MAX_DOCUMENT_LEN) + "-->";
    let big = s.replacen("<KmsKeySet", &format!("{pad}<KmsKeySet"), 1);
    assert!(big.len() > MAX_DOCUMENT_LEN);
    assert_eq!(refuse(&big), Error::Parse);
    // Too many key sets (each one small and well formed).
    let set = {
        let a = s.find("<KmsKeySet").unwrap();
        let b = s.find("</KmsKeySet>").unwrap() + "</KmsKeySet>".len();
        s[a..b].to_string()
    };
    let at = s.find("<KmsKeySet").unwrap();
    let end = s.find("</KmsKeySet>").unwrap() + "</KmsKeySet>".len();
    let many = |n: usize| format!("{}{}{}", &s[..at], set.repeat(n), &s[end..]);
    let ok = provision::parse(many(MAX_KEY_SETS).as_bytes()).unwrap();
    assert_eq!(ok.key_sets().len(), MAX_KEY_SETS);
    assert_eq!(refuse(&many(MAX_KEY_SETS + 1)), Error::Parse);
    // Too deep.
    let deep = format!(
        "{}{}{}",
        "<x:a xmlns:x=\"urn:example\">".repeat(40),
        "",
        "</x:a>".repeat(40)
    );
    let deep = s.replacen("</KmsResponse>", &format!("{deep}</KmsResponse>"), 1);
    assert_eq!(refuse(&deep), Error::Parse);
    // Too many elements (all skippable extensions) and too many attributes.
    let wide = "<x:a xmlns:x=\"urn:example\"/>".repeat(provision::MAX_ELEMENTS);
    let wide = s.replacen("</KmsResponse>", &format!("{wide}</KmsResponse>"), 1);
    assert_eq!(refuse(&wide), Error::Parse);
    let attrs: String = (0..40).map(|i| format!(" a{i}=\"1\"")).collect();
    let wide = s.replacen("<UserUri>", &format!("<UserUri{attrs}>"), 1);
    assert_eq!(refuse(&wide), Error::Parse);
    let ns: String = (0..40)
        .map(|i| format!(" xmlns:p{i}=\"urn:p{i}\""))
        .collect();
    let wide = s.replacen("<UserUri>", &format!("<UserUri{ns}>"), 1);
    assert_eq!(refuse(&wide), Error::Parse);
}

// ---------------------------------------------------------------------------------------------
// Conversions that refuse

#[test]
fn certificate_conversion_checks_points_and_format() {
    let f = mcptt_fx();
    let good = KmsCertificateDoc::from_certificate(&f.cert).unwrap();
    let with = |edit: &dyn Fn(&mut KmsCertificateDoc)| {
        let mut c = good.clone();
        edit(&mut c);
        // Through the XML too: what parses converts the same way.
        let doc = response(ResponseBody::Message(KmsMessage::Init(KmsInit {
            certificate: Box::new(c.clone()),
        })));
        let back = provision::parse(&doc.to_xml().unwrap()).unwrap();
        let a = c.to_certificate().map(|_| ()).unwrap_err();
        let b = back
            .certificate()
            .unwrap()
            .to_certificate()
            .map(|_| ())
            .unwrap_err();
        assert_eq!(a, b);
        a
    };
    assert_eq!(with(&|c| c.pub_enc_key[100] ^= 1), Error::InvalidPoint);
    assert_eq!(with(&|c| c.pub_auth_key[40] ^= 1), Error::InvalidPoint);
    assert_eq!(with(&|c| c.pub_enc_key.truncate(129)), Error::Parse);
    assert_eq!(with(&|c| c.pub_auth_key.push(0)), Error::Parse);
    assert_eq!(with(&|c| c.user_id_format = "1".into()), Error::Unsupported);
    assert_eq!(with(&|c| c.parameter_set = Some(2)), Error::Unsupported);
    assert_eq!(with(&|c| c.revoked = Some(true)), Error::InvalidKey);
    assert_eq!(with(&|c| c.user_key_period = 0), Error::InvalidParameter);
    assert_eq!(
        with(&|c| c.kms_uri = String::new()),
        Error::InvalidParameter
    );
}

#[test]
fn key_set_conversion_checks_keys() {
    let f = mcptt_fx();
    let good = KmsKeySetDoc::from_key_set(KMS_URI.as_bytes(), &f.ks).unwrap();
    let p = &f.cert.periods;
    let with = |edit: &dyn Fn(&mut KmsKeySetDoc)| {
        let mut s = good.clone();
        edit(&mut s);
        s.to_key_set(p).map(|_| ()).unwrap_err()
    };
    assert_eq!(with(&|s| s.user_decrypt_key[200] ^= 1), Error::InvalidPoint);
    assert_eq!(with(&|s| s.user_decrypt_key.truncate(200)), Error::Parse);
    assert_eq!(with(&|s| s.user_signing_key.truncate(31)), Error::Parse);
    assert_eq!(
        with(&|s| s.user_signing_key.copy_from_slice(&[0xFF; 32])),
        Error::InvalidKey
    );
    assert_eq!(
        with(&|s| s.user_pub_token.pop().map(|_| ()).unwrap()),
        Error::Parse
    );
    assert_eq!(with(&|s| s.revoked = Some(true)), Error::InvalidKey);
    assert_eq!(
        with(&|s| s.kms_uri = "kms.other.example".into()),
        Error::InvalidParameter
    );
    // What converts but is not this member's, or has a broken SSK/PVT, accept refuses.
    let mut s = good.clone();
    s.user_pub_token[10] ^= 1;
    let ks = s.to_key_set(p).unwrap();
    assert!(f.cert.accept(ALICE.as_bytes(), ks, NOW).is_err());
    let mut s = good.clone();
    s.user_id[0] ^= 1;
    let ks = s.to_key_set(p).unwrap();
    assert_eq!(
        f.cert.accept(ALICE.as_bytes(), ks, NOW).unwrap_err(),
        Error::InvalidParameter
    );
    let mut s = good;
    s.valid_to = s.valid_to.map(|t| t + 1);
    let ks = s.to_key_set(p).unwrap();
    assert_eq!(
        f.cert.accept(ALICE.as_bytes(), ks, NOW).unwrap_err(),
        Error::InvalidParameter
    );
}

// ---------------------------------------------------------------------------------------------
// Never a panic

/// Documents of every kind, for the mutation tests.
fn corpus() -> &'static Vec<Vec<u8>> {
    static C: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    C.get_or_init(|| {
        let (m, p) = (mcptt_fx(), prose_fx());
        let mut v: Vec<Vec<u8>> = [keyprov(m), keyprov(p), init(m), init(p)]
            .iter()
            .map(|d| d.to_xml().unwrap().to_vec())
            .collect();
        for name in [
            "init_mcptt_prefixed.xml",
            "keyprov_mcptt_base64.xml",
            "signed_keyprov.xml",
            "error.xml",
            "refuse_enc_key.xml",
            "refuse_doctype_expansion.xml",
        ] {
            v.push(fixture(name, m, None).into_bytes());
        }
        v.push(fixture("keyprov_prose_plain.xml", p, None).into_bytes());
        v.push(fixture("certcache.xml", m, Some(partner())).into_bytes());
        v
    })
}

#[derive(Clone, Debug)]
enum Edit {
    Flip(usize, u8),
    Insert(usize, Vec<u8>),
    Delete(usize, usize),
    Truncate(usize),
    /// Swap two byte ranges of equal length (moves tags around).
    Swap(usize, usize, usize),
    /// Duplicate a range in place.
    Repeat(usize, usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    let tokens = prop::sample::select(vec![
        b"<".to_vec(),
        b">".to_vec(),
        b"/>".to_vec(),
        b"&".to_vec(),
        b"&amp;".to_vec(),
        b"&#x0;".to_vec(),
        b"<!DOCTYPE a>".to_vec(),
        b"<![CDATA[x]]>".to_vec(),
        b"xmlns=\"\"".to_vec(),
        b" xsi:type=\"EncKeyContentType\"".to_vec(),
        b"=".to_vec(),
        b"\"".to_vec(),
        b"\xFF".to_vec(),
    ]);
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Edit::Flip(i, b)),
        (any::<usize>(), tokens).prop_map(|(i, t)| Edit::Insert(i, t)),
        (any::<usize>(), 0usize..64).prop_map(|(i, n)| Edit::Delete(i, n)),
        any::<usize>().prop_map(Edit::Truncate),
        (any::<usize>(), any::<usize>(), 1usize..40).prop_map(|(a, b, n)| Edit::Swap(a, b, n)),
        (any::<usize>(), 1usize..80).prop_map(|(i, n)| Edit::Repeat(i, n)),
    ]
}

fn apply(doc: &mut Vec<u8>, e: &Edit) {
    if doc.is_empty() {
        return;
    }
    let len = doc.len();
    match e {
        Edit::Flip(i, b) => doc[i % len] ^= b | 1,
        Edit::Insert(i, t) => {
            let at = i % (len + 1);
            doc.splice(at..at, t.iter().copied());
        }
        Edit::Delete(i, n) => {
            let at = i % len;
            let end = (at + n).min(len);
            doc.drain(at..end);
        }
        Edit::Truncate(i) => doc.truncate(i % len),
        Edit::Swap(a, b, n) => {
            let n = (*n).min(len / 2);
            let (a, b) = (a % (len - n + 1), b % (len - n + 1));
            if n > 0 && (a + n <= b || b + n <= a) {
                for k in 0..n {
                    doc.swap(a + k, b + k);
                }
            }
        }
        Edit::Repeat(i, n) => {
            let at = i % len;
            let end = (at + n).min(len);
            let piece = doc[at..end].to_vec();
            doc.splice(at..at, piece);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn parse_never_panics_on_mutated_documents(
        which in any::<usize>(),
        edits in prop::collection::vec(edit(), 1..6),
    ) {
        let c = corpus();
        let mut doc = c[which % c.len()].clone();
        for e in &edits {
            apply(&mut doc, e);
        }
        if let Ok(r) = provision::parse(&doc) {
            // What parses converts or fails with a typed error, and writes back.
            if let Some(c) = r.certificate() {
                let _ = c.to_certificate();
            }
            for s in r.key_sets() {
                let _ = s.to_key_set(&mcptt_fx().cert.periods);
            }
            if let Ok(xml) = r.to_xml() {
                let back = provision::parse(&xml);
                prop_assert!(back.is_ok(), "a written document does not parse: {:?}", back);
                let xml2 = back.unwrap().to_xml().unwrap();
                prop_assert_eq!(xml.as_slice(), xml2.as_slice());
            }
        }
    }

    #[test]
    fn parse_never_panics_on_arbitrary_bytes(doc in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = provision::parse(&doc);
    }
}

#[test]
#[ignore]
fn show_documents() {
    println!("{}", xml(&keyprov(mcptt_fx())));
    println!("{}", xml(&init(prose_fx())));
}

/// Writes the filled fixtures as the fuzz seed corpus (`cargo test --test kms_provision --
/// --ignored write_fuzz_corpus`).
#[test]
#[ignore]
fn write_fuzz_corpus() {
    let dir = format!("{}/fuzz/corpus/kms_provision", env!("CARGO_MANIFEST_DIR"));
    std::fs::create_dir_all(&dir).unwrap();
    let (m, p) = (mcptt_fx(), prose_fx());
    let docs = [
        ("init_mcptt_prefixed.xml", m, None),
        ("keyprov_mcptt_base64.xml", m, None),
        ("keyprov_prose_plain.xml", p, None),
        ("signed_keyprov.xml", m, None),
        ("certcache.xml", m, Some(partner())),
        ("error.xml", m, None),
        ("refuse_enc_key.xml", m, None),
        ("refuse_doctype_external.xml", m, None),
    ];
    for (name, f, o) in docs {
        std::fs::write(format!("{dir}/{name}"), fixture(name, f, o)).unwrap();
    }
}
