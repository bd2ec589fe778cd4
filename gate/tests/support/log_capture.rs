//! Captures what the handlers log, per test, to assert "one clear line naming the cause" and
//! "no secret in any line".
//!
//! One global JSON subscriber is installed for the whole test binary (per-test scoped
//! subscribers race on tracing's global max-level cache). It writes into a thread-local buffer,
//! so each `#[tokio::test]` (current-thread runtime) sees only its own lines.

use std::cell::RefCell;
use std::io::Write;
use std::sync::Once;

use serde_json::Value;
use tracing_subscriber::EnvFilter;

thread_local! {
    static CAPTURED: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Our code at every level; libraries (hyper, the AWS SDK) at the production default.
const FILTER: &str = "info,gate=trace,audit=trace";

pub struct LogCapture;

impl LogCapture {
    /// Installs the subscriber (once) and empties this thread's buffer.
    pub fn start() -> LogCapture {
        static INSTALL: Once = Once::new();
        INSTALL.call_once(|| {
            let subscriber = tracing_subscriber::fmt()
                .json()
                .flatten_event(true)
                .with_env_filter(EnvFilter::new(FILTER))
                .with_writer(|| ThreadBuffer)
                .finish();
            // Another test helper may have installed one first; ours must be the one in use.
            tracing::subscriber::set_global_default(subscriber)
                .expect("log capture must be the only global subscriber in this test binary");
        });
        CAPTURED.with(|buffer| buffer.borrow_mut().clear());
        LogCapture
    }

    /// Forgets what was captured so far (e.g. the warm-up before the fault).
    pub fn clear(&self) {
        CAPTURED.with(|buffer| buffer.borrow_mut().clear());
    }

    pub fn text(&self) -> String {
        CAPTURED.with(|buffer| String::from_utf8_lossy(&buffer.borrow()).into_owned())
    }

    pub fn lines(&self) -> Vec<Value> {
        self.text()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap_or(Value::String(line.to_owned())))
            .collect()
    }

    pub fn audit_lines(&self) -> Vec<Value> {
        self.lines()
            .into_iter()
            .filter(|line| line["target"] == "audit")
            .collect()
    }

    /// Lines at `ERROR` (what an operator's alarm would page on).
    pub fn error_lines(&self) -> Vec<Value> {
        self.lines()
            .into_iter()
            .filter(|line| line["level"] == "ERROR")
            .collect()
    }

    /// Lines at `WARN`.
    pub fn warn_lines(&self) -> Vec<Value> {
        self.lines()
            .into_iter()
            .filter(|line| line["level"] == "WARN")
            .collect()
    }

    /// Panics naming the secret (first characters only) if any captured line contains it.
    pub fn assert_free_of(&self, secrets: &[String]) {
        let text = self.text();
        for secret in secrets.iter().filter(|s| s.len() >= 8) {
            assert!(
                !text.contains(secret.as_str()),
                "a log line contains a secret or token starting {:.10}…",
                secret
            );
        }
    }
}

struct ThreadBuffer;

impl Write for ThreadBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        CAPTURED.with(|buffer| buffer.borrow_mut().extend_from_slice(buf));
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
