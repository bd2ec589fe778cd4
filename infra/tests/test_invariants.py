"""HCL-level invariants of the gate module and the complete example (see invariants.py)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from conftest import EXAMPLE, INFRA, MODULE, blocks, resources
from invariants import (
    alb_ingress_problems,
    ecs_ingress_problems,
    output_secret_problems,
    priority_offset,
    rule_order_problems,
)

# Keys the lead's binaries read (the contract); the dev-only loopback switch is not among them.
CONTRACT_ENV = {
    "GATE_GOOGLE_CLIENT_PARAM", "GATE_CLIENT_SECRET_PARAM", "GATE_GOOGLE_CLIENT_ID", "GATE_ALLOWED_DOMAINS",
    "GATE_ALLOWED_EMAILS", "GATE_ALLOWED_HOSTS", "GATE_POLICY_PARAM", "GATE_SESSION_COOKIE",
    "GATE_SESSION_SECONDS", "GATE_GOOGLE_ISSUER", "GATE_GOOGLE_TOKEN_URL", "GATE_GOOGLE_JWKS_URL", "RUST_LOG",
}
DEV_SWITCH = "GATE_DEV_" + "ALLOW_HTTP_LOOPBACK"  # split so this file does not contain it


def broken_copy(tmp_path: Path, source: Path, filename: str, old: str, new: str) -> Path:
    """A copy of a directory with one textual change, to prove a check can fail."""
    target = tmp_path / source.name
    shutil.copytree(source, target)
    text = (target / filename).read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {filename}: update the test"
    (target / filename).write_text(text.replace(old, new, 1), encoding="utf-8")
    return target


# --- network: who may reach what


def test_alb_ingress_only_from_allowed_cidrs():
    assert alb_ingress_problems(EXAMPLE) == []


def test_alb_ingress_check_catches_a_literal_cidr(tmp_path):
    broken = broken_copy(tmp_path, EXAMPLE, "alb.tf", "cidr_ipv4         = each.value", 'cidr_ipv4         = "0.0.0.0/0"')
    assert any("allowed_cidrs" in p for p in alb_ingress_problems(broken))


def test_public_internet_needs_explicit_opt_in():
    sg = resources(EXAMPLE, "aws_security_group")["alb"]
    conditions = [c["condition"] for c in sg["lifecycle"][0]["precondition"]]
    assert any("var.allow_public_internet" in c and "0.0.0.0/0" in c for c in conditions)
    cidr_validation = blocks(EXAMPLE, "variable")["allowed_cidrs"]["validation"][0]["condition"]
    assert "cidrhost(" in cidr_validation


def test_ecs_ingress_only_from_the_alb_security_group():
    assert ecs_ingress_problems(EXAMPLE) == []


def test_ecs_ingress_check_catches_a_cidr(tmp_path):
    broken = broken_copy(
        tmp_path, EXAMPLE, "ecs.tf",
        "referenced_security_group_id = aws_security_group.alb.id", 'cidr_ipv4 = "10.0.0.0/8"',
    )
    assert ecs_ingress_problems(broken) != []


def test_alb_drops_invalid_headers_and_uses_tls13():
    for name, lb in resources(EXAMPLE, "aws_lb").items():
        assert lb.get("drop_invalid_header_fields") is True, name
    listeners = resources(EXAMPLE, "aws_lb_listener")
    assert listeners["https"]["ssl_policy"] == "${var.ssl_policy}"
    assert blocks(EXAMPLE, "variable")["ssl_policy"]["default"].startswith("ELBSecurityPolicy-TLS13-")
    assert listeners["http"]["default_action"][0]["redirect"][0]["protocol"] == "HTTPS"


def test_streamlit_target_group_health_check():
    tg = resources(EXAMPLE, "aws_lb_target_group")["streamlit"]
    assert tg["health_check"][0]["path"] == "/_stcore/health"
    assert tg["port"] == "${local.streamlit_port}"
    assert "streamlit_port = 8501" in (EXAMPLE / "main.tf").read_text(encoding="utf-8")


# --- listener rules


def test_auth_routes_rule_comes_before_authenticate_rules():
    assert rule_order_problems(MODULE) == []


def test_rule_order_check_catches_auth_routes_after_authenticate(tmp_path):
    broken = broken_copy(tmp_path, MODULE, "alb.tf", "priority     = var.rule_priority\n", "priority     = var.rule_priority + 5\n")
    assert any("/_auth/*" in p for p in rule_order_problems(broken))


def test_rule_order_check_catches_stcore_redirecting(tmp_path):
    broken = broken_copy(tmp_path, MODULE, "alb.tf", 'on_unauthenticated_request          = "deny"', 'on_unauthenticated_request          = "authenticate"')
    assert any("want deny" in p for p in rule_order_problems(broken))


@pytest.mark.parametrize("expr,offset", [("${var.rule_priority}", 0), ("${var.rule_priority + 2}", 2), ("${10}", None)])
def test_priority_offset(expr, offset):
    assert priority_offset(expr) == offset


def test_oidc_endpoints_and_session():
    text = (MODULE / "alb.tf").read_text(encoding="utf-8")
    assert 'token_endpoint     = "${aws_lambda_function_url.callback.function_url}token"' in text
    assert 'user_info_endpoint = "${aws_lambda_function_url.authorizer.function_url}userinfo"' in text
    assert 'issuer                 = "https://accounts.google.com"' in text
    for name, rule in resources(MODULE, "aws_lb_listener_rule").items():
        for action in rule["action"]:
            for oidc in action.get("authenticate_oidc", []):
                assert oidc["session_timeout"] == "${var.session_seconds}", name
                assert oidc["client_secret"] == "${local.oidc.client_secret}", name
    assert blocks(MODULE, "variable")["session_seconds"]["default"] == 43200


def test_authorizer_target_group_is_lambda_with_multi_value_headers():
    tg = resources(MODULE, "aws_lb_target_group")["authorizer"]
    assert tg["target_type"] == "lambda" and tg["lambda_multi_value_headers_enabled"] is True
    permission = resources(MODULE, "aws_lambda_permission")["alb_invoke_authorizer"]
    assert permission["principal"] == "elasticloadbalancing.amazonaws.com"
    assert permission["source_arn"] == "${aws_lb_target_group.authorizer.arn}"


# --- functions


def test_functions_are_arm64_al2023_with_short_timeouts():
    functions = resources(MODULE, "aws_lambda_function")
    assert set(functions) == {"callback", "authorizer"}
    for name, fn in functions.items():
        assert fn["architectures"] == ["arm64"], name
        assert fn["runtime"] == "provided.al2023" and fn["handler"] == "bootstrap", name
        assert fn["reserved_concurrent_executions"].startswith("${var."), name
    assert functions["callback"]["timeout"] == 10 and functions["authorizer"]["timeout"] == 5
    for url in resources(MODULE, "aws_lambda_function_url").values():
        assert url["authorization_type"] == "NONE"


def test_environment_matches_the_contract():
    text = (MODULE / "main.tf").read_text(encoding="utf-8")
    keys = set(re.findall(r"\b(GATE_[A-Z_]+|RUST_LOG)\s*=", text))
    assert keys and keys <= CONTRACT_ENV, keys - CONTRACT_ENV
    env = {"callback": "local.callback_env", "authorizer": "local.authorizer_env"}
    for name, fn in resources(MODULE, "aws_lambda_function").items():
        assert fn["environment"][0]["variables"] == "${" + env[name] + "}"
    authorizer_part = text.split("authorizer_env = ")[1].split("\n  }")[0]
    callback_part = text.split("callback_env = ")[1].split("\n  }")[0]
    assert "GATE_GOOGLE_CLIENT_ID" in authorizer_part and "GATE_GOOGLE_CLIENT_PARAM" not in authorizer_part
    assert "GATE_CLIENT_SECRET_PARAM" in callback_part and "GATE_GOOGLE_CLIENT_PARAM" in callback_part


def test_dev_loopback_switch_is_never_set_anywhere_under_infra():
    offenders = [
        str(p.relative_to(INFRA))
        for p in INFRA.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and DEV_SWITCH in p.read_text(encoding="utf-8", errors="replace")
    ]
    assert offenders == []


def test_only_callback_reads_the_google_client_json():
    policies = resources(MODULE, "aws_iam_policy_document", kind="data")
    callback_ssm = [s for s in policies["callback"]["statement"] if s["actions"] == ["ssm:GetParameter"]]
    assert "local.google_client_param_arn" in str(callback_ssm) and "local.gate_secret_param_arn" in str(callback_ssm)
    assert "google_client_param_arn" not in str(policies["authorizer"])
    assert "gate_secret_param_arn" not in str(policies["authorizer"])
    for name in ("callback", "authorizer"):
        text = str(policies[name])
        assert '"*"' not in text and "'*'" not in text, f"{name} policy has a wildcard resource"
        assert "kms:ViaService" in text and "ssm.${data.aws_region.current.region}.amazonaws.com" in text


def test_log_groups_have_validated_retention():
    for directory in (MODULE, EXAMPLE):
        for name, group in resources(directory, "aws_cloudwatch_log_group").items():
            assert group.get("retention_in_days") == "${var.log_retention_days}", name
    validation = blocks(MODULE, "variable")["log_retention_days"]["validation"][0]["condition"]
    assert "contains([1, 3, 5, 7, 14, 30" in validation and "3653]" in validation
    for name, fn in resources(MODULE, "aws_lambda_function").items():
        assert fn["logging_config"][0]["log_group"] == f"${{aws_cloudwatch_log_group.{name}.name}}"


def test_gate_secret_is_a_secure_string_from_random_password():
    param = resources(MODULE, "aws_ssm_parameter")["gate_client_secret"]
    assert param["type"] == "SecureString"
    assert param["value"] == "${random_password.gate_client_secret.result}"


def test_provider_pins_need_the_function_url_permission_fix():
    for directory in (MODULE, EXAMPLE):
        text = (directory / "versions.tf").read_text(encoding="utf-8")
        assert '">= 6.28.0, < 7.0.0"' in text, directory


# --- outputs


def test_no_secret_in_outputs():
    assert output_secret_problems(MODULE, EXAMPLE) == []


def test_secret_output_check_catches_the_gate_secret(tmp_path):
    broken = broken_copy(
        tmp_path, MODULE, "outputs.tf",
        "value       = aws_ssm_parameter.gate_client_secret.name", "value       = aws_ssm_parameter.gate_client_secret.value",
    )
    assert output_secret_problems(broken) != []


def test_redirect_uris_output_lists_every_allowed_host():
    text = (MODULE / "main.tf").read_text(encoding="utf-8")
    assert 'redirect_uris = [for h in var.allowed_hosts : "https://${h}/oauth2/idpresponse"]' in text
    assert blocks(MODULE, "output")["redirect_uris"]["value"] == "${local.redirect_uris}"
    assert blocks(EXAMPLE, "output")["redirect_uris"]["value"] == "${module.gate.redirect_uris}"


def test_example_defaults_zip_paths_to_the_cargo_lambda_output():
    text = (EXAMPLE / "main.tf").read_text(encoding="utf-8")
    assert '"${local.repo_root}/target/lambda/callback/bootstrap.zip"' in text
    assert '"${local.repo_root}/target/lambda/authorizer/bootstrap.zip"' in text
    assert 'repo_root           = "${path.root}/../../.."' in text
    assert 'backend "s3" {}' in (EXAMPLE / "versions.tf").read_text(encoding="utf-8")
