//! Any bytes as a GSK offer to a receiver holding one GMK: never a panic, and anything
//! accepted carries the GMK-ID it was looked up by.
#![no_main]
use libfuzzer_sys::fuzz_target;
use prose_sec::mikey::{PskPolicy};
use prose_sec::group::GskReceiver;

const GMK: [u8; 16] = [7; 16];
const GMK_ID: u32 = 0x0123_4567;

fuzz_target!(|data: &[u8]| {
    let mut rx = GskReceiver::new(PskPolicy {
        max_skew_secs: u64::MAX,
        ..PskPolicy::default()
    });
    let lookup = |_: &[u8], id: u32| (id == GMK_ID).then_some(&GMK[..]);
    if let Ok(k) = rx.process(data, 0, lookup, None) {
        assert_eq!(k.gmk_id(), GMK_ID);
    }
});
