"""Codings tables: one row per coding, in and out (CSV or JSON).

The columns are `transcript,case,code,start,end,text,speaker,role,coder,origin,rule,
status,confidence,run`. `start`/`end` are code-point offsets into the transcript
text; on import `text` must be what the transcript has there, so a table made
against another version of a transcript is refused instead of coding the wrong words.
A table of `transcript,code,quote` (no offsets) is imported too: each quote is looked up in its
transcript and must occur there exactly once.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from qualcode.codebook import CODE_ID
from qualcode.errors import QualcodeError
from qualcode.exchange.safe_csv import restore
from qualcode.ingest.encoding import decode
from qualcode.model import STATUSES

REQUIRED = ("transcript", "code", "start", "end", "text")
HUMAN_ORIGINS = ("manual", "import")


@dataclass
class CodingRow:
    line: int
    transcript: str
    code: str
    start: int
    end: int
    coder: str
    origin: str
    status: str
    confidence: float | None
    memo: str | None = None


@dataclass
class CodingsImport:
    """What `import_codings` did: rows imported, duplicates skipped, codes created."""

    file: str
    imported: int = 0
    duplicates: int = 0
    per_code: dict[str, int] = field(default_factory=dict)
    created_codes: list[str] = field(default_factory=list)


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def _project_codings(path: Path, coder: str | None) -> str:
    """Another project's human codings (manual and imported; one coder's if `coder` is given)
    as a codings table, so they pass the same checks as a CSV: a second coder can code a copy
    of the project apart, and the two are brought together to compare."""
    from qualcode.project_core import ProjectCore as Project  # the layer below qualcode.project

    with Project.open(path) as other:
        frame = other.codings(origin=list(HUMAN_ORIGINS))
    if coder is not None:
        if coder not in set(frame["coder"].dropna()):
            known = ", ".join(sorted(set(frame["coder"].dropna()))) or "(none)"
            raise QualcodeError("E702", file=str(path), line=1, field="coder", value=coder,
                                reason="has no codings in that project", fix=f"use one of: {known}")
        frame = frame[frame["coder"] == coder]
    columns = ["transcript", "code", "start", "end", "text", "coder", "origin", "status", "confidence", "memo"]
    return frame[columns].to_csv(index=False)


def _fold(problems: list[str], kinds: list[tuple[str, str]], shown: int = 3, limit: int = 25) -> str:
    """The problems as lines, with a repeated kind (every row's origin is 'rule', say) shown
    three times and then counted, so one mistake in a whole column reads as one message."""
    lines: list[str] = []
    seen: dict[tuple[str, str], int] = {}
    for problem, kind in zip(problems, kinds, strict=True):
        seen[kind] = seen.get(kind, 0) + 1
        if seen[kind] <= shown and len(lines) < limit:
            lines.append(f"  - {problem}")
    for (fld, reason), n in seen.items():
        if n > shown:
            lines.append(f"  - ... and {n - shown} more row(s) where {fld} {reason}")
    return "\n".join(lines)


def _xlsx_text(data: bytes, file: str) -> str:
    """An .xlsx codings table as CSV text; a damaged file or a zip bomb is a numbered error
    (E208, E804), not a BadZipFile traceback."""
    import pandas as pd

    from qualcode.exchange import refi_safe

    problem = refi_safe.zip_limits_problem(data)
    if problem:
        raise QualcodeError("E804", file=file, reason=problem)
    try:
        return pd.read_excel(io.BytesIO(data), dtype=str).fillna("").to_csv(index=False)
    except Exception as exc:  # openpyxl and zipfile raise many kinds for a broken workbook
        raise QualcodeError("E208", file=file, kind="XLSX", reason=f"{type(exc).__name__}: {exc}") from None


def _records(reader: csv.DictReader, file: str):
    """(line, row) of a codings table; a cell over the csv module's limit (131,072 characters,
    usually a lost closing quote that swallows the rest of the file) is E956, not a traceback."""
    rows = iter(reader)
    line = 1  # the header; rows are numbered as before (one per record), a spreadsheet's row numbers
    while True:
        try:
            rec = next(rows)
        except StopIteration:
            return
        except csv.Error as exc:
            if "field larger than field limit" in str(exc):
                raise QualcodeError("E956", file=file, line=reader.line_num, limit=csv.field_size_limit()) from None
            raise QualcodeError("E406", file=file, reason=f"line {reader.line_num}: {exc}") from None
        line += 1
        yield line, rec


def read_rows(path: str | Path, texts: dict[str, str], codes: set[str], *, coder: str | None,
              create_codes: bool) -> list[CodingRow]:
    """Parse and check a codings CSV against the project's transcripts and codes.

    Every bad row is reported (up to 25) in one E708 error, and nothing is imported.
    """
    path = Path(path)
    file = str(path)
    if not path.exists():
        raise QualcodeError("E201", file=file)
    if path.suffix.lower() not in (".csv", ".tsv", ".txt", ".xlsx", ".qcdb"):
        raise QualcodeError("E202", file=file, ext=path.suffix or "(none)",
                            supported=".csv, .tsv, .xlsx, or another project (.qcdb)")
    data = path.read_bytes()
    if not data.strip():
        raise QualcodeError("E203" if not data else "E204", file=file)
    if path.suffix.lower() == ".qcdb":
        text, coder = _project_codings(path, coder), None
    elif path.suffix.lower() == ".xlsx":
        text = _xlsx_text(data, file)
    else:
        text, _enc = decode(data, file)
    # Excel in a Russian (or German, ...) locale writes `;`-separated files.
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    # A hand-made table often has the coded words only (`transcript,code,quote`): each quote is then
    # looked up in its transcript, where it must occur once.
    by_quote = "quote" in header and "start" not in header and "end" not in header
    for column in (("transcript", "code", "quote") if by_quote else REQUIRED):
        if column not in header:
            raise QualcodeError("E701", file=file, line=1, column=column,
                                expected=",".join(REQUIRED) + " (and optionally coder,origin,status,confidence,memo)"
                                "; or transcript,code,quote, each quote found once in its transcript")
    problems: list[str] = []
    kinds: list[tuple[str, str]] = []  # (field, reason) of each problem, to fold repeats
    rows: list[CodingRow] = []

    def bad(line: int, fld: str, value: object, reason: str, fix: str) -> None:
        problems.append(str(QualcodeError("E702", file=file, line=line, field=fld, value=value, reason=reason,
                                          fix=fix)))
        kinds.append((fld, reason))

    for line, rec in _records(reader, file):
        # restore: a cell our own CSV export marked with ' against spreadsheet formulas reads as it was
        rec = {k: restore(v or "").strip() if k != "text" else restore(v or "") for k, v in rec.items() if k}
        name, code_id = rec["transcript"], rec["code"]
        if name not in texts:
            bad(line, "transcript", name, "is not in the project",
                f"use a transcript name from `qualcode transcripts` ({', '.join(sorted(texts)[:5])}...)")
            continue
        if code_id not in codes and not create_codes:
            import difflib

            near = difflib.get_close_matches(code_id, sorted(codes), n=1)
            bad(line, "code", code_id, "is not a code of the project",
                (f"did you mean '{near[0]}'? " if near else "") + "code with the codebook first "
                "(`qualcode code`), or pass --create-codes")
            continue
        if code_id not in codes and not CODE_ID.match(code_id):  # the rule add_code applies (E740)
            bad(line, "code", code_id, "is not a valid code id to create",
                "use letters, digits and _, in parts joined by dots, each part starting with a letter "
                "(push.housing)")
            continue
        if by_quote:
            full, quote = texts[name], rec["quote"]
            found = full.count(quote) if quote else 0
            if found != 1:
                bad(line, "quote", quote[:80], "is empty" if not quote else
                    "is not in the transcript" if not found else f"occurs {found} times in the transcript",
                    "copy the words exactly as the transcript has them" if not found else
                    "make the quote longer, so that it occurs once, or give start,end,text columns instead")
                continue
            at = full.find(quote)
            rec["start"], rec["end"], rec["text"] = str(at), str(at + len(quote)), quote
        try:
            start, end = int(rec["start"]), int(rec["end"])
        except ValueError:
            bad(line, "start/end", f"{rec['start']}/{rec['end']}", "are not whole numbers",
                "give character offsets into the transcript text, e.g. 120 and 245")
            continue
        full = texts[name]
        if not 0 <= start < end <= len(full):
            bad(line, "start/end", f"{start}/{end}", f"are outside the transcript (0-{len(full)}) or empty",
                "start must be below end, both within the text")
            continue
        if _norm(full[start:end]) != _norm(rec["text"]):
            at = full.find(rec["text"].strip()) if rec["text"].strip() else -1
            hint = (f"That text is at {at}-{at + len(rec['text'].strip())}: fix start/end."
                    if at >= 0 else "The table may have been made against another version of the transcript.")
            problems.append(str(QualcodeError("E703", file=file, line=line, start=start, end=end,
                                              given=rec["text"][:80], found=full[start:end][:80], hint=hint)))
            kinds.append(("text", "does not match"))
            continue
        who = rec.get("coder") or coder
        if not who:
            bad(line, "coder", "", "is empty", "fill the coder column or pass --coder NAME")
            continue
        origin = rec.get("origin") or "import"
        if origin not in HUMAN_ORIGINS:
            bad(line, "origin", origin, "cannot be imported as a human coding",
                "leave it empty (import), or write manual; rule codings are made by `qualcode code` (from a "
                "`qualcode codings` export, drop the origin, status and rule columns)")
            continue
        status = rec.get("status") or "accepted"
        if status not in STATUSES:
            bad(line, "status", status, "is not a status", f"use one of {', '.join(STATUSES)}")
            continue
        confidence = None
        if rec.get("confidence"):
            try:
                confidence = float(rec["confidence"])
            except ValueError:
                confidence = -1.0
            if not 0 <= confidence <= 1:
                bad(line, "confidence", rec["confidence"], "is not a number from 0 to 1", "leave it empty or "
                    "give e.g. 0.8")
                continue
        rows.append(CodingRow(line, name, code_id, start, end, who, origin, status, confidence,
                              rec.get("memo") or None))
    if problems:
        raise QualcodeError("E708", file=file, n=len(problems), details=_fold(problems, kinds))
    return rows
