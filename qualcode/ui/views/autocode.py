"""Auto-code page: apply a codebook's rules to the project and read what they coded."""

from pathlib import Path

import pandas as pd
import streamlit as st

from qualcode.codebook import load as load_codebook
from qualcode.errors import QualcodeError
from qualcode.retrieval import markdown_lines, markdown_text
from qualcode.ui import state, suggest_panel, team

CODEBOOKS = Path(__file__).resolve().parents[3] / "codebooks"

project = state.project()
st.title("Auto-code")
st.caption("Rules code a corpus the same way every time: by lemma (работа codes работы, работу…), "
           "with negation, proximity and speaker scope. Rule codings are suggestions until reviewed.")

shipped = sorted(str(p) for p in CODEBOOKS.glob("*.yaml")) if CODEBOOKS.exists() else []
path = st.selectbox("Shipped codebook", shipped, key="codebook_choice", format_func=lambda p: Path(p).name)
own = st.text_input("…or the path of your own codebook (YAML)", key="codebook_path").strip()
if own:
    own = state.allowed_file(own)  # only inside the app's folders (qualcode/access.py)
path = own or path
accept = st.checkbox("Store codings as accepted (not as suggestions to review)", key="autocode_accept")

book = None
if path:
    try:
        book = load_codebook(path)
    except QualcodeError as exc:
        st.error(markdown_lines(str(exc)))
if book is not None:
    n_rules = {lang: sum(1 for _ in book.rules(lang)) for lang in book.languages}
    st.caption(f"**{markdown_text(book.name)}** version {markdown_text(str(book.version))}: "
               f"{len(book.codes)} codes; rules "
               + ", ".join(f"{lang} {n}" for lang, n in n_rules.items()))
    dry, real = st.columns(2)
    preview = dry.button("Preview (change nothing)", key="autocode_preview")
    go = real.button("Code the project", type="primary", key="autocode_run")
    if (preview or go) and (preview or team.guarded(project, "autocode")):
        bar = st.progress(0.0, text="Coding…")

        def progress(done: int, total: int, _name: str) -> None:
            bar.progress(done / max(total, 1), text=f"Coding… {done}/{total} transcripts")

        try:
            run = project.autocode(book, accept=accept or None, dry_run=preview, progress=progress,
                                   actor=state.coder() or None)  # the audit log names who re-coded
        except QualcodeError as exc:
            st.error(markdown_lines(str(exc)))
        else:
            bar.empty()
            head = "Preview: the run would make" if preview else f"Run {run.id} made"
            st.success(f"{head} {run.total} codings in {len(run.transcripts)} transcripts "
                       f"(+{sum(map(len, run.added.values()))} / −{sum(map(len, run.removed.values()))} "
                       f"against the previous run; {run.carried_over} reviewer decisions kept).")
            for warning in run.warnings:
                st.warning(markdown_lines(warning))
            st.session_state["autocode_last"] = pd.DataFrame(
                [{"code": c, "codings": run.counts.get(c, 0), "added": len(run.added.get(c, [])),
                  "removed": len(run.removed.get(c, []))} for c in sorted(set(run.counts) | set(run.removed))])
    if "autocode_last" in st.session_state:
        st.dataframe(st.session_state["autocode_last"], hide_index=True, key="autocode_counts", placeholder="—")

suggest_panel.learn_from_coding(project)

st.subheader("Rule codings")
codings = project.codings(origin="rule")
if codings.empty:
    st.info("No rule codings yet: choose a codebook and press **Code the project**.")
    st.stop()
code = st.selectbox("Code", sorted(codings["code"].unique()), key="autocode_code")
shown = codings[codings["code"] == code]
st.caption(f"{len(shown)} codings in {shown['case'].nunique()} cases.")
st.dataframe(shown[["transcript", "case", "text", "matched", "rule", "status"]], hide_index=True,
             width="stretch", key="autocode_codings", placeholder="—")
