//! The `lambda` action through the listener: event shape sent to the invoke API and the mapping
//! of the function's answer back to HTTP.

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::*;
use serde_json::{Value, json};

async fn setup(response: Value) -> (FakeLambda, alb_emulator::RunningEmulator) {
    let (_, idp) = fake_idp().await;
    let (lambda, lambda_addr) = fake_lambda(response).await;
    let config = config_json(&Fakes {
        idp,
        upstream: echo_upstream().await,
        lambda: lambda_addr,
    });
    (lambda, start(config).await)
}

fn last_event(lambda: &FakeLambda) -> Value {
    lambda
        .events
        .lock()
        .expect("lock")
        .last()
        .cloned()
        .expect("an event was sent")
}

#[tokio::test]
async fn multi_value_event_shape() {
    let (lambda, emulator) =
        setup(json!({"statusCode": 200, "multiValueHeaders": {}, "body": "ok"})).await;
    let response = http()
        .post(format!(
            "http://{}/_auth/logout?a=1&a=%2F&q=x%20y",
            emulator.listen_addr
        ))
        .header("content-type", "application/json")
        .header("x-amzn-oidc-data", "forged")
        .header("x-custom", "one")
        .body(r#"{"hello":"world"}"#)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.expect("body"), "ok");
    let event = last_event(&lambda);
    assert_eq!(
        event["requestContext"]["elb"]["targetGroupArn"],
        "arn:tg/multi"
    );
    assert_eq!(event["httpMethod"], "POST");
    assert_eq!(event["path"], "/_auth/logout");
    assert_eq!(
        event["multiValueQueryStringParameters"]["a"],
        json!(["1", "%2F"])
    );
    assert_eq!(
        event["multiValueQueryStringParameters"]["q"],
        json!(["x%20y"])
    );
    let headers = &event["multiValueHeaders"];
    assert_eq!(headers["x-custom"], json!(["one"]));
    assert_eq!(headers["x-forwarded-proto"], json!(["http"]));
    assert_eq!(headers["x-forwarded-for"], json!(["127.0.0.1"]));
    assert!(
        headers["x-amzn-trace-id"][0]
            .as_str()
            .is_some_and(|t| t.starts_with("Root=1-"))
    );
    assert!(
        headers.get("x-amzn-oidc-data").is_none(),
        "forged header reached the Lambda"
    );
    assert_eq!(event["body"], r#"{"hello":"world"}"#);
    assert_eq!(event["isBase64Encoded"], false);
    assert!(event.get("headers").is_none() && event.get("queryStringParameters").is_none());
}

#[tokio::test]
async fn single_value_event_keeps_last_value_and_base64_binary_body() {
    let (lambda, emulator) = setup(json!({"statusCode": 204})).await;
    let response = http()
        .put(format!("http://{}/_single/x?a=1&a=2", emulator.listen_addr))
        .header("content-type", "application/octet-stream")
        .header("x-twice", "first")
        .header("x-twice", "second")
        .body(vec![0u8, 159, 146, 150])
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 204);
    let event = last_event(&lambda);
    assert_eq!(
        event["requestContext"]["elb"]["targetGroupArn"],
        "arn:tg/single"
    );
    assert_eq!(event["queryStringParameters"], json!({"a": "2"}));
    assert_eq!(event["headers"]["x-twice"], "second");
    assert_eq!(event["isBase64Encoded"], true);
    assert_eq!(event["body"], STANDARD.encode([0u8, 159, 146, 150]));
    assert!(event.get("multiValueHeaders").is_none());
}

const LOGOUT_COOKIES: [&str; 2] = [
    "AWSELBAuthSessionCookie-0=; Max-Age=0; Path=/",
    "AWSELBAuthSessionCookie-1=; Max-Age=0; Path=/",
];

#[tokio::test]
async fn multi_value_response_keeps_every_set_cookie() {
    let (_, emulator) = setup(json!({
        "statusCode": 302, "statusDescription": "302 Found",
        "multiValueHeaders": {"set-cookie": LOGOUT_COOKIES, "location": ["/_auth/signed-out"]},
        "body": "", "isBase64Encoded": false
    }))
    .await;
    let response = http()
        .get(format!("http://{}/_auth/logout", emulator.listen_addr))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 302);
    assert_eq!(response.headers()["location"], "/_auth/signed-out");
    assert_eq!(set_cookies(&response), LOGOUT_COOKIES.to_vec());
}

#[tokio::test]
async fn single_value_response_keeps_only_the_last_set_cookie() {
    // What a function serialising a repeated header into `headers` produces: a duplicate key.
    let raw = format!(
        r#"{{"statusCode":200,"headers":{{"set-cookie":"{}","set-cookie":"{}","content-type":"text/html"}},"body":"PGI+aGk8L2I+","isBase64Encoded":true}}"#,
        LOGOUT_COOKIES[0], LOGOUT_COOKIES[1]
    );
    // serde_json::Value cannot hold duplicate keys, so serve the raw text from a custom fake.
    let router = axum::Router::new().route(
        "/2015-03-31/functions/authorizer/invocations",
        axum::routing::post(move || {
            let raw = raw.clone();
            async move { ([("content-type", "application/json")], raw) }
        }),
    );
    let invoke = serve(router).await;
    let mut config = config_json(&Fakes {
        idp: closed_port().await,
        upstream: closed_port().await,
        lambda: invoke,
    });
    config["rules"] = json!([{"priority": 1, "path_patterns": ["*"], "action": {"type": "lambda",
        "invoke_url": format!("http://{invoke}/2015-03-31/functions/authorizer/invocations"),
        "target_group_arn": "arn:tg", "multi_value_headers": false}}]);
    let emulator = start(config).await;
    let response = http()
        .get(format!("http://{}/_auth/logout", emulator.listen_addr))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
    assert_eq!(set_cookies(&response), vec![LOGOUT_COOKIES[1].to_string()]);
    assert_eq!(response.text().await.expect("body"), "<b>hi</b>");
}

#[tokio::test]
async fn invalid_lambda_response_gives_502() {
    let (_, emulator) = setup(json!({"errorType": "Panic", "errorMessage": "boom"})).await;
    let response = http()
        .get(format!("http://{}/_auth/logout", emulator.listen_addr))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 502);
    assert!(
        response
            .text()
            .await
            .expect("body")
            .contains("502 Bad Gateway")
    );
}

#[tokio::test]
async fn unreachable_invoke_api_gives_503() {
    let closed = closed_port().await;
    let mut config = config_json(&Fakes {
        idp: closed,
        upstream: closed,
        lambda: closed,
    });
    config["rules"] = json!([{"priority": 1, "path_patterns": ["/_auth/*"], "action": {"type": "lambda",
        "invoke_url": format!("http://{closed}/2015-03-31/functions/authorizer/invocations"),
        "target_group_arn": "arn:tg", "multi_value_headers": true}}]);
    let emulator = start(config).await;
    let response = http()
        .get(format!("http://{}/_auth/logout", emulator.listen_addr))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 503);
}

#[tokio::test]
async fn request_body_over_1mb_gives_413() {
    let (lambda, emulator) = setup(json!({"statusCode": 200})).await;
    let response = http()
        .post(format!("http://{}/_auth/upload", emulator.listen_addr))
        .header("content-type", "text/plain")
        .body(vec![b'a'; 1024 * 1024 + 1])
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 413);
    assert!(lambda.events.lock().expect("lock").is_empty());
}
