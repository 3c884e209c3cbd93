"""GUIDs that other tools gave to what qualcode imported from them, kept for the re-export.

qualcode derives its own GUIDs (see refi_export), but an item that came from ATLAS.ti,
NVivo, Taguette or QualCoder already has one, and that tool matches what comes back by it.
An import from another tool records each item's GUID here (the `refi_guids` table, keyed by
kind and the item's natural key: a code's path, a transcript's, case's, coder's or
attribute's name, a coding's or memo's id), and every export writes it back unchanged.
Files written by qualcode itself need none of this: their GUIDs are derived again from the
project key they carry.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, delete, insert, select

from qualcode.store.schema import refi_guids

KINDS = ("user", "code", "source", "case", "variable", "selection", "coding", "memo")


def kept(conn: Connection) -> dict[tuple[str, str], str]:
    """{(kind, natural key): GUID} of everything imported from another tool."""
    return {(r.kind, r.natural): r.guid for r in conn.execute(select(refi_guids))}


def remember(conn: Connection, items: Iterable[tuple[str, str, str | None]]) -> int:
    """Record (kind, natural key, GUID) triples; a later import of the same item replaces the GUID."""
    rows = {(kind, natural): guid for kind, natural, guid in items if guid and kind in KINDS}
    for kind, natural in rows:
        conn.execute(delete(refi_guids).where(refi_guids.c.kind == kind, refi_guids.c.natural == natural))
    if rows:
        conn.execute(insert(refi_guids), [dict(kind=k, natural=n, guid=g) for (k, n), g in rows.items()])
    return len(rows)
