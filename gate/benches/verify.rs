//! Per-decision CPU: verify a Google-style RS256 ID token with a warm `JwksCache`, then apply
//! the policy — the work both Lambdas do on every sign-in once keys are cached.
//!
//! `cargo bench -p gate --bench verify`; `make bench` runs it and reads criterion's estimates.

use std::hint::black_box;
use std::time::{SystemTime, UNIX_EPOCH};

use criterion::{Criterion, criterion_group, criterion_main};
use gate::clock::ManualClock;
use gate::http_client::{HttpClient, HttpError, HttpResponse};
use gate::id_token::{Expectations, verify};
use gate::jwks::JwksCache;
use gate::policy::{Identity, Policy, Rule};
use gate::secret::ClientId;
use testkit::TestKey;

const CLIENT_ID: &str = "bench-client.apps.googleusercontent.com";
const HOST: &str = "app.example.com";

/// Serves one JWKS document from memory, so the cache fills without a network.
#[derive(Clone)]
struct InMemoryJwks {
    body: Vec<u8>,
}

impl HttpClient for InMemoryJwks {
    async fn get(&self, _url: &str) -> Result<HttpResponse, HttpError> {
        Ok(HttpResponse {
            status: 200,
            cache_control: Some("public, max-age=21600".into()),
            body: self.body.clone(),
        })
    }

    async fn post_form(
        &self,
        url: &str,
        _form: &[(&str, &str)],
    ) -> Result<HttpResponse, HttpError> {
        Err(HttpError::Connect(format!(
            "{url}: no token endpoint in this bench"
        )))
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or(0)
}

fn verify_and_decide(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("tokio runtime");
    let key = TestKey::generate("bench-kid-1");
    let rotated_out = TestKey::generate("bench-kid-0");
    let now = now();
    let token = key.id_token(&testkit::google_claims(
        CLIENT_ID,
        "alice@example.com",
        Some("example.com"),
        now,
    ));
    let jwks = InMemoryJwks {
        body: testkit::jwks(&[&rotated_out, &key])
            .to_string()
            .into_bytes(),
    };
    let keys = JwksCache::new("https://jwks.invalid/certs", jwks, ManualClock::at(now));
    runtime
        .block_on(keys.prefetch())
        .expect("JWKS served from memory");
    let expected = Expectations::new(testkit::GOOGLE_ISSUER, ClientId::new(CLIENT_ID));
    let rule = Rule::new(["example.com"], ["carol@contractor.io"], "bench").expect("valid rule");
    let policy = Policy::new(rule);

    // Fail loudly before measuring if the token would be refused: a benchmark of the error
    // path would look fast and mean nothing.
    let claims = runtime
        .block_on(verify(&token, &keys, &expected, now))
        .expect("bench token verifies");
    assert!(
        policy
            .decide_for_host(&claims.identity(), HOST)
            .is_allowed(),
        "bench identity must be allowed"
    );

    let mut group = c.benchmark_group("decision");
    group.bench_function("verify_rs256_and_policy", |b| {
        b.to_async(&runtime).iter(|| async {
            let claims = verify(black_box(&token), &keys, &expected, now)
                .await
                .expect("verifies");
            black_box(policy.decide_for_host(&claims.identity(), black_box(HOST)))
        })
    });
    group.bench_function("policy_only", |b| {
        let identity = Identity {
            email: Some("alice@example.com"),
            email_verified: true,
            hd: Some("example.com"),
        };
        b.iter(|| black_box(policy.decide_for_host(black_box(&identity), black_box(HOST))))
    });
    group.finish();
}

criterion_group!(benches, verify_and_decide);
criterion_main!(benches);
