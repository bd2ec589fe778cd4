//! The running mock: binds, serves HTTP/1.1, stops on request.
//!
//! A hand-written accept loop (instead of `axum::serve`) so a fault can drop a connection
//! without any response: hyper closes the connection when the service returns an error.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};
use tower::ServiceExt;

use crate::config::MockConfig;
use crate::error::{MockError, StartError};
use crate::faults::{Endpoint, Fault};
use crate::keys::KeyRing;
use crate::routes;
use crate::state::{DEFAULT_SCOPE, Shared};
use crate::stats::Stats;

/// How long `shutdown` lets in-flight requests finish before dropping them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// A running mock Google. Dropping it stops the server too; `shutdown` also waits for it.
pub struct MockGoogle {
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    server: Option<JoinHandle<()>>,
}

/// Marker a handler puts on its response to have the connection dropped instead.
#[derive(Clone, Copy, Debug, thiserror::Error)]
#[error("connection reset on purpose (injected fault)")]
pub(crate) struct ResetConnection;

impl MockGoogle {
    /// Binds `listen` (port 0 picks a free port) and serves until `shutdown` or drop.
    /// Must be called inside a Tokio runtime; the server runs as a task on it.
    pub async fn start(config: MockConfig, listen: SocketAddr) -> Result<MockGoogle, StartError> {
        config.validate()?;
        let listener = TcpListener::bind(listen)
            .await
            .map_err(|source| StartError::Bind {
                addr: listen,
                source,
            })?;
        let local = listener.local_addr().map_err(|source| StartError::Bind {
            addr: listen,
            source,
        })?;
        // RSA key generation is CPU work; keep it off the async worker.
        let keys = tokio::task::spawn_blocking(KeyRing::generate)
            .await
            .map_err(|err| StartError::KeyGeneration(err.to_string()))?;
        let (stop, stop_rx) = watch::channel(false);
        let shared = Arc::new(Shared {
            config,
            base_url: base_url(local),
            keys,
            codes: Default::default(),
            access_tokens: Default::default(),
            faults: Default::default(),
            counters: Default::default(),
            clock: Default::default(),
            shutdown: stop_rx.clone(),
        });
        let router = routes::router(Arc::clone(&shared));
        let server = tokio::spawn(serve(listener, router, stop_rx));
        tracing::info!(base_url = %shared.base_url, "mock-google started");
        Ok(MockGoogle {
            shared,
            stop,
            server: Some(server),
        })
    }

    /// `http://127.0.0.1:PORT`; also the `iss` of every ID token.
    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }
    pub fn issuer(&self) -> String {
        self.base_url()
    }
    pub fn discovery_url(&self) -> String {
        self.shared.url(routes::DISCOVERY_PATH)
    }
    pub fn authorization_url(&self) -> String {
        self.shared.url(routes::AUTHORIZE_PATH)
    }
    pub fn token_url(&self) -> String {
        self.shared.url(routes::TOKEN_PATH)
    }
    pub fn jwks_url(&self) -> String {
        self.shared.url(routes::JWKS_PATH)
    }
    pub fn userinfo_url(&self) -> String {
        self.shared.url(routes::USERINFO_PATH)
    }
    pub fn config(&self) -> &MockConfig {
        &self.shared.config
    }

    /// A one-time code, as if the user had picked `email` on the chooser
    /// (scope `openid email profile`). The redirect URI must be one the client may use.
    pub fn issue_code(
        &self,
        email: &str,
        redirect_uri: &str,
        nonce: Option<&str>,
    ) -> Result<String, MockError> {
        self.shared
            .issue_code(email, redirect_uri, nonce, DEFAULT_SCOPE)
    }

    /// An ID token for `email` signed with the current key. `overrides` (a JSON object, or
    /// `null` for none) replaces claims; a claim set to `null` is removed.
    pub fn id_token_for(&self, email: &str, overrides: Value) -> Result<String, MockError> {
        self.shared.id_token_for(email, &overrides)
    }

    /// A fresh key becomes the signing key; the JWKS lists it and the previous one.
    /// Generates an RSA key on the calling thread (tens of milliseconds).
    pub fn rotate_keys(&self) {
        let kid = self.shared.keys.rotate();
        tracing::info!(%kid, "signing key rotated");
    }

    /// The `kid` ID tokens are signed with now.
    pub fn current_kid(&self) -> String {
        self.shared.keys.current().kid().to_owned()
    }

    /// Replaces the fault of `endpoint`.
    pub fn set_fault(&self, endpoint: Endpoint, fault: Fault) {
        self.shared.faults.set(endpoint, fault);
    }
    pub fn clear_faults(&self) {
        self.shared.faults.clear();
    }

    pub fn stats(&self) -> Stats {
        self.shared.counters.snapshot()
    }
    pub fn reset_stats(&self) {
        self.shared.counters.reset();
    }

    /// Moves the mock's clock forward: codes and access tokens expire, new tokens get later
    /// `iat`/`exp` (a Google clock ahead of the gate's).
    pub fn advance_clock(&self, by: Duration) {
        self.shared.clock.advance(by);
    }

    /// Stops accepting, lets in-flight requests finish (bounded), and waits for the server.
    pub async fn shutdown(mut self) {
        self.stop.send_replace(true);
        if let Some(server) = self.server.take()
            && let Err(err) = server.await
        {
            tracing::warn!(%err, "mock-google server task ended abnormally");
        }
    }
}

impl Drop for MockGoogle {
    fn drop(&mut self) {
        // A test that panics before `shutdown` must not leave the server running.
        self.stop.send_replace(true);
    }
}

/// Resolves once the mock is stopping (or its handle is gone).
pub(crate) async fn stopping(rx: &mut watch::Receiver<bool>) {
    // An error means the sender was dropped: that is a stop too.
    let _ = rx.wait_for(|stop| *stop).await;
}

fn base_url(local: SocketAddr) -> String {
    // A wildcard address is not something a browser can be sent to.
    let ip = match local.ip() {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}", SocketAddr::new(ip, local.port()))
}

async fn serve(listener: TcpListener, router: Router, mut stop: watch::Receiver<bool>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            () = stopping(&mut stop) => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    connections.spawn(serve_connection(stream, router.clone(), stop.clone()));
                }
                Err(err) => {
                    // E.g. out of file descriptors: back off instead of spinning.
                    tracing::warn!(%err, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    let drained = tokio::time::timeout(SHUTDOWN_GRACE, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            remaining = connections.len(),
            "dropping connections still open at shutdown"
        );
    }
    // Dropping the set aborts whatever is left.
}

async fn serve_connection(stream: TcpStream, router: Router, mut stop: watch::Receiver<bool>) {
    let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
        let router = router.clone();
        async move {
            let response = match router.oneshot(request).await {
                Ok(response) => response,
                Err(never) => match never {},
            };
            if response.extensions().get::<ResetConnection>().is_some() {
                return Err(ResetConnection);
            }
            Ok(response)
        }
    });
    let connection =
        hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    let mut connection = std::pin::pin!(connection);
    let result = tokio::select! {
        result = connection.as_mut() => result,
        () = stopping(&mut stop) => {
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    };
    if let Err(err) = result {
        tracing::debug!(%err, "connection closed with an error");
    }
}
