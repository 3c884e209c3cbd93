"""Theory-driven typology: the codebook's profiles and types, per case, with reasons.

A profile is a weighted sum of the evidence for the codes a case has. The evidence for a
code is 1 for a human coding (and for presence matrices), and a coding's confidence for a
suggestion that carries one, so a model's unsure suggestion weighs less than a coder's
decision. A type has conditions (`when`) a case must meet to be of that type at all, and
a `score` saying how strongly it is of that type. Among the types whose conditions hold,
the one with the highest score wins; the scores, turned into probabilities (a softmax),
give each case a degree of membership, so borderline cases show as borderline. A case
that meets no type's conditions is `unassigned`, with each type's failed condition as
the reason: no type is "everyone else". Without scores the first type whose condition
holds wins, as in a decision list.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from qualcode.codebook import Codebook, compute, condition_names, evaluate

UNASSIGNED = "unassigned"
# Below this degree of membership a case is flagged borderline: the runner-up type has at
# least two thirds of the winner's probability.
BORDERLINE = 0.6


@dataclass
class RuleTypology:
    """`cases`: one row per case with its profiles, `rule_type`, `degree` (the probability of
    that type among the eligible ones), `runner_up`, `margin` (score of the type minus the
    runner-up's), `borderline` and `reason`; `contributions`: per case and profile, the codes
    (with their weighted evidence) that made the score; `profiles`: the profile ids."""

    cases: pd.DataFrame
    contributions: dict[str, dict[str, dict[str, float]]]
    profiles: list[str] = field(default_factory=list)


def _evidence(parent: dict[str, str | None], row: dict[str, float]) -> dict[str, float]:
    """Evidence per code a case has (0..1), with every ancestor taking its strongest child."""
    have: dict[str, float] = {}
    for code, value in row.items():
        value = float(value)
        while value > 0 and code is not None and have.get(code, 0.0) < value:
            have[code] = value
            code = parent.get(code)
    return have


def _softmax(scores: list[float]) -> list[float]:
    top = max(scores)
    weights = [math.exp(s - top) for s in scores]
    total = sum(weights)
    return [w / total for w in weights]


def rule_typology(book: Codebook, evidence: pd.DataFrame) -> RuleTypology:
    """Apply the codebook's profiles and types to a case × code matrix of presence (0/1) or
    evidence (0..1, e.g. `Project.matrix("evidence")`)."""
    rows, contributions = [], {}
    scored = any(t.score for t in book.types)
    parent = {c.id: c.parent for c in book.codes}
    for case, row in evidence.to_dict(orient="index").items():
        have = _evidence(parent, row)
        values: dict[str, float | bool] = dict(have)
        contributions[case] = {}
        for profile in book.profiles:
            made = {code: w * have[code] for code, w in profile.weights.items() if code in have}
            values[profile.id] = round(sum(made.values()), 6)
            contributions[case][profile.id] = made
        rows.append({"case": case, **{p.id: values[p.id] for p in book.profiles},
                     **_assign(book, values, scored)})
    columns = ["case", *[p.id for p in book.profiles], "rule_type", "degree", "runner_up", "margin", "borderline",
               "reason"]
    return RuleTypology(pd.DataFrame(rows, columns=columns), contributions, [p.id for p in book.profiles])


def _shown(names: set[str], values: dict[str, float | bool], codes: set[str] = frozenset()) -> str:
    """name=value for a reason; a code shows yes/no (or its evidence when a suggestion's
    confidence made it less than certain)."""
    def one(n: str) -> str:
        v = values.get(n, 0)
        if n in codes and float(v) in (0.0, 1.0):
            v = bool(v)
        return f"{n}={_fmt(v)}"
    return ", ".join(one(n) for n in sorted(names))


def _assign(book: Codebook, values: dict[str, float | bool], scored: bool) -> dict[str, object]:
    """The type of one case: the eligible types, their scores and degrees, and the reason."""
    codes = set(book.ids)
    eligible: list[tuple[str, float, str]] = []  # (type, score, why it is eligible)
    failed: list[str] = []
    for t in book.types:
        used = condition_names(t.when)
        if not evaluate(t.when, values):
            failed.append(f"{t.id} needs {t.when} ({_shown(used, values, codes)})")
            continue
        score = float(compute(t.score, values)) if t.score else 0.0
        why = f"{t.when} ({_shown(used, values, codes)})" if used else t.when
        if t.score:
            why += f"; score {score:.2f} ({_shown(condition_names(t.score), values)})"
        eligible.append((t.id, score, why))
        if not scored:
            break  # a decision list: the first type whose condition holds
    if not eligible:
        return {"rule_type": UNASSIGNED, "degree": float("nan"), "runner_up": None, "margin": float("nan"),
                "borderline": False, "reason": "too little evidence for any type: " + "; ".join(failed)}
    order = sorted(range(len(eligible)), key=lambda i: (-eligible[i][1], i))
    probabilities = _softmax([e[1] for e in eligible])
    best = order[0]
    degree = probabilities[best]
    runner = eligible[order[1]] if len(order) > 1 else None
    reason = eligible[best][2]
    if runner is not None:
        reason += f"; runner-up {runner[0]} (score {runner[1]:.2f})"
    return {"rule_type": eligible[best][0], "degree": round(degree, 4),
            "runner_up": runner[0] if runner else None,
            "margin": round(eligible[best][1] - runner[1], 6) if runner else float("nan"),
            "borderline": bool(runner is not None and degree < BORDERLINE), "reason": reason}


def _fmt(value: float | bool) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return f"{value:g}"


@dataclass
class Comparison:
    """A type column against a case attribute: the cross-tab (with margins), how many cases
    have the same value in both (meaningful when the attribute holds type names, such as a
    documented type), the cases compared, and the adjusted Rand index between the two."""

    table: pd.DataFrame
    same: int
    n: int
    ari: float

    @property
    def comparable(self) -> bool:
        """Whether the attribute's values include type names, so `same` means something."""
        return bool(set(self.table.index[:-1].astype(str)) & set(self.table.columns[:-1].astype(str)))


def compare_with(types: pd.DataFrame, cases: pd.DataFrame, attribute: str, column: str = "rule_type") -> Comparison:
    """Compare a type column (`rule_type`, `cluster_label`) of `types` with a case attribute;
    cases without a value for the attribute are left out."""
    from sklearn.metrics import adjusted_rand_score

    joined = types.merge(cases[["case", attribute]], on="case").dropna(subset=[attribute, column])
    table = pd.crosstab(joined[column], joined[attribute], margins=True)
    same = int((joined[column].astype(str) == joined[attribute].astype(str)).sum())
    ari = float(adjusted_rand_score(joined[attribute].astype(str), joined[column].astype(str)))
    return Comparison(table, same, len(joined), ari)
