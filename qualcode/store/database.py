"""Opening, creating and upgrading project databases.

A project location is a file path (an SQLite file, the default) or any SQLAlchemy
URL (e.g. `postgresql+psycopg://...` for a team server). SQLite runs in WAL mode
with foreign keys on, so a browser session and a script can share one file.
Migrations are Alembic scripts shipped inside the package and run in-process:
Alembic is SQLAlchemy's own migration tool, and its batch mode handles SQLite's
limited ALTER TABLE, which a hand-rolled scheme would have to reimplement.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, event, inspect
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DatabaseError, OperationalError

from qualcode.errors import ProjectError

MIGRATIONS = Path(__file__).parent / "migrations"
SQLITE_HEADER = b"SQLite format 3\x00"


def is_url(location: str | Path) -> bool:
    return "://" in str(location)


def to_url(location: str | Path) -> str:
    if is_url(location):
        return str(location)
    return f"sqlite:///{Path(location).expanduser().resolve()}"


def _sqlite_pragmas(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    # Wait for a concurrent writer (another tab, a batch script) instead of failing at once.
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(location: str | Path) -> Engine:
    url = to_url(location)
    engine = create_engine(url, future=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to `revision` in one transaction (SQLite DDL is transactional)."""
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def check_sqlite_file(path: Path) -> None:
    """Refuse a file that is not SQLite before SQLAlchemy gives an obscure error."""
    if path.is_dir():
        raise ProjectError("E103", path=path, reason="it is a folder")
    with path.open("rb") as fh:
        header = fh.read(16)
    if path.stat().st_size > 0 and header != SQLITE_HEADER:
        raise ProjectError("E103", path=path, reason="the file is not an SQLite database")


def open_engine(location: str | Path, *, create: bool, migrate: bool = True) -> Engine:
    """Open (and by default upgrade) a project database.

    Raises ProjectError E101 if it does not exist and `create` is false, E102 if it
    exists and `create` is true, E103 if it is not a qualcode project, E104 if it
    was written by a newer qualcode.
    """
    if not is_url(location):
        path = Path(location).expanduser()
        if create and path.exists() and path.stat().st_size > 0:
            raise ProjectError("E102", path=location)
        if not create and not path.exists():
            raise ProjectError("E101", path=location)
        if path.exists():
            check_sqlite_file(path)
        elif not path.parent.exists():
            raise ProjectError("E106", path=location, reason=f"folder '{path.parent}' does not exist")
    engine = make_engine(location)
    try:
        tables = set(inspect(engine).get_table_names())
        revision = current_revision(engine)
    except (DatabaseError, OperationalError) as exc:
        engine.dispose()
        raise ProjectError("E103", path=location, reason=str(exc.orig)) from exc
    if revision is None:
        if tables - {"alembic_version"}:
            engine.dispose()
            raise ProjectError(
                "E103", path=location, reason=f"it has tables ({', '.join(sorted(tables))}) but no qualcode schema"
            )
        if not create:
            engine.dispose()
            raise ProjectError("E103", path=location, reason="the database is empty")
    else:
        known = {s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
        if revision not in known:
            engine.dispose()
            raise ProjectError("E104", path=location, found=revision, known=head_revision())
        if create:
            engine.dispose()
            raise ProjectError("E102", path=location)
    if migrate:
        upgrade(engine)
    return engine
