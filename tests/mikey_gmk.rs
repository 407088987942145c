//! GMK I_MESSAGE (PROFILE §3) against the vendor's messages and in round trips for both
//! profiles, with wolfSSL as the independent SAKKE/ECCSI peer.

use prose_sec_peers::vectors;
use prose_sec_peers::wolfssl::mikey as wolf;

use prose_sec::mikey::{
    self, genext::KeyParams, key_params_header, open_sakke_message, process_gmk_message, role, uid,
    GmkMessageSpec, GmkPolicy, MemberContext, Message, Profile, SakkeDecapsulator,
    SignatureVerifier,
};
use prose_sec::srtp::Profile as SrtpProfile;
use prose_sec::Error;

const FILE: &str = "mikey_ts33180.txt";
/// NTP seconds of the vendor messages' T.
const VENDOR_NOW: u64 = 0xec898da8;

struct User {
    name: String,
    uri: String,
    uid: Vec<u8>,
    rsk: Vec<u8>,
    ssk: Vec<u8>,
    pvt: Vec<u8>,
}

struct Vendor {
    z: Vec<u8>,
    kpak: Vec<u8>,
    kms_uri: String,
    users: Vec<User>,
}

impl Vendor {
    fn user(&self, name: &str) -> &User {
        self.users.iter().find(|u| u.name == name).unwrap()
    }
    fn member(&self, name: &str) -> wolf::WolfMember {
        let u = self.user(name);
        wolf::WolfMember {
            z: self.z.clone(),
            id: u.uid.clone(),
            rsk: u.rsk.clone(),
        }
    }
    fn signer(&self, name: &str) -> wolf::WolfSigner {
        let u = self.user(name);
        wolf::WolfSigner {
            kpak: self.kpak.clone(),
            id: u.uid.clone(),
            ssk: u.ssk.clone(),
            pvt: u.pvt.clone(),
        }
    }
    fn verifier(&self) -> wolf::WolfVerifier {
        wolf::WolfVerifier {
            kpak: self.kpak.clone(),
        }
    }
}

fn vendor() -> Vendor {
    let k = vectors::load(FILE, "kms").pop().unwrap();
    let _ = (k.get("key_period"), k.get("key_period_offset"));
    let mut users = Vec::new();
    for u in vectors::load(FILE, "user") {
        let _ = u.get("key_period_no");
        users.push(User {
            name: u.get("name").to_string(),
            uri: u.get("uri").to_string(),
            uid: u.hex("uid"),
            rsk: u.hex("rsk"),
            ssk: u.hex("ssk"),
            pvt: u.hex("pvt"),
        });
    }
    Vendor {
        z: k.hex("z"),
        kpak: k.hex("kpak"),
        kms_uri: k.get("kms_uri").to_string(),
        users,
    }
}

struct Msg {
    name: String,
    bytes: Vec<u8>,
    ssv: Vec<u8>,
    key_id: u32,
    guk: Option<u32>,
}

fn messages() -> Vec<Msg> {
    vectors::load(FILE, "i_message")
        .into_iter()
        .map(|b| {
            let _ = (
                b.get("rand"),
                b.get("initiator_uri"),
                b.get("responder_uri"),
            );
            let g = b.get("guk_id");
            Msg {
                name: b.get("name").to_string(),
                bytes: b.hex("message"),
                ssv: b.hex("ssv"),
                key_id: b.u32_hex("key_id"),
                guk: (g != "-").then(|| u32::from_str_radix(g, 16).unwrap()),
            }
        })
        .collect()
}

#[test]
fn vendor_messages_verify_and_decrypt() {
    let v = vendor();
    for msg in messages() {
        let m = Message::parse(&msg.bytes).unwrap();
        let i = m.idr(role::INITIATOR_UID).unwrap().data.to_vec();
        let r = m.idr(role::RESPONDER_UID).unwrap().data.to_vec();
        let ver = v.verifier();
        // The signature covers the SIGN header octets: verifies as is ...
        ver.verify(&i, m.signed_part().unwrap(), m.sign().unwrap().signature)
            .unwrap();
        // ... and not without them.
        assert!(ver
            .verify(
                &i,
                m.signed_part_without_sign_header().unwrap(),
                m.sign().unwrap().signature
            )
            .is_err());
        let u = v.users.iter().find(|u| u.uid == r).unwrap();
        let mem = v.member(&u.name);
        let (ssv, params) = open_sakke_message(&msg.bytes, &mem, &ver, &i, false).unwrap();
        assert_eq!(ssv.to_vec(), msg.ssv, "{}", msg.name);
        assert!(params.is_some());
        assert_eq!(mikey::rebuild(&m).unwrap(), msg.bytes);
    }
}

fn alice_ctx<'a>(v: &'a Vendor, key: &'a dyn SakkeDecapsulator) -> MemberContext<'a> {
    let a = v.user("alice");
    MemberContext {
        uri: a.uri.as_bytes(),
        uid: &a.uid,
        key,
    }
}

#[test]
fn vendor_gmk_message_is_accepted_by_alice() {
    let v = vendor();
    let msgs = messages();
    let msg = msgs.iter().find(|m| m.name == "gmk").unwrap();
    let key = v.member("alice");
    let me = alice_ctx(&v, &key);
    let gms = v.user("gms").uid.clone();
    let is_group = |id: &[u8]| id == gms.as_slice();
    let policy = GmkPolicy::new(Profile::Mcptt);
    let g = process_gmk_message(
        &msg.bytes,
        &policy,
        &me,
        &is_group,
        &v.verifier(),
        VENDOR_NOW,
    )
    .unwrap();
    assert_eq!(g.gmk().to_vec(), msg.ssv);
    assert_eq!(g.gmk_id(), msg.key_id);
    assert_eq!(g.guk_id(), msg.guk);
    assert_eq!(g.status(), 1);
    assert_eq!(g.period(), (0, 0));
    assert!(!g.legacy());
    assert_eq!(g.srtp_profile(), Some(SrtpProfile::AeadAes128Gcm));
    let mut mki = msg.key_id.to_be_bytes().to_vec();
    mki.extend_from_slice(&msg.guk.unwrap().to_be_bytes());
    assert_eq!(g.mki(), mki);
    assert!(!format!("{g:?}").contains(&hex::encode(&msg.ssv[..4])));
    // TS 33.180 SRTP master key: same derivation as the Etherstack vectors (mikey_kdf).
    let (k, s) = g.srtp_master(4, SrtpProfile::AeadAes128Gcm).unwrap();
    let mut want = vec![0u8; 16];
    mikey::prf::derive_tek(
        1,
        &msg.ssv,
        4,
        msg.guk.unwrap(),
        Message::parse(&msg.bytes).unwrap().rand().unwrap(),
        &mut want,
    )
    .unwrap();
    assert_eq!(k.to_vec(), want);
    assert_eq!(s.len(), 12);

    // Refusals.
    let not_group = |_: &[u8]| false;
    assert_eq!(
        process_gmk_message(
            &msg.bytes,
            &policy,
            &me,
            &not_group,
            &v.verifier(),
            VENDOR_NOW
        )
        .unwrap_err(),
        Error::InvalidSignature
    );
    for now in [VENDOR_NOW - 301, VENDOR_NOW + 301] {
        assert_eq!(
            process_gmk_message(&msg.bytes, &policy, &me, &is_group, &v.verifier(), now)
                .unwrap_err(),
            Error::Freshness
        );
    }
    // Bob is not the responder.
    let bkey = v.member("bob");
    let bob = MemberContext {
        uri: v.user("bob").uri.as_bytes(),
        uid: &v.user("bob").uid,
        key: &bkey,
    };
    assert_eq!(
        process_gmk_message(
            &msg.bytes,
            &policy,
            &bob,
            &is_group,
            &v.verifier(),
            VENDOR_NOW
        )
        .unwrap_err(),
        Error::InvalidParameter
    );
    // KMS check.
    let kms_ok = GmkPolicy {
        kms_uri: Some(v.kms_uri.as_bytes().to_vec()),
        ..policy.clone()
    };
    assert!(process_gmk_message(
        &msg.bytes,
        &kms_ok,
        &me,
        &is_group,
        &v.verifier(),
        VENDOR_NOW
    )
    .is_ok());
    let kms_bad = GmkPolicy {
        kms_uri: Some(b"kms.other.example".to_vec()),
        ..policy.clone()
    };
    assert_eq!(
        process_gmk_message(
            &msg.bytes,
            &kms_bad,
            &me,
            &is_group,
            &v.verifier(),
            VENDOR_NOW
        )
        .unwrap_err(),
        Error::InvalidParameter
    );
    // The prose profile does not accept an mcptt message.
    assert!(process_gmk_message(
        &msg.bytes,
        &GmkPolicy::new(Profile::Prose),
        &me,
        &is_group,
        &v.verifier(),
        VENDOR_NOW
    )
    .is_err());
}

#[test]
fn vendor_legacy_gmk_needs_the_flag() {
    let v = vendor();
    let msgs = messages();
    let msg = msgs.iter().find(|m| m.name == "gmk_legacy").unwrap();
    let key = v.member("iwf");
    let u = v.user("iwf");
    let me = MemberContext {
        uri: u.uri.as_bytes(),
        uid: &u.uid,
        key: &key,
    };
    let gms = v.user("gms").uid.clone();
    let is_group = |id: &[u8]| id == gms.as_slice();
    let mut policy = GmkPolicy::new(Profile::Mcptt);
    assert!(process_gmk_message(
        &msg.bytes,
        &policy,
        &me,
        &is_group,
        &v.verifier(),
        VENDOR_NOW
    )
    .is_err());
    policy.accept_legacy_key_params = true;
    let g = process_gmk_message(
        &msg.bytes,
        &policy,
        &me,
        &is_group,
        &v.verifier(),
        VENDOR_NOW,
    )
    .unwrap();
    assert_eq!(g.gmk().to_vec(), msg.ssv);
    assert_eq!(g.gmk_id(), msg.key_id, "GMK-ID recovered from the GUK-ID");
    assert_eq!(g.guk_id(), msg.guk);
    assert!(g.legacy());
}

#[test]
fn vendor_pck_and_csk_are_not_gmks() {
    let v = vendor();
    let msgs = messages();
    let alice = v.user("alice").uid.clone();
    let is_alice = |id: &[u8]| id == alice.as_slice();
    let policy = GmkPolicy::new(Profile::Mcptt);
    // PCK alice -> bob: a valid, signed message whose key type is PCK.
    let pck = msgs.iter().find(|m| m.name == "pck").unwrap();
    let bkey = v.member("bob");
    let bob = MemberContext {
        uri: v.user("bob").uri.as_bytes(),
        uid: &v.user("bob").uid,
        key: &bkey,
    };
    assert!(process_gmk_message(
        &pck.bytes,
        &policy,
        &bob,
        &is_alice,
        &v.verifier(),
        VENDOR_NOW
    )
    .is_err());
    // CSK alice -> gms: GMS receives it; not a GMK either.
    let csk = msgs.iter().find(|m| m.name == "csk").unwrap();
    let gkey = v.member("gms");
    let gms = MemberContext {
        uri: v.user("gms").uri.as_bytes(),
        uid: &v.user("gms").uid,
        key: &gkey,
    };
    assert!(process_gmk_message(
        &csk.bytes,
        &policy,
        &gms,
        &is_alice,
        &v.verifier(),
        VENDOR_NOW
    )
    .is_err());
}

fn kp(expiry: u64, status: u32) -> KeyParams {
    KeyParams {
        key_type: 0,
        status,
        activation: 0,
        expiry,
        text: b"grp".to_vec(),
        group_ids: Some(vec![0, 1, 0]),
    }
}

#[test]
fn mcptt_round_trip_with_vendor_keys() {
    let v = vendor();
    let gms = v.user("gms");
    let alice = v.user("alice");
    let gmk = [0x5au8; 16];
    let params = kp(VENDOR_NOW + 3600, 1);
    let t = VENDOR_NOW << 32;
    let spec = GmkMessageSpec {
        profile: Profile::Mcptt,
        gmk_id: 0x0123_4567,
        t,
        rand: [7; 16],
        initiator: &gms.uid,
        responder: &alice.uid,
        member_uri: alice.uri.as_bytes(),
        member_id: &alice.uid,
        kms_uri: v.kms_uri.as_bytes(),
        sp: Some(SrtpProfile::AeadAes128Gcm),
        key_params: Some(&params),
        key_params_header: key_params_header([3; 16], 9),
    };
    let kms = wolf::WolfKms { z: v.z.clone() };
    let bytes = mikey::build_gmk_message(&spec, &gmk, &kms, &v.signer("gms")).unwrap();
    let m = Message::parse(&bytes).unwrap();
    assert_eq!(mikey::rebuild(&m).unwrap(), bytes);
    let guk = uid::guk_id(&gmk, 0x0123_4567, alice.uri.as_bytes()).unwrap();
    assert_eq!(m.hdr().csb_id, guk);
    let key = v.member("alice");
    let me = alice_ctx(&v, &key);
    let gid = gms.uid.clone();
    let is_group = |id: &[u8]| id == gid.as_slice();
    let policy = GmkPolicy::new(Profile::Mcptt);
    let g =
        process_gmk_message(&bytes, &policy, &me, &is_group, &v.verifier(), VENDOR_NOW).unwrap();
    assert_eq!(g.gmk(), &gmk);
    assert_eq!(g.gmk_id(), 0x0123_4567);
    assert_eq!(g.guk_id(), Some(guk));
    assert_eq!(g.params(), Some(&params));
    // After expiry: refused.
    assert_eq!(
        process_gmk_message(
            &bytes,
            &GmkPolicy {
                max_skew_secs: 10_000,
                ..policy.clone()
            },
            &me,
            &is_group,
            &v.verifier(),
            VENDOR_NOW + 3601
        )
        .unwrap_err(),
        Error::KeyExpired
    );
    // A signature made without the SIGN header octets: refused unless the flag is set.
    let n = bytes.len();
    let mut alt = bytes.clone();
    let tbs = alt[..n - 131].to_vec();
    let sig = mikey::MessageSigner::sign(&v.signer("gms"), &tbs).unwrap();
    alt[n - 129..].copy_from_slice(&sig);
    assert_eq!(
        process_gmk_message(&alt, &policy, &me, &is_group, &v.verifier(), VENDOR_NOW).unwrap_err(),
        Error::InvalidSignature
    );
    let lenient = GmkPolicy {
        accept_unheadered_signature: true,
        ..policy.clone()
    };
    let g2 =
        process_gmk_message(&alt, &lenient, &me, &is_group, &v.verifier(), VENDOR_NOW).unwrap();
    assert_eq!(g2.gmk(), &gmk);
    // Signed by another identity (alice) claiming to be the GMS.
    let forged = mikey::build_gmk_message(&spec, &gmk, &kms, &v.signer("alice")).unwrap();
    assert_eq!(
        process_gmk_message(&forged, &policy, &me, &is_group, &v.verifier(), VENDOR_NOW)
            .unwrap_err(),
        Error::InvalidSignature
    );
    // Another status word (e.g. a revocation) is returned for the caller to apply.
    let revoked = kp(0, 0);
    let spec2 = GmkMessageSpec {
        key_params: Some(&revoked),
        t: t + (1 << 32),
        ..spec.clone()
    };
    let bytes2 = mikey::build_gmk_message(&spec2, &gmk, &kms, &v.signer("gms")).unwrap();
    let g3 =
        process_gmk_message(&bytes2, &policy, &me, &is_group, &v.verifier(), VENDOR_NOW).unwrap();
    assert_eq!(g3.status(), 0);
    assert!(g3.timestamp() > g.timestamp());
    // Key parameters of another key type (CSK) in a GMK message.
    let csk_params = KeyParams {
        key_type: 2,
        group_ids: None,
        ..kp(0, 1)
    };
    let spec_c = GmkMessageSpec {
        key_params: Some(&csk_params),
        ..spec.clone()
    };
    let bytes_c = mikey::build_gmk_message(&spec_c, &gmk, &kms, &v.signer("gms")).unwrap();
    assert_eq!(
        process_gmk_message(&bytes_c, &policy, &me, &is_group, &v.verifier(), VENDOR_NOW)
            .unwrap_err(),
        Error::InvalidParameter
    );
    // No GEN EXT, no SP.
    let spec3 = GmkMessageSpec {
        key_params: None,
        sp: None,
        ..spec.clone()
    };
    let bytes3 = mikey::build_gmk_message(&spec3, &gmk, &kms, &v.signer("gms")).unwrap();
    let g4 =
        process_gmk_message(&bytes3, &policy, &me, &is_group, &v.verifier(), VENDOR_NOW).unwrap();
    assert_eq!(g4.params(), None);
    assert_eq!(g4.srtp_profile(), None);
    assert_eq!(g4.gmk(), &gmk);
}

/// 2011-02-15 00:00 UTC in NTP seconds: the RFC 6507/6508 identity's month.
const FEB_2011: u64 = 1_297_728_000 + mikey::NTP_UNIX_OFFSET;

pub struct Rfc {
    pub id: Vec<u8>,
    pub kpak: Vec<u8>,
    pub ssk: Vec<u8>,
    pub pvt: Vec<u8>,
    pub z: Vec<u8>,
    pub rsk: Vec<u8>,
}

fn rfc() -> Rfc {
    let b = vectors::load(FILE, "rfc_identity").pop().unwrap();
    Rfc {
        id: b.hex("id"),
        kpak: b.hex("kpak"),
        ssk: b.hex("ssk"),
        pvt: b.hex("pvt"),
        z: b.hex("z"),
        rsk: b.hex("rsk"),
    }
}

#[test]
fn prose_round_trip_with_rfc_identity() {
    let r = rfc();
    let uri = b"tel:+447700900123";
    assert_eq!(mikey::prose_identifier(uri, FEB_2011).unwrap(), r.id);
    let gmk = [0x11u8; 16];
    let params = kp(0, 1);
    let spec = GmkMessageSpec {
        profile: Profile::Prose,
        gmk_id: 0x0abc_def0,
        t: FEB_2011 << 32,
        rand: [1; 16],
        initiator: uri,
        responder: uri,
        member_uri: uri,
        member_id: &r.id,
        kms_uri: b"kms.example.org",
        sp: Some(SrtpProfile::Aes128CmHmacSha1_80),
        key_params: Some(&params),
        key_params_header: key_params_header([2; 16], 1),
    };
    let kms = wolf::WolfKms { z: r.z.clone() };
    let signer = wolf::WolfSigner {
        kpak: r.kpak.clone(),
        id: r.id.clone(),
        ssk: r.ssk.clone(),
        pvt: r.pvt.clone(),
    };
    let bytes = mikey::build_gmk_message(&spec, &gmk, &kms, &signer).unwrap();
    let m = Message::parse(&bytes).unwrap();
    assert_eq!(m.hdr().csb_id, 0x0abc_def0);
    assert_eq!(m.hdr().prf, 0);
    assert_eq!(m.idr(role::INITIATOR).unwrap().data, uri);
    assert_eq!(mikey::rebuild(&m).unwrap(), bytes);
    let member = wolf::WolfMember {
        z: r.z.clone(),
        id: r.id.clone(),
        rsk: r.rsk.clone(),
    };
    let me = MemberContext {
        uri,
        uid: &[],
        key: &member,
    };
    let is_group = |id: &[u8]| id == uri;
    let ver = wolf::WolfVerifier {
        kpak: r.kpak.clone(),
    };
    let policy = GmkPolicy::new(Profile::Prose);
    let g = process_gmk_message(&bytes, &policy, &me, &is_group, &ver, FEB_2011).unwrap();
    assert_eq!(g.gmk(), &gmk);
    assert_eq!(g.gmk_id(), 0x0abc_def0);
    assert_eq!(g.guk_id(), None);
    assert_eq!(g.mki(), 0x0abc_def0u32.to_be_bytes().to_vec());
    assert_eq!(g.srtp_profile(), Some(SrtpProfile::Aes128CmHmacSha1_80));
    // A member key for another month does not fit.
    let me_march = MemberContext {
        uri,
        uid: &[],
        key: &member,
    };
    let spec_m = GmkMessageSpec {
        t: (FEB_2011 + 31 * 86_400) << 32,
        ..spec.clone()
    };
    // (the builder encapsulates to the given member id; the receiver's month check refuses)
    let bytes_m = mikey::build_gmk_message(&spec_m, &gmk, &kms, &signer).unwrap();
    let pm = GmkPolicy {
        max_skew_secs: u64::MAX,
        ..policy.clone()
    };
    assert!(process_gmk_message(&bytes_m, &pm, &me_march, &is_group, &ver, FEB_2011).is_err());
    // Wrong group identity.
    let other = |id: &[u8]| id == b"tel:+440000000000";
    assert_eq!(
        process_gmk_message(&bytes, &policy, &me, &other, &ver, FEB_2011).unwrap_err(),
        Error::InvalidSignature
    );
}

#[test]
fn crate_eccsi_interoperates_with_wolfssl_on_gmk_messages() {
    use prose_sec::eccsi::{Kpak, SigningKey, Ssk};
    let v = vendor();
    let kpak = Kpak::from_sec1(&v.kpak).unwrap();
    let gid = v.user("gms").uid.clone();
    let is_group = |id: &[u8]| id == gid.as_slice();
    let policy = GmkPolicy::new(Profile::Mcptt);
    let key = v.member("alice");
    let me = alice_ctx(&v, &key);
    // The vendor's GMK message verifies with the crate's ECCSI.
    let msgs = messages();
    let msg = msgs.iter().find(|m| m.name == "gmk").unwrap();
    let g = process_gmk_message(&msg.bytes, &policy, &me, &is_group, &kpak, VENDOR_NOW).unwrap();
    assert_eq!(g.gmk().to_vec(), msg.ssv);
    // Every vendor message's signature, with the crate's ECCSI.
    for m in &msgs {
        let p = Message::parse(&m.bytes).unwrap();
        let signer = p.idr(role::INITIATOR_UID).unwrap().data;
        prose_sec::eccsi::verify(
            &kpak,
            signer,
            p.signed_part().unwrap(),
            p.sign().unwrap().signature,
        )
        .unwrap();
    }
    // Signed by the crate's ECCSI (GMS key), verified by wolfSSL; and the reverse.
    let gms = v.user("gms");
    let alice = v.user("alice");
    let sk = SigningKey::new(
        &kpak,
        &gms.uid,
        &Ssk::from_bytes(&gms.ssk).unwrap(),
        &gms.pvt,
    )
    .unwrap();
    let params = kp(0, 1);
    let spec = GmkMessageSpec {
        profile: Profile::Mcptt,
        gmk_id: 0x0000_0042,
        t: VENDOR_NOW << 32,
        rand: [8; 16],
        initiator: &gms.uid,
        responder: &alice.uid,
        member_uri: alice.uri.as_bytes(),
        member_id: &alice.uid,
        kms_uri: v.kms_uri.as_bytes(),
        sp: None,
        key_params: Some(&params),
        key_params_header: key_params_header([5; 16], 1),
    };
    let kms = wolf::WolfKms { z: v.z.clone() };
    let ours = mikey::build_gmk_message(&spec, &[0x77; 16], &kms, &sk).unwrap();
    let g = process_gmk_message(&ours, &policy, &me, &is_group, &v.verifier(), VENDOR_NOW).unwrap();
    assert_eq!(g.gmk(), &[0x77; 16]);
    let theirs = mikey::build_gmk_message(&spec, &[0x78; 16], &kms, &v.signer("gms")).unwrap();
    let g = process_gmk_message(&theirs, &policy, &me, &is_group, &kpak, VENDOR_NOW).unwrap();
    assert_eq!(g.gmk(), &[0x78; 16]);
}

/// The crate's own SAKKE and ECCSI for every identity-based operation.
mod crate_crypto {
    use super::*;
    use prose_sec::eccsi::{Kpak, SigningKey, Ssk};
    use prose_sec::sakke::{DecapsulationKey, KmsPublic, Rsk};

    fn dk(z: &[u8], id: &[u8], rsk: &[u8]) -> DecapsulationKey {
        let kms = KmsPublic::from_bytes(z).unwrap();
        DecapsulationKey::new(&kms, id, &Rsk::from_bytes(rsk).unwrap()).unwrap()
    }

    #[test]
    fn vendor_messages_with_crate_sakke_and_eccsi() {
        let v = vendor();
        let kpak = Kpak::from_sec1(&v.kpak).unwrap();
        for msg in messages() {
            let m = Message::parse(&msg.bytes).unwrap();
            let i = m.idr(role::INITIATOR_UID).unwrap().data.to_vec();
            let r = m.idr(role::RESPONDER_UID).unwrap().data.to_vec();
            let u = v.users.iter().find(|u| u.uid == r).unwrap();
            let key = dk(&v.z, &r, &u.rsk);
            let (ssv, params) = open_sakke_message(&msg.bytes, &key, &kpak, &i, false).unwrap();
            assert_eq!(ssv.to_vec(), msg.ssv, "{}", msg.name);
            assert!(params.is_some());
            assert_eq!(mikey::rebuild(&m).unwrap(), msg.bytes);
        }
        // The GMK message through the member's processor.
        let msgs = messages();
        let msg = msgs.iter().find(|m| m.name == "gmk").unwrap();
        let a = v.user("alice");
        let key = dk(&v.z, &a.uid, &a.rsk);
        let me = MemberContext {
            uri: a.uri.as_bytes(),
            uid: &a.uid,
            key: &key,
        };
        let gms = v.user("gms").uid.clone();
        let is_group = |id: &[u8]| id == gms.as_slice();
        let g = process_gmk_message(
            &msg.bytes,
            &GmkPolicy::new(Profile::Mcptt),
            &me,
            &is_group,
            &kpak,
            VENDOR_NOW,
        )
        .unwrap();
        assert_eq!(g.gmk().to_vec(), msg.ssv);
        assert_eq!(g.gmk_id(), msg.key_id);
        assert_eq!(g.guk_id(), msg.guk);
        // A tampered SED (R or H) is refused by the decapsulation's R check.
        let sed = Message::parse(&msg.bytes)
            .unwrap()
            .sakke()
            .unwrap()
            .sed
            .to_vec();
        for i in [10usize, 200, 260] {
            let mut bad = sed.clone();
            bad[i] ^= 1;
            assert!(SakkeDecapsulator::decapsulate(&key, &bad).is_err());
        }
    }

    /// A validly signed GMK message with two key-parameter GEN EXTs is refused by both
    /// readers (the member's processor and `open_sakke_message`), not read as the last one.
    #[test]
    fn duplicate_key_params_refused_by_every_reader() {
        use prose_sec::mikey::{sig_type, Builder, MessageSigner, Payload, SIGNATURE_LEN};
        let v = vendor();
        let kpak = Kpak::from_sec1(&v.kpak).unwrap();
        let gms = v.user("gms");
        let a = v.user("alice");
        let sk = SigningKey::new(
            &kpak,
            &gms.uid,
            &Ssk::from_bytes(&gms.ssk).unwrap(),
            &gms.pvt,
        )
        .unwrap();
        let msgs = messages();
        let msg = msgs.iter().find(|m| m.name == "gmk").unwrap();
        let m = Message::parse(&msg.bytes).unwrap();
        let mut b = Builder::from_hdr(m.hdr()).unwrap();
        let mut gen_exts = 0;
        for p in m.payloads() {
            match p {
                Payload::Sign(_) => {}
                Payload::GenExt(_) => {
                    b.payload(&p).unwrap();
                    b.payload(&p).unwrap();
                    gen_exts += 2;
                }
                _ => {
                    b.payload(&p).unwrap();
                }
            }
        }
        assert_eq!(gen_exts, 2);
        let dup = b
            .finish_signed(sig_type::ECCSI, SIGNATURE_LEN, |tbs| {
                Ok(MessageSigner::sign(&sk, tbs)?.to_vec())
            })
            .unwrap();
        let key = dk(&v.z, &a.uid, &a.rsk);
        assert!(open_sakke_message(&msg.bytes, &key, &kpak, &gms.uid, false).is_ok());
        assert_eq!(
            open_sakke_message(&dup, &key, &kpak, &gms.uid, false).unwrap_err(),
            Error::Parse
        );
        let me = MemberContext {
            uri: a.uri.as_bytes(),
            uid: &a.uid,
            key: &key,
        };
        let is_group = |id: &[u8]| id == gms.uid.as_slice();
        let r = process_gmk_message(
            &dup,
            &GmkPolicy::new(Profile::Mcptt),
            &me,
            &is_group,
            &kpak,
            VENDOR_NOW,
        );
        assert_eq!(r.unwrap_err(), Error::Parse);
    }

    #[test]
    fn round_trips_crate_and_wolfssl_both_ways() {
        let v = vendor();
        let kpak = Kpak::from_sec1(&v.kpak).unwrap();
        let kms = KmsPublic::from_bytes(&v.z).unwrap();
        let gms = v.user("gms");
        let alice = v.user("alice");
        let sk = SigningKey::new(
            &kpak,
            &gms.uid,
            &Ssk::from_bytes(&gms.ssk).unwrap(),
            &gms.pvt,
        )
        .unwrap();
        let params = kp(0, 1);
        let spec = GmkMessageSpec {
            profile: Profile::Mcptt,
            gmk_id: 0x0fed_cba9,
            t: VENDOR_NOW << 32,
            rand: [0x42; 16],
            initiator: &gms.uid,
            responder: &alice.uid,
            member_uri: alice.uri.as_bytes(),
            member_id: &alice.uid,
            kms_uri: v.kms_uri.as_bytes(),
            sp: Some(SrtpProfile::AeadAes128Gcm),
            key_params: Some(&params),
            key_params_header: key_params_header([9; 16], 3),
        };
        let gid = gms.uid.clone();
        let is_group = |id: &[u8]| id == gid.as_slice();
        let policy = GmkPolicy::new(Profile::Mcptt);
        let crate_key = dk(&v.z, &alice.uid, &alice.rsk);
        let wolf_key = v.member("alice");
        let crate_me = MemberContext {
            uri: alice.uri.as_bytes(),
            uid: &alice.uid,
            key: &crate_key,
        };
        let wolf_me = alice_ctx(&v, &wolf_key);
        let gmk = [0x6b; 16];
        // Built with the crate (SAKKE + ECCSI), processed by wolfSSL and by the crate.
        let ours = mikey::build_gmk_message(&spec, &gmk, &kms, &sk).unwrap();
        assert_eq!(
            mikey::rebuild(&Message::parse(&ours).unwrap()).unwrap(),
            ours
        );
        let g = process_gmk_message(
            &ours,
            &policy,
            &wolf_me,
            &is_group,
            &v.verifier(),
            VENDOR_NOW,
        )
        .unwrap();
        assert_eq!(g.gmk(), &gmk);
        let g =
            process_gmk_message(&ours, &policy, &crate_me, &is_group, &kpak, VENDOR_NOW).unwrap();
        assert_eq!(g.gmk(), &gmk);
        assert_eq!(g.params(), Some(&params));
        // Built with wolfSSL, processed by the crate.
        let wolf_kms = wolf::WolfKms { z: v.z.clone() };
        let theirs = mikey::build_gmk_message(&spec, &gmk, &wolf_kms, &v.signer("gms")).unwrap();
        let g =
            process_gmk_message(&theirs, &policy, &crate_me, &is_group, &kpak, VENDOR_NOW).unwrap();
        assert_eq!(g.gmk(), &gmk);
    }

    #[test]
    fn prose_round_trip_with_crate_crypto() {
        let r = rfc();
        let uri = b"tel:+447700900123";
        let kms = KmsPublic::from_bytes(&r.z).unwrap();
        let kpak = Kpak::from_sec1(&r.kpak).unwrap();
        let sk = SigningKey::new(&kpak, &r.id, &Ssk::from_bytes(&r.ssk).unwrap(), &r.pvt).unwrap();
        let params = kp(0, 1);
        let spec = GmkMessageSpec {
            profile: Profile::Prose,
            gmk_id: 0x0000_1234,
            t: FEB_2011 << 32,
            rand: [3; 16],
            initiator: uri,
            responder: uri,
            member_uri: uri,
            member_id: &r.id,
            kms_uri: b"kms.example.org",
            sp: None,
            key_params: Some(&params),
            key_params_header: key_params_header([1; 16], 1),
        };
        let bytes = mikey::build_gmk_message(&spec, &[0x29; 16], &kms, &sk).unwrap();
        let key = dk(&r.z, &r.id, &r.rsk);
        let me = MemberContext {
            uri,
            uid: &[],
            key: &key,
        };
        let is_group = |id: &[u8]| id == uri;
        let g = process_gmk_message(
            &bytes,
            &GmkPolicy::new(Profile::Prose),
            &me,
            &is_group,
            &kpak,
            FEB_2011,
        )
        .unwrap();
        assert_eq!(g.gmk(), &[0x29; 16]);
        // And wolfSSL reads the crate's message.
        let wm = wolf::WolfMember {
            z: r.z.clone(),
            id: r.id.clone(),
            rsk: r.rsk.clone(),
        };
        let wme = MemberContext {
            uri,
            uid: &[],
            key: &wm,
        };
        let ver = wolf::WolfVerifier {
            kpak: r.kpak.clone(),
        };
        let g = process_gmk_message(
            &bytes,
            &GmkPolicy::new(Profile::Prose),
            &wme,
            &is_group,
            &ver,
            FEB_2011,
        )
        .unwrap();
        assert_eq!(g.gmk(), &[0x29; 16]);
    }
}

/// End to end: a GMK message carrying the Etherstack GMK/GMK-ID to a member whose URI gives
/// the vector's GUK-ID, with the vector's RAND; the member's SRTP master key and salt per
/// TS 33.180 equal the vector's.
#[test]
fn srtp_master_from_a_processed_gmk_message() {
    let v = vendor();
    let guks = vectors::load(FILE, "guk_id");
    let gms = v.user("gms");
    let alice = v.user("alice");
    let gid = gms.uid.clone();
    let is_group = |id: &[u8]| id == gid.as_slice();
    let kms = wolf::WolfKms { z: v.z.clone() };
    let key = v.member("alice");
    let mut checked = 0;
    for s in vectors::load(FILE, "srtp_master") {
        let (tgk, cs_id, csb, rand) = (
            s.hex("tgk"),
            s.u64("cs_id") as u8,
            s.u32_hex("csb_id"),
            s.hex("rand"),
        );
        let (mk, ms, prf) = (s.hex("master_key"), s.hex("master_salt"), s.u64("prf"));
        assert_eq!(prf, 1);
        let Some(g) = guks.iter().find(|g| g.u32_hex("guk_id") == csb) else {
            continue;
        };
        assert_eq!(g.hex("gmk"), tgk);
        let uri = g.get("uri").to_string();
        let gmk: [u8; 16] = tgk.clone().try_into().unwrap();
        let spec = GmkMessageSpec {
            profile: Profile::Mcptt,
            gmk_id: g.u32_hex("gmk_id"),
            t: VENDOR_NOW << 32,
            rand: rand.clone().try_into().unwrap(),
            initiator: &gms.uid,
            responder: &alice.uid,
            member_uri: uri.as_bytes(),
            member_id: &alice.uid,
            kms_uri: v.kms_uri.as_bytes(),
            sp: Some(SrtpProfile::AeadAes128Gcm),
            key_params: None,
            key_params_header: key_params_header([0; 16], 0),
        };
        let bytes = mikey::build_gmk_message(&spec, &gmk, &kms, &v.signer("gms")).unwrap();
        assert_eq!(Message::parse(&bytes).unwrap().hdr().csb_id, csb);
        let me = MemberContext {
            uri: uri.as_bytes(),
            uid: &alice.uid,
            key: &key,
        };
        let r = process_gmk_message(
            &bytes,
            &GmkPolicy::new(Profile::Mcptt),
            &me,
            &is_group,
            &v.verifier(),
            VENDOR_NOW,
        )
        .unwrap();
        assert_eq!(r.guk_id(), Some(csb));
        let (k, salt) = r.srtp_master(cs_id, SrtpProfile::AeadAes128Gcm).unwrap();
        assert_eq!(k.to_vec(), mk, "{uri}");
        assert_eq!(salt, ms, "{uri}");
        checked += 1;
    }
    assert_eq!(checked, 3);
    for g in &guks {
        let _ = (g.get("uri"), g.get("gmk"), g.get("gmk_id"), g.get("guk_id"));
    }
}
