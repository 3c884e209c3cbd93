"""Every message speaks the language of its door (issue 15.6): what the app shows for import,
codebook and project errors names its buttons, fields and pages, never a command-line flag,
and renders its markup (no literal backticks); the command line still names its flags."""

from __future__ import annotations

import re
import shutil
import string
from pathlib import Path

import pytest
from click.testing import CliRunner
from streamlit.testing.v1 import AppTest

from qualcode.cli import cli
from qualcode.errors import Errors, QualcodeError
from qualcode.messages import APP, for_app, plain_for_app

ROOT = Path(__file__).resolve().parent.parent
FLAG = re.compile(r"--[a-z]")
# The fields some messages get from the CLI's wording at the point they are raised (by field, and
# for one code only where the field is common).
RAISED_WITH = {"preview": "`qualcode import --preview PROJECT talk.txt`",
               ("E858", "reason"): "the last run's codebook book.yaml is not there any more and the project did not "
                                   "keep a copy (it was coded before codebooks were kept): give --codebook FILE"}


class Anything:
    """A field value that formats under any spec ('{n:,}', '{share:.0%}', '{host!r}')."""

    def __format__(self, spec: str) -> str:
        try:
            return format(0.25, spec)
        except ValueError:
            return "value"

    def __repr__(self) -> str:
        return "'value'"


def message(code: str) -> str:
    template = getattr(Errors, code)
    names = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    return str(QualcodeError(code, **{n: RAISED_WITH.get((code, n), RAISED_WITH.get(n, Anything())) for n in names}))


def app_codes() -> list[str]:
    """The codes of project (E1xx), import (E2xx-E4xx, E95x, E98x-E99x) and codebook (E6xx) errors,
    and the others the pages show that the CLI words with its commands."""
    out = []
    for code in sorted(c for c in vars(Errors) if re.fullmatch(r"E\d{3}", c)):
        n = int(code[1:])
        if n < 500 or 600 <= n < 700 or 950 <= n < 960 or n >= 980 or code in APP or code == "E858":
            out.append(code)
    return out


@pytest.mark.parametrize("code", app_codes())
def test_the_app_wording_names_no_flag_and_shows_no_backtick(code: str) -> None:
    for shown in (for_app(message(code)), plain_for_app(message(code))):
        assert "`" not in shown, shown
        assert not FLAG.search(shown), shown
        assert not re.search(r"\bqualcode (init|import|code|codings)\b", shown), shown
        assert f"E{code[1:]}" in shown


def test_every_app_phrase_still_matches_its_message() -> None:
    """A reworded error would bring its flag back: each CLI phrase must still be found."""
    for code, pairs in APP.items():
        text = message(code)
        for pattern, _ in pairs:
            assert re.search(pattern, text), (code, pattern, text)


def test_the_export_page_says_which_table_is_missing_and_why(sample_copy: Path, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Never coded: the project xlsx has no typology sheet, and the page warns why (E858)."""
    project = tmp_path / "bare.qcdb"
    shutil.copy(sample_copy, project)
    monkeypatch.setenv("QUALCODE_PROJECT", str(project))
    monkeypatch.chdir(ROOT)
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    app.switch_page("qualcode/ui/views/export.py").run()
    app.radio(key="export_what").set_value("project").run()
    app.button(key="export_prepare").click().run()
    assert not app.exception, app.exception
    warned = [w.value for w in app.warning if "E858" in w.value]
    assert warned and "typology" in warned[0] and "no rule run yet" in warned[0], [w.value for w in app.warning]


def test_the_command_line_still_names_its_flags(sample_copy: Path, tmp_path: Path) -> None:
    changed = tmp_path / "kz01.txt"
    changed.write_text((ROOT / "interviews" / "kz01.txt").read_text(encoding="utf-8") + "\nR: One more line.\n",
                       encoding="utf-8")
    result = CliRunner().invoke(cli, ["import", str(sample_copy), str(changed)])
    assert "[E211]" in result.output and "`--new-version`" in result.output


def test_user_text_stays_text_and_markup_renders() -> None:
    shown = for_app(QualcodeError("E211", file="*bold* `tick`.txt", name="kz01"))
    assert r"\*bold\*" in shown  # the user's file name is escaped, not emphasised
    assert "**A changed file with a known name becomes a new version**" in shown
    yaml = for_app(QualcodeError("E603", file="book.yaml", line=3, where="code 'a'", key="name",
                                 expected="text"))
    assert "**name\\:**" in yaml and "`" not in yaml


def test_the_project_page_says_what_to_tick_for_a_changed_file(sample_copy: Path, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "study.qcdb"
    shutil.copy(sample_copy, project)
    monkeypatch.setenv("QUALCODE_PROJECT", str(project))
    monkeypatch.chdir(ROOT)
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    app.switch_page("qualcode/ui/views/project.py").run()
    text = (ROOT / "interviews" / "kz01.txt").read_bytes() + b"\nR: One more line.\n"
    app.file_uploader[0].set_value([("kz01.txt", text, "text/plain")]).run()
    app.button(key="project_import").click().run()
    assert not app.exception, app.exception
    errors = [e.value for e in app.error if "E211" in e.value]
    assert errors and "new version" in errors[0] and not FLAG.search(errors[0]) and "`" not in errors[0]
    cells = next(d.value for d in app.dataframe if "message" in d.value.columns)["message"]
    assert not any(FLAG.search(m) or "`" in m for m in cells), list(cells)


def test_the_pages_own_words_name_no_command_and_no_flag() -> None:
    """What the pages write themselves (info, warnings, captions, help) names app actions: a
    static look at every string they pass to Streamlit's message and text calls."""
    import ast

    said = ("info", "warning", "error", "success", "caption", "markdown", "toast", "write")
    found = []
    for path in sorted((ROOT / "qualcode" / "ui").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            texts = [k.value for k in node.keywords if k.arg == "help"]
            if node.func.attr in said:
                texts += node.args[:1]
            for text in texts:
                for part in ast.walk(text):
                    if isinstance(part, ast.Constant) and isinstance(part.value, str) and (
                            FLAG.search(part.value) or re.search(r"`qualcode\b|\bqualcode (init|import|code|codings)\b",
                                                                 part.value)):
                        found.append(f"{path.relative_to(ROOT)}:{part.lineno}: {part.value[:80]}")
    assert found == [], found


def test_the_pages_render_every_error_through_one_function() -> None:
    """An error shown with st.error/st.warning goes through markdown_lines (qualcode.messages),
    never as its raw CLI text: a static look for str(QualcodeError(...)) or str(exc) handed over."""
    import ast

    found = []
    for path in sorted((ROOT / "qualcode" / "ui").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("error", "warning", "info", "success", "toast") and node.args
                    and isinstance(node.args[0], ast.Call) and isinstance(node.args[0].func, ast.Name)
                    and node.args[0].func.id == "str"):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert found == [], found
