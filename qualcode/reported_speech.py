"""Reported speech: others' words ("people say…", "говорят, что…") and quotations
(«…оформлю», "He said: 'you stay alone'") are not the respondent's own account.

It is mixed into `qualcode.clauses.Clauses`, whose token and clause helpers (`form`, `lemmas`,
`is_word`, `positions`, `reach`, `clause`) it uses; import `Clauses` from there.
"""

from __future__ import annotations

from bisect import bisect_right

import numpy as np

# Quotation marks: what stands between them in a turn is someone's quoted words ("My husband says:
# 'Sit at home'", «После испытательного оформлю») or a name («С дипломом — в село»), not the
# respondent's own account. « „ open, » ” close; " and “ open or close (“ closes „…“ in Russian).
QUOTE_OPEN = frozenset({"«", "„"})
QUOTE_CLOSE = frozenset({"»", "”"})
QUOTE_EITHER = frozenset({'"', "“"})
# A quote longer than this (in tokens) is taken for a stray mark, not a quotation.
QUOTE_REACH = 150


class ReportedSpeech:
    """The reported-speech and quotation questions of `Clauses`."""

    def quoted_spans(self) -> tuple[list[int], list[int]]:
        """The token ranges [start, end) between a pair of quotation marks in one turn, sorted,
        found once per analysis from the (rare) quote tokens. An unclosed mark, or a pair more
        than QUOTE_REACH tokens apart, is a stray mark and quotes nothing."""
        if self._quoted is None:
            starts: list[int] = []
            ends: list[int] = []
            marks = self.positions("quotes", QUOTE_OPEN | QUOTE_CLOSE | QUOTE_EITHER)
            turn = self.turn
            opened: int | None = None
            for j in marks:
                f = self.form(j)
                if opened is not None and turn[opened] != turn[j]:
                    opened = None  # a quote does not run into the next turn
                if opened is None:
                    if f in QUOTE_OPEN or f in QUOTE_EITHER:
                        opened = j
                elif f in QUOTE_CLOSE or f in QUOTE_EITHER:
                    if j - opened <= QUOTE_REACH:
                        starts.append(opened + 1)
                        ends.append(j)
                    opened = None
            self._quoted = (starts, ends)
        return self._quoted

    def quoted(self, s: int) -> bool:
        """Whether token s stands between quotation marks in its turn."""
        starts, ends = self.quoted_spans()
        i = bisect_right(starts, s) - 1
        return i >= 0 and s < ends[i]

    def quoted_many(self, s: np.ndarray) -> np.ndarray:
        """`quoted` for an array of tokens at once (a pre-filter of matches can ask it)."""
        starts, ends = self.quoted_spans()
        if not starts:
            return np.zeros(len(s), dtype=bool)
        i = np.searchsorted(np.asarray(starts), s, "right") - 1
        return (i >= 0) & (s < np.asarray(ends)[np.maximum(i, 0)])

    def reported(self, s: int, t: int) -> str | None:
        """In others' reported words: "people say…", "they expect me to say…", "говорят, что…",
        or quoted between quotation marks ("He said: 'you stay alone'", «…оформлю»)."""
        g = self.g
        if self.quoted(s):
            return "reported: between quotation marks (quoted words or a name)"
        first, end = self.reach(s)
        markers = self._positions.get("reported")
        if markers is None:
            markers = self.positions("reported", g.hearsay | g.speech_lemmas)
        if not self.within(markers, first, s):
            return None
        for j in range(s - 1, first - 1, -1):
            if not self.is_word(j):
                continue
            f = self.form(j)
            if f in g.hearsay:
                return f"reported: '{f}'"
            if (self.lemmas(j)[0] in g.speech_lemmas or f in g.speech_lemmas) and self.speaker(j) == "other":
                return f"reported: '{f}' (not the respondent's own words)"
            if f in g.contrast and self.starts_clause(j, first, end):
                break  # "…, but we found work": what follows a contrast is the speaker's own
            if f in g.self_subjects:
                break  # "говорят…, а мы копим": the respondent speaks for themselves again
        return None

    def speaker(self, j: int) -> str | None:
        """Who says (expects, thinks) with the speech verb at j: 'self' for "I"/"we" or the household
        ("my husband says we stay"), 'other' for anyone else, None when it is no finite verb
        ("expect me to say": "to say" is nobody's).

        English: the word before the verb (past adverbs and auxiliaries: "my cousin keeps saying").
        Russian, with its free word order and dropped pronouns: я/мы in the verb's clause, or a
        first-person ending (говорю, скажем), make it the respondent's; otherwise it is another's
        ("говорят", "брат говорил", "сказал: приезжай")."""
        g = self.g
        first, _end = self.reach(j)
        if g.first_person_endings:
            cs, ce = self.clause(j, j + 1)
            near = range(cs, min(ce, j + 3))
            if any(self.form(k) in g.self_subjects or self.lemmas(k)[0] in g.self_words for k in near):
                return "self"  # I, we, or the household ("муж говорит"): the household's own account
            form = self.form(j)
            if form.endswith(g.first_person_endings):
                return "self"
            if form.endswith(g.past_endings):  # сказал: I, he or she; the person named before decides
                k = j - 1
                while k >= first:
                    f, lemma = self.form(k), self.lemmas(k)[0]
                    if f in g.self_words or lemma in g.self_words:
                        return "self"
                    if f in g.other_words or lemma in g.other_words or f in g.transparent or lemma in g.transparent:
                        return "other"
                    k -= 1
                return None
            return "other"
        k = j - 1
        while k >= first and self.form(k) in g.speech_skip:
            k -= 1
        if k < first or not self.is_word(k):
            return None
        if self.form(k) == "to":
            return None
        return "self" if self.form(k) in g.self_words or self.lemmas(k)[0] in g.self_words else "other"
