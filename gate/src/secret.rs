//! Newtypes for values that must never be logged or compared in variable time.

use std::fmt;

use aws_lc_rs::digest::{SHA256, digest};
use subtle::ConstantTimeEq;

/// A secret string: the gate client secret, Google's client secret, an authorization code.
///
/// `Debug` prints `***` so a secret cannot leak through `{:?}` in a log line or error.
/// There is deliberately no `Display`.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The raw value, for the few places that must send it (Google's token endpoint).
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Constant-time equality. Both sides are hashed first so neither the content nor the
    /// length of the expected secret shows in the timing.
    pub fn matches(&self, candidate: &str) -> bool {
        let expected = digest(&SHA256, self.0.as_bytes());
        let given = digest(&SHA256, candidate.as_bytes());
        bool::from(expected.as_ref().ct_eq(given.as_ref()))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// An OAuth client id (Google's). Not secret, but never to be confused with other strings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientId(String);

impl ClientId {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let secret = Secret::new("hunter2-very-secret");
        assert_eq!(format!("{secret:?}"), "***");
        assert!(!format!("{:?}", Some(&secret)).contains("hunter2"));
    }

    #[test]
    fn matches_only_the_exact_value() {
        let secret = Secret::new("s3cret");
        assert!(secret.matches("s3cret"));
        assert!(!secret.matches("s3cret "));
        assert!(!secret.matches("S3CRET"));
        assert!(!secret.matches(""));
        assert!(!secret.matches("s3cre"));
    }
}
