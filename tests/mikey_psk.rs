//! GSK PSK I_MESSAGE (PROFILE §4): round trips for both PRFs and SRTP profiles, with and
//! without ECCSI signatures (wolfSSL as the peer), and every refusal of the receiver.

use prose_sec_peers::vectors;
use prose_sec_peers::wolfssl::mikey as wolf;

use aes::cipher::{BlockEncrypt, KeyInit};
use prose_sec::group::GskReceiver;
use prose_sec::mikey::{
    self, build_gsk_offer, data_type, id_type, role, sp_param, Builder, GskOffer, MapSpec, Message,
    MessageSigner, PskPolicy, SrtpId, Timestamp, TransportKeys,
};
use prose_sec::srtp::Profile as SrtpProfile;
use prose_sec::Error;

const FILE: &str = "mikey_ts33180.txt";
const FEB_2011: u64 = 1_297_728_000 + mikey::NTP_UNIX_OFFSET;
const URI: &[u8] = b"tel:+447700900123";
const GROUP: &[u8] = b"sip:group1@example.org";
const GMK: [u8; 16] = [0x33; 16];
const GMK_ID: u32 = 0x0765_4321;

struct Rfc {
    kpak: Vec<u8>,
    signer: wolf::WolfSigner,
}

fn rfc() -> Rfc {
    let b = vectors::load(FILE, "rfc_identity").pop().unwrap();
    let _ = (b.get("z"), b.get("rsk"));
    let kpak = b.hex("kpak");
    Rfc {
        signer: wolf::WolfSigner {
            kpak: kpak.clone(),
            id: b.hex("id"),
            ssk: b.hex("ssk"),
            pvt: b.hex("pvt"),
        },
        kpak,
    }
}

const SENDERS: [SrtpId; 2] = [
    SrtpId {
        policy_no: 0,
        ssrc: 0x1234_5678,
        roc: 3,
    },
    SrtpId {
        policy_no: 0,
        ssrc: 0x9abc_def0,
        roc: 0,
    },
];

fn offer(prf: u8, profile: SrtpProfile, t_secs: u64, rand: [u8; 16]) -> GskOffer<'static> {
    GskOffer {
        prf,
        gsk_id: 0xa1b2_c3d4,
        senders: &SENDERS,
        initiator_uri: URI,
        group_uri: GROUP,
        gmk_id: GMK_ID,
        profile,
        t: t_secs << 32,
        rand,
        mki: &[],
    }
}

fn lookup(_group: &[u8], id: u32) -> Option<&'static [u8]> {
    (id == GMK_ID).then_some(&GMK[..])
}

#[test]
fn round_trips_both_prfs_and_profiles() {
    let r = rfc();
    let ver = wolf::WolfVerifier {
        kpak: r.kpak.clone(),
    };
    for prf in [0u8, 1] {
        for profile in [
            SrtpProfile::Aes128CmHmacSha1_80,
            SrtpProfile::Aes128CmHmacSha1_32,
            SrtpProfile::AeadAes128Gcm,
            SrtpProfile::Aes256CmHmacSha1_80,
            SrtpProfile::AeadAes256Gcm,
        ] {
            for signed in [false, true] {
                let gsk: Vec<u8> = (0..profile.key_len() as u8).collect();
                let salt: Vec<u8> = (100..100 + profile.salt_len() as u8).collect();
                let o = offer(prf, profile, FEB_2011, [prf + 1; 16]);
                let signer: Option<&dyn MessageSigner> =
                    if signed { Some(&r.signer) } else { None };
                let bytes = build_gsk_offer(&o, &GMK, &gsk, &salt, signer).unwrap();
                let m = Message::parse(&bytes).unwrap();
                assert_eq!(mikey::rebuild(&m).unwrap(), bytes);
                assert_eq!(m.sign().is_some(), signed);
                let mut rx = GskReceiver::new(PskPolicy {
                    require_signature: signed,
                    group_uri: Some(GROUP.to_vec()),
                    ..PskPolicy::default()
                });
                let k = rx.process(&bytes, FEB_2011, lookup, Some(&ver)).unwrap();
                assert_eq!(k.master_key(), &gsk[..]);
                assert_eq!(k.master_salt(), &salt[..]);
                assert_eq!(k.profile(), profile);
                assert_eq!(k.mki(), &0xa1b2_c3d4u32.to_be_bytes());
                assert_eq!(k.gsk_id(), 0xa1b2_c3d4);
                assert_eq!(k.gmk_id(), GMK_ID);
                assert_eq!(k.senders(), &SENDERS);
                assert_eq!(k.initiator(), URI);
                assert_eq!(k.signed(), signed);
                assert!(!format!("{k:?}").contains("0, 1, 2"));
                // Identical re-send (late entry): same keying, no error.
                let k2 = rx
                    .process(&bytes, FEB_2011 + 5, lookup, Some(&ver))
                    .unwrap();
                assert_eq!(k2.master_key(), k.master_key());
            }
        }
    }
}

#[test]
fn receiver_refusals() {
    let r = rfc();
    let ver = wolf::WolfVerifier {
        kpak: r.kpak.clone(),
    };
    let gsk = [9u8; 16];
    let salt = [8u8; 14];
    let o = offer(0, SrtpProfile::Aes128CmHmacSha1_80, FEB_2011, [5; 16]);
    let bytes = build_gsk_offer(&o, &GMK, &gsk, &salt, None).unwrap();
    let signed = build_gsk_offer(&o, &GMK, &gsk, &salt, Some(&r.signer)).unwrap();
    let pol = PskPolicy::default();

    // Unknown GMK-ID.
    let mut rx = GskReceiver::new(pol.clone());
    assert_eq!(
        rx.process(&bytes, FEB_2011, |_, _| None, None).unwrap_err(),
        Error::UnknownKey
    );
    // Wrong GMK under the right id: MAC fails.
    let other = [0x44u8; 16];
    assert_eq!(
        rx.process(&bytes, FEB_2011, |_, _| Some(&other[..]), None)
            .unwrap_err(),
        Error::AuthFailed
    );
    // Tampered MAC.
    let mut bad = bytes.clone();
    let n = bad.len();
    bad[n - 1] ^= 1;
    assert_eq!(
        rx.process(&bad, FEB_2011, lookup, None).unwrap_err(),
        Error::AuthFailed
    );
    // Stale and future beyond the window.
    assert_eq!(
        rx.process(&bytes, FEB_2011 + 31, lookup, None).unwrap_err(),
        Error::Freshness
    );
    assert_eq!(
        rx.process(&bytes, FEB_2011 - 31, lookup, None).unwrap_err(),
        Error::Freshness
    );
    // Signature required but absent.
    let mut strict = GskReceiver::new(PskPolicy {
        require_signature: true,
        ..pol.clone()
    });
    assert_eq!(
        strict
            .process(&bytes, FEB_2011, lookup, Some(&ver))
            .unwrap_err(),
        Error::InvalidSignature
    );
    // Signature present but no verifier.
    assert_eq!(
        rx.process(&signed, FEB_2011, lookup, None).unwrap_err(),
        Error::InvalidSignature
    );
    // Signed by someone else than the IDRi identity: a different identity's key.
    let o_other = GskOffer {
        initiator_uri: b"tel:+440000000001",
        ..o.clone()
    };
    let forged = build_gsk_offer(&o_other, &GMK, &gsk, &salt, Some(&r.signer)).unwrap();
    assert_eq!(
        strict
            .process(&forged, FEB_2011, lookup, Some(&ver))
            .unwrap_err(),
        Error::InvalidSignature
    );
    // Wrong group.
    let mut grp = GskReceiver::new(PskPolicy {
        group_uri: Some(b"sip:other@example.org".to_vec()),
        ..pol.clone()
    });
    assert_eq!(
        grp.process(&bytes, FEB_2011, lookup, None).unwrap_err(),
        Error::InvalidParameter
    );
    // Signature over the part without the SIGN header: refused unless allowed.
    let mut alt = signed.clone();
    let n = alt.len();
    let sig = r.signer.sign(&alt[..n - 131]).unwrap();
    alt[n - 129..].copy_from_slice(&sig);
    assert_eq!(
        strict
            .process(&alt, FEB_2011, lookup, Some(&ver))
            .unwrap_err(),
        Error::InvalidSignature
    );
    let mut lenient = GskReceiver::new(PskPolicy {
        require_signature: true,
        accept_unheadered_signature: true,
        ..pol.clone()
    });
    assert!(lenient.process(&alt, FEB_2011, lookup, Some(&ver)).is_ok());
    // The signed one passes the strict receiver.
    assert!(strict
        .process(&signed, FEB_2011, lookup, Some(&ver))
        .unwrap()
        .signed());
}

#[test]
fn replay_cache() {
    let o = offer(1, SrtpProfile::AeadAes128Gcm, FEB_2011, [6; 16]);
    let a = build_gsk_offer(&o, &GMK, &[1; 16], &[2; 12], None).unwrap();
    // A different message re-using (CSB ID, T, RAND): replay.
    let b = build_gsk_offer(&o, &GMK, &[3; 16], &[2; 12], None).unwrap();
    let mut rx = GskReceiver::new(PskPolicy::default());
    rx.process(&a, FEB_2011, lookup, None).unwrap();
    rx.process(&a, FEB_2011 + 1, lookup, None).unwrap();
    assert_eq!(
        rx.process(&b, FEB_2011 + 1, lookup, None).unwrap_err(),
        Error::Freshness
    );
    // A refused message changed nothing: `a` is still accepted, `b` still refused.
    rx.process(&a, FEB_2011 + 2, lookup, None).unwrap();
    // Another RAND is a new offer.
    let c = build_gsk_offer(
        &offer(1, SrtpProfile::AeadAes128Gcm, FEB_2011, [7; 16]),
        &GMK,
        &[3; 16],
        &[2; 12],
        None,
    )
    .unwrap();
    rx.process(&c, FEB_2011 + 2, lookup, None).unwrap();
    // Capacity: full of live entries → CapacityExceeded; expired entries are pruned.
    let mut small = GskReceiver::new(PskPolicy {
        replay_capacity: 1,
        ..PskPolicy::default()
    });
    small.process(&a, FEB_2011, lookup, None).unwrap();
    assert_eq!(
        small.process(&c, FEB_2011, lookup, None).unwrap_err(),
        Error::CapacityExceeded
    );
    let late = build_gsk_offer(
        &offer(1, SrtpProfile::AeadAes128Gcm, FEB_2011 + 100, [8; 16]),
        &GMK,
        &[3; 16],
        &[2; 12],
        None,
    )
    .unwrap();
    small.process(&late, FEB_2011 + 100, lookup, None).unwrap();
}

/// RFC 3394 wrap written from the RFC for the receive-side test.
fn kw_wrap(kek: &[u8; 16], plain: &[u8]) -> Vec<u8> {
    let c = aes::Aes128::new(kek.into());
    let n = plain.len() / 8;
    let mut a = [0xa6u8; 8];
    let mut r: Vec<[u8; 8]> = plain.chunks(8).map(|c| c.try_into().unwrap()).collect();
    for j in 0..6u64 {
        for i in 1..=n {
            let mut b = [0u8; 16];
            b[..8].copy_from_slice(&a);
            b[8..].copy_from_slice(&r[i - 1]);
            c.encrypt_block((&mut b).into());
            let t = (n as u64 * j + i as u64).to_be_bytes();
            for k in 0..8 {
                a[k] = b[k] ^ t[k];
            }
            r[i - 1].copy_from_slice(&b[8..]);
        }
    }
    let mut out = a.to_vec();
    for x in r {
        out.extend_from_slice(&x);
    }
    out
}

#[test]
fn aes_kw_and_null_kemac_on_receive() {
    let t = FEB_2011 << 32;
    let rand = [4u8; 16];
    let keys = TransportKeys::derive(0, &GMK, 0x55, &rand).unwrap();
    // TEK+SALT, KV SPI: 41 octets, zero-padded to 48 for AES-KW.
    let mut kd = vec![0u8, 0x31, 0, 16];
    kd.extend_from_slice(&[0xab; 16]);
    kd.extend_from_slice(&[0, 14]);
    kd.extend_from_slice(&[0xcd; 14]);
    kd.extend_from_slice(&[4, 0, 0, 0, 0x55]);
    for (alg, data) in [
        (2u8, {
            let mut p = kd.clone();
            p.resize(48, 0);
            kw_wrap(&keys.encr, &p)
        }),
        (0u8, kd.clone()),
    ] {
        let ids = [SrtpId {
            policy_no: 0,
            ssrc: 1,
            roc: 0,
        }];
        let mut b = Builder::new(data_type::PSK_INIT, 0, 0x55, MapSpec::SrtpId(&ids)).unwrap();
        b.t(Timestamp::ntp_utc(t)).unwrap();
        b.rand(&rand).unwrap();
        b.idr(role::INITIATOR, id_type::URI, URI).unwrap();
        b.idr(role::RESPONDER, id_type::URI, GROUP).unwrap();
        b.idr(role::PSK, id_type::BYTES, &GMK_ID.to_be_bytes())
            .unwrap();
        b.sp(0, 0, &[(sp_param::ENCR_ALG, &[1])]).unwrap();
        b.kemac_hmac_sha1(alg, &data, &keys.auth).unwrap();
        let bytes = b.finish();
        // PROFILE §4 fixes AES-CM-128: by default neither is accepted, and nothing changes.
        let mut strict = GskReceiver::new(PskPolicy::default());
        assert_eq!(
            strict.process(&bytes, FEB_2011, lookup, None).unwrap_err(),
            Error::Unsupported
        );
        // Debug of the message shows no octets (a NULL KEMAC carries the GSK in clear).
        let shown = format!("{:?}", Message::parse(&bytes).unwrap());
        assert!(!shown.contains("171, 171"), "{shown}");
        assert!(!shown.to_lowercase().contains("abab"), "{shown}");
        let it = format!("{:?}", Message::parse(&bytes).unwrap().payloads());
        assert!(!it.contains("171, 171"), "{it}");
        let mut rx = GskReceiver::new(PskPolicy {
            allowed_encr_algs: vec![0, 1, 2],
            ..PskPolicy::default()
        });
        let k = rx.process(&bytes, FEB_2011, lookup, None).unwrap();
        assert_eq!(k.master_key(), &[0xab; 16]);
        assert_eq!(k.master_salt(), &[0xcd; 14]);
        assert_eq!(k.profile(), SrtpProfile::Aes128CmHmacSha1_80);
        assert_eq!(k.mki(), &[0, 0, 0, 0x55]);
    }
}

#[test]
fn sdp_carries_the_offer() {
    let o = offer(0, SrtpProfile::Aes128CmHmacSha1_80, FEB_2011, [5; 16]);
    let bytes = build_gsk_offer(&o, &GMK, &[9; 16], &[8; 14], None).unwrap();
    let line = prose_sec::sdp::format_key_mgmt(&bytes);
    assert!(line.starts_with("a=key-mgmt:mikey "));
    let sdp = format!(
        "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\n{line}\r\nt=0 0\r\nm=audio 5004 RTP/SAVP 0\r\n"
    );
    assert_eq!(prose_sec::sdp::parse_key_mgmt(&sdp, false).unwrap(), bytes);
    // Media level is accepted too.
    let sdp_m = format!("v=0\ns=-\nt=0 0\nm=audio 5004 RTP/SAVP 0\n{line}\n");
    assert_eq!(
        prose_sec::sdp::parse_key_mgmt(&sdp_m, false).unwrap(),
        bytes
    );
    // Trailing junk after the message: error unless lenient.
    let mut junk = bytes.clone();
    junk.extend_from_slice(&[1, 2, 3]);
    let sdp_j = format!("{}\n", prose_sec::sdp::format_key_mgmt(&junk));
    assert_eq!(
        prose_sec::sdp::parse_key_mgmt(&sdp_j, false).unwrap_err(),
        Error::Parse
    );
    assert_eq!(prose_sec::sdp::parse_key_mgmt(&sdp_j, true).unwrap(), bytes);
    // Non-canonical or broken base64, missing attribute.
    assert!(prose_sec::sdp::base64_decode("AB==").is_err());
    assert!(prose_sec::sdp::base64_decode("AQ=").is_err());
    assert!(prose_sec::sdp::base64_decode("A Q==").is_err());
    assert!(prose_sec::sdp::base64_decode("AQ==AQ==").is_err());
    assert_eq!(prose_sec::sdp::base64_decode("AQ==").unwrap(), vec![1]);
    assert_eq!(
        prose_sec::sdp::parse_key_mgmt("v=0\r\n", false).unwrap_err(),
        Error::Parse
    );
    assert!(prose_sec::sdp::parse_key_mgmt("a=key-mgmt:mikey AAAA\r\n", false).is_err());
}

#[test]
fn crate_eccsi_signs_and_verifies_offers() {
    use prose_sec::eccsi::{Kpak, SigningKey, Ssk};
    let b = vectors::load(FILE, "rfc_identity").pop().unwrap();
    let _ = (b.get("z"), b.get("rsk"));
    let kpak_bytes = b.hex("kpak");
    let kpak = Kpak::from_sec1(&kpak_bytes).unwrap();
    let sk = SigningKey::new(
        &kpak,
        &b.hex("id"),
        &Ssk::from_bytes(&b.hex("ssk")).unwrap(),
        &b.hex("pvt"),
    )
    .unwrap();
    let wolf_ver = wolf::WolfVerifier {
        kpak: kpak_bytes.clone(),
    };
    let wolf_signer = wolf::WolfSigner {
        kpak: kpak_bytes,
        id: b.hex("id"),
        ssk: b.hex("ssk"),
        pvt: b.hex("pvt"),
    };
    let o = offer(0, SrtpProfile::Aes128CmHmacSha1_80, FEB_2011, [0x21; 16]);
    let pol = PskPolicy {
        require_signature: true,
        ..PskPolicy::default()
    };
    // Ours signs, wolfSSL verifies.
    let ours = build_gsk_offer(&o, &GMK, &[1; 16], &[2; 14], Some(&sk)).unwrap();
    assert!(GskReceiver::new(pol.clone())
        .process(&ours, FEB_2011, lookup, Some(&wolf_ver))
        .unwrap()
        .signed());
    // wolfSSL signs, ours verifies.
    let theirs = build_gsk_offer(&o, &GMK, &[1; 16], &[2; 14], Some(&wolf_signer)).unwrap();
    assert!(GskReceiver::new(pol.clone())
        .process(&theirs, FEB_2011, lookup, Some(&kpak))
        .unwrap()
        .signed());
    // A KPAK of another KMS refuses it.
    let other = prose_sec::eccsi::Ksak::from_bytes(&[0x55; 32])
        .unwrap()
        .kpak();
    assert_eq!(
        GskReceiver::new(pol)
            .process(&theirs, FEB_2011, lookup, Some(&other))
            .unwrap_err(),
        Error::InvalidSignature
    );
}

/// SP parameters a session cannot honour are refused when the offer is read, not ignored:
/// a mismatch would otherwise show only as failing media.
#[test]
fn sp_parameters_the_session_cannot_honour() {
    use prose_sec::mikey::Sp;
    let base = prose_sec::mikey::sp_params(SrtpProfile::Aes128CmHmacSha1_80).unwrap();
    let tlv = |extra: &[(u8, &[u8])]| {
        let mut out = Vec::new();
        for (t, v) in &base {
            out.extend_from_slice(&[*t, v.len() as u8]);
            out.extend_from_slice(v);
        }
        for (t, v) in extra {
            out.extend_from_slice(&[*t, v.len() as u8]);
            out.extend_from_slice(v);
        }
        out
    };
    let read = |params: &[u8]| {
        prose_sec::mikey::profile_from_sp(&Sp {
            policy_no: 0,
            prot_type: 0,
            params,
        })
    };
    // What the session does, said explicitly, is accepted.
    let honoured = tlv(&[
        (sp_param::SRTP_PRF, &[0]),
        (sp_param::KDR, &[0]),
        (sp_param::SRTP_ENCR, &[1]),
        (sp_param::SRTCP_ENCR, &[1]),
        (sp_param::SRTP_AUTH, &[1]),
        (sp_param::PREFIX_LEN, &[0]),
    ]);
    assert_eq!(read(&honoured), Ok(SrtpProfile::Aes128CmHmacSha1_80));
    for (t, v) in [
        (sp_param::SRTP_PRF, &[1u8][..]),
        (sp_param::KDR, &[24][..]),
        (sp_param::SRTP_ENCR, &[0][..]),
        (sp_param::SRTCP_ENCR, &[0][..]),
        (sp_param::SRTP_AUTH, &[0][..]),
        (sp_param::PREFIX_LEN, &[4][..]),
        (sp_param::KDR, &[][..]),
        (sp_param::KDR, &[0, 0, 0, 0, 0][..]),
    ] {
        assert_eq!(
            read(&tlv(&[(t, v)])),
            Err(Error::Unsupported),
            "param {t} = {v:?}"
        );
    }
    // A second, contradicting occurrence does not slip past the first one.
    assert_eq!(
        read(&tlv(&[(sp_param::KDR, &[0]), (sp_param::KDR, &[24])])),
        Err(Error::Unsupported)
    );
}
