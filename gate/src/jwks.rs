//! Google's signing keys, cached the way Google asks: for `Cache-Control: max-age`.
//!
//! - An unknown `kid` triggers one refetch (keys rotate), rate-limited so a flood of forged
//!   `kid`s costs at most one JWKS request per interval. Refreshing stale keys is rate-limited
//!   separately, so a failing Google is not asked on every request either.
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
/// At most one unknown-`kid` refetch, and one stale-key refresh attempt, per this many seconds.
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
    last_unknown_kid_refetch: Option<u64>,
    last_error: Option<String>,
}

/// Why keys are fetched; each reason has its own rate limit.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Trigger {
    Stale,
    UnknownKid,
}

pub struct JwksCache<H, C> {
    url: String,
    http: H,
    clock: C,
    keys: RwLock<KeySet>,
    fetches: Mutex<FetchLog>,
}

impl<H: HttpClient, C: Clock> JwksCache<H, C> {
    pub fn new(url: impl Into<String>, http: H, clock: C) -> Self {
        Self {
            url: url.into(),
            http,
            clock,
            keys: RwLock::new(KeySet::default()),
            fetches: Mutex::new(FetchLog::default()),
        }
    }

    /// Fetches the keys now unless they are fresh (used to warm up during Lambda init).
    pub async fn prefetch(&self) -> Result<(), KeyError> {
        if self.keys.read().await.fresh_until > self.clock.now() {
            return Ok(());
        }
        self.refresh(Trigger::Stale).await;
        self.unavailable_unless_loaded().await
    }

    /// The cached key for `kid`, and whether the cached set is fresh.
    async fn cached(&self, kid: &str) -> (Option<Arc<DecodingKey>>, bool) {
        let keys = self.keys.read().await;
        let fresh = keys.fresh_until > self.clock.now() && !keys.keys.is_empty();
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
    async fn refresh(&self, trigger: Trigger) {
        let mut log = self.fetches.lock().await;
        let now = self.clock.now();
        let recent = |at: Option<u64>| {
            at.is_some_and(|at| now < at.saturating_add(DEFAULT_REFETCH_INTERVAL_SECONDS))
        };
        let limited = match trigger {
            Trigger::Stale => recent(log.last_attempt),
            Trigger::UnknownKid => recent(log.last_unknown_kid_refetch),
        };
        if limited {
            return;
        }
        if trigger == Trigger::UnknownKid {
            log.last_unknown_kid_refetch = Some(now);
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
        match (key, fresh) {
            (Some(key), true) => return Ok(key),
            // A fresh set without this kid: rotation, or a forged kid.
            (None, true) => self.refresh(Trigger::UnknownKid).await,
            // Nothing cached yet, or the cache aged out.
            (_, false) => self.refresh(Trigger::Stale).await,
        }
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
