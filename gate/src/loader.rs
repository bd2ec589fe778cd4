//! Configuration loaded once per execution environment, lazily, failing closed.
//!
//! Success is cached for the life of the environment. A failure is remembered for a short
//! back-off so a flood of requests while SSM is down costs one SSM call per interval, not one
//! per request; the first request after the interval tries again, so the function recovers
//! without a restart.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Mutex, OnceCell};
use tokio::time::Instant;

use crate::config::ConfigError;

pub const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(2);

pub struct Loader<T> {
    loaded: OnceCell<Arc<T>>,
    last_failure: Mutex<Option<(Instant, ConfigError)>>,
    retry_after: Duration,
}

impl<T> Default for Loader<T> {
    fn default() -> Self {
        Self::new(DEFAULT_RETRY_AFTER)
    }
}

impl<T> Loader<T> {
    pub fn new(retry_after: Duration) -> Self {
        Self {
            loaded: OnceCell::new(),
            last_failure: Mutex::new(None),
            retry_after,
        }
    }

    pub async fn get<F, Fut>(&self, load: F) -> Result<Arc<T>, ConfigError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, ConfigError>>,
    {
        if let Some(value) = self.loaded.get() {
            return Ok(value.clone());
        }
        let mut last_failure = self.last_failure.lock().await;
        if let Some(value) = self.loaded.get() {
            return Ok(value.clone());
        }
        if let Some((at, error)) = last_failure.as_ref()
            && at.elapsed() < self.retry_after
        {
            return Err(error.clone());
        }
        match load().await {
            Ok(value) => {
                let value = Arc::new(value);
                // Only this task loads (we hold the lock), so the cell is still empty.
                let _ = self.loaded.set(value.clone());
                *last_failure = None;
                tracing::info!("configuration loaded");
                Ok(value)
            }
            Err(error) => {
                // The handler that needed the configuration logs the ERROR line for the request.
                tracing::warn!(error = %error, "configuration could not be loaded; failing closed");
                *last_failure = Some((Instant::now(), error.clone()));
                Err(error)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::config::ConfigError;

    #[tokio::test(start_paused = true)]
    async fn failures_back_off_then_recover_without_restart() {
        let loader: Loader<u32> = Loader::new(Duration::from_secs(2));
        let attempts = AtomicUsize::new(0);
        let failing = || async {
            attempts.fetch_add(1, Ordering::SeqCst);
            Err(ConfigError::NoAllowedHosts)
        };
        for _ in 0..50 {
            assert_eq!(
                loader.get(failing).await.unwrap_err(),
                ConfigError::NoAllowedHosts
            );
        }
        assert_eq!(
            attempts.load(Ordering::SeqCst),
            1,
            "one attempt per back-off interval"
        );
        tokio::time::advance(Duration::from_secs(3)).await;
        assert_eq!(*loader.get(|| async { Ok(7) }).await.unwrap(), 7);
        assert_eq!(
            *loader.get(|| async { Ok(8) }).await.unwrap(),
            7,
            "success is cached"
        );
    }
}
