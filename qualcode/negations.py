"""Negation in a match's clause: a cue before it, after it, or a dash answer ("Официально — нет.").

It is mixed into `qualcode.clauses.Clauses`, whose token and clause helpers (`form`, `lemmas`,
`is_word`, `positions`, `reach`, `clause`) it uses; import `Clauses` from there.
"""

from __future__ import annotations

from qualcode.grammars import _w

_RU_PREPOSITIONS = _w("после до из-за без в во на с со у к по за от для при через перед о об")
_RU_SUBJECTS = _w("я мы ты вы он она оно они")
_NE = frozenset({"не"})

# "…или нет", "…or not": the alternative of a question or a choice, not a negation.
ALTERNATIVE = frozenset({"or", "или", "әлде"})

# "Официально — нет.", "A contract? No.": the thing named, then a dash and a bare "no" that ends
# the sentence or clause, is denied; the dash cuts the clause, so the cue is looked for past it.
DASHES = frozenset({"—", "–", "-", "--"})

ANSWER_NO = frozenset({"нет", "no", "never", "никогда", "nope"})


class Negations:
    """The negation questions of `Clauses`."""

    def negation(self, s: int, t: int, cues: set[str], after: int) -> str | None:
        """A cue anywhere before the match in its clause, or within `after` tokens after it."""
        where = self._positions.get(("cues", id(cues)))
        if where is None:
            where = self.positions(("cues", id(cues)), cues)
            # Keyed by identity (hashing the set per match would cost), so keep the set itself: an id
            # is unique only while its object lives, and these positions outlive a run on the analysis.
            self._positions[("pin", id(cues))] = cues  # type: ignore[assignment]
        first, end = self.reach(s)
        ne = self.positions("не", _NE) if self.g.verb_lemma_endings else []
        if not self.within(where, first, min(end, t + max(after, 2))) and not self.within(ne, t, end):
            return None  # no cue near: the clause need not be found
        if (answer := self.answered_no(t, end)) is not None:
            return answer
        cs, ce = self.clause(s, t)
        for j in [*reversed(self.within(where, cs, s)), *self.within(where, t, min(ce, t + after))]:
            form = self.form(j)
            if form in cues or self.lemmas(j)[0] in cues:
                if j + 1 < len(self.lower) and self.form(j + 1) in self.g.not_negating:
                    continue
                if j > 0 and self.form(j - 1) in ALTERNATIVE:
                    continue
                return f"negation: '{form}' {'before' if j < s else 'after'} the match"
        if self.g.verb_lemma_endings:
            # Russian puts the negated verb after its object ("кредит мы не брали", "денег мне не
            # дали"): "не" right before a verb later in the clause negates the match too.
            # But a match after a preposition is a circumstance of the clause's subject ("После
            # развода я не могла…": the divorce happened), so a subject between them ends the scan.
            adjunct = s > 0 and self.form(s - 1) in _RU_PREPOSITIONS
            stop = min(ce, t + 4) - 1
            for j in self.within(self.positions("не", _NE), t, stop):
                if adjunct and any(self.form(k) in _RU_SUBJECTS for k in range(t, j)):
                    break
                if self.lemmas(j + 1)[0].endswith(self.g.verb_lemma_endings):
                    return f"negation: 'не {self.form(j + 1)}' after the match"
        return None

    def answered_no(self, t: int, end: int) -> str | None:
        """"Официально — нет.": a dash right after the match, then a bare "no" that ends its clause."""
        if (t + 1 < end and self.form(t) in DASHES and self.form(t + 1) in ANSWER_NO
                and (t + 2 >= end or not self.is_word(t + 2))):
            return f"negation: '{self.form(t)} {self.form(t + 1)}' answers the match"
        return None
