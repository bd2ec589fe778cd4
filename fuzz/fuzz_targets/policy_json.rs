//! The policy document parser (`Policy::merge_document`, the `GATE_POLICY_PARAM` parameter),
//! then a decision for every host it names. No input may panic.
#![no_main]

use gate::policy::{Identity, Policy, Rule};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(default) = Rule::new(["example.com"], ["carol@contractor.io"], "fuzz") else {
        return;
    };
    let mut policy = Policy::new(default);
    if policy.merge_document(text, "/gate/policy").is_err() {
        return;
    }
    let outsider = Identity {
        email: Some("mallory@evil.invalid"),
        email_verified: true,
        hd: Some("evil.invalid"),
    };
    let hosts: Vec<String> = policy.hosts().map(str::to_owned).collect();
    for host in &hosts {
        let _ = policy.decide_for_host(&outsider, host);
    }
    let _ = policy.decide_any_host(&outsider);
    let _ = policy.allows_nobody();
});
