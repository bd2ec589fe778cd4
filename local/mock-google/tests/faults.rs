//! Fault injection and request counting, through both the library API and `/_mock/`.

mod common;

use std::time::{Duration, Instant};

use common::*;
use mock_google::{Endpoint, Fault};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn status_fault_applies_only_the_given_number_of_times() {
    let mock = start().await;
    mock.set_fault(Endpoint::Jwks, Fault::status(503).times(2));
    for _ in 0..2 {
        let response = client().get(mock.jwks_url()).send().await.expect("answer");
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()["retry-after"], "1");
    }
    let healthy = client().get(mock.jwks_url()).send().await.expect("answer");
    assert_eq!(healthy.status(), StatusCode::OK);
    assert!(json(healthy).await["keys"].is_array());
    let stats = mock.stats();
    assert_eq!((stats.jwks, stats.faults_applied), (3, 2));
    mock.shutdown().await;
}

#[tokio::test]
async fn delay_fault_answers_normally_after_the_delay() {
    let mock = start().await;
    mock.set_fault(Endpoint::Token, Fault::delay(Duration::from_millis(300)));
    let code = mock.issue_code(ALICE, REDIRECT_URI, None).expect("code");
    let started = Instant::now();
    let response = exchange(&mock, &code, REDIRECT_URI).await;
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(response.status(), StatusCode::OK);
    assert!(json(response).await["id_token"].is_string());
    mock.shutdown().await;
}

#[tokio::test]
async fn hang_fault_never_answers_and_does_not_block_shutdown() {
    let mock = start().await;
    mock.set_fault(Endpoint::Userinfo, Fault::hang());
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .expect("client");
    let result = impatient.get(mock.userinfo_url()).send().await;
    let err = result.expect_err("a hung endpoint must not answer");
    assert!(err.is_timeout(), "{err}");

    // Shutdown ends hanging requests instead of waiting for them.
    let mut hanging = Box::pin(client().get(mock.userinfo_url()).send());
    tokio::select! {
        _ = &mut hanging => panic!("a hung request must not be answered"),
        () = wait_for(|| mock.stats().userinfo == 2) => {}
    }
    let started = Instant::now();
    tokio::time::timeout(Duration::from_secs(5), mock.shutdown())
        .await
        .expect("shutdown completes despite a hung request");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(
        hanging.await.is_err(),
        "the hung request ends without a response"
    );
}

#[tokio::test]
async fn garbage_fault_returns_200_with_unparsable_json() {
    let mock = start().await;
    mock.set_fault(Endpoint::Token, Fault::garbage("<html>oops"));
    let code = mock.issue_code(ALICE, REDIRECT_URI, None).expect("code");
    let response = exchange(&mock, &code, REDIRECT_URI).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .is_ok_and(|t| t.starts_with("application/json"))
    );
    let text = response.text().await.expect("body");
    assert_eq!(text, "<html>oops");
    assert!(serde_json::from_str::<serde_json::Value>(&text).is_err());
    mock.shutdown().await;
}

#[tokio::test]
async fn json_fault_replaces_the_answer() {
    let mock = start().await;
    let without_id_token =
        json!({"access_token": "ya29.x", "token_type": "Bearer", "expires_in": 3599});
    mock.set_fault(
        Endpoint::Token,
        Fault::json(without_id_token.clone()).times(1),
    );
    let code = mock.issue_code(ALICE, REDIRECT_URI, None).expect("code");
    let response = exchange(&mock, &code, REDIRECT_URI).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(json(response).await, without_id_token);
    // The fault consumed the request, so the code is still unused.
    assert_eq!(
        exchange(&mock, &code, REDIRECT_URI).await.status(),
        StatusCode::OK
    );
    mock.shutdown().await;
}

#[tokio::test]
async fn huge_bytes_fault_sends_exactly_that_many_bytes() {
    let mock = start().await;
    let len = 3 * 1024 * 1024 + 17;
    mock.set_fault(Endpoint::Jwks, Fault::huge_bytes(len));
    let response = client().get(mock.jwks_url()).send().await.expect("answer");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.content_length(), Some(len));
    let body = response.bytes().await.expect("body");
    assert_eq!(body.len() as u64, len);
    mock.shutdown().await;
}

#[tokio::test]
async fn reset_fault_closes_the_connection_without_a_response() {
    let mock = start().await;
    mock.set_fault(Endpoint::Token, Fault::reset().times(1));
    let code = mock.issue_code(ALICE, REDIRECT_URI, None).expect("code");
    let err = client()
        .post(mock.token_url())
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
        ])
        .send()
        .await
        .expect_err("no response on a reset connection");
    assert!(!err.is_timeout(), "{err}");
    assert!(err.status().is_none(), "{err}");
    // The mock keeps serving afterwards.
    assert_eq!(
        exchange(&mock, &code, REDIRECT_URI).await.status(),
        StatusCode::OK
    );
    mock.shutdown().await;
}

#[tokio::test]
async fn authorize_fault_and_clear_faults() {
    let mock = start().await;
    mock.set_fault(Endpoint::Authorize, Fault::status(500));
    let url = format!("{}?client_id=x", mock.authorization_url());
    assert_eq!(
        client().get(&url).send().await.expect("answer").status(),
        StatusCode::INTERNAL_SERVER_ERROR
    );
    mock.clear_faults();
    // Back to normal: an unknown client gets Google's 400 error page.
    assert_eq!(
        client().get(&url).send().await.expect("answer").status(),
        StatusCode::BAD_REQUEST
    );
    mock.shutdown().await;
}

#[tokio::test]
async fn control_api_sets_and_clears_faults() {
    let mock = start().await;
    let faults_url = format!("{}/_mock/faults", mock.base_url());
    let set = client()
        .post(&faults_url)
        .json(&json!({"endpoint": "userinfo", "fault": {"status": 429, "times": 1}}))
        .send()
        .await
        .expect("answer");
    assert_eq!(set.status(), StatusCode::NO_CONTENT);
    let limited = client()
        .get(mock.userinfo_url())
        .send()
        .await
        .expect("answer");
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        client()
            .get(mock.userinfo_url())
            .send()
            .await
            .expect("answer")
            .status(),
        StatusCode::UNAUTHORIZED
    );

    let set = client()
        .post(&faults_url)
        .json(&json!({"endpoint": "jwks", "fault": {"garbage": "{"}, "times": 5}))
        .send()
        .await
        .expect("answer");
    assert_eq!(set.status(), StatusCode::NO_CONTENT);
    let cleared = client().delete(&faults_url).send().await.expect("answer");
    assert_eq!(cleared.status(), StatusCode::NO_CONTENT);
    assert!(
        json(client().get(mock.jwks_url()).send().await.expect("JWKS")).await["keys"].is_array()
    );
    mock.shutdown().await;
}

#[tokio::test]
async fn control_api_rejects_malformed_faults_with_a_reason() {
    let mock = start().await;
    let faults_url = format!("{}/_mock/faults", mock.base_url());
    for (body, expected) in [
        (
            json!({"endpoint": "token", "fault": {"status": 503, "hang": true}}),
            "exactly one",
        ),
        (
            json!({"endpoint": "token", "fault": {"status": 999}}),
            "999",
        ),
        (
            json!({"endpoint": "nowhere", "fault": {"status": 500}}),
            "nowhere",
        ),
        (
            json!({"endpoint": "token", "fault": {"explode": true}}),
            "explode",
        ),
    ] {
        let response = client()
            .post(&faults_url)
            .json(&body)
            .send()
            .await
            .expect("answer");
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{body}");
        let error = json(response).await;
        let description = error["error_description"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(description.contains(expected), "{body} -> {description}");
    }
    assert_eq!(mock.stats().token, 0, "a rejected fault must not be active");
    mock.shutdown().await;
}

#[tokio::test]
async fn stats_count_requests_per_endpoint_and_reset() {
    let mock = start().await;
    for _ in 0..3 {
        client().get(mock.jwks_url()).send().await.expect("JWKS");
    }
    client()
        .get(mock.discovery_url())
        .send()
        .await
        .expect("discovery");
    let code = mock.issue_code(ALICE, REDIRECT_URI, None).expect("code");
    exchange(&mock, &code, REDIRECT_URI).await;
    exchange(&mock, &code, REDIRECT_URI).await; // rejected requests count too

    let stats = mock.stats();
    assert_eq!(
        (
            stats.jwks,
            stats.discovery,
            stats.token,
            stats.userinfo,
            stats.authorize
        ),
        (3, 1, 2, 0, 0)
    );
    assert_eq!(stats.get(Endpoint::Jwks), 3);
    let over_http = json(
        client()
            .get(format!("{}/_mock/stats", mock.base_url()))
            .send()
            .await
            .expect("stats"),
    )
    .await;
    assert_eq!(over_http["jwks"], 3);
    assert_eq!(over_http["token"], 2);

    client()
        .delete(format!("{}/_mock/stats", mock.base_url()))
        .send()
        .await
        .expect("reset");
    assert_eq!(mock.stats().jwks, 0);
    mock.shutdown().await;
}

/// Polls `condition` until it holds (bounded: panics after 5 s).
async fn wait_for(condition: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !condition() {
        assert!(
            Instant::now() < deadline,
            "condition not reached within 5 s"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
