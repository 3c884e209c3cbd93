"""Where a rule run does its work: cached analyses of an older pipeline version are rebuilt,
and worker processes or a Dask cluster are used only from the corpus size where they pay
(qualcode/runs.py, POOL_MIN_WORDS and DASK_MIN_WORDS); below it the run codes in this
process and says so. Counts, not timings."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from qualcode import Project, runs
from qualcode.nlp import NLP_VERSION
from qualcode.store.schema import nlp_cache

CORPUS = Path(__file__).resolve().parent / "data" / "autocode"
V1 = CORPUS / "codebook_v1.yaml"


@pytest.fixture
def project(tmp_path: Path):
    with Project.create(tmp_path / "p.qcdb") as p:
        assert p.import_files(sorted(CORPUS.glob("*.txt"))).ok
        yield p


def test_analyses_of_an_older_pipeline_version_are_rebuilt(project: Project) -> None:
    first = project.autocode(V1)
    assert (first.analysed, first.cached) == (3, 0)
    # The project as the previous version (spaCy's tokenizer) left it: its analyses stored
    # under that version's string.
    with project.engine.begin() as conn:
        versions = set(conn.execute(select(nlp_cache.c.pipeline_version)).scalars())
        assert versions and all(v.startswith(f"qualcode-nlp-{NLP_VERSION}/") for v in versions)
        conn.execute(update(nlp_cache).values(pipeline_version=func.replace(
            nlp_cache.c.pipeline_version, f"qualcode-nlp-{NLP_VERSION}/", "qualcode-nlp-2/")))
    again = project.autocode(V1)
    assert (again.analysed, again.cached) == (3, 0)  # nothing of version 2 was reused
    assert again.counts == first.counts and again.added == {} and again.removed == {}
    third = project.autocode(V1)
    assert (third.analysed, third.cached) == (0, 3)


def test_workers_below_the_threshold_code_in_this_process(project: Project) -> None:
    pools = dict(runs.STARTED)
    run = project.autocode(V1, workers=2)
    assert pools == runs.STARTED  # no pool was started
    assert any(w.startswith("--workers 2:") and "coded in this process" in w for w in run.warnings), run.warnings
    assert f"{run.words:,} words to analyse" in " ".join(run.warnings)  # all of them: nothing was cached


def test_workers_from_the_threshold_use_a_pool(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runs, "POOL_MIN_WORDS", 1)
    pools = runs.STARTED["pool"]
    run = project.autocode(V1, workers=2)
    assert runs.STARTED["pool"] == pools + 1
    assert not any(w.startswith("--workers") for w in run.warnings)
    # With every analysis cached there is nothing to analyse: matching stays in this process.
    again = project.autocode(V1, workers=2)
    assert runs.STARTED["pool"] == pools + 1 and again.cached == 3


def test_plan() -> None:
    assert runs.plan(10, 2, None, 5)[0] == "process"
    assert runs.plan(runs.POOL_MIN_WORDS, 2, None, 5) == ("pool", None)
    assert runs.plan(runs.POOL_MIN_WORDS, 2, None, 1)[0] == "process"  # one transcript: nothing to share
    assert runs.plan(runs.POOL_MIN_WORDS * 10, 1, None, 5) == ("process", None)
    assert runs.plan(runs.DASK_MIN_WORDS, 1, "tcp://x:8786", 5) == ("dask", None)
    where, why = runs.plan(5, 1, "tcp://x:8786", 5)
    assert where == "process" and why.startswith("--scheduler: 5 words")
