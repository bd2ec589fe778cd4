//! The `mock-google` binary: announces its URL on stdout, serves, stops cleanly on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Kills the child if the test fails before it is stopped properly.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn binary_prints_its_url_serves_and_stops_on_sigterm() {
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/accounts.json");
    let child = Command::new(env!("CARGO_BIN_EXE_mock-google"))
        .args(["--listen", "127.0.0.1:0", "--config", config])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary starts");
    let mut running = Running(child);
    let stdout = running.0.stdout.take().expect("stdout piped");
    let stderr = running.0.stderr.take().expect("stderr piped");

    // Read the first stdout line on a thread so the wait is bounded.
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        let _ = tx.send(lines.next());
        // Whatever else appears on stdout is a bug: report it.
        let rest: Vec<String> = lines.map_while(Result::ok).collect();
        let _ = tx.send(Some(Ok(rest.join("\n"))));
    });
    let stderr_reader = std::thread::spawn(move || {
        BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
            .collect::<Vec<_>>()
    });
    let line = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("announce line within 20 s")
        .expect("stdout not closed")
        .expect("stdout readable");
    let base_url = line
        .strip_prefix("mock-google listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    assert!(base_url.starts_with("http://127.0.0.1:"), "{base_url}");

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let discovery: serde_json::Value = runtime.block_on(async {
        reqwest::get(format!("{base_url}/.well-known/openid-configuration"))
            .await
            .expect("discovery answers")
            .json()
            .await
            .expect("discovery JSON")
    });
    assert_eq!(discovery["issuer"], base_url.as_str());
    let token_status = runtime.block_on(async {
        reqwest::Client::new()
            .post(format!("{base_url}/token"))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", "4/0secret-code-value"),
                ("redirect_uri", "https://a.example/oauth2/idpresponse"),
                ("client_id", "local-demo-client.apps.googleusercontent.com"),
                ("client_secret", "local-demo-google-secret"),
            ])
            .send()
            .await
            .expect("token answers")
            .status()
    });
    assert_eq!(token_status, reqwest::StatusCode::BAD_REQUEST);

    let pid = running.0.id().to_string();
    let kill = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill runs");
    assert!(kill.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = running.0.try_wait().expect("wait works") {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "binary did not stop within 10 s of SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "exit status {status}");

    let rest = rx
        .recv_timeout(Duration::from_secs(5))
        .expect("stdout closed");
    assert_eq!(
        rest.and_then(Result::ok).as_deref(),
        Some(""),
        "stdout has exactly one line"
    );
    let logs = stderr_reader.join().expect("stderr reader").join("\n");
    assert!(logs.contains("/.well-known/openid-configuration"), "{logs}");
    assert!(
        !logs.contains("secret-code-value"),
        "codes must not be logged:\n{logs}"
    );
    assert!(
        !logs.contains("local-demo-google-secret"),
        "secrets must not be logged:\n{logs}"
    );
}
