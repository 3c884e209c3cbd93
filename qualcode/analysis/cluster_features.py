"""The space cases are clustered in (see cluster.py): which columns are 0/1 codes, numbers or
categories (`FeatureSchema`), the distances between cases (Jaccard for codes alone, Gower when
attributes join them), and Huang's k-modes over category codes.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state

BINARY, NUMERIC, CATEGORICAL = "binary", "numeric", "categorical"


# --- features ------------------------------------------------------------------------------


def _is_date(value: object) -> bool:
    return isinstance(value, dt.date | pd.Timestamp)


def _as_numbers(column: pd.Series) -> np.ndarray:
    """Floats with NaN for missing; dates become day numbers so they can be range-normalised."""
    if pd.api.types.is_datetime64_any_dtype(column):
        days = column.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]").astype(float)
        days[column.isna().to_numpy()] = np.nan
        return days
    if column.dtype == object:
        return np.array([v.toordinal() if _is_date(v) else np.nan for v in column], dtype=float)
    return pd.to_numeric(column, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _column_kind(column: pd.Series) -> str:
    present = column.dropna()
    if pd.api.types.is_bool_dtype(column):
        return BINARY
    if pd.api.types.is_datetime64_any_dtype(column):
        return NUMERIC
    if pd.api.types.is_numeric_dtype(column):
        return BINARY if set(np.unique(present.to_numpy(dtype=float))) <= {0.0, 1.0} else NUMERIC
    if len(present) and all(_is_date(v) for v in present):
        return NUMERIC
    return CATEGORICAL


@dataclass
class FeatureSchema:
    """How each column is compared, learned on the fitting data and reused for `predict`.

    binary: 0/1 (codes, yes/no attributes); numeric: numbers and dates, range-normalised
    with the fitting data's min and range; categorical: anything else, equal or not.
    """

    columns: list[str]
    kinds: dict[str, str]
    low: dict[str, float] = field(default_factory=dict)
    span: dict[str, float] = field(default_factory=dict)
    categories: dict[str, list[object]] = field(default_factory=dict)

    @classmethod
    def learn(cls, frame: pd.DataFrame) -> FeatureSchema:
        schema = cls([str(c) for c in frame.columns], {})
        for name in frame.columns:
            kind = _column_kind(frame[name])
            schema.kinds[str(name)] = kind
            if kind == NUMERIC:
                values = _as_numbers(frame[name])
                finite = values[~np.isnan(values)]
                schema.low[str(name)] = float(finite.min()) if len(finite) else 0.0
                schema.span[str(name)] = float(finite.max() - finite.min()) if len(finite) else 0.0
            elif kind == CATEGORICAL:
                schema.categories[str(name)] = sorted(frame[name].dropna().unique().tolist(), key=str)
        return schema

    def of(self, kind: str) -> list[str]:
        return [c for c in self.columns if self.kinds[c] == kind]

    def align(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The frame's columns in fitting order; a clear error if any is missing."""
        frame = frame.rename(columns=str)
        missing = [c for c in self.columns if c not in frame.columns]
        if missing:
            raise ValueError(f"X lacks the columns the clusters were fitted on: {', '.join(missing)}")
        return frame[self.columns]

    def numbers(self, frame: pd.DataFrame, name: str) -> np.ndarray:
        values = _as_numbers(frame[name])
        if self.kinds[name] == BINARY:
            return values
        span = self.span[name]
        # A constant column carries no information: every pair is equal on it.
        scaled = (values - self.low[name]) / span if span > 0 else np.where(np.isnan(values), np.nan, 0.0)
        return scaled

    def has_missing(self, frame: pd.DataFrame) -> list[str]:
        return [c for c in self.columns if frame[c].isna().any()]

    # --- distances and encodings -------------------------------------------------------------

    def jaccard(self, a: pd.DataFrame, b: pd.DataFrame | None = None) -> np.ndarray:
        """Jaccard distance between 0/1 rows: differing codes / codes either has (0 if neither has any)."""
        left = a.to_numpy(dtype=float)
        right = left if b is None else b.to_numpy(dtype=float)
        both = left @ right.T
        union = left.sum(1)[:, None] + right.sum(1)[None, :] - both
        with np.errstate(divide="ignore", invalid="ignore"):
            # (union - both) / union, not 1 - both/union: the same arithmetic as scipy's pdist.
            out = np.where(union > 0, (union - both) / union, 0.0)
        return out

    def gower(self, a: pd.DataFrame, b: pd.DataFrame | None = None) -> np.ndarray:
        """Gower distance: the mean over columns of |x - y| / range (numbers, dates, 0/1) or
        0/1 mismatch (categories), over the columns both cases have a value for."""
        other = a if b is None else b
        total = np.zeros((len(a), len(other)))
        counted: np.ndarray | float = 0.0
        for name in self.columns:
            if self.kinds[name] == CATEGORICAL:
                # Factorise both sides together so an unseen category differs from every other.
                joined = pd.concat([a[name], other[name]], ignore_index=True)
                codes, _ = pd.factorize(joined, use_na_sentinel=True)
                x = np.where(codes[: len(a)] < 0, np.nan, codes[: len(a)]).astype(float)
                y = np.where(codes[len(a):] < 0, np.nan, codes[len(a):]).astype(float)
                diff = (x[:, None] != y[None, :]).astype(float)
            else:
                x, y = self.numbers(a, name), self.numbers(other, name)
                # New cases outside the fitted range still differ by at most a whole range.
                diff = np.minimum(np.abs(x[:, None] - y[None, :]), 1.0)
            nx, ny = np.isnan(x), np.isnan(y)
            if nx.any() or ny.any():
                valid = ~nx[:, None] & ~ny[None, :]
                total += np.where(valid, diff, 0.0)
                counted = counted + valid
            else:
                total += diff
                counted = counted + 1.0
        counted = np.broadcast_to(np.asarray(counted, dtype=float), total.shape)
        with np.errstate(divide="ignore", invalid="ignore"):
            # Two cases with no column in common cannot be shown alike: treat them as far apart.
            out = np.where(counted > 0, total / counted, 1.0)
        if b is None:
            np.fill_diagonal(out, 0.0)
        return out

    def encode(self, frame: pd.DataFrame) -> np.ndarray:
        """Numbers for Euclidean methods: 0/1 as is, numbers range-scaled to [0, 1], categories
        one-hot scaled by √½ so a differing category adds 1 to the squared distance, like a
        differing code (plain one-hot would count it twice)."""
        parts = []
        for name in self.columns:
            if self.kinds[name] == CATEGORICAL:
                values = frame[name].to_numpy(dtype=object)
                onehot = np.array([[v == c for c in self.categories[name]] for v in values], dtype=float)
                parts.append(onehot.reshape(len(frame), -1) * math.sqrt(0.5))
            else:
                parts.append(self.numbers(frame, name)[:, None])
        return np.hstack(parts) if parts else np.zeros((len(frame), 0))

    def encoded_names(self) -> list[str]:
        names: list[str] = []
        for name in self.columns:
            if self.kinds[name] == CATEGORICAL:
                names += [f"{name}={c}" for c in self.categories[name]]
            else:
                names.append(name)
        return names

    def category_codes(self, frame: pd.DataFrame) -> np.ndarray:
        """Integers for k-modes: 0/1 as is, categories by their index (an unseen one is -1,
        so it differs from every mode)."""
        out = np.empty((len(frame), len(self.columns)), dtype=np.int64)
        for j, name in enumerate(self.columns):
            if self.kinds[name] == BINARY:
                out[:, j] = frame[name].to_numpy(dtype=float).astype(np.int64)
            else:
                index = {c: i for i, c in enumerate(self.categories[name])}
                out[:, j] = [index.get(v, -1) for v in frame[name]]
        return out

    def decode(self, codes: np.ndarray) -> pd.DataFrame:
        columns = {}
        for j, name in enumerate(self.columns):
            column = codes[:, j]
            columns[name] = column if self.kinds[name] == BINARY else [self.categories[name][i] for i in column]
        return pd.DataFrame(columns)


def _frame(X: pd.DataFrame | np.ndarray) -> pd.DataFrame:
    if isinstance(X, pd.DataFrame):
        return X
    return pd.DataFrame(np.asarray(X)).rename(columns=str)


def jaccard_distances(X: pd.DataFrame, Y: pd.DataFrame | None = None) -> np.ndarray:
    """Jaccard distances between the 0/1 rows of X (and Y): a square matrix if Y is None."""
    X = _frame(X)
    return FeatureSchema([str(c) for c in X.columns], {}).jaccard(X.rename(columns=str),
                                                                  None if Y is None else _frame(Y))


def gower_distances(X: pd.DataFrame, Y: pd.DataFrame | None = None) -> np.ndarray:
    """Gower distances between the rows of X (and Y), with ranges and categories from X."""
    X = _frame(X).rename(columns=str)
    schema = FeatureSchema.learn(X)
    return schema.gower(X, None if Y is None else schema.align(_frame(Y)))


# --- k-modes -------------------------------------------------------------------------------


def _matching(codes: np.ndarray, modes: np.ndarray) -> np.ndarray:
    """Number of differing columns between each row and each mode (n × k)."""
    return (codes[:, None, :] != modes[None, :, :]).sum(axis=2)


def _column_modes(rows: np.ndarray) -> np.ndarray:
    # bincount(...).argmax() takes the smallest value on ties, so modes are deterministic.
    return np.array([np.bincount(rows[:, j]).argmax() for j in range(rows.shape[1])], dtype=np.int64)


def kmodes(codes: np.ndarray, k: int, *, n_init: int = 10, max_iter: int = 100,
           random_state: int | np.random.RandomState | None = None) -> tuple[np.ndarray, np.ndarray, float]:
    """Huang's k-modes with batch updates: labels, modes (k × p integer codes) and cost
    (the total number of mismatches to the modes), best of `n_init` seeded starts."""
    rng = check_random_state(random_state)
    distinct = np.unique(codes, axis=0)
    k = min(k, len(distinct))
    best: tuple[np.ndarray, np.ndarray, float] | None = None
    for _ in range(n_init):
        # Start from k distinct cases, so no two modes are the same from the outset.
        modes = distinct[rng.choice(len(distinct), size=k, replace=False)].copy()
        labels: np.ndarray | None = None
        for _ in range(max_iter):
            distances = _matching(codes, modes)
            new = distances.argmin(axis=1)
            if labels is not None and np.array_equal(new, labels):
                break
            labels = new
            for c in range(k):
                members = codes[labels == c]
                if len(members):
                    modes[c] = _column_modes(members)
                else:
                    # An emptied cluster restarts at the case worst served by its mode.
                    worst = int(distances[np.arange(len(codes)), labels].argmax())
                    modes[c] = codes[worst]
        distances = _matching(codes, modes)
        labels = distances.argmin(axis=1)
        cost = float(distances[np.arange(len(codes)), labels].sum())
        if best is None or cost < best[2]:
            best = (labels, modes.copy(), cost)
    assert best is not None
    return best
