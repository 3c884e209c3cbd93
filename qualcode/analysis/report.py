"""A typology report: the codebook's rule types and the data's clusters, side by side.

This is what `qualcode typology` and the Typology page show. It puts the two typologies
of the same cases in one table (case, rule_type, cluster, cluster_label, silhouette and
the reasons), names the clusters after the rule types they agree with most, and says how
far the two agree (adjusted Rand index and the cross-tab). Either half may be left out.

Default features for clustering are the codes the codebook's profiles use: the codes
the theory says matter. Clustering on every code of a rich codebook mostly groups cases
by topic (who talked about housing), not by migration strategy; `codes` widens or
narrows the selection with glob patterns.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from qualcode.analysis.cluster import ClusterDescription, ClusterNames, ClusterTypology, Stability, name_clusters
from qualcode.analysis.typology import RuleTypology, rule_typology
from qualcode.codebook import Codebook
from qualcode.errors import QualcodeError

METHODS = ("rules", "cluster", "both")
WEAK = 0.25  # mean silhouette below this: no substantial structure (Kaufman & Rousseeuw's rule of thumb)
COLUMNS = ["case", "rule_type", "cluster", "cluster_label", "silhouette"]


@dataclass
class TypologyReport:
    """`cases`: one row per case with COLUMNS, then `reason` and the profile scores (rule
    columns are empty when only clusters were asked for, and the reverse).
    `features`: the case × feature frame that was clustered. `crosstab`: cluster_label ×
    rule_type; `ari`: their adjusted Rand index (both only for method="both")."""

    cases: pd.DataFrame
    method: str
    rule: RuleTypology | None = None
    model: ClusterTypology | None = None
    features: pd.DataFrame | None = None
    names: ClusterNames | None = None
    description: ClusterDescription | None = None
    stability: Stability | None = None

    @property
    def crosstab(self) -> pd.DataFrame | None:
        if self.names is None or self.rule is None:
            return None
        table = self.names.crosstab.copy()
        table.index = [self.names.mapping[int(c)] for c in table.index]
        table.index.name = "cluster_label"
        return table

    @property
    def weak(self) -> bool:
        """The clusters are weak: mean silhouette below WEAK, so treat them as tentative."""
        return self.model is not None and self.model.silhouette_ < WEAK

    @property
    def ari(self) -> float | None:
        return None if self.names is None or self.rule is None else self.names.ari


def select_codes(columns: Sequence[str], patterns: Sequence[str]) -> list[str]:
    """The codes matching any glob pattern (`push.*`, `resource*`); a bare parent id such as
    `push` selects its children too. Every pattern must match something (E721)."""
    chosen: list[str] = []
    for pattern in patterns:
        hits = [c for c in columns if fnmatch.fnmatchcase(c, pattern) or c.startswith(pattern + ".")]
        if not hits:
            raise QualcodeError("E721", pattern=pattern, known=", ".join(columns) or "(none)")
        chosen.extend(h for h in hits if h not in chosen)
    return chosen


def default_codes(book: Codebook | None, columns: Sequence[str]) -> list[str]:
    """The codes the codebook's profiles weigh (the theory's features), else every code."""
    if book is not None and book.profiles:
        weighted = {code for profile in book.profiles for code in profile.weights}
        chosen = [c for c in columns if c in weighted]
        if chosen:
            return chosen
    return list(columns)


def features(presence: pd.DataFrame, cases: pd.DataFrame, codes: Sequence[str],
             attributes: Sequence[str] = ()) -> pd.DataFrame:
    """The case × feature frame: 0/1 code columns that vary (a code no case or every case
    has tells clusters nothing) joined with attribute columns."""
    frame = presence.reindex(columns=list(codes), fill_value=0)
    frame = frame.loc[:, frame.nunique() > 1]
    if attributes:
        known = [c for c in cases.columns if c != "case"]
        for name in attributes:
            if name not in known:
                raise QualcodeError("E722", name=name, known=", ".join(known) or "(none)")
        frame = frame.join(cases.set_index("case")[list(attributes)], how="left")
    return frame


def typology_report(
    presence: pd.DataFrame,
    cases: pd.DataFrame,
    *,
    book: Codebook | None = None,
    method: str = "both",
    codes: Sequence[str] | None = None,
    attributes: Sequence[str] = (),
    k: int | str = "auto",
    k_range: tuple[int, int] = (2, 6),
    algorithm: str = "agglomerative",
    metric: str | None = None,
    linkage: str = "average",
    random_state: int = 0,
    n_bootstrap: int = 50,
    quotes: pd.DataFrame | None = None,
    max_agglomerative: int = 5000,
) -> TypologyReport:
    """Rule types (needs `book` with types), clusters, or both, for the cases of `presence`.

    `metric` defaults to Jaccard for codes alone and Gower when attributes join them.
    `quotes` (a codings frame) gives each cluster representative quotes. Problems with the
    data (too few cases, features all alike, too many cases for agglomerative clustering)
    raise E720 with the reason and what to do instead.
    """
    if method not in METHODS:
        raise QualcodeError("E709", key="method", value=method, hint=f"Use one of: {', '.join(METHODS)}.")
    out = pd.DataFrame({"case": list(presence.index)})
    report = TypologyReport(out, method)
    if method in ("rules", "both"):
        if book is None or not book.types:
            raise QualcodeError("E720", reason="the codebook defines no `types`, so there is no rule typology; "
                                               "use --method cluster, or add types to the codebook")
        report.rule = rule_typology(book, presence)
        out = out.merge(report.rule.cases, on="case", how="left")
    else:
        out["rule_type"] = None
    if method in ("cluster", "both"):
        chosen = select_codes(list(presence.columns), codes) if codes else default_codes(book, presence.columns)
        frame = features(presence, cases, chosen, attributes)
        model = ClusterTypology(
            algorithm, metric=metric or ("gower" if attributes else "jaccard"), linkage=linkage, k=k,
            k_range=k_range, random_state=random_state, n_bootstrap=n_bootstrap,
            max_agglomerative=max_agglomerative,
            # Past a few thousand cases the full silhouette per k costs N²: choose k on a sample.
            silhouette_sample=2000 if len(frame) > 2000 else None)
        try:
            model.fit(frame)
            report.stability = model.stability(frame) if n_bootstrap else None
        except ValueError as exc:
            raise QualcodeError("E720", reason=str(exc)) from None
        labels = model.labels_series()
        if report.rule is not None:
            report.names = name_clusters(labels, report.rule.cases.set_index("case")["rule_type"])
            mapping = report.names.mapping
        else:
            mapping = {c: f"cluster {c}" for c in range(model.k_)}
        report.model, report.features = model, frame
        report.description = model.describe(frame, quotes)
        per_case = pd.DataFrame({"case": list(labels.index), "cluster": labels.to_numpy(),
                                 "cluster_label": [mapping[int(c)] for c in labels],
                                 "silhouette": np.round(model.silhouette_samples_, 4)})
        out = out.merge(per_case, on="case", how="left")
    else:
        out["cluster"] = pd.NA
        out["cluster_label"] = None
        out["silhouette"] = np.nan
    rest = sorted((c for c in out.columns if c not in COLUMNS), key=lambda c: c != "reason")
    report.cases = out[[*COLUMNS, *rest]]
    return report
