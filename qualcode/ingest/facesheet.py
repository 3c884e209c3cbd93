"""Joining a facesheet (a cases table) to the transcripts it describes, without inventing cases.

A row is joined to a transcript by its case id or file name, or by the transcript file's stem,
all case-insensitively (`TranscriptName` = `Jessica` joins `Jessica.docx`). A row that matches
no transcript of the batch and none already in the project is reported (E985) and not added as
a case, unless the import asks for it (`--keep-unmatched`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import Engine

from qualcode.errors import QualcodeError
from qualcode.ingest.attributes import CasesTable, batch_keys
from qualcode.store.schema import cases, transcripts

SHOWN = 10  # unmatched rows named in the warning


def project_keys(engine: Engine) -> dict[str, str]:
    """Case names, file names and stems of the transcripts already in the project, folded, each with
    the name of the case it belongs to."""
    keys: dict[str, str] = {}
    with engine.connect() as conn:
        for row in conn.execute(select(transcripts.c.source_name, transcripts.c.name, cases.c.name.label("case"))
                                .select_from(transcripts.join(cases))):
            for key in (row.case, row.source_name, Path(row.source_name).stem, row.name):
                keys.setdefault(key.casefold(), row.case)
    return keys


def drop_unmatched(engine: Engine, table: CasesTable, files: Sequence[Path], max_bytes: int) -> list[str]:
    """Remove from `table` the rows that match no transcript; return their ids. A row that matches
    a transcript already stored takes that transcript's case name (`Oleg` joins the case `oleg`)."""
    stored = project_keys(engine)
    unmatched = table.split_unmatched(batch_keys(list(files), max_bytes) | set(stored))
    for case in list(table.by_case):
        found = next((stored[k] for k in sorted(table.keys_of(case)) if k in stored), None)
        if found is not None and found != case:
            table.by_case[found] = table.by_case.pop(case)
            for name, c in table.case_of_file.items():
                if c == case:
                    table.case_of_file[name] = found
    return unmatched


def warnings(file: str, unmatched: list[str]) -> list[str]:
    if not unmatched:
        return []
    rows = ", ".join(unmatched[:SHOWN]) + (f" and {len(unmatched) - SHOWN} more" if len(unmatched) > SHOWN else "")
    return [str(QualcodeError("E985", file=file, count=len(unmatched), rows=rows))]
