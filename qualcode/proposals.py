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
        spec = _rule_spec(self)
        cached = dict(cached or {})
        # Set operations on the fingerprints (C loops; this runs once per transcript and run).
        absent = spec[2] - cached.keys()
        missing = frozenset(map(spec[3].__getitem__, absent)) if absent else frozenset()
        if missing:
            # Rules with equal fingerprints match alike: one of each is asked for.
            matcher = self if len(absent) == len(spec[2]) else self.subset(missing)
            cached.update(matcher.rule_matches(a, text, turns))
        fresh = dict(zip(spec[2], map(cached.__getitem__, spec[2]), strict=True))
        changed = bool(missing) or len(fresh) != len(cached)
        # The codings are a function of the analysis, the turns, each rule's id, code, unit and
        # speakers, and each rule's matches. The last widening of this analysis is kept on it (a
        # process keeps analyses across runs: `match_cache.MEMO`); where all of these are equal, its
        # codings are. After an edit, only the transcripts where the edited rules match
        # differently are widened again (unchanged rules' match lists are the same objects, so the
        # comparison is mostly identity checks).
        lists = tuple(map(fresh.__getitem__, spec[1]))
        shape = tuple((t.idx, t.role, t.start, t.end) for t in turns)
        kept = a.__dict__.get("_widened")
        if kept is not None and kept[0] == spec[0] and kept[1] == shape and kept[2] == lists:
            return list(kept[3]), (fresh if changed else None)
        codings = self._widen(a, turns, fresh)
        a.__dict__["_widened"] = (spec[0], shape, lists, tuple(codings))
        return codings, (fresh if changed else None)

    def _widen(self, a: Analysis, turns: Sequence[TurnSpan], fresh: dict[str, list]) -> list[Proposed]:
        """Matches widened to their unit, one coding per code and unit."""
        wanted = self.fingerprints
        # Per match, a few list and dict look-ups (a numpy version of this step was slower at a
        # transcript's ~50 codings: BENCHMARKS.md, issue 17, "Re-coding after an edit").
        turn_of = a.turn
        role_of = {t.idx: t.role for t in turns}
        matches = []
        for rule in self.rules:
            ms = fresh[wanted[rule.id]]
            if not ms:
                continue
            speakers, code, rid = rule.speakers, rule.code, rule.id
            matches.extend((cs, ce, code, rid, s, t, rule) for s, t, cs, ce in ms
                           if role_of.get(int(turn_of[s]), "respondent") in speakers)
        if not matches:
            return []
        matches.sort(key=_first4)
        by_turn = {t.idx: t for t in turns}
        sent_starts, sent_ends = a._sentences
        sent = a.sent
        best: dict[tuple[str, int, int], Proposed] = {}
        for cs, ce, code, rule_id, s, t, rule in matches:
            unit = rule.unit
            if unit == "match":
                start, end = cs, ce
            elif unit == "turn":
                turn = by_turn[int(turn_of[s])]
                start, end = turn.start, turn.end
            else:
                start, end = sent_starts[sent[s]], sent_ends[sent[t - 1]]
            key = (code, start, end)
            if key not in best:  # matches are sorted: the first one in the unit names the rule
                best[key] = Proposed(code, start, end, rule_id, cs, ce)
        return sorted(best.values(), key=_order)


def _first4(m: tuple) -> tuple:
    return m[0], m[1], m[2], m[3]


def _order(p: Proposed) -> tuple:
    return p.start, p.end, p.code, p.rule


def _rule_spec(matcher) -> tuple[tuple, tuple[str, ...], frozenset[str], dict[str, str]]:
    """What widening reads of a matcher's rules, their fingerprints in the same order, the set of
    them, and each one's rule id (made once per matcher)."""
    spec = matcher.__dict__.get("_widen_spec")
    if spec is None:
        rules = matcher.rules
        spec = matcher.__dict__["_widen_spec"] = (
            tuple((r.id, r.code, r.unit, r.speakers) for r in rules),
            tuple(matcher.fingerprints[r.id] for r in rules),
            frozenset(matcher.fingerprints.values()),
            {fp: rid for rid, fp in matcher.fingerprints.items()})
    return spec
