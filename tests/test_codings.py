"""Codings tables in and out (`qualcode codings`, `qualcode codings import`) and `qualcode rules evaluate`."""

from __future__ import annotations

import csv
import io
import json
import math
import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from sklearn.metrics import cohen_kappa_score

from qualcode import Project
from qualcode.cli import cli
from qualcode.errors import QualcodeError

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "data" / "autocode"
V1 = CORPUS / "codebook_v1.yaml"
COLUMNS = ["transcript", "case", "code", "start", "end", "text", "speaker", "role", "coder", "origin", "rule",
           "status", "confidence", "run"]
HEADER = ["transcript", "code", "start", "end", "text", "coder", "status", "confidence", "memo"]


def invoke(*args: str | Path):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def qualcode(*args: str | Path) -> str:
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    return result.stdout


def write_csv(path: Path, rows: list[list[object]], header: list[str] = HEADER) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def at(p: Project, name: str, words: str) -> tuple[int, int]:
    start = p.transcript_text(name).index(words)
    return start, start + len(words)


def row(p: Project, name: str, code: str, words: str, coder: str = "alice", status: str = "",
        confidence: str = "", memo: str = "") -> list[object]:
    s, e = at(p, name, words)
    return [name, code, s, e, words, coder, status, confidence, memo]


@pytest.fixture(scope="module")
def coded_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The corpus of tests/data/autocode, coded with codebook v1 (codes exist, no human codings)."""
    path = tmp_path_factory.mktemp("codings") / "coded.qcdb"
    with Project.create(path) as p:
        assert p.import_files(sorted(CORPUS.glob("*.txt"))).ok
        p.autocode(V1)
    return path


@pytest.fixture
def coded_sqlite(coded_file: Path, tmp_path: Path) -> Path:
    return Path(shutil.copy(coded_file, tmp_path / "p.qcdb"))


def _coded_v1(location: Path | str) -> None:
    with Project.create(location) as p:
        assert p.import_files(sorted(CORPUS.glob("*.txt"))).ok
        p.autocode(V1)


@pytest.fixture
def coded(db) -> Path | str:
    """`coded_file` on SQLite and on PostgreSQL (tests/conftest.py `db`)."""
    return db.copy("codings_v1", _coded_v1)


# --- export -----------------------------------------------------------------------------------

def test_export_csv_columns_text_and_json_agree(coded: Path, tmp_path: Path) -> None:
    with Project.open(coded) as p:
        text = p.transcript_text("en_worker")
        line_break = text[text.index("in our village."):text.index("My brother") + len("My brother")]
        assert "\n" in line_break
        human = write_csv(tmp_path / "h.csv", [
            row(p, "en_worker", "work.find", line_break, confidence="0.75", memo="spans a line break"),
            row(p, "ru_worker", "move", "мы переехали в Павлодар", coder="Айгуль", status="suggested"),
            row(p, "en_family", "move", 'children\'s school', coder="bob, jr."),
        ])
        assert p.import_codings(human).imported == 3
        texts = {n: p.transcript_text(n) for n in p.transcripts()["transcript"]}

    out = qualcode("codings", coded, "--format", "csv")
    records = list(csv.DictReader(io.StringIO(out, newline="")))
    assert out.splitlines()[0] == ",".join(COLUMNS)
    assert len(records) == 11 + 3
    for r in records:
        assert list(r) == COLUMNS
        assert r["text"] == texts[r["transcript"]][int(r["start"]):int(r["end"])]
        assert r["role"] == "respondent"
        assert r["speaker"] == ("Респондент" if r["transcript"] == "ru_worker" else "Respondent")
    human_rows = [r for r in records if r["origin"] == "import"]
    assert {(r["coder"], r["status"], r["confidence"], r["rule"], r["run"]) for r in human_rows} == {
        ("alice", "accepted", "0.75", "", ""), ("Айгуль", "suggested", "", "", ""),
        ("bob, jr.", "accepted", "", "", "")}
    assert {r["run"] for r in records if r["origin"] == "rule"} == {"1"}
    assert any("\n" in r["text"] for r in records)

    as_json = json.loads(qualcode("codings", coded, "--format", "json"))
    assert [list(j) for j in as_json] == [COLUMNS] * len(records)

    def cell(v: object) -> str:
        return "" if v is None else str(v)

    assert [{k: cell(v) for k, v in j.items()} for j in as_json] == records


def test_export_filters_by_origin_status_and_transcript(coded: Path) -> None:
    rules_only = list(csv.DictReader(io.StringIO(qualcode("codings", coded, "--origin", "rule", "--transcripts",
                                                          "ru_worker", "--format", "csv"))))
    assert {r["transcript"] for r in rules_only} == {"ru_worker"} and len(rules_only) == 4
    assert qualcode("codings", coded, "--status", "accepted", "--format", "csv").splitlines() == [",".join(COLUMNS)]


# --- import -----------------------------------------------------------------------------------

def test_import_good_rows_then_reimport_is_idempotent(coded: Path, tmp_path: Path) -> None:
    with Project.open(coded) as p:
        good = write_csv(tmp_path / "good.csv", [
            row(p, "en_family", "work.find", "he had to find work here first"),
            row(p, "en_worker", "work.job", "I lost my job", status="rejected"),
            row(p, "ru_worker", "work", "работой доволен", coder="Айгуль", confidence="1"),
        ])
    out = qualcode("codings", "import", coded, good)
    assert out.strip() == f"Imported 3 codings from {good} (0 already present)."
    with Project.open(coded) as p:
        human = p.codings(origin="import")
        assert len(human) == 3
        assert sorted(human["status"]) == ["accepted", "accepted", "rejected"]
        assert sorted(human["coder"]) == ["alice", "alice", "Айгуль"]
        for r in human.itertuples():
            assert r.text == p.transcript_text(r.transcript)[r.start:r.end]
        assert human.loc[human["coder"] == "Айгуль", "confidence"].tolist() == [1.0]
    out = qualcode("codings", "import", coded, good)
    assert out.strip() == f"Imported 0 codings from {good} (3 already present)."
    with Project.open(coded) as p:
        pd.testing.assert_frame_equal(p.codings(origin="import"), human)
        again = p.import_codings(good)
        assert (again.imported, again.duplicates) == (0, 3)


def test_coder_option_and_create_codes(coded: Path, tmp_path: Path) -> None:
    with Project.open(coded) as p:
        rows = [row(p, "en_family", "family.school", "children's school", coder=""),
                row(p, "en_family", "work", "works as a driver", coder="")]
    file = write_csv(tmp_path / "c.csv", rows)
    refused = invoke("codings", "import", coded, file, "--coder", "carol")
    assert refused.exit_code == 1 and "[E708]" in refused.stderr and "did you mean" not in refused.stderr
    out = qualcode("codings", "import", coded, file, "--coder", "carol", "--create-codes")
    assert "Imported 2 codings" in out and "created codes family.school" in out
    with Project.open(coded) as p:
        human = p.codings(origin="import")
        assert set(human["coder"]) == {"carol"} and sorted(human["code"]) == ["family.school", "work"]
        assert "family.school" in set(p.codes()["code"])


def test_exported_human_codings_reimport_as_duplicates(coded: Path, tmp_path: Path) -> None:
    with Project.open(coded) as p:
        first = write_csv(tmp_path / "h.csv", [row(p, "en_family", "move", "children's school", confidence="0.5"),
                                               row(p, "ru_worker", "move", "переехали", coder="Айгуль")])
        assert p.import_codings(first).imported == 2
    exported = tmp_path / "exported.csv"
    qualcode("codings", coded, "--origin", "import", "--format", "csv", "--out", exported)
    out = qualcode("codings", "import", coded, exported)
    assert "Imported 0 codings" in out and "(2 already present)" in out


def test_import_reads_excel_style_csv(coded: Path, tmp_path: Path) -> None:
    """A BOM, CRLF line ends and capitalised headers, as a spreadsheet saves them."""
    with Project.open(coded) as p:
        s, e = at(p, "en_family", "Housing is expensive.")
    file = tmp_path / "excel.csv"
    file.write_bytes(f"Transcript,Code,Start,End,Text,Coder\r\nen_family,move,{s},{e},Housing is expensive.,al\r\n"
                     .encode("utf-8-sig"))
    assert "Imported 1 codings" in qualcode("codings", "import", coded, file)


def bad_rows(p: Project) -> list[tuple[list[object], str, list[str]]]:
    """(row, error code, phrases its message must have) for each kind of bad row."""
    text = p.transcript_text("en_family")
    s, e = at(p, "en_family", "children's school")
    elsewhere = at(p, "en_family", "Housing is expensive.")
    return [
        (["en_famly", "move", s, e, "children's school", "alice", "", "", ""], "E702",
         ["transcript 'en_famly' is not in the project"]),
        (["en_family", "work.jobs", s, e, "children's school", "alice", "", "", ""], "E702",
         ["code 'work.jobs' is not a code of the project", "did you mean 'work.job'?"]),
        (["en_family", "move", e, s, "children's school", "alice", "", "", ""], "E702",
         [f"start/end '{e}/{s}' are outside the transcript (0-{len(text)}) or empty"]),
        (["en_family", "move", len(text) - 2, len(text) + 5, "x", "alice", "", "", ""], "E702",
         ["are outside the transcript"]),
        (["en_family", "move", "ten", e, "children's school", "alice", "", "", ""], "E702",
         ["start/end 'ten/", "are not whole numbers"]),
        (["en_family", "move", s, e, "Housing is expensive.", "alice", "", "", ""], "E703",
         [f"the text does not match the transcript at {s}-{e}", "the file says 'Housing is expensive.'",
          'the transcript has "children\'s school"', f"That text is at {elsewhere[0]}-{elsewhere[1]}: fix start/end."]),
        (["en_family", "move", s, e, "a text from another version", "alice", "", "", ""], "E703",
         ["made against another version of the transcript"]),
        (["en_family", "move", s, e, "children's school", "", "", "", ""], "E702",
         ["coder '' is empty", "--coder"]),
        (["en_family", "move", s, e, "children's school", "alice", "approved", "", ""], "E702",
         ["status 'approved' is not a status", "suggested, accepted, rejected"]),
        (["en_family", "move", s, e, "children's school", "alice", "", "1.5", ""], "E702",
         ["confidence '1.5' is not a number from 0 to 1"]),
    ]


def test_bad_rows_are_all_reported_and_nothing_is_imported(coded: Path, tmp_path: Path) -> None:
    with Project.open(coded) as p:
        good = row(p, "en_family", "move", "children's school")
        cases = bad_rows(p)
        before = p.codings()
    # A good row before and after every bad one: line 1 is the header, bad rows are on lines 3, 5, 7, ...
    rows = [good]
    for bad, _code, _phrases in cases:
        rows += [bad, good]
    file = write_csv(tmp_path / "mixed.csv", rows)
    result = invoke("codings", "import", coded, file)
    assert result.exit_code == 1
    err = result.stderr
    assert "Traceback" not in err
    assert f"[E708] {file}: {len(cases)} row(s) have problems; nothing was imported." in err
    assert err.count("  - [E70") == len(cases)
    for line, (_row, code, phrases) in zip(range(3, 100, 2), cases, strict=False):
        item = next((x for x in err.splitlines() if x.startswith(f"  - [{code}] {file}, line {line}:")), None)
        assert item is not None, (line, code, err)
        for phrase in phrases:
            assert phrase in item, (phrase, item)
    with Project.open(coded) as p:
        pd.testing.assert_frame_equal(p.codings(), before)


@pytest.mark.parametrize("kind", range(10))
def test_each_bad_row_alone_refuses_the_whole_file(coded_sqlite: Path, tmp_path: Path, kind: int) -> None:
    coded = coded_sqlite  # the reading of each bad row; the store's part runs on both in the test above
    with Project.open(coded) as p:
        bad, code, phrases = bad_rows(p)[kind]
        file = write_csv(tmp_path / "one.csv", [row(p, "en_worker", "work.job", "I lost my job"), bad])
        with pytest.raises(QualcodeError) as info:
            p.import_codings(file)
        assert info.value.code == "E708" and info.value.fields["n"] == 1
        message = str(info.value)
        assert f"[{code}] {file}, line 3:" in message
        assert all(phrase in message for phrase in phrases)
        assert p.codings(origin="import").empty


def test_missing_column_is_e701(coded: Path, tmp_path: Path) -> None:
    file = write_csv(tmp_path / "cols.csv", [["en_family", "move", 1, 2]], header=["transcript", "code", "start",
                                                                                     "end"])
    result = invoke("codings", "import", coded, file)
    assert result.exit_code == 1 and "[E701]" in result.stderr and "'text'" in result.stderr


# --- rules evaluate ---------------------------------------------------------------------------

EVAL_BOOK = """
name: Eval
version: "1"
languages: [en]
codes:
  - id: job
    name: Job
    rules:
      en:
        - phrase: job
  - id: move
    name: Moving
    rules:
      en:
        - phrase: move
"""

EVAL_TRANSCRIPT = """\
Interviewer: Tell me about work.
Respondent: I had a job at the plant.
Interviewer: And then?
Respondent: The job ended in May.
Interviewer: What next?
Respondent: I was unemployed for a year.
Interviewer: Then?
Respondent: We moved north.
Interviewer: Where?
Respondent: I found a new job in Kostanay.
Interviewer: Was it hard to move?
Respondent: It was fine, we settled.
"""

# Another transcript the rules code but no human did: it is left out of the comparison.
OTHER_TRANSCRIPT = "Interviewer: Work?\nRespondent: My job is good. We moved here.\n"

N_TURNS = 12
RULE = {"job": {1, 3, 9}, "move": {7}}  # the turns the rules code (respondent turns only)
# (coder, code, turn, words, status)
HUMAN = [
    ("alice", "job", 1, "a job at the plant", ""),
    ("alice", "job", 5, "unemployed", ""),
    ("alice", "job", 9, "new job", ""),
    ("alice", "move", 7, "We moved north.", ""),
    ("alice", "move", 11, "we settled", ""),
    ("alice", "job", 0, "work", "rejected"),  # a rejected human coding does not count
    ("bob", "job", 3, "The job ended in May.", ""),
    ("bob", "job", 5, "I was unemployed for a year.", "accepted"),
    ("bob", "job", 9, "I found a new job in Kostanay.", ""),
]


def human_turns(coder: str | None) -> dict[str, set[int]]:
    out: dict[str, set[int]] = {}
    for who, code, turn, _words, status in HUMAN:
        if status != "rejected" and coder in (None, who):
            out.setdefault(code, set()).add(turn)
    return out


def ratio(a: int, b: int) -> float:
    return a / b if b else math.nan


def expected_metrics(human: dict[str, set[int]], rule: dict[str, set[int]]) -> dict[str, dict[str, float]]:
    """Per code and pooled: counts, precision, recall, F1, and kappa from sklearn on the turn vectors."""
    out = {}
    pooled_h: list[int] = []
    pooled_r: list[int] = []
    totals = [0, 0, 0]
    for code in sorted(set(human) | set(rule)):
        h = [int(t in human.get(code, set())) for t in range(N_TURNS)]
        r = [int(t in rule.get(code, set())) for t in range(N_TURNS)]
        tp = sum(a and b for a, b in zip(h, r, strict=True))
        fp, fn = sum(r) - tp, sum(h) - tp
        totals = [totals[0] + tp, totals[1] + fp, totals[2] + fn]
        pooled_h += h
        pooled_r += r
        out[code] = {"tp": tp, "fp": fp, "fn": fn, "precision": ratio(tp, tp + fp), "recall": ratio(tp, tp + fn),
                     "f1": ratio(2 * tp, 2 * tp + fp + fn), "kappa": cohen_kappa_score(h, r)}
    tp, fp, fn = totals
    out["(all codes)"] = {"tp": tp, "fp": fp, "fn": fn, "precision": tp / (tp + fp), "recall": tp / (tp + fn),
                          "f1": 2 * tp / (2 * tp + fp + fn), "kappa": cohen_kappa_score(pooled_h, pooled_r)}
    return out


@pytest.fixture(scope="module")
def eval_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project whose rule and human codings give known TP/FP/FN per turn."""
    from qualcode.codebook import loads

    folder = tmp_path_factory.mktemp("evaluate")
    (folder / "eval.txt").write_text(EVAL_TRANSCRIPT, encoding="utf-8")
    (folder / "other.txt").write_text(OTHER_TRANSCRIPT, encoding="utf-8")
    path = folder / "eval.qcdb"
    with Project.create(path) as p:
        assert p.import_files([folder / "eval.txt", folder / "other.txt"]).ok
        run = p.autocode(loads(EVAL_BOOK, "eval.yaml"))
        assert run.counts == {"job": 4, "move": 2}
        turns = p.turns("eval").set_index("turn")
        assert len(turns) == N_TURNS
        rule = p.codings(["eval"], origin="rule")
        assert {c: set(rule[rule["code"] == c]["turn"]) for c in RULE} == RULE
        rows = []
        for coder, code, turn, words, status in HUMAN:
            turn_text = turns.loc[turn, "text"]
            start = int(turns.loc[turn, "start"]) + turn_text.index(words)
            rows.append(["eval", code, start, start + len(words), words, coder, status, "", ""])
        assert p.import_codings(write_csv(folder / "human.csv", rows)).imported == len(HUMAN)
    return path


@pytest.fixture
def evaluated(eval_file: Path, tmp_path: Path) -> Path:
    return Path(shutil.copy(eval_file, tmp_path / "e.qcdb"))


def check(frame: pd.DataFrame, expected: dict[str, dict[str, float]]) -> None:
    assert frame["code"].tolist() == [*sorted(set(expected) - {"(all codes)"}), "(all codes)"]
    for r in frame.to_dict("records"):
        want = expected[r["code"]]
        for key in ("tp", "fp", "fn"):
            assert r[key] == want[key], (r["code"], key)
        for key in ("precision", "recall", "f1", "kappa"):
            assert r[key] == pytest.approx(want[key], abs=1e-12, nan_ok=True), (r["code"], key)


def test_evaluate_against_one_coder_exact_metrics(evaluated: Path) -> None:
    out = qualcode("rules", "evaluate", evaluated, "--coder", "alice", "--format", "csv")
    frame = pd.read_csv(io.StringIO(out))
    assert list(frame.columns) == ["code", "human_turns", "rule_turns", "tp", "fp", "fn", "precision", "recall",
                                   "f1", "kappa"]
    expected = expected_metrics(human_turns("alice"), RULE)
    check(frame, expected)
    # Worked by hand for `job`: TP turns 1, 9; FP 3; FN 5; TN 8 of 12 turns.
    job = frame.set_index("code").loc["job"]
    assert (job["tp"], job["fp"], job["fn"]) == (2, 1, 1)
    assert job["precision"] == pytest.approx(2 / 3) and job["recall"] == pytest.approx(2 / 3)
    assert job["f1"] == pytest.approx(2 / 3)
    po, pe = 10 / 12, (3 * 3 + 9 * 9) / 144
    assert job["kappa"] == pytest.approx((po - pe) / (1 - pe)) == pytest.approx(5 / 9)
    move = frame.set_index("code").loc["move"]
    assert (move["precision"], move["recall"], move["kappa"]) == (1.0, 0.5, pytest.approx(0.625))


def test_evaluate_coder_option_filters_and_default_uses_every_human(evaluated: Path) -> None:
    with Project.open(evaluated) as p:
        bob = p.evaluate_rules("bob")
        everyone = p.evaluate_rules()
    assert bob.coder == "bob" and bob.transcripts == ["eval"] and bob.turns == N_TURNS
    check(bob.per_code, expected_metrics(human_turns("bob"), RULE))
    bob_move = bob.per_code.set_index("code").loc["move"]  # bob coded no move at all
    assert bob_move["fp"] == 1 and math.isnan(bob_move["recall"]) and bob_move["precision"] == 0
    check(everyone.per_code, expected_metrics(human_turns(None), RULE))
    assert everyone.examples["job"]["fn"][0]["turn"] == 5
    assert everyone.examples["move"]["fn"][0]["turn"] == 11
    out = qualcode("rules", "evaluate", evaluated, "--coder", "bob")
    assert "Rules vs coder 'bob': 1 transcript, 12 turns." in out
    assert "job false positive in eval turn 1: rule job/en/1" in out
    assert "job false negative in eval turn 5" in out


def test_a_rejected_rule_coding_no_longer_counts(evaluated: Path) -> None:
    with Project.open(evaluated) as p:
        rule = p.codings(["eval"], origin="rule")
        (coding_id,) = rule[(rule["code"] == "job") & (rule["turn"] == 3)]["id"]
        p.review_coding(int(coding_id), "rejected", "rev")
        result = p.evaluate_rules("alice")
    check(result.per_code, expected_metrics(human_turns("alice"), {"job": {1, 9}, "move": {7}}))


def test_evaluate_without_human_codings_is_e704(coded: Path, evaluated: Path) -> None:
    result = invoke("rules", "evaluate", coded)
    assert result.exit_code == 1 and "[E704]" in result.stderr and "Traceback" not in result.stderr
    result = invoke("rules", "evaluate", evaluated, "--coder", "nobody")
    assert result.exit_code == 1 and "[E704]" in result.stderr and "by coder 'nobody'" in result.stderr
    assert "(coders with human codings: alice" in result.stderr  # what would be right


def test_evaluate_without_a_rule_run_is_e705(tmp_path: Path) -> None:
    (tmp_path / "eval.txt").write_text(EVAL_TRANSCRIPT, encoding="utf-8")
    path = tmp_path / "norun.qcdb"
    with Project.create(path) as p:
        assert p.import_files([tmp_path / "eval.txt"]).ok
        s, e = at(p, "eval", "unemployed")
        file = write_csv(tmp_path / "h.csv", [["eval", "job", s, e, "unemployed", "alice", "", "", ""]])
        assert p.import_codings(file, create_codes=True).imported == 1
    result = invoke("rules", "evaluate", path)
    assert result.exit_code == 1 and "[E705]" in result.stderr


def test_evaluate_after_a_run_that_coded_nothing_reports_recall_zero(tmp_path: Path) -> None:
    from qualcode.codebook import loads

    (tmp_path / "eval.txt").write_text(EVAL_TRANSCRIPT, encoding="utf-8")
    with Project.create(tmp_path / "p.qcdb") as p:
        assert p.import_files([tmp_path / "eval.txt"]).ok
        run = p.autocode(loads(EVAL_BOOK.replace("phrase: job", "phrase: salary"), "salary.yaml"),
                         transcripts=["eval"])
        run = p.autocode(loads(EVAL_BOOK.replace("phrase: job", "phrase: salary").replace("move", "pension"),
                               "nothing.yaml"))  # the second run removes every rule coding
        assert run.status == "finished" and run.total == 0
        assert p.runs()["status"].tolist() == ["finished", "finished"] and p.codings(origin="rule").empty
        s, e = at(p, "eval", "unemployed")
        assert p.import_codings(write_csv(tmp_path / "h.csv", [["eval", "job", s, e, "unemployed", "alice", "", "",
                                                                 ""]])).imported == 1
        job = p.evaluate_rules().per_code.set_index("code").loc["job"]
    assert (job["tp"], job["fp"], job["fn"], job["recall"]) == (0, 0, 1, 0.0)
