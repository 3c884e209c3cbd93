"""Reads and writes of the project tables. Each function takes an open Connection, so the
caller decides the transaction: one file's import is one transaction, and a failure
leaves everything already stored untouched."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING

from sqlalchemy import Connection, func, insert, select, update

from qualcode.store.schema import (
    attributes,
    case_attributes,
    cases,
    import_log,
    project_info,
    transcripts,
    turns,
)

if TYPE_CHECKING:  # pandas and qualcode.ingest cost 0.3-0.5 s: `qualcode transcripts` needs neither (issue 17)
    import pandas as pd

    from qualcode.model import ParsedTranscript


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def get_info(conn: Connection) -> dict[str, str]:
    return {r.key: r.value for r in conn.execute(select(project_info))}


def set_info(conn: Connection, **values: str) -> None:
    existing = get_info(conn)
    for key, value in values.items():
        if key in existing:
            conn.execute(update(project_info).where(project_info.c.key == key).values(value=value))
        else:
            conn.execute(insert(project_info).values(key=key, value=value))


def ensure_case(conn: Connection, name: str) -> int:
    found = conn.execute(select(cases.c.id).where(cases.c.name == name)).scalar()
    if found is not None:
        return found
    return conn.execute(insert(cases).values(name=name, created_at=now())).inserted_primary_key[0]


def _attribute(conn: Connection, name: str, values: list[object]) -> tuple[int, str]:
    """The attribute's id and type, creating it or widening its type to fit new values."""
    from qualcode.ingest.attributes import infer_type

    row = conn.execute(select(attributes.c.id, attributes.c.type).where(attributes.c.name == name)).first()
    new_type = infer_type(values)
    if row is None:
        new_id = conn.execute(
            insert(attributes).values(name=name, type=new_type, created_at=now())
        ).inserted_primary_key[0]
        return new_id, new_type
    if row.type == new_type or (new_type == "category" and row.type == "text"):
        return row.id, row.type
    stored = [r.value for r in conn.execute(
        select(case_attributes.c.value).where(case_attributes.c.attribute_id == row.id)
    )]
    widened = infer_type(stored + values)
    if widened != row.type:
        conn.execute(update(attributes).where(attributes.c.id == row.id).values(type=widened))
    return row.id, widened


def set_case_attributes(conn: Connection, case_id: int, values: dict[str, object], source: str) -> None:
    from qualcode.ingest.attributes import canonical

    for name, value in values.items():
        attr_id, kind = _attribute(conn, name, [value])
        text, number = canonical(value, kind)
        key = (case_attributes.c.case_id == case_id) & (case_attributes.c.attribute_id == attr_id)
        if conn.execute(select(func.count()).select_from(case_attributes).where(key)).scalar():
            conn.execute(update(case_attributes).where(key).values(value=text, value_number=number, source=source))
        else:
            conn.execute(insert(case_attributes).values(
                case_id=case_id, attribute_id=attr_id, value=text, value_number=number, source=source
            ))


def find_by_sha(conn: Connection, sha: str) -> str | None:
    return conn.execute(select(transcripts.c.name).where(transcripts.c.sha256 == sha)).scalar()


def current_version(conn: Connection, name: str) -> tuple[int, int] | None:
    row = conn.execute(
        select(transcripts.c.id, transcripts.c.version)
        .where(transcripts.c.name == name, transcripts.c.is_current.is_(True))
    ).first()
    return (row.id, row.version) if row else None


def insert_transcript(conn: Connection, parsed: ParsedTranscript, previous: tuple[int, int] | None) -> int:
    case_id = ensure_case(conn, parsed.case or parsed.name)
    if parsed.attributes:
        set_case_attributes(conn, case_id, parsed.attributes, parsed.source_name)
    if previous is not None:
        conn.execute(update(transcripts).where(transcripts.c.id == previous[0]).values(is_current=False))
    tid = conn.execute(insert(transcripts).values(
        name=parsed.name, version=(previous[1] + 1) if previous else 1, is_current=True,
        previous_id=previous[0] if previous else None, case_id=case_id, language=parsed.language or "en",
        text=parsed.text, sha256=parsed.sha256, source_format=parsed.source_format,
        source_name=parsed.source_name, encoding=parsed.encoding, word_count=parsed.word_count,
        imported_at=now(),
    )).inserted_primary_key[0]
    if parsed.turns:
        conn.execute(insert(turns), [
            {"transcript_id": tid, "idx": t.index, "speaker": t.speaker, "role": t.role,
             "start_offset": t.start, "end_offset": t.end, "timestamp": t.timestamp,
             "end_timestamp": t.end_timestamp}
            for t in parsed.turns
        ])
    return tid


def log_import(conn: Connection, batch: str, file: str, status: str, message: str,
               error_code: str | None = None, transcript_id: int | None = None) -> None:
    conn.execute(insert(import_log).values(
        batch=batch, file=file, status=status, message=message, error_code=error_code,
        transcript_id=transcript_id, created_at=now(),
    ))


def transcripts_frame(conn: Connection, all_versions: bool = False) -> pd.DataFrame:
    import pandas as pd

    rows, columns = transcript_rows(conn, all_versions)
    return pd.DataFrame(rows, columns=columns)


def transcript_rows(conn: Connection, all_versions: bool = False) -> tuple[list[tuple], list[str]]:
    """(rows, column names) of `transcripts_frame`, as plain tuples: what `qualcode transcripts` prints."""
    n_turns = (
        select(turns.c.transcript_id, func.count().label("turns"))
        .group_by(turns.c.transcript_id).subquery()
    )
    query = (
        select(
            transcripts.c.name.label("transcript"), cases.c.name.label("case"), transcripts.c.language,
            transcripts.c.version, func.coalesce(n_turns.c.turns, 0).label("turns"),
            transcripts.c.word_count.label("words"), transcripts.c.source_format.label("format"),
            transcripts.c.source_name.label("source"), transcripts.c.encoding, transcripts.c.sha256,
            transcripts.c.imported_at,
        )
        .select_from(transcripts.join(cases).outerjoin(n_turns, n_turns.c.transcript_id == transcripts.c.id))
        .order_by(transcripts.c.name, transcripts.c.version)
    )
    if not all_versions:
        query = query.where(transcripts.c.is_current.is_(True))
    return [tuple(r) for r in conn.execute(query)], [c.name for c in query.selected_columns]


def transcript_key(conn: Connection, name: str) -> tuple[int, str] | None:
    """(id, sha256) of the current version of `name`: a transcript row's text never changes, so
    this names its text for a cache without fetching it (0.2 MB at 20k words)."""
    row = conn.execute(select(transcripts.c.id, transcripts.c.sha256)
                       .where(transcripts.c.name == name, transcripts.c.is_current.is_(True))).first()
    return None if row is None else (row.id, row.sha256)


def transcript_text_of(conn: Connection, transcript_id: int) -> str:
    return conn.execute(select(transcripts.c.text).where(transcripts.c.id == transcript_id)).scalar_one()


def transcript_row(conn: Connection, name: str):
    return conn.execute(
        select(transcripts).where(transcripts.c.name == name, transcripts.c.is_current.is_(True))
    ).first()


TURN_COLUMNS = ["transcript", "turn", "speaker", "role", "start", "end", "timestamp", "text"]


def turns_frame(conn: Connection, names: Iterable[str] | None = None) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(turn_rows(conn, names), columns=TURN_COLUMNS)


def turn_rows(conn: Connection, names: Iterable[str] | None = None) -> list[tuple]:
    """The rows of `turns_frame` (columns TURN_COLUMNS), as plain tuples: what `qualcode turns` prints."""
    # Each transcript's text is fetched once, not once per turn: joining it into every turn
    # row copied a 100,000-word text thousands of times (15 s for one long interview).
    query = (
        select(transcripts.c.id, transcripts.c.name, turns.c.idx, turns.c.speaker, turns.c.role,
               turns.c.start_offset, turns.c.end_offset, turns.c.timestamp)
        .select_from(turns.join(transcripts))
        .where(transcripts.c.is_current.is_(True))
        .order_by(transcripts.c.name, turns.c.idx)
    )
    text_query = select(transcripts.c.id, transcripts.c.text).where(transcripts.c.is_current.is_(True))
    if names is not None:
        query = query.where(transcripts.c.name.in_(list(names)))
        text_query = text_query.where(transcripts.c.name.in_(list(names)))
    texts = dict(conn.execute(text_query).all())
    rows = [
        (r.name, r.idx, r.speaker, r.role, r.start_offset, r.end_offset, r.timestamp,
         texts[r.id][r.start_offset:r.end_offset])
        for r in conn.execute(query)
    ]
    return rows


def cases_frame(conn: Connection) -> pd.DataFrame:
    """One row per case, one column per attribute, typed (numbers as floats/ints, dates as dates)."""
    import pandas as pd

    case_rows = conn.execute(select(cases.c.id, cases.c.name).order_by(cases.c.name)).all()
    attrs = conn.execute(select(attributes.c.id, attributes.c.name, attributes.c.type).order_by(attributes.c.id)).all()
    values = conn.execute(select(case_attributes)).all()
    by_case: dict[int, dict[str, object]] = {r.id: {"case": r.name} for r in case_rows}
    names = {a.id: (a.name, a.type) for a in attrs}
    for v in values:
        name, kind = names[v.attribute_id]
        if kind == "number" and v.value_number is not None:
            value: object = int(v.value_number) if float(v.value_number).is_integer() else v.value_number
        elif kind == "date" and v.value:
            try:
                value = dt.date.fromisoformat(v.value)
            except ValueError:
                value = v.value
        else:
            value = v.value
        by_case[v.case_id][name] = value
    frame = pd.DataFrame(list(by_case.values()), columns=["case"] + [a.name for a in attrs])
    return frame


def attribute_types(conn: Connection) -> dict[str, str]:
    return {r.name: r.type for r in conn.execute(select(attributes.c.name, attributes.c.type))}


def import_log_frame(conn: Connection) -> pd.DataFrame:
    import pandas as pd

    query = select(import_log.c.batch, import_log.c.created_at, import_log.c.file, import_log.c.status,
                   import_log.c.error_code, import_log.c.message).order_by(import_log.c.id)
    return pd.DataFrame(conn.execute(query).mappings().all(), columns=[c.name for c in query.selected_columns])
