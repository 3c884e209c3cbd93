"""Shared fixtures: paths, a fresh project per test, and the sample project built once."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from qualcode import Project
from qualcode.sample import build_sample_project

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
INTERVIEWS = ROOT / "interviews"


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
