"""Typology page: the codebook's types per case, with the reasons, against an attribute."""

from pathlib import Path

import streamlit as st

from qualcode.analysis.typology import compare_with
from qualcode.errors import QualcodeError
from qualcode.ui import state

CODEBOOKS = Path(__file__).resolve().parents[3] / "codebooks"

project = state.project()
st.title("Typology")
st.caption("Each case's profiles (weighted sums of its codes) and the first of the codebook's types whose "
           "condition holds, with the values that made it hold.")
if project.codings().empty:
    st.info("No codings yet: code the project first (Auto-code page, or `qualcode code`).")
    st.stop()
shipped = sorted(str(p) for p in CODEBOOKS.glob("*.yaml")) if CODEBOOKS.exists() else []
path = st.selectbox("Codebook with profiles and types", shipped, key="typology_codebook")
own = st.text_input("…or the path of your own codebook (YAML)", key="typology_codebook_path").strip()
path = own or path
accepted_only = st.checkbox("Accepted codings only (leave suggestions out)", key="typology_accepted")
try:
    result = project.rule_typology(path, statuses=("accepted",) if accepted_only else ("accepted", "suggested"))
except QualcodeError as exc:
    st.error(str(exc))
    st.stop()
frame = result.cases
counts = frame["rule_type"].value_counts()
st.caption(" · ".join(f"{t}: {n}" for t, n in counts.items()))
st.dataframe(frame, hide_index=True, width="stretch", key="typology_table")

cases = project.cases()
attributes = [c for c in cases.columns if c != "case" and cases[c].nunique() <= 12]
if attributes:
    default = attributes.index("documented_type") if "documented_type" in attributes else 0
    attr = st.selectbox("Compare with attribute", attributes, index=default, key="typology_compare")
    table, same, n = compare_with(frame, cases, attr)
    st.dataframe(table, key="typology_crosstab")
    st.caption(f"{same} of {n} cases have the same value for type and {attr}.")
