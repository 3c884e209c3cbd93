"""What a cluster typology says about its clusters (see cluster.py): stability over bootstrap
resamples, a description of each cluster (its codes, typical cases and quotes), the names the
rule types give the clusters, and the title a cluster is shown under.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from sklearn.metrics import adjusted_rand_score

from qualcode.analysis.typology import UNASSIGNED
from qualcode.wording import count

# --- results -------------------------------------------------------------------------------


@dataclass
class Stability:
    """Adjusted Rand index between the fitted clusters and clusters re-fitted on bootstrap
    resamples (k fixed at the fitted k), compared on the resampled cases, and how stable
    each case's place is (`per_case`)."""

    mean: float
    std: float
    low: float  # 2.5th percentile
    high: float  # 97.5th percentile
    scores: np.ndarray
    k: int
    # Per fitted case (in `cases_` order): the mean Jaccard index of its cluster-mates in the
    # fit and in each re-fit whose resample drew it; 1 = always with the same cases, NaN = never drawn.
    per_case: np.ndarray | None = None


@dataclass
class ClusterDescription:
    """What each cluster is about.

    `sizes`: cases per cluster. `codes`: per cluster, the over-represented 0/1 columns with
    n_cluster, share_cluster, share_rest, difference and log_odds (0.5-smoothed), strongest
    first. `typical`: the most typical cases per cluster (highest silhouette, then closest
    to the medoid/mode/centroid). `quotes`: up to `per_code` quotes per top code from the
    typical cases.
    """

    sizes: pd.Series
    codes: pd.DataFrame
    typical: pd.DataFrame
    quotes: pd.DataFrame


@dataclass
class ClusterNames:
    """`mapping`: cluster → name (a rule type, or "cluster N" when none matches);
    `crosstab`: clusters × rule types; `ari`: adjusted Rand index between the two."""

    mapping: dict[int, str]
    crosstab: pd.DataFrame
    ari: float


def _quotes(codings: pd.DataFrame | None, codes: pd.DataFrame, typical: pd.DataFrame,
            top_codes: int, per_code: int) -> pd.DataFrame:
    base = ["cluster", "code", "case", "text"]
    if codings is None:
        return pd.DataFrame(columns=base)
    missing = {"case", "code", "text"} - set(codings.columns)
    if missing:
        raise ValueError(f"quotes need the codings columns case, code, text; missing: {', '.join(sorted(missing))}")
    extra = [c for c in ("transcript", "start", "end") if c in codings.columns]
    pool = codings
    if "status" in pool.columns:
        pool = pool[pool["status"] != "rejected"]  # a rejected coding is no evidence for the code
    out = []
    for c, top in codes.groupby("cluster", sort=True):
        ranks = typical[typical["cluster"] == c].set_index("case")["rank"]
        chosen = pool[pool["case"].isin(ranks.index) & pool["code"].isin(top["code"].head(top_codes))].copy()
        if chosen.empty:
            continue
        chosen["_rank"] = chosen["case"].map(ranks)
        # Quotes a person coded or accepted come before the rules' unreviewed suggestions.
        column = chosen.get
        human = column("origin", pd.Series("manual", index=chosen.index)).isin(["manual", "import"])
        accepted = column("status", pd.Series("accepted", index=chosen.index)).eq("accepted")
        chosen["_trust"] = 2 - (human & accepted).astype(int) - accepted.astype(int)
        chosen = chosen.sort_values(["_trust", "_rank", *[e for e in ("transcript", "start") if e in extra]],
                                    kind="mergesort")
        # Round-robin over cases: the second quote of a code comes from another typical case
        # when there is one, rather than from the same case again.
        chosen["_turn"] = chosen.groupby(["code", "case"]).cumcount()
        chosen = chosen.sort_values(["_turn", "_trust", "_rank"], kind="mergesort").groupby("code").head(per_code)
        order = {code: i for i, code in enumerate(top["code"])}
        chosen = chosen.assign(cluster=c, _code=chosen["code"].map(order))
        out.append(chosen.sort_values(["_code", "_turn", "_rank"], kind="mergesort")[[*base, *extra]])
    if not out:
        return pd.DataFrame(columns=[*base, *extra])
    return pd.concat(out, ignore_index=True)


def name_clusters(labels: pd.Series | Sequence[int] | np.ndarray, rule_types: pd.Series) -> ClusterNames:
    """Name clusters after the rule types they agree with most, one type per cluster.

    The pairing maximises the number of cases on which clusters and types agree (Hungarian
    assignment on the cross-tab); a cluster paired with no type, or with one it shares no
    case with, is "cluster N". `unassigned` is never a name. `labels` is a Series indexed
    by case (aligned with rule_types by case) or a sequence in rule_types' order.
    """
    if isinstance(labels, pd.Series):
        both = pd.concat([labels.rename("cluster"), rule_types.rename("rule_type")], axis=1, join="inner")
    else:
        values = np.asarray(labels)
        if len(values) != len(rule_types):
            raise ValueError(f"{len(values)} labels but {len(rule_types)} rule types")
        both = pd.DataFrame({"cluster": values, "rule_type": rule_types.to_numpy()}, index=rule_types.index)
    both = both.dropna()
    table = pd.crosstab(both["cluster"], both["rule_type"])
    candidates = [t for t in table.columns if t != UNASSIGNED]
    mapping = {int(c): f"cluster {int(c)}" for c in table.index}
    if candidates:
        counts = table[candidates].to_numpy()
        rows, cols = linear_sum_assignment(counts, maximize=True)
        for r, col in zip(rows, cols, strict=True):
            if counts[r, col] > 0:
                mapping[int(table.index[r])] = str(candidates[col])
    ari = float(adjusted_rand_score(both["rule_type"].astype(str), both["cluster"]))
    return ClusterNames(mapping, table, ari)


def cluster_title(number: int, name: str | None, size: int | None = None) -> str:
    """How a cluster is shown: "Cluster 2 — survival (5 cases)", or "Cluster 2 (1 case)" when it
    has no name of its own (name_clusters calls such a cluster "cluster 2": said once, not twice)."""
    title = f"Cluster {number}"
    if name and name.strip().casefold() != f"cluster {number}":
        title += f" — {name}"
    return title + (f" ({count(size, 'case')})" if size is not None else "")
