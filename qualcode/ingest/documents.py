"""Text out of word-processor and PDF files: .docx, .odt, .pdf.

DOCX and ODT are zip files of XML. We read the XML ourselves (with defusedxml, so
no external entities or entity bombs) because interview transcripts hide text
where simple extractors miss it: content controls (`w:sdt`), tables of
speaker/text rows, and speaker names marked only by bold type. Each paragraph
becomes one line, so the text turn parser sees `Speaker: words` lines.
"""

from __future__ import annotations

import io
import re
import zipfile
from xml.etree.ElementTree import Element

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from qualcode.errors import ImportFileError, QualcodeError
from qualcode.exchange import refi_safe
from qualcode.ingest.speakers import known_role, plausible_name
from qualcode.ingest.turns import format_timestamp, parse_timestamp

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MAX_XML_BYTES = 200 * 1024 * 1024  # uncompressed; a zip bomb stops here
_TS_CELL = re.compile(r"^\[?\(?\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?\)?\]?$")


def _read_zip_member(data: bytes, member: str, file: str, kind: str, max_bytes: int | None = None) -> bytes:
    """One member of a .docx/.odt, under the same limits as a .qdpx (refi_safe): member count,
    unpacked size and compression ratio are checked from the table of contents before anything is
    unpacked, so a 572 KB file that unpacks to 190 MB is refused (E804) instead of read. The
    import's `--max-bytes` also bounds the unpacked text member, not only the file on disk."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise ImportFileError("E208", file=file, kind=kind, reason="it is not a valid zip archive") from exc
    with zf:
        problem = refi_safe.limits_problem(zf.infolist())
        if problem:
            raise ImportFileError("E804", file=file, reason=problem)
        try:
            info = zf.getinfo(member)
        except KeyError as exc:
            raise ImportFileError("E208", file=file, kind=kind, reason=f"'{member}' is missing inside") from exc
        if info.file_size > MAX_XML_BYTES:
            raise ImportFileError(
                "E208", file=file, kind=kind, reason=f"'{member}' unpacks to {info.file_size} bytes"
            )
        if max_bytes is not None and info.file_size > max_bytes:
            raise ImportFileError("E804", file=file, reason=f"'{member}' unpacks to {info.file_size:,} bytes, over "
                                  f"the import limit of {max_bytes:,} (raise it with --max-bytes)")
        try:
            return refi_safe.read_member(zf, info, file)
        except QualcodeError as exc:
            raise ImportFileError("E208", file=file, kind=kind, reason=f"'{member}' is damaged ({exc})") from None


def _parse_xml(raw: bytes, file: str, kind: str) -> Element:
    try:
        return SafeET.fromstring(raw)
    except DefusedXmlException as exc:
        raise ImportFileError("E208", file=file, kind=kind, reason=f"forbidden XML construct ({exc})") from exc
    except SafeET.ParseError as exc:
        raise ImportFileError("E208", file=file, kind=kind, reason=f"malformed XML ({exc})") from exc


# --- DOCX -----------------------------------------------------------------------------------

def _is_bold(run: Element) -> bool:
    rpr = run.find(f"{W}rPr")
    if rpr is None:
        return False
    b = rpr.find(f"{W}b")
    if b is None:
        return False
    return b.get(f"{W}val", "true").lower() not in ("0", "false", "off")


def _runs(paragraph: Element) -> list[tuple[str, bool]]:
    """(text, bold) per run in reading order, including runs inside content controls,
    hyperlinks and tracked insertions; deleted text (w:delText) is left out."""
    out: list[tuple[str, bool]] = []
    for run in paragraph.iter(f"{W}r"):
        parts = []
        for child in run:
            if child.tag == f"{W}t":
                parts.append(child.text or "")
            elif child.tag == f"{W}tab":
                parts.append("\t")
            elif child.tag in (f"{W}br", f"{W}cr"):
                parts.append("\n")
        if parts:
            out.append(("".join(parts), _is_bold(run)))
    return out


def _paragraph_text(paragraph: Element) -> str:
    runs = _runs(paragraph)
    text = "".join(t for t, _ in runs)
    # A speaker name set in bold, without a colon ("**Aigerim** So we moved..."): add the colon
    # so the turn parser sees a label. Only when the bold part is short and more text follows.
    bold = ""
    for t, is_bold in runs:
        if not is_bold:
            break
        bold += t
    label = bold.strip()
    rest = text[len(bold):]
    if (
        label
        and rest.strip()
        and not label.endswith(":")
        and not rest.lstrip().startswith(":")
        and (known_role(label) or plausible_name(label))
        and label[0].isalpha()
    ):
        return f"{label}: {rest.lstrip()}"
    return text


def _table_lines(table: Element) -> list[str]:
    lines: list[str] = []
    for row in table.iter(f"{W}tr"):
        cells = []
        for cell in row.findall(f"{W}tc"):
            paras = ["".join(t for t, _ in _runs(p)) for p in cell.iter(f"{W}p")]
            cells.append("\n".join(p for p in paras if p.strip()).strip())
        lines.extend(_row_as_lines(cells))
    return lines


def _row_as_lines(cells: list[str]) -> list[str]:
    """A table row of a transcript: (speaker, text) or (time, speaker, text)."""
    if not any(cells):
        return []
    header = {c.strip().lower() for c in cells}
    if header & {"speaker", "text", "говорящий", "текст", "спикер", "utterance", "time", "время"} and all(
        len(c) < 20 for c in cells
    ):
        return []  # the header row of a speaker/text table
    if len(cells) == 3 and _TS_CELL.match(cells[0].strip()) and cells[1].strip():
        ts = parse_timestamp(cells[0].strip())
        return [f"[{format_timestamp(ts or 0)}] {cells[1].strip()}: {cells[2]}"]
    if len(cells) == 2 and cells[0].strip() and len(cells[0].strip()) <= 40 and "\n" not in cells[0]:
        label = cells[0].strip().rstrip(":")
        return [f"{label}: {cells[1]}"]
    return ["\t".join(cells)]


def _block_lines(container: Element) -> list[str]:
    lines: list[str] = []
    for child in container:
        if child.tag == f"{W}p":
            lines.append(_paragraph_text(child))
        elif child.tag == f"{W}tbl":
            lines.extend(_table_lines(child))
        elif child.tag == f"{W}sdt":
            content = child.find(f"{W}sdtContent")
            if content is not None:
                lines.extend(_block_lines(content))
        elif child.tag in (f"{W}customXml", f"{W}ins", f"{W}smartTag"):
            lines.extend(_block_lines(child))
    return lines


def docx_text(data: bytes, file: str, max_bytes: int | None = None) -> str:
    root = _parse_xml(_read_zip_member(data, "word/document.xml", file, "DOCX", max_bytes), file, "DOCX")
    body = root.find(f"{W}body")
    if body is None:
        raise ImportFileError("E208", file=file, kind="DOCX", reason="the document has no body")
    return "\n".join(_block_lines(body))


# --- ODT ------------------------------------------------------------------------------------

TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"


def _odt_inline(element: Element) -> str:
    parts = [element.text or ""]
    for child in element:
        if child.tag == f"{TEXT}s":
            parts.append(" " * int(child.get(f"{TEXT}c", "1")))
        elif child.tag == f"{TEXT}tab":
            parts.append("\t")
        elif child.tag == f"{TEXT}line-break":
            parts.append("\n")
        elif child.tag in (f"{TEXT}note", f"{OFFICE}annotation"):
            pass  # footnotes and comments are not speech
        else:
            parts.append(_odt_inline(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _odt_blocks(container: Element) -> list[str]:
    lines: list[str] = []
    for child in container:
        if child.tag in (f"{TEXT}p", f"{TEXT}h"):
            lines.append(_odt_inline(child))
        elif child.tag == f"{TABLE}table":
            for row in child.iter(f"{TABLE}table-row"):
                cells = [
                    "\n".join(_odt_inline(p) for p in cell.iter(f"{TEXT}p")).strip()
                    for cell in row.findall(f"{TABLE}table-cell")
                ]
                lines.extend(_row_as_lines(cells))
        elif child.tag in (f"{TEXT}list", f"{TEXT}list-item", f"{TEXT}section"):
            lines.extend(_odt_blocks(child))
    return lines


def odt_text(data: bytes, file: str, max_bytes: int | None = None) -> str:
    root = _parse_xml(_read_zip_member(data, "content.xml", file, "ODT", max_bytes), file, "ODT")
    body = root.find(f"{OFFICE}body/{OFFICE}text")
    if body is None:
        raise ImportFileError("E208", file=file, kind="ODT", reason="no office:text body")
    return "\n".join(_odt_blocks(body))


# --- PDF ------------------------------------------------------------------------------------

def pdf_text(data: bytes, file: str) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ImportFileError("E208", file=file, kind="PDF", reason="it is password-protected")
        pages = [(page.extract_text() or "") for page in reader.pages]
    except ImportFileError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise ImportFileError("E208", file=file, kind="PDF", reason=str(exc) or type(exc).__name__) from exc
    text = "\n".join(p.strip("\n") for p in pages)
    if not text.strip():
        raise ImportFileError("E209", file=file)
    return text
