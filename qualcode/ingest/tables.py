"""Transcripts from tables (.csv, .xlsx): one row per turn, or one row per respondent.

* **turns**: a speaker column and a text column, optionally a time column and a
  column naming the interview (several interviews in one file become several
  transcripts).
* **survey**: one row per respondent with free-text answer columns (open-ended
  survey questions). Each respondent becomes a transcript: the question (the
  column header) as an interviewer turn, the answer as a respondent turn. Short
  columns (age, gender) become the respondent's case attributes.
* A table with a case/file column and only short values is a **cases table**
  (attributes), not a transcript: see `attributes.py`.

Column names have defaults in English and Russian and can all be given.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

from qualcode.errors import ImportFileError
from qualcode.exchange import refi_safe
from qualcode.exchange.safe_csv import restore
from qualcode.ingest.encoding import decode
from qualcode.ingest.turns import Block, parse_timestamp

SPEAKER_COLS = ("speaker", "speaker_name", "name", "who", "role", "говорящий", "спикер", "участник")
TEXT_COLS = ("text", "utterance", "content", "transcript", "turn", "answer", "speech", "текст", "реплика")
TIME_COLS = ("time", "timestamp", "start", "start_time", "время", "начало")
TRANSCRIPT_COLS = ("transcript", "interview", "interview_id", "file", "document", "интервью")
ID_COLS = ("case_id", "case", "respondent_id", "respondent", "participant_id", "participant", "id",
           "код", "респондент")
FILE_COLS = ("file", "filename", "file_name", "source", "transcript", "transcriptname", "transcript_name",
             "файл")
LONG_TEXT = 40  # mean characters above which a column holds answers rather than attributes


@dataclass
class TableOptions:
    layout: Literal["auto", "turns", "survey", "cases"] = "auto"
    speaker_column: str | None = None
    text_column: str | None = None
    time_column: str | None = None
    transcript_column: str | None = None
    id_column: str | None = None
    answer_columns: list[str] = field(default_factory=list)
    sheet: str | int = 0


@dataclass
class TableTranscript:
    name: str
    blocks: list[Block]
    case: str | None = None
    attributes: dict[str, object] = field(default_factory=dict)


def read_table(data: bytes, file: str, suffix: str, sheet: str | int = 0) -> pd.DataFrame:
    """Read CSV (encoding and delimiter detected) or the first sheet of an XLSX, all as text."""
    if suffix == ".xlsx" and (problem := refi_safe.zip_limits_problem(data)):
        raise ImportFileError("E804", file=file, reason=problem)  # the same zip-bomb limits as a .qdpx
    try:
        if suffix == ".xlsx":
            frame = pd.read_excel(io.BytesIO(data), sheet_name=sheet, dtype=object)
        else:
            text, _ = decode(data, file)
            frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, sep=None, engine="python")
    except ImportFileError:
        raise
    except Exception as exc:  # pandas raises many kinds for a broken table
        raise ImportFileError("E406", file=file, reason=f"{type(exc).__name__}: {exc}") from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    frame = frame.dropna(how="all")
    if suffix != ".xlsx":
        # A cell a qualcode CSV export marked with ' against spreadsheet formulas reads as it was.
        frame = frame.map(restore)
    return frame


def _find(columns: list[str], wanted: tuple[str, ...]) -> str | None:
    lower = {c.lower().replace(" ", "_"): c for c in columns}
    for name in wanted:
        if name in lower:
            return lower[name]
    return None


def _given(columns: list[str], name: str | None, role: str, file: str) -> str | None:
    if name is None:
        return None
    if name not in columns:
        raise ImportFileError("E301", file=file, column=name, role=role, found=", ".join(columns))
    return name


def _cell(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return str(value).strip()


def _mean_length(series: pd.Series) -> float:
    values = [len(_cell(v)) for v in series if _cell(v)]
    return sum(values) / len(values) if values else 0.0


def classify(frame: pd.DataFrame, options: TableOptions) -> str:
    """Decide turns / survey / cases for a table whose layout was not given."""
    if options.layout != "auto":
        return options.layout
    cols = list(frame.columns)
    if is_highlights(cols):
        return "highlights"  # Taguette's highlights: codings located by their text, never a survey
    if options.speaker_column or options.text_column:
        return "turns"
    if options.answer_columns:
        return "survey"
    speaker = _find(cols, SPEAKER_COLS)
    text = _find(cols, TEXT_COLS)
    if speaker and text:
        return "turns"
    long_cols = [c for c in cols if _mean_length(frame[c]) > LONG_TEXT]
    if long_cols:
        return "survey"
    if _find(cols, ID_COLS) or _find(cols, FILE_COLS):
        return "cases"
    return "survey"


HIGHLIGHT_COLS = ("document", "tag", "content")


def is_highlights(columns: list[str]) -> bool:
    """`id,document,tag,content` (Taguette) and the like: a codings table without offsets."""
    lower = {c.strip().lower() for c in columns}
    return set(HIGHLIGHT_COLS) <= lower and not {"start", "end"} <= lower


def turns_transcripts(frame: pd.DataFrame, file: str, stem: str, options: TableOptions) -> list[TableTranscript]:
    cols = list(frame.columns)
    speaker = _given(cols, options.speaker_column, "the speaker", file) or _find(cols, SPEAKER_COLS)
    text = _given(cols, options.text_column, "the text", file) or _find(cols, TEXT_COLS)
    time = _given(cols, options.time_column, "the time", file) or _find(cols, TIME_COLS)
    group = _given(cols, options.transcript_column, "the transcript", file) or _find(cols, TRANSCRIPT_COLS)
    if text is None:
        raise ImportFileError("E302", file=file, found=", ".join(cols))
    if group == text:
        group = None
    out: dict[str, TableTranscript] = {}
    for row_no, (_, row) in enumerate(frame.iterrows(), start=2):  # row 1 is the header
        body = _cell(row[text])
        if not body:
            continue
        name = _cell(row[group]) if group else stem
        if not name:
            raise ImportFileError("E304", file=file, row=row_no, reason=f"the '{group}' cell is empty")
        ts = None
        if time and _cell(row[time]):
            raw = _cell(row[time])
            ts = parse_timestamp(raw)
            if ts is None:
                try:
                    ts = float(raw)
                except ValueError as exc:
                    raise ImportFileError(
                        "E304", file=file, row=row_no,
                        reason=f"time '{raw}' in column '{time}' is not hh:mm:ss, mm:ss or seconds",
                    ) from exc
        who = _cell(row[speaker]) if speaker else ""
        out.setdefault(name, TableTranscript(name, [])).blocks.append(Block(body, who or None, ts))
    if not out:
        raise ImportFileError("E303", file=file)
    return list(out.values())


def survey_transcripts(frame: pd.DataFrame, file: str, stem: str, options: TableOptions) -> list[TableTranscript]:
    cols = list(frame.columns)
    ident = _given(cols, options.id_column, "the respondent id", file) or _find(cols, ID_COLS)
    for col in options.answer_columns:
        _given(cols, col, "an answer", file)
    answers = options.answer_columns or [
        c for c in cols if c != ident and _mean_length(frame[c]) > LONG_TEXT
    ]
    if not answers:
        raise ImportFileError("E302", file=file, found=", ".join(cols))
    attribute_cols = [c for c in cols if c not in answers and c != ident]
    out = []
    for row_no, (_, row) in enumerate(frame.iterrows(), start=2):
        rid = _cell(row[ident]) if ident else str(row_no - 1)
        if not rid:
            raise ImportFileError("E304", file=file, row=row_no, reason=f"the '{ident}' cell is empty")
        blocks = []
        for col in answers:
            answer = _cell(row[col])
            if answer:
                blocks.append(Block(col.replace("_", " "), "Question", role="interviewer"))
                blocks.append(Block(answer, rid, role="respondent"))
        attrs = {c: row[c] for c in attribute_cols if _cell(row[c])}
        if blocks:
            out.append(TableTranscript(f"{stem}-{rid}", blocks, case=rid, attributes=attrs))
    if not out:
        raise ImportFileError("E303", file=file)
    return out
