//! Fakes for the integration tests, all on loopback port 0: an IdP (token + userinfo endpoints),
//! a Lambda invoke API, an HTTP upstream that echoes what it received, a websocket echo server.
#![allow(dead_code)] // each test file uses a different subset

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use alb_emulator::{Config, RunningEmulator};
use axum::Router;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Json};
use axum::routing::{any, get, post};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use tokio::net::TcpListener;

pub const CLIENT_ID: &str = "test-client.apps.googleusercontent.com";
/// Characters that must be form-encoded in client_secret_basic.
pub const CLIENT_SECRET: &str = "gate secret/with+odd:chars%";
pub const ACCESS_TOKEN: &str = "access-token-for-tests";

pub async fn serve(router: Router) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind fake");
    let addr = listener.local_addr().expect("fake addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    addr
}

/// An address nothing listens on (bound, then released).
pub async fn closed_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    addr
}

/// What the fake IdP does and what it saw.
#[derive(Default)]
pub struct IdpState {
    pub token_status: Option<u16>,
    pub userinfo_status: Option<u16>,
    /// Extra userinfo claims (e.g. a large blob to force cookie sharding).
    pub extra_claims: serde_json::Map<String, Value>,
    /// Replaces the nonce put in the ID token (to test the nonce check).
    pub forced_nonce: Option<String>,
    pub token_requests: Vec<(HeaderMap, HashMap<String, String>)>,
    pub userinfo_auth: Vec<String>,
}

pub type Idp = Arc<Mutex<IdpState>>;

pub fn unsigned_jwt(claims: &Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","kid":"k"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("{header}.{payload}.c2lnbmF0dXJl")
}

/// The fake authorization server encodes the nonce in the code, like a real one binds them.
pub fn code_for_nonce(nonce: &str) -> String {
    format!("code.{nonce}")
}

async fn token(
    State((idp, issuer)): State<(Idp, String)>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> axum::response::Response {
    let mut s = idp.lock().expect("idp lock");
    s.token_requests.push((headers, form.clone()));
    if let Some(code) = s.token_status {
        return (
            StatusCode::from_u16(code).expect("status"),
            Json(json!({"error": "access_denied"})),
        )
            .into_response();
    }
    let nonce = s.forced_nonce.clone().unwrap_or_else(|| {
        form.get("code")
            .and_then(|c| c.strip_prefix("code."))
            .unwrap_or_default()
            .to_string()
    });
    let exp = alb_emulator::listener::now_epoch() + 3600;
    let id_token = unsigned_jwt(&json!({
        "iss": issuer, "aud": CLIENT_ID, "sub": "1234567890", "nonce": nonce, "exp": exp,
        "email": "alice@example.com"
    }));
    Json(
        json!({"access_token": ACCESS_TOKEN, "id_token": id_token, "token_type": "Bearer",
                "expires_in": 43200}),
    )
    .into_response()
}

async fn userinfo(State(idp): State<Idp>, headers: HeaderMap) -> axum::response::Response {
    let mut s = idp.lock().expect("idp lock");
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    s.userinfo_auth.push(auth);
    if let Some(code) = s.userinfo_status {
        return StatusCode::from_u16(code).expect("status").into_response();
    }
    let mut claims = json!({"sub": "1234567890", "email": "alice@example.com",
                            "email_verified": true, "hd": "example.com", "name": "Alice"});
    if let Value::Object(map) = &mut claims {
        map.extend(s.extra_claims.clone());
    }
    Json(claims).into_response()
}

pub const ISSUER: &str = "https://idp.test";

pub async fn fake_idp() -> (Idp, SocketAddr) {
    let idp: Idp = Arc::default();
    let router = Router::new()
        .route("/token", post(token))
        .with_state((idp.clone(), ISSUER.to_string()))
        .merge(
            Router::new()
                .route("/userinfo", get(userinfo))
                .with_state(idp.clone()),
        );
    (idp.clone(), serve(router).await)
}

/// Upstream that answers every request with the headers it received, as JSON.
pub async fn echo_upstream() -> SocketAddr {
    async fn echo(headers: HeaderMap, uri: axum::http::Uri) -> Json<Value> {
        let mut map = serde_json::Map::new();
        for (k, v) in &headers {
            map.insert(
                k.as_str().into(),
                String::from_utf8_lossy(v.as_bytes()).into(),
            );
        }
        Json(json!({"uri": uri.to_string(), "headers": map}))
    }
    serve(Router::new().fallback(any(echo))).await
}

/// Fake Lambda invoke API: records events, answers with a fixed function response.
#[derive(Clone, Default)]
pub struct FakeLambda {
    pub events: Arc<Mutex<Vec<Value>>>,
    pub response: Arc<Mutex<Value>>,
}

pub async fn fake_lambda(response: Value) -> (FakeLambda, SocketAddr) {
    let lambda = FakeLambda {
        events: Arc::default(),
        response: Arc::new(Mutex::new(response)),
    };
    async fn invoke(State(l): State<FakeLambda>, Json(event): Json<Value>) -> Json<Value> {
        l.events.lock().expect("lock").push(event);
        Json(l.response.lock().expect("lock").clone())
    }
    let router = Router::new()
        .route("/2015-03-31/functions/authorizer/invocations", post(invoke))
        .with_state(lambda.clone());
    (lambda.clone(), serve(router).await)
}

pub struct Fakes {
    pub idp: SocketAddr,
    pub upstream: SocketAddr,
    pub lambda: SocketAddr,
}

/// A config like the example, pointed at the fakes. Rules: /_auth/* multi-value Lambda,
/// /_single/* single-value Lambda, /_stcore/* deny, /open/* allow, * authenticate.
pub fn config_json(f: &Fakes) -> Value {
    let upstream = format!("http://{}", f.upstream);
    let invoke = format!(
        "http://{}/2015-03-31/functions/authorizer/invocations",
        f.lambda
    );
    json!({
        "listen": "127.0.0.1:0",
        "public_keys_listen": "127.0.0.1:0",
        "allowed_cidrs": ["127.0.0.0/8", "::1/128"],
        "signer_arn": "arn:aws:elasticloadbalancing:local:000000000000:loadbalancer/app/test/0",
        "oidc": {
            "issuer": ISSUER,
            "authorization_endpoint": "https://idp.test/authorize?tenant=t1",
            "token_endpoint": format!("http://{}/token", f.idp),
            "user_info_endpoint": format!("http://{}/userinfo", f.idp),
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "scope": "openid email profile",
            "session_cookie_name": "AWSELBAuthSessionCookie",
            "session_timeout_seconds": 43200,
            "authentication_request_extra_params": {"prompt": "select_account", "hd": "example.com"}
        },
        "rules": [
            {"priority": 12, "path_patterns": ["*"], "action": {"type": "authenticate-oidc",
                "on_unauthenticated_request": "authenticate", "forward": upstream}},
            {"priority": 10, "path_patterns": ["/_auth/*"], "action": {"type": "lambda",
                "invoke_url": invoke, "target_group_arn": "arn:tg/multi", "multi_value_headers": true}},
            {"priority": 9, "path_patterns": ["/_single/*"], "action": {"type": "lambda",
                "invoke_url": invoke, "target_group_arn": "arn:tg/single", "multi_value_headers": false}},
            {"priority": 11, "path_patterns": ["/_stcore/*"], "action": {"type": "authenticate-oidc",
                "on_unauthenticated_request": "deny", "forward": upstream}},
            {"priority": 8, "path_patterns": ["/open/*"], "action": {"type": "authenticate-oidc",
                "on_unauthenticated_request": "allow", "forward": upstream}}
        ]
    })
}

pub async fn start(config: Value) -> RunningEmulator {
    let config = Config::from_json(&config.to_string()).expect("test config is valid");
    alb_emulator::start(config).await.expect("emulator starts")
}

/// Test HTTP client: no redirects followed, no cookie jar (tests carry cookies by hand).
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// `name=value` pairs of the response's Set-Cookie headers that are not deletions.
pub fn set_cookies(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::to_string)
        .collect()
}

pub fn cookie_pairs(set_cookies: &[String]) -> Vec<(String, String)> {
    set_cookies
        .iter()
        .filter(|c| !c.contains("Max-Age=0"))
        .filter_map(|c| {
            let (n, v) = c.split(';').next()?.split_once('=')?;
            Some((n.to_string(), v.to_string()))
        })
        .collect()
}

pub fn cookie_header(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(n, v)| format!("{n}={v}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// `url` with the pairs form-encoded into its query.
pub fn with_query(url: &str, pairs: &[(&str, String)]) -> String {
    let mut url = url::Url::parse(url).expect("test url");
    url.query_pairs_mut().extend_pairs(pairs);
    url.to_string()
}

pub fn query_param(url: &str, name: &str) -> Option<String> {
    let url = url::Url::parse(url).ok()?;
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Result of a full sign-in: session cookie pairs and the last (idpresponse) response.
pub struct SignedIn {
    pub session: Vec<(String, String)>,
    pub idp_response: reqwest::Response,
    pub authorize_url: String,
}

/// Drives the browser side of the flow: GET `path` → IdP redirect → idpresponse.
pub async fn sign_in(emulator: &RunningEmulator, path: &str) -> SignedIn {
    let base = format!("http://{}", emulator.listen_addr);
    let client = http();
    let first = client
        .get(format!("{base}{path}"))
        .send()
        .await
        .expect("first request");
    assert_eq!(first.status(), 302, "unauthenticated request must redirect");
    let authorize_url = first.headers()["location"]
        .to_str()
        .expect("location")
        .to_string();
    let state_cookie = cookie_pairs(&set_cookies(&first));
    let state = query_param(&authorize_url, "state").expect("state param");
    let nonce = query_param(&authorize_url, "nonce").expect("nonce param");
    let idp_response = client
        .get(with_query(
            &format!("{base}/oauth2/idpresponse"),
            &[("code", code_for_nonce(&nonce)), ("state", state)],
        ))
        .header("cookie", cookie_header(&state_cookie))
        .send()
        .await
        .expect("idpresponse");
    let session = cookie_pairs(&set_cookies(&idp_response))
        .into_iter()
        .filter(|(n, _)| n.starts_with("AWSELBAuthSessionCookie-"))
        .collect();
    SignedIn {
        session,
        idp_response,
        authorize_url,
    }
}

/// Polls `check` every 50 ms until it returns true or `deadline` passes.
pub async fn eventually<F, Fut>(deadline: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let end = Instant::now() + deadline;
    while Instant::now() < end {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}
