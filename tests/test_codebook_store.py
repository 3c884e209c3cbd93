"""The project keeps the codebook it was coded with (issue 15.5): the typology and the exports
work from any folder, after the codebook file moved or changed, and an export that cannot make
a table says so with a non-zero exit instead of writing fewer sheets in silence."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from sqlalchemy import delete, func, select

from qualcode import Project
from qualcode.cli import cli
from qualcode.store.schema import codebooks

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "codebooks" / "migration.yaml"


@pytest.fixture
def coded_elsewhere(sample_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The sample coded from folder `first/` with the codebook given as a relative path."""
    first = tmp_path / "first"
    first.mkdir()
    shutil.copy(SHIPPED, first / "migration.yaml")
    monkeypatch.chdir(first)
    result = CliRunner().invoke(cli, ["code", str(sample_copy), "--codebook", "migration.yaml"])
    assert result.exit_code == 0, result.output
    other = tmp_path / "other"
    other.mkdir()
    monkeypatch.chdir(other)
    return sample_copy


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args))


def test_the_coded_codebook_is_kept_once_by_its_hash(coded_elsewhere: Path, tmp_path: Path) -> None:
    with Project.open(coded_elsewhere) as p:
        book = p.codebook()
        with p.engine.connect() as conn:
            rows = conn.execute(select(codebooks)).all()
    assert len(rows) == 1
    assert rows[0].sha256 == hashlib.sha256(SHIPPED.read_bytes()).hexdigest() == book.sha256
    assert rows[0].content == SHIPPED.read_text(encoding="utf-8")
    assert rows[0].path == str(tmp_path / "first" / "migration.yaml")
    assert [c.id for c in book.codes] and book.types
    # Coding again with the same codebook keeps nothing new.
    assert invoke("code", str(coded_elsewhere), "--codebook", str(SHIPPED)).exit_code == 0
    with Project.open(coded_elsewhere) as p, p.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(codebooks)).scalar() == 1


def test_typology_and_exports_from_another_folder(coded_elsewhere: Path, tmp_path: Path) -> None:
    """The run recorded 'migration.yaml', relative to first/; the commands run in other/."""
    assert not Path("migration.yaml").exists()
    typology = invoke("typology", str(coded_elsewhere))
    assert typology.exit_code == 0, typology.output
    assert invoke("export", str(coded_elsewhere), "--what", "typology", "--out", "t.csv").exit_code == 0
    assert set(pd.read_csv("t.csv")["rule_type"]) == {"development", "survival", "mixed"}
    result = invoke("export", str(coded_elsewhere), "--what", "project", "--out", "p.xlsx")
    assert result.exit_code == 0, result.output
    assert list(pd.read_excel("p.xlsx", sheet_name=None)) == ["segments", "matrix", "typology", "codebook"]
    with Project.open(coded_elsewhere) as p:
        # the given path is not there from this folder: the absolute one the project kept is
        assert p.last_codebook_path() == str(tmp_path / "first" / "migration.yaml")


def test_the_kept_codebook_outlives_its_file(coded_elsewhere: Path, tmp_path: Path) -> None:
    """The typology uses the codebook the project was coded with, even after the file changed
    (here: its types removed) and then went away."""
    kept = tmp_path / "first" / "migration.yaml"
    with Project.open(coded_elsewhere) as p:
        before = p.typology(method="rules").cases["rule_type"].to_dict()
    kept.write_text(kept.read_text(encoding="utf-8").split("\ntypes:")[0] + "\n", encoding="utf-8")
    with Project.open(coded_elsewhere) as p:
        assert p.typology(method="rules").cases["rule_type"].to_dict() == before
    kept.unlink()
    with Project.open(coded_elsewhere) as p:
        assert p.codebook().sha256 == hashlib.sha256(SHIPPED.read_bytes()).hexdigest()
        assert p.typology(method="rules").cases["rule_type"].to_dict() == before
    assert invoke("export", str(coded_elsewhere), "--what", "project", "--out", "p.xlsx").exit_code == 0
    assert "typology" in pd.read_excel("p.xlsx", sheet_name=None)


def test_an_export_never_drops_a_sheet_in_silence(coded_elsewhere: Path, tmp_path: Path) -> None:
    """A project coded before codebooks were kept, whose codebook file is gone: the workbook is
    written without the typology sheet, the command says why and exits 1."""
    with Project.open(coded_elsewhere) as p, p.engine.begin() as conn:
        conn.execute(delete(codebooks))
    (tmp_path / "first" / "migration.yaml").unlink()
    result = invoke("export", str(coded_elsewhere), "--what", "project", "--out", "p.xlsx")
    assert result.exit_code == 1
    assert "[E858]" in result.output and "typology" in result.output and "migration.yaml" in result.output
    assert list(pd.read_excel("p.xlsx", sheet_name=None)) == ["segments", "matrix", "codebook"]
    typology = invoke("typology", str(coded_elsewhere))
    assert typology.exit_code == 1 and "[E720]" in typology.output


def test_a_project_never_coded_says_why_it_has_no_typology_sheet(sample_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "p.xlsx"
    result = invoke("export", str(sample_copy), "--what", "project", "--out", str(out))
    assert result.exit_code == 1 and "[E858]" in result.output and "no rule run yet" in result.output
    assert list(pd.read_excel(out, sheet_name=None)) == ["segments", "matrix", "codebook"]
