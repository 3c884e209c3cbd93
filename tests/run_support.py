"""Small real projects for the run tests: imported from a folder, and their rule codings as rows."""

from __future__ import annotations

from pathlib import Path

from qualcode import Project

ROOT = Path(__file__).resolve().parent.parent
AUTOCODE = ROOT / "tests" / "data" / "autocode"  # four short interviews and two codebook versions


def imported(tmp: Path, name: str, folder: Path = AUTOCODE) -> Project:
    """A new project file `tmp/name` with every *.txt of `folder` imported."""
    p = Project.create(tmp / name)
    assert p.import_files(sorted(folder.glob("*.txt"))).ok
    return p


def texts_and_turns(tmp: Path, extra: list[Path] = ()) -> list[tuple[str, list]]:
    """Every sample interview (and `extra` files) imported into a project at `tmp`: each
    transcript's text with its turns as `autocode.TurnSpan`s (what the matcher is given)."""
    from qualcode.autocode import TurnSpan

    files = sorted(f for f in (ROOT / "interviews").iterdir()
                   if f.suffix in {".txt", ".docx", ".md", ".vtt", ".odt", ".srt"} and f.name != "README.md")
    with Project.create(tmp / "p.qcdb") as p:
        assert p.import_files([*files, *extra]).ok
        turns = p.turns()
        out = []
        for name in p.transcripts()["transcript"]:
            rows = turns[turns["transcript"] == name]
            out.append((p.transcript_text(name), [TurnSpan(i, r, s, e) for i, r, s, e in zip(
                rows["turn"], rows["role"], rows["start"], rows["end"], strict=True)]))
    return out


def labelled_turns(text: str) -> list:
    """Turns of a small text of "label: words" paragraphs split by blank lines, each turn after its label."""
    from qualcode.autocode import TurnSpan

    turns, pos = [], 0
    for i, chunk in enumerate(text.split("\n\n")):
        label = chunk.index(": ") + 2
        turns.append(TurnSpan(i, "respondent", pos + label, pos + len(chunk)))
        pos += len(chunk) + 2
    return turns


def rule_codings(p: Project, with_rule: bool = True) -> list[tuple]:
    """The rule codings as sorted (transcript, code, start, end[, rule]) rows."""
    frame = p.codings(origin="rule")
    columns = [frame["transcript"], frame["code"], frame["start"], frame["end"]]
    return sorted(zip(*columns, *([frame["rule"]] if with_rule else []), strict=True))
