//! Form and query parameters, with OAuth's rule that none may repeat (RFC 6749 §3.1).

use std::collections::HashMap;

#[derive(Debug, thiserror::Error)]
pub(crate) enum ParamsError {
    #[error("parameter `{0}` is repeated")]
    Repeated(String),
}

/// Decoded `application/x-www-form-urlencoded` pairs (also used for query strings).
pub(crate) struct Params(HashMap<String, String>);

impl Params {
    pub(crate) fn parse(encoded: &[u8]) -> Result<Self, ParamsError> {
        let mut map = HashMap::new();
        for (key, value) in url::form_urlencoded::parse(encoded) {
            if map.insert(key.to_string(), value.into_owned()).is_some() {
                return Err(ParamsError::Repeated(key.into_owned()));
            }
        }
        Ok(Params(map))
    }

    /// The value, treating an empty one as absent (as Google does).
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.0
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_parameter_is_rejected_by_name() {
        let err = Params::parse(b"code=a&code=b").err().map(|e| e.to_string());
        assert_eq!(err.as_deref(), Some("parameter `code` is repeated"));
    }

    #[test]
    fn values_are_percent_decoded() {
        let params = Params::parse(b"redirect_uri=https%3A%2F%2Fh%2Fcb&scope=openid+email")
            .expect("valid form");
        assert_eq!(params.get("redirect_uri"), Some("https://h/cb"));
        assert_eq!(params.get("scope"), Some("openid email"));
        assert_eq!(params.get("missing"), None);
    }
}
