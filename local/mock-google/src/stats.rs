//! Request counts per endpoint, so tests can assert e.g. "JWKS fetched at most once".

use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

use crate::faults::Endpoint;

/// A snapshot of request counts since start (or the last reset).
/// Every request counts, including ones answered with an error or a fault.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Stats {
    pub discovery: u64,
    pub authorize: u64,
    pub choose: u64,
    pub token: u64,
    pub jwks: u64,
    pub userinfo: u64,
    /// Requests that got an injected fault.
    pub faults_applied: u64,
}

impl Stats {
    pub fn get(&self, endpoint: Endpoint) -> u64 {
        match endpoint {
            Endpoint::Discovery => self.discovery,
            Endpoint::Authorize => self.authorize,
            Endpoint::Choose => self.choose,
            Endpoint::Token => self.token,
            Endpoint::Jwks => self.jwks,
            Endpoint::Userinfo => self.userinfo,
        }
    }
}

#[derive(Default)]
pub(crate) struct Counters {
    per_endpoint: [AtomicU64; Endpoint::ALL.len()],
    faults_applied: AtomicU64,
}

impl Counters {
    pub(crate) fn hit(&self, endpoint: Endpoint) {
        self.slot(endpoint).fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn fault_applied(&self) {
        self.faults_applied.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> Stats {
        let get = |e| self.slot(e).load(Ordering::Relaxed);
        Stats {
            discovery: get(Endpoint::Discovery),
            authorize: get(Endpoint::Authorize),
            choose: get(Endpoint::Choose),
            token: get(Endpoint::Token),
            jwks: get(Endpoint::Jwks),
            userinfo: get(Endpoint::Userinfo),
            faults_applied: self.faults_applied.load(Ordering::Relaxed),
        }
    }

    pub(crate) fn reset(&self) {
        for slot in &self.per_endpoint {
            slot.store(0, Ordering::Relaxed);
        }
        self.faults_applied.store(0, Ordering::Relaxed);
    }

    fn slot(&self, endpoint: Endpoint) -> &AtomicU64 {
        // Discriminants are 0..ALL.len() in declaration order.
        &self.per_endpoint[endpoint as usize]
    }
}
