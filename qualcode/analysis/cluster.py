"""Data-driven typology: cluster cases by the codes they have (and, optionally, their attributes).

The rule typology (typology.py) says which type a case *should* be by the codebook; this
module asks which groups the data itself forms, so the two can be compared. Features are
a case × column frame (index = case): 0/1 code columns from `Project.matrix("presence")`,
optionally joined with attribute columns from `Project.cases()`.

Three methods, because they fit different corpora:

* ``agglomerative`` (default): hierarchical clustering on a distance matrix — Jaccard for
  pure 0/1 codes (two cases sharing the *absence* of a code are not similar for that),
  Gower for codes mixed with attributes. Needs an N × N matrix, so it refuses large N.
* ``kmodes``: Huang's k-modes (simple matching, column-wise modes) for binary/categorical
  features; linear in N.
* ``kmeans``: scikit-learn's KMeans on 0/1 codes, range-scaled numbers and one-hot
  categories; linear in N.

k is fixed or chosen by the silhouette over a range; `stability` bootstraps the partition,
`describe` says what each cluster is about (codes, typical cases, quotes), and
`name_clusters` matches clusters to the rule types.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.cluster.hierarchy import linkage as scipy_linkage
from scipy.spatial.distance import cdist, pdist, squareform
from sklearn.base import BaseEstimator, ClusterMixin, clone
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, silhouette_samples, silhouette_score
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from qualcode.analysis.cluster_features import (
    BINARY,
    CATEGORICAL,
    NUMERIC,
    FeatureSchema,
    _frame,
    _matching,
    gower_distances,
    jaccard_distances,
    kmodes,
)
from qualcode.analysis.cluster_results import (
    ClusterDescription,
    ClusterNames,
    Stability,
    _quotes,
    cluster_title,
    name_clusters,
)

# The public names stay importable from here (qualcode.analysis.cluster), as before the split.
__all__ = [
    "BINARY",
    "CATEGORICAL",
    "LINKAGES",
    "METHODS",
    "METRICS",
    "NUMERIC",
    "ClusterDescription",
    "ClusterNames",
    "ClusterTypology",
    "FeatureSchema",
    "Stability",
    "cluster_title",
    "gower_distances",
    "jaccard_distances",
    "kmodes",
    "name_clusters",
]

METHODS = ("agglomerative", "kmodes", "kmeans")
METRICS = ("jaccard", "gower", "euclidean")
LINKAGES = ("average", "complete", "single", "ward")


def _cut(tree: np.ndarray, k: int) -> np.ndarray:
    """Leaf labels for the tree cut into exactly k clusters: undo the last k-1 merges.

    Walking the merges backwards, a node's label is final before its children are reached,
    so each child simply inherits it. Unlike fcluster(maxclust), tied heights cannot give
    fewer than k clusters.
    """
    n = len(tree) + 1
    label = np.arange(2 * n - 1)
    for i in range(n - k - 1, -1, -1):
        label[int(tree[i, 0])] = label[n + i]
        label[int(tree[i, 1])] = label[n + i]
    return label[:n]


# --- the estimator -------------------------------------------------------------------------


class ClusterTypology(ClusterMixin, BaseEstimator):
    """Cluster cases into types, scikit-learn style: `fit(X)`, `predict(X)`, `fit_predict(X)`.

    X is a DataFrame with one row per case (index = case): 0/1 code columns and, for
    metric="gower" or kmodes/kmeans, attribute columns (numbers, dates, categories).

    Parameters
    ----------
    method: "agglomerative", "kmodes" or "kmeans".
    metric: agglomerative only — "jaccard" (0/1 codes only), "gower" (codes with
        attributes; missing values allowed) or "euclidean" (on the k-means encoding; the
        one that allows linkage="ward"). k-modes always uses simple matching, k-means
        Euclidean distance.
    linkage: "average", "complete", "single", or "ward" (Euclidean only).
    k: "auto" (best silhouette over `k_range`, both ends included) or a number of clusters.
    n_bootstrap: resamples for `stability`.
    max_agglomerative: the most cases agglomerative clustering accepts (it needs N × N distances).
    n_init, max_iter: k-modes restarts and iterations (k-means uses n_init=10 itself).
    silhouette_sample: if set and N is larger, choose k on the silhouette of this many
        seeded random cases (the final `silhouette_samples_` still cover every case).

    Attributes after fit
    --------------------
    labels_ (cluster per case, 0 = the largest), k_ (below k only if the cases have fewer
    distinct profiles than k), cases_ (the index), metric_ (the
    distance actually used), scores_ (silhouette per k tried), silhouette_,
    silhouette_samples_, cluster_centers_ (medoid rows, modes, or centroids in the encoded
    space), medoids_ (agglomerative: the medoid cases), linkage_ (agglomerative: the scipy
    linkage matrix, for a dendrogram with labels=cases_), schema_ (how columns are compared).
    """

    def __init__(
        self,
        method: str = "agglomerative",
        *,
        metric: str = "jaccard",
        linkage: str = "average",
        k: int | str = "auto",
        k_range: tuple[int, int] = (2, 8),
        random_state: int | np.random.RandomState | None = None,
        n_bootstrap: int = 50,
        max_agglomerative: int = 5000,
        n_init: int = 10,
        max_iter: int = 100,
        silhouette_sample: int | None = None,
    ) -> None:
        self.method = method
        self.metric = metric
        self.linkage = linkage
        self.k = k
        self.k_range = k_range
        self.random_state = random_state
        self.n_bootstrap = n_bootstrap
        self.max_agglomerative = max_agglomerative
        self.n_init = n_init
        self.max_iter = max_iter
        self.silhouette_sample = silhouette_sample

    # --- checks --------------------------------------------------------------------------------

    def _check_params(self, n: int) -> list[int]:
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}, not {self.method!r}")
        if self.method == "agglomerative":
            if self.metric not in METRICS:
                raise ValueError(f"metric must be one of {', '.join(METRICS)}, not {self.metric!r}")
            if self.linkage not in LINKAGES:
                raise ValueError(f"linkage must be one of {', '.join(LINKAGES)}, not {self.linkage!r}")
            if self.linkage == "ward" and self.metric != "euclidean":
                raise ValueError(f"linkage='ward' needs Euclidean distances, not {self.metric}: use "
                                 "metric='euclidean' or method='kmeans', or linkage='average'")
            if n > self.max_agglomerative:
                gib = n * n * 8 / 2**30
                raise ValueError(
                    f"{n} cases is more than agglomerative clustering takes here (max_agglomerative="
                    f"{self.max_agglomerative}): it needs an {n} × {n} distance matrix (~{gib:.1f} GiB). "
                    "Use method='kmodes' (codes and categories) or method='kmeans', "
                    "or raise max_agglomerative.")
        if n < 3:
            raise ValueError(f"clustering needs at least 3 cases, got {n}")
        if self.k == "auto":
            low, high = self.k_range
            if low < 2 or high < low:
                raise ValueError(f"k_range must be (low, high) with 2 <= low <= high, not {self.k_range!r}")
            # The silhouette is defined for 2 .. N-1 clusters.
            ks = list(range(low, min(high, n - 1) + 1))
            if not ks:
                raise ValueError(f"k_range {self.k_range!r} asks for at least {low} clusters of {n} cases")
            return ks
        if isinstance(self.k, bool) or not isinstance(self.k, int | np.integer) or not 2 <= self.k <= n - 1:
            raise ValueError(f"k must be 'auto' or a number from 2 to {n - 1} (cases - 1), not {self.k!r}")
        return [int(self.k)]

    def _check_features(self, schema: FeatureSchema, frame: pd.DataFrame) -> str:
        """The distance the method will use, after checking the features suit it."""
        if not schema.columns:
            raise ValueError("X has no columns to cluster on")
        if self.method == "agglomerative" and self.metric == "jaccard":
            other = [c for c in schema.columns if schema.kinds[c] != BINARY]
            if other:
                raise ValueError(f"metric='jaccard' needs 0/1 code columns; not 0/1: {', '.join(other)} "
                                 "(a count matrix? use matrix('presence')); "
                                 "for codes with attributes use metric='gower'")
        if self.method == "kmodes":
            numeric = schema.of(NUMERIC)
            if numeric:
                raise ValueError(f"k-modes needs 0/1 or categorical columns; numeric: {', '.join(numeric)}. "
                                 "Bin them (pandas.cut) or use method='agglomerative', "
                                 "metric='gower'")
        needs_complete = self.method in ("kmodes", "kmeans") or self.metric in ("jaccard", "euclidean")
        missing = schema.has_missing(frame) if needs_complete else []
        if missing:
            raise ValueError(f"missing values in {', '.join(missing)}: fill or drop them, "
                             "or use method='agglomerative', metric='gower' (which skips them pairwise)")
        if self.method == "kmodes":
            return "matching"
        if self.method == "kmeans":
            return "euclidean"
        return self.metric

    # --- distances ---------------------------------------------------------------------------

    def _distances(self, a: pd.DataFrame, b: pd.DataFrame | None = None) -> np.ndarray:
        """Distances under `metric_` between the rows of a and b (square with zeros if b is None)."""
        schema = self.schema_
        if self.metric_ == "jaccard":
            return schema.jaccard(a, b)
        if self.metric_ == "gower":
            return schema.gower(a, b)
        left = schema.encode(a)
        right = left if b is None else schema.encode(b)
        return cdist(left, right) if b is not None else squareform(pdist(left))

    def _center_distances(self, frame: pd.DataFrame) -> np.ndarray:
        """Distances from each row to each cluster's medoid, mode or centroid (n × k)."""
        if self.method == "agglomerative":
            return self._distances(frame, self.cluster_centers_)
        if self.method == "kmodes":
            return _matching(self.schema_.category_codes(frame), self._modes) / len(self.schema_.columns)
        return cdist(self.schema_.encode(frame), self.cluster_centers_.to_numpy(dtype=float))

    # --- fitting -----------------------------------------------------------------------------

    def fit(self, X: pd.DataFrame, y: object = None) -> ClusterTypology:
        """Cluster the cases of X (y is ignored; it is there for scikit-learn's API)."""
        return self._fit(X, score=True)

    def _fit(self, X: pd.DataFrame, *, score: bool) -> ClusterTypology:
        frame = _frame(X).rename(columns=str)
        ks = self._check_params(len(frame))
        if len(ks) > 1:
            # More clusters than distinct profiles cannot be formed (k-means warns, others tie).
            distinct = len(frame.drop_duplicates())
            ks = [k for k in ks if k <= distinct] or ks[:1]
        self.schema_ = FeatureSchema.learn(frame)
        self.metric_ = self._check_features(self.schema_, frame)
        self.cases_ = frame.index
        self.feature_names_in_ = np.array(self.schema_.columns, dtype=object)
        self.n_features_in_ = len(self.schema_.columns)
        rng = check_random_state(self.random_state)
        seed = int(rng.randint(np.iinfo(np.int32).max))
        # Every k is clustered from the same seed, so a k's result does not depend on k_range.
        space = self._space(frame)
        # The tree does not depend on k: build it once and cut it at every k.
        tree = (scipy_linkage(squareform(space, checks=False), method=self.linkage)
                if self.method == "agglomerative" else None)
        sample = None
        if self.silhouette_sample is not None and len(frame) > self.silhouette_sample:
            sample = np.sort(check_random_state(seed).choice(len(frame), self.silhouette_sample, replace=False))
        scores: dict[int, float] = {}
        results: dict[int, tuple[np.ndarray, object]] = {}
        for k in ks:
            labels, model = self._cluster(space, tree, k, seed)
            results[k] = (labels, model)
            if len(ks) > 1:
                scores[k] = self._silhouette(space, labels, sample)
        if len(ks) > 1:
            usable = {k: s for k, s in scores.items() if not math.isnan(s)}
            if not usable:
                raise ValueError("no k in k_range gave 2 or more clusters: the cases are (nearly) all alike")
            # Highest silhouette; on a tie the smaller k (the simpler typology).
            chosen = max(usable, key=lambda k: (usable[k], -k))
        else:
            chosen = ks[0]
        labels, model = results[chosen]
        self._finish(frame, space, labels, model)
        if score:
            if self.k_ < 2:
                raise ValueError("the cases formed a single cluster: they are (nearly) all alike")
            self.silhouette_samples_ = self._silhouette_per_case(space, self.labels_)
            self.silhouette_ = float(np.mean(self.silhouette_samples_))
            if len(ks) == 1:
                scores[chosen] = self.silhouette_
            self.scores_ = pd.Series(scores, name="silhouette").rename_axis("k")
        return self

    def _space(self, frame: pd.DataFrame) -> np.ndarray:
        if self.method == "agglomerative":
            return self._distances(frame)
        if self.method == "kmodes":
            return self.schema_.category_codes(frame)
        return self.schema_.encode(frame)

    def _cluster(self, space: np.ndarray, tree: np.ndarray | None, k: int, seed: int) -> tuple[np.ndarray, object]:
        if tree is not None:
            return _cut(tree, k), tree
        if self.method == "kmodes":
            labels, modes, _ = kmodes(space, k, n_init=self.n_init, max_iter=self.max_iter, random_state=seed)
            return labels, modes
        model = KMeans(n_clusters=k, n_init=10, random_state=seed).fit(space)
        return model.labels_, model.cluster_centers_

    def _finish(self, frame: pd.DataFrame, space: np.ndarray, raw: np.ndarray, model: object) -> None:
        """Number clusters by size (0 = largest; ties by first case) and keep their centres."""
        values, first, counts = np.unique(raw, return_index=True, return_counts=True)
        order = sorted(range(len(values)), key=lambda i: (-counts[i], first[i]))
        relabel = {int(values[i]): new for new, i in enumerate(order)}
        self.labels_ = np.array([relabel[int(v)] for v in raw], dtype=np.int64)
        self.k_ = len(values)
        old = [int(values[i]) for i in order]
        if self.method == "agglomerative":
            self.linkage_ = model
            medoids = []
            for c in range(self.k_):
                members = np.flatnonzero(self.labels_ == c)
                within = space[np.ix_(members, members)].sum(axis=1)
                medoids.append(int(members[within.argmin()]))
            self.medoids_ = [self.cases_[i] for i in medoids]
            self.cluster_centers_ = frame.iloc[medoids].set_axis(pd.RangeIndex(self.k_, name="cluster"))
        elif self.method == "kmodes":
            self._modes = np.asarray(model)[old]
            self.cluster_centers_ = self.schema_.decode(self._modes).rename_axis("cluster")
        else:
            self.cluster_centers_ = pd.DataFrame(np.asarray(model)[old], columns=self.schema_.encoded_names()
                                                 ).rename_axis("cluster")

    def _silhouette(self, space: np.ndarray, labels: np.ndarray, sample: np.ndarray | None) -> float:
        if sample is not None:
            labels = labels[sample]
        if not 2 <= len(np.unique(labels)) <= len(labels) - 1:
            return math.nan
        if self.method == "agglomerative":
            matrix = space if sample is None else space[np.ix_(sample, sample)]
            return float(silhouette_score(matrix, labels, metric="precomputed"))
        data = space if sample is None else space[sample]
        return float(silhouette_score(data, labels, metric=self._sk_metric()))

    def _silhouette_per_case(self, space: np.ndarray, labels: np.ndarray) -> np.ndarray:
        if self.method == "agglomerative":
            return silhouette_samples(space, labels, metric="precomputed")
        # Features and a metric name instead of an N × N matrix: scikit-learn works in chunks.
        return silhouette_samples(space, labels, metric=self._sk_metric())

    def _sk_metric(self) -> str:
        # Hamming on integer codes = share of differing columns = the k-modes distance / p.
        return "hamming" if self.method == "kmodes" else "euclidean"

    # --- use ---------------------------------------------------------------------------------

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """The cluster of each row of X: the nearest medoid (agglomerative), mode (kmodes) or
        centroid (kmeans) under the fitted distance. For agglomerative clustering this can
        differ from `labels_` for a fitted case near a border, as linkage is not nearest-medoid."""
        check_is_fitted(self, "labels_")
        frame = self.schema_.align(_frame(X))
        if self.metric_ != "gower":
            missing = self.schema_.has_missing(frame)
            if missing:
                raise ValueError(f"missing values in {', '.join(missing)}: fill them before predict")
        return self._center_distances(frame).argmin(axis=1)

    def labels_series(self) -> pd.Series:
        """`labels_` as a Series indexed by case."""
        check_is_fitted(self, "labels_")
        return pd.Series(self.labels_, index=self.cases_, name="cluster")

    def _check_same(self, X: pd.DataFrame) -> pd.DataFrame:
        check_is_fitted(self, "labels_")
        frame = self.schema_.align(_frame(X))
        if len(frame) != len(self.cases_) or not frame.index.equals(self.cases_):
            raise ValueError("X must be the frame the clusters were fitted on (same cases in the same order)")
        return frame

    def stability(self, X: pd.DataFrame, n_bootstrap: int | None = None,
                  random_state: int | np.random.RandomState | None = None) -> Stability:
        """Bootstrap stability of the fitted partition: for each resample of cases (with
        replacement), re-cluster with k fixed at `k_` and compare with `labels_` by the
        adjusted Rand index on the distinct resampled cases. Near 1: the types are robust;
        near 0: they are no better than chance."""
        frame = self._check_same(X)
        runs = self.n_bootstrap if n_bootstrap is None else n_bootstrap
        rng = check_random_state(self.random_state if random_state is None else random_state)
        n = len(frame)
        scores = []
        # Per case: how much of its cluster it keeps in each re-fit (the Jaccard index of its
        # cluster-mates in the fitted and the re-fitted partition), over the resamples it is in.
        kept, drawn = np.zeros(n), np.zeros(n)
        for _ in range(runs):
            draw = rng.randint(n, size=n)
            if len(np.unique(draw)) <= self.k_:
                continue  # too few distinct cases to form k_ clusters and compare
            # A fresh positional index: duplicated cases must not collide in pandas lookups.
            resample = frame.iloc[draw].reset_index(drop=True)
            refit = clone(self).set_params(k=self.k_, random_state=int(rng.randint(np.iinfo(np.int32).max)))
            refit._fit(resample, score=False)
            # Each distinct case once: duplicates would weight the comparison towards them.
            unique, where = np.unique(draw, return_index=True)
            scores.append(adjusted_rand_score(self.labels_[unique], refit.labels_[where]))
            fitted, again = self.labels_[unique], refit.labels_[where]
            before = fitted[:, None] == fitted[None, :]
            after = again[:, None] == again[None, :]
            kept[unique] += (before & after).sum(axis=1) / (before | after).sum(axis=1)
            drawn[unique] += 1
        values = np.array(scores, dtype=float)
        if not len(values):
            raise ValueError("no bootstrap resample had enough distinct cases; use more cases or fewer clusters")
        return Stability(mean=float(values.mean()), std=float(values.std()),
                         low=float(np.percentile(values, 2.5)), high=float(np.percentile(values, 97.5)),
                         scores=values, k=self.k_,
                         per_case=np.where(drawn > 0, kept / np.maximum(drawn, 1), np.nan))

    def describe(self, X: pd.DataFrame, quotes: pd.DataFrame | None = None, *, codes: Sequence[str] | None = None,
                 n_typical: int = 3, top_codes: int = 5, per_code: int = 2, min_cases: int = 2) -> ClusterDescription:
        """What each cluster is about: its over-represented codes (0/1 columns of X, or
        `codes`), its most typical cases, and quotes from those cases (`quotes`: a codings
        frame with case, code, text; rejected codings are left out). A code counts as
        over-represented only if at least `min_cases` of the cluster's cases have it."""
        frame = self._check_same(X)
        # `codes` may name 0/1 columns of X that were not clustered on (clusters of profile
        # scores are still described by the codes their cases have).
        given = _frame(X).rename(columns=str)
        labels = self.labels_
        columns = list(codes) if codes is not None else self.schema_.of(BINARY)
        rows = []
        for c in range(self.k_):
            inside = labels == c
            for code in columns:
                values = given[code].fillna(0).to_numpy(dtype=float) > 0
                a, b = int(values[inside].sum()), int(inside.sum() - values[inside].sum())
                cc, d = int(values[~inside].sum()), int((~inside).sum() - values[~inside].sum())
                share_in = a / (a + b)
                share_rest = cc / (cc + d) if cc + d else 0.0
                # One case is an anecdote, not a mark of the cluster (unless the cluster is one case).
                if share_in <= share_rest or a < min(min_cases, int(inside.sum())):
                    continue
                log_odds = math.log((a + 0.5) * (d + 0.5) / ((b + 0.5) * (cc + 0.5)))
                rows.append({"cluster": c, "code": code, "n_cluster": a, "share_cluster": share_in,
                             "share_rest": share_rest, "difference": share_in - share_rest, "log_odds": log_odds})
        code_columns = ["cluster", "code", "n_cluster", "share_cluster", "share_rest", "difference", "log_odds"]
        table = pd.DataFrame(rows, columns=code_columns)
        table = table.sort_values(["cluster", "log_odds", "difference", "code"],
                                  ascending=[True, False, False, True], kind="mergesort").reset_index(drop=True)

        to_center = self._center_distances(frame)[np.arange(len(frame)), labels]
        typical = pd.DataFrame({"cluster": labels, "case": list(self.cases_),
                                "silhouette": self.silhouette_samples_, "distance": to_center})
        typical = (typical.sort_values(["cluster", "silhouette", "distance"], ascending=[True, False, True],
                                       kind="mergesort")
                   .groupby("cluster", sort=True).head(n_typical).reset_index(drop=True))
        typical.insert(1, "rank", typical.groupby("cluster").cumcount() + 1)

        sizes = pd.Series(np.bincount(labels, minlength=self.k_), index=pd.RangeIndex(self.k_, name="cluster"),
                          name="cases")
        return ClusterDescription(sizes, table, typical, _quotes(quotes, table, typical, top_codes, per_code))

    name_clusters = staticmethod(name_clusters)
