//! The world of the fault-injection tests: the real handlers, an in-process mock Google (which
//! misbehaves on command), an in-memory SSM whose entries tests can break and mend, and a
//! clock tests can move (to age the JWKS cache past its max-age or refetch interval).

use std::cell::RefCell;
use std::collections::HashMap;

use gate::authorizer::Authorizer;
use gate::callback::{Callback, GOOGLE_TIMEOUT};
use gate::clock::{Clock, ManualClock, SystemClock};
use gate::http_client::ReqwestClient;
use gate::parameters::{MemoryStore, ParameterStore};
use gate::settings::Settings;
use gate::token_request::basic_header;
use http::StatusCode;
use http::header::{AUTHORIZATION, CONTENT_TYPE};
use lambda_http::{Body, Request, Response};
use mock_google::{MockConfig, MockGoogle};
use serde_json::{Value, json};

pub const HOST: &str = "app.example.com";
pub const REDIRECT_URI: &str = "https://app.example.com/oauth2/idpresponse";
pub const GATE_SECRET: &str = "faults-gate-client-secret-7f3a";
pub const GOOGLE_PARAM: &str = "/streamlit/oauth";
pub const SECRET_PARAM: &str = "/streamlit/gate-client-secret";

pub type TestCallback<S> = Callback<S, ReqwestClient, ManualClock>;
pub type TestAuthorizer<S> = Authorizer<S, ReqwestClient, ManualClock>;

pub struct FaultWorld {
    pub google: MockGoogle,
    pub store: MemoryStore,
    pub clock: ManualClock,
    /// Everything that must never appear in a log line: secrets, codes, tokens.
    secrets: RefCell<Vec<String>>,
}

/// What the ALB would have seen of one sign-in: the token answer and, if that was a 200, the
/// userinfo answer.
#[derive(Debug)]
pub struct SignIn {
    pub token: (StatusCode, Value),
    pub userinfo: Option<(StatusCode, Value)>,
}

impl SignIn {
    /// The gate let this user in: both of the ALB's calls succeeded.
    pub fn opened(&self) -> bool {
        self.token.0 == StatusCode::OK
            && self
                .userinfo
                .as_ref()
                .is_some_and(|(status, _)| *status == StatusCode::OK)
    }

    pub fn token_error(&self) -> &str {
        self.token.1["error"].as_str().unwrap_or("")
    }
}

impl FaultWorld {
    pub async fn start() -> FaultWorld {
        let google = MockGoogle::start(MockConfig::demo(), "127.0.0.1:0".parse().unwrap())
            .await
            .expect("mock Google");
        let store = MemoryStore::default()
            .with(GOOGLE_PARAM, &google_client_json(&google))
            .with(SECRET_PARAM, GATE_SECRET);
        let secrets = vec![
            GATE_SECRET.to_owned(),
            google.config().client_secret.clone(),
        ];
        FaultWorld {
            clock: ManualClock::at(SystemClock.now()),
            google,
            store,
            secrets: RefCell::new(secrets),
        }
    }

    /// The env of both functions, as Terraform sets it, plus `overrides`.
    pub fn settings(&self, overrides: &[(&str, &str)]) -> Settings {
        let mut vars: HashMap<&str, String> = HashMap::from([
            ("GATE_CLIENT_SECRET_PARAM", SECRET_PARAM.to_owned()),
            ("GATE_ALLOWED_DOMAINS", "example.com".to_owned()),
            ("GATE_ALLOWED_EMAILS", "carol@contractor.io".to_owned()),
            ("GATE_ALLOWED_HOSTS", HOST.to_owned()),
            ("GATE_GOOGLE_ISSUER", self.google.issuer()),
            ("GATE_GOOGLE_TOKEN_URL", self.google.token_url()),
            ("GATE_GOOGLE_JWKS_URL", self.google.jwks_url()),
            // The mock speaks plain http on loopback.
            ("GATE_DEV_ALLOW_HTTP_LOOPBACK", "true".to_owned()),
        ]);
        for (name, value) in overrides {
            vars.insert(name, (*value).to_owned());
        }
        Settings::from_lookup(|name| vars.get(name).cloned()).expect("fault-test settings")
    }

    /// A cold callback function reading this world's SSM.
    pub fn callback(&self, overrides: &[(&str, &str)]) -> TestCallback<MemoryStore> {
        self.callback_with_store(self.store.clone(), overrides)
    }

    pub fn callback_with_store<S: ParameterStore>(
        &self,
        store: S,
        overrides: &[(&str, &str)],
    ) -> TestCallback<S> {
        Callback::new(
            Ok(self.settings(overrides)),
            store,
            http(),
            self.clock.clone(),
        )
    }

    /// A cold authorizer. Like production (Terraform sets GATE_GOOGLE_CLIENT_ID) it reads no
    /// SSM unless `reads_ssm` is true.
    pub fn authorizer(&self, reads_ssm: bool) -> TestAuthorizer<MemoryStore> {
        let client_id = self.google.config().client_id.clone();
        let settings = if reads_ssm {
            self.settings(&[])
        } else {
            self.settings(&[("GATE_GOOGLE_CLIENT_ID", client_id.as_str())])
        };
        Authorizer::new(Ok(settings), self.store.clone(), http(), self.clock.clone())
    }

    pub fn code_for(&self, email: &str) -> String {
        let code = self
            .google
            .issue_code(email, REDIRECT_URI, Some("nonce-faults"))
            .expect("code");
        self.remember_secret(&code);
        code
    }

    /// A valid, Google-signed ID token (as if it came through our token endpoint).
    pub fn id_token_for(&self, email: &str, overrides: Value) -> String {
        let token = self.google.id_token_for(email, overrides).expect("token");
        self.remember_secret(&token);
        token
    }

    pub fn remember_secret(&self, secret: &str) {
        let mut secrets = self.secrets.borrow_mut();
        secrets.push(secret.to_owned());
        // A JWT's signature alone is as good as a fingerprint of the token.
        if let Some(signature) = secret.rsplit('.').next().filter(|s| s.len() > 20) {
            secrets.push(signature.to_owned());
        }
    }

    pub fn secrets(&self) -> Vec<String> {
        self.secrets.borrow().clone()
    }

    /// The token request the ALB sends (client_secret_basic).
    pub fn token_request(&self, code: &str) -> Request {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "authorization_code")
            .append_pair("code", code)
            .append_pair("redirect_uri", REDIRECT_URI)
            .finish();
        http::Request::builder()
            .method("POST")
            .uri("/token")
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(
                AUTHORIZATION,
                basic_header(&self.google.config().client_id, GATE_SECRET),
            )
            .body(Body::Text(body))
            .expect("token request")
    }

    pub fn userinfo_request(&self, token: &str) -> Request {
        http::Request::builder()
            .method("GET")
            .uri("/userinfo")
            .header(AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::Empty)
            .expect("userinfo request")
    }

    /// One sign-in as the ALB drives it: token endpoint with a fresh code, then userinfo with
    /// the access token it got (if any).
    pub async fn sign_in<S: ParameterStore, T: ParameterStore>(
        &self,
        callback: &TestCallback<S>,
        authorizer: &TestAuthorizer<T>,
        email: &str,
    ) -> SignIn {
        let code = self.code_for(email);
        let token = split(callback.handle(self.token_request(&code)).await);
        let userinfo = match token.1["access_token"].as_str() {
            Some(access) if token.0 == StatusCode::OK => {
                self.remember_secret(access);
                Some(split(
                    authorizer.handle(self.userinfo_request(access)).await,
                ))
            }
            _ => None,
        };
        SignIn { token, userinfo }
    }
}

fn http() -> ReqwestClient {
    ReqwestClient::new(GOOGLE_TIMEOUT).expect("http client")
}

pub fn google_client_json(google: &MockGoogle) -> String {
    let config = google.config();
    json!({"web": {
        "client_id": config.client_id,
        "project_id": "gate-faults",
        "auth_uri": google.authorization_url(),
        "token_uri": google.token_url(),
        "client_secret": config.client_secret,
        "redirect_uris": [REDIRECT_URI],
    }})
    .to_string()
}

/// Status and JSON body (`Null` when the body is not JSON).
pub fn split(response: Response<Body>) -> (StatusCode, Value) {
    let status = response.status();
    let body = match response.body() {
        Body::Text(text) => serde_json::from_str(text).unwrap_or(Value::Null),
        Body::Binary(bytes) => serde_json::from_slice(bytes).unwrap_or(Value::Null),
        _ => Value::Null,
    };
    (status, body)
}
