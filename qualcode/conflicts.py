"""Optimistic version checks: two owners editing the codebook at once never overwrite each other.

A page (or a script) reads `codebook_version` when it shows the codes and hands it back with
its edit. The edit's transaction first takes the project's write lock (a row of
`project_info`: a write lock on SQLite, a row lock on PostgreSQL), then compares the version
with what the store has *now*; if someone changed the codes in between, nothing is written
and E550 says who changed them and when (from the audit log). Without a version an edit is
not checked, as before (scripts, the CLI).

The version is a hash of the codes as they are (id path, name, parent, description, colour,
order), not a counter: codes that a re-code or an import adds change it too, though those
paths know nothing of this module.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from qualcode import audit
from qualcode.errors import QualcodeError
from qualcode.store.queries import now
from qualcode.store.schema import codes, project_info

_LOCK_KEY = "codebook_written_at"


def codebook_version(conn: Connection) -> str:
    """A short hash of the project's codes as they are now."""
    digest = hashlib.sha256()
    rows = conn.execute(select(codes.c.id, codes.c.path, codes.c.name, codes.c.parent_id, codes.c.description,
                               codes.c.color, codes.c.sort_order).order_by(codes.c.path)).all()
    by_id = {r.id: r.path for r in rows}
    for r in rows:
        for value in (r.path, r.name, by_id.get(r.parent_id), r.description, r.color, r.sort_order):
            digest.update(b"\x1f" + ("\x00" if value is None else str(value)).encode("utf-8"))
        digest.update(b"\x1e")
    return digest.hexdigest()[:16]


def _lock(conn: Connection) -> None:
    """Take the write lock before reading the version, so no other edit can land in between.

    An upsert, not update-else-insert: two first edits of a project would both find no row and
    both insert it (on PostgreSQL the second then fails on the key); an upsert waits for the
    other's row and updates it."""
    stamp = now().isoformat()
    upsert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}.get(conn.dialect.name)
    if upsert is not None:
        conn.execute(upsert(project_info).values(key=_LOCK_KEY, value=stamp)
                     .on_conflict_do_update(index_elements=[project_info.c.key], set_={"value": stamp}))
        return
    done = conn.execute(update(project_info).where(project_info.c.key == _LOCK_KEY).values(value=stamp))
    if not done.rowcount:
        conn.execute(insert(project_info).values(key=_LOCK_KEY, value=stamp))


def check(conn: Connection, expected: str | None, what: str) -> None:
    """Raise E550 (and write nothing) if the codes changed since `expected` was read.

    `conn` is the edit's own transaction; `what` names the edit for the message."""
    if expected is None:
        return
    _lock(conn)
    found = codebook_version(conn)
    if found == expected:
        return
    last = audit.last_change(conn, "code")
    by = ""
    if last is not None:
        at = last["at"]
        when = at.strftime("%Y-%m-%d %H:%M:%S UTC") if hasattr(at, "strftime") else str(at)
        by = f" (last: {last['action']} of '{last['target']}' by {last['actor']} at {when})"
    raise QualcodeError("E550", what=what, expected=expected, found=found, by=by)


# --- codebook files (the YAML editor) -----------------------------------------------------------

def file_version(path: str | Path) -> str | None:
    """The sha256 of a file's bytes, or None when there is no file: read when an editor opens it."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


def check_file(path: str | Path, expected: str | None) -> None:
    """E554 if the file changed (or appeared, or went) since `file_version` gave `expected`.

    Checked just before the editor writes the file whole (qualcode.access.save_text); two saves
    within the same instant can still race, which a file system gives no transaction against."""
    found = file_version(path)
    if found == expected:
        return
    try:
        stamp = dt.datetime.fromtimestamp(Path(path).stat().st_mtime, dt.UTC)
        when = stamp.strftime("%Y-%m-%d %H:%M:%S UTC")
    except FileNotFoundError:
        when = "some time (it has been deleted since)"
    raise QualcodeError("E554", file=str(path), when=when)
