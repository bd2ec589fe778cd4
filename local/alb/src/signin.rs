//! ALB's sign-in flow for `authenticate-oidc`: the redirect to the IdP and the
//! `/oauth2/idpresponse` callback (token endpoint, ID token checks, userinfo, session cookie).

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use http::StatusCode;
use serde::Deserialize;
use serde_json::{Map, Value};
use url::Url;
use url::form_urlencoded::byte_serialize;

use crate::body::Response;
use crate::config::OidcConfig;
use crate::cookies::{
    PendingSignIn, STATE_TTL_SECONDS, Session, read_pending_sign_in, session_set_cookies,
    state_clear_cookie, state_set_cookie,
};
use crate::crypto::{CookieSealer, CryptoError, random_token};
use crate::headers::ClientInfo;
use crate::pages::{error_page, redirect, status_561};

pub const IDP_RESPONSE_PATH: &str = "/oauth2/idpresponse";
/// How long ALB waits for the token and userinfo endpoints (not documented by AWS; see README).
pub const IDP_TIMEOUT: Duration = Duration::from_secs(5);
/// "If the total size of the user claims and access token ... is greater than 11K bytes".
pub const MAX_CLAIMS_AND_TOKEN_BYTES: usize = 11 * 1024;

/// Every way a sign-in can fail. Variant names follow ALB's access-log `error_reason` codes,
/// so the log line of the emulator reads like the one AWS would write.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("AuthMissingStateParam: no state query parameter")]
    MissingState,
    #[error("AuthMissingAWSALBAuthNonce: no valid state cookie (missing, expired or foreign)")]
    MissingStateCookie,
    #[error("AuthInvalidStateParam: state does not match the state cookie")]
    InvalidState,
    #[error("AuthIdPError: the IdP redirected back with error={0}")]
    IdpError(String),
    #[error("AuthMissingCodeParam: no code query parameter")]
    MissingCode,
    #[error("AuthTokenEpRequestFailed: token endpoint answered {0}")]
    TokenEndpointStatus(StatusCode),
    #[error("AuthTokenEpRequestTimeout: token endpoint unreachable or too slow")]
    TokenEndpointUnreachable,
    #[error("AuthInvalidTokenResponse: {0}")]
    InvalidTokenResponse(&'static str),
    #[error("AuthInvalidIdToken: {0}")]
    InvalidIdToken(&'static str),
    #[error("AuthUserinfoEpRequestFailed: userinfo endpoint answered {0}")]
    UserinfoStatus(StatusCode),
    #[error("AuthUserinfoEpRequestTimeout: userinfo endpoint unreachable or too slow")]
    UserinfoUnreachable,
    #[error("AuthInvalidUserinfoResponse: {0}")]
    InvalidUserinfo(&'static str),
    #[error("AuthUserinfoResponseSizeExceeded: {0} bytes of claims and access token")]
    ClaimsTooLarge(usize),
    #[error("internal error: {0}")]
    Crypto(#[from] CryptoError),
}

impl SignInError {
    /// The status the browser sees, per AWS's troubleshooting page: 401 for a rejected
    /// sign-in, 561 when the IdP returned an error, 500 when ALB could not talk to the IdP.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::MissingState
            | Self::MissingStateCookie
            | Self::InvalidState
            | Self::MissingCode
            | Self::InvalidIdToken(_) => StatusCode::UNAUTHORIZED,
            Self::IdpError(_) | Self::TokenEndpointStatus(_) => status_561(),
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// The redirect URI ALB registers: `<scheme>://<Host header>/oauth2/idpresponse`.
pub fn redirect_uri(client: &ClientInfo, host: &str) -> String {
    format!("{}://{host}{IDP_RESPONSE_PATH}", client.scheme())
}

/// Starts a sign-in: state cookie + 302 to the authorization endpoint.
pub fn start_sign_in(
    oidc: &OidcConfig,
    sealer: &CookieSealer,
    client: &ClientInfo,
    host: &str,
    original_url: &str,
    now: u64,
) -> Result<Response, SignInError> {
    let pending = PendingSignIn {
        state: random_token()?,
        nonce: random_token()?,
        original_url: original_url.to_string(),
        expires_at: now + STATE_TTL_SECONDS,
    };
    let mut location: Url = oidc.authorization_endpoint.clone();
    {
        let mut query = location.query_pairs_mut();
        query
            .append_pair("response_type", "code")
            .append_pair("client_id", &oidc.client_id)
            .append_pair("redirect_uri", &redirect_uri(client, host))
            .append_pair("scope", &oidc.scope)
            .append_pair("state", &pending.state)
            .append_pair("nonce", &pending.nonce);
        for (k, v) in &oidc.authentication_request_extra_params {
            query.append_pair(k, v);
        }
    }
    let cookie = state_set_cookie(sealer, &pending, client.https)?;
    Ok(redirect(location.as_str(), &[cookie]))
}

/// The query of `/oauth2/idpresponse` (decoded).
#[derive(Debug, Default)]
pub struct IdpResponseQuery {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
}

impl IdpResponseQuery {
    pub fn parse(query: Option<&str>) -> Self {
        let mut out = Self::default();
        for (k, v) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            match k.as_ref() {
                "code" => out.code = Some(v.into_owned()),
                "state" => out.state = Some(v.into_owned()),
                "error" => out.error = Some(v.into_owned()),
                _ => {}
            }
        }
        out
    }
}

pub struct IdpResponseContext<'a> {
    pub oidc: &'a OidcConfig,
    pub sealer: &'a CookieSealer,
    pub http: &'a reqwest::Client,
    pub client: &'a ClientInfo,
    pub host: &'a str,
    pub cookies: &'a [(String, String)],
    pub now: u64,
}

/// Handles the IdP's redirect back: on success sets the session cookies and sends the browser
/// to the URL it first asked for.
pub async fn finish_sign_in(
    ctx: &IdpResponseContext<'_>,
    query: &IdpResponseQuery,
) -> Result<Response, SignInError> {
    let state = query.state.as_deref().ok_or(SignInError::MissingState)?;
    let pending = read_pending_sign_in(ctx.sealer, ctx.cookies, ctx.now)
        .ok_or(SignInError::MissingStateCookie)?;
    if !constant_time_eq(state.as_bytes(), pending.state.as_bytes()) {
        return Err(SignInError::InvalidState);
    }
    if let Some(error) = &query.error {
        return Err(SignInError::IdpError(short_error_code(error)));
    }
    let code = query.code.as_deref().ok_or(SignInError::MissingCode)?;
    let redirect_uri = redirect_uri(ctx.client, ctx.host);
    let tokens = exchange_code(ctx.http, ctx.oidc, code, &redirect_uri).await?;
    let id_claims = decode_jwt_claims(&tokens.id_token)
        .ok_or(SignInError::InvalidIdToken("not a decodable JWT"))?;
    check_id_token(&id_claims, ctx.oidc, &pending.nonce, ctx.now)?;
    let (claims, claims_len) = fetch_userinfo(ctx.http, ctx.oidc, &tokens.access_token).await?;
    let total = claims_len + tokens.access_token.len();
    if total > MAX_CLAIMS_AND_TOKEN_BYTES {
        return Err(SignInError::ClaimsTooLarge(total));
    }
    // The session ends at the configured timeout, or earlier when the access token expires
    // (no refresh token here, so ALB would send the user back to the IdP then).
    let mut lifetime = ctx.oidc.session_timeout_seconds;
    if let Some(expires_in) = tokens.expires_in.filter(|s| *s > 0) {
        lifetime = lifetime.min(expires_in);
    }
    let session = Session {
        claims,
        access_token: tokens.access_token,
        expires_at: ctx.now + lifetime,
    };
    let mut cookies = session_set_cookies(
        ctx.sealer,
        &ctx.oidc.session_cookie_name,
        &session,
        lifetime,
        ctx.client.https,
        ctx.cookies,
    )?;
    cookies.push(state_clear_cookie(ctx.client.https));
    Ok(redirect(&pending.original_url, &cookies))
}

/// Keeps only an OAuth error-code-shaped prefix so a hostile `error=` cannot inject log lines.
fn short_error_code(error: &str) -> String {
    error
        .chars()
        .take(64)
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: Option<String>,
    id_token: Option<String>,
    expires_in: Option<u64>,
}

struct Tokens {
    access_token: String,
    id_token: String,
    expires_in: Option<u64>,
}

/// RFC 6749 §2.3.1: client_id and secret are each form-urlencoded, then joined by ':' and base64.
pub fn client_secret_basic(client_id: &str, client_secret: &str) -> String {
    let id: String = byte_serialize(client_id.as_bytes()).collect();
    let secret: String = byte_serialize(client_secret.as_bytes()).collect();
    format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
}

async fn exchange_code(
    http: &reqwest::Client,
    oidc: &OidcConfig,
    code: &str,
    redirect_uri: &str,
) -> Result<Tokens, SignInError> {
    let response = http
        .post(oidc.token_endpoint.clone())
        .timeout(IDP_TIMEOUT)
        .header(
            http::header::AUTHORIZATION,
            client_secret_basic(&oidc.client_id, &oidc.client_secret),
        )
        .header(http::header::ACCEPT, "application/json")
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
        ])
        .send()
        .await
        .map_err(|_| SignInError::TokenEndpointUnreachable)?;
    let status = response.status();
    if !status.is_success() {
        return Err(SignInError::TokenEndpointStatus(status));
    }
    let parsed: TokenResponse = response
        .json()
        .await
        .map_err(|_| SignInError::InvalidTokenResponse("body is not a JSON token response"))?;
    let id_token = parsed.id_token.ok_or(SignInError::InvalidTokenResponse(
        "no id_token (scope without openid?)",
    ))?;
    let access_token = parsed
        .access_token
        .ok_or(SignInError::InvalidTokenResponse("no access_token"))?;
    Ok(Tokens {
        access_token,
        id_token,
        expires_in: parsed.expires_in,
    })
}

/// Claims of a compact JWT, without signature verification (see README: our gate verified it).
fn decode_jwt_claims(jwt: &str) -> Option<Map<String, Value>> {
    let mut parts = jwt.split('.');
    let (_header, payload, _sig) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

fn check_id_token(
    claims: &Map<String, Value>,
    oidc: &OidcConfig,
    nonce: &str,
    now: u64,
) -> Result<(), SignInError> {
    if claims.get("iss").and_then(Value::as_str) != Some(oidc.issuer.as_str()) {
        return Err(SignInError::InvalidIdToken("iss does not match the issuer"));
    }
    let aud_ok = match claims.get("aud") {
        Some(Value::String(aud)) => aud == &oidc.client_id,
        Some(Value::Array(auds)) => auds.iter().any(|a| a.as_str() == Some(&oidc.client_id)),
        _ => false,
    };
    if !aud_ok {
        return Err(SignInError::InvalidIdToken(
            "aud does not contain the client id",
        ));
    }
    if claims.get("nonce").and_then(Value::as_str) != Some(nonce) {
        return Err(SignInError::InvalidIdToken(
            "nonce does not match the state cookie",
        ));
    }
    match claims.get("exp").and_then(Value::as_u64) {
        Some(exp) if exp > now => Ok(()),
        Some(_) => Err(SignInError::InvalidIdToken("expired")),
        None => Err(SignInError::InvalidIdToken("no numeric exp")),
    }
}

/// Returns the userinfo claims and their size in bytes (for the 11 KB limit).
async fn fetch_userinfo(
    http: &reqwest::Client,
    oidc: &OidcConfig,
    access_token: &str,
) -> Result<(Map<String, Value>, usize), SignInError> {
    let response = http
        .get(oidc.user_info_endpoint.clone())
        .timeout(IDP_TIMEOUT)
        .bearer_auth(access_token)
        .header(http::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|_| SignInError::UserinfoUnreachable)?;
    let status = response.status();
    if !status.is_success() {
        return Err(SignInError::UserinfoStatus(status));
    }
    let body = response
        .bytes()
        .await
        .map_err(|_| SignInError::UserinfoUnreachable)?;
    let claims = match serde_json::from_slice(&body) {
        Ok(Value::Object(map)) => map,
        _ => return Err(SignInError::InvalidUserinfo("body is not a JSON object")),
    };
    if !claims.get("sub").is_some_and(Value::is_string) {
        return Err(SignInError::InvalidUserinfo("no string sub claim"));
    }
    Ok((claims, body.len()))
}

/// Renders a sign-in failure as ALB's page for its status.
pub fn failure_page(error: &SignInError) -> Response {
    error_page(error.status())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_secret_basic_form_encodes_before_base64() {
        let header = client_secret_basic("id:1", "s e/c+r%t");
        let b64 = header.strip_prefix("Basic ").expect("basic");
        let decoded = String::from_utf8(STANDARD.decode(b64).expect("b64")).expect("utf8");
        assert_eq!(decoded, "id%3A1:s+e%2Fc%2Br%25t");
    }

    fn oidc() -> OidcConfig {
        crate::config::Config::from_json(include_str!("../example-config.json"))
            .expect("example")
            .oidc
    }

    fn id_claims(edit: impl FnOnce(&mut Map<String, Value>)) -> Map<String, Value> {
        let o = oidc();
        let mut m = Map::new();
        m.insert("iss".into(), o.issuer.into());
        m.insert("aud".into(), o.client_id.into());
        m.insert("nonce".into(), "N".into());
        m.insert("exp".into(), 2000.into());
        edit(&mut m);
        m
    }

    #[test]
    fn id_token_checks_name_the_failed_claim() {
        let o = oidc();
        assert!(check_id_token(&id_claims(|_| {}), &o, "N", 1000).is_ok());
        let array_aud = id_claims(|m| {
            m.insert("aud".into(), serde_json::json!(["x", o.client_id.clone()]));
        });
        assert!(check_id_token(&array_aud, &o, "N", 1000).is_ok());
        for (claims, word) in [
            (
                id_claims(|m| {
                    m.insert("iss".into(), "https://evil".into());
                }),
                "iss",
            ),
            (
                id_claims(|m| {
                    m.insert("aud".into(), "other".into());
                }),
                "aud",
            ),
            (
                id_claims(|m| {
                    m.remove("nonce");
                }),
                "nonce",
            ),
            (
                id_claims(|m| {
                    m.insert("exp".into(), 1000.into());
                }),
                "expired",
            ),
            (
                id_claims(|m| {
                    m.insert("exp".into(), "2000".into());
                }),
                "exp",
            ),
        ] {
            let err = check_id_token(&claims, &o, "N", 1000).expect_err("rejected");
            assert!(err.to_string().contains(word), "{err}");
            assert_eq!(err.status(), StatusCode::UNAUTHORIZED);
        }
    }

    #[test]
    fn jwt_claims_decode_with_or_without_padding() {
        let payload = URL_SAFE_NO_PAD.encode(br#"{"a":1}"#);
        assert!(decode_jwt_claims(&format!("h.{payload}.s")).is_some());
        assert!(decode_jwt_claims(&format!("h.{payload}==.s")).is_some());
        assert!(decode_jwt_claims("h.e30").is_none());
        assert!(decode_jwt_claims("a.b.c.d").is_none());
        assert!(decode_jwt_claims(&format!("h.{}.s", URL_SAFE_NO_PAD.encode("[1]"))).is_none());
    }

    #[test]
    fn idp_error_code_is_sanitised_for_logs() {
        assert_eq!(
            short_error_code("access_denied\r\nINJECT"),
            "access_deniedINJECT"
        );
    }

    #[test]
    fn statuses_follow_alb() {
        assert_eq!(
            SignInError::TokenEndpointStatus(StatusCode::BAD_REQUEST)
                .status()
                .as_u16(),
            561
        );
        assert_eq!(SignInError::TokenEndpointUnreachable.status().as_u16(), 500);
        assert_eq!(
            SignInError::UserinfoStatus(StatusCode::UNAUTHORIZED)
                .status()
                .as_u16(),
            500
        );
        assert_eq!(SignInError::InvalidState.status().as_u16(), 401);
    }
}
