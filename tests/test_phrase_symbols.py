"""The phrase index's per-string lookups against their plain definitions (issue 17, first coding).

`PhraseIndex.syms`, `_words` and `_hits` skip most strings with a first-characters gate, and
anchors are learned from counts per symbol instead of per string: here every string of a list
with exact words, prefixes of several lengths, strings shorter than any prefix, piped lemmas
("a|b") and near misses is compared with the definition written out plainly, and the learned
anchors with anchors chosen from per-string counts.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from qualcode.phrase_index import PhraseIndex

WORDS = [
    frozenset({"=work", "=job"}), frozenset({"*migr"}), frozenset({"=abroad"}), frozenset({"*рабо"}),
    frozenset({"=to"}), frozenset({"*go"}), frozenset({"*goin"}), frozenset({"=a"}), frozenset({"*worki"}),
]
ENTRIES = [[WORDS[0], WORDS[2]], [WORDS[1]], [WORDS[4], WORDS[5]], [WORDS[3], WORDS[0]], [WORDS[6], WORDS[7]],
           [WORDS[8], WORDS[4], WORDS[2]]]
STRINGS = ["work", "job", "jobs", "migration", "migr", "mig", "abroad", "abroa", "работа", "раб", "to", "t",
           "go", "g", "going", "goi", "a", "", "workin", "working", "work|job", "migrant|x", "x|y", "x|go",
           "работа|работать", "goin", "gone", "ab", "|", "work|", "jobless", "togo", "a|a"]


def plain_syms(index: PhraseIndex, s: str) -> frozenset[str]:
    """A string's symbols by definition: each part equal to a pattern word, or starting with a prefix."""
    out = set()
    for part in s.split("|"):
        for sym in index._words_of_sym:
            if (sym[0] == "=" and part == sym[1:]) or (sym[0] == "*" and part.startswith(sym[1:])):
                out.add(sym)
    return frozenset(out)


def test_symbols_words_and_hits_equal_their_definitions() -> None:
    for anchors in ([0, 0, 0, 0, 0, 0], [1, 0, 1, 1, 1, 2]):
        index = PhraseIndex(ENTRIES, anchors, learn=False)
        fresh = PhraseIndex(ENTRIES, anchors, learn=False)  # hits looked up before any symbols
        for s in STRINGS:
            syms = plain_syms(index, s)
            hits = sorted({e for e, k in enumerate(anchors) for sym in ENTRIES[e][k] if sym in syms})
            assert fresh._hits(s).tolist() == hits, (s, anchors)
            assert index.syms(s) == syms, s
            words = sorted({w for sym in syms for w in index._words_of_sym[sym]})
            assert index._words(s).tolist() == words, s
            assert index._hits(s).tolist() == hits, (s, anchors)  # from the known symbols


def test_learned_anchors_are_those_of_per_string_counts() -> None:
    """Anchors learned from per-symbol counts equal anchors from each string's own count."""
    rng = np.random.default_rng(3)
    index = PhraseIndex(ENTRIES, [0] * len(ENTRIES), learn=True)
    freq: dict[str, int] = defaultdict(int)
    for _ in range(8):
        n = 60
        lemma = rng.integers(0, len(STRINGS), n)
        lower = np.where(rng.random(n) < 0.3, rng.integers(0, len(STRINGS), n), lemma)
        turn = np.zeros(n, dtype=np.int64)
        index.find(STRINGS, lemma, lower, turn)
        for i, c in enumerate(np.bincount(np.concatenate([lemma, lower]), minlength=len(STRINGS)).tolist()):
            freq[STRINGS[i]] += c
    by_sym: dict[str, int] = defaultdict(int)
    for s, c in freq.items():
        for sym in plain_syms(index, s):
            by_sym[sym] += c
    expected = [min(range(len(words)), key=lambda j, words=words: (sum(by_sym[sym] for sym in words[j]), j != 0, j))
                for words in ENTRIES]
    assert index.anchor.tolist() == expected
    assert expected != [0] * len(ENTRIES)  # the counts did move some anchor
