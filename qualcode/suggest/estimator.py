"""`CodeSuggester`: one calibrated logistic regression per code, with a threshold per code.

A scikit-learn estimator (parameters in `__init__`, never changed by `fit`; `random_state`;
`fit` / `predict_proba` / `predict`), so it sits in a `Pipeline` after `UnitFeatures` and
gives the same answer twice with the same seed.

Labels are a matrix `Y` (units × codes) of 1 (coded), 0 (not coded) and -1 (unknown: the
coder never decided on this unit for this code, e.g. a turn of a transcript they only
reviewed). Each code learns from its known cells only.

Per code, with at least `min_positive` positive units (else: no model, and the rules stay):

1. Out-of-fold decision scores on the training data, from `cv` folds grouped by `groups`
   (transcripts) and stratified, so a sentence is never scored by a model that saw its
   neighbours.
2. **Calibration** (Platt scaling): a one-feature logistic regression from those scores to
   the labels, so `predict_proba` is a probability and not just a score.
3. **Threshold**: the calibrated out-of-fold probability cut that maximises Cohen's kappa
   with the coder's labels (a grid from 0.05 to 0.95); among equally good cuts the highest,
   which gives fewer suggestions to review. Kappa, not F1, because kappa is the figure
   coders are judged by, and it also counts the agreement on what is not coded.
4. The final model is fitted on all known cells of the code.

Weak examples (`fit(..., weak=mask)`): rows that are positive examples from outside the
coding, the codebook's own example and include texts (qualcode.suggest.codebook_texts). They
join every fit of their code at `weak_weight` of a coded unit, count towards `min_positive`
(with at least `min_coded` coded units: calibration and thresholds need some), and are never
scored: out-of-fold scores, calibration and thresholds come from the coder's units alone.

The fitted state is plain arrays (`coef_`, `intercept_`, `calibration_`, `threshold_`),
which is what qualcode.suggest.storage writes.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold
from threadpoolctl import threadpool_limits

GRID = np.round(np.arange(0.05, 0.951, 0.01), 2)


def kappa_of(y: np.ndarray, pred: np.ndarray) -> float:
    """Cohen's kappa of two binary vectors (0.0 when chance agreement is total)."""
    n = len(y)
    if n == 0:
        return 0.0
    tp = float(np.sum(y & pred))
    fp = float(np.sum(~y & pred))
    fn = float(np.sum(y & ~pred))
    tn = n - tp - fp - fn
    po = (tp + tn) / n
    pe = ((tp + fp) * (tp + fn) + (fn + tn) * (fp + tn)) / (n * n)
    return 0.0 if pe >= 1 else (po - pe) / (1 - pe)


def best_threshold(y: np.ndarray, p: np.ndarray) -> tuple[float, float]:
    """The cut on `p` with the highest kappa against `y` (ties: the highest cut), and that kappa."""
    y = y.astype(bool)
    best_t, best_k = 0.5, -np.inf
    for t in GRID:
        k = kappa_of(y, p >= t)
        if k >= best_k:
            best_t, best_k = float(t), k
    return best_t, float(best_k)


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -500, 500)))


class CodeSuggester(ClassifierMixin, BaseEstimator):
    """Per-code calibrated logistic regressions over sparse features.

    Parameters
    ----------
    C : inverse regularisation strength of each code's logistic regression.
    class_weight : passed to LogisticRegression ("balanced" lifts rare codes).
    min_positive : codes with fewer positive units get no model.
    cv : folds for the out-of-fold scores behind calibration and thresholds.
    random_state : seeds the folds and the solver.
    pooled : one regression over (unit, code) pairs instead of one per code
        (qualcode.suggest.estimator_pooled); `fit` then needs `feature_names` and `codes`.
    lexical_min, lexical_weight : pooled only: codes with at least `lexical_min` positive units
        get their own word features, at `lexical_weight` of a shared feature.
    weak_weight : the sample weight of a weak example (see the module docstring).
    min_coded : with weak examples, the fewest coded positive units a code needs for a model.
    """

    def __init__(self, C: float = 1.0, class_weight: str | None = "balanced", min_positive: int = 5,
                 cv: int = 3, random_state: int = 0, pooled: bool = False, lexical_min: int = 10,
                 lexical_weight: float = 0.5, weak_weight: float = 0.5, min_coded: int = 2) -> None:
        self.C = C
        self.class_weight = class_weight
        self.min_positive = min_positive
        self.cv = cv
        self.random_state = random_state
        self.pooled = pooled
        self.lexical_min = lexical_min
        self.lexical_weight = lexical_weight
        self.weak_weight = weak_weight
        self.min_coded = min_coded

    def _lr(self) -> LogisticRegression:
        # L-BFGS: on 13 k sentences x 40 k features it took 0.16-0.48 s a fit against liblinear's
        # 0.26-0.69 s (one code each, one BLAS thread), and it is deterministic.
        return LogisticRegression(C=self.C, class_weight=self.class_weight, solver="lbfgs", max_iter=300)

    def _splits(self, y: np.ndarray, groups: np.ndarray | None) -> list[tuple[np.ndarray, np.ndarray]]:
        n_pos = int(y.sum())
        k = max(2, min(self.cv, n_pos, len(y) - n_pos))
        if groups is not None and len(np.unique(groups)) >= k:
            splitter = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=self.random_state)
            return list(splitter.split(np.zeros(len(y)), y, groups))
        splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=self.random_state)
        return list(splitter.split(np.zeros(len(y)), y))

    def fit(self, X: sp.spmatrix, Y: np.ndarray, groups: np.ndarray | None = None,
            feature_names: Sequence[str] | None = None, codes: Sequence[str] | None = None,
            weak: np.ndarray | None = None) -> CodeSuggester:
        """Fit on units × features `X` and labels `Y` (see the module docstring); `weak`: a boolean
        mask of the rows that are weak examples (positive where Y is 1, unknown elsewhere)."""
        # One BLAS thread: these problems are small, and OpenBLAS threads spinning on a busy
        # machine made each fit 30-70x slower (measured: 0.05 s against 2-3 s).
        with threadpool_limits(limits=1, user_api="blas"):
            return self._fit(X, Y, groups, feature_names, codes, weak)

    def _fit(self, X: sp.spmatrix, Y: np.ndarray, groups: np.ndarray | None,
             feature_names: Sequence[str] | None = None, codes: Sequence[str] | None = None,
             weak: np.ndarray | None = None) -> CodeSuggester:
        X = sp.csr_matrix(X)
        Y = np.asarray(Y)
        if Y.ndim == 1:
            Y = Y.reshape(-1, 1)
        if Y.shape[0] != X.shape[0]:
            raise ValueError(f"X has {X.shape[0]} rows but Y has {Y.shape[0]}")
        groups = np.asarray(groups) if groups is not None else None
        weak = np.zeros(X.shape[0], dtype=bool) if weak is None else np.asarray(weak, dtype=bool)
        if weak.shape != (X.shape[0],):
            raise ValueError(f"weak has shape {weak.shape}, not ({X.shape[0]},)")
        if weak.any() and self.pooled:
            raise ValueError("the pooled model takes no weak examples")
        n_codes, n_feat = Y.shape[1], X.shape[1]
        self.n_features_in_ = n_feat
        self.coef_ = np.zeros((n_codes, n_feat), dtype=np.float32)
        self.intercept_ = np.zeros(n_codes)
        self.calibration_ = np.zeros((n_codes, 2))  # Platt's a, b: p = sigmoid(a * score + b)
        self.threshold_ = np.full(n_codes, np.nan)
        self.has_model_ = np.zeros(n_codes, dtype=bool)
        self.n_positive_ = np.zeros(n_codes, dtype=int)
        self.n_known_ = np.zeros(n_codes, dtype=int)
        self.train_kappa_ = np.full(n_codes, np.nan)  # out-of-fold kappa at the chosen threshold
        # Calibrated out-of-fold probabilities of the training units that are not weak examples, in
        # order (NaN: unknown or unscored), so a caller can judge the model at another level, e.g.
        # turns (qualcode.suggest.evaluation.choose).
        coded_rows = np.flatnonzero(~weak)
        self.oof_ = np.full((len(coded_rows), n_codes), np.nan)
        self.classes_ = np.arange(n_codes)
        if self.pooled:
            from qualcode.suggest.estimator_pooled import fit_pooled  # it imports this module

            fit_pooled(self, X, Y, groups, feature_names, codes)
            return self
        for j in range(n_codes):
            known = (Y[:, j] >= 0) & ~weak
            y = (Y[known, j] > 0).astype(int)
            extra = X[weak & (Y[:, j] > 0)]
            self.n_positive_[j], self.n_known_[j] = int(y.sum()), int(known.sum())
            if (y.sum() + extra.shape[0] < self.min_positive or y.sum() < min(self.min_coded, self.min_positive)
                    or y.sum() == len(y)):
                continue
            Xj = X[known]
            gj = groups[known] if groups is not None else None
            oof = np.full(len(y), np.nan)
            for train, test in self._splits(y, gj):
                if y[train].min() == y[train].max():
                    continue  # a fold with one class only: its units get no out-of-fold score
                oof[test] = self._fit_rows(Xj[train], y[train], extra).decision_function(Xj[test])
            scored = ~np.isnan(oof)
            if y[scored].sum() == 0 or y[scored].sum() == scored.sum():
                a, b = 1.0, 0.0
            else:
                platt = LogisticRegression(C=1e4, solver="lbfgs").fit(oof[scored].reshape(-1, 1), y[scored])
                a, b = float(platt.coef_[0, 0]), float(platt.intercept_[0])
            self.threshold_[j], self.train_kappa_[j] = best_threshold(y[scored], sigmoid(a * oof[scored] + b))
            rows = np.searchsorted(coded_rows, np.flatnonzero(known))
            self.oof_[rows[scored], j] = sigmoid(a * oof[scored] + b)
            final = self._fit_rows(Xj, y, extra)
            self.coef_[j] = final.coef_[0].astype(np.float32)
            self.intercept_[j] = float(final.intercept_[0])
            self.calibration_[j] = (a, b)
            self.has_model_[j] = True
        self.classes_ = np.arange(n_codes)
        return self

    def _fit_rows(self, X: sp.csr_matrix, y: np.ndarray, extra: sp.csr_matrix) -> LogisticRegression:
        """A logistic regression on coded units `X`, `y` and the code's weak positive examples `extra`."""
        if not extra.shape[0]:
            return self._lr().fit(X, y)
        weights = np.r_[np.ones(len(y)), np.full(extra.shape[0], self.weak_weight)]
        return self._lr().fit(sp.vstack([X, extra], format="csr"), np.r_[y, np.ones(extra.shape[0], dtype=int)],
                              sample_weight=weights)

    def decision_function(self, X: sp.spmatrix) -> np.ndarray:
        X = sp.csr_matrix(X, dtype=np.float32)
        return np.asarray(X @ self.coef_.T, dtype=np.float64) + self.intercept_

    def predict_proba(self, X: sp.spmatrix) -> np.ndarray:
        """Calibrated probability per unit and code (units × codes); 0 for codes without a model."""
        s = self.decision_function(X)
        p = sigmoid(self.calibration_[:, 0] * s + self.calibration_[:, 1])
        p[:, ~self.has_model_] = 0.0
        return p

    def predict(self, X: sp.spmatrix) -> np.ndarray:
        """1 where the calibrated probability reaches the code's threshold (units × codes)."""
        p = self.predict_proba(X)
        return ((p >= np.nan_to_num(self.threshold_, nan=2.0)) & self.has_model_).astype(int)

    def contributions(self, x: sp.spmatrix, j: int) -> list[tuple[int, float]]:
        """The features of one unit (a 1-row matrix) with their weight for code j, largest first."""
        row = sp.csr_matrix(x)
        pairs = [(int(i), float(self.coef_[j, i] * v)) for i, v in zip(row.indices, row.data, strict=True)]
        return sorted(pairs, key=lambda p: (-p[1], p[0]))
