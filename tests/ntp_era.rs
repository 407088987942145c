//! NTP era 1 (from 2036-02-07, NTP seconds ≥ 2^32): builders drop the era as NTP does,
//! receivers restore it from their clock, identifiers name the right month, and times past
//! the end of era 1 are refused instead of being truncated.
use prose_sec::eccsi::{Ksak, SigningKey};
use prose_sec::group::GskReceiver;
use prose_sec::group::{self, GmkStore};
use prose_sec::mikey::{self, PskPolicy, NTP_MAX_SECS};
use prose_sec::sakke::{DecapsulationKey, KmsSecret};
use prose_sec::srtp::Profile;
use prose_sec::Error;
use rand_core::OsRng;

const ERA1: u64 = 1 << 32;
const KMS: &[u8] = b"kms.example.org";
const GROUP: &[u8] = b"sip:group@example.org";
const ALICE: &[u8] = b"sip:alice@example.org";
const BOB: &[u8] = b"sip:bob@example.org";

#[test]
fn era_extension_picks_the_nearest_era() {
    assert_eq!(mikey::ntp_era_extend(5, ERA1 - 3), ERA1 + 5);
    assert_eq!(mikey::ntp_era_extend(u32::MAX - 2, ERA1 + 4), ERA1 - 3);
    assert_eq!(mikey::ntp_era_extend(1000, 2000), 1000);
    assert_eq!(
        mikey::ntp_era_extend(u32::MAX, 5),
        u32::MAX as u64,
        "no era -1"
    );
    assert_eq!(mikey::ntp_timestamp(ERA1 + 7).unwrap(), 7 << 32);
    assert_eq!(mikey::ntp_timestamp(ERA1 - 1).unwrap(), (ERA1 - 1) << 32);
    assert_eq!(
        mikey::ntp_timestamp(NTP_MAX_SECS + 1),
        Err(Error::InvalidParameter)
    );
    // 2^32 NTP seconds is 2036-02-07 06:28:16 UTC.
    assert!(mikey::prose_identifier(BOB, ERA1)
        .unwrap()
        .starts_with(b"2036-02\0"));
    assert!(mikey::prose_identifier(BOB, ERA1 + 86_400 * 30)
        .unwrap()
        .starts_with(b"2036-03\0"));
    let now = mikey::ntp_now_secs().unwrap();
    assert!(now > 3_900_000_000 && now < ERA1, "{now}");
}

#[test]
fn messages_across_the_era_boundary() {
    let z = KmsSecret::generate(&mut OsRng);
    let ksak = Ksak::generate(&mut OsRng);
    let kpak = ksak.kpak();
    let t = ERA1 + 100; // in era 1
    let signer = |uri: &[u8], at: u64| {
        let id = mikey::prose_identifier(uri, at).unwrap();
        let (ssk, pvt) = ksak.issue(&id, &mut OsRng).unwrap();
        SigningKey::new(&kpak, &id, &ssk, &pvt).unwrap()
    };
    let id = mikey::prose_identifier(BOB, t).unwrap();
    let rsk = z.issue_rsk(&id).unwrap();
    let bob = DecapsulationKey::new(&z.public(), &id, &rsk).unwrap();
    let gmk = [0x42u8; 16];
    let msg = group::build_prose_gmk_message(
        &z.public(),
        &signer(GROUP, t),
        GROUP,
        BOB,
        KMS,
        0x0000_0101,
        t,
        &gmk,
    )
    .unwrap();
    let mut store = GmkStore::default();
    assert_eq!(
        store.process_prose_message(&kpak, &bob, BOB, GROUP, t + 3, &msg),
        Ok(0x0000_0101)
    );
    // A GSK offer made 2 s before the boundary, received 3 s after it: 5 s apart, fresh, and
    // signed as the identity of the month it was made in (2036-02 either way).
    let before = ERA1 - 2;
    let offer = group::build_prose_gsk_offer(
        &store,
        0x0000_0101,
        ALICE,
        GROUP,
        Profile::Aes128CmHmacSha1_80,
        &[3; 16],
        &[4; 14],
        9,
        &[(1, 0)],
        before,
        Some(&signer(ALICE, before)),
    )
    .unwrap();
    let mut rx = GskReceiver::new(PskPolicy {
        require_signature: true,
        ..PskPolicy::default()
    });
    let k = rx
        .process(&offer, ERA1 + 3, store.lookup(ERA1 + 3), Some(&kpak))
        .unwrap();
    assert_eq!(k.master_key(), &[3; 16]);
    // Past the end of era 1 the builders refuse rather than truncate T.
    assert_eq!(
        group::build_prose_gmk_message(
            &z.public(),
            &signer(GROUP, t),
            GROUP,
            BOB,
            KMS,
            0x0000_0101,
            NTP_MAX_SECS + 1,
            &gmk,
        )
        .unwrap_err(),
        Error::InvalidParameter
    );
}
