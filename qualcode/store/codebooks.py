"""The codebooks a project was coded with, kept in the project itself.

A rule run records its codebook's hash (`runs.codebook_sha256`), and the file's bytes are
kept here under that hash, so the typology and the exports find the codebook a project was
coded with wherever a command runs: a path "as it was given" is relative to the folder the
first command ran in, and the file may since have moved or changed. A codebook is kept once
per hash; a run that uses it again adds nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, insert, select

from qualcode.codebook import Codebook
from qualcode.store import coding_queries, queries
from qualcode.store.schema import codebooks, runs


@dataclass(frozen=True)
class StoredCodebook:
    sha256: str
    name: str
    version: str | None
    path: str | None  # absolute, where it was read from when it was kept
    content: str


def raw_of(book: Codebook) -> bytes | None:
    """The file bytes `book` was read from, if the file is still there and unchanged, else None.

    A codebook made in code, or whose file changed after loading, has no bytes to keep."""
    if not book.path or not book.sha256:
        return None
    try:
        data = Path(book.path).read_bytes()
    except OSError:
        return None
    return data if hashlib.sha256(data).hexdigest() == book.sha256 else None


def keep(conn: Connection, book: Codebook) -> bool:
    """Keep `book`'s file in the project under its hash; False when there are no bytes to keep."""
    if not book.sha256:
        return False
    if conn.execute(select(codebooks.c.sha256).where(codebooks.c.sha256 == book.sha256)).first() is not None:
        return True
    data = raw_of(book)
    if data is None:
        return False
    conn.execute(insert(codebooks).values(
        sha256=book.sha256, name=book.name[:300], version=(str(book.version)[:100] if book.version else None),
        path=str(Path(book.path).resolve())[:1000], content=data.decode("utf-8-sig"), stored_at=queries.now()))
    return True


def get(conn: Connection, sha256: str | None) -> StoredCodebook | None:
    if not sha256:
        return None
    row = conn.execute(select(codebooks).where(codebooks.c.sha256 == sha256)).first()
    return None if row is None else StoredCodebook(row.sha256, row.name, row.version, row.path, row.content)


def of_last_run(conn: Connection) -> StoredCodebook | None:
    """The kept codebook of the last finished rule run, or None (no run, or coded before it was kept)."""
    run_id = coding_queries.last_rule_run(conn)
    if run_id is None:
        return None
    return get(conn, conn.execute(select(runs.c.codebook_sha256).where(runs.c.id == run_id)).scalar())
