//! ECCSI known answers: RFC 6507 Appendix A step by step (KPAK, PVT, HS, SSK, J, r, HE, s,
//! Signature, verification), and a deployed TS 33.180 system's key material and signed
//! I_MESSAGEs (vendor vectors).
//!
//! Values transcribed from /work/shared/vectors/rfc6507_6508.json (`rfc6507_eccsi`) and
//! /work/shared/vectors/ts33180_streamwide.json (`kms.pubauthkey`, `users`, `messages`).
use prose_sec::eccsi::{self, Kpak, Ksak, SigningKey, Ssk, Verifier, SIGNATURE_LEN};
use prose_sec::Error;
use sha2::{Digest, Sha256};

fn h(s: &str) -> Vec<u8> {
    hex::decode(s).expect("hex")
}

mod rfc6507 {
    pub const KSAK: &str = "0000000000000000000000000000000000000000000000000000000000012345";
    pub const KPAK: &str = "0450D4670BDE75244F28D2838A0D25558A7A72686D4522D4C8273FB6442AEBFA93DBDD37551AFD263B5DFD617F3960C65A8C298850FF99F20366DCE7D4367217F4";
    pub const ID: &str = "323031312D30320074656C3A2B34343737303039303031323300";
    pub const V: &str = "0000000000000000000000000000000000000000000000000000000000023456";
    pub const PVT: &str = "04758A142779BE89E829E71984CB40EF758CC4AD775FC5B9A3E1C8ED52F6FA36D9A79D247692F4EDA3A6BDAB77D6AA6474A464AE4934663C5265BA7018BA091F79";
    pub const HS: &str = "490F3FEBBC1C902F6289723D7F8CBF79DB88930849D19F38F0295B5C276C14D1";
    pub const SSK: &str = "23F374AE1F4033F3E9DBDDAAEF20F4CF0B86BBD5A138A5AE9E7E006B34489A0D";
    pub const M: &str = "6D65737361676500";
    pub const J_SCALAR: &str = "0000000000000000000000000000000000000000000000000000000000034567";
    pub const J_POINT: &str = "04269D4C8FDEB66A74E4EF8C0D5DCC597DDFE6029C2AFFC4936008CD2CC1045D816DDA6A1310F4B067BD5DABDAD741B7CEF36457E196B1BFA97FD5F8FBB3926ADB";
    pub const R: &str = "269D4C8FDEB66A74E4EF8C0D5DCC597DDFE6029C2AFFC4936008CD2CC1045D81";
    pub const HE: &str = "111F90EAE8271C96DF9B3D6726768D9EE9B18145D7EC152CFA9C23D1C4F02285";
    pub const S: &str = "E09B528D0EF8D6DF1AA3ECBF80110CFCEC9FC68252CEBB679F4134846940CCFD";
    pub const SIGNATURE: &str = "269D4C8FDEB66A74E4EF8C0D5DCC597DDFE6029C2AFFC4936008CD2CC1045D81E09B528D0EF8D6DF1AA3ECBF80110CFCEC9FC68252CEBB679F4134846940CCFD04758A142779BE89E829E71984CB40EF758CC4AD775FC5B9A3E1C8ED52F6FA36D9A79D247692F4EDA3A6BDAB77D6AA6474A464AE4934663C5265BA7018BA091F79";
}

#[test]
fn rfc6507_kms_keys() {
    use rfc6507::*;
    let ksak = Ksak::from_bytes(&h(KSAK)).unwrap();
    assert_eq!(ksak.to_bytes().to_vec(), h(KSAK));
    let kpak = ksak.kpak();
    assert_eq!(kpak.to_sec1().to_vec(), h(KPAK));
    assert_eq!(Kpak::from_sec1(&h(KPAK)).unwrap(), kpak);
}

#[test]
fn rfc6507_issue_pvt_hs_ssk() {
    use rfc6507::*;
    let ksak = Ksak::from_bytes(&h(KSAK)).unwrap();
    let (ssk, pvt) = ksak.issue_with_fixed_v(&h(ID), &h(V)).unwrap();
    assert_eq!(pvt.to_vec(), h(PVT), "PVT = [v]G");
    assert_eq!(ssk.to_bytes().to_vec(), h(SSK), "SSK = KSAK + HS·v");
    let kpak = ksak.kpak();
    let key = SigningKey::new(&kpak, &h(ID), &ssk, &pvt).unwrap();
    assert_eq!(
        key.hs().to_vec(),
        h(HS),
        "HS = hash(G || KPAK || ID || PVT)"
    );
    assert_eq!(key.id(), h(ID).as_slice());
    assert_eq!(key.pvt().to_vec(), h(PVT));
}

#[test]
fn rfc6507_member_validates_the_rfc_pair() {
    use rfc6507::*;
    let kpak = Kpak::from_sec1(&h(KPAK)).unwrap();
    let ssk = Ssk::from_bytes(&h(SSK)).unwrap();
    assert_eq!(ssk.to_bytes().to_vec(), h(SSK));
    SigningKey::new(&kpak, &h(ID), &ssk, &h(PVT)).unwrap();
}

#[test]
fn rfc6507_sign_step_by_step() {
    use rfc6507::*;
    let kpak = Kpak::from_sec1(&h(KPAK)).unwrap();
    let ssk = Ssk::from_bytes(&h(SSK)).unwrap();
    let key = SigningKey::new(&kpak, &h(ID), &ssk, &h(PVT)).unwrap();
    let (sig, j_point, he) = key.sign_with_j_trace(&h(M), &h(J_SCALAR)).unwrap();
    assert_eq!(j_point.to_vec(), h(J_POINT), "J = [j]G");
    assert_eq!(sig[..32].to_vec(), h(R), "r = Jx");
    assert_eq!(he.to_vec(), h(HE), "HE = hash(HS || r || M)");
    assert_eq!(sig[32..64].to_vec(), h(S), "s = s' = (HE + r·SSK)^-1 · j");
    assert_eq!(sig[64..].to_vec(), h(PVT));
    assert_eq!(sig.to_vec(), h(SIGNATURE));
    assert_eq!(
        key.sign_with_j(&h(M), &h(J_SCALAR)).unwrap().to_vec(),
        h(SIGNATURE)
    );
}

#[test]
fn rfc6507_verify() {
    use rfc6507::*;
    let kpak = Kpak::from_sec1(&h(KPAK)).unwrap();
    let sig = h(SIGNATURE);
    eccsi::verify(&kpak, &h(ID), &h(M), &sig).unwrap();
    let v = Verifier::new(&kpak, &h(ID), &h(PVT)).unwrap();
    v.verify(&h(M), &sig).unwrap();
    // One flipped bit anywhere in the message fails, both ways.
    let mut m = h(M);
    m[0] ^= 1;
    assert_eq!(
        eccsi::verify(&kpak, &h(ID), &m, &sig),
        Err(Error::InvalidSignature)
    );
    assert_eq!(v.verify(&m, &sig), Err(Error::InvalidSignature));
    let mut id = h(ID);
    id[5] ^= 0x20;
    assert_eq!(
        eccsi::verify(&kpak, &id, &h(M), &sig),
        Err(Error::InvalidSignature)
    );
}

#[test]
fn rfc6507_random_signatures_verify() {
    use rfc6507::*;
    let kpak = Kpak::from_sec1(&h(KPAK)).unwrap();
    let ssk = Ssk::from_bytes(&h(SSK)).unwrap();
    let key = SigningKey::new(&kpak, &h(ID), &ssk, &h(PVT)).unwrap();
    let v = Verifier::new(&kpak, &h(ID), &h(PVT)).unwrap();
    let mut rng = rand_core::OsRng;
    let mut seen = std::collections::HashSet::new();
    for i in 0..8u8 {
        let msg = vec![i; i as usize * 7];
        let sig = key.sign(&msg, &mut rng).unwrap();
        assert_eq!(sig.len(), SIGNATURE_LEN);
        assert!(seen.insert(sig[..32].to_vec()), "fresh j each time");
        eccsi::verify(&kpak, &h(ID), &msg, &sig).unwrap();
        v.verify(&msg, &sig).unwrap();
    }
}

// ---------------------------------------------------------------------------------------------
// Vendor vectors (TS 33.180 deployment): identifier = the 32-octet UID.

mod vendor {
    pub const KPAK: &str = "0448f9c2c48b50735f6bc70ec6691073243f1e0bd83cc73bb936d61ffcb2d6049a5b297e8205b29fbd8591cb582d6402add21451ce4beebeaaa7520e93b11cf28f";
    /// (name, uid, ssk, pvt)
    pub const USERS: &[(&str, &str, &str, &str)] = &[
    ("gms", "15a4d5b12856538d02d91fedbb766e6dd377b014c92e216666c8fb678608d20e", "2e7237faa18a874b88d955199dea974b7d0fefcbbae1946baf659b26a4d05a5e", "0468a24d49b184d7008d22f63a415debd38bfa9295f066fa6ada5951c2322d2eca1d6f1d994f22710daef776d9c54d9a338f32395080d6f2bdffb6c7895f12cda2"),
    ("alice", "b5c452309219da6a3d805615548d6c1b0f4de45a6b48fb13d9a24d857fc03dc4", "a1be54a56c7905c06abd2be177fc0c137a32278c9067550b0f0d93fb630d2428", "0426cd8b0a33af9b381ee53ebc6841aed5c1c98fb0d2beb9c7ff98d7c79808d1f566659f6b735016192dd9984df56e54f3f95c76ac4638c1f3d3228f3c752c8cc8"),
    ("iwf", "edb3cd733168a81106e366c2ddc0e4bc323e9069d48edfe2b3b0f7033bae962a", "ed3162edf45f6e6f0f0939a02c84795c2ab78f714c91fe0254ca0f48eacf6a20", "0411d4c57e7b945588148a55f9e88bd1d62017f4fab600af6bf4dcdb05e6f75e9441e20f7a9e2371ebb34692b941270b52744d1699538b41a4cdf043101e23449d"),
    ("bob", "780851cda91a9c33f941cd3a2831697e2893264754e363f8a0cef827eb201a81", "a36885736f21b6ceba48448093086f4ada1ce099bd77e3047c04529ac3f4d4eb", "049c203fda536ae9481eb7f3a1e4662d0adaa6a3b7d3fff0c2dfadd148a754af424d434253b62dcd08eb6aedb6cd091e09f8539d41d3ef2d0ce07e8ead352f2dd9"),
    ];
    /// (name, initiator, I_MESSAGE)
    pub const MESSAGES: &[(&str, &str, &str)] = &[
    (
        "GMK",
        "gms",
        "011a050106a12aea0102040001000000080df9bc3906a12aea0b00ec898da8000000000e10ca2f5d51ff0866362c1d85a56f84651e0e0801002015a4d5b12856538d02d91fedbb766e6dd377b014c92e216666c8fb678608d20e0e09010020b5c452309219da6a3d805615548d6c1b0f4de45a6b48fb13d9a24d857fc03dc40e060100186b6d732e6d796465762e73747265616d776964652e636f6d0a070100186b6d732e6d796465762e73747265616d776964652e636f6d1a0000001b00010601011002010404010c0501000601001201041301001401101501020111042dda50fd6386427d1fcdbe306fa6f14429b98ce34792421f1c16bec912f0c9f2d84a9ac58dc4716261adcabaaa45bcfc91d5d7702397b38d1b375d970d098089f0e53824bd2f27c65405b594cd0c040d61f8077c1ea6b769e023ba4aed305258bc7a91626d3fdf863ac401abc5c5e6c9fc954d68739418b9e569ad0c5f6ef08078da6d0929b477ff2d4d2d4c4686629e6d69b5c739ead7ea47b48319a11fe2a230822fb3e8e962993a9de137d06a493ed124b537af85a724d525a57ebc71fe5e16dd34402abc417892455af6e0556f3de889b0faa84e6bd69e513cb84c75b152b78de40f79b65b46f2c1044b71df378774e82898d45599a2275968a1e5219662c394e312d68e5a0a880ed58f41cf17080407004743000000000100000000000128704fa41c8fe20f881c1bab0d32d8ca06a12aea0000244eddc3bf8c2a4a5d3fc9848440123e7d054dab4308d505759206cc789d05a4ce0e49364d208122259f038fcd823e99b3780b6f000d342ddd212bac0afbf3ba4cb7957c4e87c600065941c51ffdbb54a2a2c8a3dad2da5f0e19441275b326257358e0ffcb35dd0468a24d49b184d7008d22f63a415debd38bfa9295f066fa6ada5951c2322d2eca1d6f1d994f22710daef776d9c54d9a338f32395080d6f2bdffb6c7895f12cda2",
    ),
    (
        "CSK",
        "alice",
        "011a05012ddd5bf00102060001000000042ddd5bf00b00ec898da8000000000e104d13c41798b82de13b701a9697328edd0e08010020b5c452309219da6a3d805615548d6c1b0f4de45a6b48fb13d9a24d857fc03dc40e0901002015a4d5b12856538d02d91fedbb766e6dd377b014c92e216666c8fb678608d20e0e060100186b6d732e6d796465762e73747265616d776964652e636f6d0a070100186b6d732e6d796465762e73747265616d776964652e636f6d1a0000001b00010601011002010404010c0501000601001201041301001401101501020111047d091d2780583bf3b6587639719f0764c00c9b99fd30bc60bc908e02ffbbe7d84d30b04c3cfbe71238af5f199bebad4054343585a2d774de7621b1e60602c94d87b23d05fc095a27e9656c864a13402316311343d23772185465c36e151a461f2f667e241bed6bf740cb8f86658c53b2a5f317b28ea87e1fd8ffda6397951c012fc05db3c145d40749ce22cf09b6affb753fa1c01e7f9afa1088afae88591dc04be5b55c3a642ce95a2a8efa5cbfba5ca1617b9bb6aa853af28c58b7bf76a75a12c38c9ac3f86454ec61838253907d21bad0d362190cd26535ab1035efe6e4cac2e7e59c6644f0e781bf562c2d425c61ba88bf13c27a5cbd1b6389f8e2e5c3be644d5cc90b0ac302d72fe2255296a3d1040700444300000000010000000000016f7ee262ac4da7f5d06a72de86816abe2ddd5bf0000021bc70f370864c4fa8f7a8b3992acc17d2335538bea90d6016992b6b982ae86008f02081d7fc62a48f1ec21dd07025588d9cdc57af1d3f1877ce179424cc6e9fd8f1413fa8d9eac980d2caba66ae48fda247e5de33ec368ab387cb9d74d6524c3cebe5400426cd8b0a33af9b381ee53ebc6841aed5c1c98fb0d2beb9c7ff98d7c79808d1f566659f6b735016192dd9984df56e54f3f95c76ac4638c1f3d3228f3c752c8cc8",
    ),
    (
        "PCK",
        "alice",
        "011a05011699263800010b00ec898da8000000000e1002a28bddaf984c5e0563bc1ce857df830e08010020b5c452309219da6a3d805615548d6c1b0f4de45a6b48fb13d9a24d857fc03dc40e09010020780851cda91a9c33f941cd3a2831697e2893264754e363f8a0cef827eb201a810e060100186b6d732e6d796465762e73747265616d776964652e636f6d0a070100186b6d732e6d796465762e73747265616d776964652e636f6d1a0000001b00010601011002010404010c0501000601001201041301001401101501020111045d3256dbf2078f4a844f9aa371e3f16fa03513a1e7b4e4e7ff4159ada336fd582f162907157bdb4eb096ffd61d6973cfe360a6d55c5a0102c1a7a428019446e3f84c0f9d450a641afa96f302265f6105f198f2f9ad69399319dd814061189810000698e07258a7430ce4f44df80bda93c55d2d42bd9fdb66d40bd3743c7cbfc922705b9efe1d498889f7f7e479eaa0dfbc8846c8c0dd77ddb3b93fda8e1fd2ce0d8ac3acef8176c63135da5dffefae07fa0d72dab00c0169236896d2f636d57d93460daba8461abccee5c45c7d5ce5fb6ab385443de38f9968c0916d6b41ef0ac6465b9adaf282d3690485d5799644ca8af30fe332436ccbf71a0656cf1c4e8cdee0d3b162dd7d48e2274a918ee50d2f04070044430000000001000000000001f6f4156f58542961cbca8fb10e66f16716992638000021a53540022efcccb3685058953c68c1cb1e0df54f6071c3e2425d5e8828852e6f012081403d6f6813d958339a12e67412f5b59b2731affaf58d021dae5169b21bf39318c785cc00f4245301eb371fedc93b1859ecd8e10f2061b1fbbd38ea57be0a28720426cd8b0a33af9b381ee53ebc6841aed5c1c98fb0d2beb9c7ff98d7c79808d1f566659f6b735016192dd9984df56e54f3f95c76ac4638c1f3d3228f3c752c8cc8",
    ),
    (
        "GMK (legacy format for IWF)",
        "gms",
        "011a0501048209a7020000cafebabe000000000000000000000000000b00ec898da8000000000e10cdd4e71ad92cc090f3a13cb66a2ecb180e0801002015a4d5b12856538d02d91fedbb766e6dd377b014c92e216666c8fb678608d20e0e09010020edb3cd733168a81106e366c2ddc0e4bc323e9069d48edfe2b3b0f7033bae962a0e060100186b6d732e6d796465762e73747265616d776964652e636f6d0a070100186b6d732e6d796465762e73747265616d776964652e636f6d1a0000001b00010601011002010404010c0501000601001201041301001401101501020111045e965d90cfd715d06fa7ea46f3082169b2bf18f79961fb08cfb52a23675baedbd59c8a41f9cd4d355deaa3a60f0e603a5d8026cbef553da1466cd910dca3c95469d278c67f58d3ee434494d9bad383f0b983d4ad165f109931f12f91959e18ce2ddee6b4224f9d6ac367ece81f447a2933f06d04465d8e2fd84af45ba17a2e1578f952d220e9c6e0e75261e29389d373c17eec0a716a01f460fffa5771209cb3280678d6eaa04ad85fb60535cd63cb99dc506693bd6d6bc3b6be0df67e1419a51aafe5713db4c906d17764ae4d88c17db7e2b54b9601ae767ee436e4144b6cdbb21e8575461708463ccf330864c0806c48c7926d4220c949f908f6b13916f183b81e376c47097925aea135c8aa179e170407001101000000010000000000000000000000002081ff7ea124b79fa86a815c7ca439f0a35f05af703a6a8213a9069283ce1eedda9a30462624c66d264bce2e5212502d800218d73b09c5c5282d5fbae6ff6cf131ec0468a24d49b184d7008d22f63a415debd38bfa9295f066fa6ada5951c2322d2eca1d6f1d994f22710daef776d9c54d9a338f32395080d6f2bdffb6c7895f12cda2",
    ),
    ];
}

fn user(name: &str) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let (_, uid, ssk, pvt) = vendor::USERS.iter().find(|u| u.0 == name).expect("user");
    (h(uid), h(ssk), h(pvt))
}

#[test]
fn vendor_user_keys_validate() {
    let kpak = Kpak::from_sec1(&h(vendor::KPAK)).unwrap();
    assert_eq!(vendor::USERS.len(), 4);
    for (name, _, _, _) in vendor::USERS {
        let (uid, ssk, pvt) = user(name);
        let ssk = Ssk::from_bytes(&ssk).unwrap();
        SigningKey::new(&kpak, &uid, &ssk, &pvt).unwrap_or_else(|e| panic!("{name}: {e}"));
        // Another user's identifier does not validate this pair.
        let (other, _, _) = user(if *name == "bob" { "alice" } else { "bob" });
        assert_eq!(
            SigningKey::new(&kpak, &other, &ssk, &pvt).map(|_| ()),
            Err(Error::InvalidKey)
        );
    }
}

#[test]
fn vendor_i_message_signatures_verify() {
    let kpak = Kpak::from_sec1(&h(vendor::KPAK)).unwrap();
    assert_eq!(vendor::MESSAGES.len(), 4);
    for (name, initiator, msg_hex) in vendor::MESSAGES {
        let msg = h(msg_hex);
        let (uid, _, pvt) = user(initiator);
        let split = msg.len() - SIGNATURE_LEN;
        let (signed, sig) = msg.split_at(split);
        // The SIGN payload header: S type 2 (ECCSI) and 12-bit length 129.
        assert_eq!(&signed[signed.len() - 2..], &[0x20, 0x81], "{name}");
        assert_eq!(
            &sig[64..],
            pvt.as_slice(),
            "{name}: signature carries the signer's PVT"
        );
        eccsi::verify(&kpak, &uid, signed, sig).unwrap_or_else(|e| panic!("{name}: {e}"));
        let v = Verifier::new(&kpak, &uid, &pvt).unwrap();
        v.verify(signed, sig).unwrap();
        // Without the SIGN header octets it is another message.
        assert_eq!(
            eccsi::verify(&kpak, &uid, &signed[..signed.len() - 2], sig),
            Err(Error::InvalidSignature)
        );
        // The responder's identifier is not the signer.
        let other = vendor::USERS
            .iter()
            .find(|u| u.0 != *initiator)
            .map(|u| h(u.1))
            .unwrap();
        assert_eq!(
            eccsi::verify(&kpak, &other, signed, sig),
            Err(Error::InvalidSignature)
        );
    }
}

#[test]
fn vendor_signers_sign_and_verify() {
    let kpak = Kpak::from_sec1(&h(vendor::KPAK)).unwrap();
    for (name, _, _, _) in vendor::USERS {
        let (uid, ssk, pvt) = user(name);
        let key = SigningKey::new(&kpak, &uid, &Ssk::from_bytes(&ssk).unwrap(), &pvt).unwrap();
        let msg = Sha256::digest(name.as_bytes());
        let sig = key.sign(&msg, &mut rand_core::OsRng).unwrap();
        eccsi::verify(&kpak, &uid, &msg, &sig).unwrap();
    }
}

// ---------------------------------------------------------------------------------------------
// The shared plain-text vectors (tests/vectors/rfc6507_6508.txt, section [rfc6507_eccsi]):
// every field consumed, each checked against a value this crate computes.

const SHARED: &str = include_str!("vectors/rfc6507_6508.txt");

fn shared_section(name: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut inside = false;
    for line in SHARED.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line.starts_with('[') {
            inside = line == format!("[{name}]");
            continue;
        }
        if inside {
            let (k, v) = line.split_once('=').expect("name = value");
            out.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    out
}

#[test]
fn shared_plain_text_vectors_every_field() {
    let fields = shared_section("rfc6507_eccsi");
    let get = |k: &str| {
        let v: Vec<_> = fields.iter().filter(|(n, _)| n == k).collect();
        assert_eq!(v.len(), 1, "field {k} exactly once");
        h(&v[0].1)
    };
    let ksak = Ksak::from_bytes(&get("KSAK")).unwrap();
    let kpak = ksak.kpak();
    assert_eq!(kpak.to_sec1().to_vec(), get("KPAK"));
    let id = get("ID");
    let (ssk, pvt) = ksak.issue_with_fixed_v(&id, &get("v")).unwrap();
    assert_eq!(pvt.to_vec(), get("PVT"));
    assert_eq!(ssk.to_bytes().to_vec(), get("SSK"));
    let key = SigningKey::new(&kpak, &id, &ssk, &pvt).unwrap();
    assert_eq!(key.hs().to_vec(), get("HS"));
    let m = get("M");
    let (sig, j_point, he) = key.sign_with_j_trace(&m, &get("j")).unwrap();
    assert_eq!(j_point.to_vec(), get("J"));
    assert_eq!(sig[..32].to_vec(), get("r"));
    assert_eq!(he.to_vec(), get("HE"));
    // s = s' (it fits in 32 octets).
    assert_eq!(sig[32..64].to_vec(), get("s_prime"));
    assert_eq!(sig[32..64].to_vec(), get("s"));
    assert_eq!(sig.to_vec(), get("Signature"));
    eccsi::verify(&kpak, &id, &m, &get("Signature")).unwrap();
    // Every field of the section was consumed above.
    let mut names: Vec<&str> = fields.iter().map(|(n, _)| n.as_str()).collect();
    names.sort_unstable();
    let mut want = vec![
        "HE",
        "HS",
        "ID",
        "J",
        "KPAK",
        "KSAK",
        "M",
        "PVT",
        "SSK",
        "Signature",
        "j",
        "r",
        "s",
        "s_prime",
        "v",
    ];
    want.sort_unstable();
    assert_eq!(names, want);
}
