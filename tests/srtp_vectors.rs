//! Known-answer tests from tests/vectors/srtp_rfc.txt (RFC 3711 B.2/B.3, RFC 6188 §7,
//! RFC 7714 §16–17, libsrtp's reference packet). Every field of every record is consumed.
use std::collections::BTreeMap;

use prose_sec::srtp::{self, kdf, MasterKey, Policy, Profile, Session};
use prose_sec::Error;

struct Record {
    line: usize,
    fields: BTreeMap<String, String>,
}

impl Record {
    fn take(&mut self, k: &str) -> String {
        self.fields
            .remove(k)
            .unwrap_or_else(|| panic!("record at line {}: missing field {k}", self.line))
    }
    fn hex(&mut self, k: &str) -> Vec<u8> {
        let v: String = self
            .take(k)
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        hex::decode(v).unwrap_or_else(|e| panic!("line {}: field {k}: {e}", self.line))
    }
    fn done(self) {
        assert!(
            self.fields.is_empty(),
            "record at line {}: unconsumed fields {:?}",
            self.line,
            self.fields.keys().collect::<Vec<_>>()
        );
    }
}

fn records() -> Vec<Record> {
    let text = include_str!("vectors/srtp_rfc.txt");
    let mut out = Vec::new();
    let mut cur: Option<Record> = None;
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        if line.is_empty() {
            if let Some(r) = cur.take() {
                out.push(r);
            }
            continue;
        }
        let (k, v) = line.split_once('=').expect("key = value");
        let r = cur.get_or_insert_with(|| Record {
            line: i + 1,
            fields: BTreeMap::new(),
        });
        assert!(r
            .fields
            .insert(k.trim().to_string(), v.trim().to_string())
            .is_none());
    }
    if let Some(r) = cur.take() {
        out.push(r);
    }
    out
}

fn profile(name: &str) -> Profile {
    *Profile::ALL
        .iter()
        .find(|p| p.name() == name)
        .unwrap_or_else(|| panic!("unknown profile {name}"))
}

fn keystream(r: &mut Record) {
    let key = r.hex("key");
    let iv: [u8; 16] = r.hex("iv").try_into().unwrap();
    let blocks = r.take("blocks");
    let mut want = Vec::new();
    for b in blocks.split(',') {
        let (off, hx) = b.split_once(':').unwrap();
        want.push((
            usize::from_str_radix(off.trim(), 16).unwrap(),
            hex::decode(hx.trim()).unwrap(),
        ));
    }
    let max = want.iter().map(|w| w.0).max().unwrap() + 1;
    let mut ks = vec![0u8; max * 16];
    srtp::aes_cm_keystream(&key, &iv, &mut ks).unwrap();
    for (off, block) in want {
        assert_eq!(
            hex::encode(&ks[off * 16..off * 16 + 16]),
            hex::encode(block),
            "line {} block {off:x}",
            r.line
        );
    }
}

fn kdf_record(r: &mut Record) {
    let mk = r.hex("master_key");
    let ms = r.hex("master_salt");
    let ck = r.hex("cipher_key");
    let cs = r.hex("cipher_salt");
    let ak = r.hex("auth_key");
    let mut out = vec![0u8; ck.len()];
    kdf::derive(&mk, &ms, kdf::Label::RtpEncryption, &mut out).unwrap();
    assert_eq!(out, ck, "cipher key, line {}", r.line);
    let mut out = vec![0u8; cs.len()];
    kdf::derive(&mk, &ms, kdf::Label::RtpSalt, &mut out).unwrap();
    assert_eq!(out, cs, "cipher salt, line {}", r.line);
    let mut out = vec![0u8; ak.len()];
    kdf::derive(&mk, &ms, kdf::Label::RtpAuth, &mut out).unwrap();
    assert_eq!(out, ak, "auth key, line {}", r.line);
}

fn rtp_record(r: &mut Record) {
    let p = profile(&r.take("profile"));
    let key = r.hex("key");
    let salt = r.hex("salt");
    let roc: u32 = r.take("roc").parse().unwrap();
    let plain = r.hex("plain");
    let protected = r.hex("protected");
    let ssrc = u32::from_be_bytes(plain[8..12].try_into().unwrap());

    let mut tx = Session::with_session_keys_for_vectors(p, &key, &salt, &[]).unwrap();
    tx.set_roc(ssrc, roc).unwrap();
    let mut buf = plain.clone();
    buf.resize(plain.len() + tx.max_overhead(), 0);
    let n = tx.protect_rtp(&mut buf, plain.len()).unwrap();
    assert_eq!(
        hex::encode(&buf[..n]),
        hex::encode(&protected),
        "line {}",
        r.line
    );

    let mut rx = Session::with_session_keys_for_vectors(p, &key, &salt, &[]).unwrap();
    rx.set_roc(ssrc, roc).unwrap();
    let mut buf = protected.clone();
    // A flipped bit anywhere fails, and leaves the packet and the session as they were.
    buf[20] ^= 1;
    assert_eq!(
        rx.unprotect_rtp(&mut buf, protected.len()),
        Err(Error::AuthFailed)
    );
    buf[20] ^= 1;
    assert_eq!(buf, protected);
    let n = rx.unprotect_rtp(&mut buf, protected.len()).unwrap();
    assert_eq!(
        hex::encode(&buf[..n]),
        hex::encode(&plain),
        "line {}",
        r.line
    );
}

fn rtcp_record(r: &mut Record) {
    let p = profile(&r.take("profile"));
    let key = r.hex("key");
    let salt = r.hex("salt");
    let index = u32::from_str_radix(&r.take("index"), 16).unwrap();
    let plain = r.hex("plain");
    let protected = r.hex("protected");
    let ssrc = u32::from_be_bytes(plain[4..8].try_into().unwrap());

    let mut tx = Session::with_session_keys_for_vectors(p, &key, &salt, &[]).unwrap();
    tx.set_srtcp_index(ssrc, index).unwrap();
    let mut buf = plain.clone();
    buf.resize(plain.len() + tx.max_overhead(), 0);
    let n = tx.protect_rtcp(&mut buf, plain.len()).unwrap();
    assert_eq!(
        hex::encode(&buf[..n]),
        hex::encode(&protected),
        "line {}",
        r.line
    );

    let mut rx = Session::with_session_keys_for_vectors(p, &key, &salt, &[]).unwrap();
    let mut buf = protected.clone();
    buf[30] ^= 8;
    assert_eq!(
        rx.unprotect_rtcp(&mut buf, protected.len()),
        Err(Error::AuthFailed)
    );
    buf[30] ^= 8;
    let n = rx.unprotect_rtcp(&mut buf, protected.len()).unwrap();
    assert_eq!(
        hex::encode(&buf[..n]),
        hex::encode(&plain),
        "line {}",
        r.line
    );
}

fn rtp_master_record(r: &mut Record) {
    let p = profile(&r.take("profile"));
    let mk = MasterKey::new(&r.hex("master_key"), &r.hex("master_salt")).unwrap();
    let plain = r.hex("plain");
    let protected = r.hex("protected");
    let policy = Policy::new(p, mk);
    let mut tx = Session::new(&policy).unwrap();
    let mut buf = plain.clone();
    buf.resize(plain.len() + tx.max_overhead(), 0);
    let n = tx.protect_rtp(&mut buf, plain.len()).unwrap();
    assert_eq!(
        hex::encode(&buf[..n]),
        hex::encode(&protected),
        "line {}",
        r.line
    );
    let mut rx = Session::new(&policy).unwrap();
    let n = rx.unprotect_rtp(&mut buf, n).unwrap();
    assert_eq!(&buf[..n], &plain[..]);
}

#[test]
fn srtp_known_answers() {
    let mut seen = BTreeMap::<String, usize>::new();
    for mut r in records() {
        let kind = r.take("kind");
        let _source = r.take("source");
        match kind.as_str() {
            "keystream" => keystream(&mut r),
            "kdf" => kdf_record(&mut r),
            "rtp" => rtp_record(&mut r),
            "rtcp" => rtcp_record(&mut r),
            "rtp_master" => rtp_master_record(&mut r),
            k => panic!("unknown kind {k}"),
        }
        *seen.entry(kind).or_default() += 1;
        r.done();
    }
    assert_eq!(seen.get("keystream"), Some(&2));
    assert_eq!(seen.get("kdf"), Some(&2));
    assert_eq!(seen.get("rtp"), Some(&2));
    assert_eq!(seen.get("rtcp"), Some(&2));
    assert_eq!(seen.get("rtp_master"), Some(&1));
}
