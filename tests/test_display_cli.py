"""Rough display on the command line (issue 15.7): `matrix --by gender` prints no `inf` as a
statistic and never cuts a warning short; counts read "1 turn", not "1 turns"."""

from __future__ import annotations

import io
import math
from pathlib import Path

import pandas as pd
from click.testing import CliRunner

from qualcode import Project
from qualcode.cli import cli
from qualcode.wording import count


def test_the_cross_tab_prints_no_infinite_statistic_and_says_why(coded_sample: Path) -> None:
    result = CliRunner().invoke(cli, ["matrix", str(coded_sample), "--by", "gender"])
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(io.StringIO(result.stdout))
    fisher = frame[frame["test"] == "fisher"]
    assert fisher["statistic"].map(lambda v: not (isinstance(v, float) and math.isinf(v))).all()
    assert "inf" not in result.stdout.split(",")
    blank = fisher[fisher["statistic"].isna()]
    assert len(blank) > 0 and blank["warning"].str.contains("no odds ratio").all()


def test_the_screen_table_gives_every_warning_in_full(coded_sample: Path) -> None:
    result = CliRunner().invoke(cli, ["matrix", str(coded_sample), "--by", "gender", "--format", "table"])
    assert result.exit_code == 0, result.output
    assert "…" not in result.stdout and " inf " not in result.stdout
    with Project.open(coded_sample) as project:
        warnings = set(project.crosstab("gender").tests["warning"]) - {""}
    assert warnings and all(w in result.stdout for w in warnings)  # each once, whole, below the table


def test_counts_are_plural_correct(tmp_path: Path) -> None:
    assert (count(1, "turn"), count(2, "turn"), count(0, "turn")) == ("1 turn", "2 turns", "0 turns")
    assert count(1_234, "word") == "1,234 words" and count(1, "case", "cases") == "1 case"
    one = tmp_path / "one.txt"
    one.write_text("Respondent: I came north in 2019 for work.\n", encoding="utf-8")
    assert CliRunner().invoke(cli, ["init", str(tmp_path / "p.qcdb")]).exit_code == 0
    result = CliRunner().invoke(cli, ["import", str(tmp_path / "p.qcdb"), str(one)])
    assert result.exit_code == 0, result.output
    assert "(1 turn, 8 words" in result.output and "(1 transcript, 1 turn)" in result.output
    assert "1 turns" not in result.output and "1 transcripts" not in result.output


def test_export_summaries_count_in_the_right_number(tmp_path: Path) -> None:
    """A one-transcript project: the QDPX and xlsx summaries say "1 source", "1 case", "1 row"."""
    one = tmp_path / "one.txt"
    one.write_text("Respondent: I came north in 2019 for work.\n", encoding="utf-8")
    project = str(tmp_path / "p.qcdb")
    assert CliRunner().invoke(cli, ["init", project]).exit_code == 0
    assert CliRunner().invoke(cli, ["import", project, str(one)]).exit_code == 0
    qdpx = CliRunner().invoke(cli, ["export", project, "--what", "project", "--out", str(tmp_path / "p.qdpx")])
    assert qdpx.exit_code == 0, qdpx.output
    assert "1 source, 0 codes, 0 accepted codings, 0 coders, 1 case, 0 memos." in qdpx.stdout, qdpx.stdout
    matrix = CliRunner().invoke(cli, ["export", project, "--what", "matrix", "--out", str(tmp_path / "m.csv")])
    assert matrix.exit_code == 0, matrix.output
    assert "matrix 1 row." in matrix.stdout and "1 rows" not in matrix.stdout, matrix.stdout
