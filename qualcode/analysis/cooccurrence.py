"""Code co-occurrence: which codes are applied together, in the same passage or the same case.

Counting (the same for every scope, so the Jaccard index is a true set measure):
the table counts *units*, and a code "has" a unit or not.

* scope="case": a unit is a case. counts[A, A] = cases with A; counts[A, B] = cases with
  both; Jaccard = cases with both / cases with A or B.
* scope="unit": two codings *meet* when their spans overlap or touch (one ends where the
  other starts) in the same transcript. scope="distance": they meet when the gap between
  them is at most `within` characters (so within=0 is the same as "unit").
  counts[A, A] is the number of A's passages: groups of A codings linked by meeting (two
  overlapping A codings, say a human's and a rule's, are one passage). For a pair, the
  codings of A and B are grouped the same way: counts[A, B] is the number of groups that
  hold both codes (places where an A coding meets a B coding), and Jaccard is that number
  over the number of groups that hold either. Groups are counted, not pairs of codings, so
  two A codings that meet one B coding count once; hence counts[A, B] <= counts[A, A] and
  Jaccard is between 0 and 1. Only codings of A and B link a pair's groups: a C coding
  between an A and a B does not make them meet.

Rejected codings never count; by default suggestions do (as in the case × code matrix).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np
import pandas as pd

from qualcode.analysis.matrix import DEFAULT_STATUSES

SCOPES = ("unit", "distance", "case")
WHERE_COLUMNS = ["code_a", "code_b", "transcript", "case", "start", "end"]


@dataclass
class CoOccurrence:
    """`counts`: code × code units (symmetric; diagonal = units with the code); `jaccard`:
    code × code, units with both / units with either (NaN when neither code has a unit);
    `where`: one row per co-occurrence of a pair (code_a < code_b), with transcript, case and
    the group's span (start, end), so the passages can be read; for scope="case" only the
    case is filled in, and the rows are built when first asked for (100,000 cases with 30
    codes each would be 40 million rows nobody reads)."""

    scope: str
    within: int
    counts: pd.DataFrame
    jaccard: pd.DataFrame
    _where: pd.DataFrame | Callable[[], pd.DataFrame] = field(repr=False, default_factory=pd.DataFrame)

    @property
    def where(self) -> pd.DataFrame:
        if callable(self._where):
            self._where = self._where()
        return self._where

    def pairs(self) -> pd.DataFrame:
        """Tidy form, one row per pair of different codes: code_a, code_b, count, jaccard,
        most co-occurring first."""
        codes = list(self.counts.index)
        rows = [{"code_a": a, "code_b": b, "count": int(self.counts.loc[a, b]), "jaccard": self.jaccard.loc[a, b]}
                for a, b in combinations(codes, 2)]
        frame = pd.DataFrame(rows, columns=["code_a", "code_b", "count", "jaccard"])
        return frame.sort_values(["count", "code_a", "code_b"], ascending=[False, True, True], ignore_index=True)


def _groups(spans: Iterable[tuple[int, int, str]], within: int) -> list[tuple[int, int, set[str]]]:
    """Group spans (start, end, code) that meet, transitively: (start, end, codes) per group.

    Sorted by start, a span joins the current group when it starts at most `within` after
    the group's furthest end; that end belongs to one of the group's spans, so the new span
    meets that span.
    """
    out: list[tuple[int, int, set[str]]] = []
    for start, end, code in sorted(spans):
        if out and start - out[-1][1] <= within:
            first, last, codes = out[-1]
            codes.add(code)
            out[-1] = (first, max(last, end), codes)
        else:
            out.append((start, end, {code}))
    return out


def _by_case(used: pd.DataFrame, codes: list[str]) -> tuple[np.ndarray, Callable[[], pd.DataFrame]]:
    """counts = PᵀP for the case × code presence matrix P, and a maker of the `where` rows."""
    if used.empty:
        return np.zeros((len(codes), len(codes)), dtype=int), lambda: pd.DataFrame(columns=WHERE_COLUMNS)
    cases = sorted(set(used["case"]))
    rows = pd.Index(cases).get_indexer(used["case"])
    cols = pd.Index(codes).get_indexer(used["code"])
    presence = np.zeros((len(cases), len(codes)), dtype=np.int64)
    presence[rows, cols] = 1
    counts = presence.T @ presence

    def where() -> pd.DataFrame:
        parts = []
        for i, j in combinations(range(len(codes)), 2):
            if counts[i, j]:
                both = np.flatnonzero(presence[:, i] & presence[:, j])
                parts.append(pd.DataFrame({"code_a": codes[i], "code_b": codes[j],
                                           "case": np.asarray(cases, dtype=object)[both]}))
        frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["code_a", "code_b", "case"])
        frame = frame.sort_values(["case", "code_a", "code_b"], kind="mergesort", ignore_index=True)
        return frame.assign(transcript=None, start=None, end=None)[WHERE_COLUMNS]

    return counts, where


def _by_span(used: pd.DataFrame, codes: list[str], within: int) -> tuple[np.ndarray, np.ndarray,
                                                                          list[dict[str, object]]]:
    """counts (diagonal: passages per code) and, per pair, the number of groups holding either code."""
    index = {c: i for i, c in enumerate(codes)}
    counts = np.zeros((len(codes), len(codes)), dtype=int)
    # Grouping A and B codings together joins some of A's and B's passages; `joined` counts how
    # many fewer groups that makes, so groups with either = passages of A + passages of B - joined
    # (a transcript where only one of the two codes occurs adds just that code's passages).
    joined = np.zeros((len(codes), len(codes)), dtype=int)
    where: list[dict[str, object]] = []
    for transcript, frame in used.groupby("transcript", sort=True):
        case = frame["case"].iloc[0]
        spans = {code: list(zip(g["start"].astype(int), g["end"].astype(int), g["code"], strict=True))
                 for code, g in frame.groupby("code", sort=True)}
        passages = {code: len(_groups(own, within)) for code, own in spans.items()}
        for code, n in passages.items():
            counts[index[code], index[code]] += n
        for a, b in combinations(sorted(spans), 2):
            groups = _groups(spans[a] + spans[b], within)
            both = [(s, e) for s, e, have in groups if len(have) == 2]
            i, j = index[a], index[b]
            counts[i, j] += len(both)
            counts[j, i] += len(both)
            joined[i, j] += passages[a] + passages[b] - len(groups)
            joined[j, i] = joined[i, j]
            where += [{"code_a": a, "code_b": b, "transcript": transcript, "case": case, "start": s, "end": e}
                      for s, e in both]
    diagonal = np.diag(counts)
    return counts, diagonal[:, None] + diagonal[None, :] - joined, where


def cooccurrence(
    codings: pd.DataFrame,
    *,
    scope: str = "unit",
    within: int = 0,
    statuses: Sequence[str] = DEFAULT_STATUSES,
    codes: Sequence[str] | None = None,
) -> CoOccurrence:
    """Code × code co-occurrence counts and Jaccard indices from a codings frame
    (`Project.codings()`: needs transcript, case, code, start, end, status).

    scope "unit": codings that overlap or touch; "distance": codings at most `within`
    characters apart; "case": codes in the same case. See the module docstring for exactly
    what is counted. The codes are `codes`, or every code with a coding of any status, so
    tables with and without suggestions line up.
    """
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {', '.join(SCOPES)}, not {scope!r}")
    if within < 0:
        raise ValueError(f"within must be 0 or more characters, not {within}")
    if within and scope != "distance":
        raise ValueError(f"within={within} applies to scope='distance' only (scope is {scope!r})")
    names = list(codes) if codes is not None else sorted(set(codings["code"]))
    used = codings[codings["status"].isin(list(statuses)) & codings["code"].isin(names)]
    if scope == "case":
        counts, where = _by_case(used, names)
        diagonal = np.diag(counts)
        either = diagonal[:, None] + diagonal[None, :] - counts
    else:
        counts, either, where = _by_span(used, names, within)
        diagonal = np.diag(counts)
    np.fill_diagonal(either, diagonal)  # a code with itself: every unit holds "both"
    with np.errstate(invalid="ignore", divide="ignore"):
        jaccard = np.where(either > 0, counts / np.maximum(either, 1), np.nan)
    label = pd.Index(names, name="code")
    return CoOccurrence(
        scope=scope,
        within=within,
        counts=pd.DataFrame(counts, index=label, columns=label.rename(None)),
        jaccard=pd.DataFrame(jaccard, index=label, columns=label.rename(None)),
        _where=where if callable(where) else pd.DataFrame(where, columns=WHERE_COLUMNS),
    )
