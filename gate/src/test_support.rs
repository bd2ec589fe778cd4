//! Shared fixtures for the handler tests: a fake Google (keys + token endpoint), an in-memory
//! SSM, a manual clock, and a log capture to prove secrets never reach the logs.

use std::cell::RefCell;
use std::io::Write;
use std::sync::Once;

use http::header::{AUTHORIZATION, CONTENT_TYPE};
use lambda_http::{Body, Request};
use serde_json::{Value, json};
use testkit::{TestKey, google_claims, jwks};

use crate::clock::ManualClock;
use crate::fake_http::FakeHttp;
use crate::parameters::MemoryStore;
use crate::settings::{GOOGLE_JWKS_URL, GOOGLE_TOKEN_URL, Settings};
use crate::token_request::basic_header;

pub const CLIENT_ID: &str = "cid-123.apps.googleusercontent.com";
pub const GOOGLE_SECRET: &str = "GOCSPX-google-client-secret";
pub const GATE_SECRET: &str = "gate-client-secret-0123456789";
pub const CODE: &str = "4/0AVG7fiQ-authorization-code";
pub const HOST: &str = "app.example.com";
pub const REDIRECT_URI: &str = "https://app.example.com/oauth2/idpresponse";
pub const NOW: u64 = 1_800_000_000;
pub const SECRET_PARAM: &str = "/streamlit/gate-client-secret";

pub struct World {
    pub http: FakeHttp,
    pub store: MemoryStore,
    pub clock: ManualClock,
    pub key: TestKey,
}

impl World {
    pub fn new() -> Self {
        let key = TestKey::generate("google-key-1");
        let http = FakeHttp::default();
        http.answer(
            GOOGLE_JWKS_URL,
            200,
            jwks(&[&key]).to_string(),
            Some("public, max-age=3600"),
        );
        let google_json = json!({"web": {
            "client_id": CLIENT_ID, "project_id": "p", "client_secret": GOOGLE_SECRET,
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": "https://oauth2.googleapis.com/token",
            "redirect_uris": [REDIRECT_URI],
        }});
        let store = MemoryStore::default()
            .with("/streamlit/oauth", &google_json.to_string())
            .with(SECRET_PARAM, GATE_SECRET);
        Self {
            http,
            store,
            clock: ManualClock::at(NOW),
            key,
        }
    }

    pub fn settings(&self, extra: &[(&str, &str)]) -> Settings {
        let mut vars = vec![
            ("GATE_CLIENT_SECRET_PARAM", SECRET_PARAM),
            ("GATE_ALLOWED_DOMAINS", "example.com"),
            ("GATE_ALLOWED_EMAILS", "carol@contractor.io"),
            ("GATE_ALLOWED_HOSTS", HOST),
            ("GATE_SESSION_SECONDS", "3600"),
        ];
        vars.extend_from_slice(extra);
        Settings::from_lookup(|name| {
            vars.iter()
                .rev()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        })
        .expect("test settings")
    }

    pub fn claims(&self, email: &str, hd: Option<&str>) -> Value {
        google_claims(CLIENT_ID, email, hd, NOW)
    }

    pub fn id_token(&self, claims: &Value) -> String {
        self.key.id_token(claims)
    }

    /// Google's token endpoint answers the next exchange with an ID token for these claims.
    pub fn google_issues(&self, claims: &Value) -> String {
        let token = self.id_token(claims);
        let body = json!({"access_token": "ya29.x", "expires_in": 3599, "token_type": "Bearer", "id_token": token});
        self.http
            .answer(GOOGLE_TOKEN_URL, 200, body.to_string(), None);
        token
    }

    pub fn google_token_calls(&self) -> usize {
        self.http.calls(GOOGLE_TOKEN_URL)
    }
}

/// A token request as the ALB sends it (client_secret_basic).
pub fn token_request(form: &[(&str, &str)], basic: Option<(&str, &str)>) -> Request {
    let body = serde_urlencoded::to_string(form).expect("form");
    let mut builder = http::Request::builder()
        .method("POST")
        .uri("/token")
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some((id, secret)) = basic {
        builder = builder.header(AUTHORIZATION, basic_header(id, secret));
    }
    builder.body(Body::Text(body)).expect("request")
}

pub fn standard_form() -> Vec<(&'static str, &'static str)> {
    vec![
        ("grant_type", "authorization_code"),
        ("code", CODE),
        ("redirect_uri", REDIRECT_URI),
    ]
}

pub fn alb_token_request() -> Request {
    token_request(&standard_form(), Some((CLIENT_ID, GATE_SECRET)))
}

pub fn get(path: &str, bearer: Option<&str>) -> Request {
    let mut builder = http::Request::builder().method("GET").uri(path);
    if let Some(token) = bearer {
        builder = builder.header(AUTHORIZATION, format!("Bearer {token}"));
    }
    builder.body(Body::Empty).expect("request")
}

pub fn body_json(response: &http::Response<Body>) -> Value {
    match response.body() {
        Body::Text(text) => serde_json::from_str(text).expect("JSON body"),
        other => panic!("expected a text body, got {other:?}"),
    }
}

thread_local! {
    static CAPTURED: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Captures the log lines written on the current thread (use `#[tokio::test]`'s default
/// single-threaded runtime). One global JSON subscriber is installed for the whole test binary:
/// per-test scoped subscribers race on tracing's global level cache.
pub struct LogCapture;

impl LogCapture {
    pub fn start() -> Self {
        static INSTALL: Once = Once::new();
        INSTALL.call_once(|| {
            let subscriber = tracing_subscriber::fmt()
                .json()
                .flatten_event(true)
                .with_max_level(tracing::Level::TRACE)
                .with_writer(|| ThreadBuffer)
                .finish();
            let _ = tracing::subscriber::set_global_default(subscriber);
        });
        CAPTURED.with(|buffer| buffer.borrow_mut().clear());
        LogCapture
    }

    pub fn text(&self) -> String {
        CAPTURED.with(|buffer| String::from_utf8_lossy(&buffer.borrow()).into_owned())
    }

    pub fn audit_lines(&self) -> Vec<Value> {
        self.text()
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .filter(|line| line["target"] == "audit")
            .collect()
    }
}

struct ThreadBuffer;

impl Write for ThreadBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        CAPTURED.with(|buffer| buffer.borrow_mut().extend_from_slice(buf));
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
