"""The pooled fit of `CodeSuggester(pooled=True)`: one logistic regression over (unit, code) pairs.

Per-code models see ~7 positive sentences after 8 interviews: too few to learn even "this
code's rule fired, so the coder likely coded it". Pooled, every code teaches every other what
a rule hit is worth. One row per (unit, code) the coder decided on, with

- shared features: *this code's* rule fired / was negated / was dropped, in the unit and in its
  turn (`rc:`, `rnc:`, `rdc:`, `trc:`, … of the row's code), the speaker's role, the language;
- per-code terms: an intercept, and the code × fired / negated / dropped interactions;
- for codes with at least `lexical_min` positive units, the unit's own features crossed with
  the code, scaled by `lexical_weight` (held back more by the regularisation).

Every feature of a row is a linear function of the unit's feature vector for that code, so the
fitted model collapses exactly into the per-code arrays of `CodeSuggester` (`coef_[j]`,
`intercept_[j]`): prediction, explanations and plain-data storage stay as they are. The
out-of-fold scores (folds grouped by transcript), Platt calibration and kappa thresholds per
code are those of the per-code model.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import Pipeline

from qualcode.suggest.estimator import best_threshold, sigmoid

# Fired, negated, dropped, in the unit and anywhere in its turn: a feature per unit and code.
KINDS = ("rc", "rnc", "rdc", "trc", "trnc", "trdc")


def _columns(names: Sequence[str], codes: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Per code, the column of each of its rule kinds (-1: absent); the role and language columns."""
    index = {f: i for i, f in enumerate(names)}
    kind_cols = np.array([[index.get(f"{k}:{c}", -1) for k in KINDS] for c in codes], dtype=np.int64)
    kind_cols = kind_cols.reshape(len(codes), len(KINDS))
    shared = np.array([i for i, f in enumerate(names) if f.startswith(("role:", "lang:"))], dtype=np.int64)
    return kind_cols, shared


class PooledDesign:
    """Builds the pair rows for a set of codes and collapses pooled weights back to per-code arrays."""

    def __init__(self, n_features: int, kind_cols: np.ndarray, shared: np.ndarray, lexical: np.ndarray,
                 lexical_weight: float) -> None:
        self.n_features, self.kind_cols, self.shared = n_features, kind_cols, shared
        self.n_codes = len(kind_cols)
        self.lexical = lexical  # codes with a lexical block, in block order
        self.block_of = {int(j): b for b, j in enumerate(lexical)}
        self.lexical_weight = lexical_weight
        k = len(KINDS)
        # Column layout: [shared kinds | role/lang | per-code intercept | per-code kinds | lexical blocks]
        self.o_shared = k
        self.o_icpt = k + len(shared)
        self.o_code_kind = self.o_icpt + self.n_codes
        self.o_lex = self.o_code_kind + k * self.n_codes
        self.width = self.o_lex + len(lexical) * n_features

    def rows(self, X: sp.csr_matrix, j: int) -> sp.csr_matrix:
        """The pair rows of code j for the units of X."""
        n, k = X.shape[0], len(KINDS)
        kind = np.zeros((n, k), dtype=np.float32)
        for c, col in enumerate(self.kind_cols[j]):
            if col >= 0:
                kind[:, c] = X[:, col].toarray().ravel() > 0
        # Local columns [kinds | role/lang | 1 | kinds], then moved to their place in the layout.
        local = sp.hstack([sp.csr_matrix(kind), sp.csr_matrix(X[:, self.shared] > 0, dtype=np.float32),
                           sp.csr_matrix(np.ones((n, 1), dtype=np.float32)), sp.csr_matrix(kind)], format="csr")
        to = np.concatenate([np.arange(self.o_icpt), [self.o_icpt + j],
                             self.o_code_kind + np.arange(k) * self.n_codes + j])
        parts = [sp.csr_matrix((local.data, to[local.indices], local.indptr), shape=(n, self.o_lex))]
        if j in self.block_of:
            lex = sp.csr_matrix(X, dtype=np.float32)
            shift = self.block_of[j] * self.n_features
            parts.append(sp.csr_matrix((lex.data * self.lexical_weight, lex.indices + shift, lex.indptr),
                                       shape=(n, len(self.lexical) * self.n_features)))
        else:
            parts.append(sp.csr_matrix((n, len(self.lexical) * self.n_features), dtype=np.float32))
        return sp.hstack(parts, format="csr")

    def collapse(self, w: np.ndarray, b: float) -> tuple[np.ndarray, np.ndarray]:
        """Pooled weights `w` (and intercept `b`) as per-code coefficients over the unit features."""
        coef = np.zeros((self.n_codes, self.n_features), dtype=np.float64)
        intercept = np.full(self.n_codes, b) + w[self.o_icpt:self.o_icpt + self.n_codes]
        coef[:, self.shared] += w[self.o_shared:self.o_icpt]
        for j in range(self.n_codes):
            for c, col in enumerate(self.kind_cols[j]):
                if col >= 0:
                    coef[j, col] += w[c] + w[self.o_code_kind + c * self.n_codes + j]
            if j in self.block_of:
                lo = self.o_lex + self.block_of[j] * self.n_features
                coef[j] += self.lexical_weight * w[lo:lo + self.n_features]
        return coef, intercept


def _design(est: object, X: sp.csr_matrix, Y: np.ndarray, names: Sequence[str], codes: Sequence[str],
            rows: np.ndarray) -> tuple[PooledDesign, sp.csr_matrix, np.ndarray]:
    """The pooled design over units `rows`: the pair matrix and its labels (known cells only)."""
    kind_cols, shared = _columns(names, codes)
    positives = (Y[rows] > 0).sum(axis=0)
    # A lexical weight of 0 means no per-code word features at all (shared and per-code rule terms only).
    lexical = np.flatnonzero(positives >= est.lexical_min) if est.lexical_weight > 0 else np.zeros(0, dtype=np.int64)
    design = PooledDesign(X.shape[1], kind_cols, shared, lexical, est.lexical_weight)
    mats, labels = [], []
    for j in range(Y.shape[1]):
        known = rows[Y[rows, j] >= 0]
        if not len(known):
            continue
        mats.append(design.rows(X[known], j))
        labels.append((Y[known, j] > 0).astype(int))
    return design, sp.vstack(mats, format="csr"), np.concatenate(labels)


def _fit_once(est: object, X: sp.csr_matrix, Y: np.ndarray, names: Sequence[str], codes: Sequence[str],
              rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    design, P, y = _design(est, X, Y, names, codes, rows)
    if y.min() == y.max():
        return np.zeros((Y.shape[1], X.shape[1])), np.zeros(Y.shape[1])
    lr = LogisticRegression(C=est.C, class_weight=est.class_weight, solver="lbfgs", max_iter=500).fit(P, y)
    return design.collapse(lr.coef_[0], float(lr.intercept_[0]))


def fit_pooled(est: object, X: sp.csr_matrix, Y: np.ndarray, groups: np.ndarray | None,
               feature_names: Sequence[str] | None, codes: Sequence[str] | None) -> None:
    """Set `est`'s fitted arrays (those of `CodeSuggester`) from a pooled fit."""
    if feature_names is None or codes is None:
        raise ValueError("the pooled model needs feature_names and codes (fit through make_pipeline)")
    if len(codes) != Y.shape[1] or len(feature_names) != X.shape[1]:
        raise ValueError(f"{len(codes)} codes for {Y.shape[1]} label columns, or {len(feature_names)} names for "
                         f"{X.shape[1]} features")
    n, n_codes = X.shape[0], Y.shape[1]
    all_rows = np.arange(n)
    # Out-of-fold scores, folds grouped by transcript (each unit its own group without `groups`).
    g = groups if groups is not None else all_rows
    k = min(est.cv, len(np.unique(g)))
    oof = np.full((n, n_codes), np.nan)
    if k >= 2:
        # GroupKFold is deterministic; shuffle the group order by the seed so folds vary with it.
        uniq = np.unique(g)
        perm = np.random.default_rng(est.random_state).permutation(len(uniq))
        relabel = dict(zip(uniq.tolist(), perm.tolist(), strict=True))
        gi = np.array([relabel[x] for x in np.asarray(g).tolist()])
        for train, test in GroupKFold(n_splits=k).split(np.zeros(n), groups=gi):
            coef, icpt = _fit_once(est, X, Y, feature_names, codes, train)
            oof[test] = np.asarray(X[test] @ coef.T) + icpt
    coef, icpt = _fit_once(est, X, Y, feature_names, codes, all_rows)
    for j in range(n_codes):
        known = Y[:, j] >= 0
        y = (Y[known, j] > 0).astype(int)
        est.n_positive_[j], est.n_known_[j] = int(y.sum()), int(known.sum())
        if y.sum() < est.min_positive or y.sum() == len(y):
            continue
        s = oof[known, j]
        scored = ~np.isnan(s)
        if y[scored].sum() == 0 or y[scored].sum() == scored.sum():
            a, b = 1.0, 0.0
        else:
            platt = LogisticRegression(C=1e4, solver="lbfgs").fit(s[scored].reshape(-1, 1), y[scored])
            a, b = float(platt.coef_[0, 0]), float(platt.intercept_[0])
        p = sigmoid(a * s[scored] + b)
        est.threshold_[j], est.train_kappa_[j] = best_threshold(y[scored], p)
        est.oof_[np.flatnonzero(known)[scored], j] = p
        est.coef_[j] = coef[j].astype(np.float32)
        est.intercept_[j] = float(icpt[j])
        est.calibration_[j] = (a, b)
        est.has_model_[j] = True


class SuggestPipeline(Pipeline):
    """A `Pipeline` of `UnitFeatures` then `CodeSuggester` that hands the model the feature names,
    which the pooled model needs to find each code's rule features (known only once the
    features step is fitted, so a caller cannot pass them)."""

    def fit(self, X: object, y: object = None, **params: object) -> SuggestPipeline:
        (_, features), (name, model) = self.steps[0], self.steps[-1]
        if len(self.steps) != 2:
            raise ValueError("SuggestPipeline is features then model")
        unknown = [k for k in params if not k.startswith(name + "__")]
        if unknown:
            raise ValueError(f"fit parameters {unknown} are not for the model step '{name}'")
        Xt = features.fit_transform(X)
        model.fit(Xt, y, feature_names=list(features.get_feature_names_out()),
                  **{k[len(name) + 2:]: v for k, v in params.items()})
        return self
