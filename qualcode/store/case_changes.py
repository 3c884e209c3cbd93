"""A transcript's front matter must not quietly rewrite a case that is already in the project.

A case's attributes (gender, age, region) are what every cross-tab and typology
splits by. The issue's sweep imported a transcript whose front matter said
`case: KZ01`, `gender: INTRUDER` and the stored case changed without a word. An
import that would change a stored value is refused (E954) unless the user asks for
it (`--update-cases`); then it goes ahead with a warning naming each change. New
attributes for an existing case, and values that only differ in spelling of the
same thing (34 and "34", "Female" and "female"), are not changes.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.engine import Connection

from qualcode.errors import ImportFileError
from qualcode.ingest.attributes import canonical
from qualcode.model import ParsedTranscript
from qualcode.store.schema import attributes, case_attributes, cases


def _norm(value: str | None) -> str:
    return (value or "").strip().lower()


def changes(conn: Connection, parsed: ParsedTranscript) -> list[tuple[str, str | None, str | None]]:
    """(attribute, stored value, new value) for each stored attribute the import would change."""
    case = parsed.case or parsed.name
    case_id = conn.execute(select(cases.c.id).where(cases.c.name == case)).scalar()
    if case_id is None or not parsed.attributes:
        return []
    stored = {
        row.name: (row.value, row.type)
        for row in conn.execute(
            select(attributes.c.name, attributes.c.type, case_attributes.c.value)
            .select_from(case_attributes.join(attributes))
            .where(case_attributes.c.case_id == case_id)
        )
    }
    out = []
    for name, value in parsed.attributes.items():
        if name not in stored:
            continue
        old, kind = stored[name]
        new = canonical(value, kind)[0]
        if old is not None and _norm(new) != _norm(old):
            out.append((name, old, new))
    return out


def guard(conn: Connection, parsed: ParsedTranscript, file: str, update: bool, warnings: list[str]) -> None:
    """Refuse (E954) or, with `update`, warn about each change the import makes to a stored case."""
    found = changes(conn, parsed)
    if not found:
        return
    listed = ", ".join(f"'{name}' from '{old}' to '{new}'" for name, old, new in found)
    case = parsed.case or parsed.name
    if not update:
        raise ImportFileError("E954", file=file, case=case, changes=listed)
    warnings.append(f"{file}: case '{case}' updated (--update-cases): {listed}.")
