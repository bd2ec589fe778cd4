//! Outbound HTTP as a small trait: Google's token endpoint and JWKS are its only users.
//! The reqwest adapter enforces the time budget and caps what it reads, so a slow or
//! hostile upstream can neither hang the function nor exhaust its memory.

use std::future::Future;
use std::time::Duration;

use thiserror::Error;

/// Largest body read from Google. Real token responses and JWKS are a few KB.
pub const MAX_RESPONSE_BYTES: usize = 256 * 1024;

#[derive(Debug, Clone)]
pub struct HttpResponse {
    pub status: u16,
    pub cache_control: Option<String>,
    pub body: Vec<u8>,
}

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum HttpError {
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    #[error("could not connect: {0}")]
    Connect(String),
    #[error("response body larger than {MAX_RESPONSE_BYTES} bytes")]
    TooLarge,
    #[error("transport error: {0}")]
    Transport(String),
}

pub trait HttpClient: Send + Sync + 'static {
    fn get(&self, url: &str) -> impl Future<Output = Result<HttpResponse, HttpError>> + Send;
    fn post_form(
        &self,
        url: &str,
        form: &[(&str, &str)],
    ) -> impl Future<Output = Result<HttpResponse, HttpError>> + Send;
}

/// reqwest with rustls, built once per execution environment and reused (connection pool,
/// TLS sessions).
#[derive(Clone, Debug)]
pub struct ReqwestClient {
    client: reqwest::Client,
    timeout: Duration,
}

impl ReqwestClient {
    /// `timeout` bounds each whole request (connect + response + body).
    pub fn new(timeout: Duration) -> Result<Self, HttpError> {
        let client = reqwest::Client::builder()
            .connect_timeout(timeout.min(Duration::from_secs(2)))
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("gate/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|err| HttpError::Transport(err.to_string()))?;
        Ok(Self { client, timeout })
    }

    async fn read(&self, request: reqwest::RequestBuilder) -> Result<HttpResponse, HttpError> {
        let mut response = request.send().await.map_err(|err| self.classify(err))?;
        if response
            .content_length()
            .is_some_and(|len| len > MAX_RESPONSE_BYTES as u64)
        {
            return Err(HttpError::TooLarge);
        }
        let status = response.status().as_u16();
        let cache_control = response
            .headers()
            .get(reqwest::header::CACHE_CONTROL)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|err| self.classify(err))? {
            if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
                return Err(HttpError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(HttpResponse {
            status,
            cache_control,
            body,
        })
    }

    fn classify(&self, err: reqwest::Error) -> HttpError {
        if err.is_timeout() {
            HttpError::Timeout(self.timeout)
        } else if err.is_connect() {
            HttpError::Connect(without_url(&err))
        } else {
            HttpError::Transport(without_url(&err))
        }
    }
}

/// reqwest errors name the URL; ours are public endpoints, but keep messages short and free of
/// any query string.
fn without_url(err: &reqwest::Error) -> String {
    let mut text = err.to_string();
    if let Some(url) = err.url() {
        text = text.replace(url.as_str(), url.path());
    }
    let mut source = std::error::Error::source(err);
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}

impl HttpClient for ReqwestClient {
    async fn get(&self, url: &str) -> Result<HttpResponse, HttpError> {
        self.read(self.client.get(url)).await
    }

    async fn post_form(&self, url: &str, form: &[(&str, &str)]) -> Result<HttpResponse, HttpError> {
        self.read(
            self.client
                .post(url)
                .header(reqwest::header::ACCEPT, "application/json")
                .form(form),
        )
        .await
    }
}
