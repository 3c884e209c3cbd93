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
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from qualcode import match_filter, safe_regex
from qualcode.clauses import ALTERNATIVE, Clauses, grammar
from qualcode.codebook import Codebook, Negation, Rule
from qualcode.nlp import Analysis, PatternWord, Pipeline, pipeline
from qualcode.phrase_index import PhraseIndex, string_table
from qualcode.regex_rules import _END_AWARE, lowercase_rule, regex_spans, separated


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


@dataclass(frozen=True)
class Proposed:
    """A coding a run proposes: the unit span, the code, the rule and the words that fired it."""

    code: str
    start: int
    end: int
    rule: str
    match_start: int
    match_end: int


@dataclass
class TurnSpan:
    idx: int
    role: str
    start: int
    end: int


@dataclass
class _Entry:
    words: list[PatternWord]

    def __post_init__(self) -> None:
        self.syms = [_symbols(w) for w in self.words]



LEMMAS = "qualcode_lemmas"


def _is_word(form: str) -> bool:
    """Not punctuation (which ends the scope of a negation); "n't" is a word."""
    return any(ch.isalnum() for ch in form.replace("'", "a"))


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


def _words(text: str) -> set[str]:
    return set(text.split())


# Words too common to anchor a pattern on (every "we" would be a candidate).
_COMMON = {
    "en": _words("i we you he she it they me us my our your his her its their the a an to of in on at for with "
              "and or but so that this there was were is are be been have has had do did not no very"),
    "ru": _words("я мы ты вы он она оно они меня нас мой наш ваш его её их в во на с со к ко по за из у о об от до "
              "и а но что это там был была были быть есть не нет ни так вот уже ещё еще очень"),
    "kk": _words("мен біз сен сіз ол олар және бен мен пен да де та те бар жоқ емес осы сол бұл"),
}


def _anchor(words: list[PatternWord], lang: str) -> int:
    """The index of the word a pattern is looked up by: the longest word that is not common."""
    common = _COMMON.get(lang, set())

    def score(w: PatternWord) -> float:
        if w.prefix is not None:
            return len(w.prefix) - 1.5
        if not w.keys:
            return -10
        base = min(len(k) for k in w.keys)
        return base - 10 if w.keys & common else base

    return max(range(len(words)), key=lambda i: (score(words[i]), -i))


@dataclass
class Matcher:
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
            for rule, ids in self.phrase:
                for e in ids:
                    for s, t in occ.get(e, ()):
                        raw.append((rule, s, t, starts[s], ends[t - 1]))
            for rule, ids in self.near:
                raw.extend(self._near(rule, ids, occ, clauses))
        if self.regex:
            low = text.lower()
            whole = separated(text, turns)
            for rule, (rx, rx_case) in self.regex:
                # Lowercased text and pattern: the same spans as IGNORECASE, 1.6-2.2x faster
                # (benchmarks/regex_lowercase.py); the rare text whose length lower() changes
                # keeps the original pattern.
                if len(low) == len(text):
                    raw.extend(self._regex(rule, rx, a, low, turns, whole))
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
        # Only the matches some clause check could drop are checked (`qualcode.match_filter`).
        checks = match_filter.to_check(self, a, self._clauses(a), occ, raw, self._bits) if raw else []
        for (rule, s, t, cs, ce), check in zip(raw, checks, strict=True):
            if not check or self._drop_reason(rule, s, t, a, occ, None) is None:
                out[self.fingerprints[rule.id]].append((s, t, cs, ce))
        return out

    def subset(self, rule_ids: frozenset[str]) -> Matcher:
        """A matcher for some of these rules only (kept, so each subset compiles once)."""
        with self.lock:
            if rule_ids not in self._subsets:
                if len(self._subsets) >= 16:  # a shared matcher meets many edits in a long session
                    self._subsets.pop(next(iter(self._subsets)))
                self._subsets[rule_ids] = Matcher(self.book, self.lang, self.nlp, only=rule_ids)
            return self._subsets[rule_ids]

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
            self._clause_of = Clauses(a, self.lang)
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

    # --- units ------------------------------------------------------------------------------

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


# Bump when matching changes in a way the rule fingerprint does not show.
# 2: clause-scoped negation, questions, hypotheticals, reported speech, scope, sense;
# 3: Russian "не" + verb after the match; 4: the clause rules of 6045b1e (dash answers, purpose clauses);
# 5: the rule-match cache in binary (`qualcode.match_cache`), not JSON;
# 6: a match between quotation marks is reported speech (`Clauses.quoted`);
# 7: more words for other people in `scope: self` (newcomers, guys, «новенький», «парень», «ребята»).
MATCHER_VERSION = "7"


def rule_fingerprint(rule: Rule, negation: Negation, pipeline_version: str) -> str:
    """Everything that decides where a rule fires (not its code, unit or speakers, which apply later;
    except that `near` stays in one sentence unless the unit is turn)."""
    spec = [MATCHER_VERSION, pipeline_version, rule.lang, rule.kind, rule.patterns, rule.near, rule.within,
            rule.regex, rule.tokens, rule.negation, rule.unless, rule.unit == "turn" if rule.kind == "near" else None,
            rule.questions, rule.hypotheticals, rule.reported, rule.scope, rule.sense,
            sorted(negation.cues), negation.scope, negation.before, negation.after, list(negation.after_phrases),
            negation.after_window]
    return hashlib.sha1(json.dumps(spec, ensure_ascii=False, sort_keys=True, default=str).encode()).hexdigest()[:16]


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


@lru_cache(maxsize=200_000)
def _symbols(word: PatternWord) -> frozenset[str]:
    if word.prefix is not None:
        return frozenset({"*" + word.prefix})
    return frozenset("=" + k for k in word.keys)


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
