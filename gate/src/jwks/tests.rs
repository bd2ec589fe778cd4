use super::*;
use crate::clock::ManualClock;
use crate::fake_http::FakeHttp;
use crate::http_client::HttpError;
use testkit::{TestKey, jwks};

const URL: &str = "https://keys.test/certs";

fn cache(http: &FakeHttp, clock: &ManualClock) -> JwksCache<FakeHttp, ManualClock> {
    JwksCache::new(URL, http.clone(), clock.clone())
}

fn serve(http: &FakeHttp, keys: &[&TestKey], max_age: u64) {
    let cache_control = format!("public, max-age={max_age}, must-revalidate, no-transform");
    http.answer(URL, 200, jwks(keys).to_string(), Some(&cache_control));
}

#[tokio::test]
async fn keys_are_cached_for_max_age() {
    let (http, clock) = (FakeHttp::default(), ManualClock::at(1_000));
    let key = TestKey::generate("k1");
    serve(&http, &[&key], 600);
    let cache = cache(&http, &clock);
    cache.key("k1").await.unwrap();
    clock.advance(599);
    cache.key("k1").await.unwrap();
    assert_eq!(http.calls(URL), 1);
    clock.advance(2);
    cache.key("k1").await.unwrap();
    assert_eq!(http.calls(URL), 2, "stale keys are refreshed");
}

#[tokio::test]
async fn rotated_kid_triggers_one_refetch_then_succeeds() {
    let (http, clock) = (FakeHttp::default(), ManualClock::at(1_000));
    let old = TestKey::generate("old");
    let new = TestKey::generate("new");
    serve(&http, &[&old], 3600);
    let cache = cache(&http, &clock);
    cache.key("old").await.unwrap();
    serve(&http, &[&new, &old], 3600);
    cache.key("new").await.unwrap();
    assert_eq!(http.calls(URL), 2);
}

#[tokio::test]
async fn unknown_kid_storm_is_rate_limited() {
    let (http, clock) = (FakeHttp::default(), ManualClock::at(1_000));
    let key = TestKey::generate("k1");
    serve(&http, &[&key], 3600);
    let cache = cache(&http, &clock);
    cache.key("k1").await.unwrap();
    for n in 0..100 {
        assert_eq!(
            cache.key(&format!("forged-{n}")).await.unwrap_err(),
            KeyError::UnknownKid
        );
    }
    assert_eq!(http.calls(URL), 2, "100 unknown kids cost one refetch");
}

#[tokio::test]
async fn jwks_down_at_cold_start_fails_closed() {
    let (http, clock) = (FakeHttp::default(), ManualClock::at(1_000));
    http.fail(URL, HttpError::Connect("refused".into()));
    let cache = cache(&http, &clock);
    let err = cache.key("k1").await.unwrap_err();
    assert!(
        matches!(err, KeyError::Unavailable(ref why) if why.contains("refused")),
        "{err:?}"
    );
}

#[tokio::test]
async fn jwks_down_while_cached_keeps_serving_stale_keys() {
    let (http, clock) = (FakeHttp::default(), ManualClock::at(1_000));
    let key = TestKey::generate("k1");
    serve(&http, &[&key], 60);
    let cache = cache(&http, &clock);
    cache.key("k1").await.unwrap();
    http.answer(URL, 503, "down", None);
    clock.advance(3600);
    cache.key("k1").await.unwrap();
    assert_eq!(http.calls(URL), 2);
}

#[tokio::test]
async fn recovers_after_jwks_comes_back() {
    let (http, clock) = (FakeHttp::default(), ManualClock::at(1_000));
    http.answer(URL, 500, "oops", None);
    let cache = cache(&http, &clock);
    assert!(cache.key("k1").await.is_err());
    let key = TestKey::generate("k1");
    serve(&http, &[&key], 300);
    clock.advance(DEFAULT_REFETCH_INTERVAL_SECONDS);
    cache.key("k1").await.unwrap();
}

#[tokio::test]
async fn garbage_keys_are_skipped() {
    let (http, clock) = (FakeHttp::default(), ManualClock::at(1_000));
    let good = TestKey::generate("good");
    let mut document = jwks(&[&good]);
    let entries = document["keys"].as_array_mut().unwrap();
    entries
        .push(serde_json::json!({"kty": "EC", "kid": "ec", "crv": "P-256", "x": "AA", "y": "AA"}));
    entries.push(
        serde_json::json!({"kty": "RSA", "kid": "hs", "alg": "HS256", "n": "AQAB", "e": "AQAB"}),
    );
    entries.push(
        serde_json::json!({"kty": "RSA", "kid": "enc", "use": "enc", "n": "AQAB", "e": "AQAB"}),
    );
    entries.push(serde_json::json!("not an object"));
    entries.push(serde_json::json!({"kty": "RSA", "kid": "bad", "n": "%%%", "e": "AQAB"}));
    http.answer(URL, 200, document.to_string(), None);
    let cache = cache(&http, &clock);
    cache.key("good").await.unwrap();
    for kid in ["ec", "hs", "enc", "bad"] {
        assert_eq!(
            cache.key(kid).await.unwrap_err(),
            KeyError::UnknownKid,
            "{kid}"
        );
    }
}

#[tokio::test]
async fn garbage_jwks_is_unavailable_not_a_panic() {
    let (http, clock) = (FakeHttp::default(), ManualClock::at(1_000));
    for body in ["<html>", "{}", r#"{"keys": []}"#, r#"{"keys": 5}"#] {
        http.answer(URL, 200, body, None);
        let cache = cache(&http, &clock);
        assert!(
            matches!(cache.key("k").await, Err(KeyError::Unavailable(_))),
            "{body}"
        );
    }
}

#[test]
fn max_age_parsing() {
    assert_eq!(
        max_age("public, max-age=19732, must-revalidate"),
        Some(19732)
    );
    assert_eq!(max_age("Max-Age = 5"), Some(5));
    assert_eq!(max_age("no-cache"), None);
    assert_eq!(max_age("max-age=soon"), None);
}

#[tokio::test]
async fn unknown_kid_refetches_again_after_the_interval() {
    let (http, clock) = (FakeHttp::default(), ManualClock::at(1_000));
    let key = TestKey::generate("k1");
    serve(&http, &[&key], 3600);
    let cache = cache(&http, &clock);
    cache.key("k1").await.unwrap();
    assert!(cache.key("forged").await.is_err());
    assert!(cache.key("forged").await.is_err());
    assert_eq!(http.calls(URL), 2);
    clock.advance(DEFAULT_REFETCH_INTERVAL_SECONDS);
    assert!(cache.key("forged").await.is_err());
    assert_eq!(http.calls(URL), 3);
}

#[tokio::test]
async fn failing_refresh_of_stale_keys_is_rate_limited() {
    let (http, clock) = (FakeHttp::default(), ManualClock::at(1_000));
    let key = TestKey::generate("k1");
    serve(&http, &[&key], 60);
    let cache = cache(&http, &clock);
    cache.key("k1").await.unwrap();
    http.answer(URL, 503, "down", None);
    clock.advance(120);
    for _ in 0..50 {
        cache.key("k1").await.unwrap();
    }
    assert_eq!(
        http.calls(URL),
        2,
        "one failed refresh attempt, stale key served 50 times"
    );
}
