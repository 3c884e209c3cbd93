"""Projects created and opened from several threads at once (the browser app serves sessions on
threads): alembic's module-level context must not be shared mid-migration (store.database's lock)."""

from __future__ import annotations

import threading
from pathlib import Path

from qualcode import Project
from qualcode.store import current_revision, head_revision, open_engine, upgrade
from qualcode.store.database import make_engine


def _all_at_once(work, args: list[Path]) -> list[str]:
    errors: list[str] = []
    start = threading.Barrier(len(args))

    def run(path: Path) -> None:
        start.wait()
        try:
            work(path)
        except Exception as exc:  # every failure is reported by the assertion
            errors.append(f"{path.name}: {exc!r}")

    threads = [threading.Thread(target=run, args=(p,)) for p in args]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_threads_create_projects_at_once(tmp_path: Path) -> None:
    paths = [tmp_path / f"p{r}_{i}.qcdb" for r in range(3) for i in range(4)]
    for r in range(3):
        assert _all_at_once(lambda p: Project.create(p).close(), paths[r * 4:(r + 1) * 4]) == []
    for path in paths:
        with Project.open(path) as project:
            assert project.schema_revision == head_revision()


def test_threads_migrate_older_projects_at_once(tmp_path: Path) -> None:
    paths = [tmp_path / f"old{i}.qcdb" for i in range(4)]
    for path in paths:  # each at the first schema, so opening runs every migration
        engine = make_engine(path)
        upgrade(engine, "0001")
        engine.dispose()
    assert _all_at_once(lambda p: open_engine(p, create=False).dispose(), paths) == []
    for path in paths:
        engine = make_engine(path)
        assert current_revision(engine) == head_revision()
        engine.dispose()
