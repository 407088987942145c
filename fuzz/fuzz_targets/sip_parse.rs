//! The strict SIP parser: never panics; what it accepts writes back to octets it accepts again
//! with the same meaning.
#![no_main]
use libfuzzer_sys::fuzz_target;
use prose_sec_net::sip::SipMessage;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = SipMessage::parse(data) {
        let again = SipMessage::parse(&m.to_bytes()).expect("a parsed message re-parses");
        assert_eq!(again, m);
        let _ = (m.cseq(), m.call_id(), m.method(), prose_sec_net::sip::via_branch(&m));
    }
});
