"""The Memos page in Chromium: a memo's link opens its transcript in the workbench (issue 15.2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from qualcode import Project

pytestmark = pytest.mark.e2e


def test_a_memo_opens_its_transcript_in_the_workbench(browser, sample_copy: Path, tmp_path: Path,
                                                     serve_app) -> None:
    with Project.open(sample_copy) as p:
        p.add_memo("transcript", "kz03", "The debt story starts here.", author="aigerim")
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        with serve_app(sample_copy, tmp_path / "serve.log") as url:
            page.goto(url.at("/memos"), wait_until="domcontentloaded")
            link = page.get_by_role("link", name="Open kz03 in the workbench")
            link.wait_for(timeout=60_000)
            link.click()
            page.wait_for_url("**/code?transcript=kz03*", timeout=60_000)
            # kz03's own words in the workbench (kz03: born in the Zhambyl region), not the first transcript's
            page.locator(".qc-turn").filter(has_text="Жамбылской").first.wait_for(timeout=60_000)
        assert errors == []
    finally:
        page.close()
