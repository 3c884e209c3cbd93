"""The adaptive per-code choice (issue 13, qualcode.suggest.choice): the model speaks where the
training transcripts show, surely, that it beats the rules, and only there.

The model here is a plain namespace with the fitted attributes `choose_adaptive` reads (`oof_`:
the calibrated out-of-fold probabilities, `has_model_`, `n_positive_`, `min_positive`), so each
case plants exactly what the training data say.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from qualcode.errors import QualcodeError
from qualcode.suggest.choice import ADD, MODEL, RULES, VETO, Choice, choose_adaptive, kappa_totals
from qualcode.suggest.estimator import kappa_of
from qualcode.suggest.evaluation import decide

TURNS = 10  # per transcript, one unit each


def _data(n_transcripts: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Two codes over `n_transcripts` × TURNS turns. Code 0: the rules are right (they code exactly
    what the coder coded). Code 1: a third of the turns are coded, and the rules find only half of those."""
    n = n_transcripts * TURNS
    Y = np.zeros((n, 2), dtype=np.int8)
    Y[:, 0] = rng.random(n) < 0.3
    Y[:, 1] = np.arange(n) % 3 == 0
    R = Y.astype(bool).copy()
    R[:, 1] &= np.arange(n) % 6 == 0  # the rules miss every other coded turn of code 1
    groups = np.repeat([f"t{i}" for i in range(n_transcripts)], TURNS)
    return Y, R, np.arange(n), groups


def _model(oof: np.ndarray, n_positive: int = 20) -> SimpleNamespace:
    k = oof.shape[1]
    return SimpleNamespace(oof_=oof, has_model_=np.ones(k, dtype=bool), n_positive_=np.full(k, n_positive),
                           min_positive=5, random_state=0, threshold_=np.full(k, 0.5))


def test_the_model_adds_what_the_rules_miss_when_every_transcript_says_so() -> None:
    rng = np.random.default_rng(0)
    Y, R, turns, groups = _data(8, rng)
    oof = np.where(Y > 0, 0.9, 0.1) + rng.uniform(-0.05, 0.05, Y.shape)  # the model is right on both codes
    plan = choose_adaptive(_model(oof), Y, R, turns, groups)
    assert plan.source[0] == RULES  # already perfect: nothing to gain, the rules stay
    assert plan.source[1] in (MODEL, ADD) and 0.1 < plan.cut[1] < 0.9
    assert plan.lower[1] > 0 and plan.gain[1] >= plan.lower[1]
    assert "lower bound" in plan.why[1]
    # Applied to new units, the choice codes what the coder would.
    P = np.where(Y > 0, 0.8, 0.2)
    assert np.array_equal(plan.apply(R, P), Y > 0)


def test_rules_plus_model_is_chosen_where_the_model_is_sure_only_of_what_the_rules_miss() -> None:
    rng = np.random.default_rng(1)
    Y, R, turns, groups = _data(8, rng)
    oof = np.full(Y.shape, 0.3)
    missed = (Y[:, 1] > 0) & ~R[:, 1]
    oof[missed, 1] = 0.92  # sure where the rules miss
    oof[R[:, 1], 1] = 0.3  # but no surer of what the rules found than of the rest: alone it would lose those
    plan = choose_adaptive(_model(oof), Y, R, turns, groups)
    assert plan.source[1] == ADD and plan.cut[1] > 0.3
    assert plan.label(1).startswith("rules + model ≥ ")


def test_noise_and_a_gain_carried_by_one_transcript_leave_the_rules() -> None:
    rng = np.random.default_rng(2)
    Y, R, turns, groups = _data(8, rng)
    noise = rng.random(Y.shape)  # a model that knows nothing
    assert choose_adaptive(_model(noise), Y, R, turns, groups).source == [RULES, RULES]
    # The model is right on code 1 in one transcript only and says nothing elsewhere.
    one = np.full(Y.shape, 0.2)
    first = groups == "t0"
    one[first, 1] = np.where(Y[first, 1] > 0, 0.95, 0.05)
    plan = choose_adaptive(_model(one), Y, R, turns, groups)
    assert plan.source == [RULES, RULES]
    assert "sure enough" in plan.why[1]


def test_small_training_sets_and_few_coded_units_default_to_the_rules() -> None:
    rng = np.random.default_rng(3)
    Y, R, turns, groups = _data(3, rng)
    oof = np.where(Y > 0, 0.9, 0.1)
    plan = choose_adaptive(_model(oof), Y, R, turns, groups)
    assert plan.source == [RULES, RULES] and "fewer than 4" in plan.why[1]
    Y, R, turns, groups = _data(8, rng)
    plan = choose_adaptive(_model(np.where(Y > 0, 0.9, 0.1), n_positive=4), Y, R, turns, groups)
    assert plan.source == [RULES, RULES] and "fewer than 5" in plan.why[1]


def test_the_choice_is_deterministic_and_the_fixed_one_stays_selectable() -> None:
    rng = np.random.default_rng(4)
    Y, R, turns, groups = _data(8, rng)
    oof = np.clip(np.where(Y > 0, 0.7, 0.3) + rng.normal(0, 0.2, Y.shape), 0, 1)
    a, b = (choose_adaptive(_model(oof), Y, R, turns, groups) for _ in range(2))
    assert a.source == b.source and np.array_equal(a.cut, b.cut, equal_nan=True)
    assert np.array_equal(a.lower, b.lower)
    fixed = decide("fixed", _model(oof), Y, R, turns, groups)
    assert fixed.kind == "fixed" and set(fixed.source) <= {RULES, MODEL}
    with pytest.raises(ValueError):
        decide("best", _model(oof), Y, R, turns, groups)


def test_a_veto_drops_rule_codings_the_model_is_sure_of_and_nothing_else() -> None:
    R = np.array([[True], [True], [True], [False]])
    P = np.array([[0.01], [0.5], [np.nan], [0.9]])
    plan = Choice([VETO], np.array([0.1]))
    assert plan.apply(R, P)[:, 0].tolist() == [False, True, True, False]  # an unscored unit keeps its rule


def test_kappa_from_counts_matches_kappa_of_vectors() -> None:
    rng = np.random.default_rng(5)
    h, p = rng.random(200) < 0.3, rng.random(200) < 0.4
    counts = np.array([np.sum(h & p), np.sum(~h & p), np.sum(h & ~p), np.sum(~h & ~p)])
    assert kappa_totals(counts) == pytest.approx(kappa_of(h, p))


def test_a_stored_choice_is_read_back_and_a_tampered_one_is_refused() -> None:
    import json

    from qualcode.suggest import CodeSuggester, UnitFeatures, storage
    from qualcode.suggest.features import Unit

    units = [Unit(f"t{i % 4}", i, 0, 1, "respondent", "en", [w, "day"], [w, "day"])
             for i, w in enumerate(["wheat", "bus"] * 12)]
    y = np.array([[1, 1], [0, 0]] * 12)
    features = UnitFeatures(families=("lemma",)).fit(units)
    est = CodeSuggester(min_positive=2, cv=2).fit(features.transform(units), y,
                                                  groups=np.array([u.transcript for u in units]))
    plan = Choice([ADD, RULES], np.array([0.85, np.nan]))
    spec, weights, digest = storage.encode(features, est, ["farming", "transport"], plan, {})

    def row(text: str) -> SimpleNamespace:
        return SimpleNamespace(id=1, run_id=1, format=storage.FORMAT, spec=text, weights=weights,
                               sha256=storage._digest(text, weights), training_sha256="x")

    back = storage.decode(row(spec))
    assert back.choice.source == [ADD, RULES] and back.choice.cut[0] == 0.85
    assert back.use_model.tolist() == [True, False]
    bad = json.loads(spec)
    bad["choice"]["source"] = [RULES, MODEL]  # disagrees with use_model
    with pytest.raises(QualcodeError, match="E906"):
        storage.decode(row(json.dumps(bad)))
    # A model stored before the choice existed reads as the fixed choice.
    old = json.loads(spec)
    del old["choice"]
    assert storage.decode(row(json.dumps(old))).choice.kind == "fixed"
    assert digest == storage._digest(spec, weights)


def test_rules_plus_model_writes_only_what_the_rules_did_not_code() -> None:
    from qualcode.suggest import learn
    from qualcode.suggest.corpus import Corpus
    from qualcode.suggest.features import Unit

    units = [Unit(f"t{i % 4}", i, 10 * i, 10 * i + 9, "respondent", "en", [w, "day"], [w, "day"])
             for i, w in enumerate(["wheat", "bus"] * 12)]
    pipe = learn.make_pipeline(families=("lemma",), min_positive=2)
    pipe.fit(units, np.array([[1], [0]] * 12), model__groups=[u.transcript for u in units], model__codes=["farming"])
    corpus = Corpus("sentence", units)
    target = np.arange(8)
    rules = np.zeros((8, 1), dtype=bool)
    rules[0] = True  # the rules already coded the first wheat unit
    wrote = learn._proposals(pipe, corpus, target, ["farming"], Choice([ADD], np.array([0.5])), rules)
    assert sorted(p["start"] for p in wrote) == [20, 40, 60]  # the other wheat units, not the rules' one
    alone = learn._proposals(pipe, corpus, target, ["farming"], Choice([MODEL], np.array([0.5])), rules)
    assert sorted(p["start"] for p in alone) == [0, 20, 40, 60]
    assert learn._proposals(pipe, corpus, target, ["farming"], Choice([RULES], np.array([np.nan])), rules) == []
