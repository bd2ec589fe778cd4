//! The mock's configuration: one OAuth client and a list of test accounts.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use url::Url;

/// Default lifetime of an authorization code (Google's are short-lived too).
pub const DEFAULT_CODE_TTL: Duration = Duration::from_secs(60);
/// Default `Cache-Control: max-age` of the JWKS response.
pub const DEFAULT_JWKS_MAX_AGE_SECONDS: u64 = 300;
/// The path ALB registers as its redirect URI.
pub const ALB_REDIRECT_PATH: &str = "/oauth2/idpresponse";

/// A Google account the chooser offers.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Account {
    pub email: String,
    pub email_verified: bool,
    /// Workspace domain; `None` for consumer accounts (Google then omits the `hd` claim).
    #[serde(default)]
    pub hd: Option<String>,
    pub name: String,
    pub given_name: String,
    pub family_name: String,
    #[serde(default)]
    pub picture: Option<String>,
}

/// Everything the mock needs to act as Google for one OAuth client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MockConfig {
    pub client_id: String,
    pub client_secret: String,
    /// Registered redirect URIs; empty means "any http(s) URI ending in `/oauth2/idpresponse`".
    pub redirect_uris: Vec<String>,
    pub accounts: Vec<Account>,
    pub code_ttl: Duration,
    pub jwks_max_age_seconds: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read mock config {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("mock config {path} is not valid: {source}")]
    Parse {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("mock config field `{field}` is invalid: {reason}")]
    Invalid { field: String, reason: String },
}

/// The JSON file format (`local/mock-google/accounts.json`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    /// Free text for humans; JSON has no comments.
    #[serde(default, rename = "_comment")]
    _comment: Option<serde_json::Value>,
    client_id: String,
    client_secret: String,
    #[serde(default)]
    redirect_uris: Vec<String>,
    accounts: Vec<Account>,
    #[serde(default)]
    code_ttl_seconds: Option<u64>,
    #[serde(default)]
    jwks_max_age_seconds: Option<u64>,
}

impl MockConfig {
    pub fn from_json_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        let file: ConfigFile =
            serde_json::from_str(&text).map_err(|source| ConfigError::Parse {
                path: path.to_owned(),
                source,
            })?;
        let config = Self {
            client_id: file.client_id,
            client_secret: file.client_secret,
            redirect_uris: file.redirect_uris,
            accounts: file.accounts,
            code_ttl: file
                .code_ttl_seconds
                .map_or(DEFAULT_CODE_TTL, Duration::from_secs),
            jwks_max_age_seconds: file
                .jwks_max_age_seconds
                .unwrap_or(DEFAULT_JWKS_MAX_AGE_SECONDS),
        };
        config.validate()?;
        Ok(config)
    }

    /// The local demo client with the five standard test accounts
    /// (the same content as `local/mock-google/accounts.json`).
    pub fn demo() -> Self {
        Self {
            client_id: "local-demo-client.apps.googleusercontent.com".into(),
            client_secret: "local-demo-google-secret".into(),
            redirect_uris: Vec::new(),
            accounts: vec![
                account(
                    "alice@example.com",
                    true,
                    Some("example.com"),
                    "Alice",
                    "Example",
                ),
                account("bob@gmail.com", true, None, "Bob", "Consumer"),
                account("carol@contractor.io", true, None, "Carol", "Contractor"),
                account("mallory@example.com", true, None, "Mallory", "Personal"),
                account(
                    "dave@example.com",
                    false,
                    Some("example.com"),
                    "Dave",
                    "Unverified",
                ),
            ],
            code_ttl: DEFAULT_CODE_TTL,
            jwks_max_age_seconds: DEFAULT_JWKS_MAX_AGE_SECONDS,
        }
    }

    /// Checks what would otherwise fail confusingly at request time.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.client_id.trim().is_empty() {
            return Err(invalid("client_id", "must not be empty"));
        }
        if self.client_secret.is_empty() {
            return Err(invalid("client_secret", "must not be empty"));
        }
        for (i, uri) in self.redirect_uris.iter().enumerate() {
            match Url::parse(uri) {
                Ok(url) if matches!(url.scheme(), "http" | "https") => {}
                _ => {
                    return Err(invalid(
                        &format!("redirect_uris[{i}]"),
                        &format!("{uri:?} is not an absolute http(s) URL"),
                    ));
                }
            }
        }
        if self.accounts.is_empty() {
            return Err(invalid("accounts", "at least one account is needed"));
        }
        let mut seen = HashSet::new();
        for (i, acc) in self.accounts.iter().enumerate() {
            let field = format!("accounts[{i}].email");
            let Some((local, domain)) = acc.email.split_once('@') else {
                return Err(invalid(&field, &format!("{:?} has no '@'", acc.email)));
            };
            if local.is_empty() || domain.is_empty() {
                return Err(invalid(&field, &format!("{:?} is not an email", acc.email)));
            }
            if !seen.insert(acc.email.to_ascii_lowercase()) {
                return Err(invalid(&field, &format!("{:?} is listed twice", acc.email)));
            }
        }
        Ok(())
    }

    pub(crate) fn account(&self, email: &str) -> Option<&Account> {
        self.accounts
            .iter()
            .find(|a| a.email.eq_ignore_ascii_case(email))
    }

    /// Google only redirects to URIs registered for the client.
    pub(crate) fn redirect_uri_allowed(&self, uri: &str) -> bool {
        if !self.redirect_uris.is_empty() {
            return self.redirect_uris.iter().any(|r| r == uri);
        }
        match Url::parse(uri) {
            Ok(url) => {
                matches!(url.scheme(), "http" | "https")
                    && url.host().is_some()
                    && url.fragment().is_none()
                    && url.path().ends_with(ALB_REDIRECT_PATH)
            }
            Err(_) => false,
        }
    }
}

fn account(email: &str, verified: bool, hd: Option<&str>, given: &str, family: &str) -> Account {
    Account {
        email: email.into(),
        email_verified: verified,
        hd: hd.map(Into::into),
        name: format!("{given} {family}"),
        given_name: given.into(),
        family_name: family.into(),
        picture: None,
    }
}

fn invalid(field: &str, reason: &str) -> ConfigError {
    ConfigError::Invalid {
        field: field.into(),
        reason: reason.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn committed_accounts_file_equals_demo_config() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("accounts.json");
        let from_file = MockConfig::from_json_file(&path).expect("accounts.json loads");
        assert_eq!(from_file, MockConfig::demo());
    }

    #[test]
    fn empty_redirect_list_accepts_only_idpresponse_paths() {
        let config = MockConfig::demo();
        assert!(config.redirect_uri_allowed("https://app.example.com/oauth2/idpresponse"));
        assert!(config.redirect_uri_allowed("http://127.0.0.1:8080/oauth2/idpresponse"));
        assert!(!config.redirect_uri_allowed("https://app.example.com/oauth2/other"));
        assert!(!config.redirect_uri_allowed("javascript:alert(1)//oauth2/idpresponse"));
        assert!(!config.redirect_uri_allowed("https://a.example/oauth2/idpresponse#x"));
    }

    #[test]
    fn registered_redirect_uris_must_match_exactly() {
        let mut config = MockConfig::demo();
        config.redirect_uris = vec!["https://app.example.com/oauth2/idpresponse".into()];
        assert!(config.redirect_uri_allowed("https://app.example.com/oauth2/idpresponse"));
        assert!(!config.redirect_uri_allowed("https://evil.example.com/oauth2/idpresponse"));
    }

    #[test]
    fn duplicate_account_is_rejected_with_its_field() {
        let mut config = MockConfig::demo();
        config.accounts.push(config.accounts[0].clone());
        let err = config.validate().expect_err("duplicate must fail");
        assert!(err.to_string().contains("accounts[5].email"), "{err}");
    }

    #[test]
    fn unreadable_file_error_names_the_path() {
        let err = MockConfig::from_json_file(Path::new("/nonexistent/mock.json"))
            .expect_err("missing file must fail");
        assert!(err.to_string().contains("/nonexistent/mock.json"), "{err}");
    }
}
