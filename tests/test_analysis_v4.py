"""Analyses of pipeline version 4 (issue 17): the same tokens, forms, lemmas and sentences as the
code before (recorded in tests/data/analysis_v3.json by tests/data/make_analysis_fixture.py),
whether the process's tables and lemma cache are cold, warm or loaded from a project; the
stored form round-trips exactly; caches of version 3 are rebuilt, not read."""

from __future__ import annotations

import gzip
import json
import zlib
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select, update

from qualcode import Project
from qualcode.lemmas import EN_NOUNS, Lemmatiser, _english_table
from qualcode.nlp import NLP_VERSION, Analysis, Pipeline
from qualcode.store.schema import nlp_cache

DATA = Path(__file__).resolve().parent / "data"
RECORDED = json.loads((DATA / "analysis_v3.json").read_text(encoding="utf-8"))


def _rows(a: Analysis) -> list[list]:
    return [[s, e, a.strings[lo], a.strings[le], sent] for s, e, lo, le, sent in zip(
        a.start.tolist(), a.end.tolist(), a.lower.tolist(), a.lemma.tolist(), a.sent.tolist(), strict=True)]


@pytest.mark.parametrize("lang", sorted(RECORDED))
def test_same_analysis_as_version_3_cold_warm_and_persisted(lang: str) -> None:
    cold = Pipeline(lang)  # fresh tables and an empty lemma cache
    for item in RECORDED[lang]:
        assert _rows(cold.analyse_text(item["text"])) == item["tokens"]
    for item in RECORDED[lang]:  # warm: every chunk and form known
        assert _rows(cold.analyse_text(item["text"])) == item["tokens"]
    persisted = Pipeline(lang)  # a new process that loads the project's lemma cache
    persisted.load_cache(cold.dump_cache())
    assert persisted.cache == cold.cache
    for item in reversed(RECORDED[lang]):
        assert _rows(persisted.analyse_text(item["text"])) == item["tokens"]
    assert persisted.new_forms == 0  # nothing had to be lemmatised again


def test_stored_form_round_trips_every_width() -> None:
    """Offsets past 65,535, more than 65,535 strings and a start that goes back are kept exactly."""
    rng = np.random.default_rng(0)
    n = 70_000
    strings = [f"w{i}" for i in range(n)]
    start = np.cumsum(rng.integers(1, 9, n)).astype(np.int32)
    start[5] = start[4]  # two tokens at one offset: a difference of 0
    a = Analysis(strings, rng.integers(0, n, n).astype(np.int32), rng.integers(0, n, n).astype(np.int32),
                 start, start + rng.integers(1, 300, n).astype(np.int32),
                 np.repeat(np.arange(n // 10), 10).astype(np.int32), np.zeros(n, dtype=np.int32))
    small = Pipeline("en").analyse_text("I don't know.\nMaybe — yes!")
    for original in (a, small, Pipeline("en").analyse_text("")):
        back = Analysis.from_bytes(original.to_bytes())
        assert back.strings == original.strings
        for field in ("lower", "lemma", "start", "end", "sent", "turn"):
            got, want = getattr(back, field), getattr(original, field)
            assert got.dtype == np.int32 and got.tolist() == want.tolist(), field


def test_english_lemmas_are_spacys_lookup_table() -> None:
    """The table read from spacy-lookups-data's file is the one spaCy's load_lookups builds."""
    from spacy.lookups import load_lookups

    table = load_lookups("en", ["lemma_lookup"]).get_table("lemma_lookup")
    lem = Lemmatiser("en")
    forms = sorted({k.lower() for k in _english_table()} | set(EN_NOUNS) | {"unknownword", "n't", "'s"})
    expected = []
    for form in forms:  # what the code before computed, through spaCy's Table
        lemma = EN_NOUNS.get(form) or table.get(form, form)
        expected.append(lemma.lower() if isinstance(lemma, str) else form)
    assert lem.many(forms) == expected


def test_lemma_cache_dumps_append_and_load_back() -> None:
    lem = Lemmatiser("ru")
    lem.many(["работу", "нашли"])
    first = lem.dump_cache()
    lem.many(["искали", "работу"])
    second = lem.dump_cache()
    assert second.startswith(first) and len(second) > len(first)  # only the new form was encoded
    assert lem.dump_cache() == second  # nothing new: the same bytes
    back = Lemmatiser("ru")
    back.load_cache(second)
    assert back.cache == lem.cache and back.cache["работу"] == "работа"
    # A cache loaded into a pipeline that already has forms: the next dump has both.
    other = Lemmatiser("ru")
    other.many(["ещё"])
    other.load_cache(first)
    again = Lemmatiser("ru")
    again.load_cache(other.dump_cache())
    assert again.cache == other.cache and set(again.cache) == {"работу", "нашли", "ещё"}


def test_caches_of_version_3_are_rebuilt_not_read(tmp_path: Path) -> None:
    corpus = DATA / "autocode"
    with Project.create(tmp_path / "p.qcdb") as project:
        assert project.import_files(sorted(corpus.glob("*.txt"))).ok
        first = project.autocode(corpus / "codebook_v1.yaml")
        # The project as version 3 left it: zlib-compressed analyses and JSON lemma caches.
        with project.engine.begin() as conn:
            conn.execute(update(nlp_cache).values(
                pipeline_version=func.replace(nlp_cache.c.pipeline_version, f"qualcode-nlp-{NLP_VERSION}/",
                                              "qualcode-nlp-3/"),
                data=zlib.compress(gzip.compress(b"version 3 bytes"))))
        again = project.autocode(corpus / "codebook_v1.yaml")
        assert (again.analysed, again.cached) == (3, 0)
        assert again.counts == first.counts and again.added == {} and again.removed == {}
        with project.engine.connect() as conn:
            versions = set(conn.execute(select(nlp_cache.c.pipeline_version)).scalars())
        assert any(v.startswith(f"qualcode-nlp-{NLP_VERSION}/") for v in versions)
