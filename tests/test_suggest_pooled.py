"""The pooled model (`CodeSuggester(pooled=True)`): one regression over (unit, code) pairs."""

from __future__ import annotations

import random
from types import SimpleNamespace

import numpy as np
import pytest
from sklearn.base import clone

from qualcode.suggest import storage
from qualcode.suggest.features import Unit
from qualcode.suggest.learn import make_pipeline

CODES = [f"topic{j}" for j in range(8)]
FILLER = ["river", "bus", "winter", "read", "kind", "school", "aunt", "road", "cook", "spring"]


def shared_pattern(n: int, rng: random.Random) -> tuple[list[Unit], np.ndarray]:
    """Units where a code's rule fires now and then; the coder codes it exactly when the rule
    fired and the respondent speaks, never for the interviewer. Each code alone sees few examples."""
    units, Y = [], np.zeros((n, len(CODES)), dtype=int)
    for i in range(n):
        role = "respondent" if i % 3 else "interviewer"
        rules: list[str] = []
        for j, code in enumerate(CODES):
            if rng.random() < 0.04:
                rules += [f"r:{code}/en/1", f"rc:{code}"]
                Y[i, j] = int(role == "respondent")
        lemmas = rng.sample(FILLER, 4)
        units.append(Unit(f"t{i % 8}", i, 0, 1, role, "en", lemmas, lemmas, rules))
    return units, Y


def fit(units: list[Unit], Y: np.ndarray, seed: int = 0, turn_rules: bool = False):
    pipe = make_pipeline(pooled=True, min_positive=3, seed=seed, turn_rules=turn_rules)
    return pipe.fit(units, Y, model__groups=[u.transcript for u in units], model__codes=CODES)


def test_pooled_model_recovers_a_pattern_shared_across_codes() -> None:
    # 3-8 examples per code: with these, one model per code misses 4 of the fresh units' codings.
    units, Y = shared_pattern(180, random.Random(1))
    positives = Y.sum(axis=0)
    assert positives.max() <= 8 and positives.min() >= 3
    pipe = fit(units, Y)
    model = pipe.named_steps["model"]
    assert model.has_model_.all()
    fresh, Yf = shared_pattern(300, random.Random(4))
    assert Yf.sum() > 20 and (Yf == 0).any()
    assert np.array_equal(pipe.predict(fresh), Yf)
    # The shared evidence shows in every code's collapsed weights: its own rule, not another's.
    vocab = list(pipe.named_steps["features"].vocabulary_)
    for j, code in enumerate(CODES):
        own = model.coef_[j, vocab.index(f"rc:{code}")]
        other = model.coef_[j, vocab.index(f"rc:{CODES[(j + 1) % len(CODES)]}")]
        assert own > 1.0 and abs(other) < own / 4


def test_pooled_model_is_deterministic_and_clonable() -> None:
    units, Y = shared_pattern(200, random.Random(5))
    a, b = fit(units, Y, seed=2), fit(units, Y, seed=2)
    assert np.array_equal(a.named_steps["model"].coef_, b.named_steps["model"].coef_)
    assert np.array_equal(a.predict_proba(units), b.predict_proba(units))
    model = a.named_steps["model"]
    assert clone(model).get_params() == model.get_params() and model.get_params()["pooled"] is True


def test_pooled_model_needs_the_codes() -> None:
    units, Y = shared_pattern(100, random.Random(6))
    with pytest.raises(ValueError, match="codes"):
        make_pipeline(pooled=True).fit(units, Y, model__groups=[u.transcript for u in units])


def test_a_pooled_model_with_turn_rules_is_stored_as_plain_data_and_gives_the_same_answers() -> None:
    units, Y = shared_pattern(200, random.Random(7))
    pipe = fit(units, Y, turn_rules=True)
    features, model = pipe.named_steps["features"], pipe.named_steps["model"]
    assert any(f.startswith("trc:") for f in features.vocabulary_)
    spec, weights, digest = storage.encode(features, model, CODES, model.has_model_, {})
    row = SimpleNamespace(id=1, run_id=1, format=storage.FORMAT, spec=spec, weights=weights, sha256=digest,
                          training_sha256="x")
    stored = storage.decode(row)
    assert stored.features.turn_rules is True and stored.estimator.get_params() == model.get_params()
    fresh, _ = shared_pattern(100, random.Random(8))
    again = stored.estimator.predict_proba(stored.features.transform(fresh))
    assert np.allclose(again, pipe.predict_proba(fresh), atol=1e-6)
