use std::collections::HashMap;

use super::*;
use crate::parameters::MemoryStore;

const GOOGLE_JSON: &str = r#"{"web":{"client_id":"cid.apps.googleusercontent.com","project_id":"p","auth_uri":"https://accounts.google.com/o/oauth2/auth","token_uri":"https://oauth2.googleapis.com/token","client_secret":"GOCSPX-google-secret","redirect_uris":["https://app.example.com/oauth2/idpresponse"]}}"#;

fn settings(vars: &[(&str, &str)]) -> Settings {
    let mut map: HashMap<String, String> = [
        ("GATE_CLIENT_SECRET_PARAM", "/gate/secret"),
        ("GATE_ALLOWED_DOMAINS", "example.com"),
        ("GATE_ALLOWED_HOSTS", "app.example.com"),
    ]
    .into_iter()
    .map(|(k, v)| (k.into(), v.into()))
    .collect();
    for (k, v) in vars {
        map.insert((*k).into(), (*v).into());
    }
    Settings::from_lookup(|name| map.get(name).cloned()).unwrap()
}

fn store() -> MemoryStore {
    MemoryStore::default()
        .with("/streamlit/oauth", GOOGLE_JSON)
        .with("/gate/secret", "gate-secret-value")
}

#[tokio::test]
async fn callback_config_loads_from_ssm() {
    let config = CallbackConfig::load(&settings(&[]), &store())
        .await
        .unwrap();
    assert_eq!(
        config.google.client_id.as_str(),
        "cid.apps.googleusercontent.com"
    );
    assert_eq!(config.google.client_secret.expose(), "GOCSPX-google-secret");
    assert!(config.gate_secret.matches("gate-secret-value"));
    assert!(config.allowed_hosts.contains("app.example.com"));
}

#[tokio::test]
async fn installed_client_json_is_accepted() {
    let store = store().with(
        "/streamlit/oauth",
        r#"{"installed":{"client_id":"cid","client_secret":"s"}}"#,
    );
    let config = CallbackConfig::load(&settings(&[]), &store).await.unwrap();
    assert_eq!(config.google.client_id.as_str(), "cid");
}

#[tokio::test]
async fn google_json_errors_name_the_parameter_and_hide_the_content() {
    for (json, expected) in [
        ("{not json", "invalid JSON"),
        (
            r#"{"client_id":"x","client_secret":"GOCSPX-leak"}"#,
            "\"web\"",
        ),
        (r#"{"web":{"client_secret":"GOCSPX-leak"}}"#, "client_id"),
        (
            r#"{"web":{"client_id":"x","client_secret":" "}}"#,
            "client_secret",
        ),
    ] {
        let store = store().with("/streamlit/oauth", json);
        let err = CallbackConfig::load(&settings(&[]), &store)
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("/streamlit/oauth"), "{err}");
        assert!(err.contains(expected), "{err}");
        assert!(!err.contains("GOCSPX-leak"), "{err}");
    }
}

#[tokio::test]
async fn missing_and_empty_parameters_are_named() {
    let store = MemoryStore::default().with("/streamlit/oauth", GOOGLE_JSON);
    let err = CallbackConfig::load(&settings(&[]), &store)
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "SSM parameter /gate/secret does not exist");
    store.set("/gate/secret", Ok("  ".into()));
    let err = CallbackConfig::load(&settings(&[]), &store)
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "SSM parameter /gate/secret is empty");
}

#[tokio::test]
async fn callback_needs_secret_param_hosts_and_somebody_allowed() {
    let no_secret = Settings {
        client_secret_param: None,
        ..settings(&[])
    };
    let err = CallbackConfig::load(&no_secret, &store())
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("GATE_CLIENT_SECRET_PARAM"),
        "{err}"
    );
    let no_hosts = Settings {
        allowed_hosts: Default::default(),
        ..settings(&[])
    };
    assert_eq!(
        CallbackConfig::load(&no_hosts, &store()).await.unwrap_err(),
        ConfigError::NoAllowedHosts
    );
    let nobody = settings(&[("GATE_ALLOWED_DOMAINS", "")]);
    assert_eq!(
        CallbackConfig::load(&nobody, &store()).await.unwrap_err(),
        ConfigError::NobodyAllowed
    );
}

#[tokio::test]
async fn client_id_env_must_match_the_json() {
    let s = settings(&[("GATE_GOOGLE_CLIENT_ID", "other-client")]);
    let err = CallbackConfig::load(&s, &store()).await.unwrap_err();
    assert!(matches!(err, ConfigError::ClientIdMismatch { .. }));
}

#[tokio::test]
async fn policy_param_adds_host_rules_and_hosts() {
    let store = store().with(
        "/gate/policy",
        r#"{"hosts":{"finance.example.com":{"allowed_emails":["cfo@audit.io"]}}}"#,
    );
    let s = settings(&[("GATE_POLICY_PARAM", "/gate/policy")]);
    let config = CallbackConfig::load(&s, &store).await.unwrap();
    assert!(config.allowed_hosts.contains("finance.example.com"));
    assert!(config.allowed_hosts.contains("app.example.com"));
}

#[tokio::test]
async fn bad_policy_document_names_the_parameter() {
    let store = store().with("/gate/policy", r#"{"hosts": 3}"#);
    let s = settings(&[("GATE_POLICY_PARAM", "/gate/policy")]);
    let err = CallbackConfig::load(&s, &store)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("/gate/policy"), "{err}");
}

#[tokio::test]
async fn authorizer_with_client_id_env_reads_no_ssm() {
    let store = MemoryStore::default();
    let s = settings(&[("GATE_GOOGLE_CLIENT_ID", "cid")]);
    let config = AuthorizerConfig::load(&s, &store).await.unwrap();
    assert_eq!(config.client_id.as_str(), "cid");
    assert_eq!(store.reads(), 0);
}

#[tokio::test]
async fn authorizer_without_client_id_env_reads_the_google_json() {
    let config = AuthorizerConfig::load(&settings(&[]), &store())
        .await
        .unwrap();
    assert_eq!(config.client_id.as_str(), "cid.apps.googleusercontent.com");
}
