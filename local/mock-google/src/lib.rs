//! A mock of Google's OpenID Connect provider, for tests and the local demo only.
//!
//! It behaves like `accounts.google.com` for one OAuth client: discovery, an account chooser
//! (`/o/oauth2/v2/auth`), one-time codes, the token endpoint with RS256 ID tokens, JWKS and
//! userinfo. Under `/_mock/` (and the matching methods on [`MockGoogle`]) tests can rotate keys,
//! inject faults (errors, delays, hangs, garbage, resets), read request counts and mint ID tokens
//! with arbitrary claims. Keys are generated at start-up; nothing here is a real secret.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use mock_google::{MockConfig, MockGoogle};
//! let google = MockGoogle::start(MockConfig::demo(), "127.0.0.1:0".parse()?).await?;
//! let code = google.issue_code("alice@example.com", "https://app.example.com/oauth2/idpresponse", None)?;
//! // ... exchange `code` at google.token_url() ...
//! google.shutdown().await;
//! # Ok(()) }
//! ```

mod access_tokens;
mod claims;
mod clock;
mod codes;
mod config;
mod error;
mod faults;
mod keys;
mod random;
mod routes;
mod server;
mod state;
mod stats;

pub use config::{
    ALB_REDIRECT_PATH, Account, ConfigError, DEFAULT_CODE_TTL, DEFAULT_JWKS_MAX_AGE_SECONDS,
    MockConfig,
};
pub use error::{MockError, StartError};
pub use faults::{Endpoint, Fault, FaultKind, FaultSpecError, MAX_HUGE_BYTES};
pub use server::MockGoogle;
pub use stats::Stats;
