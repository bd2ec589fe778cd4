//! State shared by the HTTP handlers and the library API.

use serde_json::Value;
use tokio::sync::watch;

use crate::access_tokens::AccessTokens;
use crate::claims::{self, TokenContext};
use crate::clock::Clock;
use crate::codes::{CodeStore, Grant};
use crate::config::MockConfig;
use crate::error::MockError;
use crate::faults::FaultTable;
use crate::keys::KeyRing;
use crate::stats::Counters;

/// Scope of codes issued through the library API: what ALB should be configured to ask for.
pub(crate) const DEFAULT_SCOPE: &str = "openid email profile";

pub(crate) struct Shared {
    pub config: MockConfig,
    pub base_url: String,
    pub keys: KeyRing,
    pub codes: CodeStore,
    pub access_tokens: AccessTokens,
    pub faults: FaultTable,
    pub counters: Counters,
    pub clock: Clock,
    /// Turns true when the server stops; hanging requests wait on it.
    pub shutdown: watch::Receiver<bool>,
}

impl Shared {
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// What happens when a user picks `email` on the chooser.
    pub(crate) fn issue_code(
        &self,
        email: &str,
        redirect_uri: &str,
        nonce: Option<&str>,
        scope: &str,
    ) -> Result<String, MockError> {
        let account = self
            .config
            .account(email)
            .ok_or_else(|| MockError::UnknownAccount(email.to_owned()))?;
        if !self.config.redirect_uri_allowed(redirect_uri) {
            return Err(MockError::RedirectUriNotAllowed(redirect_uri.to_owned()));
        }
        let grant = Grant {
            client_id: self.config.client_id.clone(),
            redirect_uri: redirect_uri.to_owned(),
            email: account.email.clone(),
            nonce: nonce.map(str::to_owned),
            scope: scope.to_owned(),
        };
        let ttl_ms = u64::try_from(self.config.code_ttl.as_millis()).unwrap_or(u64::MAX);
        Ok(self.codes.issue(grant, self.clock.now_ms(), ttl_ms))
    }

    /// A validly signed ID token for `email`, with claims replaced or removed (`null`).
    pub(crate) fn id_token_for(&self, email: &str, overrides: &Value) -> Result<String, MockError> {
        let account = self
            .config
            .account(email)
            .ok_or_else(|| MockError::UnknownAccount(email.to_owned()))?;
        let ctx = TokenContext {
            issuer: &self.base_url,
            client_id: &self.config.client_id,
            scope: DEFAULT_SCOPE,
            nonce: None,
            access_token: None,
            now_secs: self.clock.now_secs(),
        };
        let mut token_claims = claims::id_token_claims(account, &ctx);
        match overrides {
            Value::Null => {}
            Value::Object(map) => claims::apply_overrides(&mut token_claims, map),
            other => return Err(MockError::OverridesNotAnObject(json_kind(other))),
        }
        Ok(self.keys.current().id_token(&token_claims))
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
