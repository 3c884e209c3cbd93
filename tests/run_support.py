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


def rule_codings(p: Project, with_rule: bool = True) -> list[tuple]:
    """The rule codings as sorted (transcript, code, start, end[, rule]) rows."""
    frame = p.codings(origin="rule")
    columns = [frame["transcript"], frame["code"], frame["start"], frame["end"]]
    return sorted(zip(*columns, *([frame["rule"]] if with_rule else []), strict=True))
