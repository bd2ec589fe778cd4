//! Errors of the library API.

use std::net::SocketAddr;

use crate::config::ConfigError;

/// Why a request made through the library API (not HTTP) was refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum MockError {
    #[error("no test account with email {0:?}")]
    UnknownAccount(String),
    #[error("redirect_uri {0:?} is not registered for the mock's client")]
    RedirectUriNotAllowed(String),
    #[error("claim overrides must be a JSON object or null, got {0}")]
    OverridesNotAnObject(&'static str),
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("signing key generation failed: {0}")]
    KeyGeneration(String),
}
