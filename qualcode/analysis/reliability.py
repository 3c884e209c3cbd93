"""Reliability statistics on a data matrix (one row per unit, one column per coder, missing
values as NaN/None): percent agreement, Cohen's kappa, Fleiss' kappa and Krippendorff's alpha
(nominal, ordinal, interval, ratio) from the coincidence matrix of Krippendorff (2011),
"Computing Krippendorff's Alpha-Reliability", with a bootstrap interval. A statistic that is
undefined on its data (one category only, nothing pairable, chance agreement of 1) is NaN,
never an exception or a warning. `agreement.py` builds such matrices from codings.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

LEVELS = ("nominal", "ordinal", "interval", "ratio")
NAN = float("nan")
_BLOCK = 4_000_000  # numbers held at once by a bootstrap block (memory bound, not a tuning knob)


# --- reliability data ---------------------------------------------------------------------

def _encode(data: Any, level: str = "nominal") -> tuple[np.ndarray, np.ndarray]:
    """(X, values): X[u, c] is the index of coder c's value for unit u in `values` (-1 missing).

    Nominal values may be anything hashable; the other levels need numbers, because their
    metrics use the values' order or distances."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
    raw = pd.DataFrame(data).to_numpy(dtype=object)
    missing = pd.isna(raw)
    present = pd.Series(raw[~missing], dtype=object)
    if level == "nominal":
        try:
            codes, values = pd.factorize(present, sort=True)
        except TypeError:  # values of mixed types cannot be sorted; their order does not matter
            codes, values = pd.factorize(present)
        values = np.arange(len(values), dtype=float)
    else:
        numbers = pd.to_numeric(present, errors="coerce")
        if numbers.isna().any():
            raise ValueError(f"{level} alpha needs numbers; got {present[numbers.isna()].iloc[0]!r}")
        values, codes = np.unique(numbers.to_numpy(dtype=float), return_inverse=True)
        if level == "ratio" and len(values) and values[0] < 0:
            raise ValueError(f"ratio alpha needs values >= 0 (a ratio scale has a true zero); got {values[0]:g}")
    X = np.full(raw.shape, -1, dtype=np.int64)
    X[~missing] = codes
    return X, values


def _compress(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct unit rows and how often each occurs: every statistic here is a weighted sum
    over units, so identical units need to be handled only once."""
    if len(X) == 0:
        return X, np.zeros(0)
    rows, counts = np.unique(X, axis=0, return_counts=True)
    return rows, counts.astype(float)


def _counts(X: np.ndarray, k: int) -> sparse.csr_matrix:
    """Units × values: how many coders gave each value to each unit."""
    present = X >= 0
    rows = np.nonzero(present)[0]
    return sparse.csr_matrix((np.ones(len(rows)), (rows, X[present])), shape=(len(X), k))


# --- Krippendorff's alpha -----------------------------------------------------------------

def _delta2(a: np.ndarray, b: np.ndarray, level: str) -> np.ndarray:
    if level == "interval":
        return (a - b) ** 2
    total = a + b  # ratio; 0 against 0 is no difference
    return np.where(total == 0, 0.0, ((a - b) / np.where(total == 0, 1, total)) ** 2)


def _alpha_many(X: np.ndarray, values: np.ndarray, W: np.ndarray, level: str) -> np.ndarray:
    """Alpha for every row of weights W (draws × unit rows of X).

    Krippendorff (2011): with o the coincidence matrix, n_c its marginals and n their sum,
    alpha = 1 - (n - 1) * sum(o_ck delta²_ck) / sum(n_c n_k delta²_ck). A unit with m_u >= 2
    values adds 1/(m_u - 1) to o for every ordered pair of its values, so the observed sum is
    a weighted sum of per-unit terms and one call serves the estimate and all its resamples.
    """
    m = (X >= 0).sum(1)
    keep = m >= 2  # a lone value has no partner to agree with: it is not pairable
    X, W, m = X[keep], np.atleast_2d(W)[:, keep], m[keep]
    out = np.full(W.shape[0], NAN)
    if len(X) == 0:
        return out
    k = len(values)
    N = _counts(X, k)
    nb = np.asarray((N.T @ W.T).T)  # draws × values: marginals n_c
    n = nb.sum(1)
    ok = (nb > 0).sum(1) >= 2  # one category only: no expected disagreement, alpha undefined
    if level == "nominal":
        d = (m**2 - np.asarray(N.multiply(N).sum(1)).ravel()) / (m - 1)
        observed, expected = W @ d, n**2 - (nb**2).sum(1)
    elif level in ("interval", "ratio"):
        d = np.zeros(len(X))
        for i in range(X.shape[1]):
            for j in range(i + 1, X.shape[1]):
                both = (X[:, i] >= 0) & (X[:, j] >= 0)
                d[both] += 2 * _delta2(values[X[both, i]], values[X[both, j]], level)
        observed = W @ (d / (m - 1))
        if level == "interval":  # sum n_c n_k (v_c - v_k)² from moments; centred for precision
            v = values - values.mean()
            expected = 2 * (n * (nb @ v**2) - (nb @ v) ** 2)
        else:
            D = _delta2(values[:, None], values[None, :], level)
            expected = np.einsum("bk,kl,bl->b", nb, D, nb)
    else:  # ordinal: delta² depends on the marginals, so each draw needs its own o and delta²
        rows, cols, vals = [], [], []
        for i in range(X.shape[1]):
            for j in range(X.shape[1]):
                both = (X[:, i] >= 0) & (X[:, j] >= 0) & (i != j)
                rows.append(np.nonzero(both)[0])
                cols.append(X[both, i] * k + X[both, j])
                vals.append(1.0 / (m[both] - 1))
        S = sparse.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                              shape=(len(X), k * k))
        observed, expected = np.zeros(len(W)), np.zeros(len(W))
        step = max(1, _BLOCK // (k * k))
        for s in range(0, len(W), step):
            o = np.asarray((S.T @ W[s:s + step].T).T).reshape(-1, k, k)
            nc = nb[s:s + step]
            cum = np.cumsum(nc, axis=1)
            # sum_{g=c..k} n_g - (n_c + n_k)/2 for c <= k, written so that it is antisymmetric
            D = (cum[:, None, :] - cum[:, :, None] + (nc[:, :, None] - nc[:, None, :]) / 2) ** 2
            observed[s:s + step] = (o * D).sum((1, 2))
            expected[s:s + step] = np.einsum("bk,bkl,bl->b", nc, D, nc)
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = 1 - (n - 1) * observed / expected
    out[ok] = alpha[ok]
    return out


def krippendorff_alpha(data: Any, level: str = "nominal") -> float:
    """Krippendorff's alpha of a units × coders table; missing values (NaN/None) are allowed.

    `level` is the metric: nominal, ordinal (ranks, with the n_g marginal sums of Krippendorff
    2011), interval or ratio. Units with fewer than two values are not pairable and are left
    out. NaN when fewer than two values are pairable or all pairable values are the same
    (alpha's expected disagreement is then 0)."""
    X, values = _encode(data, level)
    rows, counts = _compress(X)
    return float(_alpha_many(rows, values, counts[None, :], level)[0]) if len(rows) else NAN


def _bootstrap(X: np.ndarray, values: np.ndarray, level: str, groups: np.ndarray | None, weight: np.ndarray,
               n_boot: int, confidence: float, rng: np.random.Generator) -> tuple[float, float]:
    """Percentile interval. The resampled things are distinct groups (rows of `groups`: how
    often each unit row of X is in the group; None: group r is unit row r alone) occurring
    `weight` times. Drawing them with replacement is one multinomial draw over the distinct
    groups, so the cost does not grow with the number of identical units."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, not {confidence}")
    total = weight.sum()
    if n_boot < 1 or total == 0:
        return NAN, NAN
    draws = []
    step = max(1, _BLOCK // max(len(weight), X.shape[0]))
    for s in range(0, n_boot, step):
        size = min(step, n_boot - s)
        if total < 3 * len(weight):  # mostly distinct groups: drawing indices beats a multinomial (measured)
            which = np.repeat(np.arange(len(weight)), weight.astype(np.int64))
            drawn = which[rng.integers(0, total, (size, int(total)))] + len(weight) * np.arange(size)[:, None]
            picks = np.bincount(drawn.ravel(), minlength=size * len(weight)).reshape(size, -1).astype(float)
        else:
            picks = rng.multinomial(int(total), weight / total, size=size).astype(float)
        draws.append(_alpha_many(X, values, picks if groups is None else picks @ groups, level))
    alphas = np.concatenate(draws)
    alphas = alphas[np.isfinite(alphas)]
    if len(alphas) == 0:
        return NAN, NAN
    tail = (1 - confidence) / 2
    low, high = np.quantile(alphas, [tail, 1 - tail])
    return float(low), float(high)


def _grouped(table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    distinct, weight = np.unique(table, axis=0, return_counts=True)
    return distinct, weight.astype(float)


def alpha_bootstrap_ci(data: Any, level: str = "nominal", n_boot: int = 1000, confidence: float = 0.95,
                       random_state: int | np.random.Generator | None = None, *,
                       groups: Sequence[Any] | None = None) -> tuple[float, float]:
    """(low, high) percentile bootstrap interval for Krippendorff's alpha.

    Units (rows) are resampled with replacement and alpha recomputed, `n_boot` times; draws
    where alpha is undefined are dropped. Krippendorff's own bootstrap resamples pairable
    values instead; resampling units keeps each unit's values together, which is what varies
    from one sample of texts to another. `groups` (one label per unit) resamples whole
    groups instead, for units that are not independent (characters of one turn).
    (NaN, NaN) when alpha is undefined on every draw."""
    X, values = _encode(data, level)
    rng = np.random.default_rng(random_state)
    if groups is None:
        rows, counts = _compress(X)
        return _bootstrap(rows, values, level, None, counts, n_boot, confidence, rng)
    if len(groups) != len(X):
        raise ValueError(f"groups needs one label per unit: {len(groups)} labels for {len(X)} units")
    if len(X) == 0:
        return NAN, NAN
    rows, inverse = np.unique(X, axis=0, return_inverse=True)
    group_ids = pd.factorize(pd.Series(list(groups), dtype=object))[0]
    table = np.zeros((group_ids.max() + 1, len(rows)))
    np.add.at(table, (group_ids, inverse.ravel()), 1)
    return _bootstrap(rows, values, level, *_grouped(table), n_boot, confidence, rng)


# --- percent agreement and the kappas -----------------------------------------------------

def _percent(X: np.ndarray, weight: np.ndarray, k: int) -> float:
    m = (X >= 0).sum(1)
    keep = m >= 2
    if not keep.any() or weight[keep].sum() == 0:
        return NAN
    N = _counts(X[keep], k)
    m = m[keep]
    agree = (np.asarray(N.multiply(N).sum(1)).ravel() - m) / (m * (m - 1))
    return float(100 * (weight[keep] @ agree) / weight[keep].sum())


def percent_agreement(data: Any) -> float:
    """Percent (0-100) of agreeing coder pairs, averaged over the units with two or more values.

    Within a unit every pair of the coders who coded it counts once; a unit with one value
    has no pair and is left out (NaN when no unit has two values)."""
    X, values = _encode(data, "nominal")
    rows, counts = _compress(X)
    return _percent(rows, counts, len(values))


def _cohen(X: np.ndarray, weight: np.ndarray, k: int) -> float:
    both = (X[:, 0] >= 0) & (X[:, 1] >= 0)
    table = np.bincount(X[both, 0] * k + X[both, 1], weights=weight[both], minlength=k * k).reshape(k, k)
    total = table.sum()
    if total == 0:
        return NAN
    observed = np.trace(table) / total
    chance = (table.sum(1) @ table.sum(0)) / total**2
    # chance agreement of 1 (both coders used one and the same category) leaves kappa undefined
    return NAN if chance >= 1 - 1e-12 else float((observed - chance) / (1 - chance))


def cohen_kappa(a: Sequence[Any], b: Sequence[Any]) -> float:
    """Cohen's (1960) kappa of two coders on nominal values: (p_o - p_e) / (1 - p_e).

    Units where either value is missing are left out. NaN when no unit is left or chance
    agreement is 1. On complete data this is sklearn.metrics.cohen_kappa_score."""
    if len(a) != len(b):
        raise ValueError(f"both coders need a value (or a missing value) for every unit: {len(a)} vs {len(b)}")
    X, values = _encode(pd.DataFrame({"a": list(a), "b": list(b)}, dtype=object), "nominal")
    rows, counts = _compress(X)
    return _cohen(rows, counts, len(values)) if len(rows) else NAN


def _fleiss(table: np.ndarray, weight: np.ndarray) -> float:
    table = np.asarray(table, dtype=float)
    raters = table.sum(1)
    if len(table) == 0 or weight.sum() == 0:
        return NAN
    r = raters[0]
    if r < 2:
        return NAN
    share = (weight @ table) / (weight.sum() * r)
    per_unit = ((table**2).sum(1) - r) / (r * (r - 1))
    observed = (weight @ per_unit) / weight.sum()
    chance = (share**2).sum()
    return NAN if chance >= 1 - 1e-12 else float((observed - chance) / (1 - chance))


def fleiss_kappa_counts(table: Any) -> float:
    """Fleiss' (1971) kappa from a units × categories table of how many raters chose each.

    Every unit needs the same number of raters (Fleiss' design: any raters, but as many per
    unit). NaN when there are fewer than two raters per unit or all chose one category."""
    table = np.asarray(table, dtype=float)
    if table.ndim != 2:
        raise ValueError("fleiss_kappa_counts needs a table: one row per unit, one column per category")
    if (table < 0).any():
        raise ValueError("rating counts cannot be negative")
    raters = table.sum(1)
    if len(raters) and (raters != raters[0]).any():
        bad = int(np.nonzero(raters != raters[0])[0][0])
        raise ValueError(f"Fleiss' kappa needs the same number of raters for every unit: unit 0 has "
                         f"{raters[0]:g}, unit {bad} has {raters[bad]:g}")
    return _fleiss(table, np.ones(len(table)))


def fleiss_kappa(data: Any) -> float:
    """Fleiss' kappa of a units × raters table of nominal values.

    Units nobody rated are skipped; the others need the same number of values each (a missing
    value elsewhere raises ValueError: use Krippendorff's alpha for such data)."""
    X, values = _encode(data, "nominal")
    X = X[(X >= 0).any(1)]
    return fleiss_kappa_counts(_counts(X, len(values)).toarray())
