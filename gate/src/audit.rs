//! One structured line per decision, for CloudWatch Logs Insights. Never a token, code or
//! secret: only the decision, a stable reason code and who/where.

use tokio::time::Instant;

/// What happened to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Allow,
    Deny,
    /// Our side failed (SSM, Google, JWKS): the request was refused, fail closed.
    Error,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Allow => "allow",
            Outcome::Deny => "deny",
            Outcome::Error => "error",
        }
    }
}

/// Who the decision was about, as far as we know.
#[derive(Debug, Default, Clone, Copy)]
pub struct Subject<'a> {
    pub email: Option<&'a str>,
    pub hd: Option<&'a str>,
    pub host: Option<&'a str>,
}

pub fn record(
    endpoint: &'static str,
    outcome: Outcome,
    reason: &str,
    subject: Subject<'_>,
    started: Instant,
) {
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    tracing::info!(
        target: "audit",
        endpoint,
        decision = outcome.as_str(),
        reason,
        email = subject.email.unwrap_or(""),
        hd = subject.hd.unwrap_or(""),
        host = subject.host.unwrap_or(""),
        latency_ms = (latency_ms * 100.0).round() / 100.0,
        "decision"
    );
}
