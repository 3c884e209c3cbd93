"""Where a codebook's phrase patterns occur in an analysis, found with array operations.

A pattern is a sequence of words; each word is a set of symbols (`=form-or-lemma`,
`*prefix`), and a token satisfies a word when its form's or its lemma's symbols meet the
word's. Each pattern is indexed by one word (its anchor: the least frequent, learned as
transcripts go by). Per transcript:

1. every distinct string of the analysis is looked up once (cached across transcripts):
   which pattern words it satisfies, and which patterns it anchors;
2. the (token, pattern) pairs where a token can anchor a pattern are laid out as arrays;
3. word by word, every pair's other words are checked at once: the pair (string id,
   word id) of the token at that place must be one the transcript's strings satisfy
   (a sorted array of such pairs, searched with `searchsorted`).

No candidate check runs in Python: the per-transcript Python work is per distinct
string, not per token or per candidate. Anchors decide only how much work is done,
never what is found: a pattern's occurrences are the same whichever word anchors it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence

import numpy as np

_NONE: frozenset[str] = frozenset()
_EMPTY = np.zeros(0, dtype=np.int64)
# Per-string caches are cleared past this many strings (a process that codes many corpora).
MAX_STRINGS = 1_000_000


def _in_sorted(values: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    if not len(sorted_set):
        return np.zeros(len(values), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_set, values), len(sorted_set) - 1)
    return sorted_set[at] == values


class StringTable:
    """The distinct strings of one analysis, for looking strings up by what they are or begin with."""

    def __init__(self, strings: list[str], index: dict[str, int]) -> None:
        self.strings = strings
        self.index = index
        self.piped = [i for i, s in enumerate(strings) if "|" in s]  # several equally likely lemmas

    def starting_with(self, prefixes: tuple[str, ...]) -> list[int]:
        """The ids of the strings that start with one of `prefixes`."""
        return [i for i, s in enumerate(self.strings) if s.startswith(prefixes)] if prefixes else []


def string_table(analysis) -> StringTable:
    """An analysis's `StringTable`, made once and kept on it (analyses are kept across runs of a
    process by `qualcode.match_cache`)."""
    table = analysis.__dict__.get("_string_table")
    if table is None:
        table = analysis.__dict__["_string_table"] = StringTable(analysis.strings, analysis.index)
    return table


class PhraseIndex:
    """Patterns (per pattern: its words' symbol sets) and the anchor of each."""

    def __init__(self, entries: Sequence[Sequence[frozenset[str]]], anchor: Sequence[int], learn: bool = True) -> None:
        self.entries = [list(words) for words in entries]
        self.length = np.array([len(w) for w in self.entries], dtype=np.int64)
        self.max_len = int(self.length.max()) if len(self.length) else 0
        word_id: dict[frozenset[str], int] = {}
        self.word = np.full((len(self.entries), max(1, self.max_len)), -1, dtype=np.int64)
        for e, words in enumerate(self.entries):
            for j, w in enumerate(words):
                self.word[e, j] = word_id.setdefault(w, len(word_id))
        self.n_word_ids = max(1, len(word_id))
        self._words_of_sym: dict[str, list[int]] = defaultdict(list)
        for w, i in word_id.items():
            for sym in w:
                self._words_of_sym[sym].append(i)
        self._exact = {sym[1:] for sym in self._words_of_sym if sym[0] == "="}
        self._prefixes = {sym[1:] for sym in self._words_of_sym if sym[0] == "*"}
        self._min_prefix = min((len(p) for p in self._prefixes), default=1)
        self._max_prefix = max((len(p) for p in self._prefixes), default=0)
        # A string can start with a prefix only if its first `_min_prefix` characters start one:
        # most strings of a transcript fail this and the exact test, and then need no loop.
        self._gate = frozenset(p[:self._min_prefix] for p in self._prefixes)
        self._sym_cache: dict[str, frozenset[str]] = {}
        self._word_cache: dict[str, np.ndarray] = {}
        self.static_anchor = list(anchor)
        self.set_anchors(anchor)
        self._sym_freq: dict[str, int] = defaultdict(int)  # tokens seen per symbol (`_learn`)
        self._seen = 0 if learn else 1_000  # a matcher for a few edited rules does not bother

    # --- symbols: which pattern words a string can satisfy -------------------------------------

    def syms(self, s: str) -> frozenset[str]:
        hit = self._sym_cache.get(s)
        if hit is None:
            if len(self._sym_cache) > MAX_STRINGS:
                self._sym_cache.clear()
                self._word_cache.clear()
                self._hit_cache.clear()
            hit = self._sym_cache[s] = self._symbols(s)
        return hit

    def _symbols(self, s: str) -> frozenset[str]:
        if "|" not in s and s not in self._exact and s[:self._min_prefix] not in self._gate:
            return _NONE  # most strings: neither a pattern word nor the start of a prefix
        out: set[str] = set()
        for part in s.split("|") if "|" in s else (s,):  # several equally likely lemmas (nlp.py)
            if part in self._exact:
                out.add("=" + part)
            if part[:self._min_prefix] in self._gate:
                for k in range(self._min_prefix, min(len(part), self._max_prefix) + 1):
                    if part[:k] in self._prefixes:
                        out.add("*" + part[:k])
        return frozenset(out) if out else _NONE

    def _words(self, s: str) -> np.ndarray:
        """The ids of the pattern words string `s` satisfies."""
        hit = self._word_cache.get(s)
        if hit is None:
            syms = self.syms(s)
            ids = {w for sym in syms for w in self._words_of_sym.get(sym, ())} if syms else ()
            hit = self._word_cache[s] = np.array(sorted(ids), dtype=np.int64) if ids else _EMPTY
        return hit

    def _hits(self, s: str) -> np.ndarray:
        """The patterns string `s` can anchor: its anchored symbols looked up directly (the
        same as its `syms` met with the anchored ones), so a string that anchors nothing never
        pays for all its symbols (most strings, for the matcher of a re-code's few rules)."""
        hit = self._hit_cache.get(s)
        if hit is None:
            syms = self._sym_cache.get(s)
            if syms is not None:  # symbols known (learning looks at every string): the anchored ones
                ids = {e for sym in syms for e in self._anchored.get(sym, ())} if syms else None
                hit = self._hit_cache[s] = np.array(sorted(ids), dtype=np.int64) if ids else _EMPTY
                return hit
            exact, gate, g = self._anchor_exact, self._anchor_gate, self._anchor_min
            if "|" not in s and s not in exact and s[:g] not in gate:
                hit = self._hit_cache[s] = _EMPTY  # most strings: anchor nothing
                return hit
            ids: set[int] = set()
            prefix, lens = self._anchor_prefix, self._anchor_lens
            for part in s.split("|") if "|" in s else (s,):
                got = exact.get(part)
                if got:
                    ids.update(got)
                if part[:g] not in gate:
                    continue
                for k in lens:
                    if k > len(part):
                        break
                    got = prefix.get(part[:k])
                    if got:
                        ids.update(got)
            hit = self._hit_cache[s] = np.array(sorted(ids), dtype=np.int64) if ids else _EMPTY
        return hit

    def set_anchors(self, anchor: Sequence[int]) -> None:
        self.anchor = np.array(anchor, dtype=np.int64)
        anchored: dict[str, list[int]] = defaultdict(list)
        for e, k in enumerate(anchor):
            for sym in self.entries[e][k]:
                anchored[sym].append(e)
        self._anchored = dict(anchored)
        self._anchor_exact = {sym[1:]: ids for sym, ids in anchored.items() if sym[0] == "="}
        self._anchor_prefix = {sym[1:]: ids for sym, ids in anchored.items() if sym[0] == "*"}
        self._anchor_lens = sorted({len(p) for p in self._anchor_prefix})
        self._anchor_min = self._anchor_lens[0] if self._anchor_lens else 1  # see `_gate`
        self._anchor_gate = frozenset(p[:self._anchor_min] for p in self._anchor_prefix)
        self._anchor_prefix_tuple = tuple(self._anchor_prefix)
        self._hit_cache: dict[str, np.ndarray] = {}

    # --- finding -------------------------------------------------------------------------------

    def find(self, strings: list[str], lemma: np.ndarray, lower: np.ndarray,
             turn: np.ndarray, table: Callable[[], StringTable] | None = None) -> dict[int, list[tuple[int, int]]]:
        """Every pattern's occurrences as sorted (first token, one past the last token), within turns.

        `table` (gives the same strings' `StringTable`) lets an index of few anchors (a re-code's edited
        rules) look its anchors up in the transcript instead of every string in its cache."""
        n, n_str = len(lemma), len(strings)
        if not n or not self.entries:
            return {}
        # Per distinct string, from the caches (a C-level map; misses are filled in after).
        # Anchors first: a transcript none of whose strings anchors a pattern (common for the
        # matcher of a few edited rules) needs nothing else.
        table_of = table
        table = table_of() if table_of is not None and 8 * len(self._anchor_exact) < n_str else None
        if table is not None and len(table.index) == n_str:
            hits_of, anchoring = self._few_anchor_hits(strings, table)
            if self._seen > 64:  # not learning anchors: the few candidates are checked in Python
                return self._find_few(hits_of, anchoring, strings, lemma, lower, turn)
        else:
            hits_of = list(map(self._hit_cache.get, strings))
            for i in [i for i, h in enumerate(hits_of) if h is None]:
                hits_of[i] = self._hits(strings[i])
        lemma = lemma.astype(np.int64)
        lower = lower.astype(np.int64)
        counts = np.fromiter(map(len, hits_of), dtype=np.int64, count=n_str)
        if not counts.any():
            return {}
        flat = np.concatenate(hits_of)
        first = np.zeros(n_str, dtype=np.int64)
        np.cumsum(counts[:-1], out=first[1:])

        def expand(string_of: np.ndarray, tokens: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            tokens = tokens[counts[string_of[tokens]] > 0]
            c = counts[string_of[tokens]]
            t = np.repeat(tokens, c)
            within = np.arange(len(t)) - np.repeat(np.cumsum(c) - c, c)
            return t, flat[np.repeat(first[string_of[tokens]], c) + within]

        t1, e1 = expand(lemma, np.arange(n))
        t2, e2 = expand(lower, np.flatnonzero(lower != lemma))
        t, e = np.concatenate([t1, t2]), np.concatenate([e1, e2])
        k = self.anchor[e]
        start = t - k
        length = self.length[e]
        end = start + length
        ok = (start >= 0) & (end <= n)
        t, e, k, start, length = t[ok], e[ok], k[ok], start[ok], length[ok]
        ok = (turn[start] == turn[t]) & (turn[start + length - 1] == turn[t])
        t, e, k, start, length = t[ok], e[ok], k[ok], start[ok], length[ok]
        if not len(e):
            return self._found(e, start, n, strings, lemma, lower)
        valid = self._valid(strings, lemma, lower, start, length, k)
        nw = self.n_word_ids
        for j in range(self.max_len):
            check = (j < length) & (j != k)
            if not check.any():
                continue
            rows = np.flatnonzero(check)
            tok = start[rows] + j
            w = self.word[e[rows], j]
            good = _in_sorted(lemma[tok] * nw + w, valid) | _in_sorted(lower[tok] * nw + w, valid)
            if not good.all():
                keep = np.ones(len(e), dtype=bool)
                keep[rows[~good]] = False
                e, k, start, length = e[keep], k[keep], start[keep], length[keep]
        return self._found(e, start, n, strings, lemma, lower)

    def _find_few(self, hits_of: list[np.ndarray], anchoring: list[int], strings: list[str], lemma: np.ndarray,
                  lower: np.ndarray, turn: np.ndarray) -> dict[int, list[tuple[int, int]]]:
        """`find` for an index of few anchors (a re-code's edited rules): the tokens of the few
        anchoring strings, and each candidate's other words, checked in Python. A transcript has
        a handful of such candidates, where the array steps cost a few dozen numpy calls each.
        The same occurrences as the array steps (tests/test_match_cache.py compares them)."""
        if not anchoring:
            self._seen += 1
            return {}
        n = len(lemma)
        mark = np.zeros(len(strings), dtype=bool)
        mark[anchoring] = True
        tokens = np.flatnonzero(mark[lemma] | mark[lower])
        if not len(tokens):
            self._seen += 1
            return {}
        # Only the tokens a candidate can reach, as lists (whole-array lists cost more than the checks).
        lo, hi = max(0, int(tokens[0]) - self.max_len), min(n, int(tokens[-1]) + self.max_len)
        lemma_l = [0] * lo + lemma[lo:hi].tolist()
        lower_l = [0] * lo + lower[lo:hi].tolist()
        turn_l = [-1] * lo + turn[lo:hi].tolist()
        tokens = tokens.tolist()
        entries, anchor, syms = self.entries, self.anchor.tolist(), self.syms
        found: dict[int, set[tuple[int, int]]] = {}
        hit_lists = {i: hits_of[i].tolist() for i in anchoring}
        for t in tokens:
            es = hit_lists.get(lemma_l[t], ())
            if lower_l[t] != lemma_l[t] and lower_l[t] in hit_lists:
                es = {*es, *hit_lists[lower_l[t]]}
            for e in es:
                words = entries[e]
                start = t - anchor[e]
                end = start + len(words)
                if start < 0 or end > n or turn_l[start] != turn_l[t] or turn_l[end - 1] != turn_l[t]:
                    continue
                k = anchor[e]
                for j, w in enumerate(words):
                    if j == k:
                        continue
                    at = start + j
                    if w.isdisjoint(syms(strings[lemma_l[at]])) and w.isdisjoint(syms(strings[lower_l[at]])):
                        break
                else:
                    found.setdefault(e, set()).add((start, end))
        self._seen += 1
        return {e: sorted(spans) for e, spans in sorted(found.items())}

    def _few_anchor_hits(self, strings: list[str], table: StringTable) -> tuple[list[np.ndarray], list[int]]:
        """`_hits` of every string, where only a few strings can anchor anything: those equal to an
        anchored word, starting with an anchored prefix, or with several lemmas ("a|b"); every
        other string's hits are empty (`_hits` looks up exactly these). Also the ids of the
        strings that do anchor something."""
        hits_of = [_EMPTY] * len(strings)
        index = table.index
        candidates = {index[k] for k in self._anchor_exact if k in index}
        candidates.update(table.piped)
        candidates.update(table.starting_with(self._anchor_prefix_tuple))
        cache = self._hit_cache
        anchoring = []
        for i in candidates:
            hit = cache.get(strings[i])
            hits_of[i] = hit = hit if hit is not None else self._hits(strings[i])
            if len(hit):
                anchoring.append(i)
        return hits_of, anchoring

    def _valid(self, strings: list[str], lemma: np.ndarray, lower: np.ndarray, start: np.ndarray,
               length: np.ndarray, k: np.ndarray) -> np.ndarray:
        """The sorted (string * n_word_ids + word) pairs the candidates' other tokens can need:
        only the strings at those tokens are looked up (a cold cache, as in a re-code's
        matcher, then pays for a few strings, not for every one of the transcript's)."""
        span = np.arange(self.max_len)
        at = start[:, None] + span[None, :]
        need = (span[None, :] < length[:, None]) & (span[None, :] != k[:, None])
        tok = at[need]
        mark = np.zeros(len(strings), dtype=bool)  # the strings needed, in order: no sort
        mark[lemma[tok]] = True
        mark[lower[tok]] = True
        sids = np.flatnonzero(mark).tolist()
        cache = self._word_cache
        words_of = [cache.get(strings[i]) for i in sids]
        for n, i in enumerate(sids):
            if words_of[n] is None:
                words_of[n] = self._words(strings[i])
        if not sids:
            return _EMPTY
        # Already sorted: string ids come in order and each string's word ids are sorted.
        per_string = np.fromiter(map(len, words_of), dtype=np.int64, count=len(sids))
        return np.concatenate(words_of) + np.repeat(np.array(sids, dtype=np.int64) * self.n_word_ids, per_string)

    def _found(self, e: np.ndarray, start: np.ndarray, n: int, strings: list[str], lemma: np.ndarray,
               lower: np.ndarray) -> dict[int, list[tuple[int, int]]]:
        keys = np.unique(e * (n + 1) + start)
        out: dict[int, list[tuple[int, int]]] = {}
        if len(keys):
            # Sorted by pattern, then start: one slice of (start, end) pairs per pattern.
            es, ss = keys // (n + 1), keys % (n + 1)
            cut = (np.flatnonzero(es[1:] != es[:-1]) + 1).tolist()
            starts, ends = ss.tolist(), (ss + self.length[es]).tolist()
            for ei, lo, hi in zip(es[[0, *cut]].tolist(), [0, *cut], [*cut, len(keys)], strict=True):
                out[ei] = list(zip(starts[lo:hi], ends[lo:hi], strict=True))
        self._learn(strings, lemma, lower)
        return out

    def _learn(self, strings: list[str], lemma: np.ndarray, lower: np.ndarray) -> None:
        """Count words as transcripts go by, and re-anchor each pattern on its rarest word
        (after 2, 8 and 64 transcripts)."""
        self._seen += 1
        if self._seen > 64:
            return
        counts = np.bincount(np.concatenate([lemma, lower]), minlength=len(strings))
        # Counted per symbol as they come (the same sums as per string, then per symbol): only
        # the few strings with symbols are looked at, not every string seen.
        syms = list(map(self._sym_cache.get, strings))
        for i in [i for i, x in enumerate(syms) if x is None]:
            syms[i] = self.syms(strings[i])
        some = [i for i, x in enumerate(syms) if x]
        by_sym = self._sym_freq
        for i, c in zip(some, counts[some].tolist(), strict=True):
            for sym in syms[i]:
                by_sym[sym] += c
        if self._seen in (2, 8, 64):
            anchor = []
            for e, words in enumerate(self.entries):
                static = self.static_anchor[e]
                anchor.append(min(range(len(words)), key=lambda j, words=words, static=static: (
                    sum(by_sym.get(sym, 0) for sym in words[j]), j != static, j)))
            self.set_anchors(anchor)
