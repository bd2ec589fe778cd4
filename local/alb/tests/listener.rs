//! Listener-level behaviour: security-group CIDR filtering, websocket upgrades through the
//! proxy, and the binary's ready lines and signal handling.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

async fn fakes() -> Fakes {
    let (_, idp) = fake_idp().await;
    let (_, lambda) = fake_lambda(json!({"statusCode": 200})).await;
    Fakes {
        idp,
        upstream: echo_upstream().await,
        lambda,
    }
}

#[tokio::test]
async fn peer_outside_allowed_cidrs_gets_a_closed_connection_and_no_response() {
    let mut config = config_json(&fakes().await);
    config["allowed_cidrs"] = json!(["10.0.0.0/8", "::1/128"]);
    let emulator = start(config).await;
    let mut stream = TcpStream::connect(emulator.listen_addr)
        .await
        .expect("tcp connect");
    // The write may already fail if the close raced ahead; either way no HTTP answer may come.
    let _ = stream.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await;
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut buf))
        .await
        .expect("connection must be closed promptly");
    match read {
        Ok(n) => assert_eq!(n, 0, "got bytes: {:?}", String::from_utf8_lossy(&buf)),
        Err(e) => assert!(
            matches!(e.kind(), std::io::ErrorKind::ConnectionReset),
            "unexpected error {e}"
        ),
    }
}

#[tokio::test]
async fn peer_inside_allowed_cidrs_is_served() {
    let mut config = config_json(&fakes().await);
    config["allowed_cidrs"] = json!(["127.0.0.1/32"]);
    let emulator = start(config).await;
    let response = http()
        .get(format!("http://{}/open/x", emulator.listen_addr))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
}

/// Websocket echo server that records the handshake headers it saw.
async fn ws_echo() -> (SocketAddr, Arc<Mutex<Vec<(String, String)>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind ws");
    let addr = listener.local_addr().expect("addr");
    let seen: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let record = seen.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let record = record.clone();
            tokio::spawn(async move {
                // The handshake callback's error type is tungstenite's, not ours to shrink.
                #[allow(clippy::result_large_err)]
                let callback =
                    |req: &tokio_tungstenite::tungstenite::handshake::server::Request, resp| {
                        let mut r = record.lock().expect("lock");
                        for (k, v) in req.headers() {
                            r.push((k.to_string(), String::from_utf8_lossy(v.as_bytes()).into()));
                        }
                        r.push((":path".into(), req.uri().to_string()));
                        Ok(resp)
                    };
                let Ok(mut ws) = tokio_tungstenite::accept_hdr_async(stream, callback).await else {
                    return;
                };
                while let Some(Ok(msg)) = ws.next().await {
                    if msg.is_text() || msg.is_binary() {
                        if ws.send(msg).await.is_err() {
                            break;
                        }
                    } else if msg.is_close() {
                        break;
                    }
                }
            });
        }
    });
    (addr, seen)
}

#[tokio::test]
async fn websocket_upgrade_is_proxied_end_to_end_with_identity() {
    let (ws_addr, seen) = ws_echo().await;
    let mut f = fakes().await;
    f.upstream = ws_addr;
    let emulator = start(config_json(&f)).await;
    let session = sign_in(&emulator, "/").await.session;
    assert!(!session.is_empty());

    let mut request = format!("ws://{}/_stcore/stream?x=1", emulator.listen_addr)
        .into_client_request()
        .expect("ws request");
    let headers = request.headers_mut();
    headers.insert("cookie", cookie_header(&session).parse().expect("cookie"));
    headers.insert("x-amzn-oidc-identity", "forged".parse().expect("hv"));
    let (mut ws, response) = tokio::time::timeout(
        Duration::from_secs(10),
        tokio_tungstenite::connect_async(request),
    )
    .await
    .expect("handshake in time")
    .expect("handshake");
    assert_eq!(response.status(), 101);
    for text in ["hello", "second message"] {
        ws.send(Message::text(text)).await.expect("send");
        let echoed = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("echo in time")
            .expect("stream open")
            .expect("frame");
        assert_eq!(echoed.into_text().expect("text").as_str(), text);
    }
    let big = vec![7u8; 200_000];
    ws.send(Message::binary(big.clone()))
        .await
        .expect("send big");
    let echoed = tokio::time::timeout(Duration::from_secs(5), ws.next())
        .await
        .expect("echo in time")
        .expect("stream open")
        .expect("frame");
    assert_eq!(echoed.into_data().as_ref(), &big[..]);
    ws.close(None).await.expect("close");

    let seen = seen.lock().expect("lock").clone();
    let get = |name: &str| seen.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    assert_eq!(get(":path").as_deref(), Some("/_stcore/stream?x=1"));
    assert_eq!(get("x-amzn-oidc-identity").as_deref(), Some("1234567890"));
    assert!(get("x-amzn-oidc-data").is_some());
    assert_eq!(get("host"), Some(emulator.listen_addr.to_string()));
}

#[tokio::test]
async fn websocket_without_session_on_deny_rule_is_refused_with_401() {
    let (ws_addr, seen) = ws_echo().await;
    let mut f = fakes().await;
    f.upstream = ws_addr;
    let emulator = start(config_json(&f)).await;
    let request = format!("ws://{}/_stcore/stream", emulator.listen_addr)
        .into_client_request()
        .expect("ws request");
    let err = tokio_tungstenite::connect_async(request)
        .await
        .expect_err("refused");
    match err {
        tokio_tungstenite::tungstenite::Error::Http(response) => {
            assert_eq!(response.status(), 401)
        }
        other => panic!("unexpected error {other}"),
    }
    assert!(
        seen.lock().expect("lock").is_empty(),
        "upstream must not be reached"
    );
}

/// Kills the child on drop so a failing assertion never leaks a process.
struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn temp_config(config: &Value) -> std::path::PathBuf {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let path = std::env::temp_dir().join(format!(
        "alb-emulator-test-{}-{}.json",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    std::fs::write(&path, config.to_string()).expect("write config");
    path
}

#[tokio::test]
async fn binary_prints_ready_lines_serves_keys_and_stops_on_sigterm() {
    let config = config_json(&fakes().await);
    let path = temp_config(&config);
    let child = Command::new(env!("CARGO_BIN_EXE_alb-emulator"))
        .arg("--config")
        .arg(&path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn emulator");
    let mut guard = ChildGuard(child);
    let stdout = guard.0.stdout.take().expect("stdout");
    // Reading blocks, so do it on a blocking thread with a bounded wait.
    let lines = tokio::time::timeout(
        Duration::from_secs(20),
        tokio::task::spawn_blocking(move || {
            BufReader::new(stdout)
                .lines()
                .take(2)
                .collect::<Result<Vec<_>, _>>()
        }),
    )
    .await
    .expect("ready lines in time")
    .expect("reader thread")
    .expect("stdout lines");
    let _ = std::fs::remove_file(&path);
    let listen = lines[0]
        .strip_prefix("alb-emulator listening on http://127.0.0.1:")
        .expect("first ready line");
    let keys = lines[1]
        .strip_prefix("alb-emulator public keys on http://127.0.0.1:")
        .expect("second ready line");
    let listen: u16 = listen.parse().expect("listen port");
    let keys: u16 = keys.parse().expect("keys port");
    assert!(listen != 0 && keys != 0 && listen != keys);

    let response = http()
        .get(format!("http://127.0.0.1:{listen}/"))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 302);
    let unknown = http()
        .get(format!("http://127.0.0.1:{keys}/unknown"))
        .send()
        .await
        .expect("key request");
    assert_eq!(unknown.status(), 404);

    let pid = guard.0.id().to_string();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = guard.0.try_wait().expect("try_wait") {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "emulator did not stop on SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "exit status {status}");

    // The request log line must not leak secrets or tokens.
    let mut stderr = String::new();
    if let Some(mut err) = guard.0.stderr.take() {
        let _ = err.read_to_string(&mut stderr);
    }
    assert!(stderr.contains("status=302"), "{stderr}");
    assert!(!stderr.contains(CLIENT_SECRET));
}

#[tokio::test]
async fn binary_rejects_an_invalid_config_naming_the_field() {
    let mut config = config_json(&fakes().await);
    config["rules"][0]["path_patterns"] = json!(["/has space"]);
    let path = temp_config(&config);
    let output = Command::new(env!("CARGO_BIN_EXE_alb-emulator"))
        .arg("--config")
        .arg(&path)
        .output()
        .expect("run emulator");
    let _ = std::fs::remove_file(&path);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("rules[0].path_patterns[0]"), "{stderr}");
    assert!(output.stdout.is_empty());
}
