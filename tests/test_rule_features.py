"""The rule engine's clause features (qualcode/clauses.py), each with an English and a Russian
sentence it must code and one it must not (issue 12, "rules that generalise")."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from qualcode.autocode import explain
from qualcode.codebook import Codebook, loads

CODEBOOK = Path(__file__).resolve().parent.parent / "codebooks" / "migration.yaml"


def book(lang: str, rule: dict, **code_keys: object) -> Codebook:
    doc = {"name": "t", "version": "1", "languages": [lang],
           "codes": [{"id": "c", "name": "c", **code_keys, "rules": {lang: [{**rule, "unit": "match"}]}}]}
    return loads(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), "<test>")


def coded(b: Codebook, lang: str, text: str) -> list[str]:
    return [text[c.start:c.end] for c in explain(b, lang, text).codings]


def reasons(b: Codebook, lang: str, text: str) -> list[str]:
    return [m.dropped or "" for m in explain(b, lang, text).matches]


# feature, lang, rule, code keys, a sentence that must code, one that must not, the reason's start
CASES = [
    ("negation in the clause", "en", {"phrase": "credit"}, {},
     "We took everything in credit.", "We did not take anything in credit.", "negation"),
    ("negation in the clause", "ru", {"phrase": "кредит"}, {},
     "Брали всё в кредит, потом отдавали.", "Мы ничего тогда в кредит не брали.", "negation"),
    ("question", "en", {"phrase": "go back"}, {"hypotheticals": True},
     "I want to go back to Shymkent.", "Will I go back to Shymkent?", "question"),
    ("question", "ru", {"phrase": "вернуться"}, {"hypotheticals": True},
     "Думаю вернуться в Шымкент.", "Вернуться ли мне в Шымкент?", "question"),
    ("reported speech", "en", {"phrase": "no work"}, {},
     "I tell everyone there was no work.", "People expect me to say there was no work.", "reported"),
    ("reported speech", "ru", {"phrase": "много работы"}, {},
     "Я скажу так: в Астане много работы.", "Говорят, что в Астане много работы.", "reported"),
    ("hypothetical", "en", {"phrase": "stayed"}, {},
     "We stayed in the village until 2019.", "If there had been work, we would have stayed.", "hypothetical"),
    ("hypothetical", "ru", {"phrase": "остаться"}, {},
     "Мы остались в ауле до весны.", "Если бы была работа, мы бы остались.", "hypothetical"),
    ("someone else's situation", "en", {"phrase": "job"}, {"scope": "self"},
     "My husband lost his job at the plant.", "My cousin lost his job at the plant.", "someone else"),
    ("someone else's situation", "ru", {"phrase": "кредит"}, {"scope": "self"},
     "Мы с братом взяли кредит.", "У соседа кредит на машину.", "someone else"),
    ("word sense", "en", {"phrase": "credit", "sense": ["bank", "loan", "pay"]}, {},
     "We took a credit from the bank.", "All credit to you for doing that.", "sense"),
    ("word sense", "ru", {"phrase": "программа", "sense": ["переселение", "квота", "подъемные"]}, {},
     "По программе переселения дали подъёмные.", "Есть такая программа для таблиц.", "sense"),
    # purpose is not a fact: "so that", "in order to"; чтобы (что + бы) in Russian
    ("purpose", "en", {"phrase": "official"}, {},
     "So that's how it went: my job is official.", "I took the job so that my work is official.", "hypothetical"),
    ("purpose", "ru", {"phrase": "официальный"}, {},
     "Работа у меня официальная, чтобы вы знали.", "Хочу, чтобы работа была официальной.", "hypothetical"),
    # a modal perfect or "would be" after the match makes its clause unreal too
    ("modal after the match", "en", {"phrase": "programme"}, {},
     "The programme paid for the move.", "For him the programme would be the right thing.", "hypothetical"),
    ("modal after the match", "ru", {"phrase": "программа"}, {},
     "Программа оплатила переезд.", "Программа бы оплатила переезд.", "hypothetical"),
    # the thing named, a dash, and a bare "no": an answer that denies it
    ("answered no", "en", {"phrase": "contract"}, {},
     "A contract — yes, from the first day.", "A contract — no.", "negation"),
    ("answered no", "ru", {"phrase": "официально"}, {},
     "Официально — да, с первого дня.", "Официально — нет.", "negation"),
]


@pytest.mark.parametrize(("feature", "lang", "rule", "keys", "codes", "does_not", "reason"), CASES,
                         ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_feature_codes_one_sentence_and_not_the_other(feature: str, lang: str, rule: dict, keys: dict,
                                                      codes: str, does_not: str, reason: str) -> None:
    b = book(lang, rule, **keys)
    assert coded(b, lang, codes), f"{feature}: {codes!r} must be coded"
    assert coded(b, lang, does_not) == [], f"{feature}: {does_not!r} must not be coded"
    assert any(r.startswith(reason) for r in reasons(b, lang, does_not)), reasons(b, lang, does_not)


@pytest.mark.parametrize(("key", "lang", "rule", "text"), [
    ("questions", "en", {"phrase": "go back"}, "Will I go back to Shymkent?"),
    ("reported", "ru", {"phrase": "много работы"}, "Говорят, что в Астане много работы."),
    ("hypotheticals", "en", {"phrase": "stayed"}, "If there had been work, we would have stayed."),
])
def test_each_context_key_lets_the_codebook_code_it_after_all(key: str, lang: str, rule: dict, text: str) -> None:
    assert coded(book(lang, rule), lang, text) == []
    assert coded(book(lang, rule, **{key: True}), lang, text), f"`{key}: true` on the code must code {text!r}"
    assert coded(book(lang, {**rule, key: True}), lang, text), f"`{key}: true` on the rule must code {text!r}"


def test_interviewer_rules_code_questions_by_default() -> None:
    b = book("en", {"phrase": "move north", "speakers": ["interviewer"]})
    assert coded(b, "en", "Why did you move north?") == []  # explain() treats the text as a respondent turn
    assert explain(b, "en", "Why did you move north?", role="interviewer").codings


def test_negation_scope_window_keeps_the_old_fixed_window() -> None:
    text = "We did not take anything in credit."
    b = loads(yaml.safe_dump({"name": "t", "version": "1", "languages": ["en"],
                              "negation": {"en": {"scope": "window", "before": 3}},
                              "codes": [{"id": "c", "name": "c", "rules": {"en": [{"phrase": "credit"}]}}]}), "<t>")
    assert coded(b, "en", text) == [text]


def test_not_only_is_no_negation() -> None:
    assert coded(book("en", {"phrase": "debts"}), "en", "Not only debts, also the rent.") == ["debts"]


@pytest.mark.parametrize(("key", "value"), [("scope", "others"), ("reported", "yes"), ("hypotheticals", 1)])
def test_a_bad_context_value_is_a_numbered_error_naming_the_key(key: str, value: object) -> None:
    from qualcode.errors import CodebookError

    with pytest.raises(CodebookError) as err:
        book("en", {"phrase": "job"}, **{key: value})
    assert "E604" in str(err.value) and key in str(err.value)


@pytest.mark.parametrize("text", ["Oh, all credit to you for doing that.", "I go back to my library team.",
                                  "You go back to your lab and write it up.",
                                  "We used a programme called Tableau for the charts.",
                                  "You have to deposit the data in the repository."])
def test_the_shipped_codebook_does_not_code_the_off_topic_false_positives(text: str) -> None:
    from qualcode.codebook import load

    assert explain(load(CODEBOOK), "en", text).codings == []


@pytest.mark.parametrize(("text", "code"), [
    ("We took a credit from the bank for the wedding.", "resource_lack.debt"),
    ("When the children grow up we will go back to Shymkent.", "goal.return_south"),
    ("We came under the resettlement programme and got the subsidy.", "pull.state_program"),
    ("The landlady wanted a deposit of two months.", "resource_lack.renting"),
])
def test_the_shipped_codebook_still_codes_the_migration_senses(text: str, code: str) -> None:
    from qualcode.codebook import load

    assert code in {c.code for c in explain(load(CODEBOOK), "en", text).codings}


# --- the match cache follows every clause key ----------------------------------------------------

RECODE_CORPUS = Path(__file__).resolve().parent / "data" / "autocode"
RECODE_BOOK = """name: clause keys
version: "1"
languages: [en]
codes:
  - id: find
    name: Finding work
    {code_keys}
    rules:
      en:
        - phrase: [find work, problem finding work, job]
          negation: false
          {rule_keys}
"""


def _rule_codings(p) -> list[tuple]:
    frame = p.codings(origin="rule")
    return sorted(zip(frame["transcript"], frame["start"], frame["end"], frame["code"], strict=True))


@pytest.mark.parametrize(("before", "after"), [
    (("", ""), ("", "reported: true")),  # "My brother said there was no problem finding work"
    (("", ""), ("", "sense: [school]")),  # only "a job at a school"
    (("", "reported: true"), ("scope: self", "reported: true")),  # "My brother said …" is the brother's
    (("", "speakers: [any]\n          questions: false"), ("", "speakers: [any]")),  # "Was it about a job?"
], ids=["reported", "sense", "scope", "questions"])
def test_a_recode_after_changing_a_clause_key_gives_what_a_fresh_coding_gives(
        tmp_path: Path, before: tuple[str, str], after: tuple[str, str]) -> None:
    # Rule matches are cached per transcript under the rule's fingerprint: a key that changes
    # where a rule fires must change the fingerprint, or a re-code would reuse stale matches.
    from qualcode import Project

    books = []
    for n, (code_keys, rule_keys) in enumerate((before, after)):
        path = tmp_path / f"book{n}.yaml"
        path.write_text(RECODE_BOOK.format(code_keys=code_keys, rule_keys=rule_keys), encoding="utf-8")
        books.append(path)
    files = sorted(RECODE_CORPUS.glob("en_*.txt"))
    with Project.create(tmp_path / "cached.qcdb") as p:
        p.import_files(files)
        p.autocode(books[0])
        first = _rule_codings(p)
        p.autocode(books[1])
        again = _rule_codings(p)
    with Project.create(tmp_path / "fresh.qcdb") as p:
        p.import_files(files)
        p.autocode(books[1])
        fresh = _rule_codings(p)
    assert again == fresh
    assert again != first, "the variant must change the codings, or this test could not fail"


def test_russian_negated_verb_after_the_match_negates_it_unless_the_match_is_a_circumstance() -> None:
    b = book("ru", {"phrase": ["кредит", "развод"]})
    assert coded(b, "ru", "Кредит мы тогда не брали.") == []  # the object before its negated verb
    assert coded(b, "ru", "Кредит брали, не скрываю.") == ["Кредит"]  # another clause
    assert coded(b, "ru", "После развода я не могла найти работу.") == ["развода"]  # the divorce happened


def test_clause_questions_look_no_further_than_reach_tokens() -> None:
    # Text without punctuation (raw speech recognition) is one endless sentence; the clause
    # questions look at most REACH tokens from a match, so coding stays linear in its length.
    from qualcode.clauses import REACH, Clauses
    from qualcode.nlp import pipeline

    b = book("en", {"phrase": "credit"})
    near = "we did not take " + "bank " * 5 + "credit"
    far = "we did not take " + "bank " * (REACH + 5) + "credit"
    assert coded(b, "en", near) == []
    assert coded(b, "en", far) == ["credit"]
    a = pipeline("en").analyse_text("bank " * 500 + "credit")
    cs, ce = Clauses(a, "en").clause(len(a) - 1, len(a))
    assert len(a) - 1 - cs == REACH and ce == len(a)
