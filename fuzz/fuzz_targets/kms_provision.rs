//! Any bytes as a KMS interface document: the reader returns a response or a typed error, what
//! it returns converts or fails with a typed error, and a response that writes back reads again
//! and writes back to the same octets.
#![no_main]
use libfuzzer_sys::fuzz_target;
use prose_sec::kms::provision::{parse, KmsMessage, ResponseBody};
use prose_sec::kms::{IdFormat, KeyPeriods};

fuzz_target!(|data: &[u8]| {
    let Ok(r) = parse(data) else { return };
    let periods = KeyPeriods::new(
        b"kms.example.org",
        IdFormat::Mcptt {
            period_secs: 2_419_200,
            offset_secs: 0,
        },
    )
    .unwrap();
    if let ResponseBody::Message(KmsMessage::CertCache(c)) = &r.body {
        for cert in &c.certificates {
            let _ = cert.to_certificate();
        }
    }
    if let Some(cert) = r.certificate() {
        let _ = cert.to_certificate();
    }
    for set in r.key_sets() {
        let _ = set.to_key_set(&periods);
    }
    if let Ok(xml) = r.to_xml() {
        let again = parse(&xml).expect("a written document reads again");
        let xml2 = again.to_xml().expect("and writes again");
        assert_eq!(xml.as_slice(), xml2.as_slice());
    }
});
