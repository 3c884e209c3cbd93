"""Shared fixtures: paths, a fresh project per test, and the sample project built once."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from qualcode import Project
from qualcode.cli import cli
from qualcode.sample import build_sample_project

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
INTERVIEWS = ROOT / "interviews"
CODEBOOK = str(ROOT / "codebooks" / "migration.yaml")


@pytest.fixture
def data() -> Path:
    return DATA


@pytest.fixture
def project(tmp_path: Path):
    with Project.create(tmp_path / "test.qcdb") as p:
        yield p


@pytest.fixture(scope="session")
def sample_project_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled sample project, built once from interviews/ (read-only for tests: copy to modify)."""
    path = tmp_path_factory.mktemp("sample") / "sample.qcdb"
    report = build_sample_project(path)
    assert report.ok, [r.message for r in report.failed]
    return path


@pytest.fixture
def sample_copy(sample_project_file: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "sample.qcdb"
    shutil.copy(sample_project_file, dest)
    return dest


SHARED = ["kz01", "kz03", "kz09", "kz12"]  # the transcripts both coders of `two_coders` coded


@pytest.fixture
def two_coders(sample_copy: Path, tmp_path: Path) -> Path:
    """aigerim codes four transcripts (here: what the rules found there); daniyar codes the
    same four apart, in a copy of the project, leaving out every fourth of those codings and
    adding push.unemployment to every third respondent turn of kz03."""
    runner = CliRunner()
    assert runner.invoke(cli, ["code", str(sample_copy), "--codebook", CODEBOOK]).exit_code == 0
    with Project.open(sample_copy) as p:
        rules = p.codings(SHARED, origin="rule")
        turns = p.turns("kz03")
    columns = ["transcript", "code", "start", "end", "text"]
    first = rules[columns].assign(coder="aigerim")
    first.to_csv(tmp_path / "aigerim.csv", index=False)
    second = rules[columns].iloc[[i for i in range(len(rules)) if i % 4 != 3]]
    extra = turns[turns["role"] == "respondent"].iloc[::3]
    extra = pd.DataFrame({"transcript": "kz03", "code": "push.unemployment", "start": extra["start"],
                          "end": extra["end"], "text": extra["text"]})
    copy = tmp_path / "daniyar.qcdb"
    shutil.copy(sample_copy, copy)
    pd.concat([second, extra]).assign(coder="daniyar").to_csv(tmp_path / "daniyar.csv", index=False)
    result = runner.invoke(cli, ["codings", "import", str(copy), str(tmp_path / "daniyar.csv")])
    assert result.exit_code == 0, result.output
    # Bring both coders into the first project: one from a CSV, one from the other project file.
    result = runner.invoke(cli, ["codings", "import", str(sample_copy), str(tmp_path / "aigerim.csv")])
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["codings", "import", str(sample_copy), str(copy), "--coder", "daniyar"])
    assert result.exit_code == 0, result.output
    assert f"Imported {len(second) + len(extra)} codings" in result.output
    return sample_copy


@pytest.fixture(scope="session")
def coded_sample(sample_project_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample project plus the HTML/emoji/CRLF transcript of tests/data/workbench, auto-coded
    with the shipped codebook (codes and suggestions): what the workbench tests start from."""
    path = tmp_path_factory.mktemp("coded") / "sample.qcdb"
    shutil.copy(sample_project_file, path)
    with Project.open(path) as p:
        assert p.import_files([DATA / "workbench" / "xss_ru.txt"]).ok
        p.autocode(ROOT / "codebooks" / "migration.yaml")
    return path
