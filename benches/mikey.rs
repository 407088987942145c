//! Criterion benchmarks for the MIKEY messages, with the peer beside it in the same run.
//!
//! - `parse/gmk_i_message`: zero-copy parse of the vendor's full GMK I_MESSAGE (target < 2 µs).
//! - `psk/process`: a GSK offer processed by the receiver (transport keys, MAC, decrypt,
//!   replay check; no signature) (target < 5 µs).
//! - `gmk/*`: the member's whole processing of the vendor GMK message (parse, checks,
//!   ECCSI verify, SAKKE decapsulation, GUK-ID, key-parameters GCM) with wolfSSL doing the
//!   identity-based operations, next to the same two wolfSSL operations alone: the
//!   difference is the cost of the MIKEY layer (target ≤ 5 %).

use prose_sec_peers::vectors;
use prose_sec_peers::wolfssl::mikey as wolf;

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use prose_sec::group::GskReceiver;
use prose_sec::mikey::{
    self, build_gsk_offer, process_gmk_message, GmkPolicy, GskOffer, MemberContext, Message,
    Profile, PskPolicy, SakkeDecapsulator, SignatureVerifier, SrtpId,
};
use prose_sec::srtp::Profile as SrtpProfile;

const FILE: &str = "mikey_ts33180.txt";
const VENDOR_NOW: u64 = 0xec898da8;
const GMK: [u8; 16] = [0x33; 16];
const GMK_ID: u32 = 0x0765_4321;

struct Vendor {
    msg: Vec<u8>,
    z: Vec<u8>,
    kpak: Vec<u8>,
    alice_uri: String,
    alice_uid: Vec<u8>,
    alice_rsk: Vec<u8>,
    gms_uid: Vec<u8>,
    gms_ssk: Vec<u8>,
    gms_pvt: Vec<u8>,
}

fn vendor() -> Vendor {
    let k = vectors::load(FILE, "kms").pop().unwrap();
    let _ = (
        k.get("kms_uri"),
        k.get("key_period"),
        k.get("key_period_offset"),
    );
    let mut v = Vendor {
        msg: Vec::new(),
        z: k.hex("z"),
        kpak: k.hex("kpak"),
        alice_uri: String::new(),
        alice_uid: Vec::new(),
        alice_rsk: Vec::new(),
        gms_uid: Vec::new(),
        gms_ssk: Vec::new(),
        gms_pvt: Vec::new(),
    };
    for u in vectors::load(FILE, "user") {
        let _ = u.get("key_period_no");
        let (uri, uid, rsk) = (u.get("uri").to_string(), u.hex("uid"), u.hex("rsk"));
        let (ssk, pvt) = (u.hex("ssk"), u.hex("pvt"));
        match u.get("name") {
            "alice" => (v.alice_uri, v.alice_uid, v.alice_rsk) = (uri, uid, rsk),
            "gms" => (v.gms_uid, v.gms_ssk, v.gms_pvt) = (uid, ssk, pvt),
            _ => {}
        }
    }
    for b in vectors::load(FILE, "i_message") {
        let _ = (
            b.get("ssv"),
            b.get("key_id"),
            b.get("rand"),
            b.get("guk_id"),
        );
        let _ = (b.get("initiator_uri"), b.get("responder_uri"));
        let m = b.hex("message");
        if b.get("name") == "gmk" {
            v.msg = m;
        }
    }
    v
}

fn bench(c: &mut Criterion) {
    let v = vendor();

    c.bench_function("parse/gmk_i_message", |b| {
        b.iter(|| {
            let m = Message::parse(black_box(&v.msg)).unwrap();
            black_box(m.sign().unwrap().signature.len())
        })
    });

    let senders = [SrtpId {
        policy_no: 0,
        ssrc: 1,
        roc: 0,
    }];
    let t_secs = 3_900_000_000u64;
    let offer = GskOffer {
        prf: 0,
        gsk_id: 0x0102_0304,
        senders: &senders,
        initiator_uri: b"sip:alice@example.org",
        group_uri: b"sip:group@example.org",
        gmk_id: GMK_ID,
        profile: SrtpProfile::Aes128CmHmacSha1_80,
        t: t_secs << 32,
        rand: [7; 16],
        mki: &[],
    };
    let psk = build_gsk_offer(&offer, &GMK, &[1; 16], &[2; 14], None).unwrap();
    let mut rx = GskReceiver::new(PskPolicy::default());
    let lookup = |_: &[u8], id: u32| (id == GMK_ID).then_some(&GMK[..]);
    c.bench_function("psk/process", |b| {
        b.iter(|| {
            let k = rx.process(black_box(&psk), t_secs, lookup, None).unwrap();
            black_box(k.master_key()[0])
        })
    });

    let member = wolf::WolfMember {
        z: v.z.clone(),
        id: v.alice_uid.clone(),
        rsk: v.alice_rsk.clone(),
    };
    let ver = wolf::WolfVerifier {
        kpak: v.kpak.clone(),
    };
    let me = MemberContext {
        uri: v.alice_uri.as_bytes(),
        uid: &v.alice_uid,
        key: &member,
    };
    let gms = v.gms_uid.clone();
    let is_group = |id: &[u8]| id == gms.as_slice();
    let policy = GmkPolicy::new(Profile::Mcptt);
    let m = Message::parse(&v.msg).unwrap();
    let signed = m.signed_part().unwrap().to_vec();
    let sig = m.sign().unwrap().signature.to_vec();
    let sed = m.sakke().unwrap().sed.to_vec();

    let mut g = c.benchmark_group("gmk");
    g.sample_size(20);
    g.bench_function("peer_wolfssl_verify_plus_decapsulate", |b| {
        b.iter(|| {
            ver.verify(&v.gms_uid, black_box(&signed), &sig).unwrap();
            black_box(member.decapsulate(&sed).unwrap()[0])
        })
    });
    g.bench_function("ours_process_gmk_message_with_wolfssl", |b| {
        b.iter(|| {
            let r =
                process_gmk_message(black_box(&v.msg), &policy, &me, &is_group, &ver, VENDOR_NOW)
                    .unwrap();
            black_box(r.gmk_id())
        })
    });
    // Building one member's message: encapsulate + sign (wolfSSL) alone, and our builder
    // around the same two operations.
    let kms = wolf::WolfKms { z: v.z.clone() };
    let signer = wolf::WolfSigner {
        kpak: v.kpak.clone(),
        id: v.gms_uid.clone(),
        ssk: v.gms_ssk.clone(),
        pvt: v.gms_pvt.clone(),
    };
    let params = mikey::genext::KeyParams {
        key_type: 0,
        status: 1,
        activation: 0,
        expiry: 0,
        text: vec![],
        group_ids: Some(vec![0, 1, 0]),
    };
    let spec = mikey::GmkMessageSpec {
        profile: Profile::Mcptt,
        gmk_id: 0x0df9_bc39,
        t: VENDOR_NOW << 32,
        rand: [1; 16],
        initiator: &v.gms_uid,
        responder: &v.alice_uid,
        member_uri: v.alice_uri.as_bytes(),
        member_id: &v.alice_uid,
        kms_uri: b"kms.mydev.streamwide.com",
        sp: Some(SrtpProfile::AeadAes128Gcm),
        key_params: Some(&params),
        key_params_header: mikey::key_params_header([2; 16], 0),
    };
    g.bench_function("peer_wolfssl_encapsulate_plus_sign", |b| {
        b.iter(|| {
            let sed = mikey::SakkeEncapsulator::encapsulate(&kms, &v.alice_uid, &GMK).unwrap();
            black_box(
                mikey::MessageSigner::sign(&signer, black_box(&v.msg[..v.msg.len() - 129]))
                    .unwrap()[0]
                    ^ sed[0],
            )
        })
    });
    g.bench_function("ours_build_gmk_message_with_wolfssl", |b| {
        b.iter(|| {
            black_box(
                mikey::build_gmk_message(&spec, &GMK, &kms, &signer)
                    .unwrap()
                    .len(),
            )
        })
    });
    g.finish();

    // The same with the crate's own SAKKE and ECCSI: the MIKEY layer's cost over the two
    // identity-based operations it wraps.
    let kms_pub = prose_sec::sakke::KmsPublic::from_bytes(&v.z).unwrap();
    let dk = prose_sec::sakke::DecapsulationKey::new(
        &kms_pub,
        &v.alice_uid,
        &prose_sec::sakke::Rsk::from_bytes(&v.alice_rsk).unwrap(),
    )
    .unwrap();
    let kpak = prose_sec::eccsi::Kpak::from_sec1(&v.kpak).unwrap();
    let sk = prose_sec::eccsi::SigningKey::new(
        &kpak,
        &v.gms_uid,
        &prose_sec::eccsi::Ssk::from_bytes(&v.gms_ssk).unwrap(),
        &v.gms_pvt,
    )
    .unwrap();
    let me_c = MemberContext {
        uri: v.alice_uri.as_bytes(),
        uid: &v.alice_uid,
        key: &dk,
    };
    let mut g = c.benchmark_group("gmk_crate");
    g.sample_size(20);
    g.bench_function("eccsi_verify_plus_sakke_decapsulate", |b| {
        b.iter(|| {
            prose_sec::eccsi::verify(&kpak, &v.gms_uid, black_box(&signed), &sig).unwrap();
            black_box(dk.decapsulate(&sed).unwrap().as_bytes()[0])
        })
    });
    g.bench_function("process_gmk_message", |b| {
        b.iter(|| {
            let r = process_gmk_message(
                black_box(&v.msg),
                &policy,
                &me_c,
                &is_group,
                &kpak,
                VENDOR_NOW,
            )
            .unwrap();
            black_box(r.gmk_id())
        })
    });
    g.bench_function("sakke_encapsulate_plus_eccsi_sign", |b| {
        b.iter(|| {
            let ssv = prose_sec::sakke::Ssv::new(GMK);
            let sed = prose_sec::sakke::encapsulate(&kms_pub, &v.alice_uid, &ssv).unwrap();
            let s = sk
                .sign(
                    black_box(&v.msg[..v.msg.len() - 129]),
                    &mut rand_core::OsRng,
                )
                .unwrap();
            black_box(s[0] ^ sed[0])
        })
    });
    g.bench_function("build_gmk_message", |b| {
        b.iter(|| {
            black_box(
                mikey::build_gmk_message(&spec, &GMK, &kms_pub, &sk)
                    .unwrap()
                    .len(),
            )
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
