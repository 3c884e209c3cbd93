"""`qualcode codings` as a new user meets it: the E701 list of optional columns, the group's
--help (which shows the options of `export`, the command it runs by default) and an empty
project's codings.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from qualcode.cli import cli


def invoke(*args: str | Path):
    return CliRunner().invoke(cli, [str(a) for a in args], prog_name="qualcode")


@pytest.fixture
def empty_project(tmp_path: Path) -> Path:
    path = tmp_path / "empty.qcdb"
    result = invoke("init", path)
    assert result.exit_code == 0, result.output
    return path


def test_e701_lists_memo_among_the_optional_columns(empty_project: Path, tmp_path: Path) -> None:
    file = tmp_path / "no_text.csv"
    file.write_text("transcript,code,start,end\nen_family,move,1,2\n", encoding="utf-8")
    result = invoke("codings", "import", empty_project, file)
    assert result.exit_code == 1
    assert "[E701]" in result.stderr and "column 'text' is missing" in result.stderr
    assert "(and optionally coder,origin,status,confidence,memo)" in result.stderr


def test_codings_help_shows_the_export_options() -> None:
    result = invoke("codings", "--help")
    assert result.exit_code == 0, result.output
    assert "Options of `qualcode codings export`" in result.output
    for option in ("--format [csv|json|table]", "--coder TEXT", "--origin", "--out FILE", "--transcripts",
                   "--status"):
        assert option in result.output, option
    assert "Commands:" in result.output and "export" in result.output and "import" in result.output


def test_export_help_breaks_no_column_name() -> None:
    out = invoke("codings", "export", "--help").output
    # each column whole (the old one-line list wrapped as "...,coder,o" / "rigin,rule,...")
    words = set(re.split(r"[\s,.:`()]+", out))
    assert {"transcript", "case", "code", "start", "end", "text", "speaker", "role", "coder", "origin", "rule",
            "status", "confidence", "run"} <= words
    assert not {"o", "rigin"} & words


def test_no_codings_in_a_table_says_so(empty_project: Path) -> None:
    result = invoke("codings", empty_project, "--format", "table")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("No codings yet")
    filtered = invoke("codings", empty_project, "--format", "table", "--origin", "rule")
    assert filtered.stdout.strip() == "No codings match these filters."


def test_no_codings_in_csv_and_json_stay_a_header_and_an_empty_list(empty_project: Path) -> None:
    result = invoke("codings", empty_project)
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert len(rows) == 1 and rows[0][:3] == ["transcript", "case", "code"] and "memo" not in rows[0]
    assert invoke("codings", empty_project, "--format", "json").stdout.strip() == "[]"
