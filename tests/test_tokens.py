"""The chunk tokenizer (qualcode/tokens.py): spaCy's boundaries, qualcode's lemmas and sentences.

Boundaries are checked against spaCy's own tokenizer of each pipeline (`nlp.make_doc`) on
sentences with contractions, hyphens, numbers, abbreviations and punctuation; lemmas and
sentence starts against what the rules need.
"""

from __future__ import annotations

import pytest

from qualcode.nlp import Pipeline, pipeline

SENTENCES = {
    "en": [
        "I don't know, I can't say, we won't go. I'm sure we're fine; it's John's car, the dogs' bowl.",
        "Dont worry, Im here: gonna stay 'cause y'all said so. Well-known e-mail, 2-3 days (maybe).",
        "We paid $5,000 — 10,000 tenge, 3.5% a.m. at 5pm in the 1990s... Mr. Smith?! U.S. etc. \"Yes\" rock'n'roll",
        "She said:\n\"no\"\tand  then… nothing. O'Brien's sister-in-law's flat, 20% off, #1, @home, ok--no",
    ],
    "ru": [
        "Ну, т. е. мы что-то нашли, кое-где по-русски говорят. 10,5 тыс. руб. в месяц — «Да» (нет)...",
        "Ипотеку взяли в 2019-м году, ё-моё! Работы не было; Шымкент-Астана, 42 500 тг., и т.д.",
        "— Вернуться? Нет!!! Ещё... поедем в Алма-Ату/Астану, 1-го числа: «ЦЗН» сказал.",
    ],
    "kk": [
        "Жоқ. жоқ, біз қала-ға 2010 ж. көштік! Жұмыс бар ма? Иә, бар: үй, көлік…",
        "Алматыға келдік, ақша жоқ... Мен «жақсы» дедім (шын).",
    ],
}


@pytest.mark.parametrize("lang,text", [(lang, t) for lang, ts in SENTENCES.items() for t in ts])
def test_boundaries_are_spacys(lang: str, text: str) -> None:
    nlp = pipeline(lang)
    expected = [(t.idx, t.idx + len(t.text)) for t in nlp.nlp.make_doc(text) if not t.is_space]
    tok = nlp.tokens(text)
    assert list(zip(tok.start.tolist(), tok.end.tolist(), strict=True)) == expected
    # a second time from the chunk cache: the same
    again = nlp.tokens(text)
    assert again.start.tolist() == tok.start.tolist() and again.form.tolist() == tok.form.tolist()


def _analysed(lang: str, text: str) -> list[tuple[str, str, int]]:
    a = pipeline(lang).analyse_text(text)
    return [(a.strings[lo], a.strings[le], int(s)) for lo, le, s in
            zip(a.lower.tolist(), a.lemma.tolist(), a.sent.tolist(), strict=True)]


def test_english_contractions_hyphens_numbers() -> None:
    got = _analysed("en", "We don't have savings. Dont say it's well-known: 10,000 tenge.")
    forms = [f for f, _l, _s in got]
    assert forms == ["we", "do", "n't", "have", "savings", ".", "do", "nt", "say", "it", "'s", "well", "-",
                     "known", ":", "10,000", "tenge", "."]
    lemmas = dict((f, lemma) for f, lemma, _s in got)
    assert lemmas["n't"] == "not" and lemmas["nt"] == "not" and lemmas["savings"] == "savings"
    assert [s for _f, _l, s in got] == [0] * 6 + [1] * 12


def test_russian_lemmas_hyphens_and_sentences() -> None:
    got = _analysed("ru", "Мы нашли что-то. Т. е. работу Ещё искали в 2019-м.\nНет!")
    forms = [f for f, _l, _s in got]
    assert forms[:5] == ["мы", "нашли", "что", "-", "то"]
    assert "еще" in forms and "ещё" not in forms  # ё folded to е
    lemmas = {f: lemma for f, lemma, _s in got}
    assert "найти" in lemmas["нашли"].split("|") and lemmas["работу"] == "работа"
    sents = {f: s for f, _l, s in got}
    # "Т. е. работу": a full stop before a lowercase word ("е") does not end the sentence
    assert sents["т."] == sents["е"] == sents["работу"] == 1 and sents["нет"] == 2


def test_kazakh_full_stop_after_kazakh_letter_is_split() -> None:
    got = _analysed("kk", "Жұмыс жоқ. Ақша жоқ")
    assert [f for f, _l, _s in got] == ["жұмыс", "жоқ", ".", "ақша", "жоқ"]
    assert [s for _f, _l, s in got] == [0, 0, 0, 1, 1]


def test_turns_cut_tokens_and_start_sentences() -> None:
    text = "Interviewer: Did you work? Respondent: yes we worked\nhard and"
    a = pipeline("en").analyse(text, [(0, 13, 26), (1, 39, 58)])
    words = [text[s:e] for s, e in zip(a.start.tolist(), a.end.tolist(), strict=True)]
    assert words == ["Did", "you", "work", "?", "yes", "we", "worked", "hard"]
    assert a.turn.tolist() == [0, 0, 0, 0, 1, 1, 1, 1]
    assert a.sent.tolist() == [0, 0, 0, 0, 1, 1, 1, 2]  # a turn and a newline start sentences


def test_a_string_first_seen_as_a_lemma_gets_its_own_lemma_as_a_form() -> None:
    nlp = Pipeline("en")  # fresh tables: "child" and "run" are first interned as lemmas
    first = nlp.analyse_text("The children were running.")
    assert first.lemmas() == ["the", "child", "be", "run", "."]
    later = nlp.analyse_text("A child runs; run, child!")
    assert later.lemmas() == ["a", "child", "run", ";", "run", ",", "child", "!"]


def test_threads_sharing_a_pipeline_get_the_tokens_one_thread_gets() -> None:
    from concurrent.futures import ThreadPoolExecutor

    texts = [f"{s} {i} слово{i}, word{i}'s {i}-{i}" for i in range(40) for s in SENTENCES["en"] + SENTENCES["ru"]]
    def tokens(nlp: Pipeline, text: str) -> list[tuple]:
        a = nlp.analyse_text(text)  # the order of a.strings follows the tables; the tokens may not
        return [(a.strings[lo], a.strings[le], s, b, e) for lo, le, s, b, e in zip(
            a.lower.tolist(), a.lemma.tolist(), a.sent.tolist(), a.start.tolist(), a.end.tolist(), strict=True)]

    alone = Pipeline("ru")
    expected = [tokens(alone, t) for t in texts]
    shared = Pipeline("ru")  # fresh tables, filled by four threads at once
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda t: tokens(shared, t), texts))
    assert got == expected
