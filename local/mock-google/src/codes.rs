//! One-time authorization codes, bound to what the user chose.

use std::collections::HashMap;
use std::sync::Mutex;

/// What a code stands for (the grant the user made on the chooser).
#[derive(Clone, Debug)]
pub(crate) struct Grant {
    pub client_id: String,
    pub redirect_uri: String,
    pub email: String,
    pub nonce: Option<String>,
    pub scope: String,
}

struct Entry {
    grant: Grant,
    expires_at_ms: u64,
    used: bool,
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum RedeemError {
    #[error("authorization code is unknown or malformed")]
    Unknown,
    #[error("authorization code has expired")]
    Expired,
    #[error("authorization code was already used")]
    AlreadyUsed,
}

#[derive(Default)]
pub(crate) struct CodeStore {
    entries: Mutex<HashMap<String, Entry>>,
}

/// Used codes are remembered this long after expiry so a replay reads "already used".
const FORGET_AFTER_MS: u64 = 10 * 60 * 1000;

impl CodeStore {
    pub(crate) fn issue(&self, grant: Grant, now_ms: u64, ttl_ms: u64) -> String {
        // Google's codes start with "4/"; keeping the shape shows encoding bugs ('/' in a query).
        let code = format!("4/0mock{}", crate::random::token());
        let mut entries = self.lock();
        entries.retain(|_, e| e.expires_at_ms.saturating_add(FORGET_AFTER_MS) > now_ms);
        entries.insert(
            code.clone(),
            Entry {
                grant,
                expires_at_ms: now_ms.saturating_add(ttl_ms),
                used: false,
            },
        );
        code
    }

    /// Marks the code used and returns its grant. A code is burnt by its first redemption
    /// attempt, even a failed one (wrong redirect_uri), as Google does.
    pub(crate) fn redeem(&self, code: &str, now_ms: u64) -> Result<Grant, RedeemError> {
        let mut entries = self.lock();
        let entry = entries.get_mut(code).ok_or(RedeemError::Unknown)?;
        if entry.used {
            return Err(RedeemError::AlreadyUsed);
        }
        entry.used = true;
        if now_ms >= entry.expires_at_ms {
            return Err(RedeemError::Expired);
        }
        Ok(entry.grant.clone())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant() -> Grant {
        Grant {
            client_id: "c".into(),
            redirect_uri: "https://h/oauth2/idpresponse".into(),
            email: "a@example.com".into(),
            nonce: None,
            scope: "openid".into(),
        }
    }

    #[test]
    fn code_redeems_once_then_reads_already_used() {
        let store = CodeStore::default();
        let code = store.issue(grant(), 1_000, 60_000);
        assert!(store.redeem(&code, 2_000).is_ok());
        assert_eq!(
            store.redeem(&code, 2_000).err(),
            Some(RedeemError::AlreadyUsed)
        );
    }

    #[test]
    fn code_expires_at_its_ttl() {
        let store = CodeStore::default();
        let code = store.issue(grant(), 1_000, 60_000);
        assert_eq!(
            store.redeem(&code, 61_000).err(),
            Some(RedeemError::Expired)
        );
    }

    #[test]
    fn unknown_code_is_rejected() {
        let store = CodeStore::default();
        assert_eq!(store.redeem("4/nope", 0).err(), Some(RedeemError::Unknown));
    }
}
