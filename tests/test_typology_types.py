"""The typology's type conditions on constructed cases: each type of the study, a borderline
case, `unassigned` for too little evidence, and evidence weighed by a coding's confidence.

Cases are rows of a case × code evidence matrix, as `Project.matrix("evidence")` gives."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from qualcode.analysis.matrix import case_code_matrix
from qualcode.analysis.report import profile_dimensions, typology_report
from qualcode.analysis.typology import BORDERLINE, UNASSIGNED, rule_typology
from qualcode.codebook import compute, load, loads

ROOT = Path(__file__).resolve().parent.parent
BOOK = load(ROOT / "codebooks" / "migration.yaml")

# Each story told in codes, the way the study describes the three groups.
DEVELOPMENT = ["resource.education", "resource.savings", "resource.skills", "resource.formal_job",
               "push.low_income", "push.services", "goal.career_business", "goal.income_expansion",
               "goal.children_education"]
SURVIVAL = ["resource_lack.no_education", "resource_lack.debt", "resource_lack.informal_work",
            "resource_lack.renting", "push.unemployment", "pull.state_program", "pull.housing",
            "goal.own_housing", "goal.formal_job"]
# The study's mixed group: the survival group's immediate goals (own housing, an official job)
# AND the development group's long-term ones (more income sources), push and pull of equal
# weight, resources in between. (Before the scores carried the study's mixed terms, this story
# had four pull codes to one push and no long-term goal but children's education.)
MIXED = ["resource.skills", "resource.education", "push.land_water", "push.low_income",
         "pull.state_program", "pull.housing", "goal.own_housing", "goal.formal_job",
         "goal.income_expansion", "goal.career_business", "resource_lack.renting"]


def matrix(cases: dict[str, list[str] | dict[str, float]]) -> pd.DataFrame:
    codes = sorted({c for v in cases.values() for c in v})
    rows = {case: {c: (v[c] if isinstance(v, dict) else 1.0) if c in v else 0.0 for c in codes}
            for case, v in cases.items()}
    return pd.DataFrame.from_dict(rows, orient="index", columns=codes).rename_axis("case")


def types_of(cases: dict) -> pd.DataFrame:
    return rule_typology(BOOK, matrix(cases)).cases.set_index("case")


def test_each_of_the_studys_types_from_its_own_story() -> None:
    frame = types_of({"dev": DEVELOPMENT, "surv": SURVIVAL, "mix": MIXED})
    assert frame.loc["dev", "rule_type"] == "development"
    assert frame.loc["surv", "rule_type"] == "survival"
    assert frame.loc["mix", "rule_type"] == "mixed"
    # Clear stories are not borderline, and each reason shows the values that made it.
    assert not frame.loc[["dev", "surv"], "borderline"].any()
    assert (frame.loc[["dev", "surv"], "degree"] >= BORDERLINE).all()
    assert "resources=" in frame.loc["dev", "reason"] and "longterm_goals=" in frame.loc["dev", "reason"]


def test_mixed_needs_both_kinds_of_goal() -> None:
    """The study's mixed group has the immediate goals AND the long-term ones: without the
    long-term goals the same story is no longer mixed, and its mixed score falls by more than
    the two goals' own weight (the `min(immediate_goals, longterm_goals)` term)."""
    one_goal = [c for c in MIXED if c not in ("goal.income_expansion", "goal.career_business")]
    frame = types_of({"mix": MIXED, "one_goal": one_goal})
    assert frame.loc["mix", "rule_type"] == "mixed" and frame.loc["one_goal", "rule_type"] != "mixed"
    mixed = next(t for t in BOOK.types if t.id == "mixed")
    profiles = [p.id for p in BOOK.profiles]
    score = {case: compute(mixed.score, row.to_dict()) for case, row in frame[profiles].iterrows()}
    longterm_weight = compute(mixed.score, {"longterm_goals": 1}) - compute(mixed.score, {})
    assert score["mix"] - score["one_goal"] > 2 * longterm_weight


def test_a_resource_strong_person_is_never_survival_and_a_weak_one_never_development() -> None:
    strong_weak = {"strong": [*DEVELOPMENT, "resource.own_housing"], "weak": SURVIVAL}
    frame = types_of(strong_weak)
    assert frame.loc["strong", "resources"] > 2 and frame.loc["strong", "rule_type"] != "survival"
    assert frame.loc["weak", "resources"] < 0 and frame.loc["weak", "rule_type"] != "development"
    # The gates are in the reason of the types that were not eligible: no type is "everyone else".
    assert "survival" not in set(frame.loc["strong", ["rule_type", "runner_up"]])


def test_too_little_evidence_is_unassigned_with_each_types_failed_condition() -> None:
    frame = types_of({"thin": ["resource.education", "goal.career_business"]})
    row = frame.loc["thin"]
    assert row["rule_type"] == UNASSIGNED and pd.isna(row["degree"]) and not row["borderline"]
    for name in ("development needs", "survival needs", "mixed needs", "evidence=2"):
        assert name in row["reason"], row["reason"]


def test_a_case_between_two_types_is_borderline_with_its_runner_up() -> None:
    book = loads("""
name: t
version: "1"
languages: [en]
codes:
  - {id: a, name: A}
  - {id: b, name: B}
profiles:
  - {id: pa, name: PA, weights: {a: 1}}
  - {id: pb, name: PB, weights: {b: 1}}
types:
  - {id: ta, name: TA, when: "pa + pb >= 1", score: "2 * pa"}
  - {id: tb, name: TB, when: "pa + pb >= 1", score: "2 * pb"}
""")
    frame = rule_typology(book, matrix({"clear": ["a"], "between": ["a", "b"], "leaning": {"a": 1.0, "b": 0.9}})
                          ).cases.set_index("case")
    assert frame.loc["clear", "rule_type"] == "ta" and not frame.loc["clear", "borderline"]
    assert frame.loc["clear", "degree"] == pytest.approx(0.8808, abs=1e-4)  # softmax of 2 vs 0
    assert frame.loc["between", "borderline"] and frame.loc["between", "degree"] == pytest.approx(0.5)
    assert frame.loc["between", "rule_type"] == "ta"  # a tie goes to the first type, said as borderline
    assert frame.loc["leaning", "rule_type"] == "ta" and frame.loc["leaning", "runner_up"] == "tb"
    assert frame.loc["leaning", "margin"] == pytest.approx(0.2)
    assert frame.loc["leaning", "borderline"]


def test_without_scores_the_types_are_a_decision_list() -> None:
    book = loads("""
name: t
version: "1"
languages: [en]
codes: [{id: a, name: A}, {id: b, name: B}]
types:
  - {id: first, name: F, when: "a"}
  - {id: second, name: S, when: "a or b"}
""")
    frame = rule_typology(book, matrix({"x": ["a", "b"], "y": ["b"]})).cases.set_index("case")
    assert list(frame["rule_type"]) == ["first", "second"] and list(frame["degree"]) == [1.0, 1.0]


def test_a_suggestion_weighs_as_much_as_its_confidence() -> None:
    codings = pd.DataFrame({
        "case": ["K1", "K1", "K1", "K2"], "code": ["resource.savings", "resource.savings", "resource_lack.debt",
                                                  "resource_lack.debt"],
        "status": ["suggested", "accepted", "suggested", "rejected"], "confidence": [0.4, None, 0.25, 0.9]})
    ev = case_code_matrix(codings, ["K1", "K2"], kind="evidence")
    # The strongest coding counts (an accepted one is certain); a rejected one never counts.
    assert ev.loc["K1", "resource.savings"] == 1.0 and ev.loc["K1", "resource_lack.debt"] == 0.25
    assert ev.loc["K2"].sum() == 0.0
    frame = rule_typology(BOOK, ev).cases.set_index("case")
    assert frame.loc["K1", "resources"] == pytest.approx(1.0 - 0.25)


def test_arithmetic_in_scores_and_division_by_zero_is_zero() -> None:
    assert compute("2 * a - b / 2 + abs(c) + min(a, b) + max(a, c)", {"a": 1, "b": 4, "c": -3}) == pytest.approx(
        2 - 2 + 3 + 1 + 1)
    assert compute("a / b", {"a": 1, "b": 0}) == 0.0


def test_profile_clusters_use_the_dimensions_the_scores_weigh() -> None:
    dims = profile_dimensions(BOOK)
    assert "evidence" not in dims and {"resources", "longterm_goals", "immediate_goals"} <= set(dims)
    cases = {f"d{i}": DEVELOPMENT[: 7 + i % 3] for i in range(4)}
    cases |= {f"s{i}": SURVIVAL[: 7 + i % 3] for i in range(4)}
    cases |= {f"m{i}": MIXED[: 9 + i % 3] for i in range(4)}
    ev = matrix(cases)
    report = typology_report(ev, pd.DataFrame({"case": list(ev.index)}), book=BOOK, space="profiles", k=3,
                             n_bootstrap=0)
    assert report.space == "profiles"
    labels = report.cases.set_index("case")["cluster"]
    # Each story's cases end up together.
    for prefix in "dsm":
        assert labels[[c for c in labels.index if c.startswith(prefix)]].nunique() == 1
    assert labels.nunique() == 3
