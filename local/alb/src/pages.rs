//! The load balancer's own small HTML pages (what ALB answers itself, not the target).

use http::{HeaderValue, StatusCode, header};

use crate::body::{Response, empty, full};

/// ALB answers with `Server: awselb/2.0` on its own responses.
const SERVER: &str = "awselb/2.0";

fn reason(status: StatusCode) -> &'static str {
    match status.as_u16() {
        401 => "Authorization Required",
        // 561 is ALB-specific, so `http` has no reason phrase for it.
        561 => "Unauthorized",
        _ => status.canonical_reason().unwrap_or("Error"),
    }
}

/// A plain page such as "401 Authorization Required", like ALB's.
pub fn error_page(status: StatusCode) -> Response {
    let mut response = Response::new(full(page_html(status)));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
    headers.insert(header::SERVER, HeaderValue::from_static(SERVER));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn page_html(status: StatusCode) -> String {
    let title = format!("{} {}", status.as_u16(), reason(status));
    format!(
        "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n</body>\r\n</html>\r\n"
    )
}

/// 561 is not a registered status code but `http` accepts any three-digit code.
pub fn status_561() -> StatusCode {
    StatusCode::from_u16(561).unwrap_or(StatusCode::UNAUTHORIZED)
}

/// A 302 the load balancer issues itself, with the given `Set-Cookie` values.
pub fn redirect(location: &str, set_cookies: &[String]) -> Response {
    let mut response = Response::new(empty());
    *response.status_mut() = StatusCode::FOUND;
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(location) {
        headers.insert(header::LOCATION, v);
    }
    for cookie in set_cookies {
        if let Ok(v) = HeaderValue::from_str(cookie) {
            headers.append(header::SET_COOKIE, v);
        }
    }
    headers.insert(header::SERVER, HeaderValue::from_static(SERVER));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_carry_alb_titles() {
        for (code, text) in [
            (401, "401 Authorization Required"),
            (561, "561 Unauthorized"),
            (500, "500 Internal Server Error"),
            (502, "502 Bad Gateway"),
        ] {
            let status = StatusCode::from_u16(code).expect("status");
            assert_eq!(error_page(status).status(), status);
            assert!(page_html(status).contains(&format!("<title>{text}</title>")));
        }
        assert_eq!(reason(status_561()), "Unauthorized");
        assert_eq!(reason(StatusCode::BAD_GATEWAY), "Bad Gateway");
    }
}
