"""The Audit page and the Codebook page's conflict message, through Streamlit's AppTest on real
SQLite copies of the sample project (issue 16.3)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from qualcode import Project

ROOT = Path(__file__).resolve().parent.parent
CODEBOOK = ROOT / "codebooks" / "migration.yaml"


@pytest.fixture
def coded(sample_project_file: Path, tmp_path: Path) -> Path:
    path = tmp_path / "coded.qcdb"
    shutil.copy(sample_project_file, path)
    with Project.open(path) as p:
        p.load_codes(CODEBOOK, actor="lead")
    return path


def start(location: Path, monkeypatch: pytest.MonkeyPatch, page: str, coder: str = "") -> AppTest:
    monkeypatch.setenv("QUALCODE_PROJECT", str(location))
    monkeypatch.chdir(ROOT)
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    if coder:
        app.session_state["coder"] = coder
    app.run()
    app.switch_page(f"qualcode/ui/views/{page}.py").run()
    assert not app.exception, app.exception
    return app


def shown(app: AppTest):
    frames = [d.value for d in app.dataframe if "actor" in d.value.columns]
    assert len(frames) == 1
    return frames[0]


def test_audit_page_lists_filters_and_exports(coded: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with Project.open(coded) as p:
        keep = p.add_coding("kz03", "push.family", 0, 5, coder="aigerim")
        gone = p.add_coding("kz03", "push.family", 10, 15, coder="dana")
        p.delete_coding(gone, coder="dana")
    app = start(coded, monkeypatch, "audit")
    assert app.title[0].value == "Audit log"
    table = shown(app)
    # Newest first; the sample's imports (and its codes) come before.
    assert table["action"].tolist()[:4] == ["coding.delete", "coding.add", "coding.add", "code.load"]
    assert "import" in set(table["action"])
    app.selectbox(key="audit_action").set_value("coding.delete").run()
    table = shown(app)
    assert table[["actor", "action", "target"]].values.tolist() == [["dana", "coding.delete", str(gone)]]
    app.selectbox(key="audit_action").set_value("coding").run()
    app.selectbox(key="audit_actor").set_value("aigerim").run()
    assert shown(app)[["actor", "target"]].values.tolist() == [["aigerim", str(keep)]]
    assert not app.exception
    assert app.get("download_button")  # the CSV of what is shown


def plain(markdown: str) -> str:
    """Markdown as the reader sees it (the pages escape user text)."""
    return re.sub(r"\\(.)", r"\1", markdown)


def test_codebook_page_refuses_an_edit_made_on_a_stale_page(coded: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = start(coded, monkeypatch, "codebook", coder="aigerim")
    second = start(coded, monkeypatch, "codebook", coder="dana")
    for app, name in ((first, "Family ties"), (second, "Kin")):
        app.selectbox(key="codebook_code").set_value("push.family").run()
        app.text_input(key="codebook_name_push.family").input(name)
    first.button(key="codebook_rename").click().run()
    assert not first.error, [e.value for e in first.error]
    second.button(key="codebook_rename").click().run()  # its page still shows the codes before the rename
    errors = [plain(e.value) for e in second.error]
    assert len(errors) == 1 and "[E550]" in errors[0]
    assert "code.change of 'push.family' by aigerim" in errors[0] and "nothing of theirs was overwritten" in errors[0]
    with Project.open(coded) as p:
        assert p.codes().set_index("code").loc["push.family", "name"] == "Family ties"
        assert p.audit(action="code.change")["actor"].tolist() == ["aigerim"]
    # The refusal redrew the page with the codes as they are now: the same edit, made again, is saved.
    second.text_input(key="codebook_name_push.family").input("Kin")
    second.button(key="codebook_rename").click().run()
    assert not second.error, [e.value for e in second.error]
    with Project.open(coded) as p:
        assert p.codes().set_index("code").loc["push.family", "name"] == "Kin"
        assert p.audit(action="code.change")["actor"].tolist() == ["dana", "aigerim"]


def test_codebook_page_refuses_to_save_over_a_file_saved_meanwhile(coded: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    mine = coded.parent / "study.yaml"
    shutil.copy(CODEBOOK, mine)
    app = start(coded, monkeypatch, "codebook", coder="dana")
    app.text_input(key="codebook_rules_path").input(str(mine)).run()
    loaded = app.text_area(key="codebook_yaml").value
    theirs = loaded + "\n# aigerim's edit\n"
    mine.write_text(theirs, encoding="utf-8")  # another owner saved the file meanwhile
    app.text_area(key="codebook_yaml").input(loaded + "\n# dana's edit\n").run()
    app.button(key="codebook_save").click().run()
    errors = [plain(e.value) for e in app.error]
    assert len(errors) == 1 and "[E554]" in errors[0] and "Nothing was overwritten" in errors[0]
    assert mine.read_text(encoding="utf-8") == theirs


def test_imports_and_recodes_from_the_browser_name_the_coder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    location = tmp_path / "study.qcdb"
    Project.create(location).close()
    app = start(location, monkeypatch, "project", coder="lead")
    app.file_uploader[0].set_value([("kz03.txt", (ROOT / "interviews" / "kz03.txt").read_bytes(), "text/plain")])
    app.run()
    app.button(key="project_import").click().run()
    app.switch_page("qualcode/ui/views/autocode.py").run()
    app.button(key="autocode_run").click().run()
    assert not app.exception, app.exception
    with Project.open(location) as p:
        log = p.audit()
    assert log[["actor", "action", "target"]].values.tolist()[::-1][:2] == [["lead", "import", "kz03"],
                                                                           ["lead", "recode", "1"]]


def test_codebook_page_fields_follow_the_store_unless_typed_into(coded: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Streamlit keeps a keyed field's text when the code changes under it: the page refills
    untouched fields from the store, and refuses an edit typed over someone else's change."""
    app = start(coded, monkeypatch, "codebook", coder="dana")
    app.selectbox(key="codebook_code").set_value("push.family").run()
    with Project.open(coded) as p:  # another owner describes the code meanwhile
        p.set_code("push.family", description="Family reasons to leave", actor="aigerim")
    app.run()  # any rerun of this page (another click)
    assert app.text_area(key="codebook_description_push.family").value == "Family reasons to leave"
    app.color_picker(key="codebook_color_push.family").pick("#112233")
    app.button(key="codebook_describe").click().run()
    assert not app.error, [e.value for e in app.error]
    with Project.open(coded) as p:
        row = p.codes().set_index("code").loc["push.family"]
    assert (row["description"], row["color"]) == ("Family reasons to leave", "#112233")

    app.text_area(key="codebook_description_push.family").input("Kin and family").run()  # typed, not saved
    with Project.open(coded) as p:
        p.set_code("push.family", description="Family, kin and obligations", actor="aigerim")
    app.run()
    assert "Someone else changed 'push.family'" in plain(app.warning[0].value)
    assert app.text_area(key="codebook_description_push.family").value == "Kin and family"  # their text is kept
    app.button(key="codebook_describe").click().run()
    assert "[E550]" in plain(app.error[0].value)
    assert app.text_area(key="codebook_description_push.family").value == "Family, kin and obligations"
    with Project.open(coded) as p:
        assert p.codes().set_index("code").loc["push.family", "description"] == "Family, kin and obligations"
