"""Regex rules scanned only in the turns that hold the literals every match consumes
(`qualcode.regex_literals`, issue 17) find what a scan of every turn finds."""

from __future__ import annotations

from pathlib import Path

import pytest

from qualcode import load_codebook, safe_regex
from qualcode.autocode import TurnSpan
from qualcode.regex_literals import StartingWith, first_words, required_literals, turns_with
from qualcode.regex_rules import lowercase_rule
from tests.run_support import labelled_turns, texts_and_turns

ROOT = Path(__file__).resolve().parent.parent


def by_turn(rx, text: str, turns: list[TurnSpan], only=None) -> list[tuple[int, int]]:
    return [m.span() for k, t in enumerate(turns) if only is None or k in only
            for m in rx.finditer(text, t.start, t.end) if m.end() > m.start()]


@pytest.fixture(scope="module")
def transcripts(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, list[TurnSpan]]]:
    gold4 = sorted((ROOT / "tests" / "data" / "gold4").glob("*.txt"))
    return [(text.lower(), turns) for text, turns in texts_and_turns(tmp_path_factory.mktemp("lit"), gold4)]


def test_the_codebooks_regex_rules_find_the_same_spans_in_the_turns_with_their_literals(transcripts) -> None:
    book = load_codebook(ROOT / "codebooks" / "migration.yaml")
    rules = [r for r in book.rules() if r.kind == "regex" and r.regex]
    with_literals = skipped = found = 0
    for rule in rules:
        rx, as_written = lowercase_rule(rule)
        literals = () if rx is as_written else required_literals(rx.pattern)
        with_literals += bool(literals)
        for text, turns in transcripts:
            only = turns_with(text, turns, literals) if literals else None
            want = by_turn(rx, text, turns)
            assert by_turn(rx, text, turns, None if only is None else set(only)) == want, rule.id
            skipped += 0 if only is None else len(turns) - len(only)
            found += len(want)
    # The comparison is not empty: rules had literals, turns were skipped, and matches were found.
    assert with_literals >= 5 and skipped > 1000 and found > 50


@pytest.mark.parametrize(("pattern", "literals"), [
    (r"\bна свои(?=\s*[—–,.]|\s*$)", [{"на свои"}]),  # in a lookahead: not consumed, not required
    (r"(долг|кредит)\w*\s+(ещё|пока)\s+не\b", [{"долг", "кредит"}, {"ещё", "пока"}]),
    (r"(want|plan)[^.?!]{0,40}(flat|house)", [{"want", "plan"}, {"flat", "house"}]),
    (r"(?:work){e<=1}", []),  # fuzzy matching (`regex` only): braces read as text elsewhere
    (r"[[:alpha:]]ing", []),  # a POSIX class
    (r"(?i)work", []),  # inline flags change what is literal
    (r"\w+(?i:work) home", [{" home"}]),  # a scoped flag: its group requires nothing
    (r"(work|)home", [{"home"}]),  # an empty alternative: nothing required of the group
    (r"(?=work)\w+", []),
    (r"\bwork", []),  # a literal first character: `regex` finds it fast by itself
])
def test_the_literals_of_patterns(pattern: str, literals: list[set[str]]) -> None:
    assert [set(s) for s in required_literals(pattern)] == literals


def test_a_literal_across_a_turns_end_or_in_a_label_selects_no_turn() -> None:
    text = "respondent: we had debt\n\ninterviewer: credit? no\n\nrespondent: the credit is paid"
    turns = labelled_turns(text)
    assert turns_with(text, turns, [frozenset({"credit"})]) == [1, 2]
    assert turns_with(text, turns, [frozenset({"credit"}), frozenset({"paid", "debt"})]) == [2]  # both sets
    long = "r: the credit, the credit, the credit\n\ni: no"
    halves = [TurnSpan(0, "respondent", 3, long.index("\n")), TurnSpan(1, "interviewer", len(long) - 2, len(long))]
    assert turns_with(long, halves, [frozenset({"credit"})]) is None  # more than half the text: scan it all
    assert turns_with(text, turns, [frozenset({"debt"})]) == [0]
    assert turns_with(text, turns, [frozenset({"interviewer"})]) == []  # only in a speaker label
    assert turns_with(text, turns, [frozenset({"debt\n"})]) == []  # runs out of its turn
    rx = safe_regex.BoundedPattern(r"(the|we)\s+\w+\s+debt", "r", flags=0)
    assert by_turn(rx, text, turns, {0}) == by_turn(rx, text, turns) == [(text.index("we had"), text.index("\n"))]
    assert turns_with(text, [turns[1], turns[0], turns[2]], [frozenset({"debt"})]) is None  # out of order
    assert turns_with(text, [turns[0], TurnSpan(9, "respondent", 15, 30)], [frozenset({"debt"})]) is None  # overlap


def test_patterns_that_open_with_alternatives_are_tried_only_where_one_occurs(transcripts) -> None:
    book = load_codebook(ROOT / "codebooks" / "migration.yaml")
    tried = found = 0
    for rule in [r for r in book.rules() if r.kind == "regex" and r.regex]:
        rx, as_written = lowercase_rule(rule)
        words = () if rx is as_written else first_words(rx.pattern)
        if not words:
            continue
        tried += 1
        starting = StartingWith(rx, words)
        for text, turns in transcripts:
            want = [m.span() for m in rx.finditer(text, 0, len(text))]
            assert [m.span() for m in starting.finditer(text, 0, len(text))] == want, rule.id
            assert by_turn(starting, text, turns) == by_turn(rx, text, turns), rule.id
            found += len(want)
    assert tried >= 5 and found > 50


@pytest.mark.parametrize(("pattern", "words"), [
    (r"\b(дали|дают|дал)\s+дом", ("дал", "дают")),  # "дали" is found with "дал"
    (r"(want|plan)[^.?!]{0,40}(flat|house)", ("plan", "want")),
    (r"\b(go|going)\s+back\b|\breturn(ing)?\b", ("go", "return")),
    (r"\bцзн\b", ()),  # one literal start: `regex` finds it fast itself
    (r"(a|bc)\w", ()),  # a one-character start
    (r"(a|bc)d", ("ad", "bcd")),
    (r"[ab]cd|ef", ()),  # a character class first
    (r"(?:work){e<=1}|job", ()),  # fuzzy matching
])
def test_the_words_a_pattern_starts_with(pattern: str, words: tuple[str, ...]) -> None:
    assert first_words(pattern) == words


def test_a_scan_from_candidate_starts_is_the_scan_and_keeps_the_time_bound() -> None:
    text = "дали дали дом, дал дом; они дают дом"
    rx = safe_regex.BoundedPattern(r"\b(дали|дают|дал)(\s+дали)?\s+дом", "r", flags=0)
    starting = StartingWith(rx, first_words(rx.pattern))
    # Matches that start inside an earlier one are not found again ("дали дом" inside "дали дали дом").
    assert [m.span() for m in starting.finditer(text)] == [m.span() for m in rx.finditer(text)] == [
        (0, 13), (15, 22), (28, 36)]
    assert [m.span() for m in starting.finditer(text, 5, 20)] == [m.span() for m in rx.finditer(text, 5, 20)]
    bounded = StartingWith(safe_regex.BoundedPattern(rx.pattern, "r", flags=0, timeout=0.0), ("дал", "дают"))
    with pytest.raises(safe_regex.RegexTimeout) as err:
        list(bounded.finditer(text))
    assert err.value.code == "E951"
