"""Learned suggestions (issue 13): the interviewer's question as context, and when the tool trusts a model."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from qualcode.suggest.evaluation import choose
from qualcode.suggest.features import Unit, UnitFeatures


def _unit(turn: int, role: str, lemmas: list[str], rules: list[str] | None = None, name: str = "t1") -> Unit:
    return Unit(name, turn, 10 * turn, 10 * turn + 9, role, "en", lemmas, lemmas, rules or [])


def test_context_is_the_last_interviewer_question_before_the_unit() -> None:
    units = [_unit(0, "interviewer", ["why", "leave", "?"], ["rdc:push.unemployment"]),
             _unit(1, "respondent", ["no", "work"]),
             _unit(1, "respondent", ["we", "go"]),
             _unit(2, "interviewer", ["where", "live"]),
             _unit(3, "respondent", ["in", "dorm"]),
             _unit(0, "respondent", ["hello"], name="t2")]  # another transcript: no question before it
    features = UnitFeatures(families=("lemma", "context")).fit(units)
    X = features.transform(units).toarray()
    names = features.get_feature_names_out()

    def has(i: int) -> set[str]:
        return {str(n) for n in names[X[i] > 0] if str(n).startswith("q")}

    assert has(1) == has(2) == {"q:why", "q:leave", "qc:push.unemployment"}
    assert has(4) == {"q:where", "q:live"}
    assert has(0) == set() and has(5) == set()
    # Without the family nothing of the question leaks in.
    plain = UnitFeatures(families=("lemma",)).fit(units)
    assert not [n for n in plain.get_feature_names_out() if str(n).startswith("q")]


def _fitted(n_pos: int, min_positive: int) -> tuple[SimpleNamespace, np.ndarray, np.ndarray, np.ndarray]:
    """One code, 40 units in 40 turns: the model's out-of-fold guesses are perfect, the rules all wrong."""
    y = np.zeros(40, dtype=int)
    y[:n_pos] = 1
    model = SimpleNamespace(has_model_=np.array([True]), n_positive_=np.array([n_pos]), min_positive=min_positive,
                            oof_=y.astype(float).reshape(-1, 1), threshold_=np.array([0.5]))
    return model, y.reshape(-1, 1), (1 - y).astype(bool).reshape(-1, 1), np.arange(40)


def test_a_model_replaces_the_rules_only_with_enough_examples() -> None:
    model, Y, R, turns = _fitted(8, min_positive=5)
    assert not choose(model, Y, R, turns)[0]  # it wins by far, but 8 < 2 x 5 examples
    model, Y, R, turns = _fitted(10, min_positive=5)
    assert choose(model, Y, R, turns)[0]
    assert not choose(model, Y, R, turns, min_trust=11)[0]
    model, Y, _, turns = _fitted(10, min_positive=5)
    assert not choose(model, Y, Y.astype(bool), turns)[0]  # rules as good as the model: the rules stay


def test_a_model_with_question_context_is_stored_as_plain_data_and_read_back() -> None:
    from qualcode.suggest import CodeSuggester, storage

    units, labels = [], []
    for t in range(12):  # answers to "why leave" are coded, whatever their own words
        asked = ["why", "leave"] if t % 2 else ["where", "live"]
        units += [_unit(2 * t, "interviewer", asked, name=f"t{t % 4}"),
                  _unit(2 * t + 1, "respondent", ["we", "go", str(t)], name=f"t{t % 4}")]
        labels += [0, int(t % 2)]
    features = UnitFeatures(families=("lemma", "role", "context")).fit(units)
    est = CodeSuggester(min_positive=2, cv=2).fit(features.transform(units), np.array(labels).reshape(-1, 1),
                                                  groups=np.array([u.transcript for u in units]))
    spec, weights, digest = storage.encode(features, est, ["push"], np.array([True]), {})
    row = SimpleNamespace(id=1, run_id=1, format=storage.FORMAT, spec=spec, weights=weights, sha256=digest,
                          training_sha256="x")
    back = storage.decode(row)
    assert back.features.families == ("lemma", "role", "context")
    assert np.array_equal(back.estimator.predict_proba(back.features.transform(units)),
                          est.predict_proba(features.transform(units)))
    assert est.predict(features.transform(units)).ravel().tolist() == labels
