"""Safe reading of REFI-QDA files: bounded zip archives and XML without entities or DTDs.

A .qdpx is a zip archive that other people's tools made, so nothing in it is trusted.
Every member name is checked (no absolute paths, no `..`, no drive letters) and the
archive's member count, total unpacked size and compression ratios are checked against
limits *before* anything is unpacked; members are read into memory, never written to
disk, and only the ones the project file refers to. XML is parsed with lxml configured
to resolve no entities, load no DTD and touch no network, and a document with a
DOCTYPE is refused outright (REFI-QDA files never need one), so XXE, external DTDs
and billion-laughs files fail with a clear message instead of being expanded.
"""

from __future__ import annotations

import json
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from qualcode.errors import QualcodeError

MAX_MEMBERS = 10_000
MAX_TOTAL_BYTES = 2 * 1024**3  # unpacked, summed over all members
MAX_MEMBER_BYTES = 512 * 1024**2  # unpacked, one member (and a bare .qde/.qdc file)
MAX_RATIO = 100  # unpacked / packed; text and XML compress about 3-20 times
RATIO_FLOOR = 1024 * 1024  # small members may compress better than that, harmlessly

# Numbered messages of REFI-QDA exchange (E801-E812; tables.py uses E85x). They belong in
# qualcode/errors.py; until it registers them they live here, and RefiError formats them the same way.


class RefiError(QualcodeError):
    """A REFI-QDA file could not be read or written; `code` is E8xx and the message says why."""



def _where(member: str | None) -> str:
    return f", member '{member}'" if member else ""


# --- XML ----------------------------------------------------------------------------------

_PROLOG_ITEM = re.compile(rb"\s*(?:<\?.*?\?>|<!--.*?-->)", re.S)


def declared_doctype(data: bytes) -> str | None:
    """The DOCTYPE declaration in the document's prolog, if it has one (checked before parsing)."""
    head = data[: 4 * 1024 * 1024]
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or head[:2].count(b"\x00") == 1:
        head = head.decode("utf-16", errors="replace").encode("utf-8")
    head = head.removeprefix(b"\xef\xbb\xbf")
    pos = 0
    while (m := _PROLOG_ITEM.match(head, pos)) is not None and m.end() > pos:
        pos = m.end()
    rest = head[pos:].lstrip()
    if rest.startswith(b"<!DOCTYPE"):
        return rest[:120].decode("utf-8", errors="replace").split(">", 1)[0] + ">"
    return None


def parse_xml(data: bytes, file: str, member: str | None = None) -> etree._Element:
    """Parse untrusted XML: a DOCTYPE is refused, entities are never resolved, no DTD is loaded,
    no network is used."""
    doctype = declared_doctype(data)
    if doctype:
        raise RefiError("E806", file=file, where=_where(member), doctype=doctype)
    # Do not pass collect_ids=False: with lxml 6 / libxml2 it makes the parser load an external DTD.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                             dtd_validation=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        reason = exc.msg or str(exc)
        if "line" not in reason:
            reason += f" (line {exc.lineno})"
        raise RefiError("E805", file=file, where=_where(member), reason=reason) from None
    except ValueError as exc:  # e.g. a document that is empty or not bytes of XML at all
        raise RefiError("E805", file=file, where=_where(member), reason=str(exc)) from None
    doctype = root.getroottree().docinfo.doctype
    if doctype:
        raise RefiError("E806", file=file, where=_where(member), doctype=doctype[:120])
    return root


def local(element: etree._Element) -> str:
    """An element's tag without its namespace ('' for comments and processing instructions)."""
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def namespace(element: etree._Element) -> str | None:
    tag = element.tag
    return tag[1:].split("}", 1)[0] if isinstance(tag, str) and tag.startswith("{") else None


def children(element: etree._Element, name: str) -> list[etree._Element]:
    """Child elements called `name` in any namespace (lenient: old and missing namespaces)."""
    return [c for c in element if local(c) == name]


def child(element: etree._Element, name: str) -> etree._Element | None:
    for c in element:
        if local(c) == name:
            return c
    return None


def child_text(element: etree._Element, name: str) -> str | None:
    found = child(element, name)
    return None if found is None else (found.text or "")


# --- zip archives -------------------------------------------------------------------------

_DRIVE = re.compile(r"^[A-Za-z]:")


def unsafe_reason(name: str) -> str | None:
    """Why a member name must not be used, or None when it is a plain relative path."""
    if "\x00" in name:
        return "it contains a NUL character"
    path = name.replace("\\", "/")
    if path.startswith("/"):
        return "an absolute path"
    if _DRIVE.match(path):
        return "a drive letter"
    if any(part == ".." for part in path.split("/")):
        return "it climbs out of the archive with '..'"
    return None


def member_key(name: str) -> str:
    """How members are looked up: '/' separators, no leading './', case-insensitive."""
    path = name.replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    return path.lower()


@dataclass
class Container:
    """An opened .qdpx (or a bare .qde): the project XML and its members, read on demand."""

    file: str
    qde: bytes
    qde_name: str | None
    zf: zipfile.ZipFile | None = None
    members: dict[str, zipfile.ZipInfo] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def __enter__(self) -> Container:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.zf is not None:
            self.zf.close()

    def has(self, name: str) -> bool:
        return member_key(name) in self.members

    def read(self, name: str) -> bytes | None:
        """A member's bytes, or None when there is no such member."""
        info = self.members.get(member_key(name))
        if info is None or self.zf is None:
            return None
        return _read_member(self.zf, info, self.file)

    def read_json(self, name: str) -> dict | None:
        data = self.read(name)
        if data is None:
            return None
        try:
            value = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            self.warnings.append(f"{self.file}: '{name}' is not valid JSON ({exc}); it was ignored.")
            return None
        return value if isinstance(value, dict) else None


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, file: str) -> bytes:
    try:
        with zf.open(info) as fh:
            # zipfile stops at the declared size and checks the CRC, so a lying header fails here.
            data = fh.read(info.file_size + 1)
    except (zipfile.BadZipFile, EOFError, zlib.error, OSError, ValueError) as exc:
        raise RefiError("E802", file=file, where=_where(info.filename), reason=str(exc) or type(exc).__name__) from None
    except RuntimeError as exc:  # encrypted member
        raise RefiError("E802", file=file, where=_where(info.filename), reason=str(exc)) from None
    except NotImplementedError as exc:
        raise RefiError("E802", file=file, where=_where(info.filename),
                        reason=f"unsupported compression ({exc})") from None
    if len(data) > info.file_size:
        raise RefiError("E804", file=file, reason=f"member '{info.filename}' unpacks to more than it declares")
    return data


def limits_problem(infos: list[zipfile.ZipInfo]) -> str | None:
    """Why an archive's table of contents breaks a size limit (member count, one member's unpacked
    size, its compression ratio, the total), or None. Read from the central directory only, so it
    costs nothing; the same limits guard .qdpx projects and .docx/.odt documents."""
    if len(infos) > MAX_MEMBERS:
        return f"{len(infos)} members (the limit is {MAX_MEMBERS})"
    total = 0
    for info in infos:
        if info.file_size > MAX_MEMBER_BYTES:
            return f"member '{info.filename}' unpacks to {info.file_size:,} bytes (the limit is {MAX_MEMBER_BYTES:,})"
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            ratio = info.file_size // max(info.compress_size, 1)
            return f"member '{info.filename}' is compressed {ratio:,}:1 (the limit is {MAX_RATIO}:1), as in a zip bomb"
        total += info.file_size
        if total > MAX_TOTAL_BYTES:
            return f"the members unpack to more than {MAX_TOTAL_BYTES:,} bytes"
    return None


def zip_limits_problem(data: bytes) -> str | None:
    """`limits_problem` for the bytes of a zip-based file (.xlsx, .docx); None when they are not a zip,
    so the file's own reader reports that."""
    import io

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return limits_problem(zf.infolist())
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        return None


def read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, file: str) -> bytes:
    """One member's bytes, never more than it declares (a lying header fails with E804)."""
    return _read_member(zf, info, file)


def check_archive(zf: zipfile.ZipFile, file: str) -> dict[str, zipfile.ZipInfo]:
    """Check every member name and the size limits before anything is unpacked."""
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise RefiError("E804", file=file, reason=f"{len(infos)} members (the limit is {MAX_MEMBERS})")
    members: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        reason = unsafe_reason(info.filename)
        if reason:
            raise RefiError("E803", file=file, member=info.filename, reason=reason)
        if not info.is_dir():
            members.setdefault(member_key(info.filename), info)
    problem = limits_problem(infos)
    if problem:
        raise RefiError("E804", file=file, reason=problem)
    return members


def open_container(path: str | Path, kind: str = "QDPX project") -> Container:
    """Open a .qdpx archive or a bare project .qde, checking it before reading anything."""
    path = Path(path)
    file = str(path)
    if not path.is_file():
        raise RefiError("E812", file=file)
    with path.open("rb") as fh:
        head = fh.read(4)
    if head.startswith(b"PK"):
        try:
            zf = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
            reason = str(exc) or type(exc).__name__
            if isinstance(exc, zipfile.BadZipFile):
                reason += " (its table of contents at the end is missing or broken: the file is probably truncated, " \
                          "e.g. an incomplete download or copy)"
            raise RefiError("E802", file=file, where="", reason=reason) from None
        try:
            members = check_archive(zf, file)
            qde_name = _find_qde(members, file)
            qde = _read_member(zf, members[qde_name], file)
        except BaseException:
            zf.close()
            raise
        return Container(file, qde, members[qde_name].filename, zf, members)
    size = path.stat().st_size
    if size > MAX_MEMBER_BYTES:
        raise RefiError("E804", file=file, reason=f"the file is {size:,} bytes (the limit is {MAX_MEMBER_BYTES:,})")
    data = path.read_bytes()
    if not data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        raise RefiError("E801", file=file, kind=kind, reason="it is neither a zip archive nor XML")
    return Container(file, data, None)


def _find_qde(members: dict[str, zipfile.ZipInfo], file: str) -> str:
    if "project.qde" in members:
        return "project.qde"
    candidates = sorted(k for k in members if k.endswith(".qde") and "/" not in k)
    if len(candidates) == 1:
        return candidates[0]
    names = ", ".join(sorted(i.filename for i in members.values())[:20]) or "(none)"
    raise RefiError("E807", file=file, members=names)


def read_small_file(path: str | Path, kind: str) -> bytes:
    """A bare XML file (a .qdc), refused when it is missing or over the size limit."""
    path = Path(path)
    if not path.is_file():
        raise RefiError("E812", file=str(path))
    size = path.stat().st_size
    if size > MAX_MEMBER_BYTES:
        raise RefiError("E804", file=str(path),
                        reason=f"the file is {size:,} bytes (the limit is {MAX_MEMBER_BYTES:,})")
    data = path.read_bytes()
    if data.startswith(b"PK"):
        raise RefiError("E801", file=str(path), kind=kind, reason="it is a zip archive, not XML (a .qdpx project?)")
    return data
