"""Two coders on the sample transcripts, brought together by CSV import and another project
file, compared with `qualcode agreement`; the figures are checked against scikit-learn's
Cohen's kappa computed here from the turns directly."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from sklearn.metrics import cohen_kappa_score

from qualcode.cli import cli
from qualcode.project import Project

SHARED = ["kz01", "kz03", "kz09", "kz12"]  # as in conftest's `two_coders`


def _turn_marks(project: Path, coder: str, code: str) -> list[int]:
    """1/0 per respondent turn of the shared transcripts: does a coding of `coder` overlap it?"""
    with Project.open(project) as p:
        turns = p.turns(SHARED)
        codings = p.codings(SHARED, coder=coder)
    turns = turns[turns["role"] == "respondent"]
    mine = codings[codings["code"] == code]
    return [int(((mine["transcript"] == t.transcript) & (mine["start"] < t.end) & (mine["end"] > t.start)).any())
            for t in turns.itertuples()]


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)  # the arithmetic; the other tests run on both stores
def test_agreement_json_matches_sklearn_kappa_per_code(two_coders: Path) -> None:
    result = CliRunner().invoke(cli, ["agreement", str(two_coders), "--coders", "aigerim", "daniyar",
                                      "--format", "json", "--bootstrap", "200"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"overall", "codes"}
    with Project.open(two_coders) as p:
        n_turns = int((p.turns(SHARED)["role"] == "respondent").sum())
    checked = 0
    for code, stats in data["codes"].items():
        assert set(stats) == {"percent", "kappa", "alpha", "alpha_ci", "units"}
        assert stats["units"] == n_turns
        a, b = _turn_marks(two_coders, "aigerim", code), _turn_marks(two_coders, "daniyar", code)
        agree = 100 * sum(x == y for x, y in zip(a, b, strict=True)) / len(a)
        assert stats["percent"] == pytest.approx(agree)
        if len(set(a) | set(b)) == 2:
            assert stats["kappa"] == pytest.approx(cohen_kappa_score(a, b))
            low, high = stats["alpha_ci"]
            assert low <= stats["alpha"] + 1e-9 and stats["alpha"] <= high + 1e-9
            checked += 1
    assert checked >= 5
    assert data["codes"]["push.unemployment"]["kappa"] < 1  # daniyar added it to kz03's turns


def test_rules_against_the_coder_who_copied_them_agree_fully(two_coders: Path) -> None:
    result = CliRunner().invoke(cli, ["agreement", str(two_coders), "--coders", "origin:rule", "aigerim",
                                      "--format", "json", "--bootstrap", "0"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["overall"]["percent"] == pytest.approx(100.0)
    assert all(s["percent"] == pytest.approx(100.0) for s in data["codes"].values())


def test_table_disagreements_file_and_project_last(two_coders: Path, tmp_path: Path) -> None:
    out = tmp_path / "diff.csv"
    # PROJECT after the greedy option: the last word is left for it.
    result = CliRunner().invoke(cli, ["agreement", "--unit", "sentence", "--codes", "push.*", "--coders",
                                      "aigerim", "daniyar", "--disagreements", str(out), "--bootstrap", "50",
                                      str(two_coders)])
    assert result.exit_code == 0, result.output
    assert "Overall (pooled over codes)" in result.output and "unit sentence" in result.output
    frame = pd.read_csv(out)
    assert {"transcript", "start", "end", "text", "code", "aigerim", "daniyar"} <= set(frame.columns)
    assert set(frame["code"]) <= {c for c in frame["code"] if c.startswith("push.")}
    assert (frame["aigerim"] != frame["daniyar"]).all()
    with Project.open(two_coders) as p:
        for row in frame.head(20).itertuples():
            assert p.transcript_text(row.transcript)[row.start:row.end].strip() == str(row.text).strip()


def test_bad_agreement_requests(two_coders: Path) -> None:
    runner = CliRunner()
    unknown = runner.invoke(cli, ["agreement", str(two_coders), "--coders", "aigerim", "bolat"])
    assert unknown.exit_code == 1 and "[E723]" in unknown.output and "bolat" in unknown.output
    assert "aigerim" in unknown.output  # the known coders are listed
    one = runner.invoke(cli, ["agreement", str(two_coders), "--coders", "aigerim"])
    assert one.exit_code == 1 and "[E723]" in one.output
    bad_unit = runner.invoke(cli, ["agreement", str(two_coders), "--coders", "aigerim", "daniyar", "--unit", "word"])
    assert bad_unit.exit_code == 2


def test_nothing_to_compare_is_an_error_not_a_silent_empty_table(two_coders: Path, tmp_path: Path) -> None:
    """Two coders whose codings are all suggestions, compared on accepted codings only."""
    with Project.open(two_coders) as p:
        rows = p.codings(["kz01"], coder="aigerim")[["transcript", "code", "start", "end", "text"]]
    for coder in ("cat", "dog"):
        rows.assign(coder=coder, status="suggested").to_csv(tmp_path / f"{coder}.csv", index=False)
        assert CliRunner().invoke(cli, ["codings", "import", str(two_coders),
                                        str(tmp_path / f"{coder}.csv")]).exit_code == 0
    runner = CliRunner()
    counted = runner.invoke(cli, ["agreement", str(two_coders), "--coders", "cat", "dog", "--bootstrap", "0"])
    assert counted.exit_code == 0, counted.output  # with suggestions there is something to compare
    result = runner.invoke(cli, ["agreement", str(two_coders), "--coders", "cat", "dog", "--accepted-only",
                                 "--bootstrap", "0"])
    assert result.exit_code == 1 and "[E723]" in result.output and "accepted codings" in result.output
    assert "drop --accepted-only" in result.output


def test_codings_of_an_unknown_coder_is_an_error(two_coders: Path) -> None:
    result = CliRunner().invoke(cli, ["codings", str(two_coders), "--coder", "nobody"])
    assert result.exit_code == 1 and "[E724]" in result.output and "aigerim" in result.output


def test_reimporting_rule_codings_as_a_coder_says_so_once(two_coders: Path, tmp_path: Path) -> None:
    """The mistake a new user makes: `qualcode codings` output (origin=rule) fed back as a coder."""
    out = tmp_path / "rules.csv"
    assert CliRunner().invoke(cli, ["codings", str(two_coders), "--origin", "rule", "--transcripts", "kz01",
                                    "--format", "csv", "--out", str(out)]).exit_code == 0
    n = len(pd.read_csv(out))
    assert n > 5
    result = CliRunner().invoke(cli, ["codings", "import", str(two_coders), str(out), "--coder", "ann"])
    assert result.exit_code == 1 and "[E708]" in result.output
    assert result.output.count("cannot be imported as a human coding") == 4  # three shown, then the count
    assert f"... and {n - 3} more row(s) where origin cannot be imported as a human coding" in result.output
