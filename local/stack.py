#!/usr/bin/env python3
"""Local stack: the whole Google sign-in on one machine, as local processes.

    .venv/bin/python local/stack.py demo        # what `make demo` runs

Starts moto (SSM), mock Google, both gate Lambdas under `cargo lambda watch`, one ALB emulator per
configured load balancer and a demo Streamlit app behind each, then prints
`Gate ready: http://127.0.0.1:<port>/`. The e2e tests import this module and drive `Stack` directly.

Every child runs in its own session; `Stack.stop()` ends each one with all its descendants
(stack_processes.py). Logs go to `target/stack-logs/` (never inside a crate: `cargo lambda watch`
would rebuild on every write). Only the standard library, requests and boto3 are used.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from stack_config import (
    DEFAULT_SESSION_SECONDS,
    GATE_SECRET_PARAM,
    GOOGLE_CLIENT_ID,
    GOOGLE_CLIENT_PARAM,
    SIGNER_ARN,
    SSM_REGION,
    TEST_ACCOUNTS,
    alb_config,
    gate_environment,
    google_client_json,
    redirect_uris,
    write_env_file,
)
from stack_processes import (
    Child,
    StackError,
    free_port,
    port_is_free,
    tail,
    wait_for_http,
    wait_for_log_line,
)

__all__ = [
    "AlbSpec",
    "RunningAlb",
    "SIGNER_ARN",
    "Stack",
    "StackError",
    "StackOptions",
    "TEST_ACCOUNTS",
    "free_port",
    "main",
]

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = ROOT / ".venv" / "bin"
DEFAULT_LOG_DIR = ROOT / "target" / "stack-logs"
CARGO_TARGET_DIR = Path(os.environ.get("CARGO_TARGET_DIR") or ROOT / "target")
STREAMLIT_ENTRY = ROOT / "local" / "streamlit" / "Home.py"
MOCK_GOOGLE_ACCOUNTS = ROOT / "local" / "mock-google" / "accounts.json"
CARGO_PACKAGES = ("mock-google", "alb-emulator", "callback", "authorizer")

# Bounded waits; a cold first build of the Lambdas dominates.
BUILD_TIMEOUT = 1800.0
PROCESS_START_TIMEOUT = 60.0
FUNCTIONS_READY_TIMEOUT = 600.0


def demo_port_from_env(environ: dict[str, str] | None = None) -> int:
    raw = (os.environ if environ is None else environ).get("DEMO_PORT", "8080").strip() or "8080"
    if not raw.isdigit() or not 1 <= int(raw) <= 65535:
        raise StackError(f"DEMO_PORT={raw!r} is not a TCP port number (1-65535)")
    return int(raw)


# ---------------------------------------------------------------- configuration


@dataclass
class AlbSpec:
    """One emulated load balancer. `port=None` lets the OS choose a free one."""

    name: str
    port: int | None = None
    session_timeout_seconds: int = DEFAULT_SESSION_SECONDS
    allowed_cidrs: tuple[str, ...] = ("127.0.0.0/8", "::1/128")
    # False: forward to the first load balancer's app instead of starting another one.
    with_app: bool = True


@dataclass
class StackOptions:
    albs: list[AlbSpec]
    log_dir: Path = DEFAULT_LOG_DIR
    build: bool = True
    # Hot reload of the Lambdas on code changes (demo); tests want a fixed build.
    watch_reload: bool = True
    gate_session_seconds: int = DEFAULT_SESSION_SECONDS
    rust_log: str = "info"
    # Printer for progress lines; tests pass a quieter one.
    say: Callable[[str], None] = print


@dataclass
class RunningAlb:
    spec: AlbSpec
    url: str
    port: int
    public_keys_url: str
    app_url: str
    config_path: Path


def function_answered(response) -> bool:
    """A 4xx from the gate itself means the function built, started and read its configuration.
    5xx (cargo lambda still building, or the gate failing closed on config) is not ready."""
    return 400 <= response.status_code < 500


def gate_failing_closed(response) -> bool:
    """The gate's own 503 (JSON error body): the function runs but its configuration failed."""
    return response.status_code == 503 and _json_error(response) == "temporarily_unavailable"


def _json_error(response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("error") if isinstance(body, dict) else None


# ---------------------------------------------------------------- tools and build


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env.pop("VIRTUAL_ENV", None)
    env.update(extra or {})
    return env


def ensure_tools() -> None:
    """The venv (cargo-lambda, ziglang, moto, streamlit come from requirements-dev.txt) and cargo."""
    if subprocess.run(["bash", str(ROOT / "scripts" / "venv.sh")], cwd=ROOT).returncode != 0:
        raise StackError("scripts/venv.sh failed: cannot install the Python tools")
    missing = [tool for tool in ("cargo-lambda", "moto_server", "streamlit") if not (VENV_BIN / tool).exists()]
    if missing:
        raise StackError(f"missing in .venv/bin after scripts/venv.sh: {', '.join(missing)}")
    if subprocess.run(["cargo", "--version"], capture_output=True, env=child_env()).returncode != 0:
        raise StackError("cargo is not on PATH: install Rust (https://rustup.rs) first")


def build(log_dir: Path, say: Callable[[str], None]) -> None:
    log_path = log_dir / "build.log"
    say(f"building {', '.join(CARGO_PACKAGES)} (log: {rel(log_path)})")
    argv = ["cargo", "build"] + [arg for pkg in CARGO_PACKAGES for arg in ("-p", pkg)]
    with open(log_path, "wb") as log:
        try:
            result = subprocess.run(argv, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, env=child_env(), timeout=BUILD_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise StackError(f"cargo build took more than {BUILD_TIMEOUT:.0f}s", log_path) from None
    if result.returncode != 0:
        raise StackError(f"cargo build failed (exit {result.returncode})", log_path)


def rel(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


# ---------------------------------------------------------------- the stack


@dataclass
class Stack:
    options: StackOptions
    children: list[Child] = field(default_factory=list)
    albs: dict[str, RunningAlb] = field(default_factory=dict)
    mock_google_url: str = ""
    moto_url: str = ""
    watch_url: str = ""
    gate_client_secret: str = ""
    _ports: set[int] = field(default_factory=set)

    def __enter__(self) -> Stack:
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def alb(self, name: str) -> RunningAlb:
        return self.albs[name]

    def start(self) -> None:
        """Start everything; on any failure stop what was started and re-raise."""
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        for child in reversed(self.children):
            child.stop()
        self.children.clear()

    def log_paths(self) -> dict[str, Path]:
        return {child.name: child.log_path for child in self.children}

    # -- steps

    def _start(self) -> None:
        opts, say = self.options, self.options.say
        self._check_fixed_ports()
        opts.log_dir.mkdir(parents=True, exist_ok=True)
        ensure_tools()
        if opts.build:
            build(opts.log_dir, say)
        self.gate_client_secret = secrets.token_urlsafe(32)
        self._start_moto()
        self._start_mock_google()
        watch_port = free_port(taken=self._ports)
        self.watch_url = f"http://127.0.0.1:{watch_port}"
        app_ports = {spec.name: free_port(taken=self._ports) for spec in opts.albs if spec.with_app}
        first_app = next(iter(app_ports.values()), None)
        if first_app is None:
            raise StackError("at least one load balancer needs an app (with_app=True)")
        # ALBs first: their real ports go into GATE_ALLOWED_HOSTS before the Lambdas start.
        for spec in opts.albs:
            self._start_alb(spec, app_ports.get(spec.name, first_app))
        self._start_watch(watch_port)
        for spec in opts.albs:
            if spec.name in app_ports:
                self._start_streamlit(spec.name, app_ports[spec.name])

    def _check_fixed_ports(self) -> None:
        for spec in self.options.albs:
            if spec.port is not None:
                if not port_is_free(spec.port):
                    raise StackError(
                        f"port {spec.port} (load balancer {spec.name!r}) is already in use; "
                        "stop whatever listens there or choose another port, e.g. DEMO_PORT=8081 make demo"
                    )
                self._ports.add(spec.port)

    def _spawn(
        self, name: str, argv: Sequence[str], env: dict[str, str] | None = None, unset: Sequence[str] = ()
    ) -> Child:
        log_path = self.options.log_dir / f"{name}.log"
        full_env = child_env(env)
        for key in unset:
            full_env.pop(key, None)
        child = Child(name, argv, log_path, full_env, cwd=ROOT)
        self.children.append(child)
        return child

    def _start_moto(self) -> None:
        port = free_port(taken=self._ports)
        self.moto_url = f"http://127.0.0.1:{port}"
        child = self._spawn("moto", [str(VENV_BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)])
        wait_for_http(child, f"{self.moto_url}/moto-api/", PROCESS_START_TIMEOUT, lambda r: r.status_code < 500, what="moto_server")
        self.options.say(f"moto (SSM) on {self.moto_url}")

    def _seed_ssm(self, alb_ports: list[int]) -> None:
        import boto3

        ssm = boto3.client(
            "ssm",
            endpoint_url=self.moto_url,
            region_name=SSM_REGION,
            aws_access_key_id="local-dummy-key-id",
            aws_secret_access_key="local-dummy-secret-key",
        )
        client_json = json.dumps(google_client_json(self.mock_google_url, redirect_uris(alb_ports)))
        for name, value in ((GOOGLE_CLIENT_PARAM, client_json), (GATE_SECRET_PARAM, self.gate_client_secret)):
            ssm.put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=True)
            stored = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
            if stored != value:
                raise StackError(f"SSM parameter {name} did not read back as written")

    def _start_mock_google(self) -> None:
        child = self._spawn(
            "mock-google",
            [str(CARGO_TARGET_DIR / "debug" / "mock-google"), "--listen", "127.0.0.1:0", "--config", str(MOCK_GOOGLE_ACCOUNTS)],
        )
        listening = wait_for_log_line(child, re.compile(r"mock-google listening on (http://\S+)"), PROCESS_START_TIMEOUT)
        self.mock_google_url = listening.group(1).rstrip("/")
        self.options.say(f"mock Google on {self.mock_google_url}")

    def _start_alb(self, spec: AlbSpec, app_port: int) -> None:
        opts = self.options
        config = alb_config(
            listen_port=spec.port if spec.port is not None else 0,
            allowed_cidrs=spec.allowed_cidrs,
            mock_google_url=self.mock_google_url,
            watch_url=self.watch_url,
            gate_client_secret=self.gate_client_secret,
            app_url=f"http://127.0.0.1:{app_port}",
            session_timeout_seconds=spec.session_timeout_seconds,
        )
        config_path = opts.log_dir / f"alb-{spec.name}.json"
        # Holds the gate client secret: owner-only.
        fd = os.open(config_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump(config, out, indent=2)
        child = self._spawn(f"alb-{spec.name}", [str(CARGO_TARGET_DIR / "debug" / "alb-emulator"), "--config", str(config_path)])
        listening = re.compile(r"alb-emulator listening on (http://\S+)")
        keys_listening = re.compile(r"alb-emulator public keys on (http://\S+)")
        url = wait_for_log_line(child, listening, PROCESS_START_TIMEOUT).group(1).rstrip("/")
        keys_url = wait_for_log_line(child, keys_listening, PROCESS_START_TIMEOUT).group(1).rstrip("/")
        port = int(url.rsplit(":", 1)[1])
        self._ports.add(port)
        self.albs[spec.name] = RunningAlb(spec, f"{url}/", port, keys_url, f"http://127.0.0.1:{app_port}", config_path)

    def _start_watch(self, port: int) -> None:
        opts = self.options
        alb_ports = [alb.port for alb in self.albs.values()]
        self._seed_ssm(alb_ports)
        env = gate_environment(
            mock_google_url=self.mock_google_url,
            moto_url=self.moto_url,
            alb_ports=alb_ports,
            session_seconds=opts.gate_session_seconds,
            rust_log=opts.rust_log,
        )
        argv = [str(VENV_BIN / "cargo-lambda"), "lambda", "watch", "-A", "127.0.0.1", "-P", str(port), "--disable-cors"]
        if not opts.watch_reload:
            argv.append("--ignore-changes")
        # Both channels: watch's process env is inherited by the functions, and --env-file is
        # cargo lambda's documented way (see local/README.md). No secrets in it: they are in SSM.
        env_file = opts.log_dir / "lambda.env"
        write_env_file(env_file, env)
        # The caller's AWS profile or session must not send the Lambdas' SSM calls elsewhere.
        unset = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL_SSM")
        child = self._spawn("lambda-watch", argv + ["--env-file", str(env_file)], env, unset)
        opts.say(f"cargo lambda watch on {self.watch_url}: first requests build the functions (log: {rel(child.log_path)})")
        wait_for_http(
            child,
            f"{self.watch_url}/lambda-url/authorizer/userinfo",
            FUNCTIONS_READY_TIMEOUT,
            function_answered,
            request_timeout=FUNCTIONS_READY_TIMEOUT,
            what="authorizer under cargo lambda watch",
        )
        self._probe_callback(child, alb_ports[0])
        opts.say("gate functions answer (authorizer, callback)")

    def _probe_callback(self, child: Child, alb_port: int) -> None:
        """A full token request with the real client credentials and a made-up code: a correctly
        configured callback reads SSM, accepts the redirect URI, asks (mock) Google and answers
        400 invalid_grant. Anything else means its configuration did not arrive."""
        response = wait_for_http(
            child,
            f"{self.watch_url}/lambda-url/callback/token",
            FUNCTIONS_READY_TIMEOUT,
            lambda r: function_answered(r) or gate_failing_closed(r),
            method="POST",
            request_timeout=FUNCTIONS_READY_TIMEOUT,
            what="callback under cargo lambda watch",
            auth=(GOOGLE_CLIENT_ID, self.gate_client_secret),
            data={
                "grant_type": "authorization_code",
                "code": "stack-readiness-probe",
                "redirect_uri": f"http://127.0.0.1:{alb_port}/oauth2/idpresponse",
            },
        )
        if response.status_code != 400 or _json_error(response) != "invalid_grant":
            raise StackError(
                f"callback answered HTTP {response.status_code} {_json_error(response) or ''} to the readiness "
                "probe (expected 400 invalid_grant): its configuration (GATE_* env, SSM) is not right",
                child.log_path,
            )

    def _start_streamlit(self, alb_name: str, port: int) -> None:
        alb = self.albs[alb_name]
        env = {"ALB_PUBLIC_KEY_URL": f"{alb.public_keys_url}/{{kid}}", "ALB_SIGNER_ARN": SIGNER_ARN, "LOCAL_STREAMLIT": ""}
        child = self._spawn(
            f"streamlit-{alb_name}",
            [
                str(VENV_BIN / "streamlit"), "run", str(STREAMLIT_ENTRY),
                "--server.headless", "true",
                "--server.port", str(port),
                "--server.address", "127.0.0.1",
                "--browser.gatherUsageStats", "false",
                "--client.toolbarMode", "viewer",
            ],
            env,
        )
        wait_for_http(child, f"{alb.app_url}/_stcore/health", PROCESS_START_TIMEOUT, lambda r: r.status_code == 200, what="streamlit")


# ---------------------------------------------------------------- demo command


def write_manifest(stack: Stack) -> Path:
    """Where everything listens, for curl by hand (see README). Owner-only: it holds the
    per-run gate client secret (random, dev-only)."""
    main = next(iter(stack.albs.values()))
    manifest = {
        "gate_url": main.url,
        "watch_url": stack.watch_url,
        "google_url": stack.mock_google_url,
        "moto_url": stack.moto_url,
        "google_client_id": GOOGLE_CLIENT_ID,
        "gate_client_secret": stack.gate_client_secret,
        "redirect_uri": f"{main.url}oauth2/idpresponse",
    }
    path = stack.options.log_dir / "stack.json"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(manifest, handle, indent=2)
    return path


def print_banner(stack: Stack, say: Callable[[str], None] = print) -> None:
    main = next(iter(stack.albs.values()))
    say("")
    say(f"Open {main.url} and pick a test account in the mock Google chooser:")
    width = max(len(email) for email, _, _ in TEST_ACCOUNTS)
    for email, outcome, why in TEST_ACCOUNTS:
        say(f"  {email:<{width}}  {outcome:<8} {why}")
    say(f"Sign out: {main.url}_auth/logout")
    say(f"Behind the gate: app {main.app_url} (no gate: no verified identity), ALB public keys {main.public_keys_url}")
    say(f"Functions (cargo lambda watch) on {stack.watch_url}, mock Google on {stack.mock_google_url}, SSM (moto) on {stack.moto_url}")
    say(f"Endpoints and the gate client secret for hand-made requests: {rel(write_manifest(stack))}")
    say("Logs:")
    for name, path in stack.log_paths().items():
        say(f"  {name:<14} {rel(path)}")
    say("Ctrl-C stops every process.")
    say(f"Gate ready: {main.url}")


def run_demo(port: int) -> int:
    stack = Stack(StackOptions(albs=[AlbSpec("main", port=port)]))

    def request_stop(_signum, _frame):
        raise KeyboardInterrupt

    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    # Also SIGINT: a shell that started us in the background may have set it to "ignore".
    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    started = time.monotonic()
    try:
        stack.start()
        print(f"(started in {time.monotonic() - started:.1f}s)")
        print_banner(stack)
        sys.stdout.flush()
        while True:
            dead = [child for child in stack.children if not child.alive()]
            if dead:
                child = dead[0]
                print(f"\n{child.name} exited (code {child.process.returncode}); stopping the stack.", file=sys.stderr)
                print(f"--- last lines of {rel(child.log_path)} ---\n{child.log_tail()}", file=sys.stderr)
                return 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\nstopping the stack…")
        return 0
    except StackError as err:
        print(f"\nstack start-up failed: {err}", file=sys.stderr)
        if err.log_path is not None:
            print(f"--- last lines of {rel(err.log_path)} ---\n{tail(err.log_path)}", file=sys.stderr)
        return 1
    finally:
        # A second Ctrl-C must not interrupt the clean-up and leave orphans behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stack.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="start the whole stack and wait for Ctrl-C")
    demo.add_argument("--port", type=int, help="ALB emulator port (default: $DEMO_PORT or 8080)")
    args = parser.parse_args(argv)
    try:
        port = args.port if args.port is not None else demo_port_from_env()
    except StackError as err:
        print(err, file=sys.stderr)
        return 1
    return run_demo(port)


if __name__ == "__main__":
    sys.exit(main())
