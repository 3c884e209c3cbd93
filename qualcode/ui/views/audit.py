"""Audit page: who did what to the project, and when (qualcode.audit). Filter by person, action
and date; download what is shown as CSV. It answers "who deleted my codings?"."""

import datetime as dt

import streamlit as st

from qualcode.audit import ACTIONS
from qualcode.errors import QualcodeError
from qualcode.exchange import safe_csv
from qualcode.retrieval import markdown_lines, markdown_text
from qualcode.ui import state

ALL = "(all)"
FAMILIES = sorted({a.split(".")[0] for a in ACTIONS if "." in a})  # coding, code, import, ...

project = state.project()
st.title("Audit log")
st.caption("Every coding added, changed, reviewed, removed or restored, every code added, renamed, moved, merged, "
           "deleted or restored, every import and re-code, with who did it and when (UTC). Each entry is written "
           "in the same transaction as the change itself.")

everyone = project.audit()
actors = sorted(set(everyone["actor"]))
left, middle, right = st.columns(3)
actor = left.selectbox("Who", [ALL, *actors], key="audit_actor")
action = middle.selectbox("Action", [ALL, *FAMILIES, *ACTIONS], key="audit_action",
                          format_func=lambda a: f"{a} (all)" if a in FAMILIES else a,
                          help="To find who deleted codings, choose coding.delete.")
since = right.date_input("Since", value=None, key="audit_since", format="YYYY-MM-DD",
                         max_value=dt.date.today() + dt.timedelta(days=1), help="Empty: from the beginning.")
try:
    frame = project.audit(actor=None if actor == ALL else actor, action=None if action == ALL else action,
                          since=since)
except QualcodeError as exc:
    st.error(markdown_lines(str(exc)))
    st.stop()

if everyone.empty:
    st.info("Nothing recorded yet: the log starts with the first coding, code edit, import or re-code.")
    st.stop()
st.caption(markdown_text(f"{len(frame)} of {len(everyone)} entries shown, newest first."))
shown = frame.assign(at=frame["at"].dt.strftime("%Y-%m-%d %H:%M:%S"))
st.dataframe(shown, hide_index=True, width="stretch", key="audit_table",
             column_config={"detail": st.column_config.TextColumn(width="large"),
                            "id": st.column_config.NumberColumn(width="small")})
st.download_button("Download as CSV", safe_csv.to_csv(frame.assign(at=frame["at"].map(lambda t: t.isoformat()))),
                   file_name=f"{project.name}-audit.csv", mime="text/csv", key="audit_download",
                   icon=":material/download:", disabled=frame.empty)
