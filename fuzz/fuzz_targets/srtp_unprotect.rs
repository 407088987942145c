//! Fuzzes SRTP unprotect (and protect→unprotect round trips) on every profile, with and
//! without MKI. Input: byte 0 picks profile, MKI and mode; byte 1 the replay window; the rest
//! is the packet. Nothing may panic; a round trip must give the packet back; a rejected packet
//! must leave the buffer as it was.
#![no_main]

use libfuzzer_sys::fuzz_target;
use prose_sec::srtp::{MasterKey, Policy, Profile, Session};

fn session(profile: Profile, mki: bool, window: usize) -> Session {
    let key: Vec<u8> = (0..profile.key_len() as u8).collect();
    let salt: Vec<u8> = (0..profile.salt_len() as u8).map(|x| x ^ 0x77).collect();
    let mut mk = MasterKey::new(&key, &salt).expect("fixed key lengths match the profile");
    if mki {
        mk = mk.with_mki(&[0xde, 0xad]).expect("2-octet MKI");
    }
    Session::new(&Policy::new(profile, mk).with_replay_window(window)).expect("valid policy")
}

fuzz_target!(|data: &[u8]| {
    let (Some(&sel), Some(&w)) = (data.first(), data.get(1)) else {
        return;
    };
    let pkt = &data[2..];
    let profile = Profile::ALL[(sel & 7) as usize];
    let mki = sel & 8 != 0;
    let roundtrip = sel & 16 != 0;
    let window = 64 + (w as usize % 253) * 16; // 64..=4096
    let mut rx = session(profile, mki, window);
    let mut buf = pkt.to_vec();
    buf.resize(pkt.len() + rx.max_overhead(), 0);
    if roundtrip {
        let mut tx = session(profile, mki, window);
        if let Ok(n) = tx.protect_rtp(&mut buf, pkt.len()) {
            let m = rx
                .unprotect_rtp(&mut buf, n)
                .expect("our own packet authenticates");
            assert_eq!(&buf[..m], pkt);
            // The same packet again is a replay.
            let mut again = buf.clone();
            let n2 = tx.protect_rtp(&mut again, m);
            assert!(n2.is_err(), "the sender refuses to reuse an index");
        }
    } else {
        let before = buf.clone();
        if rx.unprotect_rtp(&mut buf, pkt.len()).is_err() {
            assert_eq!(buf, before, "a rejected packet is left as it was");
        }
    }
});
