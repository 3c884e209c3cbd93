"""Coded tables for analysts, and the files they go into: CSV, XLSX, Parquet, SPSS and Stata.

The builders turn a `Project` into flat DataFrames: coded segments (one row per
coding), the case × code matrix, typology assignments, the codebook and the memos. `write`
puts them in a file without losing anything a format can hold: Cyrillic text
everywhere, code ids turned into legal SPSS/Stata variable names with the id and
code name kept as the variable label, 0/1 code columns labelled absent/present.
Every renamed column is reported, so the user can find `push.unemployment` again
as `push_unemployment`.

Column naming and the labels SPSS and Stata get: see `qualcode.exchange.tables_frames`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from qualcode.exchange import safe_csv
from qualcode.exchange.tables_base import DEFAULT_STATUSES, TableError, WriteResult
from qualcode.exchange.tables_frames import (
    ATTR_PREFIX,
    PRESENCE_LABELS,
    SEGMENT_COLUMNS,
    SEGMENT_LABELS,
    WHAT,
    Tables,
    codebook_table,
    matrix_table,
    memos_table,
    project_tables,
    segments,
    tables_for,
    typology_table,
    whole_numbers,
)
from qualcode.exchange.tables_labelled import SPSS_RESERVED, STATA_RESERVED, legal_names, write_dta, write_sav
from qualcode.exchange.tables_xlsx import XLSX_MAX_CELL, XLSX_MAX_ROWS, write_xlsx
from qualcode.files import atomic_path

__all__ = [
    "ATTR_PREFIX", "DEFAULT_STATUSES", "EXTENSIONS", "FORMATS", "ONE_TABLE", "PRESENCE_LABELS", "SEGMENT_COLUMNS",
    "SEGMENT_LABELS", "SPSS_RESERVED", "STATA_RESERVED", "WHAT", "XLSX_MAX_CELL", "XLSX_MAX_ROWS", "TableError",
    "Tables", "WriteResult", "codebook_table", "legal_names", "matrix_table", "memos_table", "project_tables",
    "segments", "tables_for", "typology_table", "whole_numbers", "write",
]

FORMATS = ("csv", "xlsx", "parquet", "sav", "dta")
EXTENSIONS = {".csv": "csv", ".xlsx": "xlsx", ".parquet": "parquet", ".pq": "parquet", ".sav": "sav",
              ".dta": "dta"}
ONE_TABLE = ("csv", "parquet", "sav", "dta")


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
                write_xlsx(frames, tmp, result)
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
                    result.renamed[name] = write_sav(frame, tmp, _labels, _values, name, result)
                else:
                    result.renamed[name] = write_dta(frame, tmp, _labels, _values, name, result)
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
