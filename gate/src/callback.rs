//! The `callback` Lambda: the OAuth 2.0 token endpoint the ALB calls (`POST /token`).
//!
//! Order of checks: cheap request parsing first (no I/O), then client authentication against
//! the cached config, then grant type and redirect URI, and only then the call to Google —
//! so an unauthenticated flood never reaches SSM, Google or the JWKS.

use http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use serde_json::json;
use tokio::time::Instant;

use crate::audit::{self, Outcome, Subject};
use crate::clock::{Clock, SystemClock};
use crate::config::CallbackConfig;
use crate::function::Function;
use crate::google::{ExchangeError, exchange_code};
use crate::http_client::{HttpClient, HttpError, ReqwestClient};
use crate::id_token::verify;
use crate::parameters::{ParameterStore, SsmStore};
use crate::policy::Decision;
use crate::response::{body_bytes, json, oauth_error, text};
use crate::settings::{Settings, SettingsError};
use crate::token_request::{self, MAX_CODE_BYTES, TokenRequest, check_redirect_uri};

pub use crate::function::GOOGLE_TIMEOUT;

const ENDPOINT: &str = "token";

pub struct Callback<S, H: HttpClient, C: Clock> {
    function: Function<CallbackConfig, S, H, C>,
}

impl Callback<SsmStore, ReqwestClient, SystemClock> {
    /// Production wiring: env settings, SSM, reqwest, the system clock.
    pub fn from_env() -> Result<Self, HttpError> {
        Ok(Self {
            function: Function::from_env()?,
        })
    }
}

impl<S: ParameterStore, H: HttpClient + Clone, C: Clock + Clone> Callback<S, H, C> {
    pub fn new(settings: Result<Settings, SettingsError>, store: S, http: H, clock: C) -> Self {
        Self {
            function: Function::new(settings, store, http, clock),
        }
    }

    /// Loads configuration and Google's keys ahead of the first request.
    pub async fn warm_up(&self) {
        self.function.warm_up().await;
    }

    pub async fn handle(&self, request: Request) -> Response<Body> {
        let started = Instant::now();
        if request.uri().path() != "/token" {
            return text(StatusCode::NOT_FOUND, "not found\n");
        }
        if request.method() != Method::POST {
            let mut response = text(StatusCode::METHOD_NOT_ALLOWED, "use POST\n");
            response
                .headers_mut()
                .insert(http::header::ALLOW, http::HeaderValue::from_static("POST"));
            return response;
        }
        match self.exchange(&request).await {
            Ok(granted) => granted.respond(started),
            Err(refusal) => refusal.respond(started),
        }
    }

    async fn exchange(&self, request: &Request) -> Result<Granted, Refusal> {
        let parsed =
            token_request::parse(request.headers(), body_bytes(request.body())).map_err(|err| {
                let status = if err.oauth_error() == "invalid_client" {
                    StatusCode::UNAUTHORIZED
                } else {
                    StatusCode::BAD_REQUEST
                };
                Refusal::deny(status, err.oauth_error(), err.reason())
            })?;
        let ready = self.function.ready().await.map_err(|err| {
            tracing::error!(error = %err, "token endpoint failing closed: configuration unavailable");
            Refusal::unavailable("config_unavailable")
        })?;
        let config = &ready.config;
        authenticate_client(config, &parsed)?;
        match parsed.grant_type.as_deref() {
            Some("authorization_code") => {}
            Some(_) => {
                return Err(Refusal::bad_request(
                    "unsupported_grant_type",
                    "unsupported_grant_type",
                ));
            }
            None => {
                return Err(Refusal::bad_request(
                    "invalid_request",
                    "invalid_request:missing_grant_type",
                ));
            }
        }
        let code = parsed
            .code
            .as_ref()
            .filter(|code| !code.is_empty() && code.expose().len() <= MAX_CODE_BYTES)
            .ok_or_else(|| Refusal::bad_request("invalid_request", "invalid_request:code"))?;
        let host = check_redirect_uri(
            parsed.redirect_uri.as_deref(),
            &config.allowed_hosts,
            config.dev_allow_http_loopback,
        )
        .map_err(|_| Refusal::bad_request("invalid_request", "redirect_uri_not_allowed"))?;
        let who = Who {
            host: Some(host.clone()),
            ..Who::default()
        };
        let redirect_uri = parsed.redirect_uri.as_deref().unwrap_or_default();
        let id_token = exchange_code(
            &self.function.http,
            &config.endpoints.token_url,
            &config.google,
            code,
            redirect_uri,
        )
        .await
        .map_err(|err| exchange_refusal(&err).about(&who))?;
        let claims = verify(&id_token, ready.keys.as_ref(), &ready.expected, self.function.clock.now())
            .await
            .map_err(|err| {
                if err.is_transient() {
                    tracing::error!(error = %err, "cannot verify Google's ID token: signing keys unavailable");
                    Refusal::unavailable(err.reason()).about(&who)
                } else {
                    tracing::warn!(error = %err, "Google's ID token failed verification");
                    Refusal::bad_request("invalid_grant", err.reason()).about(&who)
                }
            })?;
        let who = Who {
            email: claims.email.clone(),
            hd: claims.hd.clone(),
            host: Some(host.clone()),
        };
        match config.policy.decide_for_host(&claims.identity(), &host) {
            Decision::Allow(reason) => Ok(Granted {
                id_token,
                expires_in: config.session_seconds,
                reason: reason.code(),
                who,
            }),
            Decision::Deny(reason) => {
                Err(Refusal::bad_request("access_denied", reason.code()).about(&who))
            }
        }
    }
}

fn authenticate_client(config: &CallbackConfig, request: &TokenRequest) -> Result<(), Refusal> {
    // Evaluate both comparisons so timing does not reveal which one failed.
    let id_ok = request.client_id == config.google.client_id.as_str();
    let secret_ok = config.gate_secret.matches(request.client_secret.expose());
    if id_ok && secret_ok {
        Ok(())
    } else {
        let reason = if id_ok {
            "invalid_client:secret"
        } else {
            "invalid_client:client_id"
        };
        Err(Refusal::deny(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            reason,
        ))
    }
}

fn exchange_refusal(err: &ExchangeError) -> Refusal {
    match err {
        ExchangeError::InvalidGrant => Refusal::bad_request("invalid_grant", err.reason()),
        ExchangeError::Misconfigured { .. } => {
            tracing::error!(error = %err, "code exchange refused by Google");
            Refusal {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                error: "server_error",
                outcome: Outcome::Error,
                reason: err.reason(),
                who: Who::default(),
            }
        }
        ExchangeError::Unavailable(_) | ExchangeError::Garbage(_) => {
            tracing::error!(error = %err, "code exchange failed");
            Refusal::unavailable(err.reason())
        }
    }
}

/// Who a refusal or grant was about (owned, since it outlives the request parsing).
#[derive(Debug, Default, Clone)]
struct Who {
    email: Option<String>,
    hd: Option<String>,
    host: Option<String>,
}

impl Who {
    fn as_subject(&self) -> Subject<'_> {
        Subject {
            email: self.email.as_deref(),
            hd: self.hd.as_deref(),
            host: self.host.as_deref(),
        }
    }
}

/// A refused token request: the HTTP answer plus what the audit line says.
struct Refusal {
    status: StatusCode,
    error: &'static str,
    outcome: Outcome,
    reason: &'static str,
    who: Who,
}

impl Refusal {
    fn deny(status: StatusCode, error: &'static str, reason: &'static str) -> Self {
        Self {
            status,
            error,
            outcome: Outcome::Deny,
            reason,
            who: Who::default(),
        }
    }

    fn bad_request(error: &'static str, reason: &'static str) -> Self {
        Self::deny(StatusCode::BAD_REQUEST, error, reason)
    }

    /// Our side failed: fail closed with a generic, retryable answer.
    fn unavailable(reason: &'static str) -> Self {
        Self {
            status: StatusCode::SERVICE_UNAVAILABLE,
            error: "temporarily_unavailable",
            outcome: Outcome::Error,
            reason,
            who: Who::default(),
        }
    }

    fn about(mut self, who: &Who) -> Self {
        self.who = who.clone();
        self
    }

    fn respond(self, started: Instant) -> Response<Body> {
        audit::record(
            ENDPOINT,
            self.outcome,
            self.reason,
            self.who.as_subject(),
            started,
        );
        if self.status.is_server_error() {
            json(self.status, &json!({ "error": self.error }))
        } else {
            oauth_error(self.status, self.error)
        }
    }
}

struct Granted {
    id_token: String,
    expires_in: u64,
    reason: &'static str,
    who: Who,
}

impl Granted {
    fn respond(self, started: Instant) -> Response<Body> {
        audit::record(
            ENDPOINT,
            Outcome::Allow,
            self.reason,
            self.who.as_subject(),
            started,
        );
        // The access token *is* Google's ID token: the userinfo endpoint verifies it again.
        // expires_in is the session length so the ALB does not re-authenticate hourly.
        json(
            StatusCode::OK,
            &json!({
                "access_token": self.id_token,
                "id_token": self.id_token,
                "token_type": "Bearer",
                "expires_in": self.expires_in,
            }),
        )
    }
}

#[cfg(test)]
mod tests;
