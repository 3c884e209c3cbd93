"""CSV that a spreadsheet opens as data: OWASP's rule against formula ("CSV") injection.

Excel, LibreOffice Calc and Google Sheets run a cell that starts with `=`, `+`, `-`, `@`,
a tab or a carriage return as a formula, so a transcript line such as
`=HYPERLINK("http://…")` or `=cmd|' /C calc'!A0` would act when the export is opened.
Every CSV qualcode writes (the `export`, `codings`, `turns`, `cases`, `transcripts`,
`import-log`... commands and the browser's CSV downloads) goes through `to_csv`, which
prefixes such a *text* cell with `'`, the mark spreadsheets read as "this is text".
`--raw` (`raw=True`) writes the cells as they are, for scripts.

What is left alone, and why:
- Numeric columns (int, float, nullable Int64): -3 stays the number -3.
- A text cell that is exactly a number (`-3`, `+7`, `-0.5`, `1e-3`): a spreadsheet reads it
  as that number and runs nothing, and an attribute such as a temperature or a score keeps
  its value.
- Everything else that starts with one of those characters is prefixed: the Russian
  dialogue dash (`- Да, …`) too, since `-2+3+cmd|…` starts the same way.

Header cells (column names, which come from front matter and tables) get the same rule.
`restore` undoes `neutralise` exactly: a value that already started with `'` before a
risky character gets one more `'`, so `'=x` survives a round trip as `'=x`. The codings
import applies it, so an export can be read back in unchanged.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_FIRST = "^['=+\\-@\\t\\r]"  # the same characters, as a pattern for pyarrow
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def risky(text: str) -> bool:
    """True if a spreadsheet could take `text` for a formula (see the module)."""
    return text.startswith(FORMULA_START) and not _NUMBER.fullmatch(text)


def neutralise(value: object) -> object:
    """`value` with `'` in front if it is text a spreadsheet would run; anything else as it is."""
    if isinstance(value, str) and risky(value.lstrip("'")):
        return "'" + value
    return value


def restore(value: object) -> object:
    """The inverse of `neutralise`: drop the `'` it added, and only that."""
    if isinstance(value, str) and value.startswith("'") and risky(value.lstrip("'")):
        return value[1:]
    return value


def _labels(index: pd.Index) -> pd.Index:
    if isinstance(index, pd.MultiIndex):
        return pd.MultiIndex.from_tuples([tuple(neutralise(v) for v in t) for t in index],
                                         names=[neutralise(n) for n in index.names])
    if index.dtype == object or pd.api.types.is_string_dtype(index.dtype):
        return pd.Index([neutralise(v) for v in index], name=neutralise(index.name), dtype=object)
    return index.rename(neutralise(index.name))


def _candidates(series: pd.Series) -> np.ndarray:
    """Which cells could need a mark: text starting with a formula character or `'`. Found with
    pyarrow's C regex, so a million-row export does not call Python once per cell (measured:
    per-cell `map` doubled the time of writing the CSV); only the few found go through
    `neutralise`."""
    def by_cell() -> np.ndarray:
        return series.map(lambda v: isinstance(v, str) and v.startswith((*FORMULA_START, "'"))).to_numpy(bool)

    try:
        import pyarrow as pa  # comes with pandas' parquet support and with streamlit
        import pyarrow.compute as pc
    except ImportError:
        return by_cell()
    try:
        array = pa.array(series, from_pandas=True, type=pa.large_string())
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # text mixed with numbers in one column
        return by_cell()
    return pc.match_substring_regex(array, _FIRST).fill_null(False).to_numpy(zero_copy_only=False)


def neutralise_frame(frame: pd.DataFrame, *, index: bool = False) -> pd.DataFrame:
    """A copy of `frame` with every risky text cell and column name prefixed with `'`
    (and the index labels too when `index` is True, as `to_csv(index=True)` writes them)."""
    out = frame.copy()
    for i in range(out.shape[1]):
        series = out.iloc[:, i]
        if isinstance(series.dtype, pd.CategoricalDtype):
            series = series.astype(object)
        elif not (series.dtype == object or pd.api.types.is_string_dtype(series.dtype)):
            continue  # numbers, booleans and dates are never formulas
        candidates = np.flatnonzero(_candidates(series))
        if len(candidates):
            # Set only those cells, by position, in the column's own type: converting a whole
            # pandas 3 (Arrow-backed) text column to objects and back cost more than the CSV.
            values = series.reset_index(drop=True)
            values.iloc[candidates] = [neutralise(v) for v in values.iloc[candidates]]
            out.isetitem(i, values.array)
    out.columns = _labels(out.columns)
    if index:
        out.index = _labels(out.index)
    return out


def to_csv(frame: pd.DataFrame, *, raw: bool = False, index: bool = False, bom: bool = False) -> str:
    """`frame` as CSV text, safe to open in a spreadsheet unless `raw` (see the module).
    Newlines are `\\n`; `bom` puts a UTF-8 byte-order mark first (Excel needs it for Cyrillic)."""
    if not raw:
        frame = neutralise_frame(frame, index=index)
    text = frame.to_csv(index=index, lineterminator="\n")
    return ("\ufeff" + text) if bom else text


def csv_bytes(frame: pd.DataFrame, *, raw: bool = False, index: bool = False, bom: bool = False) -> bytes:
    """`to_csv` as UTF-8 bytes, for a browser download."""
    return to_csv(frame, raw=raw, index=index, bom=bom).encode("utf-8")

