"""Rule auto-coding: a codebook's rules, matched over cached analyses, become codings.

How a run works (see ARCHITECTURE.md, "Analyse once, re-code many times"):

1. Each transcript is analysed once per pipeline version (`qualcode.nlp`): tokens,
   lowercase forms, lemmas, sentences, turns. Analyses are cached in the project.
2. All phrase patterns (and `near` items and `unless` patterns) of a language go into
   one index keyed by their first word. Per transcript, numpy finds the tokens that
   can start a pattern; only those are checked in Python. spaCy's token `Matcher`
   runs only for `tokens:` rules, which need it.
3. Each match is checked against the rule's speakers, the clause around it (negation,
   question, hypothetical, reported speech, whose situation: `qualcode.clauses`), its
   `unless` and `sense` patterns, widened to its unit (match, sentence or turn), and matches of one code
   in one unit are merged. The result is sorted, so the same input always gives
   the same codings.

The steps live in modules by concept, mixed into `Matcher` here: the pattern entries and their
anchors (`qualcode.anchors`), where `near`, `regex` and `tokens` rules fire (`qualcode.rule_kinds`),
why a match does not code (`qualcode.match_checks`), the widening to units
(`qualcode.proposals`) and the rule fingerprint (`qualcode.fingerprints`). Every name is
importable from here as before.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field

from qualcode import match_filter, safe_regex
from qualcode.anchors import _anchor, _Entry
from qualcode.clauses import Clauses
from qualcode.codebook import Codebook, Negation, Rule
from qualcode.fingerprints import MATCHER_VERSION, rule_fingerprint
from qualcode.match_checks import MatchChecks
from qualcode.nlp import Analysis, Pipeline, pipeline
from qualcode.phrase_index import PhraseIndex, string_table
from qualcode.proposals import Proposals, Proposed
from qualcode.regex_literals import StartingWith, first_words, required_literals
from qualcode.regex_rules import lowercase_rule, separated
from qualcode.rule_kinds import LEMMAS, RuleKinds

__all__ = ["LEMMAS", "MATCHER_VERSION", "Explanation", "Match", "Matcher", "Proposed", "TurnSpan", "compile_rules",
           "explain", "rule_fingerprint"]


@dataclass(frozen=True)
class Match:
    """A place where a rule fired: tokens [tok_start, tok_end) and characters [start, end)."""

    rule: str
    code: str
    tok_start: int
    tok_end: int
    start: int
    end: int
    dropped: str | None = None  # why it did not become a coding (negation, unless, speaker)



@dataclass
class TurnSpan:
    idx: int
    role: str
    start: int
    end: int


@dataclass
class Matcher(MatchChecks, RuleKinds, Proposals):
    """One language's rules of a codebook, compiled for matching analyses."""

    book: Codebook
    lang: str
    nlp: Pipeline
    entries: list[_Entry] = field(default_factory=list)
    phrase: list[tuple[Rule, list[int]]] = field(default_factory=list)
    near: list[tuple[Rule, list[list[int]]]] = field(default_factory=list)
    unless: dict[str, list[int]] = field(default_factory=dict)
    sense: dict[str, list[int]] = field(default_factory=dict)
    regex: list[tuple[Rule, tuple[safe_regex.BoundedPattern, safe_regex.BoundedPattern]]] = field(
        default_factory=list)
    tokens: list[Rule] = field(default_factory=list)
    only: frozenset[str] | None = None  # compile just these rule ids (re-matching changed rules)

    def __post_init__(self) -> None:
        self.negation: Negation = self.book.negation[self.lang]
        self.rules = [r for r in self.book.rules(self.lang) if self.only is None or r.id in self.only]
        self.fingerprints = {r.id: rule_fingerprint(r, self.negation, self.nlp.version) for r in self.rules}
        self._subsets: dict[frozenset[str], Matcher] = {}
        self._compiled = False
        self._clause_of: Clauses | None = None
        # Compiled matchers are shared between runs of a process (`compile_rules`), and the app
        # runs in threads: the index learns anchors and the clause helper is per analysis.
        self.lock = threading.RLock()

    def _compile(self) -> None:
        """Build the pattern index on first use: a re-code whose rules all come from the
        match cache never needs it."""
        if self._compiled:
            return
        self._compiled = True
        known: dict[tuple, int] = {}

        def add(pattern: str) -> int:
            words = self.nlp.pattern(pattern)
            key = tuple(words)
            if key not in known:
                known[key] = len(self.entries)
                self.entries.append(_Entry(words))
            return known[key]

        for rule in self.rules:
            if rule.kind == "phrase":
                self.phrase.append((rule, [add(p) for p in rule.patterns if self.nlp.pattern(p)]))
            elif rule.kind == "near":
                self.near.append((rule, [[add(p) for p in item if self.nlp.pattern(p)] for item in rule.near]))
            elif rule.kind == "regex" and rule.regex:
                self.regex.append((rule, lowercase_rule(rule)))  # time-bounded (E951)
            elif rule.kind == "tokens" and rule.tokens:
                self.tokens.append(rule)
            if rule.unless:
                self.unless[rule.id] = [add(p) for p in rule.unless if self.nlp.pattern(p)]
            if rule.sense:
                self.sense[rule.id] = [add(p) for p in rule.sense if self.nlp.pattern(p)]
        self._after_neg = [add(p) for p in self.book.negation[self.lang].after_phrases if self.nlp.pattern(p)]
        # A matcher of a few rules (a re-code's changed ones) looks for their patterns first, and
        # for the context patterns (`unless`, `sense`, negation phrases after a match: "нет" and
        # "не быть" are in every Russian transcript) only where one of its rules fired.
        found = {e for _rule, ids in self.phrase for e in ids} | {
            e for _rule, items in self.near for item in items for e in item}
        if self.only is None:
            self._parts = [(self._subindex(range(len(self.entries)), learn=True), None)]
            self._context = None
        else:
            rule_ids = sorted(found)
            context_ids = sorted(set(range(len(self.entries))) - found)
            self._parts = [(self._subindex(rule_ids, learn=False), rule_ids)]
            self._context = (self._subindex(context_ids, learn=False), context_ids) if context_ids else None
        self._cues = {c.lower() for c in self.negation.cues}
        self._bits = {r.id: match_filter.rule_bits(self, r) for r in self.rules}
        self._spacy_matcher = None

    # --- matching ---------------------------------------------------------------------------

    def _subindex(self, ids: Sequence[int], learn: bool) -> PhraseIndex:
        return PhraseIndex([self.entries[e].syms for e in ids],
                           [_anchor(self.entries[e].words, self.lang) for e in ids], learn=learn)

    @staticmethod
    def _find(part: tuple[PhraseIndex, list[int] | None], a: Analysis) -> dict[int, list[tuple[int, int]]]:
        index, ids = part
        found = index.find(a.strings, a.lemma, a.lower, a.turn, lambda: string_table(a))
        return found if ids is None else {ids[e]: spans for e, spans in found.items()}

    def occurrences(self, a: Analysis) -> dict[int, list[tuple[int, int]]]:
        """Every entry's occurrences in an analysis as (first token, one past last token),
        within one turn (`qualcode.phrase_index`)."""
        with self.lock:
            return self._with_context(a, self._rule_occurrences(a))

    def _rule_occurrences(self, a: Analysis) -> dict[int, list[tuple[int, int]]]:
        """The occurrences `_raw` needs (all entries' but a few-rule matcher's context ones)."""
        self._compile()
        occ: dict[int, list[tuple[int, int]]] = {}
        for part in self._parts:
            occ.update(self._find(part, a))
        return occ

    def _with_context(self, a: Analysis, occ: dict[int, list[tuple[int, int]]]) -> dict[int, list[tuple[int, int]]]:
        """`occ` with the context patterns' occurrences, where they were left out."""
        if self._context is not None:
            occ = {**occ, **self._find(self._context, a)}
        return occ

    def _raw(self, a: Analysis, text: str, turns: Sequence[TurnSpan], occ) -> list[tuple[Rule, int, int, int, int]]:
        """Every place a rule fires (before negation, unless and speakers), once per rule and span."""
        raw: list[tuple[Rule, int, int, int, int]] = []  # rule, tok_start, tok_end, char start, char end
        if occ:  # without occurrences no phrase or `near` rule fires (most transcripts, in a re-code)
            clauses = self._clauses(a)  # its per-token lists: numpy's per-element access costs more
            starts, ends = clauses.start, clauses.end
            # From the entries found to the phrase rules that use them (most of a codebook's
            # patterns are not in a transcript), in the order of rules and their patterns.
            users = self._phrase_users()
            phrase = self.phrase
            for ri, _k, e in sorted(use for found in occ.keys() & users.keys() for use in users[found]):
                rule = phrase[ri][0]
                for s, t in occ[e]:
                    raw.append((rule, s, t, starts[s], ends[t - 1]))
            memo: dict = {}  # each `near` item's sorted occurrences, shared by the rules that use it
            for rule, ids in self.near:
                raw.extend(self._near(rule, ids, occ, clauses, memo))
        if self.regex:
            low = text.lower()
            whole = separated(text, turns)
            for rule, (rx, rx_case) in self.regex:
                # Lowercased text and pattern: the same spans as IGNORECASE, 1.6-2.2x faster
                # (benchmarks/regex_lowercase.py); the rare text whose length lower() changes
                # keeps the original pattern.
                if len(low) == len(text):
                    # The literals every match consumes: only the turns with them are scanned
                    # (none for a pattern kept as written, with IGNORECASE: `rx is rx_case`).
                    literals = () if rx is rx_case else required_literals(rx.pattern)
                    # A pattern that opens with alternatives is tried only where one of them occurs.
                    starts = () if rx is rx_case else first_words(rx.pattern)
                    scan = StartingWith(rx, starts) if starts else rx
                    raw.extend(self._regex(rule, scan, a, low, turns, whole, literals))
                else:
                    raw.extend(self._regex(rule, rx_case, a, text, turns, whole))
        if self.tokens:
            raw.extend(self._tokens(a, text))
        seen: set[tuple[str, int, int]] = set()  # several patterns of a rule may find the same words
        out = []
        for item in raw:
            key = (item[0].id, item[1], item[2])
            if key not in seen:
                seen.add(key)
                out.append(item)
        return out

    def _phrase_users(self) -> dict[int, list[tuple[int, int, int]]]:
        """Per entry, the (phrase rule's index, the pattern's index in it, entry) that use it."""
        users = self.__dict__.get("_users")
        if users is None:
            self._compile()
            users = {}
            for ri, (_rule, ids) in enumerate(self.phrase):
                for k, e in enumerate(ids):
                    users.setdefault(e, []).append((ri, k, e))
            self.__dict__["_users"] = users
        return users

    def matches(self, a: Analysis, text: str, turns: Sequence[TurnSpan], explain: bool = False) -> list[Match]:
        """All rule matches in one transcript; with `explain`, dropped ones too (with the reason)."""
        with self.lock:
            return self._matches(a, text, turns, explain)

    def _matches(self, a: Analysis, text: str, turns: Sequence[TurnSpan], explain: bool) -> list[Match]:
        occ = self._rule_occurrences(a)
        raw = self._raw(a, text, turns, occ)
        occ = self._with_context(a, occ) if raw else occ
        role_of = {t.idx: t.role for t in turns}
        out: list[Match] = []
        for rule, s, t, cs, ce in raw:
            reason = self._drop_reason(rule, s, t, a, occ, role_of)
            if reason is None or explain:
                out.append(Match(rule.id, rule.code, s, t, cs, ce, reason))
        out.sort(key=lambda m: (m.start, m.end, m.code, m.rule))
        return out

    def rule_matches(self, a: Analysis, text: str, turns: Sequence[TurnSpan]) -> dict[str, list[tuple]]:
        """Per rule fingerprint, the matches that survive negation and `unless` (speakers are
        checked later, since a turn's role can change without its text changing). This is
        what the project caches per transcript, so a re-code only matches the rules that changed."""
        with self.lock:
            return self._rule_matches(a, text, turns)

    def _rule_matches(self, a: Analysis, text: str, turns: Sequence[TurnSpan]) -> dict[str, list[tuple]]:
        occ = self._rule_occurrences(a)
        raw = self._raw(a, text, turns, occ)
        occ = self._with_context(a, occ) if raw else occ
        out: dict[str, list[tuple]] = {self.fingerprints[r.id]: [] for r in self.rules}
        # The clause checks of `_drop_reason`, each asked only where its marker is near
        # (`qualcode.match_filter.dropped`): the same matches drop.
        drops = match_filter.dropped(self, a, self._clauses(a), occ, raw, self._bits) if raw else []
        fingerprints = self.fingerprints
        for (rule, s, t, cs, ce), drop in zip(raw, drops, strict=True):
            if not drop:
                out[fingerprints[rule.id]].append((s, t, cs, ce))
        return out

    def subset(self, rule_ids: frozenset[str]) -> Matcher:
        """A matcher for some of these rules only (kept, so each subset compiles once)."""
        with self.lock:
            if rule_ids not in self._subsets:
                if len(self._subsets) >= 16:  # a shared matcher meets many edits in a long session
                    self._subsets.pop(next(iter(self._subsets)))
                self._subsets[rule_ids] = Matcher(self.book, self.lang, self.nlp, only=rule_ids)
            return self._subsets[rule_ids]


# Compiled matchers kept between runs of this process, by everything that decides what they do:
# the language's rules and negation as they are now (a codebook object can be changed after it
# was loaded, so not its file's hash), the pipeline version and the regex time bound. A re-code in
# the same process (the app, a script, the benchmark) then reuses the pattern index with its warm
# per-string caches and learned anchors instead of building them again.
# Each keeps per-string caches that grow with the corpora it met: few are kept, least recently used
# out (two codebook versions of two languages: the one edited and the one before).
_COMPILED: OrderedDict[tuple[str, str, str, float], Matcher] = OrderedDict()
_MAX_COMPILED = 4
_COMPILED_LOCK = threading.Lock()


def compile_rules(book: Codebook, langs: Sequence[str] | None = None) -> dict[str, Matcher]:
    """A Matcher per language that has rules (or per language asked for)."""
    langs = list(langs) if langs is not None else [lang for lang in book.languages if any(book.rules(lang))]
    out = {}
    for lang in langs:
        nlp = pipeline(lang)
        rules = hashlib.sha1(repr((list(book.rules(lang)), book.negation.get(lang))).encode()).hexdigest()
        key = (rules, lang, nlp.version, safe_regex.TIMEOUT_SECONDS)
        with _COMPILED_LOCK:
            matcher = _COMPILED.get(key)
            if matcher is None or matcher.nlp is not nlp:
                while len(_COMPILED) >= _MAX_COMPILED:
                    _COMPILED.popitem(last=False)
                matcher = _COMPILED[key] = Matcher(book, lang, nlp)
            _COMPILED.move_to_end(key)
        out[lang] = matcher
    return out


@dataclass
class Explanation:
    """What `codebook test` shows: the tokens with their lemmas, and every match with its fate."""

    text: str
    tokens: list[tuple[str, str, int]]  # form, lemma, sentence
    matches: list[Match]
    codings: list[Proposed]


def explain(book: Codebook, lang: str, text: str, role: str = "respondent") -> Explanation:
    """Run a codebook's rules of one language on a piece of text treated as one turn."""
    matcher = compile_rules(book, [lang])[lang]
    a = matcher.nlp.analyse_text(text)
    turns = [TurnSpan(0, role, 0, len(text))]
    tokens = [(text[s:e], a.strings[lem], int(sent)) for s, e, lem, sent in
              zip(a.start.tolist(), a.end.tolist(), a.lemma.tolist(), a.sent.tolist(), strict=True)]
    return Explanation(text, tokens, matcher.matches(a, text, turns, explain=True), matcher.propose(a, text, turns)[0])
