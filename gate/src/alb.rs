//! Routes the ALB forwards to the `authorizer` as a Lambda target (`/_auth/*`): sign-out.
//!
//! ALB keeps the session in its own cookies; signing out means expiring them (AWS: "set the
//! expiration time of the authentication session cookie to -1") and showing a page that does
//! not bounce straight back into a new sign-in.

use http::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue, LOCATION, SET_COOKIE};
use http::{Response, StatusCode};
use lambda_http::Body;

/// ALB shards a session cookie larger than 4 KB into `-0`, `-1`, …; our sessions stay small,
/// but clear a few shards to be safe.
pub const SESSION_COOKIE_SHARDS: usize = 4;
pub const LOGOUT_PATH: &str = "/_auth/logout";
pub const SIGNED_OUT_PATH: &str = "/_auth/signed-out";

/// Expires every shard of the ALB session cookie and sends the browser to the signed-out page.
/// Several `Set-Cookie` headers: the target group must have multi-value headers enabled.
pub fn logout(session_cookie: &str) -> Response<Body> {
    let mut response = Response::new(Body::Empty);
    *response.status_mut() = StatusCode::FOUND;
    let headers = response.headers_mut();
    headers.insert(LOCATION, HeaderValue::from_static(SIGNED_OUT_PATH));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    for shard in 0..SESSION_COOKIE_SHARDS {
        let cookie = format!(
            "{session_cookie}-{shard}=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Secure; HttpOnly"
        );
        // The name was validated as an RFC 6265 token at start, so this cannot fail.
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            headers.append(SET_COOKIE, value);
        }
    }
    response
}

const SIGNED_OUT_HTML: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Signed out</title>
<style>
body { font-family: system-ui, sans-serif; display: grid; place-items: center; min-height: 90vh; margin: 0; color: #1f2328; }
main { text-align: center; max-width: 28rem; padding: 2rem; }
a { display: inline-block; margin-top: 1rem; padding: .6rem 1.2rem; border-radius: .4rem; background: #0b57d0; color: #fff; text-decoration: none; }
</style>
</head>
<body>
<main>
<h1>You are signed out</h1>
<p>Your session for this app has ended. To use it again, sign in with your Google account.</p>
<a href="/">Sign in again</a>
</main>
</body>
</html>
"#;

/// A self-contained page: no script, no external resource.
pub fn signed_out_page() -> Response<Body> {
    let mut response = Response::new(Body::Text(SIGNED_OUT_HTML.to_owned()));
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        "content-security-policy",
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
        ),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logout_expires_every_shard_and_redirects() {
        let response = logout("AWSELBAuthSessionCookie");
        assert_eq!(response.status(), StatusCode::FOUND);
        assert_eq!(response.headers()[LOCATION], SIGNED_OUT_PATH);
        let cookies: Vec<_> = response
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        assert_eq!(cookies.len(), SESSION_COOKIE_SHARDS);
        for (shard, cookie) in cookies.iter().enumerate() {
            assert!(
                cookie.starts_with(&format!("AWSELBAuthSessionCookie-{shard}=;")),
                "{cookie}"
            );
            for attribute in [
                "Path=/",
                "Expires=Thu, 01 Jan 1970 00:00:00 GMT",
                "Max-Age=0",
                "Secure",
                "HttpOnly",
            ] {
                assert!(cookie.contains(attribute), "{cookie} lacks {attribute}");
            }
        }
    }

    #[test]
    fn signed_out_page_links_back_to_sign_in() {
        let response = signed_out_page();
        let Body::Text(html) = response.body() else {
            panic!("text body")
        };
        assert!(html.contains(r#"<a href="/">Sign in again</a>"#));
        assert!(!html.contains("<script"));
    }
}
