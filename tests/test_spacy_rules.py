"""spaCy's tokenizer rules as data (qualcode/spacy_rules.py): the shipped rules are what the
installed spaCy gives, and applying them in Python splits chunks exactly as spaCy's tokenizer does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qualcode import spacy_rules
from qualcode.nlp import Pipeline

ROOT = Path(__file__).resolve().parent.parent
TRICKY = ("don't DON'T Dont can't won't I'm y'all 'cause o'clock rock'n'roll (a.m.) a.m., a.m.). U.S.A. e.g., "
          "Mr. Dr.Smith :) :-) (:) 10,000 $5,000 3.5% 5pm 1990s... ?! !!! — -- «Да» (нет)... т.д. т. е. и.т.п. "
          "ё-моё что-то 2019-м 1-го жоқ. ж. қала-ға көлік… http://x.org/a?b=1 www.x.kz foo@bar.com #1 @home "
          "\"Yes,\" [sic] O'Brien's sister-in-law's dogs' 20% ok--no Алма-Ату/Астану 42,500 тг.,")


def _chunks() -> list[str]:
    texts = [TRICKY]
    for path in [*(ROOT / "interviews").glob("*.txt"), *(ROOT / "tests" / "data").glob("gold*/*.txt"),
                 ROOT / "tests" / "data" / "kazakh_kk.txt"]:
        texts.append(path.read_text(encoding="utf-8", errors="replace"))
    return sorted({c for t in texts for c in t.split()})


@pytest.mark.parametrize("lang", sorted(spacy_rules.SPACY_LANG))
def test_shipped_rules_are_the_installed_spacys(lang: str) -> None:
    shipped = json.loads((spacy_rules.RULES_DIR / f"{lang}.json").read_text(encoding="utf-8"))
    # After a spaCy upgrade this fails: regenerate with `python -m qualcode.spacy_rules`.
    assert shipped == spacy_rules.extract(lang)


@pytest.mark.parametrize("lang", sorted(spacy_rules.SPACY_LANG))
def test_chunks_split_as_spacys_tokenizer_splits_them(lang: str) -> None:
    """Every distinct chunk of the sample interviews, the gold sets and some tricky strings,
    through every language's rules (a Russian text's chunks through the English rules too)."""
    tokenizer = spacy_rules.spacy_language(lang).tokenizer
    splitter = spacy_rules.load(lang)
    assert splitter is not None
    chunks = _chunks()
    assert len(chunks) > 10_000
    differ = [c for c in chunks
              if splitter(c) != [(t.idx, t.idx + len(t.text)) for t in tokenizer(c) if not t.is_space]]
    assert differ == []


def test_special_cases_found_across_affixes() -> None:
    """spaCy's second pass (its special-case matcher) and the specials inside affixes."""
    splitter = spacy_rules.load("en")
    assert splitter.words("(a.m.)") == ["(", "a.m.", ")"]
    assert splitter.words("don't.") == ["do", "n't", "."]
    assert splitter.words(":-)") == [":-)"]
    assert splitter.words("well-known") == ["well", "-", "known"]


def test_rules_of_another_spacy_version_are_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    """Then spaCy's own tokenizer splits the chunks that are not plain words: the same tokens."""
    text = "I don't know (a.m.), Mr. Smith's 10,000 well-known e-mails... ok?!"
    expected = Pipeline("en").analyse_text(text)
    monkeypatch.setattr(spacy_rules, "spacy_version", lambda: "0.0-not-this-one")
    assert spacy_rules.load("en") is None
    fallback = Pipeline("en")
    assert fallback._splitter is None
    got = fallback.analyse_text(text)
    assert got.start.tolist() == expected.start.tolist() and got.end.tolist() == expected.end.tolist()
    assert [got.strings[i] for i in got.lemma] == [expected.strings[i] for i in expected.lemma]
