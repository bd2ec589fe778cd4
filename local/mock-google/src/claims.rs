//! ID token and userinfo claims, shaped like Google's.

use aws_lc_rs::digest::{SHA256, digest};
use serde_json::{Map, Value, json};

use crate::config::Account;

/// ID tokens live one hour, like Google's.
pub(crate) const ID_TOKEN_LIFETIME_SECS: u64 = 3600;

/// What goes into one ID token besides the account's own claims.
pub(crate) struct TokenContext<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub scope: &'a str,
    pub nonce: Option<&'a str>,
    pub access_token: Option<&'a str>,
    pub now_secs: u64,
}

/// Google includes `email*` only with the `email` scope and profile claims only with `profile`.
pub(crate) fn id_token_claims(account: &Account, ctx: &TokenContext<'_>) -> Value {
    let mut claims = Map::new();
    claims.insert("iss".into(), json!(ctx.issuer));
    claims.insert("azp".into(), json!(ctx.client_id));
    claims.insert("aud".into(), json!(ctx.client_id));
    claims.insert("sub".into(), json!(subject(&account.email)));
    if let Some(hd) = &account.hd {
        claims.insert("hd".into(), json!(hd));
    }
    if has_scope(ctx.scope, "email") {
        claims.insert("email".into(), json!(account.email));
        claims.insert("email_verified".into(), json!(account.email_verified));
    }
    if let Some(token) = ctx.access_token {
        claims.insert("at_hash".into(), json!(at_hash(token)));
    }
    if let Some(nonce) = ctx.nonce {
        claims.insert("nonce".into(), json!(nonce));
    }
    if has_scope(ctx.scope, "profile") {
        insert_profile(&mut claims, account);
    }
    claims.insert("iat".into(), json!(ctx.now_secs));
    claims.insert(
        "exp".into(),
        json!(ctx.now_secs.saturating_add(ID_TOKEN_LIFETIME_SECS)),
    );
    Value::Object(claims)
}

/// The userinfo document for an access token granted with `scope`.
pub(crate) fn userinfo(account: &Account, scope: &str) -> Value {
    let mut claims = Map::new();
    claims.insert("sub".into(), json!(subject(&account.email)));
    if has_scope(scope, "profile") {
        insert_profile(&mut claims, account);
    }
    if has_scope(scope, "email") {
        claims.insert("email".into(), json!(account.email));
        claims.insert("email_verified".into(), json!(account.email_verified));
    }
    if let Some(hd) = &account.hd {
        claims.insert("hd".into(), json!(hd));
    }
    Value::Object(claims)
}

/// Applies test overrides: a key set to `null` removes the claim, anything else replaces it.
pub(crate) fn apply_overrides(claims: &mut Value, overrides: &Map<String, Value>) {
    if let Value::Object(map) = claims {
        for (key, value) in overrides {
            if value.is_null() {
                map.remove(key);
            } else {
                map.insert(key.clone(), value.clone());
            }
        }
    }
}

pub(crate) fn has_scope(scope: &str, wanted: &str) -> bool {
    scope.split_ascii_whitespace().any(|s| s == wanted)
}

/// Stable per account across runs: 21 digits starting with 1, like Google's `sub`.
pub(crate) fn subject(email: &str) -> String {
    let hash = digest(&SHA256, email.to_ascii_lowercase().as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&hash.as_ref()[..8]);
    format!(
        "1{:020}",
        u64::from_be_bytes(first) % 10_000_000_000_000_000_000
    )
}

/// OIDC Core 3.1.3.6: base64url of the left half of SHA-256 of the access token.
pub(crate) fn at_hash(access_token: &str) -> String {
    let hash = digest(&SHA256, access_token.as_bytes());
    testkit::b64url(&hash.as_ref()[..16])
}

fn insert_profile(claims: &mut Map<String, Value>, account: &Account) {
    claims.insert("name".into(), json!(account.name));
    if let Some(picture) = &account.picture {
        claims.insert("picture".into(), json!(picture));
    }
    claims.insert("given_name".into(), json!(account.given_name));
    claims.insert("family_name".into(), json!(account.family_name));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::MockConfig;

    fn ctx(scope: &str) -> TokenContext<'_> {
        TokenContext {
            issuer: "http://127.0.0.1:1",
            client_id: "client",
            scope,
            nonce: Some("n1"),
            access_token: Some("ya29.x"),
            now_secs: 1_000,
        }
    }

    #[test]
    fn consumer_account_has_no_hd_claim() {
        let bob = MockConfig::demo().accounts[1].clone();
        let claims = id_token_claims(&bob, &ctx("openid email profile"));
        assert!(claims.get("hd").is_none());
        assert_eq!(claims["email"], "bob@gmail.com");
        assert_eq!(claims["exp"], 4_600);
    }

    #[test]
    fn openid_only_scope_carries_no_email() {
        let alice = MockConfig::demo().accounts[0].clone();
        let claims = id_token_claims(&alice, &ctx("openid"));
        assert!(claims.get("email").is_none());
        assert!(claims.get("name").is_none());
        assert_eq!(claims["hd"], "example.com");
    }

    #[test]
    fn null_override_removes_a_claim() {
        let alice = MockConfig::demo().accounts[0].clone();
        let mut claims = id_token_claims(&alice, &ctx("openid email"));
        let overrides = json!({"email_verified": null, "hd": "evil.io"});
        apply_overrides(&mut claims, overrides.as_object().expect("object literal"));
        assert!(claims.get("email_verified").is_none());
        assert_eq!(claims["hd"], "evil.io");
    }

    #[test]
    fn at_hash_matches_the_oidc_example() {
        // OIDC Core, appendix A.3: access token "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y".
        assert_eq!(
            at_hash("jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
    }

    #[test]
    fn subjects_are_stable_and_distinct() {
        assert_eq!(subject("a@example.com"), subject("A@example.com"));
        assert_ne!(subject("a@example.com"), subject("b@example.com"));
        assert_eq!(subject("a@example.com").len(), 21);
    }
}
