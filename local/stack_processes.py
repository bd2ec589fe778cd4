"""Child processes of the local stack: start each in its own session, wait for it with bounded
polls, and stop it together with everything it spawned. Linux only (reads /proc)."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Callable, Iterable, Sequence

STOP_GRACE_SECONDS = 5.0
POLL_INTERVAL = 0.1


class StackError(RuntimeError):
    """Start-up failed; `log_path` is the log of the process at fault (if any)."""

    def __init__(self, message: str, log_path: Path | None = None):
        super().__init__(message)
        self.log_path = log_path


# ---------------------------------------------------------------- ports


def free_port(host: str = "127.0.0.1", taken: set[int] | None = None) -> int:
    """A port nobody listens on right now (the OS picks it); skips ports in `taken`."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind((host, 0))
            port = probe.getsockname()[1]
        if taken is None or port not in taken:
            if taken is not None:
                taken.add(port)
            return port
    raise StackError("could not find a free TCP port")


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


class Child:
    """A process started in its own session; `stop()` ends everything in that session."""

    def __init__(self, name: str, argv: Sequence[str], log_path: Path, env: dict[str, str], cwd: Path | None = None):
        self.name = name
        self.log_path = log_path
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(log_path, "wb")  # noqa: SIM115 (closed in stop())
        try:
            self.process = subprocess.Popen(
                list(argv),
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=cwd,
                start_new_session=True,
            )
        except OSError as err:
            self._log.close()
            raise StackError(f"cannot start {name} ({argv[0]}): {err}", log_path) from None
        self.pid = self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        """SIGTERM the child's processes, wait, then SIGKILL what is left. "The child's processes"
        are its session plus all its descendants: `cargo lambda watch` starts each function in a
        session of its own."""
        targets = self._process_tree()
        _signal_all(targets, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        while time.monotonic() < deadline:
            self.process.poll()
            if not any(_pid_running(pid) for pid in targets | self._process_tree()):
                break
            time.sleep(POLL_INTERVAL)
        leftovers = {pid for pid in targets | self._process_tree() if _pid_running(pid)}
        _signal_all(leftovers, signal.SIGKILL)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        while any(_pid_running(pid) for pid in leftovers) and time.monotonic() < deadline:
            self.process.poll()
            time.sleep(POLL_INTERVAL / 10)
        try:
            self.process.wait(timeout=STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            pass
        self._log.close()

    def _process_tree(self) -> set[int]:
        tree = session_members(self.pid) | descendants(self.pid)
        if self.alive():
            tree.add(self.pid)
        return tree

    def log_tail(self, lines: int = 40) -> str:
        return tail(self.log_path, lines)


def session_members(session_id: int) -> set[int]:
    """Live pids whose session is `session_id` (Linux /proc): grandchildren that made their own
    process group stay in the session, so this finds them too."""
    return {pid for pid, fields in _proc_stats() if fields[0] != "Z" and int(fields[3]) == session_id}


def descendants(root: int) -> set[int]:
    """All live descendants of `root` (children, grandchildren, ...), from /proc parent links."""
    children: dict[int, list[int]] = {}
    for pid, fields in _proc_stats():
        if fields[0] != "Z":
            children.setdefault(int(fields[1]), []).append(pid)
    found: set[int] = set()
    pending = [root]
    while pending:
        for child in children.get(pending.pop(), []):
            if child not in found:
                found.add(child)
                pending.append(child)
    return found


def _proc_stats():
    """(pid, fields after "(comm)") for every process: state ppid pgrp session ..."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        yield int(entry.name), stat[stat.rfind(")") + 2 :].split()


def _pid_running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return state[state.rfind(")") + 2 :].split()[0] != "Z"


def _signal_all(pids: Iterable[int], sig: signal.Signals) -> None:
    for pid in pids:
        try:
            os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


def tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError as err:
        return f"(cannot read {path}: {err})"
    return "\n".join(text.splitlines()[-lines:])


# ---------------------------------------------------------------- readiness


def wait_for_log_line(child: Child, pattern: re.Pattern[str], timeout: float) -> re.Match[str]:
    """Poll the child's log for `pattern`; fail early if the child exits."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            match = pattern.search(child.log_path.read_text(errors="replace"))
        except OSError:
            match = None
        if match:
            return match
        if not child.alive():
            raise StackError(f"{child.name} exited (code {child.process.returncode}) before it was ready", child.log_path)
        if time.monotonic() > deadline:
            raise StackError(f"{child.name} did not print {pattern.pattern!r} within {timeout:.0f}s", child.log_path)
        time.sleep(POLL_INTERVAL)


def wait_for_http(
    child: Child,
    url: str,
    timeout: float,
    ready: Callable[[object], bool],
    *,
    method: str = "GET",
    request_timeout: float = 5.0,
    what: str = "",
    **request_kwargs,
):
    """Poll `url` until `ready(response)`; fail early if the child exits."""
    import requests

    deadline = time.monotonic() + timeout
    last = "no answer"
    while True:
        if not child.alive():
            raise StackError(f"{child.name} exited (code {child.process.returncode}) before it was ready", child.log_path)
        try:
            response = requests.request(method, url, timeout=request_timeout, allow_redirects=False, **request_kwargs)
            if ready(response):
                return response
            last = f"HTTP {response.status_code}: {response.text[:200]!r}"
        except requests.RequestException as err:
            last = type(err).__name__
        if time.monotonic() > deadline:
            raise StackError(f"{what or url} not ready within {timeout:.0f}s (last: {last})", child.log_path)
        time.sleep(POLL_INTERVAL * 5)

