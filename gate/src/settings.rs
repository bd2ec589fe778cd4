//! Settings from environment variables, validated once at start. Every error names the
//! variable and the bad value; nothing here is secret (secrets live in SSM).

use std::collections::BTreeSet;

use thiserror::Error;

use crate::policy::{PolicyError, Rule, normalize_host};

pub const DEFAULT_GOOGLE_CLIENT_PARAM: &str = "/streamlit/oauth";
pub const DEFAULT_SESSION_COOKIE: &str = "AWSELBAuthSessionCookie";
pub const DEFAULT_SESSION_SECONDS: u64 = 43_200;
/// ALB's own maximum session timeout (7 days).
pub const MAX_SESSION_SECONDS: u64 = 604_800;
pub const GOOGLE_ISSUER: &str = "https://accounts.google.com";
pub const GOOGLE_TOKEN_URL: &str = "https://oauth2.googleapis.com/token";
pub const GOOGLE_JWKS_URL: &str = "https://www.googleapis.com/oauth2/v3/certs";

/// Where Google lives; overridable so tests and the local stack can use a mock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoogleEndpoints {
    pub issuer: String,
    pub token_url: String,
    pub jwks_url: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub google_client_param: String,
    pub client_secret_param: Option<String>,
    pub google_client_id: Option<String>,
    pub rule: Rule,
    pub allowed_hosts: BTreeSet<String>,
    pub policy_param: Option<String>,
    pub session_cookie: String,
    pub session_seconds: u64,
    pub google: GoogleEndpoints,
    pub dev_allow_http_loopback: bool,
}

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum SettingsError {
    #[error(transparent)]
    Policy(#[from] PolicyError),
    #[error(
        "{name}: {value:?} is not a whole number of seconds between 1 and {MAX_SESSION_SECONDS}"
    )]
    SessionSeconds { name: &'static str, value: String },
    #[error("{name}: {value:?} must be true or false")]
    NotABool { name: &'static str, value: String },
    #[error("{name}: {value:?} is not an SSM parameter name (expected e.g. /streamlit/oauth)")]
    ParameterName { name: &'static str, value: String },
    #[error("{name}: {value:?} must be an https:// URL")]
    NotHttps { name: &'static str, value: String },
    #[error("{name}: {value:?} is not a valid cookie name")]
    CookieName { name: &'static str, value: String },
    #[error("{name} must be set")]
    Missing { name: &'static str },
}

impl Settings {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, SettingsError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup` (the environment, or a map in tests). Empty values count
    /// as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let list = |name: &str| -> Vec<String> {
            get(name)
                .map(|v| {
                    v.split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default()
        };
        let dev_allow_http_loopback = match get("GATE_DEV_ALLOW_HTTP_LOOPBACK") {
            None => false,
            Some(v) => parse_bool("GATE_DEV_ALLOW_HTTP_LOOPBACK", &v)?,
        };
        let url = |name: &'static str, default: &str| -> Result<String, SettingsError> {
            let value = get(name).unwrap_or_else(|| default.to_owned());
            let loopback_http = dev_allow_http_loopback && is_loopback_http(&value);
            if value.starts_with("https://") || loopback_http {
                Ok(value)
            } else {
                Err(SettingsError::NotHttps { name, value })
            }
        };
        let issuer = get("GATE_GOOGLE_ISSUER").unwrap_or_else(|| GOOGLE_ISSUER.to_owned());
        let allowed_hosts = list("GATE_ALLOWED_HOSTS")
            .iter()
            .map(|host| normalize_host(host, "GATE_ALLOWED_HOSTS"))
            .collect::<Result<_, _>>()?;
        Ok(Settings {
            google_client_param: parameter_name(
                "GATE_GOOGLE_CLIENT_PARAM",
                get("GATE_GOOGLE_CLIENT_PARAM")
                    .unwrap_or_else(|| DEFAULT_GOOGLE_CLIENT_PARAM.into()),
            )?,
            client_secret_param: get("GATE_CLIENT_SECRET_PARAM")
                .map(|v| parameter_name("GATE_CLIENT_SECRET_PARAM", v))
                .transpose()?,
            google_client_id: get("GATE_GOOGLE_CLIENT_ID"),
            rule: Rule::new(list("GATE_ALLOWED_DOMAINS"), NONE, "GATE_ALLOWED_DOMAINS")?.union(
                Rule::new(NONE, list("GATE_ALLOWED_EMAILS"), "GATE_ALLOWED_EMAILS")?,
            ),
            allowed_hosts,
            policy_param: get("GATE_POLICY_PARAM")
                .map(|v| parameter_name("GATE_POLICY_PARAM", v))
                .transpose()?,
            session_cookie: cookie_name(
                get("GATE_SESSION_COOKIE").unwrap_or_else(|| DEFAULT_SESSION_COOKIE.into()),
            )?,
            session_seconds: match get("GATE_SESSION_SECONDS") {
                None => DEFAULT_SESSION_SECONDS,
                Some(value) => value
                    .parse()
                    .ok()
                    .filter(|s| (1..=MAX_SESSION_SECONDS).contains(s))
                    .ok_or(SettingsError::SessionSeconds {
                        name: "GATE_SESSION_SECONDS",
                        value,
                    })?,
            },
            google: GoogleEndpoints {
                token_url: url("GATE_GOOGLE_TOKEN_URL", GOOGLE_TOKEN_URL)?,
                jwks_url: url("GATE_GOOGLE_JWKS_URL", GOOGLE_JWKS_URL)?,
                issuer,
            },
            dev_allow_http_loopback,
        })
    }

    /// The gate client secret parameter, which only the token endpoint needs.
    pub fn require_client_secret_param(&self) -> Result<&str, SettingsError> {
        self.client_secret_param
            .as_deref()
            .ok_or(SettingsError::Missing {
                name: "GATE_CLIENT_SECRET_PARAM",
            })
    }
}

const NONE: [&str; 0] = [];

fn parse_bool(name: &'static str, value: &str) -> Result<bool, SettingsError> {
    match value.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" => Ok(true),
        "0" | "false" | "no" => Ok(false),
        _ => Err(SettingsError::NotABool {
            name,
            value: value.to_owned(),
        }),
    }
}

/// SSM names: `/`-separated, letters, digits and `_.-`, at most 2048 characters.
fn parameter_name(name: &'static str, value: String) -> Result<String, SettingsError> {
    let valid = value.len() <= 2048
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/_.-".contains(&b))
        && !value.ends_with('/');
    if valid {
        Ok(value)
    } else {
        Err(SettingsError::ParameterName { name, value })
    }
}

/// RFC 6265 token characters, as ALB cookie names must be.
fn cookie_name(value: String) -> Result<String, SettingsError> {
    let valid = value.len() <= 100
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
    if valid {
        Ok(value)
    } else {
        Err(SettingsError::CookieName {
            name: "GATE_SESSION_COOKIE",
            value,
        })
    }
}

/// `http://127.0.0.1…`, `http://localhost…` or `http://[::1]…`: the only plain-http URLs the
/// dev-only loopback switch admits.
pub fn is_loopback_http(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = if authority.starts_with('[') {
        authority.split_inclusive(']').next().unwrap_or_default()
    } else {
        authority.split(':').next().unwrap_or_default()
    };
    matches!(host, "127.0.0.1" | "localhost" | "[::1]") && !authority.contains('@')
}

#[cfg(test)]
mod tests;
