//! GBA: Ks_NAF against an independent computation (OpenSSL's HMAC over the FC 0x01 string
//! built octet by octet here), and the KMS over TLS-PSK with that key as a real OpenSSL
//! client sees it.
#![cfg(feature = "gba")]

mod common;

use std::collections::HashMap;
use std::sync::Arc;

use common::*;
use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::sign::Signer;
use openssl::ssl::{SslConnector, SslMethod, SslVerifyMode, SslVersion};
use prose_sec_kms_server::gba::{self, Bootstrap, Bsf};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const UA_TLS_PSK: [u8; 5] = [0x01, 0x00, 0x00, 0x00, 0x02];
const B_TID: &str = "dGVzdGJ0aWQ=@bsf.example.org";
const IMPI: &str = "001010000000001@ims.mnc001.mcc001.3gppnetwork.org";

fn independent_ks_naf(ks: &[u8], rand: &[u8], impi: &[u8], naf_id: &[u8]) -> Vec<u8> {
    let mut s = vec![0x01];
    for p in [&b"gba-me"[..], rand, impi, naf_id] {
        s.extend_from_slice(p);
        s.push((p.len() >> 8) as u8);
        s.push(p.len() as u8);
    }
    let key = PKey::hmac(ks).unwrap();
    let mut signer = Signer::new(MessageDigest::sha256(), &key).unwrap();
    signer.update(&s).unwrap();
    signer.sign_to_vec().unwrap()
}

struct StaticBsf(HashMap<String, (Vec<u8>, [u8; 16], String, String)>);

impl Bsf for StaticBsf {
    fn lookup(&self, b_tid: &str) -> Option<Bootstrap> {
        self.0.get(b_tid).map(|(ks, rand, impi, uri)| Bootstrap {
            ks: zeroize::Zeroizing::new(ks.clone()),
            rand: *rand,
            impi: impi.clone(),
            user_uri: uri.clone(),
        })
    }
}

#[test]
fn ks_naf_matches_an_independent_computation() {
    let ks: Vec<u8> = (0..32u8)
        .map(|i| i.wrapping_mul(7).wrapping_add(3))
        .collect();
    let rand: [u8; 16] = core::array::from_fn(|i| 0xa0 ^ i as u8);
    for fqdn in ["kms.example.org", "x", &"long.".repeat(50)] {
        let nid = gba::naf_id(fqdn, UA_TLS_PSK);
        assert_eq!(nid.len(), fqdn.len() + 5);
        let ours = gba::ks_naf(&ks, &rand, IMPI.as_bytes(), &nid).unwrap();
        assert_eq!(
            ours.to_vec(),
            independent_ks_naf(&ks, &rand, IMPI.as_bytes(), &nid)
        );
    }
    // Every input matters.
    let nid = gba::naf_id("kms.example.org", UA_TLS_PSK);
    let base = gba::ks_naf(&ks, &rand, IMPI.as_bytes(), &nid).unwrap();
    let other_ua = gba::naf_id("kms.example.org", [1, 0, 0, 0, 1]);
    assert_ne!(
        base,
        gba::ks_naf(&ks, &rand, IMPI.as_bytes(), &other_ua).unwrap()
    );
    assert_ne!(
        base,
        gba::ks_naf(&ks, &[0; 16], IMPI.as_bytes(), &nid).unwrap()
    );
    assert!(gba::kdf(&ks, 1, &[&vec![0u8; 70_000]]).is_none());
}

async fn psk_request(
    port: u16,
    identity: &str,
    key: Vec<u8>,
    path: &str,
) -> Result<Vec<u8>, String> {
    let mut b = SslConnector::builder(SslMethod::tls_client()).unwrap();
    b.set_min_proto_version(Some(SslVersion::TLS1_2)).unwrap();
    b.set_max_proto_version(Some(SslVersion::TLS1_2)).unwrap();
    b.set_cipher_list("PSK-AES128-GCM-SHA256").unwrap();
    b.set_verify(SslVerifyMode::NONE);
    let id = identity.to_owned();
    b.set_psk_client_callback(move |_, _hint, id_out, key_out| {
        id_out[..id.len()].copy_from_slice(id.as_bytes());
        id_out[id.len()] = 0;
        key_out[..key.len()].copy_from_slice(&key);
        Ok(key.len())
    });
    let conn = b.build();
    let ssl = conn.configure().unwrap().into_ssl("localhost").unwrap();
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let mut tls = tokio_openssl::SslStream::new(ssl, tcp).unwrap();
    std::pin::Pin::new(&mut tls)
        .connect()
        .await
        .map_err(|e| e.to_string())?;
    tls.write_all(
        format!("POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            .as_bytes(),
    )
    .await
    .unwrap();
    let mut out = Vec::new();
    let _ = tls.read_to_end(&mut out).await;
    Ok(out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_kms_serves_over_tls_psk_from_ks_naf() {
    let f = Fixture::new(&Backend::Sqlite).await;
    let ks: Vec<u8> = (0..32u8).collect();
    let rand = [0x5a; 16];
    let bsf = Arc::new(StaticBsf(HashMap::from([(
        B_TID.to_owned(),
        (ks.clone(), rand, IMPI.to_owned(), ALICE.to_owned()),
    )])));
    let (acceptor, index) = gba::tls_psk_acceptor("localhost", UA_TLS_PSK, bsf).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let running = gba::start(f.app.clone(), acceptor, index, listener).unwrap();
    let port = running.addr.port();
    let key = independent_ks_naf(
        &ks,
        &rand,
        IMPI.as_bytes(),
        &gba::naf_id("localhost", UA_TLS_PSK),
    );

    let out = psk_request(
        port,
        B_TID,
        key.clone(),
        "/keymanagement/identity/v1/keyprov",
    )
    .await
    .unwrap();
    let text = String::from_utf8_lossy(&out);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    let body = &out[text.find("\r\n\r\n").unwrap() + 4..];
    let doc = prose_sec::kms::provision::parse(body).unwrap();
    assert_eq!(doc.user_uri, ALICE);
    assert_eq!(doc.key_sets()[0].user_uri, ALICE);
    // Another user's keys: refused as always.
    let out = psk_request(
        port,
        B_TID,
        key.clone(),
        &prose_sec_kms_server::client::keyprov_path(BOB, None),
    )
    .await
    .unwrap();
    assert!(String::from_utf8_lossy(&out).starts_with("HTTP/1.1 403"));
    // A wrong key or an unknown B-TID: no TLS session.
    let mut wrong = key.clone();
    wrong[0] ^= 1;
    assert!(
        psk_request(port, B_TID, wrong, "/keymanagement/identity/v1/init")
            .await
            .is_err()
    );
    assert!(
        psk_request(port, "unknown@bsf", key, "/keymanagement/identity/v1/init")
            .await
            .is_err()
    );
    running.stop().await;
}
