"""Codebook YAML read from libyaml's event stream (qualcode.codebook_yaml, issue 17): the same
values as yaml.safe_load, line marks for messages, and the safety refusals of safe_yaml kept."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from qualcode import codebook_yaml, safe_yaml
from qualcode.codebook import loads
from qualcode.errors import CodebookError

SHIPPED = Path(__file__).parent.parent / "codebooks" / "migration.yaml"


def test_the_events_come_from_libyaml() -> None:
    assert yaml.__with_libyaml__  # the wheels have it; without it the pure-Python parser is used
    assert codebook_yaml._EVENTS is yaml.CSafeLoader


def test_the_shipped_codebook_reads_as_yaml_safe_load_reads_it() -> None:
    text = SHIPPED.read_text(encoding="utf-8-sig")
    doc, duplicates = codebook_yaml.parse(text)
    assert doc == yaml.safe_load(text) and duplicates == []


def test_scalars_are_typed_as_safe_load_types_them() -> None:
    text = ("a: 1\nb: 1.5\nc: true\nd: null\ne: '1'\nf: 2024-05-01\ng: 0x1F\nh: ~\ni: [yes, No, .inf]\n"
            "? j\n: k\n")
    doc, _ = codebook_yaml.parse(text)
    assert doc == yaml.safe_load(text)
    expected = yaml.safe_load(text)
    assert [type(v) for v in doc.values()][:8] == [type(v) for v in expected.values()][:8]
    assert [type(v) for v in doc["i"]] == [type(v) for v in expected["i"]]  # bool, bool, float


def test_every_key_and_item_keeps_its_line() -> None:
    doc, _ = codebook_yaml.parse("name: x\ncodes:\n  - id: a\n\n  - id: b\n    rules: {en: [p]}\n")
    assert doc.line == 1 and doc.key_lines == {"name": 1, "codes": 2}
    assert doc["codes"].item_lines == [3, 5]
    assert doc["codes"][1].key_lines == {"id": 5, "rules": 6}
    assert codebook_yaml._line(doc["codes"][1], "rules") == 6


def test_a_duplicate_key_is_reported_with_both_lines() -> None:
    _, duplicates = codebook_yaml.parse("codes:\n  - id: a\n    name: A\n    name: B\n")
    assert duplicates == [(2, "name", 3, 4)]


def test_a_merge_key_merges_and_the_mapping_own_keys_win() -> None:
    text = "a: {<<: {x: 1, y: 2}, y: 3}\n"
    doc, _ = codebook_yaml.parse(text)
    assert doc == yaml.safe_load(text) == {"a": {"x": 1, "y": 3}}


@pytest.mark.parametrize(("text", "code", "line"), [
    ("base: &b {x: 1}\ncopy: *b\n", "E952", 2),
    ("x: " + "[" * 100_000, "E953", 1),  # libyaml's own limit (1,000 levels) reports it as E953 too
    ("x: " + "[" * 60 + "]" * 60 + "\n", "E953", 1),
    ("".join("  " * i + f"k{i}:\n" for i in range(60)) + "  " * 60 + "v: 1\n", "E953", safe_yaml.MAX_DEPTH),
])
def test_aliases_and_deep_nesting_are_refused(text: str, code: str, line: int) -> None:
    with pytest.raises(safe_yaml.Refused) as refused:
        codebook_yaml.parse(text)
    assert (refused.value.code, refused.value.line) == (code, line)
    with pytest.raises(CodebookError) as error:
        loads(text, "book.yaml")
    assert f"[{code}]" in str(error.value) and f"line {line}" in str(error.value)


@pytest.mark.parametrize(("text", "words"), [
    ("a: 1\n---\nb: 2\n", "found another document"),
    ("name: x\x00\n", "control characters"),
    ("a: !!python/object:os.system {}\n", "could not determine a constructor"),
    ("a: !!set {x}\n", "could not determine a constructor"),
])
def test_what_a_codebook_cannot_hold_is_a_syntax_error(text: str, words: str) -> None:
    with pytest.raises(CodebookError) as error:
        loads(text, "book.yaml")
    assert "[E602]" in str(error.value) and words in str(error.value)
