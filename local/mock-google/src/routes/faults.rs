//! Applying injected faults to a request.

use std::convert::Infallible;

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;

use super::{json_response, oauth_error};
use crate::faults::{Endpoint, FaultKind};
use crate::server::{ResetConnection, stopping};
use crate::state::Shared;

/// Counts the request, then applies the endpoint's fault if one is set.
/// `Some(response)` replaces the real answer; `None` means "answer normally" (maybe later).
pub(super) async fn intercept(shared: &Shared, endpoint: Endpoint) -> Option<Response> {
    shared.counters.hit(endpoint);
    let kind = shared.faults.take(endpoint)?;
    shared.counters.fault_applied();
    tracing::info!(endpoint = endpoint.as_str(), fault = ?kind_name(&kind), "injecting fault");
    let mut stop = shared.shutdown.clone();
    match kind {
        FaultKind::Status(code) => Some(status(code, endpoint)),
        FaultKind::Delay(by) => {
            tokio::select! {
                () = tokio::time::sleep(by) => None,
                () = stopping(&mut stop) => Some(reset()),
            }
        }
        FaultKind::Hang => {
            stopping(&mut stop).await;
            Some(reset())
        }
        FaultKind::Garbage(text) => Some(json_body(Body::from(text), None)),
        FaultKind::Json(value) => Some(json_response(StatusCode::OK, &value)),
        FaultKind::HugeBytes(len) => Some(json_body(huge_body(len), Some(len))),
        FaultKind::Reset => Some(reset()),
    }
}

fn kind_name(kind: &FaultKind) -> &'static str {
    match kind {
        FaultKind::Status(_) => "status",
        FaultKind::Delay(_) => "delay",
        FaultKind::Hang => "hang",
        FaultKind::Garbage(_) => "garbage",
        FaultKind::Json(_) => "json",
        FaultKind::HugeBytes(_) => "huge_bytes",
        FaultKind::Reset => "reset",
    }
}

fn status(code: u16, endpoint: Endpoint) -> Response {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let description = format!("injected HTTP {code} on {}", endpoint.as_str());
    let mut response = oauth_error(status, "mock_fault", &description);
    if matches!(code, 429 | 503) {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    response
}

fn json_body(body: Body, len: Option<u64>) -> Response {
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    if let Some(len) = len {
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    }
    response
}

/// `len` bytes of `x`, streamed so a large fault costs no memory.
fn huge_body(len: u64) -> Body {
    const CHUNK: usize = 64 * 1024;
    static FILL: [u8; CHUNK] = [b'x'; CHUNK];
    let chunk = CHUNK as u64;
    let chunks = (0..len.div_ceil(chunk)).map(move |i| {
        let size = (len - i * chunk).min(chunk) as usize;
        Ok::<_, Infallible>(Bytes::from_static(&FILL[..size]))
    });
    Body::from_stream(futures_util::stream::iter(chunks))
}

fn reset() -> Response {
    let mut response = StatusCode::INTERNAL_SERVER_ERROR.into_response();
    response.extensions_mut().insert(ResetConnection);
    response
}
