"""Tokens of a whole transcript at once: whitespace chunks, each split once per distinct chunk.

spaCy's tokenizer cuts text at whitespace into chunks and splits each chunk on its own
(prefixes, suffixes, infixes, special cases such as "don't" -> "do" + "n't"): a chunk's
tokens never depend on its neighbours. So a transcript is split into chunks with one
regex call, and each *distinct* chunk is split once:

- a chunk of letters only that is no special case ("migration", "работу") is one token;
- any other chunk ("work,", "don't", "что-то", "(yes)", "10,000") goes to spaCy's tokenizer.

The splits of distinct chunks are kept across transcripts (a corpus repeats its words), and
the tokens of every chunk occurrence are laid out with numpy, so the per-token cost is a
few array operations rather than a Python call. Boundaries are spaCy's by construction; a
test compares them with `nlp.make_doc` on English, Russian and Kazakh text.

Measured in BENCHMARKS.md ("First coding without spaCy's tokenizer on the hot path").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

# A chunk is a maximal run of non-whitespace; spaCy splits at the same place
# (its `isspace()` transitions), and `\s` here is the same Unicode whitespace.
_CHUNKS = re.compile(r"(\S+)")
_WORD = re.compile(r"[^\W\d_]+")
# Kept across transcripts; cleared when it grows past this many distinct chunks.
MAX_CHUNKS = 500_000


class _Grow:
    """A numpy array that grows by doubling (the chunk table only ever grows, then is cleared)."""

    def __init__(self, dtype: type) -> None:
        self.data = np.zeros(1024, dtype=dtype)
        self.n = 0

    def extend(self, values: list) -> None:
        need = self.n + len(values)
        if need > len(self.data):
            bigger = np.zeros(max(need, 2 * len(self.data)), dtype=self.data.dtype)
            bigger[:self.n] = self.data[:self.n]
            self.data = bigger
        self.data[self.n:need] = values
        self.n = need

    @property
    def view(self) -> np.ndarray:
        return self.data[:self.n]


@dataclass
class Tokens:
    """A text's tokens: character offsets, form ids (into the tokenizer's `strings`), and per
    token whether a newline comes before it and whether its first character is lowercase."""

    form: np.ndarray
    start: np.ndarray
    end: np.ndarray
    after_newline: np.ndarray
    lower_initial: np.ndarray


class ChunkTokenizer:
    """Splits text as `split_chunk` (a spaCy tokenizer) would, one distinct chunk at a time.

    `split_chunk(chunk)` returns the (start, end) offsets of the chunk's tokens; it is called
    only for chunks that are not plain words. `fold` turns a token into its matching form
    (lowercase; Russian ё as е). `specials`: the tokenizer's special cases ("Dont" is "Do" +
    "nt"), which never take the plain-word path. `lemma(form)` gives a form's lemma string.

    Forms and lemmas are interned in `strings` (ids in `string_id`); `lemma_of[f]` is the
    string id of form id f's lemma. All of it is kept across transcripts, and cleared
    (never reused across versions: it lives in one process) past MAX_CHUNKS chunks.
    """

    def __init__(self, split_chunk: Callable[[str], list[tuple[int, int]]], fold: Callable[[str], str],
                 specials: set[str], lemma: Callable[[str], str]) -> None:
        self.split_chunk = split_chunk
        self.fold = fold
        self.specials = specials
        self.lemma = lemma
        self.slow = 0  # chunks split by spaCy (for the benchmark's report)
        self.clear()

    def clear(self) -> None:
        self.chunk_id: dict[str, int] = {}
        self.strings: list[str] = []
        self.string_id: dict[str, int] = {}
        self.lemma_of = _Grow(np.int64)  # string id -> its lemma's string id (forms only)
        self._n_tok = _Grow(np.int64)  # per chunk: how many tokens
        self._first = _Grow(np.int64)  # per chunk: where its tokens start in the flat tables
        self._rel_s = _Grow(np.int64)  # flat, per token of a distinct chunk: offsets in the chunk
        self._rel_e = _Grow(np.int64)
        self._form = _Grow(np.int64)
        self._initial = _Grow(bool)

    def _intern(self, s: str) -> int:
        i = self.string_id.get(s)
        if i is None:
            i = self.string_id[s] = len(self.strings)
            self.strings.append(s)
            self.lemma_of.extend([-1])
        return i

    def _add(self, chunk: str) -> None:
        if chunk not in self.specials and _WORD.fullmatch(chunk):
            spans = [(0, len(chunk))]
        else:
            spans = self.split_chunk(chunk)
            self.slow += 1
        forms = []
        for s, e in spans:
            form = self.fold(chunk[s:e])
            f = self._intern(form)
            if self.lemma_of.data[f] < 0:
                self.lemma_of.data[f] = self._intern(self.lemma(form))
            forms.append(f)
        self.chunk_id[chunk] = len(self.chunk_id)
        self._first.extend([self._rel_s.n])
        self._n_tok.extend([len(spans)])
        self._rel_s.extend([s for s, _ in spans])
        self._rel_e.extend([e for _, e in spans])
        self._form.extend(forms)
        self._initial.extend([chunk[s].islower() for s, _ in spans])

    def __call__(self, text: str) -> Tokens:
        parts = _CHUNKS.split(text)
        chunks = parts[1::2]
        if not chunks:
            z = np.zeros(0, dtype=np.int64)
            return Tokens(z, z, z, z.astype(bool), z.astype(bool))
        if len(self.chunk_id) > MAX_CHUNKS:
            self.clear()
        new = set(chunks).difference(self.chunk_id)
        for chunk in sorted(new):  # sorted: string ids do not depend on set order
            self._add(chunk)
        lengths = np.fromiter(map(len, parts), dtype=np.int64, count=len(parts))
        offsets = np.cumsum(lengths)
        chunk_start = offsets[0::2][:len(chunks)]  # each chunk starts where the space before it ends
        newline = np.fromiter(map(str.__contains__, parts[0::2][:len(chunks)], ["\n"] * len(chunks)),
                              dtype=bool, count=len(chunks))
        newline[0] = False
        cid = np.fromiter(map(self.chunk_id.__getitem__, chunks), dtype=np.int64, count=len(chunks))

        # Lay the tokens of every chunk occurrence out: occurrence k of chunk c gets the
        # tokens first[c] .. first[c] + n_tok[c] of the flat per-distinct-chunk tables.
        per = self._n_tok.view[cid]
        occ = np.repeat(np.arange(len(chunks)), per)
        occ_first = np.zeros(len(chunks), dtype=np.int64)
        np.cumsum(per[:-1], out=occ_first[1:])
        flat = self._first.view[cid][occ] + (np.arange(len(occ)) - occ_first[occ])
        base = chunk_start[occ]
        after_nl = np.zeros(len(occ), dtype=bool)
        after_nl[occ_first] = newline
        return Tokens(self._form.view[flat], base + self._rel_s.view[flat], base + self._rel_e.view[flat],
                      after_nl, self._initial.view[flat])
