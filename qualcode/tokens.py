"""Tokens of a whole transcript at once: whitespace chunks, each split once per distinct chunk.

spaCy's tokenizer cuts text at whitespace into chunks and splits each chunk on its own
(prefixes, suffixes, infixes, special cases such as "don't" -> "do" + "n't"): a chunk's
tokens never depend on its neighbours. So a transcript is cut into chunks with `str.split()`
(the same whitespace), their offsets come from one pass over a code-point array, their ids from
one dict pass, and each *distinct* chunk is split once:

- a chunk of letters only that is no special case ("migration", "работу") is one token;
- a word and one mark ("work,", "нет.") is the word and the mark (see `_WORD_MARK`);
- any other chunk ("don't", "что-то", "(yes)", "10,000") by spaCy's rules (`split_chunk`:
  `qualcode.spacy_rules`, spaCy's own tokenizer only if those are of another spaCy version).

The splits of distinct chunks are kept across transcripts (a corpus repeats its words), and
the tokens of every chunk occurrence are laid out with numpy, so the per-token cost is a
few array operations rather than a Python call. Boundaries are spaCy's by construction; tests
compare them with `nlp.make_doc` on English, Russian and Kazakh text (tests/test_tokens.py) and
with the analyses of the code before (tests/test_analysis_v4.py).

Measured in BENCHMARKS.md (issue 17: "First coding without spaCy's tokenizer on the hot path",
"The analysis half").
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from itertools import repeat

import numpy as np

# A chunk is a maximal run of non-whitespace: spaCy splits at the same place (its `isspace()`
# transitions), and so does `str.split()`. Chunk offsets come from a code-point array:
# `_SPACE[c]` says whether code point c (capped at U+3001) is whitespace; there is none above U+3000.
_SPACE = np.zeros(0x3002, dtype=bool)
_SPACE[[i for i in range(0x3001) if chr(i).isspace()]] = True
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


class _Ids(dict):
    """string -> id; missing strings get the next ids and are remembered as new."""

    def __init__(self) -> None:
        super().__init__()
        self.new: list[str] = []

    def ids(self, keys: list[str]) -> np.ndarray:
        """The ids of keys, in one dict pass without a Python call per key; keys not seen yet get
        the next ids in order of first appearance (so ids never depend on set order)."""
        try:  # all known (a warm table): the cheapest pass
            return np.fromiter(map(self.__getitem__, keys), dtype=np.int64, count=len(keys))
        except KeyError:
            pass
        out = np.fromiter(map(self.get, keys, repeat(-1)), dtype=np.int64, count=len(keys))
        missing = np.flatnonzero(out < 0).tolist()
        if missing:
            at = [keys[i] for i in missing]
            new = list(dict.fromkeys(at))
            self.update(zip(new, range(len(self), len(self) + len(new)), strict=True))
            self.new.extend(new)
            out[missing] = list(map(self.__getitem__, at))
        return out


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
    only for chunks that are not plain words. `fold` turns text into its matching form
    (lowercase; Russian ё as е) character by character, so many forms are folded at once as one
    newline-joined string. `specials`: the tokenizer's special cases ("Dont" is "Do" + "nt"),
    which never take the plain-word path. `lemmas(forms)` gives the forms' lemma strings.

    Forms and lemmas are interned in `strings` (ids in `string_id`); `lemma_of[f]` is the
    string id of form id f's lemma. All of it is kept across transcripts, and cleared
    (never reused across versions: it lives in one process) past MAX_CHUNKS chunks.
    """

    def __init__(self, split_chunk: Callable[[str], list[tuple[int, int]]], fold: Callable[[str], str],
                 specials: set[str], lemmas: Callable[[list[str]], list[str]]) -> None:
        self.split_chunk = split_chunk
        self.fold = fold
        self.specials = specials
        self.lemmas = lemmas
        self.slow = 0  # chunks split by the affix rules (for the benchmark's report)
        # The tables are shared by every caller of the process's pipeline (the browser app serves
        # several sessions from threads): one transcript at a time appends to and reads them.
        self._lock = threading.Lock()
        self.clear()

    def clear(self) -> None:
        self.chunk_id = _Ids()
        self.strings: list[str] = []
        self.string_id = _Ids()
        self.lemma_of = _Grow(np.int64)  # string id -> its lemma's string id (-1: not a form yet)
        self.terminal = _Grow(bool)  # string id -> whether it is terminal punctuation (. ! ? …)
        self._n_tok = _Grow(np.int64)  # per chunk: how many tokens
        self._first = _Grow(np.int64)  # per chunk: where its tokens start in the flat tables
        self._rel_s = _Grow(np.int64)  # flat, per token of a distinct chunk: offsets in the chunk
        self._rel_e = _Grow(np.int64)
        self._form = _Grow(np.int64)
        self._initial = _Grow(bool)

    def _intern(self, strings: list[str]) -> np.ndarray:
        """Ids of strings, new ones appended to the tables (lemma unknown, terminal or not)."""
        ids = self.string_id.ids(strings)
        new = self.string_id.new
        if new:
            self.strings.extend(new)
            self.lemma_of.extend([-1] * len(new))
            self.terminal.extend([bool(TERMINAL.match(x)) for x in new])
            self.string_id.new = []
        return ids

    def _add(self, chunks: list[str]) -> None:
        """Split new chunks and append them to the tables (a batch: numpy appends cost per call)."""
        n_tok, rel_s, rel_e, pieces = [], [], [], []
        specials, word, word_mark = self.specials, _WORD.fullmatch, _WORD_MARK.fullmatch
        for chunk in chunks:
            if chunk not in specials:
                if word(chunk):
                    n_tok.append(1)
                    rel_s.append(0)
                    rel_e.append(len(chunk))
                    pieces.append(chunk)
                    continue
                if word_mark(chunk) and chunk[:-1] not in specials:
                    n = len(chunk)
                    n_tok.append(2)
                    rel_s += (0, n - 1)
                    rel_e += (n - 1, n)
                    pieces += (chunk[:-1], chunk[-1])
                    continue
            spans = self.split_chunk(chunk)
            self.slow += 1
            n_tok.append(len(spans))
            for s, e in spans:
                rel_s.append(s)
                rel_e.append(e)
                pieces.append(chunk[s:e])
        forms = self.fold("\n".join(pieces)).split("\n") if pieces else []
        form_ids = self._intern(forms)
        # Lemmas of the forms that have none yet (new strings, or strings seen only as lemmas).
        need = np.unique(form_ids[self.lemma_of.data[form_ids] < 0])
        if len(need):
            lemma_ids = self._intern(self.lemmas(list(map(self.strings.__getitem__, need.tolist()))))
            self.lemma_of.data[need] = lemma_ids
        at = self._rel_s.n
        first = np.cumsum([at, *n_tok[:-1]]).tolist() if n_tok else []
        for grow, values in ((self._n_tok, n_tok), (self._first, first), (self._rel_s, rel_s),
                             (self._rel_e, rel_e), (self._form, form_ids),
                             (self._initial, [p[0].islower() for p in pieces])):
            grow.extend(values)

    def __call__(self, text: str) -> Tokens:
        with self._lock:
            return self._tokens(text)

    def _tokens(self, text: str) -> Tokens:
        chunks = text.split()
        if not chunks:
            z = np.zeros(0, dtype=np.int64)
            return Tokens(z, z, z, z.astype(bool), z.astype(bool), z, z.astype(bool), self.strings)
        if len(self.chunk_id) > MAX_CHUNKS:
            self.clear()
        # One dict pass: known chunks give their id, new ones get the next ids and are split below.
        cid = self.chunk_id.ids(chunks)
        if self.chunk_id.new:
            new, self.chunk_id.new = self.chunk_id.new, []
            try:
                self._add(new)
            except BaseException:
                self.clear()  # the new chunks have ids but no rows: start the tables afresh
                raise
        # Chunk starts: a non-space code point after a space (or at 0); newlines between chunks.
        cp = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        space = _SPACE[np.minimum(cp, len(_SPACE) - 1)]
        is_start = ~space
        is_start[1:] &= space[:-1]
        chunk_start = np.flatnonzero(is_start)
        nl = np.cumsum(cp == 10)[chunk_start]
        newline = np.zeros(len(chunks), dtype=bool)
        newline[1:] = nl[1:] != nl[:-1]

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
