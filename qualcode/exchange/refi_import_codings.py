"""Reading the selections and codings of a REFI-QDA project.

A <PlainTextSelection> with one or more <Coding>s becomes that many codings over the
selection's span (mapped into qualcode's normalised text, see refi_text). A coding's memo is
its selection's <Description>. A file written by qualcode carries each coding's provenance
(origin, status, rule, confidence, reviewer, run) in `qualcode.json`, keyed by the selection
GUID, and the codings it held back from other tools (suggestions, rejected ones) there too;
a qualcode file from before that (version 1) has the provenance as a tag in the description.
Split from refi_import, whose reader this completes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lxml import etree

from qualcode.exchange.refi_codes import norm_guid, raw_guid
from qualcode.exchange.refi_plan import CodingPlan, Plan, QdpxImport, Skipped, TranscriptPlan, parse_tag, when
from qualcode.exchange.refi_safe import child, child_text, children
from qualcode.exchange.refi_text import SourceText
from qualcode.model import ORIGINS, STATUSES


class CodingReader:
    """The codings half of refi_import's reader (it sets these attributes)."""

    meta: dict | None
    plan: Plan
    result: QdpxImport
    users: dict[str, str]
    code_of: dict[str, str]
    by_selection: dict[str, list[CodingPlan]]
    unknown_users: set[str]
    sources_read: dict[str, tuple[TranscriptPlan, SourceText | None]]
    foreign: bool

    _note_ref: Callable[[etree._Element, str, Any], None]  # from NoteReader

    def skip(self, kind: str, name: str, reason: str) -> None:
        self.result.skipped.append(Skipped(kind, name, reason))

    def _withheld(self) -> None:
        """Codings a qualcode export held back from other tools (suggestions, rejected): in qualcode.json."""
        rows = (self.meta or {}).get("withheld") or []
        for w in rows if isinstance(rows, list) else []:
            if not isinstance(w, dict) or not isinstance(w.get("tag"), dict):
                continue
            plan, source = self.sources_read.get(norm_guid(w.get("source")) or "", (None, None))
            code = self.code_of.get(norm_guid(w.get("code")) or "")
            label = f"{plan.parsed.name if plan else w.get('source')} {w.get('start')}-{w.get('end')}"
            span = source.map(w["start"], w["end"]) if (
                source is not None and isinstance(w.get("start"), int) and isinstance(w.get("end"), int)) else None
            if plan is None or code is None or span is None:
                self.skip("coding", label, "a coding recorded in qualcode.json whose source, code or span is not "
                                           "in the file")
                continue
            coder = w.get("coder") if isinstance(w.get("coder"), str) else None
            if coder and coder not in self.plan.users:
                self.plan.users.append(coder)
            created = when(w.get("created_at")) if isinstance(w.get("created_at"), str) else None
            updated = when(w.get("updated_at")) if isinstance(w.get("updated_at"), str) else None
            item = CodingPlan(code, span[0], span[1], coder, created_at=created, updated_at=updated or created,
                              memo=w.get("memo") if isinstance(w.get("memo"), str) else None,
                              selection=norm_guid(w.get("selection")))
            self._apply_tag(item, w["tag"], source)
            plan.codings.append(item)
            if item.selection:
                self.by_selection.setdefault(item.selection, []).append(item)


    def _selection(self, sel: etree._Element, source: SourceText, plan: TranscriptPlan) -> None:
        name = plan.parsed.name
        sel_guid = norm_guid(sel.get("guid")) or sel.get("guid") or ""
        try:
            start, end = int(sel.get("startPosition")), int(sel.get("endPosition"))
        except (TypeError, ValueError):
            self.skip("selection", f"{name} {sel_guid}", "its start/end positions are not numbers")
            return
        label = f"{name} {start}-{end}"
        if start > end:
            self.skip("selection", label, "it starts after it ends")
            return
        span = source.map(start, end)
        if span is None:
            why = (f"it lies outside the text ({source.length()} characters)" if source.exact else
                   "positions in this text cannot be followed through Unicode normalisation")
            self.skip("selection", label, why)
            return
        codings = children(sel, "Coding")
        if not codings:
            self.skip("selection", label, "it has no coding (qualcode keeps coded segments only)")
            return
        description = child_text(sel, "Description")
        tag = ((self.meta or {}).get("codings") or {}).get(sel_guid)
        if isinstance(tag, dict):  # qualcode's provenance travels in qualcode.json; the description is the memo
            rest = description.strip() if description and description.strip() else None
        else:  # another tool's memo, or a qualcode file from before version 2 (tag in the description)
            tag, rest = parse_tag(description)
        for coding in codings:
            self._coding(coding, sel, span, tag, rest, plan, source)
        for ref in children(sel, "NoteRef"):
            self._note_ref(ref, "selection", sel_guid)

    def _coding(self, coding: etree._Element, sel: etree._Element | None, span: tuple[int, int], tag: dict | None,
                rest: str | None, plan: TranscriptPlan, source: SourceText | None = None) -> None:
        ref = child(coding, "CodeRef")
        code_guid = norm_guid(ref.get("targetGUID")) if ref is not None else None
        label = f"{plan.parsed.name} {span[0]}-{span[1]}"
        if code_guid not in self.code_of:
            self.skip("coding", label, f"it refers to code {code_guid}, which is not in the codebook")
            return
        user = coding.get("creatingUser") or (sel.get("creatingUser") if sel is not None else None)
        coder = None
        if user:
            key = norm_guid(user) or user
            coder = self.users.get(key)
            if coder is None:
                self.unknown_users.add(key)
                coder = f"user {key}"
        created = when(coding.get("creationDateTime")) or (when(sel.get("creationDateTime")) if sel is not None
                                                           else None)
        updated = (when(sel.get("modifiedDateTime")) if sel is not None else None) or created
        item = CodingPlan(self.code_of[code_guid], span[0], span[1], coder, created_at=created, updated_at=updated,
                          memo=rest, selection=(norm_guid(sel.get("guid")) or sel.get("guid")) if sel is not None
                          else None)
        if self.foreign:
            item.kept_guids = (raw_guid(sel.get("guid")) if sel is not None else None, raw_guid(coding.get("guid")))
        if tag is not None:
            self._apply_tag(item, tag, source)
        plan.codings.append(item)
        if item.selection:
            self.by_selection.setdefault(item.selection, []).append(item)
        for note in children(coding, "NoteRef"):
            self._note_ref(note, "coding", item)

    def _apply_tag(self, item: CodingPlan, tag: dict, source: SourceText | None) -> None:
        item.origin = tag.get("origin") if tag.get("origin") in ORIGINS else "import"
        item.status = tag.get("status") if tag.get("status") in STATUSES else "accepted"
        item.rule = tag.get("rule") if isinstance(tag.get("rule"), str) else None
        item.model = tag.get("model") if isinstance(tag.get("model"), str) else None
        confidence = tag.get("confidence")
        if isinstance(confidence, int | float) and 0 <= confidence <= 1:
            item.confidence = float(confidence)
        item.run = tag.get("run") if isinstance(tag.get("run"), int) else None
        match = tag.get("match")
        if isinstance(match, list) and len(match) == 2 and all(isinstance(m, int) for m in match) and source:
            item.match = source.map(match[0], match[1])
        item.reviewer = tag.get("reviewer") if isinstance(tag.get("reviewer"), str) else None
        item.reviewed_at = when(tag.get("reviewed_at")) if isinstance(tag.get("reviewed_at"), str) else None
