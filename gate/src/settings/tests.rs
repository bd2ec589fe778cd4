use std::collections::HashMap;

use super::*;

fn settings(vars: &[(&str, &str)]) -> Result<Settings, SettingsError> {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).into(), (*v).into()))
        .collect();
    Settings::from_lookup(|name| map.get(name).cloned())
}

#[test]
fn defaults_point_at_google_and_the_documented_names() {
    let s = settings(&[]).unwrap();
    assert_eq!(s.google_client_param, "/streamlit/oauth");
    assert_eq!(s.session_cookie, "AWSELBAuthSessionCookie");
    assert_eq!(s.session_seconds, 43_200);
    assert_eq!(s.google.issuer, "https://accounts.google.com");
    assert_eq!(s.google.token_url, "https://oauth2.googleapis.com/token");
    assert_eq!(
        s.google.jwks_url,
        "https://www.googleapis.com/oauth2/v3/certs"
    );
    assert!(
        !s.dev_allow_http_loopback,
        "dev loopback allowance is off by default"
    );
    assert!(s.client_secret_param.is_none());
    assert!(s.require_client_secret_param().is_err());
}

#[test]
fn lists_are_split_trimmed_and_lower_cased() {
    let s = settings(&[
        ("GATE_ALLOWED_DOMAINS", " Example.com , corp.example ,"),
        ("GATE_ALLOWED_EMAILS", "Carol@Contractor.io"),
        ("GATE_ALLOWED_HOSTS", "App.Example.com, 127.0.0.1:8080"),
    ])
    .unwrap();
    assert_eq!(
        s.rule.domains().collect::<Vec<_>>(),
        ["corp.example", "example.com"]
    );
    assert_eq!(s.rule.emails().collect::<Vec<_>>(), ["carol@contractor.io"]);
    assert!(s.allowed_hosts.contains("app.example.com"));
    assert!(s.allowed_hosts.contains("127.0.0.1:8080"));
}

#[test]
fn bad_values_name_the_variable() {
    let cases: [(&str, &str, &str); 8] = [
        (
            "GATE_ALLOWED_DOMAINS",
            "@example.com",
            "GATE_ALLOWED_DOMAINS",
        ),
        ("GATE_ALLOWED_EMAILS", "not-an-email", "GATE_ALLOWED_EMAILS"),
        (
            "GATE_ALLOWED_HOSTS",
            "https://app.example.com",
            "GATE_ALLOWED_HOSTS",
        ),
        ("GATE_SESSION_SECONDS", "12h", "GATE_SESSION_SECONDS"),
        ("GATE_SESSION_SECONDS", "0", "GATE_SESSION_SECONDS"),
        (
            "GATE_DEV_ALLOW_HTTP_LOOPBACK",
            "maybe",
            "GATE_DEV_ALLOW_HTTP_LOOPBACK",
        ),
        (
            "GATE_GOOGLE_CLIENT_PARAM",
            "streamlit oauth",
            "GATE_GOOGLE_CLIENT_PARAM",
        ),
        ("GATE_SESSION_COOKIE", "bad;cookie", "GATE_SESSION_COOKIE"),
    ];
    for (name, value, expected) in cases {
        let err = settings(&[(name, value)]).unwrap_err().to_string();
        assert!(err.contains(expected), "{name}={value}: {err}");
        assert!(err.contains(value), "{name}={value}: {err}");
    }
}

#[test]
fn google_urls_must_be_https_unless_dev_loopback() {
    let err = settings(&[("GATE_GOOGLE_TOKEN_URL", "http://127.0.0.1:9/token")]).unwrap_err();
    assert!(err.to_string().contains("GATE_GOOGLE_TOKEN_URL"));
    let s = settings(&[
        ("GATE_GOOGLE_TOKEN_URL", "http://127.0.0.1:9/token"),
        ("GATE_DEV_ALLOW_HTTP_LOOPBACK", "true"),
    ])
    .unwrap();
    assert_eq!(s.google.token_url, "http://127.0.0.1:9/token");
    let err = settings(&[
        ("GATE_GOOGLE_JWKS_URL", "http://keys.example.com/certs"),
        ("GATE_DEV_ALLOW_HTTP_LOOPBACK", "true"),
    ])
    .unwrap_err();
    assert!(err.to_string().contains("GATE_GOOGLE_JWKS_URL"));
}

#[test]
fn loopback_detection_is_strict() {
    assert!(is_loopback_http("http://127.0.0.1:8080/x"));
    assert!(is_loopback_http("http://localhost/x"));
    assert!(is_loopback_http("http://[::1]:9/x"));
    assert!(!is_loopback_http("http://127.0.0.1.evil.io/x"));
    assert!(!is_loopback_http("http://localhost.evil.io/"));
    assert!(!is_loopback_http("http://evil.io@127.0.0.1/"));
    assert!(!is_loopback_http("http://127.0.0.1@evil.io/"));
    assert!(!is_loopback_http("https://127.0.0.1/"));
}
