"""Quoted words are reported speech (qualcode/clauses.py, issue 12 third pass): a match between
quotation marks in its turn is someone's quoted words or a name, not the respondent's account, so
it does not code unless the rule takes `reported: true`. An English and a Russian sentence that
must code and one that must not, and the limits of a quotation (its turn, a stray mark)."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from qualcode.autocode import Matcher, TurnSpan, explain
from qualcode.clauses import Clauses
from qualcode.codebook import Codebook, loads
from qualcode.nlp import pipeline


def book(lang: str, rule: dict, **code_keys: object) -> Codebook:
    doc = {"name": "t", "version": "1", "languages": [lang],
           "codes": [{"id": "c", "name": "c", **code_keys, "rules": {lang: [{**rule, "unit": "match"}]}}]}
    return loads(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), "<test>")


def coded(b: Codebook, lang: str, text: str) -> list[str]:
    return [text[c.start:c.end] for c in explain(b, lang, text).codings]


CASES = [
    ("en", {"phrase": "sit at home"}, "After the plant closed I had to sit at home for a year.",
     'My husband says: "Sit at home, what will you earn there."'),
    ("en", {"phrase": "no money"}, "We had no money for the ticket.",
     "The boss told us “no money this month” and left."),
    ("ru", {"phrase": "оформить"}, "Через месяц меня оформили официально.",
     "Хозяйка сказала: «После испытательного оформлю», а сама уехала."),
    ("ru", {"phrase": "диплом"}, "У меня диплом педагогического колледжа.",
     "Я поехала по программе «С дипломом — в село»."),
]


@pytest.mark.parametrize(("lang", "rule", "must_code", "must_not"), CASES)
def test_quoted_words_do_not_code(lang: str, rule: dict, must_code: str, must_not: str) -> None:
    b = book(lang, {**rule, "negation": False})
    assert coded(b, lang, must_code), must_code
    assert coded(b, lang, must_not) == [], must_not
    reasons = [m.dropped or "" for m in explain(b, lang, must_not).matches]
    assert reasons and all(r.startswith("reported: between quotation marks") for r in reasons), reasons


@pytest.mark.parametrize(("lang", "rule", "_must_code", "quoted"), CASES)
def test_reported_true_keeps_quoted_words(lang: str, rule: dict, _must_code: str, quoted: str) -> None:
    """Pull codes and discrimination take `reported: true`: what others said is their evidence."""
    assert coded(book(lang, {**rule, "negation": False}, reported=True), lang, quoted)


def test_after_the_closing_mark_the_respondent_speaks_again() -> None:
    b = book("en", {"phrase": "no money", "negation": False})
    text = 'He said "wait a month" and we had no money at all.'
    assert coded(b, "en", text) == ["no money"]


def test_an_unclosed_or_distant_mark_quotes_nothing() -> None:
    b = book("ru", {"phrase": "денег нет", "negation": False})
    assert coded(b, "ru", "Он сказал: «подожди. А у нас денег нет совсем.") == ["денег нет"]
    far = "Он сказал: «" + "очень " * 160 + "денег нет»."
    assert coded(b, "ru", far) == ["денег нет"]


def test_a_quote_does_not_run_into_the_next_turn() -> None:
    """An opening mark left open at the end of one turn does not quote the next turn's words."""
    b = book("en", {"phrase": "no money", "negation": False})
    text = 'Interviewer: And he said "come?\nRespondent: We had no money then.'
    cut = text.index("\n")
    a = pipeline("en").analyse(text, [(0, 0, cut), (1, cut + 1, len(text))])
    turns = [TurnSpan(0, "interviewer", 0, cut), TurnSpan(1, "respondent", cut + 1, len(text))]
    found = Matcher(b, "en", pipeline("en")).matches(a, text, turns, explain=True)
    assert [(text[m.start:m.end], m.dropped) for m in found] == [("no money", None)]


def test_quoted_many_answers_as_quoted_does() -> None:
    text = 'I said "we had no money" and then «денег нет» again, "unclosed here.'
    a = pipeline("en").analyse_text(text)
    c = Clauses(a, "en")
    every = np.arange(len(a))
    assert c.quoted_many(every).tolist() == [c.quoted(int(j)) for j in every]
    assert any(c.quoted_many(every)) and not all(c.quoted_many(every))
