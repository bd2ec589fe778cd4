"""Cold start, warm latency and peak memory of the `callback` function, Rust and Python side by side.

Each run starts a fresh process (a new execution environment) with the first token request
already queued, as AWS does when a request arrives at a cold function, and measures:
- cold: exec -> first response posted (init + first invocation);
- init: exec -> first poll of /invocation/next;
- warm: each later invocation (event written -> response posted);
- peak RSS (VmHWM) at the end of the run.
Rounds alternate which implementation goes first, so background load hits both alike; the first
round only warms the page cache and is discarded.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote_plus, urlencode

from runtime_api import FunctionProcess, HarnessError, RuntimeApi, lambda_environment, wait
from services import DUMMY_CREDENTIALS, GATE_SECRET_PARAM, GOOGLE_CLIENT_ID, GOOGLE_CLIENT_PARAM, ROOT

APP_HOST = "app.example.com"
REDIRECT_URI = f"https://{APP_HOST}/oauth2/idpresponse"
EMAIL = "alice@example.com"
FIRST_RESPONSE_TIMEOUT = 60.0
WARM_TIMEOUT = 15.0
REFERENCE_DIR = ROOT / "bench" / "reference"
REFERENCE_PYTHON = ROOT / ".cache" / "bench-py-venv" / "bin" / "python"


@dataclass
class Implementation:
    name: str
    argv: list[str]
    cwd: Path
    handler: str
    extra_path: str = ""
    extra_env: dict[str, str] = field(default_factory=dict)


def rust_callback(binary: Path) -> Implementation:
    binary = binary.resolve()
    return Implementation("rust", [str(binary)], binary.parent, "bootstrap")


def rust_callback_ca_bundle(binary: Path) -> Implementation:
    """The same binary with its CA roots from one bundle file, as on Lambda's Amazon Linux 2023
    (`/etc/pki/tls/certs/ca-bundle.crt`). On Debian the default is to read every file of
    /etc/ssl/certs as well, once per TLS client; see bench/README.md."""
    impl = rust_callback(binary)
    impl.name = "rust-ca-bundle"
    impl.extra_env = {"SSL_CERT_FILE": "/etc/ssl/certs/ca-certificates.crt"}
    return impl


def python_callback() -> Implementation:
    return Implementation("python", [str(REFERENCE_PYTHON), "-m", "awslambdaric", "handler.lambda_handler"],
                          REFERENCE_DIR, "handler.lambda_handler", str(REFERENCE_PYTHON.parent))


@dataclass
class Samples:
    cold_ms: list[float] = field(default_factory=list)
    init_ms: list[float] = field(default_factory=list)
    first_invocation_ms: list[float] = field(default_factory=list)
    warm_ms: list[float] = field(default_factory=list)
    peak_rss_kib: list[int] = field(default_factory=list)
    anon_kib: list[int] = field(default_factory=list)
    file_kib: list[int] = field(default_factory=list)


def gate_environment(moto_url: str, google_env: dict[str, str]) -> dict[str, str]:
    """The callback's configuration, as Terraform sets it (plus the local endpoints)."""
    return {
        "GATE_GOOGLE_CLIENT_PARAM": GOOGLE_CLIENT_PARAM,
        "GATE_CLIENT_SECRET_PARAM": GATE_SECRET_PARAM,
        "GATE_ALLOWED_DOMAINS": "example.com",
        "GATE_ALLOWED_EMAILS": "carol@contractor.io",
        "GATE_ALLOWED_HOSTS": APP_HOST,
        "GATE_SESSION_SECONDS": "43200",
        "AWS_ENDPOINT_URL": moto_url,
        "RUST_LOG": "info",
        **DUMMY_CREDENTIALS,
        **google_env,
    }


def basic_auth(client_id: str, secret: str) -> str:
    pair = f"{quote_plus(client_id)}:{quote_plus(secret)}"
    return "Basic " + base64.b64encode(pair.encode()).decode()


def token_event(code: str, gate_secret: str, redirect_uri: str = REDIRECT_URI) -> dict:
    """The ALB's token request as a Lambda Function URL (API Gateway v2) event."""
    body = urlencode({"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri})
    return function_url_event("POST", "/token", {
        "content-type": "application/x-www-form-urlencoded",
        "authorization": basic_auth(GOOGLE_CLIENT_ID, gate_secret),
        "host": "abc123.lambda-url.us-east-1.on.aws",
        "user-agent": "ELB-HealthChecker/2.0",
    }, body)


def function_url_event(method: str, path: str, headers: dict[str, str], body: str, query: str = "") -> dict:
    now = time.time()
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": headers,
        "requestContext": {
            "accountId": "anonymous",
            "apiId": "abc123",
            "domainName": "abc123.lambda-url.us-east-1.on.aws",
            "domainPrefix": "abc123",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1",
                     "userAgent": headers.get("user-agent", "bench")},
            "requestId": f"bench-{now:.6f}",
            "routeKey": "$default",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "body": body,
        "isBase64Encoded": False,
    }


def check_granted(invocation, who: str) -> None:
    answer = invocation.json()
    if answer.get("statusCode") != 200 or "access_token" not in (answer.get("body") or ""):
        raise HarnessError(f"{who}: expected 200 with an access token, got {answer.get('statusCode')}: "
                           f"{str(answer.get('body'))[:200]}")


def one_environment(impl: Implementation, env: dict[str, str], google, gate_secret: str, warm: int, log_dir: Path,
                    samples: Samples | None) -> None:
    """Start a fresh process, time its cold start and `warm` more invocations, then stop it."""
    api = RuntimeApi("callback")
    try:
        run_environment(impl, api, env, google, gate_secret, warm, log_dir, samples)
    finally:
        api.close()


def run_environment(impl: Implementation, api: RuntimeApi, env: dict[str, str], google, gate_secret: str, warm: int,
                    log_dir: Path, samples: Samples | None) -> None:
    first = api.submit(token_event(google.issue_code(EMAIL, REDIRECT_URI), gate_secret))
    full_env = lambda_environment(api, impl.cwd, impl.handler, {**env, **impl.extra_env})
    if impl.extra_path:
        full_env["PATH"] = f"{impl.extra_path}:{full_env['PATH']}"
    process = FunctionProcess(impl.argv, full_env, impl.cwd, log_dir / f"{impl.name}-callback.log")
    try:
        wait(first, FIRST_RESPONSE_TIMEOUT, process, api)
        check_granted(first, f"{impl.name} cold start")
        warm_ms = []
        for _ in range(warm):
            event = token_event(google.issue_code(EMAIL, REDIRECT_URI), gate_secret)
            invocation = api.invoke(event, WARM_TIMEOUT, process)
            check_granted(invocation, f"{impl.name} warm invocation")
            warm_ms.append(invocation.duration_s * 1000)
        memory = process.memory_kib()
    finally:
        process.stop()
    if samples is not None:
        samples.cold_ms.append((first.done_at - process.started_at) * 1000)
        samples.init_ms.append((api.first_poll_at - process.started_at) * 1000)
        samples.first_invocation_ms.append(first.duration_s * 1000)
        samples.warm_ms.extend(warm_ms)
        samples.peak_rss_kib.append(memory["VmHWM"])
        samples.anon_kib.append(memory["RssAnon"])
        samples.file_kib.append(memory["RssFile"])


def measure(impls: list[Implementation], env: dict[str, str], google, gate_secret: str, runs: int, warm: int,
            log_dir: Path, say) -> dict[str, Samples]:
    results = {impl.name: Samples() for impl in impls}
    for round_no in range(runs + 1):
        order = impls if round_no % 2 == 0 else list(reversed(impls))
        for impl in order:
            discard = round_no == 0
            one_environment(impl, env, google, gate_secret, 2 if discard else warm, log_dir,
                            None if discard else results[impl.name])
        if round_no:
            say(f"  cold-start round {round_no}/{runs}: " + ", ".join(
                f"{name} {samples.cold_ms[-1]:.0f} ms" for name, samples in results.items()))
    return results


def own_time(impls: list[Implementation], env: dict[str, str], google, proxy, gate_secret: str, count: int,
             log_dir: Path) -> dict[str, dict[str, list[float]]]:
    """Warm invocations with Google's token endpoint behind `proxy`:
    - `own`: each invocation's duration minus the time the proxy spent waiting for the mock;
    - `floor`: invocations refused at client authentication (wrong gate secret, no I/O), i.e. the
      cost of one trip through the Runtime API, the runtime client and request parsing."""
    results: dict[str, dict[str, list[float]]] = {}
    proxied = {**env, "GATE_GOOGLE_TOKEN_URL": f"{proxy.url}/token"}
    for impl in impls:
        api = RuntimeApi("callback")
        full_env = lambda_environment(api, impl.cwd, impl.handler, {**proxied, **impl.extra_env})
        if impl.extra_path:
            full_env["PATH"] = f"{impl.extra_path}:{full_env['PATH']}"
        process = FunctionProcess(impl.argv, full_env, impl.cwd, log_dir / f"{impl.name}-callback-own-time.log")
        own, floor = [], []
        try:
            for number in range(count + 3):  # the first few include the cold start and JWKS fetch
                event = token_event(google.issue_code(EMAIL, REDIRECT_URI), gate_secret)
                invocation = api.invoke(event, FIRST_RESPONSE_TIMEOUT, process)
                check_granted(invocation, f"{impl.name} own-time invocation")
                upstream = proxy.take()
                if len(upstream) != 1:
                    raise HarnessError(f"{impl.name}: expected one token call per invocation, saw {len(upstream)}")
                if number >= 3:
                    own.append(invocation.duration_s * 1000 - upstream[0])
            for _ in range(count):
                refused = api.invoke(token_event("no-code-needed", "not-the-gate-secret"), WARM_TIMEOUT, process)
                if refused.json().get("statusCode") != 401 or proxy.take():
                    raise HarnessError(f"{impl.name}: a wrong gate secret must be refused without calling Google")
                floor.append(refused.duration_s * 1000)
        finally:
            process.stop()
            api.close()
        results[impl.name] = {"own": own, "floor": floor}
    return results


PARITY_CASES = (
    # (what, email, secret ok?, redirect_uri, expected status, expected error)
    ("workspace user", "alice@example.com", True, REDIRECT_URI, 200, None),
    ("allowlisted outsider", "carol@contractor.io", True, REDIRECT_URI, 200, None),
    ("consumer account", "bob@gmail.com", True, REDIRECT_URI, 400, "access_denied"),
    ("company address without hd", "mallory@example.com", True, REDIRECT_URI, 400, "access_denied"),
    ("unverified email", "dave@example.com", True, REDIRECT_URI, 400, "access_denied"),
    ("wrong gate secret", "alice@example.com", False, REDIRECT_URI, 401, "invalid_client"),
    ("redirect to another host", "alice@example.com", True, "https://evil.example.net/oauth2/idpresponse", 400,
     "invalid_request"),
)


def parity(impls: list[Implementation], env: dict[str, str], google, gate_secret: str, log_dir: Path) -> list[dict]:
    """Both implementations must give the same answers before their speed is compared."""
    rows = []
    for impl in impls:
        api = RuntimeApi("callback")
        full_env = lambda_environment(api, impl.cwd, impl.handler, {**env, **impl.extra_env})
        if impl.extra_path:
            full_env["PATH"] = f"{impl.extra_path}:{full_env['PATH']}"
        process = FunctionProcess(impl.argv, full_env, impl.cwd, log_dir / f"{impl.name}-callback-parity.log")
        try:
            for what, email, secret_ok, redirect_uri, status, error in PARITY_CASES:
                code = google.issue_code(email, redirect_uri)
                event = token_event(code, gate_secret if secret_ok else "not-the-gate-secret", redirect_uri)
                answer = api.invoke(event, FIRST_RESPONSE_TIMEOUT, process).json()
                body = json.loads(answer.get("body") or "{}")
                got = (answer.get("statusCode"), body.get("error"))
                if got != (status, error):
                    raise HarnessError(f"{impl.name}, {what}: expected {status} {error}, got {got[0]} {got[1]}")
                rows.append({"implementation": impl.name, "case": what, "status": got[0], "error": got[1]})
        finally:
            process.stop()
            api.close()
    return rows
