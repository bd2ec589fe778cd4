"""A loopback HTTP proxy in front of the mock Google's token endpoint that times each upstream call.

A function's own share of an invocation is its duration minus the time spent waiting for Google.
The clock starts once the proxy has read the whole request and stops once it has read the whole
upstream answer, so the proxy's own parsing and writing count against the function: the own-time
figures are upper bounds.
"""

from __future__ import annotations

import http.client
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit

from runtime_api import LoopbackServer

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "proxy-connection", "upgrade", "te"}


class TimingProxy:
    def __init__(self, upstream_url: str):
        parts = urlsplit(upstream_url)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.upstream_ms: list[float] = []
        self._lock = threading.Lock()
        self._server = LoopbackServer(("127.0.0.1", 0), self._handler_class())
        threading.Thread(target=self._server.serve_forever, name="timing-proxy", daemon=True).start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def take(self) -> list[float]:
        """The upstream times recorded since the last call."""
        with self._lock:
            taken, self.upstream_ms = self.upstream_ms, []
        return taken

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler_class(self):
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            upstream_connection: http.client.HTTPConnection | None = None

            def log_message(self, *_args):
                pass

            def setup(self):
                super().setup()
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_GET(self):
                self._forward()

            def do_POST(self):
                self._forward()

            def _forward(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                started = time.perf_counter()
                status, reason, answer_headers, answer = self._upstream(body, headers)
                elapsed_ms = (time.perf_counter() - started) * 1000
                with proxy._lock:
                    proxy.upstream_ms.append(elapsed_ms)
                self.send_response(status, reason)
                for name, value in answer_headers:
                    if name.lower() not in HOP_BY_HOP:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer)))
                self._headers_buffer.extend([b"\r\n", answer])
                self.flush_headers()

            def _upstream(self, body: bytes, headers: dict):
                for attempt in (1, 2):  # a kept-alive upstream connection may have been closed
                    if self.upstream_connection is None:
                        self.upstream_connection = http.client.HTTPConnection(*proxy.upstream, timeout=10)
                    try:
                        self.upstream_connection.request(self.command, self.path, body=body, headers=headers)
                        response = self.upstream_connection.getresponse()
                        return response.status, response.reason, response.getheaders(), response.read()
                    except (http.client.HTTPException, OSError):
                        self.upstream_connection.close()
                        self.upstream_connection = None
                        if attempt == 2:
                            raise
                raise AssertionError("unreachable")

        return Handler
