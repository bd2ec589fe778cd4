//! Small HTTP response builders shared by both functions.

use http::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue, PRAGMA, WWW_AUTHENTICATE};
use http::{Response, StatusCode};
use lambda_http::Body;
use serde_json::{Value, json};

/// JSON that must never be cached by anything in between (tokens, identities).
pub fn json(status: StatusCode, value: &Value) -> Response<Body> {
    let mut response = Response::new(Body::Text(value.to_string()));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// An RFC 6749 §5.2 error body.
pub fn oauth_error(status: StatusCode, error: &str) -> Response<Body> {
    let mut response = json(status, &json!({ "error": error }));
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"gate\""),
        );
    }
    response
}

/// RFC 6750 §3 answer for a missing or bad bearer token.
pub fn invalid_bearer() -> Response<Body> {
    let mut response = json(
        StatusCode::UNAUTHORIZED,
        &json!({ "error": "invalid_token" }),
    );
    response.headers_mut().insert(
        WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer error=\"invalid_token\""),
    );
    response
}

/// Plain text for routes nobody should use.
pub fn text(status: StatusCode, body: &'static str) -> Response<Body> {
    let mut response = Response::new(Body::Text(body.to_owned()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// The request body as bytes, whatever the event source made of it.
pub fn body_bytes(body: &Body) -> &[u8] {
    match body {
        Body::Empty => &[],
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        _ => &[],
    }
}
