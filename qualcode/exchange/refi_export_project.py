"""Writing a project as a REFI-QDA project (.qdpx) that validates against Project-mrt2019.xsd.

What a QDPX carries, and where: coders as <User>s; codes with hierarchy, colour and
description in <CodeBook>; every current transcript as a <TextSource> with its text in
`sources/<guid>.txt` (UTF-8, positions are Python string offsets, the standard's
characters); every coding other tools should see as its own <PlainTextSelection> with one
<Coding> (creating user = coder), whose <Description> is the coding's memo, because that is
where QualCoder, ATLAS.ti and MAXQDA read a segment's memo; attributes as <Variables> with
typed <VariableValue>s on <Cases>, each case linked to its transcripts by <SourceRef> (and
its memos in its <Description>, the one place a case has for them);
memos and code memos as <Notes>, each with a creation date (QualCoder's importer fails on a
Note without one) and its text both inline and in a `sources/<guid>.txt` file named by
`plainTextPath` (tools that read only files get it too), referenced by <NoteRef>s where the
schema allows one.

Which codings other tools see: accepted ones, plus suggestions when asked
(`include_suggestions`); rejected codings never, since another tool would take them as
plain codings. qualcode's own provenance (origin, status, rule, confidence, reviewer,
run), the codings held back, and what the standard has no place for (turns, languages,
code ids, attribute types, runs, memo targets) go in a `qualcode.json` member that other
tools ignore, so a qualcode -> qualcode round trip loses nothing. GUIDs that another tool
gave to what was imported from it are written back unchanged (see refi_guids).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import zipfile
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lxml import etree
from sqlalchemy import Connection, select

from qualcode import __version__
from qualcode.exchange import refi_guids
from qualcode.exchange.refi_export import (
    META_FORMAT,
    META_MEMBER,
    PROJECT_NS,
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
from qualcode.wording import count

if TYPE_CHECKING:
    from qualcode.project_core import ProjectCore as Project  # the layer below qualcode.project

_INT = re.compile(r"^[+-]?\d+$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# --- variables ----------------------------------------------------------------------------

def _decimal(text: str) -> str | None:
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return format(number, "f") if number.is_finite() else None


def is_date(text: str) -> bool:
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
    if attr_type == "date" and values and all(is_date(v) for v in values):
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
    # Codings other tools do not see (only qualcode.json carries them), per status.
    withheld: dict[str, int] = field(default_factory=dict)

    def left_out(self) -> str:
        """What other tools will not see, in words ('' when nothing was left out)."""
        parts = [f"{n} {s} coding(s)" for s, n in self.withheld.items() if n]
        return " and ".join(parts)

    def summary(self, shown: str) -> str:
        """What was written, each count in the right number ("1 source", not "1 sources")."""
        return (f"{count(self.sources, 'source')}, {count(self.codes, 'code')}, "
                f"{count(self.codings, f'{shown} coding')}, {count(self.users, 'coder')}, "
                f"{count(self.cases, 'case')}, {count(self.notes, 'memo')}.")


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


def export_qdpx(project: Project, path: str | Path, *, include_suggestions: bool = False,
                statuses: Sequence[str] | None = None) -> QdpxExport:
    """Write the project as a REFI-QDA project (.qdpx) that validates against Project-mrt2019.xsd.

    Other tools see the accepted codings, and the rule and model suggestions too when
    `include_suggestions` is true; rejected codings never (`statuses`, if given, names the
    statuses to show instead; "rejected" is always dropped). The codings held back travel
    only in `qualcode.json`, so importing the file into qualcode gives back every coding.
    """
    path = Path(path)
    shown = {"accepted", "suggested"} if include_suggestions else {"accepted"}
    if statuses is not None:
        shown = set(statuses) - {"rejected"}
    with project.engine.connect() as conn:
        key = project_key(conn, Path(project.location).stem)
        info = queries.get_info(conn)
        root, files, meta, counts = _Builder(conn, key, info, shown).build(project.name)

    def write(fh: Any) -> None:
        with zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
            zf.writestr("project.qde", serialise(root))
            for member, text in files:
                zf.writestr(f"sources/{member}", text.encode("utf-8"))
            zf.writestr(META_MEMBER, json.dumps(meta, ensure_ascii=False, sort_keys=True, indent=1))

    write_atomically(path, write)
    return QdpxExport(path=path, **counts)


_TARGET_WORDS = {"project": "the project", "transcript": "transcript", "case": "case", "code": "code",
                 "coding": "a coding", "turn": "a turn"}


class _Builder:
    """One export: the rows it reads, the GUIDs it hands out and the parts it writes."""

    def __init__(self, conn: Connection, key: str, info: dict[str, str], shown: set[str]) -> None:
        self.conn, self.key, self.info, self.shown = conn, key, info, shown
        self.kept = refi_guids.kept(conn)
        self.files: list[tuple[str, str]] = []
        self.meta: dict[str, Any] = {
            "format": META_FORMAT, "version": 2, "qualcode": __version__, "key": key,
            "settings": {k: v for k, v in info.items() if k == "autocode_status"},
            "codes": {}, "sources": {}, "attributes": {}, "attribute_sources": {}, "notes": {}, "runs": [],
            "codings": {}, "withheld": [],
        }
        # A date for what has none stored (a code memo of an old project): the project's creation.
        self.fallback_time = iso(info.get("created_at")) or iso(queries.now())

    def guid(self, kind: str, natural: str, kept_as: str | None = None) -> str:
        """Another tool's GUID for this item if it came from one, else qualcode's derived GUID."""
        return self.kept.get((kind, kept_as if kept_as is not None else natural)) or make_guid(self.key, kind,
                                                                                               natural)

    def build(self, name: str) -> tuple[etree._Element, list[tuple[str, str]], dict, dict[str, int]]:
        conn, P = self.conn, PROJECT_NS  # P: short, it is on every element
        coder_names = {r.id: r.name for r in conn.execute(select(coders.c.id, coders.c.name).order_by(coders.c.id))}
        self.coder_names = coder_names
        self.user_guid = {cid: self.guid("user", n) for cid, n in coder_names.items()}
        code_items = project_codes(conn)
        code_rows = {r.path: r for r in conn.execute(select(codes.c.id, codes.c.path, codes.c.created_at,
                                                            codes.c.updated_at))}
        self.code_guid = {c.path: self.guid("code", c.path) for c in code_items}
        trs = conn.execute(select(transcripts).where(transcripts.c.is_current.is_(True))
                           .order_by(transcripts.c.name)).all()
        self.source_guid = {t.id: self.guid("source", t.name) for t in trs}
        case_rows = conn.execute(select(cases).order_by(cases.c.name)).all()
        attr_rows = conn.execute(select(attributes).order_by(attributes.c.id)).all()
        values = conn.execute(select(case_attributes)).all()
        # A deleted memo waits to be restored (qualcode.memos); it is not part of what is shared.
        memo_rows = conn.execute(select(memos).where(memos.c.deleted_at.is_(None)).order_by(memos.c.id)).all()
        coding_rows = conn.execute(
            select(codings, codes.c.path.label("code_path"), transcripts.c.name.label("tname"))
            .select_from(codings.join(transcripts).join(codes))
            .where(transcripts.c.is_current.is_(True))
            .order_by(transcripts.c.name, codings.c.start_offset, codings.c.end_offset, codes.c.path, codings.c.id)
        ).all()

        self.notes: list[tuple[str, str, str, int | None, str, Any]] = []  # guid, name, text, coder, created, updated
        self.code_notes: dict[str, list[str]] = defaultdict(list)
        self.source_notes: dict[int, list[str]] = defaultdict(list)
        self.project_notes: list[str] = []
        self.coding_memo_targets: dict[int, list[str]] = defaultdict(list)
        # A <Case> may hold no <NoteRef>: its memos also go in its <Description>, where QualCoder
        # and others read a case's memo (qualcode's own import reads the notes, not this).
        self.case_memos: dict[int, list[str]] = defaultdict(list)

        root = etree.Element(f"{{{P}}}Project", nsmap={None: P})
        set_attrs(root, name=name, origin=f"qualcode {__version__}", creationDateTime=iso(self.info.get("created_at")))
        if coder_names:
            users = sub(root, P, "Users")
            for cid, cname in coder_names.items():
                sub(users, P, "User", guid=self.user_guid[cid], name=cname)

        self._memo_notes(memo_rows, case_rows, code_rows, trs)
        for c in code_items:
            if c.memo:
                guid = self.guid("code-memo", c.path)
                self.code_notes[c.path].append(guid)
                self.meta["notes"][guid] = {"kind": "code_memo", "code": c.path}
                row = code_rows.get(c.path)
                created = iso(row.created_at) if row is not None else None
                self.notes.append((guid, f"{c.name} (code memo)", c.memo, None, created or self.fallback_time,
                                   row.updated_at if row is not None else None))

        if code_items:
            code_elements(sub(sub(root, P, "CodeBook"), P, "Codes"), P, self.key, code_items, self.code_notes,
                          self.code_guid)
            self.meta["codes"] = {self.code_guid[c.path]: {"id": c.path, "order": c.order} for c in code_items}
        self._cases(root, case_rows, attr_rows, values, trs)
        n_codings = self._sources(root, trs, case_rows, coding_rows)

        if self.notes:
            notes_el = sub(root, P, "Notes")
            for guid, title, text, coder_id, created, updated in self.notes:
                # The text twice: inline for tools that read the XML, and as a file for those
                # (QualCoder) that import only Notes with a plainTextPath.
                note = sub(notes_el, P, "Note", guid=guid, name=title, plainTextPath=f"internal://{guid}.txt",
                           creatingUser=self.user_guid.get(coder_id), creationDateTime=created,
                           modifiedDateTime=iso(updated))
                sub(note, P, "PlainTextContent", text or "")
                self.files.append((f"{guid}.txt", text or ""))
        for guid in self.project_notes:
            sub(root, P, "NoteRef", targetGUID=guid)

        for r in conn.execute(select(runs).order_by(runs.c.id)):
            self.meta["runs"].append({
                "id": r.id, "kind": r.kind, "codebook_name": r.codebook_name, "codebook_version": r.codebook_version,
                "codebook_sha256": r.codebook_sha256, "pipeline_version": r.pipeline_version, "params": r.params,
                "status": r.status, "coder": coder_names.get(r.coder_id), "started_at": iso(r.started_at),
                "finished_at": iso(r.finished_at), "stats": r.stats,
            })
        counts = dict(sources=len(trs), codes=len(code_items), codings=n_codings, users=len(coder_names),
                      cases=len(case_rows), variables=len(attr_rows), notes=len(self.notes),
                      withheld={s: sum(1 for w in self.meta["withheld"] if w["tag"]["status"] == s)
                                for s in ("suggested", "rejected")})
        return root, self.files, self.meta, counts

    def _memo_notes(self, memo_rows: list, case_rows: list, code_rows: dict, trs: list) -> None:
        """The memos table as Notes, referenced from what the schema lets refer to them."""
        conn = self.conn
        tname = {t.id: t.name for t in conn.execute(select(transcripts.c.id, transcripts.c.name))}
        cname_of = {c.id: c.name for c in case_rows}
        code_path = {r.id: p for p, r in code_rows.items()}
        turn_ids = [m.target_id for m in memo_rows if m.target_type == "turn" and m.target_id]
        turn_of = {r.id: (r.transcript_id, r.idx) for r in conn.execute(
            select(turns.c.id, turns.c.transcript_id, turns.c.idx).where(turns.c.id.in_(turn_ids)))} \
            if turn_ids else {}
        for m in memo_rows:
            guid = self.guid("memo", str(m.id))
            target: Any = None
            label = ""
            if m.target_type == "transcript" and m.target_id in tname:
                target = label = tname[m.target_id]
                if m.target_id in self.source_guid:
                    self.source_notes[m.target_id].append(guid)
            elif m.target_type == "turn" and m.target_id in turn_of:
                tid, idx = turn_of[m.target_id]
                target, label = [tname[tid], idx], f"{tname[tid]}, turn {idx}"
                if tid in self.source_guid:
                    self.source_notes[tid].append(guid)
            elif m.target_type == "case" and m.target_id in cname_of:
                target = label = cname_of[m.target_id]
                self.case_memos[m.target_id].append(f"{m.title}: {m.text}" if m.title else m.text)
            elif m.target_type == "code" and m.target_id in code_path:
                target = label = code_path[m.target_id]
                self.code_notes[target].append(guid)
            elif m.target_type == "coding" and m.target_id is not None:
                self.coding_memo_targets[m.target_id].append(guid)
                target = None  # filled in with the coding's selection GUID when it is written
            else:
                self.project_notes.append(guid)
            info: dict[str, Any] = {"kind": "memo", "target_type": m.target_type, "target": target}
            title = m.title
            if not title:  # other tools show a note by its name: give it one, and say it was not the memo's
                title = f"Memo on {_TARGET_WORDS.get(m.target_type, m.target_type)} {label}".strip()
                info["untitled"] = True
            self.meta["notes"][guid] = info
            self.notes.append((guid, title, m.text, m.coder_id, iso(m.created_at) or self.fallback_time,
                               m.updated_at))

    def _cases(self, root: etree._Element, case_rows: list, attr_rows: list, values: list, trs: list) -> None:
        P = PROJECT_NS
        by_attr: dict[int, list[str]] = defaultdict(list)
        for v in values:
            if v.value is not None:
                by_attr[v.attribute_id].append(v.value)
        kinds = {a.id: variable_kind(a.type, by_attr[a.id]) for a in attr_rows}
        var_guid = {a.id: self.guid("variable", a.name) for a in attr_rows}
        if attr_rows:
            variables = sub(root, P, "Variables")
            for a in attr_rows:
                sub(variables, P, "Variable", guid=var_guid[a.id], name=a.name, typeOfVariable=kinds[a.id])
                self.meta["attributes"][a.name] = a.type
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
                case_el = sub(cases_el, P, "Case", guid=self.guid("case", c.name), name=c.name)
                if self.case_memos.get(c.id):
                    sub(case_el, P, "Description", "\n\n".join(self.case_memos[c.id]))
                for v in sorted(values_of[c.id], key=lambda v: attr_order[v.attribute_id]):
                    if v.value is None:
                        continue
                    vv = sub(case_el, P, "VariableValue")
                    sub(vv, P, "VariableRef", targetGUID=var_guid[v.attribute_id])
                    _value_element(vv, kinds[v.attribute_id], v.value)
                    if v.source:
                        self.meta["attribute_sources"].setdefault(c.name, {})[attr_name[v.attribute_id]] = v.source
                for tid in sources_of[c.id]:
                    sub(case_el, P, "SourceRef", targetGUID=self.source_guid[tid])

    def _sources(self, root: etree._Element, trs: list, case_rows: list, coding_rows: list) -> int:
        P, conn = PROJECT_NS, self.conn
        turn_rows: dict[int, list] = defaultdict(list)
        for r in conn.execute(select(turns).join(transcripts).where(transcripts.c.is_current.is_(True))
                              .order_by(turns.c.transcript_id, turns.c.idx)):
            turn_rows[r.transcript_id].append([r.idx, r.speaker, r.role, r.start_offset, r.end_offset, r.timestamp,
                                               r.end_timestamp])
        by_source: dict[int, list] = defaultdict(list)
        for r in coding_rows:
            by_source[r.transcript_id].append(r)
        seen: dict[str, int] = {}
        n_codings = 0
        if not trs:
            return 0
        sources_el = sub(root, P, "Sources")
        case_name = {c.id: c.name for c in case_rows}
        for t in trs:
            guid = self.source_guid[t.id]
            self.files.append((f"{guid}.txt", t.text))
            src = sub(sources_el, P, "TextSource", guid=guid, name=t.name, plainTextPath=f"internal://{guid}.txt",
                      creationDateTime=iso(t.imported_at))
            self.meta["sources"][guid] = {
                "name": t.name, "case": case_name.get(t.case_id), "language": t.language, "version": t.version,
                "source_format": t.source_format, "source_name": t.source_name, "encoding": t.encoding,
                "sha256": t.sha256, "imported_at": iso(t.imported_at), "turns": turn_rows.get(t.id, []),
            }
            for r in by_source.get(t.id, []):
                coder = self.coder_names.get(r.coder_id) if r.coder_id is not None else None
                natural = "\n".join(str(x) for x in (t.name, r.code_path, r.start_offset, r.end_offset, r.origin,
                                                      coder or "", r.rule_id or r.model_id or ""))
                seen[natural] = seen.get(natural, 0) + 1
                if seen[natural] > 1:
                    natural += f"\n{seen[natural]}"
                sel_guid = self.guid("selection", natural, kept_as=str(r.id))
                tag = provenance(r, self.coder_names)
                notes = self.coding_memo_targets.get(r.id, [])
                for note in notes:
                    self.meta["notes"][note]["target"] = sel_guid
                if r.status not in self.shown:  # held back from other tools; kept for qualcode
                    self.meta["withheld"].append({
                        "selection": sel_guid, "source": guid, "code": self.code_guid[r.code_path],
                        "start": r.start_offset, "end": r.end_offset, "coder": coder, "memo": r.memo,
                        "created_at": iso(r.created_at), "updated_at": iso(r.updated_at), "tag": tag})
                    continue
                self.meta["codings"][sel_guid] = tag
                sel = sub(src, P, "PlainTextSelection", guid=sel_guid,
                          name=_excerpt(t.text[r.start_offset:r.end_offset]), startPosition=r.start_offset,
                          endPosition=r.end_offset, creatingUser=self.user_guid.get(r.coder_id),
                          creationDateTime=iso(r.created_at), modifiedDateTime=iso(r.updated_at))
                if r.memo:
                    sub(sel, P, "Description", r.memo)
                coding_el = sub(sel, P, "Coding", guid=self.guid("coding", natural, kept_as=str(r.id)),
                                creatingUser=self.user_guid.get(r.coder_id), creationDateTime=iso(r.created_at))
                sub(coding_el, P, "CodeRef", targetGUID=self.code_guid[r.code_path])
                for note in notes:
                    sub(coding_el, P, "NoteRef", targetGUID=note)
                n_codings += 1
            for note in self.source_notes.get(t.id, []):
                sub(src, P, "NoteRef", targetGUID=note)
        return n_codings
