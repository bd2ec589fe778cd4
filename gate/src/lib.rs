//! # gate: Google sign-in with a domain policy for apps behind an AWS ALB
//!
//! The ALB runs the browser side of OpenID Connect (`authenticate-oidc`); this library makes
//! the two server-side decisions it delegates:
//!
//! 1. The ALB redirects the browser to Google and gets an authorization code back.
//! 2. It posts the code to our **token endpoint** ([`callback::Callback`]), authenticating with
//!    the gate client secret. We exchange the code at Google ([`google`]), verify Google's ID
//!    token ([`id_token`], keys from [`jwks`]), apply the [`policy`], and hand the ID token back
//!    as the access token — or refuse with `access_denied`.
//! 3. The ALB calls our **userinfo endpoint** ([`authorizer::Authorizer`]) with that token; we
//!    verify it again and return only verified claims.
//! 4. The ALB sets its session cookie and forwards to the app with signed identity headers.
//!    `/_auth/logout` ([`alb`]) expires that cookie.
//!
//! Configuration comes from env ([`settings`]) and SSM ([`parameters`], [`config`]), loaded once
//! per execution environment ([`loader`]); every failure fails closed. Each decision is one JSON
//! audit line ([`audit`]). I/O sits behind small traits ([`http_client::HttpClient`],
//! [`parameters::ParameterStore`], [`clock::Clock`]) so everything is tested without AWS or
//! network.

pub mod alb;
pub mod audit;
pub mod authorizer;
pub mod callback;
pub mod clock;
pub mod config;
pub mod function;
pub mod google;
pub mod http_client;
pub mod id_token;
pub mod jwks;
pub mod loader;
pub mod parameters;
pub mod policy;
pub mod response;
pub mod secret;
pub mod settings;
pub mod telemetry;
pub mod token_request;

#[cfg(test)]
mod fake_http;
#[cfg(test)]
mod test_support;
