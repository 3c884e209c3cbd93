"""How well do the rules agree with human coders? Per code, at turn level.

A turn counts as coded with a code when any coding of that code overlaps it. The
turns compared are all turns of the transcripts a human coded (by the coder asked
for, or by anyone), so a rule that fires where the human coded nothing counts
against it. For each code: precision, recall, F1 and Cohen's kappa, with example
false positives and negatives for rule authors to read.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field

import pandas as pd

from qualcode.errors import QualcodeError

HUMAN = ("manual", "import")


@dataclass
class RuleEvaluation:
    per_code: pd.DataFrame
    examples: dict[str, dict[str, list[dict]]] = field(default_factory=dict)  # code -> fp/fn -> rows
    transcripts: list[str] = field(default_factory=list)
    turns: int = 0
    coder: str | None = None

    @property
    def overall(self) -> dict[str, float]:
        row = self.per_code[self.per_code["code"] == "(all codes)"]
        return row.iloc[0].to_dict() if len(row) else {}


def kappa(tp: int, fp: int, fn: int, tn: int) -> float:
    """Cohen's kappa for two raters on a 2x2 table (NaN when chance agreement is total)."""
    n = tp + fp + fn + tn
    if n == 0:
        return float("nan")
    po = (tp + tn) / n
    pe = ((tp + fp) * (tp + fn) + (fn + tn) * (fp + tn)) / (n * n)
    return float("nan") if pe == 1 else (po - pe) / (1 - pe)


def _ratio(a: int, b: int) -> float:
    return a / b if b else float("nan")


def evaluate(codings: pd.DataFrame, turns: pd.DataFrame, coder: str | None = None,
             max_examples: int = 3) -> RuleEvaluation:
    """Compare rule codings with human codings. `codings` and `turns` are the project's frames."""
    human = codings[codings["origin"].isin(HUMAN) & (codings["status"] != "rejected")]
    if coder is not None:
        human = human[human["coder"] == coder]
    if human.empty:
        # Name the coders who have human codings, so a mistyped name can be put right.
        known = sorted(set(codings.loc[codings["origin"].isin(HUMAN), "coder"].dropna()))
        who = f" by coder '{coder}'" if coder else ""
        if coder and known:
            who += f" (coders with human codings: {', '.join(known)})"
        raise QualcodeError("E704", who=who)
    rule = codings[(codings["origin"] == "rule") & (codings["status"] != "rejected")]
    names = sorted(set(human["transcript"]))
    rule = rule[rule["transcript"].isin(names)]
    turns = turns[turns["transcript"].isin(names)]

    spans: dict[str, tuple[list[int], list[tuple[int, int, int]]]] = {}
    for name, group in turns.groupby("transcript", sort=True):
        rows = sorted(zip(group["start"], group["end"], group["turn"], strict=True))
        spans[name] = ([r[0] for r in rows], rows)
    text_of = {(r.transcript, r.turn): r.text for r in turns.itertuples()}

    def turns_of(frame: pd.DataFrame) -> dict[str, dict[tuple[str, int], dict]]:
        out: dict[str, dict[tuple[str, int], dict]] = {}
        for r in frame.itertuples():
            starts, rows = spans[r.transcript]
            i = max(0, bisect_right(starts, r.start) - 1)
            while i < len(rows) and rows[i][0] < r.end:
                s, e, idx = rows[i]
                if (s < r.end and e > r.start) or s == e == r.start:
                    out.setdefault(r.code, {}).setdefault((r.transcript, idx), {"rule": r.rule, "text": r.text})
                i += 1
        return out

    h, m = turns_of(human), turns_of(rule)
    n = len(turns)
    records, examples = [], {}
    totals = [0, 0, 0]
    for code in sorted(set(h) | set(m)):
        hs, ms = set(h.get(code, {})), set(m.get(code, {}))
        tp, fp, fn = len(hs & ms), len(ms - hs), len(hs - ms)
        tn = n - tp - fp - fn
        totals = [totals[0] + tp, totals[1] + fp, totals[2] + fn]
        p, r = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
        f1 = _ratio(2 * tp, 2 * tp + fp + fn)
        records.append({"code": code, "human_turns": len(hs), "rule_turns": len(ms), "tp": tp, "fp": fp, "fn": fn,
                        "precision": p, "recall": r, "f1": f1, "kappa": kappa(tp, fp, fn, tn)})
        examples[code] = {
            "fp": [{"transcript": t, "turn": i, "rule": m[code][(t, i)]["rule"], "matched": m[code][(t, i)]["text"],
                    "turn_text": text_of.get((t, i), "")[:200]} for t, i in sorted(ms - hs)[:max_examples]],
            "fn": [{"transcript": t, "turn": i, "human": h[code][(t, i)]["text"][:200],
                    "turn_text": text_of.get((t, i), "")[:200]} for t, i in sorted(hs - ms)[:max_examples]],
        }
    tp, fp, fn = totals
    records.append({"code": "(all codes)", "human_turns": tp + fn, "rule_turns": tp + fp, "tp": tp, "fp": fp,
                    "fn": fn, "precision": _ratio(tp, tp + fp), "recall": _ratio(tp, tp + fn),
                    "f1": _ratio(2 * tp, 2 * tp + fp + fn),
                    "kappa": kappa(tp, fp, fn, n * max(1, len(records)) - tp - fp - fn)})
    frame = pd.DataFrame(records, columns=["code", "human_turns", "rule_turns", "tp", "fp", "fn", "precision",
                                           "recall", "f1", "kappa"])
    return RuleEvaluation(frame, examples, names, n, coder)
