"""Learned suggestions in the browser: "Learn from coding" on the Auto-code page, and the
"why" and "Code next" parts of the Review page. A thin shell over `Project.suggest` and
`Project.suggest_next`; every figure comes from the same code as `qualcode suggest`."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from qualcode.errors import QualcodeError
from qualcode.project import Project
from qualcode.retrieval import markdown_lines, markdown_text

TABLE = ["code", "human_turns", "positives", "rules_kappa", "model_kappa", "suggestion_kappa", "rules_f1",
         "model_f1", "suggestion_f1", "source", "verdict", "why"]


def learn_from_coding(project: Project) -> None:
    """Choose coders, train with a progress bar, read the table, write suggestions."""
    st.subheader("Learn from coding")
    st.caption("A model learns from the coders' own decisions (codings by hand or imported, accepted and "
               "rejected suggestions) and suggests codings for the transcripts they did not code. The table "
               "compares the rules alone, the model and what the tool will suggest, on interviews each fold "
               "never saw.")
    coders = project.coders()
    if not coders:
        st.caption("Nobody has coded yet: code a few interviews on the Code page, or import codings.")
        return
    mine = st.session_state.get("coder")  # only the default choice; team mode pins it to the identity
    chosen = st.multiselect("Learn from", coders, default=[mine] if mine in coders else coders[:1],
                            key="learn_coders")
    a, b = st.columns(2)
    unit = a.radio("Unit of a suggestion", ["sentence", "turn"], horizontal=True, key="learn_unit")
    min_positive = b.number_input("Fewest examples for a model", min_value=2, value=5, step=1,
                                  key="learn_min_positive")
    left, right = st.columns(2)
    evaluate = left.button("Evaluate (write nothing)", key="learn_evaluate")
    train = right.button("Train and write suggestions", type="primary", key="learn_run")
    from qualcode.ui import state, team  # modules of the same package: late, as state does

    if (evaluate or train) and (evaluate or team.guarded(project, "suggest")):
        bar = st.progress(0.0, text="Learning…")

        def progress(done: int, total: int, item: str) -> None:
            bar.progress(min(done / max(total, 1), 1.0), text=f"Learning… {item} ({done}/{total})")

        try:
            run = project.suggest(chosen, unit=unit, min_positive=int(min_positive), dry_run=evaluate,
                                  progress=progress, actor=state.coder())
        except QualcodeError as exc:
            bar.empty()
            st.error(markdown_lines(str(exc)))
            return
        bar.empty()
        for warning in run.warnings:
            st.warning(markdown_lines(warning))
        used = [c for c, u in run.use_model.items() if u]
        head = (f"Evaluation only: the model would suggest {run.total}" if run.dry_run
                else f"Run {run.id} wrote {run.total}")
        st.session_state["learn_last"] = {
            "message": f"{head} suggestion(s) in {len(run.transcripts_suggested)} transcript(s), from "
                       f"{len(run.transcripts_trained)} coded by {', '.join(run.coders)}; the model is used for "
                       f"{len(used)} of {len(run.codes)} codes.",
            "table": run.table[TABLE] if run.table is not None else None,
            "skipped": run.skipped,
        }
    last = st.session_state.get("learn_last")
    if last:
        st.success(markdown_text(last["message"]))
        if last["table"] is not None:
            st.dataframe(last["table"], hide_index=True, width="stretch", key="learn_table",
                         column_config={c: st.column_config.NumberColumn(format="%.2f")
                                        for c in TABLE if c.endswith(("_kappa", "_f1"))}, placeholder="—")
        if last["skipped"]:
            st.caption(markdown_text("No model (the rules stay): " + "; ".join(
                f"{c} ({why})" for c, why in last["skipped"].items())))


def why_text(reasons: dict[int, list[dict]], coding_id: int) -> str:
    return ", ".join(f"{r['label']} ({r['weight']:+.2f})" for r in reasons.get(coding_id, []))


def reasons_for(project: Project, ids: list[int]) -> dict[int, list[dict]]:
    return {k: json.loads(v) for k, v in project.suggestion_reasons(ids).items()}


def code_next(project: Project, coder: str) -> None:
    """The turns whose coding would teach the model most, with links into the workbench."""
    st.subheader("Code next")
    st.caption("Turns of transcripts you have not coded, where the model is least sure or the rules and the "
               "model disagree: coding them teaches the model most.")
    if not coder:
        st.info("Name yourself in the sidebar to see what to code next.")
        return
    if st.button("Find what to code next", key="review_next"):
        try:
            st.session_state["review_next_frame"] = project.suggest_next(coder, n=10)
        except QualcodeError as exc:
            st.session_state.pop("review_next_frame", None)
            st.error(markdown_lines(str(exc)))
    frame = st.session_state.get("review_next_frame")
    if isinstance(frame, pd.DataFrame):
        if frame.empty:
            st.info("Every transcript is coded: nothing to suggest.")
        else:
            st.dataframe(frame[["link", "transcript", "turn", "score", "reason", "text"]], hide_index=True,
                         width="stretch", key="review_next_table",
                         column_config={"link": st.column_config.LinkColumn("open", display_text="open")},
                             placeholder="—")
