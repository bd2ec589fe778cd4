"""Fixtures for the ALB identity verifier: a P-256 key made per test run, tokens built the way an
ALB builds them, and a loopback HTTP server that plays public-keys.auth.elb.<region>.amazonaws.com."""

from __future__ import annotations

import http.server
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import alb_identity  # noqa: E402
from alb_token_factory import KID, public_pem  # noqa: E402

@dataclass
class KeyServer:
    """Serves PEM keys by kid at http://127.0.0.1:<port>/<kid>; counts requests."""

    url_template: str
    keys: dict[str, bytes]
    requests_seen: list[str] = field(default_factory=list)


@pytest.fixture
def alb_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def key_server(alb_key):
    keys: dict[str, bytes] = {KID: public_pem(alb_key)}
    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server naming)
            seen.append(self.path)
            body = keys.get(self.path.lstrip("/"))
            if body is None:
                self.send_response(404)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/x-pem-file")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    alb_identity.clear_key_cache()
    try:
        yield KeyServer(f"http://127.0.0.1:{server.server_port}/{{kid}}", keys, seen)
    finally:
        server.shutdown()
        server.server_close()
        alb_identity.clear_key_cache()
