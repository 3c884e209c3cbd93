"""Regex rules with bounded work: catastrophic patterns refused at check, every match under a time bound.

A codebook is someone's file, and one rule such as `(a+)+$` makes Python's `re`
backtrack 2^n times on a turn of n letters: the issue's sweep saw a turn of 100
`a`s run for minutes and a browser "Try the rules" freeze the server for everyone.
Two defences, because neither alone is enough:

1. `catastrophic(pattern)` looks at the parsed pattern for the shapes that make
   backtracking exponential (a repeated part that can split the same text in two
   ways: `(a+)+`, `(\\w+\\s?)+`, `(a|aa)+`) and `codebook check` refuses them (E950),
   with the rewrite that fixes them.
2. Matching runs on the `regex` package with its `timeout=`: what the static check
   cannot see (polynomial blow-ups, shapes it does not know) is stopped and
   reported (E951), never left running.

Why `regex` and not Google's RE2 (`google-re2`, linear time, also installable
here): RE2's `\\b` and `\\w` are ASCII-only, so `\\bдолг\\w*` finds nothing in
Russian or Kazakh text (tried: RE2 returned [] where `re` finds 'долги', 'долгов'),
and RE2 refuses look-arounds, which the shipped codebook uses. `regex` reads the
same syntax as `re` (its default VERSION0 is compatible), matches Unicode words,
offers atomic groups and possessive repeats for the fix, and can release the GIL
while matching, so a slow rule does not stall other browser sessions.
"""

from __future__ import annotations

import re
import re._constants as sre  # the stdlib parser's node names (Python 3.11+)
import re._parser as sre_parse
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TYPE_CHECKING, Any

import regex

from qualcode.errors import QualcodeError

if TYPE_CHECKING:
    from qualcode.autocode import Explanation
    from qualcode.codebook import Codebook

# Seconds one rule may spend on one turn. A sane rule takes microseconds per turn,
# so this is generous; a catastrophic one would otherwise take years.
TIMEOUT_SECONDS = 2.0
# The browser's "Try the rules on a text": the whole try, and the longest text it takes.
TRY_TIMEOUT_SECONDS = 5.0
TRY_MAX_CHARS = 20_000
# An outer repeat allowing more than this many rounds counts as "many" (a{2,3} is harmless).
MANY = 10


class RegexTimeout(QualcodeError):
    """A rule's regex ran out of its time bound (E951)."""

    def __reduce__(self):  # crosses process pools (Dask, --workers) with its fields intact
        return (_rebuild, (type(self), self.code, self.fields))


def _rebuild(cls: type[QualcodeError], code: str, fields: dict[str, object]) -> QualcodeError:
    return cls(code, **fields)


# --- the static check -----------------------------------------------------------------------

# Characters to test sets against: ASCII, Latin-1, Cyrillic with the Kazakh letters, and the
# pattern's own literals (added per pattern). Overlap of two sets is judged on these.
_UNIVERSE = frozenset(
    [chr(c) for c in range(9, 14)] + [chr(c) for c in range(32, 127)] + [chr(c) for c in range(0xA0, 0x100)]
    + [chr(c) for c in range(0x400, 0x460)] + list("ӘәҒғҚқҢңӨөҰұҮүҺһІі«»—–…")
)
_CATEGORY = {
    sre.CATEGORY_DIGIT: re.compile(r"\d"), sre.CATEGORY_NOT_DIGIT: re.compile(r"\D"),
    sre.CATEGORY_SPACE: re.compile(r"\s"), sre.CATEGORY_NOT_SPACE: re.compile(r"\S"),
    sre.CATEGORY_WORD: re.compile(r"\w"), sre.CATEGORY_NOT_WORD: re.compile(r"\W"),
    sre.CATEGORY_LINEBREAK: re.compile(r"\n"), sre.CATEGORY_NOT_LINEBREAK: re.compile(r"[^\n]"),
}
_REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT)


class _Shape:
    """First characters, nullability and all characters of pattern parts, over a sample alphabet."""

    def __init__(self, universe: frozenset[str], ignore_case: bool) -> None:
        self.u = universe
        self.ic = ignore_case

    def _lit(self, code: int) -> frozenset[str]:
        ch = chr(code)
        return frozenset({ch, ch.lower(), ch.upper()}) if self.ic else frozenset({ch})

    def _in(self, items: list) -> frozenset[str]:
        out: set[str] = set()
        negate = False
        for op, av in items:
            if op is sre.NEGATE:
                negate = True
            elif op is sre.LITERAL:
                out |= self._lit(av)
            elif op is sre.RANGE or op is getattr(sre, "RANGE_UNI_IGNORE", None):
                lo, hi = av
                out |= {c for c in self.u if lo <= ord(c) <= hi
                        or (self.ic and (lo <= ord(c.lower()) <= hi or lo <= ord(c.upper()[0]) <= hi))}
            elif op is sre.CATEGORY:
                rx = _CATEGORY.get(av)
                out |= {c for c in self.u if rx is None or rx.match(c)}
        return frozenset(self.u - out) if negate else frozenset(out)

    def node(self, op: Any, av: Any) -> tuple[frozenset[str], bool, frozenset[str]]:
        """(first characters, can match empty, every character it can match)."""
        if op is sre.LITERAL:
            s = self._lit(av)
            return s, False, s
        if op is sre.NOT_LITERAL:
            s = frozenset(self.u - self._lit(av))
            return s, False, s
        if op is sre.ANY:
            s = frozenset(self.u - {"\n"})
            return s, False, s
        if op is sre.IN:
            s = self._in(av)
            return s, False, s
        if op is sre.SUBPATTERN:
            return self.seq(av[-1])
        if op is sre.ATOMIC_GROUP:
            return self.seq(av)
        if op is sre.BRANCH:
            parts = [self.seq(alt) for alt in av[1]]
            return (frozenset().union(*(p[0] for p in parts)), any(p[1] for p in parts),
                    frozenset().union(*(p[2] for p in parts)))
        if op in _REPEATS or op is sre.POSSESSIVE_REPEAT:
            first, nullable, chars = self.seq(av[2])
            return first, nullable or av[0] == 0, chars
        if op is sre.GROUPREF_EXISTS:
            parts = [self.seq(p) for p in av[1:] if p is not None]
            return (frozenset().union(*(p[0] for p in parts)), True, frozenset().union(*(p[2] for p in parts)))
        if op is sre.GROUPREF:
            return self.u, True, self.u  # unknown: assume anything
        return frozenset(), True, frozenset()  # anchors and look-arounds consume nothing

    def seq(self, items: Any) -> tuple[frozenset[str], bool, frozenset[str]]:
        first: set[str] = set()
        chars: set[str] = set()
        nullable = True
        for op, av in items:
            f, n, c = self.node(op, av)
            chars |= c
            if nullable:
                first |= f
                nullable = n
        return frozenset(first), nullable, frozenset(chars)


def _flat(items: Any) -> list[tuple[Any, Any]]:
    """A sequence with its groups opened up: ((a+)b?) reads as a+ b?."""
    out: list[tuple[Any, Any]] = []
    for op, av in items:
        if op is sre.SUBPATTERN:
            out.extend(_flat(av[-1]))
        else:
            out.append((op, av))
    return out


def _literals(items: Any, out: set[str]) -> None:
    for op, av in items:
        if op in (sre.LITERAL, sre.NOT_LITERAL):
            out.add(chr(av))
        elif isinstance(av, (list, tuple)):
            for x in av:
                if isinstance(x, sre_parse.SubPattern):
                    _literals(x, out)
                elif isinstance(x, list):
                    for y in x:
                        if isinstance(y, sre_parse.SubPattern):
                            _literals(y, out)
            if isinstance(av, sre_parse.SubPattern):
                _literals(av, out)


def _ambiguous(body: Any, shape: _Shape) -> str | None:
    """Why repeating `body` many times can split one text in exponentially many ways, or None."""
    flat = _flat(body)
    whole_first, _, _ = shape.seq(flat)
    for i, (op, av) in enumerate(flat):
        # A part of varying width (x+, x?, or a|ab, which the parser factors into a(?:|b)) that
        # can also take the characters after it: the same text splits between rounds many ways.
        _, nullable, inner = shape.node(op, av)
        varying = (op in _REPEATS and av[0] != av[1]) or (op is sre.BRANCH and nullable)
        if varying:
            rest_first, rest_null, _ = shape.seq(flat[i + 1:])
            follow = rest_first | (whole_first if rest_null else frozenset())
            if inner & follow:
                return "a repeat inside a repeat, where the inner one can also take what comes after it"
        if op is sre.BRANCH:
            alts = [shape.seq(alt) for alt in av[1]]
            if sum(1 for alt in alts if alt[1]) > 1:
                return "alternatives of a repeated group that can match the same text"
            for a in range(len(alts)):
                for b in range(a + 1, len(alts)):
                    (fa, _, ca), (fb, _, cb) = alts[a], alts[b]
                    if fa & fb and (ca <= cb or cb <= ca):
                        return "alternatives of a repeated group that can match the same text"
    return None


def _walk(items: Any, shape: _Shape) -> str | None:
    for op, av in items:
        if op in _REPEATS:
            if av[1] == sre.MAXREPEAT or av[1] > MANY:
                why = _ambiguous(av[2], shape)
                if why:
                    return why
            found = _walk(av[2], shape)
        elif op is sre.SUBPATTERN:
            found = _walk(av[-1], shape)
        elif op is sre.BRANCH:
            found = next((w for alt in av[1] if (w := _walk(alt, shape))), None)
        elif op in (sre.ASSERT, sre.ASSERT_NOT):
            found = _walk(av[1], shape)
        else:  # atomic groups and possessive repeats never backtrack into themselves
            found = None
        if found:
            return found
    return None


def catastrophic(pattern: str, flags: int = re.IGNORECASE) -> str | None:
    """Why `pattern` can backtrack exponentially, or None (also None when `re` cannot parse it:
    that is a different problem, reported as such)."""
    try:
        parsed = sre_parse.parse(pattern, flags)
    except (re.error, RecursionError, OverflowError):
        return None
    letters: set[str] = set()
    _literals(parsed, letters)
    shape = _Shape(_UNIVERSE | letters, bool(flags & re.IGNORECASE))
    return _walk(parsed, shape)


def engine_error(pattern: str) -> str | None:
    """Why the matching engine (`regex`) refuses a pattern that `re` accepted, or None."""
    try:
        regex.compile(pattern, regex.IGNORECASE)
    except (regex.error, RecursionError, OverflowError) as exc:
        return str(exc) or type(exc).__name__
    return None


def token_regexes(tokens: Any) -> list[str]:
    """The `REGEX` values inside a spaCy token pattern. spaCy matches them with `re`, with no time
    bound, and a single token can be long ("aaaa..."), so `codebook check` vets them too."""
    found: list[str] = []
    if isinstance(tokens, dict):
        for key, value in tokens.items():
            if str(key).upper() == "REGEX" and isinstance(value, str):
                found.append(value)
            else:
                found += token_regexes(value)
    elif isinstance(tokens, list):
        for item in tokens:
            found += token_regexes(item)
    return found


FIX = ("let each repeated part match a text in one way only: (a+)+ -> a+, (\\w+\\s?)+ -> \\w+(?:\\s+\\w+)*, "
       "(a|aa)+ -> a+; or make the repeat atomic, (?>\\w+\\s?)+, or possessive, \\w++")


# --- bounded matching ----------------------------------------------------------------------

class BoundedPattern:
    """A compiled rule regex whose every search stops after `timeout` seconds with E951.

    Drop-in for the `re.Pattern.finditer(text, pos, endpos)` that the coder uses.
    """

    def __init__(self, pattern: str, rule: str = "?", flags: int = regex.IGNORECASE,
                 timeout: float | None = None) -> None:
        self.pattern = pattern
        self.rule = rule
        self.timeout = TIMEOUT_SECONDS if timeout is None else timeout
        self._rx = regex.compile(pattern, flags)

    def finditer(self, text: str, pos: int = 0, endpos: int | None = None, where: str | None = None
                 ) -> Iterator[Any]:
        end = len(text) if endpos is None else endpos
        try:
            yield from self._rx.finditer(text, pos, end, concurrent=True, timeout=self.timeout)
        except TimeoutError:
            raise RegexTimeout("E951", rule=self.rule, pattern=self.pattern, seconds=self.timeout,
                               where=where or f"the text at characters {pos}-{end}", stored="") from None


def compile_rule(rule: Any, timeout: float | None = None) -> BoundedPattern:
    """The bounded pattern of a regex Rule (what autocode matches with)."""
    return BoundedPattern(rule.regex, rule.id, timeout=timeout)


_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="qualcode-rule-try")


def try_rules(book: Codebook, lang: str, text: str, role: str = "respondent",
              timeout: float | None = None) -> Explanation:
    """`autocode.explain` for the browser: off the calling thread, on at most TRY_MAX_CHARS
    characters, and given up after `timeout` seconds with E951, so one user's rule try can
    never hold the server (each regex also stops itself after its own bound)."""
    from qualcode.autocode import explain

    limit = TRY_TIMEOUT_SECONDS if timeout is None else timeout
    future = _POOL.submit(explain, book, lang, text[:TRY_MAX_CHARS], role)
    try:
        return future.result(timeout=limit)
    except FutureTimeout:
        raise RegexTimeout("E951", rule="(the rules tried)", pattern="…", seconds=limit,
                           where="the text you gave", stored=" and the try was abandoned") from None
