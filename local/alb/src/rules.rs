//! Listener rule selection: lowest priority number first; a rule matches when one of its path
//! patterns matches the path and (if it has host conditions) one host pattern matches the host.

use crate::config::Rule;

pub fn select_rule<'a>(rules: &'a [Rule], path: &str, host: Option<&str>) -> Option<&'a Rule> {
    // Host conditions compare the host name only; the port is not part of it.
    let host_name = host.map(strip_port);
    rules.iter().find(|rule| {
        let path_ok = rule.path_patterns.iter().any(|p| p.matches(path));
        let host_ok = rule.host_headers.is_empty()
            || host_name.is_some_and(|h| rule.host_headers.iter().any(|p| p.matches(h)));
        path_ok && host_ok
    })
}

fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        // IPv6 literal: keep "[...]" and drop a trailing ":port".
        return host.find(']').map_or(host, |end| &host[..=end]);
    }
    host.rsplit_once(':').map_or(host, |(name, _)| name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn config_with_rules(rules: serde_json::Value) -> Config {
        let mut v: serde_json::Value =
            serde_json::from_str(include_str!("../example-config.json")).expect("example json");
        v["rules"] = rules;
        Config::from_json(&v.to_string()).expect("valid config")
    }

    fn forward(priority: u32, patterns: &[&str], hosts: &[&str]) -> serde_json::Value {
        serde_json::json!({
            "priority": priority,
            "path_patterns": patterns,
            "host_headers": hosts,
            "action": {"type": "authenticate-oidc", "on_unauthenticated_request": "allow",
                       "forward": "http://127.0.0.1:1"}
        })
    }

    fn chosen(config: &Config, path: &str, host: Option<&str>) -> Option<u32> {
        select_rule(&config.rules, path, host).map(|r| r.priority)
    }

    #[test]
    fn lowest_priority_number_wins_regardless_of_file_order() {
        let config = config_with_rules(serde_json::json!([
            forward(20, &["*"], &[]),
            forward(5, &["/_auth/*"], &[]),
        ]));
        assert_eq!(chosen(&config, "/_auth/logout", None), Some(5));
        assert_eq!(chosen(&config, "/", None), Some(20));
    }

    #[test]
    fn host_condition_ignores_port_and_case() {
        let config = config_with_rules(serde_json::json!([
            forward(1, &["*"], &["app.example.com"]),
            forward(2, &["/only/*"], &[]),
        ]));
        assert_eq!(chosen(&config, "/", Some("APP.example.com:8080")), Some(1));
        assert_eq!(chosen(&config, "/", Some("other.example.com")), None);
        assert_eq!(chosen(&config, "/only/x", None), Some(2));
        assert_eq!(chosen(&config, "/", Some("[::1]:8080")), None);
    }

    #[test]
    fn example_rules_route_auth_stcore_and_app() {
        let config = config_with_rules(
            serde_json::from_str::<serde_json::Value>(include_str!("../example-config.json"))
                .expect("json")["rules"]
                .clone(),
        );
        assert_eq!(chosen(&config, "/_auth/logout", None), Some(10));
        assert_eq!(chosen(&config, "/_stcore/stream", None), Some(11));
        assert_eq!(chosen(&config, "/", None), Some(12));
        assert_eq!(chosen(&config, "/_stcorex", None), Some(12));
    }
}
