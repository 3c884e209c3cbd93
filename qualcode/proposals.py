"""The proposal step of a run: rule matches widened to their unit (match, sentence or turn),
one coding per code and unit, from cached rule matches where the rules did not change.

It is mixed into `qualcode.autocode.Matcher`; import `Matcher` from there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from qualcode.nlp import Analysis

if TYPE_CHECKING:
    from qualcode.autocode import TurnSpan


@dataclass(frozen=True)
class Proposed:
    """A coding a run proposes: the unit span, the code, the rule and the words that fired it."""

    code: str
    start: int
    end: int
    rule: str
    match_start: int
    match_end: int



class Proposals:
    """The `propose` step of `Matcher`."""

    def propose(self, a: Analysis, text: str, turns: Sequence[TurnSpan],
                cached: dict[str, list] | None = None) -> tuple[list[Proposed], dict[str, list] | None]:
        """The codings of one transcript: matches widened to their unit, one per code and unit.

        `cached` holds earlier `rule_matches` by rule fingerprint; only rules missing from it
        are matched now. Returns the codings, and the rule matches to cache if they changed.
        """
        wanted = self.fingerprints
        cached = dict(cached or {})
        missing = frozenset(rid for rid, fp in wanted.items() if fp not in cached)
        if missing:
            matcher = self if len(missing) == len(wanted) else self.subset(missing)
            cached.update(matcher.rule_matches(a, text, turns))
        fresh = {fp: cached[fp] for fp in wanted.values()}
        changed = bool(missing) or len(fresh) != len(cached)
        role_of = {t.idx: t.role for t in turns}
        matches = []
        for rule in self.rules:
            for s, t, cs, ce in fresh[wanted[rule.id]]:
                if role_of.get(int(a.turn[s]), "respondent") in rule.speakers:
                    matches.append((cs, ce, rule.code, rule.id, s, t, rule))
        matches.sort(key=lambda m: m[:4])
        by_turn = {t.idx: t for t in turns}
        best: dict[tuple[str, int, int], Proposed] = {}
        for cs, ce, code, rule_id, s, t, rule in matches:
            if rule.unit == "match":
                start, end = cs, ce
            elif rule.unit == "turn":
                turn = by_turn[int(a.turn[s])]
                start, end = turn.start, turn.end
            else:
                start, end = a.sentence_span(int(a.sent[s]))[0], a.sentence_span(int(a.sent[t - 1]))[1]
            key = (code, start, end)
            if key not in best:  # matches are sorted: the first one in the unit names the rule
                best[key] = Proposed(code, start, end, rule_id, cs, ce)
        codings = sorted(best.values(), key=lambda p: (p.start, p.end, p.code, p.rule))
        return codings, (fresh if changed else None)
