"""Issue 18.2: bounded work for every input (regex rules, YAML, zip-based documents).

The bounds are asserted on counts: YAML nodes composed before a refusal, alias
expansions a plain loader would have walked, members and bytes read. The regex
time bound is asserted on its outcome (the numbered error instead of a hang); no
test measures how long anything took.
"""

from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

from qualcode import Project, safe_regex, safe_yaml
from qualcode.codebook import load, loads
from qualcode.errors import CodebookError, QualcodeError

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "hostile"))
from generate import BOMB, DOCX_OK, _alias_bomb, _zip  # noqa: E402

CATASTROPHIC = [r"(a+)+$", r"(\w+\s?)+$", r"(a|aa)+$", r"(a|a)+x", r"(x+x+)+y", r"^(a+)+b", r"((a+)b?)+",
                r"(.*,)*x", r"(?:[а-я]+\s*)+\.", r"(ab|abab)+$", r"(\d+\.?)+$"]
HARMLESS = [r"(\w+\s)+", r"(\w+,\s*)+", r"a+", r"(?:foo|bar)+", r"(?:ab|ac)+", r"(?>\w+\s?)+", r"(\w++\s?)+",
            r"\b(купили|купил)\s+(\w+\s+){0,2}?(дом)", r"(a+){2}", r"(foo|fo)+", r"\bдолг\w*"]


# --- regex rules ------------------------------------------------------------------------------

@pytest.mark.parametrize("pattern", CATASTROPHIC)
def test_catastrophic_patterns_are_named(pattern: str) -> None:
    assert safe_regex.catastrophic(pattern)


@pytest.mark.parametrize("pattern", HARMLESS)
def test_harmless_patterns_pass(pattern: str) -> None:
    assert safe_regex.catastrophic(pattern) is None


def test_no_shipped_or_test_codebook_rule_is_refused() -> None:
    books = [ROOT / "codebooks" / "migration.yaml", ROOT / "tests" / "data" / "codebooks" / "valid.yaml"]
    regexes = [r.regex for b in books for r in load(b).rules() if r.kind == "regex"]
    assert len(regexes) > 10
    assert [rx for rx in regexes if safe_regex.catastrophic(rx)] == []


def test_codebook_check_refuses_a_catastrophic_rule_with_line_and_fix() -> None:
    text = ("name: t\nversion: '1'\nlanguages: [en]\ncodes:\n  - id: c\n    name: c\n    rules:\n      en:\n"
            "        - regex: \"(a+)+$\"\n")
    with pytest.raises(CodebookError) as err:
        loads(text, "book.yaml")
    [problem] = err.value.problems
    assert problem.code == "E950" and problem.fields["line"] == 9
    assert "(a+)+ -> a+" in str(problem)


def _book_with(regex: str):
    """A checked codebook whose regex is then swapped: what a pattern the check cannot see does."""
    book = loads("name: t\nversion: '1'\nlanguages: [en]\ncodes:\n  - id: c\n    name: c\n    rules:\n"
                 "      en:\n        - regex: \"a+\"\n          speakers: [any]\n", "book.yaml")
    next(book.rules()).regex = regex
    return book


@pytest.mark.timeout(120)  # a hang guard for the suite, not an assertion on speed
def test_the_time_bound_stops_a_regex_the_check_missed(project: Project, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(safe_regex, "TIMEOUT_SECONDS", 0.2)
    file = tmp_path / "aaa.txt"
    file.write_text("Respondent: " + "a" * 100 + "!\n", encoding="utf-8")
    project.import_file(file)
    # Exponential backtracking without the bound (the `regex` engine itself shortcuts the sweep's
    # (a+)+$, but not this alternation): the bound ends it with E951.
    with pytest.raises(QualcodeError) as err:
        project.autocode(_book_with(r"(a|aa)+$"))
    assert err.value.code == "E951" and "c/en/1" in str(err.value)
    assert project.codings().empty and project.runs().empty  # the run stored nothing


def test_the_bounded_pattern_matches_like_re_on_cyrillic_words() -> None:
    rx = safe_regex.BoundedPattern(r"\bдолг\w*", "r")
    text = "Мы отдали долги, долгов больше нет"
    assert [m.group() for m in rx.finditer(text, 0, len(text))] == ["долги", "долгов"]


@pytest.mark.timeout(120)
def test_a_rule_try_is_abandoned_with_a_numbered_error_and_the_next_try_works(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(safe_regex, "TIMEOUT_SECONDS", 0.2)
    for _ in range(3):  # more tries than worker threads: each bounded regex frees its thread
        with pytest.raises(QualcodeError) as err:
            safe_regex.try_rules(_book_with(r"(a|aa)+$"), "en", "a" * 100 + "!", timeout=30)
        assert err.value.code == "E951"
    result = safe_regex.try_rules(_book_with(r"mov\w+"), "en", "We moved north.", timeout=30)
    assert [result.text[m.start:m.end] for m in result.matches] == ["moved"]


def test_a_rule_try_reads_at_most_the_character_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(safe_regex, "TRY_MAX_CHARS", 200)
    result = safe_regex.try_rules(_book_with(r"x"), "en", "x " * 5_000, timeout=60)
    assert len(result.text) == 200
    assert len(result.matches) == 100


def test_the_timeout_error_survives_a_process_pool() -> None:
    import pickle

    err = safe_regex.RegexTimeout("E951", rule="r", pattern="p", seconds=1, where="w", stored="")
    back = pickle.loads(pickle.dumps(err))
    assert (back.code, str(back)) == ("E951", str(err))


# --- YAML ---------------------------------------------------------------------------------------

class _Counting(safe_yaml.SafeLoader):
    composed = 0

    def compose_node(self, parent, index):  # type: ignore[no-untyped-def]
        type(self).composed += 1
        return super().compose_node(parent, index)


def _count(text: str) -> tuple[int, str]:
    _Counting.composed = 0
    loader = _Counting(text)
    try:
        loader.get_single_data()
        return _Counting.composed, "loaded"
    except safe_yaml.Refused as exc:
        return _Counting.composed, exc.code
    finally:
        loader.dispose()


def _leaves(value: object) -> int:
    if isinstance(value, list):
        return sum(_leaves(v) for v in value)
    if isinstance(value, dict):
        return sum(_leaves(v) for v in value.values())
    return 1


def test_an_alias_bomb_is_refused_after_a_handful_of_nodes() -> None:
    small = _alias_bomb(levels=5)
    # What a plain loader hands on: 9^5 leaves for whatever walks the data (the sweep's 517-byte
    # front matter of this shape took 217 s and 3.9 GB before it crashed).
    assert _leaves(yaml.safe_load(small)) >= 9**5
    composed, outcome = _count(_alias_bomb(levels=9))
    assert outcome == "E952"
    assert composed <= 15  # the first list and the first alias, nothing expanded


@pytest.mark.parametrize("text", ["x: " + "[" * 100_000, "x: " + "{a: " * 5_000,
                                  "".join("  " * i + f"k{i}:\n" for i in range(500)) + "  " * 500 + "v: 1\n"])
def test_deep_nesting_is_refused_at_the_depth_limit(text: str) -> None:
    composed, outcome = _count(text)
    assert outcome == "E953"
    assert composed <= 2 * safe_yaml.MAX_DEPTH + 2  # a key and a value per level at most


def test_ordinary_yaml_still_loads() -> None:
    text = "case: KZ01\nspeakers: {A: interviewer, B: respondent}\ntags: [a, b]\n"
    assert _count(text)[1] == "loaded"
    assert safe_yaml.safe_load(text) == yaml.safe_load(text)


# --- zip-based documents -------------------------------------------------------------------------

def test_a_docx_bomb_is_refused_before_it_is_unpacked(project: Project, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    read: list[int] = []
    original = zipfile.ZipFile.read

    def counting(self, name, pwd=None):  # type: ignore[no-untyped-def]
        data = original(self, name, pwd)
        read.append(len(data))
        return data

    monkeypatch.setattr(zipfile.ZipFile, "read", counting)
    file = tmp_path / "bomb.docx"
    file.write_bytes(_zip({"word/document.xml": DOCX_OK.encode() + BOMB}))
    with pytest.raises(QualcodeError) as err:
        project.import_file(file)
    assert err.value.code == "E804" and "zip bomb" in str(err.value)
    assert sum(read) == 0  # not one byte was unpacked
    assert project.transcripts().empty


def test_a_docx_bomb_inside_a_qdpx_is_skipped_and_the_rest_imported(project: Project, tmp_path: Path) -> None:
    ns = 'xmlns="urn:QDA-XML:project:1.0"'
    qde = (f'<?xml version="1.0" encoding="utf-8"?><Project {ns} name="x"><Sources>'
           '<TextSource guid="11111111-1111-1111-1111-111111111111" name="bomb" richTextPath="internal://b.docx"/>'
           '<TextSource guid="22222222-2222-2222-2222-222222222222" name="fine" plainTextPath="internal://f.txt"/>'
           "</Sources></Project>")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("project.qde", qde)
        zf.writestr("sources/b.docx", _zip({"word/document.xml": DOCX_OK.encode() + BOMB}))
        zf.writestr("sources/f.txt", "Respondent: a fine interview.")
    file = tmp_path / "mixed.qdpx"
    file.write_bytes(buf.getvalue())
    result = project.import_qdpx(file)
    assert list(project.transcripts()["transcript"]) == ["fine"]
    [skipped] = result.skipped
    assert skipped.name == "bomb" and "E804" in skipped.reason
