"""`qualcode export` and `qualcode import` of REFI-QDA files on the coded sample project, as a
new user would run them: every format opens again with its reader, with the same values and
labels; QDPX and QDC validate against the official schemas and round-trip losslessly."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest
from click.testing import CliRunner
from lxml import etree

from qualcode.cli import cli
from qualcode.project import Project

ROOT = Path(__file__).resolve().parent.parent
CODEBOOK = str(ROOT / "codebooks" / "migration.yaml")
SCHEMAS = ROOT / "tests" / "data" / "refi" / "schemas"  # the official REFI-QDA schemas, vendored


def _coded(location: Path | str) -> None:
    from tests.conftest import _build_sample

    _build_sample(location)
    assert CliRunner().invoke(cli, ["code", str(location), "--codebook", CODEBOOK]).exit_code == 0


@pytest.fixture
def coded(db) -> Path | str:
    """The sample project after `qualcode code`, on SQLite and on PostgreSQL (tests/conftest.py `db`)."""
    return db.copy("export_coded", _coded)


# Writing each file format is not the store's part: these run on SQLite only (the others on both).
FORMATS_ONLY = pytest.mark.parametrize("db", ["sqlite"], indirect=True)


def run(*args: str):
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result


@FORMATS_ONLY
def test_segments_in_every_table_format_read_back_the_same(coded: Path, tmp_path: Path) -> None:
    with Project.open(coded) as p:
        codings = p.codings()
    for fmt in ("csv", "xlsx", "parquet", "sav", "dta"):
        out = tmp_path / f"segments.{fmt}"
        result = run("export", str(coded), "--what", "segments", "--out", str(out))
        assert f"segments {len(codings):,} rows" in result.output
        if fmt == "csv":
            back = pd.read_csv(out)
        elif fmt == "xlsx":
            assert pd.ExcelFile(out).sheet_names == ["segments", "codebook"]  # what the codes mean
            back = pd.read_excel(out, sheet_name="segments")
        elif fmt == "parquet":
            back = pd.read_parquet(out)
        elif fmt == "sav":
            back, meta = pyreadstat.read_sav(out)
            assert meta.column_names_to_labels["code_name"]
        else:
            back = pd.read_stata(out).rename(columns={"case_": "case", "end_": "end"})
        assert len(back) == len(codings), fmt
        assert sorted(back["text"].astype(str).str.strip()) == sorted(codings["text"].str.strip()), fmt
        assert sorted(back["start"].astype(int)) == sorted(codings["start"]), fmt
        assert any("работ" in t for t in back["text"].astype(str)), fmt  # Cyrillic intact


def test_matrix_to_spss_and_stata_with_labels(coded: Path, tmp_path: Path) -> None:
    with Project.open(coded) as p:
        matrix = p.matrix("presence")
    run("export", str(coded), "--what", "matrix", "--out", str(tmp_path / "m.sav"))
    data, meta = pyreadstat.read_sav(tmp_path / "m.sav")
    assert "push_unemployment" in data.columns
    assert meta.column_names_to_labels["push_unemployment"].startswith("push.unemployment")
    assert meta.variable_value_labels["push_unemployment"] == {0: "absent", 1: "present"}
    assert data.set_index("case")["push_unemployment"].astype(int).to_dict() == \
        matrix["push.unemployment"].to_dict()
    run("export", str(coded), "--what", "matrix", "--out", str(tmp_path / "m.dta"))
    with pd.io.stata.StataReader(tmp_path / "m.dta") as reader:
        labels = reader.variable_labels()
        frame = reader.read(convert_categoricals=False)
    assert labels["push_unemployment"].startswith("push.unemployment")
    assert int(frame["push_unemployment"].sum()) == int(matrix["push.unemployment"].sum())


@FORMATS_ONLY
def test_whole_project_xlsx_has_every_table(coded: Path, tmp_path: Path) -> None:
    out = tmp_path / "p.xlsx"
    run("export", str(coded), "--what", "project", "--out", str(out))
    sheets = pd.read_excel(out, sheet_name=None)
    assert list(sheets) == ["segments", "matrix", "typology", "codebook"]
    assert set(sheets["typology"]["rule_type"]) == {"development", "survival", "mixed"}
    assert len(sheets["codebook"]) == 53


def test_qdpx_and_qdc_validate_and_round_trip_through_import(coded: Path, tmp_path: Path) -> None:
    qdpx, qdc = tmp_path / "sample.qdpx", tmp_path / "codes.qdc"
    run("export", str(coded), "--what", "project", "--format", "qdpx", "--out", str(qdpx))
    run("export", str(coded), "--what", "codebook", "--out", str(qdc))
    project_schema = etree.XMLSchema(etree.parse(str(SCHEMAS / "Project-mrt2019.xsd")))
    with zipfile.ZipFile(qdpx) as z:
        assert project_schema.validate(etree.fromstring(z.read("project.qde"))), project_schema.error_log
    codebook_schema = etree.XMLSchema(etree.parse(str(SCHEMAS / "Codebook.xsd")))
    assert codebook_schema.validate(etree.parse(str(qdc))), codebook_schema.error_log

    fresh = tmp_path / "fresh.qcdb"
    run("init", str(fresh))
    result = run("import", str(fresh), str(qdpx), str(qdc))
    assert "imported 24 source(s) as transcripts" in result.output
    with Project.open(coded) as a, Project.open(fresh) as b:
        columns = ["transcript", "code", "start", "end", "text", "coder", "origin", "status"]
        left = a.codings()[columns].sort_values(columns[:4]).reset_index(drop=True)
        right = b.codings()[columns].sort_values(columns[:4]).reset_index(drop=True)
        pd.testing.assert_frame_equal(left, right)
        pd.testing.assert_frame_equal(a.cases(), b.cases())
        for name in a.transcripts()["transcript"]:
            assert a.transcript_text(name) == b.transcript_text(name)


def test_hostile_qdpx_is_refused_and_changes_nothing(coded: Path, tmp_path: Path) -> None:
    bad = tmp_path / "slip.qdpx"
    with zipfile.ZipFile(bad, "w") as z:
        z.writestr("project.qde", "<Project/>")
        z.writestr("../../evil.txt", "x")
    with Project.open(coded) as p:
        before = len(p.codings()), len(p.transcripts())
    result = CliRunner().invoke(cli, ["import", str(coded), str(bad)])
    assert result.exit_code == 1 and "[E803]" in result.output and "../../evil.txt" in result.output
    with Project.open(coded) as p:
        assert (len(p.codings()), len(p.transcripts())) == before
    assert not (tmp_path.parent / "evil.txt").exists()


@FORMATS_ONLY
def test_format_and_what_must_fit(coded: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    wrong = runner.invoke(cli, ["export", str(coded), "--what", "segments", "--format", "qdpx",
                                "--out", str(tmp_path / "x.qdpx")])
    assert wrong.exit_code == 2 and "use --what project" in wrong.output
    unknown = runner.invoke(cli, ["export", str(coded), "--out", str(tmp_path / "x.pdf")])
    assert unknown.exit_code == 1 and "[E850]" in unknown.output and ".pdf" in unknown.output
    several = runner.invoke(cli, ["export", str(coded), "--what", "project", "--out", str(tmp_path / "x.csv")])
    assert several.exit_code == 1 and "[E851]" in several.output


@FORMATS_ONLY
def test_qdpx_export_says_what_other_tools_get(coded: Path, tmp_path: Path) -> None:
    """By default other tools get the accepted codings; the CLI says what it left out and how to
    put suggestions in; --include-suggestions does."""
    with Project.open(coded) as p:
        counts = p.codings()["status"].value_counts().to_dict()
    result = CliRunner().invoke(cli, ["export", str(coded), "--what", "project", "--out", str(tmp_path / "a.qdpx")])
    assert result.exit_code == 0, result.output
    assert f"{counts.get('accepted', 0):,} accepted codings" in result.output
    assert f"will not see {counts['suggested']} suggested coding(s)" in result.output
    assert "--include-suggestions puts the suggestions in" in result.output
    result = run("export", str(coded), "--what", "project", "--out", str(tmp_path / "b.qdpx"), "--include-suggestions")
    assert f"{counts.get('accepted', 0) + counts['suggested']:,} accepted and suggested codings" in result.output
    with zipfile.ZipFile(tmp_path / "b.qdpx") as z:
        assert z.read("project.qde").count(b"<PlainTextSelection") == counts.get("accepted", 0) + counts["suggested"]


def test_import_help_names_the_exchange_formats() -> None:
    text = run("import", "--help").output
    assert all(suffix in text for suffix in (".qdpx", ".qde", ".qdc"))
