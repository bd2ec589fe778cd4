//! The authenticate-oidc flow end to end against fake IdP endpoints and an echoing upstream.

mod common;

use std::time::Duration;

use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED, UnparsedPublicKey};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use common::*;
use serde_json::{Value, json};

async fn setup() -> (Idp, alb_emulator::RunningEmulator) {
    setup_with(|_| {}).await
}

async fn setup_with(edit: impl FnOnce(&mut Value)) -> (Idp, alb_emulator::RunningEmulator) {
    let (idp, idp_addr) = fake_idp().await;
    let (_, lambda) = fake_lambda(json!({"statusCode": 200})).await;
    let mut config = config_json(&Fakes {
        idp: idp_addr,
        upstream: echo_upstream().await,
        lambda,
    });
    edit(&mut config);
    (idp, start(config).await)
}

async fn get_json(
    emulator: &alb_emulator::RunningEmulator,
    path: &str,
    cookies: &str,
) -> (u16, Value) {
    let response = http()
        .get(format!("http://{}{path}", emulator.listen_addr))
        .header("cookie", cookies)
        .header("x-amzn-oidc-data", "forged")
        .header("X-Amzn-Oidc-Identity", "forged")
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

#[tokio::test]
async fn redirect_to_idp_carries_alb_parameters_and_a_state_cookie() {
    let (_, emulator) = setup().await;
    let response = http()
        .get(format!("http://{}/app/page?x=1", emulator.listen_addr))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 302);
    let location = response.headers()["location"]
        .to_str()
        .expect("location")
        .to_string();
    assert!(
        location.starts_with("https://idp.test/authorize?tenant=t1&"),
        "{location}"
    );
    let param = |n| query_param(&location, n);
    assert_eq!(param("response_type").as_deref(), Some("code"));
    assert_eq!(param("client_id").as_deref(), Some(CLIENT_ID));
    assert_eq!(
        param("redirect_uri"),
        Some(format!(
            "http://{}/oauth2/idpresponse",
            emulator.listen_addr
        ))
    );
    assert_eq!(param("scope").as_deref(), Some("openid email profile"));
    assert_eq!(param("prompt").as_deref(), Some("select_account"));
    assert_eq!(param("hd").as_deref(), Some("example.com"));
    assert!(param("state").is_some_and(|s| s.len() >= 32));
    assert!(param("nonce").is_some_and(|s| s.len() >= 32));
    let cookies = set_cookies(&response);
    assert_eq!(cookies.len(), 1, "{cookies:?}");
    let state_cookie = &cookies[0];
    assert!(state_cookie.starts_with("AWSELBAuthNonce="));
    assert!(state_cookie.contains("HttpOnly") && state_cookie.contains("SameSite=Lax"));
    assert!(
        !state_cookie.contains("Secure"),
        "http listener must not set Secure"
    );
    // The state cookie is encrypted: neither state nor nonce appear in it.
    assert!(!state_cookie.contains(&param("state").unwrap_or_default()));
}

#[tokio::test]
async fn full_sign_in_sets_session_and_forwards_identity_headers() {
    let (idp, emulator) = setup().await;
    let signed_in = sign_in(&emulator, "/app/page?x=1").await;
    let response = &signed_in.idp_response;
    assert_eq!(response.status(), 302);
    assert_eq!(response.headers()["location"], "/app/page?x=1");
    let all = set_cookies(response);
    assert!(
        all.iter()
            .any(|c| c.starts_with("AWSELBAuthNonce=;") && c.contains("Max-Age=0"))
    );
    assert_eq!(
        signed_in.session.len(),
        1,
        "small session fits one cookie: {all:?}"
    );
    assert_eq!(signed_in.session[0].0, "AWSELBAuthSessionCookie-0");
    assert!(all.iter().all(|c| !c.contains("Secure")));

    {
        let s = idp.lock().expect("lock");
        assert_eq!(s.token_requests.len(), 1);
        let (headers, form) = &s.token_requests[0];
        let basic = headers["authorization"].to_str().expect("ascii");
        let decoded = STANDARD
            .decode(basic.strip_prefix("Basic ").expect("basic auth"))
            .expect("base64");
        let (id, secret) = std::str::from_utf8(&decoded)
            .expect("utf8")
            .split_once(':')
            .expect(":");
        let form_decode = |s: &str| -> String {
            url::form_urlencoded::parse(format!("v={s}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default()
        };
        assert_eq!(form_decode(id), CLIENT_ID);
        assert_eq!(form_decode(secret), CLIENT_SECRET);
        assert!(secret.contains("%2F") && secret.contains("%2B"), "{secret}");
        assert_eq!(form["grant_type"], "authorization_code");
        assert!(form["code"].starts_with("code."));
        assert_eq!(
            form["redirect_uri"],
            format!("http://{}/oauth2/idpresponse", emulator.listen_addr)
        );
        assert!(
            !form.contains_key("client_secret"),
            "client_secret_basic only"
        );
        assert_eq!(s.userinfo_auth, vec![format!("Bearer {ACCESS_TOKEN}")]);
    }

    let (status, echoed) = get_json(
        &emulator,
        "/app/page?x=1",
        &cookie_header(&signed_in.session),
    )
    .await;
    assert_eq!(status, 200);
    let headers = &echoed["headers"];
    assert_eq!(headers["x-amzn-oidc-accesstoken"], ACCESS_TOKEN);
    assert_eq!(headers["x-amzn-oidc-identity"], "1234567890");
    let data = headers["x-amzn-oidc-data"].as_str().expect("data header");
    assert_ne!(data, "forged");
    assert_eq!(headers["x-forwarded-proto"], "http");
    assert_eq!(headers["x-forwarded-for"], "127.0.0.1");
    assert_eq!(
        headers["x-forwarded-port"],
        emulator.listen_addr.port().to_string()
    );
    assert!(
        headers["x-amzn-trace-id"]
            .as_str()
            .is_some_and(|t| t.starts_with("Root=1-"))
    );
    assert_eq!(echoed["uri"], "/app/page?x=1");
}

fn pem_to_point(pem: &str) -> Vec<u8> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = STANDARD.decode(body).expect("pem base64");
    assert_eq!(der.len(), 91, "P-256 SubjectPublicKeyInfo");
    der[26..].to_vec()
}

#[tokio::test]
async fn oidc_data_is_padded_es256_verifiable_with_the_key_service_pem() {
    let (_, emulator) = setup().await;
    let signed_in = sign_in(&emulator, "/").await;
    let (_, echoed) = get_json(&emulator, "/", &cookie_header(&signed_in.session)).await;
    let data = echoed["headers"]["x-amzn-oidc-data"]
        .as_str()
        .expect("data")
        .to_string();
    let segments: Vec<&str> = data.split('.').collect();
    assert_eq!(segments.len(), 3);
    for s in &segments {
        assert_eq!(s.len() % 4, 0, "segment keeps its '=' padding: {s}");
    }
    // A 64-byte signature always needs padding, so ALB's quirk is visible on every token.
    assert!(segments[2].ends_with('='));

    let header: Value =
        serde_json::from_slice(&URL_SAFE.decode(segments[0]).expect("b64")).expect("json");
    let payload: Value =
        serde_json::from_slice(&URL_SAFE.decode(segments[1]).expect("b64")).expect("json");
    assert_eq!(header["alg"], "ES256");
    assert_eq!(header["typ"], "JWT");
    assert_eq!(header["iss"], ISSUER);
    assert_eq!(header["client"], CLIENT_ID);
    assert!(
        header["signer"]
            .as_str()
            .is_some_and(|s| s.contains(":loadbalancer/app/"))
    );
    assert_eq!(header["exp"], payload["exp"]);
    assert_eq!(payload["iss"], ISSUER);
    assert_eq!(payload["email"], "alice@example.com");
    assert_eq!(payload["sub"], "1234567890");
    let kid = header["kid"].as_str().expect("kid");
    assert_eq!(kid, emulator.kid);

    let keys = format!("http://{}", emulator.public_keys_addr);
    let pem = http()
        .get(format!("{keys}/{kid}"))
        .send()
        .await
        .expect("key")
        .text()
        .await
        .expect("pem");
    let unknown = http()
        .get(format!("{keys}/00000000-0000-4000-8000-000000000000"))
        .send()
        .await
        .expect("key");
    assert_eq!(unknown.status(), 404);

    let key = UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, pem_to_point(&pem));
    let signature = URL_SAFE.decode(segments[2]).expect("sig");
    let signed = format!("{}.{}", segments[0], segments[1]);
    assert!(
        key.verify(signed.as_bytes(), &signature).is_ok(),
        "signature over padded segments"
    );
    let stripped = format!(
        "{}.{}",
        segments[0].trim_end_matches('='),
        segments[1].trim_end_matches('=')
    );
    if stripped != signed {
        assert!(key.verify(stripped.as_bytes(), &signature).is_err());
    }
}

#[tokio::test]
async fn large_claims_shard_the_session_cookie() {
    let (idp, emulator) = setup().await;
    idp.lock()
        .expect("lock")
        .extra_claims
        .insert("blob".into(), "x".repeat(6000).into());
    let signed_in = sign_in(&emulator, "/").await;
    let names: Vec<&str> = signed_in.session.iter().map(|(n, _)| n.as_str()).collect();
    assert!(names.len() >= 2, "{names:?}");
    assert_eq!(
        &names[..2],
        ["AWSELBAuthSessionCookie-0", "AWSELBAuthSessionCookie-1"]
    );
    for (n, v) in &signed_in.session {
        assert!(n.len() + 1 + v.len() <= 4096);
    }
    let (status, echoed) = get_json(&emulator, "/", &cookie_header(&signed_in.session)).await;
    assert_eq!(status, 200);
    assert_eq!(echoed["headers"]["x-amzn-oidc-identity"], "1234567890");
    // Dropping one shard invalidates the session.
    let partial = cookie_header(&signed_in.session[..1]);
    let response = http()
        .get(format!("http://{}/", emulator.listen_addr))
        .header("cookie", partial)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 302);
}

#[tokio::test]
async fn claims_over_11k_give_500() {
    let (idp, emulator) = setup().await;
    idp.lock()
        .expect("lock")
        .extra_claims
        .insert("blob".into(), "x".repeat(12 * 1024).into());
    let signed_in = sign_in(&emulator, "/").await;
    assert_eq!(signed_in.idp_response.status(), 500);
    assert!(signed_in.session.is_empty());
}

#[tokio::test]
async fn token_endpoint_error_gives_561() {
    let (idp, emulator) = setup().await;
    idp.lock().expect("lock").token_status = Some(400);
    let signed_in = sign_in(&emulator, "/").await;
    assert_eq!(signed_in.idp_response.status(), 561);
    let body = signed_in.idp_response.text().await.expect("body");
    assert!(body.contains("561 Unauthorized"), "{body}");
    assert!(signed_in.session.is_empty());
}

#[tokio::test]
async fn unreachable_token_endpoint_gives_500() {
    let closed = closed_port().await;
    let (_, emulator) = setup_with(|c| {
        c["oidc"]["token_endpoint"] = format!("http://{closed}/token").into();
    })
    .await;
    let signed_in = sign_in(&emulator, "/").await;
    assert_eq!(signed_in.idp_response.status(), 500);
    let body = signed_in.idp_response.text().await.expect("body");
    assert!(body.contains("500 Internal Server Error"), "{body}");
}

#[tokio::test]
async fn userinfo_401_gives_500() {
    let (idp, emulator) = setup().await;
    idp.lock().expect("lock").userinfo_status = Some(401);
    let signed_in = sign_in(&emulator, "/").await;
    assert_eq!(signed_in.idp_response.status(), 500);
    assert_eq!(idp.lock().expect("lock").userinfo_auth.len(), 1);
}

#[tokio::test]
async fn id_token_with_foreign_nonce_gives_401() {
    let (idp, emulator) = setup().await;
    idp.lock().expect("lock").forced_nonce = Some("replayed-nonce".into());
    let signed_in = sign_in(&emulator, "/").await;
    assert_eq!(signed_in.idp_response.status(), 401);
    assert!(
        idp.lock().expect("lock").userinfo_auth.is_empty(),
        "no userinfo call after a bad ID token"
    );
}

#[tokio::test]
async fn idpresponse_rejects_bad_state_and_reports_idp_errors() {
    let (idp, emulator) = setup().await;
    let base = format!("http://{}", emulator.listen_addr);
    let first = http().get(format!("{base}/")).send().await.expect("first");
    let location = first.headers()["location"]
        .to_str()
        .expect("loc")
        .to_string();
    let state = query_param(&location, "state").expect("state");
    let cookie = cookie_header(&cookie_pairs(&set_cookies(&first)));
    let call = |query: Vec<(&'static str, String)>, cookie: Option<String>| {
        let mut req = http().get(with_query(&format!("{base}/oauth2/idpresponse"), &query));
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        async move { req.send().await.expect("idpresponse").status().as_u16() }
    };
    assert_eq!(
        call(
            vec![("code", "c".into()), ("state", "wrong".into())],
            Some(cookie.clone())
        )
        .await,
        401
    );
    assert_eq!(
        call(vec![("code", "c".into()), ("state", state.clone())], None).await,
        401
    );
    assert_eq!(
        call(vec![("code", "c".into())], Some(cookie.clone())).await,
        401
    );
    assert_eq!(
        call(
            vec![("error", "access_denied".into()), ("state", state)],
            Some(cookie)
        )
        .await,
        561
    );
    assert!(idp.lock().expect("lock").token_requests.is_empty());
}

#[tokio::test]
async fn deny_rule_answers_401_and_allow_rule_forwards_without_identity() {
    let (_, emulator) = setup().await;
    let response = http()
        .get(format!("http://{}/_stcore/health", emulator.listen_addr))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 401);
    let body = response.text().await.expect("body");
    assert!(body.contains("401 Authorization Required"), "{body}");

    let (status, echoed) = get_json(&emulator, "/open/page", "").await;
    assert_eq!(status, 200);
    let headers = echoed["headers"].as_object().expect("headers");
    assert!(
        headers.keys().all(|k| !k.starts_with("x-amzn-oidc-")),
        "forged or identity headers reached the upstream: {headers:?}"
    );
}

#[tokio::test]
async fn session_expiry_denies_then_reauthenticates() {
    let (_, emulator) = setup_with(|c| c["oidc"]["session_timeout_seconds"] = 1.into()).await;
    let signed_in = sign_in(&emulator, "/").await;
    let cookies = cookie_header(&signed_in.session);
    let (status, _) = get_json(&emulator, "/_stcore/health", &cookies).await;
    assert_eq!(status, 200, "fresh session passes the deny rule");
    let expired = eventually(Duration::from_secs(5), || {
        let cookies = cookies.clone();
        let emulator = &emulator;
        async move { get_json(emulator, "/_stcore/health", &cookies).await.0 == 401 }
    })
    .await;
    assert!(expired, "session did not expire within the deadline");
    let response = http()
        .get(format!("http://{}/", emulator.listen_addr))
        .header("cookie", cookies)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 302);
    let location = response.headers()["location"].to_str().expect("location");
    assert!(
        location.starts_with("https://idp.test/authorize"),
        "{location}"
    );
}

#[tokio::test]
async fn tampered_session_cookie_is_not_a_session() {
    let (_, emulator) = setup().await;
    let signed_in = sign_in(&emulator, "/").await;
    let (name, value) = &signed_in.session[0];
    let mut bytes = value.clone().into_bytes();
    bytes[20] = if bytes[20] == b'A' { b'B' } else { b'A' };
    let forged = format!("{name}={}", String::from_utf8(bytes).expect("ascii"));
    let (status, _) = get_json(&emulator, "/_stcore/health", &forged).await;
    assert_eq!(status, 401);
}
