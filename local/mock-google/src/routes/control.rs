//! Mock-only control API under `/_mock/` (Google has nothing like it): key rotation, faults,
//! request counts, hand-made ID tokens and clock skew.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use bytes::Bytes;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::{State, json_response, oauth_error};
use crate::faults::{Endpoint, Fault, FaultSpec};
use crate::state::Shared;

pub(super) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/_mock/rotate-keys", post(rotate_keys))
        .route("/_mock/faults", post(set_fault).delete(clear_faults))
        .route(
            "/_mock/stats",
            axum::routing::get(stats).delete(reset_stats),
        )
        .route("/_mock/id-token", post(id_token))
        .route("/_mock/clock", post(advance_clock))
}

async fn rotate_keys(axum::extract::State(shared): State) -> Response {
    // RSA key generation is CPU work; keep it off the async worker.
    let rotated = tokio::task::spawn_blocking(move || shared.keys.rotate()).await;
    match rotated {
        Ok(kid) => {
            tracing::info!(%kid, "signing key rotated");
            json_response(StatusCode::OK, &json!({"kid": kid}))
        }
        Err(err) => oauth_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            &format!("key generation failed: {err}"),
        ),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetFault {
    endpoint: Endpoint,
    fault: FaultSpec,
    /// Also accepted inside `fault`.
    times: Option<u32>,
}

async fn set_fault(axum::extract::State(shared): State, body: Bytes) -> Response {
    let request: SetFault = match parse_json(&body) {
        Ok(request) => request,
        Err(reason) => return invalid_request(&reason),
    };
    let mut fault = match Fault::try_from(request.fault) {
        Ok(fault) => fault,
        Err(err) => return invalid_request(&err.to_string()),
    };
    if let Some(times) = request.times {
        if fault.times.is_some() {
            return invalid_request("give `times` either at the top level or in `fault`, not both");
        }
        fault.times = Some(times);
    }
    tracing::info!(endpoint = request.endpoint.as_str(), "fault set");
    shared.faults.set(request.endpoint, fault);
    StatusCode::NO_CONTENT.into_response()
}

async fn clear_faults(axum::extract::State(shared): State) -> Response {
    shared.faults.clear();
    StatusCode::NO_CONTENT.into_response()
}

async fn stats(axum::extract::State(shared): State) -> Response {
    let snapshot = shared.counters.snapshot();
    match serde_json::to_value(&snapshot) {
        Ok(body) => json_response(StatusCode::OK, &body),
        Err(err) => oauth_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            &err.to_string(),
        ),
    }
}

async fn reset_stats(axum::extract::State(shared): State) -> Response {
    shared.counters.reset();
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IdTokenRequest {
    email: String,
    #[serde(default)]
    claims: Value,
}

async fn id_token(axum::extract::State(shared): State, body: Bytes) -> Response {
    let request: IdTokenRequest = match parse_json(&body) {
        Ok(request) => request,
        Err(reason) => return invalid_request(&reason),
    };
    match shared.id_token_for(&request.email, &request.claims) {
        Ok(token) => json_response(StatusCode::OK, &json!({"id_token": token})),
        Err(err) => invalid_request(&err.to_string()),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AdvanceClock {
    advance_seconds: u64,
}

async fn advance_clock(axum::extract::State(shared): State, body: Bytes) -> Response {
    let request: AdvanceClock = match parse_json(&body) {
        Ok(request) => request,
        Err(reason) => return invalid_request(&reason),
    };
    shared
        .clock
        .advance(Duration::from_secs(request.advance_seconds));
    StatusCode::NO_CONTENT.into_response()
}

fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    serde_json::from_slice(body).map_err(|err| format!("bad JSON body: {err}"))
}

fn invalid_request(description: &str) -> Response {
    oauth_error(StatusCode::BAD_REQUEST, "invalid_request", description)
}
