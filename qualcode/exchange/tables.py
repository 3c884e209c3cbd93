"""Coded tables for analysts, and the files they go into: CSV, XLSX, Parquet, SPSS and Stata.

The builders turn a `Project` into flat DataFrames: coded segments (one row per
coding), the case × code matrix, typology assignments and the codebook. `write`
puts them in a file without losing anything a format can hold: Cyrillic text
everywhere, code ids turned into legal SPSS/Stata variable names with the id and
code name kept as the variable label, 0/1 code columns labelled absent/present.
Every renamed column is reported, so the user can find `push.unemployment` again
as `push_unemployment`.

Column naming: case attributes keep their own names; one that clashes with a
column the table already has (a coding column such as `text`, or a code id in
the matrix, e.g. the attribute `gender` next to the code `gender`) is written as
`attr_<name>`. `code_path` is the code's ancestry by *names*, root first, joined
by " > " ("Push factors > No work at origin"); the dotted id is the `code` column.
Builders attach variable and value labels in `frame.attrs["labels"]` and
`frame.attrs["value_labels"]`; `write` uses them for SPSS and Stata.
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from qualcode.errors import QualcodeError
from qualcode.exchange import safe_csv
from qualcode.files import atomic_path
from qualcode.model import STATUSES

FORMATS = ("csv", "xlsx", "parquet", "sav", "dta")
EXTENSIONS = {".csv": "csv", ".xlsx": "xlsx", ".parquet": "parquet", ".pq": "parquet", ".sav": "sav",
              ".dta": "dta"}
ONE_TABLE = ("csv", "parquet", "sav", "dta")
ATTR_PREFIX = "attr_"
PRESENCE_LABELS = {0: "absent", 1: "present"}
DEFAULT_STATUSES = ("accepted", "suggested")

SEGMENT_LABELS = {
    "transcript": "Transcript", "case": "Case", "code": "Code id", "code_path": "Code path (names, root first)",
    "code_name": "Code name", "start": "Start offset (Unicode code points)",
    "end": "End offset (Unicode code points)", "text": "Coded text", "speaker": "Speaker",
    "role": "Speaker's role", "turn": "Turn number", "coder": "Coder",
    "origin": "Origin (manual, rule, model, import)", "status": "Status (suggested, accepted, rejected)",
    "confidence": "Confidence (0-1)", "memo": "Memo", "rule": "Rule or model id",
    "matched": "Words that fired the rule", "run": "Run id", "coding_id": "Coding id",
}
SEGMENT_COLUMNS = list(SEGMENT_LABELS)[2:]

class TableError(QualcodeError, ValueError):
    """A table could not be built or written; the message says why and what would work."""


@dataclass
class WriteResult:
    """What `write` did. `renamed[table]` maps original column names to the names written
    (only columns that had to change); `sheets` maps table names to xlsx sheet names."""

    path: Path
    format: str
    tables: list[str]
    rows: dict[str, int]
    renamed: dict[str, dict[str, str]] = field(default_factory=dict)
    sheets: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


# --- table builders ------------------------------------------------------------------------

def _statuses(statuses: Sequence[str] | str | None) -> list[str] | None:
    if statuses is None:
        return None
    statuses = [statuses] if isinstance(statuses, str) else list(statuses)
    for s in statuses:
        if s not in STATUSES:
            raise TableError("E855", value=s, supported=", ".join(STATUSES))
    return statuses


def _code_info(codes: pd.DataFrame) -> tuple[dict[str, str | None], dict[str, str]]:
    parent = {r.code: (r.parent if isinstance(r.parent, str) else None) for r in codes.itertuples()}
    name = {r.code: (r.name if isinstance(r.name, str) and r.name else r.code.rsplit(".", 1)[-1])
            for r in codes.itertuples()}
    return parent, name


def _ancestry(code: str, parent: Mapping[str, str | None]) -> list[str]:
    chain = [code]
    while (up := parent.get(chain[-1])) is not None and up not in chain:
        chain.append(up)
    return chain[::-1]


def _code_path(code: str, parent: Mapping[str, str | None], name: Mapping[str, str]) -> str:
    return " > ".join(name.get(c, c.rsplit(".", 1)[-1]) for c in _ancestry(code, parent))


def whole_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with each float column whose values are all whole numbers as nullable Int64, so
    an age of 29 is written 29, not 29.0, when another case has no age (pandas turns a column
    of ints with a gap into floats)."""
    out = frame.copy()
    for i in range(out.shape[1]):
        series = out.iloc[:, i]
        if series.dtype.kind == "f":
            values = series.dropna()
            if not values.empty and np.isfinite(values).all() and (values == values.round()).all() \
                    and values.abs().max() < 2**53:
                out.isetitem(i, series.astype("Int64"))
    return out


def _attributes(project, taken: set[str]) -> tuple[pd.DataFrame, dict[str, str]]:
    """The cases frame with clashing attribute names prefixed; returns it and {new: original}."""
    cases = whole_numbers(project.cases())
    renames: dict[str, str] = {}
    used = set(taken) | set(cases.columns)
    for column in cases.columns[1:]:
        if column in taken:
            new, n = f"{ATTR_PREFIX}{column}", 2
            while new in used:
                new, n = f"{ATTR_PREFIX}{column}_{n}", n + 1
            renames[column] = new
            used.add(new)
    return cases.rename(columns=renames), {v: k for k, v in renames.items()}


def segments(project, statuses: Sequence[str] | None = DEFAULT_STATUSES) -> pd.DataFrame:
    """One row per coding: transcript, case, the case's attributes, code, code_path, code_name,
    start, end, text, speaker, role, turn, coder, origin, status, confidence, memo, rule, matched,
    run, coding_id. `statuses=None` keeps every status, rejected codings too."""
    codings = project.codings(status=_statuses(statuses))
    parent, name = _code_info(project.codes())
    attrs, renamed = _attributes(project, {"transcript", *SEGMENT_COLUMNS})
    frame = codings.rename(columns={"id": "coding_id"})
    ids = frame["code"].unique()
    frame["code_name"] = frame["code"].map({c: name.get(c, c.rsplit(".", 1)[-1]) for c in ids})
    frame["code_path"] = frame["code"].map({c: _code_path(c, parent, name) for c in ids})
    frame["confidence"] = pd.to_numeric(frame["confidence"], errors="coerce").astype("float64")
    for column in ("turn", "run", "start", "end", "coding_id"):
        frame[column] = pd.array(pd.to_numeric(frame[column]), dtype="Int64")
        if not frame[column].isna().any():
            frame[column] = frame[column].astype("int64")
    frame = frame.merge(attrs, on="case", how="left")
    columns = ["transcript", "case", *attrs.columns[1:], *SEGMENT_COLUMNS]
    frame = frame[columns].reset_index(drop=True)
    frame.attrs["labels"] = {**SEGMENT_LABELS, **renamed}
    return frame


def _ordered_codes(columns: Sequence[str], codes: pd.DataFrame) -> list[str]:
    order = {c: i for i, c in enumerate(codes["code"])}
    return sorted(columns, key=lambda c: (order.get(c, len(order)), c))


def matrix_table(project, kind: str = "presence", statuses: Sequence[str] = DEFAULT_STATUSES,
                 codes: Sequence[str] | None = None) -> pd.DataFrame:
    """Case × code (`presence` 0/1, `count` of codings, `coverage` % of respondent words), one row
    per case: case, the case's attributes, then one column per code id in codebook order.
    Rejected codings never count; `statuses=None` means accepted and suggested."""
    matrix = project.matrix(kind, statuses=_statuses(statuses) or DEFAULT_STATUSES, codes=codes)
    book = project.codes()
    _, name = _code_info(book)
    code_columns = _ordered_codes([str(c) for c in matrix.columns], book)
    attrs, renamed = _attributes(project, {"case", *code_columns})
    matrix = matrix.rename(columns=str)[code_columns].rename_axis(index="case", columns=None).reset_index()
    frame = attrs.merge(matrix, on="case", how="outer")
    frame[code_columns] = frame[code_columns].fillna(0)
    if kind in ("presence", "count"):
        frame[code_columns] = frame[code_columns].astype("int64")
    frame = frame[["case", *attrs.columns[1:], *code_columns]]
    unit = {"presence": "", "count": " (codings)", "coverage": " (% of respondent words)"}.get(kind, "")
    frame.attrs["labels"] = {"case": "Case", **renamed,
                             **{c: f"{c}: {name.get(c, c)}{unit}" for c in code_columns}}
    if kind == "presence":
        frame.attrs["value_labels"] = {c: dict(PRESENCE_LABELS) for c in code_columns}
    return frame


def typology_table(typology, clusters: pd.Series | pd.DataFrame | None = None) -> pd.DataFrame:
    """Typology assignments, one row per case: case, rule_type, cluster column(s), the profile
    scores, reason. `typology` is a `RuleTypology`, its `.cases` frame, or any frame with a case
    column or index; `clusters` (e.g. `ClusterTypology.labels_series()`) is joined by case."""
    frame = getattr(typology, "cases", typology)
    frame = _with_case(frame.copy())
    if clusters is not None:
        extra = _with_case(clusters.to_frame(clusters.name or "cluster") if isinstance(clusters, pd.Series)
                           else clusters.copy())
        frame = frame.merge(extra, on="case", how="outer", suffixes=("", "_cluster"))
    cluster_cols = [c for c in frame.columns if str(c).startswith("cluster")]
    first = ["case", *[c for c in ("rule_type",) if c in frame.columns], *cluster_cols]
    last = [c for c in ("reason",) if c in frame.columns]
    frame = frame[[*first, *[c for c in frame.columns if c not in first + last], *last]]
    frame.attrs = {"labels": {"case": "Case", "rule_type": "Type by the codebook's rules",
                              "reason": "Why this type", "cluster": "Cluster (0 = the largest)"}}
    return frame.reset_index(drop=True)


def _with_case(frame: pd.DataFrame) -> pd.DataFrame:
    if "case" not in frame.columns:
        if frame.index.name == "case" or not isinstance(frame.index, pd.RangeIndex):
            frame = frame.rename_axis("case").reset_index()
        else:
            raise TableError("E856", found=", ".join(map(str, frame.columns)) or "(none)")
    return frame


def codebook_table(source, statuses: Sequence[str] = DEFAULT_STATUSES) -> pd.DataFrame:
    """One row per code: code, parent, name, code_path, level (1 = top), description, color;
    from a Project also n_codings and n_cases (with the given statuses); from a Codebook (or a
    codebook file) also include, exclude and examples."""
    from qualcode.codebook import Codebook
    from qualcode.codebook import load as load_codebook

    if isinstance(source, str | Path):
        source = load_codebook(source)
    if isinstance(source, Codebook):
        frame = pd.DataFrame([{"code": c.id, "parent": c.parent, "name": c.name, "description": c.description,
                               "color": c.color, "include": c.include, "exclude": c.exclude,
                               "examples": "\n".join(c.examples) or None} for c in source.codes],
                             columns=["code", "parent", "name", "description", "color", "include", "exclude",
                                      "examples"])
    else:
        frame = source.codes()[["code", "parent", "name", "description", "color"]]
    parent, name = _code_info(frame)
    frame.insert(3, "code_path", [_code_path(c, parent, name) for c in frame["code"]])
    frame.insert(4, "level", [len(_ancestry(c, parent)) for c in frame["code"]])
    if not isinstance(source, Codebook):
        codings = source.codings(status=_statuses(statuses))
        frame["n_codings"] = frame["code"].map(codings["code"].value_counts()).fillna(0).astype("int64")
        frame["n_cases"] = frame["code"].map(codings.groupby("code")["case"].nunique()).fillna(0).astype("int64")
    frame.attrs["labels"] = {"code": "Code id", "parent": "Parent code id", "name": "Code name",
                             "code_path": "Code path (names, root first)", "level": "Level (1 = top)",
                             "n_codings": "Codings", "n_cases": "Cases with the code"}
    return frame


def project_tables(project, *, kind: str = "presence", statuses: Sequence[str] = DEFAULT_STATUSES,
                   codebook=None) -> dict[str, pd.DataFrame]:
    """The tables of a whole-project export: segments, matrix, typology (only when a codebook
    with profiles and types is given) and codebook, in that order: ready for
    `write(tables, "project.xlsx")`."""
    out = {"segments": segments(project, statuses), "matrix": matrix_table(project, kind, statuses)}
    if codebook is not None:
        out["typology"] = _typology_frame(project, codebook, statuses)
    out["codebook"] = codebook_table(project, statuses)
    return out


WHAT = ("segments", "matrix", "typology", "codebook", "project")


def _typology_frame(project, codebook, statuses: Sequence[str]) -> pd.DataFrame:
    """Rule types and clusters per case; rule types alone when the cases cannot be clustered
    (too few, or all alike), so an export never fails for want of clusters."""
    try:
        return typology_table(project.typology(codebook, method="both", statuses=statuses).cases)
    except QualcodeError as exc:
        if exc.code != "E720":
            raise
        return typology_table(project.typology(codebook, method="rules", statuses=statuses).cases)


class Tables(dict):
    """The tables of an export, by name, and `missing`: each table the export should have had
    but could not make, with the reason (the CLI and the Export page say it; never silent)."""

    def __init__(self, frames: Mapping[str, pd.DataFrame], missing: Mapping[str, str] | None = None) -> None:
        super().__init__(frames)
        self.missing: dict[str, str] = dict(missing or {})


def _typology_or_reason(project, codebook, statuses: Sequence[str]) -> tuple[pd.DataFrame | None, str | None]:
    """The typology sheet of a whole-project export, or why there is none."""
    book = codebook if codebook is not None else project.codebook()
    if book is None:
        path = project.last_codebook_path()
        return None, ("the project has no rule run yet, so no codebook with types (auto-code it first)"
                      if path is None else f"the last run's codebook {path} is not there any more and the project "
                      "did not keep a copy (it was coded before codebooks were kept): give --codebook FILE")
    try:
        return _typology_frame(project, book, statuses), None
    except QualcodeError as exc:
        return None, str(exc)


def tables_for(project, what: str, *, fmt: str, kind: str = "presence",
               statuses: Sequence[str] = DEFAULT_STATUSES, codebook=None) -> Tables:
    """The tables of one export, as `qualcode export` and the Export page make it: `what` is
    segments, matrix, typology (rule types and clusters; `codebook` defaults to the one the
    project was last coded with, as the project kept it), codebook, or project (all of them).
    An xlsx workbook always gets a codebook sheet, so the file says what its codes mean. A
    table that cannot be made is in `.missing` with the reason, never left out silently."""
    if what not in WHAT:
        raise ValueError(f"what must be one of {', '.join(WHAT)}, not {what!r}")
    missing: dict[str, str] = {}
    if what == "project":
        frames = {"segments": segments(project, statuses), "matrix": matrix_table(project, kind, statuses)}
        typology, why = _typology_or_reason(project, codebook, statuses)
        if typology is not None:
            frames["typology"] = typology
        else:
            missing["typology"] = why or "unknown"
        frames["codebook"] = codebook_table(project, statuses)
    elif what == "segments":
        frames = {"segments": segments(project, statuses)}
    elif what == "matrix":
        frames = {"matrix": matrix_table(project, kind, statuses)}
    elif what == "codebook":
        frames = {"codebook": codebook_table(project, statuses)}
    else:
        frames = {"typology": _typology_frame(project, codebook, statuses)}
    if fmt == "xlsx" and "codebook" not in frames:
        frames["codebook"] = codebook_table(project, statuses)
    return Tables(frames, missing)


# --- writing -------------------------------------------------------------------------------

def write(tables: Mapping[str, pd.DataFrame] | pd.DataFrame, path: str | Path, fmt: str | None = None, *,
          bom: bool = False, raw: bool = False, labels: Mapping[str, str] | None = None,
          value_labels: Mapping[str, Mapping[object, str]] | None = None) -> WriteResult:
    """Write tables to `path` as csv, xlsx, parquet, sav or dta (`fmt`, else the extension).

    csv, parquet, sav and dta hold one table; xlsx writes one sheet per table. `bom` writes
    CSV as UTF-8 with a BOM, which Excel needs to show Cyrillic. `labels` (column → variable
    label) and `value_labels` (column → {value: label}) add to those the builders attached;
    SPSS and Stata use them. CSV text cells that a spreadsheet would run as a formula get a
    `'` in front (`qualcode.exchange.safe_csv`); `raw` writes them as they are. The file
    appears complete or not at all (`qualcode.files.atomic_path`), with the mode of any other
    file written there.
    """
    path = Path(path)
    if isinstance(tables, pd.DataFrame):
        tables = {path.stem or "table": tables}
    if path.is_dir():
        raise TableError("E853", path=path, reason="it is a folder", fix="Give a file name inside it.")
    fmt = _format(path, fmt)
    if not tables:
        raise TableError("E852", path=path)
    if fmt in ONE_TABLE and len(tables) > 1:
        raise TableError("E851", path=path, fmt=fmt, n=len(tables), names=", ".join(tables))
    if not path.parent.is_dir():
        raise TableError("E853", path=path, reason=f"the folder {path.parent} does not exist",
                         fix="Create it first, or choose another folder.")
    frames = {}
    for name, frame in tables.items():
        frames[str(name)] = _tidy(frame, path, str(name))
    result = WriteResult(path, fmt, list(frames), {n: len(f) for n, f in frames.items()})
    try:
        with atomic_path(path) as tmp:
            if fmt == "xlsx":
                _write_xlsx(frames, tmp, result)
            else:
                (name, frame), = frames.items()
                _labels = {**frame.attrs.get("labels", {}), **(labels or {})}
                _values = {**frame.attrs.get("value_labels", {}), **(value_labels or {})}
                if fmt == "csv":
                    tmp.write_text(safe_csv.to_csv(frame, raw=raw, bom=bom), encoding="utf-8", newline="")
                elif fmt == "parquet":
                    frame.attrs = {}
                    frame.to_parquet(tmp, index=False)
                elif fmt == "sav":
                    result.renamed[name] = _write_sav(frame, tmp, _labels, _values, name, result)
                else:
                    result.renamed[name] = _write_dta(frame, tmp, _labels, _values, name, result)
    except OSError as exc:
        raise TableError("E853", path=path, reason=exc.strerror or str(exc),
                         fix="Check that the folder is writable and the file is not open in another "
                             "program.") from None
    result.renamed = {k: v for k, v in result.renamed.items() if v}
    return result


def _format(path: Path, fmt: str | None) -> str:
    value = (fmt or "").lower().lstrip(".") or EXTENSIONS.get(path.suffix.lower())
    if value not in FORMATS:
        raise TableError("E850", path=path, value=fmt or path.suffix or "(no extension)",
                         supported=", ".join(FORMATS), extensions=", ".join(EXTENSIONS))
    return value


def _tidy(frame: pd.DataFrame, path: Path, name: str) -> pd.DataFrame:
    """A copy with a named index as columns (an unnamed one is only row numbers), string column
    names, and object columns of one kind each (strings, numbers, dates or datetimes)."""
    attrs = dict(frame.attrs)
    named = any(n is not None for n in frame.index.names)
    frame = frame.reset_index(drop=not named).rename(columns=str)
    dupes = sorted({c for c in frame.columns if list(frame.columns).count(c) > 1})
    if dupes:
        raise TableError("E854", path=path, table=name, names=", ".join(f"'{d}'" for d in dupes))
    for column in frame.columns:
        series = frame[column]
        if series.dtype != object:
            continue
        values = series.dropna()
        if values.empty or all(isinstance(v, str) for v in values):
            continue
        if all(isinstance(v, (int, float, np.number)) and not isinstance(v, bool) for v in values):
            frame[column] = pd.to_numeric(series)
        elif all(isinstance(v, dt.datetime) for v in values):
            frame[column] = pd.to_datetime(series)
        elif not all(isinstance(v, dt.date) and not isinstance(v, dt.datetime) for v in values):
            frame[column] = series.map(lambda v: v if v is None or (isinstance(v, float) and np.isnan(v))
                                       else str(v))
    frame.attrs = attrs
    return frame


def _is_text(series: pd.Series) -> bool:
    return pd.api.types.is_string_dtype(series.dtype) and not isinstance(series.dtype, pd.CategoricalDtype)


def _is_date(series: pd.Series) -> bool:
    values = series.dropna()
    return (series.dtype == object and not values.empty
            and all(isinstance(v, dt.date) and not isinstance(v, dt.datetime) for v in values))


# --- xlsx ---------------------------------------------------------------------------------

XLSX_MAX_ROWS = 1_048_575
XLSX_MAX_CELL = 32_767


def _sheet_names(names: Sequence[str]) -> dict[str, str]:
    out, used = {}, set()
    for name in names:
        clean = re.sub(r"[\[\]:*?/\\]", "_", name).strip("'").strip() or "Sheet"
        if clean.casefold() == "history":  # reserved by Excel
            clean += "_"
        sheet, n = clean[:31], 2
        while sheet.casefold() in used:
            suffix = f" ({n})"
            sheet, n = clean[:31 - len(suffix)] + suffix, n + 1
        used.add(sheet.casefold())
        out[name] = sheet
    return out


def _write_xlsx(frames: dict[str, pd.DataFrame], path: Path, result: WriteResult) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    result.sheets = _sheet_names(list(frames))
    book = Workbook(write_only=True)
    bold = Font(bold=True)
    for name, frame in frames.items():
        if len(frame) > XLSX_MAX_ROWS:
            raise TableError("E857", path=result.path, table=name, rows=len(frame))
        sheet = book.create_sheet(result.sheets[name])
        sheet.freeze_panes = "A2"
        columns = []
        for j, column in enumerate(frame.columns, start=1):
            series = frame[column]
            values = series.astype(object).where(series.notna(), None).tolist()
            width = len(column)
            if _is_text(series) or series.dtype == object:
                text = series.dropna()
                text = text[[isinstance(v, str) for v in text]].astype(str)
                width = max(width, int(text.head(200).str.len().quantile(0.9)) if len(text) else 0)
                odd = text[text.str.startswith("=") | (text.str.len() > XLSX_MAX_CELL)
                           | text.str.contains(ILLEGAL_CHARACTERS_RE.pattern, regex=True)]
                for i in odd.index:  # _tidy numbered the rows 0..n-1
                    value = ILLEGAL_CHARACTERS_RE.sub("", values[i])
                    if len(value) > XLSX_MAX_CELL:
                        result.warnings.append(f"{name}: a cell of column '{column}' (row {i + 2}) has "
                                               f"{len(value)} characters, over Excel's {XLSX_MAX_CELL}: cut. "
                                               "Write csv or parquet to keep it whole.")
                        value = value[:XLSX_MAX_CELL]
                    cell = WriteOnlyCell(sheet, value=value)
                    cell.data_type = "s"  # text, never a formula
                    values[i] = cell
            sheet.column_dimensions[get_column_letter(j)].width = min(max(width, 6) + 2, 60)
            columns.append(values)
        header = []
        for column in frame.columns:
            cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", column))
            cell.data_type, cell.font = "s", bold
            header.append(cell)
        sheet.append(header)
        for row in zip(*columns, strict=True):
            sheet.append(row)
    book.save(path)


# --- SPSS and Stata -----------------------------------------------------------------------

SPSS_RESERVED = {"ALL", "AND", "BY", "EQ", "GE", "GT", "LE", "LT", "NE", "NOT", "OR", "TO", "WITH"}
STATA_RESERVED = {
    "aggregate", "array", "boolean", "break", "byte", "case", "catch", "class", "colvector", "complex",
    "const", "continue", "default", "delegate", "delete", "do", "double", "else", "eltypedef", "end", "enum",
    "explicit", "export", "external", "float", "for", "friend", "function", "global", "goto", "if", "inline",
    "int", "local", "long", "NULL", "pragma", "protected", "quad", "rowvector", "short", "typedef",
    "typename", "virtual", "_all", "_N", "_skip", "_b", "_pi", "in", "_pred", "strL", "_coef", "_rc",
    "using", "_cons", "_se", "with", "_n",
}


def _fits(name: str, fmt: str) -> bool:
    return len(name.encode()) <= 64 if fmt == "sav" else len(name) <= 32


def _cut(name: str, fmt: str, room: int = 0) -> str:
    while name and not _fits(name + "x" * room, fmt):
        name = name[:-1]
    return name.rstrip("_")


def _legal(column: str, fmt: str) -> str:
    """A name SPSS (`sav`) or Stata (`dta`) accepts: letters, digits and _, starting with a letter,
    short enough (SPSS 64 bytes, Stata 32 characters), a reserved word with `_` after it; Unicode
    letters are kept (both formats store UTF-8 names)."""
    name = "".join(c if (c.isascii() and (c.isalnum() or c == "_")) or (not c.isascii() and c.isalpha())
                   else "_" for c in column)
    name = re.sub(r"_+", "_", name).strip("_") or "v"
    if not name[0].isalpha():
        name = "v" + name
    name = _cut(name, fmt)
    if (name.upper() in SPSS_RESERVED if fmt == "sav"
            else name in STATA_RESERVED or re.fullmatch(r"str\d+", name)):
        name = _cut(name, fmt, 1) + "_"  # case -> case_ (pandas' Stata list includes Mata's words)
    return name


def legal_names(columns: Sequence[str], fmt: str) -> list[str]:
    """Legal, unique (ignoring case) variable names for `columns`, in order. A column whose name
    is already legal keeps it; the others get the cleaned name, then `_2`, `_3`... if taken."""
    taken = {c.casefold() for c in columns if _legal(c, fmt) == c}
    out, kept = [], set()
    for column in columns:
        if _legal(column, fmt) == column and column.casefold() not in kept:
            kept.add(column.casefold())
            out.append(column)
            continue
        base = _legal(column, fmt)
        name, n = base, 2
        while name.casefold() in taken:
            name, n = f"{_cut(base, fmt, len(str(n)) + 1)}_{n}", n + 1
        taken.add(name.casefold())
        out.append(name)
    return out


def _prepare(frame: pd.DataFrame, labels: Mapping[str, str], values: Mapping[str, Mapping], fmt: str
             ) -> tuple[pd.DataFrame, dict[str, str], dict[str, str], dict[str, dict], set[str]]:
    """Legal names, Categoricals as labelled 1..k integers, nullable numbers as plain ones.
    Returns the frame, {original: new} for renamed columns, variable and value labels by new
    name, and the columns that hold whole numbers (float only where a value is missing)."""
    names = legal_names(list(frame.columns), fmt)
    pairs = list(zip(frame.columns, names, strict=True))
    renamed = {old: new for old, new in pairs if old != new}
    var_labels = {new: str(labels.get(old) or (old if old != new else "")) for old, new in pairs}
    value_labels = {new: dict(values[old]) for old, new in pairs if old in values}
    out, integers = {}, set()
    for old, new in pairs:
        series = frame[old]
        if isinstance(series.dtype, pd.CategoricalDtype):
            value_labels[new] = {i + 1: str(c) for i, c in enumerate(series.cat.categories)}
            series = pd.Series(series.cat.codes.to_numpy() + 1, index=series.index)
            series = series.where(series > 0).astype("float64") if (series == 0).any() else series
            integers.add(new)
        elif series.dtype.kind in "iub":
            series = series.astype("float64" if series.isna().any() else "int64")
            integers.add(new)
        elif series.dtype.kind == "f":
            series = series.astype("float64")
        elif series.dtype.kind == "M" and getattr(series.dt, "tz", None) is not None:
            series = series.dt.tz_localize(None)
        out[new] = series
    return pd.DataFrame(out, index=frame.index), renamed, var_labels, value_labels, integers


def _bytes_cut(text: str, limit: int) -> str:
    """`text` in at most `limit` UTF-8 bytes, ending with … if it was cut."""
    if len(text.encode()) <= limit:
        return text
    data = text.encode()[:limit - 3]
    return data.decode(errors="ignore") + "…"


def _write_sav(frame: pd.DataFrame, path: Path, labels: Mapping[str, str], values: Mapping[str, Mapping],
               name: str, result: WriteResult) -> dict[str, str]:
    import pyreadstat

    data, renamed, var_labels, value_labels, integers = _prepare(frame, labels, values, "sav")
    formats, measures = {}, {}
    for column in data.columns:
        series = data[column]
        numeric = pd.api.types.is_numeric_dtype(series.dtype)
        if _is_text(series) and series.dtype != object:
            trailing = int(series.str.endswith(" ").fillna(False).sum())
            if trailing:  # SPSS pads strings with spaces, so it cannot keep spaces at the end
                result.warnings.append(f"{name}: {trailing} value(s) of '{column}' end with spaces, which "
                                       "SPSS drops; csv, xlsx and parquet keep them.")
        if column in integers and series.notna().any():
            digits = max(len(str(int(series.max()))), len(str(int(series.min()))))
            formats[column] = f"F{min(digits, 40)}.0"
        measures[column] = "nominal" if not numeric or column in value_labels else "scale"
    pyreadstat.write_sav(
        data, str(path), file_label=_bytes_cut(name, 64),
        column_labels={c: _bytes_cut(v, 256) for c, v in var_labels.items() if v},
        variable_value_labels={c: {k: _bytes_cut(str(v), 120) for k, v in vl.items()}
                               for c, vl in value_labels.items()},
        variable_format=formats, variable_measure=measures, row_compress=True,  # what SPSS itself writes
    )
    return renamed


def _write_dta(frame: pd.DataFrame, path: Path, labels: Mapping[str, str], values: Mapping[str, Mapping],
               name: str, result: WriteResult) -> dict[str, str]:
    data, renamed, var_labels, value_labels, _ = _prepare(frame, labels, values, "dta")
    dates, strl = {}, []
    for column in data.columns:
        series = data[column]
        if _is_date(series):
            data[column] = pd.to_datetime(series)
            dates[column] = "td"
        elif series.dtype.kind == "M":
            dates[column] = "tc"
        elif _is_text(series) or series.dtype == object:
            data[column] = series.fillna("").astype(object)  # Stata has no missing string
            if len(data) and data[column].map(lambda v: len(v.encode())).max() > 2045:
                strl.append(column)
    value_labels = {c: {int(k): str(v)[:32000] for k, v in vl.items()} for c, vl in value_labels.items()
                    if pd.api.types.is_numeric_dtype(data[c].dtype)}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data.to_stata(path, write_index=False, version=118, convert_dates=dates or None,
                      data_label=name[:80], variable_labels={c: v[:80] for c, v in var_labels.items() if v},
                      value_labels=value_labels or None, convert_strl=strl or None)
    result.warnings += [f"{name}: {str(w.message).strip()}" for w in caught]
    return renamed
