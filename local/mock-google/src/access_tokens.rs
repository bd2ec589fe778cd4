//! Opaque access tokens handed out by `/token`, accepted by `/v1/userinfo`.

use std::collections::HashMap;
use std::sync::Mutex;

/// Google's access tokens live 3599 s.
pub(crate) const ACCESS_TOKEN_LIFETIME_SECS: u64 = 3599;

#[derive(Clone)]
pub(crate) struct AccessGrant {
    pub email: String,
    pub scope: String,
}

struct Entry {
    grant: AccessGrant,
    expires_at_ms: u64,
}

#[derive(Default)]
pub(crate) struct AccessTokens {
    entries: Mutex<HashMap<String, Entry>>,
}

impl AccessTokens {
    pub(crate) fn issue(&self, grant: AccessGrant, now_ms: u64) -> String {
        // "ya29." is Google's prefix; gate code must treat the rest as opaque.
        let token = format!("ya29.mock-{}", crate::random::token());
        let mut entries = self.lock();
        entries.retain(|_, e| e.expires_at_ms > now_ms);
        entries.insert(
            token.clone(),
            Entry {
                grant,
                expires_at_ms: now_ms.saturating_add(ACCESS_TOKEN_LIFETIME_SECS * 1000),
            },
        );
        token
    }

    pub(crate) fn lookup(&self, token: &str, now_ms: u64) -> Option<AccessGrant> {
        self.lock()
            .get(token)
            .filter(|e| e.expires_at_ms > now_ms)
            .map(|e| e.grant.clone())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }
}
