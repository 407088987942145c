//! MIKEY codec: the vendor's messages parse field by field and re-build to the same bytes;
//! builder output parses back; structural errors are typed.

use prose_sec_peers::vectors;

use prose_sec::mikey::{
    self, data_type, id_type, kind, map_type, role, sig_type, sp_param, Builder, CsMap, MapSpec,
    Message, Payload, SrtpId, Timestamp,
};
use prose_sec::Error;

const FILE: &str = "mikey_ts33180.txt";

#[test]
fn vendor_messages_parse_and_rebuild() {
    for b in vectors::load(FILE, "i_message") {
        let name = b.get("name").to_string();
        let bytes = b.hex("message");
        let m = Message::parse(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        let h = m.hdr();
        assert_eq!(h.data_type, data_type::SAKKE_INIT);
        assert_eq!(h.prf, 1, "{name}");
        assert!(!h.v);
        let rand = b.hex("rand");
        assert_eq!(m.rand(), Some(&rand[..]), "{name}");
        let key_id = b.u32_hex("key_id");
        let guk = b.get("guk_id");
        match name.as_str() {
            "gmk" => {
                assert_eq!(h.csb_id, u32::from_str_radix(guk, 16).unwrap());
                let g: Vec<_> = h.map.generic_ids().collect();
                assert_eq!(g.len(), 1);
                assert_eq!(g[0].cs_id, 4);
                assert_eq!(g[0].prot_type, 0);
                assert_eq!(g[0].policies, &[0]);
                let mut spi = key_id.to_be_bytes().to_vec();
                spi.extend_from_slice(&hex::decode(guk).unwrap());
                assert_eq!(g[0].spi, &spi[..]);
            }
            "csk" => {
                assert_eq!(guk, "-");
                assert_eq!(h.csb_id, key_id);
                assert_eq!(h.map.map_type(), map_type::GENERIC_ID);
            }
            "pck" => {
                assert_eq!(guk, "-");
                assert_eq!(h.csb_id, key_id);
                assert_eq!(h.map, CsMap::Empty);
            }
            "gmk_legacy" => {
                assert_eq!(h.csb_id, u32::from_str_radix(guk, 16).unwrap());
                let ids: Vec<_> = h.map.srtp_ids().collect();
                assert_eq!(ids.len(), 2);
                assert_eq!(ids[0].ssrc, 0xcafebabe);
            }
            other => panic!("unexpected vector {other}"),
        }
        // Identities: initiator / responder UIDs, both KMS URIs.
        let i = m.idr(role::INITIATOR_UID).expect("IDRi");
        let r = m.idr(role::RESPONDER_UID).expect("IDRr");
        assert_eq!(i.data.len(), 32);
        assert_eq!(r.data.len(), 32);
        let _ = (b.get("initiator_uri"), b.get("responder_uri"));
        let kms = m.idr(role::INITIATOR_KMS).expect("IDRkmsi");
        assert_eq!(kms.id_type, id_type::URI);
        assert_eq!(kms.data, b"kms.mydev.streamwide.com");
        assert_eq!(m.idr(role::RESPONDER_KMS).unwrap().data, kms.data);
        // SP: AES-GCM with a 16-octet AEAD tag.
        let sp = m.sps().next().expect("SP");
        assert_eq!(sp.get(sp_param::ENCR_ALG), Some(6));
        assert_eq!(sp.get(sp_param::ENCR_KEY_LEN), Some(16));
        assert_eq!(sp.get(sp_param::SALT_LEN), Some(12));
        assert_eq!(sp.get(sp_param::AEAD_TAG_LEN), Some(16));
        let s = m.sakke().expect("SAKKE");
        assert_eq!((s.params, s.id_scheme, s.sed.len()), (1, 2, 273));
        assert_eq!(s.sed[0], 0x04);
        let g = m.gen_exts().next().expect("GEN EXT");
        assert_eq!(g.ext_type, 7);
        let sign = m.sign().expect("SIGN");
        assert_eq!(sign.sig_type, sig_type::ECCSI);
        assert_eq!(sign.signature.len(), 129);
        assert_eq!(sign.offset + 2 + 129, bytes.len());
        assert_eq!(m.signed_part().unwrap().len(), bytes.len() - 129);
        // Payload order of PROFILE §3.
        let kinds: Vec<u8> = m.payloads().map(|p| p.kind()).collect();
        assert_eq!(
            kinds,
            [
                kind::T,
                kind::RAND,
                kind::IDR,
                kind::IDR,
                kind::IDR,
                kind::IDR,
                kind::SP,
                kind::SAKKE,
                kind::GEN_EXT,
                kind::SIGN
            ],
            "{name}"
        );
        assert_eq!(mikey::rebuild(&m).unwrap(), bytes, "{name}: parse -> build");
        let _ = b.get("ssv");
    }
}

#[test]
fn sdp_b64_vectors_match_hex() {
    for b in vectors::load(FILE, "sdp_b64") {
        let bytes = b.hex("message");
        let from_b64 = prose_sec::sdp::base64_decode(b.get("message_b64")).unwrap();
        assert_eq!(from_b64, bytes);
        assert_eq!(prose_sec::sdp::base64_encode(&bytes), b.get("message_b64"));
        let m = Message::parse(&bytes).unwrap();
        assert_eq!(mikey::rebuild(&m).unwrap(), bytes);
    }
}

fn sample_psk_like() -> Vec<u8> {
    let ids = [
        SrtpId {
            policy_no: 0,
            ssrc: 0x11223344,
            roc: 7,
        },
        SrtpId {
            policy_no: 0,
            ssrc: 0x55667788,
            roc: 0,
        },
    ];
    let mut b = Builder::new(data_type::PSK_INIT, 0, 0xdeadbeef, MapSpec::SrtpId(&ids)).unwrap();
    b.t(Timestamp::ntp_utc(0xec898da8_00000000)).unwrap();
    b.rand(&[0x5a; 16]).unwrap();
    b.idr(role::INITIATOR, id_type::URI, b"sip:alice@example.org")
        .unwrap();
    b.idr(role::RESPONDER, id_type::URI, b"sip:group@example.org")
        .unwrap();
    b.idr(role::PSK, id_type::BYTES, &[0, 1, 2, 3]).unwrap();
    b.sp(
        0,
        0,
        &[(sp_param::ENCR_ALG, &[1]), (sp_param::AUTH_TAG_LEN, &[10])],
    )
    .unwrap();
    b.gen_ext(9, b"ext").unwrap();
    b.kemac_with_mac(0, &[0x20, 0x10, 0, 1, 0xaa], 1, &[0x77; 20])
        .unwrap();
    b.finish()
}

#[test]
fn built_message_parses_back() {
    let bytes = sample_psk_like();
    let m = Message::parse(&bytes).unwrap();
    assert_eq!(m.hdr().csb_id, 0xdeadbeef);
    let ids: Vec<_> = m.hdr().map.srtp_ids().collect();
    assert_eq!(ids[0].ssrc, 0x11223344);
    assert_eq!(ids[0].roc, 7);
    assert_eq!(ids[1].ssrc, 0x55667788);
    assert_eq!(m.t().unwrap().value, 0xec898da8_00000000);
    assert_eq!(m.idr(role::PSK).unwrap().data, &[0, 1, 2, 3]);
    let k = m.kemac().unwrap();
    assert_eq!(k.encr_data, &[0x20, 0x10, 0, 1, 0xaa]);
    assert_eq!(k.mac, &[0x77; 20]);
    assert_eq!(m.mac_input().unwrap().len(), bytes.len() - 20);
    assert_eq!(*m.mac_input().unwrap().last().unwrap(), 1);
    assert_eq!(m.gen_exts().next().unwrap().data, b"ext");
    assert_eq!(mikey::rebuild(&m).unwrap(), bytes);
}

#[test]
fn error_message_and_v_round_trip() {
    let mut b = Builder::new(data_type::ERROR, 0, 1, MapSpec::Empty).unwrap();
    b.t(Timestamp {
        ts_type: 2,
        value: 42,
    })
    .unwrap();
    b.err(3).unwrap();
    b.err(12).unwrap();
    b.v(1, &[9; 20]).unwrap();
    let bytes = b.finish();
    let m = Message::parse(&bytes).unwrap();
    assert_eq!(m.errors().collect::<Vec<_>>(), vec![3, 12]);
    assert_eq!(m.t().unwrap().value, 42);
    assert_eq!(m.v().unwrap().mac, &[9; 20]);
    assert_eq!(mikey::rebuild(&m).unwrap(), bytes);
    // An Error message without ERR is missing its mandatory payload.
    let mut b = Builder::new(data_type::ERROR, 0, 1, MapSpec::Empty).unwrap();
    b.t(Timestamp::ntp_utc(1)).unwrap();
    assert_eq!(Message::parse(&b.finish()).unwrap_err(), Error::Parse);
}

#[test]
fn structural_errors_are_typed() {
    let good = sample_psk_like();
    // Trailing octet.
    let mut v = good.clone();
    v.push(0);
    assert_eq!(Message::parse(&v).unwrap_err(), Error::Parse);
    // Truncation.
    for n in 0..good.len() {
        assert!(Message::parse(&good[..n]).is_err());
    }
    // Unknown payload type in the chain (HDR next-payload octet).
    let mut v = good.clone();
    v[2] = 99;
    assert_eq!(Message::parse(&v).unwrap_err(), Error::Unsupported);
    // Key data outside KEMAC.
    let mut v = good.clone();
    v[2] = kind::KEY_DATA;
    assert_eq!(Message::parse(&v).unwrap_err(), Error::Parse);
    // Unsupported version.
    let mut v = good.clone();
    v[0] = 2;
    assert_eq!(Message::parse(&v).unwrap_err(), Error::Parse);
    // Missing KEMAC (mandatory in a PSK I_MESSAGE).
    let mut b = Builder::new(data_type::PSK_INIT, 0, 1, MapSpec::Empty).unwrap();
    b.t(Timestamp::ntp_utc(1)).unwrap();
    b.rand(&[1; 16]).unwrap();
    assert_eq!(Message::parse(&b.finish()).unwrap_err(), Error::Parse);
    // SIGN not last: octets after a SIGN payload.
    let mut b = Builder::new(data_type::SAKKE_INIT, 0, 1, MapSpec::Empty).unwrap();
    b.t(Timestamp::ntp_utc(1)).unwrap();
    b.rand(&[1; 16]).unwrap();
    b.sakke(1, 1, &[4; 273]).unwrap();
    let signed = b.finish_with_signature(2, &[3; 129]).unwrap();
    assert!(Message::parse(&signed).is_ok());
    let mut v = signed.clone();
    v.extend_from_slice(&[5, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(Message::parse(&v).unwrap_err(), Error::Parse);
    // SAKKE I_MESSAGE without SIGN.
    let mut b = Builder::new(data_type::SAKKE_INIT, 0, 1, MapSpec::Empty).unwrap();
    b.t(Timestamp::ntp_utc(1)).unwrap();
    b.rand(&[1; 16]).unwrap();
    b.sakke(1, 1, &[4; 273]).unwrap();
    assert_eq!(Message::parse(&b.finish()).unwrap_err(), Error::Parse);
    // Duplicated T.
    let mut b = Builder::new(data_type::PSK_INIT, 0, 1, MapSpec::Empty).unwrap();
    b.t(Timestamp::ntp_utc(1)).unwrap();
    b.t(Timestamp::ntp_utc(2)).unwrap();
    b.rand(&[1; 16]).unwrap();
    b.kemac_with_mac(0, &[], 0, &[]).unwrap();
    assert_eq!(Message::parse(&b.finish()).unwrap_err(), Error::Parse);
    // Empty map with #CS != 0.
    let mut v = good.clone();
    v[9] = map_type::EMPTY;
    assert!(Message::parse(&v).is_err());
    // Payload view of the parsed message is complete and in order.
    let m = Message::parse(&good).unwrap();
    assert!(matches!(m.payloads().last(), Some(Payload::Kemac(_))));
}

#[test]
fn error_message_helper() {
    let bytes = mikey::build_error(7, Timestamp::ntp_utc(5 << 32), &[1, 12]).unwrap();
    let m = Message::parse(&bytes).unwrap();
    assert_eq!(m.hdr().data_type, data_type::ERROR);
    assert_eq!(m.hdr().csb_id, 7);
    assert_eq!(m.errors().collect::<Vec<_>>(), vec![1, 12]);
    assert_eq!(
        mikey::build_error(7, Timestamp::ntp_utc(0), &[]).unwrap_err(),
        Error::InvalidParameter
    );
}

#[test]
fn kemac_debug_hides_key_data() {
    let mut b = Builder::new(data_type::PSK_INIT, 0, 1, MapSpec::Empty).unwrap();
    b.t(Timestamp::ntp_utc(1)).unwrap();
    b.rand(&[1; 16]).unwrap();
    b.kemac_with_mac(0, &[0x31, 0x32, 0x33, 0xab, 0xcd], 0, &[])
        .unwrap();
    let bytes = b.finish();
    let m = Message::parse(&bytes).unwrap();
    let s = format!("{:?}", m.kemac().unwrap());
    assert!(s.contains("encr_data_len: 5"), "{s}");
    assert!(!s.contains("171"), "{s}");
}

#[test]
fn prose_identifier_months() {
    let unix = |s: u64| s + mikey::NTP_UNIX_OFFSET;
    let cases: [(u64, &str); 7] = [
        (0, "1900-01"),
        (unix(0), "1970-01"),
        (unix(951_782_400), "2000-02"),   // 2000-02-29 00:00
        (unix(951_868_799), "2000-02"),   // 2000-02-29 23:59:59
        (unix(951_868_800), "2000-03"),   // 2000-03-01
        (unix(1_297_728_000), "2011-02"), // RFC 6507/6508 identity month
        (unix(1_798_761_599), "2026-12"), // 2026-12-31 23:59:59
    ];
    for (t, ym) in cases {
        let id = mikey::prose_identifier(b"tel:+1", t).unwrap();
        let mut want = ym.as_bytes().to_vec();
        want.push(0);
        want.extend_from_slice(b"tel:+1");
        want.push(0);
        assert_eq!(id, want, "{t}");
    }
    assert_eq!(
        mikey::prose_identifier(b"a\0b", 0).unwrap_err(),
        Error::InvalidParameter
    );
}

#[test]
fn ntp_now_is_after_2025() {
    let t = mikey::ntp_now().unwrap();
    // 2025-01-01 in NTP seconds; and the fraction never carries into the seconds.
    assert!(t >> 32 > 1_735_689_600 + mikey::NTP_UNIX_OFFSET);
    let unix = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!((t >> 32).abs_diff(unix + mikey::NTP_UNIX_OFFSET) <= 2);
}
