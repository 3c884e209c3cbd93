"""What an import would make of files, shown before anything is stored (`qualcode import --preview`,
the Project page): the first turns, the speakers and roles and how they were found, the report and
its warnings. The same `read_file` and options as the import, so what is shown is what is stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from qualcode.errors import QualcodeError
from qualcode.ingest import ImportOptions, is_cases_table, read_file
from qualcode.ingest import paths as ingest_paths
from qualcode.ingest.highlights import is_highlights_file
from qualcode.model import ParsedTranscript

FIRST_TURNS = 8
TURN_CHARS = 160


@dataclass
class FilePreview:
    file: str
    kind: str  # transcript | cases | highlights | failed
    transcripts: list[ParsedTranscript] = field(default_factory=list)
    error: str | None = None


def preview(paths: list[str | Path], options: ImportOptions | None = None) -> list[FilePreview]:
    options = options or ImportOptions()
    files, _ = ingest_paths.expand(paths)
    out: list[FilePreview] = []
    for f in files:
        if is_highlights_file(f, options.max_bytes):
            out.append(FilePreview(str(f), "highlights"))
        elif is_cases_table(f, options):
            out.append(FilePreview(str(f), "cases"))
        else:
            try:
                out.append(FilePreview(str(f), "transcript", read_file(f, options)))
            except QualcodeError as exc:
                out.append(FilePreview(str(f), "failed", error=str(exc)))
    return out


def speakers(parsed: ParsedTranscript) -> list[dict[str, object]]:
    """One row per speaker: label, role, how found, turns, words — the table a user corrects."""
    how = {s: h for s, _, h in getattr(parsed.report, "speakers", [])}
    rows: dict[str | None, dict[str, object]] = {}
    for t in parsed.turns:
        row = rows.setdefault(t.speaker, {"speaker": t.speaker or "", "role": t.role,
                                          "how": how.get(t.speaker, ""), "turns": 0, "words": 0})
        row["turns"] = int(row["turns"]) + 1  # type: ignore[call-overload]
        row["words"] = int(row["words"]) + len(parsed.text[t.start:t.end].split())  # type: ignore[call-overload]
    return list(rows.values())


def first_turns(parsed: ParsedTranscript, n: int = FIRST_TURNS) -> list[tuple[int, str, str, str]]:
    """(index, speaker, role, words) of the first `n` turns, the words shortened."""
    out = []
    for t in parsed.turns[:n]:
        words = " ".join(parsed.text[t.start:t.end].split())
        out.append((t.index, t.speaker or "", t.role, words[:TURN_CHARS] + ("…" if len(words) > TURN_CHARS else "")))
    return out


def as_text(previews: list[FilePreview], n: int = FIRST_TURNS) -> str:
    lines: list[str] = []
    for p in previews:
        if p.kind == "failed":
            lines.append(f"FAIL {p.error}")
            continue
        if p.kind != "transcript":
            what = "a cases table (joined to the transcripts)" if p.kind == "cases" else \
                "a highlights table (imported as codings, located by their text)"
            lines.append(f"{p.file}: {what}")
            continue
        for parsed in p.transcripts:
            lines.append(f"{p.file} → {parsed.name}: {len(parsed.turns)} turns")
            if parsed.report is not None:
                lines.append(f"  {parsed.report.summary()}")  # type: ignore[attr-defined]
            lines.append("  speakers:")
            for row in speakers(parsed):
                lines.append(f"    {row['speaker'] or '(none)'}: {row['role']} ({row['how']}; "
                             f"{row['turns']} turns, {row['words']} words)")
            lines.append(f"  first {min(n, len(parsed.turns))} turns:")
            for index, speaker, role, words in first_turns(parsed, n):
                lines.append(f"    #{index} {speaker or '(none)'} [{role}]: {words}")
            for w in parsed.warnings:
                lines.append(f"  warning: {w}")
    lines.append("Nothing was stored (--preview). To correct roles, give --speaker-map with `Label: role` lines.")
    return "\n".join(lines)
