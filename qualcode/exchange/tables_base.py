"""What every table module shares: the error a table raises, what `write` reports, and
how a column's kind is told (text or dates), so the builders and the writers of each format
(tables_frames, tables_xlsx, tables_labelled) need not import one another."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from qualcode.errors import QualcodeError

DEFAULT_STATUSES = ("accepted", "suggested")


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


def is_text(series: pd.Series) -> bool:
    return pd.api.types.is_string_dtype(series.dtype) and not isinstance(series.dtype, pd.CategoricalDtype)


def is_date(series: pd.Series) -> bool:
    values = series.dropna()
    return (series.dtype == object and not values.empty
            and all(isinstance(v, dt.date) and not isinstance(v, dt.datetime) for v in values))
