"""The sample a newcomer opens is ready to code (issue 15.4): the codebook's codes are in it and
its rule suggestions wait on the Review page, so the Code page offers codes at once."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from qualcode import Project
from qualcode.sample import prepare_sample

ROOT = Path(__file__).resolve().parent.parent


def test_the_first_run_opens_a_sample_with_codes_and_suggestions(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QUALCODE_PROJECT", raising=False)
    monkeypatch.setenv("QUALCODE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(ROOT)
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    assert not app.exception, app.exception
    with Project.open(tmp_path / "data" / "sample.qcdb") as project:
        codes, codings = project.codes(), project.codings()
    assert len(codes) > 40 and "pull.state_program" in set(codes["code"])
    assert len(codings) > 500 and set(codings["status"]) == {"suggested"}  # to review, none accepted for them
    app.switch_page("qualcode/ui/views/code.py").run()
    assert not app.exception, app.exception
    assert not any("no codes yet" in i.value for i in app.info)
    app.switch_page("qualcode/ui/views/review.py").run()
    assert not app.exception, app.exception
    assert any(f"{len(codings)} of {len(codings)} suggestions" in c.value for c in app.caption)


def test_an_older_bare_sample_is_prepared_once_and_a_coded_one_never(sample_project_file: Path,
                                                                     tmp_path: Path) -> None:
    bare = tmp_path / "bare.qcdb"
    shutil.copy(sample_project_file, bare)
    assert prepare_sample(bare)
    with Project.open(bare) as project:
        n = len(project.codings())
        one = int(project.codings()["id"].iloc[0])
        project.review_coding(one, "rejected", "aigerim")
    assert not prepare_sample(bare)  # the user's review decision stays; nothing is re-run
    with Project.open(bare) as project:
        assert len(project.codings()) == n and len(project.runs()) == 1
        assert project.codings().set_index("id").loc[one, "status"] == "rejected"
