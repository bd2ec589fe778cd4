//! `POST /token`: authorization code → access token + RS256 ID token.

use aws_lc_rs::constant_time::verify_slices_are_equal;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use serde_json::json;

use super::faults::intercept;
use super::params::Params;
use super::{State, json_response, oauth_error};
use crate::access_tokens::{ACCESS_TOKEN_LIFETIME_SECS, AccessGrant};
use crate::claims::{self, TokenContext};
use crate::config::MockConfig;
use crate::faults::Endpoint;

pub(super) async fn exchange(
    axum::extract::State(shared): State,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(fault) = intercept(&shared, Endpoint::Token).await {
        return fault;
    }
    let params = match Params::parse(&body) {
        Ok(params) => params,
        Err(err) => return bad_request("invalid_request", &err.to_string()),
    };
    let client = match authenticate_client(&shared.config, &headers, &params) {
        Ok(client) => client,
        Err(style) => return invalid_client(style),
    };
    match params.get("grant_type") {
        Some("authorization_code") => {}
        Some(other) => {
            return bad_request(
                "unsupported_grant_type",
                &format!("grant_type {other:?} is not supported"),
            );
        }
        None => return bad_request("invalid_request", "Missing required parameter: grant_type"),
    }
    let Some(code) = params.get("code") else {
        return bad_request("invalid_request", "Missing required parameter: code");
    };
    let Some(redirect_uri) = params.get("redirect_uri") else {
        return bad_request(
            "invalid_request",
            "Missing required parameter: redirect_uri",
        );
    };
    let now_ms = shared.clock.now_ms();
    let grant = match shared.codes.redeem(code, now_ms) {
        Ok(grant) => grant,
        Err(err) => return bad_request("invalid_grant", &err.to_string()),
    };
    if grant.client_id != client {
        return bad_request("invalid_grant", "code was issued to another client");
    }
    if grant.redirect_uri != redirect_uri {
        return bad_request(
            "invalid_grant",
            "redirect_uri does not match the one the code was issued for",
        );
    }
    let Some(account) = shared.config.account(&grant.email) else {
        return bad_request("invalid_grant", "account of the code no longer exists");
    };
    let access_token = shared.access_tokens.issue(
        AccessGrant {
            email: account.email.clone(),
            scope: grant.scope.clone(),
        },
        now_ms,
    );
    let ctx = TokenContext {
        issuer: &shared.base_url,
        client_id: &client,
        scope: &grant.scope,
        nonce: grant.nonce.as_deref(),
        access_token: Some(&access_token),
        now_secs: now_ms / 1000,
    };
    let id_token = shared
        .keys
        .current()
        .id_token(&claims::id_token_claims(account, &ctx));
    let mut response = json_response(
        StatusCode::OK,
        &json!({
            "access_token": access_token,
            "expires_in": ACCESS_TOKEN_LIFETIME_SECS,
            "scope": grant.scope,
            "token_type": "Bearer",
            "id_token": id_token,
        }),
    );
    response
        .headers_mut()
        .insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// How the client tried to authenticate; Basic failures get a `WWW-Authenticate` challenge.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum AuthStyle {
    Basic,
    Post,
}

/// The authenticated client id. HTTP Basic wins when present (RFC 6749 §2.3.1). The RFC says
/// its parts are form-urlencoded, but many clients send them raw, so both spellings match.
fn authenticate_client(
    config: &MockConfig,
    headers: &HeaderMap,
    params: &Params,
) -> Result<String, AuthStyle> {
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let (raw_id, raw_secret) = basic_credentials(value).ok_or(AuthStyle::Basic)?;
        let decoded = (form_decode(&raw_id), form_decode(&raw_secret));
        let id = [decoded, (raw_id, raw_secret)]
            .into_iter()
            .find(|(id, secret)| client_matches(config, id, secret))
            .map(|(id, _)| id)
            .ok_or(AuthStyle::Basic)?;
        if params.get("client_id").is_some_and(|form_id| form_id != id) {
            return Err(AuthStyle::Basic);
        }
        return Ok(id);
    }
    let id = params.get("client_id").ok_or(AuthStyle::Post)?;
    let secret = params.get("client_secret").ok_or(AuthStyle::Post)?;
    if client_matches(config, id, secret) {
        Ok(id.to_owned())
    } else {
        Err(AuthStyle::Post)
    }
}

fn basic_credentials(value: &HeaderValue) -> Option<(String, String)> {
    let (scheme, encoded) = value.to_str().ok()?.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

fn form_decode(part: &str) -> String {
    percent_encoding::percent_decode_str(&part.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

fn client_matches(config: &MockConfig, id: &str, secret: &str) -> bool {
    id == config.client_id
        && verify_slices_are_equal(secret.as_bytes(), config.client_secret.as_bytes()).is_ok()
}

fn bad_request(error: &str, description: &str) -> Response {
    oauth_error(StatusCode::BAD_REQUEST, error, description)
}

fn invalid_client(style: AuthStyle) -> Response {
    let mut response = oauth_error(
        StatusCode::UNAUTHORIZED,
        "invalid_client",
        "client authentication failed",
    );
    if style == AuthStyle::Basic {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"mock-google\""),
        );
    }
    response
}
