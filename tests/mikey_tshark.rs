//! Messages we build, decoded field by field by Wireshark's MIKEY dissector (tshark), and
//! compared with what was built. Skipped with a note when tshark/text2pcap are missing.

use prose_sec_peers::vectors;
use prose_sec_peers::wolfssl::mikey as wolf;

use std::process::Command;

use prose_sec::mikey::{
    self, build_gsk_offer, data_type, id_type, key_params_header, role, sp_param, Builder,
    GmkMessageSpec, GskOffer, MapSpec, Profile, SrtpId, Timestamp,
};
use prose_sec::srtp::Profile as SrtpProfile;

const FILE: &str = "mikey_ts33180.txt";
const FEB_2011: u64 = 1_297_728_000 + mikey::NTP_UNIX_OFFSET;

#[derive(Debug)]
struct Field {
    name: String,
    show: String,
    value: String,
}

fn attr(line: &str, key: &str) -> String {
    let pat = format!(" {key}=\"");
    line.find(&pat)
        .map(|i| {
            let rest = &line[i + pat.len()..];
            rest[..rest.find('"').unwrap_or(rest.len())].to_string()
        })
        .unwrap_or_default()
}

/// Runs the dissector on one MIKEY message; `None` when the tools are not installed.
fn dissect(msg: &[u8], tag: &str) -> Option<Vec<Field>> {
    let have = |t: &str| Command::new(t).arg("-v").output().is_ok();
    if !have("tshark") || !have("text2pcap") {
        eprintln!("NOTE: tshark/text2pcap not installed; skipping the dissector comparison");
        return None;
    }
    let dir = std::env::temp_dir().join(format!("prose-mikey-tshark-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let txt = dir.join("in.txt");
    let pcap = dir.join("out.pcap");
    let mut s = String::new();
    for (i, c) in msg.chunks(16).enumerate() {
        s.push_str(&format!("{:06x}", i * 16));
        for b in c {
            s.push_str(&format!(" {b:02x}"));
        }
        s.push('\n');
    }
    std::fs::write(&txt, s).unwrap();
    let st = Command::new("text2pcap")
        .args(["-q", "-P", "mikey"])
        .arg(&txt)
        .arg(&pcap)
        .output()
        .unwrap();
    assert!(st.status.success(), "text2pcap failed");
    let out = Command::new("tshark")
        .arg("-r")
        .arg(&pcap)
        .args(["-T", "pdml"])
        .output()
        .unwrap();
    assert!(out.status.success(), "tshark failed");
    std::fs::remove_dir_all(&dir).ok();
    let pdml = String::from_utf8_lossy(&out.stdout);
    Some(
        pdml.lines()
            .filter_map(|l| {
                let l = l.trim_start();
                l.starts_with("<field name=\"").then(|| Field {
                    name: attr(l, "name"),
                    show: attr(l, "show"),
                    value: attr(l, "value"),
                })
            })
            .filter(|f| f.name.starts_with("mikey") || f.name.starts_with("_ws.malformed"))
            .collect(),
    )
}

fn shows<'a>(f: &'a [Field], name: &str) -> Vec<&'a str> {
    f.iter()
        .filter(|x| x.name == name)
        .map(|x| x.show.as_str())
        .collect()
}
fn values<'a>(f: &'a [Field], name: &str) -> Vec<&'a str> {
    f.iter()
        .filter(|x| x.name == name)
        .map(|x| x.value.as_str())
        .collect()
}

struct Rfc {
    signer: wolf::WolfSigner,
    z: Vec<u8>,
}

fn rfc() -> Rfc {
    let b = vectors::load(FILE, "rfc_identity").pop().unwrap();
    let _ = b.get("rsk");
    Rfc {
        signer: wolf::WolfSigner {
            kpak: b.hex("kpak"),
            id: b.hex("id"),
            ssk: b.hex("ssk"),
            pvt: b.hex("pvt"),
        },
        z: b.hex("z"),
    }
}

#[test]
fn gsk_offer_decodes_in_wireshark() {
    let r = rfc();
    let senders = [
        SrtpId {
            policy_no: 0,
            ssrc: 0x1122_3344,
            roc: 7,
        },
        SrtpId {
            policy_no: 0,
            ssrc: 0x5566_7788,
            roc: 0x0102_0304,
        },
    ];
    let o = GskOffer {
        prf: 0,
        gsk_id: 0xfeed_beef,
        senders: &senders,
        initiator_uri: b"tel:+447700900123",
        group_uri: b"sip:group@example.org",
        gmk_id: 0x0765_4321,
        profile: SrtpProfile::Aes128CmHmacSha1_80,
        t: FEB_2011 << 32 | 0x8000_0000,
        rand: [0x5a; 16],
        mki: &[],
    };
    let bytes = build_gsk_offer(&o, &[1; 16], &[2; 16], &[3; 14], Some(&r.signer)).unwrap();
    let Some(f) = dissect(&bytes, "psk") else {
        return;
    };
    assert!(shows(&f, "_ws.malformed").is_empty(), "{f:?}");
    assert_eq!(shows(&f, "mikey.type"), ["0"]);
    assert_eq!(shows(&f, "mikey.prf_func"), ["0"]);
    assert_eq!(values(&f, "mikey.csb_id"), ["feedbeef"]);
    assert_eq!(shows(&f, "mikey.cs_count"), ["2"]);
    assert_eq!(values(&f, "mikey.srtp_id.ssrc"), ["11223344", "55667788"]);
    assert_eq!(values(&f, "mikey.srtp_id.roc"), ["00000007", "01020304"]);
    assert_eq!(values(&f, "mikey.t.ntp"), [hex::encode(o.t.to_be_bytes())]);
    assert_eq!(values(&f, "mikey.rand.data"), [hex::encode([0x5a; 16])]);
    assert_eq!(shows(&f, "mikey.id.role"), ["1", "2", "4"]);
    assert_eq!(
        values(&f, "mikey.id.data"),
        [
            hex::encode(o.initiator_uri),
            hex::encode(o.group_uri),
            "07654321".to_string()
        ]
    );
    assert_eq!(shows(&f, "mikey.sp.encr_alg"), ["1"]);
    assert_eq!(shows(&f, "mikey.sp.encr_len"), ["16"]);
    assert_eq!(shows(&f, "mikey.sp.auth_alg"), ["1"]);
    assert_eq!(shows(&f, "mikey.sp.salt_len"), ["14"]);
    assert_eq!(shows(&f, "mikey.sp.auth_tag_len"), ["10"]);
    assert_eq!(shows(&f, "mikey.kemac.encr_alg"), ["1"]);
    assert_eq!(shows(&f, "mikey.kemac.mac_alg"), ["1"]);
    let n = bytes.len();
    assert_eq!(
        values(&f, "mikey.kemac.mac"),
        [hex::encode(&bytes[n - 131 - 20..n - 131])]
    );
    assert_eq!(shows(&f, "mikey.sign.type"), ["2"]);
    assert_eq!(shows(&f, "mikey.sign.len"), ["129"]);
}

#[test]
fn null_kemac_key_data_decodes_in_wireshark() {
    // NULL encryption lets the dissector show the Key data sub-payload.
    let ids = [SrtpId {
        policy_no: 0,
        ssrc: 0xdead_beef,
        roc: 1,
    }];
    let mut b = Builder::new(data_type::PSK_INIT, 1, 42, MapSpec::SrtpId(&ids)).unwrap();
    b.t(Timestamp::ntp_utc(FEB_2011 << 32)).unwrap();
    b.rand(&[9; 16]).unwrap();
    b.idr(role::PSK, id_type::BYTES, &[0, 0, 0, 1]).unwrap();
    b.sp(
        0,
        0,
        &[(sp_param::ENCR_ALG, &[6]), (sp_param::AEAD_TAG_LEN, &[16])],
    )
    .unwrap();
    let mut kd = vec![0u8, 0x31, 0, 16];
    kd.extend_from_slice(&[0xab; 16]);
    kd.extend_from_slice(&[0, 12]);
    kd.extend_from_slice(&[0xcd; 12]);
    kd.extend_from_slice(&[4, 0, 0, 0, 42]);
    b.kemac_hmac_sha1(0, &kd, &[7; 20]).unwrap();
    let bytes = b.finish();
    let Some(f) = dissect(&bytes, "null") else {
        return;
    };
    assert!(shows(&f, "_ws.malformed").is_empty(), "{f:?}");
    assert_eq!(shows(&f, "mikey.prf_func"), ["1"]);
    assert_eq!(shows(&f, "mikey.kemac.encr_alg"), ["0"]);
    assert_eq!(shows(&f, "mikey.key.type"), ["3"]);
    assert_eq!(shows(&f, "mikey.key.kv"), ["1"]);
    assert_eq!(values(&f, "mikey.key.data"), [hex::encode([0xab; 16])]);
    assert_eq!(values(&f, "mikey.key.salt"), [hex::encode([0xcd; 12])]);
    assert_eq!(values(&f, "mikey.key.kv.spi"), ["0000002a"]);
    assert_eq!(shows(&f, "mikey.sp.encr_alg"), ["6"]);
}

#[test]
fn gmk_message_decodes_in_wireshark() {
    let r = rfc();
    let uri: &[u8] = b"tel:+447700900123";
    let id = mikey::prose_identifier(uri, FEB_2011).unwrap();
    let params = mikey::genext::KeyParams {
        key_type: 0,
        status: 1,
        activation: 0,
        expiry: 0,
        text: vec![],
        group_ids: None,
    };
    let spec = GmkMessageSpec {
        profile: Profile::Prose,
        gmk_id: 0x0abc_def0,
        t: FEB_2011 << 32,
        rand: [0x11; 16],
        initiator: uri,
        responder: uri,
        member_uri: uri,
        member_id: &id,
        kms_uri: b"kms.example.org",
        sp: Some(SrtpProfile::AeadAes128Gcm),
        key_params: Some(&params),
        key_params_header: key_params_header([4; 16], 2),
    };
    let kms = wolf::WolfKms { z: r.z.clone() };
    let bytes = mikey::build_gmk_message(&spec, &[0x22; 16], &kms, &r.signer).unwrap();
    let Some(f) = dissect(&bytes, "gmk") else {
        return;
    };
    assert!(shows(&f, "_ws.malformed").is_empty(), "{f:?}");
    assert_eq!(shows(&f, "mikey.type"), ["26"]);
    assert_eq!(values(&f, "mikey.csb_id"), ["0abcdef0"]);
    assert_eq!(shows(&f, "mikey.cs_count"), ["0"]);
    assert_eq!(shows(&f, "mikey.cs_id_map_type"), ["1"]);
    assert_eq!(shows(&f, "mikey.id.role"), ["1", "2", "6", "7"]);
    assert_eq!(
        values(&f, "mikey.id.data")[3],
        hex::encode(b"kms.example.org")
    );
    assert_eq!(shows(&f, "mikey.sakke.params"), ["1"]);
    assert_eq!(shows(&f, "mikey.sakke.idscheme"), ["1"]);
    assert_eq!(shows(&f, "mikey.sakke.len"), ["273"]);
    assert_eq!(shows(&f, "mikey.ext.type"), ["7"]);
    assert_eq!(shows(&f, "mikey.sign.type"), ["2"]);
    assert_eq!(shows(&f, "mikey.sign.len"), ["129"]);

    // mcptt: the dissector does not know GENERIC-ID maps (PEERS.md) and stops at the map,
    // but still reads the header we wrote.
    let mc = GmkMessageSpec {
        profile: Profile::Mcptt,
        initiator: &[1; 32],
        responder: &[2; 32],
        member_id: &id,
        ..spec.clone()
    };
    let bytes = mikey::build_gmk_message(&mc, &[0x22; 16], &kms, &r.signer).unwrap();
    let Some(f) = dissect(&bytes, "gmk-mcptt") else {
        return;
    };
    assert_eq!(shows(&f, "mikey.type"), ["26"]);
    assert_eq!(shows(&f, "mikey.prf_func"), ["1"]);
    assert_eq!(shows(&f, "mikey.cs_id_map_type"), ["2"]);
    let guk = mikey::uid::guk_id(&[0x22; 16], 0x0abc_def0, uri).unwrap();
    assert_eq!(values(&f, "mikey.csb_id"), [format!("{guk:08x}")]);
}

#[test]
fn error_message_decodes_in_wireshark() {
    let mut b = Builder::new(data_type::ERROR, 0, 0x0102_0304, MapSpec::Empty).unwrap();
    b.t(Timestamp::ntp_utc(FEB_2011 << 32)).unwrap();
    b.err(5).unwrap();
    let bytes = b.finish();
    let Some(f) = dissect(&bytes, "err") else {
        return;
    };
    assert!(shows(&f, "_ws.malformed").is_empty(), "{f:?}");
    assert_eq!(shows(&f, "mikey.type"), ["6"]);
    assert_eq!(shows(&f, "mikey.err.no"), ["5"]);
}

/// Our parser and Wireshark's agree on the vendor's messages (the one with an empty CS map
/// and the legacy one with an SRTP-ID map decode completely in tshark 4.0).
#[test]
fn vendor_messages_parse_like_wireshark() {
    use prose_sec::mikey::{Message, Payload};
    for b in vectors::load(FILE, "i_message") {
        let name = b.get("name").to_string();
        let _ = (
            b.get("ssv"),
            b.get("key_id"),
            b.get("rand"),
            b.get("guk_id"),
        );
        let _ = (b.get("initiator_uri"), b.get("responder_uri"));
        let bytes = b.hex("message");
        if name != "pck" && name != "gmk_legacy" {
            continue;
        }
        let m = Message::parse(&bytes).unwrap();
        let Some(f) = dissect(&bytes, &name) else {
            return;
        };
        assert!(shows(&f, "_ws.malformed").is_empty(), "{name}: {f:?}");
        assert_eq!(
            values(&f, "mikey.csb_id"),
            [format!("{:08x}", m.hdr().csb_id)]
        );
        assert_eq!(shows(&f, "mikey.cs_count"), [m.hdr().cs_count.to_string()]);
        let ssrcs: Vec<String> = m
            .hdr()
            .map
            .srtp_ids()
            .map(|s| format!("{:08x}", s.ssrc))
            .collect();
        assert_eq!(values(&f, "mikey.srtp_id.ssrc"), ssrcs);
        let ours_ids: Vec<String> = m
            .payloads()
            .filter_map(|p| match p {
                Payload::Id(i) => Some(hex::encode(i.data)),
                _ => None,
            })
            .collect();
        assert_eq!(values(&f, "mikey.id.data"), ours_ids);
        assert_eq!(
            values(&f, "mikey.rand.data"),
            [hex::encode(m.rand().unwrap())]
        );
        assert_eq!(
            shows(&f, "mikey.sakke.len"),
            [m.sakke().unwrap().sed.len().to_string()]
        );
        assert_eq!(shows(&f, "mikey.ext.type"), ["7"]);
        assert_eq!(
            shows(&f, "mikey.sign.len"),
            [m.sign().unwrap().signature.len().to_string()]
        );
    }
}
