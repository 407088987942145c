//! Any bytes: the MIKEY parser returns a message or a typed error, and a parsed message
//! re-builds to the same octets and decodes to text.
#![no_main]
use libfuzzer_sys::fuzz_target;
use prose_sec::mikey::{describe, rebuild, Message};

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = Message::parse(data) {
        assert_eq!(rebuild(&m).as_deref(), Ok(data));
        assert!(describe(data).is_ok());
    }
});
