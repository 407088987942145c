//! The member's provisioning client: fetches `init` and `keyprov` (the current period and
//! the next) from a KMS service over HTTPS, and hands the key sets to a
//! [`Member`](prose_sec::group::Member), which validates every key before keeping it.

use anyhow::{bail, Context};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use prose_sec::group::member::Member;
use prose_sec::kms::provision::{self, KmsResponse, ResponseBody};
use prose_sec::kms::{KeySet, KmsCertificate};
use prose_sec::mikey::PskPolicy;

use crate::request::PREFIX;

/// What a URI in a path keeps unescaped.
const PATH_SAFE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// How to reach and authenticate to the KMS.
#[derive(Clone, Default)]
pub struct ClientOptions {
    /// Base URL, `https://host[:port]`.
    pub kms: String,
    /// An OAuth 2.0 access token (sent as `Authorization: Bearer`).
    pub token: Option<String>,
    /// Trust anchors (PEM) for the KMS's certificate; none: the system's.
    pub ca_pem: Option<Vec<u8>>,
    /// A client certificate and its key (PEM, concatenated) for mutual TLS.
    pub identity_pem: Option<Vec<u8>>,
    /// The user URI; none: the one the KMS names in its `init` response.
    pub user: Option<String>,
    /// Send a KmsRequest body with every request.
    pub request_body: bool,
}

impl core::fmt::Debug for ClientOptions {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ClientOptions")
            .field("kms", &self.kms)
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

/// What a provisioning run fetched: the certificate and the key sets (not yet validated;
/// [`Fetched::into_member`] validates them).
pub struct Fetched {
    /// The user URI.
    pub user_uri: String,
    /// The KMS certificate.
    pub certificate: KmsCertificate,
    /// The key sets, by period.
    pub key_sets: Vec<KeySet>,
}

impl core::fmt::Debug for Fetched {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Fetched")
            .field("user_uri", &self.user_uri)
            .field("key_sets", &self.key_sets)
            .finish_non_exhaustive()
    }
}

/// An `xsd:dateTime` of NTP seconds.
pub fn datetime(ntp: u64) -> String {
    // "YYYY-MM-DD hh:mm:ss UTC"
    let s = prose_sec::mikey::ntp_secs_to_utc(ntp);
    format!("{}T{}Z", &s[..10], &s[11..19])
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A KmsRequest body.
pub fn kms_request_xml(user: &str, kms_uri: &str, url: &str, now: u64) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<KmsRequest xmlns=\"{}\" Version=\"1.0.0\">\
         <UserUri>{}</UserUri><KmsUri>{}</KmsUri><Time>{}</Time><ClientReqUrl>{}</ClientReqUrl>\
         </KmsRequest>",
        provision::NAMESPACE,
        escape(user),
        escape(kms_uri),
        datetime(now),
        escape(url)
    )
}

/// The path of `keyprov` for `user`, optionally at NTP seconds `at`.
pub fn keyprov_path(user: &str, at: Option<u64>) -> String {
    let u = utf8_percent_encode(user, PATH_SAFE);
    match at {
        Some(t) => format!("{PREFIX}keyprov/{u}/{:016X}", t << 32),
        None => format!("{PREFIX}keyprov/{u}"),
    }
}

/// A provisioning client.
pub struct Client {
    http: reqwest::Client,
    opts: ClientOptions,
}

impl core::fmt::Debug for Client {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Client").field("opts", &self.opts).finish()
    }
}

impl Client {
    /// A client (keep-alive connections, TLS 1.2+ through rustls).
    pub fn new(opts: ClientOptions) -> anyhow::Result<Client> {
        if !opts.kms.starts_with("https://") {
            bail!("the KMS address must be https://…");
        }
        let mut b = reqwest::Client::builder()
            .use_rustls_tls()
            .https_only(true)
            .min_tls_version(reqwest::tls::Version::TLS_1_2)
            .timeout(std::time::Duration::from_secs(30));
        match &opts.ca_pem {
            Some(pem) => {
                b = b.tls_built_in_root_certs(false);
                for c in
                    reqwest::Certificate::from_pem_bundle(pem).context("the CA certificates")?
                {
                    b = b.add_root_certificate(c);
                }
            }
            None => b = b.tls_built_in_native_certs(true),
        }
        if let Some(pem) = &opts.identity_pem {
            b = b.identity(reqwest::Identity::from_pem(pem).context("the client certificate")?);
        }
        Ok(Client {
            http: b.build().context("the HTTPS client")?,
            opts,
        })
    }

    /// POSTs `path` (with a KmsRequest body when configured) and reads the KmsResponse; a
    /// KmsError is an error carrying its code.
    pub async fn post(
        &self,
        path: &str,
        kms_uri: Option<&str>,
        now: u64,
    ) -> anyhow::Result<KmsResponse> {
        let url = format!("{}{}", self.opts.kms.trim_end_matches('/'), path);
        let mut rq = self.http.post(&url);
        if let Some(t) = &self.opts.token {
            rq = rq.bearer_auth(t);
        }
        if let (true, Some(user), Some(kms)) = (self.opts.request_body, &self.opts.user, kms_uri) {
            rq = rq
                .header("content-type", "application/xml")
                .body(kms_request_xml(user, kms, &url, now));
        }
        let resp = rq.send().await.with_context(|| format!("POST {url}"))?;
        let status = resp.status();
        let bytes =
            zeroize::Zeroizing::new(resp.bytes().await.context("reading the response")?.to_vec());
        let doc = provision::parse(&bytes).map_err(|e| {
            anyhow::anyhow!("HTTP {status}: the response is not a KmsResponse ({e:?})")
        })?;
        if let ResponseBody::Error(e) = &doc.body {
            bail!("KmsError {}: {}", e.code, e.message);
        }
        if !status.is_success() {
            bail!("HTTP {status}");
        }
        Ok(doc)
    }

    /// Fetches the certificate and the key sets of the current period (at `now`) and the next.
    pub async fn fetch(&self, now: u64) -> anyhow::Result<Fetched> {
        let init = self.post(&format!("{PREFIX}init"), None, now).await?;
        let certificate = init
            .certificate()
            .context("the init response holds no KMS certificate")?
            .to_certificate()
            .map_err(|e| anyhow::anyhow!("the KMS certificate does not check: {e:?}"))?;
        let kms_uri = String::from_utf8_lossy(certificate.periods.kms_uri()).into_owned();
        if init.kms_uri != kms_uri {
            bail!("the init response's KmsUri is not its certificate's");
        }
        let user = self
            .opts
            .user
            .clone()
            .unwrap_or_else(|| init.user_uri.clone());
        let periods = &certificate.periods;
        let cur = periods
            .period_no(now)
            .map_err(|e| anyhow::anyhow!("the clock: {e:?}"))?;
        let (_, next_start) = periods
            .validity(cur)
            .map_err(|e| anyhow::anyhow!("period {cur}: {e:?}"))?;
        let mut key_sets: Vec<KeySet> = Vec::new();
        for at in [None, Some(next_start)] {
            let doc = self
                .post(&keyprov_path(&user, at), Some(&kms_uri), now)
                .await?;
            if doc.kms_uri != kms_uri {
                bail!("a keyprov response from another KMS");
            }
            for d in doc.key_sets() {
                let ks = d
                    .to_key_set(periods)
                    .map_err(|e| anyhow::anyhow!("key period {}: {e:?}", d.key_period_no))?;
                if !key_sets.iter().any(|k| k.period_no == ks.period_no) {
                    key_sets.push(ks);
                }
            }
        }
        if !key_sets.iter().any(|k| k.period_no == cur) {
            bail!("the KMS served no key set for the current period {cur}");
        }
        key_sets.sort_by_key(|k| k.period_no);
        Ok(Fetched {
            user_uri: user,
            certificate,
            key_sets,
        })
    }
}

impl Fetched {
    /// Validates every key set (the member's checks: identifier, validity, period, RSK
    /// pairing check, SSK/PVT) into `member`, or a new member of this certificate. On error
    /// nothing is kept.
    pub fn into_member(self, member: Option<Member>, now: u64) -> anyhow::Result<Member> {
        let mut m = match member {
            Some(m) => {
                if m.uri() != self.user_uri.as_bytes() {
                    bail!(
                        "the member is {}, the keys are for {}",
                        String::from_utf8_lossy(m.uri()),
                        self.user_uri
                    );
                }
                m
            }
            None => Member::new(
                self.user_uri.as_bytes(),
                self.certificate.clone(),
                PskPolicy::default(),
            ),
        };
        for ks in self.key_sets {
            let no = ks.period_no;
            m.add_key_set(ks, now)
                .map_err(|e| anyhow::anyhow!("the key set of period {no} does not check: {e:?}"))?;
        }
        Ok(m)
    }
}

/// Fetches and validates in one call, on its own runtime (for callers without one, such as
/// the demo): the member provisioned through the service.
pub fn provision_blocking(
    opts: ClientOptions,
    member: Option<Member>,
    now: u64,
) -> anyhow::Result<Member> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("a runtime")?;
    let fetched = rt.block_on(async { Client::new(opts)?.fetch(now).await })?;
    fetched.into_member(member, now)
}
