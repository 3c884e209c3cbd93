"""Code × attribute cross-tabs on tiny hand-computed tables; the tests checked against scipy."""

from __future__ import annotations

import math
from itertools import product

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from qualcode.analysis.crosstab import CHI_SQUARE, FISHER, MONTE_CARLO, NO_TEST, code_by_attribute


def frames(attribute: dict[str, object], codes: dict[str, list[str]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A presence matrix (index case) and a cases frame (case + `attr`) from plain dicts."""
    index = pd.Index(sorted(attribute), name="case")
    presence = pd.DataFrame({code: [int(c in have) for c in index] for code, have in codes.items()}, index=index)
    cases = pd.DataFrame({"case": list(attribute), "attr": list(attribute.values())})
    return presence, cases


def test_two_values_fisher_by_hand() -> None:
    # 4 women (3 with `push`), 4 men (1 with `push`).
    gender = {"c1": "f", "c2": "f", "c3": "f", "c4": "f", "c5": "m", "c6": "m", "c7": "m", "c8": "m"}
    presence, cases = frames(gender, {"push": ["c1", "c2", "c3", "c5"]})
    result = code_by_attribute(presence, cases, "attr")
    assert result.table.to_dict("records") == [
        {"code": "push", "value": "f", "n_cases": 4, "n_with_code": 3, "row_pct": 75.0},
        {"code": "push", "value": "m", "n_cases": 4, "n_with_code": 1, "row_pct": 25.0},
    ]
    test = result.tests.iloc[0]
    assert test["test"] == FISHER and test["n"] == 8
    # Hypergeometric, N=8, 4 with the code, 4 women: P(3) = P(1) = C(4,3)C(4,1)/C(8,4) = 16/70,
    # P(4) = P(0) = 1/70; two-sided p = (16 + 1 + 16 + 1) / 70. Odds ratio (3·3)/(1·1) = 9.
    assert test["p_value"] == pytest.approx(34 / 70)
    assert test["statistic"] == pytest.approx(9.0)
    scipy_result = stats.fisher_exact([[3, 1], [1, 3]])
    assert test["p_value"] == pytest.approx(scipy_result.pvalue)
    assert "N = 8" in test["warning"] and "expected counts below 5" in test["warning"]
    assert result.missing == 0 and result.n == 8
    assert result.contingency("push").loc["f"].to_dict() == {"with code": 3, "without code": 1, "row %": 75.0}


def test_large_table_asymptotic_chi_square_by_hand() -> None:
    # Three regions of 20 cases, with the code in 15, 10 and 5: every expected count is 10.
    region = {f"{r}{i:02d}": r for r in "abc" for i in range(20)}
    have = [f"a{i:02d}" for i in range(15)] + [f"b{i:02d}" for i in range(10)] + [f"c{i:02d}" for i in range(5)]
    presence, cases = frames(region, {"x": have})
    test = code_by_attribute(presence, cases, "attr").tests.iloc[0]
    # (25 + 0 + 25)/10 over the with-code column, the same over the without column: 10; with
    # 2 degrees of freedom the chi-square survival function is exp(-x/2).
    assert test["test"] == CHI_SQUARE
    assert test["statistic"] == pytest.approx(10.0)
    assert test["p_value"] == pytest.approx(math.exp(-5))
    chi2, p, dof, _ = stats.chi2_contingency([[15, 5], [10, 10], [5, 15]])
    assert (test["statistic"], test["p_value"], dof) == (pytest.approx(chi2), pytest.approx(p), 2)
    assert test["warning"] == "" and test["n"] == 60


def exact_permutation_p(n_cases: list[int], with_code: list[int]) -> float:
    """The exact conditional p-value by enumerating every table with the same margins."""
    n, k = sum(n_cases), sum(with_code)
    expected = [m * k / n for m in n_cases]

    def chi2(xs: tuple[int, ...]) -> float:
        return sum((x - e) ** 2 / e + ((m - x) - (m - e)) ** 2 / (m - e)
                   for x, e, m in zip(xs, expected, n_cases, strict=True))

    observed = chi2(tuple(with_code))
    total = hit = 0
    for xs in product(*(range(m + 1) for m in n_cases)):
        if sum(xs) != k:
            continue
        weight = math.prod(math.comb(m, x) for m, x in zip(n_cases, xs, strict=True))
        total += weight
        hit += weight if chi2(xs) >= observed - 1e-9 else 0
    return hit / total


def test_small_expected_counts_use_a_seeded_monte_carlo_close_to_the_exact_value() -> None:
    # Three programmes of 3 cases, with the code in 3, 1 and 0: expected 4/3 with the code.
    programme = {f"{p}{i}": p for p in ("enbek", "none", "serpin") for i in range(3)}
    presence, cases = frames(programme, {"x": ["enbek0", "enbek1", "enbek2", "none0"]})
    result = code_by_attribute(presence, cases, "attr")
    test = result.tests.iloc[0]
    assert test["test"] == MONTE_CARLO
    # chi-square = sum (x - 4/3)² (1/(4/3) + 1/(5/3)) = (25 + 1 + 16)/9 · 27/20 = 6.3.
    assert test["statistic"] == pytest.approx(6.3)
    assert test["statistic"] == pytest.approx(stats.chi2_contingency([[3, 0], [1, 2], [0, 3]])[0])
    # Exactly: only the 6 orderings of (3, 1, 0) are as extreme, each C(3,3)C(3,1)C(3,0) = 3 of
    # C(9,4) = 126 ways to place the 4 codes: p = 18/126 = 1/7 (asymptotic would say 0.043).
    exact = exact_permutation_p([3, 3, 3], [3, 1, 0])
    assert exact == pytest.approx(1 / 7)
    assert test["p_value"] == pytest.approx(exact, abs=0.015)
    again = code_by_attribute(presence, cases, "attr").tests.iloc[0]
    assert again["p_value"] == test["p_value"]  # same seed, same p
    other = code_by_attribute(presence, cases, "attr", monte_carlo=2000, random_state=7).tests.iloc[0]
    assert other["p_value"] == pytest.approx(exact, abs=0.03)
    assert "permutation (10000 resamples)" in test["warning"] and "N = 9" in test["warning"]


def test_monte_carlo_p_does_not_depend_on_the_other_codes_requested() -> None:
    programme = {f"{p}{i}": p for p in ("a", "b", "c") for i in range(4)}
    presence, cases = frames(programme, {"x": ["a0", "a1", "a2", "b0"], "y": ["c0", "c1", "a3"]})
    both = code_by_attribute(presence, cases, "attr", monte_carlo=500).tests.set_index("code")
    alone = code_by_attribute(presence, cases, "attr", codes=["y"], monte_carlo=500).tests.set_index("code")
    assert both.loc["y", "p_value"] == alone.loc["y", "p_value"]


def test_missing_values_are_left_out_and_counted() -> None:
    presence, cases = frames({"c1": "f", "c2": "m", "c3": None, "c4": "", "c5": "f", "c6": "m"},
                             {"x": ["c1", "c3", "c4"]})
    # c7 has codings but no row in the cases frame; c6's value is NaN.
    presence.loc["c7"] = [1]
    cases.loc[cases["case"] == "c6", "attr"] = np.nan
    result = code_by_attribute(presence, cases, "attr")
    assert result.missing_cases == ["c3", "c4", "c6", "c7"] and result.missing == 4
    assert result.n == 3 and result.tests.iloc[0]["n"] == 3
    assert result.table[["value", "n_cases", "n_with_code"]].to_dict("records") == [
        {"value": "f", "n_cases": 2, "n_with_code": 1}, {"value": "m", "n_cases": 1, "n_with_code": 0}]


def test_numeric_attribute_is_refused_unless_binned() -> None:
    presence, cases = frames({"c1": 23, "c2": 29, "c3": 34, "c4": 41, "c5": 52, "c6": 30},
                             {"x": ["c1", "c2", "c6"]})
    with pytest.raises(ValueError, match=r"attr is numeric.*bins="):
        code_by_attribute(presence, cases, "attr")
    result = code_by_attribute(presence, cases, "attr", bins=[18, 30, 65])
    # 23, 29, 30 in [18, 30] (all three with the code); 34, 41, 52 in (30, 65].
    assert result.table[["value", "n_cases", "n_with_code"]].to_dict("records") == [
        {"value": "[18, 30]", "n_cases": 3, "n_with_code": 3}, {"value": "(30, 65]", "n_cases": 3, "n_with_code": 0}]
    assert result.tests.iloc[0]["p_value"] == pytest.approx(stats.fisher_exact([[3, 0], [0, 3]]).pvalue)
    halves = code_by_attribute(presence, cases, "attr", bins=2)  # median of 23 29 30 34 41 52: (30 + 34)/2
    assert list(halves.table["value"]) == ["[23, 32]", "(32, 52]"]
    assert list(halves.table["n_cases"]) == [3, 3]
    with pytest.raises(ValueError, match=r"1 value\(s\) of attr outside the bins 25–65: 23"):
        code_by_attribute(presence, cases, "attr", bins=[25, 65])


def test_bad_requests_are_clear_errors() -> None:
    presence, cases = frames({"c1": "f", "c2": "m"}, {"x": ["c1"]})
    with pytest.raises(ValueError, match=r"no case attribute 'gender'; the cases have: attr"):
        code_by_attribute(presence, cases, "gender")
    with pytest.raises(ValueError, match=r"not in the presence matrix: nope"):
        code_by_attribute(presence, cases, "attr", codes=["nope"])
    with pytest.raises(ValueError, match=r"not numeric"):
        code_by_attribute(presence, cases, "attr", bins=2)


def test_nothing_to_compare_is_no_test_with_a_reason() -> None:
    presence, cases = frames({"c1": "f", "c2": "m", "c3": "m"}, {"all": ["c1", "c2", "c3"], "none": []})
    tests = code_by_attribute(presence, cases, "attr").tests.set_index("code")
    assert tests.loc["all", "test"] == NO_TEST and tests.loc["all", "warning"].startswith("every case has")
    assert tests.loc["none", "test"] == NO_TEST and math.isnan(tests.loc["none", "p_value"])
    one_value, cases1 = frames({"c1": "f", "c2": "f"}, {"x": ["c1"]})
    assert code_by_attribute(one_value, cases1, "attr").tests.iloc[0]["warning"].startswith("only one value")
