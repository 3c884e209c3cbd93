"""Export page: coded tables for pandas, R, SPSS and Stata, and the project or codebook for
other QDA tools (REFI-QDA), as downloads. The same engine as `qualcode export`."""

import tempfile
from pathlib import Path

import streamlit as st

from qualcode.errors import QualcodeError
from qualcode.exchange import tables
from qualcode.retrieval import markdown_lines, markdown_text
from qualcode.ui import state
from qualcode.wording import count

WHAT = {"segments": "Coded segments (one row per coding)", "matrix": "Case × code matrix with attributes",
        "typology": "Typology assignments", "codebook": "Codebook", "project": "The whole project"}
FORMATS = {"segments": ["csv", "xlsx", "parquet", "sav", "dta"], "matrix": ["csv", "xlsx", "parquet", "sav", "dta"],
           "typology": ["csv", "xlsx", "parquet", "sav", "dta"], "codebook": ["csv", "xlsx", "qdc"],
           "project": ["xlsx", "qdpx"]}
MIME = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "parquet": "application/octet-stream", "sav": "application/x-spss-sav", "dta": "application/x-stata-dta",
        "qdc": "application/xml", "qdpx": "application/zip"}

project = state.project()
st.title("Export")
st.caption("SPSS (.sav) and Stata (.dta) files carry the code names as variable labels and 0/1 value labels. "
           "QDPX and QDC are the REFI-QDA exchange formats that ATLAS.ti, MAXQDA, NVivo and QualCoder read.")

what = st.radio("What", list(WHAT), format_func=WHAT.get, key="export_what")
fmt = st.selectbox("Format", FORMATS[what], key=f"export_format_{what}")
left, right = st.columns(2)
if fmt == "qdpx":  # other tools take every coding in a QDPX as a plain coding: suggestions only when asked
    include_suggestions = left.checkbox("Include suggestions as codings", key="export_suggestions",
                                        help="Other tools would show rule and model suggestions as ordinary "
                                             "codings. Rejected codings are never included.")
    accepted_only = not include_suggestions
    left.caption("Accepted and suggested codings; rejected ones never." if include_suggestions else
                 "Accepted codings only; suggestions and rejected codings are left out.")
else:
    include_suggestions = False
    accepted_only = left.checkbox("Accepted codings only (leave suggestions out)", key="export_accepted")
kind = right.selectbox("Matrix cells", ["presence", "count", "coverage"], key="export_kind",
                       disabled=what not in ("matrix", "project") or fmt == "qdpx")
bom = right.checkbox("CSV for Excel (UTF-8 with BOM)", key="export_bom", disabled=fmt != "csv")
statuses = ("accepted",) if accepted_only else ("accepted", "suggested")
name = f"{Path(project.location).stem}-{what}.{fmt}"


def build(target: Path) -> list[str]:
    """Write the chosen export to `target`; return notes for the user."""
    if fmt == "qdpx":
        result = project.export_qdpx(target, include_suggestions=include_suggestions)
        shown = "accepted and suggested" if include_suggestions else "accepted"
        notes = [result.summary(shown)]
        if result.left_out():
            notes.append(f"Other tools will not see {result.left_out()}; qualcode reads them back from the file.")
        return notes
    if fmt == "qdc":
        project.export_qdc(target)
        return [f"{count(len(project.codes()), 'code')}."]
    frames = tables.tables_for(project, what, fmt=fmt, kind=kind, statuses=statuses)
    result = tables.write(frames, target, fmt, bom=bom)
    notes = [", ".join(f"{t}: {count(n, 'row')}" for t, n in result.rows.items())]
    notes += [f"{t}: {len(r)} column(s) renamed for {fmt} (original names kept as labels)"
              for t, r in result.renamed.items() if r]
    # A table left out is a warning with its reason (E858), never a quiet line among the notes.
    notes += [str(QualcodeError("E858", path=target.name, table=table, reason=reason))
              for table, reason in frames.missing.items()]
    return notes + result.warnings


if st.button("Prepare the file", type="primary", key="export_prepare"):
    try:
        with tempfile.TemporaryDirectory() as folder, st.spinner("Writing…"):
            target = Path(folder) / name
            notes = build(target)
            st.session_state["export_file"] = (name, target.read_bytes(), notes)
    except QualcodeError as exc:
        st.session_state.pop("export_file", None)
        st.error(markdown_lines(str(exc)))

ready = st.session_state.get("export_file")
if ready and ready[0] == name:
    file_name, data, notes = ready
    for note in notes:
        if note.startswith("[E"):
            st.warning(markdown_lines(note))
        else:
            st.caption(markdown_text(note))  # notes name columns: codes and attributes
    st.download_button(f"Download {markdown_text(file_name)} ({len(data) / 1024:.0f} KB)", data, file_name=file_name,
                       mime=MIME[fmt], key="export_download", on_click="ignore", icon=":material/download:")
