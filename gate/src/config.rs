//! Each function's configuration: env settings plus what SSM holds, validated together.
//! Loaded once per execution environment (see `loader`); any error here fails closed.

use std::collections::BTreeSet;

use serde::Deserialize;
use thiserror::Error;

use crate::parameters::{ParameterError, ParameterStore};
use crate::policy::{Policy, PolicyError, normalize_host};
use crate::secret::{ClientId, Secret};
use crate::settings::{GoogleEndpoints, Settings, SettingsError};

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ConfigError {
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error(transparent)]
    Parameter(#[from] ParameterError),
    #[error(transparent)]
    Policy(#[from] PolicyError),
    #[error("SSM parameter {param}: {detail}")]
    GoogleClient { param: String, detail: String },
    #[error("GATE_GOOGLE_CLIENT_ID does not match client_id in SSM parameter {param}")]
    ClientIdMismatch { param: String },
    #[error("no allowed hosts: set GATE_ALLOWED_HOSTS (or hosts in GATE_POLICY_PARAM)")]
    NoAllowedHosts,
    #[error(
        "the policy allows nobody: set GATE_ALLOWED_DOMAINS and/or GATE_ALLOWED_EMAILS (or GATE_POLICY_PARAM)"
    )]
    NobodyAllowed,
}

/// Google's OAuth client, parsed from the JSON the Google console downloads.
#[derive(Debug, Clone)]
pub struct GoogleClient {
    pub client_id: ClientId,
    pub client_secret: Secret,
}

#[derive(Deserialize)]
struct ClientFile {
    web: Option<ClientSection>,
    installed: Option<ClientSection>,
}

#[derive(Deserialize)]
struct ClientSection {
    client_id: Option<String>,
    client_secret: Option<String>,
}

impl GoogleClient {
    /// Accepts `{"web": {...}}` (web application clients, what ALB needs) and
    /// `{"installed": {...}}`. Errors name the parameter and never echo the content.
    pub fn from_json(text: &str, param: &str) -> Result<Self, ConfigError> {
        let error = |detail: &str| ConfigError::GoogleClient {
            param: param.to_owned(),
            detail: detail.to_owned(),
        };
        let file: ClientFile = serde_json::from_str(text).map_err(|err| {
            error(&format!(
                "not the Google client JSON (invalid JSON at line {}, column {})",
                err.line(),
                err.column()
            ))
        })?;
        let section = file.web.or(file.installed).ok_or_else(|| {
            error("expected Google's client JSON with a \"web\" (or \"installed\") object")
        })?;
        let client_id = section
            .client_id
            .filter(|id| !id.trim().is_empty())
            .ok_or_else(|| error("client_id is missing or empty"))?;
        let client_secret = section
            .client_secret
            .filter(|secret| !secret.trim().is_empty())
            .ok_or_else(|| error("client_secret is missing or empty"))?;
        Ok(Self {
            client_id: ClientId::new(client_id.trim()),
            client_secret: Secret::new(client_secret.trim()),
        })
    }
}

/// Everything the token endpoint needs.
#[derive(Debug, Clone)]
pub struct CallbackConfig {
    pub google: GoogleClient,
    pub gate_secret: Secret,
    pub policy: Policy,
    pub allowed_hosts: BTreeSet<String>,
    pub dev_allow_http_loopback: bool,
    pub session_seconds: u64,
    pub endpoints: GoogleEndpoints,
}

impl CallbackConfig {
    pub async fn load(
        settings: &Settings,
        store: &impl ParameterStore,
    ) -> Result<Self, ConfigError> {
        let secret_param = settings.require_client_secret_param()?;
        // Independent reads: one round trip's worth of cold start instead of three.
        let (google_json, gate_secret, policy) = tokio::try_join!(
            async { Ok::<_, ConfigError>(store.get(&settings.google_client_param).await?) },
            async { Ok::<_, ConfigError>(store.get(secret_param).await?) },
            load_policy(settings, store),
        )?;
        let google = GoogleClient::from_json(&google_json, &settings.google_client_param)?;
        if settings
            .google_client_id
            .as_deref()
            .is_some_and(|id| id != google.client_id.as_str())
        {
            return Err(ConfigError::ClientIdMismatch {
                param: settings.google_client_param.clone(),
            });
        }
        let gate_secret = Secret::new(gate_secret.trim());
        let mut allowed_hosts = settings.allowed_hosts.clone();
        for host in policy.hosts() {
            allowed_hosts.insert(normalize_host(host, "GATE_POLICY_PARAM")?);
        }
        if allowed_hosts.is_empty() {
            return Err(ConfigError::NoAllowedHosts);
        }
        Ok(Self {
            google,
            gate_secret,
            policy,
            allowed_hosts,
            dev_allow_http_loopback: settings.dev_allow_http_loopback,
            session_seconds: settings.session_seconds,
            endpoints: settings.google.clone(),
        })
    }
}

/// Everything the userinfo endpoint needs. With `GATE_GOOGLE_CLIENT_ID` set it reads no
/// secret at all.
#[derive(Debug, Clone)]
pub struct AuthorizerConfig {
    pub client_id: ClientId,
    pub policy: Policy,
    pub endpoints: GoogleEndpoints,
}

impl AuthorizerConfig {
    pub async fn load(
        settings: &Settings,
        store: &impl ParameterStore,
    ) -> Result<Self, ConfigError> {
        let client_id = match &settings.google_client_id {
            Some(id) => ClientId::new(id.as_str()),
            None => {
                let json = store.get(&settings.google_client_param).await?;
                GoogleClient::from_json(&json, &settings.google_client_param)?.client_id
            }
        };
        Ok(Self {
            client_id,
            policy: load_policy(settings, store).await?,
            endpoints: settings.google.clone(),
        })
    }
}

async fn load_policy(
    settings: &Settings,
    store: &impl ParameterStore,
) -> Result<Policy, ConfigError> {
    let mut policy = Policy::new(settings.rule.clone());
    if let Some(param) = &settings.policy_param {
        let document = store.get(param).await?;
        policy.merge_document(&document, param)?;
    }
    if policy.allows_nobody() {
        return Err(ConfigError::NobodyAllowed);
    }
    Ok(policy)
}

#[cfg(test)]
mod tests;
