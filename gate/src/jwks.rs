//! Google's signing keys, cached the way Google asks: for `Cache-Control: max-age`.
//!
//! - An unknown `kid` triggers one refetch (keys rotate), rate-limited so a flood of forged
//!   `kid`s costs at most one JWKS request per interval.
//! - When a refresh fails, the cached keys keep serving: Google being down must not sign
//!   everybody out. With no keys at all (cold start while Google is down) verification fails
//!   closed.
//! - Concurrent callers share one fetch.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use jsonwebtoken::DecodingKey;
use serde::Deserialize;
use thiserror::Error;
use tokio::sync::{Mutex, RwLock};

use crate::clock::Clock;
use crate::http_client::HttpClient;

/// Used when Google sends no `max-age`.
pub const DEFAULT_MAX_AGE_SECONDS: u64 = 300;
/// Upper bound on how long keys are trusted without asking again.
pub const MAX_MAX_AGE_SECONDS: u64 = 24 * 3600;
/// At most one refetch per this many seconds, whatever triggers it.
pub const DEFAULT_REFETCH_INTERVAL_SECONDS: u64 = 10;

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum KeyError {
    #[error("no key with this kid in the JWKS")]
    UnknownKid,
    #[error("signing keys unavailable: {0}")]
    Unavailable(String),
}

/// Where the verifier gets a public key for a `kid`.
pub trait KeySource: Send + Sync {
    fn key(&self, kid: &str) -> impl Future<Output = Result<Arc<DecodingKey>, KeyError>> + Send;
}

#[derive(Default)]
struct KeySet {
    keys: HashMap<String, Arc<DecodingKey>>,
    fresh_until: u64,
}

#[derive(Default)]
struct FetchLog {
    last_attempt: Option<u64>,
    last_error: Option<String>,
}

pub struct JwksCache<H, C> {
    url: String,
    http: H,
    clock: C,
    refetch_interval: u64,
    keys: RwLock<KeySet>,
    fetches: Mutex<FetchLog>,
}

impl<H: HttpClient, C: Clock> JwksCache<H, C> {
    pub fn new(url: impl Into<String>, http: H, clock: C) -> Self {
        Self {
            url: url.into(),
            http,
            clock,
            refetch_interval: DEFAULT_REFETCH_INTERVAL_SECONDS,
            keys: RwLock::new(KeySet::default()),
            fetches: Mutex::new(FetchLog::default()),
        }
    }

    pub fn with_refetch_interval(mut self, seconds: u64) -> Self {
        self.refetch_interval = seconds;
        self
    }

    /// Fetches the keys now unless they are fresh (used to warm up during Lambda init).
    pub async fn prefetch(&self) -> Result<(), KeyError> {
        if self.keys.read().await.fresh_until > self.clock.now() {
            return Ok(());
        }
        self.refresh().await;
        self.unavailable_unless_loaded().await
    }

    async fn cached(&self, kid: &str) -> (Option<Arc<DecodingKey>>, bool) {
        let keys = self.keys.read().await;
        let fresh = keys.fresh_until > self.clock.now();
        (keys.keys.get(kid).cloned(), fresh)
    }

    async fn unavailable_unless_loaded(&self) -> Result<(), KeyError> {
        if !self.keys.read().await.keys.is_empty() {
            return Ok(());
        }
        let reason = self.fetches.lock().await.last_error.clone();
        Err(KeyError::Unavailable(
            reason.unwrap_or_else(|| "not fetched yet".into()),
        ))
    }

    /// One rate-limited, single-flight fetch; failures keep the old keys.
    async fn refresh(&self) {
        let mut log = self.fetches.lock().await;
        let now = self.clock.now();
        if log
            .last_attempt
            .is_some_and(|last| now < last.saturating_add(self.refetch_interval))
        {
            return;
        }
        log.last_attempt = Some(now);
        match self.fetch().await {
            Ok((keys, max_age)) => {
                tracing::info!(keys = keys.len(), max_age, "fetched Google signing keys");
                let mut set = self.keys.write().await;
                set.keys = keys;
                set.fresh_until = now.saturating_add(max_age);
                log.last_error = None;
            }
            Err(reason) => {
                let cached = self.keys.read().await.keys.len();
                tracing::warn!(
                    error = %reason,
                    cached_keys = cached,
                    url = %self.url,
                    "could not refresh Google signing keys; keeping cached keys"
                );
                log.last_error = Some(reason);
            }
        }
    }

    async fn fetch(&self) -> Result<(HashMap<String, Arc<DecodingKey>>, u64), String> {
        let response = self
            .http
            .get(&self.url)
            .await
            .map_err(|err| format!("JWKS request failed: {err}"))?;
        if response.status != 200 {
            return Err(format!("JWKS endpoint answered HTTP {}", response.status));
        }
        let keys = parse_jwks(&response.body)?;
        let max_age = response
            .cache_control
            .as_deref()
            .and_then(max_age)
            .unwrap_or(DEFAULT_MAX_AGE_SECONDS)
            .min(MAX_MAX_AGE_SECONDS);
        Ok((keys, max_age))
    }
}

impl<H: HttpClient, C: Clock> KeySource for JwksCache<H, C> {
    async fn key(&self, kid: &str) -> Result<Arc<DecodingKey>, KeyError> {
        let (key, fresh) = self.cached(kid).await;
        if let (Some(key), true) = (&key, fresh) {
            return Ok(key.clone());
        }
        self.refresh().await;
        if let (Some(key), _) = self.cached(kid).await {
            return Ok(key);
        }
        self.unavailable_unless_loaded().await?;
        Err(KeyError::UnknownKid)
    }
}

#[derive(Deserialize)]
struct JwkSet {
    keys: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
struct RsaJwk {
    kty: String,
    kid: String,
    n: String,
    e: String,
    alg: Option<String>,
    #[serde(rename = "use")]
    usage: Option<String>,
}

/// Usable RS256 signature keys by `kid`; anything else in the set is skipped.
fn parse_jwks(body: &[u8]) -> Result<HashMap<String, Arc<DecodingKey>>, String> {
    let set: JwkSet =
        serde_json::from_slice(body).map_err(|err| format!("JWKS is not valid JSON: {err}"))?;
    let total = set.keys.len();
    let keys: HashMap<_, _> = set
        .keys
        .into_iter()
        .filter_map(|value| serde_json::from_value::<RsaJwk>(value).ok())
        .filter(|jwk| {
            jwk.kty == "RSA"
                && jwk.alg.as_deref().is_none_or(|alg| alg == "RS256")
                && jwk.usage.as_deref().is_none_or(|usage| usage == "sig")
                && !jwk.kid.is_empty()
        })
        .filter_map(|jwk| {
            let key = DecodingKey::from_rsa_components(&jwk.n, &jwk.e).ok()?;
            Some((jwk.kid, Arc::new(key)))
        })
        .collect();
    if keys.is_empty() {
        return Err(format!("JWKS has no usable RS256 key (of {total} entries)"));
    }
    if keys.len() < total {
        tracing::warn!(
            skipped = total - keys.len(),
            "skipped unusable entries in the JWKS"
        );
    }
    Ok(keys)
}

/// `max-age=N` from a Cache-Control header.
fn max_age(cache_control: &str) -> Option<u64> {
    cache_control.split(',').find_map(|directive| {
        let (name, value) = directive.trim().split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("max-age")
            .then(|| value.trim().trim_matches('"').parse().ok())
            .flatten()
    })
}

#[cfg(test)]
mod tests;
