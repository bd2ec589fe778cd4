//! HTTP routes: Google's endpoints, plus the mock-only control API under `/_mock/`.

mod authorize;
mod control;
mod discovery;
mod faults;
mod html;
mod jwks;
mod params;
mod token;
mod userinfo;

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::server::ResetConnection;
use crate::state::Shared;

pub(crate) const DISCOVERY_PATH: &str = "/.well-known/openid-configuration";
pub(crate) const AUTHORIZE_PATH: &str = "/o/oauth2/v2/auth";
pub(crate) const CHOOSE_PATH: &str = "/o/oauth2/v2/auth/choose";
pub(crate) const TOKEN_PATH: &str = "/token";
pub(crate) const JWKS_PATH: &str = "/oauth2/v3/certs";
pub(crate) const USERINFO_PATH: &str = "/v1/userinfo";

type State = axum::extract::State<Arc<Shared>>;

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(DISCOVERY_PATH, get(discovery::document))
        .route(AUTHORIZE_PATH, get(authorize::chooser))
        .route(CHOOSE_PATH, post(authorize::choose))
        .route(TOKEN_PATH, post(token::exchange))
        .route(JWKS_PATH, get(jwks::keys))
        .route(USERINFO_PATH, get(userinfo::claims).post(userinfo::claims))
        .merge(control::routes())
        .fallback(not_found)
        .layer(middleware::from_fn(log_request))
        .with_state(shared)
}

/// One line per request. Only the path: queries and bodies carry codes, tokens and secrets.
async fn log_request(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    let outcome = if response.extensions().get::<ResetConnection>().is_some() {
        "reset".to_owned()
    } else {
        response.status().as_u16().to_string()
    };
    tracing::info!(
        %method,
        %path,
        status = %outcome,
        latency_ms = started.elapsed().as_millis() as u64,
        "request"
    );
    response
}

async fn not_found() -> Response {
    oauth_error(StatusCode::NOT_FOUND, "not_found", "no such endpoint")
}

/// An OAuth-style JSON error (`{"error": .., "error_description": ..}`).
pub(crate) fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    json_response(
        status,
        &json!({"error": error, "error_description": description}),
    )
}

pub(crate) fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut response = (status, axum::Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
