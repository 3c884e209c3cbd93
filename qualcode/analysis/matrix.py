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

KINDS = ("presence", "count", "coverage", "evidence")
WORD = re.compile(r"\w+")
DEFAULT_STATUSES = ("accepted", "suggested")


def _word_runs(text: str) -> tuple[np.ndarray, np.ndarray]:
    """Start and end of every word (\\w+ run) of the text, in order."""
    bounds = np.array([m.span() for m in WORD.finditer(text)], dtype=np.int64).reshape(-1, 2)
    return bounds[:, 0], bounds[:, 1]


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

    presence: 1/0; count: number of codings; evidence: the highest confidence among the
    codings (1 for codings without one, such as human and rule codings); coverage: % of the case's respondent words
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
    if kind == "evidence":
        # The strongest coding of each code: a coding without a confidence (human, rule) is
        # certain evidence, a model suggestion counts as much as its calibrated probability.
        confidence = pd.to_numeric(used["confidence"], errors="coerce").fillna(1.0).clip(0.0, 1.0)
        strongest = confidence.groupby([used["case"], used["code"]]).max().unstack(fill_value=0.0)
        return strongest.reindex(index=index, columns=columns, fill_value=0.0).fillna(0.0).astype(float)
    if kind in ("presence", "count"):
        counts = used.groupby(["case", "code"]).size().unstack(fill_value=0)
        frame = counts.reindex(index=index, columns=columns, fill_value=0).fillna(0).astype(int)
        return (frame > 0).astype(int) if kind == "presence" else frame
    if turns is None or transcripts is None or texts is None:
        raise ValueError("coverage needs the project's turns, transcripts and texts")
    return _coverage(used, index, columns, turns, transcripts, texts)


def _coverage(used: pd.DataFrame, index: pd.Index, columns: list[str], turns: pd.DataFrame,
              transcripts: pd.DataFrame, texts: dict[str, str]) -> pd.DataFrame:
    """% of each case's respondent words inside the union of its codings of each code.

    Vectorised over the whole project, because a loop per transcript and code takes minutes
    at 100,000 cases: every transcript gets a slice of one global coordinate line (a gap of
    one character between transcripts, so nothing touches across them), codings are clipped
    to respondent turns and merged per code with a running maximum, and words are counted
    with binary searches over the global word bounds. A word cut by a span's edge counts.
    """
    names = [n for n in transcripts["transcript"] if n in texts]
    lengths = np.array([len(texts[n]) for n in names], dtype=np.int64)
    base = dict(zip(names, np.concatenate([[0], np.cumsum(lengths + 1)[:-1]]).tolist(), strict=True))
    case_of = dict(zip(transcripts["transcript"], transcripts["case"], strict=True))
    bounds = [_word_runs(texts[n]) for n in names]
    word_starts = np.concatenate([b[0] + base[n] for b, n in zip(bounds, names, strict=True)] or [np.zeros(0, int)])
    word_ends = np.concatenate([b[1] + base[n] for b, n in zip(bounds, names, strict=True)] or [np.zeros(0, int)])

    def words(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        return (np.searchsorted(word_starts, ends, side="left")
                - np.searchsorted(word_ends, starts, side="right")).clip(0)

    respondent = turns[(turns["role"] == "respondent") & turns["transcript"].isin(base)]
    offset = respondent["transcript"].map(base).to_numpy(dtype=np.int64)
    turn_starts = respondent["start"].to_numpy(dtype=np.int64) + offset
    turn_ends = respondent["end"].to_numpy(dtype=np.int64) + offset
    order = np.argsort(turn_starts, kind="stable")
    turn_starts, turn_ends = turn_starts[order], turn_ends[order]
    turn_case = respondent["transcript"].map(case_of).to_numpy(dtype=object)[order]
    total = pd.Series(words(turn_starts, turn_ends), dtype=float).groupby(turn_case).sum()

    frame = pd.DataFrame(0.0, index=index, columns=columns)
    used = used[used["transcript"].isin(base)]
    if used.empty or not len(turn_starts):
        return frame
    shift = used["transcript"].map(base).to_numpy(dtype=np.int64)
    starts = used["start"].to_numpy(dtype=np.int64) + shift
    ends = used["end"].to_numpy(dtype=np.int64) + shift
    code_ix = pd.Index(columns).get_indexer(used["code"]).astype(np.int64)
    # Respondent turns a coding overlaps: those ending after its start and starting before its end.
    first = np.searchsorted(turn_ends, starts, side="right")
    last = np.searchsorted(turn_starts, ends, side="left")
    n = (last - first).clip(0)
    row = np.repeat(np.arange(len(starts)), n)
    turn = np.repeat(first, n) + (np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n))
    clip_s = np.maximum(starts[row], turn_starts[turn])
    clip_e = np.minimum(ends[row], turn_ends[turn])
    code_of = code_ix[row]
    # Merge per code: on a line where code c lives at c * big, one running maximum suffices.
    big = int(word_ends.max(initial=0)) + int(ends.max(initial=0)) + 2
    key_s, key_e = clip_s + code_of * big, clip_e + code_of * big
    order = np.lexsort((key_s,))
    key_s, key_e = key_s[order], key_e[order]
    reach = np.maximum.accumulate(key_e)
    opens = np.ones(len(key_s), dtype=bool)
    opens[1:] = key_s[1:] > reach[:-1]  # a span touching the previous one joins it, as before
    heads = np.flatnonzero(opens)
    merged_s = key_s[heads]
    merged_e = np.maximum.reduceat(key_e, heads) if len(heads) else key_e[:0]
    merged_code = merged_s // big
    merged_s, merged_e = merged_s - merged_code * big, merged_e - merged_code * big
    counts = words(merged_s, merged_e)
    where = np.searchsorted(turn_starts, merged_s, side="right") - 1  # the turn each merged span starts in
    cells = pd.DataFrame({"case": turn_case[where], "code": np.asarray(columns, dtype=object)[merged_code],
                          "words": counts}).groupby(["case", "code"])["words"].sum()
    totals = cells.index.get_level_values("case").map(total).astype(float)
    pct = (100.0 * cells.astype(float) / totals).where(totals > 0, 0.0).round(2)
    frame = frame.add(pct.unstack(fill_value=0.0), fill_value=0.0).reindex(index=index, columns=columns)
    return frame.fillna(0.0)
