//! Fault injection: make one endpoint fail, stall or misbehave, optionally only N times.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Endpoints that count requests and can carry a fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Endpoint {
    /// `GET /.well-known/openid-configuration`
    Discovery,
    /// `GET /o/oauth2/v2/auth` (the account chooser)
    Authorize,
    /// `POST /o/oauth2/v2/auth/choose`
    Choose,
    /// `POST /token`
    Token,
    /// `GET /oauth2/v3/certs`
    Jwks,
    /// `GET /v1/userinfo`
    Userinfo,
}

impl Endpoint {
    pub const ALL: [Endpoint; 6] = [
        Endpoint::Discovery,
        Endpoint::Authorize,
        Endpoint::Choose,
        Endpoint::Token,
        Endpoint::Jwks,
        Endpoint::Userinfo,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Endpoint::Discovery => "discovery",
            Endpoint::Authorize => "authorize",
            Endpoint::Choose => "choose",
            Endpoint::Token => "token",
            Endpoint::Jwks => "jwks",
            Endpoint::Userinfo => "userinfo",
        }
    }
}

/// How an endpoint misbehaves.
#[derive(Clone, Debug, PartialEq)]
pub enum FaultKind {
    /// Answer with this status and a small JSON error body.
    Status(u16),
    /// Wait, then answer normally.
    Delay(Duration),
    /// Never answer; the connection stays open until the client gives up (or the mock stops).
    Hang,
    /// `200` with this text as an `application/json` body that does not parse.
    Garbage(String),
    /// `200` with this JSON instead of the real answer.
    Json(Value),
    /// `200` with this many bytes of body.
    HugeBytes(u64),
    /// Close the connection without any response.
    Reset,
}

/// A fault and how many requests it applies to (`None`: until cleared).
#[derive(Clone, Debug, PartialEq)]
pub struct Fault {
    pub kind: FaultKind,
    pub times: Option<u32>,
}

impl Fault {
    pub fn status(code: u16) -> Self {
        FaultKind::Status(code).into()
    }
    pub fn delay(by: Duration) -> Self {
        FaultKind::Delay(by).into()
    }
    pub fn hang() -> Self {
        FaultKind::Hang.into()
    }
    pub fn garbage(text: impl Into<String>) -> Self {
        FaultKind::Garbage(text.into()).into()
    }
    pub fn json(body: Value) -> Self {
        FaultKind::Json(body).into()
    }
    pub fn huge_bytes(len: u64) -> Self {
        FaultKind::HugeBytes(len).into()
    }
    pub fn reset() -> Self {
        FaultKind::Reset.into()
    }
    /// Applies the fault to the next `n` requests only.
    pub fn times(mut self, n: u32) -> Self {
        self.times = Some(n);
        self
    }
}

impl From<FaultKind> for Fault {
    fn from(kind: FaultKind) -> Self {
        Fault { kind, times: None }
    }
}

/// Largest `huge_bytes` body, so a typo cannot make the mock stream forever.
pub const MAX_HUGE_BYTES: u64 = 1 << 30;

#[derive(Debug, thiserror::Error)]
pub enum FaultSpecError {
    #[error(
        "fault must set exactly one of status, delay_ms, hang, garbage, json, huge_bytes, reset (got {0})"
    )]
    KindCount(usize),
    #[error("fault status {0} is not an HTTP status code (100-599)")]
    BadStatus(u16),
    #[error("fault huge_bytes {0} exceeds the limit of {MAX_HUGE_BYTES}")]
    TooHuge(u64),
    #[error("fault `{0}: false` means nothing; leave the field out")]
    FalseFlag(&'static str),
}

/// The JSON shape of a fault in the control API, e.g. `{"status": 503, "times": 2}`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FaultSpec {
    status: Option<u16>,
    delay_ms: Option<u64>,
    hang: Option<bool>,
    garbage: Option<String>,
    json: Option<Value>,
    huge_bytes: Option<u64>,
    reset: Option<bool>,
    times: Option<u32>,
}

impl TryFrom<FaultSpec> for Fault {
    type Error = FaultSpecError;

    fn try_from(spec: FaultSpec) -> Result<Self, Self::Error> {
        let mut kinds = Vec::new();
        if let Some(code) = spec.status {
            if !(100..=599).contains(&code) {
                return Err(FaultSpecError::BadStatus(code));
            }
            kinds.push(FaultKind::Status(code));
        }
        if let Some(ms) = spec.delay_ms {
            kinds.push(FaultKind::Delay(Duration::from_millis(ms)));
        }
        match spec.hang {
            Some(true) => kinds.push(FaultKind::Hang),
            Some(false) => return Err(FaultSpecError::FalseFlag("hang")),
            None => {}
        }
        if let Some(text) = spec.garbage {
            kinds.push(FaultKind::Garbage(text));
        }
        if let Some(body) = spec.json {
            kinds.push(FaultKind::Json(body));
        }
        if let Some(len) = spec.huge_bytes {
            if len > MAX_HUGE_BYTES {
                return Err(FaultSpecError::TooHuge(len));
            }
            kinds.push(FaultKind::HugeBytes(len));
        }
        match spec.reset {
            Some(true) => kinds.push(FaultKind::Reset),
            Some(false) => return Err(FaultSpecError::FalseFlag("reset")),
            None => {}
        }
        if kinds.len() != 1 {
            return Err(FaultSpecError::KindCount(kinds.len()));
        }
        let kind = kinds.remove(0);
        Ok(Fault {
            kind,
            times: spec.times,
        })
    }
}

/// The active faults, at most one per endpoint.
#[derive(Default)]
pub(crate) struct FaultTable {
    active: Mutex<HashMap<Endpoint, Fault>>,
}

impl FaultTable {
    pub(crate) fn set(&self, endpoint: Endpoint, fault: Fault) {
        self.lock().insert(endpoint, fault);
    }

    pub(crate) fn clear(&self) {
        self.lock().clear();
    }

    /// The fault for this request, if any; counts down `times` and drops a used-up fault.
    pub(crate) fn take(&self, endpoint: Endpoint) -> Option<FaultKind> {
        let mut active = self.lock();
        let fault = active.get_mut(&endpoint)?;
        let kind = fault.kind.clone();
        match fault.times {
            Some(0) => {
                active.remove(&endpoint);
                return None;
            }
            Some(1) => {
                active.remove(&endpoint);
            }
            Some(n) => fault.times = Some(n - 1),
            None => {}
        }
        Some(kind)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Endpoint, Fault>> {
        self.active.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<Fault, FaultSpecError> {
        let spec: FaultSpec = serde_json::from_str(json).expect("spec JSON parses");
        Fault::try_from(spec)
    }

    #[test]
    fn spec_with_times_parses() {
        assert_eq!(
            parse(r#"{"status": 503, "times": 2}"#).ok(),
            Some(Fault::status(503).times(2))
        );
    }

    #[test]
    fn spec_with_two_kinds_is_rejected() {
        assert!(matches!(
            parse(r#"{"status": 503, "hang": true}"#),
            Err(FaultSpecError::KindCount(2))
        ));
        assert!(matches!(parse("{}"), Err(FaultSpecError::KindCount(0))));
    }

    #[test]
    fn impossible_status_is_rejected() {
        assert!(matches!(
            parse(r#"{"status": 999}"#),
            Err(FaultSpecError::BadStatus(999))
        ));
    }

    #[test]
    fn times_limits_how_often_a_fault_applies() {
        let table = FaultTable::default();
        table.set(Endpoint::Token, Fault::status(500).times(2));
        assert_eq!(table.take(Endpoint::Token), Some(FaultKind::Status(500)));
        assert_eq!(table.take(Endpoint::Token), Some(FaultKind::Status(500)));
        assert_eq!(table.take(Endpoint::Token), None);
        assert_eq!(table.take(Endpoint::Jwks), None);
    }
}
