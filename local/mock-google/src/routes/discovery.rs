//! `GET /.well-known/openid-configuration`

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use super::faults::intercept;
use super::{AUTHORIZE_PATH, JWKS_PATH, State, TOKEN_PATH, USERINFO_PATH, json_response};
use crate::faults::Endpoint;

pub(super) async fn document(axum::extract::State(shared): State) -> Response {
    if let Some(fault) = intercept(&shared, Endpoint::Discovery).await {
        return fault;
    }
    let body = json!({
        "issuer": shared.base_url,
        "authorization_endpoint": shared.url(AUTHORIZE_PATH),
        "token_endpoint": shared.url(TOKEN_PATH),
        "userinfo_endpoint": shared.url(USERINFO_PATH),
        "jwks_uri": shared.url(JWKS_PATH),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "email", "profile"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "grant_types_supported": ["authorization_code"],
        "claims_supported": [
            "aud", "email", "email_verified", "exp", "family_name", "given_name", "hd", "iat",
            "iss", "name", "nonce", "picture", "sub", "at_hash", "azp"
        ],
    });
    json_response(StatusCode::OK, &body)
}
