"""Storing a checked REFI-QDA import plan in a project, in one transaction.

Transcripts go through `queries.insert_transcript`, the function every transcript
import uses; codes through `coding_queries.sync_codes`; coders through `ensure_coder`;
codings through `insert_codings`. What the store has no helper for yet (attributes of a
given type, memos, runs with their times, review records) is written here with the same
SQLAlchemy Core tables, inside the same transaction.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from qualcode import audit
from qualcode.exchange import refi_guids
from qualcode.exchange.refi_codes import to_codebook
from qualcode.exchange.refi_plan import CodingPlan, Plan, QdpxImport, Skipped, when
from qualcode.exchange.refi_safe import RefiError
from qualcode.ingest.attributes import canonical
from qualcode.store import coding_queries as cq
from qualcode.store import queries
from qualcode.store.schema import (
    attributes,
    case_attributes,
    cases,
    codes,
    codings,
    memos,
    reviews,
    transcripts,
    turns,
)

if TYPE_CHECKING:
    from qualcode.project_core import ProjectCore as Project  # the layer below qualcode.project


def store(project: Project, plan: Plan) -> QdpxImport:
    result = plan.result
    assert result is not None
    try:
        with project.engine.begin() as conn:
            _store(conn, plan, result)
            # in this transaction: the log has the import exactly when it happened (actor from audit.acting)
            audit.record(conn, None, "import.qdpx", "file", Path(plan.file).name, {
                "transcripts": result.transcripts, "codes": result.codes, "codings": result.codings,
                "cases": result.cases, "memos": result.memos, "skipped": len(result.skipped)})
    except SQLAlchemyError as exc:
        reason = f"{type(exc).__name__}: {getattr(exc, 'orig', None) or exc}"
        raise RefiError("E809", file=plan.file, reason=reason) from None
    return result


def _store(conn: Connection, plan: Plan, result: QdpxImport) -> None:
    names = [t.parsed.name for t in plan.transcripts]
    taken = sorted({r.name for r in conn.execute(select(transcripts.c.name).where(transcripts.c.name.in_(names)))}) \
        if names else []
    if taken:
        raise RefiError("E808", file=plan.file, names=", ".join(f"'{n}'" for n in taken[:10]))
    empty = not conn.execute(select(func.count()).select_from(transcripts)).scalar() and \
        not conn.execute(select(func.count()).select_from(codes)).scalar()
    now = queries.now()

    coder_names = list(dict.fromkeys(
        [*plan.users, *(c.coder for t in plan.transcripts for c in t.codings if c.coder),
         *(c.reviewer for t in plan.transcripts for c in t.codings if c.reviewer),
         *(n.coder for n in plan.notes if n.coder),
         *(r.get("coder") for r in (plan.meta or {}).get("runs", []) if isinstance(r, dict) and r.get("coder"))]))
    coder_ids = {name: cq.ensure_coder(conn, name) for name in coder_names}
    result.coders = len(coder_names)

    existing = cq.code_ids(conn)
    for code in plan.codes:
        row = conn.execute(select(codes.c.name).where(codes.c.path == code.id)).first() if code.id in existing \
            else None
        if row is not None and row.name != code.name:
            result.warnings.append(f"{plan.file}: code '{code.id}' is already in the project as '{row.name}' "
                                   f"(the file calls it '{code.name}'); the project's code was kept.")
    new_codes = sorted((c for c in plan.codes if c.id not in existing), key=lambda c: c.order)
    code_ids = cq.sync_codes(conn, to_codebook(new_codes, plan.file))
    if plan.meta:  # give back the exported sort order exactly
        for c in new_codes:
            conn.execute(update(codes).where(codes.c.id == code_ids[c.id]).values(sort_order=c.order))
    result.codes = len(new_codes)

    tids: dict[str, int] = {}
    for t in plan.transcripts:
        tids[t.parsed.name] = queries.insert_transcript(conn, t.parsed, None)
        result.transcripts.append(t.parsed.name)
    for case in plan.case_values:
        queries.ensure_case(conn, case)
    result.cases = len(plan.case_values)
    result.attributes = _store_attributes(conn, plan)

    run_ids = _store_runs(conn, plan, coder_ids, result)
    _store_codings(conn, plan, tids, code_ids, coder_ids, run_ids, result, now)
    _store_memos(conn, plan, tids, code_ids, coder_ids, result, now)
    # Another tool's GUIDs, for the re-export; a code that was already here keeps its own.
    new = {c.id for c in new_codes}
    refi_guids.remember(conn, [g for g in plan.guids if g[0] != "code" or g[1] in new])

    meta = plan.meta or {}
    if empty and isinstance(meta.get("key"), str):
        # The GUIDs of a re-export stay those of the project this file came from.
        queries.set_info(conn, refi_key=meta["key"])
    for key, value in (meta.get("settings") or {}).items():
        if key == "autocode_status" and value in ("suggested", "accepted") and empty:
            queries.set_info(conn, autocode_status=value)
    status = "imported" if result.transcripts or result.codes else "skipped"
    queries.log_import(conn, str(uuid.uuid4()), plan.file, status, result.summary())


def _store_attributes(conn: Connection, plan: Plan) -> int:
    """Case attributes with the file's types; attributes already in the project keep theirs (widened if needed)."""
    known = {r.name: r.id for r in conn.execute(select(attributes.c.id, attributes.c.name))}
    meta_sources = (plan.meta or {}).get("attribute_sources") or {}
    now = queries.now()
    fresh: dict[str, int] = {}
    names = list(dict.fromkeys([*plan.attribute_types, *(k for v in plan.case_values.values() for k in v)]))
    for name in names:
        if name not in known:
            kind = plan.attribute_types.get(name, "category")
            fresh[name] = conn.execute(insert(attributes).values(name=name, type=kind, created_at=now)
                                       ).inserted_primary_key[0]
    case_id = {r.name: r.id for r in conn.execute(select(cases.c.id, cases.c.name))}
    default_source = plan.file.replace("\\", "/").rsplit("/", 1)[-1]
    rows = []
    for case, values in plan.case_values.items():
        old: dict[str, object] = {}
        for name, value in values.items():
            source = (meta_sources.get(case) or {}).get(name) or default_source
            if name in fresh:
                text, number = canonical(value, plan.attribute_types.get(name, "category"))
                rows.append(dict(case_id=case_id[case], attribute_id=fresh[name], value=text, value_number=number,
                                 source=str(source)[:500]))
            else:
                old[name] = value
        if old:
            queries.set_case_attributes(conn, case_id[case], old, default_source)
    if rows:
        conn.execute(insert(case_attributes), rows)
    return len(names)


def _store_runs(conn: Connection, plan: Plan, coder_ids: dict[str, int], result: QdpxImport) -> dict[int, int]:
    run_ids: dict[int, int] = {}
    for r in (plan.meta or {}).get("runs", []):
        if not isinstance(r, dict) or not isinstance(r.get("id"), int):
            continue
        if r.get("kind") not in ("rule", "model", "import") or r.get("status") not in ("running", "finished", "failed"):
            result.skipped.append(Skipped("run", str(r.get("id")), "unknown kind or status"))
            continue
        values: dict[str, Any] = {k: r.get(k) for k in ("kind", "codebook_name", "codebook_version",
                                                        "codebook_sha256", "pipeline_version", "params", "status",
                                                        "stats")}
        values = {k: (v if v is None or isinstance(v, str) else json.dumps(v)) for k, v in values.items()}
        values.update(coder_id=coder_ids.get(r.get("coder")), started_at=when(r.get("started_at")) or queries.now(),
                      finished_at=when(r.get("finished_at")))
        run_ids[r["id"]] = cq.insert_run(conn, **values)
    return run_ids


def _coding_row(c: CodingPlan, tid: int, code_ids: dict[str, int], coder_ids: dict[str, int],
                run_ids: dict[int, int], now: Any) -> dict[str, Any]:
    return dict(
        transcript_id=tid, code_id=code_ids[c.code], start_offset=c.start, end_offset=c.end,
        coder_id=coder_ids.get(c.coder) if c.coder else None, origin=c.origin, rule_id=c.rule, model_id=c.model,
        confidence=c.confidence, status=c.status, run_id=run_ids.get(c.run) if c.run is not None else None,
        memo=c.memo, created_at=c.created_at or now, updated_at=c.updated_at or c.created_at or now,
        match_start=c.match[0] if c.match else None, match_end=c.match[1] if c.match else None,
        reviewer_id=coder_ids.get(c.reviewer) if c.reviewer else None, reviewed_at=c.reviewed_at,
    )


def _store_codings(conn: Connection, plan: Plan, tids: dict[str, int], code_ids: dict[str, int],
                   coder_ids: dict[str, int], run_ids: dict[int, int], result: QdpxImport, now: Any) -> None:
    rows = []
    decided: dict[tuple, dict] = {}
    for t in plan.transcripts:
        tid = tids[t.parsed.name]
        for c in t.codings:
            row = _coding_row(c, tid, code_ids, coder_ids, run_ids, now)
            if c.needs_id or c.kept_guids:  # a memo points at it, or its GUIDs are kept: it needs its id now
                c.id = conn.execute(insert(codings).values(**row)).inserted_primary_key[0]
                if c.kept_guids:
                    plan.guids += [(kind, str(c.id), g) for kind, g in zip(("selection", "coding"), c.kept_guids,
                                                                            strict=True) if g]
            else:
                rows.append(row)
            if c.origin == "rule" and row["reviewer_id"] is not None:
                # The review record lets a later re-code keep this decision (see runs.py).
                key = (tid, row["code_id"], c.start, c.end)
                decided[key] = dict(transcript_id=tid, code_id=row["code_id"], start_offset=c.start,
                                    end_offset=c.end, status=c.status, reviewer_id=row["reviewer_id"],
                                    reviewed_at=c.reviewed_at or now)
            result.codings += 1
    for i in range(0, len(rows), 5000):
        cq.insert_codings(conn, rows[i:i + 5000])
    if decided:
        conn.execute(insert(reviews), list(decided.values()))


def _store_memos(conn: Connection, plan: Plan, tids: dict[str, int], code_ids: dict[str, int],
                 coder_ids: dict[str, int], result: QdpxImport, now: Any) -> None:
    case_id = {r.name: r.id for r in conn.execute(select(cases.c.id, cases.c.name))}
    for note in plan.notes:
        target_type, target_id = note.target_type, None
        if target_type == "transcript":
            target_id = tids.get(note.target)
        elif target_type == "case":
            target_id = case_id.get(note.target)
        elif target_type == "code":
            target_id = code_ids.get(note.target)
        elif target_type == "coding":
            target_id = getattr(note.target, "id", None)
        elif target_type == "turn" and isinstance(note.target, list) and len(note.target) == 2:
            tid = tids.get(note.target[0])
            target_id = conn.execute(select(turns.c.id).where(turns.c.transcript_id == tid,
                                                              turns.c.idx == note.target[1])).scalar()
        if target_type != "project" and target_id is None:
            result.warnings.append(f"{plan.file}: memo '{note.title or ''}' belonged to a {target_type} that was "
                                   "not imported; it was kept as a project memo.")
            target_type = "project"
        memo_id = conn.execute(insert(memos).values(
            target_type=target_type, target_id=target_id, coder_id=coder_ids.get(note.coder) if note.coder else None,
            title=note.title, text=note.text, created_at=note.created_at or now,
            updated_at=note.updated_at or note.created_at or now)).inserted_primary_key[0]
        if note.guid:
            plan.guids.append(("memo", str(memo_id), note.guid))
