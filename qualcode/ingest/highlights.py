"""Highlights exported by Taguette (`id,document,tag,content`) and tools like it: codings without offsets.

Each highlight is located in the named transcript by its text (white space may differ: a
re-wrapped or re-exported text still matches); every occurrence is coded and an ambiguous one
is reported (E987), one that is not there is reported (E986) and not imported, and one whose
document is not in the project is reported (E988). The result is an ordinary codings table
(transcript, code, start, end, text), so it goes through the same checks as any other import.
Such a table is never read as transcripts (a survey): `read_file` refuses it with E990.
"""

from __future__ import annotations

import csv
import html
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from qualcode.errors import QualcodeError
from qualcode.ingest import tables

SUFFIXES = (".csv", ".tsv", ".xlsx")
_TAG = re.compile(r"<[^>]{0,200}>")
_NOT_ID = re.compile(r"[^\w.]+")
EXCERPT = 50


def is_highlights_file(path: str | Path, max_bytes: int) -> bool:
    path = Path(path)
    if path.suffix.lower() not in SUFFIXES or not path.is_file() or path.stat().st_size > max_bytes:
        return False
    try:
        frame = tables.read_table(path.read_bytes(), str(path), path.suffix.lower())
    except QualcodeError:
        return False
    return tables.is_highlights(list(frame.columns))


def code_id(tag: str) -> str:
    """A code id for a tag: `work/conditions` → `work.conditions`, `Push factors` → `Push_factors`."""
    parts = [p for p in (_NOT_ID.sub("_", part.strip()).strip("_") for part in re.split(r"[/.]", tag)) if p]
    parts = [p if p[0].isalpha() else f"t_{p}" for p in parts]
    return ".".join(parts) or "untitled"


def _plain(content: str) -> str:
    """Taguette may export the highlighted HTML: keep its text."""
    return html.unescape(_TAG.sub(" ", content)) if "<" in content else content


@dataclass
class Located:
    rows: list[dict[str, object]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    codes: dict[str, str] = field(default_factory=dict)  # tag -> code id
    highlights: int = 0


def _documents(texts: dict[str, str], sources: dict[str, str]) -> dict[str, str]:
    """Every name a tool may use for a transcript (its name, file name, stem), folded → transcript name."""
    names: dict[str, str] = {}
    for name in texts:
        names.setdefault(name.casefold(), name)
        source = sources.get(name)
        if source:
            names.setdefault(source.casefold(), name)
            names.setdefault(Path(source).stem.casefold(), name)
    return names


def locate(path: str | Path, texts: dict[str, str], sources: dict[str, str]) -> Located:
    """The codings a highlights table makes in the project's transcripts (`texts`: name → text)."""
    path = Path(path)
    file = str(path)
    frame = tables.read_table(path.read_bytes(), file, path.suffix.lower())
    columns = {c.strip().lower(): c for c in frame.columns}
    documents = _documents(texts, sources)
    out = Located()
    for row_no, (_, row) in enumerate(frame.iterrows(), start=2):
        document = tables._cell(row[columns["document"]])
        tag = tables._cell(row[columns["tag"]])
        content = _plain(tables._cell(row[columns["content"]]))
        if not (document and tag and content.strip()):
            continue
        out.highlights += 1
        name = documents.get(document.casefold()) or documents.get(Path(document).stem.casefold())
        if name is None:
            out.warnings.append(str(QualcodeError(
                "E988", file=file, row=row_no, document=document, known=", ".join(sorted(texts)[:8]) or "(none)")))
            continue
        words = content.split()
        pattern = re.compile(r"\s+".join(re.escape(w) for w in words))
        spans = [(m.start(), m.end()) for m in pattern.finditer(texts[name])]
        excerpt = " ".join(words)[:EXCERPT]
        if not spans:
            out.warnings.append(str(QualcodeError("E986", file=file, row=row_no, tag=tag, excerpt=excerpt,
                                                  document=name)))
            continue
        if len(spans) > 1:
            out.warnings.append(str(QualcodeError("E987", file=file, row=row_no, tag=tag, excerpt=excerpt,
                                                  count=len(spans), document=name)))
        code = out.codes.setdefault(tag, code_id(tag))
        for start, end in spans:
            out.rows.append({"transcript": name, "code": code, "start": start, "end": end,
                             "text": texts[name][start:end]})
    return out


def as_codings_csv(rows: list[dict[str, object]]) -> str:
    """The located highlights as a codings table (`qualcode.exchange.codings` reads it)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=["transcript", "code", "start", "end", "text"])
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def import_into(project: object, path: str | Path, coder: str) -> tuple[object, Located]:
    """Locate the highlights in `project`'s transcripts and import them as `coder`'s codings
    (one transaction, through `Project.import_codings`); codes are created from the tags."""
    import tempfile

    frame = project.transcripts()  # type: ignore[attr-defined]
    names = list(frame["transcript"])
    texts = {n: project.transcript_text(n) for n in names}  # type: ignore[attr-defined]
    sources = dict(zip(frame["transcript"], frame["source"], strict=True)) if "source" in frame else {}
    located = locate(path, texts, sources)
    if not located.rows:
        return None, located
    with tempfile.TemporaryDirectory() as tmp:
        table = Path(tmp) / f"{Path(path).stem}-codings.csv"
        table.write_text(as_codings_csv(located.rows), encoding="utf-8")
        result = project.import_codings(table, coder=coder, create_codes=True)  # type: ignore[attr-defined]
    return result, located


def summary(file: str, result: object, located: Located, coder: str) -> str:
    imported = getattr(result, "imported", 0)
    duplicates = getattr(result, "duplicates", 0)
    renamed = [f"{t} → {c}" for t, c in located.codes.items() if t != c]
    line = (f"{file}: {located.highlights} highlight(s) located by their text: {imported} coding(s) of coder "
            f"'{coder}' imported, {duplicates} already there, {len(located.warnings)} problem(s) reported")
    return line + (f"; tags as codes: {', '.join(renamed)}" if renamed else "")
