"""Transcripts page: what is in the project, and each transcript's turns."""

import pandas as pd
import streamlit as st

from qualcode.ingest.turns import format_timestamp
from qualcode.retrieval import markdown_text
from qualcode.ui import state
from qualcode.wording import count

project = state.project()
st.title("Transcripts")
table = project.transcripts()
if table.empty:
    st.info("No transcripts yet. Import some on the **Project** page (**Import transcripts**).")
    st.stop()
st.caption(f"{count(len(table), 'transcript')}, {count(int(table['words'].sum()), 'word')}, "
           f"{count(int(table['turns'].sum()), 'turn')}.")
st.dataframe(
    table.drop(columns=["sha256"]), hide_index=True, width="stretch", key="transcripts_table",
    placeholder="—")

name = st.selectbox("Show transcript", table["transcript"].tolist(), key="transcript_choice")
cases = project.cases().set_index("case")
row = table.set_index("transcript").loc[name]
if row["case"] in cases.index:
    attrs = cases.loc[row["case"]].dropna()
    st.caption(" · ".join(markdown_text(f"{k}: {v}") for k, v in attrs.items() if k != "note"))
turns = project.turns(name)
for turn in turns.itertuples():
    ts = f"[{format_timestamp(turn.timestamp)}] " if pd.notna(turn.timestamp) else ""
    who = turn.speaker or "—"
    with st.container(border=turn.role == "respondent"):
        st.markdown(f"**{markdown_text(ts + who)}** · _{markdown_text(turn.role)}_")
        st.text(turn.text)
