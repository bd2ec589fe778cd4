#!/usr/bin/env python3
"""Load test of the gate through the local stack (issue #5): N sign-ins by distinct users, C at a
time, each followed by app requests. Asserts 0 failures and no identity leakage.

    .venv/bin/python local/load/run.py --users 500 --concurrency 50     # what `make load` runs

The stack is local/stack.py's (moto, mock Google, both Lambdas under `cargo lambda watch`, the
ALB emulator), with two changes: the mock Google knows N generated Workspace users
(`load-user-NNNN@example.com`), and the app behind the ALB is a tiny echo server
(`echo_upstream.py`) that returns the `x-amzn-oidc-*` identity it was given, instead of Streamlit.

One sign-in, as a browser would do it (cookies in a `requests.Session`, no redirects followed):
GET / on the ALB → 302 to mock Google → POST the account choice → 302 to /oauth2/idpresponse →
GET it: the ALB calls the gate's token endpoint and userinfo endpoint, sets its session cookie →
then APP_REQUESTS GETs to the app, each of which must carry this user's identity and no other.

Measured: wall time and throughput; latency of the /oauth2/idpresponse step (ALB emulator + both
gate calls + mock Google, as the client sees it); and the gate's own latency per call from its
audit lines (`latency_ms` in the lambda-watch log). Results: target/load/results.json.
Exit code 1 on any failure or leak.
"""

from __future__ import annotations

import argparse
import base64
import json
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "local"))
sys.path.insert(0, str(HERE))

import requests  # noqa: E402
import stack as local_stack  # noqa: E402
from load_accounts import load_email, write_mock_google_config  # noqa: E402
from stack import AlbSpec, Stack, StackError, StackOptions  # noqa: E402
from stack_config import GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET  # noqa: E402
from stack_processes import wait_for_http  # noqa: E402

APP_REQUESTS = 3
REQUEST_TIMEOUT = 60.0
LOG_DIR = ROOT / "target" / "load"


class LoadStack(Stack):
    """The local stack with the echo upstream in place of Streamlit."""

    def _start_streamlit(self, alb_name: str, port: int) -> None:
        alb = self.albs[alb_name]
        child = self._spawn(f"echo-upstream-{alb_name}", [sys.executable, str(HERE / "echo_upstream.py"), "--port", str(port)])
        wait_for_http(child, f"{alb.app_url}/healthz", 30.0, lambda r: r.status_code == 200, what="echo upstream")


@dataclass
class SignInResult:
    email: str
    ok: bool = False
    error: str = ""
    idpresponse_ms: float = 0.0
    total_ms: float = 0.0
    subs_seen: set[str] = field(default_factory=set)
    emails_seen: set[str] = field(default_factory=set)
    app_requests: int = 0


def jwt_claims(token: str) -> dict:
    """Claims of the ALB's x-amzn-oidc-data JWT (padded base64url segments, as ALB sends them).
    Its signature is the emulator's; the e2e tests verify it, here we only read it."""
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def expect(response: requests.Response, status: int, step: str) -> None:
    if response.status_code != status:
        raise AssertionError(f"{step}: HTTP {response.status_code} (expected {status}): {response.text[:200]!r}")


def sign_in(alb_url: str, google_url: str, n: int) -> SignInResult:
    email = load_email(n)
    result = SignInResult(email)
    started = time.perf_counter()
    try:
        with requests.Session() as browser:
            get = lambda url: browser.get(url, allow_redirects=False, timeout=REQUEST_TIMEOUT)  # noqa: E731
            first = get(f"{alb_url}app/home?session={n}")
            expect(first, 302, "unauthenticated GET")
            authorize = urlsplit(first.headers["location"])
            params = dict(parse_qsl(authorize.query))
            chosen = browser.post(
                f"{google_url}/o/oauth2/v2/auth/choose",
                data={**params, "email": email},
                allow_redirects=False,
                timeout=REQUEST_TIMEOUT,
            )
            expect(chosen, 302, "account choice at mock Google")
            gate_started = time.perf_counter()
            back = get(chosen.headers["location"])
            result.idpresponse_ms = (time.perf_counter() - gate_started) * 1000
            expect(back, 302, "/oauth2/idpresponse (token + userinfo through the gate)")
            for k in range(APP_REQUESTS):
                app = get(f"{alb_url}app/page-{k}?session={n}")
                expect(app, 200, f"app request {k}")
                seen = app.json()
                claims = jwt_claims(seen["x-amzn-oidc-data"] or "")
                result.emails_seen.add(claims.get("email", ""))
                result.subs_seen.add(seen["x-amzn-oidc-identity"] or "")
                if claims.get("sub") != seen["x-amzn-oidc-identity"]:
                    raise AssertionError("x-amzn-oidc-identity differs from the sub in x-amzn-oidc-data")
                result.app_requests += 1
        if result.emails_seen != {email}:
            raise AssertionError(f"identity leak: session of {email} saw {sorted(result.emails_seen)}")
        if len(result.subs_seen) != 1:
            raise AssertionError(f"session of {email} saw several subs")
        result.ok = True
    except (AssertionError, requests.RequestException, KeyError, ValueError, IndexError) as err:
        result.error = f"{type(err).__name__}: {err}"
    result.total_ms = (time.perf_counter() - started) * 1000
    return result


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def gate_audit_latencies(log_path: Path, since_offset: int) -> dict[str, dict[str, list[float]]]:
    """`latency_ms` per endpoint and decision from the gate's audit lines in the watch log."""
    found: dict[str, dict[str, list[float]]] = {}
    with open(log_path, "rb") as log:
        log.seek(since_offset)
        for raw in log:
            line = raw.decode(errors="replace")
            start = line.find("{")
            if start < 0 or '"audit"' not in line:
                continue
            try:
                entry = json.loads(line[start:])
            except ValueError:
                continue
            if entry.get("target") != "audit":
                continue
            by_decision = found.setdefault(entry.get("endpoint", "?"), {})
            by_decision.setdefault(entry.get("decision", "?"), []).append(float(entry.get("latency_ms", 0.0)))
    return found


def summarize(ms: list[float]) -> dict[str, float]:
    return {
        "count": len(ms),
        "p50_ms": round(percentile(ms, 50), 1),
        "p99_ms": round(percentile(ms, 99), 1),
        "max_ms": round(max(ms), 1) if ms else float("nan"),
        "mean_ms": round(statistics.fmean(ms), 1) if ms else float("nan"),
    }


def run(users: int, concurrency: int, say=print) -> dict:
    accounts = write_mock_google_config(LOG_DIR / "mock-google-accounts.json", users, GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET)
    # The stack reads the mock Google config from this module global at start.
    local_stack.MOCK_GOOGLE_ACCOUNTS = accounts
    options = StackOptions(albs=[AlbSpec("load")], log_dir=LOG_DIR, watch_reload=False, say=say)
    with LoadStack(options) as stack:
        alb = stack.alb("load")
        watch_log = stack.log_paths()["lambda-watch"]
        # Warm both functions (and the JWKS caches) with one sign-in outside the measurement,
        # as a real deployment's first user would; it must succeed too.
        warm = sign_in(alb.url, stack.mock_google_url, 0)
        if not warm.ok:
            raise StackError(f"warm-up sign-in failed: {warm.error}", watch_log)
        offset = watch_log.stat().st_size
        say(f"load: {users} sign-ins by distinct users, {concurrency} at a time, {APP_REQUESTS} app requests each")
        lock = threading.Lock()
        done = [0]

        def one(n: int) -> SignInResult:
            result = sign_in(alb.url, stack.mock_google_url, n)
            with lock:
                done[0] += 1
                if done[0] % 100 == 0:
                    say(f"  {done[0]}/{users}")
            return result

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            results = list(pool.map(one, range(users)))
        wall = time.perf_counter() - started
        time.sleep(0.5)  # let the watch log flush its last lines (bounded; only for reading)
        audit = gate_audit_latencies(watch_log, offset)

    failures = [r for r in results if not r.ok]
    subs_by_email = {r.email: next(iter(r.subs_seen)) for r in results if r.ok}
    shared_subs = len(subs_by_email) - len(set(subs_by_email.values()))
    token_allow = audit.get("token", {}).get("allow", [])
    userinfo_allow = audit.get("userinfo", {}).get("allow", [])
    not_allowed = {
        f"{endpoint}:{decision}": len(ms)
        for endpoint, decisions in audit.items()
        for decision, ms in decisions.items()
        if decision != "allow"
    }
    report = {
        "users": users,
        "concurrency": concurrency,
        "app_requests_per_session": APP_REQUESTS,
        "sign_ins_ok": len(results) - len(failures),
        "failures": len(failures),
        "failure_examples": [f"{r.email}: {r.error}" for r in failures[:5]],
        "identity_leaks": sum(1 for r in failures if "identity leak" in r.error) + shared_subs,
        "app_requests_ok": sum(r.app_requests for r in results),
        "wall_seconds": round(wall, 2),
        "sign_ins_per_second": round(users / wall, 2),
        "idpresponse_step": summarize([r.idpresponse_ms for r in results if r.ok]),
        "whole_sign_in": summarize([r.total_ms for r in results if r.ok]),
        "gate_token_endpoint": summarize(token_allow),
        "gate_userinfo_endpoint": summarize(userinfo_allow),
        "gate_decisions_not_allow": not_allowed,
        "build": "debug (cargo lambda watch), one process per function",
    }
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args(argv)
    if args.users < 1 or args.concurrency < 1:
        parser.error("--users and --concurrency must be at least 1")
    try:
        report = run(args.users, args.concurrency)
    except StackError as err:
        print(f"load: the stack failed: {err}", file=sys.stderr)
        if err.log_path:
            print(f"load: see {err.log_path}", file=sys.stderr)
        return 1
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    (LOG_DIR / "results.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    ok = (
        report["failures"] == 0
        and report["identity_leaks"] == 0
        and not report["gate_decisions_not_allow"]
        and report["gate_token_endpoint"]["count"] == args.users
        and report["gate_userinfo_endpoint"]["count"] == args.users
    )
    print("load: PASS" if ok else "load: FAIL", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
