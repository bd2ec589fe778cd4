//! The emulator's JSON config: the parts of our Terraform listener that matter locally.
//! Parsed with unknown fields rejected, then validated so every error names the bad field.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;

use ipnet::IpNet;
use serde::Deserialize;
use url::Url;

use crate::pattern::WildcardPattern;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("config is not valid JSON for the schema: {0}")]
    Json(#[from] serde_json::Error),
    #[error("config field `{field}` is invalid: {reason}")]
    Field { field: String, reason: String },
}

fn bad(field: impl Into<String>, reason: impl Into<String>) -> ConfigError {
    ConfigError::Field {
        field: field.into(),
        reason: reason.into(),
    }
}

/// Raw file schema (exactly the launcher's contract; see example-config.json).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    pub listen: String,
    pub public_keys_listen: String,
    pub allowed_cidrs: Vec<String>,
    pub signer_arn: String,
    pub oidc: RawOidc,
    pub rules: Vec<RawRule>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOidc {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub user_info_endpoint: String,
    pub client_id: String,
    pub client_secret: String,
    pub scope: String,
    pub session_cookie_name: String,
    pub session_timeout_seconds: u64,
    #[serde(default)]
    pub authentication_request_extra_params: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
    pub priority: u32,
    pub path_patterns: Vec<String>,
    #[serde(default)]
    pub host_headers: Vec<String>,
    pub action: RawAction,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case", deny_unknown_fields)]
pub enum RawAction {
    Lambda {
        invoke_url: String,
        target_group_arn: String,
        multi_value_headers: bool,
    },
    AuthenticateOidc {
        on_unauthenticated_request: OnUnauthenticated,
        forward: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnUnauthenticated {
    Authenticate,
    Deny,
    Allow,
}

/// Validated config used at run time.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub public_keys_listen: SocketAddr,
    pub allowed_cidrs: Vec<IpNet>,
    pub signer_arn: String,
    pub oidc: OidcConfig,
    /// Sorted by ascending priority (lowest number is evaluated first, as on ALB).
    pub rules: Vec<Rule>,
}

#[derive(Clone)]
pub struct OidcConfig {
    pub issuer: String,
    pub authorization_endpoint: Url,
    pub token_endpoint: Url,
    pub user_info_endpoint: Url,
    pub client_id: String,
    pub client_secret: String,
    pub scope: String,
    pub session_cookie_name: String,
    pub session_timeout_seconds: u64,
    pub authentication_request_extra_params: BTreeMap<String, String>,
}

// The client secret must never reach a log line, not even through `{:?}`.
impl std::fmt::Debug for OidcConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcConfig")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("session_cookie_name", &self.session_cookie_name)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone)]
pub struct Rule {
    pub priority: u32,
    pub path_patterns: Vec<WildcardPattern>,
    pub host_headers: Vec<WildcardPattern>,
    pub action: Action,
}

#[derive(Debug, Clone)]
pub enum Action {
    Lambda {
        invoke_url: Url,
        target_group_arn: String,
        multi_value_headers: bool,
    },
    AuthenticateOidc {
        on_unauthenticated_request: OnUnauthenticated,
        forward: Url,
    },
}

/// ALB limits: session timeout 1 s .. 7 days, at most 10 extra authorization parameters.
const MAX_SESSION_TIMEOUT_SECONDS: u64 = 604_800;
const MAX_EXTRA_PARAMS: usize = 10;
/// Parameters the emulator sets itself; an extra param must not override them.
const RESERVED_AUTH_PARAMS: [&str; 6] = [
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "nonce",
];

impl Config {
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_json(&text)
    }

    pub fn from_json(text: &str) -> Result<Self, ConfigError> {
        let raw: RawConfig = serde_json::from_str(text)?;
        Self::validate(raw)
    }

    pub fn validate(raw: RawConfig) -> Result<Self, ConfigError> {
        let listen = parse_addr("listen", &raw.listen)?;
        let public_keys_listen = parse_addr("public_keys_listen", &raw.public_keys_listen)?;
        if raw.allowed_cidrs.is_empty() {
            return Err(bad("allowed_cidrs", "must list at least one CIDR"));
        }
        let allowed_cidrs = raw
            .allowed_cidrs
            .iter()
            .enumerate()
            .map(|(i, c)| {
                c.parse::<IpNet>()
                    .map_err(|e| bad(format!("allowed_cidrs[{i}]"), format!("{c:?}: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if raw.signer_arn.trim().is_empty() {
            return Err(bad("signer_arn", "must not be empty"));
        }
        let oidc = validate_oidc(raw.oidc)?;
        if raw.rules.is_empty() {
            return Err(bad("rules", "must contain at least one rule"));
        }
        let mut rules = raw
            .rules
            .into_iter()
            .enumerate()
            .map(|(i, r)| validate_rule(i, r))
            .collect::<Result<Vec<_>, _>>()?;
        rules.sort_by_key(|r| r.priority);
        if let Some(pair) = rules.windows(2).find(|w| w[0].priority == w[1].priority) {
            return Err(bad(
                "rules[].priority",
                format!("priority {} is used twice", pair[0].priority),
            ));
        }
        Ok(Config {
            listen,
            public_keys_listen,
            allowed_cidrs,
            signer_arn: raw.signer_arn,
            oidc,
            rules,
        })
    }
}

fn parse_addr(field: &str, value: &str) -> Result<SocketAddr, ConfigError> {
    value
        .parse()
        .map_err(|e| bad(field, format!("{value:?} is not an IP:port address: {e}")))
}

fn parse_http_url(field: &str, value: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(value).map_err(|e| bad(field, format!("{value:?}: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(bad(
            field,
            format!("{value:?} must be an http(s) URL with a host"),
        ));
    }
    Ok(url)
}

fn validate_oidc(raw: RawOidc) -> Result<OidcConfig, ConfigError> {
    if raw.issuer.trim().is_empty() {
        return Err(bad("oidc.issuer", "must not be empty"));
    }
    let authorization_endpoint =
        parse_http_url("oidc.authorization_endpoint", &raw.authorization_endpoint)?;
    let token_endpoint = parse_http_url("oidc.token_endpoint", &raw.token_endpoint)?;
    let user_info_endpoint = parse_http_url("oidc.user_info_endpoint", &raw.user_info_endpoint)?;
    if raw.client_id.trim().is_empty() {
        return Err(bad("oidc.client_id", "must not be empty"));
    }
    if raw.client_secret.is_empty() {
        return Err(bad("oidc.client_secret", "must not be empty"));
    }
    if !raw.scope.split(' ').any(|s| s == "openid") {
        return Err(bad(
            "oidc.scope",
            "must contain `openid` (without it the IdP returns no ID token)",
        ));
    }
    let name_ok = !raw.session_cookie_name.is_empty()
        && raw
            .session_cookie_name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
    if !name_ok {
        return Err(bad(
            "oidc.session_cookie_name",
            "must be non-empty and use only letters, digits, '-', '_' or '.'",
        ));
    }
    if !(1..=MAX_SESSION_TIMEOUT_SECONDS).contains(&raw.session_timeout_seconds) {
        return Err(bad(
            "oidc.session_timeout_seconds",
            format!("must be between 1 and {MAX_SESSION_TIMEOUT_SECONDS}"),
        ));
    }
    let extra = &raw.authentication_request_extra_params;
    if extra.len() > MAX_EXTRA_PARAMS {
        return Err(bad(
            "oidc.authentication_request_extra_params",
            format!("at most {MAX_EXTRA_PARAMS} parameters (ALB limit)"),
        ));
    }
    if let Some(k) = extra
        .keys()
        .find(|k| k.is_empty() || RESERVED_AUTH_PARAMS.contains(&k.as_str()))
    {
        return Err(bad(
            format!("oidc.authentication_request_extra_params.{k}"),
            "empty or reserved parameter name",
        ));
    }
    Ok(OidcConfig {
        issuer: raw.issuer,
        authorization_endpoint,
        token_endpoint,
        user_info_endpoint,
        client_id: raw.client_id,
        client_secret: raw.client_secret,
        scope: raw.scope,
        session_cookie_name: raw.session_cookie_name,
        session_timeout_seconds: raw.session_timeout_seconds,
        authentication_request_extra_params: raw.authentication_request_extra_params,
    })
}

fn validate_rule(index: usize, raw: RawRule) -> Result<Rule, ConfigError> {
    let field = |name: &str| format!("rules[{index}].{name}");
    if !(1..=50_000).contains(&raw.priority) {
        return Err(bad(field("priority"), "must be between 1 and 50000"));
    }
    if raw.path_patterns.is_empty() {
        return Err(bad(
            field("path_patterns"),
            "must list at least one pattern",
        ));
    }
    let path_patterns = raw
        .path_patterns
        .iter()
        .enumerate()
        .map(|(i, p)| {
            WildcardPattern::path(p)
                .map_err(|e| bad(format!("rules[{index}].path_patterns[{i}]"), e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let host_headers = raw
        .host_headers
        .iter()
        .enumerate()
        .map(|(i, p)| {
            WildcardPattern::host(p)
                .map_err(|e| bad(format!("rules[{index}].host_headers[{i}]"), e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let action = match raw.action {
        RawAction::Lambda {
            invoke_url,
            target_group_arn,
            multi_value_headers,
        } => {
            if target_group_arn.trim().is_empty() {
                return Err(bad(field("action.target_group_arn"), "must not be empty"));
            }
            Action::Lambda {
                invoke_url: parse_http_url(&field("action.invoke_url"), &invoke_url)?,
                target_group_arn,
                multi_value_headers,
            }
        }
        RawAction::AuthenticateOidc {
            on_unauthenticated_request,
            forward,
        } => {
            let forward_field = field("action.forward");
            let url = parse_http_url(&forward_field, &forward)?;
            if url.scheme() != "http" {
                return Err(bad(forward_field, "only http:// targets are supported"));
            }
            if url.path() != "/" || url.query().is_some() {
                return Err(bad(
                    forward_field,
                    "must be a base URL without path or query",
                ));
            }
            Action::AuthenticateOidc {
                on_unauthenticated_request,
                forward: url,
            }
        }
    };
    Ok(Rule {
        priority: raw.priority,
        path_patterns,
        host_headers,
        action,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = include_str!("../example-config.json");

    #[test]
    fn example_config_is_valid_and_sorted_by_priority() {
        let config = Config::from_json(EXAMPLE).expect("example config");
        let priorities: Vec<u32> = config.rules.iter().map(|r| r.priority).collect();
        assert_eq!(priorities, vec![10, 11, 12]);
        assert_eq!(config.allowed_cidrs.len(), 2);
    }

    fn edited(edit: impl FnOnce(&mut serde_json::Value)) -> Result<Config, ConfigError> {
        let mut v: serde_json::Value = serde_json::from_str(EXAMPLE).expect("example json");
        edit(&mut v);
        Config::from_json(&v.to_string())
    }

    fn error_text(result: Result<Config, ConfigError>) -> String {
        match result {
            Ok(_) => panic!("config was accepted"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn bad_cidr_names_its_index() {
        let msg = error_text(edited(|v| v["allowed_cidrs"][1] = "::1/200".into()));
        assert!(msg.contains("allowed_cidrs[1]"), "{msg}");
    }

    #[test]
    fn bad_listen_address_is_named() {
        let msg = error_text(edited(|v| v["listen"] = "localhost".into()));
        assert!(msg.contains("`listen`"), "{msg}");
    }

    #[test]
    fn unknown_field_is_named() {
        let msg = error_text(edited(|v| v["oidc"]["client_secert"] = "x".into()));
        assert!(msg.contains("client_secert"), "{msg}");
    }

    #[test]
    fn bad_forward_url_is_named() {
        let msg = error_text(edited(|v| {
            v["rules"][2]["action"]["forward"] = "http://127.0.0.1:8501/app".into()
        }));
        assert!(msg.contains("rules[2].action.forward"), "{msg}");
    }

    #[test]
    fn duplicate_priority_is_rejected() {
        let msg = error_text(edited(|v| v["rules"][1]["priority"] = 10.into()));
        assert!(msg.contains("priority 10"), "{msg}");
    }

    #[test]
    fn reserved_extra_param_is_rejected() {
        let msg = error_text(edited(|v| {
            v["oidc"]["authentication_request_extra_params"]["state"] = "x".into()
        }));
        assert!(
            msg.contains("authentication_request_extra_params.state"),
            "{msg}"
        );
    }

    #[test]
    fn session_timeout_out_of_alb_range_is_rejected() {
        let msg = error_text(edited(|v| v["oidc"]["session_timeout_seconds"] = 0.into()));
        assert!(msg.contains("session_timeout_seconds"), "{msg}");
    }

    #[test]
    fn unknown_action_type_is_rejected() {
        let msg = error_text(edited(|v| {
            v["rules"][0]["action"]["type"] = "redirect".into()
        }));
        assert!(msg.contains("redirect"), "{msg}");
    }

    #[test]
    fn debug_output_hides_client_secret() {
        let config = Config::from_json(EXAMPLE).expect("example config");
        let text = format!("{config:?}");
        assert!(!text.contains(&config.oidc.client_secret), "{text}");
    }
}
