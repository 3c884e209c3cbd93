"""Coding by hand: the store operations behind the workbench, and the workbench's actions.

A coder adds, changes, removes and restores one coding at a time; each is one transaction
straight to the store, so a browser reload or a server restart loses nothing. The checks
are the ones a click needs: a coder is named, the transcript and the code exist, the span
lies inside the stored text. Machine codings (rule, model) are reviewed, not edited: a
re-code would bring back a deleted suggestion, so they are accepted or rejected instead.

The browser counts UTF-16 units (an emoji is 2), the store counts code points:
`Utf16Offsets` converts between the two. `apply_action` turns one browser action into one
of the operations above and returns what undoes it; `undo` plays that back. `Project`
exposes the operations (add_coding, update_coding, delete_coding, restore_coding); nothing
here imports Streamlit.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, func, insert, select, update

from qualcode import audit
from qualcode.errors import ProjectError, QualcodeError
from qualcode.store.coding_queries import code_ids, ensure_coder
from qualcode.store.queries import now, transcript_key, transcript_row, transcript_text_of, transcripts_frame
from qualcode.store.schema import coders, codes, codings, reviews, runs, transcripts, turns

if TYPE_CHECKING:
    from qualcode.project import Project

MACHINE_ORIGINS = ("rule", "model")
STATUSES = ("accepted", "suggested")
ACTIONS = ("add", "accept", "reject", "delete", "recode", "memo")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


# --- offsets -----------------------------------------------------------------------------------

class Utf16Offsets:
    """Offsets in one text as code points (Python, the store) and as UTF-16 units (JavaScript).

    Only characters beyond the Basic Multilingual Plane (emoji, some CJK) differ: they are one
    code point and two UTF-16 units. Cyrillic and Kazakh letters are one of each.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self._astral = [m.start() for m in _ASTRAL.finditer(text)]  # code point index of each
        self._astral16 = [i + k for k, i in enumerate(self._astral)]  # its UTF-16 index
        self.length16 = len(text) + len(self._astral)

    def to_utf16(self, index: int) -> int:
        """The UTF-16 offset of code point `index` (0..len(text))."""
        return index + bisect_left(self._astral, index)

    def from_utf16(self, offset: int, *, end: bool = False) -> int:
        """The code point index at UTF-16 `offset`. An offset inside a surrogate pair (half an
        emoji) moves to the emoji's start, or past it when `end` is true, so a span never cuts
        a character in two."""
        offset = max(0, min(int(offset), self.length16))
        before = bisect_left(self._astral16, offset)  # astral characters starting before offset
        if before and self._astral16[before - 1] == offset - 1:  # between the two halves
            return self._astral[before - 1] + (1 if end else 0)
        return offset - before


# --- store operations --------------------------------------------------------------------------

def coder_name(coder: str | None) -> str:
    name = (coder or "").strip()
    if not name:
        raise QualcodeError("E730")
    return name


def _transcript(conn: Connection, name: str):
    row = transcript_row(conn, name)
    if row is None:
        known = ", ".join(transcripts_frame(conn)["transcript"]) or "(none)"
        raise ProjectError("E105", name=name, known=known)
    return row


@dataclass(frozen=True)
class _Stored:
    id: int
    text: str


def _cached_transcript(conn: Connection, name: str, texts: dict) -> _Stored:
    key = transcript_key(conn, name)
    if key is None:
        _transcript(conn, name)  # raises E105, naming the known transcripts
    if key not in texts:
        texts[key] = transcript_text_of(conn, key[0])
    return _Stored(key[0], texts[key])


def _code_id(conn: Connection, code: str) -> int:
    ids = code_ids(conn)
    if code not in ids:
        known = ", ".join(sorted(ids)[:12]) + (" …" if len(ids) > 12 else "")
        hint = f"Known codes: {known}." if ids else "The project has no codes yet: add a codebook first."
        raise QualcodeError("E706", code=code, hint=hint)
    return ids[code]


def add(conn: Connection, transcript: str, code: str, start: int, end: int, *, coder: str,
        memo: str | None = None, status: str = "accepted", texts: dict | None = None) -> int:
    """Store one manual coding of transcript[start:end] (code points); return its id.

    `texts` is an open project's cache of stored texts by (id, sha256) (`Project.transcript_text`):
    with it the text is not fetched again on every workbench action (0.2 MB at 20k words, which
    costs a PostgreSQL client about a millisecond each time)."""
    name = coder_name(coder)
    if status not in STATUSES:
        raise QualcodeError("E709", key="status", value=status, hint="A coding made by hand is accepted or suggested.")
    row = _transcript(conn, transcript) if texts is None else _cached_transcript(conn, transcript, texts)
    for value in (start, end):
        if not isinstance(value, int) or isinstance(value, bool):
            raise QualcodeError("E731", start=start, end=end, name=transcript, length=len(row.text),
                                reason=f"{value!r} is not a whole number")
    if not 0 <= start < end <= len(row.text):
        reason = "the span is empty or reversed" if end <= start else "the span is outside the text"
        raise QualcodeError("E731", start=start, end=end, name=transcript, length=len(row.text), reason=reason)
    code_id = _code_id(conn, code)
    stamp = now()
    new_id = conn.execute(insert(codings).values(
        transcript_id=row.id, code_id=code_id, start_offset=start, end_offset=end,
        coder_id=ensure_coder(conn, name), origin="manual", status=status, memo=memo or None,
        created_at=stamp, updated_at=stamp,
    )).inserted_primary_key[0]
    audit.record(conn, name, "coding.add", "coding", new_id, dict(
        transcript=transcript, code=code, start=start, end=end, status=status, text=_short(row.text[start:end])))
    return new_id


def snapshot(conn: Connection, coding_id: int) -> dict[str, Any] | None:
    """Everything about one coding (and the review decision on its span), enough to restore it."""
    reviewer = coders.alias("reviewer")
    row = conn.execute(
        select(codings, transcripts.c.name.label("transcript"), codes.c.path.label("code"),
               coders.c.name.label("coder"), reviewer.c.name.label("reviewer"))
        .select_from(codings.join(transcripts).join(codes)
                     .outerjoin(coders, coders.c.id == codings.c.coder_id)
                     .outerjoin(reviewer, reviewer.c.id == codings.c.reviewer_id))
        .where(codings.c.id == coding_id)
    ).mappings().first()
    if row is None:
        return None
    review = conn.execute(
        select(reviews.c.status, reviews.c.reviewed_at, coders.c.name.label("reviewer"))
        .select_from(reviews.outerjoin(coders, coders.c.id == reviews.c.reviewer_id))
        .where(reviews.c.transcript_id == row["transcript_id"], reviews.c.code_id == row["code_id"],
               reviews.c.start_offset == row["start_offset"], reviews.c.end_offset == row["end_offset"])
    ).mappings().first()
    keep = ("id", "transcript_id", "transcript", "code", "start_offset", "end_offset", "coder", "origin", "rule_id",
            "model_id", "confidence", "status", "run_id", "memo", "created_at", "updated_at", "match_start",
            "match_end", "reviewer", "reviewed_at")
    out = {k: row[k] for k in keep}
    out["review"] = dict(review) if review else None
    return out


def _check_own(snap: dict[str, Any], name: str, what: str) -> None:
    """A human coding is changed only by its coder: agreement compares coders."""
    if snap["origin"] not in MACHINE_ORIGINS and snap["coder"] != name:
        raise QualcodeError("E732", coding=snap["id"], who=snap["coder"] or "nobody", coder=name, what=what)


def change(conn: Connection, coding_id: int, *, code: str | None = None, memo: str | None = None,
           coder: str) -> dict[str, Any]:
    """Change a coding's code and/or memo (memo "" clears it); return the coding as it was."""
    name = coder_name(coder)
    before = snapshot(conn, coding_id)
    if before is None:
        raise QualcodeError("E707", coding=coding_id)
    values: dict[str, Any] = {}
    if code is not None and code != before["code"]:
        if before["origin"] in MACHINE_ORIGINS:
            raise QualcodeError("E733", coding=coding_id, origin=before["origin"],
                                source=before["rule_id"] or before["model_id"] or "?",
                                fix="reject it and code the passage by hand with the code you want")
        _check_own(before, name, "change the code of")
        values["code_id"] = _code_id(conn, code)
    if memo is not None:
        _check_own(before, name, "write the memo of")
        values["memo"] = memo.strip() or None
    if values:
        values["updated_at"] = now()
        conn.execute(update(codings).where(codings.c.id == coding_id).values(**values))
        detail = dict(transcript=before["transcript"], start=before["start_offset"], end=before["end_offset"],
                      code=before["code"])
        if "code_id" in values:
            detail["new_code"] = code
        if "memo" in values:
            detail.update(memo_before=before["memo"], memo=values["memo"])
        audit.record(conn, name, "coding.change", "coding", coding_id, detail)
    return before


def remove(conn: Connection, coding_id: int, *, coder: str) -> dict[str, Any]:
    """Delete a human coding; return it, so that `restore` can bring it back."""
    name = coder_name(coder)
    before = snapshot(conn, coding_id)
    if before is None:
        raise QualcodeError("E707", coding=coding_id)
    if before["origin"] in MACHINE_ORIGINS:
        raise QualcodeError("E733", coding=coding_id, origin=before["origin"],
                            source=before["rule_id"] or before["model_id"] or "?",
                            fix="reject it instead (a rejection is kept when the project is re-coded)")
    _check_own(before, name, "remove")
    conn.execute(delete(codings).where(codings.c.id == coding_id))
    audit.record(conn, name, "coding.delete", "coding", coding_id, _about(before))
    return {**before, "deleted_by": name, "deleted_at": now()}


def _about(snap: Mapping[str, Any]) -> dict[str, Any]:
    """What the audit log keeps of a coding: enough to find it again and to restore it by hand."""
    return {k: snap.get(k) for k in ("transcript", "code", "start_offset", "end_offset", "coder", "origin",
                                     "status", "memo")}


def restore(conn: Connection, snap: Mapping[str, Any], *, actor: str | None = None) -> int:
    """Put a coding back as the snapshot has it (after a delete, an update or a review).

    The coding keeps its id unless another coding has taken that id meanwhile (SQLite reuses
    the highest id after a delete); then it gets a new one. Returns the id. The audit log
    names `actor` (an undo: the coder who undoes).
    """
    def fail(reason: str) -> QualcodeError:
        return QualcodeError("E735", coding=snap.get("id"), reason=reason)

    try:
        tid, path, start, end = snap["transcript_id"], snap["code"], snap["start_offset"], snap["end_offset"]
    except (KeyError, TypeError):
        raise fail("this is not a snapshot from delete_coding or update_coding") from None
    if conn.execute(select(transcripts.c.id).where(transcripts.c.id == tid)).first() is None:
        raise fail(f"its transcript '{snap.get('transcript')}' is no longer in the project")
    ids = code_ids(conn)
    if path not in ids:
        raise fail(f"its code '{path}' is no longer in the project")
    run_id = snap.get("run_id")
    if run_id is not None and conn.execute(select(runs.c.id).where(runs.c.id == run_id)).first() is None:
        run_id = None
    values = dict(
        transcript_id=tid, code_id=ids[path], start_offset=start, end_offset=end,
        coder_id=ensure_coder(conn, snap["coder"]) if snap.get("coder") else None,
        origin=snap["origin"], rule_id=snap.get("rule_id"), model_id=snap.get("model_id"),
        confidence=snap.get("confidence"), status=snap["status"], run_id=run_id, memo=snap.get("memo"),
        created_at=snap["created_at"], updated_at=now(), match_start=snap.get("match_start"),
        match_end=snap.get("match_end"),
        reviewer_id=ensure_coder(conn, snap["reviewer"]) if snap.get("reviewer") else None,
        reviewed_at=snap.get("reviewed_at"),
    )
    current = conn.execute(select(codings.c.transcript_id, codings.c.created_at, codings.c.origin)
                           .where(codings.c.id == snap["id"])).first()
    if current is not None and (current.transcript_id, current.created_at, current.origin) == (
            tid, snap["created_at"], snap["origin"]):
        conn.execute(update(codings).where(codings.c.id == snap["id"]).values(**values))
        coding_id = snap["id"]
    elif current is None:
        coding_id = conn.execute(insert(codings).values(id=snap["id"], **values)).inserted_primary_key[0]
    else:  # the id now belongs to another coding
        coding_id = conn.execute(insert(codings).values(**values)).inserted_primary_key[0]
    key = dict(transcript_id=tid, code_id=ids[path], start_offset=start, end_offset=end)
    review = snap.get("review")
    if snap["origin"] in MACHINE_ORIGINS or review is not None:
        conn.execute(delete(reviews).where(*(reviews.c[k] == v for k, v in key.items())))
    if review is not None:
        conn.execute(insert(reviews).values(
            **key, status=review["status"], reviewed_at=review["reviewed_at"],
            reviewer_id=ensure_coder(conn, review["reviewer"]) if review.get("reviewer") else None))
    audit.record(conn, actor, "coding.restore", "coding", coding_id, _about(snap))
    return coding_id


def transcript_codings(conn: Connection, transcript: str) -> list[dict[str, Any]]:
    """The codings of one transcript as the workbench shows them (no text, no turn: fast)."""
    # Only the id: the whole row brings the transcript's text along (0.2 MB at 20k words), which
    # costs a PostgreSQL server's client several ms on each confirmed action (benchmarks/pg_latency.py).
    # One round trip: the transcript is found by name in the same query (an empty answer is
    # checked afterwards, so an unknown name still gets E105).
    current = (select(transcripts.c.id).where(transcripts.c.name == transcript, transcripts.c.is_current.is_(True))
               .scalar_subquery())
    query = (select(codings.c.id, codes.c.path.label("code"), codings.c.start_offset.label("start"),
                    codings.c.end_offset.label("end"), codings.c.status, codings.c.origin,
                    coders.c.name.label("coder"), codings.c.rule_id, codings.c.model_id, codings.c.memo,
                    codings.c.confidence)
             .select_from(codings.join(codes).outerjoin(coders, coders.c.id == codings.c.coder_id))
             .where(codings.c.transcript_id == current)
             .order_by(codings.c.start_offset, codings.c.end_offset, codings.c.id))
    rows = conn.execute(query).mappings().all()
    if not rows and transcript_key(conn, transcript) is None:
        _transcript(conn, transcript)  # raises E105, naming the known transcripts
    out = []
    for r in rows:
        item = dict(r)
        rule, model = item.pop("rule_id"), item.pop("model_id")
        item["rule"] = rule or model
        out.append(item)
    return out


def codings_stamp(conn: Connection, transcript: str) -> tuple:
    """A cheap fingerprint of one transcript's codings (how many, newest id, last change, and
    the sum of their code ids, which a merge changes): the workbench compares it every few
    seconds and redraws only when another session changed something."""
    # One query, without the transcript's text (this runs every few seconds per open page).
    found = conn.execute(
        select(transcripts.c.id, func.count(codings.c.id), func.max(codings.c.id), func.max(codings.c.updated_at),
               func.sum(codings.c.code_id))
        .select_from(transcripts.outerjoin(codings, codings.c.transcript_id == transcripts.c.id))
        .where(transcripts.c.name == transcript, transcripts.c.is_current.is_(True))
        .group_by(transcripts.c.id)).first()
    if found is None:
        _transcript(conn, transcript)  # raises E105, naming the known transcripts
    return tuple(str(v) for v in found)


def transcript_turns(conn: Connection, transcript: str) -> list[Any]:
    """Turns of one transcript (idx, speaker, role, start_offset, end_offset, timestamp), without
    their text: the workbench slices the text it already has."""
    row = _transcript(conn, transcript)
    return conn.execute(select(turns.c.idx, turns.c.speaker, turns.c.role, turns.c.start_offset,
                               turns.c.end_offset, turns.c.timestamp)
                        .where(turns.c.transcript_id == row.id).order_by(turns.c.idx)).all()


# --- the workbench's actions ---------------------------------------------------------------------

@dataclass
class Step:
    """One action done in the workbench: what it was, and the operations that undo it.

    `undo` holds ("delete", coding id) and ("restore", snapshot) pairs, played in order.
    """

    label: str
    coding_id: int | None = None
    undo: list[tuple[str, Any]] = field(default_factory=list)


def _int(op: Mapping[str, Any], key: str) -> int:
    value = op.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
        raise QualcodeError("E736", action=op.get("action"), reason=f"'{key}' must be a whole number, not {value!r}")
    return int(value)


def apply_action(project: Project, op: Mapping[str, Any], coder: str | None) -> Step:
    """Do one workbench action and return it as a `Step` (with its undo).

    `op` is what the browser sends: {"action": "add", "transcript", "start", "end", "code",
    "text"} with start/end in UTF-16 units, or {"action": "accept" | "reject" | "delete",
    "id"}, {"action": "recode", "id", "code"}, {"action": "memo", "id", "memo"}. A recode of
    a rule or model coding rejects it and codes the same span by hand with the new code.
    """
    action = op.get("action")
    if action not in ACTIONS:
        raise QualcodeError("E736", action=action, reason=f"known actions are {', '.join(ACTIONS)}")
    name = coder_name(coder)
    if action == "add":
        transcript = str(op.get("transcript") or "")
        text = project.transcript_text(transcript)
        offsets = Utf16Offsets(text)
        start = offsets.from_utf16(_int(op, "start"))
        end = offsets.from_utf16(_int(op, "end"), end=True)
        given = op.get("text")
        if given is not None and given != text[start:end]:
            raise QualcodeError("E734", start=start, end=end, given=_short(str(given)), found=_short(text[start:end]))
        code = str(op.get("code") or "")
        new_id = project.add_coding(transcript, code, start, end, coder=name)
        return Step(f"code “{_short(text[start:end], 40)}” as {code}", new_id, [("delete", new_id)])

    coding_id = _int(op, "id")
    with project.engine.connect() as conn:
        before = snapshot(conn, coding_id)
    if before is None:
        raise QualcodeError("E707", coding=coding_id)
    if action in ("accept", "reject"):
        project.review_coding(coding_id, "accepted" if action == "accept" else "rejected", name)
        return Step(f"{action} {before['code']} ({before['origin']})", coding_id,
                    [("restore", _expecting(project, coding_id, before))])
    if action == "delete":
        snap = project.delete_coding(coding_id, coder=name)
        return Step(f"remove {before['code']}", coding_id, [("restore", snap)])
    if action == "memo":
        snap = project.update_coding(coding_id, memo=str(op.get("memo") or ""), coder=name)
        return Step(f"memo on {before['code']}", coding_id, [("restore", _expecting(project, coding_id, snap))])
    code = str(op.get("code") or "")
    if before["origin"] in MACHINE_ORIGINS:
        with project.engine.connect() as conn:
            _code_id(conn, code)  # check before rejecting, so a bad code changes nothing
        project.review_coding(coding_id, "rejected", name)
        new_id = project.add_coding(before["transcript"], code, before["start_offset"], before["end_offset"],
                                    coder=name)
        return Step(f"recode {before['code']} → {code}", new_id,
                    [("delete", new_id), ("restore", _expecting(project, coding_id, before))])
    snap = project.update_coding(coding_id, code=code, coder=name)
    return Step(f"recode {before['code']} → {code}", coding_id, [("restore", _expecting(project, coding_id, snap))])


def _state(snap: Mapping[str, Any] | None) -> list[Any] | None:
    """What another session may change in a coding this session acted on (a review, a merge).
    Not its time stamp: this session's own undos put codings back with a new one."""
    if snap is None:
        return None
    return [snap["code"], snap["status"], snap["reviewer"], snap["memo"]]


def _expecting(project: Project, coding_id: int, snap: dict[str, Any]) -> dict[str, Any]:
    """The undo snapshot, with the coding's state right after the action: an undo puts the
    coding back only if nobody changed it since (another coder's review, an owner's merge)."""
    with project.engine.connect() as conn:
        return {**snap, "_expect": _state(snapshot(conn, coding_id))}


def undo(project: Project, steps: list[Step], coder: str | None) -> Step:
    """Undo the last step of `steps` (removing it) and return it.

    A restored coding that had to take a new id is renamed in the steps still on the stack,
    so undoing further still finds it.
    """
    if not steps:
        raise QualcodeError("E737")
    name = coder_name(coder)
    step = steps.pop()
    with project.engine.connect() as conn:  # checked first, so a refused undo changes nothing
        for kind, value in step.undo:
            if kind == "restore" and value.get("_expect") is not None:
                current = snapshot(conn, value["id"])
                if _state(current) != value["_expect"]:
                    raise QualcodeError("E555", label=step.label, coding=value["id"], now="removed" if current is None
                                        else f"code {current['code']}, {current['status']}"
                                        + (f" by {current['reviewer']}" if current["reviewer"] else ""))
    for kind, value in step.undo:
        if kind == "delete":
            project.delete_coding(value, coder=name)
        else:
            new_id = project.restore_coding(value, actor=name)
            if new_id != value["id"]:
                _renumber(steps, value["id"], new_id)
    return step


def _renumber(steps: list[Step], old: int, new: int) -> None:
    for step in steps:
        if step.coding_id == old:
            step.coding_id = new
        step.undo = [(kind, new if kind == "delete" and value == old else
                      {**value, "id": new} if kind == "restore" and value["id"] == old else value)
                     for kind, value in step.undo]


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
