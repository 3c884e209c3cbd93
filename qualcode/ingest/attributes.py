"""Case attributes: typed values (number, date, category, text) from a cases table or front matter.

A cases table (.csv/.xlsx) has one row per case, joined to transcripts by a case
id column (`case_id`, `case`, ...) or a file name column (`file`, with or without
the extension). The type of each attribute is inferred from all its values:
all numbers → number; all ISO dates (or dd.mm.yyyy) → date; long free text → text;
otherwise category.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from qualcode.errors import ImportFileError
from qualcode.ingest.tables import FILE_COLS, ID_COLS, _cell, _find, read_table

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_RU_DATE = re.compile(r"^\d{1,2}\.\d{1,2}\.\d{4}$")


@dataclass
class CasesTable:
    """Attributes per case, and which file names belong to which case."""

    source: str
    by_case: dict[str, dict[str, object]] = field(default_factory=dict)
    case_of_file: dict[str, str] = field(default_factory=dict)
    attributes_of_file: dict[str, dict[str, object]] = field(default_factory=dict)
    spelled: dict[str, str] = field(default_factory=dict)  # folded file name -> as the table writes it

    def lookup(self, file_name: str, case: str | None) -> tuple[str | None, dict[str, object]]:
        """The case and attributes for a transcript file: by case id first, then by file name, then
        by the file's stem as a case id (`Jessica.txt` is the row whose id is `jessica`); all
        case-insensitively."""
        if case and case in self.by_case:
            return case, self.by_case[case]
        folded = {k.casefold(): k for k in self.by_case}
        if case and case.casefold() in folded:
            found = folded[case.casefold()]
            return found, self.by_case[found]
        for key in (file_name.lower(), Path(file_name).stem.lower()):
            if key in self.case_of_file:
                found = self.case_of_file[key]
                return found, self.by_case.get(found, {})
            if key in self.attributes_of_file:
                return case, self.attributes_of_file[key]
        stem = Path(file_name).stem.casefold()
        if not case and stem in folded:
            found = folded[stem]
            return found, self.by_case[found]
        return case, {}

    def keys_of(self, case: str) -> set[str]:
        """What a transcript may be called to match this row: the id and its file names, folded."""
        keys = {case.casefold()}
        keys |= {Path(f).stem.casefold() for f, c in self.case_of_file.items() if c == case}
        return keys

    def split_unmatched(self, known: set[str]) -> list[str]:
        """Drop the rows that match no transcript (`known`: folded case ids, file names and stems);
        return their ids, so they are reported and not added as cases (unless asked)."""
        unmatched = [c for c in self.by_case if not (self.keys_of(c) & known)]
        for case in unmatched:
            del self.by_case[case]
        unmatched_files = [f for f in self.attributes_of_file
                           if Path(f).stem.casefold() not in known and f.casefold() not in known]
        for name in unmatched_files:
            del self.attributes_of_file[name]
        stems = dict.fromkeys(Path(f).stem for f in unmatched_files)
        return unmatched + [self.spelled.get(f, f) for f in stems]


def load_cases_table(data: bytes, file: str, suffix: str, id_column: str | None = None) -> CasesTable:
    frame = read_table(data, file, suffix)
    cols = list(frame.columns)
    if id_column is not None and id_column not in cols:
        raise ImportFileError("E984", file=file, column=id_column, found=", ".join(cols))
    case_col = id_column or _find(cols, ID_COLS)
    file_col = _find([c for c in cols if c != case_col], FILE_COLS)
    if case_col is None and file_col is None:
        raise ImportFileError(
            "E401", file=file, case_cols=", ".join(ID_COLS[:4]), file_cols=", ".join(FILE_COLS[:3]),
            found=", ".join(cols),
        )
    for col in cols:
        if not col.strip():
            raise ImportFileError("E407", file=file, attribute=col)
    table = CasesTable(source=file)
    attr_cols = [c for c in cols if c not in (case_col, file_col)]
    seen: dict[str, int] = {}
    for line, (_, row) in enumerate(frame.iterrows(), start=2):
        attrs = {c: row[c] for c in attr_cols if _cell(row[c])}
        if case_col and _cell(row[case_col]):
            case = _cell(row[case_col])
            if case in seen:
                raise ImportFileError("E402", file=file, line=line, case=case)
            seen[case] = line
            table.by_case[case] = attrs
            if file_col and _cell(row[file_col]):
                name = _cell(row[file_col]).lower()
                table.case_of_file[name] = case
                table.case_of_file[Path(name).stem] = case
        elif file_col and _cell(row[file_col]):
            name = _cell(row[file_col]).lower()
            table.spelled[Path(name).stem] = Path(_cell(row[file_col])).stem
            table.attributes_of_file[name] = attrs
            table.attributes_of_file[Path(name).stem] = attrs
    return table


def _as_number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip().replace(",", ".") if isinstance(value, str) else None
    if text is None or not text:
        return None
    try:
        return float(text)
    except ValueError:
        return None


def _as_date(value: object) -> str | None:
    if isinstance(value, dt.datetime | pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    if _ISO_DATE.match(text):
        try:
            return dt.date.fromisoformat(text).isoformat()
        except ValueError:
            return None
    if _RU_DATE.match(text):
        d, m, y = (int(p) for p in text.split("."))
        try:
            return dt.date(y, m, d).isoformat()
        except ValueError:
            return None
    return None


def infer_type(values: list[object]) -> str:
    present = [v for v in values if _cell(v)]
    if not present:
        return "category"
    if all(_as_number(v) is not None for v in present):
        return "number"
    if all(_as_date(v) is not None for v in present):
        return "date"
    if any(len(str(v)) > 80 for v in present):
        return "text"
    return "category"


def canonical(value: object, kind: str) -> tuple[str | None, float | None]:
    """(text, number) to store for `value` of attribute type `kind`."""
    if not _cell(value):
        return None, None
    if kind == "number":
        number = _as_number(value)
        if number is None:
            return str(value).strip(), None
        text = str(int(number)) if number.is_integer() else repr(number)
        return text, number
    if kind == "date":
        return _as_date(value) or str(value).strip(), None
    if isinstance(value, bool):
        return ("true" if value else "false"), None
    return str(value).strip(), None


def batch_keys(files: list[Path], max_bytes: int) -> set[str]:
    """What the transcripts of a batch may be matched by: file names, stems and, for text files,
    the `case:` of their front matter (folded). A file that cannot be read adds its name only."""
    from qualcode.ingest.encoding import decode
    from qualcode.ingest.frontmatter import split_front_matter

    keys: set[str] = set()
    for f in files:
        keys |= {f.name.casefold(), f.stem.casefold()}
        if f.suffix.lower() not in (".txt", ".md", ".markdown", ".text"):
            continue
        try:
            if f.stat().st_size > max_bytes:
                continue
            text, _ = decode(f.read_bytes(), str(f))
            fm = split_front_matter(text, str(f))
        except (OSError, ImportFileError):
            continue
        if fm is not None and fm.case:
            keys.add(str(fm.case).casefold())
    return keys
