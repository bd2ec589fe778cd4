//! The Google-like endpoints, driven over HTTP the way a browser and a relying party would.

mod common;

use std::time::Duration;

use common::*;
use mock_google::MockConfig;
use reqwest::StatusCode;
use serde_json::json;

fn auth_query(extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let config = MockConfig::demo();
    let mut query = vec![
        ("client_id".to_owned(), config.client_id),
        ("redirect_uri".to_owned(), REDIRECT_URI.to_owned()),
        ("response_type".to_owned(), "code".to_owned()),
        ("scope".to_owned(), "openid email profile".to_owned()),
        ("state".to_owned(), "st/1 &=?".to_owned()),
        ("nonce".to_owned(), "n-42".to_owned()),
    ];
    for (k, v) in extra {
        query.retain(|(key, _)| key != k);
        query.push(((*k).to_owned(), (*v).to_owned()));
    }
    query
}

/// The authorization URL with `query` form-encoded (reqwest's `query` needs a feature we skip).
fn auth_url(mock: &mock_google::MockGoogle, query: &[(String, String)]) -> String {
    let mut url = url::Url::parse(&mock.authorization_url()).expect("authorization URL");
    url.query_pairs_mut().extend_pairs(query);
    url.into()
}

/// Picks `email` on the chooser by posting the form the page would submit.
async fn choose(mock: &mock_google::MockGoogle, email: &str) -> reqwest::Response {
    let mut form = auth_query(&[]);
    form.push(("email".to_owned(), email.to_owned()));
    client()
        .post(format!("{}/o/oauth2/v2/auth/choose", mock.base_url()))
        .form(&form)
        .send()
        .await
        .expect("choose is answered")
}

async fn code_for(mock: &mock_google::MockGoogle, email: &str) -> String {
    let response = choose(mock, email).await;
    assert_eq!(response.status(), StatusCode::FOUND);
    param(&location_params(&response), "code")
        .expect("code in redirect")
        .to_owned()
}

#[tokio::test]
async fn discovery_document_points_at_the_mock() {
    let mock = start().await;
    let doc = json(
        client()
            .get(format!(
                "{}/.well-known/openid-configuration",
                mock.base_url()
            ))
            .send()
            .await
            .expect("discovery"),
    )
    .await;
    assert_eq!(doc["issuer"], mock.issuer());
    assert_eq!(doc["token_endpoint"], mock.token_url());
    assert_eq!(doc["jwks_uri"], mock.jwks_url());
    assert_eq!(doc["authorization_endpoint"], mock.authorization_url());
    assert_eq!(doc["userinfo_endpoint"], mock.userinfo_url());
    assert_eq!(
        doc["id_token_signing_alg_values_supported"],
        json!(["RS256"])
    );
    assert!(mock.base_url().starts_with("http://127.0.0.1:"));
    mock.shutdown().await;
}

#[tokio::test]
async fn chooser_lists_every_account_as_a_button_with_its_email() {
    let mock = start().await;
    let response = client()
        .get(auth_url(&mock, &auth_query(&[])))
        .send()
        .await
        .expect("chooser");
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.expect("HTML");
    for account in &mock.config().accounts {
        let email = &account.email;
        let button = format!("value=\"{email}\">{email}</button>");
        assert!(html.contains(&button), "no button for {email} in:\n{html}");
    }
    assert!(html.contains("action=\"/o/oauth2/v2/auth/choose\""));
    // The request travels in hidden fields, escaped.
    assert!(
        html.contains("name=\"state\" value=\"st/1 &amp;=?\""),
        "{html}"
    );
    mock.shutdown().await;
}

#[tokio::test]
async fn hd_hint_lists_domain_accounts_first_and_greys_the_others() {
    let mock = start().await;
    let html = client()
        .get(auth_url(
            &mock,
            &auth_query(&[("hd", "example.com"), ("login_hint", "carol@contractor.io")]),
        ))
        .send()
        .await
        .expect("chooser")
        .text()
        .await
        .expect("HTML");
    let position = |email: &str| {
        html.find(&format!(">{email}</button>"))
            .expect("button present")
    };
    assert!(position("dave@example.com") < position("bob@gmail.com"));
    assert!(position("alice@example.com") < position("mallory@example.com"));
    assert!(html.contains("class=\"account other-domain\"><button type=\"submit\" name=\"email\" value=\"bob@gmail.com\""));
    assert!(html.contains("class=\"account other-domain hinted\"><button type=\"submit\" name=\"email\" value=\"carol@contractor.io\" autofocus>"));
    mock.shutdown().await;
}

#[tokio::test]
async fn choosing_an_account_redirects_with_code_and_state() {
    let mock = start().await;
    let response = choose(&mock, ALICE).await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let location = response.headers()["location"]
        .to_str()
        .expect("ASCII")
        .to_owned();
    assert!(
        location.starts_with(&format!("{REDIRECT_URI}?")),
        "{location}"
    );
    let params = location_params(&response);
    assert_eq!(param(&params, "state"), Some("st/1 &=?"));
    assert!(param(&params, "code").is_some_and(|c| c.len() > 20));
    assert_eq!(param(&params, "scope"), Some("openid email profile"));
    assert_eq!(param(&params, "authuser"), Some("0"));
    assert_eq!(param(&params, "hd"), Some("example.com"));
    assert_eq!(mock.stats().choose, 1);
    mock.shutdown().await;
}

#[tokio::test]
async fn unknown_email_on_choose_is_a_400() {
    let mock = start().await;
    let response = choose(&mock, "eve@evil.io").await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.headers().get("location").is_none());
    mock.shutdown().await;
}

#[tokio::test]
async fn bad_client_or_redirect_uri_gets_an_error_page_not_a_redirect() {
    let mock = start().await;
    let cases = [
        auth_query(&[("client_id", "someone-else.apps.googleusercontent.com")]),
        auth_query(&[("redirect_uri", "https://evil.example/callback")]),
        auth_query(&[("redirect_uri", "not a url/oauth2/idpresponse")]),
    ];
    for query in cases {
        let response = client()
            .get(auth_url(&mock, &query))
            .send()
            .await
            .expect("answer");
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{query:?}");
        assert!(response.headers().get("location").is_none(), "{query:?}");
        let html = response.text().await.expect("HTML");
        assert!(html.contains("Error 40"), "{html}");
    }
    mock.shutdown().await;
}

#[tokio::test]
async fn bad_response_type_or_scope_is_redirected_back_as_an_error() {
    let mock = start().await;
    for (query, error) in [
        (
            auth_query(&[("response_type", "token")]),
            "unsupported_response_type",
        ),
        (auth_query(&[("scope", "email profile")]), "invalid_scope"),
        (auth_query(&[("prompt", "none consent")]), "invalid_request"),
    ] {
        let response = client()
            .get(auth_url(&mock, &query))
            .send()
            .await
            .expect("answer");
        assert_eq!(response.status(), StatusCode::FOUND);
        let params = location_params(&response);
        assert_eq!(param(&params, "error"), Some(error));
        assert_eq!(param(&params, "state"), Some("st/1 &=?"));
    }
    mock.shutdown().await;
}

#[tokio::test]
async fn prompt_none_returns_a_code_for_a_known_hint_and_interaction_required_otherwise() {
    let mock = start().await;
    let silent = client()
        .get(auth_url(
            &mock,
            &auth_query(&[("prompt", "none"), ("login_hint", "bob@gmail.com")]),
        ))
        .send()
        .await
        .expect("answer");
    assert_eq!(silent.status(), StatusCode::FOUND);
    let params = location_params(&silent);
    let code = param(&params, "code").expect("code").to_owned();
    let tokens = json(exchange(&mock, &code, REDIRECT_URI).await).await;
    let claims = verify_id_token(&mock, tokens["id_token"].as_str().expect("id_token")).await;
    assert_eq!(claims["email"], "bob@gmail.com");

    let no_hint = client()
        .get(auth_url(&mock, &auth_query(&[("prompt", "none")])))
        .send()
        .await
        .expect("answer");
    assert_eq!(no_hint.status(), StatusCode::FOUND);
    let params = location_params(&no_hint);
    assert_eq!(param(&params, "error"), Some("interaction_required"));
    assert_eq!(param(&params, "code"), None);
    mock.shutdown().await;
}

#[tokio::test]
async fn code_exchange_returns_a_verifiable_google_shaped_id_token() {
    let mock = start().await;
    let code = code_for(&mock, ALICE).await;
    let response = exchange(&mock, &code, REDIRECT_URI).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body = json(response).await;
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3599);
    assert_eq!(body["scope"], "openid email profile");
    let access_token = body["access_token"].as_str().expect("access_token");
    let id_token = body["id_token"].as_str().expect("id_token");
    let header = jsonwebtoken::decode_header(id_token).expect("header");
    assert_eq!(header.kid.as_deref(), Some(mock.current_kid().as_str()));
    assert_eq!(header.typ.as_deref(), Some("JWT"));

    let claims = verify_id_token(&mock, id_token).await;
    let client_id = mock.config().client_id.clone();
    assert_eq!(claims["iss"], mock.issuer());
    assert_eq!(claims["aud"], client_id.as_str());
    assert_eq!(claims["azp"], client_id.as_str());
    assert_eq!(claims["email"], ALICE);
    assert_eq!(claims["email_verified"], true);
    assert_eq!(claims["hd"], "example.com");
    assert_eq!(claims["nonce"], "n-42");
    assert_eq!(claims["name"], "Alice Example");
    assert_eq!(claims["given_name"], "Alice");
    assert_eq!(claims["family_name"], "Example");
    let iat = claims["iat"].as_u64().expect("iat");
    assert_eq!(claims["exp"].as_u64(), Some(iat + 3600));
    assert_eq!(claims["sub"].as_str().map(str::len), Some(21));
    // at_hash: left half of SHA-256(access_token), base64url.
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, access_token.as_bytes());
    assert_eq!(claims["at_hash"], testkit::b64url(&digest.as_ref()[..16]));

    // The access token opens userinfo with the same identity.
    let info = json(
        client()
            .get(mock.userinfo_url())
            .bearer_auth(access_token)
            .send()
            .await
            .expect("userinfo"),
    )
    .await;
    assert_eq!(info["sub"], claims["sub"]);
    assert_eq!(info["email"], ALICE);
    assert_eq!(info["hd"], "example.com");
    mock.shutdown().await;
}

#[tokio::test]
async fn consumer_and_unverified_accounts_get_their_true_claims() {
    let mock = start().await;
    for (email, verified, hd) in [
        ("bob@gmail.com", true, None),
        ("mallory@example.com", true, None),
        ("dave@example.com", false, Some("example.com")),
    ] {
        let code = mock.issue_code(email, REDIRECT_URI, None).expect("code");
        let body = json(exchange(&mock, &code, REDIRECT_URI).await).await;
        let claims = verify_id_token(&mock, body["id_token"].as_str().expect("id_token")).await;
        assert_eq!(claims["email_verified"], verified, "{email}");
        assert_eq!(claims.get("hd").and_then(|v| v.as_str()), hd, "{email}");
        assert!(claims.get("nonce").is_none(), "{email}");
    }
    mock.shutdown().await;
}

#[tokio::test]
async fn subject_is_stable_across_mock_restarts() {
    let first = start().await;
    let second = start().await;
    let sub = |mock: &mock_google::MockGoogle| {
        let token = mock
            .id_token_for(ALICE, serde_json::Value::Null)
            .expect("token");
        let payload = token.split('.').nth(1).expect("payload").to_owned();
        let bytes =
            base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload)
                .expect("b64");
        serde_json::from_slice::<serde_json::Value>(&bytes).expect("claims")["sub"].clone()
    };
    assert_eq!(sub(&first), sub(&second));
    assert_ne!(first.current_kid(), second.current_kid());
    first.shutdown().await;
    second.shutdown().await;
}

#[tokio::test]
async fn a_code_works_only_once() {
    let mock = start().await;
    let code = mock
        .issue_code(ALICE, REDIRECT_URI, Some("n"))
        .expect("code");
    assert_eq!(
        exchange(&mock, &code, REDIRECT_URI).await.status(),
        StatusCode::OK
    );
    let replay = exchange(&mock, &code, REDIRECT_URI).await;
    assert_eq!(replay.status(), StatusCode::BAD_REQUEST);
    let body = json(replay).await;
    assert_eq!(body["error"], "invalid_grant");
    assert!(
        body["error_description"]
            .as_str()
            .is_some_and(|d| d.contains("already used")),
        "{body}"
    );
    mock.shutdown().await;
}

#[tokio::test]
async fn a_code_expires_after_its_ttl() {
    // Zero TTL: expired as soon as it is issued.
    let mut config = MockConfig::demo();
    config.code_ttl = Duration::ZERO;
    let mock = start_with(config).await;
    let code = mock.issue_code(ALICE, REDIRECT_URI, None).expect("code");
    let body = json(exchange(&mock, &code, REDIRECT_URI).await).await;
    assert_eq!(body["error"], "invalid_grant");
    assert!(
        body["error_description"]
            .as_str()
            .is_some_and(|d| d.contains("expired")),
        "{body}"
    );
    mock.shutdown().await;

    // Default TTL: still fine a moment later, expired once the mock's clock passes 60 s.
    let mock = start().await;
    let fresh = mock.issue_code(ALICE, REDIRECT_URI, None).expect("code");
    let stale = mock.issue_code(ALICE, REDIRECT_URI, None).expect("code");
    assert_eq!(
        exchange(&mock, &fresh, REDIRECT_URI).await.status(),
        StatusCode::OK
    );
    mock.advance_clock(Duration::from_secs(61));
    let body = json(exchange(&mock, &stale, REDIRECT_URI).await).await;
    assert_eq!(body["error"], "invalid_grant");
    assert!(
        body["error_description"]
            .as_str()
            .is_some_and(|d| d.contains("expired")),
        "{body}"
    );
    mock.shutdown().await;
}

#[tokio::test]
async fn redirect_uri_must_match_the_one_the_code_was_issued_for() {
    let mock = start().await;
    let code = mock.issue_code(ALICE, REDIRECT_URI, None).expect("code");
    let response = exchange(&mock, &code, "https://other.example.com/oauth2/idpresponse").await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body = json(response).await;
    assert_eq!(body["error"], "invalid_grant");
    assert!(
        body["error_description"]
            .as_str()
            .is_some_and(|d| d.contains("redirect_uri")),
        "{body}"
    );
    mock.shutdown().await;
}

#[tokio::test]
async fn issue_code_refuses_unknown_accounts_and_unregistered_redirects() {
    let mock = start().await;
    assert!(matches!(
        mock.issue_code("eve@evil.io", REDIRECT_URI, None),
        Err(mock_google::MockError::UnknownAccount(_))
    ));
    assert!(matches!(
        mock.issue_code(ALICE, "https://app.example.com/elsewhere", None),
        Err(mock_google::MockError::RedirectUriNotAllowed(_))
    ));
    mock.shutdown().await;
}

#[tokio::test]
async fn wrong_client_secret_is_invalid_client_with_basic_and_form_auth() {
    let mock = start().await;
    let client_id = mock.config().client_id.clone();
    let secret = mock.config().client_secret.clone();
    let code = mock.issue_code(ALICE, REDIRECT_URI, None).expect("code");
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT_URI),
    ];

    let basic_wrong = client()
        .post(mock.token_url())
        .basic_auth(&client_id, Some("wrong"))
        .form(&form)
        .send()
        .await
        .expect("answer");
    assert_eq!(basic_wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(basic_wrong.headers().contains_key("www-authenticate"));
    assert_eq!(json(basic_wrong).await["error"], "invalid_client");

    let mut post_wrong = form.to_vec();
    post_wrong.extend([
        ("client_id", client_id.as_str()),
        ("client_secret", "wrong"),
    ]);
    let post_wrong = client()
        .post(mock.token_url())
        .form(&post_wrong)
        .send()
        .await
        .expect("answer");
    assert_eq!(post_wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(json(post_wrong).await["error"], "invalid_client");

    let none = client()
        .post(mock.token_url())
        .form(&form)
        .send()
        .await
        .expect("answer");
    assert_eq!(none.status(), StatusCode::UNAUTHORIZED);

    // A failed client authentication does not burn the code; the right secret (Basic) works.
    let basic_ok = client()
        .post(mock.token_url())
        .basic_auth(&client_id, Some(&secret))
        .form(&form)
        .send()
        .await
        .expect("answer");
    assert_eq!(basic_ok.status(), StatusCode::OK);
    mock.shutdown().await;
}

#[tokio::test]
async fn other_grant_types_and_missing_parameters_are_rejected() {
    let mock = start().await;
    let config = mock.config().clone();
    let post = |form: Vec<(&'static str, String)>| {
        let mut form = form;
        form.push(("client_id", config.client_id.clone()));
        form.push(("client_secret", config.client_secret.clone()));
        let url = mock.token_url();
        async move { client().post(url).form(&form).send().await.expect("answer") }
    };
    let refresh = post(vec![
        ("grant_type", "refresh_token".into()),
        ("refresh_token", "x".into()),
    ])
    .await;
    assert_eq!(refresh.status(), StatusCode::BAD_REQUEST);
    assert_eq!(json(refresh).await["error"], "unsupported_grant_type");
    let no_code = post(vec![
        ("grant_type", "authorization_code".into()),
        ("redirect_uri", REDIRECT_URI.into()),
    ])
    .await;
    assert_eq!(json(no_code).await["error"], "invalid_request");
    let forged = post(vec![
        ("grant_type", "authorization_code".into()),
        ("code", "4/0forged".into()),
        ("redirect_uri", REDIRECT_URI.into()),
    ])
    .await;
    assert_eq!(json(forged).await["error"], "invalid_grant");
    mock.shutdown().await;
}

#[tokio::test]
async fn userinfo_rejects_missing_and_unknown_tokens() {
    let mock = start().await;
    let missing = client()
        .get(mock.userinfo_url())
        .send()
        .await
        .expect("answer");
    assert_eq!(missing.status(), StatusCode::UNAUTHORIZED);
    let unknown = client()
        .get(mock.userinfo_url())
        .bearer_auth("ya29.forged")
        .send()
        .await
        .expect("answer");
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    assert!(
        unknown.headers()["www-authenticate"]
            .to_str()
            .is_ok_and(|v| v.contains("invalid_token"))
    );
    mock.shutdown().await;
}

#[tokio::test]
async fn jwks_carries_the_configured_max_age() {
    let mut config = MockConfig::demo();
    config.jwks_max_age_seconds = 1234;
    let mock = start_with(config).await;
    let response = client().get(mock.jwks_url()).send().await.expect("JWKS");
    assert_eq!(
        response.headers()["cache-control"],
        "public, max-age=1234, must-revalidate, no-transform"
    );
    let jwks = json(response).await;
    assert_eq!(jwks["keys"].as_array().map(Vec::len), Some(1));
    assert_eq!(jwks["keys"][0]["kid"], mock.current_kid());
    mock.shutdown().await;
}

#[tokio::test]
async fn rotation_signs_with_a_new_key_and_keeps_only_the_previous_one() {
    let mock = start().await;
    let first_kid = mock.current_kid();
    let old_token = mock
        .id_token_for(ALICE, serde_json::Value::Null)
        .expect("token");
    mock.rotate_keys();
    let second_kid = mock.current_kid();
    assert_ne!(first_kid, second_kid);
    // Tokens signed before the rotation still verify; new ones use the new key.
    verify_id_token(&mock, &old_token).await;
    let new_token = mock
        .id_token_for(ALICE, serde_json::Value::Null)
        .expect("token");
    assert_eq!(
        jsonwebtoken::decode_header(&new_token).expect("header").kid,
        Some(second_kid.clone())
    );
    verify_id_token(&mock, &new_token).await;

    // Rotate again over HTTP: the first key drops off.
    let rotated = json(
        client()
            .post(format!("{}/_mock/rotate-keys", mock.base_url()))
            .send()
            .await
            .expect("rotate"),
    )
    .await;
    let third_kid = rotated["kid"].as_str().expect("kid").to_owned();
    assert_eq!(third_kid, mock.current_kid());
    let jwks = json(client().get(mock.jwks_url()).send().await.expect("JWKS")).await;
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .filter_map(|k| k["kid"].as_str())
        .collect();
    assert_eq!(kids, vec![third_kid.as_str(), second_kid.as_str()]);
    mock.shutdown().await;
}

#[tokio::test]
async fn id_token_overrides_replace_and_remove_claims_and_stay_validly_signed() {
    let mock = start().await;
    let token = mock
        .id_token_for(
            ALICE,
            json!({"hd": "evil.io", "email_verified": null, "aud": mock.config().client_id}),
        )
        .expect("token");
    let claims = verify_id_token(&mock, &token).await;
    assert_eq!(claims["hd"], "evil.io");
    assert!(claims.get("email_verified").is_none());
    assert_eq!(claims["email"], ALICE);

    // Same over HTTP.
    let response = client()
        .post(format!("{}/_mock/id-token", mock.base_url()))
        .json(&json!({"email": "bob@gmail.com", "claims": {"email_verified": "false"}}))
        .send()
        .await
        .expect("answer");
    let token = json(response).await["id_token"]
        .as_str()
        .expect("id_token")
        .to_owned();
    let claims = verify_id_token(&mock, &token).await;
    assert_eq!(claims["email_verified"], "false");

    assert!(
        mock.id_token_for(ALICE, json!(["not", "an", "object"]))
            .is_err()
    );
    assert!(
        mock.id_token_for("eve@evil.io", serde_json::Value::Null)
            .is_err()
    );
    mock.shutdown().await;
}
