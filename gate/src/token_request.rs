//! The token request as RFC 6749 defines it (§3.2, §4.1.3), with client authentication by
//! HTTP Basic or by form fields (§2.3.1) — exactly one of them.

use std::collections::BTreeSet;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::HeaderMap;
use http::header::{AUTHORIZATION, CONTENT_TYPE};
use thiserror::Error;

use crate::secret::Secret;
use crate::settings::is_loopback_http;

/// A token request is a few hundred bytes; ALB itself allows 1 MB.
pub const MAX_BODY_BYTES: usize = 16 * 1024;
/// Google's codes are ~100 characters.
pub const MAX_CODE_BYTES: usize = 2048;
/// The only path ALB ever sends users back to.
pub const IDP_RESPONSE_PATH: &str = "/oauth2/idpresponse";

#[derive(Debug)]
pub struct TokenRequest {
    pub grant_type: Option<String>,
    pub code: Option<Secret>,
    pub redirect_uri: Option<String>,
    pub client_id: String,
    pub client_secret: Secret,
}

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum TokenRequestError {
    #[error("request body larger than {MAX_BODY_BYTES} bytes")]
    BodyTooLarge,
    #[error("content type must be application/x-www-form-urlencoded")]
    NotAForm,
    #[error("body is not a valid form")]
    MalformedForm,
    #[error("parameter {0} is repeated")]
    RepeatedParameter(String),
    #[error("no client credentials")]
    MissingClientAuth,
    #[error("malformed Authorization header")]
    MalformedBasicAuth,
    #[error("client credentials sent both in the Authorization header and the body")]
    MultipleClientAuth,
}

impl TokenRequestError {
    /// The RFC 6749 error code.
    pub fn oauth_error(&self) -> &'static str {
        match self {
            TokenRequestError::MissingClientAuth | TokenRequestError::MalformedBasicAuth => {
                "invalid_client"
            }
            _ => "invalid_request",
        }
    }

    pub fn reason(&self) -> &'static str {
        match self {
            TokenRequestError::BodyTooLarge => "invalid_request:body_too_large",
            TokenRequestError::NotAForm => "invalid_request:content_type",
            TokenRequestError::MalformedForm => "invalid_request:malformed_form",
            TokenRequestError::RepeatedParameter(_) => "invalid_request:repeated_parameter",
            TokenRequestError::MissingClientAuth => "invalid_client:missing",
            TokenRequestError::MalformedBasicAuth => "invalid_client:malformed_basic",
            TokenRequestError::MultipleClientAuth => "invalid_request:multiple_client_auth",
        }
    }
}

pub fn parse(headers: &HeaderMap, body: &[u8]) -> Result<TokenRequest, TokenRequestError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(TokenRequestError::BodyTooLarge);
    }
    let is_form = headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|media| {
            media
                .trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if !is_form {
        return Err(TokenRequestError::NotAForm);
    }
    let pairs = parse_form(body).ok_or(TokenRequestError::MalformedForm)?;
    let mut seen = BTreeSet::new();
    for (name, _) in &pairs {
        if !seen.insert(name.as_str()) {
            return Err(TokenRequestError::RepeatedParameter(name.clone()));
        }
    }
    let take = |name: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
    };
    let form_id = take("client_id");
    let form_secret = take("client_secret");
    let (client_id, client_secret) = match (basic_credentials(headers)?, form_secret) {
        (Some(_), Some(_)) => return Err(TokenRequestError::MultipleClientAuth),
        (Some((id, secret)), None) => {
            // A client_id in the body must agree with the Basic one (§3.2.1 allows sending it).
            if form_id.as_ref().is_some_and(|form_id| *form_id != id) {
                return Err(TokenRequestError::MultipleClientAuth);
            }
            (id, secret)
        }
        (None, Some(secret)) => (form_id.ok_or(TokenRequestError::MissingClientAuth)?, secret),
        (None, None) => return Err(TokenRequestError::MissingClientAuth),
    };
    Ok(TokenRequest {
        grant_type: take("grant_type"),
        code: take("code").map(Secret::new),
        redirect_uri: take("redirect_uri"),
        client_id,
        client_secret: Secret::new(client_secret),
    })
}

/// `Authorization: Basic base64(urlencode(id) ":" urlencode(secret))`, RFC 6749 §2.3.1.
fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>, TokenRequestError> {
    let Some(value) = headers.get(AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value
        .to_str()
        .map_err(|_| TokenRequestError::MalformedBasicAuth)?;
    let (scheme, encoded) = value
        .trim()
        .split_once(' ')
        .ok_or(TokenRequestError::MalformedBasicAuth)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(TokenRequestError::MalformedBasicAuth);
    }
    let decoded = STANDARD
        .decode(encoded.trim())
        .map_err(|_| TokenRequestError::MalformedBasicAuth)?;
    let decoded = String::from_utf8(decoded).map_err(|_| TokenRequestError::MalformedBasicAuth)?;
    let (id, secret) = decoded
        .split_once(':')
        .ok_or(TokenRequestError::MalformedBasicAuth)?;
    Ok(Some((form_decode_basic(id)?, form_decode_basic(secret)?)))
}

fn form_decode_basic(component: &str) -> Result<String, TokenRequestError> {
    form_decode(component).ok_or(TokenRequestError::MalformedBasicAuth)
}

/// `application/x-www-form-urlencoded` pairs, strictly: valid escapes and UTF-8 only.
fn parse_form(body: &[u8]) -> Option<Vec<(String, String)>> {
    let body = std::str::from_utf8(body).ok()?;
    body.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            Some((form_decode(name)?, form_decode(value)?))
        })
        .collect()
}

/// Decodes one form component (`+` is a space); `None` on a bad escape or invalid UTF-8.
fn form_decode(component: &str) -> Option<String> {
    let bytes = component.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = component.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// Encodes credentials the way RFC 6749 §2.3.1 says a client must (used by tests and tools).
pub fn basic_header(client_id: &str, client_secret: &str) -> String {
    let encode =
        |text: &str| url::form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>();
    format!(
        "Basic {}",
        STANDARD.encode(format!("{}:{}", encode(client_id), encode(client_secret)))
    )
}

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum RedirectUriError {
    #[error("redirect_uri is missing")]
    Missing,
    #[error("redirect_uri must be https://<allowed host>/oauth2/idpresponse")]
    NotAllowed,
}

/// Checks `redirect_uri` is exactly `https://<allowed host>/oauth2/idpresponse` and returns the
/// host. Plain `http://` only for loopback hosts, and only with the dev-only switch on.
pub fn check_redirect_uri(
    redirect_uri: Option<&str>,
    allowed_hosts: &BTreeSet<String>,
    dev_allow_http_loopback: bool,
) -> Result<String, RedirectUriError> {
    let uri = redirect_uri.ok_or(RedirectUriError::Missing)?;
    let rest = match uri.strip_prefix("https://") {
        Some(rest) => rest,
        None if dev_allow_http_loopback && is_loopback_http(uri) => &uri["http://".len()..],
        None => return Err(RedirectUriError::NotAllowed),
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let host = authority.to_ascii_lowercase();
    if path != IDP_RESPONSE_PATH || host.contains('@') || !allowed_hosts.contains(&host) {
        return Err(RedirectUriError::NotAllowed);
    }
    Ok(host)
}

#[cfg(test)]
mod tests;
