"""A rule run over a project: analyse (or reuse cached analyses), match, and replace the
previous rule codings in one transaction.

Human codings (origin manual, import, model) are never touched. A reviewer's accept
or reject of a rule coding is carried over when the run proposes the same coding
again (same transcript, code and span).
"""

from __future__ import annotations

import functools
import gc
import os
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from operator import itemgetter

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from qualcode import audit
from qualcode.autocode import MATCHER_VERSION, Matcher, Proposed, TurnSpan, compile_rules
from qualcode.codebook import Codebook
from qualcode.errors import QualcodeError
from qualcode.match_cache import MEMO, dump_matches, load_matches
from qualcode.model import Run
from qualcode.nlp import Analysis, analysis_key
from qualcode.store import coding_queries as cq
from qualcode.store import queries
from qualcode.store.schema import codes, nlp_cache

Progress = Callable[[int, int, str], None]

# The columns of a new rule coding's row, as `autocode` writes them (plain tuples: dict rows cost
# twice as much to insert, issue 17); coder_id is left NULL.
_NEW_CODING = ("transcript_id", "code_id", "start_offset", "end_offset", "origin", "rule_id", "status", "run_id",
               "created_at", "updated_at", "match_start", "match_end", "reviewer_id", "reviewed_at")

# A fault-injection hook for the atomicity test: after the old codings are deleted and
# the new ones written, wait this many seconds *inside* the transaction, so a test can
# kill the process there and check that nothing was lost.
STALL_ENV = "QUALCODE_TEST_STALL_IN_RECODE"

# Worker processes (--workers N) and a Dask cluster pay only from a corpus size on: each worker
# starts Python, loads spaCy, the lemmatisers and the rules (about 2 s), and texts and analyses
# cross process boundaries. Below these many words still to analyse, a run codes in this
# process and says so in its warnings. Measured with benchmarks/workers_threshold.py
# (BENCHMARKS.md, "Workers"): on 2 cores, --workers 2 was 0.96x one process at 250,000 words,
# 1.36x at 500,000 and 1.05x at 1,000,000; a local 2-process Dask cluster was slower at every
# size up to 1,000,000 (0.46-0.81x), so a cluster is offered only for corpora far larger than
# that (not measured: a real cluster has more cores than this machine).
POOL_MIN_WORDS = 500_000
DASK_MIN_WORDS = 5_000_000
# How many worker pools and cluster runs this process started (what the fallback test counts).
STARTED = {"pool": 0, "dask": 0}


def _without_gc(fn: Callable) -> Callable:
    """Python's cyclic garbage collector paused while a run codes (turned on again after, if it
    was on). A run allocates many small objects (rule matches, rows), and each full collection
    walks every object alive, including the analyses and matches this process keeps
    (`match_cache.MEMO`): on a re-code of 150,000 words that was a third of its CPU time, every
    other run (BENCHMARKS.md, issue 17). Matching makes no reference cycles worth waiting for."""

    @functools.wraps(fn)
    def run(*args, **kwargs):
        was = gc.isenabled()
        gc.disable()
        try:
            return fn(*args, **kwargs)
        finally:
            if was:
                gc.enable()

    return run


@_without_gc
def autocode(
    engine: Engine,
    book: Codebook,
    *,
    transcripts: Sequence[str] | None = None,
    accept: bool | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
    workers: int | None = None,
    scheduler: object | None = None,
) -> Run:
    """Apply a codebook's rules to all current transcripts (or the ones named).

    Analysis and matching run in this process, in a local pool of `workers` processes, or
    on a Dask cluster (`scheduler`: its address, or a `distributed.Client`). The codings
    are the same in all three; only this process writes to the project.
    """
    t0 = time.perf_counter()
    started = queries.now()
    with engine.connect() as conn:
        rows = cq.current_transcripts(conn, transcripts)
        if transcripts is not None:
            found = {r.name for r in rows}
            missing = [n for n in transcripts if n not in found]
            if missing:
                known = ", ".join(r.name for r in cq.current_transcripts(conn)) or "(none)"
                raise QualcodeError("E105", name=missing[0], known=known)
        turns_of = cq.turn_tuples(conn, [r.id for r in rows])
        info = queries.get_info(conn)
    status = "accepted" if accept or (accept is None and info.get("autocode_status") == "accepted") else "suggested"

    langs = sorted({r.language for r in rows})
    matchers = compile_rules(book, [lang for lang in langs if lang in book.languages])
    run = Run(id=None, codebook_name=book.name, codebook_version=book.version, codebook_sha256=book.sha256,
              pipeline_versions={lang: m.nlp.version for lang, m in matchers.items()}, status="running",
              transcripts=[r.name for r in rows if r.language in matchers], counts={}, dry_run=dry_run,
              coding_status=status)
    uncovered = [r.name for r in rows if r.language not in matchers]
    if uncovered:
        for lang in sorted({r.language for r in rows if r.language not in matchers}):
            names = ", ".join(r.name for r in rows if r.language == lang)
            run.warnings.append(str(QualcodeError("E616", lang=lang, names=names)))

    # 1. Analyses: from the cache where the text and turns are unchanged. What the project holds
    # is listed first (keys and sizes only); its bytes are read only where this process has no
    # copy (`match_cache.MEMO`) or the run goes to workers.
    keys = {r.id: _analysis_key(r.text, turns_of[r.id]) for r in rows}
    todo = [r for r in rows if r.language in matchers]
    with engine.connect() as conn:
        have: dict[str, int] = {}
        have_matches: dict[str, int] = {}
        for lang, m in matchers.items():
            lang_keys = [keys[r.id] for r in todo if r.language == lang]
            have.update(_stored_sizes(conn, "analysis", lang_keys, m.nlp.version))
            have_matches.update(_stored_sizes(conn, "matches", lang_keys, _match_version(m)))
            if len(m.nlp.cache) < 10:  # a warm pipeline skips reading the lemma cache (megabytes)
                lemmas = cq.cached(conn, "lemmas", [lang], m.nlp.version)
                if lang in lemmas:
                    m.nlp.load_cache(lemmas[lang])
        fresh_words = sum(r.word_count for r in todo if keys[r.id] not in have)
        where, why = plan(fresh_words, workers, scheduler, len(todo))
        stored: dict[str, bytes] = {}
        stored_matches: dict[str, bytes] = {}
        for lang, m in matchers.items():
            version, mversion = m.nlp.version, _match_version(m)
            lang_keys = [keys[r.id] for r in todo if r.language == lang and keys[r.id] in have]
            if where == "process":
                need = [k for k in lang_keys if MEMO.analysis(version, k) is None]
                need_matches = [k for k in lang_keys if k in have_matches and MEMO.matches.get((mversion, k)) is None]
            else:
                need, need_matches = lang_keys, [k for k in lang_keys if k in have_matches]
            stored.update(cq.cached(conn, "analysis", need, version))
            stored_matches.update(cq.cached(conn, "matches", need_matches, mversion))
    t_setup = time.perf_counter()

    proposed: dict[int, list[Proposed]] = {}
    new_analyses: dict[str, dict[str, bytes]] = defaultdict(dict)
    new_matches: dict[str, dict[str, bytes]] = defaultdict(dict)
    items = [(r.id, r.language, r.text, turns_of[r.id], keys[r.id], stored.get(keys[r.id]),
              stored_matches.get(keys[r.id])) for r in todo]
    if why:
        run.warnings.append(why)
    if where == "dask":
        results = _on_dask(book, items, scheduler, progress)
    elif where == "pool":
        results = _in_pool(book, items, workers or 1, progress)
    else:
        results = _in_process(matchers, items, progress, have, have_matches)
    for (tid, lang, _text, _spans, key, _blob, _mblob), (codings, blob, mblob) in zip(items, results, strict=True):
        proposed[tid] = codings
        if blob is not None:
            new_analyses[matchers[lang].nlp.version][key] = blob
            run.analysed += 1
        else:
            run.cached += 1
        if mblob is not None:
            new_matches[_match_version(matchers[lang])][key] = mblob
    run.words = sum(r.word_count for r in todo)
    t_match = time.perf_counter()

    # 2. Replace the previous rule codings in one transaction.
    # Only transcripts the codebook can code are replaced: the others keep their codings.
    names = {r.id: r.name for r in rows if r.language in matchers}
    with engine.begin() as conn:
        old = cq.rule_codings(conn, list(names))
        # (transcript_id, path, start_offset, end_offset) of each, by position: C-level, not per attribute
        old_keys = dict(zip(map(itemgetter(1, 2, 3, 4), old), old, strict=True))
        new_keys = {(tid, p.code, p.start, p.end) for tid, ps in proposed.items() for p in ps}
        for tid, path, s, e in sorted(new_keys - set(old_keys)):
            run.added.setdefault(path, []).append((names[tid], s, e))
        for tid, path, s, e in sorted(set(old_keys) - new_keys):
            run.removed.setdefault(path, []).append((names[tid], s, e))
        run.counts = dict(sorted(Counter(p.code for ps in proposed.values() for p in ps).items()))
        if dry_run:  # nothing has been written in this transaction
            run.status = "dry-run"
            run.timings = _timings(t0, t_setup, t_match, time.perf_counter())
            return run

        code_ids = _unchanged_codes(conn, book) or cq.sync_codes(conn, book)
        run.id = cq.insert_run(conn, kind="rule", codebook_name=book.name, codebook_version=book.version,
                               codebook_sha256=book.sha256,
                               pipeline_version=";".join(f"{k}={v}" for k, v in run.pipeline_versions.items()),
                               params=_params(book, transcripts, status), status="running", started_at=started)
        # Write only the difference: codings the run no longer proposes go, new ones come,
        # and the ones it proposes again stay (with their review) and move to this run.
        # On a re-code after a small codebook edit that is a few rows, not the whole table.
        cq.delete_codings(conn, [o.id for key, o in old_keys.items() if key not in new_keys])
        stamp = queries.now()
        rows_out, changed = [], []
        decisions = cq.review_decisions(conn, list(names))
        compared = itemgetter(6, 7, 8, 5)  # rule_id, match_start, match_end, status of a `rule_codings` row
        for tid in sorted(proposed):
            for p in proposed[tid]:
                key = (tid, p.code, p.start, p.end)
                prior = old_keys.get(key)
                # A reviewer's decision on this span applies, even if the coding was dropped
                # by some run in between and now comes back.
                decision = decisions.get(key)
                if decision is not None:
                    run.carried_over += 1
                    new_status = decision.status
                else:
                    new_status = status
                if prior is None:  # in the order of _NEW_CODING
                    rows_out.append((tid, code_ids[p.code], p.start, p.end, "rule", p.rule, new_status, run.id,
                                     stamp, stamp, p.match_start, p.match_end,
                                     decision.reviewer_id if decision is not None else None,
                                     decision.reviewed_at if decision is not None else None))
                elif compared(prior) != (p.rule, p.match_start, p.match_end, new_status):
                    changed.append(dict(_id=prior.id, rule_id=p.rule, match_start=p.match_start,
                                        match_end=p.match_end, status=new_status, updated_at=stamp))
        cq.update_codings(conn, changed)
        cq.move_rule_codings_to_run(conn, list(names), run.id)
        cq.insert_coding_tuples(conn, _NEW_CODING, rows_out)
        for version, blobs in new_analyses.items():
            cq.put_cache(conn, "analysis", blobs, version)
        for version, blobs in new_matches.items():
            cq.put_cache(conn, "matches", blobs, version)
        for lang, m in matchers.items():
            if m.nlp.new_forms:
                cq.put_cache(conn, "lemmas", {lang: m.nlp.dump_cache()}, m.nlp.version)
                m.nlp.new_forms = 0
        stall = os.environ.get(STALL_ENV)
        if stall:
            print(f"qualcode: stalling {stall}s inside the re-code transaction (test hook)", file=sys.stderr,
                  flush=True)
            time.sleep(float(stall))
        run.status = "finished"
        run.timings = _timings(t0, t_setup, t_match, time.perf_counter())
        audit.record_run(conn, run)  # in this transaction: the log has the re-code exactly when it happened
        cq.finish_run(conn, run.id, "finished", {
            "counts": run.counts, "transcripts": len(names), "analysed": run.analysed, "cached": run.cached,
            "words": run.words, "carried_over": run.carried_over, "warnings": run.warnings,
            "added": sum(len(v) for v in run.added.values()), "removed": sum(len(v) for v in run.removed.values()),
        })
    return run


def plan(fresh_words: int, workers: int | None, scheduler: object | None, n_items: int) -> tuple[str, str | None]:
    """Where a run codes: "dask", "pool" or "process", and why not where it was asked to, if so.

    `fresh_words`: the words of the transcripts that have no cached analysis (cached ones only
    match, at millions of words per second, which no pool start-up can beat)."""
    if scheduler is not None:
        if fresh_words >= DASK_MIN_WORDS and n_items > 1:
            return "dask", None
        return "process", (f"--scheduler: {fresh_words:,} words to analyse, below the {DASK_MIN_WORDS:,} from which "
                           "a cluster is faster than one process (BENCHMARKS.md, Workers); coded in this process.")
    if workers and workers > 1:
        if fresh_words >= POOL_MIN_WORDS and n_items > 1:
            return "pool", None
        return "process", (f"--workers {workers}: {fresh_words:,} words to analyse, below the {POOL_MIN_WORDS:,} "
                           "from which worker processes are faster than one (BENCHMARKS.md, Workers); "
                           "coded in this process.")
    return "process", None


def _params(book: Codebook, transcripts: Sequence[str] | None, status: str) -> str:
    import json

    return json.dumps({"codebook_path": book.path, "transcripts": list(transcripts) if transcripts else "all",
                       "status": status}, sort_keys=True)


def _timings(t0: float, t_setup: float, t_match: float, t_end: float) -> dict[str, float]:
    return {"setup": t_setup - t0, "analyse_and_match": t_match - t_setup, "write": t_end - t_match,
            "total": t_end - t0}


def _match_version(matcher: Matcher) -> str:
    return f"{matcher.nlp.version}|m{MATCHER_VERSION}"


def code_one(matcher: Matcher, text: str, spans: list[tuple[int, str, int, int]], blob: bytes | None,
             match_blob: bytes | None = None) -> tuple[list[Proposed], bytes | None, bytes | None]:
    """Code one transcript. Returns its codings, and its analysis and rule-match cache bytes
    where they are new (None where the project's cache was used unchanged)."""
    if blob is not None:
        analysis = Analysis.from_bytes(blob)
        new_blob = None
    else:
        analysis = matcher.nlp.analyse(text, [(i, s, e) for i, _r, s, e in spans])
        new_blob = analysis.to_bytes()
        match_blob = None  # a new analysis: earlier matches may not fit it
    turns = [TurnSpan(i, r, s, e) for i, r, s, e in spans]
    codings, matches = matcher.propose(analysis, text, turns, load_matches(match_blob))
    return codings, new_blob, (dump_matches(matches) if matches is not None else None)


def _in_process(matchers: dict[str, Matcher], items, progress: Progress | None, have: dict[str, int],
                have_matches: dict[str, int]):
    """Code in this process, with this process's copy of analyses and rule matches (`MEMO`).

    A copy is used whatever the project holds (both are content-addressed); where the project
    lacks it (deleted, a dry run's, another version's), its bytes are written as new."""
    out = []
    for n, (_tid, lang, text, spans, key, blob, match_blob) in enumerate(items, start=1):
        matcher = matchers[lang]
        version, mversion = matcher.nlp.version, _match_version(matcher)
        analysis = MEMO.analysis(version, key)
        new_blob = None
        if analysis is None and blob is not None:
            analysis = Analysis.from_bytes(blob)
        elif analysis is None:
            analysis = matcher.nlp.analyse(text, [(i, s, e) for i, _r, s, e in spans])
        if key not in have:
            new_blob = analysis.to_bytes()
        kept = MEMO.matches.get((mversion, key))
        if kept is not None:
            cached, size = kept
        elif new_blob is None and match_blob is not None:  # a new analysis: earlier matches may not fit it
            cached, size = load_matches(match_blob), len(match_blob)
        else:
            cached, size = None, None
        turns = [TurnSpan(i, r, s, e) for i, r, s, e in spans]
        codings, fresh = matcher.propose(analysis, text, turns, cached)
        new_mblob = None
        if fresh is not None:
            new_mblob = dump_matches(fresh)
        elif cached is not None and have_matches.get(key) != size:
            fresh, new_mblob = cached, dump_matches(cached)  # this process's copy, not in the project
        else:
            fresh = cached
        if new_mblob is not None:
            size = len(new_mblob)
        MEMO.keep(version, key, analysis, mversion, (fresh, size) if fresh is not None else None)
        out.append((codings, new_blob, new_mblob))
        if progress:
            progress(n, len(items), "")
    return out


# Analysis keys this process computed, by text and turn offsets: hashing every transcript's text
# and turns again was a tenth of a re-code's CPU time. Bounded by the characters it holds.
_KEYS: dict[tuple[str, tuple], str] = {}
_KEYS_CHARS = [0]
_KEYS_MAX_CHARS = 50_000_000


def _analysis_key(text: str, turns: list[tuple[int, str, int, int]]) -> str:
    offsets = tuple((i, s, e) for i, _role, s, e in turns)
    key = _KEYS.get((text, offsets))
    if key is None:
        if _KEYS_CHARS[0] + len(text) > _KEYS_MAX_CHARS:
            _KEYS.clear()
            _KEYS_CHARS[0] = 0
        key = _KEYS[(text, offsets)] = analysis_key(text, offsets)
        _KEYS_CHARS[0] += len(text)
    return key


def _unchanged_codes(conn, book: Codebook) -> dict[str, int] | None:
    """The codes' ids when the project already holds every code of the codebook exactly as
    `sync_codes` would write it (a re-code of an unchanged tree: one read, not an update per code)."""
    rows = {r.path: r for r in conn.execute(select(codes.c.id, codes.c.path, codes.c.name, codes.c.description,
                                                   codes.c.color, codes.c.memo, codes.c.sort_order,
                                                   codes.c.parent_id))}
    for order, code in enumerate(book.codes):
        r = rows.get(code.id)
        parent = rows.get(code.parent) if code.parent else None
        if r is None or (code.parent and parent is None) or (r.name, r.description, r.color, r.memo, r.sort_order,
                                                              r.parent_id) != (
                code.name, code.description, code.color, code.memo, order, parent.id if parent else None):
            return None
    return {path: r.id for path, r in rows.items()}


def _stored_sizes(conn, kind: str, keys: list[str], version: str) -> dict[str, int]:
    """The cache rows the project holds for these keys, with the size of each (not its bytes)."""
    out: dict[str, int] = {}
    for i in range(0, len(keys), 900):  # SQLite limits the number of bound parameters
        query = select(nlp_cache.c.key, func.length(nlp_cache.c.data)).where(
            nlp_cache.c.kind == kind, nlp_cache.c.pipeline_version == version, nlp_cache.c.key.in_(keys[i:i + 900]))
        out.update({k: n for k, n in conn.execute(query)})
    return out


# --- a local process pool: each worker builds its pipelines and rules once -------------------

_WORKER: dict[str, Matcher] = {}


def _worker_init(book: Codebook, langs: list[str]) -> None:
    # A forked worker inherits the parent's paused collector (`_without_gc`); a worker codes many
    # transcripts and nothing else, so it collects as usual.
    import gc

    gc.enable()
    _WORKER.clear()
    _WORKER.update(compile_rules(book, langs))  # only the languages of this corpus: each costs a load


def _worker_code(item) -> tuple[list[Proposed], bytes | None, bytes | None]:
    _tid, lang, text, spans, _key, blob, match_blob = item
    return code_one(_WORKER[lang], text, spans, blob, match_blob)


def _in_pool(book: Codebook, items, workers: int, progress: Progress | None):
    # Workers return only codings and analysis bytes, never spaCy Docs: pickling Docs back
    # is what makes nlp.pipe(n_process=2) slower than one process (ARCHITECTURE.md).
    STARTED["pool"] += 1
    out = []
    with ProcessPoolExecutor(max_workers=workers, initializer=_worker_init,
                             initargs=(book, sorted({item[1] for item in items}))) as pool:
        for n, result in enumerate(pool.map(_worker_code, items, chunksize=8), start=1):
            out.append(result)
            if progress:
                progress(n, len(items), "")
    return out


# --- a Dask cluster: each worker compiles the codebook once, and returns only codings ---------

_DASK_BOOKS: dict[str, dict[str, Matcher]] = {}


def _dask_code(book: Codebook, item) -> tuple[list[Proposed], bytes | None, bytes | None]:
    key = f"{book.sha256}:{id(book)}"
    if key not in _DASK_BOOKS:
        _DASK_BOOKS.clear()  # one codebook at a time per worker
        _DASK_BOOKS[key] = compile_rules(book)
    _tid, lang, text, spans, _key, blob, match_blob = item
    return code_one(_DASK_BOOKS[key][lang], text, spans, blob, match_blob)


def _on_dask(book: Codebook, items, scheduler: object, progress: Progress | None):
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise QualcodeError("E710") from None
    STARTED["dask"] += 1
    own = not isinstance(scheduler, Client)
    try:
        client = Client(scheduler, timeout="10s") if own else scheduler
    except (OSError, TimeoutError, ValueError) as exc:
        raise QualcodeError("E711", address=scheduler, reason=f"{type(exc).__name__}: {exc}") from None
    try:
        [book_future] = client.scatter([book], broadcast=True)
        futures = [client.submit(_dask_code, book_future, item, pure=False) for item in items]
        index = {f.key: i for i, f in enumerate(futures)}
        out: list = [None] * len(futures)
        for n, future in enumerate(as_completed(futures), start=1):
            out[index[future.key]] = future.result()
            if progress:
                progress(n, len(items), "")
        return out
    finally:
        if own:
            client.close()
