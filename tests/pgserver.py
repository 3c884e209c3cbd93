"""A PostgreSQL server for the tests: CI's ($QUALCODE_TEST_PG) or a throwaway cluster of our own.

The throwaway cluster lives in a temporary folder (data and unix socket, no TCP port), is
initialised with trust authentication for the local socket only, and runs as the `postgres`
user through runuser when we are root (PostgreSQL refuses to run as root). It is stopped and
deleted when the test session ends.

Each test gets its own database made with `CREATE DATABASE ... TEMPLATE`, a file copy of a
database prepared once per session (empty, or migrated, or holding the sample project), which
is much faster than running the migrations or building the sample again for every test.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

BINARIES = [Path("/usr/lib/postgresql") / v / "bin" for v in ("17", "16", "15", "14", "13")]
DRIVER = "postgresql+psycopg"
PASSWORD_ROLE = "qc_password_user"  # the throwaway cluster asks this role for its password


def find_binaries() -> Path | None:
    for folder in [Path(p).parent for p in filter(None, [shutil.which("initdb")])] + BINARIES:
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    return None


def _as_postgres(args: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *args]
    return args


def _sweep(binaries: Path) -> None:
    """Stop and delete throwaway clusters whose test session died without cleaning up (killed)."""
    for root in Path(tempfile.gettempdir()).glob("qualcode-pg-*"):
        try:
            owner = int((root / "owner").read_text())
            os.kill(owner, 0)
            continue  # its session still runs
        except ProcessLookupError:
            pass
        except (OSError, ValueError):
            continue  # not ours to judge (no owner file yet, or not readable)
        if (root / "data").exists():
            subprocess.run(_as_postgres([str(binaries / "pg_ctl"), "-D", str(root / "data"), "-m", "immediate",
                                         "stop"]), capture_output=True, timeout=60)
        shutil.rmtree(root, ignore_errors=True)


class Cluster:
    """A throwaway cluster: `start()`, then `url(db)`; `stop()` / `start()` to simulate an outage."""

    def __init__(self, binaries: Path) -> None:
        self.bin = binaries
        _sweep(binaries)
        self.root = Path(tempfile.mkdtemp(prefix="qualcode-pg-"))
        (self.root / "owner").write_text(str(os.getpid()))
        self.data = self.root / "data"
        self.user = "postgres" if os.geteuid() == 0 else os.environ.get("USER", "postgres")
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        self.root.chmod(0o755)
        subprocess.run(_as_postgres([str(self.bin / "initdb"), "-D", str(self.data), "-U", self.user,
                                     "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C.UTF-8"]),
                       check=True, capture_output=True)
        # One role must give a password (the bad-password test); everyone else is trusted on our socket.
        (self.data / "pg_hba.conf").write_text(f"local all {PASSWORD_ROLE} scram-sha-256\nlocal all all trust\n")

    def _ctl(self, *args: str) -> None:
        subprocess.run(_as_postgres([str(self.bin / "pg_ctl"), "-D", str(self.data), "-w", *args]),
                       check=True, capture_output=True, timeout=60)

    def start(self) -> None:
        # No TCP listener (unix socket in our folder only). fsync off: the cluster need not survive a
        # machine crash, only a server crash (the outage tests kill it), which the OS cache survives.
        # synchronous_commit stays on: off, a commit could be lost with the killed server.
        options = f"-c listen_addresses='' -c unix_socket_directories='{self.root}' -c fsync=off " \
                  "-c full_page_writes=off -c max_connections=200"
        self._ctl("-o", options, "-l", str(self.root / "log"), "start")

    def stop(self, mode: str = "fast") -> None:
        self._ctl("-m", mode, "stop")

    def url(self, database: str = "postgres") -> str:
        return f"{DRIVER}://{self.user}@/{database}?host={self.root}"

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.SubprocessError):
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


def admin_dsn(url: str) -> str:
    """A libpq connection string for psycopg from a SQLAlchemy URL (driver part dropped)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class Databases:
    """Makes and drops databases on one server, each from a template."""

    def __init__(self, server_url: str) -> None:
        self.server_url = server_url
        self.names = (f"qc_test_{os.getpid()}_{i}" for i in itertools.count())
        self.made: list[str] = []

    def url(self, database: str) -> str:
        return make_url(self.server_url).set(database=database).render_as_string(hide_password=False)

    def _run(self, sql: str) -> None:
        with psycopg.connect(admin_dsn(self.server_url), autocommit=True) as conn:
            conn.execute(sql)

    def create(self, template: str = "template0", name: str | None = None) -> str:
        name = name or next(self.names)
        self._run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        # FILE_COPY: our templates are small, and a file copy is faster than WAL-logging each block.
        self._run(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY')
        self.made.append(name)
        return self.url(name)

    def drop(self, name: str) -> None:
        # A connection caught mid-authentication has no role yet: a role without
        # pg_signal_backend may not end it, and a moment later it may. Try a few times.
        for attempt in range(5):
            try:
                self._run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                return
            except (psycopg.errors.InsufficientPrivilege, psycopg.errors.ObjectInUse):
                if attempt == 4:
                    raise
                time.sleep(0.2 * (attempt + 1))

    def drop_all(self) -> None:
        for name in reversed(self.made):
            with contextlib.suppress(psycopg.Error):
                self.drop(name)
        self.made.clear()


def unreachable(url: str) -> str:
    """Why the server at `url` cannot be used (it must let us create databases), or ''."""
    try:
        with psycopg.connect(admin_dsn(url), connect_timeout=10, autocommit=True) as conn:
            row = conn.execute("SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()
            if not (row and row[0]):
                return f"the role of {make_url(url).render_as_string(hide_password=True)} may not create databases"
    except psycopg.Error as exc:
        shown = make_url(url).render_as_string(hide_password=True)
        return f"PostgreSQL at {shown} (QUALCODE_TEST_PG) cannot be used: {str(exc).splitlines()[0]}"
    return ""


def own_cluster() -> tuple[Cluster | None, str]:
    """A started throwaway cluster even when CI gives a server (outage tests stop it), or why not."""
    binaries = find_binaries()
    if binaries is None:
        return None, "no PostgreSQL binaries (initdb) to start a throwaway cluster: apt-get install postgresql"
    try:
        cluster = Cluster(binaries)
        cluster.start()
    except (subprocess.SubprocessError, OSError, LookupError) as exc:
        return None, f"could not start a throwaway PostgreSQL cluster with {binaries}: {exc}"
    return cluster, ""


@contextlib.contextmanager
def server() -> Iterator[tuple[str | None, str, Cluster | None]]:
    """(server URL or None, why not, our cluster or None). CI's server first, then our own."""
    given = os.environ.get("QUALCODE_TEST_PG")
    if given:
        yield given, "", None
        return
    binaries = find_binaries()
    if binaries is None:
        yield None, "no PostgreSQL server: set QUALCODE_TEST_PG, or install postgresql (initdb not found)", None
        return
    try:
        cluster = Cluster(binaries)
        cluster.start()
    except (subprocess.SubprocessError, OSError, LookupError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        yield None, f"could not start a throwaway PostgreSQL cluster with {binaries}: {exc} {detail!r}", None
        return
    try:
        yield cluster.url(), "", cluster
    finally:
        cluster.destroy()
