//! Cookie plumbing: reading the request's cookies, the encrypted state cookie of a pending sign-in
//! and the encrypted session cookie, sharded into `<name>-0`, `<name>-1`, ... like ALB.
//! The listener is plain http, so `Secure` is never set (a browser would drop Secure cookies
//! sent over http from a non-localhost origin); see README.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::crypto::{CookieSealer, CryptoError};

/// Name of the cookie that carries state, nonce and the original URL during sign-in.
pub const STATE_COOKIE: &str = "AWSELBAuthNonce";
/// How long a sign-in may take between the redirect to the IdP and `/oauth2/idpresponse`.
pub const STATE_TTL_SECONDS: u64 = 900;
/// Browsers store at most 4096 bytes of `name=value` per cookie.
pub const MAX_COOKIE_BYTES: usize = 4096;
/// Upper bound on shards we read back, so a flood of cookies cannot make us allocate much.
const MAX_SHARDS: usize = 16;

const STATE_PURPOSE: &str = "alb-emulator state v1";
const SESSION_PURPOSE: &str = "alb-emulator session v1";

/// All `name=value` pairs of the request's `Cookie` headers, in order.
pub fn request_cookies(headers: &http::HeaderMap) -> Vec<(String, String)> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|line| line.split(';'))
        .filter_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            Some((name.trim().to_string(), value.trim().to_string()))
        })
        .collect()
}

fn cookie_value<'a>(cookies: &'a [(String, String)], name: &str) -> Option<&'a str> {
    cookies
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// What the state cookie remembers between the redirect and the IdP's answer.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PendingSignIn {
    pub state: String,
    pub nonce: String,
    pub original_url: String,
    pub expires_at: u64,
}

/// A signed-in user: the userinfo claims and the access token, until `expires_at` (epoch s).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    pub claims: Map<String, Value>,
    pub access_token: String,
    pub expires_at: u64,
}

fn base_attributes(secure: bool, same_site: &str) -> String {
    let mut attrs = format!("Path=/; HttpOnly; SameSite={same_site}");
    if secure {
        attrs.push_str("; Secure");
    }
    attrs
}

pub fn state_set_cookie(
    sealer: &CookieSealer,
    pending: &PendingSignIn,
    secure: bool,
) -> Result<String, CryptoError> {
    let json = serde_json::to_vec(pending).map_err(|_| CryptoError::Seal)?;
    let sealed = sealer.seal(STATE_PURPOSE, &json)?;
    // SameSite=None needs Secure in browsers; on plain http Lax still rides along on the
    // top-level GET back from the IdP, which is the only request that needs it.
    let same_site = if secure { "None" } else { "Lax" };
    Ok(format!(
        "{STATE_COOKIE}={sealed}; Max-Age={STATE_TTL_SECONDS}; {}",
        base_attributes(secure, same_site)
    ))
}

pub fn state_clear_cookie(secure: bool) -> String {
    let same_site = if secure { "None" } else { "Lax" };
    format!(
        "{STATE_COOKIE}=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; {}",
        base_attributes(secure, same_site)
    )
}

/// The pending sign-in of this browser, if its state cookie is present, ours and not expired.
pub fn read_pending_sign_in(
    sealer: &CookieSealer,
    cookies: &[(String, String)],
    now: u64,
) -> Option<PendingSignIn> {
    let sealed = cookie_value(cookies, STATE_COOKIE)?;
    let plain = sealer.open(STATE_PURPOSE, sealed)?;
    let pending: PendingSignIn = serde_json::from_slice(&plain).ok()?;
    (pending.expires_at > now).then_some(pending)
}

/// `Set-Cookie` values for a new session: the shards, plus expiry of stale shards left over from a
/// previous, larger session (otherwise they would be appended when reading and break decryption).
pub fn session_set_cookies(
    sealer: &CookieSealer,
    name: &str,
    session: &Session,
    max_age: u64,
    secure: bool,
    request_cookies: &[(String, String)],
) -> Result<Vec<String>, CryptoError> {
    let json = serde_json::to_vec(session).map_err(|_| CryptoError::Seal)?;
    let sealed = sealer.seal(SESSION_PURPOSE, &json)?;
    let attrs = base_attributes(secure, "Lax");
    let mut out = Vec::new();
    let mut rest = sealed.as_str();
    let mut index = 0;
    while !rest.is_empty() {
        let prefix_len = format!("{name}-{index}=").len();
        // The sealed value is base64url (ASCII), so splitting at any byte offset is safe.
        let take = rest.len().min(MAX_COOKIE_BYTES - prefix_len);
        let (chunk, tail) = rest.split_at(take);
        out.push(format!(
            "{name}-{index}={chunk}; Max-Age={max_age}; {attrs}"
        ));
        rest = tail;
        index += 1;
    }
    let stale = request_cookies
        .iter()
        .filter_map(|(n, _)| shard_index(name, n))
        .filter(|i| *i >= index);
    for i in stale {
        out.push(expire_cookie(&format!("{name}-{i}"), &attrs));
    }
    Ok(out)
}

fn expire_cookie(name: &str, attrs: &str) -> String {
    format!("{name}=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; {attrs}")
}

fn shard_index(name: &str, cookie_name: &str) -> Option<usize> {
    cookie_name
        .strip_prefix(name)?
        .strip_prefix('-')?
        .parse()
        .ok()
}

/// The session of this request, if its shards decrypt to a session that has not expired.
pub fn read_session(
    sealer: &CookieSealer,
    name: &str,
    cookies: &[(String, String)],
    now: u64,
) -> Option<Session> {
    let mut sealed = String::new();
    for index in 0..MAX_SHARDS {
        match cookie_value(cookies, &format!("{name}-{index}")) {
            Some(v) if !v.is_empty() => sealed.push_str(v),
            _ => break,
        }
    }
    if sealed.is_empty() {
        return None;
    }
    let plain = sealer.open(SESSION_PURPOSE, &sealed)?;
    let session: Session = serde_json::from_slice(&plain).ok()?;
    (session.expires_at > now).then_some(session)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session_with_claim_bytes(n: usize, expires_at: u64) -> Session {
        let mut claims = Map::new();
        claims.insert("sub".into(), "123".into());
        claims.insert("blob".into(), "x".repeat(n).into());
        Session {
            claims,
            access_token: "token".into(),
            expires_at,
        }
    }

    /// Turns `Set-Cookie` lines into what the browser sends back (dropping expired ones).
    fn as_request(set_cookies: &[String]) -> Vec<(String, String)> {
        set_cookies
            .iter()
            .filter(|c| !c.contains("Max-Age=0"))
            .filter_map(|c| {
                let pair = c.split(';').next()?;
                let (n, v) = pair.split_once('=')?;
                Some((n.to_string(), v.to_string()))
            })
            .collect()
    }

    #[test]
    fn small_session_is_one_cookie_and_round_trips() {
        let sealer = CookieSealer::generate().expect("key");
        let set = session_set_cookies(
            &sealer,
            "S",
            &session_with_claim_bytes(10, 200),
            60,
            false,
            &[],
        )
        .expect("cookies");
        assert_eq!(set.len(), 1);
        assert!(set[0].starts_with("S-0="));
        assert!(set[0].contains("HttpOnly") && set[0].contains("Path=/"));
        assert!(!set[0].contains("Secure"));
        let back = read_session(&sealer, "S", &as_request(&set), 100).expect("session");
        assert_eq!(back.claims["sub"], "123");
    }

    #[test]
    fn large_session_is_sharded_under_4096_bytes_each() {
        let sealer = CookieSealer::generate().expect("key");
        let set = session_set_cookies(
            &sealer,
            "S",
            &session_with_claim_bytes(9000, 200),
            60,
            false,
            &[],
        )
        .expect("cookies");
        assert!(set.len() >= 3, "{} shards", set.len());
        for c in &set {
            let pair = c.split(';').next().expect("pair");
            assert!(pair.len() <= MAX_COOKIE_BYTES, "{}", pair.len());
        }
        let back = read_session(&sealer, "S", &as_request(&set), 100).expect("session");
        assert_eq!(back.claims["blob"].as_str().map(str::len), Some(9000));
    }

    #[test]
    fn stale_shards_of_a_bigger_session_are_expired() {
        let sealer = CookieSealer::generate().expect("key");
        let old = session_set_cookies(
            &sealer,
            "S",
            &session_with_claim_bytes(9000, 200),
            60,
            false,
            &[],
        )
        .expect("cookies");
        let set = session_set_cookies(
            &sealer,
            "S",
            &session_with_claim_bytes(1, 200),
            60,
            false,
            &as_request(&old),
        )
        .expect("cookies");
        assert!(
            set.iter()
                .any(|c| c.starts_with("S-1=;") && c.contains("Max-Age=0"))
        );
        assert!(
            set.iter()
                .any(|c| c.starts_with("S-2=;") && c.contains("Max-Age=0"))
        );
    }

    #[test]
    fn expired_missing_or_tampered_sessions_are_rejected() {
        let sealer = CookieSealer::generate().expect("key");
        let set = session_set_cookies(
            &sealer,
            "S",
            &session_with_claim_bytes(10, 200),
            60,
            false,
            &[],
        )
        .expect("cookies");
        let cookies = as_request(&set);
        assert!(
            read_session(&sealer, "S", &cookies, 200).is_none(),
            "expired"
        );
        assert!(
            read_session(&sealer, "T", &cookies, 100).is_none(),
            "other name"
        );
        let forged = vec![("S-0".to_string(), "AAAA".to_string())];
        assert!(read_session(&sealer, "S", &forged, 100).is_none());
    }

    #[test]
    fn state_cookie_round_trips_and_expires() {
        let sealer = CookieSealer::generate().expect("key");
        let pending = PendingSignIn {
            state: "s".into(),
            nonce: "n".into(),
            original_url: "/a?b=c".into(),
            expires_at: 1000,
        };
        let set = state_set_cookie(&sealer, &pending, false).expect("cookie");
        assert!(set.contains("SameSite=Lax") && set.contains("HttpOnly"));
        let cookies = as_request(&[set]);
        assert_eq!(read_pending_sign_in(&sealer, &cookies, 999), Some(pending));
        assert_eq!(read_pending_sign_in(&sealer, &cookies, 1000), None);
        assert!(
            state_set_cookie(
                &sealer,
                &PendingSignIn {
                    state: "s".into(),
                    nonce: "n".into(),
                    original_url: "/".into(),
                    expires_at: 1
                },
                true
            )
            .expect("cookie")
            .contains("SameSite=None; Secure")
        );
    }

    #[test]
    fn request_cookies_parses_several_headers() {
        let mut headers = http::HeaderMap::new();
        headers.append(http::header::COOKIE, "a=1; b=2".parse().expect("hv"));
        headers.append(http::header::COOKIE, "c=3".parse().expect("hv"));
        let cookies = request_cookies(&headers);
        assert_eq!(cookies.len(), 3);
        assert_eq!(cookie_value(&cookies, "c"), Some("3"));
    }
}
