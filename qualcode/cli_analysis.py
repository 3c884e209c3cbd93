"""`qualcode matrix`, `typology` and `agreement`: the analyses of coded interviews.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from qualcode.cli_common import (
    OUT,
    _emit,
    _Greedy,
    _KChoice,
    _names,
    _raw,
)
from qualcode.errors import QualcodeError

if TYPE_CHECKING:
    import pandas as pd

    from qualcode.analysis.report import TypologyReport


@click.command()
@click.argument("project", type=click.Path(dir_okay=False))
@click.option("--kind", type=click.Choice(["presence", "count", "coverage"]), default="presence", show_default=True,
              help="1/0 per case and code, number of codings, or % of the case's respondent words coded.")
@click.option("--by", "by", help="A case attribute (e.g. gender): a code × attribute cross-tab with tests instead.")
@click.option("--bins", help="With --by a numeric attribute (age): a number of equal-width groups (4), or the "
                             "edges (18,30,45,65).")
@click.option("--accepted-only", is_flag=True, help="Count accepted codings only (default: suggestions too).")
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "table"]), default="csv", show_default=True,
              help="Output format.")
@OUT
def matrix(project: str, kind: str, by: str | None, bins: str | None, accepted_only: bool, fmt: str,
           out: str | None) -> None:
    """Case × code matrix of PROJECT (rows: cases, columns: codes), or with --by a code × attribute
    cross-tab: cases with each code per attribute value, row %, and Fisher's exact test (2×2) or
    chi-square (exact Monte Carlo p-value when cells are small), with warnings for small N."""
    from qualcode.project import Project

    statuses = ("accepted",) if accepted_only else ("accepted", "suggested")
    with Project.open(project) as p:
        if by is None:
            _emit(p.matrix(kind, statuses=statuses).reset_index(), fmt, out)
            return
        edges: int | list[float] | None = None
        if bins:
            try:
                parts = [float(b) for b in bins.split(",")]
            except ValueError:
                raise click.BadParameter(f"{bins!r} is not a number of groups (4) or edges (18,30,45)",
                                         param_hint="--bins") from None
            edges = int(parts[0]) if len(parts) == 1 else parts
        result = p.crosstab(by, statuses=statuses, bins=edges)
    frame = result.table.merge(result.tests, on="code", how="left")
    if fmt == "table":  # a screen table cuts long text: each warning is a footnote, printed once in full
        frame, notes = _footnoted(frame, "warning")
        _emit(frame, fmt, out)
        if notes:
            click.echo("\n".join(notes), err=bool(out))
    else:
        _emit(frame, fmt, out)
    if result.missing:
        click.echo(f"{result.missing} case(s) without a value for {by} were left out.", err=True)


def _footnoted(frame: pd.DataFrame, column: str) -> tuple[pd.DataFrame, list[str]]:
    """`column`'s texts replaced by [1], [2], ... (the same text, the same number), and the notes."""
    numbers: dict[str, int] = {}
    keys = frame[column].map(lambda text: f"[{numbers.setdefault(text, len(numbers) + 1)}]"
                             if isinstance(text, str) and text else "")
    return frame.assign(**{column: keys}), [f"[{n}] {text}" for text, n in numbers.items()]


@click.command(cls=_Greedy)
@click.argument("project", type=click.Path(dir_okay=False))
@click.option("--codebook", "codebook_file", type=click.Path(dir_okay=False),
              help="The codebook with `profiles` and `types` (default: the one of the last rule run).")
@click.option("--method", type=click.Choice(["rules", "cluster", "both"]), default="both", show_default=True,
              help="rules: the codebook's types; cluster: groups found in the codings; both, side by side.")
@click.option("--k", "k", type=_KChoice(), default="auto", show_default=True,
              help="Number of clusters, or auto: the best silhouette from 2 to 6.")
@click.option("--codes", multiple=True, metavar="GLOB",
              help="Codes to cluster on, as glob patterns (--codes 'push.*' 'resource*'; "
                   "a parent id takes its children). Default: the codes the codebook's profiles weigh.")
@click.option("--attributes", multiple=True, metavar="NAME",
              help="Case attributes to cluster on too (then distances are Gower's).")
@click.option("--space", type=click.Choice(["auto", "types", "profiles", "codes"]), default="auto",
              show_default=True,
              help="Cluster on the codebook's type scores (standardised; k = the number of types unless --k), "
                   "its profile scores (a few robust dimensions) or on code sets; auto: types when two or "
                   "more types have scores, else profiles, unless --codes/--attributes are given.")
@click.option("--algorithm", type=click.Choice(["agglomerative", "kmodes", "kmeans"]), default="agglomerative",
              show_default=True, help="Agglomerative (up to 5,000 cases), or k-modes / k-means for large N.")
@click.option("--metric", type=click.Choice(["jaccard", "gower", "euclidean"]),
              help="Agglomerative distance (default: jaccard for codes, gower with attributes).")
@click.option("--linkage", type=click.Choice(["average", "complete", "single", "ward"]), default="average",
              show_default=True, help="Agglomerative linkage (ward needs --metric euclidean).")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed (k-modes, k-means, bootstrap).")
@click.option("--bootstrap", type=click.IntRange(min=0), default=50, show_default=True,
              help="Bootstrap resamples for cluster stability (0: skip).")
@click.option("--compare", "compare_attr", help="A case attribute to cross-tabulate the types with "
                                                "(e.g. documented_type).")
@click.option("--accepted-only", is_flag=True, help="Count accepted codings only (default: suggestions too).")
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "table"]), default="csv", show_default=True,
              help="Output format.")
@OUT
def typology(project: str, codebook_file: str | None, method: str, k: int | str, codes: tuple[str, ...],
             attributes: tuple[str, ...], space: str, algorithm: str, metric: str | None, linkage: str, seed: int,
             bootstrap: int, compare_attr: str | None, accepted_only: bool, fmt: str, out: str | None) -> None:
    """Group the cases of PROJECT into types: the codebook's rule types (with each case's profiles
    and the reason), data-driven clusters (with silhouettes, stability, the codes that mark each
    cluster and quotes), or both with their agreement (cross-tab and adjusted Rand index).

    The table has the columns case, rule_type, cluster, cluster_label, silhouette, stability, reason
    and the profiles; the summary goes to stderr (to stdout with --out)."""
    from qualcode.project import Project

    statuses = ("accepted",) if accepted_only else ("accepted", "suggested")
    with Project.open(project) as p:
        cases_frame = p.cases()
        if compare_attr and compare_attr not in cases_frame.columns:
            raise QualcodeError("E722", name=compare_attr,
                                known=", ".join(c for c in cases_frame.columns if c != "case"))
        if codebook_file is None and p.runs().empty:
            raise QualcodeError("E705")
        report = p.typology(codebook_file, method=method, statuses=statuses, codes=_names(codes) or None,
                            attributes=_names(attributes) or (), k=k, space=space, algorithm=algorithm, metric=metric,
                            linkage=linkage, random_state=seed, n_bootstrap=bootstrap)
    frame = report.cases
    if method == "rules":
        frame = frame.drop(columns=["cluster", "cluster_label", "silhouette"])
    elif method == "cluster":
        frame = frame.drop(columns=["rule_type"])
    _emit(frame, fmt, out)
    to_err = out is None
    for line in _typology_summary(report, cases_frame, compare_attr):
        click.echo(line, err=to_err)


def _typology_summary(report: TypologyReport, cases_frame: pd.DataFrame, compare_attr: str | None) -> list[str]:
    """The lines under the typology table: counts, cluster quality, agreement, comparison."""
    from qualcode.analysis.typology import compare_with

    lines = [""]
    frame = report.cases
    if report.rule is not None:
        counts = frame["rule_type"].value_counts()
        lines.append("Rule types: " + ", ".join(f"{t} {n}" for t, n in counts.items()))
        borderline = frame.loc[frame["borderline"].fillna(False).astype(bool), "case"].astype(str).tolist()
        if borderline:
            lines.append(f"  borderline (degree < 0.6, see runner_up): {', '.join(borderline)}")
    model = report.model
    if model is not None:
        sizes = frame["cluster_label"].value_counts()
        chosen = ("chosen by silhouette" if model.k == "auto"
                  else "the number of types" if report.k_is_types else "fixed")
        lines.append(f"Clusters on {report.space}: k={model.k_} ({chosen}; {model.method}, {model.metric_}), "
                     "mean silhouette "
                     f"{model.silhouette_:.2f}; features: {len(report.features.columns)} "
                     f"({', '.join(report.features.columns[:8])}{', …' if len(report.features.columns) > 8 else ''})")
        lines.append("  sizes: " + ", ".join(f"{t} {n}" for t, n in sizes.items()))
        if report.weak:
            lines.append(f"  weak structure: a mean silhouette of {model.silhouette_:.2f} is below 0.25, so these "
                         "clusters may change with a few codings; read them as tentative, and compare --k values.")
        if report.stability is not None:
            st = report.stability
            lines.append(f"  bootstrap stability (mean ARI over {len(st.scores)} resamples): {st.mean:.2f} "
                         f"[{st.low:.2f}, {st.high:.2f}]")
        from qualcode.analysis.cluster_results import cluster_title

        top = report.description.codes.groupby("cluster").head(4)
        for c, rows in top.groupby("cluster"):
            label = frame.loc[frame["cluster"] == c, "cluster_label"].iloc[0]
            marks = ", ".join(f"{r.code} ({r.share_cluster:.0%} vs {r.share_rest:.0%})" for r in rows.itertuples())
            lines.append(f"  {cluster_title(c, label)}: {marks}")
            quotes = report.description.quotes
            for q in quotes[quotes["cluster"] == c].head(2).itertuples():
                text = " ".join(str(q.text).split())
                lines.append(f"    “{text[:110]}{'…' if len(text) > 110 else ''}” ({q.case}, {q.code})")
    if report.crosstab is not None:
        lines.append("\ncluster_label × rule_type:")
        lines.append(report.crosstab.to_string())
        lines.append(f"Adjusted Rand index, clusters vs rule types: {report.ari:.3f}")
    if report.structures is not None and len(report.structures) > 1:
        # The clustering reported above keeps its own resamples; the others are re-fitted on at most 20.
        own = f"{len(report.stability.scores)} resamples for the '{report.space}' row, " if report.stability else ""
        lines.append("\nWhich structure the data supports (silhouette within its own space; stability = mean "
                     f"bootstrap ARI, over {own}at most 20 for the others; agreement with the rule types = ARI):")
        lines.append(report.structures.to_string(index=False))
    if compare_attr:
        for column in ("rule_type", "cluster_label"):
            if frame[column].isna().all():
                continue
            result = compare_with(frame, cases_frame, compare_attr, column)
            lines.append(f"\n{column} × {compare_attr}:")
            lines.append(result.table.to_string())
            alike = f"{result.same} of {result.n} cases have {column} == {compare_attr}; " if result.comparable else ""
            lines.append(f"{alike}adjusted Rand index {result.ari:.3f} ({result.n} cases).")
    return lines


@click.command(cls=_Greedy)
@click.argument("project", type=click.Path(dir_okay=False))
@click.option("--coders", "coders", multiple=True, required=True, metavar="A B [C...]",
              help="Two or more coder names; origin:rule (or origin:model) is the machine's codings as one coder.")
@click.option("--unit", type=click.Choice(["turn", "sentence", "paragraph", "char"]), default="turn",
              show_default=True, help="What is compared: turns, sentences, paragraphs or single characters.")
@click.option("--codes", multiple=True, metavar="GLOB...", help="Only these codes (glob patterns: 'push.*').")
@click.option("--interviewer", is_flag=True, help="Count the interviewer's turns as units too (default: "
                                                  "respondent turns only).")
@click.option("--accepted-only", is_flag=True, help="Count accepted codings only (default: suggestions too).")
@click.option("--bootstrap", type=click.IntRange(min=0), default=1000, show_default=True,
              help="Bootstrap resamples for alpha's 95% interval (0: none).")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed of the bootstrap.")
@click.option("--disagreements", "disagreements_out", type=click.Path(dir_okay=False),
              help="Write every unit where the coders differ (with its text) to this CSV.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True,
              help="Output format.")
@OUT
def agreement(project: str, coders: tuple[str, ...], unit: str, codes: tuple[str, ...], interviewer: bool,
              accepted_only: bool, bootstrap: int, seed: int, disagreements_out: str | None, fmt: str,
              out: str | None) -> None:
    """Inter-coder agreement per code and overall: percent agreement, Cohen's kappa (2 coders),
    Fleiss' kappa and Krippendorff's alpha (nominal) with a bootstrap 95% interval.

    Units: only transcripts every coder coded; respondent turns (or all turns with
    --interviewer), cut into sentences, paragraphs or characters; a unit has a code for a coder
    when one of the coder's codings of it overlaps the unit. Rejected codings never count.
    Rules of thumb: kappa/alpha >= 0.6 before accepting a rule's suggestions, >= 0.8 before
    re-coding without review."""
    import pandas as pd

    from qualcode.project import Project

    names = _names(coders) or []
    statuses = ("accepted",) if accepted_only else ("accepted", "suggested")
    with Project.open(project) as p:
        result = p.agreement(names, unit=unit, codes=_names(codes), include_interviewer=interviewer,
                             statuses=statuses, n_boot=bootstrap, random_state=seed)
    if disagreements_out:
        from qualcode import files
        from qualcode.exchange import safe_csv

        files.write_bytes(disagreements_out, safe_csv.to_csv(result.disagreements, raw=_raw()))
        click.echo(f"Wrote {len(result.disagreements)} disagreements to {disagreements_out}.", err=True)
    if fmt == "json":
        text = json.dumps(result.to_json(), ensure_ascii=False, indent=2) + "\n"
        if out:
            from qualcode import files

            files.write_bytes(out, text)
        else:
            click.echo(text, nl=False)
        return
    frame = result.per_code
    if fmt == "table":
        frame = frame.copy()
        for col in ("percent", "kappa", "fleiss", "alpha", "alpha_low", "alpha_high"):
            frame[col] = frame[col].map(lambda v, c=col: "" if pd.isna(v) else
                                        (f"{v:.1f}" if c == "percent" else f"{v:.3f}"))
    _emit(frame, fmt, out)
    o = result.overall
    lines = [f"\n{', '.join(names)}: {len(result.transcripts)} transcripts, unit {unit}.",
             "Overall (pooled over codes): " + ", ".join(
                 f"{k} {v:.3f}" for k, v in o.items() if isinstance(v, float) and not pd.isna(v)),
             f"{len(result.disagreements)} unit(s) × code where the coders differ"
             + ("" if disagreements_out else " (list them with --disagreements FILE.csv)") + "."]
    for line in lines:
        click.echo(line, err=out is None and fmt != "table")
