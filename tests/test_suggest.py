"""Learned suggestions (issue 13): the estimator, a suggest run on a real project file, and its safety.

The project is made of small synthetic English interviews: in every respondent turn some
sentences speak of wheat, and coder `ann` coded exactly those sentences `farming` in the
first four transcripts. The pattern is planted, so the right suggestions are known.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from sklearn.base import clone
from sklearn.pipeline import Pipeline

from qualcode import Project
from qualcode.cli import cli
from qualcode.errors import QualcodeError
from qualcode.ingest import ImportOptions
from qualcode.store import coding_queries as cq
from qualcode.suggest import CodeSuggester, UnitFeatures
from qualcode.suggest.features import Unit
from qualcode.suggest.learn import STALL_ENV

FILLER = ["We lived near the river.", "My brother drives a bus.", "The winters were long and dark.",
          "I like to read in the evening.", "Our neighbours were kind people.", "The school was far away.",
          "We often visited my aunt.", "The road to town was bad.", "My mother cooked every day.",
          "In spring the streets are muddy."]
WHEAT = ["We grew wheat on a small field.", "The wheat harvest was poor that year.",
         "My father sold the wheat in autumn.", "Wheat was all we had."]
QUESTIONS = ["Tell me about your life there?", "What did your family do?", "How was the village?",
             "What do you remember?"]
NAMES = [f"t{i}" for i in range(1, 7)]
CODED = NAMES[:4]


def interview(seed: int) -> tuple[str, list[str]]:
    rng = random.Random(seed)
    lines, wheat = [], []
    for k in range(8):
        lines.append(f"Interviewer: {QUESTIONS[k % len(QUESTIONS)]}")
        sentences = rng.sample(FILLER, 3)
        if k % 2 == 0:
            w = WHEAT[(seed + k) % len(WHEAT)]
            sentences.insert(rng.randrange(4), w)
            wheat.append(w)
        lines.append("Respondent: " + " ".join(sentences))
    return "\n\n".join(lines) + "\n", wheat


def wheat_spans(text: str) -> list[tuple[int, int]]:
    out = []
    for w in WHEAT:
        i = text.find(w)
        while i >= 0:
            out.append((i, i + len(w)))
            i = text.find(w, i + 1)
    return sorted(out)


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("suggest")
    for i, name in enumerate(NAMES):
        (folder / f"{name}.txt").write_text(interview(i)[0], encoding="utf-8")
    path = folder / "base.qcdb"
    with Project.create(path) as p:
        report = p.import_files([folder / f"{n}.txt" for n in NAMES], ImportOptions(language="en"))
        assert report.ok, [r.message for r in report.failed]
        p.add_code("farming")
        p.add_code("family")
        for name in CODED:
            text = p.transcript_text(name)
            for s, e in wheat_spans(text):
                p.add_coding(name, "farming", s, e, coder="ann")
    return path


@pytest.fixture
def proj(base: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "p.qcdb"
    shutil.copy(base, dest)
    return dest


def suggestions(p: Project) -> pd.DataFrame:
    frame = p.codings(origin="model")
    return frame[["transcript", "code", "start", "end", "status", "confidence", "run"]].reset_index(drop=True)


# --- the estimator ------------------------------------------------------------------------------

def units_with(word: str | None, n: int, rng: random.Random) -> list[Unit]:
    out = []
    for i in range(n):
        lemmas = rng.sample(["river", "bus", "winter", "read", "kind", "school", "aunt", "road", "cook", "spring"], 4)
        if word:
            lemmas.insert(rng.randrange(5), word)
        out.append(Unit(f"t{i % 6}", i, 0, 1, "respondent", "en", lemmas, lemmas))
    return out


def test_estimator_recovers_a_planted_pattern_exactly() -> None:
    rng = random.Random(1)
    units = units_with("wheat", 30, rng) + units_with(None, 90, rng)
    y = np.array([1] * 30 + [0] * 90)
    pipe = Pipeline([("features", UnitFeatures()), ("model", CodeSuggester(random_state=0))])
    pipe.fit(units, y, model__groups=[u.transcript for u in units])
    fresh = units_with("wheat", 10, random.Random(2)) + units_with(None, 10, random.Random(3))
    assert pipe.predict(fresh)[:, 0].tolist() == [1] * 10 + [0] * 10
    p = pipe.predict_proba(fresh)[:, 0]
    assert p[:10].min() > 0.9 and p[10:].max() < 0.1
    model = pipe.named_steps["model"]
    top = int(np.argmax(model.coef_[0]))
    assert pipe.named_steps["features"].vocabulary_[top] == "w:wheat"


def test_estimator_is_deterministic_and_clonable() -> None:
    rng = random.Random(5)
    units = units_with("wheat", 12, rng) + units_with(None, 40, rng)
    noisy = units_with("river", 6, rng)  # unrelated positives: the fit has to weigh evidence
    units += noisy
    y = np.array([1] * 12 + [0] * 40 + [1] * 6)
    fits = []
    for _ in range(2):
        pipe = Pipeline([("features", UnitFeatures()), ("model", CodeSuggester(random_state=7))])
        pipe.fit(units, y, model__groups=[u.transcript for u in units])
        fits.append(pipe)
    assert np.array_equal(fits[0].named_steps["model"].coef_, fits[1].named_steps["model"].coef_)
    assert np.array_equal(fits[0].predict_proba(units), fits[1].predict_proba(units))
    params = fits[0].named_steps["model"].get_params()
    assert clone(fits[0].named_steps["model"]).get_params() == params  # fit changed no parameter
    assert params["random_state"] == 7


def test_a_code_below_min_positive_gets_no_model() -> None:
    rng = random.Random(0)
    units = units_with("wheat", 3, rng) + units_with(None, 30, rng)
    Y = np.array([[1, 1]] * 3 + [[0, -1]] * 30)
    model = CodeSuggester(min_positive=5).fit(UnitFeatures().fit_transform(units), Y)
    assert model.has_model_.tolist() == [False, False]
    assert model.predict(UnitFeatures().fit_transform(units)).sum() == 0


# --- a suggest run on a project -----------------------------------------------------------------

def test_suggest_writes_model_suggestions_where_the_pattern_is(proj: Path) -> None:
    with Project.open(proj) as p:
        run = p.suggest("ann", actor="lead")
        got = suggestions(p)
        texts = {n: p.transcript_text(n) for n in NAMES}
        reasons = pd.read_sql("SELECT * FROM suggestion_reasons", p.engine)
        logged = p.audit(action="suggest.learn")
    # The audit log has the model run, by whoever started it, with what it learned from.
    assert list(zip(logged["actor"], logged["target"], strict=True)) == [("lead", str(run.id))]
    assert json.loads(logged["detail"].iloc[0])["learned_from"] == ["ann"]
    assert json.loads(logged["detail"].iloc[0])["added"] == len(got)
    assert run.id is not None and run.model_id is not None
    assert run.transcripts_trained == CODED
    assert run.transcripts_suggested == ["t5", "t6"]
    assert run.use_model == {"farming": True}
    expected = sorted(("farming", t, s, e) for t in ("t5", "t6") for s, e in wheat_spans(texts[t]))
    assert sorted(zip(got["code"], got["transcript"], got["start"], got["end"], strict=True)) == expected
    assert set(got["status"]) == {"suggested"} and set(got["run"]) == {run.id}
    assert got["confidence"].between(0.5, 1.0).all()
    # Each suggestion says why, and the planted word leads.
    assert len(reasons) == len(got)
    assert all(json.loads(r)[0]["label"] == "word 'wheat'" for r in reasons["reasons"])
    table = run.table.set_index("code")
    assert table.loc["farming", "model_kappa"] == 1.0
    assert table.loc["farming", "rules_kappa"] == 0.0  # no rule run in this project: the rules find nothing


def test_suggest_is_deterministic(proj: Path, tmp_path: Path) -> None:
    other = tmp_path / "q.qcdb"
    shutil.copy(proj, other)
    frames = []
    for path in (proj, other):
        with Project.open(path) as p:
            run = p.suggest("ann", seed=3)
            frames.append((suggestions(p).drop(columns=["run"]), run.table))
    pd.testing.assert_frame_equal(frames[0][0], frames[1][0])
    pd.testing.assert_frame_equal(frames[0][1], frames[1][1])


def test_human_and_reviewed_codings_are_untouched_and_decisions_return(proj: Path) -> None:
    with Project.open(proj) as p:
        p.suggest("ann")
        first = p.codings(origin="model")
        rejected, accepted = int(first["id"].iloc[0]), int(first["id"].iloc[1])
        p.review_coding(rejected, "rejected", reviewer="ann")
        p.review_coding(accepted, "accepted", reviewer="ann")
        text = p.transcript_text("t5")
        manual = p.add_coding("t5", "family", 0, 20, coder="bob")
        human_before = p.codings(origin=["manual", "import"])
        p.suggest("ann")
        after = p.codings(origin="model")
        human_after = p.codings(origin=["manual", "import"])
    pd.testing.assert_frame_equal(human_before.drop(columns=["run"]), human_after.drop(columns=["run"]))
    assert manual in set(human_after["id"])
    # The reviewed suggestions stay as they were, once each; the others are new rows of the new run.
    kept = after.set_index("id")
    assert kept.loc[rejected, "status"] == "rejected" and kept.loc[accepted, "status"] == "accepted"
    spans = list(zip(after["transcript"], after["start"], after["end"], strict=True))
    assert len(spans) == len(set(spans)) == len(first)
    assert text  # t5 is one of the suggested transcripts


def test_a_rejected_rule_suggestion_comes_back_rejected_on_a_model_suggestion(proj: Path) -> None:
    from sqlalchemy import insert

    from qualcode.store.queries import now
    from qualcode.store.schema import codings

    with Project.open(proj) as p:
        text = p.transcript_text("t6")
        s, e = wheat_spans(text)[0]
        with p.engine.begin() as conn:  # a rule suggestion on the same sentence, as a rule run writes it
            ids = cq.code_ids(conn)
            tid = next(r.id for r in cq.current_transcripts(conn, ["t6"]))
            rule_id = conn.execute(insert(codings).values(
                transcript_id=tid, code_id=ids["farming"], start_offset=s, end_offset=e, origin="rule",
                rule_id="farming/en/1", status="suggested", created_at=now(), updated_at=now())).inserted_primary_key[0]
        p.review_coding(rule_id, "rejected", reviewer="cat")
        run = p.suggest("ann")
        got = p.codings(origin="model")
    row = got[(got["transcript"] == "t6") & (got["start"] == s)]
    assert row["status"].tolist() == ["rejected"]
    assert run.carried_over == 1


def test_accepted_and_rejected_suggestions_are_labels_for_the_next_training(proj: Path) -> None:
    from qualcode.suggest.learn import prepare

    with Project.open(proj) as p:
        p.suggest("ann")
        got = p.codings(origin="model")
        p.review_coding(int(got["id"].iloc[0]), "accepted", reviewer="ann")
        p.review_coding(int(got["id"].iloc[1]), "rejected", reviewer="ann")
        prep = prepare(p.engine, ["ann"], unit="sentence", codes=None, book=None, min_positive=5)
    Y, units = prep.Y, prep.corpus.units
    label = {(u.transcript, u.start): int(Y[i, 0]) for i, u in enumerate(units)}
    assert label[(got["transcript"].iloc[0], got["start"].iloc[0])] == 1
    assert label[(got["transcript"].iloc[1], got["start"].iloc[1])] == 0
    # Other sentences of those transcripts were never decided on: unknown, not negative.
    assert sum(v == -1 for (t, _s), v in label.items() if t == got["transcript"].iloc[0]) > 10


def test_several_coders_pool_their_decisions(proj: Path) -> None:
    with Project.open(proj) as p:
        text = p.transcript_text("t5")
        for s, e in wheat_spans(text):
            p.add_coding("t5", "farming", s, e, coder="bob")
        run = p.suggest(["ann", "bob"], dry_run=True)
    assert run.transcripts_trained == [*CODED, "t5"]
    assert run.transcripts_suggested == ["t6"]


def test_a_suggest_run_killed_inside_its_transaction_loses_nothing(proj: Path, tmp_path: Path) -> None:
    with Project.open(proj) as p:
        p.suggest("ann")
        before = suggestions(p)
        runs_before = p.runs()
    env = {**os.environ, STALL_ENV: "30"}
    proc = subprocess.Popen([sys.executable, "-m", "qualcode", "suggest", str(proj), "--coder", "ann", "--seed", "9"],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    line = ""
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if "stalling" in line or not line:
            break
    assert "stalling" in line, line
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    with Project.open(proj) as p:
        pd.testing.assert_frame_equal(suggestions(p), before)
        pd.testing.assert_frame_equal(p.runs(), runs_before)


# --- safe storage -------------------------------------------------------------------------------

def _is_pickle(value: bytes) -> bool:
    """A pickle of protocol 2-5 starts with PROTO (0x80) and the protocol number."""
    return len(value) > 2 and value[0] == 0x80 and value[1] in (2, 3, 4, 5)


def test_a_project_holds_no_pickled_model(proj: Path) -> None:
    with Project.open(proj) as p:
        p.suggest("ann")
    raw = sqlite3.connect(proj)
    (fmt, spec, weights), = raw.execute("SELECT format, spec, weights FROM models").fetchall()
    data = json.loads(spec)
    assert fmt == "qualcode-suggest-1" and data["codes"] == ["farming"]
    assert len(weights) == 4 * len(data["vocabulary"])  # one code's float32 row, nothing else
    blobs = []
    for (table,) in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
        columns = [c[1] for c in raw.execute(f"PRAGMA table_info({table})")]
        for column in columns:
            blobs += [v for (v,) in raw.execute(f"SELECT {column} FROM {table} WHERE typeof({column}) = 'blob'")]
    raw.close()
    assert blobs and not [b for b in blobs if _is_pickle(b)]


class _Boom:
    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def _tamper(path: Path, sql: str, params: tuple = (), *, rehash: bool = False) -> None:
    raw = sqlite3.connect(path)
    raw.execute(sql, params)
    if rehash:  # a forger who also recomputes the hash: the content checks still hold
        from qualcode.suggest.storage import _digest

        spec, weights = raw.execute("SELECT spec, weights FROM models").fetchone()
        raw.execute("UPDATE models SET sha256 = ?", (_digest(spec, weights),))
    raw.commit()
    raw.close()


@pytest.mark.parametrize("how", ["threshold", "pickle", "shape", "format"])
def test_a_tampered_model_is_refused_not_run(proj: Path, tmp_path: Path, how: str) -> None:
    import pickle

    with Project.open(proj) as p:
        p.suggest("ann")
    sentinel = tmp_path / "ran.txt"
    if how == "threshold":
        _tamper(proj, "UPDATE models SET spec = replace(spec, '\"threshold\": [', '\"threshold\": [0.01, ')")
    elif how == "pickle":
        _tamper(proj, "UPDATE models SET weights = ?", (pickle.dumps(_Boom(str(sentinel))),), rehash=True)
    elif how == "shape":
        _tamper(proj, "UPDATE models SET spec = replace(spec, '\"vocabulary\": [', '\"vocabulary\": [\"w:x\", ')",
                rehash=True)
    else:
        _tamper(proj, "UPDATE models SET format = 'pickle'")
    with Project.open(proj) as p, pytest.raises(QualcodeError) as err:
        p.suggest_next("ann")
    assert err.value.code == "E906"
    assert not sentinel.exists()
    result = CliRunner().invoke(cli, ["suggest", "next", str(proj), "--coder", "ann"])
    assert result.exit_code == 1 and "[E906]" in result.output


def test_next_uses_the_stored_model_and_ranks_turns(proj: Path) -> None:
    with Project.open(proj) as p:
        p.suggest("ann")
        frame = p.suggest_next("ann", n=3)
    assert len(frame) == 3
    assert set(frame["transcript"]) <= {"t5", "t6"}
    assert frame["score"].is_monotonic_decreasing
    assert all(link.startswith("/code?transcript=t") for link in frame["link"])


# --- bad input ----------------------------------------------------------------------------------

def _code(call) -> str:
    with pytest.raises(QualcodeError) as err:
        call()
    return err.value.code


def test_bad_inputs_get_numbered_errors_and_change_nothing(proj: Path) -> None:
    with Project.open(proj) as p:
        with p.engine.begin() as conn:
            cq.ensure_coder(conn, "dan")  # a coder who decided nothing
        before = p.codings()
        assert _code(lambda: p.suggest("nobody")) == "E901"
        assert _code(lambda: p.suggest("dan")) == "E902"
        assert _code(lambda: p.suggest([])) == "E909"
        assert _code(lambda: p.suggest("ann", codes=["no.such"])) == "E904"
        assert _code(lambda: p.suggest("ann", min_positive=100)) == "E905"
        assert _code(lambda: p.suggest("ann", unit="paragraph")) == "E907"
        assert _code(lambda: p.suggest("ann", min_positive=1)) == "E908"
        pd.testing.assert_frame_equal(p.codings(), before)
        assert p.runs().empty


def test_one_coded_transcript_warns_and_trains_without_a_table(base: Path, tmp_path: Path) -> None:
    path = tmp_path / "one.qcdb"
    shutil.copy(base, path)
    with Project.open(path) as p:
        frame = p.codings(origin="manual")
        for cid in frame[frame["transcript"] != "t1"]["id"]:
            p.delete_coding(int(cid), coder="ann")
        run = p.suggest("ann", min_positive=2)
    assert run.table is None
    assert any("[E903]" in w for w in run.warnings)
    assert run.total > 0


# --- the command --------------------------------------------------------------------------------

def test_cli_exit_codes(proj: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(cli, ["suggest", str(proj), "--coder", "ann"])
    assert ok.exit_code == 0, ok.output
    assert "farming" in ok.output and "model: reliable" in ok.output and "wrote" in ok.output
    # The source of each code, and why, whole (the table cuts long cells; the reasons are below it).
    why = ok.output.split("Why each source (codes with a model):\n", 1)[1]
    assert "source" in ok.output and why.startswith("  farming: ") and "Review them" in ok.output
    dry = runner.invoke(cli, ["suggest", str(proj), "--coder", "ann", "--dry-run"])
    assert dry.exit_code == 0 and "nothing was changed" in dry.output
    out = tmp_path / "table.csv"
    evaluate = runner.invoke(cli, ["suggest", "evaluate", str(proj), "--coder", "ann", "--table-out", str(out)])
    assert evaluate.exit_code == 0 and "rules_kappa" in evaluate.output
    whole = pd.read_csv(out).set_index("code")
    assert {"rules_precision", "model_recall", "suggestion_f1", "source", "why"} <= set(whole.columns)
    assert whole.loc["farming", "source"].startswith("model") and whole.loc["farming", "why"]
    nxt = runner.invoke(cli, ["suggest", "next", str(proj), "--coder", "ann", "-n", "2", "--format", "csv"])
    assert nxt.exit_code == 0 and len(pd.read_csv(__import__("io").StringIO(nxt.output))) == 2
    with Project.open(proj) as p:
        assert len(p.runs()) == 1  # dry run, evaluate and next wrote nothing
    for args, code in ((["--coder", "nobody"], "[E901]"), (["--coder", "ann", "--min-positive", "1"], "[E908]"),
                       (["--coder", "ann", "--code", "x.y"], "[E904]")):
        bad = runner.invoke(cli, ["suggest", str(proj), *args])
        assert bad.exit_code == 1 and code in bad.output, bad.output
    assert runner.invoke(cli, ["suggest", str(proj)]).exit_code == 2  # --coder is required
    assert runner.invoke(cli, ["suggest", str(proj), "--coder", "ann", "--unit", "page"]).exit_code == 2


def test_rule_hits_fired_negated_and_dropped_become_features(tmp_path: Path) -> None:
    from qualcode.suggest import corpus

    root = Path(__file__).resolve().parent.parent
    with Project.create(tmp_path / "r.qcdb") as p:
        p.import_files([root / "tests" / "data" / "gold" / "g01.txt"])
        run = p.autocode(root / "codebooks" / "migration.yaml")
        book = p.codebook()
        assert book is not None and run.total > 0
        with_book = corpus.load(p.engine, "sentence", book)
        without = corpus.load(p.engine, "sentence", None)  # from the stored rule codings
        rule_codings = p.codings(origin="rule")
    feats = [f for u in with_book.units for f in u.rules]
    kinds = {f.split(":", 1)[0] for f in feats}
    assert {"r", "rc"} <= kinds and kinds & {"rn", "rd"}  # fired, and some negated or dropped
    fired = {f.split(":", 1)[1] for f in feats if f.startswith("r:")}
    # A coding names the first rule that fired in its unit; the features keep every rule that fired.
    assert set(rule_codings["rule"]) <= fired
    assert {f.split(":", 1)[1] for u in without.units for f in u.rules if f.startswith("r:")} == set(
        rule_codings["rule"])
