"""The services both functions talk to: moto (SSM) and the mock Google, as local processes.

Authorization codes come from the mock's own chooser form (`POST /o/oauth2/v2/auth/choose`),
the request a browser makes when the user picks an account.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import boto3
import requests

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = ROOT / ".venv" / "bin"
MOCK_ACCOUNTS = ROOT / "local" / "mock-google" / "accounts.json"
GOOGLE_CLIENT_ID = "local-demo-client.apps.googleusercontent.com"
GOOGLE_CLIENT_SECRET = "local-demo-google-secret"
GOOGLE_CLIENT_PARAM = "/streamlit/oauth"
GATE_SECRET_PARAM = "/streamlit/gate-client-secret"
SSM_REGION = "us-east-1"
DUMMY_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "bench-dummy-key-id", "AWS_SECRET_ACCESS_KEY": "bench-dummy-secret"}
START_TIMEOUT = 60.0
LISTENING = re.compile(r"listening on (http://\S+)")


class ServiceError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Service:
    """A child process with its own session and log file."""

    def __init__(self, name: str, argv: list[str], log_path: Path):
        self.name, self.log_path = name, log_path
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(log_path, "wb")  # noqa: SIM115 (closed in stop())
        self.process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
                                        start_new_session=True, cwd=ROOT)

    def wait_for_log(self, pattern: re.Pattern[str], timeout: float = START_TIMEOUT) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            match = pattern.search(self.log_path.read_text(errors="replace"))
            if match:
                return match
            if self.process.poll() is not None:
                raise ServiceError(f"{self.name} exited (code {self.process.returncode}); see {self.log_path}")
            time.sleep(0.05)
        raise ServiceError(f"{self.name} did not print {pattern.pattern!r} within {timeout:.0f}s; see {self.log_path}")

    def wait_for_url(self, url: str, timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServiceError(f"{self.name} exited (code {self.process.returncode}); see {self.log_path}")
            try:
                if requests.get(url, timeout=2).status_code < 500:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise ServiceError(f"{self.name} did not answer {url} within {timeout:.0f}s; see {self.log_path}")

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=5)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.process.wait(timeout=5)
        self._log.close()


class Moto(Service):
    def __init__(self, log_dir: Path):
        port = free_port()
        super().__init__("moto", [str(VENV_BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)], log_dir / "moto.log")
        self.url = f"http://127.0.0.1:{port}"
        self.wait_for_url(f"{self.url}/moto-api/")

    def seed(self, google_client: dict, gate_secret: str) -> None:
        ssm = boto3.client("ssm", endpoint_url=self.url, region_name=SSM_REGION,
                           aws_access_key_id=DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
                           aws_secret_access_key=DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"])
        for name, value in ((GOOGLE_CLIENT_PARAM, json.dumps(google_client)), (GATE_SECRET_PARAM, gate_secret)):
            ssm.put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=True)


class MockGoogle(Service):
    def __init__(self, binary: Path, log_dir: Path):
        super().__init__("mock-google", [str(binary), "--listen", "127.0.0.1:0", "--config", str(MOCK_ACCOUNTS)],
                         log_dir / "mock-google.log")
        self.url = self.wait_for_log(LISTENING).group(1).rstrip("/")
        self.http = requests.Session()

    def client_json(self, redirect_uris: list[str]) -> dict:
        """The OAuth client as Google's console downloads it."""
        return {"web": {
            "client_id": GOOGLE_CLIENT_ID,
            "project_id": "gate-bench",
            "auth_uri": f"{self.url}/o/oauth2/v2/auth",
            "token_uri": f"{self.url}/token",
            "client_secret": GOOGLE_CLIENT_SECRET,
            "redirect_uris": redirect_uris,
        }}

    def gate_environment(self) -> dict[str, str]:
        return {
            "GATE_GOOGLE_ISSUER": self.url,
            "GATE_GOOGLE_TOKEN_URL": f"{self.url}/token",
            "GATE_GOOGLE_JWKS_URL": f"{self.url}/oauth2/v3/certs",
            "GATE_DEV_ALLOW_HTTP_LOOPBACK": "true",  # the mock speaks plain http on loopback
        }

    def issue_code(self, email: str, redirect_uri: str) -> str:
        """What the chooser does when `email` is clicked: a fresh one-time code."""
        answer = self.http.post(f"{self.url}/o/oauth2/v2/auth/choose", allow_redirects=False, timeout=10, data={
            "client_id": GOOGLE_CLIENT_ID, "redirect_uri": redirect_uri, "response_type": "code",
            "scope": "openid email profile", "state": secrets.token_urlsafe(8), "nonce": secrets.token_urlsafe(8),
            "prompt": "select_account", "email": email})
        location = answer.headers.get("location", "")
        codes = parse_qs(urlsplit(location).query).get("code")
        if answer.status_code != 302 or not codes:
            raise ServiceError(f"mock Google chooser answered HTTP {answer.status_code} without a code")
        return codes[0]
