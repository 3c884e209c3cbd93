"""Coding by hand: the Project API (add, update, delete, restore codings), offsets between the
browser (UTF-16) and the store (code points), the workbench's actions and undo, and the Code
page's Python side through AppTest (which cannot run the component's JavaScript: the tests
send the trigger value the JavaScript would send). The browser itself: tests/e2e."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from streamlit.proto.WidgetStates_pb2 import WidgetState
from streamlit.testing.v1 import AppTest

from qualcode import Project
from qualcode.codebook import loads
from qualcode.coding import Step, Utf16Offsets, apply_action, undo
from qualcode.errors import QualcodeError


def plain(markdown: str) -> str:
    """Markdown as the reader sees it: the pages escape user text ("\\[E101\\]" reads "[E101]")."""
    return re.sub(r"\\(.)", r"\1", markdown)

ROOT = Path(__file__).resolve().parent.parent
XSS = ROOT / "tests" / "data" / "workbench" / "xss_ru.txt"
CODEBOOK = """
name: Workbench test
version: "1"
languages: [ru]
codes:
  - id: move
    name: Moving
    color: "#1f77b4"
  - id: move.family
    name: Family moves too
    color: "#2ca02c"
  - id: housing
    name: Housing
    color: "#d62728"
    rules:
      ru:
        - phrase: [жильё, квартира]
          negation: false
"""


def span(text: str, words: str) -> tuple[int, int]:
    start = text.index(words)
    return start, start + len(words)


@pytest.fixture(scope="module")
def small_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The CRLF/emoji/XSS transcript, auto-coded with a tiny codebook (so codes and two
    housing suggestions exist)."""
    path = tmp_path_factory.mktemp("workbench") / "small.qcdb"
    with Project.create(path) as p:
        assert p.import_files([XSS]).ok
        run = p.autocode(loads(CODEBOOK, "workbench.yaml"))
        assert run.counts.get("housing", 0) >= 1
    return path


@pytest.fixture
def small(small_file: Path, tmp_path: Path):
    dest = tmp_path / "small.qcdb"
    shutil.copy(small_file, dest)
    with Project.open(dest) as p:
        yield p


# --- offsets ---------------------------------------------------------------------------------------

def test_utf16_offsets_round_trip_on_cyrillic_and_emoji() -> None:
    text = "Зима 🥶 и жильё 👨\u200d👩\u200d👧!"
    offsets = Utf16Offsets(text)
    assert offsets.length16 == len(text.encode("utf-16-le")) // 2
    for i in range(len(text) + 1):
        u = offsets.to_utf16(i)
        assert u == len(text[:i].encode("utf-16-le")) // 2  # what JavaScript's string index is
        assert offsets.from_utf16(u) == i and offsets.from_utf16(u, end=True) == i
    inside = offsets.to_utf16(text.index("🥶")) + 1  # between the two halves of the emoji
    assert offsets.from_utf16(inside) == text.index("🥶")
    assert offsets.from_utf16(inside, end=True) == text.index("🥶") + 1
    assert offsets.from_utf16(10_000) == len(text) and offsets.from_utf16(-3) == 0


# --- the Project API ---------------------------------------------------------------------------------

def test_add_coding_stores_exact_offsets_and_survives_reopening(small: Project) -> None:
    text = small.transcript_text("xss_ru")
    assert "\r" not in text  # CRLF normalised at import
    start, end = span(text, "всей семьёй. <img src=x onerror=alert(1)>")
    coding_id = small.add_coding("xss_ru", "move", start, end, coder="aigerim", memo="важно")
    location = small.location
    small.close()
    with Project.open(location) as again:  # a server restart: everything is in the file
        row = again.codings(["xss_ru"], origin="manual").set_index("id").loc[coding_id]
    assert (row["start"], row["end"], row["text"]) == (start, end, "всей семьёй. <img src=x onerror=alert(1)>")
    assert (row["code"], row["coder"], row["status"], row["origin"], row["memo"]) == (
        "move", "aigerim", "accepted", "manual", "важно")


def test_two_sessions_adding_at_once_each_keep_their_coding(small: Project) -> None:
    with Project.open(small.location) as other_tab:
        text = small.transcript_text("xss_ru")
        a = small.add_coding("xss_ru", "move", *span(text, "Переехали"), coder="aigerim")
        b = other_tab.add_coding("xss_ru", "move", *span(text, "Переехали"), coder="dana")
    manual = small.codings(["xss_ru"], origin="manual")
    assert sorted(manual["id"]) == sorted([a, b]) and set(manual["coder"]) == {"aigerim", "dana"}


@pytest.mark.parametrize(("args", "kwargs", "code"), [
    (("xss_ru", "move", 0, 5), {"coder": "  "}, "E730"),
    (("nope", "move", 0, 5), {"coder": "a"}, "E105"),
    (("xss_ru", "no.such", 0, 5), {"coder": "a"}, "E706"),
    (("xss_ru", "move", 5, 5), {"coder": "a"}, "E731"),
    (("xss_ru", "move", 7, 3), {"coder": "a"}, "E731"),
    (("xss_ru", "move", -1, 3), {"coder": "a"}, "E731"),
    (("xss_ru", "move", 0, 10_000), {"coder": "a"}, "E731"),
    (("xss_ru", "move", 0.5, 3), {"coder": "a"}, "E731"),
    (("xss_ru", "move", 0, 3), {"coder": "a", "status": "rejected"}, "E709"),
])
def test_add_coding_refuses_bad_input_with_numbered_errors(small: Project, args, kwargs, code: str) -> None:
    with pytest.raises(QualcodeError) as err:
        small.add_coding(*args, **kwargs)
    assert err.value.code == code
    assert small.codings(origin="manual").empty


def test_confirmed_codings_by_name_and_the_cached_text(small: Project) -> None:
    """The workbench's confirm path finds the transcript by name in one query (an unknown name is
    still E105), and a coding added with the project's cached text (no re-fetch) is stored on the
    right span and listed."""
    from qualcode.coding import transcript_codings

    with small.engine.connect() as conn:
        with pytest.raises(QualcodeError) as err:
            transcript_codings(conn, "nope")
        assert err.value.code == "E105" and "xss_ru" in str(err.value)
    text = small.transcript_text("xss_ru")
    start, end = span(text, "Переехали")
    new_id = small.add_coding("xss_ru", "move", start, end, coder="aigerim")
    with small.engine.connect() as conn:
        listed = {c["id"]: c for c in transcript_codings(conn, "xss_ru")}
    assert (listed[new_id]["start"], listed[new_id]["end"], listed[new_id]["code"]) == (start, end, "move")
    row = small.codings(origin="manual").set_index("id").loc[new_id]
    assert row["text"] == "Переехали"


def test_update_delete_restore_and_whose_coding_it_is(small: Project) -> None:
    text = small.transcript_text("xss_ru")
    coding_id = small.add_coding("xss_ru", "move", *span(text, "брат позвал"), coder="aigerim")
    before = small.update_coding(coding_id, code="move.family", memo="брат", coder="aigerim")
    assert before["code"] == "move" and before["memo"] is None
    row = small.codings(origin="manual").iloc[0]
    assert (row["code"], row["memo"]) == ("move.family", "брат")
    with pytest.raises(QualcodeError, match="E732"):
        small.update_coding(coding_id, memo="mine now", coder="dana")
    with pytest.raises(QualcodeError, match="E732"):
        small.delete_coding(coding_id, coder="dana")
    with pytest.raises(QualcodeError, match="E706"):
        small.update_coding(coding_id, code="no.such", coder="aigerim")
    small.update_coding(coding_id, memo="", coder="aigerim")
    assert small.codings(origin="manual").iloc[0]["memo"] is None

    deleted = small.delete_coding(coding_id, coder="aigerim")
    assert small.codings(origin="manual").empty and deleted["code"] == "move.family"
    assert small.restore_coding(deleted) == coding_id
    restored = small.codings(origin="manual").iloc[0]
    assert (restored["code"], restored["text"], restored["coder"]) == ("move.family", "брат позвал", "aigerim")
    assert small.restore_coding(before) == coding_id  # undo the update: back to "move", no memo
    assert small.codings(origin="manual").iloc[0]["code"] == "move"
    with pytest.raises(QualcodeError, match="E707"):
        small.delete_coding(999_999, coder="aigerim")


def test_restore_takes_a_new_id_when_another_coding_took_the_old_one(small: Project) -> None:
    text = small.transcript_text("xss_ru")
    first = small.add_coding("xss_ru", "move", *span(text, "Переехали"), coder="aigerim")
    snap = small.delete_coding(first, coder="aigerim")
    other = small.add_coding("xss_ru", "housing", *span(text, "Зима"), coder="dana")  # SQLite reuses the id
    new_id = small.restore_coding(snap)
    assert other == first and new_id != first
    rows = small.codings(origin="manual").set_index("id")
    assert rows.loc[other, "coder"] == "dana" and rows.loc[new_id, "text"] == "Переехали"


def test_rule_codings_are_reviewed_not_edited(small: Project) -> None:
    suggestion = small.codings(origin="rule").iloc[0]
    with pytest.raises(QualcodeError, match="E733"):
        small.delete_coding(int(suggestion["id"]), coder="aigerim")
    with pytest.raises(QualcodeError, match="E733"):
        small.update_coding(int(suggestion["id"]), code="move", coder="aigerim")
    small.update_coding(int(suggestion["id"]), memo="a rule memo", coder="aigerim")
    assert small.codings(origin="rule").set_index("id").loc[suggestion["id"], "memo"] == "a rule memo"


# --- workbench actions and undo ------------------------------------------------------------------

def utf16(text: str, words: str) -> tuple[int, int]:
    offsets = Utf16Offsets(text)
    start, end = span(text, words)
    return offsets.to_utf16(start), offsets.to_utf16(end)


def test_an_add_from_the_browser_is_converted_from_utf16(small: Project) -> None:
    text = small.transcript_text("xss_ru")
    words = "🙂 — всей семьёй"  # after 2019, starts with an emoji: JavaScript counts 1 more from here on
    start16, end16 = utf16(text, words)
    assert (start16, end16) != span(text, words)
    step = apply_action(small, {"action": "add", "transcript": "xss_ru", "start": start16, "end": end16,
                                "code": "move", "text": words}, "aigerim")
    row = small.codings(origin="manual").iloc[0]
    assert (row["id"], row["start"], row["end"], row["text"]) == (step.coding_id, *span(text, words), words)
    with pytest.raises(QualcodeError, match="E734"):  # the page showed another text: refuse, change nothing
        apply_action(small, {"action": "add", "transcript": "xss_ru", "start": start16, "end": end16,
                             "code": "move", "text": "something else"}, "aigerim")
    with pytest.raises(QualcodeError, match="E730"):
        apply_action(small, {"action": "add", "transcript": "xss_ru", "start": 0, "end": 3, "code": "move"}, "")
    with pytest.raises(QualcodeError, match="E736"):
        apply_action(small, {"action": "explode", "id": 1}, "aigerim")
    assert len(small.codings(origin="manual")) == 1


def test_undo_walks_back_add_recode_memo_accept_and_delete(small: Project) -> None:
    text = small.transcript_text("xss_ru")
    suggestion = int(small.codings(origin="rule").iloc[0]["id"])
    steps: list[Step] = []
    start16, end16 = utf16(text, "Квартиру снимали")
    do = [{"action": "add", "transcript": "xss_ru", "start": start16, "end": end16, "code": "move",
           "text": "Квартиру снимали"}]
    steps.append(apply_action(small, do[0], "aigerim"))
    added = steps[0].coding_id
    for op in ({"action": "recode", "id": added, "code": "housing"}, {"action": "memo", "id": added, "memo": "m"},
               {"action": "accept", "id": suggestion}, {"action": "delete", "id": added}):
        steps.append(apply_action(small, op, "aigerim"))
    assert small.codings(origin="manual").empty
    assert small.codings(origin="rule").set_index("id").loc[suggestion, "status"] == "accepted"

    undo(small, steps, "aigerim")  # the delete
    assert small.codings(origin="manual").iloc[0][["code", "memo"]].tolist() == ["housing", "m"]
    undo(small, steps, "aigerim")  # the accept: a suggestion again, and no review decision is left
    assert small.codings(origin="rule").set_index("id").loc[suggestion, "status"] == "suggested"
    undo(small, steps, "aigerim")  # the memo
    undo(small, steps, "aigerim")  # the recode
    assert small.codings(origin="manual").iloc[0][["code", "memo"]].tolist() == ["move", None]
    undo(small, steps, "aigerim")  # the add
    assert small.codings(origin="manual").empty
    with pytest.raises(QualcodeError, match="E737"):
        undo(small, steps, "aigerim")


def test_recoding_a_suggestion_rejects_it_and_codes_the_span_by_hand(small: Project) -> None:
    suggestion = small.codings(origin="rule").iloc[0]
    step = apply_action(small, {"action": "recode", "id": int(suggestion["id"]), "code": "move"}, "dana")
    rule = small.codings(origin="rule").set_index("id").loc[suggestion["id"]]
    manual = small.codings(origin="manual").iloc[0]
    assert rule["status"] == "rejected"
    assert (manual["id"], manual["code"], manual["start"], manual["end"], manual["coder"]) == (
        step.coding_id, "move", suggestion["start"], suggestion["end"], "dana")
    undo(small, [step], "dana")
    assert small.codings(origin="manual").empty
    assert small.codings(origin="rule").set_index("id").loc[suggestion["id"], "status"] == "suggested"


# --- the Code page (AppTest) -----------------------------------------------------------------------

@pytest.fixture
def page(coded_sample: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    dest = tmp_path / "sample.qcdb"
    shutil.copy(coded_sample, dest)
    monkeypatch.setenv("QUALCODE_PROJECT", str(dest))
    monkeypatch.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["transcript"] = "kz03"
    at.run()
    at.switch_page("qualcode/ui/views/code.py").run()
    assert not at.exception, at.exception
    component_data(at)  # keep the text, as the browser does
    return at


TEXTS: dict[tuple[int, str, str], dict[str, Any]] = {}  # what each AppTest's "browser" has kept


def component_data(at: AppTest) -> dict[str, Any]:
    """The data sent to the component, with codings as dicts and the text and turns filled in
    from an earlier run when this run left them out (as the JavaScript does)."""
    (element,) = at.get("bidi_component")
    data = json.loads(element.proto.bytes.decode("utf-8"))
    version = (id(at), data["transcript"], data["sha"])
    if "text" in data:
        TEXTS[version] = {"text": data["text"], "turns": data["turns"]}
    fields = ["id", "code", "start", "end", "status", "origin", "coder", "rule", "memo", "confidence", "mine"]
    return {**data, **TEXTS[version], "codings": [dict(zip(fields, c, strict=True)) for c in data["codings"]]}


def send(at: AppTest, ops: list[dict[str, Any]], **flags: Any) -> AppTest:
    """Rerun as if the component had called setTriggerValue("action", {"ops": ops, **flags}).

    AppTest has no API for component events, so this adds the trigger's widget state (named
    as Streamlit names it: the component's id + "__events") to the next run's states.
    """
    (element,) = at.get("bidi_component")
    states = at._tree.get_widget_states()
    trigger = WidgetState(id=f"$$STREAMLIT_INTERNAL_KEY_{element.proto.id}__events")
    trigger.json_trigger_value = json.dumps([{"event": "action", "value": {"ops": ops, **flags}}])
    states.widgets.append(trigger)
    at._run(states)
    assert not at.exception, at.exception
    return at


def project_of(at: AppTest) -> Project:
    return Project.open(at.session_state["project_location"])


def add_op(data: dict[str, Any], words: str, code: str, cid: str) -> dict[str, Any]:
    """The op the component sends for a selection of `words`: offsets in UTF-16 units."""
    start, end = utf16(data["text"], words)
    return {"cid": cid, "action": "add", "transcript": data["transcript"], "start": start, "end": end,
            "code": code, "text": words}


def test_deep_link_opens_the_transcript_and_the_chooser_keeps_the_link(page: AppTest) -> None:
    assert page.title[0].value == "Code"
    assert page.selectbox(key="code_transcript").value == "kz03"
    data = component_data(page)
    with project_of(page) as p:
        assert data["transcript"] == "kz03" and data["text"] == p.transcript_text("kz03")
        assert len(data["turns"]) == len(p.turns("kz03"))
    assert {c["status"] for c in data["codings"]} == {"suggested"}  # the rules' suggestions, shown
    assert all(c["color"].startswith("#") for c in data["codes"])
    page.selectbox(key="code_transcript").set_value("xss_ru").run()
    assert page.query_params["transcript"] == "xss_ru"
    with project_of(page) as p:
        text = p.transcript_text("xss_ru")
        turns = p.turns("xss_ru")

    def js(index: int) -> int:  # a JavaScript string index: UTF-16 units
        return len(text[:index].encode("utf-16-le")) // 2

    expected = [[js(t.start), js(t.end), t.speaker, t.role] for t in turns.itertuples()]
    assert [t[:4] for t in component_data(page)["turns"]] == expected
    assert component_data(page)["turns"][3][4] == "00:01:41"


def test_unknown_transcript_in_the_link_says_so(coded_sample: Path, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUALCODE_PROJECT", str(coded_sample))
    monkeypatch.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["transcript"] = "kz99"
    at.run()
    at.switch_page("qualcode/ui/views/code.py").run()
    assert not at.exception
    assert any("[E105]" in plain(w.value) and "kz99" in plain(w.value) for w in at.warning)
    assert at.selectbox(key="code_transcript").value == "kz01"


def test_coding_needs_a_coder_name(page: AppTest) -> None:
    assert any("Enter your name as **Coder**" in w.value for w in page.warning)
    data = component_data(page)
    assert data["coder"] == ""
    send(page, [add_op(data, "недалеко от Тараза", "push.unemployment", "c-1")])
    assert any("[E730]" in plain(e.value) for e in page.error)
    assert component_data(page)["acks"]["c-1"]["error"].startswith("[E730]")
    with project_of(page) as p:
        assert p.codings(origin="manual").empty


def test_a_trigger_payload_is_stored_once_with_exact_offsets_and_undone(page: AppTest) -> None:
    page.text_input(key="coder").input("aigerim").run()
    data = component_data(page)
    op = add_op(data, "недалеко от Тараза", "push.unemployment", "c-1")
    send(page, [op])
    send(page, [op, add_op(data, "Жамбылской области", "push", "c-2")])  # c-1 again: the component resends
    with project_of(page) as p:
        text = p.transcript_text("kz03")
        manual = p.codings(["kz03"], origin="manual").sort_values("start")
    assert manual[["code", "start", "end", "text", "coder"]].values.tolist() == [
        ["push", *span(text, "Жамбылской области"), "Жамбылской области", "aigerim"],
        ["push.unemployment", *span(text, "недалеко от Тараза"), "недалеко от Тараза", "aigerim"]]
    data = component_data(page)
    acks = data["acks"]
    assert acks["c-1"]["id"] in set(manual["id"]) and acks["c-2"]["error"] is None
    mine = [c for c in data["codings"] if c["origin"] == "manual"]
    assert len(mine) == 2 and all(c["mine"] for c in mine)
    assert any(plain(c.value).startswith("Last: code “Жамбылской области” as push") for c in page.caption)
    page.button(key="code_undo_button").click().run()
    assert any("Undone: code “Жамбылской области”" in plain(s.value) for s in page.success)
    with project_of(page) as p:
        assert p.codings(["kz03"], origin="manual")["code"].tolist() == ["push.unemployment"]


def test_emoji_offsets_from_the_component_land_on_the_right_words(page: AppTest) -> None:
    page.text_input(key="coder").input("aigerim").run()
    page.selectbox(key="code_transcript").set_value("xss_ru").run()
    data = component_data(page)
    words = "и жильё. Квартиру"  # after 🙂, 👨‍👩‍👧 (3 emoji joined) and 🥶: 5 UTF-16 units more than code points
    send(page, [add_op(data, words, "pull.housing", "c-1")])
    with project_of(page) as p:
        text = p.transcript_text("xss_ru")
        row = p.codings(["xss_ru"], origin="manual").iloc[0]
    assert (row["start"], row["end"], row["text"]) == (*span(text, words), words)
    assert add_op(data, words, "pull.housing", "x")["start"] == span(text, words)[0] + 5


def test_accept_and_reject_suggestions_inline_then_undo(page: AppTest) -> None:
    page.text_input(key="coder").input("dana").run()
    first, second = [c["id"] for c in component_data(page)["codings"][:2]]
    send(page, [{"cid": "r-1", "action": "accept", "id": first}, {"cid": "r-2", "action": "reject", "id": second}])
    with project_of(page) as p:
        status = p.codings(["kz03"]).set_index("id")["status"]
    assert (status[first], status[second]) == ("accepted", "rejected")
    shown = {c["id"]: c for c in component_data(page)["codings"]}
    assert shown[first]["status"] == "accepted" and second not in shown  # rejected: not drawn
    page.button(key="code_undo_button").click().run()
    with project_of(page) as p:
        assert p.codings(["kz03"]).set_index("id")["status"][second] == "suggested"


def test_other_coders_codings_cannot_be_changed_from_the_page(page: AppTest) -> None:
    with project_of(page) as p:
        theirs = p.add_coding("kz03", "push", *span(p.transcript_text("kz03"), "Ну, давайте."), coder="aigerim")
    page.text_input(key="coder").input("dana").run()
    shown = {c["id"]: c for c in component_data(page)["codings"]}
    assert shown[theirs]["mine"] is False
    send(page, [{"cid": "d-1", "action": "delete", "id": theirs}])
    assert any("[E732]" in plain(e.value) for e in page.error)
    with project_of(page) as p:
        assert theirs in set(p.codings(origin="manual")["id"])


def test_filters_by_code_origin_and_suggestions(page: AppTest) -> None:
    with project_of(page) as p:
        text = p.transcript_text("kz03")
        p.add_coding("kz03", "push.unemployment", *span(text, "Ну, давайте."), coder="aigerim")
    page.run()
    every = component_data(page)["codings"]
    assert {c["origin"] for c in every} == {"manual", "rule"}
    page.multiselect(key="code_filter_origins").set_value(["manual"]).run()
    assert [c["origin"] for c in component_data(page)["codings"]] == ["manual"]
    page.multiselect(key="code_filter_origins").set_value([]).run()
    page.multiselect(key="code_filter_codes").set_value(["push"]).run()  # a parent shows its children
    codes = {c["code"] for c in component_data(page)["codings"]}
    assert codes and all(c == "push" or c.startswith("push.") for c in codes)
    page.multiselect(key="code_filter_codes").set_value([]).run()
    page.toggle(key="code_show_suggested").set_value(False).run()
    assert {c["status"] for c in component_data(page)["codings"]} == {"accepted"}


def test_show_one_coder_several_or_all_merged(page: AppTest) -> None:
    with project_of(page) as p:
        text = p.transcript_text("kz03")
        mine = p.add_coding("kz03", "push", *span(text, "Ну, давайте."), coder="aigerim")
        theirs = p.add_coding("kz03", "push", *span(text, "Ну, давайте."), coder="dana")
    page.run()
    assert page.multiselect(key="code_filter_coders").options == ["aigerim", "dana"]
    manual_ids = {c["id"] for c in component_data(page)["codings"] if c["origin"] == "manual"}
    assert manual_ids == {mine, theirs}  # merged: everyone's codings
    page.multiselect(key="code_filter_coders").set_value(["dana"]).run()
    assert {c["id"] for c in component_data(page)["codings"]} == {theirs}
    page.multiselect(key="code_filter_coders").set_value(["aigerim", "dana"]).run()
    assert {c["id"] for c in component_data(page)["codings"]} == {mine, theirs}


def test_the_text_goes_once_per_session_and_again_when_the_component_asks(page: AppTest) -> None:
    (element,) = page.get("bidi_component")
    assert "text" in json.loads(element.proto.bytes)  # the first run of the session sends it
    page.run()
    (element,) = page.get("bidi_component")
    again = json.loads(element.proto.bytes)
    assert "text" not in again and "turns" not in again and again["codings"]
    send(page, [])  # actions only: the text stays out
    (element,) = page.get("bidi_component")
    assert "text" not in json.loads(element.proto.bytes)
    send(page, [], resend=True)  # what a component without the text sends
    (element,) = page.get("bidi_component")
    assert json.loads(element.proto.bytes)["text"].startswith("\nИнтервьюер: Спасибо")


def test_back_from_another_page_the_same_transcript_is_open(page: AppTest) -> None:
    page.selectbox(key="code_transcript").set_value("xss_ru").run()
    page.switch_page("qualcode/ui/views/transcripts.py").run()
    page.switch_page("qualcode/ui/views/code.py").run()
    assert not page.exception
    assert page.selectbox(key="code_transcript").value == "xss_ru"
