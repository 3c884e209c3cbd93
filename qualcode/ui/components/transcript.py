"""The transcript component: one transcript with its codings, coded by selecting text.

A Streamlit custom component (v2) whose JavaScript and CSS are `transcript.js` (with
`transcript_popups.js`) and `transcript.css` beside this file, mounted straight into the page: no iframe, and no shadow
root, which would hide the text selection. `view_data` builds what the JavaScript draws,
with every offset converted from code points to UTF-16 units; `handle` takes the actions
the JavaScript sends back (one trigger value, `action`), does each once through
`qualcode.coding` and keeps its undo in the browser session's state.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, MutableMapping
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from qualcode import coding as manual
from qualcode.errors import QualcodeError
from qualcode.ingest.turns import format_timestamp
from qualcode.project import Project

HERE = Path(__file__).parent
KEY = "qc_transcript"
DONE = "code_done"  # client id -> {"id", "error"}: what this session's actions came to
UNDO = "code_undo"  # list of qualcode.coding.Step, the last on top
ERROR = "code_error"
SENT = "code_sent"  # (transcript, sha) whose text this session has sent to the component
KEEP_DONE = 200
KEEP_UNDO = 100
# Tableau 10, for codes without a colour of their own.
PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f",
           "#bab0ac"]
_HEX = re.compile(r"^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")

_render = st.components.v2.component(
    "qc_transcript",
    # One ES module from two files: the workbench, then its popups (which extend its class).
    js="\n".join((HERE / name).read_text(encoding="utf-8") for name in ("transcript.js", "transcript_popups.js")),
    css=(HERE / "transcript.css").read_text(encoding="utf-8"),
    isolate_styles=False,
)


def color(value: object, index: int) -> str:
    """A code's colour as #rrggbb (it goes into an inline style, so nothing else passes)."""
    if isinstance(value, str) and _HEX.match(value.strip()):
        hex_digits = value.strip()[1:]
        if len(hex_digits) == 3:
            hex_digits = "".join(ch * 2 for ch in hex_digits)
        return "#" + hex_digits.lower()
    return PALETTE[index % len(PALETTE)]


_LAYOUTS: dict[tuple[str, str, str], tuple[str, manual.Utf16Offsets, list[list[Any]]]] = {}
_LOCK = threading.Lock()  # sessions run in threads of one server


def layout(project: Project, name: str, sha: str) -> tuple[str, manual.Utf16Offsets, list[list[Any]]]:
    """Text, offset map and turns (UTF-16 offsets, speaker, role, time) of one transcript
    version. Imported text never changes, so they are read and converted once per version
    (`sha`), not on every rerun."""
    key = (project.location, name, sha)
    found = _LAYOUTS.get(key)
    if found is None:
        text = project.transcript_text(name)
        offsets = manual.Utf16Offsets(text)
        with project.engine.connect() as conn:
            turns = manual.transcript_turns(conn, name)
        rows = [[offsets.to_utf16(t.start_offset), offsets.to_utf16(t.end_offset), t.speaker, t.role,
                 format_timestamp(t.timestamp) if t.timestamp is not None else None] for t in turns]
        if not rows:  # a text without turns is one block
            rows = [[0, offsets.length16, None, "other", None]]
        found = (text, offsets, rows)
        with _LOCK:
            while len(_LAYOUTS) >= 8:
                _LAYOUTS.pop(next(iter(_LAYOUTS)))
            _LAYOUTS[key] = found
    return found


def view_data(text: str, offsets: manual.Utf16Offsets, turns: list[list[Any]], *, transcript: str, sha: str,
              codes: pd.DataFrame, codings: list[dict[str, Any]], coder: str, acks: dict[str, Any],
              with_text: bool = True) -> dict[str, Any]:
    """What the JavaScript draws, offsets in UTF-16 units.

    A coding is a list [id, code, start, end, status, origin, coder, rule, memo, confidence,
    mine] (lists, not objects: 1,500 codings are sent on every rerun); `mine` marks the
    coder's own human codings. The text and turns are left out (`with_text=False`) once this
    browser session has them: the component keeps them per transcript version (`sha`).
    """
    to16 = offsets.to_utf16
    data = {
        "transcript": transcript,
        "sha": sha,
        "codes": [{"id": r.code, "name": r.name or r.code, "color": color(r.color, i)}
                  for i, r in enumerate(codes.itertuples())],
        "codings": [[c["id"], c["code"], to16(c["start"]), to16(c["end"]), c["status"], c["origin"], c["coder"],
                     c["rule"], c["memo"], c["confidence"],
                     bool(coder) and c["coder"] == coder and c["origin"] not in manual.MACHINE_ORIGINS]
                    for c in codings],
        "coder": coder,
        "acks": acks,
    }
    if with_text:
        data.update(text=text, turns=turns)
    return data


def text_needed(session: MutableMapping[str, Any], transcript: str, sha: str) -> bool:
    """True the first time this session shows this transcript version (then the text goes
    along); the component asks again (`resend`) if it lost it."""
    sent: set = session.setdefault(SENT, set())
    if (transcript, sha) in sent:
        return False
    sent.add((transcript, sha))
    return True


def show(data: dict[str, Any], on_action: Callable[[], None]) -> None:
    """Mount the component; `on_action` runs (before the rerun) when it sends actions.

    The data goes as UTF-8 JSON bytes: Streamlit's own JSON escapes every Cyrillic letter
    as \\uXXXX (6 bytes instead of 2) and hashes a sorted copy on every rerun."""
    raw = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    _render(key=KEY, data=raw, on_action_change=on_action, height="content")


def payload(session: MutableMapping[str, Any]) -> Any:
    """The actions the component just sent (inside `on_action`)."""
    state = session.get(KEY)
    return state.get("action") if isinstance(state, dict) else None


def handle(project: Project, sent: Any, coder: str | None, session: MutableMapping[str, Any]) -> list[str]:
    """Do each action of `sent` ({"ops": [...], "resend": bool}) not done yet; return the errors.

    Every op carries a client id: the component sends all its unacknowledged ops each time,
    so an op can arrive twice and is done once. Each op's result goes to `session[DONE]`
    (the component's acknowledgement), each done step onto `session[UNDO]`.
    """
    ops = sent.get("ops") if isinstance(sent, dict) else None
    if isinstance(sent, dict) and sent.get("resend"):
        session[SENT] = set()
    done: dict[str, Any] = session.setdefault(DONE, {})
    stack: list[manual.Step] = session.setdefault(UNDO, [])
    errors = []
    for op in ops if isinstance(ops, list) else []:
        cid = str(op.get("cid") or "") if isinstance(op, dict) else ""
        if not cid or cid in done:
            continue
        try:
            step = manual.apply_action(project, op, coder)
        except QualcodeError as exc:
            done[cid] = {"id": None, "error": str(exc)}
            errors.append(str(exc))
        else:
            done[cid] = {"id": step.coding_id, "error": None}
            stack.append(step)
    for key in list(done)[:-KEEP_DONE]:
        del done[key]
    del stack[:-KEEP_UNDO]
    if errors:
        session[ERROR] = errors[-1]
    return errors


def refuse(sent: Any, message: str, session: MutableMapping[str, Any]) -> None:
    """Answer every op of `sent` with `message` and do none (a role check failed): the component
    drops its local highlights, and the ops are not sent again."""
    if isinstance(sent, dict) and sent.get("resend"):
        session[SENT] = set()
    done: dict[str, Any] = session.setdefault(DONE, {})
    ops = sent.get("ops") if isinstance(sent, dict) else None
    for op in ops if isinstance(ops, list) else []:
        cid = str(op.get("cid") or "") if isinstance(op, dict) else ""
        if cid:
            done[cid] = {"id": None, "error": message}
    session[ERROR] = message


def undo(project: Project, coder: str | None, session: MutableMapping[str, Any]) -> str:
    """Undo this session's last action; return what was undone (or raise QualcodeError)."""
    step = manual.undo(project, session.setdefault(UNDO, []), coder)
    return step.label
