"""The pooled model (`CodeSuggester(pooled=True)`): one regression over (unit, code) pairs."""

from __future__ import annotations

import random

import numpy as np
import pytest
from sklearn.base import clone

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


def fit(units: list[Unit], Y: np.ndarray, seed: int = 0):
    pipe = make_pipeline(pooled=True, min_positive=5, seed=seed)
    return pipe.fit(units, Y, model__groups=[u.transcript for u in units], model__codes=CODES)


def test_pooled_model_recovers_a_pattern_shared_across_codes() -> None:
    units, Y = shared_pattern(400, random.Random(3))
    positives = Y.sum(axis=0)
    assert positives.max() <= 12 and positives.min() >= 5  # few examples per code, all above the minimum
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
