//! Fuzzes SRTCP unprotect (and protect→unprotect round trips) on every profile, with and
//! without MKI. Input: byte 0 picks profile, MKI and mode; the rest is the packet.
#![no_main]

use libfuzzer_sys::fuzz_target;
use prose_sec::srtp::{MasterKey, Policy, Profile, Session};

fn session(profile: Profile, mki: bool) -> Session {
    let key: Vec<u8> = (0..profile.key_len() as u8)
        .map(|x| x.wrapping_mul(3))
        .collect();
    let salt: Vec<u8> = (0..profile.salt_len() as u8).collect();
    let mut mk = MasterKey::new(&key, &salt).expect("fixed key lengths match the profile");
    if mki {
        mk = mk.with_mki(&[1, 2, 3, 4]).expect("4-octet MKI");
    }
    Session::new(&Policy::new(profile, mk)).expect("valid policy")
}

fuzz_target!(|data: &[u8]| {
    let Some((&sel, pkt)) = data.split_first() else {
        return;
    };
    let profile = Profile::ALL[(sel & 7) as usize];
    let mki = sel & 8 != 0;
    let mut rx = session(profile, mki);
    let mut buf = pkt.to_vec();
    buf.resize(pkt.len() + rx.max_overhead(), 0);
    if sel & 16 != 0 {
        let mut tx = session(profile, mki);
        if let Ok(n) = tx.protect_rtcp(&mut buf, pkt.len()) {
            let m = rx
                .unprotect_rtcp(&mut buf, n)
                .expect("our own packet authenticates");
            assert_eq!(&buf[..m], pkt);
            // Delivered twice, it is a replay.
            let mut again = buf[..m].to_vec();
            again.resize(n, 0);
            let n2 = tx
                .protect_rtcp(&mut again, m)
                .expect("protects again with a new index");
            assert_eq!(n2, n);
        }
    } else {
        let before = buf.clone();
        if rx.unprotect_rtcp(&mut buf, pkt.len()).is_err() {
            assert_eq!(buf, before, "a rejected packet is left as it was");
        }
    }
});
