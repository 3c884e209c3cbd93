"""The audit log: who did what to the project, and when.

Each write that changes what coders see (a coding added, changed, reviewed, removed or
restored; a code added, renamed, moved, merged, deleted or restored; an import (transcripts,
codings, a QDPX project); a re-code; a learned-suggestion run; case attribute edits; a memo
added, edited, deleted or restored)
adds one row to `audit_log` *in its own transaction*: the row exists exactly when the change
does, so the log never claims what did not happen nor misses what did. It is the answer to
"who deleted my codings?" (`Project.audit(action="coding.delete")`).

The actor is the coder name the API was given (in team mode, the signed-in identity). Where
an operation has no coder (a code rename from a script, an import), an explicit `actor=` is
taken; without one the row says which operating-system account ran it ("os:NAME"), never
nothing. `detail` is JSON text, for people and for export; it is not read back by code.
Nothing here imports Streamlit.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import getpass
import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import pandas as pd
from sqlalchemy import Connection, func, insert, select

from qualcode.errors import QualcodeError
from qualcode.store.queries import now
from qualcode.store.schema import audit_log

# Every action the log records; a filter may name one or a family ("coding" is coding.*).
ACTIONS = (
    "coding.add", "coding.change", "coding.review", "coding.delete", "coding.restore",
    "code.add", "code.change", "code.move", "code.merge", "code.delete", "code.restore", "code.load",
    "import", "import.codings", "import.qdpx", "recode", "suggest.learn", "case.attributes",
    "member.add", "member.role", "member.remove",  # written by qualcode.team.members
    "memo.add", "memo.edit", "memo.delete", "memo.restore",
)
COLUMNS = ["id", "at", "actor", "action", "target_kind", "target", "detail"]
_DETAIL_LIMIT = 4000  # characters of JSON per row: a batch review of 10,000 codings is summarised

# The actor of work started deep inside a module that takes no `actor=` (the re-code
# transaction in runs.py): `Project.autocode` sets it around the call. A context variable, so
# two browser sessions (threads of one server) never see each other's.
_current: contextvars.ContextVar[str | None] = contextvars.ContextVar("qualcode_actor", default=None)


def actor_name(actor: str | None = None) -> str:
    """The name recorded for `actor`: as given (stripped), else the one set by `acting`, else
    $QUALCODE_ACTOR (a script or shell says who runs every command), else the operating-system
    account ("os:NAME")."""
    name = (actor or "").strip() or (_current.get() or "").strip() or os.environ.get("QUALCODE_ACTOR", "").strip()
    if name:
        return name[:320]
    try:
        return f"os:{getpass.getuser()}"
    except (KeyError, OSError):  # no passwd entry (some containers)
        return "os:unknown"


@contextmanager
def acting(actor: str | None) -> Iterator[None]:
    """Within this block, work that takes no `actor=` is recorded as `actor`'s (without one,
    the actor of an enclosing block stays: an import's re-code is the importer's)."""
    token = _current.set((actor or "").strip() or _current.get())
    try:
        yield
    finally:
        _current.reset(token)


def record(conn: Connection, actor: str | None, action: str, target_kind: str | None, target: object,
           detail: Mapping[str, Any] | None = None) -> None:
    """Add one row, in the caller's transaction (`conn` from `engine.begin()`)."""
    text = None
    if detail:
        text = json.dumps(dict(detail), ensure_ascii=False, sort_keys=True, default=str)
        if len(text) > _DETAIL_LIMIT:  # keep the log small; say that it was cut
            text = json.dumps({"summary": text[:_DETAIL_LIMIT - 200] + "…", "cut": True}, ensure_ascii=False)
    conn.execute(insert(audit_log).values(at=now(), actor=actor_name(actor), action=action,
                                          target_kind=target_kind,
                                          target=None if target is None else str(target)[:1000], detail=text))


def record_run(conn: Connection, run: Any) -> None:
    """The re-code of `run` (a qualcode.model.Run being written), by the actor set with `acting`."""
    record(conn, None, "recode", "run", run.id, {
        "codebook": run.codebook_name, "codebook_version": run.codebook_version,
        "codebook_sha256": (run.codebook_sha256 or "")[:12], "transcripts": len(run.transcripts),
        "added": sum(len(v) for v in run.added.values()), "removed": sum(len(v) for v in run.removed.values()),
        "status": run.coding_status})


def _since(value: str | dt.date | dt.datetime) -> dt.datetime:
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            raise QualcodeError("E552", value=value) from None
    if not isinstance(value, dt.datetime):  # a date: from its first moment (UTC)
        value = dt.datetime.combine(value, dt.time())
    if value.tzinfo is None:  # times without a zone are UTC, as the log is
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def _utc(value: dt.datetime) -> dt.datetime:
    # SQLite gives back naive datetimes (stored as UTC), PostgreSQL aware ones.
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _where(conn: Connection, actor: str | None, action: str | None,
           since: str | dt.date | dt.datetime | None) -> list[Any]:
    """The filters as conditions, each checked (E551, E552, E553)."""
    where: list[Any] = []
    if action:
        action = action.strip()
        # Actions other modules wrote are known too: the log, not this list, is the truth.
        known = set(ACTIONS) | set(conn.execute(select(audit_log.c.action).distinct()).scalars())
        if action not in known and action not in {a.split(".")[0] for a in known}:
            raise QualcodeError("E551", value=action, known=", ".join(sorted(known)))
        where.append((audit_log.c.action == action) | audit_log.c.action.startswith(action + "."))
    if actor:
        actor = actor.strip()
        known = actors(conn)
        if actor not in known:
            raise QualcodeError("E553", name=actor, known=", ".join(known) or "(the log is empty)")
        where.append(audit_log.c.actor == actor)
    if since is not None and since != "":
        # Stored as UTC; SQLite compares the text form, which drops the zone, so bind it naive.
        start = _since(since)
        where.append(audit_log.c.at >= (start.replace(tzinfo=None) if conn.dialect.name == "sqlite" else start))
    return where


def frame(conn: Connection, *, actor: str | None = None, action: str | None = None,
          since: str | dt.date | dt.datetime | None = None, limit: int | None = None) -> pd.DataFrame:
    """The log, newest first: id, at (UTC), actor, action, target_kind, target, detail (JSON).

    `action` is an action ("coding.delete") or a family ("coding"); `actor` a name the log
    has (E553 lists them otherwise); `since` an ISO date or time (UTC unless it says) or a
    date/datetime; `limit` keeps the newest rows only."""
    query = (select(audit_log).where(*_where(conn, actor, action, since))
             .order_by(audit_log.c.at.desc(), audit_log.c.id.desc()))
    if limit is not None:
        query = query.limit(int(limit))
    rows = [dict(r._mapping) for r in conn.execute(query)]
    out = pd.DataFrame(rows, columns=COLUMNS)
    out["at"] = pd.to_datetime([_utc(v) for v in out["at"]], utc=True)
    return out


def count(conn: Connection, *, actor: str | None = None, action: str | None = None,
          since: str | dt.date | dt.datetime | None = None) -> int:
    """How many rows `frame` would give without a limit."""
    return conn.execute(select(func.count()).select_from(audit_log)
                        .where(*_where(conn, actor, action, since))).scalar() or 0


def actors(conn: Connection) -> list[str]:
    """Everyone the log names, sorted."""
    return sorted(conn.execute(select(audit_log.c.actor).distinct()).scalars())


def last_change(conn: Connection, prefix: str = "code") -> dict[str, Any] | None:
    """The newest row of an action family (for conflict messages: who changed it, and when)."""
    row = conn.execute(select(audit_log).where(audit_log.c.action.startswith(prefix + "."))
                       .order_by(audit_log.c.at.desc(), audit_log.c.id.desc()).limit(1)).first()
    return dict(row._mapping) if row is not None else None
