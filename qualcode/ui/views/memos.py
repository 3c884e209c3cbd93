"""Memos page: every memo of the project, its transcripts, cases, codes and codings, in one
list filtered by what it is about, by author and by words; a memo opened to edit or delete
(with Undo), a new memo written, the transcript of a memo opened in the workbench, and the
memos shown downloaded as Markdown, CSV or Word. The logic is qualcode.memos; the page only
asks and shows."""

from pathlib import Path
from urllib.parse import quote

import pandas as pd
import streamlit as st
from streamlit.errors import StreamlitAPIException

from qualcode import memos as memo_rules
from qualcode.errors import QualcodeError
from qualcode.exchange import memo_files
from qualcode.retrieval import markdown_lines, markdown_text
from qualcode.ui import state, team

WORKBENCH = Path(__file__).resolve().parent / "code.py"
ANY = "(any)"
KIND_WORDS = {"project": "Project", "transcript": "Transcript", "case": "Case", "code": "Code", "coding": "Coding",
              "turn": "Turn"}
FORMATS = {"md": ("Markdown", "text/markdown"), "csv": ("CSV", "text/csv"),
           "docx": ("Word", "application/vnd.openxmlformats-officedocument.wordprocessingml.document")}

project = state.project()
st.title("Memos")
st.caption("What you write about the project, a transcript, a case, a code or a coding. Memos kept on a code "
           "(the codebook's) or on a coding (written in the workbench) are listed too; change those where they "
           "are kept.")
coder = state.coder()


def may_write() -> bool:
    """In team mode only a role that may write memos writes (its refusal is shown); alone, always."""
    return team.guarded(project, "memo")


def run(action, *args, **kwargs) -> bool:
    """Call a Project method; True if it worked, else its numbered error is shown (no traceback)."""
    try:
        action(*args, **kwargs)
    except QualcodeError as exc:
        st.error(markdown_lines(str(exc)))
        return False
    return True


flash = st.session_state.pop("memos_flash", None)
if flash:
    st.success(markdown_text(flash))
undo = st.session_state.get("memos_undo")
if undo is not None:
    left, right = st.columns([4, 1])
    left.info(f"Memo {undo} was deleted.")
    if right.button("Undo", key="memos_undo_button") and may_write() \
            and run(project.restore_memo, undo, actor=coder or None):
        st.session_state.pop("memos_undo", None)
        st.session_state["memos_flash"] = f"Memo {undo} is back."
        st.rerun()

everything = project.memos()
a, b, c, d = st.columns([2, 3, 2, 3])
kinds = [ANY, *[k for k in (*memo_rules.KINDS, "turn") if (everything["target_type"] == k).any()]]
kind = a.selectbox("About", kinds, format_func=lambda k: KIND_WORDS.get(k, k), key="memos_kind")
of_kind = everything if kind == ANY else everything[everything["target_type"] == kind]
targets = [ANY, *sorted({str(t) for t in of_kind["target"].dropna()})] if kind not in (ANY, "project") else [ANY]
target = b.selectbox("Which", targets, key="memos_target", disabled=len(targets) == 1)
authors = [ANY, *sorted({str(x) for x in everything["author"].dropna()})]
author = c.selectbox("Author", authors, key="memos_author")
search = d.text_input("Search", key="memos_search", placeholder="words in the title or text")

# Kind, author and words are filtered by the API (ignoring case, Cyrillic too); the target by
# its label, since a coding is listed by where it is, not by its id.
shown = project.memos(None if kind == ANY else kind, author=None if author == ANY else author, search=search or None)
if target != ANY:
    shown = shown[shown["target"] == target]
shown = shown.astype(object).where(shown.notna(), None)  # no title is None here, not NaN
st.caption(f"{len(shown)} of {len(everything)} memos shown.")

if not shown.empty:
    table = pd.DataFrame({
        "id": shown["id"].map(lambda v: "" if pd.isna(v) else str(v)),  # memos kept on a code or coding have none
        "about": [f"{KIND_WORDS.get(k, k)} {t}" if isinstance(t, str) else KIND_WORDS.get(k, k)
                                     for k, t in zip(shown["target_type"], shown["target"], strict=True)],
        "open": [f"/code?transcript={quote(t)}" if isinstance(t, str) else None for t in shown["transcript"]],
        "title": shown["title"], "memo": shown["text"], "author": shown["author"],
        "changed": pd.to_datetime(shown["updated_at"], utc=True, errors="coerce").dt.strftime("%Y-%m-%d %H:%M"),
        "kept on": shown["stored_in"].map({"memos": "memo", "code": "code", "coding": "coding"}),
    })
    st.dataframe(table.fillna(""), hide_index=True, width="stretch", key="memos_table", column_config={
        "open": st.column_config.LinkColumn("open", display_text="workbench",
                                            help="Open the memo's transcript in the Code page"),
        "memo": st.column_config.TextColumn("memo", width="large")})
    fmt = st.radio("Download as", list(FORMATS), format_func=lambda f: FORMATS[f][0], horizontal=True,
                   key="memos_format")
    data = memo_files.to_bytes(shown, fmt, title=f"Memos of {project.name}")
    st.download_button(f"Download the memos shown ({FORMATS[fmt][0]})", data, f"memos.{fmt}", FORMATS[fmt][1],
                       key="memos_download", on_click="ignore")
elif everything.empty:
    st.info("No memos yet: write the first one below.")
else:
    st.info("No memo matches these filters.")


def workbench_link(transcript: str) -> None:
    """Open the transcript in the Code workbench (a plain link if that page is not registered)."""
    try:
        st.page_link(str(WORKBENCH), label=f"Open {transcript} in the workbench", icon=":material/edit_note:",
                     query_params={"transcript": transcript})
    except StreamlitAPIException:
        st.markdown(f"[Open {markdown_text(transcript)} in the workbench](/code?transcript={quote(transcript)})")


editable = shown[shown["stored_in"] == "memos"]
if not editable.empty:
    st.subheader("Edit a memo")
    labels = {int(r.id): f"{r.id}: {KIND_WORDS.get(r.target_type, r.target_type)} {r.target or ''}".strip()
                         + f" — {(r.title or r.text)[:50]}" for r in editable.itertuples()}
    picked = st.selectbox("Memo", list(labels), format_func=labels.get, key="memos_pick")
    row = editable[editable["id"] == picked].iloc[0]
    if isinstance(row["transcript"], str):
        workbench_link(row["transcript"])
    title = st.text_input("Title", value=row["title"] or "", key=f"memos_edit_title_{picked}")
    text = st.text_area("Text", value=row["text"], height=200, key=f"memos_edit_text_{picked}")
    save, delete = st.columns(2)
    if save.button("Save", key="memos_save", type="primary") and may_write() \
            and run(project.edit_memo, picked, text=text, title=title, actor=coder or None):
        st.session_state["memos_flash"] = f"Memo {picked} saved."
        st.rerun()
    if delete.button("Delete", key="memos_delete") and may_write() \
            and run(project.delete_memo, picked, actor=coder or None):
        st.session_state["memos_undo"] = picked
        st.rerun()

st.subheader("New memo")
e, f = st.columns([1, 3])
new_kind = e.selectbox("About", memo_rules.KINDS, format_func=KIND_WORDS.get, key="memos_new_kind")
choices: list[str] = []
if new_kind == "transcript":
    choices = list(project.transcripts()["transcript"])
elif new_kind == "case":
    choices = list(project.cases()["case"])
elif new_kind == "code":
    choices = list(project.codes()["code"])
if new_kind == "project":
    new_target = None
    f.text_input("Which", value=project.name, disabled=True, key="memos_new_project")
elif new_kind == "coding":
    new_target = f.number_input("Coding id (the id column of the Code page's codings table)", min_value=1, step=1,
                                key="memos_new_coding")
else:
    new_target = f.selectbox("Which", choices, key=f"memos_new_target_{new_kind}", index=None,
                             placeholder=f"choose a {new_kind}" if choices else f"the project has no {new_kind}s")
new_title = st.text_input("Title (optional)", key="memos_new_title")
new_text = st.text_area("Text", key="memos_new_text", height=150)
if st.button("Add memo", key="memos_add") and may_write() \
        and run(project.add_memo, new_kind, new_target, new_text, author=coder or None, title=new_title):
    st.session_state["memos_flash"] = "Memo added" + ("." if coder else " (without an author: name yourself in "
                                                       "the sidebar's Coder field).")
    for key in ("memos_new_title", "memos_new_text"):
        st.session_state.pop(key, None)
    st.rerun()
