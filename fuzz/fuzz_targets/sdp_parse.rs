//! Any text as an SDP body: the key-mgmt reader returns a message or a typed error, and what it
//! returns formats back to a line it reads again.
#![no_main]
use libfuzzer_sys::fuzz_target;
use prose_sec::sdp::{format_key_mgmt, parse_key_mgmt};

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = core::str::from_utf8(data) {
        if let Ok(m) = parse_key_mgmt(s, true) {
            assert_eq!(
                parse_key_mgmt(&format_key_mgmt(&m), false).as_deref(),
                Ok(&m[..])
            );
        }
    }
});
