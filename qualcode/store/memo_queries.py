"""Reads and writes of memos: the memos table, and the memos kept inline on codes and codings.

Like `queries`, every function takes an open Connection, so the caller owns the transaction.
A memo's target is stored as (target_type, target_id); the rows read here carry a readable
label for it (a transcript's name, a code's id, "T01 12-40 push.housing" for a coding) and the
transcript it lies in, so a list can link to the workbench.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from sqlalchemy import Connection, insert, select, update

from qualcode.store.coding_queries import ensure_coder
from qualcode.store.queries import now
from qualcode.store.schema import cases, coders, codes, codings, memos, transcripts, turns

MEMO_COLUMNS = ["id", "target_type", "target", "transcript", "title", "text", "author", "created_at",
                "updated_at", "deleted_at", "stored_in", "target_id"]


def insert_memo(conn: Connection, target_type: str, target_id: int | None, text: str, *, author: str | None,
                title: str | None) -> int:
    stamp = now()
    return conn.execute(insert(memos).values(
        target_type=target_type, target_id=target_id, text=text, title=title,
        coder_id=ensure_coder(conn, author) if author else None, created_at=stamp, updated_at=stamp,
    )).inserted_primary_key[0]


def memo_row(conn: Connection, memo_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(memos, coders.c.name.label("author")).select_from(memos.outerjoin(coders))
                       .where(memos.c.id == memo_id)).first()
    return None if row is None else dict(row._mapping)


def update_memo(conn: Connection, memo_id: int, **values: Any) -> None:
    conn.execute(update(memos).where(memos.c.id == memo_id).values(**values, updated_at=now()))


def set_deleted(conn: Connection, memo_id: int, when: dt.datetime | None) -> None:
    """Mark a memo deleted (`when`) or restore it (`None`); its text and dates stay as they were."""
    conn.execute(update(memos).where(memos.c.id == memo_id).values(deleted_at=when))


def memo_ids(conn: Connection, *, deleted: bool = False) -> list[int]:
    query = select(memos.c.id).order_by(memos.c.id)
    query = query.where(memos.c.deleted_at.is_not(None) if deleted else memos.c.deleted_at.is_(None))
    return list(conn.execute(query).scalars())


def _coding_labels(conn: Connection, ids: list[int]) -> dict[int, tuple[str, str]]:
    """{coding id: (label, transcript name)}: where a coding is and what code it has."""
    out: dict[int, tuple[str, str]] = {}
    for i in range(0, len(ids), 500):  # SQLite's limit on bound parameters
        rows = conn.execute(select(codings.c.id, codings.c.start_offset, codings.c.end_offset, codes.c.path,
                                   transcripts.c.name)
                            .select_from(codings.join(codes).join(transcripts))
                            .where(codings.c.id.in_(ids[i:i + 500])))
        for r in rows:
            out[r.id] = (f"{r.name} {r.start_offset}-{r.end_offset} {r.path}", r.name)
    return out


def memo_frame(conn: Connection, *, deleted: bool = False, inline: bool = True) -> pd.DataFrame:
    """Every memo, oldest first, as MEMO_COLUMNS. `deleted=True` lists the deleted ones instead;
    `inline` adds the memos kept on codes (from the codebook) and on codings (written in the
    workbench), with `stored_in` "code" or "coding" and no id (they are changed where they
    live: the codebook, the coding)."""
    query = select(memos, coders.c.name.label("author")).select_from(memos.outerjoin(coders)).order_by(memos.c.id)
    query = query.where(memos.c.deleted_at.is_not(None) if deleted else memos.c.deleted_at.is_(None))
    rows = conn.execute(query).all()
    tname = {r.id: r.name for r in conn.execute(select(transcripts.c.id, transcripts.c.name))}
    cname = {r.id: r.name for r in conn.execute(select(cases.c.id, cases.c.name))}
    cpath = {r.id: r.path for r in conn.execute(select(codes.c.id, codes.c.path))}
    turn_ids = [r.target_id for r in rows if r.target_type == "turn" and r.target_id is not None]
    turn_of = {r.id: (r.transcript_id, r.idx) for r in conn.execute(
        select(turns.c.id, turns.c.transcript_id, turns.c.idx).where(turns.c.id.in_(turn_ids)))} if turn_ids else {}
    coding_of = _coding_labels(conn, [r.target_id for r in rows if r.target_type == "coding"
                                      and r.target_id is not None])
    out = []
    for r in rows:
        target, transcript = None, None
        if r.target_type == "transcript":
            target = transcript = tname.get(r.target_id)
        elif r.target_type == "case":
            target = cname.get(r.target_id)
        elif r.target_type == "code":
            target = cpath.get(r.target_id)
        elif r.target_type == "coding":
            target, transcript = coding_of.get(r.target_id, (None, None))
        elif r.target_type == "turn" and r.target_id in turn_of:
            tid, idx = turn_of[r.target_id]
            transcript = tname.get(tid)
            target = f"{transcript}, turn {idx}"
        out.append({"id": r.id, "target_type": r.target_type, "target": target, "transcript": transcript,
                    "title": r.title, "text": r.text, "author": r.author, "created_at": r.created_at,
                    "updated_at": r.updated_at, "deleted_at": r.deleted_at, "stored_in": "memos",
                    "target_id": r.target_id})
    if inline and not deleted:
        out += _inline(conn)
    frame = pd.DataFrame(out, columns=MEMO_COLUMNS)
    frame["id"] = frame["id"].astype("Int64")
    frame["target_id"] = frame["target_id"].astype("Int64")
    return frame


def _inline(conn: Connection) -> list[dict[str, Any]]:
    out = []
    for r in conn.execute(select(codes.c.id, codes.c.path, codes.c.memo, codes.c.created_at, codes.c.updated_at)
                          .where(codes.c.memo.is_not(None), codes.c.memo != "").order_by(codes.c.path)):
        out.append({"id": None, "target_type": "code", "target": r.path, "transcript": None, "title": None,
                    "text": r.memo, "author": None, "created_at": r.created_at, "updated_at": r.updated_at,
                    "deleted_at": None, "stored_in": "code", "target_id": r.id})
    rows = conn.execute(
        select(codings.c.id, codings.c.memo, codings.c.start_offset, codings.c.end_offset, codings.c.created_at,
               codings.c.updated_at, codes.c.path, transcripts.c.name, coders.c.name.label("author"))
        .select_from(codings.join(codes).join(transcripts).outerjoin(coders, coders.c.id == codings.c.coder_id))
        .where(codings.c.memo.is_not(None), codings.c.memo != "", transcripts.c.is_current.is_(True))
        .order_by(transcripts.c.name, codings.c.start_offset, codings.c.id))
    for r in rows:
        out.append({"id": None, "target_type": "coding", "target": f"{r.name} {r.start_offset}-{r.end_offset} {r.path}",
                    "transcript": r.name, "title": None, "text": r.memo, "author": r.author,
                    "created_at": r.created_at, "updated_at": r.updated_at, "deleted_at": None,
                    "stored_in": "coding", "target_id": r.id})
    return out
