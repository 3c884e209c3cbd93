"""Clauses, and what the clause around a rule match says about it.

A phrase can be in the text without being said of the respondent's life: "we did not take
anything in credit" (negated five words away), "Will I go back to Shymkent?" (asked),
"people expect me to say there was no work" (others' words), "if there had been work"
(hypothetical), "my cousin lost his job" (someone else's situation). The rule engine
(`qualcode.autocode`) asks this module about each match, in its clause.

A clause here is cheap and rule-based, no parser: a sentence is cut at punctuation
(, ; : dashes, brackets, quotes), before subordinators and contrastive conjunctions
(because, if, which, but; потому, если, который, но, а) and before "and"/"и" when a
subject follows ("and we", "и мы"). natasha's syntax parser was measured as the
alternative for Russian (BENCHMARKS.md): about 7,500 words/s, eight times slower than
first coding, and its trees attach "а у нас работы не было" under "говорит" in "брат
говорит, что…, а у нас…", which is the very distinction needed here.

Everything works on an `Analysis` (tokens, lowercase forms, lemmas, sentences) and is
computed only around matches, so it adds nothing to analysing a corpus.

The questions live in modules by concept, mixed into `Clauses` here: negation
(`qualcode.negations`), questions and hypotheticals (`qualcode.moods`), reported speech and
quotations (`qualcode.reported_speech`), whose situation (`qualcode.people`); each language's
word classes are in `qualcode.grammars`. Every name is importable from here as before.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from typing import Any

import numpy as np

from qualcode.grammars import _PUNCT_ONLY, GRAMMARS, REACH, Grammar, _w, grammar
from qualcode.moods import PURPOSE, Moods
from qualcode.negations import _NE, _RU_PREPOSITIONS, _RU_SUBJECTS, ALTERNATIVE, ANSWER_NO, DASHES, Negations
from qualcode.nlp import Analysis
from qualcode.people import People
from qualcode.reported_speech import QUOTE_CLOSE, QUOTE_EITHER, QUOTE_OPEN, QUOTE_REACH, ReportedSpeech

__all__ = [
    "ALTERNATIVE",
    "ANSWER_NO",
    "DASHES",
    "GRAMMARS",
    "PURPOSE",
    "QUOTE_CLOSE",
    "QUOTE_EITHER",
    "QUOTE_OPEN",
    "QUOTE_REACH",
    "REACH",
    "_NE",
    "_PUNCT_ONLY",
    "_RU_PREPOSITIONS",
    "_RU_SUBJECTS",
    "Clauses",
    "Grammar",
    "_w",
    "grammar",
]

# Whether a string is punctuation, kept across analyses (a corpus repeats its words).
_PUNCT_CACHE: dict[str, bool] = {}


class Clauses(Negations, Moods, ReportedSpeech, People):
    """Clause questions about one analysis of one language, answered around single matches.

    `qualcode.match_filter` asks these only for the matches where each question's first look (the
    marker test before any work: '?', cues, "если"/"бы", quotes and speech verbs, people) finds
    something: a new way for a question to answer must be added to that filter too (its test fails
    otherwise only if the corpora show the case)."""

    def __init__(self, a: Analysis, lang: str) -> None:
        self.a = a
        self.g = GRAMMARS.get(lang, _PUNCT_ONLY)
        self.strings = a.strings
        # Python lists and small caches: these questions look at a few dozen tokens per match,
        # where numpy's per-element access would cost more than the work itself.
        self.lower = a.lower.tolist()
        self.lemma = a.lemma.tolist()
        self.sent = a.sent.tolist()
        self._word: dict[int, bool] = {}
        self._clauses: dict[tuple[int, int], tuple[int, int]] = {}
        # Marker positions and other per-analysis lists, kept on the analysis by `MatchChecks._clauses`.
        self._positions: dict[object, Any] = {}
        self._bounds: tuple[list[int], list[int]] | None = None
        self._piped: list[int] | None = None
        self._sentence_bounds: tuple[list[int], list[int]] | None = None
        self._turn: list[int] | None = None
        self._start: list[int] | None = None
        self._end: list[int] | None = None
        self._asks: dict[int, bool | None] = {}  # per sentence: see `question`
        self._quoted: tuple[list[int], list[int]] | None = None  # see `quoted`

    # --- tokens ---------------------------------------------------------------------------

    def form(self, j: int) -> str:
        return self.strings[self.lower[j]]

    def lemmas(self, j: int) -> list[str]:
        return self.strings[self.lemma[j]].split("|")

    def is_word(self, j: int) -> bool:
        k = self.lower[j]
        hit = self._word.get(k)
        if hit is None:
            hit = self._word[k] = any(ch.isalnum() for ch in self.strings[k].replace("'", "a"))
        return hit

    def positions(self, key: object, words: frozenset[str] | set[str]) -> list[int]:
        """Sorted positions of the tokens whose form or (first) lemma is one of `words`.

        Computed once per analysis with numpy, so each match asks only a bisection: the marker
        words are rare, and most matches have none near them."""
        hit = self._positions.get(key)
        if hit is None:
            hit = self._positions[key] = np.flatnonzero(self._token_mask(words)).tolist()
        return hit

    def _string_mask(self, words: frozenset[str] | set[str]) -> np.ndarray:
        """Per distinct string of the analysis: is it (or its first lemma) one of `words`?
        Looked up word by word, not string by string: the word lists are short."""
        index = self.a.index
        mask = np.zeros(len(self.strings), dtype=bool)
        mask[[index[w] for w in words if w in index]] = True
        if self._piped is None:  # strings with several equally likely lemmas ("найти|наслать")
            self._piped = self._positions.get("piped")
            if self._piped is None:
                self._piped = self._positions["piped"] = [i for i, st in enumerate(self.strings) if "|" in st]
        for i in self._piped:
            if self.strings[i].split("|", 1)[0] in words:
                mask[i] = True
        return mask

    def _token_mask(self, words: frozenset[str] | set[str]) -> np.ndarray:
        mask = self._string_mask(words)
        return mask[self.a.lower] | mask[self.a.lemma]

    @staticmethod
    def within(positions: list[int], a: int, b: int) -> list[int]:
        """The positions in [a, b)."""
        return positions[bisect_left(positions, a):bisect_left(positions, b)]

    def bounds(self) -> tuple[list[int], list[int]]:
        """Where clauses can start (after punctuation, at a starter or a joiner before a subject)
        and where they end (at punctuation or such a word), as sorted token positions."""
        if self._bounds is None:  # kept with the marker positions, on the analysis (`MatchChecks._clauses`)
            self._bounds = self._positions.get("bounds")
        if self._bounds is None:
            g, strings, a = self.g, self.strings, self.a
            punct_of = _PUNCT_CACHE if len(_PUNCT_CACHE) < 1_000_000 else {}
            known = list(map(punct_of.get, strings))  # a C-level lookup; the few misses after
            for i in [i for i, hit in enumerate(known) if hit is None]:
                st = strings[i]
                known[i] = punct_of[st] = not any(ch.isalnum() for ch in st.replace("'", "a"))
            punct = np.array(known, dtype=bool)[a.lower]
            starter = self._string_mask(g.starters)[a.lower]
            joiner = self._string_mask(g.joiners)[a.lower]
            subject_like = self._string_mask(g.subject_like)[a.lower]
            opens = starter.copy()
            if len(opens) > 1:
                opens[:-1] |= joiner[:-1] & subject_like[1:] & (a.sent[:-1] == a.sent[1:])
            after_punct = np.zeros_like(punct)
            after_punct[1:] = punct[:-1]
            self._bounds = self._positions["bounds"] = (
                np.flatnonzero(opens | after_punct).tolist(), np.flatnonzero(opens | punct).tolist())
        return self._bounds

    def sentence(self, j: int) -> tuple[int, int]:
        """First token and one past the last of j's sentence (`Analysis.sentence_tokens`), for all
        sentences at once on first use: two searchsorted calls instead of two per match."""
        if self._sentence_bounds is None:
            sent = self.a.sent
            ids = np.arange(int(sent[-1]) + 1 if len(sent) else 0)
            self._sentence_bounds = (np.searchsorted(sent, ids, "left").tolist(),
                                     np.searchsorted(sent, ids, "right").tolist())
        sent = self.sent[j]
        firsts, ends = self._sentence_bounds
        return firsts[sent], ends[sent]

    @property
    def turn(self) -> list[int]:
        """Each token's turn, as a list (per-token access from Python)."""
        if self._turn is None:
            self._turn = self.a.turn.tolist()
        return self._turn

    @property
    def start(self) -> list[int]:
        """Each token's first character, as a list."""
        if self._start is None:
            self._start = self.a.start.tolist()
        return self._start

    @property
    def end(self) -> list[int]:
        """Each token's end character, as a list."""
        if self._end is None:
            self._end = self.a.end.tolist()
        return self._end

    def reach(self, j: int) -> tuple[int, int]:
        """The part of j's sentence these questions look at: at most REACH tokens either side.

        A transcript without punctuation (raw speech recognition) is one endless sentence;
        unbounded, every match would scan all of it, and coding would take quadratic time."""
        first, end = self.sentence(j)
        return max(first, j - REACH), min(end, j + REACH + 1)

    def starts_clause(self, j: int, first: int, end: int) -> bool:
        """Whether word j begins a clause (punctuation before it is handled by the caller)."""
        if j <= first:
            return True
        f = self.form(j)
        if f in self.g.starters:
            return True
        if f in self.g.joiners and j + 1 < end:
            return self.form(j + 1) in self.g.subject_like
        return False

    # --- clauses --------------------------------------------------------------------------

    def clause(self, s: int, t: int) -> tuple[int, int]:
        """The clause around tokens [s, t): its first token and one past its last, in the sentence.

        A match that spans a boundary ("no work, no money") keeps both sides."""
        hit = self._clauses.get((s, t))
        if hit is None:
            hit = self._clauses[(s, t)] = self._clause(s, t)
        return hit

    def _clause(self, s: int, t: int) -> tuple[int, int]:
        first, end = self.reach(s)
        starts, ends = self.bounds()
        i = bisect_right(starts, s) - 1  # the last clause start at or before s
        cs = max(first, starts[i]) if i >= 0 else first
        i = bisect_left(ends, t)  # the first boundary at or after t
        ce = min(end, ends[i]) if i < len(ends) else end
        return cs, ce

    def previous_clause(self, cs: int) -> tuple[int, int] | None:
        """The clause before the one starting at `cs`, in the same sentence (skipping punctuation)."""
        first, _end = self.reach(cs)
        j = cs - 1
        while j >= first and not self.is_word(j):
            j -= 1
        if j < first:
            return None
        return self.clause(j, j + 1)
