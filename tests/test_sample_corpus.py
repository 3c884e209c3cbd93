"""The bundled interviews: the README's own command imports all 24 with turns, roles and attributes."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from qualcode import Project

ROOT = Path(__file__).resolve().parent.parent
INTERVIEWS = ROOT / "interviews"


def qualcode(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "qualcode", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess]:
    work = tmp_path_factory.mktemp("cli")
    assert qualcode("init", "p.qcdb", cwd=work).returncode == 0
    files = sorted(str(p) for p in INTERVIEWS.iterdir())  # what the shell makes of interviews/*
    result = qualcode("import", "p.qcdb", *files, cwd=work)
    return work / "p.qcdb", result


def test_import_of_every_sample_succeeds(imported) -> None:
    path, result = imported
    assert result.returncode == 0, result.stderr
    assert "24 transcripts" in result.stdout and "0 failed" in result.stdout
    assert "cases table with 24 cases" in result.stdout
    assert "README.md: skipped" in result.stdout
    with Project.open(path) as p:
        table = p.transcripts()
    assert len(table) == 24
    assert table["words"].between(1000, 3000).all(), table[["transcript", "words"]]
    assert (table["language"] == "en").sum() == 16 and (table["language"] == "ru").sum() == 8
    assert set(table["format"]) == {"txt", "md", "docx", "vtt", "srt"}


def test_every_sample_has_one_interviewer_and_one_respondent(imported) -> None:
    path, _ = imported
    result = qualcode("turns", str(path), "--format", "csv", cwd=path.parent)
    assert result.returncode == 0
    turns = pd.read_csv(io.StringIO(result.stdout), keep_default_na=False)
    assert list(turns.columns) == ["transcript", "turn", "speaker", "role", "start", "end", "timestamp", "text"]
    for name, group in turns.groupby("transcript"):
        speech = group[group["role"] != "other"]
        roles = speech.groupby("speaker")["role"].agg(set)
        assert sorted(r for s in roles for r in s) == ["interviewer", "respondent"], (name, roles.to_dict())
        asks = speech[speech["role"] == "interviewer"]["text"].str.contains(r"\?").mean()
        assert asks > 0.6, (name, asks)  # the interviewer is the one asking
        words = speech.assign(w=speech["text"].str.split().str.len()).groupby("role")["w"].mean()
        assert words["respondent"] > words["interviewer"], name
        assert len(speech) >= 25, name
        # Labels never leak into the turn text.
        assert not speech["text"].str.match(r"^(Interviewer|Respondent|Интервьюер|Респондент|Q|A|I|R|И|Р):").any()


def test_turn_text_is_exactly_the_transcript_slice(imported) -> None:
    path, _ = imported
    with Project.open(path) as p:
        turns = p.turns()
        for name, group in turns.groupby("transcript"):
            text = p.transcript_text(name)
            for row in group.itertuples():
                assert text[row.start:row.end] == row.text


def test_timestamps_are_read_from_every_timestamped_style(imported) -> None:
    path, _ = imported
    with Project.open(path) as p:
        turns = p.turns()
    # kz01 [hh:mm:ss] before the label, kz06 label (hh:mm:ss), kz10 label [hh:mm:ss]:, kz14 label (mm:ss),
    # kz17 bare hh:mm:ss, kz21 after the colon, kz05/kz12 vtt, kz16 srt.
    for name in ["kz01", "kz05", "kz06", "kz10", "kz12", "kz14", "kz16", "kz17", "kz21"]:
        ts = turns[turns["transcript"] == name]["timestamp"]
        speech = turns[(turns["transcript"] == name)]
        assert ts.notna().mean() > 0.95, name
        assert ts.dropna().is_monotonic_increasing, name
        assert speech["timestamp"].max() > 600, name


def test_case_attributes_match_cases_csv(imported) -> None:
    path, _ = imported
    with (INTERVIEWS / "cases.csv").open(encoding="utf-8") as fh:
        expected = {row["case_id"]: row for row in csv.DictReader(fh)}
    with Project.open(path) as p:
        cases = p.cases().set_index("case")
        table = p.transcripts().set_index("transcript")
        types = p.attribute_types()
    assert types["age"] == "number" and types["year_moved"] == "number" and types["gender"] == "category"
    assert types["interview_date"] == "date"
    for case_id, row in expected.items():
        got = cases.loc[case_id]
        assert got["gender"] == row["gender"]
        assert got["age"] == int(row["age"])
        assert got["documented_type"] == row["documented_type"]
        assert got["synthetic"] == "true"
        assert table.loc[Path(row["file"]).stem, "case"] == case_id
    assert cases["documented_type"].value_counts().to_dict() == {"development": 8, "survival": 8, "mixed": 8}
    assert cases["gender"].value_counts().to_dict() == {"female": 12, "male": 12}


def test_reimporting_the_samples_changes_nothing(imported) -> None:
    path, _ = imported
    with Project.open(path) as p:
        before = p.turns()
    result = qualcode("import", str(path), *sorted(str(p) for p in INTERVIEWS.glob("kz*")), cwd=path.parent)
    assert result.returncode == 0
    assert "24 skipped" in result.stdout and "[E210]" in result.stdout
    with Project.open(path) as p:
        assert p.turns().equals(before)
