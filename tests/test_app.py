"""The Streamlit page logic, through Streamlit's AppTest (no browser; see tests/e2e for Chromium)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest


def plain(markdown: str) -> str:
    """Markdown as the reader sees it: the pages escape user text ("\\[E101\\]" reads "[E101]")."""
    return re.sub(r"\\(.)", r"\1", markdown)


ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def app(sample_copy: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("QUALCODE_PROJECT", str(sample_copy))
    monkeypatch.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    return at.run()


def test_transcripts_page_lists_the_sample_project(app: AppTest) -> None:
    assert not app.exception
    assert app.title[0].value == "Transcripts"
    table = app.dataframe[0].value
    assert len(table) == 24
    assert {"kz01", "kz24"} <= set(table["transcript"])
    assert "24 transcripts" in app.caption[0].value


def test_choosing_a_transcript_shows_its_turns(app: AppTest) -> None:
    app.selectbox(key="transcript_choice").set_value("kz03").run()
    assert not app.exception
    texts = [t.value for t in app.text]
    assert any("Тараз" in t for t in texts)  # kz03 is the mechanic from near Taraz
    labels = [m.value for m in app.markdown]
    assert any("Интервьюер" in m and "interviewer" in m for m in labels)
    assert any("Респондент" in m and "respondent" in m for m in labels)
    # Case attributes from cases.csv are shown with the transcript.
    assert any("gender: male" in plain(c.value) for c in app.caption)


def test_missing_project_shows_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUALCODE_PROJECT", str(tmp_path / "missing.qcdb"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert "[E101]" in plain(at.error[0].value)


def test_first_run_builds_the_sample_project_in_the_data_folder(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QUALCODE_PROJECT", raising=False)
    monkeypatch.setenv("QUALCODE_DATA_DIR", str(tmp_path / "data"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert not at.exception
    assert (tmp_path / "data" / "sample.qcdb").exists()
    assert len(at.dataframe[0].value) == 24
    assert "synthetic" in at.sidebar.markdown[0].value


def frame_with(app: AppTest, column: str):
    """The page's table that has this column (AppTest does not look tables up by key)."""
    frames = [d.value for d in app.dataframe if column in d.value.columns]
    assert len(frames) == 1, [list(d.value.columns) for d in app.dataframe]
    return frames[0]


def test_autocode_page_codes_the_project_and_shows_russian_inflections(app: AppTest) -> None:
    app.switch_page("qualcode/ui/views/autocode.py").run()
    assert not app.exception, app.exception
    assert app.title[0].value == "Auto-code"
    assert "No rule codings yet" in app.info[0].value
    app.button(key="autocode_preview").click().run()
    assert not app.exception
    assert "Preview: the run would make" in app.success[0].value
    assert "No rule codings yet" in app.info[0].value  # a preview changes nothing
    app.button(key="autocode_run").click().run()
    assert not app.exception
    assert app.success[0].value.startswith("Run 1 made")
    counts = frame_with(app, "added")
    assert counts["codings"].sum() > 500 and "push.unemployment" in set(counts["code"])
    app.selectbox(key="autocode_code").set_value("push.unemployment").run()
    shown = frame_with(app, "matched")
    russian = shown[shown["transcript"].isin(["kz03", "kz05", "kz07", "kz10"])]
    assert (russian["matched"].str.contains("работ", case=False)).any()


def test_a_broken_codebook_path_shows_the_error_and_nothing_breaks(app: AppTest, sample_copy: Path,
                                                                   tmp_path_factory: pytest.TempPathFactory) -> None:
    bad = sample_copy.parent / "bad.yaml"  # beside the project: a folder the app may read
    bad.write_text("name: x\nversion: 1\nlanguages: [en]\ncodes:\n  - id: a\n    name: A\n  - id: a\n    name: B\n",
                   encoding="utf-8")
    app.switch_page("qualcode/ui/views/autocode.py").run()
    app.text_input(key="codebook_path").input(str(bad)).run()
    assert not app.exception
    assert "[E606]" in plain(app.error[0].value)
    # A codebook outside the app's folders is refused before it is read.
    outside = tmp_path_factory.mktemp("elsewhere") / "book.yaml"
    outside.write_text(bad.read_text(encoding="utf-8"), encoding="utf-8")
    app.text_input(key="codebook_path").input(str(outside)).run()
    assert not app.exception
    assert "[E970]" in plain(app.error[0].value)


def test_typology_page_shows_types_and_the_crosstab(app: AppTest) -> None:
    app.switch_page("qualcode/ui/views/autocode.py").run()
    app.button(key="autocode_run").click().run()
    app.switch_page("qualcode/ui/views/typology.py").run()
    assert not app.exception, app.exception
    table = frame_with(app, "rule_type")
    assert len(table) == 24 and set(table["rule_type"]) == {"development", "survival", "mixed"}
    assert all(table["reason"].str.len() > 0)
    assert app.selectbox(key="typology_compare").value == "documented_type"
    assert any("of 24 cases have the same value" in c.value for c in app.caption)


@pytest.fixture
def coded(app: AppTest) -> AppTest:
    app.switch_page("qualcode/ui/views/autocode.py").run()
    app.button(key="autocode_run").click().run()
    assert not app.exception, app.exception
    return app


def test_analyze_page_gender_crosstab_matrix_and_charts(coded: AppTest) -> None:
    app = coded
    app.switch_page("qualcode/ui/views/analyze.py").run()
    assert not app.exception, app.exception
    assert app.selectbox(key="analyze_attribute").value == "gender"
    crosstab = frame_with(app, "% of female")
    assert {"% of female", "% of male", "test", "p_value"} <= set(crosstab.columns)
    assert set(crosstab["test"]) <= {"fisher", "none"}  # two genders: 2 × 2 tables, Fisher's exact test
    assert 0 <= crosstab.loc["pull.state_program", "% of female"] <= 100
    contingency = frame_with(app, "without code")
    assert list(contingency.index) == ["female", "male"]
    assert int(contingency["with code"].sum() + contingency["without code"].sum()) == 24
    matrix = frame_with(app, "push.unemployment")
    assert matrix.shape[0] == 24 and set(matrix.stack().unique()) <= {0, 1}
    assert len(app.get("vega_lite_chart")) == 4  # frequencies, heatmap, cross-tab, co-occurrence
    # Accepted only: nothing is accepted yet, so every count is 0 and nothing breaks.
    app.toggle(key="analyze_accepted").set_value(True).run()
    assert not app.exception, app.exception
    assert frame_with(app, "push.unemployment").to_numpy().sum() == 0


def test_typology_page_clusters_reasons_and_bad_k(coded: AppTest) -> None:
    app = coded
    app.switch_page("qualcode/ui/views/typology.py").run()
    assert not app.exception, app.exception
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Rule types"] == "3" and int(metrics["Clusters (k)"]) >= 2
    table = frame_with(app, "silhouette")
    assert len(table) == 24 and table["silhouette"].between(-1, 1).all()
    assert {"development", "survival", "mixed"} == set(table["rule_type"])
    crosstabs = [d.value for d in app.dataframe if d.value.index.name == "cluster_label"]
    assert crosstabs and int(crosstabs[0].to_numpy().sum()) == 24
    assert any(c.value.startswith("Adjusted Rand index, clusters vs rule types") for c in app.caption)
    contributions = frame_with(app, "profile")
    kz01 = contributions[(contributions["case"] == "KZ01") & (contributions["profile"] == "resources")]
    assert "resource." in kz01["codes"].iloc[0]
    assert len(app.get("vega_lite_chart")) == 4  # map, dendrogram, type profiles, profile scores
    # Each case has a degree of membership; the two cluster spaces are compared side by side.
    assert table["degree"].between(0, 1).all() and "borderline" in table.columns
    structures = frame_with(app, "ari_vs_rule_types").set_index("space")
    assert set(structures.index) == {"codes", "profiles", "types"} and bool(structures.loc["types", "used"])
    assert table["stability"].between(0, 1).all()
    app.radio(key="typology_space").set_value("codes")
    app.button[0].click().run()
    assert not app.exception, app.exception
    assert bool(frame_with(app, "ari_vs_rule_types").set_index("space").loc["codes", "used"])
    app.text_input(key="typology_k").set_value("1")
    app.radio(key="typology_method").set_value("rules")
    app.button[0].click().run()  # the form's submit button
    assert not app.exception, app.exception
    assert any("is not 'auto' or a whole number" in plain(e.value) for e in app.error)
    app.text_input(key="typology_k").set_value("3")
    app.button[0].click().run()
    assert not app.exception, app.exception
    assert "Clusters (k)" not in {m.label for m in app.metric}
    assert "cluster_label" not in frame_with(app, "reason").columns


def test_agreement_page_two_coders_per_code_and_disagreements(two_coders: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUALCODE_PROJECT", str(two_coders))
    monkeypatch.chdir(ROOT)
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    app.switch_page("qualcode/ui/views/agreement.py").run()
    assert not app.exception, app.exception
    assert app.multiselect(key="agreement_coders").value == ["aigerim", "daniyar"]
    metrics = {m.label: m.value for m in app.metric}
    assert 0 < float(metrics["Cohen's kappa"]) < 1 and 0 < float(metrics["Agreement %"]) < 100
    table = frame_with(app, "verdict")
    assert {"kappa", "alpha", "alpha_low", "alpha_high", "n_aigerim", "n_daniyar"} <= set(table.columns)
    differ = frame_with(app, "daniyar")
    assert len(differ) > 0 and (differ["aigerim"] != differ["daniyar"]).all()
    assert (differ["open"] == "/code?transcript=" + differ["transcript"]).all()  # jump to the workbench
    # Against the rules, the coder who copied them agrees fully.
    app.multiselect(key="agreement_coders").set_value(["aigerim", "origin:rule"])
    app.button[0].click().run()
    assert not app.exception, app.exception
    assert {m.label: m.value for m in app.metric}["Agreement %"] == "100.0"
    app.multiselect(key="agreement_coders").set_value(["aigerim"])
    app.button[0].click().run()
    assert not app.exception and any("[E723]" in plain(e.value) for e in app.error)


def test_export_page_prepares_spss_and_qdpx_downloads(coded: AppTest, tmp_path: Path) -> None:
    import zipfile

    import pyreadstat

    app = coded
    app.switch_page("qualcode/ui/views/export.py").run()
    assert not app.exception, app.exception
    app.radio(key="export_what").set_value("matrix").run()
    app.selectbox(key="export_format_matrix").set_value("sav").run()
    app.button(key="export_prepare").click().run()
    assert not app.exception, app.exception
    name, data, notes = app.session_state["export_file"]
    assert name.endswith("-matrix.sav") and "matrix: 24 rows" in notes[0]
    (tmp_path / name).write_bytes(data)
    frame, meta = pyreadstat.read_sav(tmp_path / name)
    assert len(frame) == 24 and meta.variable_value_labels["push_unemployment"] == {0: "absent", 1: "present"}
    assert len(app.get("download_button")) == 1
    app.radio(key="export_what").set_value("project").run()
    app.selectbox(key="export_format_project").set_value("qdpx").run()
    app.button(key="export_prepare").click().run()
    assert not app.exception, app.exception
    name, data, notes = app.session_state["export_file"]
    (tmp_path / name).write_bytes(data)
    with zipfile.ZipFile(tmp_path / name) as z:
        assert "project.qde" in z.namelist() and len([n for n in z.namelist() if n.startswith("sources/")]) == 24
        only_accepted = z.read("project.qde").count(b"<PlainTextSelection")
    # The page says which codings other tools get: accepted only by default, suggestions when asked.
    assert any("Accepted codings only" in c.value for c in app.caption)
    assert "accepted codings" in notes[0] and any("suggested coding(s)" in n for n in notes[1:])
    app.checkbox(key="export_suggestions").check().run()
    assert any("Accepted and suggested codings" in c.value for c in app.caption)
    app.button(key="export_prepare").click().run()
    name, data, notes = app.session_state["export_file"]
    (tmp_path / name).write_bytes(data)
    with zipfile.ZipFile(tmp_path / name) as z:
        assert z.read("project.qde").count(b"<PlainTextSelection") > only_accepted
    assert "accepted and suggested codings" in notes[0]
