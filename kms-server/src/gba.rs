//! GBA for the KMS (seed 6.Z.4.3.3; TS 33.220, TS 33.222): the KMS acts as a NAF and the UE
//! connects with TLS-PSK, the PSK being Ks_NAF derived from the bootstrapped Ks.
//!
//! - [`kdf`]: the TS 33.220 Annex B key derivation, HMAC-SHA-256 over
//!   `FC ‖ P0 ‖ L0 ‖ … ‖ Pn ‖ Ln` with each Li the two-octet length of Pi;
//! - [`ks_naf`]: `Ks_NAF = KDF(Ks, FC=0x01, "gba-me", RAND, IMPI, NAF_Id)`, with
//!   `NAF_Id = FQDN ‖ Ua security protocol identifier` ([`naf_id`]);
//! - [`tls_psk_acceptor`] / [`start`]: an OpenSSL TLS 1.2 PSK server (rustls has no external
//!   PSK) whose PSK identity is the B-TID; the [`Bsf`] answers what the BSF would over Zn
//!   (Ks, RAND, IMPI and the user's identity for a B-TID). The caller's identity is then that
//!   user, exactly as with a client certificate.
//!
//! The Zn interface to a real BSF (Diameter or SOAP over HTTP) is not part of this crate.

use std::sync::Arc;
use std::time::Duration;

use hmac::{Hmac, Mac};
use openssl::ex_data::Index;
use openssl::ssl::{Ssl, SslAcceptor, SslMethod, SslVersion};
use sha2::Sha256;
use tokio::net::TcpListener;
use tokio::sync::watch;
use zeroize::Zeroizing;

use crate::server::{self, App, ConnInfo, Running};

/// FC of the GBA Ks_NAF derivation.
pub const FC_KS_NAF: u8 = 0x01;

/// The TS 33.220 Annex B KDF: HMAC-SHA-256(key, FC ‖ P0 ‖ L0 ‖ …); `None` if a parameter is
/// longer than 65,535 octets.
pub fn kdf(key: &[u8], fc: u8, params: &[&[u8]]) -> Option<Zeroizing<[u8; 32]>> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).ok()?;
    mac.update(&[fc]);
    for p in params {
        let len = u16::try_from(p.len()).ok()?;
        mac.update(p);
        mac.update(&len.to_be_bytes());
    }
    Some(Zeroizing::new(mac.finalize().into_bytes().into()))
}

/// `NAF_Id = FQDN ‖ Ua security protocol identifier` (five octets, TS 33.220 Annex H).
pub fn naf_id(fqdn: &str, ua_protocol: [u8; 5]) -> Vec<u8> {
    let mut v = fqdn.as_bytes().to_vec();
    v.extend_from_slice(&ua_protocol);
    v
}

/// `Ks_NAF = KDF(Ks, 0x01, "gba-me", RAND, IMPI, NAF_Id)` (TS 33.220 B.3).
pub fn ks_naf(ks: &[u8], rand: &[u8], impi: &[u8], naf_id: &[u8]) -> Option<Zeroizing<[u8; 32]>> {
    kdf(ks, FC_KS_NAF, &[b"gba-me", rand, impi, naf_id])
}

/// What the BSF knows of one bootstrapping.
pub struct Bootstrap {
    /// Ks = CK ‖ IK.
    pub ks: Zeroizing<Vec<u8>>,
    /// RAND of the AKA run.
    pub rand: [u8; 16],
    /// The subscriber's IMPI.
    pub impi: String,
    /// The user identity (URI) the KMS serves to this subscriber.
    pub user_uri: String,
}

/// The BSF, as the NAF reaches it over Zn.
pub trait Bsf: Send + Sync {
    /// The bootstrapping of `b_tid`, if known and not expired.
    fn lookup(&self, b_tid: &str) -> Option<Bootstrap>;
}

/// An OpenSSL acceptor for TLS 1.2 PSK (RFC 4279 suites with AES-GCM, and ECDHE-PSK): the
/// PSK identity is the B-TID, the PSK Ks_NAF for `naf_fqdn` and `ua_protocol`. The caller's
/// identity goes into the connection's ex-data at `index`.
pub fn tls_psk_acceptor(
    naf_fqdn: &str,
    ua_protocol: [u8; 5],
    bsf: Arc<dyn Bsf>,
) -> anyhow::Result<(SslAcceptor, Index<Ssl, String>)> {
    let index = Ssl::new_ex_index::<String>()?;
    let mut b = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls_server())?;
    b.set_min_proto_version(Some(SslVersion::TLS1_2))?;
    b.set_max_proto_version(Some(SslVersion::TLS1_2))?;
    b.set_cipher_list("PSK-AES128-GCM-SHA256:PSK-AES256-GCM-SHA384:ECDHE-PSK-AES128-CBC-SHA256")?;
    let nid = naf_id(naf_fqdn, ua_protocol);
    b.set_psk_server_callback(move |ssl, identity, out| {
        let refuse = openssl::error::ErrorStack::get();
        let Some(b_tid) = identity.and_then(|i| std::str::from_utf8(i).ok()) else {
            return Err(refuse);
        };
        let Some(boot) = bsf.lookup(b_tid) else {
            return Err(refuse);
        };
        let Some(key) = ks_naf(&boot.ks, &boot.rand, boot.impi.as_bytes(), &nid) else {
            return Err(refuse);
        };
        if out.len() < key.len() {
            return Err(refuse);
        }
        out[..key.len()].copy_from_slice(&key[..]);
        ssl.set_ex_data(index, boot.user_uri);
        Ok(key.len())
    });
    Ok((b.build(), index))
}

/// Serves `app` over TLS-PSK on `listener` until stopped.
pub fn start(
    app: Arc<App>,
    acceptor: SslAcceptor,
    index: Index<Ssl, String>,
    listener: TcpListener,
) -> std::io::Result<Running> {
    let addr = listener.local_addr()?;
    let (stop, mut stopped) = watch::channel(false);
    let acceptor = Arc::new(acceptor);
    let router = server::router(app);
    let task = tokio::spawn(async move {
        loop {
            let (tcp, _) = tokio::select! {
                r = listener.accept() => match r {
                    Ok(x) => x,
                    Err(_) => {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        continue;
                    }
                },
                _ = stopped.changed() => break,
            };
            let acceptor = acceptor.clone();
            let router = router.clone();
            let stop_conn = stopped.clone();
            tokio::spawn(async move {
                let Ok(ssl) = Ssl::new(acceptor.context()) else {
                    return;
                };
                let Ok(mut tls) = tokio_openssl::SslStream::new(ssl, tcp) else {
                    return;
                };
                let hs = tokio::time::timeout(
                    Duration::from_secs(10),
                    std::pin::Pin::new(&mut tls).accept(),
                )
                .await;
                if !matches!(hs, Ok(Ok(()))) {
                    return;
                }
                let info = ConnInfo {
                    client_uri: tls.ssl().ex_data(index).cloned(),
                };
                server::serve_conn(router, tls, info, stop_conn).await;
            });
        }
    });
    Ok(server::running(addr, stop, task))
}

/// A BSF that knows a fixed list of bootstrappings, read from a TOML file — a stand-in for
/// the Zn interface (which is not part of this crate) when the bootstrappings are handed
/// over out of band (tests, a lab):
///
/// ```toml
/// [[bootstrap]]
/// b_tid = "dGVzdGJ0aWQ=@bsf.example.org"
/// ks = "00112233…"          # hex, CK ‖ IK (32 octets)
/// rand = "5a5a…"            # hex, 16 octets
/// impi = "001010000000001@ims.mnc001.mcc001.3gppnetwork.org"
/// user_uri = "sip:alice@example.org"
/// ```
///
/// The file holds Ks: it must be readable by its owner only (refused otherwise).
pub struct FileBsf {
    entries: std::collections::HashMap<String, Bootstrap>,
}

impl core::fmt::Debug for FileBsf {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("FileBsf")
            .field("bootstraps", &self.entries.len())
            .finish()
    }
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct BsfFile {
    #[serde(default)]
    bootstrap: Vec<BsfEntry>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct BsfEntry {
    b_tid: String,
    ks: String,
    rand: String,
    impi: String,
    user_uri: String,
}

impl FileBsf {
    /// Reads `path` (refused when group or others may read it).
    pub fn load(path: &std::path::Path) -> anyhow::Result<FileBsf> {
        use anyhow::{bail, Context};
        use std::os::unix::fs::PermissionsExt;
        let meta =
            std::fs::metadata(path).with_context(|| format!("reading {}", path.display()))?;
        if meta.permissions().mode() & 0o077 != 0 {
            bail!(
                "{} holds Ks and is readable by others: chmod 600 it",
                path.display()
            );
        }
        let text = Zeroizing::new(
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?,
        );
        let file: BsfFile =
            toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        let mut entries = std::collections::HashMap::new();
        for (i, e) in file.bootstrap.into_iter().enumerate() {
            let at = || format!("{} bootstrap {}", path.display(), i + 1);
            let ks = Zeroizing::new(
                hex::decode(e.ks.trim()).with_context(|| format!("{}: ks is not hex", at()))?,
            );
            if ks.is_empty() {
                bail!("{}: ks is empty", at());
            }
            let rand: [u8; 16] = hex::decode(e.rand.trim())
                .ok()
                .and_then(|r| r.try_into().ok())
                .with_context(|| format!("{}: rand is not 16 octets of hex", at()))?;
            if entries.contains_key(&e.b_tid) {
                bail!("{}: B-TID {} twice", at(), e.b_tid);
            }
            entries.insert(
                e.b_tid,
                Bootstrap {
                    ks,
                    rand,
                    impi: e.impi,
                    user_uri: e.user_uri,
                },
            );
        }
        Ok(FileBsf { entries })
    }

    /// How many bootstrappings it knows.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether it knows none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl Bsf for FileBsf {
    fn lookup(&self, b_tid: &str) -> Option<Bootstrap> {
        self.entries.get(b_tid).map(|b| Bootstrap {
            ks: b.ks.clone(),
            rand: b.rand,
            impi: b.impi.clone(),
            user_uri: b.user_uri.clone(),
        })
    }
}

/// Parses a Ua security protocol identifier, ten hex digits (TS 33.220 Annex H).
pub fn parse_ua_protocol(s: &str) -> anyhow::Result<[u8; 5]> {
    hex::decode(s.trim())
        .ok()
        .and_then(|v| v.try_into().ok())
        .ok_or_else(|| {
            anyhow::anyhow!("`{s}`: a Ua security protocol identifier is ten hex digits")
        })
}
