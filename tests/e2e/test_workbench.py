"""The coding workbench in a real Chromium: select a passage with the mouse, pick a code by
typing, see the highlight, find the exact coding in the project file, reload and still see
it; accept a suggestion inline; two tabs coding at once; and a transcript full of HTML and
emoji that is shown as text, never run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from qualcode import Project
from tests.e2e.conftest import coded_sample_copy

pytestmark = pytest.mark.e2e

# What `app_server` serves here: the auto-coded sample, not the plain one (pytest takes a fixture's
# name from the module, so this overrides the conftest's `sample_copy` in this file only).
sample_copy = coded_sample_copy

ROOT = Path(__file__).resolve().parents[2]
XSS = ROOT / "tests" / "data" / "workbench" / "xss_ru.txt"
ROOT_SEL = "[data-testid='qc-transcript']"

# Scroll to the first occurrence of `words` in the transcript's text and return the screen
# points of its first and last characters (left edge of one, right edge of the other). The
# words may run over several text nodes, as highlights split the text.
LOCATE = """(words) => {
  const root = document.querySelector("[data-testid='qc-transcript']");
  const nodes = [];
  let all = "";
  for (const block of root.querySelectorAll(".qc-text")) {
    const walker = document.createTreeWalker(block, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) { nodes.push([n, all.length]); all += n.data; }
  }
  const i = all.indexOf(words);
  if (i < 0) return null;
  const at = (k) => {
    for (let j = nodes.length - 1; j >= 0; j--) if (nodes[j][1] <= k) return [nodes[j][0], k - nodes[j][1]];
  };
  const [a, ao] = at(i);
  const [b, bo] = at(i + words.length - 1);
  a.parentElement.scrollIntoView({ block: "center" });
  const range = document.createRange();
  range.setStart(a, ao); range.setEnd(a, ao + 1);
  const first = range.getClientRects()[0];
  range.setStart(b, bo); range.setEnd(b, bo + 1);
  const last = range.getClientRects()[0];
  return [first.left + 1, first.top + first.height / 2, last.right - 1, last.top + last.height / 2];
}"""


@pytest.fixture
def pages(browser) -> Iterator[list]:
    opened: list = []
    yield opened
    for page in opened:
        page.close()


def open_code(browser, pages: list, url: str):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.qc_errors = []
    page.on("pageerror", lambda exc: page.qc_errors.append(str(exc)))
    pages.append(page)
    page.goto(url, wait_until="domcontentloaded")
    page.locator(f"{ROOT_SEL} .qc-turn").first.wait_for(timeout=60_000)
    return page


def set_coder(page, name: str) -> None:
    box = page.get_by_role("textbox", name="Coder")
    box.fill(name)
    box.press("Enter")
    page.locator(f"{ROOT_SEL}[data-coder='{name}']").wait_for(timeout=30_000)


def drag_select(page, words: str) -> None:
    box = page.evaluate(LOCATE, words)
    assert box, f"{words!r} is not in the transcript on screen"
    x1, y1, x2, y2 = box
    page.mouse.move(x1, y1)
    page.mouse.down()
    page.mouse.move((x1 + x2) / 2, (y1 + y2) / 2, steps=4)
    page.mouse.move(x2, y2, steps=4)
    page.mouse.up()
    page.locator(".qc-palette").wait_for(timeout=10_000)


def confirmed(page) -> None:
    """Python's rerun has acknowledged every action of this tab."""
    page.locator(f"{ROOT_SEL}[data-pending='0']").wait_for(timeout=30_000)
    page.locator(f"{ROOT_SEL} mark[data-pending]").first.wait_for(state="detached", timeout=30_000)


def marked_text(page, code: str, status: str = "accepted") -> str:
    return page.locator(f"{ROOT_SEL} mark[data-code-ids~='{code}'][data-status='{status}']").evaluate_all(
        "marks => marks.map(m => m.textContent).join('')")


def manual_codings(location: Path, transcript: str):
    with Project.open(location) as p:
        return p.transcript_text(transcript), p.codings([transcript], origin="manual")


def test_code_a_russian_span_by_mouse_and_keyboard_and_it_survives_a_reload(browser, app_server: str,
                                                                             sample_copy: Path, pages,
                                                                             tmp_path: Path) -> None:
    page = open_code(browser, pages, app_server.at("/code?transcript=kz03"))
    set_coder(page, "aigerim")

    drag_select(page, "Байзакском районе")  # first: the palette filters, moves and closes without coding
    field = page.locator(".qc-palette-input")
    assert field.evaluate("f => f === document.activeElement")
    field.type("push")
    shown = page.locator(".qc-palette-item:visible")
    assert shown.count() >= 3 and all(i.startswith("push") for i in shown.evaluate_all(
        "items => items.map(i => i.dataset.codeId)"))
    assert "qc-active" in shown.nth(0).get_attribute("class")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    assert "qc-active" in shown.nth(2).get_attribute("class")
    page.keyboard.press("Escape")
    page.locator(".qc-palette").wait_for(state="detached")

    words = "недалеко от Тараза"
    drag_select(page, words)
    assert page.locator(".qc-quote").inner_text() == f"«{words}»"
    page.keyboard.type("no work")
    assert page.locator(".qc-palette-item:visible").evaluate_all(
        "items => items.map(i => i.dataset.codeId)") == ["push.unemployment"]
    page.keyboard.press("Enter")
    # At once, before Python answers: a local highlight of exactly the selected words.
    page.locator(f"{ROOT_SEL} mark[data-code-ids~='push.unemployment']").first.wait_for(timeout=5_000)
    assert marked_text(page, "push.unemployment") == words
    confirmed(page)

    text, rows = manual_codings(sample_copy, "kz03")
    start = text.index(words)
    assert rows[["code", "start", "end", "text", "coder", "status"]].values.tolist() == [
        ["push.unemployment", start, start + len(words), words, "aigerim", "accepted"]]
    page.screenshot(path=str(tmp_path / "coded.png"))

    # Away and back in the same session: the same transcript, drawn from the text the tab kept.
    page.get_by_role("link", name="Transcripts", exact=True).click()
    page.get_by_role("heading", name="Transcripts").wait_for(timeout=30_000)
    page.get_by_role("link", name="Code", exact=True).click()
    page.locator(f"{ROOT_SEL}[data-transcript='kz03'] mark[data-code-ids~='push.unemployment']").first.wait_for(
        timeout=30_000)
    assert marked_text(page, "push.unemployment") == words

    page.reload(wait_until="domcontentloaded")
    page.locator(f"{ROOT_SEL} mark[data-code-ids~='push.unemployment']").first.wait_for(timeout=60_000)
    assert marked_text(page, "push.unemployment") == words
    # The coder's name survives the reload too (it rides in the URL), so coding can go on.
    page.locator(f"{ROOT_SEL}[data-coder='aigerim']").wait_for(timeout=30_000)
    assert page.get_by_role("textbox", name="Coder").input_value() == "aigerim"
    assert page.qc_errors == []


def test_accept_a_suggestion_inline(browser, app_server: str, sample_copy: Path, pages) -> None:
    page = open_code(browser, pages, app_server.at("/code?transcript=kz03"))
    set_coder(page, "dana")
    suggestion = page.locator(f"{ROOT_SEL} mark[data-status='suggested']").first
    coding_id = int(suggestion.get_attribute("data-coding-ids").split()[0])
    suggestion.scroll_into_view_if_needed()
    suggestion.click()
    card = page.locator(f".qc-details .qc-card[data-coding-id='{coding_id}']")
    assert "suggested · rule" in card.locator(".qc-meta").inner_text()
    card.locator("button[data-action='accept']").click()
    accepted = page.locator(f"{ROOT_SEL} mark[data-status='accepted']")
    accepted.first.wait_for(timeout=5_000)  # shown accepted at once
    confirmed(page)
    assert coding_id in [int(i) for m in accepted.evaluate_all("ms => ms.map(m => m.dataset.codingIds)")
                         for i in m.split()]
    with Project.open(sample_copy) as p:
        assert p.codings(["kz03"]).set_index("id").loc[coding_id, "status"] == "accepted"
    page.get_by_role("button", name="Undo").click()  # and back
    page.get_by_text("Undone: accept", exact=False).wait_for(timeout=30_000)
    with Project.open(sample_copy) as p:
        assert p.codings(["kz03"]).set_index("id").loc[coding_id, "status"] == "suggested"
    assert page.qc_errors == []


def test_html_in_a_transcript_is_text_and_emoji_offsets_are_exact(browser, app_server: str, sample_copy: Path,
                                                                  pages, tmp_path: Path) -> None:
    dialogs: list[str] = []
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    pages.append(page)
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(app_server.at("/code?transcript=xss_ru"), wait_until="domcontentloaded")
    transcript = page.locator(ROOT_SEL)
    transcript.locator(".qc-turn").nth(3).wait_for(timeout=60_000)
    shown = transcript.inner_text()
    for raw in ("<script>alert(2)</script>", "<img src=x onerror=alert(1)>", "<b>Жена</b> & дети", "🙂", "👨‍👩‍👧"):
        assert raw in shown
    assert transcript.locator("img, script, b, iframe").count() == 0
    assert "00:00:12" in transcript.locator(".qc-turn").nth(1).locator(".qc-head").inner_text()

    set_coder(page, "aigerim")
    words = "— всей семьёй. <img src=x onerror=alert(1)>"  # after 🙂: UTF-16 is one ahead here
    drag_select(page, words)
    page.keyboard.type("pull.networks")
    page.keyboard.press("Enter")
    confirmed(page)
    assert marked_text(page, "pull.networks") == words
    assert transcript.locator("img, script, b").count() == 0
    text, rows = manual_codings(sample_copy, "xss_ru")
    start = text.index(words)
    assert "\r" not in text
    assert rows[["start", "end", "text"]].values.tolist() == [[start, start + len(words), words]]

    page.get_by_role("button", name="Undo").click()
    page.locator(f"{ROOT_SEL} mark[data-code-ids~='pull.networks'][data-status='accepted']").first.wait_for(
        state="detached", timeout=30_000)
    assert manual_codings(sample_copy, "xss_ru")[1].empty
    page.screenshot(path=str(tmp_path / "xss.png"))
    page.wait_for_timeout(500)
    assert dialogs == []


def test_two_tabs_coding_the_same_transcript_keep_both_codings(browser, app_server: str, sample_copy: Path,
                                                              pages) -> None:
    first = open_code(browser, pages, app_server.at("/code?transcript=kz03"))
    second = open_code(browser, pages, app_server.at("/code?transcript=kz03"))
    set_coder(first, "aigerim")
    set_coder(second, "dana")
    for page, words in ((first, "Жамбылской области"), (second, "Байзакском районе")):
        drag_select(page, words)
        page.keyboard.type("push.family")
        page.keyboard.press("Enter")
        confirmed(page)
    rows = manual_codings(sample_copy, "kz03")[1]
    assert sorted(rows[["coder", "text"]].values.tolist()) == [["aigerim", "Жамбылской области"],
                                                               ["dana", "Байзакском районе"]]
    first.reload(wait_until="domcontentloaded")
    first.locator(f"{ROOT_SEL} mark[data-code-ids~='push.family']").nth(1).wait_for(timeout=60_000)
    assert marked_text(first, "push.family") == "Жамбылской областиБайзакском районе"


def test_click_a_highlight_to_write_a_memo_change_the_code_and_remove_it(browser, app_server: str,
                                                                         sample_copy: Path, pages) -> None:
    page = open_code(browser, pages, app_server.at("/code?transcript=kz03"))
    set_coder(page, "aigerim")
    words = "Отец был шофёр"
    drag_select(page, words)
    page.keyboard.type("push.family")
    page.keyboard.press("Enter")
    confirmed(page)

    def open_card():
        page.locator(f"{ROOT_SEL} mark[data-status='accepted']", has_text="Отец").first.click()
        card = page.locator(".qc-details .qc-card").first
        card.wait_for(timeout=10_000)
        return card

    card = open_card()
    assert "accepted · manual · coder aigerim" in card.locator(".qc-meta").inner_text()
    card.locator("textarea.qc-memo").fill("отец — шофёр, <i>not</i> HTML")
    card.locator("button[data-action='memo']").click()
    confirmed(page)
    rows = manual_codings(sample_copy, "kz03")[1]
    assert rows[["code", "text", "memo"]].values.tolist() == [["push.family", words, "отец — шофёр, <i>not</i> HTML"]]

    card = open_card()
    assert card.locator("textarea.qc-memo").input_value() == "отец — шофёр, <i>not</i> HTML"
    card.locator("button[data-action='recode']").click()
    page.locator(".qc-palette-input").wait_for()
    page.keyboard.type("resource.skills")
    page.keyboard.press("Enter")
    skills = page.locator(f"{ROOT_SEL} mark[data-code-ids~='resource.skills'][data-status='accepted']")
    skills.first.wait_for(timeout=5_000)
    confirmed(page)
    assert manual_codings(sample_copy, "kz03")[1]["code"].tolist() == ["resource.skills"]

    open_card().locator("button[data-action='delete']").click()
    skills.first.wait_for(state="detached", timeout=5_000)
    confirmed(page)
    assert manual_codings(sample_copy, "kz03")[1].empty
    assert page.qc_errors == []


def test_a_coding_survives_a_server_restart(browser, sample_copy: Path, pages, tmp_path: Path, serve_app) -> None:
    serve = serve_app
    words = "недалеко от Тараза"
    with serve(sample_copy, tmp_path / "first.log") as url:
        page = open_code(browser, pages, url.at("/code?transcript=kz03"))
        set_coder(page, "aigerim")
        drag_select(page, words)
        page.keyboard.type("no work")
        page.keyboard.press("Enter")
        confirmed(page)
    # The first server is gone; a new one on the same project file draws the coding again.
    with serve(sample_copy, tmp_path / "second.log") as url:
        page = open_code(browser, pages, url.at("/code?transcript=kz03"))
        page.locator(f"{ROOT_SEL} mark[data-code-ids~='push.unemployment']").first.wait_for(timeout=60_000)
        assert marked_text(page, "push.unemployment") == words
    _, rows = manual_codings(sample_copy, "kz03")
    assert rows[["code", "text", "coder"]].values.tolist() == [["push.unemployment", words, "aigerim"]]
