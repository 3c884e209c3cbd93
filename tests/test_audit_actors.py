"""The audit log names the actor of a QDPX import and of command-line imports and re-codes
(`--actor`, or $QUALCODE_ACTOR), not only the operating-system account (issue 16.3)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from qualcode import Project
from qualcode.cli import cli

ROOT = Path(__file__).resolve().parent.parent
CODEBOOK = ROOT / "codebooks" / "migration.yaml"
KZ03 = ROOT / "interviews" / "kz03.txt"


def actions(location: Path) -> list[tuple[str, str]]:
    with Project.open(location) as p:
        frame = p.audit()
    return list(zip(frame["actor"], frame["action"], strict=True))[::-1]


def test_a_qdpx_import_is_recorded_with_its_actor(tmp_path: Path) -> None:
    with Project.create(tmp_path / "a.qcdb") as p:
        p.import_files([KZ03], actor="lead")
        p.load_codes(CODEBOOK)
        p.add_coding("kz03", "push.family", 0, 20, coder="aigerim")
        p.export_qdpx(tmp_path / "a.qdpx")
    with Project.create(tmp_path / "b.qcdb") as p:
        result = p.import_qdpx(tmp_path / "a.qdpx", actor="dana")
        row = p.audit(action="import.qdpx")
    assert list(zip(row["actor"], row["target"], strict=True)) == [("dana", "a.qdpx")]
    detail = json.loads(row["detail"].iloc[0])
    assert detail["transcripts"] == ["kz03"] and detail["codings"] == result.codings == 1


def test_cli_import_and_code_take_the_actor(tmp_path: Path) -> None:
    location = tmp_path / "p.qcdb"
    Project.create(location).close()
    runner = CliRunner()
    result = runner.invoke(cli, ["import", str(location), str(KZ03), "--actor", "lead", "-q"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["code", str(location), "--codebook", str(CODEBOOK)],
                           env={"QUALCODE_ACTOR": "dana"})
    assert result.exit_code == 0, result.output
    assert actions(location) == [("lead", "import"), ("dana", "recode")]


def test_qualcode_actor_names_every_command_without_an_actor(tmp_path: Path, monkeypatch) -> None:
    location = tmp_path / "p.qcdb"
    Project.create(location).close()
    monkeypatch.setenv("QUALCODE_ACTOR", " dana ")
    result = CliRunner().invoke(cli, ["memo", "add", str(location), "--target", "project", "--text", "first pass"])
    with Project.open(location) as p:
        p.add_code("push.debts", "Debts")  # the API without actor=
        assert p.audit()["actor"].tolist() == ["dana", "dana"], result.output
    monkeypatch.delenv("QUALCODE_ACTOR")
    with Project.open(location) as p:
        p.add_code("push.loans", "Loans")
        assert p.audit()["actor"].iloc[0].startswith("os:")
