//! The real `callback` and `authorizer` handlers against an in-process mock Google and a real
//! local SSM emulator (moto): the whole server side of a sign-in, as the ALB drives it.

mod support;

use std::time::{Duration, Instant};

use http::StatusCode;
use mock_google::{Endpoint, Fault};
use serde_json::json;
use support::*;

#[tokio::test]
async fn workspace_user_signs_in_end_to_end() {
    let stack = Stack::start(true).await;
    let (token, userinfo) = stack.sign_in("alice@example.com").await;
    assert_eq!(token.status(), StatusCode::OK, "{:?}", token.body());
    let body = body_json(&token);
    assert_eq!(body["expires_in"], 43200);
    let userinfo = userinfo.unwrap();
    assert_eq!(userinfo.status(), StatusCode::OK);
    let claims = body_json(&userinfo);
    assert_eq!(claims["email"], "alice@example.com");
    assert_eq!(claims["hd"], "example.com");
    assert_eq!(claims["email_verified"], true);
}

#[tokio::test]
async fn allowlisted_external_user_signs_in_and_others_are_denied() {
    let stack = Stack::start(true).await;
    let (token, userinfo) = stack.sign_in("carol@contractor.io").await;
    assert_eq!(token.status(), StatusCode::OK);
    assert_eq!(userinfo.unwrap().status(), StatusCode::OK);
    for email in ["bob@gmail.com", "mallory@example.com", "dave@example.com"] {
        let (token, _) = stack.sign_in(email).await;
        assert_eq!(token.status(), StatusCode::BAD_REQUEST, "{email}");
        assert_eq!(body_json(&token)["error"], "access_denied", "{email}");
    }
}

#[tokio::test]
async fn replayed_code_is_refused_by_google_and_by_us() {
    let stack = Stack::start(true).await;
    let code = stack.code_for("alice@example.com");
    let first = stack.callback.handle(stack.token_event(&code)).await;
    assert_eq!(first.status(), StatusCode::OK);
    let replay = stack.callback.handle(stack.token_event(&code)).await;
    assert_eq!(replay.status(), StatusCode::BAD_REQUEST);
    assert_eq!(body_json(&replay)["error"], "invalid_grant");
}

#[tokio::test]
async fn rotated_google_keys_are_picked_up_with_one_refetch() {
    let stack = Stack::start(true).await;
    assert_eq!(
        stack.sign_in("alice@example.com").await.0.status(),
        StatusCode::OK
    );
    let jwks_before = stack.google.stats().get(Endpoint::Jwks);
    stack.google.rotate_keys();
    let (token, userinfo) = stack.sign_in("alice@example.com").await;
    assert_eq!(token.status(), StatusCode::OK);
    assert_eq!(userinfo.unwrap().status(), StatusCode::OK);
    let refetches = stack.google.stats().get(Endpoint::Jwks) - jwks_before;
    assert_eq!(refetches, 2, "one refetch by each function's cache");
}

#[tokio::test]
async fn google_token_endpoint_faults_fail_closed_then_recover() {
    let stack = Stack::start(true).await;
    for fault in [
        Fault::status(503),
        Fault::status(429),
        Fault::garbage("<html>oops"),
        Fault::reset(),
        Fault::json(json!({"access_token": "x"})),
    ] {
        stack.google.set_fault(Endpoint::Token, fault.times(1));
        let response = stack
            .callback
            .handle(stack.token_event(&stack.code_for("alice@example.com")))
            .await;
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body_json(&response)["error"], "temporarily_unavailable");
    }
    let (token, _) = stack.sign_in("alice@example.com").await;
    assert_eq!(token.status(), StatusCode::OK, "recovers without a restart");
}

#[tokio::test]
async fn google_hanging_past_our_timeout_is_503() {
    let stack = Stack::start(true).await;
    stack
        .google
        .set_fault(Endpoint::Token, Fault::hang().times(1));
    let started = Instant::now();
    let response = stack
        .callback
        .handle(stack.token_event(&stack.code_for("alice@example.com")))
        .await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "bounded by the 4 s budget"
    );
}

#[tokio::test]
async fn missing_ssm_secret_fails_closed_until_it_is_created() {
    let stack = Stack::start(false).await;
    let response = stack
        .callback
        .handle(stack.token_event(&stack.code_for("alice@example.com")))
        .await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        stack.google.stats().get(Endpoint::Token),
        0,
        "Google never asked"
    );
    stack.moto.put_secure(SECRET_PARAM, GATE_SECRET).await;
    // The loader retries after a short back-off; poll with a deadline.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let response = stack
            .callback
            .handle(stack.token_event(&stack.code_for("alice@example.com")))
            .await;
        if response.status() == StatusCode::OK {
            break;
        }
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(
            Instant::now() < deadline,
            "did not recover after the secret was created"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn token_endpoint_accepts_an_alb_event_with_base64_body() {
    let stack = Stack::start(true).await;
    let code = stack.code_for("alice@example.com");
    let body = serde_urlencoded::to_string([
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT_URI),
    ])
    .unwrap();
    let headers = json!({
        "content-type": ["application/x-www-form-urlencoded"],
        "authorization": [gate::token_request::basic_header(&stack.client_id, GATE_SECRET)],
        "x-forwarded-for": ["203.0.113.9"],
    });
    let response = stack
        .callback
        .handle(alb_event("POST", "/token", headers, &body))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn logout_through_an_alb_event() {
    let stack = Stack::start(true).await;
    let headers = json!({"host": [HOST], "cookie": ["AWSELBAuthSessionCookie-0=abc"]});
    let response = stack
        .authorizer
        .handle(alb_event("GET", "/_auth/logout", headers, ""))
        .await;
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(response.headers().get_all("set-cookie").iter().count(), 4);
    assert_eq!(response.headers()["location"], "/_auth/signed-out");
}
