"""Editing a project's codes and reading what they coded: the core behind the Codebook,
Review, Retrieve and Project pages (each function also works without a browser).

Codes are edited in place: add, rename, move, describe and colour; merging moves every
coding (and review decision) of one code onto another; deleting returns a snapshot of the
code, its sub-codes, codings, reviews and memos, and `restore_code` puts it all back. Each
write is one transaction. `rule_hits` runs one code's rules over the corpus without writing
anything. Retrieval of coded segments is in retrieval.py, case attributes in cases.py.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from qualcode import audit, conflicts
from qualcode.codebook import CODE_ID, COLOUR, Codebook
from qualcode.errors import QualcodeError
from qualcode.store import coding_queries as cq
from qualcode.store import queries
from qualcode.store.schema import codes, codings, memos, reviews

HUMAN_ORIGINS = ("manual", "import")
STATUSES = ("suggested", "accepted", "rejected")
_KEEP: Any = object()  # "leave this field as it is" in set_code


# --- the code tree ---------------------------------------------------------------------------

def _rows(conn: Connection) -> dict[str, Any]:
    return {r.path: r for r in conn.execute(select(codes))}


def _require(rows: Mapping[str, Any], code: str) -> Any:
    if code not in rows:
        near = difflib.get_close_matches(code, list(rows), n=1)
        hint = f"Did you mean '{near[0]}'?" if near else (
            "The project has no codes yet." if not rows else f"Known codes: {', '.join(sorted(rows)[:30])}.")
        raise QualcodeError("E706", code=code, hint=hint)
    return rows[code]


def _subtree(rows: Mapping[str, Any], root_id: int) -> list[Any]:
    """The code and its descendants, parents before children."""
    by_parent: dict[int | None, list[Any]] = {}
    for r in rows.values():
        by_parent.setdefault(r.parent_id, []).append(r)
    out = [r for r in rows.values() if r.id == root_id]
    i = 0
    while i < len(out):
        out += sorted(by_parent.get(out[i].id, []), key=lambda r: (r.sort_order, r.path))
        i += 1
    return out


def _check_colour(code: str, color: str | None) -> str | None:
    if color in (None, ""):
        return None
    if not isinstance(color, str) or not COLOUR.match(color):
        raise QualcodeError("E746", code=code, value=color)
    return color.lower()


def tree(frame: pd.DataFrame) -> pd.DataFrame:
    """`Project.codes()` in tree order (each parent followed by its children) with a `depth` column."""
    children: dict[Any, list[str]] = {}
    known = set(frame["code"])
    for code, parent in zip(frame["code"], frame["parent"], strict=True):
        children.setdefault(parent if parent in known else None, []).append(code)
    order: list[tuple[str, int]] = []
    todo = [(c, 0) for c in reversed(children.get(None, []))]
    while todo:
        code, depth = todo.pop()
        order.append((code, depth))
        todo += [(c, depth + 1) for c in reversed(children.get(code, []))]
    depth = dict(order)
    out = frame.set_index("code").loc[[c for c, _ in order]].reset_index()
    out.insert(1, "depth", [depth[c] for c in out["code"]])
    return out


def descendants(frame: pd.DataFrame, code: str) -> list[str]:
    """The ids of a code's sub-codes at any depth, from a `Project.codes()` frame."""
    out, todo = [], [code]
    parents = dict(zip(frame["code"], frame["parent"], strict=True))
    while todo:
        current = todo.pop()
        kids = [c for c, p in parents.items() if p == current]
        out += kids
        todo += kids
    return out


def add_code(engine: Engine, code: str, name: str | None = None, parent: str | None = None,
             description: str | None = None, color: str | None = None, *, actor: str | None = None,
             version: str | None = None) -> None:
    """Add a code. Its id follows the codebook's rule (push.housing); `name` defaults to the id's last part.

    Every edit here takes `actor` (who, for the audit log) and `version` (the
    `conflicts.codebook_version` the editor saw: E550 if the codes changed since)."""
    code = (code or "").strip()
    if not CODE_ID.match(code):
        reason = "it is empty" if not code else "it has a character other than letters, digits, _ and dots, " \
            "or a part that starts with a digit or is empty"
        raise QualcodeError("E740", code=code, reason=reason)
    name = (name or "").strip() or code.rsplit(".", 1)[-1]
    color = _check_colour(code, color)
    with engine.begin() as conn:
        conflicts.check(conn, version, f"new code '{code}'")
        rows = _rows(conn)
        if code in rows:
            raise QualcodeError("E741", code=code, name=rows[code].name)
        parent_id = _require(rows, parent).id if parent else None
        order = conn.execute(select(func.max(codes.c.sort_order))).scalar()
        stamp = queries.now()
        conn.execute(insert(codes).values(path=code, name=name, parent_id=parent_id, description=description or None,
                                          color=color, sort_order=(order or 0) + 1, created_at=stamp,
                                          updated_at=stamp))
        audit.record(conn, actor, "code.add", "code", code, dict(name=name, parent=parent, color=color))


def set_code(engine: Engine, code: str, *, name: str | None = _KEEP, description: str | None = _KEEP,
             color: str | None = _KEEP, actor: str | None = None, version: str | None = None) -> None:
    """Change a code's name, description or colour (fields not given stay as they are)."""
    values: dict[str, Any] = {}
    if name is not _KEEP:
        if not (name or "").strip():
            raise QualcodeError("E747", code=code)
        values["name"] = name.strip()
    if description is not _KEEP:
        values["description"] = (description or "").strip() or None
    if color is not _KEEP:
        values["color"] = _check_colour(code, color)
    with engine.begin() as conn:
        conflicts.check(conn, version, f"change to '{code}' ({', '.join(values) or 'nothing'})")
        row = _require(_rows(conn), code)
        if values:
            conn.execute(update(codes).where(codes.c.id == row.id).values(**values, updated_at=queries.now()))
            before = {k: getattr(row, k) for k in values}
            audit.record(conn, actor, "code.change", "code", code, dict(before=before, after=values))


def rename_code(engine: Engine, code: str, name: str, *, actor: str | None = None,
                version: str | None = None) -> None:
    """Give a code another name; its id, which codings and rules point at, stays."""
    set_code(engine, code, name=name, actor=actor, version=version)


def move_code(engine: Engine, code: str, parent: str | None, *, actor: str | None = None,
              version: str | None = None) -> None:
    """Put a code under another parent (None: top level), refusing cycles."""
    with engine.begin() as conn:
        conflicts.check(conn, version, f"move of '{code}'")
        rows = _rows(conn)
        row = _require(rows, code)
        parent_id = None
        if parent:
            target = _require(rows, parent)
            if target.id == row.id:
                raise QualcodeError("E742", code=code, parent=parent, reason="a code cannot be its own parent")
            if target.id in {r.id for r in _subtree(rows, row.id)}:
                raise QualcodeError("E742", code=code, parent=parent,
                                    reason=f"'{parent}' is one of its own sub-codes")
            parent_id = target.id
        conn.execute(update(codes).where(codes.c.id == row.id).values(parent_id=parent_id, updated_at=queries.now()))
        before = next((r.path for r in rows.values() if r.id == row.parent_id), None)
        audit.record(conn, actor, "code.move", "code", code, dict(parent_before=before, parent=parent or None))


@dataclass
class MergeReport:
    """What a merge did: codings moved, identical ones folded into the target's, sub-codes moved."""

    source: str
    target: str
    moved: int = 0
    duplicates: int = 0
    children: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        text = f"Merged '{self.source}' into '{self.target}': {self.moved} coding(s) moved"
        if self.duplicates:
            text += f", {self.duplicates} identical to one '{self.target}' already had (kept once)"
        if self.children:
            text += f"; sub-codes moved: {', '.join(self.children)}"
        return text + "."


def merge_codes(engine: Engine, source: str, target: str, *, actor: str | None = None,
                version: str | None = None) -> MergeReport:
    """The codings, review decisions, memos and sub-codes of `source` go to `target`; `source` is deleted.

    A coding identical to one the target already has (same transcript, span, coder, origin,
    status and memo) is kept once; everything else moves, so no coding is lost.
    """
    if source == target:
        raise QualcodeError("E743", code=source)
    report = MergeReport(source, target)
    with engine.begin() as conn:
        conflicts.check(conn, version, f"merge of '{source}' into '{target}'")
        rows = _rows(conn)
        src, dst = _require(rows, source), _require(rows, target)
        identity = (codings.c.transcript_id, codings.c.start_offset, codings.c.end_offset, codings.c.coder_id,
                    codings.c.origin, codings.c.status, codings.c.memo)
        have = {tuple(r) for r in conn.execute(select(*identity).where(codings.c.code_id == dst.id))}
        drop, move = [], []
        for r in conn.execute(select(codings.c.id, *identity).where(codings.c.code_id == src.id)):
            (drop if tuple(r[1:]) in have else move).append(r.id)
        cq.delete_codings(conn, drop)
        for i in range(0, len(move), 900):
            conn.execute(update(codings).where(codings.c.id.in_(move[i:i + 900])).values(code_id=dst.id))
        report.moved, report.duplicates = len(move), len(drop)
        spans = (reviews.c.transcript_id, reviews.c.start_offset, reviews.c.end_offset)
        decided = {tuple(r) for r in conn.execute(select(*spans).where(reviews.c.code_id == dst.id))}
        for r in conn.execute(select(reviews.c.id, *spans).where(reviews.c.code_id == src.id)).all():
            if tuple(r[1:]) in decided:  # the target's own decision on that span wins
                conn.execute(delete(reviews).where(reviews.c.id == r.id))
            else:
                conn.execute(update(reviews).where(reviews.c.id == r.id).values(code_id=dst.id))
        conn.execute(update(memos).where(memos.c.target_type == "code", memos.c.target_id == src.id)
                     .values(target_id=dst.id))
        # Sub-codes go to the target; the target itself, or a sub-code above it, to the source's parent.
        for r in rows.values():
            if r.parent_id == src.id:
                above = dst.id in {x.id for x in _subtree(rows, r.id)}
                conn.execute(update(codes).where(codes.c.id == r.id).values(
                    parent_id=src.parent_id if above else dst.id))
                report.children.append(r.path)
        conn.execute(delete(codes).where(codes.c.id == src.id))
        audit.record(conn, actor, "code.merge", "code", source, dict(
            into=target, moved=report.moved, duplicates=report.duplicates, children=report.children))
    return report


@dataclass
class DeletedCode:
    """Everything a deletion removed, to put it back with `restore_code`."""

    code: str
    parent: str | None
    codes: list[dict]
    codings: list[dict]
    reviews: list[dict]
    memos: list[dict]

    @property
    def n_codings(self) -> int:
        return len(self.codings)

    @property
    def n_human(self) -> int:
        return sum(1 for c in self.codings if c["origin"] in HUMAN_ORIGINS or c["reviewer_id"] is not None)

    def __str__(self) -> str:
        subs = f" and {len(self.codes) - 1} sub-code(s)" if len(self.codes) > 1 else ""
        return f"Deleted '{self.code}'{subs} with {self.n_codings} coding(s) ({self.n_human} by people)."


def delete_code(engine: Engine, code: str, *, confirm: bool = False, with_children: bool = False,
                actor: str | None = None, version: str | None = None) -> DeletedCode:
    """Delete a code (and with `with_children` its sub-codes) with its codings.

    A code with codings is deleted only with `confirm=True`; without it, E744 says how many
    codings (and how many of them by people) would go. Returns the snapshot to undo it.
    """
    with engine.begin() as conn:
        conflicts.check(conn, version, f"deletion of '{code}'")
        rows = _rows(conn)
        row = _require(rows, code)
        subtree = _subtree(rows, row.id)
        if len(subtree) > 1 and not with_children:
            raise QualcodeError("E745", code=code, children=", ".join(r.path for r in subtree[1:]))
        ids = [r.id for r in subtree]
        coding_rows = [dict(r._mapping) for r in conn.execute(select(codings).where(codings.c.code_id.in_(ids)))]
        parent = next((r.path for r in rows.values() if r.id == row.parent_id), None)
        snapshot = DeletedCode(code, parent, [dict(r._mapping) for r in subtree], coding_rows,
                               [dict(r._mapping) for r in conn.execute(select(reviews)
                                                                       .where(reviews.c.code_id.in_(ids)))], [])
        if coding_rows and not confirm:
            children = f" and {len(subtree) - 1} sub-code(s)" if len(subtree) > 1 else ""
            raise QualcodeError("E744", code=code, n=snapshot.n_codings, human=snapshot.n_human, children=children)
        coding_ids = [c["id"] for c in coding_rows]
        memo_query = select(memos).where(
            ((memos.c.target_type == "code") & memos.c.target_id.in_(ids))
            | ((memos.c.target_type == "coding") & memos.c.target_id.in_(coding_ids or [-1])))
        snapshot.memos = [dict(r._mapping) for r in conn.execute(memo_query)]
        conn.execute(delete(memos).where(memos.c.id.in_([m["id"] for m in snapshot.memos] or [-1])))
        conn.execute(delete(reviews).where(reviews.c.code_id.in_(ids)))
        cq.delete_codings(conn, coding_ids)
        for r in reversed(subtree):
            conn.execute(delete(codes).where(codes.c.id == r.id))
        audit.record(conn, actor, "code.delete", "code", code, dict(
            codes=[r.path for r in subtree], codings=snapshot.n_codings, by_people=snapshot.n_human))
    return snapshot


def restore_code(engine: Engine, snapshot: DeletedCode, *, actor: str | None = None,
                 version: str | None = None) -> None:
    """Undo a deletion: the codes, codings, review decisions and memos come back as they were."""
    try:
        with engine.begin() as conn:
            conflicts.check(conn, version, f"restore of '{snapshot.code}'")
            rows = _rows(conn)
            again = [c["path"] for c in snapshot.codes if c["path"] in rows]
            if again:
                raise QualcodeError("E748", code=snapshot.code, reason=(
                    f"code(s) {', '.join(again)} exist again (made after the deletion, e.g. by a rule run); "
                    "merge or delete them first"))
            ids = _new_ids(conn, codes, [c["id"] for c in snapshot.codes])
            for c in snapshot.codes:
                parent = ids.get(c["parent_id"]) if c["path"] != snapshot.code else (
                    rows[snapshot.parent].id if snapshot.parent in rows else None)
                conn.execute(insert(codes).values({**c, "id": ids[c["id"]], "parent_id": parent}))
            coding_ids = _new_ids(conn, codings, [c["id"] for c in snapshot.codings])
            cq.insert_codings(conn, [{**c, "id": coding_ids[c["id"]], "code_id": ids[c["code_id"]]}
                                     for c in snapshot.codings])
            for r in snapshot.reviews:
                conn.execute(insert(reviews).values({k: v for k, v in r.items() if k != "id"} |
                                                    {"code_id": ids[r["code_id"]]}))
            for m in snapshot.memos:
                target = ids if m["target_type"] == "code" else coding_ids
                conn.execute(insert(memos).values({k: v for k, v in m.items() if k != "id"} |
                                                  {"target_id": target.get(m["target_id"], m["target_id"])}))
            audit.record(conn, actor, "code.restore", "code", snapshot.code, dict(
                codes=[c["path"] for c in snapshot.codes], codings=snapshot.n_codings))
    except IntegrityError as exc:
        raise QualcodeError("E748", code=snapshot.code, reason=f"the project changed since ({exc.orig})") from None


def _new_ids(conn: Connection, table, old: list[int]) -> dict[int, int]:
    """Keep the old ids where none is taken (memos and links keep pointing right); else fresh ones."""
    if not old:
        return {}
    taken = conn.execute(select(func.count()).select_from(table).where(table.c.id.in_(old))).scalar()
    if not taken:
        return {i: i for i in old}
    start = (conn.execute(select(func.max(table.c.id))).scalar() or 0) + 1
    return {i: start + n for n, i in enumerate(old)}


def load_codes(engine: Engine, book: Codebook, *, actor: str | None = None, version: str | None = None) -> int:
    """Take a codebook's codes into the project (without coding anything); returns how many."""
    with engine.begin() as conn:
        conflicts.check(conn, version, f"codes of codebook '{book.name}'")
        cq.sync_codes(conn, book)
        audit.record(conn, actor, "code.load", "codebook", book.name, dict(
            codes=len(book.codes), sha256=(book.sha256 or "")[:12], path=book.path))
    return len(book.codes)


# --- reviews ------------------------------------------------------------------------------------

def review_codings(engine: Engine, ids: Sequence[int], status: str, reviewer: str) -> int:
    """Accept or reject several codings in one transaction; returns how many."""
    if status not in STATUSES:
        raise QualcodeError("E709", key="status", value=status, hint="Use accepted, rejected or suggested.")
    if not (reviewer or "").strip():
        raise QualcodeError("E753")
    with engine.begin() as conn:
        reviewer_id = cq.ensure_coder(conn, reviewer.strip())
        for coding_id in ids:
            if not cq.record_review(conn, int(coding_id), status, reviewer_id):
                raise QualcodeError("E707", coding=coding_id)
        if ids:
            audit.record(conn, reviewer.strip(), "coding.review", "codings", f"{len(ids)} coding(s)",
                         dict(status=status, ids=[int(i) for i in ids]))
    return len(ids)


# --- trying rules on the corpus ----------------------------------------------------------------------

HIT_COLUMNS = ["transcript", "language", "turn", "role", "code", "rule", "matched", "fate", "sentence", "start",
               "end"]


def rule_hits(engine: Engine, book: Codebook, code: str, *, rule_ids: Sequence[str] | None = None,
              transcripts: Sequence[str] | None = None) -> pd.DataFrame:
    """Where one code's rules fire in the project's transcripts, and what becomes of each match
    (`fate`: coded, or why it was dropped: negation, unless, speaker, question). Nothing is written;
    analyses the project has cached are reused."""
    from qualcode.autocode import Matcher, TurnSpan
    from qualcode.nlp import Analysis, analysis_key, pipeline

    try:
        entry = book.code(code)
    except KeyError:
        entry = None
    rules = [r for r in (entry.rules if entry else []) if rule_ids is None or r.id in rule_ids]
    if not rules:
        known = sorted({r.code for r in book.rules()})
        raise QualcodeError("E749", code=code, file=book.path or "(text)", lang="",
                            known=", ".join(known[:30]) or "(none)")
    out: list[dict] = []
    with engine.connect() as conn:
        rows = [r for r in cq.current_transcripts(conn, transcripts) if r.language in {x.lang for x in rules}]
        spans = cq.turn_spans(conn, [r.id for r in rows])
        for lang in sorted({r.language for r in rows}):
            ids = frozenset(x.id for x in rules if x.lang == lang)
            nlp = pipeline(lang)
            mine = [r for r in rows if r.language == lang]
            keys = {r.id: analysis_key(r.text, [(t.idx, t.start_offset, t.end_offset) for t in spans[r.id]])
                    for r in mine}
            stored = cq.cached(conn, "analysis", list(keys.values()), nlp.version)
            lemmas = cq.cached(conn, "lemmas", [lang], nlp.version)
            if lang in lemmas and len(nlp.cache) < 10:
                nlp.load_cache(lemmas[lang])
            matcher = Matcher(book, lang, nlp, only=ids)
            for r in mine:
                blob = stored.get(keys[r.id])
                a = Analysis.from_bytes(blob) if blob else nlp.analyse(
                    r.text, [(t.idx, t.start_offset, t.end_offset) for t in spans[r.id]])
                turns = [TurnSpan(t.idx, t.role, t.start_offset, t.end_offset) for t in spans[r.id]]
                role_of = {t.idx: t.role for t in turns}
                for m in matcher.matches(a, r.text, turns, explain=True):
                    turn = int(a.turn[m.tok_start])
                    s, e = a.sentence_span(int(a.sent[m.tok_start]))
                    out.append({"transcript": r.name, "language": lang, "turn": turn, "role": role_of.get(turn),
                                "code": m.code, "rule": m.rule, "matched": r.text[m.start:m.end],
                                "fate": m.dropped or "coded", "sentence": " ".join(r.text[s:e].split()),
                                "start": m.start, "end": m.end})
    return pd.DataFrame(out, columns=HIT_COLUMNS)
