"""Code frequencies: how many codings each code has, split by where they came from.

Split by `origin` (manual, import, rule, model) it shows how much of a code rests on the
rules versus human coding; split by `coder` it shows who coded what, the first thing to
look at before comparing coders. `n_cases` says how many people the code is about, which
is what a count of codings hides (one talkative respondent can carry a code).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from qualcode.analysis.matrix import DEFAULT_STATUSES

NONE = "(none)"  # rule and model codings have no coder


def frequencies(
    codings: pd.DataFrame,
    by: str = "origin",
    statuses: Sequence[str] = DEFAULT_STATUSES,
    *,
    codes: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Code × value of `by` (a codings column, usually "origin" or "coder") counts of codings,
    then `total` (codings) and `n_cases` (cases with at least one coding of the code).

    Rejected codings never count; by default suggestions do. Rows are `codes`, or every code
    with a coding of any status (zero rows included, so tables with and without
    suggestions line up); a missing `by` value is shown as "(none)".
    """
    if by not in codings.columns or by == "code":
        allowed = ", ".join(c for c in ("origin", "coder", "status", "role", "speaker", "case")
                            if c in codings.columns)
        raise ValueError(f"cannot split codings by {by!r}; use a codings column such as {allowed}")
    names = list(codes) if codes is not None else sorted(set(codings["code"]))
    used = codings[codings["status"].isin(list(statuses)) & codings["code"].isin(names)]
    split = used[by].astype(object).where(used[by].notna(), NONE).astype(str)
    counts = pd.crosstab(used["code"], split) if len(used) else pd.DataFrame(index=pd.Index([], name="code"))
    values = sorted(set(split))
    frame = counts.reindex(index=names, columns=values, fill_value=0).fillna(0).astype(int)
    frame["total"] = frame.sum(axis=1).astype(int)
    frame["n_cases"] = used.groupby("code")["case"].nunique().reindex(names, fill_value=0).astype(int)
    frame.index.name = "code"
    frame.columns.name = by
    return frame
