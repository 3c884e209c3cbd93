"""Questions and hypotheticals: a match that is asked ("Will I go back?") or unreal ("if there
had been work", "бы", "would have", "I want") does not tell of the respondent's life.

It is mixed into `qualcode.clauses.Clauses`, whose token and clause helpers (`form`, `lemmas`,
`is_word`, `positions`, `reach`, `clause`) it uses; import `Clauses` from there.
"""

from __future__ import annotations

import numpy as np

from qualcode.grammars import REACH

# Purpose ("so that we…", "in order to…") makes only its own clause unreal, not the next one.
PURPOSE = frozenset({("so", "that"), ("order", "to")})


class Moods:
    """The question and hypothetical questions of `Clauses`."""

    def _hypothetical_markers(self) -> list[int]:
        """Positions of "if"/"бы"-like words and of the first word of two-word markers ("would
        have", "I want") where the second follows: "I" alone is everywhere, "I want" is not."""
        g, lower = self.g, self.a.lower
        mask = self._token_mask(g.conditional | g.irrealis)
        firsts = {p[0] for p in g.irrealis_pairs}
        for first in firsts:
            seconds = frozenset(p[1] for p in g.irrealis_pairs if p[0] == first)
            a_mask = self._string_mask(frozenset({first}))[lower]
            b_mask = self._string_mask(seconds)[lower]
            if len(mask) > 1:
                mask[:-1] |= a_mask[:-1] & b_mask[1:]
        hit = self._positions["hypothetical"] = np.flatnonzero(mask).tolist()
        return hit


    def question(self, s: int, t: int) -> str | None:
        """The match is in a question: its sentence ends with "?" and the match is in the clause
        that asks (the last one, or the whole sentence when it opens with a question word)."""
        first, end = self.sentence(s)
        # Per sentence (many matches share one): None when it does not end with "?", else
        # whether it opens with a question word.
        sent = self.sent[s]
        if sent in self._asks:
            opener = self._asks[sent]
        else:
            opener = None
            if self.form(end - 1).endswith("?"):
                opens = next((j for j in range(first, min(end, first + REACH)) if self.is_word(j)), first)
                opener = self.form(opens) in self.g.question_words
            self._asks[sent] = opener
        if opener is None:
            return None
        asked = opener
        if not asked:
            cs, ce = self.clause(s, t)
            asked = any(self.form(j) in self.g.question_particles for j in range(cs, ce))
        if not asked:
            # The last stretch between punctuation marks is what asks ("We had debts, you know?" tells).
            asked = end - 1 - t <= REACH and all(self.is_word(j) for j in range(t, end - 1))
        return "question: the sentence asks, it does not tell" if asked else None

    def hypothetical(self, s: int, t: int) -> str | None:
        """Under a condition ("if…", "если…") or an unreal mood ("бы", "would have", "wish")."""
        g = self.g
        first, end = self.reach(s)
        markers = self._positions.get("hypothetical")
        if markers is None:
            markers = self._hypothetical_markers()
        if not self.within(markers, first, end):
            return None  # no marker word anywhere near: most matches end here
        cs, ce = self.clause(s, t)
        scopes = [(cs, ce)]
        prev = self.previous_clause(cs)
        if prev is not None and self.form(cs) not in g.contrast:
            scopes.append(prev)  # "If I had money, I would…": the condition is the clause before
        modal = any(self.form(j) in g.modal for j in range(cs, ce))
        if cs > first and (self.form(cs - 1), self.form(cs)) in g.irrealis_pairs and not (
                cs + 1 < end and self.form(cs + 1) in g.pair_blockers):
            return f"hypothetical: '{self.form(cs - 1)} {self.form(cs)}'"  # "so | that we…": the clause opens at "that"
        for n, (a, b) in enumerate(scopes):
            for j in range(a, b):
                f = self.form(j)
                conditional = f in g.conditional and not (j + 1 < b and self.form(j + 1) in g.not_conditional)
                if n == 0 and (f in g.irrealis or (conditional and j < s)):
                    return f"hypothetical: '{f}' in the clause"
                if n == 1 and j == a and conditional and modal:
                    return f"hypothetical: '{f}' clause before the match"
                if j + 1 < b and (f, self.form(j + 1)) in g.irrealis_pairs:
                    if j + 2 < len(self.lower) and self.form(j + 2) in g.pair_blockers:
                        continue  # "so that's how we came": no purpose
                    # "would have", "would be" mark the whole clause, even after the match ("the
                    # programme would be the right thing"); "I want", "as if" only what follows them
                    if (n == 1 and (f, self.form(j + 1)) not in PURPOSE) or (n == 0 and (j < s or f in g.modal)):
                        return f"hypothetical: '{f} {self.form(j + 1)}'"
        return None
