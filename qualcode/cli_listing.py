"""Tables of plain rows for the listing commands (`transcripts`, `turns`), without pandas (issue 17).

`qualcode transcripts PROJECT` spent most of its start-up importing pandas (~0.3 s) to print a
few dozen rows. `emit_rows` prints the same rows the same way as `cli_common._emit` does a
DataFrame built from them, byte for byte in every format; tests/test_cli_listing.py compares the
two on the sample project. So it mirrors what pandas does with such rows:
- a column's kind is what `pd.DataFrame(rows)` would infer: all ints (not bool) -> integers;
  ints/floats with a missing value or a float -> floats; all dates -> dates; else text;
- table: `DataFrame.to_string(index=False, justify="left")` after `cli_common._table`'s clean-up:
  text cells left-aligned to the widest, numbers right-aligned among themselves, floats as
  `f"{x: .6f}"` with trailing zeros trimmed, headers left-aligned, one space between columns;
- CSV: `to_csv` with `safe_csv.neutralise` on text cells and header, floats as `repr`;
- JSON: `to_json(orient="records", date_format="iso")` read back: floats to 10 decimals, dates
  to the millisecond.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import re
from collections.abc import Collection, Sequence

import click

from qualcode.cli_common import _raw

Rows = Sequence[Sequence[object]]
# qualcode.exchange.safe_csv's rule, restated here because that module imports pandas at the top;
# tests/test_cli_listing.py checks that the two agree.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def neutralise(value: object) -> object:
    """`value` with `'` in front if it is text a spreadsheet would run (as `safe_csv.neutralise`)."""
    if isinstance(value, str):
        bare = value.lstrip("'")
        if bare.startswith(_FORMULA_START) and not _NUMBER.fullmatch(bare):
            return "'" + value
    return value
_INT, _FLOAT, _DATE, _TEXT = "int", "float", "date", "text"


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _kind(values: list[object]) -> str:
    present = [v for v in values if not _missing(v)]
    if not present:
        return _FLOAT if values and all(isinstance(v, float) for v in values) else _TEXT
    if all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return _INT if len(present) == len(values) else _FLOAT
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        return _FLOAT
    if all(isinstance(v, dt.datetime) for v in present):
        return _DATE
    return _TEXT


def _trimmed(value: float) -> str:
    text = f"{value: .6f}".rstrip("0")  # pandas' default float format, display.precision 6
    return text + "0" if text.endswith(".") else text


def _kinds(columns: Sequence[str], rows: Rows, whole: Collection[str]) -> list[str]:
    """Each column's kind; a column named in `whole` holds whole numbers or gaps (pandas' Int64)."""
    return [_INT if c in whole else _kind([r[i] for r in rows]) for i, c in enumerate(columns)]


def table(columns: Sequence[str], rows: Rows, width: int = 70, whole: Collection[str] = ()) -> str:
    """The text `cli_common._table` gives for `pd.DataFrame(rows, columns=columns)` (with the
    columns in `whole` made Int64)."""
    if not rows:
        return "(none)\n"
    blocks = []
    for i, (name, kind) in enumerate(zip(columns, _kinds(columns, rows, whole), strict=True)):
        values = [r[i] for r in rows]
        if kind == _TEXT:
            cells = ["" if _missing(v) else " ".join(str(v).split()) for v in values]
            cells = [c if len(c) <= width else c[: width - 1] + "…" for c in cells]
            pad = max(len(name), *(len(c) for c in cells))
            cells = [f"{c:<{pad}}" for c in cells]
        else:
            cells = ["" if _missing(v) else _trimmed(v) if isinstance(v, float) else str(v) for v in values]
            if kind == _FLOAT:
                cells = ["" if _missing(v) else _trimmed(float(v)) for v in values]
            widest = max(len(c) for c in cells)
            cells = [c.rjust(widest) for c in cells]
        widest = max(len(name), *(len(c) for c in cells))
        blocks.append([name.ljust(widest), *(c.ljust(widest) for c in cells)])
    lines = [" ".join(block[j] for block in blocks) for j in range(len(rows) + 1)]
    return "\n".join(lines) + "\n"


def _csv_cell(value: object, kind: str, raw: bool) -> object:
    if _missing(value):
        return ""
    if kind == _FLOAT:
        return repr(float(value))  # type: ignore[arg-type]
    if kind == _DATE:
        return str(value)
    return value if raw else neutralise(value)


def _date_csv(values: list[object]) -> list[str]:
    """pandas writes a date column in one format: the date alone when every time is midnight,
    seconds when no value has microseconds, else microseconds."""
    present = [v for v in values if isinstance(v, dt.datetime)]
    aware = any(v.tzinfo is not None for v in present)  # PostgreSQL's timestamptz: never the date alone
    if not aware and all(v.time() == dt.time() for v in present):
        spec = "%Y-%m-%d"
    elif all(v.microsecond == 0 for v in present):
        spec = "%Y-%m-%d %H:%M:%S"
    else:
        spec = "%Y-%m-%d %H:%M:%S.%f"
    return ["" if not isinstance(v, dt.datetime) else v.strftime(spec) + (v.isoformat()[-6:] if aware else "")
            for v in values]


def csv_text(columns: Sequence[str], rows: Rows, raw: bool = False, whole: Collection[str] = ()) -> str:
    """The text `safe_csv.to_csv(pd.DataFrame(rows, columns=columns), raw=raw)` gives."""
    kinds = _kinds(columns, rows, whole)
    dates = {i: _date_csv([r[i] for r in rows]) for i, k in enumerate(kinds) if k == _DATE}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([c if raw else neutralise(c) for c in columns])
    for j, r in enumerate(rows):
        writer.writerow([dates[i][j] if i in dates else _csv_cell(v, kinds[i], raw) for i, v in enumerate(r)])
    return buffer.getvalue()


def _json_value(value: object, kind: str) -> object:
    if _missing(value):
        return None
    if kind == _FLOAT:
        return round(float(value), 10)  # type: ignore[arg-type]  # to_json's double_precision=10
    if kind == _DATE:
        assert isinstance(value, dt.datetime)
        zone = "" if value.tzinfo is None else "Z"  # to_json writes an aware time in UTC
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}" + zone
    return value


def json_text(columns: Sequence[str], rows: Rows, whole: Collection[str] = ()) -> str:
    kinds = _kinds(columns, rows, whole)
    records = [{c: _json_value(v, kinds[i]) for i, (c, v) in enumerate(zip(columns, r, strict=True))} for r in rows]
    return json.dumps(records, ensure_ascii=False, indent=2) + "\n"


def emit_rows(columns: Sequence[str], rows: Rows, fmt: str, out: str | None, whole: Collection[str] = ()) -> None:
    """`cli_common._emit` for plain rows: print them, or write them to `out` atomically."""
    if fmt == "csv":
        text = csv_text(columns, rows, raw=_raw(), whole=whole)
    elif fmt == "json":
        text = json_text(columns, rows, whole=whole)
    else:
        text = table(columns, rows, whole=whole)
    if out:
        from qualcode import files

        files.write_bytes(out, text)
        click.echo(f"Wrote {len(rows)} rows to {out}.", err=True)
    else:
        click.echo(text, nl=False)
