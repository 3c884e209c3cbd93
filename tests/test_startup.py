"""Commands start without the heavy libraries they do not use (issue 17). Speed itself is measured
in benchmarks/startup.py; these tests check the cause: which modules a command imports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from qualcode.project import Project
from qualcode.store import database

HEAVY = ("scipy", "pandas", "alembic", "spacy", "sklearn", "sqlalchemy", "numpy")
RUN = f"""
import sys, json
from qualcode.cli import main
sys.argv = ["qualcode", *json.loads(sys.argv[1])]
try:
    main()
except SystemExit:
    pass
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in {set(HEAVY)!r})))
"""


def _imported(*args: str) -> set[str]:
    """The heavy top-level packages a fresh interpreter has imported after `qualcode ARGS`."""
    done = subprocess.run([sys.executable, "-c", RUN, json.dumps(list(args))], capture_output=True, text=True,
                          check=True)
    return {m.split(".")[0] for m in json.loads(done.stdout.splitlines()[-1])}


def test_importing_the_cli_pulls_in_no_heavy_library() -> None:
    code = "import sys, qualcode.cli; print(sorted({m.split('.')[0] for m in sys.modules}))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert set(json.loads(done.stdout.replace("'", '"'))) & set(HEAVY) == set()


def test_help_pulls_in_no_heavy_library() -> None:
    assert _imported("--help") == set()
    assert _imported("codings", "--help") == set()


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("startup") / "p.qcdb"
    with Project.create(path) as p:
        p.import_files([Path(__file__).parent / "data" / "koi8r_ru.txt"])
    return path


@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
@pytest.mark.parametrize("command", ["transcripts", "turns", "codings"])
def test_listing_a_project_needs_sqlalchemy_only(command: str, fmt: str, project: Path) -> None:
    # no pandas/numpy (qualcode.cli_listing formats plain rows), no scipy (analysis), no alembic
    # (the project is at the newest schema), no spaCy (no coding)
    assert _imported(command, str(project), "--format", fmt) == {"sqlalchemy"}


def test_the_workers_help_names_the_pool_threshold() -> None:
    # cli_coding writes the number out so that --help need not import qualcode.runs
    from click.testing import CliRunner

    from qualcode.cli import cli
    from qualcode.runs import POOL_MIN_WORDS

    help_text = " ".join(CliRunner().invoke(cli, ["code", "--help"]).output.split())
    assert f"A pool is used only from {POOL_MIN_WORDS:,} words to analyse" in help_text


def test_the_newest_migration_read_from_the_files_is_alembics_head() -> None:
    assert database.plain_head() == database.head_revision()


def test_an_older_project_is_still_migrated(tmp_path: Path) -> None:
    path = tmp_path / "old.qcdb"
    engine = database.make_engine(path)
    database.upgrade(engine, "0001")
    assert database.current_revision(engine) == "0001"
    engine.dispose()
    with Project.open(path) as p:
        assert p.schema_revision == database.head_revision()
