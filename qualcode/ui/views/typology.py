"""Typology page: the codebook's rule types and the data's clusters per case, side by side,
with reasons, the codes that made each profile score, what marks each cluster (codes, typical
cases, quotes), their agreement, and charts."""

from pathlib import Path

import pandas as pd
import streamlit as st

from qualcode.analysis import charts
from qualcode.analysis.cluster_results import cluster_title
from qualcode.analysis.typology import compare_with
from qualcode.codebook import load as load_codebook
from qualcode.errors import QualcodeError
from qualcode.exchange.safe_csv import csv_bytes
from qualcode.retrieval import markdown_lines, markdown_text
from qualcode.ui import state
from qualcode.ui.charts import show

CODEBOOKS = Path(__file__).resolve().parents[3] / "codebooks"
METHODS = {"both": "Rule types and clusters", "rules": "Rule types only", "cluster": "Clusters only"}
SPACES = {"types": "the codebook's type scores", "profiles": "the codebook's profile scores",
          "codes": "code sets (the codes chosen below)"}

project = state.project()
st.title("Typology")
st.caption("**Rule types** come from the codebook: each case's profiles (weighted sums of its codes), the "
           "types whose conditions hold, and the one with the highest score, with its degree of membership "
           "(a probability: below 0.6 the case is *borderline* and its runner-up is shown). A case with too "
           "little evidence is *unassigned*. **Clusters** are the groups the codings themselves form. Where "
           "they agree, the typology has support in the data.")
codings = project.codings()
if codings.empty:
    st.info("No codings yet: code the project first (Auto-code page).")
    st.stop()

shipped = sorted(str(p) for p in CODEBOOKS.glob("*.yaml")) if CODEBOOKS.exists() else []
last = project.last_codebook_path()
default_book = shipped.index(last) if last in shipped else 0
left, right = st.columns(2)
path = left.selectbox("Codebook with profiles and types", shipped, index=default_book, key="typology_codebook",
                      format_func=lambda p: Path(p).name)  # the name shown, the path kept as the value
own = right.text_input("…or the path of your own codebook (YAML)", key="typology_codebook_path").strip()
if own:
    own = state.allowed_file(own)  # only inside the app's folders (qualcode/access.py)
path = own or path
try:
    book = load_codebook(path)
except QualcodeError as exc:
    st.error(markdown_lines(str(exc)))
    st.stop()

# The presence matrix's columns are exactly the codes with a coding; project.typology builds the
# matrix itself, so it is not built twice on every rerun.
presence_columns = sorted(set(codings["code"]))
profile_codes = [c for c in presence_columns if any(c in p.weights for p in book.profiles)]
groups = sorted({c.split(".")[0] for c in presence_columns})
cases = project.cases()
attribute_names = [c for c in cases.columns if c != "case"]

with st.form("typology_options"):
    a, b, c = st.columns(3)
    method = a.radio("Method", list(METHODS), format_func=METHODS.get, key="typology_method")
    k_text = b.text_input("Number of clusters (k)", "auto", key="typology_k",
                          help="`auto` picks the k from 2 to 6 with the best silhouette.")
    accepted_only = c.checkbox("Accepted codings only (leave suggestions out)", key="typology_accepted")
    space = st.radio("Cluster on", list(SPACES), format_func=SPACES.get, horizontal=True, key="typology_space",
                     help="Type scores (standardised, k = the number of types unless set) survive noisy coding "
                          "best; profile scores are a few dimensions (resources, push, pull, goals); code sets "
                          "compare which codes each case has (Jaccard).")
    picked = st.multiselect(
        "Cluster on these codes", [*groups, *presence_columns], default=profile_codes or groups,
        key="typology_codes",
        help="A code group (push) takes all its codes. Default: the codes the codebook's profiles weigh.")
    attrs = st.multiselect("…and these case attributes (distances become Gower's)", attribute_names,
                           key="typology_attributes")
    d, e, f = st.columns(3)
    algorithm = d.selectbox("Algorithm", ["agglomerative", "kmodes", "kmeans"], key="typology_algorithm",
                            help="Agglomerative takes up to 5,000 cases; k-modes and k-means scale further.")
    linkage = e.selectbox("Linkage (agglomerative)", ["average", "complete", "single"], key="typology_linkage")
    seed = f.number_input("Random seed", value=0, step=1, key="typology_seed")
    st.form_submit_button("Build the typology", type="primary")

k: int | str = "auto"
if k_text.strip() != "auto":
    try:
        k = int(k_text)
        if k < 2:
            raise ValueError
    except ValueError:
        st.error(markdown_lines(f"Number of clusters: {k_text!r} is not 'auto' or a whole number from 2 up."))
        st.stop()

statuses = ("accepted",) if accepted_only else ("accepted", "suggested")
try:
    with st.spinner("Clustering and bootstrapping…"):
        if space != "codes" and not book.profiles:
            space = "codes"
        elif space == "types" and sum(1 for t in book.types if t.score) < 2:
            space = "profiles"
        report = project.typology(path, method=method, statuses=statuses,
                                  codes=(picked or None) if space == "codes" else None, space=space,
                                  attributes=attrs if space == "codes" else (), k=k, algorithm=algorithm,
                                  linkage=linkage,
                                  random_state=int(seed))
except QualcodeError as exc:
    st.error(markdown_lines(str(exc)))
    st.stop()

frame = report.cases
summary = st.columns(4)
if report.rule is not None:
    counts = frame["rule_type"].value_counts()
    summary[0].metric("Rule types", len(counts))
    st.caption("Rule types: " + " · ".join(markdown_text(f"{t}: {n}") for t, n in counts.items()))
if report.model is not None:
    model = report.model
    summary[1].metric("Clusters (k)", model.k_, help="chosen by silhouette" if model.k == "auto" else
                      "the number of types" if report.k_is_types else "fixed")
    summary[2].metric("Mean silhouette", f"{model.silhouette_:.2f}",
                      help="From -1 to 1: how much closer cases are to their own cluster than to the next.")
    if report.stability is not None:
        summary[3].metric("Bootstrap stability (ARI)", f"{report.stability.mean:.2f}",
                          help=f"Mean adjusted Rand index over {len(report.stability.scores)} resamples; "
                               f"95% range {report.stability.low:.2f} to {report.stability.high:.2f}.")
if report.weak:
    st.warning(f"Weak structure: the mean silhouette ({report.model.silhouette_:.2f}) is below 0.25, so these "
               "clusters may change with a few codings. Read them as tentative and compare other k.")
shown = frame.drop(columns=[c for c in ("cluster", "cluster_label", "silhouette", "stability")
                            if report.model is None and c in frame.columns] +
                   (["rule_type", "reason"] if report.rule is None else []))
st.dataframe(shown, hide_index=True, width="stretch", key="typology_table", placeholder="—")
st.download_button("Download the assignments (CSV)", csv_bytes(shown),
                   file_name="typology.csv", mime="text/csv", key="typology_download", on_click="ignore")

if report.rule is not None:
    with st.expander("Profile scores: the codes that made each score"):
        rows = [{"case": case, "profile": profile, "score": sum(made.values()),
                 "codes": ", ".join(f"{code} ({w:+g})" for code, w in made.items()) or "(none)"}
                for case, per in report.rule.contributions.items() for profile, made in per.items()]
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key="typology_contributions",
            placeholder="—")

if report.rule is not None:
    frame_rules = report.rule.cases
    borderline = frame_rules.loc[frame_rules["borderline"].astype(bool), ["case", "rule_type", "degree", "runner_up"]]
    if not borderline.empty:
        st.info(f"{len(borderline)} borderline case(s), between two types: read them with their runner-up.")
        st.dataframe(borderline.rename(columns={"rule_type": "leaning to", "runner_up": "or"}), hide_index=True,
                     key="typology_borderline", placeholder="—")

if report.structures is not None and len(report.structures) > 1:
    st.subheader("Which structure the data supports")
    st.dataframe(report.structures, hide_index=True, key="typology_structures", placeholder="—")
    st.caption("Clusters on code sets, profile scores and type scores side by side: silhouette (within its own "
               "space), bootstrap stability (mean ARI of re-fits on resamples) and agreement with the rule types "
               "(ARI). In the table above, a case's *stability* is how often it keeps its cluster-mates in those "
               "re-fits (1 = always).")

if report.crosstab is not None:
    st.subheader("Clusters against rule types")
    st.dataframe(report.crosstab, key="typology_cluster_crosstab", placeholder="—")
    st.caption(f"Adjusted Rand index, clusters vs rule types: {report.ari:.3f} (1 = the same grouping, "
               "0 = no better than chance). Each cluster is named after the rule type it shares most cases with.")

compare_options = [c for c in attribute_names if cases[c].nunique() <= 12]
if compare_options:
    st.subheader("Against a case attribute")
    default = compare_options.index("documented_type") if "documented_type" in compare_options else 0
    attr = st.selectbox("Compare with attribute", compare_options, index=default, key="typology_compare")
    columns = [c for c in ("rule_type", "cluster_label") if frame[c].notna().any()]
    for column, place in zip(columns, st.columns(len(columns)), strict=True):
        result = compare_with(frame, cases, attr, column)
        place.dataframe(result.table, key=f"typology_crosstab_{column}", placeholder="—")
        alike = f"{result.same} of {result.n} cases have the same value for type and {markdown_text(attr)}; " \
            if result.comparable else f"{result.n} cases; "
        place.caption(f"{column}: {alike}adjusted Rand index {result.ari:.3f}.")

if report.model is not None:
    st.subheader("What marks each cluster")
    description = report.description
    for cluster, size in description.sizes.items():
        label = frame.loc[frame["cluster"] == cluster, "cluster_label"].iloc[0]
        with st.expander(markdown_text(cluster_title(cluster, label, size)), expanded=cluster == 0):
            codes = description.codes[description.codes["cluster"] == cluster].head(8)
            st.dataframe(codes.drop(columns="cluster").round(3), hide_index=True, width="stretch",
                         key=f"typology_codes_{cluster}", placeholder="—")
            typical = description.typical[description.typical["cluster"] == cluster]
            st.caption("Most typical cases: " + ", ".join(
                f"{markdown_text(r.case)} (silhouette {r.silhouette:.2f})" for r in typical.itertuples()))
            for q in description.quotes[description.quotes["cluster"] == cluster].itertuples():
                st.markdown(f"**{markdown_text(q.code)}** · {markdown_text(q.case)}")
                st.text(" ".join(str(q.text).split()))

st.subheader("Charts")
tabs = st.tabs(["Cluster map", "Dendrogram", "Type profiles", "Profile scores"])
with tabs[0]:
    if report.model is None:
        st.info("Choose clusters (or both) to map the cases.")
    else:
        show(charts.cluster_map(report, random_state=int(seed)), "cluster-map", "typology_map")
with tabs[1]:
    if report.model is None or report.model.method != "agglomerative":
        st.info("The dendrogram needs agglomerative clustering.")
    else:
        show(charts.dendrogram(report), "dendrogram", "typology_dendrogram")
with tabs[2]:
    if report.features is None:
        st.info("Type profiles use the clustered codes: choose clusters (or both).")
    else:
        by = "rule_type" if report.rule is not None else "cluster_label"
        show(charts.type_profiles(report, by=by), "type-profiles", "typology_profiles")
with tabs[3]:
    if report.rule is None:
        st.info("Profile scores come from the rule typology: choose rule types (or both).")
    else:
        show(charts.profile_scores(report), "profile-scores", "typology_scores")
