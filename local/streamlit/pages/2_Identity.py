"""Who am I: the verified claims, plus what the identity headers looked like on arrival.

Useful when wiring a new app behind the gate, and used by the e2e tests to show that a header
forged by the browser never reaches the app (the ALB replaces it with its own)."""

import base64
import json

import streamlit as st

from alb_identity import OIDC_DATA_HEADER
from gate_identity import show_identity_bar

st.set_page_config(page_title="Identity · Gate demo", page_icon="🪪")
viewer = show_identity_bar()

st.title("Identity")

if viewer.identity is not None:
    st.subheader("Verified claims")
    names = ("email", "email_verified", "hd", "name", "sub")
    st.table({"claim": list(names), "value": [str(viewer.identity.claims.get(k, "")) for k in names]})
    st.text(f"Verified email: {viewer.identity.email}")


def unverified_header_fields(token: str) -> dict:
    """The JWT header as received, decoded without trusting it (diagnostics only)."""
    try:
        first = token.split(".", 1)[0]
        unpadded = first.rstrip("=")
        fields = json.loads(base64.urlsafe_b64decode(unpadded + "=" * (-len(unpadded) % 4)))
    except ValueError:
        return {"error": "not a JWT"}
    return fields if isinstance(fields, dict) else {"error": "not a JWT"}


st.subheader("Headers as received")
values = st.context.headers.get_all(OIDC_DATA_HEADER)
st.text(f"{OIDC_DATA_HEADER} values received: {len(values)}")
for value in values:
    fields = unverified_header_fields(value)
    st.text(f"kid={fields.get('kid')!r} signer={fields.get('signer')!r} alg={fields.get('alg')!r}")
