"""The plan of a REFI-QDA project import: what the file will add, read and checked before
anything is stored, and the result the import returns."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from qualcode.exchange.refi_codes import RefiCode
from qualcode.exchange.refi_export import TAG
from qualcode.model import ParsedTranscript


@dataclass
class Skipped:
    """Something in the file that was not imported, and why."""

    kind: str  # source, selection, coding, note, run
    name: str
    reason: str

    def __str__(self) -> str:
        return f"{self.kind} '{self.name}': {self.reason}"


@dataclass
class QdpxImport:
    """What `import_qdpx` stored: counts, the transcripts, what was skipped and the warnings."""

    file: str
    transcripts: list[str] = field(default_factory=list)
    codes: int = 0
    codings: int = 0
    coders: int = 0
    cases: int = 0
    attributes: int = 0
    memos: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def sources(self) -> int:
        return len(self.transcripts)

    def summary(self) -> str:
        return (f"{self.file}: imported {self.sources} source(s) as transcripts, {self.codes} code(s), "
                f"{self.codings} coding(s), {self.coders} coder(s), {self.cases} case(s), "
                f"{self.attributes} attribute(s), {self.memos} memo(s); {len(self.skipped)} skipped")


@dataclass
class CodingPlan:
    code: str
    start: int
    end: int
    coder: str | None
    origin: str = "import"
    status: str = "accepted"
    rule: str | None = None
    model: str | None = None
    confidence: float | None = None
    run: int | None = None
    match: tuple[int, int] | None = None
    reviewer: str | None = None
    reviewed_at: dt.datetime | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    memo: str | None = None
    selection: str | None = None
    needs_id: bool = False
    id: int | None = None  # set when stored, for a memo that points at it
    # Another tool's GUIDs of the selection and the coding, kept for the re-export (refi_guids).
    kept_guids: tuple[str | None, str | None] | None = None


@dataclass
class TranscriptPlan:
    guid: str
    parsed: ParsedTranscript
    codings: list[CodingPlan] = field(default_factory=list)


@dataclass
class NotePlan:
    title: str | None
    text: str
    coder: str | None
    created_at: dt.datetime | None
    updated_at: dt.datetime | None
    target_type: str = "project"
    target: Any = None
    guid: str | None = None  # another tool's GUID of the note, kept for the re-export


@dataclass
class Plan:
    """Everything the file will add, checked, before the transaction that stores it."""

    file: str
    meta: dict | None
    users: list[str] = field(default_factory=list)
    codes: list[RefiCode] = field(default_factory=list)
    transcripts: list[TranscriptPlan] = field(default_factory=list)
    case_values: dict[str, dict[str, str]] = field(default_factory=dict)
    attribute_types: dict[str, str] = field(default_factory=dict)
    notes: list[NotePlan] = field(default_factory=list)
    result: QdpxImport | None = None
    # (kind, natural key, GUID) of what another tool named: kept for the re-export (refi_guids).
    guids: list[tuple[str, str, str]] = field(default_factory=list)


def when(text: str | None) -> dt.datetime | None:
    """An xsd:dateTime as a UTC datetime; None when absent or unreadable."""
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def parse_tag(description: str | None) -> tuple[dict | None, str | None]:
    """A selection description → (qualcode provenance tag or None, the rest of the text or None)."""
    if not description:
        return None, None
    first, _, rest = description.partition("\n")
    if first.startswith(TAG):
        try:
            tag = json.loads(first[len(TAG):])
        except ValueError:
            tag = None
        if isinstance(tag, dict):
            return tag, rest.strip() or None
    return None, description.strip() or None
