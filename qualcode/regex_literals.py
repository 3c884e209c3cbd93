"""The literal words a regex rule's every match must contain, so that its scan can skip the turns
without them (issue 17).

A rule's reference scan is turn by turn (`RuleKinds._regex`): a match lies inside one turn, and so
does every character it consumes. If each match consumes one of a few literal strings ("на свои",
"квартир|дом|жиль|угол"), a turn that contains none of them has no match, and scanning only the
turns that do finds exactly what scanning all of them finds. Most rules' words are in a few turns
of a transcript: locating them with `str.find` costs less than the `regex` scan over every turn.

The literals are read from the pattern's parse tree by Python's own regex parser (`re._parser`, the
module behind `sre_parse`). Patterns are written for the `regex` package, whose syntax is wider: a
pattern the parser rejects, or whose constructs it might read otherwise (fuzzy `{e<=1}`, inline
flags), gets no literals and is scanned in full.
"""

from __future__ import annotations

import re
import time
from bisect import bisect_right
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

try:  # a private module of the standard library: without it every turn is scanned, as before
    import re._constants as _c
    import re._parser as _parser
except ImportError:  # pragma: no cover - other Python versions
    _parser = None

from qualcode import safe_regex
from qualcode.regex_rules import _END_AWARE

if TYPE_CHECKING:
    from qualcode.autocode import TurnSpan

# At most this many literals per set: finding each costs a pass over the text (`str.find`), which
# for a long list of alternatives costs more than the scan it would spare.
MAX_LITERALS = 8
# Scan only the turns with literals when they hold at most this share of the text; past it one
# scan of the whole transcript (`regex_rules.regex_spans`) is cheaper than many short ones.
MAX_SHARE = 0.5

# `regex`-only syntax that Python's parser would read as literal text: fuzzy matching
# ("(?:word){e<=1}") and any other brace that is not a repeat count (escaped ones too, to be
# safe), POSIX classes and nested sets ("[[:alpha:]]").
_OTHER_SYNTAX = re.compile(r"\{(?!\d+(?:,\d*)?\}|,\d+\})|\[\[|\[:|\[=|\[\.")


def _required(sub) -> list[frozenset[str]]:
    """Sets of strings such that every match of `sub` consumes one string of each set."""
    sets: list[frozenset[str]] = []
    run: list[str] = []
    for op, av in sub:
        if op is _c.LITERAL:
            run.append(chr(av))
            continue
        if run:
            sets.append(frozenset({"".join(run)}))
            run = []
        if op is _c.SUBPATTERN:
            _group, add_flags, _del_flags, body = av
            if not add_flags:
                sets.extend(_required(body))
        elif op is _c.BRANCH:
            options = [_best(_required(branch)) for branch in av[1]]
            if all(options):
                sets.append(frozenset().union(*options))
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT) and av[0] >= 1:
            sets.extend(_required(av[2]))
        elif op is _c.ATOMIC_GROUP:
            sets.extend(_required(av))
        # Anything else (character classes, lookarounds, anchors, optional parts) consumes no
        # known literal and ends a run of literal characters.
    if run:
        sets.append(frozenset({"".join(run)}))
    return sets


def _literal_first(sub) -> bool:
    """Whether the first character a match consumes (past anchors such as \\b) is a literal."""
    for op, av in sub:
        if op is _c.AT:
            continue
        if op is _c.SUBPATTERN:
            return _literal_first(av[3])
        return op is _c.LITERAL
    return False


def _best(sets: list[frozenset[str]]) -> frozenset[str] | None:
    """The most selective set: its shortest string longest, then the fewest strings."""
    usable = [s for s in sets if s and "" not in s]
    return max(usable, key=lambda s: (min(map(len, s)), -len(s))) if usable else None


@lru_cache(maxsize=1024)
def required_literals(pattern: str) -> tuple[frozenset[str], ...]:
    """Up to two sets of literal strings (lowercase pattern, case-sensitive) such that every match
    of `pattern` consumes one string of each set; () when none is known."""
    if _parser is None or _OTHER_SYNTAX.search(pattern):
        return ()
    try:
        parsed = _parser.parse(pattern, 0)
    except Exception:  # `regex`-only syntax: no literals, the rule scans every turn
        return ()
    if parsed.state.flags & (re.IGNORECASE | re.VERBOSE):  # inline (?i) or (?x) changes what is literal
        return ()
    if _literal_first(parsed) and not _END_AWARE.search(pattern):
        # `regex` finds a literal first character fast by itself ("\\bЦЗН\\b", "\\b(оста[её]мся|…)"
        # with its prefix factored out): locating the literals would cost about as much as the
        # one scan of the transcript. A pattern scanned turn by turn (`_END_AWARE`) gains anyway.
        return ()
    usable = [s for s in _required(parsed) if s and "" not in s and len(s) <= MAX_LITERALS
              and min(map(len, s)) >= 2]
    usable.sort(key=lambda s: (-min(map(len, s)), len(s)))
    return tuple(usable[:2])


def turns_with(text: str, turns: Sequence[TurnSpan], literals: Sequence[frozenset[str]]) -> list[int] | None:
    """The indices (into `turns`, ascending) of the turns that contain a string of every set, whole
    inside the turn; None when those turns hold more than MAX_SHARE of the text, or the turns are not
    in order without overlap (scan them all)."""
    if not literals or not turns:
        return None
    starts = [t.start for t in turns]
    end = -1
    for t in turns:  # a turn is found by bisection: turns in order, without overlap (else scan them all)
        if t.start < end or t.end < t.start:
            return None
        end = t.end
    found: set[int] | None = None
    for strings in literals:
        hit: set[int] = set()
        for word in strings:
            i = text.find(word)
            while i >= 0:
                k = bisect_right(starts, i) - 1
                if k >= 0 and i + len(word) <= turns[k].end:
                    hit.add(k)
                    i = text.find(word, max(turns[k].end, i + 1))  # one hit a turn is enough
                else:
                    i = text.find(word, i + 1)
        found = hit if found is None else found & hit
        if not found:
            return []
    order = sorted(found)
    if sum(turns[k].end - turns[k].start for k in order) > MAX_SHARE * len(text):
        return None
    return order


# At most this many strings a match can start with: each is looked for with `str.find`.
MAX_STARTS = 32


def _starts(sub) -> tuple[set[str], bool] | None:
    """(strings, whole): every match of `sub` starts with one of the strings; `whole` when each is
    all a match consumes. None when nothing is known (a character class or a repeat first)."""
    prefixes = {""}
    for op, av in sub:
        if op is _c.LITERAL:
            prefixes = {p + chr(av) for p in prefixes}
            continue
        if op is _c.AT and av is _c.AT_BOUNDARY and prefixes == {""}:
            continue  # a leading \b consumes nothing
        inner: tuple[set[str], bool] | None = None
        if op is _c.SUBPATTERN and not av[1] and not av[2]:
            inner = _starts(av[3])
        elif op is _c.BRANCH:
            parts = [_starts(branch) for branch in av[1]]
            if all(p is not None for p in parts):
                inner = (set().union(*(p[0] for p in parts)), all(p[1] for p in parts))
        if inner is None:
            return (prefixes, False) if prefixes != {""} else None
        prefixes = {p + q for p in prefixes for q in inner[0]}
        if len(prefixes) > MAX_STARTS:
            return None
        if not inner[1]:
            return prefixes, False
    return prefixes, True


@lru_cache(maxsize=1024)
def first_words(pattern: str) -> tuple[str, ...]:
    """Strings of at least two characters one of which every match of `pattern` (lowercase,
    case-sensitive) starts with, after a leading \\b; () when not known, or when the pattern has
    a single literal start (`regex` looks for that fast by itself)."""
    if _parser is None or _OTHER_SYNTAX.search(pattern):
        return ()
    try:
        parsed = _parser.parse(pattern, 0)
    except Exception:  # `regex`-only syntax: scanned as written
        return ()
    if parsed.state.flags & (re.IGNORECASE | re.VERBOSE):
        return ()
    found = _starts(parsed)
    if found is None or len(found[0]) < 2 or min(map(len, found[0])) < 2:
        return ()
    # A word that another word of the set starts ("дал", "дали") is found with it: only the shorter.
    words = sorted(found[0])
    return tuple(w for w in words if not any(w != v and w.startswith(v) for v in words))


class StartingWith:
    """A rule's bounded pattern whose every match starts with one of `words`: `finditer` tries it
    only where one of them occurs, in order, as a scan from `pos` does (`regex` tries every
    position of a pattern that opens with alternatives, "\\b(купили|построили|…)"; `str.find`
    finds the words several times faster). The first position where it matches is the scan's next
    match; the scan goes on from its end. The rule's time bound holds for the whole call (E951)."""

    def __init__(self, rx, words: Sequence[str]) -> None:
        self.rx = rx
        self.pattern = rx.pattern
        self.words = tuple(words)

    def finditer(self, text: str, pos: int = 0, endpos: int | None = None):
        end = len(text) if endpos is None else endpos
        found: set[int] = set()
        for word in self.words:
            i = text.find(word, pos, end)
            while i >= 0:
                found.add(i)
                i = text.find(word, i + 1, end)
        if not found:
            return
        deadline = time.monotonic() + self.rx.timeout
        at = pos
        for start in sorted(found):
            if start < at:
                continue  # inside the last match
            left = deadline - time.monotonic()
            try:
                if left <= 0:
                    raise TimeoutError
                m = self.rx._rx.match(text, start, end, concurrent=True, timeout=left)
            except TimeoutError:
                raise safe_regex.RegexTimeout(
                    "E951", rule=self.rx.rule, pattern=self.pattern, seconds=self.rx.timeout,
                    where=f"the text at characters {pos}-{end}", stored="") from None
            if m is not None:
                yield m
                at = m.end() if m.end() > m.start() else m.end() + 1
