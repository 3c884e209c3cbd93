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

    def _near(self, rule: Rule, items: list[list[int]], occ, clauses: Clauses):
        """All items within `rule.within` tokens of the first item's occurrence, in one turn
        (and in one sentence, unless the rule codes whole turns)."""
        if len(items) < 2:
            return
        found = []
        for item in items:  # the rarest item decides first whether there is anything to do
            f = sorted({o for e in item for o in occ.get(e, ())})
            if not f:
                return
            found.append(f)
        turn, sentence, starts, ends = clauses.turn, clauses.sent, clauses.start, clauses.end
        same_sentence = rule.unit != "turn"
        for s0, t0 in found[0]:
            span_s, span_t = s0, t0
            ok = True
            for others in found[1:]:
                best = None
                for s, t in others:
                    if (turn[s] != turn[s0] or abs(s - s0) > rule.within or (s, t) == (s0, t0)
                            or (same_sentence and sentence[s] != sentence[s0])):
                        continue
                    if best is None or abs(s - s0) < abs(best[0] - s0):
                        best = (s, t)
                if best is None:
                    ok = False
                    break
                span_s, span_t = min(span_s, best[0]), max(span_t, best[1])
            if ok:
                yield rule, span_s, span_t, starts[span_s], ends[span_t - 1]

    @staticmethod
    def _regex(rule: Rule, rx: re.Pattern, a: Analysis, text: str, turns: Sequence[TurnSpan],
               whole: bool = False):
        if not len(a):
            return
        # Turn by turn: a match may not run into the next turn, and `$` ends a turn. With `whole`
        # (`regex_spans`), one scan of the transcript gives the same spans.
        if whole and rule.regex and not _END_AWARE.search(rx.pattern):
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
