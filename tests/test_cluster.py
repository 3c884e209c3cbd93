"""Cluster typology: known groups recovered, distances and silhouettes checked against scipy and
scikit-learn, Gower by hand, stability, description, naming, refusals and determinism."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from scipy.cluster.hierarchy import fcluster
from scipy.spatial.distance import pdist, squareform
from sklearn.base import clone
from sklearn.metrics import adjusted_rand_score, silhouette_samples, silhouette_score

from qualcode.analysis.cluster import (
    ClusterTypology,
    gower_distances,
    jaccard_distances,
    kmodes,
    name_clusters,
)

METHODS = ["agglomerative", "kmodes", "kmeans"]

# Three migrant types, each with its own four codes.
PROFILES = {
    "survival": ["push.work", "goals.survival", "remittances", "housing.rent"],
    "development": ["goals.education", "own.housing", "career", "language.kazakh"],
    "mixed": ["family.reunion", "network.diaspora", "trade", "seasonal"],
}
CODES = [c for codes in PROFILES.values() for c in codes]


def corpus(seed: int = 0, noise: float = 0.05) -> tuple[pd.DataFrame, pd.Series]:
    """30 cases, 10 per type: the type's codes present, the others absent, each bit flipped
    with probability `noise`."""
    rng = np.random.RandomState(seed)
    rows, truth, names = [], [], []
    for kind, core in PROFILES.items():
        for i in range(10):
            row = np.array([int(c in core) for c in CODES])
            flip = rng.rand(len(CODES)) < noise
            row[flip] = 1 - row[flip]
            rows.append(row)
            truth.append(kind)
            names.append(f"{kind[:3]}{i:02d}")
    index = pd.Index(names, name="case")
    return pd.DataFrame(rows, index=index, columns=CODES), pd.Series(truth, index=index, name="type")


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, pd.Series]:
    return corpus()


@pytest.fixture(scope="module")
def fitted(data: tuple[pd.DataFrame, pd.Series]) -> dict[str, ClusterTypology]:
    X, _ = data
    return {m: ClusterTypology(m, random_state=0).fit(X) for m in METHODS}


@pytest.mark.parametrize("method", METHODS)
def test_known_groups_recovered_with_k_chosen_by_silhouette(method: str, data, fitted) -> None:
    X, truth = data
    est = fitted[method]
    assert est.k_ == 3
    assert adjusted_rand_score(truth, est.labels_) == 1.0
    assert list(est.scores_.index) == list(range(2, 9))
    assert est.scores_.idxmax() == 3 and est.silhouette_ == pytest.approx(est.scores_[3])
    assert len(est.silhouette_samples_) == len(X)
    assert list(est.labels_series().index) == list(X.index)
    assert np.array_equal(ClusterTypology(method, random_state=0).fit_predict(X), est.labels_)


def test_silhouette_is_sklearn_silhouette_on_the_same_distance(data, fitted) -> None:
    X, _ = data
    jaccard = squareform(pdist(X.to_numpy(dtype=bool), metric="jaccard"))
    est = fitted["agglomerative"]
    assert est.silhouette_ == pytest.approx(silhouette_score(jaccard, est.labels_, metric="precomputed"))
    np.testing.assert_allclose(est.silhouette_samples_, silhouette_samples(jaccard, est.labels_, metric="precomputed"))
    # k-modes is scored on its own distance, the share of differing columns (Hamming).
    hamming = squareform(pdist(X.to_numpy(), metric="hamming"))
    est = fitted["kmodes"]
    assert est.silhouette_ == pytest.approx(silhouette_score(hamming, est.labels_, metric="precomputed"))
    # And every k tried is scored the same way: re-cut the tree at k=4 and compare.
    four = ClusterTypology(k=4).fit(X)
    assert fitted["agglomerative"].scores_[4] == pytest.approx(
        silhouette_score(jaccard, four.labels_, metric="precomputed"))


def test_jaccard_distances_match_scipy() -> None:
    X = pd.DataFrame([[1, 0, 1, 1], [0, 0, 0, 0], [1, 1, 0, 1], [0, 0, 0, 0], [0, 1, 1, 0]],
                     columns=["a", "b", "c", "d"])
    ours = jaccard_distances(X)
    np.testing.assert_allclose(ours, squareform(pdist(X.to_numpy(dtype=bool), metric="jaccard")))
    assert ours[1, 3] == 0.0  # two cases with no codes are not told apart


def test_gower_by_hand() -> None:
    X = pd.DataFrame({"push.work": [1, 1, 0], "career": [0, 1, 1], "age": [20, 40, 30],
                      "region": ["Almaty", "Astana", None]}, index=["x", "y", "z"])
    # age range 20; z's region is missing, so x–z and y–z average over 3 columns, not 4.
    expected = np.array([
        [0, (0 + 1 + 20 / 20 + 1) / 4, (1 + 1 + 10 / 20) / 3],
        [(0 + 1 + 20 / 20 + 1) / 4, 0, (1 + 0 + 10 / 20) / 3],
        [(1 + 1 + 10 / 20) / 3, (1 + 0 + 10 / 20) / 3, 0],
    ])
    np.testing.assert_allclose(gower_distances(X), expected)
    # Dates count as numbers (days); an unseen category differs from every known one.
    dates = pd.DataFrame({"arrived": [dt.date(2020, 1, 1), dt.date(2020, 1, 11), dt.date(2020, 1, 21)]})
    np.testing.assert_allclose(gower_distances(dates)[0], [0, 0.5, 1])
    new = pd.DataFrame({"push.work": [1], "career": [0], "age": [20], "region": ["Shymkent"]})
    assert gower_distances(X, new)[0, 0] == pytest.approx(1 / 4)


def test_gower_clusters_codes_with_attributes(data) -> None:
    X, truth = data
    rng = np.random.RandomState(1)
    mixed = X.assign(
        region=np.where(truth == "development", "Astana", "Almaty"),
        age=np.where(truth == "survival", 25, 40) + rng.randint(0, 5, len(X)),
    )
    mixed.loc[mixed.index[0], "region"] = None  # Gower skips a missing value pairwise
    est = ClusterTypology(metric="gower", random_state=0).fit(mixed)
    assert est.metric_ == "gower" and est.k_ == 3
    assert adjusted_rand_score(truth, est.labels_) == 1.0
    assert set(est.cluster_centers_.columns) == set(mixed.columns)
    kmeans = ClusterTypology("kmeans", random_state=0).fit(mixed.fillna({"region": "Almaty"}))
    assert adjusted_rand_score(truth, kmeans.labels_) == 1.0


def test_large_n_refused_for_agglomerative_with_a_pointer(data) -> None:
    X, _ = data
    with pytest.raises(ValueError, match=r"30 cases.*max_agglomerative=20.*method='kmodes'.*method='kmeans'"):
        ClusterTypology(max_agglomerative=20).fit(X)
    assert ClusterTypology("kmodes", max_agglomerative=20, random_state=0).fit(X).k_ == 3


@pytest.mark.parametrize("method", METHODS)
def test_predict_puts_a_perturbed_copy_in_its_cluster(method: str, data, fitted) -> None:
    X, _ = data
    est = fitted[method]
    for position in (0, 12, 25):
        copy = X.iloc[[position]].copy()
        other = next(c for c in CODES if copy.iloc[0][c] == 0)
        copy[other] = 1  # one stray code more
        assert est.predict(copy)[0] == est.labels_[position]
    if method != "agglomerative":  # modes and centroids are what fit assigned by
        assert np.array_equal(est.predict(X), est.labels_)


def test_stability_high_on_separated_data_lower_on_noise(data, fitted) -> None:
    X, _ = data
    separated = fitted["agglomerative"].stability(X, n_bootstrap=20, random_state=1)
    assert separated.mean >= 0.95 and separated.k == 3 and len(separated.scores) == 20
    assert separated.low <= separated.mean <= separated.high
    noise = pd.DataFrame((np.random.RandomState(5).rand(30, 12) < 0.4).astype(int),
                         columns=[f"c{i}" for i in range(12)])
    for method in ("agglomerative", "kmodes"):
        random = ClusterTypology(method, random_state=0).fit(noise).stability(noise, n_bootstrap=20, random_state=1)
        assert random.mean < 0.8 and random.std > 0.05


def test_stability_per_case_marks_the_case_between_two_groups(data, fitted) -> None:
    """Per case: the mean Jaccard index of its cluster-mates in the fit and in each re-fit.
    On separated groups every case keeps its mates; a case made half of one profile and half
    of another sits between them, and its place is the least stable of all."""
    X, _ = data
    separated = fitted["agglomerative"].stability(X, n_bootstrap=20, random_state=1)
    assert separated.per_case.shape == (len(X),) and np.nanmin(separated.per_case) >= 0.95
    between = X.copy()
    half = [c for c in CODES if X.loc["sur00", c]][:2] + [c for c in CODES if X.loc["dev00", c]][:2]
    between.loc["sur00"] = 0
    between.loc["sur00", half] = 1
    est = ClusterTypology(random_state=0, k=3).fit(between)
    per_case = pd.Series(est.stability(between, n_bootstrap=40, random_state=1).per_case, index=between.index)
    assert per_case.between(0, 1).all() and per_case.idxmin() == "sur00" and per_case["sur00"] < 0.9


def test_describe_codes_typical_cases_and_quotes(data, fitted) -> None:
    X, truth = data
    est = fitted["agglomerative"]
    survival = int(est.labels_[list(X.index).index("sur00")])
    codings = pd.DataFrame(
        [{"case": case, "code": code, "text": f"{case} on {code} #{n}", "status": "accepted", "start": n}
         for case in X.index for code in CODES if X.loc[case, code] for n in (0, 1)]
        + [{"case": "sur00", "code": "push.work", "text": "rejected", "status": "rejected", "start": 9}])
    out = est.describe(X, codings)
    assert out.sizes.tolist() == [10, 10, 10]
    top = out.codes[out.codes["cluster"] == survival]
    assert set(top["code"].head(4)) == set(PROFILES["survival"])
    row = top.iloc[0]
    members = X[truth == "survival"]
    a = int(members[row["code"]].sum())
    c = int(X[truth != "survival"][row["code"]].sum())
    expected = np.log((a + 0.5) * (20 - c + 0.5) / ((10 - a + 0.5) * (c + 0.5)))
    assert row["log_odds"] == pytest.approx(expected)
    assert row["difference"] == pytest.approx(a / 10 - c / 20)
    assert (out.codes["difference"] > 0).all()

    typical = out.typical[out.typical["cluster"] == survival]
    assert typical["rank"].tolist() == [1, 2, 3]
    assert set(truth[typical["case"]]) == {"survival"}
    assert typical["silhouette"].is_monotonic_decreasing

    quotes = out.quotes[out.quotes["cluster"] == survival]
    assert not quotes.empty and "rejected" not in set(quotes["text"])
    assert quotes.groupby("code").size().max() <= 2
    assert set(quotes["case"]) <= set(typical["case"]) and set(quotes["code"]) <= set(top["code"].head(5))
    # Two quotes of a code come from two typical cases when two have it.
    for _, group in quotes.groupby("code"):
        assert group["case"].nunique() == len(group)
    assert est.describe(X).quotes.empty


def test_name_clusters_on_a_hand_made_crosstab() -> None:
    # cluster 0: 3 survival, 1 development; cluster 1: 2 development, 2 mixed, 1 survival;
    # cluster 2: 3 mixed; cluster 3: 2 unassigned (never a name).
    labels = [0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 3, 3]
    types = pd.Series(["survival"] * 3 + ["development"] + ["development"] * 2 + ["mixed"] * 2 + ["survival"]
                      + ["mixed"] * 3 + ["unassigned"] * 2, index=[f"c{i}" for i in range(14)])
    result = name_clusters(labels, types)
    assert result.mapping == {0: "survival", 1: "development", 2: "mixed", 3: "cluster 3"}
    assert result.crosstab.loc[1].to_dict() == {"development": 2, "mixed": 2, "survival": 1, "unassigned": 0}
    assert result.ari == pytest.approx(adjusted_rand_score(types, labels))
    # A Series of labels is aligned by case, not by position.
    shuffled = pd.Series(labels, index=types.index)[::-1]
    assert name_clusters(shuffled, types).mapping == result.mapping


def test_fitted_clusters_named_after_the_true_types(data, fitted) -> None:
    _, truth = data
    est = fitted["kmodes"]
    names = ClusterTypology.name_clusters(est.labels_series(), truth)
    assert names.ari == 1.0
    assert {names.mapping[label] for label in est.labels_[truth == "survival"]} == {"survival"}
    assert sorted(names.mapping.values()) == sorted(PROFILES)


@pytest.mark.parametrize("method", ["kmodes", "kmeans"])
def test_same_random_state_same_result(method: str) -> None:
    X, _ = corpus(seed=3, noise=0.2)  # noisy enough that starts matter
    a = ClusterTypology(method, random_state=7).fit(X)
    b = ClusterTypology(method, random_state=7).fit(X)
    assert np.array_equal(a.labels_, b.labels_)
    pd.testing.assert_series_equal(a.scores_, b.scores_)
    pd.testing.assert_frame_equal(a.cluster_centers_, b.cluster_centers_)
    np.testing.assert_array_equal(a.stability(X, n_bootstrap=5, random_state=2).scores,
                                  b.stability(X, n_bootstrap=5, random_state=2).scores)


def test_kmodes_finds_the_modes() -> None:
    codes = np.array([[0, 0, 1], [0, 0, 1], [0, 1, 1], [2, 1, 0], [2, 1, 0], [2, 0, 0]])
    labels, modes, cost = kmodes(codes, 2, n_init=5, random_state=0)
    assert adjusted_rand_score([0, 0, 0, 1, 1, 1], labels) == 1.0
    assert sorted(map(tuple, modes.tolist())) == [(0, 0, 1), (2, 1, 0)] and cost == 2


def test_kmodes_on_categories_and_linkage_for_a_dendrogram(data) -> None:
    X, truth = data
    categorical = X.assign(region=np.where(truth == "mixed", "South", "North"))
    est = ClusterTypology("kmodes", random_state=0).fit(categorical)
    assert adjusted_rand_score(truth, est.labels_) == 1.0
    assert set(est.cluster_centers_["region"]) == {"North", "South"}
    tree = ClusterTypology(k=3).fit(X)
    assert tree.linkage_.shape == (len(X) - 1, 4) and len(tree.medoids_) == 3
    assert adjusted_rand_score(fcluster(tree.linkage_, 3, criterion="maxclust"), tree.labels_) == 1.0
    ward = ClusterTypology(metric="euclidean", linkage="ward", k=3).fit(X)
    assert adjusted_rand_score(truth, ward.labels_) == 1.0


def test_bad_settings_are_clear_errors(data) -> None:
    X, _ = data
    with pytest.raises(ValueError, match=r"linkage='ward' needs Euclidean.*method='kmeans'"):
        ClusterTypology(linkage="ward").fit(X)
    with pytest.raises(ValueError, match=r"not 0/1: age.*metric='gower'"):
        ClusterTypology().fit(X.assign(age=30 + np.arange(len(X))))
    with pytest.raises(ValueError, match=r"k-modes needs 0/1 or categorical columns; numeric: age"):
        ClusterTypology("kmodes").fit(X.assign(age=30 + np.arange(len(X))))
    with pytest.raises(ValueError, match="missing values in region"):
        ClusterTypology("kmeans").fit(X.assign(region=[None] + ["a"] * (len(X) - 1)))
    with pytest.raises(ValueError, match="k must be 'auto' or a number from 2 to 29"):
        ClusterTypology(k=30).fit(X)
    with pytest.raises(ValueError, match="method must be one of"):
        ClusterTypology("dbscan").fit(X)
    with pytest.raises(ValueError, match="lacks the columns"):
        ClusterTypology(random_state=0).fit(X).predict(X.drop(columns="career"))
    est = clone(ClusterTypology("kmeans", k=4, random_state=3))
    assert est.get_params()["k"] == 4 and est.get_params()["method"] == "kmeans"
