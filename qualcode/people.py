"""Whose situation a match is about: the respondent's household or another person
("my cousin lost his job", "у брата долги"), for rules with `scope: self`.

It is mixed into `qualcode.clauses.Clauses`, whose token and clause helpers (`form`, `lemmas`,
`is_word`, `positions`, `reach`, `clause`) it uses; import `Clauses` from there.
"""

from __future__ import annotations


class People:
    """The whose-situation questions of `Clauses`."""

    def subject(self, j: int) -> str | None:
        """Whose clause word j is in: 'self', 'other' or None (no person named before it).

        The nearest person word before j in the sentence decides; he/she defer to the person
        named before them ("my cousin says he…" is the cousin; "my husband… he" the household);
        a person after "with" ("мы с братом") is company, not the subject."""
        g = self.g
        first, _end = self.reach(j)
        people = self.positions("people", g.self_words | g.other_words | g.transparent)
        for k in reversed(self.within(people, first, j)):
            # a person after "with"/"through" ("мы с братом", "через знакомого брата") is company
            if any(self.form(c) in g.companions for c in range(max(first, k - 2), k)):
                continue
            f = self.form(k)
            lemma = self.lemmas(k)[0]
            if f in g.transparent or lemma in g.transparent:
                continue
            if f in g.self_words or lemma in g.self_words:
                return "self"
            if f in g.other_words or lemma in g.other_words:
                return "other"
        return None

    def other_person(self, s: int, t: int) -> str | None:
        """The match is about someone else: the nearest person before it is another person
        ("my cousin lost his job", "у брата долги"), or one inside the match's clause is."""
        who = self.subject(s)
        if who == "other":
            return "someone else: the clause is about another person, not the respondent's household"
        return None
