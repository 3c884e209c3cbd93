"""Memos as files a researcher reads or hands on: Markdown, CSV and Word (.docx).

Each memo is written with what it is about (the project, a transcript, case, code or coding),
its author and dates, then its text as written. Markdown escapes nothing in the text (it is
the researcher's own), but headings and labels are plain; CSV goes through `safe_csv`, so a
memo that begins with `=` is not run as a formula; Word gets one heading per memo. The file
appears complete or not at all (`qualcode.files.atomic_path`).
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from qualcode.errors import QualcodeError
from qualcode.exchange import safe_csv
from qualcode.files import atomic_path

FORMATS = {".md": "md", ".markdown": "md", ".csv": "csv", ".docx": "docx"}
COLUMNS = ["id", "target_type", "target", "transcript", "title", "text", "author", "created_at", "updated_at",
           "stored_in"]
_KIND_WORDS = {"project": "Project", "transcript": "Transcript", "case": "Case", "code": "Code", "coding": "Coding",
               "turn": "Turn"}


def memo_format(path: str | Path, fmt: str | None = None) -> str:
    """md, csv or docx, from `fmt` or else the file's extension (E420 otherwise)."""
    path = Path(path)
    value = (fmt or "").lower().lstrip(".")
    value = {"markdown": "md"}.get(value, value) or FORMATS.get(path.suffix.lower(), "")
    if value not in set(FORMATS.values()):
        raise QualcodeError("E420", path=path, value=fmt or path.suffix or "(no extension)",
                            supported="md, csv, docx")
    return value


def _when(value: object) -> str:
    stamp = pd.Timestamp(value) if value is not None and not pd.isna(value) else None
    return "" if stamp is None else f"{stamp:%Y-%m-%d %H:%M}"


def heading(row: dict) -> str:
    """'Transcript T01 — Title' / 'Project': what a memo is about, for a reader."""
    kind = _KIND_WORDS.get(row["target_type"], str(row["target_type"]).title())
    about = f"{kind} {row['target']}" if isinstance(row.get("target"), str) and row["target"] else kind
    title = row.get("title")
    return f"{about} — {title}" if isinstance(title, str) and title else about


def byline(row: dict) -> str:
    parts = [f"by {row['author']}" if isinstance(row.get("author"), str) and row["author"] else "no author"]
    if _when(row.get("created_at")):
        parts.append(f"written {_when(row['created_at'])}")
    if _when(row.get("updated_at")) and _when(row.get("updated_at")) != _when(row.get("created_at")):
        parts.append(f"changed {_when(row['updated_at'])}")
    if row.get("id") is not None:
        parts.append(f"memo {row['id']}")
    elif row.get("stored_in") in ("code", "coding"):
        parts.append(f"kept on the {row['stored_in']}")
    return ", ".join(parts)


def markdown(frame: pd.DataFrame, title: str = "Memos") -> str:
    lines = [f"# {title}", ""]
    for row in frame.to_dict("records"):
        lines += [f"## {heading(row)}", "", f"*{byline(row)}*", "", str(row["text"]).strip(), ""]
    return "\n".join(lines)


def _docx(frame: pd.DataFrame, title: str) -> bytes:
    # python-docx is the standard reader/writer of Word files in Python (requirements.txt)
    from docx import Document

    document = Document()
    document.add_heading(title, level=0)
    for row in frame.to_dict("records"):
        document.add_heading(heading(row), level=1)
        document.add_paragraph().add_run(byline(row)).italic = True
        for paragraph in str(row["text"]).strip().split("\n\n"):
            document.add_paragraph(paragraph)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def to_bytes(frame: pd.DataFrame, fmt: str, *, title: str = "Memos", raw: bool = False) -> bytes:
    """Memos (a `Project.memos()` frame) as the bytes of an md, csv or docx file (a download)."""
    frame = frame[[c for c in COLUMNS if c in frame.columns]]
    if fmt == "csv":
        return safe_csv.to_csv(frame, raw=raw).encode("utf-8")
    frame = frame.astype(object).where(frame.notna(), None)  # a missing title is no title, never "nan"
    if fmt == "md":
        return markdown(frame, title).encode("utf-8")
    return _docx(frame, title)


def write(frame: pd.DataFrame, path: str | Path, fmt: str | None = None, *, title: str = "Memos",
          raw: bool = False) -> Path:
    """Write memos (a `Project.memos()` frame) to `path` as md, csv or docx; return the path."""
    path = Path(path)
    kind = memo_format(path, fmt)
    if path.is_dir() or not path.parent.is_dir():
        raise QualcodeError("E421", path=path, reason="it is a folder" if path.is_dir() else
                            f"the folder {path.parent} does not exist", fix="Give a file name in an existing folder.")
    data = to_bytes(frame, kind, title=title, raw=raw)
    try:
        with atomic_path(path) as tmp:
            tmp.write_bytes(data)
    except OSError as exc:
        raise QualcodeError("E421", path=path, reason=exc.strerror or str(exc),
                            fix="Check that the folder is writable and the file is not open in another program.") \
            from None
    return path
