use http::header::{CACHE_CONTROL, PRAGMA, WWW_AUTHENTICATE};
use serde_json::json;

use super::*;
use crate::clock::ManualClock;
use crate::fake_http::FakeHttp;
use crate::parameters::{MemoryStore, ParameterError};
use crate::test_support::*;

type TestCallback = Callback<MemoryStore, FakeHttp, ManualClock>;

fn callback(world: &World) -> TestCallback {
    callback_with(world, &[])
}

fn callback_with(world: &World, extra: &[(&str, &str)]) -> TestCallback {
    Callback::new(
        Ok(world.settings(extra)),
        world.store.clone(),
        world.http.clone(),
        world.clock.clone(),
    )
}

async fn error_of(callback: &TestCallback, request: Request) -> (StatusCode, String) {
    let response = callback.handle(request).await;
    let status = response.status();
    (
        status,
        body_json(&response)["error"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

#[tokio::test]
async fn allow_workspace_user_returns_the_id_token_as_access_token() {
    let world = World::new();
    let token = world.google_issues(&world.claims("alice@example.com", Some("example.com")));
    let response = callback(&world).handle(alb_token_request()).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[CACHE_CONTROL], "no-store");
    assert_eq!(response.headers()[PRAGMA], "no-cache");
    let body = body_json(&response);
    assert_eq!(body["access_token"], token.as_str());
    assert_eq!(body["id_token"], token.as_str());
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(
        body["expires_in"], 3600,
        "session length, not the ID token's hour"
    );
    let form = world.http.last_form().unwrap();
    assert!(
        form.contains(&("client_secret".into(), GOOGLE_SECRET.into())),
        "Google's secret goes to Google"
    );
    assert!(form.contains(&("code".into(), CODE.into())));
}

#[tokio::test]
async fn allow_allowlisted_external_user() {
    let world = World::new();
    world.google_issues(&world.claims("carol@contractor.io", None));
    let response = callback(&world).handle(alb_token_request()).await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn accept_client_secret_post() {
    let world = World::new();
    world.google_issues(&world.claims("alice@example.com", Some("example.com")));
    let mut form = standard_form();
    form.extend([("client_id", CLIENT_ID), ("client_secret", GATE_SECRET)]);
    let response = callback(&world).handle(token_request(&form, None)).await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn reject_wrong_client_secret_basic() {
    let world = World::new();
    let request = token_request(&standard_form(), Some((CLIENT_ID, "wrong")));
    let response = callback(&world).handle(request).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(body_json(&response)["error"], "invalid_client");
    assert!(
        response.headers()[WWW_AUTHENTICATE]
            .to_str()
            .unwrap()
            .starts_with("Basic")
    );
    assert_eq!(world.google_token_calls(), 0);
}

#[tokio::test]
async fn reject_wrong_client_secret_post() {
    let world = World::new();
    let mut form = standard_form();
    form.extend([("client_id", CLIENT_ID), ("client_secret", "wrong")]);
    let (status, error) = error_of(&callback(&world), token_request(&form, None)).await;
    assert_eq!(
        (status, error.as_str()),
        (StatusCode::UNAUTHORIZED, "invalid_client")
    );
}

#[tokio::test]
async fn reject_missing_client_secret_both_styles() {
    let world = World::new();
    let cb = callback(&world);
    let (status, error) = error_of(&cb, token_request(&standard_form(), None)).await;
    assert_eq!(
        (status, error.as_str()),
        (StatusCode::UNAUTHORIZED, "invalid_client")
    );
    let mut form = standard_form();
    form.push(("client_id", CLIENT_ID));
    let (status, _) = error_of(&cb, token_request(&form, None)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = error_of(&cb, token_request(&standard_form(), Some((CLIENT_ID, "")))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn reject_wrong_client_id() {
    let world = World::new();
    let request = token_request(&standard_form(), Some(("someone-else", GATE_SECRET)));
    let (status, error) = error_of(&callback(&world), request).await;
    assert_eq!(
        (status, error.as_str()),
        (StatusCode::UNAUTHORIZED, "invalid_client")
    );
}

#[tokio::test]
async fn reject_google_secret_used_as_gate_secret() {
    let world = World::new();
    let request = token_request(&standard_form(), Some((CLIENT_ID, GOOGLE_SECRET)));
    let (status, _) = error_of(&callback(&world), request).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn reject_refresh_token_grant() {
    let world = World::new();
    let form = [("grant_type", "refresh_token"), ("refresh_token", "x")];
    let request = token_request(&form, Some((CLIENT_ID, GATE_SECRET)));
    let (status, error) = error_of(&callback(&world), request).await;
    assert_eq!(
        (status, error.as_str()),
        (StatusCode::BAD_REQUEST, "unsupported_grant_type")
    );
}

#[tokio::test]
async fn reject_missing_code_or_grant_type() {
    let world = World::new();
    let cb = callback(&world);
    for form in [
        vec![
            ("grant_type", "authorization_code"),
            ("redirect_uri", REDIRECT_URI),
        ],
        vec![("code", CODE), ("redirect_uri", REDIRECT_URI)],
    ] {
        let (status, error) =
            error_of(&cb, token_request(&form, Some((CLIENT_ID, GATE_SECRET)))).await;
        assert_eq!(
            (status, error.as_str()),
            (StatusCode::BAD_REQUEST, "invalid_request")
        );
    }
    assert_eq!(world.google_token_calls(), 0);
}

#[tokio::test]
async fn reject_redirect_uri_of_another_host_without_calling_google() {
    let world = World::new();
    world.google_issues(&world.claims("alice@example.com", Some("example.com")));
    let cb = callback(&world);
    for uri in [
        "https://evil.io/oauth2/idpresponse",
        "https://app.example.com/elsewhere",
        "http://app.example.com/oauth2/idpresponse",
    ] {
        let form = [
            ("grant_type", "authorization_code"),
            ("code", CODE),
            ("redirect_uri", uri),
        ];
        let (status, error) =
            error_of(&cb, token_request(&form, Some((CLIENT_ID, GATE_SECRET)))).await;
        assert_eq!(
            (status, error.as_str()),
            (StatusCode::BAD_REQUEST, "invalid_request"),
            "{uri}"
        );
    }
    assert_eq!(world.google_token_calls(), 0);
}

#[tokio::test]
async fn http_loopback_redirect_needs_the_dev_switch() {
    let world = World::new();
    world.google_issues(&world.claims("alice@example.com", Some("example.com")));
    let form = [
        ("grant_type", "authorization_code"),
        ("code", CODE),
        ("redirect_uri", "http://127.0.0.1:8080/oauth2/idpresponse"),
    ];
    let hosts = [("GATE_ALLOWED_HOSTS", "127.0.0.1:8080")];
    let off = callback_with(&world, &hosts);
    let (status, _) = error_of(&off, token_request(&form, Some((CLIENT_ID, GATE_SECRET)))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "off by default");
    let on = callback_with(
        &world,
        &[hosts[0], ("GATE_DEV_ALLOW_HTTP_LOOPBACK", "true")],
    );
    let response = on
        .handle(token_request(&form, Some((CLIENT_ID, GATE_SECRET))))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn replayed_or_foreign_code_is_invalid_grant() {
    let world = World::new();
    world.http.answer(
        GOOGLE_TOKEN_URL_FOR_TESTS,
        400,
        r#"{"error":"invalid_grant"}"#,
        None,
    );
    let (status, error) = error_of(&callback(&world), alb_token_request()).await;
    assert_eq!(
        (status, error.as_str()),
        (StatusCode::BAD_REQUEST, "invalid_grant")
    );
}

const GOOGLE_TOKEN_URL_FOR_TESTS: &str = crate::settings::GOOGLE_TOKEN_URL;

#[tokio::test]
async fn deny_consumer_account_with_access_denied() {
    let world = World::new();
    world.google_issues(&world.claims("bob@gmail.com", None));
    let (status, error) = error_of(&callback(&world), alb_token_request()).await;
    assert_eq!(
        (status, error.as_str()),
        (StatusCode::BAD_REQUEST, "access_denied")
    );
}

#[tokio::test]
async fn deny_company_email_without_hd() {
    let world = World::new();
    world.google_issues(&world.claims("mallory@example.com", None));
    let (status, error) = error_of(&callback(&world), alb_token_request()).await;
    assert_eq!(
        (status, error.as_str()),
        (StatusCode::BAD_REQUEST, "access_denied")
    );
}

#[tokio::test]
async fn deny_unverified_email() {
    let world = World::new();
    for verified in [json!(false), json!("false"), serde_json::Value::Null] {
        let mut claims = world.claims("dave@example.com", Some("example.com"));
        claims["email_verified"] = verified.clone();
        world.google_issues(&claims);
        let (status, error) = error_of(&callback(&world), alb_token_request()).await;
        assert_eq!(
            (status, error.as_str()),
            (StatusCode::BAD_REQUEST, "access_denied"),
            "{verified}"
        );
    }
}

#[tokio::test]
async fn id_token_for_another_client_is_refused() {
    let world = World::new();
    let mut claims = world.claims("alice@example.com", Some("example.com"));
    claims["aud"] = json!("other-app.apps.googleusercontent.com");
    claims["azp"] = json!("other-app.apps.googleusercontent.com");
    world.google_issues(&claims);
    let (status, error) = error_of(&callback(&world), alb_token_request()).await;
    assert_eq!(
        (status, error.as_str()),
        (StatusCode::BAD_REQUEST, "invalid_grant")
    );
}

#[tokio::test]
async fn google_down_slow_or_garbage_is_503() {
    let world = World::new();
    let cb = callback(&world);
    for (status, body) in [
        (500, ""),
        (503, ""),
        (429, ""),
        (200, "<html>"),
        (200, "{}"),
    ] {
        world
            .http
            .answer(GOOGLE_TOKEN_URL_FOR_TESTS, status, body, None);
        let (got, error) = error_of(&cb, alb_token_request()).await;
        assert_eq!(
            (got, error.as_str()),
            (StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable"),
            "{status} {body}"
        );
    }
    world.http.fail(
        GOOGLE_TOKEN_URL_FOR_TESTS,
        crate::http_client::HttpError::Timeout(GOOGLE_TIMEOUT),
    );
    let (got, _) = error_of(&cb, alb_token_request()).await;
    assert_eq!(got, StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn jwks_down_at_cold_start_is_503_not_an_allow() {
    let world = World::new();
    world.google_issues(&world.claims("alice@example.com", Some("example.com")));
    world
        .http
        .answer(crate::settings::GOOGLE_JWKS_URL, 503, "", None);
    let (status, _) = error_of(&callback(&world), alb_token_request()).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn google_rejecting_our_client_is_a_server_error() {
    let world = World::new();
    world.http.answer(
        GOOGLE_TOKEN_URL_FOR_TESTS,
        401,
        r#"{"error":"invalid_client"}"#,
        None,
    );
    let (status, error) = error_of(&callback(&world), alb_token_request()).await;
    assert_eq!(
        (status, error.as_str()),
        (StatusCode::INTERNAL_SERVER_ERROR, "server_error")
    );
}

#[tokio::test(start_paused = true)]
async fn ssm_down_fails_closed_then_recovers_without_restart() {
    let world = World::new();
    world.store.set(
        SECRET_PARAM,
        Err(ParameterError::Throttled {
            name: SECRET_PARAM.into(),
        }),
    );
    world.google_issues(&world.claims("alice@example.com", Some("example.com")));
    let cb = callback(&world);
    let (status, error) = error_of(&cb, alb_token_request()).await;
    assert_eq!(
        (status, error.as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable")
    );
    assert_eq!(world.google_token_calls(), 0);
    world.store.set(SECRET_PARAM, Ok(GATE_SECRET.into()));
    tokio::time::advance(crate::loader::DEFAULT_RETRY_AFTER).await;
    let response = cb.handle(alb_token_request()).await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn invalid_configuration_fails_closed_with_503() {
    let world = World::new();
    world
        .store
        .set("/streamlit/oauth", Ok("{\"web\": {}}".into()));
    let (status, _) = error_of(&callback(&world), alb_token_request()).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    let broken_env = Callback::new(
        Settings::from_lookup(|name| {
            (name == "GATE_SESSION_SECONDS").then(|| "forever".to_owned())
        }),
        world.store.clone(),
        world.http.clone(),
        world.clock.clone(),
    );
    let (status, _) = error_of(&broken_env, alb_token_request()).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn flood_of_unauthenticated_requests_costs_no_io() {
    let world = World::new();
    let cb = callback(&world);
    for _ in 0..200 {
        let (status, _) = error_of(
            &cb,
            token_request(&standard_form(), Some((CLIENT_ID, "guess"))),
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, _) = error_of(&cb, token_request(&standard_form(), None)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        world.store.reads(),
        2,
        "SSM read once (Google JSON + gate secret)"
    );
    assert_eq!(world.google_token_calls(), 0);
    assert_eq!(world.http.calls(crate::settings::GOOGLE_JWKS_URL), 0);
}

#[tokio::test]
async fn oversized_and_malformed_bodies_are_400() {
    let world = World::new();
    let cb = callback(&world);
    let huge = "a".repeat(100_000);
    let request = token_request(&[("code", huge.as_str())], Some((CLIENT_ID, GATE_SECRET)));
    let (status, error) = error_of(&cb, request).await;
    assert_eq!(
        (status, error.as_str()),
        (StatusCode::BAD_REQUEST, "invalid_request")
    );
    let request = http::Request::builder()
        .method("POST")
        .uri("/token")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::Binary(vec![0xff, 0xfe, b'=', 0x00]))
        .unwrap();
    let (status, _) = error_of(&cb, request).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn only_post_token_is_served() {
    let world = World::new();
    let cb = callback(&world);
    assert_eq!(
        cb.handle(get("/token", None)).await.status(),
        StatusCode::METHOD_NOT_ALLOWED
    );
    assert_eq!(
        cb.handle(get("/other", None)).await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn alb_event_with_base64_body_and_multi_value_headers() {
    use base64::Engine;
    let world = World::new();
    world.google_issues(&world.claims("alice@example.com", Some("example.com")));
    let body = serde_urlencoded::to_string(standard_form()).unwrap();
    let event = json!({
        "requestContext": {"elb": {"targetGroupArn": "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/gate/abc"}},
        "httpMethod": "POST",
        "path": "/token",
        "multiValueQueryStringParameters": {},
        "multiValueHeaders": {
            "content-type": ["application/x-www-form-urlencoded"],
            "authorization": [crate::token_request::basic_header(CLIENT_ID, GATE_SECRET)],
            "host": ["gate.example.com"],
            "x-forwarded-for": ["10.0.0.1"]
        },
        "body": base64::engine::general_purpose::STANDARD.encode(body),
        "isBase64Encoded": true
    });
    let request = lambda_http::request::from_str(&event.to_string()).unwrap();
    let response = callback(&world).handle(request).await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn every_decision_is_one_audit_line_and_no_secret_is_logged() {
    let logs = LogCapture::start();
    let world = World::new();
    let cb = callback(&world);
    let allowed = world.google_issues(&world.claims("alice@example.com", Some("example.com")));
    assert_eq!(
        cb.handle(alb_token_request()).await.status(),
        StatusCode::OK
    );
    let denied = world.google_issues(&world.claims("bob@gmail.com", None));
    assert_eq!(
        cb.handle(alb_token_request()).await.status(),
        StatusCode::BAD_REQUEST
    );
    let guess = token_request(&standard_form(), Some((CLIENT_ID, "guessed-secret-xyz")));
    assert_eq!(cb.handle(guess).await.status(), StatusCode::UNAUTHORIZED);

    let audit = logs.audit_lines();
    assert_eq!(audit.len(), 3, "{}", logs.text());
    assert_eq!(audit[0]["decision"], "allow");
    assert_eq!(audit[0]["reason"], "workspace_domain");
    assert_eq!(audit[0]["email"], "alice@example.com");
    assert_eq!(audit[0]["hd"], "example.com");
    assert_eq!(audit[0]["host"], HOST);
    assert!(audit[0]["latency_ms"].is_number());
    assert_eq!(audit[1]["decision"], "deny");
    assert_eq!(audit[1]["reason"], "domain_not_allowed");
    assert_eq!(audit[2]["reason"], "invalid_client:secret");

    let text = logs.text();
    for secret in [
        GATE_SECRET,
        GOOGLE_SECRET,
        CODE,
        "guessed-secret-xyz",
        allowed.as_str(),
        denied.as_str(),
    ] {
        assert!(!text.contains(secret), "log leaked {secret:.12}…");
    }
}
