//! Shared fixtures for the fuzz targets: the real handlers wired to in-memory SSM, a static
//! "Google" and a fixed clock, so every input runs the production code path with no I/O.

use std::sync::{Arc, OnceLock};

use gate::authorizer::Authorizer;
use gate::callback::Callback;
use gate::clock::ManualClock;
use gate::http_client::{HttpClient, HttpError, HttpResponse};
use gate::id_token::Expectations;
use gate::jwks::{KeyError, KeySource};
use gate::parameters::MemoryStore;
use gate::secret::ClientId;
use gate::settings::{GOOGLE_ISSUER, Settings};
use jsonwebtoken::DecodingKey;
use serde_json::json;
use testkit::TestKey;

pub const CLIENT_ID: &str = "fuzz-client.apps.googleusercontent.com";
pub const GATE_SECRET: &str = "fuzz-gate-secret";
pub const KID: &str = "fuzz-key-1";
/// Tokens in the seed corpus carry iat/exp around this instant.
pub const NOW: u64 = 1_800_000_000;

/// One RSA key per fuzzing process (generating one per input would dominate the run).
pub fn key() -> &'static TestKey {
    static KEY: OnceLock<TestKey> = OnceLock::new();
    KEY.get_or_init(|| TestKey::generate(KID))
}

/// "Google": the JWKS holds `key()`; the token endpoint refuses every code. So no fuzz input
/// can legitimately obtain a grant, and any `200` with a token would be a bypass.
#[derive(Clone, Default)]
pub struct StaticGoogle;

impl HttpClient for StaticGoogle {
    async fn get(&self, _url: &str) -> Result<HttpResponse, HttpError> {
        Ok(HttpResponse {
            status: 200,
            cache_control: Some("public, max-age=3600".into()),
            body: testkit::jwks(&[key()]).to_string().into_bytes(),
        })
    }

    async fn post_form(
        &self,
        _url: &str,
        _form: &[(&str, &str)],
    ) -> Result<HttpResponse, HttpError> {
        Ok(HttpResponse {
            status: 400,
            cache_control: None,
            body: br#"{"error":"invalid_grant"}"#.to_vec(),
        })
    }
}

/// The key source `id_token::verify` sees in the `id_token` target: one known kid.
pub struct StaticKeys(Arc<DecodingKey>);

impl StaticKeys {
    pub fn new() -> Self {
        let jwk = key().jwk();
        let n = jwk["n"].as_str().unwrap_or_default();
        let e = jwk["e"].as_str().unwrap_or_default();
        let key = DecodingKey::from_rsa_components(n, e).expect("test key components");
        StaticKeys(Arc::new(key))
    }
}

impl Default for StaticKeys {
    fn default() -> Self {
        Self::new()
    }
}

impl KeySource for StaticKeys {
    async fn key(&self, kid: &str) -> Result<Arc<DecodingKey>, KeyError> {
        if kid == KID {
            Ok(self.0.clone())
        } else {
            Err(KeyError::UnknownKid)
        }
    }
}

pub fn expectations() -> Expectations {
    Expectations::new(GOOGLE_ISSUER, ClientId::new(CLIENT_ID))
}

fn settings() -> Settings {
    Settings::from_lookup(|name| {
        let value = match name {
            "GATE_CLIENT_SECRET_PARAM" => "/streamlit/gate-client-secret",
            "GATE_GOOGLE_CLIENT_ID" => CLIENT_ID,
            "GATE_ALLOWED_DOMAINS" => "example.com",
            "GATE_ALLOWED_EMAILS" => "carol@contractor.io",
            "GATE_ALLOWED_HOSTS" => "app.example.com",
            _ => return None,
        };
        Some(value.to_owned())
    })
    .expect("fuzz settings")
}

fn store() -> MemoryStore {
    let google = json!({"web": {"client_id": CLIENT_ID, "client_secret": "fuzz-google-secret"}});
    MemoryStore::default()
        .with("/streamlit/oauth", &google.to_string())
        .with("/streamlit/gate-client-secret", GATE_SECRET)
}

pub type FuzzCallback = Callback<MemoryStore, StaticGoogle, ManualClock>;
pub type FuzzAuthorizer = Authorizer<MemoryStore, StaticGoogle, ManualClock>;

pub fn callback() -> FuzzCallback {
    Callback::new(Ok(settings()), store(), StaticGoogle, ManualClock::at(NOW))
}

pub fn authorizer() -> FuzzAuthorizer {
    Authorizer::new(Ok(settings()), store(), StaticGoogle, ManualClock::at(NOW))
}

/// A current-thread runtime per fuzzing thread: handlers are async but do no real I/O here.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    thread_local! {
        static RUNTIME: tokio::runtime::Runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("tokio runtime");
    }
    RUNTIME.with(|runtime| runtime.block_on(future))
}

/// A raw request as the fuzz inputs spell it, so seeds stay readable:
/// `METHOD PATH\nName: value\n...\n\nbody` (header lines may repeat; invalid ones are skipped).
pub struct RawRequest {
    pub method: String,
    pub path: String,
    pub headers: http::HeaderMap,
    pub body: Vec<u8>,
}

impl RawRequest {
    pub fn parse(data: &[u8]) -> RawRequest {
        let split = data.windows(2).position(|w| w == b"\n\n");
        let (head, body) = match split {
            Some(at) => (&data[..at], data[at + 2..].to_vec()),
            None => (data, Vec::new()),
        };
        let head = String::from_utf8_lossy(head);
        let mut lines = head.lines();
        let mut request_line = lines.next().unwrap_or_default().splitn(2, ' ');
        let method = request_line.next().unwrap_or_default().to_owned();
        let path = request_line.next().unwrap_or_default().to_owned();
        let mut headers = http::HeaderMap::new();
        for line in lines {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            let (Ok(name), Ok(value)) = (
                http::HeaderName::from_bytes(name.trim().as_bytes()),
                http::HeaderValue::from_str(value.trim_start()),
            ) else {
                continue;
            };
            headers.append(name, value);
        }
        RawRequest {
            method,
            path,
            headers,
            body,
        }
    }

    /// The request the handlers take; `None` when method or path cannot form one.
    pub fn to_request(&self) -> Option<lambda_http::Request> {
        let mut builder = http::Request::builder()
            .method(self.method.as_str())
            .uri(self.path.as_str());
        for (name, value) in &self.headers {
            builder = builder.header(name, value);
        }
        builder
            .body(lambda_http::Body::Binary(self.body.clone()))
            .ok()
    }
}

/// `lambda_http`'s event parser, which runs before our handlers. It panics on two inputs found by
/// this fuzzer (see SECURITY.md and the `fuzz_crash_*` regression tests in gate/tests/faults.rs):
/// `isBase64Encoded: true` with invalid base64, and a Host header that makes `Url::parse` fail.
/// Those panics are not ours to fix here; they are turned into "no request" so the fuzzer keeps
/// exploring our handlers, and any panic *in the handlers* still aborts the run.
pub fn parse_event(text: &str) -> Option<lambda_http::Request> {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let parsed = std::panic::catch_unwind(|| lambda_http::request::from_str(text));
    std::panic::set_hook(hook);
    parsed.ok()?.ok()
}
