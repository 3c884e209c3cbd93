"""The audit log (issue 16.3) and the codebook's optimistic version check, through the Project
API and the CLI, on both stores (`db`: a real SQLite file, and PostgreSQL when there is one)."""

from __future__ import annotations

import datetime as dt
import json
import threading
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from sqlalchemy import update

from qualcode import Project, audit, coding, conflicts
from qualcode.cli import cli
from qualcode.errors import QualcodeError
from qualcode.ingest import ImportOptions
from qualcode.store.schema import codes

ROOT = Path(__file__).resolve().parent.parent
CODEBOOK = ROOT / "codebooks" / "migration.yaml"
KZ03 = ROOT / "interviews" / "kz03.txt"


def log(p: Project, **filters: object) -> list[tuple[str, str, str]]:
    """(actor, action, target) oldest first."""
    frame = p.audit(**filters)
    return list(zip(frame["actor"], frame["action"], frame["target"], strict=True))[::-1]


def detail(p: Project, action: str) -> dict:
    return json.loads(p.audit(action=action)["detail"].iloc[0])


def test_every_action_is_recorded_with_its_actor(db, tmp_path: Path) -> None:
    with Project.create(db.new()) as p:
        assert p.import_files([KZ03], actor="lead").ok
        run = p.autocode(CODEBOOK, actor="lead")
        text = p.transcript_text("kz03")
        start = text.index("Байзакском")
        mine = p.add_coding("kz03", "push.family", start, start + 10, coder="aigerim")
        p.update_coding(mine, code="push.unemployment", coder="aigerim")
        p.update_coding(mine, memo="важно", coder="aigerim")
        rule = int(p.codings(["kz03"], origin="rule")["id"].iloc[0])
        p.review_coding(rule, "rejected", "dana")
        snapshot = p.delete_coding(mine, coder="aigerim")
        restored = p.restore_coding(snapshot, actor="dana")
        p.add_code("push.debts", "Debts", parent="push", actor="lead")
        p.rename_code("push.debts", "Debts and loans", actor="lead")
        p.move_code("push.debts", None, actor="lead")
        p.merge_codes("push.debts", "push.family", actor="lead")
        gone = p.delete_code("resource.skills", confirm=True, actor="lead")
        p.restore_code(gone, actor="dana")
        rows = p.codings(["kz03"], origin="manual")[["transcript", "code", "start", "end", "text"]]
        rows.assign(coder="nurlan").to_csv(tmp_path / "nurlan.csv", index=False)
        p.import_codings(tmp_path / "nurlan.csv", actor="lead")

        assert log(p) == [
            ("lead", "import", "kz03"),
            ("lead", "recode", str(run.id)),
            ("aigerim", "coding.add", str(mine)),
            ("aigerim", "coding.change", str(mine)),
            ("aigerim", "coding.change", str(mine)),
            ("dana", "coding.review", str(rule)),
            ("aigerim", "coding.delete", str(mine)),
            ("dana", "coding.restore", str(restored)),
            ("lead", "code.add", "push.debts"),
            ("lead", "code.change", "push.debts"),
            ("lead", "code.move", "push.debts"),
            ("lead", "code.merge", "push.debts"),
            ("lead", "code.delete", "resource.skills"),
            ("dana", "code.restore", "resource.skills"),
            ("lead", "import.codings", str(tmp_path / "nurlan.csv")),
        ]
        # "Who deleted my codings?": the row says who, which coding (whose, where, with which code).
        who = p.audit(action="coding.delete")
        assert who["actor"].tolist() == ["aigerim"]
        assert detail(p, "coding.delete") == {
            "transcript": "kz03", "code": "push.unemployment", "start_offset": start, "end_offset": start + 10,
            "coder": "aigerim", "origin": "manual", "status": "accepted", "memo": "важно"}
        assert detail(p, "code.merge")["into"] == "push.family"
        assert detail(p, "recode")["added"] == sum(len(v) for v in run.added.values()) > 0
        assert detail(p, "code.delete")["codings"] == gone.n_codings


def test_filters_by_actor_action_family_and_time(db) -> None:
    with Project.create(db.new()) as p:
        p.import_files([KZ03], actor="lead")
        p.load_codes(CODEBOOK, actor="lead")
        for coder in ("aigerim", "dana"):
            p.add_coding("kz03", "push.family", 0, 5, coder=coder)
        assert [a for a, _, _ in log(p, actor="dana")] == ["dana"]
        assert [x for _, x, _ in log(p, action="coding")] == ["coding.add", "coding.add"]
        assert [x for _, x, _ in log(p, action="code")] == ["code.load"]
        at = p.audit()["at"]
        assert str(at.dt.tz) == "UTC" and (at <= pd.Timestamp.now(tz="UTC")).all()
        assert len(p.audit(since=at.min())) == 4
        assert len(p.audit(since=dt.date.today() + dt.timedelta(days=1))) == 0
        assert len(p.audit(since="2000-01-01T00:00+06:00")) == 4
        assert len(p.audit(limit=1)) == 1
        with p.engine.connect() as conn:  # what the Audit page counts beside its newest rows
            assert (audit.count(conn), audit.count(conn, action="coding"), audit.actors(conn)) == (
                4, 2, ["aigerim", "dana", "lead"])
        for bad, code in ((dict(action="coding.erase"), "E551"), (dict(since="yesterday"), "E552"),
                          (dict(actor="nobody"), "E553")):
            with pytest.raises(QualcodeError) as err:
                p.audit(**bad)
            assert err.value.code == code
        with pytest.raises(QualcodeError, match="aigerim, dana, lead"):
            p.audit(actor="nobody")


def test_a_refused_change_leaves_no_row(db) -> None:
    with Project.create(db.new()) as p:
        p.import_files([KZ03], actor="lead")
        p.load_codes(CODEBOOK, actor="lead")
        mine = p.add_coding("kz03", "push.family", 0, 5, coder="aigerim")
        with pytest.raises(QualcodeError, match="E732"):  # only its coder removes a coding
            p.delete_coding(mine, coder="dana")
        with pytest.raises(QualcodeError, match="E744"):  # a code with codings needs confirm
            p.delete_code("push.family", actor="lead")
        assert [x for _, x, _ in log(p)] == ["import", "code.load", "coding.add"]
        assert len(p.codings(origin="manual")) == 1


def test_without_an_actor_the_os_account_is_named(db) -> None:
    with Project.create(db.new()) as p:
        p.import_files([KZ03])
        assert p.audit()["actor"].iloc[0].startswith("os:")


# --- two owners editing the codebook at once ----------------------------------------------------

def test_a_stale_codebook_version_is_refused_and_nothing_is_overwritten(db) -> None:
    location = db.new()
    with Project.create(location) as p:
        p.load_codes(CODEBOOK, actor="lead")
    with Project.open(location) as first, Project.open(location) as second:
        seen_first, seen_second = first.codebook_version(), second.codebook_version()
        assert seen_first == seen_second
        first.rename_code("push.family", "Family ties", actor="aigerim", version=seen_first)
        with pytest.raises(QualcodeError) as err:
            second.rename_code("push.family", "Kin", actor="dana", version=seen_second)
        assert err.value.code == "E550"
        message = str(err.value)
        assert "code.change of 'push.family' by aigerim" in message and "not written" in message
        with pytest.raises(QualcodeError, match="E550"):  # a merge from the stale page too
            second.merge_codes("push.family", "push.unemployment", actor="dana", version=seen_second)
        codes = second.codes().set_index("code")
        assert codes.loc["push.family", "name"] == "Family ties" and "push.family" in codes.index
        assert [a for a, _, _ in log(second, action="code")] == ["lead", "aigerim"]
        # Read again, the second owner's edit goes through.
        second.rename_code("push.family", "Kin", actor="dana", version=second.codebook_version())
        assert second.codes().set_index("code").loc["push.family", "name"] == "Kin"


def test_codes_added_by_a_recode_change_the_version(db) -> None:
    with Project.create(db.new()) as p:
        p.import_files([KZ03])
        before = p.codebook_version()
        p.autocode(CODEBOOK)  # writes codes without going through the codebook edits
        with pytest.raises(QualcodeError, match="E550"):
            p.add_code("push.debts", actor="lead", version=before)
        assert "push.debts" not in set(p.codes()["code"])


# --- the CLI ------------------------------------------------------------------------------------

def test_cli_answers_who_deleted_my_codings(tmp_path: Path) -> None:
    location = tmp_path / "p.qcdb"
    with Project.create(location) as p:
        p.import_files([KZ03], actor="lead")
        p.load_codes(CODEBOOK)
        ids = [p.add_coding("kz03", "push.family", s, s + 5, coder="aigerim") for s in (0, 10)]
        p.delete_coding(ids[1], coder="aigerim")
    runner = CliRunner()
    result = runner.invoke(cli, ["audit", str(location), "--action", "coding.delete"])
    assert result.exit_code == 0, result.output
    assert "aigerim" in result.output and "coding.delete" in result.output and "coding.add" not in result.output
    out = tmp_path / "audit.csv"
    result = runner.invoke(cli, ["audit", str(location), "--actor", "aigerim", "--out", str(out)])
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out)
    assert frame["action"].tolist() == ["coding.delete", "coding.add", "coding.add"]
    assert set(frame["actor"]) == {"aigerim"}
    assert json.loads(frame["detail"].iloc[0])["start_offset"] == 10
    result = runner.invoke(cli, ["audit", str(location), "--since", "last week"])
    assert result.exit_code == 1 and "E552" in result.output


# --- at the same time -----------------------------------------------------------------------------

def test_two_coders_coding_one_transcript_at_once_lose_nothing(db) -> None:
    location = db.new()
    with Project.create(location) as p:
        p.import_files([KZ03], actor="lead")
        p.load_codes(CODEBOOK, actor="lead")
        length = len(p.transcript_text("kz03"))
    failures: list[BaseException] = []
    # Each its own engine, as two server sessions or processes (opened one after the other:
    # opening checks the schema with Alembic, which is not safe in two threads at once).
    sessions = {name: Project.open(location) for name in ("aigerim", "dana")}

    def code(coder: str, offset: int) -> None:
        try:
            for i in range(40):
                start = (offset + 7 * i) % (length - 10)
                sessions[coder].add_coding("kz03", "push.family", start, start + 5, coder=coder)
        except BaseException as exc:  # reported below, with its type
            failures.append(exc)

    threads = [threading.Thread(target=code, args=(name, k)) for k, name in enumerate(sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for session in sessions.values():
        session.close()
    assert failures == []
    with Project.open(location) as p:
        assert p.codings(["kz03"], origin="manual").groupby("coder").size().to_dict() == {"aigerim": 40, "dana": 40}
        assert p.audit(action="coding.add").groupby("actor").size().to_dict() == {"aigerim": 40, "dana": 40}


def test_two_code_edits_at_the_same_instant_one_is_refused(db) -> None:
    """The second edit waits for the first's lock, then finds the version changed: E550, never
    a silent overwrite (on PostgreSQL a plain row update would wait and then overwrite)."""
    location = db.new()
    with Project.create(location) as p:
        p.load_codes(CODEBOOK, actor="lead")
    outcome: list[object] = []
    with Project.open(location) as first, Project.open(location) as second:
        seen = first.codebook_version()

        def rename() -> None:
            try:
                second.rename_code("push.family", "Kin", actor="dana", version=seen)
                outcome.append("saved")
            except QualcodeError as exc:
                outcome.append(exc.code)

        with first.engine.begin() as conn:  # the first edit, held open while the second starts
            conflicts.check(conn, seen, "test rename")
            conn.execute(update(codes).where(codes.c.path == "push.family").values(name="Family ties"))
            other = threading.Thread(target=rename)
            other.start()
            other.join(timeout=2)
            assert other.is_alive(), outcome  # it waits for the lock the first edit holds
        other.join()
        assert outcome == ["E550"]
        assert second.codes().set_index("code").loc["push.family", "name"] == "Family ties"


def test_an_undo_never_overwrites_a_change_made_since_in_another_session(db) -> None:
    location = db.new()
    with Project.create(location) as p:
        p.import_files([KZ03], actor="lead")
        p.autocode(CODEBOOK, actor="lead")
    with Project.open(location) as mine, Project.open(location) as theirs:
        rule = int(mine.codings(["kz03"], origin="rule")["id"].iloc[0])
        steps = [coding.apply_action(mine, {"action": "accept", "id": rule}, "aigerim")]
        theirs.review_coding(rule, "rejected", "dana")  # another coder, meanwhile
        with pytest.raises(QualcodeError) as err:
            coding.undo(mine, steps, "aigerim")
        assert err.value.code == "E555" and "rejected by dana" in str(err.value)
        row = mine.codings(["kz03"]).set_index("id").loc[rule]
        assert row["status"] == "rejected"

        text = mine.transcript_text("kz03")
        start = text.index("Байзакском")
        own = mine.add_coding("kz03", "push.family", start, start + 10, coder="aigerim")
        steps = [coding.apply_action(mine, {"action": "memo", "id": own, "memo": "см. отца"}, "aigerim")]
        theirs.merge_codes("push.family", "push.unemployment", actor="lead")  # an owner, meanwhile
        with pytest.raises(QualcodeError, match="E555"):
            coding.undo(mine, steps, "aigerim")
        assert mine.codings(["kz03"]).set_index("id").loc[own, "code"] == "push.unemployment"
        # Nobody else in between: the undo goes through.
        steps = [coding.apply_action(mine, {"action": "memo", "id": own, "memo": "второй"}, "aigerim")]
        coding.undo(mine, steps, "aigerim")
        assert mine.codings(["kz03"]).set_index("id").loc[own, "memo"] == "см. отца"


def test_a_new_versions_recode_is_the_importers(tmp_path: Path) -> None:
    """Importing a corrected transcript re-codes the codings it carries over: the log names
    the importer for both, not the account the server runs as."""
    (tmp_path / "v2").mkdir()
    changed = KZ03.read_text(encoding="utf-8").replace("Байзакском", "Байзакском (Жамбылская обл.)", 1)
    (tmp_path / "v2" / "kz03.txt").write_text(changed, encoding="utf-8")
    with Project.create(tmp_path / "p.qcdb") as p:
        p.import_files([KZ03], actor="lead")
        p.autocode(CODEBOOK, actor="lead")
        report = p.import_files([tmp_path / "v2" / "kz03.txt"], ImportOptions(new_version=True), actor="aigerim")
        assert report.ok and p.transcripts(all_versions=True)["version"].tolist() == [1, 2]
        assert log(p)[-2:] == [("aigerim", "import", "kz03"), ("aigerim", "recode", str(p.runs()["run"].max()))]
