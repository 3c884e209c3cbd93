"""The `qualcode` command as a user types it: help, exit codes, messages, output formats."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "qualcode", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


@pytest.mark.parametrize("command", [[], ["init"], ["import"], ["transcripts"], ["turns"], ["cases"],
                                     ["import-log"]])
def test_help_everywhere(command: list[str], tmp_path: Path) -> None:
    result = run(*command, "--help", cwd=tmp_path)
    assert result.returncode == 0
    assert "Usage: qualcode" in result.stdout
    assert len(result.stdout.splitlines()) > 4


def test_import_help_names_formats_and_options(tmp_path: Path) -> None:
    out = run("import", "--help", cwd=tmp_path).stdout
    for word in ["docx", "vtt", "--attributes", "--language", "--speaker-map", "--new-version"]:
        assert word in out


def test_init_import_turns_json(tmp_path: Path, data: Path) -> None:
    assert run("init", "p.qcdb", cwd=tmp_path).returncode == 0
    result = run("import", "p.qcdb", str(data / "named_speakers.txt"), "--speaker-map",
                 str(data / "speaker_map.yaml"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "1 imported" in result.stdout
    result = run("turns", "p.qcdb", "named_speakers", "--format", "json", cwd=tmp_path)
    turns = json.loads(result.stdout)
    assert {t["speaker"]: t["role"] for t in turns} == {"Aliya": "interviewer", "Nurlan": "respondent"}
    assert set(turns[0]) == {"transcript", "turn", "speaker", "role", "start", "end", "timestamp", "text"}
    csv_out = run("turns", "p.qcdb", "--format", "csv", cwd=tmp_path).stdout
    frame = pd.read_csv(io.StringIO(csv_out))
    assert len(frame) == len(turns)
    listing = run("transcripts", "p.qcdb", cwd=tmp_path)
    assert "named_speakers" in listing.stdout and listing.returncode == 0


def test_user_errors_exit_1_with_a_message_and_no_traceback(tmp_path: Path, data: Path) -> None:
    missing = run("transcripts", "nope.qcdb", cwd=tmp_path)
    assert missing.returncode == 1
    assert "[E101]" in missing.stderr and "Traceback" not in missing.stderr
    run("init", "p.qcdb", cwd=tmp_path)
    again = run("init", "p.qcdb", cwd=tmp_path)
    assert again.returncode == 1 and "[E102]" in again.stderr
    unknown = run("turns", "p.qcdb", "ghost", cwd=tmp_path)
    assert unknown.returncode == 1 and "[E105]" in unknown.stderr and "ghost" in unknown.stderr


def test_batch_with_a_bad_file_imports_the_rest_and_exits_1(tmp_path: Path, data: Path) -> None:
    run("init", "p.qcdb", cwd=tmp_path)
    result = run("import", "p.qcdb", str(data / "empty.txt"), str(data / "koi8r_ru.txt"),
                 str(data / "corrupt.docx"), cwd=tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "[E203]" in result.stderr and "empty.txt" in result.stderr
    assert "[E208]" in result.stderr and "corrupt.docx" in result.stderr
    assert "1 imported" in result.stdout and "2 failed" in result.stdout
    listing = run("transcripts", "p.qcdb", "--format", "csv", cwd=tmp_path).stdout
    assert list(pd.read_csv(io.StringIO(listing))["transcript"]) == ["koi8r_ru"]
    log = run("import-log", "p.qcdb", "--format", "csv", cwd=tmp_path).stdout
    statuses = pd.read_csv(io.StringIO(log))["status"].tolist()
    assert sorted(statuses) == ["failed", "failed", "imported"]


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert run("turns", cwd=tmp_path).returncode == 2
    assert run("import", "p.qcdb", "x.txt", "--language", "fr", cwd=tmp_path).returncode == 2
    assert run("frobnicate", cwd=tmp_path).returncode == 2


def test_language_option_overrides_detection(tmp_path: Path, data: Path) -> None:
    run("init", "p.qcdb", cwd=tmp_path)
    run("import", "p.qcdb", str(data / "no_labels.txt"), "--language", "kk", cwd=tmp_path)
    listing = pd.read_csv(io.StringIO(run("transcripts", "p.qcdb", "--format", "csv", cwd=tmp_path).stdout))
    assert listing.loc[0, "language"] == "kk"


def test_attributes_option_joins_cases(tmp_path: Path, data: Path) -> None:
    run("init", "p.qcdb", cwd=tmp_path)
    result = run("import", "p.qcdb", str(data / "frontmatter_en.md"), str(data / "cp1251_ru.txt"),
                 "--attributes", str(data / "cases.csv"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    cases = pd.read_csv(io.StringIO(run("cases", "p.qcdb", "--format", "csv", cwd=tmp_path).stdout))
    cases = cases.set_index("case")
    assert "T02" in cases.index and "T01" in cases.index


def test_screen_tables_have_no_nan_and_left_aligned_text(tmp_path: Path, data: Path) -> None:
    run("init", "p.qcdb", cwd=tmp_path)
    run("import", "p.qcdb", str(data / "content_controls.docx"), cwd=tmp_path)
    listing = run("transcripts", "p.qcdb", cwd=tmp_path).stdout
    assert "NaN" not in listing and "None" not in listing  # a .docx has no text encoding: blank
    rows = run("turns", "p.qcdb", "--format", "table", cwd=tmp_path).stdout.splitlines()
    text_col = rows[0].index("text")
    assert all(not row[text_col].isspace() for row in rows[1:])  # text starts under its header
