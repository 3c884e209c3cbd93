"""Several coders at once on PostgreSQL (issue 16): five processes each add 1,000 codings through the
`Project` API while a sixth re-codes the project again and again, alternating two codebooks (so
each re-code deletes and inserts rule codings). Every coding must be there afterwards, the rule
codings must be exactly the last re-code's, and no process may have seen any error. The corpus
is the small one of tests/data/autocode, so the re-codes are quick and many."""

from __future__ import annotations

import multiprocessing as mp
import traceback
from pathlib import Path

from qualcode import Project

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "data" / "autocode"
BOOKS = [CORPUS / "codebook_v1.yaml", CORPUS / "codebook_v2.yaml"]
WRITERS, EACH = 5, 1000


def _coded(location: object) -> None:
    with Project.create(location) as p:
        assert p.import_files(sorted(CORPUS.glob("*.txt"))).ok
        for book in BOOKS:  # both codebooks' codes exist; the analysis is cached, as in real use
            p.autocode(book)


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
            for turn in range(10_000):  # re-code for as long as the writers write (at least twice)
                run = p.autocode(BOOKS[turn % 2])
                runs.put((run.id, sum(run.counts.values())))
                if stop.is_set() and turn >= 1:
                    break
    except BaseException:
        errors.put(f"re-coder: {traceback.format_exc()}")


def test_five_writers_and_a_recode_lose_nothing(pg_databases, _store_templates, tmp_path: Path) -> None:
    from tests.conftest import Store

    url = Store("postgresql", tmp_path, _store_templates, pg_databases).copy("concurrency", _coded)
    with Project.open(url) as p:
        turns = p.turns()
        codes = list(p.codes()["code"])
    # Each writer codes its own spans: turn by turn, a code and a start that differ per writer and step.
    spans = [(t.transcript, t.start, t.end) for t in turns.itertuples() if t.end - t.start > 10 + WRITERS]
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
        # The re-codes replaced rule codings only: those of the last run, as many as it made.
        rules = p.codings(origin="rule")
        last, made = run_ids[-1]
        assert len(run_ids) >= 2 and set(rules["run"]) == {last} and len(rules) == made
