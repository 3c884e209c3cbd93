"""Rough display, seen in Chromium (issue 15.7): the pages in the order of the work, the Code
page's toggle label whole, and a highlight's details popup inside the seen part of the
transcript even for the last highlight of a long interview."""

from __future__ import annotations

from tests.e2e.conftest import coded_sample_copy

ROOT_SEL = "[data-testid='qc-transcript']"
ORDER = ["Project", "Transcripts", "Code", "Auto-code", "Review", "Retrieve", "Memos", "Analyze", "Typology",
         "Agreement", "Export", "Codebook"]


# What `app_server` serves: the sample with rule suggestions to click (overrides the conftest's
# `sample_copy` in this file only).
sample_copy = coded_sample_copy


def test_pages_toggle_and_popup_are_shown_whole(browser, app_server) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(app_server.at("/code?transcript=kz01"), wait_until="domcontentloaded")
        page.locator(f"{ROOT_SEL} .qc-turn").first.wait_for(timeout=60_000)

        links = page.get_by_test_id("stSidebarNav").get_by_role("link").all_inner_texts()
        titles = [t.split("\n")[-1].strip() for t in links]  # each link reads "icon_name\nTitle"
        titles = [t for t in titles if t in ORDER]
        assert titles == ORDER, links

        page.get_by_test_id("stCheckbox").filter(has_text="suggestions").first.wait_for(timeout=30_000)
        assert cut_labels(page) == []  # the whole label, not "Show s…"

        # The last highlight of the transcript, scrolled to the bottom of the workbench's own box.
        page.locator(ROOT_SEL).evaluate("root => { root.scrollTop = root.scrollHeight; }")
        last = page.locator(f"{ROOT_SEL} mark.qc-mark").last
        last.scroll_into_view_if_needed()
        last.click()
        popup = page.locator(".qc-details")
        popup.wait_for(timeout=10_000)
        seen = page.locator(ROOT_SEL).bounding_box()
        box = popup.bounding_box()
        assert box["y"] >= seen["y"] - 1 and box["y"] + box["height"] <= seen["y"] + seen["height"] + 1, (box, seen)
        for path in ("/review", "/autocode", "/analyze", "/export"):  # pages with tick boxes and toggles
            page.goto(app_server.at(path), wait_until="domcontentloaded")
            page.get_by_test_id("stCheckbox").first.wait_for(timeout=60_000)
            page.wait_for_timeout(1500)  # the columns settle after the first draw
            assert cut_labels(page) == [], path
        assert errors == []
    finally:
        page.close()


def cut_labels(page) -> list:
    """The tick box and toggle labels shown cut short with "…", as [text, needed, shown] widths."""
    return page.evaluate("""() => [...document.querySelectorAll('[data-testid="stCheckbox"] *')].filter(
        e => getComputedStyle(e).textOverflow === 'ellipsis' && e.scrollWidth > e.clientWidth + 1)
        .map(e => [e.innerText, e.scrollWidth, e.clientWidth])""")
