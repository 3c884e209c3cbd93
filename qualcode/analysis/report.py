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
from qualcode.codebook import Codebook, compute, condition_names
from qualcode.errors import QualcodeError

METHODS = ("rules", "cluster", "both")
SPACES = ("auto", "codes", "profiles", "types")
WEAK = 0.25  # mean silhouette below this: no substantial structure (Kaufman & Rousseeuw's rule of thumb)
COLUMNS = ["case", "rule_type", "cluster", "cluster_label", "silhouette"]


@dataclass
class TypologyReport:
    """`cases`: one row per case with COLUMNS, then `stability` (per case, when clusters were
    made with bootstraps), `reason` and the profile scores (rule
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
    space: str | None = None
    structures: pd.DataFrame | None = None  # see compare_structures
    k_is_types: bool = False  # k was "auto" and the types space took the number of types

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


def profile_dimensions(book: Codebook) -> list[str]:
    """The profiles to cluster on: those the types' scores weigh (the dimensions the types
    are defined on), else every profile. A profile only used to gate a type, such as a count
    of evidence, says how much a person said, not what kind of migrant they are."""
    used: set[str] = set()
    for t in book.types:
        if t.score:
            used |= condition_names(t.score)
    chosen = [p.id for p in book.profiles if p.id in used]
    return chosen or [p.id for p in book.profiles]


def scored_types(book: Codebook | None) -> list[str]:
    """The types with a score expression: the axes of the "types" space (needs two or more)."""
    return [t.id for t in book.types if t.score] if book is not None else []


def type_scores(book: Codebook, rule: RuleTypology) -> pd.DataFrame:
    """Each case's score for every scored type, standardised (z-scores; a constant one dropped).

    A type's score is the codebook's own weighing of the profiles for that type, computed
    whether or not the type's `when` holds, so a case near a gate or between two types sits
    between them instead of being pushed to one side. Standardising gives each type the same
    say in the distance. Why this survives noisy coding better than code sets or raw profiles:
    a coding moves one score by its weight, and the clusters move only if that crosses the
    gap between groups, while on code sets it changes a Jaccard distance by a whole code.
    """
    frame = rule.cases.set_index("case")
    profiles = [p.id for p in book.profiles]
    rows = []
    for values in frame[profiles].astype(float).to_dict(orient="records"):
        rows.append([float(compute(t.score, values)) for t in book.types if t.score])
    scores = pd.DataFrame(rows, index=frame.index, columns=scored_types(book))
    spread = scores.std(ddof=0)
    scores = scores.loc[:, spread > 1e-9]
    return (scores - scores.mean()) / spread[scores.columns]


def features(presence: pd.DataFrame, cases: pd.DataFrame, codes: Sequence[str],
             attributes: Sequence[str] = ()) -> pd.DataFrame:
    """The case × feature frame: 0/1 code columns that vary (a code no case or every case
    has tells clusters nothing) joined with attribute columns. An evidence matrix (0..1)
    counts a code as present when it has any evidence."""
    frame = (presence.reindex(columns=list(codes), fill_value=0) > 0).astype(int)
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
    space: str = "auto",
    algorithm: str = "agglomerative",
    metric: str | None = None,
    linkage: str = "average",
    random_state: int = 0,
    n_bootstrap: int = 50,
    quotes: pd.DataFrame | None = None,
    max_agglomerative: int = 5000,
    structures: bool = False,
) -> TypologyReport:
    """Rule types (needs `book` with types), clusters, or both, for the cases of `presence`.

    `space` is what the cases are clustered on: "codes" (which codes each case has, Jaccard),
    "profiles" (the codebook's profile scores: a few robust dimensions that survive noisy
    coding better than single codes; Euclidean on range-scaled scores, Ward linkage),
    "types" (the codebook's type scores, standardised, Ward linkage; see `type_scores`), or
    "auto": types when two or more types have scores, else profiles when the codebook has
    them, unless codes or attributes are chosen. In the types space `k="auto"` is the
    number of scored types (the typology the codebook proposes, tested against the data's
    own grouping); the silhouette, the bootstrap stability and `structures` say how well
    the data supports it.
    `metric` defaults to Jaccard for codes alone and Gower when attributes join them.
    `structures`: also cluster in the other space and compare the two (`compare_structures`);
    it costs one more clustering with up to 20 bootstraps.
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
        if space not in SPACES:
            raise QualcodeError("E709", key="space", value=space, hint=f"Use one of: {', '.join(SPACES)}.")
        has_profiles = book is not None and bool(book.profiles)
        fit_k: int | str = k
        if space == "auto":
            space = ("codes" if codes or attributes or not has_profiles
                     else "types" if len(scored_types(book)) >= 2 else "profiles")
        if space == "types":
            if not has_profiles or len(scored_types(book)) < 2:
                raise QualcodeError("E720", reason="clustering on type scores needs a codebook with `profiles` and "
                                                   "two or more types with a `score`; use --space profiles or codes")
            frame = type_scores(book, report.rule or rule_typology(book, presence))
            metric, linkage = metric or "euclidean", "ward" if linkage == "average" else linkage
            if k == "auto":
                # Not `k` itself: the comparison with the other spaces keeps the caller's k.
                fit_k = min(len(scored_types(book)), len(frame) - 1)
                report.k_is_types = True
        elif space == "profiles":
            if not has_profiles:
                raise QualcodeError("E720", reason="clustering on profiles needs a codebook with `profiles`; "
                                                   "use --space codes")
            scores = (report.rule or rule_typology(book, presence)).cases.set_index("case")
            frame = scores[profile_dimensions(book)].astype(float)
            frame = frame.loc[:, frame.nunique() > 1]
            metric, linkage = metric or "euclidean", "ward" if linkage == "average" else linkage
            if book.types:
                # A handful of smooth dimensions split ever finer as k grows; a typology of T
                # types is looked for among 2 .. T + 1 clusters.
                k_range = (k_range[0], max(k_range[0], min(k_range[1], len(book.types) + 1)))
        else:
            chosen = select_codes(list(presence.columns), codes) if codes else default_codes(book, presence.columns)
            frame = features(presence, cases, chosen, attributes)
        report.space = space
        model = ClusterTypology(
            algorithm, metric=metric or ("gower" if attributes else "jaccard"), linkage=linkage, k=fit_k,
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
        if space in ("profiles", "types"):
            marks = features(presence, cases, default_codes(book, presence.columns))
            marks = marks.rename(columns=lambda c: f"{c} (code)" if c in frame.columns else c)
            report.description = model.describe(frame.join(marks), quotes, codes=list(marks.columns))
        else:
            report.description = model.describe(frame, quotes)
        per_case = pd.DataFrame({"case": list(labels.index), "cluster": labels.to_numpy(),
                                 "cluster_label": [mapping[int(c)] for c in labels],
                                 "silhouette": np.round(model.silhouette_samples_, 4),
                                 "stability": np.round(report.stability.per_case, 4) if report.stability
                                 else np.nan})
        out = out.merge(per_case, on="case", how="left")
    else:
        out["cluster"] = pd.NA
        out["cluster_label"] = None
        out["silhouette"] = np.nan
    if structures and report.model is not None and book is not None and book.profiles and not attributes:
        report.structures = compare_structures(presence, cases, book, report, k=k, random_state=random_state,
                                               n_bootstrap=min(n_bootstrap, 20), codes=codes)
    # A case's stability (see Stability.per_case) follows its silhouette when clusters were made.
    first = ["stability", "reason", "degree", "runner_up", "margin", "borderline"]
    rest = [c for c in first if c in out.columns] + [c for c in out.columns if c not in COLUMNS + first]
    report.cases = out[[*COLUMNS, *rest]]
    return report


def compare_structures(presence: pd.DataFrame, cases: pd.DataFrame, book: Codebook, report: TypologyReport, *,
                       k: int | str = "auto", random_state: int = 0, n_bootstrap: int = 20,
                       codes: Sequence[str] | None = None) -> pd.DataFrame:
    """Which structure the data supports: clusters on code sets and on profile scores, side by
    side, with k, mean silhouette (within its own space), bootstrap stability (mean ARI of
    re-fits on resamples) and agreement with the rule types (ARI). A structure that is both
    stable and close to the rule types is the one to read; a weak silhouette in both says the
    cases form a continuum rather than separate groups."""
    rows = []
    for space in ("codes", "profiles", "types"):
        if space == report.space:
            model, stability, ari = report.model, report.stability, report.ari
        else:
            try:
                other = typology_report(presence, cases, book=book, method="both", space=space, k=k,
                                        codes=codes if space == "codes" else None, random_state=random_state,
                                        n_bootstrap=n_bootstrap, structures=False)
            except QualcodeError:
                continue  # too few distinct cases in this space: nothing to compare
            model, stability, ari = other.model, other.stability, other.ari
        columns = list(model.feature_names_in_)
        rows.append({"space": space, "features": len(columns), "k": model.k_,
                     "mean_silhouette": round(model.silhouette_, 3),
                     "stability": round(stability.mean, 3) if stability is not None else float("nan"),
                     "ari_vs_rule_types": round(ari, 3) if ari is not None else float("nan"),
                     "used": space == report.space})
    return pd.DataFrame(rows)
