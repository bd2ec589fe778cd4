//! The end-to-end world: mock Google in-process, moto for SSM, the real handlers.

pub mod moto;

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use gate::authorizer::Authorizer;
use gate::callback::Callback;
use gate::clock::SystemClock;
use gate::http_client::ReqwestClient;
use gate::parameters::SsmStore;
use gate::settings::Settings;
use gate::token_request::basic_header;
use lambda_http::{Body, Request, Response};
use mock_google::{MockConfig, MockGoogle};
use serde_json::{Value, json};

pub use moto::Moto;

pub const HOST: &str = "app.example.com";
pub const REDIRECT_URI: &str = "https://app.example.com/oauth2/idpresponse";
pub const GATE_SECRET: &str = "e2e-gate-client-secret";
pub const SECRET_PARAM: &str = "/streamlit/gate-client-secret";

pub struct Stack {
    pub google: MockGoogle,
    pub moto: Moto,
    pub callback: Callback<SsmStore, ReqwestClient, SystemClock>,
    pub authorizer: Authorizer<SsmStore, ReqwestClient, SystemClock>,
    pub client_id: String,
}

impl Stack {
    /// Starts everything; `seed_secret: false` leaves the gate secret out of SSM.
    pub async fn start(seed_secret: bool) -> Stack {
        let google = MockGoogle::start(MockConfig::demo(), "127.0.0.1:0".parse().unwrap())
            .await
            .expect("mock Google");
        let moto = Moto::start().await;
        let config = google.config();
        let client_json = json!({"web": {
            "client_id": config.client_id,
            "project_id": "gate-e2e",
            "auth_uri": google.authorization_url(),
            "token_uri": google.token_url(),
            "client_secret": config.client_secret,
            "redirect_uris": [REDIRECT_URI],
        }});
        moto.put_secure("/streamlit/oauth", &client_json.to_string())
            .await;
        if seed_secret {
            moto.put_secure(SECRET_PARAM, GATE_SECRET).await;
        }
        let client_id = config.client_id.clone();
        let vars: HashMap<&str, String> = HashMap::from([
            ("GATE_CLIENT_SECRET_PARAM", SECRET_PARAM.to_owned()),
            ("GATE_ALLOWED_DOMAINS", "example.com".to_owned()),
            ("GATE_ALLOWED_EMAILS", "carol@contractor.io".to_owned()),
            ("GATE_ALLOWED_HOSTS", HOST.to_owned()),
            ("GATE_GOOGLE_ISSUER", google.issuer()),
            ("GATE_GOOGLE_TOKEN_URL", google.token_url()),
            ("GATE_GOOGLE_JWKS_URL", google.jwks_url()),
            // The mock speaks plain http on loopback.
            ("GATE_DEV_ALLOW_HTTP_LOOPBACK", "true".to_owned()),
        ]);
        let settings = || Settings::from_lookup(|name| vars.get(name).cloned());
        let http = || ReqwestClient::new(gate::callback::GOOGLE_TIMEOUT).expect("http client");
        Stack {
            callback: Callback::new(
                settings(),
                SsmStore::with_client(moto.client()),
                http(),
                SystemClock,
            ),
            authorizer: Authorizer::new(
                settings(),
                SsmStore::with_client(moto.client()),
                http(),
                SystemClock,
            ),
            google,
            moto,
            client_id,
        }
    }

    pub fn code_for(&self, email: &str) -> String {
        self.google
            .issue_code(email, REDIRECT_URI, Some("nonce-123"))
            .expect("code")
    }

    /// The token request the ALB sends, as a Lambda Function URL event.
    pub fn token_event(&self, code: &str) -> Request {
        let body = serde_urlencoded::to_string([
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT_URI),
        ])
        .unwrap();
        let headers = json!({
            "content-type": "application/x-www-form-urlencoded",
            "authorization": basic_header(&self.client_id, GATE_SECRET),
            "host": "abc123.lambda-url.eu-west-1.on.aws",
            "user-agent": "ELB-HealthChecker/2.0",
        });
        function_url_event("POST", "/token", headers, &body)
    }

    pub fn userinfo_event(&self, access_token: &str) -> Request {
        let headers = json!({
            "authorization": format!("Bearer {access_token}"),
            "host": "def456.lambda-url.eu-west-1.on.aws",
        });
        function_url_event("GET", "/userinfo", headers, "")
    }

    /// Signs `email` in as the ALB would: token endpoint, then userinfo.
    pub async fn sign_in(&self, email: &str) -> (Response<Body>, Option<Response<Body>>) {
        let token = self
            .callback
            .handle(self.token_event(&self.code_for(email)))
            .await;
        if token.status() != 200 {
            return (token, None);
        }
        let access_token = body_json(&token)["access_token"]
            .as_str()
            .unwrap()
            .to_owned();
        let userinfo = self
            .authorizer
            .handle(self.userinfo_event(&access_token))
            .await;
        (token, Some(userinfo))
    }
}

pub fn function_url_event(method: &str, path: &str, headers: Value, body: &str) -> Request {
    let event = json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": headers,
        "requestContext": {
            "accountId": "anonymous",
            "apiId": "abc123",
            "domainName": "abc123.lambda-url.eu-west-1.on.aws",
            "domainPrefix": "abc123",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.9", "userAgent": "ELB"},
            "requestId": "e2e",
            "routeKey": "$default",
            "stage": "$default",
            "time": "04/Dec/2026:16:00:00 +0000",
            "timeEpoch": 1796400000000u64
        },
        "body": body,
        "isBase64Encoded": false
    });
    lambda_http::request::from_str(&event.to_string()).expect("function URL event")
}

/// An ALB target-group event with multi-value headers, body base64-encoded.
pub fn alb_event(method: &str, path: &str, headers: Value, body: &str) -> Request {
    let event = json!({
        "requestContext": {"elb": {"targetGroupArn": "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/gate-authorizer/0123456789abcdef"}},
        "httpMethod": method,
        "path": path,
        "multiValueQueryStringParameters": {},
        "multiValueHeaders": headers,
        "body": STANDARD.encode(body),
        "isBase64Encoded": true
    });
    lambda_http::request::from_str(&event.to_string()).expect("ALB event")
}

pub fn body_json(response: &Response<Body>) -> Value {
    match response.body() {
        Body::Text(text) => serde_json::from_str(text).expect("JSON body"),
        other => panic!("expected text, got {other:?}"),
    }
}
