"""Regex rules scanned once per transcript give the spans of a scan turn by turn (issue 17).

`regex_rules.regex_spans` scans the whole text and scans again, alone, only the turns a match ran
into or out of; these tests compare it with the turn-by-turn scan on the shipped codebook's regex
rules over the sample interviews, and on matches made to cross turns and speaker labels."""

from __future__ import annotations

from pathlib import Path

import pytest

from qualcode import load_codebook, safe_regex
from qualcode.autocode import TurnSpan
from qualcode.regex_rules import _END_AWARE, lowercase_rule, regex_spans, separated
from tests.run_support import labelled_turns, texts_and_turns

ROOT = Path(__file__).resolve().parent.parent


def by_turn(rx, text: str, turns: list[TurnSpan]) -> list[tuple[int, int]]:
    return [m.span() for t in turns for m in rx.finditer(text, t.start, t.end) if m.end() > m.start()]


@pytest.fixture(scope="module")
def interviews(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, list[TurnSpan]]]:
    return texts_and_turns(tmp_path_factory.mktemp("rx"))


def test_the_codebooks_regex_rules_find_the_same_spans_in_one_scan(interviews) -> None:
    book = load_codebook(ROOT / "codebooks" / "migration.yaml")
    rules = [r for r in book.rules() if r.kind == "regex" and r.regex]
    assert len(rules) >= 10
    scanned = found = 0
    for text, turns in interviews:
        assert separated(text, turns)
        low = text.lower()
        for rule in rules:
            rx = lowercase_rule(rule)[0]
            if _END_AWARE.search(rx.pattern):
                continue
            scanned += 1
            want = by_turn(rx, low, turns)
            assert regex_spans(rx, low, turns) == want, rule.id
            found += len(want)
    assert scanned > 200 and found > 20  # the comparison saw real matches


@pytest.mark.parametrize("pattern", [r"work\s+home", r"\bhome\b", r"[a-z: ]+", r"(?:x)?", r"respondent:\s+\w+",
                                     r"\w+\s+\w+", r"o"])
def test_matches_across_turns_and_labels_are_scanned_turn_by_turn(pattern: str) -> None:
    text = "Respondent: we found work\n\nInterviewer: home? work\n\nRespondent: home home, work home"
    turns = labelled_turns(text)
    assert separated(text, turns)
    rx = safe_regex.BoundedPattern(pattern, "r", flags=0)
    assert not _END_AWARE.search(pattern)
    assert regex_spans(rx, text, turns) == by_turn(rx, text, turns)


def test_turns_not_followed_by_whitespace_or_patterns_that_see_the_end_keep_the_turn_scan() -> None:
    text = "Respondent: work.Interviewer: home"
    turns = [TurnSpan(0, "respondent", 12, 17), TurnSpan(1, "interviewer", 30, 34)]
    assert not separated(text, turns)
    for pattern in (r"work$", r"work(?=\.)", r"work(?!x)", r"home\Z"):
        assert _END_AWARE.search(pattern)
