"""The gate's share of a whole browserless sign-in through the local stack.

ALB emulator -> mock Google chooser -> ALB `/oauth2/idpresponse` -> callback (token endpoint,
which calls mock Google's token endpoint) -> authorizer (userinfo) -> back to the app. Both
functions are the release binaries under the loopback Runtime API, behind a Function URL gateway;
the callback reaches Google's token endpoint through a timing proxy. Per sign-in:

    gate share = callback duration - time waiting for mock Google's token endpoint
                 + authorizer duration

The JWKS is fetched once per process (cached), so steady-state sign-ins make no JWKS call.
"""

from __future__ import annotations

import json
import re
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qsl, urljoin, urlsplit

import requests

from function_url import FunctionUrlGateway
from runtime_api import FunctionProcess, HarnessError, LoopbackServer, RuntimeApi, lambda_environment
from services import ROOT, Service
from timing_proxy import TimingProxy

sys.path.insert(0, str(ROOT / "local"))
import stack as local_stack  # noqa: E402  (the ALB config and gate environment the demo uses)

EMAIL = "alice@example.com"
ALB_LISTENING = re.compile(r"alb-emulator listening on (http://\S+)")


@dataclass
class SignInSamples:
    gate_ms: list[float] = field(default_factory=list)
    callback_own_ms: list[float] = field(default_factory=list)
    authorizer_ms: list[float] = field(default_factory=list)
    google_token_ms: list[float] = field(default_factory=list)
    idpresponse_ms: list[float] = field(default_factory=list)
    sign_in_ms: list[float] = field(default_factory=list)
    # Peak RSS of each function process at the end of the run (not a per-sign-in sample).
    peak_rss_mib: dict[str, float] = field(default_factory=dict)


class AppStub:
    """The app behind the ALB: answers 200 and remembers whether the identity header arrived."""

    def __init__(self):
        self.last_identity: str | None = None
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args):
                pass

            def do_GET(self):
                stub.last_identity = self.headers.get("x-amzn-oidc-identity")
                self.send_response(200)
                self.send_header("Content-Length", "3")
                self.end_headers()
                self.wfile.write(b"ok\n")

        self._server = LoopbackServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def sign_in(alb_url: str, google_url: str, app: AppStub) -> tuple[float, float]:
    """One browserless sign-in; returns (whole sign-in ms, idpresponse step ms)."""
    browser = requests.Session()
    started = time.perf_counter()
    to_google = browser.get(alb_url, allow_redirects=False, timeout=10)
    if to_google.status_code != 302:
        raise HarnessError(f"ALB answered {to_google.status_code} instead of redirecting to Google")
    authorize = to_google.headers["location"]
    if browser.get(authorize, timeout=10).status_code != 200:
        raise HarnessError("mock Google chooser did not render")
    form = dict(parse_qsl(urlsplit(authorize).query))
    form["email"] = EMAIL
    chosen = browser.post(f"{google_url}/o/oauth2/v2/auth/choose", data=form, allow_redirects=False, timeout=10)
    if chosen.status_code != 302:
        raise HarnessError(f"mock Google chooser answered {chosen.status_code}")
    step = time.perf_counter()
    back = browser.get(chosen.headers["location"], allow_redirects=False, timeout=10)
    step_ms = (time.perf_counter() - step) * 1000
    if back.status_code != 302:
        raise HarnessError(f"ALB /oauth2/idpresponse answered {back.status_code}: {back.text[:200]}")
    app.last_identity = None
    landed = browser.get(urljoin(alb_url, back.headers["location"]), allow_redirects=False, timeout=10)
    total_ms = (time.perf_counter() - started) * 1000
    if landed.status_code != 200 or not app.last_identity:
        raise HarnessError(f"signed-in request answered {landed.status_code} without identity headers")
    return total_ms, step_ms


def measure(binaries: dict[str, Path], moto, google, gate_secret: str, count: int, log_dir: Path,
            say) -> SignInSamples:
    proxy = TimingProxy(google.url)
    app = AppStub()
    apis = {name: RuntimeApi(name) for name in ("callback", "authorizer")}
    gateway = FunctionUrlGateway({})
    processes: list[FunctionProcess] = []
    alb = None
    try:
        config = local_stack.alb_config(
            listen_port=0, allowed_cidrs=["127.0.0.0/8"], mock_google_url=google.url, watch_url=gateway.url,
            gate_client_secret=gate_secret, app_url=app.url, session_timeout_seconds=3600)
        config_path = log_dir / "alb-config.json"
        config_path.write_text(json.dumps(config))
        config_path.chmod(0o600)  # holds the gate client secret
        alb = Service("alb-emulator", [str(binaries["alb-emulator"]), "--config", str(config_path)],
                      log_dir / "alb-emulator.log")
        alb_url = alb.wait_for_log(ALB_LISTENING).group(1).rstrip("/")
        alb_port = int(alb_url.rsplit(":", 1)[1])
        moto.seed(google.client_json(local_stack.redirect_uris([alb_port])), gate_secret)
        env = local_stack.gate_environment(mock_google_url=google.url, moto_url=moto.url, alb_ports=[alb_port],
                                           session_seconds=3600, rust_log="info")
        env["GATE_GOOGLE_TOKEN_URL"] = f"{proxy.url}/token"
        for name, api in apis.items():
            binary = binaries[name]
            process = FunctionProcess([str(binary)], lambda_environment(api, binary.parent, "bootstrap", env),
                                      binary.parent, log_dir / f"signin-{name}.log")
            processes.append(process)
            gateway.functions[name] = (api, process)
        for _ in range(3):  # cold starts and JWKS fetches are not part of the steady state
            sign_in(alb_url + "/", google.url, app)
        gateway.take()
        proxy.take()
        samples = SignInSamples()
        for number in range(1, count + 1):
            total_ms, step_ms = sign_in(alb_url + "/", google.url, app)
            records, upstream = gateway.take(), proxy.take()
            by_function = {record.function: record for record in records}
            if len(records) != 2 or len(upstream) != 1 or any(r.status != 200 for r in records):
                raise HarnessError(f"sign-in {number}: expected one callback, one authorizer and one token call, "
                                   f"got {[(r.function, r.status) for r in records]} and {len(upstream)} calls")
            callback_own = by_function["callback"].duration_ms - upstream[0]
            authorizer = by_function["authorizer"].duration_ms
            samples.gate_ms.append(callback_own + authorizer)
            samples.callback_own_ms.append(callback_own)
            samples.authorizer_ms.append(authorizer)
            samples.google_token_ms.append(upstream[0])
            samples.idpresponse_ms.append(step_ms)
            samples.sign_in_ms.append(total_ms)
            if number % 50 == 0:
                say(f"  sign-ins: {number}/{count}")
        for name, (_, process) in gateway.functions.items():
            samples.peak_rss_mib[name] = process.peak_rss_kib() / 1024
        return samples
    finally:
        for process in processes:
            process.stop()
        if alb is not None:
            alb.stop()
        gateway.close()
        for api in apis.values():
            api.close()
        proxy.close()
        app.close()
