//! The authorization-code exchange at Google's token endpoint (RFC 6749 §4.1.3).

use serde::Deserialize;
use thiserror::Error;

use crate::config::GoogleClient;
use crate::http_client::HttpClient;
use crate::secret::Secret;

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ExchangeError {
    /// The code is unknown, expired, already used or bound to another redirect URI.
    #[error("Google refused the authorization code (invalid_grant)")]
    InvalidGrant,
    /// Google refused *us*: wrong client secret in SSM, redirect URI not registered, ...
    #[error(
        "Google refused the exchange with HTTP {status} {error:?}: check the client JSON in SSM and the redirect URIs registered in the Google console"
    )]
    Misconfigured { status: u16, error: String },
    #[error("Google token endpoint unavailable: {0}")]
    Unavailable(String),
    #[error("Google token endpoint sent an unusable answer: {0}")]
    Garbage(&'static str),
}

impl ExchangeError {
    pub fn reason(&self) -> &'static str {
        match self {
            ExchangeError::InvalidGrant => "invalid_grant",
            ExchangeError::Misconfigured { .. } => "google_client_misconfigured",
            ExchangeError::Unavailable(_) => "google_unavailable",
            ExchangeError::Garbage(_) => "google_bad_response",
        }
    }
}

#[derive(Deserialize)]
struct TokenResponse {
    id_token: Option<String>,
}

#[derive(Deserialize)]
struct ErrorResponse {
    error: Option<String>,
}

/// Exchanges `code` for Google's ID token.
pub async fn exchange_code(
    http: &impl HttpClient,
    token_url: &str,
    client: &GoogleClient,
    code: &Secret,
    redirect_uri: &str,
) -> Result<String, ExchangeError> {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.expose()),
        ("redirect_uri", redirect_uri),
        ("client_id", client.client_id.as_str()),
        ("client_secret", client.client_secret.expose()),
    ];
    let response = http
        .post_form(token_url, &form)
        .await
        .map_err(|err| ExchangeError::Unavailable(err.to_string()))?;
    match response.status {
        200 => {
            let body: TokenResponse = serde_json::from_slice(&response.body)
                .map_err(|_| ExchangeError::Garbage("body is not a JSON token response"))?;
            body.id_token
                .filter(|token| !token.is_empty())
                .ok_or(ExchangeError::Garbage("no id_token in the token response"))
        }
        400 | 401 => {
            let error = serde_json::from_slice::<ErrorResponse>(&response.body)
                .ok()
                .and_then(|body| body.error)
                .unwrap_or_default();
            if error == "invalid_grant" {
                Err(ExchangeError::InvalidGrant)
            } else {
                // Google's own error code is safe to log (no secret in it), but cap its length.
                Err(ExchangeError::Misconfigured {
                    status: response.status,
                    error: error.chars().take(64).collect(),
                })
            }
        }
        status => Err(ExchangeError::Unavailable(format!("HTTP {status}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fake_http::FakeHttp;
    use crate::http_client::HttpError;
    use crate::secret::ClientId;

    const URL: &str = "https://google.test/token";

    fn client() -> GoogleClient {
        GoogleClient {
            client_id: ClientId::new("cid"),
            client_secret: Secret::new("google-secret"),
        }
    }

    async fn exchange(http: &FakeHttp) -> Result<String, ExchangeError> {
        exchange_code(
            http,
            URL,
            &client(),
            &Secret::new("the-code"),
            "https://app/oauth2/idpresponse",
        )
        .await
    }

    #[tokio::test]
    async fn sends_the_code_with_googles_client_credentials() {
        let http = FakeHttp::default();
        http.answer(URL, 200, r#"{"id_token":"a.b.c","access_token":"x"}"#, None);
        assert_eq!(exchange(&http).await.unwrap(), "a.b.c");
        let form = http.last_form().unwrap();
        for (name, value) in [
            ("grant_type", "authorization_code"),
            ("code", "the-code"),
            ("client_id", "cid"),
            ("client_secret", "google-secret"),
            ("redirect_uri", "https://app/oauth2/idpresponse"),
        ] {
            assert!(form.contains(&(name.into(), value.into())), "{name}");
        }
    }

    #[tokio::test]
    async fn replayed_or_foreign_code_is_invalid_grant() {
        let http = FakeHttp::default();
        http.answer(
            URL,
            400,
            r#"{"error":"invalid_grant","error_description":"Bad Request"}"#,
            None,
        );
        assert_eq!(
            exchange(&http).await.unwrap_err(),
            ExchangeError::InvalidGrant
        );
    }

    #[tokio::test]
    async fn google_refusing_our_client_is_a_misconfiguration() {
        let http = FakeHttp::default();
        http.answer(URL, 401, r#"{"error":"invalid_client"}"#, None);
        assert!(matches!(
            exchange(&http).await,
            Err(ExchangeError::Misconfigured { status: 401, .. })
        ));
    }

    #[tokio::test]
    async fn google_down_slow_or_garbage_is_never_a_token() {
        let http = FakeHttp::default();
        for status in [500, 502, 503, 429] {
            http.answer(URL, status, "", None);
            assert!(
                matches!(exchange(&http).await, Err(ExchangeError::Unavailable(_))),
                "{status}"
            );
        }
        http.fail(URL, HttpError::Timeout(std::time::Duration::from_secs(4)));
        assert!(matches!(
            exchange(&http).await,
            Err(ExchangeError::Unavailable(_))
        ));
        http.fail(URL, HttpError::TooLarge);
        assert!(matches!(
            exchange(&http).await,
            Err(ExchangeError::Unavailable(_))
        ));
        for body in ["<html>", "{}", r#"{"id_token":""}"#, r#"{"id_token":5}"#] {
            http.answer(URL, 200, body, None);
            assert!(
                matches!(exchange(&http).await, Err(ExchangeError::Garbage(_))),
                "{body}"
            );
        }
    }
}
