"""The Project, Codebook, Review and Retrieve pages through Streamlit's AppTest, on a real
SQLite copy of the sample project (edits are checked in the store, not only on the page)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from qualcode import Project

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
CODEBOOK = str(ROOT / "codebooks" / "migration.yaml")


@pytest.fixture(scope="session")
def coded_file(sample_project_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample project auto-coded once with the migration codebook (copy it to modify)."""
    path = tmp_path_factory.mktemp("coded_pages") / "coded.qcdb"
    shutil.copy(sample_project_file, path)
    with Project.open(path) as project:
        project.autocode(CODEBOOK)
    return path


def start(location: Path, monkeypatch: pytest.MonkeyPatch, page: str) -> AppTest:
    monkeypatch.setenv("QUALCODE_PROJECT", str(location))
    monkeypatch.chdir(ROOT)
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    app.switch_page(f"qualcode/ui/views/{page}.py").run()
    assert not app.exception, app.exception
    return app


@pytest.fixture
def coded_copy(coded_file: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "coded.qcdb"
    shutil.copy(coded_file, dest)
    return dest


def frame_with(app: AppTest, column: str) -> pd.DataFrame:
    """The page's table that has this column (AppTest does not look tables up by key)."""
    frames = [d.value for d in app.dataframe if column in d.value.columns]
    assert len(frames) == 1, [list(d.value.columns) for d in app.dataframe]
    return frames[0]


def plain(markdown: str) -> str:
    """Markdown as the reader sees it (the pages escape user text: "\\[E101\\]" reads "[E101]")."""
    return re.sub(r"\\(.)", r"\1", markdown)


def edits(rows: dict[int, dict[str, object]]) -> dict:
    """A data editor's state with these cell edits (row position -> column -> value)."""
    return {"edited_rows": rows, "added_rows": [], "deleted_rows": []}


def stored(location: Path, what: str, **kwargs: object) -> pd.DataFrame:
    with Project.open(location) as project:
        return getattr(project, what)(**kwargs)


# --- Project ------------------------------------------------------------------------------------------

def test_project_page_uploads_files_with_a_result_per_file(sample_copy: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    app = start(sample_copy, monkeypatch, "project")
    assert app.title[0].value == "Project"
    app.file_uploader[0].set_value([
        ("nurlan.txt", (DATA / "named_speakers.txt").read_bytes(), "text/plain"),
        ("empty.txt", b"", "text/plain"),
        ("kz01.txt", (ROOT / "interviews" / "kz01.txt").read_bytes(), "text/plain"),
    ]).run()
    app.button(key="project_import").click().run()
    assert not app.exception, app.exception
    results = frame_with(app, "status").set_index("file")
    assert results.loc["nurlan.txt", "status"] == "imported"
    assert results.loc["nurlan.txt", "transcripts"] == "nurlan"
    assert results.loc["empty.txt", "status"] == "failed" and "[E203]" in results.loc["empty.txt", "message"]
    assert results.loc["kz01.txt", "status"] == "skipped"  # already in the project: nothing changed
    assert "qualcode-upload-" not in " ".join(results["message"])  # the names, not the temporary folder
    assert any("E203" in e.value for e in app.error)
    transcripts = stored(sample_copy, "transcripts")
    assert len(transcripts) == 25 and "nurlan" in set(transcripts["transcript"])


def test_project_page_rejects_a_bad_attribute_and_saves_nothing(sample_copy: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    before = stored(sample_copy, "cases")
    app = start(sample_copy, monkeypatch, "project")
    editor = app.data_editor[0].value
    assert list(editor["case"][:2]) == ["KZ01", "KZ02"]
    app.session_state["project_attributes"] = edits({0: {"gender": "male"}, 1: {"age": "abc"}})
    app.button(key="project_save_attributes").click().run()
    assert not app.exception, app.exception
    message = plain(app.error[0].value)
    assert "E750" in message and "nothing was saved" in message
    assert "KZ02" in message and "age" in message and "abc" in message and "not a number" in message
    pd.testing.assert_frame_equal(stored(sample_copy, "cases"), before)


def test_project_page_saves_good_attribute_edits(sample_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = start(sample_copy, monkeypatch, "project")
    app.session_state["project_attributes"] = edits({1: {"age": "35"}, 0: {"programme": ""}})
    app.button(key="project_save_attributes").click().run()
    assert not app.exception, app.exception
    assert "2 value(s) changed" in app.success[0].value
    cases = stored(sample_copy, "cases").set_index("case")
    assert cases.loc["KZ02", "age"] == 35 and pd.isna(cases.loc["KZ01", "programme"])


def test_project_page_opens_and_creates_projects(sample_copy: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    app = start(sample_copy, monkeypatch, "project")
    app.text_input(key="project_open_path").input(str(tmp_path / "missing.qcdb"))
    app.button(key="project_open").click().run()
    assert not app.exception and "[E101]" in plain(app.error[0].value)
    assert app.session_state["project_location"] == str(sample_copy)  # still the open project
    new = tmp_path / "new.qcdb"
    app.text_input(key="project_new_path").input(str(new))
    app.button(key="project_create").click().run()
    assert not app.exception, app.exception
    assert new.exists() and app.session_state["project_location"] == str(new)
    assert {m.label: m.value for m in app.metric}["Transcripts"] == "0"
    assert str(new) in plain(app.sidebar.caption[0].value)  # escaped Markdown (user text is text)


# --- Codebook -------------------------------------------------------------------------------------------

def test_codebook_page_add_rename_delete_and_undo(coded_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = start(coded_copy, monkeypatch, "codebook")
    tree = frame_with(app, "codings")
    assert tree["code"].str.strip().tolist()[:2] == ["push", "push.unemployment"]

    app.text_input(key="codebook_new_id").input("push.debts")
    app.text_input(key="codebook_new_name").input("Debts at origin")
    app.selectbox(key="codebook_new_parent").set_value("push")
    app.button(key="codebook_add").click().run()
    assert not app.exception, app.exception
    assert "Added 'push.debts'" in plain(app.success[0].value)
    codes = stored(coded_copy, "codes").set_index("code")
    assert codes.loc["push.debts", "name"] == "Debts at origin" and codes.loc["push.debts", "parent"] == "push"

    assert app.selectbox(key="codebook_code").value == "push.debts"
    app.text_input(key="codebook_name_push.debts").input("Debts and loans")
    app.button(key="codebook_rename").click().run()
    assert stored(coded_copy, "codes").set_index("code").loc["push.debts", "name"] == "Debts and loans"

    # Deleting a code with codings asks for confirmation, says how many, and can be undone.
    before = stored(coded_copy, "codings")
    n = int((before["code"] == "push.unemployment").sum())
    app.selectbox(key="codebook_code").set_value("push.unemployment").run()
    app.button(key="codebook_delete").click().run()
    assert not app.exception, app.exception
    assert f"has {n} coding(s)" in plain(app.warning[0].value)
    assert len(stored(coded_copy, "codings")) == len(before)
    app.checkbox(key="codebook_confirm_push.unemployment").check().run()
    app.button(key="codebook_delete").click().run()
    assert not app.exception, app.exception
    assert f"with {n} coding" in plain(app.success[0].value)
    assert "push.unemployment" not in set(stored(coded_copy, "codings")["code"])
    assert "push.unemployment" not in set(frame_with(app, "codings")["code"].str.strip())
    app.button(key="codebook_undo_button").click().run()
    assert not app.exception, app.exception
    assert "Restored 'push.unemployment'" in plain(app.success[0].value)
    pd.testing.assert_frame_equal(stored(coded_copy, "codings"), before)


def test_codebook_page_takes_the_codes_of_a_codebook(sample_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = start(sample_copy, monkeypatch, "codebook")
    assert "No codes yet" in app.info[0].value
    app.button(key="codebook_load").click().run()
    assert not app.exception, app.exception
    assert len(frame_with(app, "codings")) == len(stored(sample_copy, "codes")) > 40
    assert stored(sample_copy, "codings").empty  # taking the codes codes nothing


def test_codebook_page_moves_merges_and_colours(coded_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = start(coded_copy, monkeypatch, "codebook")
    app.selectbox(key="codebook_code").set_value("push.family").run()
    app.selectbox(key="codebook_parent_push.family").set_value("pull")
    app.button(key="codebook_move").click().run()
    assert stored(coded_copy, "codes").set_index("code").loc["push.family", "parent"] == "pull"
    app.color_picker(key="codebook_color_push.family").pick("#00ff00")
    app.text_area(key="codebook_description_push.family").input("Family reasons")
    app.button(key="codebook_describe").click().run()
    row = stored(coded_copy, "codes").set_index("code").loc["push.family"]
    assert (row["color"], row["description"]) == ("#00ff00", "Family reasons")
    n = len(stored(coded_copy, "codings"))
    app.selectbox(key="codebook_merge_push.family").set_value("push.housing")
    app.button(key="codebook_merge").click().run()
    assert not app.exception, app.exception
    assert "Merged 'push.family' into 'push.housing'" in plain(app.success[0].value)
    after = stored(coded_copy, "codings")
    assert "push.family" not in set(after["code"]) and len(after) <= n
    assert app.selectbox(key="codebook_code").value == "push.housing"


def test_codebook_page_tests_rules_live(coded_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = stored(coded_copy, "codings")
    app = start(coded_copy, monkeypatch, "codebook")
    app.selectbox(key="codebook_rules_code").set_value("push.unemployment").run()
    rules = frame_with(app, "kind")
    assert {"en", "ru", "kk"} <= set(rules["lang"])
    app.selectbox(key="codebook_try_lang").set_value("ru")
    app.text_area(key="codebook_try_text").input("Работы в ауле не было, поэтому мы переехали.").run()
    assert not app.exception, app.exception
    tried = frame_with(app, "fate")
    assert "push.unemployment" in set(tried["code"])
    app.button(key="codebook_test_corpus").click().run()
    assert not app.exception, app.exception
    hits = frame_with(app, "sentence")
    assert len(hits) > 0 and set(hits["code"]) == {"push.unemployment"}
    russian = hits[hits["language"] == "ru"]
    assert russian["matched"].str.contains("работ", case=False).any()
    assert any("would code" in c.value for c in app.caption)
    one = rules.loc[rules["lang"] == "ru", "rule"].iloc[0]
    app.multiselect(key="codebook_rule_pick_push.unemployment").set_value([one]).run()
    app.button(key="codebook_test_corpus").click().run()
    assert not app.exception, app.exception
    assert set(frame_with(app, "sentence")["rule"]) == {one}
    pd.testing.assert_frame_equal(stored(coded_copy, "codings"), before)  # nothing written


def test_codebook_page_never_saves_an_invalid_codebook(coded_copy: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    own = tmp_path / "mine.yaml"
    shutil.copy(CODEBOOK, own)
    original = own.read_text(encoding="utf-8")
    app = start(coded_copy, monkeypatch, "codebook")
    app.text_input(key="codebook_rules_path").input(str(own)).run()
    assert app.text_area(key="codebook_yaml").value == original
    broken = original.replace("  - id: push.low_income\n", "  - id: push.unemployment\n", 1)
    assert broken != original
    app.text_area(key="codebook_yaml").input(broken).run()
    assert not app.exception, app.exception
    assert any("[E606]" in plain(e.value) and "line" in e.value for e in app.error)
    app.button(key="codebook_save").click().run()
    assert any("Not saved" in e.value for e in app.error)
    assert own.read_text(encoding="utf-8") == original
    edited = original.replace('name: Internal migration in Kazakhstan', 'name: My migration codebook', 1)
    app.text_area(key="codebook_yaml").input(edited).run()
    app.button(key="codebook_save").click().run()
    assert not app.exception, app.exception
    assert own.read_text(encoding="utf-8") == edited


# --- Review ---------------------------------------------------------------------------------------------

def test_review_page_accepts_and_rejects_ticked_suggestions(coded_copy: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    app = start(coded_copy, monkeypatch, "review")
    assert app.title[0].value == "Review"
    app.multiselect(key="review_codes").set_value(["push.unemployment"]).run()
    table = app.data_editor[0].value
    assert set(table["code"]) == {"push.unemployment"} and table["in context"].str.contains("⟦").all()
    queue = stored(coded_copy, "codings", status="suggested")
    first = queue[queue["code"] == "push.unemployment"].iloc[:3]

    # Without a coder name, nothing is stored and the page says why.
    app.session_state["review_table_0"] = edits({0: {"pick": True}, 1: {"pick": True}})
    app.button(key="review_accept").click().run()
    assert not app.exception, app.exception
    assert any("E753" in e.value for e in app.error)
    assert stored(coded_copy, "codings", status="accepted").empty

    app.sidebar.text_input(key="coder").input("aigerim").run()
    app.button(key="review_accept").click().run()
    assert not app.exception, app.exception
    assert "Accepted 2 suggestion(s) as aigerim" in plain(app.success[0].value)
    codings = stored(coded_copy, "codings").set_index("id")
    assert list(codings.loc[first["id"][:2], "status"]) == ["accepted", "accepted"]
    assert codings.loc[first["id"].iloc[2], "status"] == "suggested"

    # The accepted ones left the queue: the third is now first; reject it.
    assert app.data_editor[0].value.index[0] == first["id"].iloc[2]
    app.session_state["review_table_1"] = edits({0: {"pick": True}})
    app.button(key="review_reject").click().run()
    assert not app.exception, app.exception
    assert stored(coded_copy, "codings").set_index("id").loc[first["id"].iloc[2], "status"] == "rejected"


def test_review_page_filters_and_shows_context(coded_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = start(coded_copy, monkeypatch, "review")
    queue = stored(coded_copy, "codings", status="suggested")
    app.multiselect(key="review_transcripts").set_value(["kz03"])
    rule = sorted(queue.loc[queue["transcript"] == "kz03", "rule"])[0]
    app.multiselect(key="review_rules").set_value([rule]).run()
    table = app.data_editor[0].value
    expected = queue[(queue["transcript"] == "kz03") & (queue["rule"] == rule)]
    assert sorted(table.index) == sorted(expected["id"])
    assert any("**" in m.value for m in app.markdown)  # the coded words in bold, in their turn
    app.checkbox(key="review_no_confidence").uncheck().run()  # rule suggestions have no confidence
    assert any("No suggestion passes these filters" in i.value for i in app.info)


# --- Retrieve -------------------------------------------------------------------------------------------

def test_retrieve_page_state_program_said_by_women(coded_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = start(coded_copy, monkeypatch, "retrieve")
    app.multiselect(key="retrieve_codes").set_value(["pull.state_program"])
    app.multiselect(key="retrieve_attributes").set_value(["gender"]).run()
    app.multiselect(key="retrieve_values_gender").set_value(["female"]).run()
    assert not app.exception, app.exception
    shown = frame_with(app, "before")

    codings, cases = stored(coded_copy, "codings"), stored(coded_copy, "cases")
    women = cases.loc[cases["gender"] == "female", "case"]
    expected = codings[(codings["code"] == "pull.state_program") & codings["case"].isin(women)]
    assert len(shown) == len(expected) > 0
    assert set(zip(shown["transcript"], shown["start"], shown["end"], strict=True)) == \
        set(zip(expected["transcript"], expected["start"], expected["end"], strict=True))
    assert set(shown["gender"]) == {"female"} and set(shown["case"]) <= set(women)
    assert {m.label: m.value for m in app.metric}["Segments"] == str(len(expected))

    first = shown.iloc[0]
    bold = [m.value for m in app.markdown if m.value.count("**") == 2]
    assert bold and "**" in bold[0]
    links = [m.value for m in app.markdown if "/code?transcript=" in m.value] + \
        [p.proto.page + "?" + p.proto.query_string for p in app.get("page_link")]
    assert any(f"transcript={first['transcript']}" in link for link in links)
    assert app.get("download_button")


def test_retrieve_page_renders_markup_in_transcripts_as_text(sample_copy: Path, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    evil = "Interviewer: Hello.\nRespondent: I said <img src=x onerror=alert(1)> and <script>alert(2)</script> " \
           "and [click](javascript:alert(3)) and **not bold**.\n"
    (tmp_path / "evil.txt").write_text(evil, encoding="utf-8")
    with Project.open(sample_copy) as project:
        project.import_files([tmp_path / "evil.txt"])
        project.add_code("odd")
        turn = project.turns("evil").iloc[-1]
        csv = tmp_path / "codings.csv"
        pd.DataFrame([{"transcript": "evil", "code": "odd", "start": turn["start"], "end": turn["end"],
                       "text": turn["text"], "coder": "aigerim"}]).to_csv(csv, index=False)
        project.import_codings(csv)
    app = start(sample_copy, monkeypatch, "retrieve")
    app.multiselect(key="retrieve_codes").set_value(["odd"]).run()
    assert not app.exception, app.exception
    rendered = [m.value for m in app.markdown if "img" in m.value]
    assert len(rendered) == 1
    assert r"\<img src\=x onerror\=alert\(1\)\>" in rendered[0] and r"\<script\>" in rendered[0]
    assert r"\[click\]\(javascript\:alert\(3\)\)" in rendered[0] and r"\*\*not bold\*\*" in rendered[0]
