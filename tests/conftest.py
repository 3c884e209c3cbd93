"""Shared fixtures: paths, a fresh project per test, and the sample project built once.

`db` runs a test on both stores, SQLite and PostgreSQL (ids `sqlite` and `pg`): see `Store`.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from qualcode import Project
from qualcode.cli import cli
from qualcode.copying import copy_project
from qualcode.sample import build_sample_project
from tests import pgserver

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


def _build_two_coders(project: Path | str, tmp_path: Path) -> None:
    """aigerim codes four transcripts (here: what the rules found there); daniyar codes the
    same four apart, in a copy of the project, leaving out every fourth of those codings and
    adding push.unemployment to every third respondent turn of kz03."""
    runner = CliRunner()
    assert runner.invoke(cli, ["code", str(project), "--codebook", CODEBOOK]).exit_code == 0
    with Project.open(project) as p:
        rules = p.codings(SHARED, origin="rule")
        turns = p.turns("kz03")
    columns = ["transcript", "code", "start", "end", "text"]
    first = rules[columns].assign(coder="aigerim")
    first.to_csv(tmp_path / "aigerim.csv", index=False)
    second = rules[columns].iloc[[i for i in range(len(rules)) if i % 4 != 3]]
    extra = turns[turns["role"] == "respondent"].iloc[::3]
    extra = pd.DataFrame({"transcript": "kz03", "code": "push.unemployment", "start": extra["start"],
                          "end": extra["end"], "text": extra["text"]})
    copy = tmp_path / "daniyar.qcdb"  # the other coder's project: always a file (as sent by e-mail)
    copy_project(project, copy)
    pd.concat([second, extra]).assign(coder="daniyar").to_csv(tmp_path / "daniyar.csv", index=False)
    result = runner.invoke(cli, ["codings", "import", str(copy), str(tmp_path / "daniyar.csv")])
    assert result.exit_code == 0, result.output
    # Bring both coders into the first project: one from a CSV, one from the other project file.
    result = runner.invoke(cli, ["codings", "import", str(project), str(tmp_path / "aigerim.csv")])
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["codings", "import", str(project), str(copy), "--coder", "daniyar"])
    assert result.exit_code == 0, result.output
    assert f"Imported {len(second) + len(extra)} codings" in result.output


@pytest.fixture
def two_coders(db, sample_project_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path | str:
    """The sample project coded by aigerim and daniyar (`_build_two_coders`), on each store."""
    def build(location: Path | str) -> None:
        shutil.copy(sample_project_file, location) if isinstance(location, Path) else _build_sample(location)
        _build_two_coders(location, tmp_path_factory.mktemp("two_coders"))

    return db.copy("two_coders", build)


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


# --- both stores: SQLite and PostgreSQL ---------------------------------------------------------

Location = Path | str  # an SQLite file, or a postgresql+psycopg:// URL


@pytest.fixture(scope="session")
def pg_databases() -> Iterator[pgserver.Databases]:
    """A PostgreSQL server for the session (CI's $QUALCODE_TEST_PG, or a throwaway cluster)."""
    with pgserver.server() as (url, why, cluster):
        if url is not None and (problem := pgserver.unreachable(url)):
            url, why = None, problem
        if url is None:
            if os.environ.get("CI"):
                pytest.fail(f"{why} — required in CI.")
            pytest.skip(why)
        databases = pgserver.Databases(url)
        databases.cluster = cluster  # type: ignore[attr-defined]  # tests that stop the server need it
        yield databases
        databases.drop_all()


class Store:
    """Fresh databases of one kind for one test.

    `new()` is an empty location for `Project.create` or `qualcode init`; `copy(key, build)` is a
    fresh copy of a database `build(location)` prepared once per session and kind (a file copy
    for SQLite, `CREATE DATABASE ... TEMPLATE` for PostgreSQL).
    """

    def __init__(self, kind: str, tmp_path: Path, templates: dict, pg: pgserver.Databases | None) -> None:
        self.kind, self.tmp_path, self.templates, self.pg = kind, tmp_path, templates, pg
        self.count = 0

    def new(self, name: str = "p") -> Location:
        self.count += 1
        if self.pg is None:
            return self.tmp_path / f"{name}{self.count}.qcdb"
        return self.pg.create()

    def copy(self, key: str, build: Callable[[Location], object]) -> Location:
        if (self.kind, key) not in self.templates:
            if self.pg is None:
                folder = self.tmp_path.parent / f"template-{key}"
                folder.mkdir(exist_ok=True)
                source: Location = folder / f"{key}.qcdb"
            else:
                source = self.pg.create(name=f"qc_template_{os.getpid()}_{key}")
            build(source)
            self.templates[(self.kind, key)] = source
        source = self.templates[(self.kind, key)]
        if self.pg is None:
            self.count += 1
            return Path(shutil.copy(source, self.tmp_path / f"{key}{self.count}.qcdb"))
        return self.pg.create(template=str(source).rsplit("/", 1)[1].split("?")[0])


@pytest.fixture(scope="session")
def _store_templates() -> dict:
    return {}


@pytest.fixture(params=["sqlite", "postgresql"], ids=["sqlite", "pg"])
def db(request: pytest.FixtureRequest, tmp_path: Path, _store_templates: dict) -> Iterator[Store]:
    pg = request.getfixturevalue("pg_databases") if request.param == "postgresql" else None
    made = len(pg.made) if pg else 0
    yield Store(request.param, tmp_path, _store_templates, pg)
    if pg is not None:  # drop this test's databases (not the session's templates)
        for name in pg.made[made:]:
            if not name.startswith("qc_template_"):
                pg.drop(name)
        pg.made[made:] = [n for n in pg.made[made:] if n.startswith("qc_template_")]


@pytest.fixture
def db_project(db: Store) -> Iterator[Project]:
    """A fresh, empty project on each store."""
    with Project.create(db.new()) as p:
        yield p


def _build_sample(location: Location) -> None:
    report = build_sample_project(location)
    assert report.ok, [r.message for r in report.failed]


@pytest.fixture
def db_sample(db: Store) -> Location:
    """A fresh copy of the sample project on each store."""
    return db.copy("sample", _build_sample)
