"""How well would the learned suggestions do? Cross-validation with folds grouped by transcript.

Every fold trains on some of the coder's transcripts and predicts the others, so a score is
always for interviews the model never saw. Scores are at **turn level**, like the rules'
evaluation (qualcode.evaluation): a turn is coded with a code when any of its units is.

Three columns are compared per code, on the same turns:

- **rules**: the rule codings stored in the project (what `qualcode code` suggested);
- **model**: the learned model at its threshold;
- **suggestion**: what the tool will actually suggest: per code, the rules, the model or a
  combination, chosen *on the training folds* (the model's inner out-of-fold predictions against
  the rule codings, at turn level). `fixed` (`choose`): the model where it beat the rules by a
  margin, else the rules; `adaptive` (qualcode.suggest.choice): the model or rules + model where a
  bootstrap over the training transcripts is sure of a gain. Choosing on the training folds only
  keeps the choice honest: the held-out fold never decides it.

Verdicts follow the usual reading of kappa for coding: at least 0.8 "reliable", 0.6–0.8
"review", below 0.6 "weak".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.model_selection import GroupKFold

from qualcode.suggest.choice import MIN_TRANSCRIPTS, Choice, choose_adaptive
from qualcode.suggest.corpus import Corpus
from qualcode.suggest.estimator import kappa_of

Progress = Callable[[int, int, str], None]
SOURCES = ("rules", "model", "suggestion")
COLUMNS = ["code", "human_turns", "positives", *[f"{s}_{m}" for s in SOURCES for m in ("precision", "recall", "f1",
                                                                                          "kappa")],
           "source", "verdict", "why"]


def turn_ids(corpus: Corpus) -> tuple[np.ndarray, list[tuple[str, int]]]:
    """Each unit's turn number, and the (transcript, turn) of each number."""
    keys: dict[tuple[str, int], int] = {}
    ids = np.array([keys.setdefault((u.transcript, u.turn), len(keys)) for u in corpus.units], dtype=np.int64)
    return ids, list(keys)


def to_turns(M: np.ndarray, ids: np.ndarray, n_turns: int) -> np.ndarray:
    """Units × codes to turns × codes: a turn has what any of its units has (max)."""
    out = np.zeros((n_turns, M.shape[1]), dtype=M.dtype)
    np.maximum.at(out, ids, M)
    return out


def rule_kappa(Y: np.ndarray, R: np.ndarray) -> np.ndarray:
    """Per code, the rules' kappa against the known labels."""
    out = np.zeros(Y.shape[1])
    for j in range(Y.shape[1]):
        known = Y[:, j] >= 0
        out[j] = kappa_of(Y[known, j] > 0, R[known, j])
    return out


# How much better than the rules (in kappa) the model must do on its training folds to be used
# for a code: with a handful of examples a win by a hair is mostly noise. On the tuning sets
# (tests/data/gold, gold2, gold4) a margin of 0.05 left the suggestion 0.01 below the rules at 12
# training interviews, 0.2 within 0.002 of them (benchmarks/suggest_learning_curve.py).
MARGIN = 0.2
# And how many coded units (sentences) a code needs in the training data before its model may
# replace the rules at all: TRUST times the model's `min_positive` (5, so 10). On the tuning sets,
# with the codebook's rules at turn-level kappa 0.73, every code the margin alone handed to the
# model at 8 or 12 training interviews had fewer than 10 and was lost on the new interviews
# (suggestion 0.003-0.005 below the rules at 8); with 10 the suggestion equals the rules at
# every point of the curve (BENCHMARKS.md).
TRUST = 2


def choose(model: object, Y: np.ndarray, R: np.ndarray, turns: np.ndarray, margin: float = MARGIN,
           min_trust: int | None = None) -> np.ndarray:
    """Per code, True where the fitted model beat the rules on its training data (see module docstring)
    and learnt from at least `min_trust` coded units (default: TRUST x the model's `min_positive`).

    Both are judged at turn level, where the tool is judged: the model by its calibrated
    out-of-fold probabilities at its threshold, the rules by the rule codings, against the
    coder's labels, over the turns of the training units (`turns`: each unit's turn number).
    Judged per sentence instead, rules that code whole turns looked worse than they are, and
    the model won codes it then lost on new interviews (tests/data/gold, gold2, gold4).
    """
    use = np.zeros(Y.shape[1], dtype=bool)
    _, t = np.unique(turns, return_inverse=True)
    n = int(t.max()) + 1 if len(t) else 0
    if min_trust is None:
        min_trust = TRUST * model.min_positive
    for j in np.flatnonzero(model.has_model_ & (model.n_positive_ >= min_trust)):
        known = (Y[:, j] >= 0) & ~np.isnan(model.oof_[:, j])
        if not known.any():
            continue
        tj = t[known]
        h, m, r = (np.zeros(n, dtype=bool) for _ in range(3))
        h[tj[Y[known, j] > 0]] = True
        m[tj[model.oof_[known, j] >= model.threshold_[j]]] = True
        r[tj[R[known, j]]] = True
        seen = np.unique(tj)
        use[j] = kappa_of(h[seen], m[seen]) > kappa_of(h[seen], r[seen]) + margin
    return use


CHOICES = ("fixed", "adaptive")


def decide(kind: str, model: object, Y: np.ndarray, R: np.ndarray, turns: np.ndarray,
           groups: np.ndarray) -> Choice:
    """The per-code source, by the `fixed` margin (`choose`) or the `adaptive` bootstrap
    (qualcode.suggest.choice); `groups`: each training unit's transcript.

    With fewer training transcripts than the bootstrap needs, the adaptive choice falls back on
    the fixed one, whose margin and 10 coded units are a strong pull toward the rules of their
    own: on the tuning sets it kept the suggestion at the rules' kappa with 2 and 4 training
    interviews (BENCHMARKS.md), and a project with one coded transcript still gets suggestions
    where the model is plainly better (a code no rule finds)."""
    if kind not in CHOICES:
        raise ValueError(f"choice {kind!r}: one of {', '.join(CHOICES)}")
    n = len(np.unique(groups))
    if kind == "adaptive" and n >= MIN_TRANSCRIPTS:
        return choose_adaptive(model, Y, R, turns, groups)
    use = choose(model, Y, R, turns)
    plan = Choice.fixed(use, model.threshold_)
    if kind == "adaptive":
        plan.kind = "adaptive"
        plan.why = [f"{n} training transcript(s), too few to resample: "
                    + ("it beat the rules by the fixed margin" if u else "the rules stay") for u in use]
    return plan


def scores(h: np.ndarray, p: np.ndarray) -> dict[str, float]:
    h, p = h.astype(bool), p.astype(bool)
    tp, fp, fn = int(np.sum(h & p)), int(np.sum(~h & p)), int(np.sum(h & ~p))
    return {"precision": tp / (tp + fp) if tp + fp else float("nan"),
            "recall": tp / (tp + fn) if tp + fn else float("nan"),
            "f1": 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else float("nan"),
            "kappa": kappa_of(h, p)}


def verdict(kappa: float, source: str, positives: int, min_positive: int, modelled: bool | None = None) -> str:
    """`modelled`: whether the code got a model (the codebook's texts count towards `min_positive`,
    so the coded `positives` alone do not say it); None: decide by `positives`. Why this source is
    the table's own `why` column."""
    level = "reliable" if kappa >= 0.8 else "review" if kappa >= 0.6 else "weak"
    if source == "rules" and not (modelled if modelled is not None else positives >= min_positive):
        return f"rules ({positives} of {min_positive} examples needed for a model): {level}"
    return f"{source}: {level}"


@dataclass
class CrossValidation:
    folds: int
    transcripts: list[str]
    proba: np.ndarray  # units × codes, out-of-fold (NaN outside the evaluated transcripts)
    human: np.ndarray  # evaluated turns × codes
    preds: dict[str, np.ndarray]  # rules / model / suggestion: evaluated turns × codes
    positives: np.ndarray  # positive units per code in all the training data

    def table(self, code_list: Sequence[str], source: np.ndarray | Choice, min_positive: int,
              modelled: np.ndarray | None = None) -> pd.DataFrame:
        """The per-code table; `source` is the tool's final choice per code (a Choice, or True: the
        model); `modelled`: which codes got a model."""
        return table(code_list, self.human, self.preds, source, self.positives, min_positive, modelled)


def table(code_list: Sequence[str], H: np.ndarray, preds: dict[str, np.ndarray], source: np.ndarray | Choice,
          positives: np.ndarray, min_positive: int, modelled: np.ndarray | None = None) -> pd.DataFrame:
    """The per-code table from turn-level human labels and predictions, with a pooled row. With a
    Choice, `source` is its label per code (e.g. "rules + model ≥ 0.85") and the verdict says why."""
    plan = source if isinstance(source, Choice) else None
    source = plan.use_model if plan is not None else np.asarray(source, dtype=bool)
    records = []
    for j, code in enumerate(code_list):
        row: dict[str, object] = {"code": code, "human_turns": int(H[:, j].sum()), "positives": int(positives[j])}
        for s in SOURCES:
            row.update({f"{s}_{k}": v for k, v in scores(H[:, j], preds[s][:, j]).items()})
        row["source"] = plan.label(j) if plan is not None else "model" if source[j] else "rules"
        # Why this source, apart from the verdict, so a screen table can show the verdict whole.
        row["why"] = plan.why[j] if plan is not None and plan.kind == "adaptive" else ""
        word = plan.word(j) if plan is not None else row["source"]
        row["verdict"] = verdict(row["suggestion_kappa"], word, int(positives[j]), min_positive,
                                 None if modelled is None else bool(modelled[j]))
        records.append(row)
    pooled: dict[str, object] = {"code": "(all codes)", "human_turns": int(H.sum()),
                                 "positives": int(positives.sum())}
    for s in SOURCES:
        pooled.update({f"{s}_{k}": v for k, v in scores(H.ravel(), preds[s].ravel()).items()})
    pooled["source"] = (plan.summary() if plan is not None
                        else f"model for {int(source.sum())} of {len(code_list)} codes")
    pooled["verdict"] = verdict(pooled["suggestion_kappa"], "suggestion", min_positive, min_positive)
    pooled["why"] = ""
    records.append(pooled)
    return pd.DataFrame(records, columns=COLUMNS)


def cross_validate(corpus: Corpus, Y: np.ndarray, R: np.ndarray, code_list: Sequence[str], coded: Sequence[str],
                   make_pipeline: Callable[[], object], min_positive: int, n_splits: int = 5,
                   progress: Progress | None = None,
                   training: Callable[[np.ndarray], tuple[list, np.ndarray, np.ndarray, np.ndarray]] | None = None,
                   choice: str = "fixed") -> CrossValidation:
    """Out-of-fold predictions for the coded transcripts, and the per-code table. `training(rows)`
    gives what to fit on for the training units `rows` (units, labels, groups, weak-example mask:
    qualcode.suggest.learn.Prepared.training); without it, those units alone. `choice`: how each
    fold's suggestion picks its source per code (`decide`)."""
    names = np.array([u.transcript for u in corpus.units])
    turns, _keys = turn_ids(corpus)
    coded = sorted(coded)
    k = min(n_splits, len(coded))
    evaluated = corpus.of(set(coded))
    labelled = (Y >= 0).any(axis=1)
    proba = np.full(Y.shape, np.nan)
    model_pred = np.zeros(Y.shape, dtype=bool)
    sugg_pred = np.zeros(Y.shape, dtype=bool)
    folds = list(GroupKFold(n_splits=k).split(coded, groups=coded))
    for n, (_train_t, test_t) in enumerate(folds, start=1):
        test = np.isin(names, [coded[i] for i in test_t])
        train = labelled & ~test
        pipe = make_pipeline()
        rows = np.flatnonzero(train)
        if training is None:
            units, Y_fit, groups, weak = ([corpus.units[i] for i in rows], Y[rows], names[rows],
                                          np.zeros(len(rows), dtype=bool))
        else:
            units, Y_fit, groups, weak = training(rows)
        pipe.fit(units, Y_fit, model__groups=groups, model__codes=list(code_list), model__weak=weak)
        model = pipe.named_steps["model"]
        test_units = [corpus.units[i] for i in np.flatnonzero(test)]
        p = pipe.predict_proba(test_units)
        proba[test] = p
        model_pred[test] = pipe.predict(test_units).astype(bool)
        plan = decide(choice, model, Y[train], R[train], turns[train], names[train])
        sugg_pred[test] = plan.apply(R[test], p)
        if progress:
            progress(n, len(folds), f"fold {n}")
    ids, keys = turn_ids(corpus)
    ev_turns = np.unique(ids[evaluated])
    n_turns = len(keys)
    H = to_turns((Y > 0) & evaluated[:, None], ids, n_turns)[ev_turns]
    preds = {s: to_turns(m & evaluated[:, None], ids, n_turns)[ev_turns]
             for s, m in (("rules", R), ("model", model_pred), ("suggestion", sugg_pred))}
    positives = ((Y > 0) & labelled[:, None]).sum(axis=0)
    return CrossValidation(k, coded, proba, H, preds, positives)
