"""Reading a REFI-QDA project (.qdpx, or a bare .qde) into a qualcode project.

The file is read and checked completely first (see refi_safe), then written in ONE
transaction: a malformed or refused file changes nothing. Text sources become
transcripts (plain text from `sources/`, or the text of an enclosed .docx), stored with
the same function as any imported transcript; codes, users (as coders), variables (as case
attributes), selections with their codings, and notes (as memos) follow. PDF, picture,
audio and video sources, and text sources whose files are missing, are reported as
skipped with the reason. Codings from other tools get origin `import` and their creating
user as coder; codings exported by qualcode get back their origin, status, rule,
confidence, reviewer and run from their selection's provenance tag, and transcripts their
turns, language and case from `qualcode.json`.
"""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lxml import etree

from qualcode.errors import QualcodeError
from qualcode.exchange.refi_codes import RefiCode, norm_guid, raw_guid, read_codes
from qualcode.exchange.refi_export import META_FORMAT, META_MEMBER, PROJECT_NS
from qualcode.exchange.refi_export_project import is_date
from qualcode.exchange.refi_import_codings import CodingReader
from qualcode.exchange.refi_import_notes import NoteReader
from qualcode.exchange.refi_plan import (
    CodingPlan,
    NotePlan,
    Plan,
    QdpxImport,
    Skipped,
    TranscriptPlan,
)
from qualcode.exchange.refi_safe import (
    Container,
    RefiError,
    child,
    child_text,
    children,
    local,
    namespace,
    open_container,
    parse_xml,
    unsafe_reason,
)
from qualcode.exchange.refi_store import store
from qualcode.exchange.refi_text import SourceText
from qualcode.ingest import documents
from qualcode.ingest.encoding import decode, normalise
from qualcode.ingest.language import detect_language
from qualcode.ingest.turns import parse_text
from qualcode.model import LANGUAGES, ROLES, ParsedTranscript, Turn

if TYPE_CHECKING:
    from qualcode.project_core import ProjectCore as Project  # the layer below qualcode.project

NON_TEXT = {"PDFSource": "a PDF", "PictureSource": "a picture", "AudioSource": "an audio recording",
            "VideoSource": "a video"}
_EXTENSIONS = (".txt", ".docx", ".doc", ".rtf", ".odt", ".md", ".pdf")
_VALUE_TAGS = ("TextValue", "BooleanValue", "IntegerValue", "FloatValue", "DateValue", "DateTimeValue")


def _lost_codings(source: etree._Element) -> str:
    n = sum(1 for el in source.iter() if local(el) == "Coding")
    return f" ({n} coding(s) on it not imported)" if n else ""


def import_qdpx(project: Project, path: str | Path) -> QdpxImport:
    """Import a REFI-QDA project (.qdpx, or a bare .qde) into `project`, all or nothing.

    Meant for a new or empty project; transcripts whose names are already taken make the
    whole import fail (E808) with nothing stored. Returns counts, skipped items and warnings.
    """
    file = str(path)
    with open_container(path) as box:
        root = parse_xml(box.qde, file, box.qde_name)
        meta = box.read_json(META_MEMBER) if box.zf is not None else None
        if meta is not None and meta.get("format") != META_FORMAT:
            meta = None
        plan = _Reader(root, box, file, meta).read()
        plan.result.warnings[:0] = box.warnings
    return store(project, plan)


class _Reader(CodingReader, NoteReader):
    def __init__(self, root: etree._Element, box: Container, file: str, meta: dict | None) -> None:
        self.root, self.box, self.file, self.meta = root, box, file, meta
        self.plan = Plan(file, meta, result=QdpxImport(file))
        self.result = self.plan.result
        self.users: dict[str, str] = {}
        self.code_of: dict[str, str] = {}
        self.codes_by_id: dict[str, RefiCode] = {}
        self.note_refs: dict[str, list[tuple[str, Any]]] = {}
        self.by_selection: dict[str, list[CodingPlan]] = {}
        self.names: set[str] = set()
        self.unknown_users: set[str] = set()
        self.case_names: list[str] = []  # the file's cases, and those a <SourceRef> links to a source
        self.linked_cases: set[str] = set()
        self.sources_read: dict[str, tuple[TranscriptPlan, SourceText | None]] = {}
        self.foreign = meta is None  # another tool's file: keep its GUIDs for the re-export

    def keep_guid(self, kind: str, natural: str, value: str | None) -> None:
        guid = raw_guid(value)
        if self.foreign and guid:
            self.plan.guids.append((kind, natural, guid))

    def warn(self, text: str) -> None:
        self.result.warnings.append(f"{self.file}: {text}")

    def skip(self, kind: str, name: str, reason: str) -> None:
        self.result.skipped.append(Skipped(kind, name, reason))

    def read(self) -> Plan:
        root = self.root
        if local(root) != "Project":
            hint = " (a codebook: use import_qdc)" if local(root) == "CodeBook" else ""
            raise RefiError("E801", file=self.file, kind="QDPX project",
                            reason=f"the root element is <{local(root)}>, not <Project>{hint}")
        if namespace(root) != PROJECT_NS:
            self.warn(f"namespace '{namespace(root)}' instead of '{PROJECT_NS}'; read anyway.")
        users = child(root, "Users")
        for el in children(users, "User") if users is not None else []:
            guid = norm_guid(el.get("guid")) or el.get("guid") or ""
            name = (el.get("name") or el.get("id") or "").strip() or f"user {guid[:8]}"
            self.users[guid] = name
            if name not in self.plan.users:
                self.plan.users.append(name)
                self.keep_guid("user", name, el.get("guid"))
        self._codes()
        variables = self._variables()
        cases_of = self._cases(variables)
        sources = child(root, "Sources")
        for el in sources if sources is not None else []:
            kind = local(el)
            if kind == "TextSource":
                self._text_source(el, cases_of, variables)
            elif kind in NON_TEXT:
                name = el.get("name") or el.get("guid") or kind
                self.skip("source", name, f"{NON_TEXT[kind]} source; qualcode imports text sources only"
                          + _lost_codings(el))
        self._withheld()
        for ref in children(root, "NoteRef"):
            self._note_ref(ref, "project", None)
        description = child_text(root, "Description")
        if description and description.strip() and not self.meta:
            self.plan.notes.append(NotePlan("Project description", description.strip(), None, None, None))
            self.result.memos += 1  # stored as a project memo like any other, so counted in the summary
        self._notes()
        for tag, what in (("Links", "link"), ("Sets", "set"), ("Graphs", "graph")):
            el = child(root, tag)
            if el is not None and len(el):
                self.warn(f"{len(el)} {what}(s) not imported (qualcode has no {what}s).")
        if self.unknown_users:
            self.warn(f"{len(self.unknown_users)} creating user GUID(s) are not among <Users>; "
                      "their codings got a coder named after the GUID.")
        self.plan.users += sorted(f"user {g}" for g in self.unknown_users)
        return self.plan

    # --- codes, variables, cases ------------------------------------------------------------

    def _codes(self) -> None:
        book = child(self.root, "CodeBook")
        codes_el = child(book, "Codes") if book is not None else None
        if codes_el is None:
            return
        ids = {norm_guid(g) or g: v["id"] for g, v in (self.meta or {}).get("codes", {}).items()
               if isinstance(v, dict) and isinstance(v.get("id"), str)}
        order = {norm_guid(g) or g: v.get("order", 0) for g, v in (self.meta or {}).get("codes", {}).items()
                 if isinstance(v, dict)}
        self.plan.codes = read_codes(codes_el, self.file, self.result.warnings, set(), ids)
        for code in self.plan.codes:
            self.code_of.setdefault(code.guid, code.id)
            self.codes_by_id[code.id] = code
            if code.guid in order and isinstance(order[code.guid], int):
                code.order = order[code.guid]
        for el in codes_el.iter():
            if local(el) == "Code":
                code_guid = norm_guid(el.get("guid"))
                if code_guid in self.code_of:
                    self.keep_guid("code", self.code_of[code_guid], el.get("guid"))
                for ref in children(el, "NoteRef"):
                    self._note_ref(ref, "code", self.code_of.get(code_guid or ""))

    def _variables(self) -> dict[str, tuple[str, str]]:
        out: dict[str, tuple[str, str]] = {}
        el = child(self.root, "Variables")
        for var in children(el, "Variable") if el is not None else []:
            guid = norm_guid(var.get("guid")) or var.get("guid") or ""
            name = (var.get("name") or "").strip()
            if not name or name.lower() == "case":
                self.warn(f"variable {guid} has no usable name ({name!r}); its values were not imported.")
                continue
            out[guid] = (name, var.get("typeOfVariable") or "Text")
            self.keep_guid("variable", name, var.get("guid"))
        return out

    def _values(self, owner: etree._Element, variables: dict[str, tuple[str, str]]) -> dict[str, str]:
        values: dict[str, str] = {}
        for vv in children(owner, "VariableValue"):
            ref = child(vv, "VariableRef")
            guid = norm_guid(ref.get("targetGUID")) if ref is not None else None
            if guid not in variables:
                self.warn(f"a variable value refers to an unknown variable ({guid}); ignored.")
                continue
            value = next(((c.text or "").strip() for c in vv if local(c) in _VALUE_TAGS), None)
            if value:
                values[variables[guid][0]] = value
        return values

    def _cases(self, variables: dict[str, tuple[str, str]]) -> dict[str, str]:
        """Reads <Cases>; returns the case name of each source GUID."""
        cases_of: dict[str, str] = {}
        el = child(self.root, "Cases")
        for case in children(el, "Case") if el is not None else []:
            name = (case.get("name") or "").strip() or f"case {(case.get('guid') or '')[:8]}"
            self.plan.case_values.setdefault(name, {}).update(self._values(case, variables))
            self.case_names.append(name)
            self.keep_guid("case", name, case.get("guid"))
            self._description_memo(case, "case", name)
            for ref in children(case, "SourceRef"):
                self.linked_cases.add(name)
                guid = norm_guid(ref.get("targetGUID"))
                if guid in cases_of and cases_of[guid] != name:
                    self.warn(f"source {guid} belongs to cases '{cases_of[guid]}' and '{name}'; "
                              f"qualcode keeps one case per transcript: '{cases_of[guid]}'.")
                    continue
                cases_of[guid or ""] = name
            extra = len(children(case, "CodeRef")) + len(children(case, "SelectionRef"))
            if extra:
                self.warn(f"case '{name}': {extra} code/selection reference(s) not imported.")
        self._attribute_types(variables)
        return cases_of

    def _attribute_types(self, variables: dict[str, tuple[str, str]]) -> None:
        known = (self.meta or {}).get("attributes", {})
        all_values: dict[str, list[str]] = {}
        for vals in self.plan.case_values.values():
            for k, v in vals.items():
                all_values.setdefault(k, []).append(v)
        for name, kind in variables.values():
            if known.get(name) in ("number", "category", "date", "text"):
                self.plan.attribute_types[name] = known[name]
            elif kind in ("Integer", "Float"):
                self.plan.attribute_types[name] = "number"
            elif kind == "Date":
                self.plan.attribute_types[name] = "date"
            elif kind == "Boolean":
                self.plan.attribute_types[name] = "category"
            elif all_values.get(name) and all(is_date(v) for v in all_values[name]):
                # QualCoder has no date variables: it writes dates as text; they stay dates.
                self.plan.attribute_types[name] = "date"
            else:
                long = any(len(v) > 80 for v in all_values.get(name, []))
                self.plan.attribute_types[name] = "text" if long else "category"

    # --- sources ------------------------------------------------------------------------------

    def _member(self, path: str) -> tuple[str | None, str | None]:
        """The archive member a source path names, or (None, why not)."""
        value = path.strip()
        lower = value.lower()
        if lower.startswith("internal://"):
            value = value[len("internal://"):]
        elif "://" in value or lower.startswith("file:"):
            return None, f"its file '{path}' is outside the archive; qualcode reads only files inside it"
        value = value.lstrip("/")
        if unsafe_reason(value):
            return None, f"its file path '{path}' is unsafe ({unsafe_reason(value)})"
        for candidate in (f"sources/{value}", value):
            if self.box.has(candidate):
                return candidate, None
        return None, f"its file '{path}' is missing from the archive"

    def _source_name(self, el: etree._Element, guid: str) -> str:
        meta = (self.meta or {}).get("sources", {}).get(guid) or {}
        name = meta.get("name") if isinstance(meta.get("name"), str) else None
        if not name:
            name = (el.get("name") or "").strip()
            if name.lower().endswith(_EXTENSIONS):
                name = name.rsplit(".", 1)[0]
        if not name:
            plain = el.get("plainTextPath") or ""
            name = Path(plain.split("://")[-1]).stem if plain else ""
        name = name or guid
        base, n = name, 1
        while name in self.names:
            n += 1
            name = f"{base} ({n})"
        if name != base:
            self.warn(f"two sources are called '{base}'; the second was imported as '{name}'.")
        self.names.add(name)
        return name

    def _read_text(self, el: etree._Element, label: str) -> tuple[str | None, bytes, str, str | None]:
        """(raw text, its bytes, format, why there is none); raw is None when positions do not apply."""
        content = child_text(el, "PlainTextContent")
        reasons = []
        if content is not None and content.strip():
            return content, content.encode("utf-8"), "txt", None
        plain = el.get("plainTextPath")
        if plain:
            member, why = self._member(plain)
            if member is not None:
                data = self.box.read(member) or b""
                try:
                    raw = data.decode("utf-8")
                except UnicodeDecodeError:
                    try:
                        _, encoding = decode(data, f"{self.file}:{member}")
                        raw = data.decode(encoding)
                        self.warn(f"source '{label}': its text file is not UTF-8; read as {encoding}.")
                    except QualcodeError as exc:
                        return None, b"", "txt", f"its text file cannot be read: {exc}"
                if raw.strip():
                    return raw, data, "txt", None
                reasons.append("its plain-text file is empty")
            else:
                reasons.append(why)
        rich = el.get("richTextPath")
        if rich and rich.lower().endswith(".docx"):
            member, why = self._member(rich)
            if member is not None:
                data = self.box.read(member) or b""
                try:
                    text = normalise(documents.docx_text(data, f"{self.file}:{member}"))
                except QualcodeError as exc:
                    text, why = "", f"its .docx cannot be read: {exc}"
                if text.strip():
                    return None, data, "docx", text
                reasons.append(why or "its .docx has no text")
            else:
                reasons.append(why)
        if not plain and not rich and content is None:
            reasons.append("it names no text file and has no text")
        elif content is not None and not content.strip():
            reasons.append("its text is empty")
        return None, b"", "txt", "; ".join(r for r in reasons if r) or "no text"

    def _text_source(self, el: etree._Element, cases_of: dict[str, str],
                     variables: dict[str, tuple[str, str]]) -> None:
        guid = norm_guid(el.get("guid")) or el.get("guid") or str(uuid.uuid4())
        label = el.get("name") or guid
        raw, data, fmt, docx_or_reason = self._read_text(el, label)
        if raw is None and fmt != "docx":
            self.skip("source", label, (docx_or_reason or "no text") + _lost_codings(el))
            return
        name = self._source_name(el, guid)
        meta = (self.meta or {}).get("sources", {}).get(guid) or {}
        if raw is not None:
            source = SourceText(raw)
            text = source.text
        else:
            source, text = None, docx_or_reason or ""
        case = meta.get("case") if isinstance(meta.get("case"), str) else (
            cases_of.get(guid) or self._case_named(name, label) or name)
        self.keep_guid("source", name, el.get("guid"))
        values = self._values(el, variables)
        if values:
            self.plan.case_values.setdefault(case, {}).update(values)
        self.plan.case_values.setdefault(case, {})
        language = meta.get("language") if meta.get("language") in LANGUAGES else detect_language(text)
        parsed = ParsedTranscript(
            name=name, text=text, turns=self._turns(meta, text, name), source_format=str(meta.get("source_format")
                                                                                         or fmt)[:16],
            source_name=str(meta.get("source_name") or el.get("name") or name)[:500],
            sha256=meta.get("sha256") if isinstance(meta.get("sha256"), str) else hashlib.sha256(data).hexdigest(),
            language=language, case=case, encoding=meta.get("encoding") if "encoding" in meta else "utf_8",
        )
        plan = TranscriptPlan(guid, parsed)
        self.plan.transcripts.append(plan)
        self.sources_read[guid] = (plan, source)
        self._description_memo(el, "transcript", name)
        for ref in children(el, "NoteRef"):
            self._note_ref(ref, "transcript", name)
        selections = children(el, "PlainTextSelection")
        if source is None:
            for sel in selections:
                self.skip("selection", f"{name} {sel.get('startPosition')}-{sel.get('endPosition')}",
                          "its positions refer to the plain-text file, which is missing; the text was read from "
                          "the .docx, whose characters may differ")
            return
        if self.meta is None:
            spans = []
            for sel in selections:
                try:
                    spans.append((int(sel.get("startPosition")), int(sel.get("endPosition"))))
                except (TypeError, ValueError):
                    continue
            units, newlines = source.choose(spans)
            if (units, newlines) != ("cp", "raw"):
                how = {"u16": "UTF-16 code units", "cp": "characters"}[units]
                nl = " with CRLF line ends counted as two" if newlines == "raw" else " over \\n line ends"
                self.warn(f"source '{name}': positions are counted in {how}{nl} (as NVivo does), not in "
                          "characters as the standard says; they were converted.")
        for sel in selections:
            self._selection(sel, source, plan)
        for coding in children(el, "Coding"):  # a coding of the whole document
            self._coding(coding, None, (0, len(text)), None, None, plan)

    def _description_memo(self, el: etree._Element, target_type: str, target: str) -> None:
        """Another tool's memo on a case or source, which QualCoder and others keep in its <Description>."""
        text = (child_text(el, "Description") or "").strip()
        if text and self.foreign:
            self.plan.notes.append(NotePlan(None, normalise(text), None, None, None, target_type, target))
            self.result.memos += 1

    def _case_named(self, name: str, label: str) -> str | None:
        """The file's case that a source with no <SourceRef> belongs to by name, if one does.

        QualCoder links a case to its sources in its own tables and writes no <SourceRef> back,
        so case 'KZ01' and source 'kz01' (or 'kz01.txt') would become two cases."""
        wanted = {name.casefold(), label.casefold(), label.rsplit(".", 1)[0].casefold()}
        for case in self.case_names:
            if case not in self.linked_cases and case.casefold() in wanted:
                return case
        return None

    def _turns(self, meta: dict, text: str, name: str) -> list[Turn]:
        rows = meta.get("turns")
        if isinstance(rows, list):
            try:
                turns = [Turn(int(r[0]), r[1], str(r[2]), int(r[3]), int(r[4]),
                              None if r[5] is None else float(r[5]), None if r[6] is None else float(r[6]))
                         for r in rows]
                if all(t.role in ROLES and 0 <= t.start <= t.end <= len(text) for t in turns):
                    return turns
            except (TypeError, ValueError, IndexError):
                pass
            self.warn(f"transcript '{name}': the turns recorded in {META_MEMBER} do not fit its text; "
                      "they were found again from the text.")
        return parse_text(text)
