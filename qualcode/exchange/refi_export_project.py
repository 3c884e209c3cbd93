"""Writing a project as a REFI-QDA project (.qdpx) that validates against Project-mrt2019.xsd.

What a QDPX carries, and where: coders as <User>s; codes with hierarchy, colour and
description in <CodeBook>; every current transcript as a <TextSource> with its text in
`sources/<guid>.txt` (UTF-8, positions are Python string offsets, the standard's
characters); every coding as its own <PlainTextSelection> with one <Coding> (creating
user = coder), whose <Description> is a one-line provenance tag,
`qualcode: {"origin":"rule","status":"suggested","rule":"push.x/ru/1",...}`, so rule
suggestions and rejected codings stay recognisable in other tools and come back exactly;
attributes as <Variables> with typed <VariableValue>s on <Cases>, each case linked to its
transcripts by <SourceRef>; memos, code memos and coding memos as <Notes> with <NoteRef>s
where the schema allows one. What the standard has no place for (turns, languages, code
ids, attribute types, runs, memo targets) goes in a `qualcode.json` member that other
tools ignore.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import zipfile
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lxml import etree
from sqlalchemy import Connection, select

from qualcode import __version__
from qualcode.exchange.refi_export import (
    META_FORMAT,
    META_MEMBER,
    PROJECT_NS,
    TAG,
    code_elements,
    iso,
    make_guid,
    project_codes,
    project_key,
    serialise,
    set_attrs,
    sub,
    write_atomically,
)
from qualcode.store import queries
from qualcode.store.schema import (
    attributes,
    case_attributes,
    cases,
    coders,
    codes,
    codings,
    memos,
    runs,
    transcripts,
    turns,
)

if TYPE_CHECKING:
    from qualcode.project import Project

_INT = re.compile(r"^[+-]?\d+$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# --- variables ----------------------------------------------------------------------------

def _decimal(text: str) -> str | None:
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return format(number, "f") if number.is_finite() else None


def _is_date(text: str) -> bool:
    if not _DATE.match(text):
        return False
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def variable_kind(attr_type: str, values: list[str]) -> str:
    """The REFI typeOfVariable for a qualcode attribute type, given its stored values."""
    if attr_type == "number" and values:
        if all(_INT.match(v) for v in values):
            return "Integer"
        if all(_decimal(v) is not None for v in values):
            return "Float"
    if attr_type == "date" and values and all(_is_date(v) for v in values):
        return "Date"
    return "Text"


def _value_element(parent: etree._Element, kind: str, value: str) -> None:
    if kind == "Integer":
        sub(parent, PROJECT_NS, "IntegerValue", str(int(value)))
    elif kind == "Float":
        sub(parent, PROJECT_NS, "FloatValue", _decimal(value))
    elif kind == "Date":
        sub(parent, PROJECT_NS, "DateValue", value)
    else:
        sub(parent, PROJECT_NS, "TextValue", value)


# --- the project --------------------------------------------------------------------------

@dataclass
class QdpxExport:
    """What `export_qdpx` wrote."""

    path: Path
    sources: int
    codes: int
    codings: int
    users: int
    cases: int
    variables: int
    notes: int


def _excerpt(text: str, size: int = 80) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= size else flat[: size - 1] + "…"


def provenance(row: Any, coder_names: dict[int, str]) -> dict[str, Any]:
    """The coding's qualcode provenance, as the selection's description tag carries it."""
    tag: dict[str, Any] = {"origin": row.origin, "status": row.status}
    for name, value in (("rule", row.rule_id), ("model", row.model_id), ("confidence", row.confidence),
                        ("run", row.run_id)):
        if value is not None:
            tag[name] = value
    if row.match_start is not None:
        tag["match"] = [row.match_start, row.match_end]
    if row.reviewer_id is not None and row.reviewer_id in coder_names:
        tag["reviewer"] = coder_names[row.reviewer_id]
    if row.reviewed_at is not None:
        tag["reviewed_at"] = iso(row.reviewed_at)
    return tag


def export_qdpx(project: Project, path: str | Path, *, statuses: tuple[str, ...] | None = None) -> QdpxExport:
    """Write the project as a REFI-QDA project (.qdpx) that validates against Project-mrt2019.xsd.

    Every current transcript and every coding is exported, rule suggestions and rejected
    codings included, each marked in its selection's description (see the module doc), so
    the round trip is lossless. `statuses=("accepted",)` leaves suggestions and rejected
    codings out, e.g. for colleagues whose tool would take them as plain codings.
    """
    path = Path(path)
    with project.engine.connect() as conn:
        key = project_key(conn, Path(project.location).stem)
        info = queries.get_info(conn)
        root, sources, meta, counts = _build(conn, key, info, statuses, project.name)

    def write(fh: Any) -> None:
        with zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
            zf.writestr("project.qde", serialise(root))
            for guid, text in sources:
                zf.writestr(f"sources/{guid}.txt", text.encode("utf-8"))
            zf.writestr(META_MEMBER, json.dumps(meta, ensure_ascii=False, sort_keys=True, indent=1))

    write_atomically(path, write)
    return QdpxExport(path=path, **counts)


def _build(conn: Connection, key: str, info: dict[str, str], statuses: tuple[str, ...] | None,
           name: str) -> tuple[etree._Element, list[tuple[str, str]], dict, dict[str, int]]:
    P = PROJECT_NS  # short: it is on every element
    coder_names = {r.id: r.name for r in conn.execute(select(coders.c.id, coders.c.name).order_by(coders.c.id))}
    user_guid = {cid: make_guid(key, "user", n) for cid, n in coder_names.items()}
    code_items = project_codes(conn)
    code_rows = {r.path: r for r in conn.execute(select(codes.c.id, codes.c.path))}
    code_guid = {c.path: make_guid(key, "code", c.path) for c in code_items}
    trs = conn.execute(select(transcripts).where(transcripts.c.is_current.is_(True))
                       .order_by(transcripts.c.name)).all()
    source_guid = {t.id: make_guid(key, "source", t.name) for t in trs}
    case_rows = conn.execute(select(cases).order_by(cases.c.name)).all()
    attr_rows = conn.execute(select(attributes).order_by(attributes.c.id)).all()
    values = conn.execute(select(case_attributes)).all()
    memo_rows = conn.execute(select(memos).order_by(memos.c.id)).all()
    query = (select(codings, codes.c.path.label("code_path"), transcripts.c.name.label("tname"))
             .select_from(codings.join(transcripts).join(codes))
             .where(transcripts.c.is_current.is_(True))
             .order_by(transcripts.c.name, codings.c.start_offset, codings.c.end_offset, codes.c.path, codings.c.id))
    if statuses is not None:
        query = query.where(codings.c.status.in_(list(statuses)))
    coding_rows = conn.execute(query).all()

    meta: dict[str, Any] = {"format": META_FORMAT, "version": 1, "qualcode": __version__, "key": key,
                            "settings": {k: v for k, v in info.items() if k == "autocode_status"},
                            "codes": {}, "sources": {}, "attributes": {}, "attribute_sources": {}, "notes": {},
                            "runs": []}
    notes: list[tuple[str, str | None, str, int | None, Any, Any]] = []  # guid, title, text, coder, created, updated
    code_notes: dict[str, list[str]] = defaultdict(list)
    source_notes: dict[int, list[str]] = defaultdict(list)
    project_notes: list[str] = []

    root = etree.Element(f"{{{P}}}Project", nsmap={None: P})
    set_attrs(root, name=name, origin=f"qualcode {__version__}", creationDateTime=iso(info.get("created_at")))
    if coder_names:
        users = sub(root, P, "Users")
        for cid, cname in coder_names.items():
            sub(users, P, "User", guid=user_guid[cid], name=cname)

    # Memos of the memos table: their notes are referenced from what the schema lets refer to them.
    tname = {t.id: t.name for t in conn.execute(select(transcripts.c.id, transcripts.c.name))}
    cname_of = {c.id: c.name for c in case_rows}
    code_path = {r.id: p for p, r in code_rows.items()}
    turn_of = {r.id: (r.transcript_id, r.idx) for r in conn.execute(
        select(turns.c.id, turns.c.transcript_id, turns.c.idx).where(
            turns.c.id.in_([m.target_id for m in memo_rows if m.target_type == "turn" and m.target_id])))} \
        if any(m.target_type == "turn" for m in memo_rows) else {}
    coding_memo_targets: dict[int, str] = {}
    for m in memo_rows:
        guid = make_guid(key, "memo", str(m.id))
        target: Any = None
        if m.target_type == "transcript" and m.target_id in tname:
            target = tname[m.target_id]
            if m.target_id in source_guid:
                source_notes[m.target_id].append(guid)
        elif m.target_type == "turn" and m.target_id in turn_of:
            tid, idx = turn_of[m.target_id]
            target = [tname[tid], idx]
            if tid in source_guid:
                source_notes[tid].append(guid)
        elif m.target_type == "case" and m.target_id in cname_of:
            target = cname_of[m.target_id]
        elif m.target_type == "code" and m.target_id in code_path:
            target = code_path[m.target_id]
            code_notes[target].append(guid)
        elif m.target_type == "coding" and m.target_id is not None:
            coding_memo_targets[m.target_id] = guid
            target = None  # filled in with the coding's selection GUID below
        else:
            project_notes.append(guid)
        meta["notes"][guid] = {"kind": "memo", "target_type": m.target_type, "target": target}
        notes.append((guid, m.title, m.text, m.coder_id, m.created_at, m.updated_at))
    for c in code_items:
        if c.memo:
            guid = make_guid(key, "code-memo", c.path)
            code_notes[c.path].append(guid)
            meta["notes"][guid] = {"kind": "code_memo", "code": c.path}
            notes.append((guid, f"{c.name} (code memo)", c.memo, None, None, None))

    if code_items:
        code_elements(sub(sub(root, P, "CodeBook"), P, "Codes"), P, key, code_items, code_notes)
        meta["codes"] = {code_guid[c.path]: {"id": c.path, "order": c.order} for c in code_items}

    # Variables and cases.
    by_attr: dict[int, list[str]] = defaultdict(list)
    for v in values:
        if v.value is not None:
            by_attr[v.attribute_id].append(v.value)
    kinds = {a.id: variable_kind(a.type, by_attr[a.id]) for a in attr_rows}
    var_guid = {a.id: make_guid(key, "variable", a.name) for a in attr_rows}
    if attr_rows:
        variables = sub(root, P, "Variables")
        for a in attr_rows:
            sub(variables, P, "Variable", guid=var_guid[a.id], name=a.name, typeOfVariable=kinds[a.id])
            meta["attributes"][a.name] = a.type
    values_of: dict[int, list[Any]] = defaultdict(list)
    for v in values:
        values_of[v.case_id].append(v)
    sources_of: dict[int, list[int]] = defaultdict(list)
    for t in trs:
        sources_of[t.case_id].append(t.id)
    attr_order = {a.id: n for n, a in enumerate(attr_rows)}
    attr_name = {a.id: a.name for a in attr_rows}
    if case_rows:
        cases_el = sub(root, P, "Cases")
        for c in case_rows:
            case_el = sub(cases_el, P, "Case", guid=make_guid(key, "case", c.name), name=c.name)
            for v in sorted(values_of[c.id], key=lambda v: attr_order[v.attribute_id]):
                if v.value is None:
                    continue
                vv = sub(case_el, P, "VariableValue")
                sub(vv, P, "VariableRef", targetGUID=var_guid[v.attribute_id])
                _value_element(vv, kinds[v.attribute_id], v.value)
                if v.source:
                    meta["attribute_sources"].setdefault(c.name, {})[attr_name[v.attribute_id]] = v.source
            for tid in sources_of[c.id]:
                sub(case_el, P, "SourceRef", targetGUID=source_guid[tid])

    # Sources, their selections and codings.
    turn_rows: dict[int, list] = defaultdict(list)
    for r in conn.execute(select(turns).join(transcripts).where(transcripts.c.is_current.is_(True))
                          .order_by(turns.c.transcript_id, turns.c.idx)):
        turn_rows[r.transcript_id].append([r.idx, r.speaker, r.role, r.start_offset, r.end_offset, r.timestamp,
                                           r.end_timestamp])
    by_source: dict[int, list] = defaultdict(list)
    for r in coding_rows:
        by_source[r.transcript_id].append(r)
    files: list[tuple[str, str]] = []
    seen: dict[str, int] = {}
    n_codings = 0
    if trs:
        sources_el = sub(root, P, "Sources")
        case_name = {c.id: c.name for c in case_rows}
        for t in trs:
            guid = source_guid[t.id]
            files.append((guid, t.text))
            src = sub(sources_el, P, "TextSource", guid=guid, name=t.name, plainTextPath=f"internal://{guid}.txt",
                       creationDateTime=iso(t.imported_at))
            meta["sources"][guid] = {
                "name": t.name, "case": case_name.get(t.case_id), "language": t.language, "version": t.version,
                "source_format": t.source_format, "source_name": t.source_name, "encoding": t.encoding,
                "sha256": t.sha256, "imported_at": iso(t.imported_at), "turns": turn_rows.get(t.id, []),
            }
            for r in by_source.get(t.id, []):
                coder = coder_names.get(r.coder_id) if r.coder_id is not None else None
                natural = "\n".join(str(x) for x in (t.name, r.code_path, r.start_offset, r.end_offset, r.origin,
                                                      coder or "", r.rule_id or r.model_id or ""))
                seen[natural] = seen.get(natural, 0) + 1
                if seen[natural] > 1:
                    natural += f"\n{seen[natural]}"
                sel = sub(src, P, "PlainTextSelection", guid=make_guid(key, "selection", natural),
                           name=_excerpt(t.text[r.start_offset:r.end_offset]), startPosition=r.start_offset,
                           endPosition=r.end_offset, creatingUser=user_guid.get(r.coder_id),
                           creationDateTime=iso(r.created_at), modifiedDateTime=iso(r.updated_at))
                tag = provenance(r, coder_names)
                sub(sel, P, "Description", TAG + json.dumps(tag, ensure_ascii=False, separators=(",", ":")))
                coding_el = sub(sel, P, "Coding", guid=make_guid(key, "coding", natural),
                                 creatingUser=user_guid.get(r.coder_id), creationDateTime=iso(r.created_at))
                sub(coding_el, P, "CodeRef", targetGUID=code_guid[r.code_path])
                if r.memo:
                    note = make_guid(key, "coding-memo", natural)
                    sub(coding_el, P, "NoteRef", targetGUID=note)
                    meta["notes"][note] = {"kind": "coding_memo", "selection": sel.get("guid")}
                    notes.append((note, f"{r.code_path} (coding memo)", r.memo, r.coder_id, r.created_at,
                                  r.updated_at))
                if r.id in coding_memo_targets:
                    note = coding_memo_targets[r.id]
                    sub(coding_el, P, "NoteRef", targetGUID=note)
                    meta["notes"][note]["target"] = sel.get("guid")
                n_codings += 1
            for note in source_notes.get(t.id, []):
                sub(src, P, "NoteRef", targetGUID=note)

    if notes:
        notes_el = sub(root, P, "Notes")
        for guid, title, text, coder_id, created, updated in notes:
            note = sub(notes_el, P, "Note", guid=guid, name=title, creatingUser=user_guid.get(coder_id),
                        creationDateTime=iso(created), modifiedDateTime=iso(updated))
            sub(note, P, "PlainTextContent", text or "")
    for guid in project_notes:
        sub(root, P, "NoteRef", targetGUID=guid)

    for r in conn.execute(select(runs).order_by(runs.c.id)):
        meta["runs"].append({
            "id": r.id, "kind": r.kind, "codebook_name": r.codebook_name, "codebook_version": r.codebook_version,
            "codebook_sha256": r.codebook_sha256, "pipeline_version": r.pipeline_version, "params": r.params,
            "status": r.status, "coder": coder_names.get(r.coder_id), "started_at": iso(r.started_at),
            "finished_at": iso(r.finished_at), "stats": r.stats,
        })
    counts = dict(sources=len(trs), codes=len(code_items), codings=n_codings, users=len(coder_names),
                  cases=len(case_rows), variables=len(attr_rows), notes=len(notes))
    return root, files, meta, counts
