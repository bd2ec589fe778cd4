"""Browser end-to-end fixtures: one local stack per test session, Debian's chromium via Playwright.

The stack has three emulated load balancers sharing one mock Google and one pair of gate Lambdas:
- `main`: the demo configuration (12 h sessions, loopback allowed);
- `short`: sessions of SHORT_SESSION_SECONDS, for the expiry scenario (its own app instance, so
  the app verifies that load balancer's signing key);
- `blocked`: allows only 10.0.0.0/8, so loopback clients are refused.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import stack as stack_module  # noqa: E402

ROOT = stack_module.ROOT
SCREENSHOT_DIR = ROOT / "target" / "e2e"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHORT_SESSION_SECONDS = 15
# Playwright waits (ms): generous for a loaded 2-core machine, still bounded.
UI_TIMEOUT_MS = 30_000


@pytest.fixture(scope="session")
def gate_stack():
    lines: list[str] = []
    options = stack_module.StackOptions(
        albs=[
            stack_module.AlbSpec("main"),
            stack_module.AlbSpec("short", session_timeout_seconds=SHORT_SESSION_SECONDS),
            stack_module.AlbSpec("blocked", allowed_cidrs=("10.0.0.0/8",), with_app=False),
        ],
        log_dir=stack_module.DEFAULT_LOG_DIR / "e2e",
        watch_reload=False,
        say=lines.append,
    )
    stack = stack_module.Stack(options)
    try:
        stack.start()
    except stack_module.StackError as err:
        detail = stack_module.tail(err.log_path) if err.log_path else ""
        progress = "\n".join(lines)
        pytest.fail(f"local stack did not start: {err}\n{progress}\n--- log tail ---\n{detail}", pytrace=False)
    try:
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        subprocess.run(["bash", str(ROOT / "scripts" / "install-chromium.sh")], check=True)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.call_failed = report.failed


@pytest.fixture
def new_context(browser, request):
    """Factory of fresh browser contexts (no cookies shared between tests); all closed at the end.
    When the test failed, every open page is captured as <test>-failed-<n>.png first."""
    contexts = []

    def make(**kwargs):
        context = browser.new_context(viewport={"width": 1280, "height": 800}, **kwargs)
        context.set_default_timeout(UI_TIMEOUT_MS)
        contexts.append(context)
        return context

    yield make
    if getattr(request.node, "call_failed", False):
        shots = Screenshots(request.node.name, clear=False)
        for context in contexts:
            for open_page in context.pages:
                try:
                    shots(open_page, "failed")
                except Exception:  # noqa: BLE001 (best effort: the page may be gone)
                    pass
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context):
    return new_context().new_page()


class Screenshots:
    """Numbered screenshots per test: target/e2e/<test>-<nn>-<step>.png."""

    def __init__(self, test_name: str, *, clear: bool = True):
        self.prefix = re.sub(r"[^A-Za-z0-9_-]+", "_", test_name).strip("_")
        self.count = 0
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        if clear:
            for old in SCREENSHOT_DIR.glob(f"{self.prefix}-*.png"):
                old.unlink()
        else:
            self.count = len(list(SCREENSHOT_DIR.glob(f"{self.prefix}-*.png")))

    def __call__(self, page, step: str) -> Path:
        self.count += 1
        path = SCREENSHOT_DIR / f"{self.prefix}-{self.count:02d}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def shot(request):
    return Screenshots(request.node.name)
