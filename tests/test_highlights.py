"""Taguette highlights (`id,document,tag,content`, one row per highlight and tag; issue 14.6): located
in the named transcript by their text, imported as a coder's codings; never read as a survey."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from qualcode import Project
from qualcode.cli import cli
from qualcode.ingest import read_file
from qualcode.ingest.highlights import code_id

DATA = Path(__file__).parent / "data" / "taguette"
TRANSCRIPTS = [str(DATA / "interview_anna.txt"), str(DATA / "interview_boris.txt")]


def _project(tmp_path: Path) -> Path:
    project = tmp_path / "p.qcdb"
    assert CliRunner().invoke(cli, ["init", str(project)]).exit_code == 0
    return project


def test_highlights_are_codings_located_by_their_text(tmp_path: Path) -> None:
    project = _project(tmp_path)
    result = CliRunner().invoke(cli, ["import", str(project), *TRANSCRIPTS, str(DATA / "highlights_all.csv")])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "2 imported (2 transcripts" in out  # the highlights table made no transcript
    assert "8 highlight(s) located by their text" in out
    assert "[E987]" in out and "occurs 2 times" in out  # "No work, no choice." twice: both coded, reported
    assert "[E986]" in out and "I drove a lorry at night" in out  # not in the text: reported, not imported
    assert "[E988]" in out and "interview_clara.txt" in out  # no such transcript
    with Project.open(project) as p:
        assert sorted(p.transcripts()["transcript"]) == ["interview_anna", "interview_boris"]
        codings = p.codings()
        texts = {n: p.transcript_text(n) for n in ("interview_anna", "interview_boris")}
    assert set(codings["coder"]) == {"taguette"}
    got = sorted((r.transcript, r.code, texts[r.transcript][r.start:r.end]) for r in codings.itertuples())
    wrapped = texts["interview_anna"][texts["interview_anna"].index("My cousin"):].split(",")[0] + ","
    assert got == sorted([
        ("interview_anna", "push.unemployment", "There was no work after the factory closed."),
        ("interview_anna", "Push_factors", "There was no work after the factory closed."),  # same highlight, 2 tags
        ("interview_anna", "networks", wrapped),  # the line break in the transcript does not matter
        ("interview_anna", "housing_costs", "the rent took half my wage"),
        ("interview_anna", "push.unemployment", "No work, no choice."),
        ("interview_anna", "push.unemployment", "No work, no choice."),
        ("interview_boris", "networks", "my brother found me a job at the elevator"),  # document by stem, any case
    ])
    assert "\n" in wrapped


def test_reimporting_highlights_adds_nothing(tmp_path: Path) -> None:
    project = _project(tmp_path)
    runner = CliRunner()
    assert runner.invoke(cli, ["import", str(project), *TRANSCRIPTS]).exit_code == 0
    first = runner.invoke(cli, ["import", str(project), str(DATA / "highlights_all.csv")])
    second = runner.invoke(cli, ["import", str(project), str(DATA / "highlights_all.csv"), "--coder", "taguette"])
    assert first.exit_code == 0 and second.exit_code == 0, second.output
    assert "0 coding(s) of coder 'taguette' imported, 7 already there" in second.output


def test_a_highlights_table_is_never_a_survey(tmp_path: Path) -> None:
    try:
        read_file(DATA / "highlights_all.csv")
    except Exception as exc:
        assert "[E990]" in str(exc) and "not read as a survey" in str(exc)
    else:
        raise AssertionError("a highlights table was read as transcripts")
    project = _project(tmp_path)
    folder = tmp_path / "batch"
    folder.mkdir()
    (folder / "highlights_x.csv").write_bytes((DATA / "highlights_all.csv").read_bytes())
    result = CliRunner().invoke(cli, ["import", str(project), str(folder)])  # inside a folder: refused, said why
    assert result.exit_code == 1 and "[E990]" in result.output
    with Project.open(project) as p:
        assert p.transcripts().empty


def test_tag_to_code_id() -> None:
    assert code_id("push/unemployment") == "push.unemployment"
    assert code_id("Push factors") == "Push_factors"
    assert code_id("2019 move") == "t_2019_move"
    assert code_id("семья/дети") == "семья.дети"
