"""The import preview (issue 14.3): `qualcode import --preview` and the Project page show the turns,
the speakers and roles (and how they were found) and the warnings, store nothing, and the page
imports with the roles a user corrected in its table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from streamlit.testing.v1 import AppTest

from qualcode import Project
from qualcode.cli import cli

ROOT = Path(__file__).resolve().parent.parent
LAYOUTS = ROOT / "tests" / "data" / "layouts"


def test_cli_preview_shows_and_stores_nothing(tmp_path: Path) -> None:
    project = tmp_path / "p.qcdb"
    runner = CliRunner()
    assert runner.invoke(cli, ["init", str(project)]).exit_code == 0
    result = runner.invoke(cli, ["import", str(project), "--preview", str(LAYOUTS / "en_plain_alternating.txt"),
                                 str(LAYOUTS / "ru_spaced_legend.txt")])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "layout: alternation" in out and "Speaker A: interviewer (alternation" in out
    assert "#2 Speaker A [interviewer]: So Ruth, when did you first come out" in out
    assert "И: interviewer (legend" in out and "Р: respondent (legend" in out
    assert "Nothing was stored (--preview)" in out
    with Project.open(project) as p:
        assert p.transcripts().empty


def test_cli_preview_with_a_speaker_map_and_a_warning(tmp_path: Path) -> None:
    speaker_map = tmp_path / "map.yaml"
    speaker_map.write_text("Speaker A: respondent\nSpeaker B: interviewer\n", encoding="utf-8")
    long = tmp_path / "long.txt"
    long.write_text("Interviewer: Tell me.\nRespondent: " + "word " * 1500 + "\nInterviewer: Thanks.\n",
                    encoding="utf-8")
    result = CliRunner().invoke(cli, ["import", str(tmp_path / "p.qcdb"), "--preview", "--speaker-map",
                                      str(speaker_map), str(LAYOUTS / "en_plain_alternating.txt"), str(long)])
    assert result.exit_code == 0, result.output
    assert "Speaker A: respondent (map" in result.output
    assert "warning: [E981]" in result.output
    assert not (tmp_path / "p.qcdb").exists()


def _start(location: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("QUALCODE_PROJECT", str(location))
    monkeypatch.chdir(ROOT)
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    app.switch_page("qualcode/ui/views/project.py").run()
    assert not app.exception, app.exception
    return app


def test_project_page_preview_correct_a_role_then_import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    location = tmp_path / "study.qcdb"
    Project.create(location).close()
    app = _start(location, monkeypatch)
    app.file_uploader[0].set_value([
        ("ruth.txt", (LAYOUTS / "en_plain_alternating.txt").read_bytes(), "text/plain"),
    ]).run()
    app.button(key="project_preview").click().run()
    assert not app.exception, app.exception
    assert any(re.sub(r"\\(.)", r"\1", e.label) == "ruth.txt → ruth" for e in app.expander)  # escaped markdown
    first = next(d.value for d in app.dataframe if "turn" in d.value.columns)
    assert first["speaker"].tolist()[:3] == ["Speaker A", "Speaker B", "Speaker A"]
    captions = " ".join(c.value for c in app.caption)
    assert "alternation" in captions and "text in turns" in captions
    with Project.open(location) as p:
        assert p.transcripts().empty  # a preview stores nothing
    # The sociologist swaps the roles: the first speaker is the respondent.
    app.session_state["project_preview_roles"] = {
        "edited_rows": {0: {"role": "respondent"}, 1: {"role": "interviewer"}}, "added_rows": [], "deleted_rows": []}
    app.run()
    app.button(key="project_import").click().run()
    assert not app.exception, app.exception
    with Project.open(location) as p:
        turns = p.turns("ruth")
    by_text = {t[:10]: r for t, r in zip(turns["text"], turns["role"], strict=True)}
    assert by_text["So Ruth, w"] == "respondent" and by_text["I came in "] == "interviewer"


def test_a_turns_csv_exported_by_qualcode_reimports_exactly(tmp_path: Path) -> None:
    """CSV exports mark formula-like cells with ' (qualcode.exchange.safe_csv); reading a turns table
    back takes the mark off, and only it."""
    from qualcode.exchange.safe_csv import neutralise
    from qualcode.ingest import read_file

    words = ["=SUM(A1:A2) is what my boss typed", "-5 degrees, and +10 in the summer", "'quoted' as it was"]
    table = tmp_path / "turns.csv"
    rows = ["speaker,text"] + [f"{who},\"{neutralise(w)}\"" for who, w in zip(["Interviewer", "Respondent",
                                                                               "Interviewer"], words, strict=True)]
    table.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert "'=SUM" in table.read_text(encoding="utf-8")
    parsed = read_file(table)[0]
    assert [parsed.text[t.start:t.end] for t in parsed.turns] == words
