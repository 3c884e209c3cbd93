"""The codebook's example and include texts as weak positive examples of the learned model (issue 13)."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from qualcode import Project
from qualcode.codebook import loads
from qualcode.store.schema import models
from qualcode.suggest import CodeSuggester, UnitFeatures, storage
from qualcode.suggest.codebook_texts import codebook_units
from qualcode.suggest.features import Unit

BOOK = """
name: Farming
version: "1"
languages: [en, ru]
codes:
  - id: farming
    name: Farming at origin
    include: Growing barley or keeping sheep.
    examples:
      - "We sowed barley every spring."
      - "Мы сеяли пшеницу."
    rules:
      en:
        - phrase: [barley]
  - id: family
    name: Family
    examples:
      - "My aunt lived with us."
"""


def _units(word: str | None, n: int, rng: random.Random, name: str = "t") -> list[Unit]:
    out = []
    for i in range(n):
        lemmas = rng.sample(["river", "bus", "winter", "read", "kind", "school", "aunt", "road", "cook", "spring"], 4)
        if word:
            lemmas.insert(rng.randrange(5), word)
        out.append(Unit(f"{name}{i % 6}", i, 0, 1, "respondent", "en", lemmas, lemmas))
    return out


def test_codebook_texts_become_units_with_their_code_and_rule_hits() -> None:
    book = loads(BOOK)
    texts = codebook_units(book, ["family", "farming"])
    by_text = {" ".join(u.forms): (u, row) for u, row in zip(texts.units, texts.Y, strict=True)}
    assert len(by_text) == 4  # two examples and the include text of farming, one example of family
    barley, row = by_text["we sowed barley every spring ."]
    assert (barley.lang, barley.role) == ("en", "respondent")
    assert row.tolist() == [-1, 1]  # positive for its code, unknown for the others
    assert "r:farming/en/1" in barley.rules and "rc:farming" in barley.rules
    wheat, row = by_text["мы сеяли пшеницу ."]
    assert wheat.lang == "ru" and "сеять" in wheat.lemmas and row.tolist() == [-1, 1]
    assert by_text["my aunt lived with us ."][1].tolist() == [1, -1]
    assert codebook_units(book, ["family"]).Y.shape == (1, 1)
    assert codebook_units(None, ["farming"]).units == []
    # The hash follows the texts, so a model trained with other texts is stale.
    assert texts.sha256 == codebook_units(loads(BOOK), ["family", "farming"]).sha256
    assert texts.sha256 != codebook_units(loads(BOOK.replace("every spring", "each spring")),
                                          ["family", "farming"]).sha256


def test_weak_examples_give_a_code_with_few_coded_units_a_model_and_are_never_scored() -> None:
    rng = random.Random(3)
    coded = _units("wheat", 3, rng) + _units(None, 60, rng)
    weak = _units("wheat", 4, rng, name="codebook:")
    units = coded + weak
    Y = np.array([1] * 3 + [0] * 60 + [1] * 4).reshape(-1, 1)
    mask = np.r_[np.zeros(len(coded), dtype=bool), np.ones(len(weak), dtype=bool)]
    features = UnitFeatures().fit(units)
    X = features.transform(units)
    groups = [u.transcript for u in units]
    without = CodeSuggester(min_positive=5, random_state=0).fit(X[: len(coded)], Y[: len(coded)], groups[: len(coded)])
    assert not without.has_model_[0]  # 3 coded units, fewer than 5
    model = CodeSuggester(min_positive=5, random_state=0).fit(X, Y, groups, weak=mask)
    assert model.has_model_[0] and model.n_positive_[0] == 3  # n_positive_ counts coded units only
    assert model.oof_.shape == (len(coded), 1)  # the weak rows get no out-of-fold score
    fresh = _units("wheat", 5, random.Random(8)) + _units(None, 5, random.Random(9))
    assert model.predict(features.transform(fresh))[:, 0].tolist() == [1] * 5 + [0] * 5
    # A weak example counts less than a coded unit, and the fit is deterministic.
    heavy = CodeSuggester(min_positive=5, random_state=0, weak_weight=2.0).fit(X, Y, groups, weak=mask)
    again = CodeSuggester(min_positive=5, random_state=0).fit(X, Y, groups, weak=mask)
    w = features.vocabulary_.index("w:wheat")
    assert heavy.coef_[0, w] > model.coef_[0, w]
    assert np.array_equal(model.coef_, again.coef_)
    # Too few coded units for calibration: no model, however many texts.
    Y1 = Y.copy()
    Y1[1:3] = 0
    assert not CodeSuggester(min_positive=5, random_state=0).fit(X, Y1, groups, weak=mask).has_model_[0]
    with pytest.raises(ValueError, match="pooled"):
        CodeSuggester(pooled=True).fit(X, Y, groups, feature_names=features.vocabulary_, codes=["c"], weak=mask)


def test_a_model_stored_before_codebook_texts_still_loads() -> None:
    rng = random.Random(1)
    units = _units("wheat", 10, rng) + _units(None, 30, rng)
    features = UnitFeatures().fit(units)
    est = CodeSuggester(random_state=0).fit(features.transform(units), np.array([1] * 10 + [0] * 30))
    spec, weights, _digest = storage.encode(features, est, ["farming"], est.has_model_, {})
    old = json.loads(spec)
    for key in ("weak_weight", "min_coded"):
        del old["estimator"][key]
    text = json.dumps(old, ensure_ascii=False, sort_keys=True)
    row = type("Row", (), {"id": 1, "run_id": 1, "format": storage.FORMAT, "spec": text, "weights": weights,
                           "sha256": storage._digest(text, weights), "training_sha256": "x"})()
    loaded = storage.decode(row)
    assert loaded.estimator.get_params()["weak_weight"] == 0.5
    assert np.array_equal(loaded.estimator.predict_proba(features.transform(units)), est.predict_proba(
        features.transform(units)))


def test_a_suggest_run_learns_from_the_codebook_texts(tmp_path: Path) -> None:
    """On a real project: the stored model knows a word only the codebook's example has."""
    folder = tmp_path / "t"
    folder.mkdir()
    for i, town in enumerate(["Taraz", "Shymkent", "Turkistan"]):
        (folder / f"t{i}.txt").write_text(
            f"Interviewer: How was it in {town}?\n\nRespondent: We grew wheat. The winters were long. "
            "My aunt was kind.\n\nInterviewer: And then?\n\nRespondent: The road was bad. "
            "The wheat harvest was poor.\n", encoding="utf-8")
    book = tmp_path / "farming.yaml"
    book.write_text(BOOK, encoding="utf-8")
    path = tmp_path / "p.qcdb"
    with Project.create(path) as p:
        assert p.import_files(sorted(folder.glob("*.txt"))).ok
        p.add_code("farming")
        for name in ("t0", "t1"):
            text = p.transcript_text(name)
            for sentence in ("We grew wheat.", "The wheat harvest was poor."):
                s = text.index(sentence)
                p.add_coding(name, "farming", s, s + len(sentence), coder="ann")
        run = p.suggest("ann", codebook=book, min_positive=3, dry_run=False)
        assert "farming" not in run.skipped
        # the table's "examples needed for a model" note is for exactly the codes without a model
        rows = run.table[run.table["code"] != "(all codes)"]
        assert {r.code for r in rows.itertuples() if "needed for a model" in r.verdict} == set(run.skipped)
        with p.engine.connect() as conn:
            spec = json.loads(conn.execute(select(models.c.spec)).scalar_one())
    assert "w:barley" in spec["vocabulary"]  # from the codebook's example and include text only
    copy = tmp_path / "q.qcdb"
    shutil.copy(path, copy)
    with Project.open(copy) as q:
        other = tmp_path / "other.yaml"
        other.write_text(BOOK.replace("every spring", "each spring"), encoding="utf-8")
        assert q.suggest("ann", codebook=other, min_positive=3, dry_run=True).training_sha256 != run.training_sha256


def test_the_verdict_says_examples_are_needed_only_for_a_code_without_a_model() -> None:
    """Two coded units and the codebook's texts can make the five a model needs: then the rules
    were chosen over a model, not for want of one."""
    from qualcode.suggest.evaluation import verdict

    assert verdict(0.7, "rules", 2, 5, modelled=True) == "rules: review"
    assert verdict(0.7, "rules", 2, 5, modelled=False) == "rules (2 of 5 examples needed for a model): review"
    assert verdict(0.9, "model", 7, 5, modelled=True) == "model: reliable"
