"""Tokens of a whole transcript at once: whitespace chunks, each split once per distinct chunk.

spaCy's tokenizer cuts text at whitespace into chunks and splits each chunk on its own
(prefixes, suffixes, infixes, special cases such as "don't" -> "do" + "n't"): a chunk's
tokens never depend on its neighbours. So a transcript is split into chunks with one
regex call, and each *distinct* chunk is split once:

- a chunk of letters only that is no special case ("migration", "работу") is one token;
- a word and one mark ("work,", "нет.") is the word and the mark (see `_WORD_MARK`);
- any other chunk ("don't", "что-то", "(yes)", "10,000") goes to spaCy's tokenizer.

The splits of distinct chunks are kept across transcripts (a corpus repeats its words), and
the tokens of every chunk occurrence are laid out with numpy, so the per-token cost is a
few array operations rather than a Python call. Boundaries are spaCy's by construction; a
test compares them with `nlp.make_doc` on English, Russian and Kazakh text.

Measured in BENCHMARKS.md ("First coding without spaCy's tokenizer on the hot path").
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

# A chunk is a maximal run of non-whitespace; spaCy splits at the same place
# (its `isspace()` transitions), and `\s` here is the same Unicode whitespace.
_CHUNKS = re.compile(r"(\S+)")
_WORD = re.compile(r"[^\W\d_]+")
# A word and one mark: spaCy splits these in every pipeline here (checked on the corpora of
# benchmarks/; a test compares them). A full stop only after two or more letters ending in a
# lowercase Latin or Russian one: an initial ("A.", "Т.") stays one token, and the English and
# Russian pipelines do not split a full stop after the Kazakh letters (жоқ.).
_WORD_MARK = re.compile(r"[^\W\d_]+[,;:!?]|[^\W\d_]+[a-zа-яё]\.")
# Punctuation that ends a sentence (unless the next word goes on in lowercase: nlp.py).
TERMINAL = re.compile(r"^[.!?…]+$")
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
    lemma: np.ndarray  # per token: its lemma's string id
    terminal: np.ndarray  # per token: terminal punctuation (. ! ? …)
    strings: list[str]  # the table the ids index (kept even if the tokenizer clears its own)


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
        # The tables are shared by every caller of the process's pipeline (the browser app serves
        # several sessions from threads): one transcript at a time appends to and reads them.
        self._lock = threading.Lock()
        self.clear()

    def clear(self) -> None:
        self.chunk_id: dict[str, int] = {}
        self.strings: list[str] = []
        self.string_id: dict[str, int] = {}
        self.lemma_of = _Grow(np.int64)  # string id -> its lemma's string id (forms only)
        self.terminal = _Grow(bool)  # string id -> whether it is terminal punctuation (. ! ? …)
        self._new_terminal: list[bool] = []
        self._n_tok = _Grow(np.int64)  # per chunk: how many tokens
        self._first = _Grow(np.int64)  # per chunk: where its tokens start in the flat tables
        self._rel_s = _Grow(np.int64)  # flat, per token of a distinct chunk: offsets in the chunk
        self._rel_e = _Grow(np.int64)
        self._form = _Grow(np.int64)
        self._initial = _Grow(bool)

    def _intern(self, s: str, lemmas: list[int]) -> int:
        i = self.string_id.get(s)
        if i is None:
            i = self.string_id[s] = len(self.strings)
            self.strings.append(s)
            lemmas.append(-1)
            self._new_terminal.append(bool(TERMINAL.match(s)))
        return i

    def _add(self, chunks: list[str]) -> None:
        """Split new chunks and append them to the tables (a batch: numpy appends cost per call)."""
        n_tok, first, rel_s, rel_e, form_ids, initial, lemmas = [], [], [], [], [], [], []
        base, at = len(self.strings), self._rel_s.n
        for chunk in chunks:
            if chunk in self.specials:
                spans = self.split_chunk(chunk)
                self.slow += 1
            elif _WORD.fullmatch(chunk):
                spans = [(0, len(chunk))]
            elif _WORD_MARK.fullmatch(chunk) and chunk[:-1] not in self.specials:
                spans = [(0, len(chunk) - 1), (len(chunk) - 1, len(chunk))]
            else:
                spans = self.split_chunk(chunk)
                self.slow += 1
            for s, e in spans:
                form = self.fold(chunk[s:e])
                f = self._intern(form, lemmas)
                # A string seen so far only as a lemma gets its own lemma when it comes as a form.
                if f >= base:
                    if lemmas[f - base] < 0:
                        lemmas[f - base] = self._intern(self.lemma(form), lemmas)
                elif self.lemma_of.data[f] < 0:
                    self.lemma_of.data[f] = self._intern(self.lemma(form), lemmas)
                form_ids.append(f)
                rel_s.append(s)
                rel_e.append(e)
                initial.append(chunk[s].islower())
            self.chunk_id[chunk] = len(self.chunk_id)
            first.append(at)
            n_tok.append(len(spans))
            at += len(spans)
        self.lemma_of.extend(lemmas)
        self.terminal.extend(self._new_terminal)
        self._new_terminal = []
        for grow, values in ((self._n_tok, n_tok), (self._first, first), (self._rel_s, rel_s),
                             (self._rel_e, rel_e), (self._form, form_ids), (self._initial, initial)):
            grow.extend(values)

    def __call__(self, text: str) -> Tokens:
        with self._lock:
            return self._tokens(text)

    def _tokens(self, text: str) -> Tokens:
        parts = _CHUNKS.split(text)
        chunks = parts[1::2]
        if not chunks:
            z = np.zeros(0, dtype=np.int64)
            return Tokens(z, z, z, z.astype(bool), z.astype(bool), z, z.astype(bool), self.strings)
        if len(self.chunk_id) > MAX_CHUNKS:
            self.clear()
        new = set(chunks).difference(self.chunk_id)
        if new:
            self._add(sorted(new))  # sorted: string ids do not depend on set order
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
        form = self._form.view[flat]
        return Tokens(form, base + self._rel_s.view[flat], base + self._rel_e.view[flat], after_nl,
                      self._initial.view[flat], self.lemma_of.view[form], self.terminal.view[form], self.strings)
