"""Case attributes from a real-style facesheet (issue 14.5): --id-column for cases tables, the join on
the file stem (case-insensitive), rows without a transcript reported (E985) and not added unless
--keep-unmatched. The facesheet in tests/data/facesheet is made like the Sheffield one (column
`TranscriptName`, an id column that is not the case); the real one is read where ../shared is."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from qualcode import Project
from qualcode.cli import cli

DATA = Path(__file__).parent / "data" / "facesheet"
SHEET = DATA / "participants_facesheet.csv"
REAL = Path(__file__).parents[2] / "shared" / "corpus" / "sheffield_open_qual"


def _import(tmp_path: Path, *args: str) -> tuple[object, Path]:
    project = tmp_path / "p.qcdb"
    runner = CliRunner()
    assert runner.invoke(cli, ["init", str(project)]).exit_code == 0
    return runner.invoke(cli, ["import", str(project), *args]), project


@pytest.mark.parametrize("extra", [["--layout", "cases", "--id-column", "TranscriptName"], []])
def test_facesheet_joins_on_the_file_stem_and_reports_the_rest(tmp_path: Path, extra: list[str]) -> None:
    result, project = _import(tmp_path, str(DATA / "Marta.txt"), str(DATA / "oleg.txt"),
                              "--attributes", str(SHEET), *extra)
    assert result.exit_code == 0, result.output
    assert "[E985]" in result.output and "2 row(s) match no transcript" in result.output
    assert "Bruce" in result.output and "David" in result.output and "--keep-unmatched" in result.output
    with Project.open(project) as p:
        cases = p.cases().set_index("case")
        transcripts = p.transcripts().set_index("transcript")["case"].to_dict()
    assert sorted(cases.index.str.casefold()) == ["marta", "oleg"]  # no case without a transcript
    # oleg.txt joins the row `Oleg` although the case differs
    assert {t: c.casefold() for t, c in transcripts.items()} == {"Marta": "marta", "oleg": "oleg"}
    assert set(cases["Region"]) == {"North East England", "Scotland"}
    assert set(cases["AgeGroup"]) == {">61", "41-50"}


def test_keep_unmatched_adds_the_rows_as_cases(tmp_path: Path) -> None:
    result, project = _import(tmp_path, str(DATA / "Marta.txt"), "--attributes", str(SHEET),
                              "--id-column", "TranscriptName", "--keep-unmatched")
    assert result.exit_code == 0, result.output
    assert "[E985]" not in result.output
    with Project.open(project) as p:
        assert sorted(p.cases()["case"]) == ["Bruce", "David", "Marta", "Oleg"]


def test_id_column_that_is_not_there(tmp_path: Path) -> None:
    result, project = _import(tmp_path, str(DATA / "Marta.txt"), "--attributes", str(SHEET),
                              "--id-column", "TranscriptNmae")
    assert result.exit_code == 1
    assert "[E984]" in result.output and "TranscriptNmae" in result.output and "TranscriptName" in result.output
    with Project.open(project) as p:
        assert p.cases().empty or "Bruce" not in set(p.cases()["case"])


def test_a_facesheet_imported_after_its_transcripts(tmp_path: Path) -> None:
    result, project = _import(tmp_path, str(DATA / "oleg.txt"))
    assert result.exit_code == 0
    second = CliRunner().invoke(cli, ["import", str(project), str(SHEET), "--layout", "cases",
                                      "--id-column", "TranscriptName"])
    assert second.exit_code == 0, second.output
    assert "3 row(s) match no transcript" in second.output
    with Project.open(project) as p:
        cases = p.cases().set_index("case")
    assert list(cases["Region"]) == ["Scotland"]


def test_real_sheffield_facesheet(tmp_path: Path) -> None:
    if not (REAL / "participants_facesheet.csv").exists():
        if os.environ.get("CI"):
            pytest.fail(f"{REAL} is missing: CI must run the tests on ../shared/corpus")
        pytest.skip("../shared/corpus is not next to the repository")
    result, project = _import(tmp_path, str(REAL / "Ana.txt"), str(REAL / "Jessica.txt"),
                              "--attributes", str(REAL / "participants_facesheet.csv"),
                              "--layout", "cases", "--id-column", "TranscriptName")
    assert result.exit_code == 0, result.output
    assert "13 row(s) match no transcript" in result.output
    with Project.open(project) as p:
        cases = p.cases().set_index("case")
    assert sorted(cases.index) == ["Ana", "Jessica"]
    assert str(cases.loc["Ana", "InterviewDate"]) == "2023-05-12"
