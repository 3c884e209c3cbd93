"""Code × case attribute cross-tabulation with a significance test per code.

Does talking about a code go with an attribute of the person (gender, programme,
origin region)? For each code the cases are split by the attribute's values and by
whether they have the code, and the split is tested:

* a 2 × 2 table (two attribute values) gets Fisher's exact test;
* a larger table gets the chi-square test of independence; when any expected count is
  below 5 the chi-square approximation is poor, so the p-value comes from permuting the
  attribute values over the cases instead (Monte Carlo, seeded, so it is reproducible).

Interview studies have few cases, so every test also carries a plain-language warning
when N is small or expected counts are low: the numbers describe these people, and a
p-value from 15 interviews is a hint, not a finding.
"""

from __future__ import annotations

import datetime as dt
import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np
import pandas as pd
from scipy import stats

SMALL_N = 20  # below this many cases a test is flagged as descriptive only
MIN_EXPECTED = 5  # the usual rule of thumb for the chi-square approximation
_CHUNK = 2000  # permutations per batch, so memory stays flat for large projects

TABLE_COLUMNS = ["code", "value", "n_cases", "n_with_code", "row_pct"]
TEST_COLUMNS = ["code", "test", "statistic", "p_value", "n", "warning"]

FISHER = "fisher"
CHI_SQUARE = "chi-square"
MONTE_CARLO = "chi-square (Monte Carlo)"
NO_TEST = "none"


@dataclass
class CrossTab:
    """`table`: one row per code and attribute value (code, value, n_cases, n_with_code,
    row_pct = % of the value's cases that have the code); `tests`: one row per code (code,
    test, statistic, p_value, n, warning). `test` is "fisher" (statistic = odds ratio),
    "chi-square" or "chi-square (Monte Carlo)" (statistic = chi-square), or "none" when
    there is nothing to compare. `missing_cases` had no value of the attribute and were
    left out of every table; `n` is the number of cases used."""

    attribute: str
    table: pd.DataFrame
    tests: pd.DataFrame
    n: int
    missing_cases: list[str] = field(default_factory=list)

    @property
    def missing(self) -> int:
        return len(self.missing_cases)

    def contingency(self, code: str) -> pd.DataFrame:
        """One code's table, attribute value × (with code, without code, row %), for display."""
        rows = self.table[self.table["code"] == code]
        if rows.empty:
            raise ValueError(f"{code!r} is not in this cross-tab")
        return pd.DataFrame({"with code": rows["n_with_code"].to_numpy(),
                             "without code": (rows["n_cases"] - rows["n_with_code"]).to_numpy(),
                             "row %": rows["row_pct"].to_numpy()},
                            index=pd.Index(rows["value"].to_list(), name=self.attribute))


def _is_missing(value: object) -> bool:
    # An empty cell in a cases table means "not recorded", the same as no value.
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _is_number(value: object) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool | np.bool_)


def _fmt(x: float) -> str:
    # Quantile edges can be long fractions; two decimals are plenty for ages and years.
    return str(int(x)) if float(x).is_integer() else f"{round(float(x), 2):g}"


def _bin(values: pd.Series, attribute: str, bins: int | Sequence[float]) -> pd.Series:
    """Numeric values to labelled intervals: an int asks for that many groups of about equal
    size (quantiles, which keeps expected counts up); a sequence gives the edges."""
    numbers = values.astype(float)
    if isinstance(bins, int):
        if bins < 2:
            raise ValueError(f"bins must be at least 2 groups, not {bins}")
        edges = sorted(set(np.quantile(numbers, np.linspace(0, 1, bins + 1)).tolist()))
        if len(edges) < 2:
            raise ValueError(f"{attribute} has a single value ({_fmt(edges[0])}): nothing to bin")
    else:
        edges = [float(e) for e in bins]
        if len(edges) < 2 or any(b <= a for a, b in pairwise(edges)):
            raise ValueError(f"bins for {attribute} must be at least two increasing edges, not {list(bins)}")
    outside = numbers[(numbers < edges[0]) | (numbers > edges[-1])]
    if len(outside):
        shown = ", ".join(_fmt(v) for v in sorted(set(outside))[:5])
        raise ValueError(f"{len(outside)} value(s) of {attribute} outside the bins "
                         f"{_fmt(edges[0])}–{_fmt(edges[-1])}: {shown}; widen the bins")
    # Labels made here rather than by pandas, which shifts the lowest edge (22.999).
    labels = [f"{'[' if i == 0 else '('}{_fmt(a)}, {_fmt(b)}]" for i, (a, b) in enumerate(pairwise(edges))]
    groups = pd.cut(numbers, edges, labels=False, include_lowest=True, right=True)
    return pd.Series(pd.Categorical.from_codes(groups.astype(int), categories=labels), index=values.index)


def _chi2(with_code: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """Pearson chi-square of r × 2 tables given by their with-code counts (last axis: the r values).

    The margins are fixed, so without - expected_without = -(with - expected_with) and one
    term covers both columns. Expected counts are all > 0: every value has cases, and the
    code is neither in no case nor in all of them (those are not tested).
    """
    expected_with, expected_without = expected[:, 0], expected[:, 1]
    return ((with_code - expected_with) ** 2 * (1 / expected_with + 1 / expected_without)).sum(axis=-1)


def _monte_carlo_p(labels: np.ndarray, k: int, n_values: int, observed: float, expected: np.ndarray,
                   resamples: int, rng: np.random.Generator) -> float:
    """Share of label permutations whose chi-square is at least the observed one.

    Permuting which cases carry which attribute value keeps both margins (cases per value,
    cases with the code) fixed, so this approximates the exact conditional test. The +1s
    count the observed table as one of the permutations, so p is never 0 (Phipson & Smyth).
    """
    hits = 0
    done = 0
    while done < resamples:
        size = min(_CHUNK, resamples - done)
        shuffled = rng.permuted(np.tile(labels, (size, 1)), axis=1)[:, :k]
        # Cases in the first k shuffled positions play the cases with the code; count them per value.
        offset = shuffled + n_values * np.arange(size)[:, None]
        counts = np.bincount(offset.ravel(), minlength=size * n_values).reshape(size, n_values)
        # A tolerance, so tables equal to the observed one are not lost to rounding.
        hits += int((_chi2(counts, expected) >= observed - 1e-9 * max(1.0, observed)).sum())
        done += size
    return (hits + 1) / (resamples + 1)


def _test_one(code: str, values: list[object], with_code: np.ndarray, n_cases: np.ndarray, labels: np.ndarray,
              *, monte_carlo: int, random_state: int) -> dict[str, object]:
    n = int(n_cases.sum())
    k = int(with_code.sum())
    row = {"code": code, "test": NO_TEST, "statistic": math.nan, "p_value": math.nan, "n": n, "warning": ""}
    if len(values) < 2:
        row["warning"] = "only one value among the cases: nothing to compare" if values else "no cases"
        return row
    if k == 0 or k == n:
        row["warning"] = f"{'no' if k == 0 else 'every'} case has the code: nothing to compare"
        return row
    observed = np.column_stack([with_code, n_cases - with_code])
    expected = np.outer(n_cases, [k, n - k]) / n
    notes = []
    if n < SMALL_N:
        notes.append(f"small sample: N = {n} cases (< {SMALL_N})")
    low = int((expected < MIN_EXPECTED).sum())
    if low:
        notes.append(f"{low} of {expected.size} expected counts below {MIN_EXPECTED} "
                     f"(smallest {expected.min():.2f})")
    if observed.shape[0] == 2:
        result = stats.fisher_exact(observed)
        odds = float(result.statistic)
        row.update(test=FISHER, statistic=odds if math.isfinite(odds) else math.nan, p_value=float(result.pvalue))
        if not math.isfinite(odds):
            # A zero cell makes the odds ratio infinite: no number to print, and the reason says so.
            notes.append("no odds ratio (infinite: a cell of the 2×2 table is 0)")
        if low:
            # Small counts do not make Fisher's p-value wrong, only the test weak.
            notes.append("Fisher's test is exact but detects only large differences here")
    else:
        chi2, p, _, _ = stats.chi2_contingency(observed, correction=False)
        row.update(test=CHI_SQUARE, statistic=float(chi2), p_value=float(p))
        if low:
            # Seeded by the code's name as well, so a code's p-value does not change when
            # other codes are added to or dropped from the request.
            rng = np.random.default_rng([random_state, zlib.crc32(code.encode("utf-8"))])
            p_mc = _monte_carlo_p(labels, k, len(values), float(chi2), expected, monte_carlo, rng)
            row.update(test=MONTE_CARLO, p_value=p_mc)
            notes.append(f"p-value by permutation ({monte_carlo} resamples), not the chi-square approximation")
    if notes:
        row["warning"] = "; ".join(notes) + "; read the p-value as descriptive"
    return row


def code_by_attribute(
    presence: pd.DataFrame,
    cases: pd.DataFrame,
    attribute: str,
    codes: Sequence[str] | None = None,
    *,
    bins: int | Sequence[float] | None = None,
    monte_carlo: int = 10000,
    random_state: int = 0,
) -> CrossTab:
    """Cross-tabulate each code's presence against a case attribute, with a test per code.

    `presence` is the case × code matrix (index: case; any value > 0 counts as having the
    code, so a count matrix works too). `cases` has a `case` column and attribute columns
    (as `Project.cases()`). Cases of `presence` with no value of the attribute (missing,
    empty, or not in `cases`) are left out and listed in `missing_cases`. A numeric
    attribute is refused unless `bins` groups it (an int: that many groups of about equal
    size; a sequence: the edges, lowest edge included). See the module docstring for the
    tests; `monte_carlo` permutations, seeded by `random_state`, give the p-value of a
    chi-square test with expected counts below 5.
    """
    if attribute == "case" or attribute not in cases.columns:
        known = ", ".join(c for c in cases.columns if c != "case") or "(none)"
        raise ValueError(f"no case attribute {attribute!r}; the cases have: {known}")
    if monte_carlo < 1:
        raise ValueError(f"monte_carlo must be at least 1 resample, not {monte_carlo}")
    if "case" in presence.columns:
        presence = presence.set_index("case")
    columns = list(codes) if codes is not None else list(presence.columns)
    unknown = [c for c in columns if c not in presence.columns]
    if unknown:
        raise ValueError(f"code(s) not in the presence matrix: {', '.join(map(str, unknown))}")

    values = cases.set_index("case")[attribute].reindex(presence.index)
    missing_mask = values.map(_is_missing).astype(bool)
    missing_cases = [str(c) for c in values.index[missing_mask]]
    values = values[~missing_mask]
    present = values.to_list()
    if any(isinstance(v, dt.date | dt.datetime) for v in present):
        raise ValueError(f"{attribute} holds dates: make a text attribute from it (e.g. the year or a period) "
                         "to cross-tabulate")
    if present and all(_is_number(v) for v in present):
        if bins is None:
            raise ValueError(f"{attribute} is numeric ({len(set(present))} distinct values): pass bins= "
                             "(a number of groups or the edges, e.g. bins=[18, 30, 45, 65]) to group it "
                             "before cross-tabulating")
        values = _bin(values, attribute, bins)
        order = [c for c in values.cat.categories if (values == c).any()]
    elif bins is not None:
        raise ValueError(f"{attribute} is not numeric: bins= applies to numeric attributes only")
    else:
        order = sorted(set(present), key=lambda v: (str(type(v)), str(v)))

    # Each case gets the position of its value in `order`; the permutation test shuffles these.
    position = {v: i for i, v in enumerate(order)}
    labels = np.array([position[v] for v in values.to_list()], dtype=np.int64)
    n_cases = np.bincount(labels, minlength=len(order))
    has = presence.loc[values.index, columns].to_numpy() > 0

    table_rows, test_rows = [], []
    for j, code in enumerate(columns):
        with_code = np.bincount(labels, weights=has[:, j], minlength=len(order)).astype(int)
        for i, value in enumerate(order):
            table_rows.append({"code": code, "value": value, "n_cases": int(n_cases[i]),
                               "n_with_code": int(with_code[i]),
                               "row_pct": round(100.0 * with_code[i] / n_cases[i], 2)})
        test_rows.append(_test_one(code, order, with_code, n_cases, labels, monte_carlo=monte_carlo,
                                   random_state=random_state))
    table = pd.DataFrame(table_rows, columns=TABLE_COLUMNS)
    tests = pd.DataFrame(test_rows, columns=TEST_COLUMNS)
    return CrossTab(attribute=attribute, table=table, tests=tests, n=len(labels), missing_cases=missing_cases)
