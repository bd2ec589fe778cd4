//! Request header rewriting done by the load balancer before any rule runs or any target sees it.

use std::net::SocketAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use http::{HeaderMap, HeaderName, HeaderValue};

use crate::crypto::random_bytes;

pub const OIDC_DATA: &str = "x-amzn-oidc-data";
pub const OIDC_IDENTITY: &str = "x-amzn-oidc-identity";
pub const OIDC_ACCESS_TOKEN: &str = "x-amzn-oidc-accesstoken";

/// Where a request came from, as the listener saw it.
#[derive(Debug, Clone, Copy)]
pub struct ClientInfo {
    pub peer: SocketAddr,
    pub listener_port: u16,
    pub https: bool,
}

impl ClientInfo {
    pub fn scheme(&self) -> &'static str {
        if self.https { "https" } else { "http" }
    }
}

/// Client-supplied identity headers would let anyone impersonate a user: drop them all
/// (`HeaderName`s are already lower-case, so this is case-insensitive).
pub fn strip_client_oidc_headers(headers: &mut HeaderMap) {
    let forged: Vec<HeaderName> = headers
        .keys()
        .filter(|name| name.as_str().starts_with("x-amzn-oidc-"))
        .cloned()
        .collect();
    for name in forged {
        headers.remove(&name);
    }
}

/// X-Forwarded-For (client IP appended, ALB's default "append" mode), -Proto, -Port, and an
/// X-Amzn-Trace-Id (kept when the client sent one, as ALB keeps the incoming Root).
pub fn add_forwarded_headers(headers: &mut HeaderMap, client: &ClientInfo) {
    let client_ip = client.peer.ip().to_canonical().to_string();
    let previous: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    let xff = if previous.is_empty() {
        client_ip
    } else {
        format!("{}, {client_ip}", previous.join(", "))
    };
    set(headers, "x-forwarded-for", &xff);
    set(headers, "x-forwarded-proto", client.scheme());
    set(
        headers,
        "x-forwarded-port",
        &client.listener_port.to_string(),
    );
    if !headers.contains_key("x-amzn-trace-id") {
        set(headers, "x-amzn-trace-id", &new_trace_id());
    }
}

fn set(headers: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        headers.insert(HeaderName::from_static(name), v);
    }
}

/// `Root=1-<epoch seconds hex>-<96 random bits hex>`, the X-Ray format ALB uses.
fn new_trace_id() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let random: String = random_bytes::<12>()
        .unwrap_or_default()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("Root=1-{secs:08x}-{random}")
}

/// Hop-by-hop headers (RFC 9110 §7.6.1) are not forwarded; for a websocket upgrade the
/// `Connection: upgrade` / `Upgrade` pair must be kept, or the upstream cannot switch protocols.
pub fn remove_hop_by_hop(headers: &mut HeaderMap, keep_upgrade: bool) {
    let listed: Vec<String> = headers
        .get_all(http::header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().to_ascii_lowercase())
        .filter(|t| !(t.is_empty() || (keep_upgrade && t == "upgrade")))
        .collect();
    for name in listed {
        headers.remove(name.as_str());
    }
    for name in [
        "keep-alive",
        "proxy-connection",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
    ] {
        headers.remove(name);
    }
    if keep_upgrade {
        headers.insert(
            http::header::CONNECTION,
            HeaderValue::from_static("upgrade"),
        );
    } else {
        headers.remove(http::header::CONNECTION);
        headers.remove(http::header::UPGRADE);
    }
}

/// True for an HTTP/1.1 protocol upgrade request (websocket).
pub fn is_upgrade_request(headers: &HeaderMap) -> bool {
    let connection_upgrade = headers
        .get_all(http::header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case("upgrade"));
    connection_upgrade && headers.contains_key(http::header::UPGRADE)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client() -> ClientInfo {
        ClientInfo {
            peer: "127.0.0.7:5555".parse().expect("addr"),
            listener_port: 8080,
            https: false,
        }
    }

    #[test]
    fn strips_oidc_headers_of_any_case() {
        let mut headers = HeaderMap::new();
        headers.insert("X-Amzn-Oidc-Data", HeaderValue::from_static("forged"));
        headers.insert("x-amzn-oidc-identity", HeaderValue::from_static("forged"));
        headers.insert("X-AMZN-OIDC-whatever", HeaderValue::from_static("forged"));
        headers.insert("x-amzn-trace-id", HeaderValue::from_static("Root=1-a-b"));
        strip_client_oidc_headers(&mut headers);
        assert_eq!(headers.len(), 1);
        assert!(headers.contains_key("x-amzn-trace-id"));
    }

    #[test]
    fn forwarded_headers_append_client_ip() {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", HeaderValue::from_static("203.0.113.9"));
        add_forwarded_headers(&mut headers, &client());
        assert_eq!(headers["x-forwarded-for"], "203.0.113.9, 127.0.0.7");
        assert_eq!(headers["x-forwarded-proto"], "http");
        assert_eq!(headers["x-forwarded-port"], "8080");
        let trace = headers["x-amzn-trace-id"].to_str().expect("ascii");
        assert!(trace.starts_with("Root=1-") && trace.len() == "Root=1-".len() + 8 + 1 + 24);
    }

    #[test]
    fn hop_by_hop_removed_but_upgrade_kept_for_websockets() {
        let mut headers = HeaderMap::new();
        headers.insert("connection", HeaderValue::from_static("Upgrade, x-private"));
        headers.insert("upgrade", HeaderValue::from_static("websocket"));
        headers.insert("x-private", HeaderValue::from_static("1"));
        headers.insert("keep-alive", HeaderValue::from_static("timeout=5"));
        assert!(is_upgrade_request(&headers));
        let mut plain = headers.clone();
        remove_hop_by_hop(&mut headers, true);
        assert_eq!(headers["connection"], "upgrade");
        assert_eq!(headers["upgrade"], "websocket");
        assert!(!headers.contains_key("x-private") && !headers.contains_key("keep-alive"));
        remove_hop_by_hop(&mut plain, false);
        assert!(plain.is_empty(), "{plain:?}");
    }
}
