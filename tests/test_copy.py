"""`qualcode copy`: a project from an SQLite file to PostgreSQL and back, losslessly (issue 16.1)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from qualcode import Project
from qualcode.cli import cli
from qualcode.copying import copy_project
from qualcode.errors import ProjectError
from tests.conftest import CODEBOOK, Store


def _table_rows(path: Path) -> dict[str, list[tuple]]:
    """Every row of every table, as SQLite stores it (text, numbers, bytes), in key order."""
    con = sqlite3.connect(path)
    try:
        names = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
        return {n: sorted(con.execute(f'SELECT * FROM "{n}"').fetchall(), key=repr) for n in names}
    finally:
        con.close()


def _studied(location: object) -> None:
    """The sample project as a team leaves it: rule codings reviewed, codes reorganised, a coder's
    codings with memos, case attributes (from the sample's cases table)."""
    from tests.conftest import _build_sample

    _build_sample(location)
    with Project.open(location) as p:
        p.autocode(CODEBOOK)
        rules = p.codings(origin="rule")
        p.review_codings([int(i) for i in rules["id"][:5]], "accepted", "aigerim")
        p.review_codings([int(i) for i in rules["id"][5:8]], "rejected", "aigerim")
        p.rename_code("push.unemployment", "Без работы — unemployment")
        text = p.transcript_text("kz01")
        p.add_coding("kz01", "push.unemployment", 0, 12, coder="daniyar", memo="«первый» ответ\nsecond line")
        p.add_coding("kz01", "push.unemployment", 5, len(text) // 2, coder="aigerim")


def test_sqlite_to_postgresql_and_back_keeps_every_row(pg_databases, _store_templates, tmp_path: Path) -> None:
    original = Store("sqlite", tmp_path, _store_templates, None).copy("studied", _studied)
    url = pg_databases.create()
    there = copy_project(original, url)
    back = tmp_path / "back.qcdb"
    again = copy_project(url, back)

    before, after = _table_rows(original), _table_rows(back)
    assert before.keys() == after.keys()
    for table in before:
        assert after[table] == before[table], table
    assert there.rows == again.rows and there.rows["codings"] == len(before["codings"]) > 100
    # The PostgreSQL copy is a working project: its reads agree, and new rows get new ids.
    with Project.open(url) as pg, Project.open(original) as lite:
        assert pg.codings().drop(columns="id").equals(lite.codings().drop(columns="id"))
        assert pg.cases().equals(lite.cases())
        new = pg.add_coding("kz02", "push.unemployment", 0, 5, coder="daniyar")
        assert new > int(lite.codings()["id"].max())


def test_copy_command_refuses_a_used_destination_and_itself(db, tmp_path: Path, data: Path) -> None:
    source = tmp_path / "src.qcdb"
    with Project.create(source) as p:
        assert p.import_files([data / "cp1251_ru.txt"]).ok
    dst = db.new()
    result = CliRunner().invoke(cli, ["copy", str(source), str(dst)])
    assert result.exit_code == 0, result.output
    assert "Copied" in result.output and "cp1251_ru" not in result.output
    with Project.open(dst) as p:
        assert list(p.transcripts()["transcript"]) == ["cp1251_ru"]
    # A second copy onto it would mix two projects: refused, and the copy stays as it was.
    result = CliRunner().invoke(cli, ["copy", str(source), str(dst)])
    assert result.exit_code == 1 and "[E115]" in result.output
    with pytest.raises(ProjectError, match=r"\[E116\]"):
        copy_project(dst, dst)
    with Project.open(dst) as p:
        assert len(p.turns()) == len(Project.open(source).turns())
