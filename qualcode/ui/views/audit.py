"""Audit page: who did what to the project, and when (qualcode.audit). Filter by person, action
and date; download what the filters select as CSV. It answers "who deleted my codings?".

A busy project logs every coding, so the table shows the newest rows only; the download has
them all, and is made only when it is asked for."""

import datetime as dt

import streamlit as st

from qualcode import audit
from qualcode.errors import QualcodeError
from qualcode.exchange import safe_csv
from qualcode.retrieval import markdown_lines, markdown_text
from qualcode.ui import state

ALL = "(all)"
FAMILIES = sorted({a.split(".")[0] for a in audit.ACTIONS if "." in a})  # coding, code, import, ...
SHOWN = 2000  # rows in the table (the newest)

project = state.project()
st.title("Audit log")
st.caption("Every coding added, changed, reviewed, removed or restored, every code added, renamed, moved, merged, "
           "deleted or restored, every import and re-code, memo and membership change, with who did it and when "
           "(UTC). Each entry is written in the same transaction as the change itself.")

with project.engine.connect() as conn:
    everyone = audit.actors(conn)
    total = audit.count(conn)
if not total:
    st.info("Nothing recorded yet: the log starts with the first coding, code edit, import or re-code.")
    st.stop()
left, middle, right = st.columns(3)
actor = left.selectbox("Who", [ALL, *everyone], key="audit_actor")
action = middle.selectbox("Action", [ALL, *FAMILIES, *audit.ACTIONS], key="audit_action",
                          format_func=lambda a: f"{a} (all)" if a in FAMILIES else a,
                          help="To find who deleted codings, choose coding.delete.")
since = right.date_input("Since", value=None, key="audit_since", format="YYYY-MM-DD",
                         max_value=dt.date.today() + dt.timedelta(days=1), help="Empty: from the beginning.")
filters = dict(actor=None if actor == ALL else actor, action=None if action == ALL else action, since=since)
try:
    with project.engine.connect() as conn:
        frame = audit.frame(conn, **filters, limit=SHOWN)
        selected = audit.count(conn, **filters)
except QualcodeError as exc:
    st.error(markdown_lines(str(exc)))
    st.stop()

newest = f"the newest {len(frame):,} of " if selected > len(frame) else ""
st.caption(markdown_text(f"Showing {newest}{selected:,} matching entries (of {total:,}), newest first."))
st.dataframe(frame.assign(at=frame["at"].dt.strftime("%Y-%m-%d %H:%M:%S")), hide_index=True, width="stretch",
             key="audit_table", placeholder="—",
             column_config={"detail": st.column_config.TextColumn(width="large"),
                            "id": st.column_config.NumberColumn(width="small")})


def every_row() -> str:
    """The CSV of everything the filters select (not only the rows shown), made on the click."""
    with project.engine.connect() as conn:
        rows = audit.frame(conn, **filters)
    return safe_csv.to_csv(rows.assign(at=rows["at"].map(lambda t: t.isoformat())))


st.download_button(f"Download the {selected:,} entries as CSV", every_row, file_name=f"{project.name}-audit.csv",
                   mime="text/csv", key="audit_download", icon=":material/download:", disabled=not selected)
