"""Which rule matches of a transcript drop by their clause checks, decided for all at once.

`Matcher._drop_reason` asks `qualcode.clauses`, match by match, whether a match is asked,
negated, hypothetical, reported or about someone else (about 20-50 µs each in Python). Each of
those questions first looks for a marker word near the match and answers "no" when there is
none: "?" ending the sentence, a negation cue in reach, "if"/"бы" in reach, quotation marks
around the match or a speech verb before it, a person named before it; `unless` drops only
where one of its words is in the sentence, `sense` only where none is. This module computes those
first looks for every match of a transcript with numpy (positions found once per analysis, counted
in windows with `searchsorted`), and `dropped` asks each check only for the matches where its own
first look found a marker (`unless` and `sense` are answered here in full). The checks
themselves, and their answers, are unchanged: a check not asked is one that returns None at its
first look (`tests/test_match_filter.py` compares the matches with `_drop_reason` asked about
every match, and fails when any one first look is left out).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from qualcode.clauses import _NE, ANSWER_NO, DASHES, REACH, Clauses, grammar

if TYPE_CHECKING:
    from qualcode.autocode import Matcher
    from qualcode.codebook import Rule
    from qualcode.nlp import Analysis

# What a rule asks of its matches (bits), computed once per rule.
ASKED, NEGATION, NEGATION_ALWAYS, HYPOTHETICAL, REPORTED, SELF, UNLESS, SENSE = (1 << i for i in range(8))


def rule_bits(matcher: Matcher, rule: Rule) -> int:
    bits = 0
    if not rule.questions:
        bits |= ASKED
    if rule.negation:
        clause_scope = matcher.negation.scope == "clause" and grammar(matcher.lang) is not None
        bits |= NEGATION if clause_scope else NEGATION_ALWAYS
    if not rule.hypotheticals:
        bits |= HYPOTHETICAL
    if not rule.reported:
        bits |= REPORTED
    if rule.scope == "self":
        bits |= SELF
    if matcher.unless.get(rule.id):
        bits |= UNLESS
    if matcher.sense.get(rule.id) is not None:
        bits |= SENSE
    return bits


def _any_in(positions: list[int] | np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Per window [lo, hi): is any of the sorted positions in it?"""
    if not len(positions):
        return np.zeros(len(lo), dtype=bool)
    p = np.asarray(positions, dtype=np.int64)
    return np.searchsorted(p, np.maximum(lo, hi), "left") > np.searchsorted(p, lo, "left")


def _kept(clauses: Clauses, key: object, make):
    """`make()`, kept with the analysis's marker positions (`MatchChecks._clauses`): arrays that
    depend only on the analysis and the language, asked again by every run over it."""
    hit = clauses._positions.get(key)
    if hit is None:
        hit = clauses._positions[key] = make()
    return hit


def _sentences(a: Analysis, clauses: Clauses) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each sentence's first token, one past its last, and whether its last token ends with "?"."""
    def make():
        sent = a.sent
        ids = np.arange(int(sent[-1]) + 1)
        first, end = np.searchsorted(sent, ids, "left"), np.searchsorted(sent, ids, "right")
        strings = a.strings
        asks = np.fromiter((strings[k].endswith("?") for k in a.lower[end - 1].tolist()), dtype=bool, count=len(ids))
        return first, end, asks
    return _kept(clauses, "sentences", make)


def _deciding_people(a: Analysis, clauses: Clauses) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The person words `People.subject` can stop at (not he/she, its `transparent`): sorted
    positions; whether each is another person (`other_words` and not `self_words`, which
    `subject` asks first); whether "with" (`companions`) is one and two tokens before it, which
    makes `subject` pass it when that token is in the match's reach. Forms are compared whole,
    lemmas by their first reading, as `subject` does."""
    def make() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        g, index = clauses.g, a.index

        def form_in(words: frozenset[str]) -> np.ndarray:
            mask = np.zeros(len(a.strings), dtype=bool)
            mask[[index[w] for w in words if w in index]] = True
            return mask[a.lower]

        def either_in(words: frozenset[str]) -> np.ndarray:
            return form_in(words) | clauses._string_mask(words)[a.lemma]

        own, others = either_in(g.self_words), either_in(g.other_words)
        companion = form_in(g.companions)
        at = np.flatnonzero((own | others) & ~either_in(g.transparent))
        one_before = (at >= 1) & companion[np.maximum(at - 1, 0)]
        two_before = (at >= 2) & companion[np.maximum(at - 2, 0)]
        return at, ~own[at], one_before, two_before
    return _kept(clauses, ("array", "deciding people"), make)


def first_looks(matcher: Matcher, a: Analysis, clauses: Clauses, occ: dict[int, list[tuple[int, int]]],
                raw: list[tuple], bits_of: dict[str, int]) -> list[tuple[int, np.ndarray]]:
    """Per clause check (its bit: ASKED, NEGATION, ...), the raw matches (rule, first token, end
    token, ...) whose rule asks it and where its first look finds a marker: only there can it drop
    the match. NEGATION_ALWAYS (a window scope) has no first look here: all its matches."""
    n = len(raw)
    s = np.fromiter((r[1] for r in raw), dtype=np.int64, count=n)
    t = np.fromiter((r[2] for r in raw), dtype=np.int64, count=n)
    bits = np.fromiter((bits_of[r[0].id] for r in raw), dtype=np.int64, count=n)
    looks: list[tuple[int, np.ndarray]] = []
    want = (bits & NEGATION_ALWAYS) != 0
    if want.any():
        looks.append((NEGATION_ALWAYS, want))

    # The sentence of each match, and the part of it the checks look at (`Clauses.reach`).
    sent_first, sent_end, sent_asks = _sentences(a, clauses)
    ms = a.sent[s]
    first = np.maximum(sent_first[ms], s - REACH)
    end = np.minimum(sent_end[ms], s + REACH + 1)

    want = (bits & ASKED) != 0
    if want.any():  # `question`: only a sentence whose last token ends with "?" can ask
        looks.append((ASKED, want & sent_asks[ms]))

    want = (bits & NEGATION) != 0
    if want.any():  # `_negated` with clause scope: `Clauses.negation`'s first look, and `after_phrases`
        neg = matcher.negation
        cues = matcher._cues
        where = _kept(clauses, ("array", "cues", id(cues)),
                      lambda: np.asarray(clauses.positions(("cues", id(cues)), cues), dtype=np.int64))
        ne = _kept(clauses, ("array", "не"), lambda: np.asarray(clauses.positions("не", _NE), dtype=np.int64)) if (
            clauses.g.verb_lemma_endings) else []
        # The clause of each match (`Clauses._clause`, for all at once): a cue where the cue loop
        # reads (before the match in its clause, or within `after` tokens after it); "не" where the
        # Russian verb check reads; or the shape `answered_no` answers: a dash right after the
        # match, then a bare "no". (Each is inside the window of `negation`'s own first look.)
        b_starts, b_ends = _kept(clauses, ("array", "bounds"), lambda: tuple(
            np.asarray(b, dtype=np.int64) for b in clauses.bounds()))
        cs, ce = first, end
        if len(b_starts):
            i = np.searchsorted(b_starts, s, "right") - 1
            cs = np.where(i >= 0, np.maximum(first, b_starts[np.maximum(i, 0)]), first)
        if len(b_ends):
            j = np.searchsorted(b_ends, t, "left")
            ce = np.where(j < len(b_ends), np.minimum(end, b_ends[np.minimum(j, len(b_ends) - 1)]), end)
        maybe = _any_in(where, cs, s) | _any_in(where, t, np.minimum(ce, t + neg.after)) | _any_in(
            ne, t, np.minimum(ce, t + 4) - 1)
        n_tok = len(a.lower)
        at = (t + 1 < end) & (t + 1 < n_tok)
        if at.any():
            dash = _kept(clauses, ("strings", "dashes"), lambda: clauses._string_mask(DASHES))
            no = _kept(clauses, ("strings", "no"), lambda: clauses._string_mask(ANSWER_NO))
            tt = t[at]
            maybe[np.flatnonzero(at)[dash[a.lower[tt]] & no[a.lower[tt + 1]]]] = True
        starts = sorted({ns for e in matcher._after_neg for ns, _nt in occ.get(e, ())})
        if starts and neg.after_window > 0:
            maybe |= _any_in(starts, t, t + neg.after_window)
        looks.append((NEGATION, want & maybe))

    want = (bits & HYPOTHETICAL) != 0
    if want.any():
        def hypothetical() -> np.ndarray:
            markers = clauses._positions.get("hypothetical")
            return np.asarray(clauses._hypothetical_markers() if markers is None else markers, dtype=np.int64)
        looks.append((HYPOTHETICAL, want & _any_in(_kept(clauses, ("array", "hypothetical"), hypothetical),
                                                   first, end)))

    want = (bits & REPORTED) != 0
    if want.any():  # `reported`: between quotation marks, or a speech verb or hearsay word before
        g = clauses.g
        markers = _kept(clauses, ("array", "reported"), lambda: np.asarray(
            clauses.positions("reported", g.hearsay | g.speech_lemmas), dtype=np.int64))
        looks.append((REPORTED, want & (_any_in(markers, first, s) | clauses.quoted_many(s))))

    want = (bits & SELF) != 0
    if want.any():  # `subject`: the nearest person named before the match
        g = clauses.g
        people = _kept(clauses, ("array", "people"), lambda: np.asarray(
            clauses.positions("people", g.self_words | g.other_words | g.transparent), dtype=np.int64))
        look = want & _any_in(people, first, s)
        # Where the nearest person before the match that `subject` can stop at is in its reach and
        # not passed for a "with" before it (in the reach), `subject` returns that person's kind:
        # only "another person" can drop the match; elsewhere `subject` is asked.
        at, other, one_before, two_before = _deciding_people(a, clauses)
        if len(at):
            i = np.searchsorted(at, s, "left") - 1
            j = np.maximum(i, 0)
            k = at[j]
            passed = (one_before[j] & (k - 1 >= first)) | (two_before[j] & (k - 2 >= first))
            decided = (i >= 0) & (k >= first) & ~passed
            look &= ~decided | other[j]
        looks.append((SELF, look))

    looks.append((UNLESS | SENSE, (bits & (UNLESS | SENSE)) != 0))
    return looks


def _context_drops(matcher: Matcher, clauses: Clauses, occ: dict[int, list[tuple[int, int]]], raw: list[tuple],
                   candidates: list[int], out: list[bool]) -> None:
    """`unless` drops where one of its words is in the match's sentence, `sense` where none is:
    answered here in full (a set of sentences per rule), `out[i]` set for each match dropped."""
    sentence = clauses.sent
    unless: dict[str, set[int]] = {}
    sense: dict[str, set[int]] = {}
    for i in candidates:
        if out[i]:
            continue
        rule, sent_of = raw[i][0], sentence[raw[i][1]]
        if rule.id in matcher.unless:
            found = unless.get(rule.id)
            if found is None:
                found = unless[rule.id] = {sentence[us] for e in matcher.unless[rule.id]
                                           for us, _ut in occ.get(e, ())}
            if sent_of in found:
                out[i] = True
                continue
        if rule.id in matcher.sense:
            found = sense.get(rule.id)
            if found is None:
                found = sense[rule.id] = {sentence[us] for e in matcher.sense[rule.id]
                                          for us, _ut in occ.get(e, ())}
            if sent_of not in found:
                out[i] = True


def dropped(matcher: Matcher, a: Analysis, clauses: Clauses, occ: dict[int, list[tuple[int, int]]],
            raw: list[tuple], bits_of: dict[str, int]) -> list[bool]:
    """Per raw match: whether `_drop_reason` (without the speaker check) would give a reason, i.e.
    whether it does not code. The same questions, asked check by check, each only for the matches
    where its own first look found a marker (and not dropped already): a match near a "?" is not
    also asked about hypotheticals unless an "if" is near too. The checks are independent of each
    other, so their order does not change which matches drop, only how much is asked."""
    if not raw:
        return []
    *looks, (_bits, context) = first_looks(matcher, a, clauses, occ, raw, bits_of)
    out = [False] * len(raw)
    for bit, look in looks:
        if bit == ASKED:
            def fires(i: int) -> str | None:
                return clauses.question(raw[i][1], raw[i][2])
        elif bit in (NEGATION, NEGATION_ALWAYS):
            def fires(i: int) -> str | None:
                return matcher._negated(raw[i][0], raw[i][1], raw[i][2], a, occ, clauses)
        elif bit == HYPOTHETICAL:
            def fires(i: int) -> str | None:
                return clauses.hypothetical(raw[i][1], raw[i][2])
        elif bit == REPORTED:
            def fires(i: int) -> str | None:
                return clauses.reported(raw[i][1], raw[i][2])
        else:  # SELF
            def fires(i: int) -> str | None:
                return clauses.other_person(raw[i][1], raw[i][2])
        for i in np.flatnonzero(look).tolist():
            if not out[i] and fires(i) is not None:
                out[i] = True
    _context_drops(matcher, clauses, occ, raw, np.flatnonzero(context).tolist(), out)
    return out
