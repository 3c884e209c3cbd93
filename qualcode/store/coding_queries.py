"""Reads and writes of codes, codings, runs and the NLP cache.

Like `queries`, every function takes an open Connection: the caller owns the
transaction, so a re-code's delete-and-insert is one unit.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from sqlalchemy import Connection, bindparam, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from qualcode.store.queries import now
from qualcode.store.schema import cases, coders, codes, codings, nlp_cache, reviews, runs, transcripts, turns

if TYPE_CHECKING:  # `qualcode codings` lists rows without pandas (issue 17: 0.3 s of its start-up)
    import pandas as pd

    from qualcode.codebook import Codebook

CODING_COLUMNS = ["transcript", "case", "code", "start", "end", "text", "speaker", "role", "coder", "origin",
                  "rule", "status", "confidence", "run"]


def ensure_coder(conn: Connection, name: str) -> int:
    found = conn.execute(select(coders.c.id).where(coders.c.name == name)).scalar()
    if found is not None:
        return found
    if conn.dialect.name in ("sqlite", "postgresql"):
        # Two coders' first codings at once (PostgreSQL writes in parallel) would both insert the
        # name: the loser's unique violation would fail its whole transaction. ON CONFLICT makes
        # it wait for the winner and then read the winner's row instead.
        module = sqlite if conn.dialect.name == "sqlite" else postgresql
        conn.execute(module.insert(coders).values(name=name, created_at=now())
                     .on_conflict_do_nothing(index_elements=["name"]))
        return conn.execute(select(coders.c.id).where(coders.c.name == name)).scalar_one()
    return conn.execute(insert(coders).values(name=name, created_at=now())).inserted_primary_key[0]


def code_ids(conn: Connection) -> dict[str, int]:
    return {r.path: r.id for r in conn.execute(select(codes.c.id, codes.c.path))}


def sync_codes(conn: Connection, book: Codebook) -> dict[str, int]:
    """Create or update the codebook's codes (by id path); codes not in it are left alone."""
    existing = code_ids(conn)
    stamp = now()
    for order, code in enumerate(book.codes):
        values = dict(name=code.name, description=code.description, color=code.color, memo=code.memo,
                      sort_order=order, updated_at=stamp)
        if code.id in existing:
            conn.execute(update(codes).where(codes.c.id == existing[code.id]).values(**values))
        else:
            existing[code.id] = conn.execute(
                insert(codes).values(path=code.id, created_at=stamp, **values)
            ).inserted_primary_key[0]
    for code in book.codes:
        parent = existing.get(code.parent) if code.parent else None
        conn.execute(update(codes).where(codes.c.id == existing[code.id]).values(parent_id=parent))
    return existing


def current_transcripts(conn: Connection, names: Sequence[str] | None = None) -> list:
    query = (select(transcripts.c.id, transcripts.c.name, transcripts.c.language, transcripts.c.text,
                    transcripts.c.word_count)
             .where(transcripts.c.is_current.is_(True)).order_by(transcripts.c.name))
    if names is not None:
        query = query.where(transcripts.c.name.in_(list(names)))
    return conn.execute(query).all()


def turn_spans(conn: Connection, transcript_ids: Sequence[int]) -> dict[int, list]:
    out: dict[int, list] = {tid: [] for tid in transcript_ids}
    query = (select(turns.c.transcript_id, turns.c.idx, turns.c.role, turns.c.start_offset, turns.c.end_offset)
             .where(turns.c.transcript_id.in_(list(transcript_ids))).order_by(turns.c.transcript_id, turns.c.idx))
    for r in conn.execute(query).all():
        out[r.transcript_id].append(r)
    return out


def turn_tuples(conn: Connection, transcript_ids: Sequence[int]) -> dict[int, list[tuple[int, str, int, int]]]:
    """Per transcript, its turns as (idx, role, start offset, end offset), in order: what a rule run
    uses, as plain tuples (reading attributes of a row per turn was a part of a re-code's time)."""
    out: dict[int, list[tuple[int, str, int, int]]] = {tid: [] for tid in transcript_ids}
    query = (select(turns.c.transcript_id, turns.c.idx, turns.c.role, turns.c.start_offset, turns.c.end_offset)
             .where(turns.c.transcript_id.in_(list(transcript_ids))).order_by(turns.c.transcript_id, turns.c.idx))
    for tid, idx, role, start, end in conn.execute(query):
        out[tid].append((idx, role, start, end))
    return out


def rule_codings(conn: Connection, transcript_ids: Sequence[int]) -> list:
    """The rule codings that a re-code of these transcripts replaces (the columns it compares:
    reading fewer is a part of a re-code's time, issue 17)."""
    query = (select(codings.c.id, codings.c.transcript_id, codes.c.path, codings.c.start_offset,
                    codings.c.end_offset, codings.c.status, codings.c.rule_id, codings.c.match_start,
                    codings.c.match_end)
             .select_from(codings.join(codes))
             .where(codings.c.origin == "rule", codings.c.transcript_id.in_(list(transcript_ids))))
    return conn.execute(query).all()


def review_decisions(conn: Connection, transcript_ids: Sequence[int]) -> dict[tuple, object]:
    """Every recorded decision on these transcripts, by (transcript id, code path, start, end)."""
    query = (select(reviews.c.transcript_id, codes.c.path, reviews.c.start_offset, reviews.c.end_offset,
                    reviews.c.status, reviews.c.reviewer_id, reviews.c.reviewed_at)
             .select_from(reviews.join(codes)).where(reviews.c.transcript_id.in_(list(transcript_ids))))
    return {(r.transcript_id, r.path, r.start_offset, r.end_offset): r for r in conn.execute(query)}


def record_review(conn: Connection, coding_id: int, status: str, reviewer_id: int) -> bool:
    """Set a coding's status and remember the decision for its span; False if there is no such coding."""
    row = conn.execute(select(codings.c.transcript_id, codings.c.code_id, codings.c.start_offset,
                              codings.c.end_offset).where(codings.c.id == coding_id)).first()
    if row is None:
        return False
    stamp = now()
    conn.execute(update(codings).where(codings.c.id == coding_id).values(
        status=status, reviewer_id=reviewer_id, reviewed_at=stamp, updated_at=stamp))
    key = dict(transcript_id=row.transcript_id, code_id=row.code_id, start_offset=row.start_offset,
               end_offset=row.end_offset)
    conn.execute(delete(reviews).where(*(reviews.c[k] == v for k, v in key.items())))
    conn.execute(insert(reviews).values(**key, status=status, reviewer_id=reviewer_id, reviewed_at=stamp))
    return True


def delete_codings(conn: Connection, ids: Iterable[int]) -> None:
    ids = list(ids)
    for i in range(0, len(ids), 900):  # SQLite limits the number of bound parameters
        conn.execute(delete(codings).where(codings.c.id.in_(ids[i:i + 900])))


def update_codings(conn: Connection, rows: list[dict]) -> None:
    """Update rule, matched words, status and time of codings; each row has `_id`."""
    if rows:
        conn.execute(update(codings).where(codings.c.id == bindparam("_id")).values(
            rule_id=bindparam("rule_id"), match_start=bindparam("match_start"), match_end=bindparam("match_end"),
            status=bindparam("status"), updated_at=bindparam("updated_at")), rows)


def move_rule_codings_to_run(conn: Connection, transcript_ids: Sequence[int], run_id: int) -> None:
    ids = list(transcript_ids)
    for i in range(0, len(ids), 900):
        conn.execute(update(codings).where(codings.c.origin == "rule", codings.c.transcript_id.in_(ids[i:i + 900]))
                     .values(run_id=run_id))


def insert_codings(conn: Connection, rows: list[dict]) -> None:
    if rows:
        conn.execute(insert(codings), rows)


def insert_coding_tuples(conn: Connection, columns: Sequence[str], rows: list[tuple]) -> None:
    """Insert codings given as plain tuples of `columns` (a first coding writes about 20 a 1,000 words).

    On SQLite the rows go to the driver's `executemany` as they are, with each column's values
    bound as SQLAlchemy binds them (its dialect's bind processors, once per distinct value: a
    run's rows share one timestamp): about half the time of dict rows through SQLAlchemy's
    executemany (BENCHMARKS.md, issue 17, first coding). Elsewhere, as dict rows."""
    if not rows:
        return
    if conn.dialect.name != "sqlite":
        conn.execute(insert(codings), [dict(zip(columns, row, strict=True)) for row in rows])
        return
    compiled = insert(codings).compile(dialect=conn.dialect, column_keys=list(columns))
    where = {c: i for i, c in enumerate(columns)}
    values = [list(col) for col in zip(*rows, strict=True)]
    ordered = []
    for name in compiled.positiontup:
        col = values[where[name]]
        process = codings.c[name].type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
        if process is not None:
            # By identity, not equality: equal datetimes of other time zones are bound differently.
            distinct = {id(v): v for v in col}
            done = {k: process(v) for k, v in distinct.items()}
            col = list(map(done.__getitem__, map(id, col)))
        ordered.append(col)
    conn.exec_driver_sql(str(compiled), list(zip(*ordered, strict=True)))


def insert_run(conn: Connection, **values) -> int:
    values.setdefault("started_at", now())
    return conn.execute(insert(runs).values(**values)).inserted_primary_key[0]


def finish_run(conn: Connection, run_id: int, status: str, stats: dict) -> None:
    conn.execute(update(runs).where(runs.c.id == run_id)
                 .values(status=status, finished_at=now(), stats=json.dumps(stats, sort_keys=True)))


def runs_frame(conn: Connection) -> pd.DataFrame:
    """One row per run; the JSON statistics are spread into columns (codings, transcripts, ...)."""
    import pandas as pd

    query = select(runs.c.id.label("run"), runs.c.kind, runs.c.codebook_name, runs.c.codebook_version,
                   runs.c.codebook_sha256, runs.c.status, runs.c.started_at, runs.c.finished_at,
                   runs.c.stats).order_by(runs.c.id)
    rows = []
    for r in conn.execute(query).mappings():
        row = dict(r)
        stats = json.loads(row.pop("stats") or "{}")
        counts = stats.get("counts", {})
        row.update(codings=sum(counts.values()), transcripts=stats.get("transcripts"), words=stats.get("words"),
                   added=stats.get("added"), removed=stats.get("removed"),
                   carried_over=stats.get("carried_over"), counts=counts)
        rows.append(row)
    columns = [c.name for c in query.selected_columns if c.name != "stats"] + [
        "codings", "transcripts", "words", "added", "removed", "carried_over", "counts"]
    return pd.DataFrame(rows, columns=columns)


def last_rule_run(conn: Connection) -> int | None:
    return conn.execute(select(runs.c.id).where(runs.c.kind == "rule", runs.c.status == "finished")
                        .order_by(runs.c.id.desc()).limit(1)).scalar()


# --- the NLP cache ---------------------------------------------------------------------------

def cached(conn: Connection, kind: str, keys: Sequence[str], version: str) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    keys = list(keys)
    for i in range(0, len(keys), 900):
        query = select(nlp_cache.c.key, nlp_cache.c.data).where(
            nlp_cache.c.kind == kind, nlp_cache.c.pipeline_version == version, nlp_cache.c.key.in_(keys[i:i + 900]))
        out.update({r.key: r.data for r in conn.execute(query)})
    return out


def put_cache(conn: Connection, kind: str, items: dict[str, bytes], version: str) -> None:
    """Insert or replace cache rows (an upsert on SQLite and PostgreSQL alike)."""
    if not items:
        return
    rows = [dict(kind=kind, key=k, pipeline_version=version, data=v, created_at=now()) for k, v in items.items()]
    dialect = conn.dialect.name
    if dialect in ("sqlite", "postgresql"):
        module = sqlite if dialect == "sqlite" else postgresql
        stmt = module.insert(nlp_cache)
        stmt = stmt.on_conflict_do_update(index_elements=["kind", "key", "pipeline_version"],
                                          set_={"data": stmt.excluded.data, "created_at": stmt.excluded.created_at})
        conn.execute(stmt, rows)
    else:  # other databases: delete then insert, in the caller's transaction
        for row in rows:
            conn.execute(delete(nlp_cache).where(nlp_cache.c.kind == kind, nlp_cache.c.key == row["key"],
                                                 nlp_cache.c.pipeline_version == version))
        conn.execute(insert(nlp_cache), rows)


# --- reading codings ---------------------------------------------------------------------------

def codings_frame(conn: Connection, names: Sequence[str] | None = None, origins: Sequence[str] | None = None,
                  statuses: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per coding (current transcripts), in a stable order, with speaker and role of its turn."""
    import pandas as pd

    return pd.DataFrame(coding_rows(conn, names, origins, statuses), columns=CODING_FRAME_COLUMNS)


CODING_FRAME_COLUMNS = [*CODING_COLUMNS, "turn", "matched", "memo", "id"]
_ORDER = ["transcript", "start", "end", "code", "origin", "rule", "coder", "id"]


def coding_rows(conn: Connection, names: Sequence[str] | None = None, origins: Sequence[str] | None = None,
                statuses: Sequence[str] | None = None) -> list[tuple]:
    """The rows of `codings_frame` (columns CODING_FRAME_COLUMNS) as plain tuples, for `qualcode codings`."""
    query = (
        select(codings.c.id, transcripts.c.id.label("tid"), transcripts.c.name.label("transcript"),
               cases.c.name.label("case"), codes.c.path.label("code"), codings.c.start_offset.label("start"),
               codings.c.end_offset.label("end"), coders.c.name.label("coder"), codings.c.origin,
               codings.c.rule_id.label("rule"), codings.c.model_id.label("model"), codings.c.status,
               codings.c.confidence, codings.c.run_id.label("run"), codings.c.match_start, codings.c.match_end,
               codings.c.memo)
        .select_from(codings.join(transcripts).join(cases).join(codes)
                     .outerjoin(coders, coders.c.id == codings.c.coder_id))
        .where(transcripts.c.is_current.is_(True))
    )
    if names is not None:
        query = query.where(transcripts.c.name.in_(list(names)))
    if origins is not None:
        query = query.where(codings.c.origin.in_(list(origins)))
    if statuses is not None:
        query = query.where(codings.c.status.in_(list(statuses)))
    rows = conn.execute(query).all()
    tids = sorted({r.tid for r in rows})
    texts = {r.id: r.text for r in conn.execute(select(transcripts.c.id, transcripts.c.text)
                                                 .where(transcripts.c.id.in_(tids)))} if tids else {}
    spans = turn_spans(conn, tids) if tids else {}
    speakers = {tid: [(t.start_offset, t.end_offset, t.idx) for t in ts] for tid, ts in spans.items()}
    turn_meta = {(r.transcript_id, r.idx): r for ts in spans.values() for r in ts}
    speaker_of = _speakers(conn, tids)
    out = []
    for r in rows:
        text = texts[r.tid]
        turn_idx = _turn_at(speakers.get(r.tid, []), r.start)
        meta = turn_meta.get((r.tid, turn_idx))
        out.append({
            "transcript": r.transcript, "case": r.case, "code": r.code, "start": r.start, "end": r.end,
            "text": text[r.start:r.end], "speaker": speaker_of.get((r.tid, turn_idx)),
            "role": meta.role if meta else None, "coder": r.coder, "origin": r.origin,
            "rule": r.rule if r.origin == "rule" else r.model, "status": r.status, "confidence": r.confidence,
            "run": r.run, "turn": turn_idx, "matched": text[r.match_start:r.match_end]
            if r.match_start is not None else None, "memo": r.memo, "id": r.id,
        })
    # The order pandas' sort_values(_ORDER, na_position="first") gave: a missing value first in each key.
    out.sort(key=lambda row: tuple((0, "") if row[k] is None else (1, row[k]) for k in _ORDER))
    return [tuple(row[c] for c in CODING_FRAME_COLUMNS) for row in out]


def _turn_at(spans: list[tuple[int, int, int]], offset: int) -> int | None:
    for start, end, idx in spans:
        if start <= offset < end or (start == end == offset):
            return idx
    # between turns (e.g. a label): the next turn that starts after it
    for start, _end, idx in spans:
        if start >= offset:
            return idx
    return None


def _speakers(conn: Connection, tids: Sequence[int]) -> dict[tuple[int, int], str | None]:
    if not tids:
        return {}
    query = select(turns.c.transcript_id, turns.c.idx, turns.c.speaker).where(turns.c.transcript_id.in_(list(tids)))
    return {(r.transcript_id, r.idx): r.speaker for r in conn.execute(query)}
