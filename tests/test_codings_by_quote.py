"""`qualcode codings import` of a hand-made table with the coded words only (`transcript,code,quote`):
each quote is found in its transcript, where it must occur once; otherwise nothing is imported."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner

from qualcode import Project
from qualcode.cli import cli

ROOT = Path(__file__).resolve().parent.parent
GOLD4 = ROOT / "tests" / "data" / "gold4"  # a hand-coded tuning set: its gold.csv has transcript,code,quote


def invoke(*args: str | Path):
    return CliRunner().invoke(cli, [str(a) for a in args], prog_name="qualcode")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    path = tmp_path / "g4.qcdb"
    with Project.create(path) as p:
        assert p.import_files(sorted(GOLD4.glob("*.txt"))).ok
    return path


def test_a_table_of_quotes_is_imported_on_the_quoted_words(project: Path) -> None:
    rows = list(csv.DictReader((GOLD4 / "gold.csv").open(encoding="utf-8")))
    result = invoke("codings", "import", project, GOLD4 / "gold.csv", "--coder", "g4", "--create-codes")
    assert result.exit_code == 0, result.output
    with Project.open(project) as p:
        got = p.codings(coder="g4")
        texts = {n: p.transcript_text(n) for n in set(got["transcript"])}
    assert len(got) == len(rows)
    assert sorted(zip(got["transcript"], got["code"], [texts[t][s:e] for t, s, e in
                                                         zip(got["transcript"], got["start"], got["end"],
                                                             strict=True)], strict=True)) == \
        sorted((r["transcript"], r["code"], r["quote"].strip()) for r in rows)


def test_a_quote_not_found_or_found_twice_is_refused_and_nothing_is_imported(project: Path, tmp_path: Path) -> None:
    first = next(csv.DictReader((GOLD4 / "gold.csv").open(encoding="utf-8")))
    with Project.open(project) as p:
        text = p.transcript_text(first["transcript"])
    twice = next(w for w in ("the", "и", "I", "в") if text.count(w) > 1)
    file = tmp_path / "quotes.csv"
    file.write_text("transcript,code,quote\n"
                    f"{first['transcript']},{first['code']},\"{first['quote']}\"\n"
                    f"{first['transcript']},{first['code']},words nobody said here\n"
                    f"{first['transcript']},{first['code']},{twice}\n", encoding="utf-8")
    result = invoke("codings", "import", project, file, "--coder", "g4", "--create-codes")
    assert result.exit_code == 1
    assert "[E708]" in result.output and "line 3" in result.output and "line 4" in result.output
    assert "is not in the transcript" in result.output and "times in the transcript" in result.output
    with Project.open(project) as p:
        assert p.codings().empty and "g4" not in p.coders()  # the good first row waits for the others


def test_a_table_without_quote_or_offsets_names_both_layouts(project: Path, tmp_path: Path) -> None:
    file = tmp_path / "codes_only.csv"
    file.write_text("transcript,code\nz01,push.low_income\n", encoding="utf-8")
    result = invoke("codings", "import", project, file, "--coder", "g4")
    assert result.exit_code == 1 and "[E701]" in result.output
    assert "transcript,code,quote" in result.output
