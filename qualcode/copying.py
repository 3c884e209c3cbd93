"""`qualcode copy SRC DST`: move a project between stores (an SQLite file and a PostgreSQL database,
either way, or file to file), losslessly.

The destination is built by the same migrations up to the source's schema revision, then every
table's rows are copied with their ids, in one transaction: a failed copy leaves the destination
empty, never half a project. The source is only read (an older source is not upgraded; the copy
is upgraded after its rows are in). Afterwards each table's row count is compared (E117).

Values keep their meaning across the stores: timestamps are UTC (SQLite keeps them without a
zone, PostgreSQL as timestamptz), booleans, floats, bytes and text are copied as they are, and
PostgreSQL's id sequences are moved past the copied ids so new rows get fresh ones.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from alembic import command
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, MetaData, Table, func, inspect, select, text, update
from sqlalchemy.engine import Engine

from qualcode.errors import ProjectError
from qualcode.store.database import (
    ALEMBIC_LOCK,
    alembic_config,
    head_revision,
    is_url,
    make_engine,
    open_engine,
    shown,
    to_url,
)

BATCH = 2000  # rows per INSERT round trip


@dataclass
class CopyReport:
    src: str
    dst: str
    revision: str
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.rows.values())

    def summary(self) -> str:
        return (f"Copied {self.total} rows in {len(self.rows)} tables from {self.src} to {self.dst} "
                f"(schema {self.revision}).")


def _same(src: str | Path, dst: str | Path) -> bool:
    return to_url(src) == to_url(dst)


def _empty_destination(location: str | Path) -> Engine:
    """An engine on `location` if it holds no tables at all (E115 otherwise)."""
    if not is_url(location):
        path = Path(location).expanduser()
        if path.exists() and path.stat().st_size > 0:
            raise ProjectError("E115", dst=location, found="the file exists and is not empty")
        if not path.parent.exists():
            raise ProjectError("E106", path=location, reason=f"folder '{path.parent}' does not exist")
    engine = make_engine(location)
    tables = inspect(engine).get_table_names()
    if tables:
        engine.dispose()
        raise ProjectError("E115", dst=shown(location), found=", ".join(sorted(tables)))
    return engine


def _utc(value: object, to_sqlite: bool) -> object:
    """A timestamp as the destination keeps it: naive UTC on SQLite, aware UTC on PostgreSQL."""
    if not isinstance(value, dt.datetime):
        return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)  # qualcode writes UTC; SQLite gives it back without a zone
    value = value.astimezone(dt.UTC)
    return value.replace(tzinfo=None) if to_sqlite else value


def _rows(conn: Connection, table: Table) -> Iterator[list[dict]]:
    order = list(table.primary_key.columns) or list(table.columns)
    result = conn.execution_options(stream_results=True).execute(select(table).order_by(*order))
    while chunk := result.fetchmany(BATCH):
        yield [dict(r._mapping) for r in chunk]


def _self_references(table: Table) -> list[str]:
    """Columns pointing into their own table (a code's parent, a transcript's previous version)."""
    return [fk.parent.name for fk in table.foreign_keys if fk.column.table.name == table.name]


def _copy_table(src: Connection, dst: Connection, table: Table, target: Table) -> int:
    to_sqlite = dst.dialect.name == "sqlite"
    later = _self_references(target)
    key = [c.name for c in target.primary_key.columns]
    pending: list[dict] = []
    count = 0
    for chunk in _rows(src, table):
        rows = [{k: _utc(v, to_sqlite) for k, v in row.items() if k in target.c} for row in chunk]
        if later:  # a row may point at one copied later: insert without the link, set it at the end
            pending += [{**{k: r[k] for k in key}, **{c: r[c] for c in later}} for r in rows
                        if any(r[c] is not None for c in later)]
            rows = [{**r, **dict.fromkeys(later)} for r in rows]
        dst.execute(target.insert(), rows)
        count += len(rows)
    for row in pending:
        where = [target.c[k] == row[k] for k in key]
        dst.execute(update(target).where(*where).values({c: row[c] for c in later}))
    return count


def _reset_sequences(dst: Connection, table: Table) -> None:
    """Let PostgreSQL's next id follow the copied ones (a copied id is never handed out again)."""
    for column in table.primary_key.columns:
        sequence = dst.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                               {"t": table.name, "c": column.name}).scalar()
        if sequence:
            top = dst.execute(select(func.max(column))).scalar()
            dst.execute(text("SELECT setval(:s, :v, :called)"),
                        {"s": sequence, "v": top or 1, "called": top is not None})


def copy_project(src: str | Path, dst: str | Path, *, progress: Callable[[str], None] | None = None) -> CopyReport:
    """Copy the project at `src` into the new, empty `dst` (a file path or a database URL)."""
    if _same(src, dst):
        raise ProjectError("E116", src=shown(src))
    source = open_engine(src, create=False, migrate=False)  # E101/E103/E104/E110-E112 as for opening
    try:
        with source.connect() as conn, ALEMBIC_LOCK:
            revision = MigrationContext.configure(conn).get_current_revision() or head_revision()
        target = _empty_destination(dst)
        try:
            report = CopyReport(shown(src), shown(dst), revision)
            cfg = alembic_config()
            with source.connect() as s, target.begin() as d:
                cfg.attributes["connection"] = d
                with ALEMBIC_LOCK:  # alembic's module-level context is shared by threads
                    command.upgrade(cfg, revision)  # the source's schema, so every column has its place
                theirs, ours = MetaData(), MetaData()
                theirs.reflect(s)
                ours.reflect(d)
                for table in ours.sorted_tables:
                    if table.name == "alembic_version" or table.name not in theirs.tables:
                        continue
                    if progress:
                        progress(table.name)
                    report.rows[table.name] = _copy_table(s, d, theirs.tables[table.name], table)
                    if d.dialect.name == "postgresql":
                        _reset_sequences(d, table)
                for name, want in report.rows.items():
                    got = d.execute(select(func.count()).select_from(ours.tables[name])).scalar()
                    if got != want:
                        raise ProjectError("E117", src=report.src, dst=report.dst, table=name, got=got, want=want)
                if revision != head_revision():
                    with ALEMBIC_LOCK:
                        command.upgrade(cfg, "head")
                    report.revision = head_revision()
            return report
        finally:
            target.dispose()
    finally:
        source.dispose()
