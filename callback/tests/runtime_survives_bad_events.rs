//! The `callback` binary under a minimal Lambda Runtime API: an event that makes `lambda_http`
//! panic while converting it (found by fuzzing, see gate/tests/faults.rs `fuzz_crash_*`) must
//! become a failed invocation, and the same process must go on to serve the next event.

use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use serde_json::{Value, json};
use tokio::sync::{Mutex, mpsc};

#[derive(Clone)]
struct RuntimeApi {
    events: Arc<Mutex<Vec<Value>>>,
    outcomes: mpsc::UnboundedSender<(String, String)>,
}

async fn next(State(api): State<RuntimeApi>) -> (HeaderMap, String) {
    // No event left: keep the poll open, as Lambda does between invocations.
    let Some(event) = api.events.lock().await.pop() else {
        std::future::pending::<()>().await;
        unreachable!()
    };
    let id = format!("req-{}", api.events.lock().await.len());
    let mut headers = HeaderMap::new();
    let deadline = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis()
        + 10_000;
    headers.insert("lambda-runtime-aws-request-id", id.parse().unwrap());
    headers.insert(
        "lambda-runtime-deadline-ms",
        deadline.to_string().parse().unwrap(),
    );
    headers.insert(
        "lambda-runtime-invoked-function-arn",
        "arn:aws:lambda:us-east-1:000000000000:function:callback"
            .parse()
            .unwrap(),
    );
    headers.insert(
        "lambda-runtime-trace-id",
        "Root=1-00000000-000000000000000000000000".parse().unwrap(),
    );
    (headers, event.to_string())
}

async fn outcome(
    State(api): State<RuntimeApi>,
    Path((id, kind)): Path<(String, String)>,
    body: String,
) -> &'static str {
    let _ = api.outcomes.send((format!("{id}/{kind}"), body));
    "{}"
}

fn alb_event(host: &str) -> Value {
    json!({
        "requestContext": {"elb": {"targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/t/0"}},
        "httpMethod": "GET",
        "path": "/token",
        "headers": {"host": host},
        "body": "",
        "isBase64Encoded": false
    })
}

#[tokio::test]
async fn a_panicking_event_is_a_failed_invocation_and_the_process_keeps_serving() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    // Popped from the end: first the malformed Host, then a well-formed request.
    let api = RuntimeApi {
        events: Arc::new(Mutex::new(vec![
            alb_event("app.example.com"),
            alb_event("a]b"),
        ])),
        outcomes: tx,
    };
    let app = Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route("/2018-06-01/runtime/invocation/{id}/{kind}", post(outcome))
        .route("/2018-06-01/runtime/init/error", post(|| async { "{}" }))
        .with_state(api);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });

    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_callback"))
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", address.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", "callback")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "test")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/callback")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start the callback binary");

    let deadline = Duration::from_secs(60);
    let first = tokio::time::timeout(deadline, rx.recv())
        .await
        .expect("first outcome in time")
        .unwrap();
    assert!(
        first.0.ends_with("/error"),
        "malformed Host must fail the invocation: {first:?}"
    );
    let second = tokio::time::timeout(deadline, rx.recv())
        .await
        .expect("second outcome in time")
        .unwrap();
    assert!(
        second.0.ends_with("/response"),
        "the same process serves the next event: {second:?}"
    );
    assert!(
        second.1.contains("405"),
        "GET /token is answered by the handler: {}",
        second.1
    );
    assert!(child.try_wait().unwrap().is_none(), "process still alive");
    child.kill().await.ok();
}

#[test]
fn release_profile_unwinds() {
    // With panic = "abort" the case above would kill the execution environment in production.
    let manifest = include_str!("../../Cargo.toml");
    let release = manifest
        .split("[profile.release]")
        .nth(1)
        .expect("release profile");
    assert!(
        release.contains("panic = \"unwind\""),
        "release profile must unwind"
    );
}
