"""Analysis at scale: case × code matrices on 100,000 cases × 60 codes, and typologies on 24,
1,000 and 20,000 cases, each beside a floor measured in the same run.

    .venv/bin/python benchmarks/analysis_scale.py [--cases 100000] [--codes 60] [--seed 0]

Floors: for matrices, `pandas.crosstab(case, code)` on the same codings (a count table with
nothing else); for typologies, scikit-learn's AgglomerativeClustering on a precomputed
Jaccard matrix at one fixed k (no silhouette search, stability or descriptions). The data are
synthetic: three latent types, each with its own code probabilities, so clusters exist.
"""

from __future__ import annotations

import argparse
import gc
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qualcode.analysis import case_code_matrix, code_by_attribute, cooccurrence
from qualcode.analysis.cluster import ClusterTypology
from qualcode.analysis.report import typology_report
from qualcode.codebook import Codebook, loads

WORDS = "we moved north because work was scarce and the family needed money for the house".split()  # noqa: SIM905


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(label: str, fn: Callable[[], object], rows: list[dict]) -> object:
    gc.collect()
    t = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - t
    rows.append({"stage": label, "seconds": round(seconds, 3), "peak_rss_mb": round(rss_mb())})
    print(f"{label:<62} {seconds:8.3f} s   peak RSS {rss_mb():7.0f} MB", flush=True)
    return result


def synthetic(n_cases: int, n_codes: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame,
                                                                   pd.DataFrame, dict[str, str], np.ndarray]:
    """Codings, cases, turns, transcripts and texts for n_cases interviews of 3 latent types."""
    rng = np.random.default_rng(seed)
    codes = [f"g{c // 10}.c{c:02d}" for c in range(n_codes)]
    types = rng.integers(0, 3, n_cases)
    probs = rng.uniform(0.02, 0.15, (3, n_codes))
    for t in range(3):  # each type has a block of codes it mentions often
        probs[t, t * n_codes // 3:(t + 1) * n_codes // 3] = rng.uniform(0.5, 0.9, n_codes // 3)
    has = rng.random((n_cases, n_codes)) < probs[types]
    counts = has * rng.integers(1, 4, (n_cases, n_codes))
    case_ids = np.array([f"R{i:06d}" for i in range(n_cases)])
    ci, cj = np.nonzero(counts)
    reps = counts[ci, cj]
    ci, cj = np.repeat(ci, reps), np.repeat(cj, reps)
    n_words = 60
    text = " ".join(WORDS[i % len(WORDS)] for i in range(n_words))
    starts = rng.integers(0, len(text) - 40, len(ci))
    codings = pd.DataFrame({
        "transcript": case_ids[ci], "case": case_ids[ci], "code": np.array(codes)[cj],
        "start": starts, "end": starts + 30, "status": "suggested", "origin": "rule", "coder": None,
    })
    cases = pd.DataFrame({"case": case_ids, "gender": np.where(rng.random(n_cases) < 0.5, "female", "male"),
                          "region": rng.choice(["south", "west", "east", "centre"], n_cases)})
    turns = pd.DataFrame({"transcript": case_ids, "turn": 1, "role": "respondent", "start": 0, "end": len(text)})
    transcripts = pd.DataFrame({"transcript": case_ids, "case": case_ids})
    texts = dict.fromkeys(case_ids.tolist(), text)
    return codings, cases, turns, transcripts, texts, types


def matrices(n_cases: int, n_codes: int, seed: int, rows: list[dict]) -> None:
    print(f"\n== Matrices: {n_cases:,} cases × {n_codes} codes ==")
    codings, cases, turns, transcripts, texts, _ = timed(
        "make synthetic codings", lambda: synthetic(n_cases, n_codes, seed), rows)
    print(f"   {len(codings):,} codings")
    ids = list(cases["case"])
    timed("floor: pandas.crosstab(case, code)", lambda: pd.crosstab(codings["case"], codings["code"]), rows)
    presence = timed("qualcode presence matrix", lambda: case_code_matrix(codings, ids, kind="presence"), rows)
    timed("qualcode count matrix", lambda: case_code_matrix(codings, ids, kind="count"), rows)
    timed("qualcode coverage matrix (% of respondent words)", lambda: case_code_matrix(
        codings, ids, kind="coverage", turns=turns, transcripts=transcripts, texts=texts), rows)
    timed("cross-tab by gender (Fisher per code)", lambda: code_by_attribute(presence, cases, "gender"), rows)
    timed("cross-tab by region (chi-square, 4 values)", lambda: code_by_attribute(presence, cases, "region"), rows)
    timed("co-occurrence, same case (counts + Jaccard)", lambda: cooccurrence(codings, scope="case"), rows)


BOOK = """
name: bench
version: "1"
languages: [en]
codes:
{codes}
profiles:
  - {id: first, name: First, weights: {g0.c00: 1, g0.c01: 1, g0.c02: 1, g1.c10: 1}}
  - {id: third, name: Third, weights: {g4.c40: 1, g4.c41: 1, g4.c42: 1, g5.c50: 1}}
types:
  - {id: one, name: One, when: "first >= 3"}
  - {id: three, name: Three, when: "third >= 3"}
  - {id: two, name: Two, when: "true"}
"""


def typologies(sizes: list[int], n_codes: int, seed: int, rows: list[dict]) -> None:
    groups = sorted({f"g{c // 10}" for c in range(n_codes)})
    listed = [f"  - {{id: {g}, name: {g}}}" for g in groups]
    listed += [f"  - {{id: g{c // 10}.c{c:02d}, name: c{c:02d}}}" for c in range(n_codes)]
    book = loads(BOOK.replace("{codes}", "\n".join(listed)), "bench.yaml")
    for n in sizes:
        one_size(n, n_codes, seed, book, rows)


def one_size(n: int, n_codes: int, seed: int, book: Codebook, rows: list[dict]) -> None:
    from scipy.spatial.distance import pdist, squareform
    from sklearn.cluster import AgglomerativeClustering

    print(f"\n== Typology: {n:,} cases × {n_codes} codes ==")
    codings, cases, _, _, _, types = synthetic(n, n_codes, seed)
    presence = case_code_matrix(codings, list(cases["case"]), kind="presence")
    every = list(presence.columns)
    if n <= 5000:
        timed("floor: sklearn Agglomerative, Jaccard, k=3 fixed", lambda: AgglomerativeClustering(
            n_clusters=3, metric="precomputed", linkage="average").fit(
            squareform(pdist(presence.to_numpy(bool), "jaccard"))), rows)
        report = timed("qualcode: rules + agglomerative, k auto 2-6, 50 bootstraps, quotes", lambda:
                       typology_report(presence, cases, book=book, codes=every, quotes=codings.assign(
                           text="…")), rows)
        timed("qualcode: the same, plus profile-space clusters compared (structures=True)", lambda:
              typology_report(presence, cases, book=book, codes=every, quotes=codings.assign(text="…"),
                              structures=True), rows)
        truth = pd.Series(types, index=presence.index)
        from sklearn.metrics import adjusted_rand_score
        print(f"   k={report.model.k_}, silhouette {report.model.silhouette_:.2f}, stability "
              f"{report.stability.mean:.2f}, ARI vs latent types "
              f"{adjusted_rand_score(truth, report.model.labels_):.2f}")
    else:
        def refused() -> str:
            try:
                ClusterTypology("agglomerative", k=3).fit(presence)
            except ValueError as exc:
                return str(exc)
            return "not refused"
        message = timed("agglomerative refuses (N × N distances)", refused, rows)
        print(f"   {message}")
    timed("qualcode: k-modes, k auto 2-6, 20 bootstraps", lambda: typology_report(
        presence, cases, book=book, method="cluster", codes=every, algorithm="kmodes", n_bootstrap=20), rows)
    timed("qualcode: k-means, k auto 2-6, 20 bootstraps", lambda: typology_report(
        presence, cases, book=book, method="cluster", codes=every, algorithm="kmeans", n_bootstrap=20), rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--codes", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rows: list[dict] = []
    typologies([24, 1000, 20_000], args.codes, args.seed, rows)
    matrices(args.cases, args.codes, args.seed, rows)
    print(f"\npeak RSS of the whole run: {rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
