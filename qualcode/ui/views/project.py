"""Project page: which project is open, open or create another, upload transcripts with a
result per file, and edit the case attributes (checked by type; a bad cell saves nothing)."""

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from qualcode.errors import QualcodeError
from qualcode.ingest import ImportOptions
from qualcode.project import Project
from qualcode.retrieval import markdown_lines, markdown_text
from qualcode.ui import state

LANGUAGES = {"auto": "Detect", "en": "English", "ru": "Russian", "kk": "Kazakh"}

project = state.project()
st.title("Project")
st.caption(f"**{markdown_text(project.name)}** · {markdown_text(project.location)}")

transcripts = project.transcripts()
cases = project.cases()
codings = project.codings()
counts = st.columns(4)
counts[0].metric("Transcripts", len(transcripts))
counts[1].metric("Cases", len(cases))
counts[2].metric("Codes", len(project.codes()))
counts[3].metric("Codings", len(codings))


def switch(location: str, create: bool) -> None:
    """Open (or create) a project, and make it this browser session's project if that worked."""
    location = location.strip()
    if not location:
        st.session_state["project_flash"] = ("error", str(QualcodeError("E756")))
        return
    try:
        # Only inside the app's folders (qualcode/access.py), symlinks and .. resolved first.
        location = str(state.folders().readable_file(location))
        opened = Project.create(location) if create else Project.open(location)
    except QualcodeError as exc:
        st.session_state["project_flash"] = ("error", str(exc))
        return
    opened.close()
    st.session_state["project_location"] = location
    st.session_state["project_flash"] = ("success", f"{'Created' if create else 'Opened'} {location}.")
    st.session_state.pop("project_import_results", None)


flash = st.session_state.pop("project_flash", None)
if flash:
    getattr(st, flash[0])(markdown_lines(flash[1]))

with st.expander("Open or create another project"):
    st.caption("Project files are opened and created only in these folders: "
               + markdown_text(state.folders().describe()))
    left, right = st.columns(2)
    left.text_input("Project file to open", key="project_open_path", placeholder="study.qcdb")
    left.button("Open", key="project_open", on_click=lambda: switch(st.session_state["project_open_path"], False))
    right.text_input("New project file", key="project_new_path", placeholder="new-study.qcdb")
    right.button("Create", key="project_create",
                 on_click=lambda: switch(st.session_state["project_new_path"], True))

# --- upload -------------------------------------------------------------------------------------

st.subheader("Import transcripts")
st.caption("Text (.txt, .md), documents (.docx, .odt, .pdf), subtitles (.vtt, .srt) and tables (.csv, .xlsx); "
           "a cases table among them is joined to the transcripts. A file that fails changes nothing stored.")
upload_round = st.session_state.setdefault("project_upload_round", 0)
files = st.file_uploader("Files", accept_multiple_files=True, key=f"project_upload_{upload_round}")
a, b = st.columns(2)
language = a.selectbox("Language", list(LANGUAGES), format_func=LANGUAGES.get, key="project_language")
new_version = b.checkbox("A changed file with a known name becomes a new version", key="project_new_version")
if st.button("Import", type="primary", key="project_import", disabled=not files):
    rows = []
    with tempfile.TemporaryDirectory(prefix="qualcode-upload-") as folder:
        paths = []
        for upload in files:
            name = Path(upload.name).name or "upload"  # never a path from the browser
            try:
                (Path(folder) / name).write_bytes(upload.getvalue())
                paths.append(Path(folder) / name)
            except OSError as exc:
                rows.append({"file": name, "status": "failed", "transcripts": "",
                             "message": str(QualcodeError("E755", file=name, reason=exc.strerror or exc))})
        bar = st.progress(0.0, text="Importing…")
        report = project.import_files(
            paths, ImportOptions(language=language, new_version=new_version),
            progress=lambda done, total, _name: bar.progress(done / max(total, 1), text=f"Importing… {done}/{total}"))
        bar.empty()
        prefix = str(Path(folder)) + "/"
        for result in report.results:
            rows.append({"file": Path(result.file).name, "status": result.status,
                         "transcripts": ", ".join(result.transcripts),
                         "message": "; ".join([result.message, *result.warnings]).replace(prefix, "")})
    st.session_state["project_import_results"] = pd.DataFrame(rows)
    st.session_state["project_upload_round"] = upload_round + 1  # a fresh, empty uploader
    st.rerun()

results = st.session_state.get("project_import_results")
if results is not None:
    done = results["status"].value_counts()
    st.caption(" · ".join(f"{status}: {n}" for status, n in done.items()))
    st.dataframe(results, hide_index=True, width="stretch", key="project_results",
                 column_config={"message": st.column_config.TextColumn(width="large")})
    for row in results[results["status"] == "failed"].itertuples():
        st.error(markdown_lines(row.message))

# --- case attributes --------------------------------------------------------------------------------

st.subheader("Case attributes")
types = project.attribute_types()
if cases.empty or not types:
    st.info("No case attributes yet: import a cases table (a .csv or .xlsx with a case or file column).")
    st.stop()
st.caption("Edit a cell and save. Numbers and dates are checked; a bad cell names the case, the attribute and "
           "the value, and nothing is saved until every cell is right. Empty a cell to remove a value.")


def as_text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


table = cases.copy()
for column in table.columns:
    table[column] = table[column].map(as_text).astype(object)
config = {"case": st.column_config.TextColumn("case", disabled=True)}
config.update({name: st.column_config.TextColumn(name, help=f"{kind} attribute") for name, kind in types.items()})
edited = st.data_editor(table, hide_index=True, width="stretch", column_config=config, key="project_attributes")
if st.button("Save attributes", type="primary", key="project_save_attributes"):
    try:
        changed = project.set_case_attributes(edited, source=f"edited by {st.session_state.get('coder') or 'a user'}")
    except QualcodeError as exc:
        st.error(markdown_lines(str(exc)))
    else:
        st.success(f"Saved: {changed} value(s) changed." if changed else "Nothing changed.")
