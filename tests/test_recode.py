"""Re-coding a project: determinism, what a changed codebook replaces, what it keeps, and atomicity.

Every test works on a copy of a real project file with the transcripts of
tests/data/autocode imported, coded with tests/data/autocode/codebook_v1.yaml, and
re-coded with codebook_v2.yaml (which drops `work.find`, narrows English `move` to
the matched words and adds `housing`).
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from stalled import stalled

from qualcode import Project, runs
from qualcode.cli import cli
from qualcode.codebook import loads
from qualcode.errors import QualcodeError
from qualcode.ingest import ImportOptions
from qualcode.runs import STALL_ENV
from qualcode.store.coding_queries import CODING_COLUMNS

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "data" / "autocode"
V1 = CORPUS / "codebook_v1.yaml"
V2 = CORPUS / "codebook_v2.yaml"
NAMES = ["en_family", "en_worker", "ru_worker"]


def copy_project(src: Path, dest: Path) -> Path:
    shutil.copy(src, dest)
    wal = src.with_name(src.name + "-wal")
    if wal.exists():
        shutil.copy(wal, dest.with_name(dest.name + "-wal"))
    return dest


def qualcode(*args: str | Path) -> str:
    """Run a `qualcode` command in this process; return its stdout (it must succeed)."""
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture(scope="module")
def base_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The corpus imported, never coded (no analysis cache either)."""
    path = tmp_path_factory.mktemp("recode") / "base.qcdb"
    with Project.create(path) as p:
        report = p.import_files(sorted(CORPUS.glob("*.txt")))
        assert report.ok, [r.message for r in report.failed]
        assert sorted(p.transcripts()["transcript"]) == NAMES
    return path


@pytest.fixture(scope="module")
def v1_file(base_file: Path) -> Path:
    """The corpus coded once with codebook v1."""
    path = copy_project(base_file, base_file.with_name("v1.qcdb"))
    with Project.open(path) as p:
        run = p.autocode(V1)
        assert run.status == "finished" and run.total > 5
    return path


@pytest.fixture
def fresh(base_file: Path, tmp_path: Path) -> Path:
    return copy_project(base_file, tmp_path / "fresh.qcdb")


def _coded_v1(location: Path | str) -> None:
    with Project.create(location) as p:
        assert p.import_files(sorted(CORPUS.glob("*.txt"))).ok
        run = p.autocode(V1)
        assert run.status == "finished" and run.total > 5


@pytest.fixture
def coded(db) -> Path | str:
    """The corpus coded once with codebook v1, on SQLite and on PostgreSQL (tests/conftest.py `db`)."""
    return db.copy("recode_v1", _coded_v1)


def span(p: Project, name: str, words: str) -> tuple[str, int, int]:
    """(transcript, start, end) of the first occurrence of `words` in a transcript."""
    text = p.transcript_text(name)
    start = text.index(words)
    return name, start, start + len(words)


def expected_v1_to_v2(p: Project) -> tuple[dict, dict]:
    added = {
        "housing": [span(p, "en_family", "Housing is expensive."),
                    span(p, "en_worker", "We moved in the spring, and the housing was cheap."),
                    span(p, "ru_worker", "Жильё сначала снимали, потом купили.")],
        "move": [span(p, "en_family", "moved"), span(p, "en_worker", "moved")],
    }
    removed = {
        "move": [span(p, "en_family", "We moved because of the children's school."),
                 span(p, "en_worker", "We moved in the spring, and the housing was cheap.")],
        "work.find": [span(p, "en_family", "My husband works as a driver, and he had to find work here first.")],
    }
    return added, removed


def rule_frame(p: Project) -> pd.DataFrame:
    return p.codings(origin="rule")[CODING_COLUMNS]


def row_id(p: Project, name: str, code: str, text: str) -> int:
    frame = p.codings()
    hit = frame[(frame["transcript"] == name) & (frame["code"] == code) & (frame["text"] == text)]
    assert len(hit) == 1, (name, code, text, frame[["transcript", "code", "text"]])
    return int(hit["id"].iloc[0])


# --- determinism ------------------------------------------------------------------------------

def test_two_copies_coded_alike_export_byte_identical_codings(base_file: Path, tmp_path: Path) -> None:
    a = copy_project(base_file, tmp_path / "a.qcdb")
    b = copy_project(base_file, tmp_path / "b.qcdb")
    with Project.open(a) as p:
        p.autocode(V1)
    qualcode("code", b, "--codebook", V1)
    out_a = qualcode("codings", a, "--format", "csv")
    out_b = qualcode("codings", b, "--format", "csv")
    assert out_a.encode() == out_b.encode()
    assert len(out_a.splitlines()) == 12  # header and 11 codings
    assert qualcode("codings", a, "--format", "json") == qualcode("codings", b, "--format", "json")


def test_recoding_with_the_same_codebook_gives_the_same_codings(coded: Path) -> None:
    with Project.open(coded) as p:
        before = rule_frame(p)
        run = p.autocode(V1)
        after = rule_frame(p)
    assert run.added == {} and run.removed == {}
    assert set(before["run"]) == {1} and set(after["run"]) == {run.id} and run.id == 2
    pd.testing.assert_frame_equal(before.drop(columns="run"), after.drop(columns="run"))


def test_workers_2_gives_the_same_codings_as_workers_1(base_file: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runs, "POOL_MIN_WORDS", 1)  # a pool even for this small corpus
    one = copy_project(base_file, tmp_path / "one.qcdb")
    two = copy_project(base_file, tmp_path / "two.qcdb")
    with Project.open(one) as p:
        r1 = p.autocode(V1, workers=1)
        frame1 = rule_frame(p)
    with Project.open(two) as p:
        r2 = p.autocode(V1, workers=2)
        frame2 = rule_frame(p)
        again = p.autocode(V2, workers=2)  # from the analysis cache the pool wrote back
        frame2_v2 = rule_frame(p)
    assert (r2.analysed, r2.cached) == (3, 0) and (again.analysed, again.cached) == (0, 3)
    assert r1.counts == r2.counts and r1.added == r2.added
    pd.testing.assert_frame_equal(frame1, frame2)
    with Project.open(one) as p:
        p.autocode(V2, workers=1)
        pd.testing.assert_frame_equal(rule_frame(p), frame2_v2)


def test_a_dask_cluster_gives_the_same_codings_as_one_process(base_file: Path, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from distributed import Client, LocalCluster

    monkeypatch.setattr(runs, "DASK_MIN_WORDS", 1)  # the cluster even for this small corpus

    local = copy_project(base_file, tmp_path / "local.qcdb")
    cluster = copy_project(base_file, tmp_path / "cluster.qcdb")
    with Project.open(local) as p:
        r1 = p.autocode(V1)
        frame1 = rule_frame(p)
    with LocalCluster(n_workers=2, processes=False, threads_per_worker=1, dashboard_address=None) as lc, \
            Client(lc) as client, Project.open(cluster) as p:
        r2 = p.autocode(V1, scheduler=client)
        frame2 = rule_frame(p)
        again = p.autocode(V2, scheduler=client)  # analyses the cluster made were stored here
    assert (r2.analysed, r2.cached) == (3, 0) and (again.analysed, again.cached) == (0, 3)
    assert r1.counts == r2.counts
    pd.testing.assert_frame_equal(frame1, frame2)


# --- the analysis cache -----------------------------------------------------------------------

def test_second_run_uses_the_analysis_cache_and_codes_the_same(base_file: Path, tmp_path: Path) -> None:
    cached_copy = copy_project(base_file, tmp_path / "c.qcdb")
    with Project.open(cached_copy) as p:
        first = p.autocode(V1)
        assert (first.analysed, first.cached) == (3, 0)
        second = p.autocode(V2)
        assert (second.analysed, second.cached) == (0, 3)
        from_cache = rule_frame(p)
    # The same codebook on a never-analysed copy: a cached analysis codes exactly like a new one.
    direct = copy_project(base_file, tmp_path / "d.qcdb")
    with Project.open(direct) as p:
        run = p.autocode(V2)
        assert (run.analysed, run.cached) == (3, 0)
        pd.testing.assert_frame_equal(rule_frame(p).drop(columns="run"), from_cache.drop(columns="run"))


def test_cached_rule_matches_follow_every_change_that_decides_where_rules_fire(
        base_file: Path, tmp_path: Path) -> None:
    # A re-code reuses each unchanged rule's cached matches; a changed negation setting, a
    # changed pattern or a changed unit must give what a fresh coding gives, not stale matches.
    base = V1.read_text(encoding="utf-8")
    variants = {
        # "there was no problem finding work" is dropped as negated, unless "no" is not a cue
        "negation": base + "negation:\n  en: {cues: [never], before: 3, after: 0}\n",
        "pattern": base.replace("phrase: работа", "phrase: работать"),
        "unless": base.replace("        - phrase: job\n", "        - phrase: job\n          unless: [school]\n"),
        "speakers": base.replace("codes:", "defaults: {speakers: [any]}\ncodes:", 1),
    }
    for name, text in variants.items():
        book = tmp_path / f"{name}.yaml"
        book.write_text(text, encoding="utf-8")
        cached_copy = copy_project(base_file, tmp_path / f"c-{name}.qcdb")
        fresh_copy = copy_project(base_file, tmp_path / f"f-{name}.qcdb")
        with Project.open(cached_copy) as p:
            p.autocode(V1)
            p.autocode(book)
            again = rule_frame(p)
        with Project.open(fresh_copy) as p:
            p.autocode(book)
            fresh = rule_frame(p)
        pd.testing.assert_frame_equal(again.drop(columns="run"), fresh.drop(columns="run"), obj=name)


def test_a_changed_transcript_is_analysed_again(coded: Path, tmp_path: Path) -> None:
    changed = tmp_path / "en_family.txt"
    changed.write_text((CORPUS / "en_family.txt").read_text(encoding="utf-8")
                       + "Respondent: My sister lost her job last year.\n", encoding="utf-8")
    with Project.open(coded) as p:
        result = p.import_file(changed, ImportOptions(new_version=True))
        assert result.status == "imported", result.message
        # A new version is re-coded by the import itself with the kept codebook (issue 14.4): that run
        # analysed the changed transcript only and added its new coding; the others were not touched.
        assert any("re-coded with codebook" in line for line in result.reports), result.reports
        new_job = span(p, "en_family", "My sister lost her job last year.")
        assert (new_job[1], new_job[2]) in {(r.start, r.end) for r in p.codings(["en_family"]).itertuples()}
        runs = p.runs()
        assert runs["status"].tolist()[-1] == "finished" and len(runs) == 2
        run = p.autocode(V1)
        assert (run.analysed, run.cached) == (0, 3)  # the import analysed the new version already
        assert run.added == {} and run.removed == {}


# --- a changed codebook -----------------------------------------------------------------------

def write_human_codings(p: Project, path: Path) -> Path:
    rows = [span(p, "en_family", "he had to find work here first"), span(p, "en_worker", "We moved in the spring")]
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["transcript", "code", "start", "end", "text", "coder"])
        for (name, s, e), code in zip(rows, ["work.find", "move"], strict=True):
            w.writerow([name, code, s, e, p.transcript_text(name)[s:e], "alice"])
    return path


def test_changed_codebook_replaces_rule_codings_keeps_human_ones_and_reviews(coded: Path, tmp_path: Path) -> None:
    with Project.open(coded) as p:
        report = p.import_codings(write_human_codings(p, tmp_path / "human.csv"))
        assert report.imported == 2
        rejected = row_id(p, "en_worker", "work.job", "She found a job at a school.")
        accepted = row_id(p, "ru_worker", "move", "Переезд был тяжёлым.")
        lost = row_id(p, "en_family", "move", "We moved because of the children's school.")  # v2 narrows it
        p.review_coding(rejected, "rejected", "rev")
        p.review_coding(accepted, "accepted", "rev")
        p.review_coding(lost, "accepted", "rev")
        human_before = p.codings(origin="import")
        expected_added, expected_removed = expected_v1_to_v2(p)

        run = p.autocode(V2)

        assert run.status == "finished" and run.id == 2
        assert run.added == expected_added
        assert run.removed == expected_removed
        assert run.carried_over == 2
        assert run.counts == {"housing": 3, "move": 4, "work.job": 6}
        pd.testing.assert_frame_equal(p.codings(origin="import"), human_before)

        rules = p.codings(origin="rule")
        assert set(rules["run"]) == {2}
        assert "work.find" not in set(rules["code"])
        assert len(rules) == sum(run.counts.values())
        status = {(r.transcript, r.code, r.text): r.status for r in rules.itertuples()}
        assert ("en_family", "move", "moved") in status  # replaces the accepted sentence: a new suggestion
        carried = {("en_worker", "work.job", "She found a job at a school."): "rejected",
                   ("ru_worker", "move", "Переезд был тяжёлым."): "accepted"}
        assert {k: s for k, s in status.items() if s != "suggested"} == carried
        assert p.runs()["status"].tolist() == ["finished", "finished"]


def test_a_decision_survives_a_run_that_drops_the_coding_and_applies_when_it_returns(coded: Path) -> None:
    # The usual tuning cycle: edit the codebook (the coding goes), then revert (it comes back).
    with Project.open(coded) as p:
        lost = row_id(p, "en_family", "move", "We moved because of the children's school.")  # v2 narrows it
        p.review_coding(lost, "rejected", "rev")
        p.autocode(V2)
        assert "We moved because of the children's school." not in set(p.codings(origin="rule")["text"])
        back = p.autocode(V1)
        rules = p.codings(origin="rule")
        again = rules[rules["text"] == "We moved because of the children's school."]
        assert again["status"].tolist() == ["rejected"] and back.carried_over == 1


def test_diff_lists_what_a_run_adds_and_removes(coded: Path) -> None:
    out = qualcode("code", coded, "--codebook", V2, "--diff")
    assert out.startswith("Run 2: coded 3 transcripts")
    with Project.open(coded) as p:
        added, removed = expected_v1_to_v2(p)
        texts = {n: p.transcript_text(n) for n in NAMES}
        assert len(rule_frame(p)) == 13
    lines = out.splitlines()
    assert "Changes against the previous rule codings:" in lines
    for sign, changes in (("+", added), ("-", removed)):
        for code_id, items in changes.items():
            assert f"  {code_id}:" in lines
            for name, s, e in items:
                assert f'    {sign} {name} {s}-{e} "{texts[name][s:e]}"' in lines
    diff_lines = [line for line in lines if line.startswith(("    +", "    -"))]
    assert len(diff_lines) == 5 + 3


def test_recode_of_named_transcripts_leaves_the_others_alone(coded: Path) -> None:
    with Project.open(coded) as p:
        before = rule_frame(p)
        run = p.autocode(V2, transcripts=["ru_worker"])
        after = rule_frame(p)
        assert run.transcripts == ["ru_worker"]
        assert run.added == {"housing": [span(p, "ru_worker", "Жильё сначала снимали, потом купили.")]}
        assert run.removed == {}
    others = before["transcript"] != "ru_worker"
    pd.testing.assert_frame_equal(after[after["transcript"] != "ru_worker"].reset_index(drop=True),
                                  before[others].reset_index(drop=True))
    assert set(after[after["transcript"] == "ru_worker"]["run"]) == {run.id}


def test_unknown_transcript_or_coding_changes_nothing(coded: Path) -> None:
    before = snapshot(coded)
    with Project.open(coded) as p:
        with pytest.raises(QualcodeError) as info:
            p.autocode(V2, transcripts=["ru_worker", "nobody"])
        assert info.value.code == "E105" and "nobody" in str(info.value)
        with pytest.raises(QualcodeError) as info:
            p.review_coding(10_000, "accepted", "rev")
        assert info.value.code == "E707"
        with pytest.raises(QualcodeError) as info:
            p.review_coding(int(p.codings()["id"].iloc[0]), "approved", "rev")
        assert info.value.code == "E709"
    after = snapshot(coded)
    pd.testing.assert_frame_equal(after[0], before[0])
    pd.testing.assert_frame_equal(after[1], before[1])


EN_ONLY = """
name: English only
version: "1"
languages: [en]
codes:
  - id: work
    name: Work
  - id: work.job
    name: Job
    rules:
      en:
        - phrase: job
"""


def test_transcripts_a_run_cannot_code_keep_their_rule_codings(coded: Path) -> None:
    with Project.open(coded) as p:
        russian = p.codings(["ru_worker"], origin="rule")
        assert len(russian) == 4
        p.review_coding(int(russian["id"].iloc[0]), "accepted", "rev")
        russian = p.codings(["ru_worker"], origin="rule")
        run = p.autocode(loads(EN_ONLY, "en_only.yaml"))
        assert any("[E616]" in w and "ru_worker" in w for w in run.warnings)
        assert run.transcripts == ["en_family", "en_worker"]
        assert "ru_worker" not in {name for spans in run.removed.values() for name, _s, _e in spans}
        pd.testing.assert_frame_equal(p.codings(["ru_worker"], origin="rule"), russian)


def snapshot(path: Path) -> tuple[pd.DataFrame, pd.DataFrame, list]:
    with Project.open(path) as p:
        with p.engine.connect() as conn:
            cache = conn.exec_driver_sql("SELECT kind, key, pipeline_version FROM nlp_cache ORDER BY 1, 2").all()
        return p.codings(), p.runs(), cache


def test_dry_run_changes_nothing(coded: Path) -> None:
    before = snapshot(coded)
    with Project.open(coded) as p:
        run = p.autocode(V2, dry_run=True)
        expected_added, expected_removed = expected_v1_to_v2(p)
    assert run.status == "dry-run" and run.id is None
    assert run.added == expected_added and run.removed == expected_removed
    out = qualcode("code", coded, "--codebook", V2, "--dry-run", "--diff")
    assert out.startswith("Dry run (nothing changed): would code 3 transcripts")
    assert "+ en_family" in out and "- en_family" in out
    after = snapshot(coded)
    pd.testing.assert_frame_equal(after[0], before[0])
    pd.testing.assert_frame_equal(after[1], before[1])
    assert after[2] == before[2]


def test_dry_run_on_a_fresh_project_writes_no_codes_runs_or_cache(fresh: Path) -> None:
    with Project.open(fresh) as p:
        run = p.autocode(V1, dry_run=True)
        assert run.total == 11 and run.analysed == 3
        assert p.codings().empty and p.runs().empty and p.codes().empty
        again = p.autocode(V1)
        assert (again.analysed, again.cached) == (3, 0)


# --- the status of rule codings ---------------------------------------------------------------

def test_rule_codings_are_suggestions_by_default(fresh: Path) -> None:
    with Project.open(fresh) as p:
        run = p.autocode(V1)
        assert run.coding_status == "suggested"
        assert set(p.codings()["status"]) == {"suggested"}


def test_accept_flag_stores_accepted_codings(fresh: Path) -> None:
    out = qualcode("code", fresh, "--codebook", V1, "--accept")
    assert "status accepted" in out
    with Project.open(fresh) as p:
        assert set(p.codings()["status"]) == {"accepted"} and len(p.codings()) == 11
        run = p.autocode(V1, accept=True)
        assert run.coding_status == "accepted"


def test_autocode_status_setting_gives_accepted(fresh: Path) -> None:
    with Project.open(fresh) as p:
        p.set_setting("autocode_status", "accepted")
        assert p.setting("autocode_status") == "accepted"
        run = p.autocode(V1)
        assert run.coding_status == "accepted"
        assert set(p.codings()["status"]) == {"accepted"}
    out = qualcode("code", fresh, "--codebook", V2)
    assert "status accepted" in out
    with Project.open(fresh) as p:
        assert set(p.codings()["status"]) == {"accepted"}


def test_a_recode_with_accept_keeps_reviewed_decisions(coded: Path) -> None:
    with Project.open(coded) as p:
        rejected = row_id(p, "en_worker", "work.job", "She found a job at a school.")
        p.review_coding(rejected, "rejected", "rev")
        run = p.autocode(V1, accept=True)
        assert run.carried_over == 1 and run.added == {} and run.removed == {}
        status = {(r.transcript, r.code, r.text): r.status for r in p.codings().itertuples()}
        assert status.pop(("en_worker", "work.job", "She found a job at a school.")) == "rejected"
        assert list(status.values()) == ["accepted"] * 10


# --- atomicity --------------------------------------------------------------------------------

def test_a_recode_killed_inside_its_transaction_loses_nothing(coded: Path, tmp_path: Path) -> None:
    before = snapshot(coded)
    assert len(before[0]) == 11 and before[1]["status"].tolist() == ["finished"]
    with stalled(["code", str(coded), "--codebook", str(V2)], cwd=tmp_path, hook=STALL_ENV):
        # While the re-code holds its transaction open, a reader still sees the old codings.
        during = snapshot(coded)
        pd.testing.assert_frame_equal(during[0], before[0])

    after = snapshot(coded)
    pd.testing.assert_frame_equal(after[0], before[0])
    runs = after[1]
    assert runs[runs["run"] != 1]["status"].isin(["finished"]).sum() == 0
    assert runs[runs["run"] == 1]["status"].tolist() == ["finished"]

    with Project.open(coded) as p:
        expected_added, expected_removed = expected_v1_to_v2(p)
        run = p.autocode(V2)
        assert run.status == "finished"
        assert run.added == expected_added and run.removed == expected_removed
        assert len(p.codings()) == 13
        assert p.runs()["status"].tolist()[-1] == "finished"


@pytest.mark.parametrize("lang,files", [("ru", ["kz03.txt", "kz06.txt", "kz10.txt"]), ("en", ["kz01.txt"])])
def test_a_matcher_of_changed_rules_finds_what_the_whole_codebook_finds(lang: str, files: list[str]) -> None:
    """A re-code matches only its changed rules, with a matcher that looks for their context
    patterns (`unless`, `sense`, "нет" after a match) only where a rule fired: per rule, the
    same surviving matches as the matcher of the whole shipped codebook, on real interviews."""
    from qualcode import load_codebook
    from qualcode.autocode import TurnSpan, compile_rules

    book = load_codebook(ROOT / "codebooks" / "migration.yaml")
    whole = compile_rules(book, [lang])[lang]
    dropped_by_context = 0
    for name in files:
        text = (ROOT / "interviews" / name).read_text(encoding="utf-8")
        a = whole.nlp.analyse_text(text)
        turns = [TurnSpan(0, "respondent", 0, len(text))]
        expected = whole.rule_matches(a, text, turns)
        dropped_by_context += sum(1 for m in whole.matches(a, text, turns, explain=True)
                                  if m.dropped and (" after the match" in m.dropped or m.dropped.startswith(
                                      ("unless", "sense"))))
        rules = [r.id for r in whole.rules]
        for i in range(0, len(rules), 7):  # a few rules at a time, as a re-code after an edit
            part = whole.subset(frozenset(rules[i:i + 7]))
            assert part.rule_matches(a, text, turns) == {fp: expected[fp] for fp in part.fingerprints.values()}
    assert dropped_by_context  # the context patterns were put to the test
