"""Charts of the analysis, as Altair specifications (no UI here: the pages only display them).

Each function takes the frame or report the analysis made and returns an `alt.Chart`, so
the same chart is on the page, in a script (`chart.save("x.svg")`) and in a notebook.
`to_image` renders PNG or SVG with vl-convert, Altair's own headless renderer, so saving
needs no browser.

Maps of cases are drawn from the clustering's own distances: metric MDS on the Jaccard or
Gower matrix (what the clusters were built on), PCA for k-means' coordinate space.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd
from scipy.cluster.hierarchy import dendrogram as scipy_dendrogram

from qualcode.analysis.report import TypologyReport

FORMATS = ("png", "svg")
# Every label shown in full: a code id is the point of the axis, so none may be skipped or cut.
LABELS = {"labelOverlap": False, "labelLimit": 400}
# A categorical palette that stays readable for the colour-blind (Tableau 10).
PALETTE = "tableau10"


def to_image(chart: alt.TopLevelMixin, fmt: str = "png", *, scale: float = 2.0) -> bytes:
    """The chart as PNG (at `scale` × its size, for print) or SVG bytes."""
    import vl_convert as vlc

    spec = chart.to_json()
    if fmt == "png":
        return vlc.vegalite_to_png(spec, scale=scale)
    if fmt == "svg":
        return vlc.vegalite_to_svg(spec).encode("utf-8")
    raise ValueError(f"cannot save a chart as {fmt!r}; use one of: {', '.join(FORMATS)}")


def code_frequencies(freq: pd.DataFrame, *, top: int | None = None) -> alt.Chart:
    """Bars of codings per code from `frequencies()`, stacked by origin (or coder)."""
    by = freq.columns.name or "origin"
    parts = [c for c in freq.columns if c not in ("total", "n_cases")]
    shown = freq.sort_values("total", ascending=False)
    if top:
        shown = shown.head(top)
    long = shown[parts].reset_index().melt(id_vars="code", var_name=by, value_name="codings")
    long = long.merge(shown[["n_cases"]].reset_index(), on="code")
    order = list(shown.index)
    return alt.Chart(long, title="Codings per code").mark_bar().encode(
        y=alt.Y("code:N", sort=order, title=None, axis=alt.Axis(**LABELS)),
        x=alt.X("codings:Q", title="codings"),
        color=alt.Color(f"{by}:N", scale=alt.Scale(scheme=PALETTE)),
        tooltip=["code", by, "codings", alt.Tooltip("n_cases", title="cases with the code")],
    ).properties(height=alt.Step(16))


def case_code_heatmap(matrix: pd.DataFrame, *, kind: str = "presence") -> alt.Chart:
    """The case × code matrix as a heatmap (cases down, codes across)."""
    long = matrix.rename_axis("case").reset_index().melt(id_vars="case", var_name="code", value_name="value")
    title = {"presence": "has the code", "count": "codings", "coverage": "% of words"}.get(kind, kind)
    if kind == "presence":  # two values, two colours: not a continuous scale
        long["value"] = long["value"].map({1: "has the code", 0: "does not"})
        color = alt.Color("value:N", title=None, scale=alt.Scale(domain=["has the code", "does not"],
                                                                 range=["#2b6cb0", "#edf2f7"]))
    else:
        color = alt.Color("value:Q", title=title, scale=alt.Scale(scheme="blues"))
    return alt.Chart(long, title=f"Cases × codes ({kind})").mark_rect(stroke="white", strokeWidth=0.5).encode(
        x=alt.X("code:N", title=None, sort=list(matrix.columns), axis=alt.Axis(labelAngle=-60, **LABELS)),
        y=alt.Y("case:N", title=None, sort=list(matrix.index), axis=alt.Axis(**LABELS)),
        color=color,
        tooltip=["case", "code", alt.Tooltip("value", title=title)],
    ).properties(width=alt.Step(16), height=alt.Step(16))


def cooccurrence_heatmap(counts: pd.DataFrame, jaccard: pd.DataFrame, *, measure: str = "jaccard") -> alt.Chart:
    """Code × code co-occurrence (colour: Jaccard or count; both in the tooltip)."""
    long = counts.rename_axis(index="code_a", columns="code_b").stack().rename("count").reset_index()
    long["jaccard"] = jaccard.rename_axis(index="code_a", columns="code_b").stack().reindex(
        pd.MultiIndex.from_frame(long[["code_a", "code_b"]])).to_numpy()
    # A code with itself (count = its units, Jaccard = 1) would take the whole colour scale and
    # wash out the pairs: the diagonal is left blank.
    long = long[long["code_a"] != long["code_b"]]
    order = list(counts.index)
    return alt.Chart(long, title=f"Code co-occurrence ({measure}; a code with itself left blank)").mark_rect(
        stroke="white", strokeWidth=0.5).encode(
        x=alt.X("code_b:N", sort=order, title=None, axis=alt.Axis(labelAngle=-60, **LABELS)),
        y=alt.Y("code_a:N", sort=order, title=None, axis=alt.Axis(**LABELS)),
        color=alt.Color(f"{measure}:Q", scale=alt.Scale(scheme="oranges")),
        tooltip=["code_a", "code_b", "count", alt.Tooltip("jaccard:Q", format=".2f")],
    ).properties(width=alt.Step(16), height=alt.Step(16))


def crosstab_bars(table: pd.DataFrame, attribute: str, *, codes: list[str] | None = None) -> alt.Chart:
    """% of each attribute value's cases that have each code (from `CrossTab.table`), side by side."""
    shown = table if codes is None else table[table["code"].isin(codes)]
    return alt.Chart(shown, title=f"Cases with each code, by {attribute}").mark_bar().encode(
        y=alt.Y("value:N", title=None, axis=alt.Axis(**LABELS)),
        x=alt.X("row_pct:Q", title=f"% of the {attribute} group's cases", scale=alt.Scale(domain=[0, 100])),
        color=alt.Color("value:N", title=attribute, scale=alt.Scale(scheme=PALETTE)),
        row=alt.Row("code:N", title=None, header=alt.Header(labelAngle=0, labelAlign="left", labelLimit=400)),
        tooltip=["code", alt.Tooltip("value:N", title=attribute), "n_with_code", "n_cases",
                 alt.Tooltip("row_pct:Q", title="%", format=".1f")],
    ).properties(width=320, height=alt.Step(12))


def case_coordinates(report: TypologyReport, random_state: int = 0) -> pd.DataFrame:
    """Two coordinates per case for the cluster map: metric MDS on the clustering's distances,
    or PCA of k-means' space. Columns case, x, y, rule_type, cluster_label, silhouette."""
    model = report.model
    if model is None or report.features is None:
        raise ValueError("the report has no clusters to map: build it with method='cluster' or 'both'")
    frame = report.features
    if model.method == "kmeans":
        from sklearn.decomposition import PCA

        space = model.schema_.encode(frame)
        xy = PCA(n_components=2, random_state=random_state).fit_transform(space) if space.shape[1] >= 2 \
            else np.column_stack([space[:, 0], np.zeros(len(space))])
    else:
        from sklearn.manifold import MDS

        if model.method == "kmodes":
            codes = model.schema_.category_codes(frame)
            distances = (codes[:, None, :] != codes[None, :, :]).mean(axis=2)
        else:
            distances = model._distances(frame)
        distances = np.nan_to_num(distances, nan=1.0)
        xy = MDS(n_components=2, metric="precomputed", random_state=random_state, n_init=4,
                 init="random").fit_transform(distances)
    out = pd.DataFrame({"case": list(frame.index), "x": xy[:, 0], "y": xy[:, 1]})
    return out.merge(report.cases[["case", "rule_type", "cluster_label", "silhouette"]], on="case", how="left")


def cluster_map(report: TypologyReport, random_state: int = 0) -> alt.Chart:
    """Cases in two dimensions, coloured by rule type (or cluster) and shaped by cluster."""
    points = case_coordinates(report, random_state)
    colour = "rule_type" if points["rule_type"].notna().any() else "cluster_label"
    method = "PCA" if report.model.method == "kmeans" else "MDS"
    base = alt.Chart(points, title=f"Cases by cluster ({method} of the clustering distances)")
    dots = base.mark_point(size=90, filled=True, opacity=0.85).encode(
        x=alt.X("x:Q", title=f"{method} 1", axis=alt.Axis(labels=False, ticks=False)),
        y=alt.Y("y:Q", title=f"{method} 2", axis=alt.Axis(labels=False, ticks=False)),
        color=alt.Color(f"{colour}:N", scale=alt.Scale(scheme=PALETTE), title=colour.replace("_", " ")),
        shape=alt.Shape("cluster_label:N", title="cluster"),
        tooltip=["case", "rule_type", "cluster_label", alt.Tooltip("silhouette:Q", format=".2f")],
    )
    labels = base.mark_text(dx=8, align="left", fontSize=10).encode(x="x:Q", y="y:Q", text="case:N")
    return (dots + labels).properties(width=520, height=420)


def dendrogram_segments(report: TypologyReport) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The agglomerative tree as line segments (x, y, x2, y2, cluster) and leaves (case, x,
    rule_type, cluster_label), from scipy's dendrogram layout."""
    model = report.model
    if model is None or getattr(model, "linkage_", None) is None:
        raise ValueError("a dendrogram needs agglomerative clustering (algorithm='agglomerative')")
    cases = [str(c) for c in model.cases_]
    tree = scipy_dendrogram(model.linkage_, labels=cases, no_plot=True)
    segments = []
    for xs, ys in zip(tree["icoord"], tree["dcoord"], strict=True):
        # Each merge is drawn as three segments: up from the left child, across, down to the right.
        for (x1, y1), (x2, y2) in zip(zip(xs[:-1], ys[:-1], strict=True), zip(xs[1:], ys[1:], strict=True),
                                      strict=True):
            segments.append({"x": x1, "y": y1, "x2": x2, "y2": y2})
    leaves = pd.DataFrame({"case": tree["ivl"], "x": [5 + 10 * i for i in range(len(tree["ivl"]))]})
    leaves = leaves.merge(report.cases[["case", "rule_type", "cluster_label"]].astype({"case": str}),
                          on="case", how="left")
    return pd.DataFrame(segments), leaves


def dendrogram(report: TypologyReport) -> alt.Chart:
    """The agglomerative tree, leaves labelled by case and coloured by rule type."""
    segments, leaves = dendrogram_segments(report)
    colour = "rule_type" if leaves["rule_type"].notna().any() else "cluster_label"
    axis_x = alt.X("x:Q", axis=None, scale=alt.Scale(domain=[0, 10 * len(leaves)]))
    lines = alt.Chart(segments).mark_rule(color="#555").encode(
        x=axis_x, y=alt.Y("y:Q", title=f"{report.model.linkage} linkage distance ({report.model.metric_})"),
        x2="x2:Q", y2="y2:Q")
    dots = alt.Chart(leaves).mark_point(filled=True, size=60).encode(
        x=axis_x, y=alt.datum(0),
        color=alt.Color(f"{colour}:N", scale=alt.Scale(scheme=PALETTE), title=colour.replace("_", " ")),
        tooltip=["case", "rule_type", "cluster_label"])
    text = alt.Chart(leaves).mark_text(angle=270, align="right", dx=-8, fontSize=10).encode(
        x=axis_x, y=alt.datum(0), text="case:N")
    return (lines + dots + text).properties(title="Dendrogram of the cases", width=max(360, 18 * len(leaves)),
                                            height=320)


def type_profiles(report: TypologyReport, *, by: str = "rule_type", top: int = 12) -> alt.Chart:
    """Share of each type's cases that have each of the codes that separate the types most
    (the codes clustered on, or the profile codes)."""
    features = report.features
    if features is None:
        raise ValueError("type profiles need the code features: build the report with method='both' or 'cluster'")
    codes = [c for c in features.columns if set(pd.unique(features[c].dropna())) <= {0, 1}]
    groups = report.cases.set_index("case")[by].reindex(features.index)
    shares = features[codes].astype(float).groupby(groups).mean()
    spread = (shares.max() - shares.min()).sort_values(ascending=False)
    chosen = list(spread.index[:top])
    long = shares[chosen].rename_axis(by).reset_index().melt(id_vars=by, var_name="code", value_name="share")
    sizes = groups.value_counts()
    long["cases"] = long[by].map(sizes)
    return alt.Chart(long, title=f"Type profiles: share of cases with each code, by {by.replace('_', ' ')}"
                     ).mark_bar().encode(
        x=alt.X("share:Q", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1]), title="share of cases"),
        y=alt.Y(f"{by}:N", title=None),
        color=alt.Color(f"{by}:N", scale=alt.Scale(scheme=PALETTE), legend=None),
        row=alt.Row("code:N", sort=chosen, title=None, header=alt.Header(labelAngle=0, labelAlign="left")),
        tooltip=["code", by, alt.Tooltip("share:Q", format=".0%"), "cases"],
    ).properties(width=320, height=alt.Step(12))


def profile_scores(report: TypologyReport) -> alt.Chart:
    """Each rule type's profile scores (the codebook's profiles), one dot per case."""
    if report.rule is None:
        raise ValueError("profile scores need the rule typology: build the report with method='rules' or 'both'")
    profiles = report.rule.profiles
    long = report.rule.cases.melt(id_vars=["case", "rule_type"], value_vars=profiles, var_name="profile",
                                  value_name="score")
    return alt.Chart(long, title="Profile scores by rule type").mark_tick(thickness=2, size=14).encode(
        x=alt.X("score:Q"),
        y=alt.Y("rule_type:N", title=None),
        color=alt.Color("rule_type:N", scale=alt.Scale(scheme=PALETTE), legend=None),
        row=alt.Row("profile:N", title=None, header=alt.Header(labelAngle=0, labelAlign="left")),
        tooltip=["case", "rule_type", "profile", "score"],
    ).properties(width=320)
