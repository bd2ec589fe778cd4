//! Who may pass: the email-domain policy shared by both Lambdas.
//!
//! Allow only when `email_verified` is true **and** either the Workspace domain (`hd`) is an
//! allowed domain and the email belongs to it, or the email itself is allowlisted. An email in
//! an allowed domain without `hd` is a personal Google account carrying a company address and is
//! denied. Domains match exactly (no suffix match), case-insensitively.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use thiserror::Error;

/// The identity facts the policy looks at, taken from a verified ID token.
#[derive(Debug, Clone, Copy)]
pub struct Identity<'a> {
    pub email: Option<&'a str>,
    pub email_verified: bool,
    pub hd: Option<&'a str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow(AllowReason),
    Deny(DenyReason),
}

impl Decision {
    pub fn is_allowed(self) -> bool {
        matches!(self, Decision::Allow(_))
    }

    /// The stable reason code written to the audit log.
    pub fn reason(self) -> &'static str {
        match self {
            Decision::Allow(reason) => reason.code(),
            Decision::Deny(reason) => reason.code(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AllowReason {
    WorkspaceDomain,
    AllowlistedEmail,
}

impl AllowReason {
    pub fn code(self) -> &'static str {
        match self {
            AllowReason::WorkspaceDomain => "workspace_domain",
            AllowReason::AllowlistedEmail => "allowlisted_email",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DenyReason {
    EmailNotVerified,
    MissingEmail,
    MissingHd,
    HdNotAllowed,
    HdEmailMismatch,
    DomainNotAllowed,
}

impl DenyReason {
    pub fn code(self) -> &'static str {
        match self {
            DenyReason::EmailNotVerified => "email_not_verified",
            DenyReason::MissingEmail => "missing_email",
            DenyReason::MissingHd => "missing_hd",
            DenyReason::HdNotAllowed => "hd_not_allowed",
            DenyReason::HdEmailMismatch => "hd_email_mismatch",
            DenyReason::DomainNotAllowed => "domain_not_allowed",
        }
    }
}

/// One list of allowed Workspace domains and allowlisted emails, stored lower-case.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rule {
    domains: BTreeSet<String>,
    emails: BTreeSet<String>,
}

impl Rule {
    /// Builds a rule, validating every entry. `field` names the setting in errors.
    pub fn new<D, E>(domains: D, emails: E, field: &str) -> Result<Self, PolicyError>
    where
        D: IntoIterator,
        D::Item: AsRef<str>,
        E: IntoIterator,
        E::Item: AsRef<str>,
    {
        let mut rule = Rule::default();
        for domain in domains {
            rule.domains
                .insert(normalize_domain(domain.as_ref(), field)?);
        }
        for email in emails {
            rule.emails.insert(normalize_email(email.as_ref(), field)?);
        }
        Ok(rule)
    }

    pub fn is_empty(&self) -> bool {
        self.domains.is_empty() && self.emails.is_empty()
    }

    /// Everything either rule allows.
    pub fn union(mut self, other: Rule) -> Rule {
        self.merge(other);
        self
    }

    fn merge(&mut self, other: Rule) {
        self.domains.extend(other.domains);
        self.emails.extend(other.emails);
    }

    pub fn domains(&self) -> impl Iterator<Item = &str> {
        self.domains.iter().map(String::as_str)
    }

    pub fn emails(&self) -> impl Iterator<Item = &str> {
        self.emails.iter().map(String::as_str)
    }

    fn decide(&self, identity: &Identity<'_>) -> Decision {
        if !identity.email_verified {
            return Decision::Deny(DenyReason::EmailNotVerified);
        }
        let Some((email, email_domain)) = identity.email.and_then(split_email) else {
            return Decision::Deny(DenyReason::MissingEmail);
        };
        if self.emails.contains(&email) {
            return Decision::Allow(AllowReason::AllowlistedEmail);
        }
        match identity.hd.map(str::to_ascii_lowercase) {
            Some(hd) if !self.domains.contains(&hd) => Decision::Deny(DenyReason::HdNotAllowed),
            Some(hd) if hd != email_domain => Decision::Deny(DenyReason::HdEmailMismatch),
            Some(_) => Decision::Allow(AllowReason::WorkspaceDomain),
            None if self.domains.contains(&email_domain) => Decision::Deny(DenyReason::MissingHd),
            None => Decision::Deny(DenyReason::DomainNotAllowed),
        }
    }
}

/// The whole policy: a default rule plus optional rules per application host.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    default: Rule,
    hosts: BTreeMap<String, Rule>,
}

impl Policy {
    pub fn new(default: Rule) -> Self {
        Self {
            default,
            hosts: BTreeMap::new(),
        }
    }

    /// Decision for a sign-in to `host` (the `redirect_uri` host). A host with its own rule
    /// uses only that rule; other hosts use the default rule.
    pub fn decide_for_host(&self, identity: &Identity<'_>, host: &str) -> Decision {
        self.rule_for(host).decide(identity)
    }

    /// Decision when the host is unknown (the userinfo call carries none): the identity must be
    /// allowed by the default rule or by some host's rule. The host-specific decision was
    /// already taken by the token endpoint.
    pub fn decide_any_host(&self, identity: &Identity<'_>) -> Decision {
        let first = self.default.decide(identity);
        if first.is_allowed() {
            return first;
        }
        self.hosts
            .values()
            .map(|rule| rule.decide(identity))
            .find(|decision| decision.is_allowed())
            .unwrap_or(first)
    }

    fn rule_for(&self, host: &str) -> &Rule {
        self.hosts
            .get(&host.to_ascii_lowercase())
            .unwrap_or(&self.default)
    }

    /// Hosts that carry their own rule.
    pub fn hosts(&self) -> impl Iterator<Item = &str> {
        self.hosts.keys().map(String::as_str)
    }

    pub fn default_rule(&self) -> &Rule {
        &self.default
    }

    /// True when nobody at all could be allowed: a misconfiguration to refuse at start.
    pub fn allows_nobody(&self) -> bool {
        self.default.is_empty() && self.hosts.values().all(Rule::is_empty)
    }

    /// Merges the JSON policy document (`GATE_POLICY_PARAM`) into this policy: its top-level
    /// lists extend the default rule; its `hosts` add per-host rules.
    pub fn merge_document(&mut self, json: &str, source: &str) -> Result<(), PolicyError> {
        let document: PolicyDocument =
            serde_json::from_str(json).map_err(|err| PolicyError::Document {
                source_name: source.to_owned(),
                detail: err.to_string(),
            })?;
        self.default.merge(Rule::new(
            &document.allowed_domains,
            &document.allowed_emails,
            source,
        )?);
        for (host, rule) in document.hosts {
            let field = format!("{source}: hosts.{host}");
            let host = normalize_host(&host, &field)?;
            let rule = Rule::new(&rule.allowed_domains, &rule.allowed_emails, &field)?;
            self.hosts.entry(host).or_default().merge(rule);
        }
        Ok(())
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyDocument {
    #[serde(default)]
    allowed_domains: Vec<String>,
    #[serde(default)]
    allowed_emails: Vec<String>,
    #[serde(default)]
    hosts: BTreeMap<String, HostRuleDocument>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HostRuleDocument {
    #[serde(default)]
    allowed_domains: Vec<String>,
    #[serde(default)]
    allowed_emails: Vec<String>,
}

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum PolicyError {
    #[error(
        "{field}: {value:?} is not a domain name (expected e.g. example.com, without @ or scheme)"
    )]
    InvalidDomain { field: String, value: String },
    #[error("{field}: {value:?} is not an email address (expected e.g. someone@example.com)")]
    InvalidEmail { field: String, value: String },
    #[error("{field}: {value:?} is not a host (expected e.g. app.example.com or 127.0.0.1:8080)")]
    InvalidHost { field: String, value: String },
    #[error("{source_name}: invalid policy JSON: {detail}")]
    Document { source_name: String, detail: String },
}

/// Lower-cases and validates a DNS domain name such as `example.com`.
pub fn normalize_domain(value: &str, field: &str) -> Result<String, PolicyError> {
    let domain = value.trim().to_ascii_lowercase();
    if is_domain(&domain) {
        Ok(domain)
    } else {
        Err(PolicyError::InvalidDomain {
            field: field.to_owned(),
            value: value.to_owned(),
        })
    }
}

/// Lower-cases and validates an email address used in an allowlist.
pub fn normalize_email(value: &str, field: &str) -> Result<String, PolicyError> {
    match split_email(value.trim()) {
        Some((email, _)) => Ok(email),
        None => Err(PolicyError::InvalidEmail {
            field: field.to_owned(),
            value: value.to_owned(),
        }),
    }
}

/// Lower-cases and validates a host, optionally with a port (`app.example.com`, `127.0.0.1:8080`).
pub fn normalize_host(value: &str, field: &str) -> Result<String, PolicyError> {
    let host = value.trim().to_ascii_lowercase();
    // `[::1]` has colons of its own; only a colon after the closing bracket starts a port.
    let (name, port) = match host.rsplit_once(':') {
        Some((name, port)) if !host.ends_with(']') => (name, Some(port)),
        _ => (host.as_str(), None),
    };
    let valid = is_host_name(name) && port.is_none_or(|p| p.parse::<u16>().is_ok_and(|p| p > 0));
    if valid {
        Ok(host)
    } else {
        Err(PolicyError::InvalidHost {
            field: field.to_owned(),
            value: value.to_owned(),
        })
    }
}

fn is_host_name(name: &str) -> bool {
    matches!(name, "[::1]" | "localhost")
        || is_domain(name)
        || name.parse::<std::net::Ipv4Addr>().is_ok()
}

/// `local@domain` with exactly one `@` and a valid domain → (lower-cased email, domain).
fn split_email(email: &str) -> Option<(String, String)> {
    let email = email.to_ascii_lowercase();
    let (local, domain) = email.split_once('@')?;
    let valid = !local.is_empty()
        && !domain.contains('@')
        && local.len() <= 64
        && !local.chars().any(|c| c.is_whitespace() || c.is_control())
        && is_domain(domain);
    valid.then(|| (email.clone(), domain.to_owned()))
}

fn is_domain(domain: &str) -> bool {
    domain.len() <= 253
        && domain.contains('.')
        && domain.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
}

#[cfg(test)]
mod tests;
