"""The AWS Lambda Runtime API on loopback, and a function process driven through it.

The function process polls `GET /2018-06-01/runtime/invocation/next` as on AWS; the harness hands
it one queued event at a time and times the invocation from the moment the event is written to the
moment `POST .../invocation/{id}/response` (or `/error`) arrives — what Lambda bills as duration.
Init errors (`POST /runtime/init/error`) fail the run with the function's message.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

API_PREFIX = "/2018-06-01/runtime"
FUNCTION_ARN = "arn:aws:lambda:us-east-1:000000000000:function:{name}"
POLL_SECONDS = 0.005
STOP_GRACE_SECONDS = 5.0


class HarnessError(RuntimeError):
    pass


class LoopbackServer(ThreadingHTTPServer):
    """A threaded loopback server that stays quiet when a stopped function drops its connection."""

    daemon_threads = True

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


@dataclass
class Invocation:
    """One event on its way through the function."""

    event: bytes
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    dispatched_at: float | None = None
    done_at: float | None = None
    response: bytes | None = None
    error: bytes | None = None
    finished: threading.Event = field(default_factory=threading.Event)

    @property
    def duration_s(self) -> float:
        if self.dispatched_at is None or self.done_at is None:
            raise HarnessError("invocation has not finished")
        return self.done_at - self.dispatched_at

    def json(self) -> dict:
        if self.error is not None:
            raise HarnessError(f"function error: {self.error[:500]!r}")
        try:
            return json.loads(self.response or b"")
        except ValueError:
            raise HarnessError(f"function response is not JSON: {(self.response or b'')[:200]!r}") from None


class RuntimeApi:
    """One Runtime API endpoint serving one function process at a time."""

    def __init__(self, function_name: str):
        self.function_name = function_name
        self.pending: queue.Queue[Invocation] = queue.Queue()
        self.in_flight: dict[str, Invocation] = {}
        self.first_poll_at: float | None = None
        self.init_error: bytes | None = None
        # One endpoint per process: a long poll left over from a stopped process must never take
        # the next process's event, so each process gets a fresh endpoint and the old one closes.
        self.closed = False
        self._lock = threading.Lock()
        self._server = LoopbackServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(target=self._server.serve_forever, name=f"runtime-api-{function_name}", daemon=True)
        self._thread.start()

    @property
    def address(self) -> str:
        host, port = self._server.server_address[:2]
        return f"{host}:{port}"

    def submit(self, event: dict | bytes) -> Invocation:
        body = event if isinstance(event, bytes) else json.dumps(event).encode()
        invocation = Invocation(body)
        self.pending.put(invocation)
        return invocation

    def invoke(self, event: dict | bytes, timeout: float, process: FunctionProcess | None = None) -> Invocation:
        invocation = self.submit(event)
        wait(invocation, timeout, process, self)
        return invocation

    def close(self) -> None:
        self.closed = True
        self._server.shutdown()
        self._server.server_close()

    def _handler_class(self):
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args):  # keep the harness output clean
                pass

            def do_GET(self):
                if self.path != f"{API_PREFIX}/invocation/next":
                    return self._answer(404, b'{"errorMessage":"not found"}')
                with api._lock:
                    if api.first_poll_at is None:
                        api.first_poll_at = time.perf_counter()
                invocation = self._next_event()
                if invocation is None:
                    return  # the endpoint closed: its process is gone
                deadline_ms = int((time.time() + 30) * 1000)
                headers = {
                    "Lambda-Runtime-Aws-Request-Id": invocation.request_id,
                    "Lambda-Runtime-Deadline-Ms": str(deadline_ms),
                    "Lambda-Runtime-Invoked-Function-Arn": FUNCTION_ARN.format(name=api.function_name),
                    "Lambda-Runtime-Trace-Id": f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Sampled=0",
                }
                # Stamped before the write: a fast function may answer before this thread runs again.
                invocation.dispatched_at = time.perf_counter()
                self._answer(200, invocation.event, headers)

            def _next_event(self) -> Invocation | None:
                """Long poll, as AWS does, until an event arrives or the endpoint closes."""
                while not api.closed:
                    try:
                        invocation = api.pending.get(timeout=0.05)
                    except queue.Empty:
                        continue
                    with api._lock:
                        api.in_flight[invocation.request_id] = invocation
                    return invocation
                return None

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                now = time.perf_counter()
                parts = self.path[len(API_PREFIX):].strip("/").split("/")
                if parts == ["init", "error"]:
                    api.init_error = body or b"init error"
                    return self._answer(202, b'{"status":"OK"}')
                if len(parts) == 3 and parts[0] == "invocation" and parts[2] in ("response", "error"):
                    with api._lock:
                        invocation = api.in_flight.pop(parts[1], None)
                    if invocation is None:
                        return self._answer(400, b'{"errorMessage":"unknown request id"}')
                    invocation.done_at = now
                    if parts[2] == "response":
                        invocation.response = body
                    else:
                        invocation.error = body or b"error"
                    invocation.finished.set()
                    return self._answer(202, b'{"status":"OK"}')
                self._answer(404, b'{"errorMessage":"not found"}')

            def setup(self):
                super().setup()
                # No Nagle: small writes must not wait for the client's delayed ACK.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def _answer(self, status: int, body: bytes, headers: dict | None = None):
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                # Head and body in one write, as a real server would send them.
                self._headers_buffer.extend([b"\r\n", body])
                self.flush_headers()

        return Handler


def wait(invocation: Invocation, timeout: float, process: FunctionProcess | None, api: RuntimeApi) -> None:
    """Until the invocation finishes; fails early when the process dies or reports an init error."""
    deadline = time.monotonic() + timeout
    while not invocation.finished.wait(POLL_SECONDS):
        if api.init_error is not None:
            raise HarnessError(f"{api.function_name}: init error: {api.init_error[:500]!r}")
        if process is not None and not process.alive():
            raise HarnessError(f"{api.function_name} exited (code {process.returncode()}); log: {process.log_path}")
        if time.monotonic() > deadline:
            raise HarnessError(f"{api.function_name}: no response within {timeout:.0f}s; log: {process.log_path if process else '-'}")


def lambda_environment(api: RuntimeApi, task_root: Path, handler: str, extra: dict[str, str]) -> dict[str, str]:
    """What AWS sets for a function (128 MB, as the Terraform module does), plus `extra`."""
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "AWS_LAMBDA_RUNTIME_API": api.address,
        "AWS_LAMBDA_FUNCTION_NAME": api.function_name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{api.function_name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": f"bench/[$LATEST]{uuid.uuid4().hex}",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EXECUTION_ENV": "AWS_Lambda_bench",
        "_HANDLER": handler,
        "LAMBDA_TASK_ROOT": str(task_root),
        "LAMBDA_RUNTIME_DIR": str(task_root),
    }
    env.update(extra)
    return env


class FunctionProcess:
    """A function started in its own session, stopped with everything it spawned."""

    def __init__(self, argv: list[str], env: dict[str, str], cwd: Path, log_path: Path):
        self.log_path = log_path
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(log_path, "ab")  # noqa: SIM115 (closed in stop())
        self.started_at = time.perf_counter()
        self._process = subprocess.Popen(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=self._log,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        self.pid = self._process.pid

    def alive(self) -> bool:
        return self._process.poll() is None

    def returncode(self) -> int | None:
        return self._process.poll()

    def memory_kib(self) -> dict[str, int]:
        """VmHWM (the most resident memory the process ever had) and today's split of resident
        memory into private (RssAnon) and file-backed pages (RssFile: mostly the mapped binary)."""
        wanted = ("VmHWM", "RssAnon", "RssFile")
        try:
            fields = dict(line.split(":", 1) for line in Path(f"/proc/{self.pid}/status").read_text().splitlines()
                          if line.startswith(wanted))
        except OSError as err:
            raise HarnessError(f"cannot read /proc/{self.pid}/status: {err}") from None
        if set(fields) != set(wanted):
            raise HarnessError(f"/proc/{self.pid}/status lacks one of {wanted}")
        return {name: int(value.split()[0]) for name, value in fields.items()}

    def peak_rss_kib(self) -> int:
        return self.memory_kib()["VmHWM"]

    def stop(self) -> None:
        if self.alive():
            try:
                os.killpg(self.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self._process.wait(timeout=STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self._process.wait(timeout=STOP_GRACE_SECONDS)
        self._log.close()
