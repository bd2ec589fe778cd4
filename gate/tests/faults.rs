//! Fault injection (issue #5): Google's token endpoint, its JWKS and SSM misbehave on command,
//! and a full sign-in (token endpoint, then userinfo, as the ALB drives them) must
//!
//! - answer the documented status (503 `temporarily_unavailable` when our side is in trouble),
//! - never open the gate,
//! - log one clear line naming the cause (plus the audit line), and no secret, code or token,
//! - succeed again on the next request once the fault is gone, without a restart.
//!
//! The handlers are the real ones with the real reqwest client; Google is the in-process mock
//! (`local/mock-google`) or a fault proxy in front of it; SSM is an in-memory store whose
//! entries the tests break and mend, or moto behind a throttling proxy. Existing neighbours:
//! `end_to_end.rs` (happy path, replay, key rotation) and the unit tests beside each module.

#[path = "support/fault_proxy.rs"]
mod fault_proxy;
#[path = "support/fault_world.rs"]
mod fault_world;
#[path = "support/log_capture.rs"]
mod log_capture;
#[path = "support/moto.rs"]
mod moto;

use std::time::{Duration, Instant};

use fault_proxy::{FaultProxy, ProxyFault, unused_addr};
use fault_world::*;
use gate::parameters::{ParameterError, SsmStore};
use http::StatusCode;
use log_capture::LogCapture;
use mock_google::{Endpoint, Fault};
use serde_json::{Value, json};

const ALICE: &str = "alice@example.com";

/// The audit line says "error" with `reason`; the handler logged exactly one ERROR line and it
/// names `cause`; every other ERROR line names it too (a failed config load is also logged
/// once by the loader, per load attempt); nothing secret was logged.
fn assert_logged_cause(logs: &LogCapture, world: &FaultWorld, reason: &str, cause: &str) {
    let audit = logs.audit_lines();
    assert_eq!(
        audit.len(),
        1,
        "one audit line per request: {}",
        logs.text()
    );
    assert_eq!(audit[0]["decision"], "error", "{}", audit[0]);
    assert_eq!(audit[0]["reason"], reason, "{}", audit[0]);
    let errors = logs.error_lines();
    let from_handler = errors
        .iter()
        .filter(|line| line["target"] == "gate::callback" || line["target"] == "gate::authorizer")
        .count();
    assert_eq!(
        from_handler,
        1,
        "one ERROR line from the handler: {}",
        logs.text()
    );
    assert!(errors.len() <= 2, "{}", logs.text());
    for line in &errors {
        assert!(
            line.to_string().contains(cause),
            "the ERROR line should name the cause {cause:?}: {line}"
        );
    }
    logs.assert_free_of(&world.secrets());
}

/// The gate stayed shut and told the ALB to try later.
fn assert_unavailable(sign_in: &SignIn) {
    assert!(!sign_in.opened(), "{sign_in:?}");
    assert_eq!(
        sign_in.token.0,
        StatusCode::SERVICE_UNAVAILABLE,
        "{sign_in:?}"
    );
    assert_eq!(sign_in.token_error(), "temporarily_unavailable");
    assert!(sign_in.token.1.get("access_token").is_none());
    assert!(sign_in.userinfo.is_none());
}

fn assert_opened(sign_in: &SignIn, email: &str) {
    assert!(sign_in.opened(), "{sign_in:?}");
    let (_, claims) = sign_in.userinfo.as_ref().expect("userinfo");
    assert_eq!(claims["email"], email);
}

/// Token endpoint fault from the mock Google, applied once: fail closed, log, recover.
async fn google_token_fault(fault: Fault, reason: &str, cause: &str) {
    let logs = LogCapture::start();
    let world = FaultWorld::start().await;
    let (callback, authorizer) = (world.callback(&[]), world.authorizer(false));
    world.google.set_fault(Endpoint::Token, fault.times(1));
    let failed = world.sign_in(&callback, &authorizer, ALICE).await;
    assert_unavailable(&failed);
    assert_logged_cause(&logs, &world, reason, cause);
    assert_eq!(world.google.stats().faults_applied, 1);
    let recovered = world.sign_in(&callback, &authorizer, ALICE).await;
    assert_opened(&recovered, ALICE);
    logs.assert_free_of(&world.secrets());
}

#[tokio::test]
async fn google_token_500_fails_closed_then_recovers() {
    google_token_fault(Fault::status(500), "google_unavailable", "HTTP 500").await;
}

#[tokio::test]
async fn google_token_503_fails_closed_then_recovers() {
    google_token_fault(Fault::status(503), "google_unavailable", "HTTP 503").await;
}

#[tokio::test]
async fn google_token_429_fails_closed_then_recovers() {
    google_token_fault(Fault::status(429), "google_unavailable", "HTTP 429").await;
}

#[tokio::test]
async fn google_token_invalid_json_fails_closed_then_recovers() {
    google_token_fault(
        Fault::garbage("{\"id_token\": \"eyJ"),
        "google_bad_response",
        "not a JSON token response",
    )
    .await;
}

#[tokio::test]
async fn google_token_json_without_id_token_fails_closed_then_recovers() {
    let body = json!({"access_token": "ya29.no-id-token", "token_type": "Bearer"});
    google_token_fault(Fault::json(body), "google_bad_response", "no id_token").await;
}

#[tokio::test]
async fn google_token_connection_reset_fails_closed_then_recovers() {
    google_token_fault(
        Fault::reset(),
        "google_unavailable",
        "token endpoint unavailable",
    )
    .await;
}

#[tokio::test]
async fn google_token_huge_body_is_capped_then_recovers() {
    let started = Instant::now();
    // 64 MiB announced by Content-Length: refused before reading it.
    google_token_fault(
        Fault::huge_bytes(64 << 20),
        "google_unavailable",
        "larger than",
    )
    .await;
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn google_token_hanging_past_our_timeout_fails_closed_then_recovers() {
    let started = Instant::now();
    google_token_fault(Fault::hang(), "google_unavailable", "timed out").await;
    // 4 s budget for the hung call, plus the recovery sign-in.
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn google_token_slow_but_within_timeout_signs_in() {
    let logs = LogCapture::start();
    let world = FaultWorld::start().await;
    let (callback, authorizer) = (world.callback(&[]), world.authorizer(false));
    world.google.set_fault(
        Endpoint::Token,
        Fault::delay(Duration::from_millis(2500)).times(1),
    );
    let started = Instant::now();
    let slow = world.sign_in(&callback, &authorizer, ALICE).await;
    assert_opened(&slow, ALICE);
    assert!(started.elapsed() >= Duration::from_millis(2500));
    assert_eq!(logs.error_lines().len(), 0, "{}", logs.text());
    assert_eq!(logs.audit_lines()[0]["decision"], "allow");
    logs.assert_free_of(&world.secrets());
}

/// Faults the mock cannot produce (cut-off body, endless chunked body) come from a proxy in
/// front of it; recovery is the proxy forwarding again.
async fn proxied_google_token_fault(fault: ProxyFault, cause: &str) -> FaultProxy {
    let logs = LogCapture::start();
    let world = FaultWorld::start().await;
    let proxy = FaultProxy::start(&world.google.base_url()).await;
    let token_url = format!("{}/token", proxy.endpoint);
    let callback = world.callback(&[("GATE_GOOGLE_TOKEN_URL", token_url.as_str())]);
    let authorizer = world.authorizer(false);
    proxy.fault_next(fault, 1).await;
    let failed = world.sign_in(&callback, &authorizer, ALICE).await;
    assert_unavailable(&failed);
    assert_logged_cause(&logs, &world, "google_unavailable", cause);
    let recovered = world.sign_in(&callback, &authorizer, ALICE).await;
    assert_opened(&recovered, ALICE);
    assert_eq!((proxy.faulted(), proxy.calls()), (1, 2));
    logs.assert_free_of(&world.secrets());
    proxy
}

#[tokio::test]
async fn google_token_reset_mid_body_fails_closed_then_recovers() {
    proxied_google_token_fault(ProxyFault::ResetMidBody, "token endpoint unavailable").await;
}

#[tokio::test]
async fn google_token_endless_chunked_body_is_capped_then_recovers() {
    let proxy = proxied_google_token_fault(ProxyFault::EndlessChunkedBody, "larger than").await;
    // The gate stops at 256 KiB; what else got written sits in loopback socket buffers.
    assert!(
        proxy.bytes_written() < 32 << 20,
        "the gate kept reading: {} bytes",
        proxy.bytes_written()
    );
}

#[tokio::test]
async fn google_token_connection_refused_fails_closed_then_recovers() {
    let logs = LogCapture::start();
    let world = FaultWorld::start().await;
    let addr = unused_addr();
    let token_url = format!("http://{addr}/token");
    let callback = world.callback(&[("GATE_GOOGLE_TOKEN_URL", token_url.as_str())]);
    let authorizer = world.authorizer(false);
    let failed = world.sign_in(&callback, &authorizer, ALICE).await;
    assert_unavailable(&failed);
    assert_logged_cause(&logs, &world, "google_unavailable", "could not connect");
    // Google is back on the same address.
    let _google_again = FaultProxy::start_at(addr, &world.google.base_url()).await;
    let recovered = world.sign_in(&callback, &authorizer, ALICE).await;
    assert_opened(&recovered, ALICE);
    logs.assert_free_of(&world.secrets());
}

#[tokio::test]
async fn jwks_down_at_cold_start_fails_closed_then_recovers() {
    let logs = LogCapture::start();
    let world = FaultWorld::start().await;
    let (callback, authorizer) = (world.callback(&[]), world.authorizer(false));
    world.google.set_fault(Endpoint::Jwks, Fault::status(503));
    let failed = world.sign_in(&callback, &authorizer, ALICE).await;
    assert_unavailable(&failed);
    assert_logged_cause(
        &logs,
        &world,
        "keys_unavailable",
        "JWKS endpoint answered HTTP 503",
    );
    // The userinfo endpoint, cold too, refuses a perfectly good token the same way.
    logs.clear();
    let token = world.id_token_for(ALICE, Value::Null);
    let (status, body) = split(authorizer.handle(world.userinfo_request(&token)).await);
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(body.get("email").is_none());
    assert_logged_cause(
        &logs,
        &world,
        "keys_unavailable",
        "JWKS endpoint answered HTTP 503",
    );

    world.google.clear_faults();
    // Failed refreshes are retried once per refetch interval (10 s).
    world
        .clock
        .advance(gate::jwks::DEFAULT_REFETCH_INTERVAL_SECONDS + 1);
    let recovered = world.sign_in(&callback, &authorizer, ALICE).await;
    assert_opened(&recovered, ALICE);
    logs.assert_free_of(&world.secrets());
}

#[tokio::test]
async fn jwks_down_while_keys_are_cached_keeps_signing_in() {
    let logs = LogCapture::start();
    let world = FaultWorld::start().await;
    let (callback, authorizer) = (world.callback(&[]), world.authorizer(false));
    assert_opened(&world.sign_in(&callback, &authorizer, ALICE).await, ALICE);
    world.google.set_fault(Endpoint::Jwks, Fault::status(503));
    // Past the JWKS max-age: both caches try to refresh, fail, and keep the keys they have.
    world
        .clock
        .advance(mock_google::DEFAULT_JWKS_MAX_AGE_SECONDS + 1);
    logs.clear();
    let jwks_before = world.google.stats().jwks;
    let during = world.sign_in(&callback, &authorizer, ALICE).await;
    assert_opened(&during, ALICE);
    assert_eq!(
        world.google.stats().jwks - jwks_before,
        2,
        "one refresh attempt each"
    );
    assert_eq!(logs.error_lines().len(), 0, "{}", logs.text());
    let warnings = logs.warn_lines();
    assert_eq!(warnings.len(), 2, "{}", logs.text());
    assert!(warnings.iter().all(|line| {
        line.to_string().contains("keeping cached keys") && line.to_string().contains("HTTP 503")
    }));
    logs.assert_free_of(&world.secrets());
}

#[tokio::test]
async fn jwks_with_garbage_keys_mixed_in_skips_them() {
    let logs = LogCapture::start();
    let world = FaultWorld::start().await;
    let mut jwks: Value = reqwest::get(world.google.jwks_url())
        .await
        .expect("JWKS")
        .json()
        .await
        .expect("JWKS JSON");
    let real = jwks["keys"].as_array().expect("keys").clone();
    let garbage = [
        json!(42),
        json!("not a key"),
        json!({"kty": "RSA"}),
        json!({"kty": "RSA", "kid": "bad-modulus", "n": "!!!not base64!!!", "e": "AQAB"}),
        json!({"kty": "EC", "kid": "ec-key", "crv": "P-256", "x": "AAAA", "y": "AAAA"}),
        json!({"kty": "RSA", "kid": "hs-key", "alg": "HS256", "n": "AQAB", "e": "AQAB"}),
        json!({"kty": "RSA", "kid": "enc-key", "use": "enc", "n": "AQAB", "e": "AQAB"}),
    ];
    jwks["keys"] = Value::Array(garbage.iter().cloned().chain(real).collect());
    world.google.set_fault(Endpoint::Jwks, Fault::json(jwks));
    let (callback, authorizer) = (world.callback(&[]), world.authorizer(false));
    assert_opened(&world.sign_in(&callback, &authorizer, ALICE).await, ALICE);
    let skipped: Vec<Value> = logs
        .warn_lines()
        .into_iter()
        .filter(|line| line.to_string().contains("skipped unusable entries"))
        .collect();
    assert_eq!(skipped.len(), 2, "once per function: {}", logs.text());
    assert_eq!(skipped[0]["skipped"], garbage.len());
    logs.assert_free_of(&world.secrets());
}

/// A flood of forged `kid`s over real HTTP: rejected, and at most one JWKS refetch per
/// interval (the unit-level twin is `jwks::tests::unknown_kid_storm_is_rate_limited`).
#[tokio::test]
async fn unknown_kid_storm_costs_at_most_one_refetch() {
    let logs = LogCapture::start();
    let world = FaultWorld::start().await;
    let (callback, authorizer) = (world.callback(&[]), world.authorizer(false));
    assert_opened(&world.sign_in(&callback, &authorizer, ALICE).await, ALICE);
    let genuine = world.id_token_for(ALICE, Value::Null);
    let (_, rest) = genuine.split_once('.').expect("JWT");
    let jwks_before = world.google.stats().jwks;
    logs.clear();
    for n in 0..300 {
        let header = json!({"alg": "RS256", "kid": format!("forged-{n}"), "typ": "JWT"});
        let forged = format!("{}.{rest}", b64url(&header));
        let (status, _) = split(authorizer.handle(world.userinfo_request(&forged)).await);
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    assert!(world.google.stats().jwks - jwks_before <= 1);
    let audit = logs.audit_lines();
    assert_eq!(audit.len(), 300);
    assert!(
        audit
            .iter()
            .all(|l| l["reason"] == "invalid_token:unknown_kid")
    );
    logs.assert_free_of(&world.secrets());
}

fn b64url(value: &Value) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string())
}

/// An SSM entry broken at cold start: both functions fail closed without asking Google, name
/// the parameter, and recover (after the loader's short back-off) once it is mended.
async fn ssm_fault(param: &str, broken: Result<String, ParameterError>, cause: &str) {
    let logs = LogCapture::start();
    let world = FaultWorld::start().await;
    let good = world.store.clone();
    let original = match param {
        GOOGLE_PARAM => google_client_json(&world.google),
        _ => GATE_SECRET.to_owned(),
    };
    good.set(param, broken);
    let (callback, authorizer) = (world.callback(&[]), world.authorizer(true));
    let failed = world.sign_in(&callback, &authorizer, ALICE).await;
    assert_unavailable(&failed);
    assert_logged_cause(&logs, &world, "config_unavailable", cause);
    assert!(
        logs.error_lines()[0].to_string().contains(param),
        "names {param}"
    );
    assert_eq!(world.google.stats().token, 0, "Google never asked");
    if param == GOOGLE_PARAM {
        logs.clear();
        let token = world.id_token_for(ALICE, Value::Null);
        let (status, _) = split(authorizer.handle(world.userinfo_request(&token)).await);
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_logged_cause(&logs, &world, "config_unavailable", cause);
    }

    good.set(param, Ok(original));
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let attempt = world.sign_in(&callback, &authorizer, ALICE).await;
        if attempt.opened() {
            break;
        }
        assert_unavailable(&attempt);
        assert!(
            Instant::now() < deadline,
            "no recovery after SSM was mended"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    logs.assert_free_of(&world.secrets());
}

#[tokio::test]
async fn ssm_parameter_missing_fails_closed_then_recovers() {
    let missing = ParameterError::NotFound {
        name: SECRET_PARAM.into(),
    };
    ssm_fault(SECRET_PARAM, Err(missing), "does not exist").await;
}

#[tokio::test]
async fn ssm_access_denied_fails_closed_then_recovers() {
    let denied = ParameterError::AccessDenied {
        name: GOOGLE_PARAM.into(),
    };
    ssm_fault(GOOGLE_PARAM, Err(denied), "is denied").await;
}

#[tokio::test]
async fn ssm_invalid_google_client_json_fails_closed_without_echoing_it() {
    // Cut off mid-way, with a secret-looking value inside: the error must not quote it.
    let broken = r#"{"web": {"client_id": "x", "client_secret": "GOCSPX-leaked-if-echoed-91"#;
    ssm_fault(
        GOOGLE_PARAM,
        Ok(broken.into()),
        "not the Google client JSON",
    )
    .await;
}

#[tokio::test]
async fn ssm_empty_gate_secret_fails_closed_then_recovers() {
    ssm_fault(SECRET_PARAM, Ok("   ".into()), "is empty").await;
}

/// The production SSM client's budget (`parameters::SsmStore`): 3 s per read, 1.5 s per
/// attempt, the SDK's standard retry (3 attempts, exponential backoff with jitter).
fn ssm_client_via(endpoint: &str) -> aws_sdk_ssm::Client {
    use aws_sdk_ssm::config::{BehaviorVersion, Credentials, Region};
    let timeouts = aws_sdk_ssm::config::timeout::TimeoutConfig::builder()
        .operation_timeout(Duration::from_secs(3))
        .operation_attempt_timeout(Duration::from_millis(1500))
        .build();
    let config = aws_sdk_ssm::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
        .timeout_config(timeouts)
        .build();
    aws_sdk_ssm::Client::from_conf(config)
}

async fn moto_behind_proxy(world: &FaultWorld) -> (moto::Moto, FaultProxy) {
    let moto = moto::Moto::start().await;
    moto.put_secure(GOOGLE_PARAM, &google_client_json(&world.google))
        .await;
    moto.put_secure(SECRET_PARAM, GATE_SECRET).await;
    let proxy = FaultProxy::start(&moto.endpoint).await;
    (moto, proxy)
}

#[tokio::test]
async fn ssm_throttled_once_is_retried_with_backoff_within_the_deadline() {
    let logs = LogCapture::start();
    let world = FaultWorld::start().await;
    let (_moto, proxy) = moto_behind_proxy(&world).await;
    let store = SsmStore::with_client(ssm_client_via(&proxy.endpoint));
    let callback = world.callback_with_store(store, &[]);
    let authorizer = world.authorizer(false);
    proxy.fault_next(ProxyFault::SsmThrottling, 1).await;
    let started = Instant::now();
    let signed_in = world.sign_in(&callback, &authorizer, ALICE).await;
    assert_opened(&signed_in, ALICE);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    // Google JSON: throttled, retried; gate secret: first try.
    assert_eq!((proxy.faulted(), proxy.calls()), (1, 3));
    assert_eq!(logs.error_lines().len(), 0, "{}", logs.text());
    logs.assert_free_of(&world.secrets());
}

#[tokio::test]
async fn ssm_throttled_throughout_fails_closed_within_the_deadline_then_recovers() {
    let logs = LogCapture::start();
    let world = FaultWorld::start().await;
    let (_moto, proxy) = moto_behind_proxy(&world).await;
    let store = SsmStore::with_client(ssm_client_via(&proxy.endpoint));
    let callback = world.callback_with_store(store, &[]);
    let authorizer = world.authorizer(false);
    proxy
        .fault_next(ProxyFault::SsmThrottling, usize::MAX)
        .await;
    let started = Instant::now();
    let failed = world.sign_in(&callback, &authorizer, ALICE).await;
    let took = started.elapsed();
    assert_unavailable(&failed);
    // The SDK retried (with backoff) and gave up inside the 3 s read budget; the ALB waits ~5 s.
    assert!(took < Duration::from_millis(3500), "{took:?}");
    // Both parameters are read concurrently, each retried by the SDK (2-3 attempts each).
    let attempts = proxy.calls();
    assert!((4..=6).contains(&attempts), "{attempts} attempts");
    // With jitter the third attempt may meet the 3 s budget first; then the line says it could
    // not read the parameter (a timeout) instead of "throttled". Either way it names it.
    let cause = if logs.text().contains("throttled") {
        "throttled"
    } else {
        GOOGLE_PARAM
    };
    assert_logged_cause(&logs, &world, "config_unavailable", cause);
    let first_error = logs.error_lines()[0].to_string();
    assert!(
        first_error.contains(GOOGLE_PARAM) || first_error.contains(SECRET_PARAM),
        "{first_error}"
    );

    proxy.heal().await;
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let attempt = world.sign_in(&callback, &authorizer, ALICE).await;
        if attempt.opened() {
            break;
        }
        assert_unavailable(&attempt);
        assert!(
            Instant::now() < deadline,
            "no recovery after throttling stopped"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    logs.assert_free_of(&world.secrets());
}

/// The function URLs are public. Requests without the gate secret, and garbage bearer tokens,
/// are refused before any SSM, Google or JWKS call beyond the one-time config load, and cost
/// little CPU each (measured on this thread; printed for the hardening note).
#[tokio::test]
async fn flood_of_unauthenticated_requests_is_rejected_cheaply() {
    const FLOOD: usize = 2000;
    let world = FaultWorld::start().await;
    let callback = world.callback(&[]);
    let authorizer = world.authorizer(false);
    let code = world.code_for(ALICE);
    // Warm the config once (2 SSM reads), as any first request does.
    let mut request = world.token_request(&code);
    request.headers_mut().insert(
        "authorization",
        gate::token_request::basic_header("x", "y").parse().unwrap(),
    );
    assert_eq!(
        callback.handle(request).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let reads = world.store.reads();

    let cpu = ThreadCpu::start();
    for n in 0..FLOOD {
        let mut request = world.token_request(&code);
        let guess = format!("guess-{n}");
        let header = gate::token_request::basic_header(&world.google.config().client_id, &guess);
        request
            .headers_mut()
            .insert("authorization", header.parse().unwrap());
        assert_eq!(
            callback.handle(request).await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let per_token_rejection = cpu.per(FLOOD);

    let cpu = ThreadCpu::start();
    for n in 0..FLOOD {
        let garbage = match n % 3 {
            0 => format!("garbage.{n}.token"),
            1 => format!("{}.e30.", b64url(&json!({"alg": "none"}))),
            _ => "x".repeat(n % 5000),
        };
        let (status, _) = split(authorizer.handle(world.userinfo_request(&garbage)).await);
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let per_bearer_rejection = cpu.per(FLOOD);

    let stats = world.google.stats();
    assert_eq!(world.store.reads(), reads, "no SSM read per request");
    assert_eq!((stats.token, stats.jwks), (0, 0), "no Google or JWKS call");
    println!(
        "rejection cost (debug build, CPU of the handling thread): token endpoint {per_token_rejection:?}, userinfo {per_bearer_rejection:?}"
    );
    // Generous bound for an unoptimised build on a shared machine; release is ~10x less.
    assert!(per_token_rejection < Duration::from_millis(5));
    assert!(per_bearer_rejection < Duration::from_millis(5));
}

/// CPU time of the current thread (Linux `/proc/thread-self/schedstat`), or wall time where
/// that is not available.
struct ThreadCpu {
    cpu: Option<u64>,
    wall: Instant,
}

impl ThreadCpu {
    fn start() -> Self {
        ThreadCpu {
            cpu: thread_cpu_ns(),
            wall: Instant::now(),
        }
    }

    fn per(&self, n: usize) -> Duration {
        let total = match (self.cpu, thread_cpu_ns()) {
            (Some(start), Some(end)) => Duration::from_nanos(end.saturating_sub(start)),
            _ => self.wall.elapsed(),
        };
        total / n as u32
    }
}

fn thread_cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// `true` when `lambda_http` panics while turning `event` into a request.
fn lambda_http_panics_on(event: &str) -> bool {
    std::panic::catch_unwind(|| lambda_http::request::from_str(event).is_ok()).is_err()
}

/// Fuzzing (`fuzz/`, target `alb_event`) found that `lambda_http` panics while turning an event
/// that claims `isBase64Encoded: true` but carries invalid base64 into a request
/// (aws_lambda_events 1.2 `Body::from_maybe_encoded` calls `expect`). The runtime does this before
/// our handler runs; in the release build (panic = abort) the execution environment would die.
/// ALB and Function URLs encode bodies themselves, so only a direct invoker (IAM) could send
/// one. This pins the behaviour: when it fails, the upstream fix has landed.
#[test]
fn fuzz_crash_lambda_http_panics_on_undecodable_base64_body() {
    let event = r#"{"requestContext":{"elb":{"targetGroupArn":"arn:x"}},"httpMethod":"POST","path":"/token","body":"!","isBase64Encoded":true}"#;
    assert!(
        lambda_http_panics_on(event),
        "fixed upstream: update SECURITY.md"
    );
    let valid = event.replace(r#""body":"!""#, r#""body":"Z3JhbnRfdHlwZT14""#);
    assert!(!lambda_http_panics_on(&valid));
}

/// Fuzzing found that `lambda_http` 1.3 panics (`Url::parse(..).unwrap()` in
/// `build_request_uri`) when the Host header of an ALB event does not form a URL with the path,
/// e.g. `a]b` or a port above 65535. The ALB passes the client's Host header through to the
/// authorizer's `/_auth/*` target, so a client inside the allowed CIDRs may be able to crash the
/// authorizer's execution environment with one request (whether ALB forwards such a Host is
/// unverified). Fix options are in SECURITY.md ("Known limits").
#[test]
fn fuzz_crash_lambda_http_panics_on_a_host_header_that_is_not_a_url() {
    let event = |host: &str| {
        format!(
            r#"{{"requestContext":{{"elb":{{"targetGroupArn":"arn:x"}}}},"httpMethod":"GET","path":"/_auth/logout","headers":{{"host":"{host}"}},"body":"","isBase64Encoded":false}}"#
        )
    };
    for host in ["a]b", "app.example.com:99999"] {
        assert!(
            lambda_http_panics_on(&event(host)),
            "{host}: fixed upstream: update SECURITY.md"
        );
    }
    assert!(!lambda_http_panics_on(&event("app.example.com")));
}
