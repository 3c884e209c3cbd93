"""The coded tables for analysts, built from a `Project` as flat DataFrames: coded segments
(one row per coding), the case × code matrix, typology assignments, the codebook and the
memos; `tables_for` picks the ones an export asks for.

Column naming: case attributes keep their own names; one that clashes with a
column the table already has (a coding column such as `text`, or a code id in
the matrix, e.g. the attribute `gender` next to the code `gender`) is written as
`attr_<name>`. `code_path` is the code's ancestry by *names*, root first, joined
by " > " ("Push factors > No work at origin"); the dotted id is the `code` column.
Builders attach variable and value labels in `frame.attrs["labels"]` and
`frame.attrs["value_labels"]`; `write` uses them for SPSS and Stata.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from qualcode.errors import QualcodeError
from qualcode.exchange.tables_base import DEFAULT_STATUSES, TableError
from qualcode.model import STATUSES

ATTR_PREFIX = "attr_"
PRESENCE_LABELS = {0: "absent", 1: "present"}

SEGMENT_LABELS = {
    "transcript": "Transcript", "case": "Case", "code": "Code id", "code_path": "Code path (names, root first)",
    "code_name": "Code name", "start": "Start offset (Unicode code points)",
    "end": "End offset (Unicode code points)", "text": "Coded text", "speaker": "Speaker",
    "role": "Speaker's role", "turn": "Turn number", "coder": "Coder",
    "origin": "Origin (manual, rule, model, import)", "status": "Status (suggested, accepted, rejected)",
    "confidence": "Confidence (0-1)", "memo": "Memo", "rule": "Rule or model id",
    "matched": "Words that fired the rule", "run": "Run id", "coding_id": "Coding id",
}
SEGMENT_COLUMNS = list(SEGMENT_LABELS)[2:]


def _statuses(statuses: Sequence[str] | str | None) -> list[str] | None:
    if statuses is None:
        return None
    statuses = [statuses] if isinstance(statuses, str) else list(statuses)
    for s in statuses:
        if s not in STATUSES:
            raise TableError("E855", value=s, supported=", ".join(STATUSES))
    return statuses


def _code_info(codes: pd.DataFrame) -> tuple[dict[str, str | None], dict[str, str]]:
    parent = {r.code: (r.parent if isinstance(r.parent, str) else None) for r in codes.itertuples()}
    name = {r.code: (r.name if isinstance(r.name, str) and r.name else r.code.rsplit(".", 1)[-1])
            for r in codes.itertuples()}
    return parent, name


def _ancestry(code: str, parent: Mapping[str, str | None]) -> list[str]:
    chain = [code]
    while (up := parent.get(chain[-1])) is not None and up not in chain:
        chain.append(up)
    return chain[::-1]


def _code_path(code: str, parent: Mapping[str, str | None], name: Mapping[str, str]) -> str:
    return " > ".join(name.get(c, c.rsplit(".", 1)[-1]) for c in _ancestry(code, parent))


def whole_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with each float column whose values are all whole numbers as nullable Int64, so
    an age of 29 is written 29, not 29.0, when another case has no age (pandas turns a column
    of ints with a gap into floats)."""
    out = frame.copy()
    for i in range(out.shape[1]):
        series = out.iloc[:, i]
        if series.dtype.kind == "f":
            values = series.dropna()
            if not values.empty and np.isfinite(values).all() and (values == values.round()).all() \
                    and values.abs().max() < 2**53:
                out.isetitem(i, series.astype("Int64"))
    return out


def _attributes(project, taken: set[str]) -> tuple[pd.DataFrame, dict[str, str]]:
    """The cases frame with clashing attribute names prefixed; returns it and {new: original}."""
    cases = whole_numbers(project.cases())
    renames: dict[str, str] = {}
    used = set(taken) | set(cases.columns)
    for column in cases.columns[1:]:
        if column in taken:
            new, n = f"{ATTR_PREFIX}{column}", 2
            while new in used:
                new, n = f"{ATTR_PREFIX}{column}_{n}", n + 1
            renames[column] = new
            used.add(new)
    return cases.rename(columns=renames), {v: k for k, v in renames.items()}


def segments(project, statuses: Sequence[str] | None = DEFAULT_STATUSES) -> pd.DataFrame:
    """One row per coding: transcript, case, the case's attributes, code, code_path, code_name,
    start, end, text, speaker, role, turn, coder, origin, status, confidence, memo, rule, matched,
    run, coding_id. `statuses=None` keeps every status, rejected codings too."""
    codings = project.codings(status=_statuses(statuses))
    parent, name = _code_info(project.codes())
    attrs, renamed = _attributes(project, {"transcript", *SEGMENT_COLUMNS})
    frame = codings.rename(columns={"id": "coding_id"})
    ids = frame["code"].unique()
    frame["code_name"] = frame["code"].map({c: name.get(c, c.rsplit(".", 1)[-1]) for c in ids})
    frame["code_path"] = frame["code"].map({c: _code_path(c, parent, name) for c in ids})
    frame["confidence"] = pd.to_numeric(frame["confidence"], errors="coerce").astype("float64")
    for column in ("turn", "run", "start", "end", "coding_id"):
        frame[column] = pd.array(pd.to_numeric(frame[column]), dtype="Int64")
        if not frame[column].isna().any():
            frame[column] = frame[column].astype("int64")
    frame = frame.merge(attrs, on="case", how="left")
    columns = ["transcript", "case", *attrs.columns[1:], *SEGMENT_COLUMNS]
    frame = frame[columns].reset_index(drop=True)
    frame.attrs["labels"] = {**SEGMENT_LABELS, **renamed}
    return frame


def _ordered_codes(columns: Sequence[str], codes: pd.DataFrame) -> list[str]:
    order = {c: i for i, c in enumerate(codes["code"])}
    return sorted(columns, key=lambda c: (order.get(c, len(order)), c))


def matrix_table(project, kind: str = "presence", statuses: Sequence[str] = DEFAULT_STATUSES,
                 codes: Sequence[str] | None = None) -> pd.DataFrame:
    """Case × code (`presence` 0/1, `count` of codings, `coverage` % of respondent words), one row
    per case: case, the case's attributes, then one column per code id in codebook order.
    Rejected codings never count; `statuses=None` means accepted and suggested."""
    matrix = project.matrix(kind, statuses=_statuses(statuses) or DEFAULT_STATUSES, codes=codes)
    book = project.codes()
    _, name = _code_info(book)
    code_columns = _ordered_codes([str(c) for c in matrix.columns], book)
    attrs, renamed = _attributes(project, {"case", *code_columns})
    matrix = matrix.rename(columns=str)[code_columns].rename_axis(index="case", columns=None).reset_index()
    frame = attrs.merge(matrix, on="case", how="outer")
    frame[code_columns] = frame[code_columns].fillna(0)
    if kind in ("presence", "count"):
        frame[code_columns] = frame[code_columns].astype("int64")
    frame = frame[["case", *attrs.columns[1:], *code_columns]]
    unit = {"presence": "", "count": " (codings)", "coverage": " (% of respondent words)"}.get(kind, "")
    frame.attrs["labels"] = {"case": "Case", **renamed,
                             **{c: f"{c}: {name.get(c, c)}{unit}" for c in code_columns}}
    if kind == "presence":
        frame.attrs["value_labels"] = {c: dict(PRESENCE_LABELS) for c in code_columns}
    return frame


def typology_table(typology, clusters: pd.Series | pd.DataFrame | None = None) -> pd.DataFrame:
    """Typology assignments, one row per case: case, rule_type, cluster column(s), the profile
    scores, reason. `typology` is a `RuleTypology`, its `.cases` frame, or any frame with a case
    column or index; `clusters` (e.g. `ClusterTypology.labels_series()`) is joined by case."""
    frame = getattr(typology, "cases", typology)
    frame = _with_case(frame.copy())
    if clusters is not None:
        extra = _with_case(clusters.to_frame(clusters.name or "cluster") if isinstance(clusters, pd.Series)
                           else clusters.copy())
        frame = frame.merge(extra, on="case", how="outer", suffixes=("", "_cluster"))
    cluster_cols = [c for c in frame.columns if str(c).startswith("cluster")]
    first = ["case", *[c for c in ("rule_type",) if c in frame.columns], *cluster_cols]
    last = [c for c in ("reason",) if c in frame.columns]
    frame = frame[[*first, *[c for c in frame.columns if c not in first + last], *last]]
    frame.attrs = {"labels": {"case": "Case", "rule_type": "Type by the codebook's rules",
                              "reason": "Why this type", "cluster": "Cluster (0 = the largest)"}}
    return frame.reset_index(drop=True)


def _with_case(frame: pd.DataFrame) -> pd.DataFrame:
    if "case" not in frame.columns:
        if frame.index.name == "case" or not isinstance(frame.index, pd.RangeIndex):
            frame = frame.rename_axis("case").reset_index()
        else:
            raise TableError("E856", found=", ".join(map(str, frame.columns)) or "(none)")
    return frame


def codebook_table(source, statuses: Sequence[str] = DEFAULT_STATUSES) -> pd.DataFrame:
    """One row per code: code, parent, name, code_path, level (1 = top), description, color;
    from a Project also n_codings and n_cases (with the given statuses); from a Codebook (or a
    codebook file) also include, exclude and examples."""
    from qualcode.codebook import Codebook
    from qualcode.codebook import load as load_codebook

    if isinstance(source, str | Path):
        source = load_codebook(source)
    if isinstance(source, Codebook):
        frame = pd.DataFrame([{"code": c.id, "parent": c.parent, "name": c.name, "description": c.description,
                               "color": c.color, "include": c.include, "exclude": c.exclude,
                               "examples": "\n".join(c.examples) or None} for c in source.codes],
                             columns=["code", "parent", "name", "description", "color", "include", "exclude",
                                      "examples"])
    else:
        frame = source.codes()[["code", "parent", "name", "description", "color"]]
    parent, name = _code_info(frame)
    frame.insert(3, "code_path", [_code_path(c, parent, name) for c in frame["code"]])
    frame.insert(4, "level", [len(_ancestry(c, parent)) for c in frame["code"]])
    if not isinstance(source, Codebook):
        codings = source.codings(status=_statuses(statuses))
        frame["n_codings"] = frame["code"].map(codings["code"].value_counts()).fillna(0).astype("int64")
        frame["n_cases"] = frame["code"].map(codings.groupby("code")["case"].nunique()).fillna(0).astype("int64")
    frame.attrs["labels"] = {"code": "Code id", "parent": "Parent code id", "name": "Code name",
                             "code_path": "Code path (names, root first)", "level": "Level (1 = top)",
                             "n_codings": "Codings", "n_cases": "Cases with the code"}
    return frame


def project_tables(project, *, kind: str = "presence", statuses: Sequence[str] = DEFAULT_STATUSES,
                   codebook=None) -> dict[str, pd.DataFrame]:
    """The tables of a whole-project export: segments, matrix, typology (only when a codebook
    with profiles and types is given), codebook and memos (when there are any), in that order: ready for
    `write(tables, "project.xlsx")`."""
    out = {"segments": segments(project, statuses), "matrix": matrix_table(project, kind, statuses)}
    if codebook is not None:
        out["typology"] = _typology_frame(project, codebook, statuses)
    out["codebook"] = codebook_table(project, statuses)
    memo_frame = memos_table(project)
    if len(memo_frame):
        out["memos"] = memo_frame
    return out


WHAT = ("segments", "matrix", "typology", "codebook", "memos", "project")

MEMO_LABELS = {"id": "Memo id", "target_type": "What the memo is about (project, transcript, case, code, coding)",
               "target": "Its name, code id or coding", "transcript": "Transcript it lies in", "title": "Title",
               "text": "Memo", "author": "Author", "created_at": "Written", "updated_at": "Last changed",
               "stored_in": "Where it is kept (memos, code, coding)"}


def memos_table(project) -> pd.DataFrame:
    """Every memo that is not deleted, one row each (qualcode.memos): id, target_type, target,
    transcript, title, text, author, created_at, updated_at, stored_in. Times are UTC without
    a zone, which every format can hold."""
    frame = project.memos()[list(MEMO_LABELS)].copy()
    for column in ("created_at", "updated_at"):
        stamps = pd.to_datetime(frame[column], utc=True, errors="coerce")
        frame[column] = stamps.dt.tz_localize(None)
    frame.attrs["labels"] = dict(MEMO_LABELS)
    return frame


def _typology_frame(project, codebook, statuses: Sequence[str]) -> pd.DataFrame:
    """Rule types and clusters per case; rule types alone when the cases cannot be clustered
    (too few, or all alike), so an export never fails for want of clusters."""
    try:
        return typology_table(project.typology(codebook, method="both", statuses=statuses).cases)
    except QualcodeError as exc:
        if exc.code != "E720":
            raise
        return typology_table(project.typology(codebook, method="rules", statuses=statuses).cases)


class Tables(dict):
    """The tables of an export, by name, and `missing`: each table the export should have had
    but could not make, with the reason (the CLI and the Export page say it; never silent)."""

    def __init__(self, frames: Mapping[str, pd.DataFrame], missing: Mapping[str, str] | None = None) -> None:
        super().__init__(frames)
        self.missing: dict[str, str] = dict(missing or {})


def _typology_or_reason(project, codebook, statuses: Sequence[str]) -> tuple[pd.DataFrame | None, str | None]:
    """The typology sheet of a whole-project export, or why there is none."""
    book = codebook if codebook is not None else project.codebook()
    if book is None:
        path = project.last_codebook_path()
        return None, ("the project has no rule run yet, so no codebook with types (auto-code it first)"
                      if path is None else f"the last run's codebook {path} is not there any more and the project "
                      "did not keep a copy (it was coded before codebooks were kept): give --codebook FILE")
    try:
        return _typology_frame(project, book, statuses), None
    except QualcodeError as exc:
        return None, str(exc)


def tables_for(project, what: str, *, fmt: str, kind: str = "presence",
               statuses: Sequence[str] = DEFAULT_STATUSES, codebook=None) -> Tables:
    """The tables of one export, as `qualcode export` and the Export page make it: `what` is
    segments, matrix, typology (rule types and clusters; `codebook` defaults to the one the
    project was last coded with, as the project kept it), codebook, memos, or project (all of
    them; the memos sheet when there are memos). An xlsx workbook of codings always gets a
    codebook sheet, so the file says what its codes mean. A
    table that cannot be made is in `.missing` with the reason, never left out silently."""
    if what not in WHAT:
        raise ValueError(f"what must be one of {', '.join(WHAT)}, not {what!r}")
    missing: dict[str, str] = {}
    if what == "project":
        frames = {"segments": segments(project, statuses), "matrix": matrix_table(project, kind, statuses)}
        typology, why = _typology_or_reason(project, codebook, statuses)
        if typology is not None:
            frames["typology"] = typology
        else:
            missing["typology"] = why or "unknown"
        frames["codebook"] = codebook_table(project, statuses)
        memo_frame = memos_table(project)
        if len(memo_frame):  # a project without memos keeps the four sheets it always had
            frames["memos"] = memo_frame
    elif what == "memos":
        frames = {"memos": memos_table(project)}
    elif what == "segments":
        frames = {"segments": segments(project, statuses)}
    elif what == "matrix":
        frames = {"matrix": matrix_table(project, kind, statuses)}
    elif what == "codebook":
        frames = {"codebook": codebook_table(project, statuses)}
    else:
        frames = {"typology": _typology_frame(project, codebook, statuses)}
    if fmt == "xlsx" and "codebook" not in frames and what != "memos":
        frames["codebook"] = codebook_table(project, statuses)
    return Tables(frames, missing)
