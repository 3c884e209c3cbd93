"""Safe files out (issue 18, point 4 and the minor items): CSV cells a spreadsheet would run as
formulas are neutralised in every CSV the tool writes; every `--out` and export appears whole
or not at all, even under kill -9, and leaves no temporary litter; every export gets the same
file mode; whole numbers stay whole; and imports say what they skipped, followed or renamed.

Everything runs on real project files, real CSV/XLSX files and real processes. A written CSV
is read back three ways: pandas, Python's csv module, and openpyxl, which (like a
spreadsheet) stores a string that starts with "=" as a formula."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from click.testing import CliRunner
from openpyxl import Workbook, load_workbook
from stalled import stalled
from streamlit.testing.v1 import AppTest

from qualcode import Project
from qualcode.cli import cli
from qualcode.errors import QualcodeError
from qualcode.exchange.safe_csv import neutralise, restore
from qualcode.files import STALL_ENV, clean_stale

ROOT = Path(__file__).resolve().parent.parent

# What the sweep planted: formulas that open a link, run a program, or add numbers.
HYPERLINK = '=HYPERLINK("http://127.0.0.1:9/x","click")'
DDE = "=cmd|' /C calc'!A0"
PLUS = "+1+cmd|' /C calc'!A0"
MINUS = "-2+3+cmd|' /C calc'!A0"
AT = "@SUM(1,2)"
HOSTILE = """---
case: kz_evil
age: 29
score: -5
mood: "@SUM(1,2)"
note: "-2+3+cmd|' /C calc'!A0"
---
Interviewer: =cmd|' /C calc'!A0
Respondent: - Да, работы не было, поэтому я уехал.
Interviewer: +1+cmd|' /C calc'!A0
Respondent: @SUM(1,2) is what they paid.
"""
PLAIN = "Interviewer: Where did you work?\nRespondent: At the market, then in Almaty.\n"


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def formula_cells(rows: list[list[str]]) -> list[str]:
    """Cells a spreadsheet would evaluate: OWASP's first characters, unless the cell is a plain
    number (which a spreadsheet reads as that number). Written apart from qualcode's own rule."""
    return [c for row in rows for c in row if c[:1] in ("=", "+", "-", "@", "\t", "\r") and not _is_number(c)]


def read_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


def spreadsheet_formulas(path: Path, tmp: Path) -> list[str]:
    """Load the CSV's cells into a workbook as a spreadsheet's CSV import does (openpyxl, like
    Excel, takes a string starting with "=" for a formula), save it, open it again and return
    the cells stored as formulas."""
    book = Workbook()
    sheet = book.active
    for row in read_rows(path):
        sheet.append(row)
    target = tmp / f"{path.stem}.xlsx"
    book.save(target)
    return [c.value for row in load_workbook(target).active.iter_rows() for c in row if c.data_type == "f"]


def run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    """A project whose names, attributes, turns, code names and memos start with formula characters."""
    files = tmp_path / "in"
    files.mkdir()
    (files / "=HYPERLINK(1).txt").write_text(HOSTILE, encoding="utf-8")
    (files / "kz02.txt").write_text(PLAIN, encoding="utf-8")
    (files / "-kz03.txt").write_text(PLAIN.replace("market", "bazaar"), encoding="utf-8")  # case "-kz03"
    location = tmp_path / "hostile.qcdb"
    with Project.create(location) as p:
        report = p.import_files(sorted(files.iterdir()))
        assert not report.failed, [r.message for r in report.failed]
        p.add_code("evil", name=HYPERLINK, description=AT)
        p.add_code("work")
        turns = p.turns("=HYPERLINK(1)")
        rows = [{"transcript": t.transcript, "code": code, "start": t.start, "end": t.end, "text": t.text,
                 "coder": "aigerim", "memo": memo}
                for t, code, memo in zip(turns.itertuples(), ["evil", "work", "evil", "work"],
                                         [DDE, "plain memo", MINUS, ""], strict=True)]
        table = tmp_path / "human.csv"
        pd.DataFrame(rows).to_csv(table, index=False)
        assert p.import_codings(table).imported == 4
    return location


# --- the rule itself --------------------------------------------------------------------------

@pytest.mark.parametrize("value", [HYPERLINK, DDE, PLUS, MINUS, AT, "\tx", "\r=1", "- Да", "-", "'=x", "''@x",
                                   "'", "'hello", "-5", "+7", "-0.5", "1e-3", "plain", "", "=", "'-5"])
def test_neutralise_is_undone_exactly_by_restore(value: str) -> None:
    safe = neutralise(value)
    assert restore(safe) == value
    assert not formula_cells([[safe]])
    if formula_cells([[value]]):
        assert safe == "'" + value  # OWASP's rule: a ' in front, nothing else changed


def test_numbers_and_text_numbers_are_left_as_they_are() -> None:
    for value in (-5, -0.5, "-5", "+7", "-0.5", "1e-3", None):
        assert neutralise(value) == value


# --- every CSV the tool writes ----------------------------------------------------------------

def test_every_csv_command_neutralises_formulas_and_raw_keeps_them(hostile: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    p = str(hostile)
    commands = {
        "segments": ["export", p, "--what", "segments"],
        "codebook": ["export", p, "--what", "codebook"],
        "matrix": ["export", p, "--what", "matrix"],
        "codings": ["codings", "export", p],
        "turns": ["turns", p],
        "cases": ["cases", p, "--format", "csv"],
        "transcripts": ["transcripts", p, "--format", "csv"],
        "import_log": ["import-log", p, "--format", "csv"],
    }
    planted = {HYPERLINK, DDE, PLUS, MINUS, AT, "=HYPERLINK(1)", "- Да, работы не было, поэтому я уехал."}
    for name, command in commands.items():
        safe, raw = out / f"{name}.csv", out / f"{name}.raw.csv"
        run(*command, "--out", str(safe))
        run(*command, "--out", str(raw), "--raw")
        rows, raw_rows = read_rows(safe), read_rows(raw)
        assert not formula_cells(rows), (name, formula_cells(rows))
        assert not spreadsheet_formulas(safe, tmp_path), name
        # The same cells are there, marked as text, and --raw writes them as they were.
        assert [[restore(c) for c in row] for row in rows] == raw_rows, name
        if name != "import_log":
            assert formula_cells(raw_rows), name
        if any(c.startswith("=") for row in raw_rows for c in row):  # openpyxl takes only "=" for a formula
            assert spreadsheet_formulas(raw, tmp_path), name
            assert {c for row in raw_rows for c in row} & planted, name
    # stdout gets the same treatment as --out.
    printed = run("turns", p)
    assert "'=cmd|" in printed and "\n=cmd|" not in printed and ",=cmd" not in printed


def test_segments_read_back_in_pandas_with_numbers_as_numbers(hostile: Path, tmp_path: Path) -> None:
    target = tmp_path / "segments.csv"
    run("export", str(hostile), "--what", "segments", "--out", str(target))
    back = pd.read_csv(target, keep_default_na=False, na_values=[""])
    assert back["score"].tolist() == [-5] * 4 and pd.api.types.is_integer_dtype(back["score"])
    assert back["age"].tolist() == [29] * 4 and pd.api.types.is_integer_dtype(back["age"])
    assert pd.api.types.is_integer_dtype(back["start"]) and (back["start"] >= 0).all()
    assert back["mood"].tolist() == ["'" + AT] * 4 and back["note"].tolist() == ["'" + MINUS] * 4
    assert back["code_name"].tolist().count("'" + HYPERLINK) == 2
    assert sorted(back["memo"].dropna()) == sorted(["'" + DDE, "'" + MINUS, "plain memo"])
    assert back["text"].map(restore).tolist() == [t for t in Project.open(hostile).codings()["text"]]


def test_a_codings_export_imports_back_unchanged(hostile: Path, tmp_path: Path) -> None:
    """The ' marks are taken off again on import, so an export is still a valid codings table."""
    exported = tmp_path / "codings.csv"
    run("codings", "export", str(hostile), "--out", str(exported))
    assert "'- Да" in exported.read_text(encoding="utf-8")
    copy = tmp_path / "copy.qcdb"
    with Project.open(hostile) as p:
        original = p.codings().sort_values(["start", "code"]).reset_index(drop=True)
    shutil.copy(hostile, copy)
    with Project.open(copy) as p:
        for cid in p.codings()["id"]:
            p.delete_coding(int(cid), coder="aigerim")
        report = p.import_codings(exported)
        back = p.codings().sort_values(["start", "code"]).reset_index(drop=True)
    assert report.imported == 4
    assert back[["transcript", "code", "start", "end", "text", "coder"]].equals(
        original[["transcript", "code", "start", "end", "text", "coder"]])


def test_the_cases_table_keeps_whole_numbers_whole(hostile: Path, tmp_path: Path) -> None:
    target = tmp_path / "cases.csv"
    run("cases", str(hostile), "--format", "csv", "--out", str(target))
    lines = target.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    evil = dict(zip(header, next(csv.reader([line for line in lines if line.startswith("kz_evil")])), strict=True))
    assert evil["age"] == "29" and evil["score"] == "-5"
    plain = dict(zip(header, next(csv.reader([line for line in lines if line.startswith("kz02")])), strict=True))
    assert plain["age"] == "" and plain["score"] == ""
    records = json.loads(run("cases", str(hostile), "--format", "json"))
    assert sorted(str(r["age"]) for r in records) == ["29", "None", "None"]


# --- one file mode ----------------------------------------------------------------------------

EXPORTS = [("segments", "csv"), ("segments", "xlsx"), ("segments", "parquet"), ("segments", "sav"),
           ("segments", "dta"), ("codebook", "qdc"), ("project", "qdpx")]


@pytest.mark.parametrize("umask", [0o022, 0o027])
def test_every_export_gets_the_mode_of_a_plain_file_write(hostile: Path, tmp_path: Path, umask: int) -> None:
    previous = os.umask(umask)
    try:
        plain = tmp_path / "plain.txt"
        plain.write_text("x")  # what open(..., "w") gives under this umask
        expected = plain.stat().st_mode & 0o777
        assert expected == 0o666 & ~umask
        for what, fmt in EXPORTS:
            target = tmp_path / f"{what}.{fmt}"
            run("export", str(hostile), "--what", what, "--out", str(target))
            assert target.stat().st_mode & 0o777 == expected, (fmt, oct(target.stat().st_mode))
        run("cases", str(hostile), "--out", str(tmp_path / "cases.csv"))
        assert (tmp_path / "cases.csv").stat().st_mode & 0o777 == expected
    finally:
        os.umask(previous)


def test_replacing_a_file_keeps_its_mode(hostile: Path, tmp_path: Path) -> None:
    for name, command in (("p.qdpx", ["export", str(hostile), "--what", "project"]),
                          ("t.csv", ["turns", str(hostile)])):
        target = tmp_path / name
        target.write_bytes(b"old")
        target.chmod(0o600)
        run(*command, "--out", str(target))
        assert target.read_bytes() != b"old" and target.stat().st_mode & 0o777 == 0o600


# --- whole or not at all, under kill -9 -------------------------------------------------------

def _temporaries(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.name.startswith(".") and p.name.endswith(".tmp"))


def _kill_while_stalled(command: list[str], cwd: Path) -> None:
    """Run `qualcode COMMAND` with the write stalled half-way, and kill -9 it there."""
    with stalled(command, cwd=cwd, hook=STALL_ENV, seconds=60, wait=120):
        pass


@pytest.mark.parametrize("command", [
    ["codings", "export", "{project}"],
    ["turns", "{project}"],
    ["cases", "{project}", "--format", "csv"],
    ["transcripts", "{project}", "--format", "csv"],
    ["import-log", "{project}", "--format", "csv"],
    ["export", "{project}", "--what", "segments"],
    ["export", "{project}", "--what", "project", "--format", "qdpx"],
], ids=lambda c: "-".join(w for w in c if not w.startswith(("{", "--"))))
def test_a_killed_out_leaves_the_old_file_and_the_next_run_cleans_up(hostile: Path, tmp_path: Path,
                                                                   command: list[str]) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    target = folder / ("out.qdpx" if "qdpx" in command else "out.csv")
    old = b"an earlier, complete export\n"
    target.write_bytes(old)
    args = [w.replace("{project}", str(hostile)) for w in command] + ["--out", str(target)]

    _kill_while_stalled(args, tmp_path)
    assert target.read_bytes() == old  # not emptied, not half-written
    litter = _temporaries(folder)
    assert len(litter) == 1 and litter[0].stat().st_size > 0  # the killed run's half-written file

    run(*args)
    assert target.read_bytes() != old
    assert _temporaries(folder) == []  # the dead run's temporary is gone
    if target.suffix == ".csv":
        rows = read_rows(target)
        assert len(rows) >= 3 and not formula_cells(rows)  # a header and both transcripts' rows
    else:
        with zipfile.ZipFile(target) as box:
            assert "project.qde" in box.namelist() and box.testzip() is None


WRITER = """
import sys
from qualcode import files
target, a, b = sys.argv[1], b"A" * 3_000_000 + b"\\n", b"B" * 2_000_000 + b"\\n"
files.write_bytes(target, a)
print("ready", flush=True)
while True:
    files.write_bytes(target, b)
    files.write_bytes(target, a)
"""


def test_a_writer_killed_at_any_moment_leaves_one_whole_file(tmp_path: Path) -> None:
    """No test hook: a process rewrites the file as fast as it can and is killed -9 at moments
    spread over its loop; each time the file is one of the two whole versions."""
    target = tmp_path / "out.csv"
    whole = {b"A" * 3_000_000 + b"\n", b"B" * 2_000_000 + b"\n"}
    for delay in (0.0, 0.05, 0.13, 0.21, 0.34):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(target)], cwd=ROOT, stdout=subprocess.PIPE,
                                text=True)
        try:
            assert proc.stdout.readline() == "ready\n"
            time.sleep(delay)  # where the kill lands; the assertion below holds wherever it does
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
        assert target.read_bytes() in whole
        assert len(_temporaries(tmp_path)) <= 1  # at most the one it was writing
    litter = _temporaries(tmp_path)
    assert clean_stale(target) == litter and _temporaries(tmp_path) == []


def test_a_temporary_of_a_running_writer_is_left_alone(tmp_path: Path) -> None:
    target = tmp_path / "segments.csv"
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True)
    dead = tmp_path / f".segments.csv.qc{int(gone.stdout)}-0123abcd.tmp"
    mine = tmp_path / f".segments.csv.qc{os.getpid()}-89abcdef.tmp"
    other = tmp_path / ".segments.csv.swp"  # not ours: never touched
    for f in (dead, mine, other):
        f.write_bytes(b"x")
    assert clean_stale(target) == [dead]
    assert not dead.exists() and mine.exists() and other.exists()


def test_an_out_that_cannot_be_written_is_a_numbered_error(hostile: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["turns", str(hostile), "--out", str(tmp_path / "missing" / "t.csv")])
    assert result.exit_code == 1 and "[E870]" in result.output and "does not exist" in result.output
    assert "Traceback" not in result.output


# --- imports: nothing skipped, followed or renamed in silence ---------------------------------

def test_hidden_files_and_folder_links_are_reported_as_skipped(tmp_path: Path) -> None:
    folder = tmp_path / "interviews"
    (folder / ".git").mkdir(parents=True)
    (folder / ".git" / "kz09.txt").write_text(PLAIN, encoding="utf-8")
    (folder / ".kz08.txt").write_text(PLAIN + "Respondent: hidden.\n", encoding="utf-8")
    (folder / "kz01.txt").write_text(PLAIN, encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "kz05.txt").write_text(PLAIN + "Respondent: elsewhere.\n", encoding="utf-8")
    (folder / "linked").symlink_to(elsewhere, target_is_directory=True)
    with Project.create(tmp_path / "p.qcdb") as p:
        report = p.import_files([folder])
        assert list(p.transcripts()["transcript"]) == ["kz01"]
        log = p.import_log()
    skipped = {Path(r.file).name: r.message for r in report.skipped}
    assert set(skipped) == {".git", ".kz08.txt", "linked"}
    assert "hidden folder" in skipped[".git"] and "hidden file" in skipped[".kz08.txt"]
    assert "link to the folder" in skipped["linked"] and str(elsewhere) in skipped["linked"]
    assert set(log.loc[log["status"] == "skipped", "file"].map(lambda f: Path(f).name)) == set(skipped)


def test_a_symlinked_file_is_imported_with_a_warning(tmp_path: Path) -> None:
    real = tmp_path / "outside" / "secret_interview.txt"
    real.parent.mkdir()
    real.write_text(PLAIN, encoding="utf-8")
    folder = tmp_path / "interviews"
    folder.mkdir()
    (folder / "kz03.txt").symlink_to(real)
    result = CliRunner().invoke(cli, ["init", str(tmp_path / "p.qcdb")])
    assert result.exit_code == 0
    result = CliRunner().invoke(cli, ["import", str(tmp_path / "p.qcdb"), str(folder)])
    assert result.exit_code == 0, result.output
    assert "symbolic link" in result.output and str(real) in result.output


def test_a_line_break_in_a_file_name_is_not_in_the_transcript_name(tmp_path: Path) -> None:
    odd = tmp_path / "kz04\nINJECTED\tline.txt"
    odd.write_text(PLAIN, encoding="utf-8")
    with Project.create(tmp_path / "p.qcdb") as p:
        result = p.import_file(odd)
        names = list(p.transcripts()["transcript"])
        case = list(p.cases()["case"])
    assert names == ["kz04 INJECTED line"] and case == names
    assert any("line break" in w and "'kz04 INJECTED line'" in w for w in result.warnings)


def test_create_codes_refuses_an_id_that_add_code_refuses(hostile: Path, tmp_path: Path) -> None:
    with Project.open(hostile) as p:
        turn = p.turns("kz02").iloc[1]
        with pytest.raises(QualcodeError) as refused:
            p.add_code("1bad id")
        assert refused.value.code == "E740"
        table = tmp_path / "new_codes.csv"
        rows = [{"transcript": "kz02", "code": code, "start": turn["start"], "end": turn["end"],
                 "text": turn["text"], "coder": "dana"} for code in ("1bad id", "good.new", "=evil")]
        pd.DataFrame(rows).to_csv(table, index=False)
        before = len(p.codings())
        with pytest.raises(QualcodeError) as bad:
            p.import_codings(table, create_codes=True)
        assert bad.value.code == "E708"
        assert "'1bad id'" in str(bad.value) and "'=evil'" in str(bad.value)
        assert "good.new" not in str(bad.value)
        assert len(p.codings()) == before and "good.new" not in set(p.codes()["code"])
        table.write_text(io.StringIO(pd.DataFrame(rows[1:2]).to_csv(index=False)).getvalue(), encoding="utf-8")
        assert p.import_codings(table, create_codes=True).created_codes == ["good.new"]


# --- the browser's CSV downloads --------------------------------------------------------------

def _page(location: Path, monkeypatch: pytest.MonkeyPatch, page: str) -> tuple[AppTest, list[bytes]]:
    """Open a page of the app on `location`; return it and the data of every download button it
    draws (recorded on the way to Streamlit's own download_button, which still runs)."""
    downloads: list[bytes] = []
    original = st.download_button

    def recording(label, data, *args, **kwargs):
        downloads.append(data)
        return original(label, data, *args, **kwargs)

    monkeypatch.setattr(st, "download_button", recording)
    monkeypatch.setenv("QUALCODE_PROJECT", str(location))
    monkeypatch.chdir(ROOT)
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    app.switch_page(f"qualcode/ui/views/{page}.py").run()
    assert not app.exception, app.exception
    return app, downloads


def _csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"))))


def test_retrieve_download_is_neutralised(hostile: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app, downloads = _page(hostile, monkeypatch, "retrieve")
    downloads.clear()
    app.multiselect(key="retrieve_codes").set_value(["evil", "work"]).run()
    assert not app.exception, app.exception
    rows = _csv_rows(downloads[-1])
    assert len(rows) == 5 and not formula_cells(rows)
    cells = {c for row in rows for c in row}
    assert "'" + DDE in cells and "'- Да, работы не было, поэтому я уехал." in cells


def test_analyze_matrix_download_neutralises_the_case_index(hostile: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    with Project.open(hostile) as p:
        turn = p.turns("-kz03").iloc[1]
        table = tmp_path / "more.csv"
        pd.DataFrame([{"transcript": "-kz03", "code": "work", "start": turn["start"], "end": turn["end"],
                       "text": turn["text"], "coder": "aigerim"}]).to_csv(table, index=False)
        assert p.import_codings(table).imported == 1
    _, downloads = _page(hostile, monkeypatch, "analyze")
    assert downloads
    for data in downloads:
        assert not formula_cells(_csv_rows(data))
    matrix = [_csv_rows(d) for d in downloads if b"kz_evil" in d and b"kz03" in d]
    assert matrix and any(row[0] == "'-kz03" for row in matrix[0])
