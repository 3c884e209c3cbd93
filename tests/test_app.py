"""The Streamlit page logic, through Streamlit's AppTest (no browser; see tests/e2e for Chromium)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def app(sample_copy: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("QUALCODE_PROJECT", str(sample_copy))
    monkeypatch.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    return at.run()


def test_transcripts_page_lists_the_sample_project(app: AppTest) -> None:
    assert not app.exception
    assert app.title[0].value == "Transcripts"
    table = app.dataframe[0].value
    assert len(table) == 24
    assert {"kz01", "kz24"} <= set(table["transcript"])
    assert "24 transcripts" in app.caption[0].value


def test_choosing_a_transcript_shows_its_turns(app: AppTest) -> None:
    app.selectbox(key="transcript_choice").set_value("kz03").run()
    assert not app.exception
    texts = [t.value for t in app.text]
    assert any("Тараз" in t for t in texts)  # kz03 is the mechanic from near Taraz
    labels = [m.value for m in app.markdown]
    assert any("Интервьюер" in m and "interviewer" in m for m in labels)
    assert any("Респондент" in m and "respondent" in m for m in labels)
    # Case attributes from cases.csv are shown with the transcript.
    assert any("gender: male" in c.value for c in app.caption)


def test_missing_project_shows_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUALCODE_PROJECT", str(tmp_path / "missing.qcdb"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert "[E101]" in at.error[0].value


def test_first_run_builds_the_sample_project_in_the_data_folder(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QUALCODE_PROJECT", raising=False)
    monkeypatch.setenv("QUALCODE_DATA_DIR", str(tmp_path / "data"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert not at.exception
    assert (tmp_path / "data" / "sample.qcdb").exists()
    assert len(at.dataframe[0].value) == 24
    assert "synthetic" in at.sidebar.markdown[0].value
