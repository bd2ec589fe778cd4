//! A dev-only stand-in for the AWS ALB HTTPS listener our Terraform configures: security-group
//! CIDR filtering, listener rules, the `authenticate-oidc` sign-in flow with sharded encrypted
//! session cookies and signed `x-amzn-oidc-*` headers, Lambda target-group events, and a
//! streaming reverse proxy with websocket upgrades. See README.md for what differs from AWS.

pub mod body;
pub mod config;
pub mod cookies;
pub mod crypto;
pub mod headers;
pub mod key_service;
pub mod lambda;
pub mod listener;
pub mod oidc_data;
pub mod pages;
pub mod pattern;
pub mod proxy;
pub mod rules;
pub mod server;
pub mod signin;

pub use config::{Config, ConfigError};
pub use server::{RunningEmulator, StartError, start};
