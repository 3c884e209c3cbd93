"""Memos: what a researcher writes about the project, a transcript, a case, a code or a coding.

A memo is attached to a target named the way a user names it: a transcript or case by its
name, a code by its id (`push.housing`), a coding by its id, the project by nothing. Targets
are checked before anything is written, with a numbered error that names the bad value and
lists what exists (E410-E416). Deleting a memo only marks it deleted, so `restore` brings it
back with its text and dates; lists and exports leave deleted memos out.

Code and coding memos can also live inline (a codebook's `memo:`, a coding's memo written in
the workbench). `frame` lists those too, marked by `stored_in`, so one list shows every memo;
they are changed where they live (`Project.set_code`, `Project.update_coding`).

`Project` delegates here; each function takes an open Connection (the caller's transaction).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import Connection, select

from qualcode import audit
from qualcode.errors import QualcodeError
from qualcode.store import memo_queries
from qualcode.store.queries import now
from qualcode.store.schema import cases, codes, codings, transcripts

KINDS = ("project", "transcript", "case", "code", "coding")
# What each kind's target is, for messages and help texts.
TARGET_WORDS = {"transcript": "the transcript's name", "case": "the case's name", "code": "the code's id",
                "coding": "the coding's id (the `id` column of the codings table)"}
TARGET_FORMS = "'project', 'transcript:NAME', 'case:NAME', 'code:ID' or 'coding:ID'"


def _known(values: list[str], limit: int = 20, *, near: str = "") -> str:
    """Up to `limit` values for a message, those beginning like `near` (a code's parent) first."""
    values = sorted(values, key=lambda v: (not (near and v.startswith(near)), v))
    if not values:
        return "(none)"
    more = f" … ({len(values)} in all)" if len(values) > limit else ""
    return ", ".join(values[:limit]) + more


def parse_target(spec: str) -> tuple[str, str | None]:
    """'transcript:T01' -> ('transcript', 'T01'); 'project' -> ('project', None). The kind is
    checked (E410); a kind without a target, or a value without a kind, is E422."""
    kind, sep, value = spec.partition(":")
    kind = kind.strip().casefold()
    if kind not in KINDS:  # 'T01' alone is a name without its kind; 'tape:T01' a kind that does not exist
        if sep and kind:
            raise QualcodeError("E410", value=spec, kinds=", ".join(KINDS))
        raise QualcodeError("E422", value=spec, forms=TARGET_FORMS)
    if kind != "project" and not value.strip():
        raise QualcodeError("E422", value=spec, forms=TARGET_FORMS)
    return kind, (value.strip() or None)


def resolve(conn: Connection, kind: str, target: str | int | None) -> int | None:
    """The stored id of a memo's target, or a numbered error naming the value and what exists."""
    if kind not in KINDS:
        raise QualcodeError("E410", value=kind, kinds=", ".join(KINDS))
    given = None if target is None or (isinstance(target, str) and not target.strip()) else target
    if kind == "project":
        if given is not None:
            raise QualcodeError("E415", value=given)
        return None
    if given is None:
        raise QualcodeError("E416", kind=kind, what=TARGET_WORDS[kind])
    if kind == "transcript":
        found = conn.execute(select(transcripts.c.id).where(transcripts.c.name == str(given).strip(),
                                                            transcripts.c.is_current.is_(True))).scalar()
        if found is None:
            names = conn.execute(select(transcripts.c.name).where(transcripts.c.is_current.is_(True))).scalars()
            raise QualcodeError("E411", value=given, known=_known(list(names)))
        return found
    if kind == "case":
        found = conn.execute(select(cases.c.id).where(cases.c.name == str(given).strip())).scalar()
        if found is None:
            raise QualcodeError("E412", value=given, known=_known(list(conn.execute(select(cases.c.name)).scalars())))
        return found
    if kind == "code":
        found = conn.execute(select(codes.c.id).where(codes.c.path == str(given).strip())).scalar()
        if found is None:
            parent = str(given).strip().rpartition(".")[0]
            raise QualcodeError("E413", value=given, known=_known(list(conn.execute(select(codes.c.path)).scalars()),
                                                                  near=f"{parent}." if parent else ""))
        return found
    try:
        coding_id = int(str(given).strip())
    except ValueError:
        coding_id = None
    found = None if coding_id is None else conn.execute(select(codings.c.id).where(codings.c.id == coding_id)).scalar()
    if found is None:
        n = len(conn.execute(select(codings.c.id)).all())
        hint = ("The project has no codings yet." if not n else
                f"A coding id is a whole number from the `id` column of the codings table (the project has {n}).")
        raise QualcodeError("E414", value=given, hint=hint)
    return found


def _text(text: str | None) -> str:
    if text is None or not str(text).strip():
        raise QualcodeError("E417")
    return str(text).strip()


def _memo(conn: Connection, memo_id: int, *, alive: bool = True) -> dict[str, Any]:
    try:
        row = memo_queries.memo_row(conn, int(memo_id))
    except (TypeError, ValueError):
        row = None
    if row is None:
        ids = memo_queries.memo_ids(conn)
        hint = (f"Memo ids: {_known([str(i) for i in ids])}." if ids else "The project has no memos.")
        raise QualcodeError("E418", value=memo_id, hint=hint)
    if alive and row["deleted_at"] is not None:
        raise QualcodeError("E419", value=memo_id, when=f"{row['deleted_at']:%Y-%m-%d %H:%M}",
                            restore="qualcode memo restore, Project.restore_memo, or Undo on the Memos page")
    return row


def add(conn: Connection, kind: str, target: str | int | None, text: str, *, author: str | None = None,
        title: str | None = None) -> int:
    """Store a memo on `target` (see the module text); return its id."""
    body = _text(text)
    target_id = resolve(conn, kind, target)
    name = (author or "").strip() or None
    memo_id = memo_queries.insert_memo(conn, kind, target_id, body, author=name, title=(title or "").strip() or None)
    audit.record(conn, name, "memo.add", "memo", memo_id, {"about": kind, "target": target})
    return memo_id


def edit(conn: Connection, memo_id: int, *, text: str | None = None, title: str | None = None,
         actor: str | None = None) -> dict[str, Any]:
    """Change a memo's text and/or title (`title=""` clears it); return the memo as it was. The
    audit log keeps the text it had, so an edit, too, can be undone."""
    before = _memo(conn, memo_id)
    values: dict[str, Any] = {}
    if text is not None:
        values["text"] = _text(text)
    if title is not None:
        values["title"] = title.strip() or None
    if values:
        memo_queries.update_memo(conn, before["id"], **values)
        audit.record(conn, actor, "memo.edit", "memo", before["id"], {"title": before["title"], "text": before["text"]})
    return before


def delete(conn: Connection, memo_id: int, *, actor: str | None = None) -> dict[str, Any]:
    """Mark a memo deleted (kept until restored); return it as it was."""
    before = _memo(conn, memo_id)
    memo_queries.set_deleted(conn, before["id"], now())
    audit.record(conn, actor, "memo.delete", "memo", before["id"], {"about": before["target_type"]})
    return before


def restore(conn: Connection, memo_id: int, *, actor: str | None = None) -> None:
    """Bring a deleted memo back, as it was. A memo that is not deleted stays as it is."""
    row = _memo(conn, memo_id, alive=False)
    if row["deleted_at"] is not None:
        memo_queries.set_deleted(conn, row["id"], None)
        audit.record(conn, actor, "memo.restore", "memo", row["id"], {"about": row["target_type"]})


def frame(conn: Connection, kind: str | None = None, target: str | int | None = None, *, author: str | None = None,
          search: str | None = None, deleted: bool = False, inline: bool = True) -> pd.DataFrame:
    """The memos as a DataFrame (memo_queries.MEMO_COLUMNS), filtered: by target kind, by target
    (its name, code id or coding id; checked like `add`'s), by author (ignoring case), and by
    words in the title or text (ignoring case, Cyrillic too)."""
    out = memo_queries.memo_frame(conn, deleted=deleted, inline=inline)
    if kind:
        if kind not in KINDS and kind != "turn":
            raise QualcodeError("E410", value=kind, kinds=", ".join(KINDS))
        out = out[out["target_type"] == kind]
        if target is not None and str(target).strip():
            target_id = resolve(conn, kind, target) if kind != "turn" else None
            same = out["target"] == str(target).strip() if target_id is None else out["target_id"] == target_id
            out = out[same]
    if author and author.strip():
        out = out[out["author"].fillna("").str.casefold() == author.strip().casefold()]
    if search and search.strip():
        needle = search.strip().casefold()
        words = out["title"].fillna("") + "\n" + out["text"].fillna("")
        out = out[words.str.casefold().str.contains(needle, regex=False)]
    return out.reset_index(drop=True)
