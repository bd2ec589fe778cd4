//! The `forward` half of `authenticate-oidc`: stream a request to the target and its response
//! back, including HTTP/1.1 upgrades (Streamlit's `/_stcore/stream` websocket). Upgraded
//! connections are spliced byte for byte, so websocket frames are never parsed here.

use std::time::Duration;

use http::{HeaderValue, Request, StatusCode, Uri};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use url::Url;

use crate::body::{Response, streamed};
use crate::headers::{is_upgrade_request, remove_hop_by_hop};
use crate::pages::error_page;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    #[error("target {0} has no host or port")]
    BadTarget(String),
    #[error("cannot build the upstream request URI: {0}")]
    BadUri(String),
    #[error("target connection failed: {0}")]
    Connect(std::io::Error),
    #[error("target connection timed out")]
    ConnectTimeout,
    #[error("target HTTP error: {0}")]
    Http(#[from] hyper::Error),
}

impl ProxyError {
    /// ALB: 502 when the target refuses or breaks the connection, 504 when it does not answer.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::ConnectTimeout => StatusCode::GATEWAY_TIMEOUT,
            _ => StatusCode::BAD_GATEWAY,
        }
    }
}

/// Forwards `request` (headers already rewritten by the listener) to `target`.
/// Returns ALB's 502/504 page and the error when the target fails.
pub async fn forward(target: &Url, request: Request<Incoming>) -> (Response, Option<ProxyError>) {
    match try_forward(target, request).await {
        Ok(response) => (response, None),
        Err(e) => (error_page(e.status()), Some(e)),
    }
}

async fn try_forward(target: &Url, mut request: Request<Incoming>) -> Result<Response, ProxyError> {
    let host = target
        .host_str()
        .ok_or_else(|| ProxyError::BadTarget(target.to_string()))?;
    let port = target
        .port_or_known_default()
        .ok_or_else(|| ProxyError::BadTarget(target.to_string()))?;
    let upgrade = is_upgrade_request(request.headers());
    // Take the client side of a possible upgrade before the request is handed to the client.
    let client_upgrade = upgrade.then(|| hyper::upgrade::on(&mut request));

    let path_and_query = request
        .uri()
        .path_and_query()
        .map_or("/", |pq| pq.as_str())
        .to_string();
    *request.uri_mut() =
        Uri::try_from(path_and_query).map_err(|e| ProxyError::BadUri(e.to_string()))?;
    remove_hop_by_hop(request.headers_mut(), upgrade);
    // HTTP/1.1 needs a Host; ALB keeps the client's, which the listener already guaranteed.
    if !request.headers().contains_key(http::header::HOST)
        && let Ok(v) = HeaderValue::from_str(&format!("{host}:{port}"))
    {
        request.headers_mut().insert(http::header::HOST, v);
    }

    let stream = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect((host, port)))
        .await
        .map_err(|_| ProxyError::ConnectTimeout)?
        .map_err(ProxyError::Connect)?;
    let _ = stream.set_nodelay(true);
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(async move {
        if let Err(e) = connection.with_upgrades().await {
            tracing::debug!(error = %e, "upstream connection ended with an error");
        }
    });

    let mut response = sender.send_request(request).await?;
    if response.status() == StatusCode::SWITCHING_PROTOCOLS {
        if let Some(client_upgrade) = client_upgrade {
            let upstream_upgrade = hyper::upgrade::on(&mut response);
            tokio::spawn(splice(client_upgrade, upstream_upgrade));
        }
        let (parts, _) = response.into_parts();
        return Ok(Response::from_parts(parts, crate::body::empty()));
    }
    remove_hop_by_hop(response.headers_mut(), false);
    Ok(response.map(streamed))
}

/// Copies bytes both ways between the upgraded client and target connections until either closes.
async fn splice(client: hyper::upgrade::OnUpgrade, upstream: hyper::upgrade::OnUpgrade) {
    let (client, upstream) = match tokio::try_join!(client, upstream) {
        Ok(pair) => pair,
        Err(e) => {
            tracing::debug!(error = %e, "upgrade failed");
            return;
        }
    };
    let mut client = TokioIo::new(client);
    let mut upstream = TokioIo::new(upstream);
    if let Err(e) = tokio::io::copy_bidirectional(&mut client, &mut upstream).await {
        tracing::debug!(error = %e, "upgraded connection closed with an error");
    }
}
