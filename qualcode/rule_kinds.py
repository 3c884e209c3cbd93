"""Where `near`, `regex` and `tokens` rules fire (phrase rules are looked up in the index alone).

It is mixed into `qualcode.autocode.Matcher`; import `Matcher` from there.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from qualcode.clauses import Clauses
from qualcode.codebook import Rule
from qualcode.nlp import Analysis
from qualcode.regex_literals import turns_with
from qualcode.regex_rules import _END_AWARE, regex_spans

if TYPE_CHECKING:
    from qualcode.autocode import TurnSpan

LEMMAS = "qualcode_lemmas"


def _lemma_alternatives(token: dict) -> dict:
    """A token pattern whose LEMMA test also accepts a form's other likely lemmas (нашли: найти)."""
    if "LEMMA" not in token:
        return token
    value = token["LEMMA"]
    if isinstance(value, str):
        wanted = [value.lower()]
    elif isinstance(value, dict) and set(value) == {"IN"}:
        wanted = [str(v).lower() for v in value["IN"]]
    else:
        return token
    out = {k: v for k, v in token.items() if k != "LEMMA"}
    out["_"] = {LEMMAS: {"INTERSECTS": wanted}}
    return out



class RuleKinds:
    """The finders of `Matcher` for rules that are not plain phrases."""

    def _near(self, rule: Rule, items: list[list[int]], occ, clauses: Clauses, memo: dict | None = None):
        """All items within `rule.within` tokens of the first item's occurrence, in one turn
        (and in one sentence, unless the rule codes whole turns); of each other item the nearest
        occurrence, the first in token order on a tie. `memo` keeps each item's sorted occurrences
        for the transcript (rules share items)."""
        if len(items) < 2:
            return
        keys = occ.keys()
        for item in items:  # most rules lack an item in a transcript: nothing to sort then
            if keys.isdisjoint(item):
                return
        if memo is None:
            memo = {}
        found = []
        for item in items:
            key = tuple(item)
            hit = memo.get(key)
            if hit is None:
                if len(item) == 1:
                    hit = sorted(occ[item[0]])
                else:  # the union of the item's patterns found: most of a long list are not there
                    present = [e for e in item if e in keys]
                    hit = sorted(occ[present[0]]) if len(present) == 1 else sorted(
                        {o for e in present for o in occ[e]})
                memo[key] = hit
            found.append(hit)
        turn, sentence, starts, ends = clauses.turn, clauses.sent, clauses.start, clauses.end
        same_sentence = rule.unit != "turn"
        too_far = rule.within + 1
        others = found[1:]
        for s0, t0 in found[0]:
            span_s, span_t = s0, t0
            turn0, sent0 = turn[s0], sentence[s0]
            for occs in others:
                best = None
                nearest = too_far  # only a strictly nearer one replaces the best: the first on a tie
                for s, t in occs:
                    if s >= s0 + nearest:
                        break  # sorted: every later one is farther still
                    d = s - s0 if s >= s0 else s0 - s
                    if d >= nearest or turn[s] != turn0 or (s == s0 and t == t0) or (
                            same_sentence and sentence[s] != sent0):
                        continue
                    best, nearest = (s, t), d
                if best is None:
                    break
                span_s, span_t = min(span_s, best[0]), max(span_t, best[1])
            else:
                yield rule, span_s, span_t, starts[span_s], ends[span_t - 1]

    @staticmethod
    def _regex(rule: Rule, rx: re.Pattern, a: Analysis, text: str, turns: Sequence[TurnSpan],
               whole: bool = False, literals: Sequence[frozenset[str]] = ()):
        if not len(a):
            return
        # Turn by turn: a match may not run into the next turn, and `$` ends a turn. With `whole`
        # (`regex_spans`), one scan of the transcript gives the same spans. With `literals`
        # (`regex_literals`: strings every match consumes), only the turns that hold them.
        only = turns_with(text, turns, literals) if literals else None
        if only is not None:
            spans = [m.span() for k in only for m in rx.finditer(text, turns[k].start, turns[k].end)
                     if m.end() > m.start()]
        elif whole and rule.regex and not _END_AWARE.search(rx.pattern):
            spans = regex_spans(rx, text, turns)
        else:
            spans = [m.span() for turn in turns for m in rx.finditer(text, turn.start, turn.end) if m.end() > m.start()]
        if not spans:
            return
        # The tokens of all of them in two searchsorted calls, not two per match.
        cs, ce = np.array(spans, dtype=np.int64).T
        firsts = np.searchsorted(a.end, cs, "right").tolist()
        lasts = np.searchsorted(a.start, ce, "left").tolist()
        n = len(a)
        for (c0, c1), s, t in zip(spans, firsts, lasts, strict=True):
            if s >= n or t <= s:
                continue
            yield rule, s, t, c0, c1

    def _tokens(self, a: Analysis, text: str):
        from spacy.matcher import Matcher as SpacyMatcher
        from spacy.tokens import Doc, Token

        if not Token.has_extension(LEMMAS):
            Token.set_extension(LEMMAS, default=[])
        vocab = self.nlp.nlp.vocab
        if self._spacy_matcher is None:
            self._spacy_matcher = SpacyMatcher(vocab)
            for i, rule in enumerate(self.tokens):
                self._spacy_matcher.add(str(i), [[_lemma_alternatives(t) for t in rule.tokens]])
        if not len(a):
            return
        words = [text[s:e] for s, e in zip(a.start.tolist(), a.end.tolist(), strict=True)]
        spaces = [bool(a.start[i + 1] > a.end[i]) for i in range(len(a) - 1)] + [False]
        doc = Doc(vocab, words=words, spaces=spaces)
        for tok, lemma_id in zip(doc, a.lemma.tolist(), strict=True):
            alternatives = a.strings[lemma_id].split("|")
            tok.lemma_ = alternatives[0]
            tok.norm_ = alternatives[0]
            tok._.set(LEMMAS, alternatives)
        for match_id, s, t in self._spacy_matcher(doc):
            if a.turn[s] != a.turn[t - 1]:
                continue
            rule = self.tokens[int(vocab.strings[match_id])]
            yield rule, s, t, int(a.start[s]), int(a.end[t - 1])
