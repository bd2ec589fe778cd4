"""Load through the whole local stack (issue #5): 500 sign-ins by distinct users, 50 at a time,
each followed by app requests; 0 failures, no identity leakage, every gate decision an allow.
~30 s on a warm build (the stack builds what it needs). The harness is local/load/run.py
(`make load` runs it alone and prints the figures)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

RUN_PY = Path(__file__).resolve().parents[1] / "load" / "run.py"
_spec = importlib.util.spec_from_file_location("gate_load_run", RUN_PY)
load = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = load  # dataclasses look their module up there
_spec.loader.exec_module(load)

USERS = 500
CONCURRENCY = 50


def test_500_distinct_sign_ins_50_at_a_time_without_failure_or_leak():
    report = load.run(USERS, CONCURRENCY, say=lambda _line: None)

    assert report["failures"] == 0, report["failure_examples"]
    assert report["identity_leaks"] == 0
    assert report["sign_ins_ok"] == USERS
    assert report["app_requests_ok"] == USERS * load.APP_REQUESTS
    assert report["gate_token_endpoint"]["count"] == USERS
    assert report["gate_userinfo_endpoint"]["count"] == USERS
    assert report["gate_decisions_not_allow"] == {}
