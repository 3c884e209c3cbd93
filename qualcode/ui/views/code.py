"""Code page: the workbench. Read one transcript turn by turn, select a passage and pick a
code, review the rules' suggestions inline, change, remove or annotate a coding, undo.

Every action goes straight to the store (qualcode.coding, through Project), so a reload or
a server restart loses nothing, and two tabs coding the same project each add their own
rows. What other coders do to this transcript shows up within a few seconds (`live`), with
their names. `/code?transcript=NAME` opens that transcript.
"""

from collections import Counter

import pandas as pd
import streamlit as st

from qualcode import coding as manual
from qualcode.errors import ProjectError, QualcodeError
from qualcode.retrieval import markdown_lines, markdown_text
from qualcode.ui import state, team
from qualcode.ui.components import transcript as component
from qualcode.wording import count

ORIGINS = ["manual", "import", "rule", "model"]
LIVE_SECONDS = 3  # how soon another coder's codings of this transcript appear here
SEEN = "code_seen"  # (transcript, codings_stamp) of what the workbench last drew

project = state.project()
st.title("Code")
table = project.transcripts()
if table.empty:
    st.info("No transcripts yet. Import some on the **Project** page (**Import transcripts**).")
    st.stop()
names = table["transcript"].tolist()
info = table.set_index("transcript")

# A deep link chooses the transcript when the link itself changes (not on every rerun, so
# the chooser still works); the chooser then keeps the link in step, for reloads and sharing.
linked = st.query_params.get("transcript")
if linked is not None and linked != st.session_state.get("code_linked"):
    st.session_state["code_linked"] = linked
    if linked in names:
        st.session_state["code_transcript"] = linked
    else:
        st.warning(markdown_lines(str(ProjectError("E105", name=linked, known=", ".join(names)))))
if "code_transcript" not in st.session_state and st.session_state.get("code_current") in names:
    st.session_state["code_transcript"] = st.session_state["code_current"]  # back from another page
if st.session_state.get("code_transcript") not in names:
    st.session_state.pop("code_transcript", None)


def describe(name: str) -> str:
    row = info.loc[name]
    return f"{name} · {row['case']} · {row['language']} · {count(int(row['words']), 'word')}"


name = st.selectbox("Transcript", names, key="code_transcript", format_func=describe)
st.session_state["code_current"] = name  # widget state is dropped while another page shows
if st.query_params.get("transcript") != name:
    st.query_params["transcript"] = name
    st.session_state["code_linked"] = name

coder = state.coder()
codes = project.codes()


def on_action() -> None:
    """The component sent actions: store them before the rerun draws the result (if the role allows:
    checked here, on the server, before any write; the refusal shows beside the transcript)."""
    refused = team.refusal(project, "code")
    if refused is not None:
        component.refuse(component.payload(st.session_state), str(refused), st.session_state)
        return
    component.handle(project, component.payload(st.session_state), state.coder(), st.session_state)


def on_undo() -> None:
    try:
        team.require(project, "code")
        st.session_state["code_undone"] = component.undo(project, state.coder(), st.session_state)
    except QualcodeError as exc:
        st.session_state[component.ERROR] = str(exc)


if not coder:
    st.warning("Enter your name as **Coder** in the sidebar to code: every coding is stored with its coder. "
               "You can read and filter without it.")
if codes.empty:
    st.info("The project has no codes yet: code it with a codebook first (Auto-code page), which adds the "
            "codebook's codes.")
code_names = dict(zip(codes["code"], codes["name"], strict=True))
left, middle, coders_column, right = st.columns([2, 2, 2, 1.6], vertical_alignment="bottom")  # room for the label
shown_codes = left.multiselect("Show codes", list(codes["code"]), key="code_filter_codes",
                               format_func=lambda c: f"{code_names.get(c) or c} ({c})", placeholder="all codes",
                               help="A code shows its sub-codes too.")
shown_origins = middle.multiselect("Show origins", ORIGINS, key="code_filter_origins", placeholder="all origins")
shown_coders = coders_column.multiselect("Show coders", project.coders(), key="code_filter_coders",
                                         placeholder="all coders, merged",
                                         help="One coder, several, or (empty) everyone's codings together.")
suggestions = right.toggle("Show suggestions", value=True, key="code_show_suggested",
                           help="Rule suggestions have a dashed border; click one to accept or reject it.")


def visible(c: dict) -> bool:
    return (c["status"] != "rejected" and (suggestions or c["status"] != "suggested")
            and (not shown_origins or c["origin"] in shown_origins)
            and (not shown_coders or c["coder"] in shown_coders)
            and (not shown_codes or any(c["code"] == s or c["code"].startswith(s + ".") for s in shown_codes)))


@st.fragment
def workbench() -> None:
    """The transcript and what acts on it. A fragment: an action or an undo reruns only this,
    not the page and the sidebar, so the highlight is confirmed sooner."""
    sha = str(info.loc[name, "sha256"])
    text, offsets, turns = component.layout(project, name, sha)
    with project.engine.connect() as conn:
        # The stamp first: a change landing between the two reads is drawn by the next look (live).
        st.session_state[SEEN] = (name, manual.codings_stamp(conn, name))
        every = manual.transcript_codings(conn, name)
    shown = [c for c in every if visible(c)]
    main, side = st.columns([3, 1], gap="medium")
    with main:
        data = component.view_data(text, offsets, turns, transcript=name, sha=sha, codes=codes, codings=shown,
                                   coder=coder, acks=st.session_state.get(component.DONE, {}),
                                   with_text=component.text_needed(st.session_state, name, sha))
        component.show(data, on_action)
    with side:
        stack = st.session_state.get(component.UNDO) or []
        st.button("Undo", key="code_undo_button", on_click=on_undo, disabled=not stack, icon=":material/undo:",
                  help="Undo your last action in this browser tab.")
        if stack:
            st.caption(markdown_text(f"Last: {stack[-1].label}"))
        if "code_undone" in st.session_state:
            st.success(markdown_text(f"Undone: {st.session_state.pop('code_undone')}"))
        if component.ERROR in st.session_state:
            st.error(markdown_lines(st.session_state.pop(component.ERROR)))
        n_suggested = sum(c["status"] == "suggested" for c in every)
        st.caption(f"{len(every)} codings in {markdown_text(name)} ({n_suggested} suggested), {len(shown)} shown. "
                   "Select text to code it; click a highlight to see, change or review it.")
        others = Counter(c["coder"] for c in every
                         if c["coder"] and c["coder"] != coder and c["origin"] not in manual.MACHINE_ORIGINS)
        if others:  # who else codes here (their highlights name them too)
            listed = ", ".join(f"{who} ({n})" for who, n in sorted(others.items()))
            st.caption(markdown_text(f"Also coded by: {listed}"),
                       help=f"Other coders' changes to this transcript appear within {LIVE_SECONDS} seconds.")
    # The table is opt-in: drawing it costs every rerun (and the grid's script on the first load).
    if st.toggle("List the codings shown as a table", key="code_table"):
        frame = pd.DataFrame([{"code": c["code"], "text": text[c["start"]:c["end"]], "coder": c["coder"],
                               "origin": c["origin"], "status": c["status"], "rule": c["rule"], "memo": c["memo"],
                               "start": c["start"], "end": c["end"], "id": c["id"]} for c in shown],
                             columns=["code", "text", "coder", "origin", "status", "rule", "memo", "start", "end",
                                      "id"])
        st.dataframe(frame, hide_index=True, width="stretch", key="code_codings", placeholder="—")


@st.fragment(run_every=LIVE_SECONDS)
def live() -> None:
    """Every few seconds, a cheap look at this transcript's codings: if another coder (another
    session) changed them since the workbench drew them, redraw the page, with their codings
    and names. Nothing is redrawn otherwise, so a selection in progress is left alone."""
    try:
        with project.engine.connect() as conn:
            stamp = manual.codings_stamp(conn, name)
    except QualcodeError:
        return  # the transcript went away meanwhile: the next full run says so
    if st.session_state.get(SEEN) not in (None, (name, stamp)):
        st.rerun()


workbench()
live()
