"""What the local stack configures: the mock Google client, the ALB emulator's listener rules,
and the gate Lambdas' environment. Pure functions, unit-tested in local/tests/."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Sequence

from stack_processes import StackError

# The mock Google OAuth client (from local/mock-google/accounts.json; not a real secret).
GOOGLE_CLIENT_ID = "local-demo-client.apps.googleusercontent.com"
GOOGLE_CLIENT_SECRET = "local-demo-google-secret"
SIGNER_ARN = "arn:aws:elasticloadbalancing:local:000000000000:loadbalancer/app/gate-local/0000000000000000"
AUTHORIZER_TARGET_GROUP_ARN = (
    "arn:aws:elasticloadbalancing:local:000000000000:targetgroup/gate-authorizer/0000000000000000"
)
SESSION_COOKIE = "AWSELBAuthSessionCookie"
SSM_REGION = "us-east-1"
GOOGLE_CLIENT_PARAM = "/streamlit/oauth"
GATE_SECRET_PARAM = "/streamlit/gate-client-secret"
ALLOWED_DOMAINS = "example.com"
ALLOWED_EMAILS = "carol@contractor.io"
DEFAULT_SESSION_SECONDS = 43200

# What each mock account demonstrates; printed by `demo`, asserted by the e2e tests.
TEST_ACCOUNTS = (
    ("alice@example.com", "allowed", "Workspace user of example.com (hd=example.com)"),
    ("carol@contractor.io", "allowed", "outside address on the allowlist"),
    ("bob@gmail.com", "denied", "consumer Google account (ALB error page 561)"),
    ("mallory@example.com", "denied", "company address on a personal account: no hd claim"),
    ("dave@example.com", "denied", "email address not verified"),
)


def google_client_json(mock_google_url: str, redirect_uris: Sequence[str]) -> dict:
    """The mock OAuth client in the format Google's console downloads (`client_secret_*.json`)."""
    return {
        "web": {
            "client_id": GOOGLE_CLIENT_ID,
            "project_id": "gate-local",
            "auth_uri": f"{mock_google_url}/o/oauth2/v2/auth",
            "token_uri": f"{mock_google_url}/token",
            "auth_provider_x509_cert_url": f"{mock_google_url}/oauth2/v3/certs",
            "client_secret": GOOGLE_CLIENT_SECRET,
            "redirect_uris": list(redirect_uris),
        }
    }


def redirect_uris(alb_ports: Iterable[int]) -> list[str]:
    return [
        f"http://{host}:{port}/oauth2/idpresponse" for port in alb_ports for host in ("127.0.0.1", "localhost")
    ]


def allowed_hosts(alb_ports: Iterable[int]) -> str:
    return ",".join(f"{host}:{port}" for port in alb_ports for host in ("127.0.0.1", "localhost"))


def alb_config(
    *,
    listen_port: int,
    allowed_cidrs: Sequence[str],
    mock_google_url: str,
    watch_url: str,
    gate_client_secret: str,
    app_url: str,
    session_timeout_seconds: int,
) -> dict:
    """The ALB emulator's config: the same listener rules as the Terraform module."""

    def authenticate(on_unauthenticated: str) -> dict:
        return {"type": "authenticate-oidc", "on_unauthenticated_request": on_unauthenticated, "forward": app_url}

    return {
        "listen": f"127.0.0.1:{listen_port}",
        "public_keys_listen": "127.0.0.1:0",
        "allowed_cidrs": list(allowed_cidrs),
        "signer_arn": SIGNER_ARN,
        "oidc": {
            "issuer": mock_google_url,
            "authorization_endpoint": f"{mock_google_url}/o/oauth2/v2/auth",
            "token_endpoint": f"{watch_url}/lambda-url/callback/token",
            "user_info_endpoint": f"{watch_url}/lambda-url/authorizer/userinfo",
            "client_id": GOOGLE_CLIENT_ID,
            "client_secret": gate_client_secret,
            "scope": "openid email profile",
            "session_cookie_name": SESSION_COOKIE,
            "session_timeout_seconds": session_timeout_seconds,
            "authentication_request_extra_params": {"prompt": "select_account", "hd": ALLOWED_DOMAINS},
        },
        "rules": [
            {
                "priority": 10,
                "path_patterns": ["/_auth/*"],
                "action": {
                    "type": "lambda",
                    "invoke_url": f"{watch_url}/2015-03-31/functions/authorizer/invocations",
                    "target_group_arn": AUTHORIZER_TARGET_GROUP_ARN,
                    "multi_value_headers": True,
                },
            },
            # Streamlit's XHR/websocket paths get 401 instead of a redirect they cannot follow.
            {"priority": 11, "path_patterns": ["/_stcore/*"], "action": authenticate("deny")},
            {"priority": 12, "path_patterns": ["*"], "action": authenticate("authenticate")},
        ],
    }


def gate_environment(
    *,
    mock_google_url: str,
    moto_url: str,
    alb_ports: Iterable[int],
    session_seconds: int,
    rust_log: str,
) -> dict[str, str]:
    """Environment of both Lambdas under `cargo lambda watch` (what Terraform sets on AWS, plus the
    dev-only loopback allowance and the local endpoints)."""
    return {
        "GATE_GOOGLE_CLIENT_PARAM": GOOGLE_CLIENT_PARAM,
        "GATE_CLIENT_SECRET_PARAM": GATE_SECRET_PARAM,
        "GATE_GOOGLE_CLIENT_ID": GOOGLE_CLIENT_ID,
        "GATE_ALLOWED_DOMAINS": ALLOWED_DOMAINS,
        "GATE_ALLOWED_EMAILS": ALLOWED_EMAILS,
        "GATE_ALLOWED_HOSTS": allowed_hosts(alb_ports),
        "GATE_SESSION_COOKIE": SESSION_COOKIE,
        "GATE_SESSION_SECONDS": str(session_seconds),
        "GATE_DEV_ALLOW_HTTP_LOOPBACK": "true",
        "GATE_GOOGLE_ISSUER": mock_google_url,
        "GATE_GOOGLE_TOKEN_URL": f"{mock_google_url}/token",
        "GATE_GOOGLE_JWKS_URL": f"{mock_google_url}/oauth2/v3/certs",
        "AWS_ENDPOINT_URL": moto_url,
        "AWS_REGION": SSM_REGION,
        "AWS_DEFAULT_REGION": SSM_REGION,
        "AWS_ACCESS_KEY_ID": "local-dummy-key-id",
        "AWS_SECRET_ACCESS_KEY": "local-dummy-secret-key",
        "RUST_LOG": rust_log,
    }


def write_env_file(path: Path, env: dict[str, str]) -> None:
    """`KEY=VALUE` lines for `cargo lambda watch --env-file` (its `--env-var` splits on commas,
    which GATE_ALLOWED_HOSTS needs)."""
    lines = []
    for key, value in env.items():
        if "\n" in value or "\r" in value:
            raise StackError(f"environment variable {key} has a line break; --env-file cannot carry it")
        lines.append(f"{key}={value}")
    path.write_text("\n".join(lines) + "\n")

