"""Case × code matrices: presence, count, or coverage of the respondent's words.

The first step of issue 5's analysis: what each person interviewed talked about. A
coding belongs to the case of its transcript. Rejected codings never count; by default
suggestions count too (rule codings start as suggestions), and `statuses=("accepted",)`
keeps reviewed ones only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

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


def _words(text: str, spans: list[tuple[int, int]]) -> int:
    return sum(len(WORD.findall(text, s, e)) for s, e in spans)


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
    spans = {name: list(zip(g["start"], g["end"], strict=True)) for name, g in respondent.groupby("transcript")}
    total: dict[str, int] = {}
    for name, ss in spans.items():
        total[case_of[name]] = total.get(case_of[name], 0) + _words(texts[name], ss)
    covered: dict[tuple[str, str], int] = {}
    for (name, code), group in used.groupby(["transcript", "code"]):
        clipped = [(max(s, ts), min(e, te)) for s, e in zip(group["start"], group["end"], strict=True)
                   for ts, te in spans.get(name, []) if s < te and e > ts]
        key = (case_of[name], code)
        covered[key] = covered.get(key, 0) + _words(texts[name], _merge(clipped))
    frame = pd.DataFrame(0.0, index=index, columns=columns)
    for (case, code), words in covered.items():
        if case in frame.index and total.get(case):
            frame.loc[case, code] = round(100.0 * words / total[case], 2)
    return frame
