//! Signing keys: the current one signs, the previous one stays published (like Google's JWKS).

use std::sync::{Arc, RwLock};

use serde_json::Value;
use testkit::TestKey;

pub(crate) struct KeyRing {
    keys: RwLock<Keys>,
}

struct Keys {
    current: Arc<TestKey>,
    previous: Option<Arc<TestKey>>,
}

impl KeyRing {
    pub(crate) fn generate() -> Self {
        Self {
            keys: RwLock::new(Keys {
                current: Arc::new(TestKey::generate(&new_kid())),
                previous: None,
            }),
        }
    }

    pub(crate) fn current(&self) -> Arc<TestKey> {
        Arc::clone(&self.read().current)
    }

    /// Makes a fresh key the signing key; the old signing key stays published, older ones drop.
    pub(crate) fn rotate(&self) -> String {
        // Generate outside the lock: RSA key generation takes a while.
        let fresh = Arc::new(TestKey::generate(&new_kid()));
        let kid = fresh.kid().to_owned();
        let mut keys = self
            .keys
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let old = std::mem::replace(&mut keys.current, fresh);
        keys.previous = Some(old);
        kid
    }

    /// The JWKS document: current key first, then the previous one.
    pub(crate) fn jwks(&self) -> Value {
        let keys = self.read();
        let mut list: Vec<&TestKey> = vec![&keys.current];
        if let Some(prev) = &keys.previous {
            list.push(prev);
        }
        testkit::jwks(&list)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Keys> {
        // A panic elsewhere cannot leave the key pair half-written, so a poisoned lock is usable.
        self.keys
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Google's kids are 40 hex digits; ours are random so two runs never share one.
fn new_kid() -> String {
    crate::random::hex::<20>()
}
