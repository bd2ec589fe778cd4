//! Verification of Google ID tokens: RS256 only, key by `kid` from Google's JWKS, then the
//! claims (`iss`, `aud`, `azp`, `exp`, `iat`, `nbf`) against our clock with 60 s of leeway.
//!
//! The header is checked before any key is touched, so `alg: none`, HS256 keyed with the RSA
//! public key and every other algorithm are refused outright. Only JSON `true` counts as a
//! verified email.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::Algorithm;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use thiserror::Error;

use crate::jwks::{KeyError, KeySource};
use crate::policy::Identity;
use crate::secret::ClientId;

/// Google documents both spellings of its issuer.
pub const GOOGLE_ISSUERS: [&str; 2] = ["https://accounts.google.com", "accounts.google.com"];
/// Clock skew tolerated on `exp`, `iat` and `nbf`.
pub const LEEWAY_SECONDS: u64 = 60;
/// Google ID tokens are ~1 KB; anything far larger is not one.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// What a valid token must say.
#[derive(Debug, Clone)]
pub struct Expectations {
    pub issuers: Vec<String>,
    pub client_id: ClientId,
}

impl Expectations {
    /// Google's issuer accepts its legacy spelling too; another issuer (a mock) must match exactly.
    pub fn new(issuer: &str, client_id: ClientId) -> Self {
        let issuers = if GOOGLE_ISSUERS.contains(&issuer) {
            GOOGLE_ISSUERS.iter().map(|s| (*s).to_owned()).collect()
        } else {
            vec![issuer.to_owned()]
        };
        Self { issuers, client_id }
    }
}

/// Claims of a token whose signature and registered claims all checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedClaims {
    pub sub: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub hd: Option<String>,
    pub name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub picture: Option<String>,
    pub exp: u64,
}

impl VerifiedClaims {
    pub fn identity(&self) -> Identity<'_> {
        Identity {
            email: self.email.as_deref(),
            email_verified: self.email_verified,
            hd: self.hd.as_deref(),
        }
    }
}

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum TokenError {
    #[error("malformed token: {0}")]
    Malformed(&'static str),
    #[error("algorithm {0:?} is not accepted (RS256 only)")]
    UnsupportedAlgorithm(String),
    #[error("token header has no kid")]
    MissingKid,
    #[error("kid is not in Google's JWKS")]
    UnknownKid,
    #[error("signature does not verify")]
    BadSignature,
    #[error("issuer {0:?} is not accepted")]
    WrongIssuer(String),
    #[error("audience does not include our client id")]
    WrongAudience,
    #[error("azp {0:?} is not our client id")]
    WrongAuthorizedParty(String),
    #[error("token expired")]
    Expired,
    #[error("token not valid yet (iat/nbf in the future)")]
    NotYetValid,
    #[error("claim {0} is missing or of the wrong type")]
    MissingClaim(&'static str),
    #[error("{0}")]
    KeysUnavailable(String),
}

impl TokenError {
    /// Stable reason code for the audit log.
    pub fn reason(&self) -> &'static str {
        match self {
            TokenError::Malformed(_) => "invalid_token:malformed",
            TokenError::UnsupportedAlgorithm(_) => "invalid_token:alg",
            TokenError::MissingKid => "invalid_token:missing_kid",
            TokenError::UnknownKid => "invalid_token:unknown_kid",
            TokenError::BadSignature => "invalid_token:signature",
            TokenError::WrongIssuer(_) => "invalid_token:iss",
            TokenError::WrongAudience => "invalid_token:aud",
            TokenError::WrongAuthorizedParty(_) => "invalid_token:azp",
            TokenError::Expired => "invalid_token:expired",
            TokenError::NotYetValid => "invalid_token:not_yet_valid",
            TokenError::MissingClaim(_) => "invalid_token:claims",
            TokenError::KeysUnavailable(_) => "keys_unavailable",
        }
    }

    /// True when the token itself may be fine and our side (JWKS) is the problem.
    pub fn is_transient(&self) -> bool {
        matches!(self, TokenError::KeysUnavailable(_))
    }
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    kid: Option<String>,
    crit: Option<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
struct Claims {
    iss: Option<String>,
    aud: Option<Audience>,
    azp: Option<String>,
    sub: Option<String>,
    exp: Option<u64>,
    iat: Option<u64>,
    nbf: Option<u64>,
    email: Option<String>,
    email_verified: Option<serde_json::Value>,
    hd: Option<String>,
    name: Option<String>,
    given_name: Option<String>,
    family_name: Option<String>,
    picture: Option<String>,
}

/// Verifies `token` as a Google ID token at time `now` (seconds since the epoch).
pub async fn verify(
    token: &str,
    keys: &impl KeySource,
    expected: &Expectations,
    now: u64,
) -> Result<VerifiedClaims, TokenError> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(TokenError::Malformed("token too long"));
    }
    let mut parts = token.split('.');
    let (Some(header_b64), Some(claims_b64), Some(signature_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::Malformed("not three dot-separated segments"));
    };
    let header: Header = decode_segment(header_b64, "header is not base64url JSON")?;
    if header.alg != "RS256" {
        return Err(TokenError::UnsupportedAlgorithm(header.alg));
    }
    if header.crit.is_some() {
        return Err(TokenError::Malformed(
            "crit header extensions are not supported",
        ));
    }
    let kid = header
        .kid
        .filter(|kid| !kid.is_empty())
        .ok_or(TokenError::MissingKid)?;
    let key = keys.key(&kid).await.map_err(|err| match err {
        KeyError::UnknownKid => TokenError::UnknownKid,
        KeyError::Unavailable(why) => TokenError::KeysUnavailable(why),
    })?;
    let signing_input = &token[..header_b64.len() + 1 + claims_b64.len()];
    let signature_ok = jsonwebtoken::crypto::verify(
        signature_b64,
        signing_input.as_bytes(),
        &key,
        Algorithm::RS256,
    )
    .unwrap_or(false);
    if !signature_ok {
        return Err(TokenError::BadSignature);
    }
    let claims: Claims = decode_segment(claims_b64, "claims are not base64url JSON")?;
    check_claims(claims, expected, now)
}

fn check_claims(
    claims: Claims,
    expected: &Expectations,
    now: u64,
) -> Result<VerifiedClaims, TokenError> {
    let iss = claims.iss.ok_or(TokenError::MissingClaim("iss"))?;
    if !expected.issuers.contains(&iss) {
        return Err(TokenError::WrongIssuer(iss));
    }
    let client_id = expected.client_id.as_str();
    let audiences = match claims.aud.ok_or(TokenError::MissingClaim("aud"))? {
        Audience::One(aud) => vec![aud],
        Audience::Many(auds) => auds,
    };
    if !audiences.iter().any(|aud| aud == client_id) {
        return Err(TokenError::WrongAudience);
    }
    // OIDC Core 3.1.3.7: with several audiences, azp must be present; when present, it is us.
    match claims.azp {
        Some(azp) if azp != client_id => return Err(TokenError::WrongAuthorizedParty(azp)),
        None if audiences.len() > 1 => return Err(TokenError::MissingClaim("azp")),
        _ => {}
    }
    let exp = claims.exp.ok_or(TokenError::MissingClaim("exp"))?;
    if now > exp.saturating_add(LEEWAY_SECONDS) {
        return Err(TokenError::Expired);
    }
    let iat = claims.iat.ok_or(TokenError::MissingClaim("iat"))?;
    let latest_start = now.saturating_add(LEEWAY_SECONDS);
    if iat > latest_start || claims.nbf.is_some_and(|nbf| nbf > latest_start) {
        return Err(TokenError::NotYetValid);
    }
    let sub = claims
        .sub
        .filter(|sub| !sub.is_empty())
        .ok_or(TokenError::MissingClaim("sub"))?;
    Ok(VerifiedClaims {
        sub,
        email: claims.email,
        email_verified: claims.email_verified == Some(serde_json::Value::Bool(true)),
        hd: claims.hd,
        name: claims.name,
        given_name: claims.given_name,
        family_name: claims.family_name,
        picture: claims.picture,
        exp,
    })
}

fn decode_segment<T: DeserializeOwned>(segment: &str, what: &'static str) -> Result<T, TokenError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(segment)
        .map_err(|_| TokenError::Malformed(what))?;
    serde_json::from_slice(&bytes).map_err(|_| TokenError::Malformed(what))
}

#[cfg(test)]
mod tests;
