//! The `authorizer` Lambda: the OIDC userinfo endpoint the ALB calls (`/userinfo`), plus the
//! ALB-target routes under `/_auth/`.
//!
//! The bearer token is the Google ID token our token endpoint handed to the ALB; it is verified
//! again (signature, iss, aud, exp) and the policy re-applied, so a token that did not come
//! through our token endpoint, or a user removed from the lists, gets nothing.

use http::header::AUTHORIZATION;
use http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use serde_json::{Map, Value};
use tokio::time::Instant;

use crate::alb::{LOGOUT_PATH, SIGNED_OUT_PATH, logout, signed_out_page};
use crate::audit::{self, Outcome, Subject};
use crate::clock::{Clock, SystemClock};
use crate::config::AuthorizerConfig;
use crate::function::Function;
use crate::http_client::{HttpClient, HttpError, ReqwestClient};
use crate::id_token::{VerifiedClaims, verify};
use crate::parameters::{ParameterStore, SsmStore};
use crate::response::{invalid_bearer, json, text};
use crate::settings::{DEFAULT_SESSION_COOKIE, Settings, SettingsError};

const ENDPOINT: &str = "userinfo";
/// Display claims longer than this are dropped: the ALB refuses claims + token over 11 KB.
pub const MAX_DISPLAY_CLAIM_BYTES: usize = 1024;

pub struct Authorizer<S, H: HttpClient, C: Clock> {
    function: Function<AuthorizerConfig, S, H, C>,
}

impl Authorizer<SsmStore, ReqwestClient, SystemClock> {
    /// Production wiring: env settings, SSM, reqwest, the system clock.
    pub fn from_env() -> Result<Self, HttpError> {
        Ok(Self {
            function: Function::from_env()?,
        })
    }
}

impl<S: ParameterStore, H: HttpClient + Clone, C: Clock + Clone> Authorizer<S, H, C> {
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
        let path = request.uri().path();
        let method = request.method();
        match path {
            "/userinfo" if method == Method::GET || method == Method::POST => {
                self.userinfo(&request).await
            }
            LOGOUT_PATH if method == Method::GET => logout(self.session_cookie()),
            SIGNED_OUT_PATH if method == Method::GET => signed_out_page(),
            "/userinfo" | LOGOUT_PATH | SIGNED_OUT_PATH => {
                text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n")
            }
            _ => text(StatusCode::NOT_FOUND, "not found\n"),
        }
    }

    /// Sign-out must work even when SSM or Google are down, so it needs env settings only.
    fn session_cookie(&self) -> &str {
        self.function
            .setup
            .as_ref()
            .map(|setup| setup.settings.session_cookie.as_str())
            .unwrap_or(DEFAULT_SESSION_COOKIE)
    }

    async fn userinfo(&self, request: &Request) -> Response<Body> {
        let started = Instant::now();
        let deny = |reason: &str, subject: Subject<'_>| {
            audit::record(ENDPOINT, Outcome::Deny, reason, subject, started);
            invalid_bearer()
        };
        let Some(token) = bearer_token(request) else {
            return deny("invalid_token:missing_bearer", Subject::default());
        };
        let ready = match self.function.ready().await {
            Ok(ready) => ready,
            Err(err) => {
                tracing::error!(error = %err, "userinfo failing closed: configuration unavailable");
                return unavailable("config_unavailable", started);
            }
        };
        let claims = match verify(
            token,
            ready.keys.as_ref(),
            &ready.expected,
            self.function.clock.now(),
        )
        .await
        {
            Ok(claims) => claims,
            Err(err) if err.is_transient() => {
                tracing::error!(error = %err, "cannot verify bearer token: signing keys unavailable");
                return unavailable(err.reason(), started);
            }
            Err(err) => return deny(err.reason(), Subject::default()),
        };
        let subject = Subject {
            email: claims.email.as_deref(),
            hd: claims.hd.as_deref(),
            host: None,
        };
        let decision = ready.config.policy.decide_any_host(&claims.identity());
        if !decision.is_allowed() {
            return deny(decision.reason(), subject);
        }
        audit::record(
            ENDPOINT,
            Outcome::Allow,
            decision.reason(),
            subject,
            started,
        );
        json(StatusCode::OK, &userinfo_claims(&claims))
    }
}

fn unavailable(reason: &str, started: Instant) -> Response<Body> {
    audit::record(
        ENDPOINT,
        Outcome::Error,
        reason,
        Subject::default(),
        started,
    );
    json(
        StatusCode::SERVICE_UNAVAILABLE,
        &serde_json::json!({ "error": "temporarily_unavailable" }),
    )
}

/// `Authorization: Bearer <token>` (scheme case-insensitive, RFC 6750 §2.1).
fn bearer_token(request: &Request) -> Option<&str> {
    let value = request.headers().get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Only verified claims, only the ones the app needs.
pub fn userinfo_claims(claims: &VerifiedClaims) -> Value {
    let mut out = Map::new();
    out.insert("sub".into(), claims.sub.clone().into());
    if let Some(email) = &claims.email {
        out.insert("email".into(), email.clone().into());
    }
    out.insert("email_verified".into(), claims.email_verified.into());
    let display = [
        ("hd", &claims.hd),
        ("name", &claims.name),
        ("given_name", &claims.given_name),
        ("family_name", &claims.family_name),
        ("picture", &claims.picture),
    ];
    for (name, value) in display {
        if let Some(value) = value
            .as_ref()
            .filter(|v| v.len() <= MAX_DISPLAY_CLAIM_BYTES)
        {
            out.insert(name.into(), value.clone().into());
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests;
