"""Regex rules: compiled for lowercased text, and scanned once per transcript where that finds
what a scan turn by turn finds (issue 17)."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from typing import TYPE_CHECKING

from qualcode import safe_regex

if TYPE_CHECKING:
    from qualcode.autocode import TurnSpan
    from qualcode.codebook import Rule


# What a regex sees at the end of the text it scans: `$`, `\Z`, lookahead. A pattern with none of
# these finds the same spans in one scan of a transcript as turn by turn (`regex_spans`).
_END_AWARE = re.compile(r"\$|\\[ZzK]|\(\?[=!]|\(\?<[=!]|\(\?[a-zA-Z]*r")


def separated(text: str, turns: Sequence[TurnSpan]) -> bool:
    """Whether the turns come in order, without overlap, each followed by whitespace (or the end
    of the text): then `\\b` at a turn's end means the same in the transcript as in the turn."""
    end = -1
    n = len(text)
    for t in turns:
        if t.start < end or t.end < t.start or (t.end < n and not text[t.end].isspace()):
            return False
        end = t.end
    return True


def regex_spans(rx, text: str, turns: Sequence[TurnSpan]) -> list[tuple[int, int]]:
    """The non-empty matches of `rx` within turns, as a scan turn by turn finds them, with one scan
    of the whole text: a match inside one turn is what that turn's own scan finds (the `regex`
    package looks behind `pos`, as the whole text does, and the pattern cannot see past a turn's
    end); a turn that a match runs into or out of is scanned again on its own.

    Needs `separated(text, turns)` and a pattern without `_END_AWARE` constructs."""
    starts = [t.start for t in turns]
    inside: dict[int, list[tuple[int, int]]] = {}
    dirty: set[int] = set()
    for m in rx.finditer(text, 0, len(text)):
        s, e = m.span()
        i = bisect_right(starts, s) - 1  # the last turn starting at or before the match
        if i >= 0 and e <= turns[i].end and s <= turns[i].end:
            if e > s:
                inside.setdefault(i, []).append((s, e))
            continue
        # Out of every turn (a speaker label) or across turns: each turn it touches, again alone.
        j = max(i, 0)
        while j < len(turns) and turns[j].start <= e:
            if turns[j].end >= s:
                dirty.add(j)
            j += 1
    out: list[tuple[int, int]] = []
    for i, turn in enumerate(turns):
        if i in dirty:
            out.extend(m.span() for m in rx.finditer(text, turn.start, turn.end) if m.end() > m.start())
        else:
            out.extend(inside.get(i, ()))
    return out


_CASE_AWARE = re.compile(r"\\[pPN]\{|\(\?[a-zA-Z]*-|\(\?[a-zA-Z]+:")
_ESCAPE_OR_TEXT = re.compile(r"\\(?:[pPN]\{[^}]*\}|.)|[^\\]+", re.DOTALL)


def lowercase_pattern(pattern: str) -> str:
    """A regex for lowercased text: its literal characters lowercased, its escapes kept
    (`\\S`, `\\W`, `\\B`, `\\D` must not become `\\s`, `\\w`, `\\b`, `\\d`)."""
    return "".join(m.group() if m.group().startswith("\\") else m.group().lower()
                   for m in _ESCAPE_OR_TEXT.finditer(pattern))


def lowercase_rule(rule: Rule) -> tuple[safe_regex.BoundedPattern, safe_regex.BoundedPattern]:
    """A regex rule compiled for lowercased text (case-sensitive), and as written (IGNORECASE).
    A pattern that tests case itself (`\\p{Lu}`, a scoped flag) is kept as written for both."""
    as_written = safe_regex.compile_rule(rule)
    if _CASE_AWARE.search(rule.regex):
        return as_written, as_written
    return safe_regex.BoundedPattern(lowercase_pattern(rule.regex), rule.id, flags=0), as_written
