"""The gate's token endpoint (`callback`) written the way a Python team would ship it.

For the benchmarks only (bench/README.md): same contract, same checks, same configuration as the
Rust function, so `make bench` can measure both with one harness. Started by awslambdaric
(`python -m awslambdaric handler.lambda_handler`), as on a custom Python image.

Libraries a Python team would pick: boto3 (SSM), requests (Google's token endpoint), PyJWT with
`PyJWKClient` (JWKS fetch and cache, RS256 verification). Clients and configuration live at module
level so warm invocations reuse them. Per-host policy documents (GATE_POLICY_PARAM) are not
implemented: the benchmark does not use them.
"""

from __future__ import annotations

import base64
import hmac
import json
import os
import time
from urllib.parse import parse_qsl, unquote_plus

import boto3
import jwt
import requests

GOOGLE_ISSUERS = ("https://accounts.google.com", "accounts.google.com")
GOOGLE_TIMEOUT_SECONDS = 4
LEEWAY_SECONDS = 60
IDP_RESPONSE_PATH = "/oauth2/idpresponse"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")


def _env_list(name: str) -> set[str]:
    return {item.strip().lower() for item in os.environ.get(name, "").split(",") if item.strip()}


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes")


# ---- configuration: read once per execution environment (init phase)
ALLOWED_DOMAINS = _env_list("GATE_ALLOWED_DOMAINS")
ALLOWED_EMAILS = _env_list("GATE_ALLOWED_EMAILS")
ALLOWED_HOSTS = _env_list("GATE_ALLOWED_HOSTS")
SESSION_SECONDS = int(os.environ.get("GATE_SESSION_SECONDS", "43200"))
DEV_ALLOW_HTTP_LOOPBACK = _env_flag("GATE_DEV_ALLOW_HTTP_LOOPBACK")
ISSUER = os.environ.get("GATE_GOOGLE_ISSUER", GOOGLE_ISSUERS[0])
ISSUERS = list(GOOGLE_ISSUERS) if ISSUER in GOOGLE_ISSUERS else [ISSUER]
TOKEN_URL = os.environ.get("GATE_GOOGLE_TOKEN_URL", "https://oauth2.googleapis.com/token")
JWKS_URL = os.environ.get("GATE_GOOGLE_JWKS_URL", "https://www.googleapis.com/oauth2/v3/certs")

ssm = boto3.client("ssm")  # honours AWS_ENDPOINT_URL


def _parameter(name: str) -> str:
    return ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]


GOOGLE_CLIENT = json.loads(_parameter(os.environ.get("GATE_GOOGLE_CLIENT_PARAM", "/streamlit/oauth")))["web"]
CLIENT_ID = GOOGLE_CLIENT["client_id"]
GATE_SECRET = _parameter(os.environ["GATE_CLIENT_SECRET_PARAM"])

http = requests.Session()
jwks_client = jwt.PyJWKClient(JWKS_URL, cache_keys=True, lifespan=300, timeout=GOOGLE_TIMEOUT_SECONDS)


class Refusal(Exception):
    def __init__(self, status: int, error: str, reason: str, email: str = "", hd: str = "", host: str = ""):
        super().__init__(reason)
        self.status, self.error, self.reason = status, error, reason
        self.email, self.hd, self.host = email, hd, host


def _response(status: int, body: dict) -> dict:
    return {
        "statusCode": status,
        "headers": {"content-type": "application/json", "cache-control": "no-store"},
        "body": json.dumps(body),
    }


def _audit(decision: str, reason: str, started: float, email: str = "", hd: str = "", host: str = "") -> None:
    latency_ms = round((time.perf_counter() - started) * 1000, 2)
    print(json.dumps({"target": "audit", "endpoint": "token", "decision": decision, "reason": reason,
                      "email": email, "hd": hd, "host": host, "latency_ms": latency_ms}), flush=True)


def _client_credentials(headers: dict, form: dict) -> tuple[str, str]:
    authorization = headers.get("authorization", "")
    if authorization[:6].lower() == "basic ":
        try:
            decoded = base64.b64decode(authorization[6:], validate=True).decode()
            client_id, secret = decoded.split(":", 1)
        except ValueError:
            raise Refusal(401, "invalid_client", "invalid_client:malformed_basic") from None
        return unquote_plus(client_id), unquote_plus(secret)
    return form.get("client_id", ""), form.get("client_secret", "")


def _redirect_host(redirect_uri: str) -> str:
    if redirect_uri.startswith("https://"):
        rest = redirect_uri[len("https://"):]
    elif DEV_ALLOW_HTTP_LOOPBACK and redirect_uri.startswith("http://"):
        rest = redirect_uri[len("http://"):]
        if rest.split("/", 1)[0].rsplit(":", 1)[0] not in LOOPBACK_HOSTS:
            raise Refusal(400, "invalid_request", "invalid_request:redirect_uri")
    else:
        raise Refusal(400, "invalid_request", "invalid_request:redirect_uri")
    host, _, path = rest.partition("/")
    host = host.lower()
    if "/" + path != IDP_RESPONSE_PATH or "@" in host or host not in ALLOWED_HOSTS:
        raise Refusal(400, "invalid_request", "invalid_request:redirect_uri")
    return host


def _exchange(code: str, redirect_uri: str) -> str:
    try:
        answer = http.post(TOKEN_URL, timeout=GOOGLE_TIMEOUT_SECONDS, headers={"accept": "application/json"}, data={
            "code": code, "client_id": CLIENT_ID, "client_secret": GOOGLE_CLIENT["client_secret"],
            "redirect_uri": redirect_uri, "grant_type": "authorization_code"})
    except requests.RequestException:
        raise Refusal(503, "temporarily_unavailable", "google_unavailable") from None
    if answer.status_code == 400 and answer.json().get("error") == "invalid_grant":
        raise Refusal(400, "invalid_grant", "invalid_grant")
    if answer.status_code != 200:
        raise Refusal(503, "temporarily_unavailable", "google_unavailable")
    id_token = answer.json().get("id_token")
    if not isinstance(id_token, str):
        raise Refusal(503, "temporarily_unavailable", "google_garbage")
    return id_token


def _verify(id_token: str) -> dict:
    try:
        key = jwks_client.get_signing_key_from_jwt(id_token)
    except jwt.PyJWKClientConnectionError:
        raise Refusal(503, "temporarily_unavailable", "keys_unavailable") from None
    except jwt.PyJWTError:
        raise Refusal(400, "invalid_grant", "invalid_token:unknown_kid") from None
    try:
        claims = jwt.decode(id_token, key.key, algorithms=["RS256"], audience=CLIENT_ID, issuer=ISSUERS,
                            leeway=LEEWAY_SECONDS, options={"require": ["iss", "aud", "exp", "iat", "sub"]})
    except jwt.PyJWTError:
        raise Refusal(400, "invalid_grant", "invalid_token") from None
    if claims.get("azp", CLIENT_ID) != CLIENT_ID:
        raise Refusal(400, "invalid_grant", "invalid_token:azp")
    return claims


def _decide(claims: dict) -> str:
    """The gate's policy: verified email, and the Workspace domain or the allowlist."""
    if claims.get("email_verified") is not True:
        return "deny:email_not_verified"
    email = str(claims.get("email", "")).lower()
    local, at, domain = email.rpartition("@")
    if not (local and at and domain):
        return "deny:missing_email"
    if email in ALLOWED_EMAILS:
        return "allow:allowlisted_email"
    hd = claims.get("hd")
    if hd is None:
        return "deny:missing_hd" if domain in ALLOWED_DOMAINS else "deny:domain_not_allowed"
    hd = str(hd).lower()
    if hd not in ALLOWED_DOMAINS:
        return "deny:hd_not_allowed"
    if hd != domain:
        return "deny:hd_email_mismatch"
    return "allow:workspace_domain"


def _token(event: dict) -> dict:
    method = event.get("requestContext", {}).get("http", {}).get("method", "")
    if event.get("rawPath") != "/token" or method != "POST":
        raise Refusal(400, "invalid_request", "invalid_request:route")
    headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        body = base64.b64decode(body).decode()
    form = dict(parse_qsl(body))
    client_id, secret = _client_credentials(headers, form)
    id_ok = hmac.compare_digest(client_id.encode(), CLIENT_ID.encode())
    secret_ok = hmac.compare_digest(secret.encode(), GATE_SECRET.encode())
    if not (id_ok and secret_ok):
        raise Refusal(401, "invalid_client", "invalid_client")
    if form.get("grant_type") != "authorization_code":
        raise Refusal(400, "unsupported_grant_type", "unsupported_grant_type")
    host = _redirect_host(form.get("redirect_uri", ""))
    code = form.get("code", "")
    if not code or len(code) > 2048:
        raise Refusal(400, "invalid_request", "invalid_request:code")
    id_token = _exchange(code, form["redirect_uri"])
    claims = _verify(id_token)
    decision, reason = _decide(claims).split(":", 1)
    email, hd = claims.get("email", ""), claims.get("hd", "")
    if decision != "allow":
        raise Refusal(400, "access_denied", reason, email, hd, host)
    return {"id_token": id_token, "reason": reason, "email": email, "hd": hd, "host": host}


def lambda_handler(event: dict, context) -> dict:
    started = time.perf_counter()
    try:
        granted = _token(event)
    except Refusal as refusal:
        decision = "error" if refusal.status >= 500 else "deny"
        _audit(decision, refusal.reason, started, refusal.email, refusal.hd, refusal.host)
        return _response(refusal.status, {"error": refusal.error})
    _audit("allow", granted["reason"], started, granted["email"], granted["hd"], granted["host"])
    return _response(200, {"access_token": granted["id_token"], "id_token": granted["id_token"],
                           "token_type": "Bearer", "expires_in": SESSION_SECONDS})
