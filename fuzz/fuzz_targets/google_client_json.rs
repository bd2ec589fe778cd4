//! The Google client JSON parser (`GoogleClient::from_json`, the `/streamlit/oauth` parameter).
//! No input may panic, and an error must never quote the client secret it was given.
#![no_main]

use gate::config::GoogleClient;
use libfuzzer_sys::fuzz_target;

const PARAM: &str = "/streamlit/oauth";

fn error_text(text: &str) -> Option<String> {
    GoogleClient::from_json(text, PARAM)
        .err()
        .map(|err| err.to_string())
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Some(message) = error_text(text) else {
        return;
    };
    let value: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
    for section in ["web", "installed"] {
        let Some(secret) = value[section]["client_secret"]
            .as_str()
            .filter(|s| s.len() >= 6)
        else {
            continue;
        };
        if !message.contains(secret) {
            continue;
        }
        // The secret may just be a piece of our fixed wording ("lient_" in "client_id"): it is
        // echoed only if the message follows the secret when the secret changes.
        let stand_in: String = secret
            .chars()
            .map(|c| if c == 'Q' { 'Z' } else { 'Q' })
            .collect();
        let changed = error_text(&text.replace(secret, &stand_in)).unwrap_or_default();
        assert!(
            changed.contains(secret),
            "error echoes the client secret: {message}"
        );
    }
});
