"""Opening, creating and upgrading project databases.

A project location is a file path (an SQLite file, the default) or any SQLAlchemy
URL (e.g. `postgresql+psycopg://...` for a team server). SQLite runs in WAL mode
with foreign keys on, so a browser session and a script can share one file.
Migrations are Alembic scripts shipped inside the package and run in-process:
Alembic is SQLAlchemy's own migration tool, and its batch mode handles SQLite's
limited ALTER TABLE, which a hand-rolled scheme would have to reimplement.
"""

from __future__ import annotations

import functools
import re
import sqlite3
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, NoSuchModuleError, OperationalError

from qualcode.errors import ProjectError
from qualcode.store import postgres

if TYPE_CHECKING:  # alembic is imported only to migrate (0.15 s of every command otherwise, issue 17)
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
SQLITE_HEADER = b"SQLite format 3\x00"


def is_url(location: str | Path) -> bool:
    return "://" in str(location)


def to_url(location: str | Path) -> str:
    if is_url(location):
        return str(location)
    return f"sqlite:///{Path(location).expanduser().resolve()}"


# A write waits this long inside SQLite for another writer (another tab, a batch script, a long
# re-code) before SQLite gives up; qualcode then says so and tries again, LOCK_TRIES times in all.
BUSY_TIMEOUT_MS = 10_000
LOCK_TRIES = 6


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# Where "waiting for the lock" messages go (the CLI's stderr by default; the browser may set its own).
lock_progress: Callable[[str], None] = _stderr


def _locked(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "database is locked" in text or "database is busy" in text


class _RetryingCursor(sqlite3.Cursor):
    """Retries a statement that found the project locked, when that is safe.

    Safe means the statement opens its transaction: Python's sqlite3 starts a transaction only
    at the first write, so nothing of it is stored yet and its read snapshot can be dropped. A
    statement inside a transaction that already wrote is not retried (the transaction fails as
    a whole, as before), but it still ends in the numbered error, never in a traceback.
    """

    def _retry(self, run: Callable[[], sqlite3.Cursor]) -> sqlite3.Cursor:
        conn = self.connection
        fresh = not conn.in_transaction
        waited = 0.0
        for attempt in range(1, LOCK_TRIES + 1):
            try:
                return run()
            except sqlite3.OperationalError as exc:
                if not _locked(exc):
                    raise
                waited += BUSY_TIMEOUT_MS / 1000
                if not fresh or attempt == LOCK_TRIES:
                    raise ProjectError("E957", path=getattr(conn, "path", "?"), seconds=waited,
                                       tries=attempt) from None
                if conn.in_transaction:
                    conn.rollback()  # nothing was written: drop the stale snapshot before the next try
                lock_progress(f"Project '{getattr(conn, 'path', '?')}' is locked by another writer; waited "
                              f"{waited:g} s, trying again ({attempt + 1} of {LOCK_TRIES})...")
        raise AssertionError("unreachable")

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:  # type: ignore[override]
        return self._retry(lambda: super(_RetryingCursor, self).execute(sql, parameters))

    def executemany(self, sql: str, parameters: Any, /) -> sqlite3.Cursor:  # type: ignore[override]
        rows = list(parameters)  # an iterator would be used up by a failed try
        return self._retry(lambda: super(_RetryingCursor, self).executemany(sql, rows))


class _RetryingConnection(sqlite3.Connection):
    """An sqlite3 connection whose cursors wait for a locked project (see _RetryingCursor)."""

    def __init__(self, database: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(database, *args, **kwargs)
        self.path = str(database)

    def cursor(self, factory: Any = None) -> sqlite3.Cursor:  # type: ignore[override]
        return super().cursor(factory or _RetryingCursor)


def _sqlite_pragmas(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    # Wait for a concurrent writer (another tab, a batch script) instead of failing at once.
    cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_MS)}")
    cursor.close()


# The pip package that provides each database driver module SQLAlchemy may ask for.
DRIVER_PACKAGES = {"psycopg": "'psycopg[binary]'", "psycopg2": "psycopg2-binary", "pg8000": "pg8000",
                   "asyncpg": "asyncpg", "pymysql": "PyMySQL", "MySQLdb": "mysqlclient"}


def _shown(url: str) -> str:
    """The URL without its password, for messages."""
    return postgres.shown(url) if is_url(url) else url


def shown(location: str | Path) -> str:
    """A project location as it may be printed: a URL loses its password."""
    return _shown(str(location))


def default_name(location: str | Path) -> str:
    """A project's name when none is given: the file's stem, or the database's name in a URL."""
    if is_url(location):
        try:
            return make_url(str(location)).database or "project"
        except ArgumentError:
            return "project"
    return Path(location).stem


def make_engine(location: str | Path) -> Engine:
    url = to_url(location)
    kwargs: dict[str, Any] = {"future": True}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"factory": _RetryingConnection}
    elif url.startswith("postgresql"):
        kwargs.update(postgres.engine_options())
    try:
        engine = create_engine(url, **kwargs)
    except ModuleNotFoundError as exc:  # e.g. postgresql+psycopg:// without psycopg installed
        module = (exc.name or "?").split(".")[0]
        raise ProjectError("E958", url=_shown(url), module=module,
                           package=DRIVER_PACKAGES.get(module, module)) from None
    except (NoSuchModuleError, ArgumentError, ValueError) as exc:
        reason = str(exc)
        if isinstance(exc, ValueError) and "int()" in reason:  # make_url's words for a bad port
            reason = "the port in the URL is not a number"
        if url.startswith("postgres") and not url.startswith("postgresql+psycopg://"):
            reason += " (for PostgreSQL write postgresql+psycopg://USER@HOST:PORT/DATABASE)"
        raise ProjectError("E106", path=_shown(url), reason=reason) from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    elif engine.dialect.name == "postgresql":
        postgres.install(engine, url)
    return engine


def is_empty(location: str | Path) -> bool:
    """A database URL with no tables at all (an empty database `createdb` made), or a missing file."""
    if not is_url(location):
        path = Path(location).expanduser()
        return not path.exists() or path.stat().st_size == 0
    engine = make_engine(location)
    try:
        return not inspect(engine).get_table_names()
    finally:
        engine.dispose()


# Alembic keeps its running migration in module-level proxies (alembic.context, alembic.op) and
# its config in a shared cache: two threads migrating or reading scripts at once (the browser app
# opens projects from several sessions) fail with KeyError('script'/'config') or a half-made
# schema. Every alembic call in qualcode holds this lock (re-entrant: open_engine nests them).
ALEMBIC_LOCK = threading.RLock()


def alembic_config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    with ALEMBIC_LOCK:
        head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


_REVISION_LINE = re.compile(r"^(down_revision|revision)\s*(?::[^=]*)?=\s*(.+?)\s*$", re.MULTILINE)


@functools.cache
def plain_head() -> str | None:
    """The newest migration, read from the `revision = "..."` and `down_revision = "..."` lines of
    the migration files without importing alembic; None when that is not one plain chain (a
    merge, an odd line): then alembic decides. tests/test_startup.py checks it against alembic."""
    revisions: dict[str, str | None] = {}
    for path in (MIGRATIONS / "versions").glob("*.py"):
        found = dict(_REVISION_LINE.findall(path.read_text(encoding="utf-8")))
        if set(found) != {"revision", "down_revision"}:
            return None
        ids = [v.strip("\"'") if v != "None" else None for v in (found["revision"], found["down_revision"])]
        if ids[0] is None or any(v is not None and not re.fullmatch(r"\w+", v) for v in ids):
            return None
        revisions[ids[0]] = ids[1]
    heads = set(revisions) - {down for down in revisions.values() if down}
    return heads.pop() if len(heads) == 1 else None


def current_revision(engine: Engine) -> str | None:
    """The schema revision stored in the database (alembic's `alembic_version` table), or None."""
    if "alembic_version" not in inspect(engine).get_table_names():
        return None
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    if len(rows) <= 1:
        return rows[0] if rows else None
    from alembic.runtime.migration import MigrationContext  # several heads: alembic's own error

    with ALEMBIC_LOCK, engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to `revision` in one transaction (SQLite DDL is transactional)."""
    from alembic import command

    with ALEMBIC_LOCK:
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
    location = shown(location)  # from here on only in messages: without a password
    try:
        tables = set(inspect(engine).get_table_names())
        revision = current_revision(engine)
    except (DatabaseError, OperationalError) as exc:
        engine.dispose()
        raise ProjectError("E103", path=location, reason=str(exc.orig)) from exc
    except ProjectError:
        engine.dispose()
        raise
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
        if revision != plain_head():  # at the newest schema there is nothing to look up
            from alembic.script import ScriptDirectory

            with ALEMBIC_LOCK:
                known = {s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
            if revision not in known:
                engine.dispose()
                raise ProjectError("E104", path=location, found=revision, known=head_revision())
        if create:
            engine.dispose()
            raise ProjectError("E102", path=location)
    if migrate and revision != plain_head():  # alembic (and its 0.15 s import) only to migrate
        upgrade(engine)
    return engine
