"""A suggest run: learn from a coder's decisions, report, and replace the model suggestions.

1. Read the coder's decisions (qualcode.suggest.training) and the project as units
   (qualcode.suggest.corpus).
2. Cross-validate by transcript (qualcode.suggest.evaluation) when two or more transcripts
   were coded; with one, warn (E903) and go on without a table.
3. Fit on all the decisions and choose, per code, the model or the rules.
4. Suggest for every transcript the coders did not code, for the codes where the model won.
5. In one transaction: store the model as plain data (qualcode.suggest.storage), delete the
   previous model suggestions that nobody reviewed, and write the new ones with their "why".
   Human codings and reviewed suggestions are never touched; a reviewer's decision on a span
   applies again when the model suggests it again.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import quote

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline
from sqlalchemy import and_, delete, insert, select
from sqlalchemy.engine import Engine

from qualcode import audit
from qualcode.codebook import Codebook
from qualcode.errors import QualcodeError
from qualcode.store import coding_queries as cq
from qualcode.store import queries
from qualcode.store.schema import codings, suggestion_reasons
from qualcode.suggest import corpus as corpus_mod
from qualcode.suggest import storage
from qualcode.suggest.choice import ADD, MODEL, Choice
from qualcode.suggest.codebook_texts import CodebookTexts, codebook_units
from qualcode.suggest.estimator import CodeSuggester
from qualcode.suggest.estimator_pooled import SuggestPipeline
from qualcode.suggest.evaluation import CrossValidation, cross_validate, decide, turn_ids
from qualcode.suggest.features import FAMILIES, Unit, UnitFeatures, describe
from qualcode.suggest.training import Decisions, decisions, label_matrix, rule_matrix

Progress = Callable[[int, int, str], None]
# A fault-injection hook for the atomicity test, as in qualcode.runs: wait inside the write
# transaction so a test can kill the process there.
STALL_ENV = "QUALCODE_TEST_STALL_IN_SUGGEST"
WHY = 5  # features shown per suggestion
# Word, bigram and letter features count 0.3 of a rule feature. Measured on the tuning sets
# (tests/data/gold, gold2, gold4; benchmarks/suggest_learning_curve.py), the model's turn-level
# kappa at 8 training interviews rose from 0.26 (1.0) to 0.41 (0.3); 0.1 gave 0.39.
TEXT_WEIGHT = 0.3
# One regression over (unit, code) pairs (qualcode.suggest.estimator_pooled) or one per code.
POOLED = False
# The codebook's example and include texts as weak positive examples (qualcode.suggest.codebook_texts).
# Measured on the tuning sets gold, gold2, gold4, 3 splits (BENCHMARKS.md): the model alone rose
# from 0.506 to 0.662 turn-level kappa at 8 training interviews, 0.627 to 0.665 at 12, and from
# 0.386 to 0.647 at 6 interviews of one coder's set; the suggestion stayed the rules' (no code
# passed the margin and the 10 coded sentences of evaluation.choose).
CODEBOOK_TEXTS = True
# How the suggestion picks its source per code (qualcode.suggest.evaluation.decide): "fixed", the
# model by a 0.2 kappa margin with 10 coded units; "adaptive" (qualcode.suggest.choice), the model or
# rules + model where a bootstrap over the training transcripts is sure of a gain in pooled kappa.
CHOICE = "adaptive"


@dataclass
class ModelRun:
    """One suggest run: what was learnt from whom, how well it does, and what it wrote."""

    id: int | None
    coders: list[str]
    unit: str
    codes: list[str]
    table: pd.DataFrame | None
    use_model: dict[str, bool]  # code -> whether its suggestions involve the model
    skipped: dict[str, str]  # code -> why it has no model
    transcripts_trained: list[str]
    transcripts_suggested: list[str]
    counts: dict[str, int] = field(default_factory=dict)
    carried_over: int = 0
    warnings: list[str] = field(default_factory=list)
    dry_run: bool = False
    training_sha256: str = ""
    model_id: int | None = None
    folds: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)  # code -> its source, e.g. "rules + model ≥ 0.85"
    reasons: dict[str, str] = field(default_factory=dict)  # code -> why that source (adaptive choice)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def overall(self) -> dict[str, object]:
        if self.table is None:
            return {}
        row = self.table[self.table["code"] == "(all codes)"]
        return row.iloc[0].to_dict() if len(row) else {}


def make_pipeline(*, families: Sequence[str] = FAMILIES, min_positive: int = 5, seed: int = 0,
                  C: float = 1.0, text_weight: float = TEXT_WEIGHT, pooled: bool = POOLED,
                  turn_rules: bool = POOLED) -> Pipeline:
    """Features then model. Fit it with `model__groups` (transcripts) and `model__codes` (the label
    columns' codes, which the pooled model needs)."""
    return SuggestPipeline([("features", UnitFeatures(families=tuple(families), text_weight=text_weight,
                                                      turn_rules=turn_rules)),
                            ("model", CodeSuggester(C=C, min_positive=min_positive, random_state=seed,
                                                    pooled=pooled))])


@dataclass
class Prepared:
    dec: Decisions
    corpus: corpus_mod.Corpus
    code_list: list[str]
    Y: np.ndarray
    R: np.ndarray
    weak: CodebookTexts = field(default_factory=CodebookTexts)  # the codebook texts (none: no codebook)

    def training(self, rows: np.ndarray, weak: bool = True) -> tuple[list[Unit], np.ndarray, np.ndarray, np.ndarray]:
        """Units, labels, groups and the weak-example mask to fit on: the corpus units `rows` (indices),
        then (with `weak`) the codebook texts."""
        extra = self.weak if weak else CodebookTexts()
        units = [self.corpus.units[i] for i in rows] + extra.units
        Y = np.vstack([self.Y[rows], extra.Y.reshape(-1, self.Y.shape[1])])
        groups = np.array([u.transcript for u in units])
        mask = np.r_[np.zeros(len(rows), dtype=bool), np.ones(len(extra.units), dtype=bool)]
        return units, Y, groups, mask

    def sha256(self, **params: object) -> str:
        """The training data's hash (qualcode.suggest.training.Decisions.sha256), with the codebook texts'."""
        if self.weak.sha256:
            params = {**params, "codebook_texts": self.weak.sha256}
        return self.dec.sha256(**params)


def prepare(engine: Engine, coders: Sequence[str], *, unit: str, codes: Sequence[str] | None,
            book: Codebook | None, min_positive: int, progress: Progress | None = None) -> Prepared:
    """Check the inputs, read decisions and units, and build the label and rule matrices."""
    if unit not in corpus_mod.UNITS:
        raise QualcodeError("E907", value=unit)
    if isinstance(min_positive, bool) or not isinstance(min_positive, int) or min_positive < 2:
        raise QualcodeError("E908", value=min_positive)
    dec = decisions(engine, coders)
    with engine.connect() as conn:
        known = sorted(cq.code_ids(conn))
    if codes is not None:
        unknown = [c for c in codes if c not in known]
        if unknown:
            raise QualcodeError("E904", codes=", ".join(unknown), known=", ".join(known) or "(none)")
    corpus = corpus_mod.load(engine, unit, book, progress=progress)
    rules = corpus_mod.rule_codings(engine, corpus.transcripts())
    coded = set(dec.coded)
    code_list = sorted(set(dec.codes) | {c for t, c, _s, _e in rules if t in coded})
    if codes is not None:
        code_list = [c for c in code_list if c in set(codes)] or sorted(codes)
    Y = label_matrix(corpus, dec, code_list)
    R = rule_matrix(corpus, rules, code_list)
    positives = (Y > 0).sum(axis=0)
    if not len(code_list) or positives.max() < min_positive:
        best = ", ".join(f"{c} {n}" for c, n in sorted(zip(code_list, positives.tolist(), strict=True),
                                                        key=lambda x: -x[1])[:3]) or "none"
        raise QualcodeError("E905", min=min_positive, who=_who(dec.coders), best=best)
    weak = codebook_units(book, code_list) if CODEBOOK_TEXTS and not POOLED else CodebookTexts()
    return Prepared(dec, corpus, code_list, Y, R, weak)


def _who(names: Sequence[str]) -> str:
    return ("coder " if len(names) == 1 else "coders ") + ", ".join(f"'{n}'" for n in names)


def train(engine: Engine, coders: Sequence[str], *, unit: str = "sentence", codes: Sequence[str] | None = None,
          book: Codebook | None = None, min_positive: int = 5, seed: int = 0, evaluate: bool = True,
          families: Sequence[str] = FAMILIES, progress: Progress | None = None, prep: Prepared | None = None,
          pooled: bool = POOLED, choice: str = CHOICE) -> tuple[ModelRun, Prepared, Pipeline, Choice]:
    """Everything up to writing: the run report, the inputs (`prep`, if already read), the fitted
    pipeline and the per-code choice (`choice`: "fixed" or "adaptive", see CHOICE)."""
    t0 = time.perf_counter()
    if prep is None:
        prep = prepare(engine, coders, unit=unit, codes=codes, book=book, min_positive=min_positive,
                       progress=progress)
    t_read = time.perf_counter()
    dec, corpus, code_list, Y, R = prep.dec, prep.corpus, prep.code_list, prep.Y, prep.R
    run = ModelRun(None, list(dec.coders), unit, code_list, None, {}, {}, dec.coded, [])
    cv: CrossValidation | None = None
    if len(dec.coded) >= 2 and evaluate:
        cv = cross_validate(corpus, Y, R, code_list, dec.coded,
                            lambda: make_pipeline(families=families, min_positive=min_positive, seed=seed,
                                                  pooled=pooled),
                            min_positive, progress=progress, training=lambda rows: prep.training(rows, not pooled),
                            choice=choice)
        run.folds = cv.folds
    elif len(dec.coded) < 2:
        name = dec.coded[0] if dec.coded else "(none; only reviews)"
        run.warnings.append(str(QualcodeError("E903", who=_who(dec.coders).capitalize(), name=name)))
    t_cv = time.perf_counter()
    labelled = (Y >= 0).any(axis=1)
    pipe = make_pipeline(families=families, min_positive=min_positive, seed=seed, pooled=pooled)
    units, Y_fit, groups, weak = prep.training(np.flatnonzero(labelled), not pooled)
    pipe.fit(units, Y_fit, model__groups=groups, model__codes=code_list, model__weak=weak)
    model = pipe.named_steps["model"]
    names = np.array([u.transcript for u in corpus.units])
    plan = decide(choice, model, Y[labelled], R[labelled], turn_ids(corpus)[0][labelled], names[labelled])
    run.use_model = {c: bool(u) for c, u in zip(code_list, plan.use_model, strict=True)}
    run.sources = {c: plan.label(j) for j, c in enumerate(code_list)}
    run.reasons = {c: plan.why[j] for j, c in enumerate(code_list)}
    for j, c in enumerate(code_list):
        if not model.has_model_[j]:
            texts = int((Y_fit[weak, j] > 0).sum())
            run.skipped[c] = (f"{int(model.n_positive_[j])} positive units"
                              + (f" and {texts} codebook texts" if texts else "") + f", fewer than {min_positive}"
                              + (f" (or fewer than {model.min_coded} coded)" if texts else ""))
    if cv is not None:
        run.table = cv.table(code_list, plan, min_positive, model.has_model_)
    run.training_sha256 = prep.sha256(unit=unit, codes=code_list, min_positive=min_positive, seed=seed,
                                      families=list(families))
    run.timings = {"read": t_read - t0, "cross_validate": t_cv - t_read, "fit": time.perf_counter() - t_cv}
    return run, prep, pipe, plan


def suggest(engine: Engine, coders: Sequence[str], *, unit: str = "sentence", codes: Sequence[str] | None = None,
            book: Codebook | None = None, min_positive: int = 5, seed: int = 0, dry_run: bool = False,
            evaluate: bool = True, progress: Progress | None = None) -> ModelRun:
    """Train on the coders' decisions and (unless `dry_run`) replace the model suggestions."""
    started = queries.now()
    run, prep, pipe, plan = train(engine, coders, unit=unit, codes=codes, book=book, min_positive=min_positive,
                                  seed=seed, evaluate=evaluate, progress=progress)
    t0 = time.perf_counter()
    corpus, code_list = prep.corpus, prep.code_list
    coded = set(prep.dec.coded)
    target = np.flatnonzero(~corpus.of(coded))
    run.transcripts_suggested = sorted({corpus.units[i].transcript for i in target})
    proposals = _proposals(pipe, corpus, target, code_list, plan, prep.R[target])
    for p in proposals:
        run.counts[p["code"]] = run.counts.get(p["code"], 0) + 1
    run.counts = dict(sorted(run.counts.items()))
    run.timings["predict"] = time.perf_counter() - t0
    if dry_run:
        run.dry_run = True
        return run
    _write(engine, run, prep, pipe, plan, proposals, started, seed, min_positive)
    run.timings["write"] = time.perf_counter() - t0 - run.timings["predict"]
    return run


def _proposals(pipe: Pipeline, corpus: corpus_mod.Corpus, target: np.ndarray, code_list: Sequence[str],
               plan: Choice | np.ndarray, rules: np.ndarray | None = None) -> list[dict]:
    """The model's suggestions for the target units: for each code whose source involves the model,
    the units at or above its cut (`plan`; a bool array: the model at its own threshold). For
    "rules + model" only where the rules (`rules`, target units × codes) did not code the unit:
    there the rule coding is already the suggestion."""
    if isinstance(plan, np.ndarray):
        plan = Choice.fixed(plan, pipe.named_steps["model"].threshold_)
    use = plan.use_model
    if not len(target) or not use.any():
        return []
    units = [corpus.units[i] for i in target]
    features, model = pipe.named_steps["features"], pipe.named_steps["model"]
    X = features.transform(units)
    proba = model.predict_proba(X)
    R = np.zeros(proba.shape, dtype=bool) if rules is None else np.asarray(rules, dtype=bool)
    hit = np.zeros(proba.shape, dtype=bool)
    for j in np.flatnonzero(use & model.has_model_):
        if plan.source[j] in (MODEL, ADD):  # a veto cannot be written: the rule codings are not the model's
            hit[:, j] = (proba[:, j] >= plan.cut[j]) & ~(R[:, j] & (plan.source[j] == ADD))
    vocab = features.vocabulary_
    out = []
    for r, j in zip(*np.nonzero(hit), strict=True):
        u = units[r]
        # The words and rules that weighed most (role and language say nothing a reader can check).
        why = [{"feature": vocab[i], "label": describe(vocab[i]), "weight": round(w, 3)}
               for i, w in model.contributions(X[r], j) if w > 0 and not vocab[i].startswith(("role:", "lang:"))][:WHY]
        out.append({"transcript": u.transcript, "code": code_list[j], "start": u.start, "end": u.end,
                    "confidence": float(np.clip(proba[r, j], 0.0, 1.0)), "why": why})
    return out


def _write(engine: Engine, run: ModelRun, prep: Prepared, pipe: Pipeline, plan: Choice, proposals: list[dict],
           started: object, seed: int, min_positive: int) -> None:
    with engine.begin() as conn:
        coder_id = cq.ensure_coder(conn, run.coders[0])
        params = {"coders": run.coders, "unit": run.unit, "codes": run.codes, "min_positive": min_positive,
                  "seed": seed}
        run.id = cq.insert_run(conn, kind="model", params=json.dumps(params, sort_keys=True), status="running",
                               coder_id=coder_id, started_at=started, pipeline_version="qualcode-suggest-1")
        metrics = json.loads(run.table.to_json(orient="records")) if run.table is not None else None
        run.model_id = storage.save(conn, run.id, pipe.named_steps["features"], pipe.named_steps["model"],
                                    run.codes, plan, run.training_sha256,
                                    {"coders": run.coders, "unit": run.unit, "metrics": metrics,
                                     "trained_on": run.transcripts_trained, "skipped": run.skipped})
        ids = cq.code_ids(conn)
        tids = {r.name: r.id for r in cq.current_transcripts(conn)}
        # Unreviewed model suggestions go; reviewed ones stay as they are.
        conn.execute(delete(codings).where(codings.c.origin == "model", codings.c.status == "suggested"))
        kept = {(r.transcript_id, r.code_id, r.start_offset, r.end_offset) for r in conn.execute(
            select(codings.c.transcript_id, codings.c.code_id, codings.c.start_offset, codings.c.end_offset)
            .where(codings.c.origin == "model"))}
        decided = cq.review_decisions(conn, list(tids.values()))
        stamp = queries.now()
        rows, why = [], {}
        for p in proposals:
            tid, cid = tids[p["transcript"]], ids[p["code"]]
            key = (tid, cid, p["start"], p["end"])
            if key in kept:
                continue
            decision = decided.get((tid, p["code"], p["start"], p["end"]))
            run.carried_over += decision is not None
            rows.append(dict(transcript_id=tid, code_id=cid, start_offset=p["start"], end_offset=p["end"],
                             coder_id=None, origin="model", model_id=f"model/{run.model_id}",
                             confidence=p["confidence"],
                             status=decision.status if decision is not None else "suggested", run_id=run.id,
                             created_at=stamp, updated_at=stamp,
                             reviewer_id=decision.reviewer_id if decision is not None else None,
                             reviewed_at=decision.reviewed_at if decision is not None else None))
            why[key] = json.dumps(p["why"], ensure_ascii=False)
        cq.insert_codings(conn, rows)
        new = conn.execute(select(codings.c.id, codings.c.transcript_id, codings.c.code_id, codings.c.start_offset,
                                  codings.c.end_offset).where(and_(codings.c.run_id == run.id,
                                                                   codings.c.origin == "model"))).all()
        reasons = [dict(coding_id=r.id, reasons=why[(r.transcript_id, r.code_id, r.start_offset, r.end_offset)])
                   for r in new]
        if reasons:
            conn.execute(insert(suggestion_reasons), reasons)
        for version, blobs in prep.corpus.new_analyses.items():
            cq.put_cache(conn, "analysis", blobs, version)
        stall = os.environ.get(STALL_ENV)
        if stall:
            print(f"qualcode: stalling {stall}s inside the suggest transaction (test hook)", file=sys.stderr,
                  flush=True)
            time.sleep(float(stall))
        cq.finish_run(conn, run.id, "finished", {
            "counts": run.counts, "transcripts": len(run.transcripts_suggested), "carried_over": run.carried_over,
            "trained_on": run.transcripts_trained, "model": run.model_id, "warnings": run.warnings,
            "overall": {k: v for k, v in run.overall.items() if isinstance(v, int | float | str)},
        })
        # in this transaction: the log has the model run exactly when its suggestions replaced the last ones
        audit.record(conn, None, "suggest.learn", "run", run.id, {
            "learned_from": run.coders, "unit": run.unit, "model": run.model_id, "added": len(rows),
            "codes": run.counts})


def next_turns(engine: Engine, coders: Sequence[str], *, n: int = 10, unit: str = "sentence",
               book: Codebook | None = None, min_positive: int = 5, seed: int = 0,
               progress: Progress | None = None) -> pd.DataFrame:
    """The turns whose coding would teach the model most: where it is least sure, or where rules and
    model disagree. Uses the stored model when it was trained on the current decisions (a stored
    model that fails its checks is refused, E906), else trains one without writing anything."""
    dec = decisions(engine, coders)
    with engine.connect() as conn:
        stored = storage.latest(conn, list(dec.coders), unit)
    prep = prepare(engine, coders, unit=unit, codes=None, book=book, min_positive=min_positive, progress=progress)
    sha = prep.sha256(unit=unit, codes=prep.code_list, min_positive=min_positive, seed=seed,
                      families=list(FAMILIES))
    if stored is not None and stored.training_sha256 == sha and stored.codes == prep.code_list:
        features, model = stored.features, stored.estimator
    else:
        _run, prep, pipe, _use = train(engine, coders, unit=unit, book=book, min_positive=min_positive, seed=seed,
                                   evaluate=False, progress=progress, prep=prep)
        features, model = pipe.named_steps["features"], pipe.named_steps["model"]
    corpus, code_list, R = prep.corpus, prep.code_list, prep.R
    target = np.flatnonzero(~corpus.of(set(prep.dec.coded)))
    columns = ["transcript", "turn", "score", "reason", "text", "link"]
    if not len(target):
        return pd.DataFrame(columns=columns)
    units = [corpus.units[i] for i in target]
    proba = model.predict_proba(features.transform(units))
    thr = np.nan_to_num(model.threshold_, nan=0.5)
    has = model.has_model_
    # Uncertainty: 1 at the threshold, 0 at a sure 0 or 1 (scaled per side of the threshold).
    dist = np.where(proba >= thr, (proba - thr) / np.maximum(1 - thr, 1e-9), (thr - proba) / np.maximum(thr, 1e-9))
    unsure = np.where(has, 1 - np.clip(dist, 0, 1), 0.0)
    says = (proba >= thr) & has
    disagree = (says != R[target]) & has
    best: dict[tuple[str, int], tuple[float, str]] = {}
    for r, u in enumerate(units):
        j = int(np.argmax(unsure[r]))
        score = float(unsure[r, j]) + 0.5 * float(disagree[r].sum())
        if disagree[r].any():
            k = int(np.flatnonzero(disagree[r])[0])
            # The model's own threshold, which the table's source (a cut chosen against the rules) may not be.
            side = ("the rules code it, the model does not" if R[target[r], k]
                    else "the model codes it, the rules do not")
            reason = f"{code_list[k]}: {side} (p={proba[r, k]:.2f}, the model's threshold {thr[k]:.2f})"
        else:
            reason = f"{code_list[j]}: the model is unsure (p={proba[r, j]:.2f}, threshold {thr[j]:.2f})"
        key = (u.transcript, u.turn)
        if score > best.get(key, (-1.0, ""))[0]:
            best[key] = (score, reason)
    with engine.connect() as conn:
        rows = cq.current_transcripts(conn, sorted({k[0] for k in best}))
        texts = {r.name: r.text for r in rows}
        spans = cq.turn_spans(conn, [r.id for r in rows])
        turn_text = {(r.name, t.idx): texts[r.name][t.start_offset:t.end_offset] for r in rows for t in spans[r.id]}
    ranked = sorted(best.items(), key=lambda kv: (-kv[1][0], kv[0]))[:n]
    out = [{"transcript": t, "turn": i, "score": round(s, 3), "reason": why,
            "text": " ".join(turn_text.get((t, i), "").split())[:200], "link": f"/code?transcript={quote(t)}"}
           for (t, i), (s, why) in ranked]
    return pd.DataFrame(out, columns=columns)
