use super::*;

fn company_policy() -> Policy {
    Policy::new(Rule::new(["example.com"], ["carol@contractor.io"], "test").unwrap())
}

fn who<'a>(email: &'a str, hd: Option<&'a str>) -> Identity<'a> {
    Identity {
        email: Some(email),
        email_verified: true,
        hd,
    }
}

fn decide(email: &str, hd: Option<&str>) -> Decision {
    company_policy().decide_for_host(&who(email, hd), "app.example.com")
}

#[test]
fn allow_workspace_user_of_allowed_domain() {
    assert_eq!(
        decide("alice@example.com", Some("example.com")),
        Decision::Allow(AllowReason::WorkspaceDomain)
    );
}

#[test]
fn allow_allowlisted_external_email() {
    assert_eq!(
        decide("carol@contractor.io", None),
        Decision::Allow(AllowReason::AllowlistedEmail)
    );
}

#[test]
fn allowlisted_email_matches_case_insensitively() {
    assert!(decide("Carol@Contractor.IO", None).is_allowed());
}

#[test]
fn deny_company_email_without_hd() {
    assert_eq!(
        decide("mallory@example.com", None),
        Decision::Deny(DenyReason::MissingHd)
    );
}

#[test]
fn deny_consumer_account() {
    assert_eq!(
        decide("bob@gmail.com", None),
        Decision::Deny(DenyReason::DomainNotAllowed)
    );
}

#[test]
fn deny_hd_of_another_domain() {
    assert_eq!(
        decide("eve@other.com", Some("other.com")),
        Decision::Deny(DenyReason::HdNotAllowed)
    );
}

#[test]
fn deny_allowed_hd_with_email_of_another_domain() {
    assert_eq!(
        decide("eve@evil.io", Some("example.com")),
        Decision::Deny(DenyReason::HdEmailMismatch)
    );
}

#[test]
fn deny_email_not_verified_even_when_allowlisted() {
    let unverified = Identity {
        email_verified: false,
        ..who("carol@contractor.io", None)
    };
    assert_eq!(
        company_policy().decide_for_host(&unverified, "app.example.com"),
        Decision::Deny(DenyReason::EmailNotVerified)
    );
    let unverified_workspace = Identity {
        email_verified: false,
        ..who("alice@example.com", Some("example.com"))
    };
    assert_eq!(
        company_policy()
            .decide_for_host(&unverified_workspace, "app.example.com")
            .reason(),
        "email_not_verified"
    );
}

#[test]
fn deny_missing_or_malformed_email() {
    let policy = company_policy();
    for email in [
        None,
        Some(""),
        Some("no-at-sign"),
        Some("a@b@example.com"),
        Some("@example.com"),
    ] {
        let identity = Identity {
            email,
            email_verified: true,
            hd: Some("example.com"),
        };
        assert_eq!(
            policy.decide_for_host(&identity, "h"),
            Decision::Deny(DenyReason::MissingEmail),
            "{email:?}"
        );
    }
}

#[test]
fn upper_case_domain_and_hd_are_the_same_domain() {
    assert!(decide("Alice@EXAMPLE.COM", Some("Example.Com")).is_allowed());
}

#[test]
fn look_alike_and_sub_domains_are_different_domains() {
    for (email, hd) in [
        ("a@example.com.evil.io", "example.com.evil.io"),
        ("a@evil-example.com", "evil-example.com"),
        ("a@sub.example.com", "sub.example.com"),
        ("a@examp1e.com", "examp1e.com"),
        ("a@example.co", "example.co"),
        ("a@xn--exmple-cua.com", "xn--exmple-cua.com"),
    ] {
        assert_eq!(
            decide(email, Some(hd)),
            Decision::Deny(DenyReason::HdNotAllowed),
            "{email}"
        );
    }
}

#[test]
fn unicode_look_alike_email_is_not_an_email_of_the_domain() {
    // Cyrillic 'а' in "exаmple.com": never equal to the ASCII domain.
    assert!(!decide("a@ex\u{0430}mple.com", Some("example.com")).is_allowed());
}

#[test]
fn allowlist_is_exact_not_a_domain_rule() {
    assert_eq!(
        decide("dan@contractor.io", None),
        Decision::Deny(DenyReason::DomainNotAllowed)
    );
}

#[test]
fn host_rule_replaces_the_default_for_that_host() {
    let mut policy = company_policy();
    policy
        .merge_document(
            r#"{"hosts": {"Finance.Example.com": {"allowed_emails": ["auditor@audit.io"]}}}"#,
            "GATE_POLICY_PARAM",
        )
        .unwrap();
    let alice = who("alice@example.com", Some("example.com"));
    let auditor = who("auditor@audit.io", None);
    assert!(
        !policy
            .decide_for_host(&alice, "finance.example.com")
            .is_allowed()
    );
    assert!(
        policy
            .decide_for_host(&auditor, "FINANCE.example.com")
            .is_allowed()
    );
    assert!(
        !policy
            .decide_for_host(&auditor, "app.example.com")
            .is_allowed()
    );
    assert!(
        policy
            .decide_for_host(&alice, "app.example.com")
            .is_allowed()
    );
    // Without a host (userinfo), any rule that allows is enough.
    assert!(policy.decide_any_host(&auditor).is_allowed());
    assert!(
        !policy
            .decide_any_host(&who("bob@gmail.com", None))
            .is_allowed()
    );
}

#[test]
fn document_top_level_lists_extend_the_default() {
    let mut policy = company_policy();
    policy
        .merge_document(r#"{"allowed_domains": ["Corp.Example"]}"#, "p")
        .unwrap();
    assert!(
        policy
            .decide_for_host(&who("x@corp.example", Some("corp.example")), "h")
            .is_allowed()
    );
    assert!(decide("alice@example.com", Some("example.com")).is_allowed());
}

#[test]
fn document_with_unknown_field_names_it() {
    let err = company_policy()
        .merge_document(r#"{"allowed_domain": ["example.com"]}"#, "/gate/policy")
        .unwrap_err();
    let message = err.to_string();
    assert!(message.contains("/gate/policy"), "{message}");
    assert!(message.contains("allowed_domain"), "{message}");
}

#[test]
fn document_with_bad_entry_names_the_host_and_value() {
    let err = company_policy()
        .merge_document(
            r#"{"hosts": {"app.example.com": {"allowed_domains": ["@example.com"]}}}"#,
            "p",
        )
        .unwrap_err();
    assert_eq!(
        err,
        PolicyError::InvalidDomain {
            field: "p: hosts.app.example.com".into(),
            value: "@example.com".into()
        }
    );
}

#[test]
fn invalid_settings_entries_are_rejected() {
    for domain in [
        "@example.com",
        "https://example.com",
        "example",
        "exa mple.com",
        ".example.com",
        "",
    ] {
        assert!(
            normalize_domain(domain, "GATE_ALLOWED_DOMAINS").is_err(),
            "{domain:?}"
        );
    }
    for email in ["example.com", "a@", "@b.com", "a b@c.com"] {
        assert!(
            normalize_email(email, "GATE_ALLOWED_EMAILS").is_err(),
            "{email:?}"
        );
    }
    for host in [
        "https://app.example.com",
        "app.example.com/x",
        "app.example.com:0",
        "app.example.com:99999",
        "[::1",
        "",
    ] {
        assert!(
            normalize_host(host, "GATE_ALLOWED_HOSTS").is_err(),
            "{host:?}"
        );
    }
    assert_eq!(normalize_host("[::1]:8080", "h").unwrap(), "[::1]:8080");
    assert_eq!(normalize_host("[::1]", "h").unwrap(), "[::1]");
    assert_eq!(
        normalize_host("App.Example.com", "h").unwrap(),
        "app.example.com"
    );
    assert_eq!(
        normalize_host("127.0.0.1:8080", "h").unwrap(),
        "127.0.0.1:8080"
    );
}

#[test]
fn empty_policy_allows_nobody() {
    assert!(Policy::default().allows_nobody());
    assert!(!company_policy().allows_nobody());
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    fn random_case(text: &str, flips: &[bool]) -> String {
        text.chars()
            .zip(flips.iter().cycle())
            .map(|(c, &upper)| if upper { c.to_ascii_uppercase() } else { c })
            .collect()
    }

    proptest! {
        #[test]
        fn decisions_ignore_case(
            local in "[a-z]{1,8}",
            domain in prop::sample::select(vec!["example.com", "gmail.com", "contractor.io", "evil-example.com"]),
            with_hd in any::<bool>(),
            flips in prop::collection::vec(any::<bool>(), 1..16),
        ) {
            let email = format!("{local}@{domain}");
            let upper_email = random_case(&email, &flips);
            let upper_domain = random_case(domain, &flips);
            let plain = decide(&email, with_hd.then_some(domain));
            let cased = decide(&upper_email, with_hd.then_some(upper_domain.as_str()));
            prop_assert_eq!(plain, cased);
        }

        #[test]
        fn never_allows_an_unlisted_domain_unless_the_email_is_listed(
            local in "[a-z0-9.]{1,10}",
            domain in "[a-z]{1,10}\\.(com|io|net)",
            hd in prop::option::of("[a-z]{1,10}\\.(com|io|net)"),
        ) {
            let email = format!("{local}@{domain}");
            let decision = decide(&email, hd.as_deref());
            if decision.is_allowed() {
                prop_assert!(domain == "example.com" || email == "carol@contractor.io");
            }
        }
    }
}
