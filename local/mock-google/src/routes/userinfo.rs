//! `GET|POST /v1/userinfo` with `Authorization: Bearer <access token>`

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;

use super::faults::intercept;
use super::{State, json_response, oauth_error};
use crate::claims;
use crate::faults::Endpoint;

pub(super) async fn claims(axum::extract::State(shared): State, headers: HeaderMap) -> Response {
    if let Some(fault) = intercept(&shared, Endpoint::Userinfo).await {
        return fault;
    }
    let grant = bearer_token(&headers)
        .and_then(|token| shared.access_tokens.lookup(token, shared.clock.now_ms()));
    let account = grant.as_ref().and_then(|g| {
        shared
            .config
            .account(&g.email)
            .map(|a| (a, g.scope.as_str()))
    });
    match account {
        Some((account, scope)) => json_response(StatusCode::OK, &claims::userinfo(account, scope)),
        None => unauthorized(),
    }
}

fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

fn unauthorized() -> Response {
    let mut response = oauth_error(
        StatusCode::UNAUTHORIZED,
        "invalid_request",
        "Invalid Credentials",
    );
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer error=\"invalid_token\""),
    );
    response
}
