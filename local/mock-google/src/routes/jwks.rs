//! `GET /oauth2/v3/certs`

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

use super::faults::intercept;
use super::{State, json_response};
use crate::faults::Endpoint;

pub(super) async fn keys(axum::extract::State(shared): State) -> Response {
    if let Some(fault) = intercept(&shared, Endpoint::Jwks).await {
        return fault;
    }
    let mut response = json_response(StatusCode::OK, &shared.keys.jwks());
    // Google's header shape; clients should cache keys for max-age.
    let cache_control = format!(
        "public, max-age={}, must-revalidate, no-transform",
        shared.config.jwks_max_age_seconds
    );
    if let Ok(value) = HeaderValue::from_str(&cache_control) {
        response.headers_mut().insert(header::CACHE_CONTROL, value);
    }
    response
}
