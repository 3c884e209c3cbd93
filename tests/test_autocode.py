"""Rule matching: word forms, negation, proximity, units, speakers, regex and token rules.

Most tests run a small inline codebook on one piece of text with `explain` (the engine
behind `qualcode codebook test`); units and speakers are checked on real transcripts
imported into a real project, so offsets are checked against the stored text.
"""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import pytest
import yaml

from qualcode import Project
from qualcode.autocode import TurnSpan, compile_rules, explain
from qualcode.codebook import Codebook, loads
from qualcode.nlp import pipeline

CORPUS = Path(__file__).resolve().parent / "data" / "autocode"


def book(rules: list[dict], lang: str = "en", *, code: dict | None = None, top: dict | None = None) -> Codebook:
    """A one-code codebook (`c`) with these rules in one language, through the real loader."""
    doc = {"name": "t", "version": "1", "languages": [lang], **(top or {}),
           "codes": [{"id": "c", "name": "C", **(code or {}), "rules": {lang: rules}}]}
    return loads(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), "<test>")


def coded(b: Codebook, lang: str, text: str, role: str = "respondent") -> list[str]:
    """The text of each coding the rules make of `text` (one turn)."""
    return [text[c.start:c.end] for c in explain(b, lang, text, role).codings]


def fired(b: Codebook, lang: str, text: str, role: str = "respondent") -> list[tuple[str, str | None]]:
    """Every match: the matched words and why it was dropped (None: kept)."""
    return [(text[m.start:m.end], m.dropped) for m in explain(b, lang, text, role).matches]


# --- Russian word forms -------------------------------------------------------------------------

@pytest.mark.parametrize("form", ["работа", "работы", "работу", "работой", "работе", "Работы"])
def test_russian_phrase_matches_every_case_form_of_the_lemma(form: str) -> None:
    b = book([{"phrase": "работа", "unit": "match"}], "ru")
    text = f"Мы говорили: {form} и деньги."
    assert coded(b, "ru", text) == [form]


def test_russian_phrase_does_not_match_a_different_lemma_with_the_same_stem() -> None:
    b = book([{"phrase": "работа", "unit": "match"}], "ru")
    assert coded(b, "ru", "Он хороший работник.") == []


@pytest.mark.parametrize("form", ["переехал", "переехали", "переезд", "Переезд"])
def test_russian_verb_and_noun_patterns_match_their_forms(form: str) -> None:
    b = book([{"phrase": ["переехать", "переезд"], "unit": "match"}], "ru")
    assert coded(b, "ru", f"Потом {form} в Павлодар.") == [form]


@pytest.mark.parametrize("form", ["переезд", "переезда", "переезжать", "Переездом"])
def test_russian_prefix_wildcard(form: str) -> None:
    b = book([{"phrase": "переез*", "unit": "match"}], "ru")
    assert coded(b, "ru", f"Это {form} был.") == [form]


def test_russian_prefix_wildcard_needs_the_whole_prefix() -> None:
    b = book([{"phrase": "переез*", "unit": "match"}], "ru")
    assert coded(b, "ru", "Это перевод был, мы переехали.") == []


@pytest.mark.parametrize("pattern", ["жильё", "жилье"])
@pytest.mark.parametrize("form", ["жильё", "жилье", "Жилья", "жильём", "ЖИЛЬЕ"])
def test_russian_yo_and_ye_are_the_same_letter(pattern: str, form: str) -> None:
    b = book([{"phrase": pattern, "unit": "match"}], "ru")
    assert coded(b, "ru", f"Вот {form} тут.") == [form]


@pytest.mark.parametrize(("pattern", "text", "expected"), [
    ("жилье*", "Жильё и жильём тут.", ["Жильё", "жильём"]),
    ("жильё*", "Жилье и жильем тут.", ["Жилье", "жильем"]),
])
def test_russian_yo_and_ye_are_the_same_letter_in_prefixes(pattern: str, text: str, expected: list[str]) -> None:
    assert coded(book([{"phrase": pattern, "unit": "match"}], "ru"), "ru", text) == expected


@pytest.mark.parametrize(("pattern", "lang", "text", "expected"), [
    ("работы", "ru", "Доволен работой.", ["работой"]),
    ("переехали", "ru", "Решили переехать.", ["переехать"]),
    ("moved", "en", "We are moving.", ["moving"]),
    ("lost jobs", "en", "They lose their job, we lose job.", ["lose job"]),
])
def test_pattern_words_are_lemmatised_too(pattern: str, lang: str, text: str, expected: list[str]) -> None:
    assert coded(book([{"phrase": pattern, "unit": "match"}], lang), lang, text) == expected


# --- English word forms -------------------------------------------------------------------------

@pytest.mark.parametrize(("pattern", "text", "expected"), [
    ("job", "There were jobs in the north.", ["jobs"]),
    ("job", "I had a job there.", ["job"]),
    ("move", "Then we moved to Kostanay.", ["moved"]),
    ("move", "We are moving next year.", ["moving"]),
    ("find work", "He found work quickly.", ["found work"]),
])
def test_english_phrase_matches_by_lemma(pattern: str, text: str, expected: list[str]) -> None:
    b = book([{"phrase": pattern, "unit": "match"}], "en")
    assert coded(b, "en", text) == expected


def test_english_phrase_does_not_match_other_words() -> None:
    b = book([{"phrase": "job", "unit": "match"}], "en")
    assert coded(b, "en", "He is a jobber in the mover business.") == []


# --- negation and unless ------------------------------------------------------------------------

def test_negated_english_match_is_dropped_with_a_negation_reason() -> None:
    b = book([{"phrase": ["problem finding work", "find work"]}], "en")
    text = "There was no problem finding work."
    matches = fired(b, "en", text)
    assert matches, "the patterns must match before negation drops them"
    for _words, reason in matches:
        assert reason is not None and reason.startswith("negation:") and "'no'" in reason
    assert coded(b, "en", text) == []


def test_negation_false_keeps_the_match() -> None:
    b = book([{"phrase": ["problem finding work", "find work"], "negation": False}], "en")
    text = "There was no problem finding work."
    assert coded(b, "en", text) == [text]
    assert all(reason is None for _w, reason in fired(b, "en", text))


@pytest.mark.parametrize("text", ["I didn't find work.", "I could not find work.", "I never find work."])
def test_other_english_cues_negate(text: str) -> None:
    b = book([{"phrase": "find work"}], "en")
    assert coded(b, "en", text) == []


def test_negation_does_not_reach_into_another_sentence() -> None:
    b = book([{"phrase": "find work"}], "en")
    text = "No. Later I did find work."
    assert coded(b, "en", text) == ["Later I did find work."]


def test_negation_cues_can_be_replaced_per_language() -> None:
    b = book([{"phrase": "find work"}], "en", top={"negation": {"en": {"cues": ["barely"], "before": 2}}})
    assert coded(b, "en", "There was no problem to find work.") == ["There was no problem to find work."]
    assert coded(b, "en", "I could barely find work.") == []


def test_russian_negation_after_the_match_drops_it() -> None:
    b = book([{"phrase": "работа"}], "ru")
    text = "работы не было"
    (match,) = fired(b, "ru", text)
    assert match[0] == "работы"
    assert match[1] is not None and match[1].startswith("negation:") and "'не'" in match[1]
    assert coded(b, "ru", text) == []


def test_russian_punctuation_ends_the_negation_scope() -> None:
    b = book([{"phrase": "работа", "unit": "match"}], "ru")
    text = "Работы не было, поэтому работу искали."
    matches = fired(b, "ru", text)
    assert [w for w, _ in matches] == ["Работы", "работу"]
    assert matches[0][1] is not None and matches[0][1].startswith("negation:")
    assert matches[1][1] is None
    (coding,) = explain(b, "ru", text).codings
    assert (coding.start, coding.end) == (text.index("работу"), text.index("работу") + len("работу"))


@pytest.mark.parametrize(("lang", "rule", "text", "expected"), [
    ("ru", "работа", "Работы нет, работу искали.", ["работу"]),  # 'нет' is 2 tokens before, behind a comma
    ("en", "find work", "No, I found work.", ["found work"]),
])
def test_punctuation_inside_the_window_ends_the_negation_scope(lang: str, rule: str, text: str,
                                                               expected: list[str]) -> None:
    assert coded(book([{"phrase": rule, "unit": "match"}], lang), lang, text) == expected
    assert coded(book([{"phrase": rule, "unit": "match"}], lang), lang, text.replace(",", "")) == expected[:0]


def test_unless_drops_a_match_with_the_word_in_the_same_sentence() -> None:
    b = book([{"near": ["find", "work"], "within": 4, "unless": ["easy"]}], "en")
    text = "It was easy to find work."
    (match,) = fired(b, "en", text)
    assert match[1] is not None and match[1].startswith("unless:") and "easy" in match[1]
    assert coded(b, "en", text) == []
    assert coded(b, "en", "It was easy. Then I had to find work.") == ["Then I had to find work."]


# --- proximity ----------------------------------------------------------------------------------

LOSE_JOB = [{"near": ["lose", "job"], "within": 3, "unit": "match"}]


@pytest.mark.parametrize(("text", "expected"), [
    ("I lost my job", ["lost my job"]),
    ("the job I lost", ["job I lost"]),
    ("I lost my old job", ["lost my old job"]),  # exactly 3 tokens apart
    ("I lost my very old job", []),  # 4 tokens apart
    ("I lost the keys to the car and then a job", []),
])
def test_near_within_n_tokens(text: str, expected: list[str]) -> None:
    assert coded(book(LOSE_JOB, "en"), "en", text) == expected


def _code_turns(b: Codebook, lang: str, text: str, spans: list[tuple[int, int, int]]) -> list[str]:
    """Code `text` split into respondent turns (turn index, start, end), as a project run does."""
    matcher = compile_rules(b, [lang])[lang]
    analysis = pipeline(lang).analyse(text, spans)
    turns = [TurnSpan(i, "respondent", s, e) for i, s, e in spans]
    return [text[p.start:p.end] for p in matcher.propose(analysis, text, turns)[0]]


TWO_TURNS = "And I lost my job then"
ONE_TURN = [(0, 0, len(TWO_TURNS))]
SPLIT = [(0, 0, 10), (1, 11, len(TWO_TURNS))]


@pytest.mark.parametrize("rule", [
    {"near": ["lose", "job"], "within": 3, "unit": "match"},
    {"tokens": [{"LEMMA": "lose"}, {"OP": "?"}, {"LEMMA": "job"}], "unit": "match"},
    {"regex": "lost\\s+my job", "unit": "match"},
    {"phrase": "lose my job", "unit": "match"},
], ids=["near", "tokens", "regex", "phrase"])
def test_no_rule_matches_across_turns(rule: dict) -> None:
    assert TWO_TURNS[0:10] == "And I lost" and TWO_TURNS[11:] == "my job then"
    b = book([rule], "en")
    assert _code_turns(b, "en", TWO_TURNS, ONE_TURN) == ["lost my job"]
    assert _code_turns(b, "en", TWO_TURNS, SPLIT) == []


def test_near_with_unit_turn_still_stays_in_one_turn() -> None:
    text = "I lost it. The job was gone."
    b = book([{"near": ["lose", "job"], "within": 5, "unit": "turn"}], "en")
    assert _code_turns(b, "en", text, [(0, 0, len(text))]) == [text]
    assert _code_turns(b, "en", text, [(0, 0, 10), (1, 11, len(text))]) == []


def test_near_measures_every_item_from_the_first_one() -> None:
    # README: "the first token of each no more than N tokens from the first token of the first item".
    text = "job , I lost it , north"  # job 3 tokens before lost, north 3 after: 6 apart from each other
    assert coded(book([{"near": ["lose", "job", "north"], "within": 3, "unit": "match"}], "en"), "en", text) == [text]
    assert coded(book([{"near": ["job", "lose", "north"], "within": 3, "unit": "match"}], "en"), "en", text) == []


def test_near_items_can_be_lists_of_alternatives() -> None:
    b = book([{"near": [["uncle", "cousin", "friend"], "move"], "within": 4, "unit": "match"}], "en")
    assert coded(b, "en", "My cousin moved first.") == ["cousin moved"]
    assert coded(b, "en", "Then we moved, because a friend did.") == ["moved, because a friend"]
    assert coded(b, "en", "My brother moved first.") == []


def test_near_needs_one_sentence_unless_the_unit_is_the_turn() -> None:
    text = "I lost it. The job was gone."
    assert coded(book([{"near": ["lose", "job"], "within": 5}], "en"), "en", text) == []
    assert coded(book([{"near": ["lose", "job"], "within": 5, "unit": "turn"}], "en"), "en", text) == [text]


def test_a_sentence_goes_on_after_an_abbreviation_in_lowercase() -> None:
    b = book([{"phrase": "работа"}], "ru")
    text = "Работу потеряли, т. е. завод закрыли. Потом уехали."
    assert coded(b, "ru", text) == ["Работу потеряли, т. е. завод закрыли."]


def test_the_first_match_in_a_unit_names_the_rule() -> None:
    b = book([{"id": "a-move", "phrase": "move"}, {"id": "b-job", "phrase": "job"}], "en")
    text = "The job made us move. We move again."
    got = [(c.rule, text[c.start:c.end], text[c.match_start:c.match_end]) for c in explain(b, "en", text).codings]
    assert got == [("b-job", "The job made us move.", "job"), ("a-move", "We move again.", "move")]


# --- regex and spaCy token rules ----------------------------------------------------------------

def test_regex_rule_codes_its_match_or_its_sentence() -> None:
    text = "Было Сокращение Штатов на заводе. Потом ушёл."
    match = book([{"regex": "сокращ\\w* штат\\w*", "unit": "match"}], "ru")
    (m,) = explain(match, "ru", text).codings
    assert (m.start, m.end) == (5, 22) and text[m.start:m.end] == "Сокращение Штатов"
    assert m.rule == "c/ru/1"
    sentence = book([{"regex": "сокращ\\w* штат\\w*"}], "ru")
    assert coded(sentence, "ru", text) == ["Было Сокращение Штатов на заводе."]


def test_regex_rule_respects_negation_and_speakers() -> None:
    b = book([{"regex": "found\\s+work"}], "en")
    assert coded(b, "en", "We never found work.") == []
    assert coded(b, "en", "We found work.", role="interviewer") == []
    assert coded(b, "en", "We found work.") == ["We found work."]


REGEX_TURNS = "R: I lost it.\nI: Why?\nR: The job I lost was my job."
REGEX_SPANS = [(0, 3, 13), (1, 17, 21), (2, 25, len(REGEX_TURNS))]


@pytest.mark.parametrize(("regex", "expected"), [
    ("(?s)lost.{0,40}job", ["lost was my job"]),
    ("lost it\\.$", ["lost it."]),
], ids=["cross-turn-match-hides-in-turn-match", "dollar-at-turn-end"])
def test_regex_runs_over_each_turn_text(regex: str, expected: list[str]) -> None:
    assert [REGEX_TURNS[s:e] for _i, s, e in REGEX_SPANS] == ["I lost it.", "Why?", "The job I lost was my job."]
    b = book([{"regex": regex, "unit": "match"}], "en")
    assert _code_turns(b, "en", REGEX_TURNS, REGEX_SPANS) == expected


def test_tokens_rule_fires_on_lemmas_with_the_right_spans() -> None:
    b = loads(
        """
name: t
version: "1"
languages: [en]
codes:
  - id: loss
    name: Job loss
    rules:
      en:
        - id: lose-job
          tokens: [{LEMMA: lose}, {OP: "?"}, {LEMMA: job}]
          unit: match
""",
        "<test>",
    )
    text = "Then I lost my job. I lost jobs twice. I lose the good job."
    codings = explain(b, "en", text).codings
    assert [(c.start, c.end, text[c.start:c.end]) for c in codings] == [(7, 18, "lost my job"), (22, 31, "lost jobs")]
    assert {c.rule for c in codings} == {"lose-job"} and {c.code for c in codings} == {"loss"}


FIND_WORK_TOKENS = [{"tokens": [{"LEMMA": "найти"}, {"LEMMA": "работа"}], "unit": "match"}]


def test_tokens_rule_in_russian_uses_the_lemma() -> None:
    text = "Она быстро нашла работу. Искали работу долго."
    assert coded(book(FIND_WORK_TOKENS, "ru"), "ru", text) == ["нашла работу"]


def test_tokens_rule_sees_every_equally_likely_lemma_like_phrase_rules_do() -> None:
    text = "Мы быстро нашли работу."
    assert coded(book([{"phrase": "найти работу", "unit": "match"}], "ru"), "ru", text) == ["нашли работу"]
    assert coded(book(FIND_WORK_TOKENS, "ru"), "ru", text) == ["нашли работу"]


# --- units and speakers on real transcripts -----------------------------------------------------

@pytest.fixture(scope="module")
def corpus_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project with the transcripts of tests/data/autocode imported (not coded); copy it to use it."""
    path = tmp_path_factory.mktemp("autocode") / "base.qcdb"
    with Project.create(path) as p:
        report = p.import_files(sorted(CORPUS.glob("*.txt")))
        assert report.ok, [r.message for r in report.failed]
    return path


@pytest.fixture
def corpus(corpus_project: Path, tmp_path: Path):
    dest = tmp_path / "p.qcdb"
    shutil.copy(corpus_project, dest)
    with Project.open(dest) as p:
        yield p


def multi_code_book(rule: dict, units: dict[str, str] | None = None, **top: object) -> Codebook:
    """One code per entry of `units`, each with `rule` and that unit."""
    units = units or {"c": "sentence"}
    doc = {"name": "t", "version": "1", "languages": ["en"], **top,
           "codes": [{"id": cid, "name": cid, "rules": {"en": [{**copy.deepcopy(rule), "unit": unit}]}}
                     for cid, unit in units.items()]}  # copies: the YAML writer makes aliases of shared lists
    return loads(yaml.safe_dump(doc, sort_keys=False), "<test>")


def test_units_match_sentence_and_turn_give_the_exact_spans(corpus: Project) -> None:
    b = multi_code_book({"phrase": "lose my job"}, {"m": "match", "s": "sentence", "t": "turn"})
    corpus.autocode(b, transcripts=["en_worker"])
    text = corpus.transcript_text("en_worker")
    turns = corpus.turns("en_worker")
    turn = turns[turns["text"].str.contains("lost my job")].iloc[0]
    frame = corpus.codings().set_index("code")
    assert len(frame) == 3

    at = text.index("lost my job")
    assert (frame.loc["m", "start"], frame.loc["m", "end"]) == (at, at + len("lost my job"))
    assert frame.loc["m", "text"] == "lost my job"

    sentence = "In Shymkent I lost my job at the cement plant in 2018."
    assert (frame.loc["s", "start"], frame.loc["s", "end"]) == (text.index(sentence),
                                                              text.index(sentence) + len(sentence))
    assert frame.loc["s", "text"] == sentence

    assert (frame.loc["t", "start"], frame.loc["t", "end"]) == (turn["start"], turn["end"])
    assert frame.loc["t", "text"] == turn["text"] == text[turn["start"]:turn["end"]]
    assert frame.loc["t", "text"].startswith("In Shymkent") and frame.loc["t", "text"].endswith("in Kostanay.")
    for r in frame.itertuples():
        assert r.text == text[r.start:r.end]
        assert r.role == "respondent" and r.speaker == "Respondent" and r.turn == turn["turn"]


def test_a_sentence_on_the_next_line_of_a_turn_is_its_own_unit(corpus: Project) -> None:
    # (the brother's words: `reported: true` keeps them, this test is about the unit)
    b = multi_code_book({"phrase": "find work", "negation": False, "reported": True})
    corpus.autocode(b, transcripts=["en_worker"])
    assert corpus.codings()["text"].tolist() == ["My brother said there was no problem finding work in Kostanay."]


def test_several_matches_in_one_unit_make_one_coding(corpus: Project) -> None:
    b = multi_code_book({"phrase": ["job", "lose"]}, {"c": "sentence", "t": "turn"})
    corpus.autocode(b, transcripts=["en_worker"])
    frame = corpus.codings()
    sentences = frame[frame["code"] == "c"]["text"].tolist()
    assert sentences == ["In Shymkent I lost my job at the cement plant in 2018.", "She found a job at a school.",
                         "But the job I lost never came back, so we stay."]
    assert len(frame[frame["code"] == "t"]) == 3  # three respondent turns, one coding each


def _roles(p: Project, b: Codebook) -> list[tuple[str, str]]:
    p.autocode(b, transcripts=["en_worker"])
    return [(r.role, r.text) for r in p.codings().itertuples()]


def test_interviewer_turns_are_not_coded_by_default(corpus: Project) -> None:
    text = corpus.transcript_text("en_worker")
    question = "Why did you decide to move north? Was it about a job?"
    assert question in text  # the interviewer says both trigger words
    got = _roles(corpus, multi_code_book({"phrase": ["job", "move"]}))
    assert got, "respondent turns must be coded"
    assert {role for role, _ in got} == {"respondent"}
    assert not any(question in t or t in question for _, t in got)
    assert explain(multi_code_book({"phrase": "job"}), "en", "Was it about a job?", "interviewer").codings == []
    (dropped,) = explain(multi_code_book({"phrase": "job"}), "en", "Was it about a job?", "interviewer").matches
    assert dropped.dropped is not None and dropped.dropped.startswith("speaker:")


@pytest.mark.parametrize("where", ["rule", "code", "defaults"])
def test_speakers_any_codes_interviewer_turns_too(corpus: Project, where: str) -> None:
    rule: dict = {"phrase": ["job", "move"]}
    if where == "rule":
        b = multi_code_book({**rule, "speakers": ["any"]})
    elif where == "defaults":
        b = multi_code_book(rule, defaults={"speakers": ["any"]})
    else:
        doc = {"name": "t", "version": "1", "languages": ["en"],
               "codes": [{"id": "c", "name": "c", "speakers": ["any"], "rules": {"en": [rule]}}]}
        b = loads(yaml.safe_dump(doc, sort_keys=False), "<test>")
    got = _roles(corpus, b)
    assert ("interviewer", "Why did you decide to move north?") in got
    assert ("interviewer", "Was it about a job?") in got
    assert ("respondent", "She found a job at a school.") in got


def test_speakers_interviewer_codes_only_interviewer_turns(corpus: Project) -> None:
    got = _roles(corpus, multi_code_book({"phrase": ["job", "move"], "speakers": ["interviewer"]}))
    assert got == [("interviewer", "Why did you decide to move north?"), ("interviewer", "Was it about a job?")]


def test_questions_false_leaves_asking_sentences_uncoded() -> None:
    from qualcode.autocode import explain
    from qualcode.codebook import loads

    text = "Will I go back to Shymkent? Maybe. I want to go back."
    spec = "name: q\nversion: 1\nlanguages: [en]\n{defaults}codes:\n  - id: back\n    name: B\n    rules:\n" \
           "      en:\n        - phrase: go back\n          unit: match\n          hypotheticals: true\n"
    asks = explain(loads(spec.format(defaults="defaults: {questions: true}\n")), "en", text)
    assert [text[c.start:c.end] for c in asks.codings] == ["go back", "go back"]
    tells = explain(loads(spec.format(defaults="")), "en", text)  # questions: false is the default
    assert [c.start for c in tells.codings] == [text.rindex("go back")]
    assert any(m.dropped and m.dropped.startswith("question") for m in tells.matches)
