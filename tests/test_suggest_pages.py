"""Learned suggestions in the browser, through Streamlit's AppTest: "Learn from coding" on the
Auto-code page, and origin, confidence order, "why" and "Code next" on the Review page. The
project is test_suggest's planted one (a real SQLite file); results are checked in the store."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from test_suggest import base  # noqa: F401  (the planted project, built once)

from qualcode import Project

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def proj(base: Path, tmp_path: Path) -> Path:  # noqa: F811
    dest = tmp_path / "p.qcdb"
    shutil.copy(base, dest)
    return dest


def start(location: Path, monkeypatch: pytest.MonkeyPatch, page: str) -> AppTest:
    monkeypatch.setenv("QUALCODE_PROJECT", str(location))
    monkeypatch.chdir(ROOT)
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    app.switch_page(f"qualcode/ui/views/{page}.py").run()
    assert not app.exception, app.exception
    return app


def test_autocode_page_learns_from_coding(proj: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = start(proj, monkeypatch, "autocode")
    assert app.multiselect(key="learn_coders").value == ["ann"]
    app.button(key="learn_evaluate").click().run()
    assert not app.exception, app.exception
    assert "Evaluation only" in app.success[0].value
    table = next(d.value for d in app.dataframe if "model_kappa" in d.value.columns)
    assert table.set_index("code").loc["farming", "model_kappa"] == 1.0
    with Project.open(proj) as p:
        assert p.runs().empty and p.codings(origin="model").empty  # evaluation wrote nothing

    app.button(key="learn_run").click().run()
    assert not app.exception, app.exception
    assert "wrote" in app.success[0].value
    with Project.open(proj) as p:
        got = p.codings(origin="model")
    assert set(got["transcript"]) == {"t5", "t6"} and set(got["status"]) == {"suggested"}


def test_autocode_page_says_what_is_wrong(proj: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = start(proj, monkeypatch, "autocode")
    app.number_input(key="learn_min_positive").set_value(50)
    app.button(key="learn_run").click().run()
    assert not app.exception, app.exception
    assert any("E905" in e.value for e in app.error)


def test_review_page_filters_model_suggestions_sorts_them_and_says_why(proj: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy import insert

    from qualcode.store import coding_queries as cq
    from qualcode.store.queries import now
    from qualcode.store.schema import codings

    with Project.open(proj) as p:
        p.suggest("ann")
        with p.engine.begin() as conn:  # one rule suggestion too, so there is something to filter out
            tid = next(r.id for r in cq.current_transcripts(conn, ["t6"]))
            conn.execute(insert(codings).values(
                transcript_id=tid, code_id=cq.code_ids(conn)["family"], start_offset=0, end_offset=10,
                origin="rule", rule_id="family/en/1", status="suggested", created_at=now(), updated_at=now()))
        model = p.codings(origin="model")
    app = start(proj, monkeypatch, "review")
    app.multiselect(key="review_origins").set_value(["model"]).run()
    assert not app.exception, app.exception
    table = app.data_editor[0].value
    assert sorted(table.index) == sorted(model["id"])
    assert table["confidence"].is_monotonic_decreasing
    assert table["why"].str.startswith("word 'wheat'").all()
    # Captions escape user text for Markdown ("\\'"): read them as the reader sees them.
    assert any("why: word 'wheat'" in re.sub(r"\\(.)", r"\1", c.value) for c in app.caption)


def test_review_page_lists_what_to_code_next(proj: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with Project.open(proj) as p:
        p.suggest("ann")
    app = start(proj, monkeypatch, "review")
    app.sidebar.text_input(key="coder").input("ann").run()
    app.button(key="review_next").click().run()
    assert not app.exception, app.exception
    frame = next(d.value for d in app.dataframe if "reason" in d.value.columns)
    assert len(frame) == 10 and set(frame["transcript"]) <= {"t5", "t6"}
    assert frame["link"].str.startswith("/code?transcript=t").all()
