"""Bad inputs fail cleanly with their numbered error, naming the file, both when read on their own
(read_file) and in a project batch, where the good file still imports and nothing stored changes."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from qualcode.errors import ImportFileError, QualcodeError
from qualcode.ingest import ImportOptions, read_cases_table, read_file
from qualcode.project import Project

DATA = Path(__file__).parent / "data"

BAD_FIXTURES = [
    ("empty.txt", "E203"),
    ("whitespace_only.txt", "E204"),
    ("binary.txt", "E206"),
    ("corrupt.docx", "E208"),
    ("not_a_docx.docx", "E208"),
    ("scanned.pdf", "E209"),
    ("unknown.xyz", "E202"),
    ("bad_frontmatter.md", "E212"),
]


def expect_error(code: str, file: Path, call) -> ImportFileError:
    with pytest.raises(ImportFileError) as info:
        call()
    exc = info.value
    assert isinstance(exc, QualcodeError)
    assert exc.code == code, str(exc)
    assert str(exc).startswith(f"[{code}]")
    assert str(file) in str(exc), f"the message should name {file}: {exc}"
    return exc


@pytest.fixture
def project(tmp_path):
    """A project that already holds one transcript, so we can check a failed import leaves it alone."""
    with Project.create(tmp_path / "project.qc") as p:
        report = p.import_files([DATA / "named_speakers.txt"])
        assert report.results[0].status == "imported"
        yield p


def snapshot(project: Project) -> tuple[pd.DataFrame, pd.DataFrame]:
    return project.transcripts(), project.turns()


def rows(frame: pd.DataFrame) -> list[dict]:
    """The values a user sees, independent of the column dtype pandas picked (NaN and None alike)."""
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def assert_unchanged(project: Project, before: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    old_transcripts, old_turns = before
    new_transcripts = project.transcripts()
    kept = new_transcripts[new_transcripts["transcript"].isin(old_transcripts["transcript"])]
    assert rows(kept) == rows(old_transcripts)
    assert rows(project.turns(list(old_transcripts["transcript"]))) == rows(old_turns)


def batch(project: Project, bad: Path, good: Path = DATA / "subtitles.srt",
          options: ImportOptions | None = None, **kwargs):
    """Import [bad, good]; the good file must import, and the bad file's result is returned."""
    report = project.import_files([bad, good], options, **kwargs)
    by_file = {r.file: r for r in report.results}
    assert by_file[str(good)].status == "imported", by_file[str(good)].message
    assert good.stem in set(project.transcripts()["transcript"])
    return by_file[str(bad)]


# --- the bad fixtures -------------------------------------------------------------------------

@pytest.mark.parametrize("name, code", BAD_FIXTURES)
def test_read_file_rejects_bad_fixture(name, code):
    expect_error(code, DATA / name, lambda: read_file(DATA / name))


@pytest.mark.parametrize("name, code", BAD_FIXTURES)
def test_batch_reports_bad_fixture_and_goes_on(project, name, code):
    before = snapshot(project)
    result = batch(project, DATA / name)
    assert result.status == "failed"
    assert result.error_code == code
    assert str(DATA / name) in result.message and result.message.startswith(f"[{code}]")
    assert Path(name).stem not in set(project.transcripts()["transcript"])
    assert_unchanged(project, before)


def test_messages_say_what_is_wrong():
    exc = expect_error("E202", DATA / "unknown.xyz", lambda: read_file(DATA / "unknown.xyz"))
    assert ".xyz" in str(exc) and ".txt" in str(exc)  # the bad extension and what is supported
    exc = expect_error("E212", DATA / "bad_frontmatter.md", lambda: read_file(DATA / "bad_frontmatter.md"))
    assert re.search(r"line [34]\b", str(exc)), str(exc)
    for name in ("corrupt.docx", "not_a_docx.docx"):
        exc = expect_error("E208", DATA / name, lambda name=name: read_file(DATA / name))
        assert "DOCX" in str(exc)
    exc = expect_error("E209", DATA / "scanned.pdf", lambda: read_file(DATA / "scanned.pdf"))
    assert "OCR" in str(exc)


def test_bad_cases_table(project):
    expect_error("E401", DATA / "bad_cases.csv", lambda: read_cases_table(DATA / "bad_cases.csv"))
    before = snapshot(project)
    cases_before = project.cases()
    result = batch(project, DATA / "bad_cases.csv", attributes=DATA / "bad_cases.csv")
    assert (result.status, result.error_code) == ("failed", "E401")
    assert "case_id" in result.message  # says which column is missing
    assert_unchanged(project, before)
    cases_after = project.cases()
    assert set(cases_after.columns) == set(cases_before.columns)  # no attribute from the bad table


# --- generated bad inputs ---------------------------------------------------------------------

def test_missing_file(project, tmp_path):
    missing = tmp_path / "missing.txt"
    expect_error("E201", missing, lambda: read_file(missing))
    before = snapshot(project)
    result = batch(project, missing)
    assert (result.status, result.error_code) == ("failed", "E201")
    assert_unchanged(project, before)


def test_oversized_file(project, tmp_path):
    big = tmp_path / "big.txt"
    big.write_text("Interviewer: Why?\nRespondent: " + "Work. " * 400 + "\n", encoding="utf-8")
    options = ImportOptions(max_bytes=1000)
    exc = expect_error("E205", big, lambda: read_file(big, options))
    assert str(big.stat().st_size) in str(exc) and "1000" in str(exc)
    before = snapshot(project)
    result = batch(project, big, options=options)  # subtitles.srt (480 bytes) is under the limit
    assert (result.status, result.error_code) == ("failed", "E205")
    assert_unchanged(project, before)
    assert read_file(big, ImportOptions(max_bytes=10_000))[0].turns  # raising the limit lets it in


def test_invalid_language_option():
    path = DATA / "named_speakers.txt"
    exc = expect_error("E214", path, lambda: read_file(path, ImportOptions(language="fr")))
    assert "'fr'" in str(exc) and "kk" in str(exc)
    expect_error("E214", DATA / "turns.csv", lambda: read_file(DATA / "turns.csv", ImportOptions(language="de")))


def test_invalid_language_in_front_matter(project, tmp_path):
    bad = tmp_path / "french.md"
    bad.write_text("---\ncase: T20\nlanguage: fr\n---\nInterviewer: Why?\nRespondent: Work.\n", encoding="utf-8")
    expect_error("E214", bad, lambda: read_file(bad))
    before = snapshot(project)
    result = batch(project, bad)
    assert (result.status, result.error_code) == ("failed", "E214")
    assert "T20" not in set(project.cases()["case"])
    assert_unchanged(project, before)


def test_invalid_language_option_in_a_batch_changes_nothing(project):
    before = snapshot(project)
    report = project.import_files([DATA / "subtitles.srt"], ImportOptions(language="xx"))
    assert [(r.status, r.error_code) for r in report.results] == [("failed", "E214")]
    assert_unchanged(project, before)
    assert len(project.transcripts()) == len(before[0])


def test_wrong_encoding_given(project):
    path = DATA / "cp1251_ru.txt"
    exc = expect_error("E207", path, lambda: read_file(path, ImportOptions(encoding="utf_8")))
    assert "utf_8" in str(exc)
    expect_error("E207", path, lambda: read_file(path, ImportOptions(encoding="no-such-codec")))
    before = snapshot(project)
    result = batch(project, path, good=DATA / "otter_style.txt", options=ImportOptions(encoding="utf_8"))
    assert (result.status, result.error_code) == ("failed", "E207")
    assert_unchanged(project, before)


def test_duplicate_is_skipped_with_e210(project, tmp_path):
    before = snapshot(project)
    copy = tmp_path / "same_bytes_other_name.txt"
    shutil.copyfile(DATA / "named_speakers.txt", copy)
    for dup in (DATA / "named_speakers.txt", copy):
        result = batch(project, dup, good=DATA / "subtitles.srt" if dup == copy else DATA / "otter_style.txt")
        assert (result.status, result.error_code) == ("skipped", "E210")
        assert "named_speakers" in result.message and str(dup) in result.message
    assert "same_bytes_other_name" not in set(project.transcripts()["transcript"])
    assert_unchanged(project, before)


def test_same_name_different_content_fails_with_e211(project, tmp_path):
    before = snapshot(project)
    text_before = project.transcript_text("named_speakers")
    changed = tmp_path / "named_speakers.txt"
    changed.write_text("Aliya: Changed?\nNurlan: Changed.\nAliya: Really?\nNurlan: Yes.\n", encoding="utf-8")
    result = batch(project, changed)
    assert (result.status, result.error_code) == ("failed", "E211")
    assert str(changed) in result.message and "named_speakers" in result.message
    assert project.transcript_text("named_speakers") == text_before
    assert_unchanged(project, before)
    # the way out the message offers works: a new version replaces the current one
    report = project.import_files([changed], ImportOptions(new_version=True))
    assert report.results[0].status == "imported"
    assert "Changed?" in project.transcript_text("named_speakers")


def test_failed_table_import_stores_none_of_its_interviews(tmp_path):
    with Project.create(tmp_path / "p.qc") as project:
        assert project.import_files([DATA / "turns.csv"]).results[0].status == "imported"
        before = snapshot(project)
        changed = tmp_path / "turns.csv"
        text = (DATA / "turns.csv").read_text(encoding="utf-8")
        changed.write_text(text + "int_c,Interviewer,00:00:02,Where did you go first?\n", encoding="utf-8")
        report = project.import_files([changed, DATA / "subtitles.srt"])
        assert report.results[1].status == "imported"
        stored = set(project.transcripts()["transcript"])
        # all or nothing: int_c is stored only if the file imported
        assert ("int_c" in stored) == (report.results[0].status == "imported"), report.results[0].message
        assert_unchanged(project, before)


def test_reimporting_one_interview_of_a_table_is_a_duplicate(tmp_path):
    # ingest/__init__.py promises: "re-importing one interview of the table is recognised as a
    # duplicate of that interview only". A file holding only int_a's rows (same words, same times)
    # should be skipped as E210, not refused as E211 "different content".
    with Project.create(tmp_path / "p.qc") as project:
        assert project.import_files([DATA / "turns.csv"]).results[0].status == "imported"
        before = snapshot(project)
        rows = (DATA / "turns.csv").read_text(encoding="utf-8").split("\nint_b,")[0] + "\n"
        only_a = tmp_path / "turns_int_a.csv"
        only_a.write_text(rows, encoding="utf-8")
        assert [p.name for p in read_file(only_a)] == ["int_a"]
        result = project.import_files([only_a]).results[0]
        assert_unchanged(project, before)
        assert (result.status, result.error_code) == ("skipped", "E210"), result.message


def test_front_matter_speaker_with_unknown_role_is_refused_by_name(tmp_path):
    bad = tmp_path / "roles.txt"
    bad.write_text("---\ncase: X1\nspeakers:\n  Aliya: boss\n---\nAliya: Why?\nNurlan: Work.\n"
                   "Aliya: And?\nNurlan: We came.\n", encoding="utf-8")
    with Project.create(tmp_path / "p.qc") as project:
        report = project.import_files([bad, DATA / "koi8r_ru.txt"])
        failed, good = report.results
        assert (failed.status, failed.error_code) == ("failed", "E404")
        assert "roles.txt" in failed.message and "'boss'" in failed.message and "interviewer" in failed.message
        assert good.status == "imported"
        assert list(project.transcripts()["transcript"]) == ["koi8r_ru"]


def test_import_file_raises_the_files_own_error(tmp_path):
    with Project.create(tmp_path / "p.qc") as project, pytest.raises(QualcodeError) as info:
        project.import_file(DATA / "empty.txt")
    assert info.value.code == "E203"
    assert str(info.value).startswith("[E203]") and "empty.txt" in str(info.value)


def test_bytes_that_read_as_no_language_are_undecodable(tmp_path):
    # High bytes only (no NULs, so not "binary"): every single-byte code page "decodes" them,
    # but into letter soup; detection must refuse rather than store mojibake.
    import random

    rng = random.Random(7)
    path = tmp_path / "garbled.txt"
    path.write_bytes(bytes(rng.randint(0x80, 0xFF) for _ in range(3000)))
    exc = expect_error("E207", path, lambda: read_file(path))
    assert "encoding" in str(exc)
    with Project.create(tmp_path / "p.qc") as project:
        result = project.import_files([path]).results[0]
        assert (result.status, result.error_code) == ("failed", "E207")
        assert project.transcripts().empty
