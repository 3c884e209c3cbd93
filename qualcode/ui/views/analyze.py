"""Analyze page: code frequencies, the case × code matrix, code × attribute cross-tabs with
exact tests, and code co-occurrence, each as a table, a chart and a download."""

import pandas as pd
import streamlit as st

from qualcode.analysis import charts, cooccurrence, frequencies
from qualcode.errors import QualcodeError
from qualcode.exchange.safe_csv import csv_bytes
from qualcode.retrieval import markdown_lines, markdown_text
from qualcode.ui import state
from qualcode.ui.charts import show

project = state.project()
st.title("Analyze")
codings = project.codings()
if codings.empty:
    st.info("No codings yet: code the project first (**Auto-code** page, or by hand on the **Code** page).")
    st.stop()

accepted_only = st.toggle("Accepted codings only (leave suggestions out)", key="analyze_accepted",
                          help="Rejected codings never count. By default suggestions count too.")
statuses = ("accepted",) if accepted_only else ("accepted", "suggested")
codes = sorted(set(codings["code"]))
prefixes = sorted({c.split(".")[0] for c in codes})
chosen_groups = st.multiselect("Code groups (empty: all)", prefixes, key="analyze_groups")
shown_codes = [c for c in codes if not chosen_groups or c.split(".")[0] in chosen_groups]


def download(frame: pd.DataFrame, name: str, key: str, index: bool = True) -> None:
    st.download_button(f"Download {name}.csv", csv_bytes(frame, index=index), file_name=f"{name}.csv",
                       mime="text/csv", key=key, on_click="ignore", icon=":material/download:")


freq_tab, matrix_tab, cross_tab, co_tab = st.tabs(["Frequencies", "Case × code matrix", "Cross-tab by attribute",
                                                    "Co-occurrence"])

with freq_tab:
    by = st.radio("Split by", ["origin", "coder", "status"], horizontal=True, key="analyze_freq_by")
    freq = frequencies(codings, by=by, statuses=statuses, codes=shown_codes)
    st.dataframe(freq, width="stretch", key="analyze_freq_table", placeholder="—")
    download(freq, "frequencies", "analyze_freq_csv")
    show(charts.code_frequencies(freq), "code-frequencies", "analyze_freq")

with matrix_tab:
    kind = st.radio("Cells", ["presence", "count", "coverage"], horizontal=True, key="analyze_kind",
                    captions=["1 if the case has the code", "codings of the code",
                              "% of the respondent's words coded"])
    matrix = project.matrix(kind, statuses=statuses, codes=shown_codes)
    st.dataframe(matrix, width="stretch", key="analyze_matrix_table", placeholder="—")
    download(matrix, f"matrix-{kind}", "analyze_matrix_csv")
    show(charts.case_code_heatmap(matrix, kind=kind), f"case-code-{kind}", "analyze_heatmap")

with cross_tab:
    cases = project.cases()
    attributes = [c for c in cases.columns if c != "case"]
    if not attributes:
        st.info("The cases have no attributes: import a cases table (case_id, gender, …) first.")
    else:
        default = attributes.index("gender") if "gender" in attributes else 0
        attribute = st.selectbox("Attribute", attributes, index=default, key="analyze_attribute")
        try:
            result = project.crosstab(attribute, statuses=statuses, codes=shown_codes)
        except QualcodeError as exc:
            st.error(markdown_lines(str(exc)))
        else:
            left_out = f"; {result.missing} without a value for {markdown_text(attribute)} left out"
            st.caption(f"{result.n} cases" + (left_out if result.missing else "") +
                       ". Fisher's exact test for 2 × 2 tables; otherwise chi-square, with a Monte Carlo "
                       "p-value when expected counts are small.")
            wide = result.table.pivot(index="code", columns="value", values="row_pct").round(1)
            wide.columns = [f"% of {v}" for v in wide.columns]
            table = wide.join(result.tests.set_index("code")[["test", "statistic", "p_value", "warning"]])
            st.dataframe(table, width="stretch", key="analyze_crosstab_table", placeholder="—")
            download(result.table.merge(result.tests, on="code", how="left"), f"crosstab-{attribute}",
                     "analyze_crosstab_csv", index=False)
            small = result.tests[result.tests["p_value"] < 0.05]
            if len(small):
                st.caption("p < 0.05 (uncorrected for the number of codes): " + markdown_text(", ".join(small["code"])))
            code = st.selectbox("One code's table", list(wide.index), key="analyze_crosstab_code")
            st.dataframe(result.contingency(code), key="analyze_contingency", placeholder="—")
            show(charts.crosstab_bars(result.table, attribute), f"crosstab-{attribute}", "analyze_crosstab")

with co_tab:
    scope = st.radio("Co-occur when", ["unit", "distance", "case"], horizontal=True, key="analyze_scope",
                     captions=["the codings overlap or touch", "they are at most N characters apart",
                               "the same case has both"])
    within = st.number_input("N characters", min_value=0, value=200, step=50, key="analyze_within",
                             disabled=scope != "distance")
    measure = st.radio("Colour by", ["jaccard", "count"], horizontal=True, key="analyze_measure")
    co = cooccurrence(codings, scope=scope, within=int(within) if scope == "distance" else 0, statuses=statuses,
                      codes=shown_codes)
    pairs = co.pairs()
    st.dataframe(pairs[pairs["count"] > 0].round(3), hide_index=True, width="stretch", key="analyze_pairs",
        placeholder="—")
    download(pairs, f"cooccurrence-{scope}", "analyze_pairs_csv", index=False)
    show(charts.cooccurrence_heatmap(co.counts, co.jaccard, measure=measure), f"cooccurrence-{scope}",
         "analyze_cooccurrence")
