"""The "never matches" check (E613) kept by the codebook's hash (qualcode.codebook_cache, issue 17):
a codebook loaded again builds no spaCy pipeline, and reports the same problems as the first time."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from qualcode import codebook_cache
from qualcode.codebook import loads
from qualcode.errors import CodebookError

BOOKS = Path(__file__).parent / "data" / "codebooks"
LOAD = ("import sys, json\n"
        "from qualcode.codebook import load\n"
        "from qualcode.errors import CodebookError\n"
        "try:\n"
        "    outcome = load(sys.argv[1]).sha256\n"
        "except CodebookError as exc:\n"
        "    outcome = str(exc)\n"
        "nlp = sys.modules.get('qualcode.nlp')\n"
        "print(json.dumps([outcome, bool(nlp and nlp._PIPELINES)]))\n")


def _load_in_a_new_process(path: Path, cache: Path) -> tuple[str, bool]:
    """(the book's hash or the error message, whether a language pipeline was built) from a fresh
    interpreter."""
    env = {"QUALCODE_CACHE_DIR": str(cache), "PATH": "/usr/bin:/bin", "HOME": str(cache)}
    done = subprocess.run([sys.executable, "-c", LOAD, str(path)], capture_output=True, text=True, env=env,
                          check=True)
    outcome, spacy = json.loads(done.stdout)
    return outcome, spacy


@pytest.mark.parametrize("name", ["valid.yaml", "bad_never_match_unless.yaml"])
def test_a_second_load_builds_no_pipeline_and_says_the_same(name: str, tmp_path: Path) -> None:
    first = _load_in_a_new_process(BOOKS / name, tmp_path)
    second = _load_in_a_new_process(BOOKS / name, tmp_path)
    assert first[1] is True and second[1] is False  # the first built the pipelines, the second did not
    assert first[0] == second[0]
    assert ("[E613]" in first[0]) == name.startswith("bad_never_match")
    assert len(list((tmp_path / "codebook-checks").glob("*.json"))) == 1


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("QUALCODE_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(codebook_cache, "_memory", {})
    return tmp_path / "codebook-checks"


def _problems(text: str) -> list[str]:
    try:
        loads(text, "book.yaml")
    except CodebookError as exc:
        return [line.strip() for line in str(exc).splitlines()[1:]]
    return []


def test_an_edited_codebook_is_checked_afresh(cache: Path) -> None:
    text = (BOOKS / "valid.yaml").read_text(encoding="utf-8")
    assert _problems(text) == []
    star = text.replace('- phrase: ["no work", "no job*", "unemploy*"]', '- phrase: ["no work", "*"]')
    assert star != text
    assert any("[E613]" in p and "'*' alone" in p for p in _problems(star))
    assert len(list(cache.glob("*.json"))) == 2


def test_a_damaged_cache_file_is_passed_over(cache: Path) -> None:
    text = (BOOKS / "bad_never_match_star.yaml").read_text(encoding="utf-8")
    fresh = _problems(text)
    assert any("[E613]" in p for p in fresh)
    [stored] = cache.glob("*.json")
    stored.write_text("{not json", encoding="utf-8")
    codebook_cache._memory.clear()
    assert _problems(text) == fresh
    assert json.loads(stored.read_text(encoding="utf-8"))  # written again, whole
