"""Project page: which project is open, open or create another, upload transcripts (preview the
turns, speakers and roles first, correct the roles, then import) with a result per file, and edit
the case attributes (checked by type; a bad cell saves nothing)."""

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from qualcode.errors import QualcodeError
from qualcode.ingest import ImportOptions, TableOptions
from qualcode.ingest import preview as import_preview
from qualcode.messages import plain_for_app
from qualcode.model import ROLES
from qualcode.project import Project
from qualcode.retrieval import markdown_lines, markdown_text
from qualcode.ui import state, team

LANGUAGES = {"auto": "Detect", "en": "English", "ru": "Russian", "kk": "Kazakh"}
LAYOUTS = {"auto": "Detect", "turns": "One row per turn", "survey": "One row per respondent",
           "cases": "Cases table"}

project = state.project()
st.title("Project")
st.caption(f"**{markdown_text(project.name)}** · {markdown_text(team.shown(project.location))}")  # no password

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
    if team.active():  # team mode: projects come from the settings file only (sidebar chooser)
        known = ", ".join(map(team.shown, team.config().projects()))
        st.session_state["project_flash"] = ("error", str(QualcodeError("E533", value=team.shown(location),
                                                                        known=known)))
        return
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

if team.active():
    st.caption("Team server: the projects are the ones its settings name; choose one in the sidebar.")
else:
    with st.expander("Open or create another project"):
        st.caption("Project files are opened and created only in these folders: "
                   + markdown_text(state.folders().describe()))
        left, right = st.columns(2)
        left.text_input("Project file to open", key="project_open_path", placeholder="study.qcdb")
        left.button("Open", key="project_open",
                    on_click=lambda: switch(st.session_state["project_open_path"], False))
        right.text_input("New project file", key="project_new_path", placeholder="new-study.qcdb")
        right.button("Create", key="project_create",
                     on_click=lambda: switch(st.session_state["project_new_path"], True))

# --- upload -------------------------------------------------------------------------------------

st.subheader("Import transcripts")
st.caption("Text (.txt, .md), documents (.docx, .odt, .pdf), subtitles (.vtt, .srt) and tables (.csv, .xlsx); "
           "a cases table among them is joined to the transcripts. A file that fails changes nothing stored.")
upload_round = st.session_state.setdefault("project_upload_round", 0)
files = st.file_uploader("Files", accept_multiple_files=True, key=f"project_upload_{upload_round}")
a, b, c = st.columns(3)
language = a.selectbox("Language", list(LANGUAGES), format_func=LANGUAGES.get, key="project_language")
layout = c.selectbox("Table layout (.csv, .xlsx)", list(LAYOUTS), format_func=LAYOUTS.get, key="project_layout")
new_version = b.checkbox("A changed file with a known name becomes a new version", key="project_new_version")


def save_uploads(folder: str, rows: list[dict]) -> list[Path]:
    """The uploaded files in `folder` under their own names (never a path from the browser)."""
    paths = []
    for upload in files:
        name = Path(upload.name).name or "upload"
        try:
            (Path(folder) / name).write_bytes(upload.getvalue())
            paths.append(Path(folder) / name)
        except OSError as exc:
            rows.append({"file": name, "status": "failed", "transcripts": "",
                         "message": str(QualcodeError("E755", file=name, reason=exc.strerror or exc))})
    return paths


def preview_state(found: list, prefix: str) -> list[dict]:
    """What the preview shows, kept in the session (the uploaded files live in a temporary folder)."""
    out = []
    for item in found:
        for parsed in item.transcripts:
            out.append({"file": Path(item.file).name, "name": parsed.name, "kind": item.kind,
                        "summary": parsed.report.summary() if parsed.report is not None else "",
                        "speakers": import_preview.speakers(parsed),
                        "turns": import_preview.first_turns(parsed),
                        "warnings": [w.replace(prefix, "") for w in parsed.warnings]})
        if item.kind != "transcript":
            out.append({"file": Path(item.file).name, "name": "", "kind": item.kind,
                        "summary": (item.error or "").replace(prefix, ""), "speakers": [], "turns": [],
                        "warnings": []})
    return out


options = ImportOptions(language=language, new_version=new_version, table=TableOptions(layout=layout))
left, right = st.columns(2)
if left.button("Preview", key="project_preview", disabled=not files) and team.guarded(project, "import"):
    with tempfile.TemporaryDirectory(prefix="qualcode-upload-") as folder:
        paths = save_uploads(folder, [])
        st.session_state["project_previews"] = preview_state(import_preview.preview(paths, options),
                                                             str(Path(folder)) + "/")

previews = st.session_state.get("project_previews") if files else None
speaker_map: dict[str, str] = {}
if previews:
    st.markdown("**Preview**: nothing is stored until you import. Correct a role in the table, then import.")
    found = pd.DataFrame([{"speaker": row["speaker"], "role": row["role"], "found by": row["how"],
                           "file": p["file"], "turns": row["turns"], "words": row["words"]}
                          for p in previews for row in p["speakers"] if row["speaker"]],
                         columns=["speaker", "role", "found by", "file", "turns", "words"])
    if not found.empty:
        roles = st.data_editor(
            found, hide_index=True, width="stretch", key="project_preview_roles",
            disabled=["speaker", "found by", "file", "turns", "words"],
            column_config={"role": st.column_config.SelectboxColumn("role", options=list(ROLES), required=True)},
                placeholder="—")
        # Only the roles a user changed become the speaker map: the rest stay as found.
        speaker_map = {str(e.speaker): str(e.role) for e, f in zip(roles.itertuples(), found.itertuples(),
                                                                   strict=True) if e.role != f.role}
    for p in previews:
        title = f"{p['file']} → {p['name']}" if p["name"] else f"{p['file']}: {p['kind']}"
        with st.expander(markdown_text(title), expanded=len(previews) == 1):
            st.caption(markdown_text(p["summary"]))
            for warning in p["warnings"]:
                st.warning(markdown_lines(warning))
            if p["turns"]:
                st.dataframe(pd.DataFrame(p["turns"], columns=["turn", "speaker", "role", "words"]),
                             hide_index=True, width="stretch", placeholder="—")

if right.button("Import", type="primary", key="project_import", disabled=not files) \
        and team.guarded(project, "import"):
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="qualcode-upload-") as folder:
        paths = save_uploads(folder, rows)
        bar = st.progress(0.0, text="Importing…")
        options.speaker_map = speaker_map
        report = project.import_files(
            paths, options, actor=state.coder() or None,  # the audit log names who imported
            progress=lambda done, total, _name: bar.progress(done / max(total, 1), text=f"Importing… {done}/{total}"))
        bar.empty()
        prefix = str(Path(folder)) + "/"
        for result in report.results:
            rows.append({"file": Path(result.file).name, "status": result.status,
                         "transcripts": ", ".join(result.transcripts),
                         "message": "; ".join([result.message, *result.reports, *result.warnings]).replace(prefix, "")})
    st.session_state["project_import_results"] = pd.DataFrame(rows)
    st.session_state["project_upload_round"] = upload_round + 1  # a fresh, empty uploader
    st.session_state.pop("project_previews", None)
    st.rerun()

results = st.session_state.get("project_import_results")
if results is not None:
    done = results["status"].value_counts()
    st.caption(" · ".join(f"{status}: {n}" for status, n in done.items()))
    st.dataframe(results.assign(message=results["message"].map(plain_for_app)), hide_index=True,
                 width="stretch", key="project_results",
                 column_config={"message": st.column_config.TextColumn(width="large")}, placeholder="—")
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
edited = st.data_editor(table, hide_index=True, width="stretch", column_config=config, key="project_attributes",
    placeholder="—")
if st.button("Save attributes", type="primary", key="project_save_attributes") \
        and team.guarded(project, "attributes"):
    try:
        changed = project.set_case_attributes(edited, source=f"edited by {state.coder() or 'a user'}",
                                              actor=state.coder())
    except QualcodeError as exc:
        st.error(markdown_lines(str(exc)))
    else:
        st.success(f"Saved: {changed} value(s) changed." if changed else "Nothing changed.")
