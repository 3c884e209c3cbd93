"""Codings written as plain tuples (`coding_queries.insert_coding_tuples`, what a rule run writes)
are stored exactly as the same rows written as dicts through SQLAlchemy, on SQLite and PostgreSQL.

SQLite gets the tuples straight to its driver with SQLAlchemy's bind processors applied by hand,
so the stored bytes are compared too (timestamps are text there)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import insert, select

from qualcode import Project
from qualcode.store import coding_queries as cq
from qualcode.store.schema import codes, codings

COLUMNS = ("transcript_id", "code_id", "start_offset", "end_offset", "origin", "rule_id", "status", "run_id",
           "created_at", "updated_at", "match_start", "match_end", "reviewer_id", "reviewed_at", "confidence")


def _rows(tid: int, code_id: int) -> list[tuple]:
    stamp = dt.datetime(2026, 12, 7, 23, 59, 1, 123456, tzinfo=dt.UTC)
    other_zone = dt.datetime(2026, 12, 8, 2, 59, 1, 123456, tzinfo=dt.timezone(dt.timedelta(hours=3)))  # == stamp
    naive = dt.datetime(2025, 1, 2, 3, 4, 5)
    return [
        (tid, code_id, 0, 10, "rule", "r.one", "suggested", None, stamp, stamp, 2, 5, None, None, None),
        (tid, code_id, 3, 12, "rule", "r.two", "accepted", None, stamp, other_zone, None, None, None, naive, 0.5),
        (tid, code_id, 4, 4, "model", None, "rejected", None, other_zone, stamp, None, None, None, stamp, 1),
        (tid, code_id, 7, 9, "rule", "r.ü — «x»", "suggested", None, naive, naive, 7, 9, None, other_zone, 0.25),
    ]


def _stored(p: Project) -> list[tuple]:
    cols = [codings.c[c] for c in COLUMNS]
    with p.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(*cols).order_by(codings.c.id))]


def test_tuples_are_stored_as_dict_rows_are(db, data: Path) -> None:
    stored = {}
    for how in ("dicts", "tuples"):
        with Project.create(db.new()) as p:
            assert p.import_files([data / "cp1251_ru.txt"]).ok
            with p.engine.begin() as conn:
                tid = conn.exec_driver_sql("SELECT id FROM transcripts").scalar()
                now = dt.datetime.now(dt.UTC)
                code_id = conn.execute(insert(codes).values(path="c", name="c", sort_order=0, created_at=now,
                                                            updated_at=now)).inserted_primary_key[0]
                rows = _rows(tid, code_id)
                if how == "dicts":
                    cq.insert_codings(conn, [dict(zip(COLUMNS, r, strict=True)) for r in rows])
                else:
                    cq.insert_coding_tuples(conn, COLUMNS, rows)
            stored[how] = _stored(p)
            if db.kind == "sqlite":  # the bytes as stored: timestamps are text on SQLite
                with p.engine.connect() as conn:
                    stored[how + " raw"] = conn.exec_driver_sql("SELECT created_at, updated_at, reviewed_at, "
                                                                "confidence, rule_id FROM codings ORDER BY id").all()
    assert len(stored["tuples"]) == 4
    assert stored["tuples"] == stored["dicts"]
    if db.kind == "sqlite":
        assert stored["tuples raw"] == stored["dicts raw"]
        # equal instants of two time zones are bound as SQLAlchemy binds each (not one for both)
        assert stored["tuples raw"][0][1] != stored["tuples raw"][1][1]


def test_no_rows_writes_nothing(tmp_path: Path) -> None:
    with Project.create(tmp_path / "p.qcdb") as p, p.engine.begin() as conn:
        cq.insert_coding_tuples(conn, COLUMNS, [])
        assert conn.exec_driver_sql("SELECT count(*) FROM codings").scalar() == 0
