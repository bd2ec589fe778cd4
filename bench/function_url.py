"""HTTP in front of functions run under the loopback Runtime API, shaped like `cargo lambda watch`:

- `/lambda-url/<function>/<path>` turns the request into a Function URL (API Gateway v2) event;
- `POST /2015-03-31/functions/<function>/invocations` passes an event (the ALB emulator's
  target-group events) through as is.

Every invocation is recorded (function, duration) so a caller can split a sign-in into the time
spent inside each function.
"""

from __future__ import annotations

import base64
import json
import socket
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit

from coldstart import function_url_event
from runtime_api import FunctionProcess, HarnessError, LoopbackServer, RuntimeApi

INVOKE_TIMEOUT = 30.0


@dataclass
class Record:
    function: str
    duration_ms: float
    status: int


class FunctionUrlGateway:
    def __init__(self, functions: dict[str, tuple[RuntimeApi, FunctionProcess]]):
        self.functions = functions
        self.records: list[Record] = []
        self._lock = threading.Lock()
        self._server = LoopbackServer(("127.0.0.1", 0), self._handler_class())
        threading.Thread(target=self._server.serve_forever, name="function-url", daemon=True).start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def take(self) -> list[Record]:
        with self._lock:
            taken, self.records = self.records, []
        return taken

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _invoke(self, function: str, event: dict | bytes) -> dict:
        api, process = self.functions[function]
        invocation = api.invoke(event, INVOKE_TIMEOUT, process)
        answer = invocation.json()
        with self._lock:
            self.records.append(Record(function, invocation.duration_s * 1000, int(answer.get("statusCode", 0))))
        return answer

    def _handler_class(self):
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args):
                pass

            def setup(self):
                super().setup()
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_GET(self):
                self._route()

            def do_POST(self):
                self._route()

            def _route(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                parts = urlsplit(self.path)
                segments = parts.path.split("/")
                try:
                    if parts.path.startswith("/lambda-url/") and segments[2] in gateway.functions:
                        path = "/" + "/".join(segments[3:])
                        headers: dict[str, str] = {}
                        for name, value in self.headers.items():
                            key = name.lower()
                            headers[key] = f"{headers[key]},{value}" if key in headers else value
                        event = function_url_event(self.command, path, headers, body.decode("utf-8", "replace"),
                                                   parts.query)
                        return self._http_answer(gateway._invoke(segments[2], event))
                    if (self.command == "POST" and len(segments) == 5 and segments[1] == "2015-03-31"
                            and segments[4] == "invocations" and segments[3] in gateway.functions):
                        return self._raw(200, json.dumps(gateway._invoke(segments[3], body)).encode(),
                                         [("Content-Type", "application/json")])
                except HarnessError as err:
                    return self._raw(502, str(err).encode(), [("Content-Type", "text/plain")])
                self._raw(404, b"not found\n", [("Content-Type", "text/plain")])

            def _http_answer(self, answer: dict):
                body = answer.get("body") or ""
                payload = base64.b64decode(body) if answer.get("isBase64Encoded") else body.encode()
                headers = list((answer.get("headers") or {}).items())
                for name, values in (answer.get("multiValueHeaders") or {}).items():
                    headers.extend((name, value) for value in values)
                headers.extend(("Set-Cookie", cookie) for cookie in answer.get("cookies") or [])
                self._raw(int(answer.get("statusCode", 502)), payload, headers)

            def _raw(self, status: int, payload: bytes, headers: list[tuple[str, str]]):
                self.send_response(status)
                for name, value in headers:
                    if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self._headers_buffer.extend([b"\r\n", payload])
                self.flush_headers()

        return Handler
