//! A fault-injecting HTTP/1.1 proxy for failures below what the mock Google can fake: it
//! forwards to an upstream (moto, or the mock Google) and misbehaves for the next N requests.
//!
//! - `SsmThrottling`: `400 ThrottlingException` in the AWS JSON 1.1 error shape, so the SSM
//!   SDK's standard retry (backoff, 3 attempts) can be observed against a real moto.
//! - `ResetMidBody`: promises 4096 bytes, sends a few, closes.
//! - `EndlessChunkedBody`: `200`, chunked, no `Content-Length`, 64 KiB chunks until the client
//!   hangs up (the reader must cap what it reads).
//!
//! One request per connection (`connection: close`); test code only.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Mutex;
use tokio::task::JoinHandle;

const THROTTLED_BODY: &str = r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#;
/// Upper bound on what `EndlessChunkedBody` writes, so a client that never stops reading
/// cannot make the test spin forever (1 GiB).
const ENDLESS_LIMIT_CHUNKS: usize = 16 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProxyFault {
    SsmThrottling,
    ResetMidBody,
    EndlessChunkedBody,
}

pub struct FaultProxy {
    pub endpoint: String,
    state: Arc<State>,
    task: JoinHandle<()>,
}

struct State {
    upstream: String,
    fault: Mutex<Option<(ProxyFault, usize)>>,
    calls: AtomicUsize,
    faulted: AtomicUsize,
    bytes_written: AtomicUsize,
    http: reqwest::Client,
}

impl FaultProxy {
    /// Forwards to `upstream` (e.g. `http://127.0.0.1:5000`), misbehaving only when told to.
    pub async fn start(upstream: &str) -> FaultProxy {
        Self::start_at("127.0.0.1:0".parse().expect("addr"), upstream).await
    }

    /// Same, on a given address (a Google that comes back where it was before).
    pub async fn start_at(addr: SocketAddr, upstream: &str) -> FaultProxy {
        let listener = TcpListener::bind(addr).await.expect("bind proxy");
        let endpoint = format!("http://{}", listener.local_addr().expect("addr"));
        let state = Arc::new(State {
            upstream: upstream.trim_end_matches('/').to_owned(),
            fault: Mutex::new(None),
            calls: AtomicUsize::new(0),
            faulted: AtomicUsize::new(0),
            bytes_written: AtomicUsize::new(0),
            http: reqwest::Client::new(),
        });
        let shared = state.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, shared.clone()));
            }
        });
        FaultProxy {
            endpoint,
            state,
            task,
        }
    }

    /// The next `n` requests get `fault` (`usize::MAX`: until `heal`).
    pub async fn fault_next(&self, fault: ProxyFault, n: usize) {
        *self.state.fault.lock().await = Some((fault, n));
    }

    pub async fn heal(&self) {
        *self.state.fault.lock().await = None;
    }

    pub fn calls(&self) -> usize {
        self.state.calls.load(Ordering::SeqCst)
    }

    pub fn faulted(&self) -> usize {
        self.state.faulted.load(Ordering::SeqCst)
    }

    /// Body bytes `EndlessChunkedBody` got onto the wire before the client hung up.
    pub fn bytes_written(&self) -> usize {
        self.state.bytes_written.load(Ordering::SeqCst)
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A loopback address nobody listens on (its port was free a moment ago).
pub fn unused_addr() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr")
}

async fn take_fault(state: &State) -> Option<ProxyFault> {
    let mut slot = state.fault.lock().await;
    let (fault, left) = (*slot)?;
    *slot = match left {
        usize::MAX => Some((fault, left)),
        1 => None,
        _ => Some((fault, left - 1)),
    };
    Some(fault)
}

async fn serve(mut stream: TcpStream, state: Arc<State>) {
    let Some(request) = read_request(&mut stream).await else {
        return;
    };
    state.calls.fetch_add(1, Ordering::SeqCst);
    let fault = take_fault(&state).await;
    if fault.is_some() {
        state.faulted.fetch_add(1, Ordering::SeqCst);
    }
    match fault {
        Some(ProxyFault::SsmThrottling) => {
            let extra = "x-amzn-errortype: ThrottlingException\r\nx-amzn-query-error: ThrottlingException;Sender\r\n";
            respond(
                &mut stream,
                400,
                "application/x-amz-json-1.1",
                extra,
                THROTTLED_BODY.as_bytes(),
            )
            .await;
        }
        Some(ProxyFault::ResetMidBody) => {
            let partial = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 4096\r\n\r\n{\"id_token\":\"eyJhbGciOi";
            let _ = stream.write_all(partial).await;
            let _ = stream.flush().await;
            // Dropping the stream closes it with 4000-odd bytes still owed.
        }
        Some(ProxyFault::EndlessChunkedBody) => endless(&mut stream, &state).await,
        None => match forward(&state, &request).await {
            Some((status, content_type, body)) => {
                respond(&mut stream, status, &content_type, "", &body).await;
            }
            None => respond(&mut stream, 502, "text/plain", "", b"upstream unreachable").await,
        },
    }
}

async fn respond(
    stream: &mut TcpStream,
    status: u16,
    content_type: &str,
    extra: &str,
    body: &[u8],
) {
    let head = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nx-amzn-requestid: fault-proxy\r\n{extra}connection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(body).await;
    let _ = stream.shutdown().await;
}

async fn endless(stream: &mut TcpStream, state: &State) {
    let head =
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
    if stream.write_all(head).await.is_err() {
        return;
    }
    let chunk = vec![b'x'; 64 * 1024];
    let frame = [format!("{:x}\r\n", chunk.len()).as_bytes(), &chunk, b"\r\n"].concat();
    for _ in 0..ENDLESS_LIMIT_CHUNKS {
        if stream.write_all(&frame).await.is_err() {
            return;
        }
        state.bytes_written.fetch_add(chunk.len(), Ordering::SeqCst);
    }
}

struct RawRequest {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

async fn read_request(stream: &mut TcpStream) -> Option<RawRequest> {
    let mut data = Vec::new();
    let mut buf = [0u8; 8192];
    let head_end = loop {
        if let Some(at) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        let n = stream.read(&mut buf).await.ok().filter(|n| *n > 0)?;
        data.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&data[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_owned();
    let path = request_line.next()?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(name, _)| name == "content-length")
        .and_then(|(_, value)| value.parse().ok())
        .unwrap_or(0);
    let mut body = data[head_end + 4..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut buf).await.ok().filter(|n| *n > 0)?;
        body.extend_from_slice(&buf[..n]);
    }
    Some(RawRequest {
        method,
        path,
        headers,
        body,
    })
}

async fn forward(state: &State, request: &RawRequest) -> Option<(u16, String, Vec<u8>)> {
    let method = reqwest::Method::from_bytes(request.method.as_bytes()).ok()?;
    let mut upstream = state
        .http
        .request(method, format!("{}{}", state.upstream, request.path))
        .body(request.body.clone());
    for (name, value) in &request.headers {
        if !matches!(name.as_str(), "host" | "content-length" | "connection") {
            upstream = upstream.header(name.as_str(), value.as_str());
        }
    }
    let response = upstream.send().await.ok()?;
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .unwrap_or("application/octet-stream")
        .to_owned();
    let body = response.bytes().await.ok()?.to_vec();
    Some((status, content_type, body))
}
