"""Agreement page: do coders apply the codebook the same way? Per-code kappa and alpha with
intervals, and the units where they differ, side by side with the text."""

from urllib.parse import quote

import pandas as pd
import streamlit as st

from qualcode.errors import QualcodeError
from qualcode.exchange.safe_csv import csv_bytes
from qualcode.retrieval import markdown_lines, markdown_text
from qualcode.ui import state

UNITS = {"turn": "Turns", "sentence": "Sentences", "paragraph": "Paragraphs", "char": "Characters"}

project = state.project()
st.title("Agreement")
st.caption("Compare two or more coders (or a coder with the rules) on the transcripts they all coded. "
           "Rules of thumb: kappa or alpha ≥ 0.6 before accepting a rule's suggestions, ≥ 0.8 before "
           "re-coding without review.")
codings = project.codings()
humans = sorted(set(codings["coder"].dropna()))
machines = [f"origin:{o}" for o in ("rule", "model") if (codings["origin"] == o).any()]
options = humans + machines
if len(options) < 2:
    st.info("Agreement needs two coders. Code some interviews on the **Code** page under a second name (the "
            "sidebar's **Coder** field), or review suggestions on the **Review** page as that coder.")
    st.stop()

with st.form("agreement_options"):
    coders = st.multiselect("Coders", options, default=options[:2], key="agreement_coders",
                            help="origin:rule is every rule coding, as one coder.")
    a, b, c = st.columns(3)
    unit = a.radio("Units", list(UNITS), format_func=UNITS.get, key="agreement_unit")
    interviewer = b.checkbox("Count interviewer turns too", key="agreement_interviewer")
    accepted_only = b.checkbox("Accepted codings only", key="agreement_accepted")
    n_boot = c.number_input("Bootstrap resamples (alpha's 95% interval)", 0, 5000, 1000, 100,
                            key="agreement_boot")
    codes = st.multiselect("Codes (empty: all)", sorted(set(codings["code"])), key="agreement_codes")
    st.form_submit_button("Compare", type="primary")

try:
    with st.spinner("Comparing…"):
        result = project.agreement(coders, unit=unit, codes=codes or None, include_interviewer=interviewer,
                                   statuses=("accepted",) if accepted_only else ("accepted", "suggested"),
                                   n_boot=int(n_boot))
except QualcodeError as exc:
    st.error(markdown_lines(str(exc)))
    st.stop()

overall = result.overall
cols = st.columns(4)
for place, (key, label) in zip(cols, [("percent", "Agreement %"), ("kappa", "Cohen's kappa"),
                                      ("fleiss", "Fleiss' kappa"), ("alpha", "Krippendorff's alpha")],
                               strict=True):
    value = overall.get(key)
    place.metric(label, "—" if value is None or pd.isna(value) else
                 (f"{value:.1f}" if key == "percent" else f"{value:.3f}"))
st.caption(f"{len(result.transcripts)} transcripts coded by every one of {markdown_text(', '.join(coders))}; "
           "pooled over codes.")


machine = any(":" in c for c in coders)


def verdict(row: pd.Series) -> str:
    """Judged on the interval's lower end, so a code marked in a handful of units cannot pass."""
    value, low = row["alpha"], row["alpha_low"]
    if pd.isna(value):
        return "undefined (a code nobody or everybody used)"
    basis = value if pd.isna(low) else low
    if basis >= 0.8:
        return "re-code unsupervised" if machine else "reliable"
    if basis >= 0.6:
        return "accept with review" if machine else "tentative"
    if value >= 0.6:
        return "too few units to tell (the interval reaches below 0.6)"
    return "too low"


table = result.per_code.copy()
table["verdict"] = table.apply(verdict, axis=1)
st.caption("Verdicts use the lower end of alpha's 95% interval: ≥ 0.8 " +
           ("re-code without review" if machine else "reliable") + ", ≥ 0.6 " +
           ("accept with review" if machine else "tentative") + " (Krippendorff's thresholds).")
st.dataframe(table.round(3), hide_index=True, width="stretch", key="agreement_table", placeholder="—")
st.download_button("Download per code (CSV)", csv_bytes(table), "agreement.csv",
                   "text/csv", key="agreement_csv", on_click="ignore")

st.subheader(f"Where the coders differ ({len(result.disagreements)})")
if result.disagreements.empty:
    st.success("No disagreements.")
else:
    shown = result.disagreements
    pick = st.selectbox("Code", ["(all)", *sorted(set(shown["code"]))], key="agreement_pick")
    if pick != "(all)":
        shown = shown[shown["code"] == pick]
    shown = shown.assign(open=[f"/code?transcript={quote(str(t))}" for t in shown["transcript"]])
    st.dataframe(shown, hide_index=True, width="stretch", key="agreement_disagreements",
                 column_config={"open": st.column_config.LinkColumn("open", display_text="workbench",
                                                                    help="Open the transcript in the Code page")},
                                                                        placeholder="—")
    st.download_button("Download the disagreements (CSV)", csv_bytes(shown),
                       "disagreements.csv", "text/csv", key="agreement_diff_csv", on_click="ignore")
