"""Who gets in: each mock Google account through the real ALB emulator, gate Lambdas and app."""

from __future__ import annotations

import pytest
from gate_flows import (
    APP_READY_SELECTOR,
    IDP_RESPONSE_PATH,
    open_chooser,
    pick_account,
    session_cookies,
    wait_for_identity,
)


def test_workspace_user_signs_in_and_sees_the_app(gate_stack, page, shot):
    url = gate_stack.alb("main").url
    open_chooser(page, url)
    assert "/o/oauth2/v2/auth" in page.url, "unauthenticated visit must go to the (mock) Google chooser"
    shot(page, "chooser")

    response = pick_account(page, "alice@example.com")

    assert response.status == 302, "ALB answers the IdP response with a redirect to the original URL"
    page.wait_for_selector(APP_READY_SELECTOR)
    wait_for_identity(page, "alice@example.com")
    assert page.url == url
    assert session_cookies(page.context), "ALB must set its session cookie"
    shot(page, "home-signed-in")

    # The Data page renders over Streamlit's websocket: proves the upgrade passes the ALB.
    page.get_by_role("link", name="Data").click()
    page.locator('[data-testid="stDataFrame"]').wait_for()
    page.get_by_text("24 rows").wait_for()
    wait_for_identity(page, "alice@example.com")
    shot(page, "data-page")


def test_allowlisted_external_user_is_allowed(gate_stack, page, shot):
    open_chooser(page, gate_stack.alb("main").url)

    pick_account(page, "carol@contractor.io")

    wait_for_identity(page, "carol@contractor.io")
    shot(page, "signed-in")


@pytest.mark.parametrize(
    "email",
    [
        pytest.param("bob@gmail.com", id="consumer-account"),
        pytest.param("mallory@example.com", id="company-address-without-hd"),
        pytest.param("dave@example.com", id="unverified-email"),
    ],
)
def test_account_outside_the_policy_is_denied(gate_stack, page, shot, email):
    open_chooser(page, gate_stack.alb("main").url)
    shot(page, "chooser")

    response = pick_account(page, email)

    # The gate's token endpoint answers access_denied; ALB shows its IdP-error page.
    assert response.status == 561
    assert IDP_RESPONSE_PATH in page.url
    assert not session_cookies(page.context), "a denied user must not get a session"
    assert "Signed in as" not in page.content()
    shot(page, "denied")
