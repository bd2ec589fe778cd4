#!/usr/bin/env python3
"""A tiny upstream for the load test, in place of Streamlit: answers every GET with the identity
headers the ALB (emulator) forwarded, as JSON, so the load test can check each session sees only
its own identity. `/healthz` answers `ok`. Loopback only; standard library only."""

from __future__ import annotations

import argparse
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

IDENTITY_HEADERS = ("x-amzn-oidc-identity", "x-amzn-oidc-data")


class EchoIdentity(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        if self.path == "/healthz":
            body = b"ok"
        else:
            seen = {name: self.headers.get(name) for name in IDENTITY_HEADERS}
            # The access token header is the Google ID token: report only whether it arrived.
            seen["has_accesstoken"] = self.headers.get("x-amzn-oidc-accesstoken") is not None
            seen["path"] = self.path
            body = json.dumps(seen).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (signature of the base class)
        pass  # 2500 request lines would drown the stack logs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), EchoIdentity)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
