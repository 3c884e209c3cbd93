"""Why a rule match does not code: its speaker, its clause (question, negation, hypothetical,
reported speech, someone else's situation: `qualcode.clauses`), an `unless` or missing `sense` word.

It is mixed into `qualcode.autocode.Matcher`; import `Matcher` from there.
"""

from __future__ import annotations

from qualcode.clauses import ALTERNATIVE, Clauses, grammar
from qualcode.codebook import Rule
from qualcode.nlp import Analysis


def _is_word(form: str) -> bool:
    """Not punctuation (which ends the scope of a negation); "n't" is a word."""
    return any(ch.isalnum() for ch in form.replace("'", "a"))


class MatchChecks:
    """The drop reasons of `Matcher`: the clause and context checks of one match."""

    def _drop_reason(self, rule: Rule, s: int, t: int, a: Analysis, occ, role_of) -> str | None:
        """Why a match does not code (None: it does). `role_of` None skips the speaker check."""
        if role_of is not None:
            role = role_of.get(int(a.turn[s]), "respondent")
            if role not in rule.speakers:
                return f"speaker: {'an' if role[0] in 'aeiou' else 'a'} {role} turn; the rule codes " \
                       f"{', '.join(rule.speakers)} turns"
        clauses = self._clauses(a)
        sentence = clauses.sent
        sent = sentence[s]
        if not rule.questions and (why := clauses.question(s, t)):
            return why
        if rule.negation and (why := self._negated(rule, s, t, a, occ, clauses)):
            return why
        if not rule.hypotheticals and (why := clauses.hypothetical(s, t)):
            return why
        if not rule.reported and (why := clauses.reported(s, t)):
            return why
        if rule.scope == "self" and (why := clauses.other_person(s, t)):
            return why
        for e in self.unless.get(rule.id, ()):
            for us, _ut in occ.get(e, ()):
                if sentence[us] == sent:
                    words = " ".join(w.describe() for w in self.entries[e].words)
                    return f"unless: '{words}' in the same sentence"
        senses = self.sense.get(rule.id)
        if senses is not None and not any(sentence[us] == sent for e in senses for us, _ut in occ.get(e, ())):
            return "sense: none of the `sense` words in the same sentence"
        return None

    def _clauses(self, a: Analysis) -> Clauses:
        """The clause helper of this analysis (kept for the matches of one transcript)."""
        if self._clause_of is None or self._clause_of.a is not a:
            clauses = Clauses(a, self.lang)
            # Its marker positions (cues, "if"/"бы", speech verbs, people, quotes: one numpy pass over
            # the transcript each) depend only on the analysis, the language and the negation cues,
            # so they are kept on the analysis, which a process keeps across runs
            # (`match_cache.MEMO`): a re-code's few rules do not compute them again. Keyed by the
            # cues' content, since `positions` keys the cue set by its id.
            kept = a.__dict__.setdefault("_clause_positions", {})
            clauses._positions = kept.setdefault((self.lang, frozenset(self.negation.cues)), clauses._positions)
            self._clause_of = clauses
        return self._clause_of

    def _negated(self, rule: Rule, s: int, t: int, a: Analysis, occ, clauses: Clauses) -> str | None:
        """A negation cue in scope of the match: anywhere before it in its clause (en, ru; or
        within `before` tokens with `scope: window`, and always in Kazakh, which has no clause
        grammar here), within `after` tokens after it, or an `after_phrases` phrase after it."""
        neg = self.negation
        sent = a.sent[s]
        if neg.scope == "clause" and grammar(self.lang) is not None:
            why = clauses.negation(s, t, self._cues, neg.after)
            if why:
                return why
        else:
            # The cue must be in the window and in the same clause: the scope of a negation
            # ends at punctuation ("Работы не было, работу искали" is not negated).
            for window in (range(s - 1, max(-1, s - 1 - neg.before), -1), range(t, min(len(a), t + neg.after))):
                for j in window:
                    form = a.strings[a.lower[j]]
                    if a.sent[j] != sent or not _is_word(form):
                        break
                    if form in self._cues or a.strings[a.lemma[j]].split("|", 1)[0] in self._cues:
                        return f"negation: '{form}' {'before' if j < s else 'after'} the match"
        for e in self._after_neg:
            for ns, nt in occ.get(e, ()):
                if ns > 0 and a.strings[a.lower[ns - 1]] in ALTERNATIVE:
                    continue  # "брать ипотеку или нет": a choice, not a negation
                if t <= ns < t + neg.after_window and a.sent[ns] == sent and not any(
                        not _is_word(a.strings[a.lower[j]]) for j in range(t, ns)):
                    words = " ".join(a.strings[a.lower[j]] for j in range(ns, nt))
                    return f"negation: '{words}' after the match"
        return None
