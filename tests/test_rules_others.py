"""Other people named by a plural or a colloquial word ("the newcomers", "the guys", «новенькие»,
«парень», «ребята») are other people for `scope: self` (qualcode/clauses.py, issue 12 third
pass), as "my cousin" and «сосед» already were. An English and a Russian sentence that must code
and one that must not. Not «человек»: pymorphy3 gives «люди» that lemma, and "по людям" (working
for people) is the respondent's own work."""

from __future__ import annotations

import pytest
import yaml

from qualcode.autocode import explain
from qualcode.codebook import Codebook, loads


def book(lang: str, phrase: str) -> Codebook:
    doc = {"name": "t", "version": "1", "languages": [lang],
           "codes": [{"id": "c", "name": "c", "scope": "self", "rules": {lang: [{"phrase": phrase, "unit": "match"}]}}]}
    return loads(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), "<test>")


def coded(b: Codebook, lang: str, text: str) -> list[str]:
    return [text[c.start:c.end] for c in explain(b, lang, text).codings]


@pytest.mark.parametrize(("lang", "phrase", "must_code", "must_not"), [
    ("en", "rent a room", "We rent a room near the plant.", "The newcomers rent a room near the plant."),
    ("en", "paid in cash", "At the bazaar I was paid in cash.", "The guys at the bazaar were paid in cash."),
    ("ru", "снимать квартиру", "Мы снимаем квартиру у частника.", "Новенькие снимают квартиру у частника."),
    ("ru", "наличкой", "Мне платят наличкой, раз в неделю.", "Парень калымит где придётся, наличкой."),
])
def test_other_people_named_colloquially(lang: str, phrase: str, must_code: str, must_not: str) -> None:
    b = book(lang, phrase)
    assert coded(b, lang, must_code), must_code
    assert coded(b, lang, must_not) == [], must_not
    assert any((m.dropped or "").startswith("someone else") for m in explain(b, lang, must_not).matches)


def test_working_for_people_is_still_ones_own_work() -> None:
    b = book("ru", "поденно")
    assert coded(b, "ru", "Работал по людям, кому забор, кому кирпич разгрузить, поденно.")
