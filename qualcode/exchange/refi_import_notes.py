"""Reading the notes of a REFI-QDA project: memos, code memos and coding memos.

A Note's text is inline (<PlainTextContent>) or in a file its `plainTextPath` names. A
note written by qualcode says in `qualcode.json` what it was a memo of; a note from another
tool is a memo of whatever refers to it by <NoteRef> (a code, a source, a selection or
coding, or the project). Split from refi_import, whose reader this completes.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from qualcode.exchange.refi_codes import RefiCode, norm_guid, raw_guid
from qualcode.exchange.refi_plan import CodingPlan, NotePlan, Plan, QdpxImport, Skipped, when
from qualcode.exchange.refi_safe import Container, child, child_text, children
from qualcode.ingest.encoding import normalise


class NoteReader:
    """The notes half of refi_import's reader (it sets these attributes)."""

    root: etree._Element
    box: Container
    meta: dict | None
    plan: Plan
    result: QdpxImport
    users: dict[str, str]
    codes_by_id: dict[str, RefiCode]
    note_refs: dict[str, list[tuple[str, Any]]]
    by_selection: dict[str, list[CodingPlan]]

    def skip(self, kind: str, name: str, reason: str) -> None:
        self.result.skipped.append(Skipped(kind, name, reason))

    def _member(self, path: str) -> tuple[str | None, str | None]:
        raise NotImplementedError


    def _note_ref(self, ref: etree._Element, kind: str, target: Any) -> None:
        guid = norm_guid(ref.get("targetGUID"))
        if guid:
            self.note_refs.setdefault(guid, []).append((kind, target))

    def _note_text(self, note: etree._Element) -> str | None:
        content = child_text(note, "PlainTextContent")
        if content is None and note.get("plainTextPath"):
            member, _why = self._member(note.get("plainTextPath"))
            if member is not None:
                # QualCoder writes note files with a byte-order mark
                content = (self.box.read(member) or b"").decode("utf-8-sig", errors="replace")
        return None if content is None else normalise(content)

    def _notes(self) -> None:
        el = child(self.root, "Notes")
        known = (self.meta or {}).get("notes", {})
        for note in children(el, "Note") if el is not None else []:
            guid = norm_guid(note.get("guid")) or ""
            text = self._note_text(note)
            title = note.get("name")
            if text is None:
                self.skip("note", title or guid, "it has no text, or its text file is missing")
                continue
            user = norm_guid(note.get("creatingUser") or "")
            coder = self.users.get(user or "")
            created, updated = when(note.get("creationDateTime")), when(note.get("modifiedDateTime"))
            info = known.get(guid)
            self.result.memos += 1
            if isinstance(info, dict) and info.get("kind") == "code_memo":
                code = self.codes_by_id.get(info.get("code"))
                if code is not None:
                    code.memo = text
                    continue
            if isinstance(info, dict) and info.get("kind") == "coding_memo":
                found = self.by_selection.get(norm_guid(info.get("selection")) or "")
                if found:
                    found[0].memo = text
                    continue
            if isinstance(info, dict) and info.get("kind") == "memo":
                target_type, target = info.get("target_type"), info.get("target")
                if info.get("untitled"):  # the export named it for other tools; the memo had no title
                    title = None
                if target_type == "coding":
                    found = self.by_selection.get(norm_guid(target) or "")
                    target = found[0] if found else None
                    if found:
                        found[0].needs_id = True
                self.plan.notes.append(NotePlan(title, text, coder, created, updated, target_type or "project",
                                                target))
                continue
            description = child_text(note, "Description")
            if description and description.strip():
                text = f"{text}\n\n{description.strip()}" if text else description.strip()
            kept = raw_guid(note.get("guid")) if self.meta is None else None
            for kind, target in self.note_refs.get(guid) or [("project", None)]:
                if kind == "coding" and isinstance(target, CodingPlan):
                    target.memo = f"{target.memo}\n\n{text}" if target.memo else text
                elif kind == "selection":
                    for item in self.by_selection.get(target, []):
                        item.memo = f"{item.memo}\n\n{text}" if item.memo else text
                elif kind == "code" and target in self.codes_by_id:
                    code = self.codes_by_id[target]
                    code.memo = f"{code.memo}\n\n{text}" if code.memo else text
                elif kind == "transcript":
                    self.plan.notes.append(NotePlan(title, text, coder, created, updated, "transcript", target,
                                                    guid=kept))
                else:
                    self.plan.notes.append(NotePlan(title, text, coder, created, updated, guid=kept))
                kept = None  # a note referred to twice becomes two memos; only the first keeps its GUID
