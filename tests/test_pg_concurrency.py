"""Several coders at once on PostgreSQL (issue 16): five processes each add 1,000 codings through the
`Project` API while a sixth re-codes the project with its codebook. Every coding must be there
afterwards, and no process may have seen a raw database error (only numbered ones would be
acceptable, and none is expected)."""

from __future__ import annotations

import multiprocessing as mp
import traceback
from pathlib import Path

from qualcode import Project

ROOT = Path(__file__).resolve().parent.parent
CODEBOOK = ROOT / "codebooks" / "migration.yaml"
WRITERS, EACH = 5, 1000


def _coded_sample(location: object) -> None:
    from tests.conftest import _build_sample

    _build_sample(location)
    with Project.open(location) as p:
        p.autocode(CODEBOOK)  # the re-code below then reuses the stored analysis, as in real use


def _writer(url: str, number: int, plan: list[tuple[str, str, int, int]], errors: mp.Queue) -> None:
    try:
        with Project.open(url) as p:
            for transcript, code, start, end in plan:
                p.add_coding(transcript, code, start, end, coder=f"coder{number}")
    except BaseException:  # any failure is the test's finding, reported to the parent
        errors.put(f"writer {number}: {traceback.format_exc()}")


def _recoder(url: str, stop: mp.Event, errors: mp.Queue, runs: mp.Queue) -> None:
    try:
        with Project.open(url) as p:
            while True:  # re-code for as long as the writers write (at least once)
                runs.put(p.autocode(CODEBOOK).id)
                if stop.is_set():
                    break
    except BaseException:
        errors.put(f"re-coder: {traceback.format_exc()}")


def test_five_writers_and_a_recode_lose_nothing(pg_databases, _store_templates, tmp_path: Path) -> None:
    from tests.conftest import Store

    url = Store("postgresql", tmp_path, _store_templates, pg_databases).copy("coded_sample", _coded_sample)
    with Project.open(url) as p:
        turns = p.turns()
        codes = list(p.codes()["code"])
        before = len(p.codings())
    # Each writer codes its own spans: turn by turn, a code and a start that differ per writer and step.
    spans = [(t.transcript, t.start, t.end) for t in turns.itertuples() if t.end - t.start > 10]
    plans = [[(tr, codes[(w + i) % len(codes)], s + w, s + w + 5) for i, (tr, s, _e) in
              enumerate(spans[j % len(spans)] for j in range(w * EACH, (w + 1) * EACH))] for w in range(WRITERS)]
    ctx = mp.get_context("fork")  # a fresh Project in each child; the parent holds no connection now
    errors, runs, stop = ctx.Queue(), ctx.Queue(), ctx.Event()
    recoder = ctx.Process(target=_recoder, args=(url, stop, errors, runs))
    writers = [ctx.Process(target=_writer, args=(url, w, plans[w], errors)) for w in range(WRITERS)]
    recoder.start()
    for w in writers:
        w.start()
    for w in writers:
        w.join(240)
    stop.set()
    recoder.join(240)
    found = []
    while not errors.empty():
        found.append(errors.get())
    assert not found, "\n".join(found)
    assert [w.exitcode for w in writers] + [recoder.exitcode] == [0] * (WRITERS + 1)
    run_ids = []
    while not runs.empty():
        run_ids.append(runs.get())
    assert run_ids, "the re-code never finished"

    with Project.open(url) as p:
        manual = p.codings(origin="manual")
        assert len(manual) == WRITERS * EACH
        for w in range(WRITERS):
            mine = manual[manual["coder"] == f"coder{w}"]
            assert sorted(zip(mine["transcript"], mine["code"], mine["start"], mine["end"], strict=True)) == \
                sorted(plans[w])
        # The re-code replaced rule codings only: as many as before, all from its last run.
        rules = p.codings(origin="rule")
        assert len(rules) == before
        assert set(rules["run"]) == {run_ids[-1]}
