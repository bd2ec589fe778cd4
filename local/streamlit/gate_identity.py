"""Streamlit glue around `alb_identity`: who is viewing this page, and the identity bar.

Configuration (environment, read here and not in the verifier module):
- `LOCAL_STREAMLIT=1`: no gate at all (quick UI work); the identity is a labelled placeholder.
- `ALB_PUBLIC_KEY_URL`: where the ALB public keys are, either a template containing `{kid}` or a
  base URL (`/{kid}` is appended). Local stack only; on AWS leave it unset and set `AWS_REGION`.
- `AWS_REGION`: selects `https://public-keys.auth.elb.<region>.amazonaws.com/<kid>`.
- `ALB_SIGNER_ARN`: the ARN of the ALB whose signature is trusted (strongly recommended).
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass

import streamlit as st

from alb_identity import OIDC_DATA_HEADER, Identity, IdentityError, verify_alb_identity

LOGOUT_PATH = "/_auth/logout"
LOCAL_PLACEHOLDER_EMAIL = "local-dev@localhost"


@dataclass(frozen=True)
class Viewer:
    """The result of checking the request: a verified identity, local mode, or why there is none."""

    identity: Identity | None
    local_mode: bool
    problem: str | None


def local_mode() -> bool:
    return os.environ.get("LOCAL_STREAMLIT", "").strip() == "1"


def key_url_template() -> str | None:
    url = os.environ.get("ALB_PUBLIC_KEY_URL", "").strip()
    if not url:
        return None
    return url if "{kid}" in url else url.rstrip("/") + "/{kid}"


def current_viewer() -> Viewer:
    if local_mode():
        return Viewer(identity=None, local_mode=True, problem=None)
    try:
        identity = verify_alb_identity(
            st.context.headers,
            region=os.environ.get("AWS_REGION") or None,
            expected_signer_arn=os.environ.get("ALB_SIGNER_ARN") or None,
            key_url_template=key_url_template(),
        )
    except IdentityError as err:
        return Viewer(identity=None, local_mode=False, problem=f"{type(err).__name__}: {err}")
    return Viewer(identity=identity, local_mode=False, problem=None)


def show_identity_bar() -> Viewer:
    """Render who is signed in (or why nobody is) at the top of a page; return the viewer."""
    viewer = current_viewer()
    if viewer.local_mode:
        st.info(
            f"Local mode (LOCAL_STREAMLIT=1): no gate, no sign-in. "
            f"Identity placeholder: **{LOCAL_PLACEHOLDER_EMAIL}** (not verified)."
        )
    elif viewer.identity is not None:
        email = html.escape(viewer.identity.email)
        st.markdown(
            f'Signed in as <strong>{email}</strong> &nbsp;·&nbsp; '
            f'<a href="{LOGOUT_PATH}" target="_self">Sign out</a>',
            unsafe_allow_html=True,
        )
    else:
        st.warning(
            "No verified identity: this request did not carry a valid ALB-signed "
            f"`{OIDC_DATA_HEADER}` header."
        )
        # Plain text: the reason may quote attacker-supplied header fields.
        st.text(f"Reason: {viewer.problem}")
    return viewer
