//! Any bytes as a KMS service request: split at the first two NUL octets into a path, an
//! Authorization header value and a KmsRequest body. The path parser, the header reader and
//! the body parser return a value or a typed refusal and never panic; a body that parses
//! writes back (as the client writes it) and reads again to the same fields.
#![no_main]
use libfuzzer_sys::fuzz_target;
use prose_sec_kms_server::client::{datetime, kms_request_xml};
use prose_sec_kms_server::request::{
    bearer_token, parse_datetime, parse_kms_request, parse_path, PREFIX,
};

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(3, |&b| b == 0);
    let path = parts.next().unwrap_or_default();
    let header = parts.next().unwrap_or_default();
    let body = parts.next().unwrap_or_default();

    let path = String::from_utf8_lossy(path);
    let _ = parse_path(&path);
    let _ = parse_path(&format!("{PREFIX}{path}"));
    if let Ok(t) = bearer_token(header) {
        assert!(!t.is_empty() && !t.contains(' '));
    }
    let Ok(r) = parse_kms_request(body) else { return };
    // Times round-trip through the writer's format.
    assert_eq!(parse_datetime(&datetime(r.time)), Some(r.time));
    let plain = |s: &str| s.chars().all(|c| !c.is_control());
    if plain(&r.user_uri) && plain(&r.kms_uri) && plain(&r.client_req_url) {
        let again = parse_kms_request(
            kms_request_xml(&r.user_uri, &r.kms_uri, &r.client_req_url, r.time).as_bytes(),
        )
        .expect("a written request reads back");
        assert_eq!(
            (again.user_uri, again.kms_uri, again.client_req_url, again.time),
            (r.user_uri, r.kms_uri, r.client_req_url, r.time)
        );
    }
});
