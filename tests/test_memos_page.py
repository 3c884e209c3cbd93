"""The Memos page through Streamlit's AppTest on a real SQLite project: the list, filters by
target and author, search, edit, delete with Undo, a new memo, the download; every change is
checked in the store, not only on the page."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from qualcode import Project

ROOT = Path(__file__).resolve().parent.parent
INTERVIEWS = ROOT / "interviews"


@pytest.fixture
def location(tmp_path: Path) -> Path:
    path = tmp_path / "p.qcdb"
    with Project.create(path) as p:
        assert p.import_files([INTERVIEWS / "kz01.txt", INTERVIEWS / "kz03.txt", INTERVIEWS / "cases.csv"]).ok
        p.load_codes(ROOT / "codebooks" / "migration.yaml")
        coding = p.add_coding("kz01", "push.unemployment", 0, 30, coder="aigerim", memo="inline: first words")
        p.add_memo("project", None, "Ask about housing first.", author="aigerim", title="Plan")
        p.add_memo("transcript", "kz01", "Жильё — главная тема.", author="dana")
        p.add_memo("transcript", "kz03", "Debt comes up twice.", author="aigerim")
        p.add_memo("coding", coding, "He says it twice.", author="dana")
    return path


def start(location: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("QUALCODE_PROJECT", str(location))
    monkeypatch.chdir(ROOT)
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    app.switch_page("qualcode/ui/views/memos.py").run()
    assert not app.exception, app.exception
    return app


def listed(app: AppTest) -> pd.DataFrame:
    frames = [d.value for d in app.dataframe if "memo" in d.value.columns]
    assert len(frames) == 1
    return frames[0]


def test_list_filter_search_edit_delete_undo_and_add(location: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = start(location, monkeypatch)
    table = listed(app)
    assert len(table) == 5  # four memos and the coding's inline one
    assert set(table["memo"]) >= {"Ask about housing first.", "Жильё — главная тема.", "inline: first words"}
    kz01 = table[table["about"] == "Transcript kz01"]
    assert kz01["open"].tolist() == ["/code?transcript=kz01"]  # the link to the workbench

    app.selectbox(key="memos_kind").set_value("transcript").run()
    app.selectbox(key="memos_target").set_value("kz03").run()
    assert listed(app)["memo"].tolist() == ["Debt comes up twice."]
    app.selectbox(key="memos_target").set_value("(any)").run()
    app.selectbox(key="memos_author").set_value("dana").run()
    assert listed(app)["memo"].tolist() == ["Жильё — главная тема."]
    app.selectbox(key="memos_kind").set_value("(any)").run()
    app.selectbox(key="memos_author").set_value("(any)").run()
    app.text_input(key="memos_search").set_value("ТЕМА").run()  # case-blind, Cyrillic
    assert listed(app)["memo"].tolist() == ["Жильё — главная тема."]

    with Project.open(location) as p:
        memo_id = int(p.memos("transcript", "kz01")["id"].item())
    assert app.selectbox(key="memos_pick").value == memo_id
    app.text_area(key=f"memos_edit_text_{memo_id}").set_value("Жильё и долги — главная тема.").run()
    app.button(key="memos_save").click().run()
    assert not app.exception, app.exception
    with Project.open(location) as p:
        assert p.memos("transcript", "kz01")["text"].item() == "Жильё и долги — главная тема."
    assert listed(app)["memo"].tolist() == ["Жильё и долги — главная тема."]

    app.button(key="memos_delete").click().run()
    with Project.open(location) as p:
        assert p.memos("transcript", "kz01").empty and len(p.memos(deleted=True)) == 1
    assert any(f"Memo {memo_id} was deleted" in i.value for i in app.info)
    app.button(key="memos_undo_button").click().run()
    with Project.open(location) as p:
        assert p.memos("transcript", "kz01")["text"].item() == "Жильё и долги — главная тема."

    app.text_input(key="memos_search").set_value("").run()
    app.sidebar.text_input(key="coder").set_value("marat").run()
    app.selectbox(key="memos_new_kind").set_value("case").run()
    app.selectbox(key="memos_new_target_case").set_value("KZ03").run()
    app.text_area(key="memos_new_text").set_value("Moved twice before 2020.").run()
    app.button(key="memos_add").click().run()
    assert not app.exception, app.exception
    with Project.open(location) as p:
        added = p.memos("case", "KZ03")
    assert added[["text", "author"]].values.tolist() == [["Moved twice before 2020.", "marat"]]
    assert "Case KZ03" in set(listed(app)["about"])


def test_a_bad_new_memo_shows_its_numbered_error(location: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = start(location, monkeypatch)
    app.selectbox(key="memos_new_kind").set_value("coding").run()
    app.number_input(key="memos_new_coding").set_value(999).run()
    app.text_area(key="memos_new_text").set_value("on nothing").run()
    app.button(key="memos_add").click().run()
    assert not app.exception, app.exception
    assert any("E414" in e.value and "999" in e.value for e in app.error)
    app.selectbox(key="memos_new_kind").set_value("project").run()
    app.text_area(key="memos_new_text").set_value("   ").run()
    app.button(key="memos_add").click().run()
    assert any("E417" in e.value for e in app.error)
    with Project.open(location) as p:
        assert len(p.memos(inline=False)) == 4  # nothing stored
