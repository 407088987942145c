//! Key sets derived on demand from the master secrets, so that **no user private key is ever
//! stored**: the RSK is a function of the SAKKE master secret and the identifier (RFC 6508
//! §6.1.1), and the ECCSI SSK/PVT are made with an ephemeral `v` drawn from a ChaCha20 stream
//! keyed by a secret derived from the KSAK and seeded with the period and identifier. The same
//! (identity, period) therefore always gives the same key set, on any KMS process holding
//! the same master secrets — which is what lets several stateless processes share one
//! database, and what lets the database hold only public issuance records (the PVT) that a
//! re-derivation is checked against.
//!
//! Re-deriving was chosen over encrypting stored keys because it leaves nothing to protect in
//! the database at all (a stolen database or backup holds no key material, and there is no
//! second key to manage and rotate), and because a re-derivation costs ≈ 0.3 ms, less than the
//! TLS and database work around it; an in-memory cache of recently served sets (zeroized on
//! eviction) takes even that off the hot path.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use hmac::{Hmac, Mac};
use prose_sec::kms::{KeySet, Kms};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use sha2::Sha256;
use zeroize::Zeroizing;

type HmacSha256 = Hmac<Sha256>;
/// Cached key sets by (URI, KeyPeriodNo).
type Cache = HashMap<(Vec<u8>, u64), Arc<KeySet>>;

/// Derives and caches key sets.
pub struct Issuer {
    kms: Kms,
    seed_key: Zeroizing<[u8; 32]>,
    cache: Mutex<Cache>,
    cache_cap: usize,
}

impl core::fmt::Debug for Issuer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Issuer").finish_non_exhaustive()
    }
}

impl Issuer {
    /// An issuer of `kms`, caching up to `cache_cap` key sets in memory.
    pub fn new(kms: Kms, cache_cap: usize) -> Self {
        let ksak = Zeroizing::new(kms.ksak().to_bytes());
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&ksak[..]).expect("HMAC takes any key");
        mac.update(b"prose-sec kms: ECCSI ephemeral derivation v1");
        let seed_key = Zeroizing::new(<[u8; 32]>::from(mac.finalize().into_bytes()));
        Issuer {
            kms,
            seed_key,
            cache: Mutex::new(HashMap::new()),
            cache_cap,
        }
    }

    /// The KMS.
    pub fn kms(&self) -> &Kms {
        &self.kms
    }

    fn rng(&self, id: &[u8], no: u64) -> ChaCha20Rng {
        let mut mac =
            <HmacSha256 as Mac>::new_from_slice(&self.seed_key[..]).expect("HMAC takes any key");
        mac.update(&no.to_be_bytes());
        mac.update(id);
        let seed = Zeroizing::new(<[u8; 32]>::from(mac.finalize().into_bytes()));
        ChaCha20Rng::from_seed(*seed)
    }

    /// The key set of `uri` for period `no`, derived (or from the cache).
    pub fn key_set(&self, uri: &[u8], no: u64) -> prose_sec::Result<Arc<KeySet>> {
        let key = (uri.to_vec(), no);
        if let Some(ks) = self
            .cache
            .lock()
            .map_err(|_| prose_sec::Error::InvalidParameter)?
            .get(&key)
        {
            return Ok(ks.clone());
        }
        let id = self.kms.periods().identifier(uri, no)?;
        let ks = Arc::new(self.kms.issue(uri, no, &mut self.rng(&id, no))?);
        self.remember(key, ks.clone());
        Ok(ks)
    }

    fn remember(&self, key: (Vec<u8>, u64), ks: Arc<KeySet>) {
        if let Ok(mut c) = self.cache.lock() {
            if c.len() >= self.cache_cap {
                // Dropping the sets zeroizes them.
                c.clear();
            }
            if self.cache_cap > 0 {
                c.insert(key, ks);
            }
        }
    }

    /// Forgets the cached sets of `uri` (all periods, or one).
    pub fn forget(&self, uri: &[u8], no: Option<u64>) {
        if let Ok(mut c) = self.cache.lock() {
            c.retain(|(u, n), _| !(u == uri && no.is_none_or(|x| x == *n)));
        }
    }

    /// Key sets of many identities for one period, on every core: the batched RSK issue and
    /// the per-identity SSK/PVT derivation spread over threads. One result per URI, in order;
    /// identical to [`Issuer::key_set`] for each. The sets are cached.
    pub fn key_sets_many(&self, uris: &[&[u8]], no: u64) -> Vec<prose_sec::Result<Arc<KeySet>>> {
        let ids: Vec<prose_sec::Result<Vec<u8>>> = uris
            .iter()
            .map(|u| self.kms.periods().identifier(u, no))
            .collect();
        let validity = self.kms.periods().validity(no);
        let good: Vec<&[u8]> = ids
            .iter()
            .filter_map(|r| r.as_ref().ok().map(Vec::as_slice))
            .collect();
        let rsks = self.kms.sakke_secret().issue_rsks(&good);
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let per = good.len().div_ceil(threads.max(1)).max(1);
        let ssks: Vec<prose_sec::Result<(prose_sec::eccsi::Ssk, [u8; 65])>> =
            std::thread::scope(|s| {
                let handles: Vec<_> = good
                    .chunks(per)
                    .map(|chunk| {
                        s.spawn(move || {
                            chunk
                                .iter()
                                .map(|id| self.kms.ksak().issue(id, &mut self.rng(id, no)))
                                .collect::<Vec<_>>()
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .flat_map(|h| {
                        h.join()
                            .unwrap_or_else(|_| vec![Err(prose_sec::Error::InvalidParameter)])
                    })
                    .collect()
            });
        let mut rsks = rsks.into_iter();
        let mut ssks = ssks.into_iter();
        ids.into_iter()
            .zip(uris)
            .map(|(id, uri)| {
                let id = id?;
                let (valid_from, valid_to) = validity?;
                let rsk = rsks.next().ok_or(prose_sec::Error::InvalidParameter)??;
                let (ssk, pvt) = ssks.next().ok_or(prose_sec::Error::InvalidParameter)??;
                let ks = Arc::new(KeySet {
                    user_uri: uri.to_vec(),
                    user_id: id,
                    period_no: no,
                    valid_from,
                    valid_to,
                    rsk,
                    ssk,
                    pvt,
                });
                self.remember((uri.to_vec(), no), ks.clone());
                Ok(ks)
            })
            .collect()
    }
}
