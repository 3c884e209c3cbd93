"""Learned suggestions in a real Chromium: train on the Auto-code page, see the model's
suggestions in the workbench, accept one there, and find it among the decisions the next
training learns from. The project is test_suggest's planted one (a real SQLite file)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from test_suggest import base  # noqa: F401  (the planted project, built once)

from qualcode import Project
from qualcode.suggest.training import decisions

pytestmark = pytest.mark.e2e

ROOT_SEL = "[data-testid='qc-transcript']"


def test_train_see_accept_and_it_counts_in_the_next_training(browser, base: Path, tmp_path: Path,  # noqa: F811
                                                             serve_app) -> None:
    project = tmp_path / "p.qcdb"
    shutil.copy(base, project)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    with serve_app(project, tmp_path / "streamlit.log") as app:
        page.goto(app.at("/autocode"), wait_until="domcontentloaded")
        page.get_by_role("heading", name="Learn from coding").wait_for(timeout=60_000)
        page.get_by_role("button", name="Train and write suggestions").click()
        page.get_by_text("wrote", exact=False).first.wait_for(timeout=120_000)
        with Project.open(project) as p:
            model = p.codings(["t5"], origin="model")
        assert len(model) > 0 and set(model["status"]) == {"suggested"}

        page.goto(app.at("/code?transcript=t5"), wait_until="domcontentloaded")
        page.locator(f"{ROOT_SEL} .qc-turn").first.wait_for(timeout=60_000)
        box = page.get_by_role("textbox", name="Coder")
        box.fill("ann")
        box.press("Enter")
        page.locator(f"{ROOT_SEL}[data-coder='ann']").wait_for(timeout=30_000)
        mark = page.locator(f"{ROOT_SEL} mark[data-status='suggested']", has_text="wheat").first
        coding_id = int(mark.get_attribute("data-coding-ids").split()[0])
        assert coding_id in set(model["id"])
        mark.scroll_into_view_if_needed()
        mark.click()
        card = page.locator(f".qc-details .qc-card[data-coding-id='{coding_id}']")
        assert "suggested · model" in card.locator(".qc-meta").inner_text()
        card.locator("button[data-action='accept']").click()
        page.locator(f"{ROOT_SEL}[data-pending='0']").wait_for(timeout=30_000)
        page.locator(f"{ROOT_SEL} mark[data-pending]").first.wait_for(state="detached", timeout=30_000)
    with Project.open(project) as p:
        row = p.codings(["t5"]).set_index("id").loc[coding_id]
        assert row["status"] == "accepted"
        learnt = decisions(p.engine, ["ann"]).reviewed
    assert ("t5", "farming", int(row["start"]), int(row["end"]), "accepted") in learnt
    assert errors == []
    page.close()
