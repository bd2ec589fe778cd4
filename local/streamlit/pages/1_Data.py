"""A DataFrame page: rendering it needs Streamlit's websocket, so it proves the upgrade got through."""

import pandas as pd
import streamlit as st

from gate_identity import show_identity_bar

st.set_page_config(page_title="Data · Gate demo", page_icon="📊")
show_identity_bar()

st.title("Data")


@st.cache_data
def weekly_sign_ins() -> pd.DataFrame:
    # Fixed numbers so the page looks the same on every run (and in screenshots).
    teams = ["Finance", "Sales", "Support", "Engineering", "Operations", "Legal"]
    rows = [
        {"team": team, "week": week, "sign_ins": (7 * index + 3 * week) % 23 + 5}
        for index, team in enumerate(teams)
        for week in range(1, 5)
    ]
    return pd.DataFrame(rows)


frame = weekly_sign_ins()
st.dataframe(frame, hide_index=True)
st.caption(f"{len(frame)} rows · {frame['sign_ins'].sum()} sign-ins in total")
st.bar_chart(frame.pivot_table(index="team", columns="week", values="sign_ins"))
