"""Theory-driven typology: the codebook's profiles and types, per case, with reasons.

A profile is a weighted sum of the codes a case has (each code counts once per case); a
type is the first of the codebook's types whose condition holds. Every case gets its
type and the values that made the condition true, or `unassigned` and why, so a
researcher can check each assignment against the transcripts.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from qualcode.codebook import Codebook, condition_names, evaluate

UNASSIGNED = "unassigned"


@dataclass
class RuleTypology:
    """`cases`: one row per case with its profiles, `rule_type` and `reason`;
    `contributions`: per case and profile, the codes that made the score."""

    cases: pd.DataFrame
    contributions: dict[str, dict[str, dict[str, float]]]


def _present(book: Codebook, presence: pd.DataFrame, case: str) -> set[str]:
    """Codes a case has, with every ancestor of each (a parent id is true if a child is coded)."""
    parent = {c.id: c.parent for c in book.codes}
    have: set[str] = set()
    row = presence.loc[case] if case in presence.index else pd.Series(dtype=int)
    for code, value in row.items():
        if value:
            while code is not None and code not in have:
                have.add(code)
                code = parent.get(code)
    return have


def rule_typology(book: Codebook, presence: pd.DataFrame) -> RuleTypology:
    """Apply the codebook's profiles and types to a case × code presence matrix."""
    rows, contributions = [], {}
    for case in presence.index:
        have = _present(book, presence, case)
        values: dict[str, float | bool] = {code: True for code in have}
        contributions[case] = {}
        for profile in book.profiles:
            made = {code: w for code, w in profile.weights.items() if code in have}
            values[profile.id] = sum(made.values())
            contributions[case][profile.id] = made
        chosen, reason = UNASSIGNED, "no type's condition held"
        tried: list[str] = []
        seen: set[str] = set()  # the names the conditions tried so far looked at
        for t in book.types:
            used = condition_names(t.when)
            if evaluate(t.when, values):
                chosen = t.id
                # A catch-all ("true") shows the values that kept the earlier types out.
                names = sorted(used) or sorted(seen)
                shown = ", ".join(f"{n}={_fmt(values.get(n, 0))}" for n in names)
                reason = f"{t.when} ({shown})" if used else (
                    f"{t.when}: none of {', '.join(tried)} held" + (f" ({shown})" if shown else ""))
                break
            tried.append(t.id)
            seen |= used
        rows.append({"case": case, **{p.id: values[p.id] for p in book.profiles}, "rule_type": chosen,
                     "reason": reason})
    columns = ["case", *[p.id for p in book.profiles], "rule_type", "reason"]
    return RuleTypology(pd.DataFrame(rows, columns=columns), contributions)


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
