//! ALB condition wildcards: `*` matches any run of characters (including none), `?` exactly one.
//! Path patterns are case-sensitive; host patterns are not (as on ALB).

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PatternError {
    #[error("pattern must not be empty")]
    Empty,
    #[error("pattern is longer than 128 characters (ALB limit)")]
    TooLong,
    #[error("character {0:?} is not allowed in this pattern")]
    BadChar(char),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WildcardPattern {
    chars: Vec<char>,
    case_insensitive: bool,
}

const MAX_PATTERN_LEN: usize = 128;

impl WildcardPattern {
    /// A path-pattern condition value (the characters ALB documents for path conditions).
    pub fn path(text: &str) -> Result<Self, PatternError> {
        Self::new(text, false, |c| {
            c.is_ascii_alphanumeric() || "_-.$/~\"'@:+&*?".contains(c)
        })
    }

    /// A host-header condition value.
    pub fn host(text: &str) -> Result<Self, PatternError> {
        Self::new(text, true, |c| {
            c.is_ascii_alphanumeric() || "-.*?".contains(c)
        })
    }

    fn new(
        text: &str,
        case_insensitive: bool,
        allowed: fn(char) -> bool,
    ) -> Result<Self, PatternError> {
        if text.is_empty() {
            return Err(PatternError::Empty);
        }
        if text.chars().count() > MAX_PATTERN_LEN {
            return Err(PatternError::TooLong);
        }
        if let Some(c) = text.chars().find(|c| !allowed(*c)) {
            return Err(PatternError::BadChar(c));
        }
        let chars = if case_insensitive {
            text.to_ascii_lowercase().chars().collect()
        } else {
            text.chars().collect()
        };
        Ok(Self {
            chars,
            case_insensitive,
        })
    }

    pub fn matches(&self, value: &str) -> bool {
        let value: Vec<char> = if self.case_insensitive {
            value.to_ascii_lowercase().chars().collect()
        } else {
            value.chars().collect()
        };
        glob_match(&self.chars, &value)
    }
}

/// Iterative glob match with single-star backtracking: linear in practice, no recursion.
fn glob_match(pattern: &[char], value: &[char]) -> bool {
    let (mut p, mut v) = (0, 0);
    let mut last_star: Option<(usize, usize)> = None;
    while v < value.len() {
        match pattern.get(p) {
            Some('*') => {
                last_star = Some((p, v));
                p += 1;
            }
            Some(c) if *c == '?' || *c == value[v] => {
                p += 1;
                v += 1;
            }
            _ => match last_star {
                Some((sp, sv)) => {
                    p = sp + 1;
                    v = sv + 1;
                    last_star = Some((sp, sv + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(p: &str) -> WildcardPattern {
        WildcardPattern::path(p).expect("valid pattern")
    }

    #[test]
    fn star_matches_any_run_including_slashes_and_empty() {
        assert!(path("*").matches("/"));
        assert!(path("/_auth/*").matches("/_auth/logout"));
        assert!(path("/_auth/*").matches("/_auth/"));
        assert!(path("/_auth/*").matches("/_auth/a/b/c"));
        assert!(!path("/_auth/*").matches("/_auth"));
        assert!(!path("/_auth/*").matches("/x/_auth/logout"));
    }

    #[test]
    fn question_mark_matches_exactly_one_char() {
        assert!(path("/v?/x").matches("/v1/x"));
        assert!(!path("/v?/x").matches("/v/x"));
        assert!(!path("/v?/x").matches("/v12/x"));
    }

    #[test]
    fn path_match_is_case_sensitive_and_anchored() {
        assert!(!path("/_stcore/*").matches("/_STCORE/stream"));
        assert!(!path("/a").matches("/ab"));
        assert!(path("*.js").matches("/static/app.js"));
        assert!(!path("*.js").matches("/static/app.json"));
    }

    #[test]
    fn backtracking_over_several_stars() {
        assert!(path("/a*b*c").matches("/aXbYbZc"));
        assert!(!path("/a*b*c").matches("/aXbYbZ"));
    }

    #[test]
    fn host_match_is_case_insensitive() {
        let host = WildcardPattern::host("*.Example.com").expect("valid");
        assert!(host.matches("app.EXAMPLE.com"));
        assert!(!host.matches("example.com.evil.io"));
    }

    #[test]
    fn invalid_patterns_are_rejected() {
        assert_eq!(WildcardPattern::path(""), Err(PatternError::Empty));
        assert_eq!(
            WildcardPattern::path("/a b"),
            Err(PatternError::BadChar(' '))
        );
        assert_eq!(
            WildcardPattern::path(&"a".repeat(129)),
            Err(PatternError::TooLong)
        );
    }
}
