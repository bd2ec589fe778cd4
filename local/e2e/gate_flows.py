"""Browser steps shared by the e2e scenarios (sign in through the mock Google chooser, read the
app's identity bar, session cookies)."""

from __future__ import annotations

import base64
import json
import time

SESSION_COOKIE_PREFIX = "AWSELBAuthSessionCookie-"
IDP_RESPONSE_PATH = "/oauth2/idpresponse"
APP_READY_SELECTOR = '[data-testid="stAppViewContainer"]'


def chooser_button(page, email: str):
    """The mock Google account chooser shows one button per account, labelled with its email."""
    return page.get_by_role("button", name=email, exact=True)


def open_chooser(page, url: str):
    """Visit the app unauthenticated: the ALB redirects to the (mock) Google chooser."""
    page.goto(url)
    chooser_button(page, "alice@example.com").wait_for()
    return page


def pick_account(page, email: str):
    """Click an account in the chooser; return the response the ALB gave at /oauth2/idpresponse."""
    with page.expect_response(lambda r: IDP_RESPONSE_PATH in r.url) as idp_response:
        chooser_button(page, email).click()
    response = idp_response.value
    page.wait_for_load_state()
    return response


def sign_in(page, url: str, email: str):
    open_chooser(page, url)
    return pick_account(page, email)


def wait_for_identity(page, email: str):
    """The app's identity bar, rendered over the websocket after the ALB verified the session."""
    page.get_by_text(f"Signed in as {email}").wait_for()


def session_cookies(context) -> dict[str, str]:
    return {c["name"]: c["value"] for c in context.cookies() if c["name"].startswith(SESSION_COOKIE_PREFIX)}


def cookie_header(context) -> str:
    return "; ".join(f"{name}={value}" for name, value in session_cookies(context).items())


def poll(predicate, *, timeout: float, interval: float = 0.25, what: str = "condition"):
    """Call `predicate` until it returns a truthy value; bounded by `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout:.0f}s")
        time.sleep(interval)


def unsigned_es256_lookalike(email: str, kid: str, signer: str) -> str:
    """A header value shaped like ALB's x-amzn-oidc-data but signed by nobody (64 zero bytes)."""

    def seg(obj) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode()

    header = {"alg": "ES256", "kid": kid, "signer": signer, "exp": int(time.time()) + 600}
    claims = {"sub": "forged", "email": email, "email_verified": True, "hd": "example.com"}
    return f"{seg(header)}.{seg(claims)}.{base64.urlsafe_b64encode(bytes(64)).decode()}"
