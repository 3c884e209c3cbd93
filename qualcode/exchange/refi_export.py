"""Writing REFI-QDA files: the GUIDs, the shared XML helpers and QDC codebooks (Codebook.xsd).

GUIDs are derived, not random: `uuid5(NAMESPACE, "<project key>\\n<kind>\\n<natural key>")`,
where the natural key is a code's id path, a coder's or transcript's or case's name, and
for a coding its transcript, code, span, origin, coder and rule. Exporting the same
project twice gives the same GUIDs, so another tool can match what it already has. The
project key is the project's creation time and name (or, after a qualcode QDPX was
imported into an empty project, the key of the project it came from).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import uuid
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from lxml import etree
from sqlalchemy import Connection, select

from qualcode import __version__
from qualcode.codebook import Codebook
from qualcode.exchange.refi_safe import RefiError
from qualcode.files import atomic_path
from qualcode.store import queries
from qualcode.store.schema import codes

if TYPE_CHECKING:
    from qualcode.project_core import ProjectCore as Project  # the layer below qualcode.project

PROJECT_NS = "urn:QDA-XML:project:1.0"
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
# Fixed forever: changing it would change every GUID qualcode has ever exported.
NAMESPACE = uuid.UUID("6f1d6c3e-2b7a-5d0e-9c41-7a2f5e8b3c10")
TAG = "qualcode: "
META_MEMBER = "qualcode.json"
META_FORMAT = "qualcode-refi"
_HEX6 = re.compile(r"^#[0-9a-fA-F]{6}$")
_HEX3 = re.compile(r"^#[0-9a-fA-F]{3}$")


def make_guid(key: str, kind: str, natural: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{key}\n{kind}\n{natural}"))


def project_key(conn: Connection, fallback: str = "") -> str:
    info = queries.get_info(conn)
    return info.get("refi_key") or f"{info.get('created_at', '')}|{info.get('name', fallback)}"


def iso(value: Any) -> str | None:
    """An xsd:dateTime in UTC with microseconds (stored times are UTC, naive on SQLite)."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return _iso_datetime(value)
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@functools.lru_cache(maxsize=4096)  # a run stamps thousands of codings with one time
def _iso_datetime(value: dt.datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def rgb(color: str | None) -> str | None:
    """A colour as the schemas want it (#RRGGBB; #rgb is widened), or None."""
    if not color:
        return None
    color = color.strip()
    if _HEX6.match(color):
        return color
    if _HEX3.match(color):
        return "#" + "".join(c * 2 for c in color[1:])
    return None


def set_attrs(element: etree._Element, **attrs: object) -> None:
    for name, value in attrs.items():
        if value is not None:
            element.set(name, str(value))


def sub(parent: etree._Element, ns: str, tag: str, text: str | None = None, **attrs: object) -> etree._Element:
    element = etree.SubElement(parent, f"{{{ns}}}{tag}",
                               {k: v if isinstance(v, str) else str(v) for k, v in attrs.items() if v is not None})
    if text is not None:
        element.text = text
    return element


# --- codes --------------------------------------------------------------------------------

@dataclass
class _Code:
    path: str
    name: str
    parent: str | None
    description: str | None
    color: str | None
    memo: str | None = None
    order: int = 0


def _codes_from(source: Any) -> list[_Code]:
    if isinstance(source, Codebook):
        out = []
        for n, code in enumerate(source.codes):
            parts = [code.description or ""]
            parts += [f"Include: {code.include}"] if code.include else []
            parts += [f"Exclude: {code.exclude}"] if code.exclude else []
            parts += [f"Example: {e}" for e in code.examples]
            text = "\n\n".join(p for p in parts if p).strip() or None
            out.append(_Code(code.id, code.name, code.parent, text, code.color, code.memo, n))
        return out
    if isinstance(source, pd.DataFrame):
        def value(row: Any, key: str) -> str | None:
            v = row.get(key)
            return None if v is None or (isinstance(v, float) and pd.isna(v)) else str(v)
        return [_Code(str(r["code"]), value(r, "name") or str(r["code"]), value(r, "parent"), value(r, "description"),
                      value(r, "color"), value(r, "memo"), n) for n, r in enumerate(source.to_dict("records"))]
    raise TypeError(f"export_qdc: expected a Project, Codebook or codes DataFrame, not {type(source).__name__}")


def project_codes(conn: Connection) -> list[_Code]:
    rows = conn.execute(select(codes).order_by(codes.c.sort_order, codes.c.path)).all()
    path_of = {r.id: r.path for r in rows}
    return [_Code(r.path, r.name, path_of.get(r.parent_id), r.description, r.color, r.memo, r.sort_order)
            for r in rows]


def _tree(items: list[_Code]) -> tuple[list[_Code], dict[str, list[_Code]]]:
    """Roots and children per code; a code whose parent is unknown (or in a cycle) is a root."""
    known = {c.path for c in items}
    kids: dict[str, list[_Code]] = defaultdict(list)
    roots = []
    for code in items:
        if code.parent and code.parent in known and code.parent != code.path:
            kids[code.parent].append(code)
        else:
            roots.append(code)
    reachable: set[str] = set()
    todo = [c.path for c in roots]
    while todo:
        path = todo.pop()
        if path not in reachable:
            reachable.add(path)
            todo.extend(k.path for k in kids.get(path, []))
    for code in items:  # parents in a cycle: break it at the first code met
        if code.path not in reachable:
            roots.append(code)
            kids[code.parent or ""] = [k for k in kids.get(code.parent or "", []) if k.path != code.path]
            todo = [code.path]
            while todo:
                path = todo.pop()
                if path not in reachable:
                    reachable.add(path)
                    todo.extend(k.path for k in kids.get(path, []))
    return roots, kids


def code_elements(parent: etree._Element, ns: str, key: str, items: list[_Code],
                  note_refs: dict[str, list[str]] | None = None, guids: dict[str, str] | None = None) -> None:
    """<Code> elements for `items`, nested; `guids` overrides the derived GUID of a code path."""
    roots, kids = _tree(items)

    def add(container: etree._Element, code: _Code) -> None:
        guid = (guids or {}).get(code.path) or make_guid(key, "code", code.path)
        element = sub(container, ns, "Code", guid=guid, name=code.name,
                       isCodable="true", color=rgb(code.color))
        if code.description:
            sub(element, ns, "Description", code.description)
        for note in (note_refs or {}).get(code.path, []):
            sub(element, ns, "NoteRef", targetGUID=note)
        for kid in kids.get(code.path, []):
            add(element, kid)

    for root in roots:
        add(parent, root)


def export_qdc(source: Project | Codebook | pd.DataFrame, path: str | Path, *, key: str | None = None) -> Path:
    """Write a REFI-QDA codebook (.qdc) that validates against Codebook.xsd.

    `source` is a Project (its codes; GUIDs stable per project), a Codebook (GUIDs stable per
    codebook name; include/exclude/examples are added to the description) or a frame like
    `Project.codes()` (give `key` to make its GUIDs match the project's). Returns the path.
    """
    path = Path(path)
    guids: dict[str, str] = {}
    if hasattr(source, "engine"):
        from qualcode.exchange.refi_guids import kept

        with source.engine.connect() as conn:
            items = project_codes(conn)
            key = key or project_key(conn, Path(source.location).stem)
            guids = {natural: guid for (kind, natural), guid in kept(conn).items() if kind == "code"}
    else:
        items = _codes_from(source)
        key = key or (f"codebook:{source.name}" if isinstance(source, Codebook) else "qualcode")
    if not items:
        raise RefiError("E810", file=str(path), reason="there are no codes (a codebook needs at least one)")
    root = etree.Element(f"{{{CODEBOOK_NS}}}CodeBook", nsmap={None: CODEBOOK_NS})
    root.set("origin", f"qualcode {__version__}")
    code_elements(sub(root, CODEBOOK_NS, "Codes"), CODEBOOK_NS, key, items, guids=guids)
    write_atomically(path, lambda fh: fh.write(serialise(root)))
    return path


def serialise(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def write_atomically(path: Path, write: Any) -> None:
    """Write next to the target and rename (`qualcode.files.atomic_path`), so a failed or killed
    export never leaves half a file, and the file gets the same mode as every other export."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp, open(tmp, "wb") as fh:
            write(fh)
    except OSError as exc:
        raise RefiError("E811", file=str(path), reason=str(exc)) from None
