"""The browser app touches only its own files (issue 18, point 1): the path rules of
qualcode/access.py on real files and symlinks, and the Project and Codebook pages refusing
paths outside the app's folders (AppTest on a real copy of the sample project)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from qualcode.access import Folders, not_a_codebook, save_text
from qualcode.errors import QualcodeError

ROOT = Path(__file__).resolve().parent.parent
CODEBOOK = ROOT / "codebooks" / "migration.yaml"


@pytest.fixture
def elsewhere(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder that is none of the app's: a stand-in for /etc or another user's files."""
    folder = tmp_path_factory.mktemp("elsewhere")
    secret = folder / "secret.txt"
    secret.write_text("api-key: s3cr3t-value\n", encoding="utf-8")
    secret.chmod(0o600)
    (folder / "codebook.yaml").write_text(CODEBOOK.read_text(encoding="utf-8"), encoding="utf-8")
    return folder


@pytest.fixture
def data_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path_factory.mktemp("data")
    monkeypatch.setenv("QUALCODE_DATA_DIR", str(folder))
    return folder


# --- the rules --------------------------------------------------------------------------------------

def test_a_path_outside_the_folders_is_refused_naming_it_and_the_folders(tmp_path: Path, elsewhere: Path,
                                                                         data_dir: Path) -> None:
    folders = Folders.for_app(tmp_path / "study.qcdb")
    with pytest.raises(QualcodeError) as caught:
        folders.check(elsewhere / "secret.txt")
    message = str(caught.value)
    assert caught.value.code == "E970" and str(elsewhere / "secret.txt") in message
    assert str(tmp_path.resolve()) in message and str(data_dir.resolve()) in message
    assert folders.check(tmp_path / "mine.yaml") == (tmp_path / "mine.yaml").resolve()
    assert folders.check(data_dir / "sample.qcdb").parent == data_dir.resolve()


def test_dot_dot_and_symlinks_are_resolved_before_the_check(tmp_path: Path, elsewhere: Path, data_dir: Path) -> None:
    folders = Folders.for_app(tmp_path / "study.qcdb")
    sneaky = f"{tmp_path}/../{elsewhere.name}/secret.txt"
    with pytest.raises(QualcodeError) as caught:
        folders.check(sneaky)
    assert caught.value.code == "E970" and str((elsewhere / "secret.txt").resolve()) in str(caught.value)
    link = tmp_path / "notes.yaml"
    link.symlink_to(elsewhere / "codebook.yaml")
    with pytest.raises(QualcodeError, match="E970"):
        folders.check(link)
    with pytest.raises(QualcodeError, match="E970"):
        folders.codebook_target(link)
    linked_folder = tmp_path / "shared"
    linked_folder.symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(QualcodeError, match="E970"):
        folders.check(linked_folder / "secret.txt")


def test_database_urls_and_folders_are_not_files(tmp_path: Path, data_dir: Path) -> None:
    folders = Folders.for_app(tmp_path / "study.qcdb")
    with pytest.raises(QualcodeError, match="E973"):
        folders.check("postgresql://attacker.example/db")
    (tmp_path / "sub").mkdir()
    with pytest.raises(QualcodeError, match="E974"):
        folders.readable_file(tmp_path / "sub")


def test_a_codebook_is_saved_only_as_yaml_and_never_over_another_file(tmp_path: Path, data_dir: Path) -> None:
    folders = Folders.for_app(tmp_path / "study.qcdb")
    with pytest.raises(QualcodeError, match="E971"):
        folders.codebook_target(tmp_path / "notes.txt")
    for name, text in {"settings.yaml": "theme: dark\nfont: 12\n", "list.yml": "- a\n- b\n",
                       "plain.yaml": "just a sentence\n", "broken.yaml": "codes: [\n"}.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        with pytest.raises(QualcodeError) as caught:
            folders.codebook_target(tmp_path / name)
        assert caught.value.code == "E972" and name in str(caught.value), name
        assert (tmp_path / name).read_text(encoding="utf-8") == text
    shutil.copy(CODEBOOK, tmp_path / "mine.yaml")
    assert folders.codebook_target(tmp_path / "mine.yaml") == (tmp_path / "mine.yaml").resolve()
    assert folders.codebook_target(tmp_path / "new.yml") == (tmp_path / "new.yml").resolve()  # a new file


def test_a_codebook_with_mistakes_still_counts_as_one(tmp_path: Path) -> None:
    path = tmp_path / "draft.yaml"
    path.write_text("name: draft\ncodes:\n  - id: a\n  - id: a\n", encoding="utf-8")
    assert not_a_codebook(path) is None


def test_telling_a_codebook_apart_never_expands_aliases(tmp_path: Path) -> None:
    """Nested aliases that would expand to 10^9 nodes: only the top level's events are read."""
    lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("\n".join(lines) + "\ncodes: *a8\n", encoding="utf-8")
    assert bomb.stat().st_size < 1024
    assert not_a_codebook(bomb) is None  # a top-level `codes` key: the question asked, answered unexpanded
    bomb.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert "codes" in not_a_codebook(bomb)


def test_save_text_replaces_the_file_whole_and_keeps_its_mode(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    shutil.copy(CODEBOOK, path)
    path.chmod(0o640)
    save_text(path, "name: x\ncodes: []\n")
    assert path.read_text(encoding="utf-8") == "name: x\ncodes: []\n"
    assert path.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["mine.yaml"]  # no temporary file left


# --- the pages --------------------------------------------------------------------------------------

def start(location: Path, monkeypatch: pytest.MonkeyPatch, page: str) -> AppTest:
    monkeypatch.setenv("QUALCODE_PROJECT", str(location))
    monkeypatch.chdir(ROOT)
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    app.switch_page(f"qualcode/ui/views/{page}.py").run()
    assert not app.exception, app.exception
    return app


def errors(app: AppTest) -> str:
    return "\n".join(e.value.replace("\\", "") for e in app.error)


@pytest.fixture
def project_copy(sample_project_file: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "study" / "sample.qcdb"
    dest.parent.mkdir()
    shutil.copy(sample_project_file, dest)
    return dest


def test_codebook_page_refuses_to_read_a_file_outside_the_folders(project_copy: Path, elsewhere: Path,
                                                                  data_dir: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    app = start(project_copy, monkeypatch, "codebook")
    for typed in (str(elsewhere / "secret.txt"), "/etc/passwd",
                  f"{project_copy.parent}/../{elsewhere.name}/secret.txt"):
        app.text_input(key="codebook_rules_path").input(typed).run()
        assert not app.exception, app.exception
        shown = errors(app)
        assert "[E970]" in shown and str(project_copy.parent) in shown, shown
        shown_text = " ".join(str(t.value) for t in app.text_area) + " ".join(m.value for m in app.markdown)
        assert "s3cr3t" not in shown_text and "root:x:" not in shown_text
    link = project_copy.parent / "linked.yaml"
    link.symlink_to(elsewhere / "secret.txt")
    app.text_input(key="codebook_rules_path").input(str(link)).run()
    assert "[E970]" in errors(app)


def test_codebook_page_saves_only_codebooks_inside_the_folders(project_copy: Path, data_dir: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    folder = project_copy.parent
    notes = folder / "notes.yaml"
    notes.write_text("shopping: [milk, bread]\n", encoding="utf-8")
    text = folder / "diary.txt"
    shutil.copy(CODEBOOK, text)  # a codebook's text, but not a .yaml name
    app = start(project_copy, monkeypatch, "codebook")
    good = CODEBOOK.read_text(encoding="utf-8")
    for target, code in ((notes, "[E972]"), (text, "[E971]")):
        before = target.read_bytes()
        app.text_input(key="codebook_rules_path").input(str(target)).run()
        app.text_area(key="codebook_yaml").input(good).run()
        app.button(key="codebook_save").click().run()
        assert not app.exception, app.exception
        assert code in errors(app), errors(app)
        assert target.read_bytes() == before
    mine = folder / "mine.yaml"
    shutil.copy(CODEBOOK, mine)
    app.text_input(key="codebook_rules_path").input(str(mine)).run()
    edited = good.replace("name: Internal migration in Kazakhstan", "name: My codebook", 1)
    assert edited != good
    app.text_area(key="codebook_yaml").input(edited).run()
    app.button(key="codebook_save").click().run()
    assert not app.exception and not app.error, errors(app)
    assert mine.read_text(encoding="utf-8") == edited


def test_an_uploaded_codebook_is_edited_and_saved_beside_the_project(project_copy: Path, data_dir: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    app = start(project_copy, monkeypatch, "codebook")
    good = CODEBOOK.read_text(encoding="utf-8")
    upload = app.get("file_uploader")[0]
    upload.set_value([("my-rules.yaml", good.encode("utf-8"), "application/x-yaml")]).run()
    assert not app.exception, app.exception
    assert app.text_area(key="codebook_yaml").value == good
    app.button(key="codebook_save").click().run()
    assert not app.exception and not app.error, errors(app)
    assert (project_copy.parent / "my-rules.yaml").read_text(encoding="utf-8") == good


def test_project_page_opens_and_creates_only_inside_the_folders(project_copy: Path, elsewhere: Path,
                                                                data_dir: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    app = start(project_copy, monkeypatch, "project")
    outside = elsewhere / "new.qcdb"
    app.text_input(key="project_new_path").input(str(outside))
    app.button(key="project_create").click().run()
    assert not app.exception, app.exception
    assert "[E970]" in errors(app) and not outside.exists()
    app.text_input(key="project_open_path").input("/etc/passwd")
    app.button(key="project_open").click().run()
    assert "[E970]" in errors(app)
    app.text_input(key="project_open_path").input("sqlite:////tmp/other.qcdb")
    app.button(key="project_open").click().run()
    assert "[E973]" in errors(app)
    assert app.session_state["project_location"] == str(project_copy)  # still the open project
    inside = data_dir / "second.qcdb"
    app.text_input(key="project_new_path").input(str(inside))
    app.button(key="project_create").click().run()
    assert not app.exception and inside.exists(), errors(app)
    assert app.session_state["project_location"] == str(inside.resolve())
    # The project the app started with stays reachable after switching away from it.
    app.text_input(key="project_open_path").input(str(project_copy))
    app.button(key="project_open").click().run()
    assert not app.error, errors(app)
    assert app.session_state["project_location"] == str(project_copy.resolve())


def test_typology_page_refuses_a_codebook_outside_the_folders(project_copy: Path, elsewhere: Path,
                                                              data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from qualcode import Project

    with Project.open(project_copy) as project:
        project.autocode(str(CODEBOOK))
    app = start(project_copy, monkeypatch, "typology")
    app.text_input(key="typology_codebook_path").input(str(elsewhere / "codebook.yaml")).run()
    assert not app.exception, app.exception
    assert "[E970]" in errors(app)


if os.name == "nt":  # pragma: no cover - symlinks need privileges there
    pytestmark = pytest.mark.skip("symlink tests need a POSIX file system")
