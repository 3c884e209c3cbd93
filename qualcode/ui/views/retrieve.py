"""Retrieve page: every segment coded with the chosen codes (a parent code takes its
sub-codes), of the cases whose attributes pass the filters (e.g. women only), each in the
text around it with the coded words in bold, a link to open it in the workbench, and a CSV."""

from pathlib import Path
from urllib.parse import quote

import streamlit as st
from streamlit.errors import StreamlitAPIException

from qualcode import codes as code_ops
from qualcode import retrieval
from qualcode.errors import QualcodeError
from qualcode.exchange.safe_csv import csv_bytes
from qualcode.ui import state

WORKBENCH = Path(__file__).resolve().parent / "code.py"
PER_PAGE = 20
STATUSES = {"both": "Accepted and suggested", "accepted": "Accepted only"}

project = state.project()
st.title("Retrieve")
codes = project.codes()
if codes.empty or project.codings().empty:
    st.info("No codings yet: code the project first (Auto-code page, or by hand in the workbench).")
    st.stop()

ordered = code_ops.tree(codes)
# In tree order; the ids show the nesting (pull.state_program), so a chosen code's chip reads
# just its id (an indent of dots would show as "· pull.state_program").
chosen = st.multiselect("Codes (a parent code takes its sub-codes)", list(ordered["code"]), key="retrieve_codes")
cases = project.cases()
types = project.attribute_types()
attributes = st.multiselect("Filter by case attributes", list(types), key="retrieve_attributes")
where: dict[str, object] = {}
for name in attributes:
    values = cases[name].dropna() if name in cases.columns else cases["case"].iloc[:0]
    if types[name] in ("number", "date") and values.nunique() > 1:
        low, high = values.min(), values.max()
        if types[name] == "number" and all(float(v).is_integer() for v in values):
            low, high = int(low), int(high)
        where[name] = st.slider(retrieval.markdown_text(name), low, high, (low, high), key=f"retrieve_range_{name}")
    else:
        picked = st.multiselect(f"{retrieval.markdown_text(name)} (empty: any)", sorted({str(v) for v in values}),
                                key=f"retrieve_values_{name}")
        if picked:
            where[name] = picked
a, b = st.columns(2)
status = a.radio("Codings", list(STATUSES), format_func=STATUSES.get, horizontal=True, key="retrieve_status")
roles = b.multiselect("Said by (empty: anyone)", ["respondent", "interviewer", "other"], key="retrieve_roles")
if not chosen:
    st.info("Choose one or more codes.")
    st.stop()

links = {"page": WORKBENCH.exists()}


def workbench_link(transcript: str) -> None:
    """A link that opens the transcript in the Code workbench (a plain link if that page is not here)."""
    if links["page"]:
        try:
            st.page_link(str(WORKBENCH), label="Open in the workbench", icon=":material/edit_note:",
                         query_params={"transcript": transcript})
            return
        except StreamlitAPIException:  # the workbench page is not registered in this app
            links["page"] = False
    st.markdown(f"[Open in the workbench](/code?transcript={quote(transcript)})")


# The result is drawn into a fixed set of slots, the counters last. Streamlit replaces a page's
# elements one by one as a rerun reaches them, and removes the left-over ones only when the run
# ends; so the new counters used to stand for a moment above the previous result's segment cards
# (men's cards under the women-only count). Now every slot a card may occupy is rewritten, with
# the new card or with nothing, before the counters change, and one container holds them all so
# that filters added above shift them together.
with st.container():
    counter_slot, note_slot, table_slot, page_slot = st.empty(), st.empty(), st.empty(), st.empty()
    card_slots = [st.empty() for _ in range(PER_PAGE)]

try:
    result = project.retrieve(chosen, where=where, roles=roles or None,
                              statuses=("accepted",) if status == "accepted" else ("accepted", "suggested"))
except QualcodeError as exc:
    counter_slot.error(retrieval.markdown_lines(str(exc)))
    st.stop()

if result.empty:
    note_slot.info("No segment is coded with these codes in the cases that pass the filters.")
else:
    with note_slot.container():
        st.download_button("Download the segments (CSV)", csv_bytes(result),
                           file_name="segments.csv", mime="text/csv", key="retrieve_csv", on_click="ignore",
                           icon=":material/download:")
    first = ["case", "transcript", "turn", "speaker", "code", "coder", "origin", "status", "text", "link", *where]
    table_slot.dataframe(result.drop(columns=["id"]), hide_index=True, width="stretch", key="retrieve_table",
                         column_order=[*first, *(c for c in result.columns if c not in first and c != "id")],
                         column_config={"link": st.column_config.LinkColumn("open", display_text="workbench"),
                                        "text": st.column_config.TextColumn(width="large")}, placeholder="—")
    pages = max(1, -(-len(result) // PER_PAGE))
    page = page_slot.number_input(f"Page (of {pages}, {PER_PAGE} segments each)", 1, pages, 1,
                                  key="retrieve_page") if pages > 1 else 1
    for slot, row in zip(card_slots, result.iloc[(page - 1) * PER_PAGE:page * PER_PAGE].itertuples(), strict=False):
        with slot.container(border=True):
            who = row.coder if isinstance(row.coder, str) and row.coder else f"{row.origin}" + (
                f" ({row.rule})" if isinstance(row.rule, str) and row.rule else "")
            st.caption(retrieval.markdown_text(f"{row.case} · {row.transcript} · turn {row.turn} · "
                                              f"{row.speaker or row.role or '—'} · {row.code} · {row.status} · "
                                              f"coded by {who}"))
            st.markdown(retrieval.segment_markdown(row.before, row.text, row.after))
            workbench_link(row.transcript)

with counter_slot.container():
    counts = st.columns(3)
    counts[0].metric("Segments", len(result))
    counts[1].metric("Cases", result["case"].nunique())
    counts[2].metric("Transcripts", result["transcript"].nunique())
