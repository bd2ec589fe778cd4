use http::header::{SET_COOKIE, WWW_AUTHENTICATE};
use serde_json::json;

use super::*;
use crate::clock::ManualClock;
use crate::fake_http::FakeHttp;
use crate::parameters::{MemoryStore, ParameterError};
use crate::settings::GOOGLE_JWKS_URL;
use crate::test_support::*;

type TestAuthorizer = Authorizer<MemoryStore, FakeHttp, ManualClock>;

fn authorizer(world: &World) -> TestAuthorizer {
    Authorizer::new(
        Ok(world.settings(&[("GATE_GOOGLE_CLIENT_ID", CLIENT_ID)])),
        world.store.clone(),
        world.http.clone(),
        world.clock.clone(),
    )
}

fn assert_invalid_token(response: &Response<Body>) {
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        response.headers()[WWW_AUTHENTICATE],
        "Bearer error=\"invalid_token\""
    );
}

#[tokio::test]
async fn userinfo_returns_only_verified_claims() {
    let world = World::new();
    let token = world.id_token(&world.claims("alice@example.com", Some("example.com")));
    let response = authorizer(&world)
        .handle(get("/userinfo", Some(&token)))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = body_json(&response);
    let mut keys: Vec<_> = body.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "email",
            "email_verified",
            "family_name",
            "given_name",
            "hd",
            "name",
            "picture",
            "sub"
        ]
    );
    assert_eq!(body["email"], "alice@example.com");
    assert_eq!(body["email_verified"], true);
    assert!(
        body.to_string().len() < 2048,
        "far below ALB's 11 KB claims limit"
    );
}

#[tokio::test]
async fn userinfo_answers_post_too() {
    let world = World::new();
    let token = world.id_token(&world.claims("carol@contractor.io", None));
    let mut request = get("/userinfo", Some(&token));
    *request.method_mut() = http::Method::POST;
    let response = authorizer(&world).handle(request).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        body_json(&response).get("hd").is_none(),
        "no hd for accounts without one"
    );
}

#[tokio::test]
async fn userinfo_without_or_with_garbage_bearer_is_401() {
    let world = World::new();
    let auth = authorizer(&world);
    assert_invalid_token(&auth.handle(get("/userinfo", None)).await);
    assert_invalid_token(&auth.handle(get("/userinfo", Some("not-a-jwt"))).await);
    let mut basic = get("/userinfo", None);
    basic
        .headers_mut()
        .insert("authorization", "Basic Zm9vOmJhcg==".parse().unwrap());
    assert_invalid_token(&auth.handle(basic).await);
}

#[tokio::test]
async fn userinfo_rejects_expired_token() {
    let world = World::new();
    let mut claims = world.claims("alice@example.com", Some("example.com"));
    claims["exp"] = json!(NOW - 3600);
    let token = world.id_token(&claims);
    assert_invalid_token(
        &authorizer(&world)
            .handle(get("/userinfo", Some(&token)))
            .await,
    );
}

#[tokio::test]
async fn userinfo_rejects_token_signed_by_another_key() {
    let world = World::new();
    let attacker = testkit::TestKey::generate("google-key-1");
    let token = attacker.id_token(&world.claims("alice@example.com", Some("example.com")));
    assert_invalid_token(
        &authorizer(&world)
            .handle(get("/userinfo", Some(&token)))
            .await,
    );
}

#[tokio::test]
async fn userinfo_reapplies_the_policy() {
    let world = World::new();
    let auth = authorizer(&world);
    for (email, hd) in [
        ("bob@gmail.com", None),
        ("mallory@example.com", None),
        ("eve@other.com", Some("other.com")),
    ] {
        let token = world.id_token(&world.claims(email, hd));
        assert_invalid_token(&auth.handle(get("/userinfo", Some(&token))).await);
    }
    let mut unverified = world.claims("dave@example.com", Some("example.com"));
    unverified["email_verified"] = json!(false);
    let token = world.id_token(&unverified);
    assert_invalid_token(&auth.handle(get("/userinfo", Some(&token))).await);
}

#[tokio::test]
async fn userinfo_with_jwks_down_at_cold_start_is_503() {
    let world = World::new();
    world.http.answer(GOOGLE_JWKS_URL, 500, "", None);
    let token = world.id_token(&world.claims("alice@example.com", Some("example.com")));
    let response = authorizer(&world)
        .handle(get("/userinfo", Some(&token)))
        .await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn logout_works_even_when_ssm_is_down() {
    let world = World::new();
    world.store.set(
        "/streamlit/oauth",
        Err(ParameterError::AccessDenied {
            name: "/streamlit/oauth".into(),
        }),
    );
    let auth = Authorizer::new(
        Ok(world.settings(&[("GATE_SESSION_COOKIE", "MyAppSession")])),
        world.store.clone(),
        world.http.clone(),
        world.clock.clone(),
    );
    let response = auth.handle(get("/_auth/logout", None)).await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let cookies: Vec<_> = response.headers().get_all(SET_COOKIE).iter().collect();
    assert_eq!(cookies.len(), 4);
    assert!(cookies[0].to_str().unwrap().starts_with("MyAppSession-0=;"));
    assert_eq!(world.store.reads(), 0);
}

#[tokio::test]
async fn alb_logout_event_answers_with_multi_value_set_cookies() {
    let world = World::new();
    let event = json!({
        "requestContext": {"elb": {"targetGroupArn": "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/gate-authorizer/abc"}},
        "httpMethod": "GET",
        "path": "/_auth/logout",
        "multiValueQueryStringParameters": {"next": ["%2Fhome%3Fa%3D1"]},
        "multiValueHeaders": {
            "host": ["app.example.com"],
            "cookie": ["AWSELBAuthSessionCookie-0=abc; other=1"],
            "x-forwarded-proto": ["https"]
        },
        "body": "",
        "isBase64Encoded": false
    });
    let request = lambda_http::request::from_str(&event.to_string()).unwrap();
    let response = authorizer(&world).handle(request).await;
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(response.headers().get_all(SET_COOKIE).iter().count(), 4);
}

#[tokio::test]
async fn signed_out_page_and_unknown_paths() {
    let world = World::new();
    let auth = authorizer(&world);
    let page = auth.handle(get("/_auth/signed-out", None)).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(
        auth.handle(get("/_auth/anything", None)).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        auth.handle(get("/", None)).await.status(),
        StatusCode::NOT_FOUND
    );
    let mut post_logout = get("/_auth/logout", None);
    *post_logout.method_mut() = http::Method::DELETE;
    assert_eq!(
        auth.handle(post_logout).await.status(),
        StatusCode::METHOD_NOT_ALLOWED
    );
}

#[tokio::test]
async fn garbage_bearer_flood_costs_no_io() {
    let world = World::new();
    let auth = authorizer(&world);
    for n in 0..200 {
        let response = auth
            .handle(get("/userinfo", Some(&format!("garbage.{n}.token"))))
            .await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    assert_eq!(world.store.reads(), 0, "client id from env: no SSM at all");
    assert_eq!(
        world.http.calls(GOOGLE_JWKS_URL),
        0,
        "malformed tokens never reach the JWKS"
    );
}

#[tokio::test]
async fn userinfo_logs_no_token() {
    let logs = LogCapture::start();
    let world = World::new();
    let token = world.id_token(&world.claims("alice@example.com", Some("example.com")));
    let denied = world.id_token(&world.claims("bob@gmail.com", None));
    let auth = authorizer(&world);
    auth.handle(get("/userinfo", Some(&token))).await;
    auth.handle(get("/userinfo", Some(&denied))).await;
    let audit = logs.audit_lines();
    assert_eq!(audit.len(), 2);
    assert_eq!(audit[0]["decision"], "allow");
    assert_eq!(audit[1]["decision"], "deny");
    assert_eq!(audit[1]["reason"], "domain_not_allowed");
    let text = logs.text();
    assert!(!text.contains(&token) && !text.contains(&denied));
}
