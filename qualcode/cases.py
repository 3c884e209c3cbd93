"""Editing case attributes: the checks behind the Project page's attribute table.

Each value is checked against its attribute's type (number, date, category); if any cell is
bad, nothing is saved and the error names the case, the column, the value and the fix.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import delete, select
from sqlalchemy.engine import Engine

from qualcode import audit
from qualcode.errors import QualcodeError
from qualcode.ingest.attributes import canonical
from qualcode.store import queries
from qualcode.store.schema import attributes, case_attributes, cases

_FIX = {"number": "write a number such as 34 or 2.5, or leave the cell empty",
        "date": "write a date as YYYY-MM-DD (e.g. 2019-05-01) or DD.MM.YYYY, or leave the cell empty"}


def is_blank(value: object) -> bool:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, str) and not value.strip()


def _valid(value: object, kind: str) -> bool:
    if kind == "number":
        return canonical(value, "number")[1] is not None
    if kind == "date":
        try:
            dt.date.fromisoformat(canonical(value, "date")[0] or "")
        except ValueError:
            return False
    return True


def set_case_attributes(engine: Engine, frame: pd.DataFrame, *, source: str = "edited in qualcode",
                        actor: str | None = None) -> int:
    """Save an edited cases table (a `case` column and attribute columns, as `Project.cases()`).

    Every cell is checked against its attribute's type first; if any is bad, E750 lists each
    (case, attribute, value and the fix) and nothing is saved. Otherwise the changed values
    are written in one transaction, an emptied cell removes the value, with one audit row
    ("case.attributes", by `actor`) listing each change. Returns how many changed.
    """
    with engine.connect() as conn:
        types = queries.attribute_types(conn)
        current = queries.cases_frame(conn).set_index("case")
        case_ids = {r.name: r.id for r in conn.execute(select(cases.c.id, cases.c.name))}
    if "case" not in frame.columns:
        raise QualcodeError("E722", name="case", known="the table needs a 'case' column")
    problems: list[str] = []
    changes: list[tuple[int, str, object]] = []
    logged: list[dict[str, object]] = []  # the audit row's detail: each value before and after
    columns = [c for c in frame.columns if c != "case"]
    for column in columns:
        if column not in types:
            problems.append(str(QualcodeError("E722", name=column, known=", ".join(types) or "(none)")))
    for row, (case, values) in enumerate(zip(frame["case"], frame[columns].itertuples(index=False), strict=True),
                                         start=1):
        if case not in case_ids:
            problems.append(str(QualcodeError("E752", case=case, row=row)))
            continue
        for column, value in zip(columns, values, strict=True):
            kind = types.get(column)
            if kind is None:
                continue
            new = None if is_blank(value) else value
            if new is not None and not _valid(new, kind):
                problems.append(str(QualcodeError("E751", case=case, column=column, value=str(value).strip(),
                                                  kind=kind, fix=_FIX[kind])))
                continue
            old = current.at[case, column] if case in current.index and column in current.columns else None
            old = None if is_blank(old) else old
            if canonical(new, kind)[0] != canonical(old, kind)[0]:
                changes.append((case_ids[case], column, new))
                logged.append({"case": case, "attribute": column, "before": old, "after": new})
    if problems:
        raise QualcodeError("E750", n=len(problems), details="\n".join(f"  - {p}" for p in problems))
    with engine.begin() as conn:
        attr_ids = {r.name: r.id for r in conn.execute(select(attributes.c.id, attributes.c.name))}
        for case_id, column, value in changes:
            if value is None:
                conn.execute(delete(case_attributes).where(case_attributes.c.case_id == case_id,
                                                           case_attributes.c.attribute_id == attr_ids[column]))
            else:
                queries.set_case_attributes(conn, case_id, {column: value}, source)
        if changes:
            touched = sorted({str(change["case"]) for change in logged})
            audit.record(conn, actor, "case.attributes", "case", ", ".join(touched), {"changes": logged})
    return len(changes)


