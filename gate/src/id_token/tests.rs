use serde_json::{Value, json};
use testkit::{GOOGLE_ISSUER, TestKey, b64url, google_claims, hs256_token, jwks, unsigned_token};

use super::*;
use crate::clock::ManualClock;
use crate::fake_http::FakeHttp;
use crate::jwks::JwksCache;

const CLIENT: &str = "client-123.apps.googleusercontent.com";
const URL: &str = "https://keys.test/certs";
const NOW: u64 = 1_800_000_000;

struct Fixture {
    key: TestKey,
    keys: JwksCache<FakeHttp, ManualClock>,
    expected: Expectations,
}

fn fixture() -> Fixture {
    let key = TestKey::generate("google-1");
    let http = FakeHttp::default();
    http.answer(URL, 200, jwks(&[&key]).to_string(), Some("max-age=3600"));
    Fixture {
        keys: JwksCache::new(URL, http, ManualClock::at(NOW)),
        key,
        expected: Expectations::new(GOOGLE_ISSUER, ClientId::new(CLIENT)),
    }
}

fn claims() -> Value {
    google_claims(CLIENT, "alice@example.com", Some("example.com"), NOW)
}

impl Fixture {
    async fn check(&self, token: &str) -> Result<VerifiedClaims, TokenError> {
        verify(token, &self.keys, &self.expected, NOW).await
    }

    async fn check_claims(&self, claims: &Value) -> Result<VerifiedClaims, TokenError> {
        self.check(&self.key.id_token(claims)).await
    }
}

#[tokio::test]
async fn valid_google_token_verifies_with_its_claims() {
    let f = fixture();
    let verified = f.check_claims(&claims()).await.unwrap();
    assert_eq!(verified.email.as_deref(), Some("alice@example.com"));
    assert_eq!(verified.hd.as_deref(), Some("example.com"));
    assert!(verified.email_verified);
    assert_eq!(verified.exp, NOW + 3600);
}

#[tokio::test]
async fn reject_alg_none() {
    let f = fixture();
    let token = unsigned_token(&json!({"alg": "none", "kid": "google-1"}), &claims());
    assert_eq!(
        f.check(&token).await.unwrap_err(),
        TokenError::UnsupportedAlgorithm("none".into())
    );
}

#[tokio::test]
async fn reject_hs256_signed_with_the_rsa_public_key() {
    let f = fixture();
    let header = json!({"alg": "HS256", "kid": "google-1", "typ": "JWT"});
    let token = hs256_token(&f.key.public_key_der(), &header, &claims());
    assert_eq!(
        f.check(&token).await.unwrap_err(),
        TokenError::UnsupportedAlgorithm("HS256".into())
    );
}

#[tokio::test]
async fn reject_other_rsa_and_ec_algorithms() {
    let f = fixture();
    for alg in ["RS512", "PS256", "ES256", "rs256"] {
        let token = f
            .key
            .sign(&json!({"alg": alg, "kid": "google-1"}), &claims());
        assert_eq!(
            f.check(&token).await.unwrap_err().reason(),
            "invalid_token:alg",
            "{alg}"
        );
    }
}

#[tokio::test]
async fn reject_unknown_kid() {
    let f = fixture();
    let stranger = TestKey::generate("not-google");
    let err = f.check(&stranger.id_token(&claims())).await.unwrap_err();
    assert_eq!(err, TokenError::UnknownKid);
}

#[tokio::test]
async fn reject_missing_kid() {
    let f = fixture();
    let token = f.key.sign(&json!({"alg": "RS256"}), &claims());
    assert_eq!(f.check(&token).await.unwrap_err(), TokenError::MissingKid);
}

#[tokio::test]
async fn reject_attacker_key_reusing_googles_kid() {
    let f = fixture();
    let attacker = TestKey::generate("google-1");
    let err = f.check(&attacker.id_token(&claims())).await.unwrap_err();
    assert_eq!(err, TokenError::BadSignature);
}

#[tokio::test]
async fn reject_tampered_payload() {
    let f = fixture();
    let token = f.key.id_token(&claims());
    let parts: Vec<&str> = token.split('.').collect();
    let mut forged = claims();
    forged["email"] = json!("ceo@example.com");
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        b64url(forged.to_string().as_bytes()),
        parts[2]
    );
    assert_eq!(
        f.check(&tampered).await.unwrap_err(),
        TokenError::BadSignature
    );
}

#[tokio::test]
async fn reject_tampered_signature() {
    let f = fixture();
    let token = f.key.id_token(&claims());
    let (head, signature) = token.rsplit_once('.').unwrap();
    let mut bytes = signature.as_bytes().to_vec();
    bytes[10] = if bytes[10] == b'A' { b'B' } else { b'A' };
    let tampered = format!("{head}.{}", String::from_utf8(bytes).unwrap());
    assert_eq!(
        f.check(&tampered).await.unwrap_err(),
        TokenError::BadSignature
    );
    assert_eq!(
        f.check(&format!("{head}.")).await.unwrap_err(),
        TokenError::BadSignature
    );
}

#[tokio::test]
async fn reject_wrong_issuer() {
    let f = fixture();
    let mut c = claims();
    c["iss"] = json!("https://evil.example");
    assert_eq!(
        f.check_claims(&c).await.unwrap_err(),
        TokenError::WrongIssuer("https://evil.example".into())
    );
}

#[tokio::test]
async fn accept_legacy_google_issuer_spelling() {
    let f = fixture();
    let mut c = claims();
    c["iss"] = json!("accounts.google.com");
    f.check_claims(&c).await.unwrap();
}

#[tokio::test]
async fn reject_wrong_audience() {
    let f = fixture();
    let mut c = claims();
    c["aud"] = json!("someone-else.apps.googleusercontent.com");
    c["azp"] = json!("someone-else.apps.googleusercontent.com");
    assert_eq!(
        f.check_claims(&c).await.unwrap_err(),
        TokenError::WrongAudience
    );
}

#[tokio::test]
async fn reject_wrong_azp() {
    let f = fixture();
    let mut c = claims();
    c["azp"] = json!("other-client");
    assert_eq!(
        f.check_claims(&c).await.unwrap_err(),
        TokenError::WrongAuthorizedParty("other-client".into())
    );
}

#[tokio::test]
async fn audience_list_needs_azp() {
    let f = fixture();
    let mut c = claims();
    c["aud"] = json!([CLIENT, "other-client"]);
    f.check_claims(&c).await.unwrap();
    c.as_object_mut().unwrap().remove("azp");
    assert_eq!(
        f.check_claims(&c).await.unwrap_err(),
        TokenError::MissingClaim("azp")
    );
}

#[tokio::test]
async fn reject_expired_token() {
    let f = fixture();
    let mut c = claims();
    c["exp"] = json!(NOW - LEEWAY_SECONDS - 1);
    assert_eq!(f.check_claims(&c).await.unwrap_err(), TokenError::Expired);
    c["exp"] = json!(NOW - LEEWAY_SECONDS + 1);
    f.check_claims(&c).await.expect("within leeway");
}

#[tokio::test]
async fn reject_not_yet_valid_token() {
    let f = fixture();
    let mut c = claims();
    c["iat"] = json!(NOW + LEEWAY_SECONDS + 5);
    assert_eq!(
        f.check_claims(&c).await.unwrap_err(),
        TokenError::NotYetValid
    );
    let mut c = claims();
    c["nbf"] = json!(NOW + 3000);
    assert_eq!(
        f.check_claims(&c).await.unwrap_err(),
        TokenError::NotYetValid
    );
}

#[tokio::test]
async fn reject_missing_registered_claims() {
    let f = fixture();
    for claim in ["iss", "aud", "exp", "iat", "sub"] {
        let mut c = claims();
        c.as_object_mut().unwrap().remove(claim);
        let err = f.check_claims(&c).await.unwrap_err();
        assert_eq!(err, TokenError::MissingClaim(claim), "{claim}");
    }
}

#[tokio::test]
async fn email_verified_counts_only_as_json_true() {
    let f = fixture();
    for (value, verified) in [
        (json!(true), true),
        (json!(false), false),
        (json!("false"), false),
        (json!("true"), false),
        (json!(1), false),
        (Value::Null, false),
    ] {
        let mut c = claims();
        c["email_verified"] = value.clone();
        let claims = f.check_claims(&c).await.unwrap();
        assert_eq!(claims.email_verified, verified, "{value}");
    }
    let mut c = claims();
    c.as_object_mut().unwrap().remove("email_verified");
    assert!(!f.check_claims(&c).await.unwrap().email_verified);
}

#[tokio::test]
async fn malformed_tokens_are_refused_without_panic() {
    let f = fixture();
    let huge = "a".repeat(MAX_TOKEN_BYTES + 1);
    for token in [
        "",
        ".",
        "a.b",
        "a.b.c.d",
        "!!!.???.***",
        "e30.e30.",
        huge.as_str(),
    ] {
        let err = f.check(token).await.unwrap_err();
        assert!(
            matches!(
                err,
                TokenError::Malformed(_) | TokenError::UnsupportedAlgorithm(_)
            ),
            "{token:.20}: {err:?}"
        );
    }
    let header_not_json = format!("{}.e30.sig", b64url(b"not json"));
    assert!(matches!(
        f.check(&header_not_json).await,
        Err(TokenError::Malformed(_))
    ));
    let claims_not_json = f.key.sign(&f.key.header(), &json!("just a string"));
    assert!(matches!(
        f.check(&claims_not_json).await,
        Err(TokenError::Malformed(_))
    ));
}

#[tokio::test]
async fn reject_crit_header() {
    let f = fixture();
    let token = f.key.sign(
        &json!({"alg": "RS256", "kid": "google-1", "crit": ["exp"]}),
        &claims(),
    );
    assert!(matches!(
        f.check(&token).await,
        Err(TokenError::Malformed(_))
    ));
}

#[tokio::test]
async fn keys_down_is_transient_not_a_bad_token() {
    let http = FakeHttp::default();
    http.answer(URL, 503, "", None);
    let keys = JwksCache::new(URL, http, ManualClock::at(NOW));
    let key = TestKey::generate("google-1");
    let expected = Expectations::new(GOOGLE_ISSUER, ClientId::new(CLIENT));
    let err = verify(&key.id_token(&claims()), &keys, &expected, NOW)
        .await
        .unwrap_err();
    assert!(err.is_transient(), "{err:?}");
}
