"""The import preview in a real Chromium (issue 14.3): upload an unlabelled transcript, see the inferred
speakers and roles before anything is stored, correct a role in the table, import, and the stored turns
carry the corrected roles."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from qualcode import Project

pytestmark = pytest.mark.e2e
LAYOUTS = Path(__file__).resolve().parents[1] / "data" / "layouts"


def test_preview_correct_a_role_and_import_in_chromium(browser, serve_app, tmp_path) -> None:
    location = tmp_path / "study.qcdb"
    Project.create(location).close()
    with serve_app(location, tmp_path / "streamlit.log") as app:
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(app.at("/project"), wait_until="domcontentloaded")
        page.get_by_role("heading", name="Import transcripts").wait_for(timeout=60_000)
        page.locator("[data-testid='stFileUploader'] input[type='file']").set_input_files(
            str(LAYOUTS / "en_plain_alternating.txt"))
        page.get_by_text("nating.txt").first.wait_for(timeout=30_000)  # the uploader shortens long names
        page.get_by_role("button", name="Preview").click()
        page.get_by_text("nothing is stored until you import", exact=False).wait_for(timeout=60_000)
        page.get_by_text("layout: alternation", exact=False).first.wait_for(timeout=30_000)
        with Project.open(location) as p:
            assert p.transcripts().empty  # the preview stored nothing
        # The roles table (a canvas grid): the first row is Speaker A, found as the interviewer.
        grid = page.locator("[data-testid='stDataFrame']").first
        grid.wait_for(timeout=30_000)
        box = grid.bounding_box()
        assert box is not None
        # Row 1, column "role": the grid draws 35 px rows under a 35 px header; role is the 2nd column.
        option = page.get_by_role("option", name="respondent")
        for _attempt in range(4):
            # The grid may be below the fold or still laying out on a busy machine: bring it
            # into view (mouse coordinates are the viewport's) and open the cell editor again
            # until its choices show, as a user would.
            grid.scroll_into_view_if_needed()
            box = grid.bounding_box() or box
            page.mouse.dblclick(box["x"] + 160, box["y"] + 35 + 17)
            try:
                option.wait_for(timeout=5_000)
                break
            except PlaywrightTimeout:
                page.keyboard.press("Escape")
                page.wait_for_timeout(1000)
        page.screenshot(path=str(tmp_path / "role-editor.png"), full_page=False)
        option.click(timeout=15_000)
        page.keyboard.press("Escape")
        page.wait_for_timeout(1500)
        # The edit reaches the server as a rerun: on a busy machine it can still be running, so
        # wait until the script run is over before importing (else the old role is imported).
        page.get_by_test_id("stStatusWidget").wait_for(state="hidden", timeout=60_000)
        page.get_by_role("button", name="Import").click()
        page.get_by_text("imported: 1", exact=False).wait_for(timeout=60_000)
        page.screenshot(path=str(tmp_path / "preview.png"), full_page=True)
        assert errors == []
        page.close()
    with Project.open(location) as p:
        turns = p.turns("en_plain_alternating")
    roles = dict(zip(turns["speaker"], turns["role"], strict=False))
    assert roles["Speaker A"] == "respondent"  # corrected in the preview table
    assert roles["Speaker B"] == "respondent"
