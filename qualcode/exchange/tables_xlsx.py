"""Writing tables as an xlsx workbook: one sheet per table, legal and unique sheet names,
text that Excel would run as a formula kept as text, and cells over Excel's limit cut with a
warning (csv and parquet keep them whole)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from qualcode.exchange.tables_base import TableError, WriteResult, is_text

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


def write_xlsx(frames: dict[str, pd.DataFrame], path: Path, result: WriteResult) -> None:
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
            if is_text(series) or series.dtype == object:
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
