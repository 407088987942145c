//! Who is calling (TS 33.180 §5.3.3): an OAuth 2.0 bearer access token (a JWT verified
//! against configured keys, its identity in a configured claim), or the URI in the
//! subjectAltName of a client certificate verified by the TLS layer.

use jsonwebtoken::{Algorithm, DecodingKey, Validation};

use crate::config::JwtConfig;
use crate::error::Refusal;

struct Key {
    kid: Option<String>,
    validation: Validation,
    key: DecodingKey,
}

/// Verifies bearer tokens.
pub struct Authenticator {
    keys: Vec<Key>,
    claim: String,
}

impl core::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Authenticator")
            .field("keys", &self.keys.len())
            .field("claim", &self.claim)
            .finish()
    }
}

/// Leeway on `exp`/`nbf` (seconds).
pub const LEEWAY: u64 = 30;

impl Authenticator {
    /// No tokens accepted.
    pub fn none() -> Self {
        Authenticator {
            keys: Vec::new(),
            claim: "sub".into(),
        }
    }

    /// From the configuration (key files read here).
    pub fn from_config(c: &JwtConfig) -> anyhow::Result<Self> {
        use anyhow::{bail, Context};
        let mut keys = Vec::new();
        for k in &c.keys {
            let alg: Algorithm = k
                .alg
                .parse()
                .map_err(|_| anyhow::anyhow!("unknown JWT algorithm {}", k.alg))?;
            let key = match (alg, &k.pem, &k.secret) {
                (Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512, None, Some(s)) => {
                    let bytes = zeroize::Zeroizing::new(
                        std::fs::read(s).with_context(|| format!("reading {}", s.display()))?,
                    );
                    let trimmed = bytes.trim_ascii();
                    if trimmed.len() < 32 {
                        bail!(
                            "the HMAC secret in {} is shorter than 32 octets",
                            s.display()
                        );
                    }
                    DecodingKey::from_secret(trimmed)
                }
                (_, Some(p), None) => {
                    let pem =
                        std::fs::read(p).with_context(|| format!("reading {}", p.display()))?;
                    match alg {
                        Algorithm::ES256 | Algorithm::ES384 => DecodingKey::from_ec_pem(&pem),
                        Algorithm::RS256
                        | Algorithm::RS384
                        | Algorithm::RS512
                        | Algorithm::PS256
                        | Algorithm::PS384
                        | Algorithm::PS512 => DecodingKey::from_rsa_pem(&pem),
                        Algorithm::EdDSA => DecodingKey::from_ed_pem(&pem),
                        _ => bail!("{} takes a secret, not a PEM key", k.alg),
                    }
                    .with_context(|| format!("reading the key in {}", p.display()))?
                }
                _ => bail!(
                    "JWT key {}: give exactly one of `pem` or `secret` (secret only for HS*)",
                    k.alg
                ),
            };
            let mut v = Validation::new(alg);
            v.leeway = LEEWAY;
            v.validate_nbf = true;
            v.set_required_spec_claims(&["exp"]);
            if let Some(i) = &c.issuer {
                v.set_issuer(&[i]);
            }
            match &c.audience {
                Some(a) => v.set_audience(&[a]),
                None => v.validate_aud = false,
            }
            keys.push(Key {
                kid: k.kid.clone(),
                validation: v,
                key,
            });
        }
        Ok(Authenticator {
            keys,
            claim: c.identity_claim.clone().unwrap_or_else(|| "sub".into()),
        })
    }

    /// The identity in a bearer token, or why it is refused.
    pub fn verify(&self, token: &str) -> Result<String, Refusal> {
        use jsonwebtoken::errors::ErrorKind as K;
        if self.keys.is_empty() {
            return Err(Refusal::Unauthenticated("bearer tokens are not accepted"));
        }
        if token.len() > 16 * 1024 {
            return Err(Refusal::Unauthenticated("token too long"));
        }
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| Refusal::Unauthenticated("malformed token"))?;
        let mut last = Refusal::Unauthenticated("no key verifies the token");
        for k in &self.keys {
            if !k.validation.algorithms.contains(&header.alg) {
                continue;
            }
            if let (Some(want), Some(got)) = (&k.kid, &header.kid) {
                if want != got {
                    continue;
                }
            }
            match jsonwebtoken::decode::<serde_json::Value>(token, &k.key, &k.validation) {
                Ok(data) => {
                    let id = data
                        .claims
                        .get(&self.claim)
                        .and_then(|v| v.as_str())
                        .filter(|s| !s.is_empty() && s.len() <= crate::request::MAX_URI)
                        .ok_or(Refusal::Unauthenticated("token has no identity claim"))?;
                    return Ok(id.to_owned());
                }
                Err(e) => {
                    last = match e.kind() {
                        K::ExpiredSignature => Refusal::Unauthenticated("token expired"),
                        K::ImmatureSignature => Refusal::Unauthenticated("token not yet valid"),
                        K::InvalidIssuer => Refusal::Unauthenticated("token from another issuer"),
                        K::InvalidAudience => {
                            Refusal::Unauthenticated("token for another audience")
                        }
                        K::InvalidSignature => Refusal::Unauthenticated("token signature invalid"),
                        _ => Refusal::Unauthenticated("token refused"),
                    }
                }
            }
        }
        Err(last)
    }
}

/// The first URI in the subjectAltName of a DER certificate.
pub fn cert_uri(der: &[u8]) -> Option<String> {
    use x509_parser::prelude::*;
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    let san = cert.subject_alternative_name().ok()??;
    san.value.general_names.iter().find_map(|n| match n {
        GeneralName::URI(u) => Some((*u).to_owned()),
        _ => None,
    })
}
