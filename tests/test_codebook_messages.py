"""Codebook errors as a new user reads them: the backslashes E609 asks for, and a misspelled
rule kind reported once (E605 with its "Did you mean"), not also as a rule of no kind (E604).

Each test writes a small codebook to tmp_path and runs `qualcode codebook check` on it.
"""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from qualcode.cli import cli

HEAD = """name: Small
version: "1"
languages: [en]
codes:
  - id: work
    name: Work
    rules:
      en:
"""


def check(tmp_path: Path, rules: str) -> str:
    """The problems `qualcode codebook check` prints for a codebook with these rule lines."""
    path = tmp_path / "book.yaml"
    path.write_text(HEAD + rules, encoding="utf-8")
    result = CliRunner().invoke(cli, ["codebook", "check", str(path)])
    assert result.exit_code == 1, result.output
    return result.output


def test_invalid_regex_fix_shows_one_backslash_and_two_in_yaml_double_quotes(tmp_path: Path) -> None:
    out = check(tmp_path, '        - regex: "job(s"\n')
    assert "[E609]" in out
    assert r"Fix: escape special characters with \ (in YAML double quotes write \\), or use a phrase rule" in out
    assert "\\\\\\" not in out  # never three or four backslashes in a row


def test_the_advised_yaml_escape_really_loads(tmp_path: Path) -> None:
    # The fix's advice, followed: `\\(` inside YAML double quotes is the regex \( and checks clean.
    path = tmp_path / "fixed.yaml"
    path.write_text(HEAD + '        - regex: "job\\\\(s"\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["codebook", "check", str(path)])
    assert result.exit_code == 0, result.output


def test_misspelled_kind_is_e605_only(tmp_path: Path) -> None:
    out = check(tmp_path, '        - phrse: "find work"\n')
    assert "[E605]" in out and "unknown key 'phrse'" in out and "Did you mean 'phrase'?" in out
    assert "[E604]" not in out and "one rule per kind" not in out
    assert "1 problem(s)" in out


def test_rule_without_any_kind_is_e604_asking_for_one(tmp_path: Path) -> None:
    out = check(tmp_path, '        - note: "just a note"\n')
    assert "[E604]" in out and "found 'none'" in out
    assert "give it one of `phrase:`, `near:`, `regex:` or `tokens:`" in out
    assert "one rule per kind" not in out


def test_rule_with_two_kinds_is_still_told_to_split(tmp_path: Path) -> None:
    out = check(tmp_path, '        - phrase: "find work"\n          regex: "jobs?"\n')
    assert "[E604]" in out and "found 'phrase, regex'" in out and "split it into one rule per kind" in out
