"""Rough display in the app (issue 15.7), through Streamlit's AppTest on a coded copy of the
sample: no table shows `None` for a missing value (confidence, coder, encoding), counts are
plural-correct, the codebook dropdowns show names (the path stays the value), a chosen code's
chip reads its id (not "· pull.state_program"), and a cluster is not titled twice."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from qualcode.analysis.cluster import cluster_title

ROOT = Path(__file__).resolve().parent.parent
CODEBOOK = ROOT / "codebooks" / "migration.yaml"
PAGES = ["transcripts", "code", "review", "retrieve", "autocode", "typology", "analyze", "agreement", "export",
         "codebook", "project"]


@pytest.fixture
def app(coded_sample: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    project = tmp_path / "coded.qcdb"
    shutil.copy(coded_sample, project)
    monkeypatch.setenv("QUALCODE_PROJECT", str(project))
    monkeypatch.setenv("QUALCODE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(ROOT)
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    assert not app.exception, app.exception
    return app


def tables(app: AppTest) -> list:
    """Every table element on the page (st.dataframe and st.data_editor are both Arrow tables)."""
    return list(app.dataframe)


def test_pages_show_missing_values_as_a_dash_and_name_things_once(app: AppTest) -> None:
    seen = 0
    for page in PAGES:
        app.switch_page(f"qualcode/ui/views/{page}.py").run()
        assert not app.exception, (page, app.exception)
        if page == "retrieve":
            app.multiselect(key="retrieve_codes").set_value(["pull.state_program"]).run()
            chips = app.multiselect(key="retrieve_codes")
            assert not any(option.startswith("·") for option in chips.options), chips.options[:5]
            assert chips.value == ["pull.state_program"]
        if page == "review":  # rule suggestions have no confidence: the column is there, empty
            review = next(t for t in tables(app) if "confidence" in t.value.columns)
            assert review.value["confidence"].isna().any()
        if page in ("autocode", "typology"):
            key = "codebook_choice" if page == "autocode" else "typology_codebook"
            box = app.selectbox(key=key)
            assert box.options == ["migration.yaml"] and box.value == str(CODEBOOK)
        if page == "codebook":  # the chosen code reads "pull.state_program — …", not "· pull.state_program"
            box = app.selectbox(key="codebook_code")
            assert box.options and not any(option.startswith("·") for option in box.options), box.options[:5]
        if page == "typology":
            labels = [e.label for e in app.expander]
            assert not any("— cluster" in label.lower() for label in labels), labels
        if page == "transcripts":
            assert any(re.fullmatch(r"\d+ transcripts, [\d,]+ words, [\d,]+ turns\.", c.value) for c in app.caption)
        for table in tables(app):
            assert table.proto.placeholder == "—", (page, list(table.value.columns)[:6])
            seen += 1
    assert seen >= 10


def test_a_cluster_without_a_type_of_its_own_is_titled_once() -> None:
    assert cluster_title(2, "cluster 2", 5) == "Cluster 2 (5 cases)"
    assert cluster_title(0, "survival", 1) == "Cluster 0 — survival (1 case)"
    assert cluster_title(3, "Cluster 3") == "Cluster 3"
