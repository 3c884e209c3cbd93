"""PostgreSQL as a project store: connecting, waiting for a server that is down, and numbered errors.

SQLite is one file that is there or not; a PostgreSQL project is a server that can be unreachable,
refuse a password, lack the database, or restart in the middle of a session. Each of these becomes
a numbered message (E110-E114) that names the URL without its password, never a driver traceback.

A server that does not answer is waited for: every new connection is tried CONNECT_TRIES times,
saying so each time, before E110. Connections are checked before use (`pool_pre_ping`), so after
a restart the next action reconnects instead of failing on a dead connection. A transaction cut
by the server going away is rolled back by PostgreSQL as a whole, so an action either stored all
of its rows or none: E113 says which (none) and that the action can simply be done again.
"""

from __future__ import annotations

import re
import select
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, DisconnectionError

from qualcode.errors import ProjectError

# How long a new connection waits for a server that is down or restarting: 1+2+4+4+4 s between tries.
CONNECT_TRIES = 6
CONNECT_PAUSE = (1.0, 2.0, 4.0, 4.0, 4.0)

# SQLSTATE classes and codes (PostgreSQL, appendix A).
_AUTH = {"28P01", "28000"}  # invalid password, invalid authorisation (no pg_hba entry)
_NO_DATABASE = "3D000"
_CONFLICT = {"40P01", "40001"}  # deadlock detected, serialisation failure: the transaction was undone


def _stderr(message: str) -> None:
    import sys

    print(message, file=sys.stderr, flush=True)


# Where "waiting for the server" messages go (the CLI's stderr by default; the browser may set its own).
progress: Callable[[str], None] = _stderr


def shown(url: str) -> str:
    """The URL without its password, for every message and log line."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):  # e.g. a port that is not a number: hide the password by hand
        return re.sub(r"(://[^/:@]*):[^@/]*@", r"\1:***@", url)


def _where(url: str) -> str:
    parsed = make_url(url)
    host = parsed.host or parsed.query.get("host") or "the local socket"
    if isinstance(host, tuple):
        host = ",".join(host)
    return f"{host}:{parsed.port or 5432}"


def _reason(exc: BaseException) -> str:
    """The driver's first line, without anything that could be a password (libpq never echoes one)."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _kind(exc: BaseException) -> str:
    """'auth', 'database' or 'unreachable'. libpq gives no SQLSTATE for a refused connection (psycopg's
    sqlstate is None), only the server's FATAL line, so that line is read as well as the code."""
    state = getattr(exc, "sqlstate", None)
    text = str(exc).lower()
    if state in _AUTH or "authentication failed" in text or "pg_hba.conf" in text or \
            ("role" in text and "does not exist" in text) or "password" in text:
        return "auth"
    if state == _NO_DATABASE or ("database" in text and "does not exist" in text):
        return "database"
    if "resolve host" in text or "translate host name" in text:
        return "host"  # a misspelt host name: waiting would not help
    return "unreachable"  # refused, no socket, timed out, starting up or shutting down


def _unreachable(exc: BaseException) -> bool:
    return _kind(exc) == "unreachable"


def connect_error(url: str, exc: BaseException, tries: int = CONNECT_TRIES) -> ProjectError:
    """The numbered error for a connection that could not be made."""
    kind = _kind(exc)
    parsed = make_url(url)
    if kind == "auth":
        return ProjectError("E111", url=shown(url), user=parsed.username or "(the system user)", reason=_reason(exc))
    if kind == "database":
        return ProjectError("E112", url=shown(url), database=parsed.database or "?", where=_where(url))
    return ProjectError("E110", url=shown(url), where=_where(url), tries=tries, reason=_reason(exc))


def _connect_waiting(url: str) -> Callable[..., Any]:
    def do_connect(dialect: Any, _record: Any, cargs: tuple, cparams: dict) -> Any:
        for attempt in range(1, CONNECT_TRIES + 1):
            try:
                return dialect.loaded_dbapi.connect(*cargs, **cparams)
            except dialect.loaded_dbapi.OperationalError as exc:
                if not _unreachable(exc) or attempt == CONNECT_TRIES:
                    raise connect_error(url, exc, attempt) from None
                pause = CONNECT_PAUSE[min(attempt, len(CONNECT_PAUSE)) - 1]
                progress(f"PostgreSQL at {_where(url)} is not answering ({_reason(exc)}); trying again in "
                         f"{pause:g} s ({attempt + 1} of {CONNECT_TRIES})...")
                time.sleep(pause)
        raise AssertionError("unreachable")
    return do_connect


def _translate(url: str) -> Callable[[Any], Any]:
    def handle_error(context: Any) -> Any:
        original = context.original_exception
        if isinstance(original, ProjectError):
            return original
        state = getattr(original, "sqlstate", None)
        if context.is_disconnect or state in {"57P01", "57P02", "57P03"}:
            return ProjectError("E113", url=shown(url), where=_where(url), reason=_reason(original))
        if state in _CONFLICT:
            return ProjectError("E114", url=shown(url), reason=_reason(original))
        return None  # anything else is a bug or a constraint: SQLAlchemy's own error
    return handle_error


def engine_options() -> dict[str, Any]:
    """create_engine keywords for a PostgreSQL project."""
    # No pool_pre_ping: its SELECT per checkout is a round trip on every action (the workbench
    # checks out three connections per coding); `_alive` below finds dropped connections for free.
    return {"pool_pre_ping": False}


def _alive(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Refuse a pooled connection the server has dropped (restart, idle timeout, terminated).

    An idle connection receives nothing, so a readable socket means the server has said goodbye
    (its FATAL message, or end of file). Asking the socket costs no round trip, unlike a ping.
    DisconnectionError makes the pool replace the connection (and so wait for the server).
    """
    gone = "PostgreSQL closed this pooled connection while it was idle"
    if dbapi_connection.closed:
        raise DisconnectionError(gone)
    try:
        readable = select.select([dbapi_connection.fileno()], [], [], 0)[0]
    except (OSError, ValueError) as exc:
        raise DisconnectionError(gone) from exc
    if readable:
        raise DisconnectionError(gone)


def install(engine: Engine, url: str) -> None:
    """Wait for an unreachable server on connect, and number the errors (see the module doc)."""
    event.listen(engine, "do_connect", _connect_waiting(url))
    event.listen(engine, "checkout", _alive)
    event.listen(engine, "handle_error", _translate(url))
