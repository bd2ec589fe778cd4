"""Session life cycle: sign-out through the authorizer's /_auth/logout, and session expiry."""

from __future__ import annotations

import requests
from conftest import SHORT_SESSION_SECONDS
from gate_flows import (
    chooser_button,
    cookie_header,
    open_chooser,
    pick_account,
    poll,
    session_cookies,
    wait_for_identity,
)


def test_logout_clears_the_session_and_asks_to_sign_in_again(gate_stack, page, shot):
    url = gate_stack.alb("main").url
    open_chooser(page, url)
    pick_account(page, "alice@example.com")
    wait_for_identity(page, "alice@example.com")
    assert session_cookies(page.context)
    shot(page, "signed-in")

    page.get_by_role("link", name="Sign out").click()

    page.wait_for_url("**/_auth/signed-out")
    page.get_by_role("link", name="Sign in again").wait_for()
    assert not session_cookies(page.context), "logout must expire every AWSELBAuthSessionCookie-N"
    shot(page, "signed-out")

    page.get_by_role("link", name="Sign in again").click()
    chooser_button(page, "alice@example.com").wait_for()
    assert "/o/oauth2/v2/auth" in page.url
    shot(page, "chooser-again")


def test_expired_session_reauthenticates_and_stcore_gets_401(gate_stack, page, shot):
    alb = gate_stack.alb("short")
    open_chooser(page, alb.url)
    pick_account(page, "alice@example.com")
    wait_for_identity(page, "alice@example.com")
    shot(page, "signed-in")
    cookies = cookie_header(page.context)
    health = f"{alb.url}_stcore/health"

    def stcore_status() -> int:
        return requests.get(health, headers={"Cookie": cookies}, allow_redirects=False, timeout=5).status_code

    assert stcore_status() == 200, "a live session reaches Streamlit's /_stcore/ endpoints"
    # Wait for the session to expire (bounded): the same cookie then gets 401, not a redirect.
    poll(lambda: stcore_status() == 401, timeout=SHORT_SESSION_SECONDS + 30, what="session expiry")
    expired = requests.get(health, headers={"Cookie": cookies}, allow_redirects=False, timeout=5)
    assert expired.status_code == 401
    assert "location" not in expired.headers

    page.reload()

    chooser_button(page, "alice@example.com").wait_for()
    assert "/o/oauth2/v2/auth" in page.url, "an expired session re-authenticates on reload"
    shot(page, "chooser-after-expiry")
    pick_account(page, "alice@example.com")
    wait_for_identity(page, "alice@example.com")
    shot(page, "signed-in-again")
