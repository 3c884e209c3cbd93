"""Reading REFI-QDA codebooks leniently: a .qdc file, or the <CodeBook> inside a project.

Real codebooks often break the schema: ATLAS.ti 9 writes the pre-release namespace
`urn:QDA-XML:codebook:0:4`, some tools write an empty `<Sets/>` or put the description in
a non-standard `description` attribute. Each deviation becomes a warning, never a
failure. Codes get qualcode ids made from their names and hierarchy
(`Economy` under `Topics` → `topics.economy`), valid for the codebook's CODE_ID and unique.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from lxml import etree
from sqlalchemy.exc import SQLAlchemyError

from qualcode.codebook import CODE_ID, Code, Codebook
from qualcode.exchange.refi_export import CODEBOOK_NS, make_guid, project_key, rgb
from qualcode.exchange.refi_safe import RefiError, child, child_text, local, namespace, parse_xml, read_small_file
from qualcode.store import coding_queries

if TYPE_CHECKING:
    from qualcode.project_core import ProjectCore as Project  # the layer below qualcode.project

_GUID = re.compile(r"^\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\}?$")
_CODE_ATTRS = {"guid", "name", "isCodable", "color"}
_CODE_CHILDREN = {"Description", "NoteRef", "Code"}


def norm_guid(value: str | None) -> str | None:
    """A GUID in one spelling (lower case, no braces), or None when it is not a GUID."""
    if not value:
        return None
    m = _GUID.match(value.strip())
    return m.group(1).lower() if m else None


def raw_guid(value: str | None) -> str | None:
    """A GUID as the file spells it (another tool matches its own spelling), or None if not a GUID."""
    return value.strip() if value and _GUID.match(value.strip()) else None


def slug(name: str) -> str:
    """One id segment from a code name: lower case, letters/digits/_ only, not starting with a digit."""
    text = unicodedata.normalize("NFC", name).casefold()
    text = re.sub(r"\W+", "_", text).strip("_")
    if not text:
        text = "code"
    if not re.match(r"[^\W\d]", text):
        text = "c" + text
    return text[:48].rstrip("_")


def derive_id(name: str, parent: str | None, taken: set[str]) -> str:
    """A unique, valid code id for `name` under the code id `parent`."""
    base = f"{parent}.{slug(name)}" if parent else slug(name)
    if len(base) > 250 or not CODE_ID.match(base):  # very deep trees: keep ids short and valid
        base = f"code_{hashlib.sha1(base.encode()).hexdigest()[:10]}"
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}_{n}"
    taken.add(candidate)
    return candidate


@dataclass
class RefiCode:
    """A code read from a REFI-QDA file; `parent` is the parent's qualcode id."""

    id: str
    name: str
    parent: str | None
    description: str | None
    color: str | None
    guid: str
    codable: bool = True
    memo: str | None = None
    order: int = 0


@dataclass
class QdcImport:
    """What `import_qdc` read (and, given a project, which codes it created or found there)."""

    file: str
    codes: list[RefiCode] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)

    def codebook(self) -> Codebook:
        return to_codebook(self.codes, Path(self.file).stem)


def to_codebook(items: list[RefiCode], name: str) -> Codebook:
    return Codebook(name=name, version="", languages=[], codes=[
        Code(id=c.id, name=c.name, parent=c.parent, description=c.description, color=c.color, memo=c.memo)
        for c in items])


def read_codes(codes_el: etree._Element, file: str, warnings: list[str], taken: set[str],
               ids: dict[str, str] | None = None) -> list[RefiCode]:
    """The codes under a <Codes> element, depth first; `ids` maps GUIDs to known qualcode ids."""
    out: list[RefiCode] = []
    odd_attrs: Counter[str] = Counter()
    odd_children: Counter[str] = Counter()
    problems: list[str] = []

    def visit(element: etree._Element, parent: RefiCode | None) -> None:
        for el in element:
            name = local(el)
            if name == "Code":
                visit(el, read_one(el, parent))
            elif name and name not in _CODE_CHILDREN:
                odd_children[name] += 1

    def read_one(el: etree._Element, parent: RefiCode | None) -> RefiCode:
        for attr in el.attrib:
            if etree.QName(attr).localname not in _CODE_ATTRS:
                odd_attrs[etree.QName(attr).localname] += 1
        name = (el.get("name") or "").strip()
        if not name:
            name = f"unnamed code {len(out) + 1}"
            problems.append(f"a code without a name (line {el.sourceline}) was named '{name}'")
        guid = norm_guid(el.get("guid"))
        if guid is None:
            guid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{file}#{(parent.id + '/') if parent else ''}{name}"))
            problems.append(f"code '{name}' (line {el.sourceline}) has no valid guid "
                            f"({el.get('guid')!r}); it got {guid}")
        description = child_text(el, "Description")
        if description is None and el.get("description"):
            description = el.get("description")
        color = el.get("color")
        if color and rgb(color) is None:
            problems.append(f"code '{name}' has colour {color!r}, not #RRGGBB; the colour was dropped")
            color = None
        codable_text = el.get("isCodable")
        if codable_text is None:
            problems.append(f"code '{name}' has no isCodable attribute (required); taken as codable")
        codable = (codable_text or "true").strip().lower() in ("true", "1")
        known = (ids or {}).get(guid)
        if known and CODE_ID.match(known) and known not in taken:
            taken.add(known)
            code_id = known
        else:
            code_id = derive_id(name, parent.id if parent else None, taken)
        code = RefiCode(code_id, name, parent.id if parent else None, (description or "").strip() or None,
                        rgb(color), guid, codable, order=len(out))
        out.append(code)
        return code

    visit(codes_el, None)
    for attr, n in sorted(odd_attrs.items()):
        what = "its value was used as the description" if attr == "description" else "it was ignored"
        warnings.append(f"{file}: {n} code(s) carry the non-standard attribute '{attr}' (not in the schema); {what}.")
    for tag, n in sorted(odd_children.items()):
        warnings.append(f"{file}: {n} unexpected <{tag}> element(s) among the codes were ignored.")
    warnings.extend(f"{file}: {p}." for p in problems)
    seen: Counter[str] = Counter(c.guid for c in out)
    for guid, n in seen.items():
        if n > 1:
            warnings.append(f"{file}: GUID {guid} is used by {n} codes; codings that refer to it go to the first.")
    return out


def import_qdc(path: str | Path, project: Project | None = None) -> QdcImport:
    """Read a REFI-QDA codebook (.qdc) leniently; with `project`, add its codes in one transaction.

    Codes whose id is already in the project are kept as they are (listed in `existing`);
    the others are created (listed in `created`), with their hierarchy, colours and descriptions.
    A codebook the same project exported maps back onto its own codes by GUID.
    """
    file = str(path)
    root = parse_xml(read_small_file(path, "QDC codebook"), file)
    result = QdcImport(file)
    if local(root) != "CodeBook":
        hint = " (a project file: use import_qdpx)" if local(root) == "Project" else ""
        raise RefiError("E801", file=file, kind="QDC codebook",
                        reason=f"the root element is <{local(root)}>, not <CodeBook>{hint}")
    ns = namespace(root)
    if ns != CODEBOOK_NS:
        found = f"namespace '{ns}'" if ns else "no namespace"
        result.warnings.append(f"{file}: {found} instead of '{CODEBOOK_NS}' (an older or non-standard "
                               "codebook); read anyway.")
    codes_el = child(root, "Codes")
    taken: set[str] = set()
    known: dict[str, str] = {}
    existing_ids: set[str] = set()
    if project is not None:
        from qualcode.exchange.refi_guids import kept

        with project.engine.connect() as conn:
            existing_ids = set(coding_queries.code_ids(conn))
            key = project_key(conn, Path(project.location).stem)
            other_tools = {norm_guid(g) or g: natural for (kind, natural), g in kept(conn).items() if kind == "code"}
        # A codebook this project exported (same GUIDs, its own or those another tool gave)
        # maps back onto the codes it came from.
        known = {make_guid(key, "code", code_id): code_id for code_id in existing_ids}
        known.update({g: code_id for g, code_id in other_tools.items() if code_id in existing_ids})
    if codes_el is None:
        result.warnings.append(f"{file}: no <Codes> element; the codebook has no codes.")
    else:
        result.codes = read_codes(codes_el, file, result.warnings, taken, known)
    for el in root:
        name = local(el)
        if name == "Sets":
            sets = [s for s in el if local(s) == "Set"]
            if not sets:
                result.warnings.append(f"{file}: an empty <Sets/> (the schema wants at least one <Set>); ignored.")
            else:
                result.warnings.append(f"{file}: {len(sets)} code set(s) not imported (qualcode has no code sets).")
        elif name and name != "Codes":
            result.warnings.append(f"{file}: unexpected <{name}> element ignored.")
    for attr in root.attrib:
        if etree.QName(attr).localname not in ("origin", "schemaLocation"):
            result.warnings.append(f"{file}: non-standard attribute '{attr}' on <CodeBook> ignored.")
    if project is not None and result.codes:
        spelled = {norm_guid(el.get("guid")): raw_guid(el.get("guid")) for el in codes_el.iter()
                   if local(el) == "Code" and raw_guid(el.get("guid"))} if codes_el is not None else {}
        add_codes(project, result, existing_ids, spelled)
    return result


def add_codes(project: Project, result: QdcImport, existing_ids: set[str],
              spelled: dict[str | None, str | None] | None = None) -> None:
    """Create the codes the project lacks; keep the GUIDs the file gave them (as spelled there),
    so a re-export gives the other tool its own GUIDs back (refi_guids)."""
    from qualcode.exchange.refi_guids import remember

    new = [c for c in result.codes if c.id not in existing_ids]
    result.existing = [c.id for c in result.codes if c.id in existing_ids]
    try:
        with project.engine.begin() as conn:
            coding_queries.sync_codes(conn, to_codebook(new, Path(result.file).stem))
            remember(conn, [("code", c.id, (spelled or {}).get(c.guid) or c.guid) for c in new if c.guid])
    except SQLAlchemyError as exc:
        raise RefiError("E809", file=result.file, reason=f"{type(exc).__name__}: {exc}") from None
    result.created = [c.id for c in new]
