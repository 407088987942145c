//! Regression: an interval set after the call started moves the first re-send (it stayed at
//! the default 5 s, so a call with 1 s re-sends sent none in its first seconds).
use prose_sec::kms::IdFormat;
use prose_sec::srtp::Profile;
use prose_sec_net::scenario::{provision, GROUP};
use rand_core::OsRng;

#[test]
fn set_resend_secs_moves_the_scheduled_resend() {
    let now = prose_sec::mikey::ntp_now_secs().unwrap();
    let mut w = provision(2, IdFormat::Prose, now).unwrap();
    let g = w.manager.create_gmk(0, 0, &mut OsRng).unwrap();
    for n in w.manager.notifications(g, now, &mut OsRng).unwrap() {
        let m = w.members.iter_mut().find(|m| m.uri() == n.member).unwrap();
        m.handle(&n.message, now);
    }
    let m = &w.members[0];
    let signer = m.signing_key(now).cloned();
    let mut call = m
        .start_call(
            GROUP.as_bytes(),
            Profile::Aes128CmHmacSha1_80,
            &[1],
            now,
            true,
        )
        .unwrap();
    call.set_resend_secs(1).unwrap();
    assert!(call.resend_due(now, signer.as_ref()).unwrap().is_none());
    assert!(call.resend_due(now + 1, signer.as_ref()).unwrap().is_some());
    assert!(call.resend_due(now + 1, signer.as_ref()).unwrap().is_none());
    assert!(call.resend_due(now + 2, signer.as_ref()).unwrap().is_some());
    // Longer than the default: nothing before it.
    call.set_resend_secs(30).unwrap();
    assert!(call
        .resend_due(now + 31, signer.as_ref())
        .unwrap()
        .is_none());
    assert!(call
        .resend_due(now + 32, signer.as_ref())
        .unwrap()
        .is_some());
}
