//! Shared helpers for the integration tests: a mock on port 0 and a non-redirecting client.

#![allow(dead_code)] // Each test binary uses a different subset.

use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use mock_google::{MockConfig, MockGoogle};
use serde_json::Value;

pub const REDIRECT_URI: &str = "https://app.example.com/oauth2/idpresponse";
pub const ALICE: &str = "alice@example.com";

pub async fn start() -> MockGoogle {
    start_with(MockConfig::demo()).await
}

pub async fn start_with(config: MockConfig) -> MockGoogle {
    MockGoogle::start(config, "127.0.0.1:0".parse().expect("loopback address"))
        .await
        .expect("mock starts")
}

/// Redirects are returned, not followed, so tests can read `Location`.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .expect("reqwest client builds")
}

/// Form-posts a code exchange with client_secret_post credentials.
pub async fn exchange(mock: &MockGoogle, code: &str, redirect_uri: &str) -> reqwest::Response {
    let config = mock.config();
    client()
        .post(mock.token_url())
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("client_id", config.client_id.as_str()),
            ("client_secret", config.client_secret.as_str()),
        ])
        .send()
        .await
        .expect("token request is answered")
}

pub async fn json(response: reqwest::Response) -> Value {
    response.json().await.expect("JSON body")
}

/// Verifies an ID token the way a relying party would: RS256 against the mock's JWKS by `kid`,
/// with `iss` and `aud` checked. Returns the claims.
pub async fn verify_id_token(mock: &MockGoogle, token: &str) -> Value {
    let header = jsonwebtoken::decode_header(token).expect("JWT header");
    assert_eq!(header.alg, Algorithm::RS256);
    let kid = header.kid.expect("kid in header");
    let jwks = json(client().get(mock.jwks_url()).send().await.expect("JWKS")).await;
    let jwk = jwks["keys"]
        .as_array()
        .expect("keys array")
        .iter()
        .find(|k| k["kid"] == kid.as_str())
        .unwrap_or_else(|| panic!("kid {kid} is published in the JWKS"));
    let key = DecodingKey::from_rsa_components(
        jwk["n"].as_str().expect("n"),
        jwk["e"].as_str().expect("e"),
    )
    .expect("RSA key from JWK");
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&[mock.config().client_id.as_str()]);
    validation.set_issuer(&[mock.issuer()]);
    jsonwebtoken::decode::<Value>(token, &key, &validation)
        .expect("ID token verifies")
        .claims
}

/// Query parameters of a `Location` header.
pub fn location_params(response: &reqwest::Response) -> Vec<(String, String)> {
    let location = response
        .headers()
        .get(reqwest::header::LOCATION)
        .expect("Location header")
        .to_str()
        .expect("ASCII Location");
    let url = url::Url::parse(location).expect("absolute Location");
    url.query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

pub fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}
