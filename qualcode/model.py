"""Plain data records that flow between the readers, the store and the doors.

They hold no behaviour beyond small conveniences, so every door (browser, CLI,
script) can build and read them without touching the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Role = Literal["interviewer", "respondent", "other"]
ROLES: tuple[str, ...] = ("interviewer", "respondent", "other")
Origin = Literal["manual", "rule", "model", "import"]
ORIGINS: tuple[str, ...] = ("manual", "rule", "model", "import")
Status = Literal["suggested", "accepted", "rejected"]
STATUSES: tuple[str, ...] = ("suggested", "accepted", "rejected")
LANGUAGES: tuple[str, ...] = ("en", "ru", "kk")


@dataclass
class Turn:
    """One speaker's contribution. `start`/`end` index the transcript text (code points)."""

    index: int
    speaker: str | None
    role: str
    start: int
    end: int
    timestamp: float | None = None
    end_timestamp: float | None = None


@dataclass
class ParsedTranscript:
    """What a reader makes of one interview, before it is stored.

    `text` is already normalised (NFC, `\\n` newlines, no BOM); offsets of turns
    point into it. `sha256` is of the original file's bytes.
    """

    name: str
    text: str
    turns: list[Turn]
    source_format: str
    source_name: str
    sha256: str
    language: str | None = None
    case: str | None = None
    encoding: str | None = None
    attributes: dict[str, object] = field(default_factory=dict)
    speaker_roles: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    report: object | None = None  # qualcode.ingest.report.TurnReport: share in turns, speakers and how

    @property
    def word_count(self) -> int:
        return len(self.text.split())


@dataclass
class ImportResult:
    """The outcome for one input file: `status` is imported, skipped or failed."""

    file: str
    status: Literal["imported", "skipped", "failed"]
    message: str
    transcripts: list[str] = field(default_factory=list)
    turns: int = 0
    words: int = 0
    warnings: list[str] = field(default_factory=list)
    error_code: str | None = None
    error: Exception | None = field(default=None, repr=False, compare=False)
    reports: list[str] = field(default_factory=list)  # one import report line per stored transcript


@dataclass
class ImportReport:
    """Results of a batch import, one per input file, in input order."""

    results: list[ImportResult] = field(default_factory=list)

    @property
    def imported(self) -> list[ImportResult]:
        return [r for r in self.results if r.status == "imported"]

    @property
    def failed(self) -> list[ImportResult]:
        return [r for r in self.results if r.status == "failed"]

    @property
    def skipped(self) -> list[ImportResult]:
        return [r for r in self.results if r.status == "skipped"]

    @property
    def ok(self) -> bool:
        return not self.failed


@dataclass
class Run:
    """One auto-coding pass with one codebook version, and what it changed.

    `counts` is codings per code in this run; `added`/`removed` compare with the rule
    codings the run replaced (per code), so a researcher sees what a codebook edit did.
    """

    id: int | None
    codebook_name: str
    codebook_version: str
    codebook_sha256: str
    pipeline_versions: dict[str, str]
    status: str
    transcripts: list[str]
    counts: dict[str, int]
    added: dict[str, list[tuple[str, int, int]]] = field(default_factory=dict)
    removed: dict[str, list[tuple[str, int, int]]] = field(default_factory=dict)
    carried_over: int = 0
    analysed: int = 0
    cached: int = 0
    words: int = 0
    dry_run: bool = False
    coding_status: str = "suggested"
    warnings: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())
