"""Case × code matrices: presence, count, or coverage of the respondent's words.

The first step of issue 5's analysis: what each person interviewed talked about. A
coding belongs to the case of its transcript. Rejected codings never count; by default
suggestions count too (rule codings start as suggestions), and `statuses=("accepted",)`
keeps reviewed ones only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

KINDS = ("presence", "count", "coverage")
WORD = re.compile(r"\w+")
DEFAULT_STATUSES = ("accepted", "suggested")


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def _word_runs(text: str) -> tuple[np.ndarray, np.ndarray]:
    """Start and end of every word (\\w+ run) of the text, in order."""
    bounds = np.array([m.span() for m in WORD.finditer(text)], dtype=np.int64).reshape(-1, 2)
    return bounds[:, 0], bounds[:, 1]


def _count_words(runs: tuple[np.ndarray, np.ndarray], spans: list[tuple[int, int]]) -> int:
    """Words inside each span, summed; a word cut by a span's edge counts (its part is a word).

    Words and spans are both sorted, so the words touching [s, e) are those ending after s
    and starting before e: two binary searches per span instead of a regex pass over it.
    """
    if not spans:
        return 0
    starts, ends = runs
    s = np.fromiter((a for a, _ in spans), dtype=np.int64, count=len(spans))
    e = np.fromiter((b for _, b in spans), dtype=np.int64, count=len(spans))
    return int((np.searchsorted(starts, e, side="left") - np.searchsorted(ends, s, side="right")).clip(0).sum())


def case_code_matrix(
    codings: pd.DataFrame,
    cases: Sequence[str],
    *,
    kind: str = "presence",
    statuses: Sequence[str] = DEFAULT_STATUSES,
    codes: Sequence[str] | None = None,
    turns: pd.DataFrame | None = None,
    transcripts: pd.DataFrame | None = None,
    texts: dict[str, str] | None = None,
) -> pd.DataFrame:
    """One row per case (all `cases`, even those without codings), one column per code.

    presence: 1/0; count: number of codings; coverage: % of the case's respondent words
    inside codings of the code (needs `turns`, `transcripts` and `texts`).
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    used = codings[codings["status"].isin(list(statuses))]
    # Every code with a coding of any status is a column, so matrices with and without
    # suggestions line up.
    columns = list(codes) if codes is not None else sorted(set(codings["code"]))
    used = used[used["code"].isin(columns)]
    index = pd.Index(sorted(cases), name="case")
    if kind in ("presence", "count"):
        counts = used.groupby(["case", "code"]).size().unstack(fill_value=0)
        frame = counts.reindex(index=index, columns=columns, fill_value=0).fillna(0).astype(int)
        return (frame > 0).astype(int) if kind == "presence" else frame
    if turns is None or transcripts is None or texts is None:
        raise ValueError("coverage needs the project's turns, transcripts and texts")
    case_of = dict(zip(transcripts["transcript"], transcripts["case"], strict=True))
    respondent = turns[turns["role"] == "respondent"]
    spans = {name: list(zip(g["start"].tolist(), g["end"].tolist(), strict=True))
             for name, g in respondent.groupby("transcript", sort=False)}
    runs = {name: _word_runs(texts[name]) for name in spans}
    total: dict[str, int] = {}
    for name, ss in spans.items():
        total[case_of[name]] = total.get(case_of[name], 0) + _count_words(runs[name], ss)
    covered: dict[tuple[str, str], int] = {}
    for name, in_transcript in used.groupby("transcript", sort=False):
        turn_spans = spans.get(name, [])
        if not turn_spans:
            continue
        case = case_of[name]
        for code, group in in_transcript.groupby("code", sort=False):
            clipped = [(max(s, ts), min(e, te)) for s, e in zip(group["start"].tolist(), group["end"].tolist(),
                                                                 strict=True)
                       for ts, te in turn_spans if s < te and e > ts]
            covered[(case, code)] = covered.get((case, code), 0) + _count_words(runs[name], _merge(clipped))
    frame = pd.DataFrame(0.0, index=index, columns=columns)
    if covered:
        cells = pd.Series(covered, dtype=float)
        cells.index = cells.index.set_names(["case", "code"])
        totals = cells.index.get_level_values("case").map(total).astype(float)
        pct = (100.0 * cells / totals).where(totals > 0, 0.0).round(2)
        frame = frame.add(pct.unstack(fill_value=0.0), fill_value=0.0).reindex(index=index, columns=columns)
    return frame.fillna(0.0)
