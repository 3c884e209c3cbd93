"""Reading transcript files into `ParsedTranscript`s: one reader per format, one turn parser.

`read_file` checks the file (exists, size, type), decodes it, finds front
matter, speaker turns, timestamps and the language, and returns transcripts
ready to store. It never touches the project; `Project.import_files` does.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from qualcode.errors import ImportFileError
from qualcode.ingest import captions, documents, paths, tables
from qualcode.ingest import report as turn_report
from qualcode.ingest.attributes import CasesTable, load_cases_table
from qualcode.ingest.encoding import decode_reporting, normalise
from qualcode.ingest.frontmatter import MAX_ATTRIBUTES, split_front_matter
from qualcode.ingest.language import detect_language
from qualcode.ingest.speakers import load_speaker_map
from qualcode.ingest.tables import TableOptions
from qualcode.ingest.turns import compose, parse_layout
from qualcode.model import LANGUAGES, ParsedTranscript

__all__ = ["ImportOptions", "TableOptions", "is_cases_table", "read_cases_table", "read_file"]

TEXT_FORMATS = {".txt": "txt", ".text": "txt", ".md": "md", ".markdown": "md"}
DOCUMENT_FORMATS = {".docx": "docx", ".odt": "odt", ".pdf": "pdf"}
CAPTION_FORMATS = {".vtt": "vtt", ".srt": "srt"}
TABLE_FORMATS = {".csv": "csv", ".tsv": "csv", ".xlsx": "xlsx"}
SUPPORTED = {**TEXT_FORMATS, **DOCUMENT_FORMATS, **CAPTION_FORMATS, **TABLE_FORMATS}
DEFAULT_MAX_BYTES = 50 * 1024 * 1024
# In a batch (e.g. `interviews/*`), a folder's documentation is not an interview.
DOC_FILE_STEMS = {"readme", "license", "licence", "changelog", "notes", "contributing"}


@dataclass
class ImportOptions:
    """How to read files. Every field has a default that suits an ordinary transcript."""

    language: str = "auto"
    encoding: str | None = None
    max_bytes: int = DEFAULT_MAX_BYTES
    speaker_map: dict[str, str] = field(default_factory=dict)
    name: str | None = None
    new_version: bool = False
    table: TableOptions = field(default_factory=TableOptions)
    # Change a stored case's attributes from a transcript's front matter (else: E954, nothing stored).
    update_cases: bool = False
    max_attributes: int = MAX_ATTRIBUTES  # front-matter keys per file (E955 above it)
    # A cases-table row that matches no transcript is reported (E985), and added only with this.
    keep_unmatched: bool = False

    @classmethod
    def with_speaker_map_file(cls, path: str | Path, **kwargs: object) -> ImportOptions:
        return cls(speaker_map=load_speaker_map(path), **kwargs)  # type: ignore[arg-type]


def _same(a: object, b: object) -> bool:
    """Equal as a researcher would read them: True == 'true', 34 == '34', 2019-05-01 == '2019-05-01'."""
    def norm(v: object) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        return str(v).strip().lower()
    return norm(a) == norm(b)


def _check(path: Path, options: ImportOptions) -> bytes:
    if not path.exists() or not path.is_file():
        raise ImportFileError("E201", file=path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise ImportFileError(
            "E202", file=path, ext=suffix or "(none)", supported=", ".join(sorted(SUPPORTED))
        )
    size = path.stat().st_size
    if size == 0:
        raise ImportFileError("E203", file=path)
    if size > options.max_bytes:
        raise ImportFileError("E205", file=path, size=size, limit=options.max_bytes)
    return path.read_bytes()


def _language(file: Path, given: str | None, option: str, text: str) -> str:
    lang = given if given else (None if option == "auto" else option)
    if lang is None or lang == "auto":
        return detect_language(text)
    lang = lang.lower()
    if lang not in LANGUAGES:
        raise ImportFileError("E214", file=file, value=lang, supported=", ".join(LANGUAGES))
    return lang


def is_cases_table(path: Path, options: ImportOptions) -> bool:
    """A .csv/.xlsx that holds case attributes rather than speech."""
    if path.suffix.lower() not in TABLE_FORMATS or options.table.layout not in ("auto", "cases"):
        return False
    if options.table.layout == "cases":
        return True
    try:
        data = _check(path, options)
        frame = tables.read_table(data, str(path), path.suffix.lower())
    except ImportFileError:
        return False
    return tables.classify(frame, options.table) == "cases"


def read_cases_table(path: str | Path, options: ImportOptions | None = None) -> CasesTable:
    path = Path(path)
    id_column = options.table.id_column if options is not None else None
    data = _check(path, ImportOptions())
    return load_cases_table(data, str(path), path.suffix.lower(), id_column)


def read_file(path: str | Path, options: ImportOptions | None = None,
              cases: CasesTable | None = None) -> list[ParsedTranscript]:
    """Read one file into one or more transcripts (a table may hold several)."""
    options = options or ImportOptions()
    path = Path(path)
    data = _check(path, options)
    sha = hashlib.sha256(data).hexdigest()
    suffix = path.suffix.lower()
    fmt = SUPPORTED[suffix]
    file = str(path)
    encoding: str | None = None
    warnings: list[str] = []

    if fmt in ("csv", "xlsx"):
        return _read_table_file(path, data, fmt, options, cases)

    if fmt in ("txt", "md", "vtt", "srt"):
        text, encoding, warnings = decode_reporting(data, file, options.encoding)
    elif fmt == "docx":
        text = normalise(documents.docx_text(data, file, options.max_bytes))
    elif fmt == "odt":
        text = normalise(documents.odt_text(data, file, options.max_bytes))
    else:
        text = normalise(documents.pdf_text(data, file))
    if not text.strip():
        if fmt in ("txt", "md", "vtt", "srt"):
            raise ImportFileError("E204", file=file)
        raise ImportFileError("E215", file=file, kind=fmt.upper())

    fm = split_front_matter(text, file, options.max_attributes) if fmt in ("txt", "md") else None
    roles = {**(fm.speaker_roles if fm else {})}
    speaker_map = options.speaker_map
    if fmt in ("vtt", "srt"):
        cue_warnings: list[str] = []
        blocks = (captions.vtt_blocks if fmt == "vtt" else captions.srt_blocks)(text, cue_warnings)
        warnings += [f"{file}: {w}" for w in cue_warnings]
        if not blocks:
            raise ImportFileError("E215", file=file, kind=fmt.upper())
        body, turns = compose(blocks, speaker_map=speaker_map, role_hints=roles)
        rep = turn_report.build(file, body, turns, method="captions", composed=True,
                                how=_how_composed(turns, speaker_map))
    else:
        body = text[fm.end:] if fm else text
        if not body.strip():
            raise ImportFileError("E204", file=file)
        layout = parse_layout(body, speaker_map=speaker_map, role_hints=roles)
        turns = layout.turns
        rep = turn_report.build(file, body, turns, method=layout.method, how=layout.how,
                                confidence=layout.confidence, cues=layout.cues, headings=layout.headings,
                                markup=layout.markup)
    warnings += rep.warnings

    name, name_warnings = paths.transcript_name(options.name or path.stem, file)  # no line breaks
    case = fm.case if fm else None
    attributes: dict[str, object] = dict(fm.attributes) if fm else {}
    if cases is not None:
        case_found, table_attrs = cases.lookup(path.name, case)
        for key, value in table_attrs.items():
            if key in attributes and _same(attributes[key], value) is False:
                warnings.append(
                    f"{file}: attribute '{key}' is '{attributes[key]}' in the front matter but "
                    f"'{value}' in {cases.source}; using the cases table."
                )
        attributes.update(table_attrs)
        case = case_found or case
    warnings += name_warnings + [w for w in [paths.link_warning(path)] if w]
    language = _language(path, fm.language if fm else None, options.language, body)
    return [
        ParsedTranscript(
            name=name, text=body, turns=turns, source_format=fmt, source_name=path.name, sha256=sha,
            language=language, case=case or name, encoding=encoding, attributes=attributes,
            speaker_roles=roles, warnings=warnings, report=rep,
        )
    ]


def _how_composed(turns: list, speaker_map: dict[str, str]) -> dict[str, str]:
    """Captions and table rows name their speakers: roles come from the map or the label."""
    mapped = {k.casefold() for k in speaker_map}
    return {t.speaker: "map" if t.speaker.casefold() in mapped else "label" for t in turns if t.speaker}


def _read_table_file(path: Path, data: bytes, fmt: str, options: ImportOptions,
                     cases: CasesTable | None) -> list[ParsedTranscript]:
    file = str(path)
    frame = tables.read_table(data, file, path.suffix.lower(), options.table.sheet)
    if frame.empty:
        raise ImportFileError("E303", file=file)
    layout = tables.classify(frame, options.table)
    if layout == "cases":
        raise ImportFileError("E302", file=file, found=", ".join(frame.columns))
    if layout == "highlights":
        raise ImportFileError("E990", file=file)
    stem = options.name or path.stem
    found = (tables.turns_transcripts if layout == "turns" else tables.survey_transcripts)(
        frame, file, stem, options.table
    )
    out = []
    link = [w for w in [paths.link_warning(path)] if w]
    for item in found:
        name, warnings = paths.transcript_name(item.name, file)
        body, turns = compose(item.blocks, speaker_map=options.speaker_map)
        rep = turn_report.build(file, body, turns, method=f"table ({layout})", composed=True,
                                how=_how_composed(turns, options.speaker_map))
        attributes = dict(item.attributes)
        case = item.case
        if cases is not None:
            case, extra = cases.lookup(item.name, case)
            attributes.update(extra)
        # A table may hold several interviews, so each gets the hash of its own content (name and
        # turns), not of the file: the same interview re-imported from any table is a duplicate.
        item_sha = hashlib.sha256(f"{fmt}\n{item.name}\n{body}".encode()).hexdigest()
        out.append(ParsedTranscript(
            name=name, text=body, turns=turns, source_format=fmt, source_name=path.name,
            sha256=item_sha, language=_language(path, None, options.language, body),
            case=case or name, attributes=attributes, warnings=link + warnings + rep.warnings, report=rep,
        ))
    return out
