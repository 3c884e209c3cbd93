"""The app keeps the user's place (issue 15.4): a project opened on the Project page is still
open after a reload and after the server restarts (remembered per user in the data folder,
qualcode/ui/state.py), and a remembered project that left the app's folders is not reopened."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qualcode import Project


@pytest.fixture
def data_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data folder of this test's own (the server inherits the environment)."""
    folder = tmp_path / "data"
    folder.mkdir()
    monkeypatch.setenv("QUALCODE_DATA_DIR", str(folder))
    return folder


def sidebar_project(page) -> str:
    """The sidebar's "Project: NAME" line."""
    line = page.get_by_test_id("stSidebar").get_by_test_id("stMarkdownContainer").filter(has_text="Project:").first
    line.wait_for(timeout=60_000)
    return line.inner_text()


def test_the_open_project_survives_a_reload_and_a_restart(browser, sample_copy: Path, data_folder: Path,
                                                          tmp_path: Path, serve_app) -> None:
    second = sample_copy.parent / "second-study.qcdb"
    with Project.create(second):
        pass
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    with serve_app(sample_copy, tmp_path / "first.log") as url:
        page.goto(url.at("/project"), wait_until="domcontentloaded")
        page.get_by_role("heading", name="Project").first.wait_for(timeout=60_000)
        assert "Sample:" in sidebar_project(page)
        page.get_by_text("Open or create another project").click()
        page.get_by_role("textbox", name="Project file to open").fill(str(second))
        page.locator(".st-key-project_open button").click()
        page.get_by_test_id("stSidebar").get_by_text("second-study", exact=False).first.wait_for(timeout=60_000)
        page.reload(wait_until="domcontentloaded")
        page.get_by_role("heading", name="Project").first.wait_for(timeout=60_000)
        assert "second-study" in sidebar_project(page)
    memory = json.loads((data_folder / "last_project.json").read_text(encoding="utf-8"))
    assert memory["location"] == str(second.resolve())
    with serve_app(sample_copy, tmp_path / "second.log") as url:
        page.goto(url.at("/project"), wait_until="domcontentloaded")
        page.get_by_role("heading", name="Project").first.wait_for(timeout=60_000)
        assert "second-study" in sidebar_project(page)
    assert errors == []
    page.close()


def test_a_remembered_project_outside_the_folders_is_not_reopened(browser, sample_copy: Path, data_folder: Path,
                                                                  tmp_path: Path, tmp_path_factory, serve_app) -> None:
    elsewhere = tmp_path_factory.mktemp("elsewhere") / "outside.qcdb"
    with Project.create(elsewhere):
        pass
    from qualcode.sample import data_dir  # reads QUALCODE_DATA_DIR, set by the fixture

    assert data_dir() == data_folder
    (data_folder / "last_project.json").write_text(json.dumps(
        {"started_with": str(sample_copy.resolve()), "location": str(elsewhere)}), encoding="utf-8")
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    with serve_app(sample_copy, tmp_path / "serve.log") as url:
        page.goto(url.at("/project"), wait_until="domcontentloaded")
        page.get_by_role("heading", name="Project").first.wait_for(timeout=60_000)
        assert "outside" not in sidebar_project(page) and "Sample:" in sidebar_project(page)
    page.close()
