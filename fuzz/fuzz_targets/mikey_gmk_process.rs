//! Any bytes as a GMK I_MESSAGE to a member: never a panic. The member's keys are real (a fixed
//! KMS), so only a correctly signed and encrypted message could be accepted.
#![no_main]
use libfuzzer_sys::fuzz_target;
use prose_sec::eccsi::Ksak;
use prose_sec::mikey::{process_gmk_message, GmkPolicy, MemberContext, Profile};
use prose_sec::sakke::{DecapsulationKey, KmsSecret};
use std::sync::OnceLock;

struct Keys {
    kpak: prose_sec::eccsi::Kpak,
    dk: DecapsulationKey,
}

fn keys() -> &'static Keys {
    static K: OnceLock<Keys> = OnceLock::new();
    K.get_or_init(|| {
        let z = KmsSecret::from_bytes(&[0x42; 20]).expect("fixed z");
        let ksak = Ksak::from_bytes(&[0x24; 32]).expect("fixed ksak");
        let id = prose_sec::mikey::prose_identifier(b"sip:m@example.org", 0).expect("id");
        let rsk = z.issue_rsk(&id).expect("rsk");
        Keys {
            kpak: ksak.kpak(),
            dk: DecapsulationKey::new(&z.public(), &id, &rsk).expect("dk"),
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let k = keys();
    let me = MemberContext {
        uri: b"sip:m@example.org",
        uid: &[],
        key: &k.dk,
    };
    let policy = GmkPolicy::new(Profile::Prose);
    let _ = process_gmk_message(data, &policy, &me, &|_| true, &k.kpak, 0);
});
