"""Issue 18: hostile and broken inputs end in a numbered error, bounded work, and an unchanged project.

One parametrised test runs the generated corpus (tests/hostile/generate.py, 100+
files across transcript import, codebooks, codings import and REFI-QDA import)
through the real `qualcode` command on a real project file. The other tests here
pin each failure of the issue's sweep, and the bounded-work ones count what was
done (alias expansions, composed YAML nodes, backtracking branches refused) rather
than timing anything.
"""

from __future__ import annotations

import shutil
import sqlite3
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from qualcode import Project
from qualcode.cli import cli
from qualcode.errors import QualcodeError
from qualcode.store import database

sys.path.insert(0, str(Path(__file__).parent / "hostile"))
from generate import BASE_TEXT, BASE_TRANSCRIPT, Case, cases, generate

CORPUS_CASES = [c for c, _ in cases() if c.kind != "aux"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    generate(root)
    return root


@pytest.fixture(scope="module")
def base_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project with transcript 'base' of case KZ01 (gender female, age 34) and one code."""
    folder = tmp_path_factory.mktemp("base")
    path = folder / "base.qcdb"
    source = folder / "base.md"
    source.write_text(BASE_TRANSCRIPT, encoding="utf-8")
    with Project.create(path) as p:
        p.import_file(source)
        assert p.transcript_text("base") == BASE_TEXT
    csv = folder / "c.csv"
    csv.write_text("transcript,code,start,end,text,coder\nbase,c,0,11,Interviewer,ann\n", encoding="utf-8")
    with Project.open(path) as p:
        p.import_codings(csv, create_codes=True)
    return path


def snapshot(path: Path) -> dict[str, list[tuple]]:
    """Every row of every table but the import log (a failed import is logged: that is its job)."""
    with sqlite3.connect(path) as conn:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
        return {n: sorted(map(repr, conn.execute(f'SELECT * FROM "{n}"'))) for n in names if n != "import_log"}


def run(args: list[str]):
    return CliRunner().invoke(cli, args, catch_exceptions=True)


@pytest.mark.parametrize("case", CORPUS_CASES, ids=[c.id for c in CORPUS_CASES])
def test_hostile_input_is_refused_with_a_numbered_error(case: Case, corpus: Path, base_project: Path,
                                                        tmp_path: Path) -> None:
    project = tmp_path / "p.qcdb"
    shutil.copy(base_project, project)
    before = snapshot(project)
    result = run(case.argv(str(project), corpus))
    output = result.output + (result.stderr if result.stderr_bytes is not None else "")
    # An exception other than SystemExit is a traceback the user would have seen.
    assert isinstance(result.exception, SystemExit), (result.exception, output[-2000:])
    assert result.exit_code == 1, output[-2000:]
    assert "Traceback" not in output
    assert f"[{case.expected}]" in output, output[-2000:]
    assert snapshot(project) == before


def test_the_corpus_has_at_least_100_inputs_across_the_four_doors() -> None:
    kinds = {c.kind for c in CORPUS_CASES}
    assert len(CORPUS_CASES) >= 100
    assert kinds == {"import", "codebook", "codings", "refi"}
    assert len({c.id for c in CORPUS_CASES}) == len(CORPUS_CASES)


# --- 5. imports that silently changed or lost data ------------------------------------------

def _import(project: Path, file: Path, *options: str):
    return run(["import", str(project), str(file), *options])


def test_front_matter_changes_a_stored_case_only_with_update_cases(base_project: Path, tmp_path: Path) -> None:
    project = tmp_path / "p.qcdb"
    shutil.copy(base_project, project)
    intruder = tmp_path / "intruder.md"
    intruder.write_text("---\ncase: KZ01\ngender: INTRUDER\nheight: 180\n---\nRespondent: Hello.\n", encoding="utf-8")

    refused = _import(project, intruder)
    assert refused.exit_code == 1
    assert "[E954]" in refused.output and "'gender' from 'female' to 'INTRUDER'" in refused.output
    with Project.open(project) as p:
        assert p.cases().set_index("case").loc["KZ01", "gender"] == "female"
        assert "intruder" not in set(p.transcripts()["transcript"])

    updated = _import(project, intruder, "--update-cases")
    assert updated.exit_code == 0, updated.output
    assert "warning:" in updated.output and "'gender' from 'female' to 'INTRUDER'" in updated.output
    with Project.open(project) as p:
        row = p.cases().set_index("case").loc["KZ01"]
        assert (row["gender"], int(row["height"])) == ("INTRUDER", 180)


def test_same_values_and_new_attributes_are_not_changes(base_project: Path, tmp_path: Path) -> None:
    project = tmp_path / "p.qcdb"
    shutil.copy(base_project, project)
    second = tmp_path / "second.md"
    second.write_text("---\ncase: KZ01\ngender: Female\nage: '34'\nregion: south\n---\nRespondent: More.\n",
                      encoding="utf-8")
    result = _import(project, second)
    assert result.exit_code == 0, result.output
    assert "warning" not in result.output
    with Project.open(project) as p:
        assert p.cases().set_index("case").loc["KZ01", "region"] == "south"


def test_damaged_utf8_is_kept_as_utf8_with_a_count(project: Project, tmp_path: Path) -> None:
    parts = ["Респондент: Привет, мы ", "переехали в Алматы ", "в две тысячи восемнадцатом году.\n"]
    damaged = parts[0].encode() + b"\xff" + parts[1].encode() + b"\xc3(" + parts[2].encode() + b"\xfe"
    file = tmp_path / "damaged.txt"
    file.write_bytes(damaged)
    result = project.import_file(file)
    assert result.status == "imported"
    stored = project.transcript_text("damaged")
    assert "Привет" in stored and "РџСЂ" not in stored
    assert stored.count("\ufffd") == 3
    assert any("3 byte sequence(s) are not valid UTF-8" in w for w in result.warnings)
    row = project.transcripts().set_index("transcript").loc["damaged"]
    assert row["language"] == "ru"


def test_a_whole_cp1251_file_is_still_read_as_cp1251(project: Project, tmp_path: Path) -> None:
    file = tmp_path / "legacy.txt"
    file.write_bytes("Респондент: Привет, мы переехали в Алматы.\n".encode("cp1251"))
    result = project.import_file(file)
    assert "Привет" in project.transcript_text("legacy")
    assert not result.warnings


VTT = """WEBVTT

1
00:00:01.000 --> 00:00:02.000
<v Interviewer>Hello?

2
00:00:xx.000 --> 00:00:04.000
<v Respondent>First broken cue.

3
00:00:09.000 --> 00:00:05.000
<v Respondent>Ends before it starts.

4
00:05 --> 00:06
<v Respondent>Short timing.

5
-00:00:07.000 --> 00:00:08.000
<v Interviewer>Negative start.
"""

SRT = """1
-00:00:01,000 --> 00:00:02,000
Interviewer: Hello?

2
-00:00:03,000 --> 00:00:04,000
Respondent: Negative one.

3
00:00:05,000 --> -00:00:06,000
Respondent: Negative end.

4
00:00:07,000 --> 00:00:08,000
Interviewer: Fine cue.
"""


@pytest.mark.parametrize(("name", "content", "texts", "broken"), [
    ("broken.vtt", VTT, ["Hello?", "First broken cue.", "Ends before it starts.", "Short timing.",
                         "Negative start."], [2, 3, 4, 5]),
    ("negative.srt", SRT, ["Hello?", "Negative one.", "Negative end.", "Fine cue."], [1, 2, 3]),
])
def test_caption_cues_with_bad_timings_are_kept_with_a_warning(project: Project, tmp_path: Path, name: str,
                                                               content: str, texts: list[str],
                                                               broken: list[int]) -> None:
    file = tmp_path / name
    file.write_text(content, encoding="utf-8")
    result = project.import_file(file)
    stored = project.transcript_text(file.stem)
    for text in texts:
        assert text in stored
    named = sorted(int(w.split("cue ", 1)[1].split(" ", 1)[0]) for w in result.warnings if "cue " in w)
    assert named == broken


def test_many_attributes_are_refused_unless_asked_for(base_project: Path, tmp_path: Path) -> None:
    project = tmp_path / "p.qcdb"
    shutil.copy(base_project, project)
    file = tmp_path / "wide.md"
    file.write_text("---\ncase: W1\n" + "".join(f"a{i}: {i}\n" for i in range(300)) + "---\nRespondent: hi\n",
                    encoding="utf-8")
    refused = _import(project, file)
    assert refused.exit_code == 1 and "[E955]" in refused.output and "300 case attributes" in refused.output
    allowed = _import(project, file, "--max-attributes", "300")
    assert allowed.exit_code == 0, allowed.output
    with Project.open(project) as p:
        assert p.cases().set_index("case").loc["W1", "a299"] == 299


# --- 8. tracebacks that are now numbered errors -----------------------------------------------

def test_a_database_url_without_its_driver_is_a_numbered_error() -> None:
    with pytest.raises(QualcodeError) as err:
        Project.open("postgresql+psycopg2://coder:secret@localhost/study")
    assert err.value.code == "E958"
    assert "pip install psycopg2-binary" in str(err.value) and "secret" not in str(err.value)
    result = run(["transcripts", "postgresql+psycopg2://coder:secret@localhost/study"])
    assert result.exit_code == 1 and "[E958]" in result.output and isinstance(result.exception, SystemExit)


@pytest.fixture
def quick_lock(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A short busy timeout and three tries, and the progress messages collected."""
    messages: list[str] = []
    monkeypatch.setattr(database, "BUSY_TIMEOUT_MS", 50)
    monkeypatch.setattr(database, "LOCK_TRIES", 3)
    monkeypatch.setattr(database, "lock_progress", messages.append)
    return messages


def test_a_locked_project_is_waited_for_then_a_numbered_error(base_project: Path, tmp_path: Path,
                                                              quick_lock: list[str]) -> None:
    project = tmp_path / "p.qcdb"
    shutil.copy(base_project, project)
    before = snapshot(project)
    holder = sqlite3.connect(project, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the project, as a long re-code does
    try:
        with Project.open(project) as p, pytest.raises(QualcodeError) as err:
            p.add_coding("base", "c", 0, 11, coder="bob")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert err.value.code == "E957" and "3 tries" in str(err.value)
    assert len(quick_lock) == 2 and "trying again (2 of 3)" in quick_lock[0]
    assert snapshot(project) == before


def test_a_lock_released_while_waiting_lets_the_write_through(base_project: Path, tmp_path: Path,
                                                              quick_lock: list[str],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "p.qcdb"
    shutil.copy(base_project, project)
    holder = sqlite3.connect(project, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")

    def release(message: str) -> None:  # the other writer finishes while we wait
        quick_lock.append(message)
        if holder.in_transaction:
            holder.execute("ROLLBACK")

    monkeypatch.setattr(database, "lock_progress", release)
    with Project.open(project) as p:
        p.add_coding("base", "c", 0, 11, coder="bob")
        assert "bob" in set(p.codings()["coder"])
    holder.close()
    assert len(quick_lock) == 1


def test_cli_reports_a_locked_project_with_exit_code_1(base_project: Path, tmp_path: Path,
                                                       quick_lock: list[str]) -> None:
    project = tmp_path / "p.qcdb"
    shutil.copy(base_project, project)
    file = tmp_path / "new.txt"
    file.write_text("Respondent: a new interview.\n", encoding="utf-8")
    holder = sqlite3.connect(project, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        result = _import(project, file)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.exit_code == 1 and "[E957]" in result.output
    assert isinstance(result.exception, SystemExit)


@pytest.mark.parametrize("case_id", ["import-fm_alias_bomb_md", "codebook-catastrophic_0_yaml", "codings-corrupt_xlsx",
                                     "refi-zip_slip_qdpx"])
def test_the_real_command_exits_1_without_a_traceback(case_id: str, corpus: Path, base_project: Path,
                                                      tmp_path: Path) -> None:
    """The same cases through `python -m qualcode` in its own process, as a user runs it."""
    import subprocess

    case = next(c for c in CORPUS_CASES if c.id == case_id)
    project = tmp_path / "p.qcdb"
    shutil.copy(base_project, project)
    before = snapshot(project)
    done = subprocess.run([sys.executable, "-m", "qualcode", *case.argv(str(project), corpus)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stderr[-2000:]
    assert f"[{case.expected}]" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert snapshot(project) == before
