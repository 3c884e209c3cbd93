"""Review page: the queue of suggested codings, filtered by code, rule, transcript and
confidence; tick suggestions (or take all shown) and accept or reject them, each in its turn's
context. Every decision is stored with the reviewer, the coder named in the sidebar."""

import pandas as pd
import streamlit as st

from qualcode import retrieval
from qualcode.errors import QualcodeError
from qualcode.ui import state, suggest_panel, team

project = state.project()
st.title("Review")
st.caption("Rule and model codings are suggestions until a person accepts them. A re-code keeps every decision.")
coder = state.coder()
if not coder:
    st.warning(retrieval.markdown_lines(str(QualcodeError("E753"))))  # rendered as every message is

message = st.session_state.pop("review_flash", None)
if message:
    st.success(retrieval.markdown_text(message))  # it names the coder

with st.expander("Code next: the turns that would teach the model most"):
    suggest_panel.code_next(project, coder)

queue = project.codings(status="suggested")
if queue.empty:
    st.success("Nothing to review: there are no suggested codings. Auto-code the project to get some.")
    st.stop()

a, b, c = st.columns(3)
codes = a.multiselect("Codes", sorted(queue["code"].unique()), key="review_codes")
rules = b.multiselect("Rules", sorted(queue["rule"].dropna().unique()), key="review_rules")
transcripts = c.multiselect("Transcripts", sorted(queue["transcript"].unique()), key="review_transcripts")
d, e = st.columns([3, 2])
low, high = d.slider("Confidence", 0.0, 1.0, (0.0, 1.0), 0.05, key="review_confidence")
# A short label (a long one is cut to "…" in its column); the why is in the help.
no_confidence = e.checkbox("Include those without a confidence", value=True, key="review_no_confidence",
                           help="Rule codings have no confidence; model suggestions do.")
f, g = st.columns([3, 2])
origins = f.multiselect("Origin", sorted(queue["origin"].unique()), key="review_origins",
                        help="rule: a codebook rule; model: learned from a coder's own coding")
by_confidence = g.checkbox("Most confident first", value=True, key="review_sort_confidence")

keep = pd.Series(True, index=queue.index)
if codes:
    keep &= queue["code"].isin(codes)
if rules:
    keep &= queue["rule"].isin(rules)
if transcripts:
    keep &= queue["transcript"].isin(transcripts)
confidence = queue["confidence"]
keep &= confidence.between(low, high) | (confidence.isna() & no_confidence)
if origins:
    keep &= queue["origin"].isin(origins)
shown = queue[keep]
if by_confidence:
    shown = shown.sort_values("confidence", ascending=False, na_position="last", kind="mergesort")
why = suggest_panel.reasons_for(project, [int(i) for i in shown.loc[shown["origin"] == "model", "id"]])
st.caption(f"{len(shown)} of {len(queue)} suggestions shown.")
if shown.empty:
    st.info("No suggestion passes these filters.")
    st.stop()

names = sorted(set(shown["transcript"]))
context = retrieval.segments(shown, project.codes(), project.cases(), project.attribute_types(), project.turns(names),
                            {n: project.transcript_text(n) for n in names}, sorted(set(shown["code"])),
                            statuses=["suggested"], context=160).set_index("id")
table = pd.DataFrame({
    "pick": False, "transcript": shown["transcript"].to_numpy(), "turn": shown["turn"].to_numpy(),
    "code": shown["code"].to_numpy(), "rule": shown["rule"].to_numpy(), "matched": shown["matched"].to_numpy(),
    "confidence": shown["confidence"].to_numpy(),
    "why": [suggest_panel.why_text(why, int(i)) for i in shown["id"]],
    "in context": [" ".join(f"{context.at[i, 'before']} ⟦{context.at[i, 'text']}⟧ {context.at[i, 'after']}".split())
                   for i in shown["id"]],
}, index=pd.Index(shown["id"].to_numpy(), name="coding"))
review_round = st.session_state.setdefault("review_round", 0)
edited = st.data_editor(
    table, key=f"review_table_{review_round}", width="stretch", hide_index=True,
    disabled=[column for column in table.columns if column != "pick"],
    column_config={"pick": st.column_config.CheckboxColumn("✓", help="Tick to accept or reject"),
                   "in context": st.column_config.TextColumn(width="large")}, placeholder="—")
picked = [int(i) for i in edited.index[edited["pick"].fillna(False).astype(bool)]]


def decide(ids: list[int], status: str) -> None:
    if not coder:
        st.error(retrieval.markdown_lines(str(QualcodeError("E753"))))
        return
    if not team.guarded(project, "review"):  # the role, read now, before any write
        return
    if not ids:
        st.warning("Tick the suggestions to review first (the ✓ column), or use the buttons for all shown.")
        return
    try:
        n = project.review_codings(ids, status, coder)
    except QualcodeError as exc:
        st.error(retrieval.markdown_lines(str(exc)))
        return
    st.session_state["review_flash"] = f"{status.capitalize()} {n} suggestion(s) as {coder}."
    st.session_state["review_round"] = review_round + 1  # a fresh table without ticks
    st.rerun()


buttons = st.columns(4)
if buttons[0].button(f"Accept ticked ({len(picked)})", type="primary", key="review_accept",
                     icon=":material/check:"):
    decide(picked, "accepted")
if buttons[1].button(f"Reject ticked ({len(picked)})", key="review_reject", icon=":material/close:"):
    decide(picked, "rejected")
if buttons[2].button(f"Accept all {len(shown)} shown", key="review_accept_all"):
    decide([int(i) for i in shown["id"]], "accepted")
if buttons[3].button(f"Reject all {len(shown)} shown", key="review_reject_all"):
    decide([int(i) for i in shown["id"]], "rejected")

st.subheader("In context")
focus = picked or [int(i) for i in shown["id"][:5]]
st.caption("The ticked suggestions" if picked else "The first suggestions shown; tick some to see them here.")
for coding_id in focus[:50]:
    row = context.loc[coding_id]
    with st.container(border=True):
        source = row["rule"] if isinstance(row["rule"], str) else (row["coder"] or row["origin"])
        st.caption(retrieval.markdown_text(f"{row['transcript']} · turn {row['turn']} · {row['speaker'] or '—'} · "
                                          f"{row['code']} · {source}"))
        st.markdown(retrieval.segment_markdown(row["before"], row["text"], row["after"]))
        if int(coding_id) in why:
            st.caption(retrieval.markdown_text("why: " + suggest_panel.why_text(why, int(coding_id))))
