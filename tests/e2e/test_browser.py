"""The app in a real Chromium: the page a sociologist sees when opening the sample project."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e


def test_app_lists_sample_transcripts_in_chromium(browser, app_server: str, tmp_path) -> None:
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(app_server, wait_until="domcontentloaded")
    page.get_by_role("heading", name="Transcripts").wait_for(timeout=60_000)
    page.get_by_text("24 transcripts", exact=False).wait_for(timeout=30_000)
    # The default transcript (kz01) is rendered turn by turn with speakers and roles.
    page.get_by_text("Interviewer", exact=False).first.wait_for(timeout=30_000)
    body = page.inner_text("body")
    assert "respondent" in body and "interviewer" in body
    assert "Shymkent" in body  # kz01's respondent talks about her home city
    page.screenshot(path=str(tmp_path / "transcripts.png"), full_page=True)
    assert errors == []
    page.close()
