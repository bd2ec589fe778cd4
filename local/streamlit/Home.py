"""Demo app behind the gate: home page. Run: `streamlit run local/streamlit/Home.py`.

The app has no login code: the ALB signs users in; this page only *shows* who they are,
verified from the ALB's signed `x-amzn-oidc-data` header (see alb_identity.py)."""

import streamlit as st

from gate_identity import show_identity_bar

st.set_page_config(page_title="Gate demo", page_icon="🔐")
show_identity_bar()

st.title("Gate demo app")
st.write(
    "An ordinary Streamlit app running behind an ALB with Google sign-in. "
    "Only verified Google Workspace users of the allowed domain and a short list of "
    "outside emails get this far; the app itself holds no secrets and no login code."
)
st.subheader("Pages")
st.markdown(
    "- **Data**: a table rendered over Streamlit's websocket (proves the upgrade passes the ALB).\n"
    "- **Identity**: the verified claims the ALB forwarded, and what arrived in the headers."
)
