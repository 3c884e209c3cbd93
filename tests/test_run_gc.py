"""A rule run pauses Python's cyclic garbage collector while it codes (`runs._without_gc`, issue 17).

A long-running app process must get its collector back whatever happens to the run: an error,
an interrupt (Ctrl+C is a KeyboardInterrupt, raised wherever the run is), a run started from
inside another run's progress callback, or two runs at once in the app's threads. Each test
checks, through `Project.autocode` on real project files, that the collector was really off
during the run (so the test can tell) and is on again after it.
"""

from __future__ import annotations

import gc
import threading
from pathlib import Path

import pytest

from qualcode import Project
from qualcode.errors import QualcodeError
from tests.run_support import AUTOCODE, imported, rule_codings

V1 = AUTOCODE / "codebook_v1.yaml"


def small(tmp: Path, name: str) -> Project:
    return imported(tmp, name)


@pytest.fixture(autouse=True)
def collector_on():
    """Each test starts with the collector on, and leaves it on for the rest of the suite."""
    gc.enable()
    yield
    gc.enable()


def test_the_collector_is_on_again_after_a_run_that_fails(tmp_path: Path) -> None:
    p = small(tmp_path, "p.qcdb")
    with pytest.raises(QualcodeError, match="E105"):
        p.autocode(V1, transcripts=["no_such_transcript"])
    assert gc.isenabled()
    p.close()


def test_the_collector_is_on_again_after_a_run_interrupted_while_it_codes(tmp_path: Path) -> None:
    p = small(tmp_path, "p.qcdb")
    p.autocode(V1)
    before = rule_codings(p)
    seen: list[bool] = []

    def interrupt(n: int, total: int, _msg: str) -> None:
        seen.append(gc.isenabled())
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        p.autocode(V1, progress=interrupt)
    assert seen == [False]  # the collector was paused while the run coded
    assert gc.isenabled()
    assert rule_codings(p) == before  # and the interrupted run replaced nothing
    p.close()


def test_a_run_inside_a_run_leaves_the_collector_to_the_outer_one(tmp_path: Path) -> None:
    outer, inner = small(tmp_path, "outer.qcdb"), small(tmp_path, "inner.qcdb")
    seen: list[bool] = []

    def start_inner(n: int, total: int, _msg: str) -> None:
        if n == 1:
            inner.autocode(V1)
            seen.append(gc.isenabled())  # back in the outer run, which still codes

    outer.autocode(V1, progress=start_inner)
    assert seen == [False]
    assert gc.isenabled()
    assert rule_codings(inner) == rule_codings(outer) != []
    outer.close()
    inner.close()


def test_two_runs_at_once_in_threads_leave_the_collector_on(tmp_path: Path) -> None:
    projects = [small(tmp_path, f"p{i}.qcdb") for i in range(2)]
    both_running = threading.Barrier(2, timeout=120)  # each run waits in its first progress call
    errors: list[BaseException] = []

    def code(p: Project) -> None:
        def meet(n: int, total: int, _msg: str) -> None:
            if n == 1:
                both_running.wait()

        try:
            p.autocode(V1, progress=meet)
        except BaseException as exc:  # reported below: a thread's error would be lost otherwise
            errors.append(exc)

    threads = [threading.Thread(target=code, args=(p,)) for p in projects]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert gc.isenabled()
    assert rule_codings(projects[0]) == rule_codings(projects[1]) != []
    for p in projects:
        p.close()


def test_a_forked_worker_collects_again() -> None:
    """`--workers` forks its pool inside the paused run: each worker's initializer turns the
    collector back on, or a worker would code its whole share with no cyclic collection."""
    from qualcode import load_codebook
    from qualcode.runs import _worker_init

    gc.disable()
    _worker_init(load_codebook(V1), ["en"])
    assert gc.isenabled()
