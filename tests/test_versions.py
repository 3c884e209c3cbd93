"""Corrected transcripts keep their codings (issue 14.4): difflib word alignment on real edit scripts
(insertions, deletions, a replaced name, re-wrapped lines), counts printed, lost codings written to a
file, rule codings re-coded, and a SIGKILL in the middle of the carry-over changes nothing."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from stalled import stalled

from qualcode import Project
from qualcode.cli import cli
from qualcode.versions import STALL_ENV, align, place

ROOT = Path(__file__).resolve().parent.parent
V1 = ROOT / "tests" / "data" / "autocode" / "codebook_v1.yaml"
OLD = """Interviewer: Why did you decide to move north? Was it about a job?
Respondent: In Shymkent I lost my job at the cement plant in 2018. There was no work in our village.
My brother Aidos said there was no problem finding work in Kostanay.
Interviewer: And your wife?
Respondent: She found a job at a school. We moved in the spring, and the housing was cheap.
Interviewer: Any regrets?
Respondent: The winters are hard. But the job I lost never came back, so we stay.
"""
# The corrections a transcriber makes: a missing passage added, a name pseudonymised, a misheard word,
# a passage deleted, and the long answer re-wrapped.
NEW = """Interviewer: Why did you decide to move north? Was it about a job?
Respondent: In Shymkent I lost my job at the cement plant in 2018. There was no work in our
village. [pause] We had debts too.
My brother A. said there was no problem finding work in Kostanay.
Interviewer: And your wife?
Respondent: She found a job at a school. We moved in the summer, and the housing was cheap.
Interviewer: Any regrets?
Respondent: The job I lost never came back, so we stay.
"""


def _span(text: str, words: str) -> tuple[int, int]:
    start = text.index(words)
    return start, start + len(words)


@pytest.mark.parametrize("words, kind, new_words", [
    ("I lost my job at the cement plant", "exact", "I lost my job at the cement plant"),  # before an insertion
    ("There was no work in our village.", "exact", "There was no work in our\nvillage."),  # re-wrapped
    ("She found a job at a school.", "exact", "She found a job at a school."),  # after the insertion
    ("My brother Aidos said", "moved", "My brother A. said"),  # a replaced name
    ("We moved in the spring", "moved", "We moved in the summer"),  # a misheard word
    ("The winters are hard.", "lost", None),  # deleted
    ("ob I lo", "exact", "ob I lo"),  # inside words, kept inside words
])
def test_place_on_edit_scripts(words: str, kind: str, new_words: str | None) -> None:
    al = align(OLD, NEW)
    where = place(al, OLD, NEW, *_span(OLD, words))
    assert where.kind == kind
    if new_words is not None:
        assert NEW[where.start:where.end] == new_words


@pytest.fixture
def project(tmp_path: Path) -> Path:
    path = tmp_path / "study.qcdb"
    (tmp_path / "v1").mkdir()
    (tmp_path / "v2").mkdir()
    (tmp_path / "v1" / "worker.txt").write_text(OLD, encoding="utf-8")
    (tmp_path / "v2" / "worker.txt").write_text(NEW, encoding="utf-8")
    with Project.create(path) as p:
        p.import_file(tmp_path / "v1" / "worker.txt")
        p.autocode(V1)
        text = p.transcript_text("worker")
        for words, code in [("I lost my job at the cement plant", "work.job"),
                            ("There was no work in our village.", "work"),
                            ("My brother Aidos said there was no problem finding work", "work.find"),
                            ("We moved in the spring", "move"),
                            ("The winters are hard.", "move")]:
            cid = p.add_coding("worker", code, *_span(text, words), coder="ana", memo=f"memo on {words[:10]}")
        p.review_coding(cid, "rejected", "rev")
    return path


def _human(p: Project) -> list[tuple[str, str, str, str]]:
    c = p.codings(origin="manual")
    return sorted((r.code, r.text, r.status, r.memo or "") for r in c.itertuples())


def test_new_version_carries_codings_and_says_so(project: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["import", str(project), str(tmp_path / "v2" / "worker.txt"), "--new-version"])
    assert result.exit_code == 0, result.output
    # 5 human codings (2 exact, 2 moved, 1 lost) and the rule codings of version 1 (carried, then re-coded)
    m = re.search(r"codings carried over from version 1: (\d+) exactly, (\d+) moved \(flagged for review\), "
                  r"(\d+) lost", result.output)
    assert m is not None, result.output
    assert int(m[1]) >= 2 and int(m[2]) >= 2 and int(m[3]) >= 1 and sum(map(int, m.groups())) > 5
    assert "[E989]" in result.output and "re-coded with codebook" in result.output
    lost = tmp_path / "study-worker-v1-lost-codings.csv"
    rows = list(csv.DictReader(lost.open(encoding="utf-8")))
    assert [(r["code"], r["text"], r["coder"], r["status"]) for r in rows] == \
        [("move", "The winters are hard.", "ana", "rejected")]
    with Project.open(project) as p:
        versions = p.transcripts(all_versions=True)
        assert versions["version"].tolist() == [1, 2]
        human = _human(p)
        assert ("work.job", "I lost my job at the cement plant", "accepted", "memo on I lost my ") in human
        assert ("work", "There was no work in our\nvillage.", "accepted", "memo on There was ") in human
        moved = [h for h in human if h[2] == "suggested"]
        assert sorted(h[1] for h in moved) == ["My brother A. said there was no problem finding work",
                                               "We moved in the summer"]
        assert all("it coded: \"We moved in the spring\"" in h[3] or "Aidos" in h[3] for h in moved)
        # Rule codings of the new version are the rules' own (re-coded), on the new text.
        rule = p.codings(origin="rule")
        assert not rule.empty
        text = p.transcript_text("worker")
        assert all(text[r.start:r.end] == r.text for r in rule.itertuples())
        assert p.runs()["status"].tolist()[-1] == "finished"


def test_same_text_new_version_carries_everything_exactly(project: Path, tmp_path: Path) -> None:
    (tmp_path / "v3.txt").write_text(OLD.replace("\n", "\n\n"), encoding="utf-8")  # only white space changes
    with Project.open(project) as p:
        before = _human(p)
        result = CliRunner().invoke(cli, ["import", str(project), str(tmp_path / "v3.txt"), "--name", "worker",
                                          "--new-version"])
        assert re.search(r"(\d+) exactly, 0 moved \(flagged for review\), 0 lost", result.output), result.output
        assert [(c, " ".join(t.split()), s, m) for c, t, s, m in _human(p)] == \
            [(c, " ".join(t.split()), s, m) for c, t, s, m in before]


def _state(path: Path) -> tuple[list, list]:
    with Project.open(path) as p:
        return (p.transcripts(all_versions=True)[["transcript", "version"]].values.tolist(),
                sorted(map(tuple, p.codings()[["transcript", "code", "start", "end", "status"]].values.tolist())))


def test_sigkill_in_the_middle_of_the_carry_over_changes_nothing(project: Path, tmp_path: Path) -> None:
    before = _state(project)
    with stalled(["import", str(project), str(tmp_path / "v2" / "worker.txt"), "--new-version"], cwd=tmp_path,
                 hook=STALL_ENV):
        pass  # killed at the stall point, inside the import's transaction
    assert _state(project) == before  # no version 2, no half-carried codings
    assert not (tmp_path / "study-worker-v1-lost-codings.csv").exists()
    # And the same import, run to the end, works.
    result = CliRunner().invoke(cli, ["import", str(project), str(tmp_path / "v2" / "worker.txt"), "--new-version"])
    assert result.exit_code == 0 and "codings carried over from version 1" in result.output, result.output


def test_memos_and_reviews_follow_to_the_new_version(project: Path, tmp_path: Path) -> None:
    import datetime as dt

    from sqlalchemy import insert, select

    from qualcode.store.schema import memos, transcripts, turns

    stamp = dt.datetime(2026, 1, 1)
    with Project.open(project) as p, p.engine.begin() as conn:
        old_id = conn.execute(select(transcripts.c.id)).scalar_one()
        school = conn.execute(select(turns.c.id).where(turns.c.transcript_id == old_id, turns.c.idx == 3)).scalar_one()
        conn.execute(insert(memos), [
            {"target_type": "transcript", "target_id": old_id, "text": "interview in the kitchen",
             "created_at": stamp, "updated_at": stamp},
            {"target_type": "turn", "target_id": school, "text": "his wife's job", "created_at": stamp,
             "updated_at": stamp},
        ])
    result = CliRunner().invoke(cli, ["import", str(project), str(tmp_path / "v2" / "worker.txt"), "--new-version"])
    assert result.exit_code == 0, result.output
    assert "memo(s) carried" in result.output
    with Project.open(project) as p, p.engine.connect() as conn:
        new_id = conn.execute(select(transcripts.c.id).where(transcripts.c.is_current.is_(True))).scalar_one()
        assert new_id != old_id
        on = dict(conn.execute(select(memos.c.text, memos.c.target_id)).all())
        assert on["interview in the kitchen"] == new_id
        turn = conn.execute(select(turns.c.transcript_id, turns.c.start_offset, turns.c.end_offset)
                            .where(turns.c.id == on["his wife's job"])).one()
        assert turn.transcript_id == new_id
        assert p.transcript_text("worker")[turn.start_offset:turn.end_offset].startswith("She found a job")
