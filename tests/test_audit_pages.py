"""The Audit page and the Codebook page's conflict message, through Streamlit's AppTest on real
SQLite copies of the sample project (issue 16.3)."""

from __future__ import annotations

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
