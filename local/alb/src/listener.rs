//! The HTTP listener: per request, rewrite headers like ALB, handle `/oauth2/idpresponse`, then run
//! the first matching rule. One log line per request, without cookies, codes, tokens or secrets.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use http::{HeaderValue, Request, StatusCode};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;

use crate::body::Response;
use crate::config::{Action, Config, OnUnauthenticated};
use crate::cookies::{Session, read_session, request_cookies};
use crate::crypto::{CookieSealer, DataSigner};
use crate::headers::{
    ClientInfo, OIDC_ACCESS_TOKEN, OIDC_DATA, OIDC_IDENTITY, add_forwarded_headers,
    is_upgrade_request, strip_client_oidc_headers,
};
use crate::lambda::{self, LambdaTarget, MAX_REQUEST_BODY};
use crate::oidc_data::{DataTokenInput, sign_data_token};
use crate::pages::error_page;
use crate::proxy;
use crate::rules::select_rule;
use crate::signin::{
    IDP_RESPONSE_PATH, IdpResponseContext, IdpResponseQuery, failure_page, finish_sign_in,
    start_sign_in,
};

/// AWS does not document the lifetime of `x-amzn-oidc-data`; we use two minutes, capped at the
/// session expiry, so apps that check `exp` are exercised (see README).
const DATA_TOKEN_TTL_SECONDS: u64 = 120;

/// Everything a request handler needs, built once at start.
pub struct AppState {
    pub config: Config,
    pub sealer: CookieSealer,
    pub signer: DataSigner,
    pub http: reqwest::Client,
    pub listener_port: u16,
    pub https: bool,
}

pub fn now_epoch() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// What the log line says about how a request was handled.
struct Outcome {
    response: Response,
    rule: String,
    reason: Option<String>,
}

impl Outcome {
    fn new(response: Response, rule: impl Into<String>) -> Self {
        Self {
            response,
            rule: rule.into(),
            reason: None,
        }
    }

    fn because(mut self, reason: Option<impl ToString>) -> Self {
        self.reason = reason.map(|r| r.to_string());
        self
    }
}

pub async fn handle(
    state: Arc<AppState>,
    peer: SocketAddr,
    request: Request<Incoming>,
) -> Result<Response, Infallible> {
    let started = Instant::now();
    let method = request.method().clone();
    // Only the path is logged: the query of /oauth2/idpresponse carries the authorization code.
    let path = request.uri().path().to_string();
    let outcome = route(&state, peer, request).await;
    tracing::info!(
        method = %method,
        path = %path,
        status = outcome.response.status().as_u16(),
        rule = %outcome.rule,
        reason = outcome.reason.as_deref().unwrap_or("-"),
        latency_ms = started.elapsed().as_millis() as u64,
        "request"
    );
    Ok(outcome.response)
}

async fn route(state: &AppState, peer: SocketAddr, mut request: Request<Incoming>) -> Outcome {
    let client = ClientInfo {
        peer,
        listener_port: state.listener_port,
        https: state.https,
    };
    // Before anything else: a client must never be able to supply identity headers.
    strip_client_oidc_headers(request.headers_mut());
    add_forwarded_headers(request.headers_mut(), &client);
    let Some(host) = request
        .headers()
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_string)
    else {
        return Outcome::new(error_page(StatusCode::BAD_REQUEST), "none")
            .because(Some("missing Host header"));
    };
    let now = now_epoch();
    let cookies = request_cookies(request.headers());

    if request.uri().path() == IDP_RESPONSE_PATH {
        let ctx = IdpResponseContext {
            oidc: &state.config.oidc,
            sealer: &state.sealer,
            http: &state.http,
            client: &client,
            host: &host,
            cookies: &cookies,
            now,
        };
        let query = IdpResponseQuery::parse(request.uri().query());
        return match finish_sign_in(&ctx, &query).await {
            Ok(response) => Outcome::new(response, "idpresponse"),
            Err(e) => Outcome::new(failure_page(&e), "idpresponse").because(Some(e)),
        };
    }

    let Some(rule) = select_rule(&state.config.rules, request.uri().path(), Some(&host)) else {
        return Outcome::new(error_page(StatusCode::NOT_FOUND), "default")
            .because(Some("no rule matched"));
    };
    let rule_name = format!("priority {}", rule.priority);
    match &rule.action {
        Action::Lambda {
            invoke_url,
            target_group_arn,
            multi_value_headers,
        } => {
            let target = LambdaTarget {
                invoke_url,
                target_group_arn,
                multi_value_headers: *multi_value_headers,
            };
            let (response, reason) = lambda_action(state, request, &target).await;
            Outcome::new(response, rule_name).because(reason)
        }
        Action::AuthenticateOidc {
            on_unauthenticated_request,
            forward,
        } => {
            let session = read_session(
                &state.sealer,
                &state.config.oidc.session_cookie_name,
                &cookies,
                now,
            );
            match (session, on_unauthenticated_request) {
                (Some(session), _) => {
                    if let Err(e) = add_identity_headers(state, &mut request, &session, now) {
                        return Outcome::new(
                            error_page(StatusCode::INTERNAL_SERVER_ERROR),
                            rule_name,
                        )
                        .because(Some(e));
                    }
                    let (response, reason) = proxy::forward(forward, request).await;
                    Outcome::new(response, rule_name).because(reason)
                }
                (None, OnUnauthenticated::Allow) => {
                    let (response, reason) = proxy::forward(forward, request).await;
                    Outcome::new(response, rule_name).because(reason)
                }
                (None, OnUnauthenticated::Deny) => {
                    Outcome::new(error_page(StatusCode::UNAUTHORIZED), rule_name)
                        .because(Some("unauthenticated, rule denies"))
                }
                (None, OnUnauthenticated::Authenticate) => {
                    let original = request
                        .uri()
                        .path_and_query()
                        .map_or("/", |pq| pq.as_str())
                        .to_string();
                    match start_sign_in(
                        &state.config.oidc,
                        &state.sealer,
                        &client,
                        &host,
                        &original,
                        now,
                    ) {
                        Ok(response) => Outcome::new(response, rule_name),
                        Err(e) => Outcome::new(failure_page(&e), rule_name).because(Some(e)),
                    }
                }
            }
        }
    }
}

async fn lambda_action(
    state: &AppState,
    request: Request<Incoming>,
    target: &LambdaTarget<'_>,
) -> (Response, Option<String>) {
    // ALB does not support websockets to Lambda targets.
    if is_upgrade_request(request.headers()) {
        return (
            error_page(StatusCode::BAD_REQUEST),
            Some("websocket upgrade to a Lambda target".into()),
        );
    }
    let (parts, body) = request.into_parts();
    let body = match Limited::new(body, MAX_REQUEST_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) => {
            let too_large = e
                .downcast_ref::<http_body_util::LengthLimitError>()
                .is_some();
            let status = if too_large {
                StatusCode::PAYLOAD_TOO_LARGE
            } else {
                StatusCode::BAD_REQUEST
            };
            return (error_page(status), Some(format!("request body: {e}")));
        }
    };
    let (response, error) = lambda::handle(&state.http, &parts, &body, target).await;
    (response, error.map(|e| e.to_string()))
}

#[derive(Debug, thiserror::Error)]
enum IdentityError {
    #[error("cannot sign x-amzn-oidc-data: {0}")]
    Sign(#[from] crate::crypto::CryptoError),
    #[error("session value is not a valid header value for {0}")]
    HeaderValue(&'static str),
}

/// The three headers ALB adds for an authenticated user.
fn add_identity_headers(
    state: &AppState,
    request: &mut Request<Incoming>,
    session: &Session,
    now: u64,
) -> Result<(), IdentityError> {
    let oidc = &state.config.oidc;
    let data = sign_data_token(
        &state.signer,
        &DataTokenInput {
            claims: &session.claims,
            issuer: &oidc.issuer,
            client_id: &oidc.client_id,
            signer_arn: &state.config.signer_arn,
            exp: session.expires_at.min(now + DATA_TOKEN_TTL_SECONDS),
        },
    )?;
    let sub = session
        .claims
        .get("sub")
        .and_then(|s| s.as_str())
        .unwrap_or_default();
    let headers = request.headers_mut();
    let value = |name: &'static str, v: &str| {
        HeaderValue::from_str(v).map_err(|_| IdentityError::HeaderValue(name))
    };
    headers.insert(
        OIDC_ACCESS_TOKEN,
        value(OIDC_ACCESS_TOKEN, &session.access_token)?,
    );
    headers.insert(OIDC_IDENTITY, value(OIDC_IDENTITY, sub)?);
    headers.insert(OIDC_DATA, value(OIDC_DATA, &data)?);
    Ok(())
}
