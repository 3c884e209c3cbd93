"""Writing a table for SPSS (.sav) and Stata (.dta): legal variable names with the original
id and name kept as the variable label, categoricals and 0/1 codes as labelled values, and a
warning for what the format cannot hold."""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from qualcode.exchange.tables_base import WriteResult, is_date, is_text

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


def write_sav(frame: pd.DataFrame, path: Path, labels: Mapping[str, str], values: Mapping[str, Mapping],
               name: str, result: WriteResult) -> dict[str, str]:
    import pyreadstat

    data, renamed, var_labels, value_labels, integers = _prepare(frame, labels, values, "sav")
    formats, measures = {}, {}
    for column in data.columns:
        series = data[column]
        numeric = pd.api.types.is_numeric_dtype(series.dtype)
        if is_text(series) and series.dtype != object:
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


def write_dta(frame: pd.DataFrame, path: Path, labels: Mapping[str, str], values: Mapping[str, Mapping],
               name: str, result: WriteResult) -> dict[str, str]:
    data, renamed, var_labels, value_labels, _ = _prepare(frame, labels, values, "dta")
    dates, strl = {}, []
    for column in data.columns:
        series = data[column]
        if is_date(series):
            data[column] = pd.to_datetime(series)
            dates[column] = "td"
        elif series.dtype.kind == "M":
            dates[column] = "tc"
        elif is_text(series) or series.dtype == object:
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
