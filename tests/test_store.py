"""The project store: a real SQLite file, its pragmas, migrations and the first released schema.

Tests taking `db` run on SQLite and on PostgreSQL (tests/conftest.py)."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from qualcode import Project
from qualcode.errors import ProjectError
from qualcode.store import head_revision, metadata
from qualcode.store.database import make_engine, upgrade


def test_create_open_round_trip(db, data: Path) -> None:
    path = db.new()
    with Project.create(path, name="Pilot") as p:
        assert p.import_files([data / "cp1251_ru.txt"]).ok
        before_turns = p.turns()
        before_text = p.transcript_text("cp1251_ru")
    # A new process would see exactly this: reopen from the file.
    with Project.open(path) as p:
        assert p.name == "Pilot"
        assert p.transcript_text("cp1251_ru") == before_text
        assert p.turns().equals(before_turns)
        assert p.schema_revision == head_revision()


def test_sqlite_file_uses_wal_and_foreign_keys(tmp_path: Path) -> None:
    path = tmp_path / "p.qcdb"
    Project.create(path).close()
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"  # persistent in the file
    raw.close()
    with Project.open(path) as p, p.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        with pytest.raises(Exception, match="FOREIGN KEY"):
            conn.execute(text("INSERT INTO turns (transcript_id, idx, role, start_offset, end_offset) "
                              "VALUES (999, 0, 'respondent', 0, 1)"))


def test_migrations_produce_exactly_the_current_schema(db) -> None:
    engine = make_engine(db.new())  # every migration, from an empty database
    upgrade(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    engine.dispose()
    assert diff == []


def test_project_written_by_first_schema_opens_and_upgrades(tmp_path: Path, data: Path) -> None:
    old = tmp_path / "old.qcdb"
    shutil.copy(data / "project_schema_0001.qcdb", old)
    raw = sqlite3.connect(old)
    assert raw.execute("SELECT version_num FROM alembic_version").fetchone()[0] == "0001"
    raw.close()

    with Project.open(old) as p:
        assert p.schema_revision == head_revision()
        turns = p.turns("c01")
        assert list(turns["text"]) == ["Why did you move north?", "Работы не было, понимаете."]
        assert list(turns["role"]) == ["interviewer", "respondent"]
        assert p.cases().set_index("case").loc["C01", "age"] == 34
        with p.engine.connect() as conn:
            coding = conn.execute(text("SELECT start_offset, end_offset, memo, origin, status FROM codings")).one()
            memo = conn.execute(text("SELECT text FROM memos")).scalar()
            assert conn.execute(text("SELECT count(*) FROM import_log")).scalar() == 0  # new in 0002
        assert p.transcript_text("c01")[coding.start_offset:coding.end_offset] == "Работы не было"
        assert (coding.memo, coding.origin, coding.status) == ("no work at home", "manual", "accepted")
        assert memo == "First interview of the pilot."
        # The upgraded project works as a new one: import into it.
        result = p.import_files([data / "koi8r_ru.txt"]).results[0]
        assert result.status == "imported"


def test_create_refuses_existing_and_open_refuses_missing(tmp_path: Path) -> None:
    path = tmp_path / "p.qcdb"
    with pytest.raises(ProjectError, match=r"\[E101\].*p\.qcdb.*qualcode init"):
        Project.open(path)
    Project.create(path).close()
    with pytest.raises(ProjectError, match=r"\[E102\]"):
        Project.create(path)


def test_foreign_files_are_refused_untouched(tmp_path: Path) -> None:
    text_file = tmp_path / "notes.qcdb"
    text_file.write_text("not a database")
    with pytest.raises(ProjectError, match=r"\[E103\].*not an SQLite database"):
        Project.open(text_file)
    assert text_file.read_text() == "not a database"

    other = tmp_path / "other.sqlite"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE patients (id INTEGER)")
    con.commit()
    con.close()
    with pytest.raises(ProjectError, match=r"\[E103\].*patients"):
        Project.open(other)
    con = sqlite3.connect(other)
    assert [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")] == ["patients"]
    con.close()


def test_project_from_a_newer_qualcode_is_refused(db) -> None:
    path = db.new()
    with Project.create(path) as p, p.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(ProjectError, match=r"\[E104\].*'9999'.*Upgrade qualcode"):
        Project.open(path)


def test_sqlalchemy_url_works_as_location(tmp_path: Path, data: Path) -> None:
    url = f"sqlite:///{tmp_path / 'url.qcdb'}"
    with Project.create(url) as p:
        p.import_files([data / "utf16_bom_en.txt"])
    with Project.open(url) as p:
        assert list(p.transcripts()["transcript"]) == ["utf16_bom_en"]


def test_init_command_creates_the_project_on_both_stores(db) -> None:
    from click.testing import CliRunner

    from qualcode.cli import cli

    location = db.new()
    result = CliRunner().invoke(cli, ["init", str(location)])
    assert result.exit_code == 0, result.output
    expected = Path(location).stem if isinstance(location, Path) else str(location).rsplit("/", 1)[1].split("?")[0]
    assert f"Created project '{expected}'" in result.output
    with Project.open(location) as p:
        assert p.name == expected and p.schema_revision == head_revision()
    result = CliRunner().invoke(cli, ["init", str(location)])
    assert result.exit_code == 1 and "[E102]" in result.output


def test_open_with_create_makes_a_missing_or_empty_project(db) -> None:
    location = db.new()
    with Project.open(location, create=True) as p:  # a missing file, an empty database
        assert p.schema_revision == head_revision() and p.transcripts().empty
        p.add_code("kept")
    with Project.open(location, create=True) as p:  # now it exists: opened, not created again
        assert list(p.codes()["code"]) == ["kept"]
