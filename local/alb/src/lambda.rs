//! The `lambda` action: request → ALB target-group event → Lambda invoke API → HTTP response.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode, request::Parts};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use url::Url;

use crate::body::{Response, full};
use crate::pages::error_page;

/// ALB limits for Lambda targets: 1 MB request body (else 413), 1 MB response JSON (else 502).
pub const MAX_REQUEST_BODY: usize = 1024 * 1024;
pub const MAX_RESPONSE_JSON: usize = 1024 * 1024;
const INVOKE_TIMEOUT: Duration = Duration::from_secs(30);

pub struct LambdaTarget<'a> {
    pub invoke_url: &'a Url,
    pub target_group_arn: &'a str,
    pub multi_value_headers: bool,
}

/// Why a Lambda answer could not be used; the names follow ALB's access-log error reasons.
#[derive(Debug, thiserror::Error)]
pub enum LambdaError {
    #[error("LambdaInvalidResponse: {0}")]
    InvalidResponse(String),
    #[error("LambdaResponseTooLarge: {0} bytes")]
    ResponseTooLarge(usize),
    #[error("LambdaUnhandled: the function returned an error")]
    Unhandled,
    #[error("LambdaThrottling: invoke API answered {0}")]
    Throttled(StatusCode),
    #[error("LambdaInvokeFailed: invoke API answered {0}")]
    InvokeStatus(StatusCode),
    #[error("LambdaUnreachable: cannot connect to the invoke API")]
    Unreachable,
    #[error("LambdaInvokeError: {0}")]
    Transport(String),
}

impl LambdaError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Unreachable | Self::Throttled(_) => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::BAD_GATEWAY,
        }
    }
}

/// Builds the ALB event exactly as AWS documents it (query strings are *not* URL-decoded).
pub fn build_event(parts: &Parts, body: &[u8], target: &LambdaTarget<'_>) -> Value {
    let query = parse_raw_query(parts.uri.query().unwrap_or(""));
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_string(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    let (body_text, is_base64) = encode_body(&parts.headers, body);
    let mut event = json!({
        "requestContext": {"elb": {"targetGroupArn": target.target_group_arn}},
        "httpMethod": parts.method.as_str(),
        "path": parts.uri.path(),
        "body": body_text,
        "isBase64Encoded": is_base64,
    });
    if target.multi_value_headers {
        event["multiValueQueryStringParameters"] = Value::Object(multi_map(&query));
        event["multiValueHeaders"] = Value::Object(multi_map(&headers));
    } else {
        event["queryStringParameters"] = Value::Object(last_value_map(&query));
        event["headers"] = Value::Object(last_value_map(&headers));
    }
    event
}

/// Splits `a=1&b=%20` into raw pairs without decoding anything.
fn parse_raw_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (p.to_string(), String::new()),
        })
        .collect()
}

fn multi_map(pairs: &[(String, String)]) -> Map<String, Value> {
    let mut map = Map::new();
    for (k, v) in pairs {
        let entry = map
            .entry(k.clone())
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(values) = entry {
            values.push(Value::String(v.clone()));
        }
    }
    map
}

/// Without multi-value support ALB passes only the last value of a repeated key.
fn last_value_map(pairs: &[(String, String)]) -> Map<String, Value> {
    pairs
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect()
}

/// Text types go as-is; everything else (and text that is not UTF-8) is base64.
fn encode_body(headers: &HeaderMap, body: &[u8]) -> (String, bool) {
    if body.is_empty() {
        return (String::new(), false);
    }
    let media_type = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let is_text = media_type.starts_with("text/")
        || matches!(
            media_type.as_str(),
            "application/json" | "application/javascript" | "application/xml"
        );
    match (is_text, std::str::from_utf8(body)) {
        (true, Ok(text)) => (text.to_string(), false),
        _ => (STANDARD.encode(body), true),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LambdaResponse {
    status_code: u16,
    status_description: Option<String>,
    headers: Option<Map<String, Value>>,
    multi_value_headers: Option<Map<String, Value>>,
    body: Option<String>,
    #[serde(default)]
    is_base64_encoded: bool,
}

/// Headers ALB ignores in a Lambda response: hop-by-hop ones, and Content-Length (it computes it).
const IGNORED_RESPONSE_HEADERS: [&str; 8] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "content-length",
];

/// Maps the function's JSON answer to the HTTP response ALB would send.
pub fn map_response(json: &[u8], multi_value_headers: bool) -> Result<Response, LambdaError> {
    if json.len() > MAX_RESPONSE_JSON {
        return Err(LambdaError::ResponseTooLarge(json.len()));
    }
    let parsed: LambdaResponse = serde_json::from_slice(json)
        .map_err(|e| LambdaError::InvalidResponse(format!("not a target-group response: {e}")))?;
    let status = StatusCode::from_u16(parsed.status_code)
        .ok()
        .filter(|s| (200..600).contains(&s.as_u16()))
        .ok_or_else(|| {
            LambdaError::InvalidResponse(format!("statusCode {}", parsed.status_code))
        })?;
    let body = match (parsed.body, parsed.is_base64_encoded) {
        (None, _) => Bytes::new(),
        (Some(text), false) => Bytes::from(text),
        (Some(text), true) => STANDARD
            .decode(text.as_bytes())
            .map(Bytes::from)
            .map_err(|_| LambdaError::InvalidResponse("body is not valid base64".into()))?,
    };
    // With multi-value headers enabled ALB reads `multiValueHeaders`, otherwise `headers`
    // (one value per name, so a second Set-Cookie cannot be expressed).
    let header_pairs = if multi_value_headers {
        match (parsed.multi_value_headers, parsed.headers) {
            (Some(multi), _) => multi_header_pairs(multi)?,
            (None, Some(single)) => single_header_pairs(single)?,
            (None, None) => Vec::new(),
        }
    } else {
        single_header_pairs(parsed.headers.unwrap_or_default())?
    };
    let mut response = Response::new(full(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    for (name, value) in header_pairs {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| LambdaError::InvalidResponse(format!("bad header name {name:?}")))?;
        if IGNORED_RESPONSE_HEADERS.contains(&name.as_str()) {
            continue;
        }
        let value = HeaderValue::from_str(&value)
            .map_err(|_| LambdaError::InvalidResponse(format!("bad value for header {name}")))?;
        headers.append(name, value);
    }
    if let Some(reason) = parsed
        .status_description
        .as_deref()
        .and_then(|d| d.split_once(' ').map(|(_, r)| r.to_string()))
        .and_then(|r| hyper::ext::ReasonPhrase::try_from(r.into_bytes()).ok())
    {
        response.extensions_mut().insert(reason);
    }
    Ok(response)
}

fn header_value_text(name: &str, value: Value) -> Result<String, LambdaError> {
    match value {
        Value::String(s) => Ok(s),
        _ => Err(LambdaError::InvalidResponse(format!(
            "header {name:?} value is not a string"
        ))),
    }
}

fn single_header_pairs(map: Map<String, Value>) -> Result<Vec<(String, String)>, LambdaError> {
    map.into_iter()
        .map(|(k, v)| {
            let text = header_value_text(&k, v)?;
            Ok((k, text))
        })
        .collect()
}

fn multi_header_pairs(map: Map<String, Value>) -> Result<Vec<(String, String)>, LambdaError> {
    let mut out = Vec::new();
    for (k, v) in map {
        let Value::Array(values) = v else {
            return Err(LambdaError::InvalidResponse(format!(
                "multiValueHeaders {k:?} is not an array"
            )));
        };
        for value in values {
            out.push((k.clone(), header_value_text(&k, value)?));
        }
    }
    Ok(out)
}

/// POSTs the event to the Lambda invoke API (`cargo lambda watch` locally) and returns its body.
pub async fn invoke(
    client: &reqwest::Client,
    invoke_url: &Url,
    event: &Value,
) -> Result<Bytes, LambdaError> {
    let response = client
        .post(invoke_url.clone())
        .timeout(INVOKE_TIMEOUT)
        .json(event)
        .send()
        .await
        .map_err(|e| {
            if e.is_connect() {
                LambdaError::Unreachable
            } else {
                LambdaError::Transport(e.without_url().to_string())
            }
        })?;
    let status = response.status();
    if status == StatusCode::TOO_MANY_REQUESTS {
        return Err(LambdaError::Throttled(status));
    }
    if !status.is_success() {
        return Err(LambdaError::InvokeStatus(status));
    }
    // The invoke API reports a function crash with 200 + this header.
    if response.headers().contains_key("x-amz-function-error") {
        return Err(LambdaError::Unhandled);
    }
    response
        .bytes()
        .await
        .map_err(|e| LambdaError::Transport(e.without_url().to_string()))
}

/// The whole action: returns the response and, on failure, the reason for the log line.
pub async fn handle(
    client: &reqwest::Client,
    parts: &Parts,
    body: &[u8],
    target: &LambdaTarget<'_>,
) -> (Response, Option<LambdaError>) {
    let event = build_event(parts, body, target);
    let result = match invoke(client, target.invoke_url, &event).await {
        Ok(json) => map_response(&json, target.multi_value_headers),
        Err(e) => Err(e),
    };
    match result {
        Ok(response) => (response, None),
        Err(e) => (error_page(e.status()), Some(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(uri: &str, headers: &[(&str, &str)]) -> Parts {
        let mut builder = http::Request::builder().method("POST").uri(uri);
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        builder.body(()).expect("request").into_parts().0
    }

    fn target(multi: bool) -> (Url, bool) {
        (Url::parse("http://127.0.0.1:1/").expect("url"), multi)
    }

    fn event(uri: &str, headers: &[(&str, &str)], body: &[u8], multi: bool) -> Value {
        let (url, multi) = target(multi);
        build_event(
            &parts(uri, headers),
            body,
            &LambdaTarget {
                invoke_url: &url,
                target_group_arn: "arn:tg",
                multi_value_headers: multi,
            },
        )
    }

    #[test]
    fn single_value_event_keeps_last_values_and_raw_query() {
        let e = event(
            "/_auth/x?a=1&a=2&q=hello%20world&flag",
            &[
                ("cookie", "x=1"),
                ("Cookie", "y=2"),
                ("content-type", "application/json"),
            ],
            br#"{"k":1}"#,
            false,
        );
        assert_eq!(e["requestContext"]["elb"]["targetGroupArn"], "arn:tg");
        assert_eq!(e["httpMethod"], "POST");
        assert_eq!(e["path"], "/_auth/x");
        assert_eq!(e["queryStringParameters"]["a"], "2");
        assert_eq!(e["queryStringParameters"]["q"], "hello%20world");
        assert_eq!(e["queryStringParameters"]["flag"], "");
        assert_eq!(e["headers"]["cookie"], "y=2");
        assert_eq!(e["body"], r#"{"k":1}"#);
        assert_eq!(e["isBase64Encoded"], false);
        assert!(e.get("multiValueHeaders").is_none());
    }

    #[test]
    fn multi_value_event_keeps_every_value() {
        let e = event(
            "/p?a=1&a=%2F",
            &[("cookie", "x=1"), ("cookie", "y=2")],
            b"",
            true,
        );
        assert_eq!(
            e["multiValueQueryStringParameters"]["a"],
            json!(["1", "%2F"])
        );
        assert_eq!(e["multiValueHeaders"]["cookie"], json!(["x=1", "y=2"]));
        assert_eq!(e["body"], "");
        assert!(e.get("headers").is_none() && e.get("queryStringParameters").is_none());
    }

    #[test]
    fn binary_and_untyped_bodies_are_base64() {
        let e = event(
            "/p",
            &[("content-type", "application/octet-stream")],
            &[0, 1, 255],
            false,
        );
        assert_eq!(e["isBase64Encoded"], true);
        assert_eq!(e["body"], STANDARD.encode([0u8, 1, 255]));
        let e = event(
            "/p",
            &[("content-type", "text/plain; charset=utf-8")],
            b"hi",
            false,
        );
        assert_eq!(
            (e["body"].as_str(), e["isBase64Encoded"].as_bool()),
            (Some("hi"), Some(false))
        );
        let e = event("/p", &[], b"hi", false);
        assert_eq!(e["isBase64Encoded"], true);
    }

    #[test]
    fn response_with_multi_value_set_cookies() {
        let json = br#"{"statusCode":302,"statusDescription":"302 Found",
            "multiValueHeaders":{"set-cookie":["a=; Max-Age=0","b=; Max-Age=0"],"location":["/x"]},
            "body":"","isBase64Encoded":false}"#;
        let r = map_response(json, true).expect("valid");
        assert_eq!(r.status(), StatusCode::FOUND);
        assert_eq!(r.headers().get_all("set-cookie").iter().count(), 2);
        assert_eq!(r.headers()["location"], "/x");
    }

    #[test]
    fn single_value_response_keeps_only_last_duplicate_key() {
        // JSON objects with a repeated key: the last one wins, as ALB keeps only one value.
        let json =
            br#"{"statusCode":200,"headers":{"set-cookie":"a=1","set-cookie":"b=2"},"body":"ok"}"#;
        let r = map_response(json, false).expect("valid");
        let cookies: Vec<_> = r.headers().get_all("set-cookie").iter().collect();
        assert_eq!(cookies, vec!["b=2"]);
    }

    #[test]
    fn invalid_responses_are_rejected() {
        for bad in [
            &br#"{"body":"no status"}"#[..],
            br#"{"statusCode":"200"}"#,
            br#"{"statusCode":99}"#,
            br#"{"statusCode":200,"headers":{"x":1}}"#,
            br#"{"statusCode":200,"body":"!!","isBase64Encoded":true}"#,
            br#"{"errorType":"Panic","errorMessage":"boom"}"#,
            b"not json",
        ] {
            let err = map_response(bad, false).expect_err("must be rejected");
            assert_eq!(err.status(), StatusCode::BAD_GATEWAY, "{err}");
        }
    }

    #[test]
    fn base64_response_body_and_ignored_headers() {
        let json = format!(
            r#"{{"statusCode":200,"headers":{{"content-length":"999","x-a":"1"}},"body":"{}","isBase64Encoded":true}}"#,
            STANDARD.encode([1u8, 2, 3])
        );
        let r = map_response(json.as_bytes(), false).expect("valid");
        assert!(!r.headers().contains_key("content-length"));
        assert_eq!(r.headers()["x-a"], "1");
    }
}
