"""Russian lemmas: qualcode's lemmatiser gives, for every form, the lemmas of pymorphy3's parses as
their plain definition says (each parse about as likely as the best, normal forms folded, in
order, each once), over every Cyrillic word of the sample interviews and forms with several
likely lemmas or with ё. Written out here from pymorphy3's own Parse objects, so the shortcuts
of `Lemmatiser._russian` (one parse, one lemma) are checked against the long way."""

from __future__ import annotations

import re
from pathlib import Path

import pymorphy3

from qualcode.lemmas import Lemmatiser

ROOT = Path(__file__).resolve().parent.parent
TRICKY = ["нашли", "стали", "мыла", "печь", "три", "все", "её", "ёлки", "берёг", "уже", "мой", "души", "села",
          "дорогой", "знать", "было", "хотите", "кинотеатр", "приехали", "переехали", "работу", "блин", "ёж", "еж"]


def plain(morph: pymorphy3.MorphAnalyzer, form: str) -> str:
    parses = morph.parse(form)
    top = parses[0].score
    folded = [p.normal_form.lower().replace("ё", "е") for p in parses if p.score >= top * 0.5]
    return "|".join(dict.fromkeys(folded))


def test_russian_lemmas_are_pymorphy3s_likely_parses() -> None:
    words: set[str] = set(TRICKY)
    for path in sorted((ROOT / "interviews").glob("*.txt")):
        words.update(w.lower().replace("ё", "е") for w in re.findall(r"[а-яёА-ЯЁ]+", path.read_text(encoding="utf-8")))
    words.update(w.replace("е", "ё") for w in TRICKY)  # the same forms as typed with ё, folded by the caller
    forms = sorted(w.replace("ё", "е") for w in words)
    assert len(forms) > 1000
    morph = pymorphy3.MorphAnalyzer(lang="ru")
    got = Lemmatiser("ru").many(forms)
    expected = [plain(morph, f) for f in forms]
    assert got == expected
    assert any("|" in lemma for lemma in got)  # some forms do have several likely lemmas
