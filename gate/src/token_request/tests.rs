use http::HeaderValue;
use proptest::prelude::*;

use super::*;

fn headers(basic: Option<&str>) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/x-www-form-urlencoded; charset=utf-8"),
    );
    if let Some(basic) = basic {
        headers.insert(AUTHORIZATION, HeaderValue::from_str(basic).unwrap());
    }
    headers
}

const FORM: &str = "grant_type=authorization_code&code=4%2F0Ab&redirect_uri=https%3A%2F%2Fapp.example.com%2Foauth2%2Fidpresponse";

#[test]
fn parses_basic_auth_request() {
    let basic = basic_header("cid.apps.googleusercontent.com", "s3cr:et+/=");
    let request = parse(&headers(Some(&basic)), FORM.as_bytes()).unwrap();
    assert_eq!(request.client_id, "cid.apps.googleusercontent.com");
    assert!(request.client_secret.matches("s3cr:et+/="));
    assert_eq!(request.grant_type.as_deref(), Some("authorization_code"));
    assert_eq!(request.code.unwrap().expose(), "4/0Ab");
    assert_eq!(
        request.redirect_uri.as_deref(),
        Some("https://app.example.com/oauth2/idpresponse")
    );
}

#[test]
fn parses_form_credentials() {
    let body = format!("{FORM}&client_id=cid&client_secret=s%26cret");
    let request = parse(&headers(None), body.as_bytes()).unwrap();
    assert_eq!(request.client_id, "cid");
    assert!(request.client_secret.matches("s&cret"));
}

#[test]
fn missing_client_credentials_is_invalid_client() {
    let err = parse(&headers(None), FORM.as_bytes()).unwrap_err();
    assert_eq!(err, TokenRequestError::MissingClientAuth);
    assert_eq!(err.oauth_error(), "invalid_client");
    let body = format!("{FORM}&client_secret=only-secret");
    assert_eq!(
        parse(&headers(None), body.as_bytes()).unwrap_err(),
        TokenRequestError::MissingClientAuth
    );
}

#[test]
fn both_auth_styles_at_once_is_invalid_request() {
    let body = format!("{FORM}&client_id=cid&client_secret=x");
    let err = parse(&headers(Some(&basic_header("cid", "x"))), body.as_bytes()).unwrap_err();
    assert_eq!(err, TokenRequestError::MultipleClientAuth);
    let body = format!("{FORM}&client_id=other");
    let err = parse(&headers(Some(&basic_header("cid", "x"))), body.as_bytes()).unwrap_err();
    assert_eq!(err, TokenRequestError::MultipleClientAuth);
}

#[test]
fn malformed_basic_headers_are_refused() {
    for value in [
        "Basic",
        "Basic !!!",
        "Bearer abc",
        "Basic Y2lk",
        "Basic /w==",
        "Basic JXp6OnNlY3JldA==",
    ] {
        let err = parse(&headers(Some(value)), FORM.as_bytes()).unwrap_err();
        assert_eq!(err, TokenRequestError::MalformedBasicAuth, "{value}");
    }
}

#[test]
fn oversized_body_is_refused() {
    let body = format!("{FORM}&pad={}", "a".repeat(MAX_BODY_BYTES));
    assert_eq!(
        parse(&headers(None), body.as_bytes()).unwrap_err(),
        TokenRequestError::BodyTooLarge
    );
}

#[test]
fn wrong_content_type_is_refused() {
    let mut h = headers(None);
    h.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    assert_eq!(parse(&h, b"{}").unwrap_err(), TokenRequestError::NotAForm);
    h.remove(CONTENT_TYPE);
    assert_eq!(
        parse(&h, FORM.as_bytes()).unwrap_err(),
        TokenRequestError::NotAForm
    );
}

#[test]
fn repeated_parameters_are_refused() {
    let body = format!("{FORM}&code=second&client_id=c&client_secret=s");
    assert_eq!(
        parse(&headers(None), body.as_bytes()).unwrap_err(),
        TokenRequestError::RepeatedParameter("code".into())
    );
}

#[test]
fn non_utf8_body_is_malformed_not_a_panic() {
    let err = parse(&headers(None), b"code=%FF%FE&client_id=\xff").unwrap_err();
    assert_eq!(err, TokenRequestError::MalformedForm);
}

fn hosts() -> BTreeSet<String> {
    ["app.example.com".to_owned(), "127.0.0.1:8080".to_owned()].into()
}

#[test]
fn redirect_uri_of_an_allowed_host_is_accepted() {
    let host = check_redirect_uri(
        Some("https://App.Example.com/oauth2/idpresponse"),
        &hosts(),
        false,
    );
    assert_eq!(host.unwrap(), "app.example.com");
}

#[test]
fn redirect_uri_of_another_host_or_path_is_refused() {
    for uri in [
        "https://evil.io/oauth2/idpresponse",
        "https://app.example.com.evil.io/oauth2/idpresponse",
        "https://app.example.com/oauth2/idpresponse/",
        "https://app.example.com/oauth2/idpresponse?x=1",
        "https://app.example.com/oauth2/idpresponse#x",
        "https://app.example.com/other",
        "https://app.example.com",
        "https://user@app.example.com/oauth2/idpresponse",
        "https://app.example.com:8443/oauth2/idpresponse",
        "http://app.example.com/oauth2/idpresponse",
        "//app.example.com/oauth2/idpresponse",
        "",
    ] {
        assert_eq!(
            check_redirect_uri(Some(uri), &hosts(), false),
            Err(RedirectUriError::NotAllowed),
            "{uri}"
        );
    }
    assert_eq!(
        check_redirect_uri(None, &hosts(), false),
        Err(RedirectUriError::Missing)
    );
}

#[test]
fn http_loopback_redirect_is_refused_by_default() {
    let uri = Some("http://127.0.0.1:8080/oauth2/idpresponse");
    assert_eq!(
        check_redirect_uri(uri, &hosts(), false),
        Err(RedirectUriError::NotAllowed)
    );
    assert_eq!(
        check_redirect_uri(uri, &hosts(), true).unwrap(),
        "127.0.0.1:8080"
    );
}

#[test]
fn dev_switch_never_admits_http_for_public_hosts() {
    let uri = Some("http://app.example.com/oauth2/idpresponse");
    assert_eq!(
        check_redirect_uri(uri, &hosts(), true),
        Err(RedirectUriError::NotAllowed)
    );
}

proptest! {
    #[test]
    fn basic_credentials_round_trip(id in "\\PC{1,40}", secret in "\\PC{0,60}") {
        let request = parse(&headers(Some(&basic_header(&id, &secret))), FORM.as_bytes()).unwrap();
        prop_assert_eq!(request.client_id, id);
        prop_assert!(request.client_secret.matches(&secret));
    }

    #[test]
    fn form_credentials_round_trip(id in "\\PC{1,40}", secret in "\\PC{1,60}", code in "\\PC{1,80}") {
        let body = serde_urlencoded::to_string([
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("client_id", id.as_str()),
            ("client_secret", secret.as_str()),
        ]).unwrap();
        let request = parse(&headers(None), body.as_bytes()).unwrap();
        prop_assert_eq!(request.client_id, id);
        prop_assert!(request.client_secret.matches(&secret));
        let parsed_code = request.code.unwrap();
        prop_assert_eq!(parsed_code.expose(), code.as_str());
    }

    #[test]
    fn arbitrary_bodies_and_headers_never_panic(body in prop::collection::vec(any::<u8>(), 0..512), auth in "\\PC{0,80}") {
        let mut h = headers(None);
        if let Ok(value) = HeaderValue::from_str(&auth) {
            h.insert(AUTHORIZATION, value);
        }
        let _ = parse(&h, &body);
    }
}

#[test]
fn bad_escapes_in_the_form_are_refused() {
    for body in [
        "code=%zz&client_id=c&client_secret=s",
        "code=%4&client_id=c&client_secret=s",
        "code=%C3%28&client_id=c&client_secret=s",
    ] {
        assert_eq!(
            parse(&headers(None), body.as_bytes()).unwrap_err(),
            TokenRequestError::MalformedForm,
            "{body}"
        );
    }
}
