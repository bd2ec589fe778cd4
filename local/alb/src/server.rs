//! Binds both listeners, filters peers by CIDR (like a security group: silently), and serves
//! HTTP/1.1 connections until shut down.

use std::net::SocketAddr;
use std::sync::Arc;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use ipnet::IpNet;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::Config;
use crate::crypto::{CookieSealer, CryptoError, DataSigner};
use crate::key_service::{self, PublicKeys};
use crate::listener::{self, AppState};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot bind {field} {addr}: {source}")]
    Bind {
        field: &'static str,
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("key generation failed: {0}")]
    Keys(#[from] CryptoError),
    #[error("cannot build the HTTP client: {0}")]
    HttpClient(String),
}

/// Handle on a started emulator; dropping it (or `shutdown`) stops both listeners.
pub struct RunningEmulator {
    pub listen_addr: SocketAddr,
    pub public_keys_addr: SocketAddr,
    pub kid: String,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl RunningEmulator {
    /// Stops accepting connections and waits for the accept loops to end.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        for task in self.tasks.drain(..) {
            let _ = task.await;
        }
    }
}

impl Drop for RunningEmulator {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        for task in &self.tasks {
            task.abort();
        }
    }
}

pub async fn start(config: Config) -> Result<RunningEmulator, StartError> {
    let listener = bind("listen", config.listen).await?;
    let keys_listener = bind("public_keys_listen", config.public_keys_listen).await?;
    let listen_addr = local_addr("listen", config.listen, &listener)?;
    let public_keys_addr = local_addr(
        "public_keys_listen",
        config.public_keys_listen,
        &keys_listener,
    )?;

    let signer = DataSigner::generate()?;
    let kid = signer.kid().to_string();
    let keys = Arc::new(PublicKeys {
        kid: signer.kid().to_string(),
        pem: signer.public_key_pem()?,
    });
    let http = reqwest::Client::builder()
        // ALB never follows redirects from the token or userinfo endpoints.
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| StartError::HttpClient(e.to_string()))?;
    let allowed = config.allowed_cidrs.clone();
    let state = Arc::new(AppState {
        config,
        sealer: CookieSealer::generate()?,
        signer,
        http,
        listener_port: listen_addr.port(),
        https: false,
    });
    let (shutdown, shutdown_rx) = watch::channel(false);
    let main_loop = tokio::spawn(accept_loop(
        listener,
        allowed,
        shutdown_rx.clone(),
        move |stream, peer| {
            let state = state.clone();
            serve(stream, move |req| {
                listener::handle(state.clone(), peer, req)
            })
        },
    ));
    let keys_loop = tokio::spawn(accept_loop(
        keys_listener,
        Vec::new(),
        shutdown_rx,
        move |stream, _| {
            let keys = keys.clone();
            serve(stream, move |req| key_service::handle(keys.clone(), req))
        },
    ));
    Ok(RunningEmulator {
        listen_addr,
        public_keys_addr,
        kid,
        shutdown,
        tasks: vec![main_loop, keys_loop],
    })
}

async fn bind(field: &'static str, addr: SocketAddr) -> Result<TcpListener, StartError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| StartError::Bind {
            field,
            addr,
            source,
        })
}

fn local_addr(
    field: &'static str,
    addr: SocketAddr,
    listener: &TcpListener,
) -> Result<SocketAddr, StartError> {
    listener.local_addr().map_err(|source| StartError::Bind {
        field,
        addr,
        source,
    })
}

/// Accepts until shutdown. An empty `allowed` list means "everyone" (the public key service).
async fn accept_loop<F>(
    listener: TcpListener,
    allowed: Vec<IpNet>,
    mut shutdown: watch::Receiver<bool>,
    on_connection: F,
) where
    F: Fn(TcpStream, SocketAddr) -> JoinHandle<()>,
{
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = shutdown.changed() => return,
        };
        let (stream, peer) = match accepted {
            Ok(pair) => pair,
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                continue;
            }
        };
        let ip = peer.ip().to_canonical();
        if !allowed.is_empty() && !allowed.iter().any(|net| net.contains(&ip)) {
            // A security group drops the packets: no HTTP answer, just a closed connection.
            tracing::warn!(peer = %ip, "connection refused: peer not in allowed_cidrs");
            drop(stream);
            continue;
        }
        let _ = stream.set_nodelay(true);
        on_connection(stream, peer);
    }
}

/// Serves one HTTP/1.1 connection (with upgrades) on its own task.
fn serve<S, Fut>(stream: TcpStream, handler: S) -> JoinHandle<()>
where
    S: Fn(http::Request<hyper::body::Incoming>) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<crate::body::Response, std::convert::Infallible>>
        + Send
        + 'static,
{
    tokio::spawn(async move {
        // The timer enables hyper's 30 s header-read timeout (slow clients cannot pin a task).
        let connection = http1::Builder::new()
            .timer(TokioTimer::new())
            .serve_connection(TokioIo::new(stream), service_fn(handler))
            .with_upgrades();
        if let Err(e) = connection.await {
            tracing::debug!(error = %e, "client connection ended with an error");
        }
    })
}
