"""Rule types and clusters side by side: a constructed corpus whose groups are known must be
recovered exactly through the CLI; the sample project against its documented types; charts."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from scipy.cluster.hierarchy import dendrogram as scipy_dendrogram
from sklearn.metrics import adjusted_rand_score

from qualcode.analysis import charts
from qualcode.analysis.report import select_codes, typology_report
from qualcode.analysis.typology import compare_with
from qualcode.cli import cli
from qualcode.codebook import load as load_codebook
from qualcode.codebook import loads
from qualcode.errors import QualcodeError
from qualcode.project import Project

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_CODEBOOK = str(ROOT / "codebooks" / "migration.yaml")
# Of 24 sample cases whose rule type is the documented type: 19 with the scores fitted on six
# tuning sets; 17 with those fitted on eight with the study's mixed terms (both kinds of goal,
# push against pull), which are as good leave-one-set-out and better for the clusters there
# (BENCHMARKS.md): the sample, the longest interviews, is the set they suit least. 18 measured
# with the same scores after the later rule passes (fourth pass, 78862f8..fbcd506; a refit on
# the new codings was not better leave-one-set-out and was not adopted).
SAMPLE_RIGHT = 18
# Clusters on the raw profiles (Ward, k by silhouette) of 24 cases were fragile: one wrong coding
# dropped ("Savings — no." in KZ21) moved them from 0.60 to 0.35. The default space is now the
# standardised type scores with k = the number of types. With the scores fitted on four tuning
# sets it measured 0.66, a lucky in-sample figure: the sample's leave-one-set-out ARI (scores
# fitted without the sample) was 0.38-0.48. Refitted on six tuning sets (gold5, gold6 added):
# 0.34 measured; on eight with the study's mixed terms: 0.23 measured, leave-one-set-out 0.18,
# where the other sets gain (mean leave-one-set-out ARI 0.39 -> 0.51; BENCHMARKS.md). After the
# fourth rule pass, same scores: 0.375 measured (0.23 before it; BENCHMARKS.md); the threshold
# is that figure, rounded down.
SAMPLE_CLUSTER_ARI = 0.37
# One coding of a profile code dropped may move the sample's cluster ARI by at most this
# (measured: 0 on the drops below; on the raw profiles up to 0.28).
MAX_SHIFT_ONE_DROP = 0.15

# Each group says its own words; "weather" and "football" are topic noise shared across groups.
CODEBOOK = """
name: constructed
version: "1"
languages: [en]
codes:
  - {id: res, name: Resources}
  - {id: res.diploma, name: Diploma, rules: {en: [{phrase: diploma}]}}
  - {id: res.savings, name: Savings, rules: {en: [{phrase: savings}]}}
  - {id: res.trade, name: A trade, rules: {en: [{phrase: welder}]}}
  - {id: lack, name: Lacks}
  - {id: lack.debt, name: Debt, rules: {en: [{phrase: debt}]}}
  - {id: lack.cash, name: Cash work, rules: {en: [{phrase: bazaar}]}}
  - {id: lack.rent, name: Renting, rules: {en: [{phrase: landlord}]}}
  - {id: mix, name: Mixed signals}
  - {id: mix.cousin, name: Cousin, rules: {en: [{phrase: cousin}]}}
  - {id: mix.tractor, name: Tractor, rules: {en: [{phrase: tractor}]}}
  - {id: topic, name: Topics}
  - {id: topic.weather, name: Weather, rules: {en: [{phrase: weather}]}}
  - {id: topic.football, name: Football, rules: {en: [{phrase: football}]}}
profiles:
  - id: strength
    name: Strength
    weights: {res.diploma: 1, res.savings: 1, res.trade: 1, lack.debt: -1, lack.cash: -1, lack.rent: -1}
types:
  - {id: development, name: Development, when: "strength >= 2"}
  - {id: survival, name: Survival, when: "strength <= -2"}
  - {id: mixed, name: Mixed, when: "true"}
"""
GROUPS = {
    "development": "I have a diploma and savings, and I am a welder by trade.",
    "survival": "We have debt, I sell at the bazaar, and the landlord wants more every month.",
    "mixed": "My cousin helped; I have a diploma but also debt, and we drive the tractor.",
}
NOISE = ["The weather is cold here.", "My son plays football.", ""]


@pytest.fixture
def constructed(tmp_path: Path) -> tuple[Path, Path, dict[str, str]]:
    """18 interviews, 6 per group; the true group is the case attribute `group`."""
    folder = tmp_path / "interviews"
    folder.mkdir()
    truth = {}
    with (folder / "cases.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["case_id", "file", "group"])
        for g, (group, words) in enumerate(GROUPS.items()):
            for i in range(6):
                case = f"C{g}{i}"
                truth[case] = group
                text = (f"Interviewer: Interview {case}. Tell me about your move.\nRespondent: {words}\n"
                        f"Interviewer: Anything else?\nRespondent: {NOISE[i % 3] or 'No.'}\n")
                (folder / f"{case.lower()}.txt").write_text(text, encoding="utf-8")
                w.writerow([case, f"{case.lower()}.txt", group])
    book = tmp_path / "constructed.yaml"
    book.write_text(CODEBOOK, encoding="utf-8")
    project = tmp_path / "c.qcdb"
    runner = CliRunner()
    assert runner.invoke(cli, ["init", str(project)]).exit_code == 0
    result = runner.invoke(cli, ["import", str(project), str(folder)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["code", str(project), "--codebook", str(book)])
    assert result.exit_code == 0, result.output
    return project, book, truth


@pytest.mark.parametrize("algorithm", ["agglomerative", "kmodes", "kmeans"])
def test_constructed_groups_recovered_exactly_through_the_cli(constructed, algorithm: str, tmp_path: Path) -> None:
    project, book, truth = constructed
    out = tmp_path / "types.csv"
    # Jaccard ignores shared absences, so agglomerative clustering finds the groups through the
    # topic noise. Simple matching (k-modes) and Euclidean distance (k-means) count a shared
    # absence as likeness, so with this few codes the noise splits each group into identical
    # sub-groups (silhouette 1): they cluster on the theory's codes, as a researcher would.
    codes = "*" if algorithm == "agglomerative" else "res,lack,mix"
    result = CliRunner().invoke(cli, ["typology", str(project), "--codebook", str(book), "--codes", codes,
                                      "--algorithm", algorithm, "--compare", "group", "--out", str(out)])
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out)
    assert list(frame.columns[:7]) == ["case", "rule_type", "cluster", "cluster_label", "silhouette", "stability",
                                       "reason"]
    assert frame["stability"].between(0, 1).all()
    expected = frame["case"].map(truth)
    assert (frame["rule_type"] == expected).all()
    assert (frame["cluster_label"] == expected).all()  # clusters found AND named after the matching type
    assert frame["cluster"].nunique() == 3
    assert adjusted_rand_score(expected, frame["cluster"]) == 1.0
    assert "Adjusted Rand index, clusters vs rule types: 1.000" in result.output
    assert "18 of 18 cases have cluster_label == group; adjusted Rand index 1.000" in result.output
    assert "k=3 (chosen by silhouette" in result.output


def test_clusters_only_and_fixed_k_and_json(constructed) -> None:
    project, _book, _truth = constructed
    result = CliRunner().invoke(cli, ["typology", str(project), "--method", "cluster", "--k", "2",
                                      "--codes", "res,lack", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert set(rows[0]) >= {"case", "cluster", "cluster_label", "silhouette"} and "rule_type" not in rows[0]
    assert {r["cluster_label"] for r in rows} == {"cluster 0", "cluster 1"}  # no rule types to name them
    assert "k=2 (fixed" in result.stderr
    # Only res.* and lack.* were features: the mixed group (which has one of each) joins a side.
    assert "features: 6 (res.diploma, res.savings, res.trade, lack.cash, lack.debt, lack.rent)" in result.stderr


def test_rules_only_keeps_the_profile_columns(constructed) -> None:
    project, book, _ = constructed
    result = CliRunner().invoke(cli, ["typology", str(project), "--codebook", str(book), "--method", "rules",
                                      "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "case,rule_type,reason,degree,runner_up,margin,borderline,strength"


def test_bad_typology_requests_are_clear(constructed) -> None:
    project, _book, _ = constructed
    runner = CliRunner()
    bad_k = runner.invoke(cli, ["typology", str(project), "--k", "1"])
    assert bad_k.exit_code == 2 and "'1' is not 'auto' or a number of clusters" in bad_k.output
    bad_glob = runner.invoke(cli, ["typology", str(project), "--codes", "nothing.*"])
    assert bad_glob.exit_code == 1 and "[E721]" in bad_glob.output and "res.diploma" in bad_glob.output
    bad_attr = runner.invoke(cli, ["typology", str(project), "--compare", "shoe_size"])
    assert bad_attr.exit_code == 1 and "[E722]" in bad_attr.output and "group" in bad_attr.output
    too_many = runner.invoke(cli, ["typology", str(project), "--k", "40"])
    assert too_many.exit_code == 1 and "[E720]" in too_many.output and "from 2 to 17" in too_many.output


def test_select_codes_globs_and_parents() -> None:
    columns = ["push.housing", "push.unemployment", "pull.jobs", "resource.skills", "resource_lack.debt"]
    assert select_codes(columns, ["push"]) == ["push.housing", "push.unemployment"]
    assert select_codes(columns, ["resource*"]) == ["resource.skills", "resource_lack.debt"]
    assert select_codes(columns, ["resource.*", "push.h*", "resource.skills"]) == ["resource.skills",
                                                                                    "push.housing"]
    with pytest.raises(QualcodeError, match="E721"):
        select_codes(columns, ["gender.*"])


def test_without_types_rules_are_refused_but_clusters_work() -> None:
    book = loads("name: b\nversion: '1'\nlanguages: [en]\ncodes:\n  - {id: a, name: A}\n", "b.yaml")
    presence = pd.DataFrame({"a": [1, 1, 0, 0], "b": [1, 1, 0, 0], "c": [0, 0, 1, 1]},
                            index=pd.Index(["w", "x", "y", "z"], name="case"))
    cases = pd.DataFrame({"case": ["w", "x", "y", "z"]})
    with pytest.raises(QualcodeError, match=r"E720.*no `types`"):
        typology_report(presence, cases, book=book, method="both")
    report = typology_report(presence, cases, book=book, method="cluster", k=2, n_bootstrap=0)
    assert report.crosstab is None and report.ari is None
    assert list(report.cases["cluster"]) == [0, 0, 1, 1]
    assert report.cases["rule_type"].isna().all()


def test_type_scores_space_standardises_the_scores_and_needs_scored_types() -> None:
    """The "types" space clusters on each case's score for every scored type (z-scores) with
    k = the number of types; without two scored types it is refused (E720) and auto falls back
    to the profiles."""
    scored = CODEBOOK.replace('when: "strength >= 2"}', 'when: "strength >= 2", score: "strength"}').replace(
        'when: "strength <= -2"}', 'when: "strength <= -2", score: "0 - strength"}').replace(
        'when: "true"}', 'when: "true", score: "1 - abs(strength)"}')
    book, plain = loads(scored), loads(CODEBOOK)
    has = {"development": ["res.diploma", "res.savings", "res.trade"], "survival": ["lack.debt", "lack.cash"],
           "mixed": ["res.diploma", "lack.debt"]}
    rows, truth = {}, {}
    for group, codes in has.items():
        for i in range(4):
            # One noise code per case (not weighed by the profile): it must not move the scores.
            present = [*codes, ["topic.weather", "topic.football", "mix.cousin"][i % 3]]
            rows[f"{group}{i}"] = {c.id: int(c.id in present) for c in book.codes}
            truth[f"{group}{i}"] = group
    presence, cases = pd.DataFrame.from_dict(rows, orient="index"), pd.DataFrame({"case": list(rows)})
    report = typology_report(presence, cases, book=book, method="both", n_bootstrap=10, structures=True)
    assert report.space == "types" and report.model.k_ == 3 and report.k_is_types
    assert list(report.features.columns) == ["development", "survival", "mixed"]
    assert np.allclose(report.features.mean(), 0) and np.allclose(report.features.std(ddof=0), 1)
    assert adjusted_rand_score(pd.Series(truth).reindex(report.cases["case"]), report.cases["cluster"]) == 1.0
    assert report.cases["stability"].between(0, 1).all()
    assert set(report.structures["space"]) == {"codes", "profiles", "types"}
    with pytest.raises(QualcodeError, match=r"E720.*type scores"):
        typology_report(presence, cases, book=plain, method="cluster", space="types", n_bootstrap=0)
    assert typology_report(presence, cases, book=plain, method="cluster", n_bootstrap=0).space == "profiles"


def test_sample_project_rule_types_and_clusters_against_the_documented_types(db_sample: Path | str) -> None:
    """The figures the issue tracks, on the bundled (synthetic) sample after `qualcode code`,
    stored on SQLite and on PostgreSQL (tests/conftest.py `db`)."""
    sample_copy = db_sample
    runner = CliRunner()
    assert runner.invoke(cli, ["code", str(sample_copy), "--codebook", SAMPLE_CODEBOOK]).exit_code == 0
    with Project.open(sample_copy) as p:
        report = p.typology(SAMPLE_CODEBOOK, method="both")
        cases = p.cases()
    frame = report.cases
    assert set(frame["rule_type"]) == {"development", "survival", "mixed"}
    assert frame["reason"].str.len().gt(0).all()
    # Every reason shows the values that made the type, and every case has a degree.
    assert frame["reason"].str.contains("resources=").all() and frame["reason"].str.contains("score").all()
    assert frame["degree"].between(0, 1).all()
    rules = compare_with(frame, cases, "documented_type", "rule_type")
    clusters = compare_with(frame, cases, "documented_type", "cluster_label")
    # Measured with this codebook (BENCHMARKS.md, benchmarks/typology_agreement.py): a
    # regression in the rules, the profiles or the clustering shows up here.
    assert rules.n == 24 and rules.same >= SAMPLE_RIGHT
    assert clusters.ari >= SAMPLE_CLUSTER_ARI
    assert report.ari is not None and report.space == "types" and report.model.k_ == 3
    # Every case has its stability (how often it keeps its cluster-mates in bootstrap re-fits).
    assert frame["stability"].between(0, 1).all()
    # Every cluster is described by codes, typical cases and real quotes from those cases.
    described = report.description
    assert set(described.codes["cluster"]) == set(range(report.model.k_))
    for q in described.quotes.itertuples():
        with Project.open(sample_copy) as p:
            assert p.transcript_text(q.transcript)[q.start:q.end] == q.text


def test_one_dropped_coding_barely_moves_the_sample_clusters(sample_copy: Path) -> None:
    """Robust to noisy coding: dropping any one of 12 seeded profile codings (one at a time)
    from the sample's rule codings moves the clusters' ARI against the documented types by at
    most MAX_SHIFT_ONE_DROP. SQLite only: the figure does not depend on the store."""
    book = load_codebook(SAMPLE_CODEBOOK)
    with Project.open(sample_copy) as p:
        p.autocode(SAMPLE_CODEBOOK)
        matrix, cases = p.matrix("evidence"), p.cases()
    truth = cases.set_index("case")["documented_type"].astype(str)

    def ari(m: pd.DataFrame) -> float:
        labels = typology_report(m, cases, book=book, method="cluster", n_bootstrap=0).cases.set_index("case")
        return adjusted_rand_score(truth.reindex(labels.index), labels["cluster"].astype(int))

    base = ari(matrix)
    weighed = [c for c in matrix.columns if any(c in prof.weights for prof in book.profiles)]
    cells = [(i, j) for i in range(len(matrix)) for j in map(matrix.columns.get_loc, weighed) if matrix.iat[i, j] > 0]
    assert len(cells) > 100
    rng = np.random.default_rng(12)
    shifts = []
    for n in rng.choice(len(cells), 12, replace=False):
        i, j = cells[n]
        less = matrix.copy()
        less.iat[i, j] = 0
        shifts.append(abs(ari(less) - base))
    assert base >= SAMPLE_CLUSTER_ARI and max(shifts) <= MAX_SHIFT_ONE_DROP, shifts


def _report(constructed_project: Path, book: Path):
    with Project.open(constructed_project) as p:
        return p.typology(book, codes=["*"])


def test_charts_render_to_png_and_svg(constructed) -> None:
    project, book, _truth = constructed
    report = _report(project, book)
    with Project.open(project) as p:
        codings, matrix = p.codings(), p.matrix("count")
    from qualcode.analysis import cooccurrence, frequencies

    co = cooccurrence(codings, scope="case")
    made = [charts.code_frequencies(frequencies(codings)), charts.case_code_heatmap(matrix, kind="count"),
            charts.cooccurrence_heatmap(co.counts, co.jaccard), charts.cluster_map(report),
            charts.dendrogram(report), charts.type_profiles(report), charts.profile_scores(report)]
    for chart in made[:2] + made[3:5]:  # the rest are checked for structure below; rendering is slow-ish
        assert charts.to_image(chart, "png")[:8] == b"\x89PNG\r\n\x1a\n"
        assert charts.to_image(chart, "svg").lstrip().startswith(b"<svg")
    with pytest.raises(ValueError, match="png, svg"):
        charts.to_image(made[0], "gif")
    # The heatmap carries every case × code cell, the profile chart every type.
    assert len(made[1].data) == matrix.size
    assert set(made[5].data["rule_type"]) == {"development", "survival", "mixed"}


def test_cluster_map_separates_the_groups_and_the_dendrogram_follows_scipy(constructed) -> None:
    project, book, truth = constructed
    report = _report(project, book)
    points = charts.case_coordinates(report).set_index("case")
    assert len(points) == 18
    centres = points.groupby(points.index.map(truth))[["x", "y"]].mean()
    spread = max(np.hypot(*(points.loc[[c for c in truth if truth[c] == g], ["x", "y"]] - centres.loc[g]).T
                          .to_numpy()).max() for g in centres.index)
    gaps = [np.hypot(*(centres.loc[a] - centres.loc[b])) for a in centres.index for b in centres.index if a < b]
    assert min(gaps) > 2 * spread  # the three groups are apart on the map
    segments, leaves = charts.dendrogram_segments(report)
    expected = scipy_dendrogram(report.model.linkage_, labels=[str(c) for c in report.model.cases_],
                                no_plot=True)["ivl"]
    assert list(leaves["case"]) == expected
    assert len(segments) == 3 * (len(expected) - 1)
    assert segments[["y", "y2"]].max().max() == pytest.approx(report.model.linkage_[:, 2].max())


def test_charts_say_what_they_need(constructed) -> None:
    project, book, _ = constructed
    with Project.open(project) as p:
        rules_only = p.typology(book, method="rules")
        kmeans = p.typology(book, codes=["*"], algorithm="kmeans")
    for make in (charts.cluster_map, charts.dendrogram, charts.type_profiles):
        with pytest.raises(ValueError, match=r"cluster|agglomerative|code features"):
            make(rules_only)
    with pytest.raises(ValueError, match="agglomerative"):
        charts.dendrogram(kmeans)
    assert len(charts.case_coordinates(kmeans)) == 18  # PCA for k-means
